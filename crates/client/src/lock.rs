//! The app's idle lock: locking the screen, and unlocking it with the signed-in person's
//! password checked on this computer (offline too).

use std::sync::atomic::Ordering;

use crate::view::{CommandError, ErrorCode};
use crate::{internal, Workstation};

/// Wrong passwords in a row at the lock screen before the session is signed out.
pub const MAX_UNLOCK_FAILURES: u32 = 5;

impl Workstation {
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
}
