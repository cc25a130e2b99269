//! Whether user text may be quoted back in a message, and how text from
//! outside (a database, a file) is escaped for a terminal. A pure leaf (no
//! crate imports): the .env parser, the name rules and every printer ask
//! it, and the fuzz target in `fuzz/` pulls it in by path beside
//! `dotenv.rs`.

/// Whether a string that failed a name rule may be quoted back in an error:
/// only when it looks like a name someone typed (`db.url`, `api-key`, `1KEY`,
/// `CLÉ`). Letters of both cases mixed with digits, or any other punctuation,
/// look like a token or a piece of base64 that lost its place, so such a
/// string is never echoed.
pub fn looks_typed(s: &str) -> bool {
    let base64_like = s.chars().any(|c| c.is_lowercase())
        && s.chars().any(|c| c.is_uppercase())
        && s.chars().any(|c| c.is_ascii_digit());
    // Hex keys, UUIDs and long unbroken runs are tokens, not typos; words
    // with spaces may be a passphrase.
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let longest_run = s
        .split(|c: char| !c.is_alphanumeric())
        .map(|w| w.chars().count())
        .max()
        .unwrap_or(0);
    !s.is_empty()
        && s.chars().count() <= 64
        && !base64_like
        && digits < 8
        && longest_run <= 24
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Characters that change how a terminal shows the text around them:
/// controls (C0, DEL, C1: escape sequences, OSC 52 clipboard writes, a
/// carriage return that overprints), the bidirectional overrides, isolates
/// and marks (a name or description that reads differently than it is),
/// and the line and paragraph separators.
pub fn is_unsafe_for_display(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'
        )
}

/// Escape what could drive or deceive a terminal (and nothing else) for
/// display: every string vault shows from the database goes through this
/// (or `model::secret_name` / `model::agent_name`), since the file may have been
/// edited outside vault.
pub fn escape(s: &str) -> String {
    if !s.chars().any(is_unsafe_for_display) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe_for_display(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
