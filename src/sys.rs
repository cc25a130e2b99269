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
/// terminal is the pseudo-terminal slave the caller installed as its stdout
/// (or as its stderr, when only vault's stderr is a terminal).
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
    // plus isatty's ioctl, touches no lock, no allocator and no global state, and converts a
    // failure with `io::Error::from(Errno)`, which does not allocate. It
    // reads nothing sensitive: the environment was already built by std.
    unsafe {
        cmd.pre_exec(|| {
            rustix::process::setsid()?;
            let tty = if rustix::termios::isatty(rustix::stdio::stdout()) {
                rustix::stdio::stdout()
            } else {
                rustix::stdio::stderr()
            };
            rustix::process::ioctl_tiocsctty(tty)?;
            Ok(())
        });
    }
}

/// Make `cmd`'s child die with vault, and exec the command from the child
/// without a shell fallback. Register it last: it ends the child's hooks.
///
/// Dying with vault: if vault itself is killed (`kill -9`, the OOM killer),
/// the kernel sends the child SIGKILL instead of leaving it to run on as an
/// orphan whose output nobody reads or masks any more. SIGKILL rather than
/// SIGTERM: vault may have been started with SIGTERM ignored (which the
/// child inherits), and a command that outlives its masking parent is
/// exactly what this prevents. Processes the command started learn it from
/// their closed output (SIGPIPE, or on a pty the hang-up the kernel sends
/// to the session when its leader dies). The death signal is armed between
/// fork and exec; if vault died before that (the parent is no longer the
/// one that forked), the child ends itself at once, as the signal would.
///
/// Exec: with a hook, std would exec through `execvp(3)`, which runs a file
/// the kernel refuses (ENOEXEC) with `/bin/sh`; without one it uses
/// `posix_spawnp`, which reports ENOEXEC. The hook execs itself, searching
/// the command's `PATH` as `execvp` does, so a spawn error (not found, not
/// executable, not a program) reaches the caller as one in every shape.
/// Everything it needs is prepared here, before the fork. The caller has
/// set the complete environment with `env_clear()` and `envs()`.
pub fn exec_dying_with_parent(cmd: &mut Command) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;

    let invalid = || std::io::Error::from(std::io::ErrorKind::InvalidInput);
    let c = |bytes: &[u8]| CString::new(bytes).map_err(|_| invalid());
    let program = cmd.get_program().as_bytes().to_vec();
    let mut path: Vec<u8> = b"/bin:/usr/bin".to_vec();
    let mut env = Vec::new();
    for (key, value) in cmd.get_envs() {
        let Some(value) = value else { continue };
        if key.as_bytes() == b"PATH" {
            path = value.as_bytes().to_vec();
        }
        env.push(c(&[key.as_bytes(), b"=", value.as_bytes()].concat())?);
    }
    let candidates = if program.contains(&b'/') {
        vec![c(&program)?]
    } else {
        path.split(|&b| b == b':')
            .map(|dir| match dir {
                [] => c(&program),
                dir => c(&[dir, b"/", program.as_slice()].concat()),
            })
            .collect::<std::io::Result<Vec<_>>>()?
    };
    let mut argv = vec![c(&program)?];
    for arg in cmd.get_args() {
        argv.push(c(arg.as_bytes())?);
    }
    let exec = Exec::new(candidates, argv, env);
    let parent = rustix::process::getpid();
    // SAFETY: runs in the forked child before exec, where only
    // async-signal-safe operations are allowed: prctl(2), getppid(2),
    // kill(2) and execve(2), and errno. Nothing is allocated (all strings
    // and pointer arrays were built above and are only read; errors are
    // `io::Error::from_raw_os_error`, which does not allocate), no lock is
    // taken, nothing sensitive is read.
    unsafe {
        cmd.pre_exec(move || {
            let kill = rustix::process::Signal::KILL;
            rustix::process::set_parent_process_death_signal(Some(kill))?;
            if rustix::process::getppid() != Some(parent) {
                rustix::process::kill_process(rustix::process::getpid(), kill)?;
            }
            Err(exec.run())
        });
    }
    Ok(())
}

/// What `exec_dying_with_parent`'s hook execs: NUL-terminated pointer arrays over
/// strings that live as long as it does.
struct Exec {
    candidates: Vec<std::ffi::CString>,
    _strings: Vec<std::ffi::CString>,
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
}

// SAFETY: the raw pointers point into `_strings`, owned by the same value
// and never changed; they are only read, in the forked child.
unsafe impl Send for Exec {}
// SAFETY: as above; nothing is mutated through a shared reference.
unsafe impl Sync for Exec {}

impl Exec {
    fn new(
        candidates: Vec<std::ffi::CString>,
        argv: Vec<std::ffi::CString>,
        env: Vec<std::ffi::CString>,
    ) -> Exec {
        let pointers = |v: &[std::ffi::CString]| {
            v.iter()
                .map(|s| s.as_ptr())
                .chain(std::iter::once(std::ptr::null()))
                .collect::<Vec<_>>()
        };
        let argv_ptrs = pointers(&argv);
        let envp_ptrs = pointers(&env);
        let mut strings = argv;
        strings.extend(env);
        Exec {
            candidates,
            _strings: strings,
            argv: argv_ptrs,
            envp: envp_ptrs,
        }
    }

    /// execve(2) each candidate as execvp(3) does; returns only on failure.
    fn run(&self) -> std::io::Error {
        let mut denied = false;
        for path in &self.candidates {
            // SAFETY: NUL-terminated strings and NULL-terminated arrays of
            // them, all alive for `self`'s lifetime.
            unsafe {
                libc::execve(path.as_ptr(), self.argv.as_ptr(), self.envp.as_ptr());
            }
            let err = std::io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EACCES) => denied = true,
                Some(
                    libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT,
                ) => {}
                _ => return err,
            }
        }
        std::io::Error::from_raw_os_error(if denied { libc::EACCES } else { libc::ENOENT })
    }
}

/// The terminal settings to put back if a signal ends vault during a
/// hidden prompt: the tty (opened for reading and writing) and its settings
/// before the prompt changed them. Set once (before the first prompt's
/// handlers are installed) and only read afterwards, so the signal
/// handler's read is a plain atomic load.
static PROMPT_TTY: std::sync::OnceLock<(std::fs::File, rustix::termios::Termios)> =
    std::sync::OnceLock::new();

/// The signals that end vault by default and may arrive at a prompt.
const PROMPT_SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// What turns the terminal's bracketed-paste mode off (the prompt turns it on).
pub const PASTE_MODE_OFF: &[u8] = b"\x1b[?2004l";

extern "C" fn restore_tty_and_die(sig: libc::c_int) {
    if let Some((tty, saved)) = PROMPT_TTY.get() {
        // write, tcsetattr and tcflush are one system call each:
        // async-signal-safe. The file lives in the static for the rest of
        // the process, so its fd is always valid. Discarding the input
        // queue keeps the rest of a paste away from the shell.
        let _ = rustix::io::write(tty, PASTE_MODE_OFF);
        let _ = rustix::termios::tcsetattr(tty, rustix::termios::OptionalActions::Now, saved);
        let _ = rustix::termios::tcflush(tty, rustix::termios::QueueSelector::IFlush);
    }
    // SAFETY: signal(2) and raise(3) are async-signal-safe. With the default
    // action back, raise ends vault by `sig`, as if no handler had been set.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// The terminal prompts read from, and its settings before any prompt
/// changed them: opened by `open` at the first prompt and kept for the
/// process (init asks twice, on the same terminal), so that the signal
/// handler can always reach it.
pub fn prompt_tty(
    open: impl FnOnce() -> std::io::Result<std::fs::File>,
) -> std::io::Result<&'static (std::fs::File, rustix::termios::Termios)> {
    if PROMPT_TTY.get().is_none() {
        let tty = open()?;
        let saved = rustix::termios::tcgetattr(&tty)?;
        let _ = PROMPT_TTY.set((tty, saved));
    }
    PROMPT_TTY
        .get()
        .ok_or_else(|| std::io::Error::other("no terminal to ask on"))
}

/// Run `f` (a prompt on [`prompt_tty`]) such that a signal ending vault
/// meanwhile (^C, SIGTERM, SIGHUP, ^\) first puts the terminal's settings
/// back, turns bracketed paste off and discards its input queue: otherwise
/// the user's shell is left typing blind, or runs the rest of a paste. The
/// signals' previous actions are put back afterwards, exactly (signal-hook
/// cannot do that: it never gives a signal back once it has handled it).
pub fn during_prompt<T>(f: impl FnOnce() -> T) -> T {
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
    let out = f();
    for (sig, old) in previous {
        // SAFETY: restores exactly the action sigaction(2) reported above.
        unsafe {
            libc::sigaction(sig, &old, std::ptr::null_mut());
        }
    }
    out
}

/// Replace vault with `file` (argv and environment exactly as given), as
/// `cmd.exec()` would, but with execve(2) instead of std's execvp(3).
/// Returns only on failure.
///
/// glibc's execvp runs a file the kernel refuses (ENOEXEC: no `#!` line, a
/// broken binary) through /bin/sh, which reports it in its own words and
/// exit codes, while a masked run (posix_spawn) gets ENOEXEC: one file
/// would fail two ways. `cmd` still does std's preparation (signal mask and
/// SIGPIPE reset) before this hook replaces its execvp.
pub fn exec_file(
    mut cmd: Command,
    file: &std::path::Path,
    argv: &[std::ffi::OsString],
    env: &[(std::ffi::OsString, std::ffi::OsString)],
) -> std::io::Error {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let file = CString::new(file.as_os_str().as_bytes());
    let argv: Result<Vec<CString>, _> = argv.iter().map(|a| CString::new(a.as_bytes())).collect();
    let env: Result<Vec<CString>, _> = env
        .iter()
        .map(|(k, v)| CString::new([k.as_bytes(), b"=", v.as_bytes()].concat()))
        .collect();
    let (Ok(file), Ok(argv), Ok(env)) = (file, argv, env) else {
        // A NUL byte: std reports it in its own words.
        return cmd.exec();
    };
    // SAFETY: with `exec()` (no fork) the hook runs in vault's own process,
    // single-threaded at this point, just before std's execvp: allocating is
    // fine. The pointer arrays are built inside the hook from CStrings the
    // closure owns, are NULL-terminated as execve(2) requires, and outlive
    // the call. execve only returns on failure, with errno set.
    unsafe {
        cmd.pre_exec(move || {
            let argv_p: Vec<*const libc::c_char> = argv
                .iter()
                .map(|a| a.as_ptr())
                .chain(std::iter::once(std::ptr::null()))
                .collect();
            let env_p: Vec<*const libc::c_char> = env
                .iter()
                .map(|e| e.as_ptr())
                .chain(std::iter::once(std::ptr::null()))
                .collect();
            libc::execve(file.as_ptr(), argv_p.as_ptr(), env_p.as_ptr());
            Err(std::io::Error::last_os_error())
        });
    }
    cmd.exec()
}
