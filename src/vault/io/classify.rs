//! Which imported values look like ordinary configuration rather than
//! credentials. `vault run` masks every occurrence of a secret's value in the
//! command's output, so a "secret" holding `false`, `8000`, `postgres` or
//! `http://localhost:3000` would redact those words all over the logs.
//! `import` never changes a kind on a guess (storing a value in plain text
//! needs the user's word), but it warns and prints the command that makes
//! such values variables. Pure: no I/O, and a reason never quotes the value.

/// Why `value` looks like ordinary text, or `None` for a credential-like value.
pub fn ordinary(value: &str) -> Option<&'static str> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    let lower = v.to_ascii_lowercase();
    // An import classifies every value: a generated one is longer than any
    // listed word, so the lists need not be searched for it.
    let listable = lower.len() <= LONGEST_LISTED;
    if listable && BOOLEANS.contains(&lower.as_str()) {
        return Some("a boolean");
    }
    if listable && LOG_LEVELS.contains(&lower.as_str()) {
        return Some("a log level");
    }
    if is_small_number(v) {
        return Some("a number");
    }
    if listable && WORDS.contains(&lower.as_str()) {
        return Some("a common word");
    }
    if is_local_address(&lower) {
        return Some("a local address");
    }
    if v.chars().count() < 6 {
        return Some("a short value");
    }
    if is_plain_word(v) {
        return Some("a plain word");
    }
    None
}

/// The length of the longest word in [`BOOLEANS`], [`LOG_LEVELS`] and [`WORDS`].
const LONGEST_LISTED: usize = longest(&[BOOLEANS, LOG_LEVELS, WORDS]);

const fn longest(lists: &[&[&str]]) -> usize {
    let mut max = 0;
    let mut i = 0;
    while i < lists.len() {
        let mut j = 0;
        while j < lists[i].len() {
            if lists[i][j].len() > max {
                max = lists[i][j].len();
            }
            j += 1;
        }
        i += 1;
    }
    max
}

const BOOLEANS: &[&str] = &[
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "t",
    "f",
    "enabled",
    "disabled",
    "enable",
    "disable",
    "null",
    "none",
    "nil",
    "undefined",
];

const LOG_LEVELS: &[&str] = &[
    "trace", "debug", "info", "notice", "warn", "warning", "error", "err", "fatal", "critical",
    "crit", "panic", "verbose", "silly", "silent", "quiet", "off", "all",
];

/// Words that config files use as values (environments, databases, common
/// user names, tags, encodings, regions' prefixes, formats).
const WORDS: &[&str] = &[
    "development",
    "production",
    "staging",
    "test",
    "testing",
    "local",
    "dev",
    "prod",
    "stage",
    "ci",
    "default",
    "latest",
    "stable",
    "main",
    "master",
    "beta",
    "alpha",
    "nightly",
    "edge",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "sqlite",
    "redis",
    "mongo",
    "mongodb",
    "memcached",
    "rabbitmq",
    "kafka",
    "elasticsearch",
    "localhost",
    "admin",
    "root",
    "user",
    "guest",
    "app",
    "api",
    "web",
    "worker",
    "public",
    "private",
    "auto",
    "manual",
    "json",
    "text",
    "plain",
    "html",
    "yaml",
    "csv",
    "utf-8",
    "utf8",
    "ascii",
    "en",
    "en_us",
    "en-us",
    "http",
    "https",
    "tcp",
    "udp",
    "smtp",
    "lax",
    "strict",
    "sameorigin",
    "deny",
    "allow",
    "always",
    "never",
    "memory",
    "disk",
    "file",
    "console",
    "stdout",
    "stderr",
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "utc",
    "gmt",
];

/// Decimal numbers of at most six digits (ports, timeouts, sizes, counts),
/// optionally signed or with a fraction: `8000`, `-1`, `0.5`, `30s`-free.
fn is_small_number(v: &str) -> bool {
    let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !int.is_empty()
        && all_digits(int)
        && all_digits(frac)
        && int.len().saturating_add(frac.len()) <= 6
        && !(digits.contains('.') && frac.is_empty())
}

/// `localhost`, a loopback or any-address IP, with or without a port, or a
/// URL to one of them that carries no password (`postgres://u:pw@localhost`
/// does carry one: its value is a credential).
fn is_local_address(lower: &str) -> bool {
    let rest = match lower.split_once("://") {
        Some((scheme, rest)) if !scheme.is_empty() => rest,
        Some(_) => return false,
        None => lower,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if let Some((userinfo, _)) = authority.rsplit_once('@') {
        if userinfo.contains(':') {
            return false;
        }
    }
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        match hostport.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => hostport,
        }
    };
    matches!(
        host,
        "localhost" | "0.0.0.0" | "::1" | "::" | "host.docker.internal"
    ) || host.starts_with("127.")
        || host.ends_with(".localhost")
        || host.ends_with(".local")
}

/// Letters only, one case or capitalised, at most 12 of them: `postgres`,
/// `Europe`, `INFO`; a password of one dictionary word would mask that word
/// everywhere in the output too. Mixed-case or long runs of letters look
/// generated (`xKqPzLmWvBnR`) and are left alone.
fn is_plain_word(v: &str) -> bool {
    let n = v.chars().count();
    if n > 12 || !v.chars().all(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    let rest = v.get(1..).unwrap_or("");
    rest.chars().all(|c| c.is_ascii_lowercase()) || v.chars().all(|c| c.is_ascii_uppercase())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::ordinary;

    #[test]
    fn the_longest_listed_words_are_still_found() {
        for list in [super::BOOLEANS, super::LOG_LEVELS, super::WORDS] {
            for w in list {
                assert!(w.len() <= super::LONGEST_LISTED);
                assert!(ordinary(&w.to_ascii_uppercase()).is_some(), "{w}");
            }
        }
        assert_eq!(ordinary("EU-CENTRAL-1"), Some("a common word"));
        assert_eq!(ordinary(" development "), Some("a common word"));
    }

    #[test]
    fn config_values_are_ordinary() {
        for (v, why) in [
            ("false", "a boolean"),
            ("True", "a boolean"),
            ("off", "a boolean"),
            ("8000", "a number"),
            ("5432", "a number"),
            ("0.25", "a number"),
            ("-1", "a number"),
            ("postgres", "a common word"),
            ("latest", "a common word"),
            ("production", "a common word"),
            ("us-east-1", "a common word"),
            ("debug", "a log level"),
            ("WARNING", "a log level"),
            ("localhost", "a common word"),
            ("http://localhost:3000", "a local address"),
            ("redis://127.0.0.1:6379/0", "a local address"),
            ("postgres://app@localhost:5432/app_dev", "a local address"),
            ("0.0.0.0:8080", "a local address"),
            ("http://[::1]:8000/", "a local address"),
            ("myapp.local", "a local address"),
            ("abcd", "a short value"),
            ("x_y_z", "a short value"),
            ("support", "a plain word"),
            ("Europe", "a plain word"),
            ("FOOBAR", "a plain word"),
        ] {
            assert_eq!(ordinary(v), Some(why), "{v}");
        }
    }

    #[test]
    fn credentials_are_not_ordinary() {
        for v in [
            "",
            "sk-proj-abc123XYZ",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "correct-horse-battery",
            "xKqPzLmWvBnR",
            "abcdefghijklmnopq",
            "12345678901",
            "1234567",
            "postgres://app:s3cret@localhost:5432/app",
            "https://hooks.slack.com/services/T000/B000/XXXX",
            "https://api.example.com",
            "9f86d081884c7d659a2feaa0c55ad015",
            "1.2.3.4.5",
        ] {
            assert_eq!(ordinary(v), None, "{v}");
        }
    }
}
