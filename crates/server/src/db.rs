//! PostgreSQL access: the pool (every connection runs as `medoffice_app`, which row-level
//! security confines to one tenant), migrations, and tenant-scoped transactions.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, PgPool, Postgres, Transaction};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// The server's migrations (`migrations/server`), embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/server");

/// Opens the pool. Each connection switches to the `medoffice_app` role, which owns nothing
/// and is subject to row-level security, so a handler that forgets its tenant reads nothing,
/// and sets `statement_timeout` to 30 s, so a runaway query cannot hold a pooled connection
/// (and its locks) forever: PostgreSQL cancels it. The limit is set here, per connection,
/// because the pool logs in as the owner role and only then switches with `SET ROLE`:
/// settings of `ALTER ROLE medoffice_app SET ...` apply when a session logs in as that role,
/// never on `SET ROLE`, so they would not reach these connections.
pub async fn connect(database_url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    connect_pool(database_url, max_connections, false).await
}

/// [`connect`] for a serving process: its connections also set `app.notify_after_commit`, so
/// their writes do not notify inside the commit; the process announces them after commit
/// through [`crate::hub::Hub::changed`] (migration 0006 says why).
pub async fn connect_serving(database_url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    connect_pool(database_url, max_connections, true).await
}

async fn connect_pool(
    database_url: &str,
    max_connections: u32,
    notify_after_commit: bool,
) -> anyhow::Result<PgPool> {
    let opts = PgConnectOptions::from_str(database_url)?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                conn.execute("SET ROLE medoffice_app").await?;
                conn.execute("SET statement_timeout = '30s'").await?;
                if notify_after_commit {
                    conn.execute("SET app.notify_after_commit = 'on'").await?;
                }
                Ok(())
            })
        })
        .connect_with(opts)
        .await?;
    Ok(pool)
}

/// Runs pending migrations as the connecting (owner) role.
pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    let mut conn = owner_connection(database_url).await?;
    MIGRATOR.run(&mut conn).await?;
    if note_incarnation(&mut conn).await? {
        tracing::warn!(
            "this database was restored (it last ran on another cluster or timeline): every \
             clinic's feed starts a new history; workstations download it again and keep their \
             unsent changes"
        );
    }
    conn.close().await?;
    Ok(())
}

/// Notes the cluster and timeline this database runs on; when they differ from the last ones
/// noted (a restore into another cluster, or point-in-time recovery), every clinic's feed
/// starts a new history ([`restart_feed_history`]). True when it did. The first run only notes.
pub async fn note_incarnation(owner: &mut PgConnection) -> anyhow::Result<bool> {
    let (system, timeline): (i64, i32) = sqlx::query_as(
        // the timeline of the WAL being written now: it changes at a point-in-time recovery's
        // promotion, before any checkpoint records it in pg_control
        "SELECT s.system_identifier, ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int \
         FROM pg_control_system() s",
    )
    .fetch_one(&mut *owner)
    .await?;
    let noted: Option<(i64, i32)> =
        sqlx::query_as("SELECT system_identifier, timeline FROM database_incarnation")
            .fetch_optional(&mut *owner)
            .await?;
    let restored = noted.is_some_and(|n| n != (system, timeline));
    if restored {
        restart_feed_history(owner, None).await?;
    }
    if noted != Some((system, timeline)) {
        sqlx::query(
            "INSERT INTO database_incarnation (system_identifier, timeline) VALUES ($1, $2) \
             ON CONFLICT (only_row) DO UPDATE SET system_identifier = $1, timeline = $2, noted_at = now()",
        )
        .bind(system)
        .bind(timeline)
        .execute(&mut *owner)
        .await?;
    }
    Ok(restored)
}

/// Starts a new feed history for one clinic (`tenant_code`) or all: a new `feed_epoch`, so
/// each workstation downloads the clinic again from zero, keeping its unsent changes. For an
/// owner connection ([`owner_connection`]). Returns how many clinics.
pub async fn restart_feed_history(
    owner: &mut PgConnection,
    tenant_code: Option<&str>,
) -> anyhow::Result<u64> {
    let done = sqlx::query(
        "UPDATE tenants SET feed_epoch = gen_random_uuid() WHERE $1::text IS NULL OR code = lower($1)",
    )
    .bind(tenant_code)
    .execute(&mut *owner)
    .await?;
    Ok(done.rows_affected())
}

/// A connection as the owner role (no `SET ROLE`), for migrations and the operator's commands
/// (clinic set-up, plans, audit verification). It says that it works across clinics
/// (`app.all_tenants`): row-level security is forced on the owner too (migration 0013), so
/// only a connection that asks for every clinic sees them.
pub async fn owner_connection(database_url: &str) -> anyhow::Result<PgConnection> {
    let opts = PgConnectOptions::from_str(database_url)?;
    let mut conn: PgConnection = opts.connect().await?;
    conn.execute("SET app.all_tenants = 'on'").await?;
    Ok(conn)
}

/// Begins a transaction scoped to `tenant_id` (`SET LOCAL app.tenant_id`).
pub async fn tenant_tx(
    pool: &PgPool,
    tenant_id: Uuid,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    set_tenant(&mut tx, tenant_id).await?;
    Ok(tx)
}

/// Begins a read-only REPEATABLE READ transaction scoped to `tenant_id`: one snapshot, so a
/// feed page and its cursor agree.
pub async fn tenant_snapshot(
    pool: &PgPool,
    tenant_id: Uuid,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    set_tenant(&mut tx, tenant_id).await?;
    Ok(tx)
}

/// Sets the tenant for the rest of the current transaction.
pub async fn set_tenant(conn: &mut PgConnection, tenant_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(tenant_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}
