//! vault: a local-first secrets manager for AI agents and bots.
//!
//! `main` is thin on purpose: parse the command line, dispatch to
//! `commands::*`, and turn the result into one [`exit::ExitCode`]. Usage
//! errors are `cli::usage`'s, error lines `report`'s; nothing here knows SQL
//! or crypto.
#![deny(unsafe_code)]

mod cli;
mod commands;
mod crypto;
mod dotenv;
mod error;
mod exit;
mod hex;
mod manifest;
mod model;
mod paths;
mod prompt;
mod report;
mod run;
mod store;
mod sys;
mod typed;
mod ui;
mod vault;

use crate::cli::{Cli, Command};
use crate::commands::Ctx;
use crate::exit::ExitCode;

fn main() -> std::process::ExitCode {
    real_main().into()
}

/// `Cli::try_parse`, but the command tree clap builds to parse is kept:
/// freeing its thousands of small allocations is a tenth of `vault run`'s
/// start-up, for memory the process is about to give back (by exit or exec).
fn parse() -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(cli) = cli::parse_fast(&args) {
        return Ok(cli);
    }
    let mut cmd = Cli::command();
    let parsed = match cmd.try_get_matches_from_mut(args) {
        Ok(mut m) => Cli::from_arg_matches_mut(&mut m).map_err(|e| e.format(&mut cmd)),
        Err(e) => Err(e),
    };
    std::mem::forget(cmd);
    parsed
}

fn real_main() -> ExitCode {
    // The completion scripts' helper: outside clap, so no generated script
    // ever offers it as a command.
    let mut args = std::env::args_os().skip(1);
    if args.next().is_some_and(|a| a == commands::complete::HELPER) {
        return commands::complete::helper(args.collect());
    }
    let cli = match parse() {
        Ok(c) => c,
        Err(e) => {
            let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
            return cli::usage::handle(&e, &args);
        }
    };
    // vault holds keys and values in memory: no core file, no same-user
    // ptrace of it. (exec resets this for `run --no-masking`'s command.)
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    // Everything vault creates for a vault is private. `run` keeps the
    // user's umask for the command; generated docs keep normal modes.
    if !matches!(
        cli.command,
        Command::Run(_) | Command::Completions(_) | Command::Man(_)
    ) {
        rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    }
    let ctx = match Ctx::new(
        cli.global.vault_dir.clone(),
        cli.global.passphrase_file.clone(),
        cli.global.database_url.clone(),
    ) {
        Ok(c) => c,
        Err(e) => {
            report::error(&e);
            return if matches!(cli.command, Command::Run(_)) {
                ExitCode::RunFailed
            } else {
                e.kind().into()
            };
        }
    };
    // With only an agent key, vault can do what the agent receives (run,
    // get --reveal, export) and nothing that needs the master key.
    if crate::vault::AgentCredential::given() && !commands::master_at_hand(&ctx) {
        let allowed = matches!(
            &cli.command,
            Command::Run(_)
                | Command::Get(_)
                | Command::Export(_)
                | Command::Providers(_)
                | Command::Completions(_)
                | Command::Man(_)
                | Command::Agent(cli::AgentCommand::Enroll { .. })
        );
        if !allowed {
            let e = error::Error::locked(
                "permission denied: this command needs the vault's master key (key file, VAULT_KEY or passphrase); this process has only an agent key (VAULT_AGENT_KEY / VAULT_AGENT_KEY_FILE)",
            )
            .hint("an agent key allows `vault run --agent NAME`, `vault get NAME --reveal` and `vault export`; ask an owner for anything else");
            report::error(&e);
            return e.kind().into();
        }
    }
    let result = match &cli.command {
        Command::Init(a) => commands::secrets::init(&ctx, a),
        Command::Set(a) => commands::secrets::set(&ctx, a),
        Command::Get(a) => commands::secrets::get(&ctx, a),
        Command::List(a) => commands::secrets::list(&ctx, a),
        Command::Edit(a) => commands::secrets::edit(&ctx, a),
        Command::Delete(a) => commands::secrets::delete(&ctx, a),
        Command::Import(a) => commands::io::import(&ctx, a),
        Command::Export(a) => commands::io::export(&ctx, a),
        Command::Agent(a) => commands::agents::agent(&ctx, a),
        Command::Grant(a) => commands::agents::grant(&ctx, a),
        Command::Revoke(a) => commands::agents::revoke(&ctx, a),
        Command::Providers(a) => commands::providers::providers(a),
        Command::Run(a) => return commands::run::run(&ctx, a),
        Command::History(a) => commands::history::history(&ctx, a),
        Command::Rollback(a) => commands::history::rollback(&ctx, a),
        Command::Rename(a) => commands::rename::rename(&ctx, a),
        Command::Audit(a) => commands::audit::audit(&ctx, a),
        Command::Backup(a) => commands::backup::backup(&ctx, a),
        Command::Push(a) => commands::push::push(&ctx, a),
        Command::Keys(a) => commands::keys::keys(&ctx, a),
        Command::Passwd(a) => commands::keys::passwd(&ctx, a),
        Command::Rekey(a) => commands::keys::rekey(&ctx, a),
        Command::Upgrade(a) => commands::keys::upgrade(&ctx, a),
        Command::Info(a) => commands::keys::info(&ctx, a),
        Command::Member(a) => commands::members::member(&ctx, a),
        Command::Whoami(a) => commands::members::whoami(&ctx, a),
        Command::Unlock(a) => commands::unlock::unlock(&ctx, a),
        Command::Lock(_) => commands::unlock::lock(&ctx),
        Command::Completions(a) => commands::docs::completions(a),
        Command::Man(a) => commands::docs::man(&a.dir),
    };
    match result {
        Ok(()) => ExitCode::Success,
        Err(e) => {
            report::error(&e);
            e.kind().into()
        }
    }
}
