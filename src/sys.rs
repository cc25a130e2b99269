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

/// Make `cmd`'s child die with vault: if vault itself is killed (`kill -9`,
/// the OOM killer), the kernel sends the child SIGKILL instead of leaving it
/// to run on as an orphan whose output nobody reads or masks any more.
///
/// SIGKILL rather than SIGTERM: vault may have been started with SIGTERM
/// ignored (which the child inherits), and a command that outlives its
/// masking parent is exactly what this prevents. Processes the command
/// started learn it from their closed output (SIGPIPE, or on a pty the
/// hang-up the kernel sends to the session when its leader dies).
///
/// The death signal is armed in the child between fork and exec; if vault
/// died before that (the parent is no longer the one that forked), the
/// child ends itself at once, as the signal would have.
pub fn die_with_parent(cmd: &mut Command) {
    let parent = rustix::process::getpid();
    // SAFETY: runs in the forked child before exec, where only
    // async-signal-safe operations are allowed: prctl(2), getppid(2) and
    // kill(2) through rustix, no lock, no allocation (the error is built
    // with `io::Error::from(Errno)`), nothing sensitive read.
    unsafe {
        cmd.pre_exec(move || {
            let kill = rustix::process::Signal::KILL;
            rustix::process::set_parent_process_death_signal(Some(kill))?;
            if rustix::process::getppid() != Some(parent) {
                rustix::process::kill_process(rustix::process::getpid(), kill)?;
            }
            Ok(())
        });
    }
}

/// The terminal settings to put back if a signal ends vault during a
/// hidden prompt: the tty's fd and its settings before echo was turned off.
/// Set once (before the first prompt's handlers are installed) and only
/// read afterwards, so the signal handler's read is a plain atomic load.
static PROMPT_TTY: std::sync::OnceLock<(std::fs::File, rustix::termios::Termios)> =
    std::sync::OnceLock::new();

/// The signals that end vault by default and may arrive at a prompt.
const PROMPT_SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

extern "C" fn restore_tty_and_die(sig: libc::c_int) {
    if let Some((tty, saved)) = PROMPT_TTY.get() {
        // tcsetattr is one ioctl: async-signal-safe. The file lives in the
        // static for the rest of the process, so its fd is always valid.
        let _ = rustix::termios::tcsetattr(tty, rustix::termios::OptionalActions::Now, saved);
    }
    // SAFETY: signal(2) and raise(3) are async-signal-safe. With the default
    // action back, raise ends vault by `sig`, as if no handler had been set.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// Read a line from the terminal with echo off (`rpassword`), such that a
/// signal ending vault meanwhile (^C, SIGTERM, SIGHUP, ^\) first turns the
/// echo back on: otherwise the user's shell is left typing blind. The
/// signals' previous actions are put back afterwards, exactly (signal-hook
/// cannot do that: it never gives a signal back once it has handled it).
pub fn prompt_hidden(prompt: &str) -> std::io::Result<zeroize::Zeroizing<String>> {
    // The terminal rpassword reads (/dev/tty) and its settings, recorded at
    // the first prompt; later prompts in the process (init asks twice) are
    // on the same terminal.
    if PROMPT_TTY.get().is_none() {
        if let Ok(tty) = std::fs::File::open("/dev/tty") {
            if let Ok(saved) = rustix::termios::tcgetattr(&tty) {
                let _ = PROMPT_TTY.set((tty, saved));
            }
        }
    }
    let mut previous: Vec<(libc::c_int, libc::sigaction)> = Vec::new();
    let handler: extern "C" fn(libc::c_int) = restore_tty_and_die;
    if PROMPT_TTY.get().is_some() {
        for sig in PROMPT_SIGNALS {
            // SAFETY: a zeroed sigaction is a valid "no flags, empty mask"
            // value; sigaction(2) is given valid pointers and stores the old
            // action in `old`, which is put back below.
            unsafe {
                let mut act: libc::sigaction = std::mem::zeroed();
                act.sa_sigaction = handler as libc::sighandler_t;
                libc::sigemptyset(&mut act.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &act, &mut old) == 0 {
                    previous.push((sig, old));
                }
            }
        }
    }
    let answer = rpassword::prompt_password(prompt).map(zeroize::Zeroizing::new);
    for (sig, old) in previous {
        // SAFETY: restores exactly the action sigaction(2) reported above.
        unsafe {
            libc::sigaction(sig, &old, std::ptr::null_mut());
        }
    }
    answer
}
