//! Import of a Synthea CSV export into one clinic: patients (`patients.csv`), vital signs
//! (`observations.csv`, by LOINC code, grouped into one measurement set per patient and time)
//! and past encounters as completed appointments (`encounters.csv`, with `providers.csv` for
//! the clinicians' names). Columns are read by name, so exports with extra columns work.
//! Re-running an import adds nothing twice: rows carry a `source_id`.
//!
//! What cannot be mapped is counted by reason in the [`ImportReport`], never silently dropped.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use medoffice_model::{
    AdministrativeSex, AgeAt, AppointmentKind, AppointmentStatus, IdentifierKind, Measurements,
    NewAppointment, NewPatient, NewVitalSigns, PatientIdentifier,
};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::clinical::{self, appointments, patients, vitals};
use crate::db;

/// Tables whose imported rows carry a `source_id`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Imported {
    Patient,
    VitalSigns,
    Appointment,
}

/// The id of the row an earlier import stored under `source_id`, so re-imports add nothing.
pub(crate) async fn imported_id(
    conn: &mut PgConnection,
    table: Imported,
    source_id: &str,
) -> sqlx::Result<Option<Uuid>> {
    let sql = match table {
        Imported::Patient => "SELECT id FROM patients WHERE source_id = $1",
        Imported::VitalSigns => "SELECT id FROM vital_signs WHERE source_id = $1",
        Imported::Appointment => "SELECT id FROM appointments WHERE source_id = $1",
    };
    sqlx::query_scalar(sql)
        .bind(source_id)
        .fetch_optional(conn)
        .await
}

/// The staff entry of a clinician an import names (`username` stable for the source), made
/// once: a name in the staff directory, inactive, no login. Answers its id and whether it was
/// made now.
pub(crate) async fn inactive_clinician(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    username: &str,
    name: &str,
) -> anyhow::Result<(Uuid, bool)> {
    let existing: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM users WHERE lower(username) = lower($1)")
            .bind(username)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(id) = existing {
        return Ok((id, false));
    }
    // "!" is no PHC hash: no password can match, and the account is inactive anyway
    let s = crate::users::insert_user(
        conn,
        tenant_id,
        username,
        name,
        medoffice_model::Role::Physician,
        "!",
        false,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((s.id, true))
}

/// Takes the clinic's next MRN (the counter row stays locked until the transaction ends).
pub(crate) async fn next_mrn(conn: &mut PgConnection, tenant_id: Uuid) -> sqlx::Result<String> {
    let n: i64 = sqlx::query_scalar(
        "UPDATE tenant_counters SET mrn_counter = mrn_counter + 1 WHERE tenant_id = $1 RETURNING mrn_counter",
    )
    .bind(tenant_id)
    .fetch_one(conn)
    .await?;
    Ok(patients::format_mrn(n))
}

/// LOINC codes taken as vital signs, and the field each fills.
pub const VITAL_SIGN_LOINC: &[(&str, &str)] = &[
    ("8480-6", "systolic_mmhg"),
    ("8462-4", "diastolic_mmhg"),
    ("8867-4", "heart_rate_bpm"),
    ("9279-1", "respiratory_rate_bpm"),
    ("8310-5", "temperature_c"),
    ("2708-6", "spo2_pct"),
    ("59408-5", "spo2_pct"),
    ("29463-7", "weight_kg"),
    ("8302-2", "height_cm"),
    ("72514-3", "pain_score"),
];

/// BMI (LOINC 39156-5) is not stored: it is computed from weight and height.
pub const BMI_LOINC: &str = "39156-5";

/// What an import did.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImportReport {
    /// Rows in `patients.csv`.
    pub patients_read: usize,
    /// Patients created now.
    pub patients_imported: usize,
    /// Patients present from an earlier import.
    pub patients_already_present: usize,
    /// Rows in `observations.csv`.
    pub observations_read: usize,
    /// Observations mapped onto a measurement-set field.
    pub vital_sign_observations_mapped: usize,
    /// Measurement sets created now.
    pub vital_sign_sets_imported: usize,
    /// Measurement sets present from an earlier import.
    pub vital_sign_sets_already_present: usize,
    /// Rows in `encounters.csv`.
    pub encounters_read: usize,
    /// Appointments created now (completed past visits).
    pub appointments_imported: usize,
    /// Appointments present from an earlier import.
    pub appointments_already_present: usize,
    /// Clinicians from `providers.csv` added to the staff directory (inactive: no login).
    pub providers_created: usize,
    /// Rows or values not taken, counted by reason.
    pub not_imported: BTreeMap<String, usize>,
}

impl ImportReport {
    fn skip(&mut self, reason: impl Into<String>) {
        *self.not_imported.entry(reason.into()).or_default() += 1;
    }

    /// A short human summary.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "patients: {} read, {} imported, {} already present\n\
             observations: {} read, {} mapped to vital signs -> {} measurement sets imported ({} already present)\n\
             encounters: {} read, {} imported as completed appointments ({} already present); {} providers added\n",
            self.patients_read,
            self.patients_imported,
            self.patients_already_present,
            self.observations_read,
            self.vital_sign_observations_mapped,
            self.vital_sign_sets_imported,
            self.vital_sign_sets_already_present,
            self.encounters_read,
            self.appointments_imported,
            self.appointments_already_present,
            self.providers_created
        );
        if !self.not_imported.is_empty() {
            s.push_str("not imported:\n");
            for (reason, n) in &self.not_imported {
                s.push_str(&format!("  {n:>5}  {reason}\n"));
            }
        }
        s
    }
}

#[derive(Debug, Deserialize)]
struct PatientCsv {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "BIRTHDATE")]
    birthdate: String,
    #[serde(rename = "DEATHDATE", default)]
    deathdate: String,
    #[serde(rename = "FIRST")]
    first: String,
    #[serde(rename = "LAST")]
    last: String,
    #[serde(rename = "GENDER")]
    gender: String,
    #[serde(rename = "ADDRESS", default)]
    address: String,
    #[serde(rename = "CITY", default)]
    city: String,
    #[serde(rename = "STATE", default)]
    state: String,
    #[serde(rename = "ZIP", default)]
    zip: String,
    #[serde(rename = "SSN", default)]
    ssn: String,
    #[serde(rename = "DRIVERS", default)]
    drivers: String,
    #[serde(rename = "PASSPORT", default)]
    passport: String,
}

/// The identifiers of a Synthea patient (a US record): SSN, driver's licence and passport, with
/// the systems Synthea's own FHIR export gives them (the licence is a Massachusetts one).
fn synthea_identifiers(p: &PatientCsv) -> Vec<PatientIdentifier> {
    [
        (
            IdentifierKind::SocialSecurity,
            "http://hl7.org/fhir/sid/us-ssn",
            &p.ssn,
        ),
        (
            IdentifierKind::DriversLicense,
            "urn:oid:2.16.840.1.113883.4.3.25",
            &p.drivers,
        ),
        (
            IdentifierKind::Passport,
            "http://hl7.org/fhir/sid/passport-USA",
            &p.passport,
        ),
    ]
    .into_iter()
    .filter(|(_, _, v)| !v.trim().is_empty())
    .map(|(kind, system, value)| PatientIdentifier {
        kind,
        system: Some(system.to_owned()),
        value: value.trim().to_owned(),
    })
    .collect()
}

#[derive(Debug, Deserialize)]
struct ObservationCsv {
    #[serde(rename = "DATE")]
    date: String,
    #[serde(rename = "PATIENT")]
    patient: String,
    #[serde(rename = "ENCOUNTER", default)]
    encounter: String,
    #[serde(rename = "CATEGORY", default)]
    category: String,
    #[serde(rename = "CODE")]
    code: String,
    #[serde(rename = "DESCRIPTION", default)]
    description: String,
    #[serde(rename = "VALUE")]
    value: String,
    #[serde(rename = "UNITS", default)]
    units: String,
}

#[derive(Debug, Deserialize)]
struct EncounterCsv {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "START")]
    start: String,
    #[serde(rename = "STOP", default)]
    stop: String,
    #[serde(rename = "PATIENT")]
    patient: String,
    #[serde(rename = "PROVIDER", default)]
    provider: String,
    #[serde(rename = "ENCOUNTERCLASS", default)]
    class: String,
    #[serde(rename = "DESCRIPTION", default)]
    description: String,
    #[serde(rename = "REASONDESCRIPTION", default)]
    reason: String,
}

#[derive(Debug, Deserialize)]
struct ProviderCsv {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "NAME")]
    name: String,
}

fn read_csv<T: serde::de::DeserializeOwned>(
    path: &Path,
) -> anyhow::Result<Vec<Result<T, csv::Error>>> {
    let mut r =
        csv::Reader::from_path(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(r.deserialize().collect())
}

/// Synthea appends digits to names to make them unique ("Maynard46"): drop them.
pub fn clean_name(s: &str) -> String {
    s.trim()
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .to_owned()
}

fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Imports the export in `dir` into `tenant_id`, attributing writes to `importer` (a user of
/// that tenant) where the export names no clinician. One transaction: all or nothing.
pub async fn import_synthea(
    pool: &PgPool,
    tenant_id: Uuid,
    importer: Uuid,
    dir: &Path,
) -> anyhow::Result<ImportReport> {
    import_synthea_with(pool, tenant_id, importer, dir, &crate::progress::Quiet).await
}

/// [`import_synthea`], saying how far it has come to `progress` (a terminal's bars).
pub async fn import_synthea_with(
    pool: &PgPool,
    tenant_id: Uuid,
    importer: Uuid,
    dir: &Path,
    progress: &dyn crate::progress::Progress,
) -> anyhow::Result<ImportReport> {
    let mut report = ImportReport::default();
    let mut tx = db::tenant_tx(pool, tenant_id).await?;
    let today = clinical::clinic_today(&mut tx)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let tz = clinical::clinic_tz(&mut tx)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;

    // Encounters first: they give each patient's first-seen date and each observation's clinician.
    let encounters = read_csv::<EncounterCsv>(&dir.join("encounters.csv"))?;
    progress.stage("encounters", encounters.len() as u64);
    let mut first_seen: HashMap<String, NaiveDate> = HashMap::new();
    let mut encounter_provider: HashMap<String, String> = HashMap::new();
    let mut good_encounters = Vec::new();
    for e in encounters {
        progress.advance(1);
        report.encounters_read += 1;
        match e {
            Ok(e) => {
                if let Some(t) = parse_instant(&e.start) {
                    let d = t.date_naive();
                    first_seen
                        .entry(e.patient.clone())
                        .and_modify(|f| *f = (*f).min(d))
                        .or_insert(d);
                }
                encounter_provider.insert(e.id.clone(), e.provider.clone());
                good_encounters.push(e);
            }
            Err(err) => report.skip(format!("encounter: unreadable row ({err})")),
        }
    }

    // Patients.
    let mut patient_ids: HashMap<String, Uuid> = HashMap::new();
    // date of birth and sex, for the vital signs' flags
    let mut birth_dates: HashMap<String, (NaiveDate, AdministrativeSex)> = HashMap::new();
    let patients = read_csv::<PatientCsv>(&dir.join("patients.csv"))?;
    progress.stage("patients", patients.len() as u64);
    for p in patients {
        progress.advance(1);
        report.patients_read += 1;
        let p = match p {
            Ok(p) => p,
            Err(err) => {
                report.skip(format!("patient: unreadable row ({err})"));
                continue;
            }
        };
        let Ok(id) = Uuid::parse_str(&p.id) else {
            report.skip("patient: Id is not a UUID");
            continue;
        };
        let Ok(dob) = NaiveDate::parse_from_str(&p.birthdate, "%Y-%m-%d") else {
            report.skip("patient: BIRTHDATE is not a date");
            continue;
        };
        let sex = match p.gender.trim() {
            "F" => AdministrativeSex::Female,
            "M" => AdministrativeSex::Male,
            _ => AdministrativeSex::Unknown,
        };
        let notes =
            (!p.deathdate.trim().is_empty()).then(|| format!("Deceased {}", p.deathdate.trim()));
        let new = NewPatient {
            id: Some(id),
            given_name: clean_name(&p.first),
            family_name: clean_name(&p.last),
            date_of_birth: dob,
            sex,
            phone: None,
            email: None,
            address: Some(p.address.clone()),
            emergency_contact_name: None,
            emergency_contact_phone: None,
            city: Some(p.city.clone()),
            state: Some(p.state.clone()),
            postal_code: Some(p.zip.clone()),
            // Synthea simulates people living in the United States
            country: Some("US".to_owned()),
            preferred_language: None,
            interpreter_required: None,
            next_of_kin_name: None,
            next_of_kin_relationship: None,
            next_of_kin_phone: None,
            identifiers: Some(synthea_identifiers(&p)),
            allergies: None,
            no_known_allergies: None,
            notes,
            first_seen_at: first_seen.get(&p.id).copied(),
        }
        .normalized();
        if let Err(e) = new.validate(today) {
            report.skip(format!("patient: invalid ({e})"));
            continue;
        }
        patient_ids.insert(p.id.clone(), id);
        birth_dates.insert(p.id.clone(), (dob, sex));
        let exists: Option<Uuid> = sqlx::query_scalar("SELECT id FROM patients WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            report.patients_already_present += 1;
            continue;
        }
        let mrn = next_mrn(&mut tx, tenant_id).await?;
        patients::insert_patient(
            &mut tx,
            tenant_id,
            Some(importer),
            id,
            &mrn,
            &new,
            today,
            Some(&format!("synthea:patient:{}", p.id)),
        )
        .await?;
        report.patients_imported += 1;
    }

    // Clinicians named by encounters become inactive staff entries (a name, no login).
    let mut provider_names: HashMap<String, String> = HashMap::new();
    if let Ok(rows) = read_csv::<ProviderCsv>(&dir.join("providers.csv")) {
        for p in rows.into_iter().flatten() {
            provider_names.insert(p.id, p.name);
        }
    }
    let mut provider_users: HashMap<String, Uuid> = HashMap::new();
    for e in &good_encounters {
        if e.provider.is_empty()
            || provider_users.contains_key(&e.provider)
            || !patient_ids.contains_key(&e.patient)
        {
            continue;
        }
        let username = format!("synthea-{}", e.provider.chars().take(8).collect::<String>());
        let name = provider_names
            .get(&e.provider)
            .map(|n| {
                n.split_whitespace()
                    .map(clean_name)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_else(|| format!("Provider {}", &username[8..]));
        let (id, created) = inactive_clinician(&mut tx, tenant_id, &username, &name).await?;
        if created {
            report.providers_created += 1;
        }
        provider_users.insert(e.provider.clone(), id);
    }

    // Vital signs: group mapped observations by (patient, time) into measurement sets.
    let field_of: HashMap<&str, &str> = VITAL_SIGN_LOINC.iter().copied().collect();
    let mut sets: BTreeMap<(String, String), (Measurements, String)> = BTreeMap::new();
    let observations = read_csv::<ObservationCsv>(&dir.join("observations.csv"))?;
    progress.stage("observations", observations.len() as u64);
    for o in observations {
        progress.advance(1);
        report.observations_read += 1;
        let o = match o {
            Ok(o) => o,
            Err(err) => {
                report.skip(format!("observation: unreadable row ({err})"));
                continue;
            }
        };
        let Some(field) = field_of.get(o.code.as_str()).copied() else {
            if o.code == BMI_LOINC {
                report.skip(
                    "observation: BMI (39156-5) is derived from weight and height, not stored",
                );
            } else if o.category == "vital-signs" {
                report.skip(format!(
                    "observation: vital sign without a field here ({} {})",
                    o.code, o.description
                ));
            } else {
                let cat = if o.category.is_empty() {
                    "uncategorised"
                } else {
                    o.category.as_str()
                };
                report.skip(format!("observation: not a vital sign ({cat})"));
            }
            continue;
        };
        if !patient_ids.contains_key(&o.patient) {
            report.skip("observation: patient not imported");
            continue;
        }
        let Ok(value) = o.value.trim().parse::<f64>() else {
            report.skip(format!("observation: {} value is not a number", o.code));
            continue;
        };
        let entry = sets
            .entry((o.patient.clone(), o.date.clone()))
            .or_insert_with(|| (Measurements::default(), o.encounter.clone()));
        let m = &mut entry.0;
        // a second reading of one measure at one instant (Synthea writes some twice): the
        // first is kept and the others are reported, never dropped without a word
        let taken = match field {
            "systolic_mmhg" => m.systolic_mmhg.is_some(),
            "diastolic_mmhg" => m.diastolic_mmhg.is_some(),
            "heart_rate_bpm" => m.heart_rate_bpm.is_some(),
            "respiratory_rate_bpm" => m.respiratory_rate_bpm.is_some(),
            "temperature_c" => m.temperature_c.is_some(),
            "spo2_pct" => m.spo2_pct.is_some(),
            "weight_kg" => m.weight_kg.is_some(),
            "height_cm" => m.height_cm.is_some(),
            "pain_score" => m.pain_score.is_some(),
            _ => false,
        };
        if taken {
            report.skip(format!(
                "observation: a second {} ({}) reading at the same instant; the first is kept",
                o.description, o.code
            ));
            continue;
        }
        let int = value.round() as i32;
        match field {
            "systolic_mmhg" => m.systolic_mmhg = Some(int),
            "diastolic_mmhg" => m.diastolic_mmhg = Some(int),
            "heart_rate_bpm" => m.heart_rate_bpm = Some(int),
            "respiratory_rate_bpm" => m.respiratory_rate_bpm = Some(int),
            "temperature_c" => {
                m.temperature_c = Some(if o.units.contains("degF") || o.units == "[degF]" {
                    ((value - 32.0) * 5.0 / 9.0 * 10.0).round() / 10.0
                } else {
                    value
                })
            }
            "spo2_pct" => m.spo2_pct = Some(int),
            "weight_kg" => m.weight_kg = Some(value),
            "height_cm" => m.height_cm = Some(value),
            "pain_score" => m.pain_score = Some(int),
            _ => {}
        }
        report.vital_sign_observations_mapped += 1;
    }
    progress.stage("vital-sign sets", sets.len() as u64);
    for ((patient, date), (m, encounter)) in sets {
        progress.advance(1);
        let Some(measured_at) = parse_instant(&date) else {
            report.skip("vital-sign set: DATE is not an instant");
            continue;
        };
        let source = format!("synthea:vitals:{patient}:{date}");
        if imported_id(&mut tx, Imported::VitalSigns, &source)
            .await?
            .is_some()
        {
            report.vital_sign_sets_already_present += 1;
            continue;
        }
        let new = NewVitalSigns {
            id: None,
            measured_at,
            measurements: m,
            notes: None,
            entered_offline: Some(false),
        };
        if let Err(e) = new.validate(Utc::now()) {
            report.skip(format!("vital-sign set: refused by validation ({e})"));
            continue;
        }
        let recorded_by = encounter_provider
            .get(&encounter)
            .and_then(|p| provider_users.get(p))
            .copied()
            .unwrap_or(importer);
        let (age, sex) =
            birth_dates
                .get(&patient)
                .map_or((None, AdministrativeSex::Unknown), |(dob, sex)| {
                    let day = measured_at.with_timezone(&tz).date_naive();
                    (Some(AgeAt::on(*dob, day)), *sex)
                });
        vitals::insert_vitals(
            &mut tx,
            tenant_id,
            recorded_by,
            Uuid::now_v7(),
            patient_ids[&patient],
            &new,
            age,
            sex,
            Some(&source),
        )
        .await?;
        report.vital_sign_sets_imported += 1;
    }

    // Encounters become completed appointments.
    progress.stage("past visits", good_encounters.len() as u64);
    for e in good_encounters {
        progress.advance(1);
        let Some(&patient_id) = patient_ids.get(&e.patient) else {
            report.skip("encounter: patient not imported");
            continue;
        };
        let Some(&provider_id) = provider_users.get(&e.provider) else {
            report.skip("encounter: no provider");
            continue;
        };
        let Some(start) = parse_instant(&e.start) else {
            report.skip("encounter: START is not an instant");
            continue;
        };
        let minutes = parse_instant(&e.stop)
            .map(|s| (s - start).num_minutes())
            .unwrap_or(15)
            .clamp(5, 1440) as i32;
        let kind = match e.class.as_str() {
            "wellness" => AppointmentKind::FollowUp,
            "ambulatory" | "outpatient" => AppointmentKind::Consultation,
            "virtual" => AppointmentKind::Telehealth,
            _ => AppointmentKind::Other,
        };
        let source = format!("synthea:encounter:{}", e.id);
        if imported_id(&mut tx, Imported::Appointment, &source)
            .await?
            .is_some()
        {
            report.appointments_already_present += 1;
            continue;
        }
        let reason = if e.reason.trim().is_empty() {
            e.description.clone()
        } else {
            format!("{} — {}", e.description, e.reason)
        };
        let new = NewAppointment {
            id: None,
            patient_id,
            provider_id,
            starts_at: start,
            duration_minutes: minutes,
            kind,
            reason: Some(reason),
            notes: Some(format!("Imported {} encounter", e.class)),
            overbooked: None,
            outside_hours_reason: None,
            series_id: None,
            visit_type_id: None,
        };
        let status = if start < Utc::now() {
            AppointmentStatus::Completed
        } else {
            AppointmentStatus::Scheduled
        };
        appointments::insert_appointment(
            &mut tx,
            tenant_id,
            Some(importer),
            Uuid::now_v7(),
            &new,
            status,
            Some(&source),
        )
        .await?;
        report.appointments_imported += 1;
    }
    let detail = format!(
        "Synthea export {}: {} patients, {} vital-sign sets, {} appointments imported",
        dir.display(),
        report.patients_imported,
        report.vital_sign_sets_imported,
        report.appointments_imported
    );
    crate::audit::record_import(&mut tx, tenant_id, importer, "import.synthea", &detail).await?;
    progress.finish();
    tx.commit().await?;
    Ok(report)
}
