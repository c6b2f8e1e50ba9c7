//! Signing out, and removing a clinic's data from this computer (`logout` with `wipe`): the
//! cache files, their key and the offline sign-ins of the clinic's people.

use std::path::PathBuf;
use std::sync::Arc;

use uuid::Uuid;

use crate::view::{CommandError, ErrorCode};
use crate::{cache, internal, signed_out_status, Session, Workstation};

impl Workstation {
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
    /// files are unreadable, even if a copy survived), then the refresh token of everyone of
    /// the clinic who signed in here (another person's session, left when the screen was
    /// locked and someone else signed in, would otherwise resume), then the files.
    fn wipe(&self, cache_id: Uuid) -> Result<(), CommandError> {
        self.secrets
            .delete(&self.cache_key_account(cache_id))
            .map_err(internal)?;
        // the keyring cannot list its entries: their names come from the offline sign-ins,
        // each under the clinic code as it was typed and as the server spells it
        let mut accounts = std::collections::BTreeSet::new();
        for (server, typed, username) in self.offline_store().sign_ins_of(cache_id) {
            accounts.insert(Self::keyring_account(&server, &typed, &username));
        }
        // best effort: one the keyring will not delete must not stop the rest of the wipe
        let mut failed = None;
        for account in &accounts {
            if let Err(e) = self.secrets.delete(account) {
                tracing::warn!(error = %e, "could not remove a refresh token from the keyring");
                failed.get_or_insert(e);
            }
        }
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
        match failed {
            Some(e) => Err(internal(format!(
                "the clinic's data is removed, but the OS keyring kept a sign-in token: {e}"
            ))),
            None => Ok(()),
        }
    }

    /// Changes in the outbox not yet accepted by the server (pending, refused and held): what
    /// removing this clinic's data would lose.
    pub async fn unsent_changes(&self) -> Result<u32, CommandError> {
        let s = self.session().await?;
        let (p, r, h) = s.cache().outbox_counts()?;
        Ok(p + r + h)
    }
}
