//! The review list: what sync could not settle on its own and a person must look at
//! (DESIGN.md, "Sync protocol" 5). Three kinds of item:
//! - a **field conflict**: a field of a patient or booking changed here and on the server since
//!   the edit's base revision; the server kept its value, and the person who edited chooses
//!   keep mine / keep theirs / a new value;
//! - a **refused** mutation: kept in the outbox with the server's reason (a booking into a slot
//!   taken meanwhile, a registration that fails a rule); the person corrects and resends it
//!   (rebooks) or discards it; what depends on it (vitals of that patient) is held meanwhile;
//! - a **possible duplicate**: two patients with the same name and date of birth (registered
//!   offline at two sites); the person opens both, or marks them as different people.

use chrono::{DateTime, Utc};
use medoffice_model::{
    AppointmentField, Edit, EntityKind, Mutation, MutationDecodeError, MutationKind, NewPatient,
    ObservationStatus, Patient, PatientField, Permission, PATIENT_EDITABLE_FIELDS,
};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::cache::{Cache, OutboxEntry};
use crate::view::{
    CommandError, ConflictChoice, ErrorCode, HeldEntry, Local, ReviewItem, ReviewList,
};
use crate::{internal, local, Session, Workstation};

/// A short description of an outbox entry for a person ("Vital signs for Smith, Ann").
fn describe(cache: &Cache, e: &OutboxEntry, s: &Session) -> String {
    let name_of = |id: Uuid| {
        local::patient(cache, id)
            .ok()
            .flatten()
            .map(|p| format!("{}, {}", p.record.family_name, p.record.given_name))
            .unwrap_or_else(|| "an unknown patient".into())
    };
    match &e.mutation.kind {
        MutationKind::RegisterPatient(_) => {
            format!("Registration of {}", name_of(e.mutation.id))
        }
        MutationKind::EditPatient(_) => format!("Edit of {}", name_of(e.mutation.id)),
        MutationKind::DeletePatient => format!("Removal of {}", name_of(e.mutation.id)),
        MutationKind::MergePatient(m) => format!(
            "Merge of {} into {}",
            name_of(e.mutation.id),
            name_of(m.into)
        ),
        MutationKind::RecordVitals(v) => format!(
            "Vital signs for {} measured {}",
            name_of(v.patient_id),
            s.wall_clock(v.vitals.measured_at)
        ),
        MutationKind::CorrectVitals(c) => {
            let what = match c.status {
                ObservationStatus::Amended => "Amendment",
                _ => "Entered-in-error mark",
            };
            let when = local::vitals_of(cache, c.patient_id, s.tz())
                .ok()
                .and_then(|l| l.into_iter().find(|v| v.record.id == e.mutation.id))
                .map(|v| format!(" measured {}", s.wall_clock(v.record.measured_at)))
                .unwrap_or_default();
            format!("{what} of vital signs for {}{when}", name_of(c.patient_id))
        }
        MutationKind::BookAppointment(a) => format!(
            "Booking for {} on {}",
            name_of(a.patient_id),
            s.wall_clock(a.starts_at)
        ),
        MutationKind::EditAppointment { .. } => {
            let whose = local::appointment(cache, e.mutation.id)
                .ok()
                .flatten()
                .map(|a| name_of(a.record.patient_id))
                .unwrap_or_else(|| "a booking".into());
            format!("Change to the booking of {whose}")
        }
    }
}

fn patient_title(cache: &Cache, id: Uuid) -> String {
    match local::patient(cache, id).ok().flatten() {
        Some(p) => format!(
            "{}, {} (MRN {})",
            p.record.family_name, p.record.given_name, p.record.mrn
        ),
        None => "a record no longer on this workstation".into(),
    }
}

impl Workstation {
    /// Edits a patient's demographics: only `changes` (wire names of
    /// [`PATIENT_EDITABLE_FIELDS`]) are sent, with the revision this workstation last saw, so
    /// the server merges them field by field. Validated here first with the same rules.
    pub async fn edit_patient(
        &self,
        patient_id: Uuid,
        changes: Map<String, Value>,
    ) -> Result<Local<Patient>, CommandError> {
        let s = self.session().await?;
        Self::require(&s, Permission::PatientWrite)?;
        let current = local::patient(&s.cache(), patient_id)?.ok_or_else(|| {
            CommandError::new(ErrorCode::NotFound, "No such patient on this workstation")
        })?;
        let mut fields = medoffice_model::FieldErrors::new();
        for k in changes.keys() {
            if !PATIENT_EDITABLE_FIELDS.contains(&k.as_str()) {
                fields.add(k, "cannot be changed");
            }
        }
        if changes.is_empty() {
            fields.add("body", "nothing was changed");
        }
        fields
            .clone()
            .into_result()
            .map_err(CommandError::validation)?;
        // validate the record as it would be after the edit
        let mut edited = serde_json::to_value(&current.record).map_err(internal)?;
        if let Some(o) = edited.as_object_mut() {
            for (k, v) in &changes {
                o.insert(k.clone(), v.clone());
            }
        }
        let edited: Patient = serde_json::from_value(edited).map_err(|e| {
            let mut f = medoffice_model::FieldErrors::new();
            f.add("body", e.to_string());
            CommandError::validation(f)
        })?;
        let as_new = NewPatient {
            id: Some(edited.id),
            given_name: edited.given_name,
            family_name: edited.family_name,
            date_of_birth: edited.date_of_birth,
            sex: edited.sex,
            phone: edited.phone,
            email: edited.email,
            address: edited.address,
            city: edited.city,
            state: edited.state,
            postal_code: edited.postal_code,
            country: edited.country,
            preferred_language: edited.preferred_language,
            interpreter_required: Some(edited.interpreter_required),
            emergency_contact_name: edited.emergency_contact_name,
            emergency_contact_phone: edited.emergency_contact_phone,
            next_of_kin_name: edited.next_of_kin_name,
            next_of_kin_relationship: edited.next_of_kin_relationship,
            next_of_kin_phone: edited.next_of_kin_phone,
            identifiers: Some(edited.identifiers),
            allergies: Some(edited.allergies),
            no_known_allergies: Some(edited.no_known_allergies),
            notes: edited.notes,
            first_seen_at: edited.first_seen_at,
        }
        .normalized();
        as_new
            .validate(s.today())
            .map_err(CommandError::validation)?;
        // send the normalized values of the changed fields only
        let normalized = serde_json::to_value(&as_new).map_err(internal)?;
        let changes = changes
            .keys()
            .filter_map(|k| PatientField::parse(k))
            .map(|f| {
                let v = normalized.get(f.as_str()).cloned().unwrap_or(Value::Null);
                (f, v)
            })
            .collect();
        let base = s.cache().patient(patient_id)?.map(|p| p.revision);
        let edit = Edit {
            base_revision: base.unwrap_or(0),
            changes,
        };
        self.enqueue(
            &s,
            Mutation::new(patient_id, MutationKind::EditPatient(edit)),
        )
        .await?;
        let p = local::patient(&s.cache(), patient_id)?;
        p.ok_or_else(|| internal("patient not readable"))
    }

    /// Everything to review, oldest first within each kind.
    pub async fn review_list(&self) -> Result<ReviewList, CommandError> {
        let s = self.session().await?;
        let cache = s.cache();
        let mut items = Vec::new();
        for c in cache.conflicts()? {
            items.push(ReviewItem::FieldConflict {
                id: c.id,
                entity: c.entity,
                entity_id: c.entity_id,
                title: match c.entity {
                    EntityKind::Patient => patient_title(&cache, c.entity_id),
                    _ => match local::appointment(&cache, c.entity_id)? {
                        Some(a) => format!(
                            "Booking of {} on {}",
                            patient_title(&cache, a.record.patient_id),
                            s.wall_clock(a.record.starts_at)
                        ),
                        None => "A booking no longer on this workstation".into(),
                    },
                },
                field: c.conflict.field.clone(),
                mine: c.conflict.mine.clone(),
                theirs: c.conflict.theirs.clone(),
                changed_by: c.conflict.changed_by.clone(),
                changed_at: c.conflict.changed_at,
                mine_by_me: c.user_id == s.user.id,
                created_at: c.created_at,
            });
        }
        let refused = cache.outbox_where(
            crate::cache::OutboxFilter {
                state: Some("rejected"),
                ..Default::default()
            },
            10_000,
        )?;
        for e in refused {
            let held = cache
                .outbox_held_by(e.mutation.id)?
                .iter()
                .map(|h| HeldEntry {
                    mutation_id: h.mutation.mutation_id,
                    what: describe(&cache, h, &s),
                })
                .collect();
            let details = e.error_details.clone();
            items.push(ReviewItem::Refused {
                mutation_id: e.mutation.mutation_id,
                entity: e.mutation.entity(),
                op: e.mutation.op(),
                entity_id: e.mutation.id,
                what: describe(&cache, &e, &s),
                reason: e.error.clone().unwrap_or_default(),
                fields: details.as_ref().and_then(|d| d.errors.clone()),
                conflicting_appointment_id: details
                    .as_ref()
                    .and_then(|d| d.details.as_ref())
                    .and_then(|d| d.get("conflicting_appointment_id"))
                    .and_then(Value::as_str)
                    .and_then(|s| Uuid::parse_str(s).ok()),
                data: e.mutation.data(),
                held,
                queued_at: e.created_at,
                mine_by_me: e.user_id == s.user.id,
                unreadable: false,
            });
        }
        // entries this version cannot read: shown so a person can discard them (never sent)
        for u in cache.unreadable_outbox()? {
            let entity = EntityKind::parse(&u.envelope.entity);
            let op = medoffice_model::MutationOp::parse(&u.envelope.op);
            let (Some(entity), Some(op)) = (entity, op) else {
                tracing::warn!(entity = %u.envelope.entity, op = %u.envelope.op,
                    "a queued change of a kind this version does not know (queued by a newer release)");
                continue;
            };
            tracing::warn!(mutation = %u.envelope.mutation_id, reason = %u.reason, "a queued change this version cannot send");
            let whose = u.envelope.patient_id().and_then(|p| {
                local::patient(&cache, p)
                    .ok()
                    .flatten()
                    .map(|p| format!(" to {}, {}", p.record.family_name, p.record.given_name))
            });
            items.push(ReviewItem::Refused {
                mutation_id: u.envelope.mutation_id,
                entity,
                op,
                entity_id: u.envelope.id,
                what: format!(
                    "A change{} this version cannot send",
                    whose.unwrap_or_default()
                ),
                reason: "It was saved by another version of medoffice and can no longer be \
                         sent. Note what it changed, discard it, and enter it again."
                    .into(),
                fields: None,
                conflicting_appointment_id: None,
                data: u.envelope.data,
                held: Vec::new(),
                queued_at: u.created_at,
                mine_by_me: u.user_id == s.user.id,
                unreadable: true,
            });
        }
        for (a, b) in cache.possible_duplicates()? {
            items.push(ReviewItem::PossibleDuplicate { a, b });
        }
        Ok(ReviewList { items })
    }

    /// Resolves a field conflict. `KeepTheirs` closes it; `KeepMine` and `Edit` send the value
    /// as a new edit from the revision now cached (which includes theirs, so it merges).
    pub async fn resolve_conflict(
        &self,
        conflict_id: Uuid,
        choice: ConflictChoice,
    ) -> Result<(), CommandError> {
        let s = self.session().await?;
        let c = s
            .cache()
            .conflicts()?
            .into_iter()
            .find(|c| c.id == conflict_id)
            .ok_or_else(|| {
                CommandError::new(ErrorCode::NotFound, "This conflict is already resolved")
            })?;
        let value = match choice {
            ConflictChoice::KeepTheirs => None,
            ConflictChoice::KeepMine => Some(c.conflict.mine.clone()),
            ConflictChoice::Edit { value } => Some(value),
        };
        if let Some(v) = value {
            match c.entity {
                EntityKind::Patient => {
                    let mut changes = Map::new();
                    changes.insert(c.conflict.field.clone(), v);
                    self.edit_patient(c.entity_id, changes).await?;
                }
                EntityKind::Appointment => {
                    Self::require(&s, Permission::AppointmentWrite)?;
                    let field = AppointmentField::parse(&c.conflict.field).ok_or_else(|| {
                        internal(format!("{} is not a booking field", c.conflict.field))
                    })?;
                    let base = s.cache().appointment(c.entity_id)?.map(|a| a.revision);
                    let edit = Edit {
                        base_revision: base.unwrap_or(0),
                        changes: [(field, v)].into(),
                    };
                    let kind = MutationKind::EditAppointment {
                        edit,
                        checked_in_at: None,
                    };
                    self.enqueue(&s, Mutation::new(c.entity_id, kind)).await?;
                }
                other => {
                    return Err(internal(format!(
                        "conflicts on {} cannot be resolved here",
                        other.as_str()
                    )))
                }
            }
        }
        s.cache().remove_conflict(conflict_id)?;
        s.after_local_write(c.entity);
        Ok(())
    }

    /// Sends a refused mutation again, corrected: `data` replaces what was queued (checked by
    /// the same rules as a new entry), or `None` to resend as it was (e.g. after the reason went
    /// away). What was held for it is released and follows it.
    pub async fn resend(
        &self,
        mutation_id: Uuid,
        data: Option<Value>,
    ) -> Result<Uuid, CommandError> {
        let s = self.session().await?;
        let entry = s
            .cache()
            .outbox_entry(mutation_id)?
            .filter(|e| e.state == "rejected")
            .ok_or_else(|| {
                CommandError::new(ErrorCode::NotFound, "No refused change with this id")
            })?;
        Self::queued_by_me(&s, &entry)?;
        let corrected = match data {
            None => None,
            Some(d) => Some(self.check_resend(&s, &entry, d).await?),
        };
        let new_id = s.cache().resend(mutation_id, corrected.as_ref())?;
        s.after_local_write(entry.mutation.entity());
        Ok(new_id)
    }

    /// The refused mutation with its body replaced by `data`, checked by the same rules as a
    /// new entry of its kind.
    async fn check_resend(
        &self,
        s: &Session,
        entry: &OutboxEntry,
        data: Value,
    ) -> Result<Mutation, CommandError> {
        let envelope = medoffice_model::MutationEnvelope {
            data,
            ..entry.mutation.encode()
        };
        let mut corrected = Mutation::decode(&envelope).map_err(|e| match e {
            MutationDecodeError::Invalid(f) => CommandError::validation(f),
            other @ MutationDecodeError::Unsupported { .. } => internal(other),
        })?;
        match &mut corrected.kind {
            MutationKind::RegisterPatient(n) => {
                Self::require(s, Permission::PatientWrite)?;
                *n = n.clone().normalized();
                n.validate(s.today()).map_err(CommandError::validation)?;
            }
            MutationKind::BookAppointment(n) => {
                Self::require(s, Permission::AppointmentWrite)?;
                n.validate().map_err(CommandError::validation)?;
                // checked here as when booked (and by the server again)
                crate::writes::check_new_booking(s, n, Some(entry.mutation.id))?;
            }
            MutationKind::RecordVitals(n) => {
                Self::require(s, Permission::VitalSignsWrite)?;
                n.vitals
                    .validate(s.now())
                    .map_err(CommandError::validation)?;
            }
            MutationKind::CorrectVitals(c) => {
                Self::require(s, Permission::VitalSignsWrite)?;
                c.validate().map_err(CommandError::validation)?;
            }
            MutationKind::MergePatient(_) => {
                Self::require(s, Permission::PatientWrite)?;
                Self::require(s, Permission::VitalSignsWrite)?;
            }
            // edits are checked by the server's merge, as when first sent
            MutationKind::EditPatient(_)
            | MutationKind::DeletePatient
            | MutationKind::EditAppointment { .. } => {}
        }
        Ok(corrected)
    }

    /// Moves a refused booking to another time (and provider): the rebooking of a slot that
    /// was taken meanwhile.
    pub async fn rebook(
        &self,
        mutation_id: Uuid,
        starts_at: DateTime<Utc>,
        provider_id: Uuid,
        duration_minutes: i32,
    ) -> Result<Uuid, CommandError> {
        let s = self.session().await?;
        let entry = s
            .cache()
            .outbox_entry(mutation_id)?
            .filter(|e| e.state == "rejected");
        if let Some(e) = &entry {
            Self::queued_by_me(&s, e)?;
        }
        let booking = entry.and_then(|e| match e.mutation.kind {
            MutationKind::BookAppointment(n) => Some(n),
            _ => None,
        });
        let Some(mut n) = booking else {
            return Err(CommandError::new(
                ErrorCode::NotFound,
                "No refused booking with this id",
            ));
        };
        n.starts_at = starts_at;
        n.provider_id = provider_id;
        n.duration_minutes = duration_minutes;
        self.resend(
            mutation_id,
            Some(serde_json::to_value(n).map_err(internal)?),
        )
        .await
    }

    /// Discards a refused mutation and what was held for it. Returns how many entries went.
    pub async fn discard(&self, mutation_id: Uuid) -> Result<usize, CommandError> {
        let s = self.session().await?;
        match s.cache().outbox_entry(mutation_id)? {
            Some(e) if e.state == "pending" => {
                return Err(CommandError::new(
                    ErrorCode::Conflict,
                    "This change is still waiting to be sent; only refused or held changes can be discarded",
                ));
            }
            Some(e) => Self::queued_by_me(&s, &e)?,
            // not a change this version reads: one set aside for review, if it is that
            None if s.cache().discard_unreadable(mutation_id)? => {
                tracing::info!(mutation = %mutation_id, "an unreadable queued change discarded by the user");
                s.after_local_write(EntityKind::Patient);
                return Ok(1);
            }
            None => {}
        }
        let gone = s.cache().discard(mutation_id)?;
        if gone.is_empty() {
            return Err(CommandError::new(
                ErrorCode::NotFound,
                "No queued change with this id",
            ));
        }
        let mut kinds: Vec<EntityKind> = gone.iter().map(|e| e.mutation.entity()).collect();
        kinds.dedup();
        for e in &gone {
            tracing::info!(mutation = %e.mutation.mutation_id, entity = e.mutation.entity().as_str(), "discarded by the user");
        }
        s.notify_changed(kinds);
        s.after_local_write(gone[0].mutation.entity());
        Ok(gone.len())
    }

    /// Refuses (`forbidden`) to correct, resend, rebook or discard a change another person
    /// queued on this shared workstation: it would go out under their name with someone
    /// else's correction, or vanish without them knowing. They sign in here to deal with it.
    fn queued_by_me(s: &Session, entry: &OutboxEntry) -> Result<(), CommandError> {
        if entry.user_id == s.user.id {
            return Ok(());
        }
        Err(CommandError::new(
            ErrorCode::Forbidden,
            "This change was entered by another person on this workstation; only they can \
             correct, resend or discard it. Ask them to sign in here to do so.",
        ))
    }

    /// Marks two patients as different people.
    pub async fn dismiss_duplicate(&self, a: Uuid, b: Uuid) -> Result<(), CommandError> {
        let s = self.session().await?;
        s.cache().dismiss_duplicate(a, b)?;
        s.recount_duplicates();
        s.after_local_write(EntityKind::Patient);
        Ok(())
    }
}
