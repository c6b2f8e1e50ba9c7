//! The one error type of the HTTP layer. Every answer with status ≥ 400 carries
//! [`ErrorBody`]; internal errors are logged and never shown (no SQL, no stack traces).

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use medoffice_model::{ApiErrorCode, ErrorBody, FieldErrors};

/// Anything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request could not be read.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid credentials. The message is uniform for unknown users and bad passwords.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the role may not do this.
    #[error("your role may not do this")]
    Forbidden,
    /// 404: no such record in this clinic (also for another clinic's ids).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409: clashes with existing state; `details` names what it clashes with.
    #[error("{message}")]
    Conflict {
        /// A sentence for a person.
        message: String,
        /// Machine-readable context.
        details: Option<serde_json::Value>,
    },
    /// 413: body over the configured limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 422: field values are invalid.
    #[error("invalid field values: {0}")]
    Validation(FieldErrors),
    /// Any status with a machine-readable [`ApiErrorCode`] and/or field errors, e.g. 403
    /// `plan_limit`, 401 `totp_required`, 409 on field `code`.
    #[error("{message}")]
    Detailed {
        /// HTTP status.
        status: StatusCode,
        /// Machine-readable code for the UI to branch on.
        code: Option<ApiErrorCode>,
        /// A sentence for a person.
        message: String,
        /// Field errors, when a field is the cause.
        errors: Option<FieldErrors>,
    },
    /// 429 `rate_limited`, with a `Retry-After` header of this many seconds.
    #[error("too many requests from this address; try again in {0} s")]
    RateLimited(u64),
    /// 503: PostgreSQL is unreachable.
    #[error("service unavailable")]
    Unavailable,
    /// 500: logged, not shown.
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A 422 with one field error.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut e = FieldErrors::new();
        e.add(field, message);
        AppError::Validation(e)
    }

    /// A 409 without details.
    pub fn conflict(message: impl Into<String>) -> Self {
        AppError::Conflict {
            message: message.into(),
            details: None,
        }
    }

    /// An error with a machine-readable code.
    pub fn coded(status: StatusCode, code: ApiErrorCode, message: impl Into<String>) -> Self {
        AppError::Detailed {
            status,
            code: Some(code),
            message: message.into(),
            errors: None,
        }
    }

    /// A 409 naming the field whose value clashes (e.g. a clinic code already taken).
    pub fn conflict_field(field: &str, message: impl Into<String>) -> Self {
        let mut e = FieldErrors::new();
        let message = message.into();
        e.add(field, message.clone());
        AppError::Detailed {
            status: StatusCode::CONFLICT,
            code: None,
            message: format!("{field} {message}"),
            errors: Some(e),
        }
    }

    /// 403 `plan_limit`; `message` names the limit ("This clinic's plan allows 25 active users").
    pub fn plan_limit(message: impl Into<String>) -> Self {
        Self::coded(StatusCode::FORBIDDEN, ApiErrorCode::PlanLimit, message)
    }

    /// The status code of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Detailed { status, .. } => *status,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The error body this error answers with.
    pub fn body(&self) -> ErrorBody {
        let code = match self {
            AppError::Detailed { code, .. } => *code,
            AppError::RateLimited(_) => Some(ApiErrorCode::RateLimited),
            _ => None,
        };
        let (message, errors, details) = match self {
            AppError::Validation(e) => {
                ("Some fields are invalid.".to_owned(), Some(e.clone()), None)
            }
            AppError::Detailed {
                message, errors, ..
            } => (capitalize(message), errors.clone(), None),
            AppError::Conflict { message, details } => (message.clone(), None, details.clone()),
            AppError::Internal(_) => ("Something went wrong on the server.".to_owned(), None, None),
            AppError::Unavailable => (
                "The database is unreachable; try again shortly.".to_owned(),
                None,
                None,
            ),
            other => (capitalize(&other.to_string()), None, None),
        };
        ErrorBody {
            message,
            status: self.status().as_u16(),
            errors,
            code,
            details,
            timestamp: chrono::Utc::now(),
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The primary keys of the tables whose ids a client makes (every other key clash is a bug,
/// answered 500 and logged).
const CLIENT_ID_KEYS: [&str; 6] = [
    "patients_pkey",
    "vital_signs_pkey",
    "appointments_pkey",
    "rooms_pkey",
    "visit_types_pkey",
    "schedule_blocks_pkey",
];

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => AppError::NotFound("record"),
            // SQLSTATE class 22, data exception (e.g. a NUL character in text): the request's
            // fault, and it will fail the same way every time
            sqlx::Error::Database(d) if d.code().is_some_and(|c| c.starts_with("22")) => {
                AppError::field(
                    "body",
                    "contains a value the database cannot store (e.g. a NUL character)",
                )
            }
            // a client-chosen id that another row holds, most likely one of another clinic's
            // (row-level security hid it from the idempotency check): the same answer as an id
            // taken in this clinic, never a server error and nothing about the other clinic
            sqlx::Error::Database(d)
                if d.code().as_deref() == Some("23505")
                    && d.constraint().is_some_and(|c| CLIENT_ID_KEYS.contains(&c)) =>
            {
                tracing::info!(constraint = ?d.constraint(), "a client-made id already in use");
                crate::clinical::id_in_use()
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                tracing::warn!(error = %e, "database unavailable");
                AppError::Unavailable
            }
            _ => AppError::Internal(e.into()),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
            StatusCode::UNPROCESSABLE_ENTITY => {
                // serde says which field and why ("missing field `family_name`", "unknown variant")
                let text = r.body_text();
                let field = extract_field(&text).unwrap_or_else(|| "body".to_owned());
                AppError::field(&field, text)
            }
            _ => AppError::BadRequest(format!(
                "The request body is not valid JSON: {}",
                r.body_text()
            )),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::field("query", r.body_text())
    }
}

/// Finds the field a serde error names: "missing field `x`" or "x: invalid ...".
fn extract_field(text: &str) -> Option<String> {
    if let Some(i) = text.find("missing field `") {
        let rest = &text[i + 15..];
        return rest.find('`').map(|j| rest[..j].to_owned());
    }
    // serde_path_to_error prefixes the path: "Failed to deserialize the JSON body into the target type: sex: unknown variant ..."
    let after = text.split("target type: ").nth(1)?;
    let (path, _) = after.split_once(": ")?;
    if path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '[' || c == ']')
    {
        Some(path.split('.').next_back().unwrap_or(path).to_owned())
    } else {
        None
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = ?e, "internal error");
        }
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        if let AppError::RateLimited(seconds) = &self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(*seconds),
            );
        }
        response
    }
}

/// Result alias for handlers and services.
pub type AppResult<T> = Result<T, AppError>;

/// True when `e` is a PostgreSQL error with SQLSTATE `code` (e.g. `23P01` exclusion violation).
pub fn is_pg_code(e: &sqlx::Error, code: &str) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == code)
}
