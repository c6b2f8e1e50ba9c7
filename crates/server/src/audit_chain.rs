//! The audit log's hash chain: the sealer that appends committed entries to their clinic's
//! chain, and the check that recomputes every chain outside the database (`medoffice-server
//! audit verify`).
//!
//! Each entry gets its place in its clinic's chain (`seq`), the previous entry's hash
//! (`prev_hash`, 32 zero bytes for the first) and `hash = SHA-256(prev_hash ‖ canonical(entry))`
//! from `medoffice_audit_seal()` (migrations/server/0003_audit_chain.sql), which every server
//! process calls every [`SEAL_EVERY`] ([`spawn_sealer`]): an entry joins the chain a fraction
//! of a second after its transaction commits, and accesses never wait for the chain. This module
//! implements the same canonical serialisation ([`canonical`]) and walks every chain in `seq`
//! order:
//!
//! - an entry whose content does not give its hash was **altered**;
//! - a missing `seq`, or an entry whose `prev_hash` names no existing entry, means entries were
//!   **deleted** (also at the end of a chain: the clinic's head row says how long it was);
//! - an entry whose `prev_hash` is the hash of an entry elsewhere in the chain was **reordered**.
//!
//! Entries not chained yet are counted as pending, not as breaks. The check reads every clinic,
//! so it runs over the owner connection (the app role sees one clinic at a time), and never
//! writes.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

/// The `prev_hash` of a clinic's first entry.
pub const GENESIS: [u8; 32] = [0; 32];

/// The fields of an entry that its hash covers.
#[derive(Debug, Clone)]
pub struct ChainedFields {
    /// Entry id.
    pub id: i64,
    /// Clinic.
    pub tenant_id: Uuid,
    /// Recorded at (microsecond precision, as PostgreSQL stores it).
    pub at: DateTime<Utc>,
    /// User.
    pub user_id: Option<Uuid>,
    /// Username.
    pub username: Option<String>,
    /// Action.
    pub action: String,
    /// Entity kind.
    pub entity: Option<String>,
    /// Entity id.
    pub entity_id: Option<Uuid>,
    /// Patient.
    pub patient_id: Option<Uuid>,
    /// Workstation.
    pub device_id: Option<String>,
    /// Address.
    pub ip: Option<String>,
    /// Outcome.
    pub outcome: String,
    /// Detail text.
    pub detail: Option<String>,
    /// Client-made event id.
    pub event_id: Option<Uuid>,
}

fn field(out: &mut Vec<u8>, v: Option<&str>) {
    match v {
        None => out.extend_from_slice(b"~;"),
        Some(s) => {
            out.extend_from_slice(s.len().to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(s.as_bytes());
            out.push(b';');
        }
    }
}

/// The canonical serialisation: `medoffice-audit-v1;` then each field as
/// `<byte length>:<UTF-8 value>;` (or `~;` for NULL) in the order id, tenant_id, at (µs since
/// the epoch), user_id, username, action, entity, entity_id, patient_id, device_id, ip,
/// outcome, detail, event_id. UUIDs are lower-case and hyphenated; numbers are decimal.
pub fn canonical(e: &ChainedFields) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(b"medoffice-audit-v1;");
    let uuid = |u: Option<Uuid>| u.map(|u| u.hyphenated().to_string());
    field(&mut out, Some(&e.id.to_string()));
    field(&mut out, Some(&e.tenant_id.hyphenated().to_string()));
    field(&mut out, Some(&e.at.timestamp_micros().to_string()));
    field(&mut out, uuid(e.user_id).as_deref());
    field(&mut out, e.username.as_deref());
    field(&mut out, Some(&e.action));
    field(&mut out, e.entity.as_deref());
    field(&mut out, uuid(e.entity_id).as_deref());
    field(&mut out, uuid(e.patient_id).as_deref());
    field(&mut out, e.device_id.as_deref());
    field(&mut out, e.ip.as_deref());
    field(&mut out, Some(&e.outcome));
    field(&mut out, e.detail.as_deref());
    field(&mut out, uuid(e.event_id).as_deref());
    out
}

/// `SHA-256(prev_hash ‖ canonical(entry))`.
pub fn entry_hash(prev_hash: &[u8], e: &ChainedFields) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev_hash);
    h.update(canonical(e));
    h.finalize().into()
}

/// What is wrong at a break in a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// The entry's content does not give its hash.
    Altered,
    /// Entries before this one (or at the end of the chain) are gone.
    Deleted,
    /// The entry follows another entry than the one before it.
    Reordered,
}

impl BreakKind {
    /// The word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakKind::Altered => "altered",
            BreakKind::Deleted => "deleted",
            BreakKind::Reordered => "reordered",
        }
    }
}

/// The first break found in one clinic's chain.
#[derive(Debug, Clone, Serialize)]
pub struct ChainBreak {
    /// Clinic code.
    pub clinic: String,
    /// Clinic id.
    pub tenant_id: Uuid,
    /// The entry where the chain breaks (for entries deleted at the end: the last one left).
    pub id: Option<i64>,
    /// Its time.
    pub at: Option<DateTime<Utc>>,
    /// Its place in the chain.
    pub seq: Option<i64>,
    /// What does not match.
    pub kind: BreakKind,
    /// A sentence for a person.
    pub message: String,
}

/// The end of one clinic's chain: write it down elsewhere to pin the log's past.
#[derive(Debug, Clone, Serialize)]
pub struct ChainHead {
    /// Clinic code.
    pub clinic: String,
    /// Entries in the chain.
    pub seq: i64,
    /// Hash of the last entry, hex.
    pub hash: String,
}

/// Result of [`verify`].
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// True when every chain checked is whole.
    pub intact: bool,
    /// Chained entries checked.
    pub entries: u64,
    /// Entries committed but not chained yet (the server chains them within a second; when no
    /// server runs, at its next start).
    pub pending: u64,
    /// Clinics checked.
    pub clinics: u64,
    /// The first break of each broken clinic.
    pub breaks: Vec<ChainBreak>,
    /// Each intact clinic's chain head.
    pub heads: Vec<ChainHead>,
}

impl VerifyReport {
    /// The human summary: `intact: N entries, M clinics`, or one line per broken clinic.
    pub fn summary(&self) -> String {
        let pending = if self.pending > 0 {
            format!(
                "\n{} newer entries are not chained yet (the server chains them within a second; is it running?)",
                self.pending
            )
        } else {
            String::new()
        };
        if self.intact {
            return format!(
                "intact: {} entries, {} clinics{pending}\n",
                self.entries, self.clinics
            );
        }
        let mut s = String::new();
        for b in &self.breaks {
            s.push_str(&format!("broken: clinic {}: {}\n", b.clinic, b.message));
        }
        s.push_str(&format!(
            "{} of {} clinics broken ({} entries checked)\n",
            self.breaks.len(),
            self.clinics,
            self.entries
        ));
        s
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn when(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Recomputes the chain of every clinic (or only the one with code `clinic`) over an owner
/// connection. Errors are database failures or an unknown clinic code; a broken chain is a
/// report with `intact: false`.
pub async fn verify(conn: &mut PgConnection, clinic: Option<&str>) -> anyhow::Result<VerifyReport> {
    let tenants: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT id, code FROM tenants WHERE $1::text IS NULL OR code = lower($1) ORDER BY code",
    )
    .bind(clinic)
    .fetch_all(&mut *conn)
    .await?;
    if let (Some(code), true) = (clinic, tenants.is_empty()) {
        anyhow::bail!("no clinic with code {code:?}");
    }
    let mut report = VerifyReport {
        intact: true,
        entries: 0,
        pending: 0,
        clinics: tenants.len() as u64,
        breaks: Vec::new(),
        heads: Vec::new(),
    };
    for (tenant_id, code) in tenants {
        // one snapshot per clinic: the entries and the head row are read by separate
        // statements, and a sealer pass committing between them would look like entries
        // deleted at the end of the chain
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let (n, pending, broken) = verify_clinic(&mut tx, tenant_id, &code).await?;
        tx.commit().await?;
        report.entries += n;
        report.pending += pending;
        match broken {
            Ok(head) => report.heads.push(head),
            Err(b) => {
                report.intact = false;
                report.breaks.push(b);
            }
        }
    }
    Ok(report)
}

/// Walks one clinic's chain; answers the chained entries read, the pending ones, and its head
/// or its first break.
async fn verify_clinic(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    code: &str,
) -> anyhow::Result<(u64, u64, Result<ChainHead, ChainBreak>)> {
    let brk = |kind: BreakKind, e: Option<&ChainedFields>, seq: Option<i64>, message: String| {
        ChainBreak {
            clinic: code.to_owned(),
            tenant_id,
            id: e.map(|e| e.id),
            at: e.map(|e| e.at),
            seq,
            kind,
            message,
        }
    };
    let mut expected_prev: Vec<u8> = GENESIS.to_vec();
    let mut expected_seq: i64 = 1;
    let mut last: Option<ChainedFields> = None;
    let mut n: u64 = 0;
    let mut pending: u64 = 0;
    let mut found: Option<ChainBreak> = None;
    {
        let mut rows = sqlx::query(
            "SELECT id, tenant_id, at, user_id, username, action, entity, entity_id, patient_id, \
             device_id, ip, outcome, detail, event_id, seq, prev_hash, hash \
             FROM audit_log WHERE tenant_id = $1 ORDER BY seq NULLS LAST, id",
        )
        .bind(tenant_id)
        .fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            n += 1;
            let e = ChainedFields {
                id: row.try_get("id")?,
                tenant_id: row.try_get("tenant_id")?,
                at: row.try_get("at")?,
                user_id: row.try_get("user_id")?,
                username: row.try_get("username")?,
                action: row.try_get("action")?,
                entity: row.try_get("entity")?,
                entity_id: row.try_get("entity_id")?,
                patient_id: row.try_get("patient_id")?,
                device_id: row.try_get("device_id")?,
                ip: row.try_get("ip")?,
                outcome: row.try_get("outcome")?,
                detail: row.try_get("detail")?,
                event_id: row.try_get("event_id")?,
            };
            let seq: Option<i64> = row.try_get("seq")?;
            let prev: Option<Vec<u8>> = row.try_get("prev_hash")?;
            let hash: Option<Vec<u8>> = row.try_get("hash")?;
            let (Some(seq), Some(prev), Some(hash)) = (seq, prev, hash) else {
                // not chained yet; they come last (NULLS LAST)
                n -= 1;
                pending += 1;
                continue;
            };
            if pending > 0 {
                anyhow::bail!("chained entries after unchained ones: the query order is wrong");
            }
            let here = format!("entry {} at {} (seq {seq}, {})", e.id, when(e.at), e.action);
            if entry_hash(&prev, &e)[..] != hash[..] {
                found = Some(brk(
                    BreakKind::Altered,
                    Some(&e),
                    Some(seq),
                    format!("{here} is altered: its content does not match its hash"),
                ));
                break;
            }
            if seq > expected_seq {
                let missing = if seq - expected_seq == 1 {
                    format!("seq {expected_seq} is missing")
                } else {
                    format!("seq {expected_seq}–{} are missing", seq - 1)
                };
                found = Some(brk(
                    BreakKind::Deleted,
                    Some(&e),
                    Some(seq),
                    format!("entries before {here} were deleted: {missing}"),
                ));
                break;
            }
            if seq < expected_seq {
                found = Some(brk(
                    BreakKind::Reordered,
                    Some(&e),
                    Some(seq),
                    format!("{here} is reordered: seq {seq} appears twice"),
                ));
                break;
            }
            if prev != expected_prev {
                // which entry it follows instead is looked up once the row stream has
                // released the connection (an empty message marks it)
                found = Some(brk(BreakKind::Deleted, Some(&e), Some(seq), String::new()));
                expected_prev = prev;
                break;
            }
            expected_prev = hash;
            expected_seq += 1;
            last = Some(e);
        }
    }
    if let Some(mut b) = found {
        if b.message.is_empty() {
            // a prev_hash that does not match the entry before: find whose hash it is
            let owner: Option<(i64, i64)> = sqlx::query_as(
                "SELECT id, seq FROM audit_log WHERE tenant_id = $1 AND hash = $2 LIMIT 1",
            )
            .bind(tenant_id)
            .bind(&expected_prev)
            .fetch_optional(&mut *conn)
            .await?;
            let id = b.id.unwrap_or_default();
            let at = b.at.map(when).unwrap_or_default();
            let seq = b.seq.unwrap_or_default();
            let here = format!("entry {id} at {at} (seq {seq})");
            (b.kind, b.message) = match owner {
                Some((other, other_seq)) => (
                    BreakKind::Reordered,
                    format!(
                        "{here} is reordered: it follows entry {other} (seq {other_seq}), not the entry before it"
                    ),
                ),
                None => (
                    BreakKind::Deleted,
                    format!(
                        "{here} does not follow the entry before it: that entry was altered and re-hashed, or entries between them were deleted and the rest renumbered"
                    ),
                ),
            };
        }
        return Ok((n, pending, Err(b)));
    }
    let head: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, hash FROM audit_chain_heads WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&mut *conn)
            .await?;
    let chain_len = expected_seq - 1;
    let (head_seq, head_hash) = head.unwrap_or((0, GENESIS.to_vec()));
    if head_seq > chain_len {
        let after = match &last {
            Some(e) => format!("after entry {} at {} (seq {chain_len})", e.id, when(e.at)),
            None => "from the start".to_owned(),
        };
        let count = head_seq - chain_len;
        return Ok((
            n,
            pending,
            Err(brk(
                BreakKind::Deleted,
                last.as_ref(),
                Some(chain_len),
                format!("the last {count} entries were deleted ({after}; the chain head says {head_seq})"),
            )),
        ));
    }
    if head_seq != chain_len || head_hash != expected_prev {
        return Ok((
            n,
            pending,
            Err(brk(
                BreakKind::Altered,
                last.as_ref(),
                Some(chain_len),
                format!(
                    "the chain head (seq {head_seq}) does not match the last entry (seq {chain_len}): the head row was altered"
                ),
            )),
        ));
    }
    Ok((
        n,
        pending,
        Ok(ChainHead {
            clinic: code.to_owned(),
            seq: head_seq,
            hash: hex(&head_hash),
        }),
    ))
}

/// How often each server process chains new entries.
pub const SEAL_EVERY: Duration = Duration::from_millis(200);
/// Most entries per clinic chained in one pass (a backlog takes several passes in a row).
pub const SEAL_BATCH: i32 = 5000;

/// Chains every committed, unchained entry now (repeating until none is left); answers how
/// many. Runs as the app role: `medoffice_audit_seal` is SECURITY DEFINER and can only stamp.
pub async fn seal_pending(pool: &PgPool) -> Result<i64, sqlx::Error> {
    let mut total = 0;
    loop {
        let n: i64 = sqlx::query_scalar("SELECT medoffice_audit_seal($1)")
            .bind(SEAL_BATCH)
            .fetch_one(pool)
            .await?;
        total += n;
        if n < i64::from(SEAL_BATCH) {
            return Ok(total);
        }
    }
}

/// The sealer of this server process: [`seal_pending`] every [`SEAL_EVERY`], for as long as
/// the runtime lives. Several processes may run it at once (the clinic's head row serialises
/// them). A failure (database down) is logged and retried at the next tick.
pub fn spawn_sealer(
    pool: PgPool,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SEAL_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match seal_pending(&pool).await {
                // a pass returns when a batch came back short: nothing was left behind
                Ok(n) => metrics.sealed(u64::try_from(n).unwrap_or(0), true),
                Err(e) => {
                    metrics.audit_seal_failures.inc();
                    tracing::warn!(error = %e, "could not chain new audit entries; retrying");
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> ChainedFields {
        ChainedFields {
            id: 17,
            tenant_id: Uuid::from_u128(1),
            at: DateTime::from_timestamp_micros(1_763_750_000_123_456).unwrap_or_default(),
            user_id: None,
            username: Some("zoë".into()),
            action: "patient.read".into(),
            entity: Some("patient".into()),
            entity_id: None,
            patient_id: None,
            device_id: None,
            ip: Some("127.0.0.1".into()),
            outcome: "success".into(),
            detail: None,
            event_id: None,
        }
    }

    #[test]
    fn canonical_form_is_length_prefixed_utf8() {
        let text = String::from_utf8(canonical(&entry())).unwrap_or_default();
        assert_eq!(
            text,
            "medoffice-audit-v1;2:17;36:00000000-0000-0000-0000-000000000001;16:1763750000123456;~;4:zoë;12:patient.read;7:patient;~;~;~;9:127.0.0.1;7:success;~;~;"
        );
    }

    #[test]
    fn any_change_changes_the_hash() {
        let h = entry_hash(&GENESIS, &entry());
        let mut e = entry();
        e.outcome = "denied".into();
        assert_ne!(entry_hash(&GENESIS, &e), h);
        // a NULL and an empty text are told apart
        let mut e = entry();
        e.detail = Some(String::new());
        assert_ne!(entry_hash(&GENESIS, &e), h);
        assert_ne!(entry_hash(&[1; 32], &entry()), h, "the link is hashed");
    }
}
