//! The clinical records: patients, vital signs, appointments. One module per entity holds its
//! row mapping, its services and its REST handlers (`rest`); [`merge`] is the field-level merge
//! every edit goes through. Each service takes a connection inside a tenant-scoped transaction
//! and the acting user; REST handlers and the sync push call the same functions, so both
//! enforce the same rules.
//!
//! Shared by the entity modules, here: the clinic's calendar, the tenant's revision counter,
//! reading enum columns, the answer to a replayed create, and the REST answers' helpers.

use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use medoffice_model::{ListMeta, ListResponse};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::audit;
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::AppState;

pub mod appointments;
pub mod availability;
pub mod batch;
pub mod merge;
pub mod patients;
pub mod rooms;
pub mod visit_types;
pub mod vitals;

fn parse_enum<T: serde::de::DeserializeOwned>(s: &str) -> anyhow::Result<T> {
    Ok(serde_json::from_value(Value::String(s.to_owned()))?)
}

/// A record a booking points at (a provider, a room, a visit type) may be used only when it is
/// active and of this clinic: `active_sql` reads its `active` flag by id under row-level
/// security (which hides other clinics' rows; a foreign key alone would not). 422 on `field`
/// with `inactive` or `unknown`.
pub(crate) async fn check_usable(
    conn: &mut PgConnection,
    active_sql: &'static str,
    id: Uuid,
    field: &str,
    inactive: &str,
    unknown: &str,
) -> AppResult<()> {
    let active: Option<bool> = sqlx::query_scalar(active_sql)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    match active {
        Some(true) => Ok(()),
        Some(false) => Err(AppError::field(field, inactive)),
        None => Err(AppError::field(field, unknown)),
    }
}

/// Audits an administrator's change to the clinic's set-up (hours, blocks, rooms, visit types):
/// `action` on `entity` `id`, touching no patient's record.
pub(crate) async fn audit_setup(
    conn: &mut PgConnection,
    actor: &Actor,
    action: &str,
    entity: &str,
    id: Uuid,
) -> AppResult<()> {
    audit::record(
        conn,
        actor,
        audit::AuditEntry {
            action,
            entity: Some(entity),
            entity_id: Some(id),
            patient_id: None,
            outcome: "success",
        },
    )
    .await?;
    Ok(())
}

/// Today in the clinic's time zone.
pub async fn clinic_today(conn: &mut PgConnection) -> AppResult<NaiveDate> {
    let tz = clinic_tz(conn).await?;
    Ok(Utc::now().with_timezone(&tz).date_naive())
}

/// The clinic's IANA time zone, in which days and ages are counted.
pub async fn clinic_tz(conn: &mut PgConnection) -> AppResult<chrono_tz::Tz> {
    let tz: String = sqlx::query_scalar("SELECT time_zone FROM tenants")
        .fetch_one(conn)
        .await?;
    Ok(tz.parse().unwrap_or(chrono_tz::UTC))
}

/// An instant as the clinic reads it, for messages: its wall clock in its date order and on its
/// clock (`03/14/2024 2:30 PM`); ISO in UTC when the clinic cannot be read.
pub async fn clinic_wall_clock(conn: &mut PgConnection, at: DateTime<Utc>) -> String {
    let row: Result<(String, String, String), _> =
        sqlx::query_as("SELECT time_zone, date_order, hour_cycle FROM tenants")
            .fetch_one(conn)
            .await;
    match row {
        Ok((zone, order, clock)) => {
            let tz: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::UTC);
            let c = medoffice_model::DateConventions {
                date_order: medoffice_model::DateOrder::parse(&order).unwrap_or_default(),
                hour_cycle: medoffice_model::HourCycle::parse(&clock).unwrap_or_default(),
                week_start: medoffice_model::WeekStart::default(),
            };
            c.date_time(at.with_timezone(&tz).naive_local())
        }
        Err(_) => at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

/// The revision the next write in this transaction will take. Locks the tenant's counter row
/// (`tenant_counters`, migration 0022; the write would lock it anyway), so the value cannot
/// move until commit.
///
/// FOR NO KEY UPDATE, the lock the revision trigger's `UPDATE` takes anyway. (When the counter
/// was a column of `tenants`, FOR UPDATE also waited for the KEY SHARE locks that every insert
/// referencing `tenants` holds to its commit, and two pushes deadlocked; nothing references
/// the counter's own row, and the weaker lock stays the one the trigger takes.)
async fn next_revision(conn: &mut PgConnection, tenant_id: Uuid) -> AppResult<i64> {
    let r: i64 = sqlx::query_scalar(
        "SELECT revision + 1 FROM tenant_counters WHERE tenant_id = $1 FOR NO KEY UPDATE",
    )
    .bind(tenant_id)
    .fetch_one(conn)
    .await?;
    Ok(r)
}

/// The answer to a create whose client-made id exists already: the same body again is the
/// same record, not created now (200); another body with that id is 409 on `id`, the answer an
/// id held by another clinic's record gets too (see `From<sqlx::Error> for AppError`).
fn replayed_create<T>(existing: T, same_body: bool) -> AppResult<(T, bool)> {
    if same_body {
        Ok((existing, false))
    } else {
        Err(id_in_use())
    }
}

/// 409 on `id`: a client-made id another record holds, in this clinic or another.
pub fn id_in_use() -> AppError {
    AppError::conflict_field("id", "is already in use")
}

// ------------------------------------------------------------------------------ REST answers

/// A list answer holding every match (no paging).
fn whole_list<T>(data: Vec<T>) -> Json<ListResponse<T>> {
    let total = data.len() as i64;
    Json(ListResponse {
        data,
        meta: ListMeta {
            total,
            limit: total,
            offset: 0,
            total_capped: false,
        },
    })
}

/// 201 for a record created now, 200 when an idempotent repeat answers the existing one.
/// The 409 of an edit (or a merge) that kept the server's value of some fields, merged per
/// field (DESIGN.md, "Sync protocol" 5; the other fields were saved): `lead` and the fields by
/// name, with the conflicts, and `server`, the record as saved, when the caller sends it.
pub fn kept_server_values(
    lead: &str,
    conflicts: &[medoffice_model::merge::FieldConflict],
    server: Option<Value>,
) -> AppError {
    let fields: Vec<&str> = conflicts.iter().map(|c| c.field.as_str()).collect();
    let mut details = serde_json::json!({ "conflicts": conflicts });
    if let Some(s) = server {
        details["server"] = s;
    }
    AppError::Conflict {
        message: format!("{lead}: {}", fields.join(", ")),
        details: Some(details),
    }
}

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
