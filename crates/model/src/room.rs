//! Rooms and the clinic's waiting room (issue 12): the rooms a clinic sees patients in, and the
//! state of each of the day's visits on the flow board, derived from the booking alone so every
//! workstation (and the arrivals list and "My patients today") shows the same thing.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{Appointment, AppointmentStatus, FieldErrors};

/// A room patients are seen in (FHIR `Location` with a physical type of room), as the feed
/// carries it (`entity: "room"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct Room {
    /// Id.
    pub id: Uuid,
    /// Name as staff say it ("Room 2", "Triage"), unique in the clinic (case-insensitive).
    pub name: String,
    /// False once taken out of use: kept for past visits, not offered any more.
    pub active: bool,
    /// Feed revision.
    #[ts(type = "number")]
    pub revision: i64,
}

/// `POST /api/v1/rooms` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct NewRoom {
    /// Client-made id; the server makes one when absent.
    #[serde(default)]
    #[ts(optional)]
    pub id: Option<Uuid>,
    /// 1–60 characters.
    pub name: String,
}

/// `PATCH /api/v1/rooms/{id}` body: only what changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct RoomPatch {
    /// New name, 1–60 characters.
    #[serde(default)]
    #[ts(optional)]
    pub name: Option<String>,
    /// Take out of use (false) or back into use (true).
    #[serde(default)]
    #[ts(optional)]
    pub active: Option<bool>,
}

/// Adds an error under `name` when a short name (a room, a visit type) is blank or longer than
/// 60 characters (what the tables' checks allow).
pub fn validate_room_name(name: &str, e: &mut FieldErrors) {
    let n = name.trim().chars().count();
    if n == 0 {
        e.add("name", "is required");
    } else if n > 60 {
        e.add("name", "must be at most 60 characters");
    }
}

/// Where a visit of the day stands on the flow board. Derived by [`flow_state`], never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum FlowState {
    /// Checked in, not yet in a room.
    Waiting,
    /// Checked in and shown to a room.
    InRoom,
    /// With the clinician (the visit is in progress).
    WithClinician,
    /// Booked, the start has passed, not checked in, within the booked time.
    Late,
    /// Booked, the booked time is over, not checked in.
    NotArrived,
    /// Booked, not started yet.
    Expected,
    /// The visit is over.
    Done,
}

/// The state of `a` on the flow board at `now`; None for a cancelled visit or a no-show (they
/// are not on the board). A no-show is a decision staff make, not the clock: a booking past its
/// time stays `not_arrived` until someone marks it.
pub fn flow_state(a: &Appointment, now: DateTime<Utc>) -> Option<FlowState> {
    Some(match a.status {
        AppointmentStatus::CheckedIn if a.room_id.is_some() => FlowState::InRoom,
        AppointmentStatus::CheckedIn => FlowState::Waiting,
        AppointmentStatus::InProgress => FlowState::WithClinician,
        AppointmentStatus::Completed => FlowState::Done,
        AppointmentStatus::Scheduled if now < a.starts_at => FlowState::Expected,
        AppointmentStatus::Scheduled
            if now < a.starts_at + Duration::minutes(i64::from(a.duration_minutes)) =>
        {
            FlowState::Late
        }
        AppointmentStatus::Scheduled => FlowState::NotArrived,
        AppointmentStatus::Cancelled | AppointmentStatus::NoShow => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::AppointmentKind;

    fn visit(status: AppointmentStatus, room: Option<Uuid>) -> Appointment {
        Appointment {
            id: Uuid::nil(),
            patient_id: Uuid::nil(),
            provider_id: Uuid::nil(),
            starts_at: "2026-12-07T09:00:00Z".parse().unwrap(),
            duration_minutes: 20,
            kind: AppointmentKind::FollowUp,
            status,
            reason: None,
            notes: None,
            overbooked: false,
            outside_hours_reason: None,
            room_id: room,
            series_id: None,
            visit_type_id: None,
            checked_in_at: None,
            revision: 1,
            deleted: false,
        }
    }

    #[test]
    fn the_board_follows_the_booking_and_the_clock_at_its_edges() {
        use AppointmentStatus::*;
        let at = |s: &str| -> DateTime<Utc> { s.parse().unwrap() };
        let s = visit(Scheduled, None);
        assert_eq!(
            flow_state(&s, at("2026-12-07T08:59:59Z")),
            Some(FlowState::Expected)
        );
        assert_eq!(
            flow_state(&s, at("2026-12-07T09:00:00Z")),
            Some(FlowState::Late)
        );
        assert_eq!(
            flow_state(&s, at("2026-12-07T09:19:59Z")),
            Some(FlowState::Late)
        );
        assert_eq!(
            flow_state(&s, at("2026-12-07T09:20:00Z")),
            Some(FlowState::NotArrived)
        );
        let now = at("2026-12-07T09:05:00Z");
        assert_eq!(
            flow_state(&visit(CheckedIn, None), now),
            Some(FlowState::Waiting)
        );
        assert_eq!(
            flow_state(&visit(CheckedIn, Some(Uuid::nil())), now),
            Some(FlowState::InRoom)
        );
        assert_eq!(
            flow_state(&visit(InProgress, Some(Uuid::nil())), now),
            Some(FlowState::WithClinician)
        );
        assert_eq!(
            flow_state(&visit(Completed, None), now),
            Some(FlowState::Done)
        );
        assert_eq!(flow_state(&visit(Cancelled, None), now), None);
        assert_eq!(flow_state(&visit(NoShow, None), now), None);
        let mut e = FieldErrors::new();
        validate_room_name("  ", &mut e);
        validate_room_name(&"x".repeat(61), &mut e);
        assert_eq!(e.0["name"].len(), 2);
    }
}
