//! How the core's failures become the [`CommandError`] a person sees.

use uuid::Uuid;

use crate::view::{CommandError, ErrorCode};
use crate::{api, cache};

pub(crate) fn internal(e: impl std::fmt::Display) -> CommandError {
    CommandError::new(ErrorCode::Internal, e.to_string())
}

impl From<cache::CacheError> for CommandError {
    fn from(e: cache::CacheError) -> Self {
        internal(e)
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
