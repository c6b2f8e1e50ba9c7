//! Patients: registration (with the next MRN), search, demographics edits, soft deletion, and
//! the REST handlers of `/api/v1/patients` ([`rest`]).

use chrono::NaiveDate;
use medoffice_model::merge::FieldConflict;
use medoffice_model::search::{fold, parse_query, SearchTerm};
use medoffice_model::{
    AdministrativeSex, Demographics, FieldErrors, NewPatient, Patient, Permission,
    PATIENT_EDITABLE_FIELDS,
};
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::{PgConnection, QueryBuilder, Row};
use uuid::Uuid;

use super::merge::{check_editable, merge_edit};
use super::{clinic_today, next_revision, replayed_create};
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
pub(crate) use patient_cols;

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

fn search_name(given: &str, family: &str) -> String {
    format!(" {} {} ", fold(given), fold(family))
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
                // the term's own `%`, `_` and `\` are characters to find, not wildcards
                qb.push(" AND search_name LIKE ");
                qb.push_bind(format!("% {}%", medoffice_model::search::like_literal(&n)));
                qb.push(" ESCAPE '\\'");
            }
            SearchTerm::BirthDate(dates) => {
                qb.push(" AND date_of_birth = ANY(");
                qb.push_bind(dates);
                qb.push(")");
            }
            SearchTerm::Digits(d) => {
                // ASCII digits only (parse_query): nothing in them is a wildcard
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
    use crate::auth::Actor;
    use crate::clinical::merge::remember_rest_edit;
    use crate::clinical::{audited, created_or_ok};
    use crate::error::{AppError, AppResult};
    use crate::{db, ApiJson, AppState};

    /// Query of `GET /api/v1/patients`.
    #[derive(Debug, Deserialize, utoipa::IntoParams)]
    pub struct PatientQuery {
        /// Name prefixes (any order), MRN, phone digits, or a date of birth.
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
        State(st): State<AppState>,
        actor: Actor,
        Query(q): Query<PatientQuery>,
    ) -> AppResult<Json<ListResponse<Patient>>> {
        actor.require(Permission::PatientRead)?;
        let limit = q.limit.unwrap_or(50).clamp(1, 200);
        let offset = q.offset.unwrap_or(0).max(0);
        let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
        let (data, total) = super::search_patients(&mut tx, &q.q, limit, offset).await?;
        audit::record(
            &mut tx,
            &actor,
            AuditEntry::success("patient.search", "patient", None, None),
        )
        .await?;
        tx.commit().await?;
        Ok(Json(ListResponse {
            data,
            meta: ListMeta {
                total,
                limit,
                offset,
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
            let fields: Vec<&str> = conflicts.iter().map(|c| c.field.as_str()).collect();
            Err(AppError::Conflict {
                message: format!("Changed by someone else meanwhile: {}", fields.join(", ")),
                details: Some(serde_json::json!({ "conflicts": conflicts, "server": p })),
            })
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
