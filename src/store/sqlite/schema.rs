//! Schema and migrations, keyed by `PRAGMA user_version`. Each entry of
//! [`MIGRATIONS`] takes the schema from version i to i+1; they run in the
//! caller's transaction so a failed migration changes nothing.

use rusqlite::Connection;

use super::StoreResult as Result;

pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE meta (
        key   TEXT PRIMARY KEY NOT NULL,
        value ANY NOT NULL
    ) STRICT;
    CREATE TABLE slots (
        id        INTEGER PRIMARY KEY,
        kind      TEXT NOT NULL CHECK (kind IN ('keyfile', 'passphrase')),
        kdf       TEXT,
        salt      BLOB,
        nonce     BLOB NOT NULL,
        wrapped   BLOB NOT NULL,
        key_check BLOB NOT NULL
    ) STRICT;
    CREATE TABLE secrets (
        name        TEXT PRIMARY KEY NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('secret', 'variable')),
        scope       TEXT NOT NULL CHECK (scope IN ('global', 'agent')),
        description TEXT NOT NULL DEFAULT '',
        provider    TEXT,
        version     INTEGER NOT NULL,
        created     TEXT NOT NULL,
        updated     TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE versions (
        name       TEXT NOT NULL REFERENCES secrets(name) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
        version    INTEGER NOT NULL,
        nonce      BLOB,
        ciphertext BLOB,
        plain      TEXT,
        created    TEXT NOT NULL,
        PRIMARY KEY (name, version),
        CHECK ((nonce IS NOT NULL AND ciphertext IS NOT NULL AND plain IS NULL)
            OR (nonce IS NULL AND ciphertext IS NULL AND plain IS NOT NULL))
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE agents (
        name        TEXT PRIMARY KEY NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created     TEXT NOT NULL,
        last_run    TEXT
    ) STRICT;
    CREATE TABLE grants (
        agent   TEXT NOT NULL REFERENCES agents(name) ON DELETE CASCADE,
        secret  TEXT NOT NULL REFERENCES secrets(name) ON DELETE CASCADE,
        created TEXT NOT NULL,
        PRIMARY KEY (agent, secret)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX grants_by_secret ON grants(secret);
    CREATE TABLE deliveries (
        agent     TEXT NOT NULL REFERENCES agents(name) ON DELETE CASCADE,
        secret    TEXT NOT NULL REFERENCES secrets(name) ON DELETE CASCADE,
        version   INTEGER NOT NULL,
        delivered TEXT NOT NULL,
        PRIMARY KEY (agent, secret)
    ) STRICT, WITHOUT ROWID;",
    // 2: the audit trail (docs/FORMAT.md §18): one hash chain per actor,
    // append-only; rows are never updated or deleted by vault. WITHOUT
    // ROWID and no second index: an append on `vault run`'s hot path
    // dirties one B-tree, not three (each page is fsynced at checkpoint).
    "CREATE TABLE audit (
        chain   INTEGER NOT NULL,
        seq     INTEGER NOT NULL,
        at      TEXT NOT NULL,
        action  TEXT NOT NULL,
        subject TEXT NOT NULL,
        host    TEXT NOT NULL,
        prev    BLOB NOT NULL,
        hash    BLOB NOT NULL,
        sig     BLOB NOT NULL,
        PRIMARY KEY (chain, seq)
    ) STRICT, WITHOUT ROWID;",
    // 3: environments (docs/FORMAT.md "Environments"). Secrets and versions
    // are keyed by (env, name), "" being the shared row every environment
    // sees unless it has its own; agents get an environment pin; grants
    // stay per name; a delivery records the environment the agent ran in
    // and the row (env) and version it got. Existing rows become shared
    // rows, unchanged. The tables are rebuilt children first, so that
    // dropping an old table never cascades into another one's rows; grants
    // and deliveries no longer reference `secrets` (a name may have rows in
    // several environments): the store removes them with the name's last row.
    "CREATE TABLE versions_3 (
        env        TEXT NOT NULL DEFAULT '',
        name       TEXT NOT NULL,
        version    INTEGER NOT NULL,
        nonce      BLOB,
        ciphertext BLOB,
        plain      TEXT,
        created    TEXT NOT NULL,
        PRIMARY KEY (env, name, version),
        CHECK ((nonce IS NOT NULL AND ciphertext IS NOT NULL AND plain IS NULL)
            OR (nonce IS NULL AND ciphertext IS NULL AND plain IS NOT NULL))
    ) STRICT, WITHOUT ROWID;
    INSERT INTO versions_3(env, name, version, nonce, ciphertext, plain, created)
        SELECT '', name, version, nonce, ciphertext, plain, created FROM versions;
    DROP TABLE versions;
    CREATE TABLE grants_3 (
        agent   TEXT NOT NULL REFERENCES agents(name) ON DELETE CASCADE,
        secret  TEXT NOT NULL,
        created TEXT NOT NULL,
        PRIMARY KEY (agent, secret)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO grants_3(agent, secret, created) SELECT agent, secret, created FROM grants;
    DROP TABLE grants;
    CREATE TABLE deliveries_3 (
        agent     TEXT NOT NULL REFERENCES agents(name) ON DELETE CASCADE,
        env       TEXT NOT NULL DEFAULT '',
        secret    TEXT NOT NULL,
        source    TEXT NOT NULL DEFAULT '',
        version   INTEGER NOT NULL,
        delivered TEXT NOT NULL,
        PRIMARY KEY (agent, env, secret)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO deliveries_3(agent, env, secret, source, version, delivered)
        SELECT agent, '', secret, '', version, delivered FROM deliveries;
    DROP TABLE deliveries;
    CREATE TABLE secrets_3 (
        env         TEXT NOT NULL DEFAULT '',
        name        TEXT NOT NULL,
        kind        TEXT NOT NULL CHECK (kind IN ('secret', 'variable')),
        scope       TEXT NOT NULL CHECK (scope IN ('global', 'agent')),
        description TEXT NOT NULL DEFAULT '',
        provider    TEXT,
        version     INTEGER NOT NULL,
        created     TEXT NOT NULL,
        updated     TEXT NOT NULL,
        PRIMARY KEY (env, name)
    ) STRICT, WITHOUT ROWID;
    INSERT INTO secrets_3(env, name, kind, scope, description, provider, version, created, updated)
        SELECT '', name, kind, scope, description, provider, version, created, updated FROM secrets;
    DROP TABLE secrets;
    ALTER TABLE secrets_3 RENAME TO secrets;
    ALTER TABLE versions_3 RENAME TO versions;
    ALTER TABLE grants_3 RENAME TO grants;
    ALTER TABLE deliveries_3 RENAME TO deliveries;
    CREATE INDEX grants_by_secret ON grants(secret);
    CREATE INDEX secrets_by_name ON secrets(name);
    ALTER TABLE agents ADD COLUMN env TEXT NOT NULL DEFAULT '';",
    // 4: format 2's row tags (docs/FORMAT.md §19): one HMAC per secret row,
    // grant and agent, NULL until vault tags it (every write the store
    // makes to a row clears it). A partial index finds the untagged rows
    // without a scan; in a format-2 vault it is empty between commands.
    "ALTER TABLE secrets ADD COLUMN tag BLOB;
    ALTER TABLE grants ADD COLUMN tag BLOB;
    ALTER TABLE agents ADD COLUMN tag BLOB;
    CREATE INDEX secrets_untagged ON secrets(name, env) WHERE tag IS NULL;
    CREATE INDEX grants_untagged ON grants(agent, secret) WHERE tag IS NULL;
    CREATE INDEX agents_untagged ON agents(name) WHERE tag IS NULL;",
    // 5: agent keys (docs/FORMAT.md §20): a stable id per agent (never
    // reused: `meta.next_agent_id` only grows), key registrations by
    // keyring epoch, keyring wraps per recipient (the agent itself, 0 = the
    // root), DEK wraps per (agent, epoch, env, name, version), and each
    // agent's current signed statement. Self-contained: no existing table
    // changes.
    "CREATE TABLE agent_ids (
        agent TEXT PRIMARY KEY NOT NULL,
        id    INTEGER NOT NULL UNIQUE CHECK (id > 0)
    ) STRICT;
    CREATE TABLE agent_keys (
        agent_id INTEGER NOT NULL,
        epoch    INTEGER NOT NULL CHECK (epoch > 0),
        kem_pk   BLOB NOT NULL,
        sign_pk  BLOB NOT NULL,
        created  TEXT NOT NULL,
        expires  INTEGER NOT NULL DEFAULT 0,
        revoked  TEXT,
        made     TEXT NOT NULL CHECK (made IN ('token', 'enroll')),
        PRIMARY KEY (agent_id, epoch)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE keyring_wraps (
        agent_id  INTEGER NOT NULL,
        epoch     INTEGER NOT NULL,
        recipient INTEGER NOT NULL,
        wrap      BLOB NOT NULL,
        PRIMARY KEY (agent_id, epoch, recipient)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE agent_wraps (
        agent_id INTEGER NOT NULL,
        epoch    INTEGER NOT NULL,
        env      TEXT NOT NULL,
        name     TEXT NOT NULL,
        version  INTEGER NOT NULL,
        wrap     BLOB NOT NULL,
        PRIMARY KEY (agent_id, epoch, env, name, version)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE statements (
        agent_id   INTEGER PRIMARY KEY NOT NULL,
        policy_seq INTEGER NOT NULL,
        signer     INTEGER NOT NULL,
        bytes      BLOB NOT NULL,
        sig        BLOB NOT NULL
    ) STRICT;",
];

/// Bring the schema from `from` to [`SCHEMA_VERSION`].
pub fn migrate(conn: &Connection, from: u32) -> Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        conn.execute_batch(sql)?;
        conn.pragma_update(None, "user_version", (i + 1) as u32)?;
    }
    Ok(())
}
