//! The SQLite engine of the storage interface (`super`): schema, migrations
//! and queries. No cryptography here, and no rusqlite type leaves this
//! module: its errors become [`StoreError`]s below. Write transactions are
//! `BEGIN IMMEDIATE`, so two writers queue on the busy timeout instead of
//! failing half-way; every multi-row change of a command happens in one of
//! them.

mod schema;

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use zeroize::Zeroizing;

use super::{
    AgentKeyRow, AgentRow, AgentWrapRow, Audience, AuditFilter, AuditRow, Backend, ChangeWatch,
    DeliveryRow, NewVault, Records, SecretRow, SlotRow, StatementRow, StoreError, StoreResult,
    StoredValue, Tagged, TaggedRow, Tx, VersionRow, BUSY_TIMEOUT,
};
use crate::error::Error;
use crate::model::{Kind, Scope};

pub use schema::SCHEMA_VERSION;

pub struct SqliteStore {
    conn: Connection,
    /// Opened read-only because the file system is: (vault.db, mount point).
    read_only: Option<(PathBuf, PathBuf)>,
}

/// Open `path` read-write. The directories above it are resolved first:
/// SQLite's NOFOLLOW refuses a link in any component of the path, and only
/// a link at vault.db itself (or its -wal, -shm) is to be refused.
fn connect(path: &Path) -> StoreResult<Connection> {
    let real = crate::paths::real_path(path)
        .map_err(|e| StoreError::Refused(Error::io("open", path, e)))?;
    let conn = Connection::open_with_flags(
        &real,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW,
    )?;
    busy::watch(path);
    conn.busy_handler(Some(busy::handler))?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")?;
    Ok(conn)
}

/// Open `real` (directories already resolved) on a read-only file system.
/// Nothing can change the file there, so it is opened `immutable` (no
/// locks, no -shm to create), unless a -wal holds changes not yet in the
/// main file: then SQLite reads it through the existing -shm.
fn connect_read_only(real: &Path) -> StoreResult<Connection> {
    let mut wal = real.as_os_str().to_owned();
    wal.push("-wal");
    let pending = std::fs::symlink_metadata(&wal).is_ok_and(|m| m.len() > 0);
    let mut uri = String::from("file:");
    use std::os::unix::ffi::OsStrExt;
    for &b in real.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str(if pending { "?mode=ro" } else { "?immutable=1" });
    let conn = Connection::open_with_flags(
        &uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Say what SQLite's "unable to open database file" means when the vault
/// directory is the cause: WAL mode creates vault.db-wal and -shm beside
/// vault.db, even to read.
fn explain_open_failure(path: &Path, err: StoreError) -> StoreError {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_err() {
        return StoreError::Refused(Error::other(format!(
            "cannot open the vault at {}: its directory {} is read-only to you (not writable), and SQLite must create vault.db-wal and vault.db-shm beside vault.db, even to read",
            path.display(),
            dir.display()
        ))
        .hint(format!(
            "make the directory writable (`chmod u+w {}`), or copy the vault directory to a writable place and pass --vault-dir",
            crate::paths::shell_quote_path(dir)
        )));
    }
    err
}

/// Waiting for the write lock, fairly. SQLite's own busy handler sleeps in
/// growing steps (up to 100 ms) between attempts, so a writer that waits
/// behind a steady stream of short writes keeps missing the gaps between
/// them and fails with "busy" after the timeout while everyone else makes
/// progress. This one tries again about every millisecond (jittered, so
/// waiters do not move in step), and gives up only after [`BUSY_TIMEOUT`]
/// in which nobody committed anything: progress is seen as a change of the
/// write-ahead log's size or modification time.
mod busy {
    use std::cell::RefCell;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant, SystemTime};

    use super::BUSY_TIMEOUT;

    struct Wait {
        wal: PathBuf,
        last_change: Instant,
        last_check: Instant,
        seen: Option<(u64, SystemTime)>,
    }

    thread_local! {
        static WAIT: RefCell<Option<Wait>> = const { RefCell::new(None) };
    }

    /// Watch `path`'s write-ahead log for progress while this thread waits.
    pub fn watch(path: &Path) {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let now = Instant::now();
        WAIT.with(|w| {
            *w.borrow_mut() = Some(Wait {
                wal: PathBuf::from(wal),
                last_change: now,
                last_check: now,
                seen: None,
            })
        });
    }

    fn wal_state(wal: &Path) -> Option<(u64, SystemTime)> {
        let m = std::fs::metadata(wal).ok()?;
        Some((m.len(), m.modified().ok()?))
    }

    /// SQLite's busy callback: `attempt` counts the calls for this one
    /// wait, from 0. `true` means "try again".
    pub fn handler(attempt: i32) -> bool {
        let now = Instant::now();
        let go_on = WAIT.with(|w| {
            let mut w = w.borrow_mut();
            let Some(w) = w.as_mut() else {
                return attempt < 10_000;
            };
            if attempt == 0 {
                w.last_change = now;
                w.last_check = now;
                w.seen = wal_state(&w.wal);
            } else if now.duration_since(w.last_check) >= Duration::from_millis(50) {
                w.last_check = now;
                let state = wal_state(&w.wal);
                if state != w.seen {
                    w.seen = state;
                    w.last_change = now;
                }
            }
            now.duration_since(w.last_change) < BUSY_TIMEOUT
        });
        if go_on {
            // 0.5-1.5 ms, different per process and per attempt.
            let spread = (std::process::id() as u64)
                .wrapping_mul(7919)
                .wrapping_add(attempt as u64 * 104_729)
                % 1000;
            std::thread::sleep(Duration::from_micros(500 + spread));
        }
        go_on
    }
}

impl SqliteStore {
    /// Create the database file (which must not exist yet) and its schema.
    /// Returns `Ok(None)` when another process created it first.
    ///
    /// The vault is built complete under a private temporary name beside
    /// `path` and only then published there with link(2), which fails if
    /// `path` exists. So a crash (kill -9, power loss) during creation leaves
    /// at most a stray temporary file, never a half-made vault.db that every
    /// later command would have to refuse; and of concurrent creators exactly
    /// one wins.
    pub fn create(
        path: &Path,
        init: &NewVault<'_>,
        first_slot: &SlotRow,
    ) -> StoreResult<Option<SqliteStore>> {
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        let tmp = dir.join(format!(
            ".{}.tmp-{}",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("vault.db"),
            std::process::id()
        ));
        let remove_tmp = || {
            // A stale WAL beside a new database would be replayed into it.
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut p = tmp.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        };
        remove_tmp();
        if let Err(e) = crate::paths::create_private_file(&tmp) {
            return Err(StoreError::Refused(Error::io("create", &tmp, e)));
        }
        let built = (|| {
            let mut conn = connect(&tmp)?;
            // Nobody can see this file until it is linked into place, so no
            // step of building it needs an fsync: the finished file is synced
            // once below, before it is published.
            conn.execute_batch("PRAGMA synchronous = OFF;")?;
            conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            schema::migrate(&tx, 0)?;
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('vault_id', ?1), ('created', ?2), ('format', ?3), ('policy_tag', ?4)",
                params![init.vault_id, init.created, init.format, init.policy_tag],
            )?;
            for (key, value) in init.extra_meta {
                tx.execute(
                    "INSERT INTO meta(key, value) VALUES (?1, ?2)",
                    params![key, value],
                )?;
            }
            insert_slot(&tx, first_slot)?;
            tx.commit()?;
            // Everything into the main file before it is published: no one
            // else has it open, so the checkpoint cannot be held up.
            let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
            if busy != 0 {
                return Err(StoreError::Refused(
                    Error::other("cannot finish writing the new vault database").hint("try again"),
                ));
            }
            conn.close().map_err(|(_, e)| StoreError::from(e))?;
            std::fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .map_err(|e| StoreError::Refused(Error::io("sync", &tmp, e)))?;
            Ok(())
        })();
        if let Err(e) = built {
            remove_tmp();
            return Err(e);
        }
        let linked = std::fs::hard_link(&tmp, path);
        remove_tmp();
        match linked {
            Ok(()) => {
                if let Ok(d) = std::fs::File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(None),
            Err(e) => return Err(StoreError::Refused(Error::io("create", path, e))),
        }
        Ok(Some(SqliteStore {
            conn: connect(path)?,
            read_only: None,
        }))
    }

    /// Open an existing vault database, migrating its schema if it is older.
    /// `max_format` is the newest on-disk format the caller reads: a vault of
    /// a newer one is refused before anything is written (no migration).
    ///
    /// On a read-only file system the vault is opened read-only: it can be
    /// shown, and every write says which mount to remount.
    pub fn open(path: &Path, max_format: u32) -> StoreResult<SqliteStore> {
        let real = crate::paths::real_path(path)
            .map_err(|e| StoreError::Refused(Error::io("open", path, e)))?;
        let read_only = real
            .parent()
            .and_then(crate::paths::read_only_mount)
            .map(|mount| (path.to_path_buf(), mount));
        let conn = match &read_only {
            None => connect(path),
            Some(_) => connect_read_only(&real),
        }
        .map_err(|e| explain_open_failure(path, e))?;
        crate::paths::warn_if_hard_linked(path, &real);
        let version: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| explain_open_failure(path, e.into()))?;
        if version == 0 {
            // `create` publishes only complete vaults, so this is not one
            // being made right now: an empty file, some other database, or
            // a vault whose header was damaged (its tables are still there).
            let tables: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('meta', 'slots', 'secrets', 'versions')",
                    [],
                    |r| r.get(0),
                )
                .unwrap_or(0);
            if tables == 4 {
                return Err(Error::integrity(format!(
                    "{} has vault tables but no schema version: the database header was damaged",
                    path.display()
                ))
                .hint("do not delete it: restore vault.db from a backup, or keep it for recovery")
                .into());
            }
            return Err(Error::other(format!(
                "{} exists but holds no vault (an empty file or another program's database)",
                path.display()
            ))
            .hint("move it aside (it may be another program's data) and run `vault init`, or point --vault-dir at your vault").into());
        }
        if version > SCHEMA_VERSION {
            return Err(Error::other(format!(
                "{} was written by a newer vault (schema {version}; this vault understands up to {SCHEMA_VERSION})",
                path.display()
            ))
            .hint("upgrade vault").into());
        }
        check_format(&conn, path, max_format)?;
        let mut store = SqliteStore { conn, read_only };
        if version < SCHEMA_VERSION {
            if let Some((db, mount)) = &store.read_only {
                return Err(StoreError::Refused(
                    crate::paths::read_only_fs_error(db, mount)
                        .also("its schema must be upgraded first"),
                ));
            }
            let tx = store
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            schema::migrate(&tx, now)?;
            tx.commit()?;
        }
        Ok(store)
    }
}

impl SqliteStore {
    /// Write a consistent copy of the whole database to `dest`, a new file
    /// (created 0600, never replacing anything: exit 4 if it exists).
    ///
    /// SQLite-specific, so not part of [`Backend`]: it uses the online
    /// backup API, copying every page in one step inside one read
    /// transaction. That is a snapshot of one moment, however many other
    /// processes write meanwhile (WAL readers do not block writers, and the
    /// copy includes whatever the WAL holds, which a file copy would miss
    /// or tear). The copy stays encrypted exactly as the vault is: it holds
    /// the key slots, never a key. A failed copy is removed.
    pub fn backup_to(&self, dest: &Path) -> StoreResult<()> {
        let file = crate::paths::create_private_file(dest).map_err(|e| {
            StoreError::Refused(match e.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    Error::conflict(format!("{} already exists", dest.display()))
                        .hint("nothing was written; choose a new file name (a backup never overwrites a file)")
                }
                _ => Error::io("create", dest, e),
            })
        })?;
        let copied = (|| -> StoreResult<()> {
            let mut to = Connection::open_with_flags(
                dest,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_NOFOLLOW,
            )?;
            {
                let backup = rusqlite::backup::Backup::new(&self.conn, &mut to)?;
                let started = std::time::Instant::now();
                loop {
                    match backup.step(-1)? {
                        rusqlite::backup::StepResult::Done => break,
                        // Busy/Locked: a writer holds a lock this step needs
                        // for a moment; try again within the busy timeout.
                        _ if started.elapsed() < BUSY_TIMEOUT => {
                            std::thread::sleep(std::time::Duration::from_millis(2))
                        }
                        _ => return Err(StoreError::Busy),
                    }
                }
            }
            to.close().map_err(|(_, e)| StoreError::from(e))?;
            file.sync_all()
                .map_err(|e| StoreError::Refused(Error::io("sync", dest, e)))?;
            if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
                if let Ok(d) = std::fs::File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            Ok(())
        })();
        if copied.is_err() {
            // Only what this call created: the file it made exclusively.
            for suffix in ["", "-journal", "-wal", "-shm"] {
                let mut p = dest.as_os_str().to_owned();
                p.push(suffix);
                let _ = std::fs::remove_file(p);
            }
        }
        copied
    }
}

impl SqliteStore {
    /// Every row of every table, from one snapshot, as stored (ciphertext
    /// stays ciphertext): what `vault push` copies to another engine.
    pub fn dump(&mut self) -> StoreResult<super::postgres::Dump> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)?;
        let mut d = super::postgres::Dump::default();
        {
            let mut st = tx.prepare("SELECT key, value FROM meta ORDER BY key")?;
            let rows = st.query_map([], |r| {
                let v: rusqlite::types::Value = r.get(1)?;
                Ok((
                    r.get::<_, String>(0)?,
                    match v {
                        rusqlite::types::Value::Blob(b) => b,
                        rusqlite::types::Value::Text(t) => t.into_bytes(),
                        rusqlite::types::Value::Integer(i) => i.to_string().into_bytes(),
                        rusqlite::types::Value::Real(f) => f.to_string().into_bytes(),
                        rusqlite::types::Value::Null => Vec::new(),
                    },
                ))
            })?;
            d.meta = rows.collect::<rusqlite::Result<_>>()?;
            let tx2 = SqliteTx { tx: &tx };
            d.slots = tx2.slots()?;
            d.secrets = tx2.secrets(Audience::Everything)?;
            d.agents = tx2.agents()?;
            let mut st = tx.prepare(
                "SELECT name, version, created, nonce, ciphertext, plain, env FROM versions ORDER BY name, env, version",
            )?;
            let rows = st.query_map([], |r| {
                let v: i64 = r.get(1)?;
                Ok((
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(0)?,
                    v.max(0) as u64,
                    r.get::<_, String>(2)?,
                    stored_value(r.get(3)?, r.get(4)?, r.get(5)?),
                ))
            })?;
            d.versions = rows.collect::<rusqlite::Result<_>>()?;
            let mut st =
                tx.prepare("SELECT agent, secret, created FROM grants ORDER BY agent, secret")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            d.grants = rows.collect::<rusqlite::Result<_>>()?;
            let mut st = tx.prepare(
                "SELECT agent, env, secret, source, version, delivered FROM deliveries ORDER BY agent, env, secret",
            )?;
            let rows = st.query_map([], |r| {
                let v: i64 = r.get(4)?;
                Ok(super::postgres::DumpedDelivery {
                    agent: r.get(0)?,
                    env: r.get(1)?,
                    secret: r.get(2)?,
                    source: r.get(3)?,
                    version: v.max(0) as u64,
                    delivered: r.get(5)?,
                })
            })?;
            d.deliveries = rows.collect::<rusqlite::Result<_>>()?;
            d.audit = tx2.audit_entries(&AuditFilter::default())?;
            for table in [Tagged::Secrets, Tagged::Grants, Tagged::Agents] {
                for (a, b, tag) in tx2.row_tags(table)? {
                    if let Some(tag) = tag {
                        // Agents are keyed by name alone.
                        let b = if table == Tagged::Agents {
                            String::new()
                        } else {
                            b
                        };
                        d.tags.push((table, a, b, tag));
                    }
                }
            }
            let u = |v: i64| v.max(0) as u64;
            let mut st = tx.prepare("SELECT agent, id FROM agent_ids ORDER BY id")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, u(r.get(1)?))))?;
            d.agent_ids = rows.collect::<rusqlite::Result<_>>()?;
            let mut st = tx.prepare(
                "SELECT agent_id, epoch, kem_pk, sign_pk, created, expires, revoked, made FROM agent_keys ORDER BY agent_id, epoch",
            )?;
            let rows = st.query_map([], |r| {
                Ok(AgentKeyRow {
                    agent_id: u(r.get(0)?),
                    agent: String::new(),
                    epoch: u(r.get(1)?),
                    kem_pk: r.get(2)?,
                    sign_pk: r.get(3)?,
                    created: r.get(4)?,
                    expires: u(r.get(5)?),
                    revoked: r.get(6)?,
                    made: r.get(7)?,
                })
            })?;
            d.agent_keys = rows.collect::<rusqlite::Result<_>>()?;
            let mut st = tx.prepare(
                "SELECT agent_id, epoch, recipient, wrap FROM keyring_wraps ORDER BY agent_id, epoch, recipient",
            )?;
            let rows = st.query_map([], |r| {
                Ok((u(r.get(0)?), u(r.get(1)?), u(r.get(2)?), r.get(3)?))
            })?;
            d.keyring_wraps = rows.collect::<rusqlite::Result<_>>()?;
            let mut st = tx.prepare(
                "SELECT agent_id, epoch, env, name, version, wrap FROM agent_wraps ORDER BY agent_id, epoch, env, name, version",
            )?;
            let rows = st.query_map([], |r| {
                Ok(AgentWrapRow {
                    agent_id: u(r.get(0)?),
                    epoch: u(r.get(1)?),
                    env: r.get(2)?,
                    name: r.get(3)?,
                    version: u(r.get(4)?),
                    wrap: r.get(5)?,
                })
            })?;
            d.agent_wraps = rows.collect::<rusqlite::Result<_>>()?;
            let mut st = tx.prepare(
                "SELECT agent_id, policy_seq, signer, bytes, sig FROM statements ORDER BY agent_id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(StatementRow {
                    agent_id: u(r.get(0)?),
                    policy_seq: u(r.get(1)?),
                    signer: u(r.get(2)?),
                    bytes: r.get(3)?,
                    sig: r.get(4)?,
                })
            })?;
            d.statements = rows.collect::<rusqlite::Result<_>>()?;
        }
        tx.rollback()?;
        Ok(d)
    }
}

impl Backend for SqliteStore {
    fn relax_durability(&self) -> StoreResult<()> {
        self.conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
        Ok(())
    }

    /// `PRAGMA data_version` on a read connection of its own: it moves when
    /// any other connection (this store's included) commits, and never for
    /// the connection's own commits, which it makes none of.
    fn watch(&self) -> StoreResult<Box<dyn ChangeWatch>> {
        let real = self
            .conn
            .path()
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .ok_or_else(|| {
                StoreError::Other("the vault database has no file to watch".to_owned())
            })?;
        let conn = match &self.read_only {
            Some(_) => connect_read_only(&real)?,
            None => {
                let conn = Connection::open_with_flags(
                    &real,
                    OpenFlags::SQLITE_OPEN_READ_ONLY
                        | OpenFlags::SQLITE_OPEN_NO_MUTEX
                        | OpenFlags::SQLITE_OPEN_NOFOLLOW,
                )?;
                conn.busy_timeout(BUSY_TIMEOUT)?;
                conn
            }
        };
        let last = data_version(&conn)?;
        Ok(Box::new(DataVersion { conn, last }))
    }

    fn read<T>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> crate::error::Result<T>,
    ) -> crate::error::Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(StoreError::from)?;
        let out = f(&SqliteTx { tx: &tx })?;
        tx.rollback().map_err(StoreError::from)?;
        Ok(out)
    }

    /// `BEGIN IMMEDIATE` takes the write lock up front (waiting up to the
    /// busy timeout), so the closure runs once: SQLite has no lost races to
    /// retry.
    fn write<T>(
        &mut self,
        mut f: impl FnMut(&Tx<'_>) -> crate::error::Result<T>,
    ) -> crate::error::Result<T> {
        if let Some((db, mount)) = &self.read_only {
            return Err(crate::paths::read_only_fs_error(db, mount));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = f(&SqliteTx { tx: &tx })?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }
}

/// How often [`DataVersion`] asks: a check costs microseconds (FLEET §4.2).
const DATA_VERSION_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// The SQLite change check: a connection that only reads `PRAGMA data_version`.
struct DataVersion {
    conn: Connection,
    last: i64,
}

fn data_version(conn: &Connection) -> StoreResult<i64> {
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}

impl ChangeWatch for DataVersion {
    fn wait(&mut self, timeout: std::time::Duration) -> StoreResult<bool> {
        let end = std::time::Instant::now() + timeout;
        loop {
            let now = data_version(&self.conn)?;
            if now != self.last {
                self.last = now;
                return Ok(true);
            }
            let left = end.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Ok(false);
            }
            std::thread::sleep(DATA_VERSION_POLL.min(left));
        }
    }
}

fn insert_slot(conn: &Connection, s: &SlotRow) -> StoreResult<i64> {
    conn.execute(
        "INSERT INTO slots(kind, kdf, salt, nonce, wrapped, key_check) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![s.kind, s.kdf, s.salt, s.nonce, s.wrapped, s.check],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A transaction; all queries live here.
struct SqliteTx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

/// The columns `secret_from_row` reads, as a literal so queries built from
/// it are constants (no formatting and re-hashing per call on hot paths).
macro_rules! secret_select {
    () => {
        secret_select!("")
    };
    // More columns after env (12 on): `", s.tag"`.
    ($more:literal) => {
        concat!(
            "SELECT s.name, s.kind, s.scope, s.description, s.provider, s.version, s.created, s.updated, \
             v.nonce, v.ciphertext, v.plain, s.env",
            $more,
            " FROM secrets s LEFT JOIN versions v ON v.env = s.env AND v.name = s.name AND v.version = s.version"
        )
    };
}

/// One secret row (`secret_from_row`'s columns) and its tag (column 12).
const TAGGED_SECRET: &str = concat!(
    secret_select!(", s.tag"),
    " WHERE s.env = ?1 AND s.name = ?2"
);

fn secret_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SecretRow> {
    let bad = |what: &str, v: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown {what} {v:?} in the secrets table").into(),
        )
    };
    // Borrowed, not allocated: this runs for every row on `vault run`'s path.
    let kind = r.get_ref(1)?.as_str()?;
    let kind = Kind::parse(kind).ok_or_else(|| bad("kind", kind))?;
    let scope = r.get_ref(2)?.as_str()?;
    let scope = Scope::parse(scope).ok_or_else(|| bad("scope", scope))?;
    let nonce: Option<Vec<u8>> = r.get(8)?;
    let ciphertext: Option<Vec<u8>> = r.get(9)?;
    let plain: Option<String> = r.get(10)?;
    let value = match (nonce, ciphertext, plain) {
        (Some(nonce), Some(ciphertext), _) => StoredValue::Sealed { nonce, ciphertext },
        (_, _, Some(p)) => StoredValue::Plain(Zeroizing::new(p)),
        // A missing version row: surfaces as an integrity failure on open.
        _ => StoredValue::Sealed {
            nonce: Vec::new(),
            ciphertext: Vec::new(),
        },
    };
    let version: i64 = r.get(5)?;
    Ok(SecretRow {
        env: r.get(11)?,
        name: r.get(0)?,
        kind,
        scope,
        description: r.get(3)?,
        provider: r.get(4)?,
        version: version.max(0) as u64,
        created: r.get(6)?,
        updated: r.get(7)?,
        value,
    })
}

/// A row of `policy_rows`: `secret_from_row` without the three columns the
/// policy and a run do not use, columns read as borrowed references.
fn policy_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SecretRow> {
    let bad = |what: &str, v: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown {what} {v:?} in the secrets table").into(),
        )
    };
    let kind = r.get_ref(1)?.as_str()?;
    let kind = Kind::parse(kind).ok_or_else(|| bad("kind", kind))?;
    let scope = r.get_ref(2)?.as_str()?;
    let scope = Scope::parse(scope).ok_or_else(|| bad("scope", scope))?;
    let nonce = r.get_ref(5)?.as_blob_or_null()?.map(<[u8]>::to_vec);
    let ciphertext = r.get_ref(6)?.as_blob_or_null()?.map(<[u8]>::to_vec);
    let plain = r.get_ref(7)?.as_str_or_null()?.map(str::to_owned);
    let version = r.get_ref(4)?.as_i64()?;
    Ok(SecretRow {
        env: r.get_ref(8)?.as_str()?.to_owned(),
        name: r.get_ref(0)?.as_str()?.to_owned(),
        kind,
        scope,
        description: String::new(),
        provider: r.get_ref(3)?.as_str_or_null()?.map(str::to_owned),
        version: version.max(0) as u64,
        created: String::new(),
        updated: String::new(),
        value: stored_value(nonce, ciphertext, plain),
    })
}

/// Refuse a vault whose `meta.format` is newer than this build reads. A
/// newer vault records in `meta.reader` the first release that reads its
/// format, so the message can name what to install.
fn check_format(conn: &Connection, path: &Path, max_format: u32) -> StoreResult<()> {
    let row: Option<(rusqlite::types::Value, Option<String>)> = conn
        .query_row(
            "SELECT (SELECT value FROM meta WHERE key = 'format'), (SELECT value FROM meta WHERE key = 'reader')",
            [],
            |r| Ok((r.get(0)?, r.get(1).ok().flatten())),
        )
        .optional()?;
    let (format, reader) = match row {
        Some((rusqlite::types::Value::Integer(f), reader)) => (Some(f), reader),
        Some((rusqlite::types::Value::Text(t), reader)) => (t.trim().parse::<i64>().ok(), reader),
        _ => (None, None),
    };
    super::check_format(&path.display().to_string(), format, reader, max_format)
}

/// A value from its stored columns. A row with neither form (impossible
/// under the table's CHECK) reads as an empty sealed value, which fails to
/// open (exit 6) instead of reading as some text.
fn stored_value(
    nonce: Option<Vec<u8>>,
    ciphertext: Option<Vec<u8>>,
    plain: Option<String>,
) -> StoredValue {
    match (nonce, ciphertext, plain) {
        (Some(nonce), Some(ciphertext), _) => StoredValue::Sealed { nonce, ciphertext },
        (_, _, Some(p)) => StoredValue::Plain(Zeroizing::new(p)),
        _ => StoredValue::Sealed {
            nonce: Vec::new(),
            ciphertext: Vec::new(),
        },
    }
}

/// (name, description, created, last_run, env).
fn agent_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AgentRow> {
    Ok(AgentRow {
        name: r.get(0)?,
        description: r.get(1)?,
        created: r.get(2)?,
        last_run: r.get(3)?,
        env: r.get(4)?,
    })
}

impl Records for SqliteTx<'_> {
    fn vault_id(&self) -> StoreResult<Vec<u8>> {
        // `meta`'s statement, cached.
        let v: Option<rusqlite::types::Value> = self
            .tx
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row(["vault_id"], |r| r.get(0))
            .optional()?;
        match v {
            Some(rusqlite::types::Value::Blob(b)) => Ok(b),
            Some(_) => Err(StoreError::Damaged(
                "the vault database's vault id is not binary: it was edited".to_owned(),
            )),
            None => Err(StoreError::Damaged(
                "the vault database has no vault id".to_owned(),
            )),
        }
    }

    fn meta(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        // Cached: `vault run` reads three keys, and each prepare costs more
        // than the lookup.
        let v: Option<rusqlite::types::Value> = self
            .tx
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?;
        Ok(v.map(|v| match v {
            rusqlite::types::Value::Blob(b) => b,
            rusqlite::types::Value::Text(t) => t.into_bytes(),
            rusqlite::types::Value::Integer(i) => i.to_string().into_bytes(),
            _ => Vec::new(),
        }))
    }

    fn set_meta(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        self.tx.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    fn set_format(&self, format: u32) -> StoreResult<()> {
        self.tx.execute(
            "INSERT INTO meta(key, value) VALUES ('format', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![i64::from(format)],
        )?;
        Ok(())
    }

    fn schema_version(&self) -> StoreResult<u32> {
        Ok(self.tx.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    fn slots(&self) -> StoreResult<Vec<SlotRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT id, kind, kdf, salt, nonce, wrapped, key_check FROM slots ORDER BY id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(SlotRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                kdf: r.get(2)?,
                salt: r.get(3)?,
                nonce: r.get(4)?,
                wrapped: r.get(5)?,
                check: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn insert_slot(&self, slot: &SlotRow) -> StoreResult<i64> {
        insert_slot(self.tx, slot)
    }

    fn delete_slot(&self, id: i64) -> StoreResult<bool> {
        Ok(self.tx.execute("DELETE FROM slots WHERE id = ?1", [id])? > 0)
    }

    /// The statement of `tagged_secret`, its tag left unread: a command
    /// that reads a row both ways (`get --reveal`: the metadata, then the
    /// row and its tag after unlocking) prepares the join once.
    fn secret(&self, env: &str, name: &str) -> StoreResult<Option<SecretRow>> {
        let mut st = self.tx.prepare_cached(TAGGED_SECRET)?;
        Ok(st.query_row([env, name], secret_from_row).optional()?)
    }

    /// Secrets by name, for an audience: everything, or what an agent
    /// receives (globals + grants).
    fn secrets(&self, audience: Audience<'_>) -> StoreResult<Vec<SecretRow>> {
        let rows = match audience {
            Audience::Everything => {
                let mut st = self
                    .tx
                    .prepare_cached(concat!(secret_select!(), " ORDER BY s.name, s.env"))?;
                let rows = st.query_map([], secret_from_row)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            }
            Audience::Agent(a) => {
                let mut st = self.tx.prepare_cached(concat!(
                    secret_select!(),
                    " WHERE s.scope = 'global' OR s.name IN (SELECT secret FROM grants WHERE agent = ?1) ORDER BY s.name, s.env"
                ))?;
                let rows = st.query_map([a], secret_from_row)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            }
        };
        Ok(rows)
    }

    /// Every secret with only what the policy tag covers and what a run
    /// injects — name, kind, scope, provider, version and the stored value —
    /// leaving description and timestamps empty: cheap enough for the hot path.
    fn policy_rows(&self) -> StoreResult<Vec<SecretRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT s.name, s.kind, s.scope, s.provider, s.version, v.nonce, v.ciphertext, v.plain, s.env \
             FROM secrets s LEFT JOIN versions v ON v.env = s.env AND v.name = s.name AND v.version = s.version \
             ORDER BY s.name, s.env",
        )?;
        let rows = st.query_map([], policy_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn tagged_policy_rows(&self) -> StoreResult<Vec<(SecretRow, Option<Vec<u8>>)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT s.name, s.kind, s.scope, s.provider, s.version, v.nonce, v.ciphertext, v.plain, s.env, s.tag \
             FROM secrets s LEFT JOIN versions v ON v.env = s.env AND v.name = s.name AND v.version = s.version \
             ORDER BY s.name, s.env",
        )?;
        let rows = st.query_map([], |r| Ok((policy_row(r)?, r.get(9)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn tagged_secret(
        &self,
        env: &str,
        name: &str,
    ) -> StoreResult<Option<(SecretRow, Option<Vec<u8>>)>> {
        let mut st = self.tx.prepare_cached(TAGGED_SECRET)?;
        Ok(st
            .query_row([env, name], |r| Ok((secret_from_row(r)?, r.get(12)?)))
            .optional()?)
    }

    fn secret_names(&self) -> StoreResult<Vec<String>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT DISTINCT name FROM secrets ORDER BY name")?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn secret_envs(&self, name: &str) -> StoreResult<Vec<String>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT env FROM secrets WHERE name = ?1 ORDER BY env")?;
        let rows = st.query_map([name], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn env_names(&self) -> StoreResult<Vec<String>> {
        let mut st = self.tx.prepare_cached(
            "SELECT env FROM secrets WHERE env != '' UNION SELECT env FROM agents WHERE env != '' ORDER BY 1",
        )?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Highest version ever stored for `name` in `env` (0 if none).
    fn max_version(&self, env: &str, name: &str) -> StoreResult<u64> {
        let mut st = self.tx.prepare_cached(
            "SELECT COALESCE(MAX(version), 0) FROM versions WHERE env = ?1 AND name = ?2",
        )?;
        let v: i64 = st.query_row([env, name], |r| r.get(0))?;
        Ok(v.max(0) as u64)
    }

    /// Every stored version of `name` in `env`, oldest first.
    fn versions(&self, env: &str, name: &str) -> StoreResult<Vec<(u64, StoredValue)>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT version, nonce, ciphertext, plain FROM versions WHERE env = ?1 AND name = ?2 ORDER BY version")?;
        let rows = st.query_map([env, name], |r| {
            let v: i64 = r.get(0)?;
            Ok((
                v.max(0) as u64,
                stored_value(r.get(1)?, r.get(2)?, r.get(3)?),
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn history(&self, env: &str, name: &str) -> StoreResult<Vec<VersionRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT version, nonce, ciphertext, plain, created FROM versions WHERE env = ?1 AND name = ?2 ORDER BY version",
        )?;
        let rows = st.query_map([env, name], |r| {
            let v: i64 = r.get(0)?;
            Ok(VersionRow {
                version: v.max(0) as u64,
                value: stored_value(r.get(1)?, r.get(2)?, r.get(3)?),
                created: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Store `value` as `version` of `name` (a new row; versions are never overwritten).
    fn insert_version(
        &self,
        env: &str,
        name: &str,
        version: u64,
        value: &StoredValue,
        now: &str,
    ) -> StoreResult<()> {
        let mut st = self.tx.prepare_cached(
            "INSERT INTO versions(name, version, nonce, ciphertext, plain, created, env) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        match value {
            StoredValue::Sealed { nonce, ciphertext } => st.execute(params![
                name,
                version as i64,
                nonce,
                ciphertext,
                None::<String>,
                now,
                env
            ])?,
            StoredValue::Plain(p) => st.execute(params![
                name,
                version as i64,
                None::<Vec<u8>>,
                None::<Vec<u8>>,
                p.as_str(),
                now,
                env
            ])?,
        };
        Ok(())
    }

    /// Rewrite an existing version in another form (kind change secret <-> variable).
    fn replace_version(
        &self,
        env: &str,
        name: &str,
        version: u64,
        value: &StoredValue,
    ) -> StoreResult<()> {
        match value {
            StoredValue::Sealed { nonce, ciphertext } => self.tx.execute(
                "UPDATE versions SET nonce = ?3, ciphertext = ?4, plain = NULL WHERE name = ?1 AND version = ?2 AND env = ?5",
                params![name, version as i64, nonce, ciphertext, env],
            )?,
            StoredValue::Plain(p) => {
                // A variable's value is covered by its row's tag (§19).
                self.tx.execute(
                    "UPDATE secrets SET tag = NULL WHERE env = ?1 AND name = ?2",
                    params![env, name],
                )?;
                self.tx.execute(
                    "UPDATE versions SET nonce = NULL, ciphertext = NULL, plain = ?3 WHERE name = ?1 AND version = ?2 AND env = ?4",
                    params![name, version as i64, p.as_str(), env],
                )?
            }
        };
        Ok(())
    }

    /// Insert or update a secret's metadata row (the value lives in `versions`).
    fn upsert_secret(&self, s: &SecretRow) -> StoreResult<()> {
        let mut st = self.tx.prepare_cached(
            "INSERT INTO secrets(name, kind, scope, description, provider, version, created, updated, env) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT(env, name) DO UPDATE SET kind = excluded.kind, scope = excluded.scope, \
             description = excluded.description, provider = excluded.provider, version = excluded.version, \
             updated = excluded.updated, tag = NULL",
        )?;
        st.execute(params![
            s.name,
            s.kind.as_str(),
            s.scope.as_str(),
            s.description,
            s.provider,
            s.version as i64,
            s.created,
            s.updated,
            s.env
        ])?;
        Ok(())
    }

    /// Two statements prepared once for all rows, plain INSERTs (no
    /// conflict to look for), and the secret before its version: the
    /// version's deferred foreign key then finds its parent at once instead
    /// of being counted and settled by a scan when the parent arrives.
    fn insert_secrets(&self, rows: &[SecretRow], tags: Option<&[[u8; 32]]>) -> StoreResult<()> {
        let mut secret = self.tx.prepare_cached(
            "INSERT INTO secrets(name, kind, scope, description, provider, version, created, updated, env, tag) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        let mut version = self.tx.prepare_cached(
            "INSERT INTO versions(name, version, nonce, ciphertext, plain, created, env) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        // Bound one by one (no slice of trait objects per row); every
        // parameter is bound again for each row, so none carries over.
        for (i, s) in rows.iter().enumerate() {
            secret.raw_bind_parameter(1, &s.name)?;
            secret.raw_bind_parameter(2, s.kind.as_str())?;
            secret.raw_bind_parameter(3, s.scope.as_str())?;
            secret.raw_bind_parameter(4, &s.description)?;
            secret.raw_bind_parameter(5, &s.provider)?;
            secret.raw_bind_parameter(6, s.version as i64)?;
            secret.raw_bind_parameter(7, &s.created)?;
            secret.raw_bind_parameter(8, &s.updated)?;
            secret.raw_bind_parameter(9, &s.env)?;
            secret.raw_bind_parameter(10, tags.and_then(|t| t.get(i)).map(|t| &t[..]))?;
            secret.raw_execute()?;
            version.raw_bind_parameter(1, &s.name)?;
            version.raw_bind_parameter(2, s.version as i64)?;
            match &s.value {
                StoredValue::Sealed { nonce, ciphertext } => {
                    version.raw_bind_parameter(3, nonce)?;
                    version.raw_bind_parameter(4, ciphertext)?;
                    version.raw_bind_parameter(5, None::<&str>)?;
                }
                StoredValue::Plain(p) => {
                    version.raw_bind_parameter(3, None::<&[u8]>)?;
                    version.raw_bind_parameter(4, None::<&[u8]>)?;
                    version.raw_bind_parameter(5, p.as_str())?;
                }
            }
            version.raw_bind_parameter(6, &s.created)?;
            version.raw_bind_parameter(7, &s.env)?;
            version.raw_execute()?;
        }
        Ok(())
    }

    fn delete_secret(&self, env: &str, name: &str) -> StoreResult<bool> {
        let n = self.tx.execute(
            "DELETE FROM secrets WHERE env = ?1 AND name = ?2",
            [env, name],
        )?;
        self.tx.execute(
            "DELETE FROM versions WHERE env = ?1 AND name = ?2",
            [env, name],
        )?;
        self.tx.execute(
            "DELETE FROM deliveries WHERE source = ?1 AND secret = ?2",
            [env, name],
        )?;
        self.tx.execute(
            "DELETE FROM grants WHERE secret = ?1 AND NOT EXISTS (SELECT 1 FROM secrets WHERE name = ?1)",
            [name],
        )?;
        self.tx.execute(
            "DELETE FROM deliveries WHERE secret = ?1 AND NOT EXISTS (SELECT 1 FROM secrets WHERE name = ?1)",
            [name],
        )?;
        Ok(n > 0)
    }

    /// A copy of the metadata row under the new name first, so that the
    /// grants and deliveries (immediate foreign keys) always point at a row
    /// that exists; the old row goes last, with nothing left referring to it.
    fn rename_secret(&self, old: &str, new: &str) -> StoreResult<bool> {
        let copied = self.tx.execute(
            "INSERT INTO secrets(env, name, kind, scope, description, provider, version, created, updated) \
             SELECT env, ?2, kind, scope, description, provider, version, created, updated FROM secrets WHERE name = ?1",
            params![old, new],
        )?;
        if copied == 0 {
            return Ok(false);
        }
        for sql in [
            "UPDATE versions SET name = ?2 WHERE name = ?1",
            "UPDATE grants SET secret = ?2, tag = NULL WHERE secret = ?1",
            "UPDATE deliveries SET secret = ?2 WHERE secret = ?1",
        ] {
            self.tx.execute(sql, params![old, new])?;
        }
        self.tx
            .execute("DELETE FROM secrets WHERE name = ?1", [old])?;
        Ok(true)
    }

    fn agent(&self, name: &str) -> StoreResult<Option<AgentRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT name, description, created, last_run, env FROM agents WHERE name = ?1",
        )?;
        Ok(st.query_row([name], agent_from_row).optional()?)
    }

    fn agents(&self) -> StoreResult<Vec<AgentRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT name, description, created, last_run, env FROM agents ORDER BY name",
        )?;
        let rows = st.query_map([], agent_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Returns false when the agent already exists.
    fn create_agent(
        &self,
        name: &str,
        description: &str,
        env: &str,
        now: &str,
    ) -> StoreResult<bool> {
        Ok(self.tx.execute(
            "INSERT INTO agents(name, description, created, env) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(name) DO NOTHING",
            params![name, description, now, env],
        )? > 0)
    }

    /// Delete an agent with its grants and delivery records.
    fn delete_agent(&self, name: &str) -> StoreResult<bool> {
        if let Some(id) = self.agent_id(name)? {
            for sql in [
                "DELETE FROM agent_keys WHERE agent_id = ?1",
                "DELETE FROM keyring_wraps WHERE agent_id = ?1",
                "DELETE FROM agent_wraps WHERE agent_id = ?1",
                "DELETE FROM statements WHERE agent_id = ?1",
            ] {
                self.tx.execute(sql, [id as i64])?;
            }
            self.tx
                .execute("DELETE FROM agent_ids WHERE agent = ?1", [name])?;
        }
        Ok(self
            .tx
            .execute("DELETE FROM agents WHERE name = ?1", [name])?
            > 0)
    }

    /// Agents a secret is granted to.
    fn grantees(&self, secret: &str) -> StoreResult<Vec<String>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT agent FROM grants WHERE secret = ?1 ORDER BY agent")?;
        let rows = st.query_map([secret], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn grants(&self, agent: &str) -> StoreResult<Vec<String>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT secret FROM grants WHERE agent = ?1 ORDER BY secret")?;
        let rows = st.query_map([agent], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn deliveries(&self, agent: &str, env: &str) -> StoreResult<Vec<DeliveryRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT secret, source, version, delivered FROM deliveries WHERE agent = ?1 AND env = ?2 ORDER BY secret",
        )?;
        let rows = st.query_map([agent, env], |r| {
            let v: i64 = r.get(2)?;
            Ok(DeliveryRow {
                secret: r.get(0)?,
                source: r.get(1)?,
                version: v.max(0) as u64,
                delivered: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Returns false when the grant already existed.
    fn grant(&self, agent: &str, secret: &str, now: &str) -> StoreResult<bool> {
        Ok(self.tx.execute(
            "INSERT INTO grants(agent, secret, created) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![agent, secret, now],
        )? > 0)
    }

    /// Returns false when there was no such grant.
    fn revoke(&self, agent: &str, secret: &str) -> StoreResult<bool> {
        Ok(self.tx.execute(
            "DELETE FROM grants WHERE agent = ?1 AND secret = ?2",
            params![agent, secret],
        )? > 0)
    }

    /// Every grant in the vault, as (agent, secret), sorted.
    fn all_grants(&self) -> StoreResult<Vec<(String, String)>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT agent, secret FROM grants ORDER BY agent, secret")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn row_tag(&self, table: Tagged, a: &str, b: &str) -> StoreResult<Option<Option<Vec<u8>>>> {
        let row = match table {
            Tagged::Secrets => self
                .tx
                .prepare_cached("SELECT tag FROM secrets WHERE env = ?1 AND name = ?2")?
                .query_row([a, b], |r| r.get(0))
                .optional()?,
            Tagged::Grants => self
                .tx
                .prepare_cached("SELECT tag FROM grants WHERE agent = ?1 AND secret = ?2")?
                .query_row([a, b], |r| r.get(0))
                .optional()?,
            Tagged::Agents => self
                .tx
                .prepare_cached("SELECT tag FROM agents WHERE name = ?1")?
                .query_row([a], |r| r.get(0))
                .optional()?,
        };
        Ok(row)
    }

    fn row_tags(&self, table: Tagged) -> StoreResult<Vec<TaggedRow>> {
        let sql = match table {
            Tagged::Secrets => "SELECT env, name, tag FROM secrets ORDER BY name, env",
            Tagged::Grants => "SELECT agent, secret, tag FROM grants ORDER BY agent, secret",
            Tagged::Agents => "SELECT name, env, tag FROM agents ORDER BY name",
        };
        let mut st = self.tx.prepare_cached(sql)?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn grant_tags_of(&self, agent: &str) -> StoreResult<Vec<(String, Option<Vec<u8>>)>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT secret, tag FROM grants WHERE agent = ?1 ORDER BY secret")?;
        let rows = st.query_map([agent], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn set_row_tag(&self, table: Tagged, a: &str, b: &str, tag: &[u8]) -> StoreResult<()> {
        match table {
            Tagged::Secrets => self
                .tx
                .prepare_cached("UPDATE secrets SET tag = ?3 WHERE env = ?1 AND name = ?2")?
                .execute(params![a, b, tag])?,
            Tagged::Grants => self
                .tx
                .prepare_cached("UPDATE grants SET tag = ?3 WHERE agent = ?1 AND secret = ?2")?
                .execute(params![a, b, tag])?,
            Tagged::Agents => self
                .tx
                .prepare_cached("UPDATE agents SET tag = ?2 WHERE name = ?1")?
                .execute(params![a, tag])?,
        };
        Ok(())
    }

    fn untagged(&self, table: Tagged, limit: usize) -> StoreResult<Vec<(String, String)>> {
        let sql = match table {
            Tagged::Secrets => "SELECT env, name FROM secrets WHERE tag IS NULL LIMIT ?1",
            Tagged::Grants => "SELECT agent, secret FROM grants WHERE tag IS NULL LIMIT ?1",
            Tagged::Agents => "SELECT name, env FROM agents WHERE tag IS NULL LIMIT ?1",
        };
        let mut st = self.tx.prepare_cached(sql)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = st.query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Record that `agent` received these versions now.
    fn record_delivery(
        &self,
        agent: &str,
        env: &str,
        delivered: &[(&str, &str, u64)],
        now: &str,
    ) -> StoreResult<()> {
        let mut st = self.tx.prepare_cached(
            "INSERT INTO deliveries(agent, env, secret, source, version, delivered) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT(agent, env, secret) DO UPDATE SET source = excluded.source, version = excluded.version, \
             delivered = excluded.delivered",
        )?;
        for (name, source, v) in delivered {
            st.execute(params![agent, env, name, source, *v as i64, now])?;
        }
        self.tx.execute(
            "UPDATE agents SET last_run = ?2 WHERE name = ?1",
            params![agent, now],
        )?;
        Ok(())
    }

    fn agent_id(&self, agent: &str) -> StoreResult<Option<u64>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT id FROM agent_ids WHERE agent = ?1")?;
        Ok(st
            .query_row([agent], |r| r.get::<_, i64>(0))
            .optional()?
            .map(|i| i.max(0) as u64))
    }

    fn assign_agent_id(&self, agent: &str) -> StoreResult<u64> {
        if let Some(id) = self.agent_id(agent)? {
            return Ok(id);
        }
        let next = self
            .meta("next_agent_id")?
            .and_then(|v| String::from_utf8_lossy(&v).trim().parse::<u64>().ok())
            .unwrap_or(1)
            .max(1);
        self.tx.execute(
            "INSERT INTO agent_ids(agent, id) VALUES (?1, ?2)",
            params![agent, next as i64],
        )?;
        self.tx.execute(
            "INSERT INTO meta(key, value) VALUES ('next_agent_id', ?1) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![(next + 1) as i64],
        )?;
        Ok(next)
    }

    fn agent_keys(&self) -> StoreResult<Vec<AgentKeyRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT k.agent_id, i.agent, k.epoch, k.kem_pk, k.sign_pk, k.created, k.expires, k.revoked, k.made \
             FROM agent_keys k JOIN agent_ids i ON i.id = k.agent_id \
             WHERE k.epoch = (SELECT max(epoch) FROM agent_keys WHERE agent_id = k.agent_id) \
             ORDER BY i.agent",
        )?;
        let rows = st.query_map([], |r| {
            Ok(AgentKeyRow {
                agent_id: r.get::<_, i64>(0)?.max(0) as u64,
                agent: r.get(1)?,
                epoch: r.get::<_, i64>(2)?.max(0) as u64,
                kem_pk: r.get(3)?,
                sign_pk: r.get(4)?,
                created: r.get(5)?,
                expires: r.get::<_, i64>(6)?.max(0) as u64,
                revoked: r.get(7)?,
                made: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn insert_agent_key(&self, k: &AgentKeyRow) -> StoreResult<()> {
        self.tx.execute(
            "INSERT INTO agent_keys(agent_id, epoch, kem_pk, sign_pk, created, expires, revoked, made) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                k.agent_id as i64,
                k.epoch as i64,
                k.kem_pk,
                k.sign_pk,
                k.created,
                k.expires as i64,
                k.revoked,
                k.made
            ],
        )?;
        Ok(())
    }

    fn revoke_agent_keys(&self, agent_id: u64, now: &str) -> StoreResult<()> {
        let id = agent_id as i64;
        self.tx.execute(
            "UPDATE agent_keys SET revoked = ?2 WHERE agent_id = ?1 AND revoked IS NULL",
            params![id, now],
        )?;
        for sql in [
            "DELETE FROM keyring_wraps WHERE agent_id = ?1",
            "DELETE FROM agent_wraps WHERE agent_id = ?1",
            "DELETE FROM statements WHERE agent_id = ?1",
        ] {
            self.tx.execute(sql, [id])?;
        }
        Ok(())
    }

    fn keyring_wrap(
        &self,
        agent_id: u64,
        epoch: u64,
        recipient: u64,
    ) -> StoreResult<Option<Vec<u8>>> {
        let mut st = self.tx.prepare_cached(
            "SELECT wrap FROM keyring_wraps WHERE agent_id = ?1 AND epoch = ?2 AND recipient = ?3",
        )?;
        Ok(st
            .query_row(
                params![agent_id as i64, epoch as i64, recipient as i64],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn put_keyring_wrap(
        &self,
        agent_id: u64,
        epoch: u64,
        recipient: u64,
        wrap: &[u8],
    ) -> StoreResult<()> {
        self.tx.execute(
            "INSERT INTO keyring_wraps(agent_id, epoch, recipient, wrap) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT(agent_id, epoch, recipient) DO UPDATE SET wrap = excluded.wrap",
            params![agent_id as i64, epoch as i64, recipient as i64, wrap],
        )?;
        Ok(())
    }

    fn keyring_recipients(&self) -> StoreResult<Vec<(u64, u64, u64)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT agent_id, epoch, recipient FROM keyring_wraps ORDER BY agent_id, epoch, recipient",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, i64>(2)? as u64,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn agent_wrap_keys(
        &self,
        agent_id: u64,
        epoch: u64,
    ) -> StoreResult<Vec<(String, String, u64)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT env, name, version FROM agent_wraps WHERE agent_id = ?1 AND epoch = ?2",
        )?;
        let rows = st.query_map(params![agent_id as i64, epoch as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?.max(0) as u64))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn put_agent_wrap(&self, w: &AgentWrapRow) -> StoreResult<()> {
        let mut st = self.tx.prepare_cached(
            "INSERT INTO agent_wraps(agent_id, epoch, env, name, version, wrap) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT(agent_id, epoch, env, name, version) DO UPDATE SET wrap = excluded.wrap",
        )?;
        st.execute(params![
            w.agent_id as i64,
            w.epoch as i64,
            w.env,
            w.name,
            w.version as i64,
            w.wrap
        ])?;
        Ok(())
    }

    fn delete_agent_wrap(
        &self,
        agent_id: u64,
        epoch: u64,
        env: &str,
        name: &str,
        version: u64,
    ) -> StoreResult<()> {
        let mut st = self.tx.prepare_cached(
            "DELETE FROM agent_wraps WHERE agent_id = ?1 AND epoch = ?2 AND env = ?3 AND name = ?4 AND version = ?5",
        )?;
        st.execute(params![
            agent_id as i64,
            epoch as i64,
            env,
            name,
            version as i64
        ])?;
        Ok(())
    }

    /// One statement for the whole view (an agent's run of 100 secrets
    /// made 200 before): the agent's wraps in this keyring epoch, each with
    /// its version row. An owner's write keeps exactly one wrap per secret
    /// the statement lists (`sync_agents` deletes the others), so this reads
    /// the items asked and no more; an item without a wrap (damage) is
    /// looked up alone, so the answer is the same as item by item.
    fn agent_payload(
        &self,
        agent_id: u64,
        epoch: u64,
        items: &[(String, String, u64)],
    ) -> StoreResult<Vec<super::Payload>> {
        let mut st = self.tx.prepare_cached(
            "SELECT w.env, w.name, w.version, w.wrap, v.version IS NOT NULL, v.nonce, v.ciphertext, v.plain \
             FROM agent_wraps w LEFT JOIN versions v \
                  ON v.env = w.env AND v.name = w.name AND v.version = w.version \
             WHERE w.agent_id = ?1 AND w.epoch = ?2",
        )?;
        let rows = st.query_map(params![agent_id as i64, epoch as i64], |r| {
            let key: (String, String, u64) =
                (r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?.max(0) as u64);
            let value = if r.get(4)? {
                Some(stored_value(r.get(5)?, r.get(6)?, r.get(7)?))
            } else {
                None
            };
            Ok((key, (value, Some(r.get::<_, Vec<u8>>(3)?))))
        })?;
        let mut wrapped: std::collections::BTreeMap<(String, String, u64), super::Payload> =
            rows.collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(p) = wrapped.remove(item) {
                out.push(p);
                continue;
            }
            let (env, name, version) = item;
            let mut value = self.tx.prepare_cached(
                "SELECT nonce, ciphertext, plain FROM versions WHERE env = ?1 AND name = ?2 AND version = ?3",
            )?;
            let v = value
                .query_row(params![env, name, *version as i64], |r| {
                    Ok(stored_value(r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?;
            out.push((v, None));
        }
        Ok(out)
    }

    fn statement(&self, agent_id: u64) -> StoreResult<Option<StatementRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT agent_id, policy_seq, signer, bytes, sig FROM statements WHERE agent_id = ?1",
        )?;
        Ok(st
            .query_row([agent_id as i64], |r| {
                Ok(StatementRow {
                    agent_id: r.get::<_, i64>(0)?.max(0) as u64,
                    policy_seq: r.get::<_, i64>(1)?.max(0) as u64,
                    signer: r.get::<_, i64>(2)?.max(0) as u64,
                    bytes: r.get(3)?,
                    sig: r.get(4)?,
                })
            })
            .optional()?)
    }

    fn put_statement(&self, s: &StatementRow) -> StoreResult<()> {
        self.tx.execute(
            "INSERT INTO statements(agent_id, policy_seq, signer, bytes, sig) VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT(agent_id) DO UPDATE SET policy_seq = excluded.policy_seq, signer = excluded.signer, \
             bytes = excluded.bytes, sig = excluded.sig",
            params![
                s.agent_id as i64,
                s.policy_seq as i64,
                s.signer as i64,
                s.bytes,
                s.sig
            ],
        )?;
        Ok(())
    }

    fn append_audit(&self, e: &AuditRow) -> StoreResult<()> {
        let mut st = self.tx.prepare_cached(
            "INSERT INTO audit(chain, seq, at, action, subject, host, prev, hash, sig) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        st.execute(params![
            e.chain as i64,
            e.seq as i64,
            e.at,
            e.action,
            e.subject,
            e.host,
            e.prev,
            e.hash,
            e.sig
        ])?;
        Ok(())
    }

    fn audit_head(&self, chain: u64) -> StoreResult<Option<(u64, Vec<u8>)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT seq, hash FROM audit WHERE chain = ?1 ORDER BY seq DESC LIMIT 1",
        )?;
        let head = st
            .query_row([chain as i64], |r| {
                Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get(1)?))
            })
            .optional()?;
        Ok(head)
    }

    fn audit_entries(&self, f: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT chain, seq, at, action, subject, host, prev, hash, sig FROM audit \
             WHERE (?1 IS NULL OR chain = ?1) AND (?2 IS NULL OR seq > ?2) AND (?3 IS NULL OR at >= ?3) \
             ORDER BY chain, seq",
        )?;
        let rows = st.query_map(
            params![
                f.chain.map(|c| c as i64),
                f.after_seq.map(|s| s as i64),
                f.since
            ],
            |r| {
                Ok(AuditRow {
                    chain: r.get::<_, i64>(0)?.max(0) as u64,
                    seq: r.get::<_, i64>(1)?.max(0) as u64,
                    at: r.get(2)?,
                    action: r.get(3)?,
                    subject: r.get(4)?,
                    host: r.get(5)?,
                    prev: r.get(6)?,
                    hash: r.get(7)?,
                    sig: r.get(8)?,
                })
            },
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn prune_audit(&self, chain: u64, through_seq: u64) -> StoreResult<u64> {
        let n = self.tx.execute(
            "DELETE FROM audit WHERE chain = ?1 AND seq <= ?2",
            params![chain as i64, through_seq as i64],
        )?;
        Ok(n as u64)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> StoreError {
        use rusqlite::ffi::ErrorCode;
        if let rusqlite::Error::SqliteFailure(e, _) = &err {
            match e.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => return StoreError::Busy,
                ErrorCode::DiskFull => return StoreError::DiskFull,
                ErrorCode::ReadOnly => return StoreError::ReadOnly,
                ErrorCode::SystemIoFailure => return StoreError::Io(err.to_string()),
                ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => return StoreError::Corrupt,
                ErrorCode::CannotOpen => return StoreError::CannotOpen(err.to_string()),
                _ => {}
            }
        }
        StoreError::Other(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::contract::{Engine, Sqlite};

    /// A vault as schema `upto` (1 or 2) left it, built by that schema's
    /// own migrations: an agent, a granted secret with two versions, a
    /// delivery record.
    fn old_vault(path: &Path, upto: usize) {
        let conn = Connection::open(path).unwrap();
        for sql in &schema::MIGRATIONS[..upto] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", upto as u32)
            .unwrap();
        conn.execute_batch(
            "INSERT INTO meta(key, value) VALUES ('vault_id', x'00112233445566778899aabbccddeeff'), ('format', 1);
             INSERT INTO agents(name, description, created) VALUES ('bot', 'kept', 't');
             INSERT INTO secrets(name, kind, scope, description, provider, version, created, updated)
                 VALUES ('KEY', 'secret', 'agent', 'd', 'openai', 2, 't', 't');
             INSERT INTO versions(name, version, nonce, ciphertext, created) VALUES
                 ('KEY', 1, x'01', x'02', 't'), ('KEY', 2, x'03', x'04', 't');
             INSERT INTO grants(agent, secret, created) VALUES ('bot', 'KEY', 't');
             INSERT INTO deliveries(agent, secret, version, delivered) VALUES ('bot', 'KEY', 1, 't1');",
        )
        .unwrap();
    }

    #[test]
    fn an_older_vault_migrates_on_open_and_keeps_its_rows() {
        for upto in [1, 2] {
            let engine = Sqlite::new();
            let path = engine.dir_path().join(format!("old-{upto}.db"));
            old_vault(&path, upto);
            let mut s = SqliteStore::open(&path, 1).unwrap();
            let version: u32 = s
                .conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(version, SCHEMA_VERSION);
            assert_eq!(SCHEMA_VERSION, 5);
            let (agents, audit, row, versions, grants, delivered) = s
                .read(|tx| {
                    Ok((
                        tx.agents()?,
                        tx.audit_entries(&crate::store::AuditFilter::default())?,
                        tx.secret("", "KEY")?,
                        tx.versions("", "KEY")?,
                        tx.all_grants()?,
                        tx.deliveries("bot", "")?,
                    ))
                })
                .unwrap();
            assert_eq!(agents.len(), 1, "the migration keeps the agents");
            assert_eq!(agents[0].env, "", "and pins none");
            assert!(audit.is_empty(), "the audit table exists and starts empty");
            let row = row.expect("the secret became the shared row");
            assert_eq!(
                (row.version, row.scope, row.provider.as_deref()),
                (2, Scope::Agent, Some("openai"))
            );
            assert!(matches!(row.value, StoredValue::Sealed { ref nonce, .. } if nonce == &[3u8]));
            assert_eq!(versions.len(), 2);
            assert_eq!(grants, [("bot".to_owned(), "KEY".to_owned())]);
            assert_eq!(
                delivered
                    .iter()
                    .map(|d| (d.secret.as_str(), d.source.as_str(), d.version))
                    .collect::<Vec<_>>(),
                [("KEY", "", 1)]
            );
            // Deleting the (only) row still takes its grants with it.
            s.write(|tx| Ok(tx.delete_secret("", "KEY")?)).unwrap();
            assert!(s.read(|tx| Ok(tx.all_grants()?)).unwrap().is_empty());
        }
    }

    #[test]
    fn a_vault_of_a_newer_schema_is_refused() {
        let engine = Sqlite::new();
        drop(engine.fresh());
        let path = engine.dir_path().join("vault.db");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = SqliteStore::open(&path, 1).err().unwrap();
        let err: crate::error::Error = err.into();
        assert!(err.to_string().contains("newer vault"), "{err}");
        assert_eq!(err.exit_code(), 1);
    }

    #[test]
    fn backup_is_a_complete_private_copy_and_never_overwrites() {
        use std::os::unix::fs::PermissionsExt;
        let engine = Sqlite::new();
        let mut s = engine.fresh();
        s.write(|tx| {
            tx.insert_version(
                "",
                "K",
                1,
                &StoredValue::Plain(Zeroizing::new("v".into())),
                "t",
            )?;
            tx.upsert_secret(&SecretRow {
                env: String::new(),
                name: "K".into(),
                kind: Kind::Variable,
                scope: Scope::Global,
                description: String::new(),
                provider: None,
                version: 1,
                created: "t".into(),
                updated: "t".into(),
                value: StoredValue::Plain(Zeroizing::new("v".into())),
            })?;
            Ok(())
        })
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("copy.db");
        s.backup_to(&dest).unwrap();
        let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let mut copy = SqliteStore::open(&dest, 1).unwrap();
        let (names, slots) = copy
            .read(|tx| Ok((tx.secret_names()?, tx.slots()?)))
            .unwrap();
        assert_eq!(names, ["K"]);
        assert_eq!(slots.len(), 1);
        let before = std::fs::read(&dest).unwrap();
        let again = s.backup_to(&dest);
        assert!(
            matches!(again, Err(StoreError::Refused(ref e)) if e.kind() == crate::error::Kind::Conflict)
        );
        assert_eq!(std::fs::read(&dest).unwrap(), before);
    }
}
