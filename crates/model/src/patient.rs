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

/// What an identifier of a patient is (HL7 v2 table 0203, identifier type, as FHIR
/// `Identifier.type` codes it), besides the clinic's own MRN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    /// A national person identifier (v2-0203 `NI`), e.g. an NHS number.
    NationalId,
    /// A social security number (`SS`), e.g. a US SSN.
    SocialSecurity,
    /// An insurance member number (`MB`); the system names the insurer.
    InsuranceMember,
    /// A passport number (`PPN`).
    Passport,
    /// A driver's licence number (`DL`).
    DriversLicense,
}

impl IdentifierKind {
    /// Every kind, in the order the forms offer them.
    pub const ALL: [IdentifierKind; 5] = [
        Self::NationalId,
        Self::SocialSecurity,
        Self::InsuranceMember,
        Self::Passport,
        Self::DriversLicense,
    ];

    /// The HL7 v2-0203 code (FHIR `Identifier.type.coding.code`,
    /// system `http://terminology.hl7.org/CodeSystem/v2-0203`).
    pub fn v2_code(self) -> &'static str {
        match self {
            Self::NationalId => "NI",
            Self::SocialSecurity => "SS",
            Self::InsuranceMember => "MB",
            Self::Passport => "PPN",
            Self::DriversLicense => "DL",
        }
    }
}

/// An identifier a patient carries besides the MRN (FHIR `Patient.identifier`): its kind, who
/// issued it (`system`: a URI such as `http://hl7.org/fhir/sid/us-ssn`, or the insurer's or
/// country's name as the front desk types it), and the value as written on the card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct PatientIdentifier {
    /// What it is.
    pub kind: IdentifierKind,
    /// Who issued it (1–200 characters); optional for a national id, SSN, passport or licence
    /// of the clinic's own country, required for an insurance member number.
    #[serde(default)]
    pub system: Option<String>,
    /// The identifier as written (1–64 characters). Searches ignore case, spaces and punctuation.
    pub value: String,
}

impl PatientIdentifier {
    /// The value as searches compare it: ASCII letters (upper-cased) and digits only, so
    /// `123-45-6789` and `123 45 6789` are the same number.
    pub fn search_key(&self) -> String {
        identifier_key(&self.value)
    }
}

/// A typed identifier as searches compare it (see [`PatientIdentifier::search_key`]).
pub fn identifier_key(value: &str) -> String {
    value
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// How a next of kin is related to the patient (HL7 v3 `RoleCode`, personal relationship, as
/// FHIR `Patient.contact.relationship` carries it beside v2-0131 `N`, next of kin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum KinRelationship {
    /// Husband or wife (`SPS`).
    Spouse,
    /// Domestic partner (`DOMPART`).
    Partner,
    /// Mother or father (`PRN`).
    Parent,
    /// Son or daughter (`CHILD`).
    Child,
    /// Brother or sister (`SIB`).
    Sibling,
    /// Legal guardian (`GUARD`).
    Guardian,
    /// Other relative (`FAMMEMB`).
    OtherRelative,
    /// Friend (`FRND`).
    Friend,
}

impl KinRelationship {
    /// Every relationship, in the order the forms offer them.
    pub const ALL: [KinRelationship; 8] = [
        Self::Spouse,
        Self::Partner,
        Self::Parent,
        Self::Child,
        Self::Sibling,
        Self::Guardian,
        Self::OtherRelative,
        Self::Friend,
    ];

    /// The wire and database name (`"spouse"`, `"other_relative"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spouse => "spouse",
            Self::Partner => "partner",
            Self::Parent => "parent",
            Self::Child => "child",
            Self::Sibling => "sibling",
            Self::Guardian => "guardian",
            Self::OtherRelative => "other_relative",
            Self::Friend => "friend",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The HL7 v3 RoleCode (system `http://terminology.hl7.org/CodeSystem/v3-RoleCode`).
    pub fn v3_code(self) -> &'static str {
        match self {
            Self::Spouse => "SPS",
            Self::Partner => "DOMPART",
            Self::Parent => "PRN",
            Self::Child => "CHILD",
            Self::Sibling => "SIB",
            Self::Guardian => "GUARD",
            Self::OtherRelative => "FAMMEMB",
            Self::Friend => "FRND",
        }
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
    /// Street address: house, street, apartment (FHIR `Address.line`), one line per line.
    pub address: Option<String>,
    /// City or town (FHIR `Address.city`).
    #[serde(default)]
    pub city: Option<String>,
    /// State, province or region (FHIR `Address.state`), e.g. `MA`.
    #[serde(default)]
    pub state: Option<String>,
    /// Postal or ZIP code (FHIR `Address.postalCode`).
    #[serde(default)]
    pub postal_code: Option<String>,
    /// Country (FHIR `Address.country`): an ISO 3166 code such as `US` or the name.
    #[serde(default)]
    pub country: Option<String>,
    /// Preferred language as a BCP 47 tag, e.g. `es`, `pt-BR`, `zh-Hant` (FHIR
    /// `Patient.communication.language`, preferred).
    #[serde(default)]
    pub preferred_language: Option<String>,
    /// An interpreter is needed (FHIR extension `patient-interpreterRequired`).
    #[serde(default)]
    pub interpreter_required: bool,
    /// Emergency contact's name.
    pub emergency_contact_name: Option<String>,
    /// Emergency contact's phone.
    pub emergency_contact_phone: Option<String>,
    /// Next of kin's name (FHIR `Patient.contact`, relationship v2-0131 `N`).
    #[serde(default)]
    pub next_of_kin_name: Option<String>,
    /// How the next of kin is related to the patient.
    #[serde(default)]
    pub next_of_kin_relationship: Option<KinRelationship>,
    /// Next of kin's phone.
    #[serde(default)]
    pub next_of_kin_phone: Option<String>,
    /// Identifiers besides the MRN (national id, insurance member number, …); a search finds
    /// the patient by any of them.
    #[serde(default)]
    pub identifiers: Vec<PatientIdentifier>,
    /// Known allergies, one entry each (e.g. "penicillin").
    pub allergies: Vec<String>,
    /// Someone asked and the patient has no known allergy (SNOMED CT 716186003, "No known
    /// allergy"). An empty list without it means not recorded, which is not the same: the chart
    /// says which. Moot while allergies are listed.
    #[serde(default)]
    pub no_known_allergies: bool,
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

impl Patient {
    /// The fields [`validate_demographics`] checks, borrowed.
    pub fn demographics(&self) -> Demographics<'_> {
        Demographics {
            given_name: &self.given_name,
            family_name: &self.family_name,
            date_of_birth: self.date_of_birth,
            phone: self.phone.as_deref(),
            email: self.email.as_deref(),
            emergency_contact_phone: self.emergency_contact_phone.as_deref(),
            address: self.address.as_deref(),
            emergency_contact_name: self.emergency_contact_name.as_deref(),
            notes: self.notes.as_deref(),
            allergies: &self.allergies,
            city: self.city.as_deref(),
            state: self.state.as_deref(),
            postal_code: self.postal_code.as_deref(),
            country: self.country.as_deref(),
            preferred_language: self.preferred_language.as_deref(),
            next_of_kin_name: self.next_of_kin_name.as_deref(),
            next_of_kin_relationship: self.next_of_kin_relationship,
            next_of_kin_phone: self.next_of_kin_phone.as_deref(),
            identifiers: &self.identifiers,
        }
    }
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
    /// Street address (lines), up to 500 characters.
    #[serde(default)]
    #[ts(optional)]
    pub address: Option<String>,
    /// City or town, up to 100 characters.
    #[serde(default)]
    #[ts(optional)]
    pub city: Option<String>,
    /// State, province or region, up to 100 characters.
    #[serde(default)]
    #[ts(optional)]
    pub state: Option<String>,
    /// Postal or ZIP code, up to 20 characters.
    #[serde(default)]
    #[ts(optional)]
    pub postal_code: Option<String>,
    /// Country (ISO 3166 code or name), up to 100 characters.
    #[serde(default)]
    #[ts(optional)]
    pub country: Option<String>,
    /// Preferred language, a BCP 47 tag (`es`, `pt-BR`).
    #[serde(default)]
    #[ts(optional)]
    pub preferred_language: Option<String>,
    /// An interpreter is needed.
    #[serde(default)]
    #[ts(optional)]
    pub interpreter_required: Option<bool>,
    /// Emergency contact's name.
    #[serde(default)]
    #[ts(optional)]
    pub emergency_contact_name: Option<String>,
    /// Emergency contact's phone.
    #[serde(default)]
    #[ts(optional)]
    pub emergency_contact_phone: Option<String>,
    /// Next of kin's name, up to 200 characters.
    #[serde(default)]
    #[ts(optional)]
    pub next_of_kin_name: Option<String>,
    /// How the next of kin is related (needs a name).
    #[serde(default)]
    #[ts(optional)]
    pub next_of_kin_relationship: Option<KinRelationship>,
    /// Next of kin's phone.
    #[serde(default)]
    #[ts(optional)]
    pub next_of_kin_phone: Option<String>,
    /// Identifiers besides the MRN, at most 20.
    #[serde(default)]
    #[ts(optional)]
    pub identifiers: Option<Vec<PatientIdentifier>>,
    /// Known allergies.
    #[serde(default)]
    #[ts(optional)]
    pub allergies: Option<Vec<String>>,
    /// Asked, and no known allergy (see [`Patient::no_known_allergies`]).
    #[serde(default)]
    #[ts(optional)]
    pub no_known_allergies: Option<bool>,
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
        self.city = clean_optional(&self.city);
        self.state = clean_optional(&self.state);
        self.postal_code = clean_optional(&self.postal_code);
        self.country = clean_optional(&self.country);
        self.preferred_language = clean_optional(&self.preferred_language);
        self.emergency_contact_name = clean_optional(&self.emergency_contact_name);
        self.emergency_contact_phone = clean_optional(&self.emergency_contact_phone);
        self.next_of_kin_name = clean_optional(&self.next_of_kin_name);
        self.next_of_kin_phone = clean_optional(&self.next_of_kin_phone);
        self.identifiers = self.identifiers.map(clean_identifiers);
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
                city: self.city.as_deref(),
                state: self.state.as_deref(),
                postal_code: self.postal_code.as_deref(),
                country: self.country.as_deref(),
                preferred_language: self.preferred_language.as_deref(),
                next_of_kin_name: self.next_of_kin_name.as_deref(),
                next_of_kin_relationship: self.next_of_kin_relationship,
                next_of_kin_phone: self.next_of_kin_phone.as_deref(),
                identifiers: self.identifiers.as_deref().unwrap_or_default(),
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
        /// Street address.
        Address = "address",
        /// City.
        City = "city",
        /// State or region.
        State = "state",
        /// Postal code.
        PostalCode = "postal_code",
        /// Country.
        Country = "country",
        /// Preferred language.
        PreferredLanguage = "preferred_language",
        /// Interpreter needed.
        InterpreterRequired = "interpreter_required",
        /// Emergency contact's name.
        EmergencyContactName = "emergency_contact_name",
        /// Emergency contact's phone.
        EmergencyContactPhone = "emergency_contact_phone",
        /// Next of kin's name.
        NextOfKinName = "next_of_kin_name",
        /// Next of kin's relationship.
        NextOfKinRelationship = "next_of_kin_relationship",
        /// Next of kin's phone.
        NextOfKinPhone = "next_of_kin_phone",
        /// Identifiers besides the MRN.
        Identifiers = "identifiers",
        /// Allergies.
        Allergies = "allergies",
        /// Asked, no known allergy.
        NoKnownAllergies = "no_known_allergies",
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
    /// City.
    pub city: Option<&'a str>,
    /// State or region.
    pub state: Option<&'a str>,
    /// Postal code.
    pub postal_code: Option<&'a str>,
    /// Country.
    pub country: Option<&'a str>,
    /// Preferred language (BCP 47).
    pub preferred_language: Option<&'a str>,
    /// Next of kin's name.
    pub next_of_kin_name: Option<&'a str>,
    /// Next of kin's relationship.
    pub next_of_kin_relationship: Option<KinRelationship>,
    /// Next of kin's phone.
    pub next_of_kin_phone: Option<&'a str>,
    /// Identifiers besides the MRN.
    pub identifiers: &'a [PatientIdentifier],
}

/// Trims an identifier list and drops entries with no value.
pub fn clean_identifiers(ids: Vec<PatientIdentifier>) -> Vec<PatientIdentifier> {
    ids.into_iter()
        .map(|i| PatientIdentifier {
            kind: i.kind,
            system: clean_optional(&i.system),
            value: i.value.trim().to_owned(),
        })
        .filter(|i| !i.value.is_empty())
        .collect()
}

/// Every identifier of `kept`, then those of `other` it does not hold already (same kind,
/// issuer and search key), for the record that stays after a merge.
pub fn union_identifiers(
    kept: &[PatientIdentifier],
    other: &[PatientIdentifier],
) -> Vec<PatientIdentifier> {
    let mut out: Vec<PatientIdentifier> = Vec::new();
    for i in kept.iter().chain(other) {
        let key = i.search_key();
        if !out
            .iter()
            .any(|o| o.kind == i.kind && o.system == i.system && o.search_key() == key)
        {
            out.push(i.clone());
        }
    }
    out
}

/// True for a BCP 47 language tag as people use them: a 2–3 letter language, then optional
/// subtags of 2–8 letters or digits (`es`, `pt-BR`, `zh-Hant`, `sgn-US`). RFC 5646, simplified:
/// extensions and private use are not taken at a front desk.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic()));
    lang_ok
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
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
        ("next_of_kin_phone", d.next_of_kin_phone),
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
        ("city", d.city, 100),
        ("state", d.state, 100),
        ("postal_code", d.postal_code, 20),
        ("country", d.country, 100),
        ("emergency_contact_name", d.emergency_contact_name, 200),
        ("next_of_kin_name", d.next_of_kin_name, 200),
        ("notes", d.notes, 4000),
    ] {
        if value.is_some_and(|v| v.chars().count() > max) {
            e.add(field, format!("must be at most {max} characters"));
        }
    }
    if d.preferred_language.is_some_and(|l| !is_language_tag(l)) {
        e.add(
            "preferred_language",
            "must be a language code such as es, pt-BR or zh-Hant (BCP 47)",
        );
    }
    if (d.next_of_kin_relationship.is_some() || d.next_of_kin_phone.is_some())
        && d.next_of_kin_name.is_none()
    {
        e.add(
            "next_of_kin_name",
            "is required with a relationship or phone",
        );
    }
    // room for both records' numbers after a merge, which keeps every one of them
    if d.identifiers.len() > 20 {
        e.add("identifiers", "at most 20 identifiers");
    }
    for (i, id) in d.identifiers.iter().enumerate() {
        let n = i + 1;
        if id.value.chars().count() > 64 || id.search_key().is_empty() {
            e.add(
                "identifiers",
                format!("number {n}: the value must have letters or digits, at most 64 characters"),
            );
        }
        if id
            .system
            .as_deref()
            .is_some_and(|s| s.chars().count() > 200)
        {
            e.add(
                "identifiers",
                format!("number {n}: the issuer must be at most 200 characters"),
            );
        }
        if id.kind == IdentifierKind::InsuranceMember && id.system.is_none() {
            e.add(
                "identifiers",
                format!("number {n}: an insurance member number needs the insurer"),
            );
        }
        let key = id.search_key();
        if d.identifiers[..i]
            .iter()
            .any(|o| o.kind == id.kind && o.search_key() == key && o.system == id.system)
        {
            e.add("identifiers", format!("number {n} repeats an earlier one"));
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
            city: None,
            state: None,
            postal_code: None,
            country: None,
            preferred_language: None,
            interpreter_required: None,
            emergency_contact_name: None,
            emergency_contact_phone: None,
            next_of_kin_name: None,
            next_of_kin_relationship: None,
            next_of_kin_phone: None,
            identifiers: None,
            allergies: Some(vec![" penicillin ".into(), "".into()]),
            no_known_allergies: None,
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
    fn front_desk_demographics_are_checked_field_by_field() {
        let mut p = new_patient();
        p.preferred_language = Some(" pt-BR ".into());
        p.city = Some("Springfield".into());
        p.next_of_kin_name = Some("Rosa Lovelace".into());
        p.next_of_kin_relationship = Some(KinRelationship::Parent);
        p.identifiers = Some(vec![
            PatientIdentifier {
                kind: IdentifierKind::SocialSecurity,
                system: Some(" http://hl7.org/fhir/sid/us-ssn ".into()),
                value: " 123-45-6789 ".into(),
            },
            PatientIdentifier {
                kind: IdentifierKind::Passport,
                system: None,
                value: "  ".into(),
            },
        ]);
        let p = p.normalized();
        assert_eq!(p.preferred_language.as_deref(), Some("pt-BR"));
        let ids = p.identifiers.clone().unwrap_or_default();
        assert_eq!(ids.len(), 1, "the blank one is dropped");
        assert_eq!(ids[0].value, "123-45-6789");
        assert_eq!(ids[0].search_key(), "123456789");
        assert_eq!(
            ids[0].system.as_deref(),
            Some("http://hl7.org/fhir/sid/us-ssn")
        );
        assert!(p.validate(d(2026, 1, 1)).is_ok());

        let mut bad = new_patient();
        bad.preferred_language = Some("Spanish please".into());
        bad.next_of_kin_phone = Some("+1 617 555 0100".into());
        bad.identifiers = Some(vec![
            PatientIdentifier {
                kind: IdentifierKind::InsuranceMember,
                system: None,
                value: "XJH-12345".into(),
            },
            PatientIdentifier {
                kind: IdentifierKind::Passport,
                system: None,
                value: "--".into(),
            },
        ]);
        let e = bad
            .normalized()
            .validate(d(2026, 1, 1))
            .expect_err("invalid");
        assert!(e.0.contains_key("preferred_language"));
        assert!(
            e.0.contains_key("next_of_kin_name"),
            "a phone without a name"
        );
        let id_errors =
            e.0.get("identifiers")
                .expect("identifier errors")
                .join(" | ");
        assert!(
            id_errors.contains("number 1: an insurance member number needs the insurer"),
            "{id_errors}"
        );
        assert!(
            id_errors.contains("number 2: the value must have letters or digits"),
            "{id_errors}"
        );
    }

    #[test]
    fn language_tags_as_people_use_them() {
        for ok in ["es", "pt-BR", "zh-Hant", "sgn-US", "yue"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "e", "spanish", "pt_BR", "pt-", "es-ñ"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
        assert_eq!(identifier_key(" ab-12 3 "), "AB123");
        assert_eq!(IdentifierKind::InsuranceMember.v2_code(), "MB");
        assert_eq!(KinRelationship::Guardian.v3_code(), "GUARD");
        for k in KinRelationship::ALL {
            assert_eq!(KinRelationship::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap_or_default(), k.as_str());
        }
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
