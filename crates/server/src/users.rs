//! Clinic and staff set-up: creating tenants (owner connection) and users.

use medoffice_model::{Role, StaffMember};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::{is_pg_code, AppError, AppResult};

/// Inserts a user of the current tenant.
pub async fn insert_user(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    username: &str,
    full_name: &str,
    role: Role,
    password_hash: &str,
    active: bool,
) -> AppResult<StaffMember> {
    let row = sqlx::query(
        "INSERT INTO users (id, tenant_id, username, password_hash, full_name, role, active) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         RETURNING id, username, full_name, role, active, revision",
    )
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(username.trim())
    .bind(password_hash)
    .bind(full_name.trim())
    .bind(role.as_str())
    .bind(active)
    .fetch_one(conn)
    .await
    .map_err(|e| if is_pg_code(&e, "23505") { AppError::field("username", "is already taken in this clinic") } else { e.into() })?;
    Ok(crate::feed::staff_from_row(&row)?)
}

/// Creates a clinic (tenant) through an owner connection, or returns the existing one with
/// that code. `time_zone` is an IANA name.
pub async fn ensure_tenant(
    owner: &mut PgConnection,
    code: &str,
    name: &str,
    time_zone: &str,
) -> anyhow::Result<Uuid> {
    time_zone
        .parse::<chrono_tz::Tz>()
        .map_err(|_| anyhow::anyhow!("unknown time zone {time_zone:?}"))?;
    if let Some(id) = sqlx::query_scalar::<_, Uuid>("SELECT id FROM tenants WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *owner)
        .await?
    {
        return Ok(id);
    }
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO tenants (id, code, name, time_zone) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(code)
        .bind(name)
        .bind(time_zone)
        .execute(owner)
        .await?;
    Ok(id)
}
