//! `vault.toml`: the secrets a program declares. Pure parsing, no I/O.
//!
//! ```toml
//! [[secrets]]
//! name = "OPENAI_API_KEY"
//! description = "model calls"
//!
//! [[secrets]]
//! name = "SENTRY_DSN"
//! optional = true          # or: required = false
//! ```
//! Unknown keys are errors (a typo like `optinal = true` must not silently
//! make a secret required or optional), and so are `required` and
//! `optional` saying opposite things. Parsing is linear in the file's size
//! (which the caller bounds by [`MAX_BYTES`]): no per-entry rescans.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model;

/// The largest manifest vault reads: ample for tens of thousands of names,
/// small enough that a wrong file (a log, a dump) is refused at once.
pub const MAX_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub name: String,
    pub optional: bool,
    pub description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    secrets: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: toml::Spanned<String>,
    #[serde(default)]
    optional: Option<toml::Spanned<bool>>,
    #[serde(default)]
    required: Option<toml::Spanned<bool>>,
    #[serde(default)]
    description: Option<String>,
}

/// `message` with the text inside every pair of double quotes withheld.
fn hide_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '"' {
            if !inside {
                out.push_str("\"(not shown)");
            } else {
                out.push('"');
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

/// Parse a manifest; errors read `FILE:LINE: reason` (exit 7).
pub fn parse(text: &str, file: &str) -> Result<Vec<Declared>> {
    // Offsets of every newline, once: an offset's line is a binary search.
    let newlines: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_of = |offset: usize| newlines.partition_point(|&nl| nl < offset) + 1;
    let parsed: File = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(s.start));
        // The parser quotes the text it rejects (`invalid type: string
        // "..."`), and a manifest may hold a value typed in the wrong
        // place: never echo a quoted string.
        let reason = hide_quoted(e.message().trim());
        Error::invalid(format!("{file}:{line}: {reason}"))
            .hint("a manifest is a list of [[secrets]] tables with name = \"NAME\" and required = true|false (or optional = true|false)")
    })?;
    let mut out: Vec<Declared> = Vec::with_capacity(parsed.secrets.len());
    let mut first_line: BTreeMap<String, usize> = BTreeMap::new();
    for s in parsed.secrets {
        let line = line_of(s.name.span().start);
        let name = s.name.into_inner();
        if let Err(e) = model::check_secret_name(&name) {
            // The name rule's own hints speak of `vault set`; not here.
            return Err(Error::invalid(format!("{file}:{line}: {}", e.message()))
                .hint("use the secret's name as `vault list` shows it"));
        }
        if let Some(first) = first_line.get(&name) {
            return Err(Error::invalid(format!(
                "{file}:{line}: {name} is declared twice (first on line {first})"
            ))
            .hint("keep one [[secrets]] entry per name"));
        }
        let optional = match (&s.optional, &s.required) {
            (Some(o), Some(r)) if *o.get_ref() == *r.get_ref() => {
                let at = line_of(o.span().start.max(r.span().start));
                return Err(Error::invalid(format!(
                    "{file}:{at}: {name} says both optional = {} and required = {}",
                    o.get_ref(),
                    r.get_ref()
                ))
                .hint("keep one of the two: required = true|false"));
            }
            (Some(o), _) => *o.get_ref(),
            (None, Some(r)) => !*r.get_ref(),
            (None, None) => false,
        };
        first_line.insert(name.clone(), line);
        out.push(Declared {
            name,
            optional,
            description: s.description,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {

    // See: a review of this change: a value typed where a flag goes was
    // echoed by the TOML parser's message.
    #[test]
    fn a_string_in_the_wrong_place_is_never_echoed() {
        let text = "[[secrets]]\nname = \"S\"\noptional = \"sk-s3cr3tTOKENvalue\"\n";
        let e = parse(text, "vault.toml").unwrap_err();
        assert!(!e.message().contains("s3cr3t"), "{}", e.message());
        assert!(e.message().contains("vault.toml:3"), "{}", e.message());
        assert_eq!(hide_quoted("a \"b\" c"), "a \"(not shown)\" c");
    }

    use super::*;

    #[test]
    fn parses_required_and_optional() {
        let m = parse(
            "[[secrets]]\nname = \"OPENAI_API_KEY\"\ndescription = \"model calls\"\n\n[[secrets]]\nname = \"SENTRY_DSN\"\noptional = true\n",
            "vault.toml",
        )
        .unwrap();
        assert_eq!(m.len(), 2);
        assert!(!m[0].optional);
        assert!(m[1].optional);
        assert_eq!(m[0].description.as_deref(), Some("model calls"));
    }

    #[test]
    fn empty_manifest_declares_nothing() {
        assert!(parse("", "vault.toml").unwrap().is_empty());
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = parse("[[secrets]]\nname = \"A\"\noptinal = true\n", "vault.toml").unwrap_err();
        assert_eq!(e.exit_code(), 7);
        assert!(e.message().starts_with("vault.toml:3:"), "{}", e.message());
        let e = parse("[[secrets]]\nname = \"A\n", "m.toml").unwrap_err();
        assert!(e.message().starts_with("m.toml:2:"), "{}", e.message());
        let e = parse(
            "[[secrets]]\nname = \"A\"\n\n[[secrets]]\nname = \"bad-name\"\n",
            "m.toml",
        )
        .unwrap_err();
        assert!(e.message().starts_with("m.toml:5:"), "{}", e.message());
        let e = parse("[[secrets]]\noptional = true\n", "m.toml").unwrap_err();
        assert!(e.message().contains("name"), "{}", e.message());
        let e = parse(
            "[[secrets]]\nname = \"A\"\n[[secrets]]\nname = \"A\"\n",
            "m.toml",
        )
        .unwrap_err();
        assert!(
            e.message()
                .starts_with("m.toml:4: A is declared twice (first on line 2)"),
            "{}",
            e.message()
        );
    }

    // See: issue 17 item 26
    #[test]
    fn required_is_the_opposite_of_optional_and_a_contradiction_names_its_line() {
        let m = parse(
            "[[secrets]]\nname = \"A\"\nrequired = true\n[[secrets]]\nname = \"B\"\nrequired = false\n[[secrets]]\nname = \"C\"\noptional = false\nrequired = true\n",
            "m.toml",
        )
        .unwrap();
        let optional: Vec<bool> = m.iter().map(|d| d.optional).collect();
        assert_eq!(optional, [false, true, false]);
        let e = parse(
            "[[secrets]]\nname = \"A\"\noptional = true\nrequired = true\n",
            "m.toml",
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 7);
        assert!(
            e.message().starts_with("m.toml:4: A says both"),
            "{}",
            e.message()
        );
    }

    // See: issue 17 item 11
    #[test]
    fn a_large_manifest_parses_in_linear_time() {
        let n = 20_000;
        let text: String = (0..n)
            .map(|i| format!("[[secrets]]\nname = \"SECRET_{i}\"\n"))
            .collect();
        let start = std::time::Instant::now();
        let m = parse(&text, "big.toml").unwrap();
        assert_eq!(m.len(), n);
        // Was 9 s (a rescan per entry); linear is well under a second even
        // in a debug build on a busy machine.
        assert!(start.elapsed() < std::time::Duration::from_secs(3));
        let dup = format!("{text}[[secrets]]\nname = \"SECRET_7\"\n");
        let e = parse(&dup, "big.toml").unwrap_err();
        assert!(
            e.message().starts_with(&format!(
                "big.toml:{}: SECRET_7 is declared twice (first on line 16)",
                2 * n + 2
            )),
            "{}",
            e.message()
        );
    }
}
