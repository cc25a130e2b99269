//! The domain layer: every operation on a vault (open, create, unlock, set,
//! grant, plan a run, import, history, keys, ...) as typed requests in and
//! typed outcomes out. This is the one place where the store (SQL, opaque
//! bytes) and the crypto layer (keys, no SQL) meet, and every change passes
//! through [`Vault::write`] (policy changes) or an unlocked write of its own
//! (agents, runs, reveals), each appending its signed audit entry in the same
//! transaction (`audit.rs`). Nothing in it
//! prints or reads a terminal: questions go through [`Callbacks`], warnings
//! come back as data. Commands never see a transaction.

use std::path::PathBuf;

use crate::crypto::{self, Argon2Params, KeyFileKey, MasterKey};
use crate::error::{Error, Result};
use crate::paths::{self, Paths};
use crate::store::Backend;
use crate::store::{NewVault, SlotRow, Store, Tx};

mod agent_keys;
mod agents;
mod audit;
mod cache;
mod history;
mod io;
mod keys;
mod manage;
mod members;
mod policy;
mod push;
mod rename;
mod rules;
mod run;
mod secrets;
mod unlock;
mod upgrade;

pub use agent_keys::{enroll, AgentCredential, Received, ReceivedItem};
use agents::check_provider_rule;
pub use agents::{GrantRequest, Receipt};
pub use audit::{Anchor, AuditEntry, Checkpoint, CHECKPOINT};
pub use history::History;
pub use io::{
    capped, import_without_vault, ExportedAgent, ExportedSecret, ImportEntry, ImportMeta,
    ImportRequest, ImportSummary, Mode, SHOWN,
};
pub use members::{join as member_join, Need};
use policy::Crypt;
use policy::{policy_message, Keys};
pub use rules::source_label;
use rules::{convert_kind, no_such_agent, no_such_secret, put_value, require_agent};
pub use run::{RunRequest, RunWatch, WatchRequest};
pub use secrets::{EditRequest, NameKind, NewValue, SecretInfo, SetRequest, Unverified};
pub use unlock::{new_passphrase, read_passphrase_file, strip_one_newline, Callbacks, KeySource};

pub struct Vault {
    store: Store,
    paths: Paths,
    /// Keys and the vault id: seal and open values. A separate field so that
    /// sealing can happen inside a `store.write` closure.
    crypt: Crypt,
    /// Key slots as read when the vault was opened.
    slots: Vec<SlotRow>,
    /// The slot that unlocked the vault (`None` while locked, or for a vault
    /// this process created).
    unlocked_by: Option<i64>,
    /// The key-encryption key that opened that slot (for `vault unlock`
    /// to keep); zeroed on drop.
    kek: Option<crypto::Kek>,
    /// The team member whose identity opened the vault (PostgreSQL), with
    /// role and rights from the verified roster.
    me: Option<members::Me>,
}

fn now() -> String {
    crate::model::now()
}

fn no_vault(paths: &Paths) -> Error {
    if paths::is_link(&paths.key_file) {
        return paths::key_file_is_link(&paths.key_file);
    }
    if !paths.key_file_given && paths::something_at(&paths.key_file) {
        return orphan_key(paths);
    }
    Error::not_found(format!("no vault at {}", paths.location()))
        .hint("create one with `vault init` (or any `vault set`), or pass --vault-dir / set VAULT_DIR for the vault you mean")
}

/// A key file without its database: the database was moved or lost, or this
/// is the wrong `--vault-dir`. Never papered over with a new, empty vault on
/// the old key (exit 3, like any missing vault).
fn orphan_key(paths: &Paths) -> Error {
    let fresh = if paths.key_file_given {
        "to start a new, empty vault with this key on purpose, run `vault init`".to_owned()
    } else {
        format!(
            "to start a new, empty vault on purpose, run `vault init` (it keeps the old key as {}.old-TIME)",
            paths.key_file.display()
        )
    };
    Error::not_found(format!(
        "the key file {} exists but vault.db is missing at {}",
        paths.key_file.display(),
        paths.db.display()
    ))
    .hint(format!(
        "restore vault.db from your backup to {} (or pass --vault-dir / set VAULT_DIR for the vault you mean); {fresh}",
        paths.db.display()
    ))
}

/// Marks a creation in progress in the vault directory (under its lock): a
/// key file found beside this marker and no database was left by a first
/// use that was killed, not by a lost vault.db, and is used, not refused.
const CREATING_MARKER: &str = ".vault.creating";

/// What a first use made before it failed, removed again so that a failed
/// first use leaves nothing behind.
#[derive(Default)]
struct Undo {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
    /// A key file moved aside by `init`: moved back.
    moved: Option<(PathBuf, PathBuf)>,
}

impl Undo {
    fn run(self) {
        for f in &self.files {
            let _ = std::fs::remove_file(f);
        }
        if let Some((from, to)) = &self.moved {
            if std::fs::hard_link(to, from).is_ok() {
                let _ = std::fs::remove_file(to);
            }
        }
        paths::remove_dirs(&self.dirs);
    }
}

/// Move a key file that has no database aside to `NAME.old-TIME`, never
/// over another file: it may be the only key to a backup of vault.db.
fn move_key_aside(key: &std::path::Path) -> Result<PathBuf> {
    let stamp: String = now()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let mut name = key.as_os_str().to_owned();
    name.push(format!(".old-{stamp}"));
    let base = PathBuf::from(name);
    for n in 0..100 {
        let to = if n == 0 {
            base.clone()
        } else {
            let mut p = base.clone().into_os_string();
            p.push(format!("-{n}"));
            PathBuf::from(p)
        };
        match std::fs::hard_link(key, &to) {
            Ok(()) => {
                std::fs::remove_file(key).map_err(|e| Error::io("move aside", key, e))?;
                return Ok(to);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io("move aside", key, e)),
        }
    }
    Err(Error::other(format!(
        "cannot find a free name to move {} aside",
        key.display()
    ))
    .hint("move the old key file away yourself, then run `vault init` again"))
}

impl Vault {
    /// Open an existing vault; a missing one is "not found" (exit 3).
    pub fn open(paths: &Paths) -> Result<Vault> {
        let mut identity = None;
        let mut store = if let Some(url) = &paths.database {
            let mut url = url.clone();
            identity = members::identity_for(paths, &mut url)?;
            Store::open_at(&paths.db, Some(&url), crate::crypto::v2::FORMAT_VERSION)?
        } else {
            if !paths.db.exists() {
                // A dangling symlink "does not exist" either: name it.
                paths::check_db_files(&paths.db)?;
                return Err(no_vault(paths));
            }
            paths::check_dir_safe(&paths.dir)?;
            // SQLite refuses links (NOFOLLOW) with a vague message; find out
            // which file is odd only then, off the hot path of `vault run`.
            Store::open_at(&paths.db, None, crate::crypto::v2::FORMAT_VERSION)
                .map_err(|e| paths::check_db_files(&paths.db).err().unwrap_or(e.into()))?
        };
        // One read for both: every unlock needs the slots, and each
        // transaction costs a round of WAL-index locking. On PostgreSQL it
        // continues the snapshot opening began, whose batch fetched them.
        let (vault_id, slots, format, root_blob, me) = store.read_again(|tx| {
            let vault_id = tx.vault_id()?;
            let me = match identity.take() {
                Some(i) => Some(members::verify_me(tx, &vault_id, i)?),
                None => None,
            };
            Ok((
                vault_id,
                tx.slots()?,
                tx.meta("format")?,
                tx.meta("root_keys")?,
                me,
            ))
        })?;
        // The id is part of every key check: a damaged one would read as
        // "wrong key" (5) when the database is what changed (6).
        if vault_id.len() != crypto::VAULT_ID_LEN {
            return Err(Error::integrity(format!(
                "the vault at {} has a damaged vault id ({} bytes instead of {})",
                paths.location(),
                vault_id.len(),
                crypto::VAULT_ID_LEN
            ))
            .hint("the database was damaged or edited; restore it from a backup"));
        }
        let format = format
            .and_then(|f| String::from_utf8_lossy(&f).trim().parse::<u32>().ok())
            .unwrap_or(crypto::FORMAT_VERSION);
        // Format 2 is exactly "the root keys are there": a vault that says
        // one and holds the other was edited (a downgrade would leave every
        // value unreadable, an upgrade by hand has no keys to open).
        let root_blob = match (format, root_blob) {
            (crypto::v2::FORMAT_VERSION, Some(b)) => Some(b),
            (crypto::FORMAT_VERSION, None) => None,
            (f, b) => {
                return Err(Error::integrity(format!(
                    "the vault at {} says format {f} but {} root keys: its metadata was changed outside vault",
                    paths.location(),
                    if b.is_some() { "holds" } else { "has no" }
                ))
                .hint("restore the vault database from a backup"))
            }
        };
        Ok(Vault {
            store,
            paths: paths.clone(),
            slots,
            unlocked_by: None,
            kek: None,
            me,
            crypt: Crypt {
                vault_id,
                root_blob,
                keys: None,
            },
        })
    }

    /// Open the vault for a write command, creating it (key file slot) if missing
    /// and saying so on stderr. A key file without a database is refused.
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
        match Vault::create(paths, keys, false, false, crate::crypto::v2::FORMAT_VERSION)? {
            Some(created) => {
                keys.callbacks.display_message(&created.notice);
                Ok(created.vault)
            }
            None => Vault::open(paths),
        }
    }

    /// `vault init`: create a vault; refuses an existing one (exit 4). A key
    /// file at the usual place without a database is moved aside (never
    /// deleted: it may unlock a backup); one named by VAULT_KEY_FILE is used.
    /// `format`: 2, or 1 only for tests (`vault init --format 1`, hidden).
    pub fn init(paths: &Paths, keys: &KeySource, passphrase: bool, format: u32) -> Result<Created> {
        let exists = || {
            Error::conflict(format!("a vault already exists at {}", paths.location()))
                .hint("nothing was changed; use --vault-dir DIR to create another vault elsewhere (on PostgreSQL: another vault=NAME in the URL)")
        };
        match &paths.database {
            None => {
                paths::check_db_files(&paths.db)?;
                if paths.db.exists() {
                    return Err(exists());
                }
            }
            // Only the server knows: ask it before any key file is touched.
            Some(_) => match Vault::open(paths) {
                Ok(_) => return Err(exists()),
                Err(e) if e.kind() == crate::error::Kind::NotFound => {}
                Err(e) => return Err(e),
            },
        }
        Vault::create(paths, keys, passphrase, true, format)?.ok_or_else(exists)
    }

    /// Create a new vault. `Ok(None)` if another process created it first.
    /// `on_purpose`: `vault init`, which may start anew beside an old key file.
    fn create(
        paths: &Paths,
        keys: &KeySource,
        passphrase: bool,
        on_purpose: bool,
        format: u32,
    ) -> Result<Option<Created>> {
        keys.check_readable()?;
        // Key material first (a prompt, VAULT_KEY), so that a refused or
        // mistyped passphrase touches no file.
        let mut vault_id = vec![0u8; crypto::VAULT_ID_LEN];
        crypto::random_bytes(&mut vault_id)?;
        let master = MasterKey::generate()?;
        let given: Option<(SlotRow, String)> = if passphrase {
            let pass = new_passphrase(keys.given_passphrase()?, keys.callbacks)?;
            Some((
                passphrase_slot(&master, &vault_id, pass.as_bytes())?,
                format!(
                    "created a passphrase vault at {} (no key file; unlock with VAULT_PASSPHRASE, --passphrase-file or the prompt)",
                    paths.location()
                ),
            ))
        } else if let Some(text) = &keys.key_text {
            let key = KeyFileKey::parse(text, "VAULT_KEY")?;
            Some((
                keyfile_slot(&master, &key, &vault_id)?,
                format!(
                    "created a vault at {} unlocked by the key in VAULT_KEY (no key file written)",
                    paths.location()
                ),
            ))
        } else {
            None
        };
        let mut undo = Undo {
            dirs: paths::missing_dirs(&paths.dir),
            ..Undo::default()
        };
        let built = (|| -> Result<Option<Created>> {
            paths::ensure_private_dir(&paths.dir)?;
            if let Some(mount) = paths::read_only_mount(&paths.dir) {
                return Err(paths::read_only_fs_error(&paths.db, &mount));
            }
            // One creator at a time: the others wait here, then find the vault.
            let _lock = paths::lock_dir(&paths.dir)?;
            // On PostgreSQL the server decides whether the vault exists.
            if paths.database.is_none() {
                paths::check_db_files(&paths.db)?;
                if paths::something_at(&paths.db) {
                    return Ok(None);
                }
            }
            let marker = paths.dir.join(CREATING_MARKER);
            let interrupted = paths::something_at(&marker);
            let (slot, notice) = match given {
                Some(g) => g,
                None => {
                    if paths::is_link(&paths.key_file) {
                        return Err(paths::key_file_is_link(&paths.key_file));
                    }
                    // On PostgreSQL a key file beside no vault.db is the normal case:
                    // the database is elsewhere, and one key may open several vaults.
                    if paths.database.is_none()
                        && paths::something_at(&paths.key_file)
                        && !interrupted
                    {
                        if !on_purpose {
                            return Err(orphan_key(paths));
                        }
                        if !paths.key_file_given {
                            let to = move_key_aside(&paths.key_file)?;
                            keys.callbacks.display_message(&format!(
                                "note: moved the old key file {} (it had no vault.db) to {}; keep it until you are sure no backup of vault.db needs it",
                                paths.key_file.display(),
                                to.display()
                            ));
                            undo.moved = Some((paths.key_file.clone(), to));
                        }
                    }
                    match paths::create_private_file(&marker) {
                        Ok(_) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                        Err(e) => return Err(Error::io("create", &marker, e)),
                    }
                    undo.files.push(marker.clone());
                    if let Some(parent) = paths.key_file.parent() {
                        undo.dirs.splice(0..0, paths::missing_dirs(parent));
                    }
                    let (key, made) = load_or_create_key_file(&paths.key_file)?;
                    if made {
                        undo.files.push(paths.key_file.clone());
                    }
                    (
                        keyfile_slot(&master, &key, &vault_id)?,
                        format!(
                            "created a vault at {} with its key in {} (back up that file: without it the secrets cannot be read)",
                            paths.location(),
                            paths.key_file.display()
                        ),
                    )
                }
            };
            let created = now();
            // Format 2 (docs/FORMAT.md §10.4): root keys sealed under M,
            // their public halves in the clear.
            let root = match format {
                1 => None,
                _ => {
                    let root = crypto::v2::RootKeys::generate()?;
                    let blob = root.seal(&master, &vault_id)?;
                    let kem_pk = root
                        .kem
                        .public_key()
                        .ok_or_else(|| {
                            Error::other("the new root key pair is unusable; try again")
                        })?
                        .to_bytes();
                    Some((blob, kem_pk, root.sign.public_key().to_bytes()))
                }
            };
            let extra: Vec<(&str, &[u8])> = match &root {
                Some((blob, kem_pk, sign_pk)) => vec![
                    ("root_keys", &blob[..]),
                    ("root_kem_pk", &kem_pk[..]),
                    ("root_sign_pk", &sign_pk[..]),
                ],
                None => Vec::new(),
            };
            let root_blob = root.as_ref().map(|(b, _, _)| b.clone());
            let keys = Keys::derive(master, &vault_id, root_blob.as_deref())?;
            let policy_tag = keys.policy().tag(&policy_message(&[], &[], &[]));
            let store = Store::create_at(
                &paths.db,
                paths.database.as_ref(),
                &NewVault {
                    vault_id: &vault_id,
                    format: if root_blob.is_some() {
                        crypto::v2::FORMAT_VERSION
                    } else {
                        crate::crypto::FORMAT_VERSION
                    },
                    created: &created,
                    policy_tag: &policy_tag,
                    extra_meta: &extra,
                },
                &slot,
            )?;
            let _ = std::fs::remove_file(&marker);
            let Some(store) = store else { return Ok(None) };
            Ok(Some(Created {
                vault: Vault {
                    store,
                    paths: paths.clone(),
                    slots: vec![slot],
                    unlocked_by: None,
                    kek: None,
                    me: None,
                    crypt: Crypt {
                        vault_id: vault_id.clone(),
                        root_blob,
                        keys: Some(keys),
                    },
                },
                notice,
            }))
        })();
        match built {
            Ok(c) => Ok(c),
            Err(e) => {
                undo.run();
                Err(e)
            }
        }
    }

    /// A write transaction that changes policy (secrets, kinds, scopes,
    /// versions, grants): unlocks, verifies the current policy first (so a
    /// tampered vault is never blessed by resealing it), runs `f`, then
    /// reseals the policy tag in the same transaction.
    fn write<T>(
        &mut self,
        src: &KeySource,
        mut f: impl FnMut(&Tx<'_>, &Crypt) -> Result<T>,
    ) -> Result<T> {
        self.unlock(src)?;
        let Vault {
            store,
            crypt,
            slots,
            ..
        } = self;
        store
            .write(|tx| {
                crypt.check_format(tx)?;
                crypt.settle_manager_grants(tx)?;
                if let Err(e) = crypt.verify_policy(tx) {
                    // A rekey that committed after this process unlocked changed
                    // the master key: the policy does not verify under the old
                    // one, and that is not tampering. Say what happened instead.
                    if !same_slots(&tx.slots()?, slots) {
                        return Err(rekeyed_meanwhile());
                    }
                    return Err(e);
                }
                let out = f(tx, crypt)?;
                crypt.seal_policy(tx)?;
                // Agents with a key receive what this change leaves them, signed
                // (after the rows are tagged: the sync checks what it signs).
                crypt.sync_agents(tx)?;
                Ok(out)
            })
            .inspect(|_| members::raise_owner_mark())
    }

    /// [`Vault::write`] for an operation that checks the rows it reads
    /// itself ([`Crypt::check_row`]), so that in format 2 its cost follows
    /// what it touches: before `f`, only that no row is untagged (so the
    /// tagging after `f` blesses nothing someone else wrote); after `f`,
    /// the rows it changed are tagged. Format 1 is [`Vault::write`].
    fn write_rows<T>(
        &mut self,
        src: &KeySource,
        mut f: impl FnMut(&Tx<'_>, &Crypt) -> Result<T>,
    ) -> Result<T> {
        self.unlock(src)?;
        if !self.crypt.has_row_tags() {
            return self.write(src, f);
        }
        let Vault {
            store,
            crypt,
            slots,
            ..
        } = self;
        store
            .write(|tx| {
                crypt.check_format(tx)?;
                crypt.settle_manager_grants(tx)?;
                let out = crypt
                    .check_all_tagged(tx)
                    .and_then(|()| f(tx, crypt))
                    .map_err(|e| {
                        // A rekey that committed after this process unlocked
                        // changed the row key: not tampering.
                        let rekeyed = e.kind() == crate::error::Kind::Integrity
                            && tx.slots().is_ok_and(|now| !same_slots(&now, slots));
                        if rekeyed {
                            return rekeyed_meanwhile();
                        }
                        e
                    })?;
                crypt.tag_untagged(tx)?;
                crypt.sync_agents(tx)?;
                Ok(out)
            })
            .inspect(|_| members::raise_owner_mark())
    }

    /// [`Vault::write`] for an operation that knows the policy it leaves
    /// behind: `f` returns every secret row and grant after its writes
    /// (sorted as the store lists them), and the tag is sealed from them
    /// instead of reading every row back. Debug builds (every test) read
    /// them back anyway and refuse a difference.
    fn write_resealing<T>(
        &mut self,
        src: &KeySource,
        mut f: impl FnMut(&Tx<'_>, &Crypt) -> Result<(T, policy::Snapshot)>,
    ) -> Result<T> {
        self.unlock(src)?;
        let Vault { store, crypt, .. } = self;
        store.write(|tx| {
            crypt.settle_manager_grants(tx)?;
            crypt.verify_policy(tx)?;
            let (out, after) = f(tx, crypt)?;
            #[cfg(debug_assertions)]
            if !crypt.has_row_tags() {
                let stored = policy::policy_message(
                    &tx.policy_rows()?,
                    &tx.all_grants()?,
                    &tx.pins()?,
                );
                if *stored != *policy::policy_message(&after.rows, &after.grants, &after.pins) {
                    return Err(Error::other(
                        "internal error: the policy computed for this change differs from the one written",
                    )
                    .hint("nothing was changed; please report this"));
                }
            }
            crypt.seal_policy_of(tx, &after.rows, &after.grants, &after.pins)?;
            crypt.sync_agents(tx)?;
            Ok(out)
        })
        .inspect(|_| members::raise_owner_mark())
    }

    /// A read transaction (one consistent snapshot, never committed), with
    /// the keys as far as the vault is unlocked.
    fn read<T>(&mut self, f: impl FnOnce(&Tx<'_>, &Crypt) -> Result<T>) -> Result<T> {
        let Vault { store, crypt, .. } = self;
        store.read(|tx| f(tx, crypt))
    }

    /// Lower durability for bookkeeping writes on the hot path (`vault run`'s
    /// delivery record): survives a crash of vault, maybe not of the OS.
    pub fn relax_durability(&self) -> Result<()> {
        Ok(self.store.relax_durability()?)
    }

    /// `vault run --no-masking`: exec is next. It closes the descriptors
    /// (CLOEXEC) and drops the locks, so skip SQLite's orderly close (a
    /// checkpoint attempt and WAL housekeeping) on the hot path. The keys
    /// are still zeroed on drop.
    pub fn close_for_exec(self) {
        let Vault { store, .. } = self;
        std::mem::forget(store);
    }

    /// A consistent, still-encrypted copy of the database at `to`.
    pub fn backup_to(&self, to: &std::path::Path) -> Result<()> {
        Ok(self.store.backup_to(to)?)
    }
}

/// A freshly created vault and the line that tells the user where it is.
pub struct Created {
    pub vault: Vault,
    pub notice: String,
}

/// A key slot that the passphrase `pass` opens (Argon2id, RFC 9106 parameters).
fn passphrase_slot(master: &MasterKey, vault_id: &[u8], pass: &[u8]) -> Result<SlotRow> {
    if pass.is_empty() {
        return Err(Error::invalid("the passphrase is empty").hint("choose a non-empty passphrase"));
    }
    let params = Argon2Params::RFC9106_LOW_MEMORY;
    let mut salt = vec![0u8; crypto::SALT_LEN];
    crypto::random_bytes(&mut salt)?;
    let kek = crypto::passphrase_kek(pass, params, &salt)?;
    let w = crypto::wrap_master(master, &kek, vault_id, "passphrase")?;
    Ok(SlotRow {
        id: 0,
        kind: "passphrase".into(),
        kdf: Some(params.encode()),
        salt: Some(salt),
        nonce: w.nonce,
        wrapped: w.wrapped,
        check: w.check,
    })
}

/// The key slot that `key` opens.
fn keyfile_slot(master: &MasterKey, key: &KeyFileKey, vault_id: &[u8]) -> Result<SlotRow> {
    let w = crypto::wrap_master(master, &key.kek(), vault_id, "keyfile")?;
    Ok(SlotRow {
        id: 0,
        kind: "keyfile".into(),
        kdf: None,
        salt: None,
        nonce: w.nonce,
        wrapped: w.wrapped,
        check: w.check,
    })
}

/// Load the key file, or create it (0600, atomically) if missing; true when
/// this call created it.
fn load_or_create_key_file(path: &std::path::Path) -> Result<(KeyFileKey, bool)> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            paths::ensure_private_dir(parent)?;
        }
    }
    // lstat, not stat: a dangling link planted at the name "does not exist"
    // for stat, and must be refused below, not written through.
    if !paths::something_at(path) {
        let key = KeyFileKey::generate()?;
        if paths::publish_new_file(path, key.to_text().as_bytes())? {
            return Ok((key, true));
        }
    }
    // A key file left by an interrupted first use, or one VAULT_KEY_FILE names.
    let text = paths::read_key_file(path)?;
    Ok((
        KeyFileKey::parse(&text, &path.display().to_string())?,
        false,
    ))
}

/// A write found the key slots changed since this process unlocked: a rekey
/// committed meanwhile, so the tags no longer verify under the old key, and
/// that is not tampering.
fn rekeyed_meanwhile() -> Error {
    Error::conflict("the vault was rekeyed while this command ran; nothing was changed")
        .hint("run the command again (with the new key file or passphrase)")
}

/// Whether two reads of the key slots are the same slots with the same wraps.
fn same_slots(a: &[SlotRow], b: &[SlotRow]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.id == y.id && x.wrapped == y.wrapped && x.nonce == y.nonce)
}
