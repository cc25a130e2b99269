//! The pseudo-terminal a masked command runs on when vault's output is a
//! terminal, and vault's own terminal settings while it runs.
//!
//! The pty outlives one command: the next one opens the same slave again.
//! vault's terminal (raw mode for keys, or output processing off) is put
//! back when the [`TermMode`] is dropped, and, since the release build has
//! `panic = "abort"` (no drop on a panic), by a panic hook installed while
//! any mode is on.

use std::ffi::CString;
use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::sync::{Mutex, Once, TryLockError};

use rustix::fs::OFlags;
use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
use rustix::termios::{
    tcgetattr, tcgetwinsize, tcsetattr, tcsetwinsize, LocalModes, OptionalActions, OutputModes,
    SpecialCodeIndex, Termios,
};

/// A pty: its master (kept for the whole run) and the slave's name, opened
/// once per command.
pub struct Pty {
    master: OwnedFd,
    name: CString,
}

impl Pty {
    pub fn open() -> io::Result<Pty> {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
        grantpt(&master)?;
        unlockpt(&master)?;
        let name = ptsname(&master, Vec::new())?;
        Ok(Pty { master, name })
    }

    /// The slave side, for the next command.
    pub fn slave(&self) -> io::Result<OwnedFd> {
        Ok(rustix::fs::open(
            self.name.as_c_str(),
            OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )?)
    }

    pub fn master(&self) -> &OwnedFd {
        &self.master
    }

    /// A second handle on the master, for a pump to read.
    pub fn reader(&self) -> io::Result<OwnedFd> {
        self.master.try_clone()
    }

    /// Copy the window size of vault's terminal (its stdout, else its stderr) to the pty.
    pub fn copy_window_size(&self) {
        let size = tcgetwinsize(rustix::stdio::stdout())
            .or_else(|_| tcgetwinsize(rustix::stdio::stderr()));
        if let Ok(size) = size {
            let _ = tcsetwinsize(&self.master, size);
        }
    }
}

/// Terminal settings to put back if vault panics: (token, terminal, saved).
static RESTORE_ON_PANIC: Mutex<Vec<(u64, BorrowedFd<'static>, Termios)>> = Mutex::new(Vec::new());
static NEXT_TOKEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static PANIC_HOOK: Once = Once::new();

/// Chain a hook before the current panic hook that restores every terminal
/// a [`TermMode`] changed; once per process.
fn install_panic_hook() {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_all();
            previous(info);
        }));
    });
}

/// Put back every terminal a live [`TermMode`] changed, newest first.
fn restore_all() {
    let list = match RESTORE_ON_PANIC.try_lock() {
        Ok(list) => list,
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
        // Held by this very thread when it panicked: nothing safe to do.
        Err(TryLockError::WouldBlock) => return,
    };
    for (_, fd, saved) in list.iter().rev() {
        let _ = tcsetattr(*fd, OptionalActions::Now, saved);
    }
}

fn remember(fd: BorrowedFd<'static>, saved: &Termios) -> u64 {
    install_panic_hook();
    let token = NEXT_TOKEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut list = RESTORE_ON_PANIC
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    list.push((token, fd, saved.clone()));
    token
}

fn forget(token: u64) {
    let mut list = RESTORE_ON_PANIC
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    list.retain(|(t, _, _)| *t != token);
}

/// vault's own terminal switched to another mode for the run; the saved
/// settings come back on `restore`, on drop and on a panic, whichever comes
/// first (all are harmless twice), so every way out of the run restores them.
pub struct TermMode {
    fd: BorrowedFd<'static>,
    saved: Termios,
    /// The mode vault set, re-applied when vault is continued after a stop.
    mode: Termios,
    token: u64,
}

impl TermMode {
    /// Raw mode on stdin: keys (^C, ^Z, ^D too) go to the pty, whose line
    /// discipline gives them their meaning for the command.
    pub fn raw(saved: Termios) -> Option<TermMode> {
        let mut raw = saved.clone();
        raw.make_raw();
        TermMode::set(rustix::stdio::stdin(), saved, &raw)
    }

    /// Output post-processing off on stdout when stdin is not the terminal:
    /// the pty already turned `\n` into `\r\n`. Skipped when vault is in
    /// the background of its controlling terminal, where changing it would
    /// stop vault with SIGTTOU (the output then shows `\r\r\n`, which looks
    /// the same on a screen).
    pub fn no_output_processing(fd: BorrowedFd<'static>) -> Option<TermMode> {
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
        // Known to the panic hook before the terminal changes.
        let token = remember(fd, &saved);
        if tcsetattr(fd, OptionalActions::Now, mode).is_err() {
            forget(token);
            return None;
        }
        Some(TermMode {
            fd,
            saved,
            mode: mode.clone(),
            token,
        })
    }

    pub fn restore(&self) {
        let _ = tcsetattr(self.fd, OptionalActions::Now, &self.saved);
    }

    pub fn reapply(&self) {
        let _ = tcsetattr(self.fd, OptionalActions::Now, &self.mode);
    }

    /// The suspend key (^Z) of the user's terminal, if it generates signals.
    pub fn suspend_key(&self) -> Option<u8> {
        let t = &self.saved;
        let key = t.special_codes[SpecialCodeIndex::VSUSP];
        (t.local_modes.contains(LocalModes::ISIG) && key != 0).then_some(key)
    }
}

impl Drop for TermMode {
    fn drop(&mut self) {
        self.restore();
        forget(self.token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    /// A terminal that lives for the rest of the test process.
    fn leaked_terminal() -> (&'static Pty, BorrowedFd<'static>) {
        let pty: &'static Pty = Box::leak(Box::new(Pty::open().unwrap()));
        let slave: &'static OwnedFd = Box::leak(Box::new(pty.slave().unwrap()));
        (pty, slave.as_fd())
    }

    fn is_raw(fd: BorrowedFd<'_>) -> bool {
        !tcgetattr(fd)
            .unwrap()
            .local_modes
            .contains(LocalModes::ICANON)
    }

    fn raw_on(fd: BorrowedFd<'static>) -> TermMode {
        let saved = tcgetattr(fd).unwrap();
        let mut raw = saved.clone();
        raw.make_raw();
        TermMode::set(fd, saved, &raw).unwrap()
    }

    #[test]
    fn the_terminal_is_restored_on_drop() {
        let (_pty, tty) = leaked_terminal();
        assert!(!is_raw(tty));
        let mode = raw_on(tty);
        assert!(is_raw(tty));
        drop(mode);
        assert!(!is_raw(tty));
    }

    #[test]
    fn the_terminal_is_restored_by_the_panic_hook_without_drop() {
        let (_pty, tty) = leaked_terminal();
        let mode = raw_on(tty);
        assert!(is_raw(tty));
        // Under panic = "abort" no destructor runs: only the hook can help.
        let result = std::panic::catch_unwind(|| panic!("a bug while the terminal is raw"));
        assert!(result.is_err());
        assert!(
            !is_raw(tty),
            "the panic hook must restore the saved settings"
        );
        drop(mode);
    }

    #[test]
    fn a_slave_can_be_opened_again_for_the_next_command() {
        let pty = Pty::open().unwrap();
        drop(pty.slave().unwrap());
        let second = pty.slave().unwrap();
        rustix::io::write(&second, b"two\n").unwrap();
        let mut buf = [0u8; 64];
        let n = rustix::io::read(pty.master(), &mut buf).unwrap();
        assert_eq!(&buf[..n], b"two\r\n");
    }
}
