//! Sync routes: the feed, the outbox push, and the WebSocket of live changes.

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Json;
use medoffice_model::{
    ApiErrorCode, ChangesPage, ErrorBody, Mutation, MutationDecodeError, MutationEnvelope,
    MutationKind, MutationResult, MutationStatus, PushRequest, PushResponse, ServerMessage,
    MAX_PUSH_BATCH,
};
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

use crate::audit;
use crate::auth::Actor;
use crate::clinical::{appointments, patients, vitals};
use crate::error::{AppError, AppResult};
use crate::{db, feed, ApiJson, AppState};

/// Query of `GET /api/v1/sync/changes`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ChangesQuery {
    /// Cursor: revisions greater than this are returned.
    #[serde(default)]
    pub since: i64,
    /// Page size (1–2000, default 500).
    pub limit: Option<i64>,
}

/// Every row of the clinic changed since `since`, as current state, in revision order.
#[utoipa::path(get, path = "/api/v1/sync/changes", params(ChangesQuery), tag = "sync",
    responses((status = 200, body = ChangesPage, headers(("x-clinic-revision" = i64,
        description = "The clinic's revision when the page was read: how far the feed goes now"),
        ("x-feed-epoch" = String, description = "The clinic's feed history (a UUID): when it changes (a restored database), a workstation's cursor means nothing and it downloads the clinic again from zero"))),
        (status = 401, body = ErrorBody)))]
pub async fn changes(
    State(st): State<AppState>,
    actor: Actor,
    Query(q): Query<ChangesQuery>,
) -> AppResult<([(&'static str, String); 2], Json<ChangesPage>)> {
    let mut tx = db::tenant_snapshot(&st.pool, actor.tenant_id).await?;
    let since = q.since.max(0);
    let (page, clinic_revision) =
        feed::read_changes_and_revision(&mut tx, since, q.limit.unwrap_or(500)).await?;
    let epoch: uuid::Uuid = sqlx::query_scalar("SELECT feed_epoch FROM tenants")
        .fetch_one(&mut *tx)
        .await?;
    let device = actor.device_id.as_deref().unwrap_or("");
    // A download of the whole clinic is audited as it begins, under every patient it can
    // carry: those of this snapshot, whose records are all at or below `clinic_revision`
    // (migration 0025). Its next pages, asked for by the same person there from exactly where
    // the last one ended, are then audited only under patients with records newer than that;
    // every other page in full.
    let (download, covered) = if since == 0 {
        let everyone: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM patients")
            .fetch_all(&mut *tx)
            .await?;
        (Some(everyone), Some(clinic_revision))
    } else {
        let covered: Option<i64> = sqlx::query_scalar(
            "SELECT revision FROM feed_downloads WHERE user_id = $1 AND device_id = $2 \
             AND feed_epoch = $3 AND next_since = $4 AND started_at > now() - interval '1 day'",
        )
        .bind(actor.user_id)
        .bind(device)
        .bind(epoch)
        .bind(since)
        .fetch_optional(&mut *tx)
        .await?;
        // a download's R past the clinic's revision belongs to another history
        (None, covered.filter(|r| *r <= clinic_revision))
    };
    tx.commit().await?;
    // who received which patients' records, before they leave (the snapshot above is
    // read-only): a page with none (staff, hours, rooms) needs no entry
    let patients = medoffice_model::patients_in(
        page.changes
            .iter()
            .filter(|c| c.revision > covered.unwrap_or(0)),
    );
    if covered.is_some() || !patients.is_empty() {
        let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
        if let Some(everyone) = &download {
            record_download(&mut tx, &actor, device, epoch, clinic_revision, everyone).await?;
        }
        if covered.is_some() {
            download_sent(&mut tx, &actor, device, since, &page).await?;
        }
        record_delivery(
            &mut tx,
            &actor,
            "sync.page",
            since,
            page.revision,
            &patients,
        )
        .await?;
        tx.commit().await?;
    }
    Ok((
        [
            (
                medoffice_model::CLINIC_REVISION_HEADER,
                clinic_revision.to_string(),
            ),
            (medoffice_model::FEED_EPOCH_HEADER, epoch.to_string()),
        ],
        Json(page),
    ))
}

/// Audits the start of a download of the whole clinic (a pull from revision 0) by `actor` on
/// workstation `device` (`""` for none): one `sync.full_download` entry for the clinic, one per
/// patient in `patients` ("revisions 0..`revision`"), and `revision` kept in `feed_downloads`
/// under the person, the workstation and `epoch`, so the download's pages need no entries of their own for
/// records up to it ([`download_sent`], migration 0025).
async fn record_download(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    device: &str,
    epoch: uuid::Uuid,
    revision: i64,
    patients: &[uuid::Uuid],
) -> Result<(), sqlx::Error> {
    audit::record(
        conn,
        actor,
        audit::AuditEntry::success("sync.full_download", "clinic", None, None),
    )
    .await?;
    audit::record_patients(
        conn,
        actor,
        "sync.full_download",
        patients,
        &format!("revisions 0..{revision}"),
    )
    .await?;
    sqlx::query(
        "INSERT INTO feed_downloads (tenant_id, user_id, device_id, feed_epoch, revision, next_since) \
         VALUES ($1, $2, $3, $4, $5, 0) \
         ON CONFLICT (tenant_id, user_id, device_id) DO UPDATE \
         SET feed_epoch = EXCLUDED.feed_epoch, revision = EXCLUDED.revision, next_since = 0, \
             started_at = now()",
    )
    .bind(actor.tenant_id)
    .bind(actor.user_id)
    .bind(device)
    .bind(epoch)
    .bind(revision)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves `actor`'s download on past `page`, sent from cursor `since`: its next page continues
/// it from the page's revision, and its last page (nothing more waits) ends it, so any later
/// pull is audited in full.
async fn download_sent(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    device: &str,
    since: i64,
    page: &ChangesPage,
) -> Result<(), sqlx::Error> {
    let q = if page.has_more {
        sqlx::query(
            "UPDATE feed_downloads SET next_since = $1 \
             WHERE user_id = $2 AND device_id = $3 AND next_since = $4",
        )
        .bind(page.revision)
    } else {
        sqlx::query(
            "DELETE FROM feed_downloads WHERE user_id = $1 AND device_id = $2 AND next_since = $3",
        )
    };
    q.bind(actor.user_id)
        .bind(device)
        .bind(since)
        .execute(conn)
        .await?;
    Ok(())
}

/// Audits one delivery of feed records to `actor` (a pulled page, `sync.page`; a page pushed
/// over the WebSocket, `sync.live_page`): one entry per patient whose records it carried,
/// naming the revisions, so each patient's accesses list it. Nothing for a page without
/// patients.
pub async fn record_delivery(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    action: &str,
    from: i64,
    to: i64,
    patients: &[uuid::Uuid],
) -> Result<(), sqlx::Error> {
    audit::record_patients(
        conn,
        actor,
        action,
        patients,
        &format!("revisions {from}..{to}"),
    )
    .await
}

/// Applies outbox mutations in order, each on its own: one rejected mutation does not stop the
/// others. A replayed `mutation_id` answers its first result and changes nothing.
///
/// The whole batch commits in one transaction, each mutation inside a savepoint that a refusal
/// rolls back; the plainly new sets of a run of vital-sign sets share one, as one group. One
/// commit per batch rather than per mutation: a morning's outbox drains in a few round trips
/// and disk syncs, and its revisions reach other workstations as one page
/// (DESIGN.md, sync invariant 1: "commit several writes in one transaction"). A failure of the
/// server itself (500/503) commits nothing; the client sends the batch again. A transaction
/// that PostgreSQL aborts for a clash with another (deadlock, serialization failure) is run
/// again here, up to `PUSH_ATTEMPTS` times, so a busy clinic sees no error for it.
#[utoipa::path(post, path = "/api/v1/sync/push", request_body = PushRequest, tag = "sync",
    responses((status = 200, body = PushResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "The database is unreachable, or the batch clashed with other writers on every attempt: nothing was written; send it again")))]
pub async fn push(
    State(st): State<AppState>,
    actor: Actor,
    ApiJson(req): ApiJson<PushRequest>,
) -> AppResult<Json<PushResponse>> {
    if req.mutations.len() > MAX_PUSH_BATCH {
        return Err(AppError::field(
            "mutations",
            format!("at most {MAX_PUSH_BATCH} per push"),
        ));
    }
    let mut attempt = 1;
    loop {
        match push_batch(&st, &actor, &req.mutations).await {
            Err(e) if is_clash(&e) => {
                if attempt >= PUSH_ATTEMPTS {
                    tracing::warn!(attempt, error = %e, "push clashed with other writers every time");
                    return Err(AppError::Unavailable);
                }
                tracing::info!(attempt, error = %e, "push clashed with another writer; retrying");
                // a short, random pause so the transactions that clashed do not meet again
                let pause = rand::Rng::gen_range(&mut rand::thread_rng(), 5..25) * attempt;
                tokio::time::sleep(Duration::from_millis(pause)).await;
                attempt += 1;
            }
            r => {
                let results = r?;
                for result in &results {
                    st.metrics.mutation(match result.status {
                        MutationStatus::Applied => "applied",
                        MutationStatus::Duplicate => "duplicate",
                        MutationStatus::Conflict => "conflict",
                        MutationStatus::Rejected => "rejected",
                    });
                }
                return Ok(Json(PushResponse { results }));
            }
        }
    }
}

/// How many times a push runs its transaction when PostgreSQL aborts it for a clash with
/// another transaction, before answering 503 (the client sends the batch again later).
const PUSH_ATTEMPTS: u64 = 4;

/// True for an error that says this transaction clashed with another and would succeed if
/// run again: a deadlock (SQLSTATE 40P01) or a serialization failure (40001). Nothing of it
/// committed, so running the whole batch again keeps every sync invariant.
fn is_clash(e: &AppError) -> bool {
    match e {
        AppError::Internal(e) => e.downcast_ref::<sqlx::Error>().is_some_and(|e| {
            crate::error::is_pg_code(e, "40P01") || crate::error::is_pg_code(e, "40001")
        }),
        _ => false,
    }
}

/// One attempt at a push: the whole batch in one transaction, committed at the end.
async fn push_batch(
    st: &AppState,
    actor: &Actor,
    mutations: &[MutationEnvelope],
) -> AppResult<Vec<MutationResult>> {
    let mut tx = db::tenant_tx(&st.pool, actor.tenant_id).await?;
    // replays answered from one lookup for the whole batch
    let ids: Vec<uuid::Uuid> = mutations.iter().map(|m| m.mutation_id).collect();
    let answered: std::collections::HashMap<uuid::Uuid, sqlx::types::Json<MutationResult>> =
        sqlx::query_as(
            "SELECT mutation_id, result FROM applied_mutations WHERE mutation_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    let mut results = Vec::with_capacity(mutations.len());
    let mut savepoint_open = false;
    let mut i = 0;
    while i < mutations.len() {
        let m = &mutations[i];
        if let Some(first) = answered.get(&m.mutation_id) {
            results.push(as_replay(first.0.clone()));
            i += 1;
            continue;
        }
        // one round trip: end the previous mutation's savepoint and open this one's
        let sql = if savepoint_open {
            "RELEASE SAVEPOINT mutation; SAVEPOINT mutation"
        } else {
            "SAVEPOINT mutation"
        };
        let run = vitals_run(&mutations[i..], &answered);
        if run.len() >= 2 {
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            savepoint_open = true;
            let mut grouped = record_vitals_run(&mut tx, actor, &run).await?;
            for (k, (envelope, _)) in run.iter().enumerate() {
                match grouped.remove(&k) {
                    Some(r) => results.push(r),
                    None => {
                        sqlx::raw_sql("RELEASE SAVEPOINT mutation; SAVEPOINT mutation")
                            .execute(&mut *tx)
                            .await?;
                        results.push(apply_one(&mut tx, actor, envelope).await?);
                    }
                }
            }
            i += run.len();
            continue;
        }
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        savepoint_open = true;
        results.push(apply_one(&mut tx, actor, m).await?);
        i += 1;
    }
    tx.commit().await?;
    Ok(results)
}

/// The vital-sign sets at the head of `mutations`, up to the first mutation of another kind, one
/// already answered, or one that does not decode: a run that [`record_vitals_run`] may record
/// as one group.
fn vitals_run<'a>(
    mutations: &'a [MutationEnvelope],
    answered: &std::collections::HashMap<uuid::Uuid, sqlx::types::Json<MutationResult>>,
) -> Vec<(
    &'a MutationEnvelope,
    medoffice_model::NewVitalSignsForPatient,
)> {
    let mut run = Vec::new();
    for m in mutations {
        // decoded only when it can be a set: every other mutation is decoded again where applied
        if answered.contains_key(&m.mutation_id) || m.entity != "vital_signs" || m.op != "create" {
            break;
        }
        match Mutation::decode(m) {
            Ok(Mutation {
                kind: MutationKind::RecordVitals(v),
                ..
            }) if v.vitals.id.is_some() => run.push((m, v)),
            _ => break,
        }
    }
    run
}

/// Records the plainly new sets of `run` as one group (one insert, one audit insert, one
/// insert of their answers; clinical/batch.rs) inside the savepoint `mutation` the caller
/// opened: a drained outbox is mostly vital signs, sent one round trip per statement before.
/// Answers the sets grouped, by position in `run`; the rest (a replay, a set refused, a patient
/// unknown, deleted or merged away, a repeated set or mutation id, or the whole run when the
/// group fails) the caller applies one by one, in order, after the group, so each gets the
/// answer it would have had alone. Their revisions then follow the group's rather than sitting between them: all commit
/// together, and a workstation keeps each row's own revision.
async fn record_vitals_run(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    run: &[(&MutationEnvelope, medoffice_model::NewVitalSignsForPatient)],
) -> AppResult<std::collections::HashMap<usize, MutationResult>> {
    use crate::clinical::batch::{insert_group, plainly_new, Planned};
    let mut answers = std::collections::HashMap::new();
    if actor
        .require(medoffice_model::Permission::VitalSignsWrite)
        .is_err()
    {
        return Ok(answers);
    }
    // a set id or a mutation id that occurs twice in the run goes alone each time: the later
    // one answers as the earlier did, which needs the earlier applied first
    let mut count: std::collections::HashMap<uuid::Uuid, usize> = std::collections::HashMap::new();
    let mut mutations: std::collections::HashMap<uuid::Uuid, usize> =
        std::collections::HashMap::new();
    for (m, v) in run {
        if let Some(id) = v.vitals.id {
            *count.entry(id).or_default() += 1;
        }
        *mutations.entry(m.mutation_id).or_default() += 1;
    }
    let now = chrono::Utc::now();
    // (position in the run, set id, patient, measured at) of each candidate, in one pass
    let candidates: Vec<(usize, uuid::Uuid, uuid::Uuid, chrono::DateTime<chrono::Utc>)> = run
        .iter()
        .enumerate()
        .filter_map(|(k, (m, v))| {
            let id = v.vitals.id?;
            (count.get(&id) == Some(&1)
                && mutations.get(&m.mutation_id) == Some(&1)
                && v.vitals.validate(now).is_ok())
            .then_some((k, id, v.patient_id, v.vitals.measured_at))
        })
        .collect();
    if candidates.len() < 2 {
        return Ok(answers);
    }
    let sets: Vec<_> = candidates.iter().map(|c| (c.1, c.2, c.3)).collect();
    let plans = match plainly_new(conn, actor.tenant_id, &sets).await {
        Ok(plans) => plans,
        Err(e) => return give_up_group(conn, "its pre-check", &e).await,
    };
    let (positions, planned): (Vec<usize>, Vec<Planned<'_>>) = candidates
        .iter()
        .zip(plans)
        .filter_map(|(&(k, id, patient_id, _), plan)| {
            let (age, sex) = plan?;
            Some((
                k,
                Planned {
                    actor,
                    id,
                    patient_id,
                    new: &run[k].1.vitals,
                    age,
                    sex,
                },
            ))
        })
        .unzip();
    if planned.len() < 2 {
        return Ok(answers);
    }
    let rows = match insert_group(conn, actor.tenant_id, &planned).await {
        Ok(rows) => rows,
        Err(e) => return give_up_group(conn, "its insert", &e).await,
    };
    let mut by_id: std::collections::HashMap<uuid::Uuid, medoffice_model::VitalSigns> =
        rows.into_iter().map(|v| (v.id, v)).collect();
    let (mut mutation_ids, mut revisions, mut bodies) = (Vec::new(), Vec::new(), Vec::new());
    for (&k, p) in positions.iter().zip(&planned) {
        let Some(v) = by_id.remove(&p.id) else {
            continue;
        };
        let result = MutationResult {
            mutation_id: run[k].0.mutation_id,
            status: MutationStatus::Applied,
            revision: Some(v.revision),
            error: None,
            server: Some(to_value(&v)?),
        };
        mutation_ids.push(result.mutation_id);
        revisions.push(v.revision);
        bodies.push(serde_json::to_string(&result).map_err(|e| AppError::Internal(e.into()))?);
        answers.insert(k, result);
    }
    let inserted = sqlx::query(
        "INSERT INTO applied_mutations (tenant_id, mutation_id, user_id, device_id, revision, result) \
         SELECT $1, m, $2, $3, r, j::jsonb FROM unnest($4::uuid[], $5::int8[], $6::text[]) AS s (m, r, j) \
         ON CONFLICT DO NOTHING",
    )
    .bind(actor.tenant_id)
    .bind(actor.user_id)
    .bind(&actor.device_id)
    .bind(&mutation_ids)
    .bind(&revisions)
    .bind(&bodies)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if answers.len() != planned.len() || inserted != answers.len() as u64 {
        // a set or mutation stored meanwhile by a concurrent push (a retry racing its original):
        // one by one answers each exactly
        return give_up_group(conn, "a concurrent push", &"sets or answers already stored").await;
    }
    Ok(answers)
}

/// Undoes what a pushed run's group did inside the savepoint `mutation` and answers none of
/// its sets, so the caller applies each alone; `step` and `e` say what failed, for the log.
async fn give_up_group(
    conn: &mut sqlx::PgConnection,
    step: &str,
    e: &(dyn std::fmt::Display + Sync),
) -> AppResult<std::collections::HashMap<usize, MutationResult>> {
    tracing::warn!(error = %e, step, "a pushed run of vital-sign sets failed as a group; applying each alone");
    sqlx::query("ROLLBACK TO SAVEPOINT mutation")
        .execute(&mut *conn)
        .await?;
    Ok(std::collections::HashMap::new())
}

/// The first answer to a mutation, as a replay gets it.
fn as_replay(mut r: MutationResult) -> MutationResult {
    if r.status == MutationStatus::Applied {
        r.status = MutationStatus::Duplicate;
    }
    r
}

async fn first_answer(
    conn: &mut sqlx::PgConnection,
    mutation_id: uuid::Uuid,
) -> AppResult<Option<MutationResult>> {
    let seen: Option<sqlx::types::Json<MutationResult>> =
        sqlx::query_scalar("SELECT result FROM applied_mutations WHERE mutation_id = $1")
            .bind(mutation_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(seen.map(|first| as_replay(first.0)))
}

/// Applies one mutation inside the savepoint `mutation` that the caller opened. An envelope
/// that is not a mutation this server knows is refused on its own, like any other refusal.
async fn apply_one(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    envelope: &MutationEnvelope,
) -> AppResult<MutationResult> {
    let mutation_id = envelope.mutation_id;
    let attempt = match Mutation::decode(envelope) {
        Ok(m) => run_mutation(conn, actor, &m).await,
        Err(MutationDecodeError::Invalid(fields)) => Err(AppError::Validation(fields)),
        Err(e @ MutationDecodeError::Unsupported { .. }) => Err(AppError::coded(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            ApiErrorCode::UnsupportedChange,
            e.to_string(),
        )),
    };
    let result = match attempt {
        Ok(r) => r,
        Err(e @ (AppError::Internal(_) | AppError::Unavailable)) => return Err(e),
        Err(e) => {
            // Refused: undo whatever the attempt did, but remember the answer, and audit
            // the refused attempt (its own entry went with the rollback).
            sqlx::query("ROLLBACK TO SAVEPOINT mutation")
                .execute(&mut *conn)
                .await?;
            audit_refusal(conn, actor, envelope, &e).await?;
            MutationResult {
                mutation_id,
                status: MutationStatus::Rejected,
                revision: None,
                error: Some(e.body()),
                server: None,
            }
        }
    };
    let inserted = sqlx::query(
        "INSERT INTO applied_mutations (tenant_id, mutation_id, user_id, device_id, revision, result) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(actor.tenant_id)
    .bind(mutation_id)
    .bind(actor.user_id)
    .bind(&actor.device_id)
    .bind(result.revision.filter(|_| result.status != MutationStatus::Rejected))
    .bind(sqlx::types::Json(&result))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        // the same mutation was applied by a concurrent push (a retry racing its original,
        // which committed while this one waited): undo ours and answer theirs
        sqlx::query("ROLLBACK TO SAVEPOINT mutation")
            .execute(&mut *conn)
            .await?;
        return first_answer(conn, mutation_id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("applied mutation vanished")));
    }
    Ok(result)
}

/// Records a refused mutation: `<entity>.<op>` with the refusal's outcome (`denied`,
/// `rejected`, `not_found`, `conflict`) and the mutation id and reason in `detail`. Read from
/// the envelope, so a body that did not decode is audited as sent.
async fn audit_refusal(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    m: &MutationEnvelope,
    e: &AppError,
) -> AppResult<()> {
    let action = format!("{}.{}", m.entity, m.op);
    let patient_id = m.patient_id();
    let detail = format!(
        "sync push, mutation {}: {}",
        m.mutation_id,
        e.body().message
    );
    audit::record_detail(
        conn,
        actor,
        audit::AuditEntry {
            action: &action,
            entity: Some(m.entity.as_str()),
            entity_id: Some(m.id),
            patient_id,
            outcome: audit::outcome_of(e),
        },
        Some(&detail),
    )
    .await?;
    Ok(())
}

fn to_value<T: serde::Serialize>(v: &T) -> AppResult<Value> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(e.into()))
}

/// Runs one typed mutation through the service that owns its entity: the one place the server
/// decides what each kind of change does (exhaustive, so a new kind cannot be forgotten).
async fn run_mutation(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    m: &Mutation,
) -> AppResult<MutationResult> {
    let applied = |revision: i64, server: Option<Value>| MutationResult {
        mutation_id: m.mutation_id,
        status: MutationStatus::Applied,
        revision: Some(revision),
        error: None,
        server,
    };
    let with_conflicts =
        |revision: i64, server: Value, conflicts: Vec<medoffice_model::merge::FieldConflict>| {
            if conflicts.is_empty() {
                return applied(revision, Some(server));
            }
            let body = crate::clinical::kept_server_values(
                "Changed by someone else meanwhile",
                &conflicts,
                None,
            )
            .body();
            MutationResult {
                mutation_id: m.mutation_id,
                status: MutationStatus::Conflict,
                revision: Some(revision),
                error: Some(body),
                server: Some(server),
            }
        };
    match &m.kind {
        MutationKind::RegisterPatient(new) => {
            let (p, _) = patients::create_patient(conn, actor, new.clone()).await?;
            Ok(applied(p.revision, Some(to_value(&p)?)))
        }
        MutationKind::EditPatient(edit) => {
            let changes = edit.to_object();
            let (p, conflicts, _) =
                patients::update_patient(conn, actor, m.id, edit.base_revision, changes).await?;
            Ok(with_conflicts(p.revision, to_value(&p)?, conflicts))
        }
        MutationKind::DeletePatient => {
            patients::delete_patient(conn, actor, m.id).await?;
            let revision =
                sqlx::query_scalar::<_, i64>("SELECT revision FROM patients WHERE id = $1")
                    .bind(m.id)
                    .fetch_one(&mut *conn)
                    .await?;
            Ok(applied(revision, None))
        }
        MutationKind::MergePatient(merge) => {
            let (p, conflicts) = patients::merge_patient(conn, actor, m.id, merge).await?;
            Ok(with_conflicts(p.revision, to_value(&p)?, conflicts))
        }
        MutationKind::RecordVitals(v) => {
            let (v, _) = vitals::record_vitals(conn, actor, v.patient_id, v.vitals.clone()).await?;
            Ok(applied(v.revision, Some(to_value(&v)?)))
        }
        MutationKind::CorrectVitals(c) => {
            let v = vitals::correct_vitals(conn, actor, m.id, c).await?;
            Ok(applied(v.revision, Some(to_value(&v)?)))
        }
        MutationKind::BookAppointment(new) => {
            let (a, _) = appointments::book_appointment(conn, actor, new.clone()).await?;
            Ok(applied(a.revision, Some(to_value(&a)?)))
        }
        MutationKind::EditAppointment {
            edit,
            checked_in_at,
        } => {
            let (a, conflicts, _) = appointments::update_appointment(
                conn,
                actor,
                m.id,
                edit.base_revision,
                edit.to_object(),
                *checked_in_at,
            )
            .await?;
            Ok(with_conflicts(a.revision, to_value(&a)?, conflicts))
        }
    }
}

/// Live changes. Sends `hello` with the tenant's revision, then `changes` pages; closes with
/// `closing {reason: "token_expired"}` when the access token expires, so the client refreshes
/// and reconnects, and with `closing {reason: "session_ended"}` as soon as the user's session
/// is ended on the server (password reset or change, deactivation).
#[utoipa::path(get, path = "/api/v1/sync/ws", tag = "sync",
    responses((status = 101, description = "WebSocket of ServerMessage"), (status = 401, body = ErrorBody)))]
pub async fn ws(
    State(st): State<AppState>,
    actor: Actor,
    upgrade: WebSocketUpgrade,
) -> AppResult<Response> {
    let sub = st
        .hub
        .subscribe(actor.tenant_id)
        .await
        .map_err(AppError::Internal)?;
    let ends = st.hub.session_ends();
    let pool = st.pool.clone();
    let metrics = st.metrics.clone();
    Ok(upgrade.on_upgrade(move |socket| async move {
        /// Counts the socket open for as long as it lives, however its task ends.
        struct Open(std::sync::Arc<crate::metrics::Metrics>);
        impl Drop for Open {
            fn drop(&mut self) {
                self.0.websockets.dec();
            }
        }
        metrics.websockets.inc();
        let open = Open(metrics.clone());
        serve_socket(socket, sub, actor, ends, pool, &open.0).await;
    }))
}

async fn send(socket: &mut WebSocket, msg: &ServerMessage) -> bool {
    match serde_json::to_string(msg) {
        Ok(t) => socket.send(Message::Text(t.into())).await.is_ok(),
        Err(_) => false,
    }
}

/// Whether the socket's session still stands (a database error counts as standing: the next
/// check decides).
async fn session_stands(pool: &sqlx::PgPool, actor: &Actor) -> bool {
    match crate::auth::session_state(pool, actor.tenant_id, actor.user_id).await {
        Ok(state) => crate::auth::check_session(state.as_ref(), actor.session_epoch).is_ok(),
        Err(_) => true,
    }
}

/// [`record_delivery`] of a pushed page to this socket's person; false when it could not be
/// written.
async fn audit_live_page(
    pool: &sqlx::PgPool,
    actor: &Actor,
    page: &crate::hub::PushedPage,
) -> bool {
    if page.patients.is_empty() {
        return true;
    }
    let written = async {
        let mut tx = db::tenant_tx(pool, actor.tenant_id).await?;
        record_delivery(
            &mut tx,
            actor,
            "sync.live_page",
            page.from,
            page.to,
            &page.patients,
        )
        .await?;
        tx.commit().await?;
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(e) = &written {
        tracing::warn!(error = %e, "could not audit a live page; closing the socket");
    }
    written.is_ok()
}

async fn serve_socket(
    mut socket: WebSocket,
    mut sub: crate::hub::Subscription,
    actor: Actor,
    mut ends: tokio::sync::broadcast::Receiver<uuid::Uuid>,
    pool: sqlx::PgPool,
    metrics: &crate::metrics::Metrics,
) {
    if !send(
        &mut socket,
        &ServerMessage::Hello {
            revision: sub.revision,
        },
    )
    .await
    {
        return;
    }
    let until_expiry = (actor.expires_at - chrono::Utc::now().timestamp()).max(0) as u64;
    let expiry = tokio::time::sleep(Duration::from_secs(until_expiry));
    tokio::pin!(expiry);
    let mut ping = tokio::time::interval(Duration::from_secs(20));
    ping.tick().await;
    let mut ends_open = true;
    let mut ended = false;
    loop {
        tokio::select! {
            msg = sub.rx.recv() => match msg {
                Ok(page) => {
                    // audited before it leaves; if it cannot be, the socket closes and the
                    // workstation pulls the page instead (audited there)
                    if !audit_live_page(&pool, &actor, &page).await { break; }
                    if socket.send(Message::Text(page.text.to_string().into())).await.is_err() { break; }
                    metrics.feed_pages_pushed.inc();
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    // This socket fell behind: close it; the client reconnects and pulls the feed.
                    let _ = send(&mut socket, &ServerMessage::Closing { reason: "lagged".into() }).await;
                    break;
                }
                Err(_) => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            end = ends.recv(), if ends_open => {
                let check = match end {
                    Ok(user) => user == actor.user_id,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => true,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => { ends_open = false; false }
                };
                if check && !session_stands(&pool, &actor).await { ended = true; }
            }
            _ = ping.tick() => {
                if !session_stands(&pool, &actor).await { ended = true; }
                else if socket.send(Message::Ping(Vec::new().into())).await.is_err() { break; }
            }
            _ = &mut expiry => {
                let _ = send(&mut socket, &ServerMessage::Closing { reason: "token_expired".into() }).await;
                break;
            }
        }
        if ended {
            let _ = send(
                &mut socket,
                &ServerMessage::Closing {
                    reason: "session_ended".into(),
                },
            )
            .await;
            break;
        }
    }
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: 1000,
            reason: "bye".into(),
        })))
        .await;
}
