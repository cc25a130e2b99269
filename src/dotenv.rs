//! The `.env` format: parse it for `vault import`, quote values for `vault export`.
//!
//! This module owns the byte-level grammar written down in `docs/DOTENV.md`:
//! [`parse`] turns the bytes of a file into its assignments, in file order and
//! with duplicates kept, plus *every* bad line (parsing always continues), and
//! [`quote_dotenv`] / [`quote_shell`] write a value back so that it reads as
//! exactly the same bytes. It is a pure leaf: no I/O, no environment, no
//! variable expansion, no deduplication, no naming rule beyond the key syntax
//! and no length limits — the caller applies those, using [`Entry::line`]. Its
//! one security duty: a value never reaches an error message or `Debug` output.
//! A [`ParseError`] may name a key, and only when the key looks like a name,
//! because a "key" is sometimes a fragment of a value that lost its quotes.
#![deny(clippy::indexing_slicing)]

use std::fmt;

use zeroize::{Zeroize, Zeroizing};

/// One `KEY=VALUE` assignment. `line` is the 1-based line where the assignment starts.
#[derive(Clone)]
pub struct Entry {
    pub key: String,
    pub value: Zeroizing<String>,
    pub line: usize,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("key", &self.key)
            .field("value", &format_args!("<redacted>"))
            .field("line", &self.line)
            .finish()
    }
}

/// A bad line. `reason` never contains any part of a value (it may name the key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// The result of [`parse`]: what was read, and everything that was wrong.
#[derive(Debug, Default)]
pub struct Parsed {
    /// In file order, duplicates NOT removed (the caller applies last-wins).
    pub entries: Vec<Entry>,
    /// Every bad line, sorted by line; parsing continues after an error.
    pub errors: Vec<ParseError>,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parse the bytes of a `.env` file. Never panics, whatever the input.
///
/// An assignment is returned only if it is entirely well formed; a bad one is
/// reported at the line where it starts, and parsing resumes right after it
/// (after an unterminated quote: on the line after the opening quote).
#[must_use]
pub fn parse(input: &[u8]) -> Parsed {
    let src = input.strip_prefix(UTF8_BOM).unwrap_or(input);
    let mut parsed = Parsed::default();
    if src.starts_with(b"\xFF\xFE") || src.starts_with(b"\xFE\xFF") {
        parsed.errors.push(error(
            1,
            "the file is UTF-16 encoded; save it as UTF-8".to_owned(),
        ));
        return parsed;
    }

    // Encoding problems are found per physical line up front: every such line
    // is reported (even a comment: a wrongly encoded file may hold wrongly
    // decoded values), and any assignment touching one is dropped unreported.
    let bad_lines = encoding_errors(src);
    let mut syntax_errors = Vec::new();
    let mut pos = 0;
    let mut line = 1;
    while pos < src.len() {
        let step = statement(src, pos, line);
        let last_line = step.next_line.saturating_sub(1).max(line);
        if !touches(&bad_lines, line, last_line) {
            match step.outcome {
                Outcome::Nothing => {}
                Outcome::Entry(entry) => parsed.entries.push(entry),
                Outcome::Error(e) => syntax_errors.push(e),
            }
        }
        // `statement` always consumes at least one byte, so this terminates.
        pos = step.next.max(pos.saturating_add(1));
        line = step.next_line;
    }

    parsed.errors = bad_lines;
    parsed.errors.extend(syntax_errors);
    parsed.errors.sort_by_key(|e| e.line);
    parsed
}

/// Quote `value` so that `parse` of `KEY=<quoted>` returns exactly `value`.
///
/// Bare when every byte is plainly safe (also for shells and other dotenv
/// parsers), single quotes when the value has no `'` and no CR (a CR could be
/// taken for a line ending), otherwise double quotes with `\\ \" \n \r \t`
/// escapes. An empty value is written bare (`KEY=`). A NUL byte cannot be
/// represented; vault's values never contain one.
#[must_use]
pub fn quote_dotenv(value: &str) -> String {
    if value.bytes().all(is_bare_safe) {
        return value.to_owned();
    }
    if !value.contains(['\'', '\r']) {
        let mut out = String::with_capacity(value.len().saturating_add(2));
        out.push('\'');
        out.push_str(value);
        out.push('\'');
        return out;
    }
    let mut out = String::with_capacity(value.len().saturating_add(8));
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Quote for a POSIX shell: `export NAME=<quoted>` evaluates to exactly `value`.
///
/// Always single quotes, each `'` written as `'\''`. A NUL byte cannot be
/// represented in a shell variable; vault's values never contain one.
#[must_use]
pub fn quote_shell(value: &str) -> String {
    let mut out = String::with_capacity(value.len().saturating_add(2));
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// Bytes that mean nothing special to this parser, to other dotenv parsers or
/// to a shell, wherever they stand in a value.
fn is_bare_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'_' | b'-' | b'.' | b'/' | b':' | b'@' | b'%' | b'+' | b',' | b'='
        )
}

enum Outcome {
    Nothing,
    Entry(Entry),
    Error(ParseError),
}

/// What one statement (a blank line, a comment, an assignment) consumed.
struct Step {
    /// Byte offset where the next statement starts.
    next: usize,
    /// Line number of `next`.
    next_line: usize,
    outcome: Outcome,
}

fn error(line: usize, reason: String) -> ParseError {
    ParseError { line, reason }
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `src[a..b]`, or empty when out of range (never happens; keeps us panic-free).
fn sub(src: &[u8], a: usize, b: usize) -> &[u8] {
    src.get(a..b).unwrap_or(&[])
}

/// From `from`, the end of the line's content and the start of the next line.
/// A line ends at `\n`, `\r\n` or a lone `\r` (old Mac files; python-dotenv
/// and node's dotenv read it as a line break too).
fn line_end(src: &[u8], from: usize) -> (usize, usize) {
    let rest = src.get(from..).unwrap_or(&[]);
    match rest.iter().position(|&b| b == b'\n' || b == b'\r') {
        Some(off) => {
            let end = from.saturating_add(off);
            let crlf =
                src.get(end) == Some(&b'\r') && src.get(end.saturating_add(1)) == Some(&b'\n');
            (end, end.saturating_add(if crlf { 2 } else { 1 }))
        }
        None => (src.len(), src.len()),
    }
}

/// How many line breaks `bytes` holds: each `\n`, and each `\r` not followed
/// by `\n` (a `\r\n` counts once, at its `\n`).
fn line_breaks(bytes: &[u8]) -> usize {
    let mut n = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        let lone_cr = b == b'\r' && bytes.get(i.saturating_add(1)) != Some(&b'\n');
        if b == b'\n' || lone_cr {
            n = n.saturating_add(1);
        }
    }
    n
}

fn skip_blanks(src: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && src.get(i).is_some_and(|&b| is_blank(b)) {
        i += 1;
    }
    i
}

fn trim_end_blanks(mut s: &[u8]) -> &[u8] {
    while let Some((&last, rest)) = s.split_last() {
        if !is_blank(last) {
            break;
        }
        s = rest;
    }
    s
}

/// Parse the statement starting at `start`, the beginning of line `line`.
fn statement(src: &[u8], start: usize, line: usize) -> Step {
    let (end, next) = line_end(src, start);
    let one_line = |outcome| Step {
        next,
        next_line: line.saturating_add(1),
        outcome,
    };

    let mut s = skip_blanks(src, start, end);
    if s >= end || src.get(s) == Some(&b'#') {
        return one_line(Outcome::Nothing);
    }

    // `export KEY=…` drops the prefix; `export=…` and `export =…` assign `export`.
    let after_export = s.saturating_add(6);
    if sub(src, s, end).starts_with(b"export")
        && after_export < end
        && src.get(after_export).is_some_and(|&b| is_blank(b))
    {
        let t = skip_blanks(src, after_export, end);
        if t < end && src.get(t) != Some(&b'=') {
            s = t;
        }
    }

    let Some(eq) = sub(src, s, end)
        .iter()
        .position(|&b| b == b'=')
        .map(|off| s + off)
    else {
        return one_line(Outcome::Error(error(
            line,
            "expected KEY=VALUE, found no '='".to_owned(),
        )));
    };
    let key = trim_end_blanks(sub(src, s, eq));
    if key.is_empty() {
        return one_line(Outcome::Error(error(
            line,
            "missing key before '='".to_owned(),
        )));
    }
    if !is_valid_key(key) {
        return one_line(Outcome::Error(error(line, invalid_key_reason(key))));
    }
    // Validated as ASCII above, so this is exact.
    let key = String::from_utf8_lossy(key).into_owned();

    let v = skip_blanks(src, eq.saturating_add(1), end);
    match src.get(v) {
        Some(&q) if v < end && (q == b'"' || q == b'\'') => quoted(src, line, key, v, q, one_line),
        _ => {
            let raw = sub(src, v, end);
            // Node's dotenv reads `...` as quotes (even across lines); reading
            // it as a bare value would cut `p@ss #1` at the `#` without a word.
            if raw.starts_with(b"`") {
                return one_line(Outcome::Error(error(
                    line,
                    "backtick quotes are not supported; use single or double quotes".to_owned(),
                )));
            }
            // `#` starts a comment only after a space or tab (which may be the
            // one between `=` and the value): `URL=http://x/#frag` keeps it.
            let mut after_blank = v > eq.saturating_add(1);
            let mut cut = raw.len();
            for (off, &b) in raw.iter().enumerate() {
                if b == b'#' && after_blank {
                    cut = off;
                    break;
                }
                after_blank = is_blank(b);
            }
            let value = trim_end_blanks(raw.get(..cut).unwrap_or(&[]));
            one_line(make_entry(key, line, Zeroizing::new(value.to_vec())))
        }
    }
}

/// A quoted value opening at `open` (a `"` or `'`), possibly spanning lines.
fn quoted(
    src: &[u8],
    line: usize,
    key: String,
    open: usize,
    quote: u8,
    one_line: impl Fn(Outcome) -> Step,
) -> Step {
    let body_start = open.saturating_add(1);
    let Some(close) = find_close(src, body_start, quote) else {
        // Resume on the next line, so the lines after a missing quote are
        // still checked instead of being swallowed into one huge value.
        let kind = if quote == b'"' { "double" } else { "single" };
        return one_line(Outcome::Error(error(
            line,
            format!("unterminated {kind} quote (the value starts here)"),
        )));
    };
    let body = sub(src, body_start, close);
    let close_line = line.saturating_add(line_breaks(body));
    let (end, next) = line_end(src, close.saturating_add(1));
    let step = |outcome| Step {
        next,
        next_line: close_line.saturating_add(1),
        outcome,
    };

    let rest = skip_blanks(src, close.saturating_add(1), end);
    if rest < end && src.get(rest) != Some(&b'#') {
        let mut reason = if close_line == line {
            "unexpected text after the closing quote".to_owned()
        } else {
            format!("unexpected text after the closing quote (on line {close_line})")
        };
        if quote == b'"' && body.windows(2).any(|w| w == b"\\\"") {
            // `"C:\build\"` : the last quote was escaped, a later one closed.
            reason.push_str("; note that \\\" inside double quotes is a quote, not the end: a backslash before the closing quote is written \\\\");
        }
        return step(Outcome::Error(error(line, reason)));
    }

    // Decoding only ever shrinks the body, so this never reallocates (which
    // would leave an unzeroized copy of the secret behind).
    let mut value = Zeroizing::new(Vec::with_capacity(body.len()));
    let mut i = 0;
    while let Some(&b) = body.get(i) {
        let next_b = body.get(i.saturating_add(1)).copied();
        if b == b'\r' && next_b == Some(b'\n') {
            // CRLF inside a quoted value is a line ending, stored as `\n`.
            i += 1;
            continue;
        }
        if quote == b'\'' && body.get(i..).is_some_and(|r| r.starts_with(SHELL_QUOTE)) {
            value.push(b'\'');
            i += SHELL_QUOTE.len();
            continue;
        }
        if quote == b'"' && b == b'\\' {
            let decoded = match next_b {
                Some(b'n') => Some(b'\n'),
                Some(b'r') => Some(b'\r'),
                Some(b't') => Some(b'\t'),
                Some(b'"') => Some(b'"'),
                Some(b'\\') => Some(b'\\'),
                _ => None,
            };
            if let Some(d) = decoded {
                value.push(d);
                i += 2;
                continue;
            }
            // Any other backslash is kept as written: `\d`, `\$`, `C:\Users`.
        }
        value.push(b);
        i += 1;
    }
    step(make_entry(key, line, value))
}

/// A shell's way to put `'` inside single quotes (close, escaped quote,
/// reopen), as `export --format shell` writes it. Read as one `'`; a file
/// holding it was an error before, so no other reading changes.
const SHELL_QUOTE: &[u8] = b"'\\''";

/// The offset of the quote closing a value whose body starts at `from`.
/// In double quotes a backslash always pairs with the next byte, so `\"`
/// never closes; in single quotes only [`SHELL_QUOTE`] is not a close.
fn find_close(src: &[u8], from: usize, quote: u8) -> Option<usize> {
    let mut i = from;
    while let Some(&b) = src.get(i) {
        if quote == b'\'' && src.get(i..).is_some_and(|r| r.starts_with(SHELL_QUOTE)) {
            i = i.saturating_add(SHELL_QUOTE.len());
            continue;
        }
        if b == quote {
            return Some(i);
        }
        i = i.saturating_add(if quote == b'"' && b == b'\\' { 2 } else { 1 });
    }
    None
}

fn make_entry(key: String, line: usize, mut bytes: Zeroizing<Vec<u8>>) -> Outcome {
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(value) => Outcome::Entry(Entry {
            key,
            value: Zeroizing::new(value),
            line,
        }),
        // Unreachable in practice: lines with invalid UTF-8 are dropped before
        // this, and decoding only touches ASCII bytes.
        Err(e) => {
            e.into_bytes().zeroize();
            Outcome::Error(error(line, "invalid UTF-8".to_owned()))
        }
    }
}

/// `[A-Za-z_][A-Za-z0-9_.-]*`.
fn is_valid_key(key: &[u8]) -> bool {
    match key.split_first() {
        Some((&first, rest)) => {
            (first.is_ascii_alphabetic() || first == b'_')
                && rest
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        }
        None => false,
    }
}

/// Name the bad key only when it looks like a name someone typed (`db url`,
/// `1KEY`, `CLÉ`); anything else may be part of a value that lost its quotes
/// (a base64 line of a key ending in `==`, say), so it is not echoed.
pub fn invalid_key_reason(key: &[u8]) -> String {
    const RULE: &str = "keys use letters, digits, '_', '.' and '-', and start with a letter or '_'";
    match std::str::from_utf8(key).ok().filter(|k| showable_key(k)) {
        Some(k) => format!("invalid key {k:?} ({RULE})"),
        None if key.starts_with("\u{feff}".as_bytes()) => format!(
            "invalid key: it starts with an invisible byte order mark (U+FEFF), \
             left by joining two files; delete it ({RULE})"
        ),
        None => format!("invalid key, not shown as it may be part of a value ({RULE})"),
    }
}

/// Whether a key that is not a valid name may be quoted in an error: short,
/// and looking like a name someone typed ([`crate::typed::looks_typed`]).
/// Anything else may be a piece of a value that lost its quotes.
pub fn showable_key(key: &str) -> bool {
    key.chars().count() <= 40 && crate::typed::looks_typed(key)
}

/// Every physical line holding a NUL byte or invalid UTF-8, sorted by line.
fn encoding_errors(src: &[u8]) -> Vec<ParseError> {
    if !src.contains(&0) && std::str::from_utf8(src).is_ok() {
        return Vec::new();
    }
    let mut errors = Vec::new();
    let mut pos = 0;
    let mut line = 0usize;
    while pos <= src.len() {
        line = line.saturating_add(1);
        let (end, next) = line_end(src, pos);
        let raw = sub(src, pos, end);
        pos = if next > pos {
            next
        } else {
            src.len().saturating_add(1)
        };
        if raw.contains(&0) {
            errors.push(error(
                line,
                "NUL byte (is the file UTF-16? save it as UTF-8)".to_owned(),
            ));
        } else if std::str::from_utf8(raw).is_err() {
            errors.push(error(
                line,
                "invalid UTF-8 (save the file as UTF-8)".to_owned(),
            ));
        }
    }
    errors
}

/// Whether any of the sorted `bad` lines falls in `lo..=hi`.
fn touches(bad: &[ParseError], lo: usize, hi: usize) -> bool {
    let i = bad.partition_point(|e| e.line < lo);
    bad.get(i).is_some_and(|e| e.line <= hi)
}

#[cfg(test)]
// Tests may unwrap, index and panic: a failure there is the point.
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    /// One table row: `entries` and `errors` must match exactly (error reasons
    /// by substring).
    struct Case {
        name: &'static str,
        input: &'static [u8],
        entries: &'static [(&'static str, &'static str, usize)],
        errors: &'static [(usize, &'static str)],
    }

    const fn ok(
        name: &'static str,
        input: &'static str,
        entries: &'static [(&'static str, &'static str, usize)],
    ) -> Case {
        Case {
            name,
            input: input.as_bytes(),
            entries,
            errors: &[],
        }
    }

    const fn bad(
        name: &'static str,
        input: &'static str,
        entries: &'static [(&'static str, &'static str, usize)],
        errors: &'static [(usize, &'static str)],
    ) -> Case {
        Case {
            name,
            input: input.as_bytes(),
            entries,
            errors,
        }
    }

    const fn bytes(
        name: &'static str,
        input: &'static [u8],
        entries: &'static [(&'static str, &'static str, usize)],
        errors: &'static [(usize, &'static str)],
    ) -> Case {
        Case {
            name,
            input,
            entries,
            errors,
        }
    }

    const NO_EQ: &str = "expected KEY=VALUE, found no '='";

    #[rustfmt::skip]
    const CASES: &[Case] = &[
        // --- basics
        ok("basic", "KEY=value\n", &[("KEY", "value", 1)]),
        ok("no trailing newline", "KEY=value", &[("KEY", "value", 1)]),
        ok("empty input", "", &[]),
        ok("only newlines", "\n\n\n", &[]),
        ok("several", "A=1\nB=2\nC=3\n", &[("A", "1", 1), ("B", "2", 2), ("C", "3", 3)]),
        ok("duplicates kept in order", "A=1\nB=x\nA=2\n", &[("A", "1", 1), ("B", "x", 2), ("A", "2", 3)]),
        // --- export
        ok("export prefix", "export KEY=value\n", &[("KEY", "value", 1)]),
        ok("export prefix, tabs and spaces", "export \t  KEY=value", &[("KEY", "value", 1)]),
        ok("indented export", "  export KEY = v", &[("KEY", "v", 1)]),
        ok("export as a key", "export=value", &[("export", "value", 1)]),
        ok("export as a key, spaced", "export = value", &[("export", "value", 1)]),
        ok("export glued is a key", "exportFOO=1", &[("exportFOO", "1", 1)]),
        ok("export twice: second is the key", "export export=1", &[("export", "1", 1)]),
        bad("export without '='", "export KEY\n", &[], &[(1, NO_EQ)]),
        bad("bare export", "export\n", &[], &[(1, NO_EQ)]),
        // --- whitespace
        ok("spaces around key and '='", "  KEY  =  value  \n", &[("KEY", "value", 1)]),
        ok("tabs around key and '='", "\tKEY\t=\tvalue\t\n", &[("KEY", "value", 1)]),
        ok("inner spaces kept", "KEY=hello   world", &[("KEY", "hello   world", 1)]),
        ok("inner tab kept", "KEY=a\tb", &[("KEY", "a\tb", 1)]),
        // --- single quotes
        ok("single quoted", "KEY='value'", &[("KEY", "value", 1)]),
        ok("single quotes keep spaces", "KEY='  padded  '", &[("KEY", "  padded  ", 1)]),
        ok("single quotes are literal", r#"KEY='a\nb\\c\"d\'"#, &[("KEY", r#"a\nb\\c\"d\"#, 1)]),
        ok("single quotes keep #", "KEY='a #b' # c", &[("KEY", "a #b", 1)]),
        bad(
            "an escaped quote where the value was meant to end",
            "OUT_DIR=\"C:\\build\\\"\nNAME=\"app\"\n",
            &[],
            &[(1, "a backslash before the closing quote is written")],
        ),
        ok("shell's '\\'' is one quote", r"export K='it'\''s'", &[("K", "it's", 1)]),
        ok("only '\\''", r"K=''\'''", &[("K", "'", 1)]),
        ok(
            "'\\'' in a multi-line value",
            "K='a'\\''\nb'\nL=1",
            &[("K", "a'\nb", 1), ("L", "1", 3)],
        ),
        bad(
            "a lone quote-backslash after a closing quote",
            "K='a'\\'\nL=1",
            &[("L", "1", 2)],
            &[(1, "unexpected text after the closing quote")],
        ),
        ok("single quotes keep $", "KEY='$HOME ${X}'", &[("KEY", "$HOME ${X}", 1)]),
        ok("double quotes inside single", r#"KEY='say "hi"'"#, &[("KEY", r#"say "hi""#, 1)]),
        ok("single multi-line", "KEY='line1\nline2'\nNEXT=1", &[("KEY", "line1\nline2", 1), ("NEXT", "1", 3)]),
        ok("single multi-line CRLF normalised", "KEY='a\r\nb'\r\nN=1\r\n", &[("KEY", "a\nb", 1), ("N", "1", 3)]),
        ok("single quote right after '=' with spaces", "KEY=   'v'", &[("KEY", "v", 1)]),
        // --- double quotes
        ok("double quoted", "KEY=\"value\"", &[("KEY", "value", 1)]),
        ok("double escapes", r#"KEY="a\nb\tc\rd\"e\\f""#, &[("KEY", "a\nb\tc\rd\"e\\f", 1)]),
        ok("double unknown escapes kept", r#"KEY="\d\$\'\x41\u00e9\ ""#, &[("KEY", r"\d\$\'\x41\u00e9\ ", 1)]),
        ok("escaped backslash before closing quote", r#"KEY="a\\" # c"#, &[("KEY", "a\\", 1)]),
        ok("windows path: \\n still an escape", r#"KEY="C:\Users\new""#, &[("KEY", "C:\\Users\new", 1)]),
        ok("double quotes keep #", "KEY=\"a # b\"", &[("KEY", "a # b", 1)]),
        ok("double quotes keep ${VAR}", "KEY=\"${HOME}/x $Y\"", &[("KEY", "${HOME}/x $Y", 1)]),
        ok("single quote inside double", "KEY=\"it's\"", &[("KEY", "it's", 1)]),
        ok("double multi-line", "KEY=\"line1\nline2\"\nNEXT=1", &[("KEY", "line1\nline2", 1), ("NEXT", "1", 3)]),
        ok("double multi-line CRLF normalised", "KEY=\"a\r\nb\"\r\n", &[("KEY", "a\nb", 1)]),
        ok("escaped \\r\\n kept", r#"KEY="a\r\nb""#, &[("KEY", "a\r\nb", 1)]),
        ok("lone CR inside quotes kept", "KEY=\"a\rb\"", &[("KEY", "a\rb", 1)]),
        ok("multi-line with escaped quote and #", "K=\"x \\\"#1\\\"\n# not a comment\ny\" # real comment\nZ=2", &[("K", "x \"#1\"\n# not a comment\ny", 1), ("Z", "2", 4)]),
        ok("trailing blanks after closing quote", "KEY=\"a\"  \t", &[("KEY", "a", 1)]),
        // --- comments
        ok("inline comment", "KEY=value # comment", &[("KEY", "value", 1)]),
        ok("inline comment after tab", "KEY=value\t# comment", &[("KEY", "value", 1)]),
        ok("# without space is kept", "URL=http://x/#frag", &[("URL", "http://x/#frag", 1)]),
        ok("value starting with #", "KEY=#notacomment", &[("KEY", "#notacomment", 1)]),
        ok("trailing # kept", "KEY=value#", &[("KEY", "value#", 1)]),
        ok("bare # comment after value", "KEY=a #", &[("KEY", "a", 1)]),
        ok("only a comment after '='", "KEY= # comment", &[("KEY", "", 1)]),
        ok("comment after double quote", "KEY=\"v\" # c", &[("KEY", "v", 1)]),
        ok("comment glued to single quote", "KEY='v'#c", &[("KEY", "v", 1)]),
        ok("comment line", "# KEY=value\nA=1", &[("A", "1", 2)]),
        ok("indented comment line", "   # c\n\t# d\nA=1", &[("A", "1", 3)]),
        ok("blank lines counted", "\n   \n\t\nA=1\n\n", &[("A", "1", 4)]),
        // --- empty values
        ok("empty", "KEY=", &[("KEY", "", 1)]),
        ok("empty double", "KEY=\"\"", &[("KEY", "", 1)]),
        ok("empty single", "KEY=''", &[("KEY", "", 1)]),
        ok("empty with blanks", "KEY=   \t", &[("KEY", "", 1)]),
        // --- '=' and '$' in values
        ok("= in value", "KEY=a=b==c", &[("KEY", "a=b==c", 1)]),
        ok("value starting with =", "KEY==x", &[("KEY", "=x", 1)]),
        ok("base64 padding", "KEY=YWJj==", &[("KEY", "YWJj==", 1)]),
        ok("$VAR literal", "KEY=$HOME/x", &[("KEY", "$HOME/x", 1)]),
        ok("${VAR} literal", "KEY=${HOME:-/root}", &[("KEY", "${HOME:-/root}", 1)]),
        ok("backslashes unquoted literal", r"KEY=C:\path\new\$x", &[("KEY", r"C:\path\new\$x", 1)]),
        ok("quotes inside unquoted literal", r#"KEY=it's "ok""#, &[("KEY", r#"it's "ok""#, 1)]),
        ok("backtick inside value", "KEY=a`b", &[("KEY", "a`b", 1)]),
        // --- line endings and BOM
        ok("CRLF", "A=1\r\nB=2\r\n", &[("A", "1", 1), ("B", "2", 2)]),
        ok("CRLF with comment and blank", "# c\r\n\r\nA=1 # x\r\n", &[("A", "1", 3)]),
        ok("CR at EOF", "A=1\r", &[("A", "1", 1)]),
        // Old Mac files: a lone CR ends a line, as in python-dotenv and node's dotenv.
        ok("lone CR line endings", "A=1\rB=two words\r# c\rC='x'\r", &[("A", "1", 1), ("B", "two words", 2), ("C", "x", 4)]),
        ok("lone CR, LF and CRLF mixed", "A=1\rB=2\nC=3\r\nD=4\r\rE=5", &[("A", "1", 1), ("B", "2", 2), ("C", "3", 3), ("D", "4", 4), ("E", "5", 6)]),
        ok("lone CR ends an inline comment", "A=1 # note\rB=2", &[("A", "1", 1), ("B", "2", 2)]),
        ok("lone CR after a closing quote", "A=\"x\"\rB='y'\rC=3", &[("A", "x", 1), ("B", "y", 2), ("C", "3", 3)]),
        ok("lone CR inside quotes counts a line", "A=\"x\ry\"\rB=2", &[("A", "x\ry", 1), ("B", "2", 3)]),
        bad("error lines counted across lone CRs", "A=1\rnot a line\rB=2\r1X=3", &[("A", "1", 1), ("B", "2", 3)], &[(2, NO_EQ), (4, "invalid key \"1X\"")]),
        bytes("encoding error line counted across lone CRs", b"A=1\rB=\xff\rC=3", &[("A", "1", 1), ("C", "3", 3)], &[(2, "invalid UTF-8")]),
        ok("BOM", "\u{feff}A=1\n", &[("A", "1", 1)]),
        ok("BOM then export", "\u{feff}export A=1\nB=2", &[("A", "1", 1), ("B", "2", 2)]),
        ok("only a BOM", "\u{feff}", &[]),
        // --- unicode
        ok("unicode value", "KEY=héllo wörld ✓", &[("KEY", "héllo wörld ✓", 1)]),
        ok("unicode single quoted", "KEY='日本語 '", &[("KEY", "日本語 ", 1)]),
        ok("emoji double quoted", "KEY=\"🔑\\n\"", &[("KEY", "🔑\n", 1)]),
        ok("NBSP kept (not a blank)", "KEY=a\u{a0}", &[("KEY", "a\u{a0}", 1)]),
        // --- keys
        ok("lowercase, dotted, dashed keys pass", "db.host=x\napp-name=y\n_private=z\nk9=1", &[("db.host", "x", 1), ("app-name", "y", 2), ("_private", "z", 3), ("k9", "1", 4)]),
        bad("unicode key rejected", "CLÉ=1", &[], &[(1, "invalid key \"CLÉ\"")]),
        bad("key starting with a digit", "1KEY=x", &[], &[(1, "invalid key \"1KEY\"")]),
        // Words with spaces may be a passphrase that lost its line: hidden.
        bad("key with a space", "db url=x", &[], &[(1, "invalid key, not shown")]),
        bad("quoted key", "'KEY'=x", &[], &[(1, "invalid key, not shown")]),
        bad("key with '+' not echoed", "ab+/cd=x", &[], &[(1, "invalid key, not shown")]),
        bad("empty key", "=value", &[], &[(1, "missing key before '='")]),
        bad("blank key", "  \t= value", &[], &[(1, "missing key before '='")]),
        bad("no '='", "JUSTAKEY\n", &[], &[(1, NO_EQ)]),
        bad("yaml style", "KEY: value", &[], &[(1, NO_EQ)]),
        // --- quote errors
        bad("unterminated double", "KEY=\"abc\n", &[], &[(1, "unterminated double quote (the value starts here)")]),
        bad("unterminated single", "KEY='abc", &[], &[(1, "unterminated single quote (the value starts here)")]),
        bad("valid lines after an unterminated quote", "A=\"oops\nB=2\nC=3", &[("B", "2", 2), ("C", "3", 3)], &[(1, "unterminated double quote")]),
        bad("escaped quote does not close", r#"KEY="abc\""#, &[], &[(1, "unterminated double quote")]),
        bad("text after closing double", "KEY=\"a\" b", &[], &[(1, "unexpected text after the closing quote")]),
        bad("text after closing single", "KEY='it's'", &[], &[(1, "unexpected text after the closing quote")]),
        bad("two quoted parts", "KEY=\"a\"\"b\"", &[], &[(1, "unexpected text after the closing quote")]),
        bad("single then double part", "KEY='a'\"b\"", &[], &[(1, "unexpected text after the closing quote")]),
        ok("trailing blanks unquoted dropped", "KEY=b  \t", &[("KEY", "b", 1)]),
        bad("text after multi-line closing quote", "KEY=\"a\nb\" c\nD=1", &[("D", "1", 3)], &[(1, "unexpected text after the closing quote (on line 2)")]),
        bad("backtick quoted", "KEY=`abc`", &[], &[(1, "backtick quotes are not supported")]),
        bad(
            "backtick quoted, with a # inside",
            "PASS=`p@ss #1`\nB=2",
            &[("B", "2", 2)],
            &[(1, "backtick quotes are not supported")],
        ),
        bad(
            "backtick quoted, then a comment",
            "K=`a #b` # c",
            &[],
            &[(1, "backtick quotes are not supported")],
        ),
        bad(
            "backtick opening a multi-line value",
            "MULTI=`line1\nLINE2=x`\n",
            &[("LINE2", "x`", 2)],
            &[(1, "backtick quotes are not supported")],
        ),
        bad("BOM inside the file", "A=1\n\u{feff}B=2", &[("A", "1", 1)], &[(2, "byte order mark")]),
        // --- encoding errors
        bytes("invalid UTF-8", b"A=\xff\nB=2\n", &[("B", "2", 2)], &[(1, "invalid UTF-8")]),
        bytes("invalid UTF-8 in a comment", b"# caf\xe9\nB=2", &[("B", "2", 2)], &[(1, "invalid UTF-8")]),
        bytes("truncated UTF-8 sequence", b"A=\xe2\x82\n", &[], &[(1, "invalid UTF-8")]),
        bytes("NUL byte", b"A=x\0y\nB=2", &[("B", "2", 2)], &[(1, "NUL byte")]),
        bytes("NUL in a comment", b"#\0\nB=2", &[("B", "2", 2)], &[(1, "NUL byte")]),
        bytes("invalid UTF-8 inside a multi-line value", b"A=\"x\n\xff\ny\"\nB=1", &[("B", "1", 4)], &[(2, "invalid UTF-8")]),
        bytes("every bad line reported", b"A=\xff\nB=\xfe\nC=\0\nD=ok", &[("D", "ok", 4)], &[(1, "invalid UTF-8"), (2, "invalid UTF-8"), (3, "NUL byte")]),
        bytes("UTF-16 LE", b"\xff\xfeA\x00=\x001\x00", &[], &[(1, "UTF-16")]),
        bytes("UTF-16 BE", b"\xfe\xff\x00A\x00=\x001", &[], &[(1, "UTF-16")]),
        // --- several errors in one file
        bad("several errors on the right lines", "A=1\nbad line\nB='x\n=y\nC=\"q\" z\nD=4\n1X=2\nE=\"e\nF=6", &[("A", "1", 1), ("D", "4", 6), ("F", "6", 9)], &[(2, NO_EQ), (3, "unterminated single quote"), (4, "missing key"), (5, "unexpected text after the closing quote"), (7, "invalid key \"1X\""), (8, "unterminated double quote")]),
        bad("unquoted PEM: every continuation line is an error", "KEY=-----BEGIN KEY-----\nMIIBVwIBADANBgkq+hkiG9w0B\n-----END KEY-----\n", &[("KEY", "-----BEGIN KEY-----", 1)], &[(2, NO_EQ), (3, NO_EQ)]),
    ];

    fn check(case: &Case) {
        let parsed = parse(case.input);
        let got: Vec<(&str, &str, usize)> = parsed
            .entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str(), e.line))
            .collect();
        assert_eq!(got, case.entries, "entries of case {:?}", case.name);
        let got_err: Vec<(usize, &str)> = parsed
            .errors
            .iter()
            .map(|e| (e.line, e.reason.as_str()))
            .collect();
        assert_eq!(
            got_err.len(),
            case.errors.len(),
            "errors of case {:?}: {got_err:?}",
            case.name
        );
        for ((line, reason), (want_line, want)) in got_err.iter().zip(case.errors) {
            assert_eq!(
                line, want_line,
                "error line in case {:?}: {reason}",
                case.name
            );
            assert!(
                reason.contains(want),
                "case {:?}: reason {reason:?} lacks {want:?}",
                case.name
            );
        }
    }

    #[test]
    fn table() {
        assert!(CASES.len() >= 60, "only {} cases", CASES.len());
        for case in CASES {
            check(case);
        }
    }

    #[test]
    fn table_inputs_round_trip_through_quote_dotenv() {
        // Every value the table accepts can be written back and read again.
        for case in CASES {
            for (key, value, _) in case.entries {
                let file = format!("{key}={}\n", quote_dotenv(value));
                let parsed = parse(file.as_bytes());
                assert!(parsed.errors.is_empty(), "{file:?}: {:?}", parsed.errors);
                assert_eq!(parsed.entries[0].value.as_str(), *value, "{file:?}");
            }
        }
    }

    fn entries(input: &str) -> Vec<(String, String, usize)> {
        let parsed = parse(input.as_bytes());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        parsed
            .entries
            .iter()
            .map(|e| (e.key.clone(), e.value.to_string(), e.line))
            .collect()
    }

    fn kv(list: &[(&str, &str, usize)]) -> Vec<(String, String, usize)> {
        list.iter()
            .map(|(k, v, l)| ((*k).to_owned(), (*v).to_owned(), *l))
            .collect()
    }

    #[test]
    fn real_world_node_style() {
        let file = "\
# Application
NODE_ENV=development
PORT=3000 # dev server

# Database
DATABASE_URL=postgres://app:p%40ss@localhost:5432/app_dev?sslmode=disable
REDIS_URL=redis://localhost:6379/0

# Third parties
STRIPE_SECRET_KEY=sk_test_51H8xYZabc
SENTRY_DSN=\"https://abc123@o1.ingest.sentry.io/42\"
FEATURE_FLAGS='{\"newCheckout\": true, \"beta\": [\"a\", \"b#c\"]}'
GREETING=\"Hello, ${USER}!\"
EMPTY=
";
        assert_eq!(
            entries(file),
            kv(&[
                ("NODE_ENV", "development", 2),
                ("PORT", "3000", 3),
                (
                    "DATABASE_URL",
                    "postgres://app:p%40ss@localhost:5432/app_dev?sslmode=disable",
                    6
                ),
                ("REDIS_URL", "redis://localhost:6379/0", 7),
                ("STRIPE_SECRET_KEY", "sk_test_51H8xYZabc", 10),
                ("SENTRY_DSN", "https://abc123@o1.ingest.sentry.io/42", 11),
                (
                    "FEATURE_FLAGS",
                    r#"{"newCheckout": true, "beta": ["a", "b#c"]}"#,
                    12
                ),
                ("GREETING", "Hello, ${USER}!", 13),
                ("EMPTY", "", 14),
            ])
        );
    }

    #[test]
    fn real_world_rails_style_crlf() {
        let file = "export RAILS_ENV=production\r\n\
                    export SECRET_KEY_BASE=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\r\n\
                    \r\n\
                    # SMTP\r\n\
                    export SMTP_PASSWORD='pa$$w0rd with spaces'\r\n\
                    export SMTP_FROM=\"Shop <noreply@example.com>\"\r\n";
        assert_eq!(
            entries(file),
            kv(&[
                ("RAILS_ENV", "production", 1),
                (
                    "SECRET_KEY_BASE",
                    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                    2
                ),
                ("SMTP_PASSWORD", "pa$$w0rd with spaces", 5),
                ("SMTP_FROM", "Shop <noreply@example.com>", 6),
            ])
        );
    }

    #[test]
    fn real_world_django_style() {
        let file = "\
DEBUG=False
SECRET_KEY='django-insecure-^k#2x!q(=r$e8+z@w'
ALLOWED_HOSTS=example.com,www.example.com
DATABASE_URL = \"postgres://u:p@db:5432/site\"   # compose service
EMAIL_HOST_PASSWORD=\"quote\\\"inside\"
";
        assert_eq!(
            entries(file),
            kv(&[
                ("DEBUG", "False", 1),
                ("SECRET_KEY", "django-insecure-^k#2x!q(=r$e8+z@w", 2),
                ("ALLOWED_HOSTS", "example.com,www.example.com", 3),
                ("DATABASE_URL", "postgres://u:p@db:5432/site", 4),
                ("EMAIL_HOST_PASSWORD", "quote\"inside", 5),
            ])
        );
    }

    #[test]
    fn real_world_pem_in_double_quotes() {
        let pem = "-----BEGIN PRIVATE KEY-----\n\
                   MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n\
                   MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n\
                   -----END PRIVATE KEY-----";
        for eol in ["\n", "\r\n"] {
            let file = format!("# TLS\nAPP=1\nTLS_KEY=\"{pem}\"\nAFTER=2\n").replace('\n', eol);
            assert_eq!(
                entries(&file),
                kv(&[("APP", "1", 2), ("TLS_KEY", pem, 3), ("AFTER", "2", 7)]),
                "line ending {eol:?}"
            );
        }
        // And written back as a single-quoted multi-line value.
        let quoted = quote_dotenv(pem);
        assert!(quoted.starts_with('\'') && quoted.contains('\n'));
    }

    #[test]
    fn reasons_never_contain_values() {
        let marker = "s3cr3tZ";
        let lines = [
            format!("A=\"{marker}"),
            format!("B=\"{marker}\" {marker}"),
            format!("C='{marker}'{marker}"),
            marker.to_owned(),
            format!("+{marker}/=="),
            format!("D=`{marker}`"),
            format!("E={marker}\u{0}"),
            format!("F=\"{marker}\n{marker}\" {marker}"),
        ];
        let mut file = lines.join("\n").into_bytes();
        file.extend_from_slice(b"\nG=\xff");
        file.extend_from_slice(marker.as_bytes());
        let parsed = parse(&file);
        assert!(parsed.errors.len() >= lines.len());
        for e in &parsed.errors {
            assert!(!e.reason.contains(marker), "{e:?}");
            assert!(!e.reason.contains("s3cr"), "{e:?}");
        }
        assert!(parsed.entries.is_empty(), "{:?}", parsed.entries);
    }

    #[test]
    fn entry_debug_redacts_the_value() {
        let parsed = parse(b"TOKEN=hunter2-very-secret\n");
        let shown = format!(
            "{:?} {:#?} {:?}",
            parsed.entries[0], parsed.entries[0], parsed
        );
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(
            shown.contains("<redacted>") && shown.contains("TOKEN"),
            "{shown}"
        );
    }

    #[test]
    fn only_keys_that_look_typed_are_shown() {
        for k in ["db.url", "api-key", "1KEY", "CLÉ", "Api_Key"] {
            assert!(showable_key(k), "{k}");
        }
        for k in [
            "SeCrEtZ9abcdef",                            // base64: both cases and digits
            "sk-ant-SeCrEtZ9-abcdef0123",                // a token
            "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", // over 40 characters
            "a+b/c",
            "p@ss",
            "deadbeefc0ffee0123456789abcdef42",     // a hex key
            "123e4567-e89b-12d3-a456-426614174000", // a UUID
            "correct horse battery",                // words: maybe a passphrase
        ] {
            assert!(!showable_key(k), "{k}");
        }
    }

    #[test]
    fn quote_dotenv_prefers_readable_forms() {
        let table = [
            ("", ""),
            ("plain", "plain"),
            ("sk-abc_123.x/y:z@h%2B+,=", "sk-abc_123.x/y:z@h%2B+,="),
            ("two words", "'two words'"),
            ("$HOME", "'$HOME'"),
            ("a#b", "'a#b'"),
            ("tab\there", "'tab\there'"),
            ("line\nbreak", "'line\nbreak'"),
            ("back\\slash", "'back\\slash'"),
            ("say \"hi\"", "'say \"hi\"'"),
            ("it's", "\"it's\""),
            ("it's \"x\" \\ \n\t", "\"it's \\\"x\\\" \\\\ \\n\\t\""),
            ("cr\r", "\"cr\\r\""),
            ("é", "'é'"),
            ("~/x", "'~/x'"),
        ];
        for (value, want) in table {
            assert_eq!(quote_dotenv(value), want, "value {value:?}");
        }
    }

    #[test]
    fn quote_shell_forms() {
        assert_eq!(quote_shell(""), "''");
        assert_eq!(quote_shell("abc"), "'abc'");
        assert_eq!(quote_shell("it's"), "'it'\\''s'");
    }

    const NASTY: &[&str] = &[
        "",
        " ",
        "plain",
        "  leading and trailing  ",
        "it's",
        "'",
        "''''",
        "\"double\"",
        "$HOME ${HOME} $(id) `id` $((1+1))",
        "\\",
        "back\\slash\\",
        "tab\there",
        "new\nline\n",
        "\n",
        "cr\rlf\r\n",
        "# not a comment",
        "a #b",
        "!event ~tilde *glob ?q [x] {a,b} ;&|<>()",
        "héllo 日本語 🔑",
        "-n",
        "-e \\n",
        "%s %d",
        "=",
        "\u{7}\u{1b}[31mred\u{1b}[0m",
    ];

    /// Run `export K=<quoted>` in /bin/sh and return what `$K` holds.
    fn through_sh(value: &str) -> Vec<u8> {
        let script = format!("export K={}; printf %s \"$K\"", quote_shell(value));
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .output()
            .expect("run /bin/sh");
        assert!(
            out.status.success(),
            "{:?}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    #[test]
    fn quote_shell_through_real_sh() {
        for value in NASTY {
            assert_eq!(through_sh(value), value.as_bytes(), "value {value:?}");
        }
    }

    #[test]
    fn quote_dotenv_nasty_values() {
        for value in NASTY {
            let file = format!("K={}\n", quote_dotenv(value));
            let parsed = parse(file.as_bytes());
            assert!(parsed.errors.is_empty(), "{file:?}: {:?}", parsed.errors);
            assert_eq!(parsed.entries.len(), 1, "{file:?}");
            assert_eq!(parsed.entries[0].value.as_str(), *value, "{file:?}");
        }
    }

    #[test]
    fn ten_thousand_lines_parse_quickly() {
        let mut file = String::new();
        for i in 0..10_000 {
            match i % 5 {
                0 => file.push_str(&format!("KEY_{i}=value-{i}-abcdefghijklmnop # note\n")),
                1 => file.push_str(&format!("export KEY_{i}='single {i} quoted'\n")),
                2 => file.push_str(&format!("KEY_{i}=\"double\\n{i}\\t\"\n")),
                3 => file.push_str("# a comment line\n"),
                _ => file.push_str(&format!("KEY_{i} = sk-{i:0>40}\n")),
            }
        }
        let start = std::time::Instant::now();
        let parsed = parse(file.as_bytes());
        let took = start.elapsed();
        assert!(parsed.errors.is_empty());
        assert_eq!(parsed.entries.len(), 8_000);
        // Generous: debug builds are ~10x slower than release (about 1 ms there).
        assert!(took.as_millis() < 500, "took {took:?}");
    }

    /// Shapes that would make a careless parser quadratic: one huge line,
    /// very many lines, lone-CR endings, runs of quotes and backslashes, many
    /// bad lines. A quadratic pass over any of them would take hours.
    #[test]
    fn big_inputs_parse_in_linear_time() {
        let mib = 1 << 20;
        let huge_line = format!("K={}\n", "x #".repeat(2 * mib / 3));
        let many_lines = "A=1\n".repeat(mib / 4);
        let old_mac = "A=1\r".repeat(mib / 4);
        let quotes = format!("K=\"{}", "\\\"".repeat(mib));
        let singles = format!("K='{}", "'\\''".repeat(mib / 2));
        let bad_lines = "not a line\n".repeat(mib / 8);
        let unterminated = "A=\"\nB='\n".repeat(mib / 8);
        for (what, input) in [
            ("one 2 MiB line", huge_line),
            ("a million lines", many_lines),
            ("lone CR endings", old_mac),
            ("escaped double quotes", quotes),
            ("shell quotes", singles),
            ("bad lines", bad_lines),
            ("unterminated quotes", unterminated),
        ] {
            let start = std::time::Instant::now();
            let parsed = parse(input.as_bytes());
            let took = start.elapsed();
            assert!(parsed.entries.len() + parsed.errors.len() > 0, "{what}");
            // Linear in a debug build is well under a second per MiB.
            assert!(took.as_secs() < 10, "{what}: {took:?}");
        }
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        /// Characters that stress the grammar, mixed with arbitrary ones.
        fn nasty_char() -> impl Strategy<Value = char> {
            prop_oneof![
                3 => prop::sample::select(vec![
                    '\'', '"', '\\', '#', '$', '{', '}', '=', '`', ' ', '\t', '\n', '\r',
                    'n', 'r', 't', 'e', 'x', 'p', 'o', '\u{feff}', '\u{a0}', 'é', '🔑',
                ]),
                1 => any::<char>().prop_filter("no NUL", |c| *c != '\0'),
            ]
        }

        fn value() -> impl Strategy<Value = String> {
            prop::collection::vec(nasty_char(), 0..48).prop_map(|cs| cs.into_iter().collect())
        }

        fn key() -> impl Strategy<Value = String> {
            "[A-Za-z_][A-Za-z0-9_.-]{0,12}"
        }

        /// Bytes biased towards the grammar's structural characters.
        fn structured_bytes() -> impl Strategy<Value = Vec<u8>> {
            prop::collection::vec(
                prop_oneof![
                    4 => prop::sample::select(b"'\"\\#= \t\r\nAZexport`\xef\xbb\xbf\xff\x00".to_vec()),
                    1 => any::<u8>(),
                ],
                0..256,
            )
        }

        proptest! {
            #[test]
            fn never_panics_on_arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..512)) {
                let parsed = parse(&input);
                prop_assert!(parsed.errors.windows(2).all(|w| w[0].line <= w[1].line));
            }

            #[test]
            fn never_panics_on_structured_bytes(input in structured_bytes()) {
                let parsed = parse(&input);
                let lines = line_breaks(&input) + 1;
                for e in &parsed.errors {
                    prop_assert!(e.line >= 1 && e.line <= lines, "{:?}", e);
                }
                for e in &parsed.entries {
                    prop_assert!(e.line >= 1 && e.line <= lines, "{:?}", e);
                    prop_assert!(!e.value.contains('\0'));
                }
            }

            #[test]
            fn shell_export_round_trips(v in value()) {
                // `vault export --format shell` output imports back exactly,
                // but for CRLF inside quotes, which reads as a line ending.
                prop_assume!(!v.contains("\r\n"));
                let file = format!("export K={}\nNEXT=1\n", quote_shell(&v));
                let parsed = parse(file.as_bytes());
                prop_assert!(parsed.errors.is_empty(), "{:?} {:?}", file, parsed.errors);
                prop_assert_eq!(parsed.entries.len(), 2);
                prop_assert_eq!(parsed.entries[0].value.as_str(), v.as_str());
            }

            #[test]
            fn quote_dotenv_round_trips(v in value()) {
                let file = format!("K={}\n", quote_dotenv(&v));
                let parsed = parse(file.as_bytes());
                prop_assert!(parsed.errors.is_empty(), "{:?} {:?}", file, parsed.errors);
                prop_assert_eq!(parsed.entries.len(), 1);
                prop_assert_eq!(parsed.entries[0].value.as_str(), v.as_str());
            }

            #[test]
            fn quote_dotenv_round_trips_any_string(v in "[^\u{0}]*") {
                let file = format!("K={}", quote_dotenv(&v));
                let parsed = parse(file.as_bytes());
                prop_assert!(parsed.errors.is_empty(), "{:?} {:?}", file, parsed.errors);
                prop_assert_eq!(parsed.entries[0].value.as_str(), v.as_str());
            }

            #[test]
            fn many_entries_round_trip(
                pairs in prop::collection::vec((key(), value()), 0..12),
                eol in prop::sample::select(vec!["\n", "\r\n", "\r"]),
                export in any::<bool>(),
                comments in any::<bool>(),
            ) {
                let mut file = String::from("\u{feff}");
                let mut want = Vec::new();
                let mut line = 1;
                for (k, v) in &pairs {
                    if comments {
                        file.push_str("# comment 'with\" quotes\\");
                        file.push_str(eol);
                        file.push_str(eol);
                        line += 2;
                    }
                    let quoted = quote_dotenv(v);
                    let prefix = if export { "export " } else { "" };
                    file.push_str(&format!("{prefix}{k} = {quoted}"));
                    file.push_str(eol);
                    want.push((k.clone(), v.clone(), line));
                    line += 1 + quoted.matches('\n').count();
                }
                let parsed = parse(file.as_bytes());
                prop_assert!(parsed.errors.is_empty(), "{:?} {:?}", file, parsed.errors);
                let got: Vec<(String, String, usize)> = parsed
                    .entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_string(), e.line))
                    .collect();
                prop_assert_eq!(got, want);
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            #[test]
            fn quote_shell_through_real_sh(v in value()) {
                prop_assert_eq!(super::through_sh(&v), v.as_bytes().to_vec());
            }
        }
    }
}
