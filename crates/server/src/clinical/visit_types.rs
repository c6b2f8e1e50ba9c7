//! The clinic's visit types (migration 0011): the routes that list, add, change and retire them,
//! and the check a booking's `visit_type_id` passes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use medoffice_model::{
    AppointmentKind, ErrorBody, NewVisitType, Permission, VisitColour, VisitType, VisitTypePatch,
};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::parse_enum;
use crate::auth::Actor;
use crate::db;
use crate::error::{is_pg_code, AppError, AppResult};
use crate::{ApiJson, AppState};

/// Columns read by [`visit_type_from_row`].
#[macro_export]
macro_rules! visit_type_cols {
    () => {
        "id, name, code, kind, default_minutes, colour, active, revision"
    };
}

/// Maps a `visit_types` row ([`visit_type_cols`]).
pub fn visit_type_from_row(r: &sqlx::postgres::PgRow) -> Result<VisitType, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let colour: String = r.try_get("colour")?;
    Ok(VisitType {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        code: r.try_get("code")?,
        kind: parse_enum(&kind).unwrap_or(AppointmentKind::Other),
        default_minutes: r.try_get("default_minutes")?,
        colour: VisitColour::parse(&colour).unwrap_or(VisitColour::Slate),
        active: r.try_get("active")?,
        revision: r.try_get("revision")?,
    })
}

/// A booking may use `id` only when it is an active visit type of this clinic (row-level
/// security hides other clinics'; the foreign key alone would not). 422 on `visit_type_id`.
pub async fn check_visit_type(conn: &mut PgConnection, id: Uuid) -> AppResult<()> {
    super::check_usable(
        conn,
        "SELECT active FROM visit_types WHERE id = $1",
        id,
        "visit_type_id",
        "this visit type is retired",
        "no such visit type in this clinic",
    )
    .await
}

fn taken(e: sqlx::Error) -> AppError {
    if is_pg_code(&e, "23505") {
        let text = e.to_string();
        if text.contains("visit_types_tenant_code") {
            return AppError::conflict_field("code", "is already the code of a visit type");
        }
        if text.contains("visit_types_pkey") {
            return AppError::conflict_field("id", "is already in use");
        }
        return AppError::conflict_field("name", "is already the name of a visit type");
    }
    e.into()
}

/// The clinic's visit types, retired ones too, by name.
#[utoipa::path(get, path = "/api/v1/visit-types", tag = "visit types",
    responses((status = 200, body = Vec<VisitType>), (status = 401, body = ErrorBody)))]
pub async fn list(State(st): State<AppState>, actor: Actor) -> AppResult<Json<Vec<VisitType>>> {
    actor.require(Permission::AppointmentRead)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let types = sqlx::query(concat!(
        "SELECT ",
        visit_type_cols!(),
        " FROM visit_types ORDER BY lower(name)"
    ))
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(visit_type_from_row)
    .collect::<Result<Vec<_>, _>>()?;
    tx.commit().await?;
    Ok(Json(types))
}

/// Adds a visit type (admin). 409 on `name` or `code` when another type has it. Idempotent by
/// `id` (the same name again answers the type; another with that id is 409 on `id`).
#[utoipa::path(post, path = "/api/v1/visit-types", tag = "visit types", request_body = NewVisitType,
    responses((status = 201, body = VisitType), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(st): State<AppState>,
    actor: Actor,
    ApiJson(new): ApiJson<NewVisitType>,
) -> AppResult<(StatusCode, Json<VisitType>)> {
    actor.require(Permission::ScheduleManage)?;
    new.validate().map_err(AppError::Validation)?;
    let id = new.id.unwrap_or_else(Uuid::now_v7);
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    if let Some(row) = sqlx::query(concat!(
        "SELECT ",
        visit_type_cols!(),
        " FROM visit_types WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    {
        let t = visit_type_from_row(&row)?;
        tx.commit().await?;
        if t.name != new.name.trim() || t.code != new.code.trim() {
            return Err(AppError::conflict_field("id", "is already in use"));
        }
        return Ok((StatusCode::OK, Json(t)));
    }
    let kind = serde_json::to_value(new.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".into());
    let row = sqlx::query(concat!(
        "INSERT INTO visit_types (id, tenant_id, name, code, kind, default_minutes, colour, created_by, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING ",
        visit_type_cols!()
    ))
    .bind(id)
    .bind(actor.tenant_id)
    .bind(new.name.trim())
    .bind(new.code.trim())
    .bind(kind)
    .bind(new.default_minutes)
    .bind(new.colour.as_str())
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(taken)?;
    let t = visit_type_from_row(&row)?;
    super::audit_setup(&mut tx, &actor, "visit_type.create", "visit_type", id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Renames a visit type, changes its default length or colour, or retires it (admin). Bookings
/// already made keep their type. 404 for a type not in this clinic.
#[utoipa::path(patch, path = "/api/v1/visit-types/{id}", tag = "visit types", request_body = VisitTypePatch,
    params(("id" = Uuid, Path, description = "Visit type id")),
    responses((status = 200, body = VisitType), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch(
    State(st): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(patch): ApiJson<VisitTypePatch>,
) -> AppResult<Json<VisitType>> {
    actor.require(Permission::ScheduleManage)?;
    patch.validate().map_err(AppError::Validation)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let row = sqlx::query(concat!(
        "UPDATE visit_types SET name = coalesce($2, name), default_minutes = coalesce($3, default_minutes), \
         colour = coalesce($4, colour), active = coalesce($5, active), updated_by = $6 WHERE id = $1 RETURNING ",
        visit_type_cols!()
    ))
    .bind(id)
    .bind(patch.name.as_deref().map(str::trim))
    .bind(patch.default_minutes)
    .bind(patch.colour.map(VisitColour::as_str))
    .bind(patch.active)
    .bind(actor.user_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(taken)?
    .ok_or(AppError::NotFound("visit type"))?;
    let t = visit_type_from_row(&row)?;
    super::audit_setup(&mut tx, &actor, "visit_type.update", "visit_type", id).await?;
    tx.commit().await?;
    Ok(Json(t))
}
