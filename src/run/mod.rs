//! `vault run`: build the command's environment and start it, either by
//! exec (`--no-masking`: vault disappears) or under a masking parent
//! ([`supervisor`]). Choosing *which* secrets is the command layer's job; this
//! module gets the final list of (name, value, masked?) and the flags.

pub mod mask;
pub mod supervisor;
pub mod watch;

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::Error;
use crate::model::SecretValue;

pub use mask::MIN_MASK_LEN;

/// Variables kept by `--clean-env`.
pub const CLEAN_ENV_KEEP: &[&str] = &["PATH", "HOME", "USER", "LANG", "TERM"];

/// One variable to inject.
pub struct Injected {
    pub name: String,
    pub value: SecretValue,
    /// Secrets are masked in output; variables never are.
    pub mask: bool,
}

/// How `vault run` ended, as an exit code.
pub enum Outcome {
    /// The command ran: its status, or 128+N.
    Exited(i32),
    /// vault failed before starting it (125), with the message.
    Failed(Error),
    /// Found but the system would not run it (126).
    NotExecutable(Error),
    /// No such command (127).
    NotFound(Error),
    /// `--watch --on-change exit`: its secrets changed and it was stopped (75).
    Changed,
}

/// The environment for the command: inherited (or the clean subset plus
/// `keep`), minus vault's own unlock variables, plus the secrets. A secret
/// replaces an inherited variable of its name; the caller decides which of
/// its own win instead by leaving those out of `secrets` (`--keep`).
pub fn build_env(
    inherited: impl Iterator<Item = (OsString, OsString)>,
    clean: bool,
    keep: &[String],
    secrets: &[Injected],
) -> Vec<(OsString, OsString)> {
    // Sorted slices, not sets: a few dozen inherited names are looked up in
    // a hundred-odd, and building tree sets was most of this function's cost
    // on every `vault run`.
    let kept =
        |k: &OsStr| CLEAN_ENV_KEEP.iter().any(|n| k == *n) || keep.iter().any(|n| k == n.as_str());
    let own = |k: &OsStr| crate::model::OWN_ENV_VARS.iter().any(|n| k == *n);
    let mut injected: Vec<&[u8]> = secrets.iter().map(|s| s.name.as_bytes()).collect();
    injected.sort_unstable();
    let mut env: Vec<(OsString, OsString)> = Vec::with_capacity(secrets.len() + 64);
    env.extend(
        inherited
            .filter(|(k, _)| !clean || kept(k))
            .filter(|(k, _)| !own(k))
            .filter(|(k, _)| injected.binary_search(&k.as_bytes()).is_err()),
    );
    for s in secrets {
        if crate::model::forbidden_name(&s.name).is_some() {
            continue;
        }
        env.push((OsString::from(&s.name), OsString::from(s.value.as_str())));
    }
    env
}

/// Find `program` the way execvp would, so "not found" (127) is known
/// before anything is recorded. Returns None when it cannot be found.
pub fn resolve_program(program: &OsStr, path_var: Option<&OsStr>) -> Option<PathBuf> {
    if program.as_bytes().contains(&b'/') {
        let p = Path::new(program);
        return p.exists().then(|| p.to_path_buf());
    }
    if program.is_empty() {
        return None;
    }
    let path = path_var
        .map(OsStr::to_os_string)
        .unwrap_or_else(|| OsString::from("/usr/local/bin:/usr/bin:/bin"));
    std::env::split_paths(&path)
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                PathBuf::from(".").join(program)
            } else {
                dir.join(program)
            }
        })
        .find(|candidate| {
            // Like execvp, skip files that are not executable and keep looking.
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// A command for `program` with `args` and an empty environment, and the
/// file it resolves to through `env`'s PATH. The resolved path is what is
/// exec'd (execvp would otherwise try, and fail on, every PATH entry before
/// the right one), with `program` as its argv[0].
pub(crate) fn command_for(
    program: &OsString,
    args: &[OsString],
    env: &[(OsString, OsString)],
) -> (Command, Option<PathBuf>) {
    let path_var = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone());
    let resolved = resolve_program(program, path_var.as_deref());
    let mut cmd = Command::new(
        resolved
            .as_deref()
            .map_or(program.as_os_str(), |p| p.as_os_str()),
    );
    if resolved.is_some() {
        cmd.arg0(program);
    }
    cmd.args(args).env_clear();
    (cmd, resolved)
}

/// Start `argv` with `env`. Masked unless `no_masking`; exec replaces vault otherwise.
pub fn start(
    argv: &[OsString],
    env: Vec<(OsString, OsString)>,
    secrets: &[Injected],
    no_masking: bool,
) -> Outcome {
    let Some((program, args)) = argv.split_first() else {
        return Outcome::Failed(
            Error::usage("no command given").hint("vault run -- COMMAND [ARGS...]"),
        );
    };
    // The environment is handed to the command below: to execve directly
    // on the exec path (std would first copy it into a map of its own),
    // through std otherwise. Cleared, so no path can pass on vault's.
    let (mut cmd, resolved) = command_for(program, args, &env);
    let std_env = |cmd: &mut Command| {
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
    };
    // A NUL byte cannot be passed to execve: std reports it in its own words.
    let nul_free = env
        .iter()
        .all(|(k, v)| !k.as_bytes().contains(&0) && !v.as_bytes().contains(&0));
    let failed = |err: &std::io::Error| {
        launch_error(&Launch {
            argv,
            file: resolved.as_deref(),
            env: &env,
            secrets,
            err,
        })
    };
    // exec only returns on failure. The resolved file is exec'd without
    // execvp's /bin/sh retry, so it fails as it does when spawned masked.
    // The command gets a session keyring of its own first: it must not
    // possess the key `vault unlock` kept in the caller's (docs/SECURITY.md).
    let exec = |mut cmd: Command| {
        if let Err(e) = crate::sys::leave_session_keyring() {
            return e;
        }
        match resolved.as_deref() {
            Some(file) if nul_free => crate::sys::exec_file(cmd, file, argv, &env),
            _ => {
                std_env(&mut cmd);
                cmd.exec()
            }
        }
    };
    if no_masking {
        return failed(&exec(cmd));
    }
    let redactor = redactor_for(secrets);
    if redactor.is_empty() {
        // Nothing to mask: no reason to stay in between.
        return failed(&exec(cmd));
    }
    std_env(&mut cmd);
    match supervisor::run_masked(cmd, &redactor) {
        Ok(code) => Outcome::Exited(code),
        Err(supervisor::Launch::Spawn(err)) => failed(&err),
        Err(supervisor::Launch::Failed(m)) => Outcome::Failed(Error::other(m)),
    }
}

/// The redactor for the secrets to mask (kind `secret`; variables never).
fn redactor_for(secrets: &[Injected]) -> mask::Redactor {
    // A terminal (ONLCR) turns every "\n" into "\r\n" — also one that
    // follows a "\r", so "a\r\nb" arrives as "a\r\r\nb" — and a multi-line
    // value printed on a pty must also be matched in that form.
    let crlf: Vec<(&str, zeroize::Zeroizing<Vec<u8>>)> = secrets
        .iter()
        .filter(|s| s.mask && s.value.as_bytes().contains(&b'\n'))
        .map(|s| (s.name.as_str(), onlcr(s.value.as_bytes())))
        .collect();
    let redactor_input: Vec<(&str, &[u8])> = secrets
        .iter()
        .filter(|s| s.mask)
        .map(|s| (s.name.as_str(), s.value.as_bytes()))
        .chain(crlf.iter().map(|(n, v)| (*n, v.as_slice())))
        .collect();
    mask::Redactor::new(&redactor_input)
}

/// `value` as a terminal with ONLCR shows it: each `\n` becomes `\r\n`.
/// Built in place in zeroizing memory, sized up front so no copy is left.
fn onlcr(value: &[u8]) -> zeroize::Zeroizing<Vec<u8>> {
    let lf = value.iter().filter(|&&b| b == b'\n').count();
    let mut out = zeroize::Zeroizing::new(Vec::with_capacity(value.len() + lf));
    for &b in value {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// A command the system refused to start, with what is needed to say why.
pub struct Launch<'a> {
    /// The command line as given (argv[0] is what the user typed).
    pub argv: &'a [OsString],
    /// The file argv[0] resolved to, when one was found.
    pub file: Option<&'a Path>,
    /// The complete environment the command was given (only names and
    /// sizes are ever shown).
    pub env: &'a [(OsString, OsString)],
    /// What vault injected, to tell its variables from inherited ones.
    pub secrets: &'a [Injected],
    pub err: &'a std::io::Error,
}

/// Linux refuses one argument or variable (`NAME=VALUE`) longer than this
/// (MAX_ARG_STRLEN, 32 pages) with E2BIG, however small the rest is.
const MAX_ARG_STRLEN: usize = 32 * 4096;

/// The one wording of a failed start, for exec (`--no-masking`) and spawn
/// (masked) alike, so both modes exit with the same code and message:
///
/// - no such command: 127;
/// - the file exists but the system answers "not found" (its `#!`
///   interpreter or ELF loader is missing): 126, as bash and zsh exit — the
///   command was found, it cannot be executed; `env` would say 127, but
///   "command not found" about a file that is there sends people looking in
///   the wrong place;
/// - permission denied, a directory, not an executable format: 126;
/// - the environment and arguments too large for the system (E2BIG): 125,
///   since it is what vault assembled that failed, and narrowing it is done
///   with vault's own flags.
///
/// Messages name the program and variables, never a value.
pub fn launch_error(l: &Launch<'_>) -> Outcome {
    use std::io::ErrorKind;
    let program = crate::typed::escape(
        &l.argv
            .first()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
    );
    let file = l.file.filter(|f| f.exists());
    let err = l.err;
    if err.raw_os_error() == Some(rustix::io::Errno::TOOBIG.raw_os_error()) {
        return Outcome::Failed(too_big(&program, l));
    }
    if err.raw_os_error() == Some(rustix::io::Errno::NOEXEC.raw_os_error()) {
        return Outcome::NotExecutable(
            Error::other(format!(
                "cannot execute {program}: not a program this system can run"
            ))
            .hint("a script needs a #! line first (e.g. #!/bin/sh); a binary must be built for this system"),
        );
    }
    match (err.kind(), file) {
        (ErrorKind::NotFound, None) => Outcome::NotFound(
            Error::not_found(format!("{program}: command not found"))
                .hint("check the spelling, or that it is on the PATH given to the command"),
        ),
        (ErrorKind::NotFound, Some(f)) => Outcome::NotExecutable(missing_interpreter(&program, f)),
        (ErrorKind::PermissionDenied, Some(f)) if f.is_dir() => Outcome::NotExecutable(
            Error::other(format!("cannot execute {program}: it is a directory"))
                .hint("name the program inside it"),
        ),
        (ErrorKind::PermissionDenied, Some(f)) if !is_executable(f) => Outcome::NotExecutable(
            Error::other(format!("cannot execute {program}: permission denied (it is not executable)"))
                .hint(format!("make it executable: `chmod +x {}`", crate::typed::escape(&f.to_string_lossy()))),
        ),
        (ErrorKind::PermissionDenied, _) => Outcome::NotExecutable(
            Error::other(format!("cannot execute {program}: permission denied"))
                .hint("check that its #! interpreter is executable and that its file system is not mounted noexec"),
        ),
        _ => Outcome::NotExecutable(Error::other(format!("cannot execute {program}: {err}"))),
    }
}

fn is_executable(f: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(f).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

/// The file is there but exec said "not found": what it needs to start is
/// missing. Its first line says what (a `#!` line, often with a CR from
/// Windows line endings) or it is a binary whose loader is missing.
fn missing_interpreter(program: &str, file: &Path) -> Error {
    use std::io::Read;
    let shown_file = crate::typed::escape(&file.to_string_lossy());
    let mut head = Vec::with_capacity(256);
    let _ = std::fs::File::open(file).and_then(|f| f.take(256).read_to_end(&mut head));
    if let Some(line) = head.strip_prefix(b"#!") {
        let line = line.split(|&b| b == b'\n').next().unwrap_or_default();
        // The kernel splits the line on spaces and tabs only: a CR stays
        // part of the interpreter's name.
        let interp: Vec<u8> = line
            .iter()
            .copied()
            .skip_while(|&b| b == b' ' || b == b'\t')
            .take_while(|&b| b != b' ' && b != b'\t')
            .collect();
        let name: String = String::from_utf8_lossy(&interp)
            .chars()
            .flat_map(char::escape_debug)
            .collect();
        let e = Error::other(format!(
            "cannot execute {program}: its interpreter `{name}` (the #! line of {shown_file}) was not found"
        ));
        return if line.contains(&b'\r') {
            e.hint(format!(
                "the file has Windows (CRLF) line endings: convert it with `dos2unix {shown_file}`"
            ))
        } else {
            let base = name.rsplit('/').next().unwrap_or_default();
            e.hint(format!(
                "install it, or point the #! line at where it is (`command -v {base}`), e.g. #!/usr/bin/env {base}"
            ))
        };
    }
    if head.starts_with(b"\x7fELF") {
        return Error::other(format!(
            "cannot execute {program}: its loader (the ELF interpreter of {shown_file}) was not found"
        ))
        .hint("it was built for another system or C library; rebuild it here, or install that loader");
    }
    Error::other(format!(
        "cannot execute {program}: {shown_file} exists but a file it needs to start was not found"
    ))
}

/// E2BIG: say how big it was and what to drop, never what it held.
fn too_big(program: &str, l: &Launch<'_>) -> Error {
    // What execve counts: each string with its NUL.
    let size = |k: &OsString, v: &OsString| k.len() + 1 + v.len() + 1;
    let env_bytes: usize = l.env.iter().map(|(k, v)| size(k, v)).sum();
    let arg_bytes: usize = l.argv.iter().map(|a| a.len() + 1).sum();
    let mut by_size: Vec<(usize, &OsString)> = l.env.iter().map(|(k, v)| (size(k, v), k)).collect();
    by_size.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    let from = |k: &OsString| {
        if l.secrets.iter().any(|s| OsStr::new(&s.name) == k) {
            "from vault"
        } else {
            "inherited"
        }
    };
    let largest: Vec<String> = by_size
        .iter()
        .take(3)
        .map(|(n, k)| {
            format!(
                "{} ({n} bytes, {})",
                crate::typed::escape(&k.to_string_lossy()),
                from(k)
            )
        })
        .collect();
    let mut msg = format!(
        "cannot start {program}: its environment is too large for this system (Argument list too long): {} variables, {env_bytes} bytes, plus {arg_bytes} bytes of arguments; largest: {}",
        l.env.len(),
        largest.join(", ")
    );
    let over: Vec<String> = by_size
        .iter()
        .take_while(|(n, _)| *n > MAX_ARG_STRLEN)
        .map(|(_, k)| crate::typed::escape(&k.to_string_lossy()))
        .collect();
    if !over.is_empty() {
        msg.push_str(&format!(
            "; over the {MAX_ARG_STRLEN}-byte limit for one variable: {}",
            over.join(", ")
        ));
    }
    Error::other(msg).hint(
        "give the command less: a vault.toml manifest or --only NAMES with just the names it needs, --clean-env to drop what it inherits, or make large secrets agent-only (`vault edit NAME --agent-only`) so that only runs with --agent receive them",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn inj(name: &str, value: &str) -> Injected {
        Injected {
            name: name.into(),
            value: SecretValue::new(Zeroizing::new(value.into())).unwrap(),
            mask: true,
        }
    }

    fn env_of(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    #[test]
    fn secrets_override_inherited_and_unlock_material_is_removed() {
        let inherited = env_of(&[
            ("PATH", "/bin"),
            ("TOKEN", "old"),
            ("VAULT_KEY", "k"),
            ("VAULT_PASSPHRASE", "p"),
            ("X", "1"),
        ]);
        let env = build_env(inherited.into_iter(), false, &[], &[inj("TOKEN", "new")]);
        let get = |k: &str| {
            env.iter()
                .filter(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("TOKEN"), vec![OsString::from("new")]);
        assert!(get("VAULT_KEY").is_empty());
        assert!(get("VAULT_PASSPHRASE").is_empty());
        assert_eq!(get("X"), vec![OsString::from("1")]);
    }

    #[test]
    fn multi_line_values_are_masked_as_a_terminal_shows_them() {
        let secrets = [inj("PEM", "line1\nline2"), inj("CRLF", "abc\r\ndef-crlf")];
        let r = redactor_for(&secrets);
        for (shown, name) in [
            (&b"line1\nline2"[..], "PEM"),
            (b"line1\r\nline2", "PEM"),
            (b"abc\r\ndef-crlf", "CRLF"),
            (b"abc\r\r\ndef-crlf", "CRLF"),
        ] {
            let mut st = r.stream();
            let mut out = Vec::new();
            st.push(shown, &mut out);
            st.finish(&mut out);
            assert_eq!(out, format!("<redacted:{name}>").into_bytes(), "{shown:?}");
        }
        assert_eq!(*onlcr(b"a\r\nb\n"), b"a\r\r\nb\r\n".to_vec());
    }

    #[test]
    fn clean_env_keeps_only_the_basics() {
        let inherited = env_of(&[
            ("PATH", "/bin"),
            ("HOME", "/h"),
            ("SECRET_LEAK", "x"),
            ("TERM", "xterm"),
        ]);
        let env = build_env(inherited.into_iter(), true, &[], &[inj("A_KEY", "v")]);
        let names: Vec<_> = env
            .iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["PATH", "HOME", "TERM", "A_KEY"]);
        let inherited = env_of(&[("PATH", "/bin"), ("CI_JOB_ID", "7"), ("OTHER", "x")]);
        let env = build_env(inherited.into_iter(), true, &["CI_JOB_ID".into()], &[]);
        assert_eq!(env, env_of(&[("PATH", "/bin"), ("CI_JOB_ID", "7")]));
    }

    #[test]
    fn loader_variables_are_never_injected() {
        let env = build_env(
            std::iter::empty(),
            true,
            &[],
            &[inj("LD_PRELOAD", "/tmp/x.so")],
        );
        assert!(env.is_empty());
    }

    // See: issue 17 item 12b
    #[test]
    fn vault_settings_stored_by_an_older_vault_are_never_injected() {
        let stored = [
            inj("VAULT_DIR", "/tmp/elsewhere"),
            inj("VAULT_KEY", "vault-key-text"),
            inj("VAULT_AGENT_KEY_FILE", "/tmp/k"),
        ];
        let env = build_env(std::iter::empty(), true, &[], &stored);
        assert!(env.is_empty(), "{env:?}");
    }

    #[test]
    fn resolves_programs_like_execvp() {
        assert!(resolve_program(
            OsStr::new("sh"),
            Some(OsStr::new("/nonexistent:/bin:/usr/bin"))
        )
        .is_some());
        assert!(
            resolve_program(OsStr::new("no-such-program-xyz"), Some(OsStr::new("/bin"))).is_none()
        );
        assert!(resolve_program(OsStr::new("/bin/sh"), None).is_some());
        assert!(resolve_program(OsStr::new(""), None).is_none());
    }
}
