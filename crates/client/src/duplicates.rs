//! Possible duplicates before a registration is saved: patients on this workstation (the cache
//! plus local registrations not yet sent) born on the same day whose name is the same or close
//! to the one being typed, so the receptionist can open the existing record instead of making a
//! second one. The same check after sync (two sites registering the same person offline) is
//! `Cache::possible_duplicates`, which only pairs identical folded names.
//!
//! Matching rules ([`name_match`]), on names folded accent- and case-blind ([`fold`]) with
//! spaces, hyphens, apostrophes and dots dropped:
//! - the same given and family names;
//! - given and family names swapped;
//! - each name the same, one a prefix of the other (at least two letters: "Jo" / "John"), or
//!   a small Damerau-Levenshtein distance (transposition counts as one edit): at most 1 for
//!   names up to [`SHORT_NAME_MAX`] letters, at most 2 for longer ones (`strsim`);
//! - an empty given name (the family name typed first) matches any given name.
//!
//! The date of birth must be equal: it narrows the search to a few rows of the
//! `patients_dob` index before any name is compared, so the check stays fast at 100,000
//! patients.

use chrono::NaiveDate;
use medoffice_model::search::{fold, SearchTerm};
use medoffice_model::Patient;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::cache::Cache;
use crate::view::{CommandError, Local};
use crate::{local, Workstation};

/// Names of at most this many letters (folded) allow one edit; longer names two.
pub const SHORT_NAME_MAX: usize = 5;

/// Most patients born on one day that are compared (a clinic of 100,000 has a few per day).
const SAME_DAY_MAX: usize = 500;

/// Why a record is shown as a possible duplicate, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// Same given and family name (accents and case ignored).
    SameName,
    /// Given and family names swapped.
    Swapped,
    /// Names close: a prefix or one or two letters apart.
    SimilarName,
}

/// A patient who may be the person being registered, with what tells them apart (name, sex,
/// date of birth, MRN, phone, address are all in `patient.record`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PossibleDuplicate {
    /// The existing record as this workstation sees it.
    pub patient: Local<Patient>,
    /// Why it matched.
    pub reason: DuplicateReason,
}

/// A name folded for comparison: accents and case dropped, letters and digits only
/// (`"O'Brien-Smith"` → `"obriensmith"`).
pub fn name_key(s: &str) -> String {
    fold(s)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// True when two folded names (see [`name_key`]) are the same or close: one a prefix of the
/// other (the shorter has at least two letters), or within the Damerau-Levenshtein distance
/// allowed for their length (1 up to [`SHORT_NAME_MAX`] letters, else 2).
pub fn names_close(a: &str, b: &str) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len() >= 2 && long.starts_with(short) {
        return true;
    }
    let allowed = if long.len() <= SHORT_NAME_MAX { 1 } else { 2 };
    strsim::damerau_levenshtein(a, b) <= allowed
}

/// Whether a typed name (`given` may be empty) and an existing patient's name match, and why
/// (see the module's rules). Inputs are as typed; they are folded here.
pub fn name_match(
    given: &str,
    family: &str,
    other_given: &str,
    other_family: &str,
) -> Option<DuplicateReason> {
    let (g, f) = (name_key(given), name_key(family));
    let (og, of) = (name_key(other_given), name_key(other_family));
    if f.is_empty() {
        return None;
    }
    if g.is_empty() {
        // only the family name so far: it may have been typed in either box
        return if f == of {
            Some(DuplicateReason::SameName)
        } else if f == og {
            Some(DuplicateReason::Swapped)
        } else if names_close(&f, &of) {
            Some(DuplicateReason::SimilarName)
        } else {
            None
        };
    }
    if g == og && f == of {
        Some(DuplicateReason::SameName)
    } else if g == of && f == og {
        Some(DuplicateReason::Swapped)
    } else if (names_close(&g, &og) && names_close(&f, &of))
        || (names_close(&g, &of) && names_close(&f, &og))
    {
        Some(DuplicateReason::SimilarName)
    } else {
        None
    }
}

/// The candidates among `patients` (all born on the typed day), strongest reason first, then
/// by family and given name.
pub fn rank(given: &str, family: &str, patients: Vec<Local<Patient>>) -> Vec<PossibleDuplicate> {
    let mut out: Vec<PossibleDuplicate> = patients
        .into_iter()
        .filter(|p| !p.record.deleted)
        .filter_map(|p| {
            name_match(given, family, &p.record.given_name, &p.record.family_name)
                .map(|reason| PossibleDuplicate { patient: p, reason })
        })
        .collect();
    out.sort_by(|a, b| {
        (
            a.reason,
            name_key(&a.patient.record.family_name),
            name_key(&a.patient.record.given_name),
        )
            .cmp(&(
                b.reason,
                name_key(&b.patient.record.family_name),
                name_key(&b.patient.record.given_name),
            ))
    });
    out
}

impl Workstation {
    /// Patients on this workstation born on `date_of_birth` whose name matches
    /// `given_name` / `family_name` by the module's rules, strongest match first. Empty when
    /// the family name is empty. Needs a signed-in session (`not_signed_in`).
    pub async fn possible_duplicates(
        &self,
        given_name: &str,
        family_name: &str,
        date_of_birth: NaiveDate,
    ) -> Result<Vec<PossibleDuplicate>, CommandError> {
        let s = self.session().await?;
        let cache = s.cache();
        find(&cache, given_name, family_name, date_of_birth)
    }
}

/// [`Workstation::possible_duplicates`] on an open cache: the patients born on
/// `date_of_birth` (cache rows with local edits on top, and local registrations not yet sent,
/// through the `patients_dob` index), ranked by [`rank`].
pub fn find(
    cache: &Cache,
    given_name: &str,
    family_name: &str,
    date_of_birth: NaiveDate,
) -> Result<Vec<PossibleDuplicate>, CommandError> {
    if name_key(family_name).is_empty() {
        return Ok(Vec::new());
    }
    let born = local::search(
        cache,
        &[SearchTerm::BirthDate(vec![date_of_birth])],
        SAME_DAY_MAX,
    )?;
    Ok(rank(given_name, family_name, born))
}

#[cfg(test)]
mod tests {
    use super::*;
    use DuplicateReason::*;

    #[test]
    fn same_name_ignores_accents_case_and_punctuation() {
        assert_eq!(name_match("Zoë", "Müller", "zoe", "MULLER"), Some(SameName));
        assert_eq!(
            name_match("Mary Jane", "O'Brien", "Mary-Jane", "OBrien"),
            Some(SameName)
        );
    }

    #[test]
    fn given_and_family_swapped() {
        assert_eq!(
            name_match("Garcia", "Maria", "Maria", "García"),
            Some(Swapped)
        );
        // only a family name typed, and it is the other's given name
        assert_eq!(name_match("", "Maria", "Maria", "Garcia"), Some(Swapped));
    }

    #[test]
    fn prefix_of_the_other() {
        assert_eq!(
            name_match("Jo", "Smith", "Johanna", "Smith"),
            Some(SimilarName)
        );
        assert_eq!(
            name_match("Johanna", "Smi", "Jo", "Smithson"),
            Some(SimilarName)
        );
        // one letter is not a prefix worth showing, and too far to be a typo of "Smith"
        assert_eq!(name_match("Ann", "S", "Ann", "Smith"), None);
    }

    #[test]
    fn one_edit_for_short_names_two_for_longer() {
        assert_eq!(
            name_match("Ann", "Smyth", "Ann", "Smith"),
            Some(SimilarName)
        );
        // transposition is one edit (Damerau), not two
        assert_eq!(
            name_match("Ann", "Simth", "Ann", "Smith"),
            Some(SimilarName)
        );
        // two edits on a five-letter name: too far
        assert_eq!(name_match("Ann", "Swyth", "Ann", "Smith"), None);
        // two edits on a longer name: close
        assert_eq!(name_match("Ann", "Kunzr", "Ann", "Kunze215"), None);
        assert_eq!(
            name_match("Ann", "Bernhrad", "Ann", "Bernard"),
            Some(SimilarName)
        );
        assert_eq!(
            name_match("Ann", "Okafrro", "Ann", "Okafor"),
            Some(SimilarName)
        );
        assert_eq!(name_match("Ann", "Okwuosa", "Ann", "Okafor"), None);
    }

    #[test]
    fn both_names_must_be_close() {
        assert_eq!(name_match("Peter", "Smith", "Ann", "Smith"), None);
        assert_eq!(name_match("Ann", "Jones", "Ann", "Smith"), None);
    }

    #[test]
    fn empty_family_name_matches_nothing_empty_given_matches_any() {
        assert_eq!(name_match("Ann", "", "Ann", "Smith"), None);
        assert_eq!(name_match("", "Smith", "Ann", "Smith"), Some(SameName));
        assert_eq!(name_match("", "Smyth", "Ann", "Smith"), Some(SimilarName));
        assert_eq!(name_match("", "Jones", "Ann", "Smith"), None);
    }

    fn patient(given: &str, family: &str, dob: &str) -> Patient {
        let now = chrono::Utc::now();
        Patient {
            id: uuid::Uuid::new_v4(),
            mrn: "000001".into(),
            given_name: given.into(),
            family_name: family.into(),
            date_of_birth: dob.parse().expect("date"),
            sex: medoffice_model::AdministrativeSex::Female,
            phone: None,
            email: None,
            address: None,
            emergency_contact_name: None,
            emergency_contact_phone: None,
            city: None,
            state: None,
            postal_code: None,
            country: None,
            preferred_language: None,
            interpreter_required: false,
            next_of_kin_name: None,
            next_of_kin_relationship: None,
            next_of_kin_phone: None,
            identifiers: Vec::new(),
            allergies: vec![],
            no_known_allergies: false,
            notes: None,
            first_seen_at: None,
            revision: 1,
            created_at: now,
            updated_at: now,
            deleted: false,
            replaced_by: None,
        }
    }

    #[test]
    fn finds_in_the_cache_by_date_of_birth_strongest_first() {
        let dir = tempfile::tempdir().expect("dir");
        let key = crate::vault::CacheKey::generate();
        let mut cache = Cache::open(&dir.path().join("c.sqlite"), &key).expect("cache");
        let rows = [
            patient("Ann", "Smyth", "1980-01-02"),
            patient("Ann", "Smith", "1980-01-02"),
            patient("Smith", "Ann", "1980-01-02"),
            patient("Ann", "Smith", "1980-01-03"),
            patient("Peter", "Smith", "1980-01-02"),
        ];
        let changes: Vec<medoffice_model::Change> = rows
            .iter()
            .enumerate()
            .map(|(i, p)| medoffice_model::Change {
                id: p.id,
                revision: i as i64 + 1,
                deleted: false,
                record: medoffice_model::Record::Patient(p.clone()),
            })
            .collect();
        cache.apply_changes(&changes, 5).expect("apply");
        let dob = "1980-01-02".parse().expect("date");
        let found = find(&cache, "ann", "SMITH", dob).expect("find");
        let got: Vec<_> = found
            .iter()
            .map(|d| (d.patient.record.id, d.reason))
            .collect();
        // another birthday and another given name are not shown
        assert_eq!(
            got,
            vec![
                (rows[1].id, SameName),
                (rows[2].id, Swapped),
                (rows[0].id, SimilarName)
            ]
        );
        assert!(find(&cache, "Ann", " ", dob).expect("find").is_empty());
    }

    #[test]
    fn names_close_limits() {
        assert!(names_close("smith", "smith"));
        assert!(!names_close("", "smith"));
        assert!(names_close("al", "alexander"));
        assert!(!names_close("a", "alexander"));
        // short: 1 edit allowed
        assert!(names_close("jon", "jan"));
        assert!(!names_close("jon", "joan1x"));
        assert!(!names_close("bob", "bill"));
    }
}
