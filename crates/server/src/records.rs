//! Services over the clinical tables: patients, vital signs, appointments. Each takes a
//! connection inside a tenant-scoped transaction and the acting user; REST handlers and the
//! sync push call the same functions, so both enforce the same rules.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use medoffice_model::merge::{merge_fields, FieldConflict};
use medoffice_model::search::{fold, parse_query, SearchTerm};
use medoffice_model::{
    AdministrativeSex, Appointment, AppointmentKind, AppointmentStatus, Consciousness,
    Demographics, FieldErrors, Measurements, NewAppointment, NewPatient, NewVitalSigns, Patient,
    Permission, VitalSigns, APPOINTMENT_EDITABLE_FIELDS, CHECKED_IN_AT_FIELD,
    PATIENT_EDITABLE_FIELDS,
};
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::{PgConnection, QueryBuilder, Row};
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::auth::Actor;
use crate::error::{is_pg_code, AppError, AppResult};

macro_rules! patient_cols {
    () => {
        "id, mrn, given_name, family_name, date_of_birth, sex, phone, email, address, \
         emergency_contact_name, emergency_contact_phone, allergies, notes, first_seen_at, \
         revision, created_at, updated_at, deleted"
    };
}
macro_rules! vitals_cols {
    () => {
        "id, patient_id, measured_at, recorded_by, systolic_mmhg, diastolic_mmhg, heart_rate_bpm, \
         respiratory_rate_bpm, temperature_c, spo2_pct, on_oxygen, consciousness, weight_kg, height_cm, \
         pain_score, notes, entered_offline, flags, news2, revision, created_at"
    };
}
macro_rules! appointment_cols {
    () => {
        "id, patient_id, provider_id, starts_at, duration_minutes, kind, status, reason, notes, \
         overbooked, checked_in_at, revision, deleted"
    };
}
pub(crate) use {appointment_cols, patient_cols, vitals_cols};

fn parse_enum<T: serde::de::DeserializeOwned>(s: &str) -> anyhow::Result<T> {
    Ok(serde_json::from_value(Value::String(s.to_owned()))?)
}

/// Maps a `patients` row (columns of `patient_cols!`).
pub fn patient_from_row(r: &sqlx::postgres::PgRow) -> Result<Patient, sqlx::Error> {
    let sex: String = r.try_get("sex")?;
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
        emergency_contact_name: r.try_get("emergency_contact_name")?,
        emergency_contact_phone: r.try_get("emergency_contact_phone")?,
        allergies: r.try_get("allergies")?,
        notes: r.try_get("notes")?,
        first_seen_at: r.try_get("first_seen_at")?,
        revision: r.try_get("revision")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        deleted: r.try_get("deleted")?,
    })
}

/// Maps a `vital_signs` row (columns of `vitals_cols!`).
pub fn vitals_from_row(r: &sqlx::postgres::PgRow) -> Result<VitalSigns, sqlx::Error> {
    let consciousness: Option<String> = r.try_get("consciousness")?;
    Ok(VitalSigns {
        id: r.try_get("id")?,
        patient_id: r.try_get("patient_id")?,
        measured_at: r.try_get("measured_at")?,
        recorded_by: r.try_get("recorded_by")?,
        measurements: Measurements {
            systolic_mmhg: r.try_get("systolic_mmhg")?,
            diastolic_mmhg: r.try_get("diastolic_mmhg")?,
            heart_rate_bpm: r.try_get("heart_rate_bpm")?,
            respiratory_rate_bpm: r.try_get("respiratory_rate_bpm")?,
            temperature_c: r.try_get("temperature_c")?,
            spo2_pct: r.try_get("spo2_pct")?,
            on_oxygen: r.try_get("on_oxygen")?,
            consciousness: consciousness.and_then(|c| parse_enum::<Consciousness>(&c).ok()),
            weight_kg: r.try_get("weight_kg")?,
            height_cm: r.try_get("height_cm")?,
            pain_score: r.try_get("pain_score")?,
        },
        notes: r.try_get("notes")?,
        entered_offline: r.try_get("entered_offline")?,
        flags: r.try_get("flags")?,
        news2: r.try_get("news2")?,
        revision: r.try_get("revision")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Maps an `appointments` row (columns of `appointment_cols!`).
pub fn appointment_from_row(r: &sqlx::postgres::PgRow) -> Result<Appointment, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let status: String = r.try_get("status")?;
    Ok(Appointment {
        id: r.try_get("id")?,
        patient_id: r.try_get("patient_id")?,
        provider_id: r.try_get("provider_id")?,
        starts_at: r.try_get("starts_at")?,
        duration_minutes: r.try_get("duration_minutes")?,
        kind: parse_enum(&kind).unwrap_or(AppointmentKind::Other),
        status: parse_enum(&status).unwrap_or(AppointmentStatus::Scheduled),
        reason: r.try_get("reason")?,
        notes: r.try_get("notes")?,
        overbooked: r.try_get("overbooked")?,
        checked_in_at: r.try_get("checked_in_at")?,
        revision: r.try_get("revision")?,
        deleted: r.try_get("deleted")?,
    })
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

/// The revision the next write in this transaction will take. Locks the tenant's counter row
/// (which the write would lock anyway), so the value cannot move until commit.
async fn next_revision(conn: &mut PgConnection, tenant_id: Uuid) -> AppResult<i64> {
    let r: i64 = sqlx::query_scalar("SELECT revision + 1 FROM tenants WHERE id = $1 FOR UPDATE")
        .bind(tenant_id)
        .fetch_one(conn)
        .await?;
    Ok(r)
}

fn search_name(given: &str, family: &str) -> String {
    format!(" {} {} ", fold(given), fold(family))
}

// ----------------------------------------------------------------------------------- patients

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

/// Searches patients (see `medoffice_model::search`): every term must match. Returns the page
/// and the total number of matches.
pub async fn search_patients(
    conn: &mut PgConnection,
    q: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<Patient>, i64)> {
    let mut qb: QueryBuilder<sqlx::Postgres> = QueryBuilder::new(concat!(
        "SELECT ",
        patient_cols!(),
        ", count(*) OVER () AS total FROM patients WHERE NOT deleted"
    ));
    for term in parse_query(q) {
        match term {
            SearchTerm::Name(n) => {
                qb.push(" AND search_name LIKE ");
                qb.push_bind(format!("% {}%", n.replace(['%', '_'], "")));
            }
            SearchTerm::BirthDate(dates) => {
                qb.push(" AND date_of_birth = ANY(");
                qb.push_bind(dates);
                qb.push(")");
            }
            SearchTerm::Digits(d) => {
                qb.push(" AND (mrn LIKE ");
                qb.push_bind(format!("{d}%"));
                qb.push(" OR regexp_replace(coalesce(phone, ''), '\\D', '', 'g') LIKE ");
                qb.push_bind(format!("%{d}%"));
                qb.push(")");
            }
            SearchTerm::Mrn(m) => {
                qb.push(" AND upper(mrn) = upper(");
                qb.push_bind(m);
                qb.push(")");
            }
        }
    }
    qb.push(" ORDER BY lower(family_name), lower(given_name), id LIMIT ");
    qb.push_bind(limit);
    qb.push(" OFFSET ");
    qb.push_bind(offset);
    let rows = qb.build().fetch_all(conn).await?;
    let total = rows
        .first()
        .map(|r| r.try_get::<i64, _>("total"))
        .transpose()?
        .unwrap_or(0);
    let patients = rows
        .iter()
        .map(patient_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((patients, total))
}

fn same_registration(new: &NewPatient, p: &Patient) -> bool {
    new.given_name == p.given_name
        && new.family_name == p.family_name
        && new.date_of_birth == p.date_of_birth
        && new.sex == p.sex
        && new.phone == p.phone
        && new.email == p.email
        && new.address == p.address
        && new.emergency_contact_name == p.emergency_contact_name
        && new.emergency_contact_phone == p.emergency_contact_phone
        && new.allergies.clone().unwrap_or_default() == p.allergies
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
        return replayed_create(existing, same, "patient");
    }
    // the next MRN; holding the clinic's row also makes the plan check below exact
    let (n, max_patients): (i64, Option<i32>) = sqlx::query_as(
        "UPDATE tenants SET mrn_counter = mrn_counter + 1 RETURNING mrn_counter, max_patients",
    )
    .fetch_one(&mut *conn)
    .await?;
    crate::clinic::check_patient_limit(conn, max_patients).await?;
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
    .await
    .map_err(|e| {
        if is_pg_code(&e, "23505") {
            AppError::conflict("A patient with this id already exists")
        } else {
            e.into()
        }
    })?;
    audit::record(
        conn,
        actor,
        AuditEntry::success("patient.create", "patient", Some(id), Some(id)),
    )
    .await?;
    Ok((row, true))
}

/// The answer to a create whose client-made id exists already: the same body again is the
/// same record, not created now (200); another body with that id is 409.
fn replayed_create<T>(existing: T, same_body: bool, what: &str) -> AppResult<(T, bool)> {
    if same_body {
        Ok((existing, false))
    } else {
        Err(AppError::conflict(format!(
            "A different {what} was already recorded with this id"
        )))
    }
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
         created_by, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING ",
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
    .fetch_one(conn)
    .await?;
    patient_from_row(&row)
}

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

fn check_editable(changes: &Map<String, Value>, allowed: &[&str]) -> AppResult<()> {
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
struct Merged<T> {
    record: Option<T>,
    conflicts: Vec<FieldConflict>,
    field_revisions: BTreeMap<String, i64>,
}

/// Field-level merge of `changes` made from `base_revision` into `current` (DESIGN.md, sync
/// invariant 5). Fields written since the base by this same user and workstation's earlier
/// mutations count as seen. `next` is the revision the write will take.
#[allow(clippy::too_many_arguments)]
async fn merge_edit<T: serde::Serialize + serde::de::DeserializeOwned>(
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
    let row = sqlx::query(concat!(
        "SELECT ",
        patient_cols!(),
        " FROM patients WHERE id = $1 AND NOT deleted FOR UPDATE"
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
        &mut p.emergency_contact_name,
        &mut p.emergency_contact_phone,
        &mut p.notes,
    ] {
        *f = medoffice_model::clean_optional(f);
    }
    let today = clinic_today(conn).await?;
    let mut e = FieldErrors::new();
    medoffice_model::validate_demographics(
        &Demographics {
            given_name: &p.given_name,
            family_name: &p.family_name,
            date_of_birth: p.date_of_birth,
            phone: p.phone.as_deref(),
            email: p.email.as_deref(),
            emergency_contact_phone: p.emergency_contact_phone.as_deref(),
            address: p.address.as_deref(),
            emergency_contact_name: p.emergency_contact_name.as_deref(),
            notes: p.notes.as_deref(),
            allergies: &p.allergies,
        },
        today,
        &mut e,
    );
    e.into_result().map_err(AppError::Validation)?;
    let new_revs = &merged.field_revisions;
    let row = sqlx::query(concat!(
        "UPDATE patients SET given_name = $2, family_name = $3, date_of_birth = $4, sex = $5, phone = $6, email = $7, \
         address = $8, emergency_contact_name = $9, emergency_contact_phone = $10, allergies = $11, notes = $12, \
         first_seen_at = $13, search_name = $14, field_revisions = $15, updated_by = $16 WHERE id = $1 RETURNING ",
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
    .fetch_one(&mut *conn)
    .await?;
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

// -------------------------------------------------------------------------------- vital signs

/// A patient's vital-sign sets, newest first.
pub async fn list_vitals(
    conn: &mut PgConnection,
    patient_id: Uuid,
    limit: i64,
) -> AppResult<Vec<VitalSigns>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        vitals_cols!(),
        " FROM vital_signs WHERE patient_id = $1 AND NOT deleted ORDER BY measured_at DESC, id LIMIT $2"
    ))
    .bind(patient_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(vitals_from_row).collect::<Result<_, _>>()?)
}

/// Records a measurement set. `recorded_by` is the actor. Idempotent by `id` as patients are.
pub async fn record_vitals(
    conn: &mut PgConnection,
    actor: &Actor,
    patient_id: Uuid,
    new: NewVitalSigns,
) -> AppResult<(VitalSigns, bool)> {
    actor.require(Permission::VitalSignsWrite)?;
    new.validate(Utc::now()).map_err(AppError::Validation)?;
    let id = new.id.unwrap_or_else(Uuid::now_v7);
    // one round trip for what a new set needs (a drained outbox sends thousands of these):
    // is it a replay, the patient's date of birth (RLS hides other clinics' patients: 404,
    // not a leak), and the clinic's time zone
    let (replay, birth, tz): (bool, Option<NaiveDate>, String) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM vital_signs WHERE id = $1), \
         (SELECT date_of_birth FROM patients WHERE id = $2 AND NOT deleted), \
         (SELECT time_zone FROM tenants)",
    )
    .bind(id)
    .bind(patient_id)
    .fetch_one(&mut *conn)
    .await?;
    if replay {
        let row = sqlx::query(concat!(
            "SELECT ",
            vitals_cols!(),
            " FROM vital_signs WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        let existing = vitals_from_row(&row)?;
        let same = existing.patient_id == patient_id
            && existing.measured_at == new.measured_at
            && existing.measurements == new.measurements
            && existing.notes == medoffice_model::clean_optional(&new.notes);
        return replayed_create(existing, same, "vital-signs set");
    }
    let birth = birth.ok_or(AppError::NotFound("patient"))?;
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(chrono_tz::UTC);
    // whole years on the clinic's calendar date of the measurement
    let age = medoffice_model::age_on(birth, new.measured_at.with_timezone(&tz).date_naive());
    let v = insert_vitals(
        conn,
        actor.tenant_id,
        actor.user_id,
        id,
        patient_id,
        &new,
        Some(age),
        None,
    )
    .await?;
    audit::record(
        conn,
        actor,
        AuditEntry::success(
            "vital_signs.create",
            "vital_signs",
            Some(id),
            Some(patient_id),
        ),
    )
    .await?;
    Ok((v, true))
}

/// Inserts a validated measurement set, computing flags and NEWS2 for a patient of `age`
/// years at the time of measurement (children get no adult bands; see `medoffice_model`).
#[allow(clippy::too_many_arguments)]
pub async fn insert_vitals(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    recorded_by: Uuid,
    id: Uuid,
    patient_id: Uuid,
    new: &NewVitalSigns,
    age: Option<i32>,
    source_id: Option<&str>,
) -> Result<VitalSigns, sqlx::Error> {
    let m = &new.measurements;
    let consciousness = m.consciousness.and_then(|c| {
        serde_json::to_value(c)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    });
    let row = sqlx::query(concat!(
        "INSERT INTO vital_signs (id, tenant_id, patient_id, measured_at, recorded_by, systolic_mmhg, diastolic_mmhg, \
         heart_rate_bpm, respiratory_rate_bpm, temperature_c, spo2_pct, on_oxygen, consciousness, weight_kg, height_cm, \
         pain_score, notes, entered_offline, flags, news2, source_id, created_by, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $5, $5) RETURNING ",
        vitals_cols!()
    ))
    .bind(id)
    .bind(tenant_id)
    .bind(patient_id)
    .bind(new.measured_at)
    .bind(recorded_by)
    .bind(m.systolic_mmhg)
    .bind(m.diastolic_mmhg)
    .bind(m.heart_rate_bpm)
    .bind(m.respiratory_rate_bpm)
    .bind(m.temperature_c)
    .bind(m.spo2_pct)
    .bind(m.on_oxygen)
    .bind(consciousness)
    .bind(m.weight_kg)
    .bind(m.height_cm)
    .bind(m.pain_score)
    .bind(medoffice_model::clean_optional(&new.notes))
    .bind(new.entered_offline.unwrap_or(false))
    .bind(m.flags_for_age(age))
    .bind(m.news2_for_age(age))
    .bind(source_id)
    .fetch_one(conn)
    .await?;
    vitals_from_row(&row)
}

// ------------------------------------------------------------------------------- appointments

/// Filters of `GET /api/v1/appointments`.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
pub struct AppointmentFilter {
    /// Starts at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Starts before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Only this provider's.
    pub provider_id: Option<Uuid>,
    /// Only this patient's.
    pub patient_id: Option<Uuid>,
}

/// Appointments matching `f`, by start time.
pub async fn list_appointments(
    conn: &mut PgConnection,
    f: &AppointmentFilter,
) -> AppResult<Vec<Appointment>> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        appointment_cols!(),
        " FROM appointments WHERE NOT deleted \
         AND ($1::timestamptz IS NULL OR starts_at >= $1) AND ($2::timestamptz IS NULL OR starts_at < $2) \
         AND ($3::uuid IS NULL OR provider_id = $3) AND ($4::uuid IS NULL OR patient_id = $4) \
         ORDER BY starts_at, id LIMIT 2000"
    ))
    .bind(f.from)
    .bind(f.to)
    .bind(f.provider_id)
    .bind(f.patient_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .iter()
        .map(appointment_from_row)
        .collect::<Result<_, _>>()?)
}

async fn get_appointment_for_update(conn: &mut PgConnection, id: Uuid) -> AppResult<Appointment> {
    let row = sqlx::query(concat!(
        "SELECT ",
        appointment_cols!(),
        " FROM appointments WHERE id = $1 AND NOT deleted FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(AppError::NotFound("appointment"))?;
    Ok(appointment_from_row(&row)?)
}

/// The live booking of `provider_id` overlapping `[starts_at, starts_at + minutes)`, if any.
async fn clashing_appointment(
    conn: &mut PgConnection,
    id: Uuid,
    provider_id: Uuid,
    starts_at: DateTime<Utc>,
    minutes: i32,
) -> AppResult<Option<Appointment>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        appointment_cols!(),
        " FROM appointments WHERE provider_id = $1 AND id <> $2 AND NOT deleted AND NOT overbooked \
         AND status IN ('scheduled', 'checked_in', 'in_progress') \
         AND tstzrange(starts_at, ends_at, '[)') && tstzrange($3, $3 + make_interval(mins => $4), '[)') \
         ORDER BY starts_at LIMIT 1"
    ))
    .bind(provider_id)
    .bind(id)
    .bind(starts_at)
    .bind(minutes)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(appointment_from_row).transpose()?)
}

fn overlap_error(other: Option<&Appointment>) -> AppError {
    match other {
        Some(o) => AppError::Conflict {
            message: format!(
                "The provider already has a booking from {} for {} minutes",
                o.starts_at.format("%Y-%m-%d %H:%M UTC"),
                o.duration_minutes
            ),
            details: Some(serde_json::json!({ "conflicting_appointment_id": o.id })),
        },
        None => AppError::conflict("The provider already has a booking at that time"),
    }
}

async fn check_provider(conn: &mut PgConnection, provider_id: Uuid) -> AppResult<()> {
    let active: Option<bool> = sqlx::query_scalar("SELECT active FROM users WHERE id = $1")
        .bind(provider_id)
        .fetch_optional(conn)
        .await?;
    match active {
        Some(true) => Ok(()),
        Some(false) => Err(AppError::field(
            "provider_id",
            "this staff member is deactivated",
        )),
        None => Err(AppError::field(
            "provider_id",
            "no such staff member in this clinic",
        )),
    }
}

/// Books an appointment. Overlaps with a live booking of the same provider are 409 naming the
/// other booking (`details.conflicting_appointment_id`), unless `overbooked` is set by a user
/// allowed to overbook. Idempotent by `id`.
pub async fn book_appointment(
    conn: &mut PgConnection,
    actor: &Actor,
    new: NewAppointment,
) -> AppResult<(Appointment, bool)> {
    actor.require(Permission::AppointmentWrite)?;
    new.validate().map_err(AppError::Validation)?;
    let overbooked = new.overbooked.unwrap_or(false);
    if overbooked {
        actor.require(Permission::AppointmentOverbook)?;
    }
    let id = new.id.unwrap_or_else(Uuid::now_v7);
    if let Some(row) = sqlx::query(concat!(
        "SELECT ",
        appointment_cols!(),
        " FROM appointments WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    {
        let a = appointment_from_row(&row)?;
        let same = a.patient_id == new.patient_id
            && a.provider_id == new.provider_id
            && a.starts_at == new.starts_at
            && a.duration_minutes == new.duration_minutes
            && a.kind == new.kind;
        return replayed_create(a, same, "appointment");
    }
    get_patient(conn, new.patient_id)
        .await
        .map_err(|_| AppError::field("patient_id", "no such patient in this clinic"))?;
    check_provider(conn, new.provider_id).await?;
    if !overbooked {
        if let Some(other) = clashing_appointment(
            conn,
            id,
            new.provider_id,
            new.starts_at,
            new.duration_minutes,
        )
        .await?
        {
            return Err(overlap_error(Some(&other)));
        }
    }
    let a = insert_appointment(
        conn,
        actor.tenant_id,
        Some(actor.user_id),
        id,
        &new,
        AppointmentStatus::Scheduled,
        None,
    )
    .await
    .map_err(|e| {
        if is_pg_code(&e, "23P01") {
            overlap_error(None)
        } else {
            e.into()
        }
    })?;
    audit::record(
        conn,
        actor,
        AuditEntry {
            action: if overbooked {
                "appointment.overbook"
            } else {
                "appointment.create"
            },
            entity: Some("appointment"),
            entity_id: Some(id),
            patient_id: Some(new.patient_id),
            outcome: "success",
        },
    )
    .await?;
    Ok((a, true))
}

/// Inserts a booking as given (imports use it with `completed` past visits).
pub async fn insert_appointment(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    by: Option<Uuid>,
    id: Uuid,
    new: &NewAppointment,
    status: AppointmentStatus,
    source_id: Option<&str>,
) -> Result<Appointment, sqlx::Error> {
    let kind = serde_json::to_value(new.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".into());
    let row = sqlx::query(concat!(
        "INSERT INTO appointments (id, tenant_id, patient_id, provider_id, starts_at, duration_minutes, ends_at, kind, status, \
         reason, notes, overbooked, source_id, created_by, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $5, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING ",
        appointment_cols!()
    ))
    .bind(id)
    .bind(tenant_id)
    .bind(new.patient_id)
    .bind(new.provider_id)
    .bind(new.starts_at)
    .bind(new.duration_minutes)
    .bind(kind)
    .bind(status.as_str())
    .bind(medoffice_model::clean_optional(&new.reason))
    .bind(medoffice_model::clean_optional(&new.notes))
    .bind(new.overbooked.unwrap_or(false))
    .bind(source_id)
    .bind(by)
    .fetch_one(conn)
    .await?;
    appointment_from_row(&row)
}

/// The check-in time an update proposes (`checked_in_at`, RFC 3339 or null), taken out of
/// `changes`: it is not a field the merge writes but a proposal the database clamps
/// (migration 0004). A value that is not a time is a 422 on that field.
pub fn take_checked_in_at(changes: &mut Map<String, Value>) -> AppResult<Option<DateTime<Utc>>> {
    match changes.remove(CHECKED_IN_AT_FIELD) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v).map(Some).map_err(|_| {
            AppError::field(CHECKED_IN_AT_FIELD, medoffice_model::CHECKED_IN_AT_FORMAT)
        }),
    }
}

/// Changes an appointment (status workflow, reschedule, notes) from `base_revision`, with the
/// same field-level merge as patients. With the status becoming `checked_in`,
/// `proposed_checked_in_at` says when that happened (an offline check-in's desk time); the database
/// keeps it within bounds or uses its own now (see [`Appointment::checked_in_at`]).
pub async fn update_appointment(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    base_revision: i64,
    changes: Map<String, Value>,
    proposed_checked_in_at: Option<DateTime<Utc>>,
) -> AppResult<(Appointment, Vec<FieldConflict>, bool)> {
    actor.require(Permission::AppointmentWrite)?;
    check_editable(&changes, APPOINTMENT_EDITABLE_FIELDS)?;
    let next = next_revision(conn, actor.tenant_id).await?;
    let current = get_appointment_for_update(conn, id).await?;
    let revs_sql = "SELECT field_revisions FROM appointments WHERE id = $1";
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
    let Some(a) = merged.record else {
        return Ok((current, merged.conflicts, false));
    };
    let mut e = FieldErrors::new();
    if !current.status.can_become(a.status) {
        e.add(
            "status",
            format!(
                "cannot go from {} to {}",
                current.status.as_str(),
                a.status.as_str()
            ),
        );
    }
    medoffice_model::validate_duration(a.duration_minutes, &mut e);
    e.into_result().map_err(AppError::Validation)?;
    if a.provider_id != current.provider_id {
        check_provider(conn, a.provider_id).await?;
    }
    let moves = a.starts_at != current.starts_at
        || a.duration_minutes != current.duration_minutes
        || a.provider_id != current.provider_id;
    if moves && a.overbooked {
        // an overbooked visit skips the clash check: moving it is overbooking again
        actor.require(Permission::AppointmentOverbook)?;
    }
    if a.status.is_live() && !a.overbooked && (moves || !current.status.is_live()) {
        if let Some(other) =
            clashing_appointment(conn, id, a.provider_id, a.starts_at, a.duration_minutes).await?
        {
            return Err(overlap_error(Some(&other)));
        }
    }
    // only a check-in made now proposes a time; the trigger keeps or clears it otherwise
    let checking_in =
        a.status == AppointmentStatus::CheckedIn && current.status != AppointmentStatus::CheckedIn;
    let checked_in_at = if checking_in {
        proposed_checked_in_at
    } else {
        current.checked_in_at
    };
    let new_revs = &merged.field_revisions;
    let kind = serde_json::to_value(a.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "other".into());
    let row = sqlx::query(concat!(
        "UPDATE appointments SET provider_id = $2, starts_at = $3, duration_minutes = $4, kind = $5, status = $6, reason = $7, \
         notes = $8, field_revisions = $9, updated_by = $10, checked_in_at = $11 WHERE id = $1 RETURNING ",
        appointment_cols!()
    ))
    .bind(id)
    .bind(a.provider_id)
    .bind(a.starts_at)
    .bind(a.duration_minutes)
    .bind(kind)
    .bind(a.status.as_str())
    .bind(medoffice_model::clean_optional(&a.reason))
    .bind(medoffice_model::clean_optional(&a.notes))
    .bind(Json(new_revs))
    .bind(actor.user_id)
    .bind(checked_in_at)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| if is_pg_code(&e, "23P01") { overlap_error(None) } else { e.into() })?;
    audit::record(
        conn,
        actor,
        AuditEntry::success(
            "appointment.update",
            "appointment",
            Some(id),
            Some(a.patient_id),
        ),
    )
    .await?;
    Ok((appointment_from_row(&row)?, merged.conflicts, true))
}
