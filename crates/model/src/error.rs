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
    /// Extra machine-readable facts (see the route's documentation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[schema(value_type = Object)]
    pub details: Option<serde_json::Value>,
    /// When the server answered (RFC 3339).
    pub timestamp: chrono::DateTime<chrono::Utc>,
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
}

/// Trims a free-text field; an empty result becomes `None`.
pub fn clean_optional(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}
