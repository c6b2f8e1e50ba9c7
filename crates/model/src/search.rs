//! Parsing what a receptionist types into the patient search box.
//!
//! Shared by the server's `GET /api/v1/patients?q=` and the desktop's local search, so both
//! understand the same input: words are name prefixes in any order (accents ignored), a date is
//! a date of birth, and a run of digits is an MRN or a phone number.

use chrono::NaiveDate;
use serde::Serialize;

use crate::DateOrder;
use ts_rs::TS;

/// One part of a search. Serialised (`{"kind": "name", "value": "garc"}`) so the desktop can say
/// what it understood under the search box, e.g. both readings of an ambiguous date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum SearchTerm {
    /// A name prefix, folded with [`fold`].
    Name(String),
    /// A date of birth; two candidates when day and month are ambiguous (`03/04/1990`).
    BirthDate(Vec<NaiveDate>),
    /// Digits only: matches an MRN exactly or prefix, or the digits of a phone number.
    Digits(String),
    /// A query of digit groups alone (`943 476 5919`, `+1 617 555 0144`, `617 0144`): matches as
    /// one number, the groups joined, as [`SearchTerm::Digits`] does (a number typed as printed:
    /// an NHS or social security number, which only matches whole), or group by group, each as
    /// [`SearchTerm::Digits`] (a phone typed with a country code its record lacks, an area code
    /// and the last four).
    DigitGroups(Vec<String>),
    /// An MRN or provisional number with letters (`P-1a2b3c4d`).
    Mrn(String),
}

/// Lower-case ASCII transliteration (`"Zoë Müller"` → `"zoe muller"`), for accent-blind matching.
pub fn fold(s: &str) -> String {
    deunicode::deunicode(s).to_lowercase()
}

/// A folded name as both ends store it for search: `" given family "` (leading and trailing
/// space, so `LIKE '% ma%'` finds a word prefix). Its space-separated words are the rows of the
/// `patient_words` tables (server migration 0005, desktop cache migration 0003).
pub fn search_name(given: &str, family: &str) -> String {
    format!(" {} {} ", fold(given), fold(family))
}

/// The exclusive upper bound of the words starting with `prefix`, for a range scan
/// (`word >= prefix AND word < prefix_end(prefix)`): folded words are ASCII, so DEL (U+007F)
/// sorts after every character they hold.
pub fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{7f}")
}

/// Splits a query into terms (all must match) as an ISO clinic reads it (a slashed date that
/// could be either way round is looked for both ways). See [`parse_query_in`].
pub fn parse_query(q: &str) -> Vec<SearchTerm> {
    parse_query_in(q, DateOrder::YearMonthDay)
}

/// Splits a query into terms (all must match), reading dates in the clinic's `order`
/// (`3/4/1990` is March 4 in a month-first clinic, 3 April in a day-first one). Empty input
/// gives no terms.
///
/// A query of digit groups alone is one [`SearchTerm::DigitGroups`]: read only apart, an
/// identifier typed as printed (an NHS number `943 476 5919`, a social security number
/// `999 31 4477`), which matches only whole, would never be found. Letters and digits mixed
/// (`MBX 7781 22`) stay apart: a name and a phone fragment (`maria 555`) look the same.
pub fn parse_query_in(q: &str, order: DateOrder) -> Vec<SearchTerm> {
    let terms = split_terms(q, order);
    if terms.len() > 1 && terms.iter().all(|t| matches!(t, SearchTerm::Digits(_))) {
        let groups = terms
            .into_iter()
            .filter_map(|t| match t {
                SearchTerm::Digits(d) => Some(d),
                _ => None,
            })
            .collect();
        return vec![SearchTerm::DigitGroups(groups)];
    }
    terms
}

fn split_terms(q: &str, order: DateOrder) -> Vec<SearchTerm> {
    let mut terms = Vec::new();
    for raw in q.split(|c: char| c.is_whitespace() || c == ',') {
        let tok = raw.trim();
        if tok.is_empty() {
            continue;
        }
        if let Some(dates) = parse_birth_date_in(tok, order) {
            terms.push(SearchTerm::BirthDate(dates));
            continue;
        }
        let digits: String = tok.chars().filter(char::is_ascii_digit).collect();
        let only_phone_chars = tok
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | '.'));
        if !digits.is_empty() && only_phone_chars {
            terms.push(SearchTerm::Digits(digits));
        } else if tok.to_ascii_uppercase().starts_with("P-")
            || tok.chars().any(|c| c.is_ascii_digit())
        {
            terms.push(SearchTerm::Mrn(tok.to_owned()));
        } else {
            // a word may fold to several ("北京" → "bei jing"): each is a word prefix, as the
            // stored names' words are split
            let f = fold(tok).replace(['\'', '.'], "");
            for w in f.split_whitespace() {
                terms.push(SearchTerm::Name(w.to_owned()));
            }
        }
    }
    terms
}

/// Reads a date as people type it, as an ISO clinic does: `1990-04-03`, `03.04.1990` (day
/// first), `3/4/1990` (both candidates unless one is impossible). See [`parse_birth_date_in`].
pub fn parse_birth_date(tok: &str) -> Option<Vec<NaiveDate>> {
    parse_birth_date_in(tok, DateOrder::YearMonthDay)
}

/// Reads a date in the clinic's `order`, as the desktop's date fields do (ui/src/lib/locale.ts,
/// `parseDate`): `1990-04-03` everywhere; `3/4/1990` (or with `-` or `.`) month first or day
/// first as the clinic writes dates. An ISO clinic reads `03.04.1990` day first (as much of
/// Europe writes it) and looks for a slashed date both ways unless one is impossible. Two-digit
/// years are not dates here.
pub fn parse_birth_date_in(tok: &str, order: DateOrder) -> Option<Vec<NaiveDate>> {
    if let Ok(d) = NaiveDate::parse_from_str(tok, "%Y-%m-%d") {
        return Some(vec![d]);
    }
    let sep = ['/', '.', '-'].into_iter().find(|c| tok.contains(*c))?;
    let parts: Vec<&str> = tok.split(sep).collect();
    if parts.len() != 3 || parts[2].len() != 4 || parts[..2].iter().any(|p| p.len() > 2) {
        return None;
    }
    let (a, b, y) = (
        parts[0].parse::<u32>().ok()?,
        parts[1].parse::<u32>().ok()?,
        parts[2].parse::<i32>().ok()?,
    );
    let day_first = NaiveDate::from_ymd_opt(y, b, a);
    let month_first = NaiveDate::from_ymd_opt(y, a, b);
    let out: Vec<NaiveDate> = match (order, sep) {
        (DateOrder::MonthDayYear, _) => month_first.into_iter().collect(),
        (DateOrder::DayMonthYear, _) | (_, '.') => day_first.into_iter().collect(),
        (_, '/') => {
            let mut both: Vec<NaiveDate> = day_first.into_iter().collect();
            both.extend(month_first.filter(|d| Some(*d) != day_first));
            both
        }
        _ => Vec::new(),
    };
    (!out.is_empty()).then_some(out)
}

/// `s` as a SQL `LIKE` pattern that matches exactly `s`, with `\` as the escape character
/// (`… LIKE ? ESCAPE '\'`): a search for `%` or `_` finds those characters, never every
/// patient. PostgreSQL (server) and SQLite (workstation cache) read it alike.
pub fn like_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid")
    }

    #[test]
    fn names_in_any_order_fold_accents() {
        assert_eq!(
            parse_query("Müller  zoë"),
            vec![
                SearchTerm::Name("muller".into()),
                SearchTerm::Name("zoe".into())
            ]
        );
        // a word that folds to two is two word prefixes, as the stored name's words are
        assert_eq!(
            parse_query("北京"),
            vec![
                SearchTerm::Name("bei".into()),
                SearchTerm::Name("jing".into())
            ]
        );
        assert_eq!(
            search_name("北京", "Li")
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["bei", "jing", "li"]
        );
    }

    #[test]
    fn dates_in_the_formats_people_type() {
        assert_eq!(
            parse_query("1990-04-03"),
            vec![SearchTerm::BirthDate(vec![d(1990, 4, 3)])]
        );
        assert_eq!(
            parse_query("25/12/1980"),
            vec![SearchTerm::BirthDate(vec![d(1980, 12, 25)])]
        );
        assert_eq!(
            parse_query("3/4/1990"),
            vec![SearchTerm::BirthDate(vec![d(1990, 4, 3), d(1990, 3, 4)])]
        );
    }

    #[test]
    fn dates_in_the_clinics_order() {
        let us = DateOrder::MonthDayYear;
        let uk = DateOrder::DayMonthYear;
        let born = |q: &str, o| parse_query_in(q, o);
        assert_eq!(
            born("3/4/1990", us),
            vec![SearchTerm::BirthDate(vec![d(1990, 3, 4)])]
        );
        assert_eq!(
            born("3/4/1990", uk),
            vec![SearchTerm::BirthDate(vec![d(1990, 4, 3)])]
        );
        assert_eq!(
            born("03-04-1990", us),
            vec![SearchTerm::BirthDate(vec![d(1990, 3, 4)])]
        );
        assert_eq!(
            born("03.04.1990", us),
            vec![SearchTerm::BirthDate(vec![d(1990, 3, 4)])]
        );
        assert_eq!(
            born("03.04.1990", DateOrder::YearMonthDay),
            vec![SearchTerm::BirthDate(vec![d(1990, 4, 3)])]
        );
        assert_eq!(
            born("1990-04-03", us),
            vec![SearchTerm::BirthDate(vec![d(1990, 4, 3)])]
        );
        // not a date in that order: read as what else it could be (an MRN)
        assert_eq!(
            born("25/12/1980", us),
            vec![SearchTerm::Mrn("25/12/1980".into())]
        );
        assert_eq!(
            born("25/12/1980", uk),
            vec![SearchTerm::BirthDate(vec![d(1980, 12, 25)])]
        );
        assert_eq!(parse_birth_date_in("3/4/90", uk), None);
        assert_eq!(parse_birth_date_in("123/4/1990", uk), None);
    }

    #[test]
    fn digits_are_mrn_or_phone() {
        // digit groups alone: one term, matched whole or group by group
        assert_eq!(
            parse_query("(555) 010-0199"),
            vec![SearchTerm::DigitGroups(vec![
                "555".into(),
                "0100199".into()
            ])]
        );
        assert_eq!(
            parse_query("943 476 5919"),
            vec![SearchTerm::DigitGroups(vec![
                "943".into(),
                "476".into(),
                "5919".into()
            ])]
        );
        // a name beside digits keeps both terms
        assert_eq!(
            parse_query("maria 555"),
            vec![
                SearchTerm::Name("maria".into()),
                SearchTerm::Digits("555".into())
            ]
        );
        assert_eq!(
            parse_query("000123"),
            vec![SearchTerm::Digits("000123".into())]
        );
        assert_eq!(
            parse_query("P-1a2b"),
            vec![SearchTerm::Mrn("P-1a2b".into())]
        );
    }
}
