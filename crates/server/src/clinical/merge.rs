//! Field-level merge of an edit made from an older revision (DESIGN.md, sync invariant 5):
//! fields nobody else changed since are written, fields someone else changed are conflicts
//! and keep the server's value. Patients and appointments are edited through it.

use std::collections::BTreeMap;

use medoffice_model::merge::{merge_fields, FieldConflict};
use medoffice_model::FieldErrors;
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::{AppError, AppResult};

/// Applies each changed field to `current` alone and reports fields whose value does not fit
/// the record's type (e.g. an unknown `sex`).
fn apply_typed<T: serde::Serialize + serde::de::DeserializeOwned>(
    current: &T,
    apply: &Map<String, Value>,
) -> AppResult<T> {
    let mut base = serde_json::to_value(current).map_err(|e| AppError::Internal(e.into()))?;
    let mut errors = FieldErrors::new();
    for (field, value) in apply {
        let mut probe = base.clone();
        probe[field] = value.clone();
        if let Err(e) = serde_json::from_value::<T>(probe) {
            errors.add(field, format!("invalid value: {e}"));
        }
    }
    errors.into_result().map_err(AppError::Validation)?;
    for (field, value) in apply {
        base[field] = value.clone();
    }
    serde_json::from_value(base).map_err(|e| AppError::field("body", e.to_string()))
}

pub(super) fn check_editable(changes: &Map<String, Value>, allowed: &[&str]) -> AppResult<()> {
    let mut e = FieldErrors::new();
    for k in changes.keys() {
        if !allowed.contains(&k.as_str()) {
            e.add(k, "cannot be changed");
        }
    }
    if changes.is_empty() {
        e.add("body", "no fields to change");
    }
    e.into_result().map_err(AppError::Validation)
}

async fn field_revisions(
    conn: &mut PgConnection,
    table_sql: &'static str,
    id: Uuid,
) -> AppResult<BTreeMap<String, i64>> {
    let row: Option<Json<BTreeMap<String, i64>>> = sqlx::query_scalar(table_sql)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|j| j.0).unwrap_or_default())
}

/// An edit merged into a record: the record to write (`None` when nothing is left to change),
/// the fields that conflicted, and the field revisions to store with the write.
pub(super) struct Merged<T> {
    pub(super) record: Option<T>,
    pub(super) conflicts: Vec<FieldConflict>,
    pub(super) field_revisions: BTreeMap<String, i64>,
}

/// Field-level merge of `changes` made from `base_revision` into `current` (DESIGN.md, sync
/// invariant 5). Fields written since the base by this same user and workstation's earlier
/// mutations count as seen. `next` is the revision the write will take.
#[allow(clippy::too_many_arguments)]
pub(super) async fn merge_edit<T: serde::Serialize + serde::de::DeserializeOwned>(
    conn: &mut PgConnection,
    actor: &Actor,
    revs_sql: &'static str,
    id: Uuid,
    current: &T,
    base_revision: i64,
    changes: &Map<String, Value>,
    next: i64,
) -> AppResult<Merged<T>> {
    let revs = field_revisions(conn, revs_sql, id).await?;
    let later: Vec<i64> = changes
        .keys()
        .filter_map(|k| revs.get(k).copied())
        .filter(|r| *r > base_revision)
        .collect();
    let own: std::collections::BTreeSet<i64> = if later.is_empty() {
        Default::default()
    } else {
        sqlx::query_scalar::<_, i64>(
            "SELECT revision FROM applied_mutations WHERE user_id = $1 \
             AND device_id IS NOT DISTINCT FROM $2 AND revision = ANY($3)",
        )
        .bind(actor.user_id)
        .bind(&actor.device_id)
        .bind(&later)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect()
    };
    let current_json = serde_json::to_value(current).map_err(|e| AppError::Internal(e.into()))?;
    let empty = Map::new();
    let mut outcome = merge_fields(
        base_revision,
        &revs,
        &own,
        current_json.as_object().unwrap_or(&empty),
        changes,
    );
    if !outcome.conflicts.is_empty() {
        // who wrote the value kept, and when: the person reviewing the conflict needs both
        let revisions: Vec<i64> = outcome.conflicts.iter().map(|c| c.their_revision).collect();
        let authors: Vec<(i64, Option<String>, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
            "SELECT a.revision, u.full_name, a.applied_at FROM applied_mutations a \
             LEFT JOIN users u ON u.id = a.user_id WHERE a.revision = ANY($1)",
        )
        .bind(&revisions)
        .fetch_all(&mut *conn)
        .await?;
        for c in &mut outcome.conflicts {
            if let Some((_, by, at)) = authors.iter().find(|a| a.0 == c.their_revision) {
                c.changed_by = by.clone();
                c.changed_at = Some(*at);
            }
        }
    }
    if outcome.apply.is_empty() {
        return Ok(Merged {
            record: None,
            conflicts: outcome.conflicts,
            field_revisions: revs,
        });
    }
    let record = apply_typed(current, &outcome.apply)?;
    let mut field_revisions = revs;
    for k in outcome.apply.keys() {
        field_revisions.insert(k.clone(), next);
    }
    Ok(Merged {
        record: Some(record),
        conflicts: outcome.conflicts,
        field_revisions,
    })
}

/// Remembers who wrote `revision` through a REST edit, as a push does for outbox edits, so a
/// conflict with it later names its author and time (`merge_edit`), and a later outbox edit
/// from the same workstation counts it as seen.
pub async fn remember_rest_edit(
    conn: &mut PgConnection,
    actor: &Actor,
    revision: i64,
) -> AppResult<()> {
    let id = Uuid::now_v7();
    let result = medoffice_model::MutationResult {
        mutation_id: id,
        status: medoffice_model::MutationStatus::Applied,
        revision: Some(revision),
        error: None,
        server: None,
    };
    sqlx::query(
        "INSERT INTO applied_mutations (tenant_id, mutation_id, user_id, device_id, revision, result) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(actor.tenant_id)
    .bind(id)
    .bind(actor.user_id)
    .bind(&actor.device_id)
    .bind(revision)
    .bind(Json(&result))
    .execute(conn)
    .await?;
    Ok(())
}
