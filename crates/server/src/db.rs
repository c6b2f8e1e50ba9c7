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
    conn.close().await?;
    Ok(())
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
