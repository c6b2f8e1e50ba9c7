//! REST handlers: patients, vital signs, appointments, health. Signing in is in
//! [`crate::signin`], staff accounts in [`crate::staff`], the clinic in [`crate::clinic`].

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use medoffice_model::{
    Appointment, AppointmentPatch, ErrorBody, ListMeta, ListResponse, NewAppointment, NewPatient,
    NewVitalSigns, Patient, PatientPatch, Permission, VitalSigns,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::{db, records, ApiJson, AppState};

/// A list answer holding every match (no paging).
fn whole_list<T>(data: Vec<T>) -> Json<ListResponse<T>> {
    let total = data.len() as i64;
    Json(ListResponse {
        data,
        meta: ListMeta {
            total,
            limit: total,
            offset: 0,
        },
    })
}

/// 201 for a record created now, 200 when an idempotent repeat answers the existing one.
fn created_or_ok<T>(created: bool, body: T) -> (StatusCode, Json<T>) {
    (
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(body),
    )
}

/// Passes `r` through; when it is a refusal, records the failed attempt first (its own
/// transaction, which rolled back, took its audit entry with it).
async fn audited<T>(
    st: &AppState,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: Option<Uuid>,
    patient_id: Option<Uuid>,
    r: AppResult<T>,
) -> AppResult<T> {
    if let Err(e) = &r {
        audit::record_failure(&st.pool, actor, action, entity, entity_id, patient_id, e).await;
    }
    r
}

// ---------------------------------------------------------------------------------- health

/// `GET /health` answer.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// `ok` or `unreachable`.
    pub database: String,
    /// Server version.
    pub version: String,
}

/// Liveness and database reachability: 503 with `"database": "unreachable"` when PostgreSQL is down.
#[utoipa::path(get, path = "/health", tag = "health", responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(st): State<AppState>) -> impl IntoResponse {
    let ok = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        sqlx::query("SELECT 1").execute(&st.pool),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    let body = Health {
        status: "ok".into(),
        database: if ok { "ok" } else { "unreachable" }.into(),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(body),
    )
}

// -------------------------------------------------------------------------------- patients

/// Query of `GET /api/v1/patients`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PatientQuery {
    /// Name prefixes (any order), MRN, phone digits, or a date of birth.
    #[serde(default)]
    pub q: String,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// Offset.
    pub offset: Option<i64>,
}

/// Searches patients.
#[utoipa::path(get, path = "/api/v1/patients", params(PatientQuery), tag = "patients",
    responses((status = 200, body = ListResponse<Patient>), (status = 401, body = ErrorBody)))]
pub async fn list_patients(
    State(st): State<AppState>,
    actor: Actor,
    Query(q): Query<PatientQuery>,
) -> AppResult<Json<ListResponse<Patient>>> {
    actor.require(Permission::PatientRead)?;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let offset = q.offset.unwrap_or(0).max(0);
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let (data, total) = records::search_patients(&mut tx, &q.q, limit, offset).await?;
    audit::record(
        &mut tx,
        &actor,
        AuditEntry::success("patient.search", "patient", None, None),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(ListResponse {
        data,
        meta: ListMeta {
            total,
            limit,
            offset,
        },
    }))
}

/// Registers a patient (201), or answers the same patient again for the same body (200).
#[utoipa::path(post, path = "/api/v1/patients", request_body = NewPatient, tag = "patients",
    responses((status = 201, body = Patient), (status = 200, body = Patient), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_patient(
    State(st): State<AppState>,
    actor: Actor,
    ApiJson(new): ApiJson<NewPatient>,
) -> AppResult<(StatusCode, Json<Patient>)> {
    let id = new.id;
    let r = async {
        let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
        let (p, created) = records::create_patient(&mut tx, &actor, new).await?;
        tx.commit().await?;
        Ok(created_or_ok(created, p))
    }
    .await;
    audited(&st, &actor, "patient.create", "patient", id, id, r).await
}

/// One patient (audited as a read of the record).
#[utoipa::path(get, path = "/api/v1/patients/{id}", tag = "patients",
    responses((status = 200, body = Patient), (status = 404, body = ErrorBody)))]
pub async fn get_patient(
    State(st): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Patient>> {
    let r = async {
        actor.require(Permission::PatientRead)?;
        let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
        let p = records::get_patient(&mut tx, id).await?;
        audit::record(
            &mut tx,
            &actor,
            AuditEntry::success("patient.read", "patient", Some(id), Some(id)),
        )
        .await?;
        tx.commit().await?;
        Ok(Json(p))
    }
    .await;
    audited(
        &st,
        &actor,
        "patient.read",
        "patient",
        Some(id),
        Some(id),
        r,
    )
    .await
}

/// Edits demographics from `base_revision`. Fields changed by someone else since then are a
/// 409 listing them (`details.conflicts`); the other fields are saved.
#[utoipa::path(patch, path = "/api/v1/patients/{id}", request_body = PatientPatch, tag = "patients",
    responses((status = 200, body = Patient), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_patient(
    State(st): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(patch): ApiJson<PatientPatch>,
) -> AppResult<Json<Patient>> {
    let r = async {
        let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
        let (p, conflicts, written) =
            records::update_patient(&mut tx, &actor, id, patch.base_revision, patch.changes)
                .await?;
        if written {
            records::remember_rest_edit(&mut tx, &actor, p.revision).await?;
        }
        tx.commit().await?;
        Ok((p, conflicts))
    }
    .await;
    // (a merge with conflicts committed and is audited as such; only refusals are recorded here)
    let (p, conflicts) = audited(
        &st,
        &actor,
        "patient.update",
        "patient",
        Some(id),
        Some(id),
        r,
    )
    .await?;
    if conflicts.is_empty() {
        Ok(Json(p))
    } else {
        let fields: Vec<&str> = conflicts.iter().map(|c| c.field.as_str()).collect();
        Err(AppError::Conflict {
            message: format!("Changed by someone else meanwhile: {}", fields.join(", ")),
            details: Some(serde_json::json!({ "conflicts": conflicts, "server": p })),
        })
    }
}

/// Soft-deletes a patient (admin).
#[utoipa::path(delete, path = "/api/v1/patients/{id}", tag = "patients", responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_patient(
    State(st): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<StatusCode> {
    let r = async {
        let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
        records::delete_patient(&mut tx, &actor, id).await?;
        tx.commit().await?;
        Ok(StatusCode::NO_CONTENT)
    }
    .await;
    audited(
        &st,
        &actor,
        "patient.delete",
        "patient",
        Some(id),
        Some(id),
        r,
    )
    .await
}

// ----------------------------------------------------------------------------- vital signs

/// Query of `GET /api/v1/patients/{id}/vitals`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct VitalsQuery {
    /// Most sets to return (1–1000, default 100).
    pub limit: Option<i64>,
}

/// A patient's vital signs, newest first.
#[utoipa::path(get, path = "/api/v1/patients/{id}/vitals", params(VitalsQuery), tag = "vital signs",
    responses((status = 200, body = ListResponse<VitalSigns>), (status = 404, body = ErrorBody)))]
pub async fn list_vitals(
    State(st): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    Query(q): Query<VitalsQuery>,
) -> AppResult<Json<ListResponse<VitalSigns>>> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let r = async {
        actor.require(Permission::VitalSignsRead)?;
        let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
        records::get_patient(&mut tx, id).await?;
        let data = records::list_vitals(&mut tx, id, limit).await?;
        audit::record(
            &mut tx,
            &actor,
            AuditEntry::success("vital_signs.read", "vital_signs", None, Some(id)),
        )
        .await?;
        tx.commit().await?;
        Ok(data)
    }
    .await;
    let data = audited(
        &st,
        &actor,
        "vital_signs.read",
        "vital_signs",
        None,
        Some(id),
        r,
    )
    .await?;
    let total = data.len() as i64;
    Ok(Json(ListResponse {
        data,
        meta: ListMeta {
            total,
            limit,
            offset: 0,
        },
    }))
}

/// Records a measurement set. Impossible values are 422 by field; abnormal ones are saved and
/// flagged (`flags`), with `news2` when every NEWS2 parameter is present.
#[utoipa::path(post, path = "/api/v1/patients/{id}/vitals", request_body = NewVitalSigns, tag = "vital signs",
    responses((status = 201, body = VitalSigns), (status = 200, body = VitalSigns), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_vitals(
    State(st): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(new): ApiJson<NewVitalSigns>,
) -> AppResult<(StatusCode, Json<VitalSigns>)> {
    let vitals_id = new.id;
    let r = async {
        let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
        let (v, created) = records::record_vitals(&mut tx, &actor, id, new).await?;
        tx.commit().await?;
        Ok(created_or_ok(created, v))
    }
    .await;
    audited(
        &st,
        &actor,
        "vital_signs.create",
        "vital_signs",
        vitals_id,
        Some(id),
        r,
    )
    .await
}

// ---------------------------------------------------------------------------- appointments

/// Appointments by time range, provider and patient.
#[utoipa::path(get, path = "/api/v1/appointments", params(records::AppointmentFilter), tag = "appointments",
    responses((status = 200, body = ListResponse<Appointment>)))]
pub async fn list_appointments(
    State(st): State<AppState>,
    actor: Actor,
    Query(f): Query<records::AppointmentFilter>,
) -> AppResult<Json<ListResponse<Appointment>>> {
    actor.require(Permission::AppointmentRead)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let data = records::list_appointments(&mut tx, &f).await?;
    if let Some(patient_id) = f.patient_id {
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
        let (a, created) = records::book_appointment(&mut tx, &actor, new).await?;
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
        let checked_in_at = records::take_checked_in_at(&mut patch.changes)?;
        let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
        let (a, conflicts, written) = records::update_appointment(
            &mut tx,
            &actor,
            id,
            patch.base_revision,
            patch.changes,
            checked_in_at,
        )
        .await?;
        if written {
            records::remember_rest_edit(&mut tx, &actor, a.revision).await?;
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
        Err(AppError::Conflict {
            message: "Changed by someone else meanwhile".into(),
            details: Some(serde_json::json!({ "conflicts": conflicts, "server": a })),
        })
    }
}
