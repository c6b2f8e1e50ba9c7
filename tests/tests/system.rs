//! The whole system together: two workstations of one clinic see each other's work live over
//! the WebSocket; a workstation that loses the server keeps working and its outbox drains
//! exactly once when the server returns.

use std::time::Duration;

use chrono::Utc;
use medoffice_client::view::ConnectionState;
use medoffice_e2e::{new_patient, wait_for, System};
use medoffice_model::{Measurements, NewVitalSigns};
use uuid::Uuid;

fn vitals(systolic: i32, spo2: i32) -> NewVitalSigns {
    NewVitalSigns {
        id: None,
        measured_at: Utc::now(),
        measurements: Measurements {
            systolic_mmhg: Some(systolic),
            diastolic_mmhg: Some(systolic / 2 + 20),
            heart_rate_bpm: Some(88),
            spo2_pct: Some(spo2),
            ..Default::default()
        },
        notes: None,
        entered_offline: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_patient_and_vitals_created_on_one_workstation_appear_on_the_other_live(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("riverside", "America/New_York").await?;
    let (front_desk, _d1) = sys.workstation("riverside", "nurse").await?;
    let (exam_room, _d2) = sys.workstation("riverside", "doctor").await?;
    for ws in [&front_desk, &exam_room] {
        wait_for(Duration::from_secs(10), || async {
            ws.status().state == ConnectionState::Online
        })
        .await?;
    }

    let registered = front_desk
        .register_patient(new_patient("Zoë", "Müller"))
        .await
        .map_err(anyhow::Error::msg)?;
    let id = registered.record.id;
    assert!(
        registered.record.mrn.starts_with("P-"),
        "a provisional MRN shows before the server answers"
    );
    let took = wait_for(Duration::from_secs(10), || async {
        exam_room
            .search_patients("zoe mul", 10)
            .await
            .is_ok_and(|r| r.iter().any(|p| p.record.id == id && !p.pending))
    })
    .await?;
    println!("patient propagation latency: {took:?}");
    let seen = exam_room
        .search_patients("muller", 10)
        .await
        .map_err(anyhow::Error::msg)?;
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0].record.mrn.chars().all(|c| c.is_ascii_digit()),
        "the server-assigned MRN arrives: {}",
        seen[0].record.mrn
    );
    assert_eq!(seen[0].record.allergies, vec!["penicillin"]);

    front_desk
        .record_vitals(id, vitals(162, 91))
        .await
        .map_err(anyhow::Error::msg)?;
    let took = wait_for(Duration::from_secs(10), || async {
        exam_room
            .patient_chart(id)
            .await
            .is_ok_and(|c| c.vitals.iter().any(|v| !v.pending))
    })
    .await?;
    println!("vitals propagation latency: {took:?}");
    let chart = exam_room
        .patient_chart(id)
        .await
        .map_err(anyhow::Error::msg)?;
    let v = &chart.vitals[0].record;
    assert_eq!(v.measurements.systolic_mmhg, Some(162));
    assert!(
        v.flags.contains(&"systolic_mmhg:high".to_owned()),
        "flags: {:?}",
        v.flags
    );
    assert!(
        v.flags.contains(&"spo2_pct:low".to_owned()),
        "flags: {:?}",
        v.flags
    );
    assert!(chart
        .staff
        .iter()
        .any(|s| s.id == v.recorded_by && s.full_name == "Nina Nurse"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn vitals_recorded_while_the_server_is_down_arrive_once_when_it_returns() -> anyhow::Result<()>
{
    let mut sys = System::start().await?;
    let tenant = sys.clinic("outreach", "Africa/Nairobi").await?;
    let (field, _d1) = sys.workstation("outreach", "nurse").await?;
    let (base, _d2) = sys.workstation("outreach", "doctor").await?;
    let p = field
        .register_patient(new_patient("Amina", "Njoroge"))
        .await
        .map_err(anyhow::Error::msg)?;
    let id = p.record.id;
    wait_for(Duration::from_secs(10), || async {
        base.patient_chart(id).await.is_ok()
    })
    .await?;

    sys.server.stop();
    wait_for(Duration::from_secs(10), || async {
        field.status().state == ConnectionState::Offline
    })
    .await?;
    for sys_bp in [128, 134, 171] {
        let v = field
            .record_vitals(id, vitals(sys_bp, 97))
            .await
            .map_err(anyhow::Error::msg)?;
        assert!(v.pending && v.record.entered_offline);
    }
    // the outbox survives failed attempts while offline
    tokio::time::sleep(Duration::from_millis(800)).await;
    let st = field.status();
    assert_eq!(
        (st.state, st.pending),
        (ConnectionState::Offline, 3),
        "status: {st:?}"
    );
    assert!(st.offline_since.is_some());
    assert_eq!(
        field
            .patient_chart(id)
            .await
            .map_err(anyhow::Error::msg)?
            .vitals
            .len(),
        3,
        "reads never wait for the network"
    );

    let server = &mut sys.server;
    tokio::task::block_in_place(|| server.restart())?;
    let took = wait_for(Duration::from_secs(30), || async {
        field.status().pending == 0 && field.status().state == ConnectionState::Online
    })
    .await?;
    println!("outbox drained {took:?} after the server came back");
    wait_for(Duration::from_secs(10), || async {
        base.patient_chart(id)
            .await
            .is_ok_and(|c| c.vitals.len() == 3 && c.vitals.iter().all(|v| v.record.entered_offline))
    })
    .await?;

    // exactly once on the server, even though pushes were retried
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM vital_signs WHERE patient_id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    assert_eq!(n, 3);
    let systolics: Vec<i32> = sqlx::query_scalar(
        "SELECT systolic_mmhg FROM vital_signs WHERE patient_id = $1 ORDER BY systolic_mmhg",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    assert_eq!(systolics, vec![128, 134, 171]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_visit_checked_in_started_and_completed_offline_arrives_completed() -> anyhow::Result<()>
{
    use medoffice_model::{AppointmentKind, AppointmentStatus, NewAppointment};
    let mut sys = System::start().await?;
    let tenant = sys.clinic("rural", "America/Lima").await?;
    let (desk, _d) = sys.workstation("rural", "nurse").await?;
    wait_for(Duration::from_secs(10), || async {
        desk.status().state == ConnectionState::Online
    })
    .await?;
    let p = desk
        .register_patient(new_patient("Rosa", "Quispe"))
        .await
        .map_err(anyhow::Error::msg)?;
    let doctor = desk
        .staff()
        .await
        .map_err(anyhow::Error::msg)?
        .into_iter()
        .find(|s| s.username == "doctor")
        .ok_or_else(|| anyhow::anyhow!("no doctor in the directory"))?;
    let booked = desk
        .book_appointment(NewAppointment {
            id: None,
            patient_id: p.record.id,
            provider_id: doctor.id,
            starts_at: Utc::now() + chrono::Duration::minutes(30),
            duration_minutes: 20,
            kind: AppointmentKind::Consultation,
            reason: Some("Cough".into()),
            notes: None,
            overbooked: None,
            outside_hours_reason: None,
            series_id: None,
            visit_type_id: None,
        })
        .await
        .map_err(anyhow::Error::msg)?;
    let id = booked.appointment.record.id;
    wait_for(Duration::from_secs(10), || async {
        desk.status().pending == 0
    })
    .await?;

    sys.server.stop();
    wait_for(Duration::from_secs(10), || async {
        desk.status().state == ConnectionState::Offline
    })
    .await?;
    for status in [
        AppointmentStatus::CheckedIn,
        AppointmentStatus::InProgress,
        AppointmentStatus::Completed,
    ] {
        let row = desk
            .set_appointment_status(id, status, None)
            .await
            .map_err(anyhow::Error::msg)?;
        assert_eq!(
            row.appointment.record.status, status,
            "the local view shows the step at once"
        );
    }
    let server = &mut sys.server;
    tokio::task::block_in_place(|| server.restart())?;
    wait_for(Duration::from_secs(30), || async {
        desk.status().pending == 0
    })
    .await?;
    assert_eq!(
        desk.status().rejected,
        0,
        "a workstation's own earlier steps are not conflicts: {:?}",
        desk.outbox()
            .await
            .map_err(anyhow::Error::msg)?
            .iter()
            .map(|e| e.error.clone())
            .collect::<Vec<_>>()
    );

    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    let status: String = sqlx::query_scalar("SELECT status FROM appointments WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    assert_eq!(status, "completed");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_a_shared_workstation_work_on_another_users_unsent_patient_waits_instead_of_failing(
) -> anyhow::Result<()> {
    let mut sys = System::start().await?;
    let tenant = sys.clinic("shared", "Europe/Lisbon").await?;
    let (desk, _d) = sys.workstation("shared", "reception").await?;
    wait_for(Duration::from_secs(10), || async {
        desk.status().state == ConnectionState::Online
    })
    .await?;

    // the receptionist registers a patient while the server is away, then signs out
    sys.server.stop();
    wait_for(Duration::from_secs(10), || async {
        desk.status().state == ConnectionState::Offline
    })
    .await?;
    let p = desk
        .register_patient(new_patient("Inês", "Carvalho"))
        .await
        .map_err(anyhow::Error::msg)?;
    desk.logout(false, false)
        .await
        .map_err(anyhow::Error::msg)?;
    let server = &mut sys.server;
    tokio::task::block_in_place(|| server.restart())?;

    // the nurse signs in on the same workstation and records vitals for that patient
    let url = sys.server.url();
    desk.login(&url, "shared", "nurse", medoffice_e2e::PASSWORD)
        .await
        .map_err(anyhow::Error::msg)?;
    desk.record_vitals(p.record.id, vitals(118, 98))
        .await
        .map_err(anyhow::Error::msg)?;
    desk.sync_now().await.map_err(anyhow::Error::msg)?;
    let st = desk.status();
    assert_eq!(
        (st.pending, st.rejected),
        (2, 0),
        "held, not sent to be refused: {st:?}"
    );

    // the receptionist's registration goes with her token; then the nurse's vitals follow
    desk.login(&url, "shared", "reception", medoffice_e2e::PASSWORD)
        .await
        .map_err(anyhow::Error::msg)?;
    wait_for(Duration::from_secs(10), || async {
        desk.status().pending == 1
    })
    .await?;
    desk.login(&url, "shared", "nurse", medoffice_e2e::PASSWORD)
        .await
        .map_err(anyhow::Error::msg)?;
    wait_for(Duration::from_secs(10), || async {
        desk.status().pending == 0
    })
    .await?;
    assert_eq!(desk.status().rejected, 0);
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    let (created_by, recorded_by): (String, String) = sqlx::query_as(
        "SELECT (SELECT username FROM users WHERE id = p.created_by), (SELECT username FROM users WHERE id = v.recorded_by) \
         FROM patients p JOIN vital_signs v ON v.patient_id = p.id WHERE p.id = $1",
    )
    .bind(p.record.id)
    .fetch_one(&mut *tx)
    .await?;
    assert_eq!(
        (created_by.as_str(), recorded_by.as_str()),
        ("reception", "nurse"),
        "each under their own identity"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_postgresql_restarts_under_the_server_changes_still_reach_every_workstation(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("resilient", "UTC").await?;
    let (a, _d1) = sys.workstation("resilient", "nurse").await?;
    let (b, _d2) = sys.workstation("resilient", "doctor").await?;
    for ws in [&a, &b] {
        wait_for(Duration::from_secs(10), || async {
            ws.status().state == ConnectionState::Online
        })
        .await?;
    }

    // the database goes away under the running server; work goes on at the desk
    let pg = &sys.pg;
    tokio::task::block_in_place(|| pg.stop())?;
    let p = a
        .register_patient(new_patient("Olga", "Petrova"))
        .await
        .map_err(anyhow::Error::msg)?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        a.status().pending >= 1,
        "kept while the database is down: {:?}",
        a.status()
    );
    tokio::task::block_in_place(|| pg.restart())?;

    // the server's pool and listener recover; the change reaches the other workstation
    let took = wait_for(Duration::from_secs(60), || async {
        b.search_patients("petrova", 5)
            .await
            .is_ok_and(|r| r.iter().any(|x| x.record.id == p.record.id && !x.pending))
    })
    .await?;
    println!("converged {took:?} after PostgreSQL came back");
    // and live pushes work again afterwards
    let q = b
        .register_patient(new_patient("Ivan", "Petrov"))
        .await
        .map_err(anyhow::Error::msg)?;
    wait_for(Duration::from_secs(30), || async {
        a.search_patients("petrov ivan", 5)
            .await
            .is_ok_and(|r| r.iter().any(|x| x.record.id == q.record.id && !x.pending))
    })
    .await?;
    // the sender's own count follows the server's answer, which can reach the other
    // workstation (as a live page) a moment before the sender has recorded it
    wait_for(Duration::from_secs(10), || async {
        (a.status().pending, b.status().pending, a.status().rejected) == (0, 0, 0)
    })
    .await?;
    assert_eq!(
        (a.status().pending, b.status().pending, a.status().rejected),
        (0, 0, 0)
    );
    Ok(())
}

/// On a shared workstation a refused change belongs to whoever entered it: another person
/// signed in there may see it but cannot resend, correct, rebook or discard it (`forbidden`),
/// so it never goes out under the first person's name with someone else's correction, nor
/// vanishes behind their back. Its owner, signed in again, can.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_a_shared_workstation_only_its_author_acts_on_a_refused_change() -> anyhow::Result<()> {
    use medoffice_client::view::{ErrorCode, ReviewItem};
    let sys = System::start().await?;
    sys.clinic("sharedfix", "UTC").await?;
    // the plan allows one patient, and the clinic has it: the next registration is refused
    let mut owner = medoffice_server::db::owner_connection(&sys.database_url).await?;
    medoffice_server::tenants::set_plan(&mut owner, "sharedfix", None, Some(Some(1))).await?;
    let http = medoffice_e2e::Http::new(&sys.server.url());
    let admin = http.token("sharedfix", "admin").await?;
    let (s, p) = http
        .call(
            reqwest::Method::POST,
            "/api/v1/patients",
            Some(&admin),
            Some(
                serde_json::json!({"given_name": "First", "family_name": "Patient",
                "date_of_birth": "1970-01-01", "sex": "male"}),
            ),
        )
        .await?;
    assert_eq!(s, 201, "{p}");

    let (desk, _d) = sys.workstation("sharedfix", "reception").await?;
    desk.register_patient(new_patient("Rita", "Refused"))
        .await
        .map_err(anyhow::Error::msg)?;
    wait_for(Duration::from_secs(30), || async {
        let st = desk.status();
        st.rejected == 1 && st.pending == 0
    })
    .await?;
    let before = desk.outbox().await.map_err(anyhow::Error::msg)?;
    assert_eq!(before.len(), 1, "{before:?}");
    let mutation_id = before[0].mutation.mutation_id;
    let reception_id = before[0].user_id;

    // the nurse signs in on the same workstation
    desk.logout(false, false)
        .await
        .map_err(anyhow::Error::msg)?;
    let url = sys.server.url();
    desk.login(&url, "sharedfix", "nurse", medoffice_e2e::PASSWORD)
        .await
        .map_err(anyhow::Error::msg)?;
    let review = desk.review_list().await.map_err(anyhow::Error::msg)?;
    assert!(
        review.items.iter().any(|i| matches!(i,
            ReviewItem::Refused { mutation_id: m, mine_by_me: false, .. } if *m == mutation_id)),
        "shown, as another person's: {review:?}"
    );
    let forbidden = |what: &str, r: Result<Uuid, medoffice_client::view::CommandError>| {
        let e = r.expect_err(what);
        assert_eq!(e.code, ErrorCode::Forbidden, "{what}: {e:?}");
        assert!(e.message.contains("another person"), "{what}: {e:?}");
    };
    forbidden("resend", desk.resend(mutation_id, None).await);
    let mut corrected = before[0].mutation.data();
    corrected["family_name"] = serde_json::json!("Corrected");
    forbidden(
        "resend corrected",
        desk.resend(mutation_id, Some(corrected)).await,
    );
    forbidden(
        "rebook",
        desk.rebook(mutation_id, Utc::now(), Uuid::new_v4(), 15)
            .await,
    );
    let e = desk.discard(mutation_id).await.expect_err("discard");
    assert_eq!(e.code, ErrorCode::Forbidden, "{e:?}");
    let after = desk.outbox().await.map_err(anyhow::Error::msg)?;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].mutation.mutation_id, mutation_id);
    assert_eq!(after[0].state, "rejected");
    assert_eq!(after[0].user_id, reception_id);
    assert_eq!(after[0].mutation.data(), before[0].mutation.data());

    // the receptionist, signed in again, deals with her own change
    desk.login(&url, "sharedfix", "reception", medoffice_e2e::PASSWORD)
        .await
        .map_err(anyhow::Error::msg)?;
    let review = desk.review_list().await.map_err(anyhow::Error::msg)?;
    assert!(
        review.items.iter().any(|i| matches!(i,
            ReviewItem::Refused { mutation_id: m, mine_by_me: true, .. } if *m == mutation_id)),
        "hers: {review:?}"
    );
    assert_eq!(
        desk.discard(mutation_id)
            .await
            .map_err(anyhow::Error::msg)?,
        1
    );
    assert_eq!(desk.status().rejected, 0);
    Ok(())
}
