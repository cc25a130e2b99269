//! `init`, `set`, `get`, `list`, `edit`, `delete`: the life of one secret.

use std::io::{IsTerminal, Read, Write};

use serde_json::json;
use zeroize::Zeroizing;

use super::{no_such_secret, require_agent, Ctx};
use crate::cli::{DeleteArgs, EditArgs, GetArgs, InitArgs, ListArgs, SetArgs};
use crate::error::{Error, Result};
use crate::model::{self, Kind, Scope, SecretValue};
use crate::output::say;
use crate::output::{self, escape, MASK};
use crate::store::{Audience, SecretRow, StoredValue};
use crate::vault::{strip_one_newline, Vault};

pub fn init(ctx: &Ctx, args: &InitArgs) -> Result<()> {
    let created = Vault::init(&ctx.paths, &ctx.keys, args.passphrase)?;
    say!("{}", created.notice);
    Ok(())
}

/// Where the new value comes from.
enum NewValue {
    Value(SecretValue),
    /// Empty answer at the prompt for an existing secret.
    KeepCurrent,
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
        let answer = crate::sys::prompt_hidden(&prompt)
            .map_err(|e| Error::other(format!("cannot read the value: {e}")))?;
        if answer.is_empty() && exists {
            return Ok(NewValue::KeepCurrent);
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
    let provider = match &args.provider {
        Some(p) => Some(super::providers::check_provider(p)?),
        None => None,
    };
    // Check everything (agents, the value) before a vault is created, so a
    // failed first `set` leaves nothing behind.
    let mut opened = if ctx.paths.db.exists() {
        Some(Vault::open(&ctx.paths)?)
    } else {
        None
    };
    let existing = match &mut opened {
        Some(v) => v.store.read(|tx| {
            for a in &args.agents {
                require_agent(tx, a)?;
            }
            tx.secret(&args.name)
        })?,
        None => {
            if let Some(a) = args.agents.first() {
                return Err(Error::not_found(format!("no agent named {a}"))
                    .hint(format!("create it first with `vault agent create {a}`")));
            }
            None
        }
    };
    let new_value = read_value(&args.name, args.value.as_deref(), existing.is_some())?;
    let mut vault = match opened {
        Some(v) => v,
        None => Vault::open_or_create(&ctx.paths, &ctx.keys)?,
    };
    let kind = match (&existing, args.variable) {
        (_, true) => Kind::Variable,
        (Some(e), false) => e.kind,
        (None, false) => Kind::Secret,
    };
    let now = output::now();
    let name = args.name.as_str();
    let outcome = vault.write(&ctx.keys, |tx, crypt| {
        // Re-read inside the write transaction: another process may have changed it.
        let existing = tx.secret(name)?;
        let current = match &existing {
            Some(e) => Some(crypt.open_value(name, e.version, &e.value)?),
            None => None,
        };
        let value = match (&new_value, &current) {
            (NewValue::Value(v), _) => v.clone(),
            (NewValue::KeepCurrent, Some(c)) => c.clone(),
            (NewValue::KeepCurrent, None) => SecretValue::new(Zeroizing::new(String::new()))?,
        };
        let put = super::put_value(tx, crypt, existing, name, kind, &value, &now)?;
        // Same value under another kind is a change of kind, not "unchanged".
        let (created, unchanged, mut row) = (put.created, !put.changed && !put.converted, put.row);
        let before = (row.provider.clone(), row.scope);
        if let Some(d) = &args.description {
            row.description = d.clone();
        }
        if provider.is_some() {
            row.provider = provider.map(str::to_owned);
        }
        if !args.agents.is_empty() {
            row.scope = Scope::Agent;
        }
        row.updated = now.clone();
        tx.upsert_secret(&row)?;
        let mut granted = false;
        for a in &args.agents {
            granted |= tx.grant(a, name, &now)?;
        }
        // Only a change of who receives it, or of its provider, can break
        // the one-credential-per-provider rule: a rotation never does.
        if created || granted || before != (row.provider.clone(), row.scope) {
            super::agents::check_provider_rule(tx, name)?;
        }
        Ok((
            created,
            unchanged,
            row.version,
            row.kind,
            row.scope,
            value.len(),
        ))
    })?;
    let (created, unchanged, version, kind, scope, len) = outcome;
    let what = if created {
        "created"
    } else if unchanged {
        "unchanged (same value)"
    } else {
        "updated"
    };
    say!(
        "{name}: {what}, {} {}, version {version}",
        scope.as_str(),
        kind.as_str()
    );
    if kind == Kind::Secret && len > 0 && len < crate::run::MIN_MASK_LEN && !unchanged {
        eprintln!(
            "warning: {name} is shorter than {} bytes, so `vault run` will not mask it in output (it would hide ordinary text)",
            crate::run::MIN_MASK_LEN
        );
    }
    Ok(())
}

/// The JSON form of a secret's metadata (value per `value`).
fn secret_json(row: &SecretRow, value: serde_json::Value, agents: &[String]) -> serde_json::Value {
    json!({
        "name": row.name,
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
fn shown_value(row: &SecretRow) -> String {
    match (&row.kind, &row.value) {
        (Kind::Variable, StoredValue::Plain(p)) => p.to_string(),
        _ => MASK.to_owned(),
    }
}

pub fn get(ctx: &Ctx, args: &GetArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let (row, agents) = vault.store.read(|tx| {
        let row = tx
            .secret(&args.name)?
            .ok_or_else(|| no_such_secret(tx, &args.name))?;
        let agents = tx.grantees(&args.name)?;
        Ok((row, agents))
    })?;
    if args.reveal {
        vault.unlock(&ctx.keys)?;
        // Re-read under a verified policy: the row shown is the row authenticated.
        let Vault { store, crypt, .. } = &mut vault;
        let row = store.read(|tx| {
            crypt.verify_policy(tx)?;
            tx.secret(&args.name)?
                .ok_or_else(|| no_such_secret(tx, &args.name))
        })?;
        let value = vault.crypt.open_value(&row.name, row.version, &row.value)?;
        if args.json {
            return output::print_json(&secret_json(&row, json!(value.as_str()), &agents));
        }
        let mut out = std::io::stdout().lock();
        out.write_all(value.as_bytes())
            .and_then(|_| out.write_all(b"\n"))
            .and_then(|_| out.flush())
            .map_err(output::stdout_err)?;
        return Ok(());
    }
    if args.json {
        return output::print_json(&secret_json(&row, json!(shown_value(&row)), &agents));
    }
    let mut fields = vec![
        ("name", output::secret_name(&row.name)),
        ("kind", row.kind.as_str().to_owned()),
        ("scope", row.scope.as_str().to_owned()),
        ("value", escape(&shown_value(&row))),
        ("description", escape(&row.description)),
    ];
    if let Some(p) = &row.provider {
        fields.push(("provider", escape(p)));
    }
    fields.push(("version", row.version.to_string()));
    fields.push(("created", escape(&row.created)));
    fields.push(("updated", escape(&row.updated)));
    if !agents.is_empty() {
        let shown: Vec<String> = agents.iter().map(|a| output::agent_name(a)).collect();
        fields.push(("agents", shown.join(", ")));
    }
    output::print_fields(&fields)
}

pub fn list(ctx: &Ctx, args: &ListArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    // list needs no key; but when one is at hand without a prompt, check the
    // policy it shows (over the very rows it shows) and mark what failed.
    let quiet = vault.unlock_quietly(&ctx.keys);
    let unlocked = matches!(quiet, Ok(true));
    let why_unverified = match &quiet {
        Ok(true) => String::new(),
        Ok(false) if vault.has_passphrase_slot() => {
            "list does not unlock a passphrase vault (that costs an Argon2id); `vault get NAME --reveal` and `vault run` check them".to_owned()
        }
        Ok(false) => "no key file or VAULT_KEY to check them".to_owned(),
        Err(e) => format!("the key could not be used: {}", e.message()),
    };
    let Vault { store, crypt, .. } = &mut vault;
    let (all, grants, verified) = store.read(|tx| {
        if let Some(a) = &args.agent {
            require_agent(tx, a)?;
        }
        let all = tx.secrets(Audience::Everything)?;
        let grants = tx.all_grants()?;
        let verified = unlocked.then(|| crypt.check_policy(tx, &all, &grants).is_ok());
        Ok((all, grants, verified))
    })?;
    let rows: Vec<SecretRow> = match &args.agent {
        Some(a) => {
            let receives = model::Receives::new(Some(a), &grants);
            all.into_iter()
                .filter(|r| receives.secret(&r.name, r.scope))
                .collect()
        }
        None => all,
    };
    match verified {
        Some(false) => eprintln!(
            "warning: the access policy failed authentication: scopes and grants below (marked !) may have been changed outside vault; `vault run` and `get --reveal` will refuse"
        ),
        None if !args.json => {
            eprintln!("note: scopes and grants are shown unverified ({why_unverified})")
        }
        _ => {}
    }
    // One pass over the grants, not one per row: 10,000 secrets with
    // 10,000 grants would otherwise be 10^8 comparisons.
    let mut by_secret: std::collections::HashMap<&str, Vec<String>> =
        std::collections::HashMap::new();
    for (a, s) in &grants {
        by_secret.entry(s.as_str()).or_default().push(a.clone());
    }
    let agents_of =
        |name: &str| -> Vec<String> { by_secret.get(name).cloned().unwrap_or_default() };
    if args.json {
        let items: Vec<_> = rows
            .iter()
            .map(|r| {
                let mut v = secret_json(r, json!(shown_value(r)), &agents_of(&r.name));
                v["policy_verified"] = json!(verified);
                v
            })
            .collect();
        return output::print_json(&serde_json::Value::Array(items));
    }
    if rows.is_empty() {
        eprintln!("no secrets yet; add one with `vault set NAME` or `vault import .env`");
        return Ok(());
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                output::secret_name(&r.name),
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
            ]
        })
        .collect();
    // On a narrow terminal: descriptions give way first, then the creation
    // time, then long variable values; names and masks are never cut.
    use output::Fit;
    output::print_table_fit(
        &[
            "NAME",
            "KIND",
            "SCOPE",
            "VALUE",
            "DESCRIPTION",
            "CREATED",
            "UPDATED",
        ],
        &table,
        &[
            Fit::Shrink { col: 4, min: 16 },
            Fit::Drop(5),
            Fit::Shrink { col: 4, min: 11 },
            Fit::Shrink {
                col: 3,
                min: MASK.chars().count(),
            },
            Fit::Drop(6),
            Fit::Shrink { col: 4, min: 5 },
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
    let mut vault = Vault::open(&ctx.paths)?;
    let row = vault.store.read(|tx| {
        tx.secret(&args.name)?
            .ok_or_else(|| no_such_secret(tx, &args.name))
    })?;
    let new_kind = if args.variable {
        Kind::Variable
    } else if args.secret {
        Kind::Secret
    } else {
        row.kind
    };
    let now = output::now();
    vault.write(&ctx.keys, |tx, crypt| {
        let mut row = tx
            .secret(&args.name)?
            .ok_or_else(|| no_such_secret(tx, &args.name))?;
        if new_kind != row.kind {
            super::convert_kind(tx, crypt, &row, new_kind)?;
            row.kind = new_kind;
        }
        let before = (row.provider.clone(), row.scope);
        if let Some(d) = &args.description {
            row.description = d.clone();
        }
        if args.global {
            row.scope = Scope::Global;
        }
        if args.agent_only {
            row.scope = Scope::Agent;
        }
        if let Some(p) = provider {
            row.provider = p.map(str::to_owned);
        }
        row.updated = now.clone();
        tx.upsert_secret(&row)?;
        if before != (row.provider.clone(), row.scope) {
            super::agents::check_provider_rule(tx, &row.name)?;
        }
        Ok(())
    })?;
    say!("{}: metadata updated", args.name);
    Ok(())
}

pub fn delete(ctx: &Ctx, args: &DeleteArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let deleted = vault.write(&ctx.keys, |tx, _| {
        for name in &args.names {
            if tx.secret(name)?.is_none() {
                return Err(no_such_secret(tx, name).also("nothing was deleted"));
            }
        }
        let mut granted = Vec::new();
        for name in &args.names {
            let agents = tx.grantees(name)?;
            if !agents.is_empty() && !granted.iter().any(|(n, _)| n == name) {
                granted.push((name.clone(), agents));
            }
        }
        if !granted.is_empty() && !args.force {
            // Name every blocker at once, not one per attempt.
            let lines: Vec<String> = granted
                .iter()
                .map(|(name, agents)| format!("{name} is granted to {}", agents.join(", ")))
                .collect();
            let (name, agents) = &granted[0];
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
        for name in &args.names {
            tx.delete_secret(name)?;
        }
        Ok(granted)
    })?;
    for (name, agents) in deleted {
        say!("{name}: revoked from {}", agents.join(", "));
    }
    for name in &args.names {
        say!("{name}: deleted");
    }
    Ok(())
}
