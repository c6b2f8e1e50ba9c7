//! One clinic never sees another's data: over REST, the feed, the WebSocket, and in the
//! database itself (row-level security), even for a query that forgets its tenant.

use std::time::Duration;

use medoffice_e2e::{Http, System};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_clinic_sees_none_of_the_first_ones_data() -> anyhow::Result<()> {
    let sys = System::start().await?;
    let first = sys.clinic("first", "UTC").await?;
    let second = sys.clinic("second", "UTC").await?;
    let http = Http::new(&sys.server.url());
    let a = http.token("first", "nurse").await?;
    let b = http.token("second", "admin").await?;

    let (s, p) = http
        .call(Method::POST, "/api/v1/patients", Some(&a), Some(json!({"given_name": "Secret", "family_name": "Patient", "date_of_birth": "1970-01-01", "sex": "male"})))
        .await?;
    assert_eq!(s, 201, "{p}");
    let pid = p["id"].as_str().unwrap_or_default().to_owned();
    let (s, _) = http
        .call(
            Method::POST,
            &format!("/api/v1/patients/{pid}/vitals"),
            Some(&a),
            Some(json!({"measured_at": chrono::Utc::now(), "heart_rate_bpm": 70})),
        )
        .await?;
    assert_eq!(s, 201);

    // a workstation of the second clinic is connected while the first writes
    let (other, _d) = sys.workstation("second", "nurse").await?;

    // REST: search, get, vitals, write into it: all as if it did not exist
    let (s, list) = http
        .call(Method::GET, "/api/v1/patients?q=secret", Some(&b), None)
        .await?;
    assert_eq!((s, list["meta"]["total"].as_i64()), (200, Some(0)));
    let (s, list) = http
        .call(Method::GET, "/api/v1/patients", Some(&b), None)
        .await?;
    assert_eq!((s, list["meta"]["total"].as_i64()), (200, Some(0)));
    for path in [
        format!("/api/v1/patients/{pid}"),
        format!("/api/v1/patients/{pid}/vitals"),
    ] {
        let (s, body) = http.call(Method::GET, &path, Some(&b), None).await?;
        assert_eq!(s, 404, "{path}: {body}");
        assert_eq!(body["status"], 404);
    }
    let (s, _) = http
        .call(
            Method::POST,
            &format!("/api/v1/patients/{pid}/vitals"),
            Some(&b),
            Some(json!({"measured_at": chrono::Utc::now(), "heart_rate_bpm": 80})),
        )
        .await?;
    assert_eq!(s, 404);
    let (s, _) = http
        .call(
            Method::PATCH,
            &format!("/api/v1/patients/{pid}"),
            Some(&b),
            Some(json!({"base_revision": 0, "notes": "x"})),
        )
        .await?;
    assert_eq!(s, 404);

    // feed: only the second clinic's own staff
    let (s, feed) = http
        .call(Method::GET, "/api/v1/sync/changes?since=0", Some(&b), None)
        .await?;
    assert_eq!(s, 200);
    let changes = feed["changes"].as_array().cloned().unwrap_or_default();
    assert!(!changes.is_empty());
    assert!(changes.iter().all(|c| c["entity"] == "user"), "{changes:?}");

    // the first clinic writes more while the second's workstation listens
    let (s, _) = http
        .call(Method::POST, "/api/v1/patients", Some(&a), Some(json!({"given_name": "Another", "family_name": "Secret", "date_of_birth": "1980-01-01", "sex": "female"})))
        .await?;
    assert_eq!(s, 201);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (patients, vitals, appointments, staff) =
        other.cache_counts().await.map_err(anyhow::Error::msg)?;
    assert_eq!((patients, vitals, appointments, staff), (0, 0, 0, 4));

    // the database itself: the app role with the wrong tenant, or none, reads nothing
    let mut tx = sys.pool.begin().await?;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM patients")
        .fetch_one(&mut *tx)
        .await?;
    assert_eq!(n, 0, "no tenant set: no rows");
    medoffice_server::db::set_tenant(&mut tx, uuid::Uuid::new_v4()).await?;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM patients")
        .fetch_one(&mut *tx)
        .await?;
    assert_eq!(n, 0, "another tenant: no rows");
    medoffice_server::db::set_tenant(&mut tx, first).await?;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM patients")
        .fetch_one(&mut *tx)
        .await?;
    assert_eq!(n, 2, "its own tenant: its rows");
    tx.rollback().await?;

    // the handlers' own queries, run with another clinic's tenant setting, find nothing
    let pid_uuid: uuid::Uuid = pid.parse()?;
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, uuid::Uuid::new_v4()).await?;
    let got = medoffice_server::clinical::patients::get_patient(&mut tx, pid_uuid).await;
    assert!(
        matches!(got, Err(medoffice_server::error::AppError::NotFound(_))),
        "get_patient under the wrong tenant: {got:?}"
    );
    // the search names the clinic in its own predicates (so an index serves it); asked for the
    // first clinic's patients under another clinic's setting, row-level security still hides them
    let (found, total, _) =
        medoffice_server::clinical::patients::search_patients(&mut tx, first, "secret", 50, 0)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert_eq!(
        (found.len(), total),
        (0, 0),
        "search under the wrong tenant"
    );
    tx.rollback().await?;
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, first).await?;
    let mine = medoffice_server::clinical::patients::get_patient(&mut tx, pid_uuid).await;
    assert!(mine.is_ok(), "the same query under its own tenant finds it");
    let (found, total, _) =
        medoffice_server::clinical::patients::search_patients(&mut tx, first, "secret", 50, 0)
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert_eq!(
        (found.len(), total),
        (2, 2),
        "the same search under its own tenant"
    );
    tx.rollback().await?;

    // every table holding a clinic's rows that the server's role can touch at all has
    // row-level security and a policy (tables only SECURITY DEFINER code reaches, like the
    // audit chain heads, grant it nothing); the server's role owns nothing (RLS binds every
    // non-owner), is no superuser and cannot bypass it
    let unprotected: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
          WHERE c.relkind IN ('r', 'p')
            AND has_table_privilege(current_user, c.oid, 'SELECT, INSERT, UPDATE, DELETE')
            AND (NOT c.relrowsecurity
                 OR NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid))
          ORDER BY 1",
    )
    .fetch_all(&sys.pool)
    .await?;
    assert!(
        unprotected.is_empty(),
        "tenant tables without RLS: {unprotected:?}"
    );
    // and binds the owner too (FORCE): code running as the owner (SECURITY DEFINER functions,
    // the operator's commands) sees a clinic only when it names one or asks for all (0013)
    let not_forced: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
          WHERE c.relkind IN ('r', 'p')
            AND (c.relname = 'tenants' OR EXISTS (
                   SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped))
            AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
          ORDER BY 1",
    )
    .fetch_all(&sys.pool)
    .await?;
    assert!(
        not_forced.is_empty(),
        "tenant tables whose owner is not bound by RLS: {not_forced:?}"
    );
    let tenant_tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
          WHERE a.attname = 'tenant_id' AND c.relkind = 'r'",
    )
    .fetch_one(&sys.pool)
    .await?;
    assert!(
        tenant_tables >= 6,
        "the catalogue check saw the tenant tables ({tenant_tables})"
    );
    let (owned, superuser, bypass): (i64, bool, bool) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'public' AND c.relowner = r.oid),
                r.rolsuper, r.rolbypassrls
           FROM pg_roles r WHERE r.rolname = current_user",
    )
    .fetch_one(&sys.pool)
    .await?;
    assert_eq!(
        (owned, superuser, bypass),
        (0, false, false),
        "the server's role"
    );

    // writing a row for another clinic that exists: the foreign key to tenants accepts it (an
    // RI check reads the referenced table bypassing RLS), the grants allow the insert, so only
    // the policy's check on new rows (USING serves as WITH CHECK) can refuse it, with 42501
    let insert_audit = "INSERT INTO audit_log (tenant_id, action, outcome) VALUES ($1, 'x', 'y')";
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, first).await?;
    sqlx::query(insert_audit)
        .bind(first)
        .execute(&mut *tx)
        .await?;
    tx.rollback().await?;
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, first).await?;
    let wrong_insert = sqlx::query(insert_audit)
        .bind(second)
        .execute(&mut *tx)
        .await;
    let code = match &wrong_insert {
        Err(e) => e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned()),
        Ok(_) => None,
    };
    assert_eq!(
        code.as_deref(),
        Some("42501"),
        "writing a row for another clinic is refused by RLS, not by anything else: {wrong_insert:?}"
    );
    tx.rollback().await?;
    Ok(())
}

/// A runaway query cannot hold one of the server's connections forever: every connection of
/// the server's pool (as `medoffice_app`) carries a statement time limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_server_role_has_a_statement_timeout() -> anyhow::Result<()> {
    let sys = System::start().await?;
    // every connection the pool opens, not only the first one
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(sys.pool.acquire().await?);
    }
    for conn in &mut held {
        let (user, timeout): (String, String) =
            sqlx::query_as("SELECT current_user::text, current_setting('statement_timeout')")
                .fetch_one(&mut **conn)
                .await?;
        assert_eq!(user, "medoffice_app");
        assert_ne!(
            timeout, "0",
            "statement_timeout of the app role's connection"
        );
        let shown: String = sqlx::query_scalar("SHOW statement_timeout")
            .fetch_one(&mut **conn)
            .await?;
        assert_eq!(shown, "30s");
    }
    Ok(())
}
