//! The local SQLite cache (rusqlite): server rows, the feed cursor, and the outbox.
//!
//! Server rows are only ever written from server answers (feed pages, pushed pages, push
//! results), each guarded by its revision so an older state never overwrites a newer one.
//! Local work lives in the outbox until the server answers it.
//!
//! The file is a SQLCipher database (AES-256 per page, the WAL included) opened with a raw
//! 256-bit key (see [`crate::vault`] for where the key lives); a plaintext cache written by an
//! earlier version is converted on first open, its outbox kept.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use medoffice_model::merge::FieldConflict;
use medoffice_model::search::{like_literal, SearchTerm};
use medoffice_model::{
    Appointment, Change, EntityKind, Mutation, MutationEnvelope, MutationOp, Patient, Record,
    StaffMember, VitalSigns,
};
use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};
use uuid::Uuid;

use crate::vault::CacheKey;

/// Cache errors.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// SQLite failed.
    #[error("local cache: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Migrating the cache failed (e.g. it was written by a newer version of the app).
    #[error("local cache schema: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// A stored row did not parse.
    #[error("local cache data: {0}")]
    Data(#[from] serde_json::Error),
    /// The file is not readable with the key given (encrypted with another key, or damaged).
    #[error("local cache {0}: not readable with this workstation's key for it (encrypted with another key, or damaged)")]
    WrongKey(String),
    /// Converting a plaintext cache of an earlier version failed (the plaintext file is kept).
    #[error("local cache {path}: encrypting the cache of an earlier version failed: {why}")]
    Conversion {
        /// The cache file.
        path: String,
        /// What failed.
        why: String,
    },
}

/// Result alias.
pub type CacheResult<T> = Result<T, CacheError>;

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../../migrations/cache/0001_cache.sql")),
        M::up(include_str!("../../../migrations/cache/0002_review.sql")),
        M::up(include_str!(
            "../../../migrations/cache/0003_search_words.sql"
        )),
        M::up(include_str!(
            "../../../migrations/cache/0004_access_log.sql"
        )),
        M::up(include_str!(
            "../../../migrations/cache/0005_availability.sql"
        )),
        M::up(include_str!("../../../migrations/cache/0006_rooms.sql")),
        M::up(include_str!(
            "../../../migrations/cache/0007_visit_types.sql"
        )),
        M::up(include_str!(
            "../../../migrations/cache/0008_escalation_ack.sql"
        )),
        M::up(include_str!(
            "../../../migrations/cache/0009_patient_identifiers.sql"
        )),
    ])
}

/// Instants as stored: RFC 3339 UTC with microseconds, so text order is time order.
pub fn instant_key(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Pairs of live patients with the same folded name and date of birth, lower id first, that
/// nobody marked as different people (tables `a` and `b`).
macro_rules! duplicate_pairs {
    () => {
        "FROM patients a JOIN patients b \
         ON b.search_name = a.search_name AND b.date_of_birth = a.date_of_birth AND b.id > a.id \
         WHERE a.deleted = 0 AND b.deleted = 0 \
         AND a.search_name IN (SELECT search_name FROM patients WHERE deleted = 0 \
             GROUP BY search_name, date_of_birth HAVING count(*) > 1) \
         AND NOT EXISTS (SELECT 1 FROM dismissed_duplicates d WHERE d.a = a.id AND d.b = b.id)"
    };
}

/// One outbox entry.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    /// Order of entry.
    pub seq: i64,
    /// The mutation.
    pub mutation: Mutation,
    /// Who queued it.
    pub user_id: Uuid,
    /// `pending`, `rejected` (the server refused it) or `held` (waits for a refused creation
    /// it depends on, named by `held_by`).
    pub state: String,
    /// Why it was rejected or held, in words.
    pub error: Option<String>,
    /// The server's error body of a refusal (field errors, the clashing booking's id).
    pub error_details: Option<medoffice_model::ErrorBody>,
    /// For a held entry: the refused creation it waits for.
    pub held_by: Option<Uuid>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

/// The outbox columns [`Cache::stored_entries`] reads, in its order.
const OUTBOX_COLUMNS: &str = "seq, mutation_id, entity, op, entity_id, base_revision, data, \
     user_id, state, error, created_at, error_details, held_by";

/// An outbox row as stored, before its envelope is read as a mutation.
struct StoredEntry {
    seq: i64,
    envelope: MutationEnvelope,
    user_id: Uuid,
    state: String,
    error: Option<String>,
    error_details: Option<medoffice_model::ErrorBody>,
    held_by: Option<Uuid>,
    created_at: DateTime<Utc>,
}

/// An outbox entry this build cannot read as a change (see [`Cache::unreadable_outbox`]).
#[derive(Debug, Clone)]
pub struct UnreadableEntry {
    /// The entry as stored.
    pub envelope: MutationEnvelope,
    /// Why it does not read, in words.
    pub reason: String,
    /// `pending`, `rejected` or `held`.
    pub state: String,
    /// Who queued it.
    pub user_id: Uuid,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

/// A field changed both here and on the server (see `migrations/cache/0002_review.sql`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredConflict {
    /// Local id of the conflict.
    pub id: Uuid,
    /// Kind of record.
    pub entity: EntityKind,
    /// The record.
    pub entity_id: Uuid,
    /// Who made the local edit.
    pub user_id: Uuid,
    /// When the conflict came back.
    pub created_at: DateTime<Utc>,
    /// The field with both values.
    pub conflict: FieldConflict,
}

/// Which outbox entries to read (all when default).
#[derive(Debug, Clone, Copy, Default)]
pub struct OutboxFilter {
    /// Skip rejected entries.
    pub pending_only: bool,
    /// Only this user's.
    pub user: Option<Uuid>,
    /// Only this kind of row.
    pub entity: Option<EntityKind>,
    /// Only this row.
    pub entity_id: Option<Uuid>,
    /// Only entries whose data names this patient (vital-sign and appointment creates).
    pub patient_id: Option<Uuid>,
    /// Only entries held for this refused creation.
    pub held_by: Option<Uuid>,
    /// Only this entry.
    pub seq: Option<i64>,
    /// Only entries in this state (`pending`, `rejected`, `held`).
    pub state: Option<&'static str>,
}

/// The cache database of one clinic on this workstation.
pub struct Cache {
    conn: Connection,
}

/// Page cache of a cache connection, KiB (see [`Cache::open`]).
const CACHE_KIB: i64 = 64 * 1024;

/// The `meta` key of the server's feed history this cache follows (`x-feed-epoch`).
pub const FEED_EPOCH_KEY: &str = "feed_epoch";

/// The `meta` key set while a download of a new server history has not caught up yet.
const HISTORY_RESTART_KEY: &str = "history_restart";

/// The tables that hold rows from the server's feed, each with a `revision`: marked stale when
/// the server's history changes ([`Cache::restart_history`]) and cleared of what the new
/// history did not bring once it caught up ([`Cache::finish_history_restart`]).
const SERVER_ROW_TABLES: &[&str] = &[
    "patients",
    "vital_signs",
    "appointments",
    "staff",
    "availability",
    "schedule_blocks",
    "rooms",
    "visit_types",
];

/// The first 16 bytes of every plaintext SQLite file (an encrypted one starts with its salt).
const PLAINTEXT_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// True when `path` is an unencrypted SQLite database (a cache of an earlier version); false
/// for an encrypted, empty or missing file.
pub fn is_plaintext(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let mut head = [0u8; 16];
    match f.read_exact(&mut head) {
        Ok(()) => Ok(&head == PLAINTEXT_HEADER),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// The files SQLite keeps for the database at `path`: itself, its WAL, its shared-memory
/// index and a rollback journal.
pub fn files_of(path: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![path.to_path_buf()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        out.push(p.into());
    }
    out
}

/// Encrypts the plaintext database at `path` under `key` in place: the WAL is folded in and
/// switched off first (so no plaintext WAL can outlive the conversion), `sqlcipher_export`
/// writes an encrypted copy next to it with the same schema version, and a rename replaces
/// the plaintext file. A crash before the rename leaves the plaintext cache as it was.
fn encrypt_plaintext(path: &Path, key: &CacheKey) -> CacheResult<()> {
    let fail = |why: String| CacheError::Conversion {
        path: path.display().to_string(),
        why,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".encrypting");
    let tmp = std::path::PathBuf::from(tmp);
    for f in files_of(&tmp) {
        let _ = std::fs::remove_file(f);
    }
    {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tmp_str = tmp
            .to_str()
            .ok_or_else(|| fail("the path is not valid UTF-8".into()))?;
        conn.execute(
            &format!(
                "ATTACH DATABASE ?1 AS encrypted KEY {}",
                key.sql_literal().as_str()
            ),
            [tmp_str],
        )?;
        conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        conn.execute_batch(&format!("PRAGMA encrypted.user_version = {version}"))?;
        conn.execute_batch("DETACH DATABASE encrypted")?;
    }
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| fail(e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| fail(e.to_string()))?;
    for f in files_of(path).into_iter().skip(1) {
        let _ = std::fs::remove_file(f);
    }
    if let Some(dir) = path.parent() {
        // the rename itself is durable once the folder is synced
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    tracing::info!(path = %path.display(), "encrypted the cache of an earlier version");
    Ok(())
}

impl Cache {
    /// Opens (creating and migrating) the cache at `path`, encrypted with `key`; a plaintext
    /// cache of an earlier version is encrypted first ([`CacheError::WrongKey`] when the file
    /// is encrypted with another key). WAL with `synchronous=FULL`: a queued mutation is on
    /// disk before the UI is told it is saved.
    pub fn open(path: &Path, key: &CacheKey) -> CacheResult<Self> {
        if is_plaintext(path).map_err(|e| CacheError::Conversion {
            path: path.display().to_string(),
            why: e.to_string(),
        })? {
            encrypt_plaintext(path, key)?;
        }
        let mut conn = Connection::open(path)?;
        #[cfg(unix)]
        {
            // only this OS user reads it (SQLite gives its WAL and shared memory the same mode)
            use std::os::unix::fs::PermissionsExt;
            if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
                tracing::warn!(error = %e, "could not restrict the cache file's permissions");
            }
        }
        // the key before anything else touches the file
        conn.execute_batch(&format!("PRAGMA key = {}", key.sql_literal().as_str()))?;
        match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        }) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::NotADatabase =>
            {
                return Err(CacheError::WrongKey(path.display().to_string()))
            }
            Err(e) => return Err(e.into()),
        }
        // sorts and temporary tables stay in memory, never in a temporary file
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // every page read from disk is decrypted and authenticated: keep up to 64 MiB of
        // decrypted pages (SQLite's default is 2 MiB), enough for the indexes and hot rows of
        // a 100,000-patient clinic
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // feed upserts, search shapes and outbox reads all stay prepared (the default is 16)
        conn.set_prepared_statement_cache_capacity(64);
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrations().to_latest(&mut conn)?;
        let cache = Self { conn };
        cache.set_aside_unreadable()?;
        Ok(cache)
    }

    /// Marks as refused, with the reason, every queued entry this build cannot read (see
    /// [`Cache::unreadable_outbox`]), once when the cache opens: it is never sent, nothing held
    /// waits for it, and the review list shows it to discard. Entries written from here on are
    /// typed, so they always read.
    fn set_aside_unreadable(&self) -> CacheResult<()> {
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state <> 'rejected'");
        for row in self.stored_entries(&sql, &[])? {
            if let Err(e) = Mutation::decode(&row.envelope) {
                tracing::warn!(seq = row.seq, error = %e, "a queued change this version cannot read is set aside for review");
                self.conn.execute(
                    "UPDATE outbox SET state = 'rejected', error = ?2, error_details = NULL, held_by = NULL \
                     WHERE seq = ?1",
                    params![row.seq, e.to_string()],
                )?;
            }
        }
        Ok(())
    }

    /// Runs `f` in one transaction (one disk sync for many small writes, e.g. recording the
    /// answers to a pushed batch); everything `f` did is rolled back when it fails.
    pub fn batch<T>(&mut self, f: impl FnOnce(&mut Self) -> CacheResult<T>) -> CacheResult<T> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match f(self) {
            Ok(v) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// The connection, for modules that keep their own tables in the cache (see
    /// [`crate::access`]).
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// A metadata value.
    pub fn meta(&self, key: &str) -> CacheResult<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Sets a metadata value.
    pub fn set_meta(&self, key: &str, value: &str) -> CacheResult<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// The feed cursor: every server change up to this revision is in the cache.
    pub fn cursor(&self) -> CacheResult<i64> {
        Ok(self
            .meta("cursor")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Applies server rows and then moves the cursor to `new_cursor` (never backwards), in one
    /// transaction: the cursor only moves once the rows are committed.
    pub fn apply_changes(
        &mut self,
        changes: &[Change],
        new_cursor: i64,
    ) -> CacheResult<Vec<EntityKind>> {
        let tx = self.conn.savepoint()?;
        let mut kinds = Vec::new();
        for c in changes {
            if apply_change(&tx, c)? && !kinds.contains(&c.entity()) {
                kinds.push(c.entity());
            }
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('cursor', ?1) \
             ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            [new_cursor.to_string()],
        )?;
        tx.commit()?;
        Ok(kinds)
    }

    /// Starts the feed again from zero because the server's history changed (its database was
    /// restored from a backup): every row held from the server is marked stale (revision -1,
    /// so whatever the new history sends replaces it, however low its revision), the cursor goes
    /// back to zero and the new history is noted; what is this workstation's own (the outbox,
    /// review items, dismissed duplicates, access reports) is kept. The stale rows stay readable
    /// until the download catches up, so a link lost halfway leaves the old list, not half of
    /// one ([`Cache::finish_history_restart`]). One transaction.
    pub fn restart_history(&mut self, epoch: Option<uuid::Uuid>) -> CacheResult<()> {
        let tx = self.conn.savepoint()?;
        for table in SERVER_ROW_TABLES {
            tx.execute(&format!("UPDATE {table} SET revision = -1"), [])?;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [HISTORY_RESTART_KEY],
        )?;
        tx.execute("UPDATE meta SET value = '0' WHERE key = 'cursor'", [])?;
        match epoch {
            Some(e) => tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![FEED_EPOCH_KEY, e.to_string()],
            )?,
            None => tx.execute("DELETE FROM meta WHERE key = ?1", [FEED_EPOCH_KEY])?,
        };
        tx.commit()?;
        Ok(())
    }

    /// Once the download of a new history has caught up: drops the rows it did not bring back
    /// (still stale: the restored server does not have them). True when there was a restart to
    /// finish.
    pub fn finish_history_restart(&mut self) -> CacheResult<bool> {
        if self.meta(HISTORY_RESTART_KEY)?.is_none() {
            return Ok(false);
        }
        let tx = self.conn.savepoint()?;
        tx.execute(
            "DELETE FROM patient_words WHERE patient_id IN (SELECT id FROM patients WHERE revision = -1)",
            [],
        )?;
        tx.execute(
            "DELETE FROM patient_identifiers WHERE patient_id IN (SELECT id FROM patients WHERE revision = -1)",
            [],
        )?;
        for table in SERVER_ROW_TABLES {
            tx.execute(&format!("DELETE FROM {table} WHERE revision = -1"), [])?;
        }
        tx.execute("DELETE FROM meta WHERE key = ?1", [HISTORY_RESTART_KEY])?;
        tx.commit()?;
        Ok(true)
    }

    /// Writes one server row outside the feed (a push answer), guarded by revision; the cursor
    /// does not move.
    pub fn apply_server_row(&mut self, c: &Change) -> CacheResult<bool> {
        let tx = self.conn.savepoint()?;
        let changed = apply_change(&tx, c)?;
        tx.commit()?;
        Ok(changed)
    }

    // ---------------------------------------------------------------------------- outbox

    /// Queues a mutation (durably).
    pub fn enqueue(&self, m: &Mutation, user_id: Uuid) -> CacheResult<()> {
        self.conn.execute(
            "INSERT INTO outbox (mutation_id, entity, op, entity_id, base_revision, data, user_id, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                m.mutation_id.to_string(),
                m.entity().as_str(),
                m.op().as_str(),
                m.id.to_string(),
                m.kind.base_revision(),
                serde_json::to_string(&m.data())?,
                user_id.to_string(),
                instant_key(Utc::now()),
            ],
        )?;
        Ok(())
    }

    /// Outbox entries in order; `pending_only` skips rejected ones.
    pub fn outbox(&self, pending_only: bool, limit: usize) -> CacheResult<Vec<OutboxEntry>> {
        self.outbox_where(
            OutboxFilter {
                pending_only,
                ..Default::default()
            },
            limit,
        )
    }

    /// The first `limit` pending entries queued by `user_id`, in order: what that user's
    /// session sends (a shared workstation queues each person's work under their identity).
    pub fn pending_of(&self, user_id: Uuid, limit: usize) -> CacheResult<Vec<OutboxEntry>> {
        self.outbox_where(
            OutboxFilter {
                pending_only: true,
                user: Some(user_id),
                ..Default::default()
            },
            limit,
        )
    }

    /// Pending and rejected mutations of one row, in order.
    pub fn outbox_for(&self, entity_id: Uuid) -> CacheResult<Vec<OutboxEntry>> {
        self.outbox_where(
            OutboxFilter {
                entity_id: Some(entity_id),
                ..Default::default()
            },
            usize::MAX >> 1,
        )
    }

    /// Ids of rows that other users' pending mutations touch (usually none).
    pub fn pending_ids_of_others(&self, user_id: Uuid) -> CacheResult<Vec<Uuid>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT entity_id FROM outbox WHERE state = 'pending' AND user_id <> ?1",
        )?;
        let rows = stmt.query_map([user_id.to_string()], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            if let Ok(id) = Uuid::parse_str(&r?) {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Outbox entries matching `f`, in order, at most `limit`. Only the filters given become
    /// SQL conditions, so lookups by row use the `entity_id` index and the UI's reads never
    /// decode the whole outbox.
    pub fn outbox_where(&self, f: OutboxFilter, limit: usize) -> CacheResult<Vec<OutboxEntry>> {
        let mut sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE 1 = 1");
        let mut args: Vec<String> = Vec::new();
        if f.pending_only {
            sql.push_str(" AND state = 'pending'");
        }
        for (column, value) in [
            ("user_id", f.user.map(|u| u.to_string())),
            ("entity", f.entity.map(|e| e.as_str().to_owned())),
            ("entity_id", f.entity_id.map(|u| u.to_string())),
            (
                "json_extract(data, '$.patient_id')",
                f.patient_id.map(|u| u.to_string()),
            ),
            ("held_by", f.held_by.map(|u| u.to_string())),
            ("seq", f.seq.map(|s| s.to_string())),
            ("state", f.state.map(str::to_owned)),
        ] {
            if let Some(v) = value {
                args.push(v);
                sql.push_str(&format!(" AND {column} = ?{}", args.len()));
            }
        }
        sql.push_str(&format!(
            " ORDER BY seq LIMIT {}",
            limit.min(i64::MAX as usize)
        ));
        let mut out = Vec::new();
        for row in self.stored_entries(&sql, &args)? {
            // the outbox stores the wire envelope, so entries queued by an older release read;
            // one this build cannot read is left out here and listed by `unreadable_outbox`
            let Ok(mutation) = Mutation::decode(&row.envelope) else {
                tracing::warn!(
                    seq = row.seq,
                    "an outbox entry this version cannot read is left out"
                );
                continue;
            };
            out.push(OutboxEntry {
                seq: row.seq,
                mutation,
                user_id: row.user_id,
                state: row.state,
                error: row.error,
                error_details: row.error_details,
                held_by: row.held_by,
                created_at: row.created_at,
            });
        }
        Ok(out)
    }

    /// Outbox rows as stored (the wire envelope and the entry's bookkeeping), for a query
    /// selecting [`OUTBOX_COLUMNS`].
    fn stored_entries(&self, sql: &str, args: &[String]) -> CacheResult<Vec<StoredEntry>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, String>(10)?,
                r.get::<_, Option<String>>(11)?,
                r.get::<_, Option<String>>(12)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, mid, entity, op, id, base, data, user, state, error, at, details, held_by) =
                row?;
            out.push(StoredEntry {
                seq,
                envelope: MutationEnvelope {
                    mutation_id: Uuid::parse_str(&mid).unwrap_or_default(),
                    entity,
                    op,
                    id: Uuid::parse_str(&id).unwrap_or_default(),
                    base_revision: base,
                    data: serde_json::from_str(&data)?,
                },
                user_id: Uuid::parse_str(&user).unwrap_or_default(),
                state,
                error,
                error_details: details.and_then(|d| serde_json::from_str(&d).ok()),
                held_by: held_by.and_then(|h| Uuid::parse_str(&h).ok()),
                created_at: DateTime::parse_from_rfc3339(&at)
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(|_| Utc::now()),
            });
        }
        Ok(out)
    }

    /// Outbox entries this build cannot read as a change: a body the previous release stored
    /// that no longer passes its kind's checks (a resend of an edit with fields an edit may not
    /// change), or a kind a newer release queued before the app was downgraded. They are never
    /// sent (set aside as refused when the cache opens); they are listed for a person to
    /// discard ([`Cache::discard_unreadable`]), so one bad entry does not stop the queue.
    pub fn unreadable_outbox(&self) -> CacheResult<Vec<UnreadableEntry>> {
        self.unreadable_where("state = 'rejected' ORDER BY seq", &[])
    }

    fn unreadable_where(
        &self,
        condition: &str,
        args: &[String],
    ) -> CacheResult<Vec<UnreadableEntry>> {
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE {condition}");
        let mut out = Vec::new();
        for row in self.stored_entries(&sql, args)? {
            if let Err(e) = Mutation::decode(&row.envelope) {
                out.push(UnreadableEntry {
                    envelope: row.envelope,
                    reason: e.to_string(),
                    state: row.state,
                    user_id: row.user_id,
                    created_at: row.created_at,
                });
            }
        }
        Ok(out)
    }

    /// Removes an outbox entry this build cannot read (see [`Cache::unreadable_outbox`]).
    /// Returns whether `mutation_id` was one.
    pub fn discard_unreadable(&self, mutation_id: Uuid) -> CacheResult<bool> {
        let unreadable = !self
            .unreadable_where("mutation_id = ?1", &[mutation_id.to_string()])?
            .is_empty();
        if unreadable {
            self.conn.execute(
                "DELETE FROM outbox WHERE mutation_id = ?1",
                [mutation_id.to_string()],
            )?;
        }
        Ok(unreadable)
    }

    /// Counts of (pending, rejected, held) outbox entries.
    pub fn outbox_counts(&self) -> CacheResult<(u32, u32, u32)> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'rejected'), 0), \
             coalesce(sum(state = 'held'), 0) FROM outbox",
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)? as u32,
                    r.get::<_, i64>(1)? as u32,
                    r.get::<_, i64>(2)? as u32,
                ))
            },
        )?)
    }

    /// Removes an answered mutation.
    pub fn outbox_done(&self, mutation_id: Uuid) -> CacheResult<()> {
        self.conn.execute(
            "DELETE FROM outbox WHERE mutation_id = ?1",
            [mutation_id.to_string()],
        )?;
        Ok(())
    }

    /// Keeps a refused mutation with the reason (and the server's error body). An entry
    /// already held for a refused dependency stays held: that is the reason a person can act on.
    pub fn outbox_rejected(
        &self,
        mutation_id: Uuid,
        error: &str,
        details: Option<&medoffice_model::ErrorBody>,
    ) -> CacheResult<()> {
        self.conn.execute(
            "UPDATE outbox SET state = 'rejected', error = ?2, error_details = ?3, attempts = attempts + 1 \
             WHERE mutation_id = ?1 AND state = 'pending'",
            params![
                mutation_id.to_string(),
                error,
                details.map(serde_json::to_string).transpose()?
            ],
        )?;
        Ok(())
    }

    /// Holds every entry that depends on the refused creation of `blocker` (its later edits, and
    /// vital signs or bookings naming it as the patient), and what depends on those in turn,
    /// with `reason`. Returns how many are held.
    pub fn hold_dependents(&mut self, blocker: Uuid, reason: &str) -> CacheResult<usize> {
        let tx = self.conn.savepoint()?;
        let mut held = 0;
        let mut queue = vec![blocker];
        while let Some(b) = queue.pop() {
            let ids: Vec<(String, String, String)> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT mutation_id, entity_id, op FROM outbox WHERE state IN ('pending', 'rejected') \
                     AND held_by IS NULL AND NOT (entity_id = ?1 AND op = 'create') \
                     AND (entity_id = ?1 OR json_extract(data, '$.patient_id') = ?1)",
                )?;
                let rows =
                    stmt.query_map([b.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            for (mid, entity_id, op) in ids {
                tx.execute(
                    "UPDATE outbox SET state = 'held', held_by = ?2, error = ?3 WHERE mutation_id = ?1",
                    params![mid, b.to_string(), reason],
                )?;
                held += 1;
                if op == "create" {
                    if let Ok(id) = Uuid::parse_str(&entity_id) {
                        queue.push(id);
                    }
                }
            }
        }
        tx.commit()?;
        Ok(held)
    }

    /// Sends a refused mutation again, as `corrected` when given (a corrected registration, a
    /// booking moved to a free slot), under a new mutation id (the server remembers the old id's
    /// refusal), and releases what was held for it. Returns the new mutation id.
    pub fn resend(&mut self, mutation_id: Uuid, corrected: Option<&Mutation>) -> CacheResult<Uuid> {
        let data = corrected.map(Mutation::data);
        let tx = self.conn.savepoint()?;
        let new_id = Uuid::now_v7();
        let entity_id: String = tx.query_row(
            "UPDATE outbox SET mutation_id = ?2, data = coalesce(?3, data), state = 'pending', error = NULL, \
             error_details = NULL, held_by = NULL WHERE mutation_id = ?1 RETURNING entity_id",
            params![
                mutation_id.to_string(),
                new_id.to_string(),
                data.as_ref().map(serde_json::to_string).transpose()?
            ],
            |r| r.get(0),
        )?;
        let mut queue = vec![entity_id];
        while let Some(b) = queue.pop() {
            let released: Vec<(String, String, String)> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT mutation_id, entity_id, op FROM outbox WHERE held_by = ?1",
                )?;
                let rows = stmt.query_map([&b], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                rows.collect::<Result<_, _>>()?
            };
            for (mid, eid, op) in released {
                tx.execute(
                    "UPDATE outbox SET mutation_id = ?2, state = 'pending', error = NULL, error_details = NULL, \
                     held_by = NULL WHERE mutation_id = ?1",
                    params![mid, Uuid::now_v7().to_string()],
                )?;
                if op == "create" {
                    queue.push(eid);
                }
            }
        }
        tx.commit()?;
        Ok(new_id)
    }

    /// Discards a refused mutation and everything held for it (the person chose not to send
    /// it). Returns the discarded entries.
    pub fn discard(&mut self, mutation_id: Uuid) -> CacheResult<Vec<OutboxEntry>> {
        let mut gone = Vec::new();
        let mut queue: Vec<Uuid> = vec![];
        let first = self.outbox_where_mutation(mutation_id)?;
        if let Some(e) = first {
            queue.push(e.mutation.id);
            gone.push(e);
        }
        while let Some(b) = queue.pop() {
            for e in self.outbox_held_by(b)? {
                if e.mutation.op() == MutationOp::Create {
                    queue.push(e.mutation.id);
                }
                gone.push(e);
            }
        }
        let tx = self.conn.savepoint()?;
        for e in &gone {
            tx.execute(
                "DELETE FROM outbox WHERE mutation_id = ?1",
                [e.mutation.mutation_id.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(gone)
    }

    fn outbox_where_mutation(&self, mutation_id: Uuid) -> CacheResult<Option<OutboxEntry>> {
        let seq: Option<i64> = self
            .conn
            .query_row(
                "SELECT seq FROM outbox WHERE mutation_id = ?1",
                [mutation_id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(seq) = seq else { return Ok(None) };
        self.outbox_seq(seq)
    }

    fn outbox_seq(&self, seq: i64) -> CacheResult<Option<OutboxEntry>> {
        Ok(self
            .outbox_where(
                OutboxFilter {
                    seq: Some(seq),
                    ..Default::default()
                },
                1,
            )?
            .pop())
    }

    /// An outbox entry by mutation id.
    pub fn outbox_entry(&self, mutation_id: Uuid) -> CacheResult<Option<OutboxEntry>> {
        self.outbox_where_mutation(mutation_id)
    }

    /// Entries held for the refused creation of `blocker`.
    pub fn outbox_held_by(&self, blocker: Uuid) -> CacheResult<Vec<OutboxEntry>> {
        self.outbox_where(
            OutboxFilter {
                held_by: Some(blocker),
                ..Default::default()
            },
            usize::MAX >> 1,
        )
    }

    // -------------------------------------------------------------------------- conflicts

    /// Keeps a field conflict for a person to resolve.
    pub fn add_conflict(
        &self,
        entity: EntityKind,
        entity_id: Uuid,
        user_id: Uuid,
        c: &FieldConflict,
    ) -> CacheResult<Uuid> {
        let id = Uuid::now_v7();
        // one open conflict per record and field: a newer one replaces the older
        self.conn.execute(
            "DELETE FROM conflicts WHERE entity_id = ?1 AND field = ?2",
            params![entity_id.to_string(), c.field],
        )?;
        self.conn.execute(
            "INSERT INTO conflicts (id, entity, entity_id, field, mine, theirs, their_revision, changed_by, changed_at, user_id, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                id.to_string(),
                entity.as_str(),
                entity_id.to_string(),
                c.field,
                serde_json::to_string(&c.mine)?,
                serde_json::to_string(&c.theirs)?,
                c.their_revision,
                c.changed_by,
                c.changed_at.map(instant_key),
                user_id.to_string(),
                instant_key(Utc::now()),
            ],
        )?;
        Ok(id)
    }

    /// Open conflicts, oldest first.
    pub fn conflicts(&self) -> CacheResult<Vec<StoredConflict>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, entity, entity_id, field, mine, theirs, their_revision, changed_by, changed_at, user_id, created_at \
             FROM conflicts ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, String>(9)?,
                r.get::<_, String>(10)?,
            ))
        })?;
        let parse_time = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        };
        let mut out = Vec::new();
        for row in rows {
            let (id, entity, entity_id, field, mine, theirs, rev, by, at, user, created) = row?;
            out.push(StoredConflict {
                id: Uuid::parse_str(&id).unwrap_or_default(),
                entity: serde_json::from_value(serde_json::Value::String(entity))?,
                entity_id: Uuid::parse_str(&entity_id).unwrap_or_default(),
                user_id: Uuid::parse_str(&user).unwrap_or_default(),
                created_at: parse_time(&created).unwrap_or_else(Utc::now),
                conflict: FieldConflict {
                    field,
                    mine: serde_json::from_str(&mine)?,
                    theirs: serde_json::from_str(&theirs)?,
                    their_revision: rev,
                    changed_by: by,
                    changed_at: at.as_deref().and_then(parse_time),
                },
            });
        }
        Ok(out)
    }

    /// How many conflicts are open.
    pub fn conflict_count(&self) -> CacheResult<u32> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM conflicts", [], |r| r.get::<_, i64>(0))?
            as u32)
    }

    /// Forgets a resolved conflict.
    pub fn remove_conflict(&self, id: Uuid) -> CacheResult<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM conflicts WHERE id = ?1", [id.to_string()])?
            > 0)
    }

    /// Pairs of patients with the same name (accents and case ignored) and date of birth that
    /// nobody has marked as different people, first id lower.
    pub fn possible_duplicates(&self) -> CacheResult<Vec<(Patient, Patient)>> {
        let mut stmt = self.conn.prepare_cached(concat!(
            "SELECT a.data, b.data ",
            duplicate_pairs!(),
            " ORDER BY a.family_name, a.given_name"
        ))?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (a, b) = row?;
            out.push((serde_json::from_str(&a)?, serde_json::from_str(&b)?));
        }
        Ok(out)
    }

    /// How many pairs [`Cache::possible_duplicates`] would list, without decoding any record: the
    /// status bar recounts after every feed page that carries patients.
    pub fn possible_duplicate_count(&self) -> CacheResult<u32> {
        Ok(self
            .conn
            .query_row(concat!("SELECT count(*) ", duplicate_pairs!()), [], |r| {
                r.get::<_, i64>(0)
            })? as u32)
    }

    /// Marks two patients as different people (no longer shown as possible duplicates).
    pub fn dismiss_duplicate(&self, a: Uuid, b: Uuid) -> CacheResult<()> {
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        self.conn.execute(
            "INSERT INTO dismissed_duplicates (a, b) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![a.to_string(), b.to_string()],
        )?;
        Ok(())
    }

    // ----------------------------------------------------------------------------- reads

    /// The record a merged-away patient was merged into, when `id` is such a tombstone.
    pub fn merged_into(&self, id: Uuid) -> CacheResult<Option<Uuid>> {
        let p: Option<Patient> = self.row_json("SELECT data FROM patients WHERE id = ?1", id)?;
        Ok(p.and_then(|p| p.replaced_by))
    }

    /// A cached server patient, a tombstone or deleted one too.
    pub fn patient_any(&self, id: Uuid) -> CacheResult<Option<Patient>> {
        self.row_json("SELECT data FROM patients WHERE id = ?1", id)
    }

    /// A cached server patient.
    pub fn patient(&self, id: Uuid) -> CacheResult<Option<Patient>> {
        self.row_json(
            "SELECT data FROM patients WHERE id = ?1 AND deleted = 0",
            id,
        )
    }

    fn row_json<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        id: Uuid,
    ) -> CacheResult<Option<T>> {
        let data: Option<String> = self
            .conn
            .query_row(sql, [id.to_string()], |r| r.get(0))
            .optional()?;
        Ok(data.map(|d| serde_json::from_str(&d)).transpose()?)
    }

    /// Patients matching every term, by name, at most `limit`.
    pub fn search_patients(&self, terms: &[SearchTerm], limit: usize) -> CacheResult<Vec<Patient>> {
        let mut sql = String::from("SELECT data FROM patients WHERE deleted = 0");
        let mut args: Vec<String> = Vec::new();
        for t in terms {
            match t {
                SearchTerm::Name(n) => {
                    let n = n.clone();
                    // A prefix most patients share ("m") is answered fastest by walking the
                    // name index in order and stopping at `limit`; a selective one ("garc",
                    // "okaf") by its word range. Counting the range up to the cut-off is cheap.
                    let broad = self
                        .conn
                        .prepare_cached(
                            "SELECT count(*) FROM (SELECT 1 FROM patient_words \
                             WHERE word >= ?1 AND word < ?1 || char(127) LIMIT 5000)",
                        )?
                        .query_row([&n], |r| r.get::<_, i64>(0))?
                        >= 5000;
                    if broad || n.contains(' ') || !n.is_ascii() {
                        // broad, or a prefix spanning words: the folded name as a whole
                        // the term's own `%` and `_` are characters to find, not wildcards
                        args.push(format!("% {}%", like_literal(&n)));
                        sql.push_str(&format!(
                            " AND search_name LIKE ?{} ESCAPE '\\'",
                            args.len()
                        ));
                    } else {
                        // a word prefix is a range of `patient_words` (0003_search_words.sql)
                        args.push(n);
                        let a = args.len();
                        sql.push_str(&format!(
                            " AND id IN (SELECT patient_id FROM patient_words \
                             WHERE word >= ?{a} AND word < ?{a} || char(127))"
                        ));
                    }
                }
                SearchTerm::BirthDate(dates) => {
                    let mut ors = Vec::new();
                    for d in dates {
                        args.push(d.to_string());
                        ors.push(format!("date_of_birth = ?{}", args.len()));
                    }
                    sql.push_str(&format!(" AND ({})", ors.join(" OR ")));
                }
                SearchTerm::Digits(d) => {
                    let m = digits_match(&mut args, d);
                    sql.push_str(&format!(" AND {m}"));
                }
                SearchTerm::DigitGroups(groups) => {
                    // the groups as one number, or each group on its own
                    let whole = digits_match(&mut args, &groups.concat());
                    let each: Vec<String> =
                        groups.iter().map(|g| digits_match(&mut args, g)).collect();
                    sql.push_str(&format!(" AND ({whole} OR ({}))", each.join(" AND ")));
                }
                SearchTerm::Mrn(m) => {
                    args.push(m.to_uppercase());
                    let a = args.len();
                    args.push(medoffice_model::identifier_key(m));
                    sql.push_str(&format!(
                        " AND (rowid IN (SELECT rowid FROM patients INDEXED BY patients_phone_digits \
                         WHERE upper(mrn) = ?{a}) \
                         OR id IN (SELECT patient_id FROM patient_identifiers WHERE key = ?{}))",
                        args.len()
                    ));
                }
            }
        }
        sql.push_str(&format!(
            " ORDER BY family_name COLLATE NOCASE, given_name COLLATE NOCASE LIMIT {limit}"
        ));
        self.list_json(&sql, &args)
    }

    /// A patient's cached vital signs, newest first.
    pub fn vitals_of(&self, patient_id: Uuid) -> CacheResult<Vec<VitalSigns>> {
        self.list_json("SELECT data FROM vital_signs WHERE patient_id = ?1 AND deleted = 0 ORDER BY measured_at DESC", &[patient_id.to_string()])
    }

    /// A patient's cached appointments, newest first.
    pub fn appointments_of(&self, patient_id: Uuid) -> CacheResult<Vec<Appointment>> {
        self.list_json("SELECT data FROM appointments WHERE patient_id = ?1 AND deleted = 0 ORDER BY starts_at DESC", &[patient_id.to_string()])
    }

    /// Appointments starting in `[from, to)`.
    pub fn appointments_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> CacheResult<Vec<Appointment>> {
        self.list_json(
            "SELECT data FROM appointments WHERE starts_at >= ?1 AND starts_at < ?2 AND deleted = 0 ORDER BY starts_at",
            &[instant_key(from), instant_key(to)],
        )
    }

    /// A cached appointment.
    pub fn appointment(&self, id: Uuid) -> CacheResult<Option<Appointment>> {
        self.row_json(
            "SELECT data FROM appointments WHERE id = ?1 AND deleted = 0",
            id,
        )
    }

    /// The staff directory.
    pub fn staff(&self) -> CacheResult<Vec<StaffMember>> {
        self.list_json(
            "SELECT data FROM staff ORDER BY json_extract(data, '$.full_name')",
            &[],
        )
    }

    /// Every cached server row of one kind, tombstones included, by id: `(id, revision,
    /// deleted, data)`. For diagnosis (`medoffice dump`) and for comparing a workstation with
    /// the server row by row.
    pub fn rows(
        &self,
        entity: EntityKind,
    ) -> CacheResult<Vec<(Uuid, i64, bool, serde_json::Value)>> {
        let sql = match entity {
            EntityKind::Patient => "SELECT id, revision, deleted, data FROM patients ORDER BY id",
            EntityKind::VitalSigns => {
                "SELECT id, revision, deleted, data FROM vital_signs ORDER BY id"
            }
            EntityKind::Appointment => {
                "SELECT id, revision, deleted, data FROM appointments ORDER BY id"
            }
            EntityKind::User => "SELECT id, revision, 0, data FROM staff ORDER BY id",
            EntityKind::Availability => {
                "SELECT id, revision, deleted, data FROM availability ORDER BY id"
            }
            EntityKind::ScheduleBlock => {
                "SELECT id, revision, deleted, data FROM schedule_blocks ORDER BY id"
            }
            EntityKind::Room => "SELECT id, revision, 0, data FROM rooms ORDER BY id",
            EntityKind::VisitType => "SELECT id, revision, 0, data FROM visit_types ORDER BY id",
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, rev, deleted, data) = row?;
            out.push((
                Uuid::parse_str(&id).unwrap_or_default(),
                rev,
                deleted,
                serde_json::from_str(&data)?,
            ));
        }
        Ok(out)
    }

    /// The clinic's opening hours and every provider's working hours (removed ones left out).
    pub fn availability(&self) -> CacheResult<Vec<medoffice_model::Availability>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT data FROM availability WHERE deleted = 0")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for data in rows {
            out.push(serde_json::from_str(&data?)?);
        }
        Ok(out)
    }

    /// The clinic's visit types, retired ones too, by name.
    pub fn visit_types(&self) -> CacheResult<Vec<medoffice_model::VisitType>> {
        let mut stmt = self.conn.prepare_cached("SELECT data FROM visit_types")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out: Vec<medoffice_model::VisitType> = Vec::new();
        for data in rows {
            out.push(serde_json::from_str(&data?)?);
        }
        out.sort_by_key(|t| t.name.to_lowercase());
        Ok(out)
    }

    /// The clinic's rooms, out-of-use ones too, by name.
    pub fn rooms(&self) -> CacheResult<Vec<medoffice_model::Room>> {
        let mut stmt = self.conn.prepare_cached("SELECT data FROM rooms")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out: Vec<medoffice_model::Room> = Vec::new();
        for data in rows {
            out.push(serde_json::from_str(&data?)?);
        }
        out.sort_by_key(|r| r.name.to_lowercase());
        Ok(out)
    }

    /// Blocks (not removed) that overlap `[from, to)`, earliest first.
    pub fn schedule_blocks(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> CacheResult<Vec<medoffice_model::ScheduleBlock>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT data FROM schedule_blocks WHERE deleted = 0 AND ends_at > ?1 AND starts_at < ?2 \
             ORDER BY starts_at",
        )?;
        let rows = stmt.query_map(params![instant_key(from), instant_key(to)], |r| {
            r.get::<_, String>(0)
        })?;
        let mut out = Vec::new();
        for data in rows {
            out.push(serde_json::from_str(&data?)?);
        }
        Ok(out)
    }

    /// Row counts per table: (patients, vital signs, appointments, staff).
    pub fn counts(&self) -> CacheResult<(i64, i64, i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM patients WHERE deleted = 0), (SELECT count(*) FROM vital_signs WHERE deleted = 0), \
             (SELECT count(*) FROM appointments WHERE deleted = 0), (SELECT count(*) FROM staff)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?)
    }

    fn list_json<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        args: &[String],
    ) -> CacheResult<Vec<T>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), |r| {
            r.get::<_, String>(0)
        })?;
        let mut out = Vec::new();
        for r in rows {
            out.push(serde_json::from_str(&r?)?);
        }
        Ok(out)
    }
}

/// Digits of a phone number, for search.
pub fn phone_digits(p: Option<&str>) -> String {
    p.unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// The SQL condition that `d` (ASCII digits) starts the MRN, is in the phone's digits or reads
/// as one of the patient's identifiers, its values appended to `args`. A scan of the narrow
/// `patients_phone_digits` index, not of every row.
fn digits_match(args: &mut Vec<String>, d: &str) -> String {
    args.push(format!("{d}%"));
    let a = args.len();
    args.push(format!("%{d}%"));
    let b = args.len();
    args.push(medoffice_model::identifier_key(d));
    let c = args.len();
    format!(
        "(rowid IN (SELECT rowid FROM patients INDEXED BY patients_phone_digits \
         WHERE mrn LIKE ?{a} OR phone_digits LIKE ?{b}) \
         OR id IN (SELECT patient_id FROM patient_identifiers WHERE key = ?{c}))"
    )
}

/// The folded name as stored in `patients.search_name`: `" given family "`.
fn search_name(p: &Patient) -> String {
    medoffice_model::search::search_name(&p.given_name, &p.family_name)
}

/// Replaces a patient's words in `patient_words` (see `0003_search_words.sql`).
fn index_name_words(tx: &Connection, id: &str, p: &Patient) -> CacheResult<()> {
    tx.prepare_cached("DELETE FROM patient_words WHERE patient_id = ?1")?
        .execute([id])?;
    let mut insert = tx
        .prepare_cached("INSERT OR IGNORE INTO patient_words (word, patient_id) VALUES (?1, ?2)")?;
    for word in search_name(p).split(' ').filter(|w| !w.is_empty()) {
        insert.execute([word, id])?;
    }
    Ok(())
}

/// Runs one write through the connection's statement cache: a feed page repeats the same few
/// upserts a thousand times, and preparing each anew cost more than running it.
fn exec<P: rusqlite::Params>(tx: &Connection, sql: &str, params: P) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(params)
}

/// Writes `c` when it is newer than the cached row. Returns whether anything changed.
fn apply_change(tx: &Connection, c: &Change) -> CacheResult<bool> {
    let id = c.id.to_string();
    let n = match &c.record {
        Record::Patient(p) => {
            // a merged-away record is kept as a tombstone: out of searches, lists and duplicate
            // pairs like a deleted one, still readable by id ([`Cache::merged_into`])
            let gone = c.deleted || p.replaced_by.is_some();
            let n = exec(
                tx,
                "INSERT INTO patients (id, revision, deleted, family_name, given_name, search_name, date_of_birth, mrn, phone_digits, data) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
                 ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, deleted = excluded.deleted, family_name = excluded.family_name, \
                 given_name = excluded.given_name, search_name = excluded.search_name, date_of_birth = excluded.date_of_birth, \
                 mrn = excluded.mrn, phone_digits = excluded.phone_digits, data = excluded.data WHERE excluded.revision > patients.revision",
                params![
                    id,
                    c.revision,
                    gone,
                    p.family_name,
                    p.given_name,
                    search_name(p),
                    p.date_of_birth.to_string(),
                    p.mrn,
                    phone_digits(p.phone.as_deref()),
                    serde_json::to_string(p)?
                ],
            )?;
            if n > 0 {
                tx.prepare_cached("DELETE FROM patient_identifiers WHERE patient_id = ?1")?
                    .execute([&id])?;
                if gone {
                    tx.prepare_cached("DELETE FROM patient_words WHERE patient_id = ?1")?
                        .execute([&id])?;
                } else {
                    index_name_words(tx, &id, p)?;
                    let mut insert = tx.prepare_cached(
                        "INSERT OR IGNORE INTO patient_identifiers (key, patient_id) VALUES (?1, ?2)",
                    )?;
                    for key in p.identifiers.iter().map(|i| i.search_key()) {
                        if !key.is_empty() {
                            insert.execute([key.as_str(), id.as_str()])?;
                        }
                    }
                }
            }
            n
        }
        Record::VitalSigns(v) => exec(
            tx,
            "INSERT INTO vital_signs (id, patient_id, revision, deleted, measured_at, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (id) DO UPDATE SET patient_id = excluded.patient_id, revision = excluded.revision, deleted = excluded.deleted, \
             measured_at = excluded.measured_at, data = excluded.data WHERE excluded.revision > vital_signs.revision",
            params![
                id,
                v.patient_id.to_string(),
                c.revision,
                c.deleted,
                instant_key(v.measured_at),
                serde_json::to_string(v)?
            ],
        )?,
        Record::Appointment(a) => exec(
            tx,
            "INSERT INTO appointments (id, patient_id, provider_id, starts_at, revision, deleted, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (id) DO UPDATE SET patient_id = excluded.patient_id, provider_id = excluded.provider_id, \
             starts_at = excluded.starts_at, revision = excluded.revision, deleted = excluded.deleted, data = excluded.data \
             WHERE excluded.revision > appointments.revision",
            params![
                id,
                a.patient_id.to_string(),
                a.provider_id.to_string(),
                instant_key(a.starts_at),
                c.revision,
                c.deleted,
                serde_json::to_string(a)?
            ],
        )?,
        Record::User(u) => exec(
            tx,
            "INSERT INTO staff (id, revision, data) VALUES (?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, data = excluded.data WHERE excluded.revision > staff.revision",
            params![id, c.revision, serde_json::to_string(u)?],
        )?,
        Record::Availability(a) => exec(
            tx,
            "INSERT INTO availability (id, revision, deleted, data) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, deleted = excluded.deleted, \
             data = excluded.data WHERE excluded.revision > availability.revision",
            params![id, c.revision, c.deleted, serde_json::to_string(a)?],
        )?,
        Record::ScheduleBlock(b) => exec(
            tx,
            "INSERT INTO schedule_blocks (id, starts_at, ends_at, revision, deleted, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at, \
             revision = excluded.revision, deleted = excluded.deleted, data = excluded.data \
             WHERE excluded.revision > schedule_blocks.revision",
            params![
                id,
                instant_key(b.starts_at),
                instant_key(b.ends_at),
                c.revision,
                c.deleted || b.deleted,
                serde_json::to_string(b)?
            ],
        )?,
        Record::Room(r) => exec(
            tx,
            "INSERT INTO rooms (id, revision, data) VALUES (?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, data = excluded.data WHERE excluded.revision > rooms.revision",
            params![id, c.revision, serde_json::to_string(r)?],
        )?,
        Record::VisitType(t) => exec(
            tx,
            "INSERT INTO visit_types (id, revision, data) VALUES (?1, ?2, ?3) \
             ON CONFLICT (id) DO UPDATE SET revision = excluded.revision, data = excluded.data WHERE excluded.revision > visit_types.revision",
            params![id, c.revision, serde_json::to_string(t)?],
        )?,
    };
    Ok(n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use medoffice_model::MutationKind;

    const NAME: &str = "Quillfeather";

    fn registration() -> Mutation {
        let new: medoffice_model::NewPatient = serde_json::from_value(serde_json::json!({
            "given_name": "Zebedee", "family_name": NAME, "date_of_birth": "1990-01-01", "sex": "male"
        }))
        .expect("a registration body");
        Mutation::new(Uuid::new_v4(), MutationKind::RegisterPatient(new))
    }

    /// Every byte SQLite keeps for `path` (the database, its WAL and journals).
    fn raw_bytes(path: &Path) -> Vec<u8> {
        files_of(path)
            .into_iter()
            .filter_map(|f| std::fs::read(f).ok())
            .flatten()
            .collect()
    }

    fn contains(hay: &[u8], needle: &str) -> bool {
        hay.windows(needle.len()).any(|w| w == needle.as_bytes())
    }

    #[test]
    fn an_entry_this_version_cannot_read_is_listed_apart_and_the_queue_goes_on(
    ) -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let (path, key) = (dir.path().join("c.sqlite"), CacheKey::generate());
        let cache = Cache::open(&path, &key)?;
        let user = Uuid::new_v4();
        let edit = |phone: &str| {
            let edit = medoffice_model::Edit {
                base_revision: 1,
                changes: [(
                    medoffice_model::PatientField::Phone,
                    serde_json::json!(phone),
                )]
                .into(),
            };
            Mutation::new(Uuid::new_v4(), MutationKind::EditPatient(edit))
        };
        let (bad, good) = (edit("1"), edit("2"));
        cache.enqueue(&registration(), user)?;
        cache.enqueue(&bad, user)?;
        cache.enqueue(&good, user)?;
        // as the previous release could store a resent edit: with a field an edit may not
        // change (and sent again, so pending); the upgraded app opens the cache
        cache.conn.execute(
            "UPDATE outbox SET data = '{\"mrn\": \"000001\"}' WHERE mutation_id = ?1",
            [bad.mutation_id.to_string()],
        )?;
        drop(cache);
        let cache = Cache::open(&path, &key)?;
        assert_eq!(
            cache.outbox_counts()?,
            (2, 1, 0),
            "set aside as refused, not sent"
        );
        let readable: Vec<Uuid> = cache
            .outbox(false, 10)?
            .iter()
            .map(|e| e.mutation.mutation_id)
            .collect();
        assert_eq!(readable.len(), 2, "the rest of the queue still reads");
        assert!(readable.contains(&good.mutation_id) && !readable.contains(&bad.mutation_id));
        assert_eq!(cache.pending_of(user, 10)?.len(), 2, "and is still sent");
        let unreadable = cache.unreadable_outbox()?;
        assert_eq!(unreadable.len(), 1);
        assert_eq!(unreadable[0].envelope.mutation_id, bad.mutation_id);
        assert!(
            unreadable[0].reason.contains("mrn: cannot be changed"),
            "{}",
            unreadable[0].reason
        );
        assert!(
            !cache.discard_unreadable(good.mutation_id)?,
            "a readable entry is not this"
        );
        assert!(cache.discard_unreadable(bad.mutation_id)?);
        assert!(cache.unreadable_outbox()?.is_empty());
        assert_eq!(cache.outbox(false, 10)?.len(), 2);
        Ok(())
    }

    #[test]
    fn the_file_holds_no_patient_name_and_does_not_open_without_its_key() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.sqlite");
        let key = CacheKey::generate();
        let m = registration();
        let cache = Cache::open(&path, &key)?;
        cache.enqueue(&m, Uuid::new_v4())?;
        // the WAL holds the write now; neither it nor the database shows the name
        assert!(std::fs::metadata(files_of(&path)[1].clone())?.len() > 0);
        assert!(!contains(&raw_bytes(&path), NAME));
        assert!(!is_plaintext(&path)?);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in &files_of(&path)[..2] {
                assert_eq!(
                    std::fs::metadata(f)?.permissions().mode() & 0o777,
                    0o600,
                    "{f:?}"
                );
            }
        }

        // without a key, or with another one, the file is not a database
        let bare = Connection::open(&path)?;
        assert!(bare
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get::<_, i64>(0))
            .is_err());
        drop(bare);
        assert!(matches!(
            Cache::open(&path, &CacheKey::generate()),
            Err(CacheError::WrongKey(_))
        ));
        // while the right key reads it (also from a second connection)
        assert_eq!(
            Cache::open(&path, &key)?.outbox(false, 10)?[0]
                .mutation
                .mutation_id,
            m.mutation_id
        );
        drop(cache);
        assert!(!contains(&raw_bytes(&path), NAME));
        Ok(())
    }

    #[test]
    fn a_plaintext_cache_of_an_earlier_version_is_encrypted_with_its_outbox() -> anyhow::Result<()>
    {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("c.sqlite");
        let m = registration();
        let user = Uuid::new_v4();
        {
            // as the previous version left it: plaintext, WAL, migrated, work queued
            let mut conn = Connection::open(&path)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            migrations().to_latest(&mut conn)?;
            let cache = Cache { conn };
            cache.enqueue(&m, user)?;
            cache.set_meta("cursor", "42")?;
        }
        assert!(is_plaintext(&path)?);
        assert!(
            contains(&raw_bytes(&path), NAME),
            "the old file shows names"
        );

        let key = CacheKey::generate();
        let cache = Cache::open(&path, &key)?;
        assert!(!is_plaintext(&path)?);
        let outbox = cache.outbox(false, 10)?;
        assert_eq!(outbox.len(), 1);
        assert_eq!(outbox[0].mutation.mutation_id, m.mutation_id);
        assert_eq!(outbox[0].user_id, user);
        assert_eq!(cache.cursor()?, 42);
        drop(cache);
        assert!(!contains(&raw_bytes(&path), NAME), "no plaintext left");
        assert!(!dir
            .path()
            .read_dir()?
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().contains("encrypting")));
        // and it is an ordinary encrypted cache from now on
        assert!(matches!(
            Cache::open(&path, &CacheKey::generate()),
            Err(CacheError::WrongKey(_))
        ));
        assert_eq!(Cache::open(&path, &key)?.outbox(false, 10)?.len(), 1);
        Ok(())
    }
}
