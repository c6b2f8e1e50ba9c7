//! The audit log: every read of a patient's record, every write, every login and failed login.
//! Rows are inserted in the same transaction as the access they record, so an access that
//! rolls back leaves no entry (a refused attempt is then recorded on its own, see
//! [`record_failure`]). Each clinic's entries form a SHA-256 hash chain, stamped at commit by
//! PostgreSQL and checked by [`crate::audit_chain`]; the server's role may only insert.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::auth::Actor;
use crate::error::AppError;

/// One audit entry to write.
pub struct AuditEntry<'a> {
    /// E.g. `patient.read`, `vital_signs.create`, `auth.login_failed`.
    pub action: &'a str,
    /// Entity kind, e.g. `patient`.
    pub entity: Option<&'a str>,
    /// Entity id.
    pub entity_id: Option<Uuid>,
    /// The patient whose record this touches.
    pub patient_id: Option<Uuid>,
    /// `success`, `denied`, `rejected`, `failure`.
    pub outcome: &'a str,
}

impl<'a> AuditEntry<'a> {
    /// A successful `action` on `entity` `entity_id`, part of `patient_id`'s record.
    pub fn success(
        action: &'a str,
        entity: &'a str,
        entity_id: Option<Uuid>,
        patient_id: Option<Uuid>,
    ) -> Self {
        Self {
            action,
            entity: Some(entity),
            entity_id,
            patient_id,
            outcome: "success",
        }
    }
}

/// Appends an entry for `actor`.
pub async fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    e: AuditEntry<'_>,
) -> Result<(), sqlx::Error> {
    insert(conn, &Who::actor(actor), e, None, None).await
}

/// Appends one successful `action` on `entity` per `(actor, entity id, patient id)`, in one
/// statement: what [`record`] writes for each, for a group of writes committed together
/// (`clinical::batch`). All actors are of `tenant_id`.
pub async fn record_successes(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    action: &str,
    entity: &str,
    entries: &[(&Actor, Uuid, Uuid)],
) -> Result<(), sqlx::Error> {
    let users: Vec<Uuid> = entries.iter().map(|(a, _, _)| a.user_id).collect();
    let names: Vec<&str> = entries
        .iter()
        .map(|(a, _, _)| a.username.as_str())
        .collect();
    let ids: Vec<Uuid> = entries.iter().map(|(_, id, _)| *id).collect();
    let patients: Vec<Uuid> = entries.iter().map(|(_, _, p)| *p).collect();
    let devices: Vec<Option<&str>> = entries
        .iter()
        .map(|(a, _, _)| a.device_id.as_deref())
        .collect();
    let ips: Vec<Option<&str>> = entries.iter().map(|(a, _, _)| a.ip.as_deref()).collect();
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, user_id, username, action, entity, entity_id, patient_id, device_id, ip, outcome) \
         SELECT $1, u, n, $2, $3, id, p, d, ip, 'success' \
         FROM unnest($4::uuid[], $5::text[], $6::uuid[], $7::uuid[], $8::text[], $9::text[]) \
         WITH ORDINALITY AS a (u, n, id, p, d, ip, ord) ORDER BY ord",
    )
    .bind(tenant_id)
    .bind(action)
    .bind(entity)
    .bind(&users)
    .bind(&names)
    .bind(&ids)
    .bind(&patients)
    .bind(&devices)
    .bind(&ips)
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends one successful `action` for each of `patients` by `actor`, with the same `detail`,
/// in one statement: a delivery of several patients' records (a feed page), so each patient's
/// accesses list it.
pub async fn record_patients(
    conn: &mut PgConnection,
    actor: &Actor,
    action: &str,
    patients: &[Uuid],
    detail: &str,
) -> Result<(), sqlx::Error> {
    if patients.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, user_id, username, action, entity, entity_id, patient_id, device_id, ip, outcome, detail) \
         SELECT $1, $2, $3, $4, 'patient', p, p, $5, $6, 'success', $7 \
         FROM unnest($8::uuid[]) WITH ORDINALITY AS a (p, ord) ORDER BY ord",
    )
    .bind(actor.tenant_id)
    .bind(actor.user_id)
    .bind(&actor.username)
    .bind(action)
    .bind(actor.device_id.as_deref())
    .bind(actor.ip.as_deref())
    .bind(detail)
    .bind(patients)
    .execute(conn)
    .await?;
    Ok(())
}

/// Appends an entry with explicit fields (used before a caller is authenticated).
pub async fn record_raw(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    user_id: Option<Uuid>,
    username: Option<&str>,
    device_id: Option<&str>,
    ip: Option<&str>,
    e: AuditEntry<'_>,
) -> Result<(), sqlx::Error> {
    insert(
        conn,
        &Who {
            tenant_id,
            user_id,
            username,
            device_id,
            ip,
        },
        e,
        None,
        None,
    )
    .await
}

/// Appends an entry for `actor` with a `detail` text for a person (what was filtered,
/// exported, rejected and why).
pub async fn record_detail(
    conn: &mut PgConnection,
    actor: &Actor,
    e: AuditEntry<'_>,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    insert(conn, &Who::actor(actor), e, detail, None).await
}

/// Who an entry is about: the clinic, and the user, workstation and address when known.
pub struct Who<'a> {
    /// The clinic.
    pub tenant_id: Uuid,
    /// The staff member.
    pub user_id: Option<Uuid>,
    /// Their username (or the name typed at a failed login).
    pub username: Option<&'a str>,
    /// The workstation id.
    pub device_id: Option<&'a str>,
    /// The client address.
    pub ip: Option<&'a str>,
}

impl<'a> Who<'a> {
    /// The authenticated caller.
    pub fn actor(actor: &'a Actor) -> Self {
        Self {
            tenant_id: actor.tenant_id,
            user_id: Some(actor.user_id),
            username: Some(&actor.username),
            device_id: actor.device_id.as_deref(),
            ip: actor.ip.as_deref(),
        }
    }
}

/// Inserts one entry. `event_id` is the client-made id of a reported access: an entry with
/// that id already in the clinic's log makes this a no-op, and the answer is `false`.
///
/// The entry joins its clinic's hash chain when the transaction commits (trigger
/// `audit_log_chain`, migrations/server/0003_audit_chain.sql); the time, id and chain columns
/// are not ours to choose (the role may insert only the columns below).
pub async fn insert(
    conn: &mut PgConnection,
    who: &Who<'_>,
    e: AuditEntry<'_>,
    detail: Option<&str>,
    event_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    insert_once(conn, who, e, detail, event_id)
        .await
        .map(|_| ())
}

/// As [`insert`], answering whether a row was written (`false`: `event_id` seen before).
pub async fn insert_once(
    conn: &mut PgConnection,
    who: &Who<'_>,
    e: AuditEntry<'_>,
    detail: Option<&str>,
    event_id: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    // plain INSERT unless there is an event id to deduplicate on (ON CONFLICT costs a
    // speculative insertion on every row)
    let sql = if event_id.is_some() {
        "INSERT INTO audit_log (tenant_id, user_id, username, action, entity, entity_id, patient_id, device_id, ip, outcome, detail, event_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (tenant_id, event_id) WHERE event_id IS NOT NULL DO NOTHING"
    } else {
        "INSERT INTO audit_log (tenant_id, user_id, username, action, entity, entity_id, patient_id, device_id, ip, outcome, detail, event_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    };
    let n = sqlx::query(sql)
        .bind(who.tenant_id)
        .bind(who.user_id)
        .bind(who.username)
        .bind(e.action)
        .bind(e.entity)
        .bind(e.entity_id)
        .bind(e.patient_id)
        .bind(who.device_id)
        .bind(who.ip)
        .bind(e.outcome)
        .bind(detail)
        .bind(event_id)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// The outcome word an error answer is audited under: `denied` (403), `not_found` (404),
/// `conflict` (409), `rejected` (422 and other refusals), `failure` (the server failed).
pub fn outcome_of(e: &AppError) -> &'static str {
    match e {
        AppError::Forbidden => "denied",
        AppError::NotFound(_) => "not_found",
        AppError::Conflict { .. } => "conflict",
        AppError::Internal(_) | AppError::Unavailable => "failure",
        _ => "rejected",
    }
}

/// Records, in a transaction of its own, that `actor`'s attempt at `action` failed with `err`
/// (the attempt's own transaction, and any entry it made, was rolled back). Best effort: a
/// failure to record is logged, and the caller answers `err` either way.
pub async fn record_failure(
    pool: &PgPool,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: Option<Uuid>,
    patient_id: Option<Uuid>,
    err: &AppError,
) {
    if matches!(err, AppError::Unavailable) {
        return;
    }
    let detail = err.body().message;
    let result = async {
        let mut tx = crate::db::tenant_tx(pool, actor.tenant_id).await?;
        record_detail(
            &mut tx,
            actor,
            AuditEntry {
                action,
                entity: Some(entity),
                entity_id,
                patient_id,
                outcome: outcome_of(err),
            },
            Some(&detail),
        )
        .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, action, "could not record a failed attempt in the audit log");
    }
}

/// Records a bulk import run from the command line (one entry, counts in `detail`),
/// attributed to `importer`, in the import's own transaction.
pub async fn record_import(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    importer: Uuid,
    action: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    let username: Option<String> = sqlx::query_scalar("SELECT username FROM users WHERE id = $1")
        .bind(importer)
        .fetch_optional(&mut *conn)
        .await?;
    insert(
        conn,
        &Who {
            tenant_id,
            user_id: Some(importer),
            username: username.as_deref(),
            device_id: Some("medoffice-server (command line)"),
            ip: None,
        },
        AuditEntry {
            action,
            entity: None,
            entity_id: None,
            patient_id: None,
            outcome: "success",
        },
        Some(detail),
        None,
    )
    .await
}
