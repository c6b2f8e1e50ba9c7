//! The audit log: every read of a patient's record, every write, every login and failed login.
//! Rows are inserted in the same transaction as the access they record.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::auth::Actor;

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
    record_raw(
        conn,
        actor.tenant_id,
        Some(actor.user_id),
        Some(&actor.username),
        actor.device_id.as_deref(),
        actor.ip.as_deref(),
        e,
    )
    .await
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
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, user_id, username, action, entity, entity_id, patient_id, device_id, ip, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tenant_id)
    .bind(user_id)
    .bind(username)
    .bind(e.action)
    .bind(e.entity)
    .bind(e.entity_id)
    .bind(e.patient_id)
    .bind(device_id)
    .bind(ip)
    .bind(e.outcome)
    .execute(conn)
    .await?;
    Ok(())
}
