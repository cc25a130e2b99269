//! `vault run`: choose the secrets (globals + the agent's grants, narrowed by
//! the manifest and `--only`), unlock, record what the agent receives, and
//! hand over to `run::start`. Any failure before the command starts exits 125.

use std::path::PathBuf;

use super::{no_such_agent, Ctx};
use crate::cli::RunArgs;
use crate::error::{Error, Result};
use crate::manifest::{self, Declared};
use crate::model::{self, Kind, Scope};
use crate::output;
use crate::run::{self, Injected, Outcome};
use crate::store::SecretRow;
use crate::vault::Vault;

/// Exit codes of `vault run` itself.
pub const EXIT_VAULT_FAILED: i32 = 125;
pub const EXIT_NOT_EXECUTABLE: i32 = 126;
pub const EXIT_NOT_FOUND: i32 = 127;

/// Run and return the exit code (never returns on a successful exec).
pub fn run(ctx: &Ctx, args: &RunArgs) -> i32 {
    let prepared = match prepare(ctx, args) {
        Ok(p) => p,
        Err(e) => {
            crate::report_error(&e);
            return EXIT_VAULT_FAILED;
        }
    };
    let outcome = run::start(
        &args.command,
        prepared.env,
        &prepared.secrets,
        args.no_masking,
    );
    match outcome {
        Outcome::Exited(code) => code,
        Outcome::Failed(e) => {
            crate::report_error(&e);
            EXIT_VAULT_FAILED
        }
        Outcome::NotExecutable(m) => {
            eprintln!("vault: {m}");
            EXIT_NOT_EXECUTABLE
        }
        Outcome::NotFound(m) => {
            eprintln!("vault: {m}");
            EXIT_NOT_FOUND
        }
    }
}

struct Prepared {
    env: Vec<(std::ffi::OsString, std::ffi::OsString)>,
    secrets: Vec<Injected>,
}

fn load_manifest(args: &RunArgs) -> Result<Option<(String, Vec<Declared>)>> {
    let (path, explicit) = match &args.manifest {
        Some(p) => (p.clone(), true),
        None => (PathBuf::from("vault.toml"), false),
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(
                Error::not_found(format!("no manifest at {}", path.display()))
                    .hint("check the path given to --manifest"),
            )
        }
        Err(e) => return Err(Error::io("read the manifest", &path, e)),
    };
    let shown = path.display().to_string();
    let declared = manifest::parse(&text, &shown)?;
    Ok(Some((shown, declared)))
}

fn prepare(ctx: &Ctx, args: &RunArgs) -> Result<Prepared> {
    let manifest = load_manifest(args)?;
    // `--only 'A, B'` means A and B. An empty list must not mean "no
    // narrowing": it would hand the command everything.
    let only: Vec<String> = args.only.iter().map(|n| n.trim().to_owned()).collect();
    if only.iter().any(String::is_empty) {
        return Err(Error::invalid("--only has an empty name")
            .hint("give names separated by commas, e.g. --only OPENAI_API_KEY,SENTRY_DSN"));
    }
    for n in &only {
        // The name rule's own hints speak of `vault set`; not here.
        model::check_secret_name(n)
            .map_err(|e| Error::invalid(format!("--only: {}", e.message())))?;
    }
    let mut vault = Vault::open(&ctx.paths)?;
    let agent = args.agent.as_deref();
    // Unlock first, so the rows chosen are read in the same transaction that
    // verifies the policy tag: what is injected is what was authenticated.
    vault.unlock(&ctx.keys)?;
    let Vault { store, crypt, .. } = &mut vault;
    let snapshot = store.read(|tx| {
        if let Some(a) = agent {
            model::check_agent_name(a)?;
            if tx.agent(a)?.is_none() {
                return Err(no_such_agent(tx, a));
            }
        }
        crypt.verified_snapshot(tx)
    })?;
    let (all, grants) = (snapshot.rows, snapshot.grants);
    let all_names: Vec<(String, Scope)> = all.iter().map(|r| (r.name.clone(), r.scope)).collect();
    let receives = model::Receives::new(agent, &grants);
    let rows: Vec<SecretRow> = all
        .into_iter()
        .filter(|r| receives.secret(&r.name, r.scope))
        .collect();
    let chosen = choose(rows, &all_names, manifest.as_ref(), &only, agent, &grants)?;
    let mut secrets = Vec::with_capacity(chosen.len());
    for row in &chosen {
        if let Some(why) = model::forbidden_name(&row.name) {
            eprintln!("vault: warning: not injecting {}: {why}", row.name);
            continue;
        }
        let value = vault.crypt.open_value(&row.name, row.version, &row.value)?;
        secrets.push(Injected {
            name: row.name.clone(),
            value,
            mask: row.kind == Kind::Secret,
        });
    }

    let program = args.command.first().cloned().unwrap_or_default();
    let path_var = std::env::var_os("PATH");
    if let Some(a) = agent {
        if run::resolve_program(&program, path_var.as_deref()).is_some() {
            record_delivery(&mut vault, a, &chosen)?;
        }
    }
    let env = run::build_env(std::env::vars_os(), args.clean_env, &secrets);
    let Vault { store, .. } = vault;
    if args.no_masking {
        // exec is next: it closes the descriptors (CLOEXEC) and drops the
        // locks, so skip SQLite's orderly close (a checkpoint attempt and WAL
        // housekeeping) on the hot path. The keys are still zeroed on drop.
        std::mem::forget(store);
    }
    Ok(Prepared { env, secrets })
}

/// Record which version of each secret (granted or global) the agent now
/// receives, so `agent show` can tell a rotated one as stale.
fn record_delivery(vault: &mut Vault, agent: &str, chosen: &[SecretRow]) -> Result<()> {
    vault.store.relax_durability()?;
    let now = output::now();
    vault.store.write(|tx| {
        let delivered: Vec<(&str, u64)> = chosen
            .iter()
            .map(|r| (r.name.as_str(), r.version))
            .collect();
        tx.record_delivery(agent, &delivered, &now)
    })
}

/// Narrow `available` (globals + grants) by the manifest and `--only`.
/// `all` is every secret in the vault with its scope, to explain what is missing.
fn choose(
    available: Vec<SecretRow>,
    all: &[(String, Scope)],
    manifest: Option<&(String, Vec<Declared>)>,
    only: &[String],
    agent: Option<&str>,
    grants: &[(String, String)],
) -> Result<Vec<SecretRow>> {
    let mut chosen = available;
    let mut problems: Vec<String> = Vec::new();
    let why_missing = |name: &str, who: &str| -> String {
        match all.iter().find(|(n, _)| n == name) {
            None => match model::did_you_mean(name, all.iter().map(|(n, _)| n.as_str())) {
                Some(near) => format!(
                    "{name} {who} does not exist in the vault; did you mean {near}? (or add it with `vault set {name}`)"
                ),
                None => format!("{name} {who} does not exist in the vault: add it with `vault set {name}`"),
            },
            Some(_) => match agent {
                Some(a) => format!("{name} {who} is not granted to {a}: `vault grant {name} --agent {a}`"),
                None => {
                    let to: Vec<&str> = grants
                        .iter()
                        .filter(|(_, s)| s == name)
                        .map(|(a, _)| a.as_str())
                        .collect();
                    let pass = match to.first() {
                        Some(first) => format!("pass --agent {first} (it is granted to {})", to.join(", ")),
                        None => "grant it to an agent and pass --agent".to_owned(),
                    };
                    format!(
                        "{name} {who} is agent-only: {pass}, or make it global with `vault edit {name} --global`"
                    )
                }
            },
        }
    };
    if let Some((file, declared)) = manifest {
        for d in declared.iter().filter(|d| !d.optional) {
            if !chosen.iter().any(|r| r.name == d.name) {
                problems.push(why_missing(&d.name, &format!("(required by {file})")));
            }
        }
        chosen.retain(|r| declared.iter().any(|d| d.name == r.name));
    }
    if !only.is_empty() {
        for n in only {
            if !chosen.iter().any(|r| &r.name == n) {
                let declared_out = manifest
                    .map(|(_, d)| !d.iter().any(|d| &d.name == n))
                    .unwrap_or(false);
                if declared_out && all.iter().any(|(a, _)| a == n) {
                    let file = manifest.map(|(f, _)| f.as_str()).unwrap_or("the manifest");
                    problems.push(format!(
                        "{n} (from --only) is not declared in {file}: declare it there"
                    ));
                } else {
                    problems.push(why_missing(n, "(from --only)"));
                }
            }
        }
        chosen.retain(|r| only.contains(&r.name));
    }
    if !problems.is_empty() {
        let n = problems.len();
        return Err(Error::not_found(format!(
            "{} not available; the command was not started:\n  {}",
            if n == 1 {
                "a secret is".to_owned()
            } else {
                format!("{n} secrets are")
            },
            problems.join("\n  ")
        )));
    }
    Ok(chosen)
}
