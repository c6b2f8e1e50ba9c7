//! Recurring visits (issue 12): a rule ("every 2 weeks, 6 times") turned into the start of each
//! occurrence, in the clinic's wall clock (09:00 stays 09:00 across daylight saving). Each
//! occurrence is booked as its own appointment carrying the series' id, so it syncs, clashes and
//! is refused one by one like any booking (FHIR R4 books recurring visits the same way: one
//! `Appointment` per occurrence, linked by an identifier).

use chrono::{DateTime, Duration, Months, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use crate::FieldErrors;

/// The step of a recurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum RecurrenceUnit {
    /// Every N days.
    Day,
    /// Every N weeks (the same weekday).
    Week,
    /// Every N months (the same day of the month, or the month's last day when it has fewer).
    Month,
}

/// "Every `every` `unit`s, `count` times or until `until`" (exactly one of the two).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct Recurrence {
    /// How many units between occurrences, 1–12.
    pub every: u32,
    /// Days, weeks or months.
    pub unit: RecurrenceUnit,
    /// How many occurrences, the first included (2–[`MAX_OCCURRENCES`]).
    #[serde(default)]
    #[ts(optional)]
    pub count: Option<u32>,
    /// The last date an occurrence may fall on (clinic-local), inclusive.
    #[serde(default)]
    #[ts(optional)]
    pub until: Option<NaiveDate>,
}

/// Most occurrences one series may have: a weekly visit for two years.
pub const MAX_OCCURRENCES: u32 = 104;

impl Recurrence {
    /// Errors by field (`every`, `count`, `until`); `first` is the first occurrence's local date.
    pub fn validate(&self, first: NaiveDate) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if !(1..=12).contains(&self.every) {
            e.add("every", "must be between 1 and 12");
        }
        match (self.count, self.until) {
            (Some(_), Some(_)) => e.add(
                "count",
                "give either a number of visits or an end date, not both",
            ),
            (None, None) => e.add("count", "give a number of visits or an end date"),
            (Some(n), None) if !(2..=MAX_OCCURRENCES).contains(&n) => {
                e.add("count", format!("must be between 2 and {MAX_OCCURRENCES}"));
            }
            (None, Some(u)) if u <= first => e.add("until", "must be after the first visit"),
            _ => {}
        }
        e.into_result()
    }

    /// The local date of occurrence `i` (0 is `first`), or None past the calendar.
    fn date(&self, first: NaiveDate, i: u32) -> Option<NaiveDate> {
        let n = self.every.checked_mul(i)?;
        match self.unit {
            RecurrenceUnit::Day => first.checked_add_signed(Duration::days(i64::from(n))),
            RecurrenceUnit::Week => first.checked_add_signed(Duration::weeks(i64::from(n))),
            // chrono clamps the 31st to a shorter month's last day
            RecurrenceUnit::Month => first.checked_add_months(Months::new(n)),
        }
    }

    /// The starts of every occurrence: the first at `first` (UTC), the others on their dates at
    /// the same wall-clock time in `tz` (a time the clock skips is taken an hour later), at most
    /// [`MAX_OCCURRENCES`], none after `until`. Call [`Recurrence::validate`] first.
    pub fn starts<Tz: TimeZone>(&self, tz: &Tz, first: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let local = first.with_timezone(tz).naive_local();
        let (day, time) = (local.date(), local.time());
        let limit = self.count.unwrap_or(MAX_OCCURRENCES).min(MAX_OCCURRENCES);
        let mut out = Vec::new();
        for i in 0..limit {
            let Some(date) = self.date(day, i) else { break };
            if self.until.is_some_and(|u| date > u) {
                break;
            }
            if let Some(at) = crate::wall_clock_instant(tz, date.and_time(time)) {
                out.push(at);
            }
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono_tz::Europe::London;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn weekly_visits_keep_their_wall_clock_time_across_the_clock_change() {
        let r = Recurrence {
            every: 1,
            unit: RecurrenceUnit::Week,
            count: Some(3),
            until: None,
        };
        // Thursday 19 March 2026 09:00 GMT; the clocks go forward on 29 March
        let s = r.starts(&London, at("2026-03-19T09:00:00Z"));
        assert_eq!(
            s,
            vec![
                at("2026-03-19T09:00:00Z"),
                at("2026-03-26T09:00:00Z"),
                at("2026-04-02T08:00:00Z")
            ]
        );
    }

    #[test]
    fn monthly_on_the_31st_falls_on_shorter_months_last_day_and_until_is_inclusive() {
        let r = Recurrence {
            every: 1,
            unit: RecurrenceUnit::Month,
            count: None,
            until: NaiveDate::from_ymd_opt(2027, 3, 31),
        };
        let s = r.starts(&chrono_tz::UTC, at("2027-01-31T10:00:00Z"));
        assert_eq!(
            s,
            vec![
                at("2027-01-31T10:00:00Z"),
                at("2027-02-28T10:00:00Z"),
                at("2027-03-31T10:00:00Z")
            ]
        );
        let every_3_days = Recurrence {
            every: 3,
            unit: RecurrenceUnit::Day,
            count: Some(2),
            until: None,
        };
        assert_eq!(
            every_3_days.starts(&chrono_tz::UTC, at("2027-01-30T10:00:00Z"))[1],
            at("2027-02-02T10:00:00Z")
        );
    }

    #[test]
    fn a_rule_is_checked_in_words_and_never_runs_away() {
        let first = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        let both = Recurrence {
            every: 1,
            unit: RecurrenceUnit::Day,
            count: Some(3),
            until: Some(first),
        };
        let s = serde_json::to_string(&both.validate(first).unwrap_err()).unwrap();
        assert!(s.contains("not both"), "{s}");
        let none = Recurrence {
            every: 0,
            unit: RecurrenceUnit::Day,
            count: None,
            until: None,
        };
        let s = serde_json::to_string(&none.validate(first).unwrap_err()).unwrap();
        assert!(
            s.contains("between 1 and 12") && s.contains("number of visits or an end date"),
            "{s}"
        );
        let many = Recurrence {
            every: 1,
            unit: RecurrenceUnit::Day,
            count: Some(1000),
            until: None,
        };
        assert!(many.validate(first).is_err());
        let far = Recurrence {
            every: 1,
            unit: RecurrenceUnit::Day,
            count: None,
            until: NaiveDate::from_ymd_opt(2040, 1, 1),
        };
        assert_eq!(
            far.starts(&chrono_tz::UTC, at("2027-01-01T10:00:00Z"))
                .len(),
            MAX_OCCURRENCES as usize
        );
    }
}
