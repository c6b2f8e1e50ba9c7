//! medoffice desktop core: everything the desktop app does, without Tauri.
//!
//! A [`Workstation`] signs a user in against the central server (access token in memory,
//! refresh token in the OS keyring), keeps a per-clinic SQLite [`cache`] so reads never wait for
//! the network, queues local writes in an outbox, and runs a sync engine ([`engine`]) that pulls
//! the feed, applies pages pushed over the WebSocket, and drains the outbox with client-made
//! mutation ids. The Tauri commands in `src-tauri` are thin wrappers over these methods.
//!
//! Security of the workstation: the cache is encrypted at rest ([`vault`]: SQLCipher, key in
//! the OS keyring and wrapped under each signed-in person's password); sign-out can remove a
//! clinic's data ([`Workstation::logout`]); plain HTTP to another computer is refused
//! ([`api::Transport`]); the app's idle lock is checked here ([`Workstation::unlock`]).

mod access;
pub mod account;
pub mod admin;
pub mod api;
pub mod cache;
pub mod duplicates;
mod engine;
pub mod local;
pub mod offline;
mod review;
pub mod secrets;
pub mod vault;
pub mod view;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use medoffice_model::search::parse_query;
use medoffice_model::{
    AppointmentField, AppointmentStatus, EntityKind, LoginRequest, Mutation, MutationKind,
    NewAppointment, NewPatient, NewVitalSigns, NewVitalSignsForPatient, Patient, Permission,
    StaffMember, UserInfo, VitalSigns,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch, RwLock};
use uuid::Uuid;

pub use engine::Session;
use view::{
    AppointmentRow, CacheChanged, CommandError, ConnectionState, ErrorCode, Local, PatientChart,
    SessionState, SyncStatus,
};

/// Where a workstation keeps its files and secrets.
#[derive(Debug, Clone)]
pub struct WorkstationConfig {
    /// Folder for the caches and `workstation.json` (preferences; no secrets).
    pub data_dir: PathBuf,
    /// Keyring service name (namespaces entries per install; tests use their own).
    pub keyring_service: String,
    /// Stable id of this workstation, sent at login for the audit log.
    pub device_id: String,
    /// How long after a person's last online sign-in they may unlock this workstation offline
    /// with their password, hours (0: never; the verifier is still kept, for the idle lock and
    /// the wrapped cache key, see [`offline`]).
    pub offline_unlock_hours: u32,
    /// Allow plain `http://` to a server on another computer (env
    /// `MEDOFFICE_ALLOW_INSECURE_HTTP=1`); loopback is always allowed. See [`api::Transport`].
    pub allow_insecure_http: bool,
    /// PEM file of extra CA certificates trusted for the server's HTTPS and WSS (env
    /// `MEDOFFICE_CA_CERT`), for clinics with their own certificate authority.
    pub ca_certificate: Option<PathBuf>,
}

/// Default window for offline unlock (issue 3: 72 h, a long weekend at an outreach post).
pub const DEFAULT_OFFLINE_UNLOCK_HOURS: u32 = 72;

impl WorkstationConfig {
    /// The configuration of the workstation whose files live in `data_dir`: its device id is
    /// read from `data_dir/device-id` (made on first use); `allow_insecure_http` and
    /// `ca_certificate` from `MEDOFFICE_ALLOW_INSECURE_HTTP` (`1`, `true` or `yes`) and
    /// `MEDOFFICE_CA_CERT`.
    pub fn in_dir(data_dir: PathBuf, keyring_service: impl Into<String>) -> std::io::Result<Self> {
        std::fs::create_dir_all(&data_dir)?;
        let path = data_dir.join("device-id");
        let device_id = match std::fs::read_to_string(&path) {
            Ok(id) if !id.trim().is_empty() => id.trim().to_owned(),
            _ => {
                let id = Uuid::new_v4().to_string();
                std::fs::write(&path, &id)?;
                id
            }
        };
        Ok(Self {
            data_dir,
            keyring_service: keyring_service.into(),
            device_id,
            offline_unlock_hours: DEFAULT_OFFLINE_UNLOCK_HOURS,
            allow_insecure_http: std::env::var("MEDOFFICE_ALLOW_INSECURE_HTTP")
                .is_ok_and(|v| matches!(v.trim().to_lowercase().as_str(), "1" | "true" | "yes")),
            ca_certificate: std::env::var_os("MEDOFFICE_CA_CERT")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        })
    }

    /// How this workstation may reach servers.
    pub fn transport(&self) -> api::Transport {
        api::Transport {
            allow_insecure_http: self.allow_insecure_http,
            ca_certificate: self.ca_certificate.clone(),
        }
    }
}

/// Wrong passwords in a row at the lock screen before the session is signed out.
pub const MAX_UNLOCK_FAILURES: u32 = 5;

/// What the workstation remembers between runs (no secrets: the refresh token is in the keyring).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Prefs {
    server_url: Option<String>,
    tenant: Option<String>,
    username: Option<String>,
    /// The signed-in user, so the app can start from the cache while the server is away.
    user: Option<UserInfo>,
    /// The app's lock screen is up (survives a restart of the app).
    #[serde(default)]
    locked: bool,
}

/// Why the key of a clinic's cache is not at hand.
enum KeyProblem {
    /// Not in the keyring, and no password was given to unwrap a copy (resume at start).
    NeedsPassword,
    /// Not in the keyring, and the person signing in holds no copy; these people do.
    NotHeld(Vec<String>),
    /// Anything else.
    Other(CommandError),
}

/// The desktop core. Cheap to clone.
#[derive(Clone)]
pub struct Workstation {
    config: Arc<WorkstationConfig>,
    session: Arc<RwLock<Option<Arc<Session>>>>,
    status: watch::Sender<SyncStatus>,
    changes: broadcast::Sender<CacheChanged>,
    secrets: secrets::SecretStore,
    /// Wrong passwords in a row at the lock screen.
    unlock_failures: Arc<AtomicU32>,
    /// A sign-in the server let through only to change a temporary password or enrol a
    /// second factor (see [`account`]).
    pending: Arc<tokio::sync::Mutex<Option<account::PendingSignIn>>>,
}

fn signed_out_status() -> SyncStatus {
    SyncStatus {
        state: ConnectionState::SignedOut,
        pending: 0,
        rejected: 0,
        held: 0,
        conflicts: 0,
        possible_duplicates: 0,
        to_review: 0,
        offline_since: None,
        last_synced_at: None,
        cursor: 0,
        last_error: None,
        sign_in_required: false,
        ended_by_server: None,
    }
}

fn internal(e: impl std::fmt::Display) -> CommandError {
    CommandError::new(ErrorCode::Internal, e.to_string())
}

impl From<cache::CacheError> for CommandError {
    fn from(e: cache::CacheError) -> Self {
        internal(e)
    }
}

impl From<api::ApiError> for CommandError {
    fn from(e: api::ApiError) -> Self {
        match e {
            api::ApiError::Network(m) => CommandError::new(
                ErrorCode::Network,
                format!("The server cannot be reached ({m})"),
            ),
            api::ApiError::Refused(m) => {
                let mut f = medoffice_model::FieldErrors::new();
                f.add("server_url", m.clone());
                CommandError {
                    code: ErrorCode::Validation,
                    message: m,
                    fields: Some(f),
                    conflicting_appointment_id: None,
                }
            }
            api::ApiError::Http { status, body } => {
                use medoffice_model::ApiErrorCode as Api;
                let code = match (status, body.code) {
                    (_, Some(Api::TotpRequired)) => ErrorCode::TotpRequired,
                    (_, Some(Api::PasswordChangeRequired)) => ErrorCode::PasswordChangeRequired,
                    (_, Some(Api::TotpEnrollmentRequired)) => ErrorCode::TotpEnrollmentRequired,
                    (_, Some(Api::PlanLimit)) => ErrorCode::PlanLimit,
                    (_, Some(Api::RateLimited)) | (429, _) => ErrorCode::RateLimited,
                    (401, _) => ErrorCode::Unauthorized,
                    (403, _) => ErrorCode::Forbidden,
                    (404, _) => ErrorCode::NotFound,
                    (409, _) => ErrorCode::Conflict,
                    (422, _) => ErrorCode::Validation,
                    _ => ErrorCode::Internal,
                };
                let conflicting_appointment_id = body
                    .details
                    .as_ref()
                    .and_then(|d| d.get("conflicting_appointment_id"))
                    .and_then(|v| v.as_str())
                    .and_then(|s| Uuid::parse_str(s).ok());
                CommandError {
                    code,
                    message: body.message,
                    fields: body.errors,
                    conflicting_appointment_id,
                }
            }
        }
    }
}

impl Workstation {
    /// Opens the workstation's folder (creating it).
    pub fn open(config: WorkstationConfig) -> Result<Self, CommandError> {
        std::fs::create_dir_all(&config.data_dir).map_err(internal)?;
        let secrets = secrets::SecretStore::new(config.keyring_service.clone());
        Ok(Self {
            config: Arc::new(config),
            session: Arc::new(RwLock::new(None)),
            status: watch::channel(signed_out_status()).0,
            changes: broadcast::channel(64).0,
            secrets,
            unlock_failures: Arc::new(AtomicU32::new(0)),
            pending: Arc::new(tokio::sync::Mutex::new(None)),
        })
    }

    /// The configuration this workstation was opened with.
    pub fn config(&self) -> &WorkstationConfig {
        &self.config
    }

    fn prefs_path(&self) -> PathBuf {
        self.config.data_dir.join("workstation.json")
    }

    fn load_prefs(&self) -> Prefs {
        std::fs::read_to_string(self.prefs_path())
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    }

    fn save_prefs(&self, p: &Prefs) {
        if let Ok(s) = serde_json::to_string_pretty(p) {
            if let Err(e) = std::fs::write(self.prefs_path(), s) {
                tracing::warn!(error = %e, "could not save workstation preferences");
            }
        }
    }

    fn keyring_account(server_url: &str, tenant: &str, username: &str) -> String {
        format!(
            "{}|{}|{}",
            server_url.trim_end_matches('/'),
            tenant.to_lowercase(),
            username.to_lowercase()
        )
    }

    /// Remembers the server address and clinic code the sign-in form starts with on this
    /// workstation (`workstation.json`), checked first: the address must be `http://` or
    /// `https://` and reachable as this workstation's transport allows (plain HTTP only to this
    /// computer unless `allow_insecure_http`; the same check as at sign-in), the clinic code
    /// `a-z`, `0-9` and `-` (2 to 63, lower-cased here). Errors are `validation` with the
    /// words under `server_url` / `tenant`. A signed-in session keeps its server until the next
    /// sign-in. Returns what the sign-in form will now prefill.
    pub async fn save_sign_in_defaults(
        &self,
        server_url: &str,
        tenant: &str,
    ) -> Result<SessionState, CommandError> {
        let url = server_url.trim().trim_end_matches('/');
        let code = tenant.trim().to_lowercase();
        let mut fields = medoffice_model::FieldErrors::new();
        if url.is_empty() {
            fields.add("server_url", "is required");
        } else if let Err(e) = api::ApiClient::new(url, &self.config.transport()) {
            let why = match e {
                api::ApiError::Refused(m) => m,
                other => other.to_string(),
            };
            fields.add("server_url", why);
        }
        if code.is_empty() {
            fields.add("tenant", "is required");
        } else if !medoffice_model::account::is_clinic_code(&code) {
            fields.add("tenant", medoffice_model::account::CLINIC_CODE_RULE);
        }
        fields.into_result().map_err(CommandError::validation)?;
        let mut p = self.load_prefs();
        p.server_url = Some(url.to_owned());
        p.tenant = Some(code);
        self.save_prefs(&p);
        Ok(self.session_state().await)
    }

    /// Who is signed in, and what the login form should prefill.
    pub async fn session_state(&self) -> SessionState {
        let p = self.load_prefs();
        let user = self.session.read().await.as_ref().map(|s| s.user.clone());
        SessionState {
            locked: p.locked && user.is_some(),
            user,
            server_url: p.server_url,
            tenant: p.tenant,
            username: p.username,
        }
    }

    /// The current status.
    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// Status updates (for the status bar).
    pub fn subscribe_status(&self) -> watch::Receiver<SyncStatus> {
        self.status.subscribe()
    }

    /// Cache-change notices (re-read the screen when one arrives).
    pub fn subscribe_changes(&self) -> broadcast::Receiver<CacheChanged> {
        self.changes.subscribe()
    }

    async fn start_session(
        &self,
        api: api::ApiClient,
        tenant: &str,
        user: UserInfo,
        access: Option<(String, i64)>,
        refresh: Option<secrets::Secret>,
        key: vault::CacheKey,
    ) -> Result<Arc<Session>, CommandError> {
        let path = self.cache_path(user.tenant_id);
        let cache = tokio::task::spawn_blocking(move || cache::Cache::open(&path, &key))
            .await
            .map_err(internal)??;
        let account = Self::keyring_account(api.base().as_str(), tenant, &user.username);
        let session = Session::start(engine::SessionParts {
            api,
            user,
            cache,
            access,
            refresh,
            keyring_account: account,
            secrets: self.secrets.clone(),
            status: self.status.clone(),
            changes: self.changes.clone(),
        });
        if let Some(old) = self.session.write().await.replace(session.clone()) {
            old.stop();
        }
        Ok(session)
    }

    /// The cache file of clinic `cache_id` on this workstation.
    pub fn cache_path(&self, cache_id: Uuid) -> PathBuf {
        self.config
            .data_dir
            .join(format!("cache-{cache_id}.sqlite"))
    }

    fn cache_key_account(&self, cache_id: Uuid) -> String {
        format!("cache-key|{}|{}", self.config.device_id, cache_id)
    }

    /// The key of clinic `cache_id`'s cache (see [`vault`]): from the keyring; else, for a new
    /// (or plaintext, earlier-version) cache, a fresh one; else unwrapped with the password of
    /// `who` (`(tenant, username, password)`) and put back into the keyring. Blocking (argon2).
    fn resolve_cache_key(
        &self,
        cache_id: Uuid,
        who: Option<(&str, &str, &str)>,
    ) -> Result<vault::CacheKey, KeyProblem> {
        let account = self.cache_key_account(cache_id);
        match self.secrets.get(&account) {
            Ok(Some(hex)) => match vault::CacheKey::from_hex(hex.expose()) {
                Some(k) => return Ok(k),
                None => tracing::warn!("the cache key in the OS keyring is malformed; ignored"),
            },
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "OS keyring unavailable for the cache key"),
        }
        let path = self.cache_path(cache_id);
        let exists = path.exists();
        let plaintext = cache::is_plaintext(&path).map_err(|e| KeyProblem::Other(internal(e)))?;
        let store = self.offline_store();
        if !exists || plaintext {
            let key = vault::CacheKey::generate();
            if !exists {
                // copies of an earlier file's key (removed by hand) would only mislead
                store
                    .drop_cache_keys(cache_id)
                    .map_err(|e| KeyProblem::Other(internal(e)))?;
            }
            self.store_cache_key(cache_id, &key);
            return Ok(key);
        }
        let Some((tenant, username, password)) = who else {
            return Err(KeyProblem::NeedsPassword);
        };
        match store.unwrap_cache_key(tenant, username, password, cache_id) {
            Some(key) => {
                self.store_cache_key(cache_id, &key);
                tracing::info!("restored the cache key from the signed-in person's copy");
                Ok(key)
            }
            None => Err(KeyProblem::NotHeld(store.cache_key_holders(cache_id))),
        }
    }

    fn store_cache_key(&self, cache_id: Uuid, key: &vault::CacheKey) {
        let secret = secrets::Secret::new(key.to_hex().as_str());
        if let Err(e) = self.secrets.set(&self.cache_key_account(cache_id), &secret) {
            // the wrapped copies still hold it; the next sign-in restores it
            tracing::warn!(error = %e, "could not keep the cache key in the OS keyring");
        }
    }

    fn key_problem(p: KeyProblem, username: &str) -> CommandError {
        match p {
            KeyProblem::Other(e) => e,
            KeyProblem::NeedsPassword => CommandError::new(
                ErrorCode::NotSignedIn,
                "Sign in: the key of this clinic's records on this workstation is not at hand",
            ),
            KeyProblem::NotHeld(holders) if holders.is_empty() => CommandError::new(
                ErrorCode::Conflict,
                "This clinic's records on this workstation are encrypted, this computer no \
                 longer holds their key (the OS keyring forgets it at restart), and nobody who \
                 signed in here keeps a copy. Remove them (`medoffice logout --wipe --force`) to \
                 start afresh.",
            ),
            KeyProblem::NotHeld(holders) => CommandError::new(
                ErrorCode::Conflict,
                format!(
                    "This clinic's records on this workstation are encrypted and this computer no \
                     longer holds their key (the OS keyring forgets it at restart). Sign in here \
                     once as {} to restore it; {username} can work here afterwards.",
                    holders.join(" or ")
                ),
            ),
        }
    }

    /// A second connection to clinic `cache_id`'s cache, with the key from the keyring (for
    /// support tools and tests; the session has its own).
    pub fn open_cache_file(&self, cache_id: Uuid) -> Result<cache::Cache, CommandError> {
        let account = self.cache_key_account(cache_id);
        let key = self
            .secrets
            .get(&account)
            .map_err(internal)?
            .and_then(|h| vault::CacheKey::from_hex(h.expose()))
            .ok_or_else(|| {
                CommandError::new(
                    ErrorCode::NotSignedIn,
                    "the key of this cache is not in the OS keyring; sign in first",
                )
            })?;
        Ok(cache::Cache::open(&self.cache_path(cache_id), &key)?)
    }

    /// Signs in online. The refresh token goes to the OS keyring; the session starts syncing.
    /// The clinic's cache key is found (or restored from this person's wrapped copy, see
    /// [`vault`]) and wrapped anew under the password.
    pub async fn login(
        &self,
        server_url: &str,
        tenant: &str,
        username: &str,
        password: &str,
    ) -> Result<UserInfo, CommandError> {
        self.login_with_code(server_url, tenant, username, password, None)
            .await
    }

    /// [`Workstation::login`] with a second factor: the 6-digit code of the authenticator
    /// app, or an unused recovery code. An account with two-factor sign-in answers
    /// `totp_required` without one; one that must first change its password or enrol a second
    /// factor answers `password_change_required` / `totp_enrollment_required` and is held until
    /// that is done (see [`account`]).
    pub async fn login_with_code(
        &self,
        server_url: &str,
        tenant: &str,
        username: &str,
        password: &str,
        totp_code: Option<&str>,
    ) -> Result<UserInfo, CommandError> {
        let mut fields = medoffice_model::FieldErrors::new();
        for (f, v) in [
            ("server_url", server_url),
            ("tenant", tenant),
            ("username", username),
            ("password", password),
        ] {
            if v.trim().is_empty() {
                fields.add(f, "is required");
            }
        }
        if totp_code.is_some_and(|c| c.trim().is_empty()) {
            fields.add("totp_code", "is required");
        }
        fields.into_result().map_err(CommandError::validation)?;
        let api = api::ApiClient::new(server_url.trim(), &self.config.transport())?;
        self.drop_pending_sign_in().await;
        let tokens = match api
            .login(&LoginRequest {
                tenant: tenant.trim().to_lowercase(),
                username: username.trim().to_owned(),
                password: password.to_owned(),
                device_id: Some(self.config.device_id.clone()),
                totp_code: totp_code.map(|c| c.trim().to_owned()),
            })
            .await
        {
            Ok(t) => t,
            Err(api::ApiError::Network(why)) => {
                // The server is away: a person who signed in here before may work offline.
                return match self.unlock_offline(tenant, username, password).await {
                    Ok(user) => Ok(user),
                    Err(e) if e.code == ErrorCode::Unauthorized => Err(CommandError::new(
                        ErrorCode::Network,
                        format!("The server cannot be reached ({why}), and {}", e.message),
                    )),
                    Err(e) => Err(e),
                };
            }
            Err(e) => return Err(e.into()),
        };
        if tokens.password_change_required || tokens.totp_enrollment_required {
            return Err(self
                .hold_pending_sign_in(api, tenant.trim(), tokens, password)
                .await);
        }
        self.finish_sign_in(api, tenant.trim(), tokens, password)
            .await
    }

    /// The end of every online sign-in with full tokens: the cache key and this person's
    /// offline verifier, the refresh token to the keyring, the preferences, and the session.
    pub(crate) async fn finish_sign_in(
        &self,
        api: api::ApiClient,
        tenant: &str,
        tokens: medoffice_model::LoginResponse,
        password: &str,
    ) -> Result<UserInfo, CommandError> {
        let refresh = secrets::Secret::new(tokens.refresh_token.clone());
        let server = api.base().as_str().trim_end_matches('/').to_owned();
        let tenant_code = tenant.to_lowercase();
        // the cache key, and this person's verifier and wrapped copy of it (argon2: blocking)
        let key = {
            let (ws, server, tenant, user, password) = (
                self.clone(),
                server.clone(),
                tenant_code.clone(),
                tokens.user.clone(),
                password.to_owned(),
            );
            tokio::task::spawn_blocking(move || {
                let key = ws.resolve_cache_key(
                    user.tenant_id,
                    Some((&tenant, &user.username, &password)),
                )?;
                if let Err(e) =
                    ws.offline_store()
                        .remember(&server, &tenant, &user, &password, Some(&key))
                {
                    tracing::warn!(error = %e, "could not save the offline sign-in verifier");
                }
                Ok(key)
            })
            .await
            .map_err(internal)?
        };
        let key = match key {
            Ok(k) => k,
            Err(p) => {
                // this session cannot open the clinic's records here: do not leave it alive
                let _ = api.logout(refresh.expose()).await;
                return Err(Self::key_problem(p, &tokens.user.username));
            }
        };
        let account = Self::keyring_account(api.base().as_str(), tenant, &tokens.user.username);
        if let Err(e) = self.secrets.set(&account, &refresh) {
            // The session works; it just will not survive a restart of the app.
            tracing::warn!(error = %e, "could not store the refresh token in the OS keyring");
        }
        let expires = Utc::now().timestamp() + tokens.expires_in;
        self.save_prefs(&Prefs {
            server_url: Some(server),
            tenant: Some(tenant_code),
            username: Some(tokens.user.username.clone()),
            user: Some(tokens.user.clone()),
            locked: false,
        });
        self.unlock_failures.store(0, Ordering::Relaxed);
        self.start_session(
            api,
            tenant,
            tokens.user.clone(),
            Some((tokens.access_token, expires)),
            Some(refresh),
            key,
        )
        .await?;
        Ok(tokens.user)
    }

    /// Makes this person's offline verifier (and wrapped copy of the cache key) from a new
    /// password, after a password change.
    pub(crate) async fn remember_offline_password(
        &self,
        server: &str,
        tenant: &str,
        user: &UserInfo,
        password: &str,
    ) {
        let (ws, server, tenant, user, password) = (
            self.clone(),
            server.to_owned(),
            tenant.to_lowercase(),
            user.clone(),
            password.to_owned(),
        );
        let saved = tokio::task::spawn_blocking(move || {
            let key = ws.resolve_cache_key(user.tenant_id, None).ok();
            ws.offline_store()
                .remember(&server, &tenant, &user, &password, key.as_ref())
        })
        .await;
        if !matches!(saved, Ok(Ok(()))) {
            tracing::warn!("could not save the offline sign-in verifier");
        }
    }

    fn offline_store(&self) -> offline::OfflineUnlock {
        offline::OfflineUnlock::new(&self.config.data_dir, self.config.offline_unlock_hours)
    }

    /// Unlocks the workstation offline with the password of a person who signed in online here
    /// within the allowed window (see [`offline`]). The session works from the cache, queues
    /// writes under this person, and sends them once the server answers (with the refresh token
    /// in the keyring, or after the person signs in again if it expired). A cache key the
    /// keyring forgot (a restart) is restored from this person's wrapped copy.
    pub async fn unlock_offline(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
    ) -> Result<UserInfo, CommandError> {
        if self.config.offline_unlock_hours == 0 {
            return Err(CommandError::new(
                ErrorCode::Unauthorized,
                "offline sign-in is switched off on this workstation",
            ));
        }
        let ws = self.clone();
        let (t, u, p) = (
            tenant.trim().to_lowercase(),
            username.to_owned(),
            password.to_owned(),
        );
        let checked = tokio::task::spawn_blocking(move || {
            let store = ws.offline_store();
            let v = store
                .check(&t, &u, &p, Utc::now())
                .map_err(|e| CommandError::new(ErrorCode::Unauthorized, e.to_string()))?;
            let key = ws
                .resolve_cache_key(v.user.tenant_id, Some((&t, &u, &p)))
                .map_err(|e| Self::key_problem(e, &v.user.username))?;
            if !store.holds_cache_key(&t, &u, v.user.tenant_id) {
                // an entry from before caches were encrypted: give it its copy now
                if let Err(e) = store.wrap_cache_key(&t, &u, &p, v.user.tenant_id, &key) {
                    tracing::warn!(error = %e, "could not wrap the cache key");
                }
            }
            Ok::<_, CommandError>((v, key))
        })
        .await
        .map_err(internal)?;
        let (v, key) = checked?;
        let account = Self::keyring_account(&v.server_url, tenant.trim(), &v.user.username);
        let refresh = self.secrets.get(&account).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "OS keyring unavailable");
            None
        });
        let api = api::ApiClient::new(&v.server_url, &self.config.transport())?;
        let mut p = self.load_prefs();
        p.server_url = Some(v.server_url.clone());
        p.tenant = Some(tenant.trim().to_lowercase());
        p.username = Some(v.user.username.clone());
        p.user = Some(v.user.clone());
        p.locked = false;
        self.save_prefs(&p);
        self.unlock_failures.store(0, Ordering::Relaxed);
        self.start_session(api, tenant.trim(), v.user.clone(), None, refresh, key)
            .await?;
        Ok(v.user)
    }

    /// Resumes the last session from the keyring (at app start). Works offline: the cache and
    /// outbox are usable at once, and the engine connects when the server is reachable. `None`
    /// when someone must sign in (no refresh token, or the keyring forgot the cache key).
    pub async fn resume(&self) -> Result<Option<UserInfo>, CommandError> {
        let p = self.load_prefs();
        let (Some(server), Some(tenant), Some(user)) = (p.server_url, p.tenant, p.user) else {
            return Ok(None);
        };
        let account = Self::keyring_account(&server, &tenant, &user.username);
        let Some(refresh) = self.secrets.get(&account).map_err(internal)? else {
            return Ok(None);
        };
        let api = api::ApiClient::new(&server, &self.config.transport())?;
        let ws = self.clone();
        let cache_id = user.tenant_id;
        let key = tokio::task::spawn_blocking(move || ws.resolve_cache_key(cache_id, None))
            .await
            .map_err(internal)?;
        let key = match key {
            Ok(k) => k,
            Err(KeyProblem::Other(e)) => return Err(e),
            Err(_) => {
                tracing::info!("the cache key is not in the keyring: someone must sign in");
                return Ok(None);
            }
        };
        self.start_session(api, &tenant, user.clone(), None, Some(refresh), key)
            .await?;
        Ok(Some(user))
    }

    /// Signs out: revokes the session on the server when reachable, forgets the refresh token.
    ///
    /// Without `wipe`, the cache and any unsent outbox stay (nothing entered is discarded).
    /// With `wipe`, this clinic's data leaves the computer: the cache files (database, WAL,
    /// shared memory), its key (keyring and every wrapped copy) and the offline-unlock
    /// verifiers of the clinic's people. Refused (`conflict`, saying how many) while the outbox
    /// holds changes not yet accepted by the server, or when that cannot be told, unless
    /// `force`. Works without a session too (the CLI after a restart): the clinic is the last
    /// one signed in to here.
    pub async fn logout(&self, wipe: bool, force: bool) -> Result<(), CommandError> {
        let current = self.session.read().await.clone();
        let target = if wipe {
            Some(self.wipe_target(current.as_deref())?)
        } else {
            None
        };
        if let Some(cache_id) = target {
            let unsent = match &current {
                Some(s) if s.user.tenant_id == cache_id => {
                    let (p, r, h) = s.cache().outbox_counts()?;
                    Some(p + r + h)
                }
                _ => self.unsent_in_file(cache_id),
            };
            match unsent {
                Some(n) if n > 0 && !force => {
                    return Err(CommandError::new(
                        ErrorCode::Conflict,
                        format!(
                            "{n} change{} not yet sent to the server would be lost. Wait until \
                             {} sent, or remove the data anyway (force).",
                            if n == 1 { "" } else { "s" },
                            if n == 1 { "it is" } else { "they are" }
                        ),
                    ))
                }
                None if !force => {
                    return Err(CommandError::new(
                        ErrorCode::Conflict,
                        "Cannot tell whether changes here wait to be sent: the key of this \
                         clinic's records is not at hand. Sign in first to see, or remove the \
                         data anyway (force).",
                    ))
                }
                _ => {}
            }
        }
        let taken = self.session.write().await.take();
        drop(current);
        if let Some(s) = &taken {
            s.shutdown().await;
            if let Some(refresh) = s.refresh_token().await {
                if let Err(e) = s.api.logout(refresh.expose()).await {
                    tracing::info!(error = %e, "logout not confirmed by the server");
                }
            }
            let _ = self.secrets.delete(&s.keyring_account);
        }
        let mut p = self.load_prefs();
        let user = p.user.take();
        p.locked = false;
        if let Some(cache_id) = target {
            if user.as_ref().is_some_and(|u| u.tenant_id == cache_id) || taken.is_some() {
                p.username = None;
                p.tenant = None;
            }
        }
        self.save_prefs(&p);
        self.unlock_failures.store(0, Ordering::Relaxed);
        self.status.send_replace(signed_out_status());
        if let Some(cache_id) = target {
            if let Some(s) = taken {
                // commands still running hold the session (and its open cache) for a moment
                let mut s = s;
                for _ in 0..200 {
                    match Arc::try_unwrap(s) {
                        Ok(owned) => {
                            drop(owned);
                            break;
                        }
                        Err(back) => {
                            s = back;
                            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        }
                    }
                }
            }
            self.wipe(cache_id)?;
        }
        Ok(())
    }

    /// The clinic a wipe is about: the session's, else the last signed-in user's, else the
    /// clinic whose code was last used here.
    fn wipe_target(&self, s: Option<&Session>) -> Result<Uuid, CommandError> {
        if let Some(s) = s {
            return Ok(s.user.tenant_id);
        }
        let p = self.load_prefs();
        if let Some(u) = p.user {
            return Ok(u.tenant_id);
        }
        p.tenant
            .and_then(|code| self.offline_store().clinic_of(&code))
            .ok_or_else(|| {
                CommandError::new(
                    ErrorCode::NotSignedIn,
                    "No clinic's data to remove: nobody signed in on this workstation",
                )
            })
    }

    /// Outbox entries (pending, refused, held) of clinic `cache_id`'s cache file, opened with
    /// the key from the keyring; `None` when it cannot be read.
    fn unsent_in_file(&self, cache_id: Uuid) -> Option<u32> {
        if !self.cache_path(cache_id).exists() {
            return Some(0);
        }
        let cache = self.open_cache_file(cache_id).ok()?;
        let (p, r, h) = cache.outbox_counts().ok()?;
        Some(p + r + h)
    }

    /// Removes clinic `cache_id`'s data from this computer: its key first (from then on the
    /// files are unreadable, even if a copy survived), then the files.
    fn wipe(&self, cache_id: Uuid) -> Result<(), CommandError> {
        self.secrets
            .delete(&self.cache_key_account(cache_id))
            .map_err(internal)?;
        let gone = self
            .offline_store()
            .forget_clinic(cache_id)
            .map_err(internal)?;
        let path = self.cache_path(cache_id);
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".encrypting");
        for f in cache::files_of(&path)
            .into_iter()
            .chain(cache::files_of(&PathBuf::from(tmp)))
        {
            match std::fs::remove_file(&f) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(internal(format!("removing {}: {e}", f.display())));
                }
            }
        }
        tracing::info!(clinic = %cache_id, verifiers = gone, "removed the clinic's data from this workstation");
        Ok(())
    }

    /// Changes in the outbox not yet accepted by the server (pending, refused and held): what
    /// removing this clinic's data would lose.
    pub async fn unsent_changes(&self) -> Result<u32, CommandError> {
        let s = self.session().await?;
        let (p, r, h) = s.cache().outbox_counts()?;
        Ok(p + r + h)
    }

    /// Locks the screen (the app hides everything behind the lock screen; the session and the
    /// sync go on). Kept across restarts of the app until [`Self::unlock`].
    pub async fn lock(&self) -> Result<(), CommandError> {
        self.session().await?;
        let mut p = self.load_prefs();
        p.locked = true;
        self.save_prefs(&p);
        Ok(())
    }

    /// Unlocks the screen with the signed-in person's password, checked on this computer
    /// against their offline verifier (so it works offline; its age does not matter here). A
    /// wrong password is a `validation` error on `password`; after
    /// [`MAX_UNLOCK_FAILURES`] in a row the session is signed out (the outbox stays) and the
    /// answer is `not_signed_in`.
    pub async fn unlock(&self, password: &str) -> Result<(), CommandError> {
        let s = self.session().await?;
        let p = self.load_prefs();
        let tenant = p
            .tenant
            .clone()
            .unwrap_or_else(|| s.user.tenant.code.clone());
        let store = self.offline_store();
        let (u, pw) = (s.user.username.clone(), password.to_owned());
        if !store.knows(&tenant, &u) {
            return Err(CommandError::new(
                ErrorCode::Conflict,
                "This workstation cannot check your password on its own (you have not signed \
                 in here since it was updated). Sign in again instead.",
            ));
        }
        let ok = tokio::task::spawn_blocking(move || store.verify(&tenant, &u, &pw).is_some())
            .await
            .map_err(internal)?;
        if ok {
            self.unlock_failures.store(0, Ordering::Relaxed);
            let mut p = self.load_prefs();
            p.locked = false;
            self.save_prefs(&p);
            return Ok(());
        }
        let failures = self.unlock_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if failures >= MAX_UNLOCK_FAILURES {
            drop(s);
            self.logout(false, false).await?;
            return Err(CommandError::new(
                ErrorCode::NotSignedIn,
                format!(
                    "{MAX_UNLOCK_FAILURES} wrong passwords in a row: signed out. Sign in again; \
                     the changes waiting on this workstation are kept."
                ),
            ));
        }
        let mut f = medoffice_model::FieldErrors::new();
        f.add(
            "password",
            format!(
                "is not {}'s password ({} tr{} left before signing out)",
                s.user.full_name,
                MAX_UNLOCK_FAILURES - failures,
                if MAX_UNLOCK_FAILURES - failures == 1 {
                    "y"
                } else {
                    "ies"
                }
            ),
        );
        Err(CommandError::validation(f))
    }

    /// The current session, or `not_signed_in`.
    pub async fn session(&self) -> Result<Arc<Session>, CommandError> {
        self.session
            .read()
            .await
            .clone()
            .ok_or_else(|| CommandError::new(ErrorCode::NotSignedIn, "Sign in first"))
    }

    fn require(s: &Session, p: Permission) -> Result<(), CommandError> {
        if s.user.role.can(p) {
            Ok(())
        } else {
            Err(CommandError::new(
                ErrorCode::Forbidden,
                "Your role may not do this",
            ))
        }
    }

    /// Today in the clinic's time zone.
    pub async fn clinic_today(&self) -> Result<NaiveDate, CommandError> {
        Ok(self.session().await?.today())
    }

    // ------------------------------------------------------------------------------ reads

    /// Patients matching `query` (see `medoffice_model::search`), from the cache with local
    /// registrations on top, by name.
    pub async fn search_patients(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<Local<Patient>>, CommandError> {
        let s = self.session().await?;
        let terms = parse_query(query);
        let cache = s.cache();
        let mut out = local::search(&cache, &terms, limit.clamp(1, 500))?;
        out.truncate(limit);
        Ok(out)
    }

    /// A patient's chart from the cache.
    pub async fn patient_chart(&self, patient_id: Uuid) -> Result<PatientChart, CommandError> {
        let s = self.session().await?;
        let cache = s.cache();
        let patient = local::patient(&cache, patient_id)?.ok_or_else(|| {
            CommandError::new(ErrorCode::NotFound, "No such patient on this workstation")
        })?;
        drop(cache);
        // the read happened here, not on the server: report it to the audit log
        s.chart_opened(patient_id);
        let cache = s.cache();
        let vitals = local::vitals_of(&cache, patient_id, s.tz())?;
        let staff = cache.staff()?;
        let appointments = local::appointments_of(&cache, patient_id)?
            .into_iter()
            .map(|a| local::row(&cache, a, &staff))
            .collect::<Result<_, _>>()?;
        Ok(PatientChart {
            patient,
            vitals,
            appointments,
            staff,
        })
    }

    /// The day's appointments (clinic time zone), optionally of one provider.
    pub async fn day_appointments(
        &self,
        date: NaiveDate,
        provider_id: Option<Uuid>,
    ) -> Result<Vec<AppointmentRow>, CommandError> {
        let s = self.session().await?;
        let (from, to) = s.day_bounds(date);
        let cache = s.cache();
        let staff = cache.staff()?;
        local::appointments_between(&cache, from, to)?
            .into_iter()
            .filter(|a| provider_id.is_none_or(|p| a.record.provider_id == p))
            .map(|a| local::row(&cache, a, &staff))
            .collect()
    }

    /// Appointments from the start of `from` to the end of `to_inclusive` (clinic-local days,
    /// clinic time zone; a week view asks for 7 days at once), by time, optionally of one
    /// provider. Empty when `to_inclusive` is before `from`; at most 62 days are read.
    pub async fn appointments_between_dates(
        &self,
        from: NaiveDate,
        to_inclusive: NaiveDate,
        provider_id: Option<Uuid>,
    ) -> Result<Vec<AppointmentRow>, CommandError> {
        if to_inclusive < from {
            return Ok(Vec::new());
        }
        if (to_inclusive - from).num_days() > 62 {
            let mut f = medoffice_model::FieldErrors::new();
            f.add("to", "choose at most 62 days at once");
            return Err(CommandError::validation(f));
        }
        let s = self.session().await?;
        let (start, _) = s.day_bounds(from);
        let (_, end) = s.day_bounds(to_inclusive);
        let cache = s.cache();
        let staff = cache.staff()?;
        local::appointments_between(&cache, start, end)?
            .into_iter()
            .filter(|a| provider_id.is_none_or(|p| a.record.provider_id == p))
            .map(|a| local::row(&cache, a, &staff))
            .collect()
    }

    /// Active staff.
    pub async fn staff(&self) -> Result<Vec<StaffMember>, CommandError> {
        let s = self.session().await?;
        let staff = s.cache().staff()?;
        Ok(staff.into_iter().filter(|m| m.active).collect())
    }

    // ----------------------------------------------------------------------------- writes

    /// Queues `m` durably in this user's outbox and tells the engine and the screens.
    async fn enqueue(&self, s: &Session, m: Mutation) -> Result<(), CommandError> {
        s.cache().enqueue(&m, s.user.id)?;
        s.after_local_write(m.entity());
        Ok(())
    }

    /// Registers a patient: validated here, saved to the outbox (durably), sent when online.
    /// Shows at once with a provisional MRN.
    pub async fn register_patient(&self, new: NewPatient) -> Result<Local<Patient>, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::PatientWrite)?;
        let mut new = new.normalized();
        new.validate(s.today()).map_err(CommandError::validation)?;
        let id = new.id.unwrap_or_else(Uuid::now_v7);
        new.id = Some(id);
        self.enqueue(&s, Mutation::new(id, MutationKind::RegisterPatient(new)))
            .await?;
        let p = local::patient(&s.cache(), id)?;
        p.ok_or_else(|| internal("registered patient not readable"))
    }

    /// Records a vital-signs set for a patient known here.
    pub async fn record_vitals(
        &self,
        patient_id: Uuid,
        mut vitals: NewVitalSigns,
    ) -> Result<Local<VitalSigns>, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::VitalSignsWrite)?;
        if local::patient(&s.cache(), patient_id)?.is_none() {
            return Err(CommandError::new(
                ErrorCode::NotFound,
                "No such patient on this workstation",
            ));
        }
        vitals
            .validate(Utc::now())
            .map_err(CommandError::validation)?;
        let id = vitals.id.unwrap_or_else(Uuid::now_v7);
        vitals.id = Some(id);
        if vitals.entered_offline.is_none() {
            vitals.entered_offline = Some(s.status_state() != ConnectionState::Online);
        }
        let kind = MutationKind::RecordVitals(NewVitalSignsForPatient { patient_id, vitals });
        self.enqueue(&s, Mutation::new(id, kind)).await?;
        // just this set: a chart with years of history is not re-read for every entry
        let queued = local::queued_vitals(&s.cache(), id, s.tz())?;
        match queued {
            Some(v) => Ok(v),
            // already sent and answered by the engine meanwhile: it is in the cache
            None => local::vitals_of(&s.cache(), patient_id, s.tz())?
                .into_iter()
                .find(|v| v.record.id == id)
                .ok_or_else(|| internal("recorded vitals not readable")),
        }
    }

    /// Books an appointment. A clash with a booking in the cache is refused at once, naming it;
    /// the server checks again (the exclusion constraint is the authority).
    pub async fn book_appointment(
        &self,
        mut new: NewAppointment,
    ) -> Result<AppointmentRow, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentWrite)?;
        new.validate().map_err(CommandError::validation)?;
        if local::patient(&s.cache(), new.patient_id)?.is_none() {
            let mut f = medoffice_model::FieldErrors::new();
            f.add("patient_id", "no such patient on this workstation");
            return Err(CommandError::validation(f));
        }
        if !new.overbooked.unwrap_or(false) {
            if let Some(e) = clash_in_cache(&s, &new, None)? {
                return Err(e);
            }
        }
        let id = new.id.unwrap_or_else(Uuid::now_v7);
        new.id = Some(id);
        self.enqueue(&s, Mutation::new(id, MutationKind::BookAppointment(new)))
            .await?;
        let cache = s.cache();
        let staff = cache.staff()?;
        let a = local::appointment(&cache, id)?
            .ok_or_else(|| internal("booked appointment not readable"))?;
        local::row(&cache, a, &staff)
    }

    /// Moves an appointment along its workflow (check in, start, complete, no-show, cancel).
    /// `note` (e.g. a cancellation reason) is appended to the notes. A check-in carries this
    /// workstation's clock as `checked_in_at`, so the waiting time counts from the desk even
    /// when the check-in is sent later; the row answered shows it at once.
    pub async fn set_appointment_status(
        &self,
        id: Uuid,
        status: AppointmentStatus,
        note: Option<String>,
    ) -> Result<AppointmentRow, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentWrite)?;
        let current = local::appointment(&s.cache(), id)?
            .ok_or_else(|| CommandError::new(ErrorCode::NotFound, "No such appointment"))?;
        if !current.record.status.can_become(status) {
            let mut f = medoffice_model::FieldErrors::new();
            f.add(
                "status",
                format!(
                    "cannot go from {} to {}",
                    current.record.status.as_str(),
                    status.as_str()
                ),
            );
            return Err(CommandError::validation(f));
        }
        if status == AppointmentStatus::Cancelled
            && note.as_deref().is_none_or(|n| n.trim().is_empty())
        {
            let mut f = medoffice_model::FieldErrors::new();
            f.add("note", "give a reason for the cancellation");
            return Err(CommandError::validation(f));
        }
        let mut changes = BTreeMap::new();
        changes.insert(
            AppointmentField::Status,
            serde_json::to_value(status).map_err(internal)?,
        );
        // the desk's moment of check-in, even if this is sent hours later; the server clamps
        // it to its own clock (Appointment::checked_in_at). Back to scheduled, the pending
        // view shows no check-in time (the server clears it; see local::overlay).
        let checked_in_at = (status == AppointmentStatus::CheckedIn
            && current.record.status != status)
            .then(Utc::now);
        if let Some(n) = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) {
            let notes = match &current.record.notes {
                Some(old) => format!("{old}\n{n}"),
                None => n,
            };
            changes.insert(AppointmentField::Notes, serde_json::Value::String(notes));
        }
        self.update_appointment(&s, id, changes, checked_in_at)
            .await
    }

    /// Moves (reschedules) a booking to `starts_at` for `duration_minutes` with `provider_id`:
    /// an outbox update from the revision seen here carrying only the changed fields.
    ///
    /// Refused at once, with the reason on the field concerned: a length outside 5–480
    /// minutes; a booking that is not `scheduled` or `checked_in` (the visit has started,
    /// ended or was called off); a start on a day before today (clinic time zone; moving to
    /// an earlier hour of today is allowed, the front desk fixes the day as it happens); a
    /// provider who is not an active staff member (the server's rule). A clash with another live booking
    /// of the provider in the cache is refused as `conflict` naming it
    /// (`conflicting_appointment_id`), as for a new booking; an overbooked visit skips that
    /// check and needs the overbook permission. The server checks again and is the
    /// authority: a move it refuses comes back as a refused change in the review list.
    pub async fn move_appointment(
        &self,
        id: Uuid,
        starts_at: DateTime<Utc>,
        duration_minutes: i32,
        provider_id: Uuid,
    ) -> Result<AppointmentRow, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentWrite)?;
        let current = local::appointment(&s.cache(), id)?
            .ok_or_else(|| CommandError::new(ErrorCode::NotFound, "No such appointment"))?;
        let r = current.record.clone();
        let mut f = medoffice_model::FieldErrors::new();
        if !r.status.can_move() {
            f.add(
                "status",
                format!(
                    "only scheduled or checked-in bookings can be moved; this one is {}",
                    r.status.as_str().replace('_', " ")
                ),
            );
        }
        medoffice_model::validate_duration(duration_minutes, &mut f);
        let (today_start, _) = s.day_bounds(s.today());
        if starts_at < today_start {
            f.add("starts_at", "cannot be moved to a day in the past");
        }
        let staff = s.cache().staff()?;
        if !staff.iter().any(|m| m.id == provider_id && m.active) {
            f.add(
                "provider_id",
                "is not an active staff member of this clinic",
            );
        }
        f.into_result().map_err(CommandError::validation)?;
        let mut data = BTreeMap::new();
        if starts_at != r.starts_at {
            data.insert(
                AppointmentField::StartsAt,
                serde_json::to_value(starts_at).map_err(internal)?,
            );
        }
        if duration_minutes != r.duration_minutes {
            data.insert(AppointmentField::DurationMinutes, duration_minutes.into());
        }
        if provider_id != r.provider_id {
            data.insert(
                AppointmentField::ProviderId,
                serde_json::to_value(provider_id).map_err(internal)?,
            );
        }
        if data.is_empty() {
            return local::row(&s.cache(), current, &staff);
        }
        let day = |t: DateTime<Utc>| t.with_timezone(&s.tz()).date_naive();
        if r.status == AppointmentStatus::CheckedIn && day(starts_at) != day(r.starts_at) {
            // the patient is here today, not on the new day: the visit waits for them again
            // (the server clears the check-in time with it)
            data.insert(
                AppointmentField::Status,
                serde_json::to_value(AppointmentStatus::Scheduled).map_err(internal)?,
            );
        }
        if r.overbooked {
            // moving an overbooked visit is overbooking again (as the server rules)
            Self::require(&s, Permission::AppointmentOverbook)?;
        } else {
            let probe = NewAppointment {
                id: Some(id),
                patient_id: r.patient_id,
                provider_id,
                starts_at,
                duration_minutes,
                kind: r.kind,
                reason: None,
                notes: None,
                overbooked: None,
            };
            if let Some(e) = clash_in_cache(&s, &probe, Some(id))? {
                return Err(e);
            }
        }
        self.update_appointment(&s, id, data, None).await
    }

    /// Queues an update of a booking (only the fields in `changes`, from the revision in the
    /// cache; `checked_in_at` with a check-in) and answers its row as it now shows here.
    async fn update_appointment(
        &self,
        s: &Session,
        id: Uuid,
        changes: BTreeMap<AppointmentField, serde_json::Value>,
        checked_in_at: Option<DateTime<Utc>>,
    ) -> Result<AppointmentRow, CommandError> {
        let base = s.cache().appointment(id)?.map(|a| a.revision).unwrap_or(0);
        let edit = medoffice_model::Edit {
            base_revision: base,
            changes,
        };
        let kind = MutationKind::EditAppointment {
            edit,
            checked_in_at,
        };
        self.enqueue(s, Mutation::new(id, kind)).await?;
        let cache = s.cache();
        let staff = cache.staff()?;
        let a =
            local::appointment(&cache, id)?.ok_or_else(|| internal("appointment not readable"))?;
        local::row(&cache, a, &staff)
    }

    // ------------------------------------------------------------------------ sync control

    /// Pulls the feed and pushes the outbox now (the engine does this by itself; the CLI and
    /// tests use it to wait for a known state).
    pub async fn sync_now(&self) -> Result<(), CommandError> {
        let s = self.session().await?;
        s.pull().await?;
        s.push_outbox().await?;
        Ok(())
    }

    /// Row counts of the cache: (patients, vital signs, appointments, staff).
    pub async fn cache_counts(&self) -> Result<(i64, i64, i64, i64), CommandError> {
        Ok(self.session().await?.cache().counts()?)
    }

    /// The whole cache as JSON, for support staff: cursor, server rows by kind (tombstones
    /// included), the outbox and open conflicts.
    pub async fn dump(&self) -> Result<serde_json::Value, CommandError> {
        let s = self.session().await?;
        let cache = s.cache();
        let rows = |e: EntityKind| -> Result<Vec<serde_json::Value>, CommandError> {
            Ok(cache
                .rows(e)?
                .into_iter()
                .map(|(id, revision, deleted, data)| {
                    serde_json::json!({"id": id, "revision": revision, "deleted": deleted, "data": data})
                })
                .collect())
        };
        let outbox: Vec<serde_json::Value> = cache
            .outbox(false, usize::MAX >> 1)?
            .into_iter()
            .map(|e| {
                serde_json::json!({
                    "seq": e.seq, "state": e.state, "error": e.error, "held_by": e.held_by,
                    "user_id": e.user_id, "created_at": e.created_at, "mutation": e.mutation.encode(),
                })
            })
            .collect();
        let conflicts: Vec<serde_json::Value> = cache
            .conflicts()?
            .into_iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id, "entity": c.entity, "entity_id": c.entity_id,
                    "user_id": c.user_id, "created_at": c.created_at, "conflict": c.conflict,
                })
            })
            .collect();
        Ok(serde_json::json!({
            "user": s.user,
            "cursor": cache.cursor()?,
            "patients": rows(EntityKind::Patient)?,
            "vital_signs": rows(EntityKind::VitalSigns)?,
            "appointments": rows(EntityKind::Appointment)?,
            "staff": rows(EntityKind::User)?,
            "outbox": outbox,
            "conflicts": conflicts,
            "unreported_chart_opens": access::unreported_count(&cache)?,
        }))
    }

    /// Server rows of one kind in the cache, by id (see [`cache::Cache::rows`]).
    pub async fn cached_rows(
        &self,
        entity: EntityKind,
    ) -> Result<Vec<(Uuid, i64, bool, serde_json::Value)>, CommandError> {
        Ok(self.session().await?.cache().rows(entity)?)
    }

    /// Stops the sync engine without signing out (the app or CLI is closing); the cache is
    /// closed once no command still running holds the session.
    pub async fn close(&self) {
        let taken = self.session.write().await.take();
        if let Some(s) = taken {
            s.shutdown().await;
        }
    }

    /// Outbox entries (pending and rejected), oldest first.
    pub async fn outbox(&self) -> Result<Vec<cache::OutboxEntry>, CommandError> {
        Ok(self.session().await?.cache().outbox(false, 100_000)?)
    }
}

/// A live booking of the same provider in the cache that overlaps `new` (leaving out
/// `except`, the booking being moved, and local bookings the server refused), as the error a
/// person sees, naming it.
pub(crate) fn clash_in_cache(
    s: &Session,
    new: &NewAppointment,
    except: Option<Uuid>,
) -> Result<Option<CommandError>, CommandError> {
    let end = new.starts_at + chrono::Duration::minutes(new.duration_minutes as i64);
    let day_start = new.starts_at - chrono::Duration::hours(24);
    let clash = local::appointments_between(&s.cache(), day_start, end)?
        .into_iter()
        .find(|a| {
            let r = &a.record;
            // a refused new booking (never on the server) holds no time; a server booking
            // whose later change was refused still does
            Some(r.id) != except
                && (a.rejected.is_none() || r.revision > 0)
                && r.provider_id == new.provider_id
                && r.status.is_live()
                && !r.overbooked
                && r.starts_at < end
                && new.starts_at
                    < r.starts_at + chrono::Duration::minutes(r.duration_minutes as i64)
        });
    Ok(clash.map(|c| {
        let who = local::patient(&s.cache(), c.record.patient_id)
            .ok()
            .flatten()
            .map(|p| {
                format!(
                    ": {}, {} (MRN {})",
                    p.record.family_name, p.record.given_name, p.record.mrn
                )
            })
            .unwrap_or_default();
        let mut e = CommandError::new(
            ErrorCode::Conflict,
            format!(
                "The provider already has a booking at {} for {} minutes{who}",
                c.record
                    .starts_at
                    .with_timezone(&s.tz())
                    .format("%Y-%m-%d %H:%M"),
                c.record.duration_minutes
            ),
        );
        e.conflicting_appointment_id = Some(c.record.id);
        e
    }))
}

/// The UTC bounds of a clinic-local day.
pub fn day_bounds(tz: chrono_tz::Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
    };
    (start(date), start(date.succ_opt().unwrap_or(date)))
}
