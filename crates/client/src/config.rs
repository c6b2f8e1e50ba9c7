//! The workstation's configuration ([`WorkstationConfig`]: folder, keyring namespace, device
//! id, transport) and the preferences it remembers between runs (`workstation.json`: the
//! sign-in form's server and clinic, the last user, the lock screen; no secrets).

use std::path::PathBuf;

use medoffice_model::UserInfo;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::view::{CommandError, SessionState};
use crate::{api, Workstation};

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
    /// the wrapped cache key, see [`crate::offline`]).
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

/// What the workstation remembers between runs (no secrets: the refresh token is in the keyring).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Prefs {
    pub(crate) server_url: Option<String>,
    pub(crate) tenant: Option<String>,
    pub(crate) username: Option<String>,
    /// The signed-in user, so the app can start from the cache while the server is away.
    pub(crate) user: Option<UserInfo>,
    /// The app's lock screen is up (survives a restart of the app).
    #[serde(default)]
    pub(crate) locked: bool,
}

impl Workstation {
    fn prefs_path(&self) -> PathBuf {
        self.config.data_dir.join("workstation.json")
    }

    pub(crate) fn load_prefs(&self) -> Prefs {
        std::fs::read_to_string(self.prefs_path())
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    }

    pub(crate) fn save_prefs(&self, p: &Prefs) {
        if let Ok(s) = serde_json::to_string_pretty(p) {
            if let Err(e) = std::fs::write(self.prefs_path(), s) {
                tracing::warn!(error = %e, "could not save workstation preferences");
            }
        }
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
}
