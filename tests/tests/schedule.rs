//! The schedule on real workstations against the real server: a week read in the clinic's
//! time zone, a booking moved (only the changed fields, from the revision seen), a move into
//! a taken slot refused at once naming the booking, and a move the server refuses coming back
//! through the review list.

use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use medoffice_client::view::{ConnectionState, ErrorCode, ReviewItem};
use medoffice_client::Workstation;
use medoffice_e2e::proxy::Proxy;
use medoffice_e2e::{new_patient, wait_for, System};
use medoffice_model::{AppointmentKind, AppointmentStatus, NewAppointment};
use uuid::Uuid;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// A wall-clock time in New York (the clinic's zone) as a UTC instant.
fn ny(y: i32, m: u32, d: u32, hh: u32, mm: u32) -> chrono::DateTime<Utc> {
    New_York
        .with_ymd_and_hms(y, m, d, hh, mm, 0)
        .single()
        .expect("a New York time")
        .with_timezone(&Utc)
}

async fn drained(ws: &Workstation) -> anyhow::Result<()> {
    wait_for(Duration::from_secs(30), || async {
        let st = ws.status();
        st.state == ConnectionState::Online && st.pending == 0
    })
    .await?;
    Ok(())
}

async fn book(
    ws: &Workstation,
    patient: Uuid,
    provider: Uuid,
    at: chrono::DateTime<Utc>,
    minutes: i32,
) -> anyhow::Result<Uuid> {
    Ok(ws
        .book_appointment(NewAppointment {
            id: None,
            patient_id: patient,
            provider_id: provider,
            starts_at: at,
            duration_minutes: minutes,
            kind: AppointmentKind::FollowUp,
            reason: Some("review".into()),
            notes: None,
            overbooked: None,
            outside_hours_reason: None,
            series_id: None,
            visit_type_id: None,
        })
        .await
        .map_err(err)?
        .appointment
        .record
        .id)
}

/// A clinic in New York time with an outpost (the receptionist, reaching the server through a
/// proxy the test can cut) and a desk (the nurse, directly), both synced; and the doctor's id.
struct Sites {
    sys: System,
    proxy: Proxy,
    outpost: Workstation,
    desk: Workstation,
    doctor: Uuid,
    /// The workstations' data folders, removed when dropped.
    dirs: (tempfile::TempDir, tempfile::TempDir),
}

impl Sites {
    async fn start(clinic: &str) -> anyhow::Result<Sites> {
        let sys = System::start().await?;
        sys.clinic(clinic, "America/New_York").await?;
        let proxy = Proxy::start(sys.server_addr()?).await?;
        let (outpost, d1) = sys
            .workstation_at(&proxy.url(), clinic, "reception")
            .await?;
        let (desk, d2) = sys.workstation(clinic, "nurse").await?;
        drained(&outpost).await?;
        drained(&desk).await?;
        let doctor = desk
            .staff()
            .await
            .map_err(err)?
            .into_iter()
            .find(|s| s.username == "doctor")
            .ok_or_else(|| anyhow::anyhow!("no doctor"))?
            .id;
        Ok(Sites {
            sys,
            proxy,
            outpost,
            desk,
            doctor,
            dirs: (d1, d2),
        })
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_week_is_read_in_the_clinic_zone_and_a_booking_moves_unless_the_slot_is_taken(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("weekly", "America/New_York").await?;
    let (desk, _d1) = sys.workstation("weekly", "reception").await?;
    let (exam, _d2) = sys.workstation("weekly", "doctor").await?;
    drained(&desk).await?;
    let doctor = exam.session().await.map_err(err)?.user.id;
    let nurse = desk
        .staff()
        .await
        .map_err(err)?
        .into_iter()
        .find(|s| s.username == "nurse")
        .ok_or_else(|| anyhow::anyhow!("no nurse"))?
        .id;
    let ana = desk
        .register_patient(new_patient("Ana", "Quispe"))
        .await
        .map_err(err)?
        .record
        .id;
    let ben = desk
        .register_patient(new_patient("Ben", "Okafor"))
        .await
        .map_err(err)?
        .record
        .id;
    drained(&desk).await?;

    // Monday 2031-06-30 .. Sunday 2031-07-06; 23:30 on Tuesday is already Wednesday in UTC
    let a = book(&desk, ana, doctor, ny(2031, 7, 1, 9, 0), 30).await?;
    let b = book(&desk, ben, doctor, ny(2031, 7, 1, 10, 0), 15).await?;
    let late = book(&desk, ben, doctor, ny(2031, 7, 1, 23, 30), 20).await?;
    let next_week = book(&desk, ana, doctor, ny(2031, 7, 7, 9, 0), 15).await?;
    let other_provider = book(&desk, ben, nurse, ny(2031, 7, 3, 9, 0), 15).await?;
    drained(&desk).await?;

    let ids = |rows: &[medoffice_client::view::AppointmentRow]| -> Vec<Uuid> {
        rows.iter().map(|r| r.appointment.record.id).collect()
    };
    let week = desk
        .appointments_between_dates(date(2031, 6, 30), date(2031, 7, 6), Some(doctor))
        .await
        .map_err(err)?;
    assert_eq!(ids(&week), vec![a, b, late], "the doctor's week, by time");
    let clinic = desk
        .appointments_between_dates(date(2031, 6, 30), date(2031, 7, 6), None)
        .await
        .map_err(err)?;
    assert_eq!(ids(&clinic), vec![a, b, late, other_provider]);
    assert!(!ids(&clinic).contains(&next_week));
    let tuesday = desk
        .appointments_between_dates(date(2031, 7, 1), date(2031, 7, 1), None)
        .await
        .map_err(err)?;
    assert_eq!(
        ids(&tuesday),
        ids(&desk
            .day_appointments(date(2031, 7, 1), None)
            .await
            .map_err(err)?),
        "one day by dates is the day view"
    );
    assert!(desk
        .appointments_between_dates(date(2031, 7, 2), date(2031, 7, 1), None)
        .await
        .map_err(err)?
        .is_empty());

    // into Ben's slot: refused at once, naming Ben's booking, and nothing is queued
    let before = desk.outbox().await.map_err(err)?.len();
    let refused = desk
        .move_appointment(a, ny(2031, 7, 1, 9, 50), 30, doctor, None)
        .await
        .expect_err("the slot is taken");
    assert_eq!(refused.code, ErrorCode::Conflict);
    assert_eq!(refused.conflicting_appointment_id, Some(b));
    assert!(
        refused.message.contains("Okafor, Ben"),
        "the clash names the patient: {}",
        refused.message
    );
    assert_eq!(desk.outbox().await.map_err(err)?.len(), before);
    let still = desk
        .day_appointments(date(2031, 7, 1), Some(doctor))
        .await
        .map_err(err)?;
    assert_eq!(still[0].appointment.record.starts_at, ny(2031, 7, 1, 9, 0));

    // refused fields, in words, on their fields
    for (at, minutes, who, field) in [
        (ny(2031, 7, 1, 9, 0), 4, doctor, "duration_minutes"),
        (ny(2020, 7, 1, 9, 0), 30, doctor, "starts_at"),
        (ny(2031, 7, 1, 9, 0), 30, Uuid::new_v4(), "provider_id"),
    ] {
        let e = desk
            .move_appointment(a, at, minutes, who, None)
            .await
            .expect_err("invalid move");
        assert_eq!(e.code, ErrorCode::Validation, "{e:?}");
        assert!(
            e.fields.as_ref().is_some_and(|f| f.0.contains_key(field)),
            "{field}: {e:?}"
        );
    }

    // Ana's visit moves to Thursday 08:15 for 45 minutes: the Tuesday view loses it at once
    let moved = desk
        .move_appointment(a, ny(2031, 7, 3, 8, 15), 45, doctor, None)
        .await
        .map_err(err)?;
    assert!(moved.appointment.pending);
    assert_eq!(moved.appointment.record.starts_at, ny(2031, 7, 3, 8, 15));
    let queued = desk.outbox().await.map_err(err)?;
    let m = &queued.last().expect("the move is queued").mutation;
    assert_eq!(m.id, a);
    assert!(m.kind.base_revision().is_some_and(|r| r > 0));
    let data = m.data();
    let mut keys: Vec<&String> = data.as_object().expect("fields").keys().collect();
    keys.sort();
    assert_eq!(keys, ["duration_minutes", "starts_at"], "only what changed");
    // before it is sent, the mover's own views show it where it is going
    let tue = desk
        .day_appointments(date(2031, 7, 1), None)
        .await
        .map_err(err)?;
    assert!(
        !ids(&tue).contains(&a),
        "moved out of Tuesday while pending"
    );
    let thu = desk
        .day_appointments(date(2031, 7, 3), None)
        .await
        .map_err(err)?;
    assert!(ids(&thu).contains(&a), "moved into Thursday while pending");
    drained(&desk).await?;
    wait_for(Duration::from_secs(30), || async {
        exam.appointments_between_dates(date(2031, 7, 3), date(2031, 7, 3), Some(doctor))
            .await
            .is_ok_and(|r| {
                r.iter().any(|x| {
                    x.appointment.record.id == a
                        && x.appointment.record.duration_minutes == 45
                        && !x.appointment.pending
                })
            })
    })
    .await?;
    assert!(!ids(&exam
        .day_appointments(date(2031, 7, 1), None)
        .await
        .map_err(err)?)
    .contains(&a));

    // onto another provider's column; then the nurse's 09:00 blocks a move of Ben's 10:00 there
    let e = desk
        .move_appointment(b, ny(2031, 7, 3, 9, 5), 15, nurse, None)
        .await
        .expect_err("the nurse is busy");
    assert_eq!(e.conflicting_appointment_id, Some(other_provider));
    desk.move_appointment(b, ny(2031, 7, 3, 9, 15), 15, nurse, None)
        .await
        .map_err(err)?;
    drained(&desk).await?;
    let thursday = desk
        .appointments_between_dates(date(2031, 7, 3), date(2031, 7, 3), Some(nurse))
        .await
        .map_err(err)?;
    assert_eq!(ids(&thursday), vec![other_provider, b]);

    // only scheduled or checked-in visits move
    desk.set_appointment_status(
        late,
        AppointmentStatus::Cancelled,
        Some("called off".into()),
    )
    .await
    .map_err(err)?;
    let e = desk
        .move_appointment(late, ny(2031, 7, 2, 9, 0), 20, doctor, None)
        .await
        .expect_err("cancelled");
    assert!(
        e.fields
            .as_ref()
            .is_some_and(|f| f.0.contains_key("status")),
        "{e:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_move_the_server_refuses_comes_back_for_review_and_the_booking_stays(
) -> anyhow::Result<()> {
    let Sites {
        sys: _sys,
        proxy,
        outpost,
        desk,
        doctor,
        dirs: _dirs,
    } = Sites::start("authority").await?;
    let p = outpost
        .register_patient(new_patient("Hal", "Moved"))
        .await
        .map_err(err)?
        .record
        .id;
    let mine = book(&outpost, p, doctor, ny(2031, 8, 5, 9, 0), 15).await?;
    drained(&outpost).await?;
    wait_for(Duration::from_secs(30), || async {
        desk.patient_chart(p)
            .await
            .is_ok_and(|c| !c.patient.pending)
    })
    .await?;

    // the outpost loses the link and moves its booking to 11:00; the desk gives 11:00 away
    proxy.set_online(false);
    wait_for(Duration::from_secs(30), || async {
        outpost.status().state != ConnectionState::Online
    })
    .await?;
    outpost
        .move_appointment(mine, ny(2031, 8, 5, 11, 0), 15, doctor, None)
        .await
        .map_err(err)?;
    let theirs = book(&desk, p, doctor, ny(2031, 8, 5, 11, 0), 15).await?;
    drained(&desk).await?;
    proxy.set_online(true);
    wait_for(Duration::from_secs(60), || async {
        let st = outpost.status();
        st.rejected == 1 && st.pending == 0
    })
    .await?;
    let review = outpost.review_list().await.map_err(err)?;
    let (mutation_id, clash) = review
        .items
        .iter()
        .find_map(|i| match i {
            ReviewItem::Refused {
                mutation_id,
                entity_id,
                conflicting_appointment_id,
                ..
            } if *entity_id == mine => Some((*mutation_id, *conflicting_appointment_id)),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("no refused move: {review:?}"))?;
    assert_eq!(clash, Some(theirs), "the refusal names the booking");
    // meanwhile the booking shows where the server has it, marked refused
    let day = outpost
        .day_appointments(date(2031, 8, 5), Some(doctor))
        .await
        .map_err(err)?;
    let row = day
        .iter()
        .find(|r| r.appointment.record.id == mine)
        .expect("still booked");
    assert_eq!(row.appointment.record.starts_at, ny(2031, 8, 5, 9, 0));
    assert!(row.appointment.rejected.is_some());
    outpost.discard(mutation_id).await.map_err(err)?;
    assert_eq!(outpost.status().rejected, 0);
    Ok(())
}

/// `checked_in_at` of a booking as the server's feed gives it to `username`.
async fn server_checked_in_at(
    sys: &System,
    tenant: &str,
    username: &str,
    id: Uuid,
) -> anyhow::Result<(i64, Option<chrono::DateTime<Utc>>)> {
    let rows = sys.server_rows(tenant, username).await?;
    let (revision, _, data) = rows
        .get("appointment")
        .and_then(|a| a.get(&id))
        .ok_or_else(|| anyhow::anyhow!("appointment {id} not in the feed"))?;
    Ok((
        *revision,
        serde_json::from_value(data["checked_in_at"].clone())?,
    ))
}

/// Whether `t` lies in `[from, to]`, give or take the millisecond PostgreSQL's microseconds
/// may round away.
fn within(
    t: chrono::DateTime<Utc>,
    from: chrono::DateTime<Utc>,
    to: chrono::DateTime<Utc>,
) -> bool {
    let slack = chrono::Duration::milliseconds(1);
    t >= from - slack && t <= to + slack
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_check_in_time_is_the_desks_kept_through_sync_clamped_and_seen_everywhere(
) -> anyhow::Result<()> {
    let Sites {
        sys,
        proxy,
        outpost,
        desk,
        doctor,
        dirs: _dirs,
    } = Sites::start("arrivals").await?;
    let p = desk
        .register_patient(new_patient("Ada", "Waiting"))
        .await
        .map_err(err)?
        .record
        .id;
    // four bookings a little later on one clinic day (check-ins are made up to 24 h before the
    // start): two hours from now, or, when the four would run past midnight in New York (run
    // after 21:15 there), 09:00 the next morning, still within the 24 hours
    let soon = Utc::now() + chrono::Duration::hours(2);
    let start = if (soon + chrono::Duration::minutes(60))
        .with_timezone(&New_York)
        .date_naive()
        == soon.with_timezone(&New_York).date_naive()
    {
        soon
    } else {
        let next = soon.with_timezone(&New_York).date_naive() + chrono::Duration::days(1);
        New_York
            .from_local_datetime(&next.and_hms_opt(9, 0, 0).expect("09:00"))
            .earliest()
            .expect("09:00 exists in New York")
            .with_timezone(&Utc)
    };
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(
            book(
                &desk,
                p,
                doctor,
                start + chrono::Duration::minutes(15 * i),
                15,
            )
            .await?,
        );
    }
    let [online, offline, future, early] = ids[..] else {
        unreachable!()
    };
    drained(&desk).await?;
    let day = start.with_timezone(&New_York).date_naive();
    wait_for(Duration::from_secs(30), || async {
        outpost
            .day_appointments(day, Some(doctor))
            .await
            .is_ok_and(|d| d.len() == 4)
    })
    .await?;

    // online: the server keeps the check-in time, between before and after the action
    let before = Utc::now();
    let row = desk
        .set_appointment_status(online, AppointmentStatus::CheckedIn, None)
        .await
        .map_err(err)?;
    let shown = row
        .appointment
        .record
        .checked_in_at
        .expect("the pending check-in shows its time at once");
    assert!(within(shown, before, Utc::now()));
    drained(&desk).await?;
    let after = Utc::now();
    let (_, kept) = server_checked_in_at(&sys, "arrivals", "reception", online).await?;
    let kept = kept.expect("the server keeps the check-in time");
    assert!(
        within(kept, before, after),
        "{kept} not in [{before}, {after}]"
    );
    // starting the visit keeps it
    desk.set_appointment_status(online, AppointmentStatus::InProgress, None)
        .await
        .map_err(err)?;
    drained(&desk).await?;
    assert_eq!(
        server_checked_in_at(&sys, "arrivals", "reception", online)
            .await?
            .1,
        Some(kept)
    );

    // offline: checked in at T at the desk, sent later; the server keeps T, not the sync time
    proxy.set_online(false);
    wait_for(Duration::from_secs(30), || async {
        outpost.status().state != ConnectionState::Online
    })
    .await?;
    let before = Utc::now();
    let row = outpost
        .set_appointment_status(offline, AppointmentStatus::CheckedIn, None)
        .await
        .map_err(err)?;
    let at_desk = row.appointment.record.checked_in_at.expect("shown at once");
    assert!(within(at_desk, before, Utc::now()));
    assert!(row.appointment.pending);
    let reconnected = Utc::now();
    proxy.set_online(true);
    drained(&outpost).await?;
    let (_, kept) = server_checked_in_at(&sys, "arrivals", "nurse", offline).await?;
    let kept = kept.expect("the server keeps the offline check-in time");
    assert!(
        within(kept, at_desk, at_desk) && kept < reconnected,
        "kept {kept}, made at {at_desk}, sent after {reconnected}"
    );
    // another workstation sees both check-in times through the feed
    wait_for(Duration::from_secs(30), || async {
        desk.day_appointments(day, Some(doctor))
            .await
            .is_ok_and(|d| {
                d.iter().any(|r| {
                    r.appointment.record.id == offline
                        && r.appointment.record.checked_in_at == Some(kept)
                })
            })
    })
    .await?;
    let seen = outpost
        .day_appointments(day, Some(doctor))
        .await
        .map_err(err)?;
    let first = seen
        .iter()
        .find(|r| r.appointment.record.id == online)
        .expect("booked");
    assert!(first.appointment.record.checked_in_at.is_some());
    // back to the booking clears it
    outpost
        .set_appointment_status(offline, AppointmentStatus::Scheduled, None)
        .await
        .map_err(err)?;
    drained(&outpost).await?;
    assert_eq!(
        server_checked_in_at(&sys, "arrivals", "nurse", offline)
            .await?
            .1,
        None
    );
    // checked in, then moved to another day: the patient is not there that day, so the visit is
    // scheduled again and its check-in time goes
    outpost
        .set_appointment_status(offline, AppointmentStatus::CheckedIn, None)
        .await
        .map_err(err)?;
    drained(&outpost).await?;
    let old = seen
        .iter()
        .find(|r| r.appointment.record.id == offline)
        .expect("booked")
        .appointment
        .record
        .clone();
    let moved = outpost
        .move_appointment(
            offline,
            old.starts_at + chrono::Duration::days(1),
            old.duration_minutes,
            old.provider_id,
            None,
        )
        .await
        .map_err(err)?;
    assert_eq!(
        moved.appointment.record.status,
        AppointmentStatus::Scheduled
    );
    drained(&outpost).await?;
    assert_eq!(
        server_checked_in_at(&sys, "arrivals", "nurse", offline)
            .await?
            .1,
        None
    );

    // over REST: a time in the future is clamped to the server's now, one before the
    // booking's day to now as well; a time that is not one is refused on the field
    let http = medoffice_e2e::Http::new(&sys.server.url());
    let token = http.token("arrivals", "reception").await?;
    for (id, proposed) in [
        (future, Utc::now() + chrono::Duration::hours(3)),
        (early, start - chrono::Duration::days(2)),
    ] {
        let (revision, _) = server_checked_in_at(&sys, "arrivals", "reception", id).await?;
        let before = Utc::now();
        let (status, body) = http
            .call(
                reqwest::Method::PATCH,
                &format!("/api/v1/appointments/{id}"),
                Some(&token),
                Some(serde_json::json!({
                    "base_revision": revision,
                    "status": "checked_in",
                    "checked_in_at": proposed,
                })),
            )
            .await?;
        let after = Utc::now();
        assert_eq!(status, 200, "{body}");
        let kept: chrono::DateTime<Utc> = serde_json::from_value(body["checked_in_at"].clone())?;
        assert!(
            within(kept, before, after),
            "{proposed} became {kept}, not in [{before}, {after}]"
        );
    }
    let (revision, _) = server_checked_in_at(&sys, "arrivals", "reception", online).await?;
    let (status, body) = http
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/appointments/{online}"),
            Some(&token),
            Some(serde_json::json!({
                "base_revision": revision,
                "status": "completed",
                "checked_in_at": "at nine",
            })),
        )
        .await?;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("checked_in_at"), "{body}");
    Ok(())
}
