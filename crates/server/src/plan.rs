//! Plan limits: how many active users and live patients a clinic may have
//! (`tenants.max_users`, `max_patients`; NULL is unlimited).
//!
//! They belong to the server's operator: the `medoffice_app` role cannot change them,
//! [`crate::tenants::set_plan`] runs on the owner connection (`medoffice-server tenant
//! set-plan`). They are checked with the clinic's row locked, so two creations at once cannot
//! both take the last place. A module of its own because both staff accounts ([`crate::users`])
//! and patient registration ([`crate::clinical::patients`]) check them.

use sqlx::PgConnection;

use crate::error::{AppError, AppResult};

/// Refuses one more active user beyond the plan (403 `plan_limit`). Locks the clinic's row
/// until the transaction ends.
pub async fn check_user_limit(conn: &mut PgConnection) -> AppResult<()> {
    let max: Option<i32> = sqlx::query_scalar("SELECT max_users FROM tenants FOR NO KEY UPDATE")
        .fetch_one(&mut *conn)
        .await?;
    let Some(max) = max else { return Ok(()) };
    let active: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE active")
        .fetch_one(conn)
        .await?;
    if active >= i64::from(max) {
        return Err(AppError::plan_limit(format!(
            "This clinic's plan allows {max} active users; deactivate an account or ask for a larger plan"
        )));
    }
    Ok(())
}

/// Refuses one more patient beyond `max_patients` (403 `plan_limit`). The caller holds the
/// clinic's counters row locked (patient creation takes the next MRN from `tenant_counters`
/// first, migration 0022), so registrations check one at a time. Counts at most
/// `max` rows, so the check costs no more than the plan is large.
pub async fn check_patient_limit(conn: &mut PgConnection, max: Option<i32>) -> AppResult<()> {
    let Some(max) = max else { return Ok(()) };
    let live: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT 1 FROM patients WHERE NOT deleted LIMIT $1) AS s",
    )
    .bind(i64::from(max))
    .fetch_one(conn)
    .await?;
    if live >= i64::from(max) {
        return Err(AppError::plan_limit(format!(
            "This clinic's plan allows {max} patients; ask for a larger plan to register more"
        )));
    }
    Ok(())
}
