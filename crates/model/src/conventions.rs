//! How a clinic writes dates and times: the order of day, month and year, the 12- or 24-hour
//! clock, and the first day of the week. These are the three CLDR locale preferences
//! (`dateFormats` field order, `hourCycle`, `weekData/firstDay`) that change what a typed date
//! means or where a calendar starts; a clinic chooses them once (`PATCH /api/v1/tenant`) and
//! every workstation shows and reads dates that way, whatever the computer's own locale. The
//! wire and the database keep ISO 8601 (`YYYY-MM-DD`, RFC 3339 instants) throughout.

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

#[cfg(test)]
mod tests {
    use super::*;

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
