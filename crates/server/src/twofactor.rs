//! Two-factor sign-in: TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, one step of
//! clock skew either way, through `totp-rs`) and one-time recovery codes.
//!
//! Enrolment is two steps so a typo in the phone cannot lock anyone out: `setup` hands out a
//! pending secret, `confirm` turns it on once the app shows a matching code, and answers ten
//! recovery codes. A code is accepted once: the last accepted step is kept and only later
//! steps pass, so a code seen over a shoulder or in a log cannot be replayed (RFC 6238 §5.2).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use medoffice_model::{
    ApiErrorCode, ErrorBody, RecoveryCodes, Role, TotpConfirm, TotpDisable, TotpSetup,
};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use totp_rs::Totp;
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::auth::{self, Actor, Session, SessionLimit};
use crate::error::{AppError, AppResult};
use crate::{db, ApiJson, AppState};

/// Shown as the issuer in authenticator apps.
pub const ISSUER: &str = "medoffice";

/// How many recovery codes `confirm` hands out.
pub const RECOVERY_CODES: usize = 10;

/// The TOTP of a secret; `account` labels it in the app (`username@clinic`).
pub fn totp(secret: &[u8], account: &str) -> AppResult<Totp> {
    totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .with_account_name(account.replace(':', "-"))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("TOTP: {e}")))
}

fn now_secs() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default()
}

/// The step a 6-digit `code` matches now (±1 step), if it matches.
pub fn matching_step(secret: &[u8], code: &str) -> AppResult<Option<i64>> {
    let t = totp(secret, "")?;
    Ok(t.check(code, now_secs())
        .and_then(|step| i64::try_from(step).ok()))
}

/// SHA-256 of a recovery code, salted with its user (see migration 0002 for why a fast hash).
pub fn recovery_code_hash(user_id: Uuid, code: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(user_id.as_bytes());
    h.update(code.as_bytes());
    h.finalize().to_vec()
}

/// Checks the second factor of a sign-in whose password was right: a TOTP code of a step
/// later than the last accepted one, or an unused recovery code (spent now). `Some` names
/// which one passed (`"totp"`, `"recovery_code"`), `None` refuses.
pub async fn accept_login_code(
    conn: &mut PgConnection,
    user_id: Uuid,
    secret: &[u8],
    last_step: Option<i64>,
    code: &str,
) -> AppResult<Option<&'static str>> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
        let Some(step) = matching_step(secret, &digits)? else {
            return Ok(None);
        };
        if last_step.is_some_and(|last| step <= last) {
            // replayed (or older than a code already used)
            return Ok(None);
        }
        sqlx::query("UPDATE users SET totp_last_step = $2 WHERE id = $1")
            .bind(user_id)
            .bind(step)
            .execute(conn)
            .await?;
        return Ok(Some("totp"));
    }
    let Some(normalized) = auth::normalize_readable(code, 2) else {
        return Ok(None);
    };
    let spent = sqlx::query(
        "UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(user_id)
    .bind(recovery_code_hash(user_id, &normalized))
    .execute(conn)
    .await?
    .rows_affected();
    Ok((spent == 1).then_some("recovery_code"))
}

/// Turns two-factor sign-in off for `user_id` (secret, pending secret, recovery codes).
pub async fn clear(conn: &mut PgConnection, user_id: Uuid) -> AppResult<()> {
    sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_last_step = NULL WHERE id = $1",
    )
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// TOTP enrolment is open to full sessions and to sessions limited to enrolment.
fn enrolment_caller(session: &Session) -> AppResult<&Actor> {
    match session.limit {
        None | Some(SessionLimit::TotpEnrollment) => Ok(&session.actor),
        Some(limit) => Err(limit.error()),
    }
}

/// Starts enrolment: a new secret (160 bits from the OS CSPRNG), pending until confirmed;
/// calling it again replaces the pending one. 409 when two-factor sign-in is on already.
#[utoipa::path(post, path = "/api/v1/auth/totp/setup", tag = "auth",
    responses((status = 200, body = TotpSetup), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "code `password_change_required`"),
        (status = 409, body = ErrorBody)))]
pub async fn setup(State(st): State<AppState>, session: Session) -> AppResult<Json<TotpSetup>> {
    let actor = enrolment_caller(&session)?;
    if session.state.totp_enabled {
        return Err(AppError::conflict(
            "Two-factor sign-in is on already; turn it off first to set up another device",
        ));
    }
    let mut secret = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let code: String = sqlx::query_scalar("SELECT code FROM tenants")
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query("UPDATE users SET totp_pending_secret = $2 WHERE id = $1")
        .bind(actor.user_id)
        .bind(secret.as_slice())
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        AuditEntry::success("user.totp_setup", "user", Some(actor.user_id), None),
    )
    .await?;
    tx.commit().await?;
    let t = totp(&secret, &format!("{}@{code}", actor.username))?;
    Ok(Json(TotpSetup {
        secret_base32: t.secret().to_base32(),
        otpauth_uri: t
            .to_url()
            .map_err(|e| AppError::Internal(anyhow::anyhow!("TOTP URI: {e}")))?,
    }))
}

/// Confirms enrolment with the code the app shows now: two-factor sign-in is on from here,
/// and the answer holds ten one-time recovery codes (shown once; stored hashed). A code that
/// does not match is 422 on `code`; no pending setup is 409.
#[utoipa::path(post, path = "/api/v1/auth/totp/confirm", request_body = TotpConfirm, tag = "auth",
    responses((status = 200, body = RecoveryCodes), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "code `password_change_required`"),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm(
    State(st): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<TotpConfirm>,
) -> AppResult<Json<RecoveryCodes>> {
    let actor = enrolment_caller(&session)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let pending: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT totp_pending_secret FROM users WHERE id = $1 FOR UPDATE")
            .bind(actor.user_id)
            .fetch_one(&mut *tx)
            .await?;
    let Some(secret) = pending else {
        return Err(AppError::conflict(
            "Nothing to confirm: start with POST /api/v1/auth/totp/setup",
        ));
    };
    let code: String = req.code.chars().filter(|c| !c.is_whitespace()).collect();
    let step = if code.len() == 6 {
        matching_step(&secret, &code)?
    } else {
        None
    };
    let Some(step) = step else {
        return Err(AppError::field(
            "code",
            "does not match: type the 6-digit code the app shows now, and check the phone's clock",
        ));
    };
    sqlx::query(
        "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_last_step = $2 WHERE id = $1",
    )
    .bind(actor.user_id)
    .bind(step)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(actor.user_id)
        .execute(&mut *tx)
        .await?;
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| auth::readable_secret(2))
        .collect();
    let hashes: Vec<Vec<u8>> = codes
        .iter()
        .map(|c| recovery_code_hash(actor.user_id, c))
        .collect();
    sqlx::query(
        "INSERT INTO recovery_codes (tenant_id, user_id, code_hash) SELECT $1, $2, h FROM unnest($3::bytea[]) AS h \
         ON CONFLICT DO NOTHING",
    )
    .bind(actor.tenant_id)
    .bind(actor.user_id)
    .bind(&hashes)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        AuditEntry::success("user.totp_enable", "user", Some(actor.user_id), None),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// Turns two-factor sign-in off, confirmed with the account's password (422 on `password`
/// when wrong, or while the account is locked; a wrong one counts toward the lockout). 403 `totp_required_by_clinic` when the clinic requires it for the role.
#[utoipa::path(post, path = "/api/v1/auth/totp/disable", request_body = TotpDisable, tag = "auth",
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "code `totp_required_by_clinic`"),
        (status = 422, body = ErrorBody)))]
pub async fn disable(
    State(st): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<TotpDisable>,
) -> AppResult<StatusCode> {
    if let Some(limit) = session.limit {
        return Err(limit.error());
    }
    let actor = &session.actor;
    if session.state.require_admin_totp && actor.role == Role::Admin {
        return Err(AppError::coded(
            StatusCode::FORBIDDEN,
            ApiErrorCode::TotpRequiredByClinic,
            "This clinic requires two-factor sign-in for admins; it cannot be turned off",
        ));
    }
    // checked with nothing held; decided under the row lock
    let checked =
        crate::signin::check_password(&st, actor.tenant_id, actor.user_id, req.password).await?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let (hash, locked_until): (String, Option<chrono::DateTime<chrono::Utc>>) =
        sqlx::query_as("SELECT password_hash, locked_until FROM users WHERE id = $1 FOR UPDATE")
            .bind(actor.user_id)
            .fetch_one(&mut *tx)
            .await?;
    let password_ok = checked.holds_for(&hash);
    let locked = locked_until.is_some_and(|t| t > chrono::Utc::now());
    if !password_ok || locked {
        // a stolen access token must not become a password oracle: a wrong password counts
        // toward the lockout like a failed sign-in, and a locked account is refused with the
        // same answer whatever the password
        if !password_ok && !locked {
            crate::lockout::count_failure(&st, &mut tx, actor.user_id).await?;
        }
        audit::record(
            &mut tx,
            actor,
            AuditEntry {
                action: "user.totp_disable",
                entity: Some("user"),
                entity_id: Some(actor.user_id),
                patient_id: None,
                outcome: "rejected",
            },
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::field(
            "password",
            "is not the password of this account",
        ));
    }
    clear(&mut tx, actor.user_id).await?;
    audit::record(
        &mut tx,
        actor,
        AuditEntry::success("user.totp_disable", "user", Some(actor.user_id), None),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
