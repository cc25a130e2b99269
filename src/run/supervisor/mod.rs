//! Supervise a command whose output is masked: `vault run` without `--no-masking`.
//!
//! vault stays the command's parent. It copies the command's stdout and
//! stderr through a [`Stream`](crate::run::mask::Stream) of the
//! [`Redactor`] to its own stdout and stderr, forwards the signals it
//! receives, waits for the command and returns the exit code vault must exit
//! with. This module owns the process plumbing only: it never sees a secret
//! value (the redactor holds them), never prints one, and builds no
//! environment (the caller did).
//!
//! The parts: [`Mode`] (which of the command's sides are a pty, which
//! pipes), [`pty`] (the pseudo-terminal and vault's own terminal settings),
//! [`pumps`] (outputs through the redactor), [`signals`] (the self-pipe),
//! [`child`] (the command's [`ChildState`]). A [`Supervisor`] owns them for
//! the whole run; the pty, the pumps and their streams outlive one command,
//! so it can stop one ([`Supervisor::stop`]: SIGTERM, a grace period,
//! SIGKILL) and start the next under the same terminal.
//!
//! The modes, chosen by whether vault's stdout or stderr is a terminal:
//!
//! - **Pipes** (neither is a terminal): stdin is inherited; stdout and
//!   stderr are two pipes, each with its own stream, pumped by one thread
//!   with `poll(2)` over both pipes and a signal self-pipe.
//! - **One shared pipe**: when vault's stdout and stderr are one file or
//!   pipe (`> log 2>&1`), the command gets one pipe as both, so its writes
//!   keep their order.
//! - **Pseudo-terminal** (stdout or stderr is a terminal): the command runs
//!   on a new pty in its own session (so `isatty()` is true and it colours
//!   and line-buffers as usual), and the master's output goes through one
//!   stream to that terminal. If vault's stdin is a terminal it is put in raw mode
//!   (restored on every path, a panic included) and copied to the master; if it is not, the
//!   command inherits it directly (binary-safe, EOF arrives as EOF, no ^D
//!   or echo games). The side that is not a terminal (`2>log`, or
//!   `>out.json` with errors on the screen) is a pipe as in the first
//!   shape, masked by its own stream. A tail held back because it may
//!   begin a value is written to the terminal after [`pumps::QUIET`] without new
//!   output, so a prompt shows; the rest of a value completed later is
//!   still redacted. Without a pty to be had, the pipe modes are used.
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
//! bounds the wait the same way, whenever it arrives, and so does a stop.

pub mod child;
pub mod pty;
pub mod pumps;
pub mod signals;

use std::io::{self, Write};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags, Timespec};
use rustix::fs::{fcntl_getfl, fcntl_setfl, OFlags};
use rustix::io::Errno;
use rustix::process::{kill_process, DumpableBehavior, Signal};
use rustix::termios::{isatty, tcgetattr, tcsetattr, LocalModes, OptionalActions, Termios};
use signal_hook::consts::signal::{SIGCHLD, SIGCONT, SIGTSTP, SIGWINCH};

use crate::run::mask::Redactor;
pub use child::ChildState;
use child::{die_with_parent, program_name, Running};
use pty::{Pty, TermMode};
use pumps::{Feed, Pump, Source, CHUNK};
use signals::SignalPipe;

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

/// On a pty, after the command exited (and the terminal hung up on its
/// group), stop draining once nothing arrived for this long...
const DRAIN_IDLE: Duration = Duration::from_millis(100);
/// ...or after this long in any case. On pipes vault drains to EOF instead,
/// as a pipeline does: a background process the command left behind may
/// still be writing, and its output is the command's output.
const DRAIN_MAX: Duration = Duration::from_secs(1);

/// How the command's stdin, stdout and stderr are connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Neither output is a terminal: a pipe for each, stdin inherited.
    Pipes,
    /// Both outputs are one file or pipe (`> log 2>&1`): one pipe as both,
    /// so the command's writes keep their order. Stdin inherited.
    SharedPipe,
    /// At least one output is a terminal: the sides that are get the pty
    /// (stdin too when it is a terminal); an output that is not is a pipe.
    Pty {
        stdin: bool,
        stdout: bool,
        stderr: bool,
    },
}

impl Mode {
    /// The mode for these terminals; `same_file` (are stdout and stderr one
    /// file?) is only asked when neither output is a terminal.
    pub fn choose(
        stdin_tty: bool,
        stdout_tty: bool,
        stderr_tty: bool,
        same_file: impl FnOnce() -> bool,
    ) -> Mode {
        if stdout_tty || stderr_tty {
            Mode::Pty {
                stdin: stdin_tty,
                stdout: stdout_tty,
                stderr: stderr_tty,
            }
        } else if same_file() {
            Mode::SharedPipe
        } else {
            Mode::Pipes
        }
    }

    /// The mode for vault's own stdin, stdout and stderr.
    pub fn detect(outputs: Outputs) -> Mode {
        Mode::choose(
            isatty(rustix::stdio::stdin()),
            isatty(outputs.stdout),
            isatty(outputs.stderr),
            || same_file(outputs.stdout, outputs.stderr),
        )
    }

    pub fn is_pty(self) -> bool {
        matches!(self, Mode::Pty { .. })
    }
}

/// Where the command's masked output goes: vault's stdout and stderr.
#[derive(Clone, Copy)]
pub struct Outputs {
    pub stdout: BorrowedFd<'static>,
    pub stderr: BorrowedFd<'static>,
}

impl Outputs {
    pub fn stdio() -> Outputs {
        Outputs {
            stdout: rustix::stdio::stdout(),
            stderr: rustix::stdio::stderr(),
        }
    }
}

/// Whether two of vault's outputs are the same file, pipe or device
/// (`> log 2>&1`), so the command's two outputs must stay in one order.
fn same_file(a: BorrowedFd<'_>, b: BorrowedFd<'_>) -> bool {
    match (rustix::fs::fstat(a), rustix::fs::fstat(b)) {
        (Ok(x), Ok(y)) => x.st_dev == y.st_dev && x.st_ino == y.st_ino,
        _ => false,
    }
}

/// Spawn `cmd` (program, args and the complete environment already set by the
/// caller with env_clear()+envs()) with stdout/stderr filtered through
/// `redactor`, forward signals, wait, and return the exit code vault must
/// exit with: the command's status, or 128+N when it died of signal N.
pub fn run_masked(cmd: Command, redactor: &Redactor) -> Result<i32, Launch> {
    let program = program_name(cmd.get_program());
    protect_memory(&program)?;
    let outputs = Outputs::stdio();
    let mut supervisor = Supervisor::new(Mode::detect(outputs), outputs, redactor, &program)?;
    supervisor.start(cmd)?;
    Ok(supervisor.run())
}

/// vault holds plaintext values: no core dump, no ptrace or
/// /proc/PID/{mem,environ} by the command or anything else of this user.
/// Anything vault printed through std must come before the command's output.
pub fn protect_memory(program: &str) -> Result<(), Launch> {
    rustix::process::set_dumpable_behavior(DumpableBehavior::NotDumpable).map_err(|e| {
        Launch::Failed(format!(
            "cannot protect vault's memory before running {program}: {e}"
        ))
    })?;
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    Ok(())
}

/// Why [`Supervisor::run_for`] returned.
#[derive(Debug, PartialEq, Eq)]
pub enum Wake {
    /// The command exited and its output is drained: the code vault exits with.
    Exited(i32),
    /// The time given passed; the command still runs.
    Elapsed,
}

/// What the poll set holds.
#[derive(Clone, Copy)]
enum Slot {
    Signals,
    Pump(usize),
    Stdin,
    MasterWritable,
}

/// One masked run: the connections (pty, pumps, signals) that outlive a
/// command, and the command of the moment.
pub struct Supervisor {
    mode: Mode,
    /// The program as shown in messages.
    program: String,
    pumps: Vec<Pump>,
    /// The pty (pty mode): its master for output, input and window size.
    pty: Option<Pty>,
    /// The settings of the user's terminal, given to the pty's slave.
    slave_settings: Option<Termios>,
    /// Keys typed on vault's terminal (pty mode with stdin a terminal),
    /// while a command can read them.
    feed: Option<Feed>,
    signals: SignalPipe,
    child: ChildState,
    /// A terminating signal arrived, or the command is being stopped: stop
    /// waiting for processes it left behind to close their output.
    stop_draining: bool,
    /// vault itself was asked to end (^C, SIGTERM, SIGHUP, ^\): a watcher
    /// must not start another command.
    interrupted: bool,
    /// vault's terminal in another mode (pty shape): restored on a stop
    /// (^Z), on drop and on a panic; re-applied on continue.
    term: Option<TermMode>,
}

impl Supervisor {
    /// Set up the connections for `mode` (a pty if one can be had, else
    /// pipes) and signal handling; no command runs yet.
    pub fn new(
        mode: Mode,
        outputs: Outputs,
        redactor: &Redactor,
        program: &str,
    ) -> Result<Supervisor, Launch> {
        let signals = SignalPipe::register(mode.is_pty()).map_err(|e| {
            Launch::Failed(format!(
                "cannot set up signal forwarding for {program}: {e}"
            ))
        })?;
        let (mode, pty) = match mode {
            Mode::Pty { .. } => match Pty::open() {
                Ok(pty) => (mode, Some(pty)),
                // No pty to be had (a container without /dev/pts): masking
                // matters more than colours, so run on pipes.
                Err(_) => (
                    Mode::choose(false, false, false, || {
                        same_file(outputs.stdout, outputs.stderr)
                    }),
                    None,
                ),
            },
            Mode::Pipes | Mode::SharedPipe => (mode, None),
        };
        let mut supervisor = Supervisor {
            mode,
            program: program.to_owned(),
            pumps: Vec::with_capacity(2),
            pty,
            slave_settings: None,
            feed: None,
            signals,
            child: ChildState::Pending,
            stop_draining: false,
            interrupted: false,
            term: None,
        };
        match mode {
            Mode::Pipes => {
                supervisor
                    .pumps
                    .push(Pump::new(Source::Pipe, outputs.stdout, redactor.stream()));
                supervisor
                    .pumps
                    .push(Pump::new(Source::Pipe, outputs.stderr, redactor.stream()));
            }
            Mode::SharedPipe => {
                supervisor
                    .pumps
                    .push(Pump::new(Source::Pipe, outputs.stdout, redactor.stream()));
            }
            Mode::Pty {
                stdin,
                stdout,
                stderr,
            } => {
                // The terminal the pty's output goes to, then the side that
                // is a pipe, if any.
                let (screen, piped) = if stdout {
                    (outputs.stdout, (!stderr).then_some(outputs.stderr))
                } else {
                    (outputs.stderr, Some(outputs.stdout))
                };
                supervisor
                    .pumps
                    .push(Pump::new(Source::Pty, screen, redactor.stream()));
                if let Some(dst) = piped {
                    supervisor
                        .pumps
                        .push(Pump::new(Source::Pipe, dst, redactor.stream()));
                }
                // The command sees the same terminal settings as vault's own.
                let user_tty = if stdin {
                    rustix::stdio::stdin()
                } else {
                    screen
                };
                let saved = tcgetattr(user_tty).ok();
                supervisor.slave_settings.clone_from(&saved);
                // Raw before the first command starts, so keys typed early
                // reach it unechoed. Owned by the supervisor: restored when
                // it is dropped or vault panics, however the run ends.
                supervisor.term = match (stdin, saved) {
                    (true, Some(saved)) => TermMode::raw(saved),
                    (true, None) => None,
                    (false, _) => TermMode::no_output_processing(screen),
                };
                if let Some(pty) = &supervisor.pty {
                    // Non-blocking master: a command that does not read its
                    // input must not stop vault from reading its output.
                    let m = pty.master();
                    let _ = fcntl_getfl(m).and_then(|f| fcntl_setfl(m, f | OFlags::NONBLOCK));
                }
            }
        }
        Ok(supervisor)
    }

    // Read by the supervisor's own tests.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn mode(&self) -> Mode {
        self.mode
    }

    // Read by the supervisor's own tests.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn child(&self) -> &ChildState {
        &self.child
    }

    /// Start `cmd` (its program, arguments and complete environment set by
    /// the caller) on this supervisor's connections. Refused while another
    /// command lives: never two at once.
    pub fn start(&mut self, mut cmd: Command) -> Result<(), Launch> {
        if self.child.live().is_some() {
            return Err(Launch::Failed(format!(
                "cannot start {}: the previous command is still running",
                self.program
            )));
        }
        let program = program_name(cmd.get_program());
        let setup =
            |e: io::Error| Launch::Failed(format!("cannot set up the output of {program}: {e}"));
        let pipe = || -> Result<(OwnedFd, OwnedFd), Launch> {
            rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).map_err(|e| setup(e.into()))
        };
        let mut sources: Vec<(Source, OwnedFd)> = Vec::with_capacity(2);
        let mut slave = None;
        match (self.mode, &self.pty) {
            (
                Mode::Pty {
                    stdin,
                    stdout,
                    stderr,
                },
                Some(pty),
            ) => {
                let tty = pty.slave().map_err(|e| {
                    Launch::Failed(format!("cannot set up the terminal for {program}: {e}"))
                })?;
                if let Some(t) = &self.slave_settings {
                    let _ = tcsetattr(&tty, OptionalActions::Now, t);
                }
                pty.copy_window_size();
                let slave_stdio = || -> Result<Stdio, Launch> {
                    let fd = tty.try_clone().map_err(|e| {
                        Launch::Failed(format!("cannot set up the terminal for {program}: {e}"))
                    })?;
                    Ok(Stdio::from(fd))
                };
                cmd.stdin(if stdin {
                    slave_stdio()?
                } else {
                    Stdio::inherit()
                });
                if stdout {
                    cmd.stdout(slave_stdio()?);
                }
                if stderr {
                    cmd.stderr(slave_stdio()?);
                }
                if !(stdout && stderr) {
                    let (read, write) = pipe()?;
                    if stdout {
                        cmd.stderr(Stdio::from(write));
                    } else {
                        cmd.stdout(Stdio::from(write));
                    }
                    sources.push((Source::Pipe, read));
                }
                sources.push((Source::Pty, pty.reader().map_err(setup)?));
                crate::sys::session_with_controlling_tty(&mut cmd);
                slave = Some(tty);
            }
            (Mode::SharedPipe, _) => {
                // `> log 2>&1`, `2>&1 | less`: one pipe as both fd 1 and fd 2,
                // so the lines interleave in the order the command wrote
                // them. Two pipes read by poll cannot keep it.
                let (read, write) = pipe()?;
                let write_err = write.try_clone().map_err(setup)?;
                cmd.stdin(Stdio::inherit())
                    .stdout(Stdio::from(write))
                    .stderr(Stdio::from(write_err));
                sources.push((Source::Pipe, read));
            }
            (Mode::Pipes | Mode::Pty { .. }, _) => {
                let (out_read, out_write) = pipe()?;
                let (err_read, err_write) = pipe()?;
                cmd.stdin(Stdio::inherit())
                    .stdout(Stdio::from(out_write))
                    .stderr(Stdio::from(err_write));
                sources.push((Source::Pipe, out_read));
                sources.push((Source::Pipe, err_read));
            }
        }
        die_with_parent(&mut cmd, &program)?;
        let spawned = cmd.spawn();
        // The parent's write ends and slave must go, or the pipes never reach
        // EOF and the master never sees the hang-up when the command exits.
        drop(cmd);
        drop(slave);
        let child = spawned.map_err(Launch::Spawn)?;
        // Each source to the first pump of its kind without one, in order.
        for (source, fd) in sources {
            if let Some(p) = self
                .pumps
                .iter_mut()
                .find(|p| p.source == source && !p.is_open())
            {
                p.attach(fd);
            }
        }
        let interactive = matches!(self.mode, Mode::Pty { stdin: true, .. }) && self.pty.is_some();
        self.feed = interactive.then(Feed::default);
        self.stop_draining = false;
        self.child = ChildState::Running(Running::new(child, self.pty.is_some()));
        Ok(())
    }

    /// Stop the current command: SIGTERM (to its group on a pty), SIGKILL
    /// after `grace`; its output is drained (bounded) and it is reaped.
    /// Returns its exit code, or None when no command was running.
    pub fn stop(&mut self, grace: Duration) -> Option<i32> {
        self.child.live()?;
        self.child.stop(Instant::now() + grace);
        self.stop_draining = true;
        Some(self.run())
    }

    // `vault run --watch` stops, learns the new values and starts in steps
    // of its own (see run::watch); this is the plain form, tested here.
    #[cfg_attr(not(test), allow(dead_code))]
    /// Stop the current command (see [`Supervisor::stop`]) and start `cmd`
    /// under the same terminal, pumps and redactor. The two never overlap.
    pub fn restart(&mut self, cmd: Command, grace: Duration) -> Result<Option<i32>, Launch> {
        let previous = self.stop(grace);
        self.start(cmd)?;
        Ok(previous)
    }

    /// Whether vault was asked to end (^C, SIGTERM, SIGHUP, ^\) since the
    /// last call: a watcher that stops a command ends with it instead of
    /// starting another when this happened during the stop.
    pub fn take_interrupted(&mut self) -> bool {
        std::mem::take(&mut self.interrupted)
    }

    /// Redact with `redactor` from now on (the values of the next command
    /// added to the old ones, which stay masked). What the old streams held
    /// back is written first; between two commands they hold nothing.
    pub fn learn(&mut self, redactor: &Redactor) {
        let mut out = Vec::new();
        for p in &mut self.pumps {
            p.replace_stream(redactor.stream(), &mut out);
        }
    }

    /// Supervise the current command until it has exited and its output is
    /// drained; returns the code vault exits with (its status, or 128+N).
    pub fn run(&mut self) -> i32 {
        match self.supervise(None) {
            Wake::Exited(code) => code,
            // Unreachable without a time limit; the command's state decides.
            Wake::Elapsed => self.child.wait(),
        }
    }

    /// Supervise the current command for at most `limit`: returns
    /// [`Wake::Elapsed`] with it still running (a watcher then checks for
    /// changes and calls again, restarts or signals it), or
    /// [`Wake::Exited`] once it has exited and its output is drained.
    pub fn run_for(&mut self, limit: Duration) -> Wake {
        self.supervise(Some(Instant::now() + limit))
    }

    /// Send `sig` to the current command (its group on a pty); false when
    /// none is running.
    pub fn signal(&self, sig: Signal) -> bool {
        match self.child.live() {
            Some(running) => {
                running.signal(sig);
                true
            }
            None => false,
        }
    }

    fn supervise(&mut self, until: Option<Instant>) -> Wake {
        let mut buf = vec![0u8; CHUNK];
        let mut out = Vec::with_capacity(CHUNK + CHUNK / 4);
        let mut drain_until: Option<Instant> = None;
        loop {
            if self.child.is_finished() {
                if self.pumps.iter().all(|p| !p.is_open()) {
                    break;
                }
                if self.stop_draining && drain_until.is_none() {
                    // Asked to stop: a last drain of what is there, bounded
                    // as on a pty, instead of waiting for EOF.
                    drain_until = Some(Instant::now() + DRAIN_MAX);
                }
            }
            let now = Instant::now();
            if let Some(until) = until {
                if !self.child.is_finished() && now >= until {
                    return Wake::Elapsed;
                }
            }
            let timeout = match drain_until {
                None => None,
                Some(end) => {
                    if now >= end {
                        break;
                    }
                    Some(DRAIN_IDLE.min(end - now))
                }
            };
            let due = self
                .pumps
                .iter()
                .filter_map(Pump::quiet_deadline)
                .chain(self.child.kill_deadline())
                .chain(until.filter(|_| !self.child.is_finished()))
                .min();
            let timeout = match (timeout, due) {
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
            self.child.kill_if_due(now);
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
                            if !p.is_open() && p.source == Source::Pty {
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
            if reap && !self.child.is_finished() && self.child.try_reap() {
                if self.pty.is_some() {
                    drain_until = Some(Instant::now() + DRAIN_MAX);
                }
                // Input typed after the command ended is not its to read.
                self.feed = None;
            }
        }
        for p in &mut self.pumps {
            p.finish(&mut out);
        }
        Wake::Exited(self.child.wait())
    }

    /// Poll everything that can make progress and return what is ready.
    fn wait_ready(&self, timeout: Option<Duration>) -> io::Result<Vec<(Slot, PollFlags)>> {
        let mut fds = Vec::with_capacity(5);
        let mut slots = Vec::with_capacity(5);
        fds.push(PollFd::from_borrowed_fd(self.signals.fd(), PollFlags::IN));
        slots.push(Slot::Signals);
        for (i, p) in self.pumps.iter().enumerate() {
            if let Some(src) = p.src() {
                fds.push(PollFd::new(src, PollFlags::IN));
                slots.push(Slot::Pump(i));
            }
        }
        if let (Some(feed), Some(pty)) = (&self.feed, &self.pty) {
            if !feed.buf.is_empty() {
                fds.push(PollFd::new(pty.master(), PollFlags::OUT));
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
        let pending = self.signals.pending();
        // pending() yields by signal number, so SIGCONT (18) comes before a
        // SIGTSTP (20) sent earlier: a stop already continued is skipped.
        let continued = pending.iter().any(|&(s, _)| s == SIGCONT);
        for (signo, code) in pending {
            if signals::is_terminating(signo) {
                // Whatever the command does with it, vault will not wait
                // for processes it leaves behind beyond a last drain.
                self.stop_draining = true;
                self.interrupted = true;
            }
            if signo == SIGCHLD {
                reap = true;
            } else if signo == SIGWINCH {
                if let Some(pty) = &self.pty {
                    pty.copy_window_size();
                }
            } else if signo == SIGTSTP {
                if !continued {
                    self.suspend();
                }
            } else if signo == SIGCONT {
                self.resume();
            } else if let Some(running) = self.child.live() {
                // si_code <= 0: sent by a process (kill, sigqueue). A positive
                // code is the kernel, i.e. vault's terminal, which signalled
                // the whole foreground group, the command included.
                if self.pty.is_some() || code <= 0 {
                    if let Some(sig) = Signal::from_named_raw(signo) {
                        running.signal(sig);
                    }
                }
            }
        }
        reap
    }

    /// Stop like a job on the user's terminal: the command first, then
    /// vault, with the user's terminal settings back for the shell. Returns
    /// once continued (`fg`), with the run's mode re-applied.
    fn suspend(&mut self) {
        if let Some(running) = self.child.live() {
            running.signal(Signal::STOP);
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
        if let Some(pty) = &self.pty {
            pty.copy_window_size();
        }
        if let Some(running) = self.child.live() {
            running.signal(Signal::CONT);
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
                let pid = self.child.live().map(Running::pid);
                let pty_isig = || {
                    self.pty.as_ref().is_some_and(|pty| {
                        let m = pty.master();
                        tcgetattr(m).is_ok_and(|t| t.local_modes.contains(LocalModes::ISIG))
                            && rustix::termios::tcgetpgrp(m).is_ok_and(|g| Some(g) == pid)
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
        let (Some(feed), Some(pty)) = (&mut self.feed, &self.pty) else {
            return;
        };
        while !feed.buf.is_empty() {
            match rustix::io::write(pty.master(), &feed.buf) {
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

#[cfg(test)]
mod tests;
