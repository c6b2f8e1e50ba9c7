//! When the clinic can book: its opening hours, each provider's working hours, and one-off
//! blocks (a holiday the clinic is closed, a provider's leave, a meeting). Named after FHIR R4's
//! `availableTime` / `notAvailable` (HealthcareService, PractitionerRole). The clinic owns them
//! and the feed carries them, so every workstation has them offline; [`check_booking`] decides
//! whether a booking fits, on the workstation at once and on the server as the authority, and
//! [`open_intervals`] gives the bookable time the grid and the slot finder use.
//!
//! Hours are clinic wall-clock times in the clinic's IANA time zone: 09:00 stays 09:00 across a
//! daylight-saving change. A booking must fit inside one stretch of one day: stretches that
//! touch (`08:00–13:00, 13:00–17:00`, or a day to 24:00 and the next from 00:00) are not joined,
//! so a visit across midnight is refused unless neither the clinic nor the provider has hours
//! set. [`open_intervals`] gives the same stretches, so what the grid and the slot finder offer
//! is what [`check_booking`] accepts.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::FieldErrors;

/// A weekday as FHIR `daysOfWeek` codes it (`mon` … `sun`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS, ToSchema,
)]
#[ts(export)]
#[serde(rename_all = "lowercase")]
pub enum DayOfWeek {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl DayOfWeek {
    /// Monday first, as ISO 8601 counts.
    pub const ALL: [DayOfWeek; 7] = [
        Self::Mon,
        Self::Tue,
        Self::Wed,
        Self::Thu,
        Self::Fri,
        Self::Sat,
        Self::Sun,
    ];

    /// The weekday of a calendar date.
    pub fn of(date: NaiveDate) -> Self {
        Self::ALL[date.weekday().num_days_from_monday() as usize]
    }

    /// The day's name in English, plural ("Sundays"), for messages.
    pub fn plural(self) -> &'static str {
        match self {
            Self::Mon => "Mondays",
            Self::Tue => "Tuesdays",
            Self::Wed => "Wednesdays",
            Self::Thu => "Thursdays",
            Self::Fri => "Fridays",
            Self::Sat => "Saturdays",
            Self::Sun => "Sundays",
        }
    }
}

/// One stretch of one weekday (FHIR `availableTime` with a single day): `start`–`end` as `HH:MM`
/// clinic wall-clock time, `end` after `start`; `24:00` ends at midnight. A day with a lunch
/// break is two stretches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct AvailableTime {
    /// The weekday.
    pub day_of_week: DayOfWeek,
    /// Opens, `HH:MM`.
    pub start: String,
    /// Closes, `HH:MM` (`24:00` for midnight).
    pub end: String,
}

/// Minutes since midnight of `HH:MM` (00:00–24:00), or None.
pub fn minutes_of_day(time: &str) -> Option<u32> {
    let (h, m) = time.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl AvailableTime {
    /// `(start, end)` in minutes since midnight, when both are times and `end` is later.
    pub fn minutes(&self) -> Option<(u32, u32)> {
        let (s, e) = (minutes_of_day(&self.start)?, minutes_of_day(&self.end)?);
        (e > s).then_some((s, e))
    }
}

/// Opening hours of the clinic (`provider_id` null; `id` is the clinic's id) or one provider's
/// working hours (`id` is the provider's user id), as the feed carries them (`entity:
/// "availability"`). No stretch on a weekday means closed (or not working) that day. A clinic
/// with no opening hours set books at any time, as before hours existed; a provider with no
/// hours set works whenever the clinic is open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct Availability {
    /// The clinic's id, or the provider's user id.
    pub id: Uuid,
    /// The provider these are the working hours of; null for the clinic's opening hours.
    pub provider_id: Option<Uuid>,
    /// The stretches, Monday first.
    pub available_time: Vec<AvailableTime>,
    /// Feed revision.
    #[ts(type = "number")]
    pub revision: i64,
}

/// `PUT /api/v1/availability/clinic` and `PUT /api/v1/availability/providers/{id}` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct AvailabilityUpdate {
    /// The week's stretches; at most 4 a day, none overlapping on one day.
    pub available_time: Vec<AvailableTime>,
}

/// Most stretches one weekday may have.
pub const MAX_STRETCHES_A_DAY: usize = 4;

impl AvailabilityUpdate {
    /// Errors by field (`available_time[i]`), naming the stretch and what is wrong.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        for (i, t) in self.available_time.iter().enumerate() {
            let field = format!("available_time[{i}]");
            match (minutes_of_day(&t.start), minutes_of_day(&t.end)) {
                (None, _) => e.add(&field, "start must be a time like 08:00"),
                (_, None) => e.add(&field, "end must be a time like 18:00 (24:00 for midnight)"),
                (Some(s), Some(x)) if x <= s => e.add(&field, "end must be after start"),
                _ => {}
            }
        }
        for day in DayOfWeek::ALL {
            let mut spans: Vec<(u32, u32)> = self
                .available_time
                .iter()
                .filter(|t| t.day_of_week == day)
                .filter_map(AvailableTime::minutes)
                .collect();
            if spans.len() > MAX_STRETCHES_A_DAY {
                e.add(
                    "available_time",
                    format!(
                        "at most {MAX_STRETCHES_A_DAY} stretches on {}",
                        day.plural()
                    ),
                );
            }
            spans.sort_unstable();
            if spans.windows(2).any(|w| w[1].0 < w[0].1) {
                e.add(
                    "available_time",
                    format!("stretches on {} overlap", day.plural()),
                );
            }
        }
        e.into_result()
    }

    /// The stretches sorted by day and start, as stored.
    pub fn normalized(mut self) -> Self {
        self.available_time
            .sort_by_key(|t| (t.day_of_week, minutes_of_day(&t.start)));
        self
    }
}

/// Why a block of time is not bookable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// A public holiday or a day the clinic is closed.
    Holiday,
    /// A lunch break.
    Lunch,
    /// Leave (holiday, sickness, training away).
    Leave,
    /// A meeting.
    Meeting,
    /// Anything else; the reason says what.
    Other,
}

impl BlockKind {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Holiday => "holiday",
            Self::Lunch => "lunch",
            Self::Leave => "leave",
            Self::Meeting => "meeting",
            Self::Other => "other",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Holiday,
            Self::Lunch,
            Self::Leave,
            Self::Meeting,
            Self::Other,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A one-off stretch when nothing can be booked (FHIR `notAvailable`): for the whole clinic
/// (`provider_id` null: a closed date) or for one provider. As the feed carries it (`entity:
/// "schedule_block"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct ScheduleBlock {
    /// Id.
    pub id: Uuid,
    /// The provider it blocks; null blocks the whole clinic.
    pub provider_id: Option<Uuid>,
    /// Start (UTC).
    pub starts_at: DateTime<Utc>,
    /// End (UTC), after the start.
    pub ends_at: DateTime<Utc>,
    /// What kind of block.
    pub kind: BlockKind,
    /// Why, as staff will read it ("Christmas Day", "Team meeting").
    pub reason: String,
    /// Feed revision.
    #[ts(type = "number")]
    pub revision: i64,
    /// Removed.
    pub deleted: bool,
}

/// `POST /api/v1/schedule-blocks` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct NewScheduleBlock {
    /// Client-made id; the server makes one when absent (a repeat with the same id is answered
    /// with the block already made).
    #[serde(default)]
    #[ts(optional)]
    pub id: Option<Uuid>,
    /// The provider; absent or null blocks the whole clinic.
    #[serde(default)]
    #[ts(optional)]
    pub provider_id: Option<Uuid>,
    /// Start (UTC).
    pub starts_at: DateTime<Utc>,
    /// End (UTC).
    pub ends_at: DateTime<Utc>,
    /// What kind of block.
    pub kind: BlockKind,
    /// Why: 1–200 characters.
    pub reason: String,
}

/// Longest block: a year (a long leave is entered as one block).
pub const MAX_BLOCK_DAYS: i64 = 366;

impl NewScheduleBlock {
    /// Errors by field.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::new();
        if !crate::in_bookable_years(self.starts_at) {
            e.add("starts_at", crate::BOOKABLE_YEARS_TEXT);
        }
        if !crate::in_bookable_years(self.ends_at) {
            e.add("ends_at", crate::BOOKABLE_YEARS_TEXT);
        } else if self.ends_at <= self.starts_at {
            e.add("ends_at", "must be after the start");
        } else if self.ends_at - self.starts_at > Duration::days(MAX_BLOCK_DAYS) {
            e.add(
                "ends_at",
                format!("a block is at most {MAX_BLOCK_DAYS} days long"),
            );
        }
        let reason = self.reason.trim().chars().count();
        if reason == 0 {
            e.add("reason", "say why the time is blocked");
        } else if reason > 200 {
            e.add("reason", "must be at most 200 characters");
        }
        e.into_result()
    }
}

/// Why a booking does not fit the clinic's availability: the error code is
/// `outside_availability`, with [`Unavailable::details`] for a program and
/// [`Unavailable::message`] for a person.
#[derive(Debug, Clone, PartialEq)]
pub enum Unavailable {
    /// The clinic is not open that weekday.
    ClinicClosedDay(DayOfWeek),
    /// The clinic is open that day, but not for the whole visit.
    OutsideOpeningHours {
        /// The day's opening hours, e.g. `08:00–12:00, 13:00–18:00`.
        hours: String,
    },
    /// The provider does not work that weekday.
    ProviderOffDay(DayOfWeek),
    /// The provider works that day, but not for the whole visit.
    OutsideProviderHours {
        /// The provider's hours that day.
        hours: String,
    },
    /// A block (a closed date, leave, a meeting) overlaps the visit.
    Blocked {
        /// The block.
        block_id: Uuid,
        /// Its kind.
        kind: BlockKind,
        /// Its reason.
        reason: String,
        /// Whether it closes the whole clinic.
        whole_clinic: bool,
    },
}

/// Error code of a booking refused by [`check_booking`].
pub const OUTSIDE_AVAILABILITY: &str = "outside_availability";

impl Unavailable {
    /// In words, naming the provider where it is theirs ("Dr Lee does not work on Sundays").
    pub fn message(&self, provider: &str) -> String {
        match self {
            Self::ClinicClosedDay(d) => format!("The clinic is closed on {}", d.plural()),
            Self::OutsideOpeningHours { hours } => {
                format!("Outside the clinic's opening hours that day ({hours})")
            }
            Self::ProviderOffDay(d) => format!("{provider} does not work on {}", d.plural()),
            Self::OutsideProviderHours { hours } => {
                format!("Outside {provider}'s hours that day ({hours})")
            }
            Self::Blocked {
                reason,
                whole_clinic: true,
                ..
            } => format!("The clinic is closed then: {reason}"),
            Self::Blocked { reason, .. } => format!("{provider} is not available then: {reason}"),
        }
    }

    /// For `details`: `{"unavailable": "clinic_closed_day" | "outside_opening_hours" |
    /// "provider_off_day" | "outside_provider_hours" | "blocked", "block_id"?}`.
    pub fn details(&self) -> serde_json::Value {
        match self {
            Self::ClinicClosedDay(_) => serde_json::json!({ "unavailable": "clinic_closed_day" }),
            Self::OutsideOpeningHours { .. } => {
                serde_json::json!({ "unavailable": "outside_opening_hours" })
            }
            Self::ProviderOffDay(_) => serde_json::json!({ "unavailable": "provider_off_day" }),
            Self::OutsideProviderHours { .. } => {
                serde_json::json!({ "unavailable": "outside_provider_hours" })
            }
            Self::Blocked { block_id, .. } => {
                serde_json::json!({ "unavailable": "blocked", "block_id": block_id })
            }
        }
    }
}

/// What a booking is checked against: the clinic's opening hours, the provider's working hours
/// (either absent when not set) and the blocks that may overlap (the clinic's and this
/// provider's; others are ignored).
#[derive(Debug, Clone, Copy)]
pub struct AvailabilityRules<'a> {
    /// The clinic's opening hours.
    pub clinic: Option<&'a Availability>,
    /// The provider's working hours.
    pub provider: Option<&'a Availability>,
    /// Blocks; deleted ones and other providers' are skipped.
    pub blocks: &'a [ScheduleBlock],
}

fn day_spans(a: &Availability, day: DayOfWeek) -> Vec<(u32, u32)> {
    let mut v: Vec<(u32, u32)> = a
        .available_time
        .iter()
        .filter(|t| t.day_of_week == day)
        .filter_map(AvailableTime::minutes)
        .collect();
    v.sort_unstable();
    v
}

fn spans_text(spans: &[(u32, u32)]) -> String {
    let mut s = String::new();
    for (i, (a, b)) in spans.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        let _ = write!(s, "{}–{}", hhmm(*a), hhmm(*b));
    }
    s
}

fn minutes_since_midnight(t: NaiveDateTime, day: NaiveDate) -> i64 {
    (t - day.and_time(NaiveTime::MIN)).num_minutes()
}

fn blocks_for(blocks: &[ScheduleBlock], provider_id: Uuid) -> impl Iterator<Item = &ScheduleBlock> {
    blocks
        .iter()
        .filter(move |b| !b.deleted && b.provider_id.is_none_or(|p| p == provider_id))
}

/// Whether a visit of `minutes` from `starts_at` with `provider_id` fits: inside one stretch of
/// the clinic's opening hours and of the provider's working hours on the visit's local day (in
/// `tz`, the clinic's zone), and overlapping no block of the clinic or the provider. Blocks are
/// checked first (a closed date names its reason), then the clinic's hours, then the provider's.
pub fn check_booking<Tz: TimeZone>(
    tz: &Tz,
    rules: AvailabilityRules<'_>,
    provider_id: Uuid,
    starts_at: DateTime<Utc>,
    minutes: i32,
) -> Result<(), Unavailable> {
    let ends_at = starts_at + Duration::minutes(i64::from(minutes));
    if let Some(b) = blocks_for(rules.blocks, provider_id)
        .filter(|b| b.starts_at < ends_at && starts_at < b.ends_at)
        .min_by_key(|b| (b.provider_id.is_some(), b.starts_at))
    {
        return Err(Unavailable::Blocked {
            block_id: b.id,
            kind: b.kind,
            reason: b.reason.clone(),
            whole_clinic: b.provider_id.is_none(),
        });
    }
    let local_start = starts_at.with_timezone(tz).naive_local();
    let local_end = ends_at.with_timezone(tz).naive_local();
    let day = local_start.date();
    let weekday = DayOfWeek::of(day);
    let (from, to) = (
        minutes_since_midnight(local_start, day),
        minutes_since_midnight(local_end, day),
    );
    let fits = |spans: &[(u32, u32)]| {
        spans
            .iter()
            .any(|&(s, e)| i64::from(s) <= from && to <= i64::from(e))
    };
    if let Some(clinic) = rules.clinic {
        let spans = day_spans(clinic, weekday);
        if spans.is_empty() {
            return Err(Unavailable::ClinicClosedDay(weekday));
        }
        if !fits(&spans) {
            return Err(Unavailable::OutsideOpeningHours {
                hours: spans_text(&spans),
            });
        }
    }
    if let Some(provider) = rules.provider {
        let spans = day_spans(provider, weekday);
        if spans.is_empty() {
            return Err(Unavailable::ProviderOffDay(weekday));
        }
        if !fits(&spans) {
            return Err(Unavailable::OutsideProviderHours {
                hours: spans_text(&spans),
            });
        }
    }
    Ok(())
}

/// A stretch of time, UTC, `[starts_at, ends_at)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[ts(export)]
pub struct Interval {
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
}

fn intersect(a: &[(u32, u32)], b: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for &(s1, e1) in a {
        for &(s2, e2) in b {
            let (s, e) = (s1.max(s2), e1.min(e2));
            if s < e {
                out.push((s, e));
            }
        }
    }
    out.sort_unstable();
    out
}

/// The instant of clinic wall-clock time `t` in `tz`: the earlier one when the clock goes back,
/// and an hour later when the clock skips `t` (spring forward), so a skipped 02:30 is 03:30.
/// None only past the calendar. Every wall-clock rule of this crate (hours, recurring visits)
/// and the workstation's day bounds read times this one way.
pub fn wall_clock_instant<Tz: TimeZone>(tz: &Tz, t: NaiveDateTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&t)
        .earliest()
        .or_else(|| tz.from_local_datetime(&(t + Duration::hours(1))).earliest())
        .map(|d| d.with_timezone(&Utc))
}

/// The UTC bounds `[start, end)` of the clinic-local days from `from` to `to` (inclusive): from
/// the first day's midnight to the midnight after the last, read as [`wall_clock_instant`] reads
/// them (a zone whose clocks skip midnight starts that day an hour later).
pub fn day_bounds<Tz: TimeZone>(
    tz: &Tz,
    from: NaiveDate,
    to: NaiveDate,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let midnight = |d: NaiveDate| {
        let t = d.and_time(NaiveTime::MIN);
        wall_clock_instant(tz, t).unwrap_or_else(|| t.and_utc())
    };
    (midnight(from), midnight(to.succ_opt().unwrap_or(to)))
}

fn at_local<Tz: TimeZone>(tz: &Tz, day: NaiveDate, minutes: u32) -> Option<DateTime<Utc>> {
    wall_clock_instant(
        tz,
        day.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minutes)),
    )
}

/// The bookable time of `provider_id` for the local days from `from` to `to` (inclusive) in
/// `tz`: the clinic's hours meet the provider's, less every block. Stretches that touch stay
/// apart, as [`check_booking`] takes them. With neither hours set, every day is open from
/// midnight to midnight, less blocks.
pub fn open_intervals<Tz: TimeZone>(
    tz: &Tz,
    rules: AvailabilityRules<'_>,
    provider_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Interval> {
    let whole_day = vec![(0, 24 * 60)];
    let mut open: Vec<Interval> = Vec::new();
    for day in from.iter_days().take_while(|d| *d <= to) {
        let weekday = DayOfWeek::of(day);
        let clinic = rules
            .clinic
            .map_or_else(|| whole_day.clone(), |a| day_spans(a, weekday));
        let provider = rules
            .provider
            .map_or_else(|| whole_day.clone(), |a| day_spans(a, weekday));
        for (s, e) in intersect(&clinic, &provider) {
            let (Some(starts_at), Some(ends_at)) = (at_local(tz, day, s), at_local(tz, day, e))
            else {
                continue;
            };
            open.push(Interval { starts_at, ends_at });
        }
    }
    for b in blocks_for(rules.blocks, provider_id) {
        open = open
            .into_iter()
            .flat_map(|i| {
                if b.ends_at <= i.starts_at || i.ends_at <= b.starts_at {
                    return vec![i];
                }
                let mut parts = Vec::new();
                if i.starts_at < b.starts_at {
                    parts.push(Interval {
                        starts_at: i.starts_at,
                        ends_at: b.starts_at,
                    });
                }
                if b.ends_at < i.ends_at {
                    parts.push(Interval {
                        starts_at: b.ends_at,
                        ends_at: i.ends_at,
                    });
                }
                parts
            })
            .collect();
    }
    open
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use chrono_tz::Tz;

    fn at(s: &str) -> AvailableTime {
        // "mon 08:00-12:00"
        let (d, span) = s.split_once(' ').unwrap();
        let (start, end) = span.split_once('-').unwrap();
        AvailableTime {
            day_of_week: serde_json::from_value(serde_json::json!(d)).unwrap(),
            start: start.into(),
            end: end.into(),
        }
    }

    fn hours(provider: Option<Uuid>, spans: &[&str]) -> Availability {
        Availability {
            id: provider.unwrap_or_else(Uuid::nil),
            provider_id: provider,
            available_time: spans.iter().map(|s| at(s)).collect(),
            revision: 1,
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const LONDON: Tz = chrono_tz::Europe::London;

    #[test]
    fn validation_names_the_stretch_and_the_day() {
        let u = AvailabilityUpdate {
            available_time: vec![
                at("mon 08:00-12:00"),
                at("mon 11:00-13:00"),
                at("tue 9:00-10:00"),
                at("wed 10:00-10:00"),
                at("thu 08:00-24:00"),
            ],
        };
        let e = u.validate().unwrap_err();
        let s = serde_json::to_string(&e).unwrap();
        assert!(s.contains("stretches on Mondays overlap"), "{s}");
        assert!(
            s.contains("available_time[2]") && s.contains("start must be a time"),
            "{s}"
        );
        assert!(
            s.contains("available_time[3]") && s.contains("end must be after start"),
            "{s}"
        );
        assert!(!s.contains("available_time[4]"), "24:00 ends a day: {s}");
        let five = AvailabilityUpdate {
            available_time: [
                "08:00-09:00",
                "09:00-10:00",
                "10:00-11:00",
                "11:00-12:00",
                "12:00-13:00",
            ]
            .iter()
            .map(|s| at(&format!("fri {s}")))
            .collect(),
        };
        assert!(serde_json::to_string(&five.validate().unwrap_err())
            .unwrap()
            .contains("at most 4 stretches on Fridays"));
        assert_eq!(minutes_of_day("24:00"), Some(1440));
        assert_eq!(minutes_of_day("24:01"), None);
        assert_eq!(minutes_of_day("7:00"), None);
    }

    #[test]
    fn a_booking_fits_inside_one_stretch_of_both_hours() {
        let p = Uuid::now_v7();
        let clinic = hours(None, &["mon 08:00-18:00", "sat 09:00-13:00"]);
        let provider = hours(Some(p), &["mon 08:00-12:00", "mon 13:00-17:00"]);
        let r = AvailabilityRules {
            clinic: Some(&clinic),
            provider: Some(&provider),
            blocks: &[],
        };
        // 2026-12-07 is a Monday; London is on GMT in December
        assert_eq!(
            check_booking(&LONDON, r, p, utc("2026-12-07T08:00:00Z"), 30),
            Ok(())
        );
        assert_eq!(
            check_booking(&LONDON, r, p, utc("2026-12-07T11:30:00Z"), 30),
            Ok(()),
            "ends exactly at 12:00"
        );
        assert_eq!(
            check_booking(&LONDON, r, p, utc("2026-12-07T11:45:00Z"), 30),
            Err(Unavailable::OutsideProviderHours {
                hours: "08:00–12:00, 13:00–17:00".into()
            }),
            "runs into lunch"
        );
        assert_eq!(
            check_booking(&LONDON, r, p, utc("2026-12-07T17:30:00Z"), 30),
            Err(Unavailable::OutsideProviderHours {
                hours: "08:00–12:00, 13:00–17:00".into()
            })
        );
        assert_eq!(
            check_booking(&LONDON, r, p, utc("2026-12-07T07:45:00Z"), 30),
            Err(Unavailable::OutsideOpeningHours {
                hours: "08:00–18:00".into()
            })
        );
        assert_eq!(
            check_booking(&LONDON, r, p, utc("2026-12-06T10:00:00Z"), 30),
            Err(Unavailable::ClinicClosedDay(DayOfWeek::Sun))
        );
        assert_eq!(
            check_booking(&LONDON, r, p, utc("2026-12-12T10:00:00Z"), 30),
            Err(Unavailable::ProviderOffDay(DayOfWeek::Sat))
        );
        // someone else with no hours of their own works whenever the clinic is open
        let other = Uuid::now_v7();
        let r2 = AvailabilityRules {
            clinic: Some(&clinic),
            provider: None,
            blocks: &[],
        };
        assert_eq!(
            check_booking(&LONDON, r2, other, utc("2026-12-12T10:00:00Z"), 30),
            Ok(())
        );
        // no hours at all: anything goes, as before hours existed
        let none = AvailabilityRules {
            clinic: None,
            provider: None,
            blocks: &[],
        };
        assert_eq!(
            check_booking(&LONDON, none, other, utc("2026-12-06T23:30:00Z"), 60),
            Ok(())
        );
        assert_eq!(
            Unavailable::ProviderOffDay(DayOfWeek::Sat).message("Dr Lee"),
            "Dr Lee does not work on Saturdays"
        );
    }

    #[test]
    fn hours_are_wall_clock_across_daylight_saving() {
        let p = Uuid::now_v7();
        let clinic = hours(None, &["mon 09:00-17:00", "sun 00:00-24:00"]);
        let r = AvailabilityRules {
            clinic: Some(&clinic),
            provider: None,
            blocks: &[],
        };
        // summer (BST, UTC+1): 09:00 local is 08:00Z
        assert_eq!(
            check_booking(&LONDON, r, p, utc("2026-06-01T08:00:00Z"), 30),
            Ok(())
        );
        assert!(check_booking(&LONDON, r, p, utc("2026-06-01T07:30:00Z"), 30).is_err());
        // winter (GMT): 08:00Z is 08:00 local, before opening
        assert!(check_booking(&LONDON, r, p, utc("2026-11-30T08:00:00Z"), 30).is_err());
        // the day the clocks go forward (29 March 2026) is 23 hours long: open 00:00Z–23:00Z
        let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let open = open_intervals(&LONDON, r, p, day, day);
        assert_eq!(
            open,
            vec![Interval {
                starts_at: utc("2026-03-29T00:00:00Z"),
                ends_at: utc("2026-03-28T23:00:00Z") + Duration::hours(24)
            }]
        );
    }

    #[test]
    fn blocks_close_the_clinic_or_one_provider_and_say_why() {
        let p = Uuid::now_v7();
        let q = Uuid::now_v7();
        let clinic = hours(None, &["mon 08:00-18:00", "tue 08:00-18:00"]);
        let holiday = ScheduleBlock {
            id: Uuid::now_v7(),
            provider_id: None,
            starts_at: utc("2026-12-07T00:00:00Z"),
            ends_at: utc("2026-12-08T00:00:00Z"),
            kind: BlockKind::Holiday,
            reason: "Staff training day".into(),
            revision: 1,
            deleted: false,
        };
        let meeting = ScheduleBlock {
            id: Uuid::now_v7(),
            provider_id: Some(p),
            starts_at: utc("2026-12-08T10:00:00Z"),
            ends_at: utc("2026-12-08T11:00:00Z"),
            kind: BlockKind::Meeting,
            reason: "Team meeting".into(),
            revision: 2,
            deleted: false,
        };
        let mut removed = meeting.clone();
        removed.id = Uuid::now_v7();
        removed.starts_at = utc("2026-12-08T14:00:00Z");
        removed.ends_at = utc("2026-12-08T15:00:00Z");
        removed.deleted = true;
        let blocks = [holiday.clone(), meeting.clone(), removed];
        let r = AvailabilityRules {
            clinic: Some(&clinic),
            provider: None,
            blocks: &blocks,
        };
        let e = check_booking(&LONDON, r, q, utc("2026-12-07T09:00:00Z"), 30).unwrap_err();
        assert_eq!(
            e.message("Dr Lee"),
            "The clinic is closed then: Staff training day"
        );
        assert_eq!(e.details()["block_id"], serde_json::json!(holiday.id));
        let e = check_booking(&LONDON, r, p, utc("2026-12-08T10:45:00Z"), 30).unwrap_err();
        assert_eq!(
            e.message("Dr Lee"),
            "Dr Lee is not available then: Team meeting"
        );
        assert_eq!(
            check_booking(&LONDON, r, q, utc("2026-12-08T10:45:00Z"), 30),
            Ok(()),
            "another provider's meeting"
        );
        assert_eq!(
            check_booking(&LONDON, r, p, utc("2026-12-08T11:00:00Z"), 30),
            Ok(()),
            "right after the meeting"
        );
        assert_eq!(
            check_booking(&LONDON, r, p, utc("2026-12-08T14:00:00Z"), 30),
            Ok(()),
            "a removed block"
        );
        let from = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let to = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        assert_eq!(
            open_intervals(&LONDON, r, p, from, to),
            vec![
                Interval {
                    starts_at: utc("2026-12-08T08:00:00Z"),
                    ends_at: utc("2026-12-08T10:00:00Z")
                },
                Interval {
                    starts_at: utc("2026-12-08T11:00:00Z"),
                    ends_at: utc("2026-12-08T18:00:00Z")
                },
            ]
        );
        let new = NewScheduleBlock {
            id: None,
            provider_id: None,
            starts_at: holiday.ends_at,
            ends_at: holiday.starts_at,
            kind: BlockKind::Holiday,
            reason: " ".into(),
        };
        let s = serde_json::to_string(&new.validate().unwrap_err()).unwrap();
        assert!(s.contains("ends_at") && s.contains("say why"), "{s}");
    }
}
