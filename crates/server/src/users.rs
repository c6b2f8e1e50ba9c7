//! Users: the staff accounts of a clinic (the `users` table, `/api/v1/users`), managed by the
//! clinic's admins (permission `user_manage`): list, create with a temporary password, change
//! name/role/active, reset a password, reset a second factor. Every change is audited with the
//! target user as the entry's entity. [`insert_user`] is also how registration, the command
//! line, imports and tests make accounts. Signing in is [`crate::signin`].
//!
//! Another clinic's user ids answer 404: row-level security hides their rows.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use medoffice_model::{
    CreatedUser, ErrorBody, ListMeta, ListResponse, NewUser, Permission, Role, StaffMember,
    TemporaryPassword, UserInfo, UserPatch,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::auth::{self, Actor};
use crate::error::{is_pg_code, AppError, AppResult};
use crate::signin::{self, user_info_from_row, USER_INFO_COLS};
use crate::{db, plan, twofactor, ApiJson, AppState};

/// Inserts a user of the current tenant.
pub async fn insert_user(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    username: &str,
    full_name: &str,
    role: Role,
    password_hash: &str,
    active: bool,
) -> AppResult<StaffMember> {
    let row = sqlx::query(
        "INSERT INTO users (id, tenant_id, username, password_hash, full_name, role, active) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         RETURNING id, username, full_name, role, active, revision",
    )
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(username.trim())
    .bind(password_hash)
    .bind(full_name.trim())
    .bind(role.as_str())
    .bind(active)
    .fetch_one(conn)
    .await
    .map_err(|e| if is_pg_code(&e, "23505") { AppError::field("username", "is already taken in this clinic") } else { e.into() })?;
    Ok(crate::feed::staff_from_row(&row)?)
}

/// Words in a temporary password: 4 groups of 4 readable characters, 80 random bits.
const TEMPORARY_PASSWORD_GROUPS: usize = 4;

fn audit_target<'a>(action: &'a str, target: Uuid, outcome: &'a str) -> AuditEntry<'a> {
    AuditEntry {
        action,
        entity: Some("user"),
        entity_id: Some(target),
        patient_id: None,
        outcome,
    }
}

/// Locks the target's row; 404 when it is not a user of this clinic. Answers (role, active).
///
/// FOR NO KEY UPDATE: it serialises changes to the account, but does not wait for (or block) the
/// KEY SHARE lock a clinical write takes on its recorder's row for the foreign key. A change to
/// name, role or active takes the clinic's counter afterwards (revision trigger), while a write
/// holds the counter when it checks that key: with FOR UPDATE the two waited for each other.
async fn lock_user(conn: &mut PgConnection, id: Uuid) -> AppResult<(Role, bool)> {
    let (role, active): (String, bool) =
        sqlx::query_as("SELECT role, active FROM users WHERE id = $1 FOR NO KEY UPDATE")
            .bind(id)
            .fetch_optional(conn)
            .await?
            .ok_or(AppError::NotFound("user"))?;
    let role = Role::parse(&role)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unknown role {role}")))?;
    Ok((role, active))
}

/// The clinic's staff accounts, by name (admin): role, active, temporary password, second
/// factor, lock and last sign-in of each.
#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = ListResponse<UserInfo>), (status = 403, body = ErrorBody)))]
pub async fn list_users(
    State(st): State<AppState>,
    actor: Actor,
) -> AppResult<Json<ListResponse<UserInfo>>> {
    actor.require(Permission::UserManage)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_INFO_COLS} FROM users u JOIN tenants t ON t.id = u.tenant_id ORDER BY u.full_name, u.username"
    )))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let data = rows
        .iter()
        .map(user_info_from_row)
        .collect::<AppResult<Vec<_>>>()?;
    let total = data.len() as i64;
    Ok(Json(ListResponse {
        data,
        meta: ListMeta {
            total,
            limit: total,
            offset: 0,
            total_capped: false,
        },
    }))
}

/// Creates a staff account (admin) with a temporary password: the one given, or one the
/// server makes up (16 readable characters from a CSPRNG), answered once. The account must
/// choose its own password at first sign-in. 403 `plan_limit` beyond the clinic's active
/// users; a username in use is 422 on `username`.
#[utoipa::path(post, path = "/api/v1/users", request_body = NewUser, tag = "users",
    responses((status = 201, body = CreatedUser),
        (status = 403, body = ErrorBody, description = "not an admin, or code `plan_limit`"),
        (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(st): State<AppState>,
    actor: Actor,
    ApiJson(new): ApiJson<NewUser>,
) -> AppResult<(StatusCode, Json<CreatedUser>)> {
    actor.require(Permission::UserManage)?;
    new.validate().map_err(AppError::Validation)?;
    let temporary = new
        .temporary_password
        .clone()
        .unwrap_or_else(|| auth::readable_secret(TEMPORARY_PASSWORD_GROUPS));
    let hash = auth::hash_password_async(temporary.clone()).await?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    plan::check_user_limit(&mut tx).await?;
    let s = insert_user(
        &mut tx,
        actor.tenant_id,
        &new.username,
        &new.full_name,
        new.role,
        &hash,
        true,
    )
    .await?;
    sqlx::query("UPDATE users SET must_change_password = true WHERE id = $1")
        .bind(s.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        &actor,
        audit_target("user.create", s.id, "success"),
    )
    .await?;
    let (user, _) = signin::load_user(&mut tx, s.id).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUser {
            user,
            temporary_password: temporary,
        }),
    ))
}

/// Changes a staff account's name, role or active flag (admin); fields left out stay. A role
/// change applies from the user's next request and is audited `user.role_change` with
/// `old->new` as outcome. Deactivating ends the user's sessions at once (tokens, WebSocket).
/// The clinic keeps at least one active admin: demoting or deactivating the last one is 422
/// on `role` / `active`. Reactivating counts against the plan (403 `plan_limit`).
#[utoipa::path(patch, path = "/api/v1/users/{id}", request_body = UserPatch, tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = UserInfo), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_user(
    State(st): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> AppResult<Json<UserInfo>> {
    actor.require(Permission::UserManage)?;
    patch.validate().map_err(AppError::Validation)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    // one admin change at a time per clinic, so two admins cannot demote each other at once
    sqlx::query("SELECT 1 FROM tenants FOR NO KEY UPDATE")
        .execute(&mut *tx)
        .await?;
    let (old_role, old_active) = lock_user(&mut tx, id).await?;
    let new_role = patch.role.unwrap_or(old_role);
    let new_active = patch.active.unwrap_or(old_active);
    if old_role == Role::Admin && old_active && (new_role != Role::Admin || !new_active) {
        let other_admins: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM users WHERE role = 'admin' AND active AND id <> $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if other_admins == 0 {
            let field = if new_active { "role" } else { "active" };
            return Err(AppError::field(
                field,
                "the clinic must keep at least one active admin: make someone else admin first",
            ));
        }
    }
    if new_active && !old_active {
        plan::check_user_limit(&mut tx).await?;
    }
    let full_name = patch.full_name.as_deref().map(str::trim);
    sqlx::query(
        "UPDATE users SET full_name = coalesce($2, full_name), role = $3, active = $4, updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(full_name)
    .bind(new_role.as_str())
    .bind(new_active)
    .execute(&mut *tx)
    .await?;
    if new_role != old_role {
        let change = format!("{}->{}", old_role.as_str(), new_role.as_str());
        audit::record(
            &mut tx,
            &actor,
            audit_target("user.role_change", id, &change),
        )
        .await?;
    }
    if new_active != old_active {
        if new_active {
            audit::record(
                &mut tx,
                &actor,
                audit_target("user.reactivate", id, "success"),
            )
            .await?;
        } else {
            signin::end_sessions(&mut tx, id).await?;
            audit::record(
                &mut tx,
                &actor,
                audit_target("user.deactivate", id, "success"),
            )
            .await?;
        }
    }
    if full_name.is_some() {
        audit::record(&mut tx, &actor, audit_target("user.update", id, "success")).await?;
    }
    let (user, _) = signin::load_user(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(user))
}

/// Gives a staff account a new temporary password (admin), answered once: it must be changed
/// at the next sign-in. Every session of the user ends at once (refresh tokens revoked,
/// access tokens void, WebSocket closed), and a lockout is lifted.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-password", tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = TemporaryPassword), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn reset_password(
    State(st): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<TemporaryPassword>> {
    actor.require(Permission::UserManage)?;
    let temporary = auth::readable_secret(TEMPORARY_PASSWORD_GROUPS);
    let hash = auth::hash_password_async(temporary.clone()).await?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    lock_user(&mut tx, id).await?;
    sqlx::query(
        "UPDATE users SET password_hash = $2, must_change_password = true, failed_logins = 0, \
         locked_until = NULL, password_changed_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(hash)
    .execute(&mut *tx)
    .await?;
    signin::end_sessions(&mut tx, id).await?;
    audit::record(
        &mut tx,
        &actor,
        audit_target("user.password_reset", id, "success"),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(TemporaryPassword {
        temporary_password: temporary,
    }))
}

/// Turns a staff account's two-factor sign-in off (admin), e.g. after a lost phone; its
/// recovery codes are void. If the clinic requires a second factor for the role, the next
/// sign-in goes to enrolment.
#[utoipa::path(post, path = "/api/v1/users/{id}/reset-totp", tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, body = UserInfo), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn reset_totp(
    State(st): State<AppState>,
    actor: Actor,
    Path(id): Path<Uuid>,
) -> AppResult<Json<UserInfo>> {
    actor.require(Permission::UserManage)?;
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    lock_user(&mut tx, id).await?;
    twofactor::clear(&mut tx, id).await?;
    audit::record(
        &mut tx,
        &actor,
        audit_target("user.totp_reset", id, "success"),
    )
    .await?;
    let (user, _) = signin::load_user(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(user))
}
