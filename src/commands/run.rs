//! `vault run`: choose the secrets (globals + the agent's grants, narrowed by
//! the manifest and `--only`), unlock, record what the agent receives, and
//! hand over to `run::start`. Any failure before the command starts exits 125.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::Ctx;
use crate::cli::RunArgs;
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::manifest::{self, Declared};
use crate::model::{self, Kind, Scope};
use crate::output;
use crate::report;
use crate::run::{self, Injected, Outcome};
use crate::store::SecretRow;
use crate::vault::no_such_agent;
use crate::vault::Vault;

/// Run and return how vault exits (never returns on a successful exec).
pub fn run(ctx: &Ctx, args: &RunArgs) -> ExitCode {
    let prepared = match prepare(ctx, args) {
        Ok(p) => p,
        Err(e) => {
            report::error(&e);
            return ExitCode::RunFailed;
        }
    };
    let outcome = run::start(
        &args.command,
        prepared.env,
        &prepared.secrets,
        args.no_masking,
    );
    match outcome {
        Outcome::Exited(code) => ExitCode::from_status(code),
        Outcome::Failed(e) => {
            report::error(&e);
            ExitCode::RunFailed
        }
        Outcome::NotExecutable(e) => {
            report::error(&e);
            ExitCode::NotExecutable
        }
        Outcome::NotFound(e) => {
            report::error(&e);
            ExitCode::CommandNotFound
        }
    }
}

struct Prepared {
    env: Vec<(std::ffi::OsString, std::ffi::OsString)>,
    secrets: Vec<Injected>,
}

/// The manifest's name: looked for like `.git` or `Cargo.toml`.
const MANIFEST: &str = "vault.toml";

/// The manifest that narrows the run: `--manifest F`, or the nearest
/// `vault.toml` in the current directory or above it. A run from a
/// subdirectory of a project is narrowed by the project's manifest, as git
/// and cargo find theirs. The search stops at `$HOME` (a `vault.toml` above
/// the user's home does not belong to their projects) and at the root.
fn load_manifest(args: &RunArgs) -> Result<Option<(String, Vec<Declared>)>> {
    let path = match &args.manifest {
        Some(p) => {
            if !p.exists() {
                return Err(Error::not_found(format!("no manifest at {}", p.display()))
                    .hint("check the path given to --manifest"));
            }
            p.clone()
        }
        None => match find_manifest()? {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let shown = crate::output::escape(&path.display().to_string());
    if args.manifest.is_none() && path != Path::new(MANIFEST) {
        eprintln!("vault: narrowed by the manifest {shown} (the nearest vault.toml above the current directory)");
    }
    let text = read_manifest(&path, &shown)?;
    let declared = manifest::parse(&text, &shown)?;
    Ok(Some((shown, declared)))
}

/// `vault.toml` in the current directory (returned as that relative name)
/// or the nearest parent directory, up to `$HOME` or the root.
fn find_manifest() -> Result<Option<PathBuf>> {
    let here = Path::new(MANIFEST);
    match std::fs::symlink_metadata(here) {
        Ok(_) => return Ok(Some(here.to_path_buf())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("look for the manifest", here, e)),
    }
    let cwd = std::env::current_dir().map_err(|e| {
        Error::other(format!(
            "cannot tell the current directory to look for a {MANIFEST} above it: {e}"
        ))
        .hint("run from an existing directory, or pass --manifest FILE")
    })?;
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|h| h.is_absolute())
        .map(|h| std::fs::canonicalize(&h).unwrap_or(h));
    if home.as_deref() == Some(cwd.as_path()) {
        return Ok(None);
    }
    for dir in cwd.ancestors().skip(1) {
        let candidate = dir.join(MANIFEST);
        match std::fs::symlink_metadata(&candidate) {
            Ok(_) => return Ok(Some(candidate)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("look for the manifest", &candidate, e)),
        }
        if home.as_deref() == Some(dir) {
            break;
        }
    }
    Ok(None)
}

/// The manifest's text, refusing what cannot be one: not a regular file,
/// larger than [`manifest::MAX_BYTES`], not UTF-8.
fn read_manifest(path: &Path, shown: &str) -> Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::io("read the manifest", path, e))?;
    let meta = file
        .metadata()
        .map_err(|e| Error::io("read the manifest", path, e))?;
    if !meta.is_file() {
        return Err(Error::invalid(format!("{shown} is not a file")).hint(
            "a manifest is a TOML file of [[secrets]] tables; pass its path with --manifest",
        ));
    }
    let mut bytes = Vec::new();
    file.take(manifest::MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("read the manifest", path, e))?;
    if bytes.len() as u64 > manifest::MAX_BYTES {
        return Err(Error::invalid(format!(
            "{shown} is larger than {} KiB, the most vault reads as a manifest",
            manifest::MAX_BYTES / 1024
        ))
        .hint("a manifest only lists names: check that it is the right file, or split the program's needs"));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Error::invalid(format!("{shown}: not UTF-8 text (byte {at})"))
            .hint("save the manifest as UTF-8")
    })
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
    for n in &args.keep {
        if n.is_empty() || n.contains('=') {
            return Err(Error::invalid(format!(
                "--keep: `{}` is not a variable name",
                crate::output::escape(n)
            ))
            .hint("give names separated by commas, e.g. --keep CI_JOB_ID,http_proxy"));
        }
        if crate::vault::OWN_ENV_VARS.contains(&n.as_str()) {
            return Err(Error::invalid(format!(
                "--keep {n}: vault never passes on its own unlock settings"
            ))
            .hint("a command that needs secrets gets them from vault run, not the vault's key"));
        }
    }
    let mut vault = Vault::open(&ctx.paths)?;
    let agent = args.agent.as_deref();
    // Unlock first, so the rows chosen are read in the same transaction that
    // verifies the policy tag: what is injected is what was authenticated.
    vault.unlock(&ctx.keys)?;
    let snapshot = vault.read(|tx, crypt| {
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
    let mut chosen = choose(rows, &all_names, manifest.as_ref(), &only, agent, &grants)?;
    // --keep NAME: the caller's own NAME, when it has one, wins over the
    // vault's; the secret is then neither opened nor delivered.
    let caller_keeps: BTreeSet<&str> = args
        .keep
        .iter()
        .map(String::as_str)
        .filter(|n| std::env::var_os(n).is_some())
        .collect();
    chosen.retain(|r| !caller_keeps.contains(r.name.as_str()));
    let mut secrets = Vec::with_capacity(chosen.len());
    for row in &chosen {
        if let Some(why) = model::forbidden_name(&row.name) {
            eprintln!("vault: warning: not injecting {}: {why}", row.name);
            continue;
        }
        let value = vault
            .crypt()
            .open_value(&row.name, row.version, &row.value)?;
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
    for s in secrets.iter().filter(|s| s.value.as_bytes().is_empty()) {
        let dropped = args.clean_env && !run::CLEAN_ENV_KEEP.contains(&s.name.as_str());
        if !dropped && std::env::var_os(&s.name).is_some_and(|v| !v.is_empty()) {
            eprintln!(
                "vault: note: {0} is empty in the vault and replaces the caller's {0}; `--keep {0}` keeps the caller's",
                s.name
            );
        }
    }
    let env = run::build_env(std::env::vars_os(), args.clean_env, &args.keep, &secrets);
    if args.no_masking {
        vault.close_for_exec();
    }
    Ok(Prepared { env, secrets })
}

/// Record which version of each secret (granted or global) the agent now
/// receives, so `agent show` can tell a rotated one as stale.
fn record_delivery(vault: &mut Vault, agent: &str, chosen: &[SecretRow]) -> Result<()> {
    vault.relax_durability()?;
    let now = output::now();
    vault.write_plain(|tx| {
        let delivered: Vec<(&str, u64)> = chosen
            .iter()
            .map(|r| (r.name.as_str(), r.version))
            .collect();
        Ok(tx.record_delivery(agent, &delivered, &now)?)
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
    // Past this many, the rest are counted, not explained one by one.
    const SHOWN_PROBLEMS: usize = 50;
    let mut more = 0usize;
    let known: BTreeSet<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    let why_missing = |name: &str, who: &str| -> String {
        match known.get(name) {
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
        let have: BTreeSet<&str> = chosen.iter().map(|r| r.name.as_str()).collect();
        for d in declared.iter().filter(|d| !d.optional) {
            if !have.contains(d.name.as_str()) {
                if problems.len() < SHOWN_PROBLEMS {
                    problems.push(why_missing(&d.name, &format!("(required by {file})")));
                } else {
                    more += 1;
                }
            }
        }
        let wanted: BTreeSet<&str> = declared.iter().map(|d| d.name.as_str()).collect();
        chosen.retain(|r| wanted.contains(r.name.as_str()));
    }
    if !only.is_empty() {
        let have: BTreeSet<&str> = chosen.iter().map(|r| r.name.as_str()).collect();
        let declared: Option<BTreeSet<&str>> =
            manifest.map(|(_, d)| d.iter().map(|d| d.name.as_str()).collect());
        for n in only {
            if !have.contains(n.as_str()) {
                let declared_out = declared.as_ref().is_some_and(|d| !d.contains(n.as_str()));
                if problems.len() >= SHOWN_PROBLEMS {
                    more += 1;
                } else if declared_out && known.contains(n.as_str()) {
                    let file = manifest.map(|(f, _)| f.as_str()).unwrap_or("the manifest");
                    problems.push(format!(
                        "{n} (from --only) is not declared in {file}: declare it there"
                    ));
                } else {
                    problems.push(why_missing(n, "(from --only)"));
                }
            }
        }
        let only: BTreeSet<&str> = only.iter().map(String::as_str).collect();
        chosen.retain(|r| only.contains(r.name.as_str()));
    }
    if !problems.is_empty() {
        let n = problems.len() + more;
        if more > 0 {
            problems.push(format!("... and {more} more"));
        }
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
