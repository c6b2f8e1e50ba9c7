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
    /// [`crate::Availability`]: the clinic's opening hours or a provider's working hours.
    Availability,
    /// [`crate::ScheduleBlock`]: a closed date or a provider's block.
    ScheduleBlock,
    /// [`crate::Room`].
    Room,
    /// [`crate::VisitType`].
    VisitType,
}

impl EntityKind {
    /// Every table, in feed order of declaration.
    pub const ALL: &'static [EntityKind] = &[
        Self::Patient,
        Self::VitalSigns,
        Self::Appointment,
        Self::User,
        Self::Availability,
        Self::ScheduleBlock,
        Self::Room,
        Self::VisitType,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Patient => "patient",
            Self::VitalSigns => "vital_signs",
            Self::Appointment => "appointment",
            Self::User => "user",
            Self::Availability => "availability",
            Self::ScheduleBlock => "schedule_block",
            Self::Room => "room",
            Self::VisitType => "visit_type",
        }
    }

    /// The table with this wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|e| e.as_str() == s)
    }
}

/// One row's current state in the feed: `{"id", "revision", "deleted", "entity", "data"}`, where
/// `entity` names the table and `data` is the row as its GET route answers it. The wire shape is
/// the one every release has sent. A reader meets an `entity` it does not know only when the
/// server is newer; it then fails to read the page (the desktop says to update it) rather than
/// skip rows past its cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct Change {
    /// Row id.
    pub id: Uuid,
    /// Revision of this state.
    #[ts(type = "number")]
    pub revision: i64,
    /// Tombstone (soft-deleted).
    pub deleted: bool,
    /// The row, tagged with its table.
    #[serde(flatten)]
    #[ts(flatten)]
    pub record: Record,
}

/// A row of one of the synced tables, as the feed carries it: `{"entity": "patient", "data":
/// {...}}`. Matching on it is exhaustive, so a new table is a compile error wherever rows land.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[ts(rename = "ChangeRecord")]
#[serde(tag = "entity", content = "data", rename_all = "snake_case")]
// A patient is the largest row; boxing it would allocate once per patient of every feed page
// and cache write to save the padding of the smaller rows in a page that is short-lived.
#[allow(clippy::large_enum_variant)]
pub enum Record {
    /// A `patients` row.
    Patient(crate::Patient),
    /// A `vital_signs` row.
    VitalSigns(crate::VitalSigns),
    /// An `appointments` row.
    Appointment(crate::Appointment),
    /// A staff directory entry (`users` row, no secrets).
    User(crate::StaffMember),
    /// An `availability` row: opening or working hours.
    Availability(crate::Availability),
    /// A `schedule_blocks` row.
    ScheduleBlock(crate::ScheduleBlock),
    /// A `rooms` row.
    Room(crate::Room),
    /// A `visit_types` row.
    VisitType(crate::VisitType),
}

/// The distinct patients whose records `changes` carry, in first-seen order: what a page of the
/// feed, pulled or pushed, is audited under.
pub fn patients_in<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Vec<Uuid> {
    let mut seen = std::collections::HashSet::new();
    changes
        .into_iter()
        .filter_map(|c| c.record.patient_id())
        .filter(|id| seen.insert(*id))
        .collect()
}

impl Record {
    /// The table this row belongs to.
    pub fn entity(&self) -> EntityKind {
        match self {
            Self::Patient(_) => EntityKind::Patient,
            Self::VitalSigns(_) => EntityKind::VitalSigns,
            Self::Appointment(_) => EntityKind::Appointment,
            Self::User(_) => EntityKind::User,
            Self::Availability(_) => EntityKind::Availability,
            Self::ScheduleBlock(_) => EntityKind::ScheduleBlock,
            Self::Room(_) => EntityKind::Room,
            Self::VisitType(_) => EntityKind::VisitType,
        }
    }

    /// The patient whose record this row is part of (None for the clinic's own rows: staff,
    /// hours, blocks, rooms, visit types). What a delivery of the row is audited under.
    pub fn patient_id(&self) -> Option<Uuid> {
        match self {
            Self::Patient(p) => Some(p.id),
            Self::VitalSigns(v) => Some(v.patient_id),
            Self::Appointment(a) => Some(a.patient_id),
            Self::User(_)
            | Self::Availability(_)
            | Self::ScheduleBlock(_)
            | Self::Room(_)
            | Self::VisitType(_) => None,
        }
    }

    /// Reads the row of table `entity` from its JSON (a push answer's `server`).
    pub fn from_json(
        entity: EntityKind,
        data: serde_json::Value,
    ) -> Result<Self, serde_json::Error> {
        Ok(match entity {
            EntityKind::Patient => Self::Patient(serde_json::from_value(data)?),
            EntityKind::VitalSigns => Self::VitalSigns(serde_json::from_value(data)?),
            EntityKind::Appointment => Self::Appointment(serde_json::from_value(data)?),
            EntityKind::User => Self::User(serde_json::from_value(data)?),
            EntityKind::Availability => Self::Availability(serde_json::from_value(data)?),
            EntityKind::ScheduleBlock => Self::ScheduleBlock(serde_json::from_value(data)?),
            EntityKind::Room => Self::Room(serde_json::from_value(data)?),
            EntityKind::VisitType => Self::VisitType(serde_json::from_value(data)?),
        })
    }

    /// The row as JSON (`data` on the wire).
    pub fn data(&self) -> serde_json::Value {
        let v = match self {
            Self::Patient(r) => serde_json::to_value(r),
            Self::VitalSigns(r) => serde_json::to_value(r),
            Self::Appointment(r) => serde_json::to_value(r),
            Self::User(r) => serde_json::to_value(r),
            Self::Availability(r) => serde_json::to_value(r),
            Self::ScheduleBlock(r) => serde_json::to_value(r),
            Self::Room(r) => serde_json::to_value(r),
            Self::VisitType(r) => serde_json::to_value(r),
        };
        // plain structs of strings, numbers and dates always serialise
        v.unwrap_or(serde_json::Value::Null)
    }
}

impl Change {
    /// The table this change belongs to.
    pub fn entity(&self) -> EntityKind {
        self.record.entity()
    }
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

/// Response header of `GET /api/v1/sync/changes`: the clinic's revision when the page was
/// read, so a workstation catching up can say how much is left. A header, not a field of
/// [`ChangesPage`]: a workstation one release behind reads the page's fields strictly.
pub const CLINIC_REVISION_HEADER: &str = "x-clinic-revision";

/// Response header of `GET /api/v1/sync/changes`: the clinic's feed history, a UUID. It
/// changes when the server's database was restored from a backup; a workstation that sees a
/// new one forgets its cursor and the rows it holds from the server, downloads the clinic again
/// from zero, and keeps its unsent changes (which are then sent to the restored server).
pub const FEED_EPOCH_HEADER: &str = "x-feed-epoch";

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

/// What a mutation does: the `op` of its wire envelope.
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
    /// Merge into another row (a duplicate patient).
    Merge,
}

impl MutationOp {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Merge => "merge",
        }
    }

    /// The operation with this wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Create, Self::Update, Self::Delete, Self::Merge]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// A mutation as it travels in `POST /api/v1/sync/push` and as a workstation's outbox stores it:
/// `{"mutation_id", "entity", "op", "id", "base_revision"?, "data"}`.
///
/// Version 1 of the envelope, unchanged since the first release, so a workstation one release
/// behind keeps syncing. `entity` and `op` are plain strings here so that a kind of change the
/// reader does not know is refused on its own (`unsupported_change`, naming it) instead of
/// failing the whole push; [`Mutation::decode`] turns an envelope into the typed [`Mutation`]
/// that all code works on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct MutationEnvelope {
    /// Client-made id; replaying it answers the first result.
    pub mutation_id: Uuid,
    /// Table: an [`EntityKind`] wire name (`patient`, `vital_signs`, `appointment`).
    pub entity: String,
    /// A [`MutationOp`] wire name (`create`, `update`, `delete`).
    pub op: String,
    /// Row id (client-made for creations).
    pub id: Uuid,
    /// For updates: the revision the edit started from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    #[ts(type = "number")]
    pub base_revision: Option<i64>,
    /// For creations the create body (`NewPatient`, `NewVitalSignsForPatient`,
    /// `NewAppointment`); for updates the changed fields by wire name; `{}` for deletions.
    #[ts(type = "unknown")]
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// One local change queued in a workstation's outbox, typed. Server, outbox, local view and
/// review all match on [`MutationKind`], so a new kind of change is a compile error wherever it
/// is not yet handled.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutation {
    /// Client-made id; replaying it answers the first result.
    pub mutation_id: Uuid,
    /// The row it concerns (client-made for creations).
    pub id: Uuid,
    /// What it does, with its typed body.
    pub kind: MutationKind,
}

/// Every kind of change a workstation can send.
///
/// Adding one: a variant here and its arms in [`MutationKind::entity`], [`MutationKind::op`],
/// [`Mutation::encode`] and [`Mutation::decode`]; the compiler then names every place that
/// must handle it (the server's apply, the client's local view, review and outbox).
#[derive(Debug, Clone, PartialEq)]
// A registration is the largest; the outbox holds a handful at a time, so padding is no cost.
#[allow(clippy::large_enum_variant)]
pub enum MutationKind {
    /// `patient.create`: register a patient (the server assigns the MRN).
    RegisterPatient(crate::NewPatient),
    /// `patient.update`: change demographic fields from a base revision (merged per field).
    EditPatient(Edit<crate::PatientField>),
    /// `patient.delete`: soft-delete the record.
    DeletePatient,
    /// `patient.merge`: merge this patient (a duplicate) into another, which stays.
    MergePatient(crate::PatientMerge),
    /// `vital_signs.create`: record a measurement set for a patient.
    RecordVitals(NewVitalSignsForPatient),
    /// `vital_signs.update`: mark a set entered in error, or amend its values, with a reason.
    CorrectVitals(crate::VitalSignsCorrection),
    /// `appointment.create`: book a visit.
    BookAppointment(crate::NewAppointment),
    /// `appointment.update`: move, re-status or annotate a booking from a base revision.
    EditAppointment {
        /// The changed fields.
        edit: Edit<crate::AppointmentField>,
        /// With a check-in, when it happened at the desk (the server clamps it; see
        /// [`crate::Appointment::checked_in_at`]).
        checked_in_at: Option<chrono::DateTime<chrono::Utc>>,
    },
}

/// A field-level edit: the revision the editor saw and only the fields changed, with their new
/// values as they go on the wire. Merge rules: DESIGN.md, "Sync protocol" 5.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit<F: Ord> {
    /// Revision of the record the edit started from.
    pub base_revision: i64,
    /// Changed fields and their new values.
    pub changes: std::collections::BTreeMap<F, serde_json::Value>,
}

impl<F: crate::WireField> Edit<F> {
    /// The changed fields as a JSON object keyed by wire name (the PATCH body's shape).
    pub fn to_object(&self) -> serde_json::Map<String, serde_json::Value> {
        self.changes
            .iter()
            .map(|(f, v)| (f.as_str().to_owned(), v.clone()))
            .collect()
    }
}

/// Why an envelope is not a mutation this build can apply.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MutationDecodeError {
    /// The `(entity, op)` pair names no kind of change this build knows: the sender is newer.
    #[error("this server does not know the kind of change {entity}.{op}: the workstation that sent it is newer than the server; update the server")]
    Unsupported {
        /// The envelope's `entity`.
        entity: String,
        /// The envelope's `op`.
        op: String,
    },
    /// The body does not fit the kind (field errors, by wire name).
    #[error("{0}")]
    Invalid(crate::FieldErrors),
}

/// The words for a `checked_in_at` that is not a time.
pub const CHECKED_IN_AT_FORMAT: &str =
    "must be a date and time (RFC 3339), e.g. 2026-11-22T09:12:00Z";

fn invalid(field: &str, message: impl Into<String>) -> MutationDecodeError {
    let mut e = crate::FieldErrors::new();
    e.add(field, message);
    MutationDecodeError::Invalid(e)
}

fn body<T: serde::de::DeserializeOwned>(
    data: &serde_json::Value,
) -> Result<T, MutationDecodeError> {
    T::deserialize(data).map_err(|e| invalid("data", e.to_string()))
}

/// Fields of an edit's body that are not the kind's fields, by name.
type OtherFields<'a> = Vec<(&'a str, &'a serde_json::Value)>;

/// The edit in `data` and, apart, the fields that are not `F`s (the caller decides about them).
fn edit<F: crate::WireField>(
    base_revision: Option<i64>,
    data: &serde_json::Value,
) -> Result<(Edit<F>, OtherFields<'_>), MutationDecodeError> {
    let serde_json::Value::Object(fields) = data else {
        return Err(invalid("data", "must be an object of changed fields"));
    };
    let mut changes = std::collections::BTreeMap::new();
    let mut rest = Vec::new();
    for (k, v) in fields {
        match F::parse(k) {
            Some(f) => {
                changes.insert(f, v.clone());
            }
            None => rest.push((k.as_str(), v)),
        }
    }
    let edit = Edit {
        base_revision: base_revision.unwrap_or(0),
        changes,
    };
    Ok((edit, rest))
}

fn no_other_fields(rest: &[(&str, &serde_json::Value)]) -> Result<(), MutationDecodeError> {
    let mut e = crate::FieldErrors::new();
    for (k, _) in rest {
        e.add(k, "cannot be changed");
    }
    e.into_result().map_err(MutationDecodeError::Invalid)
}

impl MutationKind {
    /// The table it changes.
    pub fn entity(&self) -> EntityKind {
        match self {
            Self::RegisterPatient(_)
            | Self::EditPatient(_)
            | Self::DeletePatient
            | Self::MergePatient(_) => EntityKind::Patient,
            Self::RecordVitals(_) | Self::CorrectVitals(_) => EntityKind::VitalSigns,
            Self::BookAppointment(_) | Self::EditAppointment { .. } => EntityKind::Appointment,
        }
    }

    /// Create, update or delete.
    pub fn op(&self) -> MutationOp {
        match self {
            Self::RegisterPatient(_) | Self::RecordVitals(_) | Self::BookAppointment(_) => {
                MutationOp::Create
            }
            Self::EditPatient(_) | Self::EditAppointment { .. } | Self::CorrectVitals(_) => {
                MutationOp::Update
            }
            Self::DeletePatient => MutationOp::Delete,
            Self::MergePatient(_) => MutationOp::Merge,
        }
    }

    /// The patient whose record this changes, where the body names one (a patient mutation's
    /// own id is not in its body: see [`Mutation::patient_id`]).
    fn named_patient(&self) -> Option<Uuid> {
        match self {
            Self::RecordVitals(v) => Some(v.patient_id),
            Self::CorrectVitals(c) => Some(c.patient_id),
            Self::BookAppointment(a) => Some(a.patient_id),
            Self::RegisterPatient(_)
            | Self::EditPatient(_)
            | Self::DeletePatient
            | Self::MergePatient(_)
            | Self::EditAppointment { .. } => None,
        }
    }

    /// The revision an edit started from.
    pub fn base_revision(&self) -> Option<i64> {
        match self {
            Self::EditPatient(e) => Some(e.base_revision),
            Self::EditAppointment { edit, .. } => Some(edit.base_revision),
            Self::MergePatient(m) => Some(m.base_revision),
            Self::RegisterPatient(_)
            | Self::DeletePatient
            | Self::RecordVitals(_)
            | Self::CorrectVitals(_)
            | Self::BookAppointment(_) => None,
        }
    }
}

impl Mutation {
    /// A new mutation with a fresh id.
    pub fn new(id: Uuid, kind: MutationKind) -> Self {
        Self {
            mutation_id: Uuid::new_v4(),
            id,
            kind,
        }
    }

    /// The table it changes.
    pub fn entity(&self) -> EntityKind {
        self.kind.entity()
    }

    /// Create, update or delete.
    pub fn op(&self) -> MutationOp {
        self.kind.op()
    }

    /// The patient whose record this touches, when the mutation itself says (a patient's own
    /// mutations, vitals and bookings; an appointment edit names only the booking).
    pub fn patient_id(&self) -> Option<Uuid> {
        match self.entity() {
            EntityKind::Patient => Some(self.id),
            _ => self.kind.named_patient(),
        }
    }

    /// The body as the envelope's `data`: the create body, the changed fields, or `{}`.
    pub fn data(&self) -> serde_json::Value {
        use serde_json::Value;
        let v = match &self.kind {
            MutationKind::RegisterPatient(p) => serde_json::to_value(p),
            MutationKind::RecordVitals(v) => serde_json::to_value(v),
            MutationKind::CorrectVitals(c) => serde_json::to_value(c),
            MutationKind::BookAppointment(a) => serde_json::to_value(a),
            MutationKind::EditPatient(e) => Ok(Value::Object(e.to_object())),
            MutationKind::EditAppointment {
                edit,
                checked_in_at,
            } => {
                let mut o = edit.to_object();
                if let Some(t) = checked_in_at {
                    o.insert(crate::CHECKED_IN_AT_FIELD.into(), serde_json::json!(t));
                }
                Ok(Value::Object(o))
            }
            MutationKind::DeletePatient => Ok(Value::Object(Default::default())),
            MutationKind::MergePatient(m) => {
                Ok(serde_json::json!({"into": m.into, "fields": m.fields}))
            }
        };
        // bodies are plain structs of strings, numbers and dates: they always serialise
        v.unwrap_or(Value::Null)
    }

    /// The wire envelope (version 1).
    pub fn encode(&self) -> MutationEnvelope {
        MutationEnvelope {
            mutation_id: self.mutation_id,
            entity: self.entity().as_str().to_owned(),
            op: self.op().as_str().to_owned(),
            id: self.id,
            base_revision: self.kind.base_revision(),
            data: self.data(),
        }
    }

    /// Reads an envelope. Creation bodies take the envelope's `id`; an edit's fields must be
    /// ones the kind may change (others: "cannot be changed"); an unknown `(entity, op)` is
    /// [`MutationDecodeError::Unsupported`].
    pub fn decode(env: &MutationEnvelope) -> Result<Self, MutationDecodeError> {
        let (id, data) = (env.id, &env.data);
        use EntityKind::{Appointment, Patient, VitalSigns};
        use MutationOp::{Create, Delete, Merge, Update};
        let pair = (EntityKind::parse(&env.entity), MutationOp::parse(&env.op));
        let kind = match pair {
            (Some(Patient), Some(Create)) => {
                let mut p: crate::NewPatient = body(data)?;
                p.id = Some(id);
                MutationKind::RegisterPatient(p)
            }
            (Some(Patient), Some(Update)) => {
                let (e, rest) = edit(env.base_revision, data)?;
                no_other_fields(&rest)?;
                MutationKind::EditPatient(e)
            }
            (Some(Patient), Some(Delete)) => MutationKind::DeletePatient,
            (Some(Patient), Some(Merge)) => {
                #[derive(Deserialize)]
                struct Body {
                    into: Uuid,
                    #[serde(default)]
                    fields: serde_json::Map<String, serde_json::Value>,
                }
                let b: Body = body(data)?;
                let rest: Vec<(&str, &serde_json::Value)> = b
                    .fields
                    .iter()
                    .filter(|(k, _)| crate::PatientField::parse(k).is_none())
                    .map(|(k, v)| (k.as_str(), v))
                    .collect();
                no_other_fields(&rest)?;
                if b.into == id {
                    return Err(invalid("into", "must be another patient"));
                }
                MutationKind::MergePatient(crate::PatientMerge {
                    into: b.into,
                    base_revision: env.base_revision.unwrap_or(0),
                    fields: b.fields.clone(),
                })
            }
            (Some(VitalSigns), Some(Create)) => {
                let mut v: NewVitalSignsForPatient = body(data)?;
                v.vitals.id = Some(id);
                MutationKind::RecordVitals(v)
            }
            (Some(VitalSigns), Some(Update)) => MutationKind::CorrectVitals(body(data)?),
            (Some(Appointment), Some(Create)) => {
                let mut a: crate::NewAppointment = body(data)?;
                a.id = Some(id);
                MutationKind::BookAppointment(a)
            }
            (Some(Appointment), Some(Update)) => {
                let (e, mut rest) = edit(env.base_revision, data)?;
                // a check-in's desk time travels among the fields but is a proposal, not one
                let proposed = rest
                    .iter()
                    .position(|(k, _)| *k == crate::CHECKED_IN_AT_FIELD)
                    .map(|i| rest.remove(i).1);
                let checked_in_at =
                    match proposed {
                        None | Some(serde_json::Value::Null) => None,
                        Some(v) => Some(chrono::DateTime::deserialize(v).map_err(|_| {
                            invalid(crate::CHECKED_IN_AT_FIELD, CHECKED_IN_AT_FORMAT)
                        })?),
                    };
                no_other_fields(&rest)?;
                MutationKind::EditAppointment {
                    edit: e,
                    checked_in_at,
                }
            }
            _ => {
                return Err(MutationDecodeError::Unsupported {
                    entity: env.entity.clone(),
                    op: env.op.clone(),
                })
            }
        };
        Ok(Self {
            mutation_id: env.mutation_id,
            id,
            kind,
        })
    }
}

impl MutationEnvelope {
    /// The patient this envelope concerns, read without decoding its body (so a refusal of a
    /// body that does not decode is still filed under the patient): a patient mutation's own
    /// id, or the body's `patient_id` (vital signs, bookings). For a body that decodes this is
    /// [`Mutation::patient_id`].
    pub fn patient_id(&self) -> Option<Uuid> {
        if self.entity == EntityKind::Patient.as_str() {
            return Some(self.id);
        }
        self.data
            .get("patient_id")
            .and_then(serde_json::Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
    }
}

/// `POST /api/v1/sync/push` body. Mutations are applied in order, each on its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct PushRequest {
    /// At most 500 mutations, as envelopes (see [`Mutation::encode`]).
    pub mutations: Vec<MutationEnvelope>,
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use serde_json::json;

    fn decode(v: serde_json::Value) -> Result<Mutation, MutationDecodeError> {
        Mutation::decode(&serde_json::from_value(v).unwrap())
    }

    /// Envelopes exactly as the previous release's workstations wrote them (one per kind).
    fn previous_release_envelopes() -> Vec<serde_json::Value> {
        let p = "0193a5e0-0000-7000-8000-000000000001";
        vec![
            json!({"mutation_id": Uuid::new_v4(), "entity": "patient", "op": "create", "id": p,
                   "data": {"id": p, "given_name": "Ada", "family_name": "Lovelace",
                            "date_of_birth": "1815-12-10", "sex": "female"}}),
            json!({"mutation_id": Uuid::new_v4(), "entity": "patient", "op": "update", "id": p,
                   "base_revision": 7, "data": {"phone": "+44 20 7946 0000"}}),
            json!({"mutation_id": Uuid::new_v4(), "entity": "patient", "op": "delete", "id": p,
                   "data": {}}),
            json!({"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "create",
                   "id": Uuid::new_v4(), "data": {"patient_id": p,
                   "measured_at": "2026-12-01T09:00:00Z", "systolic_mmhg": 152, "entered_offline": true}}),
            json!({"mutation_id": Uuid::new_v4(), "entity": "appointment", "op": "create",
                   "id": Uuid::new_v4(), "data": {"patient_id": p, "provider_id": Uuid::new_v4(),
                   "starts_at": "2026-12-07T09:00:00Z", "duration_minutes": 15, "kind": "follow_up"}}),
            json!({"mutation_id": Uuid::new_v4(), "entity": "appointment", "op": "update",
                   "id": Uuid::new_v4(), "base_revision": 3,
                   "data": {"status": "checked_in", "checked_in_at": "2026-12-07T08:55:00Z"}}),
        ]
    }

    #[test]
    fn every_kind_reads_from_the_previous_release_and_writes_the_same_envelope() {
        let mut kinds = Vec::new();
        for v in previous_release_envelopes() {
            let m = decode(v.clone()).unwrap();
            kinds.push((m.entity(), m.op()));
            let again = serde_json::to_value(m.encode()).unwrap();
            assert_eq!(again["entity"], v["entity"]);
            assert_eq!(again["op"], v["op"]);
            assert_eq!(again["base_revision"], v["base_revision"]);
            // the typed round trip is lossless
            assert_eq!(Mutation::decode(&m.encode()).unwrap(), m);
        }
        assert_eq!(kinds.len(), 6);
    }

    #[test]
    fn bodies_are_typed() {
        let [_, edit, _, vitals, _, checkin] = previous_release_envelopes().try_into().unwrap();
        match decode(edit).unwrap().kind {
            MutationKind::EditPatient(e) => {
                assert_eq!(e.base_revision, 7);
                assert_eq!(
                    e.changes.get(&crate::PatientField::Phone),
                    Some(&json!("+44 20 7946 0000"))
                );
            }
            other => panic!("not a patient edit: {other:?}"),
        }
        let m = decode(vitals).unwrap();
        assert_eq!(
            m.patient_id().map(|p| p.to_string()).as_deref(),
            Some("0193a5e0-0000-7000-8000-000000000001")
        );
        match m.kind {
            MutationKind::RecordVitals(v) => {
                assert_eq!(v.vitals.measurements.systolic_mmhg, Some(152));
                assert_eq!(
                    v.vitals.id,
                    Some(m.id),
                    "the create body takes the envelope's id"
                );
            }
            other => panic!("not vitals: {other:?}"),
        }
        match decode(checkin).unwrap().kind {
            MutationKind::EditAppointment {
                edit,
                checked_in_at,
            } => {
                assert_eq!(
                    edit.changes.len(),
                    1,
                    "checked_in_at is not an edited field"
                );
                assert!(checked_in_at.is_some());
            }
            other => panic!("not an appointment edit: {other:?}"),
        }
    }

    #[test]
    fn a_correction_is_a_vital_signs_update_naming_its_patient() {
        let p = Uuid::new_v4();
        let set = Uuid::new_v4();
        let m = decode(json!({"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "update",
            "id": set, "data": {"patient_id": p, "status": "entered-in-error", "reason": "wrong patient"}}))
        .unwrap();
        assert_eq!(
            (m.entity(), m.op()),
            (EntityKind::VitalSigns, MutationOp::Update)
        );
        assert_eq!(m.patient_id(), Some(p));
        assert_eq!(m.kind.base_revision(), None);
        match &m.kind {
            MutationKind::CorrectVitals(c) => {
                assert_eq!(c.status, crate::ObservationStatus::EnteredInError);
                assert_eq!(c.measurements, None);
            }
            other => panic!("not a correction: {other:?}"),
        }
        assert_eq!(Mutation::decode(&m.encode()).unwrap(), m);
        // a status this build does not know is a field error, not a crash
        let err = decode(
            json!({"mutation_id": Uuid::new_v4(), "entity": "vital_signs", "op": "update",
            "id": set, "data": {"patient_id": p, "status": "preliminary", "reason": "x"}}),
        )
        .unwrap_err();
        assert!(matches!(err, MutationDecodeError::Invalid(_)), "{err:?}");
    }

    #[test]
    fn an_unknown_kind_is_refused_by_name() {
        let err = decode(
            json!({"mutation_id": Uuid::new_v4(), "entity": "room", "op": "create",
            "id": Uuid::new_v4(), "data": {}}),
        )
        .unwrap_err();
        assert_eq!(
            err,
            MutationDecodeError::Unsupported {
                entity: "room".into(),
                op: "create".into()
            }
        );
        assert!(err.to_string().contains("room.create"));
        assert!(err.to_string().contains("update the server"));
        let err = decode(
            json!({"mutation_id": Uuid::new_v4(), "entity": "vital_signs",
            "op": "delete", "id": Uuid::new_v4(), "data": {}}),
        )
        .unwrap_err();
        assert!(matches!(err, MutationDecodeError::Unsupported { .. }));
    }

    #[test]
    fn edits_name_only_editable_fields_and_bad_bodies_name_the_field() {
        let id = Uuid::new_v4();
        let err = decode(
            json!({"mutation_id": Uuid::new_v4(), "entity": "patient", "op": "update",
            "id": id, "base_revision": 1, "data": {"mrn": "000001", "phone": "1"}}),
        )
        .unwrap_err();
        let MutationDecodeError::Invalid(f) = err else {
            panic!("not a field error")
        };
        assert_eq!(
            f.0.get("mrn").map(Vec::as_slice),
            Some(&["cannot be changed".to_owned()][..])
        );
        assert!(!f.0.contains_key("phone"));
        let err = decode(
            json!({"mutation_id": Uuid::new_v4(), "entity": "appointment",
            "op": "update", "id": id, "base_revision": 1,
            "data": {"status": "checked_in", "checked_in_at": "nine o'clock"}}),
        )
        .unwrap_err();
        let MutationDecodeError::Invalid(f) = err else {
            panic!("not a field error")
        };
        assert_eq!(
            f.0.get(crate::CHECKED_IN_AT_FIELD).map(Vec::as_slice),
            Some(&[CHECKED_IN_AT_FORMAT.to_owned()][..])
        );
        let err = decode(
            json!({"mutation_id": Uuid::new_v4(), "entity": "vital_signs",
            "op": "create", "id": id, "data": {"measured_at": "2026-12-01T09:00:00Z"}}),
        )
        .unwrap_err();
        let MutationDecodeError::Invalid(f) = err else {
            panic!("not a field error")
        };
        assert!(f.0.contains_key("data"), "{f}");
    }

    #[test]
    fn a_change_keeps_the_feed_wire_shape() {
        let staff = crate::StaffMember {
            id: Uuid::new_v4(),
            username: "nurse".into(),
            full_name: "Nadia Okafor".into(),
            role: crate::Role::Nurse,
            active: true,
            revision: 4,
        };
        let c = Change {
            id: staff.id,
            revision: 4,
            deleted: false,
            record: Record::User(staff.clone()),
        };
        let v = serde_json::to_value(&c).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["data", "deleted", "entity", "id", "revision"]);
        assert_eq!(v["entity"], "user");
        assert_eq!(v["data"]["username"], "nurse");
        // as the previous release's server wrote it: entity first
        let old = format!(
            r#"{{"entity":"user","id":"{}","revision":4,"deleted":false,"data":{}}}"#,
            staff.id,
            serde_json::to_string(&staff).unwrap()
        );
        assert_eq!(serde_json::from_str::<Change>(&old).unwrap(), c);
        // a table this build does not know fails the read rather than being skipped
        let newer = old.replace(r#""entity":"user""#, r#""entity":"room""#);
        assert!(serde_json::from_str::<Change>(&newer).is_err());
    }
}
