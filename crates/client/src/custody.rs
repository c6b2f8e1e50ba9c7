//! Custody of each clinic's cache key (see [`crate::vault`]): where the cache file is, the
//! key in the OS keyring, a fresh key for a new cache, the key restored from a signed-in
//! person's wrapped copy when the keyring forgot it, and what to tell a person when it cannot
//! be found.

use std::path::PathBuf;

use uuid::Uuid;

use crate::view::{CommandError, ErrorCode};
use crate::{cache, internal, secrets, vault, Workstation};

/// Why the key of a clinic's cache is not at hand.
pub(crate) enum KeyProblem {
    /// Not in the keyring, and no password was given to unwrap a copy (resume at start).
    NeedsPassword,
    /// Not in the keyring, and the person signing in holds no copy; these people do.
    NotHeld(Vec<String>),
    /// Anything else.
    Other(CommandError),
}

impl Workstation {
    /// The cache file of clinic `cache_id` on this workstation.
    pub fn cache_path(&self, cache_id: Uuid) -> PathBuf {
        self.config
            .data_dir
            .join(format!("cache-{cache_id}.sqlite"))
    }

    pub(crate) fn cache_key_account(&self, cache_id: Uuid) -> String {
        format!("cache-key|{}|{}", self.config.device_id, cache_id)
    }

    /// The key of clinic `cache_id`'s cache (see [`vault`]): from the keyring; else, for a new
    /// (or plaintext, earlier-version) cache, a fresh one; else unwrapped with the password of
    /// `who` (`(tenant, username, password)`) and put back into the keyring. Blocking (argon2).
    pub(crate) fn resolve_cache_key(
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

    pub(crate) fn key_problem(p: KeyProblem, username: &str) -> CommandError {
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
}
