//! The day the server is restored from a backup (issue 14). A clinic's database is backed up
//! with `pg_dump` while a workstation works; after the backup the workstation sends one more
//! registration (so its feed cursor is past anything the backup holds) and, with the link down,
//! queues another. The backup is restored into a fresh cluster, `audit verify` finds every
//! chain intact, the server starts on it and notices the restore by itself, and the
//! workstation, pointed at it, downloads the clinic again from zero: it ends holding exactly what
//! the restored server holds, and its queued registration reaches the server instead of being
//! lost. Without the new feed history the workstation would have skipped every change the
//! restored server numbered at or below its old cursor.

use std::time::Duration;

use medoffice_e2e::proxy::Proxy;
use medoffice_e2e::{
    new_patient, pg_bin_dir, server_bin_path, wait_for, PgCluster, System, TestServer,
};
use sqlx::Connection;
use uuid::Uuid;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn patients_on(url: &str) -> anyhow::Result<Vec<Uuid>> {
    let mut owner = medoffice_server::db::owner_connection(url).await?;
    let mut ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM patients WHERE NOT deleted")
        .fetch_all(&mut owner)
        .await?;
    ids.sort();
    Ok(ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_workstation_follows_a_restored_server_and_keeps_its_unsent_changes() -> anyhow::Result<()>
{
    let sys = System::start().await?;
    sys.clinic("restore", "UTC").await?;
    let proxy = Proxy::start(sys.server_addr()?).await?;
    let (nurse, _dir) = sys.workstation_at(&proxy.url(), "restore", "nurse").await?;
    let sent = |ws: &medoffice_client::Workstation| {
        let ws = ws.clone();
        async move { ws.outbox().await.is_ok_and(|o| o.is_empty()) }
    };

    let before = nurse
        .register_patient(new_patient("Bella", "Beforebackup"))
        .await
        .map_err(err)?;
    wait_for(Duration::from_secs(30), || sent(&nurse)).await?;

    // the nightly backup (custom format, as README says)
    let backup = tempfile::tempdir()?;
    let dump = backup.path().join("medoffice.dump");
    let out = std::process::Command::new(pg_bin_dir()?.join("pg_dump"))
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(&sys.database_url)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // after the backup: one registration sent (lost with the restore), one queued offline
    let after = nurse
        .register_patient(new_patient("Alma", "Afterbackup"))
        .await
        .map_err(err)?;
    wait_for(Duration::from_secs(30), || sent(&nurse)).await?;
    proxy.set_online(false);
    let queued = nurse
        .register_patient(new_patient("Quinn", "Queuedoffline"))
        .await
        .map_err(err)?;
    assert_eq!(nurse.outbox().await.map_err(err)?.len(), 1);

    // the restore: a fresh cluster, the roles, the dump
    let fresh = tokio::task::spawn_blocking(PgCluster::start).await??;
    {
        let mut su = sqlx::PgConnection::connect(&fresh.url("postgres")).await?;
        sqlx::query("CREATE ROLE medoffice_app NOLOGIN")
            .execute(&mut su)
            .await?;
        su.close().await?;
    }
    let restored_url = fresh.create_database("medoffice").await?;
    let out = std::process::Command::new(pg_bin_dir()?.join("pg_restore"))
        .args(["--exit-on-error", "--dbname"])
        .arg(&restored_url)
        .arg(&dump)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "pg_restore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // every clinic's audit chain is intact in the restored copy
    let out = std::process::Command::new(server_bin_path()?)
        .args(["audit", "verify"])
        .env("DATABASE_URL", &restored_url)
        .output()?;
    assert!(
        out.status.success(),
        "audit verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(patients_on(&restored_url).await?, vec![before.record.id]);

    // the server starts on it (its migration run notices another cluster), at the same address
    // for the workstations
    let epoch_of = |url: String| async move {
        let mut owner = medoffice_server::db::owner_connection(&url).await?;
        anyhow::Ok(
            sqlx::query_scalar::<_, Uuid>("SELECT feed_epoch FROM tenants WHERE code = 'restore'")
                .fetch_one(&mut owner)
                .await?,
        )
    };
    let old_epoch = epoch_of(restored_url.clone()).await?;
    medoffice_server::db::migrate(&restored_url).await?;
    assert_ne!(
        epoch_of(restored_url.clone()).await?,
        old_epoch,
        "a new feed history"
    );
    let url = restored_url.clone();
    let server = tokio::task::spawn_blocking(move || TestServer::start(&url, 0)).await??;
    proxy.set_target(server.addr);
    proxy.set_online(true);

    // the workstation downloads the clinic again and sends what it queued
    let expected = {
        let mut v = vec![before.record.id, queued.record.id];
        v.sort();
        v
    };
    wait_for(Duration::from_secs(60), || async {
        patients_on(&restored_url)
            .await
            .is_ok_and(|ids| ids == expected)
    })
    .await?;
    wait_for(Duration::from_secs(60), || async {
        let shown = |id: Uuid| {
            let nurse = nurse.clone();
            async move {
                nurse
                    .patient_chart(id)
                    .await
                    .ok()
                    .map(|c| c.patient.pending)
            }
        };
        shown(before.record.id).await == Some(false)
            && shown(queued.record.id).await == Some(false)
            && shown(after.record.id).await.is_none()
    })
    .await?;
    let found = nurse
        .search_patients("afterbackup", 10)
        .await
        .map_err(err)?;
    assert!(found.is_empty(), "{found:?}");
    // the registration the backup does not hold is gone from the workstation too, as from the
    // server: the two agree
    assert!(nurse.outbox().await.map_err(err)?.is_empty());

    // a restore the server cannot notice (the same cluster, no new timeline) is said with
    // `medoffice-server restored`: the workstation's cursor is not behind, yet it downloads
    // the clinic again at its next connection (the server's audit log shows the full download)
    let downloads = || {
        let url = restored_url.clone();
        async move {
            let mut owner = medoffice_server::db::owner_connection(&url).await?;
            anyhow::Ok(
                sqlx::query_scalar::<_, i64>(
                    "SELECT count(*) FROM audit_log WHERE action = 'sync.full_download' AND username = 'nurse'",
                )
                .fetch_one(&mut owner)
                .await?,
            )
        }
    };
    let before_command = downloads().await?;
    let out = std::process::Command::new(server_bin_path()?)
        .args(["restored", "--tenant", "restore"])
        .env("DATABASE_URL", &restored_url)
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    proxy.cut_all();
    wait_for(Duration::from_secs(60), || async {
        downloads().await.is_ok_and(|n| n > before_command)
    })
    .await?;
    assert!(nurse.patient_chart(queued.record.id).await.is_ok());
    drop(server);
    Ok(())
}
