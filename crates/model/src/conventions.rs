//! How a clinic writes dates and times: the order of day, month and year, the 12- or 24-hour
//! clock, and the first day of the week. These are the three CLDR locale preferences
//! (`dateFormats` field order, `hourCycle`, `weekData/firstDay`) that change what a typed date
//! means or where a calendar starts; a clinic chooses them once (`PATCH /api/v1/tenant`) and
//! every workstation shows and reads dates that way, whatever the computer's own locale. The
//! wire and the database keep ISO 8601 (`YYYY-MM-DD`, RFC 3339 instants) throughout.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// Order of the parts of a date, shown and typed (`YYYY-MM-DD` is read in every order, since a
/// four-digit year first cannot be mistaken).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS, ToSchema,
)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// ISO 8601: `2024-03-14`.
    #[default]
    YearMonthDay,
    /// Most of the world, e.g. the UK: `14/03/2024`.
    DayMonthYear,
    /// The United States: `03/14/2024`.
    MonthDayYear,
}

/// The clock times are shown and typed in (Unicode CLDR `hourCycle`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS, ToSchema,
)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum HourCycle {
    /// 24-hour clock, `00:00`–`23:59`.
    #[default]
    H23,
    /// 12-hour clock with AM/PM, `12:00 AM`–`11:59 PM`.
    H12,
}

/// The day a week starts on in calendars and the week view (CLDR `firstDay`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS, ToSchema,
)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum WeekStart {
    /// ISO 8601 and most of Europe.
    #[default]
    Monday,
    /// The United States, Canada, Japan and others.
    Sunday,
    /// Much of the Middle East.
    Saturday,
}

macro_rules! wire_names {
    ($t:ty { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            /// Every value, in the order the settings screen offers them.
            pub const ALL: &'static [$t] = &[$(<$t>::$v),+];

            /// The wire and database name.
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),+ }
            }

            /// Parses a wire or database name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(<$t>::$v),)+ _ => None }
            }
        }
    };
}

wire_names!(DateOrder {
    YearMonthDay => "year_month_day",
    DayMonthYear => "day_month_year",
    MonthDayYear => "month_day_year",
});
wire_names!(HourCycle { H23 => "h23", H12 => "h12" });
wire_names!(WeekStart {
    Monday => "monday",
    Sunday => "sunday",
    Saturday => "saturday",
});

/// A clinic's three conventions together, for the messages the core and the server write (the
/// desktop's screens use `ui/src/lib/locale.ts`, which writes the same).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateConventions {
    /// Order of day, month and year.
    pub date_order: DateOrder,
    /// 12- or 24-hour clock.
    pub hour_cycle: HourCycle,
    /// First day of the week.
    pub week_start: WeekStart,
}

impl DateConventions {
    /// The conventions of a clinic.
    pub fn of(t: &crate::TenantInfo) -> Self {
        Self {
            date_order: t.date_order,
            hour_cycle: t.hour_cycle,
            week_start: t.week_start,
        }
    }

    /// A date as the clinic writes it: `03/14/2024`, `14/03/2024` or `2024-03-14`.
    pub fn date(&self, d: NaiveDate) -> String {
        match self.date_order {
            DateOrder::MonthDayYear => d.format("%m/%d/%Y").to_string(),
            DateOrder::DayMonthYear => d.format("%d/%m/%Y").to_string(),
            DateOrder::YearMonthDay => d.format("%Y-%m-%d").to_string(),
        }
    }

    /// A time of day on the clinic's clock: `2:30 PM` or `14:30`.
    pub fn time(&self, t: NaiveTime) -> String {
        match self.hour_cycle {
            HourCycle::H23 => t.format("%H:%M").to_string(),
            HourCycle::H12 => {
                let h = t.hour();
                let shown = if h.is_multiple_of(12) { 12 } else { h % 12 };
                format!(
                    "{shown}:{:02} {}",
                    t.minute(),
                    if h < 12 { "AM" } else { "PM" }
                )
            }
        }
    }

    /// A wall-clock date and time: `03/14/2024 2:30 PM` or `2024-03-14 14:30`.
    pub fn date_time(&self, t: NaiveDateTime) -> String {
        format!("{} {}", self.date(t.date()), self.time(t.time()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_are_written_as_the_desktop_writes_them() {
        // the same examples as ui/src/lib/locale.test.ts
        let us = DateConventions {
            date_order: DateOrder::MonthDayYear,
            hour_cycle: HourCycle::H12,
            week_start: WeekStart::Sunday,
        };
        let uk = DateConventions {
            date_order: DateOrder::DayMonthYear,
            ..DateConventions::default()
        };
        let d = NaiveDate::from_ymd_opt(2024, 3, 14).expect("date");
        assert_eq!(us.date(d), "03/14/2024");
        assert_eq!(uk.date(d), "14/03/2024");
        assert_eq!(DateConventions::default().date(d), "2024-03-14");
        let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("time");
        assert_eq!(us.time(at(0, 5)), "12:05 AM");
        assert_eq!(us.time(at(9, 30)), "9:30 AM");
        assert_eq!(us.time(at(12, 0)), "12:00 PM");
        assert_eq!(us.time(at(23, 59)), "11:59 PM");
        assert_eq!(uk.time(at(23, 59)), "23:59");
        assert_eq!(us.date_time(d.and_time(at(14, 30))), "03/14/2024 2:30 PM");
    }

    #[test]
    fn wire_names_match_serde_and_round_trip() {
        fn check<T: Serialize + Copy + PartialEq + std::fmt::Debug>(
            all: &[T],
            name: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            for &v in all {
                assert_eq!(serde_json::to_value(v).expect("serialises"), name(v));
                assert_eq!(parse(name(v)), Some(v));
            }
            assert_eq!(parse("nonsense"), None);
        }
        check(DateOrder::ALL, DateOrder::as_str, DateOrder::parse);
        check(HourCycle::ALL, HourCycle::as_str, HourCycle::parse);
        check(WeekStart::ALL, WeekStart::as_str, WeekStart::parse);
        assert_eq!(DateOrder::ALL.len(), 3);
        assert_eq!(WeekStart::ALL.len(), 3);
    }
}
