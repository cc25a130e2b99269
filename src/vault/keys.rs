//! Key slots (`vault keys list|add|remove|passwd`) and a new master key
//! (`vault rekey`). A slot wraps the master key under a key-encryption key
//! (a key file's key, or Argon2id of a passphrase); any one slot unlocks the
//! vault, and the last one can never be removed.
//!
//! Rekey in format 1: the value key and the policy key derive from the
//! master key, so a new master key means every version of every secret is
//! resealed, the policy tag is resealed and every slot is wrapped again, all
//! in one transaction. A key-file slot's key-encryption key is the key file
//! itself, so for an old key file to stop working rekey also writes a new
//! key file. The order keeps a vault that opens with what is on disk at every
//! moment of a crash:
//!
//! 1. the new key is written to `KEYFILE.new` (created 0600, exclusive, fsynced);
//! 2. the transaction that holds only slots for the new keys commits;
//! 3. `KEYFILE.new` is renamed over `KEYFILE`.
//!
//! A crash before 2 leaves the old vault and a stray `.new` (removed by the
//! next rekey); a crash between 2 and 3 leaves a key file that no longer
//! opens the vault beside a `.new` that does: unlocking finds that, finishes
//! the rename and says so.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::unlock::wrapped;
use super::{Crypt, KeySource, Keys, Vault};
use crate::crypto::{self, Argon2Params, KeyFileKey, MasterKey};
use crate::error::{Error, Result};
use crate::paths;
use crate::store::{Backend, StoredValue};

/// A key slot as `vault keys list` shows it: never key material.
pub struct SlotInfo {
    pub id: i64,
    pub kind: String,
    /// Argon2id parameters of a passphrase slot (`argon2id:m=..,t=..,p=..`).
    pub kdf: Option<String>,
}

/// A key file written by `keys add --key-file` or `rekey`.
pub struct NewKeyFile {
    pub slot: i64,
    pub path: PathBuf,
}

/// What `rekey` did.
pub struct Rekeyed {
    /// The key file now holding the new key-file key, if the vault has a key-file slot.
    pub key_file: Option<PathBuf>,
    pub slots: usize,
    pub versions: usize,
    /// The old key came from VAULT_KEY, which now holds a key that no longer works.
    pub was_env_key: bool,
}

impl KeySource {
    /// The same unlock sources without the passphrase ones: for commands
    /// where `VAULT_PASSPHRASE` / `--passphrase-file` give a NEW passphrase.
    pub fn without_passphrase(&self) -> KeySource {
        KeySource {
            key_text: self.key_text.clone(),
            passphrase: None,
            passphrase_file: None,
            unreadable: self.unreadable,
            callbacks: self.callbacks,
        }
    }

    /// A passphrase given without a prompt (`--passphrase-file` or `VAULT_PASSPHRASE`).
    pub fn passphrase_given(&self) -> Result<Option<Zeroizing<String>>> {
        self.given_passphrase()
    }
}

/// `KEYFILE.new`: where rekey writes the new key before the commit.
fn pending_path(key_file: &Path) -> PathBuf {
    let mut p = key_file.as_os_str().to_owned();
    p.push(".new");
    PathBuf::from(p)
}

/// Write a new key file at `path`: created 0600 and exclusive (exit 4 if
/// anything is there), synced before it is used.
fn write_new_key_file(path: &Path, key: &KeyFileKey) -> Result<()> {
    use std::io::Write;
    let mut f = paths::create_private_file(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            Error::conflict(format!("{} already exists", path.display())).hint(
                "nothing was changed; choose a new file name (vault never overwrites a key file)",
            )
        }
        _ => Error::io("create", path, e),
    })?;
    let written = f
        .write_all(key.to_text().as_bytes())
        .and_then(|_| f.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(path);
        return Err(Error::io("write", path, e));
    }
    sync_parent(path);
    Ok(())
}

fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

impl Vault {
    /// The key slots, oldest first (no unlock needed: they hold no key in the clear).
    pub fn slot_infos(&self) -> Vec<SlotInfo> {
        self.slots
            .iter()
            .map(|s| SlotInfo {
                id: s.id,
                kind: s.kind.clone(),
                kdf: s.kdf.clone(),
            })
            .collect()
    }

    /// Whether a key-file slot exists.
    pub fn has_key_file_slot(&self) -> bool {
        self.slots.iter().any(|s| s.kind == "keyfile")
    }

    /// The slot this process unlocked the vault with.
    pub fn unlocked_slot(&self) -> Option<i64> {
        self.unlocked_by
    }

    fn master(&self) -> Result<&MasterKey> {
        Ok(&self.crypt.keys()?.master)
    }

    /// Add a passphrase slot (the vault must be unlocked already).
    pub fn add_passphrase_slot(
        &mut self,
        src: &KeySource,
        pass: &Zeroizing<String>,
    ) -> Result<i64> {
        self.unlock_asking(src)?;
        let slot = super::passphrase_slot(self.master()?, &self.crypt.vault_id, pass.as_bytes())?;
        self.write(src, |tx, crypt| {
            let id = tx.insert_slot(&slot)?;
            super::audit::append(
                tx,
                crypt,
                "keys-add",
                serde_json::json!({ "slot": id, "kind": "passphrase" }),
            )?;
            Ok(id)
        })
    }

    /// Write a new key file at `path` and add its slot. The file is made
    /// first (so a slot never exists without its key) and removed again if
    /// the transaction fails.
    pub fn add_key_file_slot(&mut self, src: &KeySource, path: &Path) -> Result<NewKeyFile> {
        self.unlock_asking(src)?;
        let key = KeyFileKey::generate()?;
        let slot = super::keyfile_slot(self.master()?, &key, &self.crypt.vault_id)?;
        write_new_key_file(path, &key)?;
        let added = self.write(src, |tx, crypt| {
            let id = tx.insert_slot(&slot)?;
            super::audit::append(
                tx,
                crypt,
                "keys-add",
                serde_json::json!({ "slot": id, "kind": "keyfile" }),
            )?;
            Ok(id)
        });
        match added {
            Ok(id) => Ok(NewKeyFile {
                slot: id,
                path: path.to_owned(),
            }),
            Err(e) => {
                let _ = std::fs::remove_file(path);
                Err(e)
            }
        }
    }

    /// Remove slot `id`: exit 3 if there is none, exit 4 if it is the last.
    pub fn remove_slot(&mut self, src: &KeySource, id: i64) -> Result<()> {
        self.unlock_asking(src)?;
        self.write(src, |tx, crypt| {
            let slots = tx.slots()?;
            if !slots.iter().any(|s| s.id == id) {
                let ids: Vec<String> = slots.iter().map(|s| s.id.to_string()).collect();
                return Err(Error::not_found(format!(
                    "no key slot {id} (slots: {})",
                    ids.join(", ")
                ))
                .hint("`vault keys list` shows the slots"));
            }
            if slots.len() == 1 {
                return Err(Error::conflict(format!(
                    "slot {id} is the vault's last key slot: without it nothing could unlock the vault"
                ))
                .hint("add another first (`vault keys add --passphrase` or `--key-file FILE`), then remove this one"));
            }
            tx.delete_slot(id)?;
            super::audit::append(tx, crypt, "keys-remove", serde_json::json!({ "slot": id }))?;
            Ok(())
        })
    }

    /// Replace a passphrase slot by one for `new`, in one transaction:
    /// the slot that unlocked the vault if it is a passphrase slot, else the
    /// only passphrase slot. Returns (new slot, removed slot).
    pub fn change_passphrase(
        &mut self,
        src: &KeySource,
        new: &Zeroizing<String>,
    ) -> Result<(i64, i64)> {
        self.unlock_asking(src)?;
        let passphrase_slots: Vec<i64> = self
            .slots
            .iter()
            .filter(|s| s.kind == "passphrase")
            .map(|s| s.id)
            .collect();
        let old = match (self.unlocked_by, passphrase_slots.as_slice()) {
            (Some(u), _) if passphrase_slots.contains(&u) => u,
            (_, [only]) => *only,
            (_, []) => {
                return Err(Error::not_found("this vault has no passphrase slot to change")
                    .hint("add one with `vault keys add --passphrase`"))
            }
            (_, _) => {
                return Err(Error::conflict(
                    "this vault has several passphrase slots and was not unlocked by one of them, so which to change is ambiguous",
                )
                .hint("unlock with the passphrase to change (VAULT_PASSPHRASE or --passphrase-file), or use `vault keys add --passphrase` and `vault keys remove ID`"))
            }
        };
        let slot = super::passphrase_slot(self.master()?, &self.crypt.vault_id, new.as_bytes())?;
        let id = self.write(src, |tx, crypt| {
            if !tx.slots()?.iter().any(|s| s.id == old) {
                return Err(Error::conflict(format!(
                    "key slot {old} was removed by another command meanwhile"
                ))
                .hint("run `vault keys list` and try again"));
            }
            let id = tx.insert_slot(&slot)?;
            tx.delete_slot(old)?;
            super::audit::append(
                tx,
                crypt,
                "keys-passwd",
                serde_json::json!({ "old_slot": old, "slot": id }),
            )?;
            Ok(id)
        })?;
        Ok((id, old))
    }

    /// The key file did not open the vault: if a rekey committed but did not
    /// get to rename `KEYFILE.new` into place, that file opens it; finish the
    /// rename and return the master key and slot.
    pub(super) fn recover_pending_key_file(
        &self,
        callbacks: &dyn super::Callbacks,
    ) -> Option<(MasterKey, i64)> {
        let pending = pending_path(&self.paths.key_file);
        let text = paths::read_key_file(&pending).ok()?;
        let key = KeyFileKey::parse(&text, "").ok()?;
        let kek = key.kek();
        let found = self
            .slots
            .iter()
            .filter(|s| s.kind == "keyfile")
            .find_map(|s| {
                crypto::unwrap_master(&kek, &self.crypt.vault_id, "keyfile", &wrapped(s))
                    .ok()
                    .map(|m| (m, s.id))
            })?;
        if std::fs::rename(&pending, &self.paths.key_file).is_ok() {
            sync_parent(&self.paths.key_file);
            callbacks.display_message(&format!(
                "note: an interrupted `vault rekey` left the new key in {}; it is now {} (the old key file no longer opened the vault)",
                pending.display(),
                self.paths.key_file.display()
            ));
        }
        Some(found)
    }

    /// A new master key: every slot wrapped again and every value resealed
    /// in one transaction (see the module doc for the key-file order).
    /// `ask` is called for a passphrase slot that the given passphrase (if
    /// any) does not open: it returns that slot's passphrase, or None when
    /// there is no way to ask.
    pub fn rekey(
        &mut self,
        src: &KeySource,
        ask: &mut dyn FnMut(i64) -> Result<Option<Zeroizing<String>>>,
    ) -> Result<Rekeyed> {
        // One rekey at a time, from before its new key file is written until
        // that file has replaced the old one: two at once could each rename
        // the other's key into place and leave a vault no key opens.
        let _lock = match self.paths.key_file.parent() {
            Some(d) if !d.as_os_str().is_empty() => Some(paths::lock_dir(d)?),
            _ => None,
        };
        // Another rekey may have finished while this one waited for the
        // lock: start from the slots as they are now.
        // The root keys too: a rekey that committed meanwhile sealed them
        // under its new master key, which is what unlocks from now on.
        let (slots, root_blob) = self.read(|tx, _| Ok((tx.slots()?, tx.meta("root_keys")?)))?;
        self.slots = slots;
        if self.crypt.root_blob.is_some() {
            self.crypt.root_blob = root_blob;
        }
        self.crypt.keys = None;
        self.unlocked_by = None;
        self.kek = None;
        self.unlock_asking(src)?;
        let vault_id = self.crypt.vault_id.clone();
        // The key-file key at hand: VAULT_KEY, else the key file.
        let (current_key, was_env_key) = match &src.key_text {
            Some(t) => (Some(KeyFileKey::parse(t, "VAULT_KEY")?), true),
            None if self.paths.key_file.exists() => {
                let t = paths::read_key_file(&self.paths.key_file)?;
                (
                    KeyFileKey::parse(&t, &self.paths.key_file.display().to_string()).ok(),
                    false,
                )
            }
            None => (None, false),
        };
        // The new key replaces the key file; one that holds some other key
        // (VAULT_KEY unlocked, the file is not this vault's) is not ours to replace.
        if was_env_key && self.paths.key_file.exists() {
            let t = paths::read_key_file(&self.paths.key_file)?;
            let ours = KeyFileKey::parse(&t, "").ok().is_some_and(|k| {
                self.slots.iter().any(|s| {
                    s.kind == "keyfile"
                        && crypto::unwrap_master(&k.kek(), &vault_id, "keyfile", &wrapped(s))
                            .is_ok()
                })
            });
            if !ours {
                return Err(Error::conflict(format!(
                    "{} holds a key that does not open this vault, and rekey would replace it with the new key",
                    self.paths.key_file.display()
                ))
                .hint("move that file aside (or point VAULT_KEY_FILE at where the new key should go), then run `vault rekey` again; nothing was changed"));
            }
        }
        let given = src.given_passphrase()?;
        let master = MasterKey::generate()?;
        let new_key = KeyFileKey::generate()?;
        let mut new_slots = Vec::new();
        let mut has_key_file_slot = false;
        // Owner members' slots are sealed again to their public keys: no
        // secret of theirs is needed.
        let members = if self.slots.iter().any(|s| s.kind == "member") {
            self.store.read(|tx| Ok(tx.members()?))?
        } else {
            Vec::new()
        };
        for slot in self.slots.clone() {
            match slot.kind.as_str() {
                "member" => {
                    let id = <[u8; 8]>::try_from(slot.nonce.as_slice())
                        .map(i64::from_be_bytes)
                        .ok();
                    let pk = members
                        .iter()
                        .find(|m| Some(m.id) == id)
                        .and_then(|m| <[u8; 32]>::try_from(m.kem_pk.as_slice()).ok())
                        .and_then(crypto::v2::KemPublicKey::from_bytes);
                    let (Some(id), Some(pk)) = (id, pk) else {
                        return Err(Error::integrity(format!(
                            "key slot {} is a member slot of no registered member: the vault was changed outside vault",
                            slot.id
                        ))
                        .hint("nothing was changed; restore the vault from a backup, or remove the slot with `vault keys remove`"));
                    };
                    new_slots.push(crate::store::SlotRow {
                        id: 0,
                        kind: "member".to_owned(),
                        kdf: None,
                        salt: None,
                        nonce: id.to_be_bytes().to_vec(),
                        wrapped: crypto::v2::member::seal_member_slot(
                            &master, &vault_id, id as u64, &pk,
                        )?,
                        check: Vec::new(),
                    });
                }
                "keyfile" => {
                    let opens = current_key.as_ref().is_some_and(|k| {
                        crypto::unwrap_master(&k.kek(), &vault_id, "keyfile", &wrapped(&slot))
                            .is_ok()
                    });
                    if !opens || has_key_file_slot {
                        return Err(Error::conflict(format!(
                            "key slot {} is a key-file slot whose key is not at hand (not {}{})",
                            slot.id,
                            self.paths.key_file.display(),
                            if was_env_key { " nor VAULT_KEY" } else { "" }
                        ))
                        .hint(format!("rekey wraps every slot again and needs each slot's key; remove that slot first with `vault keys remove {}` (and add a new key file after the rekey); nothing was changed", slot.id)));
                    }
                    has_key_file_slot = true;
                    new_slots.push(super::keyfile_slot(&master, &new_key, &vault_id)?);
                }
                _ => {
                    let params = Argon2Params::decode(slot.kdf.as_deref().unwrap_or(""))?;
                    let salt = slot.salt.clone().unwrap_or_default();
                    let opens = |p: &Zeroizing<String>| -> Result<bool> {
                        let kek = crypto::passphrase_kek(p.as_bytes(), params, &salt)?;
                        Ok(
                            crypto::unwrap_master(&kek, &vault_id, "passphrase", &wrapped(&slot))
                                .is_ok(),
                        )
                    };
                    let pass = match &given {
                        Some(p) if opens(p)? => p.clone(),
                        _ => match ask(slot.id)? {
                            Some(p) if opens(&p)? => p,
                            Some(_) => {
                                return Err(Error::locked(format!(
                                    "wrong passphrase for key slot {}",
                                    slot.id
                                ))
                                .hint("nothing was changed; try again"))
                            }
                            None => {
                                return Err(Error::locked(format!(
                                    "key slot {} is a passphrase slot and its passphrase was not given",
                                    slot.id
                                ))
                                .hint(format!("set VAULT_PASSPHRASE (or --passphrase-file) to its passphrase, run rekey on a terminal, or remove the slot first with `vault keys remove {}`", slot.id)))
                            }
                        },
                    };
                    new_slots.push(super::passphrase_slot(&master, &vault_id, pass.as_bytes())?);
                }
            }
        }
        let old_ids: Vec<i64> = self.slots.iter().map(|s| s.id).collect();
        // Format 2: the root keys (and so every data key wrap, the agents'
        // keyrings and the root fingerprint) stay; only their blob is sealed
        // again under the new master key. Format 1: every value is resealed.
        let (new_root_blob, new_root) = match &self.crypt.root_blob {
            Some(blob) => {
                let root = crypto::v2::RootKeys::open(&self.crypt.keys()?.master, &vault_id, blob)
                    .map_err(|e| e.into_error("the vault's root keys (meta.root_keys)"))?;
                (Some(root.seal(&master, &vault_id)?), Some(root))
            }
            None => (None, None),
        };
        let mut new_keys = Keys::derive(master, &vault_id, None)?;
        new_keys.root = new_root;
        // Format 2's row key follows M: every row is tagged again below.
        new_keys.row = new_keys
            .root
            .as_ref()
            .map(|_| crate::crypto::RowKey::derive(&new_keys.master, &vault_id));
        let new_crypt = Crypt {
            vault_id: vault_id.clone(),
            root_blob: new_root_blob,
            keys: Some(new_keys),
        };
        // 1. The new key on disk first, beside the key file.
        let pending = pending_path(&self.paths.key_file);
        if has_key_file_slot {
            if let Some(parent) = self
                .paths
                .key_file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
            {
                paths::ensure_private_dir(parent)?;
            }
            // A stray one from a rekey that crashed before its commit: the
            // vault just opened with the old key, so it holds nothing.
            if pending.exists() {
                std::fs::remove_file(&pending).map_err(|e| Error::io("remove", &pending, e))?;
            }
            write_new_key_file(&pending, &new_key)?;
        }
        // 2. One transaction: values, policy, slots.
        let Vault { store, crypt, .. } = self;
        let committed = store.write(|tx| {
            crypt.verify_policy(tx)?;
            let ids: Vec<i64> = tx.slots()?.iter().map(|s| s.id).collect();
            if ids != old_ids {
                return Err(
                    Error::conflict("the key slots changed while rekey was preparing")
                        .hint("nothing was changed; run `vault rekey` again"),
                );
            }
            let mut count = 0;
            if let Some(blob) = &new_crypt.root_blob {
                tx.set_meta("root_keys", blob)?;
            }
            let names = match crypt.format() {
                1 => tx.secret_names()?,
                _ => Vec::new(),
            };
            for name in names {
                for env in tx.secret_envs(&name)? {
                    for (version, stored) in tx.versions(&env, &name)? {
                        if let StoredValue::Sealed { .. } = stored {
                            let value = crypt.open_value(&env, &name, version, &stored)?;
                            let kind = crate::model::Kind::Secret;
                            let resealed = new_crypt.seal(&env, &name, version, kind, &value)?;
                            tx.replace_version(&env, &name, version, &resealed)?;
                            count += 1;
                        }
                    }
                }
            }
            for id in &old_ids {
                tx.delete_slot(*id)?;
            }
            for s in &new_slots {
                tx.insert_slot(s)?;
            }
            new_crypt.reseal_everything(tx)?;
            super::audit::append_rekey(
                tx,
                crypt,
                &new_crypt,
                serde_json::json!({ "resealed_versions": count, "slots": new_slots.len() }),
            )?;
            Ok(count)
        });
        let versions = match committed {
            Ok(n) => n,
            Err(e) => {
                if has_key_file_slot {
                    let _ = std::fs::remove_file(&pending);
                }
                return Err(e);
            }
        };
        self.crypt = new_crypt;
        // 3. The new key file into place.
        let key_file = if has_key_file_slot {
            std::fs::rename(&pending, &self.paths.key_file).map_err(|e| {
                Error::io("rename the new key file into place", &pending, e).hint(format!(
                    "the vault now opens only with the key in {}: move it to {} yourself",
                    pending.display(),
                    self.paths.key_file.display()
                ))
            })?;
            sync_parent(&self.paths.key_file);
            Some(self.paths.key_file.clone())
        } else {
            None
        };
        Ok(Rekeyed {
            key_file,
            slots: new_slots.len(),
            versions,
            was_env_key,
        })
    }
}
