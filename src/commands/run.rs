//! `vault run`: read the manifest and check the arguments, ask the vault
//! layer for the run's secrets (`Vault::plan_run`: globals + the agent's
//! grants, narrowed by the manifest and `--only`), record what the agent
//! receives, and hand over to `run::start`, or with `--watch` to
//! `run::watch::run` with the vault kept open (`vault::RunWatch`) to plan
//! again when it changes. Any failure before the command starts exits 125;
//! `--watch --on-change exit` exits 75 after a change.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Ctx;
use crate::cli::RunArgs;
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::manifest::{self, Declared};
use crate::model;
use crate::report;
use crate::run::{self, Injected, Outcome};
use crate::vault::{AgentCredential, RunRequest, RunWatch, Vault, WatchRequest};

/// Run and return how vault exits (never returns on a successful exec).
pub fn run(ctx: &Ctx, args: &RunArgs) -> ExitCode {
    let prepared = match prepare(ctx, args) {
        Ok(p) => p,
        Err(e) => {
            report::error(&e);
            return ExitCode::RunFailed;
        }
    };
    let outcome = match prepared.watch {
        Some((mut source, changes)) => {
            let opts = watch_options(args);
            run::watch::run(&args.command, prepared.secrets, changes, &mut source, &opts)
        }
        None => run::start(
            &args.command,
            prepared.env,
            &prepared.secrets,
            args.no_masking,
        ),
    };
    match outcome {
        Outcome::Changed => ExitCode::SecretsChanged,
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
    /// `--watch`: the vault kept open to plan again, and its change check.
    watch: Option<(RunWatch, Box<dyn run::watch::Changes>)>,
}

/// `--watch`'s flags with their defaults.
fn watch_options(args: &RunArgs) -> run::watch::Options {
    use crate::cli::OnChange;
    let on_change = match args.on_change.unwrap_or(OnChange::Restart) {
        OnChange::Restart => run::watch::OnChange::Restart,
        OnChange::Exit => run::watch::OnChange::Exit,
        // Checked by the parser (1-31); a number the system has no signal
        // for is refused there too.
        OnChange::Signal(n) => run::watch::OnChange::Signal(
            rustix::process::Signal::from_named_raw(n).unwrap_or(rustix::process::Signal::HUP),
        ),
    };
    run::watch::Options {
        on_change,
        grace: args.grace.unwrap_or(Duration::from_secs(10)),
        debounce: args.debounce.unwrap_or(Duration::from_millis(300)),
        splay: args.splay.unwrap_or(Duration::ZERO),
        clean_env: args.clean_env,
        keep: args.keep.clone(),
        no_masking: args.no_masking,
    }
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
    let shown = crate::typed::escape(&path.display().to_string());
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
                crate::typed::escape(n)
            ))
            .hint("give names separated by commas, e.g. --keep CI_JOB_ID,http_proxy"));
        }
        if crate::model::OWN_ENV_VARS.contains(&n.as_str()) {
            return Err(Error::invalid(format!(
                "--keep {n}: vault never passes on its own unlock settings"
            ))
            .hint("a command that needs secrets gets them from vault run, not the vault's key"));
        }
    }
    let vault_env = super::env_of(args.env.as_deref())?;
    if let Some(cred) = AgentCredential::find(args.agent.as_deref(), super::master_at_hand(ctx))? {
        return prepare_as_agent(
            ctx,
            args,
            &cred,
            manifest.as_ref(),
            &only,
            vault_env.as_deref(),
        );
    }
    let mut vault = Vault::open(&ctx.paths)?;
    let agent = args.agent.as_deref();
    // A member who operates the agent opens its signed view with their own
    // identity, as the agent's own key would.
    if let Some(a) = agent {
        vault.require(
            crate::vault::Need::Right(a, "operate"),
            &format!("running as {a}"),
        )?;
        if args.watch && !vault.operated_agents().is_empty() {
            return Err(Error::locked(
                "permission denied: `vault run --watch` as a member needs role owner",
            )
            .hint("run without --watch (restart the command to pick up changes)"));
        }
        if let Some(received) = vault.member_receives(a, vault_env.as_deref())? {
            return prepare_received(args, vault, received, manifest.as_ref(), &only);
        }
    }
    // --keep NAME: the caller's own NAME, when it has one, wins over the
    // vault's; the secret is then neither opened nor delivered.
    let caller_keeps: BTreeSet<&str> = args
        .keep
        .iter()
        .map(String::as_str)
        .filter(|n| std::env::var_os(n).is_some())
        .collect();
    let plan = vault.plan_run(
        &ctx.keys,
        &RunRequest {
            agent,
            env: vault_env.as_deref(),
            manifest: manifest.as_ref(),
            only: &only,
            caller_keeps: &caller_keeps,
        },
    )?;
    let mut secrets = Vec::with_capacity(plan.secrets.len());
    for planned in &plan.secrets {
        if let Some(why) = planned.refused {
            eprintln!("vault: warning: not injecting {}: {why}", planned.name);
            continue;
        }
        let value = vault.open_planned(planned)?;
        secrets.push(Injected {
            name: planned.name.clone(),
            value,
            mask: planned.mask,
        });
    }

    let program = args.command.first().cloned().unwrap_or_default();
    let path_var = std::env::var_os("PATH");
    if run::resolve_program(&program, path_var.as_deref()).is_some() {
        vault.record_run(agent, &plan, &program, &crate::model::now())?;
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
    if args.watch {
        let watch = vault.watch_run(
            &ctx.keys,
            WatchRequest {
                agent: agent.map(str::to_owned),
                env: vault_env,
                manifest,
                only,
                caller_keeps: caller_keeps.iter().map(|n| (*n).to_owned()).collect(),
                program,
            },
            &plan,
        )?;
        return Ok(Prepared {
            env,
            secrets,
            watch: Some(watch),
        });
    }
    if args.no_masking {
        vault.close_for_exec();
    }
    Ok(Prepared {
        env,
        secrets,
        watch: None,
    })
}

/// `vault run` with an agent key and no master key: exactly what the
/// agent's signed statement lists, narrowed like any run.
fn prepare_as_agent(
    ctx: &Ctx,
    args: &RunArgs,
    cred: &AgentCredential,
    manifest: Option<&(String, Vec<Declared>)>,
    only: &[String],
    env: Option<&str>,
) -> Result<Prepared> {
    if args.watch {
        return Err(Error::locked(
            "permission denied: `vault run --watch` needs the master key; this process has only an agent key",
        )
        .hint("run without --watch (restart the command to pick up changes)"));
    }
    let mut vault = Vault::open(&ctx.paths)?;
    let received = vault.receive_as(cred, args.agent.as_deref(), env)?;
    prepare_received(args, vault, received, manifest, only)
}

/// The rest of a run from a signed view (an agent key's, or a member's who
/// operates the agent): narrowed like any run, deliveries recorded.
fn prepare_received(
    args: &RunArgs,
    mut vault: Vault,
    received: crate::vault::Received,
    manifest: Option<&(String, Vec<Declared>)>,
    only: &[String],
) -> Result<Prepared> {
    let caller_keeps: BTreeSet<&str> = args
        .keep
        .iter()
        .map(String::as_str)
        .filter(|n| std::env::var_os(n).is_some())
        .collect();
    let chosen = received.narrowed(manifest, only, &caller_keeps)?;
    let mut secrets = Vec::with_capacity(chosen.len());
    for (item, refused) in &chosen {
        if let Some(why) = refused {
            eprintln!("vault: warning: not injecting {}: {why}", item.name);
            continue;
        }
        secrets.push(Injected {
            name: item.name.clone(),
            value: item.value.clone(),
            mask: item.secret,
        });
    }
    let program = args.command.first().cloned().unwrap_or_default();
    let path_var = std::env::var_os("PATH");
    if run::resolve_program(&program, path_var.as_deref()).is_some() {
        let delivered: Vec<&crate::vault::ReceivedItem> = chosen.iter().map(|(i, _)| *i).collect();
        vault.record_received_run(&received, &delivered, &program)?;
    }
    let env = run::build_env(std::env::vars_os(), args.clean_env, &args.keep, &secrets);
    if args.no_masking {
        vault.close_for_exec();
    }
    Ok(Prepared {
        env,
        secrets,
        watch: None,
    })
}
