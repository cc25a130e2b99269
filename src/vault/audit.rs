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

use crate::hex::{decode as unhex, encode as hex};

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
    append_to(tx, &crypt.vault_id, OWNER_CHAIN, action, subject, |h| {
        signer.sign(h)
    })
}

/// Append one entry to a member's own chain (chain = the member's id,
/// docs/FORMAT.md §21.9), signed with the member's identity key.
pub(super) fn append_member(
    tx: &Tx<'_>,
    vault_id: &[u8],
    member_id: u64,
    sign: &crate::crypto::v2::SignSecretKey,
    action: &str,
    subject: Value,
) -> Result<()> {
    append_to(tx, vault_id, member_id, action, subject, |h| sign.sign(h))
}

fn append_to(
    tx: &Tx<'_>,
    vault_id: &[u8],
    chain: u64,
    action: &str,
    subject: Value,
    sign: impl Fn(&[u8; 32]) -> [u8; 64],
) -> Result<()> {
    let (seq, prev) = match tx.audit_head(chain)? {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_vec()),
    };
    let at = crate::model::now();
    let host = host_name();
    let entry = entry_bytes(chain, seq, &at, action, &subject, &host);
    let hash = entry_hash(vault_id, chain, seq, &prev, entry.as_bytes());
    let sig = sign(&hash);
    tx.append_audit(&AuditRow {
        chain,
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
                format!("member #{}", r.chain)
            },
            subject: serde_json::from_str(&r.subject).unwrap_or(Value::Null),
            chain: r.chain,
            seq: r.seq,
            at: r.at,
            action: r.action,
            host: r.host,
        }
    }

    /// Whether the entry concerns agent `a` (`agent`, or `from` of a clone).
    pub fn is_about_agent(&self, a: &str) -> bool {
        let is = |k: &str| self.subject.get(k).and_then(Value::as_str) == Some(a);
        is("agent") || (self.action == "agent-create" && is("from"))
    }

    /// Whether the entry concerns secret `n` (`name`, `to`, `from` of a
    /// rename, or a list of names).
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
            || (self.action == "rename" && is("from"))
            || ["names", "secrets", "delivered"]
                .iter()
                .any(|k| s.get(*k).is_some_and(lists))
    }
}

/// The action of a prune checkpoint (docs/FORMAT.md §18.6).
pub const CHECKPOINT: &str = "checkpoint";

/// What a checkpoint records about the entries it replaced: its chain's
/// entries `first_seq..=last_seq`, made from `from` to `to`, all before
/// `before`; `last_hash` is the hash of entry `last_seq` (the next entry's
/// `prev`) and `audit_pk` the key that signs entry `last_seq + 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub before: String,
    pub count: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub from: String,
    pub to: String,
    pub last_hash: Vec<u8>,
    pub audit_pk: Vec<u8>,
}

impl Checkpoint {
    fn to_subject(&self) -> Value {
        json!({
            "before": self.before,
            "count": self.count,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "from": self.from,
            "to": self.to,
            "last_hash": hex(&self.last_hash),
            "audit_pk": hex(&self.audit_pk),
        })
    }

    /// A checkpoint entry's subject; `None` when a field is missing or
    /// malformed.
    pub fn from_subject(s: &Value) -> Option<Checkpoint> {
        let text = |k: &str| s.get(k).and_then(Value::as_str).map(str::to_owned);
        let num = |k: &str| s.get(k).and_then(Value::as_u64);
        let bytes = |k: &str| {
            s.get(k)
                .and_then(Value::as_str)
                .and_then(unhex)
                .filter(|b| b.len() == 32)
        };
        Some(Checkpoint {
            before: text("before")?,
            count: num("count")?,
            first_seq: num("first_seq")?,
            last_seq: num("last_seq")?,
            from: text("from")?,
            to: text("to")?,
            last_hash: bytes("last_hash")?,
            audit_pk: bytes("audit_pk")?,
        })
    }
}

/// A chain head as a user pins it: `CHAIN:SEQ:HASH` (hash in hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub chain: u64,
    pub seq: u64,
    pub hash: Vec<u8>,
}

impl Anchor {
    pub fn parse(text: &str) -> Result<Anchor> {
        let bad = || {
            Error::usage(format!("--anchor {text:?} is not CHAIN:SEQ:HASH"))
                .hint("copy a head line of `vault audit verify`, e.g. --anchor 0:42:9f86d08188… (64 hex digits)")
        };
        let mut parts = text.trim().splitn(3, ':');
        let (Some(c), Some(s), Some(h)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let chain = c.parse().map_err(|_| bad())?;
        let seq: u64 = s.parse().map_err(|_| bad())?;
        let hash = unhex(&h.to_ascii_lowercase())
            .filter(|b| b.len() == 32)
            .ok_or_else(bad)?;
        if seq == 0 {
            return Err(bad());
        }
        Ok(Anchor { chain, seq, hash })
    }
}

impl Anchor {
    /// The anchored entry's hash in hex.
    pub fn hash_hex(&self) -> String {
        hex(&self.hash)
    }
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.chain, self.seq, self.hash_hex())
    }
}

/// What `vault audit verify` found on an intact trail.
pub struct Verified {
    pub entries: usize,
    pub chains: usize,
    /// The stored public key was checked against the master key too.
    pub key_checked: bool,
    /// Each chain's last entry, to pin as an anchor.
    pub heads: Vec<Anchor>,
    /// The checkpoint each pruned chain starts from: (its chain, its seq, what it records).
    pub checkpoints: Vec<(u64, u64, Checkpoint)>,
    /// Anchors that lie in a pruned stretch: the chain went past them, but
    /// their hash cannot be compared any more (a checkpoint recording that
    /// very entry is compared).
    pub anchors_pruned: Vec<Anchor>,
}

/// What `vault audit prune` did.
pub struct Pruned {
    /// The checkpoint's own seq in the owners' chain.
    pub seq: u64,
    pub checkpoint: Checkpoint,
}

/// The error for a broken entry `chain:seq`.
fn broken(r: &AuditRow, what: &str) -> Error {
    Error::integrity(format!(
        "audit entry {}:{} is broken: {what}",
        r.chain, r.seq
    ))
    .hint("the audit table was changed outside vault; keep this database as evidence and restore vault.db from a backup")
}

/// An entry's subject and the hash its content gives, checking the subject
/// is canonical JSON and the stored hash matches.
fn recompute(vault_id: &[u8], r: &AuditRow) -> Result<(Value, [u8; 32])> {
    let Ok(subject) = serde_json::from_str::<Value>(&r.subject) else {
        return Err(broken(r, "its subject is not JSON"));
    };
    if canonical_json(&subject) != r.subject {
        return Err(broken(
            r,
            "its subject is not in canonical form: it was edited",
        ));
    }
    let entry = entry_bytes(r.chain, r.seq, &r.at, &r.action, &subject, &r.host);
    let hash = entry_hash(vault_id, r.chain, r.seq, &r.prev, entry.as_bytes());
    if r.hash != hash {
        return Err(broken(
            r,
            "its content does not match its hash: it was edited or moved",
        ));
    }
    Ok((subject, hash))
}

/// The checkpoint (its seq and what it records) a pruned chain starts
/// from; `None` for a chain that starts at seq 1.
type StartsAt = Option<(u64, Checkpoint)>;

/// One chain, checked entry by entry in seq order: continuity, links,
/// hashes and signatures, switching key after each rekey entry.
struct Walk {
    /// The key the next entry must be signed with.
    pk: Option<Vec<u8>>,
    /// The hash the next entry must link to.
    prev: Vec<u8>,
    next_seq: u64,
    /// The checkpoint (its seq) the walk started from, until the first step.
    from_checkpoint: Option<u64>,
}

impl Walk {
    /// Where a chain's rows (in seq order, not empty) start: at seq 1 with
    /// the first audit key, or after the entries a checkpoint among them
    /// records as pruned, with the key and hash it recorded. Every
    /// checkpoint's content is checked first, so an edited one is named.
    fn start(
        vault_id: &[u8],
        first_pk: Option<&[u8]>,
        rows: &[AuditRow],
    ) -> Result<(Walk, StartsAt)> {
        let mut found = None;
        for r in rows.iter().filter(|r| r.action == CHECKPOINT) {
            let (subject, _) = recompute(vault_id, r)?;
            let Some(cp) = Checkpoint::from_subject(&subject) else {
                return Err(broken(r, "this checkpoint does not record what it pruned"));
            };
            if found.is_none() && cp.last_seq + 1 == rows[0].seq {
                found = Some((r.seq, cp));
            }
        }
        if rows[0].seq == 1 {
            let walk = Walk {
                pk: first_pk.map(<[u8]>::to_vec),
                prev: GENESIS.to_vec(),
                next_seq: 1,
                from_checkpoint: None,
            };
            return Ok((walk, None));
        }
        let Some((seq, cp)) = found else {
            return Err(broken(
                &rows[0],
                "the entries before it are missing and no prune checkpoint records them: they were deleted outside vault",
            ));
        };
        let walk = Walk {
            pk: Some(cp.audit_pk.clone()),
            prev: cp.last_hash.clone(),
            next_seq: rows[0].seq,
            from_checkpoint: Some(seq),
        };
        Ok((walk, Some((seq, cp))))
    }

    fn step(&mut self, vault_id: &[u8], r: &AuditRow) -> Result<()> {
        if r.seq != self.next_seq {
            return Err(broken(
                r,
                &format!(
                "expected seq {} here: an entry before it was deleted or the rows were renumbered",
                self.next_seq
            ),
            ));
        }
        if r.prev != self.prev {
            return Err(broken(r, &match self.from_checkpoint {
                Some(c) => format!(
                    "its link does not match the hash that checkpoint {}:{c} recorded for the last pruned entry: this entry or the checkpoint was changed",
                    r.chain
                ),
                None => "its link to the previous entry does not match: an entry before it was changed, removed or moved".to_owned(),
            }));
        }
        let (subject, hash) = recompute(vault_id, r)?;
        match self.pk.as_deref() {
            Some(pk) if verify_sig(pk, &hash, &r.sig) => {}
            Some(_) => {
                return Err(broken(
                    r,
                    "its signature does not verify with the chain's public key",
                ))
            }
            None => {
                return Err(broken(
                    r,
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
                Some(next) => self.pk = Some(next),
                None => {
                    return Err(broken(
                        r,
                        "this rekey entry does not name the next audit key",
                    ))
                }
            }
        }
        self.prev = r.hash.clone();
        self.next_seq = r.seq + 1;
        self.from_checkpoint = None;
        Ok(())
    }
}

/// Check one chain's rows (seq order); returns the key it ends with and the
/// checkpoint it starts from, if pruned.
fn check_chain(
    vault_id: &[u8],
    pk: Option<&[u8]>,
    rows: &[AuditRow],
) -> Result<(Option<Vec<u8>>, StartsAt)> {
    if rows.is_empty() {
        return Ok((pk.map(<[u8]>::to_vec), None));
    }
    let (mut walk, cp) = Walk::start(vault_id, pk, rows)?;
    for r in rows {
        walk.step(vault_id, r)?;
    }
    Ok((walk.pk, cp))
}

/// A member's chain (docs/FORMAT.md §21.9) starts at seq 1 and holds no
/// checkpoint and no rekey: it is never pruned, and its key is the one the
/// roster lists, so a row that claims either was forged.
fn check_member_chain(rows: &[AuditRow]) -> Result<()> {
    if let Some(first) = rows.first() {
        if first.seq != 1 {
            return Err(broken(
                first,
                "a member's chain starts at seq 1 and is never pruned: the entries before it were deleted outside vault",
            ));
        }
    }
    if let Some(r) = rows
        .iter()
        .find(|r| r.action == CHECKPOINT || r.action == "rekey")
    {
        return Err(broken(
            r,
            "a member's chain holds no checkpoint and no rekey: this entry was forged",
        ));
    }
    Ok(())
}

/// The chain ends with the key in use: the stored current one.
fn check_end_key(chain: u64, last: Option<&[u8]>, current: Option<&[u8]>) -> Result<()> {
    if last == current {
        return Ok(());
    }
    Err(Error::integrity(format!(
        "the audit key in use (meta audit_pk_now, else audit_pk) is not the one chain {chain} ends with: the chain's tail was cut, a checkpoint was forged, or meta was edited"
    ))
    .hint("restore vault.db from a backup"))
}

/// An anchor against the chain's rows (seq order) and its checkpoint: Ok(true)
/// when the anchored entry is there with that hash, Ok(false) when it was
/// pruned and the chain verifiably went past it.
fn check_anchor(a: &Anchor, rows: &[AuditRow], cp: Option<&Checkpoint>) -> Result<bool> {
    let cut = |what: String| {
        Error::integrity(format!("audit anchor {a} does not hold: {what}"))
            .hint("entries were cut off the end of the chain or the vault was rolled back; compare with a backup and keep this database as evidence")
    };
    let Some(head) = rows.last() else {
        return Err(cut(format!("chain {} has no entries", a.chain)));
    };
    if head.seq < a.seq {
        return Err(cut(format!(
            "chain {} ends at seq {}, before the anchored seq {}",
            a.chain, head.seq, a.seq
        )));
    }
    if let Some(r) = rows.iter().find(|r| r.seq == a.seq) {
        if r.hash != a.hash {
            return Err(cut(format!("entry {}:{} has another hash", a.chain, a.seq)));
        }
        return Ok(true);
    }
    match cp {
        Some(cp) if cp.last_seq == a.seq && cp.last_hash != a.hash => Err(cut(format!(
            "the checkpoint records another hash for the pruned entry {}:{}",
            a.chain, a.seq
        ))),
        Some(cp) if cp.last_seq == a.seq => Ok(true),
        Some(cp) if a.seq < cp.last_seq => Ok(false),
        _ => Err(cut(format!("entry {}:{} is missing", a.chain, a.seq))),
    }
}

/// The owners' chain's entries to prune before `before`: the longest
/// prefix of entries made before it (a clock that went back never makes a
/// gap).
fn prunable(rows: &[AuditRow], before: &str) -> usize {
    rows.iter().take_while(|r| r.at.as_str() < before).count()
}

/// The checkpoint for pruning the first `n` (> 0) of a chain's rows, with
/// `audit_pk` still to be filled in from a walk of the chain.
fn checkpoint_for(rows: &[AuditRow], n: usize, before: &str) -> Checkpoint {
    let (first, last) = (&rows[0], &rows[n - 1]);
    Checkpoint {
        before: before.to_owned(),
        count: n as u64,
        first_seq: first.seq,
        last_seq: last.seq,
        from: first.at.clone(),
        to: last.at.clone(),
        last_hash: last.hash.clone(),
        audit_pk: Vec::new(),
    }
}

impl Vault {
    /// Audit entries, oldest first (by time, then chain and seq).
    pub fn audit_entries(&mut self, since: Option<&str>) -> Result<Vec<AuditEntry>> {
        let filter = AuditFilter {
            since: since.map(str::to_owned),
            ..AuditFilter::default()
        };
        let root = self.me().map(|me| me.identity.root_sign_pk);
        let (rows, names) = self.store.read(|tx| {
            Ok((
                tx.audit_entries(&filter)?,
                super::members::signing_keys(tx, root)?,
            ))
        })?;
        let mut out: Vec<AuditEntry> = rows
            .into_iter()
            .map(|r| {
                let mut e = AuditEntry::from_row(r);
                // A member's name is the roster's, never what its entry says.
                if e.chain != OWNER_CHAIN {
                    e.actor = match names.get(&e.chain) {
                        Some((name, _)) => format!("member {name}"),
                        None => format!("member #{}", e.chain),
                    };
                }
                e
            })
            .collect();
        out.sort_by(|a, b| (&a.at, a.chain, a.seq).cmp(&(&b.at, b.chain, b.seq)));
        Ok(out)
    }

    /// `vault audit verify`: every chain from its first entry or the
    /// checkpoint that pruned it, every link, hash and signature (no unlock
    /// needed), then each anchor. When the vault unlocks quietly, the
    /// stored public key is checked against the master key.
    pub fn audit_verify(&mut self, src: &KeySource, anchors: &[Anchor]) -> Result<Verified> {
        let key_checked = matches!(self.unlock_quietly(src), Ok(true));
        let derived = if key_checked {
            Some(signer(&self.crypt)?.public_key())
        } else {
            None
        };
        let vault_id = self.crypt.vault_id.clone();
        // The root key that vouches for members' keys: the one a member's
        // identity pinned, the one M derives when unlocked, else meta's.
        let root = match self.me() {
            Some(me) => Some(me.identity.root_sign_pk),
            None if key_checked => self
                .crypt
                .keys()?
                .root
                .as_ref()
                .map(|r| r.sign.public_key()),
            None => None,
        };
        let (pk, pk_now, rows, member_keys) = self.store.read(|tx| {
            Ok((
                tx.meta(META_AUDIT_PK)?,
                tx.meta(META_AUDIT_PK_NOW)?,
                tx.audit_entries(&AuditFilter::default())?,
                super::members::signing_keys(tx, root)?
                    .into_iter()
                    .map(|(id, (_, pk))| (id, pk))
                    .collect::<BTreeMap<u64, [u8; 32]>>(),
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
        let mut checkpoints = Vec::new();
        let mut found: BTreeMap<u64, Option<Checkpoint>> = BTreeMap::new();
        for (chain, rows) in &chains {
            let chain_pk = if *chain == OWNER_CHAIN {
                pk.clone()
            } else {
                Some(member_keys.get(chain).map(|k| k.to_vec()).ok_or_else(|| {
                    Error::integrity(format!(
                        "audit chain {chain} belongs to no member any signed roster of this vault lists: it was added outside vault"
                    ))
                    .hint("compare with a backup and keep this database as evidence")
                })?)
            };
            if *chain != OWNER_CHAIN {
                check_member_chain(rows)?;
            }
            let (last, cp) = check_chain(&vault_id, chain_pk.as_deref(), rows)?;
            if *chain != OWNER_CHAIN {
                // No rekey in a member chain: it ends with its roster key.
                check_end_key(*chain, last.as_deref(), chain_pk.as_deref())?;
            }
            if *chain == OWNER_CHAIN {
                check_end_key(*chain, last.as_deref(), current.as_deref())?;
            }
            if let Some((seq, cp)) = &cp {
                checkpoints.push((*chain, *seq, cp.clone()));
            }
            found.insert(*chain, cp.map(|(_, cp)| cp));
        }
        let mut anchors_pruned = Vec::new();
        for a in anchors {
            let rows = chains.get(&a.chain).map(Vec::as_slice).unwrap_or(&[]);
            let cp = found.get(&a.chain).and_then(Option::as_ref);
            if !check_anchor(a, rows, cp)? {
                anchors_pruned.push(a.clone());
            }
        }
        let heads = chains
            .iter()
            .filter_map(|(chain, rows)| rows.last().map(|r| (chain, r)))
            .map(|(chain, r)| Anchor {
                chain: *chain,
                seq: r.seq,
                hash: r.hash.clone(),
            })
            .collect();
        Ok(Verified {
            entries,
            chains: chains.len(),
            key_checked,
            heads,
            checkpoints,
            anchors_pruned,
        })
    }

    /// What `vault audit prune --before T` would take from the owners'
    /// chain (no key needed): the checkpoint it would write, without the
    /// key it records; `None` when nothing is older than `before`.
    pub fn audit_prune_plan(&mut self, before: &str) -> Result<Option<Checkpoint>> {
        let rows = self.store.read(|tx| {
            Ok(tx.audit_entries(&AuditFilter {
                chain: Some(OWNER_CHAIN),
                ..AuditFilter::default()
            })?)
        })?;
        let n = prunable(&rows, before);
        Ok((n > 0).then(|| checkpoint_for(&rows, n, before)))
    }

    /// `vault audit prune --before T`: in one transaction, verify the
    /// owners' chain, append a signed checkpoint recording the entries made
    /// before `before` (the longest such prefix), and delete them. Refuses
    /// on a chain that does not verify: pruning must not bury a break.
    /// `None` when nothing is older than `before`.
    pub fn audit_prune(&mut self, src: &KeySource, before: &str) -> Result<Option<Pruned>> {
        self.write(src, |tx, crypt| {
            let rows = tx.audit_entries(&AuditFilter {
                chain: Some(OWNER_CHAIN),
                ..AuditFilter::default()
            })?;
            let n = prunable(&rows, before);
            if n == 0 {
                return Ok(None);
            }
            let not_pruned = |e: Error| e.also("nothing was pruned");
            let (pk_now, first_pk) = (tx.meta(META_AUDIT_PK_NOW)?, tx.meta(META_AUDIT_PK)?);
            let (mut walk, _) =
                Walk::start(&crypt.vault_id, first_pk.as_deref(), &rows).map_err(not_pruned)?;
            let mut resume_pk = None;
            for (i, r) in rows.iter().enumerate() {
                walk.step(&crypt.vault_id, r).map_err(not_pruned)?;
                if i + 1 == n {
                    resume_pk = walk.pk.clone();
                }
            }
            let current = pk_now.or(first_pk);
            check_end_key(OWNER_CHAIN, walk.pk.as_deref(), current.as_deref())
                .map_err(not_pruned)?;
            let Some(audit_pk) = resume_pk else {
                return Err(not_pruned(Error::integrity(
                    "no audit public key is stored (meta audit_pk is missing)",
                )));
            };
            let checkpoint = Checkpoint {
                audit_pk,
                ..checkpoint_for(&rows, n, before)
            };
            append(tx, crypt, CHECKPOINT, checkpoint.to_subject())?;
            let seq = tx.audit_head(OWNER_CHAIN)?.map_or(0, |(s, _)| s);
            let gone = tx.prune_audit(OWNER_CHAIN, checkpoint.last_seq)?;
            if gone != n as u64 {
                return Err(Error::other(format!(
                    "the audit table changed while pruning ({gone} entries instead of {n}); nothing was pruned"
                ))
                .hint("run the command again"));
            }
            Ok(Some(Pruned { seq, checkpoint }))
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

    fn test_signer() -> AuditSigner {
        AuditSigner::derive(&crate::crypto::MasterKey::from_bytes([5; 32]), b"vid")
    }

    /// A signed row of chain 0 after `prev`.
    fn signed(seq: u64, at: &str, action: &str, subject: Value, prev: &[u8]) -> AuditRow {
        let e = entry_bytes(0, seq, at, action, &subject, "h");
        let hash = entry_hash(b"vid", 0, seq, prev, e.as_bytes());
        AuditRow {
            chain: 0,
            seq,
            at: at.into(),
            action: action.into(),
            subject: canonical_json(&subject),
            host: "h".into(),
            prev: prev.to_vec(),
            hash: hash.to_vec(),
            sig: test_signer().sign(&hash).to_vec(),
        }
    }

    fn chain(n: u64) -> (Vec<AuditRow>, [u8; 32]) {
        let mut prev = GENESIS.to_vec();
        let mut rows = Vec::new();
        for seq in 1..=n {
            let subject = json!({"name": format!("S{seq}"), "version": seq});
            let r = signed(seq, "t", "set", subject, &prev);
            prev = r.hash.clone();
            rows.push(r);
        }
        (rows, test_signer().public_key())
    }

    /// Chain of 4 with a checkpoint (seq 5) recording 1..=2, and 1..=2 gone.
    fn pruned() -> (Vec<AuditRow>, [u8; 32]) {
        let (mut rows, pk) = chain(4);
        let cp = Checkpoint {
            before: "u".into(),
            count: 2,
            first_seq: 1,
            last_seq: 2,
            from: "t".into(),
            to: "t".into(),
            last_hash: rows[1].hash.clone(),
            audit_pk: pk.to_vec(),
        };
        let prev = rows[3].hash.clone();
        rows.push(signed(5, "u", CHECKPOINT, cp.to_subject(), &prev));
        rows.drain(..2);
        (rows, pk)
    }

    #[test]
    fn a_pruned_chain_verifies_from_its_checkpoint_and_only_from_it() {
        let (rows, pk) = pruned();
        let (last, cp) = check_chain(b"vid", Some(&pk), &rows).unwrap();
        assert_eq!(last.as_deref(), Some(&pk[..]));
        let (seq, cp) = cp.unwrap();
        assert_eq!((seq, cp.count, cp.last_seq), (5, 2, 2));
        assert_eq!(Checkpoint::from_subject(&cp.to_subject()), Some(cp));
        let err = |rows: &[AuditRow]| {
            check_chain(b"vid", Some(&pk), rows)
                .unwrap_err()
                .to_string()
        };
        let mut first_gone = rows.clone();
        first_gone.remove(0);
        assert!(err(&first_gone).contains("0:4"), "{}", err(&first_gone));
        let mut edited = rows.clone();
        edited[2].subject = edited[2].subject.replace("\"count\":2", "\"count\":3");
        assert!(err(&edited).contains("0:5"), "{}", err(&edited));
        let mut forged = rows.clone();
        forged[2].sig[0] ^= 1;
        assert!(err(&forged).contains("0:5"), "{}", err(&forged));
        // Without its checkpoint the pruned chain does not verify.
        assert!(err(&rows[..2]).contains("0:3"), "{}", err(&rows[..2]));
    }

    #[test]
    fn prunable_takes_the_prefix_made_before_the_cut() {
        let mut rows = chain(4).0;
        for (r, at) in rows.iter_mut().zip(["1", "3", "2", "5"]) {
            r.at = at.into();
        }
        assert_eq!(prunable(&rows, "0"), 0);
        assert_eq!(
            prunable(&rows, "3"),
            1,
            "stops at the first entry at or after the cut"
        );
        assert_eq!(prunable(&rows, "4"), 3);
        assert_eq!(prunable(&rows, "9"), 4);
    }

    #[test]
    fn an_anchor_round_trips_and_bad_ones_are_usage_errors() {
        let a = Anchor {
            chain: 0,
            seq: 7,
            hash: vec![0xab; 32],
        };
        assert_eq!(Anchor::parse(&a.to_string()).unwrap(), a);
        assert_eq!(Anchor::parse(&a.to_string().to_uppercase()).unwrap(), a);
        for bad in ["", "0:7", "0:0:ab", "0:7:abab", "a:7:00", "0:-1:00"] {
            assert_eq!(Anchor::parse(bad).unwrap_err().exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn an_anchor_checks_presence_hash_and_pruned_stretches() {
        let (rows, _) = pruned();
        let cp = Checkpoint::from_subject(&serde_json::from_str(&rows[2].subject).unwrap());
        let at = |seq: u64, hash: &[u8]| Anchor {
            chain: 0,
            seq,
            hash: hash.to_vec(),
        };
        let check = |a: &Anchor| check_anchor(a, &rows, cp.as_ref());
        assert!(check(&at(4, &rows[1].hash)).unwrap());
        assert!(check(&at(4, &rows[0].hash)).is_err(), "another hash");
        assert!(check(&at(6, &rows[2].hash)).is_err(), "past the head");
        let last_pruned = cp.as_ref().unwrap().last_hash.clone();
        assert!(
            check(&at(2, &last_pruned)).unwrap(),
            "the checkpoint's record"
        );
        assert!(check(&at(2, &rows[0].hash)).is_err());
        assert!(!check(&at(1, &[0; 32])).unwrap(), "pruned, and passed");
        assert!(
            check_anchor(&at(1, &[0; 32]), &[], None).is_err(),
            "no chain"
        );
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
