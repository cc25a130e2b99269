//! `agent create|list|show|delete`, `grant`, `revoke`: who may receive what.

use serde_json::json;

use super::Ctx;
use crate::cli::{AgentCommand, GrantArgs, RevokeArgs};
use crate::error::{Error, Result};
use crate::model;
use crate::model::Scope;
use crate::output::say;
use crate::output::{self, escape};
use crate::store::{Audience, GrantRow, SecretRow, Tx};
use crate::vault::Vault;
use crate::vault::{no_such_agent, no_such_secret, require_agent};

pub fn agent(ctx: &Ctx, cmd: &AgentCommand) -> Result<()> {
    match cmd {
        AgentCommand::Create { name, description } => create(ctx, name, description.as_deref()),
        AgentCommand::List { json } => list(ctx, *json),
        AgentCommand::Show { name, json } => show(ctx, name, *json),
        AgentCommand::Delete { name } => delete(ctx, name),
    }
}

fn create(ctx: &Ctx, name: &str, description: Option<&str>) -> Result<()> {
    model::check_agent_name(name)?;
    let mut vault = Vault::open_or_create(&ctx.paths, &ctx.keys)?;
    let now = output::now();
    let created =
        vault.write_plain(|tx| Ok(tx.create_agent(name, description.unwrap_or(""), &now)?))?;
    if !created {
        return Err(
            Error::conflict(format!("an agent named {name} already exists")).hint(format!(
                "pick another name, or see it with `vault agent show {name}`"
            )),
        );
    }
    say!("{name}: agent created; grant it secrets with `vault grant NAME --agent {name}`");
    Ok(())
}

fn list(ctx: &Ctx, json: bool) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let agents = vault.read(|tx, _| {
        let mut out = Vec::new();
        for a in tx.agents()? {
            let grants = tx.grants(&a.name)?;
            out.push((a, grants));
        }
        Ok(out)
    })?;
    if json {
        let items: Vec<_> = agents
            .iter()
            .map(|(a, g)| {
                json!({
                    "name": a.name,
                    "description": a.description,
                    "created": a.created,
                    "last_run": a.last_run,
                    "grants": g.iter().map(|g| g.secret.as_str()).collect::<Vec<_>>(),
                })
            })
            .collect();
        return output::print_json(&serde_json::Value::Array(items));
    }
    if agents.is_empty() {
        eprintln!("no agents yet; create one with `vault agent create NAME`");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = agents
        .iter()
        .map(|(a, g)| {
            vec![
                output::agent_name(&a.name),
                g.len().to_string(),
                a.last_run.as_deref().map_or_else(|| "never".into(), escape),
                escape(&a.description),
            ]
        })
        .collect();
    use output::Fit;
    output::print_table_fit(
        &["AGENT", "GRANTS", "LAST RUN", "DESCRIPTION"],
        &rows,
        &[
            Fit::Shrink { col: 3, min: 11 },
            Fit::Shrink { col: 3, min: 5 },
        ],
    )
}

/// `synced`, `stale` or `pending` for one grant.
pub fn sync_state(g: &GrantRow) -> &'static str {
    match g.delivered_version {
        None => "pending",
        Some(v) if v == g.current_version => "synced",
        Some(_) => "stale",
    }
}

fn show(ctx: &Ctx, name: &str, json: bool) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let (agent, grants) = vault.read(|tx, _| {
        model::check_agent_name(name)?;
        let a = tx.agent(name)?.ok_or_else(|| no_such_agent(tx, name))?;
        Ok((a, tx.received(name)?))
    })?;
    let item = |g: &GrantRow| {
        json!({
            "secret": g.secret,
            "via": if g.global { "global" } else { "grant" },
            "state": sync_state(g),
            "version": g.current_version,
            "delivered_version": g.delivered_version,
            "delivered_at": g.delivered_at,
        })
    };
    if json {
        // `grants`: what it receives through grants; `receives`: that plus
        // the global secrets, each with its sync state.
        return output::print_json(&json!({
            "name": agent.name,
            "description": agent.description,
            "created": agent.created,
            "last_run": agent.last_run,
            "grants": grants.iter().filter(|g| !g.global).map(item).collect::<Vec<_>>(),
            "receives": grants.iter().map(item).collect::<Vec<_>>(),
        }));
    }
    output::print_fields(&[
        ("agent", output::agent_name(&agent.name)),
        ("description", escape(&agent.description)),
        ("created", escape(&agent.created)),
        (
            "last run",
            agent
                .last_run
                .as_deref()
                .map_or_else(|| "never".into(), escape),
        ),
    ])?;
    say!();
    if grants.is_empty() {
        say!("receives nothing yet; give it a secret with `vault set NAME --agent {name}` or `vault grant NAME --agent {name}`");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = grants
        .iter()
        .map(|g| {
            vec![
                output::secret_name(&g.secret),
                if g.global { "global" } else { "grant" }.to_owned(),
                sync_state(g).to_owned(),
                g.current_version.to_string(),
                g.delivered_version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    output::print_table(&["SECRET", "VIA", "STATE", "VERSION", "DELIVERED"], &rows)?;
    if grants.iter().any(|g| sync_state(g) == "stale") {
        say!("\nstale: changed since the agent's last run; restart it (vault run ...) to pick up the new value");
    }
    Ok(())
}

fn delete(ctx: &Ctx, name: &str) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    model::check_agent_name(name)?;
    let n = vault.write(&ctx.keys, |tx, _| {
        if tx.agent(name)?.is_none() {
            return Err(no_such_agent(tx, name));
        }
        let n = tx.grants(name)?.len();
        tx.delete_agent(name)?;
        Ok(n)
    })?;
    say!("{name}: agent deleted ({n} grants revoked)");
    Ok(())
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
    if row.scope == Scope::Global {
        if let Some(other) = others.iter().find(|o| o.scope == Scope::Global) {
            return Err(Error::conflict(format!(
                "{} is already a global {provider} credential, and every run receives global secrets; a run gets one credential per provider",
                other.name
            ))
            .hint(format!(
                "scope one of them to the agents that use it: `vault edit {} --agent-only` and `vault grant {} --agent A`",
                other.name, other.name
            )));
        }
    }
    let grants = tx.all_grants()?;
    let agents: Vec<String> = match row.scope {
        Scope::Global => tx.agents()?.into_iter().map(|a| a.name).collect(),
        Scope::Agent => tx.grantees(secret)?,
    };
    for agent in agents {
        let receives = model::Receives::new(Some(&agent), &grants);
        if let Some(other) = others.iter().find(|o| receives.secret(&o.name, o.scope)) {
            let how = if other.scope == Scope::Global {
                format!(
                    "{} is global, so every agent has it: make it agent-only (`vault edit {} --agent-only`) and grant it where it belongs",
                    other.name, other.name
                )
            } else if row.scope == Scope::Global {
                format!(
                    "{secret} is global, so every agent would receive it: scope it with --agent A (or `vault edit {secret} --agent-only`), or revoke {} from {agent}",
                    other.name
                )
            } else {
                format!(
                    "revoke it first: `vault revoke {} --agent {agent}`",
                    other.name
                )
            };
            return Err(Error::conflict(format!(
                "agent {agent} would receive two {provider} credentials, {} and {secret}; an agent gets one credential per provider",
                other.name
            ))
            .hint(how));
        }
    }
    Ok(())
}

pub fn grant(ctx: &Ctx, args: &GrantArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let now = output::now();
    let added = vault.write(&ctx.keys, |tx, _| {
        require_agent(tx, &args.agent)?;
        let mut added = Vec::new();
        let mut global = Vec::new();
        for name in &args.names {
            let Some(row) = tx.secret(name)? else {
                return Err(no_such_secret(tx, name).also("nothing was granted"));
            };
            if row.scope == Scope::Global {
                global.push(name.clone());
            }
            if tx.grant(&args.agent, name, &now)? {
                added.push(name.clone());
                check_provider_rule(tx, name)?;
            }
        }
        Ok((added, global))
    })?;
    let (added, global) = added;
    for name in &args.names {
        let what = if added.contains(name) {
            "granted to"
        } else {
            "already granted to"
        };
        say!("{name}: {what} {}", args.agent);
    }
    for name in &global {
        // The grant is kept (it matters once the secret is agent-only), but
        // on its own it changes nothing: say so rather than let it mislead.
        eprintln!(
            "note: {name} is global, so every run receives it, not only {}; to limit it to the agents it is granted to: vault edit {name} --agent-only",
            args.agent
        );
    }
    Ok(())
}

pub fn revoke(ctx: &Ctx, args: &RevokeArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let removed = vault.write(&ctx.keys, |tx, _| {
        require_agent(tx, &args.agent)?;
        let mut removed = Vec::new();
        for name in &args.names {
            if tx.secret(name)?.is_none() {
                return Err(no_such_secret(tx, name).also("nothing was revoked"));
            }
            if tx.revoke(&args.agent, name)? {
                removed.push(name.clone());
            }
        }
        Ok(removed)
    })?;
    for name in &args.names {
        let what = if removed.contains(name) {
            "revoked from"
        } else {
            "was not granted to"
        };
        say!("{name}: {what} {}", args.agent);
    }
    Ok(())
}
