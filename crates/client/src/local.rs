//! The local view: server rows from the cache with the outbox applied on top, so what a person
//! entered shows at once (a patient registered offline, with a provisional MRN; a check-in not
//! yet sent), marked `pending` until the server answers, or `rejected` with the reason.

use chrono::{DateTime, Utc};
use medoffice_model::search::{fold, SearchTerm};
use medoffice_model::{
    provisional_mrn, AdministrativeSex, AgeAt, Appointment, AppointmentField, AppointmentStatus,
    CorrectionNote, EntityKind, MutationKind, NewAppointment, NewPatient, NewVitalSignsForPatient,
    ObservationStatus, Patient, StaffMember, VitalSigns,
};
use serde_json::Value;
use uuid::Uuid;

use crate::cache::{phone_digits, Cache, CacheResult, OutboxEntry, OutboxFilter};
use crate::view::{AppointmentRow, CommandError, Local};

fn provisional_patient(id: Uuid, n: &NewPatient, at: DateTime<Utc>) -> Patient {
    Patient {
        id,
        mrn: provisional_mrn(id),
        given_name: n.given_name.clone(),
        family_name: n.family_name.clone(),
        date_of_birth: n.date_of_birth,
        sex: n.sex,
        phone: n.phone.clone(),
        email: n.email.clone(),
        address: n.address.clone(),
        city: n.city.clone(),
        state: n.state.clone(),
        postal_code: n.postal_code.clone(),
        country: n.country.clone(),
        preferred_language: n.preferred_language.clone(),
        interpreter_required: n.interpreter_required.unwrap_or(false),
        emergency_contact_name: n.emergency_contact_name.clone(),
        emergency_contact_phone: n.emergency_contact_phone.clone(),
        next_of_kin_name: n.next_of_kin_name.clone(),
        next_of_kin_relationship: n.next_of_kin_relationship,
        next_of_kin_phone: n.next_of_kin_phone.clone(),
        identifiers: n.identifiers.clone().unwrap_or_default(),
        allergies: n.allergies.clone().unwrap_or_default(),
        no_known_allergies: n.no_known_allergies.unwrap_or(false),
        notes: n.notes.clone(),
        first_seen_at: n.first_seen_at.or(Some(at.date_naive())),
        revision: 0,
        created_at: at,
        updated_at: at,
        deleted: false,
        replaced_by: None,
    }
}

fn provisional_vitals(
    id: Uuid,
    v: &NewVitalSignsForPatient,
    by: Uuid,
    at: DateTime<Utc>,
    age: Option<AgeAt>,
    sex: AdministrativeSex,
) -> VitalSigns {
    let m = &v.vitals.measurements;
    VitalSigns {
        id,
        patient_id: v.patient_id,
        measured_at: v.vitals.measured_at,
        recorded_by: by,
        measurements: m.clone(),
        notes: v.vitals.notes.clone(),
        entered_offline: v.vitals.entered_offline.unwrap_or(false),
        flags: m.flags_for_age(age, sex),
        news2: m.news2_for_age(age),
        status: ObservationStatus::Final,
        correction: None,
        revision: 0,
        created_at: at,
    }
}

fn provisional_appointment(id: Uuid, a: &NewAppointment) -> Appointment {
    Appointment {
        id,
        patient_id: a.patient_id,
        provider_id: a.provider_id,
        starts_at: a.starts_at,
        duration_minutes: a.duration_minutes,
        kind: a.kind,
        status: AppointmentStatus::Scheduled,
        reason: a.reason.clone(),
        notes: a.notes.clone(),
        overbooked: a.overbooked.unwrap_or(false),
        outside_hours_reason: a.outside_hours_reason.clone(),
        room_id: None,
        series_id: a.series_id,
        visit_type_id: a.visit_type_id,
        checked_in_at: None,
        revision: 0,
        deleted: false,
    }
}

/// Applies update mutations' fields onto a record (what the person will see once sent).
fn overlay<T: serde::Serialize + serde::de::DeserializeOwned + Clone>(
    record: T,
    entries: &[OutboxEntry],
) -> T {
    let mut v = match serde_json::to_value(&record) {
        Ok(v) => v,
        Err(_) => return record,
    };
    for e in entries.iter().filter(|e| e.state != "rejected") {
        // what an edit writes onto the record: its fields (and a check-in's desk time)
        let written = match &e.mutation.kind {
            MutationKind::EditPatient(_) => e.mutation.data(),
            MutationKind::EditAppointment { edit, .. } => {
                let mut w = e.mutation.data();
                // back to scheduled shows no check-in time: the server's trigger clears it
                let rescheduled = edit.changes.get(&AppointmentField::Status)
                    == Some(&Value::String(AppointmentStatus::Scheduled.as_str().into()));
                if let (true, Some(o)) = (rescheduled, w.as_object_mut()) {
                    o.insert(medoffice_model::CHECKED_IN_AT_FIELD.into(), Value::Null);
                }
                w
            }
            MutationKind::RegisterPatient(_)
            | MutationKind::DeletePatient
            | MutationKind::MergePatient(_)
            | MutationKind::RecordVitals(_)
            | MutationKind::CorrectVitals(_)
            | MutationKind::BookAppointment(_) => continue,
        };
        if let (Some(obj), Value::Object(changes)) = (v.as_object_mut(), written) {
            obj.extend(changes);
        }
    }
    serde_json::from_value(v).unwrap_or(record)
}

fn wrap<T>(record: T, entries: &[OutboxEntry]) -> Local<T> {
    Local {
        record,
        pending: entries.iter().any(|e| e.state != "rejected"),
        rejected: entries
            .iter()
            .rev()
            .find(|e| e.state == "rejected")
            .and_then(|e| e.error.clone()),
        held: entries
            .iter()
            .rev()
            .find(|e| e.state == "held")
            .and_then(|e| e.error.clone()),
    }
}

/// A patient as this workstation sees it.
pub fn patient(cache: &Cache, id: Uuid) -> Result<Option<Local<Patient>>, CommandError> {
    let entries = cache.outbox_for(id)?;
    let base = match cache.patient(id)? {
        Some(p) => p,
        None => match entries.iter().find_map(|e| match &e.mutation.kind {
            MutationKind::RegisterPatient(n) => Some((n, e.created_at)),
            _ => None,
        }) {
            Some((n, at)) => provisional_patient(id, n, at),
            None => return Ok(None),
        },
    };
    Ok(Some(wrap(overlay(base, &entries), &entries)))
}

/// The patient holds an identifier that reads as `typed` (case, spaces and punctuation aside).
fn holds_identifier(p: &Patient, typed: &str) -> bool {
    let key = medoffice_model::identifier_key(typed);
    !key.is_empty() && p.identifiers.iter().any(|i| i.search_key() == key)
}

/// `d` (digits) starts the MRN, is in the phone's digits, or reads as one of the identifiers.
fn digits_match(p: &Patient, d: &str) -> bool {
    p.mrn.starts_with(d) || phone_digits(p.phone.as_deref()).contains(d) || holds_identifier(p, d)
}

fn matches(p: &Patient, terms: &[SearchTerm]) -> bool {
    let name = format!(" {} {} ", fold(&p.given_name), fold(&p.family_name));
    terms.iter().all(|t| match t {
        SearchTerm::Name(n) => name.contains(&format!(" {n}")),
        SearchTerm::BirthDate(ds) => ds.contains(&p.date_of_birth),
        SearchTerm::Digits(d) => digits_match(p, d),
        SearchTerm::DigitGroups(groups) => {
            digits_match(p, &groups.concat()) || groups.iter().all(|g| digits_match(p, g))
        }
        SearchTerm::Mrn(m) => p.mrn.eq_ignore_ascii_case(m) || holds_identifier(p, m),
    })
}

/// Search over the cache plus local registrations, by family then given name.
pub fn search(
    cache: &Cache,
    terms: &[SearchTerm],
    limit: usize,
) -> Result<Vec<Local<Patient>>, CommandError> {
    let mut out: Vec<Local<Patient>> = Vec::new();
    let pending = cache.outbox_where(of(EntityKind::Patient, None), usize::MAX >> 1)?;
    let mut local_ids: Vec<Uuid> = pending.iter().map(|e| e.mutation.id).collect();
    local_ids.dedup();
    for p in cache.search_patients(terms, limit)? {
        let entries: Vec<OutboxEntry> = pending
            .iter()
            .filter(|e| e.mutation.id == p.id)
            .cloned()
            .collect();
        local_ids.retain(|id| *id != p.id);
        out.push(wrap(overlay(p, &entries), &entries));
    }
    for id in local_ids {
        if let Some(p) = patient(cache, id)? {
            if matches(&p.record, terms) && !out.iter().any(|o| o.record.id == id) {
                out.push(p);
            }
        }
    }
    out.sort_by(|a, b| {
        (
            a.record.family_name.to_lowercase(),
            a.record.given_name.to_lowercase(),
        )
            .cmp(&(
                b.record.family_name.to_lowercase(),
                b.record.given_name.to_lowercase(),
            ))
    });
    out.truncate(limit);
    Ok(out)
}

/// A patient's vital signs, newest first, local sets included.
/// Ages are counted on the clinic's (`tz`) calendar date of each measurement.
pub fn vitals_of(
    cache: &Cache,
    patient_id: Uuid,
    tz: chrono_tz::Tz,
) -> Result<Vec<Local<VitalSigns>>, CommandError> {
    let subject = patient(cache, patient_id)?.map(|p| (p.record.date_of_birth, p.record.sex));
    let queued = cache.outbox_where(
        of(EntityKind::VitalSigns, Some(patient_id)),
        usize::MAX >> 1,
    )?;
    // each set with the outbox entries about it (its creation, its corrections), in order
    let mut sets: Vec<(VitalSigns, Vec<OutboxEntry>)> = cache
        .vitals_of(patient_id)?
        .into_iter()
        .map(|v| (v, Vec::new()))
        .collect();
    for e in queued {
        if let Some((_, entries)) = sets.iter_mut().find(|(v, _)| v.id == e.mutation.id) {
            entries.push(e);
            continue;
        }
        if let MutationKind::RecordVitals(v) = &e.mutation.kind {
            if v.patient_id == patient_id {
                let day = v.vitals.measured_at.with_timezone(&tz).date_naive();
                let age = subject.map(|(b, _)| AgeAt::on(b, day));
                let sex = subject.map_or(AdministrativeSex::Unknown, |(_, s)| s);
                let rec = provisional_vitals(e.mutation.id, v, e.user_id, e.created_at, age, sex);
                sets.push((rec, vec![e]));
            }
        }
    }
    let mut out: Vec<Local<VitalSigns>> = sets
        .into_iter()
        .map(|(v, entries)| {
            let day = v.measured_at.with_timezone(&tz).date_naive();
            let age = subject.map(|(b, _)| AgeAt::on(b, day));
            let sex = subject.map_or(AdministrativeSex::Unknown, |(_, s)| s);
            wrap(corrected(v, &entries, age, sex), &entries)
        })
        .collect();
    out.sort_by_key(|v| std::cmp::Reverse(v.record.measured_at));
    Ok(out)
}

/// A set as it will be once its queued corrections are sent (refused ones left out): the
/// status, who corrected it and why, and for an amendment the new values with their flags and
/// NEWS2 for `age` and `sex` (as the server will compute them). A set already entered in error
/// takes no more corrections, as on the server.
fn corrected(
    mut v: VitalSigns,
    entries: &[OutboxEntry],
    age: Option<AgeAt>,
    sex: AdministrativeSex,
) -> VitalSigns {
    for e in entries.iter().filter(|e| e.state != "rejected") {
        let MutationKind::CorrectVitals(c) = &e.mutation.kind else {
            continue;
        };
        if v.status == ObservationStatus::EnteredInError {
            break;
        }
        if let (ObservationStatus::Amended, Some(m)) = (c.status, &c.measurements) {
            v.flags = m.flags_for_age(age, sex);
            v.news2 = m.news2_for_age(age);
            v.measurements = m.clone();
        }
        v.status = c.status;
        v.correction = Some(CorrectionNote {
            reason: c.reason.trim().to_owned(),
            by: e.user_id,
            at: e.created_at,
        });
    }
    v
}

/// One vital-signs set queued here (and not yet in the cache), as [`vitals_of`] shows it.
pub fn queued_vitals(
    cache: &Cache,
    id: Uuid,
    tz: chrono_tz::Tz,
) -> Result<Option<Local<VitalSigns>>, CommandError> {
    let Some(e) = cache
        .outbox_for(id)?
        .into_iter()
        .find(|e| matches!(e.mutation.kind, MutationKind::RecordVitals(_)))
    else {
        return Ok(None);
    };
    let MutationKind::RecordVitals(v) = &e.mutation.kind else {
        return Ok(None);
    };
    let day = v.vitals.measured_at.with_timezone(&tz).date_naive();
    let subject = patient(cache, v.patient_id)?.map(|p| (p.record.date_of_birth, p.record.sex));
    let age = subject.map(|(b, _)| AgeAt::on(b, day));
    let sex = subject.map_or(AdministrativeSex::Unknown, |(_, s)| s);
    let rec = provisional_vitals(e.mutation.id, v, e.user_id, e.created_at, age, sex);
    Ok(Some(wrap(rec, std::slice::from_ref(&e))))
}

/// Outbox entries of one kind of row, optionally naming one patient.
fn of(entity: EntityKind, patient_id: Option<Uuid>) -> OutboxFilter {
    OutboxFilter {
        entity: Some(entity),
        patient_id,
        ..Default::default()
    }
}

/// Server appointments with `pending` (appointment mutations) applied, plus local bookings,
/// all as they will be once sent, that `keep` accepts.
fn local_appointments(
    server: Vec<Appointment>,
    pending: Vec<OutboxEntry>,
    keep: impl Fn(&Appointment) -> bool,
) -> CacheResult<Vec<Local<Appointment>>> {
    let mut out = Vec::new();
    for a in server {
        let entries: Vec<OutboxEntry> = pending
            .iter()
            .filter(|e| e.mutation.id == a.id)
            .cloned()
            .collect();
        let a = overlay(a, &entries);
        // a pending move may take a server booking out of the range asked for
        if keep(&a) {
            out.push(wrap(a, &entries));
        }
    }
    for e in &pending {
        let MutationKind::BookAppointment(n) = &e.mutation.kind else {
            continue;
        };
        if out
            .iter()
            .any(|o: &Local<Appointment>| o.record.id == e.mutation.id)
        {
            continue;
        }
        {
            let entries: Vec<OutboxEntry> = pending
                .iter()
                .filter(|x| x.mutation.id == e.mutation.id)
                .cloned()
                .collect();
            let a = overlay(provisional_appointment(e.mutation.id, n), &entries);
            if keep(&a) {
                out.push(wrap(a, &entries));
            }
        }
    }
    Ok(out)
}

/// Every appointment mutation: status changes carry no patient or time, so a list of
/// bookings needs them all (there are few; vitals are the bulk of an outbox).
fn all_appointment_entries(cache: &Cache) -> CacheResult<Vec<OutboxEntry>> {
    cache.outbox_where(of(EntityKind::Appointment, None), usize::MAX >> 1)
}

/// One appointment as seen here.
pub fn appointment(cache: &Cache, id: Uuid) -> Result<Option<Local<Appointment>>, CommandError> {
    let server: Vec<Appointment> = cache.appointment(id)?.into_iter().collect();
    Ok(
        local_appointments(server, cache.outbox_for(id)?, |a| a.id == id)?
            .into_iter()
            .find(|a| a.record.id == id),
    )
}

/// A patient's appointments, newest first.
pub fn appointments_of(
    cache: &Cache,
    patient_id: Uuid,
) -> Result<Vec<Local<Appointment>>, CommandError> {
    let mut v = local_appointments(
        cache.appointments_of(patient_id)?,
        all_appointment_entries(cache)?,
        |a| a.patient_id == patient_id,
    )?;
    v.sort_by_key(|a| std::cmp::Reverse(a.record.starts_at));
    Ok(v)
}

/// Appointments starting in `[from, to)`, by time.
pub fn appointments_between(
    cache: &Cache,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Local<Appointment>>, CommandError> {
    let pending = all_appointment_entries(cache)?;
    let mut server = cache.appointments_between(from, to)?;
    // server bookings moved here by a change not yet sent start elsewhere on the server
    for e in &pending {
        let moved = e.state != "rejected"
            && matches!(&e.mutation.kind, MutationKind::EditAppointment { edit, .. }
                if edit.changes.contains_key(&AppointmentField::StartsAt));
        if moved && !server.iter().any(|a| a.id == e.mutation.id) {
            if let Some(a) = cache.appointment(e.mutation.id)? {
                server.push(a);
            }
        }
    }
    let mut v = local_appointments(server, pending, |a| a.starts_at >= from && a.starts_at < to)?;
    v.sort_by_key(|a| a.record.starts_at);
    Ok(v)
}

/// Adds the names a person needs to read a booking.
pub fn row(
    cache: &Cache,
    a: Local<Appointment>,
    staff: &[StaffMember],
) -> Result<AppointmentRow, CommandError> {
    let p = patient(cache, a.record.patient_id)?;
    let provider_name = staff
        .iter()
        .find(|s| s.id == a.record.provider_id)
        .map(|s| s.full_name.clone())
        .unwrap_or_default();
    Ok(AppointmentRow {
        patient_name: p
            .as_ref()
            .map(|p| format!("{}, {}", p.record.family_name, p.record.given_name))
            .unwrap_or_default(),
        patient_date_of_birth: p.as_ref().map(|p| p.record.date_of_birth),
        patient_sex: p.as_ref().map(|p| p.record.sex),
        patient_mrn: p.map(|p| p.record.mrn).unwrap_or_default(),
        provider_name,
        appointment: a,
    })
}
