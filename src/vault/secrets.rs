//! The life of one secret: `set`, `get`, `list`, `edit`, `delete`, and the
//! names the completion scripts offer. Each operation takes a typed request
//! and returns what happened as data (changes in words, who still receives
//! a secret, whether the policy verified); saying it, and asking the user
//! anything, is the command's job, before or after the call.

use zeroize::Zeroizing;

use super::{KeySource, Vault};
use crate::error::{Error, Result};
use crate::model::{Kind, Receives, Scope, SecretValue};
use crate::store::{Audience, Backend, SecretRow, StoredValue};

/// A secret's metadata as commands show it: never a secret value. `plain`
/// is the text of a variable stored as plain text (shown like `list` shows
/// variables); `None` means the value is shown masked.
pub struct SecretInfo {
    /// Where the value comes from: "" for the shared row, else the
    /// environment whose own row it is.
    pub env: String,
    pub name: String,
    pub kind: Kind,
    pub scope: Scope,
    pub description: String,
    pub provider: Option<String>,
    pub version: u64,
    pub created: String,
    pub updated: String,
    pub plain: Option<String>,
    /// The agents it is granted to, in grant order (filled where the
    /// operation says so, else empty).
    pub agents: Vec<String>,
}

impl SecretInfo {
    fn from_row(row: &SecretRow, agents: Vec<String>) -> SecretInfo {
        SecretInfo {
            env: row.env.clone(),
            name: row.name.clone(),
            kind: row.kind,
            scope: row.scope,
            description: row.description.clone(),
            provider: row.provider.clone(),
            version: row.version,
            created: row.created.clone(),
            updated: row.updated.clone(),
            plain: match (&row.kind, &row.value) {
                (Kind::Variable, StoredValue::Plain(p)) => Some(p.to_string()),
                _ => None,
            },
            agents,
        }
    }
}

/// Where the new value of `set` comes from.
pub enum NewValue {
    Value(SecretValue),
    /// Empty answer at the prompt for an existing secret.
    KeepCurrent,
}

/// `vault set`: every argument already checked by the command.
pub struct SetRequest<'a> {
    /// The environment whose row is set ("" = the shared row).
    pub env: &'a str,
    pub name: &'a str,
    pub value: NewValue,
    /// `--variable`: store it as plain text (the command asked first).
    pub variable: bool,
    pub description: Option<&'a str>,
    pub provider: Option<&'a str>,
    /// `--agent A`...: make it agent-scoped and grant it to each.
    pub agents: &'a [String],
    pub now: &'a str,
}

/// What `set` did, for its report.
pub struct SetOutcome {
    pub created: bool,
    /// A new version (the value changed).
    pub changed: bool,
    /// Metadata changes besides the value, in words.
    pub changes: Vec<String>,
    /// Who receives it, when a global secret became agent-only.
    pub receivers: Option<Vec<String>>,
    pub version: u64,
    pub kind: Kind,
    pub scope: Scope,
    /// The length of the value now stored, in bytes.
    pub len: usize,
}

/// `vault edit`: metadata changes for every name, never a value.
pub struct EditRequest<'a> {
    /// The environment whose rows are edited ("" = the shared rows).
    pub env: &'a str,
    /// Distinct names, in the order given.
    pub names: &'a [&'a str],
    pub kind: Option<Kind>,
    pub description: Option<&'a str>,
    pub scope: Option<Scope>,
    /// `Some(None)` removes the provider.
    pub provider: Option<Option<&'a str>>,
    pub now: &'a str,
}

/// What `edit` did to one name.
pub struct Edited {
    pub name: String,
    /// The changes in words; empty when it already was so.
    pub changes: Vec<String>,
    /// Agent-only and granted to no agent: no run receives it now.
    pub received_by_nobody: bool,
}

/// Why `list` shows the policy unverified.
pub enum Unverified {
    /// A passphrase vault: `list` does not pay for an Argon2id.
    PassphraseVault,
    /// No key file or `VAULT_KEY` at hand.
    NoKey,
    /// A key was at hand but could not be used (the error's message).
    KeyUnusable(String),
}

/// What `list` shows.
pub struct Listing {
    /// The secrets (those the agent receives, with `agent`), each with its grants.
    pub secrets: Vec<SecretInfo>,
    /// Whether the access policy over these rows authenticated; `None` when
    /// it was not checked (no key at hand without a prompt).
    pub verified: Option<bool>,
    /// Why it was not checked (`None` when it was).
    pub unverified: Option<Unverified>,
    /// The environment shown ("" = the shared values).
    pub env: String,
    /// Shown without an environment: the environments that have values of
    /// their own, which this listing does not show.
    pub other_envs: Vec<String>,
}

/// The names `vault __complete` offers.
#[derive(Clone, Copy)]
pub enum NameKind {
    Secrets,
    Agents,
    Envs,
}

impl Vault {
    /// The metadata of `name` as environment `env` sees it and the agents
    /// it is granted to. Needs no key.
    pub fn secret_info(&mut self, env: &str, name: &str) -> Result<SecretInfo> {
        self.store.read(|tx| {
            let row = super::rules::effective_row(tx, env, name)?
                .ok_or_else(|| super::rules::no_such_secret_in(tx, env, name))?;
            let agents = tx.grantees(name)?;
            Ok(SecretInfo::from_row(&row, agents))
        })
    }

    /// The metadata of each of `names` (agents left empty), or "no secret
    /// named X" for the first missing one, with "nothing was changed".
    /// The rows of `env` itself ("" = shared): what `edit --env` changes.
    pub fn secret_infos(&mut self, env: &str, names: &[&str]) -> Result<Vec<SecretInfo>> {
        self.store.read(|tx| {
            let mut infos = Vec::with_capacity(names.len());
            for n in names {
                match tx.secret(env, n)? {
                    Some(r) => infos.push(SecretInfo::from_row(&r, Vec::new())),
                    None => {
                        return Err(
                            super::rules::no_such_secret_in(tx, env, n).also("nothing was changed")
                        )
                    }
                }
            }
            Ok(infos)
        })
    }

    /// Before `set` asks for a value: check each agent exists and return
    /// the secret as it is now (`None` for a new name).
    /// (The row of `env` itself; `None` when `set` creates it.)
    pub fn secret_before_set(
        &mut self,
        env: &str,
        name: &str,
        agents: &[String],
    ) -> Result<Option<SecretInfo>> {
        self.store.read(|tx| {
            for a in agents {
                super::require_agent(tx, a)?;
            }
            Ok(tx
                .secret(env, name)?
                .map(|row| SecretInfo::from_row(&row, Vec::new())))
        })
    }

    /// Unlock, verify the policy and open the current value of `name`.
    /// The metadata returned is the row authenticated (agents left empty).
    pub fn reveal_secret(
        &mut self,
        src: &KeySource,
        env: &str,
        name: &str,
    ) -> Result<(SecretInfo, SecretValue)> {
        self.not_shared(name)?;
        self.unlock(src)?;
        // Re-read under a verified policy: the row shown is the row
        // authenticated. Format 2 checks that row's own tag only.
        let row = self.read(|tx, crypt| {
            if crypt.has_row_tags() {
                crypt.check_format(tx)?;
                // The row and its tag in one statement.
                let (row, tag) = super::rules::effective_tagged_row(tx, env, name)?
                    .ok_or_else(|| super::rules::no_such_secret_in(tx, env, name))?;
                crypt.check_row_tag(&row, tag.as_deref())?;
                return Ok(row);
            }
            crypt.verify_policy(tx)?;
            super::rules::effective_row(tx, env, name)?
                .ok_or_else(|| super::rules::no_such_secret_in(tx, env, name))
        })?;
        let value = self
            .crypt
            .open_value(&row.env, &row.name, row.version, &row.value)?;
        // Fail closed: no reveal without its audit entry.
        let subject = if row.env.is_empty() {
            serde_json::json!({ "name": row.name, "version": row.version })
        } else {
            serde_json::json!({ "name": row.name, "env": row.env, "version": row.version })
        };
        let Vault { store, crypt, .. } = self;
        store
            .write(|tx| super::audit::append(tx, crypt, "reveal", subject.clone()))
            .map_err(|e| {
                Error::other(format!(
                    "{} was not revealed: its audit entry could not be written ({e})",
                    row.name
                ))
                .hint("a reveal is recorded before it is shown; fix the cause above (a read-only or full disk?) and try again")
            })?;
        Ok((SecretInfo::from_row(&row, Vec::new()), value))
    }

    /// Create or update a secret: a new version when the value changed,
    /// metadata and grants as asked, the one-credential-per-provider rule
    /// checked when who receives it (or its provider) changed.
    pub fn set_secret(&mut self, src: &KeySource, req: &SetRequest<'_>) -> Result<SetOutcome> {
        self.require(super::Need::Owner, &format!("setting {}", req.name))?;
        let name = req.name;
        let env = req.env;
        let now = req.now;
        // Format 2 checks the rows this reads, not the whole vault.
        self.write_rows(src, |tx, crypt| {
            // Re-read inside the write transaction: another process may have changed it.
            let existing = tx.secret(env, name)?;
            // A new environment row starts with the shared row's kind,
            // scope, description and provider: overriding a value never
            // widens who receives it.
            let shared = match (&existing, env.is_empty()) {
                (None, false) => tx.secret("", name)?,
                _ => None,
            };
            for r in existing.iter().chain(&shared) {
                crypt.check_row(tx, r)?;
            }
            let old_kind = existing.as_ref().or(shared.as_ref()).map(|e| e.kind);
            let kind = match (old_kind, req.variable) {
                (_, true) => Kind::Variable,
                (Some(k), false) => k,
                (None, false) => Kind::Secret,
            };
            let current = match &existing {
                Some(e) => Some(crypt.open_value(env, name, e.version, &e.value)?),
                None => None,
            };
            let value = match (&req.value, &current) {
                (NewValue::Value(v), _) => v.clone(),
                (NewValue::KeepCurrent, Some(c)) => c.clone(),
                (NewValue::KeepCurrent, None) => SecretValue::new(Zeroizing::new(String::new()))?,
            };
            let put = super::put_value(tx, crypt, existing, env, name, kind, &value, now)?;
            let (created, mut row) = (put.created, put.row);
            if let (true, Some(sh)) = (created, &shared) {
                row.scope = sh.scope;
                row.description.clone_from(&sh.description);
                row.provider.clone_from(&sh.provider);
            }
            let name_existed = !created || shared.is_some();
            // What changed besides the value, to say so: a same-value `set`
            // that changes who receives the secret is not "unchanged".
            let mut changes: Vec<String> = Vec::new();
            if put.converted {
                if let Some(k) = old_kind {
                    changes.push(format!("kind {} -> {}", k.as_str(), row.kind.as_str()));
                }
            }
            let before = (row.provider.clone(), row.scope);
            if let Some(d) = req.description.filter(|d| *d != row.description) {
                row.description = d.to_owned();
                changes.push("description".to_owned());
            }
            if let Some(p) = req.provider.filter(|p| row.provider.as_deref() != Some(*p)) {
                row.provider = Some(p.to_owned());
                changes.push(format!("provider {p}"));
            }
            let was_global = row.scope == Scope::Global;
            if !req.agents.is_empty() {
                row.scope = Scope::Agent;
            }
            let had = if name_existed {
                tx.grantees(name)?
            } else {
                Vec::new()
            };
            let mut granted: Vec<String> = Vec::new();
            for a in req.agents {
                if !had.contains(a) && !granted.contains(a) {
                    granted.push(a.clone());
                }
            }
            if was_global && row.scope == Scope::Agent && !created {
                changes.push("scope global -> agent".to_owned());
            }
            if !granted.is_empty() && !created {
                changes.push(format!("granted to {}", granted.join(", ")));
            }
            // A no-op `set` leaves the row (and its `updated` time) alone.
            if created || put.changed || !changes.is_empty() {
                row.updated = now.to_owned();
                tx.upsert_secret(&row)?;
            }
            for a in &granted {
                tx.grant(a, name, now)?;
            }
            // Only a change of who receives it, or of its provider, can break
            // the one-credential-per-provider rule: a rotation never does.
            if created || !granted.is_empty() || before != (row.provider.clone(), row.scope) {
                super::check_provider_rule(tx, name)?;
            }
            let receivers = if was_global && row.scope == Scope::Agent && !created {
                Some(tx.grantees(name)?)
            } else {
                None
            };
            if created || put.changed || !changes.is_empty() || !granted.is_empty() {
                super::audit::append(
                    tx,
                    crypt,
                    if created { "create" } else { "set" },
                    super::audit::with_env(
                        env,
                        serde_json::json!({
                            "name": name,
                            "version": row.version,
                            "kind": row.kind.as_str(),
                            "new_version": put.changed || created,
                            "changes": changes,
                            "granted": granted,
                        }),
                    ),
                )?;
            }
            Ok(SetOutcome {
                created,
                changed: put.changed,
                changes,
                receivers,
                version: row.version,
                kind: row.kind,
                scope: row.scope,
                len: value.len(),
            })
        })
    }

    /// Change the metadata of every name or none: one transaction, and any
    /// error undoes the lot.
    pub fn edit_secrets(&mut self, src: &KeySource, req: &EditRequest<'_>) -> Result<Vec<Edited>> {
        self.write(src, |tx, crypt| {
            let mut edited = Vec::with_capacity(req.names.len());
            for n in req.names {
                let mut row = tx.secret(req.env, n)?.ok_or_else(|| {
                    super::rules::no_such_secret_in(tx, req.env, n).also("nothing was changed")
                })?;
                let mut changes: Vec<String> = Vec::new();
                let new_kind = req.kind.unwrap_or(row.kind);
                if new_kind != row.kind {
                    super::convert_kind(tx, crypt, &row, new_kind)?;
                    changes.push(format!(
                        "kind {} -> {}",
                        row.kind.as_str(),
                        new_kind.as_str()
                    ));
                    row.kind = new_kind;
                }
                let before = (row.provider.clone(), row.scope);
                if let Some(d) = req.description.filter(|d| *d != row.description) {
                    row.description = d.to_owned();
                    changes.push("description".to_owned());
                }
                let scope = req.scope.unwrap_or(row.scope);
                if scope != row.scope {
                    changes.push(format!(
                        "scope {} -> {}",
                        row.scope.as_str(),
                        scope.as_str()
                    ));
                    row.scope = scope;
                }
                if let Some(p) = req.provider.filter(|p| row.provider.as_deref() != *p) {
                    changes.push(match p {
                        Some(p) => format!("provider {p}"),
                        None => "provider removed".to_owned(),
                    });
                    row.provider = p.map(str::to_owned);
                }
                if !changes.is_empty() {
                    row.updated = req.now.to_owned();
                    tx.upsert_secret(&row)?;
                }
                if before != (row.provider.clone(), row.scope) {
                    super::check_provider_rule(tx, &row.name)?;
                }
                let nobody = row.scope == Scope::Agent && tx.grantees(n)?.is_empty();
                edited.push(Edited {
                    name: n.to_string(),
                    changes,
                    received_by_nobody: nobody,
                });
            }
            let changed: Vec<serde_json::Value> = edited
                .iter()
                .filter(|e| !e.changes.is_empty())
                .map(|e| serde_json::json!({ "name": e.name, "changes": e.changes }))
                .collect();
            if !changed.is_empty() {
                super::audit::append(
                    tx,
                    crypt,
                    "edit",
                    super::audit::with_env(req.env, serde_json::json!({ "secrets": changed })),
                )?;
            }
            Ok(edited)
        })
    }

    /// Delete every name or none. A granted secret is refused (exit 4,
    /// naming every blocker at once) unless `force`, which revokes first.
    /// Returns the grants revoked: (secret, its agents).
    ///
    /// `env` "" deletes the shared row; a name that still has rows of its
    /// own in environments is refused (exit 4, naming them) unless `force`,
    /// which deletes it in every environment. `env` E deletes E's own row
    /// only: the other environments keep theirs, and the name's grants
    /// stay while any row of it is left.
    pub fn delete_secrets(
        &mut self,
        src: &KeySource,
        env: &str,
        names: &[String],
        force: bool,
    ) -> Result<Vec<(String, Vec<String>)>> {
        self.write(src, |tx, crypt| {
            // The rows each name loses, and whether it is then gone everywhere.
            let mut plan: Vec<(&String, Vec<String>, bool)> = Vec::new();
            let mut overridden: Vec<String> = Vec::new();
            for name in names {
                if plan.iter().any(|(n, _, _)| *n == name) {
                    continue;
                }
                if tx.secret(env, name)?.is_none() {
                    return Err(super::rules::no_such_secret_in(tx, env, name)
                        .also("nothing was deleted"));
                }
                let envs = tx.secret_envs(name)?;
                let others: Vec<String> = envs.iter().filter(|e| !e.is_empty()).cloned().collect();
                if env.is_empty() && !others.is_empty() {
                    if !force {
                        overridden.push(format!(
                            "{name} has its own value in {}",
                            others.join(", ")
                        ));
                        continue;
                    }
                    plan.push((name, envs, true));
                } else {
                    let last = envs.len() == 1;
                    plan.push((name, vec![env.to_owned()], last));
                }
            }
            if !overridden.is_empty() {
                let first = names.first().map(String::as_str).unwrap_or("NAME");
                return Err(Error::conflict(format!(
                    "{}; nothing was deleted",
                    overridden.join("; ")
                ))
                .hint(format!(
                    "delete those first (`vault delete {first} --env ENV`), or pass --force to delete it in every environment"
                )));
            }
            let mut granted: Vec<(String, Vec<String>)> = Vec::new();
            for (name, _, gone) in &plan {
                if !gone {
                    continue;
                }
                let agents = tx.grantees(name)?;
                if !agents.is_empty() {
                    granted.push(((*name).clone(), agents));
                }
            }
            if let (Some((name, agents)), false) = (granted.first(), force) {
                // Name every blocker at once, not one per attempt.
                let lines: Vec<String> = granted
                    .iter()
                    .map(|(name, agents)| format!("{name} is granted to {}", agents.join(", ")))
                    .collect();
                return Err(Error::conflict(format!("{}; nothing was deleted", lines.join("; ")))
                    .hint(format!(
                        "revoke first (`vault revoke {name} --agent {}`), or delete with --force to revoke and delete",
                        agents[0]
                    )));
            }
            for (name, agents) in &granted {
                for a in agents {
                    tx.revoke(a, name)?;
                }
            }
            for (name, envs, _) in &plan {
                for e in envs {
                    tx.delete_secret(e, name)?;
                }
            }
            let revoked: Vec<serde_json::Value> = granted
                .iter()
                .map(|(n, a)| serde_json::json!({ "name": n, "agents": a }))
                .collect();
            let mut subject =
                serde_json::json!({ "names": super::audit::bounded(names), "revoked": revoked });
            if !env.is_empty() {
                subject["env"] = serde_json::json!(env);
            }
            super::audit::append(tx, crypt, "delete", subject)?;
            Ok(granted)
        })
    }

    /// The secrets `list` shows (those `agent` receives, when given), with
    /// their grants. Needs no key; but when one is at hand without a prompt,
    /// the policy is checked over the very rows returned.
    ///
    /// `env` (else `agent`'s pin, else none) picks the environment shown.
    pub fn list_secrets(
        &mut self,
        src: &KeySource,
        agent: Option<&str>,
        env: Option<&str>,
    ) -> Result<Listing> {
        let quiet = self.unlock_quietly(src);
        let unlocked = matches!(quiet, Ok(true));
        let unverified = match &quiet {
            Ok(true) => None,
            Ok(false) if self.has_passphrase_slot() => Some(Unverified::PassphraseVault),
            Ok(false) => Some(Unverified::NoKey),
            Err(e) => Some(Unverified::KeyUnusable(e.message().to_string())),
        };
        let (all, grants, verified, env) = self.read(|tx, crypt| {
            let mut pin = String::new();
            if let Some(a) = agent {
                super::require_agent(tx, a)?;
                pin = tx.agent(a)?.map(|a| a.env).unwrap_or_default();
            }
            let env = env.map(str::to_owned).unwrap_or(pin);
            let all = tx.secrets(Audience::Everything)?;
            let grants = tx.all_grants()?;
            let pins = tx.pins()?;
            let verified = unlocked.then(|| crypt.check_policy(tx, &all, &grants, &pins).is_ok());
            Ok((all, grants, verified, env))
        })?;
        let mut other_envs: Vec<String> = Vec::new();
        if env.is_empty() {
            for r in all.iter().filter(|r| !r.env.is_empty()) {
                if !other_envs.contains(&r.env) {
                    other_envs.push(r.env.clone());
                }
            }
            other_envs.sort();
        }
        let all = super::rules::effective(all, &env);
        let rows: Vec<SecretRow> = match agent {
            Some(a) => {
                let receives = Receives::new(Some(a), &grants);
                all.into_iter()
                    .filter(|r| receives.secret(&r.name, r.scope))
                    .collect()
            }
            None => all,
        };
        // One pass over the grants, not one per row: 10,000 secrets with
        // 10,000 grants would otherwise be 10^8 comparisons.
        let mut by_secret: std::collections::HashMap<&str, Vec<String>> =
            std::collections::HashMap::new();
        for (a, s) in &grants {
            by_secret.entry(s.as_str()).or_default().push(a.clone());
        }
        let secrets = rows
            .iter()
            .map(|r| {
                let agents = by_secret.remove(r.name.as_str()).unwrap_or_default();
                SecretInfo::from_row(r, agents)
            })
            .collect();
        Ok(Listing {
            secrets,
            verified,
            unverified,
            env,
            other_envs,
        })
    }

    /// Secret or agent names, for completion: no unlock, never a value.
    pub fn names(&mut self, what: NameKind) -> Result<Vec<String>> {
        self.store.read(|tx| {
            Ok(match what {
                NameKind::Secrets => tx.secret_names()?,
                NameKind::Agents => tx.agents()?.into_iter().map(|a| a.name).collect(),
                NameKind::Envs => tx.env_names()?,
            })
        })
    }
}
