//! Correcting recorded vital signs (issue 16): a set typed on the wrong patient is marked
//! entered in error at a workstation whose link is down; when the link is back the server holds
//! it withdrawn (FHIR `entered-in-error`), with the reason and who, audited, and another
//! workstation shows it so. A set with a typing slip is amended: new values and flags, the
//! version before kept on the server. Who may: the recorder or a clinician; a withdrawn set takes
//! no amendment; another clinic's set is not found; a correction without a reason is refused.

use std::time::Duration;

use chrono::Utc;
use medoffice_client::view::ErrorCode;
use medoffice_e2e::proxy::Proxy;
use medoffice_e2e::{new_patient, wait_for, Http, System};
use medoffice_model::{Measurements, NewVitalSigns, ObservationStatus, VitalSignsCorrection};
use reqwest::Method;
use serde_json::json;
use sqlx::Connection;
use uuid::Uuid;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn set(m: Measurements) -> NewVitalSigns {
    NewVitalSigns {
        id: None,
        measured_at: Utc::now(),
        measurements: m,
        notes: None,
        entered_offline: None,
    }
}

fn withdraw(patient_id: Uuid, reason: &str) -> VitalSignsCorrection {
    VitalSignsCorrection {
        patient_id,
        status: ObservationStatus::EnteredInError,
        reason: reason.into(),
        measurements: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_set_is_withdrawn_offline_and_another_amended_and_every_workstation_agrees(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("correct", "UTC").await?;
    sys.clinic("other", "UTC").await?;
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let (nurse, _d1) = sys.workstation_at(&proxy.url(), "correct", "nurse").await?;
    let (doctor, _d2) = sys.workstation("correct", "doctor").await?;
    let p = nurse
        .register_patient(new_patient("Wanda", "Wrongbed"))
        .await
        .map_err(err)?;
    let pid = p.record.id;
    let typed = nurse
        .record_vitals(
            pid,
            set(Measurements {
                heart_rate_bpm: Some(150),
                ..Default::default()
            }),
        )
        .await
        .map_err(err)?;
    assert_eq!(typed.record.flags, vec!["heart_rate_bpm:high"]);
    let url = sys.database_url.clone();
    let server_status = |id: Uuid| {
        let url = url.clone();
        async move {
            let mut owner = sqlx::PgConnection::connect(&url).await?;
            let s: Option<String> =
                sqlx::query_scalar("SELECT status FROM vital_signs WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut owner)
                    .await?;
            anyhow::Ok(s)
        }
    };
    wait_for(Duration::from_secs(30), || async {
        server_status(typed.record.id)
            .await
            .ok()
            .flatten()
            .is_some_and(|s| s == "final")
    })
    .await?;

    // the link goes; the nurse sees she typed it on the wrong patient and withdraws it
    proxy.set_online(false);
    let withdrawn = nurse
        .correct_vitals(
            typed.record.id,
            withdraw(pid, "  wrong patient: belongs to bed 4  "),
        )
        .await
        .map_err(err)?;
    assert_eq!(withdrawn.record.status, ObservationStatus::EnteredInError);
    assert!(withdrawn.pending, "queued until the link is back");
    let note = withdrawn.record.correction.clone().expect("who and why");
    assert_eq!(note.reason, "wrong patient: belongs to bed 4");
    // still in the chart's history, withdrawn
    let chart = nurse.patient_chart(pid).await.map_err(err)?;
    let row = chart
        .vitals
        .iter()
        .find(|v| v.record.id == typed.record.id)
        .expect("kept in the history");
    assert_eq!(row.record.status, ObservationStatus::EnteredInError);
    // withdrawing again changes nothing; amending a withdrawn set is refused here already
    let again = nurse
        .correct_vitals(typed.record.id, withdraw(pid, "wrong patient"))
        .await
        .map_err(err)?;
    assert_eq!(again.record.correction, withdrawn.record.correction);
    let amend_withdrawn = nurse
        .correct_vitals(
            typed.record.id,
            VitalSignsCorrection {
                patient_id: pid,
                status: ObservationStatus::Amended,
                reason: "typo".into(),
                measurements: Some(Measurements {
                    heart_rate_bpm: Some(72),
                    ..Default::default()
                }),
            },
        )
        .await
        .expect_err("a withdrawn set is not amended");
    assert_eq!(
        amend_withdrawn.code,
        ErrorCode::Conflict,
        "{amend_withdrawn:?}"
    );
    // without a reason: the field says why
    let no_reason = nurse
        .correct_vitals(typed.record.id, withdraw(pid, " "))
        .await
        .expect_err("a reason is required");
    assert_eq!(no_reason.code, ErrorCode::Validation, "{no_reason:?}");

    // back online: withdrawn on the server, audited with the reason, by the nurse
    proxy.set_online(true);
    wait_for(Duration::from_secs(60), || async {
        server_status(typed.record.id)
            .await
            .ok()
            .flatten()
            .is_some_and(|s| s == "entered-in-error")
    })
    .await?;
    let mut owner = sqlx::PgConnection::connect(&sys.database_url).await?;
    let audited: Vec<(String, Uuid, String, String)> = sqlx::query_as(
        "SELECT username, patient_id, outcome, detail FROM audit_log \
         WHERE tenant_id = $1 AND action = 'vital_signs.entered_in_error' AND entity_id = $2",
    )
    .bind(tenant)
    .bind(typed.record.id)
    .fetch_all(&mut owner)
    .await?;
    assert_eq!(audited.len(), 1, "{audited:?}");
    let (who, patient, outcome, detail) = &audited[0];
    assert_eq!(
        (who.as_str(), *patient, outcome.as_str()),
        ("nurse", pid, "success")
    );
    assert!(
        detail.contains("wrong patient: belongs to bed 4"),
        "{detail}"
    );

    // the doctor's workstation shows it withdrawn, by the nurse, with the reason
    wait_for(Duration::from_secs(30), || async {
        doctor.patient_chart(pid).await.is_ok_and(|c| {
            c.vitals.iter().any(|v| {
                v.record.id == typed.record.id
                    && v.record.status == ObservationStatus::EnteredInError
                    && !v.pending
            })
        })
    })
    .await?;
    let seen = doctor.patient_chart(pid).await.map_err(err)?;
    let seen = seen
        .vitals
        .iter()
        .find(|v| v.record.id == typed.record.id)
        .expect("synced");
    let note = seen.record.correction.clone().expect("correction synced");
    assert_eq!(note.reason, "wrong patient: belongs to bed 4");
    let nurse_id: Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE tenant_id = $1 AND username = 'nurse'")
            .bind(tenant)
            .fetch_one(&mut owner)
            .await?;
    assert_eq!(note.by, nurse_id);

    // the doctor records a set with a slip (SpO2 79 for 97) and amends it
    let slip = doctor
        .record_vitals(
            pid,
            set(Measurements {
                spo2_pct: Some(79),
                heart_rate_bpm: Some(80),
                ..Default::default()
            }),
        )
        .await
        .map_err(err)?;
    assert_eq!(slip.record.flags, vec!["spo2_pct:low"]);
    wait_for(Duration::from_secs(30), || async {
        server_status(slip.record.id).await.ok().flatten().is_some()
    })
    .await?;
    let amended = doctor
        .correct_vitals(
            slip.record.id,
            VitalSignsCorrection {
                patient_id: pid,
                status: ObservationStatus::Amended,
                reason: "typing slip: SpO2 was 97".into(),
                measurements: Some(Measurements {
                    spo2_pct: Some(97),
                    heart_rate_bpm: Some(80),
                    ..Default::default()
                }),
            },
        )
        .await
        .map_err(err)?;
    assert_eq!(amended.record.status, ObservationStatus::Amended);
    assert!(
        amended.record.flags.is_empty(),
        "{:?}",
        amended.record.flags
    );
    wait_for(Duration::from_secs(30), || async {
        server_status(slip.record.id)
            .await
            .ok()
            .flatten()
            .is_some_and(|s| s == "amended")
    })
    .await?;
    let (spo2, flags): (Option<i32>, Vec<String>) =
        sqlx::query_as("SELECT spo2_pct, flags FROM vital_signs WHERE id = $1")
            .bind(slip.record.id)
            .fetch_one(&mut owner)
            .await?;
    assert_eq!((spo2, flags), (Some(97), vec![]));
    // the version before is kept, as the API showed it
    let kept: Vec<serde_json::Value> =
        sqlx::query_scalar("SELECT record FROM vital_signs_versions WHERE vital_signs_id = $1")
            .bind(slip.record.id)
            .fetch_all(&mut owner)
            .await?;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["spo2_pct"], 79);
    assert_eq!(kept[0]["flags"], json!(["spo2_pct:low"]));
    // the nurse's workstation gets the amended values
    wait_for(Duration::from_secs(30), || async {
        nurse.patient_chart(pid).await.is_ok_and(|c| {
            c.vitals.iter().any(|v| {
                v.record.id == slip.record.id
                    && v.record.status == ObservationStatus::Amended
                    && v.record.measurements.spo2_pct == Some(97)
            })
        })
    })
    .await?;

    // straight to the server: who may, and what
    let http = Http::new(&sys.server.url());
    let correction_of = |id: Uuid| format!("/api/v1/vitals/{id}/correction");
    let body = json!({"patient_id": pid, "status": "entered-in-error", "reason": "checking"});
    // an admin who did not record it is no clinician; a receptionist records no vitals
    for who in ["admin", "reception"] {
        let token = http.token("correct", who).await?;
        let (s, b) = http
            .call(
                Method::POST,
                &correction_of(slip.record.id),
                Some(&token),
                Some(body.clone()),
            )
            .await?;
        assert_eq!(s, 403, "{who}: {b}");
    }
    let nurse_token = http.token("correct", "nurse").await?;
    // a withdrawn set: withdrawing again answers it unchanged; amending it is a conflict
    let (s, b) = http
        .call(
            Method::POST,
            &correction_of(typed.record.id),
            Some(&nurse_token),
            Some(body.clone()),
        )
        .await?;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["correction"]["reason"], "wrong patient: belongs to bed 4");
    let (s, b) = http
        .call(
            Method::POST,
            &correction_of(typed.record.id),
            Some(&nurse_token),
            Some(json!({"patient_id": pid, "status": "amended", "reason": "x", "measurements": {"heart_rate_bpm": 70}})),
        )
        .await?;
    assert_eq!(s, 409, "{b}");
    // no reason; a status that is no correction: 422 by field
    let (s, b) = http
        .call(
            Method::POST,
            &correction_of(slip.record.id),
            Some(&nurse_token),
            Some(json!({"patient_id": pid, "status": "final", "reason": ""})),
        )
        .await?;
    assert_eq!(s, 422, "{b}");
    assert!(
        b["errors"]["reason"].is_array() && b["errors"]["status"].is_array(),
        "{b}"
    );
    // the set named under another patient, or from another clinic: not found
    let (s, b) = http
        .call(
            Method::POST,
            &correction_of(slip.record.id),
            Some(&nurse_token),
            Some(
                json!({"patient_id": Uuid::new_v4(), "status": "entered-in-error", "reason": "x"}),
            ),
        )
        .await?;
    assert_eq!(s, 404, "{b}");
    let stranger = http.token("other", "nurse").await?;
    let (s, b) = http
        .call(
            Method::POST,
            &correction_of(slip.record.id),
            Some(&stranger),
            Some(body),
        )
        .await?;
    assert_eq!(s, 404, "{b}");
    // one entered-in-error entry for the set still (the repeat changed nothing)
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'vital_signs.entered_in_error' \
         AND entity_id = $1 AND outcome = 'success'",
    )
    .bind(typed.record.id)
    .fetch_one(&mut owner)
    .await?;
    assert_eq!(n, 1);
    Ok(())
}
