//! Reads of patients' records on this workstation (a chart opened, a search's list, a dump),
//! reported to the server's audit log.
//!
//! A chart is read from the local cache, so the server never sees the read. Each chart a
//! person opens is written to the cache's `access_log` table (with an id made here) and the
//! sync engine sends it with `POST /api/v1/audit/access` when online; the server records it
//! as `patient.chart_open` under that person, once per id, so a report sent twice counts once.
//! Reads made offline are reported when the server is back, by the person who made them (as
//! with the outbox, a shared workstation sends each person's reads with their own token).
//!
//! Screens read a chart again whenever the cache changes; that is not a new access. A chart
//! the same person opened less than [`REOPEN_WINDOW_SECS`] ago is not reported again.

use chrono::{DateTime, Utc};
use medoffice_model::{
    AccessEvent, AccessReport, AccessReportResult, News2Escalation, MAX_ACCESS_REPORT,
};
use rusqlite::{params, OptionalExtension};
use uuid::Uuid;

use crate::api::{ApiClient, ApiError};
use crate::cache::{instant_key, Cache, CacheResult};
use crate::view::EscalationAck;
use crate::{CoreError, Session};

/// The action of a chart opened on a workstation.
pub const CHART_OPEN: &str = "patient.chart_open";

/// The action of a patient listed by a search on a workstation (name, date of birth, MRN).
pub const SEARCH_SHOWN: &str = "patient.search_shown";

/// The action of a patient's record written out whole by `medoffice dump`.
pub const EXPORTED: &str = "patient.export";

/// The action of a NEWS2 escalation acknowledged (see [`medoffice_model::ESCALATION_ACKNOWLEDGED`]).
pub use medoffice_model::ESCALATION_ACKNOWLEDGED;

/// Seconds within which the same person opening the same chart again is the same access.
pub const REOPEN_WINDOW_SECS: i64 = 300;

/// Sent entries are kept this long (for the reopen window), then pruned.
const KEEP_SENT_SECS: i64 = 24 * 3600;

/// Records that `user_id` opened `patient_id`'s chart at `at`; false when it is the same access
/// as one less than [`REOPEN_WINDOW_SECS`] before.
pub(crate) fn log_chart_open(
    cache: &Cache,
    user_id: Uuid,
    patient_id: Uuid,
    at: DateTime<Utc>,
) -> CacheResult<bool> {
    Ok(log_accesses(cache, user_id, &[patient_id], CHART_OPEN, at, true)? == 1)
}

/// Records `action` by `user_id` on each of `patients` at `at`, in one transaction; with
/// `once_in_window`, not for a patient the same person had the same access to less than
/// [`REOPEN_WINDOW_SECS`] before (a search typed letter by letter lists the same people again).
/// Answers how many were recorded.
pub(crate) fn log_accesses(
    cache: &Cache,
    user_id: Uuid,
    patients: &[Uuid],
    action: &str,
    at: DateTime<Utc>,
    once_in_window: bool,
) -> CacheResult<usize> {
    let since = instant_key(at - chrono::Duration::seconds(REOPEN_WINDOW_SECS));
    let tx = cache.conn().unchecked_transaction()?;
    let mut n = 0;
    {
        let mut recent = tx.prepare_cached(
            "SELECT 1 FROM access_log WHERE user_id = ?1 AND patient_id = ?2 AND action = ?3 AND at > ?4 LIMIT 1",
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO access_log (id, user_id, action, patient_id, at, sent) VALUES (?1, ?2, ?3, ?4, ?5, 0)",
        )?;
        for patient_id in patients {
            if once_in_window
                && recent
                    .query_row(
                        params![user_id.to_string(), patient_id.to_string(), action, since],
                        |r| r.get::<_, i64>(0),
                    )
                    .optional()?
                    .is_some()
            {
                continue;
            }
            insert.execute(params![
                Uuid::now_v7().to_string(),
                user_id.to_string(),
                action,
                patient_id.to_string(),
                instant_key(at)
            ])?;
            n += 1;
        }
    }
    tx.commit()?;
    Ok(n)
}

/// An escalation as the cache keeps it: its wire name (`urgent`, `emergency`).
fn escalation_text(e: News2Escalation) -> CacheResult<String> {
    Ok(serde_json::to_value(e)?
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

/// An escalation read back from the cache (`None`: absent or unknown).
fn escalation_of(text: Option<String>) -> Option<News2Escalation> {
    text.and_then(|t| serde_json::from_value(serde_json::Value::String(t)).ok())
}

/// Records that `user_id` acknowledged the `escalation` that `patient_id`'s set `vital_signs_id`
/// called for, at `at`; false when that person had already acknowledged it.
pub(crate) fn log_escalation_ack(
    cache: &Cache,
    user_id: Uuid,
    patient_id: Uuid,
    vital_signs_id: Uuid,
    escalation: News2Escalation,
    at: DateTime<Utc>,
) -> CacheResult<bool> {
    let level = escalation_text(escalation)?;
    let inserted = cache.conn().execute(
        "INSERT INTO access_log (id, user_id, action, patient_id, at, sent, vital_signs_id, escalation) \
         SELECT ?1, ?2, ?3, ?4, ?5, 0, ?6, ?7 WHERE NOT EXISTS ( \
           SELECT 1 FROM access_log WHERE patient_id = ?4 AND vital_signs_id = ?6 AND user_id = ?2)",
        params![
            Uuid::now_v7().to_string(),
            user_id.to_string(),
            ESCALATION_ACKNOWLEDGED,
            patient_id.to_string(),
            instant_key(at),
            vital_signs_id.to_string(),
            level,
        ],
    )?;
    Ok(inserted == 1)
}

/// The escalations acknowledged on this workstation for `patient_id`'s sets, oldest first.
pub(crate) fn escalation_acks(cache: &Cache, patient_id: Uuid) -> CacheResult<Vec<EscalationAck>> {
    let mut stmt = cache.conn().prepare_cached(
        "SELECT vital_signs_id, escalation, user_id, at FROM access_log \
         WHERE patient_id = ?1 AND vital_signs_id IS NOT NULL ORDER BY at",
    )?;
    let rows = stmt.query_map(params![patient_id.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (set, level, user, at) = row?;
        if let (Ok(vital_signs_id), Some(escalation), Ok(user_id), Ok(at)) = (
            Uuid::parse_str(&set),
            escalation_of(level),
            Uuid::parse_str(&user),
            DateTime::parse_from_rfc3339(&at),
        ) {
            out.push(EscalationAck {
                vital_signs_id,
                escalation,
                user_id,
                at: at.with_timezone(&Utc),
            });
        }
    }
    Ok(out)
}

/// `user_id`'s accesses not yet reported, oldest first: reads, or (`acknowledgements`) the
/// escalations acknowledged, which go in reports of their own so that a refusal of one kind
/// (e.g. a role that no longer records vital signs) never holds back the other.
pub(crate) fn unreported(
    cache: &Cache,
    user_id: Uuid,
    limit: usize,
    acknowledgements: bool,
) -> CacheResult<Vec<AccessEvent>> {
    let mut stmt = cache.conn().prepare_cached(
        "SELECT id, action, patient_id, at, vital_signs_id, escalation FROM access_log \
         WHERE user_id = ?1 AND sent = 0 AND (vital_signs_id IS NOT NULL) = ?3 ORDER BY at LIMIT ?2",
    )?;
    let rows = stmt.query_map(
        params![user_id.to_string(), limit as i64, acknowledgements],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (id, action, patient_id, at, vital_signs_id, escalation) = row?;
        let (Ok(id), Ok(patient_id), Ok(at)) = (
            Uuid::parse_str(&id),
            Uuid::parse_str(&patient_id),
            DateTime::parse_from_rfc3339(&at),
        ) else {
            continue;
        };
        out.push(AccessEvent {
            id,
            action,
            patient_id,
            at: at.with_timezone(&Utc),
            vital_signs_id: vital_signs_id.and_then(|v| Uuid::parse_str(&v).ok()),
            escalation: escalation_of(escalation),
        });
    }
    Ok(out)
}

/// How many accesses wait to be reported (all users).
pub fn unreported_count(cache: &Cache) -> CacheResult<i64> {
    Ok(cache
        .conn()
        .query_row("SELECT count(*) FROM access_log WHERE sent = 0", [], |r| {
            r.get(0)
        })?)
}

/// Marks accesses as reported and prunes old reported ones.
fn mark_reported(cache: &Cache, ids: &[Uuid], now: DateTime<Utc>) -> CacheResult<()> {
    for id in ids {
        cache.conn().execute(
            "UPDATE access_log SET sent = 1 WHERE id = ?1",
            params![id.to_string()],
        )?;
    }
    // acknowledged escalations stay: the chart says who acknowledged each
    cache.conn().execute(
        "DELETE FROM access_log WHERE sent = 1 AND at < ?1 AND vital_signs_id IS NULL",
        params![instant_key(now - chrono::Duration::seconds(KEEP_SENT_SECS))],
    )?;
    Ok(())
}

impl ApiClient {
    /// `POST /api/v1/audit/access`.
    pub async fn report_access(
        &self,
        token: &str,
        report: &AccessReport,
    ) -> Result<AccessReportResult, ApiError> {
        self.send_json(
            self.authed(reqwest::Method::POST, "/api/v1/audit/access", token)
                .json(report),
        )
        .await
    }
}

impl Session {
    /// Notes that the signed-in person opened a chart (see the module docs); the engine
    /// reports it.
    pub(crate) fn chart_opened(&self, patient_id: Uuid) {
        match log_chart_open(&self.cache(), self.user.id, patient_id, self.now()) {
            Ok(true) => self.wake(),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "could not note a chart access for the audit log"),
        }
    }

    /// Notes that a search listed `patients` to the signed-in person (each once in the
    /// reopen window); the engine reports them.
    pub(crate) fn patients_shown(&self, patients: &[Uuid]) {
        self.note_accesses(patients, SEARCH_SHOWN, true);
    }

    /// Notes that `medoffice dump` wrote out `patients`' records; the engine reports them.
    pub(crate) fn patients_exported(&self, patients: &[Uuid]) {
        self.note_accesses(patients, EXPORTED, false);
    }

    fn note_accesses(&self, patients: &[Uuid], action: &str, once_in_window: bool) {
        match log_accesses(
            &self.cache(),
            self.user.id,
            patients,
            action,
            self.now(),
            once_in_window,
        ) {
            Ok(0) => {}
            Ok(_) => self.wake(),
            Err(e) => tracing::warn!(error = %e, "could not note an access for the audit log"),
        }
    }

    /// Reports this person's unreported accesses, in batches.
    pub(crate) async fn report_access(&self) -> Result<(), CoreError> {
        self.report_access_kind(false).await?;
        self.report_access_kind(true).await
    }

    /// Reports one kind of access (see [`unreported`]).
    async fn report_access_kind(&self, acknowledgements: bool) -> Result<(), CoreError> {
        loop {
            let batch = unreported(
                &self.cache(),
                self.user.id,
                MAX_ACCESS_REPORT,
                acknowledgements,
            )?;
            if batch.is_empty() {
                return Ok(());
            }
            let ids: Vec<Uuid> = batch.iter().map(|e| e.id).collect();
            let report = AccessReport { events: batch };
            let token = self.bearer().await?;
            match self.api.report_access(&token, &report).await {
                Ok(_) => {}
                // a lost session or a lost link is the engine's business
                Err(
                    e @ (ApiError::Network(_) | ApiError::Refused(_) | ApiError::Incompatible(_)),
                ) => return Err(e.into()),
                Err(e) if e.is_unauthorized() => return Err(e.into()),
                // refused (this workstation's clock runs ahead of the server's, or a server
                // without the route): keep them for a later try, say so, and let the sync go on
                Err(ApiError::Http { status, body }) => {
                    tracing::warn!(status, error = %body.message, "the server refused chart-access reports");
                    return Ok(());
                }
            }
            mark_reported(&self.cache(), &ids, self.now())?;
            if ids.len() < MAX_ACCESS_REPORT {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_reopened_within_the_window_is_one_access() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let cache = Cache::open(
            &dir.path().join("c.sqlite"),
            &crate::vault::CacheKey::generate(),
        )?;
        let (nurse, doctor, patient) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let t0 = Utc::now() - chrono::Duration::hours(1);
        assert!(log_chart_open(&cache, nurse, patient, t0)?);
        assert!(!log_chart_open(
            &cache,
            nurse,
            patient,
            t0 + chrono::Duration::seconds(60)
        )?);
        // someone else's read is their own
        assert!(log_chart_open(
            &cache,
            doctor,
            patient,
            t0 + chrono::Duration::seconds(60)
        )?);
        // later is a new access
        let later = t0 + chrono::Duration::seconds(REOPEN_WINDOW_SECS + 1);
        assert!(log_chart_open(&cache, nurse, patient, later)?);
        let mine = unreported(&cache, nurse, 100, false)?;
        assert_eq!(mine.len(), 2);
        assert!(mine
            .iter()
            .all(|e| e.patient_id == patient && e.action == CHART_OPEN));
        assert_eq!(unreported_count(&cache)?, 3);
        let ids: Vec<Uuid> = mine.iter().map(|e| e.id).collect();
        mark_reported(&cache, &ids, Utc::now())?;
        assert!(unreported(&cache, nurse, 100, false)?.is_empty());
        // reported reads still count for the window
        assert!(!log_chart_open(
            &cache,
            nurse,
            patient,
            later + chrono::Duration::seconds(10)
        )?);
        assert_eq!(unreported_count(&cache)?, 1);
        Ok(())
    }
}
