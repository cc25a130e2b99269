//! `vault export --format json` and reading it back in `vault import`.
//!
//! The document carries, for each secret, what a dotenv file cannot: kind,
//! scope, description, provider and the agents it is granted to, plus the
//! agents themselves, so that importing it into a fresh vault gives the same
//! secrets to the same audience (a dotenv file restores values only, and its
//! import makes everything a global secret). Reading also accepts a plain
//! object of `"NAME": "value"` strings (values only, like a dotenv file).
//! A reason never contains a value: serde_json's data errors can quote the
//! input, so only its syntax errors are shown, and the walk writes its own.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::commands::providers::check_provider;
use crate::dotenv;
use crate::error::{Error, Result};
use crate::model::{self, Kind, Scope};
use crate::vault::{ExportedAgent, ExportedSecret, ImportMeta};

/// The `format` field of the document.
pub const FORMAT: &str = "vault-export";
/// The `version` field: bumped when a field changes meaning.
pub const VERSION: u64 = 1;

/// What the document says about a secret beyond its value.
pub type Meta = ImportMeta;

/// One secret read from the document; `at` is its 1-based position.
pub struct Item {
    pub key: String,
    pub value: Zeroizing<String>,
    pub at: usize,
    /// `None` for a plain `{"NAME": "value"}` object.
    pub meta: Option<Meta>,
}

#[derive(Default)]
pub struct Doc {
    pub items: Vec<Item>,
    /// The document's agents: (name, description).
    pub agents: Vec<(String, String)>,
    /// Bad entries: (position, reason); a reason never holds a value.
    pub errors: Vec<(usize, String)>,
}

/// Whether `bytes` hold JSON rather than a .env file: a .env line never
/// starts with `{`.
pub fn looks_like_json(bytes: &[u8]) -> bool {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    b.iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'{')
}

fn not_an_export(file: &str, what: &str) -> Error {
    Error::invalid(format!(
        "{file}: {what}; nothing was imported"
    ))
    .hint("vault imports a .env file, the output of `vault export --format json` ({\"format\": \"vault-export\", \"secrets\": [...]}), or a JSON object of \"NAME\": \"value\" strings")
}

/// Read the document. Whole-file problems are an error; bad entries are
/// collected in [`Doc::errors`] so that every one is reported at once.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Doc> {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let top: Value = match serde_json::from_slice(b) {
        Ok(v) => v,
        Err(e) => {
            let what = match e.classify() {
                // Syntax messages are fixed texts ("expected `,` or `}`"),
                // never a piece of the input.
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                    format!("invalid JSON: {e}")
                }
                _ => format!("invalid JSON at line {} column {}", e.line(), e.column()),
            };
            return Err(not_an_export(file, &what));
        }
    };
    let Value::Object(mut top) = top else {
        return Err(not_an_export(file, "the JSON is not an object"));
    };
    let mut doc = Doc::default();
    let Some(secrets) = top.remove("secrets") else {
        // A plain {"NAME": "value"} object: values only.
        for (i, (key, value)) in top.into_iter().enumerate() {
            let at = i.saturating_add(1);
            match value {
                Value::String(s) => doc.items.push(Item {
                    key,
                    value: Zeroizing::new(s),
                    at,
                    meta: None,
                }),
                other => {
                    drop(other);
                    doc.errors.push((
                        at,
                        format!("{}: the value must be a string", key_shown(&key)),
                    ));
                }
            }
        }
        return Ok(doc);
    };
    if let Some(f) = top.get("format") {
        if f.as_str() != Some(FORMAT) {
            return Err(not_an_export(
                file,
                "the \"format\" field is not \"vault-export\"",
            ));
        }
    }
    match top.get("version").map(Value::as_u64) {
        None | Some(Some(1)) => {}
        Some(Some(v)) if v > VERSION => {
            return Err(Error::invalid(format!(
                "{file} is a version {v} export, newer than this vault reads (version {VERSION}); nothing was imported"
            ))
            .hint("upgrade vault, then import again"))
        }
        Some(_) => return Err(not_an_export(file, "the \"version\" field is not 1")),
    }
    match top.remove("agents") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for a in list {
                let name = a.get("name").and_then(Value::as_str);
                let desc = a.get("description").and_then(Value::as_str).unwrap_or("");
                match name.map(|n| (n, model::check_agent_name(n))) {
                    Some((_, Ok(()))) if desc.contains('\0') => {
                        return Err(not_an_export(
                            file,
                            "an agent's \"description\" holds a NUL byte",
                        ))
                    }
                    Some((n, Ok(()))) => doc.agents.push((n.to_owned(), desc.to_owned())),
                    Some((_, Err(e))) => {
                        return Err(not_an_export(
                            file,
                            &format!("in \"agents\": {}", e.message()),
                        ))
                    }
                    None => {
                        return Err(not_an_export(
                            file,
                            "each of \"agents\" must be an object with a \"name\"",
                        ))
                    }
                }
            }
        }
        Some(_) => return Err(not_an_export(file, "\"agents\" must be a list")),
    }
    let Value::Array(secrets) = secrets else {
        return Err(not_an_export(file, "\"secrets\" must be a list"));
    };
    for (i, s) in secrets.into_iter().enumerate() {
        let at = i.saturating_add(1);
        match item(s, at) {
            Ok(it) => doc.items.push(it),
            Err(reason) => doc.errors.push((at, reason)),
        }
    }
    Ok(doc)
}

/// A key as it may appear in a reason.
fn key_shown(key: &str) -> String {
    if model::check_secret_name(key).is_ok() || dotenv::showable_key(key) {
        format!("{key:?}")
    } else {
        "a key (not shown: it may be part of a value)".to_owned()
    }
}

const FIELDS: &[&str] = &[
    "name",
    "value",
    "kind",
    "scope",
    "description",
    "provider",
    "agents",
];

fn item(entry: Value, at: usize) -> std::result::Result<Item, String> {
    let Value::Object(mut o) = entry else {
        return Err("each secret must be a JSON object".to_owned());
    };
    let key = match o.remove("name") {
        Some(Value::String(n)) => n,
        _ => return Err("\"name\" is missing or not a string".to_owned()),
    };
    let who = key_shown(&key);
    // An unknown field may be a misspelt one ("scpoe"): guessing its default
    // could widen who receives the secret, so it is an error.
    if let Some(f) = o.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        let f = if f.len() <= 40 && f.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            format!("{f:?}")
        } else {
            "(not shown)".to_owned()
        };
        return Err(format!(
            "{who}: unknown field {f} (the fields are {})",
            FIELDS.join(", ")
        ));
    }
    let value = match o.remove("value") {
        Some(Value::String(v)) => Zeroizing::new(v),
        Some(_) => return Err(format!("{who}: \"value\" must be a string")),
        None => return Err(format!("{who}: \"value\" is missing")),
    };
    let text = |field: &str| -> std::result::Result<Option<String>, String> {
        match o.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{who}: \"{field}\" must be a string")),
        }
    };
    let kind = match text("kind")?.as_deref() {
        None => Kind::Secret,
        Some(k) => Kind::parse(k)
            .ok_or_else(|| format!("{who}: \"kind\" must be \"secret\" or \"variable\""))?,
    };
    let scope = match text("scope")?.as_deref() {
        None => Scope::Global,
        Some(k) => Scope::parse(k)
            .ok_or_else(|| format!("{who}: \"scope\" must be \"global\" or \"agent\""))?,
    };
    let description = text("description")?.unwrap_or_default();
    if description.contains('\0') {
        return Err(format!("{who}: \"description\" holds a NUL byte"));
    }
    let provider = match text("provider")? {
        None => None,
        Some(p) => Some(check_provider(&p).map_err(|e| format!("{who}: {}", e.message()))?),
    };
    let mut agents = Vec::new();
    match o.get("agents") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for a in list {
                let Some(a) = a.as_str() else {
                    return Err(format!("{who}: \"agents\" must be a list of agent names"));
                };
                model::check_agent_name(a).map_err(|e| format!("{who}: {}", e.message()))?;
                agents.push(a.to_owned());
            }
        }
        Some(_) => return Err(format!("{who}: \"agents\" must be a list of agent names")),
    }
    Ok(Item {
        key,
        value,
        at,
        meta: Some(Meta {
            kind,
            scope,
            description,
            provider,
            agents,
        }),
    })
}

#[derive(Serialize)]
struct DocOut<'a> {
    format: &'static str,
    version: u64,
    note: &'static str,
    agents: Vec<AgentOut<'a>>,
    secrets: Vec<SecretOut<'a>>,
}

#[derive(Serialize)]
struct AgentOut<'a> {
    name: &'a str,
    description: &'a str,
}

#[derive(Serialize)]
struct SecretOut<'a> {
    name: &'a str,
    kind: &'static str,
    scope: &'static str,
    description: &'a str,
    provider: Option<&'a str>,
    agents: Vec<&'a str>,
    value: &'a str,
}

/// The export document, written straight into zeroed-on-drop memory.
/// `grants` are (agent, secret).
pub fn render(
    rows: &[ExportedSecret],
    agents: &[ExportedAgent],
    grants: &[(String, String)],
) -> Result<Zeroizing<Vec<u8>>> {
    let mut granted: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, s) in grants {
        granted.entry(s.as_str()).or_default().push(a.as_str());
    }
    let secrets: Vec<SecretOut<'_>> = rows
        .iter()
        .map(|r| SecretOut {
            name: &r.name,
            kind: r.kind.as_str(),
            scope: r.scope.as_str(),
            description: &r.description,
            provider: r.provider.as_deref(),
            agents: granted.remove(r.name.as_str()).unwrap_or_default(),
            value: r.value.as_str(),
        })
        .collect();
    let doc = DocOut {
        format: FORMAT,
        version: VERSION,
        note: "values in plain text: keep this file private; `vault import` restores it",
        agents: agents
            .iter()
            .map(|a| AgentOut {
                name: &a.name,
                description: &a.description,
            })
            .collect(),
        secrets,
    };
    // Sized up front so the buffer holding values never reallocates (which
    // would leave an unzeroed copy behind).
    let room = rows
        .iter()
        .map(|r| escaped_len(r.value.as_str()))
        .chain(rows.iter().map(|r| escaped_len(&r.description)))
        .chain(agents.iter().map(|a| escaped_len(&a.description)))
        .fold(4096usize, |sum, n| {
            sum.saturating_add(n).saturating_add(512)
        });
    let mut out = Zeroizing::new(Vec::with_capacity(room));
    serde_json::to_writer_pretty(&mut *out, &doc)
        .map_err(|e| Error::other(format!("cannot encode JSON: {e}")))?;
    out.push(b'\n');
    Ok(out)
}

/// The length of `s` as a JSON string body (serde_json's escapes).
fn escaped_len(s: &str) -> usize {
    s.bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .fold(0usize, usize::saturating_add)
}
