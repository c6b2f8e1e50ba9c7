//! Recurring visits on a workstation (issue 12): a series planned against this workstation's
//! copy of the schedule and the hours (each occurrence that clashes or falls outside the hours
//! named, with a free time that day to move it to), booked as one booking per occurrence
//! carrying the series' id (each syncs on its own, offline too), and cancelled or moved "this
//! and all following" as a set of ordinary changes.

use chrono::{DateTime, Duration, Utc};
use medoffice_model::{AppointmentStatus, NewAppointment, Permission, Recurrence};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::view::{AppointmentRow, CommandError, ErrorCode};
use crate::writes::check_new_booking;
use crate::{local, Session, Workstation};

/// One occurrence of a planned series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PlannedVisit {
    /// When, as the rule gives it.
    pub starts_at: DateTime<Utc>,
    /// Why it cannot be booked as it is (a clash, outside the hours), in words; null when it can.
    pub problem: Option<String>,
    /// The first free time later that day with the same provider and length, to move it to.
    pub suggestion: Option<DateTime<Utc>>,
}

/// `plan_series` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SeriesPlan {
    /// Every occurrence, in order.
    pub visits: Vec<PlannedVisit>,
}

/// An error after `done` of `total` changes went through: said, so nobody repeats them.
fn partly(e: CommandError, done: usize, total: usize, what: &str) -> CommandError {
    if done == 0 {
        return e;
    }
    CommandError {
        message: format!("{done} of {total} {what}, then: {}", e.message),
        ..e
    }
}

/// Most occurrences "this and all following" changes at once (a series' own limit).
const SERIES_LIMIT: usize = medoffice_model::MAX_OCCURRENCES as usize;

/// Why `new` cannot be booked at `at` (as [`check_new_booking`] says it), or None.
fn problem_at(
    s: &Session,
    new: &NewAppointment,
    at: DateTime<Utc>,
    except: Option<Uuid>,
) -> Result<Option<String>, CommandError> {
    let mut probe = NewAppointment {
        starts_at: at,
        ..new.clone()
    };
    match check_new_booking(s, &mut probe, except) {
        Ok(()) => Ok(None),
        // this computer's own failure is not a property of the time
        Err(e) if e.code == ErrorCode::LocalCache || e.code == ErrorCode::Internal => Err(e),
        Err(e) => Ok(Some(e.message)),
    }
}

fn free_later_that_day(
    s: &Session,
    new: &NewAppointment,
    at: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, CommandError> {
    let (_, day_end) = s.day_bounds(at.with_timezone(&s.tz()).date_naive());
    let mut t = at + Duration::minutes(15);
    while t + Duration::minutes(i64::from(new.duration_minutes)) <= day_end {
        if problem_at(s, new, t, None)?.is_none() {
            return Ok(Some(t));
        }
        t += Duration::minutes(15);
    }
    Ok(None)
}

impl Workstation {
    /// The occurrences of `recurrence` from `new.starts_at`, each checked as a booking would be
    /// (hours, blocks, clashes) against this workstation's cache, with a free time later that
    /// day for each that cannot be booked. Books nothing. Field errors: `every`, `count`,
    /// `until`, and the booking's own.
    pub async fn plan_series(
        &self,
        new: NewAppointment,
        recurrence: Recurrence,
    ) -> Result<SeriesPlan, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentWrite)?;
        new.validate().map_err(CommandError::validation)?;
        let first = new.starts_at.with_timezone(&s.tz()).date_naive();
        recurrence
            .validate(first)
            .map_err(CommandError::validation)?;
        let mut visits = Vec::new();
        for at in recurrence.starts(&s.tz(), new.starts_at) {
            let problem = problem_at(&s, &new, at, None)?;
            let suggestion = match problem {
                Some(_) => free_later_that_day(&s, &new, at)?,
                None => None,
            };
            visits.push(PlannedVisit {
                starts_at: at,
                problem,
                suggestion,
            });
        }
        Ok(SeriesPlan { visits })
    }

    /// Books a series: one booking per start in `starts` (the plan's times, with those skipped
    /// left out and those moved changed), each like [`Workstation::book_appointment`] and all
    /// carrying one new series id. Every start is checked first; when any cannot be booked,
    /// nothing is and the error names the date. Should this computer fail part-way (a full
    /// disk), the error says how many were booked. At most 104 starts, at least 1.
    pub async fn book_series(
        &self,
        new: NewAppointment,
        starts: Vec<DateTime<Utc>>,
    ) -> Result<Vec<AppointmentRow>, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentWrite)?;
        if starts.is_empty() || starts.len() > SERIES_LIMIT {
            let mut f = medoffice_model::FieldErrors::new();
            f.add(
                "starts",
                format!("choose between 1 and {SERIES_LIMIT} visits"),
            );
            return Err(CommandError::validation(f));
        }
        for at in &starts {
            let one = NewAppointment {
                starts_at: *at,
                ..new.clone()
            };
            one.validate().map_err(CommandError::validation)?;
            if let Some(problem) = problem_at(&s, &one, *at, None)? {
                let when = s.wall_clock(*at);
                return Err(CommandError::new(
                    ErrorCode::Conflict,
                    format!("{when}: {problem}"),
                ));
            }
        }
        let series = Uuid::now_v7();
        let total = starts.len();
        let mut rows = Vec::new();
        for at in starts {
            let one = NewAppointment {
                id: None,
                starts_at: at,
                series_id: Some(series),
                ..new.clone()
            };
            match self.book_appointment(one).await {
                Ok(row) => rows.push(row),
                // checked above, so only a failure of this computer: say what was booked
                Err(e) => return Err(partly(e, rows.len(), total, "booked")),
            }
        }
        Ok(rows)
    }

    /// The live occurrences of `id`'s series from `id` on (its own included), by time.
    async fn following(
        &self,
        s: &Session,
        id: Uuid,
    ) -> Result<Vec<medoffice_model::Appointment>, CommandError> {
        let this = local::appointment(&s.cache(), id)?
            .ok_or_else(|| CommandError::new(ErrorCode::NotFound, "No such appointment"))?
            .record;
        let Some(series) = this.series_id else {
            return Ok(vec![this]);
        };
        let patient = this.patient_id;
        let far = this.starts_at + Duration::days(366 * 10);
        let mut out: Vec<_> = local::appointments_between(&s.cache(), this.starts_at, far)?
            .into_iter()
            .map(|a| a.record)
            // the patient too: a series is one patient's, whatever id a client sent
            .filter(|a| {
                a.series_id == Some(series) && a.patient_id == patient && a.status.is_live()
            })
            .collect();
        out.sort_by_key(|a| a.starts_at);
        out.truncate(SERIES_LIMIT);
        Ok(out)
    }

    /// Cancels `id` and every later live occurrence of its series, with `note` as the reason
    /// (required). Answers how many were cancelled. Each is an ordinary queued change.
    pub async fn cancel_series_from(&self, id: Uuid, note: String) -> Result<usize, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentWrite)?;
        let following = self.following(&s, id).await?;
        let todo: Vec<_> = following
            .into_iter()
            .filter(|a| a.status.can_become(AppointmentStatus::Cancelled))
            .collect();
        let total = todo.len();
        for (n, a) in todo.into_iter().enumerate() {
            if let Err(e) = self
                .set_appointment_status(a.id, AppointmentStatus::Cancelled, Some(note.clone()))
                .await
            {
                return Err(partly(e, n, total, "cancelled"));
            }
        }
        Ok(total)
    }

    /// Moves `id` and every later live occurrence of its series to `time` (clinic wall clock,
    /// `HH:MM`) on their own dates, with `provider_id` for `duration_minutes`. Every occurrence
    /// is checked first (hours, blocks, clashes, as [`Workstation::move_appointment`] does);
    /// when any cannot move, none does and the error names the date. Answers how many moved.
    pub async fn move_series_from(
        &self,
        id: Uuid,
        time: chrono::NaiveTime,
        duration_minutes: i32,
        provider_id: Uuid,
    ) -> Result<usize, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentWrite)?;
        let following = self.following(&s, id).await?;
        let tz = s.tz();
        let mut plan = Vec::new();
        for a in &following {
            let date = a.starts_at.with_timezone(&tz).date_naive();
            // as the rule's own occurrences: a skipped time is taken an hour later
            let Some(at) = medoffice_model::wall_clock_instant(&tz, date.and_time(time)) else {
                let mut f = medoffice_model::FieldErrors::new();
                let c = s.conventions();
                f.add(
                    "time",
                    format!("{} is not a time on {}", c.time(time), c.date(date)),
                );
                return Err(CommandError::validation(f));
            };
            let mut probe = NewAppointment {
                id: Some(a.id),
                patient_id: a.patient_id,
                provider_id,
                starts_at: at,
                duration_minutes,
                kind: a.kind,
                reason: None,
                notes: None,
                // an overbooked visit moves as overbooked again (as move_appointment rules)
                overbooked: Some(a.overbooked),
                outside_hours_reason: None,
                series_id: a.series_id,
                visit_type_id: a.visit_type_id,
            };
            probe.validate().map_err(CommandError::validation)?;
            if let Err(e) = check_new_booking(&s, &mut probe, Some(a.id)) {
                return Err(CommandError {
                    message: format!("{}: {}", s.conventions().date(date), e.message),
                    ..e
                });
            }
            plan.push((a.id, at));
        }
        let total = plan.len();
        for (n, (aid, at)) in plan.into_iter().enumerate() {
            if let Err(e) = self
                .move_appointment(aid, at, duration_minutes, provider_id, None)
                .await
            {
                return Err(partly(e, n, total, "moved"));
            }
        }
        Ok(total)
    }
}
