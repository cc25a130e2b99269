//! Renames and clones (DESIGN §7.5): `vault rename OLD NEW` and `vault
//! agent create NEW --from OLD`. A rename keeps everything that hangs on a
//! secret (history, grants, deliveries) but not its ciphertexts as they
//! were: each sealed version is bound to its name (docs/FORMAT.md, the
//! value's associated data), so every one is opened under OLD and sealed
//! again under NEW, in the transaction that moves the rows. A ciphertext of
//! the old name copied onto the new one later still fails to open (exit 6).

use super::{no_such_agent, no_such_secret, KeySource, Vault};
use crate::error::{Error, Result};
use crate::model::{self, Kind};
use crate::store::StoredValue;

/// What `rename` did.
pub struct Renamed {
    /// How many stored versions moved (all of them).
    pub versions: usize,
    /// The agents the secret is granted to, now under its new name.
    pub grantees: Vec<String>,
}

/// What `agent create --from` did.
pub struct Cloned {
    /// The secrets granted to the new agent (the old one's grants).
    pub grants: Vec<String>,
    /// Its environment pin ("" = none).
    pub env: String,
}

impl Vault {
    /// Rename secret `old` to `new` (a valid name, checked by the caller):
    /// exit 3 when there is no `old`, 4 when `new` is taken. One
    /// transaction: metadata, every version (resealed for the new name),
    /// grants, deliveries, the policy tag and the audit entry.
    pub fn rename_secret(
        &mut self,
        src: &KeySource,
        old: &str,
        new: &str,
        now: &str,
    ) -> Result<Renamed> {
        self.write(src, |tx, crypt| {
            // Every environment's row moves: the shared one and each override.
            let envs = tx.secret_envs(old)?;
            if envs.is_empty() {
                return Err(no_such_secret(tx, old).also("nothing was renamed"));
            }
            if !tx.secret_envs(new)?.is_empty() {
                let e = if old == new {
                    Error::conflict(format!("{} already has that name", model::secret_name(new)))
                } else {
                    Error::conflict(format!(
                        "a secret named {} already exists; nothing was renamed",
                        model::secret_name(new)
                    ))
                };
                return Err(e.hint(format!(
                    "pick another name, or delete {} first (`vault delete {}`) if you mean to replace it",
                    model::secret_name(new),
                    model::secret_name(new)
                )));
            }
            // Every sealed version opened under its old binding before
            // anything is written: a damaged one stops the rename (exit 6)
            // instead of being carried over under the new name.
            // (Each environment's versions under its own binding, §5.4.)
            let mut count = 0;
            let mut resealed = Vec::new();
            let mut rows = Vec::new();
            for env in &envs {
                if let Some(row) = tx.secret(env, old)? {
                    rows.push(row);
                }
                for (version, stored) in tx.versions(env, old)? {
                    count += 1;
                    if let StoredValue::Sealed { .. } = stored {
                        let value = crypt.open_value(env, old, version, &stored)?;
                        let sealed = crypt.seal(env, new, version, Kind::Secret, &value)?;
                        resealed.push((env.clone(), version, sealed));
                    }
                }
            }
            if !tx.rename_secret(old, new)? {
                return Err(no_such_secret(tx, old));
            }
            for (env, version, sealed) in &resealed {
                tx.replace_version(env, new, *version, sealed)?;
            }
            for mut row in rows {
                row.name = new.to_owned();
                row.updated = now.to_owned();
                tx.upsert_secret(&row)?;
            }
            let versions = count;
            let grantees = tx.grantees(new)?;
            super::audit::append(
                tx,
                crypt,
                "rename",
                serde_json::json!({
                    "from": old,
                    "to": new,
                    "versions": versions,
                    "agents": super::audit::bounded(&grantees),
                }),
            )?;
            Ok(Renamed {
                versions,
                grantees,
            })
        })
    }

    /// Create agent `new` as a clone of `from`: the same grants, `from`'s
    /// description unless `description` is given, and its environment pin
    /// unless `env` is given. Exit 3 when
    /// there is no `from`, 4 (as `agent create`) when `new` exists. The
    /// clone has received nothing yet: its grants show as pending.
    pub fn clone_agent(
        &mut self,
        src: &KeySource,
        new: &str,
        from: &str,
        description: Option<&str>,
        env: Option<&str>,
        now: &str,
    ) -> Result<Cloned> {
        model::check_agent_name(from)?;
        self.write(src, |tx, crypt| {
            let Some(original) = tx.agent(from)? else {
                return Err(no_such_agent(tx, from).also("no agent was created"));
            };
            let description = description.unwrap_or(&original.description);
            let env = env.unwrap_or(&original.env);
            if !tx.create_agent(new, description, env, now)? {
                return Err(super::agents::agent_exists(new));
            }
            let grants: Vec<String> = tx.grants(from)?;
            for secret in &grants {
                tx.grant(new, secret, now)?;
            }
            super::audit::append(
                tx,
                crypt,
                "agent-create",
                super::audit::with_env(
                    env,
                    serde_json::json!({
                        "agent": new,
                        "from": from,
                        "names": super::audit::bounded(&grants),
                    }),
                ),
            )?;
            Ok(Cloned {
                grants,
                env: env.to_owned(),
            })
        })
    }
}
