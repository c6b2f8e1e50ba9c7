//! Account lockout: failed password and second-factor attempts are counted per account, and
//! the `lockout_threshold`-th in a row locks it for `lockout_minutes` (server settings). A
//! successful sign-in resets the count ([`crate::signin::login`]). Shared by signing in and by
//! the routes where a password confirms an action ([`crate::signin::change_password`],
//! [`crate::twofactor::disable`]).

use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::AppResult;
use crate::AppState;

/// Counts a failed sign-in (or a wrong password where one confirms an action); the
/// threshold-th consecutive one locks the account.
pub(crate) async fn count_failure(
    st: &AppState,
    conn: &mut PgConnection,
    user_id: Uuid,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE users SET failed_logins = failed_logins + 1, \
         locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(mins => $3) ELSE locked_until END \
         WHERE id = $1",
    )
    .bind(user_id)
    .bind(st.config.lockout_threshold)
    .bind(st.config.lockout_minutes as i32)
    .execute(conn)
    .await?;
    Ok(())
}
