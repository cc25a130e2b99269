//! `import` (alias `import-env`) and `export`: .env and JSON files in and out.
//!
//! Import is all or nothing: every line (or JSON entry) is parsed and checked
//! first, every bad one is reported as `FILE:LINE: reason`, and only a clean
//! file is written, in one transaction. It reads at most
//! [`MAX_IMPORT_BYTES`], and warns (lists capped at [`SHOWN`] names) about
//! values it stores as asked but that the user probably did not mean: empty
//! placeholders, and "secrets" so ordinary that masking them would redact
//! common words in every log. Export reveals values, quoted so that importing
//! the output restores the same bytes; only `--format json` carries kinds,
//! scopes, descriptions, providers and grants, and only to a pipe or file
//! unless `--reveal` is given.

mod json;

use std::collections::HashMap;
use std::io::{IsTerminal, Read, Write};

use serde_json::json;
use zeroize::Zeroizing;

use super::Ctx;
use crate::cli::{ExportArgs, ExportFormat, ImportArgs, ImportFormat};
use crate::dotenv;
use crate::error::{Error, Result};
use crate::model::{self, SecretValue};
use crate::ui;
use crate::ui::say;
use crate::vault::{self, capped, ImportEntry, ImportRequest, ImportSummary, Mode, Vault, SHOWN};

/// How many names the printed `vault edit ... --variable` command holds at most.
const IN_COMMAND: usize = 50;

/// The most `import` reads: far above any real .env file (a thousand values
/// of the 64 KiB maximum), low enough that `vault import /dev/zero` or a
/// wrong file stops at once instead of filling memory.
pub const MAX_IMPORT_BYTES: u64 = 64 * 1024 * 1024;

fn read_input(args: &ImportArgs) -> Result<(String, Zeroizing<Vec<u8>>)> {
    let too_big = |shown: &str| {
        Error::invalid(format!(
            "{shown} is larger than {} MiB, the most `vault import` reads; nothing was imported",
            MAX_IMPORT_BYTES >> 20
        ))
        .hint("is it the right file? split a real .env file and import the parts")
    };
    if args.file.as_os_str() == "-" {
        let shown = "<stdin>";
        let bytes = read_bounded(std::io::stdin().lock(), 0)
            .map_err(|e| Error::other(format!("cannot read stdin: {e}")))?
            .ok_or_else(|| too_big(shown))?;
        return Ok((shown.into(), bytes));
    }
    let shown = args.file.display().to_string();
    let f = std::fs::File::open(&args.file).map_err(|e| Error::io("open", &args.file, e))?;
    // A regular file's size sizes the buffer once; devices and pipes say 0.
    let hint = f.metadata().map(|m| m.len()).unwrap_or(0);
    let bytes = read_bounded(f, hint)
        .map_err(|e| Error::io("read", &args.file, e))?
        .ok_or_else(|| too_big(&shown))?;
    Ok((shown, bytes))
}

/// Read at most [`MAX_IMPORT_BYTES`]; `None` when there is more. The buffer
/// grows by copying into a new one and zeroing the old (a `Vec`'s own growth
/// would leave unzeroed copies of the values in freed memory).
fn read_bounded(r: impl Read, size_hint: u64) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
    let limit = MAX_IMPORT_BYTES;
    let mut r = r.take(limit.saturating_add(1));
    let first = usize::try_from(size_hint.min(limit).saturating_add(1)).unwrap_or(1 << 16);
    let mut buf = Zeroizing::new(Vec::with_capacity(first.max(1 << 12)));
    let mut chunk = Zeroizing::new(vec![0u8; 1 << 16]);
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let got = chunk.get(..n).unwrap_or(&[]);
        if (buf.len().saturating_add(n) as u64) > limit {
            return Ok(None);
        }
        if buf.len().saturating_add(n) > buf.capacity() {
            // Doubling, but never past the limit.
            let ceiling = usize::try_from(limit).unwrap_or(usize::MAX);
            let want = buf
                .len()
                .saturating_add(n)
                .max(buf.capacity().saturating_mul(2).min(ceiling));
            let mut bigger = Zeroizing::new(Vec::with_capacity(want));
            bigger.extend_from_slice(&buf);
            buf = bigger;
        }
        buf.extend_from_slice(got);
    }
    Ok(Some(buf))
}

/// An agent a JSON export lists: (name, description).
type AgentDesc = (String, String);

/// The assignments of a file, whatever its format, before any check.
struct Incoming {
    /// (key, value, line or entry number, JSON metadata)
    items: Vec<(String, Zeroizing<String>, usize, Option<json::Meta>)>,
    errors: Vec<(usize, String)>,
    agents: Vec<AgentDesc>,
    json: bool,
}

fn read_entries(file: &str, bytes: &[u8], args: &ImportArgs) -> Result<Incoming> {
    let is_json = match args.format {
        Some(ImportFormat::Json) => true,
        Some(ImportFormat::Dotenv) => false,
        None => json::looks_like_json(bytes),
    };
    if is_json {
        let doc = json::parse(file, bytes)?;
        return Ok(Incoming {
            items: doc
                .items
                .into_iter()
                .map(|i| (i.key, i.value, i.at, i.meta))
                .collect(),
            errors: doc.errors,
            agents: doc.agents,
            json: true,
        });
    }
    let parsed = dotenv::parse(bytes);
    Ok(Incoming {
        items: parsed
            .entries
            .into_iter()
            .map(|e| (e.key, e.value, e.line, None))
            .collect(),
        errors: parsed
            .errors
            .into_iter()
            .map(|e| (e.line, e.reason))
            .collect(),
        agents: Vec::new(),
        json: false,
    })
}

/// Parse and check a whole file; every problem as `FILE:LINE: reason` (JSON:
/// `FILE: secret N: reason`). Returns the entries, last of duplicates kept, and
/// a JSON export's agents.
fn check_file(
    file: &str,
    bytes: &[u8],
    args: &ImportArgs,
) -> Result<(Vec<ImportEntry>, Vec<AgentDesc>)> {
    let incoming = read_entries(file, bytes, args)?;
    let is_json = incoming.json;
    let at = |n: usize| {
        if is_json {
            format!("{file}: secret {n}")
        } else {
            format!("{file}:{n}")
        }
    };
    let mut problems = incoming.errors;
    let mut seen: HashMap<String, (usize, usize)> = HashMap::new();
    let mut out: Vec<Option<ImportEntry>> = Vec::with_capacity(incoming.items.len());
    let mut repeats: Vec<String> = Vec::new();
    let mut encrypted: Vec<String> = Vec::new();
    for (key, raw, line, meta) in incoming.items {
        let mut name = key;
        if args.rename && model::check_secret_name(&name).is_err() {
            if let Some(fixed) = model::suggest_secret_name(&name) {
                name = fixed;
            }
        }
        if let Err(e) = model::check_secret_name(&name) {
            if !dotenv::showable_key(&name) {
                // It may be a piece of a value that lost its quotes: the
                // parser's own wording, which never quotes such a key.
                problems.push((line, dotenv::invalid_key_reason(name.as_bytes())));
                continue;
            }
            let mut reason = e.message().to_owned();
            if let Some(fixed) = model::suggest_secret_name(&name) {
                reason.push_str(&format!(
                    " (did you mean {fixed}? --rename maps such keys for you)"
                ));
            }
            problems.push((line, reason));
            continue;
        }
        if let Err(e) = model::check_code_loading_name(&name, args.allow_code_loading_name) {
            problems.push((
                line,
                format!("{} ({})", e.message(), e.hint_text().unwrap_or("")),
            ));
            continue;
        }
        let value = match SecretValue::new(raw) {
            Ok(v) => v,
            Err(e) => {
                problems.push((line, format!("{name}: {}", e.message())));
                continue;
            }
        };
        if value.as_str().starts_with("encrypted:") {
            encrypted.push(format!("{}: {name}", at(line)));
        }
        let idx = out.len();
        if let Some((prev, prev_idx)) = seen.insert(name.clone(), (line, idx)) {
            let prev = if is_json {
                format!("secret {prev}")
            } else {
                format!("line {prev}")
            };
            repeats.push(format!("{}: {name} repeats {prev}", at(line)));
            if let Some(slot) = out.get_mut(prev_idx) {
                *slot = None;
            }
        }
        out.push(Some(ImportEntry { name, value, meta }));
    }
    if !problems.is_empty() {
        problems.sort_by_key(|(line, _)| *line);
        let lines: Vec<String> = problems
            .iter()
            .map(|(line, reason)| format!("{}: {reason}", at(*line)))
            .collect();
        let n = lines.len();
        let what = if is_json { "bad entr" } else { "bad line" };
        let plural = match (is_json, n == 1) {
            (true, true) => "y",
            (true, false) => "ies",
            (false, true) => "",
            (false, false) => "s",
        };
        return Err(Error::invalid(format!(
            "{}\n{n} {what}{plural} in {file}; nothing was imported",
            lines.join("\n"),
        ))
        .hint(if is_json {
            "fix the entries above and import again (`vault export --format json` writes this format)"
        } else {
            "fix the lines above and import again (see docs/DOTENV.md for the format)"
        }));
    }
    for w in repeats.iter().take(SHOWN) {
        eprintln!("warning: {w}; the last one wins");
    }
    if repeats.len() > SHOWN {
        eprintln!(
            "warning: and {} more repeated keys; the last of each wins",
            repeats.len() - SHOWN
        );
    }
    for w in encrypted.iter().take(SHOWN) {
        eprintln!(
            "warning: {w} looks encrypted by dotenvx; vault stores it as written (run `dotenvx decrypt` first to import the real value)"
        );
    }
    if encrypted.len() > SHOWN {
        eprintln!(
            "warning: and {} more values that look encrypted by dotenvx",
            encrypted.len() - SHOWN
        );
    }
    Ok((out.into_iter().flatten().collect(), incoming.agents))
}

pub fn import(ctx: &Ctx, args: &ImportArgs) -> Result<()> {
    let (file, bytes) = read_input(args)?;
    let (mut entries, listed_agents) = check_file(&file, &bytes, args)?;
    drop(bytes);
    // In key order, rows go into the name-keyed B-trees mostly as appends
    // (fewer page splits); the report lists names in the same order.
    entries.sort_unstable_by(|a, b| a.name.cmp(&b.name));
    for a in &args.agents {
        model::check_agent_name(a)?;
    }
    let env = super::env_of(args.env.as_deref())?;
    let now = crate::model::now();
    let req = ImportRequest {
        env: env.as_deref().unwrap_or(""),
        source: &file,
        entries: &entries,
        listed_agents: &listed_agents,
        agents: &args.agents,
        variable: args.variable,
        no_overwrite: args.no_overwrite,
        create_agents: args.create_agents,
        now: &now,
    };
    let mode = if args.dry_run {
        Mode::DryRun
    } else {
        Mode::Apply
    };
    // On PostgreSQL only opening the vault tells whether it exists.
    let vault_exists = match &ctx.paths.database {
        None => ctx.paths.db.exists(),
        Some(_) => match Vault::open(&ctx.paths) {
            Ok(_) => true,
            Err(e) if e.kind() == crate::error::Kind::NotFound => false,
            Err(e) => return Err(e),
        },
    };
    if !vault_exists {
        if let Some(summary) = vault::import_without_vault(&ctx.paths, &req, mode)? {
            return print_summary(&file, &summary, args);
        }
    }
    let mut vault = match mode {
        Mode::DryRun => Vault::open(&ctx.paths)?,
        Mode::Apply => Vault::open_or_create(&ctx.paths, &ctx.keys)?,
    };
    let summary = vault.import(&ctx.keys, &req, mode)?;
    print_summary(&file, &summary, args)
}

fn print_summary(file: &str, s: &ImportSummary, args: &ImportArgs) -> Result<()> {
    let would = if args.dry_run { "would be " } else { "" };
    if !s.empty.is_empty() {
        let n = s.empty.len();
        eprintln!(
            "warning: {} {would}imported empty ({}), as placeholders in a .env.example are; give {} a value with `vault set NAME`",
            if n == 1 { "1 value is".to_owned() } else { format!("{n} values are") },
            capped(&s.empty),
            if n == 1 { "it" } else { "each" },
        );
    }
    if !s.short.is_empty() {
        let n = s.short.len();
        eprintln!(
            "warning: {} shorter than {} bytes, so `vault run` will not mask {} ({}); config values like these belong in variables: {}",
            if n == 1 { "1 secret is".to_owned() } else { format!("{n} secrets are") },
            crate::run::mask::MIN_MASK_LEN,
            if n == 1 { "it" } else { "them" },
            capped(&s.short),
            edit_command(&s.short),
        );
    }
    if !s.ordinary.is_empty() {
        let n = s.ordinary.len();
        let shown: Vec<String> = s
            .ordinary
            .iter()
            .take(SHOWN)
            .map(|(name, why)| format!("{name}: {why}"))
            .collect();
        let more = if n > SHOWN {
            format!(" and {} more", n - SHOWN)
        } else {
            String::new()
        };
        let names: Vec<String> = s.ordinary.iter().map(|(n, _)| n.clone()).collect();
        eprintln!(
            "warning: {} ordinary text ({}{more}), and `vault run` masks a secret's value wherever it appears in output; {}:\n  {}",
            if n == 1 { "1 secret holds".to_owned() } else { format!("{n} secrets hold") },
            shown.join(", "),
            if n == 1 {
                "if it is not secret, make it a variable"
            } else {
                "if they are not secret, make them variables"
            },
            edit_command(&names),
        );
    }
    if args.json {
        return ui::print_json(&json!({
            "file": file,
            "dry_run": args.dry_run,
            "added": s.added,
            "updated": s.updated,
            "unchanged": s.unchanged,
            "skipped": s.skipped,
            "agents_created": s.agents_created,
            "warnings": {
                "empty": s.empty,
                "short": s.short,
                "ordinary": s.ordinary.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            },
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
    if !s.agents_created.is_empty() {
        say!(
            "{} agents: {}",
            if args.dry_run {
                "would create"
            } else {
                "created"
            },
            capped(&s.agents_created)
        );
    }
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

/// The one command that makes `names` variables (at most [`IN_COMMAND`] of
/// them; `--json` lists every name under "warnings").
fn edit_command(names: &[String]) -> String {
    let mut cmd = format!(
        "vault edit {} --variable",
        names
            .iter()
            .take(IN_COMMAND)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    );
    if names.len() > IN_COMMAND {
        cmd.push_str(&format!(
            "   # the first {IN_COMMAND} of {}; `vault import --json` lists them all",
            names.len()
        ));
    }
    cmd
}

pub fn export(ctx: &Ctx, args: &ExportArgs) -> Result<()> {
    let env = super::env_of(args.env.as_deref())?;
    if let Some(cred) = crate::vault::AgentCredential::find(None, super::master_at_hand(ctx))? {
        return export_as_agent(ctx, args, &cred, env.as_deref());
    }
    let mut vault = Vault::open(&ctx.paths)?;
    let agent = args.agent.as_deref();
    let needs_key = vault.export_needs_key(agent, env.as_deref())?;
    // Like `get`, which needs --reveal: values on a terminal stay on screen
    // and in its scrollback. A pipe or a file is the user's explicit choice.
    if needs_key && !args.reveal && std::io::stdout().is_terminal() {
        return Err(Error::usage(
            "vault export prints every secret value, and stdout is a terminal",
        )
        .hint("add --reveal to show them here, or redirect to a file: `vault export > FILE` (plain text: keep it private)"));
    }
    let with_policy = args.format == ExportFormat::Json;
    let export = vault.export(&ctx.keys, agent, env.as_deref(), with_policy, needs_key)?;
    let rows = &export.secrets;
    let mut text = Zeroizing::new(String::new());
    match args.format {
        ExportFormat::Dotenv => {
            for r in rows {
                text.push_str(&r.name);
                text.push('=');
                text.push_str(&dotenv::quote_dotenv(r.value.as_str()));
                text.push('\n');
            }
        }
        ExportFormat::Shell => {
            for r in rows {
                text.push_str("export ");
                text.push_str(&r.name);
                text.push('=');
                text.push_str(&dotenv::quote_shell(r.value.as_str()));
                text.push('\n');
            }
        }
        ExportFormat::Json => {
            let doc = json::render(rows, &export.agents, &export.grants)?;
            let mut out = std::io::stdout().lock();
            return out
                .write_all(&doc)
                .and_then(|_| out.flush())
                .map_err(ui::stdout_err);
        }
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(ui::stdout_err)?;
    if !rows.is_empty() {
        eprintln!("note: {VALUES_ONLY}");
    }
    Ok(())
}

/// `vault export` with an agent key: what the agent receives, as dotenv or
/// shell lines (the JSON form carries policy, which needs the master key).
fn export_as_agent(
    ctx: &Ctx,
    args: &ExportArgs,
    cred: &crate::vault::AgentCredential,
    env: Option<&str>,
) -> Result<()> {
    if args.format == ExportFormat::Json {
        return Err(Error::locked(format!(
            "permission denied: `vault export --format json` carries kinds, scopes and grants, which needs the master key; this process has only an agent key ({})",
            cred.source
        ))
        .hint("use --format dotenv or --format shell"));
    }
    if !args.reveal && std::io::stdout().is_terminal() {
        return Err(Error::usage(
            "vault export prints every secret value, and stdout is a terminal",
        )
        .hint("add --reveal to show them here, or redirect to a file"));
    }
    let mut vault = Vault::open(&ctx.paths)?;
    let received = vault.receive_as(cred, args.agent.as_deref(), env)?;
    let mut text = Zeroizing::new(String::new());
    for i in &received.items {
        if args.format == ExportFormat::Shell {
            text.push_str("export ");
        }
        text.push_str(&i.name);
        text.push('=');
        text.push_str(&if args.format == ExportFormat::Shell {
            dotenv::quote_shell(i.value.as_str())
        } else {
            dotenv::quote_dotenv(i.value.as_str())
        });
        text.push('\n');
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(ui::stdout_err)
}

/// Said on stderr after a dotenv or shell export (and in `export --help`).
const VALUES_ONLY: &str = "this export holds names and values only, not kinds, scopes, descriptions, providers or grants (its import makes new entries global secrets); `--format json` carries them, and `vault backup` copies the whole vault";
