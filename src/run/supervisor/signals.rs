//! The signals a masked run receives, delivered through a self-pipe whose
//! read end is in the supervisor's poll set, so signals wake its one thread.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;

use signal_hook::consts::signal::{
    SIGCHLD, SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP, SIGUSR1, SIGUSR2, SIGWINCH,
};
use signal_hook::iterator::backend::SignalDelivery;
use signal_hook::iterator::exfiltrator::WithRawSiginfo;

/// Signals vault forwards to the command.
pub const FORWARDED: [i32; 6] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2];

/// Signals that ask the whole run to end: vault stops waiting for processes
/// the command left behind beyond a last, bounded drain.
pub fn is_terminating(signo: i32) -> bool {
    matches!(signo, SIGINT | SIGTERM | SIGHUP | SIGQUIT)
}

/// The self-pipe that signal-hook's handlers write to.
pub struct SignalPipe {
    delivery: SignalDelivery<UnixStream, WithRawSiginfo>,
}

impl SignalPipe {
    /// Catch SIGCHLD and the forwarded signals (those not ignored when vault
    /// started, which stay ignored); on a pty also job control and SIGWINCH.
    pub fn register(on_pty: bool) -> io::Result<SignalPipe> {
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

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.delivery.get_read().as_fd()
    }

    /// The signals that arrived since the last call, as (number, si_code),
    /// by signal number.
    pub fn pending(&mut self) -> Vec<(i32, i32)> {
        self.delivery
            .pending()
            .map(|info| (info.si_signo, info.si_code))
            .collect()
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
