//! The command's outputs on their way through the redactor to vault's.
//!
//! A [`Pump`] outlives one child: its stream (and what it holds back) stays,
//! and the next child's read end is [`Pump::attach`]ed to it.

use std::io;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::event::{poll, PollFd, PollFlags};
use rustix::io::Errno;

use crate::run::mask::Stream;

/// Read size; also the pipe buffer size on Linux, so one read empties it.
pub const CHUNK: usize = 64 * 1024;
/// A held tail that may begin a value (`Password: hunt`) is written to a
/// terminal after this long without new output: a prompt must show. If the
/// value is completed later, what follows the shown part is still redacted.
pub const QUIET: Duration = Duration::from_millis(75);

/// What a pump reads from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The pty master: the command's terminal side(s).
    Pty,
    /// A pipe: the command's side that is not a terminal.
    Pipe,
}

/// One output of the command: its read end, the stream redacting it, and
/// where the result goes.
pub struct Pump {
    pub source: Source,
    src: Option<OwnedFd>,
    dst: BorrowedFd<'static>,
    stream: Stream,
    /// The current source ended (or the destination is gone): nothing more
    /// to write until a next source is attached.
    done: bool,
    /// The destination went away (`| head`): nothing is written any more.
    dst_gone: bool,
    /// The destination is a terminal: a held tail is written after [`QUIET`]
    /// without new bytes, since someone may be reading a prompt.
    quiet_flush: bool,
    /// When the stream last went from nothing held to something held.
    held_since: Option<Instant>,
}

impl Pump {
    pub fn new(source: Source, dst: BorrowedFd<'static>, stream: Stream) -> Pump {
        Pump {
            source,
            src: None,
            dst,
            stream,
            done: true,
            dst_gone: false,
            quiet_flush: source == Source::Pty,
            held_since: None,
        }
    }

    /// Read from `src` from now on (a new child's output).
    pub fn attach(&mut self, src: OwnedFd) {
        if !self.dst_gone {
            self.src = Some(src);
            self.done = false;
        }
    }

    /// The read end, while there is one.
    pub fn src(&self) -> Option<&OwnedFd> {
        self.src.as_ref()
    }

    pub fn is_open(&self) -> bool {
        self.src.is_some()
    }

    /// Read once (the fd was reported readable) and write out what may be
    /// written now.
    pub fn pump(&mut self, buf: &mut [u8], out: &mut Vec<u8>) {
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
    pub fn quiet_deadline(&self) -> Option<Instant> {
        self.held_since.map(|t| t + QUIET)
    }

    /// Write the held tail if the command has been quiet for [`QUIET`]; true if it was.
    pub fn flush_if_quiet(&mut self, now: Instant, out: &mut Vec<u8>) -> bool {
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

    /// Redact with `stream` from now on (a redactor that knows more
    /// values), after writing out what the old one held back.
    pub fn replace_stream(&mut self, stream: Stream, out: &mut Vec<u8>) {
        self.held_since = None;
        out.clear();
        self.stream.flush(out);
        self.write(out);
        self.stream = stream;
    }

    /// End of input: write the held-back tail and close the read end.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        self.src = None;
        self.held_since = None;
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
            self.dst_gone = true;
        }
        out.clear();
    }
}

/// Write all of `buf` to `fd`, waiting when the fd is non-blocking and full.
pub fn write_all(fd: BorrowedFd<'_>, mut buf: &[u8]) -> io::Result<()> {
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
pub struct Feed {
    pub buf: Vec<u8>,
    pub stdin_closed: bool,
}
