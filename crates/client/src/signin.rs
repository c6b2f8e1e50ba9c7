//! Signing in: online (the server checks the password and answers tokens), offline (a person
//! who signed in here recently unlocks with their password, see [`crate::offline`]), and
//! resuming the last session at app start; each starts a [`Session`] over the clinic's cache.

use std::sync::Arc;

use chrono::Utc;
use medoffice_model::{LoginRequest, UserInfo};

use crate::config::Prefs;
use crate::custody::KeyProblem;
use crate::view::{CommandError, ErrorCode};
use crate::{api, cache, engine, internal, offline, secrets, vault, Session, Workstation};

impl Workstation {
    pub(crate) fn keyring_account(server_url: &str, tenant: &str, username: &str) -> String {
        format!(
            "{}|{}|{}",
            server_url.trim_end_matches('/'),
            tenant.to_lowercase(),
            username.to_lowercase()
        )
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
        let held = key.clone();
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
            offline: self.offline_store(),
            device_id: self.config.device_id.clone(),
            cache_key: held,
            status: self.status.clone(),
            changes: self.changes.clone(),
        });
        if let Some(old) = self.session.write().await.replace(session.clone()) {
            old.stop();
        }
        Ok(session)
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
    /// that is done (see [`crate::account`]).
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
        let api = api::ApiClient::new(server_url.trim(), &self.config.transport())?
            .with_clock(self.clock.clone());
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
                    Err(e) if e.code == ErrorCode::Unauthorized => {
                        tracing::warn!(cause = %why, "server unreachable at sign-in");
                        Err(CommandError::new(
                            ErrorCode::Network,
                            format!("The server cannot be reached, and {}", e.message),
                        ))
                    }
                    // guessing offline is bounded: say so, with the wait
                    Err(e) if e.code == ErrorCode::RateLimited => Err(CommandError::new(
                        ErrorCode::RateLimited,
                        format!("The server cannot be reached, and {}", e.message),
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

    pub(crate) fn offline_store(&self) -> offline::OfflineUnlock {
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
            let v = store.check(&t, &u, &p, Utc::now()).map_err(|e| {
                let code = match e {
                    offline::UnlockError::Wait(_) => ErrorCode::RateLimited,
                    offline::UnlockError::Unrecorded => ErrorCode::LocalCache,
                    _ => ErrorCode::Unauthorized,
                };
                CommandError::new(code, e.to_string())
            })?;
            let key = ws
                .resolve_cache_key(v.user.tenant_id, Some((&t, &u, &p)))
                .map_err(|e| Self::key_problem(e, &v.user.username))?;
            // what this workstation last heard of the account: deactivated is the end of it
            // here too (a deactivation heard while this person was not signed in here)
            let path = ws.cache_path(v.user.tenant_id);
            if path.exists() {
                let staff = cache::Cache::open(&path, &key)?.staff()?;
                if staff.iter().any(|m| m.id == v.user.id && !m.active) {
                    if let Err(e) = store.forget_user(v.user.id) {
                        tracing::warn!(error = %e, "could not forget a deactivated account's offline sign-in");
                    }
                    return Err(CommandError::new(
                        ErrorCode::Unauthorized,
                        "this account has been deactivated: an administrator can reactivate it",
                    ));
                }
            }
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
        let api = api::ApiClient::new(&v.server_url, &self.config.transport())?
            .with_clock(self.clock.clone());
        let mut p = self.load_prefs();
        p.server_url = Some(v.server_url.clone());
        p.tenant = Some(tenant.trim().to_lowercase());
        p.username = Some(v.user.username.clone());
        p.user = Some(v.user.clone());
        p.locked = false;
        self.save_prefs(&p);
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
        let api =
            api::ApiClient::new(&server, &self.config.transport())?.with_clock(self.clock.clone());
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
}
