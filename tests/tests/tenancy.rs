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
    sys.clinic("second", "UTC").await?;
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
    let wrong_insert = async {
        let mut tx = medoffice_server::db::tenant_tx(&sys.pool, first).await?;
        sqlx::query("INSERT INTO audit_log (tenant_id, action, outcome) VALUES ($1, 'x', 'y')")
            .bind(uuid::Uuid::new_v4())
            .execute(&mut *tx)
            .await
    };
    assert!(
        wrong_insert.await.is_err(),
        "writing a row for another tenant is refused by RLS"
    );
    Ok(())
}
