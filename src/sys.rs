//! The only module of vault allowed to use `unsafe`.
//!
//! Everything here is a thin, documented wrapper around one operation that
//! the safe APIs of std, `rustix` and `signal-hook` cannot express. Keep it
//! small: each `unsafe` block carries a `// SAFETY:` note, and anything that
//! can be written safely belongs elsewhere.
#![allow(unsafe_code)]

use std::os::unix::process::CommandExt;
use std::process::Command;

/// Start `cmd`'s child as the leader of a new session whose controlling
/// terminal is the pseudo-terminal slave the caller installed as its stdout.
///
/// This is what `script(1)` and `login_tty(3)` do: without a controlling
/// terminal the child could not receive terminal signals (^C, ^Z, SIGWINCH,
/// SIGHUP when the pty goes away) nor open `/dev/tty`.
///
/// std resets the child's signal mask and SIGPIPE before running this hook
/// and `execve` resets every caught signal to its default, so the child
/// starts with a clean signal state even though vault installed handlers.
pub fn session_with_controlling_tty(cmd: &mut Command) {
    // SAFETY: `pre_exec` closures run in the forked child, before exec, where
    // only async-signal-safe operations are allowed. This one makes two
    // system calls through rustix (setsid(2), ioctl(2) TIOCSCTTY on fd 1),
    // touches no lock, no allocator and no global state, and converts a
    // failure with `io::Error::from(Errno)`, which does not allocate. It
    // reads nothing sensitive: the environment was already built by std.
    unsafe {
        cmd.pre_exec(|| {
            rustix::process::setsid()?;
            rustix::process::ioctl_tiocsctty(rustix::stdio::stdout())?;
            Ok(())
        });
    }
}
