//! Vital signs: recording a measurement set (flags and NEWS2 computed by `medoffice_model` for
//! the patient's age), listing a patient's sets, and the REST handlers of
//! `/api/v1/patients/{id}/vitals` ([`rest`]).

use chrono::{NaiveDate, Utc};
use medoffice_model::{
    AdministrativeSex, AgeAt, Consciousness, CorrectionNote, Measurements, NewVitalSigns,
    ObservationStatus, Permission, VitalSigns, VitalSignsCorrection,
};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::{parse_enum, replayed_create};
use crate::audit::{self, AuditEntry};
use crate::auth::Actor;
use crate::error::{AppError, AppResult};

macro_rules! vitals_cols {
    () => {
        "id, patient_id, measured_at, recorded_by, systolic_mmhg, diastolic_mmhg, heart_rate_bpm, \
         respiratory_rate_bpm, temperature_c, spo2_pct, on_oxygen, consciousness, weight_kg, height_cm, \
         pain_score, notes, entered_offline, flags, news2, status, correction_reason, corrected_by, \
         corrected_at, revision, created_at"
    };
}
pub(crate) use vitals_cols;

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
        status: {
            let s: String = r.try_get("status")?;
            ObservationStatus::parse(&s).ok_or_else(|| sqlx::Error::ColumnDecode {
                index: "status".into(),
                source: format!("not an observation status: {s}").into(),
            })?
        },
        correction: match (
            r.try_get::<Option<String>, _>("correction_reason")?,
            r.try_get::<Option<Uuid>, _>("corrected_by")?,
            r.try_get::<Option<chrono::DateTime<Utc>>, _>("corrected_at")?,
        ) {
            (Some(reason), Some(by), Some(at)) => Some(CorrectionNote { reason, by, at }),
            _ => None,
        },
        revision: r.try_get("revision")?,
        created_at: r.try_get("created_at")?,
    })
}

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

/// `t` as PostgreSQL stores a `timestamptz`: whole microseconds (sqlx sends microseconds,
/// dropping what is finer).
fn to_micros(t: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    use chrono::Timelike;
    let nanos = t.nanosecond();
    t.with_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
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
    // the clinic's counter first: a merge holds it to its commit, so what is read next sees it
    super::next_revision(conn, actor.tenant_id).await?;
    // one round trip for what a new set needs (a drained outbox sends thousands of these): is
    // it a replay, the record that stands for the patient (a set for a merged-away patient goes
    // to the record kept), its date of birth and sex (only this clinic's patients: 404, not a
    // leak), and the clinic's time zone. A function, so its plan cannot depend on which
    // clinic a pooled connection planned it for (migrations/server/0024_vitals_precheck.sql)
    let (replay, patient_id, birth, sex, tz): (
        bool,
        Uuid,
        Option<NaiveDate>,
        Option<String>,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT stored, standing, date_of_birth, sex, time_zone \
         FROM medoffice_vitals_precheck($1, $2)",
    )
    .bind([id].as_slice())
    .bind([patient_id].as_slice())
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
        // PostgreSQL keeps microseconds: a replay sent with nanoseconds is still the same set
        let same = existing.patient_id == patient_id
            && existing.measured_at == to_micros(new.measured_at)
            && existing.measurements == new.measurements
            && existing.notes == medoffice_model::clean_optional(&new.notes);
        return replayed_create(existing, same);
    }
    let birth = birth.ok_or(AppError::NotFound("patient"))?;
    let tz: chrono_tz::Tz = tz.and_then(|z| z.parse().ok()).unwrap_or(chrono_tz::UTC);
    // on the clinic's calendar date of the measurement
    let age = AgeAt::on(birth, new.measured_at.with_timezone(&tz).date_naive());
    let sex = sex
        .as_deref()
        .and_then(AdministrativeSex::parse)
        .unwrap_or(AdministrativeSex::Unknown);
    let v = insert_vitals(
        conn,
        actor.tenant_id,
        actor.user_id,
        id,
        patient_id,
        &new,
        Some(age),
        sex,
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

/// The `consciousness` column's text of a set (its ACVPU word), as the wire names it.
pub(crate) fn consciousness_text(m: &Measurements) -> Option<String> {
    m.consciousness.and_then(|c| {
        serde_json::to_value(c)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    })
}

/// Inserts a validated measurement set, computing flags and NEWS2 for a patient of `age` at
/// the time of measurement and administrative sex `sex` (children's bands are by age and, for
/// blood pressure, sex; see `medoffice_model::paediatric`).
#[allow(clippy::too_many_arguments)]
pub async fn insert_vitals(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    recorded_by: Uuid,
    id: Uuid,
    patient_id: Uuid,
    new: &NewVitalSigns,
    age: Option<AgeAt>,
    sex: AdministrativeSex,
    source_id: Option<&str>,
) -> Result<VitalSigns, sqlx::Error> {
    let m = &new.measurements;
    let consciousness = consciousness_text(m);
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
    .bind(m.flags_for_age(age, sex))
    .bind(m.news2_for_age(age))
    .bind(source_id)
    .fetch_one(conn)
    .await?;
    vitals_from_row(&row)
}

/// Corrects a recorded set: marks it entered in error, or amends its values (flags and NEWS2
/// recomputed for the patient's age and sex then; the version before is kept in
/// `vital_signs_versions`). Allowed to the set's recorder and to clinicians
/// ([`medoffice_model::may_correct_vitals`]; 403 otherwise). 404 when the set is not this
/// patient's in this clinic; 422 by field for a bad body; 409 `entered-in-error` for an
/// amendment of a withdrawn set. Marking a withdrawn set entered in error again changes nothing
/// (the same answer, so a resent outbox entry is harmless). Audited as
/// `vital_signs.entered_in_error` or `vital_signs.amend`.
pub async fn correct_vitals(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    c: &VitalSignsCorrection,
) -> AppResult<VitalSigns> {
    actor.require(Permission::VitalSignsWrite)?;
    c.validate().map_err(AppError::Validation)?;
    // the clinic's counter before the set's row, as every write takes them (no deadlock with a
    // merge moving the set, or a push that wrote something already)
    super::next_revision(conn, actor.tenant_id).await?;
    // the set moved with its patient's merge: the record that stays is its patient now
    let standing = super::patients::standing_patient(conn, c.patient_id).await?;
    let c = &VitalSignsCorrection {
        patient_id: standing,
        ..c.clone()
    };
    let row = sqlx::query(concat!(
        "SELECT ",
        vitals_cols!(),
        " FROM vital_signs WHERE id = $1 AND patient_id = $2 AND NOT deleted FOR UPDATE"
    ))
    .bind(id)
    .bind(c.patient_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(AppError::NotFound("vital signs"))?;
    let before = vitals_from_row(&row)?;
    if !medoffice_model::may_correct_vitals(actor.role, actor.user_id, before.recorded_by) {
        return Err(AppError::Forbidden);
    }
    let reason = c.reason.trim();
    let action = match c.status {
        ObservationStatus::Amended => "vital_signs.amend",
        _ => "vital_signs.entered_in_error",
    };
    if before.status == ObservationStatus::EnteredInError {
        if c.status == ObservationStatus::EnteredInError {
            return Ok(before);
        }
        return Err(AppError::Conflict {
            message: "This set was marked entered in error: it cannot be amended. Record a new set instead.".into(),
            details: Some(serde_json::json!({ "status": before.status })),
        });
    }
    let updated = match (&c.status, &c.measurements) {
        (ObservationStatus::Amended, Some(m)) => {
            sqlx::query(
                "INSERT INTO vital_signs_versions (vital_signs_id, tenant_id, revision, record, superseded_by)                  VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(actor.tenant_id)
            .bind(before.revision)
            .bind(sqlx::types::Json(&before))
            .bind(actor.user_id)
            .execute(&mut *conn)
            .await?;
            let basis = FlagBasis::of(conn, c.patient_id).await?;
            let age = Some(basis.age_at(before.measured_at));
            sqlx::query(concat!(
                "UPDATE vital_signs SET systolic_mmhg = $2, diastolic_mmhg = $3, heart_rate_bpm = $4, \
                 respiratory_rate_bpm = $5, temperature_c = $6, spo2_pct = $7, on_oxygen = $8, consciousness = $9, \
                 weight_kg = $10, height_cm = $11, pain_score = $12, flags = $13, news2 = $14, status = 'amended', \
                 correction_reason = $15, corrected_by = $16, corrected_at = now(), updated_by = $16, updated_at = now() \
                 WHERE id = $1 RETURNING ",
                vitals_cols!()
            ))
            .bind(id)
            .bind(m.systolic_mmhg)
            .bind(m.diastolic_mmhg)
            .bind(m.heart_rate_bpm)
            .bind(m.respiratory_rate_bpm)
            .bind(m.temperature_c)
            .bind(m.spo2_pct)
            .bind(m.on_oxygen)
            .bind(consciousness_text(m))
            .bind(m.weight_kg)
            .bind(m.height_cm)
            .bind(m.pain_score)
            .bind(m.flags_for_age(age, basis.sex))
            .bind(m.news2_for_age(age))
            .bind(reason)
            .bind(actor.user_id)
            .fetch_one(&mut *conn)
            .await?
        }
        _ => {
            sqlx::query(concat!(
                "UPDATE vital_signs SET status = 'entered-in-error', correction_reason = $2, corrected_by = $3, \
                 corrected_at = now(), updated_by = $3, updated_at = now() WHERE id = $1 RETURNING ",
                vitals_cols!()
            ))
            .bind(id)
            .bind(reason)
            .bind(actor.user_id)
            .fetch_one(&mut *conn)
            .await?
        }
    };
    let after = vitals_from_row(&updated)?;
    audit::record_detail(
        conn,
        actor,
        AuditEntry::success(action, "vital_signs", Some(id), Some(c.patient_id)),
        Some(&format!("reason: {reason}")),
    )
    .await?;
    Ok(after)
}

/// What a stored set's flags depend on besides its values: the patient's date of birth and
/// sex (children's bands are by age and sex) and the clinic's time zone (age counts on its
/// calendar).
struct FlagBasis {
    birth: NaiveDate,
    sex: AdministrativeSex,
    tz: chrono_tz::Tz,
}

impl FlagBasis {
    /// The patient's, now (one round trip).
    async fn of(conn: &mut PgConnection, patient_id: Uuid) -> Result<Self, sqlx::Error> {
        let (birth, sex, tz): (NaiveDate, String, String) = sqlx::query_as(
            "SELECT date_of_birth, sex, (SELECT time_zone FROM tenants) FROM patients WHERE id = $1",
        )
        .bind(patient_id)
        .fetch_one(&mut *conn)
        .await?;
        Ok(Self {
            birth,
            sex: AdministrativeSex::parse(&sex).unwrap_or(AdministrativeSex::Unknown),
            tz: tz.parse().unwrap_or(chrono_tz::UTC),
        })
    }

    /// The patient's age on the clinic's calendar date of `t`.
    fn age_at(&self, t: chrono::DateTime<Utc>) -> AgeAt {
        AgeAt::on(self.birth, t.with_timezone(&self.tz).date_naive())
    }
}

/// Recomputes the flags and NEWS2 of every set of `patient_id` for the record's date of birth
/// and sex now (children's bands depend on both): after a merge moved another record's sets
/// here, or an edit corrected either. The sets whose flags change are written in one statement
/// (each a new revision). Returns how many.
pub async fn reflag_sets(conn: &mut PgConnection, patient_id: Uuid) -> Result<u64, sqlx::Error> {
    let basis = FlagBasis::of(conn, patient_id).await?;
    let rows = sqlx::query(concat!(
        "SELECT ",
        vitals_cols!(),
        " FROM vital_signs WHERE patient_id = $1 AND NOT deleted"
    ))
    .bind(patient_id)
    .fetch_all(&mut *conn)
    .await?;
    let (mut ids, mut flags, mut news2) = (Vec::new(), Vec::new(), Vec::new());
    for row in &rows {
        let v = vitals_from_row(row)?;
        let age = Some(basis.age_at(v.measured_at));
        let f = v.measurements.flags_for_age(age, basis.sex);
        let n = v.measurements.news2_for_age(age);
        if f != v.flags || n != v.news2 {
            ids.push(v.id);
            // flag names are snake_case words: a comma never occurs in one
            flags.push(f.join(","));
            news2.push(n);
        }
    }
    if ids.is_empty() {
        return Ok(0);
    }
    let done = sqlx::query(
        "UPDATE vital_signs v SET flags = CASE WHEN u.flags = '' THEN '{}'::text[] ELSE string_to_array(u.flags, ',') END, \
         news2 = u.news2 FROM unnest($1::uuid[], $2::text[], $3::int[]) AS u (id, flags, news2) WHERE v.id = u.id",
    )
    .bind(&ids)
    .bind(&flags)
    .bind(&news2)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

/// REST handlers of `/api/v1/patients/{id}/vitals`.
pub mod rest {
    use axum::extract::{Path, Query, State};
    use axum::http::StatusCode;
    use axum::Json;
    use medoffice_model::{
        ErrorBody, ListMeta, ListResponse, NewVitalSigns, Permission, VitalSigns,
        VitalSignsCorrection,
    };
    use serde::Deserialize;
    use uuid::Uuid;

    use crate::audit::{self, AuditEntry};
    use crate::auth::Actor;
    use crate::clinical::patients::get_patient;
    use crate::clinical::{audited, created_or_ok};
    use crate::error::AppResult;
    use crate::{db, ApiJson, AppState};

    /// Query of `GET /api/v1/patients/{id}/vitals`.
    #[derive(Debug, Deserialize, utoipa::IntoParams)]
    pub struct VitalsQuery {
        /// Most sets to return (1–1000, default 100).
        pub limit: Option<i64>,
    }

    /// A patient's vital signs, newest first.
    #[utoipa::path(get, path = "/api/v1/patients/{id}/vitals", params(VitalsQuery), tag = "vital signs",
    responses((status = 200, body = ListResponse<VitalSigns>), (status = 404, body = ErrorBody)))]
    pub async fn list_vitals(
        State(st): State<AppState>,
        actor: Actor,
        Path(id): Path<Uuid>,
        Query(q): Query<VitalsQuery>,
    ) -> AppResult<Json<ListResponse<VitalSigns>>> {
        let limit = q.limit.unwrap_or(100).clamp(1, 1000);
        let r = async {
            actor.require(Permission::VitalSignsRead)?;
            let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
            get_patient(&mut tx, id).await?;
            let data = super::list_vitals(&mut tx, id, limit).await?;
            audit::record(
                &mut tx,
                &actor,
                AuditEntry::success("vital_signs.read", "vital_signs", None, Some(id)),
            )
            .await?;
            tx.commit().await?;
            Ok(data)
        }
        .await;
        let data = audited(
            &st,
            &actor,
            "vital_signs.read",
            "vital_signs",
            None,
            Some(id),
            r,
        )
        .await?;
        let total = data.len() as i64;
        Ok(Json(ListResponse {
            data,
            meta: ListMeta {
                total,
                limit,
                offset: 0,
                total_capped: false,
            },
        }))
    }

    /// Records a measurement set. Impossible values are 422 by field; abnormal ones are saved and
    /// flagged (`flags`), with `news2` when every NEWS2 parameter is present.
    #[utoipa::path(post, path = "/api/v1/patients/{id}/vitals", request_body = NewVitalSigns, tag = "vital signs",
    responses((status = 201, body = VitalSigns), (status = 200, body = VitalSigns), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
    pub async fn create_vitals(
        State(st): State<AppState>,
        actor: Actor,
        Path(id): Path<Uuid>,
        ApiJson(new): ApiJson<NewVitalSigns>,
    ) -> AppResult<(StatusCode, Json<VitalSigns>)> {
        let vitals_id = new.id;
        // with the clinic's other sets in flight, in one transaction (clinical::batch)
        let r = st
            .vitals
            .record(actor.clone(), id, new)
            .await
            .map(|(v, created)| created_or_ok(created, v));
        audited(
            &st,
            &actor,
            "vital_signs.create",
            "vital_signs",
            vitals_id,
            Some(id),
            r,
        )
        .await
    }

    /// Corrects a recorded set: `entered-in-error` withdraws it (it stays in the history, out of
    /// flags and charts), `amended` replaces its values (flags and NEWS2 recomputed; the version
    /// before is kept). A reason is required. The recorder or a clinician only (403); 404 when
    /// the set is not the named patient's; 409 when amending a set entered in error.
    #[utoipa::path(post, path = "/api/v1/vitals/{id}/correction", request_body = VitalSignsCorrection, tag = "vital signs",
    responses((status = 200, body = VitalSigns), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
    pub async fn correct_vitals(
        State(st): State<AppState>,
        actor: Actor,
        Path(id): Path<Uuid>,
        ApiJson(c): ApiJson<VitalSignsCorrection>,
    ) -> AppResult<Json<VitalSigns>> {
        let action = if c.status == medoffice_model::ObservationStatus::Amended {
            "vital_signs.amend"
        } else {
            "vital_signs.entered_in_error"
        };
        let r = async {
            let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
            let v = super::correct_vitals(&mut tx, &actor, id, &c).await?;
            tx.commit().await?;
            Ok(v)
        }
        .await;
        audited(
            &st,
            &actor,
            action,
            "vital_signs",
            Some(id),
            Some(c.patient_id),
            r,
        )
        .await
        .map(Json)
    }
}
