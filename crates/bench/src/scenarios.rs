//! The benchmark scenarios. Each drives the real server(s) of a [`Target`] and answers a
//! [`Report`]; none of them judges the figures.
//!
//! - [`write_throughput`]: N concurrent workstations recording vitals over HTTP.
//! - [`read_throughput`]: N concurrent workstations searching patients and loading charts.
//! - [`propagation`]: K connected listeners while one writer records a vitals set every 20 ms;
//!   the time from a write being sent to each listener having it. Listeners are either real
//!   client cores ([`ListenerKind::Workstation`]: SQLite cache, sync engine; "having it" means
//!   the cache's cursor has passed the write's revision) or raw WebSocket subscribers
//!   ([`ListenerKind::Raw`]: parse each pushed `changes` page and look for the written id).
//!   With the writer on one server process and listeners on another, it is the cross-process
//!   fan-out scenario.
//! - [`cold_sync`]: a new real client core joining a clinic, until its cache is complete.
//! - [`outbox_drain`]: a real client core with many mutations queued offline, drained after
//!   the link comes back; the reconnect backoff wait is reported apart from the drain.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use chrono::Utc;
use futures_util::StreamExt;
use medoffice_client::view::ConnectionState;
use medoffice_client::{Workstation, WorkstationConfig};
use medoffice_model::{AdministrativeSex, Measurements, NewPatient, NewVitalSigns};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::watch;
use uuid::Uuid;

use crate::proxy::Proxy;
use crate::{rate, ApiConn, Latency, Report, Target};

/// Parameters of the HTTP load scenarios.
#[derive(Debug, Clone)]
pub struct LoadParams {
    /// Concurrent simulated workstations, each with its own connection.
    pub clients: usize,
    /// How long to run.
    pub duration: Duration,
    /// Stop after this many operations in all (whichever comes first).
    pub max_ops: Option<u64>,
    /// Seed of the random choices.
    pub seed: u64,
}

/// Some patients of the clinic: (id, family name).
async fn some_patients(conn: &ApiConn, n: usize) -> anyhow::Result<Vec<(Uuid, String)>> {
    let mut out = Vec::new();
    let mut offset = 0;
    while out.len() < n {
        let (status, body) = conn
            .get(&format!("/api/v1/patients?limit=200&offset={offset}"))
            .await?;
        if status != 200 {
            bail!("listing patients: {status} {body}");
        }
        let data = body["data"].as_array().context("data")?;
        if data.is_empty() {
            break;
        }
        for p in data {
            out.push((
                Uuid::parse_str(p["id"].as_str().context("id")?)?,
                p["family_name"].as_str().unwrap_or("").to_owned(),
            ));
        }
        offset += data.len();
    }
    if out.is_empty() {
        bail!("the clinic has no patients: run `medoffice-load generate` first");
    }
    Ok(out)
}

/// A plausible vitals set for an adult, measured a minute ago.
pub fn random_vitals(rng: &mut StdRng, id: Option<Uuid>) -> NewVitalSigns {
    let sys = rng.gen_range(100..165);
    NewVitalSigns {
        id,
        measured_at: Utc::now() - chrono::Duration::seconds(60),
        measurements: Measurements {
            systolic_mmhg: Some(sys),
            diastolic_mmhg: Some(sys * 6 / 10 + rng.gen_range(0..10)),
            heart_rate_bpm: Some(rng.gen_range(55..110)),
            respiratory_rate_bpm: Some(rng.gen_range(12..22)),
            temperature_c: Some(f64::from(rng.gen_range(362..385)) / 10.0),
            spo2_pct: Some(rng.gen_range(92..100)),
            ..Default::default()
        },
        notes: None,
        entered_offline: None,
    }
}

struct Tally {
    ops: AtomicU64,
    errors: AtomicU64,
}

/// Runs `clients` loops of `op` until the time or operation budget is spent; answers the
/// latencies of successful operations by label, the operation count and the error count.
async fn run_clients<C, F, Fut>(
    p: &LoadParams,
    conns: Vec<C>,
    op: F,
) -> anyhow::Result<(HashMap<&'static str, Vec<Duration>>, u64, u64, Duration)>
where
    C: Clone + Send + 'static,
    F: Fn(C, StdRng) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = (StdRng, Vec<(&'static str, Duration, bool)>)> + Send,
{
    let tally = Arc::new(Tally {
        ops: AtomicU64::new(0),
        errors: AtomicU64::new(0),
    });
    let started = Instant::now();
    let deadline = started + p.duration;
    let mut tasks = Vec::new();
    for (i, conn) in conns.into_iter().enumerate() {
        let (tally, op, max) = (tally.clone(), op.clone(), p.max_ops);
        let mut rng = StdRng::seed_from_u64(p.seed.wrapping_add(i as u64));
        tasks.push(tokio::spawn(async move {
            let mut lat: HashMap<&'static str, Vec<Duration>> = HashMap::new();
            while Instant::now() < deadline {
                if max.is_some_and(|m| tally.ops.fetch_add(1, Ordering::SeqCst) >= m) {
                    tally.ops.fetch_sub(1, Ordering::SeqCst);
                    break;
                }
                if max.is_none() {
                    tally.ops.fetch_add(1, Ordering::SeqCst);
                }
                let (r, samples) = op(conn.clone(), rng).await;
                rng = r;
                for (label, d, ok) in samples {
                    if ok {
                        lat.entry(label).or_default().push(d);
                    } else {
                        tally.errors.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            lat
        }));
    }
    let mut all: HashMap<&'static str, Vec<Duration>> = HashMap::new();
    for t in tasks {
        for (k, v) in t.await? {
            all.entry(k).or_default().extend(v);
        }
    }
    let elapsed = started.elapsed();
    Ok((
        all,
        tally.ops.load(Ordering::SeqCst),
        tally.errors.load(Ordering::SeqCst),
        elapsed,
    ))
}

async fn logged_in_clients(
    base: &str,
    t: &Target,
    user: &str,
    n: usize,
) -> anyhow::Result<Vec<ApiConn>> {
    let first = ApiConn::login(base, &t.tenant, user, &t.password).await?;
    let mut v = vec![first.clone()];
    for _ in 1..n.max(1) {
        v.push(first.fork()?);
    }
    Ok(v)
}

/// Scenario 1: `clients` workstations recording vitals over `POST /api/v1/patients/{id}/vitals`
/// as fast as the server answers. One clinic: its writers serialise on its revision counter
/// (DESIGN.md, sync invariant 1), so this is the worst case of one very busy clinic.
pub async fn write_throughput(t: &Target, p: &LoadParams) -> anyhow::Result<Report> {
    let conns = logged_in_clients(t.server(0), t, "nurse", p.clients).await?;
    let patients: Arc<Vec<Uuid>> = Arc::new(
        some_patients(&conns[0], 400)
            .await?
            .into_iter()
            .map(|p| p.0)
            .collect(),
    );
    let (lat, ops, errors, elapsed) = run_clients(p, conns, move |c, mut rng| {
        let patients = patients.clone();
        async move {
            let (took, ok) = record_random_set(&c, &patients, &mut rng).await;
            (rng, vec![("record_vitals", took, ok)])
        }
    })
    .await?;
    let samples = lat.get("record_vitals").cloned().unwrap_or_default();
    Ok(Report {
        scenario: "write".into(),
        params: json!({"clients": p.clients, "duration_s": p.duration.as_secs_f64(), "max_ops": p.max_ops, "tenant": t.tenant}),
        operations: ops,
        errors,
        missed: 0,
        elapsed_s: elapsed.as_secs_f64(),
        throughput_per_s: rate(samples.len() as u64, elapsed),
        latency: Latency::of(&samples),
        extra: json!({"operation": "POST /api/v1/patients/{id}/vitals"}),
    })
}

/// One vital-sign set for a random one of `patients`, as a workstation records it: how long the
/// answer took, and whether it was a 201.
async fn record_random_set(c: &ApiConn, patients: &[Uuid], rng: &mut StdRng) -> (Duration, bool) {
    let pid = patients[rng.gen_range(0..patients.len())];
    let body =
        serde_json::to_value(random_vitals(rng, Some(Uuid::new_v4()))).unwrap_or(Value::Null);
    let t0 = Instant::now();
    let ok = matches!(
        c.post(&format!("/api/v1/patients/{pid}/vitals"), &body)
            .await,
        Ok((201, _))
    );
    (t0.elapsed(), ok)
}

/// Scenario 1b: writes spread over many clinics at once. `clinics` clinics
/// (`{tenant}-001`, `{tenant}-002`, …, made by `generate`), `p.clients` workstations in each,
/// every one recording vital-sign sets for its own clinic's patients as in scenario 1. The
/// throughput is the aggregate; `extra` has each clinic's, so how the rate scales from 1 to 100
/// clinics (and whether one clinic starves) reads off runs at several `clinics`.
pub async fn write_spread(t: &Target, clinics: usize, p: &LoadParams) -> anyhow::Result<Report> {
    let mut conns = Vec::new();
    for i in 1..=clinics.max(1) {
        let clinic = Target {
            tenant: format!("{}-{i:03}", t.tenant),
            ..t.clone()
        };
        let cs = logged_in_clients(t.server(0), &clinic, "nurse", p.clients).await?;
        let patients: Arc<Vec<Uuid>> = Arc::new(
            some_patients(&cs[0], 200)
                .await?
                .into_iter()
                .map(|p| p.0)
                .collect(),
        );
        if patients.is_empty() {
            bail!(
                "clinic {} has no patients: generate it first",
                clinic.tenant
            );
        }
        conns.extend(cs.into_iter().map(|c| (i, c, patients.clone())));
    }
    let per_clinic: Arc<Vec<AtomicU64>> =
        Arc::new((0..=clinics.max(1)).map(|_| AtomicU64::new(0)).collect());
    let counts = per_clinic.clone();
    let (lat, ops, errors, elapsed) = run_clients(p, conns, move |(i, c, patients), mut rng| {
        let counts = counts.clone();
        async move {
            let (took, ok) = record_random_set(&c, &patients, &mut rng).await;
            if ok {
                counts[i].fetch_add(1, Ordering::Relaxed);
            }
            (rng, vec![("record_vitals", took, ok)])
        }
    })
    .await?;
    let samples = lat.get("record_vitals").cloned().unwrap_or_default();
    let rates: Vec<f64> = per_clinic
        .iter()
        .skip(1)
        .map(|n| rate(n.load(Ordering::Relaxed), elapsed))
        .collect();
    let (lo, hi) = rates
        .iter()
        .fold((f64::MAX, 0.0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    Ok(Report {
        scenario: "write-spread".into(),
        params: json!({"clinics": clinics, "clients_per_clinic": p.clients, "duration_s": p.duration.as_secs_f64(), "tenant_prefix": t.tenant}),
        operations: ops,
        errors,
        missed: 0,
        elapsed_s: elapsed.as_secs_f64(),
        throughput_per_s: rate(samples.len() as u64, elapsed),
        latency: Latency::of(&samples),
        extra: json!({"operation": "POST /api/v1/patients/{id}/vitals", "per_clinic_min_per_s": lo, "per_clinic_max_per_s": hi}),
    })
}

/// Scenario 2: `clients` workstations each doing, at random, a patient search by family-name
/// prefix (40 %) or a chart load (60 %: the patient, their vitals and their appointments,
/// fetched together as a chart screen would). Latency is per operation (a chart load counts
/// once, when its three answers are in); per-kind figures are in `extra`.
pub async fn read_throughput(t: &Target, p: &LoadParams) -> anyhow::Result<Report> {
    let conns = logged_in_clients(t.server(0), t, "doctor", p.clients).await?;
    let patients = Arc::new(some_patients(&conns[0], 1000).await?);
    let (lat, ops, errors, elapsed) = run_clients(p, conns, move |c, mut rng| {
        let patients = patients.clone();
        async move {
            let (pid, family) = patients[rng.gen_range(0..patients.len())].clone();
            let t0 = Instant::now();
            if rng.gen_bool(0.4) {
                let prefix: String = family.chars().take(3).collect();
                let ok = matches!(
                    c.get(&format!(
                        "/api/v1/patients?q={}&limit=20",
                        urlencode(&prefix)
                    ))
                    .await,
                    Ok((200, _))
                );
                (rng, vec![("search", t0.elapsed(), ok)])
            } else {
                let patient_path = format!("/api/v1/patients/{pid}");
                let vitals_path = format!("/api/v1/patients/{pid}/vitals?limit=50");
                let appts_path = format!("/api/v1/appointments?patient_id={pid}");
                let (a, b, d) = tokio::join!(
                    c.get(&patient_path),
                    c.get(&vitals_path),
                    c.get(&appts_path)
                );
                let ok = [a, b, d].iter().all(|r| matches!(r, Ok((200, _))));
                (rng, vec![("chart", t0.elapsed(), ok)])
            }
        }
    })
    .await?;
    let mut all = Vec::new();
    let mut per = serde_json::Map::new();
    for (k, v) in &lat {
        per.insert((*k).to_owned(), serde_json::to_value(Latency::of(v))?);
        all.extend(v.iter().copied());
    }
    Ok(Report {
        scenario: "read".into(),
        params: json!({"clients": p.clients, "duration_s": p.duration.as_secs_f64(), "max_ops": p.max_ops, "tenant": t.tenant}),
        operations: ops,
        errors,
        missed: 0,
        elapsed_s: elapsed.as_secs_f64(),
        throughput_per_s: rate(all.len() as u64, elapsed),
        latency: Latency::of(&all),
        extra: json!({"per_operation": per, "mix": "40% search by family-name prefix, 60% chart (patient + vitals + appointments in parallel)"}),
    })
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What listens in the propagation scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerKind {
    /// Raw WebSocket subscribers: parse each pushed `changes` page and look for the written id.
    Raw,
    /// Real client cores (SQLite cache, sync engine): the write has arrived when the cache's
    /// cursor passes its revision.
    Workstation,
}

impl ListenerKind {
    fn as_str(self) -> &'static str {
        match self {
            ListenerKind::Raw => "raw-websocket",
            ListenerKind::Workstation => "workstation-core",
        }
    }
}

/// Parameters of [`propagation`].
#[derive(Debug, Clone)]
pub struct PropagationParams {
    /// Connected listeners.
    pub listeners: usize,
    /// Raw subscribers or real client cores.
    pub kind: ListenerKind,
    /// Vitals sets written.
    pub writes: usize,
    /// Time between writes (each write is sent on schedule, not after the previous answer).
    pub interval: Duration,
    /// Index of the server the writer uses.
    pub writer_server: usize,
    /// Index of the server the listeners use.
    pub listener_server: usize,
    /// How long to wait after the last write for stragglers before counting them missed.
    pub grace: Duration,
    /// Seed.
    pub seed: u64,
}

#[derive(Deserialize)]
struct PushedPage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    changes: Vec<PushedChange>,
}

#[derive(Deserialize)]
struct PushedChange {
    entity: String,
    id: Uuid,
}

/// What one listener saw: written id → arrival (raw), or (cursor, when) steps (workstation).
enum Seen {
    Ids(HashMap<Uuid, Instant>),
    Cursor(Vec<(i64, Instant)>),
}

async fn raw_listener(
    url: String,
    token: String,
    ready: tokio::sync::mpsc::Sender<()>,
    mut stop: watch::Receiver<bool>,
    received: Arc<AtomicU64>,
) -> anyhow::Result<Seen> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    let mut req = url.into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (ws, _) = tokio::time::timeout(
        Duration::from_secs(30),
        tokio_tungstenite::connect_async(req),
    )
    .await
    .context("websocket connect timed out")??;
    let (_write, mut read) = ws.split();
    match read.next().await {
        Some(Ok(Message::Text(t))) if t.as_str().contains("\"hello\"") => {}
        other => bail!("expected hello, got {other:?}"),
    }
    let _ = ready.send(()).await;
    let mut seen = HashMap::new();
    loop {
        tokio::select! {
            m = read.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    let now = Instant::now();
                    if let Ok(page) = serde_json::from_str::<PushedPage>(t.as_str()) {
                        if page.kind == "changes" {
                            for c in page.changes {
                                if c.entity == "vital_signs" {
                                    seen.entry(c.id).or_insert(now);
                                    received.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => bail!("websocket: {e}"),
                None => bail!("websocket closed by the server"),
            },
            _ = stop.changed() => break,
        }
    }
    Ok(Seen::Ids(seen))
}

/// The configuration of a benchmark workstation in `dir`: its own keyring namespace.
pub fn workstation_config(dir: &Path, label: &str) -> WorkstationConfig {
    WorkstationConfig {
        data_dir: dir.to_path_buf(),
        keyring_service: format!("medoffice-bench-{}", Uuid::new_v4()),
        device_id: format!("bench-{label}-{}", Uuid::new_v4()),
        offline_unlock_hours: medoffice_client::DEFAULT_OFFLINE_UNLOCK_HOURS,
        allow_insecure_http: false,
        ca_certificate: None,
    }
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn wait_until<F: FnMut() -> bool>(
    limit: Duration,
    what: &str,
    mut f: F,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    loop {
        if f() {
            return Ok(start.elapsed());
        }
        if start.elapsed() > limit {
            bail!("{what}: not within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Signs a fresh workstation in at `server` and waits until it is online and caught up.
pub async fn open_workstation(
    server: &str,
    t: &Target,
    user: &str,
    dir: &Path,
) -> anyhow::Result<Workstation> {
    let ws = Workstation::open(workstation_config(dir, user)).map_err(err)?;
    ws.login(server, &t.tenant, user, &t.password)
        .await
        .map_err(err)?;
    wait_until(Duration::from_secs(600), "workstation online", || {
        ws.status().state == ConnectionState::Online
    })
    .await?;
    Ok(ws)
}

/// Scenarios 3 and 6: propagation latency from one writer to `listeners` listeners.
pub async fn propagation(t: &Target, p: &PropagationParams) -> anyhow::Result<Report> {
    let writer = ApiConn::login(t.server(p.writer_server), &t.tenant, "nurse", &t.password).await?;
    let patients: Vec<Uuid> = some_patients(&writer, 200)
        .await?
        .into_iter()
        .map(|x| x.0)
        .collect();
    let listen_base = t.server(p.listener_server).to_owned();
    let (stop_tx, stop_rx) = watch::channel(false);
    let received = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    let mut workstations = Vec::new();
    let connect_started = Instant::now();
    match p.kind {
        ListenerKind::Raw => {
            let reader = ApiConn::login(&listen_base, &t.tenant, "doctor", &t.password).await?;
            let ws_url = format!("{}/api/v1/sync/ws", listen_base.replacen("http", "ws", 1));
            let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(p.listeners.max(1));
            // connect in waves so the accept queue is not flooded
            for wave in (0..p.listeners).collect::<Vec<_>>().chunks(50) {
                for _ in wave {
                    tasks.push(tokio::spawn(raw_listener(
                        ws_url.clone(),
                        reader.token().to_owned(),
                        ready_tx.clone(),
                        stop_rx.clone(),
                        received.clone(),
                    )));
                }
                for _ in wave {
                    tokio::time::timeout(Duration::from_secs(60), ready_rx.recv())
                        .await
                        .context("a subscriber did not get its hello")?
                        .context("subscriber failed")?;
                }
            }
        }
        ListenerKind::Workstation => {
            for i in 0..p.listeners {
                let dir = tempfile::Builder::new()
                    .prefix("medoffice-bench-ws-")
                    .tempdir()?;
                let ws = Arc::new(open_workstation(&listen_base, t, "doctor", dir.path()).await?);
                let mut rx = ws.subscribe_status();
                let mut stop = stop_rx.clone();
                let _ = i;
                tasks.push(tokio::spawn(async move {
                    let mut steps = vec![(rx.borrow().cursor, Instant::now())];
                    loop {
                        tokio::select! {
                            c = rx.changed() => {
                                if c.is_err() { break; }
                                let cursor = rx.borrow().cursor;
                                if steps.last().is_none_or(|s| s.0 != cursor) {
                                    steps.push((cursor, Instant::now()));
                                }
                            }
                            _ = stop.changed() => break,
                        }
                    }
                    Ok(Seen::Cursor(steps))
                }));
                workstations.push((ws, dir));
            }
        }
    }
    let connect_time = connect_started.elapsed();
    let vitals_before: Vec<i64> = {
        let mut v = Vec::new();
        for (ws, _) in &workstations {
            v.push(ws.cache_counts().await.map_err(err)?.1);
        }
        v
    };

    // the writer: one set every `interval`, each sent on schedule
    let mut rng = StdRng::seed_from_u64(p.seed);
    let mut tick = tokio::time::interval(p.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sends = Vec::new();
    let write_started = Instant::now();
    for _ in 0..p.writes {
        tick.tick().await;
        let id = Uuid::new_v4();
        let pid = patients[rng.gen_range(0..patients.len())];
        let body = serde_json::to_value(random_vitals(&mut rng, Some(id)))?;
        let w = writer.clone();
        let sent = Instant::now();
        sends.push(tokio::spawn(async move {
            let t0 = Instant::now();
            let r = w
                .post(&format!("/api/v1/patients/{pid}/vitals"), &body)
                .await;
            let answered = t0.elapsed();
            match r {
                Ok((201, b)) => (id, sent, answered, b["revision"].as_i64()),
                _ => (id, sent, answered, None),
            }
        }));
    }
    let mut writes = Vec::new();
    for s in sends {
        writes.push(s.await?);
    }
    let write_time = write_started.elapsed();
    let ok: Vec<_> = writes.iter().filter(|w| w.3.is_some()).collect();
    let errors = (writes.len() - ok.len()) as u64;
    let max_rev = ok.iter().filter_map(|w| w.3).max().unwrap_or(0);
    let write_answers: Vec<Duration> = ok.iter().map(|w| w.2).collect();

    // wait for stragglers
    let expected = (ok.len() * p.listeners) as u64;
    let grace_start = Instant::now();
    while grace_start.elapsed() < p.grace {
        let done = match p.kind {
            ListenerKind::Raw => received.load(Ordering::Relaxed) >= expected,
            ListenerKind::Workstation => workstations
                .iter()
                .all(|(ws, _)| ws.status().cursor >= max_rev),
        };
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop_tx.send(true);
    let mut latencies = Vec::with_capacity(expected as usize);
    let mut missed = 0u64;
    let mut listener_errors = 0u64;
    for task in tasks {
        match task.await? {
            Ok(Seen::Ids(seen)) => {
                for w in &ok {
                    match seen.get(&w.0) {
                        Some(at) => latencies.push(at.saturating_duration_since(w.1)),
                        None => missed += 1,
                    }
                }
            }
            Ok(Seen::Cursor(steps)) => {
                for w in &ok {
                    let rev = w.3.unwrap_or(i64::MAX);
                    match steps.iter().find(|s| s.0 >= rev) {
                        Some(s) => latencies.push(s.1.saturating_duration_since(w.1)),
                        None => missed += 1,
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "listener failed");
                listener_errors += 1;
                missed += ok.len() as u64;
            }
        }
    }
    // a real cache holds every written set
    let mut cache_short = 0i64;
    for ((ws, _), before) in workstations.iter().zip(vitals_before) {
        let now = ws.cache_counts().await.map_err(err)?.1;
        cache_short += (before + ok.len() as i64 - now).max(0);
        ws.close().await;
    }
    let fanout = t.server(p.writer_server) != t.server(p.listener_server);
    Ok(Report {
        scenario: if fanout { "fanout" } else { "propagation" }.into(),
        params: json!({
            "listeners": p.listeners,
            "listener_kind": p.kind.as_str(),
            "writes": p.writes,
            "interval_ms": p.interval.as_millis(),
            "writer_server": t.server(p.writer_server),
            "listener_server": t.server(p.listener_server),
            "tenant": t.tenant,
        }),
        operations: writes.len() as u64,
        errors: errors + listener_errors,
        missed,
        elapsed_s: write_time.as_secs_f64(),
        throughput_per_s: rate(latencies.len() as u64, write_time),
        latency: Latency::of(&latencies),
        extra: json!({
            "deliveries": latencies.len(),
            "expected_deliveries": expected,
            "write_answer": Latency::of(&write_answers),
            "connect_s": connect_time.as_secs_f64(),
            "cache_rows_missing": cache_short,
            "measured": match p.kind {
                ListenerKind::Raw => "from the write being sent to the pushed page holding its id arriving at the subscriber",
                ListenerKind::Workstation => "from the write being sent to the workstation's cache cursor passing the write's revision",
            },
        }),
    })
}

/// Parameters of [`cold_sync`].
#[derive(Debug, Clone)]
pub struct ColdSyncParams {
    /// Give up after this long.
    pub limit: Duration,
    /// Where to put the cache (a temp folder when `None`; it is removed afterwards).
    pub dir: Option<PathBuf>,
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Scenario 4: a new workstation (real client core) joins the clinic; time from sign-in until
/// its cache is complete (cursor at the server's revision and row counts equal), and the size
/// of the cache on disk. The clinic must be quiet meanwhile; needs `Target::database_url`.
pub async fn cold_sync(t: &Target, p: &ColdSyncParams) -> anyhow::Result<Report> {
    let db = t
        .database_url
        .as_deref()
        .context("cold sync needs --database-url to read the server's counts")?;
    let (pc, vc, ac, sc, rev) = crate::generate::server_counts(db, &t.tenant).await?;
    let tmp = tempfile::Builder::new()
        .prefix("medoffice-bench-cold-")
        .tempdir()?;
    let dir = p.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let started = Instant::now();
    let ws = Workstation::open(workstation_config(&dir, "cold")).map_err(err)?;
    ws.login(t.server(0), &t.tenant, "doctor", &t.password)
        .await
        .map_err(err)?;
    let login = started.elapsed();
    let mut errors = 0;
    let mut progress = Vec::new();
    let mut next_mark = Duration::from_secs(5);
    loop {
        let st = ws.status();
        if st.cursor >= rev {
            let counts = ws.cache_counts().await.map_err(err)?;
            if counts == (pc, vc, ac, sc) {
                break;
            }
            if started.elapsed() > p.limit {
                errors += 1;
                tracing::warn!(?counts, "cache counts differ from the server's");
                break;
            }
        }
        if started.elapsed() >= next_mark {
            progress.push(json!({"s": next_mark.as_secs(), "cursor": st.cursor}));
            next_mark += Duration::from_secs(5);
        }
        if started.elapsed() > p.limit {
            bail!(
                "cold sync not complete within {:?} (cursor {} of {rev})",
                p.limit,
                st.cursor
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed();
    ws.close().await;
    drop(ws);
    let size = dir_size(&dir);
    let rows = (pc + vc + ac + sc) as u64;
    Ok(Report {
        scenario: "cold-sync".into(),
        params: json!({"tenant": t.tenant, "patients": pc, "vitals": vc, "appointments": ac, "staff": sc, "revision": rev}),
        operations: rows,
        errors,
        missed: 0,
        elapsed_s: elapsed.as_secs_f64(),
        throughput_per_s: rate(rows, elapsed),
        latency: Latency::of(&[elapsed]),
        extra: json!({
            "login_s": login.as_secs_f64(),
            "cache_bytes": size,
            "cache_mib": (size as f64 / 1048576.0 * 10.0).round() / 10.0,
            "bytes_per_row": size.checked_div(rows).unwrap_or(0),
            "progress": progress,
            "listener": "workstation-core",
        }),
    })
}

/// Parameters of [`outbox_drain`].
#[derive(Debug, Clone)]
pub struct DrainParams {
    /// Vitals sets entered offline.
    pub mutations: usize,
    /// Give up after this long.
    pub limit: Duration,
}

/// Scenario 5: a real client core behind a switchable proxy registers 20 patients online, loses
/// the link, records `mutations` vitals sets offline, and gets the link back. Reports the entry
/// time, the reconnect wait (the engine's backoff, up to 15 s ± 25 %) and the drain time from
/// reconnection to an empty outbox, separately.
pub async fn outbox_drain(t: &Target, p: &DrainParams) -> anyhow::Result<Report> {
    let server: std::net::SocketAddr = t
        .server(0)
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .replace("localhost", "127.0.0.1")
        .parse()
        .context("server address")?;
    let proxy = Proxy::start(server).await?;
    let dir = tempfile::Builder::new()
        .prefix("medoffice-bench-drain-")
        .tempdir()?;
    let ws = open_workstation(&proxy.url(), t, "nurse", dir.path()).await?;
    let mut ids = Vec::new();
    let run = Uuid::new_v4().simple().to_string();
    for i in 0..20 {
        let p = ws
            .register_patient(NewPatient {
                id: None,
                given_name: format!("Outbox{i:02}"),
                family_name: format!("Drain{}", &run[..8]),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(1970 + i, 3, 14).context("date")?,
                sex: AdministrativeSex::Female,
                phone: Some("(617) 555-0100".into()),
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
            })
            .await
            .map_err(err)?;
        ids.push(p.record.id);
    }
    let drained = |ws: &Workstation| {
        let st = ws.status();
        st.state == ConnectionState::Online && st.pending == 0
    };
    wait_until(Duration::from_secs(60), "registrations sent", || {
        drained(&ws)
    })
    .await?;
    proxy.set_online(false);
    wait_until(Duration::from_secs(60), "workstation offline", || {
        ws.status().state != ConnectionState::Online
    })
    .await?;
    let mut rng = StdRng::seed_from_u64(7);
    let entered = Instant::now();
    for i in 0..p.mutations {
        ws.record_vitals(ids[i % ids.len()], random_vitals(&mut rng, None))
            .await
            .map_err(err)?;
    }
    let entry = entered.elapsed();
    let pending = ws.status().pending;
    let refused = proxy.connections();
    let back = Instant::now();
    proxy.set_online(true);
    wait_until(Duration::from_secs(60), "reconnection", || {
        proxy.connections() > refused
    })
    .await?;
    let waited = back.elapsed();
    let reconnected = Instant::now();
    wait_until(p.limit, "outbox drained", || drained(&ws)).await?;
    let drain = reconnected.elapsed();
    let st = ws.status();
    ws.close().await;
    Ok(Report {
        scenario: "outbox-drain".into(),
        params: json!({"mutations": p.mutations, "tenant": t.tenant}),
        operations: p.mutations as u64,
        errors: u64::from(st.rejected + st.held)
            + (p.mutations as u64).saturating_sub(u64::from(pending)),
        missed: 0,
        elapsed_s: drain.as_secs_f64(),
        throughput_per_s: rate(p.mutations as u64, drain),
        latency: Latency::of(&[drain]),
        extra: json!({
            "entry_s": entry.as_secs_f64(),
            "entry_per_mutation_ms": entry.as_secs_f64() * 1e3 / p.mutations.max(1) as f64,
            "reconnect_wait_s": waited.as_secs_f64(),
            "drain_s": drain.as_secs_f64(),
            "pending_before": pending,
            "listener": "workstation-core",
        }),
    })
}
