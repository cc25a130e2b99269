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
use crate::store::{AgentRow, Audience, Backend, Tx};

/// An agent as `agent list` and `agent show` describe it.
pub struct Agent {
    pub name: String,
    pub description: String,
    pub created: String,
    pub last_run: Option<String>,
    /// The environment its runs use unless `--env` says otherwise ("" = none).
    pub env: String,
}

impl From<AgentRow> for Agent {
    fn from(a: AgentRow) -> Agent {
        Agent {
            name: a.name,
            description: a.description,
            created: a.created,
            last_run: a.last_run,
            env: a.env,
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
    /// Where the current value comes from ("" = shared, else the environment).
    pub source: String,
    pub current_version: u64,
    pub delivered_version: Option<u64>,
    /// The row (environment, "" = shared) the delivered version was of.
    pub delivered_source: Option<String>,
    pub delivered_at: Option<String>,
    /// Received because it is global, not through a grant.
    pub global: bool,
}

impl Receipt {
    /// `synced`, `stale` or `pending`. A delivery of another row (the
    /// shared value, before the environment had its own) is stale.
    pub fn sync_state(&self) -> &'static str {
        match self.delivered_version {
            None => "pending",
            Some(v)
                if v == self.current_version
                    && self.delivered_source.as_deref().unwrap_or("") == self.source =>
            {
                "synced"
            }
            Some(_) => "stale",
        }
    }
}

/// One agent and everything it receives (`agent show`).
pub struct AgentDetail {
    pub agent: Agent,
    /// The environment shown: `--env`, else the agent's pin ("" = shared only).
    pub env: String,
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
    /// `env` pins it to an environment ("" = none): the pin is policy
    /// (which values its runs receive), so the tag is resealed over it.
    pub fn create_agent(
        &mut self,
        src: &KeySource,
        name: &str,
        description: &str,
        env: &str,
        now: &str,
    ) -> Result<()> {
        let created = self.write(src, |tx, crypt| {
            let created = tx.create_agent(name, description, env, now)?;
            if created {
                super::audit::append(
                    tx,
                    crypt,
                    "agent-create",
                    super::audit::with_env(env, serde_json::json!({ "agent": name })),
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
                    grants,
                });
            }
            Ok(out)
        })
    }

    /// Agent `name` and what it receives in environment `env` (its pin
    /// when `None`), each value with the state of what it last received in
    /// runs there (exit 3 with a did-you-mean when there is no such agent).
    pub fn agent(&mut self, name: &str, env: Option<&str>) -> Result<AgentDetail> {
        self.require(super::Need::Right(name, "view"), &format!("viewing {name}"))?;
        self.store.read(|tx| {
            model::check_agent_name(name)?;
            let a = tx.agent(name)?.ok_or_else(|| no_such_agent(tx, name))?;
            let env = env.unwrap_or(&a.env).to_owned();
            let grants = tx.all_grants()?;
            let rows = super::rules::effective(tx.secrets(Audience::Everything)?, &env);
            let delivered = tx.deliveries(name, &env)?;
            let receives = model::Receives::new(Some(name), &grants);
            let granted: std::collections::BTreeSet<&str> = grants
                .iter()
                .filter(|(ag, _)| ag == name)
                .map(|(_, s)| s.as_str())
                .collect();
            let receives = rows
                .into_iter()
                .filter(|r| receives.secret(&r.name, r.scope))
                .map(|r| {
                    let d = delivered.iter().find(|d| d.secret == r.name);
                    Receipt {
                        global: r.scope == Scope::Global && !granted.contains(r.name.as_str()),
                        current_version: r.version,
                        delivered_version: d.map(|d| d.version),
                        delivered_source: d.map(|d| d.source.clone()),
                        delivered_at: d.map(|d| d.delivered.clone()),
                        source: r.env,
                        secret: r.name,
                    }
                })
                .collect();
            Ok(AgentDetail {
                agent: a.into(),
                env,
                receives,
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
            let grants: Vec<String> = tx.grants(name)?;
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
        let doing = format!("granting to {}", req.agent);
        self.require(super::Need::Right(req.agent, "manage"), &doing)?;
        if self.is_member() {
            return self.manager_grant(req.agent, req.names, req.now);
        }
        self.write(src, |tx, crypt| {
            require_agent(tx, req.agent)?;
            let mut added = Vec::new();
            let mut global = Vec::new();
            for name in req.names {
                let envs = tx.secret_envs(name)?;
                if envs.is_empty() {
                    return Err(no_such_secret(tx, name).also("nothing was granted"));
                }
                let mut all_global = true;
                for e in &envs {
                    if let Some(row) = tx.secret(e, name)? {
                        all_global &= row.scope == Scope::Global;
                    }
                }
                if all_global {
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
        let doing = format!("revoking from {agent}");
        self.require(super::Need::Right(agent, "manage"), &doing)?;
        if self.is_member() {
            return self.manager_revoke(agent, names);
        }
        self.write(src, |tx, crypt| {
            require_agent(tx, agent)?;
            let mut removed = Vec::new();
            for name in names {
                if tx.secret_envs(name)?.is_empty() {
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
///
/// Environments: the rule holds in every environment over the values it
/// sees (its own rows, else the shared ones), so it is checked for the
/// shared view and for each environment any row or agent pin names.
pub fn check_provider_rule(tx: &Tx<'_>, secret: &str) -> Result<()> {
    // Without a provider on any of its rows the rule cannot bind: decided
    // from the name's own rows, without reading the vault.
    let mut any_provider = false;
    for env in tx.secret_envs(secret)? {
        any_provider |= tx
            .secret(&env, secret)?
            .is_some_and(|r| r.provider.is_some());
    }
    if !any_provider {
        return Ok(());
    }
    let all = tx.secrets(Audience::Everything)?;
    if !all.iter().any(|r| r.name == secret && r.provider.is_some()) {
        return Ok(());
    }
    let mut envs: Vec<String> = vec![String::new()];
    envs.extend(tx.env_names()?);
    let grants = tx.all_grants()?;
    let mut everyone: Option<Vec<String>> = None;
    for env in &envs {
        let view = super::rules::effective(all.clone(), env);
        let Some(row) = view.iter().find(|r| r.name == secret) else {
            continue;
        };
        let Some(provider) = row.provider.as_deref() else {
            continue;
        };
        // Who receives what is decided in memory, as `vault run` does.
        let others: Vec<(&str, Scope)> = view
            .iter()
            .filter(|o| o.name != secret && o.provider.as_deref() == Some(provider))
            .map(|o| (o.name.as_str(), o.scope))
            .collect();
        if others.is_empty() {
            continue;
        }
        let agents: Vec<String> = match row.scope {
            Scope::Global => match &everyone {
                Some(a) => a.clone(),
                None => {
                    let a: Vec<String> = tx.agents()?.into_iter().map(|a| a.name).collect();
                    everyone = Some(a.clone());
                    a
                }
            },
            Scope::Agent => tx.grantees(secret)?,
        };
        let agents: Vec<&str> = agents.iter().map(String::as_str).collect();
        provider_rule(secret, row.scope, provider, &others, &agents, &grants).map_err(|e| {
            if env.is_empty() {
                e
            } else {
                e.also(format!("in environment {env}"))
            }
        })?;
    }
    Ok(())
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
            source: String::new(),
            current_version: current,
            delivered_version: delivered,
            delivered_source: delivered.map(|_| String::new()),
            delivered_at: None,
            global: false,
        }
    }

    #[test]
    fn sync_state_tells_pending_synced_and_stale() {
        assert_eq!(receipt(1, None).sync_state(), "pending");
        assert_eq!(receipt(2, Some(2)).sync_state(), "synced");
        assert_eq!(receipt(3, Some(2)).sync_state(), "stale");
        let mut other_row = receipt(2, Some(2));
        other_row.source = "production".into();
        assert_eq!(other_row.sync_state(), "stale");
    }
}
