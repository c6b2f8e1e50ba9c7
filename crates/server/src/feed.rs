//! The sync feed: "changes since R" as current state, in revision order (DESIGN.md, sync
//! invariant 2). Read inside one REPEATABLE READ snapshot so rows and cursor agree.

use medoffice_model::{Change, ChangesPage, Record, StaffMember};
use sqlx::{PgConnection, Row};

use crate::clinical::appointments::{appointment_cols, appointment_from_row};
use crate::clinical::availability::{availability_from_row, block_from_row};
use crate::clinical::patients::{patient_cols, patient_from_row};
use crate::clinical::rooms::room_from_row;
use crate::clinical::visit_types::visit_type_from_row;
use crate::clinical::vitals::{vitals_cols, vitals_from_row};
use crate::error::AppResult;
use crate::{availability_cols, block_cols, room_cols, visit_type_cols};

/// Largest page the feed answers.
pub const MAX_PAGE: i64 = 2000;

fn change(id: uuid::Uuid, revision: i64, deleted: bool, record: Record) -> Change {
    Change {
        id,
        revision,
        deleted,
        record,
    }
}

/// The revision below which a row can still be among the first `limit + 1` of the rows
/// `gathered` so far and the rows still to read (revisions are unique in a clinic); `i64::MAX`
/// while fewer than `limit + 1` are gathered.
fn bound(gathered: &[Change], limit: i64) -> i64 {
    let Ok(k) = usize::try_from(limit) else {
        return i64::MAX;
    };
    if gathered.len() <= k {
        return i64::MAX;
    }
    let mut revisions: Vec<i64> = gathered.iter().map(|c| c.revision).collect();
    *revisions.select_nth_unstable(k).1
}

/// Reads the rows of the current tenant with revision > `since`, at most `limit`, in
/// revision order. Call inside [`crate::db::tenant_snapshot`].
pub async fn read_changes(
    conn: &mut PgConnection,
    since: i64,
    limit: i64,
) -> AppResult<ChangesPage> {
    Ok(read_changes_and_revision(conn, since, limit).await?.0)
}

/// [`read_changes`], and the clinic's revision in the same snapshot (how far the feed goes).
pub async fn read_changes_and_revision(
    conn: &mut PgConnection,
    since: i64,
    limit: i64,
) -> AppResult<(ChangesPage, i64)> {
    let limit = limit.clamp(1, MAX_PAGE);
    // Each table gives its first limit+1 rows past the cursor; merged, the first `limit` are
    // the page, and anything beyond means more is waiting. Once limit+1 rows are in hand, a
    // later table's rows count only below the (limit+1)-th revision so far (`bound`): a
    // new workstation's first sync reads the tables one after another in long runs, and
    // without the bound every page also read and dropped a full page of the next table.
    let mut all: Vec<Change> = Vec::new();
    for row in sqlx::query(concat!(
        "SELECT ",
        patient_cols!(),
        " FROM patients WHERE revision > $1 AND revision < $3 ORDER BY revision LIMIT $2"
    ))
    .bind(since)
    .bind(limit + 1)
    .bind(bound(&all, limit))
    .fetch_all(&mut *conn)
    .await?
    {
        let p = patient_from_row(&row)?;
        all.push(change(p.id, p.revision, p.deleted, Record::Patient(p)));
    }
    for row in sqlx::query(concat!(
        "SELECT ",
        vitals_cols!(),
        ", deleted FROM vital_signs WHERE revision > $1 AND revision < $3 ORDER BY revision LIMIT $2"
    ))
    .bind(since)
    .bind(limit + 1)
    .bind(bound(&all, limit))
    .fetch_all(&mut *conn)
    .await?
    {
        let v = vitals_from_row(&row)?;
        let deleted: bool = row.try_get("deleted")?;
        all.push(change(v.id, v.revision, deleted, Record::VitalSigns(v)));
    }
    for row in sqlx::query(concat!(
        "SELECT ",
        appointment_cols!(),
        " FROM appointments WHERE revision > $1 AND revision < $3 ORDER BY revision LIMIT $2"
    ))
    .bind(since)
    .bind(limit + 1)
    .bind(bound(&all, limit))
    .fetch_all(&mut *conn)
    .await?
    {
        let a = appointment_from_row(&row)?;
        all.push(change(a.id, a.revision, a.deleted, Record::Appointment(a)));
    }
    for row in sqlx::query(
        "SELECT id, username, full_name, role, active, revision FROM users WHERE revision > $1 AND revision < $3 ORDER BY revision LIMIT $2",
    )
    .bind(since)
    .bind(limit + 1)
    .bind(bound(&all, limit))
    .fetch_all(&mut *conn)
    .await?
    {
        let s = staff_from_row(&row)?;
        all.push(change(s.id, s.revision, false, Record::User(s)));
    }
    for row in sqlx::query(concat!(
        "SELECT ",
        availability_cols!(),
        " FROM availability WHERE revision > $1 AND revision < $3 ORDER BY revision LIMIT $2"
    ))
    .bind(since)
    .bind(limit + 1)
    .bind(bound(&all, limit))
    .fetch_all(&mut *conn)
    .await?
    {
        let deleted: bool = row.try_get("deleted")?;
        let a = availability_from_row(&row)?;
        all.push(change(a.id, a.revision, deleted, Record::Availability(a)));
    }
    for row in sqlx::query(concat!(
        "SELECT ",
        block_cols!(),
        " FROM schedule_blocks WHERE revision > $1 AND revision < $3 ORDER BY revision LIMIT $2"
    ))
    .bind(since)
    .bind(limit + 1)
    .bind(bound(&all, limit))
    .fetch_all(&mut *conn)
    .await?
    {
        let b = block_from_row(&row)?;
        all.push(change(
            b.id,
            b.revision,
            b.deleted,
            Record::ScheduleBlock(b),
        ));
    }
    for row in sqlx::query(concat!(
        "SELECT ",
        room_cols!(),
        " FROM rooms WHERE revision > $1 AND revision < $3 ORDER BY revision LIMIT $2"
    ))
    .bind(since)
    .bind(limit + 1)
    .bind(bound(&all, limit))
    .fetch_all(&mut *conn)
    .await?
    {
        let r = room_from_row(&row)?;
        all.push(change(r.id, r.revision, false, Record::Room(r)));
    }
    for row in sqlx::query(concat!(
        "SELECT ",
        visit_type_cols!(),
        " FROM visit_types WHERE revision > $1 AND revision < $3 ORDER BY revision LIMIT $2"
    ))
    .bind(since)
    .bind(limit + 1)
    .bind(bound(&all, limit))
    .fetch_all(&mut *conn)
    .await?
    {
        let t = visit_type_from_row(&row)?;
        all.push(change(t.id, t.revision, false, Record::VisitType(t)));
    }
    all.sort_by_key(|c| c.revision);
    let has_more = all.len() as i64 > limit;
    all.truncate(limit as usize);
    let current: i64 = sqlx::query_scalar("SELECT revision FROM tenant_counters")
        .fetch_one(&mut *conn)
        .await?;
    let revision = if has_more {
        all.last().map(|c| c.revision).unwrap_or(since)
    } else {
        current.max(since)
    };
    Ok((
        ChangesPage {
            changes: all,
            revision,
            has_more,
        },
        current.max(revision),
    ))
}

/// Maps a `users` row to the directory entry the feed carries.
pub fn staff_from_row(row: &sqlx::postgres::PgRow) -> Result<StaffMember, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(StaffMember {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        full_name: row.try_get("full_name")?,
        role: medoffice_model::Role::parse(&role).unwrap_or(medoffice_model::Role::Receptionist),
        active: row.try_get("active")?,
        revision: row.try_get("revision")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use medoffice_model::Room;

    fn at(revision: i64) -> Change {
        let room = Room {
            id: uuid::Uuid::now_v7(),
            name: format!("Room {revision}"),
            active: true,
            revision,
        };
        change(room.id, revision, false, Record::Room(room))
    }

    #[test]
    fn the_bound_is_the_revision_past_the_page_once_a_page_and_one_are_in_hand() {
        let gathered: Vec<Change> = [9, 1, 5, 3].into_iter().map(at).collect();
        // a page of 2: three gathered are 1, 3, 5; a row must be below 5 to count
        assert_eq!(bound(&gathered, 2), 5);
        assert_eq!(bound(&gathered, 3), 9);
        // not yet a page and one: every row counts
        assert_eq!(bound(&gathered, 4), i64::MAX);
        assert_eq!(bound(&[], 1), i64::MAX);
    }
}
