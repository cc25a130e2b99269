//! Unlocking: where key material comes from (`KeySource`: `VAULT_KEY`, a
//! key file, `VAULT_PASSPHRASE`, `--passphrase-file`, or asking), opening a
//! key slot with it, and the rule for new passphrases. The domain never
//! reads a terminal itself: asking goes through [`Callbacks`], which the
//! command line implements (as rage's `Callbacks` do).

use std::path::PathBuf;

use zeroize::Zeroizing;

use super::{Keys, Vault};
use crate::crypto::{self, Argon2Params, KeyFileKey, MasterKey};
use crate::error::{Error, Result};
use crate::paths;
use crate::store::SlotRow;

/// What the domain asks of whoever runs it: a passphrase, a new one, or to
/// show a message. The command line answers at the terminal; tests and
/// non-interactive callers use [`NoCallbacks`]. The vault layer never
/// reads a terminal or prints by itself.
pub trait Callbacks: Sync {
    /// A passphrase to unlock with (one line, hidden); `Ok(None)` when
    /// nobody can be asked.
    fn request_passphrase(&self, prompt: &str) -> Result<Option<Zeroizing<String>>>;
    /// A new passphrase, asked twice; `check` refuses a weak one before it
    /// is asked again. `Ok(None)` when nobody can be asked.
    fn request_new_passphrase(
        &self,
        check: &dyn Fn(&str) -> Result<()>,
    ) -> Result<Option<Zeroizing<String>>>;
    /// Tell the user something that is not the command's output (a notice
    /// or a warning line).
    fn display_message(&self, message: &str);
}

/// Callbacks that never ask and show nothing.
#[cfg(test)]
pub struct NoCallbacks;

#[cfg(test)]
impl Callbacks for NoCallbacks {
    fn request_passphrase(&self, _prompt: &str) -> Result<Option<Zeroizing<String>>> {
        Ok(None)
    }
    fn request_new_passphrase(
        &self,
        _check: &dyn Fn(&str) -> Result<()>,
    ) -> Result<Option<Zeroizing<String>>> {
        Ok(None)
    }
    fn display_message(&self, _message: &str) {}
}

/// Where unlock material may come from, gathered once by `main`.
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
    /// Who to ask when none of the above is given.
    pub callbacks: &'static dyn Callbacks,
}

impl KeySource {
    pub fn from_env(
        passphrase_file: Option<PathBuf>,
        callbacks: &'static dyn Callbacks,
    ) -> KeySource {
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
            callbacks,
        }
    }

    /// The error for an unlock variable that is not text, if there is one.
    pub(super) fn check_readable(&self) -> Result<()> {
        match self.unreadable {
            Some(n) => Err(
                Error::locked(format!("{n} is set but is not valid UTF-8 text"))
                    .hint(format!("set {n} to the exact text (or unset it)")),
            ),
            None => Ok(()),
        }
    }

    /// A passphrase given without a prompt (`--passphrase-file` wins over the variable).
    pub(super) fn given_passphrase(&self) -> Result<Option<Zeroizing<String>>> {
        if let Some(f) = &self.passphrase_file {
            return read_passphrase_file(f, true).map(Some);
        }
        Ok(self.passphrase.clone())
    }
}

/// A passphrase from a file, without one trailing line break. Not text:
/// exit 5 when it is to unlock (`locked`), else exit 7 (a new passphrase).
pub fn read_passphrase_file(f: &std::path::Path, locked: bool) -> Result<Zeroizing<String>> {
    let bytes =
        Zeroizing::new(std::fs::read(f).map_err(|e| Error::io("read the passphrase file", f, e))?);
    let mut text = Zeroizing::new(String::from_utf8(bytes.to_vec()).map_err(|_| {
        let m = format!("the passphrase file {} is not UTF-8 text", f.display());
        if locked {
            Error::locked(m)
        } else {
            Error::invalid(m)
        }
    })?);
    strip_one_newline(&mut text);
    Ok(text)
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

impl Vault {
    /// Unlock with the first source that applies: `VAULT_KEY`, a given
    /// passphrase (`--passphrase-file`, `VAULT_PASSPHRASE`), the key file,
    /// the key `vault unlock` keeps in the session keyring, or a passphrase
    /// prompt on a terminal. Key material the user gives explicitly always
    /// wins; the kept key only replaces the prompt.
    pub fn unlock(&mut self, src: &KeySource) -> Result<()> {
        self.unlock_from(src, true)
    }

    /// `vault unlock`: unlock without the kept key (asking afresh), and keep
    /// the key-encryption key that opened the slot in the kernel keyring for
    /// `for_how_long`. Exit 1 where there is no kernel keyring, checked
    /// before anything is asked.
    pub fn unlock_and_keep(
        &mut self,
        src: &KeySource,
        for_how_long: std::time::Duration,
    ) -> Result<super::cache::Stored> {
        super::cache::check_available()?;
        self.crypt.keys = None;
        self.unlock_from(src, false)?;
        let (Some(slot), Some(kek)) = (self.unlocked_by, self.kek.as_ref()) else {
            return Err(Error::other(
                "the vault was unlocked by a key that cannot be kept (a key file an interrupted rekey left behind)",
            )
            .hint("run `vault unlock` again"));
        };
        super::cache::store(&self.crypt.vault_id, slot, kek, for_how_long)
    }

    /// Unlock without the key `vault unlock` kept: for changes of what
    /// unlocks the vault (key slots, passphrase, rekey), which need the real
    /// key material, so that an unlocked shell alone cannot lock its owner out.
    pub fn unlock_asking(&mut self, src: &KeySource) -> Result<()> {
        self.unlock_from(src, false)
    }

    /// `vault lock`: remove the key `vault unlock` kept; false when none was kept.
    pub fn lock(&self) -> Result<bool> {
        super::cache::remove(&self.crypt.vault_id)
    }

    fn unlock_from(&mut self, src: &KeySource, use_kept: bool) -> Result<()> {
        if self.crypt.keys.is_some() {
            return Ok(());
        }
        src.check_readable()?;
        let slots = self.slots.clone();
        if slots.is_empty() && self.me.is_none() {
            return Err(Error::integrity(format!(
                "the vault at {} has no key slots: its database was damaged or edited",
                self.paths.location()
            ))
            .hint("restore vault.db from a backup; no key can open a vault without slots"));
        }
        let has = |k: &str| slots.iter().any(|s| s.kind == k);
        let (master, slot_id, kek) = if let Some((m, id)) = self.open_member_slot(&slots)? {
            // Opened with a member's identity: that is the key (owners only).
            (m, id, None)
        } else if let Some(text) = &src.key_text {
            let key = KeyFileKey::parse(text, "VAULT_KEY")?;
            let kek = key.kek();
            let (m, id) = self.open_slots(&slots, "keyfile", &kek, "the key in VAULT_KEY")?;
            (m, id, Some(kek))
        } else if let (true, Some(pass)) = (has("passphrase"), src.given_passphrase()?) {
            let (m, id, kek) = self.open_passphrase(&slots, &pass)?;
            (m, id, Some(kek))
        } else if has("keyfile") && paths::something_at(&self.paths.key_file) {
            let text = paths::read_key_file(&self.paths.key_file)?;
            let key = KeyFileKey::parse(&text, &self.paths.key_file.display().to_string())?;
            let kek = key.kek();
            let what = format!("the key file {}", self.paths.key_file.display());
            match self.open_slots(&slots, "keyfile", &kek, &what) {
                Ok((m, id)) => (m, id, Some(kek)),
                Err(e) if e.kind() == crate::error::Kind::Locked => {
                    let (m, id) = self.recover_pending_key_file(src.callbacks).ok_or(e)?;
                    (m, id, None)
                }
                Err(e) => return Err(e),
            }
        } else if let Some((m, id, kek)) = use_kept.then(|| self.open_kept(&slots)).flatten() {
            (m, id, Some(kek))
        } else if let (true, Some(pass)) = (
            has("passphrase"),
            src.callbacks.request_passphrase("Vault passphrase: ")?,
        ) {
            let (m, id, kek) = self.open_passphrase(&slots, &pass)?;
            (m, id, Some(kek))
        } else if has("passphrase") {
            return Err(Error::locked(
                "this vault is locked by a passphrase and none was given (stdin is not a terminal, so vault cannot ask)",
            )
            .hint("set VAULT_PASSPHRASE or pass --passphrase-file FILE (or run `vault unlock` in this shell first)"));
        } else {
            return Err(Error::locked(format!(
                "no key to unlock the vault: VAULT_KEY is not set and there is no key file at {}",
                self.paths.key_file.display()
            ))
            .hint("set VAULT_KEY or VAULT_KEY_FILE, or restore vault.key from your backup"));
        };
        self.crypt.keys = Some(Keys::derive(
            master,
            &self.crypt.vault_id,
            self.crypt.root_blob.as_deref(),
        )?);
        self.unlocked_by = Some(slot_id);
        self.kek = kek;
        Ok(())
    }

    /// The master key from the key `vault unlock` kept, if this process can
    /// reach one and it still opens its slot (a slot changed by `passwd`,
    /// `rekey` or `keys remove` is not opened: the prompt comes back).
    fn open_kept(&self, slots: &[SlotRow]) -> Option<(MasterKey, i64, crypto::Kek)> {
        let (slot_id, kek) = super::cache::lookup(&self.crypt.vault_id)?;
        let slot = slots.iter().find(|s| s.id == slot_id)?;
        let m =
            crypto::unwrap_master(&kek, &self.crypt.vault_id, &slot.kind, &wrapped(slot)).ok()?;
        Some((m, slot_id, kek))
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
        if self.me.is_some() {
            self.unlock(src)?;
            return Ok(true);
        }
        src.check_readable()?;
        if src.key_text.is_none() && !paths::something_at(&self.paths.key_file) {
            // The key `vault unlock` kept needs no prompt and no Argon2id
            // either (a given passphrase would, and it wins over the kept key).
            if src.given_passphrase()?.is_some() {
                return Ok(false);
            }
            let slots = self.slots.clone();
            let Some((master, id, kek)) = self.open_kept(&slots) else {
                return Ok(false);
            };
            self.crypt.keys = Some(Keys::derive(
                master,
                &self.crypt.vault_id,
                self.crypt.root_blob.as_deref(),
            )?);
            self.unlocked_by = Some(id);
            self.kek = Some(kek);
            return Ok(true);
        }
        let slots = self.slots.clone();
        if !slots.iter().any(|s| s.kind == "keyfile") {
            return Ok(false);
        }
        self.unlock(src)?;
        Ok(true)
    }

    fn open_passphrase(
        &self,
        slots: &[SlotRow],
        pass: &Zeroizing<String>,
    ) -> Result<(MasterKey, i64, crypto::Kek)> {
        let mut damaged = None;
        for slot in slots.iter().filter(|s| s.kind == "passphrase") {
            let params = Argon2Params::decode(slot.kdf.as_deref().unwrap_or(""))?;
            let salt = slot.salt.as_deref().unwrap_or(&[]);
            let kek = crypto::passphrase_kek(pass.as_bytes(), params, salt)?;
            match crypto::unwrap_master(&kek, &self.crypt.vault_id, "passphrase", &wrapped(slot)) {
                Ok(m) => return Ok((m, slot.id, kek)),
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

pub(super) fn wrapped(slot: &SlotRow) -> crypto::WrappedKey {
    crypto::WrappedKey {
        nonce: slot.nonce.clone(),
        wrapped: slot.wrapped.clone(),
        check: slot.check.clone(),
    }
}

pub(super) fn slot_damaged(id: i64) -> Error {
    Error::integrity(format!(
        "key slot {id} matches your key but failed authentication: the slot was damaged or tampered with"
    ))
    .hint("restore vault.db from a backup")
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
pub(super) fn check_new_passphrase(pass: &str, warn: Option<&dyn Callbacks>) -> Result<()> {
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
    if let (Some(cb), true) = (warn, n < GOOD_PASSPHRASE_CHARS) {
        cb.display_message(&format!(
            "warning: a passphrase of {n} characters can be found by an offline search of a copied vault.db; {GOOD_PASSPHRASE_CHARS} or more (several random words) is much safer"
        ));
    }
    Ok(())
}

/// A new passphrase (`init --passphrase`, `keys add --passphrase`,
/// `passwd`): `given` (VAULT_PASSPHRASE, a passphrase file) or asked twice at
/// the terminal; the same strength rule either way.
pub fn new_passphrase(
    given: Option<Zeroizing<String>>,
    callbacks: &dyn Callbacks,
) -> Result<Zeroizing<String>> {
    let pass = match given {
        Some(p) => p,
        None => callbacks
            .request_new_passphrase(&|p| check_new_passphrase(p, None))?
            .ok_or_else(|| {
                Error::locked("no passphrase given and no terminal to ask for one")
                    .hint("set VAULT_PASSPHRASE or pass --passphrase-file FILE")
            })?,
    };
    // A weak one was refused before it was asked again; the warning about
    // a short one comes once, here.
    check_new_passphrase(&pass, Some(callbacks))?;
    Ok(pass)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::paths::Paths;

    /// Answers the passphrase prompt and records what it was asked.
    struct Answer {
        asked: Mutex<Vec<String>>,
    }

    impl Callbacks for Answer {
        fn request_passphrase(&self, prompt: &str) -> Result<Option<Zeroizing<String>>> {
            if let Ok(mut a) = self.asked.lock() {
                a.push(prompt.to_owned());
            }
            Ok(Some(Zeroizing::new("correct horse battery".to_owned())))
        }
        fn request_new_passphrase(
            &self,
            _check: &dyn Fn(&str) -> Result<()>,
        ) -> Result<Option<Zeroizing<String>>> {
            Ok(None)
        }
        fn display_message(&self, _message: &str) {}
    }

    static ANSWER: std::sync::LazyLock<Answer> = std::sync::LazyLock::new(|| Answer {
        asked: Mutex::new(Vec::new()),
    });

    fn source(passphrase: Option<&str>, callbacks: &'static dyn Callbacks) -> KeySource {
        KeySource {
            key_text: None,
            passphrase: passphrase.map(|p| Zeroizing::new(p.to_owned())),
            passphrase_file: None,
            unreadable: None,
            callbacks,
        }
    }

    /// The vault layer reads no terminal: a passphrase it lacks is asked
    /// through the callbacks, and with none to ask it is "locked" (exit 5).
    #[test]
    fn unlock_asks_through_the_callbacks_and_never_the_terminal() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            dir: dir.path().join("v"),
            db: dir.path().join("v/vault.db"),
            key_file: dir.path().join("v/vault.key"),
            key_file_given: false,
            database: None,
        };
        Vault::init(
            &paths,
            &source(Some("correct horse battery"), &NoCallbacks),
            true,
            2,
        )
        .unwrap();
        let mut v = Vault::open(&paths).unwrap();
        let e = v.unlock(&source(None, &NoCallbacks)).unwrap_err();
        assert_eq!(e.exit_code(), 5, "{}", e.message());
        let mut v = Vault::open(&paths).unwrap();
        v.unlock(&source(None, &*ANSWER)).unwrap();
        assert_eq!(*ANSWER.asked.lock().unwrap(), ["Vault passphrase: "]);
    }
}
