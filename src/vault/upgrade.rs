//! `vault upgrade`: format 1 to format 2 in one transaction (docs/FORMAT.md
//! §10.4). The root keys are made and sealed under M (§14); every sealed
//! version is opened with format 1's value key and sealed again under a
//! fresh data key wrapped with RWK (§11, §12.1); `meta.format` becomes 2.
//! Secrets, versions, variables, grants, pins, deliveries and the audit
//! trail are otherwise left as they are, so the policy tag is unchanged.

use super::policy::seal_v2;
use super::{KeySource, Vault};
use crate::crypto::v2::{self, RootKeys};
use crate::error::{Error, Result};
use crate::store::StoredValue;

/// `vault info`.
pub struct Info {
    /// The vault id, lowercase hex.
    pub vault_id: String,
    pub format: u32,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The file, or the PostgreSQL vault (never a password).
    pub location: String,
    pub schema: u32,
    /// Format 2: `vault-root:SHA256:...`.
    pub root_fingerprint: Option<String>,
}

/// What `vault upgrade` did.
pub struct Upgraded {
    /// Versions whose value was sealed again under a data key.
    pub versions: usize,
    /// `vault-root:SHA256:...`, the fingerprint agents pin.
    pub fingerprint: String,
}

impl Vault {
    /// The vault's on-disk format (1, or 2 once upgraded).
    pub fn format(&self) -> u32 {
        self.crypt.format()
    }

    /// The root fingerprint of a format-2 vault (`vault-root:SHA256:...`),
    /// from the public key stored beside the sealed root keys.
    pub fn root_fingerprint(&mut self) -> Result<Option<String>> {
        if self.crypt.format() < v2::FORMAT_VERSION {
            return Ok(None);
        }
        let pk = self.store_read_meta("root_sign_pk")?;
        let pk = pk
            .as_deref()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .and_then(|b| v2::SignPublicKey::from_bytes(&b))
            .ok_or_else(|| {
                Error::integrity(
                    "the vault's root signing key (meta.root_sign_pk) is missing or damaged",
                )
                .hint("restore the vault database from a backup")
            })?;
        Ok(Some(pk.fingerprint()))
    }

    fn store_read_meta(&mut self, key: &str) -> Result<Option<Vec<u8>>> {
        use crate::store::Backend;
        self.store.read(|tx| Ok(tx.meta(key)?))
    }

    /// What `vault info` shows: nothing secret, no key needed.
    pub fn info(&mut self) -> Result<Info> {
        use crate::store::Backend;
        let schema = self.store.read(|tx| Ok(tx.schema_version()?))?;
        Ok(Info {
            vault_id: self
                .crypt
                .vault_id
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
            format: self.format(),
            backend: if self.paths.database.is_some() {
                "postgres"
            } else {
                "sqlite"
            },
            location: self.paths.location(),
            schema,
            root_fingerprint: self.root_fingerprint()?,
        })
    }

    /// Turn a format-1 vault into format 2 (exit 4 if it already is).
    pub fn upgrade(&mut self, src: &KeySource) -> Result<Upgraded> {
        let already = || {
            Error::conflict("this vault is already in format 2; nothing was changed")
                .hint("`vault info` shows its format and root fingerprint")
        };
        if self.crypt.format() >= v2::FORMAT_VERSION {
            return Err(already());
        }
        self.unlock_asking(src)?;
        let root = RootKeys::generate()?;
        let vault_id = self.crypt.vault_id.clone();
        let blob = root.seal(&self.crypt.keys()?.master, &vault_id)?;
        let kem_pk = root
            .kem
            .public_key()
            .ok_or_else(|| {
                Error::other("the new root key pair is unusable; run `vault upgrade` again")
            })?
            .to_bytes();
        let sign_pk = root.sign.public_key();
        let fingerprint = sign_pk.fingerprint();
        let versions = self.write(src, |tx, crypt| {
            let format = tx
                .meta("format")?
                .map(|f| String::from_utf8_lossy(&f).trim().to_owned());
            if format.as_deref() != Some("1") {
                return Err(already());
            }
            let mut count = 0usize;
            for name in tx.secret_names()? {
                for env in tx.secret_envs(&name)? {
                    for (version, stored) in tx.versions(&env, &name)? {
                        if let StoredValue::Sealed { .. } = stored {
                            let value = crypt.open_value(&env, &name, version, &stored)?;
                            let sealed =
                                seal_v2(&root, &vault_id, &env, &name, version, value.as_bytes())?;
                            tx.replace_version(&env, &name, version, &sealed)?;
                            count += 1;
                        }
                    }
                }
            }
            // Format 2 authenticates each row on its own (§19).
            crypt.tag_rows_for_format2(tx)?;
            tx.set_meta("root_keys", &blob)?;
            tx.set_meta("root_kem_pk", &kem_pk)?;
            tx.set_meta("root_sign_pk", &sign_pk.to_bytes())?;
            tx.set_format(v2::FORMAT_VERSION)?;
            super::audit::append(
                tx,
                crypt,
                "upgrade",
                serde_json::json!({ "format": v2::FORMAT_VERSION, "resealed_versions": count }),
            )?;
            Ok(count)
        })?;
        self.crypt.root_blob = Some(blob);
        if let Some(keys) = self.crypt.keys.as_mut() {
            keys.root = Some(root);
            keys.row = Some(crate::crypto::RowKey::derive(&keys.master, &vault_id));
        }
        Ok(Upgraded {
            versions,
            fingerprint,
        })
    }
}
