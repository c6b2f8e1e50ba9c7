//! Authentication: argon2id passwords, JWT access tokens, rotating refresh tokens with reuse
//! detection, and the [`Actor`] extractor every authenticated route takes.
//!
//! A token's signature proves who and which clinic; whether the session still stands is asked
//! of PostgreSQL on every request ([`session_state`]): the user must be active and the token's
//! session epoch must be the user's current one, so a password reset or a deactivation ends
//! every session at once, on every server process. The same answer gives the current role
//! (a role change takes effect on the next request) and whether the session is limited to
//! changing a temporary password or enrolling a second factor ([`SessionLimit`]). Routes
//! that limited sessions may reach take [`Session`]; every other route takes [`Actor`],
//! which refuses them, so forgetting the check does not compile into an open route.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use base64::Engine;
use chrono::{Duration, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use medoffice_model::{ApiErrorCode, Permission, Role};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::AppState;

/// Claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: Uuid,
    /// Tenant id.
    pub tid: Uuid,
    /// Username, for the audit log.
    pub usr: String,
    /// Role.
    pub role: Role,
    /// Workstation id given at login.
    #[serde(default)]
    pub did: Option<String>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issued at.
    pub iat: i64,
    /// The user's session epoch when issued (`users.session_epoch`); a token of an older
    /// epoch is void.
    #[serde(default)]
    pub ver: i32,
    /// Who issued it ([`TOKEN_ISSUER`]).
    #[serde(default)]
    pub iss: String,
    /// Whom it is for ([`TOKEN_AUDIENCE`]): a token minted with the same key for anything else
    /// (another service sharing a secret, a test) is not an access token of this API.
    #[serde(default)]
    pub aud: String,
}

/// The `iss` of every access token this server signs.
pub const TOKEN_ISSUER: &str = "medoffice";
/// The `aud` of every access token this server signs, and the only one it accepts.
pub const TOKEN_AUDIENCE: &str = "medoffice-api";

/// Signing and verification keys.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Keys {
    /// HS256 keys from a secret.
    pub fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// Signs claims.
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(
            &Header::default(),
            claims,
            &self.encoding,
        )?)
    }

    /// Verifies a token's signature, expiry (no leeway: expired means expired), issuer and
    /// audience (both required).
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut v = Validation::default();
        v.leeway = 0;
        v.set_issuer(&[TOKEN_ISSUER]);
        v.set_audience(&[TOKEN_AUDIENCE]);
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &v)
            .ok()
            .map(|d| d.claims)
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Actor {
    /// User id.
    pub user_id: Uuid,
    /// Tenant id.
    pub tenant_id: Uuid,
    /// Username.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Workstation id.
    pub device_id: Option<String>,
    /// Client address.
    pub ip: Option<String>,
    /// Token expiry (seconds since the epoch).
    pub expires_at: i64,
    /// The session epoch the token was issued under.
    pub session_epoch: i32,
}

impl Actor {
    /// `Ok` when the role holds `p`, else 403.
    pub fn require(&self, p: Permission) -> AppResult<()> {
        if self.role.can(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Reads the bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The caller's address, when the server runs with connect info.
pub fn client_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// The caller's address, when known (an extractor that never fails).
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// What a limited session may still do, besides `GET /api/v1/auth/me` and logout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionLimit {
    /// Signed in with a temporary password: only `POST /api/v1/auth/password`.
    PasswordChange,
    /// An admin of a clinic that requires a second factor, without one: only
    /// `POST /api/v1/auth/totp/setup` and `/confirm`.
    TotpEnrollment,
}

impl SessionLimit {
    /// The limit of a session of a user in this state, if any (a temporary password first).
    pub fn of(state: &SessionState) -> Option<Self> {
        if state.must_change_password {
            Some(SessionLimit::PasswordChange)
        } else if state.require_admin_totp && state.role == Role::Admin && !state.totp_enabled {
            Some(SessionLimit::TotpEnrollment)
        } else {
            None
        }
    }

    /// The 403 a limited session gets on a route it may not reach.
    pub fn error(self) -> AppError {
        match self {
            SessionLimit::PasswordChange => AppError::coded(
                axum::http::StatusCode::FORBIDDEN,
                ApiErrorCode::PasswordChangeRequired,
                "Choose a new password first: this session was opened with a temporary one",
            ),
            SessionLimit::TotpEnrollment => AppError::coded(
                axum::http::StatusCode::FORBIDDEN,
                ApiErrorCode::TotpEnrollmentRequired,
                "Set up two-factor sign-in first: this clinic requires it for admins",
            ),
        }
    }
}

/// A user's account state as each request sees it ([`session_state`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionState {
    /// Current role.
    pub role: Role,
    /// False once deactivated.
    pub active: bool,
    /// Current session epoch.
    pub session_epoch: i32,
    /// Signed in with a temporary password.
    pub must_change_password: bool,
    /// Two-factor sign-in is on.
    pub totp_enabled: bool,
    /// The clinic requires a second factor of admins.
    pub require_admin_totp: bool,
}

type SessionRow = (String, bool, i32, bool, bool, bool);

fn session_from_row(row: Option<SessionRow>) -> Option<SessionState> {
    row.and_then(|(role, active, session_epoch, mcp, totp, require)| {
        Some(SessionState {
            role: Role::parse(&role)?,
            active,
            session_epoch,
            must_change_password: mcp,
            totp_enabled: totp,
            require_admin_totp: require,
        })
    })
}

/// One round trip: the account state of `user_id` in `tenant_id`, or `None` when there is no
/// such user.
pub async fn session_state(
    pool: &sqlx::PgPool,
    tenant_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<SessionState>> {
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT role, active, session_epoch, must_change_password, totp_enabled, require_admin_totp \
         FROM medoffice_session_state($1, $2)",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_optional(pool)
    .await?;
    Ok(session_from_row(row))
}

/// [`session_state`] inside a transaction just begun, in the same round trip that scopes the
/// transaction to `tenant_id` (`app.tenant_id`, as [`crate::db::set_tenant`]; set only when
/// the user exists, and a caller refused here rolls back anyway).
pub async fn session_state_in(
    conn: &mut sqlx::PgConnection,
    tenant_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<SessionState>> {
    let row: Option<(String, bool, i32, bool, bool, bool, String)> = sqlx::query_as(
        "SELECT role, active, session_epoch, must_change_password, totp_enabled, require_admin_totp, \
         set_config('app.tenant_id', $1::text, true) FROM medoffice_session_state($1, $2)",
    )
    .bind(tenant_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(session_from_row(
        row.map(|(r, a, e, m, t, q, _)| (r, a, e, m, t, q)),
    ))
}

/// The 401 of a session that was ended on the server.
pub fn session_ended(message: &str) -> AppError {
    AppError::coded(
        axum::http::StatusCode::UNAUTHORIZED,
        ApiErrorCode::SessionEnded,
        message,
    )
}

/// Whether the session of `epoch` still stands for a user in `state`: `Ok` or the 401 to
/// answer.
pub fn check_session(state: Option<&SessionState>, epoch: i32) -> AppResult<()> {
    match state {
        None => Err(session_ended("The session has ended; sign in again")),
        Some(s) if !s.active => Err(session_ended(
            "This account has been deactivated; ask the clinic's admin",
        )),
        Some(s) if s.session_epoch != epoch => Err(session_ended(
            "This session was ended (the password was changed or reset); sign in again",
        )),
        Some(_) => Ok(()),
    }
}

/// The caller of a route that limited sessions may reach as well (`/auth/me`,
/// `/auth/password`, `/auth/totp/*`): the handler decides which limits it accepts.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who calls.
    pub actor: Actor,
    /// What the session is limited to, if it is.
    pub limit: Option<SessionLimit>,
    /// The account state read for this request.
    pub state: SessionState,
}

/// The verified claims of the request's bearer token, or its 401. Records the clinic for the
/// write-announcing layer ([`crate::hub::ActedFor`]).
fn request_claims(parts: &Parts, state: &AppState) -> AppResult<Claims> {
    let token = bearer(parts)
        .ok_or_else(|| AppError::Unauthorized("Sign in first: no access token was sent".into()))?;
    let claims = state.keys.verify(token).ok_or_else(|| {
        AppError::Unauthorized("The session has expired or is invalid; sign in again".into())
    })?;
    if let Some(acted) = parts.extensions.get::<crate::hub::ActedFor>() {
        acted.set(claims.tid);
    }
    Ok(claims)
}

/// The session of `claims` in `account`'s state, or the 401 of an ended one.
fn session_of(parts: &Parts, claims: Claims, account: Option<SessionState>) -> AppResult<Session> {
    check_session(account.as_ref(), claims.ver)?;
    let account = account.ok_or_else(|| session_ended("The session has ended"))?;
    Ok(Session {
        actor: Actor {
            user_id: claims.sub,
            tenant_id: claims.tid,
            username: claims.usr,
            role: account.role,
            device_id: claims.did,
            ip: client_ip(parts),
            expires_at: claims.exp,
            session_epoch: claims.ver,
        },
        limit: SessionLimit::of(&account),
        state: account,
    })
}

impl FromRequestParts<AppState> for Session {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let claims = request_claims(parts, state)?;
        let account = session_state(&state.pool, claims.tid, claims.sub).await?;
        session_of(parts, claims, account)
    }
}

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;

    /// A session with full access; a limited one is refused with its 403 code.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Session::from_request_parts(parts, state)
            .await?
            .full_access()
    }
}

impl Session {
    /// The caller, when the session is not limited; a limited one is refused with its 403.
    pub fn full_access(self) -> AppResult<Actor> {
        match self.limit {
            Some(limit) => Err(limit.error()),
            None => Ok(self.actor),
        }
    }
}

/// An [`Actor`] and its clinic's transaction, for the busiest routes: the session check runs
/// inside the transaction, in the statement that scopes it to the clinic, so a request takes
/// one pooled connection and two round trips (`BEGIN`, the check) before its own work,
/// instead of two connections and four. The check is the same as [`Actor`]'s, at the same
/// moment (before the handler's first statement). Dropping the transaction rolls it back.
pub struct TenantTx {
    /// Who calls, with full access.
    pub actor: Actor,
    /// Begun, scoped to `actor.tenant_id`.
    pub tx: sqlx::Transaction<'static, sqlx::Postgres>,
}

impl FromRequestParts<AppState> for TenantTx {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let claims = request_claims(parts, state)?;
        let mut tx = state.pool.begin().await?;
        let account = session_state_in(&mut tx, claims.tid, claims.sub).await?;
        let actor = session_of(parts, claims, account)?.full_access()?;
        Ok(TenantTx { actor, tx })
    }
}

/// argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane: OWASP's recommended minimum).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// Checks a password against a stored PHC string. Runs argon2: call off the async threads.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so timing does not tell.
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not-a-real-password-at-all").unwrap_or_default())
}

/// Hashes in a blocking thread.
pub async fn hash_password_async(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(AppError::Internal)
}

/// Verifies in a blocking thread.
pub async fn verify_password_async(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// A new refresh token `"<tenant uuid>.<43 chars of base64url randomness>"` and the SHA-256 of
/// it that the database keeps. The tenant prefix lets the server scope the lookup by tenant.
pub fn new_refresh_token(tenant_id: Uuid) -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!(
        "{tenant_id}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    );
    let hash = hash_refresh_token(&token);
    (token, hash)
}

/// SHA-256 of a refresh token.
pub fn hash_refresh_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The tenant a refresh token belongs to.
pub fn refresh_token_tenant(token: &str) -> Option<Uuid> {
    token
        .split_once('.')
        .and_then(|(t, _)| Uuid::parse_str(t).ok())
}

/// Builds access-token claims for a session of `session_epoch`.
pub fn access_claims(
    user_id: Uuid,
    tenant_id: Uuid,
    username: &str,
    role: Role,
    device_id: Option<String>,
    minutes: i64,
    session_epoch: i32,
) -> Claims {
    let now = Utc::now();
    Claims {
        sub: user_id,
        tid: tenant_id,
        usr: username.to_owned(),
        role,
        did: device_id,
        exp: (now + Duration::minutes(minutes)).timestamp(),
        iat: now.timestamp(),
        ver: session_epoch,
        iss: TOKEN_ISSUER.to_owned(),
        aud: TOKEN_AUDIENCE.to_owned(),
    }
}

/// Crockford's base32 alphabet in lower case: no `i`, `l`, `o` or `u`, so no character reads
/// as another when a person copies it from paper or a screen.
const READABLE: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// `groups` groups of four characters of [`READABLE`] joined by `-` (5 random bits each, from
/// the operating system's CSPRNG): `readable_secret(4)` is a temporary password of 80 bits,
/// `"7kq2-m9xd-p3f8-c1zw"`.
pub fn readable_secret(groups: usize) -> String {
    let mut bytes = vec![0u8; groups * 4];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .chunks(4)
        .map(|g| {
            g.iter()
                .map(|b| READABLE[(b & 31) as usize] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as a person may type it back, in the form [`readable_secret`] made it: case, spaces
/// and hyphens do not matter, and `i`/`l` read as `1`, `o` as `0` (Crockford). `None` when it
/// is not `groups` groups of four characters of the alphabet.
pub fn normalize_readable(input: &str, groups: usize) -> Option<String> {
    let chars: Vec<char> = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_lowercase() {
            'i' | 'l' => '1',
            'o' => '0',
            c => c,
        })
        .collect();
    if chars.len() != groups * 4 || !chars.iter().all(|c| READABLE.contains(&(*c as u8))) {
        return None;
    }
    Some(
        chars
            .chunks(4)
            .map(|g| g.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("-"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_secrets_read_back_however_they_are_typed() {
        let s = readable_secret(2);
        assert_eq!(s.len(), 9);
        assert_eq!(normalize_readable(&s.to_uppercase(), 2), Some(s.clone()));
        assert_eq!(
            normalize_readable(" 7KQ2 m9xD ", 2),
            Some("7kq2-m9xd".into())
        );
        assert_eq!(normalize_readable("ilo0-abcd", 2), Some("1100-abcd".into()));
        assert_eq!(normalize_readable("7kq2-m9x", 2), None);
        assert_eq!(normalize_readable("7kq2-m9xu", 2), None);
        assert_ne!(readable_secret(4), readable_secret(4));
    }

    #[test]
    fn only_tokens_issued_for_this_api_verify() {
        let keys = Keys::new(b"a test secret of thirty-two bytes!");
        let good = access_claims(
            Uuid::now_v7(),
            Uuid::now_v7(),
            "nina",
            Role::Nurse,
            None,
            5,
            0,
        );
        let token = keys.sign(&good).expect("signed");
        assert!(keys.verify(&token).is_some());
        for (iss, aud) in [
            ("medoffice", "another-service"),
            ("someone-else", "medoffice-api"),
            ("", ""),
        ] {
            let other = Claims {
                iss: iss.into(),
                aud: aud.into(),
                ..good.clone()
            };
            let token = keys.sign(&other).expect("signed");
            assert!(
                keys.verify(&token).is_none(),
                "iss {iss:?}, aud {aud:?} accepted"
            );
        }
        // a token of an earlier release, without either claim
        #[derive(Serialize)]
        struct Old {
            sub: Uuid,
            exp: i64,
        }
        let old = jsonwebtoken::encode(
            &Header::default(),
            &Old {
                sub: Uuid::now_v7(),
                exp: good.exp,
            },
            &EncodingKey::from_secret(b"a test secret of thirty-two bytes!"),
        )
        .expect("signed");
        assert!(keys.verify(&old).is_none());
    }
}
