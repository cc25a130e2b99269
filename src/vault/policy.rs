//! Format 1's keys and access policy. `Crypt` holds the vault id and, once
//! unlocked, the value key and policy key derived from the master key: it
//! seals and opens values, and checks and reseals the policy tag (one HMAC
//! over every secret's name, kind, scope, version pointer, provider and
//! variable value, and every grant; docs/FORMAT.md §6).

use zeroize::Zeroizing;

use crate::crypto::v2::{self, RootKeys};
use crate::crypto::{MasterKey, PolicyKey, ValueKey};
use crate::error::{Error, Result};
use crate::model::{Kind, SecretValue};
use crate::store::{SecretRow, StoredValue, Tx};

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
    pub(super) value: ValueKey,
    pub(super) policy: PolicyKey,
    /// Format 2: the root keys opened from `meta.root_keys` with M. Values
    /// are then sealed under a fresh data key per version, wrapped with RWK.
    pub(super) root: Option<RootKeys>,
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
            value: ValueKey::derive(&master, vault_id)?,
            policy: PolicyKey::derive(&master, vault_id),
            master,
            root,
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

/// Open a format-2 stored value with the root keys (RWK, then the DEK).
fn open_v2(
    root: &RootKeys,
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
    let dek = root.rwk.unwrap(&slot, wrap).map_err(damaged)?;
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

impl Crypt {
    /// Check the policy tag against the current rows (exit 6 on mismatch).
    pub fn verify_policy(&self, tx: &Tx<'_>) -> Result<()> {
        self.verified_snapshot(tx).map(|_| ())
    }

    /// Every secret row (without description and timestamps) and grant,
    /// after checking them against the policy tag: one read serves both the
    /// check and the caller, so what the caller uses is what was authenticated.
    pub fn verified_snapshot(&self, tx: &Tx<'_>) -> Result<Snapshot> {
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
        let keys = self.keys()?;
        self.check_format(tx)?;
        // The kind is authenticated by the tag; the form of the stored value
        // must match it. vault seals every version of a secret, so plain text
        // under a secret was put there to be read as the value (exit 6).
        if let Some(r) = rows
            .iter()
            .find(|r| r.kind == Kind::Secret && matches!(r.value, StoredValue::Plain(_)))
        {
            return Err(Error::integrity(format!(
                "{} is a secret, but its stored value is plain text: it was changed outside vault",
                r.name
            ))
            .hint("someone with write access to vault.db replaced the value; restore vault.db from a backup"));
        }
        let tag = tx.meta("policy_tag")?.unwrap_or_default();
        if keys
            .policy
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
        let keys = self.keys()?;
        let tag = keys.policy.tag(&policy_message(rows, grants, pins));
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
                    return seal_v2(root, &self.vault_id, env, name, version, value.as_bytes());
                }
                let s = keys.value.seal_in(env, name, version, value.as_bytes())?;
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
                    Some(root) => {
                        open_v2(root, &self.vault_id, env, name, version, nonce, ciphertext)?
                    }
                    None => keys.value.open_in(env, name, version, nonce, ciphertext)?,
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
