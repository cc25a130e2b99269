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

/// Read a line from the terminal with echo off (`rpassword`), such that a
/// signal ending vault meanwhile (^C, SIGTERM, SIGHUP, ^\) first turns the
/// echo back on: otherwise the user's shell is left typing blind.
pub fn prompt_hidden(prompt: &str) -> std::io::Result<zeroize::Zeroizing<String>> {
    use std::os::fd::{AsRawFd, BorrowedFd};

    use rustix::termios::{tcgetattr, tcsetattr, OptionalActions};
    use signal_hook::consts::signal::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};

    // rpassword reads /dev/tty; keep it open so the fd stays valid for the
    // handlers until they are unregistered below.
    let tty = std::fs::File::open("/dev/tty").ok();
    let saved = tty.as_ref().and_then(|t| tcgetattr(t).ok());
    let mut handlers = Vec::new();
    if let (Some(tty), Some(saved)) = (&tty, saved) {
        let fd = tty.as_raw_fd();
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            let saved = saved.clone();
            // SAFETY: the handler runs in signal context, so it must be
            // async-signal-safe: it makes one ioctl (tcsetattr through
            // rustix, no allocation: `saved` was cloned beforehand) and then
            // restores the default action and re-raises the signal, which
            // signal-hook documents as safe to call from a handler. `fd`
            // stays open until the handler is unregistered (`tty` outlives
            // the registration).
            let id = unsafe {
                signal_hook::low_level::register(sig, move || {
                    let fd = BorrowedFd::borrow_raw(fd);
                    let _ = tcsetattr(fd, OptionalActions::Now, &saved);
                    let _ = signal_hook::low_level::emulate_default_handler(sig);
                })
            };
            if let Ok(id) = id {
                handlers.push(id);
            }
        }
    }
    let answer = rpassword::prompt_password(prompt).map(zeroize::Zeroizing::new);
    for id in handlers {
        signal_hook::low_level::unregister(id);
    }
    drop(tty);
    answer
}
