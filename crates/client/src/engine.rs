//! The session and its sync engine.
//!
//! One tokio task per signed-in session: connect the WebSocket (bearer token on the upgrade),
//! on `hello` pull the feed from the cache's cursor and push the outbox, then apply pushed pages
//! whose `from` is at most the cursor (a gap means: pull). On any failure, report offline and
//! retry with exponential backoff and jitter. Pulls and page applications are serialised, so a
//! page pushed during a pull is neither applied twice nor lost, and the cursor only moves
//! together with the rows it covers.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use futures_util::{SinkExt, StreamExt};
use medoffice_model::merge::FieldConflict;
use medoffice_model::{
    ApiErrorCode, Change, EntityKind, Mutation, MutationKind, MutationResult, MutationStatus,
    Record, ServerMessage, UserInfo,
};
use rand::Rng;
use tokio::sync::{broadcast, watch, Notify};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::api::{ApiClient, ApiError};
use crate::cache::Cache;
use crate::error::{cache_failure_status, CoreError};
use crate::secrets::{Secret, SecretStore};
use crate::view::{CacheChanged, ConnectionState, SyncStatus};

/// What a session is made of.
pub(crate) struct SessionParts {
    pub api: ApiClient,
    pub user: UserInfo,
    pub cache: Cache,
    pub access: Option<(String, i64)>,
    pub refresh: Option<Secret>,
    pub keyring_account: String,
    pub secrets: SecretStore,
    pub offline: crate::offline::OfflineUnlock,
    /// This workstation's id, sent with every refresh (see `RefreshRequest::device_id`).
    pub device_id: String,
    /// The key of the open cache: put back into the keyring before an ended session's wrapped
    /// copy is forgotten, so the clinic's records stay openable here.
    pub cache_key: crate::vault::CacheKey,
    pub status: watch::Sender<SyncStatus>,
    pub changes: broadcast::Sender<CacheChanged>,
}

struct Tokens {
    access: Option<(String, i64)>,
    /// None after an offline unlock without a stored refresh token: sign in again to send.
    refresh: Option<Secret>,
}

/// A signed-in session: its cache, tokens and running sync engine.
pub struct Session {
    pub(crate) api: ApiClient,
    /// The signed-in user.
    pub user: UserInfo,
    pub(crate) keyring_account: String,
    tz: chrono_tz::Tz,
    cache: Mutex<Cache>,
    tokens: tokio::sync::Mutex<Tokens>,
    sync_lock: tokio::sync::Mutex<()>,
    push_lock: tokio::sync::Mutex<()>,
    secrets: SecretStore,
    /// The workstation's offline sign-ins: an account the server ended is forgotten there.
    offline: crate::offline::OfflineUnlock,
    device_id: String,
    cache_key: crate::vault::CacheKey,
    status: watch::Sender<SyncStatus>,
    changes: broadcast::Sender<CacheChanged>,
    wake: Notify,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    duplicates: std::sync::atomic::AtomicU32,
    /// How the clinic writes dates (`user.tenant`, kept current when this workstation changes
    /// it), for the patient search and the core's own messages.
    conventions: std::sync::Mutex<medoffice_model::DateConventions>,
}

/// Delay before reconnect attempt `n` (1-based): 250 ms doubling to a 15 s cap, ±25 % jitter so
/// a clinic's workstations do not reconnect in lockstep after an outage.
pub fn backoff(n: u32) -> Duration {
    let base = 250u64
        .saturating_mul(1u64 << n.saturating_sub(1).min(6))
        .min(15_000);
    let jitter = rand::thread_rng().gen_range(0.75..1.25);
    Duration::from_millis((base as f64 * jitter) as u64)
}

impl Session {
    /// How the clinic writes dates and times, as last heard.
    pub(crate) fn conventions(&self) -> medoffice_model::DateConventions {
        *self
            .conventions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes the clinic's conventions from settings just changed on this workstation.
    pub(crate) fn set_conventions(&self, c: medoffice_model::DateConventions) {
        *self
            .conventions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = c;
    }

    /// An instant as the clinic reads it: its wall clock, in its date order and on its clock.
    pub(crate) fn wall_clock(&self, at: chrono::DateTime<chrono::Utc>) -> String {
        self.conventions()
            .date_time(at.with_timezone(&self.tz()).naive_local())
    }

    pub(crate) fn start(p: SessionParts) -> Arc<Session> {
        let tz = p.user.tenant.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let conventions = medoffice_model::DateConventions::of(&p.user.tenant);
        let s = Arc::new(Session {
            api: p.api,
            user: p.user,
            keyring_account: p.keyring_account,
            tz,
            cache: Mutex::new(p.cache),
            tokens: tokio::sync::Mutex::new(Tokens {
                access: p.access,
                refresh: p.refresh,
            }),
            sync_lock: tokio::sync::Mutex::new(()),
            push_lock: tokio::sync::Mutex::new(()),
            secrets: p.secrets,
            offline: p.offline,
            device_id: p.device_id,
            cache_key: p.cache_key,
            status: p.status,
            changes: p.changes,
            wake: Notify::new(),
            task: Mutex::new(None),
            duplicates: std::sync::atomic::AtomicU32::new(0),
            conventions: std::sync::Mutex::new(conventions),
        });
        s.recount_duplicates();
        let last_synced = s
            .cache()
            .meta("last_synced_at")
            .ok()
            .flatten()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&Utc));
        s.set_status(|st| {
            st.state = ConnectionState::Syncing;
            st.last_error = None;
            st.sign_in_required = false;
            st.ended_by_server = None;
            st.last_synced_at = last_synced;
        });
        let engine = s.clone();
        let handle = tokio::spawn(async move { engine.run().await });
        if let Ok(mut t) = s.task.lock() {
            *t = Some(handle);
        }
        s
    }

    /// Stops the engine.
    pub fn stop(&self) {
        if let Ok(mut t) = self.task.lock() {
            if let Some(h) = t.take() {
                h.abort();
            }
        }
    }

    /// Stops the engine and waits until its task has let go of the session.
    pub(crate) async fn shutdown(&self) {
        let handle = self.task.lock().ok().and_then(|mut t| t.take());
        if let Some(h) = handle {
            h.abort();
            let _ = h.await;
        }
    }

    /// The cache (held briefly; never across an await).
    pub fn cache(&self) -> MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The clinic's time zone.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.tz
    }

    /// Now by the server's clock as last learned (see [`crate::clock`]): what is stamped on
    /// work and what it is checked against, so a workstation whose clock drifted offline
    /// still agrees with the server.
    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.api.clock().now()
    }

    /// Today in the clinic's time zone, by the server's clock.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&self.tz).date_naive()
    }

    /// UTC bounds of a clinic-local day.
    pub fn day_bounds(&self, date: NaiveDate) -> (chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
        crate::day_bounds(self.tz, date)
    }

    pub(crate) fn status_state(&self) -> ConnectionState {
        self.status.borrow().state
    }

    pub(crate) async fn refresh_token(&self) -> Option<Secret> {
        self.tokens.lock().await.refresh.clone()
    }

    fn set_status(&self, f: impl FnOnce(&mut SyncStatus)) {
        // counts the cache cannot give now (a failing disk) stay as last known, never 0: the
        // queue is still there
        let counts = {
            let cache = self.cache();
            (|| -> crate::cache::CacheResult<_> {
                let (p, r, h) = cache.outbox_counts()?;
                Ok((p, r, h, cache.conflict_count()?, cache.cursor()?))
            })()
        };
        if let Err(e) = &counts {
            tracing::warn!(error = %e, "could not count the outbox for the status bar");
        }
        let duplicates = self.duplicates.load(std::sync::atomic::Ordering::Relaxed);
        let clock = self.api.clock();
        self.status.send_modify(|st| {
            f(st);
            if let Ok((pending, rejected, held, conflicts, cursor)) = counts {
                st.pending = pending;
                st.rejected = rejected;
                st.held = held;
                st.conflicts = conflicts;
                st.cursor = cursor;
            }
            st.possible_duplicates = duplicates;
            st.clock_ahead_ms = clock.ahead_ms();
            st.clock_wrong = clock.is_wrong();
            st.to_review = st.rejected + st.conflicts + duplicates;
        });
    }

    /// Records that the cache is current now (kept in the cache, so after a restart offline
    /// the status bar still says when it last was).
    fn mark_synced(&self) {
        let now = self.now();
        if let Err(e) = self
            .cache()
            .set_meta("last_synced_at", &crate::cache::instant_key(now))
        {
            tracing::warn!(error = %e, "could not remember the sync time");
        }
        self.set_status(|st| st.last_synced_at = Some(now));
    }

    /// Counts possible duplicate patients again (after patients changed).
    pub(crate) fn recount_duplicates(&self) {
        let n = self.cache().possible_duplicate_count().unwrap_or(0);
        self.duplicates
            .store(n, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn notify_changed(&self, entities: Vec<EntityKind>) {
        if entities.contains(&EntityKind::Patient) {
            self.recount_duplicates();
        }
        if !entities.is_empty() {
            let _ = self.changes.send(CacheChanged { entities });
        }
    }

    /// Called after a mutation is queued: tell the UI, wake the engine to push.
    pub(crate) fn after_local_write(&self, entity: EntityKind) {
        self.set_status(|_| {});
        self.notify_changed(vec![entity]);
        self.wake.notify_one();
    }

    /// A valid access token, refreshing (and rotating the keyring's refresh token) if needed.
    async fn access_token(&self) -> Result<String, CoreError> {
        let mut t = self.tokens.lock().await;
        self.access_token_held(&mut t).await
    }

    /// [`Self::access_token`] with the token lock already held.
    async fn access_token_held(&self, t: &mut Tokens) -> Result<String, CoreError> {
        if let Some((tok, exp)) = &t.access {
            if *exp - 30 > Utc::now().timestamp() {
                return Ok(tok.clone());
            }
        }
        let Some(refresh) = t.refresh.clone() else {
            return Err(CoreError::SessionEnded(None));
        };
        let pair = self.api.refresh(refresh.expose(), &self.device_id).await?;
        let refresh = Secret::new(pair.refresh_token);
        let stored = self.secrets.set(&self.keyring_account, &refresh);
        t.refresh = Some(refresh);
        if let Err(e) = stored {
            tracing::warn!(error = %e, "could not update the refresh token in the OS keyring");
        }
        let exp = Utc::now().timestamp() + pair.expires_in;
        t.access = Some((pair.access_token.clone(), exp));
        Ok(pair.access_token)
    }

    pub(crate) async fn forget_access_token(&self) {
        self.tokens.lock().await.access = None;
    }

    /// A valid access token for a call the engine does not make itself (account, admin and
    /// audit calls), refreshing if needed.
    pub(crate) async fn bearer(&self) -> Result<String, CoreError> {
        self.access_token().await
    }

    /// Makes a call that answers a new token pair outside a refresh (a password change ends
    /// every other session of the user and answers a fresh pair) and takes that pair; the
    /// refresh token goes to the keyring as after a refresh.
    ///
    /// `call` gets the current access token and answers the new pair. The token lock is held
    /// from before the call until the new pair is in place: the server ends the old session
    /// (and closes this socket) while the call is under way, and the engine, asking why with
    /// the old token, would otherwise take its own session for ended.
    pub(crate) async fn exchange_tokens<F, Fut>(
        &self,
        call: F,
    ) -> Result<medoffice_model::LoginResponse, CoreError>
    where
        F: FnOnce(String) -> Fut,
        Fut: std::future::Future<Output = Result<medoffice_model::LoginResponse, ApiError>>,
    {
        let mut t = self.tokens.lock().await;
        let token = self.access_token_held(&mut t).await?;
        let pair = call(token).await?;
        let refresh = Secret::new(pair.refresh_token.clone());
        if let Err(e) = self.secrets.set(&self.keyring_account, &refresh) {
            tracing::warn!(error = %e, "could not update the refresh token in the OS keyring");
        }
        t.refresh = Some(refresh);
        t.access = Some((
            pair.access_token.clone(),
            Utc::now().timestamp() + pair.expires_in,
        ));
        Ok(pair)
    }

    /// Whether the server still takes this session's current access token (asked after it
    /// said the session ended: the tokens may have been exchanged meanwhile).
    /// Whether the session still stands, as the server answers now: `Some(false)` only when it
    /// says so (401), `None` when it cannot be asked (the network, a 5xx).
    async fn session_standing(&self) -> Option<bool> {
        let answer = match self.access_token().await {
            Ok(token) => self
                .api
                .me(&token)
                .await
                .map(|_| ())
                .map_err(CoreError::from),
            Err(e) => Err(e),
        };
        match answer {
            Ok(()) => Some(true),
            Err(e) if e.session_ended().is_some() => Some(false),
            Err(_) => None,
        }
    }

    /// Wakes the engine (something waits to be sent).
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Pulls the feed from the cursor until caught up.
    ///
    /// The feed is read on a task of its own ([`Self::read_feed`]) while this one writes: the
    /// pages read while a write went on are written together next, in one transaction, up to
    /// [`FEED_WRITE_ROWS`] changes and about [`FEED_WRITE_TIME`] at the last write's pace. A new workstation's first sync is a long run of pages, and
    /// each transaction writes again every index page it touched, wherever the random ids fall:
    /// a 30,000-patient clinic's first sync took 55 s written 2,000 changes a transaction, 29 s
    /// written 10,000 at a time (docs/bench/side-by-side.md, sixth stop).
    pub(crate) async fn pull(self: &Arc<Self>) -> Result<(), CoreError> {
        let _g = self.sync_lock.lock().await;
        let mut start = self.cache().cursor()?;
        let started = std::time::Instant::now();
        let mut received: u64 = 0;
        let mut patients_changed = false;
        let mut showing = false;
        let mut first = true;
        let mut feed = self.read_feed(start);
        // how many changes the next write takes at most (FEED_WRITE_TIME at the last one's pace)
        let mut write_rows = FEED_WRITE_ROWS;
        let result = loop {
            let waiting = std::time::Instant::now();
            let (page, mut clinic_revision, epoch) = match feed.pages.recv().await {
                Some(Ok(p)) => p,
                Some(Err(e)) => break Err(e),
                None => {
                    break Err(CoreError::from(ApiError::Network(
                        "reading the feed stopped".into(),
                    )))
                }
            };
            // the first page says whether the cursor still means anything here
            if std::mem::take(&mut first) {
                match self.same_history(start, clinic_revision, epoch) {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(
                            cursor = start,
                            ?clinic_revision,
                            "the server's history changed (a restored database): downloading the \
                             clinic again from zero, keeping the unsent changes"
                        );
                        if let Err(e) = self.cache().restart_history(epoch) {
                            break Err(e.into());
                        }
                        self.notify_changed(EntityKind::ALL.to_vec());
                        start = 0;
                        received = 0;
                        feed = self.read_feed(0);
                        continue;
                    }
                    Err(e) => break Err(e),
                }
            }
            // the pages already read go with this one; a reading error after them ends the pull
            // once they are written
            let (mut revision, mut has_more) = (page.revision, page.has_more);
            let mut changes = page.changes;
            let mut failed = None;
            // a page holds FEED_PAGE changes at most: one more fits only with that much room
            while has_more && changes.len() + FEED_PAGE as usize <= write_rows {
                match feed.pages.try_recv() {
                    Ok(Ok((p, r, _))) => {
                        (revision, has_more) = (p.revision, p.has_more);
                        clinic_revision = r.or(clinic_revision);
                        changes.extend(p.changes);
                    }
                    Ok(Err(e)) => {
                        failed = Some(e);
                        break;
                    }
                    Err(_) => break,
                }
            }
            let writing = std::time::Instant::now();
            let kinds = match off_the_runtime(|| self.cache().apply_changes(&changes, revision)) {
                Ok(k) => k,
                Err(e) => break Err(e.into()),
            };
            let wrote = writing.elapsed();
            tracing::debug!(
                rows = changes.len(),
                waited_ms = (writing - waiting).as_millis() as u64,
                wrote_ms = wrote.as_millis() as u64,
                "feed pages written"
            );
            let per_row = wrote.as_secs_f64() / changes.len().max(1) as f64;
            write_rows = ((FEED_WRITE_TIME.as_secs_f64() / per_row.max(1e-9)) as usize)
                .clamp(FEED_PAGE as usize, FEED_WRITE_ROWS);
            self.forget_ended_accounts(&changes);
            received += changes.len() as u64;
            // possible duplicates are counted again once, at the end, not for every page
            patients_changed |= kinds.contains(&EntityKind::Patient);
            if !kinds.is_empty() {
                let _ = self.changes.send(CacheChanged { entities: kinds });
            }
            if let Some(e) = failed {
                break Err(e);
            }
            if !has_more {
                break Ok(());
            }
            let progress = catch_up(
                start,
                revision,
                clinic_revision,
                received,
                started.elapsed(),
            );
            self.set_status(|st| st.catching_up = Some(progress));
            showing = true;
        };
        if patients_changed {
            self.recount_duplicates();
        }
        if showing {
            self.set_status(|st| st.catching_up = None);
        }
        result?;
        // a new history downloaded to the end: what it did not bring back is gone
        if self.cache().finish_history_restart()? {
            self.notify_changed(EntityKind::ALL.to_vec());
        }
        self.mark_synced();
        Ok(())
    }

    /// Whether the server's feed is still the history this cache follows from `cursor`: its
    /// feed epoch is the one noted here (the first one seen is noted), and the clinic's
    /// revision is not behind the cursor (a server restored from a backup numbers new changes
    /// from where the backup stood; a cursor past that would skip them).
    fn same_history(
        &self,
        cursor: i64,
        clinic_revision: Option<i64>,
        epoch: Option<uuid::Uuid>,
    ) -> Result<bool, CoreError> {
        if clinic_revision.is_some_and(|r| r < cursor) {
            return Ok(false);
        }
        let Some(epoch) = epoch else {
            return Ok(true);
        };
        let cache = self.cache();
        match cache.meta(crate::cache::FEED_EPOCH_KEY)? {
            Some(noted) if noted != epoch.to_string() => Ok(false),
            Some(_) => Ok(true),
            None => {
                cache.set_meta(crate::cache::FEED_EPOCH_KEY, &epoch.to_string())?;
                Ok(true)
            }
        }
    }

    /// Forgets the offline sign-in of every account the feed says was deactivated (or
    /// removed): from then on only an online sign-in, which the server refuses, would let that
    /// person in here. A failure to write is logged; an offline unlock still refuses the
    /// person, from the cache's staff row.
    fn forget_ended_accounts(&self, changes: &[Change]) {
        for c in changes {
            if let medoffice_model::Record::User(u) = &c.record {
                if c.deleted || !u.active {
                    match self.offline.forget_user(u.id) {
                        Ok(true) => {
                            tracing::info!(user = %u.username, "deactivated: offline sign-in forgotten here")
                        }
                        Ok(false) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "could not forget a deactivated account's offline sign-in")
                        }
                    }
                }
            }
        }
    }

    /// Stops the engine until the person signs in again; the queue is kept and sent then.
    fn stop_for_sign_in(&self, by_server: Option<String>) {
        let now = self.now();
        self.set_status(|st| {
            st.state = ConnectionState::Offline;
            st.offline_since.get_or_insert(now);
            st.sign_in_required = true;
            st.last_error =
                Some("The session has ended; sign in again to send pending changes".into());
            st.ended_by_server = by_server;
        });
    }

    /// The server ended this person's session (deactivated, password reset or changed
    /// elsewhere): what would let them in here without it goes, their offline sign-in (and
    /// its copy of the cache key) and their refresh token. The cache key goes back into the
    /// keyring first (the keyring may have lost it), so the clinic's records and what waits to
    /// be sent stay openable by the next online sign-in.
    fn forget_ended_session(&self) {
        let account = format!("cache-key|{}|{}", self.device_id, self.user.tenant_id);
        let kept = self
            .secrets
            .set(&account, &Secret::new(self.cache_key.to_hex().as_str()));
        if let Err(e) = kept {
            // without the keyring this copy is what opens the records: keep it
            tracing::warn!(error = %e, "the OS keyring cannot keep the cache key; the ended session's offline sign-in stays");
            return;
        }
        if let Err(e) = self.offline.forget_user(self.user.id) {
            tracing::warn!(error = %e, "could not forget the offline sign-in of an ended session");
        }
        if let Err(e) = self.secrets.delete(&self.keyring_account) {
            tracing::warn!(error = %e, "could not remove an ended session's refresh token");
        }
    }

    /// Reads the feed after `since` on a task of its own, page after page (each asked for as
    /// soon as the one before has arrived, its cursor being that page's), until a page says
    /// nothing more waits or one fails; at most [`FEED_AHEAD`] pages wait to be written.
    /// Dropping the reader stops the task.
    fn read_feed(self: &Arc<Self>, since: i64) -> FeedReader {
        let (tx, pages) = tokio::sync::mpsc::channel(FEED_AHEAD);
        let me = Arc::clone(self);
        let task = tokio::spawn(async move {
            let mut since = since;
            loop {
                let page = match me.access_token().await {
                    Ok(token) => me
                        .api
                        .changes_and_revision(&token, since, FEED_PAGE)
                        .await
                        .map_err(CoreError::from),
                    Err(e) => Err(e),
                };
                let more = match &page {
                    Ok((p, ..)) => {
                        since = p.revision;
                        p.has_more
                    }
                    Err(_) => false,
                };
                if tx.send(page).await.is_err() || !more {
                    break;
                }
            }
        });
        FeedReader { pages, task }
    }

    /// Applies a pushed page when it joins the cursor; `false` means a gap (pull instead).
    async fn apply_pushed(
        &self,
        from: i64,
        to: i64,
        changes: &[Change],
    ) -> Result<bool, CoreError> {
        let _g = self.sync_lock.lock().await;
        let mut cache = self.cache();
        let cursor = cache.cursor()?;
        if from > cursor {
            return Ok(false);
        }
        let kinds = cache.apply_changes(changes, to)?;
        drop(cache);
        self.forget_ended_accounts(changes);
        self.notify_changed(kinds);
        self.mark_synced();
        Ok(true)
    }

    /// This user's next pending mutations, in order, leaving out any that refer to a row whose
    /// creation still waits in another user's queue (a nurse recording vitals for a patient the
    /// receptionist registered offline on this workstation): sent now, the server would refuse
    /// them for good; held, they go once the other person's work has been sent.
    fn sendable_batch(
        &self,
        limit: usize,
    ) -> Result<Vec<crate::cache::OutboxEntry>, crate::cache::CacheError> {
        let cache = self.cache();
        let mut held: std::collections::HashSet<uuid::Uuid> = cache
            .pending_ids_of_others(self.user.id)?
            .into_iter()
            .collect();
        if held.is_empty() {
            return cache.pending_of(self.user.id, limit);
        }
        let mut batch = Vec::new();
        for e in cache.pending_of(self.user.id, 100_000)? {
            let refers_to = [Some(e.mutation.id), e.mutation.patient_id()];
            if refers_to.iter().flatten().any(|id| held.contains(id)) {
                held.insert(e.mutation.id);
                continue;
            }
            batch.push(e);
            if batch.len() == limit {
                break;
            }
        }
        Ok(batch)
    }

    /// Sends this user's pending mutations, in order, in batches; records each answer. Returns
    /// how many were answered.
    pub(crate) async fn push_outbox(&self) -> Result<usize, CoreError> {
        let _g = self.push_lock.lock().await;
        let mut answered = 0;
        // halved when the server finds a batch too large (413), back to full after a success
        let mut batch_size = 200;
        loop {
            let batch = self.sendable_batch(batch_size)?;
            if batch.is_empty() {
                break;
            }
            let mutations: Vec<_> = batch.iter().map(|e| e.mutation.clone()).collect();
            let token = self.access_token().await?;
            // the fault test aims its kills at this moment (tests/tests/faults.rs)
            tracing::debug!(mutations = mutations.len(), "pushing a batch");
            let sent = match self.api.push(&token, &mutations).await {
                Err(e) if e.is_unauthorized() => {
                    self.forget_access_token().await;
                    let token = self.access_token().await?;
                    self.api.push(&token, &mutations).await
                }
                other => other,
            };
            let resp = match sent {
                Err(ApiError::Http { status: 413, .. }) if batch_size > 1 => {
                    batch_size = (batch_size / 2).max(1);
                    continue;
                }
                Err(ApiError::Http { status: 413, body }) => {
                    // one mutation alone is over the server's limit: it can never be accepted
                    let first = &mutations[0];
                    let refused = MutationResult {
                        mutation_id: first.mutation_id,
                        status: MutationStatus::Rejected,
                        revision: None,
                        error: Some(body),
                        server: None,
                    };
                    record_answer(&mut self.cache(), first, refused, self.user.id)?;
                    self.notify_changed(vec![first.entity()]);
                    self.set_status(|_| {});
                    batch_size = 200;
                    continue;
                }
                other => other?,
            };
            batch_size = 200;
            let mut kinds = Vec::new();
            // all answers of the batch in one local transaction: one disk sync, not one per row
            self.cache().batch(|cache| {
                for (m, r) in mutations.iter().zip(resp.results) {
                    record_answer(cache, m, r, self.user.id)?;
                    if !kinds.contains(&m.entity()) {
                        kinds.push(m.entity());
                    }
                    answered += 1;
                }
                Ok(())
            })?;
            self.notify_changed(kinds);
            self.set_status(|_| {});
        }
        Ok(answered)
    }

    async fn run(self: Arc<Self>) {
        let mut attempt: u32 = 0;
        loop {
            let failed = match self.connect_and_serve().await {
                Ok(()) => {
                    attempt = 0;
                    continue;
                }
                Err(e) => e,
            };
            match failed.session_ended() {
                Some(Some(reason)) => match self.session_standing().await {
                    // a call that was under way while this person changed their password here
                    // met the old session's end: the new tokens stand, go on
                    Some(true) => attempt = 0,
                    // the server cannot be asked now: nothing is decided, ask again later
                    None => {
                        attempt = attempt.saturating_add(1);
                        tokio::time::sleep(backoff(attempt)).await;
                    }
                    Some(false) => {
                        self.forget_ended_session();
                        self.stop_for_sign_in(Some(reason));
                        return;
                    }
                },
                Some(None) => {
                    self.stop_for_sign_in(None);
                    return;
                }
                // this computer's disk, not the network: say so and stop (retrying would not
                // mend it, and would only hammer a failing disk); nothing queued is lost
                None if failed.is_cache_failure() => {
                    if let CoreError::Cache(e) = &failed {
                        tracing::error!(error = %e, "the local cache failed: the sync engine stops");
                        let message = cache_failure_status(e);
                        self.set_status(|st| {
                            st.state = ConnectionState::CacheFailed;
                            st.offline_since = None;
                            st.last_error = Some(message);
                        });
                    }
                    return;
                }
                // a newer server: say so rather than "offline", and try again now and then
                None if matches!(failed, CoreError::Api(ApiError::Incompatible(_))) => {
                    tracing::error!(error = %failed, "the server is newer than this workstation");
                    attempt = attempt.saturating_add(1);
                    self.set_status(|st| {
                        st.state = ConnectionState::UpdateRequired;
                        st.offline_since = None;
                        st.last_error = Some(crate::error::UPDATE_REQUIRED.into());
                    });
                    tokio::time::sleep(backoff(attempt)).await;
                }
                None => {
                    let e = failed;
                    attempt = attempt.saturating_add(1);
                    let now = self.now();
                    self.set_status(|st| {
                        if st.state != ConnectionState::Offline {
                            st.offline_since = Some(now);
                        }
                        st.state = ConnectionState::Offline;
                        st.last_error = Some(e.to_string());
                    });
                    tokio::time::sleep(backoff(attempt)).await;
                }
            }
        }
    }

    async fn connect_and_serve(self: &Arc<Self>) -> Result<(), CoreError> {
        let token = self.access_token().await?;
        let mut req = self
            .api
            .ws_url()
            .into_client_request()
            .map_err(|e| CoreError::Protocol(e.to_string()))?;
        req.headers_mut().insert(
            "Authorization",
            format!("Bearer {token}")
                .parse()
                .map_err(|_| CoreError::Protocol("bad token".into()))?,
        );
        let connected = tokio::time::timeout(
            Duration::from_secs(10),
            tokio_tungstenite::connect_async_tls_with_config(
                req,
                None,
                false,
                self.api.ws_connector(),
            ),
        )
        .await
        .map_err(|_| CoreError::Api(ApiError::Network("connection timed out".into())))?;
        let (ws, _) = match connected {
            Ok(ws) => ws,
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) if r.status() == 401 => {
                // the server ended the session (deactivated, password reset): say so and stop
                if let Some(reason) = r
                    .body()
                    .as_deref()
                    .and_then(|b| serde_json::from_slice::<medoffice_model::ErrorBody>(b).ok())
                    .filter(|b| b.code == Some(ApiErrorCode::SessionEnded))
                    .map(|b| b.message)
                {
                    return Err(CoreError::SessionEnded(Some(reason)));
                }
                // e.g. the signing key was rotated: refresh before the next attempt
                self.forget_access_token().await;
                return Err(CoreError::Api(ApiError::Network(
                    "the server refused the access token".into(),
                )));
            }
            Err(e) => return Err(CoreError::Api(ApiError::Network(e.to_string()))),
        };
        let (mut write, mut read) = ws.split();
        self.set_status(|st| st.state = ConnectionState::Syncing);
        // hello first: then catch up from the cursor, and send what waits
        let hello = tokio::time::timeout(Duration::from_secs(10), read.next())
            .await
            .map_err(|_| CoreError::Api(ApiError::Network("no hello from server".into())))?;
        match hello {
            Some(Ok(Message::Text(t))) => match serde_json::from_str::<ServerMessage>(&t) {
                Ok(ServerMessage::Hello { .. }) => {}
                _ => return Err(CoreError::Protocol("unexpected first message".into())),
            },
            _ => {
                return Err(CoreError::Api(ApiError::Network(
                    "socket closed before hello".into(),
                )))
            }
        }
        self.pull().await?;
        self.push_outbox().await?;
        self.report_access().await?;
        self.set_status(|st| {
            st.state = ConnectionState::Online;
            st.offline_since = None;
            st.last_error = None;
        });
        let mut tick = tokio::time::interval(Duration::from_secs(15));
        tick.tick().await;
        let mut last_heard = tokio::time::Instant::now();
        loop {
            tokio::select! {
                msg = read.next() => {
                    last_heard = tokio::time::Instant::now();
                    match msg {
                        Some(Ok(Message::Text(t))) => match serde_json::from_str::<ServerMessage>(&t) {
                            Ok(ServerMessage::Changes { from, to, changes }) => {
                                if !self.apply_pushed(from, to, &changes).await? {
                                    self.pull().await?;
                                }
                            }
                            Ok(ServerMessage::Closing { reason }) => {
                                if reason == "token_expired" {
                                    self.forget_access_token().await;
                                }
                                if reason == SESSION_ENDED {
                                    // ask why: a deactivation or password reset signs out
                                    let token = self.access_token().await?;
                                    self.api.me(&token).await?;
                                }
                                return Ok(());
                            }
                            Ok(ServerMessage::Hello { .. }) => {}
                            // a page this build cannot read: the feed says why (a newer server)
                            Err(e) => {
                                tracing::warn!(error = %e, "unreadable message from server");
                                self.pull().await?;
                            }
                        },
                        Some(Ok(Message::Ping(p))) => {
                            let _ = write.send(Message::Pong(p)).await;
                        }
                        Some(Ok(Message::Close(_))) | None => {
                            return Err(CoreError::Api(ApiError::Network("the server closed the connection".into())));
                        }
                        Some(Err(e)) => return Err(CoreError::Api(ApiError::Network(e.to_string()))),
                        Some(Ok(_)) => {}
                    }
                }
                _ = self.wake.notified() => {
                    self.set_status(|st| st.state = ConnectionState::Syncing);
                    self.push_outbox().await?;
                    self.report_access().await?;
                    self.set_status(|st| st.state = ConnectionState::Online);
                }
                _ = tick.tick() => {
                    // retry anything left, and notice a dead link: the server pings every 20 s
                    if last_heard.elapsed() > Duration::from_secs(50) {
                        return Err(CoreError::Api(ApiError::Network("no word from the server".into())));
                    }
                    // the socket can stay open while the server has lost its database: then
                    // nothing would be saved, so say offline (and reconnect with backoff)
                    self.api.health().await?;
                    self.push_outbox().await?;
                    self.report_access().await?;
                }
            }
        }
    }
}

/// Records the server's answer to one mutation in the cache: the server's row, then
/// - applied or duplicate: the entry leaves the outbox;
/// - conflict (an edit whose other fields merged): the entry leaves the outbox and each field
///   changed on both sides is kept for review with both values;
/// - rejected: the entry stays with the reason; if it created a record, what depends on that
///   record (its vitals, bookings, later edits) is held rather than sent to certain refusal.
pub(crate) fn record_answer(
    cache: &mut Cache,
    m: &Mutation,
    r: MutationResult,
    user_id: uuid::Uuid,
) -> Result<(), crate::cache::CacheError> {
    if let Some(server) = r.server.clone() {
        match Record::from_json(m.entity(), server) {
            Ok(record) => {
                // a merge (or an edit redirected by one) answers the record kept, not `m.id`
                let id = match &record {
                    Record::Patient(p) => p.id,
                    _ => m.id,
                };
                let change = Change {
                    id,
                    revision: r.revision.unwrap_or(0),
                    deleted: false,
                    record,
                };
                if let Err(e) = cache.apply_server_row(&change) {
                    tracing::warn!(error = %e, "could not cache a push answer");
                }
            }
            // the feed brings the row anyway
            Err(e) => tracing::warn!(error = %e, "a push answer's row did not read"),
        }
    }
    let conflicts: Option<Vec<FieldConflict>> = (r.status == MutationStatus::Conflict)
        .then(|| {
            r.error
                .as_ref()
                .and_then(|e| e.details.as_ref())
                .and_then(|d| d.get("conflicts"))
                .and_then(|c| serde_json::from_value(c.clone()).ok())
        })
        .flatten();
    match (r.status, conflicts) {
        (MutationStatus::Applied | MutationStatus::Duplicate, _) => {
            cache.outbox_done(m.mutation_id)
        }
        (MutationStatus::Conflict, Some(conflicts)) => {
            // a merge's conflicts are the record kept's fields
            let about = match &m.kind {
                MutationKind::MergePatient(merge) => merge.into,
                _ => m.id,
            };
            for c in &conflicts {
                cache.add_conflict(m.entity(), about, user_id, c)?;
            }
            cache.outbox_done(m.mutation_id)
        }
        (MutationStatus::Rejected | MutationStatus::Conflict, _) => {
            let why = r
                .error
                .as_ref()
                .map(|e| match &e.errors {
                    Some(f) if !f.is_empty() => format!("{}: {f}", e.message),
                    _ => e.message.clone(),
                })
                .unwrap_or_else(|| "refused by the server".into());
            cache.outbox_rejected(m.mutation_id, &why, r.error.as_ref())?;
            // what others may wait for: a creation the server refused
            let created = match &m.kind {
                MutationKind::RegisterPatient(_) => Some("the registration of this patient"),
                MutationKind::BookAppointment(_) => Some("this booking"),
                MutationKind::RecordVitals(_) => Some("this vital-signs set"),
                MutationKind::EditPatient(_)
                | MutationKind::DeletePatient
                | MutationKind::MergePatient(_)
                | MutationKind::CorrectVitals(_)
                | MutationKind::EditAppointment { .. } => None,
            };
            if let Some(what) = created {
                let n = cache.hold_dependents(
                    m.id,
                    &format!("Waits for {what}, which the server refused: {why}"),
                )?;
                if n > 0 {
                    tracing::info!(held = n, "held mutations depending on a refused creation");
                }
            }
            Ok(())
        }
    }
}

/// The reason a server gives in `closing` when it ended the session (as the error code).
const SESSION_ENDED: &str = "session_ended";

/// How far a catch-up from cursor `start` has come after the pages up to `revision`: records
/// so far, about how many in all (the revisions between `start` and the clinic's revision now),
/// and the time left at the rate so far (once a second and a fiftieth of the way have passed).
fn catch_up(
    start: i64,
    revision: i64,
    clinic_revision: Option<i64>,
    received: u64,
    elapsed: Duration,
) -> crate::view::CatchUp {
    // a server without the header: how far the feed goes is unknown, so the span is this page's
    let span = (clinic_revision.unwrap_or(0).max(revision) - start).max(1) as u64;
    let about = span.max(received);
    let done = (revision - start).max(0) as f64 / span as f64;
    let secs = elapsed.as_secs_f64();
    let seconds_left = (done >= 0.02 && secs >= 1.0)
        .then(|| (secs / done - secs).clamp(0.0, f64::from(u32::MAX)).round() as u32);
    crate::view::CatchUp {
        received,
        about,
        seconds_left,
    }
}

/// A feed page as read: the page, the clinic's revision when it was read, and the clinic's
/// feed history.
type FeedPage = (
    medoffice_model::ChangesPage,
    Option<i64>,
    Option<uuid::Uuid>,
);

/// The feed being read on its own task ([`Session::read_feed`]).
struct FeedReader {
    pages: tokio::sync::mpsc::Receiver<Result<FeedPage, CoreError>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FeedReader {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Pages read ahead of the writing, waiting in the channel (the reader holds one more): at
/// 2,000 changes each, what one write of [`FEED_WRITE_ROWS`] takes, and one more.
const FEED_AHEAD: usize = 6;

/// Changes written in one transaction at most while catching up: each transaction writes
/// again every index page it touched, so fewer, larger ones write less (a 30,000-patient first
/// sync: 55 s at 2,000 a transaction, 29 s at 10,000).
const FEED_WRITE_ROWS: usize = 10_000;

/// About how long one write of feed pages may hold the cache: a search typed during a first
/// sync waits for it. The pages taken are fewer once writes slow down (the indexes grow past
/// the page cache late in a large clinic's first sync), never less than one.
const FEED_WRITE_TIME: Duration = Duration::from_secs(1);

/// Changes asked for per feed page: the server's largest page (`feed::MAX_PAGE`); fewer, larger
/// pages cost a new workstation's first sync less per row.
const FEED_PAGE: i64 = 2000;

/// Runs `f`, blocking work on the cache, so that the runtime's other tasks go on meanwhile. A
/// task spawned just before (the next feed page's request) sits in this worker's own slot,
/// which other workers cannot take: run in place, the write held it up until the write ended,
/// and the pull read and wrote in turn rather than at once (a 30,000-patient first sync: 63 s
/// in turn, 55 s at once). On a multi-thread runtime the worker's queue moves to another thread
/// for the duration; on a current-thread runtime (tests) `f` simply runs.
fn off_the_runtime<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}
