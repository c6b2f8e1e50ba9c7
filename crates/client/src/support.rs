//! Sync control and support tools: sync now, close, row counts, the outbox and a JSON dump of
//! the cache for support staff.

use medoffice_model::EntityKind;
use uuid::Uuid;

use crate::view::CommandError;
use crate::{access, cache, Workstation};

impl Workstation {
    /// Pulls the feed and pushes the outbox now (the engine does this by itself; the CLI and
    /// tests use it to wait for a known state).
    pub async fn sync_now(&self) -> Result<(), CommandError> {
        let s = self.session().await?;
        s.pull().await?;
        s.push_outbox().await?;
        Ok(())
    }

    /// Row counts of the cache: (patients, vital signs, appointments, staff).
    pub async fn cache_counts(&self) -> Result<(i64, i64, i64, i64), CommandError> {
        Ok(self.session().await?.cache().counts()?)
    }

    /// The whole cache as JSON, for support staff: cursor, server rows by kind (tombstones
    /// included), the outbox and open conflicts. Every patient written out is reported to the
    /// audit log (`patient.export`) under the signed-in person.
    pub async fn dump(&self) -> Result<serde_json::Value, CommandError> {
        let s = self.session().await?;
        let cache = s.cache();
        let rows = |e: EntityKind| -> Result<Vec<serde_json::Value>, CommandError> {
            Ok(cache
                .rows(e)?
                .into_iter()
                .map(|(id, revision, deleted, data)| {
                    serde_json::json!({"id": id, "revision": revision, "deleted": deleted, "data": data})
                })
                .collect())
        };
        let outbox: Vec<serde_json::Value> = cache
            .outbox(false, usize::MAX >> 1)?
            .into_iter()
            .map(|e| {
                serde_json::json!({
                    "seq": e.seq, "state": e.state, "error": e.error, "held_by": e.held_by,
                    "user_id": e.user_id, "created_at": e.created_at, "mutation": e.mutation.encode(),
                })
            })
            .collect();
        let conflicts: Vec<serde_json::Value> = cache
            .conflicts()?
            .into_iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id, "entity": c.entity, "entity_id": c.entity_id,
                    "user_id": c.user_id, "created_at": c.created_at, "conflict": c.conflict,
                })
            })
            .collect();
        let patients = rows(EntityKind::Patient)?;
        let exported: Vec<Uuid> = patients
            .iter()
            .filter_map(|p| p["id"].as_str().and_then(|id| Uuid::parse_str(id).ok()))
            .collect();
        let dump = serde_json::json!({
            "user": s.user,
            "cursor": cache.cursor()?,
            "patients": patients,
            "vital_signs": rows(EntityKind::VitalSigns)?,
            "appointments": rows(EntityKind::Appointment)?,
            "staff": rows(EntityKind::User)?,
            "availability": rows(EntityKind::Availability)?,
            "schedule_blocks": rows(EntityKind::ScheduleBlock)?,
            "rooms": rows(EntityKind::Room)?,
            "visit_types": rows(EntityKind::VisitType)?,
            "outbox": outbox,
            "conflicts": conflicts,
            "unreported_accesses": access::unreported_count(&cache)?,
        });
        drop(cache);
        // every record written out is a read of it: reported to the audit log
        s.patients_exported(&exported);
        Ok(dump)
    }

    /// Server rows of one kind in the cache, by id (see [`cache::Cache::rows`]).
    pub async fn cached_rows(
        &self,
        entity: EntityKind,
    ) -> Result<Vec<(Uuid, i64, bool, serde_json::Value)>, CommandError> {
        Ok(self.session().await?.cache().rows(entity)?)
    }

    /// Stops the sync engine without signing out (the app or CLI is closing); the cache is
    /// closed once no command still running holds the session.
    pub async fn close(&self) {
        let taken = self.session.write().await.take();
        if let Some(s) = taken {
            s.shutdown().await;
        }
    }

    /// Outbox entries (pending and rejected), oldest first.
    pub async fn outbox(&self) -> Result<Vec<cache::OutboxEntry>, CommandError> {
        Ok(self.session().await?.cache().outbox(false, 100_000)?)
    }
}
