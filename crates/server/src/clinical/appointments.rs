//! Appointments: booking (with the provider's clash check and overbooking), the status
//! workflow and rescheduling through the field-level merge, and the REST handlers of
//! `/api/v1/appointments` ([`rest`]).

use chrono::{DateTime, Utc};
use medoffice_model::merge::FieldConflict;
use medoffice_model::{
    Appointment, AppointmentField, AppointmentKind, AppointmentStatus, FieldErrors, NewAppointment,
    Permission, APPOINTMENT_EDITABLE_FIELDS, CHECKED_IN_AT_FIELD,
};
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::availability;
use super::merge::{check_editable, merge_edit};
use super::patients::get_patient;
use super::{next_revision, parse_enum, replayed_create};
use crate::audit::{self, AuditEntry};
use crate::auth::Actor;
use crate::error::{is_pg_code, AppError, AppResult};

macro_rules! appointment_cols {
    () => {
        "id, patient_id, provider_id, starts_at, duration_minutes, kind, status, reason, notes, \
         overbooked, outside_hours_reason, room_id, series_id, visit_type_id, checked_in_at, revision, deleted"
    };
}
pub(crate) use appointment_cols;

/// Maps an `appointments` row (columns of `appointment_cols!`).
pub fn appointment_from_row(r: &sqlx::postgres::PgRow) -> Result<Appointment, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let status: String = r.try_get("status")?;
    Ok(Appointment {
        id: r.try_get("id")?,
        patient_id: r.try_get("patient_id")?,
        provider_id: r.try_get("provider_id")?,
        starts_at: r.try_get("starts_at")?,
        duration_minutes: r.try_get("duration_minutes")?,
        kind: parse_enum(&kind).unwrap_or(AppointmentKind::Other),
        status: parse_enum(&status).unwrap_or(AppointmentStatus::Scheduled),
        reason: r.try_get("reason")?,
        notes: r.try_get("notes")?,
        overbooked: r.try_get("overbooked")?,
        outside_hours_reason: r.try_get("outside_hours_reason")?,
        room_id: r.try_get("room_id")?,
        series_id: r.try_get("series_id")?,
        visit_type_id: r.try_get("visit_type_id")?,
        checked_in_at: r.try_get("checked_in_at")?,
        revision: r.try_get("revision")?,
        deleted: r.try_get("deleted")?,
    })
}

/// Filters of `GET /api/v1/appointments`.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
pub struct AppointmentFilter {
    /// Starts at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Starts before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Only this provider's.
    pub provider_id: Option<Uuid>,
    /// Only this patient's.
    pub patient_id: Option<Uuid>,
    /// Only the visits of this recurring series (`series_id` of each occurrence: one patient's
    /// visits booked together every N days, weeks or months).
    pub series_id: Option<Uuid>,
}

/// Appointments matching `f`, by start time.
pub async fn list_appointments(
    conn: &mut PgConnection,
    f: &AppointmentFilter,
) -> AppResult<Vec<Appointment>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        appointment_cols!(),
        " FROM appointments WHERE NOT deleted \
         AND ($1::timestamptz IS NULL OR starts_at >= $1) AND ($2::timestamptz IS NULL OR starts_at < $2) \
         AND ($3::uuid IS NULL OR provider_id = $3) AND ($4::uuid IS NULL OR patient_id = $4) \
         AND ($5::uuid IS NULL OR series_id = $5) \
         ORDER BY starts_at, id LIMIT 2000"
    ))
    .bind(f.from)
    .bind(f.to)
    .bind(f.provider_id)
    .bind(f.patient_id)
    .bind(f.series_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(appointment_from_row)
        .collect::<Result<_, _>>()?)
}

async fn get_appointment_for_update(conn: &mut PgConnection, id: Uuid) -> AppResult<Appointment> {
    let row = sqlx::query(concat!(
        "SELECT ",
        appointment_cols!(),
        " FROM appointments WHERE id = $1 AND NOT deleted FOR NO KEY UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(AppError::NotFound("appointment"))?;
    Ok(appointment_from_row(&row)?)
}

/// The live booking of `provider_id` other than `id` overlapping `[starts_at, starts_at +
/// minutes)`, if any (an overbooking stands in nobody's way).
pub async fn clashing_appointment(
    conn: &mut PgConnection,
    id: Uuid,
    provider_id: Uuid,
    starts_at: DateTime<Utc>,
    minutes: i32,
) -> AppResult<Option<Appointment>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        appointment_cols!(),
        " FROM appointments WHERE provider_id = $1 AND id <> $2 AND NOT deleted AND NOT overbooked \
         AND status IN ('scheduled', 'checked_in', 'in_progress') \
         AND tstzrange(starts_at, ends_at, '[)') && tstzrange($3, $3 + make_interval(mins => $4), '[)') \
         ORDER BY starts_at LIMIT 1"
    ))
    .bind(provider_id)
    .bind(id)
    .bind(starts_at)
    .bind(minutes)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(appointment_from_row).transpose()?)
}

/// The refusal of a booking that would overlap `other`, its time written as the clinic reads
/// it (its zone, date order and clock).
async fn overlap_error(conn: &mut PgConnection, other: Option<&Appointment>) -> AppError {
    match other {
        Some(o) => AppError::Conflict {
            message: format!(
                "The provider already has a booking from {} for {} minutes",
                super::clinic_wall_clock(conn, o.starts_at).await,
                o.duration_minutes
            ),
            details: Some(serde_json::json!({ "conflicting_appointment_id": o.id })),
        },
        None => AppError::conflict("The provider already has a booking at that time"),
    }
}

/// The refusal of a booking the database found overlapping (the exclusion constraint; the
/// transaction is over, so the other booking is not looked up).
fn overlap_unknown() -> AppError {
    AppError::conflict("The provider already has a booking at that time")
}

async fn check_provider(conn: &mut PgConnection, provider_id: Uuid) -> AppResult<()> {
    super::check_usable(
        conn,
        "SELECT active FROM users WHERE id = $1",
        provider_id,
        "provider_id",
        "this staff member is deactivated",
        "no such staff member in this clinic",
    )
    .await
}

/// Books an appointment. A time outside the clinic's or the provider's hours or in a block is
/// 409 naming why (`details.unavailable`), unless `outside_hours_reason` is given by a role
/// allowed to override (audited as `appointment.outside_hours`; see
/// [`availability::check_booking_fits`]). Overlaps with a live booking of the same provider are
/// 409 naming the other booking (`details.conflicting_appointment_id`), unless `overbooked` is
/// set by a user allowed to overbook. Idempotent by `id`.
pub async fn book_appointment(
    conn: &mut PgConnection,
    actor: &Actor,
    new: NewAppointment,
) -> AppResult<(Appointment, bool)> {
    actor.require(Permission::AppointmentWrite)?;
    new.validate().map_err(AppError::Validation)?;
    // a booking for a merged-away patient goes to the record that stays (the clinic's counter
    // first: a merge holds it to its commit, so the lookup sees it)
    next_revision(conn, actor.tenant_id).await?;
    let mut new = new;
    new.patient_id = super::patients::standing_patient(conn, new.patient_id).await?;
    let overbooked = new.overbooked.unwrap_or(false);
    if overbooked {
        actor.require(Permission::AppointmentOverbook)?;
    }
    let id = new.id.unwrap_or_else(Uuid::now_v7);
    if let Some(row) = sqlx::query(concat!(
        "SELECT ",
        appointment_cols!(),
        " FROM appointments WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    {
        let a = appointment_from_row(&row)?;
        let same = a.patient_id == new.patient_id
            && a.provider_id == new.provider_id
            && a.starts_at == new.starts_at
            && a.duration_minutes == new.duration_minutes
            && a.kind == new.kind;
        return replayed_create(a, same);
    }
    get_patient(conn, new.patient_id)
        .await
        .map_err(|_| AppError::field("patient_id", "no such patient in this clinic"))?;
    check_provider(conn, new.provider_id).await?;
    if let Some(t) = new.visit_type_id {
        super::visit_types::check_visit_type(conn, t).await?;
    }
    if let Some(series) = new.series_id {
        // a series is one patient's: an id already used for another patient is refused
        let other: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM appointments WHERE series_id = $1 AND patient_id <> $2)",
        )
        .bind(series)
        .bind(new.patient_id)
        .fetch_one(&mut *conn)
        .await?;
        if other {
            return Err(AppError::field(
                "series_id",
                "belongs to another patient's series",
            ));
        }
    }
    let outside = availability::check_booking_fits(
        conn,
        actor,
        new.provider_id,
        new.starts_at,
        new.duration_minutes,
        new.outside_hours_reason.as_deref(),
    )
    .await?;
    let new = NewAppointment {
        outside_hours_reason: outside,
        ..new
    };
    if !overbooked {
        if let Some(other) = clashing_appointment(
            conn,
            id,
            new.provider_id,
            new.starts_at,
            new.duration_minutes,
        )
        .await?
        {
            return Err(overlap_error(conn, Some(&other)).await);
        }
    }
    let a = insert_appointment(
        conn,
        actor.tenant_id,
        Some(actor.user_id),
        id,
        &new,
        AppointmentStatus::Scheduled,
        None,
    )
    .await
    .map_err(|e| {
        if is_pg_code(&e, "23P01") {
            overlap_unknown()
        } else {
            e.into()
        }
    })?;
    audit::record(
        conn,
        actor,
        AuditEntry {
            action: if overbooked {
                "appointment.overbook"
            } else {
                "appointment.create"
            },
            entity: Some("appointment"),
            entity_id: Some(id),
            patient_id: Some(new.patient_id),
            outcome: "success",
        },
    )
    .await?;
    if a.outside_hours_reason.is_some() {
        audit_outside_hours(conn, actor, id, a.patient_id).await?;
    }
    Ok((a, true))
}

/// Audits a booking or move made outside the hours on purpose (its own entry, besides the
/// booking's or the change's).
async fn audit_outside_hours(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    patient_id: Uuid,
) -> AppResult<()> {
    audit::record(
        conn,
        actor,
        AuditEntry::success(
            "appointment.outside_hours",
            "appointment",
            Some(id),
            Some(patient_id),
        ),
    )
    .await?;
    Ok(())
}

/// Inserts a booking as given (imports use it with `completed` past visits).
pub async fn insert_appointment(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    by: Option<Uuid>,
    id: Uuid,
    new: &NewAppointment,
    status: AppointmentStatus,
    source_id: Option<&str>,
) -> Result<Appointment, sqlx::Error> {
    let kind = serde_json::to_value(new.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".into());
    let row = sqlx::query(concat!(
        "INSERT INTO appointments (id, tenant_id, patient_id, provider_id, starts_at, duration_minutes, ends_at, kind, status, \
         reason, notes, overbooked, source_id, created_by, updated_by, outside_hours_reason, series_id, visit_type_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $5, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15, $16) RETURNING ",
        appointment_cols!()
    ))
    .bind(id)
    .bind(tenant_id)
    .bind(new.patient_id)
    .bind(new.provider_id)
    .bind(new.starts_at)
    .bind(new.duration_minutes)
    .bind(kind)
    .bind(status.as_str())
    .bind(medoffice_model::clean_optional(&new.reason))
    .bind(medoffice_model::clean_optional(&new.notes))
    .bind(new.overbooked.unwrap_or(false))
    .bind(source_id)
    .bind(by)
    .bind(medoffice_model::clean_optional(&new.outside_hours_reason))
    .bind(new.series_id)
    .bind(new.visit_type_id)
    .fetch_one(conn)
    .await?;
    appointment_from_row(&row)
}

/// The check-in time an update proposes (`checked_in_at`, RFC 3339 or null), taken out of
/// `changes`: it is not a field the merge writes but a proposal the database clamps
/// (migration 0004). A value that is not a time is a 422 on that field.
pub fn take_checked_in_at(changes: &mut Map<String, Value>) -> AppResult<Option<DateTime<Utc>>> {
    match changes.remove(CHECKED_IN_AT_FIELD) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v).map(Some).map_err(|_| {
            AppError::field(CHECKED_IN_AT_FIELD, medoffice_model::CHECKED_IN_AT_FORMAT)
        }),
    }
}

/// Changes an appointment (status workflow, reschedule, notes) from `base_revision`, with the
/// same field-level merge as patients. With the status becoming `checked_in`,
/// `proposed_checked_in_at` says when that happened (an offline check-in's desk time); the database
/// keeps it within bounds or uses its own now (see [`Appointment::checked_in_at`]).
pub async fn update_appointment(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    base_revision: i64,
    changes: Map<String, Value>,
    proposed_checked_in_at: Option<DateTime<Utc>>,
) -> AppResult<(Appointment, Vec<FieldConflict>, bool)> {
    actor.require(Permission::AppointmentWrite)?;
    check_editable(&changes, APPOINTMENT_EDITABLE_FIELDS)?;
    let reason_sent = changes.contains_key(AppointmentField::OutsideHoursReason.as_str());
    let next = next_revision(conn, actor.tenant_id).await?;
    let current = get_appointment_for_update(conn, id).await?;
    let revs_sql = "SELECT field_revisions FROM appointments WHERE id = $1";
    let merged = merge_edit(
        conn,
        actor,
        revs_sql,
        id,
        &current,
        base_revision,
        &changes,
        next,
    )
    .await?;
    let Some(a) = merged.record else {
        return Ok((current, merged.conflicts, false));
    };
    let mut e = FieldErrors::new();
    if !current.status.can_become(a.status) {
        e.add(
            "status",
            format!(
                "cannot go from {} to {}",
                current.status.as_str(),
                a.status.as_str()
            ),
        );
    }
    medoffice_model::validate_duration(a.duration_minutes, &mut e);
    medoffice_model::validate_outside_hours_reason(a.outside_hours_reason.as_deref(), &mut e);
    if !medoffice_model::in_bookable_years(a.starts_at) {
        e.add("starts_at", medoffice_model::BOOKABLE_YEARS_TEXT);
    }
    if a.outside_hours_reason.is_some()
        && a.outside_hours_reason != current.outside_hours_reason
        && !a.status.is_live()
    {
        e.add(
            "outside_hours_reason",
            "only a visit still to come can be booked outside the hours",
        );
    }
    e.into_result().map_err(AppError::Validation)?;
    if a.provider_id != current.provider_id {
        check_provider(conn, a.provider_id).await?;
    }
    if let Some(room) = a.room_id.filter(|r| Some(*r) != current.room_id) {
        super::rooms::check_room(conn, room).await?;
    }
    let moves = a.starts_at != current.starts_at
        || a.duration_minutes != current.duration_minutes
        || a.provider_id != current.provider_id;
    if moves && a.overbooked {
        // an overbooked visit skips the clash check: moving it is overbooking again
        actor.require(Permission::AppointmentOverbook)?;
    }
    if a.status.is_live() && !a.overbooked && (moves || !current.status.is_live()) {
        if let Some(other) =
            clashing_appointment(conn, id, a.provider_id, a.starts_at, a.duration_minutes).await?
        {
            return Err(overlap_error(conn, Some(&other)).await);
        }
    }
    // a move (or a new override) is checked against the hours. Only a reason sent with this
    // change overrides them for a new time: a move of an overridden visit is a new decision.
    // An override moved back inside the hours is dropped.
    let mut outside = a.outside_hours_reason.clone();
    if a.status.is_live()
        && (moves || !current.status.is_live() || outside != current.outside_hours_reason)
    {
        let offered = if moves && !reason_sent {
            None
        } else {
            outside.as_deref()
        };
        outside = availability::check_booking_fits(
            conn,
            actor,
            a.provider_id,
            a.starts_at,
            a.duration_minutes,
            offered,
        )
        .await?;
        if outside.is_some() {
            audit_outside_hours(conn, actor, id, a.patient_id).await?;
        }
    }
    // only a check-in made now proposes a time; the trigger keeps or clears it otherwise
    let checking_in =
        a.status == AppointmentStatus::CheckedIn && current.status != AppointmentStatus::CheckedIn;
    let checked_in_at = if checking_in {
        proposed_checked_in_at
    } else {
        current.checked_in_at
    };
    let new_revs = &merged.field_revisions;
    let kind = serde_json::to_value(a.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".into());
    let row = sqlx::query(concat!(
        "UPDATE appointments SET provider_id = $2, starts_at = $3, duration_minutes = $4, kind = $5, status = $6, reason = $7, \
         notes = $8, field_revisions = $9, updated_by = $10, checked_in_at = $11, outside_hours_reason = $12, \
         room_id = $13 WHERE id = $1 RETURNING ",
        appointment_cols!()
    ))
    .bind(id)
    .bind(a.provider_id)
    .bind(a.starts_at)
    .bind(a.duration_minutes)
    .bind(kind)
    .bind(a.status.as_str())
    .bind(medoffice_model::clean_optional(&a.reason))
    .bind(medoffice_model::clean_optional(&a.notes))
    .bind(Json(new_revs))
    .bind(actor.user_id)
    .bind(checked_in_at)
    .bind(medoffice_model::clean_optional(&outside))
    .bind(a.room_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| if is_pg_code(&e, "23P01") { overlap_unknown() } else { e.into() })?;
    audit::record(
        conn,
        actor,
        AuditEntry::success(
            "appointment.update",
            "appointment",
            Some(id),
            Some(a.patient_id),
        ),
    )
    .await?;
    Ok((appointment_from_row(&row)?, merged.conflicts, true))
}

/// REST handlers of `/api/v1/appointments` and `/api/v1/appointments/{id}`.
pub mod rest {
    use axum::extract::{Path, Query, State};
    use axum::http::StatusCode;
    use axum::Json;
    use medoffice_model::{
        Appointment, AppointmentPatch, ErrorBody, ListResponse, NewAppointment, Permission,
    };
    use uuid::Uuid;

    use crate::audit::{self, AuditEntry};
    use crate::auth::Actor;
    use crate::clinical::merge::remember_rest_edit;
    use crate::clinical::{audited, created_or_ok, whole_list};
    use crate::error::AppResult;
    use crate::{db, ApiJson, AppState};

    /// Appointments by time range, provider and patient.
    #[utoipa::path(get, path = "/api/v1/appointments", params(super::AppointmentFilter), tag = "appointments",
    responses((status = 200, body = ListResponse<Appointment>)))]
    pub async fn list_appointments(
        State(st): State<AppState>,
        actor: Actor,
        Query(f): Query<super::AppointmentFilter>,
    ) -> AppResult<Json<ListResponse<Appointment>>> {
        actor.require(Permission::AppointmentRead)?;
        let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
        let data = super::list_appointments(&mut tx, &f).await?;
        // a series is one patient's visits
        let patient = f
            .patient_id
            .or_else(|| f.series_id.and(data.first().map(|a| a.patient_id)));
        if let Some(patient_id) = patient {
            // one patient's appointments are part of their record (the day's schedule is not)
            audit::record(
                &mut tx,
                &actor,
                AuditEntry::success("appointment.read", "appointment", None, Some(patient_id)),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(whole_list(data))
    }

    /// Books an appointment; an overlap with the provider's live booking is 409 naming it.
    #[utoipa::path(post, path = "/api/v1/appointments", request_body = NewAppointment, tag = "appointments",
    responses((status = 201, body = Appointment), (status = 200, body = Appointment), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
    pub async fn create_appointment(
        State(st): State<AppState>,
        actor: Actor,
        ApiJson(new): ApiJson<NewAppointment>,
    ) -> AppResult<(StatusCode, Json<Appointment>)> {
        let (appointment_id, patient_id) = (new.id, new.patient_id);
        let r = async {
            let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
            let (a, created) = super::book_appointment(&mut tx, &actor, new).await?;
            tx.commit().await?;
            Ok(created_or_ok(created, a))
        }
        .await;
        let patient = Some(patient_id);
        audited(
            &st,
            &actor,
            "appointment.create",
            "appointment",
            appointment_id,
            patient,
            r,
        )
        .await
    }

    /// Status transitions and rescheduling, from `base_revision`.
    #[utoipa::path(patch, path = "/api/v1/appointments/{id}", request_body = AppointmentPatch, tag = "appointments",
    responses((status = 200, body = Appointment), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
    pub async fn patch_appointment(
        State(st): State<AppState>,
        actor: Actor,
        Path(id): Path<Uuid>,
        ApiJson(mut patch): ApiJson<AppointmentPatch>,
    ) -> AppResult<Json<Appointment>> {
        let r = async {
            let checked_in_at = super::take_checked_in_at(&mut patch.changes)?;
            let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
            let (a, conflicts, written) = super::update_appointment(
                &mut tx,
                &actor,
                id,
                patch.base_revision,
                patch.changes,
                checked_in_at,
            )
            .await?;
            if written {
                remember_rest_edit(&mut tx, &actor, a.revision).await?;
            }
            tx.commit().await?;
            Ok((a, conflicts))
        }
        .await;
        let (a, conflicts) = audited(
            &st,
            &actor,
            "appointment.update",
            "appointment",
            Some(id),
            None,
            r,
        )
        .await?;
        if conflicts.is_empty() {
            Ok(Json(a))
        } else {
            Err(crate::clinical::kept_server_values(
                "Changed by someone else meanwhile",
                &conflicts,
                Some(serde_json::json!(a)),
            ))
        }
    }
}
