//! A pushed run of vital-sign sets is recorded as one group (`sync::record_vitals_run`): one
//! insert, one audit insert and one insert of the answers for the plainly new sets, and the
//! rest one by one. What must hold is that the answers are exactly those of one-by-one, in
//! order; every new set is stored once with its own audit entry; revisions stay gap-free; and
//! the same push sent again answers as a replay and changes nothing.
#![allow(clippy::unwrap_used, clippy::panic)]

use medoffice_e2e::{Http, System};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

fn set(patient: &str, id: Uuid, hr: i32) -> Value {
    json!({"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "create", "id": id,
           "data": {"id": id, "patient_id": patient, "measured_at": "2026-11-02T09:30:00Z",
                    "systolic_mmhg": 118, "diastolic_mmhg": 76, "heart_rate_bpm": hr}})
}

fn statuses(r: &Value) -> Vec<String> {
    r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_pushed_run_of_sets_answers_as_one_by_one_and_keeps_every_invariant() -> anyhow::Result<()>
{
    // the tables' owner a superuser (as the test clusters make it) and an ordinary role (as
    // README's "Running it for a clinic" asks): the pre-check runs as the owner
    run(System::start().await?).await?;
    run(System::start_owned_by("medoffice_owner").await?).await
}

async fn run(sys: System) -> anyhow::Result<()> {
    let tenant = sys.clinic("runs", "UTC").await?;
    let http = Http::new(&sys.server.url());
    let nurse = http.token("runs", "nurse").await?;
    let mut patients = Vec::new();
    for (given, born) in [("Ada", "1960-01-02"), ("Tom", "2019-05-01")] {
        let (s, p) = http
            .call(Method::POST, "/api/v1/patients", Some(&nurse), Some(json!({"given_name": given, "family_name": "Runs", "date_of_birth": born, "sex": "female"})))
            .await?;
        assert_eq!(s, 201, "{p}");
        patients.push(p["id"].as_str().unwrap().to_owned());
    }
    let (adult, child) = (&patients[0], &patients[1]);
    // a set already stored through the REST path; the push sends it again
    let stored = Uuid::now_v7();
    let (s, first) = http
        .call(
            Method::POST,
            &format!("/api/v1/patients/{adult}/vitals"),
            Some(&nurse),
            Some(json!({"id": stored, "measured_at": "2026-11-02T09:30:00Z",
                        "systolic_mmhg": 118, "diastolic_mmhg": 76, "heart_rate_bpm": 70})),
        )
        .await?;
    assert_eq!(s, 201, "{first}");
    let (_, page) = http
        .call(
            Method::GET,
            "/api/v1/sync/changes?since=0",
            Some(&nurse),
            None,
        )
        .await?;
    let before = page["revision"].as_i64().unwrap();

    let repeated = Uuid::now_v7();
    let new_ids: Vec<Uuid> = (0..6).map(|_| Uuid::now_v7()).collect();
    let batch = json!({"mutations": [
        set(adult, new_ids[0], 71),
        set(child, new_ids[1], 110), // a 7-year-old's bands, not an adult's
        set(adult, stored, 70),               // a replay of the stored set: its first answer
        set(adult, new_ids[2], 500),          // refused: out of range
        set(&Uuid::new_v4().to_string(), new_ids[3], 72), // refused: no such patient
        set(adult, repeated, 73),
        set(adult, repeated, 73),             // the same set in the same run: the first's answer
        set(child, new_ids[4], 90),
        set(adult, new_ids[5], 110),
    ]});
    let (s, r) = http
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(&nurse),
            Some(batch.clone()),
        )
        .await?;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        statuses(&r),
        [
            "applied", "applied", "applied", "rejected", "rejected", "applied", "applied",
            "applied", "applied"
        ]
    );
    let results = r["results"].as_array().unwrap();
    assert_eq!(
        results[2]["revision"], first["revision"],
        "the replay answers the stored set"
    );
    assert_eq!(results[3]["error"]["status"], 422);
    assert!(results[3]["error"]["errors"]["heart_rate_bpm"].is_array());
    assert_eq!(results[4]["error"]["status"], 404);
    assert_eq!(
        results[5]["revision"], results[6]["revision"],
        "one set, stored once"
    );
    // each answer carries its stored set, flagged for that patient's age
    assert_eq!(results[1]["server"]["patient_id"], child.as_str());
    assert_eq!(
        results[1]["server"]["flags"],
        json!(["systolic_mmhg:high", "diastolic_mmhg:high"]),
        "a 7-year-old's bands: 110/min in range, 118/76 high: {}",
        results[1]["server"]
    );
    assert_eq!(
        results[1]["server"]["news2"],
        Value::Null,
        "no NEWS2 for a child"
    );
    assert_eq!(
        results[8]["server"]["flags"],
        json!(["heart_rate_bpm:high"]),
        "110/min is high for an adult: {}",
        results[8]["server"]
    );

    // the feed since: the five new sets, revisions gap-free, each once
    let (_, page) = http
        .call(
            Method::GET,
            &format!("/api/v1/sync/changes?since={before}"),
            Some(&nurse),
            None,
        )
        .await?;
    let mut revs: Vec<i64> = page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["revision"].as_i64().unwrap())
        .collect();
    revs.sort_unstable();
    let expected: Vec<i64> = (before + 1..=before + 5).collect();
    assert_eq!(revs, expected, "{page}");
    let got: std::collections::HashSet<String> = page["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    for id in [new_ids[0], new_ids[1], repeated, new_ids[4], new_ids[5]] {
        assert!(got.contains(&id.to_string()), "{id} missing from the feed");
    }

    // one audit entry per stored set, none for the refused ones' ids
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    // the group is one insert, in one savepoint (one subtransaction: one xmin); the set
    // recorded alone has its own
    let xmin: std::collections::HashMap<Uuid, String> =
        sqlx::query_as("SELECT id, xmin::text FROM vital_signs WHERE id = ANY($1)")
            .bind([&new_ids[..], &[repeated]].concat())
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    let group = &xmin[&new_ids[0]];
    for id in [new_ids[1], new_ids[4], new_ids[5]] {
        assert_eq!(&xmin[&id], group, "{id} was not in the group");
    }
    assert_ne!(&xmin[&repeated], group, "the repeated id went in the group");
    let audited: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT entity_id, count(*) FROM audit_log WHERE action = 'vital_signs.create' \
         AND outcome = 'success' AND entity_id = ANY($1) GROUP BY entity_id",
    )
    .bind([&new_ids[..], &[repeated, stored]].concat())
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let audited: std::collections::HashMap<Uuid, i64> = audited.into_iter().collect();
    for id in [
        new_ids[0], new_ids[1], repeated, new_ids[4], new_ids[5], stored,
    ] {
        assert_eq!(audited.get(&id), Some(&1), "audit entries of {id}");
    }
    assert!(!audited.contains_key(&new_ids[2]) && !audited.contains_key(&new_ids[3]));

    // the same push again: every answer as the first, nothing written
    let (s, again) = http
        .call(Method::POST, "/api/v1/sync/push", Some(&nurse), Some(batch))
        .await?;
    assert_eq!(s, 200, "{again}");
    assert_eq!(
        statuses(&again),
        [
            "duplicate",
            "duplicate",
            "duplicate",
            "rejected",
            "rejected",
            "duplicate",
            "duplicate",
            "duplicate",
            "duplicate"
        ]
    );
    for (a, b) in results.iter().zip(again["results"].as_array().unwrap()) {
        assert_eq!(a["revision"], b["revision"]);
    }
    let (_, page) = http
        .call(
            Method::GET,
            "/api/v1/sync/changes?since=0",
            Some(&nurse),
            None,
        )
        .await?;
    assert_eq!(page["revision"].as_i64(), Some(before + 5));

    // a mutation sent twice in one run, refused the first time: the second answers as the first
    // did and its set is never stored (one by one, the first is answered before the second is
    // seen; the second, valid, must not go in the group ahead of it)
    let m = Uuid::new_v4();
    let (first_set, second_set) = (Uuid::now_v7(), Uuid::now_v7());
    let mut a = set(adult, first_set, 500);
    a["mutation_id"] = json!(m);
    let mut c = set(adult, second_set, 81);
    c["mutation_id"] = json!(m);
    let (s, r) = http
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(&nurse),
            Some(json!({"mutations": [a, set(adult, Uuid::now_v7(), 82), c]})),
        )
        .await?;
    assert_eq!(s, 200, "{r}");
    assert_eq!(statuses(&r), ["rejected", "applied", "rejected"]);
    assert_eq!(r["results"][2]["error"]["status"], 422, "{r}");
    assert_eq!(
        r["results"][2]["error"]["errors"],
        r["results"][0]["error"]["errors"]
    );
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    let stored: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM vital_signs WHERE id = ANY($1)")
        .bind([first_set, second_set].as_slice())
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    assert!(
        stored.is_empty(),
        "a set of the refused mutation was stored"
    );

    // without the permission, each set of a run is refused on its own, as alone
    let reception = http.token("runs", "reception").await?;
    let (s, r) = http
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(&reception),
            Some(json!({"mutations": [set(adult, Uuid::now_v7(), 70), set(adult, Uuid::now_v7(), 71)]})),
        )
        .await?;
    assert_eq!(s, 200, "{r}");
    assert_eq!(statuses(&r), ["rejected", "rejected"]);
    for x in r["results"].as_array().unwrap() {
        assert_eq!(x["error"]["status"], 403, "{r}");
    }
    Ok(())
}
