//! Offline unlock: a person who signed in online on this workstation can unlock it with their
//! password while the server is away, for a limited time after that sign-in (72 h by default).
//!
//! At each online sign-in the password is hashed with argon2id (a verifier, never the
//! password) into `offline-unlock.json` (mode 0600) together with the user's profile. Offline,
//! the typed password is checked against it; the session then works from the cache and queues
//! writes under that user, and sends them with the user's refresh token (from the keyring) once
//! the server answers. If the refresh token has expired meanwhile, the status asks the person to
//! sign in again, and the queue waits; it is never discarded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use medoffice_model::UserInfo;
use serde::{Deserialize, Serialize};

/// One person's offline sign-in on this workstation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verifier {
    /// The user as the server last described them.
    pub user: UserInfo,
    /// Server the user signed in to.
    pub server_url: String,
    /// argon2id PHC string of the password.
    pub password_hash: String,
    /// The last online sign-in; offline unlock works until this plus the allowed window.
    pub verified_at: DateTime<Utc>,
}

/// Why an offline unlock did not work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnlockError {
    /// Nobody with this name signed in online here, or the password is wrong (one answer for
    /// both, as online).
    #[error("wrong clinic, username or password for offline sign-in")]
    NotRecognised,
    /// The last online sign-in is too old.
    #[error(
        "the last online sign-in on this workstation was more than {0} hours ago; sign in online"
    )]
    Expired(i64),
}

fn key(tenant: &str, username: &str) -> String {
    format!(
        "{}|{}",
        tenant.trim().to_lowercase(),
        username.trim().to_lowercase()
    )
}

/// The verifier file of a workstation.
pub struct OfflineUnlock {
    path: PathBuf,
    window: Duration,
}

impl OfflineUnlock {
    /// The store in `data_dir`, accepting sign-ins up to `window_hours` old.
    pub fn new(data_dir: &Path, window_hours: u32) -> Self {
        Self {
            path: data_dir.join("offline-unlock.json"),
            window: Duration::hours(window_hours as i64),
        }
    }

    fn load(&self) -> BTreeMap<String, Verifier> {
        std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default()
    }

    fn save(&self, all: &BTreeMap<String, Verifier>) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(all).map_err(std::io::Error::other)?;
        let tmp = self.path.with_extension("json.tmp");
        {
            use std::io::Write;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut f = opts.open(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(tmp, &self.path)
    }

    /// Remembers a successful online sign-in (runs argon2: call off the async threads).
    pub fn remember(
        &self,
        server_url: &str,
        tenant: &str,
        user: &UserInfo,
        password: &str,
    ) -> std::io::Result<()> {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| std::io::Error::other(e.to_string()))?
            .to_string();
        let mut all = self.load();
        all.insert(
            key(tenant, &user.username),
            Verifier {
                user: user.clone(),
                server_url: server_url.to_owned(),
                password_hash: hash,
                verified_at: Utc::now(),
            },
        );
        self.save(&all)
    }

    /// Checks a password offline (runs argon2: call off the async threads).
    pub fn check(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<Verifier, UnlockError> {
        let Some(v) = self.load().remove(&key(tenant, username)) else {
            return Err(UnlockError::NotRecognised);
        };
        let ok = PasswordHash::new(&v.password_hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        if !ok {
            return Err(UnlockError::NotRecognised);
        }
        if now - v.verified_at > self.window {
            return Err(UnlockError::Expired(self.window.num_hours()));
        }
        Ok(v)
    }

    /// Forgets a person's offline sign-in (their account was changed or they asked).
    pub fn forget(&self, tenant: &str, username: &str) -> std::io::Result<()> {
        let mut all = self.load();
        if all.remove(&key(tenant, username)).is_some() {
            self.save(&all)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use medoffice_model::{Role, TenantInfo};

    fn user() -> UserInfo {
        UserInfo {
            id: uuid::Uuid::new_v4(),
            tenant_id: uuid::Uuid::new_v4(),
            username: "Nina".into(),
            full_name: "Nina Nurse".into(),
            role: Role::Nurse,
            permissions: Role::Nurse.permissions().to_vec(),
            tenant: TenantInfo {
                id: uuid::Uuid::new_v4(),
                code: "demo".into(),
                name: "Demo".into(),
                time_zone: "UTC".into(),
                require_admin_totp: false,
                max_users: None,
                max_patients: None,
            },
            active: true,
            must_change_password: false,
            totp_enabled: false,
            locked_until: None,
            last_login_at: None,
        }
    }

    #[test]
    fn the_right_password_unlocks_within_the_window_only() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let store = OfflineUnlock::new(dir.path(), 72);
        store.remember(
            "http://127.0.0.1:1",
            "demo",
            &user(),
            "correct horse battery",
        )?;
        let now = Utc::now();
        assert!(store
            .check("DEMO", "nina", "correct horse battery", now)
            .is_ok());
        assert_eq!(
            store.check("demo", "nina", "wrong", now).err(),
            Some(UnlockError::NotRecognised)
        );
        assert_eq!(
            store
                .check("demo", "nobody", "correct horse battery", now)
                .err(),
            Some(UnlockError::NotRecognised)
        );
        assert_eq!(
            store
                .check(
                    "demo",
                    "nina",
                    "correct horse battery",
                    now + Duration::hours(73)
                )
                .err(),
            Some(UnlockError::Expired(72))
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("offline-unlock.json"))?
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let text = std::fs::read_to_string(dir.path().join("offline-unlock.json"))?;
        assert!(!text.contains("correct horse battery"));
        store.forget("demo", "nina")?;
        assert!(store
            .check("demo", "nina", "correct horse battery", now)
            .is_err());
        Ok(())
    }
}
