//! Group commit of a clinic's concurrent vital-sign sets (issue 13).
//!
//! Every write of a clinic takes the next revision from the clinic's counter row, which stays
//! locked until the transaction commits (DESIGN.md, sync invariant 1: revisions gap-free and
//! visible in commit order). A clinic's writes therefore commit one after another, each holding
//! the lock through its last round trips and its commit's disk flush: about 1.4 ms a write on
//! 2 loaded cores, whatever the hardware has to spare. Here the sets that a clinic's requests
//! record while one transaction is under way wait for it, then go together: one transaction, one
//! multi-row insert, one multi-row audit insert, one commit and one flush for all of them. The
//! invariants hold as they are: the same trigger stamps each row from the same counter, every
//! set has its audit entry in its own transaction, and a request is answered only after its
//! set has committed.
//!
//! Only what is plainly new goes in a group: a set whose id the clinic has already seen (a
//! replay), whose patient is missing, deleted or merged away, or whose id repeats within the
//! group, and every set of a group whose transaction fails, is recorded alone afterwards through
//! [`super::vitals::record_vitals`], so its answer (200 replay, 409, 404, the error) is exactly
//! what it would have been without grouping. A pushed outbox's runs of sets go through the same
//! [`plainly_new`] and [`insert_group`] (`sync::record_vitals_run`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use medoffice_model::{AdministrativeSex, AgeAt, NewVitalSigns, VitalSigns};
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::vitals::{consciousness_text, record_vitals, vitals_cols, vitals_from_row};
use crate::auth::Actor;
use crate::db;
use crate::error::{AppError, AppResult};

/// Most sets in one group: enough to take a burst of every pooled connection's clients, few
/// enough that one transaction stays short.
const MAX_GROUP: usize = 128;

/// How long a clinic's task waits for another set before it ends.
const IDLE: std::time::Duration = std::time::Duration::from_secs(5);

/// One request's set, waiting for its group.
struct Job {
    actor: Actor,
    id: Uuid,
    patient_id: Uuid,
    new: NewVitalSigns,
    reply: oneshot::Sender<AppResult<(VitalSigns, bool)>>,
}

/// The per-process group committer: one queue and one task per clinic with sets in flight.
#[derive(Clone)]
pub struct VitalsBatcher {
    pool: PgPool,
    queues: Arc<Mutex<HashMap<Uuid, mpsc::UnboundedSender<Job>>>>,
}

impl VitalsBatcher {
    /// A batcher over `pool` (tasks start with the first set of each clinic).
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            queues: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Records `new` for `patient_id` as `actor` and answers as [`record_vitals`] does: the
    /// set, and whether it was created now (`false`: the same set was recorded before); 403
    /// without the permission, 422 by field, 404 for a patient not in the clinic.
    pub async fn record(
        &self,
        actor: Actor,
        patient_id: Uuid,
        new: NewVitalSigns,
    ) -> AppResult<(VitalSigns, bool)> {
        actor.require(medoffice_model::Permission::VitalSignsWrite)?;
        new.validate(chrono::Utc::now())
            .map_err(AppError::Validation)?;
        let id = new.id.unwrap_or_else(Uuid::now_v7);
        let tenant = actor.tenant_id;
        let (reply, answer) = oneshot::channel();
        let mut job = Job {
            actor,
            id,
            patient_id,
            new,
            reply,
        };
        // a queue whose task just ended refuses the job: start a new one and send again
        loop {
            let sender = {
                let mut queues = self
                    .queues
                    .lock()
                    .map_err(|_| AppError::Internal(anyhow::anyhow!("vitals batcher poisoned")))?;
                match queues.get(&tenant) {
                    Some(s) if !s.is_closed() => s.clone(),
                    _ => {
                        let (tx, rx) = mpsc::unbounded_channel();
                        queues.insert(tenant, tx.clone());
                        tokio::spawn(self.clone().run(tenant, rx));
                        tx
                    }
                }
            };
            match sender.send(job) {
                Ok(()) => break,
                Err(mpsc::error::SendError(j)) => job = j,
            }
        }
        answer
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("vitals batcher stopped")))?
    }

    /// A clinic's task: waits for a set, takes every set queued behind it, records them, and
    /// again. After [`IDLE`] with nothing queued it ends, closing and removing its queue under
    /// the map lock, so no set is left in a queue nobody reads (a sender still holding it finds
    /// it closed and starts another task).
    async fn run(self, tenant: Uuid, mut rx: mpsc::UnboundedReceiver<Job>) {
        loop {
            let first = match tokio::time::timeout(IDLE, rx.recv()).await {
                Ok(Some(j)) => j,
                Ok(None) => return,
                Err(_) => {
                    let next = {
                        let Ok(mut queues) = self.queues.lock() else {
                            return;
                        };
                        let next = rx.try_recv().ok();
                        if next.is_none() {
                            rx.close();
                            if queues.get(&tenant).is_some_and(|s| s.is_closed()) {
                                queues.remove(&tenant);
                            }
                        }
                        next
                    };
                    match next {
                        Some(j) => j,
                        None => {
                            // sent before the close: still to answer (`recv` waits for a send
                            // under way, then ends)
                            while let Some(j) = rx.recv().await {
                                self.record_group(tenant, vec![j]).await;
                            }
                            return;
                        }
                    }
                }
            };
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(j) => group.push(j),
                    Err(_) => break,
                }
            }
            // one group at a time: the sets that arrive while it commits make the next one (two
            // under way at once, one preparing while the other commits, split the same load
            // into smaller groups: 2,491 -> 2,114 sets/s, docs/bench/side-by-side.md)
            self.record_group(tenant, group).await;
        }
    }

    async fn record_group(&self, tenant: Uuid, jobs: Vec<Job>) {
        // a request that has ended (timed out, its client gone) is not recorded after the fact:
        // its client was told nothing was, and may send the set again
        let jobs: Vec<Job> = jobs.into_iter().filter(|j| !j.reply.is_closed()).collect();
        if jobs.is_empty() {
            return;
        }
        let (grouped, alone) = match self.try_group(tenant, jobs).await {
            Ok(split) => split,
            Err((AppError::Unavailable, jobs)) => {
                // no connection, or the commit's answer lost: one by one would wait for a
                // connection once per set; every set is answered 503 (send it again; a set
                // that did commit answers as a replay)
                tracing::warn!(%tenant, "the database was unreachable for a group of vital-sign sets");
                for job in jobs {
                    let _ = job.reply.send(Err(AppError::Unavailable));
                }
                return;
            }
            Err((e, jobs)) => {
                tracing::warn!(error = %e, %tenant, "a group of vital-sign sets failed; recording each alone");
                (Vec::new(), jobs)
            }
        };
        for (job, v) in grouped {
            let _ = job.reply.send(Ok((v, true)));
        }
        for job in alone {
            if job.reply.is_closed() {
                continue;
            }
            let r = self.record_alone(&job).await;
            let _ = job.reply.send(r);
        }
    }

    async fn record_alone(&self, job: &Job) -> AppResult<(VitalSigns, bool)> {
        let mut tx = db::tenant_tx(&self.pool, job.actor.tenant_id).await?;
        let mut new = job.new.clone();
        new.id = Some(job.id);
        let r = record_vitals(&mut tx, &job.actor, job.patient_id, new).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Records the plainly new sets of `jobs` in one transaction. Answers them with their rows,
    /// and the rest to record alone; on a failure, every job to record alone.
    #[allow(clippy::type_complexity)]
    async fn try_group(
        &self,
        tenant: Uuid,
        jobs: Vec<Job>,
    ) -> Result<(Vec<(Job, VitalSigns)>, Vec<Job>), (AppError, Vec<Job>)> {
        if jobs.len() == 1 {
            return Ok((Vec::new(), jobs));
        }
        let mut tx = match db::tenant_tx(&self.pool, tenant).await {
            Ok(tx) => tx,
            Err(e) => return Err((e.into(), jobs)),
        };
        let sets: Vec<(Uuid, Uuid, chrono::DateTime<chrono::Utc>)> = jobs
            .iter()
            .map(|j| (j.id, j.patient_id, j.new.measured_at))
            .collect();
        let plans = match plainly_new(&mut tx, tenant, &sets).await {
            Ok(p) => p,
            Err(e) => return Err((e, jobs)),
        };
        let mut group = Vec::new();
        let mut alone = Vec::new();
        for (job, plan) in jobs.into_iter().zip(plans) {
            match plan {
                Some(facts) => group.push((job, facts)),
                None => alone.push(job),
            }
        }
        if group.len() < 2 {
            drop(tx);
            alone.extend(group.into_iter().map(|(j, _)| j));
            return Ok((Vec::new(), alone));
        }
        let planned: Vec<Planned<'_>> = group
            .iter()
            .map(|(j, (age, sex))| Planned {
                actor: &j.actor,
                id: j.id,
                patient_id: j.patient_id,
                new: &j.new,
                age: *age,
                sex: *sex,
            })
            .collect();
        let inserted = insert_group(&mut tx, tenant, &planned).await;
        drop(planned);
        match inserted {
            Ok(rows) => match tx.commit().await {
                Ok(()) => {
                    let mut by_id: HashMap<Uuid, VitalSigns> =
                        rows.into_iter().map(|v| (v.id, v)).collect();
                    let mut answered = Vec::new();
                    for (job, _) in group {
                        match by_id.remove(&job.id) {
                            Some(v) => answered.push((job, v)),
                            // not possible: every row inserted is returned; answer it alone
                            None => alone.push(job),
                        }
                    }
                    Ok((answered, alone))
                }
                Err(e) => {
                    alone.extend(group.into_iter().map(|(j, _)| j));
                    Err((e.into(), alone))
                }
            },
            Err(e) => {
                drop(tx);
                alone.extend(group.into_iter().map(|(j, _)| j));
                Err((e, alone))
            }
        }
    }
}

/// A plainly new set, ready for [`insert_group`]: who records it, its id and patient, what it
/// holds, and the patient's age on the day measured and administrative sex (for its flags and
/// NEWS2).
pub(crate) struct Planned<'a> {
    pub actor: &'a Actor,
    pub id: Uuid,
    pub patient_id: Uuid,
    pub new: &'a NewVitalSigns,
    pub age: AgeAt,
    pub sex: AdministrativeSex,
}

/// Takes the clinic's counter (held to commit), then answers, for each `(set id, patient id,
/// measured at)`, the patient's age on the clinic's date of the measurement and their sex when
/// the set is plainly new: not stored yet, its id not repeated in `sets`, its patient in the
/// clinic, not deleted, and not merged away. `None` for the rest, which a caller records alone
/// through [`record_vitals`] so each gets exactly its own answer (replay, 404, the merge moves
/// it). One round trip after the counter. The sets must be valid already
/// (`NewVitalSigns::validate`): [`insert_group`] stores what it is given.
pub(crate) async fn plainly_new(
    conn: &mut sqlx::PgConnection,
    tenant: Uuid,
    sets: &[(Uuid, Uuid, chrono::DateTime<chrono::Utc>)],
) -> AppResult<Vec<Option<(AgeAt, AdministrativeSex)>>> {
    // the clinic's counter first, as every write takes it: a merge moving a patient's sets
    // holds it to its commit, so what is read next sees the merge (a set for a merged-away
    // patient goes alone, to the record kept) instead of inserting under the old record
    sqlx::query("SELECT 1 FROM tenant_counters WHERE tenant_id = $1 FOR NO KEY UPDATE")
        .bind(tenant)
        .execute(&mut *conn)
        .await?;
    let ids: Vec<Uuid> = sets.iter().map(|s| s.0).collect();
    let patients: Vec<Uuid> = sets.iter().map(|s| s.1).collect();
    // which ids exist already, each patient's standing record, date of birth and sex, the
    // zone; a function, so its plan cannot depend on which clinic a pooled connection planned
    // it for (migrations/server/0024_vitals_precheck.sql)
    #[allow(clippy::type_complexity)]
    let known: Vec<(
        i64,
        bool,
        Uuid,
        Option<NaiveDate>,
        Option<String>,
        Option<String>,
    )> = sqlx::query_as(
        "SELECT ord, stored, standing, date_of_birth, sex, time_zone \
             FROM medoffice_vitals_precheck($1, $2)",
    )
    .bind(&ids)
    .bind(&patients)
    .fetch_all(&mut *conn)
    .await?;
    let mut seen = HashSet::new();
    let repeated: HashSet<Uuid> = ids
        .iter()
        .filter(|id| !seen.insert(**id))
        .copied()
        .collect();
    let mut facts: HashMap<usize, (bool, Option<NaiveDate>, AdministrativeSex)> = HashMap::new();
    let mut tz = chrono_tz::UTC;
    for (ord, exists, standing, birth, sex, zone) in known {
        let i = (ord - 1) as usize;
        let sex = sex
            .as_deref()
            .and_then(AdministrativeSex::parse)
            .unwrap_or(AdministrativeSex::Unknown);
        // a merged-away patient's set goes alone, through the path that moves it
        let birth = birth.filter(|_| patients.get(i) == Some(&standing));
        facts.insert(i, (exists, birth, sex));
        if let Some(zone) = zone.and_then(|z| z.parse().ok()) {
            tz = zone;
        }
    }
    Ok(sets
        .iter()
        .enumerate()
        .map(|(i, (id, _, measured_at))| match facts.get(&i) {
            Some((false, Some(birth), sex)) if !repeated.contains(id) => {
                let day = measured_at.with_timezone(&tz).date_naive();
                Some((AgeAt::on(*birth, day), *sex))
            }
            _ => None,
        })
        .collect())
}

/// The group's sets in one insert (the revision trigger stamps each row in order), then their
/// audit entries in one insert. The caller holds the clinic's counter already ([`plainly_new`]
/// takes it), to the commit, as a single write holds it.
pub(crate) async fn insert_group(
    conn: &mut sqlx::PgConnection,
    tenant: Uuid,
    group: &[Planned<'_>],
) -> AppResult<Vec<VitalSigns>> {
    let n = group.len();
    let mut ids = Vec::with_capacity(n);
    let mut patients = Vec::with_capacity(n);
    let mut measured = Vec::with_capacity(n);
    let mut recorders = Vec::with_capacity(n);
    let (mut sys, mut dia, mut hr, mut rr) = (vec![], vec![], vec![], vec![]);
    let (mut temp, mut spo2, mut o2, mut acvpu) = (vec![], vec![], vec![], vec![]);
    let (mut weight, mut height, mut pain, mut notes) = (vec![], vec![], vec![], vec![]);
    let (mut offline, mut flags, mut news2) = (vec![], vec![], vec![]);
    for job in group {
        let (age, sex) = (&job.age, &job.sex);
        let m = &job.new.measurements;
        ids.push(job.id);
        patients.push(job.patient_id);
        measured.push(job.new.measured_at);
        recorders.push(job.actor.user_id);
        sys.push(m.systolic_mmhg);
        dia.push(m.diastolic_mmhg);
        hr.push(m.heart_rate_bpm);
        rr.push(m.respiratory_rate_bpm);
        temp.push(m.temperature_c);
        spo2.push(m.spo2_pct);
        o2.push(m.on_oxygen);
        acvpu.push(consciousness_text(m));
        weight.push(m.weight_kg);
        height.push(m.height_cm);
        pain.push(m.pain_score);
        notes.push(medoffice_model::clean_optional(&job.new.notes));
        offline.push(job.new.entered_offline.unwrap_or(false));
        // flag names are snake_case words: a comma never occurs in one
        flags.push(m.flags_for_age(Some(*age), *sex).join(","));
        news2.push(m.news2_for_age(Some(*age)));
    }
    let rows = sqlx::query(concat!(
        "INSERT INTO vital_signs (id, tenant_id, patient_id, measured_at, recorded_by, systolic_mmhg, diastolic_mmhg, \
         heart_rate_bpm, respiratory_rate_bpm, temperature_c, spo2_pct, on_oxygen, consciousness, weight_kg, height_cm, \
         pain_score, notes, entered_offline, flags, news2, created_by, updated_by) \
         SELECT id, $1, patient_id, measured_at, recorded_by, sys, dia, hr, rr, temp, spo2, o2, acvpu, weight, height, \
         pain, notes, offline, CASE WHEN flags = '' THEN '{}'::text[] ELSE string_to_array(flags, ',') END, news2, \
         recorded_by, recorded_by \
         FROM unnest($2::uuid[], $3::uuid[], $4::timestamptz[], $5::uuid[], $6::int[], $7::int[], $8::int[], $9::int[], \
         $10::float8[], $11::int[], $12::bool[], $13::text[], $14::float8[], $15::float8[], $16::int[], $17::text[], \
         $18::bool[], $19::text[], $20::int[]) WITH ORDINALITY AS s (id, patient_id, measured_at, recorded_by, sys, dia, \
         hr, rr, temp, spo2, o2, acvpu, weight, height, pain, notes, offline, flags, news2, ord) \
         ORDER BY ord RETURNING ",
        vitals_cols!()
    ))
    .bind(tenant)
    .bind(&ids)
    .bind(&patients)
    .bind(&measured)
    .bind(&recorders)
    .bind(&sys)
    .bind(&dia)
    .bind(&hr)
    .bind(&rr)
    .bind(&temp)
    .bind(&spo2)
    .bind(&o2)
    .bind(&acvpu)
    .bind(&weight)
    .bind(&height)
    .bind(&pain)
    .bind(&notes)
    .bind(&offline)
    .bind(&flags)
    .bind(&news2)
    .fetch_all(&mut *conn)
    .await?;
    let saved = rows
        .iter()
        .map(vitals_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let entries: Vec<(&Actor, Uuid, Uuid)> = group
        .iter()
        .map(|j| (j.actor, j.id, j.patient_id))
        .collect();
    crate::audit::record_successes(
        &mut *conn,
        tenant,
        "vital_signs.create",
        "vital_signs",
        &entries,
    )
    .await?;
    Ok(saved)
}
