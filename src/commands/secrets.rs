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
use crate::store::Backend;
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
        Some(v) => v.store.read(|tx| {
            for a in &args.agents {
                require_agent(tx, a)?;
            }
            Ok(tx.secret(&args.name)?)
        })?,
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
        let old_kind = existing.as_ref().map(|e| e.kind);
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
        let (created, mut row) = (put.created, put.row);
        // What changed besides the value, to say so: a same-value `set`
        // that changes who receives the secret is not "unchanged".
        let mut changes: Vec<String> = Vec::new();
        if put.converted {
            if let Some(k) = old_kind {
                changes.push(format!("kind {} -> {}", k.as_str(), row.kind.as_str()));
            }
        }
        let before = (row.provider.clone(), row.scope);
        if let Some(d) = args.description.as_ref().filter(|d| **d != row.description) {
            row.description = d.clone();
            changes.push("description".to_owned());
        }
        if let Some(p) = provider.filter(|p| row.provider.as_deref() != Some(*p)) {
            row.provider = Some(p.to_owned());
            changes.push(format!("provider {p}"));
        }
        let was_global = row.scope == Scope::Global;
        if !args.agents.is_empty() {
            row.scope = Scope::Agent;
        }
        let had = if created {
            Vec::new()
        } else {
            tx.grantees(name)?
        };
        let mut granted: Vec<String> = Vec::new();
        for a in &args.agents {
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
            row.updated = now.clone();
            tx.upsert_secret(&row)?;
        }
        for a in &granted {
            tx.grant(a, name, &now)?;
        }
        // Only a change of who receives it, or of its provider, can break
        // the one-credential-per-provider rule: a rotation never does.
        if created || !granted.is_empty() || before != (row.provider.clone(), row.scope) {
            super::agents::check_provider_rule(tx, name)?;
        }
        let receivers = if was_global && row.scope == Scope::Agent && !created {
            Some(tx.grantees(name)?)
        } else {
            None
        };
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
    })?;
    let o = outcome;
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
    say!(
        "{name}: {what}, {} {}, version {}",
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

/// What `set` did, for its report.
struct SetOutcome {
    created: bool,
    /// A new version (the value changed).
    changed: bool,
    /// Metadata changes besides the value, in words.
    changes: Vec<String>,
    /// Who receives it, when a global secret became agent-only.
    receivers: Option<Vec<String>>,
    version: u64,
    kind: Kind,
    scope: Scope,
    len: usize,
}

/// Secrets about to become plain-text variables: ask on a terminal (y/N),
/// or need `--force`; refuse otherwise (exit 7), naming `--force`.
/// Plain text is stored unencrypted, shown by `list` and never masked, so
/// the change must never happen by accident (a provider's API key least).
/// `retry` is the command that does it without a question.
fn confirm_plain_text(rows: &[&SecretRow], force: bool, retry: &str) -> Result<()> {
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
        ("name", row.name.clone()),
        ("kind", row.kind.as_str().to_owned()),
        ("scope", row.scope.as_str().to_owned()),
        ("value", escape(&shown_value(&row))),
        ("description", escape(&row.description)),
    ];
    if let Some(p) = &row.provider {
        fields.push(("provider", p.clone()));
    }
    fields.push(("version", row.version.to_string()));
    fields.push(("created", row.created.clone()));
    fields.push(("updated", row.updated.clone()));
    if !agents.is_empty() {
        fields.push(("agents", agents.join(", ")));
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
                r.name.clone(),
                r.kind.as_str().to_owned(),
                if verified == Some(false) {
                    format!("{}!", r.scope.as_str())
                } else {
                    r.scope.as_str().to_owned()
                },
                escape(&shown_value(r)),
                escape(&r.description),
                r.created.clone(),
                r.updated.clone(),
            ]
        })
        .collect();
    output::print_table(
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
    let mut vault = Vault::open(&ctx.paths)?;
    let rows = vault.store.read(|tx| {
        let mut rows = Vec::with_capacity(names.len());
        for n in &names {
            match tx.secret(n)? {
                Some(r) => rows.push(r),
                None => return Err(no_such_secret(tx, n).also("nothing was changed")),
            }
        }
        Ok(rows)
    })?;
    if args.variable {
        let to_plain: Vec<&SecretRow> = rows.iter().filter(|r| r.kind == Kind::Secret).collect();
        let retry = format!("vault edit {} --variable --force", names.join(" "));
        confirm_plain_text(&to_plain, args.force, &retry)?;
    }
    let now = output::now();
    // Every name or none: one transaction, and any error undoes the lot.
    let reports = vault.write(&ctx.keys, |tx, crypt| {
        let mut reports = Vec::with_capacity(names.len());
        for n in &names {
            let mut row = tx
                .secret(n)?
                .ok_or_else(|| no_such_secret(tx, n).also("nothing was changed"))?;
            let mut changes: Vec<String> = Vec::new();
            let new_kind = if args.variable {
                Kind::Variable
            } else if args.secret {
                Kind::Secret
            } else {
                row.kind
            };
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
            if let Some(d) = args.description.as_ref().filter(|d| **d != row.description) {
                row.description = d.clone();
                changes.push("description".to_owned());
            }
            let scope = if args.global {
                Scope::Global
            } else if args.agent_only {
                Scope::Agent
            } else {
                row.scope
            };
            if scope != row.scope {
                changes.push(format!(
                    "scope {} -> {}",
                    row.scope.as_str(),
                    scope.as_str()
                ));
                row.scope = scope;
            }
            if let Some(p) = provider.filter(|p| row.provider.as_deref() != *p) {
                changes.push(match p {
                    Some(p) => format!("provider {p}"),
                    None => "provider removed".to_owned(),
                });
                row.provider = p.map(str::to_owned);
            }
            if !changes.is_empty() {
                row.updated = now.clone();
                tx.upsert_secret(&row)?;
            }
            if before != (row.provider.clone(), row.scope) {
                super::agents::check_provider_rule(tx, &row.name)?;
            }
            let nobody = row.scope == Scope::Agent && tx.grantees(n)?.is_empty();
            reports.push((n.to_string(), changes, nobody));
        }
        Ok(reports)
    })?;
    for (name, changes, nobody) in reports {
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
