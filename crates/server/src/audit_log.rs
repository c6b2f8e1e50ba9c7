//! The audit log's routes: reading it (`GET /api/v1/audit`), exporting it as CSV
//! (`GET /api/v1/audit/export`), both admin only (`AuditRead`) and both audited themselves, and
//! the accesses a workstation reports from its cache (`POST /api/v1/audit/access`).
//!
//! Row-level security confines every query to the caller's clinic: another clinic's entries
//! never appear, and another clinic's patient or user id answers 404 like an unknown one.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use medoffice_model::{
    AccessReport, AccessReportResult, AuditEvent, AuditFilter, AuditPage, ErrorBody, FieldErrors,
    News2Escalation, Permission, AUDIT_EXPORT_MAX, AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX,
    ESCALATION_ACKNOWLEDGED, MAX_ACCESS_REPORT, REPORTABLE_ACCESS_ACTIONS,
};
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use crate::audit::{self, AuditEntry, Who};
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::{db, ApiJson, AppState};

/// The query parameters the audit routes accept.
const FILTERS: &str = "patient_id, user_id, from, to, action, outcome, limit, before";

/// Reads the filters from the query string; each invalid one is a field error under its
/// own name. `export` allows the larger row limit of the CSV export.
pub fn parse_filter(pairs: &[(String, String)], export: bool) -> Result<AuditFilter, FieldErrors> {
    let mut f = AuditFilter::default();
    let mut e = FieldErrors::new();
    let uuid = |v: &str, name: &str, e: &mut FieldErrors| match Uuid::parse_str(v.trim()) {
        Ok(u) => Some(u),
        Err(_) => {
            e.add(name, "must be a UUID");
            None
        }
    };
    let instant = |v: &str, name: &str, e: &mut FieldErrors| {
        let v = v.trim();
        // an unencoded '+' of an offset arrives as a space
        let parsed = DateTime::parse_from_rfc3339(v)
            .or_else(|err| DateTime::parse_from_rfc3339(&v.replace(' ', "+")).map_err(|_| err));
        match parsed {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                e.add(
                    name,
                    "must be an RFC 3339 instant with an offset, e.g. 2026-11-21T09:00:00Z",
                );
                None
            }
        }
    };
    let number = |v: &str, name: &str, e: &mut FieldErrors| match v.trim().parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            e.add(name, "must be a whole number");
            None
        }
    };
    for (k, v) in pairs {
        match k.as_str() {
            "patient_id" => f.patient_id = uuid(v, k, &mut e),
            "user_id" => f.user_id = uuid(v, k, &mut e),
            "from" => f.from = instant(v, k, &mut e),
            "to" => f.to = instant(v, k, &mut e),
            "action" => {
                let v = v.trim();
                let (base, _) = v.strip_suffix(".*").map_or((v, false), |b| (b, true));
                let ok = !base.is_empty()
                    && v.len() <= 64
                    && base.split('.').all(|p| {
                        !p.is_empty()
                            && p.chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    });
                if ok {
                    f.action = Some(v.to_owned());
                } else {
                    e.add(
                        k,
                        "must be an action such as patient.read, or a family such as auth.*",
                    );
                }
            }
            "outcome" => {
                let v = v.trim();
                if !v.is_empty()
                    && v.len() <= 64
                    && v.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                {
                    f.outcome = Some(v.to_owned());
                } else {
                    e.add(k, "must be an outcome such as success or denied");
                }
            }
            "limit" => {
                let max = if export {
                    AUDIT_EXPORT_MAX
                } else {
                    AUDIT_PAGE_MAX
                };
                if let Some(n) = number(v, k, &mut e) {
                    if (1..=max).contains(&n) {
                        f.limit = Some(n);
                    } else {
                        e.add(k, format!("must be between 1 and {max}"));
                    }
                }
            }
            "before" => {
                if let Some(n) = number(v, k, &mut e) {
                    if n >= 1 {
                        f.before = Some(n);
                    } else {
                        e.add(k, "must be an entry id (1 or more)");
                    }
                }
            }
            other => e.add(
                other,
                format!("is not a filter of the audit log (filters: {FILTERS})"),
            ),
        }
    }
    if let (Some(from), Some(to)) = (f.from, f.to) {
        if to < from {
            e.add("to", "must not be before from");
        }
    }
    e.into_result().map(|_| f)
}

/// The filters as a line for the audit entry that records the read (`detail`).
fn describe(f: &AuditFilter) -> String {
    let mut parts = Vec::new();
    if let Some(v) = f.patient_id {
        parts.push(format!("patient_id={v}"));
    }
    if let Some(v) = f.user_id {
        parts.push(format!("user_id={v}"));
    }
    if let Some(v) = f.from {
        parts.push(format!("from={}", v.to_rfc3339()));
    }
    if let Some(v) = f.to {
        parts.push(format!("to={}", v.to_rfc3339()));
    }
    if let Some(v) = &f.action {
        parts.push(format!("action={v}"));
    }
    if let Some(v) = &f.outcome {
        parts.push(format!("outcome={v}"));
    }
    if let Some(v) = f.limit {
        parts.push(format!("limit={v}"));
    }
    if let Some(v) = f.before {
        parts.push(format!("before={v}"));
    }
    if parts.is_empty() {
        "no filters".to_owned()
    } else {
        parts.join("; ")
    }
}

/// 404 unless the patient and the user the filter names belong to the caller's clinic.
async fn check_ids(conn: &mut PgConnection, f: &AuditFilter) -> AppResult<()> {
    if let Some(id) = f.patient_id {
        let found: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM patients WHERE id = $1)")
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
        if !found {
            return Err(AppError::NotFound("patient"));
        }
    }
    if let Some(id) = f.user_id {
        let found: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        if !found {
            return Err(AppError::NotFound("user"));
        }
    }
    Ok(())
}

/// Entries matching `f` with id below `before`, newest first, at most `limit`.
async fn select_events(
    conn: &mut PgConnection,
    f: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<AuditEvent>> {
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT a.id, a.at, a.user_id, a.username, a.device_id, a.ip, a.action, a.entity, \
         a.entity_id, a.patient_id, \
         CASE WHEN p.id IS NULL THEN NULL ELSE p.given_name || ' ' || p.family_name END AS patient_name, \
         a.outcome, a.detail \
         FROM audit_log a LEFT JOIN patients p ON p.id = a.patient_id WHERE true",
    );
    if let Some(v) = f.patient_id {
        q.push(" AND a.patient_id = ").push_bind(v);
    }
    if let Some(v) = f.user_id {
        q.push(" AND a.user_id = ").push_bind(v);
    }
    if let Some(v) = f.from {
        q.push(" AND a.at >= ").push_bind(v);
    }
    if let Some(v) = f.to {
        q.push(" AND a.at < ").push_bind(v);
    }
    match f.action.as_deref().map(|a| (a.strip_suffix(".*"), a)) {
        Some((Some(family), _)) => {
            q.push(" AND starts_with(a.action, ")
                .push_bind(format!("{family}."))
                .push(")");
        }
        Some((None, exact)) => {
            q.push(" AND a.action = ").push_bind(exact.to_owned());
        }
        None => {}
    }
    if let Some(v) = &f.outcome {
        q.push(" AND a.outcome = ").push_bind(v.clone());
    }
    if let Some(v) = before {
        q.push(" AND a.id < ").push_bind(v);
    }
    q.push(" ORDER BY a.id DESC LIMIT ").push_bind(limit);
    let rows = q.build().fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEvent {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                user_id: r.try_get("user_id")?,
                username: r.try_get("username")?,
                device_id: r.try_get("device_id")?,
                ip: r.try_get("ip")?,
                action: r.try_get("action")?,
                entity: r.try_get("entity")?,
                entity_id: r.try_get("entity_id")?,
                patient_id: r.try_get("patient_id")?,
                patient_name: r.try_get("patient_name")?,
                outcome: r.try_get("outcome")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Checks the role and reads the filters; a refusal is audited under `action`.
async fn admit(
    st: &AppState,
    actor: &Actor,
    pairs: &[(String, String)],
    action: &str,
    export: bool,
) -> AppResult<AuditFilter> {
    let r = actor
        .require(Permission::AuditRead)
        .and_then(|_| parse_filter(pairs, export).map_err(AppError::Validation));
    if let Err(e) = &r {
        audit::record_failure(&st.pool, actor, action, "audit_log", None, None, e).await;
    }
    r
}

/// The clinic's audit log, newest first, filtered (admins only). Page on with `before` =
/// the previous page's `next_before`. The read is itself recorded (`audit.read`, with the
/// filters in `detail`).
#[utoipa::path(get, path = "/api/v1/audit", params(
        ("patient_id" = Option<Uuid>, Query, description = "Only entries about this patient (404 when not of this clinic)"),
        ("user_id" = Option<Uuid>, Query, description = "Only entries by this staff member (404 when not of this clinic)"),
        ("from" = Option<String>, Query, description = "At or after (RFC 3339)"),
        ("to" = Option<String>, Query, description = "Before (RFC 3339)"),
        ("action" = Option<String>, Query, description = "An action (patient.read) or a family (auth.*)"),
        ("outcome" = Option<String>, Query, description = "An outcome (success, denied, ...)"),
        ("limit" = Option<i64>, Query, description = "Page size 1–500, default 100"),
        ("before" = Option<i64>, Query, description = "Only entries with a smaller id"),
    ), tag = "audit",
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(st): State<AppState>,
    actor: Actor,
    Query(pairs): Query<Vec<(String, String)>>,
) -> AppResult<Json<AuditPage>> {
    let f = admit(&st, &actor, &pairs, "audit.read", false).await?;
    let limit = f.limit.unwrap_or(AUDIT_PAGE_DEFAULT);
    let r = async {
        let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
        check_ids(&mut tx, &f).await?;
        let mut items = select_events(&mut tx, &f, f.before, limit + 1).await?;
        let more = items.len() as i64 > limit;
        items.truncate(limit as usize);
        audit::record_detail(
            &mut tx,
            &actor,
            AuditEntry {
                action: "audit.read",
                entity: Some("audit_log"),
                entity_id: None,
                patient_id: f.patient_id,
                outcome: "success",
            },
            Some(&describe(&f)),
        )
        .await?;
        tx.commit().await?;
        let next_before = if more {
            items.last().map(|e| e.id)
        } else {
            None
        };
        Ok(AuditPage { items, next_before })
    }
    .await;
    match r {
        Ok(page) => Ok(Json(page)),
        Err(e) => {
            audit::record_failure(
                &st.pool,
                &actor,
                "audit.read",
                "audit_log",
                None,
                f.patient_id,
                &e,
            )
            .await;
            Err(e)
        }
    }
}

/// Rows read per database round trip of an export.
const EXPORT_BATCH: i64 = 2000;

/// The CSV header row of an export.
pub const CSV_COLUMNS: [&str; 13] = [
    "id",
    "at",
    "user_id",
    "username",
    "device_id",
    "ip",
    "action",
    "entity",
    "entity_id",
    "patient_id",
    "patient_name",
    "outcome",
    "detail",
];

/// A text cell safe to open in a spreadsheet: one that a spreadsheet would run as a formula
/// (starting with `=`, `+`, `-`, `@`, tab or carriage return; OWASP "CSV injection") gets a
/// leading `'`. A typed username at a failed login is anyone's text.
fn cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

fn csv_chunk(events: &[AuditEvent], header: bool) -> Result<Bytes, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(events.len() * 200 + 200));
    if header {
        w.write_record(CSV_COLUMNS)?;
    }
    let opt = |u: Option<Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
    for e in events {
        w.write_record([
            e.id.to_string().as_str(),
            &e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            &opt(e.user_id),
            &cell(e.username.as_deref().unwrap_or("")),
            &cell(e.device_id.as_deref().unwrap_or("")),
            e.ip.as_deref().unwrap_or(""),
            &e.action,
            e.entity.as_deref().unwrap_or(""),
            &opt(e.entity_id),
            &opt(e.patient_id),
            &cell(e.patient_name.as_deref().unwrap_or("")),
            &e.outcome,
            &cell(e.detail.as_deref().unwrap_or("")),
        ])?;
    }
    w.into_inner()
        .map(Bytes::from)
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// The clinic's audit log as CSV (RFC 4180: header row, CRLF line ends, quoted where needed),
/// newest first, with the filters of `GET /api/v1/audit` (`limit` up to 1,000,000; default
/// all). Streamed in batches, each read in a transaction of its own. The export is recorded
/// first (`audit.export`, filters in `detail`). Cells a spreadsheet would run as a formula
/// start with `'`.
#[utoipa::path(get, path = "/api/v1/audit/export", params(
        ("patient_id" = Option<Uuid>, Query, description = "As GET /api/v1/audit"),
        ("user_id" = Option<Uuid>, Query, description = "As GET /api/v1/audit"),
        ("from" = Option<String>, Query, description = "As GET /api/v1/audit"),
        ("to" = Option<String>, Query, description = "As GET /api/v1/audit"),
        ("action" = Option<String>, Query, description = "As GET /api/v1/audit"),
        ("outcome" = Option<String>, Query, description = "As GET /api/v1/audit"),
        ("limit" = Option<i64>, Query, description = "Most rows, 1–1,000,000; default all"),
        ("before" = Option<i64>, Query, description = "Only entries with a smaller id"),
    ), tag = "audit",
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export(
    State(st): State<AppState>,
    actor: Actor,
    Query(pairs): Query<Vec<(String, String)>>,
) -> AppResult<Response> {
    let f = admit(&st, &actor, &pairs, "audit.export", true).await?;
    let r = async {
        let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
        check_ids(&mut tx, &f).await?;
        audit::record_detail(
            &mut tx,
            &actor,
            AuditEntry {
                action: "audit.export",
                entity: Some("audit_log"),
                entity_id: None,
                patient_id: f.patient_id,
                outcome: "success",
            },
            Some(&describe(&f)),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(e) = r {
        audit::record_failure(
            &st.pool,
            &actor,
            "audit.export",
            "audit_log",
            None,
            f.patient_id,
            &e,
        )
        .await;
        return Err(e);
    }
    struct Cursor {
        before: Option<i64>,
        left: i64,
        header: bool,
        done: bool,
    }
    let start = Cursor {
        before: f.before,
        left: f.limit.unwrap_or(AUDIT_EXPORT_MAX),
        header: true,
        done: false,
    };
    let pool = st.pool.clone();
    let tenant = actor.tenant_id;
    let stream = futures_util::stream::try_unfold(start, move |mut c| {
        let pool = pool.clone();
        let f = f.clone();
        async move {
            if c.done {
                return Ok::<_, std::io::Error>(None);
            }
            let n = c.left.min(EXPORT_BATCH);
            let events = if n > 0 {
                // each batch's transaction runs to its end in a task of its own: a client that
                // hangs up mid-download drops this stream, and a transaction dropped midway
                // could hand its pooled connection back still open (see `run_to_completion`)
                let before = c.before;
                tokio::spawn(async move {
                    let mut tx = db::tenant_tx(&pool, tenant)
                        .await
                        .map_err(std::io::Error::other)?;
                    let ev = select_events(&mut tx, &f, before, n)
                        .await
                        .map_err(|e| std::io::Error::other(e.to_string()))?;
                    tx.commit().await.map_err(std::io::Error::other)?;
                    Ok::<_, std::io::Error>(ev)
                })
                .await
                .map_err(std::io::Error::other)??
            } else {
                Vec::new()
            };
            c.left -= events.len() as i64;
            c.done = (events.len() as i64) < n || c.left <= 0 || n == 0;
            c.before = events.last().map(|e| e.id).or(c.before);
            let chunk = csv_chunk(&events, c.header).map_err(std::io::Error::other)?;
            c.header = false;
            Ok(Some((chunk, c)))
        }
    });
    let filename = format!("audit-{}.csv", Utc::now().format("%Y%m%dT%H%M%SZ"));
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "text/csv; charset=utf-8; header=present".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// Records accesses to patients' records that happened on a workstation, from its cache
/// (opening a chart reads no server route), and NEWS2 escalations acknowledged there (filed
/// under the vital-sign set, with the response). Each event once: a report sent again (after a
/// lost answer) records nothing new. Any role that reads patients may report; an acknowledged
/// escalation needs a role that records vital signs (403 otherwise).
#[utoipa::path(post, path = "/api/v1/audit/access", request_body = AccessReport, tag = "audit",
    responses((status = 200, body = AccessReportResult), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn report_access(
    State(st): State<AppState>,
    actor: Actor,
    ApiJson(report): ApiJson<AccessReport>,
) -> AppResult<Json<AccessReportResult>> {
    actor.require(Permission::PatientRead)?;
    let mut e = FieldErrors::new();
    if report.events.len() > MAX_ACCESS_REPORT {
        e.add("events", format!("at most {MAX_ACCESS_REPORT} per report"));
    }
    // a workstation's clock may run a little ahead of the server's
    let latest = Utc::now() + chrono::Duration::minutes(5);
    for (i, ev) in report.events.iter().enumerate() {
        if !REPORTABLE_ACCESS_ACTIONS.contains(&ev.action.as_str()) {
            e.add(
                &format!("events[{i}].action"),
                format!("must be one of: {}", REPORTABLE_ACCESS_ACTIONS.join(", ")),
            );
        }
        if ev.at > latest {
            e.add(&format!("events[{i}].at"), "must not be in the future");
        }
        if ev.action == ESCALATION_ACKNOWLEDGED {
            if ev.vital_signs_id.is_none() {
                e.add(
                    &format!("events[{i}].vital_signs_id"),
                    "is required for an acknowledged escalation",
                );
            }
            if ev.escalation.is_none() {
                e.add(
                    &format!("events[{i}].escalation"),
                    "is required for an acknowledged escalation",
                );
            }
        }
    }
    e.into_result().map_err(AppError::Validation)?;
    // acknowledging an escalation is a clinical act: only a role that records vital signs
    if report
        .events
        .iter()
        .any(|ev| ev.action == ESCALATION_ACKNOWLEDGED)
    {
        actor.require(Permission::VitalSignsWrite)?;
    }
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    let who = Who::actor(&actor);
    let mut out = AccessReportResult {
        recorded: 0,
        duplicates: 0,
    };
    for ev in &report.events {
        let mut detail = format!(
            "on the workstation at {}",
            ev.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        // an acknowledged escalation is filed under the set that called for it
        let (entity, entity_id) = match (ev.vital_signs_id, ev.escalation) {
            (Some(set), Some(level)) if ev.action == ESCALATION_ACKNOWLEDGED => {
                let level = match level {
                    News2Escalation::Urgent => "urgent review",
                    News2Escalation::Emergency => "emergency response",
                };
                detail.push_str(&format!("; acknowledged: {level} (NEWS2, RCP 2017)"));
                ("vital_signs", set)
            }
            _ => ("patient", ev.patient_id),
        };
        let new = audit::insert_once(
            &mut tx,
            &who,
            AuditEntry::success(&ev.action, entity, Some(entity_id), Some(ev.patient_id)),
            Some(&detail),
            Some(ev.id),
        )
        .await?;
        if new {
            out.recorded += 1;
        } else {
            out.duplicates += 1;
        }
    }
    tx.commit().await?;
    Ok(Json(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Vec<(String, String)> {
        s.split('&')
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    #[test]
    fn every_filter_is_read() {
        let f = parse_filter(
            &q("patient_id=0193a5c2-7e4f-7d3a-9c1b-2f6e8a9b0c1d&user_id=0193a5c2-7e4f-7d3a-9c1b-2f6e8a9b0c1e&from=2026-11-01T00:00:00Z&to=2026-11-21T09:00:00 01:00&action=auth.*&outcome=denied&limit=20&before=99"),
            false,
        );
        let f = f.expect("valid");
        assert_eq!(f.action.as_deref(), Some("auth.*"));
        assert_eq!(f.limit, Some(20));
        assert_eq!(f.before, Some(99));
        // an unencoded '+' of the offset arrives as a space
        assert_eq!(
            f.to.map(|t| t.to_rfc3339()),
            Some("2026-11-21T08:00:00+00:00".to_owned())
        );
    }

    #[test]
    fn each_bad_filter_is_named() {
        for (query, field) in [
            ("patient_id=x", "patient_id"),
            ("from=monday", "from"),
            ("limit=501", "limit"),
            ("limit=0", "limit"),
            ("action=auth.", "action"),
            ("action=Auth.login", "action"),
            ("action=*", "action"),
            ("outcome=", "outcome"),
            ("before=0", "before"),
            ("sort=id", "sort"),
            ("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ] {
            let e = parse_filter(&q(query), false).expect_err(query);
            assert!(e.0.contains_key(field), "{query}: {e}");
        }
        assert!(
            parse_filter(&q("limit=100000"), true).is_ok(),
            "the export allows more"
        );
    }

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(cell("=1+1"), "'=1+1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("alice"), "alice");
        let chunk = csv_chunk(&[], true).expect("csv");
        assert!(chunk.ends_with(b"detail\r\n"));
    }
}
