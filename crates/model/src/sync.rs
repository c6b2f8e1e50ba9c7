//! The sync protocol's messages: feed pages, WebSocket pushes, and outbox mutations
//! (DESIGN.md, "Sync protocol"; API.md, "Sync").

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

/// Which table a change or mutation concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// [`crate::Patient`].
    Patient,
    /// [`crate::VitalSigns`].
    VitalSigns,
    /// [`crate::Appointment`].
    Appointment,
    /// [`crate::StaffMember`].
    User,
}

impl EntityKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::VitalSigns => "vital_signs",
            Self::Appointment => "appointment",
            Self::User => "user",
        }
    }
}

/// One row's current state in the feed. `data` is the entity as its GET route answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct Change {
    /// Table.
    pub entity: EntityKind,
    /// Row id.
    pub id: Uuid,
    /// Revision of this state.
    #[ts(type = "number")]
    pub revision: i64,
    /// Tombstone (soft-deleted).
    pub deleted: bool,
    /// The row.
    #[ts(type = "unknown")]
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// `GET /api/v1/sync/changes` answer: rows with revision in `(since, revision]`, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct ChangesPage {
    /// Changed rows, in revision order.
    pub changes: Vec<Change>,
    /// Cursor to ask from next.
    #[ts(type = "number")]
    pub revision: i64,
    /// More rows wait past `revision`.
    pub has_more: bool,
}

/// Messages the server sends on `GET /api/v1/sync/ws`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First message: the tenant's revision when the socket opened.
    Hello {
        /// Current revision.
        #[ts(type = "number")]
        revision: i64,
    },
    /// The feed page `(from, to]`, pushed early. Apply it only when your cursor ≥ `from`;
    /// otherwise pull the feed.
    Changes {
        /// Exclusive lower bound.
        #[ts(type = "number")]
        from: i64,
        /// Inclusive upper bound: the cursor after applying.
        #[ts(type = "number")]
        to: i64,
        /// Changed rows, in revision order.
        changes: Vec<Change>,
    },
    /// The server is closing the socket: `"token_expired"` (refresh and reconnect),
    /// `"lagged"` (reconnect and pull the feed), `"session_ended"` (the session was ended on
    /// the server: sign in again).
    Closing {
        /// Machine-readable reason.
        reason: String,
    },
}

/// What a mutation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum MutationOp {
    /// Create with the client-made `id`.
    Create,
    /// Change fields from `base_revision`.
    Update,
    /// Soft-delete.
    Delete,
}

/// One local change queued in a workstation's outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct Mutation {
    /// Client-made id; replaying it answers the first result.
    pub mutation_id: Uuid,
    /// Table.
    pub entity: EntityKind,
    /// Operation.
    pub op: MutationOp,
    /// Row id (client-made for creates).
    pub id: Uuid,
    /// For updates: the revision the edit started from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[ts(type = "number")]
    pub base_revision: Option<i64>,
    /// For creates: the create body (`NewPatient`, `NewVitalSigns` with `patient_id`,
    /// `NewAppointment`); for updates: the changed fields.
    #[ts(type = "unknown")]
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// `POST /api/v1/sync/push` body. Mutations are applied in order, each on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct PushRequest {
    /// At most 500 mutations.
    pub mutations: Vec<Mutation>,
}

/// The fate of one mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum MutationStatus {
    /// Written now.
    Applied,
    /// Seen before; this is the first answer again.
    Duplicate,
    /// Merged where possible; `server` holds the record with the fields the server kept.
    Conflict,
    /// Not written; `error` says why.
    Rejected,
}

/// Answer for one mutation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct MutationResult {
    /// The mutation answered.
    pub mutation_id: Uuid,
    /// Outcome.
    pub status: MutationStatus,
    /// Revision of the written row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[ts(type = "number")]
    pub revision: Option<i64>,
    /// Why it was rejected or conflicted (with field errors, the error body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<crate::ErrorBody>,
    /// The server's record after the mutation (for conflicts: with its kept values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "unknown")]
    #[schema(value_type = Object)]
    pub server: Option<serde_json::Value>,
}

/// `POST /api/v1/sync/push` answer: one result per mutation, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct PushResponse {
    /// Results in request order.
    pub results: Vec<MutationResult>,
}

/// Most mutations one push may carry.
pub const MAX_PUSH_BATCH: usize = 500;

/// A vitals create as the outbox carries it: the REST body plus the patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct NewVitalSignsForPatient {
    /// The patient.
    pub patient_id: Uuid,
    /// The set.
    #[serde(flatten)]
    pub vitals: crate::NewVitalSigns,
}
