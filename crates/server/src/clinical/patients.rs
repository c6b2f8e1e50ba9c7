//! Patients: registration (with the next MRN), search, demographics edits, soft deletion, and
//! the REST handlers of `/api/v1/patients` ([`rest`]).

use chrono::NaiveDate;
use medoffice_model::merge::FieldConflict;
use medoffice_model::search::{parse_query_in, search_name, SearchTerm};
use medoffice_model::DateOrder;
use medoffice_model::{
    AdministrativeSex, FieldErrors, KinRelationship, NewPatient, Patient, PatientIdentifier,
    Permission, PATIENT_EDITABLE_FIELDS,
};
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::{PgConnection, QueryBuilder, Row};
use uuid::Uuid;

use super::merge::{check_editable, merge_edit};
use super::{clinic_today, next_revision, replayed_create};
use crate::audit::{self, AuditEntry};
use crate::auth::Actor;
use crate::error::{AppError, AppResult};

macro_rules! patient_cols {
    () => {
        "id, mrn, given_name, family_name, date_of_birth, sex, phone, email, address, \
         city, state, postal_code, country, preferred_language, interpreter_required, \
         emergency_contact_name, emergency_contact_phone, next_of_kin_name, \
         next_of_kin_relationship, next_of_kin_phone, identifiers, allergies, no_known_allergies, notes, first_seen_at, \
         revision, created_at, updated_at, deleted, replaced_by"
    };
}
pub(crate) use patient_cols;

/// Maps a `patients` row (columns of `patient_cols!`).
pub fn patient_from_row(r: &sqlx::postgres::PgRow) -> Result<Patient, sqlx::Error> {
    let sex: String = r.try_get("sex")?;
    let kin: Option<String> = r.try_get("next_of_kin_relationship")?;
    let Json(identifiers): Json<Vec<medoffice_model::PatientIdentifier>> =
        r.try_get("identifiers")?;
    Ok(Patient {
        id: r.try_get("id")?,
        mrn: r.try_get("mrn")?,
        given_name: r.try_get("given_name")?,
        family_name: r.try_get("family_name")?,
        date_of_birth: r.try_get("date_of_birth")?,
        sex: AdministrativeSex::parse(&sex).unwrap_or(AdministrativeSex::Unknown),
        phone: r.try_get("phone")?,
        email: r.try_get("email")?,
        address: r.try_get("address")?,
        city: r.try_get("city")?,
        state: r.try_get("state")?,
        postal_code: r.try_get("postal_code")?,
        country: r.try_get("country")?,
        preferred_language: r.try_get("preferred_language")?,
        interpreter_required: r.try_get("interpreter_required")?,
        emergency_contact_name: r.try_get("emergency_contact_name")?,
        emergency_contact_phone: r.try_get("emergency_contact_phone")?,
        next_of_kin_name: r.try_get("next_of_kin_name")?,
        next_of_kin_relationship: kin.as_deref().and_then(KinRelationship::parse),
        next_of_kin_phone: r.try_get("next_of_kin_phone")?,
        identifiers,
        allergies: r.try_get("allergies")?,
        no_known_allergies: r.try_get("no_known_allergies")?,
        notes: r.try_get("notes")?,
        first_seen_at: r.try_get("first_seen_at")?,
        revision: r.try_get("revision")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        deleted: r.try_get("deleted")?,
        replaced_by: r.try_get("replaced_by")?,
    })
}

/// The record that stands for patient `id`: itself, or the record it was merged into (a
/// change made for a merged-away patient, queued on a workstation before it heard of the
/// merge, lands on the survivor). `id` unchanged when unknown (the caller's 404 follows).
pub async fn standing_patient(conn: &mut PgConnection, id: Uuid) -> Result<Uuid, sqlx::Error> {
    let to: Option<Option<Uuid>> =
        sqlx::query_scalar("SELECT replaced_by FROM patients WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(to.flatten().unwrap_or(id))
}

/// Every allergy of `kept`, then those of `other` not already there (case and spaces ignored,
/// each trimmed).
pub fn union_allergies(kept: &[String], other: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in kept.iter().chain(other) {
        let a = a.trim();
        if !a.is_empty() && !out.iter().any(|x| x.eq_ignore_ascii_case(a)) {
            out.push(a.to_owned());
        }
    }
    out
}

/// Merges patient `id` (a duplicate) into `m.into`, which stays: the values chosen for the
/// survivor are written through the edit path (merged per field against `m.base_revision`;
/// conflicts answered as an edit's are), every vital-sign set and appointment of `id` moves to
/// the survivor, and `id` becomes a tombstone pointing at it (`replaced_by`; so do records
/// merged into `id` before). Merging the same pair again answers the survivor unchanged. 404
/// when either is not this clinic's (or deleted); 409 when `id` was merged into another record
/// or the survivor was itself merged away; 422 for `into` = `id` or a bad field. Audited as
/// `patient.merge` under both patients, with what moved.
pub async fn merge_patient(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    m: &medoffice_model::PatientMerge,
) -> AppResult<(Patient, Vec<FieldConflict>)> {
    // moving sets between records is a clinical change, and a merge hides a record: clinicians
    // and admins (the roles that record vital signs), not the front desk alone
    actor.require(Permission::PatientWrite)?;
    actor.require(Permission::VitalSignsWrite)?;
    if m.into == id {
        return Err(AppError::field("into", "must be another patient"));
    }
    if !m.fields.is_empty() {
        check_editable(&m.fields, PATIENT_EDITABLE_FIELDS)?;
    }
    // the clinic's counter first, as every write takes it, then both rows in id order
    next_revision(conn, actor.tenant_id).await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        patient_cols!(),
        " FROM patients WHERE id = ANY($1) AND NOT deleted ORDER BY id FOR NO KEY UPDATE"
    ))
    .bind(vec![id, m.into])
    .fetch_all(&mut *conn)
    .await?;
    let mut found = rows
        .iter()
        .map(patient_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let Some(si) = found.iter().position(|p| p.id == id) else {
        return Err(AppError::NotFound("patient"));
    };
    let source = found.swap_remove(si);
    let Some(target) = found.pop() else {
        return Err(AppError::NotFound("patient"));
    };
    match (source.replaced_by, target.replaced_by) {
        (Some(to), _) if to == m.into => return Ok((target, Vec::new())),
        (Some(_), _) => {
            return Err(AppError::Conflict {
                message: "This record was already merged into another one.".into(),
                details: Some(serde_json::json!({ "replaced_by": source.replaced_by })),
            })
        }
        (None, Some(_)) => {
            return Err(AppError::Conflict {
                message: "The record to keep was itself merged into another one: keep that one."
                    .into(),
                details: Some(serde_json::json!({ "replaced_by": target.replaced_by })),
            })
        }
        (None, None) => {}
    }
    let (survivor, conflicts) = if m.fields.is_empty() {
        (target, Vec::new())
    } else {
        let (p, conflicts, _) =
            update_patient(conn, actor, m.into, m.base_revision, m.fields.clone()).await?;
        (p, conflicts)
    };
    let sets = sqlx::query(
        "UPDATE vital_signs SET patient_id = $2, updated_by = $3 WHERE patient_id = $1",
    )
    .bind(id)
    .bind(m.into)
    .bind(actor.user_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let visits = sqlx::query(
        "UPDATE appointments SET patient_id = $2, updated_by = $3 WHERE patient_id = $1",
    )
    .bind(id)
    .bind(m.into)
    .bind(actor.user_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query(
        "UPDATE patients SET replaced_by = $2, updated_by = $3 WHERE id = $1 OR replaced_by = $1",
    )
    .bind(id)
    .bind(m.into)
    .bind(actor.user_id)
    .execute(&mut *conn)
    .await?;
    // every allergy of both records stays, whatever was chosen or changed meanwhile: an
    // allergy lost in a merge is a patient harmed
    // (and every identifier: both records' cards name the one person kept)
    let (kept, Json(kept_ids), current, kept_nka): (
        Vec<String>,
        Json<Vec<PatientIdentifier>>,
        i64,
        bool,
    ) = sqlx::query_as(
        "SELECT allergies, identifiers, revision, no_known_allergies FROM patients WHERE id = $1",
    )
    .bind(m.into)
    .fetch_one(&mut *conn)
    .await?;
    let all = union_allergies(&kept, &source.allergies);
    let all_ids = medoffice_model::union_identifiers(&kept_ids, &source.identifiers);
    let mut f = Map::new();
    // "none known" said of either record stands while neither lists an allergy
    let nka = all.is_empty() && (kept_nka || source.no_known_allergies);
    if nka != kept_nka {
        f.insert("no_known_allergies".into(), Value::from(nka));
    }
    if all != kept {
        f.insert("allergies".into(), Value::from(all));
    }
    if all_ids != kept_ids {
        f.insert(
            "identifiers".into(),
            serde_json::to_value(all_ids).map_err(|e| AppError::Internal(e.into()))?,
        );
    }
    if !f.is_empty() {
        update_patient(conn, actor, m.into, current, f).await?;
    }
    // the moved sets' flags follow the record kept's date of birth and sex
    super::vitals::reflag_sets(conn, m.into).await?;
    let moved = format!("{sets} vital-sign sets and {visits} appointments moved");
    audit::record_detail(
        conn,
        actor,
        AuditEntry::success("patient.merge", "patient", Some(id), Some(id)),
        Some(&format!(
            "merged into MRN {} ({}); {moved}",
            survivor.mrn, m.into
        )),
    )
    .await?;
    audit::record_detail(
        conn,
        actor,
        AuditEntry::success("patient.merge", "patient", Some(m.into), Some(m.into)),
        Some(&format!(
            "MRN {} ({id}) merged into this record; {moved}",
            source.mrn
        )),
    )
    .await?;
    let row = sqlx::query(concat!(
        "SELECT ",
        patient_cols!(),
        " FROM patients WHERE id = $1"
    ))
    .bind(m.into)
    .fetch_one(&mut *conn)
    .await?;
    Ok((patient_from_row(&row)?, conflicts))
}

/// A patient of this clinic (404 when absent or soft-deleted).
pub async fn get_patient(conn: &mut PgConnection, id: Uuid) -> AppResult<Patient> {
    let row = sqlx::query(concat!(
        "SELECT ",
        patient_cols!(),
        " FROM patients WHERE id = $1 AND NOT deleted"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(AppError::NotFound("patient"))?;
    Ok(patient_from_row(&row)?)
}

/// How far a search counts its matches: past this, `meta.total` says at most this many and
/// `meta.total_capped` is true (there are more than it says). Counting every match of a two-letter prefix in a large clinic
/// (12 % of 100,000 patients for "ma") cost more than finding the page; nobody pages that far,
/// they type another letter.
pub const SEARCH_COUNT_CAP: i64 = 1000;

/// A name prefix shared by more entries of `patient_words` than this is broad: a search with
/// more terms than the prefix finds its page by walking the clinic's patients in name order
/// (index `patients_tenant_name_order`) and stopping at the page's end; a narrower one by its
/// range of words, which costs its matches. A search that is one name prefix alone, the
/// common case, reads an index already in page order: `patient_name_prefixes` up to three
/// letters ([`short_prefix_search`]), the words' index past that ([`one_word_search`]).
const BROAD_PREFIX: i64 = 300;

/// The conditions of a search after `WHERE`: this clinic's live patients matching every term.
///
/// The index conditions name `tenant_id` themselves and compare with leakproof operators, so
/// row-level security (which still applies) does not force a read of the whole clinic first: a
/// narrow name prefix is a range of `patient_words` (migration 0005), a date of birth an
/// equality on `(tenant_id, date_of_birth)`. A broad prefix (`walk`) is a `LIKE` on each row
/// met in name order instead: a filter, not an index condition, so RLS does not hinder it.
fn push_search_conditions(
    qb: &mut QueryBuilder<sqlx::Postgres>,
    tenant_id: Uuid,
    terms: &[SearchTerm],
    walk: bool,
) {
    // a merged-away record is a tombstone: not found by a search
    qb.push("NOT deleted AND replaced_by IS NULL AND tenant_id = ");
    qb.push_bind(tenant_id);
    for term in terms {
        match term {
            SearchTerm::Name(n) if walk => {
                // the term's own `%`, `_` and `\` are characters to find, not wildcards
                qb.push(" AND search_name LIKE ");
                qb.push_bind(format!("% {}%", medoffice_model::search::like_literal(n)));
                qb.push(" ESCAPE '\\'");
            }
            SearchTerm::Name(n) => {
                // a word prefix as a byte range: no wildcard in it, and an index condition
                qb.push(" AND id IN (SELECT patient_id FROM patient_words WHERE tenant_id = ");
                qb.push_bind(tenant_id);
                qb.push(" AND word >= ");
                qb.push_bind(n.clone());
                qb.push(" AND word < ");
                qb.push_bind(medoffice_model::search::prefix_end(n));
                qb.push(")");
            }
            SearchTerm::BirthDate(dates) => {
                qb.push(" AND date_of_birth = ANY(");
                qb.push_bind(dates.clone());
                qb.push(")");
            }
            SearchTerm::Digits(d) => {
                qb.push(" AND ");
                push_digits_match(qb, tenant_id, d);
            }
            SearchTerm::DigitGroups(groups) => {
                // the groups as one number, or each group on its own
                qb.push(" AND (");
                push_digits_match(qb, tenant_id, &groups.concat());
                qb.push(" OR (true");
                for g in groups {
                    qb.push(" AND ");
                    push_digits_match(qb, tenant_id, g);
                }
                qb.push("))");
            }
            SearchTerm::Mrn(m) => {
                qb.push(" AND (upper(mrn) = upper(");
                qb.push_bind(m.clone());
                qb.push(")");
                push_identifier_match(qb, tenant_id, m);
                qb.push(")");
            }
        }
    }
}

/// The patient's MRN starts with `d`, their phone's digits hold it, or they hold an identifier
/// that reads as `d`. ASCII digits only (`parse_query`): nothing in them is a wildcard.
fn push_digits_match(qb: &mut QueryBuilder<sqlx::Postgres>, tenant_id: Uuid, d: &str) {
    qb.push("(mrn LIKE ");
    qb.push_bind(format!("{d}%"));
    qb.push(" OR regexp_replace(coalesce(phone, ''), '\\D', '', 'g') LIKE ");
    qb.push_bind(format!("%{d}%"));
    push_identifier_match(qb, tenant_id, d);
    qb.push(")");
}

/// `OR` the patient holds an identifier whose key is `typed`'s (migration 0018): an index
/// condition on `(tenant_id, key)`, as a name word is.
fn push_identifier_match(qb: &mut QueryBuilder<sqlx::Postgres>, tenant_id: Uuid, typed: &str) {
    let key = medoffice_model::identifier_key(typed);
    if key.is_empty() {
        return;
    }
    qb.push(" OR id IN (SELECT patient_id FROM patient_identifier_keys WHERE tenant_id = ");
    qb.push_bind(tenant_id);
    qb.push(" AND key = ");
    qb.push_bind(key);
    qb.push(")");
}

/// How a name prefix stands in `patient_words`: its entries and the patients they are, both
/// counted within the first `4 × (cap + 1)` entries (deleted patients have no words; a
/// patient has an entry per matching word, rarely more than two or three). Index-only.
async fn count_word_prefix(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    prefix: &str,
    cap: i64,
) -> AppResult<(i64, i64, bool)> {
    let window = 4 * (cap + 1);
    let (entries, patients): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT patient_id) FROM (SELECT patient_id FROM patient_words \
         WHERE tenant_id = $1 AND word >= $2 AND word < $3 LIMIT $4) AS counted",
    )
    .bind(tenant_id)
    .bind(prefix)
    .bind(medoffice_model::search::prefix_end(prefix))
    .bind(window)
    .fetch_one(conn)
    .await?;
    // a full window may hold fewer than the cap's patients, and more are past it
    Ok((entries, patients, entries == window))
}

/// The page of a one-word search, sorted from `patient_words` alone (its primary key carries
/// each entry's name order), then the page's rows: the cost is the prefix's entries, read in
/// one index range, never the clinic's patients and never the matches' rows. A walk of the
/// name index instead would read every patient ahead of the matches in name order: 88,000 of
/// 100,000 for "tu", whose matches are mostly the family name Turner (15 ms, measured).
async fn word_prefix_page(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    prefix: &str,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<Patient>> {
    // Entries in page order; a patient with two matching words ("Maria Martinez" for "ma") has
    // two, side by side. Twice the entries the page needs, deduplicated here, is almost always
    // enough (a top-N sort, no grouping of every match); when it is not, ask for more.
    let want = usize::try_from(offset.saturating_add(limit)).unwrap_or(usize::MAX);
    let mut take = offset.saturating_add(limit).saturating_mul(2);
    let ids = loop {
        let entries: Vec<Uuid> = sqlx::query_scalar(
            "SELECT patient_id FROM patient_words WHERE tenant_id = $1 AND word >= $2 AND word < $3 \
             ORDER BY family_key, given_key, patient_id LIMIT $4",
        )
        .bind(tenant_id)
        .bind(prefix)
        .bind(medoffice_model::search::prefix_end(prefix))
        .bind(take)
        .fetch_all(&mut *conn)
        .await?;
        let fetched = entries.len() as i64;
        let mut ids = entries;
        ids.dedup();
        if ids.len() >= want || fetched < take {
            break ids;
        }
        take = take.saturating_mul(2);
    };
    let page: Vec<Uuid> = ids
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    if page.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(concat!(
        "SELECT ",
        patient_cols!(),
        " FROM patients WHERE NOT deleted AND id = ANY($1) \
         ORDER BY lower(family_name), lower(given_name), id"
    ))
    .bind(&page)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(patient_from_row)
        .collect::<Result<Vec<_>, _>>()?)
}

/// The longest name prefix kept in `patient_name_prefixes` (migration 0021), in bytes: folded
/// words are ASCII.
const SHORT_PREFIX: usize = 3;

/// A one-word search of one to three letters from `patient_name_prefixes`, whose index holds
/// each prefix's patients once each in page order: the page is the range's first rows after
/// `offset`, the count stops past [`SEARCH_COUNT_CAP`]. One statement; its cost is the page and
/// at most the cap's entries, whatever the clinic's size.
async fn short_prefix_search(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    prefix: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<Patient>, i64, bool)> {
    let rows = sqlx::query(concat!(
        "WITH counted AS (SELECT count(*) AS n FROM (SELECT 1 FROM patient_name_prefixes \
           WHERE tenant_id = $1 AND prefix = $2 LIMIT $3) AS c), \
         page AS (SELECT patient_id, family_key, given_key FROM patient_name_prefixes \
           WHERE tenant_id = $1 AND prefix = $2 \
           ORDER BY family_key, given_key, patient_id OFFSET $4 LIMIT $5) \
         SELECT counted.n, ",
        patient_cols!(),
        " FROM counted LEFT JOIN (page JOIN patients ON patients.id = page.patient_id AND NOT patients.deleted) ON true \
         ORDER BY page.family_key, page.given_key, page.patient_id"
    ))
    .bind(tenant_id)
    .bind(prefix)
    .bind(SEARCH_COUNT_CAP + 1)
    .bind(offset)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let Some(first) = rows.first() else {
        return Ok((Vec::new(), 0, false));
    };
    let matches: i64 = first.try_get("n")?;
    Ok(with_total(
        joined_page(&rows)?,
        limit,
        offset,
        matches,
        false,
    ))
}

/// The patients of a page read with `LEFT JOIN` onto its counts: a row without an `id` is the
/// counts alone (an empty page).
fn joined_page(rows: &[sqlx::postgres::PgRow]) -> AppResult<Vec<Patient>> {
    let mut page = Vec::with_capacity(rows.len());
    for row in rows {
        if row.try_get::<Option<Uuid>, _>("id")?.is_some() {
            page.push(patient_from_row(row)?);
        }
    }
    Ok(page)
}

/// A page with its `meta.total` and `meta.total_capped`: exact on the last page (what came
/// before it and what is on it are all there is), otherwise `counted` up to
/// [`SEARCH_COUNT_CAP`], capped when past it or when the count itself stopped short (`more`).
fn with_total(
    page: Vec<Patient>,
    limit: i64,
    offset: i64,
    counted: i64,
    more: bool,
) -> (Vec<Patient>, i64, bool) {
    let shown = page.len() as i64;
    if shown < limit && (shown > 0 || offset == 0) {
        return (page, offset + shown, false);
    }
    (
        page,
        counted.min(SEARCH_COUNT_CAP),
        more || counted > SEARCH_COUNT_CAP,
    )
}

/// A one-word search (a name prefix, the commonest search at a front desk) in one statement:
/// the prefix counted as [`count_word_prefix`] does, its first entries in page order as
/// [`word_prefix_page`] takes them, deduplicated, offset and joined to their rows. One round
/// trip instead of three; when the entries taken hold too few patients for the page (a page
/// deep into a prefix whose patients match on several words), the page is read again the
/// long way.
async fn one_word_search(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    prefix: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<Patient>, i64, bool)> {
    if prefix.len() <= SHORT_PREFIX {
        return short_prefix_search(conn, tenant_id, prefix, limit, offset).await;
    }
    let window = 4 * (SEARCH_COUNT_CAP + 1);
    let take = offset.saturating_add(limit).saturating_mul(2);
    let rows = sqlx::query(concat!(
        "WITH counted AS (SELECT count(*) AS n_entries, count(DISTINCT patient_id) AS n_patients \
           FROM (SELECT patient_id FROM patient_words WHERE tenant_id = $1 AND word >= $2 AND word < $3 LIMIT $4) AS w), \
         picked AS (SELECT patient_id, family_key, given_key FROM patient_words \
           WHERE tenant_id = $1 AND word >= $2 AND word < $3 ORDER BY family_key, given_key, patient_id LIMIT $5), \
         sizes AS (SELECT count(*) AS n_picked, count(DISTINCT patient_id) AS n_picked_patients FROM picked), \
         page AS (SELECT patient_id, min(family_key) AS fk, min(given_key) AS gk FROM picked \
           GROUP BY patient_id ORDER BY fk, gk, patient_id OFFSET $6 LIMIT $7) \
         SELECT n_entries, n_patients, n_picked, n_picked_patients, ",
        patient_cols!(),
        " FROM counted CROSS JOIN sizes \
         LEFT JOIN (page JOIN patients ON patients.id = page.patient_id AND NOT patients.deleted) ON true \
         ORDER BY fk, gk, page.patient_id"
    ))
    .bind(tenant_id)
    .bind(prefix)
    .bind(medoffice_model::search::prefix_end(prefix))
    .bind(window)
    .bind(take)
    .bind(offset)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let Some(first) = rows.first() else {
        return Ok((Vec::new(), 0, false));
    };
    let entries: i64 = first.try_get("n_entries")?;
    let patients: i64 = first.try_get("n_patients")?;
    let picked: i64 = first.try_get("n_picked")?;
    let picked_patients: i64 = first.try_get("n_picked_patients")?;
    if entries == 0 {
        return Ok((Vec::new(), 0, false));
    }
    let page = if picked_patients < offset.saturating_add(limit) && picked == take {
        word_prefix_page(conn, tenant_id, prefix, limit, offset).await?
    } else {
        joined_page(&rows)?
    };
    // a full window of entries may hold fewer than the cap's patients, and more are past it
    let full = entries == window;
    Ok(with_total(page, limit, offset, patients, full))
}

/// One page of a patient search (see `medoffice_model::search`): every term must match, in
/// name order. Returns the page and the number of matches: exact on the last page, otherwise
/// counted up to [`SEARCH_COUNT_CAP`] (`true` when there are more).
pub async fn search_patients(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    q: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<Patient>, i64, bool)> {
    // a date with / - or . reads in the clinic's order (3/4/1990: March 4 in a US clinic);
    // the order is read only then, so a name or MRN search pays nothing for it
    let order = if q.contains(['/', '-', '.']) {
        let order: String = sqlx::query_scalar("SELECT date_order FROM tenants WHERE id = $1")
            .bind(tenant_id)
            .fetch_one(&mut *conn)
            .await?;
        DateOrder::parse(&order).unwrap_or_default()
    } else {
        DateOrder::default()
    };
    let terms = parse_query_in(q, order);
    // how many the first name term matches: the total of a one-word search, and which way
    // to find the page
    let first_name = terms.iter().find_map(|t| match t {
        SearchTerm::Name(n) => Some(n.as_str()),
        _ => None,
    });
    if let (Some(n), 1) = (first_name, terms.len()) {
        return one_word_search(conn, tenant_id, n, limit, offset).await;
    }
    let prefix = match first_name {
        Some(n) => Some(count_word_prefix(conn, tenant_id, n, SEARCH_COUNT_CAP).await?),
        None => None,
    };
    if prefix.is_some_and(|(entries, _, _)| entries == 0) {
        return Ok((Vec::new(), 0, false));
    }
    let walk = prefix.is_some_and(|(entries, _, _)| entries > BROAD_PREFIX);
    // the page's ids first (a walk reads them from the name index alone), then their rows
    let mut page: QueryBuilder<sqlx::Postgres> = QueryBuilder::new(concat!(
        "SELECT ",
        patient_cols!(),
        " FROM patients WHERE id IN (SELECT id FROM patients WHERE "
    ));
    push_search_conditions(&mut page, tenant_id, &terms, walk);
    page.push(" ORDER BY lower(family_name), lower(given_name), id LIMIT ");
    page.push_bind(limit);
    page.push(" OFFSET ");
    page.push_bind(offset);
    page.push(") ORDER BY lower(family_name), lower(given_name), id");
    let rows = page.build().fetch_all(&mut *conn).await?;
    let patients = rows
        .iter()
        .map(patient_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let shown = patients.len() as i64;
    if shown < limit && (shown > 0 || offset == 0) {
        return Ok(with_total(patients, limit, offset, shown, false));
    }
    let counted: i64 = {
        let mut count = QueryBuilder::new("SELECT count(*) FROM (SELECT 1 FROM patients WHERE ");
        push_search_conditions(&mut count, tenant_id, &terms, walk);
        count.push(" LIMIT ");
        count.push_bind(SEARCH_COUNT_CAP + 1);
        count.push(") AS counted");
        count.build_query_scalar().fetch_one(&mut *conn).await?
    };
    Ok(with_total(patients, limit, offset, counted, false))
}

fn same_registration(new: &NewPatient, p: &Patient) -> bool {
    new.given_name == p.given_name
        && new.family_name == p.family_name
        && new.date_of_birth == p.date_of_birth
        && new.sex == p.sex
        && new.phone == p.phone
        && new.email == p.email
        && new.address == p.address
        && new.city == p.city
        && new.state == p.state
        && new.postal_code == p.postal_code
        && new.country == p.country
        && new.preferred_language == p.preferred_language
        && new.interpreter_required.unwrap_or(false) == p.interpreter_required
        && new.emergency_contact_name == p.emergency_contact_name
        && new.emergency_contact_phone == p.emergency_contact_phone
        && new.next_of_kin_name == p.next_of_kin_name
        && new.next_of_kin_relationship == p.next_of_kin_relationship
        && new.next_of_kin_phone == p.next_of_kin_phone
        && new.identifiers.clone().unwrap_or_default() == p.identifiers
        && new.allergies.clone().unwrap_or_default() == p.allergies
        && new.no_known_allergies.unwrap_or(false) == p.no_known_allergies
        && new.notes == p.notes
        && new.first_seen_at.is_none_or(|d| Some(d) == p.first_seen_at)
}

/// Registers a patient, assigning the next MRN. Idempotent by `id`: the same body again
/// answers the existing patient with `false` (not created); another body with that id is 409.
pub async fn create_patient(
    conn: &mut PgConnection,
    actor: &Actor,
    new: NewPatient,
) -> AppResult<(Patient, bool)> {
    actor.require(Permission::PatientWrite)?;
    let new = new.normalized();
    let today = clinic_today(conn).await?;
    new.validate(today).map_err(AppError::Validation)?;
    let id = new.id.unwrap_or_else(Uuid::now_v7);
    if let Some(existing) = sqlx::query(concat!(
        "SELECT ",
        patient_cols!(),
        " FROM patients WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    {
        let existing = patient_from_row(&existing)?;
        let same = same_registration(&new, &existing);
        return replayed_create(existing, same);
    }
    // the next MRN; holding the clinic's counters row also makes the plan check below exact
    let (n, max_patients): (i64, Option<i32>) = sqlx::query_as(
        "UPDATE tenant_counters SET mrn_counter = mrn_counter + 1 WHERE tenant_id = $1 \
         RETURNING mrn_counter, (SELECT max_patients FROM tenants WHERE id = $1)",
    )
    .bind(actor.tenant_id)
    .fetch_one(&mut *conn)
    .await?;
    crate::plan::check_patient_limit(conn, max_patients).await?;
    let row = insert_patient(
        conn,
        actor.tenant_id,
        Some(actor.user_id),
        id,
        &format_mrn(n),
        &new,
        today,
        None,
    )
    .await?;
    audit::record(
        conn,
        actor,
        AuditEntry::success("patient.create", "patient", Some(id), Some(id)),
    )
    .await?;
    Ok((row, true))
}

/// MRNs are the tenant's counter, zero-padded to six digits.
pub fn format_mrn(n: i64) -> String {
    format!("{n:06}")
}

/// Inserts a validated registration. `source_id` marks imported rows (idempotent imports).
#[allow(clippy::too_many_arguments)]
pub async fn insert_patient(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    by: Option<Uuid>,
    id: Uuid,
    mrn: &str,
    p: &NewPatient,
    today: NaiveDate,
    source_id: Option<&str>,
) -> Result<Patient, sqlx::Error> {
    let row = sqlx::query(concat!(
        "INSERT INTO patients (id, tenant_id, mrn, given_name, family_name, date_of_birth, sex, phone, email, address, \
         emergency_contact_name, emergency_contact_phone, allergies, notes, first_seen_at, search_name, source_id, \
         created_by, updated_by, city, state, postal_code, country, preferred_language, interpreter_required, \
         next_of_kin_name, next_of_kin_relationship, next_of_kin_phone, identifiers, no_known_allergies) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, \
         $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29) RETURNING ",
        patient_cols!()
    ))
    .bind(id)
    .bind(tenant_id)
    .bind(mrn)
    .bind(&p.given_name)
    .bind(&p.family_name)
    .bind(p.date_of_birth)
    .bind(p.sex.as_str())
    .bind(&p.phone)
    .bind(&p.email)
    .bind(&p.address)
    .bind(&p.emergency_contact_name)
    .bind(&p.emergency_contact_phone)
    .bind(p.allergies.clone().unwrap_or_default())
    .bind(&p.notes)
    .bind(p.first_seen_at.unwrap_or(today))
    .bind(search_name(&p.given_name, &p.family_name))
    .bind(source_id)
    .bind(by)
    .bind(&p.city)
    .bind(&p.state)
    .bind(&p.postal_code)
    .bind(&p.country)
    .bind(&p.preferred_language)
    .bind(p.interpreter_required.unwrap_or(false))
    .bind(&p.next_of_kin_name)
    .bind(p.next_of_kin_relationship.map(|k| k.as_str()))
    .bind(&p.next_of_kin_phone)
    .bind(Json(p.identifiers.clone().unwrap_or_default()))
    // a listed allergy makes "none known" moot: never both stored
    .bind(p.no_known_allergies.unwrap_or(false) && p.allergies.as_ref().is_none_or(Vec::is_empty))
    .fetch_one(conn)
    .await?;
    patient_from_row(&row)
}

/// Edits demographics from `base_revision` with field-level merge. Returns the record after
/// the write, the fields that conflicted (the server kept its value for those), and whether
/// anything was written.
pub async fn update_patient(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    base_revision: i64,
    changes: Map<String, Value>,
) -> AppResult<(Patient, Vec<FieldConflict>, bool)> {
    actor.require(Permission::PatientWrite)?;
    check_editable(&changes, PATIENT_EDITABLE_FIELDS)?;
    let next = next_revision(conn, actor.tenant_id).await?;
    // an edit of a merged-away record, made before its workstation heard of the merge
    let id = standing_patient(conn, id).await?;
    // the edit changes no key column: a vital-sign set or booking inserted for this patient
    // meanwhile (KEY SHARE on its row) neither waits for it nor deadlocks with it
    let row = sqlx::query(concat!(
        "SELECT ",
        patient_cols!(),
        " FROM patients WHERE id = $1 AND NOT deleted FOR NO KEY UPDATE"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound("patient"))?;
    let current = patient_from_row(&row)?;
    let revs_sql = "SELECT field_revisions FROM patients WHERE id = $1";
    let merged = merge_edit(
        conn,
        actor,
        revs_sql,
        id,
        &current,
        base_revision,
        &changes,
        next,
    )
    .await?;
    let Some(mut p) = merged.record else {
        return Ok((current, merged.conflicts, false));
    };
    p.given_name = p.given_name.trim().to_owned();
    p.family_name = p.family_name.trim().to_owned();
    for f in [
        &mut p.phone,
        &mut p.email,
        &mut p.address,
        &mut p.city,
        &mut p.state,
        &mut p.postal_code,
        &mut p.country,
        &mut p.preferred_language,
        &mut p.emergency_contact_name,
        &mut p.emergency_contact_phone,
        &mut p.next_of_kin_name,
        &mut p.next_of_kin_phone,
        &mut p.notes,
    ] {
        *f = medoffice_model::clean_optional(f);
    }
    p.identifiers = medoffice_model::clean_identifiers(std::mem::take(&mut p.identifiers));
    let today = clinic_today(conn).await?;
    let mut e = FieldErrors::new();
    medoffice_model::validate_demographics(&p.demographics(), today, &mut e);
    e.into_result().map_err(AppError::Validation)?;
    let new_revs = &merged.field_revisions;
    let row = sqlx::query(concat!(
        "UPDATE patients SET given_name = $2, family_name = $3, date_of_birth = $4, sex = $5, phone = $6, email = $7, \
         address = $8, emergency_contact_name = $9, emergency_contact_phone = $10, allergies = $11, notes = $12, \
         first_seen_at = $13, search_name = $14, field_revisions = $15, updated_by = $16, city = $17, state = $18, \
         postal_code = $19, country = $20, preferred_language = $21, interpreter_required = $22, \
         next_of_kin_name = $23, next_of_kin_relationship = $24, next_of_kin_phone = $25, identifiers = $26, \
         no_known_allergies = $27 WHERE id = $1 RETURNING ",
        patient_cols!()
    ))
    .bind(id)
    .bind(&p.given_name)
    .bind(&p.family_name)
    .bind(p.date_of_birth)
    .bind(p.sex.as_str())
    .bind(&p.phone)
    .bind(&p.email)
    .bind(&p.address)
    .bind(&p.emergency_contact_name)
    .bind(&p.emergency_contact_phone)
    .bind(&p.allergies)
    .bind(&p.notes)
    .bind(p.first_seen_at)
    .bind(search_name(&p.given_name, &p.family_name))
    .bind(Json(new_revs))
    .bind(actor.user_id)
    .bind(&p.city)
    .bind(&p.state)
    .bind(&p.postal_code)
    .bind(&p.country)
    .bind(&p.preferred_language)
    .bind(p.interpreter_required)
    .bind(&p.next_of_kin_name)
    .bind(p.next_of_kin_relationship.map(|k| k.as_str()))
    .bind(&p.next_of_kin_phone)
    .bind(Json(&p.identifiers))
    // edits merged field by field may bring an allergy and "none known" together: the allergy wins
    .bind(p.no_known_allergies && p.allergies.is_empty())
    .fetch_one(&mut *conn)
    .await?;
    // children's bands depend on age and sex: a corrected date of birth or sex re-flags the sets
    if p.date_of_birth != current.date_of_birth || p.sex != current.sex {
        super::vitals::reflag_sets(conn, id).await?;
    }
    audit::record(
        conn,
        actor,
        AuditEntry {
            action: "patient.update",
            entity: Some("patient"),
            entity_id: Some(id),
            patient_id: Some(id),
            outcome: if merged.conflicts.is_empty() {
                "success"
            } else {
                "conflict"
            },
        },
    )
    .await?;
    Ok((patient_from_row(&row)?, merged.conflicts, true))
}

/// Soft-deletes a patient (admin). The row stays and travels as a tombstone.
pub async fn delete_patient(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> AppResult<()> {
    actor.require(Permission::PatientDelete)?;
    // take the tenant's counter first, as edits do, so a delete and an edit cannot deadlock
    next_revision(conn, actor.tenant_id).await?;
    let n = sqlx::query(
        "UPDATE patients SET deleted = true, updated_by = $2 WHERE id = $1 AND NOT deleted",
    )
    .bind(id)
    .bind(actor.user_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound("patient"));
    }
    audit::record(
        conn,
        actor,
        AuditEntry::success("patient.delete", "patient", Some(id), Some(id)),
    )
    .await?;
    Ok(())
}

/// REST handlers of `/api/v1/patients` and `/api/v1/patients/{id}`.
pub mod rest {
    use axum::extract::{Path, Query, State};
    use axum::http::StatusCode;
    use axum::Json;
    use medoffice_model::{
        ErrorBody, ListMeta, ListResponse, NewPatient, Patient, PatientPatch, Permission,
    };
    use serde::Deserialize;
    use uuid::Uuid;

    use crate::audit::{self, AuditEntry};
    use crate::auth::{Actor, TenantTx};
    use crate::clinical::merge::remember_rest_edit;
    use crate::clinical::{audited, created_or_ok};
    use crate::error::{AppError, AppResult};
    use crate::{db, ApiJson, AppState};

    /// Longest search accepted, in characters.
    pub const MAX_QUERY_CHARS: usize = 200;

    /// Query of `GET /api/v1/patients`.
    #[derive(Debug, Deserialize, utoipa::IntoParams)]
    pub struct PatientQuery {
        /// Name prefixes (any order), MRN, phone digits, or a date of birth; at most 200
        /// characters (400 beyond).
        #[serde(default)]
        pub q: String,
        /// Page size, 1–200 (default 50).
        pub limit: Option<i64>,
        /// Offset.
        pub offset: Option<i64>,
    }

    /// Searches patients.
    #[utoipa::path(get, path = "/api/v1/patients", params(PatientQuery), tag = "patients",
    responses((status = 200, body = ListResponse<Patient>), (status = 401, body = ErrorBody)))]
    pub async fn list_patients(
        TenantTx { actor, mut tx }: TenantTx,
        Query(q): Query<PatientQuery>,
    ) -> AppResult<Json<ListResponse<Patient>>> {
        actor.require(Permission::PatientRead)?;
        let limit = q.limit.unwrap_or(50).clamp(1, 200);
        let offset = q.offset.unwrap_or(0).max(0);
        if q.q.chars().count() > MAX_QUERY_CHARS {
            return Err(AppError::BadRequest(format!(
                "The search (q) is too long: at most {MAX_QUERY_CHARS} characters"
            )));
        }
        let (data, total, total_capped) =
            super::search_patients(&mut tx, actor.tenant_id, &q.q, limit, offset).await?;
        // who searched for what, and which patients it showed them
        let shown: Vec<String> = data.iter().map(|p| p.id.to_string()).collect();
        audit::record_detail(
            &mut tx,
            &actor,
            AuditEntry::success("patient.search", "patient", None, None),
            Some(&format!(
                "q={:?}; returned {}: {}",
                q.q,
                data.len(),
                shown.join(",")
            )),
        )
        .await?;
        tx.commit().await?;
        Ok(Json(ListResponse {
            data,
            meta: ListMeta {
                total,
                limit,
                offset,
                total_capped,
            },
        }))
    }

    /// Registers a patient (201), or answers the same patient again for the same body (200).
    #[utoipa::path(post, path = "/api/v1/patients", request_body = NewPatient, tag = "patients",
    responses((status = 201, body = Patient), (status = 200, body = Patient), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
    pub async fn create_patient(
        State(st): State<AppState>,
        actor: Actor,
        ApiJson(new): ApiJson<NewPatient>,
    ) -> AppResult<(StatusCode, Json<Patient>)> {
        let id = new.id;
        let r = async {
            let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
            let (p, created) = super::create_patient(&mut tx, &actor, new).await?;
            tx.commit().await?;
            Ok(created_or_ok(created, p))
        }
        .await;
        audited(&st, &actor, "patient.create", "patient", id, id, r).await
    }

    /// One patient (audited as a read of the record).
    #[utoipa::path(get, path = "/api/v1/patients/{id}", tag = "patients",
    responses((status = 200, body = Patient), (status = 404, body = ErrorBody)))]
    pub async fn get_patient(
        State(st): State<AppState>,
        actor: Actor,
        Path(id): Path<Uuid>,
    ) -> AppResult<Json<Patient>> {
        let r = async {
            actor.require(Permission::PatientRead)?;
            let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
            let p = super::get_patient(&mut tx, id).await?;
            audit::record(
                &mut tx,
                &actor,
                AuditEntry::success("patient.read", "patient", Some(id), Some(id)),
            )
            .await?;
            tx.commit().await?;
            Ok(Json(p))
        }
        .await;
        audited(
            &st,
            &actor,
            "patient.read",
            "patient",
            Some(id),
            Some(id),
            r,
        )
        .await
    }

    /// Merges patient `{id}` (a duplicate) into `into`, which stays and is answered: chosen
    /// values written to it, every set and booking moved, `{id}` a tombstone (`replaced_by`).
    /// 409 with `conflicts` when a chosen field changed on the survivor since `base_revision`
    /// (the merge is done; the survivor's newer value stands), or when either record was
    /// merged away already.
    #[utoipa::path(post, path = "/api/v1/patients/{id}/merge", request_body = medoffice_model::PatientMerge, tag = "patients",
    responses((status = 200, body = Patient), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
    pub async fn merge_patient(
        State(st): State<AppState>,
        actor: Actor,
        Path(id): Path<Uuid>,
        ApiJson(m): ApiJson<medoffice_model::PatientMerge>,
    ) -> AppResult<Json<Patient>> {
        let r = async {
            let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
            let out = super::merge_patient(&mut tx, &actor, id, &m).await?;
            tx.commit().await?;
            Ok(out)
        }
        .await;
        let (p, conflicts) = audited(
            &st,
            &actor,
            "patient.merge",
            "patient",
            Some(id),
            Some(id),
            r,
        )
        .await?;
        if conflicts.is_empty() {
            Ok(Json(p))
        } else {
            Err(crate::clinical::kept_server_values(
                "Merged; changed on the record kept meanwhile, so its value stands",
                &conflicts,
                Some(serde_json::json!(p)),
            ))
        }
    }

    /// Edits demographics from `base_revision`. Fields changed by someone else since then are a
    /// 409 listing them (`details.conflicts`); the other fields are saved.
    #[utoipa::path(patch, path = "/api/v1/patients/{id}", request_body = PatientPatch, tag = "patients",
    responses((status = 200, body = Patient), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
    pub async fn patch_patient(
        State(st): State<AppState>,
        actor: Actor,
        Path(id): Path<Uuid>,
        ApiJson(patch): ApiJson<PatientPatch>,
    ) -> AppResult<Json<Patient>> {
        let r = async {
            let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
            let (p, conflicts, written) =
                super::update_patient(&mut tx, &actor, id, patch.base_revision, patch.changes)
                    .await?;
            if written {
                remember_rest_edit(&mut tx, &actor, p.revision).await?;
            }
            tx.commit().await?;
            Ok((p, conflicts))
        }
        .await;
        // (a merge with conflicts committed and is audited as such; only refusals are recorded here)
        let (p, conflicts) = audited(
            &st,
            &actor,
            "patient.update",
            "patient",
            Some(id),
            Some(id),
            r,
        )
        .await?;
        if conflicts.is_empty() {
            Ok(Json(p))
        } else {
            Err(crate::clinical::kept_server_values(
                "Changed by someone else meanwhile",
                &conflicts,
                Some(serde_json::json!(p)),
            ))
        }
    }

    /// Soft-deletes a patient (admin).
    #[utoipa::path(delete, path = "/api/v1/patients/{id}", tag = "patients", responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
    pub async fn delete_patient(
        State(st): State<AppState>,
        actor: Actor,
        Path(id): Path<Uuid>,
    ) -> AppResult<StatusCode> {
        let r = async {
            let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
            super::delete_patient(&mut tx, &actor, id).await?;
            tx.commit().await?;
            Ok(StatusCode::NO_CONTENT)
        }
        .await;
        audited(
            &st,
            &actor,
            "patient.delete",
            "patient",
            Some(id),
            Some(id),
            r,
        )
        .await
    }
}
