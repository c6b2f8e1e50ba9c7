//! Faults injected for real (issue 3): the `medoffice` CLI killed with SIGKILL mid-push, the
//! link between a client core and the server dropped, delayed and cut in the middle of a
//! response through a TCP proxy the test controls, the server stopped and PostgreSQL restarted
//! under connected workstations, two sites working offline on the same patient and slot, and
//! 10,000 offline vital-sign sets draining.
//!
//! Random choices come from `MEDOFFICE_FAULT_SEED` (fixed default, printed) and the number of
//! kill rounds from `MEDOFFICE_FAULT_ROUNDS`, so CI is repeatable and a longer randomised run is
//! one environment variable away (README, "Fault tests").

use std::collections::BTreeSet;
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{TimeZone, Utc};
use medoffice_client::view::{ConflictChoice, ConnectionState, ReviewItem};
use medoffice_client::Workstation;
use medoffice_e2e::proxy::Proxy;
use medoffice_e2e::{cache_rows, cli_path, wait_for, workstation_config, System, PASSWORD};
use medoffice_model::{
    AdministrativeSex, AppointmentKind, Measurements, Mutation, MutationKind, NewAppointment,
    NewPatient, NewVitalSigns, NewVitalSignsForPatient,
};
use rand::{Rng, SeedableRng};
use serde_json::json;
use uuid::Uuid;

fn seed() -> u64 {
    let s = std::env::var("MEDOFFICE_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_121);
    println!("MEDOFFICE_FAULT_SEED={s}");
    s
}

fn patient(given: &str, family: &str) -> NewPatient {
    NewPatient {
        id: None,
        given_name: given.into(),
        family_name: family.into(),
        date_of_birth: chrono::NaiveDate::from_ymd_opt(1979, 8, 30).expect("date"),
        sex: AdministrativeSex::Female,
        phone: Some("+1 617 555 0100".into()),
        email: None,
        address: None,
        emergency_contact_name: None,
        emergency_contact_phone: None,
        city: None,
        state: None,
        postal_code: None,
        country: None,
        preferred_language: None,
        interpreter_required: None,
        next_of_kin_name: None,
        next_of_kin_relationship: None,
        next_of_kin_phone: None,
        identifiers: None,
        allergies: None,
        no_known_allergies: None,
        notes: None,
        first_seen_at: None,
    }
}

fn vitals(i: usize) -> NewVitalSigns {
    NewVitalSigns {
        id: None,
        // distinct, in the past, one second apart (a million fit in the last 12 days)
        measured_at: Utc::now() - chrono::Duration::seconds(1_000_000 - i as i64),
        measurements: Measurements {
            systolic_mmhg: Some(110 + (i % 40) as i32),
            diastolic_mmhg: Some(70 + (i % 15) as i32),
            heart_rate_bpm: Some(60 + (i % 30) as i32),
            spo2_pct: Some(94 + (i % 6) as i32),
            ..Default::default()
        },
        notes: None,
        entered_offline: None,
    }
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn online(ws: &Workstation) -> anyhow::Result<Duration> {
    wait_for(Duration::from_secs(30), || async {
        ws.status().state == ConnectionState::Online
    })
    .await
}

async fn drained(ws: &Workstation, limit: Duration) -> anyhow::Result<Duration> {
    wait_for(limit, || async {
        let st = ws.status();
        st.state == ConnectionState::Online && st.pending == 0
    })
    .await
}

/// Registers a patient on `on` and waits until `also` has it from the server.
async fn shared_patient(
    on: &Workstation,
    also: &Workstation,
    given: &str,
    family: &str,
) -> anyhow::Result<medoffice_model::Patient> {
    let p = on
        .register_patient(patient(given, family))
        .await
        .map_err(err)?
        .record;
    drained(on, Duration::from_secs(30)).await?;
    wait_for(Duration::from_secs(30), || async {
        also.patient_chart(p.id)
            .await
            .is_ok_and(|c| !c.patient.pending)
    })
    .await?;
    Ok(p)
}

/// The id of an active staff member by username.
async fn staff_id(ws: &Workstation, username: &str) -> anyhow::Result<Uuid> {
    Ok(ws
        .staff()
        .await
        .map_err(err)?
        .into_iter()
        .find(|m| m.username == username)
        .ok_or_else(|| anyhow::anyhow!("no staff member {username}"))?
        .id)
}

/// Books `patient` with `provider` at `at` from `ws`.
async fn book(
    ws: &Workstation,
    patient: Uuid,
    provider: Uuid,
    at: chrono::DateTime<Utc>,
    minutes: i32,
) -> anyhow::Result<medoffice_client::view::AppointmentRow> {
    ws.book_appointment(NewAppointment {
        id: None,
        patient_id: patient,
        provider_id: provider,
        starts_at: at,
        duration_minutes: minutes,
        kind: AppointmentKind::FollowUp,
        reason: Some("blood pressure review".into()),
        notes: None,
        overbooked: None,
        outside_hours_reason: None,
        series_id: None,
        visit_type_id: None,
    })
    .await
    .map_err(err)
}

/// Server-side count of vital-sign sets and of applied mutations in a clinic (owner
/// connection: no tenant filter needed).
async fn server_counts(sys: &System, tenant: Uuid) -> anyhow::Result<(i64, i64)> {
    let mut c = medoffice_server::db::owner_connection(&sys.database_url).await?;
    let vitals: i64 =
        sqlx::query_scalar("SELECT count(*) FROM vital_signs WHERE tenant_id = $1 AND NOT deleted")
            .bind(tenant)
            .fetch_one(&mut c)
            .await?;
    let applied: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM applied_mutations WHERE tenant_id = $1 AND result->>'status' = 'applied'",
    )
    .bind(tenant)
    .fetch_one(&mut c)
    .await?;
    Ok((vitals, applied))
}

/// A workstation's cache equals what the server's feed gives its user, row by row.
async fn assert_converged(
    sys: &System,
    ws: &Workstation,
    tenant: &str,
    user: &str,
) -> anyhow::Result<()> {
    let server = sys.server_rows(tenant, user).await?;
    let cache = cache_rows(ws).await?;
    for (kind, rows) in &server {
        let mine = cache.get(kind).cloned().unwrap_or_default();
        for (id, (rev, deleted, data)) in rows {
            let Some((crev, cdel, cdata)) = mine.get(id) else {
                anyhow::bail!("{kind} {id} (revision {rev}) missing from the {user} workstation");
            };
            anyhow::ensure!(
                (crev, cdel) == (rev, deleted) && cdata == data,
                "{kind} {id}: cache has revision {crev} deleted {cdel}, server {rev} {deleted}"
            );
        }
        anyhow::ensure!(
            mine.len() == rows.len(),
            "{kind}: cache holds {} rows, server {}",
            mine.len(),
            rows.len()
        );
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cli_killed_at_random_points_mid_push_leaves_each_mutation_applied_exactly_once(
) -> anyhow::Result<()> {
    let rounds: usize = std::env::var("MEDOFFICE_FAULT_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    // sets recorded through the workstation before the CLI takes over; a long run tops the
    // outbox up as it goes (a killed push now completes on the server, so a round uses about a
    // batch of 200)
    let mut n: usize = (60 * rounds + 1_000).min(2_000);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed());
    let cli = cli_path()?;
    let sys = System::start().await?;
    let tenant = sys.clinic("killed", "UTC").await?;
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let dir = tempfile::tempdir()?;
    let config = workstation_config(dir.path(), "nurse");
    let keyring = config.keyring_service.clone();

    // fill the outbox offline in-process, then hand the workstation over to the CLI
    let ws = Workstation::open(config.clone()).map_err(err)?;
    ws.login(&proxy.url(), "killed", "nurse", PASSWORD)
        .await
        .map_err(err)?;
    let p = ws
        .register_patient(patient("Kai", "Killian"))
        .await
        .map_err(err)?;
    drained(&ws, Duration::from_secs(30)).await?;
    proxy.set_online(false);
    for i in 0..n {
        ws.record_vitals(p.record.id, vitals(i))
            .await
            .map_err(err)?;
    }
    ws.close().await;
    assert_eq!(server_counts(&sys, tenant).await?.0, 0);
    proxy.set_online(true);

    // a second connection to the cache, with the key the workstation keeps in the keyring
    // (opened once: each opening derives the key again, which took most of a round)
    let mut reader = Workstation::open(config.clone())
        .map_err(err)?
        .open_cache_file(tenant)
        .map_err(err)?;
    let nurse = sqlx::query_scalar::<_, Uuid>("SELECT id FROM users WHERE username = 'nurse'")
        .fetch_one(&mut *medoffice_server::db::tenant_tx(&sys.pool, tenant).await?)
        .await?;
    // the CLI says at debug level when it sends a batch: the kills are aimed at the push, not
    // at start-up
    let cli_sync = |log: &str, stderr: Stdio| {
        Command::new(&cli)
            .arg("sync")
            .env("MEDOFFICE_DATA_DIR", dir.path())
            .env("MEDOFFICE_KEYRING_SERVICE", &keyring)
            .env("MEDOFFICE_LOG", log)
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
    };
    // kills after the push began: answered batches before it, or a batch in flight
    let mut killed_mid_push = 0;
    // of those, a batch the server applied whose answer was never recorded here
    let mut answers_lost = 0;
    // a batch answered and recorded, and the next one cut
    let mut after_an_answer = 0;
    let started = Instant::now();
    // one batch's cycle, learned from rounds killed in their second batch
    let mut cycle = Duration::from_millis(40);
    let mut ran = 0;
    // rounds whose CLI sent no batch at all, and whose CLI was done before the kill
    let (mut no_push, mut finished_first) = (0, 0);
    // MEDOFFICE_FAULT_ROUNDS kills that land mid-push are wanted: rounds go on until there are
    // that many (a kill that came after the CLI was done does not count), at most twice as many
    for round in 0..rounds * 2 {
        if killed_mid_push >= rounds {
            break;
        }
        // topped up straight into the outbox, as the workstation queues a set, 5,000 at a time
        if reader.outbox_counts()?.0 < 1_000 && round > 0 {
            anyhow::ensure!(n + 5_000 < 1_000_000, "the sets' times would reach now");
            let patient_id = p.record.id;
            reader.batch(|c| {
                for i in n..n + 5_000 {
                    let id = Uuid::now_v7();
                    let mut v = vitals(i);
                    v.id = Some(id);
                    let m = Mutation {
                        mutation_id: Uuid::now_v7(),
                        id,
                        kind: MutationKind::RecordVitals(NewVitalSignsForPatient {
                            patient_id,
                            vitals: v,
                        }),
                    };
                    c.enqueue(&m, nurse)?;
                }
                Ok(())
            })?;
            n += 5_000;
        }
        let before = reader.outbox_counts()?.0;
        if before == 0 {
            break;
        }
        ran += 1;
        let mut child = cli_sync("error,medoffice_client::engine=debug", Stdio::piped())?;
        let stderr = child.stderr.take().context("stderr")?;
        // in the first batch mostly, now and then the second; at a random moment of a batch's
        // cycle (sent, applied, answered, recorded), as long as the last rounds saw it take
        let batch = if rng.gen_bool(0.9) { 1 } else { 2 };
        let delay = Duration::from_micros(rng.gen_range(0..cycle.as_micros().max(1) as u64));
        let (reached, took) = tokio::task::spawn_blocking(move || {
            let mut seen = 0;
            let mut first = None;
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("pushing a batch") {
                    seen += 1;
                    let took = first.map(|t: Instant| t.elapsed());
                    first = Some(Instant::now());
                    if seen == batch {
                        return (true, took);
                    }
                }
            }
            (false, None)
        })
        .await?;
        if let Some(t) = took {
            cycle = (cycle * 3 + t) / 4;
        }
        let mut mid_push = false;
        if reached {
            std::thread::sleep(delay);
            mid_push = child.try_wait()?.is_none();
            finished_first += usize::from(!mid_push);
        } else {
            no_push += 1;
        }
        let _ = child.kill(); // SIGKILL
        child.wait()?;
        let after = reader.outbox_counts()?.0;
        // applied on the server but never recorded here: the next run must replay them
        let on_server = server_counts(&sys, tenant).await?.0;
        let unanswered = on_server - (n as i64 - after as i64);
        if mid_push {
            killed_mid_push += 1;
            answers_lost += usize::from(unanswered > 0);
            after_an_answer += usize::from(after < before);
        }
        if rounds <= 20 || round % 100 == 0 {
            println!(
                "round {round}: killed {delay:?} into batch {batch}{}; outbox {before} -> {after}; {unanswered} applied but unanswered",
                if mid_push { "" } else { " (not reached)" }
            );
        }
    }
    println!(
        "{ran} rounds in {:.0} s: {killed_mid_push} kills landed mid-push, {after_an_answer} of them after a batch was answered, {answers_lost} between the server applying a batch and the answer being recorded (a batch's cycle: {cycle:?}); {no_push} sent no batch, {finished_first} were done before the kill",
        started.elapsed().as_secs_f64()
    );
    // let it finish
    let mut child = cli_sync("error", Stdio::null())?;
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(180 + n as u64 / 500),
            "final sync hangs"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "final sync: {status}");
    assert_eq!(reader.outbox_counts()?.0, 0, "outbox empty");
    let (vitals_on_server, applied) = server_counts(&sys, tenant).await?;
    assert_eq!(vitals_on_server, n as i64, "every set arrived, none twice");
    assert_eq!(
        applied,
        n as i64 + 1,
        "each mutation applied once (+ the registration)"
    );
    assert!(
        killed_mid_push >= rounds,
        "{killed_mid_push} kills of {ran} rounds landed mid-push, {rounds} wanted: the kills must be aimed at the push"
    );

    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_link_that_drops_delays_and_cuts_a_response_midway_loses_and_doubles_nothing(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("flaky", "UTC").await?;
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let (ws, _d) = sys.workstation_at(&proxy.url(), "flaky", "nurse").await?;
    let (other, _d2) = sys.workstation("flaky", "doctor").await?;
    online(&ws).await?;
    let p = ws
        .register_patient(patient("Lin", "Link"))
        .await
        .map_err(err)?;
    drained(&ws, Duration::from_secs(30)).await?;

    // 1. the answer to a push is cut halfway: the server applied it, the client never heard
    proxy.cut_response_containing("\"results\"", 1);
    for i in 0..5 {
        ws.record_vitals(p.record.id, vitals(i))
            .await
            .map_err(err)?;
    }
    let took = drained(&ws, Duration::from_secs(60)).await?;
    assert_eq!(proxy.cuts_done(), 1, "the push answer was cut");
    assert_eq!(
        server_counts(&sys, tenant).await?.0,
        5,
        "replayed, not doubled"
    );
    println!("push answer cut mid-response: drained {took:?} later");

    // 2. the link drops: the status says offline with the count; work goes on
    proxy.set_online(false);
    wait_for(Duration::from_secs(70), || async {
        ws.status().state == ConnectionState::Offline
    })
    .await?;
    for i in 5..25 {
        ws.record_vitals(p.record.id, vitals(i))
            .await
            .map_err(err)?;
    }
    let st = ws.status();
    assert!(st.offline_since.is_some() && st.pending == 20, "{st:?}");

    // 3. it comes back slow (150 ms each way per chunk): everything arrives once
    proxy.set_delay(Duration::from_millis(150));
    proxy.set_online(true);
    let took = drained(&ws, Duration::from_secs(120)).await?;
    println!("slow link: 20 queued sets drained {took:?} after it came back");
    proxy.set_delay(Duration::ZERO);

    // 4. every connection cut at once while a change is on its way to this workstation
    let q = other
        .register_patient(patient("Cut", "Connor"))
        .await
        .map_err(err)?;
    proxy.cut_all();
    wait_for(Duration::from_secs(60), || async {
        ws.search_patients("connor", 5)
            .await
            .is_ok_and(|r| r.iter().any(|x| x.record.id == q.record.id && !x.pending))
    })
    .await?;
    assert_eq!(server_counts(&sys, tenant).await?.0, 25);
    drained(&ws, Duration::from_secs(30)).await?;
    assert_converged(&sys, &ws, "flaky", "nurse").await?;
    assert_eq!((ws.status().rejected, ws.status().to_review), (0, 0));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_the_server_stops_and_postgresql_restarts_every_workstation_converges_row_by_row(
) -> anyhow::Result<()> {
    const BOUND: Duration = Duration::from_secs(30);
    let mut sys = System::start().await?;
    sys.clinic("converge", "UTC").await?;
    let (a, _d1) = sys.workstation("converge", "nurse").await?;
    let (b, _d2) = sys.workstation("converge", "reception").await?;
    online(&a).await?;
    online(&b).await?;
    let p = a
        .register_patient(patient("Stella", "Stop"))
        .await
        .map_err(err)?;
    drained(&a, BOUND).await?;
    wait_for(BOUND, || async {
        b.patient_chart(p.record.id)
            .await
            .is_ok_and(|c| !c.patient.pending)
    })
    .await?;

    // the server process stops; both sites keep working
    sys.server.stop();
    for i in 0..10 {
        a.record_vitals(p.record.id, vitals(i)).await.map_err(err)?;
    }
    let q = b
        .register_patient(patient("Rhea", "Restart"))
        .await
        .map_err(err)?;
    let mut edit = serde_json::Map::new();
    edit.insert("phone".into(), json!("+1 617 555 0111"));
    b.edit_patient(p.record.id, edit).await.map_err(err)?;
    let server = &mut sys.server;
    tokio::task::block_in_place(|| server.restart())?;
    let started = Instant::now();
    drained(&a, BOUND).await?;
    drained(&b, BOUND).await?;
    wait_for(BOUND, || async {
        a.search_patients("restart", 5)
            .await
            .is_ok_and(|r| r.iter().any(|x| x.record.id == q.record.id && !x.pending))
    })
    .await?;
    let after_server = started.elapsed();
    assert_converged(&sys, &a, "converge", "nurse").await?;
    assert_converged(&sys, &b, "converge", "reception").await?;

    // PostgreSQL restarts under the running server while both are connected
    let pg = &sys.pg;
    tokio::task::block_in_place(|| pg.stop())?;
    // the sockets stay open, but the server's health says it cannot save: both show offline
    // before anyone writes (the engine checks health every 15 s)
    for ws in [&a, &b] {
        wait_for(Duration::from_secs(40), || async {
            ws.status().state == ConnectionState::Offline
        })
        .await?;
    }
    assert!(a
        .status()
        .last_error
        .is_some_and(|e| e.contains("database")));
    let r = b
        .register_patient(patient("Paula", "Postgres"))
        .await
        .map_err(err)?;
    for i in 10..15 {
        a.record_vitals(p.record.id, vitals(i)).await.map_err(err)?;
    }
    tokio::task::block_in_place(|| pg.restart())?;
    let started = Instant::now();
    drained(&a, BOUND).await?;
    drained(&b, BOUND).await?;
    wait_for(BOUND, || async {
        a.search_patients("postgres", 5)
            .await
            .is_ok_and(|x| x.iter().any(|x| x.record.id == r.record.id && !x.pending))
    })
    .await?;
    wait_for(BOUND, || async {
        b.patient_chart(p.record.id)
            .await
            .is_ok_and(|c| c.vitals.len() == 15 && c.vitals.iter().all(|v| !v.pending))
    })
    .await?;
    let after_pg = started.elapsed();
    assert_converged(&sys, &a, "converge", "nurse").await?;
    assert_converged(&sys, &b, "converge", "reception").await?;
    println!(
        "converged row by row {after_server:?} after the server restarted, {after_pg:?} after PostgreSQL did (bound {BOUND:?})"
    );
    Ok(())
}

/// Two sites offline: same field (conflict), different fields (merge), the same slot (the
/// second is refused for rebooking), and the same new patient (possible duplicates); `first`
/// reconnects before `second`.
async fn two_sites_offline(sys: &System, code: &str, first_is_a: bool) -> anyhow::Result<()> {
    let pa = Proxy::start(sys.server_addr()?).await?;
    let pb = Proxy::start(sys.server_addr()?).await?;
    let (a, _d1) = sys.workstation_at(&pa.url(), code, "reception").await?;
    let (b, _d2) = sys.workstation_at(&pb.url(), code, "admin").await?;
    online(&a).await?;
    online(&b).await?;
    let p = shared_patient(&a, &b, "Mara", "Merge").await?;
    let doctor = staff_id(&a, "doctor").await?;

    pa.set_online(false);
    pb.set_online(false);
    let set = |pairs: &[(&str, serde_json::Value)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect::<serde_json::Map<_, _>>()
    };
    a.edit_patient(
        p.id,
        set(&[
            ("phone", json!("+1 617 555 0001")),
            ("email", json!("mara@a.example")),
        ]),
    )
    .await
    .map_err(err)?;
    b.edit_patient(
        p.id,
        set(&[
            ("phone", json!("+1 617 555 0002")),
            ("address", json!("2 B Street")),
        ]),
    )
    .await
    .map_err(err)?;
    let slot = Utc
        .with_ymd_and_hms(2031, 5, 6, 14, 0, 0)
        .single()
        .expect("time");
    let booked_a = book(&a, p.id, doctor, slot, 20).await?;
    let booked_b = book(&b, p.id, doctor, slot, 20).await?;
    a.register_patient(patient("Dana", "Double"))
        .await
        .map_err(err)?;
    b.register_patient(patient("Dana", "Double"))
        .await
        .map_err(err)?;

    let (first, first_proxy, second, second_proxy) = if first_is_a {
        (&a, &pa, &b, &pb)
    } else {
        (&b, &pb, &a, &pa)
    };
    let (first_booking, second_booking) = if first_is_a {
        (&booked_a, &booked_b)
    } else {
        (&booked_b, &booked_a)
    };
    let (first_phone, second_phone) = if first_is_a {
        ("+1 617 555 0001", "+1 617 555 0002")
    } else {
        ("+1 617 555 0002", "+1 617 555 0001")
    };
    first_proxy.set_online(true);
    drained(first, Duration::from_secs(60)).await?;
    second_proxy.set_online(true);
    drained(second, Duration::from_secs(60)).await?;

    // the first to arrive wins the field and the slot; nothing of the second is silent
    let http = medoffice_e2e::Http::new(&sys.server.url());
    let token = http.token(code, "admin").await?;
    let (_, server_p) = http
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/patients/{}", p.id),
            Some(&token),
            None,
        )
        .await?;
    assert_eq!(server_p["phone"], first_phone, "first arrival kept");
    assert_eq!(
        server_p["email"], "mara@a.example",
        "different fields merge"
    );
    assert_eq!(server_p["address"], "2 B Street", "different fields merge");
    assert_eq!(
        first.status().to_review,
        1,
        "first: only the possible duplicate"
    );

    let review = second.review_list().await.map_err(err)?;
    let conflict = review
        .items
        .iter()
        .find_map(|i| match i {
            ReviewItem::FieldConflict {
                id,
                field,
                mine,
                theirs,
                changed_by,
                changed_at,
                ..
            } if field == "phone" => Some((
                *id,
                mine.clone(),
                theirs.clone(),
                changed_by.clone(),
                *changed_at,
            )),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("no phone conflict in {review:?}"))?;
    assert_eq!(conflict.1, json!(second_phone));
    assert_eq!(conflict.2, json!(first_phone));
    let expected_author = if first_is_a {
        "Rex Reception"
    } else {
        "Ada Admin"
    };
    assert_eq!(
        conflict.3.as_deref(),
        Some(expected_author),
        "who changed it"
    );
    assert!(conflict.4.is_some(), "and when");
    let refused = review
        .items
        .iter()
        .find_map(|i| match i {
            ReviewItem::Refused {
                mutation_id,
                entity_id,
                conflicting_appointment_id,
                ..
            } if *entity_id == second_booking.appointment.record.id => {
                Some((*mutation_id, *conflicting_appointment_id))
            }
            _ => None,
        })
        .ok_or_else(|| {
            anyhow::anyhow!("the refused booking is not on the review list: {review:?}")
        })?;
    assert_eq!(
        refused.1,
        Some(first_booking.appointment.record.id),
        "names the booking that holds the slot"
    );
    let dups = review
        .items
        .iter()
        .filter(
            |i| matches!(i, ReviewItem::PossibleDuplicate { a, .. } if a.family_name == "Double"),
        )
        .count();
    assert_eq!(dups, 1, "the two Dana Doubles are flagged");
    assert_eq!(second.status().to_review, 3, "{:?}", second.status());

    // the person resolves: keep my phone, rebook half an hour later, not the same person
    second
        .resolve_conflict(conflict.0, ConflictChoice::KeepMine)
        .await
        .map_err(err)?;
    second
        .rebook(refused.0, slot + chrono::Duration::minutes(30), doctor, 20)
        .await
        .map_err(err)?;
    if let Some(ReviewItem::PossibleDuplicate { a: x, b: y }) = review
        .items
        .iter()
        .find(|i| matches!(i, ReviewItem::PossibleDuplicate { .. }))
    {
        second.dismiss_duplicate(x.id, y.id).await.map_err(err)?;
    }
    drained(second, Duration::from_secs(60)).await?;
    let (_, server_p) = http
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/patients/{}", p.id),
            Some(&token),
            None,
        )
        .await?;
    assert_eq!(server_p["phone"], second_phone, "keep mine was sent");
    let day = second
        .day_appointments(slot.date_naive(), Some(doctor))
        .await
        .map_err(err)?;
    assert_eq!(day.len(), 2, "both visits booked: {day:?}");
    assert!(day
        .iter()
        .all(|r| !r.appointment.pending && r.appointment.rejected.is_none()));
    assert_eq!(second.status().to_review, 0);
    wait_for(Duration::from_secs(30), || async {
        first
            .patient_chart(p.id)
            .await
            .is_ok_and(|c| c.patient.record.phone.as_deref() == Some(second_phone))
    })
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sites_offline_merge_what_they_can_and_show_every_conflict_in_both_orders(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("sites-ab", "UTC").await?;
    sys.clinic("sites-ba", "UTC").await?;
    two_sites_offline(&sys, "sites-ab", true).await?;
    two_sites_offline(&sys, "sites-ba", false).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_check_in_of_a_refused_offline_booking_is_held_then_follows_the_rebooking(
) -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("held", "UTC").await?;
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let (outpost, _d) = sys
        .workstation_at(&proxy.url(), "held", "reception")
        .await?;
    let (desk, _d2) = sys.workstation("held", "admin").await?;
    online(&outpost).await?;
    online(&desk).await?;
    let p = shared_patient(&outpost, &desk, "Hal", "Held").await?;
    let doctor = staff_id(&outpost, "doctor").await?;
    let slot = Utc
        .with_ymd_and_hms(2031, 7, 1, 9, 0, 0)
        .single()
        .expect("time");
    // offline: book, and the patient arrives, so check in
    proxy.set_online(false);
    let mine = book(&outpost, p.id, doctor, slot, 15).await?;
    outpost
        .set_appointment_status(
            mine.appointment.record.id,
            medoffice_model::AppointmentStatus::CheckedIn,
            None,
        )
        .await
        .map_err(err)?;
    // meanwhile the front desk gives the slot to someone else
    book(&desk, p.id, doctor, slot, 15).await?;
    drained(&desk, Duration::from_secs(30)).await?;
    proxy.set_online(true);
    wait_for(Duration::from_secs(60), || async {
        let st = outpost.status();
        st.rejected == 1 && st.held == 1 && st.pending == 0
    })
    .await?;
    let review = outpost.review_list().await.map_err(err)?;
    let (mutation_id, held) = review
        .items
        .iter()
        .find_map(|i| match i {
            ReviewItem::Refused {
                mutation_id, held, ..
            } => Some((*mutation_id, held.clone())),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("no refused booking: {review:?}"))?;
    assert_eq!(
        held.len(),
        1,
        "the check-in waits for the booking: {held:?}"
    );
    assert!(held[0].what.contains("Held"), "{:?}", held[0]);
    // rebooked a quarter later, the check-in follows it
    outpost
        .rebook(
            mutation_id,
            slot + chrono::Duration::minutes(15),
            doctor,
            15,
        )
        .await
        .map_err(err)?;
    drained(&outpost, Duration::from_secs(60)).await?;
    let st = outpost.status();
    assert_eq!((st.rejected, st.held, st.to_review), (0, 0, 0), "{st:?}");
    let rows = sys.server_rows("held", "admin").await?;
    let a = &rows["appointment"][&mine.appointment.record.id].2;
    assert_eq!(a["status"], "checked_in");
    assert_eq!(a["starts_at"], "2031-07-01T09:15:00Z");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_vital_sign_sets_entered_offline_drain_after_reconnection(
) -> anyhow::Result<()> {
    const N: usize = 10_000;
    let sys = System::start().await?;
    let tenant = sys.clinic("outpost", "UTC").await?;
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let (ws, _d) = sys.workstation_at(&proxy.url(), "outpost", "nurse").await?;
    online(&ws).await?;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(
            ws.register_patient(patient("Otto", &format!("Outpost{i:02}")))
                .await
                .map_err(err)?
                .record
                .id,
        );
    }
    drained(&ws, Duration::from_secs(30)).await?;
    proxy.set_online(false);
    let entered = Instant::now();
    for i in 0..N {
        ws.record_vitals(ids[i % ids.len()], vitals(i))
            .await
            .map_err(err)?;
    }
    let entry_time = entered.elapsed();
    assert_eq!(ws.status().pending as usize, N);
    let back = Instant::now();
    let refused = proxy.connections();
    proxy.set_online(true);
    // the engine's next reconnect attempt comes after its backoff (up to 15 s ± 25 %)
    wait_for(Duration::from_secs(30), || async {
        proxy.connections() > refused
    })
    .await?;
    let reconnected = Instant::now();
    let waited = back.elapsed();
    drained(&ws, Duration::from_secs(900)).await?;
    let drain = reconnected.elapsed();
    let (count, _) = server_counts(&sys, tenant).await?;
    assert_eq!(count, N as i64);
    let distinct: BTreeSet<Uuid> = cache_rows(&ws).await?["vital_signs"]
        .keys()
        .copied()
        .collect();
    assert_eq!(
        distinct.len(),
        N,
        "every set in the cache as the server has it"
    );
    println!(
        "{N} vital-sign sets: entered offline in {entry_time:?}; the link back, the engine reconnected after {waited:?} (backoff) and drained in {drain:?} ({:.0}/s)",
        N as f64 / drain.as_secs_f64()
    );
    Ok(())
}
