//! `vault run`: build the command's environment and start it, either by
//! exec (`--no-masking`: vault disappears) or under a masking parent
//! ([`masked`]). Choosing *which* secrets is the command layer's job; this
//! module gets the final list of (name, value, masked?) and the flags.

pub mod mask;
pub mod masked;

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

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
    Failed(crate::error::Error),
    NotExecutable(String),
    NotFound(String),
}

/// The environment for the command: inherited (or the clean subset), minus
/// vault's own unlock variables and loader variables, plus the secrets.
pub fn build_env(
    inherited: impl Iterator<Item = (OsString, OsString)>,
    clean: bool,
    secrets: &[Injected],
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = inherited
        .filter(|(k, _)| !clean || CLEAN_ENV_KEEP.iter().any(|keep| OsStr::new(keep) == k))
        .filter(|(k, _)| {
            !crate::vault::OWN_ENV_VARS
                .iter()
                .any(|own| OsStr::new(own) == k)
        })
        .filter(|(k, _)| !secrets.iter().any(|s| OsStr::new(&s.name) == k))
        .collect();
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

/// Start `argv` with `env`. Masked unless `no_masking`; exec replaces vault otherwise.
pub fn start(
    argv: &[OsString],
    env: Vec<(OsString, OsString)>,
    secrets: &[Injected],
    no_masking: bool,
) -> Outcome {
    let Some((program, args)) = argv.split_first() else {
        return Outcome::Failed(
            crate::error::Error::usage("no command given").hint("vault run -- COMMAND [ARGS...]"),
        );
    };
    // Exec the resolved path: execvp would otherwise try (and fail on) every
    // PATH entry before the right one.
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
    cmd.args(args).env_clear().envs(env);
    let shown = program.to_string_lossy().into_owned();
    if no_masking {
        // exec only returns on failure.
        let err = cmd.exec();
        return launch_error(&shown, err);
    }
    let redactor = redactor_for(secrets);
    if redactor.is_empty() {
        // Nothing to mask: no reason to stay in between.
        let err = cmd.exec();
        return launch_error(&shown, err);
    }
    match masked::run_masked(cmd, &redactor) {
        Ok(code) => Outcome::Exited(code),
        Err(masked::Launch::NotFound(m)) => Outcome::NotFound(m),
        Err(masked::Launch::NotExecutable(m)) => Outcome::NotExecutable(m),
        Err(masked::Launch::Failed(m)) => Outcome::Failed(crate::error::Error::other(m)),
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

fn launch_error(program: &str, err: std::io::Error) -> Outcome {
    match err.kind() {
        std::io::ErrorKind::NotFound => Outcome::NotFound(format!("{program}: command not found")),
        std::io::ErrorKind::PermissionDenied => Outcome::NotExecutable(format!(
            "{program}: permission denied (is it executable? `chmod +x {program}`)"
        )),
        _ if err.raw_os_error() == Some(8) => Outcome::NotExecutable(format!(
            "{program}: not an executable format (a script needs a #! line)"
        )),
        _ => Outcome::NotExecutable(format!("{program}: cannot execute: {err}")),
    }
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
        let env = build_env(inherited.into_iter(), false, &[inj("TOKEN", "new")]);
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
        let env = build_env(inherited.into_iter(), true, &[inj("A_KEY", "v")]);
        let names: Vec<_> = env
            .iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["PATH", "HOME", "TERM", "A_KEY"]);
    }

    #[test]
    fn loader_variables_are_never_injected() {
        let env = build_env(std::iter::empty(), true, &[inj("LD_PRELOAD", "/tmp/x.so")]);
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
        let env = build_env(std::iter::empty(), true, &stored);
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
