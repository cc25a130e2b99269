//! `vault.toml`: the secrets a program declares. Pure parsing, no I/O.
//!
//! ```toml
//! [[secrets]]
//! name = "OPENAI_API_KEY"
//! description = "model calls"
//!
//! [[secrets]]
//! name = "SENTRY_DSN"
//! optional = true
//! ```
//! Unknown keys are errors (a typo like `optinal = true` must not silently
//! make a secret required or optional).

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model;

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
    optional: bool,
    #[serde(default)]
    description: Option<String>,
}

/// Parse a manifest; errors read `FILE:LINE: reason` (exit 7).
pub fn parse(text: &str, file: &str) -> Result<Vec<Declared>> {
    let parsed: File = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text.get(..s.start).map_or(1, |t| t.matches('\n').count() + 1))
            .unwrap_or(1);
        let reason = e.message().trim().to_owned();
        Error::invalid(format!("{file}:{line}: {reason}"))
            .hint("a manifest is a list of [[secrets]] tables with name = \"NAME\" and optional = true|false")
    })?;
    let mut out: Vec<Declared> = Vec::with_capacity(parsed.secrets.len());
    let line_of = |offset: usize| {
        text.get(..offset)
            .map_or(1, |t| t.matches('\n').count() + 1)
    };
    let mut first_line: Vec<usize> = Vec::with_capacity(parsed.secrets.len());
    for s in parsed.secrets {
        let line = line_of(s.name.span().start);
        let name = s.name.into_inner();
        if let Err(e) = model::check_secret_name(&name) {
            // The name rule's own hints speak of `vault set`; not here.
            return Err(Error::invalid(format!("{file}:{line}: {}", e.message()))
                .hint("use the secret's name as `vault list` shows it"));
        }
        if let Some(i) = out.iter().position(|d| d.name == name) {
            let first = first_line.get(i).copied().unwrap_or(1);
            return Err(Error::invalid(format!(
                "{file}:{line}: {name} is declared twice (first on line {first})"
            ))
            .hint("keep one [[secrets]] entry per name"));
        }
        first_line.push(line);
        out.push(Declared {
            name,
            optional: s.optional,
            description: s.description,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
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
}
