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
    format!(
        "This computer cannot write its local copy of the clinic's records ({e}), so syncing \
         has stopped. Free disk space or ask IT, then restart medoffice. Nothing was lost: the \
         changes not yet sent are still queued here."
    )
}

pub(crate) fn internal(e: impl std::fmt::Display) -> CommandError {
    CommandError::new(ErrorCode::Internal, e.to_string())
}

impl From<cache::CacheError> for CommandError {
    fn from(e: cache::CacheError) -> Self {
        CommandError::new(
            ErrorCode::LocalCache,
            format!(
                "This computer cannot use its local copy of the clinic's records ({e}). Free \
                 disk space or ask IT; what was saved before is kept, and changes not yet sent \
                 stay queued."
            ),
        )
    }
}

impl From<CoreError> for CommandError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Api(e) => e.into(),
            CoreError::SessionEnded(why) => CommandError::new(
                ErrorCode::Unauthorized,
                why.unwrap_or_else(|| "The session has ended; sign in again".into()),
            ),
            CoreError::Cache(e) => e.into(),
            CoreError::Protocol(m) => CommandError::new(
                ErrorCode::Network,
                format!("The server cannot be reached ({m})"),
            ),
        }
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
