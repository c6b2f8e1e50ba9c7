//! The clinic's availability end to end (issue 12): an admin sets opening hours, a provider's
//! working hours with a lunch break and a block over the REST API; the server refuses a booking
//! or a move outside them naming why, and takes an audited override with a reason from a role
//! that may; a workstation refuses at once from its cache, online or offline; a booking made
//! offline that the hours refuse comes back as a refused change; the rows reach every
//! workstation through the feed and stay in their clinic.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use chrono::{TimeZone, Utc};
use chrono_tz::Europe::London;
use medoffice_client::view::{ConnectionState, ErrorCode, ReviewItem};
use medoffice_client::Workstation;
use medoffice_e2e::proxy::Proxy;
use medoffice_e2e::{new_patient, wait_for, Http, System};
use medoffice_model::{AppointmentKind, NewAppointment};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// A London wall-clock time as a UTC instant.
fn london(y: i32, m: u32, d: u32, hh: u32, mm: u32) -> chrono::DateTime<Utc> {
    London
        .with_ymd_and_hms(y, m, d, hh, mm, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn visit(patient: Uuid, provider: Uuid, at: chrono::DateTime<Utc>) -> NewAppointment {
    NewAppointment {
        id: None,
        patient_id: patient,
        provider_id: provider,
        starts_at: at,
        duration_minutes: 30,
        kind: AppointmentKind::FollowUp,
        reason: Some("Blood pressure review".into()),
        notes: None,
        overbooked: None,
        outside_hours_reason: None,
        series_id: None,
        visit_type_id: None,
    }
}

async fn settled(ws: &Workstation) -> anyhow::Result<()> {
    wait_for(Duration::from_secs(30), || async {
        let st = ws.status();
        st.state == ConnectionState::Online && st.pending == 0
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}: {:?}", ws.status()))?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bookings_honour_the_clinics_hours_with_the_server_as_the_authority() -> anyhow::Result<()>
{
    let sys = System::start().await?;
    sys.clinic("hours", "Europe/London").await?;
    sys.clinic("elsewhere", "Europe/London").await?;
    let http = Http::new(&sys.server.url());
    let admin = http.token("hours", "admin").await?;
    let reception = http.token("hours", "reception").await?;
    let doctor_token = http.token("hours", "doctor").await?;
    let (_, me) = http
        .call(Method::GET, "/api/v1/auth/me", Some(&doctor_token), None)
        .await?;
    let doctor: Uuid = serde_json::from_value(me["id"].clone())?;
    let (_, p) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&reception),
            Some(serde_json::to_value(new_patient("Ada", "Quill"))?),
        )
        .await?;
    let patient: Uuid = serde_json::from_value(p["id"].clone())?;

    // a workstation behind a proxy the test can cut, synced before any hours exist
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let (desk, _d) = sys
        .workstation_at(&proxy.url(), "hours", "reception")
        .await?;
    settled(&desk).await?;

    // no hours yet: a Sunday evening is bookable, as before hours existed
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&reception),
            Some(serde_json::to_value(visit(
                patient,
                doctor,
                london(2031, 6, 1, 20, 0),
            ))?),
        )
        .await?;
    assert_eq!(s, 201);

    // bad hours are refused naming the stretch; only an admin may set them
    let bad = json!({"available_time": [{"day_of_week": "mon", "start": "18:00", "end": "08:00"}]});
    let (s, body) = http
        .call(
            Method::PUT,
            "/api/v1/availability/clinic",
            Some(&admin),
            Some(bad),
        )
        .await?;
    assert_eq!(s, 422, "{body}");
    assert!(
        body["errors"]["available_time[0]"][0]
            .as_str()
            .unwrap()
            .contains("after start"),
        "{body}"
    );
    let weekdays = ["mon", "tue", "wed", "thu", "fri"];
    let stretches: Vec<_> = weekdays
        .iter()
        .map(|d| json!({"day_of_week": d, "start": "08:00", "end": "18:00"}))
        .collect();
    let week = json!({ "available_time": stretches });
    let (s, _) = http
        .call(
            Method::PUT,
            "/api/v1/availability/clinic",
            Some(&reception),
            Some(week.clone()),
        )
        .await?;
    assert_eq!(s, 403, "a receptionist may not set the hours");
    let (s, clinic) = http
        .call(
            Method::PUT,
            "/api/v1/availability/clinic",
            Some(&admin),
            Some(week),
        )
        .await?;
    assert_eq!(s, 200, "{clinic}");
    let stretches: Vec<_> = weekdays
        .iter()
        .flat_map(|d| {
            [
                json!({"day_of_week": d, "start": "09:00", "end": "12:30"}),
                json!({"day_of_week": d, "start": "13:30", "end": "17:00"}),
            ]
        })
        .collect();
    let lunch = json!({ "available_time": stretches });
    let (s, _) = http
        .call(
            Method::PUT,
            &format!("/api/v1/availability/providers/{doctor}"),
            Some(&admin),
            Some(lunch),
        )
        .await?;
    assert_eq!(s, 200);
    // Tuesday 3 June 2031: a practice meeting 15:00–16:00
    let (s, block) = http
        .call(
            Method::POST,
            "/api/v1/schedule-blocks",
            Some(&admin),
            Some(json!({"provider_id": doctor, "starts_at": london(2031, 6, 3, 15, 0),
                "ends_at": london(2031, 6, 3, 16, 0), "kind": "meeting", "reason": "Practice meeting"})),
        )
        .await?;
    assert_eq!(s, 201, "{block}");

    // the server refuses, naming why, for each kind of refusal
    for (at, expect, unavailable) in [
        (
            london(2031, 6, 1, 10, 0),
            "The clinic is closed on Sundays",
            "clinic_closed_day",
        ),
        (
            london(2031, 6, 2, 12, 45),
            "Outside Dr. Dora Doctor's hours that day (09:00–12:30, 13:30–17:00)",
            "outside_provider_hours",
        ),
        (
            london(2031, 6, 2, 8, 30),
            "Outside Dr. Dora Doctor's hours",
            "outside_provider_hours",
        ),
        (
            london(2031, 6, 3, 15, 30),
            "Dr. Dora Doctor is not available then: Practice meeting",
            "blocked",
        ),
    ] {
        let (s, body) = http
            .call(
                Method::POST,
                "/api/v1/appointments",
                Some(&reception),
                Some(serde_json::to_value(visit(patient, doctor, at))?),
            )
            .await?;
        assert_eq!(s, 409, "{at}: {body}");
        assert!(
            body["message"].as_str().unwrap().starts_with(expect),
            "{at}: {body}"
        );
        assert_eq!(body["details"]["unavailable"], unavailable, "{body}");
    }

    // an override: not for a receptionist; a physician's, with a reason, is kept and audited
    let mut sunday = visit(patient, doctor, london(2031, 6, 1, 10, 0));
    sunday.outside_hours_reason = Some("Only day the patient's carer can bring her".into());
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&reception),
            Some(serde_json::to_value(&sunday)?),
        )
        .await?;
    assert_eq!(s, 403);
    let (s, booked) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&doctor_token),
            Some(serde_json::to_value(&sunday)?),
        )
        .await?;
    assert_eq!(s, 201, "{booked}");
    assert_eq!(
        booked["outside_hours_reason"],
        "Only day the patient's carer can bring her"
    );
    let overridden: Uuid = serde_json::from_value(booked["id"].clone())?;
    let (_, audit) = http
        .call(
            Method::GET,
            "/api/v1/audit?action=appointment.outside_hours",
            Some(&admin),
            None,
        )
        .await?;
    assert!(
        audit.to_string().contains(&overridden.to_string()),
        "{audit}"
    );

    // a move into lunch is refused; a move back inside the hours drops the override
    let (s, inside) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&reception),
            Some(serde_json::to_value(visit(
                patient,
                doctor,
                london(2031, 6, 2, 11, 0),
            ))?),
        )
        .await?;
    assert_eq!(s, 201, "{inside}");
    let (s, body) = http
        .call(Method::PATCH, &format!("/api/v1/appointments/{}", inside["id"].as_str().unwrap()),
            Some(&reception),
            Some(json!({"base_revision": inside["revision"], "starts_at": london(2031, 6, 2, 12, 30)})))
        .await?;
    assert_eq!(s, 409, "{body}");
    assert_eq!(body["details"]["unavailable"], "outside_provider_hours");
    let (s, moved) = http
        .call(Method::PATCH, &format!("/api/v1/appointments/{overridden}"), Some(&doctor_token),
            Some(json!({"base_revision": booked["revision"], "starts_at": london(2031, 6, 2, 14, 0)})))
        .await?;
    assert_eq!(s, 200, "{moved}");
    assert!(moved["outside_hours_reason"].is_null(), "{moved}");
    // moved out of the hours again: an earlier reason does not carry over; a new one does, and
    // the move is audited as an override too
    let (s, body) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/appointments/{overridden}"),
            Some(&doctor_token),
            Some(
                json!({"base_revision": moved["revision"], "starts_at": london(2031, 6, 8, 10, 0)}),
            ),
        )
        .await?;
    assert_eq!(s, 409, "{body}");
    let (s, again) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/appointments/{overridden}"),
            Some(&doctor_token),
            Some(
                json!({"base_revision": moved["revision"], "starts_at": london(2031, 6, 8, 10, 0),
                "outside_hours_reason": "Carer free on Sundays only"}),
            ),
        )
        .await?;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["outside_hours_reason"], "Carer free on Sundays only");
    let (_, audit) = http
        .call(
            Method::GET,
            "/api/v1/audit?action=appointment.outside_hours",
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(
        audit.to_string().matches(&overridden.to_string()).count(),
        2,
        "{audit}"
    );
    // a start far outside any clinic's calendar is a field error, never date arithmetic that
    // overflows
    let mut far = visit(patient, doctor, london(2031, 6, 2, 11, 0));
    far.starts_at = Utc
        .with_ymd_and_hms(200_000, 1, 1, 0, 0, 0)
        .single()
        .unwrap();
    let (s, body) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&reception),
            Some(serde_json::to_value(&far)?),
        )
        .await?;
    assert_eq!(s, 422, "{body}");
    assert!(body["errors"]["starts_at"].is_array(), "{body}");

    // the workstation has the hours from the feed and refuses at once, naming why
    settled(&desk).await?;
    let view = desk
        .availability(
            chrono::NaiveDate::from_ymd_opt(2031, 6, 2).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2031, 6, 3).unwrap(),
        )
        .await
        .map_err(err)?;
    assert!(view.clinic.is_some());
    assert_eq!(view.blocks.len(), 1);
    let open = &view
        .open
        .iter()
        .find(|o| o.provider_id == doctor)
        .unwrap()
        .intervals;
    // Monday 09:00–12:30 and 13:30–17:00 (BST), Tuesday the same less the meeting
    assert_eq!(open.len(), 5, "{open:?}");
    assert_eq!(open[0].starts_at, london(2031, 6, 2, 9, 0));
    assert_eq!(open[4].starts_at, london(2031, 6, 3, 16, 0));
    let e = desk
        .book_appointment(visit(patient, doctor, london(2031, 6, 1, 11, 0)))
        .await
        .expect_err("closed on Sundays");
    assert_eq!(e.code, ErrorCode::OutsideAvailability, "{e:?}");
    assert_eq!(e.message, "The clinic is closed on Sundays");
    let mut override_here = visit(patient, doctor, london(2031, 6, 1, 11, 0));
    override_here.outside_hours_reason = Some("carer".into());
    let e = desk
        .book_appointment(override_here)
        .await
        .expect_err("a receptionist may not override");
    assert_eq!(e.code, ErrorCode::Forbidden, "{e:?}");

    // offline, the cache still refuses at once
    proxy.set_online(false);
    wait_for(Duration::from_secs(30), || async {
        desk.status().state != ConnectionState::Online
    })
    .await
    .map_err(|e| anyhow::anyhow!("going offline: {e}"))?;
    let e = desk
        .book_appointment(visit(patient, doctor, london(2031, 6, 3, 15, 0)))
        .await
        .expect_err("the meeting");
    assert_eq!(
        e.message,
        "Dr. Dora Doctor is not available then: Practice meeting"
    );
    // a booking the cache allows, but that the server refuses once the hours change meanwhile
    let late = desk
        .book_appointment(visit(patient, doctor, london(2031, 6, 4, 16, 0)))
        .await
        .map_err(err)?;
    assert!(late.appointment.pending);
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/schedule-blocks",
            Some(&admin),
            Some(
                json!({"starts_at": london(2031, 6, 4, 0, 0), "ends_at": london(2031, 6, 5, 0, 0),
                "kind": "holiday", "reason": "Staff training day"}),
            ),
        )
        .await?;
    assert_eq!(s, 201);
    proxy.set_online(true);
    wait_for(Duration::from_secs(60), || async {
        let st = desk.status();
        st.rejected == 1 && st.pending == 0
    })
    .await?;
    let review = desk.review_list().await.map_err(err)?;
    let reason = review
        .items
        .iter()
        .find_map(|i| match i {
            ReviewItem::Refused {
                entity_id, reason, ..
            } if *entity_id == late.appointment.record.id => Some(reason.clone()),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("no refused booking: {review:?}"))?;
    assert_eq!(reason, "The clinic is closed then: Staff training day");
    assert!(sys
        .server_rows("hours", "admin")
        .await?
        .get("appointment")
        .is_some_and(|m| !m.contains_key(&late.appointment.record.id)));
    // discarded, the workstation holds what the server holds
    let mutation_id = review
        .items
        .iter()
        .find_map(|i| match i {
            ReviewItem::Refused {
                entity_id,
                mutation_id,
                ..
            } if *entity_id == late.appointment.record.id => Some(*mutation_id),
            _ => None,
        })
        .unwrap();
    desk.discard(mutation_id).await.map_err(err)?;

    // removed hours and blocks reach the workstation; another clinic sees none of it
    let (s, _) = http
        .call(
            Method::DELETE,
            &format!("/api/v1/availability/providers/{doctor}"),
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(s, 204);
    let (s, _) = http
        .call(
            Method::DELETE,
            &format!("/api/v1/schedule-blocks/{}", block["id"].as_str().unwrap()),
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(s, 204);
    wait_for(Duration::from_secs(30), || async {
        desk.availability(
            chrono::NaiveDate::from_ymd_opt(2031, 6, 3).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2031, 6, 3).unwrap(),
        )
        .await
        .is_ok_and(|v| v.providers.is_empty() && v.blocks.is_empty())
    })
    .await?;
    assert_eq!(
        sys.server_rows("hours", "admin").await?,
        medoffice_e2e::cache_rows(&desk).await?,
        "the workstation holds what the server holds, hours and blocks included"
    );
    let other = http.token("elsewhere", "admin").await?;
    let (s, theirs) = http
        .call(Method::GET, "/api/v1/availability", Some(&other), None)
        .await?;
    assert_eq!(s, 200);
    assert_eq!(theirs, json!({"availability": [], "blocks": []}));
    let (s, _) = http
        .call(
            Method::DELETE,
            &format!("/api/v1/schedule-blocks/{}", block["id"].as_str().unwrap()),
            Some(&other),
            None,
        )
        .await?;
    assert_eq!(s, 404, "another clinic's block is unknown here");
    Ok(())
}
