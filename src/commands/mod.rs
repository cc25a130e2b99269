//! One file per command family. Commands parse nothing (clap did), touch no
//! SQL (the store does) and no crypto (the vault does): they decide what to
//! do, in which transaction, and what to print.

pub mod agents;
pub mod backup;
pub mod complete;
pub mod docs;
pub mod history;
pub mod io;
pub mod keys;
pub mod providers;
pub mod push;
pub mod run;
pub mod secrets;

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::model;
use crate::model::{Kind, Scope, SecretValue};
use crate::paths::Paths;
use crate::store::{SecretRow, StoredValue, Tx};
use crate::vault::Crypt;
use crate::vault::KeySource;

/// What every command gets: where the vault is and how to unlock it.
pub struct Ctx {
    pub paths: Paths,
    pub keys: KeySource,
}

impl Ctx {
    /// `database_url`: `--database-url`, else `VAULT_DATABASE_URL` (empty
    /// counts as unset); the vault is then in PostgreSQL.
    pub fn new(
        vault_dir: Option<PathBuf>,
        passphrase_file: Option<PathBuf>,
        database_url: Option<String>,
    ) -> Result<Ctx> {
        let mut paths = Paths::resolve(vault_dir.as_deref())?;
        let url = database_url.or_else(|| std::env::var("VAULT_DATABASE_URL").ok());
        if let Some(u) = url.filter(|u| !u.is_empty()) {
            paths.database = Some(crate::store::DbUrl::parse(&u)?);
        }
        Ok(Ctx {
            paths,
            keys: KeySource::from_env(passphrase_file),
        })
    }
}

/// "no secret named X", with a did-you-mean from the vault's names.
pub fn no_such_secret(tx: &Tx<'_>, name: &str) -> Error {
    let names = tx.secret_names().unwrap_or_default();
    let mut e = Error::not_found(format!("no secret named {}", model::shown(name)));
    if let Some(m) = model::did_you_mean(name, names.iter().map(String::as_str)) {
        e = e.hint(if m.eq_ignore_ascii_case(name) {
            format!("names are case-sensitive; did you mean {m}?")
        } else {
            format!("did you mean {m}?")
        });
    } else {
        e = e.hint("`vault list` shows the names in this vault");
    }
    e
}

/// "no agent named X", with a did-you-mean.
pub fn no_such_agent(tx: &Tx<'_>, name: &str) -> Error {
    let agents = tx.agents().unwrap_or_default();
    let mut e = Error::not_found(format!("no agent named {}", model::shown(name)));
    if let Some(m) = model::did_you_mean(name, agents.iter().map(|a| a.name.as_str())) {
        e = e.hint(format!("did you mean {m}?"));
    } else if !model::looks_typed(name) {
        e = e.hint("`vault agent list` shows the agents");
    } else {
        e = e.hint(format!(
            "create it with `vault agent create {}`, or see `vault agent list`",
            crate::output::escape(name)
        ));
    }
    e
}

/// Check an agent exists (inside a transaction).
pub fn require_agent(tx: &Tx<'_>, name: &str) -> Result<()> {
    model::check_agent_name(name)?;
    match tx.agent(name)? {
        Some(_) => Ok(()),
        None => Err(no_such_agent(tx, name)),
    }
}

/// The result of [`put_value`]: the row to store (not yet written) and what happened.
pub struct Put {
    pub row: SecretRow,
    /// The name did not exist before.
    pub created: bool,
    /// A new version was written (the value changed).
    pub changed: bool,
    /// The value was the same but the kind changed: its versions were
    /// rewritten in the new form, without a new version.
    pub converted: bool,
}

/// Store `value` as the value of `name` (kind `kind`), given its current row:
/// a new version when the value differs, none when it is the same (a kind
/// change alone rewrites the stored form: agents that have the value are not
/// made stale by it). The caller adjusts description/scope/provider and
/// upserts `row`.
pub fn put_value(
    tx: &Tx<'_>,
    crypt: &Crypt,
    existing: Option<SecretRow>,
    name: &str,
    kind: Kind,
    value: &SecretValue,
    now: &str,
) -> Result<Put> {
    let same = match &existing {
        Some(x) => crypt.open_value(&x.name, x.version, &x.value)? == *value,
        None => false,
    };
    let converted = same && existing.as_ref().is_some_and(|x| x.kind != kind);
    let created = existing.is_none();
    let mut row = existing.unwrap_or_else(|| SecretRow {
        name: name.to_owned(),
        kind,
        scope: Scope::Global,
        description: String::new(),
        provider: None,
        version: 0,
        created: now.to_owned(),
        updated: now.to_owned(),
        value: StoredValue::Plain(zeroize::Zeroizing::new(String::new())),
    });
    if converted {
        convert_kind(tx, crypt, &row, kind)?;
        row.kind = kind;
        row.updated = now.to_owned();
    }
    if !same {
        // A new name has no versions (they are deleted with their secret).
        let version = if created {
            1
        } else {
            tx.max_version(name)? + 1
        };
        let stored = crypt.seal(name, version, kind, value)?;
        tx.insert_version(name, version, &stored, now)?;
        row.version = version;
        row.kind = kind;
        row.updated = now.to_owned();
    }
    Ok(Put {
        row,
        created,
        changed: !same,
        converted,
    })
}

/// Rewrite the stored versions of `row` for kind `to`: to `secret`, every
/// plain-text version is sealed, so no plaintext history is left behind; to
/// `variable`, only the current version becomes plain text (older versions
/// stay sealed).
pub fn convert_kind(
    tx: &Tx<'_>,
    crypt: &crate::vault::Crypt,
    row: &SecretRow,
    to: Kind,
) -> Result<()> {
    let versions = tx.versions(&row.name)?;
    for (version, stored) in versions {
        let is_plain = matches!(stored, StoredValue::Plain(_));
        let rewrite = match to {
            Kind::Secret => is_plain,
            Kind::Variable => !is_plain && version == row.version,
        };
        if rewrite {
            let value = crypt.open_value(&row.name, version, &stored)?;
            let new = crypt.seal(&row.name, version, to, &value)?;
            tx.replace_version(&row.name, version, &new)?;
        }
    }
    Ok(())
}
