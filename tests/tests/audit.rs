//! The audit log: every access recorded with who, where and how it ended; one hash chain per
//! clinic that concurrent writers cannot fork and `audit verify` checks; append-only for the
//! server's role; the admin API (filters, paging, clinic isolation, CSV export).

use std::collections::BTreeSet;

use std::time::Duration;

use medoffice_e2e::{server_bin_path, wait_for, Http, System, PASSWORD};
use medoffice_server::audit_chain::{self, BreakKind};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::Connection;
use uuid::Uuid;

fn patient(id: Uuid, given: &str, family: &str) -> Value {
    json!({"id": id, "given_name": given, "family_name": family, "date_of_birth": "1970-01-02", "sex": "female"})
}

async fn token(http: &Http, tenant: &str, username: &str) -> anyhow::Result<String> {
    http.token(tenant, username).await
}

/// Signs in with a workstation id; answers the token response.
async fn login_from(
    http: &Http,
    tenant: &str,
    username: &str,
    password: &str,
    device: &str,
) -> anyhow::Result<(u16, Value)> {
    http.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"tenant": tenant, "username": username, "password": password, "device_id": device})),
    )
    .await
}

/// Every entry of the audit log as the superuser sees it, as JSON objects.
async fn all_entries(sys: &System) -> anyhow::Result<Vec<Value>> {
    let mut conn = sqlx::PgConnection::connect(&sys.database_url).await?;
    Ok(
        sqlx::query_scalar(
            "SELECT to_jsonb(a) - 'prev_hash' - 'hash' FROM audit_log a ORDER BY id",
        )
        .fetch_all(&mut conn)
        .await?,
    )
}

fn find<'a>(entries: &'a [Value], action: &str, outcome: &str) -> Vec<&'a Value> {
    entries
        .iter()
        .filter(|e| e["action"] == action && e["outcome"] == outcome)
        .collect()
}

async fn verify(sys: &System) -> anyhow::Result<audit_chain::VerifyReport> {
    let mut conn = sqlx::PgConnection::connect(&sys.database_url).await?;
    audit_chain::verify(&mut conn, None).await
}

/// Waits until the running server has chained every committed entry (its sealer runs every
/// 200 ms).
async fn all_chained(sys: &System) -> anyhow::Result<()> {
    wait_for(Duration::from_secs(20), || {
        let url = sys.database_url.clone();
        async move {
            let Ok(mut c) = sqlx::PgConnection::connect(&url).await else {
                return false;
            };
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_log WHERE seq IS NULL")
                .fetch_one(&mut c)
                .await
                .is_ok_and(|n| n == 0)
        }
    })
    .await?;
    Ok(())
}

/// Runs `medoffice-server audit verify`; answers (exit code, stdout).
fn verify_cli(sys: &System, extra: &[&str]) -> anyhow::Result<(i32, String)> {
    let out = std::process::Command::new(server_bin_path()?)
        .args(["audit", "verify"])
        .args(extra)
        .env("DATABASE_URL", &sys.database_url)
        .output()?;
    // what it said on stderr shows with a failing assertion
    eprintln!(
        "audit verify stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

/// Runs `sql` as the superuser with triggers off (what someone tampering would do: the
/// append-only trigger refuses it otherwise).
async fn tamper(sys: &System, sql: &str) -> anyhow::Result<()> {
    let mut conn = sqlx::PgConnection::connect(&sys.database_url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "SET session_replication_role = replica; {sql}; SET session_replication_role = origin"
    )))
    .execute(&mut conn)
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_keep_one_chain_and_verify_finds_tampering() -> anyhow::Result<()> {
    let mut sys = System::start().await?;
    sys.clinic("north", "UTC").await?;
    sys.clinic("south", "UTC").await?;

    // several clients of two clinics at once: registrations, reads, vitals, pushes
    let mut tasks = Vec::new();
    for (i, (clinic, user)) in [
        ("north", "nurse"),
        ("north", "doctor"),
        ("north", "reception"),
        ("north", "admin"),
        ("south", "nurse"),
        ("south", "doctor"),
    ]
    .into_iter()
    .enumerate()
    {
        let base = sys.server.url();
        tasks.push(tokio::spawn(async move {
            let http = Http::new(&base);
            let t = http.token(clinic, user).await?;
            for n in 0..8 {
                let id = Uuid::new_v4();
                let (s, _) = http
                    .call(Method::POST, "/api/v1/patients", Some(&t), Some(patient(id, "Ada", &format!("Client{i}x{n}"))))
                    .await?;
                anyhow::ensure!(s == 201, "create {s}");
                let (s, _) = http
                    .call(Method::GET, &format!("/api/v1/patients/{id}"), Some(&t), None)
                    .await?;
                anyhow::ensure!(s == 200, "read {s}");
                let batch = json!({"mutations": [
                    {"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "create", "id": Uuid::new_v4(),
                     "data": {"patient_id": id, "measured_at": chrono::Utc::now(), "heart_rate_bpm": 70}},
                    {"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "create", "id": Uuid::new_v4(),
                     "data": {"patient_id": id, "measured_at": chrono::Utc::now(), "heart_rate_bpm": 900}}
                ]});
                let (s, _) = http
                    .call(Method::POST, "/api/v1/sync/push", Some(&t), Some(batch))
                    .await?;
                anyhow::ensure!(s == 200, "push {s}");
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    // checks made while the sealer chains new entries never see a break (each clinic is read
    // in one snapshot: its entries and its head row agree)
    let mut checks = 0;
    while !tasks.iter().all(|t| t.is_finished()) {
        let report = verify(&sys).await?;
        assert!(
            report.intact,
            "a check during sealing: {}",
            report.summary()
        );
        checks += 1;
    }
    assert!(checks > 0, "the writers finished before any check ran");
    for t in tasks {
        t.await??;
    }
    // text beyond ASCII hashes the same in PostgreSQL and in the check (byte lengths, UTF-8)
    let (s, _) = Http::new(&sys.server.url())
        .login("north", "Zoë Ölund-Çelik 山田", "not the password")
        .await?;
    assert_eq!(s, 401);

    // the server chains what was committed within moments
    let mut conn = sqlx::PgConnection::connect(&sys.database_url).await?;
    all_chained(&sys).await?;
    let entries = all_entries(&sys).await?;
    let report = verify(&sys).await?;
    assert!(report.intact, "{}", report.summary());
    assert_eq!(report.pending, 0);
    assert_eq!(report.entries as usize, entries.len());
    assert_eq!(report.clinics, 2);
    // each chain is exactly its clinic's entries, 1..n with no fork (no seq twice)
    let per_clinic: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM audit_log GROUP BY tenant_id",
    )
    .fetch_all(&mut conn)
    .await?;
    assert_eq!(per_clinic.len(), 2);
    for (n, distinct, min, max) in per_clinic {
        assert_eq!((distinct, min, max), (n, 1, n));
    }
    let (code, out) = verify_cli(&sys, &[])?;
    assert_eq!(
        (code, out.trim()),
        (
            0,
            format!("intact: {} entries, 2 clinics", entries.len()).as_str()
        )
    );

    // the owner itself may not change or remove an entry (append-only trigger)
    let victim: (i64, String) = sqlx::query_as(
        "SELECT a.id, a.outcome FROM audit_log a JOIN tenants t ON t.id = a.tenant_id \
         WHERE t.code = 'north' AND a.action = 'patient.read' ORDER BY a.seq LIMIT 1 OFFSET 5",
    )
    .fetch_one(&mut conn)
    .await?;
    let refused = sqlx::query("UPDATE audit_log SET outcome = 'denied' WHERE id = $1")
        .bind(victim.0)
        .execute(&mut conn)
        .await;
    assert!(refused.is_err(), "the owner's UPDATE is refused");
    assert!(sqlx::query("DELETE FROM audit_log WHERE id = $1")
        .bind(victim.0)
        .execute(&mut conn)
        .await
        .is_err());
    assert!(sqlx::query("TRUNCATE audit_log")
        .execute(&mut conn)
        .await
        .is_err());

    // altered: one field of one entry
    tamper(
        &sys,
        &format!(
            "UPDATE audit_log SET outcome = 'denied' WHERE id = {}",
            victim.0
        ),
    )
    .await?;
    let r = verify(&sys).await?;
    assert!(!r.intact);
    assert_eq!(r.breaks.len(), 1, "only north is broken: {}", r.summary());
    assert_eq!(
        (
            r.breaks[0].kind,
            r.breaks[0].id,
            r.breaks[0].clinic.as_str()
        ),
        (BreakKind::Altered, Some(victim.0), "north")
    );
    let (code, out) = verify_cli(&sys, &[])?;
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("entry {} at ", victim.0)) && out.contains("altered"),
        "{out}"
    );
    let (code, out) = verify_cli(&sys, &["--tenant", "south"])?;
    assert_eq!(code, 0, "south alone is intact: {out}");
    let (code, out) = verify_cli(&sys, &["--json"])?;
    let j: Value = serde_json::from_str(&out)?;
    assert_eq!(
        (
            code,
            &j["intact"],
            &j["breaks"][0]["kind"],
            &j["breaks"][0]["id"]
        ),
        (1, &json!(false), &json!("altered"), &json!(victim.0))
    );
    // put it back: intact again (the check points at exactly what was changed)
    tamper(
        &sys,
        &format!(
            "UPDATE audit_log SET outcome = '{}' WHERE id = {}",
            victim.1, victim.0
        ),
    )
    .await?;
    assert!(verify(&sys).await?.intact);

    // deleted: one entry in the middle; the entry after it is named
    let saved = "CREATE TABLE saved AS SELECT * FROM audit_log WHERE id = ";
    tamper(
        &sys,
        &format!("{saved}{0}; DELETE FROM audit_log WHERE id = {0}", victim.0),
    )
    .await?;
    let next: i64 = sqlx::query_scalar(
        "SELECT id FROM audit_log WHERE tenant_id = (SELECT tenant_id FROM saved) AND seq = (SELECT seq + 1 FROM saved)",
    )
    .fetch_one(&mut conn)
    .await?;
    let r = verify(&sys).await?;
    assert_eq!(
        (r.breaks[0].kind, r.breaks[0].id),
        (BreakKind::Deleted, Some(next)),
        "{}",
        r.summary()
    );
    let (code, out) = verify_cli(&sys, &[])?;
    assert!(
        code == 1 && out.contains(&format!("entry {next} at ")) && out.contains("deleted"),
        "{out}"
    );
    tamper(
        &sys,
        "INSERT INTO audit_log SELECT * FROM saved; DROP TABLE saved",
    )
    .await?;
    assert!(verify(&sys).await?.intact);

    // reordered: two entries swap places
    let (a, b): (i64, i64) = sqlx::query_as(
        "SELECT min(id), max(id) FROM (SELECT a.id FROM audit_log a JOIN tenants t ON t.id = a.tenant_id \
         WHERE t.code = 'south' ORDER BY a.seq LIMIT 2 OFFSET 10) x",
    )
    .fetch_one(&mut conn)
    .await?;
    let swap = format!(
        "UPDATE audit_log SET seq = CASE id WHEN {a} THEN (SELECT seq FROM audit_log WHERE id = {b}) ELSE (SELECT seq FROM audit_log WHERE id = {a}) END WHERE id IN ({a}, {b})"
    );
    tamper(&sys, &swap).await?;
    let r = verify(&sys).await?;
    assert_eq!(
        (r.breaks[0].kind, r.breaks[0].clinic.as_str()),
        (BreakKind::Reordered, "south"),
        "{}",
        r.summary()
    );
    assert!(r.breaks[0].id == Some(a) || r.breaks[0].id == Some(b));
    tamper(&sys, &swap).await?;
    assert!(verify(&sys).await?.intact);

    // deleted at the end: the chain head still knows the length
    let last: i64 = sqlx::query_scalar(
        "SELECT a.id FROM audit_log a JOIN tenants t ON t.id = a.tenant_id WHERE t.code = 'north' ORDER BY a.seq DESC LIMIT 1",
    )
    .fetch_one(&mut conn)
    .await?;
    tamper(&sys, &format!("DELETE FROM audit_log WHERE id = {last}")).await?;
    let r = verify(&sys).await?;
    assert_eq!(r.breaks[0].kind, BreakKind::Deleted, "{}", r.summary());
    assert!(
        r.breaks[0].message.contains("last 1 entries were deleted"),
        "{}",
        r.summary()
    );

    // with no server running, new entries wait unchained: pending, not broken; the server
    // chains them when it starts again
    sys.server.stop();
    let south: uuid::Uuid = sqlx::query_scalar("SELECT id FROM tenants WHERE code = 'south'")
        .fetch_one(&mut conn)
        .await?;
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, south).await?;
    for _ in 0..3 {
        medoffice_server::audit::record_raw(
            &mut tx,
            south,
            None,
            Some("someone"),
            None,
            None,
            medoffice_server::audit::AuditEntry {
                action: "auth.login_failed",
                entity: None,
                entity_id: None,
                patient_id: None,
                outcome: "unknown_user",
            },
        )
        .await?;
    }
    tx.commit().await?;
    let (code, out) = verify_cli(&sys, &["--tenant", "south"])?;
    assert!(
        code == 0 && out.contains("3 newer entries are not chained yet"),
        "{out}"
    );
    sys.server.restart()?;
    all_chained(&sys).await?;
    let (code, out) = verify_cli(&sys, &["--tenant", "south", "--json"])?;
    let j: Value = serde_json::from_str(&out)?;
    assert_eq!(
        (code, &j["pending"], &j["heads"][0]["clinic"]),
        (0, &json!(0), &json!("south"))
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_app_role_can_only_append() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let tenant = sys.clinic("append", "UTC").await?;
    let http = Http::new(&sys.server.url());
    token(&http, "append", "admin").await?;
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(&mut *tx)
        .await?;
    assert!(n >= 1, "the login is in the log and the app role reads it");
    tx.commit().await?;
    let denied = |sql: &str, r: Result<sqlx::postgres::PgQueryResult, sqlx::Error>| {
        let e = r.err();
        let code = e
            .as_ref()
            .and_then(|e| e.as_database_error())
            .and_then(|d| d.code())
            .map(|c| c.into_owned());
        let message = e.map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(code.as_deref(), Some("42501"), "{sql}: {message}");
        assert!(message.contains("permission denied"), "{sql}: {message}");
    };
    for sql in [
        "UPDATE audit_log SET outcome = 'success'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        // nor may it choose an entry's time, id or chain stamp
        "INSERT INTO audit_log (tenant_id, at, action, outcome) VALUES (current_setting('app.tenant_id')::uuid, now() - interval '1 year', 'x', 'success')",
        "INSERT INTO audit_log (tenant_id, action, outcome, hash) VALUES (current_setting('app.tenant_id')::uuid, 'x', 'success', '\\x00')",
        "UPDATE audit_chain_heads SET seq = 0",
    ] {
        let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
        denied(sql, sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *tx).await);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_access_is_audited_with_who_where_and_outcome() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("trail", "UTC").await?;
    let http = Http::new(&sys.server.url());

    // sign-ins: good, wrong password, unknown user
    let (s, nurse) = login_from(&http, "trail", "nurse", PASSWORD, "ws-nurse").await?;
    assert_eq!(s, 200);
    assert_eq!(
        login_from(&http, "trail", "nurse", "not the password", "ws-nurse")
            .await?
            .0,
        401
    );
    assert_eq!(
        login_from(&http, "trail", "nobody", PASSWORD, "ws-x")
            .await?
            .0,
        401
    );
    let t = nurse["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (_, rec) = login_from(&http, "trail", "reception", PASSWORD, "ws-front").await?;
    let rt = rec["access_token"].as_str().unwrap_or_default().to_owned();

    // reads and writes over REST
    let pid = Uuid::new_v4();
    assert_eq!(
        http.call(
            Method::POST,
            "/api/v1/patients",
            Some(&t),
            Some(patient(pid, "Mary", "Seacole"))
        )
        .await?
        .0,
        201
    );
    assert_eq!(
        http.call(
            Method::GET,
            &format!("/api/v1/patients/{pid}"),
            Some(&t),
            None
        )
        .await?
        .0,
        200
    );
    assert_eq!(
        http.call(
            Method::GET,
            &format!("/api/v1/patients/{pid}/vitals"),
            Some(&t),
            None
        )
        .await?
        .0,
        200
    );
    assert_eq!(
        http.call(
            Method::GET,
            &format!("/api/v1/appointments?patient_id={pid}"),
            Some(&t),
            None
        )
        .await?
        .0,
        200
    );
    let ghost = Uuid::new_v4();
    assert_eq!(
        http.call(
            Method::GET,
            &format!("/api/v1/patients/{ghost}"),
            Some(&t),
            None
        )
        .await?
        .0,
        404
    );
    // refused writes: a receptionist may not record vitals; impossible values
    let vitals = format!("/api/v1/patients/{pid}/vitals");
    assert_eq!(
        http.call(
            Method::POST,
            &vitals,
            Some(&rt),
            Some(json!({"measured_at": chrono::Utc::now(), "heart_rate_bpm": 70}))
        )
        .await?
        .0,
        403
    );
    assert_eq!(
        http.call(
            Method::POST,
            &vitals,
            Some(&t),
            Some(json!({"measured_at": chrono::Utc::now(), "heart_rate_bpm": 900}))
        )
        .await?
        .0,
        422
    );
    assert_eq!(
        http.call(
            Method::POST,
            &vitals,
            Some(&t),
            Some(json!({"measured_at": chrono::Utc::now(), "heart_rate_bpm": 72}))
        )
        .await?
        .0,
        201
    );
    // writes over sync push, one refused
    let bad_mutation = Uuid::new_v4();
    let (s, _) = http
        .call(Method::POST, "/api/v1/sync/push", Some(&t), Some(json!({"mutations": [
            {"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "create", "id": Uuid::new_v4(),
             "data": {"patient_id": pid, "measured_at": chrono::Utc::now(), "spo2_pct": 97}},
            {"mutation_id": bad_mutation, "entity": "vital_signs", "op": "create", "id": Uuid::new_v4(),
             "data": {"patient_id": pid, "measured_at": chrono::Utc::now(), "spo2_pct": 120}}
        ]})))
        .await?;
    assert_eq!(s, 200);
    // a whole-clinic download
    assert_eq!(
        http.call(Method::GET, "/api/v1/sync/changes?since=0", Some(&t), None)
            .await?
            .0,
        200
    );
    // a chart opened on the workstation, reported twice (the answer was lost): recorded once
    let report = json!({"events": [{"id": Uuid::new_v4(), "action": "patient.chart_open", "patient_id": pid, "at": chrono::Utc::now()}]});
    let (s, r) = http
        .call(
            Method::POST,
            "/api/v1/audit/access",
            Some(&t),
            Some(report.clone()),
        )
        .await?;
    assert_eq!((s, &r["recorded"]), (200, &json!(1)));
    let (s, r) = http
        .call(Method::POST, "/api/v1/audit/access", Some(&t), Some(report))
        .await?;
    assert_eq!(
        (s, &r["recorded"], &r["duplicates"]),
        (200, &json!(0), &json!(1))
    );
    let (s, e) = http
        .call(Method::POST, "/api/v1/audit/access", Some(&t), Some(json!({"events": [{"id": Uuid::new_v4(), "action": "patient.delete", "patient_id": pid, "at": chrono::Utc::now()}]})))
        .await?;
    assert_eq!(s, 422);
    assert!(e["errors"]["events[0].action"].is_array(), "{e}");

    // session: refresh, reuse of a spent token (after the grace period) revokes the family, logout
    let refresh = |tok: Value| {
        http.call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": tok, "device_id": "ws-nurse"})),
        )
    };
    let r0 = nurse["refresh_token"].clone();
    let (s, t1) = refresh(r0.clone()).await?;
    assert_eq!(s, 200);
    let mut owner = sqlx::PgConnection::connect(&sys.database_url).await?;
    sqlx::query("UPDATE refresh_tokens SET spent_at = spent_at - interval '5 minutes' WHERE spent_at IS NOT NULL")
        .execute(&mut owner)
        .await?;
    assert_eq!(refresh(r0).await?.0, 401);
    assert_eq!(
        refresh(t1["refresh_token"].clone()).await?.0,
        401,
        "family revoked"
    );
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": rec["refresh_token"]})),
        )
        .await?;
    assert_eq!(s, 204);

    let entries = all_entries(&sys).await?;
    let nurse_id = nurse["user"]["id"].clone();
    // entries of `action` / `outcome` from workstation `device`: at least one, each with the address
    let expect = |action: &str, outcome: &str, device: &str| {
        let found: Vec<_> = find(&entries, action, outcome)
            .into_iter()
            .filter(|e| e["device_id"] == json!(device))
            .collect();
        assert!(
            !found.is_empty(),
            "no {action} / {outcome} from {device} in {entries:#?}"
        );
        for e in &found {
            assert_eq!(e["ip"], json!("127.0.0.1"), "{action}: address");
        }
        found
    };
    let e = expect("auth.login", "success", "ws-nurse");
    assert_eq!(e[0]["user_id"], nurse_id);
    expect("auth.login_failed", "bad_password", "ws-nurse");
    let e = expect("auth.login_failed", "unknown_user", "ws-x");
    assert_eq!(e[0]["username"], json!("nobody"));
    for (action, outcome) in [
        ("patient.create", "success"),
        ("patient.read", "success"),
        ("patient.read", "not_found"),
        ("vital_signs.read", "success"),
        ("appointment.read", "success"),
        ("vital_signs.create", "rejected"),
        ("vital_signs.create", "success"),
        ("sync.full_download", "success"),
        ("patient.chart_open", "success"),
        ("auth.refresh", "success"),
        ("auth.refresh_reuse", "family_revoked"),
    ] {
        let e = expect(action, outcome, "ws-nurse");
        assert!(
            e.iter()
                .all(|e| e["user_id"] == nurse_id && e["username"] == json!("nurse")),
            "{action}"
        );
    }
    assert_eq!(find(&entries, "patient.chart_open", "success").len(), 1);
    assert_eq!(
        find(&entries, "vital_signs.create", "success").len(),
        2,
        "REST and push"
    );
    let refused = find(&entries, "vital_signs.create", "rejected");
    assert!(
        refused.iter().any(|e| e["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&bad_mutation.to_string()))),
        "the push refusal names its mutation"
    );
    expect("vital_signs.create", "denied", "ws-front");
    expect("auth.logout", "success", "ws-front");
    for e in find(&entries, "patient.read", "success") {
        assert_eq!(e["patient_id"], json!(pid));
    }
    assert!(verify(&sys).await?.intact);
    Ok(())
}

/// Items of every page of `GET /api/v1/audit?{query}`, following `next_before`.
async fn all_pages(http: &Http, t: &str, query: &str) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let path = match before {
            Some(b) => format!("/api/v1/audit?{query}&before={b}"),
            None => format!("/api/v1/audit?{query}"),
        };
        let (s, page) = http.call(Method::GET, &path, Some(t), None).await?;
        anyhow::ensure!(s == 200, "{path}: {s} {page}");
        out.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_before"].as_i64() {
            Some(b) => before = Some(b),
            None => return Ok(out),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_audit_api_filters_pages_and_exports_one_clinic() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("east", "UTC").await?;
    sys.clinic("west", "UTC").await?;
    let http = Http::new(&sys.server.url());
    let admin = token(&http, "east", "admin").await?;
    let doctor = token(&http, "east", "doctor").await?;
    let nurse = token(&http, "east", "nurse").await?;
    let west_admin = token(&http, "west", "admin").await?;

    let (p1, p2) = (Uuid::new_v4(), Uuid::new_v4());
    http.call(
        Method::POST,
        "/api/v1/patients",
        Some(&doctor),
        Some(patient(p1, "Florence", "Nightingale")),
    )
    .await?;
    http.call(
        Method::POST,
        "/api/v1/patients",
        Some(&nurse),
        Some(patient(p2, "Clara", "Barton")),
    )
    .await?;
    for _ in 0..3 {
        http.call(
            Method::GET,
            &format!("/api/v1/patients/{p1}"),
            Some(&doctor),
            None,
        )
        .await?;
        http.call(
            Method::GET,
            &format!("/api/v1/patients/{p2}"),
            Some(&nurse),
            None,
        )
        .await?;
    }
    // a failed login whose typed name would be a spreadsheet formula
    let evil = "=HYPERLINK(\"http://x\",\"y\"),z";
    assert_eq!(http.login("east", evil, "whatever password").await?.0, 401);
    let wp = Uuid::new_v4();
    http.call(
        Method::POST,
        "/api/v1/patients",
        Some(&west_admin),
        Some(patient(wp, "West", "Only")),
    )
    .await?;
    http.call(
        Method::GET,
        &format!("/api/v1/patients/{wp}"),
        Some(&west_admin),
        None,
    )
    .await?;

    // the contract is in the OpenAPI document
    let (_, doc) = http
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await?;
    for path in [
        "/api/v1/audit",
        "/api/v1/audit/export",
        "/api/v1/audit/access",
    ] {
        assert!(doc["paths"].get(path).is_some(), "OpenAPI lacks {path}");
    }
    for schema in ["AuditPage", "AuditEvent", "AuditFilter", "AccessReport"] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "OpenAPI lacks {schema}"
        );
    }

    // only admins
    let (s, _) = http
        .call(Method::GET, "/api/v1/audit", Some(&doctor), None)
        .await?;
    assert_eq!(s, 403);

    // by patient: everything about p1 and nothing else, with its name
    let items = all_pages(&http, &admin, &format!("patient_id={p1}&limit=2")).await?;
    assert_eq!(items.len(), 4, "create + 3 reads: {items:#?}");
    assert!(items.iter().all(
        |e| e["patient_id"] == json!(p1) && e["patient_name"] == json!("Florence Nightingale")
    ));
    let ids: Vec<i64> = items.iter().filter_map(|e| e["id"].as_i64()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats: {ids:?}"
    );

    // by user
    let doctor_id = {
        let (_, me) = http
            .call(Method::GET, "/api/v1/auth/me", Some(&doctor), None)
            .await?;
        me["id"].clone()
    };
    let items = all_pages(
        &http,
        &admin,
        &format!("user_id={}", doctor_id.as_str().unwrap_or_default()),
    )
    .await?;
    assert!(
        !items.is_empty()
            && items
                .iter()
                .all(|e| e["user_id"] == doctor_id && e["username"] == json!("doctor"))
    );
    let actions: BTreeSet<&str> = items.iter().filter_map(|e| e["action"].as_str()).collect();
    // (the doctor's refused look at the audit log is there too)
    assert_eq!(
        actions,
        BTreeSet::from(["audit.read", "auth.login", "patient.create", "patient.read"])
    );

    // by action, and by family
    let items = all_pages(&http, &admin, "action=patient.read").await?;
    assert_eq!(items.len(), 6);
    let items = all_pages(&http, &admin, "action=auth.*").await?;
    assert!(items
        .iter()
        .all(|e| e["action"].as_str().is_some_and(|a| a.starts_with("auth."))));
    assert!(items
        .iter()
        .any(|e| e["action"] == "auth.login_failed" && e["username"] == json!(evil)));
    let items = all_pages(
        &http,
        &admin,
        "action=auth.login_failed&outcome=unknown_user",
    )
    .await?;
    assert_eq!(items.len(), 1);

    // by time: from an entry's instant on (inclusive), before it (exclusive)
    let reads = all_pages(&http, &admin, "action=patient.read").await?;
    let pivot = &reads[2];
    let at = pivot["at"].as_str().unwrap_or_default();
    let enc = |s: &str| s.replace('+', "%2B").replace(':', "%3A");
    let later = all_pages(
        &http,
        &admin,
        &format!("action=patient.read&from={}", enc(at)),
    )
    .await?;
    let earlier = all_pages(
        &http,
        &admin,
        &format!("action=patient.read&to={}", enc(at)),
    )
    .await?;
    assert_eq!(later.len() + earlier.len(), 6);
    assert!(later.iter().any(|e| e["id"] == pivot["id"]));
    assert!(earlier
        .iter()
        .all(|e| e["id"].as_i64() < pivot["id"].as_i64()));
    assert!(!earlier.is_empty() && !later.is_empty());
    let window = all_pages(&http, &admin, &format!("from={}&to={}", enc(at), enc(at))).await?;
    assert!(window.is_empty(), "an empty window");

    // invalid filters: 422 naming the field
    for (q, field) in [
        ("patient_id=abc", "patient_id"),
        ("user_id=42", "user_id"),
        ("from=yesterday", "from"),
        ("to=2026-13-01T00:00:00Z", "to"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("before=-3", "before"),
        ("action=DROP%20TABLE", "action"),
        ("outcome=a%3Bb", "outcome"),
        ("patient=1", "patient"),
        ("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
    ] {
        let (s, e) = http
            .call(
                Method::GET,
                &format!("/api/v1/audit?{q}"),
                Some(&admin),
                None,
            )
            .await?;
        assert_eq!(s, 422, "{q}: {e}");
        assert!(e["errors"][field].is_array(), "{q}: {e}");
    }

    // another clinic's patient or user: 404, as for an unknown one; its entries never appear
    let (s, _) = http
        .call(
            Method::GET,
            &format!("/api/v1/audit?patient_id={wp}"),
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(s, 404);
    let west_admin_id = {
        let (_, me) = http
            .call(Method::GET, "/api/v1/auth/me", Some(&west_admin), None)
            .await?;
        me["id"].as_str().unwrap_or_default().to_owned()
    };
    let (s, _) = http
        .call(
            Method::GET,
            &format!("/api/v1/audit?user_id={west_admin_id}"),
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(s, 404);
    let east_all = all_pages(&http, &admin, "limit=500").await?;
    let west_all = all_pages(&http, &west_admin, "limit=500").await?;
    let east_ids: BTreeSet<i64> = east_all.iter().filter_map(|e| e["id"].as_i64()).collect();
    let west_ids: BTreeSet<i64> = west_all.iter().filter_map(|e| e["id"].as_i64()).collect();
    assert!(east_ids.is_disjoint(&west_ids));
    // (east's own refused lookups of west's patient name its id, nothing more)
    assert!(east_all.iter().all(|e| e["user_id"] != json!(west_admin_id)
        && (e["patient_id"] != json!(wp) || e["outcome"] == "not_found")));
    assert!(west_all.iter().any(|e| e["patient_id"] == json!(wp)));

    // reading the log is itself in the log, with its filters
    let reads = all_pages(&http, &admin, "action=audit.read").await?;
    assert!(reads.iter().any(|e| e["detail"]
        .as_str()
        .is_some_and(|d| d.contains(&format!("patient_id={p1}")))));
    assert!(
        reads.iter().any(|e| e["outcome"] == "not_found"),
        "the refused cross-clinic read too"
    );
    let (s, _) = http
        .call(
            Method::GET,
            "/api/v1/audit?action=audit.read&outcome=denied",
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!(s, 200);
    let denied = all_pages(&http, &admin, "action=audit.read&outcome=denied").await?;
    assert_eq!(denied.len(), 1, "the doctor's attempt");

    // CSV export: same filters, header row, every matching entry, audited
    let api_view = all_pages(&http, &admin, "action=auth.*").await?;
    let resp = http
        .client
        .get(format!(
            "{}/api/v1/audit/export?action=auth.*",
            sys.server.url()
        ))
        .bearer_auth(&admin)
        .send()
        .await?;
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()?
        .starts_with("text/csv"));
    let body = resp.text().await?;
    assert!(body.contains("\r\n"), "RFC 4180 line ends");
    let mut rdr = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = rdr.headers()?.iter().map(str::to_owned).collect();
    assert_eq!(header, medoffice_server::audit_log::CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>()?;
    assert_eq!(rows.len(), api_view.len());
    for (row, e) in rows.iter().zip(&api_view) {
        assert_eq!(
            row.get(0).map(str::to_owned),
            e["id"].as_i64().map(|i| i.to_string())
        );
        assert_eq!(row.get(6), e["action"].as_str());
    }
    let evil_row = rows
        .iter()
        .find(|r| r.get(11) == Some("unknown_user"))
        .map(|r| r.get(3).unwrap_or_default().to_owned());
    assert_eq!(
        evil_row.as_deref(),
        Some(format!("'{evil}").as_str()),
        "a formula is neutralised, quotes and commas survive"
    );
    let (s, e) = http
        .call(
            Method::GET,
            "/api/v1/audit/export?limit=abc",
            Some(&admin),
            None,
        )
        .await?;
    assert_eq!((s, e["errors"]["limit"].is_array()), (422, true));
    let exports = all_pages(&http, &admin, "action=audit.export&outcome=success").await?;
    assert_eq!(exports.len(), 1);
    assert_eq!(exports[0]["detail"], json!("action=auth.*"));
    assert_eq!(exports[0]["outcome"], json!("success"));
    let (s, _) = http
        .call(Method::GET, "/api/v1/audit/export", Some(&nurse), None)
        .await?;
    assert_eq!(s, 403);
    assert_eq!(
        all_pages(&http, &admin, "action=audit.export&outcome=denied")
            .await?
            .len(),
        1
    );
    assert_eq!(
        all_pages(&http, &admin, "action=audit.export&outcome=rejected")
            .await?
            .len(),
        1
    );

    assert!(verify(&sys).await?.intact);
    Ok(())
}

/// Every delivery of patients' records by the feed is audited (issue 15): a page pulled from
/// any cursor (`sync.page`) and a page pushed over the WebSocket (`sync.live_page`) each leave
/// one entry under the person who received it, naming the revisions and every patient whose
/// records it carried; a page with none (a room renamed) leaves none. A download of the whole
/// clinic is audited as it begins, under each patient (`sync.full_download`); its next pages,
/// asked for from where it stands, then leave entries only for records newer than that, and
/// once it has ended a re-read is audited in full (issue 13).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_feed_page_pulled_or_pushed_is_audited_with_its_patients() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("feedaudit", "UTC").await?;
    let http = Http::new(&sys.server.url());
    let admin = token(&http, "feedaudit", "admin").await?;
    // the nurse's live socket, read by hand: it never pulls, so what it receives was pushed
    let mut socket = {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let nurse = token(&http, "feedaudit", "nurse").await?;
        let mut req = format!("ws://{}/api/v1/sync/ws", sys.server.addr).into_client_request()?;
        req.headers_mut()
            .insert("authorization", format!("Bearer {nurse}").parse()?);
        tokio_tungstenite::connect_async(req).await?.0
    };
    // the next `changes` page the socket receives (after `hello`)
    let mut next_page = async || -> anyhow::Result<Value> {
        use futures_util::StreamExt;
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(30), socket.next())
                .await
                .map_err(|_| anyhow::anyhow!("the socket stayed silent"))?;
            if let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) = msg {
                let v: Value = serde_json::from_str(&t)?;
                if v["type"] == "changes" {
                    return Ok(v);
                }
            } else if msg.is_none() {
                anyhow::bail!("the socket closed");
            }
        }
    };
    let entries_of = |action: &'static str| {
        let sys = &sys;
        async move {
            let all = all_entries(sys).await?;
            anyhow::Ok(
                all.into_iter()
                    .filter(|e| e["action"] == action)
                    .collect::<Vec<_>>(),
            )
        }
    };
    // the reception registers a patient: the page pushed to the nurse is audited under her,
    // naming the patient
    let reception = token(&http, "feedaudit", "reception").await?;
    let id = Uuid::now_v7();
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/patients",
            Some(&reception),
            Some(patient(id, "Lia", "Feed")),
        )
        .await?;
    assert_eq!(s, 201);
    let pushed = next_page().await?;
    assert!(pushed.to_string().contains(&id.to_string()), "{pushed}");
    // written before the page left
    let live = entries_of("sync.live_page").await?;
    let mine: Vec<&Value> = live
        .iter()
        .filter(|e| e["username"] == "nurse" && e["patient_id"] == json!(id))
        .collect();
    assert_eq!(
        mine.len(),
        1,
        "one entry for the page that brought her, under her: {live:?}"
    );
    assert!(
        mine[0]["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("revisions ")),
        "{}",
        mine[0]
    );

    // a feed page from cursor `since`, pulled with `token`
    let pull = |token: &str, since: i64| {
        let (http, token) = (&http, token.to_owned());
        async move {
            http.call(
                Method::GET,
                &format!("/api/v1/sync/changes?since={since}"),
                Some(&token),
                None,
            )
            .await
        }
    };
    // a download of the whole clinic (a pull from 0) is audited as it begins, under every
    // patient it can carry, naming the revisions up to the clinic's
    let (_, first) = http
        .call(
            Method::GET,
            "/api/v1/sync/changes?since=0&limit=1",
            Some(&admin),
            None,
        )
        .await?;
    let cursor = first["revision"].as_i64().unwrap_or_default();
    let downloads = entries_of("sync.full_download").await?;
    let hers: Vec<&Value> = downloads
        .iter()
        .filter(|e| e["username"] == "admin" && e["patient_id"] == json!(id))
        .collect();
    assert_eq!(hers.len(), 1, "{downloads:?}");
    let covered = hers[0]["detail"]
        .as_str()
        .and_then(|d| d.strip_prefix("revisions 0.."))
        .and_then(|r| r.parse::<i64>().ok())
        .ok_or_else(|| anyhow::anyhow!("{}", hers[0]))?;
    assert!(covered > cursor, "a page of one, the clinic further on");
    assert_eq!(
        downloads
            .iter()
            .filter(|e| e["username"] == "admin" && e["entity"] == "clinic")
            .count(),
        1,
        "and one entry for the clinic: {downloads:?}"
    );

    // the download's next page, asked for from where it stands, carries records the download
    // already named: no entry of its own
    let (s, page) = pull(&admin, cursor).await?;
    assert_eq!(s, 200);
    assert!(page.to_string().contains(&id.to_string()), "{page}");
    let admins_pages = || async {
        anyhow::Ok(
            entries_of("sync.page")
                .await?
                .into_iter()
                .filter(|e| e["username"] == "admin")
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!(admins_pages().await?, Vec::<Value>::new());
    // that page was its last: the same pages read again are audited in full, like any pull
    // that does not continue a download from where it stands
    let (s, _) = pull(&admin, cursor).await?;
    assert_eq!(s, 200);
    let again = admins_pages().await?;
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0]["patient_id"], json!(id));
    assert!(
        again[0]["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with(&format!("revisions {cursor}.."))),
        "{}",
        again[0]
    );

    // a pull from a later cursor by someone who never downloaded the clinic is audited, and
    // names the patient
    let (s, _) = pull(&reception, cursor).await?;
    assert_eq!(s, 200);
    let pulled = entries_of("sync.page").await?;
    let later: Vec<&Value> = pulled
        .iter()
        .filter(|e| {
            e["username"] == "reception"
                && e["detail"]
                    .as_str()
                    .is_some_and(|d| d.starts_with(&format!("revisions {cursor}..")))
        })
        .collect();
    assert_eq!(later.len(), 1, "one patient on that page: {pulled:?}");
    assert_eq!(later[0]["patient_id"], json!(id));

    // a record newer than the download reaches its puller audited again, under its patient
    let nurse = token(&http, "feedaudit", "nurse").await?;
    let (s, _) = http
        .call(
            Method::POST,
            &format!("/api/v1/patients/{id}/vitals"),
            Some(&nurse),
            Some(json!({"measured_at": chrono::Utc::now(), "heart_rate_bpm": 72})),
        )
        .await?;
    assert_eq!(s, 201);
    let (s, page) = pull(&admin, page["revision"].as_i64().unwrap_or_default()).await?;
    assert_eq!(s, 200);
    assert!(page.to_string().contains("\"heart_rate_bpm\":72"), "{page}");
    let mine = admins_pages().await?;
    assert_eq!(mine.len(), 2, "the re-read and this page: {mine:?}");
    assert!(
        mine.iter().all(|e| e["patient_id"] == json!(id)),
        "{mine:?}"
    );
    let _ = next_page().await?; // the set, pushed to the nurse's socket

    // a page of the clinic's own rows only: nothing to audit
    let before = (
        entries_of("sync.live_page").await?.len(),
        entries_of("sync.page").await?.len(),
    );
    let (s, _) = http
        .call(
            Method::POST,
            "/api/v1/rooms",
            Some(&admin),
            Some(json!({"name": "Room 1"})),
        )
        .await?;
    assert_eq!(s, 201);
    let room_page = next_page().await?;
    assert!(room_page.to_string().contains("Room 1"), "{room_page}");
    let (_, tail) = pull(&admin, page["revision"].as_i64().unwrap_or_default()).await?;
    assert!(
        tail["changes"].as_array().is_some_and(|c| c.len() == 1),
        "only the room: {tail}"
    );
    let after = (
        entries_of("sync.live_page").await?.len(),
        entries_of("sync.page").await?.len(),
    );
    assert_eq!(
        after, before,
        "the room's page, pushed and pulled, carried no patient"
    );
    Ok(())
}

/// Reads made from a workstation's own cache reach the audit log too (issue 15): the patients a
/// search lists (`patient.search_shown`, once per person and patient in five minutes, since a
/// search typed letter by letter lists them again and again) and every patient a support dump
/// writes out (`patient.export`), under the person signed in there.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_searches_and_dumps_are_audited() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("localreads", "UTC").await?;
    let http = Http::new(&sys.server.url());
    let reception = token(&http, "localreads", "reception").await?;
    let ids = [Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()];
    for (id, (given, family)) in
        ids.iter()
            .zip([("Ann", "Localread"), ("Bo", "Localread"), ("Cy", "Other")])
    {
        let (s, _) = http
            .call(
                Method::POST,
                "/api/v1/patients",
                Some(&reception),
                Some(patient(*id, given, family)),
            )
            .await?;
        assert_eq!(s, 201);
    }
    let (ws, _dir) = sys.workstation("localreads", "nurse").await?;
    wait_for(Duration::from_secs(30), || async {
        ws.cache_counts().await.is_ok_and(|c| c.0 == 3)
    })
    .await?;
    let of = |action: &'static str| {
        let sys = &sys;
        async move {
            let all = all_entries(sys).await?;
            let mut v: Vec<String> = all
                .iter()
                .filter(|e| e["action"] == action && e["username"] == "nurse")
                .filter_map(|e| e["patient_id"].as_str().map(str::to_owned))
                .collect();
            v.sort();
            anyhow::Ok(v)
        }
    };
    let mut two: Vec<String> = ids[..2].iter().map(Uuid::to_string).collect();
    two.sort();
    // typed letter by letter: the same two listed each time, recorded once
    for typed in ["loc", "loca", "localread"] {
        let found = ws
            .search_patients(typed, 50)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        assert_eq!(found.len(), 2, "{typed}");
    }
    wait_for(Duration::from_secs(30), || async {
        of("patient.search_shown").await.is_ok_and(|v| v == two)
    })
    .await
    .map_err(|e| anyhow::anyhow!("search not audited as the two listed: {e}"))?;
    // a dump writes out every patient here
    let dump = ws.dump().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    assert_eq!(dump["patients"].as_array().map(Vec::len), Some(3));
    let mut all: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    all.sort();
    wait_for(Duration::from_secs(30), || async {
        of("patient.export").await.is_ok_and(|v| v == all)
    })
    .await
    .map_err(|e| anyhow::anyhow!("dump not audited: {e}"))?;
    assert_eq!(
        of("patient.search_shown").await?,
        two,
        "no more listings recorded meanwhile"
    );
    ws.close().await;
    Ok(())
}

/// A sealer pass reads only the entries it chains, whatever the planner's statistics say. An
/// ANALYZE that runs while a backlog waits (a new workstation's first sync of 100,000 patients
/// leaves about a million entries to chain) records most of the log as unchained; with that,
/// 0020's function scanned the whole log in every pass (to list the clinics, and again along
/// the primary key to find a clinic's entries), every 200 ms in every server process, long
/// after the backlog was gone (a 1.5-million-entry backlog chained in 858 s instead of 105 s).
/// Everything here runs in one transaction that is rolled back (the entries and the column
/// statistics; ANALYZE's row count in pg_class stays, in this test's own cluster).
///
/// PostgreSQL's counters count the rows a scan could see: what is checked is that no pass
/// reads the chained entries, which every plan of 0020's function did.
#[tokio::test]
async fn sealer_passes_read_only_what_they_chain_whatever_the_statistics() -> anyhow::Result<()> {
    let sys = System::start().await?;
    sys.clinic("north", "UTC").await?;
    let mut conn = sqlx::PgConnection::connect(&sys.database_url).await?;
    let mut tx = conn.begin().await?;
    let add = |n: i32| {
        sqlx::query(
            "INSERT INTO audit_log (tenant_id, action, outcome) \
             SELECT id, 'patient.read', 'success' FROM tenants, generate_series(1, $1) WHERE code = 'north'",
        )
        .bind(n)
    };
    let seal = || sqlx::query_scalar::<_, i64>("SELECT medoffice_audit_seal(5000)");
    // tuples this transaction has read from the log: by scans, and through indexes
    let read = || {
        sqlx::query_as::<_, (i64, i64)>(
            "SELECT seq_tup_read, idx_tup_fetch FROM pg_stat_xact_user_tables WHERE relname = 'audit_log'",
        )
    };
    // a backlog of 30,000 entries, analysed before it is chained
    add(30000).execute(&mut *tx).await?;
    sqlx::query("ANALYZE audit_log").execute(&mut *tx).await?;
    let unchained: f32 = sqlx::query_scalar(
        "SELECT null_frac FROM pg_stats WHERE tablename = 'audit_log' AND attname = 'seq'",
    )
    .fetch_one(&mut *tx)
    .await?;
    assert!(unchained > 0.9, "the statistics say {unchained}");
    let mut sealed = 0;
    loop {
        let n = seal().fetch_one(&mut *tx).await?;
        sealed += n;
        if n == 0 {
            break;
        }
    }
    assert_eq!(sealed, 30000);
    // chained; the statistics still say it waits. An idle pass reads no entry.
    let before = read().fetch_one(&mut *tx).await?;
    assert_eq!(seal().fetch_one(&mut *tx).await?, 0);
    let after = read().fetch_one(&mut *tx).await?;
    assert_eq!(
        after, before,
        "an idle pass read the log (scanned, through an index)"
    );
    // ten new entries: a pass reads them (twice: to hash, to stamp) and not the 30,000 chained
    add(10).execute(&mut *tx).await?;
    assert_eq!(seal().fetch_one(&mut *tx).await?, 10);
    let then = read().fetch_one(&mut *tx).await?;
    assert_eq!(then.0, after.0, "a pass scanned the log");
    assert!(
        then.1 - after.1 <= 100,
        "a pass of ten entries read {} through indexes",
        then.1 - after.1
    );
    tx.rollback().await?;
    Ok(())
}
