//! The storage interface: plain records in and out, one closure per
//! transaction, and errors of its own. No cryptography here: ciphertexts,
//! nonces, key slots and tags are opaque bytes, and no module above this one
//! sees a database type (rusqlite's, or later PostgreSQL's).
//!
//! [`Backend`] is what an engine implements: `read` runs a closure on a
//! consistent snapshot and never commits; `write` runs it in a transaction
//! that holds the write lock (SQLite `BEGIN IMMEDIATE`), committing only if
//! it succeeds. A write closure may run more than once (an engine may retry a
//! transaction that lost a race), so it must not prompt, print or have any
//! effect outside the transaction. [`Records`] is one transaction's view:
//! every query the vault layer needs, object-safe so each engine supplies
//! its own. The contract tests in `contract.rs` hold every engine to the
//! same behaviour.

mod error;
pub mod postgres;
pub mod sqlite;

#[cfg(test)]
pub(crate) mod contract;

use std::time::Duration;

use zeroize::Zeroizing;

use crate::model::{Kind, Scope};

pub use error::StoreError;
pub use postgres::{DbUrl, PgStore};
pub use sqlite::SqliteStore;

/// The vault's store, whichever engine holds it.
pub type Store = AnyStore;

/// One of the engines: SQLite (`vault.db`) or PostgreSQL
/// (`VAULT_DATABASE_URL` / `--database-url`).
pub enum AnyStore {
    Sqlite(SqliteStore),
    Postgres(Box<PgStore>),
}

impl AnyStore {
    /// Open an existing vault: the PostgreSQL one `url` names, else `db`.
    pub fn open_at(
        db: &std::path::Path,
        url: Option<&DbUrl>,
        max_format: u32,
    ) -> StoreResult<AnyStore> {
        Ok(match url {
            Some(u) => AnyStore::Postgres(Box::new(PgStore::open(u, max_format)?)),
            None => AnyStore::Sqlite(SqliteStore::open(db, max_format)?),
        })
    }

    /// Create a vault; `Ok(None)` when one already exists there.
    pub fn create_at(
        db: &std::path::Path,
        url: Option<&DbUrl>,
        init: &NewVault<'_>,
        first_slot: &SlotRow,
    ) -> StoreResult<Option<AnyStore>> {
        Ok(match url {
            Some(u) => {
                PgStore::create(u, init, first_slot)?.map(|s| AnyStore::Postgres(Box::new(s)))
            }
            None => SqliteStore::create(db, init, first_slot)?.map(AnyStore::Sqlite),
        })
    }

    /// A consistent copy of the whole vault in a new file (SQLite only).
    pub fn backup_to(&self, dest: &std::path::Path) -> StoreResult<()> {
        match self {
            AnyStore::Sqlite(s) => s.backup_to(dest),
            AnyStore::Postgres(p) => Err(StoreError::Refused(
                crate::error::Error::usage(format!(
                    "`vault backup` copies a local vault file; the {} is backed up by PostgreSQL",
                    p.shown()
                ))
                .hint("use pg_dump --schema=NAME (the vault=NAME of the URL) or your server's backups; the dump holds ciphertext only"),
            )),
        }
    }
}

impl Backend for AnyStore {
    fn read<T>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> crate::error::Result<T>,
    ) -> crate::error::Result<T> {
        match self {
            AnyStore::Sqlite(s) => s.read(f),
            AnyStore::Postgres(p) => p.read(f),
        }
    }

    fn read_again<T>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> crate::error::Result<T>,
    ) -> crate::error::Result<T> {
        match self {
            AnyStore::Sqlite(s) => s.read_again(f),
            AnyStore::Postgres(p) => p.read_again(f),
        }
    }

    fn write<T>(
        &mut self,
        f: impl FnMut(&Tx<'_>) -> crate::error::Result<T>,
    ) -> crate::error::Result<T> {
        match self {
            AnyStore::Sqlite(s) => s.write(f),
            AnyStore::Postgres(p) => p.write(f),
        }
    }

    fn relax_durability(&self) -> StoreResult<()> {
        match self {
            AnyStore::Sqlite(s) => s.relax_durability(),
            AnyStore::Postgres(p) => p.relax_durability(),
        }
    }

    fn watch(&self) -> StoreResult<Box<dyn ChangeWatch>> {
        match self {
            AnyStore::Sqlite(s) => s.watch(),
            AnyStore::Postgres(p) => p.watch(),
        }
    }

    fn end_read(&mut self) -> StoreResult<()> {
        match self {
            AnyStore::Sqlite(s) => s.end_read(),
            AnyStore::Postgres(p) => p.end_read(),
        }
    }
}

/// What a store operation returns.
pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// One transaction's view of the vault, as the vault layer uses it.
pub type Tx<'a> = dyn Records + 'a;

/// A storage engine: transactions over [`Records`].
pub trait Backend {
    /// Run `f` on a consistent snapshot; always ends in a rollback, so
    /// nothing `f` does is ever committed.
    fn read<T>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> crate::error::Result<T>,
    ) -> crate::error::Result<T>;

    /// Like [`Backend::read`], but `f` may run on the snapshot of the
    /// previous read, or the one the engine took when it opened, when
    /// nothing was written since: it sees the vault as it was then (never a
    /// part of a write). For a command's first looks right after opening
    /// (`Vault::open` reads the key slots, `vault run` unlocks, then reads
    /// the policy): a server engine saves a round trip each. A loop
    /// watching for changes uses `read`.
    fn read_again<T>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> crate::error::Result<T>,
    ) -> crate::error::Result<T> {
        self.read(f)
    }

    /// Run `f` holding the write lock; commit only if it succeeds. `f` may
    /// be called again when the engine retries the transaction.
    fn write<T>(
        &mut self,
        f: impl FnMut(&Tx<'_>) -> crate::error::Result<T>,
    ) -> crate::error::Result<T>;

    /// Lower durability to "survives a crash of vault, maybe not of the OS"
    /// for bookkeeping writes on the hot path (`vault run`'s delivery record).
    fn relax_durability(&self) -> StoreResult<()>;

    /// A cheap way to learn that the vault may have changed (`vault run
    /// --watch`), on a connection of its own: commits through this store's
    /// connection count as much as anyone else's.
    fn watch(&self) -> StoreResult<Box<dyn ChangeWatch>>;

    /// End what a `read` may have left open for the next transaction to end
    /// (PostgreSQL saves a round trip so): before a long idle time, such as
    /// a watch between two changes. Nothing to do where reads end at once.
    fn end_read(&mut self) -> StoreResult<()> {
        Ok(())
    }
}

/// Tells when the vault may have changed, without reading it. A change
/// reported may be one that matters to nobody (a run's delivery record on
/// SQLite, a safety poll, a reconnect): the caller re-reads what it cares
/// about and compares. A change is never missed: a commit after
/// [`Backend::watch`] returned is reported by the next `wait` at the latest.
pub trait ChangeWatch: Send {
    /// Wait up to `timeout`: true as soon as a change may have been
    /// committed since the last call, false when none was before the
    /// timeout. An error is a lost connection or database: the caller
    /// warns and calls again (the engine reconnects and then reports a
    /// change, since it cannot know what it missed).
    fn wait(&mut self, timeout: Duration) -> StoreResult<bool>;
}

/// Every query of one transaction.
pub trait Records {
    /// The vault's random id (`meta.vault_id`).
    fn vault_id(&self) -> StoreResult<Vec<u8>>;
    /// A `meta` value as bytes (integers as their decimal text).
    fn meta(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;
    fn set_meta(&self, key: &str, value: &[u8]) -> StoreResult<()>;
    /// Set `meta.format`, stored the way the engine's open-time check reads
    /// it (an INTEGER on SQLite, decimal text on PostgreSQL).
    fn set_format(&self, format: u32) -> StoreResult<()>;
    /// The schema version the vault's tables are at (`vault info`).
    fn schema_version(&self) -> StoreResult<u32>;
    /// Key slots, oldest first.
    fn slots(&self) -> StoreResult<Vec<SlotRow>>;
    /// Add a key slot (its `id` is ignored); returns the new slot's id.
    fn insert_slot(&self, slot: &SlotRow) -> StoreResult<i64>;
    /// Remove a key slot; false when there was none with this id.
    fn delete_slot(&self, id: i64) -> StoreResult<bool>;
    /// The row of `name` in environment `env` ("" = the shared row).
    fn secret(&self, env: &str, name: &str) -> StoreResult<Option<SecretRow>>;
    /// Secret rows of every environment, sorted by name then environment
    /// (the shared row first), for an audience: everything, or what an
    /// agent may receive (rows that are global, or whose name it is granted).
    fn secrets(&self, audience: Audience<'_>) -> StoreResult<Vec<SecretRow>>;
    /// Every secret row (every environment, sorted as `secrets`) with only
    /// what the policy tag covers and what a run injects (env, name, kind,
    /// scope, provider, version, stored value); description and timestamps
    /// left empty: cheap enough for the hot path.
    fn policy_rows(&self) -> StoreResult<Vec<SecretRow>>;
    /// [`Records::policy_rows`], each row with its format-2 row tag
    /// (`None`: untagged), from one statement: a check of every row reads
    /// each row once, and a row cannot change between its read and its tag's.
    fn tagged_policy_rows(&self) -> StoreResult<Vec<(SecretRow, Option<Vec<u8>>)>>;
    /// [`Records::secret`] with the row's format-2 tag (`None`: untagged),
    /// from one statement.
    fn tagged_secret(
        &self,
        env: &str,
        name: &str,
    ) -> StoreResult<Option<(SecretRow, Option<Vec<u8>>)>>;
    /// Distinct secret names (of any environment), sorted.
    fn secret_names(&self) -> StoreResult<Vec<String>>;
    /// The environments `name` has a row in, sorted ("" first when shared).
    fn secret_envs(&self, name: &str) -> StoreResult<Vec<String>>;
    /// Highest version ever stored for `name` in `env` (0 if none).
    fn max_version(&self, env: &str, name: &str) -> StoreResult<u64>;
    /// Every stored version of `name` in `env`, oldest first.
    fn versions(&self, env: &str, name: &str) -> StoreResult<Vec<(u64, StoredValue)>>;
    /// Every stored version of `name` in `env` with the time it was made, oldest first.
    fn history(&self, env: &str, name: &str) -> StoreResult<Vec<VersionRow>>;
    /// Store `value` as `version` of `name` in `env` (a new row; versions are never overwritten).
    fn insert_version(
        &self,
        env: &str,
        name: &str,
        version: u64,
        value: &StoredValue,
        now: &str,
    ) -> StoreResult<()>;
    /// Rewrite an existing version in another form (kind change secret <-> variable).
    fn replace_version(
        &self,
        env: &str,
        name: &str,
        version: u64,
        value: &StoredValue,
    ) -> StoreResult<()>;
    /// Insert or update a secret's metadata row, keyed by (env, name) (the
    /// value lives in `versions`).
    fn upsert_secret(&self, s: &SecretRow) -> StoreResult<()>;
    /// Add new secrets, each with `value` as its one stored version
    /// (`version`, made at `created`): what `insert_version` and
    /// `upsert_secret` do per row, for many rows at once (an import). Fails
    /// if an (env, name) exists.
    /// `tags`, when given, are the rows' format-2 row tags (docs/FORMAT.md
    /// §19), one per row, stored with them; without, the rows are untagged.
    fn insert_secrets(&self, rows: &[SecretRow], tags: Option<&[[u8; 32]]>) -> StoreResult<()>;
    /// Delete the row of `name` in `env` with its versions and the delivery
    /// records of it; when no environment has `name` any more, also its
    /// grants and every delivery record of the name.
    fn delete_secret(&self, env: &str, name: &str) -> StoreResult<bool>;
    /// Give secret `old` the name `new` in every environment, with
    /// everything that hangs on it: its metadata rows, every version
    /// (stored values as they are: resealing them for the new name is the
    /// caller's), grants and delivery records. False when there is no
    /// `old`; an error when `new` exists.
    fn rename_secret(&self, old: &str, new: &str) -> StoreResult<bool>;
    fn agent(&self, name: &str) -> StoreResult<Option<AgentRow>>;
    fn agents(&self) -> StoreResult<Vec<AgentRow>>;
    /// (agent, environment) of every agent pinned to an environment, by agent.
    fn pins(&self) -> StoreResult<Vec<(String, String)>> {
        Ok(self
            .agents()?
            .into_iter()
            .filter(|a| !a.env.is_empty())
            .map(|a| (a.name, a.env))
            .collect())
    }
    /// Every environment named anywhere (secret rows and agent pins), sorted.
    fn env_names(&self) -> StoreResult<Vec<String>>;
    /// Returns false when the agent already exists. `env` pins it ("" = none).
    fn create_agent(
        &self,
        name: &str,
        description: &str,
        env: &str,
        now: &str,
    ) -> StoreResult<bool>;
    /// Delete an agent with its grants and delivery records.
    fn delete_agent(&self, name: &str) -> StoreResult<bool>;
    /// Agents a secret is granted to, sorted.
    fn grantees(&self, secret: &str) -> StoreResult<Vec<String>>;
    /// The names granted to an agent, sorted.
    fn grants(&self, agent: &str) -> StoreResult<Vec<String>>;
    /// What `agent` last received in runs in environment `env`, by name.
    fn deliveries(&self, agent: &str, env: &str) -> StoreResult<Vec<DeliveryRow>>;
    /// Returns false when the grant already existed.
    fn grant(&self, agent: &str, secret: &str, now: &str) -> StoreResult<bool>;
    /// Returns false when there was no such grant.
    fn revoke(&self, agent: &str, secret: &str) -> StoreResult<bool>;
    /// Every grant in the vault, as (agent, secret), sorted.
    fn all_grants(&self) -> StoreResult<Vec<(String, String)>>;
    /// Record that `agent`, running in environment `env`, received these
    /// secrets now: (name, the environment of the row it got, version).
    fn record_delivery(
        &self,
        agent: &str,
        env: &str,
        delivered: &[(&str, &str, u64)],
        now: &str,
    ) -> StoreResult<()>;
    /// Format 2's row tags (docs/FORMAT.md §19). Every write the store
    /// makes to a tagged row (an insert, or a change of any field a tag
    /// covers) leaves it untagged (NULL); the caller tags it in the same
    /// transaction. Keys: secrets (env, name), grants (agent, secret),
    /// agents (name, ""). `None`: no such row; `Some(None)`: untagged.
    fn row_tag(&self, table: Tagged, a: &str, b: &str) -> StoreResult<Option<Option<Vec<u8>>>>;
    /// Every row of `table` with its tag: secrets (env, name) sorted by
    /// name then env, grants (agent, secret), agents (name, pinned env).
    fn row_tags(&self, table: Tagged) -> StoreResult<Vec<TaggedRow>>;
    /// The names granted to `agent`, sorted, each with its grant's tag.
    fn grant_tags_of(&self, agent: &str) -> StoreResult<Vec<(String, Option<Vec<u8>>)>>;
    /// True when this transaction already holds every policy row, fetched
    /// with its `BEGIN` (PostgreSQL's run batch): reading them again one
    /// name at a time would cost a round trip each.
    fn has_prefetch(&self) -> bool {
        false
    }
    /// Store the tag of one row (keys as in `row_tag`).
    fn set_row_tag(&self, table: Tagged, a: &str, b: &str, tag: &[u8]) -> StoreResult<()>;
    /// Keys of at most `limit` untagged rows of `table` (agents: (name,
    /// pinned env)), through a partial index: cheap when there are none.
    fn untagged(&self, table: Tagged, limit: usize) -> StoreResult<Vec<(String, String)>>;
    /// Append one audit entry; a (chain, seq) that exists already is an
    /// error (two writers raced for the same head: the write is retried).
    fn append_audit(&self, entry: &AuditRow) -> StoreResult<()>;
    /// The last entry of `chain` as (seq, hash), `None` for an empty chain.
    fn audit_head(&self, chain: u64) -> StoreResult<Option<(u64, Vec<u8>)>>;
    /// Audit entries matching `filter`, by chain then seq.
    fn audit_entries(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditRow>>;
    /// The stable id of agent `agent` (agent keys, docs/FORMAT.md §20), if
    /// it has been given one.
    fn agent_id(&self, agent: &str) -> StoreResult<Option<u64>>;
    /// The id of `agent`, giving it a new one (never used before in this
    /// vault, from `meta.next_agent_id`) when it has none.
    fn assign_agent_id(&self, agent: &str) -> StoreResult<u64>;
    /// The newest key registration of every agent that has one (revoked
    /// ones included), by agent name.
    fn agent_keys(&self) -> StoreResult<Vec<AgentKeyRow>>;
    /// The newest key registration of `agent`.
    fn agent_key(&self, agent: &str) -> StoreResult<Option<AgentKeyRow>> {
        Ok(self.agent_keys()?.into_iter().find(|k| k.agent == agent))
    }
    /// Add a key registration (a new epoch of the agent's keyring).
    fn insert_agent_key(&self, k: &AgentKeyRow) -> StoreResult<()>;
    /// Mark every registration of agent `agent_id` revoked (at `now`) and
    /// delete its keyring wraps, DEK wraps and statement.
    fn revoke_agent_keys(&self, agent_id: u64, now: &str) -> StoreResult<()>;
    /// The keyring wrap of agent `agent_id`, `epoch`, for `recipient` (0 = root).
    fn keyring_wrap(
        &self,
        agent_id: u64,
        epoch: u64,
        recipient: u64,
    ) -> StoreResult<Option<Vec<u8>>>;
    fn put_keyring_wrap(
        &self,
        agent_id: u64,
        epoch: u64,
        recipient: u64,
        wrap: &[u8],
    ) -> StoreResult<()>;
    /// (agent id, epoch, recipient) of every keyring wrap, by agent id,
    /// epoch and recipient (the owners' write checks members' wraps with it).
    fn keyring_recipients(&self) -> StoreResult<Vec<(u64, u64, u64)>>;
    /// (env, name, version) of every DEK wrap held for agent `agent_id`, `epoch`.
    fn agent_wrap_keys(&self, agent_id: u64, epoch: u64)
        -> StoreResult<Vec<(String, String, u64)>>;
    /// Insert or replace the DEK wrap of (env, name, version) for the agent.
    fn put_agent_wrap(&self, w: &AgentWrapRow) -> StoreResult<()>;
    fn delete_agent_wrap(
        &self,
        agent_id: u64,
        epoch: u64,
        env: &str,
        name: &str,
        version: u64,
    ) -> StoreResult<()>;
    /// For each (env, name, version): the stored value and the agent's DEK
    /// wrap of it (either may be missing), in the order asked. Reads only
    /// these rows (an agent's run must not read the whole vault).
    fn agent_payload(
        &self,
        agent_id: u64,
        epoch: u64,
        items: &[(String, String, u64)],
    ) -> StoreResult<Vec<Payload>>;
    /// The current signed statement of agent `agent_id`.
    fn statement(&self, agent_id: u64) -> StoreResult<Option<StatementRow>>;
    /// Replace the agent's statement.
    fn put_statement(&self, s: &StatementRow) -> StoreResult<()>;
    /// Delete the entries of `chain` up to and including `through_seq`
    /// (`vault audit prune`, in the transaction that appends the signed
    /// checkpoint recording them); returns how many went.
    fn prune_audit(&self, chain: u64, through_seq: u64) -> StoreResult<u64>;

    // Team members (PostgreSQL only; a SQLite vault has none and refuses
    // to add one).
    /// Every member, by id.
    fn members(&self) -> StoreResult<Vec<MemberRow>> {
        Ok(Vec::new())
    }
    /// Every right, as (member id, agent, right), by member then agent.
    fn rights(&self) -> StoreResult<Vec<(i64, String, String)>> {
        Ok(Vec::new())
    }
    /// The latest roster as (epoch, body, signature).
    fn roster(&self) -> StoreResult<Option<RosterRow>> {
        Ok(None)
    }
    /// Every stored roster, newest first.
    fn rosters(&self) -> StoreResult<Vec<RosterRow>> {
        Ok(Vec::new())
    }
    /// Untagged grant rows that carry a manager's signature, as (agent,
    /// secret, member id, signature) (docs/FORMAT.md §21.8).
    fn signed_grants(&self) -> StoreResult<Vec<SignedGrant>> {
        Ok(Vec::new())
    }
    /// A grant row a manager signed (no tag); false when it existed.
    fn grant_signed(
        &self,
        _agent: &str,
        _secret: &str,
        _now: &str,
        _signer: i64,
        _sig: &[u8],
    ) -> StoreResult<bool> {
        Err(members_need_postgres())
    }
    /// The next `policy_seq`, taken by a manager (who may not write `meta`).
    fn next_policy_seq(&self) -> StoreResult<u64> {
        Err(members_need_postgres())
    }
    /// Add a member (its `id` is ignored); returns the new id.
    fn insert_member(&self, _m: &MemberRow) -> StoreResult<i64> {
        Err(members_need_postgres())
    }
    /// Replace a member's rights with `rights` (agent, right).
    fn set_rights(&self, _member: i64, _rights: &[(String, String)]) -> StoreResult<()> {
        Err(members_need_postgres())
    }
    /// Delete a member with its rights and its member slot.
    fn delete_member(&self, _member: i64) -> StoreResult<()> {
        Err(members_need_postgres())
    }
    /// Store the roster of a new epoch.
    fn put_roster(&self, _epoch: u64, _body: &[u8], _sig: &[u8]) -> StoreResult<()> {
        Err(members_need_postgres())
    }
    /// Create the database login of a member: `verifier` is its SCRAM
    /// verifier; an owner gets every privilege on the vault's tables, a
    /// member reads them (row-level security narrows what it sees).
    fn create_login(&self, _role: &str, _verifier: &str, _owner: bool) -> StoreResult<()> {
        Err(members_need_postgres())
    }
    /// Take every privilege away from a member's login and drop it.
    fn drop_login(&self, _role: &str) -> StoreResult<()> {
        Err(members_need_postgres())
    }
}

fn members_need_postgres() -> StoreError {
    StoreError::Refused(
        crate::error::Error::usage("team members need a vault on PostgreSQL; this vault is a local file")
            .hint("push it to a server first: `vault push --database-url URL`, then run the member command with --database-url URL"),
    )
}

/// An untagged grant row a manager signed: (agent, secret, member id, signature).
pub type SignedGrant = (String, String, i64, Vec<u8>);

/// A signed roster as stored: (epoch, body, signature).
pub type RosterRow = (u64, Vec<u8>, Vec<u8>);

/// A team member as stored (`members`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub id: i64,
    pub name: String,
    pub pg_role: String,
    pub kem_pk: Vec<u8>,
    pub sign_pk: Vec<u8>,
    /// `owner` or `member`.
    pub role: String,
    pub created: String,
}

/// One audit entry as stored (docs/FORMAT.md "Audit trail"). `subject` is
/// canonical JSON of names, versions and agents: never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub chain: u64,
    pub seq: u64,
    pub at: String,
    pub action: String,
    pub subject: String,
    pub host: String,
    pub prev: Vec<u8>,
    pub hash: Vec<u8>,
    pub sig: Vec<u8>,
}

/// Which audit entries to read; the default is all of them.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this chain.
    pub chain: Option<u64>,
    /// Only entries with `seq` above this one (with `chain`: a cursor).
    pub after_seq: Option<u64>,
    /// Only entries made at or after this time (RFC 3339, UTC; a scan:
    /// the table is keyed by chain and seq only).
    pub since: Option<String>,
}

/// How long a command waits for another one holding the database (SQLite's
/// busy timeout; PostgreSQL's lock wait is bounded the same).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Whose view of the secrets a query takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience<'a> {
    /// Every secret (listing, backup export).
    Everything,
    /// Rows an agent may receive: global ones, and every row of a name
    /// granted to it. The vault layer picks an environment's rows first and
    /// narrows by grants itself (an environment's own agent-only row must
    /// hide the shared one), so only the contract tests use this.
    #[cfg_attr(not(test), allow(dead_code))]
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

/// One stored version of a secret: its number, when it was made, its value as stored.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub version: u64,
    pub created: String,
    pub value: StoredValue,
}

/// A secret's metadata, and its current value as stored.
#[derive(Debug, Clone)]
pub struct SecretRow {
    /// The environment this row belongs to; "" for the shared row.
    pub env: String,
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

/// A table whose rows carry a format-2 row tag (docs/FORMAT.md §19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagged {
    Secrets,
    Grants,
    Agents,
}

/// Two keys of a tagged row and its tag (`None`: untagged).
pub type TaggedRow = (String, String, Option<Vec<u8>>);

#[derive(Debug, Clone)]
pub struct AgentRow {
    pub name: String,
    pub description: String,
    pub created: String,
    pub last_run: Option<String>,
    /// The environment its runs use unless told otherwise; "" = none.
    pub env: String,
}

/// What [`Records::agent_payload`] gives per item: the stored value and
/// the agent's DEK wrap of it, either possibly missing.
pub type Payload = (Option<StoredValue>, Option<Vec<u8>>);

/// One registration of an agent's key pair: keyring epoch `epoch` of agent
/// `agent_id` (docs/FORMAT.md §20).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentKeyRow {
    pub agent_id: u64,
    /// The agent's name (from `agent_ids`; ignored on insert).
    pub agent: String,
    pub epoch: u64,
    pub kem_pk: Vec<u8>,
    pub sign_pk: Vec<u8>,
    pub created: String,
    /// Unix seconds; 0 = never.
    pub expires: u64,
    pub revoked: Option<String>,
    /// `token` or `enroll`.
    pub made: String,
}

/// A DEK wrap for one agent (docs/FORMAT.md §12.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentWrapRow {
    pub agent_id: u64,
    pub epoch: u64,
    pub env: String,
    pub name: String,
    pub version: u64,
    pub wrap: Vec<u8>,
}

/// An agent's current signed statement (docs/FORMAT.md §15).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRow {
    pub agent_id: u64,
    pub policy_seq: u64,
    /// 0 = the root.
    pub signer: u64,
    pub bytes: Vec<u8>,
    pub sig: Vec<u8>,
}

/// What an agent last received of one secret in one environment's runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    pub secret: String,
    /// The environment of the row it received ("" = the shared one).
    pub source: String,
    pub version: u64,
    pub delivered: String,
}

/// What a new vault starts with.
pub struct NewVault<'a> {
    pub vault_id: &'a [u8],
    /// The on-disk format it is written in (`meta.format`).
    pub format: u32,
    pub created: &'a str,
    /// Authentication tag of the (empty) policy.
    pub policy_tag: &'a [u8],
    /// More `meta` rows written with the others (format 2's root keys).
    pub extra_meta: &'a [(&'a str, &'a [u8])],
}

/// The rule both engines apply on open to `meta.format` (read as an
/// integer when it is one) and `meta.reader`: a missing or non-positive
/// format is damage (exit 6); a newer one than `max_format` is refused before
/// anything is written, naming the release a newer vault recorded in
/// `meta.reader`. `place` names the vault in messages (a path, or the
/// PostgreSQL vault without its password).
pub(crate) fn check_format(
    place: &str,
    format: Option<i64>,
    reader: Option<String>,
    max_format: u32,
) -> StoreResult<()> {
    let format = match format {
        Some(f) if f >= 1 => f,
        _ => {
            return Err(StoreError::Damaged(format!(
                "{place} has no readable format version in its metadata"
            )))
        }
    };
    if format > i64::from(max_format) {
        let who = reader
            .filter(|r| !r.is_empty() && r.len() <= 32 && r.chars().all(|c| c.is_ascii_graphic()))
            .map(|r| format!("vault {r} or newer"))
            .unwrap_or_else(|| format!("a vault release that reads format {format}"));
        return Err(crate::error::Error::other(format!(
            "{place} is in vault format {format}, written by a newer vault; this vault ({}) reads format {max_format} and older",
            env!("CARGO_PKG_VERSION")
        ))
        .hint(format!("install {who} to use it; nothing was changed"))
        .into());
    }
    Ok(())
}
