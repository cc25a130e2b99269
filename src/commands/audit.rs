//! `audit` and `audit verify`: the audit trail as a table, a JSON array or
//! a stream of JSON lines, and its verification. The entries are made by
//! the vault layer (`vault/audit.rs`) in the transactions they record.

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::Ctx;
use crate::cli::{AuditArgs, AuditCommand};
use crate::error::{Error, Result};
use crate::typed::escape;
use crate::ui::{self, say};
use crate::vault::{AuditEntry, Vault};

/// How often `--follow` looks for new entries.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

pub fn audit(ctx: &Ctx, args: &AuditArgs) -> Result<()> {
    if let Some(AuditCommand::Verify) = args.command {
        return verify(ctx);
    }
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let mut vault = Vault::open(&ctx.paths)?;
    let wanted = |e: &AuditEntry| {
        args.agent.as_deref().is_none_or(|a| e.is_about_agent(a))
            && args.secret.as_deref().is_none_or(|n| e.is_about_secret(n))
    };
    let all = vault.audit_entries(since.as_deref())?;
    if args.follow {
        return follow(&mut vault, all, since, &wanted);
    }
    let entries: Vec<AuditEntry> = all.into_iter().filter(|e| wanted(e)).collect();
    if args.json {
        let all: Vec<Value> = entries.iter().map(to_json).collect::<Result<_>>()?;
        return ui::print_json(&Value::Array(all));
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            vec![
                e.at.clone(),
                e.actor.clone(),
                escape(&e.action),
                escape(&summary(&e.subject)),
                escape(&e.host),
            ]
        })
        .collect();
    ui::print_table(&["AT", "ACTOR", "ACTION", "SUBJECT", "HOST"], &rows)
}

fn to_json(e: &AuditEntry) -> Result<Value> {
    serde_json::to_value(e).map_err(|err| Error::other(format!("cannot encode JSON: {err}")))
}

/// Print what is there, then poll for entries appended since, one JSON
/// object a line, until interrupted (or stdout closes). `first` is every
/// entry so far, unfiltered: the cursor is each chain's last seq, and the
/// next read starts at the newest entry's time.
fn follow(
    vault: &mut Vault,
    first: Vec<AuditEntry>,
    since: Option<String>,
    wanted: &dyn Fn(&AuditEntry) -> bool,
) -> Result<()> {
    let mut last: std::collections::BTreeMap<u64, u64> = Default::default();
    let mut from: Option<String> = since;
    let mut batch = first;
    loop {
        for e in &batch {
            last.insert(e.chain, e.seq.max(last.get(&e.chain).copied().unwrap_or(0)));
            if from.as_deref().is_none_or(|f| e.at.as_str() > f) {
                from = Some(e.at.clone());
            }
            if wanted(e) {
                ui::print_json_line(&to_json(e)?)?;
            }
        }
        std::thread::sleep(FOLLOW_EVERY);
        batch = vault
            .audit_entries(from.as_deref())?
            .into_iter()
            .filter(|e| last.get(&e.chain).is_none_or(|s| e.seq > *s))
            .collect();
    }
}

/// An entry's subject in one line for the table: `key=value` pairs.
fn summary(subject: &Value) -> String {
    let Value::Object(m) = subject else {
        return subject.to_string();
    };
    m.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `--since`: an RFC 3339 time, or a duration back from now (7d, 12h, 30m).
fn parse_since(text: &str) -> Result<String> {
    if let Ok(t) = humantime::parse_rfc3339_weak(text) {
        return Ok(humantime::format_rfc3339_seconds(t).to_string());
    }
    let back = humantime::parse_duration(text).map_err(|_| {
        Error::usage(format!("--since {text:?} is neither a time nor a duration"))
            .hint("use a time like 2026-12-01T00:00:00Z or a duration like 7d, 12h or 30m")
    })?;
    let t = SystemTime::now()
        .checked_sub(back)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    Ok(humantime::format_rfc3339_seconds(t).to_string())
}

fn verify(ctx: &Ctx) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let v = vault.audit_verify(&ctx.keys)?;
    say!(
        "audit trail intact: {} entries in {} chain{}, every link, hash and signature verified{}",
        v.entries,
        v.chains,
        if v.chains == 1 { "" } else { "s" },
        if v.key_checked {
            "; the signing key matches the master key"
        } else {
            " (the signing key was not checked against the master key: no key at hand without a prompt)"
        }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_time_or_a_duration() {
        assert_eq!(
            parse_since("2026-12-01T00:00:00Z").unwrap(),
            "2026-12-01T00:00:00Z"
        );
        let week = parse_since("7d").unwrap();
        assert!(week < crate::model::now() && week.ends_with('Z'), "{week}");
        assert_eq!(parse_since("yesterday").unwrap_err().exit_code(), 2);
    }
}
