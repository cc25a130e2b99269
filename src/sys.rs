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
    // kill(2), keyctl(2) and execve(2), and errno. Nothing is allocated (all strings
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
            leave_session_keyring()?;
            Err(exec.run())
        });
    }
    Ok(())
}

/// Leave the session keyring: this process (and what it execs) gets a new,
/// empty, anonymous one, and so possesses none of the keys of the session
/// that started vault, such as the key `vault unlock` kept there. Every
/// command `vault run` starts does this just before exec. Where the system
/// has no keyring (keyctl missing or refused by seccomp) there is nothing
/// to leave, and the command could not reach a keyring either. When the
/// user's key quota is used up (each running command holds one anonymous
/// keyring), the command keeps the session only if it holds no key vault
/// kept; any other failure stops the command from starting (fail closed).
/// Async-signal-safe: system calls and stack buffers only, no allocation.
pub fn leave_session_keyring() -> std::io::Result<()> {
    match keyring::join_new_session() {
        Ok(_) => Ok(()),
        Err(e) if keyring::is_unavailable(&e) => Ok(()),
        Err(e) if is_quota(&e) && !keyring::session_holds_kept_key() => Ok(()),
        Err(e) => Err(e),
    }
}

fn is_quota(e: &std::io::Error) -> bool {
    #[cfg(target_os = "linux")]
    {
        e.raw_os_error() == Some(libc::EDQUOT)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = e;
        false
    }
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
    // Each string allocated once at its final size (with room for the NUL
    // CString adds), not built and then grown.
    let env: Result<Vec<CString>, _> = env
        .iter()
        .map(|(k, v)| {
            let mut s = Vec::with_capacity(k.len() + v.len() + 2);
            s.extend_from_slice(k.as_bytes());
            s.push(b'=');
            s.extend_from_slice(v.as_bytes());
            CString::new(s)
        })
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

/// The Linux kernel key-retention service (keyrings(7)): the few keyctl(2)
/// and add_key(2) operations `vault unlock`, `vault lock` and `vault run`
/// need, as raw system calls through `libc` (no crate offers joining a new
/// session keyring or handing one to the parent; see docs/SECURITY.md).
/// Elsewhere than on Linux every call fails with `Unsupported`.
pub mod keyring {
    use std::io;

    /// The calling thread's, process's, session's, user's and user-session keyrings.
    pub const SESSION: i32 = -3;
    pub const USER: i32 = -4;
    pub const USER_SESSION: i32 = -5;

    /// Permission bits (keyctl_setperm(3)): possessor, user, group, other.
    pub const POS_ALL: u32 = 0x3f00_0000;
    pub const USR_VIEW: u32 = 0x0001_0000;
    /// Search or link, for the user, the group or others: whoever has one of
    /// them on a keyring can come to possess what is in it.
    pub const NON_POSSESSOR_SEARCH_OR_LINK: u32 = 0x0018_1818;

    const GET_KEYRING_ID: u32 = 0;
    const JOIN_SESSION_KEYRING: u32 = 1;
    const SETPERM: u32 = 5;
    const DESCRIBE: u32 = 6;
    const LINK: u32 = 8;
    const UNLINK: u32 = 9;
    const SEARCH: u32 = 10;
    const READ: u32 = 11;
    const SET_TIMEOUT: u32 = 15;
    const SESSION_TO_PARENT: u32 = 18;
    const INVALIDATE: u32 = 21;

    #[cfg(target_os = "linux")]
    fn keyctl(op: u32, a: libc::c_ulong, b: libc::c_ulong, c: libc::c_ulong) -> io::Result<i64> {
        // SAFETY: keyctl(2) with integer arguments, or pointers that the
        // callers below derive from live slices and C strings for the
        // duration of the call, with their true lengths. No memory is
        // allocated in user space, so this is also safe between fork and exec.
        let r = unsafe {
            libc::syscall(
                libc::SYS_keyctl,
                op as libc::c_ulong,
                a,
                b,
                c,
                0 as libc::c_ulong,
            )
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(r)
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn keyctl(_op: u32, _a: u64, _b: u64, _c: u64) -> io::Result<i64> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    #[cfg(target_os = "linux")]
    type Arg = libc::c_ulong;
    #[cfg(not(target_os = "linux"))]
    type Arg = u64;

    fn id(r: i64) -> i32 {
        r as i32
    }

    /// The id of a special keyring (`SESSION`, `USER`, ...). `create`: make
    /// it if the process has none (for `SESSION`, a new anonymous one).
    pub fn keyring_id(special: i32, create: bool) -> io::Result<i32> {
        keyctl(GET_KEYRING_ID, special as Arg, Arg::from(create), 0).map(id)
    }

    /// Give this process a new, empty, anonymous session keyring: from here
    /// on it (and what it execs or forks) possesses nothing of the old
    /// session's keys. Async-signal-safe: one system call, no allocation.
    pub fn join_new_session() -> io::Result<i32> {
        keyctl(JOIN_SESSION_KEYRING, 0, 0, 0).map(id)
    }

    /// Whether this process's session keyring directly holds a key that
    /// `vault unlock` kept (a `user` key named `vault:...`). When that
    /// cannot be told (too many keys, an error), true. Stack buffers only:
    /// callable between fork and exec.
    pub fn session_holds_kept_key() -> bool {
        let mut ids = [0u8; 1024];
        let Ok(n) = read(SESSION, &mut ids) else {
            return true;
        };
        if n > ids.len() {
            return true;
        }
        let mut desc = [0u8; 256];
        for chunk in ids[..n].chunks_exact(4) {
            let id = i32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let Ok(len) = keyctl(
                DESCRIBE,
                id as Arg,
                desc.as_mut_ptr() as Arg,
                desc.len() as Arg,
            ) else {
                return true;
            };
            let text = &desc[..(len as usize).min(desc.len())];
            if text.starts_with(b"user;") && text.windows(7).any(|w| w == b";vault:") {
                return true;
            }
        }
        false
    }

    /// Replace the parent process's session keyring with this process's
    /// (applied when the parent next returns to user space). The kernel
    /// refuses (EPERM) a parent that is multi-threaded, of another user, or init.
    pub fn session_to_parent() -> io::Result<()> {
        keyctl(SESSION_TO_PARENT, 0, 0, 0).map(|_| ())
    }

    /// Add (or update) a key of type `user` named `description` holding
    /// `payload` to `keyring`; its id.
    #[cfg(target_os = "linux")]
    pub fn add_user_key(description: &str, payload: &[u8], keyring: i32) -> io::Result<i32> {
        let desc = std::ffi::CString::new(description)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: add_key(2) reads the two NUL-terminated strings and
        // `payload.len()` bytes of `payload`, all alive for the call.
        let r = unsafe {
            libc::syscall(
                libc::SYS_add_key,
                c"user".as_ptr(),
                desc.as_ptr(),
                payload.as_ptr(),
                payload.len(),
                keyring as libc::c_long,
            )
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(r as i32)
        }
    }

    #[cfg(not(target_os = "linux"))]
    pub fn add_user_key(_description: &str, _payload: &[u8], _keyring: i32) -> io::Result<i32> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    /// Find a key of type `user` named `description` in `keyring` and the
    /// keyrings it links that this process may search.
    pub fn search_user_key(keyring: i32, description: &str) -> io::Result<i32> {
        let desc = std::ffi::CString::new(description)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        keyctl(
            SEARCH,
            keyring as Arg,
            c"user".as_ptr() as Arg,
            desc.as_ptr() as Arg,
        )
        .map(id)
    }

    /// Read a key's payload into `buf`; the payload's full length (more
    /// than `buf.len()` means it was cut).
    pub fn read(key: i32, buf: &mut [u8]) -> io::Result<usize> {
        keyctl(READ, key as Arg, buf.as_mut_ptr() as Arg, buf.len() as Arg).map(|n| n as usize)
    }

    /// `type;uid;gid;perm;description` of a key or keyring.
    pub fn describe(key: i32) -> io::Result<String> {
        let mut buf = [0u8; 512];
        let n = keyctl(
            DESCRIBE,
            key as Arg,
            buf.as_mut_ptr() as Arg,
            buf.len() as Arg,
        )?;
        let text = buf.get(..(n as usize).min(buf.len())).unwrap_or(&[]);
        let text = text.strip_suffix(&[0]).unwrap_or(text);
        Ok(String::from_utf8_lossy(text).into_owned())
    }

    pub fn set_perm(key: i32, perm: u32) -> io::Result<()> {
        keyctl(SETPERM, key as Arg, perm as Arg, 0).map(|_| ())
    }

    /// Expire the key `seconds` from now (0: never).
    pub fn set_timeout(key: i32, seconds: u32) -> io::Result<()> {
        keyctl(SET_TIMEOUT, key as Arg, seconds as Arg, 0).map(|_| ())
    }

    pub fn link(key: i32, keyring: i32) -> io::Result<()> {
        keyctl(LINK, key as Arg, keyring as Arg, 0).map(|_| ())
    }

    pub fn unlink(key: i32, keyring: i32) -> io::Result<()> {
        keyctl(UNLINK, key as Arg, keyring as Arg, 0).map(|_| ())
    }

    /// Destroy a key at once, wherever it is linked.
    pub fn invalidate(key: i32) -> io::Result<()> {
        keyctl(INVALIDATE, key as Arg, 0, 0).map(|_| ())
    }

    /// Whether an error means "this system has no usable keyring" (not
    /// built into the kernel, or keyctl refused by a seccomp filter, as in
    /// many containers), as opposed to a failure of one operation.
    pub fn is_unavailable(e: &io::Error) -> bool {
        #[cfg(target_os = "linux")]
        {
            matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM))
                || e.kind() == io::ErrorKind::Unsupported
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = e;
            true
        }
    }
}
