//! medoffice desktop core: everything the desktop app does, without Tauri.
//!
//! A [`Workstation`] signs a user in against the central server (access token in memory,
//! refresh token in the OS keyring), keeps a per-clinic SQLite [`cache`] so reads never wait for
//! the network, queues local writes in an outbox, and runs a sync engine (`engine`) that pulls
//! the feed, applies pages pushed over the WebSocket, and drains the outbox with client-made
//! mutation ids. The Tauri commands in `src-tauri` are thin wrappers over these methods.
//!
//! Security of the workstation: the cache is encrypted at rest ([`vault`]: SQLCipher, key in
//! the OS keyring and wrapped under each signed-in person's password); sign-out can remove a
//! clinic's data ([`Workstation::logout`]); plain HTTP to another computer is refused
//! ([`api::Transport`]); the app's idle lock is checked here ([`Workstation::unlock`]).
//!
//! Where things are (each module adds its part of [`Workstation`]'s methods):
//!
//! | Module | What it holds |
//! |---|---|
//! | `config` | [`WorkstationConfig`] and the preferences kept in `workstation.json` |
//! | `custody` | each clinic's cache file and the custody of its key ([`vault`]) |
//! | `signin` | online sign-in, offline unlock ([`offline`]), resume at app start |
//! | `lock`, `signout` | the idle lock; sign-out and removing a clinic's data (wipe) |
//! | `reads`, `writes` | what the screens read; clinical writes queued in the outbox |
//! | `clash` | booking clashes seen from the cache |
//! | `review` | the review list: refused changes, conflicts, possible duplicates |
//! | `engine` | the [`Session`] and its sync engine (feed, WebSocket, outbox) |
//! | [`cache`], [`local`] | the SQLite cache; its rows with the outbox's changes on top |
//! | [`clock`] | the server's time as learned from its answers: what is stamped and checked |
//! | [`api`] | the HTTP client of the central server's API (plus [`account`], [`admin`], `access`) |
//! | [`view`], `error` | what the UI reads, and the errors it gets |
//! | `support` | sync now, close, counts and a dump of the cache for support staff |

mod access;
pub mod account;
pub mod admin;
pub mod api;
pub mod cache;
mod clash;
pub mod clock;
mod config;
mod custody;
pub mod duplicates;
mod engine;
mod error;
pub mod hours;
pub mod local;
mod lock;
pub mod offline;
mod reads;
mod review;
pub mod rooms;
pub mod secrets;
pub mod series;
mod signin;
mod signout;
mod support;
pub mod vault;
pub mod view;
mod writes;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use medoffice_model::Permission;
use tokio::sync::{broadcast, watch, RwLock};

pub(crate) use clash::clash_in_cache;
pub use config::{WorkstationConfig, DEFAULT_OFFLINE_UNLOCK_HOURS};
pub use engine::Session;
pub(crate) use error::internal;
pub use error::CoreError;
pub use lock::MAX_UNLOCK_FAILURES;
use view::{CacheChanged, CommandError, ConnectionState, ErrorCode, SessionState, SyncStatus};

/// The desktop core. Cheap to clone.
#[derive(Clone)]
pub struct Workstation {
    config: Arc<WorkstationConfig>,
    session: Arc<RwLock<Option<Arc<Session>>>>,
    status: watch::Sender<SyncStatus>,
    changes: broadcast::Sender<CacheChanged>,
    secrets: secrets::SecretStore,
    /// The server's time, learned from every answer and kept in the workstation's folder.
    clock: clock::ServerClock,
    /// Wrong passwords in a row at the lock screen.
    /// A sign-in the server let through only to change a temporary password or enrol a
    /// second factor (see [`account`]).
    pending: Arc<tokio::sync::Mutex<Option<account::PendingSignIn>>>,
}

fn signed_out_status() -> SyncStatus {
    SyncStatus {
        state: ConnectionState::SignedOut,
        pending: 0,
        rejected: 0,
        held: 0,
        conflicts: 0,
        possible_duplicates: 0,
        to_review: 0,
        offline_since: None,
        last_synced_at: None,
        clock_ahead_ms: 0,
        clock_wrong: false,
        cursor: 0,
        last_error: None,
        sign_in_required: false,
        ended_by_server: None,
        catching_up: None,
    }
}

impl Workstation {
    /// Opens the workstation's folder (creating it).
    pub fn open(config: WorkstationConfig) -> Result<Self, CommandError> {
        std::fs::create_dir_all(&config.data_dir).map_err(internal)?;
        let secrets = secrets::SecretStore::new(config.keyring_service.clone());
        let clock = clock::ServerClock::open(&config.data_dir);
        Ok(Self {
            config: Arc::new(config),
            session: Arc::new(RwLock::new(None)),
            status: watch::channel(signed_out_status()).0,
            changes: broadcast::channel(64).0,
            secrets,
            clock,
            pending: Arc::new(tokio::sync::Mutex::new(None)),
        })
    }

    /// The configuration this workstation was opened with.
    pub fn config(&self) -> &WorkstationConfig {
        &self.config
    }

    /// Who is signed in, and what the login form should prefill.
    pub async fn session_state(&self) -> SessionState {
        let p = self.load_prefs();
        let user = self.session.read().await.as_ref().map(|s| s.user.clone());
        SessionState {
            locked: p.locked && user.is_some(),
            user,
            server_url: p.server_url,
            tenant: p.tenant,
            username: p.username,
        }
    }

    /// The current status.
    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// Status updates (for the status bar).
    pub fn subscribe_status(&self) -> watch::Receiver<SyncStatus> {
        self.status.subscribe()
    }

    /// Cache-change notices (re-read the screen when one arrives).
    pub fn subscribe_changes(&self) -> broadcast::Receiver<CacheChanged> {
        self.changes.subscribe()
    }

    /// The current session, or `not_signed_in`.
    pub async fn session(&self) -> Result<Arc<Session>, CommandError> {
        self.session
            .read()
            .await
            .clone()
            .ok_or_else(|| CommandError::new(ErrorCode::NotSignedIn, "Sign in first"))
    }

    fn require(s: &Session, p: Permission) -> Result<(), CommandError> {
        if s.user.role.can(p) {
            Ok(())
        } else {
            Err(CommandError::new(
                ErrorCode::Forbidden,
                "Your role may not do this",
            ))
        }
    }

    /// Today in the clinic's time zone.
    pub async fn clinic_today(&self) -> Result<NaiveDate, CommandError> {
        Ok(self.session().await?.today())
    }
}

/// The UTC bounds of a clinic-local day (see [`medoffice_model::day_bounds`]).
pub fn day_bounds(tz: chrono_tz::Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    medoffice_model::day_bounds(&tz, date, date)
}
