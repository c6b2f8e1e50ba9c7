//! NEWS2 escalation acknowledged (issue 16, RCP 2017 clinical response): a nurse records a set
//! scoring 7 or more with the server away, acknowledges the emergency response it calls for,
//! and when the link is back the server's audit log holds the acknowledgement under that set,
//! by her, with the response; a set calling for none, and a role that records no vitals, are
//! refused.

use std::time::Duration;

use chrono::Utc;
use medoffice_client::view::ErrorCode;
use medoffice_e2e::proxy::Proxy;
use medoffice_e2e::{new_patient, wait_for, System};
use medoffice_model::{
    Consciousness, Measurements, NewVitalSigns, News2Escalation, ESCALATION_ACKNOWLEDGED,
};
use sqlx::Connection;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn set(rr: i32, spo2: i32, systolic: i32, pulse: i32, temp: f64) -> NewVitalSigns {
    NewVitalSigns {
        id: None,
        measured_at: Utc::now(),
        measurements: Measurements {
            respiratory_rate_bpm: Some(rr),
            spo2_pct: Some(spo2),
            on_oxygen: Some(false),
            systolic_mmhg: Some(systolic),
            diastolic_mmhg: Some(80),
            heart_rate_bpm: Some(pulse),
            consciousness: Some(Consciousness::Alert),
            temperature_c: Some(temp),
            ..Default::default()
        },
        notes: None,
        entered_offline: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_escalation_acknowledged_offline_reaches_the_audit_log_under_its_set(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("escalate", "UTC").await?;
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let (nurse, _d1) = sys
        .workstation_at(&proxy.url(), "escalate", "nurse")
        .await?;
    let p = nurse
        .register_patient(new_patient("Esme", "Escalate"))
        .await
        .map_err(err)?;

    // the link goes; a set scoring 10 (RR 25, SpO2 91, pulse 135, temperature 39.5: 3+3+3+1)
    proxy.set_online(false);
    let high = nurse
        .record_vitals(p.record.id, set(25, 91, 120, 135, 39.5))
        .await
        .map_err(err)?;
    assert!(
        high.record.news2.is_some_and(|n| n >= 7),
        "{:?}",
        high.record.news2
    );
    let ack = nurse
        .acknowledge_escalation(p.record.id, high.record.id)
        .await
        .map_err(err)?;
    assert_eq!(ack.escalation, News2Escalation::Emergency);
    // the chart says who acknowledged it, offline too
    let chart = nurse.patient_chart(p.record.id).await.map_err(err)?;
    assert_eq!(chart.escalation_acks, vec![ack.clone()]);
    // a calm set calls for none
    let calm = nurse
        .record_vitals(p.record.id, set(16, 97, 120, 70, 37.0))
        .await
        .map_err(err)?;
    let refused = nurse
        .acknowledge_escalation(p.record.id, calm.record.id)
        .await
        .expect_err("no escalation to acknowledge");
    assert_eq!(refused.code, ErrorCode::Validation, "{refused:?}");

    // back online: the set and the acknowledgement reach the server
    proxy.set_online(true);
    let url = sys.database_url.clone();
    wait_for(Duration::from_secs(60), || {
        let url = url.clone();
        async move {
            let Ok(mut owner) = sqlx::PgConnection::connect(&url).await else {
                return false;
            };
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = $2",
            )
            .bind(tenant)
            .bind(ESCALATION_ACKNOWLEDGED)
            .fetch_one(&mut owner)
            .await
            .is_ok_and(|n| n == 1)
        }
    })
    .await?;
    let mut owner = sqlx::PgConnection::connect(&sys.database_url).await?;
    let (entity, entity_id, patient_id, username, detail): (
        String,
        uuid::Uuid,
        uuid::Uuid,
        String,
        String,
    ) = sqlx::query_as(
        "SELECT entity, entity_id, patient_id, username, detail FROM audit_log \
         WHERE tenant_id = $1 AND action = $2",
    )
    .bind(tenant)
    .bind(ESCALATION_ACKNOWLEDGED)
    .fetch_one(&mut owner)
    .await?;
    assert_eq!(
        (entity.as_str(), entity_id, patient_id, username.as_str()),
        ("vital_signs", high.record.id, p.record.id, "nurse")
    );
    assert!(detail.contains("emergency response"), "{detail}");

    // a receptionist records no vitals, so acknowledges none
    let (desk, _d2) = sys.workstation("escalate", "reception").await?;
    wait_for(Duration::from_secs(30), || async {
        desk.patient_chart(p.record.id)
            .await
            .is_ok_and(|c| c.vitals.iter().any(|v| v.record.id == high.record.id))
    })
    .await?;
    let forbidden = desk
        .acknowledge_escalation(p.record.id, high.record.id)
        .await
        .expect_err("not a vitals role");
    assert_eq!(forbidden.code, ErrorCode::Forbidden, "{forbidden:?}");
    // and the server refuses one sent straight to it, whatever a workstation would have done
    let http = medoffice_e2e::Http::new(&sys.server.url());
    let token = http.token("escalate", "reception").await?;
    let (status, body) = http
        .call(
            reqwest::Method::POST,
            "/api/v1/audit/access",
            Some(&token),
            Some(serde_json::json!({"events": [{
                "id": uuid::Uuid::new_v4(), "action": ESCALATION_ACKNOWLEDGED,
                "patient_id": p.record.id, "at": Utc::now(),
                "vital_signs_id": high.record.id, "escalation": "emergency"}]})),
        )
        .await?;
    assert_eq!(status, 403, "{body}");
    Ok(())
}
