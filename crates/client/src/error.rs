//! What went wrong in the core ([`CoreError`]: the server, the session, or this computer's
//! own cache, each as itself), and how it becomes the [`CommandError`] a person sees.

use medoffice_model::ApiErrorCode;
use uuid::Uuid;

use crate::api::ApiError;
use crate::cache::CacheError;
use crate::view::{CommandError, ErrorCode};
use crate::{api, cache};

/// Why the sync engine, or a call it makes for a command (a pull, a push, a token), failed.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The server: unreachable, refused by this workstation's transport rules, or an error
    /// answer (with the server's own body).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The session cannot go on: no refresh token (an offline unlock without one), or the
    /// server ended it, with its reason when it gave one.
    #[error("{}", .0.as_deref().unwrap_or("the session has ended; sign in again"))]
    SessionEnded(Option<String>),
    /// This computer's cache could not be read or written (a full or failing disk, a damaged
    /// or unwritable file): not a network problem, and retrying does not mend it.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The server said something this workstation does not follow (e.g. no `hello` first).
    #[error("{0}")]
    Protocol(String),
}

impl CoreError {
    /// `Some` when the session cannot go on: the person must sign in again (with the server's
    /// reason when it ended the session itself, code `session_ended`: the account was
    /// deactivated, or its password reset or changed elsewhere).
    pub fn session_ended(&self) -> Option<Option<String>> {
        match self {
            CoreError::SessionEnded(why) => Some(why.clone()),
            CoreError::Api(ApiError::Http { status: 401, body })
                if body.code == Some(ApiErrorCode::SessionEnded) =>
            {
                Some(Some(body.message.clone()))
            }
            CoreError::Api(e) if e.is_unauthorized() => Some(None),
            _ => None,
        }
    }

    /// True for a failure of this computer's cache that waiting will not mend (everything but
    /// another connection holding a lock for a moment).
    pub fn is_cache_failure(&self) -> bool {
        match self {
            CoreError::Cache(CacheError::Sqlite(rusqlite::Error::SqliteFailure(e, _))) => {
                !matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                )
            }
            CoreError::Cache(_) => true,
            _ => false,
        }
    }
}

/// What the status bar says when the engine stopped on a cache failure `e`.
pub(crate) fn cache_failure_status(e: &CacheError) -> String {
    match e {
        // a stored row this version cannot read (e.g. written by another version): no disk to
        // free, but retrying does not mend it either
        // what to do first, where the status bar cuts the sentence; the cause is in the log
        CacheError::Data(_) => "Ask IT to update medoffice on this workstation: its local copy \
             of the clinic's records holds something this version cannot read, so syncing has \
             stopped. Nothing was lost: changes not yet sent are still queued here."
            .into(),
        _ => "Free disk space or ask IT, then restart medoffice: this computer cannot write its \
             local copy of the clinic's records, so syncing has stopped. Nothing was lost: \
             changes not yet sent are still queued here."
            .into(),
    }
}

/// What the status bar and a refused command say when the server is newer than this app
/// (`update_required`): what to do first; the technical cause goes to the log.
pub(crate) const UPDATE_REQUIRED: &str = "Ask IT to update this workstation's app: the server \
     is newer and sends records this version cannot read. What you enter is kept here and sent \
     after the update.";

pub(crate) fn internal(e: impl std::fmt::Display) -> CommandError {
    CommandError::new(ErrorCode::Internal, e.to_string())
}

impl From<cache::CacheError> for CommandError {
    fn from(e: cache::CacheError) -> Self {
        tracing::error!(error = %e, "the local cache failed");
        CommandError::new(
            ErrorCode::LocalCache,
            "Not saved on this computer: it cannot use its local copy of the clinic's records. \
             Free disk space or ask IT; what was saved before is kept, and changes not yet sent \
             stay queued.",
        )
    }
}

/// What a person is told when the server cannot be reached: what it means for their work and
/// whom to ask, not the operating system's words (those are logged).
pub const SERVER_UNREACHABLE: &str = "The server cannot be reached. Work goes on from this \
     computer and is sent when it is back; if it stays away, tell whoever looks after the \
     clinic's computers";

impl From<CoreError> for CommandError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Api(e) => e.into(),
            CoreError::SessionEnded(why) => CommandError::new(
                ErrorCode::Unauthorized,
                why.unwrap_or_else(|| "The session has ended; sign in again".into()),
            ),
            CoreError::Cache(e) => e.into(),
            CoreError::Protocol(m) => {
                // the technical cause goes to the log, not to the person at the desk
                tracing::warn!(cause = %m, "server unreachable");
                CommandError::new(ErrorCode::Network, SERVER_UNREACHABLE)
            }
        }
    }
}

impl From<api::ApiError> for CommandError {
    fn from(e: api::ApiError) -> Self {
        match e {
            api::ApiError::Network(m) => {
                tracing::warn!(cause = %m, "server unreachable");
                CommandError::new(ErrorCode::Network, SERVER_UNREACHABLE)
            }
            e @ api::ApiError::Incompatible(_) => {
                tracing::error!(error = %e, "the server is newer than this workstation");
                CommandError::new(ErrorCode::UpdateRequired, UPDATE_REQUIRED)
            }
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
                    (409, _)
                        if body
                            .details
                            .as_ref()
                            .is_some_and(|d| d.get("unavailable").is_some()) =>
                    {
                        ErrorCode::OutsideAvailability
                    }
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

#[cfg(test)]
mod tests {
    use medoffice_model::ErrorBody;

    use super::*;

    fn sqlite(code: std::os::raw::c_int) -> CoreError {
        CoreError::Cache(CacheError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(code),
            None,
        )))
    }

    fn http(status: u16, code: Option<ApiErrorCode>) -> CoreError {
        CoreError::Api(ApiError::Http {
            status,
            body: ErrorBody {
                message: "the server's words".into(),
                status,
                errors: None,
                code,
                details: None,
                timestamp: chrono::Utc::now(),
            },
        })
    }

    #[test]
    fn a_full_or_broken_disk_is_a_cache_failure_not_the_network() {
        for code in [
            rusqlite::ffi::SQLITE_FULL,
            rusqlite::ffi::SQLITE_IOERR,
            rusqlite::ffi::SQLITE_READONLY,
            rusqlite::ffi::SQLITE_CORRUPT,
        ] {
            let e = sqlite(code);
            assert!(e.is_cache_failure(), "{e}");
            assert_eq!(e.session_ended(), None);
            let shown = CommandError::from(e);
            assert_eq!(shown.code, ErrorCode::LocalCache, "{shown:?}");
            assert!(
                shown.message.contains("Free disk space or ask IT"),
                "{shown:?}"
            );
        }
        // another connection holding the file for a moment: wait and retry
        assert!(!sqlite(rusqlite::ffi::SQLITE_BUSY).is_cache_failure());
        assert!(!CoreError::Api(ApiError::Network("refused".into())).is_cache_failure());
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        );
        let said = cache_failure_status(&CacheError::Sqlite(full));
        assert!(
            said.contains("cannot write its local copy") && said.contains("still queued"),
            "{said}"
        );
    }

    #[test]
    fn a_session_ends_by_the_servers_answer_or_without_a_refresh_token() {
        assert_eq!(CoreError::SessionEnded(None).session_ended(), Some(None));
        assert_eq!(
            http(401, Some(ApiErrorCode::SessionEnded)).session_ended(),
            Some(Some("the server's words".into()))
        );
        assert_eq!(http(401, None).session_ended(), Some(None));
        assert_eq!(http(403, None).session_ended(), None);
        // as a command answer: the server's own words, nothing made up
        let shown = CommandError::from(http(401, None));
        assert_eq!(shown.code, ErrorCode::Unauthorized);
        assert_eq!(shown.message, "the server's words");
        let shown = CommandError::from(CoreError::SessionEnded(None));
        assert_eq!(shown.code, ErrorCode::Unauthorized);
    }
}
