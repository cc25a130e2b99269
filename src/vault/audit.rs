//! The audit trail (DESIGN §7.3, docs/FORMAT.md "Audit trail"): every
//! change, reveal, export and run is appended, in the transaction that makes
//! it, to the hash chain of the actor who did it, and signed by that actor.
//! Today the only actor is the owner (chain 0, whoever holds the master
//! key); agents act through `vault run --agent`, recorded as the owner's run
//! for that agent. An entry holds names, versions, agents, the kind of
//! change, the host and a run's program name: never a value and never a
//! hash of one (a short secret and its hash are an offline guessing oracle).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::policy::Crypt;
use super::{KeySource, Vault};
use crate::crypto::audit::{entry_hash, verify as verify_sig, AuditSigner, GENESIS};
use crate::error::{Error, Result};
use crate::store::{AuditFilter, AuditRow, Backend, Tx};

/// The owners' chain.
pub const OWNER_CHAIN: u64 = 0;
/// `meta` key of the owners' first audit public key: the trust anchor
/// verification starts from.
const META_AUDIT_PK: &str = "audit_pk";
/// `meta` key of the owners' current audit public key, after a `rekey`
/// (each rekey entry, signed by the old key, names the next one).
const META_AUDIT_PK_NOW: &str = "audit_pk_now";
/// Names listed in one entry; past this, the entry says how many more.
pub const NAMES_IN_ENTRY: usize = 50;

/// JSON with object keys sorted at every level and no whitespace: the bytes
/// an entry's hash covers. Strings are escaped as serde_json escapes them
/// (docs/FORMAT.md).
pub fn canonical_json(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let sorted: BTreeMap<&String, &Value> = m.iter().collect();
                out.push('{');
                for (i, (k, v)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(v, out);
                }
                out.push('}');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(v, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// The entry the hash covers: `{action, at, chain, host, seq, subject}`.
fn entry_bytes(
    chain: u64,
    seq: u64,
    at: &str,
    action: &str,
    subject: &Value,
    host: &str,
) -> String {
    canonical_json(&json!({
        "chain": chain,
        "seq": seq,
        "at": at,
        "action": action,
        "subject": subject,
        "host": host,
    }))
}

/// This machine's name, as the entries record it.
pub fn host_name() -> String {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    read("/proc/sys/kernel/hostname")
        .or_else(|| read("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// At most [`NAMES_IN_ENTRY`] names, and how many were left out.
pub fn bounded(names: &[String]) -> Value {
    let shown: Vec<&String> = names.iter().take(NAMES_IN_ENTRY).collect();
    let more = names.len().saturating_sub(NAMES_IN_ENTRY);
    if more > 0 {
        json!({ "list": shown, "more": more })
    } else {
        json!(shown)
    }
}

fn signer(crypt: &Crypt) -> Result<AuditSigner> {
    let keys = crypt.keys()?;
    Ok(AuditSigner::derive(&keys.master, &crypt.vault_id))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// The stored current audit public key must be the one the master key
/// derives; stored on first use.
fn check_or_store_pk(tx: &Tx<'_>, pk: &[u8; 32]) -> Result<()> {
    let current = match tx.meta(META_AUDIT_PK_NOW)? {
        Some(now) => Some(now),
        None => tx.meta(META_AUDIT_PK)?,
    };
    match current {
        None => Ok(tx.set_meta(META_AUDIT_PK, pk)?),
        Some(stored) if stored == pk => Ok(()),
        Some(_) => Err(Error::integrity(
            "the vault's audit public key (meta audit_pk) is not the one its master key derives: it was changed outside vault",
        )
        .hint("restore vault.db from a backup; `vault audit verify` shows which entries still verify")),
    }
}

/// Append one entry to the owners' chain in this transaction. `subject`
/// names what was done: names, versions, agents; never a value.
pub(super) fn append(tx: &Tx<'_>, crypt: &Crypt, action: &str, subject: Value) -> Result<()> {
    let signer = signer(crypt)?;
    check_or_store_pk(tx, &signer.public_key())?;
    let (seq, prev) = match tx.audit_head(OWNER_CHAIN)? {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_vec()),
    };
    let at = crate::model::now();
    let host = host_name();
    let entry = entry_bytes(OWNER_CHAIN, seq, &at, action, &subject, &host);
    let hash = entry_hash(&crypt.vault_id, OWNER_CHAIN, seq, &prev, entry.as_bytes());
    let sig = signer.sign(&hash);
    tx.append_audit(&AuditRow {
        chain: OWNER_CHAIN,
        seq,
        at,
        action: action.to_owned(),
        subject: canonical_json(&subject),
        host,
        prev,
        hash: hash.to_vec(),
        sig: sig.to_vec(),
    })?;
    Ok(())
}

/// `rekey`'s entry: signed by the old master key's audit key, it names the
/// new one, which signs every later entry.
pub(super) fn append_rekey(
    tx: &Tx<'_>,
    old: &Crypt,
    new: &Crypt,
    mut subject: Value,
) -> Result<()> {
    let next = signer(new)?.public_key();
    if let Value::Object(m) = &mut subject {
        m.insert("next_audit_pk".to_owned(), Value::String(hex(&next)));
    }
    append(tx, old, "rekey", subject)?;
    Ok(tx.set_meta(META_AUDIT_PK_NOW, &next)?)
}

/// One entry as shown by `vault audit`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    pub chain: u64,
    pub seq: u64,
    pub at: String,
    /// Who acted: `owner` for chain 0.
    pub actor: String,
    pub action: String,
    pub subject: Value,
    pub host: String,
}

impl AuditEntry {
    fn from_row(r: AuditRow) -> AuditEntry {
        AuditEntry {
            actor: if r.chain == OWNER_CHAIN {
                "owner".to_owned()
            } else {
                format!("principal {}", r.chain)
            },
            subject: serde_json::from_str(&r.subject).unwrap_or(Value::Null),
            chain: r.chain,
            seq: r.seq,
            at: r.at,
            action: r.action,
            host: r.host,
        }
    }

    /// Whether the entry concerns agent `a`.
    pub fn is_about_agent(&self, a: &str) -> bool {
        self.subject.get("agent").and_then(Value::as_str) == Some(a)
    }

    /// Whether the entry concerns secret `n` (`name`, `to`, or a list of names).
    pub fn is_about_secret(&self, n: &str) -> bool {
        let s = &self.subject;
        let is = |k: &str| s.get(k).and_then(Value::as_str) == Some(n);
        let lists = |v: &Value| -> bool {
            let list = v.get("list").unwrap_or(v);
            list.as_array().is_some_and(|a| {
                a.iter().any(|x| {
                    x.as_str() == Some(n) || x.get("name").and_then(Value::as_str) == Some(n)
                })
            })
        };
        is("name")
            || is("to")
            || ["names", "secrets", "delivered"]
                .iter()
                .any(|k| s.get(*k).is_some_and(lists))
    }
}

/// What `vault audit verify` found on an intact trail.
pub struct Verified {
    pub entries: usize,
    pub chains: usize,
    /// The stored public key was checked against the master key too.
    pub key_checked: bool,
}

/// The first problem of one chain's rows, in seq order: continuity, links,
/// hashes and signatures.
/// Returns the key the chain ends with (after any rekey entries).
fn check_chain(vault_id: &[u8], pk: Option<&[u8]>, rows: &[AuditRow]) -> Result<Option<Vec<u8>>> {
    let mut pk: Option<Vec<u8>> = pk.map(<[u8]>::to_vec);
    let mut prev: Vec<u8> = GENESIS.to_vec();
    for (i, r) in rows.iter().enumerate() {
        let broken = |what: &str| {
            Error::integrity(format!(
                "audit entry {}:{} is broken: {what}",
                r.chain, r.seq
            ))
            .hint("the audit table was changed outside vault; keep this database as evidence and restore vault.db from a backup")
        };
        let expected = i as u64 + 1;
        if r.seq != expected {
            return Err(broken(&format!(
                "expected seq {expected} here: an entry before it was deleted or the rows were renumbered"
            )));
        }
        if r.prev != prev {
            return Err(broken("its link to the previous entry does not match: an entry before it was changed, removed or moved"));
        }
        let Ok(subject) = serde_json::from_str::<Value>(&r.subject) else {
            return Err(broken("its subject is not JSON"));
        };
        if canonical_json(&subject) != r.subject {
            return Err(broken(
                "its subject is not in canonical form: it was edited",
            ));
        }
        let entry = entry_bytes(r.chain, r.seq, &r.at, &r.action, &subject, &r.host);
        let hash = entry_hash(vault_id, r.chain, r.seq, &r.prev, entry.as_bytes());
        if r.hash != hash {
            return Err(broken(
                "its content does not match its hash: it was edited or moved",
            ));
        }
        match pk.as_deref() {
            Some(pk) if verify_sig(pk, &hash, &r.sig) => {}
            Some(_) => {
                return Err(broken(
                    "its signature does not verify with the chain's public key",
                ))
            }
            None => {
                return Err(broken(
                    "there is no public key to check its signature (meta audit_pk is missing)",
                ))
            }
        }
        if r.action == "rekey" {
            match subject
                .get("next_audit_pk")
                .and_then(Value::as_str)
                .and_then(unhex)
            {
                Some(next) => pk = Some(next),
                None => return Err(broken("this rekey entry does not name the next audit key")),
            }
        }
        prev = r.hash.clone();
    }
    Ok(pk)
}

impl Vault {
    /// Audit entries, oldest first (by time, then chain and seq).
    pub fn audit_entries(&mut self, since: Option<&str>) -> Result<Vec<AuditEntry>> {
        let filter = AuditFilter {
            since: since.map(str::to_owned),
            ..AuditFilter::default()
        };
        let rows = self.store.read(|tx| Ok(tx.audit_entries(&filter)?))?;
        let mut out: Vec<AuditEntry> = rows.into_iter().map(AuditEntry::from_row).collect();
        out.sort_by(|a, b| (&a.at, a.chain, a.seq).cmp(&(&b.at, b.chain, b.seq)));
        Ok(out)
    }

    /// `vault audit verify`: every chain from its first entry, every link,
    /// hash and signature (no unlock needed). When the vault unlocks
    /// quietly, the stored public key is checked against the master key.
    pub fn audit_verify(&mut self, src: &KeySource) -> Result<Verified> {
        let key_checked = matches!(self.unlock_quietly(src), Ok(true));
        let derived = if key_checked {
            Some(signer(&self.crypt)?.public_key())
        } else {
            None
        };
        let vault_id = self.crypt.vault_id.clone();
        let (pk, pk_now, rows) = self.store.read(|tx| {
            Ok((
                tx.meta(META_AUDIT_PK)?,
                tx.meta(META_AUDIT_PK_NOW)?,
                tx.audit_entries(&AuditFilter::default())?,
            ))
        })?;
        let current = pk_now.clone().or_else(|| pk.clone());
        if let (Some(d), Some(stored)) = (derived, current.as_deref()) {
            if stored != d {
                return Err(Error::integrity(
                    "the vault's audit public key (meta audit_pk) is not the one its master key derives: entries signed with it prove nothing",
                )
                .hint("the audit table and meta were changed outside vault; restore vault.db from a backup"));
            }
        }
        let mut chains: BTreeMap<u64, Vec<AuditRow>> = BTreeMap::new();
        let entries = rows.len();
        for r in rows {
            chains.entry(r.chain).or_default().push(r);
        }
        for (chain, rows) in &chains {
            let last = check_chain(&vault_id, pk.as_deref(), rows)?;
            if *chain == OWNER_CHAIN && pk_now.is_some() && last != pk_now {
                return Err(Error::integrity(format!(
                    "the audit key in use (meta audit_pk_now) is not the one the last rekey entry of chain {chain} names: the chain's tail was cut or meta was edited"
                ))
                .hint("restore vault.db from a backup"));
            }
        }
        Ok(Verified {
            entries,
            chains: chains.len(),
            key_checked,
        })
    }
}

/// `subject` with `"env": env` added when `env` is an environment (the
/// shared row's entries stay as they were before environments existed).
pub(super) fn with_env(env: &str, mut subject: serde_json::Value) -> serde_json::Value {
    if !env.is_empty() {
        if let Some(o) = subject.as_object_mut() {
            o.insert("env".to_owned(), serde_json::json!(env));
        }
    }
    subject
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level_without_spaces() {
        let v = json!({"b": 1, "a": {"z": [1, {"y": "q\"", "x": null}], "c": true}});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":{"c":true,"z":[1,{"x":null,"y":"q\""}]},"b":1}"#
        );
    }

    #[test]
    fn bounded_lists_cap_the_names_and_count_the_rest() {
        let few: Vec<String> = (0..3).map(|i| format!("N{i}")).collect();
        assert_eq!(bounded(&few), json!(["N0", "N1", "N2"]));
        let many: Vec<String> = (0..60).map(|i| format!("N{i}")).collect();
        let b = bounded(&many);
        assert_eq!(b["more"], json!(10));
        assert_eq!(b["list"].as_array().map(Vec::len), Some(NAMES_IN_ENTRY));
    }

    fn chain(n: u64) -> (Vec<AuditRow>, [u8; 32]) {
        let m = crate::crypto::MasterKey::from_bytes([5; 32]);
        let s = AuditSigner::derive(&m, b"vid");
        let mut prev = GENESIS.to_vec();
        let mut rows = Vec::new();
        for seq in 1..=n {
            let subject = json!({"name": format!("S{seq}"), "version": seq});
            let e = entry_bytes(0, seq, "t", "set", &subject, "h");
            let hash = entry_hash(b"vid", 0, seq, &prev, e.as_bytes());
            rows.push(AuditRow {
                chain: 0,
                seq,
                at: "t".into(),
                action: "set".into(),
                subject: canonical_json(&subject),
                host: "h".into(),
                prev: prev.clone(),
                hash: hash.to_vec(),
                sig: s.sign(&hash).to_vec(),
            });
            prev = hash.to_vec();
        }
        (rows, s.public_key())
    }

    #[test]
    fn an_intact_chain_verifies_and_each_kind_of_break_names_its_entry() {
        let (rows, pk) = chain(4);
        check_chain(b"vid", Some(&pk), &rows).unwrap();
        assert_eq!(unhex(&hex(&pk)).as_deref(), Some(&pk[..]));
        let broken = |rows: &[AuditRow]| {
            check_chain(b"vid", Some(&pk), rows)
                .unwrap_err()
                .to_string()
        };
        let mut edited = rows.clone();
        edited[1].host = "elsewhere".into();
        assert!(broken(&edited).contains("0:2"), "{}", broken(&edited));
        let mut deleted = rows.clone();
        deleted.remove(1);
        assert!(broken(&deleted).contains("0:3"));
        let mut swapped = rows.clone();
        swapped.swap(1, 2);
        assert!(broken(&swapped).contains("0:3"));
        let mut forged = rows.clone();
        forged[3].sig[0] ^= 1;
        assert!(broken(&forged).contains("0:4"));
        assert!(
            check_chain(b"other", Some(&pk), &rows).is_err(),
            "bound to the vault id"
        );
    }
}
