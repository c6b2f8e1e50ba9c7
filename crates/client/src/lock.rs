//! The app's idle lock: locking the screen, and unlocking it with the signed-in person's
//! password checked on this computer (offline too).

use chrono::Utc;

use crate::offline::UnlockError;
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
    /// wrong password is a `validation` error on `password`, counted on disk with the offline
    /// sign-in's (see [`crate::offline`]): past the free tries the next waits (`rate_limited`,
    /// saying how long), and after [`MAX_UNLOCK_FAILURES`] in a row the session is signed out
    /// (the outbox stays) and the answer is `not_signed_in`.
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
        let counter = self.offline_store();
        let (t2, u2) = (tenant.clone(), u.clone());
        let tried =
            tokio::task::spawn_blocking(move || store.attempt(&tenant, &u, &pw, Utc::now()))
                .await
                .map_err(internal)?;
        let failures = match tried {
            Ok(_) => {
                let mut p = self.load_prefs();
                p.locked = false;
                self.save_prefs(&p);
                return Ok(());
            }
            Err(UnlockError::Wait(seconds)) => {
                return Err(CommandError::new(
                    ErrorCode::RateLimited,
                    format!("Too many wrong passwords: try again in {seconds} seconds."),
                ))
            }
            Err(UnlockError::Limit) => MAX_UNLOCK_FAILURES,
            // not counted, so not checked: the lock stays
            Err(e @ UnlockError::Unrecorded) => {
                return Err(CommandError::new(ErrorCode::LocalCache, e.to_string()))
            }
            Err(_) => counter.failed_attempts(&t2, &u2),
        };
        if failures >= MAX_UNLOCK_FAILURES {
            drop(s);
            self.logout(false, false).await?;
            return Err(CommandError::new(
                ErrorCode::NotSignedIn,
                format!(
                    "{failures} wrong passwords in a row: signed out. Sign in again; the changes \
                     waiting on this workstation are kept."
                ),
            ));
        }
        let mut f = medoffice_model::FieldErrors::new();
        let left = MAX_UNLOCK_FAILURES - failures;
        f.add(
            "password",
            format!(
                "is not {}'s password ({left} tr{} left before signing out)",
                s.user.full_name,
                if left == 1 { "y" } else { "ies" }
            ),
        );
        Err(CommandError::validation(f))
    }
}
