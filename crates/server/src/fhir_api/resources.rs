//! medoffice records as FHIR R4 JSON: a patient as a `Patient`, a vital-sign set as one
//! `Observation` per measure of the R4 vital-signs profile, an appointment as an
//! `Appointment`, a member of staff as a `Practitioner`. Pure functions; [`super`] serves them.
//!
//! Written as JSON rather than with a crate's typed R4 model: the maintained one (`fhir`, 4.x)
//! turns on serde_json's `arbitrary_precision` for the whole program, which breaks
//! `#[serde(flatten)]` with numbers (every vital-sign body of the REST API and the sync feed);
//! `fhirbolt` was last released in 2023 and `fhir-sdk` serves R4B and R5, not R4. What is
//! written here is checked against an independent validator in the tests
//! (tests/fhir/validate.py: the fhir.resources models and the vital-signs profile).

use chrono::{DateTime, SecondsFormat, Utc};
use medoffice_model::{
    AdministrativeSex, Appointment, AppointmentKind, AppointmentStatus, IdentifierKind,
    KinRelationship, ObservationStatus, Patient, VitalSigns,
};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// HL7 v2 table 0203, identifier type.
pub const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
/// HL7 v2 table 0131, contact role.
pub const V2_0131: &str = "http://terminology.hl7.org/CodeSystem/v2-0131";
/// HL7 v3 RoleCode.
pub const V3_ROLE_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";
/// LOINC.
pub const LOINC: &str = "http://loinc.org";
/// UCUM units.
pub const UCUM: &str = "http://unitsofmeasure.org";
/// FHIR observation categories.
pub const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
/// HL7 v3 observation interpretation (H, L).
pub const INTERPRETATION: &str =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
/// The extension saying an interpreter is needed.
pub const INTERPRETER_REQUIRED: &str =
    "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired";
/// The base profile of every vital sign (R4 vital-signs profile).
pub const VITAL_SIGNS_PROFILE: &str = "http://hl7.org/fhir/StructureDefinition/vitalsigns";

/// An instant as FHIR writes one: RFC 3339, seconds, `Z`.
pub(crate) fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn coding(system: &str, code: &str, display: &str) -> Value {
    json!({"system": system, "code": code, "display": display})
}

pub(crate) fn concept(codings: Vec<Value>, text: Option<&str>) -> Value {
    let mut c = json!({ "coding": codings });
    if let Some(t) = text {
        c["text"] = json!(t);
    }
    c
}

fn meta(last_updated: DateTime<Utc>, version: i64, profiles: &[&str]) -> Value {
    let mut m = json!({"versionId": version.to_string(), "lastUpdated": instant(last_updated)});
    if !profiles.is_empty() {
        m["profile"] = json!(profiles);
    }
    m
}

/// Sets `key` when `value` is something (FHIR has no nulls and no empty arrays).
fn put(o: &mut Map<String, Value>, key: &str, value: Value) {
    let empty = value.is_null() || value.as_array().is_some_and(Vec::is_empty);
    if !empty {
        o.insert(key.to_owned(), value);
    }
}

/// The system of a clinic's MRNs: one per clinic, as its numbers are.
pub fn mrn_system(clinic_code: &str) -> String {
    format!("urn:medoffice:{clinic_code}:mrn")
}

fn phone(p: &str) -> Value {
    json!({"system": "phone", "value": p})
}

fn kind_display(k: IdentifierKind) -> &'static str {
    match k {
        IdentifierKind::NationalId => "National unique individual identifier",
        IdentifierKind::SocialSecurity => "Social Security number",
        IdentifierKind::InsuranceMember => "Member Number",
        IdentifierKind::Passport => "Passport number",
        IdentifierKind::DriversLicense => "Driver's license number",
    }
}

fn kin_display(k: KinRelationship) -> &'static str {
    match k {
        KinRelationship::Spouse => "spouse",
        KinRelationship::Partner => "domestic partner",
        KinRelationship::Parent => "parent",
        KinRelationship::Child => "child",
        KinRelationship::Sibling => "sibling",
        KinRelationship::Guardian => "guardian",
        KinRelationship::OtherRelative => "family member",
        KinRelationship::Friend => "unrelated friend",
    }
}

/// A patient as FHIR `Patient`: the MRN (type `MR`) and every other identifier with its v2-0203
/// type, the official name, administrative gender, birth date, phone and e-mail, the structured
/// address, the next of kin (`N`) and emergency contact (`C`), the preferred language and
/// whether an interpreter is needed; a merged-away record is inactive with a `replaced-by` link.
pub fn patient(p: &Patient, clinic_code: &str) -> Value {
    let mut identifier = vec![json!({
        "use": "usual",
        "type": concept(vec![coding(V2_0203, "MR", "Medical record number")], None),
        "system": mrn_system(clinic_code),
        "value": p.mrn,
    })];
    for i in &p.identifiers {
        let mut id = Map::new();
        id.insert(
            "type".into(),
            concept(
                vec![coding(V2_0203, i.kind.v2_code(), kind_display(i.kind))],
                None,
            ),
        );
        // an issuer typed as a name (an insurer) is not a URI: it is the assigner
        match i.system.as_deref() {
            Some(sys) if sys.contains(':') => {
                id.insert("system".into(), json!(sys));
            }
            Some(name) => {
                id.insert("assigner".into(), json!({ "display": name }));
            }
            None => {}
        }
        id.insert("value".into(), json!(i.value));
        identifier.push(Value::Object(id));
    }
    let mut telecom = Vec::new();
    if let Some(x) = &p.phone {
        telecom.push(phone(x));
    }
    if let Some(x) = &p.email {
        telecom.push(json!({"system": "email", "value": x}));
    }
    let lines: Vec<&str> = p
        .address
        .as_deref()
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut address = Map::new();
    put(&mut address, "line", json!(lines));
    put(&mut address, "city", json!(p.city));
    put(&mut address, "state", json!(p.state));
    put(&mut address, "postalCode", json!(p.postal_code));
    put(&mut address, "country", json!(p.country));
    if !address.is_empty() {
        address.insert("use".into(), json!("home"));
    }
    let mut contact = Vec::new();
    if let Some(name) = &p.next_of_kin_name {
        let mut relationship = vec![concept(vec![coding(V2_0131, "N", "Next-of-Kin")], None)];
        if let Some(k) = p.next_of_kin_relationship {
            relationship.push(concept(
                vec![coding(V3_ROLE_CODE, k.v3_code(), kin_display(k))],
                None,
            ));
        }
        let mut c = Map::new();
        c.insert("relationship".into(), json!(relationship));
        c.insert("name".into(), json!({ "text": name }));
        put(
            &mut c,
            "telecom",
            json!(p
                .next_of_kin_phone
                .as_deref()
                .map(phone)
                .into_iter()
                .collect::<Vec<_>>()),
        );
        contact.push(Value::Object(c));
    }
    if let Some(name) = &p.emergency_contact_name {
        let mut c = Map::new();
        c.insert(
            "relationship".into(),
            json!([concept(
                vec![coding(V2_0131, "C", "Emergency Contact")],
                None
            )]),
        );
        c.insert("name".into(), json!({ "text": name }));
        put(
            &mut c,
            "telecom",
            json!(p
                .emergency_contact_phone
                .as_deref()
                .map(phone)
                .into_iter()
                .collect::<Vec<_>>()),
        );
        contact.push(Value::Object(c));
    }
    let mut o = Map::new();
    o.insert("resourceType".into(), json!("Patient"));
    o.insert("id".into(), json!(p.id));
    o.insert("meta".into(), meta(p.updated_at, p.revision, &[]));
    if p.interpreter_required {
        o.insert(
            "extension".into(),
            json!([{ "url": INTERPRETER_REQUIRED, "valueBoolean": true }]),
        );
    }
    o.insert("identifier".into(), json!(identifier));
    o.insert(
        "active".into(),
        json!(!p.deleted && p.replaced_by.is_none()),
    );
    o.insert(
        "name".into(),
        json!([{
            "use": "official",
            "family": p.family_name,
            "given": p.given_name.split_whitespace().collect::<Vec<_>>(),
        }]),
    );
    put(&mut o, "telecom", json!(telecom));
    o.insert(
        "gender".into(),
        json!(match p.sex {
            AdministrativeSex::Female => "female",
            AdministrativeSex::Male => "male",
            AdministrativeSex::Other => "other",
            AdministrativeSex::Unknown => "unknown",
        }),
    );
    o.insert("birthDate".into(), json!(p.date_of_birth.to_string()));
    if !address.is_empty() {
        o.insert("address".into(), json!([address]));
    }
    put(&mut o, "contact", json!(contact));
    if let Some(l) = &p.preferred_language {
        o.insert(
            "communication".into(),
            json!([{ "language": concept(vec![coding("urn:ietf:bcp:47", l, l)], None), "preferred": true }]),
        );
    }
    if let Some(to) = p.replaced_by {
        o.insert(
            "link".into(),
            json!([{ "other": { "reference": format!("Patient/{to}") }, "type": "replaced-by" }]),
        );
    }
    Value::Object(o)
}

/// One measure of a vital-sign set as an `Observation`: its LOINC code, UCUM unit and profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VitalCode {
    /// The suffix of the Observation's id after the set's (`{set}-hr`).
    pub suffix: &'static str,
    /// LOINC code.
    pub loinc: &'static str,
    /// LOINC display.
    pub display: &'static str,
    /// The R4 vital-signs profile of this measure.
    pub profile: &'static str,
}

/// The measures of the R4 vital-signs profile a set may hold (LOINC; FHIR R4 §6.1.2, "Vital
/// Signs"). Pain and consciousness are not vital signs in that profile and are not offered.
pub const VITAL_CODES: [VitalCode; 8] = [
    VitalCode {
        suffix: "bp",
        loinc: "85354-9",
        display: "Blood pressure panel with all children optional",
        profile: "http://hl7.org/fhir/StructureDefinition/bp",
    },
    VitalCode {
        suffix: "hr",
        loinc: "8867-4",
        display: "Heart rate",
        profile: "http://hl7.org/fhir/StructureDefinition/heartrate",
    },
    VitalCode {
        suffix: "rr",
        loinc: "9279-1",
        display: "Respiratory rate",
        profile: "http://hl7.org/fhir/StructureDefinition/resprate",
    },
    VitalCode {
        suffix: "temp",
        loinc: "8310-5",
        display: "Body temperature",
        profile: "http://hl7.org/fhir/StructureDefinition/bodytemp",
    },
    VitalCode {
        suffix: "spo2",
        loinc: "59408-5",
        display: "Oxygen saturation in Arterial blood by Pulse oximetry",
        profile: "http://hl7.org/fhir/StructureDefinition/oxygensat",
    },
    VitalCode {
        suffix: "weight",
        loinc: "29463-7",
        display: "Body weight",
        profile: "http://hl7.org/fhir/StructureDefinition/bodyweight",
    },
    VitalCode {
        suffix: "height",
        loinc: "8302-2",
        display: "Body height",
        profile: "http://hl7.org/fhir/StructureDefinition/bodyheight",
    },
    VitalCode {
        suffix: "bmi",
        loinc: "39156-5",
        display: "Body mass index (BMI) [Ratio]",
        profile: "http://hl7.org/fhir/StructureDefinition/bmi",
    },
];

/// The measure an Observation id names (`{set}-{suffix}`), and the set.
pub fn parse_observation_id(id: &str) -> Option<(Uuid, VitalCode)> {
    let (set, suffix) = id.rsplit_once('-')?;
    let set = Uuid::parse_str(set).ok()?;
    VITAL_CODES
        .iter()
        .find(|c| c.suffix == suffix)
        .map(|c| (set, *c))
}

fn quantity(value: f64, unit: &str, ucum: &str) -> Value {
    // whole numbers as integers, the rest to one decimal (°C, kg, cm as recorded; BMI)
    let value = if value.fract() == 0.0 {
        json!(value as i64)
    } else {
        json!((value * 10.0).round() / 10.0)
    };
    json!({"value": value, "unit": unit, "system": UCUM, "code": ucum})
}

fn interpretation(v: &VitalSigns, field: &str) -> Vec<Value> {
    if v.status == ObservationStatus::EnteredInError {
        return Vec::new();
    }
    let (c, display) = if v.flags.iter().any(|f| f == &format!("{field}:high")) {
        ("H", "High")
    } else if v.flags.iter().any(|f| f == &format!("{field}:low")) {
        ("L", "Low")
    } else {
        return Vec::new();
    };
    vec![concept(vec![coding(INTERPRETATION, c, display)], None)]
}

/// The Observations of a set, one per measure it holds (blood pressure as one panel with
/// systolic 8480-6 and diastolic 8462-4 components), in [`VITAL_CODES`] order. Status follows
/// the set (`final`, `amended`, `entered-in-error`); flags become interpretations H/L.
pub fn observations(v: &VitalSigns) -> Vec<Value> {
    let m = &v.measurements;
    let mut out = Vec::new();
    for c in VITAL_CODES {
        let single = |value: Option<f64>, unit: &str, ucum: &str, field: &str| {
            value.map(|x| {
                (
                    Some(quantity(x, unit, ucum)),
                    interpretation(v, field),
                    Vec::new(),
                )
            })
        };
        let parts = match c.suffix {
            "bp" => (m.systolic_mmhg.is_some() || m.diastolic_mmhg.is_some()).then(|| {
                let component = |loinc: &str, display: &str, value: Option<i32>, field: &str| {
                    value.map(|x| {
                        let mut comp = json!({
                            "code": concept(vec![coding(LOINC, loinc, display)], None),
                            "valueQuantity": quantity(f64::from(x), "mmHg", "mm[Hg]"),
                        });
                        let i = interpretation(v, field);
                        if !i.is_empty() {
                            comp["interpretation"] = json!(i);
                        }
                        comp
                    })
                };
                let components: Vec<Value> = [
                    component(
                        "8480-6",
                        "Systolic blood pressure",
                        m.systolic_mmhg,
                        "systolic_mmhg",
                    ),
                    component(
                        "8462-4",
                        "Diastolic blood pressure",
                        m.diastolic_mmhg,
                        "diastolic_mmhg",
                    ),
                ]
                .into_iter()
                .flatten()
                .collect();
                (None, Vec::new(), components)
            }),
            "hr" => single(
                m.heart_rate_bpm.map(f64::from),
                "beats/minute",
                "/min",
                "heart_rate_bpm",
            ),
            "rr" => single(
                m.respiratory_rate_bpm.map(f64::from),
                "breaths/minute",
                "/min",
                "respiratory_rate_bpm",
            ),
            "temp" => single(m.temperature_c, "C", "Cel", "temperature_c"),
            "spo2" => single(m.spo2_pct.map(f64::from), "%", "%", "spo2_pct"),
            "weight" => single(m.weight_kg, "kg", "kg", "weight_kg"),
            "height" => single(m.height_cm, "cm", "cm", "height_cm"),
            "bmi" => single(m.bmi(), "kg/m2", "kg/m2", "bmi"),
            _ => None,
        };
        let Some((value, interpretation, component)) = parts else {
            continue;
        };
        let mut o = Map::new();
        o.insert("resourceType".into(), json!("Observation"));
        o.insert("id".into(), json!(format!("{}-{}", v.id, c.suffix)));
        o.insert(
            "meta".into(),
            meta(
                v.correction.as_ref().map_or(v.created_at, |n| n.at),
                v.revision,
                &[VITAL_SIGNS_PROFILE, c.profile],
            ),
        );
        o.insert("status".into(), json!(v.status.as_str()));
        o.insert(
            "category".into(),
            json!([concept(
                vec![coding(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")],
                None
            )]),
        );
        o.insert(
            "code".into(),
            concept(vec![coding(LOINC, c.loinc, c.display)], Some(c.display)),
        );
        o.insert(
            "subject".into(),
            json!({ "reference": format!("Patient/{}", v.patient_id) }),
        );
        o.insert("effectiveDateTime".into(), json!(instant(v.measured_at)));
        o.insert("issued".into(), json!(instant(v.created_at)));
        o.insert(
            "performer".into(),
            json!([{ "reference": format!("Practitioner/{}", v.recorded_by) }]),
        );
        if let Some(q) = value {
            o.insert("valueQuantity".into(), q);
        }
        put(&mut o, "interpretation", json!(interpretation));
        put(&mut o, "component", json!(component));
        out.push(Value::Object(o));
    }
    out
}

/// An appointment as FHIR `Appointment`: status mapped to the R4 value set (checked in at the
/// desk is `arrived`, with the clinician `checked-in`), start and end,
/// length, the visit kind as the appointment type, the reason as its description, the patient
/// and the practitioner as participants.
pub fn appointment(a: &Appointment) -> Value {
    let status = match a.status {
        AppointmentStatus::Scheduled => "booked",
        // arrived: here and waiting to be seen; checked-in: the encounter may begin (R4)
        AppointmentStatus::CheckedIn => "arrived",
        AppointmentStatus::InProgress => "checked-in",
        AppointmentStatus::Completed => "fulfilled",
        AppointmentStatus::Cancelled => "cancelled",
        AppointmentStatus::NoShow => "noshow",
    };
    let participant = |to: String| json!({"actor": { "reference": to }, "required": "required", "status": "accepted"});
    let end = a.starts_at + chrono::Duration::minutes(i64::from(a.duration_minutes));
    let mut o = json!({
        "resourceType": "Appointment",
        "id": a.id,
        "meta": { "versionId": a.revision.to_string() },
        "status": status,
        "appointmentType": concept(
            vec![coding("urn:medoffice:appointment-kind", kind_code(a.kind), kind_code(a.kind))],
            Some(kind_code(a.kind)),
        ),
        "start": instant(a.starts_at),
        "end": instant(end),
        "minutesDuration": a.duration_minutes.max(1),
        "participant": [
            participant(format!("Patient/{}", a.patient_id)),
            participant(format!("Practitioner/{}", a.provider_id)),
        ],
    });
    if let Some(r) = &a.reason {
        o["description"] = json!(r);
    }
    o
}

fn kind_code(k: AppointmentKind) -> &'static str {
    match k {
        AppointmentKind::NewPatient => "new_patient",
        AppointmentKind::FollowUp => "follow_up",
        AppointmentKind::Consultation => "consultation",
        AppointmentKind::VitalsCheck => "vitals_check",
        AppointmentKind::Procedure => "procedure",
        AppointmentKind::Telehealth => "telehealth",
        AppointmentKind::Other => "other",
    }
}

/// A member of staff who sees patients, as FHIR `Practitioner`: the name as colleagues see it,
/// active while the account is.
pub fn practitioner(id: Uuid, full_name: &str, active: bool) -> Value {
    json!({
        "resourceType": "Practitioner",
        "id": id,
        "active": active,
        "name": [{ "text": full_name }],
    })
}
