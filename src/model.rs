//! Validated vocabulary of the vault: secret and agent names, values, kinds and
//! scopes, plus the "did you mean" helper used by not-found errors.
//!
//! Everything that reaches the store has passed through here. A plaintext value
//! lives in a [`SecretValue`], which is zeroed on drop and cannot be printed by
//! accident (its `Debug` prints `<redacted>`, it has no `Display`).

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Longest secret name (DESIGN §1).
pub const MAX_NAME_LEN: usize = 128;
/// Largest value in bytes (DESIGN §1).
pub const MAX_VALUE_LEN: usize = 64 * 1024;

/// A plaintext value: UTF-8, no NUL, at most [`MAX_VALUE_LEN`] bytes, zeroed on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(Zeroizing<String>);

impl SecretValue {
    /// Validate a value. The error names the rule, never the value.
    pub fn new(value: Zeroizing<String>) -> Result<SecretValue> {
        if value.len() > MAX_VALUE_LEN {
            return Err(Error::invalid(format!(
                "the value is {} bytes; values may be at most {MAX_VALUE_LEN} bytes (64 KiB)",
                value.len()
            ))
            .hint("store large files elsewhere and keep only a path or URL in the vault"));
        }
        if value.contains('\0') {
            return Err(Error::invalid(
                "the value contains a NUL byte, which no environment variable can hold",
            ));
        }
        Ok(SecretValue(value))
    }

    /// Validate raw bytes (stdin, a decrypted blob).
    pub fn from_bytes(bytes: Zeroizing<Vec<u8>>) -> Result<SecretValue> {
        match std::str::from_utf8(&bytes) {
            Ok(s) => SecretValue::new(Zeroizing::new(s.to_owned())),
            Err(_) => Err(Error::invalid("the value is not valid UTF-8 text")
                .hint("vault stores text; base64-encode binary data first")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `secret` values are encrypted and masked; `variable` values are plain config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Secret,
    Variable,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Secret => "secret",
            Kind::Variable => "variable",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "secret" => Some(Kind::Secret),
            "variable" => Some(Kind::Variable),
            _ => None,
        }
    }
}

/// `global` secrets reach every run; `agent` secrets only the agents they are granted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Agent,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Agent => "agent",
        }
    }
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "global" => Some(Scope::Global),
            "agent" => Some(Scope::Agent),
            _ => None,
        }
    }
}

/// What a run (for `agent`, or without one) receives: globals always,
/// agent-scoped secrets only when granted to that agent. Built once per
/// command, so each check is a set lookup rather than a scan of every grant
/// (10,000 secrets and 10,000 grants would otherwise cost 10^8 steps).
pub struct Receives<'g> {
    // A BTreeSet: a HashSet's random seed costs `vault run` a getrandom(2).
    granted: std::collections::BTreeSet<&'g str>,
}

impl<'g> Receives<'g> {
    pub fn new(agent: Option<&str>, grants: &'g [(String, String)]) -> Receives<'g> {
        let granted = match agent {
            Some(a) => grants
                .iter()
                .filter(|(ga, _)| ga == a)
                .map(|(_, s)| s.as_str())
                .collect(),
            None => std::collections::BTreeSet::new(),
        };
        Receives { granted }
    }

    pub fn secret(&self, name: &str, scope: Scope) -> bool {
        scope == Scope::Global || self.granted.contains(name)
    }
}

/// Check a secret name against `^[A-Z_][A-Z0-9_]*$`, at most 128 characters.
pub fn check_secret_name(name: &str) -> Result<()> {
    let valid_chars = name
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    let valid_start = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_uppercase() || b == b'_');
    if name.is_empty() {
        return Err(
            Error::invalid("the secret name is empty").hint("give a name such as OPENAI_API_KEY")
        );
    }
    if valid_chars && valid_start && name.len() > MAX_NAME_LEN {
        // Long but well-formed: the length is the problem, and saying so
        // needs no echo of a string that may be a token.
        return Err(Error::invalid(format!(
            "invalid secret name: it has {} characters, names have at most {MAX_NAME_LEN}",
            name.len()
        ))
        .hint("shorten it"));
    }
    if !valid_chars || !valid_start {
        let rule = format!(
            "names are 1-{MAX_NAME_LEN} characters of A-Z, 0-9 and _, not starting with a digit"
        );
        if name.contains('=') {
            // `vault set KEY=value`: the argument holds the value itself.
            return Err(Error::invalid(format!(
                "invalid secret name (not shown: it holds a '=', so it may carry a value); {rule}"
            ))
            .hint(
                "give the name and the value apart: vault set NAME VALUE, or pipe the value in",
            ));
        }
        if !looks_typed(name) {
            return Err(Error::invalid(format!(
                "invalid secret name (not shown: it looks like a token or part of a value); {rule}"
            ))
            .hint("check the order of the arguments: the name comes first, e.g. vault set OPENAI_API_KEY"));
        }
        let mut e = Error::invalid(format!("invalid secret name {}: {rule}", shown(name)));
        if let Some(fixed) = suggest_secret_name(name) {
            e = e.hint(format!("did you mean {fixed}?"));
        }
        return Err(e);
    }
    if let Some(why) = forbidden_name(name) {
        let hint = if name.starts_with(RESERVED_PREFIX) {
            "choose a name without the VAULT_ prefix (e.g. HCV_TOKEN, not VAULT_TOKEN) and rename it for the command that needs it: vault run -- sh -c 'VAULT_TOKEN=\"$HCV_TOKEN\" exec CMD'"
        } else {
            "vault never injects variables that change how programs load code"
        };
        return Err(Error::invalid(format!("{name} cannot be stored: {why}")).hint(hint));
    }
    Ok(())
}

pub use crate::typed::looks_typed;

/// A name as it may appear in a message: quoted when it looks like a name
/// someone typed, otherwise withheld (it may be a value typed in a name's
/// place: `vault get OPENAI_API_KEY=sk-...`, a hex key, a passphrase).
pub fn shown(name: &str) -> String {
    if looks_typed(name) {
        format!("\"{}\"", crate::typed::escape(name))
    } else {
        "(not shown: it looks like a value, not a name)".to_owned()
    }
}

/// Environment variables vault reads for itself: unlock material, where
/// the vault is, an agent's key. `vault run` removes them from the
/// command's environment, so no command ever receives them (DESIGN §4,
/// §7.1).
pub const OWN_ENV_VARS: &[&str] = &[
    "VAULT_KEY",
    "VAULT_PASSPHRASE",
    "VAULT_KEY_FILE",
    "VAULT_DIR",
    "VAULT_AGENT_KEY",
    "VAULT_AGENT_KEY_FILE",
    "VAULT_DATABASE_URL",
    "VAULT_DATABASE_CA",
];

/// The prefix of every variable vault reads for itself (`VAULT_KEY`,
/// `VAULT_PASSPHRASE`, `VAULT_DIR`, `VAULT_KEY_FILE`, and whatever later
/// versions add). The whole prefix is reserved, not a list: a list would
/// let a name through the day a new version starts reading it.
pub const RESERVED_PREFIX: &str = "VAULT_";

/// Names vault will never store or inject, whatever the user asks: loader
/// variables make the dynamic loader run code of the attacker's choosing;
/// `VAULT_*` names are vault's own settings, so a secret of that name would
/// steer (or unlock) a `vault` the command runs in turn.
pub fn forbidden_name(name: &str) -> Option<&'static str> {
    if name.starts_with(RESERVED_PREFIX) {
        Some("VAULT_* names are reserved for vault's own settings (VAULT_KEY, VAULT_PASSPHRASE, VAULT_DIR, VAULT_KEY_FILE, ...), which a vault started by the command would read")
    } else if name.starts_with("LD_") {
        Some("LD_* variables change how the dynamic loader loads code")
    } else if name.starts_with("DYLD_") {
        Some("DYLD_* variables change how the macOS loader loads code")
    } else {
        None
    }
}

/// Names that make a shell, interpreter or the C library load code or
/// configuration from a place of the setter's choosing: glibc's "unsecure"
/// list (beyond LD_*), and the start-up hooks of common interpreters. `set`
/// and `import` refuse them unless `--allow-code-loading-name` is given.
pub const CODE_LOADING_NAMES: &[&str] = &[
    // POSIX shells
    "PATH",
    "IFS",
    "ENV",
    "BASH_ENV",
    "SHELLOPTS",
    "BASHOPTS",
    "PS4",
    "PROMPT_COMMAND",
    "CDPATH",
    // glibc's unsecure environment variables (besides LD_*)
    "GCONV_PATH",
    "GETCONF_DIR",
    "HOSTALIASES",
    "LOCALDOMAIN",
    "LOCPATH",
    "MALLOC_TRACE",
    "NIS_PATH",
    "NLSPATH",
    "RESOLV_HOST_CONF",
    "RES_OPTIONS",
    "TMPDIR",
    "TZDIR",
    "MALLOC_ARENA_MAX",
    "GLIBC_TUNABLES",
    // interpreters
    "NODE_OPTIONS",
    "NODE_PATH",
    "PYTHONSTARTUP",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONINSPECT",
    "PYTHONUSERBASE",
    "PERL5OPT",
    "PERL5LIB",
    "PERLLIB",
    "PERL5DB",
    "RUBYOPT",
    "RUBYLIB",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "CLASSPATH",
    "GIT_EXEC_PATH",
    "GIT_SSH_COMMAND",
    "GIT_CONFIG_GLOBAL",
    "EDITOR",
    "VISUAL",
    "PAGER",
];

/// Whether `name` is one of [`CODE_LOADING_NAMES`].
pub fn is_code_loading_name(name: &str) -> bool {
    CODE_LOADING_NAMES.contains(&name)
}

/// Refuse a code-loading name unless explicitly allowed.
pub fn check_code_loading_name(name: &str, allowed: bool) -> Result<()> {
    if is_code_loading_name(name) && !allowed {
        return Err(Error::invalid(format!(
            "{name} can change what code programs load or how they start (a shell, an interpreter or the C library reads it), so vault does not store it by default"
        ))
        .hint("if you mean it, pass --allow-code-loading-name (docs/SECURITY.md lists these names)"));
    }
    Ok(())
}

/// `db.url` → `DB_URL`, `api-key` → `API_KEY`: the name a user most likely meant.
pub fn suggest_secret_name(name: &str) -> Option<String> {
    let mut out: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' => c.to_ascii_uppercase(),
            'A'..='Z' | '0'..='9' | '_' => c,
            '.' | '-' | ' ' | '/' | ':' => '_',
            _ => '\u{0}',
        })
        .collect();
    if out.contains('\u{0}') || out.is_empty() {
        return None;
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    (out != name && out.len() <= MAX_NAME_LEN).then_some(out)
}

/// Check an agent name against `^[a-z0-9][a-z0-9_-]*$` (at most 64 characters).
pub fn check_agent_name(name: &str) -> Result<()> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    let ok_start = name
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !ok_chars || !ok_start || name.len() > 64 {
        let mut e = Error::invalid(format!(
            "invalid agent name {}: agent names are 1-64 characters of a-z, 0-9, _ and -, starting with a letter or digit",
            shown(name)
        ));
        let lower = name.to_ascii_lowercase().replace([' ', '.'], "-");
        if looks_typed(name) && lower != name && check_agent_name(&lower).is_ok() {
            e = e.hint(format!("did you mean {lower}?"));
        }
        return Err(e);
    }
    Ok(())
}

/// Check an environment name: the rules of agent names (1-64 characters
/// of a-z, 0-9, _ and -, starting with a letter or digit).
pub fn check_env_name(name: &str) -> Result<()> {
    check_agent_name(name).map_err(|_| {
        let mut e = Error::invalid(format!(
            "invalid environment name {}: environment names are 1-64 characters of a-z, 0-9, _ and -, starting with a letter or digit",
            shown(name)
        ));
        let lower = name.to_ascii_lowercase().replace([' ', '.'], "-");
        if looks_typed(name) && lower != name && check_agent_name(&lower).is_ok() {
            e = e.hint(format!("did you mean {lower}?"));
        }
        e
    })
}

/// The closest candidate to `wanted`, if it is close enough to be a likely typo.
/// Case differences count as near: names are case-sensitive and users forget.
/// Otherwise at most one edit per five characters (at least one): two names
/// that merely share a suffix (`DATABASE_URL`, `API_BASE_URL`) are different
/// names, and suggesting one for the other sends the user the wrong way.
pub fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let w = wanted.to_ascii_lowercase();
    let limit = (wanted.chars().count() / 5).max(1);
    candidates
        .into_iter()
        .map(|c| (levenshtein(&w, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// Edit distance where swapping two neighbouring characters is one edit
/// (optimal string alignment): `opneai` is one typo away from `openai`.
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 0..a.len() {
        cur[0] = i + 1;
        for j in 0..b.len() {
            let sub = prev[j] + usize::from(a[i] != b[j]);
            let mut d = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Current time, RFC 3339 UTC to the second.
pub fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// A name read from the database, for display: as it is when it is a valid
/// name, else marked `<invalid name "…">` and escaped, so that a name
/// written outside vault can neither drive the terminal nor pass for a
/// real one.
fn checked_name(name: &str, valid: bool) -> String {
    if valid {
        name.to_owned()
    } else {
        let quoted: String = name.chars().flat_map(char::escape_debug).collect();
        format!("<invalid name \"{}\">", crate::typed::escape(&quoted))
    }
}

/// A secret name read from the database, for display.
pub fn secret_name(name: &str) -> String {
    checked_name(name, check_secret_name(name).is_ok())
}

/// An agent name read from the database, for display.
pub fn agent_name(name: &str) -> String {
    checked_name(name, check_agent_name(name).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_follow_the_contract() {
        for ok in ["A", "_", "OPENAI_API_KEY", "_X1", "A1_2"] {
            assert!(check_secret_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1A", "a", "OPENAI-KEY", "DB.URL", "ÄX", "A B", "A\n"] {
            let e = check_secret_name(bad).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{bad}");
        }
        assert!(check_secret_name(&"A".repeat(128)).is_ok());
        assert!(check_secret_name(&"A".repeat(129)).is_err());
    }

    #[test]
    fn loader_variables_are_refused() {
        assert_eq!(check_secret_name("LD_PRELOAD").unwrap_err().exit_code(), 7);
        assert_eq!(
            check_secret_name("DYLD_INSERT_LIBRARIES")
                .unwrap_err()
                .exit_code(),
            7
        );
        assert!(check_secret_name("OLD_PRELOAD").is_ok());
    }

    // See: issue 17 item 12b
    #[test]
    fn vault_own_names_are_reserved() {
        for n in [
            "VAULT_KEY",
            "VAULT_PASSPHRASE",
            "VAULT_DIR",
            "VAULT_X",
            "VAULT_",
        ] {
            let e = check_secret_name(n).unwrap_err();
            assert_eq!(e.exit_code(), 7, "{n}");
            assert!(e.hint_text().unwrap_or("").contains("VAULT_"), "{n}");
        }
        assert!(check_secret_name("MY_VAULT_KEY").is_ok());
        assert!(check_secret_name("VAULTKEY").is_ok());
    }

    #[test]
    fn name_suggestions() {
        assert_eq!(suggest_secret_name("db.url").as_deref(), Some("DB_URL"));
        assert_eq!(suggest_secret_name("api-key").as_deref(), Some("API_KEY"));
        assert_eq!(
            suggest_secret_name("1password").as_deref(),
            Some("_1PASSWORD")
        );
        assert_eq!(suggest_secret_name("OK"), None);
        assert_eq!(suggest_secret_name("ä"), None);
    }

    #[test]
    fn agent_names_follow_the_contract() {
        for ok in ["a", "support-bot", "bot_2", "9lives"] {
            assert!(check_agent_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "Support", "a b", "_a"] {
            assert_eq!(check_agent_name(bad).unwrap_err().exit_code(), 7, "{bad}");
        }
    }

    #[test]
    fn did_you_mean_finds_typos_and_case() {
        let names = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DB_URL"];
        assert_eq!(did_you_mean("OPENAI_APIKEY", names), Some("OPENAI_API_KEY"));
        assert_eq!(
            did_you_mean("openai_api_key", names),
            Some("OPENAI_API_KEY")
        );
        assert_eq!(did_you_mean("SOMETHING_ELSE", names), None);
    }

    // See: issue 17 item 26
    #[test]
    fn did_you_mean_does_not_suggest_names_that_only_share_a_suffix() {
        let names = ["API_BASE_URL", "OPENAI_API_KEY", "DB_URL", "GITHUB_TOKEN"];
        assert_eq!(did_you_mean("DATABASE_URL", names), None);
        assert_eq!(did_you_mean("DB_URI", names), Some("DB_URL"));
        assert_eq!(did_you_mean("GITHUB_TOKNE", names), Some("GITHUB_TOKEN"));
        assert_eq!(did_you_mean("api_base_url", names), Some("API_BASE_URL"));
        assert_eq!(did_you_mean("SLACK_TOKEN", names), None);
        assert_eq!(did_you_mean("AB", ["CD"]), None);
        assert_eq!(did_you_mean("opneai", ["openai", "venice"]), Some("openai"));
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("ab", "ba"), 1);
        assert_eq!(levenshtein("", "abc"), 3);
    }

    #[test]
    fn values_are_checked_and_never_printed() {
        let v = SecretValue::new(Zeroizing::new("sk-secret".into())).unwrap();
        assert_eq!(format!("{v:?}"), "<redacted>");
        let big = "x".repeat(MAX_VALUE_LEN + 1);
        let e = SecretValue::new(Zeroizing::new(big)).unwrap_err();
        assert_eq!(e.exit_code(), 7);
        let e = SecretValue::new(Zeroizing::new("a\0b".into())).unwrap_err();
        assert!(!e.to_string().contains("a\0b"));
        let e = SecretValue::from_bytes(Zeroizing::new(vec![0xff, 0xfe])).unwrap_err();
        assert_eq!(e.exit_code(), 7);
        assert!(SecretValue::new(Zeroizing::new(String::new())).is_ok());
    }
}
