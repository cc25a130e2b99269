//! vault: a local-first secrets manager for AI agents and bots.
//!
//! `main` is thin on purpose: parse the command line, dispatch to
//! `commands::*`, and map the one error type to an exit code with an
//! `error:` line and a `hint:` line. Nothing here knows SQL or crypto.
#![deny(unsafe_code)]

mod cli;
mod commands;
mod crypto;
mod dotenv;
mod error;
mod manifest;
mod model;
mod output;
mod paths;
mod run;
mod store;
mod sys;
mod vault;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::commands::Ctx;
use crate::error::Error;

fn main() {
    let code = real_main();
    std::process::exit(code);
}

/// Print an error and its hint to stderr. Messages never carry values.
pub fn report_error(e: &Error) {
    if e.kind() == error::Kind::StdoutClosed {
        return;
    }
    eprintln!("error: {}", e.message());
    if let Some(h) = e.hint_text() {
        eprintln!("hint: {h}");
    }
}

/// Print clap's error — but `vault set NAME VALUE` has a secret on its
/// command line, and clap quotes arguments it rejects, so for `set` every
/// argument that is not a well-formed flag is hidden from the message.
fn print_usage_error(e: &clap::Error) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let is_set = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .is_some_and(|a| a == "set");
    if !is_set
        || matches!(
            e.kind(),
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
        )
    {
        let _ = e.print();
        return;
    }
    let flag_like = |a: &str| {
        let body = a.trim_start_matches('-');
        let body = body.split_once('=').map_or(body, |(f, _)| f);
        a.starts_with('-')
            && a.len() - body.len() <= 2
            && !body.is_empty()
            && body.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
    };
    let mut text = e.render().to_string();
    let mut hidden: Vec<&String> = args
        .iter()
        .filter(|a| *a != "set" && !a.is_empty() && !flag_like(a))
        .collect();
    hidden.sort_by_key(|a| std::cmp::Reverse(a.len()));
    for a in hidden {
        text = text.replace(a.as_str(), "<hidden>");
    }
    eprint!("{text}");
    eprintln!("note: arguments of `vault set` are hidden from this message because one may be a secret value");
    eprintln!(
        "hint: a value that starts with '-' goes after `--` (vault set NAME -- VALUE), or on stdin"
    );
}

fn real_main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            print_usage_error(&e);
            return e.exit_code();
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
    let ctx = match Ctx::new(cli.vault_dir.clone(), cli.passphrase_file.clone()) {
        Ok(c) => c,
        Err(e) => {
            report_error(&e);
            return if matches!(cli.command, Command::Run(_)) {
                commands::run::EXIT_VAULT_FAILED
            } else {
                e.exit_code()
            };
        }
    };
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
        Command::Completions(a) => commands::docs::completions(a),
        Command::Man(a) => commands::docs::man(&a.dir),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            report_error(&e);
            e.exit_code()
        }
    }
}
