//! `VAULT_DATABASE_URL` / `--database-url`: what vault reads itself before
//! the driver sees the rest.
//!
//! * `vault=NAME` names the vault: one PostgreSQL schema per vault, so one
//!   database holds several isolated vaults (default `vault`). NAME is
//!   1-63 of `a-z`, `0-9`, `_`, starting with a letter or `_`.
//! * `sslmode=disable|prefer|require|verify-ca|verify-full` as libpq reads it
//!   (default `prefer`); rust-postgres knows only the first three, so vault
//!   parses it and sets up TLS itself (`tls.rs`).
//! * `sslrootcert=FILE` (or `VAULT_DATABASE_CA`): the CA certificates to
//!   trust instead of the system's.
//!
//! Both URL (`postgres://user:pw@host:port/db?...`) and key=value
//! (`host=... dbname=...`) forms are accepted. The password never appears in
//! any message: [`DbUrl::shown`] names host, port, database and vault only.

use std::path::PathBuf;
use std::str::FromStr;

use crate::error::{Error, Result};

/// How TLS is negotiated and checked (libpq's `sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// TLS if the server offers it, without checking its certificate (libpq).
    Prefer,
    /// TLS required; vault checks the certificate fully (stricter than libpq).
    Require,
    /// TLS required; the chain must lead to a trusted CA, any host name.
    VerifyCa,
    /// TLS required; chain and host name checked.
    VerifyFull,
}

impl SslMode {
    fn parse(s: &str) -> Result<SslMode> {
        Ok(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            // libpq's `allow` tries plaintext first: never worth it here.
            other => {
                return Err(Error::usage(format!(
                    "unknown sslmode {:?} in the database URL",
                    crate::typed::escape(other)
                ))
                .hint("use sslmode=disable, prefer, require, verify-ca or verify-full"))
            }
        })
    }
}

/// A parsed database URL: the driver's configuration and vault's own parts.
#[derive(Clone)]
pub struct DbUrl {
    pub config: postgres::Config,
    /// The schema holding this vault.
    pub vault: String,
    pub sslmode: SslMode,
    pub root_cert: Option<PathBuf>,
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

pub const DEFAULT_VAULT: &str = "vault";

/// Is `name` usable as a vault (schema) name, without quoting surprises?
pub fn valid_vault_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && name.len() <= 63
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with("pg_")
}

impl DbUrl {
    pub fn parse(url: &str) -> Result<DbUrl> {
        let bad = |why: &str| {
            Error::usage(format!("the database URL is not valid: {why}")).hint(
                "use postgres://USER@HOST:PORT/DATABASE?vault=NAME (or key=value form, as libpq reads it)",
            )
        };
        let mut vault = None;
        let mut sslmode = None;
        let mut root_cert = None;
        let mut take = |k: &str, v: &str| -> Result<bool> {
            match k {
                "vault" => vault = Some(v.to_owned()),
                "sslmode" => sslmode = Some(SslMode::parse(v)?),
                "sslrootcert" => root_cert = Some(PathBuf::from(v)),
                _ => return Ok(false),
            }
            Ok(true)
        };
        let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            match url.split_once('?') {
                None => url.to_owned(),
                Some((base, query)) => {
                    let mut kept = Vec::new();
                    for pair in query.split('&').filter(|p| !p.is_empty()) {
                        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                        let v = percent_decode(v).ok_or_else(|| bad("bad %-escape"))?;
                        if !take(k, &v)? {
                            kept.push(pair);
                        }
                    }
                    if kept.is_empty() {
                        base.to_owned()
                    } else {
                        format!("{base}?{}", kept.join("&"))
                    }
                }
            }
        } else {
            // key=value form; values with spaces need quotes, which vault's
            // own keys never do.
            let mut kept = Vec::new();
            for word in url.split_whitespace() {
                match word.split_once('=') {
                    Some((k, v)) if take(k.trim(), v.trim_matches('\''))? => {}
                    _ => kept.push(word),
                }
            }
            kept.join(" ")
        };
        let config = postgres::Config::from_str(&rest).map_err(|e| {
            // The driver's message names a key or a syntax problem, never a
            // value: still, keep only its first line.
            let msg = e.to_string();
            bad(msg.lines().next().unwrap_or("unreadable"))
        })?;
        let vault = vault.unwrap_or_else(|| DEFAULT_VAULT.to_owned());
        if !valid_vault_name(&vault) {
            return Err(Error::usage(format!(
                "vault={} in the database URL is not a usable vault name",
                crate::typed::escape(&vault)
            ))
            .hint("use 1-63 lower-case letters, digits and _ (starting with a letter or _; not pg_...)"));
        }
        if config.get_hosts().is_empty() {
            return Err(bad("it names no host"));
        }
        let root_cert = root_cert.or_else(|| {
            std::env::var_os("VAULT_DATABASE_CA")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        Ok(DbUrl {
            config,
            vault,
            sslmode: sslmode.unwrap_or(SslMode::Prefer),
            root_cert,
        })
    }

    /// First host and port, as `host:port` (a Unix socket as its path).
    pub fn server(&self) -> String {
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        match self.config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) if h.contains(':') => format!("[{h}]:{port}"),
            Some(postgres::config::Host::Tcp(h)) => format!("{h}:{port}"),
            Some(postgres::config::Host::Unix(p)) => format!("{} (port {port})", p.display()),
            None => format!("localhost:{port}"),
        }
    }

    /// What messages say for this vault: never the user or the password.
    pub fn shown(&self) -> String {
        let db = self
            .config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("?");
        format!(
            "vault {:?} in PostgreSQL database {db} at {}",
            self.vault,
            self.server()
        )
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_and_sslmode_are_taken_out_of_the_url() {
        let u = DbUrl::parse(
            "postgres://alice:s3cr3t@db.example:6543/team?sslmode=verify-full&vault=billing&application_name=x",
        )
        .unwrap();
        assert_eq!(u.vault, "billing");
        assert_eq!(u.sslmode, SslMode::VerifyFull);
        assert_eq!(u.config.get_dbname(), Some("team"));
        assert_eq!(u.config.get_application_name(), Some("x"));
        assert_eq!(u.server(), "db.example:6543");
        let shown = u.shown();
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("alice"),
            "{shown}"
        );
        assert!(!format!("{u:?}").contains("s3cr3t"));
    }

    #[test]
    fn defaults_are_prefer_and_the_vault_schema() {
        let u = DbUrl::parse("postgres://127.0.0.1/test").unwrap();
        assert_eq!((u.vault.as_str(), u.sslmode), ("vault", SslMode::Prefer));
        let kv =
            DbUrl::parse("host=127.0.0.1 port=5432 dbname=test vault=t1 sslmode=disable").unwrap();
        assert_eq!((kv.vault.as_str(), kv.sslmode), ("t1", SslMode::Disable));
        assert_eq!(kv.server(), "127.0.0.1:5432");
    }

    #[test]
    fn bad_names_modes_and_urls_are_usage_errors_without_the_password() {
        for url in [
            "postgres://u:pw9@h/db?vault=Team",
            "postgres://u:pw9@h/db?vault=pg_catalog",
            "postgres://u:pw9@h/db?vault=a;drop",
            "postgres://u:pw9@h/db?sslmode=allow",
            "postgres://u:pw9@h/db?nonsense=1",
        ] {
            let e = DbUrl::parse(url).unwrap_err();
            assert_eq!(e.kind(), crate::error::Kind::Usage, "{url}");
            assert!(!e.to_string().contains("pw9"), "{url}: {e}");
        }
    }
}
