//! What the desktop UI reads: cache rows with pending local mutations applied on top, the
//! sync status, and typed command errors. TypeScript declarations are generated (ts-rs).

use chrono::{DateTime, NaiveDate, Utc};
use medoffice_model::{
    AdministrativeSex, Appointment, FieldErrors, Patient, StaffMember, VitalSigns,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// A record as the workstation sees it: the server's row, or a local creation not yet sent,
/// with local edits applied on top.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Local<T> {
    /// The record.
    pub record: T,
    /// True while a local mutation of this record waits in the outbox.
    pub pending: bool,
    /// Why the server refused the last local mutation of this record, if it did.
    pub rejected: Option<String>,
    /// Why a local mutation of this record is held (it waits for a refused creation).
    pub held: Option<String>,
}

/// A patient's chart: demographics, vital signs (newest first) and appointments (newest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PatientChart {
    /// Demographics.
    pub patient: Local<Patient>,
    /// Vital-sign sets, newest first.
    pub vitals: Vec<Local<VitalSigns>>,
    /// Appointments, newest first.
    pub appointments: Vec<AppointmentRow>,
    /// Staff who recorded the vitals or hold the appointments, for names.
    pub staff: Vec<StaffMember>,
    /// The NEWS2 escalations acknowledged on this workstation for this patient's sets.
    pub escalation_acks: Vec<EscalationAck>,
    /// When the record asked for was merged into this one: that record (a tombstone).
    pub merged_from: Option<Patient>,
}

/// A NEWS2 escalation someone acknowledged on this workstation (RCP 2017 clinical response;
/// each acknowledgement is also in the server's audit log as
/// `vital_signs.escalation_acknowledged`, under the set).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EscalationAck {
    /// The vital-sign set whose NEWS2 called for it.
    pub vital_signs_id: Uuid,
    /// The response acknowledged.
    pub escalation: medoffice_model::News2Escalation,
    /// Who acknowledged it.
    pub user_id: Uuid,
    /// When, by the server's clock as the workstation knew it.
    pub at: DateTime<Utc>,
}

/// One line of a schedule: the booking with the names a person needs to read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AppointmentRow {
    /// The booking.
    pub appointment: Local<Appointment>,
    /// "Family, Given" of the patient (empty when the patient is not in the cache).
    pub patient_name: String,
    /// The patient's MRN (provisional when registered offline).
    pub patient_mrn: String,
    /// The provider's full name.
    pub provider_name: String,
    /// The patient's date of birth (null when the patient is not in the cache), for the age.
    pub patient_date_of_birth: Option<NaiveDate>,
    /// The patient's administrative sex (null when the patient is not in the cache).
    pub patient_sex: Option<AdministrativeSex>,
}

/// Connection state shown in the status bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// No one is signed in.
    SignedOut,
    /// Connecting or catching up.
    Syncing,
    /// Live: socket open, cache current.
    Online,
    /// Server unreachable; work continues from the cache and the outbox.
    Offline,
    /// This computer cannot write its local copy of the clinic's records (a full or failing
    /// disk, a damaged or unwritable cache file): the sync engine has stopped rather than
    /// retry, and `last_error` says what failed and what to do. Nothing queued is lost; the
    /// engine starts again at the next sign-in or start of the app.
    CacheFailed,
    /// The server sends changes this version of the app cannot read (the server is newer):
    /// work continues from the cache and the outbox, nothing is lost, and `last_error` says to
    /// update this workstation's app. The engine keeps trying, slowly, in case the server is
    /// rolled back.
    UpdateRequired,
}

/// How far a long catch-up with the server has come (a new workstation's first sync, or one
/// back after days away): shown in the status bar while it runs, absent otherwise. What has
/// arrived is in the cache already, and searchable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CatchUp {
    /// Records received so far in this catch-up.
    #[ts(type = "number")]
    pub received: u64,
    /// About how many it holds in all: the revisions it spans (each record received takes at
    /// least one, so this is an upper bound, close for a first sync).
    #[ts(type = "number")]
    pub about: u64,
    /// Seconds left at the rate so far, once a few pages have come.
    pub seconds_left: Option<u32>,
}

/// What the status bar shows: `online`, `syncing`, `offline since T with N pending`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SyncStatus {
    /// Connection state.
    pub state: ConnectionState,
    /// Mutations waiting in the outbox.
    pub pending: u32,
    /// Mutations the server refused (kept and shown, never dropped).
    pub rejected: u32,
    /// Mutations held because a creation they depend on was refused.
    pub held: u32,
    /// Fields changed here and on the server, waiting for a person's choice.
    pub conflicts: u32,
    /// Pairs of patients with the same name and date of birth, not yet looked at.
    pub possible_duplicates: u32,
    /// Everything on the review list: refused + conflicts + possible duplicates.
    pub to_review: u32,
    /// When the server was last reachable, while offline.
    pub offline_since: Option<DateTime<Utc>>,
    /// When the cache was last brought up to date.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// Feed cursor of the cache.
    #[ts(type = "number")]
    pub cursor: i64,
    /// The last connection problem, in words.
    pub last_error: Option<String>,
    /// The server no longer accepts this session (refresh token expired or revoked, or an
    /// offline unlock without one): sign in again to send what waits. Nothing is discarded.
    pub sign_in_required: bool,
    /// The server ended this session itself (the account was deactivated, or its password
    /// reset or changed elsewhere), with its reason: the app signs out and says why. What
    /// waits in the outbox stays on this workstation.
    pub ended_by_server: Option<String>,
    /// A catch-up of more than one feed page under way.
    pub catching_up: Option<CatchUp>,
    /// How far this computer's clock runs ahead of the server's, in milliseconds (negative:
    /// behind), as learned from the server's answers; 0 within 2 s. Everything the workstation
    /// stamps or checks is corrected by it (see [`crate::clock`]), the screens too.
    #[ts(type = "number")]
    pub clock_ahead_ms: i64,
    /// The difference is over a minute: the status bar asks for the clock to be set right.
    pub clock_wrong: bool,
}

/// Stable error codes the UI branches on: defined in `medoffice_model` (next to the server's
/// codes) so the UI's list of them is generated from it too (`ui/src/bindings/rules.ts`).
pub use medoffice_model::ErrorCode;

/// An error as the desktop commands return it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, thiserror::Error)]
#[ts(export)]
#[error("{message}")]
pub struct CommandError {
    /// What kind of error.
    pub code: ErrorCode,
    /// A sentence for a person.
    pub message: String,
    /// Field errors for `validation`.
    pub fields: Option<FieldErrors>,
    /// For `conflict` on a booking: the clashing appointment.
    pub conflicting_appointment_id: Option<Uuid>,
}

impl CommandError {
    /// An error with a code and message only.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: None,
            conflicting_appointment_id: None,
        }
    }

    /// A validation error.
    pub fn validation(fields: FieldErrors) -> Self {
        Self {
            code: ErrorCode::Validation,
            message: format!("Please correct: {fields}"),
            fields: Some(fields),
            conflicting_appointment_id: None,
        }
    }
}

/// Who is signed in on this workstation, and what the login form should prefill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SessionState {
    /// The signed-in user.
    pub user: Option<medoffice_model::UserInfo>,
    /// Last server URL used here.
    pub server_url: Option<String>,
    /// Last clinic code used here.
    pub tenant: Option<String>,
    /// Last username used here.
    pub username: Option<String>,
    /// The screen is locked (idle, or the person locked it): the app shows only the lock
    /// screen until the signed-in person's password is given. Kept across restarts of the app.
    pub locked: bool,
}

/// `cache-changed` event payload: which kinds of rows changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CacheChanged {
    /// Kinds of rows that changed.
    pub entities: Vec<medoffice_model::EntityKind>,
}

/// What to do with a field conflict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(tag = "choice", rename_all = "snake_case")]
pub enum ConflictChoice {
    /// Send my value again (it now merges: the edit starts from the server's current revision).
    KeepMine,
    /// Keep the server's value.
    KeepTheirs,
    /// Send another value.
    Edit {
        /// The field's new value (wire form).
        #[ts(type = "unknown")]
        value: serde_json::Value,
    },
}

/// A queued change held for a refused one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HeldEntry {
    /// Its mutation id.
    pub mutation_id: Uuid,
    /// What it is, for a person.
    pub what: String,
}

/// One item of the review list (see `crates/client/src/review.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[allow(clippy::large_enum_variant)] // built once per screen and serialised; boxing buys nothing
pub enum ReviewItem {
    /// A field changed here and on the server; the server kept its value.
    FieldConflict {
        /// Local id of the conflict.
        id: Uuid,
        /// Kind of record.
        entity: medoffice_model::EntityKind,
        /// The record.
        entity_id: Uuid,
        /// The record, for a person ("Smith, Ann (MRN 000123)").
        title: String,
        /// Wire name of the field.
        field: String,
        /// The value entered here.
        #[ts(type = "unknown")]
        mine: serde_json::Value,
        /// The value the server kept.
        #[ts(type = "unknown")]
        theirs: serde_json::Value,
        /// Who wrote the server's value, when known.
        changed_by: Option<String>,
        /// When the server's value was written, when known.
        changed_at: Option<DateTime<Utc>>,
        /// Whether the signed-in user made the local edit.
        mine_by_me: bool,
        /// When the conflict came back.
        created_at: DateTime<Utc>,
    },
    /// The server refused a queued change; it stays until corrected and resent, or discarded.
    Refused {
        /// Its mutation id.
        mutation_id: Uuid,
        /// Kind of record.
        entity: medoffice_model::EntityKind,
        /// Create, update or delete.
        op: medoffice_model::MutationOp,
        /// The record.
        entity_id: Uuid,
        /// What it is, for a person.
        what: String,
        /// Why the server refused it.
        reason: String,
        /// Field errors, when the refusal was a validation.
        fields: Option<FieldErrors>,
        /// For a booking into a taken slot: the booking that holds it.
        conflicting_appointment_id: Option<Uuid>,
        /// What was queued (the create body or the changed fields), to correct and resend.
        #[ts(type = "unknown")]
        data: serde_json::Value,
        /// Changes waiting for this one (vitals of a patient whose registration was refused).
        held: Vec<HeldEntry>,
        /// When it was queued.
        queued_at: DateTime<Utc>,
        /// Whether the signed-in user queued it: only they may resend, rebook or discard it
        /// (another person's refused change answers `forbidden`).
        mine_by_me: bool,
        /// Saved by another version of the app in a form this one cannot send (see
        /// `Cache::unreadable_outbox`): it can only be discarded, and entered again.
        unreadable: bool,
    },
    /// Two patients with the same name and date of birth.
    PossibleDuplicate {
        /// One record.
        a: Patient,
        /// The other.
        b: Patient,
    },
}

/// The review list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReviewList {
    /// Items: conflicts, then refused changes, then possible duplicates.
    pub items: Vec<ReviewItem>,
}
