//! SQLite storage: schema, migrations and queries. No cryptography here:
//! ciphertexts, nonces and key slots are opaque bytes to this module.
//!
//! The interface is deliberately narrow — plain records in and out, one
//! closure per transaction ([`Store::read`], [`Store::write`]) — so that another
//! backend (PostgreSQL for teams) can stand beside this one. Write
//! transactions are `BEGIN IMMEDIATE`, so two writers queue on the busy
//! timeout instead of failing half-way; every multi-row change of a command
//! happens in one of them.

mod schema;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::model::{Kind, Scope};

pub use schema::SCHEMA_VERSION;

/// How long a command waits for another one holding the database.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Whose view of the secrets a query takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience<'a> {
    /// Every secret (listing, backup export).
    Everything,
    /// What this agent receives: globals plus its grants.
    Agent(&'a str),
}

/// A key slot as stored.
#[derive(Debug, Clone)]
pub struct SlotRow {
    pub id: i64,
    pub kind: String,
    pub kdf: Option<String>,
    pub salt: Option<Vec<u8>>,
    pub nonce: Vec<u8>,
    pub wrapped: Vec<u8>,
    pub check: Vec<u8>,
}

/// A value as stored: sealed (kind `secret`) or plain (kind `variable`).
#[derive(Clone)]
pub enum StoredValue {
    Sealed { nonce: Vec<u8>, ciphertext: Vec<u8> },
    Plain(Zeroizing<String>),
}

impl std::fmt::Debug for StoredValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoredValue::Sealed { .. } => f.write_str("Sealed(..)"),
            StoredValue::Plain(_) => f.write_str("Plain(<redacted>)"),
        }
    }
}

/// A secret's metadata, and its current value as stored.
#[derive(Debug, Clone)]
pub struct SecretRow {
    pub name: String,
    pub kind: Kind,
    pub scope: Scope,
    pub description: String,
    pub provider: Option<String>,
    pub version: u64,
    pub created: String,
    pub updated: String,
    pub value: StoredValue,
}

#[derive(Debug, Clone)]
pub struct AgentRow {
    pub name: String,
    pub description: String,
    pub created: String,
    pub last_run: Option<String>,
}

/// One grant of an agent, with what the agent last received.
#[derive(Debug, Clone)]
pub struct GrantRow {
    pub secret: String,
    pub current_version: u64,
    pub delivered_version: Option<u64>,
    pub delivered_at: Option<String>,
    /// Received because it is global, not through a grant.
    pub global: bool,
}

/// What a new vault starts with.
pub struct NewVault<'a> {
    pub vault_id: &'a [u8],
    pub created: &'a str,
    /// Authentication tag of the (empty) policy.
    pub policy_tag: &'a [u8],
}

pub struct Store {
    conn: Connection,
    /// Opened read-only because the file system is: (vault.db, mount point).
    read_only: Option<(PathBuf, PathBuf)>,
}

/// Open `path` read-write. The directories above it are resolved first:
/// SQLite's NOFOLLOW refuses a link in any component of the path, and only
/// a link at vault.db itself (or its -wal, -shm) is to be refused.
fn connect(path: &Path) -> Result<Connection> {
    let real = crate::paths::real_path(path).map_err(|e| Error::io("open", path, e))?;
    let conn = Connection::open_with_flags(
        &real,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")?;
    Ok(conn)
}

/// Open `real` (directories already resolved) on a read-only file system.
/// Nothing can change the file there, so it is opened `immutable` (no
/// locks, no -shm to create), unless a -wal holds changes not yet in the
/// main file: then SQLite reads it through the existing -shm.
fn connect_read_only(real: &Path) -> Result<Connection> {
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
fn explain_open_failure(path: &Path, err: Error) -> Error {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_err() {
        return Error::other(format!(
            "cannot open the vault at {}: its directory {} is read-only to you (not writable), and SQLite must create vault.db-wal and vault.db-shm beside vault.db, even to read",
            path.display(),
            dir.display()
        ))
        .hint(format!(
            "make the directory writable (`chmod u+w {}`), or copy the vault directory to a writable place and pass --vault-dir",
            crate::paths::shell_quote_path(dir)
        ));
    }
    err
}

impl Store {
    /// Create the database file (which must not exist yet) and its schema.
    /// Returns `Ok(None)` when another process created it first.
    ///
    /// The vault is built complete under a private temporary name beside
    /// `path` and only then published there with link(2), which fails if
    /// `path` exists. So a crash (kill -9, power loss) during creation leaves
    /// at most a stray temporary file, never a half-made vault.db that every
    /// later command would have to refuse; and of concurrent creators exactly
    /// one wins.
    pub fn create(path: &Path, init: &NewVault<'_>, first_slot: &SlotRow) -> Result<Option<Store>> {
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
            return Err(Error::io("create", &tmp, e));
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
                params![init.vault_id, init.created, crate::crypto::FORMAT_VERSION, init.policy_tag],
            )?;
            insert_slot(&tx, first_slot)?;
            tx.commit()?;
            // Everything into the main file before it is published: no one
            // else has it open, so the checkpoint cannot be held up.
            let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
            if busy != 0 {
                return Err(
                    Error::other("cannot finish writing the new vault database").hint("try again")
                );
            }
            conn.close().map_err(|(_, e)| Error::from(e))?;
            std::fs::File::open(&tmp)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::io("sync", &tmp, e))?;
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
            Err(e) => return Err(Error::io("create", path, e)),
        }
        Ok(Some(Store {
            conn: connect(path)?,
            read_only: None,
        }))
    }

    /// Open an existing vault database, migrating its schema if it is older.
    ///
    /// On a read-only file system the vault is opened read-only: it can be
    /// shown, and every write says which mount to remount.
    pub fn open(path: &Path) -> Result<Store> {
        let real = crate::paths::real_path(path).map_err(|e| Error::io("open", path, e))?;
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
                .hint(
                    "do not delete it: restore vault.db from a backup, or keep it for recovery",
                ));
            }
            return Err(Error::other(format!(
                "{} exists but holds no vault (an empty file or another program's database)",
                path.display()
            ))
            .hint("move it aside (it may be another program's data) and run `vault init`, or point --vault-dir at your vault"));
        }
        if version > SCHEMA_VERSION {
            return Err(Error::other(format!(
                "{} was written by a newer vault (schema {version}; this vault understands up to {SCHEMA_VERSION})",
                path.display()
            ))
            .hint("upgrade vault"));
        }
        let mut store = Store { conn, read_only };
        if version < SCHEMA_VERSION {
            if let Some((db, mount)) = &store.read_only {
                return Err(crate::paths::read_only_fs_error(db, mount)
                    .also("its schema must be upgraded first"));
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

    /// Lower durability to "survives a crash of vault, maybe not of the OS"
    /// for bookkeeping writes on the hot path (`vault run`'s delivery record).
    pub fn relax_durability(&self) -> Result<()> {
        self.conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
        Ok(())
    }

    /// Run `f` in a read transaction: a consistent snapshot. It always ends
    /// in a rollback, so anything `f` writes (an import's `--dry-run`) is
    /// discarded, never committed.
    pub fn read<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = f(&Tx { tx: &tx })?;
        tx.rollback()?;
        Ok(out)
    }

    /// Run `f` in a write transaction (`BEGIN IMMEDIATE`); commit only if it succeeds.
    pub fn write<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        if let Some((db, mount)) = &self.read_only {
            return Err(crate::paths::read_only_fs_error(db, mount));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&Tx { tx: &tx })?;
        tx.commit()?;
        Ok(out)
    }
}

fn insert_slot(conn: &Connection, s: &SlotRow) -> Result<i64> {
    conn.execute(
        "INSERT INTO slots(kind, kdf, salt, nonce, wrapped, key_check) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![s.kind, s.kdf, s.salt, s.nonce, s.wrapped, s.check],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A transaction; all queries live here.
pub struct Tx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

/// The columns `secret_from_row` reads, as a literal so queries built from
/// it are constants (no formatting and re-hashing per call on hot paths).
macro_rules! secret_select {
    () => {
        "SELECT s.name, s.kind, s.scope, s.description, s.provider, s.version, s.created, s.updated, \
         v.nonce, v.ciphertext, v.plain \
         FROM secrets s LEFT JOIN versions v ON v.name = s.name AND v.version = s.version"
    };
}

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

/// (secret, current version, delivered version, delivered at, global).
fn grant_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<GrantRow> {
    let cur: i64 = r.get(1)?;
    let del: Option<i64> = r.get(2)?;
    Ok(GrantRow {
        secret: r.get(0)?,
        current_version: cur.max(0) as u64,
        delivered_version: del.map(|d| d.max(0) as u64),
        delivered_at: r.get(3)?,
        global: r.get(4)?,
    })
}

impl Tx<'_> {
    pub fn vault_id(&self) -> Result<Vec<u8>> {
        self.tx
            .query_row("SELECT value FROM meta WHERE key = 'vault_id'", [], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or_else(|| {
                Error::integrity("the vault database has no vault id")
                    .hint("the database is damaged; restore vault.db from a backup")
            })
    }

    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let v: Option<rusqlite::types::Value> = self
            .tx
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        Ok(v.map(|v| match v {
            rusqlite::types::Value::Blob(b) => b,
            rusqlite::types::Value::Text(t) => t.into_bytes(),
            rusqlite::types::Value::Integer(i) => i.to_string().into_bytes(),
            _ => Vec::new(),
        }))
    }

    pub fn set_meta(&self, key: &str, value: &[u8]) -> Result<()> {
        self.tx.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn slots(&self) -> Result<Vec<SlotRow>> {
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

    pub fn secret(&self, name: &str) -> Result<Option<SecretRow>> {
        let mut st = self
            .tx
            .prepare_cached(concat!(secret_select!(), " WHERE s.name = ?1"))?;
        Ok(st.query_row([name], secret_from_row).optional()?)
    }

    /// Secrets by name, for an audience: everything, or what an agent
    /// receives (globals + grants).
    pub fn secrets(&self, audience: Audience<'_>) -> Result<Vec<SecretRow>> {
        let rows = match audience {
            Audience::Everything => {
                let mut st = self
                    .tx
                    .prepare_cached(concat!(secret_select!(), " ORDER BY s.name"))?;
                let rows = st.query_map([], secret_from_row)?;
                rows.collect::<rusqlite::Result<Vec<_>>>()?
            }
            Audience::Agent(a) => {
                let mut st = self.tx.prepare_cached(concat!(
                    secret_select!(),
                    " WHERE s.scope = 'global' OR s.name IN (SELECT secret FROM grants WHERE agent = ?1) ORDER BY s.name"
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
    pub fn policy_rows(&self) -> Result<Vec<SecretRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT s.name, s.kind, s.scope, '', s.provider, s.version, '', '', v.nonce, v.ciphertext, v.plain \
             FROM secrets s LEFT JOIN versions v ON v.name = s.name AND v.version = s.version ORDER BY s.name",
        )?;
        let rows = st.query_map([], secret_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    pub fn secret_names(&self) -> Result<Vec<String>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT name FROM secrets ORDER BY name")?;
        let rows = st.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Highest version ever stored for `name` (0 if none).
    pub fn max_version(&self, name: &str) -> Result<u64> {
        let mut st = self
            .tx
            .prepare_cached("SELECT COALESCE(MAX(version), 0) FROM versions WHERE name = ?1")?;
        let v: i64 = st.query_row([name], |r| r.get(0))?;
        Ok(v.max(0) as u64)
    }

    /// Every stored version of `name`, oldest first.
    pub fn versions(&self, name: &str) -> Result<Vec<(u64, StoredValue)>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT version, nonce, ciphertext, plain FROM versions WHERE name = ?1 ORDER BY version")?;
        let rows = st.query_map([name], |r| {
            let v: i64 = r.get(0)?;
            let nonce: Option<Vec<u8>> = r.get(1)?;
            let ct: Option<Vec<u8>> = r.get(2)?;
            let plain: Option<String> = r.get(3)?;
            let value = match (nonce, ct, plain) {
                (Some(nonce), Some(ciphertext), _) => StoredValue::Sealed { nonce, ciphertext },
                (_, _, Some(p)) => StoredValue::Plain(Zeroizing::new(p)),
                _ => StoredValue::Sealed {
                    nonce: Vec::new(),
                    ciphertext: Vec::new(),
                },
            };
            Ok((v.max(0) as u64, value))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Store `value` as `version` of `name` (a new row; versions are never overwritten).
    pub fn insert_version(
        &self,
        name: &str,
        version: u64,
        value: &StoredValue,
        now: &str,
    ) -> Result<()> {
        let mut st = self.tx.prepare_cached(
            "INSERT INTO versions(name, version, nonce, ciphertext, plain, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        match value {
            StoredValue::Sealed { nonce, ciphertext } => st.execute(params![
                name,
                version as i64,
                nonce,
                ciphertext,
                None::<String>,
                now
            ])?,
            StoredValue::Plain(p) => st.execute(params![
                name,
                version as i64,
                None::<Vec<u8>>,
                None::<Vec<u8>>,
                p.as_str(),
                now
            ])?,
        };
        Ok(())
    }

    /// Rewrite an existing version in another form (kind change secret <-> variable).
    pub fn replace_version(&self, name: &str, version: u64, value: &StoredValue) -> Result<()> {
        match value {
            StoredValue::Sealed { nonce, ciphertext } => self.tx.execute(
                "UPDATE versions SET nonce = ?3, ciphertext = ?4, plain = NULL WHERE name = ?1 AND version = ?2",
                params![name, version as i64, nonce, ciphertext],
            )?,
            StoredValue::Plain(p) => self.tx.execute(
                "UPDATE versions SET nonce = NULL, ciphertext = NULL, plain = ?3 WHERE name = ?1 AND version = ?2",
                params![name, version as i64, p.as_str()],
            )?,
        };
        Ok(())
    }

    /// Insert or update a secret's metadata row (the value lives in `versions`).
    pub fn upsert_secret(&self, s: &SecretRow) -> Result<()> {
        let mut st = self.tx.prepare_cached(
            "INSERT INTO secrets(name, kind, scope, description, provider, version, created, updated) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
             ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, scope = excluded.scope, \
             description = excluded.description, provider = excluded.provider, version = excluded.version, \
             updated = excluded.updated",
        )?;
        st.execute(params![
            s.name,
            s.kind.as_str(),
            s.scope.as_str(),
            s.description,
            s.provider,
            s.version as i64,
            s.created,
            s.updated
        ])?;
        Ok(())
    }

    /// Delete a secret, its versions, grants and delivery records.
    pub fn delete_secret(&self, name: &str) -> Result<bool> {
        Ok(self
            .tx
            .execute("DELETE FROM secrets WHERE name = ?1", [name])?
            > 0)
    }

    pub fn agent(&self, name: &str) -> Result<Option<AgentRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT name, description, created, last_run FROM agents WHERE name = ?1",
        )?;
        Ok(st
            .query_row([name], |r| {
                Ok(AgentRow {
                    name: r.get(0)?,
                    description: r.get(1)?,
                    created: r.get(2)?,
                    last_run: r.get(3)?,
                })
            })
            .optional()?)
    }

    pub fn agents(&self) -> Result<Vec<AgentRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT name, description, created, last_run FROM agents ORDER BY name",
        )?;
        let rows = st.query_map([], |r| {
            Ok(AgentRow {
                name: r.get(0)?,
                description: r.get(1)?,
                created: r.get(2)?,
                last_run: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Returns false when the agent already exists.
    pub fn create_agent(&self, name: &str, description: &str, now: &str) -> Result<bool> {
        Ok(self.tx.execute(
            "INSERT INTO agents(name, description, created) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO NOTHING",
            params![name, description, now],
        )? > 0)
    }

    /// Delete an agent with its grants and delivery records.
    pub fn delete_agent(&self, name: &str) -> Result<bool> {
        Ok(self
            .tx
            .execute("DELETE FROM agents WHERE name = ?1", [name])?
            > 0)
    }

    /// Agents a secret is granted to.
    pub fn grantees(&self, secret: &str) -> Result<Vec<String>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT agent FROM grants WHERE secret = ?1 ORDER BY agent")?;
        let rows = st.query_map([secret], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// An agent's grants with delivery state.
    pub fn grants(&self, agent: &str) -> Result<Vec<GrantRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT g.secret, s.version, d.version, d.delivered, 0 FROM grants g JOIN secrets s ON s.name = g.secret \
             LEFT JOIN deliveries d ON d.agent = g.agent AND d.secret = g.secret WHERE g.agent = ?1 ORDER BY g.secret",
        )?;
        let rows = st.query_map([agent], grant_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Everything an agent receives (globals and grants) with delivery
    /// state, so a rotated global secret shows as stale too.
    pub fn received(&self, agent: &str) -> Result<Vec<GrantRow>> {
        let mut st = self.tx.prepare_cached(
            "SELECT s.name, s.version, d.version, d.delivered, s.scope = 'global' AND NOT EXISTS \
             (SELECT 1 FROM grants g WHERE g.agent = ?1 AND g.secret = s.name) FROM secrets s \
             LEFT JOIN deliveries d ON d.agent = ?1 AND d.secret = s.name \
             WHERE s.scope = 'global' OR s.name IN (SELECT secret FROM grants WHERE agent = ?1) ORDER BY s.name",
        )?;
        let rows = st.query_map([agent], grant_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Returns false when the grant already existed.
    pub fn grant(&self, agent: &str, secret: &str, now: &str) -> Result<bool> {
        Ok(self.tx.execute(
            "INSERT INTO grants(agent, secret, created) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![agent, secret, now],
        )? > 0)
    }

    /// Returns false when there was no such grant.
    pub fn revoke(&self, agent: &str, secret: &str) -> Result<bool> {
        Ok(self.tx.execute(
            "DELETE FROM grants WHERE agent = ?1 AND secret = ?2",
            params![agent, secret],
        )? > 0)
    }

    /// Every grant in the vault, as (agent, secret), sorted.
    pub fn all_grants(&self) -> Result<Vec<(String, String)>> {
        let mut st = self
            .tx
            .prepare_cached("SELECT agent, secret FROM grants ORDER BY agent, secret")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Record that `agent` received these versions now.
    pub fn record_delivery(&self, agent: &str, delivered: &[(&str, u64)], now: &str) -> Result<()> {
        let mut st = self.tx.prepare_cached(
            "INSERT INTO deliveries(agent, secret, version, delivered) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT(agent, secret) DO UPDATE SET version = excluded.version, delivered = excluded.delivered",
        )?;
        for (name, v) in delivered {
            st.execute(params![agent, name, *v as i64, now])?;
        }
        self.tx.execute(
            "UPDATE agents SET last_run = ?2 WHERE name = ?1",
            params![agent, now],
        )?;
        Ok(())
    }
}
