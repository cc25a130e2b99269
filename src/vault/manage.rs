//! A manager's grant and revoke (DESIGN §7.2 `manage`, docs/FORMAT.md
//! §21.8): a member with `manage` on agent A changes what A receives
//! without M. The grant row carries the manager's signature in place of
//! the owners' tag; the data key of the granted version comes from the
//! signed view of another agent the manager operates (a manager can grant
//! only what is already shared with them); A's new statement is signed by
//! the manager under the current roster, at the next policy sequence
//! number. Owners accept such rows by the signature and tag them on their
//! next write, which also re-signs the statement with the root key.

use std::collections::BTreeSet;

use super::members::{current_roster, Me};
use super::Vault;
use crate::crypto::v2::{
    self, member, Content, KeyringKey, KeyringSlot, Scope as V2Scope, Statement,
};
use crate::crypto::NONCE_LEN;
use crate::error::{Error, Result};
use crate::store::{AgentKeyRow, AgentWrapRow, Backend, StatementRow, StoredValue, Tx};

/// The owners' verdict on untagged grant rows (docs/FORMAT.md §21.8): a
/// row is accepted as a manager's on three grounds: the signer is, in the roster the owner
/// verifies with its own root key (and not older than one this machine
/// saw), a member with `manage` on the agent, and the signature verifies;
/// the agent's current statement is signed by a current manager of it and
/// lists the secret as a grant (a row put back after a revoke is not); and
/// the secret was already shared with the signer — another agent it
/// operates receives it, by what owners wrote (tagged rows, grants and
/// pins), in the same environment. A row with a valid signature of a
/// current manager that fails the second or third ground is `dropped`
/// (never received; deleted by the next owner write); any other untagged
/// row is tampering (exit 6).
pub(super) fn judge_signed_grants(crypt: &super::policy::Crypt, tx: &Tx<'_>) -> Result<Judged> {
    let mut out = Judged::default();
    let signed = tx.signed_grants()?;
    if signed.is_empty() {
        return Ok(out);
    }
    let Some(root) = crypt.keys()?.root.as_ref() else {
        return Ok(out);
    };
    let root_pk = root.sign.public_key();
    let roster = current_roster(tx, &root_pk)?;
    super::members::check_roster_mark(&crypt.vault_id, super::members::OWNER_MARK, roster.epoch)?;
    let state = crypt.tagged_state(tx)?;
    let pin = |a: &str| {
        state
            .pins
            .iter()
            .find(|(p, _)| p == a)
            .map_or("", |(_, e)| e.as_str())
    };
    for (agent, secret, signer, sig) in signed {
        let Some(m) = roster.members.iter().find(|m| {
            m.id as i64 == signer
                && m.role == "member"
                && m.rights.iter().any(|(a, r)| *a == agent && r == "manage")
        }) else {
            continue;
        };
        let signed_by_m = v2::SignPublicKey::from_bytes(&m.sign_pk).is_some_and(|pk| {
            pk.verify(
                &member::grant_message(&crypt.vault_id, &agent, &secret, m.id),
                &sig,
            )
        });
        if !signed_by_m {
            continue;
        }
        if !listed_by_a_manager(tx, &crypt.vault_id, &root_pk, &agent, &secret)? {
            out.dropped.push((agent, secret, m.name.clone()));
            continue;
        }
        let shared = m.rights.iter().any(|(b, r)| {
            *b != agent
                && (r == "operate" || r == "manage")
                && pin(b) == pin(&agent)
                && super::agent_keys::agent_rows(
                    state.rows.clone(),
                    &state.grants,
                    &state.pins,
                    Some(b),
                    None,
                )
                .1
                .iter()
                .any(|r| r.name == secret)
        });
        if shared {
            out.accepted.insert((agent, secret));
        } else {
            out.dropped.push((agent, secret, m.name.clone()));
        }
    }
    Ok(out)
}

/// The owners' verdict on untagged grant rows a current manager signed.
#[derive(Default)]
pub(super) struct Judged {
    /// Authentic: tagged by the next owner write.
    pub accepted: BTreeSet<(String, String)>,
    /// Signed by a current manager of the agent but no longer (or never)
    /// standing — its source revoked, a revoke since, a row the manager
    /// put in by hand: (agent, secret, manager). Never received; an owner
    /// write deletes them (removing a grant only narrows who receives).
    pub dropped: Vec<(String, String, String)>,
}

impl Judged {
    pub fn dropped(&self, agent: &str, secret: &str) -> bool {
        self.dropped
            .iter()
            .any(|(a, s, _)| a == agent && s == secret)
    }
}

/// Whether `agent`'s current statement is signed by a current manager of
/// it (under the current roster) and lists `secret` as a grant.
fn listed_by_a_manager(
    tx: &Tx<'_>,
    vault_id: &[u8],
    root: &v2::SignPublicKey,
    agent: &str,
    secret: &str,
) -> Result<bool> {
    let Some(reg) = tx.agent_key(agent)?.filter(|k| k.revoked.is_none()) else {
        return Ok(false);
    };
    let Ok(Some((statement, signer))) =
        super::members::verified_statement(tx, root, vault_id, &reg)
    else {
        return Ok(false);
    };
    Ok(signer != 0
        && statement
            .entries
            .iter()
            .any(|e| e.name == secret && e.scope == V2Scope::Grant))
}

/// An agent's live keyring, the AK this member holds for it, and its
/// current statement (verified: root, or a manager under the current roster).
struct View {
    /// Who signed its statement: 0 = the root (what owners wrote).
    signer: u64,
    reg: AgentKeyRow,
    ak: KeyringKey,
    statement: Statement,
}

fn denied(msg: String, me: &Me) -> Error {
    Error::locked(format!("permission denied: {msg}")).hint(me.ask())
}

/// Open `agent`'s view keys as member `me` inside `tx`.
fn open_view(tx: &Tx<'_>, vault_id: &[u8], me: &Me, agent: &str) -> Result<View> {
    let reg = tx
        .agent_keys()?
        .into_iter()
        .find(|r| r.agent == agent && r.revoked.is_none())
        .ok_or_else(|| {
            denied(
                format!("agent {agent} has no keyring for its operators yet"),
                me,
            )
        })?;
    let (statement, signer) =
        super::members::verified_statement(tx, &me.identity.root_sign_pk, vault_id, &reg)?
            .ok_or_else(|| {
                Error::integrity(format!(
                    "agent {agent} has a keyring but no signed statement: the vault was changed outside vault"
                ))
                .hint("ask an owner to run any change, or restore the database")
            })?;
    let recipient = member::member_recipient(me.id as u64);
    let wrap = tx
        .keyring_wrap(reg.agent_id, reg.epoch, recipient)?
        .ok_or_else(|| {
            denied(
                format!(
                    "agent {agent}'s keyring key is not wrapped to you ({}) yet",
                    me.identity.name
                ),
                me,
            )
        })?;
    let mine = me
        .identity
        .kem
        .public_key()
        .ok_or_else(|| Error::locked("your member identity holds an unusable key"))?;
    let slot = KeyringSlot {
        vault_id,
        agent_id: reg.agent_id,
        epoch: reg.epoch,
        recipient_id: recipient,
    };
    let ak = KeyringKey::open_from(&slot, &me.identity.kem, &mine, &wrap)
        .map_err(|e| e.into_error(&format!("your keyring wrap of agent {agent}")))?;
    Ok(View {
        signer,
        reg,
        ak,
        statement,
    })
}

/// Sign and store `view`'s statement with `entries`, at the next policy
/// sequence number and the current roster epoch.
fn sign_statement(
    tx: &Tx<'_>,
    me: &Me,
    roster_epoch: u64,
    view: &View,
    mut entries: Vec<v2::Entry>,
) -> Result<()> {
    entries.sort_by(|a, b| (&a.name, &a.env).cmp(&(&b.name, &b.env)));
    let policy_seq = tx.next_policy_seq()?;
    let statement = Statement {
        policy_seq,
        roster_epoch,
        signer_audit_seq: 0,
        signer_audit_hash: [0; 32],
        entries,
        ..view.statement.clone()
    };
    let (bytes, sig) = statement.sign(&me.identity.sign)?;
    tx.put_statement(&StatementRow {
        agent_id: view.reg.agent_id,
        policy_seq,
        signer: me.id as u64,
        bytes,
        sig: sig.to_vec(),
    })?;
    Ok(())
}

/// An entry in member `me`'s own audit chain (its id), signed with its
/// identity key; the subject names the member.
fn append_member_entry(
    tx: &Tx<'_>,
    vault_id: &[u8],
    me: &Me,
    action: &str,
    mut subject: serde_json::Value,
) -> Result<()> {
    if let serde_json::Value::Object(m) = &mut subject {
        m.insert("member".to_owned(), serde_json::json!(me.identity.name));
    }
    super::audit::append_member(
        tx,
        vault_id,
        me.id as u64,
        &me.identity.sign,
        action,
        subject,
    )
}

/// This member's roster entry must still hold `manage` on `agent`; returns
/// the roster epoch.
fn still_manages(tx: &Tx<'_>, me: &Me, agent: &str) -> Result<u64> {
    let roster = current_roster(tx, &me.identity.root_sign_pk)?;
    let ok = roster
        .members
        .iter()
        .any(|m| m.id as i64 == me.id && m.rights.iter().any(|(a, r)| a == agent && r == "manage"));
    if !ok {
        return Err(denied(
            format!("changing what {agent} receives needs 'manage'"),
            me,
        ));
    }
    Ok(roster.epoch)
}

impl Vault {
    /// Record a run from a signed view: for a member, the delivery record
    /// and an entry in the member's own audit chain, or the run fails (as an
    /// owner's run does); for an agent key, the delivery record when the
    /// store lets it (a read-only mount still runs; an agent holds no key of
    /// any audit chain).
    pub fn record_received_run(
        &mut self,
        r: &super::Received,
        delivered: &[&super::ReceivedItem],
        program: &std::ffi::OsStr,
    ) -> Result<()> {
        if !self.is_member() {
            self.record_agent_delivery(r, delivered);
            return Ok(());
        }
        let now = super::now();
        let all: Vec<(&str, &str, u64)> = delivered
            .iter()
            .map(|i| (i.name.as_str(), i.source.as_str(), i.version))
            .collect();
        let subject = super::audit::with_env(
            &r.env,
            serde_json::json!({
                "agent": r.agent,
                "program": super::run::program_name(program),
                "delivered": delivered
                    .iter()
                    .map(|i| serde_json::json!({ "name": i.name, "version": i.version }))
                    .collect::<Vec<_>>(),
            }),
        );
        self.member_write("run", subject, |tx| {
            Ok(tx.record_delivery(&r.agent, &r.env, &all, &now)?)
        })
    }

    /// Record a member's reveal of `item` (received as `r.agent`) in the
    /// member's audit chain; no reveal without it.
    pub fn record_member_reveal(
        &mut self,
        r: &super::Received,
        item: &super::ReceivedItem,
    ) -> Result<()> {
        let mut subject = serde_json::json!({
            "name": item.name,
            "version": item.version,
            "agent": r.agent,
        });
        if !item.source.is_empty() {
            subject["env"] = serde_json::json!(item.source);
        }
        self.member_write("reveal", subject, |_| Ok(()))
            .map_err(|e| {
                Error::other(format!(
                    "{} was not revealed: its audit entry could not be written ({e})",
                    item.name
                ))
                .hint("a reveal is recorded before it is shown; fix the cause above and try again")
            })
    }

    /// A member's write: `f`, then the entry `action` in the member's chain.
    fn member_write(
        &mut self,
        action: &str,
        subject: serde_json::Value,
        f: impl Fn(&Tx<'_>) -> Result<()>,
    ) -> Result<()> {
        let me = self.me.take().ok_or_else(|| Error::other("not a member"))?;
        let vault_id = self.crypt.vault_id.clone();
        let out = self.store.write(|tx| {
            f(tx)?;
            append_member_entry(tx, &vault_id, &me, action, subject.clone())
        });
        self.me = Some(me);
        out
    }

    /// `vault grant NAME... --agent A` by a manager of A: all or none.
    pub(super) fn manager_grant(
        &mut self,
        agent: &str,
        names: &[String],
        now: &str,
    ) -> Result<super::agents::Granted> {
        let me = self.me.take().ok_or_else(|| Error::other("not a member"))?;
        let vault_id = self.crypt.vault_id.clone();
        let out = self.store.write(|tx| {
            let roster_epoch = still_manages(tx, &me, agent)?;
            super::rules::require_agent(tx, agent)?;
            let target = open_view(tx, &vault_id, &me, agent)?;
            let mut entries = target.statement.entries.clone();
            let mut added = Vec::new();
            let mut global = Vec::new();
            let operated: Vec<String> = me
                .rights
                .iter()
                .filter(|(a, r)| a != agent && (r == "operate" || r == "manage"))
                .map(|(a, _)| a.clone())
                .collect();
            for name in names {
                if tx.secret_envs(name)?.is_empty() {
                    return Err(super::rules::no_such_secret(tx, name).also("nothing was granted"));
                }
                if let Some(e) = entries.iter().find(|e| e.name == *name) {
                    if e.scope == V2Scope::Global {
                        global.push(name.clone());
                    }
                    continue;
                }
                // The data key, from the view of another agent this member
                // operates that receives the same row.
                let mut found = None;
                for other in &operated {
                    let Ok(view) = open_view(tx, &vault_id, &me, other) else {
                        continue;
                    };
                    // Only what owners wrote (a root-signed view) is a
                    // source owners accept (the third ground).
                    if view.signer != 0 || view.statement.env != target.statement.env {
                        continue;
                    }
                    let entry = view
                        .statement
                        .entries
                        .iter()
                        .find(|e| e.name == *name)
                        .cloned();
                    if let Some(entry) = entry {
                        found = Some((entry, view));
                        break;
                    }
                }
                let Some((entry, source)) = found else {
                    return Err(denied(
                        format!(
                            "granting {name} to {agent} needs its value shared with you: no other agent you operate receives it (in {agent}'s environment); nothing was granted"
                        ),
                        &me,
                    ));
                };
                if let Content::Secret(hash) = &entry.content {
                    let item = (entry.env.clone(), entry.name.clone(), entry.version);
                    let payload = tx.agent_payload(
                        source.reg.agent_id,
                        source.reg.epoch,
                        std::slice::from_ref(&item),
                    )?;
                    let what = format!("{name} (version {})", entry.version);
                    let Some((Some(StoredValue::Sealed { nonce, ciphertext }), Some(wrap))) =
                        payload.into_iter().next()
                    else {
                        return Err(Error::integrity(format!(
                            "{what} is missing from the database, though a signed statement lists it"
                        ))
                        .hint("restore the vault database from a backup"));
                    };
                    if v2::ciphertext_hash(&nonce, &ciphertext) != *hash || nonce.len() < NONCE_LEN
                    {
                        return Err(Error::integrity(format!(
                            "{what} is not the ciphertext the signed statement names: it was swapped in the database"
                        ))
                        .hint("restore the vault database from a backup"));
                    }
                    let slot = v2::Slot {
                        vault_id: &vault_id,
                        env: &entry.env,
                        name: &entry.name,
                        version: entry.version,
                    };
                    let dek = source
                        .ak
                        .unwrap(&slot, source.reg.agent_id, source.reg.epoch, &wrap)
                        .map_err(|e| e.into_error(&what))?;
                    tx.put_agent_wrap(&AgentWrapRow {
                        agent_id: target.reg.agent_id,
                        epoch: target.reg.epoch,
                        env: entry.env.clone(),
                        name: entry.name.clone(),
                        version: entry.version,
                        wrap: target.ak.wrap(
                            &slot,
                            target.reg.agent_id,
                            target.reg.epoch,
                            &dek,
                        )?,
                    })?;
                }
                let sig = me.identity.sign.sign(&member::grant_message(
                    &vault_id,
                    agent,
                    name,
                    me.id as u64,
                ));
                if tx.grant_signed(agent, name, now, me.id, &sig)? {
                    added.push(name.clone());
                    super::agents::check_provider_rule(tx, name)?;
                }
                entries.push(v2::Entry {
                    scope: V2Scope::Grant,
                    ..entry
                });
            }
            if !added.is_empty() {
                sign_statement(tx, &me, roster_epoch, &target, entries)?;
                append_member_entry(
                    tx,
                    &vault_id,
                    &me,
                    "grant",
                    serde_json::json!({ "agent": agent, "names": super::audit::bounded(&added) }),
                )?;
            }
            Ok(super::agents::Granted { added, global })
        });
        self.me = Some(me);
        out
    }

    /// `vault revoke NAME... --agent A` by a manager of A: all or none;
    /// returns the names that were granted.
    pub(super) fn manager_revoke(&mut self, agent: &str, names: &[String]) -> Result<Vec<String>> {
        let me = self.me.take().ok_or_else(|| Error::other("not a member"))?;
        let vault_id = self.crypt.vault_id.clone();
        let out = self.store.write(|tx| {
            let roster_epoch = still_manages(tx, &me, agent)?;
            super::rules::require_agent(tx, agent)?;
            let target = open_view(tx, &vault_id, &me, agent)?;
            let mut removed = Vec::new();
            let gone: BTreeSet<&String> = names.iter().collect();
            for name in names {
                if tx.secret_envs(name)?.is_empty() {
                    return Err(super::rules::no_such_secret(tx, name).also("nothing was revoked"));
                }
                if tx.revoke(agent, name)? {
                    removed.push(name.clone());
                }
            }
            let mut entries = Vec::new();
            for e in &target.statement.entries {
                if e.scope == V2Scope::Grant && gone.contains(&e.name) {
                    tx.delete_agent_wrap(
                        target.reg.agent_id,
                        target.reg.epoch,
                        &e.env,
                        &e.name,
                        e.version,
                    )?;
                } else {
                    entries.push(e.clone());
                }
            }
            if !removed.is_empty() {
                sign_statement(tx, &me, roster_epoch, &target, entries)?;
                append_member_entry(
                    tx,
                    &vault_id,
                    &me,
                    "revoke",
                    serde_json::json!({ "agent": agent, "names": super::audit::bounded(&removed) }),
                )?;
            }
            Ok(removed)
        });
        self.me = Some(me);
        out
    }
}
