//! Appointments (FHIR `Appointment`): kinds, the status workflow and booking validation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::FieldErrors;

/// What the visit is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentKind {
    /// First visit.
    NewPatient,
    /// Follow-up.
    FollowUp,
    /// Consultation.
    Consultation,
    /// Vital-signs check only.
    VitalsCheck,
    /// Procedure.
    Procedure,
    /// Remote visit.
    Telehealth,
    /// Anything else.
    Other,
}

/// Where a visit stands: `scheduled → checked_in → in_progress → completed`, or `cancelled`,
/// `no_show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    /// Booked.
    Scheduled,
    /// Patient arrived.
    CheckedIn,
    /// With the clinician.
    InProgress,
    /// Done.
    Completed,
    /// Cancelled (a reason is kept in `notes`).
    Cancelled,
    /// Patient did not come.
    NoShow,
}

impl AppointmentStatus {
    /// Every status, in workflow order.
    pub const ALL: &'static [AppointmentStatus] = &[
        Self::Scheduled,
        Self::CheckedIn,
        Self::InProgress,
        Self::Completed,
        Self::Cancelled,
        Self::NoShow,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::CheckedIn => "checked_in",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::NoShow => "no_show",
        }
    }

    /// A live appointment holds its slot (and counts for the overlap rule).
    pub fn is_live(self) -> bool {
        matches!(self, Self::Scheduled | Self::CheckedIn | Self::InProgress)
    }

    /// Whether a booking in this status may be moved to another time, length or provider:
    /// only before the visit has started.
    pub fn can_move(self) -> bool {
        matches!(self, Self::Scheduled | Self::CheckedIn)
    }

    /// Whether the workflow allows going from `self` to `next`. Staying put is allowed.
    pub fn can_become(self, next: Self) -> bool {
        use AppointmentStatus::*;
        self == next
            || matches!(
                (self, next),
                (Scheduled, CheckedIn | Cancelled | NoShow)
                    | (CheckedIn, InProgress | Completed | Cancelled | Scheduled)
                    | (InProgress, Completed)
                    | (NoShow, Scheduled)
            )
    }
}

/// A booking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct Appointment {
    /// Id.
    pub id: Uuid,
    /// The patient.
    pub patient_id: Uuid,
    /// The clinician (a user).
    pub provider_id: Uuid,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// Length in minutes (5–480).
    pub duration_minutes: i32,
    /// Kind of visit.
    pub kind: AppointmentKind,
    /// Workflow state.
    pub status: AppointmentStatus,
    /// Reason for the visit.
    pub reason: Option<String>,
    /// Notes (cancellation reasons are kept here too).
    pub notes: Option<String>,
    /// Booked on purpose over another live booking.
    pub overbooked: bool,
    /// Set when the visit was booked (or moved) outside the clinic's or the provider's hours or
    /// in a block, as an explicit override: why (see [`crate::check_booking`]). Absent for
    /// bookings inside availability.
    #[serde(default)]
    pub outside_hours_reason: Option<String>,
    /// The room the patient was shown to (see [`crate::flow_state`]); absent until then.
    #[serde(default)]
    pub room_id: Option<Uuid>,
    /// The recurring series this visit is one occurrence of (the same id on every occurrence;
    /// see [`crate::Recurrence`]); absent for a one-off visit.
    #[serde(default)]
    pub series_id: Option<Uuid>,
    /// The clinic's visit type it was booked as ([`crate::VisitType`]); absent for bookings
    /// made before visit types existed, or by kind alone.
    #[serde(default)]
    pub visit_type_id: Option<Uuid>,
    /// When the patient was checked in at the desk (UTC): set by the server when the status
    /// becomes `checked_in` (from the time an offline check-in was made, clamped to not later
    /// than the server's now and not earlier than 24 h before `starts_at`), kept through
    /// `in_progress`/`completed`, cleared when the booking goes back to `scheduled`. Absent
    /// for bookings never checked in (and visits checked in before servers kept it).
    #[serde(default)]
    pub checked_in_at: Option<DateTime<Utc>>,
    /// Feed revision.
    #[ts(type = "number")]
    pub revision: i64,
    /// Soft-delete marker.
    pub deleted: bool,
}

/// `POST /api/v1/appointments` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct NewAppointment {
    /// Client-made id; the server makes one when absent.
    #[serde(default)]
    #[ts(optional)]
    pub id: Option<Uuid>,
    /// The patient.
    pub patient_id: Uuid,
    /// The clinician.
    pub provider_id: Uuid,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// Length in minutes, 5–480.
    pub duration_minutes: i32,
    /// Kind of visit.
    pub kind: AppointmentKind,
    /// Reason for the visit.
    #[serde(default)]
    #[ts(optional)]
    pub reason: Option<String>,
    /// Notes.
    #[serde(default)]
    #[ts(optional)]
    pub notes: Option<String>,
    /// Book over another live booking on purpose (needs the overbook permission).
    #[serde(default)]
    #[ts(optional)]
    pub overbooked: Option<bool>,
    /// Book outside the clinic's or the provider's hours, or in a block, on purpose: why
    /// (1–500 characters; needs the `appointment_outside_hours` permission). Without it such a
    /// booking is refused (`outside_availability`).
    #[serde(default)]
    #[ts(optional)]
    pub outside_hours_reason: Option<String>,
    /// The recurring series this visit belongs to: the same client-made id on every occurrence.
    #[serde(default)]
    #[ts(optional)]
    pub series_id: Option<Uuid>,
    /// The clinic's visit type (an active one of this clinic); `kind` should be its kind.
    #[serde(default)]
    #[ts(optional)]
    pub visit_type_id: Option<Uuid>,
}

/// Years a booking or a block may fall in (inclusive). Wider than any clinic needs, narrow
/// enough that every date sum the rules do stays valid (and PostgreSQL can store it).
pub const BOOKABLE_YEARS: (i32, i32) = (1970, 2199);
/// [`BOOKABLE_YEARS`] in words, as a field error.
pub const BOOKABLE_YEARS_TEXT: &str = "must be a date between 1970 and 2199";

/// Whether `t` falls in [`BOOKABLE_YEARS`].
pub fn in_bookable_years(t: DateTime<Utc>) -> bool {
    use chrono::Datelike;
    (BOOKABLE_YEARS.0..=BOOKABLE_YEARS.1).contains(&t.year())
}

/// Shortest and longest bookable length, minutes.
pub const DURATION_MINUTES: (i32, i32) = (5, 480);

impl NewAppointment {
    /// Checks the booking's own fields.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        validate_duration(self.duration_minutes, &mut e);
        if !in_bookable_years(self.starts_at) {
            e.add("starts_at", BOOKABLE_YEARS_TEXT);
        }
        for (field, value) in [("reason", &self.reason), ("notes", &self.notes)] {
            if value.as_deref().is_some_and(|v| v.chars().count() > 2000) {
                e.add(field, "must be at most 2000 characters");
            }
        }
        if self.overbooked == Some(true)
            && self.reason.as_deref().is_none_or(|r| r.trim().is_empty())
        {
            e.add("reason", "is required for an overbooking");
        }
        validate_outside_hours_reason(self.outside_hours_reason.as_deref(), &mut e);
        e.into_result()
    }
}

/// Adds an error when an override's reason is blank or longer than 500 characters.
pub fn validate_outside_hours_reason(reason: Option<&str>, e: &mut FieldErrors) {
    if let Some(r) = reason {
        let n = r.trim().chars().count();
        if n == 0 {
            e.add(
                "outside_hours_reason",
                "say why this visit is booked outside the hours",
            );
        } else if n > 500 {
            e.add("outside_hours_reason", "must be at most 500 characters");
        }
    }
}

/// Adds an error when `minutes` is outside [`DURATION_MINUTES`].
pub fn validate_duration(minutes: i32, e: &mut FieldErrors) {
    let (lo, hi) = DURATION_MINUTES;
    if !(lo..=hi).contains(&minutes) {
        e.add(
            "duration_minutes",
            format!("must be between {lo} and {hi} minutes"),
        );
    }
}

/// `PATCH /api/v1/appointments/{id}` body: the base revision and only the changed fields
/// (`status`, `starts_at`, `duration_minutes`, `provider_id`, `kind`, `reason`, `notes`,
/// `outside_hours_reason`, `room_id`).
/// With `status: "checked_in"` it may also carry `checked_in_at` (RFC 3339), the moment of an
/// offline check-in at the desk; the server clamps it (see [`Appointment::checked_in_at`]) and
/// ignores it with any other change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct AppointmentPatch {
    /// Revision the edit started from.
    #[ts(type = "number")]
    pub base_revision: i64,
    /// Changed fields.
    #[serde(flatten)]
    #[ts(skip)]
    #[schema(value_type = Object)]
    pub changes: serde_json::Map<String, serde_json::Value>,
}

crate::fields::wire_fields! {
    /// An appointment field an edit may change (`PATCH /api/v1/appointments/{id}`,
    /// `appointment.update`).
    AppointmentField {
        /// Workflow status.
        Status = "status",
        /// Start instant.
        StartsAt = "starts_at",
        /// Length in minutes.
        DurationMinutes = "duration_minutes",
        /// The provider (a staff member).
        ProviderId = "provider_id",
        /// Visit type.
        Kind = "kind",
        /// Reason for the visit.
        Reason = "reason",
        /// Notes.
        Notes = "notes",
        /// Why the visit is outside the hours (an override; null clears it).
        OutsideHoursReason = "outside_hours_reason",
        /// The room the patient is in (null: none, back to the waiting room).
        RoomId = "room_id",
    }
}

/// Appointment fields a PATCH may change, by wire name.
pub const APPOINTMENT_EDITABLE_FIELDS: &[&str] = AppointmentField::NAMES;
/// The field of an appointment update proposing the check-in time (not stored as sent: see
/// [`Appointment::checked_in_at`]).
pub const CHECKED_IN_AT_FIELD: &str = "checked_in_at";

#[cfg(test)]
mod tests {
    use super::AppointmentStatus::*;

    #[test]
    fn workflow_allows_the_usual_path_and_refuses_reopening_completed() {
        assert!(Scheduled.can_become(CheckedIn));
        assert!(CheckedIn.can_become(InProgress));
        assert!(InProgress.can_become(Completed));
        assert!(!Completed.can_become(Scheduled));
        assert!(!Cancelled.can_become(CheckedIn));
        assert!(Scheduled.is_live() && !Cancelled.is_live());
    }
}
