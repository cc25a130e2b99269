//! `audit`, `audit verify` and `audit prune`: the audit trail as a table, a
//! JSON array or a stream of JSON lines, its verification, and pruning it
//! behind a signed checkpoint. The entries are made by the vault layer
//! (`vault/audit.rs`) in the transactions they record.

use std::io::IsTerminal;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};

use super::Ctx;
use crate::cli::{AuditArgs, AuditCommand, AuditPruneArgs, AuditVerifyArgs};
use crate::error::{Error, Result};
use crate::typed::escape;
use crate::ui::{self, say};
use crate::vault::{Anchor, AuditEntry, Checkpoint, Vault, CHECKPOINT};

/// How often `--follow` looks for new entries.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

pub fn audit(ctx: &Ctx, args: &AuditArgs) -> Result<()> {
    match &args.command {
        Some(AuditCommand::Verify(v)) => return verify(ctx, v),
        Some(AuditCommand::Prune(p)) => return prune(ctx, p),
        None => {}
    }
    let since = args
        .since
        .as_deref()
        .map(|t| parse_time("--since", t))
        .transpose()?;
    let mut vault = Vault::open(&ctx.paths)?;
    let wanted = |e: &AuditEntry| {
        args.agent.as_deref().is_none_or(|a| e.is_about_agent(a))
            && args.secret.as_deref().is_none_or(|n| e.is_about_secret(n))
            && args.actor.as_deref().is_none_or(|p| e.actor == p)
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
                escape(&summary(&e.action, &e.subject)),
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

/// An entry's subject in one line for the table: `key=value` pairs, or
/// what a checkpoint stands for.
fn summary(action: &str, subject: &Value) -> String {
    if action == CHECKPOINT {
        if let Some(cp) = Checkpoint::from_subject(subject) {
            return format!("pruned {}", what_was_pruned(&cp));
        }
    }
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

/// `N entries before T (seq 1..N, made F to L)`: what a checkpoint stands for.
fn what_was_pruned(cp: &Checkpoint) -> String {
    format!(
        "{} entr{} before {} (seq {}..{}, made {} to {})",
        cp.count,
        if cp.count == 1 { "y" } else { "ies" },
        cp.before,
        cp.first_seq,
        cp.last_seq,
        cp.from,
        cp.to
    )
}

/// `--since` / `--before`: an RFC 3339 time or date, or a duration back
/// from now (7d, 12h, 30m); as RFC 3339 UTC to the second.
fn parse_time(flag: &str, text: &str) -> Result<String> {
    if let Ok(t) = humantime::parse_rfc3339_weak(text) {
        return Ok(humantime::format_rfc3339_seconds(t).to_string());
    }
    if let Ok(t) = humantime::parse_rfc3339_weak(&format!("{text}T00:00:00Z")) {
        return Ok(humantime::format_rfc3339_seconds(t).to_string());
    }
    let back = humantime::parse_duration(text).map_err(|_| {
        Error::usage(format!("{flag} {text:?} is neither a time nor a duration"))
            .hint("use a time like 2026-12-01T00:00:00Z, a date like 2026-12-01, or a duration like 7d, 12h or 30m")
    })?;
    let t = SystemTime::now()
        .checked_sub(back)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    Ok(humantime::format_rfc3339_seconds(t).to_string())
}

fn verify(ctx: &Ctx, args: &AuditVerifyArgs) -> Result<()> {
    let anchors: Vec<Anchor> = args
        .anchor
        .iter()
        .map(|a| Anchor::parse(a))
        .collect::<Result<_>>()?;
    let mut vault = Vault::open(&ctx.paths)?;
    let v = vault.audit_verify(&ctx.keys, &anchors)?;
    if args.json {
        return ui::print_json(&json!({
            "intact": true,
            "entries": v.entries,
            "chains": v.chains,
            "key_checked": v.key_checked,
            "heads": v.heads.iter().map(|h| json!({
                "chain": h.chain,
                "seq": h.seq,
                "hash": h.hash_hex(),
                "anchor": h.to_string(),
            })).collect::<Vec<_>>(),
            "checkpoints": v.checkpoints.iter().map(|(chain, seq, cp)| json!({
                "chain": chain,
                "seq": seq,
                "pruned": cp.count,
                "first_seq": cp.first_seq,
                "last_seq": cp.last_seq,
                "before": cp.before,
            })).collect::<Vec<_>>(),
            "anchors": anchors.iter().map(|a| json!({
                "anchor": a.to_string(),
                "result": if v.anchors_pruned.contains(a) { "pruned" } else { "holds" },
            })).collect::<Vec<_>>(),
        }));
    }
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
    for (chain, seq, cp) in &v.checkpoints {
        say!(
            "chain {chain} starts at checkpoint {chain}:{seq}: pruned {}",
            what_was_pruned(cp)
        );
    }
    for a in &anchors {
        if v.anchors_pruned.contains(a) {
            say!("anchor {a}: pruned since, and the chain verifiably goes past it");
        } else {
            say!("anchor {a}: holds");
        }
    }
    for h in &v.heads {
        say!("head {h}");
    }
    Ok(())
}

fn prune(ctx: &Ctx, args: &AuditPruneArgs) -> Result<()> {
    let before = parse_time("--before", &args.before)?;
    if before > crate::model::now() {
        return Err(Error::usage(format!(
            "--before {:?} is in the future ({before})",
            args.before
        ))
        .hint("prune entries older than a time in the past: --before 90d or --before 2026-09-01"));
    }
    let mut vault = Vault::open(&ctx.paths)?;
    let Some(plan) = vault.audit_prune_plan(&before)? else {
        say!("nothing to prune: no audit entry is older than {before}");
        return Ok(());
    };
    let what = format!(
        "about to prune {} from the owners' audit chain, leaving a signed checkpoint in their place",
        what_was_pruned(&plan)
    );
    if !args.yes {
        let retry = format!("vault audit prune --before {} --yes", args.before);
        if !std::io::stdin().is_terminal() {
            return Err(Error::invalid(format!("{what}; nothing was pruned"))
                .hint(format!("to prune without a question: `{retry}`")));
        }
        eprintln!("{what}");
        let yes = crate::prompt::confirm("Prune? [y/N] ")
            .map_err(|e| Error::other(format!("cannot read the answer: {e}")))?;
        if !yes {
            return Err(Error::other("nothing was pruned: the answer was no")
                .hint(format!("to prune without a question: `{retry}`")));
        }
    }
    match vault.audit_prune(&ctx.keys, &before)? {
        None => say!("nothing to prune: no audit entry is older than {before}"),
        Some(p) => say!(
            "pruned {}; checkpoint 0:{} records them and `vault audit verify` starts from it",
            what_was_pruned(&p.checkpoint),
            p.seq
        ),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_time_a_date_or_a_duration() {
        let since = |t: &str| parse_time("--since", t);
        assert_eq!(
            since("2026-12-01T00:00:00Z").unwrap(),
            "2026-12-01T00:00:00Z"
        );
        assert_eq!(since("2026-09-01").unwrap(), "2026-09-01T00:00:00Z");
        let week = since("7d").unwrap();
        assert!(week < crate::model::now() && week.ends_with('Z'), "{week}");
        assert_eq!(since("yesterday").unwrap_err().exit_code(), 2);
    }
}
