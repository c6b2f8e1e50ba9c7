//! Authentication: argon2id passwords, JWT access tokens, rotating refresh tokens with reuse
//! detection, and the [`Actor`] extractor every authenticated route takes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use base64::Engine;
use chrono::{Duration, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use medoffice_model::{Permission, Role};
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
}

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

    /// Verifies a token's signature and expiry (no leeway: expired means expired).
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut v = Validation::default();
        v.leeway = 0;
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

impl FromRequestParts<AppState> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(|| {
            AppError::Unauthorized("Sign in first: no access token was sent".into())
        })?;
        let claims = state.keys.verify(token).ok_or_else(|| {
            AppError::Unauthorized("The session has expired or is invalid; sign in again".into())
        })?;
        Ok(Actor {
            user_id: claims.sub,
            tenant_id: claims.tid,
            username: claims.usr,
            role: claims.role,
            device_id: claims.did,
            ip: client_ip(parts),
            expires_at: claims.exp,
        })
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

/// Builds access-token claims.
pub fn access_claims(
    user_id: Uuid,
    tenant_id: Uuid,
    username: &str,
    role: Role,
    device_id: Option<String>,
    minutes: i64,
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
    }
}
