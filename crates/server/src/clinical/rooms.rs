//! Rooms (migration 0008): the routes that list, add, rename and retire them, and the check a
//! visit's `room_id` passes. Where a visit stands on the flow board is derived from the booking
//! ([`medoffice_model::flow_state`]); nothing here stores it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use medoffice_model::{
    ErrorBody, FieldErrors, FlowBoardDay, FlowState, FlowVisit, NewRoom, Permission, Room,
    RoomPatch, RoomUse,
};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::appointments::appointment_cols;
use crate::audit;
use crate::auth::Actor;
use crate::db;
use crate::error::{is_pg_code, AppError, AppResult};
use crate::{ApiJson, AppState};

/// Columns read by [`room_from_row`].
#[macro_export]
macro_rules! room_cols {
    () => {
        "id, name, active, revision"
    };
}

/// Maps a `rooms` row ([`room_cols`]).
pub fn room_from_row(r: &sqlx::postgres::PgRow) -> Result<Room, sqlx::Error> {
    Ok(Room {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        active: r.try_get("active")?,
        revision: r.try_get("revision")?,
    })
}

/// A visit may be shown to `room_id` only when it is an active room of this clinic (row-level
/// security hides other clinics' rooms; the foreign key alone would not). 422 on `room_id`.
pub async fn check_room(conn: &mut PgConnection, room_id: Uuid) -> AppResult<()> {
    super::check_usable(
        conn,
        "SELECT active FROM rooms WHERE id = $1",
        room_id,
        "room_id",
        "this room is out of use",
        "no such room in this clinic",
    )
    .await
}

fn name_taken(e: sqlx::Error) -> AppError {
    if is_pg_code(&e, "23505") {
        AppError::conflict_field("name", "is already the name of a room in this clinic")
    } else {
        e.into()
    }
}

/// The clinic's rooms, out-of-use ones too, by name (any signed-in role that reads the schedule).
#[utoipa::path(get, path = "/api/v1/rooms", tag = "rooms",
    responses((status = 200, body = Vec<Room>), (status = 401, body = ErrorBody)))]
pub async fn list(State(st): State<AppState>, actor: Actor) -> AppResult<Json<Vec<Room>>> {
    actor.require(Permission::AppointmentRead)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let rooms = sqlx::query(concat!(
        "SELECT ",
        room_cols!(),
        " FROM rooms ORDER BY lower(name)"
    ))
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(room_from_row)
    .collect::<Result<Vec<_>, _>>()?;
    tx.commit().await?;
    Ok(Json(rooms))
}

/// Adds a room (admin). 409 on `name` when another room has it. Idempotent by `id` (the same
/// name again answers the room; another name with that id is 409 on `id`).
#[utoipa::path(post, path = "/api/v1/rooms", tag = "rooms", request_body = NewRoom,
    responses((status = 201, body = Room), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    actor: Actor,
    ApiJson(new): ApiJson<NewRoom>,
) -> AppResult<(StatusCode, Json<Room>)> {
    actor.require(Permission::ScheduleManage)?;
    let mut e = FieldErrors::new();
    medoffice_model::validate_room_name(&new.name, &mut e);
    e.into_result().map_err(AppError::Validation)?;
    let id = new.id.unwrap_or_else(Uuid::now_v7);
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    if let Some(row) = sqlx::query(concat!(
        "SELECT ",
        room_cols!(),
        " FROM rooms WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    {
        // the same room sent again answers as made; another name with that id is refused
        let room = room_from_row(&row)?;
        tx.commit().await?;
        if room.name != new.name.trim() {
            return Err(AppError::conflict_field("id", "is already in use"));
        }
        return Ok((StatusCode::OK, Json(room)));
    }
    let row = sqlx::query(concat!(
        "INSERT INTO rooms (id, tenant_id, name, created_by, updated_by) VALUES ($1, $2, $3, $4, $4) RETURNING ",
        room_cols!()
    ))
    .bind(id)
    .bind(actor.tenant_id)
    .bind(new.name.trim())
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        // an id taken in another clinic answers like any id in use, never 500
        if is_pg_code(&e, "23505") && e.to_string().contains("rooms_pkey") {
            AppError::conflict_field("id", "is already in use")
        } else {
            name_taken(e)
        }
    })?;
    let room = room_from_row(&row)?;
    super::audit_setup(&mut tx, &actor, "room.create", "room", id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(room)))
}

/// Renames a room or takes it out of (or back into) use (admin). A room out of use keeps its
/// past visits and is not offered any more. 404 for a room not in this clinic.
#[utoipa::path(patch, path = "/api/v1/rooms/{id}", tag = "rooms", request_body = RoomPatch,
    params(("id" = Uuid, Path, description = "Room id")),
    responses((status = 200, body = Room), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch(
    State(st): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(patch): ApiJson<RoomPatch>,
) -> AppResult<Json<Room>> {
    actor.require(Permission::ScheduleManage)?;
    let mut e = FieldErrors::new();
    if let Some(name) = &patch.name {
        medoffice_model::validate_room_name(name, &mut e);
    }
    e.into_result().map_err(AppError::Validation)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let row = sqlx::query(concat!(
        "UPDATE rooms SET name = coalesce($2, name), active = coalesce($3, active), updated_by = $4 \
         WHERE id = $1 RETURNING ",
        room_cols!()
    ))
    .bind(id)
    .bind(patch.name.as_deref().map(str::trim))
    .bind(patch.active)
    .bind(actor.user_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(name_taken)?
    .ok_or(AppError::NotFound("room"))?;
    let room = room_from_row(&row)?;
    super::audit_setup(&mut tx, &actor, "room.update", "room", id).await?;
    tx.commit().await?;
    Ok(Json(room))
}

/// `GET /api/v1/flow-board` query.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct FlowBoardQuery {
    /// The clinic-local day (`YYYY-MM-DD`); today in the clinic's time zone when absent.
    pub date: Option<chrono::NaiveDate>,
}

/// The clinic's waiting room on one day, every provider: each visit with where it stands
/// ([`medoffice_model::flow_state`], the rule the workstations apply to their caches), the
/// patient's name and MRN, the room, and minutes waited since check-in; the rooms in use with
/// who is in each. For a waiting-room display or another system; the workstations read their
/// own cache. Any role that reads the schedule and patients. Every visit shown is audited
/// (`flow_board.read`, under its patient).
#[utoipa::path(get, path = "/api/v1/flow-board", tag = "rooms", params(FlowBoardQuery),
    responses((status = 200, body = FlowBoardDay), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn flow_board(
    State(st): State<AppState>,
    actor: Actor,
    axum::extract::Query(q): axum::extract::Query<FlowBoardQuery>,
) -> AppResult<Json<FlowBoardDay>> {
    actor.require(Permission::AppointmentRead)?;
    // names and MRNs: part of the patients' records
    actor.require(Permission::PatientRead)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let tz = super::clinic_tz(&mut tx).await?;
    let now = chrono::Utc::now();
    let date = q
        .date
        .unwrap_or_else(|| now.with_timezone(&tz).date_naive());
    let (from, to) = medoffice_model::day_bounds(&tz, date, date);
    let rows = sqlx::query(concat!(
        "SELECT a.*, p.family_name || ', ' || p.given_name AS patient_name, p.mrn AS patient_mrn, \
         u.full_name AS provider_name FROM (SELECT ",
        appointment_cols!(),
        " FROM appointments WHERE NOT deleted AND starts_at >= $1 AND starts_at < $2 \
         AND status NOT IN ('cancelled', 'no_show')) a \
         JOIN patients p ON p.id = a.patient_id JOIN users u ON u.id = a.provider_id"
    ))
    .bind(from)
    .bind(to)
    .fetch_all(&mut *tx)
    .await?;
    let mut visits = Vec::with_capacity(rows.len());
    for r in &rows {
        let names: (String, String, String) = (
            r.try_get("patient_name")?,
            r.try_get("patient_mrn")?,
            r.try_get("provider_name")?,
        );
        visits.push((super::appointments::appointment_from_row(r)?, names));
    }
    let rooms = sqlx::query(concat!("SELECT ", room_cols!(), " FROM rooms"))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(room_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let board = medoffice_model::flow_board(visits, |(a, _)| a, now);
    let mut in_use: Vec<RoomUse> = rooms
        .iter()
        .filter(|r| r.active)
        .map(|room| RoomUse {
            appointment_id: medoffice_model::room_occupant(&board, |(a, _)| a, room.id),
            room: room.clone(),
        })
        .collect();
    in_use.sort_by_key(|r| r.room.name.to_lowercase());
    // one entry per visit shown, under its patient, so each patient's accesses list it
    let shown: Vec<(&Actor, Uuid, Uuid)> = board
        .iter()
        .map(|((a, _), _)| (&actor, a.id, a.patient_id))
        .collect();
    audit::record_successes(
        &mut tx,
        actor.tenant_id,
        "flow_board.read",
        "appointment",
        &shown,
    )
    .await?;
    let visits = board
        .into_iter()
        .map(
            |((a, (patient_name, patient_mrn, provider_name)), state)| FlowVisit {
                room_name: a
                    .room_id
                    .and_then(|id| rooms.iter().find(|r| r.id == id))
                    .map(|r| r.name.clone()),
                waiting_minutes: match state {
                    FlowState::Waiting | FlowState::InRoom => {
                        a.checked_in_at.map(|t| (now - t).num_minutes().max(0))
                    }
                    _ => None,
                },
                appointment: a,
                state,
                patient_name,
                patient_mrn,
                provider_name,
            },
        )
        .collect();
    tx.commit().await?;
    Ok(Json(FlowBoardDay {
        date,
        time_zone: tz.name().to_owned(),
        as_of: now,
        visits,
        rooms: in_use,
    }))
}
