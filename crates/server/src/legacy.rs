//! Import of the old single-seat application's SQLite file into one clinic.
//!
//! The old application kept one table, `patients`, with a free-text `name`, `phone_number`,
//! the vitals of the first visit inline (`blood_pressure_systolic`, `blood_pressure_diastolic`,
//! `oxygen_saturation`, `heart_rate`) and `first_seen_date`. Columns are read by name, in any
//! letter case; an `id` column is shown in the report when present, optional `date_of_birth`
//! (or `dob`, `birth_date`) and `sex` (or `gender`) columns are used when present, and any other
//! column is listed in the report as ignored. The file is opened read-only.
//!
//! What each row becomes:
//! - **A patient.** The name is split by [`split_name`]. The phone number is kept as typed
//!   (trimmed) when the model accepts it; otherwise the patient is imported without it and the
//!   text goes into the patient's notes. A row with no name is not imported.
//! - **Date of birth and sex**, which the old application never recorded: sex is `unknown` (the
//!   model's value for exactly this), and the date of birth is [`UNKNOWN_BIRTH_DATE`]
//!   (1900-01-01, the earliest the model accepts and the usual "not known" placeholder), with a
//!   line in the patient's notes asking staff to confirm it. The placeholder never feeds age
//!   rules: the vitals are stored with an unknown age, which the model treats as adult.
//! - **One measurement set** from the inline vitals, at the first-seen date: at the time given
//!   when the column holds a timestamp, otherwise at noon in the clinic's time zone. Each value is
//!   checked against the model's impossible-value limits; a value outside them (or not a
//!   number) is left out of the set and reported, the rest of the set and the patient are still
//!   imported. A `0` counts as "not measured" (the old application's default). Systolic and
//!   diastolic go in or stay out together. Without a readable first-seen date the vitals have no
//!   time and are left out (reported, and kept as text in the notes).
//! - **Dates** are read by [`parse_legacy_time`]. For `03/04/2019`-style dates the day/month
//!   order comes from `--date-order`, or else from the file itself: a date with a first number
//!   above 12 shows day first, a second number above 12 month first. A file that shows neither,
//!   or both, is refused before anything is written, asking for `--date-order`.
//!
//! Re-importing adds nothing: a row's identity is a hash of its values (all known columns but
//! `id`), stored as the `source_id` of its patient and measurement set. The same file again, a
//! copy of it, or another seat's file holding the same rows adds nothing; a row that is
//! identical to an earlier row of the same file is imported once and reported.
//!
//! Every row not taken and every value left out is listed in the [`LegacyReport`] with its row
//! number, its `id` when the file has one, and the reason. One transaction: all or nothing.
//! This module reads and writes nothing else (no appointments, no users).

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use medoffice_model::{AdministrativeSex, AgeAt, Measurements, NewPatient, NewVitalSigns};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use crate::clinical::{self, patients, vitals};
use crate::db;
use crate::import::{imported_id, next_mrn, Imported};

/// Date of birth stored for a patient whose legacy record has none: 1900-01-01, the earliest
/// date the model accepts, so it reads as a placeholder (age 120+) and sorts apart.
pub const UNKNOWN_BIRTH_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// Given name stored for a one-word legacy name (the word becomes the family name).
pub const UNKNOWN_GIVEN_NAME: &str = "(unknown)";

/// How to read all-numeric dates such as `03/04/2019`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// `dd/mm/yyyy` (3 April 2019).
    DayFirst,
    /// `mm/dd/yyyy` (March 4, 2019).
    MonthFirst,
}

impl FromStr for DateOrder {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dmy" | "day-first" | "dd/mm/yyyy" => Ok(Self::DayFirst),
            "mdy" | "month-first" | "mm/dd/yyyy" => Ok(Self::MonthFirst),
            _ => Err(format!(
                "{s:?}: use dmy (day first, dd/mm/yyyy) or mdy (month first, mm/dd/yyyy)"
            )),
        }
    }
}

impl fmt::Display for DateOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::DayFirst => "day first (dd/mm/yyyy)",
            Self::MonthFirst => "month first (mm/dd/yyyy)",
        })
    }
}

/// Choices for one import.
#[derive(Debug, Clone, Default)]
pub struct LegacyOptions {
    /// Order of all-numeric dates; `None`: decide from the file (see the module docs).
    pub date_order: Option<DateOrder>,
}

/// What happened to a row or a value that did not go in as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueOutcome {
    /// The row was not imported.
    RowNotImported,
    /// The row was imported without this value.
    ValueLeftOut,
    /// The row was imported under an assumption that staff should check.
    Review,
}

/// One row not taken, value left out, or assumption made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowIssue {
    /// Row number in the legacy table, from 1, in stored order.
    pub row: usize,
    /// The row's `id` column, when the file has one.
    pub legacy_id: Option<String>,
    /// The legacy column concerned, when it is one column's value.
    pub column: Option<String>,
    /// The value as stored in the legacy file.
    pub value: Option<String>,
    /// What was done.
    pub outcome: IssueOutcome,
    /// Why, in words.
    pub reason: String,
}

impl fmt::Display for RowIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}", self.row)?;
        if let Some(id) = &self.legacy_id {
            write!(f, " (id {id})")?;
        }
        if let Some(c) = &self.column {
            write!(f, " {c}")?;
            if let Some(v) = &self.value {
                write!(f, " = {v:?}")?;
            }
        }
        let what = match self.outcome {
            IssueOutcome::RowNotImported => "row not imported",
            IssueOutcome::ValueLeftOut => "value left out",
            IssueOutcome::Review => "check",
        };
        write!(f, ": {what}: {}", self.reason)
    }
}

/// What a legacy import did. `rows_read` = `patients_imported` + `patients_already_present`
/// + `duplicate_rows` + `rows_not_imported`.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegacyReport {
    /// Rows in the legacy `patients` table.
    pub rows_read: usize,
    /// Patients created now.
    pub patients_imported: usize,
    /// Patients present from an earlier import of the same rows.
    pub patients_already_present: usize,
    /// Rows identical to an earlier row of this file (imported once).
    pub duplicate_rows: usize,
    /// Rows not imported (each listed in `issues`).
    pub rows_not_imported: usize,
    /// Measurement sets created now.
    pub vital_sign_sets_imported: usize,
    /// Measurement sets present from an earlier import.
    pub vital_sign_sets_already_present: usize,
    /// Patients stored with [`UNKNOWN_BIRTH_DATE`] (no date of birth in the legacy row).
    pub birth_dates_unknown: usize,
    /// How all-numeric dates were read; `None` when the file has none.
    pub date_order: Option<DateOrder>,
    /// True when `date_order` was decided from the file, false when it was given.
    pub date_order_detected: bool,
    /// Columns of the legacy table that were not read.
    pub ignored_columns: Vec<String>,
    /// Every row not taken, value left out, or assumption to check, in row order.
    pub issues: Vec<RowIssue>,
}

impl LegacyReport {
    /// A short human summary, every issue on its own line.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "legacy patients: {} rows read -> {} imported, {} already present, {} duplicate rows, {} not imported\n\
             vital signs: {} measurement sets imported ({} already present)\n",
            self.rows_read,
            self.patients_imported,
            self.patients_already_present,
            self.duplicate_rows,
            self.rows_not_imported,
            self.vital_sign_sets_imported,
            self.vital_sign_sets_already_present,
        );
        if let Some(order) = self.date_order {
            let how = if self.date_order_detected {
                "decided from the file"
            } else {
                "as given"
            };
            s.push_str(&format!("dates like 03/04/2019 read {order}, {how}\n"));
        }
        if self.birth_dates_unknown > 0 {
            s.push_str(&format!(
                "{} patients without a date of birth in the old records: stored with {UNKNOWN_BIRTH_DATE} as a placeholder (noted on each record; confirm at the next visit)\n",
                self.birth_dates_unknown
            ));
        }
        if !self.ignored_columns.is_empty() {
            s.push_str(&format!(
                "columns not read: {}\n",
                self.ignored_columns.join(", ")
            ));
        }
        if !self.issues.is_empty() {
            s.push_str(&format!("{} issues:\n", self.issues.len()));
            for i in &self.issues {
                s.push_str(&format!("  {i}\n"));
            }
        }
        s
    }
}

// ------------------------------------------------------------------------------------ names

/// A name split into the model's two parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName {
    /// Given name(s) and middle names or initials; empty for a one-word name.
    pub given_name: String,
    /// Family name, with its particles (`de la Cruz`) and a generational suffix (`Smith Jr.`).
    pub family_name: String,
}

/// Leading titles, dropped.
const TITLES: &[&str] = &["dr", "mr", "mrs", "ms", "miss", "mx", "prof", "rev"];
/// Generational suffixes, kept at the end of the family name (they tell father from son).
const GENERATIONAL: &[&str] = &["jr", "sr", "ii", "iii", "iv"];
/// Trailing degrees and post-nominals, dropped.
const DEGREES: &[&str] = &["md", "phd", "dds", "dmd", "rn", "np", "esq", "mba"];
/// Words that start a family name when they follow the given name (`Maria de la Cruz`).
const PARTICLES: &[&str] = &[
    "de", "del", "della", "der", "den", "di", "da", "das", "dos", "du", "la", "le", "van", "von",
    "ten", "ter", "bin", "binti", "ibn", "al", "el", "st", "st.",
];

fn bare(word: &str) -> String {
    word.trim_end_matches('.').to_lowercase()
}

fn is_in(list: &[&str], word: &str) -> bool {
    let w = bare(word);
    list.iter().any(|x| bare(x) == w)
}

/// Splits a free-text name as the old application stored it.
///
/// - `"Smith, John A."` (a comma): family name first, then the given names.
/// - `"John A. Smith"`: the last word is the family name, unless a particle (`de`, `van`,
///   `al`, …) after the first word starts it: `"Maria de la Cruz"` → `Maria` / `de la Cruz`.
/// - Leading titles (`Dr.`, `Mrs`) and trailing degrees (`MD`, `PhD`) are dropped;
///   generational suffixes (`Jr.`, `III`) stay at the end of the family name.
/// - Whitespace is collapsed. A name in capitals only (`"JOHN O'BRIEN"`) is put in title case
///   (`John O'Brien`, particles lower-case); any other capitalisation is kept as typed.
/// - One word is a family name with an empty given name.
///
/// `None` when there is no name at all.
pub fn split_name(raw: &str) -> Option<PersonName> {
    let shouting = {
        let letters: Vec<char> = raw.chars().filter(|c| c.is_alphabetic()).collect();
        letters.len() >= 2 && !letters.iter().any(|c| c.is_lowercase())
    };
    let mut parts: Vec<Vec<String>> = raw
        .split(',')
        .map(|p| p.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return None;
    }
    // Comma parts that are only a suffix or degrees: "John Smith, Jr.", "Smith, John, MD".
    let mut suffixes = Vec::new();
    if parts.len() > 1 {
        parts.retain(|p| {
            if p.iter()
                .all(|w| is_in(GENERATIONAL, w) || is_in(DEGREES, w))
            {
                suffixes.extend(p.iter().filter(|w| is_in(GENERATIONAL, w)).cloned());
                false
            } else {
                true
            }
        });
    }
    let (mut given, mut family) = if parts.len() >= 2 {
        let family = parts[0].clone();
        let given = parts[1..].concat();
        (given, family)
    } else {
        (parts.concat(), Vec::new())
    };
    // Titles at the start of the given names, suffixes and degrees at the end of either part.
    while given.len() > 1 && is_in(TITLES, &given[0]) {
        given.remove(0);
    }
    for words in [&mut given, &mut family] {
        let mut tail = Vec::new();
        while words.len() > 1 {
            let Some(last) = words.last() else { break };
            if is_in(GENERATIONAL, last) {
                tail.push(last.clone());
            } else if !is_in(DEGREES, last) {
                break;
            }
            words.pop();
        }
        tail.reverse();
        suffixes.splice(0..0, tail);
    }
    if family.is_empty() {
        // No comma: the family name is the last word, or starts at a particle.
        if given.len() > 1 {
            let start = (1..given.len() - 1)
                .find(|&i| is_in(PARTICLES, &given[i]))
                .unwrap_or(given.len() - 1);
            family = given.split_off(start);
        } else {
            family = std::mem::take(&mut given);
        }
    }
    family.extend(suffixes);
    if shouting {
        for w in given.iter_mut() {
            *w = title_case(w);
        }
        let n = family.len();
        for (i, w) in family.iter_mut().enumerate() {
            let followed_by_name = i + 1 < n && !is_in(GENERATIONAL, w);
            *w = if is_in(PARTICLES, w) && followed_by_name {
                w.to_lowercase()
            } else {
                title_case(w)
            };
        }
    }
    Some(PersonName {
        given_name: given.join(" "),
        family_name: family.join(" "),
    })
}

/// `O'BRIEN` → `O'Brien`, `MARY-JANE` → `Mary-Jane`, `III` stays.
fn title_case(word: &str) -> String {
    if ["ii", "iii", "iv"].contains(&bare(word).as_str()) {
        return word.to_uppercase();
    }
    let mut out = String::with_capacity(word.len());
    let mut start = true;
    for c in word.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = matches!(c, '-' | '\'' | '’');
    }
    out
}

// ------------------------------------------------------------------------------------ dates

/// A first-seen date or timestamp as read from the legacy file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyTime {
    /// A date without a time.
    Date(NaiveDate),
    /// A date and time without a zone: clinic-local.
    Local(NaiveDateTime),
    /// An instant (the text had a zone or offset, or was a Unix time).
    Instant(DateTime<Utc>),
}

impl LegacyTime {
    /// The instant in clinic time `tz`; a bare date is taken at noon (a visit's middle).
    pub fn instant(self, tz: chrono_tz::Tz) -> DateTime<Utc> {
        let local = match self {
            Self::Instant(t) => return t,
            Self::Date(d) => {
                d.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN))
            }
            Self::Local(t) => t,
        };
        // A time in a DST gap does not exist locally: take the hour after.
        tz.from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(local + chrono::Duration::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| local.and_utc())
    }

    /// The calendar date in clinic time `tz`.
    pub fn date(self, tz: chrono_tz::Tz) -> NaiveDate {
        match self {
            Self::Date(d) => d,
            Self::Local(t) => t.date(),
            Self::Instant(t) => t.with_timezone(&tz).date_naive(),
        }
    }
}

/// An all-numeric date with `/` or `-` between day, month and year in either order:
/// `(first, second, year text, separator, rest after the date)`.
fn numeric_date(s: &str) -> Option<(u32, u32, &str, char, &str)> {
    let end = s.find([' ', 'T']).unwrap_or(s.len());
    let (date, rest) = s.split_at(end);
    let sep = date.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let mut it = date.split(sep);
    let (a, b, y) = (it.next()?, it.next()?, it.next()?);
    let digits = |x: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&x.len()) && x.chars().all(|c| c.is_ascii_digit())
    };
    if it.next().is_some() || !digits(a, 1..=2) || !digits(b, 1..=2) {
        return None;
    }
    if !(y.len() == 2 || y.len() == 4) || !digits(y, 2..=4) {
        return None;
    }
    Some((a.parse().ok()?, b.parse().ok()?, y, sep, rest.trim()))
}

/// Reads a legacy date or timestamp. Accepted:
/// - ISO 8601 / RFC 3339: `2019-03-04`, `2019-03-04 14:30`, `2019-03-04T14:30:00`,
///   `2019-03-04T14:30:00Z`, `2019-03-04 14:30:00+01:00`, `2019/03/04`, `20190304`;
/// - all-numeric day and month with `/` or `-`, in `order`: `04/03/2019`, `4-3-2019`,
///   optionally followed by a time (`14:30`, `2:30 PM`); with `.` always day first
///   (`04.03.2019`, as written where dots are used);
/// - month names: `4 March 2019`, `March 4, 2019`, `4-Mar-2019`.
///
/// Two-digit years (`04/03/19`) are read as the latest year ending in those digits that is
/// not after `two_digit_years_up_to`, and refused when it is `None` (a date of birth, where
/// `19` could be 1919 or 2019).
pub fn parse_legacy_time(
    raw: &str,
    order: DateOrder,
    two_digit_years_up_to: Option<i32>,
) -> Result<LegacyTime, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("is empty".into());
    }
    // Year first only when the text starts with four digits (chrono's %Y also reads "3").
    if s.len() >= 4 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(LegacyTime::Instant(t.with_timezone(&Utc)));
        }
        for f in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
            if let Ok(t) = DateTime::parse_from_str(s, f) {
                return Ok(LegacyTime::Instant(t.with_timezone(&Utc)));
            }
        }
        if let Some(t) = s.strip_suffix(['Z', 'z']) {
            if let Ok(LegacyTime::Local(t)) = parse_legacy_time(t, order, two_digit_years_up_to) {
                return Ok(LegacyTime::Instant(t.and_utc()));
            }
        }
        for f in [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
        ] {
            if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
                return Ok(LegacyTime::Local(t));
            }
        }
        if s.len() == 8 && s.chars().all(|c| c.is_ascii_digit()) {
            let iso = format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..]);
            return NaiveDate::parse_from_str(&iso, "%Y-%m-%d")
                .map(LegacyTime::Date)
                .map_err(|_| "is not a valid yyyymmdd date".into());
        }
        for f in ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"] {
            if let Ok(d) = NaiveDate::parse_from_str(s, f) {
                return Ok(LegacyTime::Date(d));
            }
        }
        return Err("is not a date in a known format".into());
    }
    if let Some((a, b, y, sep, rest)) = numeric_date(s) {
        let (day, month) = if sep == '.' || order == DateOrder::DayFirst {
            (a, b)
        } else {
            (b, a)
        };
        let year: i32 = y.parse().map_err(|_| "has an unreadable year")?;
        let year = if y.len() == 2 {
            let Some(max) = two_digit_years_up_to else {
                return Err("has a two-digit year, which could be either century".into());
            };
            let century = max - max.rem_euclid(100);
            if century + year <= max {
                century + year
            } else {
                century - 100 + year
            }
        } else {
            year
        };
        let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
            format!("is not a valid date (read as day {day}, month {month}, year {year})")
        })?;
        if rest.is_empty() {
            return Ok(LegacyTime::Date(date));
        }
        for f in ["%H:%M:%S%.f", "%H:%M", "%I:%M %p", "%I:%M:%S %p", "%I:%M%p"] {
            if let Ok(t) = NaiveTime::parse_from_str(rest, f) {
                return Ok(LegacyTime::Local(date.and_time(t)));
            }
        }
        return Err("has a time that is not readable".into());
    }
    for f in ["%d %B %Y", "%d %B, %Y", "%B %d, %Y", "%B %d %Y", "%d-%B-%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Ok(LegacyTime::Date(d));
        }
    }
    Err("is not a date in a known format".into())
}

/// What the file's all-numeric dates say about their order.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OrderEvidence {
    /// No `/` or `-` dates with the year last.
    NotNeeded,
    /// Every such date reads one way only in this order.
    Shows(DateOrder),
    /// All such dates read both ways (e.g. `03/04/2019`).
    Ambiguous(String),
    /// Some dates only read day first, others only month first.
    Conflicting(String, String),
}

fn date_order_evidence<'a>(values: impl IntoIterator<Item = &'a str>) -> OrderEvidence {
    let (mut any, mut day_first, mut month_first) = (None, None, None);
    for v in values {
        let Some((a, b, _, sep, _)) = numeric_date(v.trim()) else {
            continue;
        };
        if sep == '.' {
            continue;
        }
        any.get_or_insert(v);
        if a > 12 && b <= 12 {
            day_first.get_or_insert(v);
        } else if b > 12 && a <= 12 {
            month_first.get_or_insert(v);
        }
    }
    match (any, day_first, month_first) {
        (None, _, _) => OrderEvidence::NotNeeded,
        (_, Some(d), Some(m)) => OrderEvidence::Conflicting(d.trim().into(), m.trim().into()),
        (_, Some(_), None) => OrderEvidence::Shows(DateOrder::DayFirst),
        (_, None, Some(_)) => OrderEvidence::Shows(DateOrder::MonthFirst),
        (Some(a), None, None) => OrderEvidence::Ambiguous(a.trim().into()),
    }
}

// ------------------------------------------------------------------------------ legacy rows

/// A value as SQLite stored it (the old application was not strict about column types).
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Integer(i64),
    Real(f64),
    Text(String),
}

impl Cell {
    fn from_sql(v: rusqlite::types::ValueRef<'_>) -> Option<Self> {
        use rusqlite::types::ValueRef;
        match v {
            ValueRef::Null => None,
            ValueRef::Integer(i) => Some(Self::Integer(i)),
            ValueRef::Real(r) => Some(Self::Real(r)),
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                Some(Self::Text(String::from_utf8_lossy(t).into_owned()))
            }
        }
    }

    /// As text, whitespace collapsed (what the report shows and the row hash uses).
    fn text(&self) -> String {
        match self {
            Self::Integer(i) => i.to_string(),
            Self::Real(r) => r.to_string(),
            Self::Text(t) => t.split_whitespace().collect::<Vec<_>>().join(" "),
        }
    }

    fn is_blank(&self) -> bool {
        matches!(self, Self::Text(t) if t.trim().is_empty())
    }
}

/// The columns this import reads, each under its accepted names (first: the old application's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Col {
    Id,
    Name,
    Phone,
    Systolic,
    Diastolic,
    Spo2,
    HeartRate,
    FirstSeen,
    BirthDate,
    Sex,
}

impl Col {
    const ALL: [Col; 10] = [
        Col::Id,
        Col::Name,
        Col::Phone,
        Col::Systolic,
        Col::Diastolic,
        Col::Spo2,
        Col::HeartRate,
        Col::FirstSeen,
        Col::BirthDate,
        Col::Sex,
    ];

    fn names(self) -> &'static [&'static str] {
        match self {
            Col::Id => &["id"],
            Col::Name => &["name"],
            Col::Phone => &["phone_number", "phone"],
            Col::Systolic => &["blood_pressure_systolic"],
            Col::Diastolic => &["blood_pressure_diastolic"],
            Col::Spo2 => &["oxygen_saturation"],
            Col::HeartRate => &["heart_rate"],
            Col::FirstSeen => &["first_seen_date"],
            Col::BirthDate => &["date_of_birth", "dob", "birth_date", "birthdate"],
            Col::Sex => &["sex", "gender"],
        }
    }
}

/// One legacy row: its number, the column names as found, and its non-null values.
#[derive(Debug, Clone, Default)]
struct LegacyRow {
    number: usize,
    header: HashMap<Col, String>,
    cells: HashMap<Col, Cell>,
}

impl LegacyRow {
    fn get(&self, c: Col) -> Option<&Cell> {
        self.cells.get(&c).filter(|v| !v.is_blank())
    }

    fn column(&self, c: Col) -> String {
        self.header
            .get(&c)
            .cloned()
            .unwrap_or_else(|| c.names()[0].to_owned())
    }

    fn legacy_id(&self) -> Option<String> {
        self.get(Col::Id).map(Cell::text)
    }

    fn issue(
        &self,
        col: Option<Col>,
        outcome: IssueOutcome,
        reason: impl Into<String>,
    ) -> RowIssue {
        RowIssue {
            row: self.number,
            legacy_id: self.legacy_id(),
            column: col.map(|c| self.column(c)),
            value: col.and_then(|c| self.get(c)).map(Cell::text),
            outcome,
            reason: reason.into(),
        }
    }

    /// The row's identity across imports: a hash of every known column but `id`.
    fn key(&self) -> String {
        let mut h = Sha256::new();
        for c in Col::ALL.into_iter().filter(|c| *c != Col::Id) {
            h.update(c.names()[0].as_bytes());
            h.update(b"=");
            if let Some(v) = self.get(c) {
                h.update(v.text().as_bytes());
            }
            h.update([0x1f]);
        }
        h.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The legacy table: its rows, and the columns not read.
struct LegacyTable {
    rows: Vec<LegacyRow>,
    ignored_columns: Vec<String>,
}

fn read_legacy_file(path: &Path) -> anyhow::Result<LegacyTable> {
    use rusqlite::{Connection, OpenFlags};
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| anyhow::anyhow!("{}: cannot open as SQLite ({e})", path.display()))?;
    let tables = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| anyhow::anyhow!("{}: not a readable SQLite database ({e})", path.display()))?;
    let Some(table) = tables.iter().find(|t| t.eq_ignore_ascii_case("patients")) else {
        anyhow::bail!(
            "{}: no `patients` table (tables: {})",
            path.display(),
            tables.join(", ")
        );
    };
    let quoted = format!("\"{}\"", table.replace('"', "\"\""));
    // Stored order, so row numbers match what a person sees browsing the file.
    let mut stmt = match conn.prepare(&format!("SELECT * FROM {quoted} ORDER BY rowid")) {
        Ok(s) => s,
        Err(_) => conn.prepare(&format!("SELECT * FROM {quoted}"))?,
    };
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let mut header: HashMap<Col, (usize, String)> = HashMap::new();
    for c in Col::ALL {
        let found = c.names().iter().find_map(|want| {
            names
                .iter()
                .enumerate()
                .find(|(_, n)| n.eq_ignore_ascii_case(want))
        });
        if let Some((i, n)) = found {
            header.insert(c, (i, n.clone()));
        }
    }
    if !header.contains_key(&Col::Name) {
        anyhow::bail!(
            "{}: the `patients` table has no `name` column (columns: {})",
            path.display(),
            names.join(", ")
        );
    }
    let ignored_columns = names
        .iter()
        .enumerate()
        .filter(|(i, _)| !header.values().any(|(j, _)| j == i))
        .map(|(_, n)| n.clone())
        .collect();
    let names_by_col: HashMap<Col, String> =
        header.iter().map(|(c, (_, n))| (*c, n.clone())).collect();
    let mut rows = Vec::new();
    let mut q = stmt.query([])?;
    while let Some(r) = q.next()? {
        let mut cells = HashMap::new();
        for (c, (i, _)) in &header {
            if let Some(v) = Cell::from_sql(r.get_ref(*i)?) {
                cells.insert(*c, v);
            }
        }
        rows.push(LegacyRow {
            number: rows.len() + 1,
            header: names_by_col.clone(),
            cells,
        });
    }
    Ok(LegacyTable {
        rows,
        ignored_columns,
    })
}

/// Reads a date cell: text in the formats of [`parse_legacy_time`], or what SQLite date
/// functions store: `yyyymmdd` or Unix seconds/milliseconds as integers, Julian days as reals.
fn time_of_cell(
    cell: &Cell,
    order: DateOrder,
    two_digit_years_up_to: Option<i32>,
) -> Result<LegacyTime, String> {
    let from_unix = |secs: i64| {
        DateTime::from_timestamp(secs, 0)
            .map(LegacyTime::Instant)
            .ok_or_else(|| "is not a valid Unix time".to_owned())
    };
    match cell {
        Cell::Integer(i @ 19_000_101..=29_991_231) => {
            parse_legacy_time(&i.to_string(), order, two_digit_years_up_to)
        }
        Cell::Integer(i @ 100_000_000..=9_999_999_999) => from_unix(*i),
        Cell::Integer(i @ 100_000_000_000..=9_999_999_999_999) => from_unix(i / 1000),
        Cell::Integer(_) => Err("is a number that is not a date".into()),
        Cell::Real(jd) if (2_415_020.5..2_488_070.0).contains(jd) => {
            from_unix(((jd - 2_440_587.5) * 86_400.0).round() as i64)
        }
        Cell::Real(_) => Err("is a number that is not a date".into()),
        Cell::Text(t) => parse_legacy_time(t, order, two_digit_years_up_to),
    }
}

/// A vital-sign value: `None` when blank or `0` (the old application's "not measured").
fn measure_of_cell(cell: &Cell) -> Result<Option<i32>, String> {
    let v = match cell {
        Cell::Integer(i) => *i as f64,
        Cell::Real(r) => *r,
        Cell::Text(t) => {
            let t = t.trim();
            let lower = t.to_ascii_lowercase();
            let number = ["%", "bpm", "/min", "mmhg"]
                .iter()
                .find_map(|u| lower.strip_suffix(u))
                .unwrap_or(&lower)
                .trim();
            number
                .parse::<f64>()
                .map_err(|_| "is not a number".to_owned())?
        }
    };
    if !v.is_finite() {
        return Err("is not a number".into());
    }
    if v == 0.0 {
        return Ok(None);
    }
    Ok(Some(
        v.round().clamp(i32::MIN as f64, i32::MAX as f64) as i32
    ))
}

fn sex_of_cell(cell: &Cell) -> Option<AdministrativeSex> {
    match cell.text().to_lowercase().as_str() {
        "f" | "female" | "w" | "woman" => Some(AdministrativeSex::Female),
        "m" | "male" | "man" => Some(AdministrativeSex::Male),
        "o" | "other" | "x" | "diverse" => Some(AdministrativeSex::Other),
        "u" | "unknown" | "?" => Some(AdministrativeSex::Unknown),
        _ => None,
    }
}

/// Clinic context for turning rows into records.
struct Context {
    order: DateOrder,
    tz: chrono_tz::Tz,
    today: NaiveDate,
    now: DateTime<Utc>,
}

/// After the clinic's today, or (with a time) more than the model's 5 minutes of clock skew
/// after now.
fn is_future(t: LegacyTime, cx: &Context) -> bool {
    match t {
        LegacyTime::Date(d) => d > cx.today,
        _ => t.instant(cx.tz) > cx.now + chrono::Duration::minutes(5),
    }
}

/// A row made ready to store.
struct Prepared {
    key: String,
    patient: NewPatient,
    vitals: Option<NewVitalSigns>,
    /// Age at measurement, when the date of birth is known.
    age: Option<AgeAt>,
    birth_date_unknown: bool,
    issues: Vec<RowIssue>,
}

/// Turns one legacy row into a registration and a measurement set, or the reason it cannot be
/// imported. No database access.
fn prepare_row(row: &LegacyRow, cx: &Context) -> Result<Prepared, RowIssue> {
    use IssueOutcome::{Review, ValueLeftOut};
    let mut issues = Vec::new();
    let mut notes: Vec<String> = Vec::new();

    let raw_name = row.get(Col::Name).map(Cell::text).unwrap_or_default();
    let Some(mut name) = split_name(&raw_name) else {
        return Err(row.issue(
            Some(Col::Name),
            IssueOutcome::RowNotImported,
            "name is empty: nothing identifies the patient",
        ));
    };
    if name.given_name.is_empty() {
        issues.push(row.issue(
            Some(Col::Name),
            Review,
            format!(
                "one-word name: stored as family name {:?} with given name {UNKNOWN_GIVEN_NAME:?}",
                name.family_name
            ),
        ));
        name.given_name = UNKNOWN_GIVEN_NAME.to_owned();
    }

    let phone = match row.get(Col::Phone) {
        None => None,
        Some(cell) => {
            // As typed, only trimmed: the model's rule decides what a phone number is.
            let p = match cell {
                Cell::Text(t) => t.trim().to_owned(),
                other => other.text(),
            };
            if medoffice_model::is_plausible_phone(&p) {
                Some(p)
            } else {
                issues.push(row.issue(
                    Some(Col::Phone),
                    ValueLeftOut,
                    "not a phone number (5 to 20 digits; spaces, +, -, . and parentheses allowed); kept in the patient's notes",
                ));
                notes.push(format!(
                    "Phone in the old records, not a valid number: {p:?}."
                ));
                None
            }
        }
    };

    let (mut dob, mut birth_date_unknown) = (UNKNOWN_BIRTH_DATE, true);
    if let Some(cell) = row.get(Col::BirthDate) {
        match time_of_cell(cell, cx.order, None).map(|t| t.date(cx.tz)) {
            Ok(d) if d > cx.today => issues.push(row.issue(
                Some(Col::BirthDate),
                ValueLeftOut,
                "date of birth is in the future",
            )),
            Ok(d) if d < UNKNOWN_BIRTH_DATE => issues.push(row.issue(
                Some(Col::BirthDate),
                ValueLeftOut,
                "date of birth is before 1900",
            )),
            Ok(d) => (dob, birth_date_unknown) = (d, false),
            Err(e) => issues.push(row.issue(
                Some(Col::BirthDate),
                ValueLeftOut,
                format!("date of birth {e}"),
            )),
        }
    }
    let mut sex = AdministrativeSex::Unknown;
    if let Some(cell) = row.get(Col::Sex) {
        match sex_of_cell(cell) {
            Some(s) => sex = s,
            None => issues.push(row.issue(
                Some(Col::Sex),
                ValueLeftOut,
                "not a sex this import knows (f, m, other, unknown): stored as unknown",
            )),
        }
    }
    if birth_date_unknown {
        notes.push(format!(
            "Date of birth not in the old records: {UNKNOWN_BIRTH_DATE} is a placeholder. Confirm date of birth{} at the next visit.",
            if sex == AdministrativeSex::Unknown { " and sex" } else { "" }
        ));
    }

    // The first visit: when, and what was measured.
    let seen = match row.get(Col::FirstSeen) {
        None => Err("first_seen_date is empty".to_owned()),
        Some(cell) => match time_of_cell(cell, cx.order, Some(cx.today.year())) {
            Ok(t) if is_future(t, cx) => Err("first_seen_date is in the future".into()),
            Ok(t) => Ok(t),
            Err(e) => Err(format!("first_seen_date {e}")),
        },
    };
    let mut m = Measurements::default();
    let mut raw: HashMap<Col, String> = HashMap::new();
    for (col, slot) in [
        (Col::Systolic, &mut m.systolic_mmhg),
        (Col::Diastolic, &mut m.diastolic_mmhg),
        (Col::Spo2, &mut m.spo2_pct),
        (Col::HeartRate, &mut m.heart_rate_bpm),
    ] {
        let Some(cell) = row.get(col) else { continue };
        match measure_of_cell(cell) {
            Ok(v) => {
                *slot = v;
                if v.is_some() {
                    raw.insert(col, cell.text());
                }
            }
            Err(e) => issues.push(row.issue(Some(col), ValueLeftOut, e)),
        }
    }
    // The model's impossible-value limits, one value at a time: what fails is left out.
    let mut left_out: Vec<String> = Vec::new();
    while !m.is_empty() {
        let Err(errors) = m.validate() else { break };
        let mut removed = false;
        for (field, messages) in &errors.0 {
            let reason = format!("{field} {}", messages.join("; "));
            let cols: &[Col] = match field.as_str() {
                "systolic_mmhg" | "diastolic_mmhg" => &[Col::Systolic, Col::Diastolic],
                "spo2_pct" => &[Col::Spo2],
                "heart_rate_bpm" => &[Col::HeartRate],
                _ => &[],
            };
            for c in cols {
                let slot = match c {
                    Col::Systolic => &mut m.systolic_mmhg,
                    Col::Diastolic => &mut m.diastolic_mmhg,
                    Col::Spo2 => &mut m.spo2_pct,
                    _ => &mut m.heart_rate_bpm,
                };
                if slot.take().is_some() {
                    removed = true;
                    let v = raw.remove(c).unwrap_or_default();
                    left_out.push(format!("{} {v} ({reason})", row.column(*c)));
                    issues.push(row.issue(Some(*c), ValueLeftOut, reason.clone()));
                }
            }
        }
        if !removed {
            break;
        }
    }
    if !left_out.is_empty() {
        notes.push(format!(
            "Not charted from the old records (impossible values): {}.",
            left_out.join("; ")
        ));
    }

    let (first_seen_at, vitals, age) = match seen {
        Ok(t) => {
            // Noon of a first visit today may still be ahead: then it is now.
            let measured_at = t.instant(cx.tz).min(cx.now);
            let date = t.date(cx.tz);
            let vitals = (!m.is_empty()).then_some(NewVitalSigns {
                id: None,
                measured_at,
                measurements: m,
                notes: None,
                entered_offline: Some(false),
            });
            let age = (!birth_date_unknown).then(|| AgeAt::on(dob, date));
            (Some(date), vitals, age)
        }
        Err(reason) => {
            let value = row.get(Col::FirstSeen).map(Cell::text);
            let outcome = if value.is_some() {
                ValueLeftOut
            } else {
                Review
            };
            let mut issue = row.issue(Some(Col::FirstSeen), outcome, reason.clone());
            if !m.is_empty() {
                let values: Vec<String> =
                    [Col::Systolic, Col::Diastolic, Col::Spo2, Col::HeartRate]
                        .iter()
                        .filter_map(|c| raw.get(c).map(|v| format!("{} {v}", row.column(*c))))
                        .collect();
                issue.reason = format!(
                    "{reason}: first-seen date set to the import day; the vitals have no date and are not charted (kept in the patient's notes)"
                );
                notes.push(format!(
                    "First-seen date in the old records: {}; vitals recorded then, not charted: {}.",
                    value.as_deref().map_or("none".to_owned(), |v| format!("{v:?}")),
                    values.join(", ")
                ));
            } else {
                issue.reason = format!("{reason}: first-seen date set to the import day");
                if let Some(v) = value {
                    notes.push(format!("First-seen date in the old records: {v:?}."));
                }
            }
            issues.push(issue);
            (None, None, None)
        }
    };

    let patient = NewPatient {
        id: None,
        given_name: name.given_name,
        family_name: name.family_name,
        date_of_birth: dob,
        sex,
        phone,
        email: None,
        address: None,
        emergency_contact_name: None,
        emergency_contact_phone: None,
        city: None,
        state: None,
        postal_code: None,
        country: None,
        preferred_language: None,
        interpreter_required: None,
        next_of_kin_name: None,
        next_of_kin_relationship: None,
        next_of_kin_phone: None,
        identifiers: None,
        allergies: None,
        no_known_allergies: None,
        notes: Some(notes.join("\n")),
        first_seen_at,
    }
    .normalized();
    if let Err(e) = patient.validate(cx.today) {
        return Err(row.issue(
            None,
            IssueOutcome::RowNotImported,
            format!("refused by validation ({e})"),
        ));
    }
    // Not expected to refuse after the checks above; a model rule added later is reported.
    let vitals = vitals.filter(|v| match v.validate(cx.now) {
        Ok(()) => true,
        Err(e) => {
            issues.push(row.issue(None, ValueLeftOut, format!("vital signs refused ({e})")));
            false
        }
    });
    Ok(Prepared {
        key: row.key(),
        patient,
        vitals,
        age,
        birth_date_unknown,
        issues,
    })
}

/// Imports the legacy SQLite file at `path` into `tenant_id`, attributing every write to
/// `importer` (a user of that clinic). One transaction: all or nothing. Fails before writing
/// when the file is not a legacy database or its numeric dates need `options.date_order`.
pub async fn import_legacy(
    pool: &PgPool,
    tenant_id: Uuid,
    importer: Uuid,
    path: &Path,
    options: &LegacyOptions,
) -> anyhow::Result<LegacyReport> {
    import_legacy_with(
        pool,
        tenant_id,
        importer,
        path,
        options,
        &crate::progress::Quiet,
    )
    .await
}

/// [`import_legacy`], saying how far it has come to `progress` (a terminal's bars).
pub async fn import_legacy_with(
    pool: &PgPool,
    tenant_id: Uuid,
    importer: Uuid,
    path: &Path,
    options: &LegacyOptions,
    progress: &dyn crate::progress::Progress,
) -> anyhow::Result<LegacyReport> {
    let owned = path.to_owned();
    let table = tokio::task::spawn_blocking(move || read_legacy_file(&owned)).await??;
    let mut report = LegacyReport {
        rows_read: table.rows.len(),
        ignored_columns: table.ignored_columns,
        ..Default::default()
    };

    let evidence = date_order_evidence(
        table
            .rows
            .iter()
            .flat_map(|r| [r.get(Col::FirstSeen), r.get(Col::BirthDate)])
            .flatten()
            .filter_map(|c| match c {
                Cell::Text(t) => Some(t.as_str()),
                _ => None,
            }),
    );
    let order = match (options.date_order, evidence) {
        (Some(o), OrderEvidence::NotNeeded) => {
            report.date_order = None;
            o
        }
        (Some(o), _) => {
            report.date_order = Some(o);
            o
        }
        (None, OrderEvidence::NotNeeded) => DateOrder::DayFirst,
        (None, OrderEvidence::Shows(o)) => {
            report.date_order = Some(o);
            report.date_order_detected = true;
            o
        }
        (None, OrderEvidence::Ambiguous(example)) => anyhow::bail!(
            "{}: dates such as {example:?} read either day first or month first, and no date in the file decides it; \
             nothing imported. Run again with --date-order dmy (dd/mm/yyyy) or --date-order mdy (mm/dd/yyyy).",
            path.display()
        ),
        (None, OrderEvidence::Conflicting(d, m)) => anyhow::bail!(
            "{}: the file has dates that only read day first ({d:?}) and others that only read month first ({m:?}); \
             nothing imported. Run again with --date-order dmy or --date-order mdy; dates that do not fit are then reported.",
            path.display()
        ),
    };

    let mut tx = db::tenant_tx(pool, tenant_id).await?;
    let today = clinical::clinic_today(&mut tx)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let tz = clinical::clinic_tz(&mut tx)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let cx = Context {
        order,
        tz,
        today,
        now: Utc::now(),
    };

    let mut seen_keys: HashMap<String, usize> = HashMap::new();
    let mut seen_names: HashMap<String, usize> = HashMap::new();
    progress.stage("rows", table.rows.len() as u64);
    for row in &table.rows {
        progress.advance(1);
        let p = match prepare_row(row, &cx) {
            Ok(p) => p,
            Err(issue) => {
                report.rows_not_imported += 1;
                report.issues.push(issue);
                continue;
            }
        };
        if let Some(first) = seen_keys.get(&p.key) {
            report.duplicate_rows += 1;
            report.issues.push(row.issue(
                None,
                IssueOutcome::RowNotImported,
                format!("same values as row {first}, which is imported once"),
            ));
            continue;
        }
        seen_keys.insert(p.key.clone(), row.number);
        report.issues.extend(p.issues);
        let full_name =
            format!("{} {}", p.patient.given_name, p.patient.family_name).to_lowercase();
        if let Some(first) = seen_names.get(&full_name) {
            report.issues.push(row.issue(
                Some(Col::Name),
                IssueOutcome::Review,
                format!("same name as row {first}, other details differ: imported as a separate patient"),
            ));
        } else {
            seen_names.insert(full_name, row.number);
        }

        let source = format!("legacy:patient:{}", p.key);
        let patient_id = match imported_id(&mut tx, Imported::Patient, &source).await? {
            Some(id) => {
                report.patients_already_present += 1;
                id
            }
            None => {
                let id = Uuid::now_v7();
                let mrn = next_mrn(&mut tx, tenant_id).await?;
                patients::insert_patient(
                    &mut tx,
                    tenant_id,
                    Some(importer),
                    id,
                    &mrn,
                    &p.patient,
                    today,
                    Some(&source),
                )
                .await?;
                report.patients_imported += 1;
                if p.birth_date_unknown {
                    report.birth_dates_unknown += 1;
                }
                id
            }
        };
        if let Some(v) = &p.vitals {
            let source = format!("legacy:vitals:{}", p.key);
            if imported_id(&mut tx, Imported::VitalSigns, &source)
                .await?
                .is_some()
            {
                report.vital_sign_sets_already_present += 1;
            } else {
                vitals::insert_vitals(
                    &mut tx,
                    tenant_id,
                    importer,
                    Uuid::now_v7(),
                    patient_id,
                    v,
                    p.age,
                    p.patient.sex,
                    Some(&source),
                )
                .await?;
                report.vital_sign_sets_imported += 1;
            }
        }
    }
    let detail = format!(
        "legacy file {}: {} patients, {} vital-sign sets imported; {} rows not imported",
        path.display(),
        report.patients_imported,
        report.vital_sign_sets_imported,
        report.rows_not_imported
    );
    crate::audit::record_import(&mut tx, tenant_id, importer, "import.legacy", &detail).await?;
    progress.finish();
    tx.commit().await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> (String, String) {
        let n = split_name(raw).expect("a name");
        (n.given_name, n.family_name)
    }

    fn pair(g: &str, f: &str) -> (String, String) {
        (g.to_owned(), f.to_owned())
    }

    #[test]
    fn names_split_in_both_orders() {
        assert_eq!(name("John Smith"), pair("John", "Smith"));
        assert_eq!(name("Smith, John"), pair("John", "Smith"));
        assert_eq!(name("Smith,John A."), pair("John A.", "Smith"));
        assert_eq!(name("John A. Smith"), pair("John A.", "Smith"));
        assert_eq!(
            name("  Mary   Jane \t Watson  "),
            pair("Mary Jane", "Watson")
        );
    }

    #[test]
    fn titles_degrees_and_suffixes() {
        assert_eq!(name("Dr. John A. Smith Jr."), pair("John A.", "Smith Jr."));
        assert_eq!(name("Mrs Ann Lee"), pair("Ann", "Lee"));
        assert_eq!(name("John Smith, Jr."), pair("John", "Smith Jr."));
        assert_eq!(name("Smith, John, MD"), pair("John", "Smith"));
        assert_eq!(name("Smith, Dr. John"), pair("John", "Smith"));
        assert_eq!(name("Henry Ford III"), pair("Henry", "Ford III"));
        assert_eq!(name("Jane Doe PhD"), pair("Jane", "Doe"));
        // a surname that looks like a degree elsewhere is not dropped when it is the only one
        assert_eq!(name("Anh Do"), pair("Anh", "Do"));
    }

    #[test]
    fn particles_start_the_family_name() {
        assert_eq!(name("Maria de la Cruz"), pair("Maria", "de la Cruz"));
        assert_eq!(
            name("Ludwig van Beethoven"),
            pair("Ludwig", "van Beethoven")
        );
        assert_eq!(name("de la Cruz, Maria"), pair("Maria", "de la Cruz"));
        assert_eq!(name("Anh Le"), pair("Anh", "Le"));
        assert_eq!(name("Van Morrison"), pair("Van", "Morrison"));
    }

    #[test]
    fn capitals_only_become_title_case() {
        assert_eq!(name("JOHN O'BRIEN"), pair("John", "O'Brien"));
        assert_eq!(name("MARIA DE LA CRUZ"), pair("Maria", "de la Cruz"));
        assert_eq!(name("SMITH, MARY-JANE"), pair("Mary-Jane", "Smith"));
        assert_eq!(name("HENRY FORD III"), pair("Henry", "Ford III"));
        assert_eq!(name("JOHN SMITH JR."), pair("John", "Smith Jr."));
        // anything else is kept as typed
        assert_eq!(name("Ronald McDonald"), pair("Ronald", "McDonald"));
        assert_eq!(name("danah boyd"), pair("danah", "boyd"));
        assert_eq!(name("JB Smith"), pair("JB", "Smith"));
    }

    #[test]
    fn one_word_and_empty_names() {
        assert_eq!(name("Madonna"), pair("", "Madonna"));
        assert_eq!(name("  CHER "), pair("", "Cher"));
        assert_eq!(name("Smith,"), pair("", "Smith"));
        assert_eq!(split_name(""), None);
        assert_eq!(split_name("  ,  "), None);
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn at(y: i32, m: u32, day: u32, h: u32, min: u32) -> NaiveDateTime {
        d(y, m, day).and_hms_opt(h, min, 0).expect("valid time")
    }

    fn parse(s: &str, order: DateOrder) -> Result<LegacyTime, String> {
        parse_legacy_time(s, order, Some(2026))
    }

    #[test]
    fn iso_dates_and_timestamps() {
        use LegacyTime::*;
        let o = DateOrder::MonthFirst;
        assert_eq!(parse("2019-03-04", o), Ok(Date(d(2019, 3, 4))));
        assert_eq!(parse(" 2019/03/04 ", o), Ok(Date(d(2019, 3, 4))));
        assert_eq!(parse("20190304", o), Ok(Date(d(2019, 3, 4))));
        assert_eq!(
            parse("2019-03-04 14:30", o),
            Ok(Local(at(2019, 3, 4, 14, 30)))
        );
        assert_eq!(
            parse("2019-03-04T14:30:00", o),
            Ok(Local(at(2019, 3, 4, 14, 30)))
        );
        assert_eq!(
            parse("2019-03-04 14:30:00.250", o).map(|t| t.date(chrono_tz::UTC)),
            Ok(d(2019, 3, 4))
        );
        assert_eq!(
            parse("2019-03-04T14:30:00Z", o),
            Ok(Instant(at(2019, 3, 4, 14, 30).and_utc()))
        );
        assert_eq!(
            parse("2019-03-04 14:30:00Z", o),
            Ok(Instant(at(2019, 3, 4, 14, 30).and_utc()))
        );
        assert_eq!(
            parse("2019-03-04T15:30:00+01:00", o),
            Ok(Instant(at(2019, 3, 4, 14, 30).and_utc()))
        );
        assert_eq!(
            parse("2019-03-04 15:30:00+01:00", o),
            Ok(Instant(at(2019, 3, 4, 14, 30).and_utc()))
        );
    }

    #[test]
    fn numeric_dates_follow_the_order() {
        use LegacyTime::*;
        let (dmy, mdy) = (DateOrder::DayFirst, DateOrder::MonthFirst);
        assert_eq!(parse("03/04/2019", dmy), Ok(Date(d(2019, 4, 3))));
        assert_eq!(parse("03/04/2019", mdy), Ok(Date(d(2019, 3, 4))));
        assert_eq!(parse("3-4-2019", dmy), Ok(Date(d(2019, 4, 3))));
        // dots are always day first
        assert_eq!(parse("03.04.2019", mdy), Ok(Date(d(2019, 4, 3))));
        assert_eq!(
            parse("25/12/2019 09:15", dmy),
            Ok(Local(at(2019, 12, 25, 9, 15)))
        );
        assert_eq!(
            parse("12/25/2019 2:30 PM", mdy),
            Ok(Local(at(2019, 12, 25, 14, 30)))
        );
        assert!(parse("25/12/2019", mdy)
            .expect_err("no month 25")
            .contains("not a valid date"));
        assert!(parse("31/02/2019", dmy).is_err());
        assert!(parse("03/04/2019 late", dmy).is_err());
    }

    #[test]
    fn two_digit_years_and_month_names() {
        use LegacyTime::*;
        let dmy = DateOrder::DayFirst;
        assert_eq!(parse("03/04/19", dmy), Ok(Date(d(2019, 4, 3))));
        // not year 3 AD, as a year-first reading would have it
        assert_eq!(parse("03-04-19", dmy), Ok(Date(d(2019, 4, 3))));
        assert_eq!(parse("03/04/98", dmy), Ok(Date(d(1998, 4, 3))));
        assert_eq!(parse("03/04/26", dmy), Ok(Date(d(2026, 4, 3))));
        assert_eq!(parse("03/04/27", dmy), Ok(Date(d(1927, 4, 3))));
        assert!(parse_legacy_time("03/04/19", dmy, None).is_err());
        assert_eq!(parse("4 March 2019", dmy), Ok(Date(d(2019, 3, 4))));
        assert_eq!(parse("March 4, 2019", dmy), Ok(Date(d(2019, 3, 4))));
        assert_eq!(parse("4-Mar-2019", dmy), Ok(Date(d(2019, 3, 4))));
        assert_eq!(parse("Mar 4 2019", dmy), Ok(Date(d(2019, 3, 4))));
        assert!(parse("last tuesday", dmy).is_err());
        assert!(parse("", dmy).is_err());
    }

    #[test]
    fn numbers_sqlite_stores_for_dates() {
        use LegacyTime::*;
        let dmy = DateOrder::DayFirst;
        let t = |c: Cell| time_of_cell(&c, dmy, Some(2026));
        assert_eq!(t(Cell::Integer(20190304)), Ok(Date(d(2019, 3, 4))));
        assert_eq!(
            t(Cell::Integer(1_551_709_800)),
            Ok(Instant(at(2019, 3, 4, 14, 30).and_utc()))
        );
        assert_eq!(
            t(Cell::Integer(1_551_709_800_000)),
            Ok(Instant(at(2019, 3, 4, 14, 30).and_utc()))
        );
        // julianday('2019-03-04 12:00')
        assert_eq!(
            t(Cell::Real(2_458_547.0)),
            Ok(Instant(at(2019, 3, 4, 12, 0).and_utc()))
        );
        assert!(t(Cell::Integer(42)).is_err());
    }

    #[test]
    fn a_bare_date_is_noon_in_the_clinic() {
        let t = LegacyTime::Date(d(2019, 7, 4)).instant(chrono_tz::America::New_York);
        assert_eq!(t, at(2019, 7, 4, 16, 0).and_utc());
        let t = LegacyTime::Local(at(2019, 1, 4, 9, 0)).instant(chrono_tz::America::New_York);
        assert_eq!(t, at(2019, 1, 4, 14, 0).and_utc());
    }

    #[test]
    fn the_file_decides_the_date_order_or_asks() {
        use OrderEvidence::*;
        assert_eq!(date_order_evidence(["2019-03-04", "x"]), NotNeeded);
        assert_eq!(
            date_order_evidence(["03/04/2019", "25/12/2019"]),
            Shows(DateOrder::DayFirst)
        );
        assert_eq!(
            date_order_evidence(["03/04/2019", "12/25/2019 10:00"]),
            Shows(DateOrder::MonthFirst)
        );
        assert_eq!(
            date_order_evidence(["03/04/2019", "05/06/2019"]),
            Ambiguous("03/04/2019".into())
        );
        assert_eq!(
            date_order_evidence(["25/12/2019", "12/25/2019"]),
            Conflicting("25/12/2019".into(), "12/25/2019".into())
        );
        // dotted dates are day first by convention and decide nothing
        assert_eq!(date_order_evidence(["03.04.2019"]), NotNeeded);
        assert_eq!("dmy".parse(), Ok(DateOrder::DayFirst));
        assert_eq!("MDY".parse(), Ok(DateOrder::MonthFirst));
        assert!("ymd".parse::<DateOrder>().is_err());
    }

    #[test]
    fn vital_values_as_stored() {
        assert_eq!(measure_of_cell(&Cell::Integer(120)), Ok(Some(120)));
        assert_eq!(measure_of_cell(&Cell::Real(97.6)), Ok(Some(98)));
        assert_eq!(measure_of_cell(&Cell::Text(" 98% ".into())), Ok(Some(98)));
        assert_eq!(measure_of_cell(&Cell::Text("72 bpm".into())), Ok(Some(72)));
        assert_eq!(measure_of_cell(&Cell::Integer(0)), Ok(None));
        assert!(measure_of_cell(&Cell::Text("n/a".into())).is_err());
    }

    fn row(values: &[(Col, Cell)]) -> LegacyRow {
        LegacyRow {
            number: 7,
            header: HashMap::new(),
            cells: values.iter().cloned().collect(),
        }
    }

    fn cx() -> Context {
        Context {
            order: DateOrder::DayFirst,
            tz: chrono_tz::Europe::London,
            today: d(2026, 1, 10),
            now: at(2026, 1, 10, 12, 0).and_utc(),
        }
    }

    #[test]
    fn an_impossible_value_is_left_out_and_the_rest_kept() {
        let r = row(&[
            (Col::Id, Cell::Integer(12)),
            (Col::Name, Cell::Text("Smith, Ann".into())),
            (Col::Phone, Cell::Text(" 555-0100 ext".into())),
            (Col::Systolic, Cell::Integer(130)),
            (Col::Diastolic, Cell::Integer(85)),
            (Col::Spo2, Cell::Integer(140)),
            (Col::HeartRate, Cell::Integer(0)),
            (Col::FirstSeen, Cell::Text("2019-03-04".into())),
        ]);
        let p = prepare_row(&r, &cx()).expect("imported");
        assert_eq!(p.patient.family_name, "Smith");
        assert_eq!(p.patient.phone, None);
        assert_eq!(p.patient.sex, AdministrativeSex::Unknown);
        assert_eq!(p.patient.date_of_birth, UNKNOWN_BIRTH_DATE);
        assert_eq!(p.patient.first_seen_at, Some(d(2019, 3, 4)));
        let v = p.vitals.expect("a set");
        assert_eq!(v.measurements.systolic_mmhg, Some(130));
        assert_eq!(v.measurements.spo2_pct, None);
        assert_eq!(v.measurements.heart_rate_bpm, None);
        assert_eq!(v.measured_at, at(2019, 3, 4, 12, 0).and_utc());
        let cols: Vec<_> = p.issues.iter().map(|i| i.column.clone()).collect();
        assert_eq!(
            cols,
            [
                Some("phone_number".into()),
                Some("oxygen_saturation".into())
            ]
        );
        assert_eq!(p.issues[1].value.as_deref(), Some("140"));
        assert_eq!(p.issues[1].legacy_id.as_deref(), Some("12"));
        assert!(p.issues[1].reason.contains("between 20 and 100"));
        let notes = p.patient.notes.expect("notes");
        assert!(notes.contains("555-0100 ext"), "{notes}");
        assert!(notes.contains("oxygen_saturation 140"), "{notes}");
    }

    #[test]
    fn blood_pressure_goes_in_or_out_as_a_pair() {
        let r = row(&[
            (Col::Name, Cell::Text("Ann Smith".into())),
            (Col::Systolic, Cell::Integer(80)),
            (Col::Diastolic, Cell::Integer(120)),
            (Col::HeartRate, Cell::Text("72".into())),
            (Col::FirstSeen, Cell::Text("04/03/2019".into())),
        ]);
        let p = prepare_row(&r, &cx()).expect("imported");
        let m = p.vitals.expect("a set").measurements;
        assert_eq!(
            (m.systolic_mmhg, m.diastolic_mmhg, m.heart_rate_bpm),
            (None, None, Some(72))
        );
        assert_eq!(p.issues.len(), 2);
        assert!(p.issues[0].reason.contains("below systolic"));
    }

    #[test]
    fn without_a_date_the_vitals_wait_in_the_notes() {
        let r = row(&[
            (Col::Name, Cell::Text("Ann Smith".into())),
            (Col::HeartRate, Cell::Integer(72)),
            (Col::FirstSeen, Cell::Text("last tuesday".into())),
        ]);
        let p = prepare_row(&r, &cx()).expect("imported");
        assert!(p.vitals.is_none());
        assert_eq!(p.patient.first_seen_at, None);
        assert!(p.patient.notes.expect("notes").contains("heart_rate 72"));
        assert_eq!(p.issues.len(), 1);
        assert_eq!(p.issues[0].column.as_deref(), Some("first_seen_date"));
    }

    #[test]
    fn empty_names_are_not_imported_and_keys_ignore_the_id() {
        let r = row(&[(Col::Name, Cell::Text("   ".into()))]);
        let e = prepare_row(&r, &cx()).err().expect("refused");
        assert_eq!(e.outcome, IssueOutcome::RowNotImported);
        let a = row(&[
            (Col::Id, Cell::Integer(1)),
            (Col::Name, Cell::Text("Ann  Smith".into())),
        ]);
        let b = row(&[
            (Col::Id, Cell::Integer(2)),
            (Col::Name, Cell::Text("Ann Smith ".into())),
        ]);
        let c = row(&[(Col::Name, Cell::Text("Ann Smyth".into()))]);
        assert_eq!(a.key(), b.key());
        assert_ne!(a.key(), c.key());
    }

    #[test]
    fn optional_birth_date_and_sex_columns_are_used() {
        let r = row(&[
            (Col::Name, Cell::Text("Tom Baker".into())),
            (Col::BirthDate, Cell::Text("1950-06-15".into())),
            (Col::Sex, Cell::Text("M".into())),
            (Col::HeartRate, Cell::Integer(60)),
            (Col::FirstSeen, Cell::Text("2020-06-15".into())),
        ]);
        let p = prepare_row(&r, &cx()).expect("imported");
        assert!(!p.birth_date_unknown);
        assert_eq!(p.patient.sex, AdministrativeSex::Male);
        assert_eq!(p.age.map(|a| a.years), Some(70));
        assert_eq!(p.patient.notes, None);
    }
}
