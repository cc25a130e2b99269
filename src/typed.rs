//! Whether user text may be quoted back in a message. A pure leaf (no
//! crate imports): the .env parser and the name rules both ask it, and the
//! fuzz target in `fuzz/` pulls it in by path beside `dotenv.rs`.

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
