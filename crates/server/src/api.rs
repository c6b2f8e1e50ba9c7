//! REST handlers: auth, patients, vital signs, appointments, staff, audit, health.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{Duration, Utc};
use medoffice_model::{
    Appointment, AppointmentPatch, ErrorBody, ListMeta, ListResponse, LoginRequest, NewAppointment,
    NewPatient, NewUser, NewVitalSigns, Patient, PatientPatch, Permission, RefreshRequest, Role,
    StaffMember, TenantInfo, TokenResponse, UserInfo, VitalSigns,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::auth::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::{db, feed, records, ApiJson, AppState};

const BAD_LOGIN: &str = "Wrong clinic code, username or password";

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

// ------------------------------------------------------------------------------------ auth

async fn load_user_info(conn: &mut sqlx::PgConnection, user_id: Uuid) -> AppResult<UserInfo> {
    let row = sqlx::query(
        "SELECT u.id, u.tenant_id, u.username, u.full_name, u.role, u.active, t.code, t.name, t.time_zone \
         FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| AppError::Unauthorized("The session has ended; sign in again".into()))?;
    if !row.try_get::<bool, _>("active")? {
        return Err(AppError::Unauthorized("This account is deactivated".into()));
    }
    let role: String = row.try_get("role")?;
    let role = Role::parse(&role)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown role {role}")))?;
    Ok(UserInfo {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        username: row.try_get("username")?,
        full_name: row.try_get("full_name")?,
        role,
        permissions: role.permissions().to_vec(),
        tenant: TenantInfo {
            id: row.try_get("tenant_id")?,
            code: row.try_get("code")?,
            name: row.try_get("name")?,
            time_zone: row.try_get("time_zone")?,
        },
    })
}

async fn issue_tokens(
    st: &AppState,
    conn: &mut sqlx::PgConnection,
    user: UserInfo,
    family_id: Uuid,
    device_id: Option<String>,
) -> AppResult<TokenResponse> {
    let claims = auth::access_claims(
        user.id,
        user.tenant_id,
        &user.username,
        user.role,
        device_id.clone(),
        st.config.access_token_minutes,
    );
    let access_token = st.keys.sign(&claims).map_err(AppError::Internal)?;
    let (refresh_token, hash) = auth::new_refresh_token(user.tenant_id);
    sqlx::query(
        "INSERT INTO refresh_tokens (id, tenant_id, user_id, family_id, token_hash, device_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(user.tenant_id)
    .bind(user.id)
    .bind(family_id)
    .bind(hash)
    .bind(device_id)
    .bind(Utc::now() + Duration::days(st.config.refresh_token_days))
    .execute(conn)
    .await?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: st.config.access_token_minutes * 60,
        refresh_token,
        user,
    })
}

/// Signs in. Unknown clinic, unknown user, wrong password and locked account all answer the
/// same 401, so the answer does not tell which usernames exist. 5 failures lock for 15 minutes.
#[utoipa::path(post, path = "/api/v1/auth/login", request_body = LoginRequest, tag = "auth",
    responses((status = 200, body = TokenResponse), (status = 401, body = ErrorBody)))]
pub async fn login(
    State(st): State<AppState>,
    auth::ClientIp(ip): auth::ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<Json<TokenResponse>> {
    let tenant: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM medoffice_tenant_by_code($1)")
        .bind(req.tenant.trim())
        .fetch_optional(&st.pool)
        .await?;
    let Some((tenant_id,)) = tenant else {
        auth::verify_password_async(req.password, auth::dummy_hash().to_owned()).await;
        return Err(AppError::Unauthorized(BAD_LOGIN.into()));
    };
    let mut tx = db::tenant_tx(&st.pool, tenant_id).await?;
    let row = sqlx::query(
        "SELECT id, username, password_hash, active, failed_logins, locked_until FROM users WHERE lower(username) = lower($1) FOR UPDATE",
    )
    .bind(req.username.trim())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        auth::verify_password_async(req.password, auth::dummy_hash().to_owned()).await;
        audit::record_raw(
            &mut tx,
            tenant_id,
            None,
            Some(req.username.trim()),
            req.device_id.as_deref(),
            ip.as_deref(),
            AuditEntry {
                action: "auth.login_failed",
                entity: None,
                entity_id: None,
                patient_id: None,
                outcome: "unknown_user",
            },
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::Unauthorized(BAD_LOGIN.into()));
    };
    let user_id: Uuid = row.try_get("id")?;
    let username: String = row.try_get("username")?;
    let hash: String = row.try_get("password_hash")?;
    let active: bool = row.try_get("active")?;
    let locked_until: Option<chrono::DateTime<Utc>> = row.try_get("locked_until")?;
    let password_ok = auth::verify_password_async(req.password, hash).await;
    let locked = locked_until.is_some_and(|t| t > Utc::now());
    if !password_ok || locked || !active {
        let outcome = if locked {
            "locked"
        } else if !active {
            "inactive"
        } else {
            "bad_password"
        };
        if !password_ok && !locked {
            sqlx::query(
                "UPDATE users SET failed_logins = failed_logins + 1, \
                 locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(mins => $3) ELSE locked_until END \
                 WHERE id = $1",
            )
            .bind(user_id)
            .bind(st.config.lockout_threshold)
            .bind(st.config.lockout_minutes as i32)
            .execute(&mut *tx)
            .await?;
        }
        audit::record_raw(
            &mut tx,
            tenant_id,
            Some(user_id),
            Some(&username),
            req.device_id.as_deref(),
            ip.as_deref(),
            AuditEntry {
                action: "auth.login_failed",
                entity: None,
                entity_id: None,
                patient_id: None,
                outcome,
            },
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::Unauthorized(BAD_LOGIN.into()));
    }
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let user = load_user_info(&mut tx, user_id).await?;
    let tokens = issue_tokens(&st, &mut tx, user, Uuid::now_v7(), req.device_id.clone()).await?;
    audit::record_raw(
        &mut tx,
        tenant_id,
        Some(user_id),
        Some(&username),
        req.device_id.as_deref(),
        ip.as_deref(),
        AuditEntry {
            action: "auth.login",
            entity: None,
            entity_id: None,
            patient_id: None,
            outcome: "success",
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(tokens))
}

/// Exchanges a refresh token for a new pair; the old one is spent. Presenting a spent token
/// again revokes its whole family (someone copied it).
#[utoipa::path(post, path = "/api/v1/auth/refresh", request_body = RefreshRequest, tag = "auth",
    responses((status = 200, body = TokenResponse), (status = 401, body = ErrorBody)))]
pub async fn refresh(
    State(st): State<AppState>,
    auth::ClientIp(ip): auth::ClientIp,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> AppResult<Json<TokenResponse>> {
    let expired = || AppError::Unauthorized("The session has ended; sign in again".into());
    let tenant_id = auth::refresh_token_tenant(&req.refresh_token).ok_or_else(expired)?;
    let mut tx = db::tenant_tx(&st.pool, tenant_id).await?;
    let row = sqlx::query(
        "SELECT id, user_id, family_id, device_id, expires_at, spent_at, revoked_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(auth::hash_refresh_token(&req.refresh_token))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(expired)?;
    let family_id: Uuid = row.try_get("family_id")?;
    let spent: Option<chrono::DateTime<Utc>> = row.try_get("spent_at")?;
    let revoked: Option<chrono::DateTime<Utc>> = row.try_get("revoked_at")?;
    let expires_at: chrono::DateTime<Utc> = row.try_get("expires_at")?;
    if let (Some(spent_at), None) = (spent, revoked) {
        // A retry shortly after a refresh whose answer never arrived (a weak link) is not theft
        // when the token it was exchanged for has not been used: replace that one instead of
        // signing the workstation out.
        let grace = Duration::seconds(st.config.refresh_reuse_grace_seconds);
        let replacement: Option<Uuid> = if spent_at + grace > Utc::now() {
            sqlx::query_scalar(
                "SELECT id FROM refresh_tokens WHERE family_id = $1 AND spent_at IS NULL AND revoked_at IS NULL \
                 AND created_at >= $2 ORDER BY created_at DESC LIMIT 1 FOR UPDATE",
            )
            .bind(family_id)
            .bind(spent_at)
            .fetch_optional(&mut *tx)
            .await?
        } else {
            None
        };
        if let Some(unused) = replacement {
            sqlx::query("UPDATE refresh_tokens SET revoked_at = now() WHERE id = $1")
                .bind(unused)
                .execute(&mut *tx)
                .await?;
            let user = load_user_info(&mut tx, row.try_get("user_id")?).await?;
            let tokens =
                issue_tokens(&st, &mut tx, user, family_id, row.try_get("device_id")?).await?;
            tx.commit().await?;
            return Ok(Json(tokens));
        }
        sqlx::query("UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL")
            .bind(family_id)
            .execute(&mut *tx)
            .await?;
        let user_id: Uuid = row.try_get("user_id")?;
        let device_id: Option<String> = row.try_get("device_id")?;
        let username = username_of(&mut tx, user_id).await?;
        audit::record_raw(
            &mut tx,
            tenant_id,
            Some(user_id),
            username.as_deref(),
            device_id.as_deref(),
            ip.as_deref(),
            AuditEntry {
                action: "auth.refresh_reuse",
                entity: None,
                entity_id: None,
                patient_id: None,
                outcome: "family_revoked",
            },
        )
        .await?;
        tx.commit().await?;
        return Err(expired());
    }
    if revoked.is_some() || expires_at <= Utc::now() {
        return Err(expired());
    }
    sqlx::query("UPDATE refresh_tokens SET spent_at = now() WHERE id = $1")
        .bind(row.try_get::<Uuid, _>("id")?)
        .execute(&mut *tx)
        .await?;
    let user = load_user_info(&mut tx, row.try_get("user_id")?).await?;
    let device_id: Option<String> = row.try_get("device_id")?;
    audit::record_raw(
        &mut tx,
        tenant_id,
        Some(user.id),
        Some(&user.username),
        device_id.as_deref(),
        ip.as_deref(),
        AuditEntry {
            action: "auth.refresh",
            entity: None,
            entity_id: None,
            patient_id: None,
            outcome: "success",
        },
    )
    .await?;
    let tokens = issue_tokens(&st, &mut tx, user, family_id, device_id).await?;
    tx.commit().await?;
    Ok(Json(tokens))
}

/// The username of a user of the current clinic.
async fn username_of(conn: &mut sqlx::PgConnection, user_id: Uuid) -> AppResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Ends the session of a refresh token (its family is revoked). Always 204.
#[utoipa::path(post, path = "/api/v1/auth/logout", request_body = RefreshRequest, tag = "auth", responses((status = 204)))]
pub async fn logout(
    State(st): State<AppState>,
    auth::ClientIp(ip): auth::ClientIp,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> AppResult<StatusCode> {
    if let Some(tenant_id) = auth::refresh_token_tenant(&req.refresh_token) {
        let mut tx = db::tenant_tx(&st.pool, tenant_id).await?;
        let session: Option<(Uuid, Option<String>)> =
            sqlx::query_as("SELECT user_id, device_id FROM refresh_tokens WHERE token_hash = $1")
                .bind(auth::hash_refresh_token(&req.refresh_token))
                .fetch_optional(&mut *tx)
                .await?;
        let ended = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND family_id = \
             (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
        )
        .bind(auth::hash_refresh_token(&req.refresh_token))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if let Some((user_id, device_id)) = session {
            let username = username_of(&mut tx, user_id).await?;
            audit::record_raw(
                &mut tx,
                tenant_id,
                Some(user_id),
                username.as_deref(),
                device_id.as_deref(),
                ip.as_deref(),
                AuditEntry {
                    action: "auth.logout",
                    entity: None,
                    entity_id: None,
                    patient_id: None,
                    // a token already spent or revoked ends nothing
                    outcome: if ended > 0 {
                        "success"
                    } else {
                        "already_ended"
                    },
                },
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", responses((status = 200, body = UserInfo), (status = 401, body = ErrorBody)))]
pub async fn me(State(st): State<AppState>, actor: Actor) -> AppResult<Json<UserInfo>> {
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let u = load_user_info(&mut tx, actor.user_id).await?;
    tx.commit().await?;
    Ok(Json(u))
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
    ApiJson(patch): ApiJson<AppointmentPatch>,
) -> AppResult<Json<Appointment>> {
    let r = async {
        let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
        let (a, conflicts, written) =
            records::update_appointment(&mut tx, &actor, id, patch.base_revision, patch.changes)
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

// ----------------------------------------------------------------------------------- users

/// The clinic's staff (admin).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", responses((status = 200, body = ListResponse<StaffMember>), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(st): State<AppState>,
    actor: Actor,
) -> AppResult<Json<ListResponse<StaffMember>>> {
    actor.require(Permission::UserManage)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let rows = sqlx::query(
        "SELECT id, username, full_name, role, active, revision FROM users ORDER BY full_name",
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let data = rows
        .iter()
        .map(feed::staff_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(whole_list(data))
}

/// Creates a staff account (admin).
#[utoipa::path(post, path = "/api/v1/users", request_body = NewUser, tag = "users",
    responses((status = 201, body = StaffMember), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(st): State<AppState>,
    actor: Actor,
    ApiJson(new): ApiJson<NewUser>,
) -> AppResult<(StatusCode, Json<StaffMember>)> {
    actor.require(Permission::UserManage)?;
    new.validate().map_err(AppError::Validation)?;
    let hash = auth::hash_password_async(new.password.clone()).await?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let s = crate::users::insert_user(
        &mut tx,
        actor.tenant_id,
        &new.username,
        &new.full_name,
        new.role,
        &hash,
        true,
    )
    .await?;
    audit::record(
        &mut tx,
        &actor,
        AuditEntry::success("user.create", "user", Some(s.id), None),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(s)))
}
