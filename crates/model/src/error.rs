//! The error body every API answer with status ≥ 400 carries, and field-level validation errors.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// Validation messages by field name (`snake_case`, as on the wire). A field may have several.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(transparent)]
pub struct FieldErrors(pub BTreeMap<String, Vec<String>>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `message` for `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// True when no field has an error.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when empty, else `Err(self)`.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for (field, messages) in &self.0 {
            for m in messages {
                if !first {
                    f.write_str("; ")?;
                }
                first = false;
                write!(f, "{field}: {m}")?;
            }
        }
        Ok(())
    }
}

/// The JSON body of every error answer:
/// `{"message", "status", "errors"?: {field: [..]}, "timestamp"}` (see API.md, "Errors").
///
/// `details` carries machine-readable context some errors need, e.g. the clashing appointment's
/// id on a 409 overlap (`{"conflicting_appointment_id": "..."}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct ErrorBody {
    /// A sentence a person can read.
    pub message: String,
    /// The HTTP status code, repeated for clients that only see the body.
    pub status: u16,
    /// Field errors for 422 answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub errors: Option<FieldErrors>,
    /// What went wrong, for programs (`"totp_required"`, …; a string on the wire). The UI
    /// branches on it, never on `message`. Absent for errors that need no special handling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub code: Option<ApiErrorCode>,
    /// Extra machine-readable facts (see the route's documentation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(value_type = Object)]
    pub details: Option<serde_json::Value>,
    /// When the server answered (RFC 3339).
    pub timestamp: chrono::DateTime<chrono::Utc>,
}

/// The machine-readable `code` of an [`ErrorBody`]: a plain string on the wire. A code newer
/// than the reader reads as [`ApiErrorCode::Other`], so the error itself is never lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ApiErrorCode {
    /// 401 at login: the password was right and the account uses two-factor sign-in; send
    /// `totp_code` too.
    TotpRequired,
    /// 403: the session was opened with a temporary password; only
    /// `POST /api/v1/auth/password`, `GET /api/v1/auth/me` and logout work until it is changed.
    PasswordChangeRequired,
    /// 403: the clinic requires a second factor for this role; only TOTP setup/confirm,
    /// `GET /api/v1/auth/me` and logout work until it is enrolled.
    TotpEnrollmentRequired,
    /// 403: turning off two-factor sign-in is not allowed: the clinic requires it for this role.
    TotpRequiredByClinic,
    /// 401: the session was ended on the server (password reset or change, deactivation);
    /// sign in again.
    SessionEnded,
    /// 429: too many sign-in or registration requests from this address; the `Retry-After`
    /// header says how many seconds to wait.
    RateLimited,
    /// 403: the clinic's plan does not allow more (users or patients); the message names the limit.
    PlanLimit,
    /// 403: this server does not allow clinics to register themselves.
    SelfRegistrationDisabled,
    /// A pushed mutation's `(entity, op)` names a kind of change this server does not know:
    /// the workstation is newer than the server. Refused on its own; the others apply.
    UnsupportedChange,
    /// A code this build does not know (sent by a newer server).
    #[serde(other)]
    Other,
}

impl ApiErrorCode {
    /// Every code (the tests check it against the enum).
    pub const ALL: &'static [ApiErrorCode] = &[
        ApiErrorCode::TotpRequired,
        ApiErrorCode::PasswordChangeRequired,
        ApiErrorCode::TotpEnrollmentRequired,
        ApiErrorCode::TotpRequiredByClinic,
        ApiErrorCode::SessionEnded,
        ApiErrorCode::RateLimited,
        ApiErrorCode::PlanLimit,
        ApiErrorCode::SelfRegistrationDisabled,
        ApiErrorCode::UnsupportedChange,
        ApiErrorCode::Other,
    ];

    /// The wire string, e.g. `"plan_limit"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiErrorCode::TotpRequired => "totp_required",
            ApiErrorCode::PasswordChangeRequired => "password_change_required",
            ApiErrorCode::TotpEnrollmentRequired => "totp_enrollment_required",
            ApiErrorCode::TotpRequiredByClinic => "totp_required_by_clinic",
            ApiErrorCode::SessionEnded => "session_ended",
            ApiErrorCode::RateLimited => "rate_limited",
            ApiErrorCode::PlanLimit => "plan_limit",
            ApiErrorCode::SelfRegistrationDisabled => "self_registration_disabled",
            ApiErrorCode::UnsupportedChange => "unsupported_change",
            ApiErrorCode::Other => "other",
        }
    }
}

/// Stable error codes the UI branches on (never on the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A field is wrong; see `fields`.
    Validation,
    /// Wrong clinic, username or password, or the session ended.
    Unauthorized,
    /// The role may not do this.
    Forbidden,
    /// The record does not exist.
    NotFound,
    /// A clash, e.g. an overlapping booking.
    Conflict,
    /// A booking falls outside the clinic's opening hours or the provider's working hours, or
    /// in a block (a closed date, leave); the message says which. A role with
    /// `appointment_outside_hours` may book it anyway with a reason.
    OutsideAvailability,
    /// The server could not be reached.
    Network,
    /// Too many attempts; wait.
    RateLimited,
    /// Sign-in: the password was right and the account uses two-factor sign-in; ask for the
    /// authenticator code (or a recovery code) and sign in again with it.
    TotpRequired,
    /// Sign-in: the password is a temporary one; the person chooses a new one (the
    /// workstation's `change_password`) before anything else.
    PasswordChangeRequired,
    /// Sign-in: the clinic requires a second factor for this role and the account has none;
    /// the person enrols one (`totp_setup`, `totp_confirm`) before anything else.
    TotpEnrollmentRequired,
    /// The clinic's plan allows no more (users or patients); the message names the limit.
    PlanLimit,
    /// Nobody is signed in on this workstation.
    NotSignedIn,
    /// The server sent something this version of the app cannot read (it is newer): the
    /// workstation's app must be updated.
    UpdateRequired,
    /// This computer's local copy of the clinic's records could not be read or written (a
    /// full or failing disk, a damaged file); the message says what to do. Not a network
    /// problem.
    LocalCache,
    /// Something unexpected; the message says what.
    Internal,
}

impl ErrorCode {
    /// Every code (the tests check it against the enum).
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::Validation,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::OutsideAvailability,
        ErrorCode::Network,
        ErrorCode::RateLimited,
        ErrorCode::TotpRequired,
        ErrorCode::PasswordChangeRequired,
        ErrorCode::TotpEnrollmentRequired,
        ErrorCode::PlanLimit,
        ErrorCode::NotSignedIn,
        ErrorCode::UpdateRequired,
        ErrorCode::LocalCache,
        ErrorCode::Internal,
    ];
}

/// A list answer: `{"data": [...], "meta": {"total", "limit", "offset"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct ListResponse<T> {
    /// The page of items.
    pub data: Vec<T>,
    /// Paging facts.
    pub meta: ListMeta,
}

/// Paging facts of a list answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct ListMeta {
    /// Items matching the query, over all pages.
    #[ts(type = "number")]
    pub total: i64,
    /// Page size used.
    #[ts(type = "number")]
    pub limit: i64,
    /// Items skipped before this page.
    #[ts(type = "number")]
    pub offset: i64,
    /// `total` stopped counting: there are more matches than it says. Only a patient search
    /// stops, at 1,000, and never on its last page (a two-letter prefix can match a tenth of a
    /// large clinic; counting them all cost more than finding the page).
    #[serde(default)]
    pub total_capped: bool,
}

/// Trims a free-text field; an empty result becomes `None`.
pub fn clean_optional(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_their_serde_names() {
        for &c in ApiErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(c).ok(),
                Some(serde_json::Value::String(c.as_str().into()))
            );
        }
    }

    #[test]
    fn a_code_from_a_newer_server_still_reads() {
        let body: Result<ErrorBody, _> = serde_json::from_str(
            r#"{"message":"m","status":403,"code":"something_new","timestamp":"2026-01-01T00:00:00Z"}"#,
        );
        assert_eq!(body.ok().and_then(|b| b.code), Some(ApiErrorCode::Other));
    }
}
