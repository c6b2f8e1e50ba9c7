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
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS, ToSchema,
)]
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

/// A room and who is in it, on the flow board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct RoomUse {
    /// The room (in use).
    pub room: Room,
    /// The visit in it now (checked in and shown there, or with the clinician there); null when
    /// free.
    pub appointment_id: Option<Uuid>,
}

/// One visit on `GET /api/v1/flow-board`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FlowVisit {
    /// The booking.
    pub appointment: Appointment,
    /// Where it stands ([`flow_state`] at the board's `as_of`).
    pub state: FlowState,
    /// "Family, Given".
    pub patient_name: String,
    /// The patient's medical record number.
    pub patient_mrn: String,
    /// The provider's full name.
    pub provider_name: String,
    /// The room's name, when the patient was shown to one.
    pub room_name: Option<String>,
    /// Whole minutes since check-in, while waiting or in a room (null otherwise, or when the
    /// check-in time is unknown).
    pub waiting_minutes: Option<i64>,
}

/// `GET /api/v1/flow-board` answer: the clinic's waiting room on one day, every provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FlowBoardDay {
    /// The clinic-local day.
    pub date: chrono::NaiveDate,
    /// The clinic's IANA time zone, in which `date` is read.
    pub time_zone: String,
    /// When the states were judged (late and not-arrived follow the clock).
    pub as_of: DateTime<Utc>,
    /// The day's visits, cancelled ones and no-shows left out, in [`flow_board`] order.
    pub visits: Vec<FlowVisit>,
    /// Rooms in use, by name, with who is in each.
    pub rooms: Vec<RoomUse>,
}

/// Where a state sorts on the board.
fn board_rank(state: FlowState) -> u8 {
    match state {
        FlowState::Waiting => 0,
        FlowState::InRoom => 1,
        FlowState::WithClinician => 2,
        FlowState::Late => 3,
        FlowState::NotArrived => 4,
        FlowState::Expected => 5,
        FlowState::Done => 6,
    }
}

/// The day's visits as the flow board lists them, each with its [`flow_state`] at `now`;
/// cancelled visits and no-shows left out. In the building first (waiting, longest first; in a
/// room; with the clinician), then late and not arrived, then expected, then done, each by
/// start. `visit` reads the booking out of whatever a caller holds (a cache row, a server row).
pub fn flow_board<T>(
    visits: impl IntoIterator<Item = T>,
    visit: impl Fn(&T) -> &Appointment,
    now: DateTime<Utc>,
) -> Vec<(T, FlowState)> {
    let mut board: Vec<(T, FlowState)> = visits
        .into_iter()
        .filter_map(|v| flow_state(visit(&v), now).map(|s| (v, s)))
        .collect();
    board.sort_by_key(|(v, state)| {
        let a = visit(v);
        let since = match state {
            FlowState::Waiting => a.checked_in_at.unwrap_or(a.starts_at),
            _ => a.starts_at,
        };
        (board_rank(*state), since, a.id)
    });
    board
}

/// The visit in room `room` on a board from [`flow_board`]: shown there and checked in, or with
/// the clinician there. None when the room is free.
pub fn room_occupant<T>(
    board: &[(T, FlowState)],
    visit: impl Fn(&T) -> &Appointment,
    room: Uuid,
) -> Option<Uuid> {
    board
        .iter()
        .find(|(v, state)| {
            matches!(state, FlowState::InRoom | FlowState::WithClinician)
                && visit(v).room_id == Some(room)
        })
        .map(|(v, _)| visit(v).id)
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

    #[test]
    fn the_board_lists_who_waited_longest_first_and_finds_who_is_in_a_room() {
        use AppointmentStatus::*;
        let at = |s: &str| -> DateTime<Utc> { s.parse().unwrap() };
        let room = Uuid::from_u128(7);
        let v = |n: u128, status, start: &str, checked_in: Option<&str>, room_id| {
            let mut a = visit(status, room_id);
            a.id = Uuid::from_u128(n);
            a.starts_at = at(start);
            a.checked_in_at = checked_in.map(at);
            a
        };
        let visits = vec![
            v(1, Completed, "2026-12-07T08:00:00Z", None, None),
            v(2, Scheduled, "2026-12-07T11:00:00Z", None, None),
            v(
                3,
                CheckedIn,
                "2026-12-07T09:30:00Z",
                Some("2026-12-07T09:10:00Z"),
                None,
            ),
            v(
                4,
                CheckedIn,
                "2026-12-07T09:00:00Z",
                Some("2026-12-07T09:20:00Z"),
                None,
            ),
            v(5, InProgress, "2026-12-07T08:30:00Z", None, Some(room)),
            v(6, Scheduled, "2026-12-07T08:45:00Z", None, None),
            v(7, Cancelled, "2026-12-07T09:00:00Z", None, None),
            v(8, Scheduled, "2026-12-07T09:25:00Z", None, None),
        ];
        let board = flow_board(visits, |a| a, at("2026-12-07T09:30:00Z"));
        let order: Vec<(u128, FlowState)> =
            board.iter().map(|(a, s)| (a.id.as_u128(), *s)).collect();
        assert_eq!(
            order,
            vec![
                // checked in at 09:10 waited longer than the 09:00 visit checked in at 09:20
                (3, FlowState::Waiting),
                (4, FlowState::Waiting),
                (5, FlowState::WithClinician),
                (8, FlowState::Late),
                (6, FlowState::NotArrived),
                (2, FlowState::Expected),
                (1, FlowState::Done),
            ]
        );
        assert_eq!(room_occupant(&board, |a| a, room), Some(Uuid::from_u128(5)));
        assert_eq!(room_occupant(&board, |a| a, Uuid::from_u128(99)), None);
    }
}
