//! The sync wire across releases: a workstation one release behind still syncs with this
//! server (its outbox envelopes apply, the feed reads in the shape it parses), and a kind of
//! change this server does not know is refused on its own, by name, without stopping the rest.

use medoffice_e2e::{Http, System, PASSWORD};
use medoffice_model::ChangesPage;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

/// A feed change exactly as the previous release's workstation parsed it: any other field,
/// or a missing one, fails the read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PreviousReleaseChange {
    entity: String,
    id: Uuid,
    revision: i64,
    deleted: bool,
    data: Value,
}

/// A feed page as the previous release parsed it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PreviousReleasePage {
    changes: Vec<PreviousReleaseChange>,
    revision: i64,
    has_more: bool,
}

fn statuses(r: &Value) -> Vec<&str> {
    r["results"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["status"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_workstation_one_release_behind_syncs_and_a_newer_kind_is_refused_by_name(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("wire", "Europe/Lisbon").await?;
    let http = Http::new(&sys.server.url());
    let (s, doctor) = http.login("wire", "doctor", PASSWORD).await?;
    assert_eq!(s, 200, "{doctor}");
    let provider = doctor["user"]["id"].clone();
    let nurse = http.token("wire", "nurse").await?;

    // every kind of change, as the previous release's outbox wrote them (envelope v1)
    let (patient, booking) = (Uuid::now_v7(), Uuid::now_v7());
    let starts_at = chrono::Utc::now() + chrono::Duration::days(2);
    let push = |body: Value| http.call(Method::POST, "/api/v1/sync/push", Some(&nurse), Some(body));
    let (s, r) = push(json!({"mutations": [
        {"mutation_id": Uuid::new_v4(), "entity": "patient", "op": "create", "id": patient,
         "data": {"id": patient, "given_name": "Ada", "family_name": "Lovelace",
                  "date_of_birth": "1990-12-10", "sex": "female"}},
        {"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "create", "id": Uuid::now_v7(),
         "data": {"patient_id": patient, "measured_at": chrono::Utc::now(), "systolic_mmhg": 152,
                  "diastolic_mmhg": 91, "entered_offline": true}},
        {"mutation_id": Uuid::new_v4(), "entity": "appointment", "op": "create", "id": booking,
         "data": {"id": booking, "patient_id": patient, "provider_id": provider,
                  "starts_at": starts_at, "duration_minutes": 20, "kind": "follow_up"}},
    ]}))
    .await?;
    assert_eq!(s, 200, "{r}");
    assert_eq!(statuses(&r), ["applied", "applied", "applied"], "{r}");
    let patient_rev = r["results"][0]["revision"].clone();
    let booking_rev = r["results"][2]["revision"].clone();
    let (s, r) = push(json!({"mutations": [
        {"mutation_id": Uuid::new_v4(), "entity": "patient", "op": "update", "id": patient,
         "base_revision": patient_rev, "data": {"phone": "+351 21 000 0000"}},
        {"mutation_id": Uuid::new_v4(), "entity": "appointment", "op": "update", "id": booking,
         "base_revision": booking_rev,
         "data": {"status": "checked_in", "checked_in_at": chrono::Utc::now()}},
    ]}))
    .await?;
    assert_eq!(s, 200, "{r}");
    assert_eq!(statuses(&r), ["applied", "applied"], "{r}");
    assert_eq!(r["results"][0]["server"]["phone"], "+351 21 000 0000");
    assert_eq!(r["results"][1]["server"]["status"], "checked_in");
    assert!(r["results"][1]["server"]["checked_in_at"].is_string());

    // a kind from a newer workstation: refused alone and by name, the others apply
    let (room, after) = (Uuid::new_v4(), Uuid::new_v4());
    let batch = json!({"mutations": [
        {"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "create", "id": Uuid::now_v7(),
         "data": {"patient_id": patient, "measured_at": chrono::Utc::now(), "heart_rate_bpm": 72}},
        {"mutation_id": room, "entity": "room", "op": "create", "id": Uuid::now_v7(),
         "data": {"name": "Room 2"}},
        {"mutation_id": after, "entity": "vital_signs", "op": "create", "id": Uuid::now_v7(),
         "data": {"patient_id": patient, "measured_at": chrono::Utc::now(), "heart_rate_bpm": 74}},
    ]});
    let (s, r) = push(batch.clone()).await?;
    assert_eq!(s, 200, "{r}");
    assert_eq!(statuses(&r), ["applied", "rejected", "applied"], "{r}");
    let refusal = &r["results"][1]["error"];
    assert_eq!(refusal["code"], "unsupported_change", "{refusal}");
    assert_eq!(refusal["status"], 422);
    let message = refusal["message"].as_str().unwrap_or_default();
    assert!(message.contains("room.create"), "{message}");
    assert!(message.contains("update the server"), "{message}");
    // replayed, the same answer and nothing applied twice
    let (_, again) = push(batch).await?;
    assert_eq!(statuses(&again), ["duplicate", "rejected", "duplicate"]);
    assert_eq!(again["results"][1]["error"]["code"], "unsupported_change");

    // a refused patient edit that does not even decode is audited against that patient
    let bad_edit = Uuid::new_v4();
    let (s, r) = push(json!({"mutations": [
        {"mutation_id": bad_edit, "entity": "patient", "op": "update", "id": patient,
         "base_revision": 1, "data": {"mrn": "000001"}},
    ]}))
    .await?;
    assert_eq!(s, 200, "{r}");
    assert_eq!(statuses(&r), ["rejected"]);
    assert!(r["results"][0]["error"]["errors"]["mrn"].is_array(), "{r}");
    let mut owner = medoffice_server::db::owner_connection(&sys.database_url).await?;
    let audited: Option<Uuid> = sqlx::query_scalar(
        "SELECT patient_id FROM audit_log WHERE action = 'patient.update' AND outcome <> 'success' \
         AND detail LIKE '%' || $1 || '%'",
    )
    .bind(bad_edit.to_string())
    .fetch_one(&mut owner)
    .await?;
    assert_eq!(audited, Some(patient), "the refusal names the patient");

    // the feed, read as the previous release read it and as this one does
    let (s, page) = http
        .call(
            Method::GET,
            "/api/v1/sync/changes?since=0",
            Some(&nurse),
            None,
        )
        .await?;
    assert_eq!(s, 200);
    let old: PreviousReleasePage = serde_json::from_value(page.clone())?;
    let mut entities: Vec<&str> = old.changes.iter().map(|c| c.entity.as_str()).collect();
    entities.sort_unstable();
    entities.dedup();
    assert_eq!(entities, ["appointment", "patient", "user", "vital_signs"]);
    let new: ChangesPage = serde_json::from_value(page)?;
    assert_eq!(new.changes.len(), old.changes.len());
    for (n, o) in new.changes.iter().zip(&old.changes) {
        assert_eq!(
            (n.id, n.revision, n.entity().as_str()),
            (o.id, o.revision, o.entity.as_str())
        );
        assert_eq!(
            n.record.data(),
            o.data,
            "the typed row is the row on the wire"
        );
    }
    Ok(())
}
