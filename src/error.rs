//! The one error type of vault.
//!
//! Every failure carries a [`Kind`] (which decides the exit code, DESIGN §2), a
//! message saying what went wrong and, usually, a hint saying what to do next.
//! Messages carry names, paths and line numbers — never a secret value. Modules
//! below `main` return this type; `anyhow` is not used inside the crate.

use std::fmt;

/// What kind of failure this is; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Anything else (I/O, SQLite, a busy database).
    Other,
    /// No such secret, agent or vault.
    NotFound,
    /// A refused change: granted secret, provider clash, existing vault or agent.
    Conflict,
    /// No key, wrong key, wrong passphrase, unsafe key file.
    Locked,
    /// Authentication of a ciphertext or key slot failed.
    Integrity,
    /// Bad name, value, .env line or manifest.
    Invalid,
    /// A command line that makes no sense (clap's own errors also exit 2).
    Usage,
    /// Whoever read our stdout went away (`vault list | head -1`): stop
    /// quietly, like any Unix filter.
    StdoutClosed,
}

#[derive(Debug, Clone)]
pub struct Error {
    kind: Kind,
    message: String,
    hint: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            hint: None,
        }
    }
    pub fn other(message: impl Into<String>) -> Error {
        Error::new(Kind::Other, message)
    }
    pub fn not_found(message: impl Into<String>) -> Error {
        Error::new(Kind::NotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Error {
        Error::new(Kind::Conflict, message)
    }
    pub fn locked(message: impl Into<String>) -> Error {
        Error::new(Kind::Locked, message)
    }
    pub fn integrity(message: impl Into<String>) -> Error {
        Error::new(Kind::Integrity, message)
    }
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(Kind::Invalid, message)
    }
    pub fn usage(message: impl Into<String>) -> Error {
        Error::new(Kind::Usage, message)
    }
    /// Attach (or replace) the "what to do next" line.
    pub fn hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }
    /// Add to the hint rather than replace it (a "did you mean" stays).
    pub fn also(mut self, more: impl Into<String>) -> Error {
        let more = more.into();
        self.hint = Some(match self.hint.take() {
            Some(h) => format!("{h} ({more})"),
            None => more,
        });
        self
    }
    /// An I/O failure on `path`, worded for a person.
    pub fn io(action: &str, path: &std::path::Path, err: std::io::Error) -> Error {
        let hint = match err.kind() {
            std::io::ErrorKind::PermissionDenied => Some(format!(
                "check the permissions of {} and its parent directory",
                path.display()
            )),
            std::io::ErrorKind::NotFound => Some(format!(
                "check the path (relative paths start at {})",
                std::env::current_dir().map_or_else(|_| ".".into(), |d| d.display().to_string())
            )),
            std::io::ErrorKind::IsADirectory => Some("give a file, not a directory".into()),
            std::io::ErrorKind::StorageFull => Some("free some disk space and try again".into()),
            std::io::ErrorKind::ReadOnlyFilesystem => {
                Some("the file system is read-only; point --vault-dir at a writable place".into())
            }
            _ => None,
        };
        let e = Error::other(format!("cannot {action} {}: {err}", path.display()));
        match hint {
            Some(h) => e.hint(h),
            None => e,
        }
    }
    pub fn kind(&self) -> Kind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    pub fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
    }
    /// The status this error ends vault with (the mapping lives in `exit`).
    #[cfg(test)]
    pub fn exit_code(&self) -> i32 {
        i32::from(crate::exit::ExitCode::from(self.kind).code())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hint_is_kept_apart_from_message() {
        let e = Error::locked("no key").hint("run vault init");
        assert_eq!(e.to_string(), "no key");
        assert_eq!(e.hint_text(), Some("run vault init"));
        assert_eq!(e.exit_code(), 5);
    }
}
