//! Format 1's keys and access policy. `Crypt` holds the vault id and, once
//! unlocked, the value key and policy key derived from the master key: it
//! seals and opens values, and checks and reseals the policy tag (one HMAC
//! over every secret's name, kind, scope, version pointer, provider and
//! variable value, and every grant; docs/FORMAT.md §6).

use zeroize::Zeroizing;

use crate::crypto::v2::{self, RootKeys};
use crate::crypto::{MasterKey, PolicyKey, RowKey, ValueKey};
use crate::error::{Error, Result};
use crate::model::{Kind, SecretValue};
use crate::store::{SecretRow, StoredValue, Tagged, Tx};

/// Every secret row, grant and agent pin, read and authenticated together.
pub struct Snapshot {
    /// Secret rows by name, then environment (description and timestamps left empty).
    pub rows: Vec<SecretRow>,
    /// (agent, secret) pairs.
    pub grants: Vec<(String, String)>,
    /// (agent, environment) of every pinned agent, by agent.
    pub pins: Vec<(String, String)>,
}

pub struct Crypt {
    pub(super) vault_id: Vec<u8>,
    /// `meta.root_keys` as read when the vault was opened: present exactly
    /// when the vault is in format 2 (docs/FORMAT.md §14).
    pub(super) root_blob: Option<Vec<u8>>,
    pub(super) keys: Option<Keys>,
}

pub(super) struct Keys {
    /// Kept for wrapping new key slots (`keys add`, `rekey`); zeroed on drop.
    pub(super) master: MasterKey,
    /// Format 1's value and policy keys, derived from M on first use
    /// (format 2 seals and checks with other keys: a run derives neither).
    value: std::cell::OnceCell<ValueKey>,
    policy: std::cell::OnceCell<PolicyKey>,
    vault_id: Vec<u8>,
    /// Format 2: the root keys opened from `meta.root_keys` with M. Values
    /// are then sealed under a fresh data key per version, wrapped with RWK.
    pub(super) root: Option<RootKeys>,
    /// Format 2: the row key (docs/FORMAT.md §19), one tag per row.
    pub(super) row: Option<RowKey>,
    /// Format 2: seals new values (RWK expanded once, randomness pooled),
    /// made on the first value sealed.
    sealer: std::cell::RefCell<Option<v2::ValueSealer>>,
    /// Format 2: opens the root wraps of values (RWK expanded once), made
    /// on the first value opened.
    opener: std::cell::OnceCell<v2::WrapOpener>,
}

impl Keys {
    /// The keys of M; in format 2 (`root_blob` given) also the root keys,
    /// whose blob M must open (any failure is damage: exit 6).
    pub(super) fn derive(
        master: MasterKey,
        vault_id: &[u8],
        root_blob: Option<&[u8]>,
    ) -> Result<Keys> {
        let root = match root_blob {
            Some(blob) => Some(
                RootKeys::open(&master, vault_id, blob)
                    .map_err(|e| e.into_error("the vault's root keys (meta.root_keys)"))?,
            ),
            None => None,
        };
        Ok(Keys {
            row: root.as_ref().map(|_| RowKey::derive(&master, vault_id)),
            value: std::cell::OnceCell::new(),
            policy: std::cell::OnceCell::new(),
            vault_id: vault_id.to_vec(),
            master,
            root,
            sealer: std::cell::RefCell::new(None),
            opener: std::cell::OnceCell::new(),
        })
    }

    /// Format 1's value key.
    pub(super) fn value(&self) -> Result<&ValueKey> {
        if self.value.get().is_none() {
            // Cannot be set already: `Keys` is not shared between threads.
            let _ = self
                .value
                .set(ValueKey::derive(&self.master, &self.vault_id)?);
        }
        self.value
            .get()
            .ok_or_else(|| Error::other("internal error: no value key"))
    }

    /// Format 1's policy key (also the empty policy's tag a new vault stores).
    pub(super) fn policy(&self) -> &PolicyKey {
        self.policy
            .get_or_init(|| PolicyKey::derive(&self.master, &self.vault_id))
    }

    /// Format 2: this process's opener of root wraps.
    fn opener(&self, root: &RootKeys) -> Result<&v2::WrapOpener> {
        if self.opener.get().is_none() {
            // Cannot be set already: `Keys` is not shared between threads.
            let _ = self.opener.set(root.rwk.opener()?);
        }
        self.opener
            .get()
            .ok_or_else(|| Error::other("internal error: no opener of root wraps"))
    }

    /// Format 2: `plaintext` sealed under a fresh data key wrapped with
    /// `root`'s RWK, as [`seal_v2`] does, through this process's sealer.
    fn seal_pooled(
        &self,
        root: &RootKeys,
        slot: &v2::Slot,
        plaintext: &[u8],
    ) -> Result<StoredValue> {
        let mut held = self.sealer.borrow_mut();
        let sealer = match held.take() {
            Some(s) => s,
            None => root.rwk.sealer()?,
        };
        let (sealed, wrap) = held.insert(sealer).seal(slot, plaintext)?;
        let mut nonce = sealed.nonce;
        nonce.extend_from_slice(&wrap);
        Ok(StoredValue::Sealed {
            nonce,
            ciphertext: sealed.ciphertext,
        })
    }
}

/// Length of a format-2 `versions.nonce`: the value's nonce (12) followed by
/// the root wrap of its data key (60), docs/FORMAT.md §11.1.
pub(super) const V2_NONCE_COLUMN_LEN: usize = crate::crypto::NONCE_LEN + v2::SYM_WRAP_LEN;

/// Seal `value` under a fresh data key wrapped with `root`'s RWK: the
/// stored form of format 2 (value nonce || root wrap in `nonce`, §11.1).
pub(super) fn seal_v2(
    root: &RootKeys,
    vault_id: &[u8],
    env: &str,
    name: &str,
    version: u64,
    plaintext: &[u8],
) -> Result<StoredValue> {
    let slot = v2::Slot {
        vault_id,
        env,
        name,
        version,
    };
    let dek = v2::DataKey::generate()?;
    let sealed = dek.seal_value(&slot, plaintext)?;
    let wrap = root.rwk.wrap(&slot, &dek)?;
    let mut nonce = sealed.nonce;
    nonce.extend_from_slice(&wrap);
    Ok(StoredValue::Sealed {
        nonce,
        ciphertext: sealed.ciphertext,
    })
}

/// Tag every untagged row with `key` (docs/FORMAT.md §19).
fn tag_untagged_with(tx: &Tx<'_>, key: &RowKey) -> Result<()> {
    for (env, name) in tx.untagged(Tagged::Secrets, usize::MAX)? {
        if let Some(r) = tx.secret(&env, &name)? {
            tx.set_row_tag(
                Tagged::Secrets,
                &env,
                &name,
                &key.tag(&secret_row_message(&r)),
            )?;
        }
    }
    for (agent, secret) in tx.untagged(Tagged::Grants, usize::MAX)? {
        tx.set_row_tag(
            Tagged::Grants,
            &agent,
            &secret,
            &key.tag(&grant_message(&agent, &secret)),
        )?;
    }
    for (agent, env) in tx.untagged(Tagged::Agents, usize::MAX)? {
        tx.set_row_tag(
            Tagged::Agents,
            &agent,
            "",
            &key.tag(&agent_message(&agent, &env)),
        )?;
    }
    Ok(())
}

/// Open a format-2 stored value with the root keys (RWK, then the DEK).
fn open_v2(
    rwk: &v2::WrapOpener,
    vault_id: &[u8],
    env: &str,
    name: &str,
    version: u64,
    nonce: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let what = || format!("{name} (version {version})");
    let damaged = |e: v2::OpenError| e.into_error(&what());
    if nonce.len() != V2_NONCE_COLUMN_LEN {
        return Err(Error::integrity(format!(
            "{} is not stored in format 2 (its nonce column has {} bytes), but the vault is in format 2: it was changed outside vault",
            what(),
            nonce.len()
        ))
        .hint("restore the vault database from a backup"));
    }
    let (value_nonce, wrap) = nonce.split_at(crate::crypto::NONCE_LEN);
    let slot = v2::Slot {
        vault_id,
        env,
        name,
        version,
    };
    let dek = rwk.unwrap(&slot, wrap).map_err(damaged)?;
    dek.open_value(&slot, value_nonce, ciphertext)
        .map_err(damaged)
}

/// The canonical byte string the policy tag authenticates: every secret
/// row's name, kind, scope, current version, provider and (for variables)
/// value, then every grant, each field length-prefixed, in a fixed order.
/// When any row belongs to an environment or any agent is pinned to one, an
/// environment section follows: each row's environment in the same order,
/// then every (agent, environment) pin. Without either (every vault made
/// before environments existed) the message is the format-1 one byte for
/// byte, so its stored tag still verifies with no reseal.
pub(super) fn policy_message(
    rows: &[SecretRow],
    grants: &[(String, String)],
    pins: &[(String, String)],
) -> Zeroizing<Vec<u8>> {
    fn field(out: &mut Vec<u8>, b: &[u8]) {
        out.extend_from_slice(&(b.len() as u32).to_be_bytes());
        out.extend_from_slice(b);
    }
    let mut m = Zeroizing::new(Vec::with_capacity(64 + rows.len() * 64 + grants.len() * 32));
    m.extend_from_slice(b"vault/v1/policy\0");
    m.extend_from_slice(&(rows.len() as u64).to_be_bytes());
    for r in rows {
        field(&mut m, r.name.as_bytes());
        field(&mut m, r.kind.as_str().as_bytes());
        field(&mut m, r.scope.as_str().as_bytes());
        m.extend_from_slice(&r.version.to_be_bytes());
        match &r.provider {
            Some(p) => {
                m.push(1);
                field(&mut m, p.as_bytes());
            }
            None => m.push(0),
        }
        match (&r.kind, &r.value) {
            (Kind::Variable, StoredValue::Plain(p)) => {
                m.push(1);
                field(&mut m, p.as_bytes());
            }
            _ => m.push(0),
        }
    }
    m.extend_from_slice(&(grants.len() as u64).to_be_bytes());
    for (agent, secret) in grants {
        field(&mut m, agent.as_bytes());
        field(&mut m, secret.as_bytes());
    }
    if !pins.is_empty() || rows.iter().any(|r| !r.env.is_empty()) {
        m.extend_from_slice(b"vault/v1/policy-envs\0");
        for r in rows {
            field(&mut m, r.env.as_bytes());
        }
        m.extend_from_slice(&(pins.len() as u64).to_be_bytes());
        for (agent, env) in pins {
            field(&mut m, agent.as_bytes());
            field(&mut m, env.as_bytes());
        }
    }
    m
}

/// Format 2's row message of a secret row (docs/FORMAT.md §19): what
/// format 1's policy message says of it, plus its environment.
pub(super) fn secret_row_message(r: &SecretRow) -> Zeroizing<Vec<u8>> {
    let mut m = Zeroizing::new(Vec::with_capacity(64 + r.name.len()));
    m.extend_from_slice(b"vault/v2/row/secret\0");
    v2::field(&mut m, r.env.as_bytes());
    v2::field(&mut m, r.name.as_bytes());
    v2::field(&mut m, r.kind.as_str().as_bytes());
    v2::field(&mut m, r.scope.as_str().as_bytes());
    m.extend_from_slice(&r.version.to_be_bytes());
    match &r.provider {
        Some(p) => {
            m.push(1);
            v2::field(&mut m, p.as_bytes());
        }
        None => m.push(0),
    }
    match (&r.kind, &r.value) {
        (Kind::Variable, StoredValue::Plain(p)) => {
            m.push(1);
            v2::field(&mut m, p.as_bytes());
        }
        _ => m.push(0),
    }
    m
}

/// Format 2's row message of a grant (§19).
pub(super) fn grant_message(agent: &str, secret: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(32 + agent.len() + secret.len());
    m.extend_from_slice(b"vault/v2/row/grant\0");
    v2::field(&mut m, agent.as_bytes());
    v2::field(&mut m, secret.as_bytes());
    m
}

/// Format 2's row message of an agent: its name and pin (§19).
pub(super) fn agent_message(agent: &str, env: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(32 + agent.len() + env.len());
    m.extend_from_slice(b"vault/v2/row/agent\0");
    v2::field(&mut m, agent.as_bytes());
    v2::field(&mut m, env.as_bytes());
    m
}

fn tampered_row(r: &SecretRow) -> Error {
    let place = if r.env.is_empty() {
        String::new()
    } else {
        format!(" in environment {}", r.env)
    };
    Error::integrity(format!(
        "the row of {}{place} failed authentication: its kind, scope, current-version pointer, provider, variable value, name or environment was changed outside vault",
        crate::model::shown(&r.name)
    ))
    .hint("someone with write access to the vault database may have widened who receives a secret; restore it from a backup")
}

fn tampered_grant(agent: &str, secret: &str) -> Error {
    Error::integrity(format!(
        "the grant of {} to agent {} failed authentication: it was added or changed outside vault",
        crate::model::shown(secret),
        crate::model::shown(agent)
    ))
    .hint("someone with write access to the vault database may have widened who receives a secret; restore it from a backup")
}

fn tampered_agent(agent: &str) -> Error {
    Error::integrity(format!(
        "agent {}'s row (its environment pin) failed authentication: it was added or changed outside vault",
        crate::model::shown(agent)
    ))
    .hint("someone with write access to the vault database may have redirected what the agent's runs receive; restore it from a backup")
}

/// A secret whose stored value is plain text: vault seals every version of
/// a secret, so plain text was put there to be read as the value (exit 6).
fn plain_under_secret(r: &SecretRow) -> Result<()> {
    if r.kind == Kind::Secret && matches!(r.value, StoredValue::Plain(_)) {
        return Err(Error::integrity(format!(
            "{} is a secret, but its stored value is plain text: it was changed outside vault",
            r.name
        ))
        .hint("someone with write access to vault.db replaced the value; restore vault.db from a backup"));
    }
    Ok(())
}

impl Crypt {
    /// Check the policy against the current rows (exit 6 on mismatch):
    /// format 1's one tag, or in format 2 every row's tag.
    pub fn verify_policy(&self, tx: &Tx<'_>) -> Result<()> {
        self.verified_snapshot(tx).map(|_| ())
    }

    /// Format 2 (rows carry tags, docs/FORMAT.md §19).
    pub fn has_row_tags(&self) -> bool {
        self.root_blob.is_some()
    }

    fn row_key(&self) -> Result<&RowKey> {
        self.keys()?
            .row
            .as_ref()
            .ok_or_else(|| Error::other("internal error: format 2 without its row key"))
    }

    /// Format 2: check one secret row read in this transaction against its
    /// tag (exit 6 when it has none or another). Format 1: nothing to do
    /// here, the caller checked the whole policy.
    pub fn check_row(&self, tx: &Tx<'_>, r: &SecretRow) -> Result<()> {
        if !self.has_row_tags() {
            return Ok(());
        }
        let tag = tx.row_tag(Tagged::Secrets, &r.env, &r.name)?.flatten();
        self.check_row_tag(r, tag.as_deref())
    }

    /// Format 2: check a secret row against the tag read with it (exit 6
    /// when it has none or another).
    pub(super) fn check_row_tag(&self, r: &SecretRow, tag: Option<&[u8]>) -> Result<()> {
        plain_under_secret(r)?;
        match tag {
            Some(t) if self.row_key()?.verify(&secret_row_message(r), t) => Ok(()),
            _ => Err(tampered_row(r)),
        }
    }

    /// Format 2: the names granted to `agent`, each grant checked against
    /// its tag.
    pub fn checked_grants_of(&self, tx: &Tx<'_>, agent: &str) -> Result<Vec<String>> {
        let key = self.row_key()?;
        let mut out = Vec::new();
        let mut judged: Option<super::manage::Judged> = None;
        for (secret, tag) in tx.grant_tags_of(agent)? {
            match tag {
                Some(t) if key.verify(&grant_message(agent, &secret), &t) => out.push(secret),
                _ => {
                    if judged.is_none() {
                        judged = Some(self.manager_signed_grants(tx)?);
                    }
                    let Some(j) = &judged else { continue };
                    if j.accepted.contains(&(agent.to_owned(), secret.clone())) {
                        out.push(secret);
                    } else if !j.dropped(agent, &secret) {
                        return Err(tampered_grant(agent, &secret));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Format 2: the environment `agent` is pinned to ("" for none),
    /// checked against its row's tag; `None` when there is no such agent.
    pub fn checked_pin(&self, tx: &Tx<'_>, agent: &str) -> Result<Option<String>> {
        let Some(row) = tx.agent(agent)? else {
            return Ok(None);
        };
        let tag = tx.row_tag(Tagged::Agents, agent, "")?.flatten();
        match tag {
            Some(t) if self.row_key()?.verify(&agent_message(agent, &row.env), &t) => {
                Ok(Some(row.env))
            }
            _ => Err(tampered_agent(agent)),
        }
    }

    /// Format 2: no row without a tag (a row inserted, or edited and its
    /// tag cleared, outside vault), so that a write's tagging of what it
    /// changed never blesses a row someone else put there. Cheap: a
    /// partial index holds exactly the untagged rows.
    pub fn check_all_tagged(&self, tx: &Tx<'_>) -> Result<()> {
        if let Some((env, name)) = tx.untagged(Tagged::Secrets, 1)?.into_iter().next() {
            let shown = SecretRow {
                env,
                name,
                kind: Kind::Secret,
                scope: crate::model::Scope::Global,
                description: String::new(),
                provider: None,
                version: 0,
                created: String::new(),
                updated: String::new(),
                value: StoredValue::Plain(Zeroizing::new(String::new())),
            };
            return Err(tampered_row(&shown));
        }
        let untagged = tx.untagged(Tagged::Grants, usize::MAX)?;
        if !untagged.is_empty() {
            let judged = self.manager_signed_grants(tx)?;
            if let Some((agent, secret)) = untagged
                .into_iter()
                .find(|g| !judged.accepted.contains(g) && !judged.dropped(&g.0, &g.1))
            {
                return Err(tampered_grant(&agent, &secret));
            }
        }
        if let Some((agent, _)) = tx.untagged(Tagged::Agents, 1)?.into_iter().next() {
            return Err(tampered_agent(&agent));
        }
        Ok(())
    }

    /// The owners' verdict on untagged grant rows a manager signed
    /// (PostgreSQL team vaults, docs/FORMAT.md §21.8); see
    /// [`super::manage::judge_signed_grants`].
    fn manager_signed_grants(&self, tx: &Tx<'_>) -> Result<super::manage::Judged> {
        super::manage::judge_signed_grants(self, tx)
    }

    /// Before an owner write (format 2): delete the grant rows a current
    /// manager signed that owners do not accept (a source revoked since, a
    /// row put back after a revoke, one a manager inserted by hand), so that
    /// the tagging after the write never blesses them and no such row locks
    /// owners out; each deletion is an entry in the owners' audit chain.
    /// Removing a grant only narrows who receives a secret.
    pub fn settle_manager_grants(&self, tx: &Tx<'_>) -> Result<()> {
        if !self.has_row_tags() {
            return Ok(());
        }
        let judged = self.manager_signed_grants(tx)?;
        for (agent, secret, manager) in &judged.dropped {
            tx.revoke(agent, secret)?;
            eprintln!(
                "vault: note: removed the grant of {secret} to {agent} that {manager} signed: it no longer stands (its source was revoked, or it was revoked before)"
            );
            super::audit::append(
                tx,
                self,
                "grant-dropped",
                serde_json::json!({ "agent": agent, "name": secret, "member": manager }),
            )?;
        }
        Ok(())
    }

    /// The secret rows, grants and pins whose tags verify, the others left
    /// out: what owners wrote, the ground a manager's signed grant is
    /// judged on.
    pub(super) fn tagged_state(&self, tx: &Tx<'_>) -> Result<Snapshot> {
        let key = self.row_key()?;
        let rows = tx
            .tagged_policy_rows()?
            .into_iter()
            .filter(|(r, tag)| {
                plain_under_secret(r).is_ok()
                    && tag
                        .as_deref()
                        .is_some_and(|t| key.verify(&secret_row_message(r), t))
            })
            .map(|(r, _)| r)
            .collect();
        let grants = tx
            .row_tags(Tagged::Grants)?
            .into_iter()
            .filter(|(a, s, t)| {
                t.as_deref()
                    .is_some_and(|t| key.verify(&grant_message(a, s), t))
            })
            .map(|(a, s, _)| (a, s))
            .collect();
        let pins = tx
            .row_tags(Tagged::Agents)?
            .into_iter()
            .filter(|(a, e, t)| {
                !e.is_empty()
                    && t.as_deref()
                        .is_some_and(|t| key.verify(&agent_message(a, e), t))
            })
            .map(|(a, e, _)| (a, e))
            .collect();
        Ok(Snapshot { rows, grants, pins })
    }

    /// Format 2: every row and its tag, all checked (`list`, and writes
    /// that may touch any row).
    fn verified_snapshot_v2(&self, tx: &Tx<'_>) -> Result<Snapshot> {
        let key = self.row_key()?;
        // Each row with its tag, from one statement.
        let tagged = tx.tagged_policy_rows()?;
        let mut rows = Vec::with_capacity(tagged.len());
        for (r, tag) in tagged {
            self.check_row_tag(&r, tag.as_deref())?;
            rows.push(r);
        }
        let mut grants = Vec::new();
        let mut judged: Option<super::manage::Judged> = None;
        for (agent, secret, tag) in tx.row_tags(Tagged::Grants)? {
            match tag {
                Some(t) if key.verify(&grant_message(&agent, &secret), &t) => {}
                _ => {
                    if judged.is_none() {
                        judged = Some(self.manager_signed_grants(tx)?);
                    }
                    let Some(j) = &judged else { continue };
                    // A manager's row that no longer stands is not a grant.
                    if j.dropped(&agent, &secret) {
                        continue;
                    }
                    if !j.accepted.contains(&(agent.clone(), secret.clone())) {
                        return Err(tampered_grant(&agent, &secret));
                    }
                }
            }
            grants.push((agent, secret));
        }
        let mut pins = Vec::new();
        for (agent, env, tag) in tx.row_tags(Tagged::Agents)? {
            match tag {
                Some(t) if key.verify(&agent_message(&agent, &env), &t) => {}
                _ => return Err(tampered_agent(&agent)),
            }
            if !env.is_empty() {
                pins.push((agent, env));
            }
        }
        Ok(Snapshot { rows, grants, pins })
    }

    /// Format 2: tag every row the transaction left untagged (what the
    /// caller's writes changed or added: the store clears a row's tag with
    /// every write to it). The caller checked, before its writes, that no
    /// row was untagged.
    pub fn tag_untagged(&self, tx: &Tx<'_>) -> Result<()> {
        let key = self.row_key()?;
        tag_untagged_with(tx, key)
    }

    /// Tag every row anew with this process's row key: a rekey (the key
    /// follows M), and `vault upgrade` (with M's format-2 row key).
    fn tag_every_row_with(&self, tx: &Tx<'_>, key: &RowKey) -> Result<()> {
        for r in tx.policy_rows()? {
            tx.set_row_tag(
                Tagged::Secrets,
                &r.env,
                &r.name,
                &key.tag(&secret_row_message(&r)),
            )?;
        }
        for (agent, secret) in tx.all_grants()? {
            tx.set_row_tag(
                Tagged::Grants,
                &agent,
                &secret,
                &key.tag(&grant_message(&agent, &secret)),
            )?;
        }
        for a in tx.agents()? {
            tx.set_row_tag(
                Tagged::Agents,
                &a.name,
                "",
                &key.tag(&agent_message(&a.name, &a.env)),
            )?;
        }
        Ok(())
    }

    /// `vault upgrade`, inside its transaction (this process still in
    /// format 1): tag every row with the row key of M.
    pub fn tag_rows_for_format2(&self, tx: &Tx<'_>) -> Result<()> {
        let keys = self.keys()?;
        let key = RowKey::derive(&keys.master, &self.vault_id);
        self.tag_every_row_with(tx, &key)
    }

    /// After a rekey's slots changed: format 1 reseals the policy tag,
    /// format 2 tags every row with the new M's row key.
    pub fn reseal_everything(&self, tx: &Tx<'_>) -> Result<()> {
        if self.has_row_tags() {
            return self.tag_every_row_with(tx, self.row_key()?);
        }
        self.seal_policy(tx)
    }

    /// The format-2 row tags of new secret rows (an import's), `None` in
    /// format 1.
    pub fn tags_of_new_rows(&self, rows: &[SecretRow]) -> Result<Option<Vec<[u8; 32]>>> {
        if !self.has_row_tags() {
            return Ok(None);
        }
        let key = self.row_key()?;
        Ok(Some(
            rows.iter()
                .map(|r| key.tag(&secret_row_message(r)))
                .collect(),
        ))
    }

    /// Every secret row (without description and timestamps) and grant,
    /// after checking them against the policy tag: one read serves both the
    /// check and the caller, so what the caller uses is what was authenticated.
    pub fn verified_snapshot(&self, tx: &Tx<'_>) -> Result<Snapshot> {
        if self.has_row_tags() {
            self.check_format(tx)?;
            return self.verified_snapshot_v2(tx);
        }
        let rows = tx.policy_rows()?;
        let grants = tx.all_grants()?;
        let pins = tx.pins()?;
        self.check_policy(tx, &rows, &grants, &pins)?;
        Ok(Snapshot { rows, grants, pins })
    }

    /// Check rows and grants the caller read in this transaction (all of
    /// them) against the stored policy tag.
    pub fn check_policy(
        &self,
        tx: &Tx<'_>,
        rows: &[SecretRow],
        grants: &[(String, String)],
        pins: &[(String, String)],
    ) -> Result<()> {
        if self.has_row_tags() {
            // Format 2: the rows' own tags (the caller read every row).
            return self.verify_policy(tx);
        }
        let keys = self.keys()?;
        self.check_format(tx)?;
        // The kind is authenticated by the tag; the form of the stored value
        // must match it. vault seals every version of a secret, so plain text
        // under a secret was put there to be read as the value (exit 6).
        for r in rows {
            plain_under_secret(r)?;
        }
        let tag = tx.meta("policy_tag")?.unwrap_or_default();
        if keys
            .policy()
            .verify(&policy_message(rows, grants, pins), &tag)
        {
            Ok(())
        } else {
            Err(Error::integrity(
                "the vault's access policy failed authentication: a scope, kind, grant, variable, environment, agent pin or current-version pointer was changed outside vault",
            )
            .hint("someone with write access to vault.db may have widened who receives a secret; restore vault.db from a backup"))
        }
    }

    /// The vault is still in the format this process opened it in: a
    /// `vault upgrade` that committed since must not meet values sealed, or
    /// opened, the format-1 way (and the reverse cannot happen).
    pub fn check_format(&self, tx: &Tx<'_>) -> Result<()> {
        let stored = tx
            .meta("format")?
            .and_then(|f| String::from_utf8_lossy(&f).trim().parse::<u32>().ok());
        if stored == Some(self.format()) {
            return Ok(());
        }
        Err(Error::conflict(format!(
            "the vault was upgraded to format {} while this command ran; nothing was changed",
            stored.map_or_else(|| "?".to_owned(), |f| f.to_string())
        ))
        .hint("run the command again"))
    }

    /// Recompute and store the policy tag (inside the caller's write transaction).
    pub fn seal_policy(&self, tx: &Tx<'_>) -> Result<()> {
        if self.has_row_tags() {
            return self.tag_untagged(tx);
        }
        let rows = tx.policy_rows()?;
        let grants = tx.all_grants()?;
        let pins = tx.pins()?;
        self.seal_policy_of(tx, &rows, &grants, &pins)
    }

    /// Store the policy tag of `rows` and `grants`: every secret (by name)
    /// and grant (by agent, secret) the transaction leaves behind, as the
    /// caller knows them without reading them back. Only the fields the tag
    /// covers matter (the value only for variables).
    pub fn seal_policy_of(
        &self,
        tx: &Tx<'_>,
        rows: &[SecretRow],
        grants: &[(String, String)],
        pins: &[(String, String)],
    ) -> Result<()> {
        if self.has_row_tags() {
            return self.tag_untagged(tx);
        }
        let keys = self.keys()?;
        let tag = keys.policy().tag(&policy_message(rows, grants, pins));
        Ok(tx.set_meta("policy_tag", &tag)?)
    }

    /// The on-disk format this vault is in (1, or 2 once upgraded).
    pub fn format(&self) -> u32 {
        if self.root_blob.is_some() {
            v2::FORMAT_VERSION
        } else {
            crate::crypto::FORMAT_VERSION
        }
    }

    pub(super) fn keys(&self) -> Result<&Keys> {
        self.keys
            .as_ref()
            .ok_or_else(|| Error::locked("the vault is not unlocked"))
    }

    /// Prepare `value` for storage as `version` of `name` in environment `env`.
    pub fn seal(
        &self,
        env: &str,
        name: &str,
        version: u64,
        kind: Kind,
        value: &SecretValue,
    ) -> Result<StoredValue> {
        match kind {
            Kind::Variable => Ok(StoredValue::Plain(Zeroizing::new(
                value.as_str().to_owned(),
            ))),
            Kind::Secret => {
                let keys = self.keys()?;
                if let Some(root) = &keys.root {
                    let slot = v2::Slot {
                        vault_id: &self.vault_id,
                        env,
                        name,
                        version,
                    };
                    return keys.seal_pooled(root, &slot, value.as_bytes());
                }
                let s = keys
                    .value()?
                    .seal_in(env, name, version, value.as_bytes())?;
                Ok(StoredValue::Sealed {
                    nonce: s.nonce,
                    ciphertext: s.ciphertext,
                })
            }
        }
    }

    /// The plaintext of a stored value (`version` of `name` in `env`).
    pub fn open_value(
        &self,
        env: &str,
        name: &str,
        version: u64,
        stored: &StoredValue,
    ) -> Result<SecretValue> {
        match stored {
            StoredValue::Plain(p) => SecretValue::new(p.clone()),
            StoredValue::Sealed { nonce, ciphertext } => {
                let keys = self.keys()?;
                let plain = match &keys.root {
                    Some(root) => open_v2(
                        keys.opener(root)?,
                        &self.vault_id,
                        env,
                        name,
                        version,
                        nonce,
                        ciphertext,
                    )?,
                    None => keys
                        .value()?
                        .open_in(env, name, version, nonce, ciphertext)?,
                };
                SecretValue::from_bytes(plain).map_err(|_| {
                    Error::integrity(format!("{name} (version {version}) decrypted to something that is not a valid value"))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Scope;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn row(
        name: &str,
        kind: Kind,
        scope: Scope,
        version: u64,
        provider: Option<&str>,
        value: StoredValue,
    ) -> SecretRow {
        SecretRow {
            env: String::new(),
            name: name.into(),
            kind,
            scope,
            description: "ignored".into(),
            provider: provider.map(str::to_owned),
            version,
            created: "ignored".into(),
            updated: "ignored".into(),
            value,
        }
    }

    /// The bytes docs/FORMAT.md §8 gives (computed by docs/kat.py from the text).
    #[test]
    fn policy_message_matches_the_documented_example() {
        assert_eq!(
            hex(&policy_message(&[], &[], &[])),
            "7661756c742f76312f706f6c6963790000000000000000000000000000000000"
        );
        let url = StoredValue::Plain(Zeroizing::new("https://api.example.com".into()));
        let sealed = StoredValue::Sealed {
            nonce: vec![1; 12],
            ciphertext: vec![2; 40],
        };
        let rows = [
            row("API_URL", Kind::Variable, Scope::Global, 1, None, url),
            row(
                "OPENAI_API_KEY",
                Kind::Secret,
                Scope::Agent,
                3,
                Some("openai"),
                sealed,
            ),
        ];
        let grants = [("support-bot".to_owned(), "OPENAI_API_KEY".to_owned())];
        let expected = concat!(
            "7661756c742f76312f706f6c69637900",
            "0000000000000002",
            "000000074150495f55524c",
            "000000087661726961626c65",
            "00000006676c6f62616c",
            "0000000000000001",
            "00",
            "01",
            "0000001768747470733a2f2f6170692e6578616d706c652e636f6d",
            "0000000e4f50454e41495f4150495f4b4559",
            "00000006736563726574",
            "000000056167656e74",
            "0000000000000003",
            "01",
            "000000066f70656e6169",
            "00",
            "0000000000000001",
            "0000000b737570706f72742d626f74",
            "0000000e4f50454e41495f4150495f4b4559",
        );
        assert_eq!(hex(&policy_message(&rows, &grants, &[])), expected);
    }

    /// Descriptions and timestamps are not policy; scope, version and grants are.
    #[test]
    fn policy_message_covers_exactly_the_policy() {
        let empty = || StoredValue::Plain(Zeroizing::new(String::new()));
        let base = [row("A", Kind::Secret, Scope::Agent, 2, None, empty())];
        let mut other = base.clone();
        other[0].description = "changed".into();
        other[0].updated = "changed".into();
        assert_eq!(
            *policy_message(&base, &[], &[]),
            *policy_message(&other, &[], &[])
        );
        let mut widened = base.clone();
        widened[0].scope = Scope::Global;
        assert_ne!(
            *policy_message(&base, &[], &[]),
            *policy_message(&widened, &[], &[])
        );
        let mut rolled = base.clone();
        rolled[0].version = 1;
        assert_ne!(
            *policy_message(&base, &[], &[]),
            *policy_message(&rolled, &[], &[])
        );
        let granted = [("bot".to_owned(), "A".to_owned())];
        assert_ne!(
            *policy_message(&base, &[], &[]),
            *policy_message(&base, &granted, &[])
        );
    }

    /// docs/FORMAT.md §8.8 (computed by docs/kat.py).
    #[test]
    fn policy_message_with_environments_matches_the_documented_example() {
        let sealed = || StoredValue::Sealed {
            nonce: vec![1; 12],
            ciphertext: vec![2; 40],
        };
        let shared = row("DB_URL", Kind::Secret, Scope::Global, 1, None, sealed());
        let mut prod = row("DB_URL", Kind::Secret, Scope::Global, 2, None, sealed());
        prod.env = "production".into();
        let pins = [("deploy-bot".to_owned(), "production".to_owned())];
        let m = policy_message(&[shared, prod], &[], &pins);
        assert_eq!(
            hex(&m),
            "7661756c742f76312f706f6c6963790000000000000000020000000644425f55524c0000000673656372657400000006676c6f62616c000000000000000100000000000644425f55524c0000000673656372657400000006676c6f62616c0000000000000002000000000000000000007661756c742f76312f706f6c6963792d656e767300000000000000000a70726f64756374696f6e00000000000000010000000a6465706c6f792d626f740000000a70726f64756374696f6e"
        );
        let key = crate::crypto::PolicyKey::derive(
            &crate::crypto::MasterKey::from_bytes(core::array::from_fn(|i| 0x40 + i as u8)),
            &(0xa0..=0xaf).collect::<Vec<u8>>(),
        );
        assert_eq!(
            hex(&key.tag(&m)),
            "b668d34238137b649c792a0fb7a3221817f7c6710e69c600c31e0653c87164f6"
        );
    }

    /// docs/FORMAT.md §19.3 (computed by docs/kat_v2.py).
    #[test]
    fn row_tags_match_the_documented_vectors() {
        let key = RowKey::derive(
            &MasterKey::from_bytes(core::array::from_fn(|i| 0x40 + i as u8)),
            &(0xa0..=0xaf).collect::<Vec<u8>>(),
        );
        let mut sec = row(
            "OPENAI_API_KEY",
            Kind::Secret,
            Scope::Agent,
            3,
            Some("openai"),
            StoredValue::Sealed {
                nonce: vec![1; 72],
                ciphertext: vec![2; 40],
            },
        );
        sec.env = "prod".into();
        let m = secret_row_message(&sec);
        assert_eq!(
            hex(&m),
            "7661756c742f76322f726f772f736563726574000000000470726f640000000e4f50454e41495f4150495f4b455900000006736563726574000000056167656e74000000000000000301000000066f70656e616900"
        );
        assert_eq!(
            hex(&key.tag(&m)),
            "67bb5ea44e06786a0f0fdb03b030af6bb79491ac93c00ac38046b1afdf0f4dc6"
        );
        let url = StoredValue::Plain(Zeroizing::new("https://api.example.com".into()));
        let var = row("API_URL", Kind::Variable, Scope::Global, 1, None, url);
        assert_eq!(
            hex(&key.tag(&secret_row_message(&var))),
            "7fe2cf932fb4f9e32048ac3cf7d66ec61a147a495af478b2f064983d71b50d48"
        );
        let g = grant_message("support-bot", "OPENAI_API_KEY");
        assert_eq!(
            hex(&key.tag(&g)),
            "fd7969807da3f871e32f7e3354a3331edd996caf074a75c321ceb64a7e9e1c81"
        );
        let a = agent_message("support-bot", "prod");
        assert_eq!(
            hex(&key.tag(&a)),
            "2240908030d93e079fa10d69436ad5c8d4a0dbec3878cddb605928e90a53784b"
        );
        // Must fail: another environment, name, scope or version pointer;
        // a grant to another agent; an agent re-pinned.
        let tag = key.tag(&m);
        for change in [
            |r: &mut SecretRow| r.env = String::new(),
            |r: &mut SecretRow| r.name = "OPENAI_API_KEX".into(),
            |r: &mut SecretRow| r.scope = Scope::Global,
            |r: &mut SecretRow| r.version = 2,
            |r: &mut SecretRow| r.provider = None,
        ] {
            let mut other = sec.clone();
            change(&mut other);
            assert!(!key.verify(&secret_row_message(&other), &tag));
        }
        assert!(!key.verify(&grant_message("other-bot", "OPENAI_API_KEY"), &key.tag(&g)));
        assert!(!key.verify(&agent_message("support-bot", ""), &key.tag(&a)));
    }

    /// A row's environment and an agent's pin are policy; with neither,
    /// the message is the format-1 one (no reseal on upgrade).
    #[test]
    fn policy_message_covers_environments_and_pins() {
        let empty = || StoredValue::Plain(Zeroizing::new(String::new()));
        let base = [row("A", Kind::Secret, Scope::Agent, 2, None, empty())];
        let mut moved = base.clone();
        moved[0].env = "production".into();
        assert_ne!(
            *policy_message(&base, &[], &[]),
            *policy_message(&moved, &[], &[])
        );
        let mut other = base.clone();
        other[0].env = "staging".into();
        assert_ne!(
            *policy_message(&moved, &[], &[]),
            *policy_message(&other, &[], &[])
        );
        let pin = [("bot".to_owned(), "production".to_owned())];
        let pin2 = [("bot".to_owned(), "staging".to_owned())];
        assert_ne!(
            *policy_message(&base, &[], &[]),
            *policy_message(&base, &[], &pin)
        );
        assert_ne!(
            *policy_message(&base, &[], &pin),
            *policy_message(&base, &[], &pin2)
        );
        // The format-1 prefix is unchanged: a pinless, env-less vault's
        // message is exactly the documented format-1 bytes.
        assert!(policy_message(&moved, &[], &[]).starts_with(&policy_message(&base, &[], &[])));
    }
}
