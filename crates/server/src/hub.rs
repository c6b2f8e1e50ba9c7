//! Live change fan-out: one PostgreSQL listener per server process; for each tenant with open
//! sockets, it reads the feed from the last revision it pushed and broadcasts that page to all
//! of them (DESIGN.md, sync invariant 3). Notifications are hints: after the listener
//! reconnects, every tenant with sockets catches up from its cursor, so a lost NOTIFY delays a
//! change but never loses it.
//!
//! The same listener hears of ended sessions ([`SESSIONS_CHANNEL`], from a trigger on
//! `users`): it tells this process's sockets, and each socket whose user it names checks its
//! session and closes if it ended. Sockets also check on every keep-alive ping, so a
//! notification lost while the listener reconnects delays a close, never prevents it.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use medoffice_model::ServerMessage;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

use crate::db;
use crate::feed;

/// Channel PostgreSQL notifies on (payload `"<tenant uuid>:<revision>"`; the revision is `0`
/// when a server process announces a commit of its own, [`Hub::changed`]).
pub const CHANNEL: &str = "medoffice_changes";

/// Channel of ended sessions (payload `"<tenant uuid>:<user uuid>"`): a user's session epoch
/// changed or the user was deactivated (migration 0002).
pub const SESSIONS_CHANNEL: &str = "medoffice_sessions";

/// The sockets of one tenant.
/// A `changes` page as the clinic's sockets receive it: the message, and the patients whose
/// records it carries (each socket audits its delivery under its own person).
pub struct PushedPage {
    /// The serialized `changes` message.
    pub text: Arc<str>,
    /// First revision after the previous page.
    pub from: i64,
    /// This page's revision.
    pub to: i64,
    /// Distinct patients of its records ([`medoffice_model::patients_in`]).
    pub patients: Vec<Uuid>,
}

struct TenantChannel {
    tx: broadcast::Sender<Arc<PushedPage>>,
    /// Last revision pushed to these sockets; held while a page is read and sent, so pages go
    /// out in order and each `from` is the previous `to`.
    last_pushed: tokio::sync::Mutex<i64>,
    /// A push for this tenant is scheduled and has not started reading yet: a burst of
    /// notifications (a pushed outbox batch commits hundreds of revisions at once) becomes one
    /// feed read and one page instead of one per revision.
    scheduled: std::sync::atomic::AtomicBool,
}

/// The per-process fan-out.
#[derive(Clone)]
pub struct Hub {
    pool: PgPool,
    tenants: Arc<Mutex<HashMap<Uuid, Arc<TenantChannel>>>>,
    /// Users whose sessions ended, as announced on [`SESSIONS_CHANNEL`].
    sessions: broadcast::Sender<Uuid>,
    /// Clinics this process wrote for, to announce ([`Hub::changed`]).
    changed: mpsc::UnboundedSender<Uuid>,
    /// The other end, taken by the announcer task when [`Hub::spawn_listener`] starts it.
    changed_rx: Arc<Mutex<Option<mpsc::UnboundedReceiver<Uuid>>>>,
}

/// The clinic an authenticated request acts for, recorded by the session extractor
/// ([`crate::auth::Session`]) into the request's extensions where the write-announcing layer
/// ([`announce_writes`]) put a slot.
#[derive(Clone, Default)]
pub struct ActedFor(Arc<std::sync::OnceLock<Uuid>>);

impl ActedFor {
    /// Records the clinic (the first one recorded stays).
    pub fn set(&self, tenant_id: Uuid) {
        let _ = self.0.set(tenant_id);
    }
}

/// Layer function: after a request that may write (not GET, HEAD or OPTIONS) answers with
/// success, announces its clinic's change ([`Hub::changed`]). The write has committed by then:
/// every handler commits before it answers.
pub async fn announce_writes(
    axum::extract::State(hub): axum::extract::State<Hub>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let acted = ActedFor::default();
    req.extensions_mut().insert(acted.clone());
    let response = next.run(req).await;
    if response.status().is_success() {
        if let Some(tenant) = acted.0.get() {
            hub.changed(*tenant);
        }
    }
    response
}

/// A socket's subscription: the revision to announce in `hello`, and the page stream.
pub struct Subscription {
    /// Tenant revision when subscribed.
    pub revision: i64,
    /// `changes` pages.
    pub rx: broadcast::Receiver<Arc<PushedPage>>,
    _guard: SubscriptionGuard,
}

struct SubscriptionGuard {
    hub: Hub,
    tenant_id: Uuid,
}

impl Drop for SubscriptionGuard {
    fn drop(&mut self) {
        if let Ok(mut map) = self.hub.tenants.lock() {
            // `rx` is declared before the guard in `Subscription`, so it is already dropped
            if map
                .get(&self.tenant_id)
                .is_some_and(|c| c.tx.receiver_count() == 0)
            {
                map.remove(&self.tenant_id);
            }
        }
    }
}

impl Hub {
    /// A hub over `pool` (the listener is started by [`Hub::spawn_listener`]).
    pub fn new(pool: PgPool) -> Self {
        let (changed, changed_rx) = mpsc::unbounded_channel();
        Self {
            pool,
            tenants: Arc::new(Mutex::new(HashMap::new())),
            sessions: broadcast::channel(256).0,
            changed,
            changed_rx: Arc::new(Mutex::new(Some(changed_rx))),
        }
    }

    /// Announces that this process committed a change for `tenant_id`, to every server process
    /// (this one included) through `NOTIFY`, after the commit and outside it (migration 0006
    /// says why). Announcements that queue up while one is sent go out together, one statement
    /// for all of them, each clinic once.
    pub fn changed(&self, tenant_id: Uuid) {
        // the announcer has stopped only when the runtime stops
        let _ = self.changed.send(tenant_id);
    }

    async fn announce(pool: PgPool, mut rx: mpsc::UnboundedReceiver<Uuid>) {
        while let Some(first) = rx.recv().await {
            let mut tenants = std::collections::BTreeSet::from([first]);
            while let Ok(t) = rx.try_recv() {
                tenants.insert(t);
            }
            let payloads: Vec<String> = tenants.iter().map(|t| format!("{t}:0")).collect();
            if let Err(e) = sqlx::query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
                .bind(CHANNEL)
                .bind(&payloads)
                .execute(&pool)
                .await
            {
                // the sweep pushes these within 10 s
                tracing::warn!(error = %e, "announcing changes failed");
            }
        }
    }

    /// Ids of users whose sessions end from now on (a socket checks its own session when its
    /// user's id comes by; a lagging receiver should check too).
    pub fn session_ends(&self) -> broadcast::Receiver<Uuid> {
        self.sessions.subscribe()
    }

    /// Subscribes a socket of `tenant_id`. Subscribing happens under the map lock, the same
    /// lock the last leaving socket takes to remove the channel, so a socket never lands on a
    /// channel that is being dropped.
    pub async fn subscribe(&self, tenant_id: Uuid) -> anyhow::Result<Subscription> {
        loop {
            let present = self.lock()?.contains_key(&tenant_id);
            // A new channel starts at the tenant's current revision: earlier changes reach the
            // socket's client through its pull after `hello`.
            let start = if present {
                None
            } else {
                Some(self.current_revision(tenant_id).await?)
            };
            let found = {
                let mut map = self.lock()?;
                match (map.get(&tenant_id), start) {
                    (Some(c), _) => Some((c.clone(), c.tx.subscribe())),
                    (None, Some(rev)) => {
                        let c = Arc::new(TenantChannel {
                            tx: broadcast::channel(256).0,
                            last_pushed: tokio::sync::Mutex::new(rev),
                            scheduled: std::sync::atomic::AtomicBool::new(false),
                        });
                        let rx = c.tx.subscribe();
                        map.insert(tenant_id, c.clone());
                        Some((c, rx))
                    }
                    // removed meanwhile: read the revision again
                    (None, None) => None,
                }
            };
            if let Some((chan, rx)) = found {
                let revision = *chan.last_pushed.lock().await;
                return Ok(Subscription {
                    revision,
                    rx,
                    _guard: SubscriptionGuard {
                        hub: self.clone(),
                        tenant_id,
                    },
                });
            }
        }
    }

    fn lock(&self) -> anyhow::Result<std::sync::MutexGuard<'_, HashMap<Uuid, Arc<TenantChannel>>>> {
        self.tenants
            .lock()
            .map_err(|_| anyhow::anyhow!("hub poisoned"))
    }

    async fn current_revision(&self, tenant_id: Uuid) -> anyhow::Result<i64> {
        let mut tx = db::tenant_tx(&self.pool, tenant_id).await?;
        let rev: i64 = sqlx::query_scalar("SELECT revision FROM tenant_counters")
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(rev)
    }

    /// Pushes what changed for `tenant_id` since the last page, if anyone listens.
    pub async fn push_tenant(&self, tenant_id: Uuid) -> anyhow::Result<()> {
        let chan = match self
            .tenants
            .lock()
            .map_err(|_| anyhow::anyhow!("hub poisoned"))?
            .get(&tenant_id)
            .cloned()
        {
            Some(c) => c,
            None => return Ok(()),
        };
        let mut last = chan.last_pushed.lock().await;
        loop {
            let mut tx = db::tenant_snapshot(&self.pool, tenant_id).await?;
            let page = feed::read_changes(&mut tx, *last, 500)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            tx.commit().await?;
            if page.revision <= *last {
                break;
            }
            let patients = medoffice_model::patients_in(&page.changes);
            let msg = ServerMessage::Changes {
                from: *last,
                to: page.revision,
                changes: page.changes,
            };
            let text: Arc<str> = serde_json::to_string(&msg)?.into();
            // no receivers is fine: the last socket just left
            let _ = chan.tx.send(Arc::new(PushedPage {
                text,
                from: *last,
                to: page.revision,
                patients,
            }));
            *last = page.revision;
            if !page.has_more {
                break;
            }
        }
        Ok(())
    }

    fn subscribed_tenants(&self) -> Vec<Uuid> {
        self.tenants
            .lock()
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Starts the listener task: LISTEN, push on each notification, catch up after reconnects;
    /// and, once per hub, the task that announces this process's writes ([`Hub::changed`]).
    pub fn spawn_listener(&self) -> tokio::task::JoinHandle<()> {
        let receiver = self.changed_rx.lock().ok().and_then(|mut r| r.take());
        if let Some(rx) = receiver {
            tokio::spawn(Self::announce(self.pool.clone(), rx));
        }
        // A slow safety net under the notifications: a page lost anywhere is pushed within 10 s.
        let sweeper = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            loop {
                tick.tick().await;
                sweeper.catch_up_all().await;
            }
        });
        let hub = self.clone();
        tokio::spawn(async move {
            loop {
                match hub.listen().await {
                    Ok(()) => {}
                    Err(e) => tracing::warn!(error = %e, "change listener failed; retrying"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    }

    async fn listen(&self) -> anyhow::Result<()> {
        let mut listener = PgListener::connect_with(&self.pool).await?;
        listener.listen_all([CHANNEL, SESSIONS_CHANNEL]).await?;
        tracing::info!("listening for change notifications");
        // anything committed while we were not listening
        self.catch_up_all().await;
        loop {
            match listener.try_recv().await? {
                Some(n) if n.channel() == SESSIONS_CHANNEL => {
                    if let Some(user) = n
                        .payload()
                        .split_once(':')
                        .and_then(|(_, u)| Uuid::parse_str(u).ok())
                    {
                        // no receivers is fine: no socket is open
                        let _ = self.sessions.send(user);
                    }
                }
                Some(n) => {
                    let Some(tenant) = n
                        .payload()
                        .split_once(':')
                        .and_then(|(t, _)| Uuid::parse_str(t).ok())
                    else {
                        continue;
                    };
                    let chan = self.lock()?.get(&tenant).cloned();
                    let Some(chan) = chan else { continue };
                    if chan.scheduled.swap(true, Ordering::AcqRel) {
                        // a push that has not read yet will include this revision
                        continue;
                    }
                    let hub = self.clone();
                    tokio::spawn(async move {
                        chan.scheduled.store(false, Ordering::Release);
                        if let Err(e) = hub.push_tenant(tenant).await {
                            tracing::warn!(error = %e, %tenant, "pushing changes failed");
                        }
                    });
                }
                None => {
                    tracing::warn!(
                        "change listener lost its connection; reconnecting and catching up"
                    );
                    self.catch_up_all().await;
                }
            }
        }
    }

    async fn catch_up_all(&self) {
        for t in self.subscribed_tenants() {
            if let Err(e) = self.push_tenant(t).await {
                tracing::warn!(error = %e, tenant = %t, "catch-up failed");
            }
        }
    }
}
