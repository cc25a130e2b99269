//! `init`, `set`, `get`, `list`, `edit`, `delete`: the life of one secret.

use std::io::{IsTerminal, Read, Write};

use serde_json::json;
use zeroize::Zeroizing;

use super::Ctx;
use crate::cli::{DeleteArgs, EditArgs, GetArgs, InitArgs, ListArgs, SetArgs};
use crate::error::{Error, Result};
use crate::model::{self, Kind, Scope, SecretValue};
use crate::typed::escape;
use crate::ui::say;
use crate::ui::{self, MASK};
use crate::vault::{strip_one_newline, Vault};
use crate::vault::{EditRequest, NewValue, SecretInfo, SetRequest, Unverified};

pub fn init(ctx: &Ctx, args: &InitArgs) -> Result<()> {
    let created = Vault::init(&ctx.paths, &ctx.keys, args.passphrase, args.format)?;
    say!("{}", created.notice);
    Ok(())
}

fn read_value(name: &str, given: Option<&str>, exists: bool) -> Result<NewValue> {
    if let Some(v) = given {
        return Ok(NewValue::Value(SecretValue::new(Zeroizing::new(
            v.to_owned(),
        ))?));
    }
    if std::io::stdin().is_terminal() {
        let prompt = if exists {
            format!("New value for {name} (Enter keeps the current value): ")
        } else {
            format!("Value for {name}: ")
        };
        let answer = crate::prompt::prompt_hidden(&prompt, crate::prompt::Lines::Many).map_err(|e| {
            Error::other(format!(
                "cannot read the value: {e}; nothing was stored (what was typed or pasted was discarded)"
            ))
            .hint(format!(
                "or give the value on stdin: `vault set {name} < FILE` (multi-line values such as PEM keys work this way)"
            ))
        })?;
        if answer.is_empty() && exists {
            return Ok(NewValue::KeepCurrent);
        }
        let lines = answer.lines().count();
        if lines > 1 {
            // Say so: a paste may hold more than the user meant to give.
            eprintln!(
                "note: the value pasted for {name} has {lines} lines; all of them are the value"
            );
        }
        return Ok(NewValue::Value(SecretValue::new(answer)?));
    }
    let mut bytes = Zeroizing::new(Vec::new());
    std::io::stdin()
        .lock()
        .take(model::MAX_VALUE_LEN as u64 + 3)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::other(format!("cannot read the value from stdin: {e}")))?;
    let text = String::from_utf8(std::mem::take(&mut *bytes)).map_err(|e| {
        zeroize::Zeroize::zeroize(&mut e.into_bytes());
        Error::invalid("the value read from stdin is not valid UTF-8 text")
            .hint("vault stores text; base64-encode binary data first")
    })?;
    let mut text = Zeroizing::new(text);
    strip_one_newline(&mut text);
    if text.is_empty() && exists {
        // Allowed (an empty value is a value), but rarely meant when it
        // replaces a real one: `vault set X < /dev/null` in a script.
        eprintln!(
            "warning: stdin was empty, so {name} becomes the empty value (the previous one stays in its version history)"
        );
    }
    Ok(NewValue::Value(SecretValue::new(text)?))
}

pub fn set(ctx: &Ctx, args: &SetArgs) -> Result<()> {
    if model::check_secret_name(&args.name).is_err()
        && args
            .value
            .as_deref()
            .is_some_and(|v| model::check_secret_name(v).is_ok())
    {
        // `vault set hunter2 OPENAI_API_KEY`: the value came first. Echo
        // neither: the "name" is the secret.
        return Err(Error::invalid(
            "the arguments look swapped: NAME comes first, then the value (neither is shown)",
        )
        .hint("vault set NAME VALUE, or `vault set NAME` to be asked for the value"));
    }
    model::check_secret_name(&args.name)?;
    model::check_code_loading_name(&args.name, args.allow_code_loading_name)?;
    for a in &args.agents {
        model::check_agent_name(a)?;
    }
    let env = super::env_of(args.env.as_deref())?;
    let env = env.as_deref().unwrap_or("");
    let provider = match &args.provider {
        Some(p) => Some(super::providers::check_provider(p)?),
        None => None,
    };
    // Check everything (agents, the value) before a vault is created, so a
    // failed first `set` leaves nothing behind.
    let mut opened = if ctx.paths.db.exists() {
        Some(Vault::open(&ctx.paths)?)
    } else if ctx.paths.database.is_some() {
        match Vault::open(&ctx.paths) {
            Ok(v) => Some(v),
            Err(e) if e.kind() == crate::error::Kind::NotFound => None,
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let existing = match &mut opened {
        Some(v) => v.secret_before_set(env, &args.name, &args.agents)?,
        None => {
            if let Some(a) = args.agents.first() {
                return Err(Error::not_found(format!("no agent named {a}"))
                    .hint(format!("create it first with `vault agent create {a}`")));
            }
            None
        }
    };
    if args.variable {
        if let Some(e) = existing.as_ref().filter(|e| e.kind == Kind::Secret) {
            let retry = format!("vault set {} ... --variable --force", e.name);
            confirm_plain_text(&[e], args.force, &retry)?;
        }
    }
    // Unlock before asking for the value: a mistyped passphrase must not
    // cost the user the value they just typed or pasted.
    if let Some(v) = &mut opened {
        v.unlock(&ctx.keys)?;
    }
    let new_value = read_value(&args.name, args.value.as_deref(), existing.is_some())?;
    let mut vault = match opened {
        Some(v) => v,
        None => Vault::open_or_create(&ctx.paths, &ctx.keys)?,
    };
    let now = crate::model::now();
    let name = args.name.as_str();
    let o = vault.set_secret(
        &ctx.keys,
        &SetRequest {
            env,
            name,
            value: new_value,
            variable: args.variable,
            description: args.description.as_deref(),
            provider,
            agents: &args.agents,
            now: &now,
        },
    )?;
    let what = if o.created {
        "created".to_owned()
    } else if o.changed && o.changes.is_empty() {
        "updated".to_owned()
    } else if o.changed {
        format!("updated (also changed: {})", o.changes.join(", "))
    } else if !o.changes.is_empty() {
        format!("value unchanged (changed: {})", o.changes.join(", "))
    } else {
        "unchanged (same value)".to_owned()
    };
    let place = if env.is_empty() {
        String::new()
    } else {
        format!(" in {env}")
    };
    say!(
        "{name}{place}: {what}, {} {}, version {}",
        o.scope.as_str(),
        o.kind.as_str(),
        o.version
    );
    if let Some(agents) = &o.receivers {
        // `--agent` on a global secret narrows who receives it: every run
        // without one of these agents loses it from now on.
        eprintln!(
            "warning: {name} was global and is now agent-only: only runs as {} receive it, every other `vault run` no longer does (undo: `vault edit {name} --global`)",
            agents.join(", ")
        );
    }
    if o.created && o.len == 0 {
        eprintln!(
            "warning: {name} was created with an empty value (a placeholder?); `vault run` injects it as an empty variable; set the real value with `vault set {name}`"
        );
    }
    if o.kind == Kind::Secret && o.len > 0 && o.len < crate::run::MIN_MASK_LEN && o.changed {
        eprintln!(
            "warning: {name} is shorter than {} bytes, so `vault run` will not mask it in output (it would hide ordinary text)",
            crate::run::MIN_MASK_LEN
        );
    }
    Ok(())
}

/// Secrets about to become plain-text variables: ask on a terminal (y/N),
/// or need `--force`; refuse otherwise (exit 7), naming `--force`.
/// Plain text is stored unencrypted, shown by `list` and never masked, so
/// the change must never happen by accident (a provider's API key least).
/// `retry` is the command that does it without a question.
fn confirm_plain_text(rows: &[&SecretInfo], force: bool, retry: &str) -> Result<()> {
    if rows.is_empty() || force {
        return Ok(());
    }
    let names: Vec<String> = rows
        .iter()
        .map(|r| match &r.provider {
            Some(p) => format!("{} (the {p} credential)", r.name),
            None => r.name.clone(),
        })
        .collect();
    let one = rows.len() == 1;
    let what = format!(
        "{} {}; as {} {} would be stored unencrypted in vault.db, shown by `vault list` and never masked by `vault run`",
        names.join(", "),
        if one { "is a secret" } else { "are secrets" },
        if one { "a variable" } else { "variables" },
        if one { "it" } else { "they" },
    );
    if std::io::stdin().is_terminal() {
        eprintln!("{what}");
        let yes = crate::prompt::confirm("Make plain text? [y/N] ")
            .map_err(|e| Error::other(format!("cannot read the answer: {e}")))?;
        if yes {
            return Ok(());
        }
        return Err(Error::other("nothing was changed: the answer was no")
            .hint(format!("to do it without a question: `{retry}`")));
    }
    Err(
        Error::invalid(format!("{what}; nothing was changed")).hint(format!(
            "if {} not sensitive, repeat with --force: `{retry}`",
            if one { "it is" } else { "they are" }
        )),
    )
}

/// The JSON form of a secret's metadata (value per `value`).
fn secret_json(row: &SecretInfo, value: serde_json::Value, agents: &[String]) -> serde_json::Value {
    json!({
        "name": row.name,
        "from": crate::vault::source_label(&row.env),
        "kind": row.kind.as_str(),
        "scope": row.scope.as_str(),
        "value": value,
        "description": row.description,
        "provider": row.provider,
        "version": row.version,
        "created": row.created,
        "updated": row.updated,
        "agents": agents,
    })
}

/// What listings show for the value: the mask for secrets, the text for variables.
fn shown_value(row: &SecretInfo) -> String {
    row.plain.clone().unwrap_or_else(|| MASK.to_owned())
}

/// `vault get X --reveal` with an agent key: the value, when the agent's
/// signed statement lists X; nothing else an agent key can do here.
fn get_as_agent(
    ctx: &Ctx,
    args: &GetArgs,
    cred: &crate::vault::AgentCredential,
    env: Option<&str>,
) -> Result<()> {
    if !args.reveal {
        return Err(Error::locked(format!(
            "permission denied: `vault get {}` without --reveal shows metadata, which needs the master key; this process has only an agent key ({})",
            crate::model::shown(&args.name),
            cred.source
        ))
        .hint("add --reveal to print the value the agent receives"));
    }
    let mut vault = Vault::open(&ctx.paths)?;
    let received = vault.receive_as(cred, None, env)?;
    let Some(item) = received.items.iter().find(|i| i.name == args.name) else {
        return Err(Error::locked(format!(
            "permission denied: agent {} does not receive {}",
            received.agent,
            crate::model::shown(&args.name)
        ))
        .hint(format!(
            "ask an owner to grant it (`vault grant {} --agent {}`)",
            crate::model::shown(&args.name),
            received.agent
        )));
    };
    print_received(args, item, &received.agent)
}

/// `vault get X --reveal` by a member who operates agents: the value one
/// of their signed views lists (the first agent, by name, that receives X
/// in the environment asked for). `None`: none of them receives it.
fn reveal_as_operator(vault: &mut Vault, args: &GetArgs, env: Option<&str>) -> Result<Option<()>> {
    // As for an owner, no --env means the shared values: a member gets a
    // value only from an agent whose view is of the environment asked for.
    let env = Some(env.unwrap_or(""));
    for agent in vault.operated_agents() {
        let received = match vault.member_receives(&agent, env) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(None),
            // Not wrapped to this member yet, or another environment: the
            // next agent may still have it; integrity failures stop here.
            Err(e) if e.kind() == crate::error::Kind::Locked => continue,
            Err(e) => return Err(e),
        };
        if let Some(item) = received.items.iter().find(|i| i.name == args.name) {
            vault.record_member_reveal(&received, item)?;
            return print_received(args, item, &received.agent).map(Some);
        }
    }
    Ok(None)
}

/// Print a value a signed view received (`--json`: with its agent).
fn print_received(args: &GetArgs, item: &crate::vault::ReceivedItem, agent: &str) -> Result<()> {
    if args.json {
        return ui::print_json(&json!({
            "name": item.name,
            "value": item.value.as_str(),
            "version": item.version,
            "kind": if item.secret { "secret" } else { "variable" },
            "agent": agent,
        }));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(item.value.as_bytes())
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush())
        .map_err(ui::stdout_err)
}

pub fn get(ctx: &Ctx, args: &GetArgs) -> Result<()> {
    let env = super::env_of(args.env.as_deref())?;
    if let Some(cred) = crate::vault::AgentCredential::find(None, super::master_at_hand(ctx))? {
        return get_as_agent(ctx, args, &cred, env.as_deref());
    }
    let mut vault = Vault::open(&ctx.paths)?;
    if args.reveal && reveal_as_operator(&mut vault, args, env.as_deref())?.is_some() {
        return Ok(());
    }
    let env = env.as_deref().unwrap_or("");
    let row = vault.secret_info(env, &args.name)?;
    let agents = &row.agents;
    if args.reveal {
        let (authenticated, value) = vault.reveal_secret(&ctx.keys, env, &args.name)?;
        if args.json {
            return ui::print_json(&secret_json(&authenticated, json!(value.as_str()), agents));
        }
        let mut out = std::io::stdout().lock();
        out.write_all(value.as_bytes())
            .and_then(|_| out.write_all(b"\n"))
            .and_then(|_| out.flush())
            .map_err(ui::stdout_err)?;
        return Ok(());
    }
    if args.json {
        return ui::print_json(&secret_json(&row, json!(shown_value(&row)), agents));
    }
    let mut fields = vec![("name", crate::model::secret_name(&row.name))];
    if !env.is_empty() {
        fields.push((
            "from",
            crate::model::agent_name(crate::vault::source_label(&row.env)),
        ));
    }
    fields.extend([
        ("kind", row.kind.as_str().to_owned()),
        ("scope", row.scope.as_str().to_owned()),
        ("value", escape(&shown_value(&row))),
        ("description", escape(&row.description)),
    ]);
    if let Some(p) = &row.provider {
        fields.push(("provider", escape(p)));
    }
    fields.push(("version", row.version.to_string()));
    fields.push(("created", escape(&row.created)));
    fields.push(("updated", escape(&row.updated)));
    if !agents.is_empty() {
        let shown: Vec<String> = agents.iter().map(|a| crate::model::agent_name(a)).collect();
        fields.push(("agents", shown.join(", ")));
    }
    ui::print_fields(&fields)
}

pub fn list(ctx: &Ctx, args: &ListArgs) -> Result<()> {
    let env = super::env_of(args.env.as_deref())?;
    let mut vault = Vault::open(&ctx.paths)?;
    // list needs no key; but when one is at hand without a prompt, the
    // vault checks the policy it shows (over the very rows it shows).
    let listing = vault.list_secrets(&ctx.keys, args.agent.as_deref(), env.as_deref())?;
    let env = listing.env.as_str();
    if !listing.other_envs.is_empty() && !args.json {
        eprintln!(
            "note: these are the shared values; {} also {} values of {} own (`vault list --env ENV` shows one environment's)",
            listing.other_envs.join(", "),
            if listing.other_envs.len() == 1 {
                "has"
            } else {
                "have"
            },
            if listing.other_envs.len() == 1 { "its" } else { "their" },
        );
    }
    let (rows, verified) = (listing.secrets, listing.verified);
    match (verified, &listing.unverified) {
        (Some(false), _) => eprintln!(
            "warning: the access policy failed authentication: scopes and grants below (marked !) may have been changed outside vault; `vault run` and `get --reveal` will refuse"
        ),
        (None, Some(why)) if !args.json => {
            let why_unverified = match why {
                Unverified::PassphraseVault => "list does not unlock a passphrase vault (that costs an Argon2id); `vault get NAME --reveal` and `vault run` check them".to_owned(),
                Unverified::NoKey => "no key file or VAULT_KEY to check them".to_owned(),
                Unverified::KeyUnusable(m) => format!("the key could not be used: {m}"),
            };
            eprintln!("note: scopes and grants are shown unverified ({why_unverified})")
        }
        _ => {}
    }
    if args.json {
        let items: Vec<_> = rows
            .iter()
            .map(|r| {
                let mut v = secret_json(r, json!(shown_value(r)), &r.agents);
                v["policy_verified"] = json!(verified);
                v
            })
            .collect();
        return ui::print_json(&serde_json::Value::Array(items));
    }
    if rows.is_empty() {
        eprintln!("no secrets yet; add one with `vault set NAME` or `vault import .env`");
        return Ok(());
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut row = vec![crate::model::secret_name(&r.name)];
            if !env.is_empty() {
                row.push(crate::model::agent_name(crate::vault::source_label(&r.env)));
            }
            row.extend([
                r.kind.as_str().to_owned(),
                if verified == Some(false) {
                    format!("{}!", r.scope.as_str())
                } else {
                    r.scope.as_str().to_owned()
                },
                escape(&shown_value(r)),
                escape(&r.description),
                escape(&r.created),
                escape(&r.updated),
            ]);
            row
        })
        .collect();
    // On a narrow terminal: descriptions give way first, then the creation
    // time, then long variable values; names and masks are never cut.
    // With --env a FROM column (shared or the environment) follows NAME.
    use ui::Fit;
    let o = usize::from(!env.is_empty());
    let mut headers = vec!["NAME"];
    if o == 1 {
        headers.push("FROM");
    }
    headers.extend([
        "KIND",
        "SCOPE",
        "VALUE",
        "DESCRIPTION",
        "CREATED",
        "UPDATED",
    ]);
    ui::print_table_fit(
        &headers,
        &table,
        &[
            Fit::Shrink {
                col: 4 + o,
                min: 16,
            },
            Fit::Drop(5 + o),
            Fit::Shrink {
                col: 4 + o,
                min: 11,
            },
            Fit::Shrink {
                col: 3 + o,
                min: MASK.chars().count(),
            },
            Fit::Drop(6 + o),
            Fit::Shrink { col: 4 + o, min: 5 },
        ],
    )
}

pub fn edit(ctx: &Ctx, args: &EditArgs) -> Result<()> {
    if args.description.is_none()
        && !args.variable
        && !args.secret
        && !args.global
        && !args.agent_only
        && args.provider.is_none()
    {
        return Err(Error::usage("nothing to change").hint(
            "give -d DESC, --variable, --secret, --global, --agent-only or --provider (to change the value: `vault set`)",
        ));
    }
    let provider = match args.provider.as_deref() {
        Some("none") | Some("") => Some(None),
        Some(p) => Some(Some(super::providers::check_provider(p)?)),
        None => None,
    };
    let mut names: Vec<&str> = Vec::with_capacity(args.names.len());
    for n in &args.names {
        if !names.contains(&n.as_str()) {
            names.push(n);
        }
    }
    let env = super::env_of(args.env.as_deref())?;
    let env = env.as_deref().unwrap_or("");
    let mut vault = Vault::open(&ctx.paths)?;
    let rows = vault.secret_infos(env, &names)?;
    if args.variable {
        let to_plain: Vec<&SecretInfo> = rows.iter().filter(|r| r.kind == Kind::Secret).collect();
        let retry = format!("vault edit {} --variable --force", names.join(" "));
        confirm_plain_text(&to_plain, args.force, &retry)?;
    }
    let now = crate::model::now();
    // Every name or none: one transaction, and any error undoes the lot.
    let reports = vault.edit_secrets(
        &ctx.keys,
        &EditRequest {
            env,
            names: &names,
            kind: if args.variable {
                Some(Kind::Variable)
            } else if args.secret {
                Some(Kind::Secret)
            } else {
                None
            },
            description: args.description.as_deref(),
            scope: if args.global {
                Some(Scope::Global)
            } else if args.agent_only {
                Some(Scope::Agent)
            } else {
                None
            },
            provider,
            now: &now,
        },
    )?;
    for e in reports {
        let (name, changes, nobody) = (e.name, e.changes, e.received_by_nobody);
        if changes.is_empty() {
            say!("{name}: unchanged (it already was so)");
        } else {
            say!("{name}: metadata updated ({})", changes.join(", "));
        }
        if nobody && args.agent_only {
            eprintln!(
                "warning: {name} is agent-only and granted to no agent, so no `vault run` receives it now; grant it with `vault grant {name} --agent AGENT` (undo: `vault edit {name} --global`)"
            );
        }
    }
    Ok(())
}

pub fn delete(ctx: &Ctx, args: &DeleteArgs) -> Result<()> {
    let env = super::env_of(args.env.as_deref())?;
    let env = env.as_deref().unwrap_or("");
    let mut vault = Vault::open(&ctx.paths)?;
    let deleted = vault.delete_secrets(&ctx.keys, env, &args.names, args.force)?;
    for (name, agents) in deleted {
        say!("{name}: revoked from {}", agents.join(", "));
    }
    for name in &args.names {
        if env.is_empty() {
            say!("{name}: deleted");
        } else {
            say!(
                "{name}: deleted in {env} (it uses the shared value there again, if there is one)"
            );
        }
    }
    Ok(())
}
