//! Prompts on the terminal: the hidden prompt for values and passphrases,
//! and the y/N question.
//!
//! Owns one promise: nothing typed or pasted at a vault prompt ever reaches
//! the program that reads the terminal next (the user's shell would run it
//! and keep it in its history). It reads a paste whole and discards what is
//! left in the input queue on every path. The signal handling that keeps
//! that promise when vault is killed at a prompt is in `sys` (unsafe).

/// Ask the terminal to bracket pastes (xterm's mode 2004).
const PASTE_MODE_ON: &[u8] = b"\x1b[?2004h";

/// A line break followed by more input within this time is part of a paste
/// the terminal did not bracket, not the Enter key: nobody types that fast,
/// and a terminal delivers a paste in one burst.
const PASTE_GAP: std::time::Duration = std::time::Duration::from_millis(100);

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
/// answer.
pub fn prompt_hidden(prompt: &str, lines: Lines) -> std::io::Result<zeroize::Zeroizing<String>> {
    use rustix::termios::{self, InputModes, LocalModes, OptionalActions, SpecialCodeIndex};
    let (tty, saved) = crate::sys::prompt_tty(open_tty)?;
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
    crate::sys::during_prompt(|| {
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
        let mut out = crate::sys::PASTE_MODE_OFF.to_vec();
        out.push(b'\n');
        let _ = write_all(tty, &out);
        let _ = termios::tcsetattr(tty, OptionalActions::Now, saved);
        let _ = termios::tcflush(tty, termios::QueueSelector::IFlush);
        answer
    })
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
                        // complete answer, as it would be unbracketed; an
                        // Enter pressed right after it is part of it.
                        if answer.last() == Some(&b'\n') {
                            if let Some(b'\r' | b'\n') = input.peek(short)? {
                                if input.next(None)? == Some(b'\r')
                                    && input.peek(Some(std::time::Duration::ZERO))? == Some(b'\n')
                                {
                                    input.next(None)?;
                                }
                            }
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
    if input.peek(Some(std::time::Duration::ZERO))?.is_some() {
        // More came after the answer had ended: a paste the terminal sent
        // in pieces, slower than PASTE_GAP. Storing the part read so far
        // would silently cut the value; the caller discards the rest.
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "more input arrived after the answer had ended (a paste sent in pieces?); all of it was discarded",
        ));
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

#[cfg(test)]
mod tests {
    use super::*;
    use rustix::termios::{self, InputModes, LocalModes, OptionalActions};

    /// What `read_answer` makes of `typed`, on a pseudo-terminal in the
    /// byte-at-a-time mode the prompt sets.
    fn answer(typed: &[u8], lines: Lines) -> std::io::Result<String> {
        use rustix::pty::*;
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
        grantpt(&master).unwrap();
        unlockpt(&master).unwrap();
        let name = ptsname(&master, Vec::new()).unwrap();
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(name.to_str().unwrap())
            .unwrap();
        let mut t = termios::tcgetattr(&slave).unwrap();
        t.local_modes.remove(LocalModes::ICANON | LocalModes::ECHO);
        t.input_modes.remove(InputModes::ICRNL);
        termios::tcsetattr(&slave, OptionalActions::Now, &t).unwrap();
        rustix::io::write(&master, typed).unwrap();
        let keys = Keys {
            erase: 0x7f,
            kill: 0x15,
            eof: 0x04,
        };
        read_answer(&slave, keys, lines).map(|a| a.to_string())
    }

    #[test]
    fn typing_editing_and_keys_that_have_no_place_in_an_answer() {
        let ok = |typed: &[u8]| answer(typed, Lines::Many).unwrap();
        assert_eq!(ok(b"abc\r"), "abc");
        assert_eq!(ok(b"abc\n"), "abc");
        assert_eq!(ok(b"ab\x7fc\r"), "ac");
        assert_eq!(ok("x\u{e9}\x7f\r".as_bytes()), "x");
        assert_eq!(ok(b"wrong\x15right\r"), "right");
        assert_eq!(ok(b"\x1b[Aa\x1b[Db\r"), "ab");
        assert_eq!(ok(b"tab\there\r"), "tab\there");
        assert_eq!(ok(b"\r"), "");
    }

    // See: issue 17 item 1
    #[test]
    fn a_paste_is_read_whole_bracketed_or_not() {
        let ok = |typed: &[u8]| answer(typed, Lines::Many).unwrap();
        assert_eq!(ok(b"l1\rl2\rl3\r"), "l1\nl2\nl3");
        assert_eq!(ok(b"l1\r\nl2\r\n"), "l1\nl2");
        assert_eq!(ok(b"\x1b[200~l1\rl2\r\x1b[201~"), "l1\nl2");
        assert_eq!(ok(b"\x1b[200~l1\nl2\x1b[201~\r"), "l1\nl2");
        assert_eq!(ok(b"\x1b[200~l1\rl2\r\x1b[201~\r"), "l1\nl2");
        // Inside a paste, editing keys are text, not edits.
        assert_eq!(ok(b"\x1b[200~a\x7fb\x1b[201~\r"), "a\x7fb");
    }

    #[test]
    fn a_passphrase_is_one_line_and_end_of_input_is_no_answer() {
        let e = answer(b"one\rtwo\r", Lines::One).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(answer(b"one\r", Lines::One).unwrap(), "one");
        let e = answer(b"\x04", Lines::Many).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
        // Typed on after the answer ended: refused, never a cut value.
        let e = answer(b"\x1b[200~l1\r\x1b[201~more", Lines::Many).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        let e = answer(b"\xff\xfe\r", Lines::Many).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
    }
}
