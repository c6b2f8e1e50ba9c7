//! The clinic-wide waiting room across two real workstations (issue 12): a visit checked in at
//! the front desk appears as waiting on the exam room's board through the feed and WebSocket (no
//! polling), is shown to a room (from the desk while it is offline: the change waits in its
//! outbox and reaches the other board when it is back), goes to the clinician and is done; a
//! room out of use, or one from another clinic, is refused.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use chrono::{TimeZone, Utc};
use medoffice_client::view::{ConnectionState, ErrorCode};
use medoffice_client::Workstation;
use medoffice_e2e::proxy::Proxy;
use medoffice_e2e::{new_patient, wait_for, Http, System};
use medoffice_model::{AppointmentStatus, FlowState};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn state_on(ws: &Workstation, id: Uuid) -> Option<(FlowState, Option<String>)> {
    ws.flow_board()
        .await
        .ok()?
        .rows
        .into_iter()
        .find(|r| r.row.appointment.record.id == id)
        .map(|r| (r.state, r.room_name))
}

async fn shows(
    ws: &Workstation,
    id: Uuid,
    state: FlowState,
    room: Option<&str>,
) -> anyhow::Result<()> {
    let wanted = Some((state, room.map(str::to_owned)));
    if wait_for(Duration::from_secs(30), || async {
        state_on(ws, id).await == wanted
    })
    .await
    .is_err()
    {
        anyhow::bail!(
            "wanted {wanted:?}, the board shows {:?}",
            state_on(ws, id).await
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_waiting_room_is_the_same_on_every_workstation_online_and_after_offline_work(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("flow", "Europe/London").await?;
    sys.clinic("other", "Europe/London").await?;
    let http = Http::new(&sys.server.url());
    let admin = http.token("flow", "admin").await?;
    let mut rooms = Vec::new();
    for name in ["Room 1", "Room 2", "Triage"] {
        let (s, r) = http
            .call(
                Method::POST,
                "/api/v1/rooms",
                Some(&admin),
                Some(json!({ "name": name })),
            )
            .await?;
        assert_eq!(s, 201, "{r}");
        rooms.push(serde_json::from_value::<Uuid>(r["id"].clone())?);
    }
    let (s, dup) = http
        .call(
            Method::POST,
            "/api/v1/rooms",
            Some(&admin),
            Some(json!({ "name": " room 1 " })),
        )
        .await?;
    assert_eq!(s, 409, "a name in use, whatever its case: {dup}");
    let (s, again) = http
        .call(
            Method::POST,
            "/api/v1/rooms",
            Some(&admin),
            Some(json!({ "id": rooms[0], "name": "Room 1" })),
        )
        .await?;
    assert_eq!(s, 200, "the same room again: {again}");
    let (s, other_name) = http
        .call(
            Method::POST,
            "/api/v1/rooms",
            Some(&admin),
            Some(json!({ "id": rooms[0], "name": "Room 9" })),
        )
        .await?;
    assert_eq!(s, 409, "its id with another name: {other_name}");
    // the clinic's address and phone, as printed: checked, trimmed, never a 500
    let long = format!("{}\n", "x".repeat(300));
    let (s, t) = http
        .call(
            Method::PATCH,
            "/api/v1/tenant",
            Some(&admin),
            Some(json!({ "address": long, "phone": " +1 (413) 555-0100 " })),
        )
        .await?;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["phone"], "+1 (413) 555-0100");
    let (s, t) = http
        .call(
            Method::PATCH,
            "/api/v1/tenant",
            Some(&admin),
            Some(json!({ "phone": "call reception" })),
        )
        .await?;
    assert_eq!(s, 422, "{t}");
    let (s, t) = http
        .call(
            Method::PATCH,
            "/api/v1/tenant",
            Some(&admin),
            Some(json!({ "address": "\n" })),
        )
        .await?;
    assert_eq!(s, 200, "{t}");
    assert!(t["address"].is_null(), "a blank address clears it: {t}");
    let (s, _) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/rooms/{}", rooms[2]),
            Some(&admin),
            Some(json!({ "active": false })),
        )
        .await?;
    assert_eq!(s, 200);
    let other_admin = http.token("other", "admin").await?;
    let (_, theirs) = http
        .call(
            Method::POST,
            "/api/v1/rooms",
            Some(&other_admin),
            Some(json!({ "name": "Their room" })),
        )
        .await?;
    let their_room: Uuid = serde_json::from_value(theirs["id"].clone())?;

    // a visit of today, booked to start just after the clinic's midnight (so it is today's
    // whenever the test runs), with the doctor
    let (_, p) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&admin),
            Some(serde_json::to_value(new_patient("Ada", "Flowers"))?),
        )
        .await?;
    let (_, me) = http
        .call(
            Method::GET,
            "/api/v1/auth/me",
            Some(&http.token("flow", "doctor").await?),
            None,
        )
        .await?;
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive();
    let start = chrono_tz::Europe::London
        .from_local_datetime(&today.and_hms_opt(0, 1, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    let (s, a) = http
        .call(
            Method::POST,
            "/api/v1/appointments",
            Some(&admin),
            Some(json!({"patient_id": p["id"], "provider_id": me["id"], "starts_at": start, "duration_minutes": 15, "kind": "follow_up"})),
        )
        .await?;
    assert_eq!(s, 201, "{a}");
    let visit: Uuid = serde_json::from_value(a["id"].clone())?;

    let proxy = Proxy::start(sys.server_addr()?).await?;
    let (desk, _d1) = sys
        .workstation_at(&proxy.url(), "flow", "reception")
        .await?;
    let (exam, _d2) = sys.workstation("flow", "nurse").await?;
    let (expected, _) = wait_for_row(&exam, visit).await?;
    assert!(
        matches!(
            expected,
            FlowState::Expected | FlowState::Late | FlowState::NotArrived
        ),
        "{expected:?}"
    );
    let board = exam.flow_board().await.map_err(err)?;
    assert_eq!(board.rooms.len(), 2, "rooms in use only: {:?}", board.rooms);

    // checked in at the desk: waiting on the exam room's board
    desk.set_appointment_status(visit, AppointmentStatus::CheckedIn, None)
        .await
        .map_err(err)?;
    shows(&exam, visit, FlowState::Waiting, None).await?;

    // a room out of use or of another clinic is refused at once; the server refuses the other
    // clinic's room too
    let e = desk
        .set_appointment_room(visit, Some(rooms[2]))
        .await
        .expect_err("out of use");
    assert_eq!(e.code, ErrorCode::Validation, "{e:?}");
    let e = desk
        .set_appointment_room(visit, Some(their_room))
        .await
        .expect_err("another clinic's");
    assert_eq!(e.code, ErrorCode::Validation, "{e:?}");
    let (_, current) = http
        .call(
            Method::GET,
            &format!(
                "/api/v1/appointments?patient_id={}",
                p["id"].as_str().unwrap()
            ),
            Some(&admin),
            None,
        )
        .await?;
    let (s, body) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/appointments/{visit}"),
            Some(&admin),
            Some(json!({"base_revision": current["data"][0]["revision"], "room_id": their_room})),
        )
        .await?;
    assert_eq!(s, 422, "{body}");
    assert_eq!(body["errors"]["room_id"][0], "no such room in this clinic");

    // the desk, offline, shows her to Room 2: pending there, and on the other board once back
    proxy.set_online(false);
    wait_for(Duration::from_secs(30), || async {
        desk.status().state != ConnectionState::Online
    })
    .await
    .map_err(|e| anyhow::anyhow!("going offline: {e}"))?;
    let row = desk
        .set_appointment_room(visit, Some(rooms[1]))
        .await
        .map_err(err)?;
    assert!(row.appointment.pending);
    assert_eq!(
        state_on(&desk, visit).await,
        Some((FlowState::InRoom, Some("Room 2".into())))
    );
    assert_eq!(
        state_on(&exam, visit).await,
        Some((FlowState::Waiting, None))
    );
    proxy.set_online(true);
    shows(&exam, visit, FlowState::InRoom, Some("Room 2")).await?;
    let board = exam.flow_board().await.map_err(err)?;
    assert_eq!(
        board
            .rooms
            .iter()
            .find(|r| r.room.id == rooms[1])
            .and_then(|r| r.appointment_id),
        Some(visit),
        "Room 2 is taken by her"
    );

    // the server's board (for a waiting-room display) says the same, by the same rule; another
    // clinic's shows none of it; who looked at it, and at whom, is in the audit log
    let (s, served) = http
        .call(
            Method::GET,
            &format!("/api/v1/flow-board?date={today}"),
            Some(&http.token("flow", "reception").await?),
            None,
        )
        .await?;
    assert_eq!(s, 200, "{served}");
    assert_eq!(served["date"], today.to_string());
    assert_eq!(served["time_zone"], "Europe/London");
    let v = &served["visits"][0];
    assert_eq!(served["visits"].as_array().unwrap().len(), 1, "{served}");
    assert_eq!(v["appointment"]["id"], visit.to_string());
    assert_eq!(v["state"], "in_room");
    assert_eq!(v["room_name"], "Room 2");
    assert_eq!(v["patient_name"], "Flowers, Ada");
    assert_eq!(v["patient_mrn"], p["mrn"]);
    assert!(v["waiting_minutes"].as_i64().is_some_and(|m| m >= 0), "{v}");
    let taken: Vec<(&str, &serde_json::Value)> = served["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["room"]["name"].as_str().unwrap(), &r["appointment_id"]))
        .collect();
    assert_eq!(
        taken,
        vec![("Room 1", &json!(null)), ("Room 2", &json!(visit))],
        "rooms in use, by name, with who is in each"
    );
    let (s, theirs) = http
        .call(Method::GET, "/api/v1/flow-board", Some(&other_admin), None)
        .await?;
    assert_eq!(s, 200, "{theirs}");
    assert_eq!(
        theirs["visits"],
        json!([]),
        "another clinic's board: {theirs}"
    );
    let (s, bad) = http
        .call(
            Method::GET,
            "/api/v1/flow-board?date=yesterday",
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(s, 400, "{bad}");
    let (_, log) = http
        .call(
            Method::GET,
            "/api/v1/audit?action=flow_board.read",
            Some(&admin),
            None,
        )
        .await?;
    let items = log["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "one entry per visit shown, this clinic's: {log}"
    );
    assert_eq!(items[0]["username"], "reception");
    assert_eq!(
        items[0]["patient_id"], p["id"],
        "found among her accesses: {log}"
    );
    assert_eq!(items[0]["entity_id"], visit.to_string());

    // with the clinician, then done: the desk sees both
    exam.set_appointment_status(visit, AppointmentStatus::InProgress, None)
        .await
        .map_err(err)?;
    shows(&desk, visit, FlowState::WithClinician, Some("Room 2")).await?;
    exam.set_appointment_status(visit, AppointmentStatus::Completed, None)
        .await
        .map_err(err)?;
    shows(&desk, visit, FlowState::Done, Some("Room 2")).await?;
    let board = desk.flow_board().await.map_err(err)?;
    assert!(
        board.rooms.iter().all(|r| r.appointment_id.is_none()),
        "every room free again"
    );
    assert_eq!(
        sys.server_rows("flow", "admin").await?,
        medoffice_e2e::cache_rows(&desk).await?,
        "the desk holds what the server holds, rooms included"
    );
    Ok(())
}

async fn wait_for_row(ws: &Workstation, id: Uuid) -> anyhow::Result<(FlowState, Option<String>)> {
    wait_for(Duration::from_secs(30), || async {
        state_on(ws, id).await.is_some()
    })
    .await?;
    state_on(ws, id)
        .await
        .ok_or_else(|| anyhow::anyhow!("not on the board"))
}
