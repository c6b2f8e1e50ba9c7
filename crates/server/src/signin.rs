//! Signing in and out: login (password, then the second factor when the account has one),
//! refresh, logout, `me`, and changing one's password. Tokens are issued here and only here.
//!
//! Failed sign-ins never say which part was wrong: unknown clinic, unknown user, wrong
//! password, wrong second factor, locked and deactivated accounts all get the same 401. The one
//! exception every TOTP system has: a right password without a code is asked for the code
//! (`totp_required`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use medoffice_model::{
    ApiErrorCode, DateOrder, ErrorBody, HourCycle, LoginRequest, LoginResponse, PasswordChange,
    RefreshRequest, Role, TenantInfo, UserInfo, WeekStart,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::auth::{self, Session, SessionLimit};
use crate::error::{AppError, AppResult};
use crate::lockout::count_failure;
use crate::{db, twofactor, ApiJson, AppState};

/// The one answer of every failed sign-in.
pub const BAD_LOGIN: &str = "Wrong clinic code, username or password";

/// Columns [`user_info_from_row`] reads (users `u` joined with tenants `t`).
pub const USER_INFO_COLS: &str = "u.id, u.tenant_id, u.username, u.full_name, u.role, u.active, \
    u.must_change_password, u.totp_secret IS NOT NULL AS totp_enabled, u.locked_until, \
    u.last_login_at, u.session_epoch, t.code, t.name, t.time_zone, t.require_admin_totp, \
    t.max_users, t.max_patients, t.address, t.phone, t.date_order, t.hour_cycle, t.week_start";

/// The clinic part of a row with [`USER_INFO_COLS`] (or the same tenant columns).
pub fn tenant_info_from_row(row: &PgRow, id_col: &str) -> Result<TenantInfo, sqlx::Error> {
    Ok(TenantInfo {
        id: row.try_get(id_col)?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        time_zone: row.try_get("time_zone")?,
        require_admin_totp: row.try_get("require_admin_totp")?,
        max_users: row.try_get("max_users")?,
        max_patients: row.try_get("max_patients")?,
        address: row.try_get("address")?,
        phone: row.try_get("phone")?,
        date_order: parse_column(row, "date_order", DateOrder::parse)?,
        hour_cycle: parse_column(row, "hour_cycle", HourCycle::parse)?,
        week_start: parse_column(row, "week_start", WeekStart::parse)?,
    })
}

/// A text column holding one of a wire enum's names (the table's CHECK allows no other).
fn parse_column<T>(row: &PgRow, col: &str, parse: fn(&str) -> Option<T>) -> Result<T, sqlx::Error> {
    let s: String = row.try_get(col)?;
    parse(&s).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: col.to_owned(),
        source: format!("unknown value {s:?}").into(),
    })
}

/// Maps a row with [`USER_INFO_COLS`].
pub fn user_info_from_row(row: &PgRow) -> AppResult<UserInfo> {
    let role: String = row.try_get("role")?;
    let role = Role::parse(&role)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown role {role}")))?;
    let locked_until: Option<DateTime<Utc>> = row.try_get("locked_until")?;
    Ok(UserInfo {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        username: row.try_get("username")?,
        full_name: row.try_get("full_name")?,
        role,
        permissions: role.permissions().to_vec(),
        tenant: tenant_info_from_row(row, "tenant_id")?,
        active: row.try_get("active")?,
        must_change_password: row.try_get("must_change_password")?,
        totp_enabled: row.try_get("totp_enabled")?,
        locked_until: locked_until.filter(|t| *t > Utc::now()),
        last_login_at: row.try_get("last_login_at")?,
    })
}

/// One user of the current tenant and their session epoch; 404 when there is none (also for
/// another clinic's ids: row-level security hides them).
pub async fn load_user(conn: &mut PgConnection, user_id: Uuid) -> AppResult<(UserInfo, i32)> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_INFO_COLS} FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.id = $1"
    )))
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .ok_or(AppError::NotFound("user"))?;
    Ok((user_info_from_row(&row)?, row.try_get("session_epoch")?))
}

/// The signed-in user for a session: 401 when the account is gone or deactivated.
async fn load_active_user(conn: &mut PgConnection, user_id: Uuid) -> AppResult<(UserInfo, i32)> {
    match load_user(conn, user_id).await {
        Ok((u, _)) if !u.active => Err(auth::session_ended(
            "This account has been deactivated; ask the clinic's admin",
        )),
        Ok(found) => Ok(found),
        Err(AppError::NotFound(_)) => {
            Err(auth::session_ended("The session has ended; sign in again"))
        }
        Err(e) => Err(e),
    }
}

/// The limit a session of `user` starts with (see [`SessionLimit`]).
fn limit_of(user: &UserInfo) -> Option<SessionLimit> {
    if user.must_change_password {
        Some(SessionLimit::PasswordChange)
    } else if user.tenant.require_admin_totp && user.role == Role::Admin && !user.totp_enabled {
        Some(SessionLimit::TotpEnrollment)
    } else {
        None
    }
}

/// Signs a new access token and stores a new refresh token of `family_id`.
pub async fn issue_tokens(
    st: &AppState,
    conn: &mut PgConnection,
    user: UserInfo,
    session_epoch: i32,
    family_id: Uuid,
    device_id: Option<String>,
) -> AppResult<LoginResponse> {
    let claims = auth::access_claims(
        user.id,
        user.tenant_id,
        &user.username,
        user.role,
        device_id.clone(),
        st.config.access_token_minutes,
        session_epoch,
    );
    let access_token = st.keys.sign(&claims).map_err(AppError::Internal)?;
    let (refresh_token, hash) = auth::new_refresh_token(user.tenant_id);
    sqlx::query(
        "INSERT INTO refresh_tokens (id, tenant_id, user_id, family_id, token_hash, device_id, expires_at, session_epoch) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Uuid::now_v7())
    .bind(user.tenant_id)
    .bind(user.id)
    .bind(family_id)
    .bind(hash)
    .bind(device_id)
    .bind(Utc::now() + Duration::days(st.config.refresh_token_days))
    .bind(session_epoch)
    .execute(conn)
    .await?;
    let limit = limit_of(&user);
    Ok(LoginResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: st.config.access_token_minutes * 60,
        refresh_token,
        user,
        password_change_required: limit == Some(SessionLimit::PasswordChange),
        totp_enrollment_required: limit == Some(SessionLimit::TotpEnrollment),
    })
}

/// A password checked against a user's hash with nothing held: see [`check_password`].
pub(crate) struct PasswordCheck {
    /// The password matched `hash`.
    pub ok: bool,
    /// The hash it was checked against; empty when the user was not found.
    pub hash: String,
}

impl PasswordCheck {
    /// Whether the check stands for the hash read now, under the caller's row lock: a hash
    /// changed in between (a password change or reset racing) fails it.
    pub fn holds_for(&self, hash_now: &str) -> bool {
        self.ok && self.hash == hash_now
    }
}

/// Checks `password` of user `user_id` of `tenant_id` with no transaction, pooled connection
/// or row lock held across argon2id (which takes a noticeable moment by design): the hash is
/// read in a short transaction and checked afterwards. The caller then takes the user's row
/// and asks [`PasswordCheck::holds_for`] with the hash it reads there.
pub(crate) async fn check_password(
    st: &AppState,
    tenant_id: Uuid,
    user_id: Uuid,
    password: String,
) -> AppResult<PasswordCheck> {
    let mut tx = db::tenant_tx(&st.pool, tenant_id).await?;
    let hash: Option<String> = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    let Some(hash) = hash else {
        auth::verify_password_async(password, auth::dummy_hash().to_owned()).await;
        return Ok(PasswordCheck {
            ok: false,
            hash: String::new(),
        });
    };
    let ok = auth::verify_password_async(password, hash.clone()).await;
    Ok(PasswordCheck { ok, hash })
}

/// Ends every session of `user_id`: revokes its refresh tokens and bumps its session epoch,
/// so its access tokens stop working on the next request and its WebSockets close (the
/// epoch change notifies every server process).
///
/// The user's row first, then the tokens: the order every path takes (sign-in, refresh), so
/// none waits for another in a circle.
pub async fn end_sessions(conn: &mut PgConnection, user_id: Uuid) -> AppResult<i32> {
    let epoch: i32 = sqlx::query_scalar(
        "UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1 RETURNING session_epoch",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound("user"))?;
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    Ok(epoch)
}

/// A sign-in audit entry without an authenticated actor.
struct LoginAudit<'a> {
    tenant_id: Uuid,
    device_id: Option<&'a str>,
    ip: Option<&'a str>,
}

impl LoginAudit<'_> {
    async fn record(
        &self,
        conn: &mut PgConnection,
        (user_id, username): (Option<Uuid>, Option<&str>),
        action: &str,
        outcome: &str,
    ) -> AppResult<()> {
        audit::record_raw(
            conn,
            self.tenant_id,
            user_id,
            username,
            self.device_id,
            self.ip,
            AuditEntry {
                action,
                entity: None,
                entity_id: None,
                patient_id: None,
                outcome,
            },
        )
        .await?;
        Ok(())
    }
}

/// Signs in. Unknown clinic, unknown user, wrong password, wrong second factor, locked and
/// deactivated accounts all answer the same 401, so the answer does not tell which usernames
/// exist; 5 consecutive failures (wrong codes included) lock the account for 15 minutes
/// (server settings). An account with two-factor sign-in answers a right password without
/// `totp_code` with 401 `totp_required`. A temporary password or a missing required second
/// factor gives limited tokens (`password_change_required`, `totp_enrollment_required`).
/// Rate-limited per client address (429 `rate_limited`).
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest, tag = "auth",
    responses((status = 200, body = LoginResponse),
        (status = 401, body = ErrorBody, description = "uniform failure, or code `totp_required`"),
        (status = 422, body = ErrorBody, description = "a field longer than any account's (see `LoginRequest::validate`)"),
        (status = 429, body = ErrorBody, description = "code `rate_limited`, header Retry-After")))]
pub async fn login(
    State(st): State<AppState>,
    auth::ClientIp(ip): auth::ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<Json<LoginResponse>> {
    req.validate().map_err(AppError::Validation)?;
    let tenant: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM medoffice_tenant_by_code($1)")
        .bind(req.tenant.trim())
        .fetch_optional(&st.pool)
        .await?;
    let Some((tenant_id,)) = tenant else {
        auth::verify_password_async(req.password, auth::dummy_hash().to_owned()).await;
        return Err(AppError::Unauthorized(BAD_LOGIN.into()));
    };
    let log = LoginAudit {
        tenant_id,
        device_id: req.device_id.as_deref(),
        ip: ip.as_deref(),
    };
    // who it is, in a short transaction; the password is checked with nothing held (unknown
    // names against a dummy hash, so both take the same time), then decided under the row lock
    let found: Option<Uuid> = {
        let mut tx = db::tenant_tx(&st.pool, tenant_id).await?;
        let id = sqlx::query_scalar("SELECT id FROM users WHERE lower(username) = lower($1)")
            .bind(req.username.trim())
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        id
    };
    let checked = match found {
        Some(id) => check_password(&st, tenant_id, id, req.password.clone()).await?,
        None => {
            auth::verify_password_async(req.password.clone(), auth::dummy_hash().to_owned()).await;
            PasswordCheck {
                ok: false,
                hash: String::new(),
            }
        }
    };
    let mut tx = db::tenant_tx(&st.pool, tenant_id).await?;
    let row = match found {
        Some(id) => sqlx::query(
            "SELECT id, username, password_hash, active, locked_until, totp_secret, totp_last_step \
             FROM users WHERE id = $1 FOR UPDATE",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?,
        None => None,
    };
    let Some(row) = row else {
        // the attempted name, for the admin reading the log
        log.record(
            &mut tx,
            (None, Some(req.username.trim())),
            "auth.login_failed",
            "unknown_user",
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::Unauthorized(BAD_LOGIN.into()));
    };
    let user_id: Uuid = row.try_get("id")?;
    let username: String = row.try_get("username")?;
    let who = (Some(user_id), Some(username.as_str()));
    let hash: String = row.try_get("password_hash")?;
    let active: bool = row.try_get("active")?;
    let locked_until: Option<DateTime<Utc>> = row.try_get("locked_until")?;
    let password_ok = checked.holds_for(&hash);
    let locked = locked_until.is_some_and(|t| t > Utc::now());
    if !password_ok || locked || !active {
        let outcome = if locked {
            "locked"
        } else if !active {
            "inactive"
        } else {
            "bad_password"
        };
        if !password_ok && !locked {
            count_failure(&st, &mut tx, user_id).await?;
        }
        log.record(&mut tx, who, "auth.login_failed", outcome)
            .await?;
        tx.commit().await?;
        return Err(AppError::Unauthorized(BAD_LOGIN.into()));
    }
    let totp_secret: Option<Vec<u8>> = row.try_get("totp_secret")?;
    if let Some(secret) = totp_secret {
        let code = req
            .totp_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        let Some(code) = code else {
            log.record(&mut tx, who, "auth.login_failed", "totp_missing")
                .await?;
            tx.commit().await?;
            return Err(AppError::coded(
                StatusCode::UNAUTHORIZED,
                ApiErrorCode::TotpRequired,
                "Enter the 6-digit code from your authenticator app, or one of your recovery codes",
            ));
        };
        let last_step: Option<i64> = row.try_get("totp_last_step")?;
        match twofactor::accept_login_code(&mut tx, user_id, &secret, last_step, code).await? {
            Some(how) => {
                log.record(&mut tx, who, "auth.second_factor", how).await?;
            }
            None => {
                count_failure(&st, &mut tx, user_id).await?;
                log.record(&mut tx, who, "auth.login_failed", "bad_totp")
                    .await?;
                tx.commit().await?;
                return Err(AppError::Unauthorized(BAD_LOGIN.into()));
            }
        }
    }
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let (user, epoch) = load_active_user(&mut tx, user_id).await?;
    let tokens = issue_tokens(
        &st,
        &mut tx,
        user,
        epoch,
        Uuid::now_v7(),
        req.device_id.clone(),
    )
    .await?;
    log.record(&mut tx, who, "auth.login", "success").await?;
    tx.commit().await?;
    Ok(Json(tokens))
}

/// Exchanges a refresh token for a new pair; the old one is spent. Presenting a spent token
/// again revokes its whole family (someone copied it), unless it comes back within the grace
/// window from the workstation it was issued to (`device_id`) while the token it was exchanged
/// for is unused: a retry after an answer lost on a weak link, which replaces that one. Every
/// replay is audited (`auth.refresh_reuse`: `replaced` or `family_revoked`). A token issued
/// under an earlier session epoch (a password change or reset, a deactivation since) is
/// refused and its family revoked, whatever raced it. The new pair's limits are those of the
/// account now (after a confirmed TOTP enrolment, a refresh gives full access).
#[utoipa::path(post, path = "/api/v1/auth/refresh", request_body = RefreshRequest, tag = "auth",
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody)))]
pub async fn refresh(
    State(st): State<AppState>,
    auth::ClientIp(ip): auth::ClientIp,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> AppResult<Json<LoginResponse>> {
    let expired = || AppError::Unauthorized("The session has ended; sign in again".into());
    let tenant_id = auth::refresh_token_tenant(&req.refresh_token).ok_or_else(expired)?;
    let mut tx = db::tenant_tx(&st.pool, tenant_id).await?;
    let hash = auth::hash_refresh_token(&req.refresh_token);
    let owner: Uuid =
        sqlx::query_scalar("SELECT user_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(expired)?;
    // the user's epoch now, held until commit (the user's row before the token's, the order of
    // every path): a password change or deactivation waits for this refresh, and its
    // revocation then sees the new token; or this refresh waits for it and sees the new epoch
    let now_epoch: Option<i32> =
        sqlx::query_scalar("SELECT session_epoch FROM users WHERE id = $1 FOR SHARE")
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?;
    let row = sqlx::query(
        "SELECT id, user_id, family_id, device_id, expires_at, spent_at, revoked_at, session_epoch FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(expired)?;
    let family_id: Uuid = row.try_get("family_id")?;
    let spent: Option<DateTime<Utc>> = row.try_get("spent_at")?;
    let revoked: Option<DateTime<Utc>> = row.try_get("revoked_at")?;
    let expires_at: DateTime<Utc> = row.try_get("expires_at")?;
    let user_id: Uuid = row.try_get("user_id")?;
    let device_id: Option<String> = row.try_get("device_id")?;
    // every replay and every stale token is audited under the workstation that presented it
    let presented = LoginAudit {
        tenant_id,
        device_id: req.device_id.as_deref(),
        ip: ip.as_deref(),
    };
    let token_epoch: i32 = row.try_get("session_epoch")?;
    // what an earlier session epoch issued (a password change or deactivation that raced it),
    // a spent token presented from elsewhere or too late, and a replaced token presented while
    // its family lives (whoever replaced it was not its workstation): the family ends
    let stale = revoked.is_none() && now_epoch != Some(token_epoch);
    if stale || spent.is_some() || revoked.is_some() {
        if !stale && revoked.is_none() {
            if let Some(spent_at) = spent {
                // A retry shortly after a refresh whose answer never arrived (a weak link), from
                // the workstation the token was issued to, is not theft while the token it was
                // exchanged for is unused: that one is replaced instead of signing it out.
                let grace = Duration::seconds(st.config.refresh_reuse_grace_seconds);
                let same_device = device_id.is_some() && req.device_id == device_id;
                let replacement: Option<Uuid> = if same_device && spent_at + grace > Utc::now() {
                    sqlx::query_scalar(
                        "SELECT id FROM refresh_tokens WHERE family_id = $1 AND spent_at IS NULL AND revoked_at IS NULL \
                         AND created_at >= $2 ORDER BY created_at DESC LIMIT 1 FOR UPDATE",
                    )
                    .bind(family_id)
                    .bind(spent_at)
                    .fetch_optional(&mut *tx)
                    .await?
                } else {
                    None
                };
                if let Some(unused) = replacement {
                    sqlx::query("UPDATE refresh_tokens SET revoked_at = now() WHERE id = $1")
                        .bind(unused)
                        .execute(&mut *tx)
                        .await?;
                    let (user, epoch) = load_active_user(&mut tx, user_id).await?;
                    presented
                        .record(
                            &mut tx,
                            (Some(user_id), Some(&user.username)),
                            "auth.refresh_reuse",
                            "replaced",
                        )
                        .await?;
                    let tokens =
                        issue_tokens(&st, &mut tx, user, epoch, family_id, device_id).await?;
                    tx.commit().await?;
                    return Ok(Json(tokens));
                }
            }
        }
        let ended = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
        )
        .bind(family_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // a revoked token of a family already ended (signed out, replaced long ago) is only old
        if ended > 0 || revoked.is_none() {
            let username = username_of(&mut tx, user_id).await?;
            let action = if stale {
                "auth.refresh_stale"
            } else {
                "auth.refresh_reuse"
            };
            presented
                .record(
                    &mut tx,
                    (Some(user_id), username.as_deref()),
                    action,
                    "family_revoked",
                )
                .await?;
        }
        tx.commit().await?;
        return Err(if stale {
            auth::session_ended("The session has ended; sign in again")
        } else {
            expired()
        });
    }
    if expires_at <= Utc::now() {
        return Err(expired());
    }
    sqlx::query("UPDATE refresh_tokens SET spent_at = now() WHERE id = $1")
        .bind(row.try_get::<Uuid, _>("id")?)
        .execute(&mut *tx)
        .await?;
    let (user, epoch) = load_active_user(&mut tx, user_id).await?;
    audit::record_raw(
        &mut tx,
        tenant_id,
        Some(user.id),
        Some(&user.username),
        device_id.as_deref(),
        ip.as_deref(),
        AuditEntry {
            action: "auth.refresh",
            entity: None,
            entity_id: None,
            patient_id: None,
            outcome: "success",
        },
    )
    .await?;
    let tokens = issue_tokens(&st, &mut tx, user, epoch, family_id, device_id).await?;
    tx.commit().await?;
    Ok(Json(tokens))
}

/// The username of a user of the current clinic.
async fn username_of(conn: &mut sqlx::PgConnection, user_id: Uuid) -> AppResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Ends the session of a refresh token (its family is revoked). Always 204.
#[utoipa::path(post, path = "/api/v1/auth/logout", request_body = RefreshRequest, tag = "auth", responses((status = 204)))]
pub async fn logout(
    State(st): State<AppState>,
    auth::ClientIp(ip): auth::ClientIp,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> AppResult<StatusCode> {
    if let Some(tenant_id) = auth::refresh_token_tenant(&req.refresh_token) {
        let mut tx = db::tenant_tx(&st.pool, tenant_id).await?;
        let session: Option<(Uuid, Option<String>)> =
            sqlx::query_as("SELECT user_id, device_id FROM refresh_tokens WHERE token_hash = $1")
                .bind(auth::hash_refresh_token(&req.refresh_token))
                .fetch_optional(&mut *tx)
                .await?;
        let ended = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND family_id = \
             (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
        )
        .bind(auth::hash_refresh_token(&req.refresh_token))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if let Some((user_id, device_id)) = session {
            let username = username_of(&mut tx, user_id).await?;
            audit::record_raw(
                &mut tx,
                tenant_id,
                Some(user_id),
                username.as_deref(),
                device_id.as_deref(),
                ip.as_deref(),
                AuditEntry {
                    action: "auth.logout",
                    entity: None,
                    entity_id: None,
                    patient_id: None,
                    // a token already spent or revoked ends nothing
                    outcome: if ended > 0 {
                        "success"
                    } else {
                        "already_ended"
                    },
                },
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user (limited sessions too).
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = UserInfo), (status = 401, body = ErrorBody)))]
pub async fn me(State(st): State<AppState>, session: Session) -> AppResult<Json<UserInfo>> {
    let mut tx = db::tenant_tx(&st.pool, session.actor.tenant_id).await?;
    let (u, _) = load_active_user(&mut tx, session.actor.user_id).await?;
    tx.commit().await?;
    Ok(Json(u))
}

/// Changes the caller's password (also from a session limited to that). The new one must
/// be at least 10 characters, not the username and not the current one (422 on
/// `new_password` naming the rule); a wrong current password is 422 on `current_password`
/// and counts toward lockout. Every session of the user ends, this one included; the answer
/// carries fresh tokens with full access.
#[utoipa::path(post, path = "/api/v1/auth/password", request_body = PasswordChange, tag = "auth",
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "code `totp_enrollment_required`"),
        (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(st): State<AppState>,
    session: Session,
    ApiJson(req): ApiJson<PasswordChange>,
) -> AppResult<Json<LoginResponse>> {
    if let Some(limit @ SessionLimit::TotpEnrollment) = session.limit {
        return Err(limit.error());
    }
    let actor = &session.actor;
    let mut e = medoffice_model::FieldErrors::new();
    medoffice_model::validate_new_password(
        &req.new_password,
        &actor.username,
        Some(&req.current_password),
        "new_password",
        &mut e,
    );
    e.into_result().map_err(AppError::Validation)?;
    // both hashings with nothing held; decided under the row lock
    let checked = check_password(
        &st,
        actor.tenant_id,
        actor.user_id,
        req.current_password.clone(),
    )
    .await?;
    let new_hash = if checked.ok {
        Some(auth::hash_password_async(req.new_password).await?)
    } else {
        None
    };
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let (hash, locked_until): (String, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT password_hash, locked_until FROM users WHERE id = $1 FOR UPDATE")
            .bind(actor.user_id)
            .fetch_one(&mut *tx)
            .await?;
    let current_ok = checked.holds_for(&hash);
    let locked = locked_until.is_some_and(|t| t > Utc::now());
    if !current_ok || locked {
        if !current_ok && !locked {
            count_failure(&st, &mut tx, actor.user_id).await?;
        }
        audit::record(
            &mut tx,
            actor,
            AuditEntry {
                action: "user.password_change",
                entity: Some("user"),
                entity_id: Some(actor.user_id),
                patient_id: None,
                outcome: "rejected",
            },
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::field(
            "current_password",
            "is not the password of this account",
        ));
    }
    let Some(new_hash) = new_hash else {
        return Err(AppError::field(
            "current_password",
            "is not the password of this account",
        ));
    };
    sqlx::query(
        "UPDATE users SET password_hash = $2, must_change_password = false, failed_logins = 0, \
         locked_until = NULL, password_changed_at = now() WHERE id = $1",
    )
    .bind(actor.user_id)
    .bind(new_hash)
    .execute(&mut *tx)
    .await?;
    let epoch = end_sessions(&mut tx, actor.user_id).await?;
    audit::record(
        &mut tx,
        actor,
        AuditEntry::success("user.password_change", "user", Some(actor.user_id), None),
    )
    .await?;
    let (user, _) = load_active_user(&mut tx, actor.user_id).await?;
    let tokens = issue_tokens(
        &st,
        &mut tx,
        user,
        epoch,
        Uuid::now_v7(),
        actor.device_id.clone(),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(tokens))
}
