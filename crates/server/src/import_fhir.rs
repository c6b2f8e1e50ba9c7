//! Import of FHIR R4 JSON into one clinic (`medoffice-server import-fhir`, issue 14): Bundles
//! (transaction, batch, collection, searchset; Synthea's FHIR output is one transaction Bundle
//! per patient) or single resources, from a file or every `*.json` of a folder.
//!
//! - `Patient` → a patient: official (or first) name, gender, birth date, phone and e-mail, the
//!   first address, identifiers typed SS, DL, PPN, NI or MB (v2-0203), the preferred language and
//!   `patient-interpreterRequired`, the next of kin (`N`) and emergency contact (`C`).
//! - vital-sign `Observation`s → measurement sets, one per patient and instant, by LOINC as the
//!   Synthea CSV import maps them (blood pressure from the panel's components; °F, lb and in
//!   converted).
//! - `Encounter` → a completed visit with its practitioner (an inactive staff entry by name).
//!
//! Everything else, and every value not taken, is counted by reason in the report. Rows carry a
//! `source_id` (the Bundle's `urn:uuid:` fullUrl, or the id within `meta.source`), so running
//! it again adds nothing; a key met again for another person is reported, never merged.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use medoffice_model::{
    AdministrativeSex, AgeAt, AppointmentKind, AppointmentStatus, IdentifierKind, KinRelationship,
    Measurements, NewAppointment, NewPatient, NewVitalSigns, PatientIdentifier,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

use crate::clinical::{self, appointments, patients, vitals};
use crate::db;
use crate::import::{imported_id, next_mrn, Imported, BMI_LOINC, VITAL_SIGN_LOINC};

/// What a FHIR import did.
#[derive(Debug, Default, Clone, Serialize, Deserialize, PartialEq)]
pub struct FhirImportReport {
    /// JSON files read.
    pub files_read: usize,
    /// Resources found (in Bundles or alone).
    pub resources_read: usize,
    /// Patients created now.
    pub patients_imported: usize,
    /// Patients present from an earlier import.
    pub patients_already_present: usize,
    /// Vital-sign Observations mapped onto a measurement-set field.
    pub vital_sign_observations_mapped: usize,
    /// Measurement sets created now.
    pub vital_sign_sets_imported: usize,
    /// Measurement sets present from an earlier import.
    pub vital_sign_sets_already_present: usize,
    /// Encounters created now as completed visits.
    pub encounters_imported: usize,
    /// Encounters present from an earlier import.
    pub encounters_already_present: usize,
    /// Practitioners added to the staff directory (inactive: no login).
    pub practitioners_created: usize,
    /// Resources or values not taken, counted by reason.
    pub not_imported: BTreeMap<String, usize>,
}

impl FhirImportReport {
    fn skip(&mut self, reason: impl Into<String>) {
        *self.not_imported.entry(reason.into()).or_default() += 1;
    }

    /// A short human summary.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "files: {} read, {} resources\n\
             patients: {} imported, {} already present\n\
             vital signs: {} observations mapped -> {} measurement sets imported ({} already present)\n\
             encounters: {} imported as completed visits ({} already present); {} practitioners added\n",
            self.files_read,
            self.resources_read,
            self.patients_imported,
            self.patients_already_present,
            self.vital_sign_observations_mapped,
            self.vital_sign_sets_imported,
            self.vital_sign_sets_already_present,
            self.encounters_imported,
            self.encounters_already_present,
            self.practitioners_created
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

/// The JSON files of `path`: itself, or every `*.json` in it (sorted, not recursive).
fn files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    out.sort();
    Ok(out)
}

/// A resource and the names it may be referred to by in its file (`urn:uuid:…`,
/// `Patient/{id}`).
struct Found {
    resource: Value,
    full_url: Option<String>,
}

fn resources_of(doc: Value) -> Vec<Found> {
    if doc["resourceType"] == "Bundle" {
        doc["entry"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["resource"].is_object())
                    .map(|e| Found {
                        resource: e["resource"].clone(),
                        full_url: e["fullUrl"].as_str().map(str::to_owned),
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        vec![Found {
            resource: doc,
            full_url: None,
        }]
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The codes of a CodeableConcept in `system` (any system when `None`).
fn codes_of<'a>(concept: &'a Value, system: Option<&str>) -> Vec<&'a str> {
    concept["coding"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .filter(|c| system.is_none_or(|s| c["system"] == s))
                .filter_map(|c| c["code"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

use crate::fhir_api::resources::{INTERPRETER_REQUIRED, LOINC, V2_0203};

/// A FHIR Patient as a registration, with what was left out.
fn new_patient(r: &Value, skipped: &mut Vec<String>) -> Result<NewPatient, String> {
    let names = r["name"].as_array().cloned().unwrap_or_default();
    let name = names
        .iter()
        .find(|n| n["use"] == "official")
        .or_else(|| names.first())
        .ok_or("no name")?;
    let family = text(&name["family"]).ok_or("no family name")?;
    let given = name["given"]
        .as_array()
        .map(|g| g.iter().filter_map(text).collect::<Vec<_>>().join(" "))
        .filter(|g| !g.is_empty())
        .ok_or("no given name")?;
    let date_of_birth = r["birthDate"]
        .as_str()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or("no full birth date (YYYY-MM-DD)")?;
    let sex = match r["gender"].as_str() {
        Some("female") => AdministrativeSex::Female,
        Some("male") => AdministrativeSex::Male,
        Some("other") => AdministrativeSex::Other,
        _ => AdministrativeSex::Unknown,
    };
    let telecom = |system: &str| {
        r["telecom"].as_array().and_then(|t| {
            t.iter()
                .find(|c| c["system"] == system)
                .and_then(|c| text(&c["value"]))
        })
    };
    let address = r["address"].as_array().and_then(|a| a.first()).cloned();
    if r["address"].as_array().is_some_and(|a| a.len() > 1) {
        skipped.push("Patient: addresses after the first".to_owned());
    }
    let line = address.as_ref().and_then(|a| {
        a["line"]
            .as_array()
            .map(|l| l.iter().filter_map(text).collect::<Vec<_>>().join("\n"))
            .filter(|l| !l.is_empty())
    });
    let mut identifiers = Vec::new();
    for i in r["identifier"].as_array().into_iter().flatten() {
        let Some(value) = text(&i["value"]) else {
            continue;
        };
        let kind = match codes_of(&i["type"], Some(V2_0203)).first().copied() {
            Some("SS") => IdentifierKind::SocialSecurity,
            Some("DL") => IdentifierKind::DriversLicense,
            Some("PPN") => IdentifierKind::Passport,
            Some("NI") | Some("NH") => IdentifierKind::NationalId,
            Some("MB") => IdentifierKind::InsuranceMember,
            Some("MR") => {
                skipped.push("Patient: another system's medical record number (this clinic assigns its own MRN)".to_owned());
                continue;
            }
            other => {
                skipped.push(format!(
                    "Patient: identifier of type {} (only SS, DL, PPN, NI and MB are kept)",
                    other.unwrap_or("none")
                ));
                continue;
            }
        };
        let system = text(&i["system"]).or_else(|| text(&i["assigner"]["display"]));
        identifiers.push(PatientIdentifier {
            kind,
            system,
            value,
        });
    }
    let communication = r["communication"].as_array().cloned().unwrap_or_default();
    let language = communication
        .iter()
        .find(|c| c["preferred"] == true)
        .or_else(|| communication.first())
        .and_then(|c| {
            codes_of(&c["language"], None)
                .first()
                .map(|s| (*s).to_owned())
        });
    let interpreter = r["extension"].as_array().and_then(|x| {
        x.iter()
            .find(|e| e["url"] == INTERPRETER_REQUIRED)
            .and_then(|e| e["valueBoolean"].as_bool())
    });
    let (mut kin, mut emergency) = (None, None);
    for c in r["contact"].as_array().into_iter().flatten() {
        let roles: Vec<&str> = c["relationship"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|rel| codes_of(rel, None))
            .collect();
        let name = text(&c["name"]["text"]).or_else(|| {
            let given = c["name"]["given"]
                .as_array()
                .map(|g| g.iter().filter_map(text).collect::<Vec<_>>().join(" "))
                .unwrap_or_default();
            let family = text(&c["name"]["family"]).unwrap_or_default();
            Some(format!("{given} {family}").trim().to_owned()).filter(|n| !n.is_empty())
        });
        let phone = c["telecom"].as_array().and_then(|t| {
            t.iter()
                .find(|x| x["system"] == "phone")
                .and_then(|x| text(&x["value"]))
        });
        let relation = roles.iter().find_map(|code| match *code {
            "SPS" | "HUSB" | "WIFE" => Some(KinRelationship::Spouse),
            "DOMPART" => Some(KinRelationship::Partner),
            "PRN" | "MTH" | "FTH" | "NMTH" | "NFTH" => Some(KinRelationship::Parent),
            "CHILD" | "DAU" | "SON" => Some(KinRelationship::Child),
            "SIB" | "BRO" | "SIS" => Some(KinRelationship::Sibling),
            "GUARD" => Some(KinRelationship::Guardian),
            "FAMMEMB" => Some(KinRelationship::OtherRelative),
            "FRND" => Some(KinRelationship::Friend),
            _ => None,
        });
        if roles.contains(&"N") && kin.is_none() {
            kin = Some((name, relation, phone));
        } else if roles.contains(&"C") && emergency.is_none() {
            emergency = Some((name, phone));
        } else {
            skipped.push(
                "Patient: a contact that is neither next of kin (N) nor emergency contact (C)"
                    .to_owned(),
            );
        }
    }
    let notes = r["deceasedDateTime"]
        .as_str()
        .map(|d| format!("Deceased {}", d.get(..10).unwrap_or(d)));
    Ok(NewPatient {
        id: None,
        given_name: given,
        family_name: family,
        date_of_birth,
        sex,
        phone: telecom("phone"),
        email: telecom("email"),
        address: line,
        city: address.as_ref().and_then(|a| text(&a["city"])),
        state: address.as_ref().and_then(|a| text(&a["state"])),
        postal_code: address.as_ref().and_then(|a| text(&a["postalCode"])),
        country: address.as_ref().and_then(|a| text(&a["country"])),
        preferred_language: language,
        interpreter_required: interpreter,
        emergency_contact_name: emergency.as_ref().and_then(|e| e.0.clone()),
        emergency_contact_phone: emergency.and_then(|e| e.1),
        next_of_kin_name: kin.as_ref().and_then(|k| k.0.clone()),
        next_of_kin_relationship: kin.as_ref().and_then(|k| k.1),
        next_of_kin_phone: kin.and_then(|k| k.2),
        identifiers: Some(identifiers),
        allergies: None,
        no_known_allergies: None,
        notes,
        first_seen_at: None,
    }
    .normalized())
}

/// A FHIR dateTime as an instant: with its offset as written; a date alone (`1999-07-02`, as
/// FHIR's own examples have it) as the start of that day in the clinic's zone; a year or month
/// alone is no instant.
fn when(v: &Value, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    let s = v.as_str()?;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    crate::fhir_api::start_of_day(d, tz)
}

/// A quantity in the unit a field keeps: °F → °C, lb → kg, in → cm; `None` when the unit is
/// not one the measure is written in.
fn in_field_unit(field: &str, q: &Value) -> Option<f64> {
    let value = q["value"].as_f64()?;
    let unit = q["code"].as_str().or(q["unit"].as_str()).unwrap_or("");
    Some(match (field, unit) {
        ("temperature_c", "[degF]" | "degF" | "°F") => {
            ((value - 32.0) * 5.0 / 9.0 * 10.0).round() / 10.0
        }
        ("temperature_c", "Cel" | "C" | "°C") => value,
        ("weight_kg", "[lb_av]" | "lb" | "lbs") => (value * 0.453_592_37 * 10.0).round() / 10.0,
        ("weight_kg", "kg") => value,
        ("weight_kg", "g") => value / 1000.0,
        ("height_cm", "[in_i]" | "in") => (value * 2.54 * 10.0).round() / 10.0,
        ("height_cm", "cm") => value,
        ("height_cm", "m") => value * 100.0,
        ("temperature_c" | "weight_kg" | "height_cm", _) => return None,
        _ => value,
    })
}

/// Puts `value` into `field` unless the set holds one already (then false: the first stays).
fn fill(m: &mut Measurements, field: &str, value: f64) -> bool {
    fn put<T>(slot: &mut Option<T>, v: T) -> bool {
        if slot.is_some() {
            return false;
        }
        *slot = Some(v);
        true
    }
    let int = value.round() as i32;
    match field {
        "systolic_mmhg" => put(&mut m.systolic_mmhg, int),
        "diastolic_mmhg" => put(&mut m.diastolic_mmhg, int),
        "heart_rate_bpm" => put(&mut m.heart_rate_bpm, int),
        "respiratory_rate_bpm" => put(&mut m.respiratory_rate_bpm, int),
        "temperature_c" => put(&mut m.temperature_c, value),
        "spo2_pct" => put(&mut m.spo2_pct, int),
        "weight_kg" => put(&mut m.weight_kg, value),
        "height_cm" => put(&mut m.height_cm, value),
        "pain_score" => put(&mut m.pain_score, int),
        _ => false,
    }
}

/// Imports the FHIR JSON at `path` into the clinic `tenant_id`, attributed to `importer`.
pub async fn import_fhir(
    pool: &PgPool,
    tenant_id: Uuid,
    importer: Uuid,
    path: &Path,
) -> anyhow::Result<FhirImportReport> {
    import_fhir_with(pool, tenant_id, importer, path, &crate::progress::Quiet).await
}

/// [`import_fhir`], telling `progress` how far it is.
pub async fn import_fhir_with(
    pool: &PgPool,
    tenant_id: Uuid,
    importer: Uuid,
    path: &Path,
    progress: &dyn crate::progress::Progress,
) -> anyhow::Result<FhirImportReport> {
    let mut report = FhirImportReport::default();
    let mut tx = db::tenant_tx(pool, tenant_id).await?;
    let today = clinical::clinic_today(&mut tx)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let tz = clinical::clinic_tz(&mut tx)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let paths = files(path)?;
    progress.stage("files", paths.len() as u64);
    // every resource of every file, with the names it goes by in its file
    let mut all: Vec<(usize, Found)> = Vec::new();
    for (n, p) in paths.iter().enumerate() {
        progress.advance(1);
        report.files_read += 1;
        let doc: Value = match std::fs::read(p)
            .map_err(anyhow::Error::from)
            .and_then(|b| Ok(serde_json::from_slice(&b)?))
        {
            Ok(d) => d,
            Err(e) => {
                report.skip(format!("file: not FHIR JSON ({e})"));
                continue;
            }
        };
        for f in resources_of(doc) {
            report.resources_read += 1;
            all.push((n, f));
        }
    }

    // patients first: the others refer to them
    // by `Patient/{id}` (across files: FHIR's own examples are one resource a file) and by a
    // Bundle entry's `fullUrl` (`urn:uuid:…`, unique by construction)
    let mut patient_of: HashMap<String, Uuid> = HashMap::new();
    let mut born: HashMap<Uuid, (NaiveDate, AdministrativeSex)> = HashMap::new();
    let patients_found: Vec<&(usize, Found)> = all
        .iter()
        .filter(|(_, f)| f.resource["resourceType"] == "Patient")
        .collect();
    progress.stage("patients", patients_found.len() as u64);
    for (_, f) in patients_found {
        progress.advance(1);
        let r = &f.resource;
        let mut skipped = Vec::new();
        let new = match new_patient(r, &mut skipped) {
            Ok(p) => p,
            Err(why) => {
                report.skip(format!("Patient: {why}"));
                continue;
            }
        };
        // a value the clinic's rules refuse (an odd language tag, an over-long number) is left
        // out and reported, not the whole patient with every set and visit of theirs
        let mut new = new;
        if let Err(e) = new.validate(today) {
            for (field, msgs) in &e.0 {
                if drop_optional(&mut new, field) {
                    skipped.push(format!("Patient: {field} left out ({})", msgs.join("; ")));
                }
            }
        }
        if let Err(e) = new.validate(today) {
            report.skip(format!("Patient: refused by validation ({e})"));
            continue;
        }
        let Some(source) = source_key("patient", r, f.full_url.as_deref()) else {
            report.skip("Patient: no id and no fullUrl to know it again by");
            continue;
        };
        let id = match imported_id(&mut tx, Imported::Patient, &source).await? {
            Some(id) => {
                // the same key for another person (two systems' "Patient/1"): not merged into them
                let (family, born_on): (String, NaiveDate) =
                    sqlx::query_as("SELECT family_name, date_of_birth FROM patients WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                if !family.eq_ignore_ascii_case(&new.family_name) || born_on != new.date_of_birth {
                    report.skip(format!(
                        "Patient: {source} was imported before as another person (give meta.source to tell the systems apart)"
                    ));
                    continue;
                }
                report.patients_already_present += 1;
                id
            }
            None => {
                // a new id: the resource's own may be held by another clinic (the same people
                // imported there), and ids are unique across clinics; source_id links them
                let id = Uuid::now_v7();
                let mrn = next_mrn(&mut tx, tenant_id).await?;
                patients::insert_patient(
                    &mut tx,
                    tenant_id,
                    Some(importer),
                    id,
                    &mrn,
                    &new,
                    today,
                    Some(&source),
                )
                .await?;
                report.patients_imported += 1;
                for s in skipped {
                    report.skip(s);
                }
                id
            }
        };
        born.insert(id, (new.date_of_birth, new.sex));
        if let Some(rid) = r["id"].as_str() {
            patient_of.insert(format!("Patient/{rid}"), id);
        }
        if let Some(u) = &f.full_url {
            patient_of.insert(u.clone(), id);
        }
    }
    let subject = |r: &Value| -> Option<Uuid> {
        let reference = r["subject"]["reference"]
            .as_str()
            .or(r["patient"]["reference"].as_str())?;
        patient_of.get(reference).copied()
    };

    // vital signs: grouped by patient and instant into measurement sets
    let field_of: HashMap<&str, &str> = VITAL_SIGN_LOINC.iter().copied().collect();
    let mut sets: BTreeMap<(Uuid, DateTime<Utc>), Measurements> = BTreeMap::new();
    let observations: Vec<&(usize, Found)> = all
        .iter()
        .filter(|(_, f)| f.resource["resourceType"] == "Observation")
        .collect();
    progress.stage("observations", observations.len() as u64);
    for (_, f) in observations {
        progress.advance(1);
        let r = &f.resource;
        let loinc = codes_of(&r["code"], Some(LOINC));
        let vital = r["category"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| codes_of(c, None).contains(&"vital-signs"));
        let is_bp_panel = loinc.iter().any(|c| *c == "85354-9" || *c == "55284-4");
        let direct = loinc.iter().find_map(|c| field_of.get(c).copied());
        if !is_bp_panel && direct.is_none() {
            if loinc.contains(&BMI_LOINC) {
                report.skip(
                    "Observation: BMI (39156-5) is derived from weight and height, not stored",
                );
            } else if loinc.contains(&"9843-4") {
                report.skip("Observation: head circumference (9843-4) is not a measure kept here");
            } else if vital {
                report.skip(format!(
                    "Observation: vital sign without a field here ({})",
                    loinc.join(", ")
                ));
            } else {
                let category = r["category"]
                    .as_array()
                    .and_then(|c| c.first())
                    .and_then(|c| codes_of(c, None).first().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "uncategorised".to_owned());
                report.skip(format!("Observation: not a vital sign ({category})"));
            }
            continue;
        }
        if r["status"] == "entered-in-error" || r["status"] == "cancelled" {
            report.skip("Observation: entered in error or cancelled at the source");
            continue;
        }
        let Some(patient) = subject(r) else {
            report.skip("Observation: its patient is not in the import");
            continue;
        };
        let Some(at) =
            when(&r["effectiveDateTime"], tz).or_else(|| when(&r["effectivePeriod"]["start"], tz))
        else {
            report.skip("Observation: no effective date or date-time");
            continue;
        };
        let set = sets.entry((patient, at)).or_default();
        let mut values: Vec<(&str, Option<f64>)> = Vec::new();
        if is_bp_panel {
            for comp in r["component"].as_array().into_iter().flatten() {
                for c in codes_of(&comp["code"], Some(LOINC)) {
                    if let Some(field) = field_of.get(c) {
                        values.push((field, in_field_unit(field, &comp["valueQuantity"])));
                    }
                }
            }
        } else if let Some(field) = direct {
            values.push((field, in_field_unit(field, &r["valueQuantity"])));
        }
        for (field, value) in values {
            match value {
                None => report.skip(format!(
                    "Observation: {field} without a number in a unit kept here"
                )),
                Some(v) if fill(set, field, v) => report.vital_sign_observations_mapped += 1,
                Some(_) => report.skip(format!(
                    "Observation: a second {field} reading at the same instant; the first is kept"
                )),
            }
        }
    }
    progress.stage("vital-sign sets", sets.len() as u64);
    for ((patient, measured_at), m) in sets {
        progress.advance(1);
        if m == Measurements::default() {
            continue;
        }
        let source = format!("fhir:vitals:{patient}:{}", measured_at.to_rfc3339());
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
        let (age, sex) =
            born.get(&patient)
                .map_or((None, AdministrativeSex::Unknown), |(dob, sex)| {
                    (
                        Some(AgeAt::on(*dob, measured_at.with_timezone(&tz).date_naive())),
                        *sex,
                    )
                });
        vitals::insert_vitals(
            &mut tx,
            tenant_id,
            importer,
            Uuid::now_v7(),
            patient,
            &new,
            age,
            sex,
            Some(&source),
        )
        .await?;
        report.vital_sign_sets_imported += 1;
    }

    // encounters: completed visits with their practitioner
    let encounters: Vec<&(usize, Found)> = all
        .iter()
        .filter(|(_, f)| f.resource["resourceType"] == "Encounter")
        .collect();
    progress.stage("encounters", encounters.len() as u64);
    let mut practitioners: HashMap<String, Uuid> = HashMap::new();
    for (_, f) in encounters {
        progress.advance(1);
        let r = &f.resource;
        let Some(patient) = subject(r) else {
            report.skip("Encounter: its patient is not in the import");
            continue;
        };
        let Some(start) = when(&r["period"]["start"], tz) else {
            report.skip("Encounter: no period start");
            continue;
        };
        let Some(source) = source_key("encounter", r, f.full_url.as_deref()) else {
            report.skip("Encounter: no id and no fullUrl to know it again by");
            continue;
        };
        // only visits that happened (or are planned) become bookings
        let status = match r["status"].as_str() {
            Some("finished") | None if start < Utc::now() => AppointmentStatus::Completed,
            Some("cancelled") => AppointmentStatus::Cancelled,
            Some("planned") if start >= Utc::now() => AppointmentStatus::Scheduled,
            Some(other) => {
                report.skip(format!(
                    "Encounter: status {other} (finished, cancelled and future planned visits are taken)"
                ));
                continue;
            }
            None => AppointmentStatus::Scheduled,
        };
        let who = r["participant"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|p| {
                let i = &p["individual"];
                text(&i["display"]).or_else(|| text(&i["reference"]))
            });
        let Some(who) = who else {
            report.skip("Encounter: no practitioner");
            continue;
        };
        let provider = match practitioners.get(&who) {
            Some(id) => *id,
            None => {
                let username = format!("fhir-{}", &sha256_hex(&who)[..10]);
                let name = if who.contains('/') || who.contains('?') {
                    format!("Practitioner {}", &username[5..])
                } else {
                    who.split_whitespace()
                        .map(crate::import::clean_name)
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let (id, created) =
                    crate::import::inactive_clinician(&mut tx, tenant_id, &username, &name).await?;
                if created {
                    report.practitioners_created += 1;
                }
                practitioners.insert(who.clone(), id);
                id
            }
        };
        if imported_id(&mut tx, Imported::Appointment, &source)
            .await?
            .is_some()
        {
            report.encounters_already_present += 1;
            continue;
        }
        let minutes = when(&r["period"]["end"], tz)
            .map(|e| (e - start).num_minutes())
            .unwrap_or(15)
            .clamp(5, 1440) as i32;
        let kind = match r["class"]["code"].as_str() {
            Some("AMB") => AppointmentKind::Consultation,
            Some("VR") => AppointmentKind::Telehealth,
            _ => AppointmentKind::Other,
        };
        let what = r["type"].as_array().and_then(|t| t.first()).and_then(|t| {
            text(&t["text"]).or_else(|| t["coding"][0]["display"].as_str().map(str::to_owned))
        });
        let why = r["reasonCode"]
            .as_array()
            .and_then(|t| t.first())
            .and_then(|t| {
                text(&t["text"]).or_else(|| t["coding"][0]["display"].as_str().map(str::to_owned))
            });
        let reason = match (what, why) {
            (Some(a), Some(b)) => Some(format!("{a} — {b}")),
            (a, b) => a.or(b),
        };
        let new = NewAppointment {
            id: None,
            patient_id: patient,
            provider_id: provider,
            starts_at: start,
            duration_minutes: minutes,
            kind,
            reason,
            notes: Some("Imported FHIR encounter".to_owned()),
            overbooked: None,
            outside_hours_reason: None,
            series_id: None,
            visit_type_id: None,
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
        report.encounters_imported += 1;
    }

    // the rest, by kind
    for (_, f) in &all {
        match f.resource["resourceType"].as_str() {
            Some("Patient" | "Observation" | "Encounter") => {}
            Some(kind) => report.skip(format!("{kind}: not a kind of record imported here")),
            None => report.skip("a resource without a resourceType"),
        }
    }
    let detail = format!(
        "FHIR {}: {} patients, {} vital-sign sets, {} visits imported",
        path.display(),
        report.patients_imported,
        report.vital_sign_sets_imported,
        report.encounters_imported
    );
    crate::audit::record_import(&mut tx, tenant_id, importer, "import.fhir", &detail).await?;
    progress.finish();
    tx.commit().await?;
    Ok(report)
}

/// The key an imported resource is known again by: its Bundle `fullUrl` when that is a
/// `urn:uuid:` (unique by construction), else its id, within `meta.source` when the exporter
/// names itself. `None` when it has neither id nor fullUrl.
fn source_key(kind: &str, r: &Value, full_url: Option<&str>) -> Option<String> {
    if let Some(u) = full_url.filter(|u| u.starts_with("urn:uuid:")) {
        return Some(format!("fhir:{kind}:{u}"));
    }
    let id = text(&r["id"])?;
    Some(match text(&r["meta"]["source"]) {
        Some(system) => format!("fhir:{kind}:{system}|{id}"),
        None => format!("fhir:{kind}:{id}"),
    })
}

/// Clears an optional field of a registration (true when `field` is one).
fn drop_optional(p: &mut NewPatient, field: &str) -> bool {
    match field {
        "phone" => p.phone = None,
        "email" => p.email = None,
        "address" => p.address = None,
        "city" => p.city = None,
        "state" => p.state = None,
        "postal_code" => p.postal_code = None,
        "country" => p.country = None,
        "preferred_language" => p.preferred_language = None,
        "emergency_contact_name" | "emergency_contact_phone" => {
            p.emergency_contact_name = None;
            p.emergency_contact_phone = None;
        }
        "next_of_kin_name" | "next_of_kin_phone" => {
            p.next_of_kin_name = None;
            p.next_of_kin_relationship = None;
            p.next_of_kin_phone = None;
        }
        "identifiers" => p.identifiers = None,
        "notes" => p.notes = None,
        _ => return false,
    }
    true
}

/// A short stable name for a practitioner reference (a username must not hold its text).
fn sha256_hex(s: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(s.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_fhir_patient_becomes_a_registration_saying_what_it_left_out() {
        let r = json!({
            "resourceType": "Patient", "id": "example",
            "identifier": [
                {"type": {"coding": [{"system": V2_0203, "code": "MR"}]}, "value": "12345"},
                {"type": {"coding": [{"system": V2_0203, "code": "SS"}]}, "system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-17-5017"},
                {"type": {"coding": [{"system": V2_0203, "code": "MB"}]}, "assigner": {"display": "Blue Cross"}, "value": "XJH 1"}
            ],
            "name": [{"use": "usual", "given": ["Jim"]}, {"use": "official", "family": "Chalmers", "given": ["Peter", "James"]}],
            "telecom": [{"system": "phone", "value": "(03) 5555 6473"}],
            "gender": "male", "birthDate": "1974-12-25",
            "address": [{"line": ["534 Erewhon St"], "city": "PleasantVille", "state": "Vic", "postalCode": "3999"}],
            "contact": [{"relationship": [{"coding": [{"code": "N"}]}, {"coding": [{"code": "SPS"}]}], "name": {"family": "du Marché", "given": ["Bénédicte"]}}],
            "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "nl"}]}, "preferred": true}],
            "extension": [{"url": INTERPRETER_REQUIRED, "valueBoolean": true}]
        });
        let mut skipped = Vec::new();
        let p = new_patient(&r, &mut skipped).expect("a patient");
        assert_eq!(
            (p.given_name.as_str(), p.family_name.as_str()),
            ("Peter James", "Chalmers")
        );
        assert_eq!(p.sex, AdministrativeSex::Male);
        assert_eq!(p.city.as_deref(), Some("PleasantVille"));
        assert_eq!(p.preferred_language.as_deref(), Some("nl"));
        assert_eq!(p.interpreter_required, Some(true));
        assert_eq!(p.next_of_kin_name.as_deref(), Some("Bénédicte du Marché"));
        assert_eq!(p.next_of_kin_relationship, Some(KinRelationship::Spouse));
        let ids = p.identifiers.expect("identifiers");
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[1].system.as_deref(), Some("Blue Cross"));
        assert_eq!(
            skipped,
            ["Patient: another system's medical record number (this clinic assigns its own MRN)"]
        );
        assert!(new_patient(
            &json!({"resourceType": "Patient", "name": [{"family": "X", "given": ["Y"]}]}),
            &mut skipped
        )
        .is_err());
    }

    #[test]
    fn a_second_reading_at_one_instant_leaves_the_first() {
        let mut m = Measurements::default();
        assert!(fill(&mut m, "heart_rate_bpm", 72.0));
        assert!(!fill(&mut m, "heart_rate_bpm", 90.0));
        assert_eq!(m.heart_rate_bpm, Some(72));
    }

    #[test]
    fn units_become_the_fields_units() {
        assert_eq!(
            in_field_unit("temperature_c", &json!({"value": 98.6, "code": "[degF]"})),
            Some(37.0)
        );
        assert_eq!(
            in_field_unit("weight_kg", &json!({"value": 185, "code": "[lb_av]"})),
            Some(83.9)
        );
        assert_eq!(
            in_field_unit("height_cm", &json!({"value": 66, "code": "[in_i]"})),
            Some(167.6)
        );
        assert_eq!(
            in_field_unit("height_cm", &json!({"value": 66, "code": "ft"})),
            None
        );
        assert_eq!(
            in_field_unit("heart_rate_bpm", &json!({"value": 44, "code": "/min"})),
            Some(44.0)
        );
    }
}
