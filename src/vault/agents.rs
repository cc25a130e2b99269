//! Agents and grants (`agent create|list|show|delete`, `grant`, `revoke`):
//! who may receive what. Creating and deleting an agent, granting and
//! revoking change the policy (except creation: a new agent receives only
//! the globals, which the policy already covers). Also the one-credential-
//! per-provider rule that every change of a secret's provider, scope or
//! grants checks. Nothing here prints: notes come back as data.

use super::{no_such_agent, no_such_secret, require_agent, KeySource, Vault};
use crate::error::{Error, Result};
use crate::model;
use crate::model::Scope;
use crate::store::{AgentRow, Audience, Backend, GrantRow, SecretRow, Tx};

/// An agent as `agent list` and `agent show` describe it.
pub struct Agent {
    pub name: String,
    pub description: String,
    pub created: String,
    pub last_run: Option<String>,
}

impl From<AgentRow> for Agent {
    fn from(a: AgentRow) -> Agent {
        Agent {
            name: a.name,
            description: a.description,
            created: a.created,
            last_run: a.last_run,
        }
    }
}

/// One agent and the secrets granted to it (`agent list`).
pub struct AgentSummary {
    pub agent: Agent,
    /// The secrets granted to it, without the globals.
    pub grants: Vec<String>,
}

/// One secret an agent receives, with what it last received of it.
pub struct Receipt {
    pub secret: String,
    pub current_version: u64,
    pub delivered_version: Option<u64>,
    pub delivered_at: Option<String>,
    /// Received because it is global, not through a grant.
    pub global: bool,
}

impl From<GrantRow> for Receipt {
    fn from(g: GrantRow) -> Receipt {
        Receipt {
            secret: g.secret,
            current_version: g.current_version,
            delivered_version: g.delivered_version,
            delivered_at: g.delivered_at,
            global: g.global,
        }
    }
}

impl Receipt {
    /// `synced`, `stale` or `pending`.
    pub fn sync_state(&self) -> &'static str {
        match self.delivered_version {
            None => "pending",
            Some(v) if v == self.current_version => "synced",
            Some(_) => "stale",
        }
    }
}

/// One agent and everything it receives (`agent show`).
pub struct AgentDetail {
    pub agent: Agent,
    /// Granted and global secrets, each with its sync state.
    pub receives: Vec<Receipt>,
}

/// `grant NAME... --agent A`.
pub struct GrantRequest<'a> {
    pub agent: &'a str,
    pub names: &'a [String],
    pub now: &'a str,
}

/// What `grant` did.
pub struct Granted {
    /// The names newly granted (the others already were).
    pub added: Vec<String>,
    /// The names that are global: every run receives them anyway, so the
    /// grant changes nothing until the secret is made agent-only.
    pub global: Vec<String>,
}

impl Vault {
    /// Create agent `name` (already checked by the caller). Exit 4 if one
    /// by that name exists.
    pub fn create_agent(
        &mut self,
        src: &KeySource,
        name: &str,
        description: &str,
        now: &str,
    ) -> Result<()> {
        // Unlocked for the audit entry's signature.
        self.unlock(src)?;
        let Vault { store, crypt, .. } = self;
        let created = store.write(|tx| {
            let created = tx.create_agent(name, description, now)?;
            if created {
                super::audit::append(
                    tx,
                    crypt,
                    "agent-create",
                    serde_json::json!({ "agent": name }),
                )?;
            }
            Ok(created)
        })?;
        if !created {
            return Err(agent_exists(name));
        }
        Ok(())
    }

    /// Every agent with its grants.
    pub fn agents(&mut self) -> Result<Vec<AgentSummary>> {
        self.store.read(|tx| {
            let mut out = Vec::new();
            for a in tx.agents()? {
                let grants = tx.grants(&a.name)?;
                out.push(AgentSummary {
                    agent: a.into(),
                    grants: grants.into_iter().map(|g| g.secret).collect(),
                });
            }
            Ok(out)
        })
    }

    /// Agent `name` and what it receives (exit 3 with a did-you-mean when
    /// there is no such agent).
    pub fn agent(&mut self, name: &str) -> Result<AgentDetail> {
        self.store.read(|tx| {
            model::check_agent_name(name)?;
            let a = tx.agent(name)?.ok_or_else(|| no_such_agent(tx, name))?;
            Ok(AgentDetail {
                agent: a.into(),
                receives: tx.received(name)?.into_iter().map(Receipt::from).collect(),
            })
        })
    }

    /// Delete agent `name` and its grants; returns how many grants went with it.
    pub fn delete_agent(&mut self, src: &KeySource, name: &str) -> Result<usize> {
        model::check_agent_name(name)?;
        self.write(src, |tx, crypt| {
            if tx.agent(name)?.is_none() {
                return Err(no_such_agent(tx, name));
            }
            let grants: Vec<String> = tx.grants(name)?.into_iter().map(|g| g.secret).collect();
            let n = grants.len();
            tx.delete_agent(name)?;
            super::audit::append(
                tx,
                crypt,
                "agent-delete",
                serde_json::json!({ "agent": name, "revoked": super::audit::bounded(&grants) }),
            )?;
            Ok(n)
        })
    }

    /// Grant each of `req.names` to `req.agent`: all or none (an unknown
    /// name or a second credential of a provider grants nothing).
    pub fn grant(&mut self, src: &KeySource, req: &GrantRequest<'_>) -> Result<Granted> {
        self.write(src, |tx, crypt| {
            require_agent(tx, req.agent)?;
            let mut added = Vec::new();
            let mut global = Vec::new();
            for name in req.names {
                let Some(row) = tx.secret(name)? else {
                    return Err(no_such_secret(tx, name).also("nothing was granted"));
                };
                if row.scope == Scope::Global {
                    global.push(name.clone());
                }
                if tx.grant(req.agent, name, req.now)? {
                    added.push(name.clone());
                    check_provider_rule(tx, name)?;
                }
            }
            if !added.is_empty() {
                super::audit::append(
                    tx,
                    crypt,
                    "grant",
                    serde_json::json!({ "agent": req.agent, "names": super::audit::bounded(&added) }),
                )?;
            }
            Ok(Granted { added, global })
        })
    }

    /// Revoke each of `names` from `agent`: all or none. Returns the names
    /// that were granted (the others were not).
    pub fn revoke(
        &mut self,
        src: &KeySource,
        agent: &str,
        names: &[String],
    ) -> Result<Vec<String>> {
        self.write(src, |tx, crypt| {
            require_agent(tx, agent)?;
            let mut removed = Vec::new();
            for name in names {
                if tx.secret(name)?.is_none() {
                    return Err(no_such_secret(tx, name).also("nothing was revoked"));
                }
                if tx.revoke(agent, name)? {
                    removed.push(name.clone());
                }
            }
            if !removed.is_empty() {
                super::audit::append(
                    tx,
                    crypt,
                    "revoke",
                    serde_json::json!({ "agent": agent, "names": super::audit::bounded(&removed) }),
                )?;
            }
            Ok(removed)
        })
    }
}

/// `agent create` of a name in use (exit 4).
pub(super) fn agent_exists(name: &str) -> Error {
    Error::conflict(format!("an agent named {name} already exists")).hint(format!(
        "pick another name, or see it with `vault agent show {name}`"
    ))
}

/// One credential per provider per run. Global secrets reach every run, so
/// a provider has at most one global credential, and an agent's grants may
/// not add a second one of a provider it already receives (granted or
/// global). Checked when `secret`'s provider, scope or grants change, so a
/// rotation or a description edit is never blocked by the rule.
pub fn check_provider_rule(tx: &Tx<'_>, secret: &str) -> Result<()> {
    let Some(row) = tx.secret(secret)? else {
        return Ok(());
    };
    let Some(provider) = row.provider.as_deref() else {
        return Ok(());
    };
    // One read of the other credentials of this provider and of the grants;
    // who receives what is then decided in memory, as `vault run` does.
    let others: Vec<SecretRow> = tx
        .secrets(Audience::Everything)?
        .into_iter()
        .filter(|o| o.name != secret && o.provider.as_deref() == Some(provider))
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    let others: Vec<(&str, Scope)> = others.iter().map(|o| (o.name.as_str(), o.scope)).collect();
    let grants = tx.all_grants()?;
    let agents: Vec<String> = match row.scope {
        Scope::Global => tx.agents()?.into_iter().map(|a| a.name).collect(),
        Scope::Agent => tx.grantees(secret)?,
    };
    let agents: Vec<&str> = agents.iter().map(String::as_str).collect();
    provider_rule(secret, row.scope, provider, &others, &agents, &grants)
}

/// The one-credential-per-provider rule over plain data (the database's,
/// or an import's plan): `secret` (of `scope`) is a `provider` credential;
/// `others` are the other credentials of that provider, by name; `agents`
/// the agents that receive `secret` (every agent when it is global), sorted;
/// `grants` every (agent, secret) grant.
pub(super) fn provider_rule(
    secret: &str,
    scope: Scope,
    provider: &str,
    others: &[(&str, Scope)],
    agents: &[&str],
    grants: &[(String, String)],
) -> Result<()> {
    if others.is_empty() {
        return Ok(());
    }
    if scope == Scope::Global {
        if let Some((other, _)) = others.iter().find(|(_, s)| *s == Scope::Global) {
            return Err(Error::conflict(format!(
                "{other} is already a global {provider} credential, and every run receives global secrets; a run gets one credential per provider"
            ))
            .hint(format!(
                "scope one of them to the agents that use it: `vault edit {other} --agent-only` and `vault grant {other} --agent A`"
            )));
        }
    }
    for &agent in agents {
        let receives = model::Receives::new(Some(agent), grants);
        if let Some((other, other_scope)) = others.iter().find(|(o, s)| receives.secret(o, *s)) {
            let how = if *other_scope == Scope::Global {
                format!(
                    "{other} is global, so every agent has it: make it agent-only (`vault edit {other} --agent-only`) and grant it where it belongs"
                )
            } else if scope == Scope::Global {
                format!(
                    "{secret} is global, so every agent would receive it: scope it with --agent A (or `vault edit {secret} --agent-only`), or revoke {other} from {agent}"
                )
            } else {
                format!("revoke it first: `vault revoke {other} --agent {agent}`")
            };
            return Err(Error::conflict(format!(
                "agent {agent} would receive two {provider} credentials, {other} and {secret}; an agent gets one credential per provider"
            ))
            .hint(how));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Receipt;

    fn receipt(current: u64, delivered: Option<u64>) -> Receipt {
        Receipt {
            secret: "A".into(),
            current_version: current,
            delivered_version: delivered,
            delivered_at: None,
            global: false,
        }
    }

    #[test]
    fn sync_state_tells_pending_synced_and_stale() {
        assert_eq!(receipt(1, None).sync_state(), "pending");
        assert_eq!(receipt(2, Some(2)).sync_state(), "synced");
        assert_eq!(receipt(3, Some(2)).sync_state(), "stale");
    }
}
