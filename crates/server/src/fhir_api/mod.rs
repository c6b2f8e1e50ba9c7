//! The FHIR R4 read API, base `/fhir/r4` (issue 14): a clinic's records in the standard form,
//! `application/fhir+json`, behind the same bearer tokens, row-level security, roles and audit
//! log as the REST API.
//!
//! - `GET /fhir/r4/metadata`: the CapabilityStatement (no token needed).
//! - `Patient/{id}`; `Patient?identifier=&name=&birthdate=`.
//! - `Observation/{id}`; `Observation?patient=&category=vital-signs&code=&date=` (the R4
//!   vital-signs profile; `patient` is required, a clinic's every observation is not a search).
//! - `Appointment/{id}`; `Appointment?patient=&practitioner=&date=`.
//! - `Practitioner/{id}`; `Practitioner?name=`: the clinic's staff (performers, participants).
//!
//! Searches answer `searchset` Bundles of `_count` (default 20, at most 100) from `_offset`, with
//! `self`, `next` and `previous` links; every error is an `OperationOutcome`. Dates without a
//! time are days of the clinic's time zone. Why the resources are written as JSON rather than
//! with a crate's R4 types: [`resources`].

pub mod resources;

use axum::extract::{Path, RawQuery, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use medoffice_model::{search::fold, ErrorBody, Permission};
use serde_json::{json, Value};
use sqlx::{PgConnection, QueryBuilder, Row};
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::auth::TenantTx;
use crate::clinical::appointments::{appointment_cols, appointment_from_row};
use crate::clinical::patients::{patient_cols, patient_from_row};
use crate::clinical::vitals::{vitals_cols, vitals_from_row};
use crate::error::{AppError, AppResult};
use crate::AppState;

/// The media type of every answer.
pub const FHIR_JSON: &str = "application/fhir+json";
/// The FHIR version served.
pub const FHIR_VERSION: &str = "4.0.1";

/// The routes under `/fhir/r4`, every error answered as an OperationOutcome.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/metadata", get(metadata))
        .route("/Patient", get(search_patients))
        .route("/Patient/{id}", get(read_patient))
        .route("/Observation", get(search_observations))
        .route("/Observation/{id}", get(read_observation))
        .route("/Appointment", get(search_appointments))
        .route("/Appointment/{id}", get(read_appointment))
        .route("/Practitioner", get(search_practitioners))
        .route("/Practitioner/{id}", get(read_practitioner))
        .fallback(unknown_route)
        .layer(axum::middleware::from_fn(as_operation_outcome))
}

/// A resource as an answer: `application/fhir+json`, 200.
struct Fhir(Value);

impl IntoResponse for Fhir {
    fn into_response(self) -> Response {
        (
            [(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON))],
            self.0.to_string(),
        )
            .into_response()
    }
}

/// An OperationOutcome of one issue (`severity` error, `code` from the IssueType value set),
/// as FHIR answers every failure.
fn outcome(status: StatusCode, issue: &str, diagnostics: &str) -> Response {
    let doc = json!({
        "resourceType": "OperationOutcome",
        "issue": [{ "severity": "error", "code": issue, "diagnostics": diagnostics }],
    });
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON))],
        doc.to_string(),
    )
        .into_response()
}

/// Rewrites every error of the FHIR routes (the token check's 401, a role's 403, a missing
/// record's 404, a bad parameter's 400) as an OperationOutcome with its message.
async fn as_operation_outcome(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if status.is_success() {
        return res;
    }
    let fhir = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(FHIR_JSON));
    if fhir {
        return res;
    }
    // the server's JSON errors, and any other (a 405 has no body at all)
    let (parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let message = serde_json::from_slice::<ErrorBody>(&bytes).map_or_else(
        |_| status.canonical_reason().unwrap_or("error").to_owned(),
        |e| match e.errors {
            Some(fields) if !fields.0.is_empty() => format!(
                "{} ({})",
                e.message,
                fields
                    .0
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            _ => e.message,
        },
    );
    let issue = match status {
        StatusCode::UNAUTHORIZED => "login",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not-found",
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::METHOD_NOT_ALLOWED => "not-supported",
        StatusCode::TOO_MANY_REQUESTS => "throttled",
        _ => "exception",
    };
    let mut out = outcome(status, issue, &message);
    // keep what the error said besides its body (a 401's WWW-Authenticate, Retry-After, …)
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

async fn unknown_route() -> Response {
    outcome(
        StatusCode::NOT_FOUND,
        "not-supported",
        "This server answers metadata, Patient, Observation, Appointment and Practitioner (read and search) only",
    )
}

/// The base URL links and `fullUrl`s start with: the host asked for, over https unless it is
/// this machine (the server refuses plain HTTP elsewhere) or a proxy says otherwise.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            let local = host.starts_with("localhost")
                || host.starts_with("127.")
                || host.starts_with("[::1]");
            if local { "http" } else { "https" }.to_owned()
        });
    format!("{scheme}://{host}/fhir/r4")
}

// ------------------------------------------------------------------------------------ metadata

/// `GET /fhir/r4/metadata`: what this server does, as a CapabilityStatement (no token needed).
pub async fn metadata(headers: HeaderMap) -> Response {
    let param = |name: &str, kind: &str, doc: &str| json!({"name": name, "type": kind, "documentation": doc});
    let resource = |kind: &str, profile: Option<&str>, params: Vec<Value>| {
        let mut r = json!({
            "type": kind,
            "interaction": [{ "code": "read" }, { "code": "search-type" }],
            "searchParam": params,
        });
        if let Some(p) = profile {
            r["supportedProfile"] = json!([p]);
        }
        r
    };
    let base = base_url(&headers);
    Fhir(json!({
        "resourceType": "CapabilityStatement",
        "url": format!("{base}/metadata"),
        "name": "MedofficeFhirServer",
        "title": "medoffice FHIR R4 read API",
        "status": "active",
        "date": "2026-12-07",
        "publisher": "medoffice",
        "kind": "instance",
        "software": { "name": "medoffice-server", "version": env!("CARGO_PKG_VERSION") },
        "implementation": { "description": "medoffice central server", "url": base },
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON],
        "rest": [{
            "mode": "server",
            "documentation": "Read-only. Dates without a time are days of the clinic's time zone. Pages: _count (default 20, at most 100) and _offset.",
            "security": {
                "description": "A bearer access token from POST /api/v1/auth/login, as for the REST API; each clinic sees its own records only, and every access to a patient's record is in the clinic's audit log."
            },
            "resource": [
                resource("Patient", None, vec![
                    param("identifier", "token", "The MRN, or any identifier the patient carries (system|value or value; punctuation and case ignored)"),
                    param("name", "string", "A word of the family or given name starts with it (accents and case ignored)"),
                    param("birthdate", "date", "eq, ge, gt, le or lt, then YYYY-MM-DD"),
                ]),
                resource("Observation", Some(resources::VITAL_SIGNS_PROFILE), vec![
                    param("patient", "reference", "Required: Patient/{id} or {id}"),
                    param("category", "token", "vital-signs (the only category served)"),
                    param("code", "token", "LOINC codes, comma-separated (http://loinc.org|8867-4 or 8867-4); 8480-6 and 8462-4 find the blood pressure panel"),
                    param("date", "date", "When measured: eq, ge, gt, le or lt, then a date or date-time; repeat for a range"),
                ]),
                resource("Appointment", None, vec![
                    param("patient", "reference", "Patient/{id} or {id}"),
                    param("practitioner", "reference", "Practitioner/{id} or {id}"),
                    param("date", "date", "The start: eq, ge, gt, le or lt, then a date or date-time; repeat for a range"),
                ]),
                resource("Practitioner", None, vec![param("name", "string", "A word of the name starts with it")]),
            ],
        }],
    }))
    .into_response()
}

// ------------------------------------------------------------------------------------- params

/// A query string's parameters in order (a name may repeat: `date=ge…&date=lt…`).
fn params(q: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn bad(msg: impl Into<String>) -> AppError {
    AppError::BadRequest(msg.into())
}

/// The page asked for: `_count` (1–100, default 20) and `_offset` (0 up).
fn page(ps: &[(String, String)]) -> AppResult<(i64, i64)> {
    let mut count = 20;
    let mut offset = 0;
    for (k, v) in ps {
        match k.as_str() {
            "_count" => {
                count = v
                    .parse::<i64>()
                    .ok()
                    // 0 asks for the total alone (FHIR R4 3.1.1.5.7)
                    .filter(|n| (0..=100).contains(n))
                    .ok_or_else(|| {
                        bad(format!("_count must be a number from 0 to 100, not {v:?}"))
                    })?;
            }
            "_offset" => {
                offset = v
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| bad(format!("_offset must be 0 or more, not {v:?}")))?;
            }
            _ => {}
        }
    }
    Ok((count, offset))
}

/// Refuses parameters this server does not know (FHIR's strict handling: a search quietly
/// ignoring a filter would answer more than was asked).
fn known_only(ps: &[(String, String)], known: &[&str]) -> AppResult<()> {
    for (k, _) in ps {
        if !known.contains(&k.as_str()) && !matches!(k.as_str(), "_count" | "_offset" | "_format") {
            return Err(bad(format!(
                "Unknown search parameter {k:?}; this resource is searched by {}",
                known.join(", ")
            )));
        }
    }
    Ok(())
}

/// `Patient/{id}` or `{id}` (a reference parameter).
fn reference_id(v: &str, kind: &str) -> AppResult<Uuid> {
    let id = v.strip_prefix(&format!("{kind}/")).unwrap_or(v);
    Uuid::parse_str(id).map_err(|_| bad(format!("{v:?} is not a {kind} reference ({kind}/{{id}})")))
}

/// `[from, to)` as instants; `None` leaves that side open.
type Span = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// One bound of a date parameter: `[prefix]value` with prefix eq, ge, gt, le or lt; a date is a
/// whole day of `tz`, a date-time an instant. Answers `[from, to)` as instants.
fn date_bounds(v: &str, tz: chrono_tz::Tz) -> AppResult<Span> {
    let (prefix, value) = match v.get(..2) {
        Some(p @ ("eq" | "ge" | "gt" | "le" | "lt")) => (p, &v[2..]),
        _ => ("eq", v),
    };
    let (start, end) = if let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        (
            start_of_day(d, tz),
            d.succ_opt().and_then(|n| start_of_day(n, tz)),
        )
    } else if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        let t = t.with_timezone(&Utc);
        (Some(t), Some(t + chrono::Duration::seconds(1)))
    } else {
        return Err(bad(format!(
            "date {v:?}: a date (YYYY-MM-DD) or date-time with its offset, after eq, ge, gt, le or lt"
        )));
    };
    let (start, end) = (
        start.ok_or_else(|| bad(format!("date {v:?} is not a day of the clinic's time zone")))?,
        end.ok_or_else(|| bad(format!("date {v:?} is not a day of the clinic's time zone")))?,
    );
    Ok(match prefix {
        "ge" => (Some(start), None),
        "gt" => (Some(end), None),
        "le" => (None, Some(end)),
        "lt" => (None, Some(start)),
        _ => (Some(start), Some(end)),
    })
}

/// The first instant of day `d` in `tz`: midnight, or where a daylight-saving change skips
/// midnight (Santiago, Cairo, Beirut), the first minute that exists.
pub(crate) fn start_of_day(d: NaiveDate, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    (0..=180).find_map(|minute| {
        let t = d.and_hms_opt(0, 0, 0)? + chrono::Duration::minutes(minute);
        tz.from_local_datetime(&t)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// Every `date` parameter together: the latest lower bound and the earliest upper one.
fn date_range(ps: &[(String, String)], tz: chrono_tz::Tz) -> AppResult<Span> {
    let (mut from, mut to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) = (None, None);
    for (_, v) in ps.iter().filter(|(k, _)| k == "date") {
        let (f, t) = date_bounds(v, tz)?;
        from = from.max(f);
        to = match (to, t) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Ok((from, to))
}

async fn clinic(conn: &mut PgConnection, tenant_id: Uuid) -> AppResult<(String, chrono_tz::Tz)> {
    let (code, zone): (String, String) =
        sqlx::query_as("SELECT code, time_zone FROM tenants WHERE id = $1")
            .bind(tenant_id)
            .fetch_one(conn)
            .await?;
    Ok((code, zone.parse().unwrap_or(chrono_tz::UTC)))
}

// ------------------------------------------------------------------------------------- bundles

/// A `searchset` Bundle of one page: `total` matches, links to this page and its neighbours.
fn searchset(
    base: &str,
    kind: &str,
    query: &[(String, String)],
    (count, offset): (i64, i64),
    total: i64,
    page: Vec<(String, Value)>,
) -> Response {
    let link = |relation: &str, at: i64| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in query
            .iter()
            .filter(|(k, _)| k != "_offset" && k != "_count")
        {
            q.append_pair(k, v);
        }
        q.append_pair("_count", &count.to_string());
        q.append_pair("_offset", &at.to_string());
        json!({"relation": relation, "url": format!("{base}/{kind}?{}", q.finish())})
    };
    let mut links = vec![link("self", offset)];
    if offset + count < total {
        links.push(link("next", offset + count));
    }
    if offset > 0 {
        links.push(link("previous", (offset - count).max(0)));
    }
    let entry: Vec<Value> = page
        .into_iter()
        .map(|(path, resource)| {
            json!({"fullUrl": format!("{base}/{path}"), "resource": resource, "search": { "mode": "match" }})
        })
        .collect();
    let mut bundle = json!({
        "resourceType": "Bundle",
        "id": Uuid::new_v4(),
        "type": "searchset",
        "timestamp": resources::instant(Utc::now()),
        "total": total,
        "link": links,
    });
    if !entry.is_empty() {
        bundle["entry"] = json!(entry);
    }
    Fhir(bundle).into_response()
}

// -------------------------------------------------------------------------------------- Patient

/// `GET /fhir/r4/Patient/{id}` (audited as a read of the record).
pub async fn read_patient(
    TenantTx { actor, mut tx }: TenantTx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    actor.require(Permission::PatientRead)?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound("patient"))?;
    let row = sqlx::query(concat!(
        "SELECT ",
        patient_cols!(),
        " FROM patients WHERE id = $1 AND NOT deleted"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound("patient"))?;
    let p = patient_from_row(&row)?;
    let (code, _) = clinic(&mut tx, actor.tenant_id).await?;
    audit::record(
        &mut tx,
        &actor,
        AuditEntry::success("fhir.patient.read", "patient", Some(id), Some(id)),
    )
    .await?;
    tx.commit().await?;
    Ok(Fhir(resources::patient(&p, &code)).into_response())
}

/// The conditions of a Patient search after `FROM patients`: this clinic's standing records
/// matching every parameter (each an index condition under RLS, as the REST search's are).
fn patient_filters(
    qb: &mut QueryBuilder<sqlx::Postgres>,
    ps: &[(String, String)],
    tenant_id: Uuid,
    mrn_system: &str,
) -> AppResult<()> {
    qb.push(" FROM patients WHERE NOT deleted AND replaced_by IS NULL AND tenant_id = ");
    qb.push_bind(tenant_id);
    for (k, v) in ps {
        match k.as_str() {
            "name" => {
                let words: Vec<String> = fold(v)
                    .replace(['\'', '.', ','], " ")
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect();
                if words.is_empty() {
                    return Err(bad("name must have letters"));
                }
                for w in words {
                    qb.push(" AND id IN (SELECT patient_id FROM patient_words WHERE tenant_id = ");
                    qb.push_bind(tenant_id);
                    qb.push(" AND word >= ");
                    qb.push_bind(w.clone());
                    qb.push(" AND word < ");
                    qb.push_bind(medoffice_model::search::prefix_end(&w));
                    qb.push(")");
                }
            }
            "identifier" => {
                let (system, value) = match v.split_once('|') {
                    Some((sys, val)) => (Some(sys).filter(|x| !x.is_empty()), val),
                    None => (None, v.as_str()),
                };
                let key = medoffice_model::identifier_key(value);
                if key.is_empty() {
                    return Err(bad("identifier must have letters or digits"));
                }
                qb.push(" AND (false");
                if system.is_none_or(|sys| sys == mrn_system) {
                    qb.push(" OR upper(mrn) = ");
                    qb.push_bind(value.trim().to_uppercase());
                }
                if system.is_none_or(|sys| sys != mrn_system) {
                    qb.push(" OR (id IN (SELECT patient_id FROM patient_identifier_keys WHERE tenant_id = ");
                    qb.push_bind(tenant_id);
                    qb.push(" AND key = ");
                    qb.push_bind(key.clone());
                    qb.push(")");
                    if let Some(sys) = system {
                        // the identifier that matched is the one of that system
                        qb.push(
                            " AND EXISTS (SELECT 1 FROM jsonb_array_elements(identifiers) AS i \
                             WHERE i->>'system' = ",
                        );
                        qb.push_bind(sys.to_owned());
                        qb.push(
                            " AND upper(regexp_replace(i->>'value', '[^A-Za-z0-9]', '', 'g')) = ",
                        );
                        qb.push_bind(key);
                        qb.push(")");
                    }
                    qb.push(")");
                }
                qb.push(")");
            }
            "birthdate" => {
                let (prefix, value) = match v.get(..2) {
                    Some(p @ ("eq" | "ge" | "gt" | "le" | "lt")) => (p, &v[2..]),
                    _ => ("eq", v.as_str()),
                };
                let d = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
                    bad(format!(
                        "birthdate {v:?}: YYYY-MM-DD after eq, ge, gt, le or lt"
                    ))
                })?;
                qb.push(match prefix {
                    "ge" => " AND date_of_birth >= ",
                    "gt" => " AND date_of_birth > ",
                    "le" => " AND date_of_birth <= ",
                    "lt" => " AND date_of_birth < ",
                    _ => " AND date_of_birth = ",
                });
                qb.push_bind(d);
            }
            _ => {}
        }
    }
    Ok(())
}

/// Who was shown which patients, for the audit log.
async fn audit_shown(
    conn: &mut PgConnection,
    actor: &crate::auth::Actor,
    action: &str,
    patient_id: Option<Uuid>,
    query: &str,
    shown: &[Uuid],
) -> AppResult<()> {
    let ids: Vec<String> = shown.iter().map(Uuid::to_string).collect();
    audit::record_detail(
        conn,
        actor,
        AuditEntry::success(action, "patient", None, patient_id),
        Some(&format!(
            "q={query:?}; returned {}: {}",
            shown.len(),
            ids.join(",")
        )),
    )
    .await?;
    Ok(())
}

/// `GET /fhir/r4/Patient?identifier=&name=&birthdate=`: this clinic's patients (merged-away
/// records left out), by name; audited with the patients shown.
pub async fn search_patients(
    TenantTx { actor, mut tx }: TenantTx,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    actor.require(Permission::PatientRead)?;
    let ps = params(q.as_deref());
    known_only(&ps, &["identifier", "name", "birthdate"])?;
    let (count, offset) = page(&ps)?;
    let (code, _) = clinic(&mut tx, actor.tenant_id).await?;
    let mrn = resources::mrn_system(&code);
    let mut counting: QueryBuilder<sqlx::Postgres> = QueryBuilder::new("SELECT count(*)");
    patient_filters(&mut counting, &ps, actor.tenant_id, &mrn)?;
    let total: i64 = counting.build_query_scalar().fetch_one(&mut *tx).await?;
    let mut paging: QueryBuilder<sqlx::Postgres> =
        QueryBuilder::new(concat!("SELECT ", patient_cols!()));
    patient_filters(&mut paging, &ps, actor.tenant_id, &mrn)?;
    paging.push(" ORDER BY lower(family_name), lower(given_name), id LIMIT ");
    paging.push_bind(count);
    paging.push(" OFFSET ");
    paging.push_bind(offset);
    let rows = paging.build().fetch_all(&mut *tx).await?;
    let found = rows
        .iter()
        .map(patient_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let shown: Vec<Uuid> = found.iter().map(|p| p.id).collect();
    audit_shown(
        &mut tx,
        &actor,
        "fhir.patient.search",
        None,
        q.as_deref().unwrap_or(""),
        &shown,
    )
    .await?;
    tx.commit().await?;
    let entries = found
        .iter()
        .map(|p| (format!("Patient/{}", p.id), resources::patient(p, &code)))
        .collect::<Vec<_>>();
    Ok(searchset(
        &base_url(&headers),
        "Patient",
        &ps,
        (count, offset),
        total,
        entries,
    ))
}

// --------------------------------------------------------------------------------- Observation

/// The LOINC codes asked for (`code=`), as the measures they name; `None` for every measure.
fn observation_codes(ps: &[(String, String)]) -> Option<Vec<&'static str>> {
    let mut out: Option<Vec<&'static str>> = None;
    for (_, v) in ps.iter().filter(|(k, _)| k == "code") {
        let mut these = Vec::new();
        for token in v.split(',') {
            let (system, c) = match token.split_once('|') {
                Some((sys, c)) => (Some(sys), c),
                None => (None, token),
            };
            if system.is_some_and(|sys| !sys.is_empty() && sys != resources::LOINC) {
                continue;
            }
            let suffix = match c {
                "8480-6" | "8462-4" => Some("bp"),
                _ => resources::VITAL_CODES
                    .iter()
                    .find(|x| x.loinc == c)
                    .map(|x| x.suffix),
            };
            these.extend(suffix);
        }
        // several `code` parameters must all hold; a measure is one code
        out = Some(match out {
            None => these,
            Some(before) => before.into_iter().filter(|x| these.contains(x)).collect(),
        });
    }
    out
}

/// `GET /fhir/r4/Observation?patient=&category=&code=&date=`: a patient's vital signs, newest
/// first, one Observation per measure of each set (entered-in-error ones included, so marked).
pub async fn search_observations(
    TenantTx { actor, mut tx }: TenantTx,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    actor.require(Permission::VitalSignsRead)?;
    let ps = params(q.as_deref());
    known_only(&ps, &["patient", "subject", "category", "code", "date"])?;
    let (count, offset) = page(&ps)?;
    let patient = ps
        .iter()
        .find(|(k, _)| k == "patient" || k == "subject")
        .map(|(_, v)| reference_id(v, "Patient"))
        .transpose()?
        .ok_or_else(|| bad("Observation is searched for one patient: give patient=Patient/{id}"))?;
    let vital_signs_only = ps.iter().filter(|(k, _)| k == "category").all(|(_, v)| {
        v.split(',')
            .any(|c| c.rsplit('|').next() == Some("vital-signs"))
    });
    let (_, tz) = clinic(&mut tx, actor.tenant_id).await?;
    let (from, to) = date_range(&ps, tz)?;
    let codes = observation_codes(&ps);
    let rows = sqlx::query(concat!(
        "SELECT ",
        vitals_cols!(),
        " FROM vital_signs WHERE patient_id = $1 AND NOT deleted \
         AND ($2::timestamptz IS NULL OR measured_at >= $2) AND ($3::timestamptz IS NULL OR measured_at < $3) \
         ORDER BY measured_at DESC, id"
    ))
    .bind(patient)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *tx)
    .await?;
    let mut all = Vec::new();
    if vital_signs_only {
        for r in &rows {
            let v = vitals_from_row(r)?;
            for o in resources::observations(&v) {
                let id = o["id"].as_str().unwrap_or_default().to_owned();
                let keep = codes.as_ref().is_none_or(|cs| {
                    resources::parse_observation_id(&id)
                        .is_some_and(|(_, c)| cs.contains(&c.suffix))
                });
                if keep {
                    all.push((format!("Observation/{id}"), o));
                }
            }
        }
    }
    let total = all.len() as i64;
    let page: Vec<_> = all
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(count).unwrap_or(0))
        .collect();
    audit_shown(
        &mut tx,
        &actor,
        "fhir.observation.search",
        Some(patient),
        q.as_deref().unwrap_or(""),
        &[patient],
    )
    .await?;
    tx.commit().await?;
    Ok(searchset(
        &base_url(&headers),
        "Observation",
        &ps,
        (count, offset),
        total,
        page,
    ))
}

/// `GET /fhir/r4/Observation/{set}-{measure}` (audited as a read of the patient's vital signs).
pub async fn read_observation(
    TenantTx { actor, mut tx }: TenantTx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    actor.require(Permission::VitalSignsRead)?;
    let (set, c) = resources::parse_observation_id(&id).ok_or(AppError::NotFound("observation"))?;
    let row = sqlx::query(concat!(
        "SELECT ",
        vitals_cols!(),
        " FROM vital_signs WHERE id = $1 AND NOT deleted"
    ))
    .bind(set)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound("observation"))?;
    let v = vitals_from_row(&row)?;
    let o = resources::observations(&v)
        .into_iter()
        .find(|o| o["id"] == json!(format!("{set}-{}", c.suffix)))
        .ok_or(AppError::NotFound("observation"))?;
    audit::record(
        &mut tx,
        &actor,
        AuditEntry::success(
            "fhir.observation.read",
            "vital_signs",
            Some(set),
            Some(v.patient_id),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Fhir(o).into_response())
}

// --------------------------------------------------------------------------------- Appointment

/// `GET /fhir/r4/Appointment?patient=&practitioner=&date=`: bookings by start.
pub async fn search_appointments(
    TenantTx { actor, mut tx }: TenantTx,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    actor.require(Permission::AppointmentRead)?;
    let ps = params(q.as_deref());
    known_only(&ps, &["patient", "practitioner", "actor", "date"])?;
    let (count, offset) = page(&ps)?;
    let patient = ps
        .iter()
        .find(|(k, _)| k == "patient")
        .map(|(_, v)| reference_id(v, "Patient"))
        .transpose()?;
    let practitioner = ps
        .iter()
        .find(|(k, _)| k == "practitioner" || k == "actor")
        .map(|(_, v)| reference_id(v, "Practitioner"))
        .transpose()?;
    let (_, tz) = clinic(&mut tx, actor.tenant_id).await?;
    let (from, to) = date_range(&ps, tz)?;
    let filters = |qb: &mut QueryBuilder<sqlx::Postgres>| {
        qb.push(" FROM appointments WHERE NOT deleted AND tenant_id = ");
        qb.push_bind(actor.tenant_id);
        if let Some(p) = patient {
            qb.push(" AND patient_id = ");
            qb.push_bind(p);
        }
        if let Some(p) = practitioner {
            qb.push(" AND provider_id = ");
            qb.push_bind(p);
        }
        if let Some(f) = from {
            qb.push(" AND starts_at >= ");
            qb.push_bind(f);
        }
        if let Some(t) = to {
            qb.push(" AND starts_at < ");
            qb.push_bind(t);
        }
    };
    let mut counting: QueryBuilder<sqlx::Postgres> = QueryBuilder::new("SELECT count(*)");
    filters(&mut counting);
    let total: i64 = counting.build_query_scalar().fetch_one(&mut *tx).await?;
    let mut paging: QueryBuilder<sqlx::Postgres> =
        QueryBuilder::new(concat!("SELECT ", appointment_cols!()));
    filters(&mut paging);
    paging.push(" ORDER BY starts_at, id LIMIT ");
    paging.push_bind(count);
    paging.push(" OFFSET ");
    paging.push_bind(offset);
    let rows = paging.build().fetch_all(&mut *tx).await?;
    let page = rows
        .iter()
        .map(appointment_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let mut shown: Vec<Uuid> = page.iter().map(|a| a.patient_id).collect();
    shown.sort();
    shown.dedup();
    audit_shown(
        &mut tx,
        &actor,
        "fhir.appointment.search",
        patient,
        q.as_deref().unwrap_or(""),
        &shown,
    )
    .await?;
    tx.commit().await?;
    let entries = page
        .iter()
        .map(|a| (format!("Appointment/{}", a.id), resources::appointment(a)))
        .collect::<Vec<_>>();
    Ok(searchset(
        &base_url(&headers),
        "Appointment",
        &ps,
        (count, offset),
        total,
        entries,
    ))
}

/// `GET /fhir/r4/Appointment/{id}` (audited as an access to the patient's record).
pub async fn read_appointment(
    TenantTx { actor, mut tx }: TenantTx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    actor.require(Permission::AppointmentRead)?;
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound("appointment"))?;
    let row = sqlx::query(concat!(
        "SELECT ",
        appointment_cols!(),
        " FROM appointments WHERE id = $1 AND NOT deleted"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound("appointment"))?;
    let a = appointment_from_row(&row)?;
    audit::record(
        &mut tx,
        &actor,
        AuditEntry::success(
            "fhir.appointment.read",
            "appointment",
            Some(id),
            Some(a.patient_id),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Fhir(resources::appointment(&a)).into_response())
}

// -------------------------------------------------------------------------------- Practitioner

/// The clinic's staff: whoever holds a booking or recorded a vital sign is one of them (an
/// Appointment's participant, an Observation's performer), so every reference resolves.
const PRACTITIONERS: &str = "SELECT id, full_name, active FROM users WHERE true";

/// `GET /fhir/r4/Practitioner/{id}`: a member of the clinic's staff.
pub async fn read_practitioner(
    TenantTx { mut tx, .. }: TenantTx,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound("practitioner"))?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{PRACTITIONERS} AND id = $1")))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound("practitioner"))?;
    tx.commit().await?;
    Ok(Fhir(resources::practitioner(
        row.try_get("id")?,
        row.try_get::<String, _>("full_name")?.as_str(),
        row.try_get("active")?,
    ))
    .into_response())
}

/// `GET /fhir/r4/Practitioner?name=`: the clinic's staff, by name.
pub async fn search_practitioners(
    TenantTx { mut tx, .. }: TenantTx,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> AppResult<Response> {
    let ps = params(q.as_deref());
    known_only(&ps, &["name"])?;
    let (count, offset) = page(&ps)?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{PRACTITIONERS} ORDER BY lower(full_name), id"
    )))
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let words: Vec<String> = ps
        .iter()
        .filter(|(k, _)| k == "name")
        .flat_map(|(_, v)| {
            fold(v)
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let mut found = Vec::new();
    for r in &rows {
        let name: String = r.try_get("full_name")?;
        let folded = format!(" {}", fold(&name));
        if words.iter().all(|w| folded.contains(&format!(" {w}"))) {
            let id: Uuid = r.try_get("id")?;
            found.push((
                format!("Practitioner/{id}"),
                resources::practitioner(id, &name, r.try_get("active")?),
            ));
        }
    }
    let total = found.len() as i64;
    let page: Vec<_> = found
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(count).unwrap_or(0))
        .collect();
    Ok(searchset(
        &base_url(&headers),
        "Practitioner",
        &ps,
        (count, offset),
        total,
        page,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_of_the_clinic_and_prefixes_bound_them() {
        let ny: chrono_tz::Tz = "America/New_York".parse().expect("zone");
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("instant")
                .with_timezone(&Utc)
        };
        // a day in New York in winter runs 05:00 to 05:00 UTC
        assert_eq!(
            date_bounds("2024-01-15", ny).expect("eq"),
            (
                Some(at("2024-01-15T05:00:00Z")),
                Some(at("2024-01-16T05:00:00Z"))
            )
        );
        assert_eq!(date_bounds("ge2024-01-15", ny).expect("ge").1, None);
        assert_eq!(
            date_bounds("lt2024-01-15", ny).expect("lt"),
            (None, Some(at("2024-01-15T05:00:00Z")))
        );
        assert_eq!(
            date_bounds("gt2024-01-15", ny).expect("gt").0,
            Some(at("2024-01-16T05:00:00Z"))
        );
        assert_eq!(
            date_bounds("le2024-01-15T10:00:00Z", ny).expect("le"),
            (None, Some(at("2024-01-15T10:00:01Z")))
        );
        assert!(date_bounds("yesterday", ny).is_err());
        // Santiago skipped midnight on 2024-09-08 (clocks went to 01:00): that day starts at 01:00
        let santiago: chrono_tz::Tz = "America/Santiago".parse().expect("zone");
        let day = NaiveDate::from_ymd_opt(2024, 9, 8).expect("date");
        assert_eq!(
            start_of_day(day, santiago),
            Some(at("2024-09-08T04:00:00Z"))
        );
        let both = vec![
            ("date".to_owned(), "ge2024-01-01".to_owned()),
            ("date".to_owned(), "lt2024-02-01".to_owned()),
        ];
        assert_eq!(
            date_range(&both, chrono_tz::UTC).expect("range"),
            (
                Some(at("2024-01-01T00:00:00Z")),
                Some(at("2024-02-01T00:00:00Z"))
            )
        );
    }

    #[test]
    fn codes_name_measures_and_unknown_parameters_are_refused() {
        let ps = |q: &str| params(Some(q));
        assert_eq!(
            observation_codes(&ps("code=http://loinc.org|8867-4,9279-1")),
            Some(vec!["hr", "rr"])
        );
        assert_eq!(observation_codes(&ps("code=8480-6")), Some(vec!["bp"]));
        assert_eq!(
            observation_codes(&ps("code=http://snomed.info/sct|123")),
            Some(vec![])
        );
        assert_eq!(observation_codes(&ps("")), None);
        assert!(known_only(&ps("name=a&_count=5"), &["name"]).is_ok());
        assert!(known_only(&ps("nmae=a"), &["name"]).is_err());
        assert_eq!(page(&ps("_count=5&_offset=10")).expect("page"), (5, 10));
        assert!(page(&ps("_count=500")).is_err());
        assert_eq!(
            reference_id("Patient/00000000-0000-0000-0000-000000000001", "Patient").expect("ref"),
            Uuid::from_u128(1)
        );
        assert!(reference_id("Practitioner/x", "Patient").is_err());
    }
}
