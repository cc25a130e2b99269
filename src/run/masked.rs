//! Supervise a command whose output is masked: `vault run` without `--no-masking`.
//!
//! vault stays the command's parent. It copies the command's stdout and
//! stderr through a [`Stream`] of the [`Redactor`] to its own stdout and
//! stderr, forwards the signals it receives, waits for the command and
//! returns the exit code vault must exit with. This module owns the process
//! plumbing only: it never sees a secret value (the redactor holds them),
//! never prints one, and builds no environment (the caller did).
//!
//! Two shapes, chosen by whether vault's stdout or stderr is a terminal:
//!
//! - **Pipes** (neither is a terminal): stdin is inherited; stdout and
//!   stderr are two pipes, each with its own stream, pumped by one thread
//!   with `poll(2)` over both pipes and a signal self-pipe. When vault's
//!   stdout and stderr are one file or pipe (`> log 2>&1`), the command
//!   gets one pipe as both, so its writes keep their order.
//! - **Pseudo-terminal** (stdout or stderr is a terminal): the command runs
//!   on a new pty in its own session (so `isatty()` is true and it colours
//!   and line-buffers as usual), and the master's output goes through one
//!   stream to that terminal. If vault's stdin is a terminal it is put in raw mode
//!   (restored on every path) and copied to the master; if it is not, the
//!   command inherits it directly (binary-safe, EOF arrives as EOF, no ^D
//!   or echo games). The side that is not a terminal (`2>log`, or
//!   `>out.json` with errors on the screen) is a pipe as in the first
//!   shape, masked by its own stream. A tail held back because it may
//!   begin a value is written to the terminal after [`QUIET`] without new
//!   output, so a prompt shows; the rest of a value completed later is
//!   still redacted.
//!
//! Signals: SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are
//! forwarded (to the command's process group on a pty) until the command has
//! been reaped; vault never dies of them while the command lives. On pipes,
//! a signal the kernel generated (^C, ^\ or a hangup from vault's terminal)
//! already reached the command, which shares vault's foreground process
//! group, so it is not sent a second time. A forwarded signal that was
//! ignored when vault started (`nohup`) stays ignored, by vault and the
//! command. SIGWINCH copies the window size to the pty.
//!
//! When the command exits, everything it wrote is still in the pipes or the
//! pty: it is drained, the streams are finished, and only then does vault
//! return. On pipes vault reads to EOF, as a pipeline would, so output of a
//! background process the command left is not lost; on a pty the hang-up
//! ends the session and vault stops once nothing arrived for [`DRAIN_IDLE`]
//! or [`DRAIN_MAX`] passed. A terminating signal (^C, SIGTERM, SIGHUP, ^\)
//! bounds the wait the same way, whenever it arrives.

use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};
use rustix::io::Errno;
use rustix::process::{kill_process, kill_process_group, DumpableBehavior, Pid, Signal};
use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
use rustix::termios::{
    isatty, tcgetattr, tcgetwinsize, tcsetattr, tcsetwinsize, LocalModes, OptionalActions,
    OutputModes, SpecialCodeIndex, Termios,
};
use signal_hook::consts::signal::{
    SIGCHLD, SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP, SIGUSR1, SIGUSR2, SIGWINCH,
};
use signal_hook::iterator::backend::SignalDelivery;
use signal_hook::iterator::exfiltrator::WithRawSiginfo;

use crate::run::mask::{Redactor, Stream};

/// Why the command could not be started. A message names the program,
/// never an environment value.
#[derive(Debug)]
pub enum Launch {
    /// vault's own failure before the command started: exit 125
    Failed(String),
    /// The system refused to start the command; the caller words it (and
    /// picks the exit code) with [`crate::run::launch_error`], the same
    /// function that words a failed exec under `--no-masking`.
    Spawn(io::Error),
}

/// Read size; also the pipe buffer size on Linux, so one read empties it.
const CHUNK: usize = 64 * 1024;
/// On a pty, after the command exited (and the terminal hung up on its
/// group), stop draining once nothing arrived for this long...
const DRAIN_IDLE: Duration = Duration::from_millis(100);
/// ...or after this long in any case. On pipes vault drains to EOF instead,
/// as a pipeline does: a background process the command left behind may
/// still be writing, and its output is the command's output.
const DRAIN_MAX: Duration = Duration::from_secs(1);
/// A held tail that may begin a value (`Password: hunt`) is written to a
/// terminal after this long without new output: a prompt must show. If the
/// value is completed later, what follows the shown part is still redacted.
const QUIET: Duration = Duration::from_millis(75);
/// Signals vault forwards to the command.
const FORWARDED: [i32; 6] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2];

/// Spawn `cmd` (program, args and the complete environment already set by the
/// caller with env_clear()+envs()) with stdout/stderr filtered through
/// `redactor`, forward signals, wait, and return the exit code vault must
/// exit with: the command's status, or 128+N when it died of signal N.
pub fn run_masked(cmd: Command, redactor: &Redactor) -> Result<i32, Launch> {
    let program = program_name(cmd.get_program());
    // vault holds plaintext values: no core dump, no ptrace or
    // /proc/PID/{mem,environ} by the command or anything else of this user.
    rustix::process::set_dumpable_behavior(DumpableBehavior::NotDumpable).map_err(|e| {
        Launch::Failed(format!(
            "cannot protect vault's memory before running {program}: {e}"
        ))
    })?;
    // Anything vault printed through std must come before the command's output.
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();

    // A terminal on either output: the command gets a pty for that side,
    // so it colours and line-buffers there as it would without vault.
    let on_pty = isatty(rustix::stdio::stdout()) || isatty(rustix::stdio::stderr());
    let signals = SignalPipe::register(on_pty).map_err(|e| {
        Launch::Failed(format!(
            "cannot set up signal forwarding for {program}: {e}"
        ))
    })?;
    if on_pty {
        run_on_pty(cmd, redactor, signals, &program)
    } else {
        run_on_pipes(cmd, redactor, signals, &program)
    }
}

fn run_on_pipes(
    mut cmd: Command,
    redactor: &Redactor,
    signals: SignalPipe,
    program: &str,
) -> Result<i32, Launch> {
    cmd.stdin(Stdio::inherit());
    let (child, pumps) = if same_file(rustix::stdio::stdout(), rustix::stdio::stderr()) {
        // `> log 2>&1`, `2>&1 | less`: one pipe as both fd 1 and fd 2, so
        // the lines interleave in the order the command wrote them, as
        // they would without vault. Two pipes read by poll cannot keep it.
        let setup =
            |e: Errno| Launch::Failed(format!("cannot set up the output of {program}: {e}"));
        let (read, write) =
            rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(setup)?;
        let write_err = write
            .try_clone()
            .map_err(|e| Launch::Failed(format!("cannot set up the output of {program}: {e}")))?;
        cmd.stdout(Stdio::from(write))
            .stderr(Stdio::from(write_err));
        die_with_parent(&mut cmd, program)?;
        let spawned = cmd.spawn();
        // The parent's write ends must go, or the pipe never reaches EOF.
        drop(cmd);
        let child = spawned.map_err(|e| launch_error(e, program))?;
        let pump = Pump::new(Some(read), rustix::stdio::stdout(), redactor.stream());
        (child, vec![pump])
    } else {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        die_with_parent(&mut cmd, program)?;
        let mut child = cmd.spawn().map_err(|e| launch_error(e, program))?;
        drop(cmd);
        let out = child.stdout.take().map(OwnedFd::from);
        let err = child.stderr.take().map(OwnedFd::from);
        let pumps = vec![
            Pump::new(out, rustix::stdio::stdout(), redactor.stream()),
            Pump::new(err, rustix::stdio::stderr(), redactor.stream()),
        ];
        (child, pumps)
    };
    let supervisor = Supervisor::new(child, false, pumps, None, None, signals);
    Ok(supervisor.run())
}

/// Whether two of vault's outputs are the same file, pipe or device
/// (`> log 2>&1`), so the command's two outputs must stay in one order.
fn same_file(a: BorrowedFd<'_>, b: BorrowedFd<'_>) -> bool {
    match (rustix::fs::fstat(a), rustix::fs::fstat(b)) {
        (Ok(x), Ok(y)) => x.st_dev == y.st_dev && x.st_ino == y.st_ino,
        _ => false,
    }
}

fn run_on_pty(
    mut cmd: Command,
    redactor: &Redactor,
    signals: SignalPipe,
    program: &str,
) -> Result<i32, Launch> {
    let stdin_tty = isatty(rustix::stdio::stdin());
    let stdout_tty = isatty(rustix::stdio::stdout());
    let stderr_tty = isatty(rustix::stdio::stderr());
    // The terminal the pty's output goes to.
    let screen = if stdout_tty {
        rustix::stdio::stdout()
    } else {
        rustix::stdio::stderr()
    };
    let Ok((master, slave)) = open_pty() else {
        // No pty to be had (a container without /dev/pts): masking matters
        // more than colours, so run on pipes.
        return run_on_pipes(cmd, redactor, signals, program);
    };
    // The command sees the same terminal settings and size as vault's own.
    let user_tty = if stdin_tty {
        rustix::stdio::stdin()
    } else {
        screen
    };
    let saved = tcgetattr(user_tty).ok();
    if let Some(t) = &saved {
        let _ = tcsetattr(&slave, OptionalActions::Now, t);
    }
    copy_window_size(&master);

    let slave_stdio = || -> Result<Stdio, Launch> {
        let fd = slave.try_clone().map_err(|e| {
            Launch::Failed(format!("cannot set up the terminal for {program}: {e}"))
        })?;
        Ok(Stdio::from(fd))
    };
    cmd.stdout(if stdout_tty {
        slave_stdio()?
    } else {
        Stdio::piped()
    });
    cmd.stdin(if stdin_tty {
        slave_stdio()?
    } else {
        Stdio::inherit()
    });
    cmd.stderr(if stderr_tty {
        slave_stdio()?
    } else {
        Stdio::piped()
    });
    crate::sys::session_with_controlling_tty(&mut cmd);
    die_with_parent(&mut cmd, program)?;

    // Raw before spawning, so keys typed early reach the command unechoed.
    let term = match (stdin_tty, saved) {
        (true, Some(saved)) => TermMode::raw(saved),
        (true, None) => None,
        (false, _) => TermMode::no_output_processing(screen),
    };
    let spawned = cmd.spawn();
    // The parent's copies of the slave must go, or the master never sees
    // the hang-up when the command exits.
    drop(cmd);
    drop(slave);
    let mut child = spawned.map_err(|e| launch_error(e, program))?;

    // Non-blocking master: a command that does not read its input must not
    // stop vault from reading the command's output.
    let _ = fcntl_getfl(&master).and_then(|f| fcntl_setfl(&master, f | OFlags::NONBLOCK));
    let control = master.try_clone().ok();
    // The pty first (pump 0), then the side that is a pipe, if any.
    let (piped, piped_dst) = if stdout_tty {
        (
            child.stderr.take().map(OwnedFd::from),
            rustix::stdio::stderr(),
        )
    } else {
        (
            child.stdout.take().map(OwnedFd::from),
            rustix::stdio::stdout(),
        )
    };
    let mut on_screen = Pump::new(Some(master), screen, redactor.stream());
    on_screen.quiet_flush = true;
    let pumps = vec![on_screen, Pump::new(piped, piped_dst, redactor.stream())];
    let feed = if stdin_tty {
        Some(Feed::default())
    } else {
        None
    };
    let mut supervisor = Supervisor::new(child, true, pumps, control, feed, signals);
    // Owned by the supervisor from here: restored when it is dropped, at the
    // end of the run however it ends.
    supervisor.term = term;
    Ok(supervisor.run())
}

/// A spawn error goes back to the caller as it is: one function words
/// launch errors for masked and unmasked runs alike.
fn launch_error(e: io::Error, _program: &str) -> Launch {
    Launch::Spawn(e)
}

/// The command must not outlive vault (killed by -9 or the OOM killer);
/// the last hook before the command runs.
fn die_with_parent(cmd: &mut Command, program: &str) -> Result<(), Launch> {
    crate::sys::exec_dying_with_parent(cmd)
        .map_err(|e| Launch::Failed(format!("cannot prepare to run {program}: {e}")))
}

/// The program as shown in messages: lossy UTF-8, control characters escaped
/// so that a name cannot play tricks on the terminal.
fn program_name(program: &OsStr) -> String {
    let mut name = String::new();
    for c in program.to_string_lossy().chars() {
        if c.is_control() {
            name.extend(c.escape_default());
        } else {
            name.push(c);
        }
    }
    name
}

fn open_pty() -> io::Result<(OwnedFd, OwnedFd)> {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )?;
    Ok((master, slave))
}

/// Copy the window size of vault's terminal (its stdout, else its stderr) to the pty.
fn copy_window_size(master: &OwnedFd) {
    let size =
        tcgetwinsize(rustix::stdio::stdout()).or_else(|_| tcgetwinsize(rustix::stdio::stderr()));
    if let Ok(size) = size {
        let _ = tcsetwinsize(master, size);
    }
}

/// vault's own terminal switched to another mode for the run; the saved
/// settings come back on `restore` and on drop, whichever comes first (both
/// are harmless twice), so every way out of the run restores them.
struct TermMode {
    fd: BorrowedFd<'static>,
    saved: Termios,
    /// The mode vault set, re-applied when vault is continued after a stop.
    mode: Termios,
}

impl TermMode {
    /// Raw mode on stdin: keys (^C, ^Z, ^D too) go to the pty, whose line
    /// discipline gives them their meaning for the command.
    fn raw(saved: Termios) -> Option<TermMode> {
        let mut raw = saved.clone();
        raw.make_raw();
        TermMode::set(rustix::stdio::stdin(), saved, &raw)
    }

    /// Output post-processing off on stdout when stdin is not the terminal:
    /// the pty already turned `\n` into `\r\n`. Skipped when vault is in
    /// the background of its controlling terminal, where changing it would
    /// stop vault with SIGTTOU (the output then shows `\r\r\n`, which looks
    /// the same on a screen).
    fn no_output_processing(fd: BorrowedFd<'static>) -> Option<TermMode> {
        // ENOTTY: not vault's controlling terminal, so no job control applies.
        let background = matches!(
            rustix::termios::tcgetpgrp(fd),
            Ok(pgrp) if pgrp != rustix::process::getpgrp()
        );
        let saved = tcgetattr(fd).ok()?;
        if background || !saved.output_modes.contains(OutputModes::OPOST) {
            return None;
        }
        let mut cooked = saved.clone();
        cooked.output_modes.remove(OutputModes::OPOST);
        TermMode::set(fd, saved, &cooked)
    }

    fn set(fd: BorrowedFd<'static>, saved: Termios, mode: &Termios) -> Option<TermMode> {
        tcsetattr(fd, OptionalActions::Now, mode).ok()?;
        Some(TermMode {
            fd,
            saved,
            mode: mode.clone(),
        })
    }

    fn restore(&self) {
        let _ = tcsetattr(self.fd, OptionalActions::Now, &self.saved);
    }

    fn reapply(&self) {
        let _ = tcsetattr(self.fd, OptionalActions::Now, &self.mode);
    }

    /// The suspend key (^Z) of the user's terminal, if it generates signals.
    fn suspend_key(&self) -> Option<u8> {
        let t = &self.saved;
        let key = t.special_codes[SpecialCodeIndex::VSUSP];
        (t.local_modes.contains(LocalModes::ISIG) && key != 0).then_some(key)
    }
}

impl Drop for TermMode {
    fn drop(&mut self) {
        self.restore();
    }
}

/// The self-pipe that signal-hook's handlers write to; its read end is in
/// the poll set, so signals wake the one supervising thread.
struct SignalPipe {
    delivery: SignalDelivery<UnixStream, WithRawSiginfo>,
}

impl SignalPipe {
    fn register(on_pty: bool) -> io::Result<SignalPipe> {
        let ignored = ignored_at_start();
        let mut wanted = vec![SIGCHLD];
        if on_pty {
            // SIGTSTP/SIGCONT: job control, since the command lives in a
            // session of its own on the pty, out of reach of the shell's.
            wanted.push(SIGWINCH);
            wanted.push(SIGCONT);
            if ignored & (1u64 << (SIGTSTP - 1)) == 0 {
                wanted.push(SIGTSTP);
            }
        }
        wanted.extend(
            FORWARDED
                .iter()
                .copied()
                .filter(|&s| ignored & (1u64 << (s - 1)) == 0),
        );
        let (read, write) = UnixStream::pair()?;
        let delivery = SignalDelivery::with_pipe(read, write, WithRawSiginfo, wanted)?;
        Ok(SignalPipe { delivery })
    }

    fn fd(&self) -> BorrowedFd<'_> {
        self.delivery.get_read().as_fd()
    }
}

/// Signals ignored when vault started (`nohup`, `&` in a non-interactive
/// shell), as a bit mask (bit N-1 for signal N), from `/proc/self/status`.
fn ignored_at_start() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .unwrap_or(0)
}

/// One output of the command: its read end, the stream redacting it, and
/// where the result goes.
struct Pump<'r> {
    src: Option<OwnedFd>,
    dst: BorrowedFd<'static>,
    stream: Stream<'r>,
    /// `finish` was called (or the destination is gone): nothing more to write.
    done: bool,
    /// The destination is a terminal: a held tail is written after [`QUIET`]
    /// without new bytes, since someone may be reading a prompt.
    quiet_flush: bool,
    /// When the stream last went from nothing held to something held.
    held_since: Option<Instant>,
}

impl<'r> Pump<'r> {
    fn new(src: Option<OwnedFd>, dst: BorrowedFd<'static>, stream: Stream<'r>) -> Pump<'r> {
        let done = src.is_none();
        Pump {
            src,
            dst,
            stream,
            done,
            quiet_flush: false,
            held_since: None,
        }
    }

    /// Read once (the fd was reported readable) and write out what may be
    /// written now.
    fn pump(&mut self, buf: &mut [u8], out: &mut Vec<u8>) {
        let Some(src) = &self.src else { return };
        match rustix::io::read(src, &mut *buf) {
            Ok(0) => self.finish(out),
            Ok(n) => {
                out.clear();
                self.stream.push(&buf[..n], out);
                self.write(out);
                self.held_since =
                    (self.quiet_flush && self.stream.pending_len() > 0).then(Instant::now);
            }
            Err(Errno::INTR | Errno::AGAIN) => {}
            // EIO: a pty master whose slave side is all closed. Anything
            // else is as final.
            Err(_) => self.finish(out),
        }
    }

    /// When the held tail must be written if nothing more arrives.
    fn quiet_deadline(&self) -> Option<Instant> {
        self.held_since.map(|t| t + QUIET)
    }

    /// Write the held tail if the command has been quiet for [`QUIET`]; true if it was.
    fn flush_if_quiet(&mut self, now: Instant, out: &mut Vec<u8>) -> bool {
        match self.quiet_deadline() {
            Some(due) if due <= now && !self.done => {
                self.held_since = None;
                out.clear();
                self.stream.flush(out);
                self.write(out);
                true
            }
            _ => false,
        }
    }

    /// End of input: write the held-back tail and close the read end.
    fn finish(&mut self, out: &mut Vec<u8>) {
        self.src = None;
        if !self.done {
            self.done = true;
            out.clear();
            self.stream.finish(out);
            self.write(out);
        }
    }

    fn write(&mut self, out: &mut Vec<u8>) {
        if !out.is_empty() && write_all(self.dst, out).is_err() {
            // The reader went away (`vault run -- cmd | head`). Close our end
            // too, so the command gets SIGPIPE as it would without vault.
            self.src = None;
            self.done = true;
        }
        out.clear();
    }
}

/// Write all of `buf` to `fd`, waiting when the fd is non-blocking and full.
fn write_all(fd: BorrowedFd<'_>, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match rustix::io::write(fd, buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(Errno::INTR) => {}
            Err(Errno::AGAIN) => {
                let mut fds = [PollFd::from_borrowed_fd(fd, PollFlags::OUT)];
                match poll(&mut fds, None) {
                    Ok(_) | Err(Errno::INTR) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Keys typed on vault's terminal on their way to the pty master.
#[derive(Default)]
struct Feed {
    buf: Vec<u8>,
    stdin_closed: bool,
}

#[derive(Clone, Copy)]
enum Slot {
    Signals,
    Pump(usize),
    Stdin,
    MasterWritable,
}

struct Supervisor<'r> {
    child: Child,
    pid: Pid,
    /// The command leads its own session and process group (pty shape).
    group: bool,
    pumps: Vec<Pump<'r>>,
    /// A second handle on the pty master, for input and window size.
    master: Option<OwnedFd>,
    feed: Option<Feed>,
    signals: SignalPipe,
    /// The command's exit code (128+N for signal N), once reaped.
    exit: Option<i32>,
    /// A terminating signal arrived after the command exited: stop waiting
    /// for processes it left behind to close their output.
    stop_draining: bool,
    /// vault's terminal in raw mode (pty shape, interactive): restored on a
    /// stop and on drop, re-applied on continue.
    term: Option<TermMode>,
}

impl<'r> Supervisor<'r> {
    fn new(
        child: Child,
        group: bool,
        pumps: Vec<Pump<'r>>,
        master: Option<OwnedFd>,
        feed: Option<Feed>,
        signals: SignalPipe,
    ) -> Supervisor<'r> {
        Supervisor {
            pid: Pid::from_child(&child),
            child,
            group,
            pumps,
            master,
            feed,
            signals,
            exit: None,
            stop_draining: false,
            term: None,
        }
    }

    fn run(mut self) -> i32 {
        let mut buf = vec![0u8; CHUNK];
        let mut out = Vec::with_capacity(CHUNK + CHUNK / 4);
        let mut drain_until: Option<Instant> = None;
        loop {
            if self.exit.is_some() {
                if self.pumps.iter().all(|p| p.src.is_none()) {
                    break;
                }
                if self.stop_draining && drain_until.is_none() {
                    // Asked to stop: a last drain of what is there, bounded
                    // as on a pty, instead of waiting for EOF.
                    drain_until = Some(Instant::now() + DRAIN_MAX);
                }
            }
            let now = Instant::now();
            let timeout = match drain_until {
                None => None,
                Some(end) => {
                    if now >= end {
                        break;
                    }
                    Some(DRAIN_IDLE.min(end - now))
                }
            };
            let quiet = self.pumps.iter().filter_map(Pump::quiet_deadline).min();
            let timeout = match (timeout, quiet) {
                (t, None) => t,
                (None, Some(due)) => Some(due.saturating_duration_since(now)),
                (Some(t), Some(due)) => Some(t.min(due.saturating_duration_since(now))),
            };
            let ready = match self.wait_ready(timeout) {
                Ok(ready) => ready,
                Err(e) => {
                    let _ = writeln!(
                        io::stderr(),
                        "vault: cannot watch the command's output any more ({e}); waiting for it to exit"
                    );
                    break;
                }
            };
            let now = Instant::now();
            let mut flushed = false;
            for p in &mut self.pumps {
                flushed |= p.flush_if_quiet(now, &mut out);
            }
            if ready.is_empty() && drain_until.is_some() && !flushed {
                break; // quiet for DRAIN_IDLE after the command exited
            }
            let mut reap = false;
            for (slot, flags) in ready {
                match slot {
                    Slot::Pump(i) => {
                        if let Some(p) = self.pumps.get_mut(i) {
                            p.pump(&mut buf, &mut out);
                            if p.src.is_none() && i == 0 && self.group {
                                // The pty is gone: nothing can show input echo.
                                self.feed = None;
                            }
                        }
                    }
                    Slot::Stdin => self.read_stdin(flags),
                    Slot::MasterWritable => self.write_master(),
                    Slot::Signals => reap |= self.handle_signals(),
                }
            }
            if reap && self.exit.is_none() {
                self.try_reap();
                if self.exit.is_some() {
                    if self.group {
                        drain_until = Some(Instant::now() + DRAIN_MAX);
                    }
                    // Input typed after the command ended is not its to read.
                    self.feed = None;
                }
            }
        }
        for p in &mut self.pumps {
            p.finish(&mut out);
        }
        match self.exit {
            Some(code) => code,
            None => self.wait_blocking(),
        }
    }

    /// Poll everything that can make progress and return what is ready.
    fn wait_ready(&self, timeout: Option<Duration>) -> io::Result<Vec<(Slot, PollFlags)>> {
        let mut fds = Vec::with_capacity(5);
        let mut slots = Vec::with_capacity(5);
        fds.push(PollFd::from_borrowed_fd(self.signals.fd(), PollFlags::IN));
        slots.push(Slot::Signals);
        for (i, p) in self.pumps.iter().enumerate() {
            if let Some(src) = &p.src {
                fds.push(PollFd::new(src, PollFlags::IN));
                slots.push(Slot::Pump(i));
            }
        }
        if let (Some(feed), Some(master)) = (&self.feed, &self.master) {
            if !feed.buf.is_empty() {
                fds.push(PollFd::new(master, PollFlags::OUT));
                slots.push(Slot::MasterWritable);
            } else if !feed.stdin_closed {
                fds.push(PollFd::from_borrowed_fd(
                    rustix::stdio::stdin(),
                    PollFlags::IN,
                ));
                slots.push(Slot::Stdin);
            }
        }
        let timeout = timeout.map(|d| Timespec {
            tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: d.subsec_nanos().into(),
        });
        match poll(&mut fds, timeout.as_ref()) {
            Ok(_) => {}
            Err(Errno::INTR) => return Ok(vec![(Slot::Signals, PollFlags::IN)]),
            Err(e) => return Err(e.into()),
        }
        Ok(fds
            .iter()
            .zip(slots)
            .filter(|(fd, _)| !fd.revents().is_empty())
            .map(|(fd, slot)| (slot, fd.revents()))
            .collect())
    }

    /// Act on pending signals; true when SIGCHLD says the command may be done.
    fn handle_signals(&mut self) -> bool {
        let mut reap = false;
        let pending: Vec<(i32, i32)> = self
            .signals
            .delivery
            .pending()
            .map(|info| (info.si_signo, info.si_code))
            .collect();
        // pending() yields by signal number, so SIGCONT (18) comes before a
        // SIGTSTP (20) sent earlier: a stop already continued is skipped.
        let continued = pending.iter().any(|&(s, _)| s == SIGCONT);
        for (signo, code) in pending {
            if matches!(signo, SIGINT | SIGTERM | SIGHUP | SIGQUIT) {
                // Whatever the command does with it, vault will not wait
                // for processes it leaves behind beyond a last drain.
                self.stop_draining = true;
            }
            if signo == SIGCHLD {
                reap = true;
            } else if signo == SIGWINCH {
                if let Some(master) = &self.master {
                    copy_window_size(master);
                }
            } else if signo == SIGTSTP {
                if !continued {
                    self.suspend();
                }
            } else if signo == SIGCONT {
                self.resume();
            } else if self.exit.is_some() {
                // Nothing left to forward to.
            } else if self.group || code <= 0 {
                // si_code <= 0: sent by a process (kill, sigqueue). A positive
                // code is the kernel, i.e. vault's terminal, which signalled
                // the whole foreground group, the command included.
                self.forward(signo);
            }
        }
        reap
    }

    /// Stop like a job on the user's terminal: the command first, then
    /// vault, with the user's terminal settings back for the shell. Returns
    /// once continued (`fg`), with the run's mode re-applied.
    fn suspend(&mut self) {
        if self.exit.is_none() {
            self.signal_command(Signal::STOP);
        }
        if let Some(t) = &self.term {
            t.restore();
        }
        let _ = kill_process(rustix::process::getpid(), Signal::STOP);
        self.resume();
    }

    /// Continued after a stop: the run's terminal mode, the current window
    /// size, and the command continued too.
    fn resume(&mut self) {
        if let Some(t) = &self.term {
            t.reapply();
        }
        if let Some(master) = &self.master {
            copy_window_size(master);
        }
        if self.exit.is_none() {
            self.signal_command(Signal::CONT);
        }
    }

    fn forward(&self, signo: i32) {
        if let Some(sig) = Signal::from_named_raw(signo) {
            self.signal_command(sig);
        }
    }

    /// The command's whole group when it leads one (pty shape), else it.
    fn signal_command(&self, sig: Signal) {
        if self.group && kill_process_group(self.pid, sig).is_ok() {
            return;
        }
        let _ = kill_process(self.pid, sig);
    }

    fn try_reap(&mut self) {
        match self.child.try_wait() {
            Ok(Some(status)) => self.exit = Some(exit_code(status)),
            Ok(None) => {}
            // ECHILD: someone else reaped it; its status is lost.
            Err(_) => self.exit = Some(1),
        }
    }

    fn wait_blocking(&mut self) -> i32 {
        match self.child.wait() {
            Ok(status) => exit_code(status),
            Err(_) => 1,
        }
    }

    fn read_stdin(&mut self, flags: PollFlags) {
        let Some(feed) = &mut self.feed else { return };
        let mut chunk = [0u8; 4096];
        let mut suspend = false;
        match rustix::io::read(rustix::stdio::stdin(), &mut chunk) {
            Ok(0) => feed.stdin_closed = true,
            Ok(n) => {
                let typed = &chunk[..n];
                // ^Z while the command's terminal generates signals: the
                // pty's own SIGTSTP would be discarded (the command's group
                // is orphaned in its session), so vault stops the job itself.
                let key = self.term.as_ref().and_then(TermMode::suspend_key);
                // Only while the command's own group is in the foreground
                // of its terminal: a shell run as the command puts its jobs
                // in groups of their own, and handles ^Z for them itself.
                let pid = self.pid;
                let pty_isig = || {
                    self.master.as_ref().is_some_and(|m| {
                        tcgetattr(m).is_ok_and(|t| t.local_modes.contains(LocalModes::ISIG))
                            && rustix::termios::tcgetpgrp(m).is_ok_and(|g| g == pid)
                    })
                };
                match key.and_then(|k| typed.iter().position(|&b| b == k)) {
                    Some(at) if pty_isig() => {
                        feed.buf.extend_from_slice(&typed[..at]);
                        feed.buf
                            .extend_from_slice(typed.get(at + 1..).unwrap_or(&[]));
                        suspend = true;
                    }
                    _ => feed.buf.extend_from_slice(typed),
                }
            }
            Err(Errno::INTR | Errno::AGAIN) => {
                if flags.intersects(PollFlags::HUP | PollFlags::ERR | PollFlags::NVAL) {
                    feed.stdin_closed = true;
                }
            }
            Err(_) => feed.stdin_closed = true,
        }
        self.write_master();
        if suspend {
            self.suspend();
        }
    }

    fn write_master(&mut self) {
        let (Some(feed), Some(master)) = (&mut self.feed, &self.master) else {
            return;
        };
        while !feed.buf.is_empty() {
            match rustix::io::write(master, &feed.buf) {
                Ok(n) => {
                    feed.buf.drain(..n);
                }
                Err(Errno::INTR) => {}
                Err(Errno::AGAIN) => return,
                Err(_) => {
                    self.feed = None; // the pty is gone
                    return;
                }
            }
        }
    }
}

/// The code vault exits with: the command's own, or 128+N for signal N.
fn exit_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_is_the_status_or_128_plus_signal() {
        assert_eq!(exit_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_code(ExitStatus::from_raw(0)), 0);
        assert_eq!(exit_code(ExitStatus::from_raw(9)), 137);
        assert_eq!(exit_code(ExitStatus::from_raw(15)), 143);
    }

    #[test]
    fn spawn_errors_are_handed_back_unworded() {
        let not_found = io::Error::from(io::ErrorKind::NotFound);
        assert!(matches!(
            launch_error(not_found, "x"),
            Launch::Spawn(e) if e.kind() == io::ErrorKind::NotFound
        ));
    }

    #[test]
    fn program_names_cannot_carry_control_characters() {
        assert_eq!(program_name(OsStr::new("a\x1b[2Jb")), "a\\u{1b}[2Jb");
        assert_eq!(program_name(OsStr::new("./my prog")), "./my prog");
    }
}
