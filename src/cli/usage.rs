//! Usage errors: what vault prints when clap cannot read the command line,
//! and the exit status that goes with it. clap quotes what it rejects, and a
//! command line may hold a secret value (`vault set NAME VALUE`, or a value
//! typed in a name's place), so clap's own text is shown only when every
//! argument it would quote reads like a word someone typed.

use crate::exit::ExitCode;
use crate::typed::looks_typed;

use super::Cli;

/// Report a clap error and return how vault exits: help and version are
/// success; a mistake on `vault run`'s command line is "vault failed" (125,
/// as `env`), since 0-124 belong to the command; anything else is clap's 2.
pub fn handle(e: &clap::Error, args: &[std::ffi::OsString]) -> ExitCode {
    use clap::error::ErrorKind;
    print_usage_error(e, args);
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        return ExitCode::Success;
    }
    if subcommand_of(args) == Some("run") {
        return ExitCode::RunFailed;
    }
    match e.exit_code() {
        0 => ExitCode::Success,
        _ => ExitCode::Usage,
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
        let safe = looks_typed(word) && !a.contains('=');
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
