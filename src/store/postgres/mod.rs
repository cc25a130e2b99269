//! The PostgreSQL engine of the storage interface (`super`), chosen by
//! `VAULT_DATABASE_URL` / `--database-url`. Same records and meaning as the
//! SQLite engine; no postgres type leaves this module.
//!
//! * One vault is one PostgreSQL schema (`vault=NAME` in the URL, default
//!   `vault`), reached through `search_path`, so one database holds several
//!   isolated vaults (`url.rs`).
//! * Writes: READ COMMITTED, and every write transaction first locks the one
//!   row of `policy_head` (`SELECT ... FOR UPDATE`), so writers queue as
//!   under SQLite's `BEGIN IMMEDIATE`; `lock_timeout` = [`BUSY_TIMEOUT`]
//!   ends a wait as [`StoreError::Busy`]. A transaction that fails with a
//!   deadlock (40P01) or serialization failure (40001) is run again, up to
//!   three more times (write closures are re-runnable by contract).
//! * Reads: REPEATABLE READ (one snapshot; a dry run may write in it, and
//!   is rolled back at once). A read that asks for
//!   the policy (meta, slots, agents, every current value, every grant: what
//!   `vault run` needs) gets all of it with its `BEGIN` in one
//!   `simple_query` batch, one round trip; the transaction is ended together
//!   with the next one's first batch (or when the connection closes).
//! * Opening sends that batch at once, and reads the schema and format
//!   versions from its `meta` rows; `read_again` continues that snapshot
//!   (or the last read's) at no cost, `read` takes a new one. So `vault run --agent` is the connection, one read
//!   round trip, and its write: `BEGIN` with the lock, `meta` and the owners'
//!   audit head in one batch, then the delivery, the audit entry, `COMMIT`.
//!
//! Values are `bytea` ciphertext (or plain text for `variable`s): the server
//! never sees a key or a secret's plaintext.

mod schema;
mod tls;
pub mod url;

use std::cell::{Cell, RefCell};

use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, Row, SimpleQueryMessage};
use zeroize::Zeroizing;

use super::{
    AgentKeyRow, AgentRow, AgentWrapRow, Audience, AuditFilter, AuditRow, Backend, ChangeWatch,
    DeliveryRow, MemberRow, NewVault, Records, RosterRow, SecretRow, SlotRow, StatementRow,
    StoreError, StoreResult, StoredValue, Tagged, TaggedRow, Tx, VersionRow, BUSY_TIMEOUT,
};
use crate::error::Error;
use crate::model::{Kind, Scope};

pub use schema::SCHEMA_VERSION;
pub use url::DbUrl;

/// The vault's notification channel (`LISTEN`/`pg_notify`): `vault_` and
/// the OID of its schema, unique per vault in the database (a vault copied
/// with `vault push` keeps its vault id, so the id would not be) and naming
/// nothing. Notifications are visible to every user of the database.
const CHANNEL: &str =
    "'vault_' || (SELECT oid FROM pg_namespace WHERE nspname = current_schema())::text";

/// Sent just before `COMMIT` by a write that changed what runs receive: bumps
/// `policy_head.seq` (locked by every write already) and notifies the
/// vault's channel with the new number as the only payload (no names).
const NOTIFY: &str = concat!(
    "WITH s AS (UPDATE policy_head SET seq = seq + 1 WHERE id = 1 RETURNING seq) ",
    "SELECT pg_notify('vault_' || (SELECT oid FROM pg_namespace WHERE nspname = current_schema())::text, s.seq::text) FROM s"
);

/// How long a watcher waits for a notification before it re-reads anyway:
/// a notification lost with a connection is caught up with then.
const SAFETY_POLL: std::time::Duration = std::time::Duration::from_secs(30);

/// The PostgreSQL change check: a connection of its own that `LISTEN`s on
/// the vault's channel.
struct Listener {
    client: Option<Client>,
    url: DbUrl,
    /// When the last report was made (a change or the safety poll).
    last: std::time::Instant,
}

impl Listener {
    fn listen(url: &DbUrl) -> StoreResult<Client> {
        let mut client = connect(url)?;
        let row = client.query_one(&format!("SELECT {CHANNEL}"), &[])?;
        let channel: Option<String> = row.try_get(0)?;
        let channel = channel.ok_or_else(|| PgStore::not_found(url))?;
        // The channel is `vault_` and digits: nothing to quote.
        client.batch_execute(&format!("LISTEN \"{channel}\""))?;
        Ok(client)
    }
}

impl ChangeWatch for Listener {
    fn wait(&mut self, timeout: std::time::Duration) -> StoreResult<bool> {
        use postgres::fallible_iterator::FallibleIterator;
        let client = match &mut self.client {
            Some(c) => c,
            None => {
                // Reconnected: what was missed meanwhile is unknown.
                self.client = Some(Listener::listen(&self.url)?);
                self.last = std::time::Instant::now();
                return Ok(true);
            }
        };
        let safety = (self.last + SAFETY_POLL).saturating_duration_since(std::time::Instant::now());
        if safety.is_zero() {
            self.last = std::time::Instant::now();
            return Ok(true);
        }
        let waited = {
            let mut n = client.notifications();
            let first = n.timeout_iter(timeout.min(safety)).next();
            if let Ok(Some(_)) = first {
                // Take what else is queued, without waiting.
                let mut rest = n.iter();
                while let Ok(Some(_)) = rest.next() {}
            }
            first.map(|n| n.is_some())
        };
        let got = matches!(waited, Ok(true));
        if let Err(e) = waited {
            self.client = None;
            return Err(StoreError::from(e));
        }
        if client.is_closed() {
            self.client = None;
            return Err(StoreError::Other(
                "the connection to the PostgreSQL server was lost".to_owned(),
            ));
        }
        if got || (self.last + SAFETY_POLL) <= std::time::Instant::now() {
            self.last = std::time::Instant::now();
            return Ok(true);
        }
        Ok(false)
    }
}

/// How many times a write is tried when PostgreSQL aborts it as a deadlock
/// victim or serialization failure.
const WRITE_ATTEMPTS: usize = 4;

pub struct PgStore {
    client: Client,
    url: DbUrl,
    /// A read transaction is still open: the next batch ends it first.
    read_open: bool,
    /// What the open read transaction prefetched, for a read that continues it.
    snapshot: Option<Prefetch>,
    /// The open read transaction was begun by `open` (no read ran since).
    opened: bool,
    /// The open read transaction is usable by `read_again` (no statement failed in it).
    continuable: bool,
    /// Commits need not wait for the server's disk (`relax_durability`).
    relaxed: Cell<bool>,
}

/// One delivery record as stored.
pub struct DumpedDelivery {
    pub agent: String,
    /// The environment the agent ran in.
    pub env: String,
    pub secret: String,
    /// The environment of the row it received.
    pub source: String,
    pub version: u64,
    pub delivered: String,
}

/// Everything a whole-vault copy needs, table by table (`vault push`).
#[derive(Default)]
pub struct Dump {
    /// meta (key, value as bytes; integers as decimal text).
    pub meta: Vec<(String, Vec<u8>)>,
    pub slots: Vec<SlotRow>,
    pub secrets: Vec<SecretRow>,
    /// (env, name, version, created, value)
    pub versions: Vec<(String, String, u64, String, StoredValue)>,
    pub agents: Vec<AgentRow>,
    /// (agent, secret, created)
    pub grants: Vec<(String, String, String)>,
    pub deliveries: Vec<DumpedDelivery>,
    /// The audit trail, every chain, as stored (its links and signatures
    /// cover the vault id, which the copy keeps).
    pub audit: Vec<AuditRow>,
    /// Format 2's row tags (docs/FORMAT.md §19), as stored, keyed as
    /// `Records::set_row_tag` keys them; untagged rows are not listed.
    pub tags: Vec<(Tagged, String, String, Vec<u8>)>,
    /// Agent keys (schema 5): (agent, id).
    pub agent_ids: Vec<(String, u64)>,
    /// Every registration, every epoch.
    pub agent_keys: Vec<AgentKeyRow>,
    /// (agent_id, epoch, recipient, wrap)
    pub keyring_wraps: Vec<(u64, u64, u64, Vec<u8>)>,
    pub agent_wraps: Vec<AgentWrapRow>,
    pub statements: Vec<StatementRow>,
}

fn unreachable(url: &DbUrl, e: &postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let c = db.code();
        if *c == SqlState::INVALID_AUTHORIZATION_SPECIFICATION || *c == SqlState::INVALID_PASSWORD {
            // A login refused: a member removed (their role dropped), or a
            // password or identity that is not the one registered.
            return StoreError::Refused(
                Error::locked(format!(
                    "permission denied: the PostgreSQL server at {} refused the login: {}",
                    url.server(),
                    db.message()
                ))
                .hint("if you were removed from the vault, ask an owner to add you again; else check the user in VAULT_DATABASE_URL / --database-url and your identity under members/"),
            );
        }
    }
    // The driver's text names the failure (refused, timed out, auth), never
    // the password; its first line is enough.
    let detail = match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => e.to_string().lines().next().unwrap_or("").to_owned(),
    };
    StoreError::Refused(
        Error::other(format!(
            "cannot connect to the PostgreSQL server at {}: {detail}",
            url.server()
        ))
        .hint("check that the server is running and reachable, and VAULT_DATABASE_URL / --database-url (host, port, user, sslmode)"),
    )
}

fn connect(url: &DbUrl) -> StoreResult<Client> {
    let mut cfg = url.config.clone();
    let mut options = cfg.get_options().unwrap_or("").to_owned();
    options.push_str(&format!(
        " -c search_path={} -c lock_timeout={}",
        url.vault,
        BUSY_TIMEOUT.as_millis()
    ));
    cfg.options(options.trim_start());
    if cfg.get_application_name().is_none() {
        cfg.application_name("vault");
    }
    if cfg.get_connect_timeout().is_none() {
        cfg.connect_timeout(BUSY_TIMEOUT);
    }
    use url::SslMode;
    let conn = match url.sslmode {
        SslMode::Disable => {
            cfg.ssl_mode(postgres::config::SslMode::Disable);
            cfg.connect(postgres::NoTls)
        }
        mode => {
            cfg.ssl_mode(if mode == SslMode::Prefer {
                postgres::config::SslMode::Prefer
            } else {
                postgres::config::SslMode::Require
            });
            let tls = tls::MakeRustls::new(tls::client_config(url)?);
            cfg.connect(tls)
        }
    };
    conn.map_err(|e| unreachable(url, &e))
}

fn code(e: &postgres::Error) -> Option<&SqlState> {
    e.code()
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        if let Some(db) = e.as_db_error() {
            let c = db.code();
            return if *c == SqlState::LOCK_NOT_AVAILABLE || *c == SqlState::QUERY_CANCELED {
                StoreError::Busy
            } else if *c == SqlState::DISK_FULL {
                StoreError::DiskFull
            } else if *c == SqlState::READ_ONLY_SQL_TRANSACTION {
                StoreError::ReadOnly
            } else if *c == SqlState::DATA_CORRUPTED || *c == SqlState::INDEX_CORRUPTED {
                StoreError::Corrupt
            } else if *c == SqlState::INSUFFICIENT_PRIVILEGE {
                // Row-level security or a missing GRANT: vault's own
                // pre-check should have said so first.
                StoreError::Refused(
                    Error::locked(format!(
                        "permission denied by the PostgreSQL server: {}",
                        db.message()
                    ))
                    .hint("run `vault whoami` to see your rights on this vault; an owner can change them with `vault member add`"),
                )
            } else {
                // The primary message only: DETAIL can quote a row.
                StoreError::Other(format!("{} (SQLSTATE {})", db.message(), c.code()))
            };
        }
        if e.is_closed() {
            return StoreError::Other(
                "the connection to the PostgreSQL server was lost; the transaction did not complete"
                    .to_owned(),
            );
        }
        StoreError::Other(e.to_string().lines().next().unwrap_or("").to_owned())
    }
}

/// The simple-query results, one `Vec` of rows per statement.
fn result_sets(msgs: Vec<SimpleQueryMessage>) -> Vec<Vec<postgres::SimpleQueryRow>> {
    let mut sets = Vec::new();
    let mut cur = Vec::new();
    for m in msgs {
        match m {
            SimpleQueryMessage::Row(r) => cur.push(r),
            SimpleQueryMessage::CommandComplete(_) => sets.push(std::mem::take(&mut cur)),
            _ => {}
        }
    }
    sets
}

/// `bytea` in text form (`\x` + hex), as the simple query protocol sends it.
fn bytea(s: Option<&str>) -> StoreResult<Option<Vec<u8>>> {
    let Some(s) = s else { return Ok(None) };
    let hex = s
        .strip_prefix("\\x")
        .ok_or_else(|| StoreError::Other("unexpected bytea encoding".to_owned()))?;
    let b = hex.as_bytes();
    if b.len() % 2 != 0 {
        return Err(StoreError::Other("unexpected bytea encoding".to_owned()));
    }
    let nib = |c: u8| -> StoreResult<u8> {
        (c as char)
            .to_digit(16)
            .map(|d| d as u8)
            .ok_or_else(|| StoreError::Other("unexpected bytea encoding".to_owned()))
    };
    b.chunks(2)
        .map(|p| Ok(nib(p[0])? << 4 | nib(p[1])?))
        .collect::<StoreResult<Vec<u8>>>()
        .map(Some)
}

fn text(r: &postgres::SimpleQueryRow, i: usize) -> StoreResult<Option<String>> {
    Ok(r.try_get(i)?.map(str::to_owned))
}

fn text_req(r: &postgres::SimpleQueryRow, i: usize) -> StoreResult<String> {
    text(r, i)?.ok_or_else(|| StoreError::Damaged("a required column is NULL".to_owned()))
}

fn int(r: &postgres::SimpleQueryRow, i: usize) -> StoreResult<i64> {
    text_req(r, i)?
        .parse()
        .map_err(|_| StoreError::Other("unexpected integer encoding".to_owned()))
}

fn parse_kind(s: &str) -> StoreResult<Kind> {
    Kind::parse(s)
        .ok_or_else(|| StoreError::Damaged(format!("unknown kind {s:?} in the secrets table")))
}

fn parse_scope(s: &str) -> StoreResult<Scope> {
    Scope::parse(s)
        .ok_or_else(|| StoreError::Damaged(format!("unknown scope {s:?} in the secrets table")))
}

/// A value from its stored columns; neither form reads as an empty sealed
/// value, which fails to open (exit 6), as on SQLite.
fn stored_value(nonce: Option<Vec<u8>>, ct: Option<Vec<u8>>, plain: Option<String>) -> StoredValue {
    match (nonce, ct, plain) {
        (Some(nonce), Some(ciphertext), _) => StoredValue::Sealed { nonce, ciphertext },
        (_, _, Some(p)) => StoredValue::Plain(Zeroizing::new(p)),
        _ => StoredValue::Sealed {
            nonce: Vec::new(),
            ciphertext: Vec::new(),
        },
    }
}

/// Columns of a secret row: name, kind, scope, description, provider,
/// version, created, updated, nonce, ciphertext, plain, env.
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

const POLICY_ROWS: &str = "SELECT s.name, s.kind, s.scope, '', s.provider, s.version, '', '', v.nonce, v.ciphertext, v.plain, s.env, s.tag \
     FROM secrets s LEFT JOIN versions v ON v.env = s.env AND v.name = s.name AND v.version = s.version \
     ORDER BY s.name COLLATE \"C\", s.env COLLATE \"C\"";
const SLOTS: &str = "SELECT id, kind, kdf, salt, nonce, wrapped, key_check FROM slots ORDER BY id";
const AGENTS: &str =
    "SELECT name, description, created, last_run, env, tag FROM agents ORDER BY name COLLATE \"C\"";
const ALL_GRANTS: &str =
    "SELECT agent, secret, tag FROM grants ORDER BY agent COLLATE \"C\", secret COLLATE \"C\"";

fn secret_from_row(r: &Row) -> StoreResult<SecretRow> {
    let version: i64 = r.try_get(5)?;
    Ok(SecretRow {
        env: r.try_get(11)?,
        name: r.try_get(0)?,
        kind: parse_kind(r.try_get(1)?)?,
        scope: parse_scope(r.try_get(2)?)?,
        description: r.try_get(3)?,
        provider: r.try_get(4)?,
        version: version.max(0) as u64,
        created: r.try_get(6)?,
        updated: r.try_get(7)?,
        value: stored_value(r.try_get(8)?, r.try_get(9)?, r.try_get(10)?),
    })
}

fn secret_from_text(r: &postgres::SimpleQueryRow) -> StoreResult<SecretRow> {
    Ok(SecretRow {
        env: text_req(r, 11)?,
        name: text_req(r, 0)?,
        kind: parse_kind(&text_req(r, 1)?)?,
        scope: parse_scope(&text_req(r, 2)?)?,
        description: text_req(r, 3)?,
        provider: text(r, 4)?,
        version: int(r, 5)?.max(0) as u64,
        created: text_req(r, 6)?,
        updated: text_req(r, 7)?,
        value: stored_value(bytea(r.try_get(8)?)?, bytea(r.try_get(9)?)?, text(r, 10)?),
    })
}

fn agent_from_row(r: &Row) -> StoreResult<AgentRow> {
    Ok(AgentRow {
        name: r.try_get(0)?,
        description: r.try_get(1)?,
        created: r.try_get(2)?,
        last_run: r.try_get(3)?,
        env: r.try_get(4)?,
    })
}

fn slot_from_row(r: &Row) -> StoreResult<SlotRow> {
    Ok(SlotRow {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        kdf: r.try_get(2)?,
        salt: r.try_get(3)?,
        nonce: r.try_get(4)?,
        wrapped: r.try_get(5)?,
        check: r.try_get(6)?,
    })
}

/// What a read transaction fetched with its `BEGIN`.
struct Prefetch {
    meta: Vec<(String, Vec<u8>)>,
    slots: Vec<SlotRow>,
    agents: Vec<AgentRow>,
    policy_rows: Vec<SecretRow>,
    grants: Vec<(String, String)>,
    /// Format 2's row tags of the rows above (docs/FORMAT.md §19), keyed
    /// as `Records::row_tags` returns them.
    secret_tags: Vec<TaggedRow>,
    agent_tags: Vec<TaggedRow>,
    grant_tags: Vec<TaggedRow>,
}

/// The statement that begins a read transaction, ending an earlier one.
fn begin_read(end_previous: bool) -> &'static str {
    if end_previous {
        "ROLLBACK; BEGIN ISOLATION LEVEL REPEATABLE READ"
    } else {
        "BEGIN ISOLATION LEVEL REPEATABLE READ"
    }
}

/// The statement that begins a read transaction (ending an earlier one)
/// and fetches the policy and everything `vault run` reads: one round trip.
fn prefetch_batch(end_previous: bool) -> String {
    format!(
        "{}; SELECT key, value FROM meta; {SLOTS}; {AGENTS}; {POLICY_ROWS}; {ALL_GRANTS}",
        begin_read(end_previous)
    )
}

/// The reply to [`prefetch_batch`].
fn parse_prefetch(msgs: Vec<SimpleQueryMessage>) -> StoreResult<Prefetch> {
    let mut sets = result_sets(msgs)
        .into_iter()
        .rev()
        .take(5)
        .collect::<Vec<_>>();
    let (Some(meta), Some(slots), Some(agents), Some(rows), Some(grants)) =
        (sets.pop(), sets.pop(), sets.pop(), sets.pop(), sets.pop())
    else {
        return Err(StoreError::Other("unexpected reply to a batch".to_owned()));
    };
    let secret_tags = rows
        .iter()
        .map(|r| Ok((text_req(r, 11)?, text_req(r, 0)?, bytea(r.try_get(12)?)?)))
        .collect::<StoreResult<_>>()?;
    let agent_tags = agents
        .iter()
        .map(|r| Ok((text_req(r, 0)?, text_req(r, 4)?, bytea(r.try_get(5)?)?)))
        .collect::<StoreResult<_>>()?;
    let grant_tags = grants
        .iter()
        .map(|r| Ok((text_req(r, 0)?, text_req(r, 1)?, bytea(r.try_get(2)?)?)))
        .collect::<StoreResult<_>>()?;
    Ok(Prefetch {
        secret_tags,
        agent_tags,
        grant_tags,
        meta: meta
            .iter()
            .map(|r| Ok((text_req(r, 0)?, bytea(r.try_get(1)?)?.unwrap_or_default())))
            .collect::<StoreResult<_>>()?,
        slots: slots
            .iter()
            .map(|r| {
                Ok(SlotRow {
                    id: int(r, 0)?,
                    kind: text_req(r, 1)?,
                    kdf: text(r, 2)?,
                    salt: bytea(r.try_get(3)?)?,
                    nonce: bytea(r.try_get(4)?)?.unwrap_or_default(),
                    wrapped: bytea(r.try_get(5)?)?.unwrap_or_default(),
                    check: bytea(r.try_get(6)?)?.unwrap_or_default(),
                })
            })
            .collect::<StoreResult<_>>()?,
        agents: agents
            .iter()
            .map(|r| {
                Ok(AgentRow {
                    name: text_req(r, 0)?,
                    description: text_req(r, 1)?,
                    created: text_req(r, 2)?,
                    last_run: text(r, 3)?,
                    env: text_req(r, 4)?,
                })
            })
            .collect::<StoreResult<_>>()?,
        policy_rows: rows
            .iter()
            .map(secret_from_text)
            .collect::<StoreResult<_>>()?,
        grants: grants
            .iter()
            .map(|r| Ok((text_req(r, 0)?, text_req(r, 1)?)))
            .collect::<StoreResult<_>>()?,
    })
}

/// One transaction.
struct PgTx<'a> {
    client: RefCell<&'a mut Client>,
    /// `BEGIN` is sent with the first query (reads only).
    begun: Cell<bool>,
    /// A read transaction left open by an earlier `read` must be ended first.
    end_previous: Cell<bool>,
    prefetch: RefCell<Option<Prefetch>>,
    /// The SQLSTATE of the last failed statement, to decide on a retry.
    failed: RefCell<Option<SqlState>>,
    /// A statement changed rows (a dry run inside `read`): its row locks
    /// must go at once, so that read is rolled back right away.
    wrote: Cell<bool>,
    /// A write's `meta`, read with its lock: no other writer can change it
    /// while the lock is held, and `set_meta` keeps it current.
    locked_meta: RefCell<Option<MetaRows>>,
    /// A write's head of the owners' chain ([`OWNER_CHAIN`]), read with its
    /// lock and kept current by `append_audit`.
    owner_head: RefCell<Option<Option<AuditHead>>>,
    /// A write's statements whose outcome the caller does not need (the
    /// delivery record, the audit entry): sent in one batch with the next
    /// statement that returns something, or with `COMMIT`.
    deferred: RefCell<Option<Vec<String>>>,
    /// A value, grant, agent, slot or the policy changed (not just a
    /// delivery record or an audit entry): watchers are notified on commit.
    policy_changed: Cell<bool>,
}

/// `meta` as (key, value) pairs.
type MetaRows = Vec<(String, Vec<u8>)>;
/// A chain's last entry: (seq, hash).
type AuditHead = (u64, Vec<u8>);

/// The audit chain every audited write appends to (the owners'): its head
/// is read with a write's lock, in the same round trip.
const OWNER_CHAIN: u64 = 0;

impl<'a> PgTx<'a> {
    fn new(client: &'a mut Client, begun: bool, end_previous: bool) -> PgTx<'a> {
        PgTx {
            client: RefCell::new(client),
            begun: Cell::new(begun),
            end_previous: Cell::new(end_previous),
            prefetch: RefCell::new(None),
            failed: RefCell::new(None),
            wrote: Cell::new(false),
            locked_meta: RefCell::new(None),
            owner_head: RefCell::new(None),
            deferred: RefCell::new(None),
            policy_changed: Cell::new(false),
        }
    }
}

// Hex digits are the only text of a value [`later`] puts in SQL.
use crate::hex::encode as hex;

/// A `bytea` literal: hex digits only, whatever `standard_conforming_strings` says.
fn lit_bytes(b: &[u8]) -> String {
    format!("decode('{}', 'hex')", hex(b))
}

/// A `text` literal, as hex digits: no quoting of what the text holds.
fn lit_text(s: &str) -> String {
    format!("convert_from({}, 'UTF8')", lit_bytes(s.as_bytes()))
}

type Param<'p> = (&'p (dyn ToSql + Sync), Type);

impl PgTx<'_> {
    fn note<T>(&self, r: Result<T, postgres::Error>) -> StoreResult<T> {
        r.map_err(|e| {
            if let Some(c) = code(&e) {
                *self.failed.borrow_mut() = Some(c.clone());
            }
            StoreError::from(e)
        })
    }

    /// Send the pending `BEGIN` alone (a query that is not prefetched came first).
    fn ensure_begun(&self) -> StoreResult<()> {
        if !self.begun.get() {
            let sql = begin_read(self.end_previous.get());
            let r = self.client.borrow_mut().batch_execute(sql);
            self.note(r)?;
            self.begun.set(true);
        }
        Ok(())
    }

    /// Send the deferred statements now (a statement that returns something comes next).
    fn flush(&self) -> StoreResult<()> {
        let pending = match self.deferred.borrow_mut().as_mut() {
            Some(d) if !d.is_empty() => std::mem::take(d).join("; "),
            _ => return Ok(()),
        };
        let r = self.client.borrow_mut().batch_execute(&pending);
        self.note(r)
    }

    /// Run a statement built by [`later`]'s rules (integers, and values as
    /// hex literals only): deferred in a write, at once in a read (a dry run).
    fn later(&self, sql: String) -> StoreResult<()> {
        if let Some(d) = self.deferred.borrow_mut().as_mut() {
            d.push(sql);
            return Ok(());
        }
        self.ensure_begun()?;
        self.wrote.set(true);
        let r = self.client.borrow_mut().batch_execute(&sql);
        self.note(r)
    }

    /// One round trip, parameters typed up front (no separate prepare).
    fn q(&self, sql: &str, params: &[Param<'_>]) -> StoreResult<Vec<Row>> {
        self.flush()?;
        self.ensure_begun()?;
        let r = self.client.borrow_mut().query_typed(sql, params);
        self.note(r)
    }

    fn exec(&self, sql: &str, params: &[Param<'_>]) -> StoreResult<u64> {
        self.flush()?;
        self.ensure_begun()?;
        self.wrote.set(true);
        let stmt = sql;
        let r = self
            .client
            .borrow_mut()
            .query_typed_raw(stmt, params.iter().map(|(v, t)| (*v, t.clone())))
            .and_then(|mut it| {
                use postgres::fallible_iterator::FallibleIterator;
                while it.next()?.is_some() {}
                Ok(it.rows_affected().unwrap_or(0))
            });
        self.note(r)
    }

    /// The policy and everything `vault run` reads, with the `BEGIN`: one
    /// round trip. `None` when the transaction had already begun.
    fn with_prefetch<T>(&self, f: impl FnOnce(&Prefetch) -> T) -> StoreResult<Option<T>> {
        if let Some(p) = self.prefetch.borrow().as_ref() {
            return Ok(Some(f(p)));
        }
        if self.begun.get() {
            return Ok(None);
        }
        let r = self
            .client
            .borrow_mut()
            .simple_query(&prefetch_batch(self.end_previous.get()));
        let msgs = self.note(r)?;
        self.begun.set(true);
        let p = parse_prefetch(msgs)?;
        let out = f(&p);
        *self.prefetch.borrow_mut() = Some(p);
        Ok(Some(out))
    }
}

fn is_retryable(c: &Option<SqlState>) -> bool {
    matches!(c, Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE)
}

impl PgStore {
    fn not_found(url: &DbUrl) -> StoreError {
        StoreError::Refused(
            Error::not_found(format!("no {}", url.shown())).hint(
                "create it with `vault init --database-url URL`, or copy a local vault there with `vault push --database-url URL`; vault=NAME in the URL picks one of several vaults",
            ),
        )
    }

    /// Open an existing vault, migrating its schema if it is older; a vault
    /// of a newer schema or format is refused before anything is written.
    ///
    /// The first read's snapshot begins here, with everything a run reads,
    /// and the versions come from its `meta` rows: one round trip. When that
    /// batch fails (no vault there, an older schema the batch does not fit,
    /// damage), the versions are asked for alone, to say what is wrong.
    pub fn open(url: &DbUrl, max_format: u32) -> StoreResult<PgStore> {
        let mut client = connect(url)?;
        let snapshot = match client.simple_query(&prefetch_batch(false)) {
            Ok(msgs) => parse_prefetch(msgs).ok(),
            Err(_) => None,
        };
        let versions = match &snapshot {
            Some(p) => Ok(versions_from(
                p.meta
                    .iter()
                    .filter(|(k, _)| matches!(k.as_str(), "schema" | "format" | "reader"))
                    .cloned()
                    .collect(),
            )),
            None => {
                client.batch_execute("ROLLBACK")?;
                read_versions(&mut client)
            }
        };
        let (schema, format, reader) = match versions {
            Ok(v) => v,
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => {
                // PostgreSQL skips a schema of the search path that the role
                // may not use: a vault there looks absent. Say which it is.
                let denied = client
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) \
                         AND NOT has_schema_privilege($1, 'USAGE')",
                        &[&url.vault],
                    )
                    .and_then(|r| r.try_get::<_, bool>(0))
                    .unwrap_or(false);
                if denied {
                    return Err(StoreError::Refused(
                        Error::locked(format!(
                            "permission denied: your PostgreSQL role may not use the {}",
                            url.shown()
                        ))
                        .hint("check vault=NAME and the user in the URL; an owner of that vault adds members with `vault member add`"),
                    ));
                }
                return Err(PgStore::not_found(url));
            }
            Err(e) => return Err(e.into()),
        };
        let schema = schema.ok_or_else(|| {
            StoreError::Damaged(format!("the {} has no schema version", url.shown()))
        })?;
        if schema > SCHEMA_VERSION as i64 {
            return Err(Error::other(format!(
                "the {} was written by a newer vault (schema {schema}; this vault understands up to {SCHEMA_VERSION})",
                url.shown()
            ))
            .hint("upgrade vault; nothing was changed")
            .into());
        }
        check_format(url, format, reader, max_format)?;
        let begun = snapshot.is_some();
        let mut store = PgStore {
            client,
            url: url.clone(),
            read_open: begun,
            snapshot,
            opened: begun,
            continuable: false,
            relaxed: Cell::new(false),
        };
        if schema < SCHEMA_VERSION as i64 {
            store.end_read()?;
            let mut tx = store.client.transaction()?;
            lock_vault(&mut tx, &url.vault)?;
            let (now, _, _) = read_versions_tx(&mut tx)?;
            migrate(&mut tx, now.unwrap_or(0).max(0) as usize)?;
            tx.commit()?;
        }
        Ok(store)
    }

    /// Create the vault (its schema, tables and first rows) in one
    /// transaction. `Ok(None)` when a vault already exists there.
    pub fn create(
        url: &DbUrl,
        init: &NewVault<'_>,
        first_slot: &SlotRow,
    ) -> StoreResult<Option<PgStore>> {
        let mut meta: Vec<(String, Vec<u8>)> = vec![
            ("vault_id".into(), init.vault_id.to_vec()),
            ("created".into(), init.created.as_bytes().to_vec()),
            ("format".into(), init.format.to_string().into_bytes()),
            ("policy_tag".into(), init.policy_tag.to_vec()),
        ];
        meta.extend(
            init.extra_meta
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.to_vec())),
        );
        let dump = Dump {
            meta,
            slots: vec![first_slot.clone()],
            ..Dump::default()
        };
        PgStore::load(url, &dump, false)
    }

    /// Create the vault from a complete copy of another one (`vault push`):
    /// every row as is, slot ids kept. `Ok(None)` if a vault exists there.
    pub fn create_from(url: &DbUrl, dump: &Dump) -> StoreResult<Option<PgStore>> {
        PgStore::load(url, dump, true)
    }

    fn load(url: &DbUrl, d: &Dump, keep_slot_ids: bool) -> StoreResult<Option<PgStore>> {
        let mut client = connect(url)?;
        let mut tx = client.transaction()?;
        lock_vault(&mut tx, &url.vault)?;
        let exists: bool = tx
            .query_one(
                "SELECT to_regclass(format('%I.meta', $1::text)) IS NOT NULL",
                &[&url.vault],
            )?
            .try_get(0)?;
        if exists {
            return Ok(None);
        }
        tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {}", url.vault))?;
        migrate(&mut tx, 0)?;
        for (k, v) in &d.meta {
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[k, v],
            )?;
        }
        for s in &d.slots {
            if keep_slot_ids {
                tx.execute(
                    "INSERT INTO slots(id, kind, kdf, salt, nonce, wrapped, key_check) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[&s.id, &s.kind, &s.kdf, &s.salt, &s.nonce, &s.wrapped, &s.check],
                )?;
            } else {
                tx.execute(
                    "INSERT INTO slots(kind, kdf, salt, nonce, wrapped, key_check) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[&s.kind, &s.kdf, &s.salt, &s.nonce, &s.wrapped, &s.check],
                )?;
            }
        }
        if keep_slot_ids && !d.slots.is_empty() {
            tx.batch_execute(
                "SELECT setval(pg_get_serial_sequence('slots', 'id'), (SELECT max(id) FROM slots))",
            )?;
        }
        for s in &d.secrets {
            let v = s.version as i64;
            tx.execute(
                "INSERT INTO secrets(name, kind, scope, description, provider, version, created, updated, env) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[&s.name, &s.kind.as_str(), &s.scope.as_str(), &s.description, &s.provider, &v, &s.created, &s.updated, &s.env],
            )?;
        }
        for (env, name, version, created, value) in &d.versions {
            let v = *version as i64;
            let (nonce, ct, plain) = value_columns(value);
            tx.execute(
                "INSERT INTO versions(name, version, nonce, ciphertext, plain, created, env) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[name, &v, &nonce, &ct, &plain, created, env],
            )?;
        }
        for a in &d.agents {
            tx.execute(
                "INSERT INTO agents(name, description, created, last_run, env) VALUES ($1, $2, $3, $4, $5)",
                &[&a.name, &a.description, &a.created, &a.last_run, &a.env],
            )?;
        }
        for (a, s, c) in &d.grants {
            tx.execute(
                "INSERT INTO grants(agent, secret, created) VALUES ($1, $2, $3)",
                &[a, s, c],
            )?;
        }
        for x in &d.deliveries {
            let v = x.version as i64;
            tx.execute(
                "INSERT INTO deliveries(agent, env, secret, source, version, delivered) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&x.agent, &x.env, &x.secret, &x.source, &v, &x.delivered],
            )?;
        }
        for (table, a, b, tag) in &d.tags {
            match table {
                Tagged::Secrets => tx.execute(
                    "UPDATE secrets SET tag = $3 WHERE env = $1 AND name = $2",
                    &[a, b, tag],
                )?,
                Tagged::Grants => tx.execute(
                    "UPDATE grants SET tag = $3 WHERE agent = $1 AND secret = $2",
                    &[a, b, tag],
                )?,
                Tagged::Agents => {
                    tx.execute("UPDATE agents SET tag = $2 WHERE name = $1", &[a, tag])?
                }
            };
        }
        for e in &d.audit {
            let (chain, seq) = (e.chain as i64, e.seq as i64);
            tx.execute(
                "INSERT INTO audit(chain, seq, at, action, subject, host, prev, hash, sig) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[&chain, &seq, &e.at, &e.action, &e.subject, &e.host, &e.prev, &e.hash, &e.sig],
            )?;
        }
        for (agent, id) in &d.agent_ids {
            let id = *id as i64;
            tx.execute(
                "INSERT INTO agent_ids(agent, id) VALUES ($1, $2)",
                &[agent, &id],
            )?;
        }
        for k in &d.agent_keys {
            let (id, epoch, expires) = (k.agent_id as i64, k.epoch as i64, k.expires as i64);
            tx.execute(
                "INSERT INTO agent_keys(agent_id, epoch, kem_pk, sign_pk, created, expires, revoked, made) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[&id, &epoch, &k.kem_pk, &k.sign_pk, &k.created, &expires, &k.revoked, &k.made],
            )?;
        }
        for (a, e, r, w) in &d.keyring_wraps {
            let (a, e, r) = (*a as i64, *e as i64, *r as i64);
            tx.execute(
                "INSERT INTO keyring_wraps(agent_id, epoch, recipient, wrap) VALUES ($1, $2, $3, $4)",
                &[&a, &e, &r, w],
            )?;
        }
        for w in &d.agent_wraps {
            let (a, e, v) = (w.agent_id as i64, w.epoch as i64, w.version as i64);
            tx.execute(
                "INSERT INTO agent_wraps(agent_id, epoch, env, name, version, wrap) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&a, &e, &w.env, &w.name, &v, &w.wrap],
            )?;
        }
        for st in &d.statements {
            let (a, p, g) = (st.agent_id as i64, st.policy_seq as i64, st.signer as i64);
            tx.execute(
                "INSERT INTO statements(agent_id, policy_seq, signer, bytes, sig) VALUES ($1, $2, $3, $4, $5)",
                &[&a, &p, &g, &st.bytes, &st.sig],
            )?;
        }
        tx.commit()?;
        Ok(Some(PgStore {
            client,
            url: url.clone(),
            read_open: false,
            snapshot: None,
            opened: false,
            continuable: false,
            relaxed: Cell::new(false),
        }))
    }

    /// Where this store is, for messages (no password).
    pub fn shown(&self) -> String {
        self.url.shown()
    }

    /// The open read transaction is no longer to be continued.
    fn forget_read(&mut self) {
        self.read_open = false;
        self.snapshot = None;
        self.opened = false;
        self.continuable = false;
    }

    /// One read: on the open read transaction when `continued` (and its
    /// prefetched rows), else on a new snapshot.
    fn read_in<T>(
        &mut self,
        continued: bool,
        f: impl FnOnce(&Tx<'_>) -> crate::error::Result<T>,
    ) -> crate::error::Result<T> {
        let continued = continued && self.read_open;
        let prefetch = self.snapshot.take();
        let tx = PgTx::new(&mut self.client, continued, !continued && self.read_open);
        if continued {
            *tx.prefetch.borrow_mut() = prefetch;
        }
        let out = f(&tx);
        let (begun, wrote) = (tx.begun.get(), tx.wrote.get());
        let failed = tx.failed.borrow().is_some();
        let prefetch = tx.prefetch.into_inner();
        self.opened = false;
        if wrote {
            self.client
                .batch_execute("ROLLBACK")
                .map_err(StoreError::from)?;
            self.forget_read();
        } else if begun {
            // Ended with the next transaction's first batch: a snapshot
            // that changed nothing has nothing to undo, and the round trip
            // is saved.
            self.read_open = true;
            self.snapshot = prefetch;
            self.continuable = !failed;
        }
        out
    }
}

fn value_columns(v: &StoredValue) -> (Option<&[u8]>, Option<&[u8]>, Option<&str>) {
    match v {
        StoredValue::Sealed { nonce, ciphertext } => (Some(nonce), Some(ciphertext), None),
        StoredValue::Plain(p) => (None, None, Some(p.as_str())),
    }
}

/// Serialize schema changes and creation of one vault across clients.
fn lock_vault(tx: &mut postgres::Transaction<'_>, vault: &str) -> StoreResult<()> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('vault schema ' || $1::text))",
        &[&vault],
    )?;
    Ok(())
}

type Versions = (Option<i64>, Option<i64>, Option<String>);

const VERSIONS_SQL: &str =
    "SELECT key, value FROM meta WHERE key IN ('schema', 'format', 'reader')";

fn versions_from(rows: Vec<(String, Vec<u8>)>) -> Versions {
    let mut out: Versions = (None, None, None);
    for (k, v) in rows {
        let t = String::from_utf8_lossy(&v).trim().to_owned();
        match k.as_str() {
            "schema" => out.0 = Some(t.parse().unwrap_or(-1)),
            "format" => out.1 = Some(t.parse().unwrap_or(-1)),
            "reader" => out.2 = Some(t),
            _ => {}
        }
    }
    out
}

/// One round trip (simple protocol).
fn read_versions(client: &mut Client) -> Result<Versions, postgres::Error> {
    let msgs = client.simple_query(VERSIONS_SQL)?;
    let mut rows = Vec::new();
    for m in msgs {
        if let SimpleQueryMessage::Row(r) = m {
            let k = r.try_get(0)?.unwrap_or("").to_owned();
            let v = bytea(r.try_get(1)?).ok().flatten().unwrap_or_default();
            rows.push((k, v));
        }
    }
    Ok(versions_from(rows))
}

fn read_versions_tx(tx: &mut postgres::Transaction<'_>) -> StoreResult<Versions> {
    let rows = tx
        .query(VERSIONS_SQL, &[])?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<StoreResult<Vec<(String, Vec<u8>)>>>()?;
    Ok(versions_from(rows))
}

fn migrate(tx: &mut postgres::Transaction<'_>, from: usize) -> StoreResult<()> {
    for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(from) {
        tx.batch_execute(sql)?;
        let v = (i + 1).to_string().into_bytes();
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('schema', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&v],
        )?;
    }
    Ok(())
}

fn check_format(
    url: &DbUrl,
    format: Option<i64>,
    reader: Option<String>,
    max_format: u32,
) -> StoreResult<()> {
    super::check_format(&format!("the {}", url.shown()), format, reader, max_format)
}

/// The `meta` rows and owners' audit head a write reads with its lock.
fn locked_rows(msgs: Vec<SimpleQueryMessage>) -> StoreResult<(MetaRows, Option<AuditHead>)> {
    let mut sets = result_sets(msgs);
    let (Some(head), Some(meta)) = (sets.pop(), sets.pop()) else {
        return Err(StoreError::Other("unexpected reply to a batch".to_owned()));
    };
    let meta = meta
        .iter()
        .map(|r| Ok((text_req(r, 0)?, bytea(r.try_get(1)?)?.unwrap_or_default())))
        .collect::<StoreResult<_>>()?;
    let head = match head.first() {
        Some(r) => Some((
            int(r, 0)?.max(0) as u64,
            bytea(r.try_get(1)?)?.unwrap_or_default(),
        )),
        None => None,
    };
    Ok((meta, head))
}

impl Backend for PgStore {
    /// `synchronous_commit = off` for the following write transactions: a
    /// server crash may lose the last delivery records, never corrupt
    /// anything (SQLite's `synchronous = NORMAL` for the same records).
    fn relax_durability(&self) -> StoreResult<()> {
        self.relaxed.set(true);
        Ok(())
    }

    /// Ends the open read transaction now (before a migration's own, or a
    /// watch's `LISTEN`, which PostgreSQL applies only outside one).
    fn end_read(&mut self) -> StoreResult<()> {
        if self.read_open {
            self.client.batch_execute("ROLLBACK")?;
        }
        self.forget_read();
        Ok(())
    }

    /// `LISTEN` on the vault's channel on a connection of its own; writes
    /// that change values, grants or agents notify it when they commit.
    fn watch(&self) -> StoreResult<Box<dyn ChangeWatch>> {
        Ok(Box::new(Listener {
            client: Some(Listener::listen(&self.url)?),
            url: self.url.clone(),
            last: std::time::Instant::now(),
        }))
    }

    fn read<T>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> crate::error::Result<T>,
    ) -> crate::error::Result<T> {
        self.read_in(false, f)
    }

    /// Continues the snapshot `open` began (with its prefetched rows) or
    /// the last read's, unless something was written or failed since.
    fn read_again<T>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> crate::error::Result<T>,
    ) -> crate::error::Result<T> {
        self.read_in(self.opened || self.continuable, f)
    }

    fn write<T>(
        &mut self,
        mut f: impl FnMut(&Tx<'_>) -> crate::error::Result<T>,
    ) -> crate::error::Result<T> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            // With the lock held no other writer can change `meta` or the
            // audit trail: read both now, in the same round trip, for the
            // audit entry most writes append.
            let begin = format!(
                "{}BEGIN ISOLATION LEVEL READ COMMITTED; {}SELECT seq FROM policy_head WHERE id = 1 FOR UPDATE; \
                 SELECT key, value FROM meta; SELECT seq, hash FROM audit WHERE chain = {OWNER_CHAIN} ORDER BY seq DESC LIMIT 1",
                if self.read_open { "ROLLBACK; " } else { "" },
                if self.relaxed.get() {
                    "SET LOCAL synchronous_commit = off; "
                } else {
                    ""
                }
            );
            let started = self
                .client
                .simple_query(&begin)
                .map_err(StoreError::from)
                .and_then(locked_rows);
            self.forget_read();
            let (meta, head) = match started {
                Ok(v) => v,
                Err(e) => {
                    let _ = self.client.batch_execute("ROLLBACK");
                    return Err(e.into());
                }
            };
            let tx = PgTx::new(&mut self.client, true, false);
            *tx.locked_meta.borrow_mut() = Some(meta);
            *tx.owner_head.borrow_mut() = Some(head);
            *tx.deferred.borrow_mut() = Some(Vec::new());
            let out = f(&tx);
            let failed = tx.failed.borrow().clone();
            let notify = tx.policy_changed.get();
            let mut commit = tx.deferred.take().unwrap_or_default();
            drop(tx);
            if notify {
                // Sent in the transaction, so it is delivered exactly
                // when the change commits.
                commit.push(NOTIFY.to_owned());
            }
            commit.push("COMMIT".to_owned());
            match out {
                Ok(v) => match self.client.batch_execute(&commit.join("; ")) {
                    Ok(()) => return Ok(v),
                    Err(e) => {
                        let c = code(&e).cloned();
                        let _ = self.client.batch_execute("ROLLBACK");
                        if is_retryable(&c) && attempt < WRITE_ATTEMPTS {
                            continue;
                        }
                        return Err(StoreError::from(e).into());
                    }
                },
                Err(e) => {
                    let _ = self.client.batch_execute("ROLLBACK");
                    if is_retryable(&failed) && attempt < WRITE_ATTEMPTS {
                        continue;
                    }
                    return Err(e);
                }
            }
        }
    }
}

impl Records for PgTx<'_> {
    fn vault_id(&self) -> StoreResult<Vec<u8>> {
        self.meta("vault_id")?
            .ok_or_else(|| StoreError::Damaged("the vault database has no vault id".to_owned()))
    }

    fn meta(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        if let Some(v) = self.with_prefetch(|p| {
            p.meta
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        })? {
            return Ok(v);
        }
        if let Some(m) = self.locked_meta.borrow().as_ref() {
            return Ok(m.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()));
        }
        let rows = self.q(
            "SELECT value FROM meta WHERE key = $1",
            &[(&key, Type::TEXT)],
        )?;
        Ok(match rows.first() {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }

    fn set_meta(&self, key: &str, value: &[u8]) -> StoreResult<()> {
        self.policy_changed.set(true);
        self.exec(
            "INSERT INTO meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[(&key, Type::TEXT), (&value, Type::BYTEA)],
        )?;
        if let Some(m) = self.locked_meta.borrow_mut().as_mut() {
            match m.iter_mut().find(|(k, _)| k == key) {
                Some(kv) => kv.1 = value.to_vec(),
                None => m.push((key.to_owned(), value.to_vec())),
            }
        }
        Ok(())
    }

    fn set_format(&self, format: u32) -> StoreResult<()> {
        self.set_meta("format", format.to_string().as_bytes())
    }

    fn schema_version(&self) -> StoreResult<u32> {
        let v = self.meta("schema")?.unwrap_or_default();
        String::from_utf8_lossy(&v).trim().parse().map_err(|_| {
            StoreError::Damaged("the vault's schema version (meta.schema) is not a number".into())
        })
    }

    fn slots(&self) -> StoreResult<Vec<SlotRow>> {
        if let Some(v) = self.with_prefetch(|p| p.slots.clone())? {
            return Ok(v);
        }
        self.q(SLOTS, &[])?.iter().map(slot_from_row).collect()
    }

    fn insert_slot(&self, s: &SlotRow) -> StoreResult<i64> {
        self.policy_changed.set(true);
        self.wrote.set(true);
        let rows = self.q(
            "INSERT INTO slots(kind, kdf, salt, nonce, wrapped, key_check) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                (&s.kind, Type::TEXT),
                (&s.kdf, Type::TEXT),
                (&s.salt, Type::BYTEA),
                (&s.nonce, Type::BYTEA),
                (&s.wrapped, Type::BYTEA),
                (&s.check, Type::BYTEA),
            ],
        )?;
        match rows.first() {
            Some(r) => Ok(r.try_get(0)?),
            None => Err(StoreError::Other("no id for the new key slot".to_owned())),
        }
    }

    fn delete_slot(&self, id: i64) -> StoreResult<bool> {
        self.policy_changed.set(true);
        Ok(self.exec("DELETE FROM slots WHERE id = $1", &[(&id, Type::INT8)])? > 0)
    }

    fn secret(&self, env: &str, name: &str) -> StoreResult<Option<SecretRow>> {
        let rows = self.q(
            concat!(secret_select!(), " WHERE s.env = $1 AND s.name = $2"),
            &[(&env, Type::TEXT), (&name, Type::TEXT)],
        )?;
        rows.first().map(secret_from_row).transpose()
    }

    fn secrets(&self, audience: Audience<'_>) -> StoreResult<Vec<SecretRow>> {
        let rows = match audience {
            Audience::Everything => {
                self.q(
                concat!(
                    secret_select!(),
                    " ORDER BY s.name COLLATE \"C\", s.env COLLATE \"C\""
                ),
                &[],
            )?
            }
            Audience::Agent(a) => self.q(
                concat!(
                    secret_select!(),
                    " WHERE s.scope = 'global' OR s.name IN (SELECT secret FROM grants WHERE agent = $1) ORDER BY s.name COLLATE \"C\", s.env COLLATE \"C\""
                ),
                &[(&a, Type::TEXT)],
            )?,
        };
        rows.iter().map(secret_from_row).collect()
    }

    fn policy_rows(&self) -> StoreResult<Vec<SecretRow>> {
        if let Some(v) = self.with_prefetch(|p| p.policy_rows.clone())? {
            return Ok(v);
        }
        self.q(POLICY_ROWS, &[])?
            .iter()
            .map(secret_from_row)
            .collect()
    }

    fn tagged_policy_rows(&self) -> StoreResult<Vec<(SecretRow, Option<Vec<u8>>)>> {
        // The prefetch's tags come from the same rows of the same statement.
        if let Some(v) = self.with_prefetch(|p| {
            p.policy_rows
                .iter()
                .zip(&p.secret_tags)
                .map(|(r, (_, _, t))| (r.clone(), t.clone()))
                .collect()
        })? {
            return Ok(v);
        }
        self.q(POLICY_ROWS, &[])?
            .iter()
            .map(|r| Ok((secret_from_row(r)?, r.try_get(12)?)))
            .collect()
    }

    fn tagged_secret(
        &self,
        env: &str,
        name: &str,
    ) -> StoreResult<Option<(SecretRow, Option<Vec<u8>>)>> {
        let rows = self.q(
            concat!(
                secret_select!(", s.tag"),
                " WHERE s.env = $1 AND s.name = $2"
            ),
            &[(&env, Type::TEXT), (&name, Type::TEXT)],
        )?;
        rows.first()
            .map(|r| Ok((secret_from_row(r)?, r.try_get(12)?)))
            .transpose()
    }

    fn secret_names(&self) -> StoreResult<Vec<String>> {
        if let Some(v) = self.with_prefetch(|p| {
            let mut names: Vec<String> = p.policy_rows.iter().map(|r| r.name.clone()).collect();
            names.dedup();
            names
        })? {
            return Ok(v);
        }
        self.q(
            "SELECT DISTINCT name COLLATE \"C\" FROM secrets ORDER BY 1",
            &[],
        )?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    fn secret_envs(&self, name: &str) -> StoreResult<Vec<String>> {
        self.q(
            "SELECT env FROM secrets WHERE name = $1 ORDER BY env COLLATE \"C\"",
            &[(&name, Type::TEXT)],
        )?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    fn env_names(&self) -> StoreResult<Vec<String>> {
        self.q(
            "SELECT env COLLATE \"C\" FROM secrets WHERE env <> '' UNION SELECT env FROM agents WHERE env <> '' ORDER BY 1",
            &[],
        )?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    fn max_version(&self, env: &str, name: &str) -> StoreResult<u64> {
        let rows = self.q(
            "SELECT COALESCE(MAX(version), 0)::bigint FROM versions WHERE env = $1 AND name = $2",
            &[(&env, Type::TEXT), (&name, Type::TEXT)],
        )?;
        let v: i64 = match rows.first() {
            Some(r) => r.try_get(0)?,
            None => 0,
        };
        Ok(v.max(0) as u64)
    }

    fn versions(&self, env: &str, name: &str) -> StoreResult<Vec<(u64, StoredValue)>> {
        self.q(
            "SELECT version, nonce, ciphertext, plain FROM versions WHERE env = $1 AND name = $2 ORDER BY version",
            &[(&env, Type::TEXT), (&name, Type::TEXT)],
        )?
        .iter()
        .map(|r| {
            let v: i64 = r.try_get(0)?;
            Ok((
                v.max(0) as u64,
                stored_value(r.try_get(1)?, r.try_get(2)?, r.try_get(3)?),
            ))
        })
        .collect()
    }

    fn history(&self, env: &str, name: &str) -> StoreResult<Vec<VersionRow>> {
        self.q(
            "SELECT version, nonce, ciphertext, plain, created FROM versions WHERE env = $1 AND name = $2 ORDER BY version",
            &[(&env, Type::TEXT), (&name, Type::TEXT)],
        )?
        .iter()
        .map(|r| {
            let v: i64 = r.try_get(0)?;
            Ok(VersionRow {
                version: v.max(0) as u64,
                value: stored_value(r.try_get(1)?, r.try_get(2)?, r.try_get(3)?),
                created: r.try_get(4)?,
            })
        })
        .collect()
    }

    fn insert_version(
        &self,
        env: &str,
        name: &str,
        version: u64,
        value: &StoredValue,
        now: &str,
    ) -> StoreResult<()> {
        self.policy_changed.set(true);
        let v = version as i64;
        let (nonce, ct, plain) = value_columns(value);
        self.exec(
            "INSERT INTO versions(name, version, nonce, ciphertext, plain, created, env) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                (&name, Type::TEXT),
                (&v, Type::INT8),
                (&nonce, Type::BYTEA),
                (&ct, Type::BYTEA),
                (&plain, Type::TEXT),
                (&now, Type::TEXT),
                (&env, Type::TEXT),
            ],
        )?;
        Ok(())
    }

    fn replace_version(
        &self,
        env: &str,
        name: &str,
        version: u64,
        value: &StoredValue,
    ) -> StoreResult<()> {
        self.policy_changed.set(true);
        let v = version as i64;
        let (nonce, ct, plain) = value_columns(value);
        if plain.is_some() {
            // A variable's value is covered by its row's tag (§19).
            self.exec(
                "UPDATE secrets SET tag = NULL WHERE env = $1 AND name = $2",
                &[(&env, Type::TEXT), (&name, Type::TEXT)],
            )?;
        }
        self.exec(
            "UPDATE versions SET nonce = $3, ciphertext = $4, plain = $5 WHERE name = $1 AND version = $2 AND env = $6",
            &[
                (&name, Type::TEXT),
                (&v, Type::INT8),
                (&nonce, Type::BYTEA),
                (&ct, Type::BYTEA),
                (&plain, Type::TEXT),
                (&env, Type::TEXT),
            ],
        )?;
        Ok(())
    }

    fn upsert_secret(&self, s: &SecretRow) -> StoreResult<()> {
        self.policy_changed.set(true);
        let v = s.version as i64;
        self.exec(
            "INSERT INTO secrets(name, kind, scope, description, provider, version, created, updated, env) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (env, name) DO UPDATE SET kind = excluded.kind, scope = excluded.scope, \
             description = excluded.description, provider = excluded.provider, version = excluded.version, \
             updated = excluded.updated, tag = NULL",
            &[
                (&s.name, Type::TEXT),
                (&s.kind.as_str(), Type::TEXT),
                (&s.scope.as_str(), Type::TEXT),
                (&s.description, Type::TEXT),
                (&s.provider, Type::TEXT),
                (&v, Type::INT8),
                (&s.created, Type::TEXT),
                (&s.updated, Type::TEXT),
                (&s.env, Type::TEXT),
            ],
        )?;
        Ok(())
    }

    /// One statement, one round trip, however many rows: the secrets and
    /// their versions from parallel arrays (the versions' foreign key is
    /// deferred, so their order within the statement does not matter).
    fn insert_secrets(&self, rows: &[SecretRow], tags: Option<&[[u8; 32]]>) -> StoreResult<()> {
        self.policy_changed.set(true);
        if rows.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = rows.iter().map(|s| s.name.as_str()).collect();
        let envs: Vec<&str> = rows.iter().map(|s| s.env.as_str()).collect();
        let kinds: Vec<&str> = rows.iter().map(|s| s.kind.as_str()).collect();
        let scopes: Vec<&str> = rows.iter().map(|s| s.scope.as_str()).collect();
        let descriptions: Vec<&str> = rows.iter().map(|s| s.description.as_str()).collect();
        let providers: Vec<Option<&str>> = rows.iter().map(|s| s.provider.as_deref()).collect();
        let versions: Vec<i64> = rows.iter().map(|s| s.version as i64).collect();
        let created: Vec<&str> = rows.iter().map(|s| s.created.as_str()).collect();
        let updated: Vec<&str> = rows.iter().map(|s| s.updated.as_str()).collect();
        let (mut nonces, mut cts, mut plains) = (
            Vec::with_capacity(rows.len()),
            Vec::with_capacity(rows.len()),
            Vec::with_capacity(rows.len()),
        );
        for s in rows {
            let (n, c, p) = value_columns(&s.value);
            nonces.push(n);
            cts.push(c);
            plains.push(p);
        }
        let tags: Vec<Option<&[u8]>> = (0..rows.len())
            .map(|i| tags.and_then(|t| t.get(i)).map(|t| &t[..]))
            .collect();
        self.exec(
            "WITH s AS (INSERT INTO secrets(name, kind, scope, description, provider, version, created, updated, env, tag) \
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $12::text[], $13::bytea[])) \
             INSERT INTO versions(name, version, nonce, ciphertext, plain, created, env) \
             SELECT * FROM unnest($1::text[], $6::bigint[], $9::bytea[], $10::bytea[], $11::text[], $7::text[], $12::text[])",
            &[
                (&names, Type::TEXT_ARRAY),
                (&kinds, Type::TEXT_ARRAY),
                (&scopes, Type::TEXT_ARRAY),
                (&descriptions, Type::TEXT_ARRAY),
                (&providers, Type::TEXT_ARRAY),
                (&versions, Type::INT8_ARRAY),
                (&created, Type::TEXT_ARRAY),
                (&updated, Type::TEXT_ARRAY),
                (&nonces, Type::BYTEA_ARRAY),
                (&cts, Type::BYTEA_ARRAY),
                (&plains, Type::TEXT_ARRAY),
                (&envs, Type::TEXT_ARRAY),
                (&tags, Type::BYTEA_ARRAY),
            ],
        )?;
        Ok(())
    }

    /// One statement: the row, its versions, the delivery records of it,
    /// and with the name's last row its grants and deliveries.
    fn delete_secret(&self, env: &str, name: &str) -> StoreResult<bool> {
        let rows = self.q(
            "WITH s AS (DELETE FROM secrets WHERE env = $1 AND name = $2 RETURNING 1), \
             v AS (DELETE FROM versions WHERE env = $1 AND name = $2), \
             d AS (DELETE FROM deliveries WHERE secret = $2 AND (source = $1 OR NOT EXISTS \
                   (SELECT 1 FROM secrets WHERE name = $2 AND env <> $1))), \
             g AS (DELETE FROM grants WHERE secret = $2 AND NOT EXISTS \
                   (SELECT 1 FROM secrets WHERE name = $2 AND env <> $1)) \
             SELECT count(*) FROM s",
            &[(&env, Type::TEXT), (&name, Type::TEXT)],
        )?;
        self.wrote.set(true);
        self.policy_changed.set(true);
        let n: i64 = match rows.first() {
            Some(r) => r.try_get(0)?,
            None => 0,
        };
        Ok(n > 0)
    }

    /// As on SQLite: the new row first (grants and deliveries have
    /// immediate foreign keys), the old one last.
    fn rename_secret(&self, old: &str, new: &str) -> StoreResult<bool> {
        self.policy_changed.set(true);
        let p = [
            (&old as &(dyn ToSql + Sync), Type::TEXT),
            (&new, Type::TEXT),
        ];
        let copied = self.exec(
            "INSERT INTO secrets(env, name, kind, scope, description, provider, version, created, updated) \
             SELECT env, $2, kind, scope, description, provider, version, created, updated FROM secrets WHERE name = $1",
            &p,
        )?;
        if copied == 0 {
            return Ok(false);
        }
        for sql in [
            "UPDATE versions SET name = $2 WHERE name = $1",
            "UPDATE grants SET secret = $2, tag = NULL WHERE secret = $1",
            "UPDATE deliveries SET secret = $2 WHERE secret = $1",
        ] {
            self.exec(sql, &p)?;
        }
        self.exec("DELETE FROM secrets WHERE name = $1", &[(&old, Type::TEXT)])?;
        Ok(true)
    }

    fn agent(&self, name: &str) -> StoreResult<Option<AgentRow>> {
        if let Some(v) =
            self.with_prefetch(|p| p.agents.iter().find(|a| a.name == name).cloned())?
        {
            return Ok(v);
        }
        self.q(
            "SELECT name, description, created, last_run, env FROM agents WHERE name = $1",
            &[(&name, Type::TEXT)],
        )?
        .first()
        .map(agent_from_row)
        .transpose()
    }

    fn agents(&self) -> StoreResult<Vec<AgentRow>> {
        if let Some(v) = self.with_prefetch(|p| p.agents.clone())? {
            return Ok(v);
        }
        self.q(AGENTS, &[])?.iter().map(agent_from_row).collect()
    }

    fn create_agent(
        &self,
        name: &str,
        description: &str,
        env: &str,
        now: &str,
    ) -> StoreResult<bool> {
        self.policy_changed.set(true);
        Ok(self.exec(
            "INSERT INTO agents(name, description, created, env) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
            &[
                (&name, Type::TEXT),
                (&description, Type::TEXT),
                (&now, Type::TEXT),
                (&env, Type::TEXT),
            ],
        )? > 0)
    }

    fn delete_agent(&self, name: &str) -> StoreResult<bool> {
        self.policy_changed.set(true);
        if let Some(id) = self.agent_id(name)? {
            let id = id as i64;
            for sql in [
                "DELETE FROM agent_keys WHERE agent_id = $1",
                "DELETE FROM keyring_wraps WHERE agent_id = $1",
                "DELETE FROM agent_wraps WHERE agent_id = $1",
                "DELETE FROM statements WHERE agent_id = $1",
            ] {
                self.exec(sql, &[(&id, Type::INT8)])?;
            }
            self.exec(
                "DELETE FROM agent_ids WHERE agent = $1",
                &[(&name, Type::TEXT)],
            )?;
        }
        Ok(self.exec("DELETE FROM agents WHERE name = $1", &[(&name, Type::TEXT)])? > 0)
    }

    fn grantees(&self, secret: &str) -> StoreResult<Vec<String>> {
        self.q(
            "SELECT agent FROM grants WHERE secret = $1 ORDER BY agent COLLATE \"C\"",
            &[(&secret, Type::TEXT)],
        )?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    fn row_tag(&self, table: Tagged, a: &str, b: &str) -> StoreResult<Option<Option<Vec<u8>>>> {
        if let Some(v) = self.with_prefetch(|p| {
            let (rows, by_name) = match table {
                Tagged::Secrets => (&p.secret_tags, false),
                Tagged::Grants => (&p.grant_tags, false),
                Tagged::Agents => (&p.agent_tags, true),
            };
            rows.iter()
                .find(|(x, y, _)| x == a && (by_name || y == b))
                .map(|(_, _, t)| t.clone())
        })? {
            return Ok(v);
        }
        let rows = match table {
            Tagged::Secrets => self.q(
                "SELECT tag FROM secrets WHERE env = $1 AND name = $2",
                &[(&a, Type::TEXT), (&b, Type::TEXT)],
            )?,
            Tagged::Grants => self.q(
                "SELECT tag FROM grants WHERE agent = $1 AND secret = $2",
                &[(&a, Type::TEXT), (&b, Type::TEXT)],
            )?,
            Tagged::Agents => self.q(
                "SELECT tag FROM agents WHERE name = $1",
                &[(&a, Type::TEXT)],
            )?,
        };
        rows.first().map(|r| Ok(r.try_get(0)?)).transpose()
    }

    fn row_tags(&self, table: Tagged) -> StoreResult<Vec<TaggedRow>> {
        if let Some(v) = self.with_prefetch(|p| match table {
            Tagged::Secrets => p.secret_tags.clone(),
            Tagged::Grants => p.grant_tags.clone(),
            Tagged::Agents => p.agent_tags.clone(),
        })? {
            return Ok(v);
        }
        let sql = match table {
            Tagged::Secrets => {
                "SELECT env, name, tag FROM secrets ORDER BY name COLLATE \"C\", env COLLATE \"C\""
            }
            Tagged::Grants => {
                "SELECT agent, secret, tag FROM grants ORDER BY agent COLLATE \"C\", secret COLLATE \"C\""
            }
            Tagged::Agents => "SELECT name, env, tag FROM agents ORDER BY name COLLATE \"C\"",
        };
        self.q(sql, &[])?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect()
    }

    fn has_prefetch(&self) -> bool {
        self.prefetch.borrow().is_some()
    }

    fn grant_tags_of(&self, agent: &str) -> StoreResult<Vec<(String, Option<Vec<u8>>)>> {
        if let Some(v) = self.with_prefetch(|p| {
            p.grant_tags
                .iter()
                .filter(|(a, _, _)| a == agent)
                .map(|(_, s, t)| (s.clone(), t.clone()))
                .collect()
        })? {
            return Ok(v);
        }
        self.q(
            "SELECT secret, tag FROM grants WHERE agent = $1 ORDER BY secret COLLATE \"C\"",
            &[(&agent, Type::TEXT)],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
    }

    fn set_row_tag(&self, table: Tagged, a: &str, b: &str, tag: &[u8]) -> StoreResult<()> {
        match table {
            Tagged::Secrets => self.exec(
                "UPDATE secrets SET tag = $3 WHERE env = $1 AND name = $2",
                &[(&a, Type::TEXT), (&b, Type::TEXT), (&tag, Type::BYTEA)],
            )?,
            Tagged::Grants => self.exec(
                "UPDATE grants SET tag = $3 WHERE agent = $1 AND secret = $2",
                &[(&a, Type::TEXT), (&b, Type::TEXT), (&tag, Type::BYTEA)],
            )?,
            Tagged::Agents => self.exec(
                "UPDATE agents SET tag = $2 WHERE name = $1",
                &[(&a, Type::TEXT), (&tag, Type::BYTEA)],
            )?,
        };
        Ok(())
    }

    fn untagged(&self, table: Tagged, limit: usize) -> StoreResult<Vec<(String, String)>> {
        if let Some(v) = self.with_prefetch(|p| {
            let rows = match table {
                Tagged::Secrets => &p.secret_tags,
                Tagged::Grants => &p.grant_tags,
                Tagged::Agents => &p.agent_tags,
            };
            rows.iter()
                .filter(|(_, _, t)| t.is_none())
                .take(limit)
                .map(|(a, b, _)| (a.clone(), b.clone()))
                .collect()
        })? {
            return Ok(v);
        }
        let sql = match table {
            Tagged::Secrets => "SELECT env, name FROM secrets WHERE tag IS NULL LIMIT $1",
            Tagged::Grants => "SELECT agent, secret FROM grants WHERE tag IS NULL LIMIT $1",
            Tagged::Agents => "SELECT name, env FROM agents WHERE tag IS NULL LIMIT $1",
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.q(sql, &[(&limit, Type::INT8)])?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    fn grants(&self, agent: &str) -> StoreResult<Vec<String>> {
        self.q(
            "SELECT secret FROM grants WHERE agent = $1 ORDER BY secret COLLATE \"C\"",
            &[(&agent, Type::TEXT)],
        )?
        .iter()
        .map(|r| Ok(r.try_get(0)?))
        .collect()
    }

    fn deliveries(&self, agent: &str, env: &str) -> StoreResult<Vec<DeliveryRow>> {
        self.q(
            "SELECT secret, source, version, delivered FROM deliveries WHERE agent = $1 AND env = $2 \
             ORDER BY secret COLLATE \"C\"",
            &[(&agent, Type::TEXT), (&env, Type::TEXT)],
        )?
        .iter()
        .map(|r| {
            let v: i64 = r.try_get(2)?;
            Ok(DeliveryRow {
                secret: r.try_get(0)?,
                source: r.try_get(1)?,
                version: v.max(0) as u64,
                delivered: r.try_get(3)?,
            })
        })
        .collect()
    }

    fn grant(&self, agent: &str, secret: &str, now: &str) -> StoreResult<bool> {
        self.policy_changed.set(true);
        Ok(self.exec(
            "INSERT INTO grants(agent, secret, created) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            &[
                (&agent, Type::TEXT),
                (&secret, Type::TEXT),
                (&now, Type::TEXT),
            ],
        )? > 0)
    }

    fn revoke(&self, agent: &str, secret: &str) -> StoreResult<bool> {
        self.policy_changed.set(true);
        Ok(self.exec(
            "DELETE FROM grants WHERE agent = $1 AND secret = $2",
            &[(&agent, Type::TEXT), (&secret, Type::TEXT)],
        )? > 0)
    }

    fn all_grants(&self) -> StoreResult<Vec<(String, String)>> {
        if let Some(v) = self.with_prefetch(|p| p.grants.clone())? {
            return Ok(v);
        }
        self.q(ALL_GRANTS, &[])?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// One statement however many secrets, sent with the write's `COMMIT`.
    fn record_delivery(
        &self,
        agent: &str,
        env: &str,
        delivered: &[(&str, &str, u64)],
        now: &str,
    ) -> StoreResult<()> {
        let names: Vec<String> = delivered.iter().map(|(n, _, _)| lit_text(n)).collect();
        let sources: Vec<String> = delivered.iter().map(|(_, s, _)| lit_text(s)).collect();
        let versions: Vec<String> = delivered
            .iter()
            .map(|(_, _, v)| (*v as i64).to_string())
            .collect();
        let (agent, env, now) = (lit_text(agent), lit_text(env), lit_text(now));
        self.later(format!(
            "WITH d AS (INSERT INTO deliveries(agent, env, secret, source, version, delivered) \
             SELECT {agent}, {env}, n, s, v, {now} \
             FROM unnest(ARRAY[{}]::text[], ARRAY[{}]::text[], ARRAY[{}]::bigint[]) AS x(n, s, v) \
             ON CONFLICT (agent, env, secret) DO UPDATE SET source = excluded.source, \
             version = excluded.version, delivered = excluded.delivered) \
             UPDATE agents SET last_run = {now} WHERE name = {agent}",
            names.join(", "),
            sources.join(", "),
            versions.join(", ")
        ))
    }

    /// Sent with the write's `COMMIT`: a (chain, seq) taken already fails
    /// the commit, and the write with it.
    fn agent_id(&self, agent: &str) -> StoreResult<Option<u64>> {
        Ok(self
            .q(
                "SELECT id FROM agent_ids WHERE agent = $1",
                &[(&agent, Type::TEXT)],
            )?
            .first()
            .map(|r| r.try_get::<_, i64>(0))
            .transpose()?
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
        let id = next as i64;
        self.exec(
            "INSERT INTO agent_ids(agent, id) VALUES ($1, $2)",
            &[(&agent, Type::TEXT), (&id, Type::INT8)],
        )?;
        self.set_meta("next_agent_id", (next + 1).to_string().as_bytes())?;
        Ok(next)
    }

    fn agent_keys(&self) -> StoreResult<Vec<AgentKeyRow>> {
        self.q(
            "SELECT k.agent_id, i.agent, k.epoch, k.kem_pk, k.sign_pk, k.created, k.expires, k.revoked, k.made \
             FROM agent_keys k JOIN agent_ids i ON i.id = k.agent_id \
             WHERE k.epoch = (SELECT max(epoch) FROM agent_keys WHERE agent_id = k.agent_id) \
             ORDER BY i.agent COLLATE \"C\"",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(AgentKeyRow {
                agent_id: r.try_get::<_, i64>(0)?.max(0) as u64,
                agent: r.try_get(1)?,
                epoch: r.try_get::<_, i64>(2)?.max(0) as u64,
                kem_pk: r.try_get(3)?,
                sign_pk: r.try_get(4)?,
                created: r.try_get(5)?,
                expires: r.try_get::<_, i64>(6)?.max(0) as u64,
                revoked: r.try_get(7)?,
                made: r.try_get(8)?,
            })
        })
        .collect()
    }

    fn insert_agent_key(&self, k: &AgentKeyRow) -> StoreResult<()> {
        let (id, epoch, expires) = (k.agent_id as i64, k.epoch as i64, k.expires as i64);
        self.exec(
            "INSERT INTO agent_keys(agent_id, epoch, kem_pk, sign_pk, created, expires, revoked, made) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                (&id, Type::INT8),
                (&epoch, Type::INT8),
                (&k.kem_pk, Type::BYTEA),
                (&k.sign_pk, Type::BYTEA),
                (&k.created, Type::TEXT),
                (&expires, Type::INT8),
                (&k.revoked, Type::TEXT),
                (&k.made, Type::TEXT),
            ],
        )?;
        Ok(())
    }

    fn revoke_agent_keys(&self, agent_id: u64, now: &str) -> StoreResult<()> {
        let id = agent_id as i64;
        self.exec(
            "UPDATE agent_keys SET revoked = $2 WHERE agent_id = $1 AND revoked IS NULL",
            &[(&id, Type::INT8), (&now, Type::TEXT)],
        )?;
        for sql in [
            "DELETE FROM keyring_wraps WHERE agent_id = $1",
            "DELETE FROM agent_wraps WHERE agent_id = $1",
            "DELETE FROM statements WHERE agent_id = $1",
        ] {
            self.exec(sql, &[(&id, Type::INT8)])?;
        }
        Ok(())
    }

    fn keyring_wrap(
        &self,
        agent_id: u64,
        epoch: u64,
        recipient: u64,
    ) -> StoreResult<Option<Vec<u8>>> {
        let (a, e, r) = (agent_id as i64, epoch as i64, recipient as i64);
        Ok(self
            .q(
                "SELECT wrap FROM keyring_wraps WHERE agent_id = $1 AND epoch = $2 AND recipient = $3",
                &[(&a, Type::INT8), (&e, Type::INT8), (&r, Type::INT8)],
            )?
            .first()
            .map(|r| r.try_get(0))
            .transpose()?)
    }

    fn put_keyring_wrap(
        &self,
        agent_id: u64,
        epoch: u64,
        recipient: u64,
        wrap: &[u8],
    ) -> StoreResult<()> {
        let (a, e, r) = (agent_id as i64, epoch as i64, recipient as i64);
        self.exec(
            "INSERT INTO keyring_wraps(agent_id, epoch, recipient, wrap) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (agent_id, epoch, recipient) DO UPDATE SET wrap = excluded.wrap",
            &[
                (&a, Type::INT8),
                (&e, Type::INT8),
                (&r, Type::INT8),
                (&wrap, Type::BYTEA),
            ],
        )?;
        Ok(())
    }

    fn keyring_recipients(&self) -> StoreResult<Vec<(u64, u64, u64)>> {
        self.q(
            "SELECT agent_id, epoch, recipient FROM keyring_wraps ORDER BY agent_id, epoch, recipient",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<_, i64>(0)? as u64,
                r.try_get::<_, i64>(1)? as u64,
                r.try_get::<_, i64>(2)? as u64,
            ))
        })
        .collect()
    }

    fn agent_wrap_keys(
        &self,
        agent_id: u64,
        epoch: u64,
    ) -> StoreResult<Vec<(String, String, u64)>> {
        let (a, e) = (agent_id as i64, epoch as i64);
        self.q(
            "SELECT env, name, version FROM agent_wraps WHERE agent_id = $1 AND epoch = $2",
            &[(&a, Type::INT8), (&e, Type::INT8)],
        )?
        .iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get::<_, i64>(2)?.max(0) as u64,
            ))
        })
        .collect()
    }

    fn put_agent_wrap(&self, w: &AgentWrapRow) -> StoreResult<()> {
        let (a, e, v) = (w.agent_id as i64, w.epoch as i64, w.version as i64);
        self.exec(
            "INSERT INTO agent_wraps(agent_id, epoch, env, name, version, wrap) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (agent_id, epoch, env, name, version) DO UPDATE SET wrap = excluded.wrap",
            &[
                (&a, Type::INT8),
                (&e, Type::INT8),
                (&w.env, Type::TEXT),
                (&w.name, Type::TEXT),
                (&v, Type::INT8),
                (&w.wrap, Type::BYTEA),
            ],
        )?;
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
        let (a, e, v) = (agent_id as i64, epoch as i64, version as i64);
        self.exec(
            "DELETE FROM agent_wraps WHERE agent_id = $1 AND epoch = $2 AND env = $3 AND name = $4 AND version = $5",
            &[
                (&a, Type::INT8),
                (&e, Type::INT8),
                (&env, Type::TEXT),
                (&name, Type::TEXT),
                (&v, Type::INT8),
            ],
        )?;
        Ok(())
    }

    /// One round trip for every item, in the order asked.
    fn agent_payload(
        &self,
        agent_id: u64,
        epoch: u64,
        items: &[(String, String, u64)],
    ) -> StoreResult<Vec<super::Payload>> {
        let (a, e) = (agent_id as i64, epoch as i64);
        let envs: Vec<&str> = items.iter().map(|i| i.0.as_str()).collect();
        let names: Vec<&str> = items.iter().map(|i| i.1.as_str()).collect();
        let versions: Vec<i64> = items.iter().map(|i| i.2 as i64).collect();
        let rows = self.q(
            "SELECT k.i, v.version IS NOT NULL, v.nonce, v.ciphertext, v.plain, w.wrap \
             FROM unnest($3::text[], $4::text[], $5::int8[]) WITH ORDINALITY AS k(env, name, version, i) \
             LEFT JOIN versions v ON v.env = k.env AND v.name = k.name AND v.version = k.version \
             LEFT JOIN agent_wraps w ON w.agent_id = $1 AND w.epoch = $2 AND w.env = k.env \
                  AND w.name = k.name AND w.version = k.version \
             ORDER BY k.i",
            &[
                (&a, Type::INT8),
                (&e, Type::INT8),
                (&envs, Type::TEXT_ARRAY),
                (&names, Type::TEXT_ARRAY),
                (&versions, Type::INT8_ARRAY),
            ],
        )?;
        let mut out = Vec::with_capacity(items.len());
        for r in &rows {
            let found: bool = r.try_get(1)?;
            let value = if found {
                Some(stored_value(r.try_get(2)?, r.try_get(3)?, r.try_get(4)?))
            } else {
                None
            };
            out.push((value, r.try_get(5)?));
        }
        Ok(out)
    }

    fn statement(&self, agent_id: u64) -> StoreResult<Option<StatementRow>> {
        let a = agent_id as i64;
        self.q(
            "SELECT agent_id, policy_seq, signer, bytes, sig FROM statements WHERE agent_id = $1",
            &[(&a, Type::INT8)],
        )?
        .first()
        .map(|r| {
            Ok(StatementRow {
                agent_id: r.try_get::<_, i64>(0)?.max(0) as u64,
                policy_seq: r.try_get::<_, i64>(1)?.max(0) as u64,
                signer: r.try_get::<_, i64>(2)?.max(0) as u64,
                bytes: r.try_get(3)?,
                sig: r.try_get(4)?,
            })
        })
        .transpose()
    }

    fn put_statement(&self, s: &StatementRow) -> StoreResult<()> {
        let (a, p, g) = (s.agent_id as i64, s.policy_seq as i64, s.signer as i64);
        self.exec(
            "INSERT INTO statements(agent_id, policy_seq, signer, bytes, sig) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (agent_id) DO UPDATE SET policy_seq = excluded.policy_seq, signer = excluded.signer, \
             bytes = excluded.bytes, sig = excluded.sig",
            &[
                (&a, Type::INT8),
                (&p, Type::INT8),
                (&g, Type::INT8),
                (&s.bytes, Type::BYTEA),
                (&s.sig, Type::BYTEA),
            ],
        )?;
        Ok(())
    }

    fn append_audit(&self, e: &AuditRow) -> StoreResult<()> {
        self.later(format!(
            "INSERT INTO audit(chain, seq, at, action, subject, host, prev, hash, sig) \
             VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
            e.chain as i64,
            e.seq as i64,
            lit_text(&e.at),
            lit_text(&e.action),
            lit_text(&e.subject),
            lit_text(&e.host),
            lit_bytes(&e.prev),
            lit_bytes(&e.hash),
            lit_bytes(&e.sig),
        ))?;
        if e.chain == OWNER_CHAIN {
            if let Some(h) = self.owner_head.borrow_mut().as_mut() {
                if h.as_ref().is_none_or(|(seq, _)| e.seq > *seq) {
                    *h = Some((e.seq, e.hash.clone()));
                }
            }
        }
        Ok(())
    }

    fn audit_head(&self, chain: u64) -> StoreResult<Option<(u64, Vec<u8>)>> {
        if chain == OWNER_CHAIN {
            if let Some(h) = self.owner_head.borrow().as_ref() {
                return Ok(h.clone());
            }
        }
        let chain = chain as i64;
        self.q(
            "SELECT seq, hash FROM audit WHERE chain = $1 ORDER BY seq DESC LIMIT 1",
            &[(&chain, Type::INT8)],
        )?
        .first()
        .map(|r| Ok((r.try_get::<_, i64>(0)?.max(0) as u64, r.try_get(1)?)))
        .transpose()
    }

    fn audit_entries(&self, f: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
        let chain = f.chain.map(|c| c as i64);
        let after = f.after_seq.map(|s| s as i64);
        self.q(
            "SELECT chain, seq, at, action, subject, host, prev, hash, sig FROM audit \
             WHERE ($1::bigint IS NULL OR chain = $1) AND ($2::bigint IS NULL OR seq > $2) \
             AND ($3::text IS NULL OR at COLLATE \"C\" >= $3) ORDER BY chain, seq",
            &[
                (&chain, Type::INT8),
                (&after, Type::INT8),
                (&f.since, Type::TEXT),
            ],
        )?
        .iter()
        .map(|r| {
            Ok(AuditRow {
                chain: r.try_get::<_, i64>(0)?.max(0) as u64,
                seq: r.try_get::<_, i64>(1)?.max(0) as u64,
                at: r.try_get(2)?,
                action: r.try_get(3)?,
                subject: r.try_get(4)?,
                host: r.try_get(5)?,
                prev: r.try_get(6)?,
                hash: r.try_get(7)?,
                sig: r.try_get(8)?,
            })
        })
        .collect()
    }

    fn prune_audit(&self, chain: u64, through_seq: u64) -> StoreResult<u64> {
        let (chain, seq) = (chain as i64, through_seq as i64);
        self.exec(
            "DELETE FROM audit WHERE chain = $1 AND seq <= $2",
            &[(&chain, Type::INT8), (&seq, Type::INT8)],
        )
    }

    fn members(&self) -> StoreResult<Vec<MemberRow>> {
        self.q(
            "SELECT id, name, pg_role, kem_pk, sign_pk, role, created FROM members ORDER BY id",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(MemberRow {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
                pg_role: r.try_get(2)?,
                kem_pk: r.try_get(3)?,
                sign_pk: r.try_get(4)?,
                role: r.try_get(5)?,
                created: r.try_get(6)?,
            })
        })
        .collect()
    }

    fn rights(&self) -> StoreResult<Vec<(i64, String, String)>> {
        self.q(
            "SELECT member, agent, perm FROM acl ORDER BY member, agent COLLATE \"C\"",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
    }

    fn roster(&self) -> StoreResult<Option<RosterRow>> {
        let rows = self.q(
            "SELECT epoch, body, sig FROM roster ORDER BY epoch DESC LIMIT 1",
            &[],
        )?;
        rows.first()
            .map(|r| {
                let e: i64 = r.try_get(0)?;
                Ok((e.max(0) as u64, r.try_get(1)?, r.try_get(2)?))
            })
            .transpose()
    }

    fn rosters(&self) -> StoreResult<Vec<RosterRow>> {
        self.q(
            "SELECT epoch, body, sig FROM roster ORDER BY epoch DESC",
            &[],
        )?
        .iter()
        .map(|r| {
            let e: i64 = r.try_get(0)?;
            Ok((e.max(0) as u64, r.try_get(1)?, r.try_get(2)?))
        })
        .collect()
    }

    fn signed_grants(&self) -> StoreResult<Vec<crate::store::SignedGrant>> {
        self.q(
            "SELECT agent, secret, signer, sig FROM grants WHERE tag IS NULL AND signer IS NOT NULL AND sig IS NOT NULL",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect()
    }

    fn grant_signed(
        &self,
        agent: &str,
        secret: &str,
        now: &str,
        signer: i64,
        sig: &[u8],
    ) -> StoreResult<bool> {
        self.policy_changed.set(true);
        Ok(self.exec(
            "INSERT INTO grants(agent, secret, created, signer, sig) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[
                (&agent, Type::TEXT),
                (&secret, Type::TEXT),
                (&now, Type::TEXT),
                (&signer, Type::INT8),
                (&sig, Type::BYTEA),
            ],
        )? > 0)
    }

    fn next_policy_seq(&self) -> StoreResult<u64> {
        let rows = self.q("SELECT vault_next_policy_seq()", &[])?;
        self.wrote.set(true);
        match rows.first() {
            Some(r) => Ok(r.try_get::<_, i64>(0)?.max(0) as u64),
            None => Err(StoreError::Other(
                "vault_next_policy_seq() returned no row".to_owned(),
            )),
        }
    }

    fn insert_member(&self, m: &MemberRow) -> StoreResult<i64> {
        self.policy_changed.set(true);
        let rows = self.q(
            "INSERT INTO members(name, pg_role, kem_pk, sign_pk, role, created) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                (&m.name, Type::TEXT),
                (&m.pg_role, Type::TEXT),
                (&m.kem_pk, Type::BYTEA),
                (&m.sign_pk, Type::BYTEA),
                (&m.role, Type::TEXT),
                (&m.created, Type::TEXT),
            ],
        )?;
        self.wrote.set(true);
        match rows.first() {
            Some(r) => Ok(r.try_get(0)?),
            None => Err(StoreError::Other(
                "INSERT ... RETURNING returned no row".to_owned(),
            )),
        }
    }

    fn set_rights(&self, member: i64, rights: &[(String, String)]) -> StoreResult<()> {
        self.policy_changed.set(true);
        self.exec(
            "DELETE FROM acl WHERE member = $1",
            &[(&member, Type::INT8)],
        )?;
        for (agent, perm) in rights {
            self.exec(
                "INSERT INTO acl(member, agent, perm) VALUES ($1, $2, $3)",
                &[
                    (&member, Type::INT8),
                    (agent, Type::TEXT),
                    (perm, Type::TEXT),
                ],
            )?;
        }
        Ok(())
    }

    fn delete_member(&self, member: i64) -> StoreResult<()> {
        self.policy_changed.set(true);
        let id = member.to_be_bytes().to_vec();
        self.exec(
            "DELETE FROM slots WHERE kind = 'member' AND nonce = $1",
            &[(&id, Type::BYTEA)],
        )?;
        self.exec(
            "DELETE FROM members WHERE id = $1",
            &[(&member, Type::INT8)],
        )?;
        Ok(())
    }

    fn put_roster(&self, epoch: u64, body: &[u8], sig: &[u8]) -> StoreResult<()> {
        self.policy_changed.set(true);
        let e = epoch as i64;
        self.exec(
            "INSERT INTO roster(epoch, body, sig) VALUES ($1, $2, $3)",
            &[(&e, Type::INT8), (&body, Type::BYTEA), (&sig, Type::BYTEA)],
        )?;
        Ok(())
    }

    fn create_login(&self, role: &str, verifier: &str, owner: bool) -> StoreResult<()> {
        // A SECURITY DEFINER function of the vault's creator (who may create
        // roles) checks the caller is an owner and the name and verifier are
        // vault's own before it creates and grants (schema.rs, migration 4).
        self.q(
            "SELECT vault_create_login($1, $2, $3)",
            &[
                (&role, Type::TEXT),
                (&verifier, Type::TEXT),
                (&owner, Type::BOOL),
            ],
        )?;
        self.wrote.set(true);
        Ok(())
    }

    fn drop_login(&self, role: &str) -> StoreResult<()> {
        self.q("SELECT vault_drop_login($1)", &[(&role, Type::TEXT)])?;
        self.wrote.set(true);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_carry_values_as_hex_digits_only() {
        assert_eq!(hex(&[0, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(lit_bytes(b""), "decode('', 'hex')");
        assert_eq!(
            lit_text("a'b\\"),
            "convert_from(decode('6127625c', 'hex'), 'UTF8')"
        );
    }

    #[test]
    fn bytea_text_decodes() {
        assert_eq!(bytea(Some("\\x00ff10")).unwrap(), Some(vec![0, 255, 16]));
        assert_eq!(bytea(None).unwrap(), None);
        assert!(bytea(Some("00ff")).is_err());
        assert!(bytea(Some("\\x0")).is_err());
        assert!(bytea(Some("\\xzz")).is_err());
    }
}

#[cfg(test)]
mod contract_tests;
