//! The clinic's availability on the server: opening hours, providers' working hours and blocks
//! (migration 0007), the routes that set them, and the check every booking and move passes
//! ([`check_booking_fits`]), the same rule the workstations apply from their caches
//! ([`medoffice_model::check_booking`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use medoffice_model::{
    Availability, AvailabilityRules, AvailabilityUpdate, AvailableTime, BlockKind, ErrorBody,
    NewScheduleBlock, Permission, ScheduleBlock,
};
use serde::Serialize;
use sqlx::{PgConnection, Row};
use utoipa::ToSchema;
use uuid::Uuid;

use super::clinic_tz;
use crate::auth::Actor;
use crate::db;
use crate::error::{is_pg_code, AppError, AppResult};
use crate::{ApiJson, AppState};

/// Columns read by [`availability_from_row`].
#[macro_export]
macro_rules! availability_cols {
    () => {
        "id, provider_id, available_time, revision, deleted"
    };
}

/// Columns read by [`block_from_row`].
#[macro_export]
macro_rules! block_cols {
    () => {
        "id, provider_id, starts_at, ends_at, kind, reason, revision, deleted"
    };
}

/// Maps an `availability` row ([`availability_cols`]).
pub fn availability_from_row(r: &sqlx::postgres::PgRow) -> Result<Availability, sqlx::Error> {
    let times: serde_json::Value = r.try_get("available_time")?;
    let available_time: Vec<AvailableTime> =
        serde_json::from_value(times).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(Availability {
        id: r.try_get("id")?,
        provider_id: r.try_get("provider_id")?,
        available_time,
        revision: r.try_get("revision")?,
    })
}

/// Maps a `schedule_blocks` row ([`block_cols`]).
pub fn block_from_row(r: &sqlx::postgres::PgRow) -> Result<ScheduleBlock, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    Ok(ScheduleBlock {
        id: r.try_get("id")?,
        provider_id: r.try_get("provider_id")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        kind: BlockKind::parse(&kind).unwrap_or(BlockKind::Other),
        reason: r.try_get("reason")?,
        revision: r.try_get("revision")?,
        deleted: r.try_get("deleted")?,
    })
}

/// What a booking of `provider_id` between `from` and `to` is checked against: the clinic's
/// opening hours, the provider's working hours (each when set) and the blocks of the clinic and
/// the provider that overlap the stretch.
pub async fn rules_for(
    conn: &mut PgConnection,
    provider_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<
    (
        Option<Availability>,
        Option<Availability>,
        Vec<ScheduleBlock>,
    ),
    sqlx::Error,
> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        availability_cols!(),
        " FROM availability WHERE NOT deleted AND (provider_id IS NULL OR provider_id = $1)"
    ))
    .bind(provider_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut clinic = None;
    let mut provider = None;
    for r in &rows {
        let a = availability_from_row(r)?;
        if a.provider_id.is_some() {
            provider = Some(a);
        } else {
            clinic = Some(a);
        }
    }
    let blocks = sqlx::query(concat!(
        "SELECT ",
        block_cols!(),
        " FROM schedule_blocks WHERE NOT deleted AND (provider_id IS NULL OR provider_id = $1) \
         AND starts_at < $3 AND ends_at > $2"
    ))
    .bind(provider_id)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(block_from_row)
    .collect::<Result<Vec<_>, _>>()?;
    Ok((clinic, provider, blocks))
}

/// Saves the clinic's opening hours (`provider_id` None) or a provider's working hours, as
/// given (validate first): one row per owner, replaced whole.
pub async fn upsert_hours(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    by: Uuid,
    provider_id: Option<Uuid>,
    update: &AvailabilityUpdate,
) -> Result<Availability, sqlx::Error> {
    let times = serde_json::to_value(&update.available_time)
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let row = sqlx::query(concat!(
        "INSERT INTO availability (id, tenant_id, provider_id, available_time, updated_by) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (id) DO UPDATE SET available_time = EXCLUDED.available_time, \
         updated_by = EXCLUDED.updated_by, deleted = false RETURNING ",
        availability_cols!()
    ))
    .bind(provider_id.unwrap_or(tenant_id))
    .bind(tenant_id)
    .bind(provider_id)
    .bind(times)
    .bind(by)
    .fetch_one(conn)
    .await?;
    availability_from_row(&row)
}

/// Inserts a block as given (validate first).
pub async fn insert_block(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    by: Uuid,
    id: Uuid,
    new: &NewScheduleBlock,
) -> Result<ScheduleBlock, sqlx::Error> {
    let row = sqlx::query(concat!(
        "INSERT INTO schedule_blocks (id, tenant_id, provider_id, starts_at, ends_at, kind, \
         reason, created_by, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING ",
        block_cols!()
    ))
    .bind(id)
    .bind(tenant_id)
    .bind(new.provider_id)
    .bind(new.starts_at)
    .bind(new.ends_at)
    .bind(new.kind.as_str())
    .bind(new.reason.trim())
    .bind(by)
    .fetch_one(conn)
    .await?;
    block_from_row(&row)
}

/// Whether a visit of `minutes` from `starts_at` with `provider_id` fits the clinic's hours,
/// the provider's and every block. When it does not: with `override_reason` from a role that
/// may book outside hours, it is booked anyway and the reason is kept (the answer); without,
/// 409 naming why in words, with `details.unavailable` (and `details.block_id`). A reason for a
/// visit that fits is dropped: nothing was overridden. 403 for an override by a role that may
/// not.
pub async fn check_booking_fits(
    conn: &mut PgConnection,
    actor: &Actor,
    provider_id: Uuid,
    starts_at: DateTime<Utc>,
    minutes: i32,
    override_reason: Option<&str>,
) -> AppResult<Option<String>> {
    let ends_at = starts_at + Duration::minutes(i64::from(minutes));
    let (clinic, provider, blocks) = rules_for(conn, provider_id, starts_at, ends_at).await?;
    let tz = clinic_tz(conn).await?;
    let rules = AvailabilityRules {
        clinic: clinic.as_ref(),
        provider: provider.as_ref(),
        blocks: &blocks,
    };
    let Err(why) = medoffice_model::check_booking(&tz, rules, provider_id, starts_at, minutes)
    else {
        return Ok(None);
    };
    if let Some(reason) = override_reason {
        actor.require(Permission::AppointmentOutsideHours)?;
        return Ok(Some(reason.trim().to_owned()));
    }
    let name: String = sqlx::query_scalar("SELECT full_name FROM users WHERE id = $1")
        .bind(provider_id)
        .fetch_optional(&mut *conn)
        .await?
        .unwrap_or_else(|| "The provider".into());
    Err(AppError::Conflict {
        message: why.message(&name),
        details: Some(why.details()),
    })
}

/// `GET /api/v1/availability` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityList {
    /// The clinic's opening hours (when set) and every provider's working hours.
    pub availability: Vec<Availability>,
    /// Blocks that have not ended yet, earliest first.
    pub blocks: Vec<ScheduleBlock>,
}

/// The clinic's opening hours, providers' working hours and the blocks still to come (any
/// signed-in role; the feed carries the same rows to every workstation).
#[utoipa::path(get, path = "/api/v1/availability", tag = "availability",
    responses((status = 200, body = AvailabilityList), (status = 401, body = ErrorBody)))]
pub async fn list(State(st): State<AppState>, actor: Actor) -> AppResult<Json<AvailabilityList>> {
    actor.require(Permission::AppointmentRead)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let availability = sqlx::query(concat!(
        "SELECT ",
        availability_cols!(),
        " FROM availability WHERE NOT deleted ORDER BY provider_id NULLS FIRST"
    ))
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(availability_from_row)
    .collect::<Result<Vec<_>, _>>()?;
    let blocks = sqlx::query(concat!(
        "SELECT ",
        block_cols!(),
        " FROM schedule_blocks WHERE NOT deleted AND ends_at > now() ORDER BY starts_at"
    ))
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(block_from_row)
    .collect::<Result<Vec<_>, _>>()?;
    tx.commit().await?;
    Ok(Json(AvailabilityList {
        availability,
        blocks,
    }))
}

async fn save(
    st: &AppState,
    actor: &Actor,
    provider_id: Option<Uuid>,
    update: AvailabilityUpdate,
) -> AppResult<Availability> {
    actor.require(Permission::ScheduleManage)?;
    update.validate().map_err(AppError::Validation)?;
    let update = update.normalized();
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    if let Some(p) = provider_id {
        let known: Option<bool> = sqlx::query_scalar("SELECT active FROM users WHERE id = $1")
            .bind(p)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(AppError::NotFound("staff member"));
        }
    }
    let id = provider_id.unwrap_or(actor.tenant_id);
    let a = upsert_hours(
        &mut tx,
        actor.tenant_id,
        actor.user_id,
        provider_id,
        &update,
    )
    .await?;
    super::audit_setup(&mut tx, actor, "availability.update", "availability", id).await?;
    tx.commit().await?;
    Ok(a)
}

/// Sets the clinic's opening hours (admin): the whole week at once; a weekday with no stretch
/// is closed. Bookings already made are not moved; the grid shows any now outside the hours.
#[utoipa::path(put, path = "/api/v1/availability/clinic", tag = "availability",
    request_body = AvailabilityUpdate,
    responses((status = 200, body = Availability), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_clinic(
    State(st): State<AppState>,
    actor: Actor,
    ApiJson(update): ApiJson<AvailabilityUpdate>,
) -> AppResult<Json<Availability>> {
    Ok(Json(save(&st, &actor, None, update).await?))
}

/// Sets one provider's working hours (admin): the whole week at once; a weekday with no
/// stretch is a day off. 404 for a staff member not in this clinic.
#[utoipa::path(put, path = "/api/v1/availability/providers/{id}", tag = "availability",
    params(("id" = Uuid, Path, description = "The provider's user id")),
    request_body = AvailabilityUpdate,
    responses((status = 200, body = Availability), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_provider(
    State(st): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(update): ApiJson<AvailabilityUpdate>,
) -> AppResult<Json<Availability>> {
    Ok(Json(save(&st, &actor, Some(id), update).await?))
}

/// Removes a provider's own hours (admin): they work whenever the clinic is open again.
/// 404 when they had none.
#[utoipa::path(delete, path = "/api/v1/availability/providers/{id}", tag = "availability",
    params(("id" = Uuid, Path, description = "The provider's user id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_provider(
    State(st): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<StatusCode> {
    remove(&st, &actor, id, true).await
}

/// Clears the clinic's opening hours (admin): any time is bookable again, within providers'
/// own hours and blocks. 404 when none were set.
#[utoipa::path(delete, path = "/api/v1/availability/clinic", tag = "availability",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_clinic(State(st): State<AppState>, actor: Actor) -> AppResult<StatusCode> {
    remove(&st, &actor, actor.tenant_id, false).await
}

async fn remove(st: &AppState, actor: &Actor, id: Uuid, provider: bool) -> AppResult<StatusCode> {
    actor.require(Permission::ScheduleManage)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    // the provider route never clears the clinic's own hours (and the clinic route no provider's)
    let done = sqlx::query(
        "UPDATE availability SET deleted = true, updated_by = $2 \
         WHERE id = $1 AND NOT deleted AND (provider_id IS NOT NULL) = $3",
    )
    .bind(id)
    .bind(actor.user_id)
    .bind(provider)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound("hours"));
    }
    super::audit_setup(&mut tx, actor, "availability.delete", "availability", id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Blocks time (admin): a closed date for the whole clinic (`provider_id` absent) or a
/// provider's leave, meeting or lunch. Bookings already in it stay; new ones are refused there.
/// Idempotent by `id`: the same body again answers the block already made (200); another body
/// with that id is 409 on `id`.
#[utoipa::path(post, path = "/api/v1/schedule-blocks", tag = "availability",
    request_body = NewScheduleBlock,
    responses((status = 201, body = ScheduleBlock), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_block(
    State(st): State<AppState>,
    actor: Actor,
    ApiJson(new): ApiJson<NewScheduleBlock>,
) -> AppResult<(StatusCode, Json<ScheduleBlock>)> {
    actor.require(Permission::ScheduleManage)?;
    new.validate().map_err(AppError::Validation)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let id = new.id.unwrap_or_else(Uuid::now_v7);
    if let Some(row) = sqlx::query(concat!(
        "SELECT ",
        block_cols!(),
        " FROM schedule_blocks WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    {
        // the same block sent again answers as made; another body with that id is refused
        let b = block_from_row(&row)?;
        let same = !b.deleted
            && b.provider_id == new.provider_id
            // PostgreSQL keeps microseconds
            && b.starts_at.timestamp_micros() == new.starts_at.timestamp_micros()
            && b.ends_at.timestamp_micros() == new.ends_at.timestamp_micros()
            && b.kind == new.kind
            && b.reason == new.reason.trim();
        tx.commit().await?;
        if !same {
            return Err(AppError::conflict_field("id", "is already in use"));
        }
        return Ok((StatusCode::OK, Json(b)));
    }
    if let Some(p) = new.provider_id {
        let known: Option<bool> = sqlx::query_scalar("SELECT active FROM users WHERE id = $1")
            .bind(p)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(AppError::field(
                "provider_id",
                "no such staff member in this clinic",
            ));
        }
    }
    let b = insert_block(&mut tx, actor.tenant_id, actor.user_id, id, &new)
        .await
        .map_err(|e| {
            // an id taken in another clinic answers like any id in use, never 500
            if is_pg_code(&e, "23505") {
                AppError::conflict_field("id", "is already in use")
            } else {
                e.into()
            }
        })?;
    super::audit_setup(
        &mut tx,
        &actor,
        "schedule_block.create",
        "schedule_block",
        id,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(b)))
}

/// Removes a block (admin); its time is bookable again. 404 for an unknown or removed block.
#[utoipa::path(delete, path = "/api/v1/schedule-blocks/{id}", tag = "availability",
    params(("id" = Uuid, Path, description = "Block id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_block(
    State(st): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<StatusCode> {
    actor.require(Permission::ScheduleManage)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let done = sqlx::query(
        "UPDATE schedule_blocks SET deleted = true, updated_by = $2 WHERE id = $1 AND NOT deleted",
    )
    .bind(id)
    .bind(actor.user_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound("block"));
    }
    super::audit_setup(
        &mut tx,
        &actor,
        "schedule_block.delete",
        "schedule_block",
        id,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
