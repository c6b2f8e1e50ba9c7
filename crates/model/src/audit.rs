//! The audit log as the API shows it to a clinic's admins (`GET /api/v1/audit`), and the
//! accesses a workstation reports (`POST /api/v1/audit/access`).
//!
//! Actions are named `<entity>.<verb>`; the ones the server writes:
//!
//! | action | when |
//! |---|---|
//! | `auth.login`, `auth.login_failed` (outcome `unknown_user`, `bad_password`, `locked`, `inactive`) | sign-in |
//! | `auth.refresh`, `auth.refresh_reuse` (outcome `family_revoked`), `auth.logout` | session |
//! | `patient.read`, `patient.search`, `patient.chart_open` (reported by a workstation) | reads |
//! | `vital_signs.read`, `appointment.read` (a patient's appointments) | reads |
//! | `patient.create`, `patient.update`, `patient.delete` | writes |
//! | `patient.merge` (under both records, what moved in `detail`) | a duplicate merged into the record kept |
//! | `vital_signs.create`, `appointment.create`, `appointment.overbook`, `appointment.update` | writes |
//! | `vital_signs.entered_in_error`, `vital_signs.amend` (the reason in `detail`) | corrections |
//! | `user.create` | staff |
//! | `sync.full_download` | a workstation began downloading the whole clinic (feed from revision 0): one entry for the clinic and one per patient, `revisions 0..R` |
//! | `sync.page` | a feed page pulled: one entry per patient it carried, `revisions A..B`; while a download from 0 goes on, its next page only under patients with records newer than the download's `R` |
//! | `sync.live_page` | a feed page pushed over the WebSocket: one entry per patient it carried |
//! | `import.synthea`, `import.legacy` | bulk imports (one entry each, counts in `detail`) |
//! | `audit.read`, `audit.export` | the audit log itself was read or exported |
//!
//! Outcomes: `success`, `denied` (role may not), `not_found`, `rejected` (invalid values),
//! `conflict`, `merged_with_conflicts`, and the login outcomes above.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

/// One audit entry: who did what to which record, from where, when, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct AuditEvent {
    /// Entry id; newer entries have larger ids. Page with `before`.
    #[ts(type = "number")]
    pub id: i64,
    /// When the server recorded it.
    pub at: DateTime<Utc>,
    /// The staff member, when known (a failed login for an unknown name has none).
    pub user_id: Option<Uuid>,
    /// Username at the time (for failed logins: the name that was typed).
    pub username: Option<String>,
    /// The workstation id given at sign-in.
    pub device_id: Option<String>,
    /// The client's IP address as the server saw it (the proxy's `X-Forwarded-For` entry
    /// when the server runs behind a TLS proxy).
    pub ip: Option<String>,
    /// What happened, e.g. `patient.read` (table in the module docs).
    pub action: String,
    /// Kind of record, e.g. `patient`, `vital_signs`.
    pub entity: Option<String>,
    /// The record's id.
    pub entity_id: Option<Uuid>,
    /// The patient whose record this touched.
    pub patient_id: Option<Uuid>,
    /// The patient's current display name ("given family"), or null.
    pub patient_name: Option<String>,
    /// How it ended, e.g. `success`, `denied`, `bad_password`.
    pub outcome: String,
    /// Free text for a person: filters of an audit read, counts of an import, a rejection's reason.
    pub detail: Option<String>,
}

/// `GET /api/v1/audit` answer: newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct AuditPage {
    /// Entries, newest (largest id) first.
    pub items: Vec<AuditEvent>,
    /// Pass as `before` for the next (older) page; null when this page is the last.
    #[ts(type = "number | null")]
    pub next_before: Option<i64>,
}

/// The filters of `GET /api/v1/audit` and `/api/v1/audit/export` (query parameters; all
/// optional, combined with AND). An invalid one is a 422 naming it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct AuditFilter {
    /// Only entries about this patient (404 when the clinic has no such patient).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub patient_id: Option<Uuid>,
    /// Only entries by this staff member (404 when the clinic has no such user).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub user_id: Option<Uuid>,
    /// At or after this instant (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub from: Option<DateTime<Utc>>,
    /// Before this instant (RFC 3339; exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub to: Option<DateTime<Utc>>,
    /// An action (`patient.read`) or a family of them (`auth.*`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub action: Option<String>,
    /// An outcome, e.g. `denied`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub outcome: Option<String>,
    /// Page size, 1–500 (default 100). For the export: most rows, 1–1,000,000 (default all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub limit: Option<i64>,
    /// Only entries with a smaller id (the previous page's `next_before`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub before: Option<i64>,
}

/// Most entries on one page of `GET /api/v1/audit`.
pub const AUDIT_PAGE_MAX: i64 = 500;
/// Entries on a page when `limit` is not given.
pub const AUDIT_PAGE_DEFAULT: i64 = 100;
/// Most rows of one CSV export.
pub const AUDIT_EXPORT_MAX: i64 = 1_000_000;

/// An access to a patient's record that happened on a workstation, from its own cache (the
/// server never saw it): reported so the audit log holds every read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct AccessEvent {
    /// Made by the workstation; a report sent again is recorded once.
    pub id: Uuid,
    /// One of [`REPORTABLE_ACCESS_ACTIONS`]: a chart opened, a patient listed by a search, a
    /// record written out by `medoffice dump`.
    pub action: String,
    /// Whose chart.
    pub patient_id: Uuid,
    /// When it happened on the workstation (kept in the entry's `detail`; the entry's own
    /// time is when the server recorded it).
    pub at: DateTime<Utc>,
    /// For [`ESCALATION_ACKNOWLEDGED`]: the vital-sign set whose NEWS2 called for it (it may
    /// reach the server after this report, when recorded offline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vital_signs_id: Option<Uuid>,
    /// For [`ESCALATION_ACKNOWLEDGED`]: the response the person acknowledged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<crate::News2Escalation>,
}

/// The action of a person acknowledging the escalation a vital-sign set's NEWS2 called for
/// (RCP 2017 clinical response): audited under the set, with the response acknowledged.
pub const ESCALATION_ACKNOWLEDGED: &str = "vital_signs.escalation_acknowledged";

/// Actions a workstation may report.
pub const REPORTABLE_ACCESS_ACTIONS: &[&str] = &[
    "patient.chart_open",
    "patient.search_shown",
    "patient.export",
    ESCALATION_ACKNOWLEDGED,
];

/// Most events in one access report.
pub const MAX_ACCESS_REPORT: usize = 500;

/// `POST /api/v1/audit/access` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct AccessReport {
    /// At most [`MAX_ACCESS_REPORT`].
    pub events: Vec<AccessEvent>,
}

/// `POST /api/v1/audit/access` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct AccessReportResult {
    /// Events recorded now.
    pub recorded: u32,
    /// Events already recorded by an earlier report.
    pub duplicates: u32,
}
