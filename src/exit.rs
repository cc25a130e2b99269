//! Every status vault can exit with, in one place: the table of DESIGN §2.
//! Errors carry a [`Kind`](crate::error::Kind); `main` turns the result of
//! a command into one [`ExitCode`] and nothing else picks an integer. `vault
//! run` adds its own three (125/126/127, as `env` and POSIX shells use them)
//! and passes the command's status through.

/// How vault ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// 0.
    Success,
    /// 1: any other failure.
    Failure,
    /// 2: a command line clap could not read.
    Usage,
    /// 3: no such secret, agent or vault.
    NotFound,
    /// 4: a refused change.
    Conflict,
    /// 5: no key, a wrong or malformed key, permission denied.
    Locked,
    /// 6: a ciphertext, slot, policy or signature failed authentication.
    Integrity,
    /// 7: a bad name, value, .env line or manifest.
    Invalid,
    /// 75 (EX_TEMPFAIL): `vault run --watch --on-change exit` stopped the
    /// command because its secrets changed; a supervisor starts it again.
    SecretsChanged,
    /// 125: `vault run` failed before starting the command.
    RunFailed,
    /// 126: `vault run` found the command but could not execute it.
    NotExecutable,
    /// 127: `vault run` found no such command.
    CommandNotFound,
    /// `vault run`: the command's own status, or 128+N for signal N.
    Command(u8),
}

impl ExitCode {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::Failure => 1,
            ExitCode::Usage => 2,
            ExitCode::NotFound => 3,
            ExitCode::Conflict => 4,
            ExitCode::Locked => 5,
            ExitCode::Integrity => 6,
            ExitCode::Invalid => 7,
            ExitCode::SecretsChanged => 75,
            ExitCode::RunFailed => 125,
            ExitCode::NotExecutable => 126,
            ExitCode::CommandNotFound => 127,
            ExitCode::Command(c) => c,
        }
    }

    /// A command's status as `wait` reported it (0-255, or 128+N).
    pub fn from_status(code: i32) -> ExitCode {
        ExitCode::Command(u8::try_from(code).unwrap_or(ExitCode::Failure.code()))
    }
}

impl From<crate::error::Kind> for ExitCode {
    fn from(kind: crate::error::Kind) -> ExitCode {
        use crate::error::Kind;
        match kind {
            Kind::Other => ExitCode::Failure,
            Kind::NotFound => ExitCode::NotFound,
            Kind::Conflict => ExitCode::Conflict,
            Kind::Locked => ExitCode::Locked,
            Kind::Integrity => ExitCode::Integrity,
            Kind::Invalid => ExitCode::Invalid,
            Kind::Usage => ExitCode::Usage,
            // `vault list | head -1`: the reader went away; end quietly.
            Kind::StdoutClosed => ExitCode::Success,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(e: ExitCode) -> std::process::ExitCode {
        std::process::ExitCode::from(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::ExitCode;
    use crate::error::Kind;

    /// One row per code of DESIGN §2.
    #[test]
    fn every_code_is_the_documented_one() {
        let table = [
            (ExitCode::Success, 0),
            (ExitCode::Failure, 1),
            (ExitCode::Usage, 2),
            (ExitCode::NotFound, 3),
            (ExitCode::Conflict, 4),
            (ExitCode::Locked, 5),
            (ExitCode::Integrity, 6),
            (ExitCode::Invalid, 7),
            (ExitCode::SecretsChanged, 75),
            (ExitCode::RunFailed, 125),
            (ExitCode::NotExecutable, 126),
            (ExitCode::CommandNotFound, 127),
            (ExitCode::Command(0), 0),
            (ExitCode::Command(3), 3),
            (ExitCode::Command(143), 143),
        ];
        for (e, code) in table {
            assert_eq!(e.code(), code, "{e:?}");
        }
    }

    #[test]
    fn error_kinds_map_to_their_codes() {
        let table = [
            (Kind::Other, 1),
            (Kind::NotFound, 3),
            (Kind::Conflict, 4),
            (Kind::Locked, 5),
            (Kind::Integrity, 6),
            (Kind::Invalid, 7),
            (Kind::Usage, 2),
            (Kind::StdoutClosed, 0),
        ];
        for (k, code) in table {
            assert_eq!(ExitCode::from(k).code(), code, "{k:?}");
        }
    }

    #[test]
    fn a_status_outside_a_byte_is_a_failure_not_a_wrap() {
        assert_eq!(ExitCode::from_status(256).code(), 1);
        assert_eq!(ExitCode::from_status(-1).code(), 1);
        assert_eq!(ExitCode::from_status(255).code(), 255);
    }
}
