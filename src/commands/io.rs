//! `import` (alias `import-env`) and `export`: .env files in and out.
//!
//! Import is all or nothing: every line is parsed and checked first, every bad
//! line is reported as `FILE:LINE: reason`, and only a clean file is written,
//! in one transaction. Export reveals values, quoted so that importing the
//! output restores the same bytes.

use std::collections::HashMap;
use std::io::{Read, Write};

use serde_json::json;
use zeroize::Zeroizing;

use super::{require_agent, Ctx};
use crate::cli::{ExportArgs, ExportFormat, ImportArgs};
use crate::dotenv;
use crate::error::{Error, Result};
use crate::model::{self, Kind, Scope, SecretValue};
use crate::output;
use crate::output::say;
use crate::store::Backend;
use crate::store::{Audience, SecretRow};
use crate::vault::Vault;

/// One assignment that passed every check.
struct Checked {
    name: String,
    value: SecretValue,
}

#[derive(Default)]
struct Summary {
    added: Vec<String>,
    updated: Vec<String>,
    unchanged: Vec<String>,
    skipped: Vec<String>,
    /// Secrets too short to be masked by `vault run` (not in the JSON).
    short: Vec<String>,
}

fn read_input(args: &ImportArgs) -> Result<(String, Zeroizing<Vec<u8>>)> {
    let mut bytes = Zeroizing::new(Vec::new());
    if args.file.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::other(format!("cannot read stdin: {e}")))?;
        return Ok(("<stdin>".into(), bytes));
    }
    let shown = args.file.display().to_string();
    let mut f = std::fs::File::open(&args.file).map_err(|e| Error::io("open", &args.file, e))?;
    f.read_to_end(&mut bytes)
        .map_err(|e| Error::io("read", &args.file, e))?;
    Ok((shown, bytes))
}

/// Parse and check a whole file; every problem as `FILE:LINE: reason`.
fn check_file(file: &str, bytes: &[u8], args: &ImportArgs) -> Result<Vec<Checked>> {
    let parsed = dotenv::parse(bytes);
    let mut problems: Vec<(usize, String)> = parsed
        .errors
        .iter()
        .map(|e| (e.line, e.reason.clone()))
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Checked> = Vec::with_capacity(parsed.entries.len());
    for entry in parsed.entries {
        let mut name = entry.key.clone();
        if model::check_secret_name(&name).is_err() && args.rename {
            if let Some(fixed) = model::suggest_secret_name(&name) {
                name = fixed;
            }
        }
        if let Err(e) = model::check_secret_name(&name) {
            if !dotenv::showable_key(&name) {
                // It may be a piece of a value that lost its quotes: the
                // parser's own wording, which never quotes such a key.
                problems.push((entry.line, dotenv::invalid_key_reason(name.as_bytes())));
                continue;
            }
            let mut reason = e.message().to_owned();
            if let Some(fixed) = model::suggest_secret_name(&name) {
                reason.push_str(&format!(
                    " (did you mean {fixed}? --rename maps such keys for you)"
                ));
            }
            problems.push((entry.line, reason));
            continue;
        }
        if let Err(e) = model::check_code_loading_name(&name, args.allow_code_loading_name) {
            problems.push((
                entry.line,
                format!("{} ({})", e.message(), e.hint_text().unwrap_or("")),
            ));
            continue;
        }
        let value = match SecretValue::new(entry.value) {
            Ok(v) => v,
            Err(e) => {
                problems.push((entry.line, format!("{name}: {}", e.message())));
                continue;
            }
        };
        if value.as_str().starts_with("encrypted:") {
            eprintln!(
                "warning: {file}:{}: {name} looks encrypted by dotenvx; vault stores it as written (run `dotenvx decrypt` first to import the real value)",
                entry.line
            );
        }
        if let Some(prev) = seen.insert(name.clone(), entry.line) {
            eprintln!(
                "warning: {file}:{}: {name} repeats line {prev}; the last one wins",
                entry.line
            );
            out.retain(|c| c.name != name);
        }
        out.push(Checked { name, value });
    }
    if !problems.is_empty() {
        problems.sort_by_key(|(line, _)| *line);
        let lines: Vec<String> = problems
            .iter()
            .map(|(line, reason)| format!("{file}:{line}: {reason}"))
            .collect();
        let n = lines.len();
        return Err(Error::invalid(format!(
            "{}\n{n} bad line{} in {file}; nothing was imported",
            lines.join("\n"),
            if n == 1 { "" } else { "s" }
        ))
        .hint("fix the lines above and import again (see docs/DOTENV.md for the format)"));
    }
    Ok(out)
}

pub fn import(ctx: &Ctx, args: &ImportArgs) -> Result<()> {
    let (file, bytes) = read_input(args)?;
    let mut entries = check_file(&file, &bytes, args)?;
    // In key order, rows go into the name-keyed B-trees mostly as appends
    // (fewer page splits); the report lists names in the same order.
    entries.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    drop(bytes);
    for a in &args.agents {
        model::check_agent_name(a)?;
    }
    let kind_for = |existing: Option<&SecretRow>| match (args.variable, existing) {
        (true, _) => Kind::Variable,
        (false, Some(e)) => e.kind,
        (false, None) => Kind::Secret,
    };
    if !ctx.paths.db.exists() {
        // A new vault has no agents: fail before creating anything.
        if let Some(a) = args.agents.first() {
            return Err(Error::not_found(format!(
                "no vault at {} (so no agent {a})",
                ctx.paths.db.display(),
            ))
            .hint(format!(
                "create the agent first: `vault agent create {a}` (nothing was imported)"
            )));
        }
    }
    let mut vault = if args.dry_run {
        if !ctx.paths.db.exists() {
            // Nothing exists, so everything would be added; never create a vault.
            let summary = Summary {
                added: entries.iter().map(|e| e.name.clone()).collect(),
                ..Summary::default()
            };
            return print_summary(&file, &summary, args);
        }
        Vault::open(&ctx.paths)?
    } else {
        Vault::open_or_create(&ctx.paths, &ctx.keys)?
    };
    vault.store.read(|tx| {
        for a in &args.agents {
            require_agent(tx, a)?;
        }
        Ok(())
    })?;
    let now = output::now();
    let apply = |tx: &crate::store::Tx<'_>, crypt: &crate::vault::Crypt| -> Result<Summary> {
        let mut s = Summary::default();
        for e in &entries {
            let existing = tx.secret(&e.name)?;
            if existing.is_some() && args.no_overwrite {
                s.skipped.push(e.name.clone());
                continue;
            }
            let kind = kind_for(existing.as_ref());
            if kind == Kind::Secret && (1..crate::run::MIN_MASK_LEN).contains(&e.value.len()) {
                s.short.push(e.name.clone());
            }
            let scope_change = !args.agents.is_empty()
                && existing.as_ref().is_some_and(|x| x.scope != Scope::Agent);
            let put = super::put_value(tx, crypt, existing, &e.name, kind, &e.value, &now)?;
            let (is_new, same, mut row) = (put.created, !put.changed, put.row);
            if !args.agents.is_empty() {
                row.scope = Scope::Agent;
            }
            if !same || scope_change || put.converted || is_new {
                tx.upsert_secret(&row)?;
            }
            let mut granted = false;
            for a in &args.agents {
                granted |= tx.grant(a, &e.name, &now)?;
            }
            if granted || scope_change {
                super::agents::check_provider_rule(tx, &e.name)?;
            }
            // A value, kind, scope or grant that changed is an update: the
            // report must not say "unchanged" of a secret whose audience moved.
            let metadata_changed = scope_change || put.converted || granted;
            match (is_new, same && !metadata_changed) {
                (true, _) => s.added.push(e.name.clone()),
                (false, false) => s.updated.push(e.name.clone()),
                (false, true) => s.unchanged.push(e.name.clone()),
            }
        }
        Ok(s)
    };
    let summary = if args.dry_run {
        vault.unlock(&ctx.keys)?;
        let Vault { store, crypt, .. } = &mut vault;
        store.read(|tx| apply(tx, crypt))?
    } else {
        vault.write(&ctx.keys, apply)?
    };
    print_summary(&file, &summary, args)
}

fn print_summary(file: &str, s: &Summary, args: &ImportArgs) -> Result<()> {
    if !s.short.is_empty() {
        eprintln!(
            "warning: {} shorter than {} bytes, so `vault run` will not mask {} ({}); config values like these belong in variables (`vault edit NAME --variable`, or import them with --variable)",
            if s.short.len() == 1 { "1 secret is".to_owned() } else { format!("{} secrets are", s.short.len()) },
            crate::run::MIN_MASK_LEN,
            if s.short.len() == 1 { "it" } else { "them" },
            s.short.join(", ")
        );
    }
    if args.json {
        return output::print_json(&json!({
            "file": file,
            "dry_run": args.dry_run,
            "added": s.added,
            "updated": s.updated,
            "unchanged": s.unchanged,
            "skipped": s.skipped,
        }));
    }
    let verb = if args.dry_run {
        "would import"
    } else {
        "imported"
    };
    say!(
        "{verb} {file}: {} added, {} updated, {} unchanged, {} skipped",
        s.added.len(),
        s.updated.len(),
        s.unchanged.len(),
        s.skipped.len()
    );
    if args.dry_run {
        for (label, names) in [
            ("add", &s.added),
            ("update", &s.updated),
            ("skip", &s.skipped),
        ] {
            for n in names.iter() {
                say!("  would {label} {n}");
            }
        }
    }
    Ok(())
}

pub fn export(ctx: &Ctx, args: &ExportArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let audience = match args.agent.as_deref() {
        Some(a) => Audience::Agent(a),
        None => Audience::Everything,
    };
    let needs_key = vault.store.read(|tx| {
        if let Some(a) = &args.agent {
            require_agent(tx, a)?;
        }
        Ok(tx.secrets(audience)?.iter().any(|r| r.kind == Kind::Secret))
    })?;
    // Export reveals values (and `--agent` says who would receive them), so
    // like `run` it reads its rows under a verified policy; a variables-only
    // export needs no key, but is verified when one is at hand.
    let verify = if needs_key {
        vault.unlock(&ctx.keys)?;
        true
    } else {
        vault.unlock_quietly(&ctx.keys)?
    };
    let Vault { store, crypt, .. } = &mut vault;
    let rows = store.read(|tx| {
        if verify {
            crypt.verify_policy(tx)?;
        }
        Ok(tx.secrets(audience)?)
    })?;
    let mut values = Vec::with_capacity(rows.len());
    for r in &rows {
        values.push((
            r.name.as_str(),
            vault.crypt.open_value(&r.name, r.version, &r.value)?,
        ));
    }
    let mut text = Zeroizing::new(String::new());
    match args.format {
        ExportFormat::Dotenv => {
            for (name, v) in &values {
                text.push_str(name);
                text.push('=');
                text.push_str(&dotenv::quote_dotenv(v.as_str()));
                text.push('\n');
            }
        }
        ExportFormat::Shell => {
            for (name, v) in &values {
                text.push_str("export ");
                text.push_str(name);
                text.push('=');
                text.push_str(&dotenv::quote_shell(v.as_str()));
                text.push('\n');
            }
        }
        ExportFormat::Json => {
            let map: serde_json::Map<String, serde_json::Value> = values
                .iter()
                .map(|(n, v)| (n.to_string(), json!(v.as_str())))
                .collect();
            let s = serde_json::to_string_pretty(&map)
                .map_err(|e| Error::other(format!("cannot encode JSON: {e}")))?;
            text.push_str(&s);
            text.push('\n');
        }
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(output::stdout_err)
}
