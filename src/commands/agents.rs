//! `agent create|list|show|delete`, `grant`, `revoke`: who may receive what.
//! Argument checks and output are here; the transactions are in
//! `vault/agents.rs`.

use serde_json::json;

use super::Ctx;
use crate::cli::{AgentCommand, GrantArgs, RevokeArgs};
use crate::error::{Error, Result};
use crate::model;
use crate::typed::escape;
use crate::ui;
use crate::ui::say;
use crate::vault::{GrantRequest, Receipt, Vault};

pub fn agent(ctx: &Ctx, cmd: &AgentCommand) -> Result<()> {
    match cmd {
        AgentCommand::Create {
            name,
            description,
            env,
            from: Some(from),
        } => super::rename::clone_agent(ctx, name, from, description.as_deref(), env.as_deref()),
        AgentCommand::Create {
            name,
            description,
            env,
            ..
        } => create(ctx, name, description.as_deref(), env.as_deref()),
        AgentCommand::List { json } => list(ctx, *json),
        AgentCommand::Show { name, json, env } => show(ctx, name, *json, env.as_deref()),
        AgentCommand::Delete { name } => delete(ctx, name),
        AgentCommand::Token { name, ttl, out } => token(ctx, name, *ttl, out.as_deref()),
        AgentCommand::Enroll { name, root } => enroll(ctx, name, root),
        AgentCommand::Approve { request, yes } => approve(ctx, request, *yes),
        AgentCommand::RevokeKey { name } => revoke_key(ctx, name),
    }
}

fn create(ctx: &Ctx, name: &str, description: Option<&str>, env: Option<&str>) -> Result<()> {
    model::check_agent_name(name)?;
    // Only --env pins an agent: a VAULT_ENV left in the shell does not.
    if let Some(e) = env {
        model::check_env_name(e)?;
    }
    let mut vault = Vault::open_or_create(&ctx.paths, &ctx.keys)?;
    let now = crate::model::now();
    vault.create_agent(
        &ctx.keys,
        name,
        description.unwrap_or(""),
        env.unwrap_or(""),
        &now,
    )?;
    match env {
        Some(e) => say!(
            "{name}: agent created, pinned to environment {e}; grant it secrets with `vault grant NAME --agent {name}`"
        ),
        None => {
            say!("{name}: agent created; grant it secrets with `vault grant NAME --agent {name}`")
        }
    }
    Ok(())
}

/// An environment for JSON: `null` for none (the shared values).
fn env_json(env: &str) -> serde_json::Value {
    if env.is_empty() {
        serde_json::Value::Null
    } else {
        json!(env)
    }
}

fn list(ctx: &Ctx, json: bool) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let agents = vault.agents()?;
    if json {
        let items: Vec<_> = agents
            .iter()
            .map(|s| {
                let a = &s.agent;
                json!({
                    "name": a.name,
                    "description": a.description,
                    "created": a.created,
                    "last_run": a.last_run,
                    "env": env_json(&a.env),
                    "grants": s.grants,
                })
            })
            .collect();
        return ui::print_json(&serde_json::Value::Array(items));
    }
    if agents.is_empty() {
        eprintln!("no agents yet; create one with `vault agent create NAME`");
        return Ok(());
    }
    // The ENV column only when some agent is pinned.
    let pinned = agents.iter().any(|s| !s.agent.env.is_empty());
    let rows: Vec<Vec<String>> = agents
        .iter()
        .map(|s| {
            let a = &s.agent;
            let mut row = vec![crate::model::agent_name(&a.name)];
            if pinned {
                row.push(if a.env.is_empty() {
                    "-".to_owned()
                } else {
                    crate::model::agent_name(&a.env)
                });
            }
            row.extend([
                s.grants.len().to_string(),
                a.last_run.as_deref().map_or_else(|| "never".into(), escape),
                escape(&a.description),
            ]);
            row
        })
        .collect();
    use ui::Fit;
    let (headers, last): (&[&str], usize) = if pinned {
        (&["AGENT", "ENV", "GRANTS", "LAST RUN", "DESCRIPTION"], 4)
    } else {
        (&["AGENT", "GRANTS", "LAST RUN", "DESCRIPTION"], 3)
    };
    ui::print_table_fit(
        headers,
        &rows,
        &[
            Fit::Shrink { col: last, min: 11 },
            Fit::Shrink { col: last, min: 5 },
        ],
    )
}

fn show(ctx: &Ctx, name: &str, json: bool, env: Option<&str>) -> Result<()> {
    let env = super::env_of(env)?;
    let mut vault = Vault::open(&ctx.paths)?;
    let detail = vault.agent(name, env.as_deref())?;
    let (agent, grants, env) = (detail.agent, detail.receives, detail.env);
    let item = |g: &Receipt| {
        json!({
            "secret": g.secret,
            "from": crate::vault::source_label(&g.source),
            "via": if g.global { "global" } else { "grant" },
            "state": g.sync_state(),
            "version": g.current_version,
            "delivered_version": g.delivered_version,
            "delivered_at": g.delivered_at,
        })
    };
    let key = vault.agent_key_info(&agent.name)?;
    if json {
        // `grants`: what it receives through grants; `receives`: that plus
        // the global secrets, each with its sync state.
        return ui::print_json(&json!({
            "name": agent.name,
            "description": agent.description,
            "created": agent.created,
            "last_run": agent.last_run,
            "pin": env_json(&agent.env),
            "env": env_json(&env),
            "grants": grants.iter().filter(|g| !g.global).map(item).collect::<Vec<_>>(),
            "receives": grants.iter().map(item).collect::<Vec<_>>(),
            "key": key.as_ref().map(|k| json!({
                // null: a keyring for the agent's operators, no agent key.
                "fingerprint": (k.made != "members").then_some(&k.fingerprint),
                "keyring_epoch": k.epoch,
                "expires_unix": (k.expires != 0).then_some(k.expires),
                "revoked": k.revoked,
                "made_by": k.made,
            })),
        }));
    }
    let mut key_fields: Vec<(&str, String)> = Vec::new();
    if let Some(k) = &key {
        key_fields.push(("key", k.fingerprint.clone()));
        key_fields.push(("keyring epoch", k.epoch.to_string()));
        key_fields.push((
            "key made by",
            if k.made == "members" {
                "nobody: the agent has no key; its keyring is for its operators".to_owned()
            } else {
                format!("agent {}", k.made)
            },
        ));
        key_fields.push((
            "key expires",
            if k.expires == 0 {
                "never".to_owned()
            } else {
                format!("unix time {}", k.expires)
            },
        ));
        if let Some(r) = &k.revoked {
            key_fields.push(("key revoked", escape(r)));
        }
    }
    ui::print_fields(&[
        ("agent", crate::model::agent_name(&agent.name)),
        ("description", escape(&agent.description)),
        ("created", escape(&agent.created)),
        (
            "last run",
            agent
                .last_run
                .as_deref()
                .map_or_else(|| "never".into(), escape),
        ),
        (
            "environment",
            match (env.is_empty(), agent.env == env) {
                (true, _) => "none (shared values)".to_owned(),
                (false, true) => format!("{} (pinned)", crate::model::agent_name(&env)),
                (false, false) => crate::model::agent_name(&env),
            },
        ),
    ])?;
    if !key_fields.is_empty() {
        ui::print_fields(&key_fields)?;
    }
    say!();
    if grants.is_empty() {
        say!("receives nothing yet; give it a secret with `vault set NAME --agent {name}` or `vault grant NAME --agent {name}`");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = grants
        .iter()
        .map(|g| {
            let mut row = vec![crate::model::secret_name(&g.secret)];
            if !env.is_empty() {
                row.push(crate::model::agent_name(crate::vault::source_label(
                    &g.source,
                )));
            }
            row.extend([
                if g.global { "global" } else { "grant" }.to_owned(),
                g.sync_state().to_owned(),
                g.current_version.to_string(),
                g.delivered_version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "-".into()),
            ]);
            row
        })
        .collect();
    // FROM (shared or the environment) only when an environment is shown.
    let headers: &[&str] = if env.is_empty() {
        &["SECRET", "VIA", "STATE", "VERSION", "DELIVERED"]
    } else {
        &["SECRET", "FROM", "VIA", "STATE", "VERSION", "DELIVERED"]
    };
    ui::print_table(headers, &rows)?;
    if grants.iter().any(|g| g.sync_state() == "stale") {
        say!("\nstale: changed since the agent's last run; restart it (vault run ...) to pick up the new value");
    }
    Ok(())
}

fn delete(ctx: &Ctx, name: &str) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let n = vault.delete_agent(&ctx.keys, name)?;
    say!("{name}: agent deleted ({n} grants revoked)");
    Ok(())
}

pub fn grant(ctx: &Ctx, args: &GrantArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let now = crate::model::now();
    let granted = vault.grant(
        &ctx.keys,
        &GrantRequest {
            agent: &args.agent,
            names: &args.names,
            now: &now,
        },
    )?;
    let (added, global) = (granted.added, granted.global);
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
    let removed = vault.revoke(&ctx.keys, &args.agent, &args.names)?;
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

/// `vault agent token NAME [--ttl DUR] [--out FILE]`.
fn token(
    ctx: &Ctx,
    name: &str,
    ttl: Option<std::time::Duration>,
    out: Option<&std::path::Path>,
) -> Result<()> {
    model::check_agent_name(name)?;
    let expires = match ttl {
        None => 0,
        Some(d) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|n| n.as_secs())
                .unwrap_or(0);
            now.saturating_add(d.as_secs().max(1))
        }
    };
    // The file first (0600, O_EXCL): an existing one is never overwritten,
    // and nothing is registered then.
    let mut file = match out {
        Some(p) => match crate::paths::create_private_file(p) {
            Ok(f) => Some((f, p)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::conflict(format!("{} exists already", p.display()))
                    .hint("nothing was changed; vault never overwrites a key file: choose another --out FILE or move that one away"))
            }
            Err(e) => return Err(Error::io("create", p, e)),
        },
        None => None,
    };
    let issued = (|| {
        let mut vault = Vault::open(&ctx.paths)?;
        vault.issue_agent_token(&ctx.keys, name, expires)
    })();
    let (reg, text) = match issued {
        Ok(x) => x,
        Err(e) => {
            if let Some((_, p)) = &file {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
    };
    if let Some(note) = &reg.upgraded {
        eprintln!("vault: {note}");
    }
    if reg.created {
        eprintln!("vault: created agent {name}");
    }
    match file.as_mut() {
        Some((f, p)) => {
            use std::io::Write;
            f.write_all(text.as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| Error::io("write", p, e))?;
            eprintln!(
                "vault: the key of agent {name} (keyring epoch {}) is in {}; give it to the agent as VAULT_AGENT_KEY_FILE or VAULT_AGENT_KEY",
                reg.epoch,
                p.display()
            );
        }
        None => {
            let mut o = std::io::stdout().lock();
            use std::io::Write;
            o.write_all(text.as_bytes())
                .and_then(|_| o.flush())
                .map_err(ui::stdout_err)?;
            eprintln!(
                "vault: this is the only time the key of agent {name} is shown (keyring epoch {}); give it to the agent as VAULT_AGENT_KEY",
                reg.epoch
            );
        }
    }
    if expires != 0 {
        eprintln!("vault: it expires at unix time {expires}");
    }
    Ok(())
}

/// `vault agent enroll NAME --root FPR` (the agent's machine).
fn enroll(ctx: &Ctx, name: &str, root: &str) -> Result<()> {
    let done = crate::vault::enroll(&ctx.paths, name, root)?;
    eprintln!(
        "vault: the private key of agent {name} is in {} (0600; it never leaves this machine)",
        done.key_file.display()
    );
    eprintln!(
        "vault: agent key fingerprint {} — the owner must see the same one when approving",
        done.agent_fingerprint
    );
    eprintln!("vault: give this line to an owner for `vault agent approve`:");
    say!("{}", done.request);
    Ok(())
}

/// `vault agent approve REQUEST [--yes]` (an owner).
fn approve(ctx: &Ctx, request: &str, yes: bool) -> Result<()> {
    use std::io::IsTerminal;
    let mut vault = Vault::open(&ctx.paths)?;
    let e = vault.read_enrollment(&ctx.keys, request)?;
    if let Some(note) = &e.upgraded {
        eprintln!("vault: {note}");
    }
    eprintln!("vault root:  {}", e.root_fingerprint);
    eprintln!("agent {}: {}", e.agent, e.agent_fingerprint);
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(Error::invalid(
                "approving an agent's key needs a confirmation, and stdin is not a terminal",
            )
            .hint("compare the agent fingerprint above with the one `vault agent enroll` printed, then run again with --yes"));
        }
        eprint!("Approve this key for agent {}? [y/N] ", e.agent);
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|err| Error::other(format!("cannot read the answer: {err}")))?;
        if !matches!(line.trim(), "y" | "Y" | "yes") {
            return Err(Error::invalid("not approved; nothing was changed"));
        }
    }
    let reg = vault.approve_enrollment(&ctx.keys, &e)?;
    if reg.created {
        eprintln!("vault: created agent {}", e.agent);
    }
    say!(
        "{}: key approved (keyring epoch {}); on its machine, `vault run --agent {}` now receives its grants",
        e.agent,
        reg.epoch,
        e.agent
    );
    Ok(())
}

/// `vault agent revoke-key NAME`.
fn revoke_key(ctx: &Ctx, name: &str) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let done = vault.revoke_agent_key(&ctx.keys, name)?;
    say!("{name}: key revoked; its wraps and signed statement are deleted");
    if done.delivered.is_empty() {
        say!("it was never delivered a secret");
    } else {
        say!("it was delivered these versions; rotate them at the provider:");
        for (secret, source, version) in &done.delivered {
            say!(
                "  {} version {version} ({})",
                model::secret_name(secret),
                crate::vault::source_label(source)
            );
        }
    }
    Ok(())
}
