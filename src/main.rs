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
mod prompt;
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

/// Print clap's error — unless it would quote an argument that may be a
/// secret value. clap quotes what it rejects (and suggests `-- ARG`), and
/// `vault set NAME VALUE` has a value on its command line, as has any
/// command given one by mistake (`vault get NAME sk-...`). Then vault says
/// what kind of mistake it was, names a rejected flag only when clap knows
/// the flag it resembles, and prints the command's usage.
fn print_usage_error(e: &clap::Error, args: &[std::ffi::OsString]) {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return;
    }
    let is_set = subcommand_of(args) == Some("set");
    let rendered = e.render().to_string();
    // An argument is safe to echo when it reads like a word someone typed
    // (a subcommand, a flag, a name); anything else may be a value.
    let quotes_a_value = args.iter().any(|a| {
        let a = a.to_string_lossy();
        let word = a.trim_start_matches('-');
        let safe = model::looks_typed(word) && !a.contains('=');
        !safe && a.len() >= 4 && rendered.contains(a.as_ref())
    });
    if !is_set && !quotes_a_value && e.kind() != ErrorKind::InvalidUtf8 {
        eprint!("{rendered}");
        return;
    }
    let sub = if is_set {
        "set"
    } else {
        subcommand_of(args).unwrap_or("")
    };
    let who = if sub.is_empty() {
        "vault".to_owned()
    } else {
        format!("vault {sub}")
    };
    // A suggestion is one of vault's own flags, never the user's text; the
    // rejected flag is named only when clap found a near flag for it (a typo
    // like `--descrption`), since `--correct-horse` could be a passphrase.
    let ours = |v: Option<&ContextValue>| match v {
        Some(ContextValue::String(f))
            if f.starts_with("--")
                && f[2..].bytes().all(|b| b.is_ascii_lowercase() || b == b'-') =>
        {
            Some(f.clone())
        }
        _ => None,
    };
    let suggested = ours(e.get(ContextKind::SuggestedArg));
    let typo = ours(e.get(ContextKind::InvalidArg))
        .filter(|f| suggested.is_some() && args.iter().any(|a| a == f.as_str()));
    let what = match (e.kind(), &typo, &suggested) {
        (ErrorKind::UnknownArgument, Some(f), Some(s)) => {
            format!("{who} has no flag {f}; did you mean {s}?")
        }
        (ErrorKind::UnknownArgument, _, _) if is_set => {
            "an argument vault set does not take (a value that starts with '-' goes after `--`)"
                .to_owned()
        }
        (ErrorKind::UnknownArgument, _, _) => format!("an argument {who} does not take"),
        (ErrorKind::MissingRequiredArgument, _, _) => "a required argument is missing".to_owned(),
        (ErrorKind::InvalidUtf8, _, _) => "an argument is not valid UTF-8".to_owned(),
        (ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues, _, _) => {
            "too many arguments, or a value given to a flag that takes none".to_owned()
        }
        (ErrorKind::NoEquals | ErrorKind::InvalidValue | ErrorKind::ValueValidation, _, _) => {
            "a flag was given a value it does not take".to_owned()
        }
        (ErrorKind::ArgumentConflict, _, _) => "two flags that exclude each other".to_owned(),
        _ => "the command line could not be read".to_owned(),
    };
    eprintln!("error: {what}");
    eprintln!("note: the arguments are not shown, as one may be a secret value");
    let mut cmd = <Cli as clap::CommandFactory>::command();
    cmd.build();
    if let Some(c) = cmd.find_subcommand_mut(sub) {
        eprintln!("\n{}", c.render_usage());
    }
    if is_set {
        eprintln!(
            "hint: vault set NAME VALUE, vault set NAME -- -VALUE, or the value on stdin; see vault set --help"
        );
    } else {
        eprintln!("hint: see `{who} --help`");
    }
}

/// The subcommand a command line names: the first argument that is not a
/// global option or its value.
fn subcommand_of(args: &[std::ffi::OsString]) -> Option<&str> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.to_str()? {
            "--vault-dir" | "--passphrase-file" => {
                it.next();
            }
            s if s.starts_with('-') => {}
            s => return Some(s),
        }
    }
    None
}

fn real_main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
            print_usage_error(&e, &args);
            // `vault run` keeps 0-124 for the command's own statuses, so a
            // mistake on its command line is "vault failed" (125), as `env`.
            let shown_and_done = matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            );
            return if !shown_and_done && subcommand_of(&args) == Some("run") {
                commands::run::EXIT_VAULT_FAILED
            } else {
                e.exit_code()
            };
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
