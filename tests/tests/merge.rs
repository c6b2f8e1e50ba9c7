//! Merging two records of one person (issue 16). A nurse's workstation registers Ann Lee while
//! its link is down and books her in; another workstation registered her too, online, and
//! recorded her vitals. Review lists the pair; the second workstation merges the offline-made
//! record into its own, taking the offline record's phone number. Meanwhile the first
//! workstation, offline again, records a set for the record it knows, which is being merged
//! away: when its link is back the set lands on the record that stays. Every workstation ends
//! showing one Ann Lee with both sets and the booking, the other record opens hers, the audit
//! log names both records, and the server keeps the merged-away record as a tombstone.

use std::time::Duration;

use chrono::Utc;
use medoffice_e2e::proxy::Proxy;
use medoffice_e2e::{new_patient, wait_for, Http, System};
use medoffice_model::{Measurements, NewVitalSigns, PatientMerge};
use reqwest::Method;
use serde_json::json;
use sqlx::Connection;
use uuid::Uuid;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn set(hr: i32) -> NewVitalSigns {
    NewVitalSigns {
        id: None,
        measured_at: Utc::now(),
        measurements: Measurements {
            heart_rate_bpm: Some(hr),
            ..Default::default()
        },
        notes: None,
        entered_offline: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_record_made_offline_is_merged_and_its_late_changes_follow_it() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("merge", "UTC").await?;
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let (far, _d1) = sys.workstation_at(&proxy.url(), "merge", "nurse").await?;
    let (near, _d2) = sys.workstation("merge", "doctor").await?;
    let sent = |ws: &medoffice_client::Workstation| {
        let ws = ws.clone();
        async move { ws.outbox().await.is_ok_and(|o| o.is_empty()) }
    };

    // online: Ann Lee with a set
    let mut ann = new_patient("Ann", "Lee");
    ann.date_of_birth = chrono::NaiveDate::from_ymd_opt(1980, 4, 3).expect("date");
    let kept = near.register_patient(ann.clone()).await.map_err(err)?;
    // 95/min: flagged for an adult (NEWS2 band from 91), normal at 12 (APLS 60–100)
    let first = near
        .record_vitals(kept.record.id, set(95))
        .await
        .map_err(err)?;
    wait_for(Duration::from_secs(30), || sent(&near)).await?;

    // offline elsewhere: Ann Lee again, with a phone, booked in
    proxy.set_online(false);
    let mut again = ann.clone();
    again.phone = Some("555 0199".into());
    // an allergy only the offline record knows: the merge below does not choose it, and it stays
    again.allergies = Some(vec!["Latex".into()]);
    let dup = far.register_patient(again).await.map_err(err)?;
    let me = near.staff().await.map_err(err)?;
    let doctor = me
        .iter()
        .find(|s| s.username == "doctor")
        .expect("doctor")
        .id;
    let booked = far
        .book_appointment(medoffice_model::NewAppointment {
            id: None,
            patient_id: dup.record.id,
            provider_id: doctor,
            starts_at: Utc::now() + chrono::Duration::days(2),
            duration_minutes: 15,
            kind: medoffice_model::AppointmentKind::FollowUp,
            reason: None,
            notes: None,
            overbooked: None,
            outside_hours_reason: Some("test".into()),
            series_id: None,
            visit_type_id: None,
        })
        .await
        .map_err(err)?;
    proxy.set_online(true);
    wait_for(Duration::from_secs(30), || sent(&far)).await?;

    // the pair shows in Review on the other workstation
    wait_for(Duration::from_secs(30), || async {
        near.review_list().await.is_ok_and(|list| {
            list.items.iter().any(|i| {
                matches!(
                    i,
                    medoffice_client::view::ReviewItem::PossibleDuplicate { .. }
                )
            })
        })
    })
    .await?;

    // the far workstation loses its link again and records a set for the record it knows
    proxy.set_online(false);
    let late = far
        .record_vitals(dup.record.id, set(88))
        .await
        .map_err(err)?;

    // the near one merges the offline-made record into its own, taking its phone
    let survivor = near
        .merge_patient(
            dup.record.id,
            PatientMerge {
                into: kept.record.id,
                base_revision: kept.record.revision,
                fields: serde_json::from_value(json!({"phone": "555 0199"}))?,
            },
        )
        .await
        .map_err(err)?;
    assert_eq!(survivor.record.id, kept.record.id);
    wait_for(Duration::from_secs(30), || sent(&near)).await?;

    // the far one comes back: its late set goes to the record that stays
    proxy.set_online(true);
    wait_for(Duration::from_secs(30), || sent(&far)).await?;
    let mut owner = sqlx::PgConnection::connect(&sys.database_url).await?;
    let (set_patient,): (Uuid,) =
        sqlx::query_as("SELECT patient_id FROM vital_signs WHERE id = $1")
            .bind(late.record.id)
            .fetch_one(&mut owner)
            .await?;
    assert_eq!(
        set_patient, kept.record.id,
        "the late set follows the merge"
    );
    let (booking_patient,): (Uuid,) =
        sqlx::query_as("SELECT patient_id FROM appointments WHERE id = $1")
            .bind(booked.appointment.record.id)
            .fetch_one(&mut owner)
            .await?;
    assert_eq!(booking_patient, kept.record.id, "the booking moved");
    let (replaced_by, phone): (Option<Uuid>, Option<String>) = sqlx::query_as(
        "SELECT (SELECT replaced_by FROM patients WHERE id = $1), (SELECT phone FROM patients WHERE id = $2)",
    )
    .bind(dup.record.id)
    .bind(kept.record.id)
    .fetch_one(&mut owner)
    .await?;
    assert_eq!(
        replaced_by,
        Some(kept.record.id),
        "a tombstone pointing at the survivor"
    );
    assert_eq!(phone.as_deref(), Some("555 0199"), "the value chosen");
    let allergies: Vec<String> = sqlx::query_scalar("SELECT allergies FROM patients WHERE id = $1")
        .bind(kept.record.id)
        .fetch_one(&mut owner)
        .await?;
    // the kept record's own (new_patient's penicillin) and the offline record's latex
    assert_eq!(
        allergies,
        vec!["penicillin".to_owned(), "Latex".to_owned()],
        "no allergy is lost in a merge"
    );
    let merges: Vec<(Uuid, String, String)> = sqlx::query_as(
        "SELECT patient_id, username, detail FROM audit_log WHERE tenant_id = $1 AND action = 'patient.merge' ORDER BY id",
    )
    .bind(tenant)
    .fetch_all(&mut owner)
    .await?;
    let named: Vec<Uuid> = merges.iter().map(|m| m.0).collect();
    assert_eq!(named, vec![dup.record.id, kept.record.id], "{merges:?}");
    assert!(merges.iter().all(|m| m.1 == "doctor"));
    assert!(merges[0].2.contains("1 appointments moved"), "{merges:?}");

    // both workstations: one Ann Lee, with both sets and the booking; the other record opens hers
    for ws in [&far, &near] {
        wait_for(Duration::from_secs(30), || async {
            ws.patient_chart(dup.record.id).await.is_ok_and(|c| {
                c.patient.record.id == kept.record.id
                    && c.merged_from
                        .as_ref()
                        .is_some_and(|m| m.id == dup.record.id)
                    && c.vitals.len() == 2
                    && c.appointments.len() == 1
            })
        })
        .await?;
        let found = ws.search_patients("lee", 10).await.map_err(err)?;
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(ws
            .review_list()
            .await
            .map_err(err)?
            .items
            .iter()
            .all(|i| !matches!(
                i,
                medoffice_client::view::ReviewItem::PossibleDuplicate { .. }
            )));
    }

    // straight to the server: merging again answers the survivor; merging into the tombstone is
    // refused; a record cannot be merged into itself
    let http = Http::new(&sys.server.url());
    let token = http.token("merge", "nurse").await?;
    let path = format!("/api/v1/patients/{}/merge", dup.record.id);
    let (s, b) = http
        .call(
            Method::POST,
            &path,
            Some(&token),
            Some(json!({"into": kept.record.id, "base_revision": 0})),
        )
        .await?;
    assert_eq!((s, b["id"].clone()), (200, json!(kept.record.id)), "{b}");
    let (s, b) = http
        .call(
            Method::POST,
            &format!("/api/v1/patients/{}/merge", kept.record.id),
            Some(&token),
            Some(json!({"into": dup.record.id, "base_revision": 0})),
        )
        .await?;
    assert_eq!(s, 409, "{b}");
    let (s, b) = http
        .call(
            Method::POST,
            &path,
            Some(&token),
            Some(json!({"into": dup.record.id, "base_revision": 0})),
        )
        .await?;
    assert_eq!(s, 422, "{b}");
    // a receptionist cannot merge (it moves vital signs); a corrected date of birth re-flags the
    // record's sets by the children's bands
    let desk = http.token("merge", "reception").await?;
    let (s, b) = http
        .call(
            Method::POST,
            &path,
            Some(&desk),
            Some(json!({"into": kept.record.id, "base_revision": 0})),
        )
        .await?;
    assert_eq!(s, 403, "{b}");
    let flags_of = |id: Uuid| {
        let url = sys.database_url.clone();
        async move {
            let mut c = sqlx::PgConnection::connect(&url).await?;
            anyhow::Ok(
                sqlx::query_scalar::<_, Vec<String>>("SELECT flags FROM vital_signs WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut c)
                    .await?,
            )
        }
    };
    assert_eq!(
        flags_of(first.record.id).await?,
        vec!["heart_rate_bpm:high"]
    );
    let (_, p) = http
        .call(
            Method::GET,
            &format!("/api/v1/patients/{}", kept.record.id),
            Some(&token),
            None,
        )
        .await?;
    let (s, b) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/patients/{}", kept.record.id),
            Some(&token),
            Some(json!({"base_revision": p["revision"], "date_of_birth": "2014-04-03"})),
        )
        .await?;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        flags_of(first.record.id).await?,
        Vec::<String>::new(),
        "95/min at 12 is normal"
    );

    // another clinic's staff find neither record
    sys.clinic("elsewhere", "UTC").await?;
    let stranger = http.token("elsewhere", "nurse").await?;
    let (s, b) = http
        .call(
            Method::POST,
            &path,
            Some(&stranger),
            Some(json!({"into": kept.record.id, "base_revision": 0})),
        )
        .await?;
    assert_eq!(s, 404, "{b}");
    Ok(())
}
