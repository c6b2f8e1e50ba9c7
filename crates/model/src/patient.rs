//! Patients (FHIR `Patient`): demographics, validation, and the provisional MRN shown offline.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{clean_optional, FieldErrors};

/// Administrative sex (FHIR `AdministrativeGender` value set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum AdministrativeSex {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Other.
    Other,
    /// Unknown.
    Unknown,
}

impl AdministrativeSex {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Female => "female",
            Self::Male => "male",
            Self::Other => "other",
            Self::Unknown => "unknown",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Female, Self::Male, Self::Other, Self::Unknown]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A patient record as the server holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct Patient {
    /// Patient id (may have been made by the client that registered the patient).
    pub id: Uuid,
    /// Medical record number, assigned by the server, unique in the clinic. A patient
    /// registered offline shows a provisional number (see [`provisional_mrn`]) until then.
    pub mrn: String,
    /// Given (first) name.
    pub given_name: String,
    /// Family (last) name.
    pub family_name: String,
    /// Date of birth.
    #[ts(type = "string")]
    pub date_of_birth: NaiveDate,
    /// Administrative sex.
    pub sex: AdministrativeSex,
    /// Phone number as typed.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Postal address, one free-text block.
    pub address: Option<String>,
    /// Emergency contact's name.
    pub emergency_contact_name: Option<String>,
    /// Emergency contact's phone.
    pub emergency_contact_phone: Option<String>,
    /// Known allergies, one entry each (e.g. "penicillin").
    pub allergies: Vec<String>,
    /// Free-text notes.
    pub notes: Option<String>,
    /// Date of the first visit.
    #[ts(type = "string | null")]
    pub first_seen_at: Option<NaiveDate>,
    /// Feed revision under which this state appears.
    #[ts(type = "number")]
    pub revision: i64,
    /// When the record was created on the server.
    pub created_at: DateTime<Utc>,
    /// When the record last changed on the server.
    pub updated_at: DateTime<Utc>,
    /// Soft-delete marker; records are never hard-deleted.
    pub deleted: bool,
    /// When this record was merged into another (a duplicate of the same person): that
    /// record, the survivor (FHIR `Patient.link`, type `replaced-by`). The record stays as a
    /// tombstone: out of searches and lists, its sets and bookings moved to the survivor, and
    /// anything still sent for it recorded on the survivor.
    #[serde(default)]
    pub replaced_by: Option<Uuid>,
}

/// `POST /api/v1/patients/{id}/merge` body, and the outbox's `patient.merge`: merge the
/// patient `{id}` (a duplicate) into `into`, the record that stays. `fields` are the values the
/// person chose for the survivor (wire names of [`PatientField`], as a PATCH takes them; the
/// survivor's own values stand for the rest), from `base_revision` of the survivor. Every
/// vital-sign set and appointment of `{id}` moves to `into`; `{id}` becomes a tombstone
/// ([`Patient::replaced_by`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct PatientMerge {
    /// The record that stays.
    pub into: Uuid,
    /// The survivor's revision the person compared against.
    #[ts(type = "number")]
    pub base_revision: i64,
    /// Values chosen for the survivor, by field (may be empty).
    #[serde(default)]
    #[ts(type = "Record<string, unknown>")]
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// `POST /api/v1/patients` body. `id` may be made by the client (offline registration);
/// the same body again answers the same patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct NewPatient {
    /// Client-made id; the server makes one when absent.
    #[serde(default)]
    #[ts(optional)]
    pub id: Option<Uuid>,
    /// Given name (1–100 characters).
    pub given_name: String,
    /// Family name (1–100 characters).
    pub family_name: String,
    /// Date of birth: not in the future, not before 1900-01-01.
    #[ts(type = "string")]
    pub date_of_birth: NaiveDate,
    /// Administrative sex.
    pub sex: AdministrativeSex,
    /// Phone: 5–20 digits, with optional `+`, spaces, dashes, dots, parentheses.
    #[serde(default)]
    #[ts(optional)]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default)]
    #[ts(optional)]
    pub email: Option<String>,
    /// Postal address.
    #[serde(default)]
    #[ts(optional)]
    pub address: Option<String>,
    /// Emergency contact's name.
    #[serde(default)]
    #[ts(optional)]
    pub emergency_contact_name: Option<String>,
    /// Emergency contact's phone.
    #[serde(default)]
    #[ts(optional)]
    pub emergency_contact_phone: Option<String>,
    /// Known allergies.
    #[serde(default)]
    #[ts(optional)]
    pub allergies: Option<Vec<String>>,
    /// Free-text notes.
    #[serde(default)]
    #[ts(optional)]
    pub notes: Option<String>,
    /// Date of the first visit; the server uses today (clinic time) when absent.
    #[serde(default)]
    #[ts(optional, type = "string")]
    pub first_seen_at: Option<NaiveDate>,
}

impl NewPatient {
    /// Trims text fields and drops empty ones, so `" "` and absent mean the same.
    pub fn normalized(mut self) -> Self {
        self.given_name = self.given_name.trim().to_owned();
        self.family_name = self.family_name.trim().to_owned();
        self.phone = clean_optional(&self.phone);
        self.email = clean_optional(&self.email);
        self.address = clean_optional(&self.address);
        self.emergency_contact_name = clean_optional(&self.emergency_contact_name);
        self.emergency_contact_phone = clean_optional(&self.emergency_contact_phone);
        self.notes = clean_optional(&self.notes);
        self.allergies = self.allergies.map(|a| {
            a.into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        });
        self
    }

    /// Validates a (normalized) registration against `today` in the clinic's time zone.
    pub fn validate(&self, today: NaiveDate) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        validate_demographics(
            &Demographics {
                given_name: &self.given_name,
                family_name: &self.family_name,
                date_of_birth: self.date_of_birth,
                phone: self.phone.as_deref(),
                email: self.email.as_deref(),
                emergency_contact_phone: self.emergency_contact_phone.as_deref(),
                address: self.address.as_deref(),
                emergency_contact_name: self.emergency_contact_name.as_deref(),
                notes: self.notes.as_deref(),
                allergies: self.allergies.as_deref().unwrap_or_default(),
            },
            today,
            &mut e,
        );
        e.into_result()
    }
}

/// `PATCH /api/v1/patients/{id}` body: the base revision the editor saw, and only the fields
/// that changed. Merge rules: DESIGN.md, "Sync protocol" 5.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct PatientPatch {
    /// Revision of the record the edit started from.
    #[ts(type = "number")]
    pub base_revision: i64,
    /// Changed fields, by wire name, with their new values.
    #[serde(flatten)]
    #[ts(skip)]
    #[schema(value_type = Object)]
    pub changes: serde_json::Map<String, serde_json::Value>,
}

crate::fields::wire_fields! {
    /// A patient field an edit may change (`PATCH /api/v1/patients/{id}`, `patient.update`).
    PatientField {
        /// Given name(s).
        GivenName = "given_name",
        /// Family name.
        FamilyName = "family_name",
        /// Date of birth.
        DateOfBirth = "date_of_birth",
        /// Administrative sex.
        Sex = "sex",
        /// Phone number.
        Phone = "phone",
        /// Email address.
        Email = "email",
        /// Postal address.
        Address = "address",
        /// Emergency contact's name.
        EmergencyContactName = "emergency_contact_name",
        /// Emergency contact's phone.
        EmergencyContactPhone = "emergency_contact_phone",
        /// Allergies.
        Allergies = "allergies",
        /// Notes.
        Notes = "notes",
        /// First-seen date.
        FirstSeenAt = "first_seen_at",
    }
}

/// Patient fields a PATCH may change, by wire name.
pub const PATIENT_EDITABLE_FIELDS: &[&str] = PatientField::NAMES;
/// The demographic fields that have rules, borrowed from a create or an edited record.
pub struct Demographics<'a> {
    /// Given name.
    pub given_name: &'a str,
    /// Family name.
    pub family_name: &'a str,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
    /// Phone.
    pub phone: Option<&'a str>,
    /// E-mail.
    pub email: Option<&'a str>,
    /// Emergency contact phone.
    pub emergency_contact_phone: Option<&'a str>,
    /// Postal address.
    pub address: Option<&'a str>,
    /// Emergency contact name.
    pub emergency_contact_name: Option<&'a str>,
    /// Notes.
    pub notes: Option<&'a str>,
    /// Allergies.
    pub allergies: &'a [String],
}

/// Earliest accepted date of birth.
pub fn earliest_birth_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// Checks demographic rules, adding errors by field name.
pub fn validate_demographics(d: &Demographics<'_>, today: NaiveDate, e: &mut FieldErrors) {
    for (field, value) in [("given_name", d.given_name), ("family_name", d.family_name)] {
        let n = value.chars().count();
        if n == 0 {
            e.add(field, "is required");
        } else if n > 100 {
            e.add(field, "must be at most 100 characters");
        }
    }
    if d.date_of_birth > today {
        e.add("date_of_birth", "cannot be in the future");
    } else if d.date_of_birth < earliest_birth_date() {
        e.add("date_of_birth", "must be on or after 1900-01-01");
    }
    for (field, value) in [
        ("phone", d.phone),
        ("emergency_contact_phone", d.emergency_contact_phone),
    ] {
        if let Some(p) = value {
            if !is_plausible_phone(p) {
                e.add(
                    field,
                    "must have 5 to 20 digits (spaces, +, -, . and parentheses allowed)",
                );
            }
        }
    }
    for (field, value, max) in [
        ("address", d.address, 500),
        ("emergency_contact_name", d.emergency_contact_name, 200),
        ("notes", d.notes, 4000),
    ] {
        if value.is_some_and(|v| v.chars().count() > max) {
            e.add(field, format!("must be at most {max} characters"));
        }
    }
    if d.allergies.len() > 50 || d.allergies.iter().any(|a| a.chars().count() > 200) {
        e.add("allergies", "at most 50 entries of at most 200 characters");
    }
    if let Some(m) = d.email {
        let ok = m.len() <= 254
            && m.split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !b.starts_with('.'));
        if !ok {
            e.add("email", "is not an e-mail address");
        }
    }
}

/// True for 5–20 digits with only `+ - . ( )` and spaces around them.
pub fn is_plausible_phone(p: &str) -> bool {
    let digits = p.chars().filter(char::is_ascii_digit).count();
    (5..=20).contains(&digits)
        && p.chars().count() <= 40
        && p.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | '(' | ')' | ' '))
}

/// The number shown for a patient registered offline until the server assigns an MRN:
/// `"P-"` and the first 8 hex digits of the id. It cannot collide with server MRNs, which are
/// all digits.
pub fn provisional_mrn(id: Uuid) -> String {
    let s = id.simple().to_string();
    format!("P-{}", &s[..8])
}

/// Whole years of age on `on`.
pub fn age_on(date_of_birth: NaiveDate, on: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut years = on.year() - date_of_birth.year();
    if (on.month(), on.day()) < (date_of_birth.month(), date_of_birth.day()) {
        years -= 1;
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn new_patient() -> NewPatient {
        NewPatient {
            id: None,
            given_name: " Ada ".into(),
            family_name: "Lovelace".into(),
            date_of_birth: d(1990, 12, 10),
            sex: AdministrativeSex::Female,
            phone: Some("  ".into()),
            email: None,
            address: None,
            emergency_contact_name: None,
            emergency_contact_phone: None,
            allergies: Some(vec![" penicillin ".into(), "".into()]),
            notes: None,
            first_seen_at: None,
        }
    }

    #[test]
    fn normalizing_trims_and_drops_blank_fields() {
        let p = new_patient().normalized();
        assert_eq!(p.given_name, "Ada");
        assert_eq!(p.phone, None);
        assert_eq!(p.allergies, Some(vec!["penicillin".to_owned()]));
        assert!(p.validate(d(2026, 1, 1)).is_ok());
    }

    #[test]
    fn future_birth_date_and_bad_phone_are_field_errors() {
        let mut p = new_patient();
        p.date_of_birth = d(2030, 1, 1);
        p.phone = Some("12ab".into());
        p.given_name = String::new();
        let e = p.validate(d(2026, 1, 1)).expect_err("invalid");
        assert!(e.0.contains_key("date_of_birth"));
        assert!(e.0.contains_key("phone"));
        assert!(e.0.contains_key("given_name"));
    }

    #[test]
    fn age_counts_birthdays() {
        assert_eq!(age_on(d(2000, 6, 15), d(2026, 6, 14)), 25);
        assert_eq!(age_on(d(2000, 6, 15), d(2026, 6, 15)), 26);
    }

    #[test]
    fn provisional_mrn_is_not_numeric() {
        let m = provisional_mrn(Uuid::nil());
        assert_eq!(m, "P-00000000");
    }
}
