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

/// The terminal settings to put back if a signal ends vault during a
/// hidden prompt: the tty (opened for reading and writing) and its settings
/// before the prompt changed them. Set once (before the first prompt's
/// handlers are installed) and only read afterwards, so the signal
/// handler's read is a plain atomic load.
static PROMPT_TTY: std::sync::OnceLock<(std::fs::File, rustix::termios::Termios)> =
    std::sync::OnceLock::new();

/// The signals that end vault by default and may arrive at a prompt.
const PROMPT_SIGNALS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// Ask the terminal to bracket pastes (xterm's mode 2004), and stop asking.
const PASTE_MODE_ON: &[u8] = b"\x1b[?2004h";
const PASTE_MODE_OFF: &[u8] = b"\x1b[?2004l";

/// A line break followed by more input within this time is part of a paste
/// the terminal did not bracket, not the Enter key: nobody types that fast,
/// and a terminal delivers a paste in one burst.
const PASTE_GAP: std::time::Duration = std::time::Duration::from_millis(60);

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

/// How many lines an answer at a hidden prompt may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// A passphrase: one line; a multi-line answer is refused
    /// (`io::ErrorKind::InvalidData`).
    One,
    /// A value: a multi-line paste (a PEM key) is the value, as a whole.
    Many,
}

/// The terminal vault prompts on: the controlling terminal, or stdin when
/// it is a terminal but not the controlling one.
fn open_tty() -> std::io::Result<std::fs::File> {
    use std::os::fd::AsFd;
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
    {
        Ok(f) => Ok(f),
        Err(e) => match std::io::stdin().as_fd().try_clone_to_owned() {
            Ok(fd) if rustix::termios::isatty(&fd) => Ok(std::fs::File::from(fd)),
            _ => Err(e),
        },
    }
}

/// Read an answer from the terminal with echo off.
///
/// Nothing typed or pasted at the prompt ever reaches the program that
/// reads the terminal next (the user's shell): a paste is read whole (the
/// terminal is asked to bracket it; an unbracketed one is recognised by its
/// speed), and whatever is left in the terminal's input queue is discarded
/// before returning, on every path, also when a signal (^C, SIGTERM,
/// SIGHUP, ^\) ends vault, which first turns the echo back on. One
/// trailing line break (the one that ended the paste) is not part of the
/// answer. The signals' previous actions are put back afterwards, exactly
/// (signal-hook cannot do that: it never gives a signal back once it has
/// handled it).
pub fn prompt_hidden(prompt: &str, lines: Lines) -> std::io::Result<zeroize::Zeroizing<String>> {
    use rustix::termios::{self, InputModes, LocalModes, OptionalActions, SpecialCodeIndex};
    // The terminal and its settings, recorded at the first prompt; later
    // prompts in the process (init asks twice) are on the same terminal.
    if PROMPT_TTY.get().is_none() {
        let tty = open_tty()?;
        let saved = termios::tcgetattr(&tty)?;
        let _ = PROMPT_TTY.set((tty, saved));
    }
    let Some((tty, saved)) = PROMPT_TTY.get() else {
        return Err(std::io::Error::other("no terminal to ask on"));
    };
    let mut previous: Vec<(libc::c_int, libc::sigaction)> = Vec::new();
    let handler: extern "C" fn(libc::c_int) = restore_tty_and_die;
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
    // Byte at a time, no echo, no line editing by the kernel (its line
    // buffer would cut a long paste at 4 KiB, and a line break in a paste
    // would end the answer); ISIG stays, so ^C still interrupts.
    let mut raw = saved.clone();
    raw.local_modes
        .remove(LocalModes::ECHO | LocalModes::ECHONL | LocalModes::ICANON | LocalModes::IEXTEN);
    raw.input_modes
        .remove(InputModes::ICRNL | InputModes::INLCR | InputModes::IGNCR);
    raw.special_codes[SpecialCodeIndex::VMIN] = 1;
    raw.special_codes[SpecialCodeIndex::VTIME] = 0;
    let keys = Keys {
        erase: saved.special_codes[SpecialCodeIndex::VERASE],
        kill: saved.special_codes[SpecialCodeIndex::VKILL],
        eof: saved.special_codes[SpecialCodeIndex::VEOF],
    };
    let answer = termios::tcsetattr(tty, OptionalActions::Now, &raw)
        .map_err(std::io::Error::from)
        .and_then(|()| {
            let mut out = prompt.as_bytes().to_vec();
            out.extend_from_slice(PASTE_MODE_ON);
            write_all(tty, &out)
        })
        .and_then(|()| read_answer(tty, keys, lines));
    // Every path: the line the hidden Enter did not echo, bracketing off,
    // the settings back, and the rest of the input queue dropped.
    let mut out = PASTE_MODE_OFF.to_vec();
    out.push(b'\n');
    let _ = write_all(tty, &out);
    let _ = termios::tcsetattr(tty, OptionalActions::Now, saved);
    let _ = termios::tcflush(tty, termios::QueueSelector::IFlush);
    for (sig, old) in previous {
        // SAFETY: restores exactly the action sigaction(2) reported above.
        unsafe {
            libc::sigaction(sig, &old, std::ptr::null_mut());
        }
    }
    answer
}

/// Ask a yes/no question on the terminal (echo on); anything but an answer
/// starting with y or Y is no. The rest of the input queue is discarded
/// afterwards, as at the hidden prompt.
pub fn confirm(question: &str) -> std::io::Result<bool> {
    use std::io::Read;
    let tty = open_tty()?;
    write_all(&tty, question.as_bytes())?;
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    let read = loop {
        match (&tty).read(&mut byte) {
            Ok(0) => break Ok(()),
            Ok(_) if byte[0] == b'\n' => break Ok(()),
            Ok(_) if answer.len() < 64 => answer.push(byte[0]),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    let _ = rustix::termios::tcflush(&tty, rustix::termios::QueueSelector::IFlush);
    read?;
    Ok(matches!(answer.first(), Some(b'y' | b'Y')))
}

fn write_all(tty: &std::fs::File, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        match rustix::io::write(tty, bytes) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The editing keys of the terminal, as its settings name them.
#[derive(Clone, Copy)]
struct Keys {
    erase: u8,
    kill: u8,
    eof: u8,
}

/// Buffered bytes from the terminal, zeroed as they are replaced.
struct TtyBytes<'a> {
    tty: &'a std::fs::File,
    buf: zeroize::Zeroizing<Vec<u8>>,
    pos: usize,
}

impl TtyBytes<'_> {
    /// The next byte, waiting at most `wait` (forever when None); Ok(None)
    /// when nothing came in time. The terminal hanging up is an error.
    fn next(&mut self, wait: Option<std::time::Duration>) -> std::io::Result<Option<u8>> {
        let b = self.peek(wait)?;
        if b.is_some() {
            self.pos += 1;
        }
        Ok(b)
    }

    fn peek(&mut self, wait: Option<std::time::Duration>) -> std::io::Result<Option<u8>> {
        if let Some(b) = self.buf.get(self.pos) {
            return Ok(Some(*b));
        }
        if let Some(d) = wait {
            if !self.readable(d)? {
                return Ok(None);
            }
        }
        let mut chunk = zeroize::Zeroizing::new([0u8; 1024]);
        let n = loop {
            match rustix::io::read(self.tty, &mut chunk[..]) {
                Ok(n) => break n,
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        };
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the terminal closed",
            ));
        }
        zeroize::Zeroize::zeroize(&mut *self.buf);
        self.buf.clear();
        self.buf.extend_from_slice(&chunk[..n]);
        self.pos = 0;
        Ok(self.buf.first().copied())
    }

    fn readable(&self, wait: std::time::Duration) -> std::io::Result<bool> {
        use rustix::event::{poll, PollFd, PollFlags, Timespec};
        let timeout = Timespec {
            tv_sec: wait.as_secs() as _,
            tv_nsec: wait.subsec_nanos() as _,
        };
        loop {
            let mut fds = [PollFd::new(self.tty, PollFlags::IN)];
            match poll(&mut fds, Some(&timeout)) {
                Ok(n) => return Ok(n > 0),
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// The answer typed or pasted at a hidden prompt (the terminal is in
/// byte-at-a-time mode, echo off).
fn read_answer(
    tty: &std::fs::File,
    keys: Keys,
    lines: Lines,
) -> std::io::Result<zeroize::Zeroizing<String>> {
    /// The longest answer kept; a longer one is cut here and refused by the
    /// value rules (64 KiB), while the rest of it is still read and dropped.
    const KEEP: usize = 64 * 1024 + 1;
    let short = Some(PASTE_GAP);
    let mut input = TtyBytes {
        tty,
        buf: zeroize::Zeroizing::new(Vec::with_capacity(1024)),
        pos: 0,
    };
    let mut answer = zeroize::Zeroizing::new(Vec::<u8>::new());
    let mut in_paste = false;
    loop {
        let Some(b) = input.next(None)? else {
            continue;
        };
        match b {
            0x1b => {
                // An escape sequence: the paste brackets, or a key (arrows,
                // function keys) that has no place in a hidden answer.
                let mut seq = zeroize::Zeroizing::new(Vec::new());
                if input.peek(short)? == Some(b'[') {
                    while let Some(c) = input.next(short)? {
                        seq.push(c);
                        if seq.len() > 1 && (0x40..=0x7e).contains(&c) || seq.len() > 16 {
                            break;
                        }
                    }
                }
                match seq.as_slice() {
                    b"[200~" => in_paste = true,
                    b"[201~" => {
                        in_paste = false;
                        // A paste that ends with its own line break is a
                        // complete answer, as it would be unbracketed.
                        if answer.last() == Some(&b'\n') {
                            break;
                        }
                    }
                    _ if in_paste => {
                        answer.push(0x1b);
                        answer.extend_from_slice(&seq);
                    }
                    _ => {}
                }
            }
            b'\r' | b'\n' => {
                if b == b'\r' && input.peek(Some(std::time::Duration::ZERO))? == Some(b'\n') {
                    input.next(None)?;
                }
                if in_paste || input.peek(short)?.is_some() {
                    // Inside a paste, or more is already on its way: a line
                    // break of the value, not the Enter key.
                    answer.push(b'\n');
                    continue;
                }
                break;
            }
            _ if in_paste => answer.push(b),
            0x7f | 0x08 => pop_char(&mut answer),
            _ if b == keys.erase && b != 0 => pop_char(&mut answer),
            _ if (b == keys.kill && b != 0) || b == 0x15 => answer.clear(),
            _ if (b == keys.eof && b != 0) || b == 0x04 => {
                if answer.is_empty() {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "no answer (end of input)",
                    ));
                }
                break;
            }
            b'\t' => answer.push(b),
            _ if b < 0x20 => {}
            _ => answer.push(b),
        }
        if answer.len() > KEEP {
            answer.truncate(KEEP);
        }
    }
    if answer.last() == Some(&b'\n') {
        answer.pop();
    }
    if lines == Lines::One && answer.contains(&b'\n') {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the answer has several lines",
        ));
    }
    match String::from_utf8(std::mem::take(&mut *answer)) {
        Ok(s) => Ok(zeroize::Zeroizing::new(s)),
        Err(e) => {
            zeroize::Zeroize::zeroize(&mut e.into_bytes());
            Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the answer is not valid UTF-8 text",
            ))
        }
    }
}

/// Remove the last character (not byte) of a UTF-8 answer.
fn pop_char(answer: &mut Vec<u8>) {
    while let Some(b) = answer.pop() {
        if b & 0xc0 != 0x80 {
            break;
        }
    }
}
