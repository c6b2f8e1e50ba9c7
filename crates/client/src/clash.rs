//! Booking clashes seen from this workstation's cache, refused at once with the booking that
//! holds the slot (the server checks again and is the authority).

use medoffice_model::NewAppointment;
use uuid::Uuid;

use crate::view::{CommandError, ErrorCode};
use crate::{local, Session};

/// A live booking of the same provider in the cache that overlaps `new` (leaving out
/// `except`, the booking being moved, and local bookings the server refused), as the error a
/// person sees, naming it.
pub(crate) fn clash_in_cache(
    s: &Session,
    new: &NewAppointment,
    except: Option<Uuid>,
) -> Result<Option<CommandError>, CommandError> {
    let end = new.starts_at + chrono::Duration::minutes(new.duration_minutes as i64);
    let day_start = new.starts_at - chrono::Duration::hours(24);
    let clash = local::appointments_between(&s.cache(), day_start, end)?
        .into_iter()
        .find(|a| {
            let r = &a.record;
            // a refused new booking (never on the server) holds no time; a server booking
            // whose later change was refused still does
            Some(r.id) != except
                && (a.rejected.is_none() || r.revision > 0)
                && r.provider_id == new.provider_id
                && r.status.is_live()
                && !r.overbooked
                && r.starts_at < end
                && new.starts_at
                    < r.starts_at + chrono::Duration::minutes(r.duration_minutes as i64)
        });
    Ok(clash.map(|c| {
        let who = local::patient(&s.cache(), c.record.patient_id)
            .ok()
            .flatten()
            .map(|p| {
                format!(
                    ": {}, {} (MRN {})",
                    p.record.family_name, p.record.given_name, p.record.mrn
                )
            })
            .unwrap_or_default();
        let mut e = CommandError::new(
            ErrorCode::Conflict,
            format!(
                "The provider already has a booking at {} for {} minutes{who}",
                s.wall_clock(c.record.starts_at),
                c.record.duration_minutes
            ),
        );
        e.conflicting_appointment_id = Some(c.record.id);
        e
    }))
}
