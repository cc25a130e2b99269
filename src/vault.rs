//! The vault as commands see it: open or create it, unlock it, seal and reveal
//! values. This is the one place where the store (SQL, opaque bytes) and the
//! crypto layer (keys, no SQL) meet.

use std::io::IsTerminal;
use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::crypto::{self, Argon2Params, KeyFileKey, MasterKey, PolicyKey, ValueKey};
use crate::error::{Error, Result};
use crate::model::{Kind, SecretValue};
use crate::paths::{self, Paths};
use crate::store::Backend;
use crate::store::{NewVault, SecretRow, SlotRow, Store, StoredValue, Tx};

mod history;
mod keys;

pub use history::History;

/// Environment variables vault reads for itself. `vault run` removes them from
/// the command's environment: no agent ever receives unlock material.
pub const OWN_ENV_VARS: &[&str] = &[
    "VAULT_KEY",
    "VAULT_PASSPHRASE",
    "VAULT_KEY_FILE",
    "VAULT_DIR",
    "VAULT_DATABASE_URL",
    "VAULT_DATABASE_CA",
];

/// Where unlock material may come from, gathered once by `main`.
#[derive(Default)]
pub struct KeySource {
    /// `VAULT_KEY`: the key itself, in key-file text form.
    pub key_text: Option<Zeroizing<String>>,
    /// `VAULT_PASSPHRASE`.
    pub passphrase: Option<Zeroizing<String>>,
    /// `--passphrase-file F`.
    pub passphrase_file: Option<PathBuf>,
    /// An unlock variable that is set but is not UTF-8: refused when a key is
    /// needed (never read as "not set", which would fall back to the key
    /// file), but no reason to fail `list` or `providers`.
    pub unreadable: Option<&'static str>,
}

impl KeySource {
    pub fn from_env(passphrase_file: Option<PathBuf>) -> KeySource {
        let mut unreadable = None;
        let mut var = |n: &'static str| match std::env::var(n) {
            Ok(v) if v.is_empty() => None,
            Ok(v) => Some(Zeroizing::new(v)),
            Err(std::env::VarError::NotPresent) => None,
            Err(std::env::VarError::NotUnicode(raw)) => {
                use std::os::unix::ffi::OsStringExt;
                zeroize::Zeroize::zeroize(&mut raw.into_vec());
                unreadable = Some(n);
                None
            }
        };
        let key_text = var("VAULT_KEY");
        let passphrase = var("VAULT_PASSPHRASE");
        KeySource {
            key_text,
            passphrase,
            passphrase_file,
            unreadable,
        }
    }

    /// The error for an unlock variable that is not text, if there is one.
    fn check_readable(&self) -> Result<()> {
        match self.unreadable {
            Some(n) => Err(
                Error::locked(format!("{n} is set but is not valid UTF-8 text"))
                    .hint(format!("set {n} to the exact text (or unset it)")),
            ),
            None => Ok(()),
        }
    }

    /// A passphrase given without a prompt (`--passphrase-file` wins over the variable).
    fn given_passphrase(&self) -> Result<Option<Zeroizing<String>>> {
        if let Some(f) = &self.passphrase_file {
            let bytes = Zeroizing::new(
                std::fs::read(f).map_err(|e| Error::io("read the passphrase file", f, e))?,
            );
            let mut text = Zeroizing::new(String::from_utf8(bytes.to_vec()).map_err(|_| {
                Error::locked(format!(
                    "the passphrase file {} is not UTF-8 text",
                    f.display()
                ))
            })?);
            strip_one_newline(&mut text);
            return Ok(Some(text));
        }
        Ok(self.passphrase.clone())
    }
}

/// Remove one trailing `\n` (or `\r\n`).
pub fn strip_one_newline(s: &mut Zeroizing<String>) {
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
}

pub struct Vault {
    pub store: Store,
    pub paths: Paths,
    /// Keys and the vault id: seal and open values. A separate field so that
    /// sealing can happen inside a `store.write` closure.
    pub crypt: Crypt,
    /// Key slots as read when the vault was opened.
    slots: Vec<SlotRow>,
    /// The slot that unlocked the vault (`None` while locked, or for a vault
    /// this process created).
    unlocked_by: Option<i64>,
}

/// Every secret row and grant, read and authenticated together.
pub struct Snapshot {
    /// Secrets by name (description and timestamps left empty).
    pub rows: Vec<SecretRow>,
    /// (agent, secret) pairs.
    pub grants: Vec<(String, String)>,
}

pub struct Crypt {
    vault_id: Vec<u8>,
    keys: Option<Keys>,
}

struct Keys {
    /// Kept for wrapping new key slots (`keys add`, `rekey`); zeroed on drop.
    master: MasterKey,
    value: ValueKey,
    policy: PolicyKey,
}

impl Keys {
    fn derive(master: MasterKey, vault_id: &[u8]) -> Result<Keys> {
        Ok(Keys {
            value: ValueKey::derive(&master, vault_id)?,
            policy: PolicyKey::derive(&master, vault_id),
            master,
        })
    }
}

/// The canonical byte string the policy tag authenticates: every secret's
/// name, kind, scope, current version, provider and (for variables) value,
/// then every grant, each field length-prefixed, in a fixed order.
fn policy_message(rows: &[SecretRow], grants: &[(String, String)]) -> Zeroizing<Vec<u8>> {
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
    m
}

fn now() -> String {
    crate::output::now()
}

fn no_vault(paths: &Paths) -> Error {
    Error::not_found(format!("no vault at {}", paths.location()))
        .hint("create one with `vault init` (or any `vault set`), or pass --vault-dir / set VAULT_DIR for the vault you mean")
}

impl Vault {
    /// Open an existing vault; a missing one is "not found" (exit 3).
    pub fn open(paths: &Paths) -> Result<Vault> {
        let mut store = if let Some(url) = &paths.database {
            Store::open_at(&paths.db, Some(url), crate::crypto::FORMAT_VERSION)?
        } else {
            if !paths.db.exists() {
                // A dangling symlink "does not exist" either: name it.
                paths::check_db_files(&paths.db)?;
                return Err(no_vault(paths));
            }
            paths::check_dir_safe(&paths.dir)?;
            // SQLite refuses links (NOFOLLOW) with a vague message; find out
            // which file is odd only then, off the hot path of `vault run`.
            Store::open_at(&paths.db, None, crate::crypto::FORMAT_VERSION)
                .map_err(|e| paths::check_db_files(&paths.db).err().unwrap_or(e.into()))?
        };
        // One read for both: every unlock needs the slots, and each
        // transaction costs a round of WAL-index locking.
        let (vault_id, slots) = store.read(|tx| Ok((tx.vault_id()?, tx.slots()?)))?;
        Ok(Vault {
            store,
            paths: paths.clone(),
            slots,
            unlocked_by: None,
            crypt: Crypt {
                vault_id,
                keys: None,
            },
        })
    }

    /// Open the vault for a write command, creating it (key file slot) if missing
    /// and saying so on stderr.
    pub fn open_or_create(paths: &Paths, keys: &KeySource) -> Result<Vault> {
        if paths.database.is_some() {
            match Vault::open(paths) {
                Err(e) if e.kind() == crate::error::Kind::NotFound => {}
                opened => return opened,
            }
        } else {
            paths::check_db_files(&paths.db)?;
            if paths.db.exists() {
                return Vault::open(paths);
            }
        }
        match Vault::create(paths, keys, false)? {
            Some(created) => {
                eprintln!("{}", created.notice);
                Ok(created.vault)
            }
            None => Vault::open(paths),
        }
    }

    /// `vault init`: create a vault; refuses an existing one (exit 4).
    pub fn init(paths: &Paths, keys: &KeySource, passphrase: bool) -> Result<Created> {
        let exists = || {
            Error::conflict(format!("a vault already exists at {}", paths.location()))
                .hint("nothing was changed; use --vault-dir DIR to create another vault elsewhere (on PostgreSQL: another vault=NAME in the URL)")
        };
        if paths.database.is_none() {
            paths::check_db_files(&paths.db)?;
            if paths.db.exists() {
                return Err(exists());
            }
        }
        Vault::create(paths, keys, passphrase)?.ok_or_else(exists)
    }

    /// Create a new vault. `Ok(None)` if another process created it first.
    fn create(paths: &Paths, keys: &KeySource, passphrase: bool) -> Result<Option<Created>> {
        keys.check_readable()?;
        // The directory is made only once the key material is in hand, so a
        // refused or mistyped passphrase leaves nothing behind.
        let mut vault_id = vec![0u8; crypto::VAULT_ID_LEN];
        crypto::random_bytes(&mut vault_id)?;
        let master = MasterKey::generate()?;
        let (slot, notice) = if passphrase {
            let pass = new_passphrase(keys.given_passphrase()?)?;
            let params = Argon2Params::RFC9106_LOW_MEMORY;
            let mut salt = vec![0u8; crypto::SALT_LEN];
            crypto::random_bytes(&mut salt)?;
            let kek = crypto::passphrase_kek(pass.as_bytes(), params, &salt)?;
            let w = crypto::wrap_master(&master, &kek, &vault_id, "passphrase")?;
            (
                SlotRow {
                    id: 0,
                    kind: "passphrase".into(),
                    kdf: Some(params.encode()),
                    salt: Some(salt),
                    nonce: w.nonce,
                    wrapped: w.wrapped,
                    check: w.check,
                },
                format!(
                    "created a passphrase vault at {} (no key file; unlock with VAULT_PASSPHRASE, --passphrase-file or the prompt)",
                    paths.location()
                ),
            )
        } else {
            let (key, notice) = match &keys.key_text {
                Some(text) => (
                    KeyFileKey::parse(text, "VAULT_KEY")?,
                    format!("created a vault at {} unlocked by the key in VAULT_KEY (no key file written)", paths.location()),
                ),
                None => {
                    let key = load_or_create_key_file(&paths.key_file)?;
                    (
                        key,
                        format!(
                            "created a vault at {} with its key in {} (back up that file: without it the secrets cannot be read)",
                            paths.location(),
                            paths.key_file.display()
                        ),
                    )
                }
            };
            let w = crypto::wrap_master(&master, &key.kek(), &vault_id, "keyfile")?;
            (
                SlotRow {
                    id: 0,
                    kind: "keyfile".into(),
                    kdf: None,
                    salt: None,
                    nonce: w.nonce,
                    wrapped: w.wrapped,
                    check: w.check,
                },
                notice,
            )
        };
        if paths.database.is_none() {
            paths::ensure_private_dir(&paths.dir)?;
        }
        let created = now();
        let keys = Keys::derive(master, &vault_id)?;
        let policy_tag = keys.policy.tag(&policy_message(&[], &[]));
        let store = Store::create_at(
            &paths.db,
            paths.database.as_ref(),
            &NewVault {
                vault_id: &vault_id,
                format: crate::crypto::FORMAT_VERSION,
                created: &created,
                policy_tag: &policy_tag,
            },
            &slot,
        )?;
        let Some(store) = store else { return Ok(None) };
        Ok(Some(Created {
            vault: Vault {
                store,
                paths: paths.clone(),
                slots: vec![slot],
                unlocked_by: None,
                crypt: Crypt {
                    vault_id,
                    keys: Some(keys),
                },
            },
            notice,
        }))
    }

    /// Unlock with the first source that applies: `VAULT_KEY`, a given
    /// passphrase, the key file, or a passphrase prompt on a terminal.
    pub fn unlock(&mut self, src: &KeySource) -> Result<()> {
        if self.crypt.keys.is_some() {
            return Ok(());
        }
        src.check_readable()?;
        let slots = self.slots.clone();
        if slots.is_empty() {
            return Err(Error::integrity(format!(
                "the vault at {} has no key slots: its database was damaged or edited",
                self.paths.location()
            ))
            .hint("restore vault.db from a backup; no key can open a vault without slots"));
        }
        let has = |k: &str| slots.iter().any(|s| s.kind == k);
        let (master, slot_id) = if let Some(text) = &src.key_text {
            let key = KeyFileKey::parse(text, "VAULT_KEY")?;
            self.open_slots(&slots, "keyfile", &key.kek(), "the key in VAULT_KEY")?
        } else if let (true, Some(pass)) = (has("passphrase"), src.given_passphrase()?) {
            self.open_passphrase(&slots, &pass)?
        } else if has("keyfile") && self.paths.key_file.exists() {
            let text = paths::read_key_file(&self.paths.key_file)?;
            let key = KeyFileKey::parse(&text, &self.paths.key_file.display().to_string())?;
            let what = format!("the key file {}", self.paths.key_file.display());
            match self.open_slots(&slots, "keyfile", &key.kek(), &what) {
                Ok(opened) => opened,
                Err(e) if e.kind() == crate::error::Kind::Locked => {
                    self.recover_pending_key_file().ok_or(e)?
                }
                Err(e) => return Err(e),
            }
        } else if has("passphrase") && std::io::stdin().is_terminal() {
            let pass = read_passphrase("Vault passphrase: ", true)?;
            self.open_passphrase(&slots, &pass)?
        } else if has("passphrase") {
            return Err(Error::locked(
                "this vault is locked by a passphrase and none was given (stdin is not a terminal, so vault cannot ask)",
            )
            .hint("set VAULT_PASSPHRASE or pass --passphrase-file FILE"));
        } else {
            return Err(Error::locked(format!(
                "no key to unlock the vault: VAULT_KEY is not set and there is no key file at {}",
                self.paths.key_file.display()
            ))
            .hint("set VAULT_KEY or VAULT_KEY_FILE, or restore vault.key from your backup"));
        };
        self.crypt.keys = Some(Keys::derive(master, &self.crypt.vault_id)?);
        self.unlocked_by = Some(slot_id);
        Ok(())
    }

    /// Whether a passphrase key slot exists.
    pub fn has_passphrase_slot(&self) -> bool {
        self.slots.iter().any(|s| s.kind == "passphrase")
    }

    /// Unlock only if that needs no prompt and no Argon2id (`VAULT_KEY` or a
    /// key file); Ok(false) when no such key is at hand.
    pub fn unlock_quietly(&mut self, src: &KeySource) -> Result<bool> {
        if self.crypt.keys.is_some() {
            return Ok(true);
        }
        src.check_readable()?;
        if src.key_text.is_none() && !self.paths.key_file.exists() {
            return Ok(false);
        }
        let slots = self.slots.clone();
        if !slots.iter().any(|s| s.kind == "keyfile") {
            return Ok(false);
        }
        self.unlock(src)?;
        Ok(true)
    }

    /// A write transaction that changes policy (secrets, kinds, scopes,
    /// versions, grants): unlocks, verifies the current policy first (so a
    /// tampered vault is never blessed by resealing it), runs `f`, then
    /// reseals the policy tag in the same transaction.
    pub fn write<T>(
        &mut self,
        src: &KeySource,
        mut f: impl FnMut(&Tx<'_>, &Crypt) -> Result<T>,
    ) -> Result<T> {
        self.unlock(src)?;
        let Vault { store, crypt, .. } = self;
        store.write(|tx| {
            crypt.verify_policy(tx)?;
            let out = f(tx, crypt)?;
            crypt.seal_policy(tx)?;
            Ok(out)
        })
    }

    fn open_passphrase(
        &self,
        slots: &[SlotRow],
        pass: &Zeroizing<String>,
    ) -> Result<(MasterKey, i64)> {
        let mut damaged = None;
        for slot in slots.iter().filter(|s| s.kind == "passphrase") {
            let params = Argon2Params::decode(slot.kdf.as_deref().unwrap_or(""))?;
            let salt = slot.salt.as_deref().unwrap_or(&[]);
            let kek = crypto::passphrase_kek(pass.as_bytes(), params, salt)?;
            match crypto::unwrap_master(&kek, &self.crypt.vault_id, "passphrase", &wrapped(slot)) {
                Ok(m) => return Ok((m, slot.id)),
                Err(crypto::UnwrapError::Damaged) => damaged = Some(slot.id),
                Err(crypto::UnwrapError::WrongKey) => {}
            }
        }
        Err(match damaged {
            Some(id) => slot_damaged(id),
            None => {
                Error::locked("wrong passphrase").hint("try again; passphrases are case-sensitive")
            }
        })
    }

    fn open_slots(
        &self,
        slots: &[SlotRow],
        kind: &str,
        kek: &crypto::Kek,
        what: &str,
    ) -> Result<(MasterKey, i64)> {
        let mut damaged = None;
        for slot in slots.iter().filter(|s| s.kind == kind) {
            match crypto::unwrap_master(kek, &self.crypt.vault_id, kind, &wrapped(slot)) {
                Ok(m) => return Ok((m, slot.id)),
                Err(crypto::UnwrapError::Damaged) => damaged = Some(slot.id),
                Err(crypto::UnwrapError::WrongKey) => {}
            }
        }
        Err(match damaged {
            Some(id) => slot_damaged(id),
            None => Error::locked(format!("{what} does not unlock the vault at {}", self.paths.location()))
                .hint("use the key written when this vault was created (VAULT_KEY, VAULT_KEY_FILE or --vault-dir)"),
        })
    }
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
        self.check_policy(tx, &rows, &grants)?;
        Ok(Snapshot { rows, grants })
    }

    /// Check rows and grants the caller read in this transaction (all of
    /// them) against the stored policy tag.
    pub fn check_policy(
        &self,
        tx: &Tx<'_>,
        rows: &[SecretRow],
        grants: &[(String, String)],
    ) -> Result<()> {
        let keys = self.keys()?;
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
        if keys.policy.verify(&policy_message(rows, grants), &tag) {
            Ok(())
        } else {
            Err(Error::integrity(
                "the vault's access policy failed authentication: a scope, kind, grant, variable or current-version pointer was changed outside vault",
            )
            .hint("someone with write access to vault.db may have widened who receives a secret; restore vault.db from a backup"))
        }
    }

    /// Recompute and store the policy tag (inside the caller's write transaction).
    pub fn seal_policy(&self, tx: &Tx<'_>) -> Result<()> {
        let keys = self.keys()?;
        let rows = tx.policy_rows()?;
        let grants = tx.all_grants()?;
        let tag = keys.policy.tag(&policy_message(&rows, &grants));
        Ok(tx.set_meta("policy_tag", &tag)?)
    }

    fn keys(&self) -> Result<&Keys> {
        self.keys
            .as_ref()
            .ok_or_else(|| Error::locked("the vault is not unlocked"))
    }

    /// Prepare `value` for storage as `version` of `name`.
    pub fn seal(
        &self,
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
                let s = self.keys()?.value.seal(name, version, value.as_bytes())?;
                Ok(StoredValue::Sealed {
                    nonce: s.nonce,
                    ciphertext: s.ciphertext,
                })
            }
        }
    }

    /// The plaintext of a stored value (`version` of `name`).
    pub fn open_value(
        &self,
        name: &str,
        version: u64,
        stored: &StoredValue,
    ) -> Result<SecretValue> {
        match stored {
            StoredValue::Plain(p) => SecretValue::new(p.clone()),
            StoredValue::Sealed { nonce, ciphertext } => {
                let plain = self.keys()?.value.open(name, version, nonce, ciphertext)?;
                SecretValue::from_bytes(plain).map_err(|_| {
                    Error::integrity(format!("{name} (version {version}) decrypted to something that is not a valid value"))
                })
            }
        }
    }
}

fn wrapped(slot: &SlotRow) -> crypto::WrappedKey {
    crypto::WrappedKey {
        nonce: slot.nonce.clone(),
        wrapped: slot.wrapped.clone(),
        check: slot.check.clone(),
    }
}

fn slot_damaged(id: i64) -> Error {
    Error::integrity(format!(
        "key slot {id} matches your key but failed authentication: the slot was damaged or tampered with"
    ))
    .hint("restore vault.db from a backup")
}

/// A freshly created vault and the line that tells the user where it is.
pub struct Created {
    pub vault: Vault,
    pub notice: String,
}

/// Load the key file, or create it (0600, atomically) if missing.
fn load_or_create_key_file(path: &std::path::Path) -> Result<KeyFileKey> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            paths::ensure_private_dir(parent)?;
        }
    }
    if !path.exists() {
        let key = KeyFileKey::generate()?;
        if paths::publish_new_file(path, key.to_text().as_bytes())? {
            return Ok(key);
        }
    }
    // Someone else's key file (or a concurrent creator's): use it.
    let text = paths::read_key_file(path)?;
    KeyFileKey::parse(&text, &path.display().to_string())
}

/// The fewest characters a new passphrase may have. Argon2id slows each
/// guess down, but anyone who copies vault.db can guess offline for as long
/// as they like: under 8 characters that search is short.
pub const MIN_PASSPHRASE_CHARS: usize = 8;
/// Below this, a new passphrase is accepted with a warning.
const GOOD_PASSPHRASE_CHARS: usize = 12;

/// Refuse a new passphrase that is too short to resist an offline search
/// (exit 7), and warn about a short one. Wherever a passphrase is chosen
/// (prompt, VAULT_PASSPHRASE, --passphrase-file), the same rule.
/// `warn`: also print the warning for a short one (once per passphrase).
fn check_new_passphrase(pass: &str, warn: bool) -> Result<()> {
    let n = pass.chars().count();
    if n == 0 {
        return Err(Error::invalid("the passphrase is empty").hint(
            "choose a passphrase, or run `vault init` without --passphrase to use a key file",
        ));
    }
    let distinct = pass
        .chars()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if n < MIN_PASSPHRASE_CHARS || distinct < 4 {
        return Err(Error::invalid(format!(
            "the new passphrase is too weak: it has {n} characters ({distinct} different); a passphrase needs at least {MIN_PASSPHRASE_CHARS} characters, of at least 4 different ones; nothing was written"
        ))
        .hint("choose a longer one (four or more random words make a strong passphrase), or run `vault init` without --passphrase to use a key file"));
    }
    if warn && n < GOOD_PASSPHRASE_CHARS {
        eprintln!(
            "warning: a passphrase of {n} characters can be found by an offline search of a copied vault.db; {GOOD_PASSPHRASE_CHARS} or more (several random words) is much safer"
        );
    }
    Ok(())
}

/// Read a passphrase at the hidden prompt (one line). To unlock (`locked`),
/// every failure is exit 5; for a new passphrase, an answer that cannot be
/// used is exit 7 and a terminal that cannot be read exit 1.
pub fn read_passphrase(prompt: &str, locked: bool) -> Result<Zeroizing<String>> {
    crate::prompt::prompt_hidden(prompt, crate::prompt::Lines::One).map_err(|e| {
        // InvalidData: an answer was read but cannot be a passphrase.
        let bad_answer = e.kind() == std::io::ErrorKind::InvalidData;
        let error = |m: String| match (locked, bad_answer) {
            (true, _) => Error::locked(m),
            (false, true) => Error::invalid(m),
            (false, false) => Error::other(m),
        };
        if bad_answer {
            error(format!(
                "the passphrase was not used: {e} (what was typed or pasted was discarded)"
            ))
            .hint("a passphrase is one line; or give it with --passphrase-file FILE or VAULT_PASSPHRASE")
        } else {
            error(format!("cannot read the passphrase: {e}"))
        }
    })
}

/// A new passphrase (`init --passphrase`, `keys add --passphrase`,
/// `passwd`): `given` (VAULT_PASSPHRASE, a passphrase file) or asked twice at
/// the terminal; the same strength rule either way.
pub fn new_passphrase(given: Option<Zeroizing<String>>) -> Result<Zeroizing<String>> {
    match given {
        Some(p) => {
            check_new_passphrase(&p, true)?;
            Ok(p)
        }
        None => prompt_new_passphrase(),
    }
}

fn prompt_new_passphrase() -> Result<Zeroizing<String>> {
    if !std::io::stdin().is_terminal() {
        return Err(
            Error::locked("no passphrase given and no terminal to ask for one")
                .hint("set VAULT_PASSPHRASE or pass --passphrase-file FILE"),
        );
    }
    let a = read_passphrase("New vault passphrase: ", false)?;
    // Refuse a weak one before asking again, not after.
    check_new_passphrase(&a, false)?;
    let b = read_passphrase("Repeat the passphrase: ", false)?;
    if a != b {
        return Err(
            Error::invalid("the two passphrases differ; nothing was written")
                .hint("run the command again"),
        );
    }
    Ok(a)
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
            hex(&policy_message(&[], &[])),
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
        assert_eq!(hex(&policy_message(&rows, &grants)), expected);
    }

    /// Descriptions and timestamps are not policy; scope, version and grants are.
    #[test]
    fn policy_message_covers_exactly_the_policy() {
        let empty = || StoredValue::Plain(Zeroizing::new(String::new()));
        let base = [row("A", Kind::Secret, Scope::Agent, 2, None, empty())];
        let mut other = base.clone();
        other[0].description = "changed".into();
        other[0].updated = "changed".into();
        assert_eq!(*policy_message(&base, &[]), *policy_message(&other, &[]));
        let mut widened = base.clone();
        widened[0].scope = Scope::Global;
        assert_ne!(*policy_message(&base, &[]), *policy_message(&widened, &[]));
        let mut rolled = base.clone();
        rolled[0].version = 1;
        assert_ne!(*policy_message(&base, &[]), *policy_message(&rolled, &[]));
        let granted = [("bot".to_owned(), "A".to_owned())];
        assert_ne!(
            *policy_message(&base, &[]),
            *policy_message(&base, &granted)
        );
    }
}
