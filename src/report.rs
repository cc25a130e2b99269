//! How a failure reaches the user: an `error:` line saying what went wrong
//! and a `hint:` line saying what to do next, on stderr. Messages carry
//! names, paths and line numbers, never a value.

use crate::error::{Error, Kind};

/// Print an error and its hint to stderr.
pub fn error(e: &Error) {
    if e.kind() == Kind::StdoutClosed {
        return;
    }
    eprintln!("error: {}", e.message());
    if let Some(h) = e.hint_text() {
        eprintln!("hint: {h}");
    }
}
