//! Group commit of a clinic's concurrent vital-sign sets (`clinical::batch`), against the real
//! server and PostgreSQL: many writers at once, a replay racing its original, and a reader
//! following the feed all the while. What must hold is DESIGN.md's sync invariants: every set
//! stored once, each with its audit entry; revisions gap-free; and a reader that advances its
//! cursor page by page while writers commit never skips a row.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use medoffice_e2e::{Http, System};
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

const WRITERS: usize = 16;
const SETS: usize = 25;

fn set(id: Uuid, n: usize) -> Value {
    json!({"id": id, "measured_at": chrono::Utc::now(), "systolic_mmhg": 110 + (n % 40) as i32,
           "diastolic_mmhg": 70, "heart_rate_bpm": 60 + (n % 50) as i32, "spo2_pct": 97})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sets_commit_in_groups_and_a_following_reader_misses_none() -> anyhow::Result<()>
{
    let sys = System::start().await?;
    let tenant = sys.clinic("group", "UTC").await?;
    let http = Http::new(&sys.server.url());
    let nurse = http.token("group", "nurse").await?;
    let mut patients = Vec::new();
    for i in 0..5 {
        let (s, p) = http
            .call(Method::POST, "/api/v1/patients", Some(&nurse), Some(json!({"given_name": format!("Pat{}", "abcde".as_bytes()[i] as char), "family_name": "Group", "date_of_birth": "1970-01-01", "sex": "male"})))
            .await?;
        assert_eq!(s, 201, "{p}");
        patients.push(p["id"].as_str().unwrap().to_owned());
    }

    // a reader follows the feed from where the clinic stands now, page by page
    let (_, start) = http
        .call(
            Method::GET,
            "/api/v1/sync/changes?since=0&limit=5000",
            Some(&nurse),
            None,
        )
        .await?;
    let start_rev = start["revision"].as_i64().unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (http, token, done) = (Http::new(&sys.server.url()), nurse.clone(), done.clone());
        tokio::spawn(async move {
            let mut since = start_rev;
            let mut seen: BTreeMap<i64, String> = BTreeMap::new();
            loop {
                let finished = done.load(Ordering::SeqCst);
                let (s, page) = http
                    .call(
                        Method::GET,
                        &format!("/api/v1/sync/changes?since={since}&limit=7"),
                        Some(&token),
                        None,
                    )
                    .await
                    .unwrap();
                assert_eq!(s, 200, "{page}");
                for c in page["changes"].as_array().unwrap() {
                    let rev = c["revision"].as_i64().unwrap();
                    assert!(rev > since, "a page went back: {rev} after cursor {since}");
                    let before = seen.insert(rev, c["id"].as_str().unwrap().to_owned());
                    assert!(before.is_none(), "revision {rev} delivered twice");
                }
                since = page["revision"].as_i64().unwrap();
                if finished && !page["has_more"].as_bool().unwrap() {
                    return (since, seen);
                }
            }
        })
    };

    // writers, all at once; writer 0 also sends its first set a second time, racing itself
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (http, token, patients) = (
                Http::new(&sys.server.url()),
                nurse.clone(),
                patients.clone(),
            );
            tokio::spawn(async move {
                let mut created = Vec::new();
                for n in 0..SETS {
                    let id = Uuid::now_v7();
                    let path = format!(
                        "/api/v1/patients/{}/vitals",
                        patients[(w + n) % patients.len()]
                    );
                    if w == 0 && n == 0 {
                        // the same body twice (a different body under the same id is a 409)
                        let body = set(id, n);
                        let (a, b) = tokio::join!(
                            http.call(Method::POST, &path, Some(&token), Some(body.clone())),
                            http.call(Method::POST, &path, Some(&token), Some(body))
                        );
                        let mut codes = [a.unwrap().0, b.unwrap().0];
                        codes.sort_unstable();
                        assert_eq!(codes, [200, 201], "a replay racing its original");
                    } else {
                        let (s, v) = http
                            .call(Method::POST, &path, Some(&token), Some(set(id, n)))
                            .await
                            .unwrap();
                        assert_eq!(s, 201, "{v}");
                        assert_eq!(v["id"], json!(id));
                    }
                    created.push(id);
                }
                created
            })
        })
        .collect();
    let mut created = Vec::new();
    for t in tasks {
        created.extend(t.await?);
    }
    done.store(true, Ordering::SeqCst);
    let (end, seen) = reader.await?;

    // every set once, each with one audit entry
    let mut tx = medoffice_server::db::tenant_tx(&sys.pool, tenant).await?;
    let stored: Vec<(Uuid, i64)> =
        sqlx::query_as("SELECT id, count(*) FROM vital_signs WHERE id = ANY($1) GROUP BY id")
            .bind(&created)
            .fetch_all(&mut *tx)
            .await?;
    assert_eq!(stored.len(), WRITERS * SETS);
    assert!(stored.iter().all(|(_, n)| *n == 1));
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'vital_signs.create' AND entity_id = ANY($1) AND outcome = 'success'",
    )
    .bind(&created)
    .fetch_one(&mut *tx)
    .await?;
    assert_eq!(audited as usize, WRITERS * SETS);
    let counter: i64 = sqlx::query_scalar("SELECT revision FROM tenant_counters")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;

    // the reader saw every revision from where it started to the counter, each once, and every
    // set among them: none skipped while groups committed around its cursor
    assert_eq!(end, counter);
    let revs: Vec<i64> = seen.keys().copied().collect();
    assert_eq!(
        revs,
        (start_rev + 1..=counter).collect::<Vec<_>>(),
        "revisions gap-free, none skipped"
    );
    let delivered: HashSet<&str> = seen.values().map(String::as_str).collect();
    for id in &created {
        assert!(
            delivered.contains(id.to_string().as_str()),
            "set {id} never reached the reader"
        );
    }
    Ok(())
}
