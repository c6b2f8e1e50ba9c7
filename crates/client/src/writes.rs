//! Clinical writes: register a patient, record vital signs, book, move and move along an
//! appointment. Each is checked here, queued in the outbox (durably, in the cache) and sent
//! by the sync engine; the screens show it at once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use medoffice_model::{
    AppointmentField, AppointmentStatus, Mutation, MutationKind, NewAppointment, NewPatient,
    NewVitalSigns, NewVitalSignsForPatient, Patient, Permission, VitalSigns,
};
use uuid::Uuid;

use crate::hours::refusal_in_cache;
use crate::view::{AppointmentRow, CommandError, ConnectionState, ErrorCode, Local};
use crate::{clash_in_cache, internal, local, Session, Workstation};

/// What a workstation checks of a new booking before queueing it, the server's own rules from
/// its cache: a time outside the hours or in a block is refused (`outside_availability`, naming
/// why) unless `outside_hours_reason` is given by a role that may override (a reason for a time
/// that fits is dropped, as the server drops it); an overbooking needs its permission; a clash
/// with a live booking (leaving out `except`, the booking being replaced) is refused naming it.
/// Used by booking, by a refused booking sent again, and by each visit of a series.
pub(crate) fn check_new_booking(
    s: &Session,
    new: &mut NewAppointment,
    except: Option<Uuid>,
) -> Result<(), CommandError> {
    match refusal_in_cache(s, new.provider_id, new.starts_at, new.duration_minutes)? {
        Some(e) if new.outside_hours_reason.is_none() => return Err(e),
        Some(_) => Workstation::require(s, Permission::AppointmentOutsideHours)?,
        None => new.outside_hours_reason = None,
    }
    if new.overbooked.unwrap_or(false) {
        Workstation::require(s, Permission::AppointmentOverbook)?;
    } else if let Some(e) = clash_in_cache(s, new, except)? {
        return Err(e);
    }
    Ok(())
}

impl Workstation {
    /// Queues `m` durably in this user's outbox and tells the engine and the screens.
    pub(crate) async fn enqueue(&self, s: &Session, m: Mutation) -> Result<(), CommandError> {
        s.cache().enqueue(&m, s.user.id)?;
        s.after_local_write(m.entity());
        Ok(())
    }

    /// Registers a patient: validated here, saved to the outbox (durably), sent when online.
    /// Shows at once with a provisional MRN.
    pub async fn register_patient(&self, new: NewPatient) -> Result<Local<Patient>, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::PatientWrite)?;
        let mut new = new.normalized();
        new.validate(s.today()).map_err(CommandError::validation)?;
        let id = new.id.unwrap_or_else(Uuid::now_v7);
        new.id = Some(id);
        self.enqueue(&s, Mutation::new(id, MutationKind::RegisterPatient(new)))
            .await?;
        let p = local::patient(&s.cache(), id)?;
        p.ok_or_else(|| internal("registered patient not readable"))
    }

    /// The signed-in person acknowledges the escalation that `patient_id`'s set `vital_signs_id`
    /// calls for by its NEWS2 (RCP 2017 clinical response: 5–6 or a single red parameter,
    /// urgent review; 7 or more, emergency response). Kept here and reported to the server's
    /// audit log (offline too: sent when the server is back). Errors: `not_found` for a set
    /// this workstation does not have, `validation` for one that calls for no escalation (no
    /// NEWS2: incomplete, or a patient under 16), `forbidden` for a role that does not record
    /// vital signs. Acknowledging twice is harmless.
    pub async fn acknowledge_escalation(
        &self,
        patient_id: Uuid,
        vital_signs_id: Uuid,
    ) -> Result<crate::view::EscalationAck, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::VitalSignsWrite)?;
        let set = local::vitals_of(&s.cache(), patient_id, s.tz())?
            .into_iter()
            .find(|v| v.record.id == vital_signs_id)
            .ok_or_else(|| CommandError::new(ErrorCode::NotFound, "No such vital-sign set here"))?;
        let escalation = set
            .record
            .news2
            .map(|total| {
                medoffice_model::news2_risk(total, set.record.measurements.news2_has_red_score())
            })
            .and_then(medoffice_model::news2_escalation)
            .ok_or_else(|| {
                let mut f = medoffice_model::FieldErrors::new();
                f.add("vital_signs_id", "this set's NEWS2 calls for no escalation");
                CommandError::validation(f)
            })?;
        // as the cache keeps instants: to the microsecond
        let at = chrono::SubsecRound::trunc_subsecs(s.now(), 6);
        if crate::access::log_escalation_ack(
            &s.cache(),
            s.user.id,
            patient_id,
            vital_signs_id,
            escalation,
            at,
        )? {
            s.wake();
        }
        s.notify_changed(vec![medoffice_model::EntityKind::VitalSigns]);
        Ok(crate::view::EscalationAck {
            vital_signs_id,
            escalation,
            user_id: s.user.id,
            at,
        })
    }

    /// Records a vital-signs set for a patient known here.
    pub async fn record_vitals(
        &self,
        patient_id: Uuid,
        mut vitals: NewVitalSigns,
    ) -> Result<Local<VitalSigns>, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::VitalSignsWrite)?;
        if local::patient(&s.cache(), patient_id)?.is_none() {
            return Err(CommandError::new(
                ErrorCode::NotFound,
                "No such patient on this workstation",
            ));
        }
        vitals.validate(s.now()).map_err(CommandError::validation)?;
        let id = vitals.id.unwrap_or_else(Uuid::now_v7);
        vitals.id = Some(id);
        if vitals.entered_offline.is_none() {
            vitals.entered_offline = Some(s.status_state() != ConnectionState::Online);
        }
        let kind = MutationKind::RecordVitals(NewVitalSignsForPatient { patient_id, vitals });
        self.enqueue(&s, Mutation::new(id, kind)).await?;
        // just this set: a chart with years of history is not re-read for every entry
        let queued = local::queued_vitals(&s.cache(), id, s.tz())?;
        match queued {
            Some(v) => Ok(v),
            // already sent and answered by the engine meanwhile: it is in the cache
            None => local::vitals_of(&s.cache(), patient_id, s.tz())?
                .into_iter()
                .find(|v| v.record.id == id)
                .ok_or_else(|| internal("recorded vitals not readable")),
        }
    }

    /// Merges patient `id` (a duplicate) into `merge.into`, which stays, with the values the
    /// person chose for it (`medoffice_model::PatientMerge`). Queued like any write (offline
    /// too); the server moves every set and booking and leaves `id` as a tombstone, which the
    /// feed brings to every workstation. Both must be on this workstation (`not_found`).
    pub async fn merge_patient(
        &self,
        id: Uuid,
        merge: medoffice_model::PatientMerge,
    ) -> Result<Local<Patient>, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::PatientWrite)?;
        Self::require(&s, Permission::VitalSignsWrite)?;
        if merge.into == id {
            let mut f = medoffice_model::FieldErrors::new();
            f.add("into", "must be another patient");
            return Err(CommandError::validation(f));
        }
        for p in [id, merge.into] {
            if local::patient(&s.cache(), p)?.is_none() {
                return Err(CommandError::new(
                    ErrorCode::NotFound,
                    "No such patient on this workstation",
                ));
            }
        }
        let into = merge.into;
        self.enqueue(&s, Mutation::new(id, MutationKind::MergePatient(merge)))
            .await?;
        let cache = s.cache();
        let kept = local::patient(&cache, into)?;
        kept.ok_or_else(|| internal("the record kept is not readable"))
    }

    /// Corrects a recorded set of a patient known here: marks it entered in error, or amends
    /// its values, with a reason (`medoffice_model::correction`). Offline-safe: queued like any
    /// write, shown corrected at once. Refused here as the server would: a set not on this
    /// workstation (`not_found`), a person who neither recorded it nor is a clinician
    /// (`forbidden`), an amendment of a set entered in error (`conflict`), a bad body
    /// (`validation`). Marking a set entered in error twice changes nothing.
    pub async fn correct_vitals(
        &self,
        vital_signs_id: Uuid,
        correction: medoffice_model::VitalSignsCorrection,
    ) -> Result<Local<VitalSigns>, CommandError> {
        use medoffice_model::ObservationStatus;
        let s = self.session().await?;
        Self::require(&s, Permission::VitalSignsWrite)?;
        let patient_id = correction.patient_id;
        let find = |s: &crate::engine::Session| -> Result<Local<VitalSigns>, CommandError> {
            local::vitals_of(&s.cache(), patient_id, s.tz())?
                .into_iter()
                .find(|v| v.record.id == vital_signs_id)
                .ok_or_else(|| {
                    CommandError::new(
                        ErrorCode::NotFound,
                        "No such vital-signs set for this patient on this workstation",
                    )
                })
        };
        let set = find(&s)?;
        if !medoffice_model::may_correct_vitals(s.user.role, s.user.id, set.record.recorded_by) {
            return Err(CommandError::new(
                ErrorCode::Forbidden,
                "Only the person who recorded this set or a clinician may correct it",
            ));
        }
        correction.validate().map_err(CommandError::validation)?;
        if set.record.status == ObservationStatus::EnteredInError {
            if correction.status == ObservationStatus::EnteredInError {
                return Ok(set);
            }
            return Err(CommandError::new(
                ErrorCode::Conflict,
                "This set was marked entered in error: it cannot be amended. Record a new set instead.",
            ));
        }
        let kind = MutationKind::CorrectVitals(correction);
        self.enqueue(&s, Mutation::new(vital_signs_id, kind))
            .await?;
        find(&s)
    }

    /// Books an appointment. A time outside the clinic's or the provider's hours or in a block
    /// is refused at once as `outside_availability`, naming why, unless `outside_hours_reason`
    /// is given by a role that may override (a reason for a time that fits is dropped). A clash
    /// with a booking in the cache is refused at once, naming it. The server checks both again
    /// and is the authority (its exclusion constraint for clashes).
    pub async fn book_appointment(
        &self,
        mut new: NewAppointment,
    ) -> Result<AppointmentRow, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentWrite)?;
        new.validate().map_err(CommandError::validation)?;
        if local::patient(&s.cache(), new.patient_id)?.is_none() {
            let mut f = medoffice_model::FieldErrors::new();
            f.add("patient_id", "no such patient on this workstation");
            return Err(CommandError::validation(f));
        }
        check_new_booking(&s, &mut new, None)?;
        let id = new.id.unwrap_or_else(Uuid::now_v7);
        new.id = Some(id);
        self.enqueue(&s, Mutation::new(id, MutationKind::BookAppointment(new)))
            .await?;
        let cache = s.cache();
        let staff = cache.staff()?;
        let a = local::appointment(&cache, id)?
            .ok_or_else(|| internal("booked appointment not readable"))?;
        local::row(&cache, a, &staff)
    }

    /// Moves an appointment along its workflow (check in, start, complete, no-show, cancel).
    /// `note` (e.g. a cancellation reason) is appended to the notes. A check-in carries this
    /// workstation's clock as `checked_in_at`, so the waiting time counts from the desk even
    /// when the check-in is sent later; the row answered shows it at once.
    pub async fn set_appointment_status(
        &self,
        id: Uuid,
        status: AppointmentStatus,
        note: Option<String>,
    ) -> Result<AppointmentRow, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentWrite)?;
        let current = local::appointment(&s.cache(), id)?
            .ok_or_else(|| CommandError::new(ErrorCode::NotFound, "No such appointment"))?;
        if !current.record.status.can_become(status) {
            let mut f = medoffice_model::FieldErrors::new();
            f.add(
                "status",
                format!(
                    "cannot go from {} to {}",
                    current.record.status.as_str(),
                    status.as_str()
                ),
            );
            return Err(CommandError::validation(f));
        }
        if status == AppointmentStatus::Cancelled
            && note.as_deref().is_none_or(|n| n.trim().is_empty())
        {
            let mut f = medoffice_model::FieldErrors::new();
            f.add("note", "give a reason for the cancellation");
            return Err(CommandError::validation(f));
        }
        let mut changes = BTreeMap::new();
        changes.insert(
            AppointmentField::Status,
            serde_json::to_value(status).map_err(internal)?,
        );
        // the desk's moment of check-in, even if this is sent hours later; the server clamps
        // it to its own clock (Appointment::checked_in_at). Back to scheduled, the pending
        // view shows no check-in time (the server clears it; see local::overlay).
        let checked_in_at = (status == AppointmentStatus::CheckedIn
            && current.record.status != status)
            .then(Utc::now);
        if let Some(n) = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) {
            let notes = match &current.record.notes {
                Some(old) => format!("{old}\n{n}"),
                None => n,
            };
            changes.insert(AppointmentField::Notes, serde_json::Value::String(notes));
        }
        self.update_appointment(&s, id, changes, checked_in_at)
            .await
    }

    /// Moves (reschedules) a booking to `starts_at` for `duration_minutes` with `provider_id`:
    /// an outbox update from the revision seen here carrying only the changed fields.
    ///
    /// Refused at once, with the reason on the field concerned: a length outside 5–480
    /// minutes; a booking that is not `scheduled` or `checked_in` (the visit has started,
    /// ended or was called off); a start on a day before today (clinic time zone; moving to
    /// an earlier hour of today is allowed, the front desk fixes the day as it happens); a
    /// provider who is not an active staff member (the server's rule). A clash with another live booking
    /// of the provider in the cache is refused as `conflict` naming it
    /// (`conflicting_appointment_id`), as for a new booking; an overbooked visit skips that
    /// check and needs the overbook permission. A time outside the hours or in a block is
    /// refused as `outside_availability` unless `outside_hours_reason` is given with this move
    /// (an earlier override does not carry over to a new time), by a role that may; a move
    /// back inside the hours drops the override. The server checks again and is the
    /// authority: a move it refuses comes back as a refused change in the review list.
    pub async fn move_appointment(
        &self,
        id: Uuid,
        starts_at: DateTime<Utc>,
        duration_minutes: i32,
        provider_id: Uuid,
        outside_hours_reason: Option<String>,
    ) -> Result<AppointmentRow, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::AppointmentWrite)?;
        let current = local::appointment(&s.cache(), id)?
            .ok_or_else(|| CommandError::new(ErrorCode::NotFound, "No such appointment"))?;
        let r = current.record.clone();
        let mut f = medoffice_model::FieldErrors::new();
        if !r.status.can_move() {
            f.add(
                "status",
                format!(
                    "only scheduled or checked-in bookings can be moved; this one is {}",
                    r.status.as_str().replace('_', " ")
                ),
            );
        }
        medoffice_model::validate_duration(duration_minutes, &mut f);
        medoffice_model::validate_outside_hours_reason(outside_hours_reason.as_deref(), &mut f);
        if !medoffice_model::in_bookable_years(starts_at) {
            f.add("starts_at", medoffice_model::BOOKABLE_YEARS_TEXT);
        }
        let (today_start, _) = s.day_bounds(s.today());
        if starts_at < today_start {
            f.add("starts_at", "cannot be moved to a day in the past");
        }
        let staff = s.cache().staff()?;
        if !staff.iter().any(|m| m.id == provider_id && m.active) {
            f.add(
                "provider_id",
                "is not an active staff member of this clinic",
            );
        }
        f.into_result().map_err(CommandError::validation)?;
        let mut data = BTreeMap::new();
        if starts_at != r.starts_at {
            data.insert(
                AppointmentField::StartsAt,
                serde_json::to_value(starts_at).map_err(internal)?,
            );
        }
        if duration_minutes != r.duration_minutes {
            data.insert(AppointmentField::DurationMinutes, duration_minutes.into());
        }
        if provider_id != r.provider_id {
            data.insert(
                AppointmentField::ProviderId,
                serde_json::to_value(provider_id).map_err(internal)?,
            );
        }
        if data.is_empty() {
            return local::row(&s.cache(), current, &staff);
        }
        let outside = match refusal_in_cache(&s, provider_id, starts_at, duration_minutes)? {
            None => None,
            // only a reason given with this move overrides the hours (as the server rules)
            Some(e) => match outside_hours_reason {
                None => return Err(e),
                Some(reason) => {
                    Self::require(&s, Permission::AppointmentOutsideHours)?;
                    Some(reason.trim().to_owned())
                }
            },
        };
        // an override is always sent, so the server sees it was given for this move
        if outside != r.outside_hours_reason || outside.is_some() {
            data.insert(
                AppointmentField::OutsideHoursReason,
                serde_json::to_value(&outside).map_err(internal)?,
            );
        }
        let day = |t: DateTime<Utc>| t.with_timezone(&s.tz()).date_naive();
        if r.status == AppointmentStatus::CheckedIn && day(starts_at) != day(r.starts_at) {
            // the patient is here today, not on the new day: the visit waits for them again
            // (the server clears the check-in time with it)
            data.insert(
                AppointmentField::Status,
                serde_json::to_value(AppointmentStatus::Scheduled).map_err(internal)?,
            );
        }
        if r.overbooked {
            // moving an overbooked visit is overbooking again (as the server rules)
            Self::require(&s, Permission::AppointmentOverbook)?;
        } else {
            let probe = NewAppointment {
                id: Some(id),
                patient_id: r.patient_id,
                provider_id,
                starts_at,
                duration_minutes,
                kind: r.kind,
                reason: None,
                notes: None,
                overbooked: None,
                outside_hours_reason: None,
                series_id: None,
                visit_type_id: None,
            };
            if let Some(e) = clash_in_cache(&s, &probe, Some(id))? {
                return Err(e);
            }
        }
        self.update_appointment(&s, id, data, None).await
    }

    /// Queues an update of a booking (only the fields in `changes`, from the revision in the
    /// cache; `checked_in_at` with a check-in) and answers its row as it now shows here.
    pub(crate) async fn update_appointment(
        &self,
        s: &Session,
        id: Uuid,
        changes: BTreeMap<AppointmentField, serde_json::Value>,
        checked_in_at: Option<DateTime<Utc>>,
    ) -> Result<AppointmentRow, CommandError> {
        let base = s.cache().appointment(id)?.map(|a| a.revision).unwrap_or(0);
        let edit = medoffice_model::Edit {
            base_revision: base,
            changes,
        };
        let kind = MutationKind::EditAppointment {
            edit,
            checked_in_at,
        };
        self.enqueue(s, Mutation::new(id, kind)).await?;
        let cache = s.cache();
        let staff = cache.staff()?;
        let a =
            local::appointment(&cache, id)?.ok_or_else(|| internal("appointment not readable"))?;
        local::row(&cache, a, &staff)
    }
}
