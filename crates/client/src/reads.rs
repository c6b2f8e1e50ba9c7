//! Reads for the screens: patient search, charts, schedules and staff, all from the cache with
//! the outbox's local changes on top (see [`crate::local`]).

use chrono::NaiveDate;
use medoffice_model::search::parse_query_in;
use medoffice_model::{Patient, StaffMember};
use uuid::Uuid;

use crate::view::{AppointmentRow, CommandError, ErrorCode, Local, PatientChart};
use crate::{local, Workstation};

impl Workstation {
    /// Patients matching `query` (see `medoffice_model::search`; dates in the clinic's order), from the cache with local
    /// registrations on top, by name. The patients listed are reported to the audit log
    /// (`patient.search_shown`, once per person and patient in five minutes).
    pub async fn search_patients(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<Local<Patient>>, CommandError> {
        let s = self.session().await?;
        let terms = parse_query_in(query, s.conventions().date_order);
        let cache = s.cache();
        let mut out = local::search(&cache, &terms, limit.clamp(1, 500))?;
        drop(cache);
        out.truncate(limit);
        // the list read names and dates of birth: noted for the audit log off the typing path
        let shown: Vec<Uuid> = out.iter().map(|p| p.record.id).collect();
        if !shown.is_empty() {
            let s = s.clone();
            tokio::task::spawn_blocking(move || s.patients_shown(&shown));
        }
        Ok(out)
    }

    /// A patient's chart from the cache.
    pub async fn patient_chart(&self, patient_id: Uuid) -> Result<PatientChart, CommandError> {
        let s = self.session().await?;
        let cache = s.cache();
        // a merged-away record opens the record it was merged into, saying so
        let (patient_id, merged_from) = match cache.merged_into(patient_id)? {
            Some(into) => (into, cache.patient_any(patient_id)?),
            None => (patient_id, None),
        };
        let patient = local::patient(&cache, patient_id)?.ok_or_else(|| {
            CommandError::new(ErrorCode::NotFound, "No such patient on this workstation")
        })?;
        drop(cache);
        // the read happened here, not on the server: report it to the audit log
        s.chart_opened(patient_id);
        let cache = s.cache();
        let vitals = local::vitals_of(&cache, patient_id, s.tz())?;
        let staff = cache.staff()?;
        let appointments = local::appointments_of(&cache, patient_id)?
            .into_iter()
            .map(|a| local::row(&cache, a, &staff))
            .collect::<Result<_, _>>()?;
        let escalation_acks = crate::access::escalation_acks(&cache, patient_id)?;
        Ok(PatientChart {
            patient,
            vitals,
            appointments,
            staff,
            escalation_acks,
            merged_from,
        })
    }

    /// The day's appointments (clinic time zone), optionally of one provider.
    pub async fn day_appointments(
        &self,
        date: NaiveDate,
        provider_id: Option<Uuid>,
    ) -> Result<Vec<AppointmentRow>, CommandError> {
        let s = self.session().await?;
        let (from, to) = s.day_bounds(date);
        let cache = s.cache();
        let staff = cache.staff()?;
        local::appointments_between(&cache, from, to)?
            .into_iter()
            .filter(|a| provider_id.is_none_or(|p| a.record.provider_id == p))
            .map(|a| local::row(&cache, a, &staff))
            .collect()
    }

    /// Appointments from the start of `from` to the end of `to_inclusive` (clinic-local days,
    /// clinic time zone; a week view asks for 7 days at once), by time, optionally of one
    /// provider. Empty when `to_inclusive` is before `from`; at most 62 days are read.
    pub async fn appointments_between_dates(
        &self,
        from: NaiveDate,
        to_inclusive: NaiveDate,
        provider_id: Option<Uuid>,
    ) -> Result<Vec<AppointmentRow>, CommandError> {
        if to_inclusive < from {
            return Ok(Vec::new());
        }
        if (to_inclusive - from).num_days() > 62 {
            let mut f = medoffice_model::FieldErrors::new();
            f.add("to", "choose at most 62 days at once");
            return Err(CommandError::validation(f));
        }
        let s = self.session().await?;
        let (start, _) = s.day_bounds(from);
        let (_, end) = s.day_bounds(to_inclusive);
        let cache = s.cache();
        let staff = cache.staff()?;
        local::appointments_between(&cache, start, end)?
            .into_iter()
            .filter(|a| provider_id.is_none_or(|p| a.record.provider_id == p))
            .map(|a| local::row(&cache, a, &staff))
            .collect()
    }

    /// Active staff.
    pub async fn staff(&self) -> Result<Vec<StaffMember>, CommandError> {
        let s = self.session().await?;
        let staff = s.cache().staff()?;
        Ok(staff.into_iter().filter(|m| m.active).collect())
    }
}
