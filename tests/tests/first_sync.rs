//! A new workstation's first sync of a large clinic (issue 13): its status says how far it has
//! come (records so far, of about how many, time left) while pages arrive, and what has arrived
//! can be searched before the sync ends. Real server, real PostgreSQL, the real client core.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::{Duration, Instant};

use medoffice_bench::generate::{generate, server_counts, GenerateParams};
use medoffice_e2e::{System, PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_first_sync_shows_its_progress_and_what_arrived_is_searchable() -> anyhow::Result<()> {
    let sys = System::start().await?;
    // about 30 feed pages of 2,000
    generate(
        &sys.database_url,
        &GenerateParams {
            tenant: "large".into(),
            time_zone: "UTC".into(),
            password: PASSWORD.into(),
            patients: 20_000,
            vitals: 40_000,
            appointments: 0,
            providers: 1,
            seed: 11,
        },
    )
    .await?;
    let (patients, vitals, appointments, staff, revision) =
        server_counts(&sys.database_url, "large").await?;
    // the first patient the feed sends (the lowest revision): it arrives with the first page
    let mut owner = medoffice_server::db::owner_connection(&sys.database_url).await?;
    let first_family: String = sqlx::query_scalar(
        "SELECT p.family_name FROM patients p JOIN tenants t ON t.id = p.tenant_id \
         WHERE t.code = 'large' ORDER BY p.revision LIMIT 1",
    )
    .fetch_one(&mut owner)
    .await?;

    let (ws, _dir) = sys.workstation("large", "doctor").await?;
    let mut status = ws.subscribe_status();
    let started = Instant::now();
    let mut seen_progress = Vec::new();
    let mut found_before_the_end = None;
    loop {
        let st = status.borrow_and_update().clone();
        if let Some(c) = &st.catching_up {
            assert!(c.received > 0 && c.received <= c.about, "{c:?}");
            seen_progress.push(c.clone());
            if found_before_the_end.is_none() {
                let hits = ws
                    .search_patients(&first_family, 5)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                // still under way after the search answered: it answered from a partial cache
                if ws.status().catching_up.is_some() {
                    found_before_the_end = Some(hits.len());
                }
            }
        }
        if st.cursor >= revision && st.catching_up.is_none() && st.last_synced_at.is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "first sync not done: {st:?}"
        );
        let _ = tokio::time::timeout(Duration::from_millis(200), status.changed()).await;
    }

    assert!(
        seen_progress.len() >= 2,
        "progress shown {} times: {seen_progress:?}",
        seen_progress.len()
    );
    let first = &seen_progress[0];
    let last = seen_progress.last().unwrap();
    assert!(last.received > first.received, "{seen_progress:?}");
    // about how many: the revisions the catch-up spans, never fewer than the records
    let total = (patients + vitals + appointments + staff) as u64;
    assert!(
        first.about >= total && first.about <= revision as u64,
        "{first:?}, {total} records"
    );
    assert!(
        seen_progress.iter().any(|c| c.seconds_left.is_some()),
        "no time left estimated: {seen_progress:?}"
    );
    match found_before_the_end {
        Some(n) => assert!(n > 0, "a patient that had arrived was not found mid-sync"),
        None => panic!("the sync ended before a search could run during it: {seen_progress:?}"),
    }
    // and at the end, everything
    assert_eq!(
        ws.cache_counts()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?,
        (patients, vitals, appointments, staff)
    );
    Ok(())
}
