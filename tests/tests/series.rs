//! Recurring visits on a real workstation against the real server (issue 12): a weekly series is
//! planned with one occurrence clashing and one on a closed date, each named with a free time to
//! move to; the series is booked with the clash moved and the closed date skipped, one booking
//! per occurrence linked by the series' id; "this and all following" are moved to another time
//! and then cancelled, offline, and reach the server when the workstation is back.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use chrono::{NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;
use medoffice_client::view::{ConnectionState, ErrorCode};
use medoffice_client::Workstation;
use medoffice_e2e::proxy::Proxy;
use medoffice_e2e::{new_patient, wait_for, Http, System};
use medoffice_model::{
    AppointmentKind, AppointmentStatus, NewAppointment, Recurrence, RecurrenceUnit,
};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn london(y: i32, m: u32, d: u32, hh: u32, mm: u32) -> chrono::DateTime<Utc> {
    London
        .with_ymd_and_hms(y, m, d, hh, mm, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

async fn settled(ws: &Workstation) -> anyhow::Result<()> {
    wait_for(Duration::from_secs(30), || async {
        let st = ws.status();
        st.state == ConnectionState::Online && st.pending == 0
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_weekly_series_is_planned_booked_moved_and_cancelled_one_visit_at_a_time(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("series", "Europe/London").await?;
    let http = Http::new(&sys.server.url());
    let admin = http.token("series", "admin").await?;
    let (_, p) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&admin),
            Some(serde_json::to_value(new_patient("Ada", "Weekly"))?),
        )
        .await?;
    let patient: Uuid = serde_json::from_value(p["id"].clone())?;
    let (_, me) = http
        .call(
            Method::GET,
            "/api/v1/auth/me",
            Some(&http.token("series", "doctor").await?),
            None,
        )
        .await?;
    let doctor: Uuid = serde_json::from_value(me["id"].clone())?;
    // Monday 16 June 2031 closed; the doctor already has 10:00–10:30 on Monday 9 June
    let (s, _) = http
        .call(Method::POST, "/api/v1/schedule-blocks", Some(&admin),
            Some(json!({"starts_at": london(2031, 6, 16, 0, 0), "ends_at": london(2031, 6, 17, 0, 0), "kind": "holiday", "reason": "Bank holiday"})))
        .await?;
    assert_eq!(s, 201);
    let (s, _) = http
        .call(Method::POST, "/api/v1/appointments", Some(&admin),
            Some(json!({"patient_id": patient, "provider_id": doctor, "starts_at": london(2031, 6, 9, 10, 0), "duration_minutes": 30, "kind": "consultation"})))
        .await?;
    assert_eq!(s, 201);

    let proxy = Proxy::start(sys.server_addr()?).await?;
    let (desk, _d) = sys
        .workstation_at(&proxy.url(), "series", "reception")
        .await?;
    settled(&desk).await?;
    let new = NewAppointment {
        id: None,
        patient_id: patient,
        provider_id: doctor,
        starts_at: london(2031, 6, 2, 10, 0),
        duration_minutes: 20,
        kind: AppointmentKind::VitalsCheck,
        reason: Some("Weekly blood pressure check".into()),
        notes: None,
        overbooked: None,
        outside_hours_reason: None,
        series_id: None,
        visit_type_id: None,
    };
    let weekly = Recurrence {
        every: 1,
        unit: RecurrenceUnit::Week,
        count: Some(4),
        until: None,
    };
    let plan = desk
        .plan_series(new.clone(), weekly.clone())
        .await
        .map_err(err)?;
    let starts: Vec<_> = plan.visits.iter().map(|v| v.starts_at).collect();
    assert_eq!(
        starts,
        [
            london(2031, 6, 2, 10, 0),
            london(2031, 6, 9, 10, 0),
            london(2031, 6, 16, 10, 0),
            london(2031, 6, 23, 10, 0)
        ]
    );
    assert!(plan.visits[0].problem.is_none() && plan.visits[3].problem.is_none());
    assert!(
        plan.visits[1]
            .problem
            .as_deref()
            .unwrap()
            .contains("already has a booking"),
        "{:?}",
        plan.visits[1]
    );
    assert_eq!(
        plan.visits[1].suggestion,
        Some(london(2031, 6, 9, 10, 30)),
        "the first free quarter after the clash"
    );
    assert_eq!(
        plan.visits[2].problem.as_deref(),
        Some("The clinic is closed then: Bank holiday")
    );
    assert_eq!(plan.visits[2].suggestion, None, "nothing that day");

    // booking a start that cannot be booked books nothing, naming the date
    let e = desk
        .book_series(new.clone(), vec![starts[0], starts[2]])
        .await
        .expect_err("the bank holiday");
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.starts_with("2031-06-16 10:00"), "{}", e.message);
    assert_eq!(desk.status().pending, 0, "nothing queued");

    // booked with the clash moved and the holiday skipped
    let rows = desk
        .book_series(
            new.clone(),
            vec![starts[0], plan.visits[1].suggestion.unwrap(), starts[3]],
        )
        .await
        .map_err(err)?;
    assert_eq!(rows.len(), 3);
    let series = rows[0].appointment.record.series_id.expect("a series id");
    assert!(rows
        .iter()
        .all(|r| r.appointment.record.series_id == Some(series)));
    settled(&desk).await?;
    let on_server = |list: &serde_json::Value| -> Vec<(chrono::DateTime<Utc>, String)> {
        let mut v: Vec<_> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["series_id"] == json!(series))
            .map(|a| {
                (
                    a["starts_at"].as_str().unwrap().parse().unwrap(),
                    a["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let (_, list) = http
        .call(
            Method::GET,
            &format!("/api/v1/appointments?patient_id={patient}"),
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(on_server(&list).len(), 3);
    // the series by its id alone: its three visits and nothing else, audited as the patient's
    let reads = || async {
        let (_, log) = http
            .call(
                Method::GET,
                &format!("/api/v1/audit?action=appointment.read&patient_id={patient}"),
                Some(&admin),
                None,
            )
            .await?;
        anyhow::Ok(log["items"].as_array().map_or(0, Vec::len))
    };
    let before = reads().await?;
    let (s, by_series) = http
        .call(
            Method::GET,
            &format!("/api/v1/appointments?series_id={series}"),
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(s, 200, "{by_series}");
    assert_eq!(by_series["data"].as_array().unwrap().len(), 3);
    assert_eq!(on_server(&by_series), on_server(&list));
    assert_eq!(reads().await?, before + 1);
    // a series is one patient's: its id sent for another patient is refused
    let (_, q) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&admin),
            Some(serde_json::to_value(new_patient("Bo", "Other"))?),
        )
        .await?;
    let (s, body) = http
        .call(Method::POST, "/api/v1/appointments", Some(&admin),
            Some(json!({"patient_id": q["id"], "provider_id": doctor, "starts_at": london(2031, 7, 1, 9, 0),
                "duration_minutes": 15, "kind": "follow_up", "series_id": series})))
        .await?;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["series_id"].is_array(), "{body}");

    // offline: the second and later move to 14:00; then the last is cancelled
    proxy.set_online(false);
    wait_for(Duration::from_secs(30), || async {
        desk.status().state != ConnectionState::Online
    })
    .await?;
    let second = rows[1].appointment.record.id;
    let moved = desk
        .move_series_from(
            second,
            NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
            20,
            doctor,
        )
        .await
        .map_err(err)?;
    assert_eq!(moved, 2);
    let cancelled = desk
        .cancel_series_from(rows[2].appointment.record.id, "Patient moving away".into())
        .await
        .map_err(err)?;
    assert_eq!(cancelled, 1);
    proxy.set_online(true);
    settled(&desk).await?;
    let (_, list) = http
        .call(
            Method::GET,
            &format!("/api/v1/appointments?patient_id={patient}"),
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(
        on_server(&list),
        vec![
            (london(2031, 6, 2, 10, 0), "scheduled".to_owned()),
            (london(2031, 6, 9, 14, 0), "scheduled".to_owned()),
            (
                london(2031, 6, 23, 14, 0),
                AppointmentStatus::Cancelled.as_str().to_owned()
            ),
        ]
    );
    assert_eq!(
        sys.server_rows("series", "admin").await?,
        medoffice_e2e::cache_rows(&desk).await?,
        "the workstation holds what the server holds"
    );
    Ok(())
}
