//! Offline unlock: a person who signed in online on this workstation can unlock it with their
//! password while the server is away, for a limited time after that sign-in (72 h by default).
//!
//! At each online sign-in the password is hashed with argon2id (a verifier, never the
//! password) into `offline-unlock.json` (mode 0600) together with the user's profile. Offline,
//! the typed password is checked against it; the session then works from the cache and queues
//! writes under that user, and sends them with the user's refresh token (from the keyring) once
//! the server answers. If the refresh token has expired meanwhile, the status asks the person to
//! sign in again, and the queue waits; it is never discarded.
//!
//! Each entry also carries the clinic's cache key wrapped under the same password (see
//! [`crate::vault`]), which is why an entry is written at every online sign-in even when offline
//! unlock is switched off on the workstation (then only the cache key and the idle-lock check use
//! it). The idle lock of the app checks the password against the same verifier, whatever its age.
//!
//! Guessing is bounded on disk, per person, across restarts: after [`FREE_ATTEMPTS`] wrong
//! passwords in a row (offline sign-in and lock screen together) each further try waits, 30 s
//! doubling to 15 minutes, before the password is even checked; after [`ATTEMPT_LIMIT`] only an
//! online sign-in (which the server checks, and which resets the count) lets that person in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, Utc};
use medoffice_model::UserInfo;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::vault::{CacheKey, WrappedKey};

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
    /// The key of the user's clinic cache on this workstation, wrapped under the password
    /// (absent in entries written before caches were encrypted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_key: Option<WrappedKey>,
    /// Wrong passwords in a row typed here since the last right one or online sign-in.
    #[serde(default)]
    pub failed_attempts: u32,
    /// When the last of them was typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failed_at: Option<DateTime<Utc>>,
}

/// Wrong passwords in a row checked at once; from the next one on, each waits ([`retry_delay`]).
pub const FREE_ATTEMPTS: u32 = 3;

/// Wrong passwords in a row after which this workstation no longer checks that person's
/// password on its own: only an online sign-in lets them in (and resets the count).
pub const ATTEMPT_LIMIT: u32 = 10;

/// How long after the last wrong password the next try waits, given `failed` in a row: none
/// up to [`FREE_ATTEMPTS`], then 30 s doubling to 15 minutes.
pub fn retry_delay(failed: u32) -> Duration {
    if failed < FREE_ATTEMPTS {
        return Duration::zero();
    }
    let doublings = (failed - FREE_ATTEMPTS).min(5);
    Duration::seconds(30 * (1i64 << doublings)).min(Duration::minutes(15))
}

/// Why an offline unlock did not work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnlockError {
    /// Nobody with this name signed in online here, or the password is wrong (one answer for
    /// both, as online).
    #[error("wrong clinic, username or password for offline sign-in")]
    NotRecognised,
    /// Too many wrong passwords in a row: the next try is checked after this many seconds.
    #[error("too many wrong passwords: try again in {0} seconds")]
    Wait(i64),
    /// The try could not be counted (the disk): it is not checked either.
    #[error("this workstation cannot record the try (its disk); sign in online")]
    Unrecorded,
    /// [`ATTEMPT_LIMIT`] wrong passwords in a row: only an online sign-in works now.
    #[error("too many wrong passwords on this workstation: sign in online, when the server can be reached")]
    Limit,
    /// The last online sign-in is too old.
    #[error(
        "the last online sign-in on this workstation was more than {0} hours ago; sign in online"
    )]
    Expired(i64),
}

/// Held while the verifier file is changed (load, change, save), so that a count, a forgotten
/// account and a new sign-in made at once do not undo each other: in this process (a mutex)
/// and across processes on this computer, e.g. the app and `medoffice unlock` in one folder
/// (an exclusive lock on `offline-unlock.lock`: `flock` on Unix, `LockFileEx` on Windows,
/// released by the system if the process dies).
struct FileLock {
    _process: std::sync::MutexGuard<'static, ()>,
    _file: Option<std::fs::File>,
}

fn process_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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

    /// The file's lock (see [`FileLock`]). A folder where the lock file cannot be made still
    /// works, locked within this process only, and says so in the log.
    fn file_lock(&self) -> FileLock {
        let process = process_lock();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.path.with_extension("lock"))
            .and_then(|f| f.lock().map(|()| f));
        if let Err(e) = &file {
            tracing::warn!(error = %e, "could not lock the offline sign-in file against other processes");
        }
        FileLock {
            _process: process,
            _file: file.ok(),
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

    /// Remembers a successful online sign-in, and wraps `cache_key` (the key of the user's
    /// clinic cache) under the password; without one, a wrapped copy already kept stays. Runs
    /// argon2 twice: call off the async threads.
    pub fn remember(
        &self,
        server_url: &str,
        tenant: &str,
        user: &UserInfo,
        password: &str,
        cache_key: Option<&CacheKey>,
    ) -> std::io::Result<()> {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| std::io::Error::other(e.to_string()))?
            .to_string();
        let k = key(tenant, &user.username);
        let wrapped = cache_key
            .map(|c| WrappedKey::seal(c, password, user.tenant_id, &k))
            .transpose()
            .map_err(std::io::Error::other)?;
        let _g = self.file_lock();
        let mut all = self.load();
        let kept = all.get(&k).and_then(|v| v.cache_key.clone());
        all.insert(
            k,
            Verifier {
                user: user.clone(),
                server_url: server_url.to_owned(),
                password_hash: hash,
                verified_at: Utc::now(),
                cache_key: wrapped.or(kept),
                failed_attempts: 0,
                last_failed_at: None,
            },
        );
        self.save(&all)
    }

    /// Checks a password offline for a sign-in: [`Self::attempt`], then the age of the last
    /// online sign-in (runs argon2: call off the async threads).
    pub fn check(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<Verifier, UnlockError> {
        let v = self.attempt(tenant, username, password, now)?;
        if now - v.verified_at > self.window {
            return Err(UnlockError::Expired(self.window.num_hours()));
        }
        Ok(v)
    }

    /// One try of `password` for `tenant`/`username` at `now`, counted on disk: refused
    /// without checking while the person must wait ([`retry_delay`]) or is past
    /// [`ATTEMPT_LIMIT`]; a wrong password adds to the count, a right one clears it. Whatever
    /// the entry's age (the lock screen). Runs argon2: call off the async threads.
    pub fn attempt(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<Verifier, UnlockError> {
        let k = key(tenant, username);
        // counted before it is checked, under the file's lock: tries made at once each count,
        // and closing the app in the middle does not undo one
        let hash = {
            let _g = self.file_lock();
            let mut all = self.load();
            let Some(v) = all.get_mut(&k) else {
                return Err(UnlockError::NotRecognised);
            };
            if v.failed_attempts >= ATTEMPT_LIMIT {
                return Err(UnlockError::Limit);
            }
            if let Some(last) = v.last_failed_at {
                // a clock put back does not make the wait longer than it was
                let ready = last.min(now) + retry_delay(v.failed_attempts);
                if now < ready {
                    return Err(UnlockError::Wait((ready - now).num_seconds().max(1)));
                }
            }
            v.failed_attempts += 1;
            v.last_failed_at = Some(now);
            let hash = v.password_hash.clone();
            self.save(&all).map_err(|e| {
                tracing::warn!(error = %e, "could not count an offline password try");
                UnlockError::Unrecorded
            })?;
            hash
        };
        let ok = PasswordHash::new(&hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        let _g = self.file_lock();
        let mut all = self.load();
        match all.get_mut(&k) {
            // the entry as it was checked (not forgotten or replaced meanwhile): cleared
            Some(v) if ok && v.password_hash == hash => {
                v.failed_attempts = 0;
                v.last_failed_at = None;
                let out = v.clone();
                if let Err(e) = self.save(&all) {
                    tracing::warn!(error = %e, "could not clear the offline password count");
                }
                Ok(out)
            }
            Some(v) if !ok && v.failed_attempts >= ATTEMPT_LIMIT => Err(UnlockError::Limit),
            _ => Err(UnlockError::NotRecognised),
        }
    }

    /// Wrong passwords in a row of `tenant`/`username` here (0 for no entry).
    pub fn failed_attempts(&self, tenant: &str, username: &str) -> u32 {
        self.load()
            .get(&key(tenant, username))
            .map_or(0, |v| v.failed_attempts)
    }

    /// The key of cache `cache_id` from the wrapped copy of `tenant`/`username`, if they have
    /// one and `password` opens it (runs argon2: call off the async threads).
    pub fn unwrap_cache_key(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
        cache_id: Uuid,
    ) -> Option<CacheKey> {
        let k = key(tenant, username);
        let w = self.load().remove(&k)?.cache_key?;
        if w.cache_id != cache_id {
            return None;
        }
        w.open(password, &k)
    }

    /// True when `tenant`/`username` holds a wrapped copy of cache `cache_id`'s key.
    pub fn holds_cache_key(&self, tenant: &str, username: &str, cache_id: Uuid) -> bool {
        self.load()
            .get(&key(tenant, username))
            .and_then(|v| v.cache_key.as_ref())
            .is_some_and(|w| w.cache_id == cache_id)
    }

    /// Wraps `cache_key` of cache `cache_id` for the existing entry of `tenant`/`username`
    /// (after an offline unlock of an entry written before caches were encrypted). Runs
    /// argon2: call off the async threads.
    pub fn wrap_cache_key(
        &self,
        tenant: &str,
        username: &str,
        password: &str,
        cache_id: Uuid,
        cache_key: &CacheKey,
    ) -> std::io::Result<()> {
        let k = key(tenant, username);
        let w =
            WrappedKey::seal(cache_key, password, cache_id, &k).map_err(std::io::Error::other)?;
        let _g = self.file_lock();
        let mut all = self.load();
        if let Some(v) = all.get_mut(&k) {
            v.cache_key = Some(w);
            self.save(&all)?;
        }
        Ok(())
    }

    /// Usernames holding a wrapped copy of cache `cache_id`'s key (who can restore it).
    pub fn cache_key_holders(&self, cache_id: Uuid) -> Vec<String> {
        self.load()
            .into_values()
            .filter(|v| v.cache_key.as_ref().is_some_and(|w| w.cache_id == cache_id))
            .map(|v| v.user.username)
            .collect()
    }

    /// Drops every wrapped copy of cache `cache_id`'s key (a new key replaced it).
    pub fn drop_cache_keys(&self, cache_id: Uuid) -> std::io::Result<()> {
        let _g = self.file_lock();
        let mut all = self.load();
        let mut changed = false;
        for v in all.values_mut() {
            if v.cache_key.as_ref().is_some_and(|w| w.cache_id == cache_id) {
                v.cache_key = None;
                changed = true;
            }
        }
        if changed {
            self.save(&all)?;
        }
        Ok(())
    }

    /// Forgets every person of clinic `tenant_id` (their verifiers and wrapped keys): the
    /// clinic's data was removed from this workstation.
    pub fn forget_clinic(&self, tenant_id: Uuid) -> std::io::Result<usize> {
        let _g = self.file_lock();
        let mut all = self.load();
        let before = all.len();
        all.retain(|_, v| {
            v.user.tenant_id != tenant_id
                && v.cache_key.as_ref().is_none_or(|w| w.cache_id != tenant_id)
        });
        let gone = before - all.len();
        if gone > 0 {
            self.save(&all)?;
        }
        Ok(gone)
    }

    /// Who of clinic `tenant_id` signed in here: `(server URL, clinic code as typed, username)`
    /// of each entry, the parts their refresh tokens are kept under in the keyring.
    pub fn sign_ins_of(&self, tenant_id: Uuid) -> Vec<(String, String, String)> {
        self.load()
            .into_iter()
            .filter(|(_, v)| v.user.tenant_id == tenant_id)
            .map(|(k, v)| {
                let typed = k.split('|').next().unwrap_or_default().to_owned();
                (v.server_url, typed, v.user.username)
            })
            .collect()
    }

    /// True when `tenant`/`username` has an entry here (no password check).
    pub fn knows(&self, tenant: &str, username: &str) -> bool {
        self.load().contains_key(&key(tenant, username))
    }

    /// The id of the clinic whose code is `code`, as its people's entries here record it.
    pub fn clinic_of(&self, code: &str) -> Option<Uuid> {
        let code = code.trim().to_lowercase();
        self.load()
            .into_values()
            .find(|v| v.user.tenant.code.to_lowercase() == code)
            .map(|v| v.user.tenant_id)
    }

    /// Forgets the offline sign-in of user `user_id` (and with it their wrapped copy of the
    /// cache key), under whatever clinic code it was typed: the server ended their access
    /// (deactivated, password reset or changed elsewhere). Answers whether there was one.
    pub fn forget_user(&self, user_id: Uuid) -> std::io::Result<bool> {
        let _g = self.file_lock();
        let mut all = self.load();
        let before = all.len();
        all.retain(|_, v| v.user.id != user_id);
        let gone = all.len() < before;
        if gone {
            self.save(&all)?;
        }
        Ok(gone)
    }

    /// Forgets a person's offline sign-in (their account was changed or they asked).
    pub fn forget(&self, tenant: &str, username: &str) -> std::io::Result<()> {
        let _g = self.file_lock();
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
                address: None,
                phone: None,
                date_order: Default::default(),
                hour_cycle: Default::default(),
                week_start: Default::default(),
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
        let nina = user();
        let cache_key = CacheKey::generate();
        store.remember(
            "http://127.0.0.1:1",
            "demo",
            &nina,
            "correct horse battery",
            Some(&cache_key),
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
        assert!(
            !text.contains(cache_key.to_hex().as_str()),
            "the key is wrapped"
        );
        // the wrapped cache key opens with her password, for her clinic's cache only
        assert_eq!(
            store.unwrap_cache_key("demo", "nina", "correct horse battery", nina.tenant_id),
            Some(cache_key.clone())
        );
        assert_eq!(
            store.unwrap_cache_key("demo", "nina", "wrong", nina.tenant_id),
            None
        );
        assert_eq!(
            store.unwrap_cache_key("demo", "nina", "correct horse battery", Uuid::new_v4()),
            None
        );
        assert_eq!(store.cache_key_holders(nina.tenant_id), vec!["Nina"]);
        // the idle lock's check ignores the age of the sign-in
        assert!(store
            .attempt(
                "demo",
                "nina",
                "correct horse battery",
                now + Duration::hours(73)
            )
            .is_ok());
        // signing in again without a key keeps the wrapped copy
        store.remember(
            "http://127.0.0.1:1",
            "demo",
            &nina,
            "correct horse battery",
            None,
        )?;
        assert!(store.holds_cache_key("demo", "nina", nina.tenant_id));
        store.drop_cache_keys(nina.tenant_id)?;
        assert!(!store.holds_cache_key("demo", "nina", nina.tenant_id));
        store.wrap_cache_key(
            "demo",
            "nina",
            "correct horse battery",
            nina.tenant_id,
            &cache_key,
        )?;
        assert!(store.holds_cache_key("demo", "nina", nina.tenant_id));
        store.forget("demo", "nina")?;
        assert!(store
            .check("demo", "nina", "correct horse battery", now)
            .is_err());
        store.remember("http://127.0.0.1:1", "demo", &nina, "pw", Some(&cache_key))?;
        assert_eq!(store.forget_clinic(Uuid::new_v4())?, 0);
        assert_eq!(store.forget_clinic(nina.tenant_id)?, 1);
        assert!(store.attempt("demo", "nina", "pw", now).is_err());
        Ok(())
    }

    #[test]
    fn a_try_waits_for_another_process_changing_the_file() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let store = OfflineUnlock::new(dir.path(), 72);
        store.remember("http://127.0.0.1:1", "demo", &user(), "right", None)?;
        let counted = |s: &OfflineUnlock| {
            s.load()
                .get(&key("demo", "nina"))
                .map(|v| v.failed_attempts)
        };
        // another process's hold, as the system sees it: a lock through a separate open file
        let other = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.path().join("offline-unlock.lock"))?;
        other.lock()?;
        let path = dir.path().to_owned();
        let trying = std::thread::spawn(move || {
            OfflineUnlock::new(&path, 72)
                .check("demo", "nina", "wrong", Utc::now())
                .err()
        });
        // the try is made first of all by counting it; while the other holds the file, it cannot
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert_eq!(
            counted(&store),
            Some(0),
            "nothing counted while another process holds the file"
        );
        drop(other);
        let tried = trying.join().map_err(|_| anyhow::anyhow!("try"))?;
        assert_eq!(tried, Some(UnlockError::NotRecognised));
        assert_eq!(counted(&store), Some(1), "counted once the file was free");
        Ok(())
    }

    #[test]
    fn guessing_waits_longer_after_each_wrong_password_and_stops_at_the_limit_across_restarts(
    ) -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let store = OfflineUnlock::new(dir.path(), 72);
        let nina = user();
        store.remember("http://127.0.0.1:1", "demo", &nina, "right", None)?;
        let t0 = Utc::now();
        let wrong = |s: &OfflineUnlock, at| s.check("demo", "nina", "wrong", at).err();
        // three free tries
        for i in 0..FREE_ATTEMPTS {
            assert_eq!(
                wrong(&store, t0),
                Some(UnlockError::NotRecognised),
                "try {i}"
            );
        }
        // the fourth waits 30 s, even with the right password, and the count survives a restart
        let store = OfflineUnlock::new(dir.path(), 72);
        assert_eq!(
            store.check("demo", "nina", "right", t0).err(),
            Some(UnlockError::Wait(30))
        );
        assert_eq!(store.failed_attempts("demo", "nina"), FREE_ATTEMPTS);
        // each wait is twice the last, up to 15 minutes
        let mut at = t0;
        for n in FREE_ATTEMPTS..ATTEMPT_LIMIT - 1 {
            at += retry_delay(n);
            assert_eq!(
                wrong(&store, at - Duration::seconds(1)),
                Some(UnlockError::Wait(1))
            );
            assert_eq!(wrong(&store, at), Some(UnlockError::NotRecognised));
        }
        assert_eq!(retry_delay(3), Duration::seconds(30));
        assert_eq!(retry_delay(4), Duration::seconds(60));
        assert_eq!(retry_delay(8), Duration::minutes(15));
        assert_eq!(retry_delay(20), Duration::minutes(15));
        // the last allowed wrong try reaches the limit: from then on nothing is checked here
        at += retry_delay(ATTEMPT_LIMIT - 1);
        assert_eq!(wrong(&store, at), Some(UnlockError::Limit));
        assert_eq!(
            store
                .check("demo", "nina", "right", at + Duration::days(1))
                .err(),
            Some(UnlockError::Limit)
        );
        // an online sign-in (the server checked) starts the count again
        store.remember("http://127.0.0.1:1", "demo", &nina, "right", None)?;
        assert!(store.check("demo", "nina", "right", Utc::now()).is_ok());
        // a right password before the free tries run out clears them
        assert_eq!(wrong(&store, Utc::now()), Some(UnlockError::NotRecognised));
        assert!(store.check("demo", "nina", "right", Utc::now()).is_ok());
        assert_eq!(store.failed_attempts("demo", "nina"), 0);
        Ok(())
    }
}
