//! The command vault supervises, one at a time: its state, how it is
//! signalled and reaped, and the exit code vault takes from it.

use std::ffi::OsStr;
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus};
use std::time::Instant;

use rustix::process::{kill_process, kill_process_group, Pid, Signal};

use super::Launch;

/// A started command.
#[derive(Debug)]
pub struct Running {
    child: Child,
    pid: Pid,
    /// The command leads its own session and process group (pty shape):
    /// signals go to the whole group.
    group: bool,
}

/// Where the supervised command is in its life.
#[derive(Debug, Default)]
pub enum ChildState {
    /// None started yet (or between a stop and the next start).
    #[default]
    Pending,
    Running(Running),
    /// Asked to end (SIGTERM); killed (SIGKILL) once `deadline` passes.
    Stopping {
        running: Running,
        deadline: Instant,
        killed: bool,
    },
    /// Reaped: the code vault exits with (its status, or 128+N).
    Finished(i32),
}

impl Running {
    pub fn new(child: Child, group: bool) -> Running {
        Running {
            pid: Pid::from_child(&child),
            child,
            group,
        }
    }

    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The command's whole group when it leads one (pty shape), else it.
    pub fn signal(&self, sig: Signal) {
        if self.group && kill_process_group(self.pid, sig).is_ok() {
            return;
        }
        let _ = kill_process(self.pid, sig);
    }

    /// Its exit code if it has ended.
    fn try_reap(&mut self) -> Option<i32> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(exit_code(status)),
            Ok(None) => None,
            // ECHILD: someone else reaped it; its status is lost.
            Err(_) => Some(1),
        }
    }

    fn wait(&mut self) -> i32 {
        match self.child.wait() {
            Ok(status) => exit_code(status),
            Err(_) => 1,
        }
    }
}

impl ChildState {
    /// The live command (running or stopping), if any.
    pub fn live(&self) -> Option<&Running> {
        match self {
            ChildState::Running(r) | ChildState::Stopping { running: r, .. } => Some(r),
            ChildState::Pending | ChildState::Finished(_) => None,
        }
    }

    pub fn is_finished(&self) -> bool {
        matches!(self, ChildState::Finished(_))
    }

    /// Reap the live command if it ended; true if it did.
    pub fn try_reap(&mut self) -> bool {
        let code = match self {
            ChildState::Running(r) | ChildState::Stopping { running: r, .. } => r.try_reap(),
            ChildState::Pending | ChildState::Finished(_) => None,
        };
        match code {
            Some(code) => {
                *self = ChildState::Finished(code);
                true
            }
            None => false,
        }
    }

    /// Ask the running command to end: SIGTERM now, SIGKILL at `deadline`
    /// (see [`ChildState::kill_if_due`]).
    pub fn stop(&mut self, deadline: Instant) {
        if let ChildState::Running(_) = self {
            if let ChildState::Running(running) = std::mem::take(self) {
                running.signal(Signal::TERM);
                *self = ChildState::Stopping {
                    running,
                    deadline,
                    killed: false,
                };
            }
        }
    }

    /// When a stopping command is due to be killed.
    pub fn kill_deadline(&self) -> Option<Instant> {
        match self {
            ChildState::Stopping {
                deadline,
                killed: false,
                ..
            } => Some(*deadline),
            _ => None,
        }
    }

    /// SIGKILL a stopping command whose grace period is over.
    pub fn kill_if_due(&mut self, now: Instant) {
        if let ChildState::Stopping {
            running,
            deadline,
            killed,
        } = self
        {
            if !*killed && now >= *deadline {
                running.signal(Signal::KILL);
                *killed = true;
            }
        }
    }

    /// The exit code: reaped already, or waited for now.
    pub fn wait(&mut self) -> i32 {
        let code = match self {
            ChildState::Finished(code) => return *code,
            ChildState::Running(r) | ChildState::Stopping { running: r, .. } => r.wait(),
            ChildState::Pending => 1,
        };
        *self = ChildState::Finished(code);
        code
    }
}

/// The code vault exits with: the command's own, or 128+N for signal N.
pub fn exit_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 1,
    }
}

/// The command must not outlive vault (killed by -9 or the OOM killer);
/// the last hook before the command runs.
pub fn die_with_parent(cmd: &mut Command, program: &str) -> Result<(), Launch> {
    crate::sys::exec_dying_with_parent(cmd)
        .map_err(|e| Launch::Failed(format!("cannot prepare to run {program}: {e}")))
}

/// The program as shown in messages: lossy UTF-8, control characters escaped
/// so that a name cannot play tricks on the terminal.
pub fn program_name(program: &OsStr) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn exit_code_is_the_status_or_128_plus_signal() {
        assert_eq!(exit_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_code(ExitStatus::from_raw(0)), 0);
        assert_eq!(exit_code(ExitStatus::from_raw(9)), 137);
        assert_eq!(exit_code(ExitStatus::from_raw(15)), 143);
    }

    #[test]
    fn program_names_cannot_carry_control_characters() {
        assert_eq!(program_name(OsStr::new("a\x1b[2Jb")), "a\\u{1b}[2Jb");
        assert_eq!(program_name(OsStr::new("./my prog")), "./my prog");
    }

    #[test]
    fn a_stopped_child_gets_sigterm_then_sigkill_after_its_grace() {
        // Ignores SIGTERM: only the SIGKILL at the deadline ends it.
        let child = Command::new("sh")
            .args(["-c", "trap '' TERM; while :; do sleep 0.05; done"])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(100)); // let the trap be set
        let mut state = ChildState::Running(Running::new(child, false));
        let deadline = Instant::now() + Duration::from_millis(200);
        state.stop(deadline);
        assert_eq!(state.kill_deadline(), Some(deadline));
        std::thread::sleep(Duration::from_millis(100));
        assert!(!state.try_reap(), "ignored SIGTERM must keep it alive");
        state.kill_if_due(Instant::now() + Duration::from_millis(200));
        assert_eq!(state.kill_deadline(), None);
        assert_eq!(state.wait(), 137);
        assert!(state.is_finished());
    }

    #[test]
    fn a_child_that_honours_sigterm_ends_with_143() {
        let child = Command::new("sleep").arg("5").spawn().unwrap();
        let mut state = ChildState::Running(Running::new(child, false));
        state.stop(Instant::now() + Duration::from_secs(5));
        assert_eq!(state.wait(), 143);
    }
}
