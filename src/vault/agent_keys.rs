//! Agent keys (format 2, DESIGN §7.1, docs/FORMAT.md §12.2, §13, §15, §20).
//!
//! Writer side (an owner holding M): [`Crypt::sync_agents`] runs inside
//! every policy write, after the change and before the policy tag is
//! resealed. For each agent with a live key registration it builds what an
//! owner's `vault run --agent A` would inject for A ([`agent_rows`], the run
//! planning's own selection), and when that differs from the agent's signed
//! statement, it opens the agent's keyring key AK once (HPKE, the root's
//! keyring wrap), wraps the data keys of new versions under AK, drops wraps
//! of versions no longer received, and signs a new statement at a new
//! `policy_seq`. A write that changes nothing an agent receives costs one
//! statement read and one signature check per keyed agent; no HPKE.
//!
//! Reader side (an agent key, no master key): [`Vault::agent_receives`]
//! opens exactly the rows the agent's statement names: one HPKE open of AK,
//! then AES-GCM only; the statement is verified with the root key pinned in
//! the agent key (never the database's copy), and its `policy_seq` against
//! the agent's local high-water mark.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::policy::{self, Crypt, V2_NONCE_COLUMN_LEN};
use super::{KeySource, Vault};
use crate::crypto::v2::{
    self, AgentKey, Content, Entry, KemPublicKey, KeyringKey, KeyringSlot, SignPublicKey, Statement,
};
use crate::crypto::NONCE_LEN;
use crate::error::{Error, Result};
use crate::model::{self, Kind, Scope, SecretValue};
use crate::store::Backend;
use crate::store::{AgentKeyRow, AgentWrapRow, SecretRow, StatementRow, StoredValue, Tx};

/// The rows an agent receives in environment `env` (its pin unless `env`
/// says otherwise): the globals and its grants, an environment's own row
/// over the shared one. `vault run --agent` plans from exactly this, and
/// the agent's signed statement lists exactly this.
pub(super) fn agent_rows(
    all: Vec<SecretRow>,
    grants: &[(String, String)],
    pins: &[(String, String)],
    agent: Option<&str>,
    env: Option<&str>,
) -> (String, Vec<SecretRow>) {
    let (env, rows, _) = plan_rows(all, grants, pins, agent, env);
    (env, rows)
}

/// [`agent_rows`], with every name of the environment and its scope
/// besides (for `vault run` to explain what a manifest asks for in vain).
pub(super) fn plan_rows(
    all: Vec<SecretRow>,
    grants: &[(String, String)],
    pins: &[(String, String)],
    agent: Option<&str>,
    env: Option<&str>,
) -> (String, Vec<SecretRow>, Vec<(String, Scope)>) {
    let env: String = match (env, agent) {
        (Some(e), _) => e.to_owned(),
        (None, Some(a)) => pins
            .iter()
            .find(|(p, _)| p == a)
            .map(|(_, e)| e.clone())
            .unwrap_or_default(),
        (None, None) => String::new(),
    };
    let all = super::rules::effective(all, &env);
    let all_names: Vec<(String, Scope)> = all.iter().map(|r| (r.name.clone(), r.scope)).collect();
    let receives = model::Receives::new(agent, grants);
    let rows = all
        .into_iter()
        .filter(|r| receives.secret(&r.name, r.scope))
        .collect();
    (env, rows, all_names)
}

/// The statement entries of `rows` (what an agent receives).
pub(super) fn entries_of(rows: &[SecretRow]) -> Result<Vec<Entry>> {
    let mut out: Vec<Entry> = rows
        .iter()
        .map(|r| {
            let content = match (&r.kind, &r.value) {
                (Kind::Variable, StoredValue::Plain(p)) => Content::Variable(p.as_str().to_owned()),
                (Kind::Secret, StoredValue::Sealed { nonce, ciphertext }) => {
                    Content::Secret(v2::ciphertext_hash(nonce, ciphertext))
                }
                _ => {
                    return Err(Error::integrity(format!(
                        "{} (version {}) is stored in a form that does not match its kind",
                        r.name, r.version
                    ))
                    .hint("restore the vault database from a backup"))
                }
            };
            Ok(Entry {
                name: r.name.clone(),
                env: r.env.clone(),
                scope: match r.scope {
                    Scope::Global => v2::Scope::Global,
                    Scope::Agent => v2::Scope::Grant,
                },
                version: r.version,
                provider: r.provider.clone(),
                content,
            })
        })
        .collect::<Result<_>>()?;
    out.sort_by(|a, b| (&a.name, &a.env).cmp(&(&b.name, &b.env)));
    Ok(out)
}

fn vault_id_array(id: &[u8]) -> Result<[u8; crate::crypto::VAULT_ID_LEN]> {
    <[u8; crate::crypto::VAULT_ID_LEN]>::try_from(id)
        .map_err(|_| Error::integrity("the vault id has the wrong length"))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn kem_pk(bytes: &[u8], agent: &str) -> Result<KemPublicKey> {
    <[u8; 32]>::try_from(bytes)
        .ok()
        .and_then(KemPublicKey::from_bytes)
        .ok_or_else(|| {
            Error::integrity(format!(
                "the registered public key of agent {agent} is damaged"
            ))
            .hint("restore the vault database from a backup, or register a new key (`vault agent token` / `approve`)")
        })
}

/// Open AK of `reg` with the root's keyring wrap (recipient 0).
fn open_keyring(
    tx: &Tx<'_>,
    vault_id: &[u8],
    reg: &AgentKeyRow,
    root: &v2::RootKeys,
    root_kem: &KemPublicKey,
) -> Result<KeyringKey> {
    let what = format!("the root's keyring wrap of agent {}", reg.agent);
    let wrap = tx
        .keyring_wrap(reg.agent_id, reg.epoch, 0)?
        .ok_or_else(|| {
            Error::integrity(format!("{what} is missing")).hint(
                "register the agent's key again (`vault agent token` / `vault agent approve`)",
            )
        })?;
    let slot = KeyringSlot {
        vault_id,
        agent_id: reg.agent_id,
        epoch: reg.epoch,
        recipient_id: 0,
    };
    KeyringKey::open_from(&slot, &root.kem, root_kem, &wrap)
        .map_err(|_| v2::OpenError::Damaged.into_error(&what))
}

/// A keyring epoch for the members who operate `agent`, which has no key
/// of its own: a new AK wrapped to the root (the members' wraps follow).
fn members_keyring(
    tx: &Tx<'_>,
    vault_id: &[u8],
    agent: &str,
    root_kem: &KemPublicKey,
) -> Result<AgentKeyRow> {
    let agent_id = tx.assign_agent_id(agent)?;
    let epoch = tx.agent_key(agent)?.map_or(1, |k| k.epoch + 1);
    let row = AgentKeyRow {
        agent_id,
        agent: agent.to_owned(),
        epoch,
        kem_pk: Vec::new(),
        sign_pk: Vec::new(),
        created: super::now(),
        expires: 0,
        revoked: None,
        made: MEMBERS_KEYRING.to_owned(),
    };
    tx.insert_agent_key(&row)?;
    let ak = KeyringKey::generate()?;
    let slot = KeyringSlot {
        vault_id,
        agent_id,
        epoch,
        recipient_id: 0,
    };
    tx.put_keyring_wrap(agent_id, epoch, 0, &ak.wrap_to(&slot, root_kem)?)?;
    Ok(row)
}

/// The next keyring epoch of `reg` (same agent key, a new AK wrapped to the
/// root and to the agent's key, if it has one); the previous epoch's wraps,
/// data-key wraps and statement are deleted (the caller's sync makes them
/// anew).
fn rotate_keyring(
    tx: &Tx<'_>,
    vault_id: &[u8],
    reg: &AgentKeyRow,
    root_kem: &KemPublicKey,
) -> Result<(AgentKeyRow, KeyringKey)> {
    tx.revoke_agent_keys(reg.agent_id, &super::now())?;
    let next = AgentKeyRow {
        epoch: reg.epoch + 1,
        created: super::now(),
        revoked: None,
        ..reg.clone()
    };
    tx.insert_agent_key(&next)?;
    let ak = KeyringKey::generate()?;
    let mut recipients = vec![(0, *root_kem)];
    if next.made != MEMBERS_KEYRING {
        recipients.push((next.agent_id, kem_pk(&next.kem_pk, &next.agent)?));
    }
    for (recipient, pk) in recipients {
        let slot = KeyringSlot {
            vault_id,
            agent_id: next.agent_id,
            epoch: next.epoch,
            recipient_id: recipient,
        };
        tx.put_keyring_wrap(
            next.agent_id,
            next.epoch,
            recipient,
            &ak.wrap_to(&slot, &pk)?,
        )?;
    }
    Ok((next, ak))
}

/// `agent_keys.made` of a keyring epoch that has no agent key, only members.
pub(super) const MEMBERS_KEYRING: &str = "members";

impl Crypt {
    /// Bring every keyed agent's wraps and signed statement up to date with
    /// the policy this transaction leaves behind (see the module comment).
    pub(super) fn sync_agents(&self, tx: &Tx<'_>) -> Result<()> {
        // `meta.policy_seq` exists from the first key registration on: a
        // vault that never had an agent key pays one meta read (on
        // PostgreSQL none: the write's lock batch fetched `meta`).
        if tx.meta("policy_seq")?.is_none() {
            return Ok(());
        }
        let mut regs: Vec<AgentKeyRow> = tx
            .agent_keys()?
            .into_iter()
            .filter(|r| r.revoked.is_none())
            .collect();
        // No live key and never a member (a roster): nothing to keep up.
        if regs.is_empty() && tx.roster()?.is_none() {
            return Ok(());
        }
        let keys = self.keys()?;
        let root = keys.root.as_ref().ok_or_else(|| {
            Error::integrity(
                "the vault holds agent keys but is in format 1: it was changed outside vault",
            )
            .hint("restore the vault database from a backup")
        })?;
        let root_sign = root.sign.public_key();
        let root_kem = root
            .kem
            .public_key()
            .ok_or_else(|| Error::integrity("the vault's root keys are damaged"))?;
        let vault_id = vault_id_array(&self.vault_id)?;
        // Members who operate an agent hold its keyring key: an agent
        // without a key of its own gets a keyring for them (made =
        // `members`), and every live keyring is wrapped to exactly the
        // members the root-signed roster says operate it.
        let operators = super::members::operators(tx, &root_sign)?;
        if let Some(ops) = &operators {
            for (agent, who) in ops {
                if who.is_empty()
                    || regs.iter().any(|r| &r.agent == agent)
                    || tx.agent(agent)?.is_none()
                {
                    continue;
                }
                regs.push(members_keyring(tx, &self.vault_id, agent, &root_kem)?);
            }
        }
        let recipients = match &operators {
            Some(_) => tx.keyring_recipients()?,
            None => Vec::new(),
        };
        // What is signed must first be authenticated: a row edited outside
        // vault is never laundered into an agent's statement by the next
        // owner write (format 2 checks every row's tag here, after the
        // caller tagged what it wrote).
        let policy::Snapshot { rows, grants, pins } = self.verified_snapshot(tx)?;
        let mut seq: Option<u64> = None;
        for mut reg in regs {
            let mut ak: Option<KeyringKey> = None;
            if let Some(ops) = &operators {
                let want: BTreeMap<u64, KemPublicKey> = ops
                    .get(&reg.agent)
                    .map(|v| {
                        v.iter()
                            .map(|(id, pk)| (v2::member::member_recipient(*id), *pk))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut have: BTreeSet<u64> = recipients
                    .iter()
                    .filter(|(a, e, r)| {
                        *a == reg.agent_id
                            && *e == reg.epoch
                            && v2::member::recipient_member(*r).is_some()
                    })
                    .map(|(_, _, r)| *r)
                    .collect();
                // A member who no longer operates the agent may have kept
                // AK: the agent gets a new one (a new epoch, same agent
                // key), so nothing wrapped from now on opens with the old.
                if have.iter().any(|r| !want.contains_key(r)) {
                    let (next, key) = rotate_keyring(tx, &self.vault_id, &reg, &root_kem)?;
                    super::audit::append(
                        tx,
                        self,
                        "keyring-rotate",
                        serde_json::json!({ "agent": next.agent, "epoch": next.epoch }),
                    )?;
                    reg = next;
                    ak = Some(key);
                    have.clear();
                }
                for (recipient, pk) in &want {
                    if have.contains(recipient) {
                        continue;
                    }
                    if ak.is_none() {
                        ak = Some(open_keyring(tx, &self.vault_id, &reg, root, &root_kem)?);
                    }
                    let slot = KeyringSlot {
                        vault_id: &self.vault_id,
                        agent_id: reg.agent_id,
                        epoch: reg.epoch,
                        recipient_id: *recipient,
                    };
                    if let Some(k) = &ak {
                        tx.put_keyring_wrap(
                            reg.agent_id,
                            reg.epoch,
                            *recipient,
                            &k.wrap_to(&slot, pk)?,
                        )?;
                    }
                }
            }
            let (env, view) = agent_rows(rows.clone(), &grants, &pins, Some(&reg.agent), None);
            let entries = entries_of(&view)?;
            let old: Option<Statement> = tx
                .statement(reg.agent_id)?
                .and_then(|s| Statement::verify(&root_sign, &s.bytes, &s.sig).ok());
            if let Some(o) = &old {
                if o.entries == entries
                    && o.env == env
                    && o.agent_name == reg.agent
                    && o.agent_id == reg.agent_id
                    && o.keyring_epoch == reg.epoch
                    && o.expires_unix == reg.expires
                {
                    continue;
                }
            }
            let ak = match ak {
                Some(k) => k,
                None => open_keyring(tx, &self.vault_id, &reg, root, &root_kem)?,
            };
            // What the agent already holds a current wrap for.
            let kept: BTreeSet<(String, String, u64)> = match &old {
                Some(o) => o
                    .entries
                    .iter()
                    .filter(|e| {
                        entries.iter().any(|n| {
                            n.name == e.name
                                && n.env == e.env
                                && n.version == e.version
                                && n.content == e.content
                        })
                    })
                    .map(|e| (e.env.clone(), e.name.clone(), e.version))
                    .collect(),
                None => BTreeSet::new(),
            };
            let held: BTreeSet<(String, String, u64)> = tx
                .agent_wrap_keys(reg.agent_id, reg.epoch)?
                .into_iter()
                .collect();
            let mut wanted: BTreeSet<(String, String, u64)> = BTreeSet::new();
            for r in &view {
                let StoredValue::Sealed { nonce, .. } = &r.value else {
                    continue;
                };
                let key = (r.env.clone(), r.name.clone(), r.version);
                wanted.insert(key.clone());
                if kept.contains(&key) && held.contains(&key) {
                    continue;
                }
                let dslot = v2::Slot {
                    vault_id: &self.vault_id,
                    env: &r.env,
                    name: &r.name,
                    version: r.version,
                };
                if nonce.len() != V2_NONCE_COLUMN_LEN {
                    return Err(Error::integrity(format!(
                        "{} (version {}) is not stored in format 2: it was changed outside vault",
                        r.name, r.version
                    ))
                    .hint("restore the vault database from a backup"));
                }
                let dek = root
                    .rwk
                    .unwrap(&dslot, &nonce[NONCE_LEN..])
                    .map_err(|e| e.into_error(&format!("{} (version {})", r.name, r.version)))?;
                tx.put_agent_wrap(&AgentWrapRow {
                    agent_id: reg.agent_id,
                    epoch: reg.epoch,
                    env: r.env.clone(),
                    name: r.name.clone(),
                    version: r.version,
                    wrap: ak.wrap(&dslot, reg.agent_id, reg.epoch, &dek)?,
                })?;
            }
            for (e, n, v) in held.difference(&wanted) {
                tx.delete_agent_wrap(reg.agent_id, reg.epoch, e, n, *v)?;
            }
            let policy_seq = match seq {
                Some(s) => s,
                None => {
                    let next = tx
                        .meta("policy_seq")?
                        .and_then(|v| String::from_utf8_lossy(&v).trim().parse::<u64>().ok())
                        .unwrap_or(0)
                        + 1;
                    tx.set_meta("policy_seq", next.to_string().as_bytes())?;
                    seq = Some(next);
                    next
                }
            };
            let statement = Statement {
                vault_id,
                agent_id: reg.agent_id,
                agent_name: reg.agent.clone(),
                env,
                policy_seq,
                roster_epoch: 0,
                keyring_epoch: reg.epoch,
                expires_unix: reg.expires,
                signer_audit_seq: 0,
                signer_audit_hash: [0; 32],
                entries,
            };
            let (bytes, sig) = statement.sign(&root.sign)?;
            tx.put_statement(&StatementRow {
                agent_id: reg.agent_id,
                policy_seq,
                signer: 0,
                bytes,
                sig: sig.to_vec(),
            })?;
        }
        Ok(())
    }
}

/// What `vault agent token` / `approve` registered.
pub struct Registered {
    pub agent_id: u64,
    pub epoch: u64,
    /// The root's Ed25519 public key (pinned in the agent key).
    pub root_sign_pk: SignPublicKey,
    /// The vault id (in the agent key).
    pub vault_id: Vec<u8>,
    /// Said on stderr: the vault was upgraded to format 2 first.
    pub upgraded: Option<String>,
    /// The agent did not exist and was created.
    pub created: bool,
}

/// A key pair to register for an agent.
pub struct NewAgentKey<'a> {
    pub agent: &'a str,
    pub kem_pk: KemPublicKey,
    pub sign_pk: SignPublicKey,
    /// Unix seconds; 0 = never.
    pub expires: u64,
    /// `token` or `enroll`.
    pub made: &'a str,
}

/// What `vault agent revoke-key` removed.
pub struct RevokedKey {
    /// (name, environment of the row, version) the agent was delivered.
    pub delivered: Vec<(String, String, u64)>,
}

impl Vault {
    /// The vault's root fingerprint and public signing key, upgrading a
    /// format-1 vault first (said in the returned notice).
    pub fn ensure_format2(&mut self, src: &KeySource) -> Result<Option<String>> {
        self.unlock(src)?;
        if self.crypt.format() == v2::FORMAT_VERSION {
            return Ok(None);
        }
        let up = self.upgrade(src)?;
        Ok(Some(format!(
            "upgraded the vault to format 2 first ({} stored versions resealed; root fingerprint {})",
            up.versions, up.fingerprint
        )))
    }

    /// Register `new` as agent `new.agent`'s key (a new keyring epoch; the
    /// previous key, if any, is revoked): create the agent if missing, make
    /// its keyring key AK, wrap AK to the agent and to the root, and (by
    /// the write's sync) wrap the agent's current data keys and sign its
    /// statement, all in one transaction.
    pub fn register_agent_key(
        &mut self,
        src: &KeySource,
        new: &NewAgentKey<'_>,
    ) -> Result<Registered> {
        model::check_agent_name(new.agent)?;
        let upgraded = self.ensure_format2(src)?;
        let (root_sign_pk, root_kem) = {
            let keys = self.crypt.keys()?;
            let root = keys
                .root
                .as_ref()
                .ok_or_else(|| Error::other("the vault is still in format 1"))?;
            let kem = root
                .kem
                .public_key()
                .ok_or_else(|| Error::integrity("the vault's root keys are damaged"))?;
            (root.sign.public_key(), kem)
        };
        let ak = KeyringKey::generate()?;
        let now = super::now();
        let (agent_id, epoch, created) = self.write(src, |tx, crypt| {
            let created = tx.agent(new.agent)?.is_none();
            if created {
                tx.create_agent(new.agent, "", "", &now)?;
            }
            let agent_id = tx.assign_agent_id(new.agent)?;
            if tx.meta("policy_seq")?.is_none() {
                tx.set_meta("policy_seq", b"0")?;
            }
            let epoch = match tx.agent_key(new.agent)? {
                Some(prev) => {
                    tx.revoke_agent_keys(agent_id, &now)?;
                    prev.epoch + 1
                }
                None => 1,
            };
            tx.insert_agent_key(&AgentKeyRow {
                agent_id,
                agent: new.agent.to_owned(),
                epoch,
                kem_pk: new.kem_pk.to_bytes().to_vec(),
                sign_pk: new.sign_pk.to_bytes().to_vec(),
                created: now.clone(),
                expires: new.expires,
                revoked: None,
                made: new.made.to_owned(),
            })?;
            for (recipient, pk) in [(agent_id, &new.kem_pk), (0, &root_kem)] {
                let slot = KeyringSlot {
                    vault_id: &crypt.vault_id,
                    agent_id,
                    epoch,
                    recipient_id: recipient,
                };
                tx.put_keyring_wrap(agent_id, epoch, recipient, &ak.wrap_to(&slot, pk)?)?;
            }
            super::audit::append(
                tx,
                crypt,
                "agent-key",
                serde_json::json!({
                    "agent": new.agent,
                    "agent_id": agent_id,
                    "epoch": epoch,
                    "made": new.made,
                    "expires": new.expires,
                    "fingerprint": new.sign_pk.fingerprint(),
                }),
            )?;
            Ok((agent_id, epoch, created))
        })?;
        Ok(Registered {
            agent_id,
            epoch,
            root_sign_pk,
            vault_id: self.crypt.vault_id.clone(),
            upgraded,
            created,
        })
    }

    /// `vault agent revoke-key NAME`: every registration of the agent
    /// revoked, its wraps and statement deleted; returns what it was
    /// delivered (to rotate at the provider).
    pub fn revoke_agent_key(&mut self, src: &KeySource, agent: &str) -> Result<RevokedKey> {
        model::check_agent_name(agent)?;
        let now = super::now();
        self.write(src, |tx, crypt| {
            if tx.agent(agent)?.is_none() {
                return Err(super::no_such_agent(tx, agent));
            }
            let live = tx
                .agent_key(agent)?
                .filter(|k| k.revoked.is_none() && k.made != MEMBERS_KEYRING)
                .ok_or_else(|| {
                    Error::not_found(format!("agent {agent} has no key to revoke"))
                        .hint(format!("`vault agent show {agent}` shows its key, if any"))
                })?;
            let mut delivered: Vec<(String, String, u64)> = Vec::new();
            for env in tx.env_names()?.into_iter().chain([String::new()]) {
                for d in tx.deliveries(agent, &env)? {
                    let item = (d.secret, d.source, d.version);
                    if !delivered.contains(&item) {
                        delivered.push(item);
                    }
                }
            }
            delivered.sort();
            tx.revoke_agent_keys(live.agent_id, &now)?;
            super::audit::append(
                tx,
                crypt,
                "agent-key-revoke",
                serde_json::json!({ "agent": agent, "agent_id": live.agent_id, "epoch": live.epoch }),
            )?;
            Ok(RevokedKey { delivered })
        })
    }

    /// The key registration `vault agent show` prints.
    pub fn agent_key_info(&mut self, agent: &str) -> Result<Option<AgentKeyInfo>> {
        self.read(|tx, _| {
            Ok(tx.agent_key(agent)?.map(|k| AgentKeyInfo {
                fingerprint: if k.made == MEMBERS_KEYRING {
                    "none (a keyring for the members who operate it)".to_owned()
                } else {
                    <[u8; 32]>::try_from(k.sign_pk.as_slice())
                        .ok()
                        .and_then(|b| SignPublicKey::from_bytes(&b))
                        .map(|p| p.fingerprint().replacen("vault-root:", "vault-agent:", 1))
                        .unwrap_or_else(|| "(damaged)".to_owned())
                },
                epoch: k.epoch,
                expires: k.expires,
                revoked: k.revoked,
                made: k.made,
            }))
        })
    }
}

/// An agent's key registration as `vault agent show` prints it.
pub struct AgentKeyInfo {
    pub fingerprint: String,
    pub epoch: u64,
    /// Unix seconds; 0 = never.
    pub expires: u64,
    pub revoked: Option<String>,
    pub made: String,
}

// ------------------------------------------------------------------ reader

/// What an agent key opened: the agent's signed view, values opened.
pub struct Received {
    pub agent: String,
    /// The environment of the statement ("" = shared values only).
    pub env: String,
    pub items: Vec<ReceivedItem>,
}

pub struct ReceivedItem {
    pub name: String,
    /// The environment of the row ("" = shared).
    pub source: String,
    pub version: u64,
    pub secret: bool,
    /// Received by a grant (not as a global).
    pub granted: bool,
    pub value: SecretValue,
}

fn denied(msg: String) -> Error {
    Error::locked(format!("permission denied: {msg}"))
}

/// Who opens an agent's view: the agent's own key, or a member's identity.
struct Viewer<'a> {
    /// The root key the viewer pins (never the database's copy).
    root: &'a SignPublicKey,
    kem: &'a v2::KemSecretKey,
    kem_pk: KemPublicKey,
    /// (member id, name) for a member.
    member: Option<(u64, &'a str)>,
    /// The agent key's agent id (0 until an enrolled key is approved).
    agent_id: u64,
    /// For messages: where the key came from.
    source: &'a str,
}

impl Viewer<'_> {
    /// The keyring recipient id of this viewer for agent `agent_id`.
    fn recipient(&self, agent_id: u64) -> u64 {
        match self.member {
            Some((id, _)) => v2::member::member_recipient(id),
            None => agent_id,
        }
    }
}

/// The registration of the agent key (`agent_id`, public key `my_kem`),
/// refused (exit 5) when it is for another agent, revoked, replaced or expired.
fn agent_registration(
    regs: Vec<AgentKeyRow>,
    agent_id: u64,
    my_kem: &KemPublicKey,
    source: &str,
    agent: Option<&str>,
) -> Result<AgentKeyRow> {
    // An enrolled key file carries agent id 0 until approved: its
    // registration is the one of its name holding its public key.
    let mine = |r: &AgentKeyRow| {
        if agent_id == 0 {
            agent == Some(r.agent.as_str()) && r.kem_pk[..] == my_kem.to_bytes()[..]
        } else {
            r.agent_id == agent_id
        }
    };
    let Some(reg) = regs.into_iter().find(mine) else {
        return Err(denied(format!(
            "{source} is for an agent this vault no longer has a key for (deleted, or its key was replaced)"
        ))
        .hint("ask an owner for a new key (`vault agent token` or `vault agent enroll` + `approve`)"));
    };
    if let Some(a) = agent {
        if a != reg.agent {
            return Err(denied(format!(
                "{source} is the key of agent {}, not of {a}",
                reg.agent
            ))
            .hint(format!("run as {} or use {a}'s own key", reg.agent)));
        }
    }
    if reg.revoked.is_some() {
        return Err(denied(format!(
            "the key of agent {} in {source} was revoked",
            reg.agent
        ))
        .hint("ask an owner for a new key (`vault agent token` or `approve`)"));
    }
    if reg.kem_pk[..] != my_kem.to_bytes()[..] {
        return Err(denied(format!(
            "{source} is not the key registered for agent {} (an older or another key)",
            reg.agent
        ))
        .hint("use the key from the agent's latest `vault agent token` / `approve`"));
    }
    if reg.expires != 0 && unix_now() >= reg.expires {
        return Err(denied(format!(
            "the key of agent {} in {source} has expired",
            reg.agent
        ))
        .hint("ask an owner for a new key (`vault agent token NAME --ttl DUR`)"));
    }
    Ok(reg)
}

impl Vault {
    /// Open what agent key `key` receives (see the module comment). `agent`:
    /// the name the caller asked for (`run --agent NAME`), checked against
    /// the key's. `env`: `--env`, which must be the statement's.
    pub fn agent_receives(
        &mut self,
        key: &AgentKey,
        source: &str,
        agent: Option<&str>,
        env: Option<&str>,
    ) -> Result<Received> {
        key.check_vault(&self.crypt.vault_id, source)?;
        let my_kem = key
            .kem
            .public_key()
            .ok_or_else(|| Error::locked(format!("{source} holds an unusable private key")))?;
        self.open_view(
            &Viewer {
                root: &key.root_sign_pk,
                kem: &key.kem,
                kem_pk: my_kem,
                member: None,
                agent_id: key.agent_id,
                source,
            },
            agent,
            env,
        )
    }

    /// What a member who operates `agent` opens as it (`vault run --agent`,
    /// `get --reveal`): the agent's signed view, through the keyring wrap to
    /// the member (docs/FORMAT.md §21.4). `None` when the vault was not
    /// opened by a non-owner member.
    pub fn member_receives(&mut self, agent: &str, env: Option<&str>) -> Result<Option<Received>> {
        let Some(me) = self.me.take() else {
            return Ok(None);
        };
        if me.role == "owner" {
            self.me = Some(me);
            return Ok(None);
        }
        let out = match me.identity.kem.public_key() {
            None => Err(Error::locked("your member identity holds an unusable key")),
            Some(kem_pk) => self.open_view(
                &Viewer {
                    root: &me.identity.root_sign_pk,
                    kem: &me.identity.kem,
                    kem_pk,
                    member: Some((me.id as u64, me.identity.name.as_str())),
                    agent_id: 0,
                    source: "your member identity",
                },
                Some(agent),
                env,
            ),
        };
        self.me = Some(me);
        out.map(Some)
    }

    /// The agents this non-owner member operates (operate or manage), by
    /// name; empty for everyone else.
    pub fn operated_agents(&self) -> Vec<String> {
        match &self.me {
            Some(me) if me.role != "owner" => me
                .rights
                .iter()
                .filter(|(_, r)| r == "operate" || r == "manage")
                .map(|(a, _)| a.clone())
                .collect(),
            _ => Vec::new(),
        }
    }

    fn open_view(
        &mut self,
        who: &Viewer<'_>,
        agent: Option<&str>,
        env: Option<&str>,
    ) -> Result<Received> {
        let vault_id = self.crypt.vault_id.clone();
        let source = who.source;
        let my_kem = who.kem_pk;
        let (reg, statement, values) = self.store.read_again(|tx| {
            let regs = tx.agent_keys()?;
            let reg = match (who.member, agent) {
                (Some(_), Some(a)) => {
                    let Some(reg) = regs.into_iter().find(|r| r.agent == a && r.revoked.is_none())
                    else {
                        return Err(Error::locked(format!(
                            "permission denied: agent {a} has no keyring for its operators yet"
                        ))
                        .hint("ask an owner to run any change to the vault (their next write makes it), or to give the agent a key"));
                    };
                    reg
                }
                (Some(_), None) => {
                    return Err(Error::usage("a member runs as an agent: name it with --agent"))
                }
                (None, _) => agent_registration(regs, who.agent_id, &my_kem, source, agent)?,
            };
            // Signed by the root, or by a manager of the agent under the
            // current roster (docs/FORMAT.md §21.8); about this vault,
            // agent and key.
            let (statement, _) =
                super::members::verified_statement(tx, who.root, &vault_id, &reg)?.ok_or_else(|| {
                    Error::integrity(format!(
                        "agent {} has a registered key but no signed statement: the vault was changed outside vault",
                        reg.agent
                    ))
                    .hint("ask an owner to run any change, or to re-approve the agent; or restore the database")
                })?;
            // A grant row the statement does not list was not made by an
            // owner (every owner write re-signs): refuse, do not ignore.
            for g in tx.grants(&reg.agent)? {
                if statement.entries.iter().any(|e| e.name == g) {
                    continue;
                }
                let row = match statement.env.as_str() {
                    "" => None,
                    e => tx.secret(e, &g)?,
                };
                let row = match row {
                    Some(r) => Some(r),
                    None => tx.secret("", &g)?,
                };
                if row.is_some_and(|r| r.scope == Scope::Agent) {
                    return Err(Error::integrity(format!(
                        "the vault grants {g} to agent {} but its signed statement does not: the grant was added outside vault",
                        reg.agent
                    ))
                    .hint("do not use this database; restore it from a backup and tell the vault's owners"));
                }
            }
            let items: Vec<(String, String, u64)> = statement
                .entries
                .iter()
                .filter(|e| matches!(e.content, Content::Secret(_)))
                .map(|e| (e.env.clone(), e.name.clone(), e.version))
                .collect();
            let wrap = tx.keyring_wrap(reg.agent_id, reg.epoch, who.recipient(reg.agent_id))?;
            let payload = tx.agent_payload(reg.agent_id, reg.epoch, &items)?;
            Ok((reg, statement, (wrap, items, payload)))
        })?;
        // The statement is the root's: check it is about this vault, this
        // agent and this key, and not older than what this agent saw.
        let bad = |what: &str| {
            Error::integrity(format!(
                "the signed statement of agent {} {what}: it was replaced in the database",
                reg.agent
            ))
            .hint("do not use this database; restore it from a backup and tell the vault's owners")
        };
        if who.member.is_none()
            && statement.expires_unix != 0
            && unix_now() >= statement.expires_unix
        {
            return Err(denied(format!(
                "the key of agent {} in {source} has expired",
                reg.agent
            ))
            .hint("ask an owner for a new key (`vault agent token NAME --ttl DUR`)"));
        }
        if let Some(e) = env {
            if e != statement.env {
                return Err(denied(format!(
                    "agent {} receives the values of {}, not of environment {e}",
                    reg.agent,
                    if statement.env.is_empty() {
                        "no environment (shared values)".to_owned()
                    } else {
                        format!("environment {}", statement.env)
                    }
                ))
                .hint("drop --env / VAULT_ENV, or ask an owner to pin the agent (`vault agent create --env`)"));
            }
        }
        let state = match who.member {
            // A member keeps a mark per agent it operates.
            Some((_, name)) => state_file(&vault_id, &format!("{}@{name}", reg.agent)),
            None => state_file(&vault_id, &reg.agent),
        };
        let mark = match &state {
            Some(path) => read_mark_opt(path, "policy_seq")?,
            None => None,
        };
        if let Some(seen) = mark.filter(|&seen| statement.policy_seq < seen) {
            return Err(bad(&format!(
                "is older (policy {}) than one this agent already used (policy {seen})",
                statement.policy_seq
            )));
        }
        let (wrap, items, payload) = values;
        let wrap = wrap.ok_or_else(|| {
            match who.member {
                Some((_, name)) => Error::locked(format!(
                    "permission denied: agent {}'s keyring key is not wrapped to you ({name}) yet",
                    reg.agent
                ))
                .hint("ask an owner to run any change to the vault: their next write wraps it to every member who operates the agent"),
                None => Error::integrity(format!(
                    "the keyring wrap of agent {} is missing: the vault was changed outside vault",
                    reg.agent
                ))
                .hint("ask an owner to re-approve the agent, or restore the database"),
            }
        })?;
        let slot = KeyringSlot {
            vault_id: &vault_id,
            agent_id: reg.agent_id,
            epoch: reg.epoch,
            recipient_id: who.recipient(reg.agent_id),
        };
        // The agent's key must be the one registered; a member's, the one
        // its verified roster entry lists (checked when the vault opened).
        let registered = match who.member {
            Some(_) => who.kem_pk,
            None => kem_pk(&reg.kem_pk, &reg.agent)?,
        };
        let ak = KeyringKey::open_from_with_pk(&slot, who.kem, &who.kem_pk, &registered, &wrap)
            .map_err(|e| {
                let e = e.into_error(&format!("the keyring wrap of agent {}", reg.agent));
                if e.kind() == crate::error::Kind::Locked {
                    denied(e.message().to_owned())
                } else {
                    e
                }
            })?;
        let opened: BTreeMap<(String, String, u64), SecretValue> = {
            let mut m = BTreeMap::new();
            for ((env, name, version), (value, dek_wrap)) in items.into_iter().zip(payload) {
                let what = format!("{name} (version {version}) for agent {}", reg.agent);
                let (Some(StoredValue::Sealed { nonce, ciphertext }), Some(dek_wrap)) =
                    (value, dek_wrap)
                else {
                    return Err(Error::integrity(format!(
                        "{what} is missing or not sealed in the database, though the agent's signed statement lists it"
                    ))
                    .hint("restore the vault database from a backup"));
                };
                let expected = statement
                    .entries
                    .iter()
                    .find(|e| e.env == env && e.name == name && e.version == version)
                    .map(|e| e.content.clone());
                if expected != Some(Content::Secret(v2::ciphertext_hash(&nonce, &ciphertext))) {
                    return Err(Error::integrity(format!(
                        "{what} is not the ciphertext the signed statement names: it was swapped in the database"
                    ))
                    .hint("restore the vault database from a backup"));
                }
                if nonce.len() != V2_NONCE_COLUMN_LEN {
                    return Err(Error::integrity(format!(
                        "{what} is not stored in format 2"
                    )));
                }
                let dslot = v2::Slot {
                    vault_id: &vault_id,
                    env: &env,
                    name: &name,
                    version,
                };
                let dek = ak
                    .unwrap(&dslot, reg.agent_id, reg.epoch, &dek_wrap)
                    .map_err(|e| e.into_error(&what))?;
                let plain = dek
                    .open_value(&dslot, &nonce[..NONCE_LEN], &ciphertext)
                    .map_err(|e| e.into_error(&what))?;
                let value = SecretValue::from_bytes(plain).map_err(|_| {
                    Error::integrity(format!(
                        "{what} decrypted to something that is not a valid value"
                    ))
                })?;
                m.insert((env, name, version), value);
            }
            m
        };
        let mut opened = opened;
        let mut out = Vec::with_capacity(statement.entries.len());
        for e in &statement.entries {
            let value = match &e.content {
                Content::Variable(v) => SecretValue::new(zeroize::Zeroizing::new(v.clone()))?,
                Content::Secret(_) => opened
                    .remove(&(e.env.clone(), e.name.clone(), e.version))
                    .ok_or_else(|| Error::integrity("an entry of the statement was not opened"))?,
            };
            out.push(ReceivedItem {
                name: e.name.clone(),
                source: e.env.clone(),
                version: e.version,
                secret: matches!(e.content, Content::Secret(_)),
                granted: e.scope == v2::Scope::Grant,
                value,
            });
        }
        // The file was read above: write it only when the mark moves (or
        // there is no file yet), and then through `raise_high_water`, which
        // reads it again so as never to lower a mark a concurrent run raised.
        let moves = mark.is_none_or(|seen| seen < statement.policy_seq);
        if let Some(path) = state.as_ref().filter(|_| moves) {
            if let Err(e) = raise_high_water(path, statement.policy_seq) {
                eprintln!(
                    "vault: warning: could not record the agent's policy high-water mark: {}",
                    e.message()
                );
            }
        }
        Ok(Received {
            agent: reg.agent,
            env: statement.env,
            items: out,
        })
    }

    /// Record what an agent key's run received, when the store lets it (a
    /// read-only mount still runs). No audit entry: the agent holds no key
    /// of the owners' chain.
    pub fn record_agent_delivery(&mut self, r: &Received, delivered: &[&ReceivedItem]) {
        let now = super::now();
        let all: Vec<(&str, &str, u64)> = delivered
            .iter()
            .map(|i| (i.name.as_str(), i.source.as_str(), i.version))
            .collect();
        let _ = self.relax_durability();
        let _ = self
            .store
            .write(|tx| Ok(tx.record_delivery(&r.agent, &r.env, &all, &now)?));
    }
}

// ------------------------------------------------------------------ credentials

/// An agent key and where it came from (for messages; never its text).
pub struct AgentCredential {
    key: AgentKey,
    pub source: String,
}

/// Where `vault agent enroll NAME` keeps the agent's key on its machine:
/// `$XDG_CONFIG_HOME/vault/agents/NAME.key`.
pub fn enrolled_key_path(agent: &str) -> Option<PathBuf> {
    let base = dirs::config_dir().filter(|d| d.is_absolute())?;
    Some(
        base.join("vault")
            .join("agents")
            .join(format!("{agent}.key")),
    )
}

fn read_agent_key_file(path: &Path) -> Result<AgentKey> {
    let text = crate::paths::read_key_file(path)?;
    AgentKey::parse(&text, &path.display().to_string())
}

impl AgentCredential {
    /// The agent key to use when no master key is at hand (no key file,
    /// `VAULT_KEY` or passphrase): `VAULT_AGENT_KEY` (the text), else
    /// `VAULT_AGENT_KEY_FILE`, else, for `run --agent NAME`, the key `vault
    /// agent enroll NAME` left in the config dir. `None`: no agent key, or
    /// the master key is at hand (the owner's way).
    pub fn find(agent: Option<&str>, master_at_hand: bool) -> Result<Option<AgentCredential>> {
        // With the master key at hand the owner's way is taken, and the
        // agent key variables are only removed from the command's environment.
        if master_at_hand {
            return Ok(None);
        }
        match std::env::var("VAULT_AGENT_KEY") {
            Ok(text) if !text.is_empty() => {
                let text = zeroize::Zeroizing::new(text);
                return Ok(Some(AgentCredential {
                    key: AgentKey::parse(&text, "VAULT_AGENT_KEY")?,
                    source: "VAULT_AGENT_KEY".to_owned(),
                }));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(Error::locked("VAULT_AGENT_KEY is not UTF-8 text")
                    .hint("set it to the one line `vault agent token` printed"))
            }
            _ => {}
        }
        if let Some(p) = std::env::var_os("VAULT_AGENT_KEY_FILE").filter(|p| !p.is_empty()) {
            let path = PathBuf::from(p);
            return Ok(Some(AgentCredential {
                key: read_agent_key_file(&path)?,
                source: path.display().to_string(),
            }));
        }
        let Some(path) = agent.and_then(enrolled_key_path) else {
            return Ok(None);
        };
        if !crate::paths::something_at(&path) {
            return Ok(None);
        }
        Ok(Some(AgentCredential {
            key: read_agent_key_file(&path)?,
            source: path.display().to_string(),
        }))
    }

    /// True when an agent key variable is set (the gate for commands an
    /// agent key cannot do).
    pub fn given() -> bool {
        std::env::var_os("VAULT_AGENT_KEY").is_some_and(|v| !v.is_empty())
            || std::env::var_os("VAULT_AGENT_KEY_FILE").is_some_and(|v| !v.is_empty())
    }
}

impl Vault {
    /// [`Vault::agent_receives`] with a found credential.
    pub fn receive_as(
        &mut self,
        cred: &AgentCredential,
        agent: Option<&str>,
        env: Option<&str>,
    ) -> Result<Received> {
        self.agent_receives(&cred.key, &cred.source, agent, env)
    }

    /// `vault agent token NAME`: a key pair made here, registered; returns
    /// the key's one-line text (print it once, or write it to a 0600 file).
    pub fn issue_agent_token(
        &mut self,
        src: &KeySource,
        agent: &str,
        expires: u64,
    ) -> Result<(Registered, zeroize::Zeroizing<String>)> {
        let kem = v2::KemSecretKey::generate()?;
        let sign = v2::SignSecretKey::generate()?;
        let kem_pk = kem
            .public_key()
            .ok_or_else(|| Error::other("the new key pair is unusable; run the command again"))?;
        let reg = self.register_agent_key(
            src,
            &NewAgentKey {
                agent,
                kem_pk,
                sign_pk: sign.public_key(),
                expires,
                made: "token",
            },
        )?;
        let key = AgentKey {
            vault_id: vault_id_array(&reg.vault_id)?,
            agent_id: reg.agent_id,
            kem,
            sign,
            root_sign_pk: reg.root_sign_pk,
        };
        Ok((reg, key.to_text()))
    }

    /// `vault agent approve REQUEST`, the part before the question: the
    /// parsed request with both fingerprints (root, agent). Exit 7 for a
    /// request that is broken, not an agent's, or for another vault.
    pub fn read_enrollment(&mut self, src: &KeySource, text: &str) -> Result<Enrollment> {
        let req = v2::EnrollRequest::parse(text)?;
        if req.kind != "agent" {
            return Err(Error::invalid(format!(
                "this request is for a {}, not an agent",
                req.kind
            ))
            .hint("use `vault member add` for a member's request"));
        }
        if req.vault_id[..] != self.crypt.vault_id[..] {
            return Err(Error::invalid("this enrollment request is for another vault")
                .hint("run `vault agent enroll` on the agent's machine against this vault (same --vault-dir / VAULT_DATABASE_URL)"));
        }
        model::check_agent_name(&req.name)?;
        let upgraded = self.ensure_format2(src)?;
        let root = self
            .crypt
            .keys()?
            .root
            .as_ref()
            .map(|r| r.sign.public_key().fingerprint())
            .ok_or_else(|| Error::other("the vault is still in format 1"))?;
        Ok(Enrollment {
            agent: req.name.clone(),
            agent_fingerprint: agent_fingerprint(&req.sign_pk),
            root_fingerprint: root,
            upgraded,
            req,
        })
    }

    /// Register an enrollment that the owner approved.
    pub fn approve_enrollment(&mut self, src: &KeySource, e: &Enrollment) -> Result<Registered> {
        self.register_agent_key(
            src,
            &NewAgentKey {
                agent: &e.req.name,
                kem_pk: e.req.kem_pk,
                sign_pk: e.req.sign_pk,
                expires: 0,
                made: "enroll",
            },
        )
    }
}

/// How an agent's signing key is shown: `vault-agent:SHA256:<hex>`.
fn agent_fingerprint(pk: &SignPublicKey) -> String {
    pk.fingerprint().replacen("vault-root:", "vault-agent:", 1)
}

/// A parsed enrollment request, with what `approve` shows.
pub struct Enrollment {
    pub agent: String,
    pub agent_fingerprint: String,
    pub root_fingerprint: String,
    pub upgraded: Option<String>,
    req: v2::EnrollRequest,
}

/// What `vault agent enroll` made.
pub struct Enrolled {
    pub request: String,
    pub key_file: PathBuf,
    pub agent_fingerprint: String,
}

/// `vault agent enroll NAME --root FPR` on the agent's machine: no master
/// key. Checks the vault's root key against the fingerprint the owner gave
/// (exit 5 on a mismatch: another vault, or a database that lies), makes
/// the key pair here, writes the key file (0600, never over another), and
/// returns the request line. The key file carries agent id 0 until the
/// agent's first run finds its registration by name and public key.
pub fn enroll(paths: &crate::paths::Paths, agent: &str, root_fpr: &str) -> Result<Enrolled> {
    model::check_agent_name(agent)?;
    let fpr = v2::RootFingerprint::parse(root_fpr)?;
    let mut vault = Vault::open(paths)?;
    let vault_id = vault.crypt.vault_id.clone();
    let stored = vault.store.read_again(|tx| Ok(tx.meta("root_sign_pk")?))?;
    let root = stored
        .as_deref()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| SignPublicKey::from_bytes(&b))
        .ok_or_else(|| {
            Error::other(format!(
                "the vault at {} has no root key yet (format 1)",
                paths.location()
            ))
            .hint("ask an owner to run `vault upgrade` (or `vault agent approve`, which upgrades), then enroll again")
        })?;
    if !fpr.matches(&root) {
        return Err(Error::locked(format!(
            "the vault at {} has root key {}, not the one given with --root",
            paths.location(),
            root.fingerprint()
        ))
        .hint("check --vault-dir / VAULT_DATABASE_URL and the fingerprint the owner gave you (`vault info`); do not enroll against a vault you cannot verify"));
    }
    let path = enrolled_key_path(agent).ok_or_else(|| {
        Error::other("cannot find your config directory (HOME is unset or not absolute)")
    })?;
    if crate::paths::something_at(&path) {
        return Err(Error::conflict(format!(
            "{} exists already: agent {agent} is enrolled on this machine",
            path.display()
        ))
        .hint("nothing was changed; move that file away first to enroll again"));
    }
    let kem = v2::KemSecretKey::generate()?;
    let sign = v2::SignSecretKey::generate()?;
    let kem_pk = kem
        .public_key()
        .ok_or_else(|| Error::other("the new key pair is unusable; run the command again"))?;
    let vid = vault_id_array(&vault_id)?;
    let request = v2::EnrollRequest {
        vault_id: vid,
        kind: "agent".to_owned(),
        name: agent.to_owned(),
        kem_pk,
        sign_pk: sign.public_key(),
        scram_verifier: String::new(),
    }
    .to_text(&sign)?;
    let agent_fingerprint = agent_fingerprint(&sign.public_key());
    let key = AgentKey {
        vault_id: vid,
        agent_id: 0,
        kem,
        sign,
        root_sign_pk: root,
    };
    if let Some(dir) = path.parent() {
        crate::paths::ensure_private_dir(dir)?;
    }
    if !crate::paths::publish_new_file(&path, key.to_text().as_bytes())? {
        return Err(
            Error::conflict(format!("{} exists already", path.display()))
                .hint("nothing was changed; move that file away first to enroll again"),
        );
    }
    Ok(Enrolled {
        request,
        key_file: path,
        agent_fingerprint,
    })
}

// ------------------------------------------------------------------ state file

/// `$XDG_STATE_HOME/vault/agents/<vault-id>-<name>.state`: the highest
/// `policy_seq` this agent has used with this vault. `None` when there is no
/// state directory (no HOME): the check is skipped.
pub fn state_file(vault_id: &[u8], agent: &str) -> Option<PathBuf> {
    let base = dirs::state_dir().filter(|d| d.is_absolute())?;
    Some(
        base.join("vault")
            .join("agents")
            .join(format!("{}-{agent}.state", crate::hex::encode(vault_id))),
    )
}

/// The mark `label` in a state file's text: a line `LABEL N`.
fn parse_mark(text: &str, label: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(label)?.strip_prefix(' '))
        .and_then(|n| n.trim().parse().ok())
}

/// Raise the mark to `seq` (never lower it), atomically: a temporary file
/// beside it, renamed over it.
pub fn raise_high_water(path: &Path, seq: u64) -> Result<()> {
    raise_mark(path, "policy_seq", seq)
}

/// The recorded mark `label` (0 when there is no file yet); an unreadable
/// or garbled file is refused (exit 6): it is how rollbacks are caught.
pub(super) fn read_mark(path: &Path, label: &str) -> Result<u64> {
    Ok(read_mark_opt(path, label)?.unwrap_or(0))
}

/// The mark `label`, `None` when there is no file yet.
fn read_mark_opt(path: &Path, label: &str) -> Result<Option<u64>> {
    match std::fs::read_to_string(path) {
        Ok(t) => parse_mark(&t, label).map(Some).ok_or_else(|| {
            Error::integrity(format!("the state file {} is damaged", path.display()))
                .hint("delete it only if you trust the database not to have been rolled back")
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

/// [`raise_high_water`] of the mark `label`.
pub(super) fn raise_mark(path: &Path, label: &str, seq: u64) -> Result<()> {
    if read_mark(path, label)? >= seq && path.exists() {
        return Ok(());
    }
    let dir = path
        .parent()
        .ok_or_else(|| Error::other("the state file has no directory"))?;
    crate::paths::ensure_private_dir(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("state"),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = crate::paths::create_private_file(&tmp)?;
        f.write_all(format!("{label} {seq}\n").as_bytes())?;
        f.sync_all()
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io("write", &tmp, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io("replace", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::Zeroizing;

    fn row(env: &str, name: &str, scope: Scope, kind: Kind, version: u64) -> SecretRow {
        SecretRow {
            env: env.into(),
            name: name.into(),
            kind,
            scope,
            description: String::new(),
            provider: None,
            version,
            created: String::new(),
            updated: String::new(),
            value: match kind {
                Kind::Secret => StoredValue::Sealed {
                    nonce: vec![version as u8; 72],
                    ciphertext: vec![7; 20],
                },
                Kind::Variable => StoredValue::Plain(Zeroizing::new(format!("v{version}"))),
            },
        }
    }

    /// The statement lists the globals and the agent's grants in its pinned
    /// environment (its own row over the shared one), nothing else.
    #[test]
    fn an_agents_rows_are_globals_and_grants_in_its_environment() {
        let all = vec![
            row("", "A", Scope::Agent, Kind::Secret, 1),
            row("prod", "A", Scope::Agent, Kind::Secret, 2),
            row("", "B", Scope::Agent, Kind::Secret, 1),
            row("", "G", Scope::Global, Kind::Variable, 3),
            row("staging", "G", Scope::Global, Kind::Variable, 4),
        ];
        let grants = vec![("bot".to_owned(), "A".to_owned())];
        let pins = vec![("bot".to_owned(), "prod".to_owned())];
        let (env, rows) = agent_rows(all.clone(), &grants, &pins, Some("bot"), None);
        assert_eq!(env, "prod");
        let got: Vec<(&str, &str, u64)> = rows
            .iter()
            .map(|r| (r.env.as_str(), r.name.as_str(), r.version))
            .collect();
        assert_eq!(got, vec![("prod", "A", 2), ("", "G", 3)]);
        let (env, rows) = agent_rows(all, &grants, &[], Some("other"), None);
        assert_eq!(env, "");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].name, "G");
    }

    /// Entries carry the ciphertext hash for secrets and the value for variables.
    #[test]
    fn entries_hash_secrets_and_carry_variables() {
        let rows = vec![
            row("", "G", Scope::Global, Kind::Variable, 3),
            row("", "A", Scope::Agent, Kind::Secret, 1),
        ];
        let e = entries_of(&rows).unwrap();
        assert_eq!(e[0].name, "A");
        assert_eq!(e[0].scope, v2::Scope::Grant);
        assert_eq!(
            e[0].content,
            Content::Secret(v2::ciphertext_hash(&[1; 72], &[7; 20]))
        );
        assert_eq!(e[1].content, Content::Variable("v3".into()));
        let mut bad = rows.clone();
        bad[1].value = StoredValue::Plain(Zeroizing::new("x".into()));
        assert!(entries_of(&bad).is_err());
    }

    #[test]
    fn state_file_mark_only_rises() {
        let dir = std::env::temp_dir().join(format!("vault-ak-state-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("agents").join("x.state");
        assert_eq!(read_mark(&path, "policy_seq").unwrap(), 0);
        raise_high_water(&path, 5).unwrap();
        assert_eq!(read_mark(&path, "policy_seq").unwrap(), 5);
        raise_high_water(&path, 3).unwrap();
        assert_eq!(read_mark(&path, "policy_seq").unwrap(), 5);
        raise_high_water(&path, 9).unwrap();
        assert_eq!(read_mark(&path, "policy_seq").unwrap(), 9);
        std::fs::write(&path, "garbage").unwrap();
        assert_eq!(
            read_mark(&path, "policy_seq").unwrap_err().kind(),
            crate::error::Kind::Integrity
        );
        assert_eq!(parse_mark("policy_seq 12\n", "policy_seq"), Some(12));
        assert_eq!(parse_mark("roster_epoch 3\n", "roster_epoch"), Some(3));
        assert_eq!(parse_mark("roster_epoch 3\n", "roster"), None);
        assert_eq!(parse_mark("policy_seq x\n", "policy_seq"), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
