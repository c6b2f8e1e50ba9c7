//! Rooms, visit types and the clinic-wide waiting room on a workstation: the flow board of the clinic's day
//! read from the cache (offline too, live as the feed brings changes), a visit shown to a room
//! as an outbox edit of the booking (offline-safe, merged like any field), and rooms managed
//! by administrators online.

use std::collections::BTreeMap;

use medoffice_model::{
    flow_board, room_occupant, AppointmentField, AppointmentStatus, FlowState, NewRoom,
    NewVisitType, Permission, Room, RoomPatch, RoomUse, VisitType, VisitTypePatch,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::api::{ApiClient, ApiError};
use crate::view::{AppointmentRow, CommandError, ErrorCode};
use crate::{internal, local, Workstation};

/// One visit on the flow board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FlowRow {
    /// The booking, with patient and provider names.
    pub row: AppointmentRow,
    /// Where it stands ([`medoffice_model::flow_state`] at the time of reading).
    pub state: FlowState,
    /// The room's name, when the patient was shown to one.
    pub room_name: Option<String>,
}

/// `flow_board` answer: the clinic's day, every provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FlowBoard {
    /// Visits of the day that are not cancelled or no-shows: in the building first (waiting
    /// longest first, then in a room, then with the clinician), then late and not arrived, then
    /// expected by time, then done.
    pub rows: Vec<FlowRow>,
    /// Rooms in use, by name, with the visit in each (null when free).
    pub rooms: Vec<RoomUse>,
}

impl ApiClient {
    /// `POST /api/v1/rooms`.
    pub async fn create_room(&self, token: &str, new: &NewRoom) -> Result<Room, ApiError> {
        self.send_json(
            self.authed(reqwest::Method::POST, "/api/v1/rooms", token)
                .json(new),
        )
        .await
    }

    /// `PATCH /api/v1/rooms/{id}`.
    pub async fn update_room(
        &self,
        token: &str,
        id: Uuid,
        patch: &RoomPatch,
    ) -> Result<Room, ApiError> {
        self.send_json(
            self.authed(
                reqwest::Method::PATCH,
                &format!("/api/v1/rooms/{id}"),
                token,
            )
            .json(patch),
        )
        .await
    }
}

impl ApiClient {
    /// `POST /api/v1/visit-types`.
    pub async fn create_visit_type(
        &self,
        token: &str,
        new: &NewVisitType,
    ) -> Result<VisitType, ApiError> {
        self.send_json(
            self.authed(reqwest::Method::POST, "/api/v1/visit-types", token)
                .json(new),
        )
        .await
    }

    /// `PATCH /api/v1/visit-types/{id}`.
    pub async fn update_visit_type(
        &self,
        token: &str,
        id: Uuid,
        patch: &VisitTypePatch,
    ) -> Result<VisitType, ApiError> {
        self.send_json(
            self.authed(
                reqwest::Method::PATCH,
                &format!("/api/v1/visit-types/{id}"),
                token,
            )
            .json(patch),
        )
        .await
    }
}

impl Workstation {
    /// The clinic's visit types (retired ones too), by name, from the cache.
    pub async fn visit_types(&self) -> Result<Vec<VisitType>, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentRead)?;
        let types = s.cache().visit_types()?;
        Ok(types)
    }

    /// Adds a visit type (admin, online); a name or code in use is refused on that field.
    pub async fn add_visit_type(&self, mut new: NewVisitType) -> Result<VisitType, CommandError> {
        let s = self.rooms_admin().await?;
        new.name = new.name.trim().to_owned();
        new.code = new.code.trim().to_uppercase();
        new.validate().map_err(CommandError::validation)?;
        new.id = Some(new.id.unwrap_or_else(Uuid::now_v7));
        let t = s
            .online(|tok| {
                let (api, new) = (s.api.clone(), new.clone());
                async move { api.create_visit_type(&tok, &new).await }
            })
            .await?;
        s.wake();
        Ok(t)
    }

    /// Renames a visit type, changes its length or colour, or retires it (admin, online).
    pub async fn update_visit_type(
        &self,
        id: Uuid,
        patch: VisitTypePatch,
    ) -> Result<VisitType, CommandError> {
        let s = self.rooms_admin().await?;
        patch.validate().map_err(CommandError::validation)?;
        let t = s
            .online(|tok| {
                let (api, patch) = (s.api.clone(), patch.clone());
                async move { api.update_visit_type(&tok, id, &patch).await }
            })
            .await?;
        s.wake();
        Ok(t)
    }

    /// The clinic's rooms (out-of-use ones too), by name, from the cache.
    pub async fn rooms(&self) -> Result<Vec<Room>, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentRead)?;
        let rooms = s.cache().rooms()?;
        Ok(rooms)
    }

    /// Today's flow board (clinic time zone): every provider's visits with where each stands,
    /// and the rooms with who is in them. From the cache: offline too.
    pub async fn flow_board(&self) -> Result<FlowBoard, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentRead)?;
        let now = s.now();
        let (from, to) = s.day_bounds(s.today());
        let cache = s.cache();
        let staff = cache.staff()?;
        let rooms = cache.rooms()?;
        let board = flow_board(
            local::appointments_between(&cache, from, to)?,
            |a| &a.record,
            now,
        );
        let in_use: Vec<RoomUse> = rooms
            .iter()
            .filter(|r| r.active)
            .cloned()
            .map(|room| RoomUse {
                appointment_id: room_occupant(&board, |a| &a.record, room.id),
                room,
            })
            .collect();
        let mut rows = Vec::with_capacity(board.len());
        for (a, state) in board {
            let room_name = a
                .record
                .room_id
                // a room retired during the day still names where the patient is
                .and_then(|id| rooms.iter().find(|r| r.id == id))
                .map(|r| r.name.clone());
            rows.push(FlowRow {
                row: local::row(&cache, a, &staff)?,
                state,
                room_name,
            });
        }
        Ok(FlowBoard {
            rows,
            rooms: in_use,
        })
    }

    /// Shows a checked-in patient to a room, or back to the waiting room (`room_id` null): an
    /// outbox edit of the booking's `room_id` (offline-safe; the server checks the room again).
    /// Refused at once for a visit that is not checked in or under way, or a room not in use.
    pub async fn set_appointment_room(
        &self,
        id: Uuid,
        room_id: Option<Uuid>,
    ) -> Result<AppointmentRow, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentWrite)?;
        let current = local::appointment(&s.cache(), id)?
            .ok_or_else(|| CommandError::new(ErrorCode::NotFound, "No such appointment"))?;
        let mut f = medoffice_model::FieldErrors::new();
        if !matches!(
            current.record.status,
            AppointmentStatus::CheckedIn | AppointmentStatus::InProgress
        ) {
            f.add("status", "check the patient in first");
        }
        if let Some(r) = room_id {
            match s.cache().rooms()?.into_iter().find(|x| x.id == r) {
                Some(room) if room.active => {}
                Some(_) => f.add("room_id", "this room is out of use"),
                None => f.add("room_id", "no such room in this clinic"),
            }
        }
        f.into_result().map_err(CommandError::validation)?;
        if current.record.room_id == room_id {
            return local::row(&s.cache(), current, &s.cache().staff()?);
        }
        let mut changes = BTreeMap::new();
        changes.insert(
            AppointmentField::RoomId,
            serde_json::to_value(room_id).map_err(internal)?,
        );
        self.update_appointment(&s, id, changes, None).await
    }

    async fn rooms_admin(&self) -> Result<std::sync::Arc<crate::Session>, CommandError> {
        let s = self.session().await?;
        if !s.user.role.can(Permission::ScheduleManage) {
            return Err(CommandError::new(
                ErrorCode::Forbidden,
                "Only the clinic's administrators may add or change rooms and visit types",
            ));
        }
        Ok(s)
    }

    /// Adds a room (admin, online). `name` taken: `validation`-like 409 on `name`.
    pub async fn add_room(&self, name: String) -> Result<Room, CommandError> {
        let s = self.rooms_admin().await?;
        let mut f = medoffice_model::FieldErrors::new();
        medoffice_model::validate_room_name(&name, &mut f);
        f.into_result().map_err(CommandError::validation)?;
        let new = NewRoom {
            id: Some(Uuid::now_v7()),
            name: name.trim().to_owned(),
        };
        let room = s
            .online(|t| {
                let (api, new) = (s.api.clone(), new.clone());
                async move { api.create_room(&t, &new).await }
            })
            .await?;
        s.wake();
        Ok(room)
    }

    /// Renames a room or takes it out of (or back into) use (admin, online).
    pub async fn update_room(&self, id: Uuid, patch: RoomPatch) -> Result<Room, CommandError> {
        let s = self.rooms_admin().await?;
        let mut f = medoffice_model::FieldErrors::new();
        if let Some(name) = &patch.name {
            medoffice_model::validate_room_name(name, &mut f);
        }
        f.into_result().map_err(CommandError::validation)?;
        let room = s
            .online(|t| {
                let (api, patch) = (s.api.clone(), patch.clone());
                async move { api.update_room(&t, id, &patch).await }
            })
            .await?;
        s.wake();
        Ok(room)
    }
}
