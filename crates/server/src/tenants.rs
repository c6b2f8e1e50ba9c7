//! Tenants: a clinic's self-registration (`POST /api/v1/tenants`), its settings and sign-in
//! policy (`/api/v1/tenant`), and, for the operator, creating a clinic and setting its plan.
//!
//! One word, tenant, as in the routes, the `tenants` table, `tenant_id` and the row-level
//! security policies: a tenant is one clinic, and the screens and some wire types
//! (`NewClinic`, `RegisteredClinic`) say clinic for the same thing. The clinical records
//! (patients, vital signs, appointments) are [`crate::clinical`]; plan limits are checked in
//! [`crate::plan`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use medoffice_model::{
    ApiErrorCode, DateOrder, ErrorBody, FieldErrors, HourCycle, NewClinic, Permission,
    RegisteredClinic, TenantInfo, TenantPatch, WeekStart,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::auth::{self, Actor};
use crate::error::{is_pg_code, AppError, AppResult};
use crate::signin::{self, tenant_info_from_row};
use crate::{db, users, ApiJson, AppState};

const TENANT_COLS: &str =
    "id, code, name, time_zone, require_admin_totp, max_users, max_patients, address, phone, \
     date_order, hour_cycle, week_start";

/// The current tenant's settings.
pub async fn load_tenant(conn: &mut PgConnection) -> AppResult<TenantInfo> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {TENANT_COLS} FROM tenants"
    )))
    .fetch_one(conn)
    .await?;
    Ok(tenant_info_from_row(&row, "id")?)
}

/// Sets a clinic's plan limits through the owner connection. `None` leaves a limit as it is;
/// `Some(None)` makes it unlimited. Answers the clinic, or an error naming the unknown code.
pub async fn set_plan(
    owner: &mut PgConnection,
    code: &str,
    max_users: Option<Option<i32>>,
    max_patients: Option<Option<i32>>,
) -> anyhow::Result<TenantInfo> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE tenants SET \
         max_users = CASE WHEN $2 THEN $3 ELSE max_users END, \
         max_patients = CASE WHEN $4 THEN $5 ELSE max_patients END \
         WHERE code = lower($1) RETURNING {TENANT_COLS}"
    )))
    .bind(code.trim())
    .bind(max_users.is_some())
    .bind(max_users.flatten())
    .bind(max_patients.is_some())
    .bind(max_patients.flatten())
    .fetch_optional(owner)
    .await?
    .ok_or_else(|| anyhow::anyhow!("no clinic with code {code:?}"))?;
    Ok(tenant_info_from_row(&row, "id")?)
}

/// Creates a clinic (tenant) through an owner connection, or returns the existing one with
/// that code. `time_zone` is an IANA name.
pub async fn ensure_tenant(
    owner: &mut PgConnection,
    code: &str,
    name: &str,
    time_zone: &str,
) -> anyhow::Result<Uuid> {
    time_zone
        .parse::<chrono_tz::Tz>()
        .map_err(|_| anyhow::anyhow!("unknown time zone {time_zone:?}"))?;
    if let Some(id) = sqlx::query_scalar::<_, Uuid>("SELECT id FROM tenants WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *owner)
        .await?
    {
        return Ok(id);
    }
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO tenants (id, code, name, time_zone) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(code)
        .bind(name)
        .bind(time_zone)
        .execute(owner)
        .await?;
    Ok(id)
}

fn check_time_zone(tz: &str, field: &str, e: &mut FieldErrors) {
    if !tz.is_empty() && tz.parse::<chrono_tz::Tz>().is_err() {
        e.add(
            field,
            "is not an IANA time zone name (for example America/New_York or Europe/Paris)",
        );
    }
}

/// Registers a clinic and its first admin, when the server allows it
/// (`--allow-self-registration`; otherwise 403 `self_registration_disabled`). Every field is
/// checked (422 by field); a clinic code in use is 409 on `code`. The clinic gets the
/// server's default plan limits. Rate-limited per client address like sign-in.
#[utoipa::path(post, path = "/api/v1/tenants", request_body = NewClinic, tag = "clinic",
    responses((status = 201, body = RegisteredClinic),
        (status = 403, body = ErrorBody, description = "code `self_registration_disabled`"),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "code `rate_limited`")))]
pub async fn register(
    State(st): State<AppState>,
    auth::ClientIp(ip): auth::ClientIp,
    ApiJson(new): ApiJson<NewClinic>,
) -> AppResult<(StatusCode, Json<RegisteredClinic>)> {
    if !st.config.allow_self_registration {
        return Err(AppError::coded(
            StatusCode::FORBIDDEN,
            ApiErrorCode::SelfRegistrationDisabled,
            "This server does not let clinics register themselves; ask its operator",
        ));
    }
    let new = new.normalized();
    let mut e = new.validate().err().unwrap_or_default();
    check_time_zone(&new.time_zone, "time_zone", &mut e);
    e.into_result().map_err(AppError::Validation)?;
    let hash = auth::hash_password_async(new.admin_password.clone()).await?;
    let tenant_id = Uuid::now_v7();
    let mut tx = st.pool.begin().await?;
    db::set_tenant(&mut tx, tenant_id).await?;
    sqlx::query(
        "INSERT INTO tenants (id, code, name, time_zone, max_users, max_patients) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant_id)
    .bind(&new.code)
    .bind(&new.name)
    .bind(&new.time_zone)
    .bind(st.config.default_max_users.0)
    .bind(st.config.default_max_patients.0)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if is_pg_code(&e, "23505") {
            AppError::conflict_field("code", "is already taken by another clinic")
        } else {
            e.into()
        }
    })?;
    let admin = users::insert_user(
        &mut tx,
        tenant_id,
        &new.admin_username,
        &new.admin_full_name,
        medoffice_model::Role::Admin,
        &hash,
        true,
    )
    .await
    .map_err(|e| match e {
        AppError::Validation(_) => AppError::field("admin_username", "is already taken"),
        other => other,
    })?;
    audit::record_raw(
        &mut tx,
        tenant_id,
        Some(admin.id),
        Some(&admin.username),
        None,
        ip.as_deref(),
        AuditEntry::success("tenant.register", "tenant", Some(tenant_id), None),
    )
    .await?;
    let (admin, _) = signin::load_user(&mut tx, admin.id).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredClinic {
            tenant: admin.tenant.clone(),
            admin,
        }),
    ))
}

/// The caller's clinic: name, time zone, sign-in policy and plan limits.
#[utoipa::path(get, path = "/api/v1/tenant", tag = "clinic",
    responses((status = 200, body = TenantInfo), (status = 401, body = ErrorBody)))]
pub async fn get_tenant(State(st): State<AppState>, actor: Actor) -> AppResult<Json<TenantInfo>> {
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let t = load_tenant(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(t))
}

/// Changes the clinic's name, time zone, date and time conventions, address, phone or sign-in
/// policy (admin). Turning
/// `require_admin_totp` on needs the caller to have two-factor sign-in on (422 otherwise);
/// from then on every admin without it is sent to enrolment. Plan limits are the operator's
/// and cannot be changed here.
#[utoipa::path(patch, path = "/api/v1/tenant", request_body = TenantPatch, tag = "clinic",
    responses((status = 200, body = TenantInfo), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn patch_tenant(
    State(st): State<AppState>,
    actor: Actor,
    ApiJson(patch): ApiJson<TenantPatch>,
) -> AppResult<Json<TenantInfo>> {
    actor.require(Permission::UserManage)?;
    let name = patch.name.as_deref().map(str::trim);
    let time_zone = patch.time_zone.as_deref().map(str::trim);
    let mut e = FieldErrors::new();
    if let Some(n) = name {
        medoffice_model::validate_full_name(n, "name", &mut e);
    }
    if let Some(tz) = time_zone {
        if tz.is_empty() {
            e.add("time_zone", "is required");
        }
        check_time_zone(tz, "time_zone", &mut e);
    }
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    if patch.require_admin_totp == Some(true) {
        let own_totp: bool =
            sqlx::query_scalar("SELECT totp_secret IS NOT NULL FROM users WHERE id = $1")
                .bind(actor.user_id)
                .fetch_one(&mut *tx)
                .await?;
        if !own_totp {
            e.add(
                "require_admin_totp",
                "turn on two-factor sign-in for your own account first, so you are not locked out",
            );
        }
    }
    if patch
        .address
        .as_deref()
        .is_some_and(|v| v.trim().chars().count() > 300)
    {
        e.add("address", "must be at most 300 characters");
    }
    if let Some(phone) = patch.phone.as_deref().map(str::trim) {
        if phone.chars().count() > 40 {
            e.add("phone", "must be at most 40 characters");
        } else if !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            e.add("phone", "may hold digits, spaces and + - ( ) . only");
        }
    }
    e.into_result().map_err(AppError::Validation)?;
    let before = load_tenant(&mut tx).await?;
    sqlx::query(
        "UPDATE tenants SET name = coalesce($1, name), time_zone = coalesce($2, time_zone), \
         require_admin_totp = coalesce($3, require_admin_totp), \
         address = CASE WHEN $5::text IS NULL THEN address ELSE nullif($5, '') END, \
         phone = CASE WHEN $6::text IS NULL THEN phone ELSE nullif($6, '') END, \
         date_order = coalesce($7, date_order), hour_cycle = coalesce($8, hour_cycle), \
         week_start = coalesce($9, week_start) WHERE id = $4",
    )
    .bind(name)
    .bind(time_zone)
    .bind(patch.require_admin_totp)
    .bind(actor.tenant_id)
    // trimmed here, so what is checked above is what is stored
    .bind(patch.address.as_deref().map(str::trim))
    .bind(patch.phone.as_deref().map(str::trim))
    .bind(patch.date_order.map(DateOrder::as_str))
    .bind(patch.hour_cycle.map(HourCycle::as_str))
    .bind(patch.week_start.map(WeekStart::as_str))
    .execute(&mut *tx)
    .await?;
    let after = load_tenant(&mut tx).await?;
    if after.require_admin_totp != before.require_admin_totp {
        let outcome = if after.require_admin_totp {
            "on"
        } else {
            "off"
        };
        audit::record(
            &mut tx,
            &actor,
            AuditEntry {
                action: "tenant.require_admin_totp",
                entity: Some("tenant"),
                entity_id: Some(actor.tenant_id),
                patient_id: None,
                outcome,
            },
        )
        .await?;
    }
    audit::record(
        &mut tx,
        &actor,
        AuditEntry::success("tenant.update", "tenant", Some(actor.tenant_id), None),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(after))
}
