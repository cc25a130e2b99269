//! A secret's versions (`vault history`) and going back to one of them
//! (`vault rollback`). History is never rewritten: a rollback is a new
//! version that holds an old version's value, sealed under the new
//! version's own binding (name + version), so every ciphertext still opens
//! only where it was written.

use super::{KeySource, Vault};
use crate::error::{Error, Result};
use crate::model::Kind;
use crate::store::{Backend, StoredValue};

/// Every version of one secret, as `vault history` shows it.
pub struct History {
    /// The environment whose row this is ("" = the shared one).
    pub env: String,
    pub name: String,
    pub kind: Kind,
    /// The version `get` and `run` serve.
    pub current: u64,
    pub versions: Vec<VersionEntry>,
}

/// One version: never its secret value. `plain` is the text of a version
/// stored as a variable (shown, like `list` shows variables).
pub struct VersionEntry {
    pub version: u64,
    pub created: String,
    pub plain: Option<String>,
}

impl Vault {
    /// The versions of `name`, oldest first. Needs no key: secret values
    /// are never read, and variables are plain text.
    /// `env` shows the row that environment sees (its own, else the shared one).
    pub fn history(&mut self, env: &str, name: &str) -> Result<History> {
        self.store.read(|tx| {
            let row = super::rules::effective_row(tx, env, name)?
                .ok_or_else(|| super::rules::no_such_secret_in(tx, env, name))?;
            let versions = tx
                .history(&row.env, name)?
                .into_iter()
                .map(|v| VersionEntry {
                    version: v.version,
                    created: v.created,
                    plain: match v.value {
                        StoredValue::Plain(p) => Some(p.to_string()),
                        StoredValue::Sealed { .. } => None,
                    },
                })
                .collect();
            Ok(History {
                env: row.env,
                name: row.name,
                kind: row.kind,
                current: row.version,
                versions,
            })
        })
    }

    /// Make version `to`'s value the current one, as a new version; returns
    /// the new version's number. Exit 3 (listing what exists) when `name`
    /// has no version `to`.
    /// Rolls back the row of `env` itself ("" = the shared one): an
    /// environment that uses the shared value has no versions of its own.
    pub fn rollback(
        &mut self,
        src: &KeySource,
        env: &str,
        name: &str,
        to: u64,
        now: &str,
    ) -> Result<u64> {
        self.write(src, |tx, crypt| {
            let mut row = tx
                .secret(env, name)?
                .ok_or_else(|| super::rules::no_such_secret_in(tx, env, name))?;
            let versions = tx.versions(env, name)?;
            let Some((_, stored)) = versions.iter().find(|(v, _)| *v == to) else {
                let have: Vec<String> = versions.iter().map(|(v, _)| v.to_string()).collect();
                return Err(Error::not_found(format!(
                    "{name} has no version {to} (its versions: {})",
                    if have.is_empty() {
                        "none".to_owned()
                    } else {
                        have.join(", ")
                    }
                ))
                .hint(format!("`vault history {name}` lists them")));
            };
            // Opened under its own binding (name + version `to`) ...
            let value = crypt.open_value(env, name, to, stored)?;
            let version = tx.max_version(env, name)? + 1;
            // ... and sealed under the new one, in the secret's current kind.
            let sealed = crypt.seal(env, name, version, row.kind, &value)?;
            tx.insert_version(env, name, version, &sealed, now)?;
            row.version = version;
            row.updated = now.to_owned();
            tx.upsert_secret(&row)?;
            super::audit::append(
                tx,
                crypt,
                "rollback",
                super::audit::with_env(
                    env,
                    serde_json::json!({ "name": name, "to": to, "version": version }),
                ),
            )?;
            Ok(version)
        })
    }
}
