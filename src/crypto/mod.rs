//! Key hierarchy and authenticated encryption; no SQL, no I/O besides key files.
//!
//! A vault has one random 256-bit master key. It is stored only wrapped, in key
//! slots: a slot holds the master key sealed with AES-256-GCM under a wrap key
//! derived (HKDF-SHA256) from a key-encryption key (KEK). The KEK is either the
//! 256-bit key from a key file / `VAULT_KEY`, or Argon2id of a passphrase. Each
//! slot also stores a 128-bit key check derived from the KEK under another HKDF
//! label, so a wrong key (check differs: exit 5) is told apart from a damaged
//! slot (check matches, tag fails: exit 6).
//!
//! Values are sealed with AES-256-GCM under the value key
//! HKDF-SHA256(master, salt = vault id, info = "vault/v1/value-key"), a fresh
//! random 96-bit nonce per seal, and associated data binding vault id, secret
//! name and version. docs/FORMAT.md is the byte-level description; the tests at
//! the bottom check its known-answer vectors.

pub mod audit;
pub mod keyfile;
pub mod v2;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

pub use keyfile::KeyFileKey;

/// Version of the on-disk cryptographic format; part of every HKDF label.
pub const FORMAT_VERSION: u32 = 1;
pub const KEY_LEN: usize = 32;
pub const NONCE_LEN: usize = 12;
pub const CHECK_LEN: usize = 16;
pub const VAULT_ID_LEN: usize = 16;
pub const SALT_LEN: usize = 16;

const LABEL_VALUE_KEY: &[u8] = b"vault/v1/value-key";
const LABEL_POLICY_KEY: &[u8] = b"vault/v1/policy-key";
const LABEL_SLOT_WRAP: &[u8] = b"vault/v1/slot-wrap";
const LABEL_SLOT_CHECK: &[u8] = b"vault/v1/slot-check";
const AAD_VALUE: &[u8] = b"vault/v1/value\0";
const AAD_ENV_VALUE: &[u8] = b"vault/v1/env-value\0";
const AAD_SLOT: &[u8] = b"vault/v1/slot\0";

/// Fill `buf` from the operating system's CSPRNG.
pub fn random_bytes(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf)
        .map_err(|e| Error::other(format!("the system random number generator failed: {e}")))
}

/// The vault's master key. Zeroed on drop, never printed.
pub struct MasterKey(Zeroizing<[u8; KEY_LEN]>);

impl MasterKey {
    pub fn generate() -> Result<MasterKey> {
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        random_bytes(&mut k[..])?;
        Ok(MasterKey(k))
    }
    #[cfg(test)]
    pub fn from_bytes(b: [u8; KEY_LEN]) -> MasterKey {
        MasterKey(Zeroizing::new(b))
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// A key-encryption key: what a key file holds, or Argon2id of a passphrase.
pub struct Kek(Zeroizing<[u8; KEY_LEN]>);

impl Kek {
    pub fn from_bytes(b: Zeroizing<[u8; KEY_LEN]>) -> Kek {
        Kek(b)
    }

    /// The key itself, for `vault unlock` to keep in the kernel keyring.
    pub fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

/// AES-GCM's 96-bit nonce from stored bytes; `None` when the length is wrong.
fn gcm_nonce(bytes: &[u8]) -> Option<aes_gcm::aead::Nonce<Aes256Gcm>> {
    aes_gcm::aead::Nonce::<Aes256Gcm>::try_from(bytes).ok()
}

fn hkdf32(ikm: &[u8], salt: &[u8], info: &[u8]) -> Zeroizing<[u8; KEY_LEN]> {
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    // HKDF-Expand of 32 bytes from SHA-256 cannot fail (limit is 255*32).
    let _ = Hkdf::<Sha256>::new(Some(salt), ikm).expand(info, &mut out[..]);
    out
}

/// Argon2id cost parameters, stored with each passphrase slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Argon2Params {
    /// RFC 9106 §4, second recommended option: 64 MiB, 3 passes, 4 lanes.
    pub const RFC9106_LOW_MEMORY: Argon2Params = Argon2Params {
        m_kib: 64 * 1024,
        t: 3,
        p: 4,
    };
    /// Largest cost vault will attempt when a slot asks for it (4 GiB, 64 passes, 64 lanes);
    /// anything above is treated as a damaged or hostile slot and refused at once.
    const MAX_M_KIB: u32 = 4 * 1024 * 1024;
    const MAX_T: u32 = 64;
    const MAX_P: u32 = 64;

    /// `m=65536,t=3,p=4`.
    pub fn encode(&self) -> String {
        format!("argon2id:m={},t={},p={}", self.m_kib, self.t, self.p)
    }

    pub fn decode(s: &str) -> Result<Argon2Params> {
        let bad = || {
            Error::integrity("a passphrase key slot has unreadable Argon2id parameters")
            .hint("the vault database is damaged; restore it from a backup or unlock with another key slot")
        };
        let rest = s.strip_prefix("argon2id:").ok_or_else(bad)?;
        let mut m = None;
        let mut t = None;
        let mut p = None;
        for part in rest.split(',') {
            let (k, v) = part.split_once('=').ok_or_else(bad)?;
            let v: u32 = v.parse().map_err(|_| bad())?;
            match k {
                "m" => m = Some(v),
                "t" => t = Some(v),
                "p" => p = Some(v),
                _ => return Err(bad()),
            }
        }
        let params = Argon2Params {
            m_kib: m.ok_or_else(bad)?,
            t: t.ok_or_else(bad)?,
            p: p.ok_or_else(bad)?,
        };
        params.check_bounds()?;
        Ok(params)
    }

    fn check_bounds(&self) -> Result<()> {
        if self.m_kib > Self::MAX_M_KIB
            || self.t > Self::MAX_T
            || self.p > Self::MAX_P
            || self.p == 0
            || self.t == 0
            || self.m_kib < 8 * self.p
        {
            return Err(Error::integrity(format!(
                "a passphrase key slot asks for Argon2id cost {} (limits: m<={}, t<={}, p<={}); refusing to attempt it",
                self.encode(),
                Self::MAX_M_KIB,
                Self::MAX_T,
                Self::MAX_P
            ))
            .hint("the vault database is damaged or was tampered with; restore it from a backup"));
        }
        Ok(())
    }
}

/// Argon2id(passphrase, salt) → KEK.
pub fn passphrase_kek(passphrase: &[u8], params: Argon2Params, salt: &[u8]) -> Result<Kek> {
    params.check_bounds()?;
    // A salt Argon2id refuses (missing, or under 8 bytes) means a damaged slot (exit 6).
    if salt.len() < argon2::MIN_SALT_LEN {
        return Err(Error::integrity("a passphrase key slot has a missing or too short Argon2id salt")
            .hint("the vault database is damaged; restore it from a backup or unlock with another key slot"));
    }
    let p = argon2::Params::new(params.m_kib, params.t, params.p, Some(KEY_LEN))
        .map_err(|e| Error::integrity(format!("invalid Argon2id parameters in a key slot: {e}")))?;
    // Argon2id's memory is allocated here, fallibly: a slot asking for more
    // than this machine (or its ulimit) gives is an error, not an abort.
    let blocks = p.block_count();
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p);
    let mut memory: Vec<argon2::Block> = Vec::new();
    if memory.try_reserve_exact(blocks).is_err() {
        return Err(Error::locked(format!(
            "not enough memory for this vault's passphrase: its key slot asks Argon2id for {} MiB",
            params.m_kib / 1024
        ))
        .hint(
            "free memory or raise the memory limit (ulimit -v), or unlock with a key file slot",
        ));
    }
    memory.resize(blocks, argon2::Block::default());
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    let hashed = a.hash_password_into_with_memory(passphrase, salt, &mut out[..], &mut memory);
    // The blocks hold state derived from the passphrase.
    zeroize::Zeroize::zeroize(&mut memory);
    hashed.map_err(|e| Error::other(format!("Argon2id failed: {e}")))?;
    Ok(Kek(out))
}

/// The stored part of a key slot, as the crypto layer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    pub nonce: Vec<u8>,
    pub wrapped: Vec<u8>,
    pub check: Vec<u8>,
}

/// Why a slot did not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnwrapError {
    /// The key check differs: this is not the key of this slot.
    WrongKey,
    /// The key check matches but the wrapped key fails authentication.
    Damaged,
}

fn slot_aad(vault_id: &[u8], slot_kind: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_SLOT.len() + vault_id.len() + slot_kind.len());
    aad.extend_from_slice(AAD_SLOT);
    aad.extend_from_slice(vault_id);
    aad.extend_from_slice(slot_kind.as_bytes());
    aad
}

fn slot_keys(kek: &Kek, vault_id: &[u8]) -> (Zeroizing<[u8; KEY_LEN]>, [u8; CHECK_LEN]) {
    let wrap = hkdf32(&kek.0[..], vault_id, LABEL_SLOT_WRAP);
    let check_full = hkdf32(&kek.0[..], vault_id, LABEL_SLOT_CHECK);
    let mut check = [0u8; CHECK_LEN];
    check.copy_from_slice(&check_full[..CHECK_LEN]);
    (wrap, check)
}

/// Seal the master key into a slot of kind `slot_kind` (`keyfile` or `passphrase`).
pub fn wrap_master(
    master: &MasterKey,
    kek: &Kek,
    vault_id: &[u8],
    slot_kind: &str,
) -> Result<WrappedKey> {
    let mut nonce = [0u8; NONCE_LEN];
    random_bytes(&mut nonce)?;
    wrap_master_with_nonce(master, kek, vault_id, slot_kind, nonce)
}

fn wrap_master_with_nonce(
    master: &MasterKey,
    kek: &Kek,
    vault_id: &[u8],
    slot_kind: &str,
    nonce: [u8; NONCE_LEN],
) -> Result<WrappedKey> {
    let (wrap, check) = slot_keys(kek, vault_id);
    let cipher =
        Aes256Gcm::new_from_slice(&wrap[..]).map_err(|_| Error::other("bad wrap key length"))?;
    let aad = slot_aad(vault_id, slot_kind);
    let wrapped = cipher
        .encrypt(
            &aes_gcm::aead::Nonce::<Aes256Gcm>::from(nonce),
            Payload {
                msg: &master.0[..],
                aad: &aad,
            },
        )
        .map_err(|_| Error::other("AES-GCM failed to wrap the master key"))?;
    Ok(WrappedKey {
        nonce: nonce.to_vec(),
        wrapped,
        check: check.to_vec(),
    })
}

/// Open a slot with a candidate KEK.
pub fn unwrap_master(
    kek: &Kek,
    vault_id: &[u8],
    slot_kind: &str,
    slot: &WrappedKey,
) -> Result<MasterKey, UnwrapError> {
    let (wrap, check) = slot_keys(kek, vault_id);
    if !ct_eq(&check, &slot.check) {
        return Err(UnwrapError::WrongKey);
    }
    let nonce = gcm_nonce(&slot.nonce).ok_or(UnwrapError::Damaged)?;
    let cipher = Aes256Gcm::new_from_slice(&wrap[..]).map_err(|_| UnwrapError::Damaged)?;
    let aad = slot_aad(vault_id, slot_kind);
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &slot.wrapped,
                    aad: &aad,
                },
            )
            .map_err(|_| UnwrapError::Damaged)?,
    );
    if plain.len() != KEY_LEN {
        return Err(UnwrapError::Damaged);
    }
    let mut k = Zeroizing::new([0u8; KEY_LEN]);
    k.copy_from_slice(&plain);
    Ok(MasterKey(k))
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Associated data of a value: binds vault, name and version.
pub fn value_aad(vault_id: &[u8], name: &str, version: u64) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_VALUE.len() + vault_id.len() + 4 + name.len() + 8);
    aad.extend_from_slice(AAD_VALUE);
    aad.extend_from_slice(vault_id);
    aad.extend_from_slice(&(name.len() as u32).to_be_bytes());
    aad.extend_from_slice(name.as_bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

/// Associated data of a value of environment `env`. The shared row (env
/// "") keeps [`value_aad`] byte for byte, so values sealed before
/// environments existed still open; any other environment has its own
/// label and binds the environment too, so a ciphertext moved between
/// environments (or to or from the shared row) fails to open.
pub fn value_aad_env(vault_id: &[u8], env: &str, name: &str, version: u64) -> Vec<u8> {
    if env.is_empty() {
        return value_aad(vault_id, name, version);
    }
    let mut aad =
        Vec::with_capacity(AAD_ENV_VALUE.len() + vault_id.len() + 8 + env.len() + name.len() + 8);
    aad.extend_from_slice(AAD_ENV_VALUE);
    aad.extend_from_slice(vault_id);
    aad.extend_from_slice(&(env.len() as u32).to_be_bytes());
    aad.extend_from_slice(env.as_bytes());
    aad.extend_from_slice(&(name.len() as u32).to_be_bytes());
    aad.extend_from_slice(name.as_bytes());
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

/// A sealed value as stored: nonce and ciphertext-with-tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// The per-vault key that seals values. Holds the expanded AES key (zeroed on drop).
pub struct ValueKey {
    cipher: Aes256Gcm,
    vault_id: Vec<u8>,
    nonces: std::cell::RefCell<NoncePool>,
}

/// Random nonces drawn from the OS CSPRNG a few hundred at a time: an import
/// of 10,000 values otherwise makes 10,000 getrandom calls. Every nonce is
/// still fresh OS randomness, used once.
struct NoncePool {
    buf: Vec<u8>,
    used: usize,
}

impl NoncePool {
    const NONCES: usize = 256;

    fn new() -> NoncePool {
        NoncePool {
            buf: Vec::new(),
            used: 0,
        }
    }

    fn next(&mut self) -> Result<[u8; NONCE_LEN]> {
        if self.used + NONCE_LEN > self.buf.len() {
            self.buf.resize(NONCE_LEN * Self::NONCES, 0);
            random_bytes(&mut self.buf)?;
            self.used = 0;
        }
        let mut nonce = [0u8; NONCE_LEN];
        if let Some(src) = self.buf.get(self.used..self.used + NONCE_LEN) {
            nonce.copy_from_slice(src);
        }
        // Never hand out the same bytes twice.
        if let Some(src) = self.buf.get_mut(self.used..self.used + NONCE_LEN) {
            src.fill(0);
        }
        self.used += NONCE_LEN;
        Ok(nonce)
    }
}

impl ValueKey {
    pub fn derive(master: &MasterKey, vault_id: &[u8]) -> Result<ValueKey> {
        let k = hkdf32(&master.0[..], vault_id, LABEL_VALUE_KEY);
        let cipher =
            Aes256Gcm::new_from_slice(&k[..]).map_err(|_| Error::other("bad value key length"))?;
        Ok(ValueKey {
            cipher,
            vault_id: vault_id.to_vec(),
            nonces: std::cell::RefCell::new(NoncePool::new()),
        })
    }

    #[cfg(test)]
    pub fn seal(&self, name: &str, version: u64, plaintext: &[u8]) -> Result<Sealed> {
        self.seal_in("", name, version, plaintext)
    }

    /// Seal `version` of `name` in environment `env` ("" = shared).
    pub fn seal_in(&self, env: &str, name: &str, version: u64, plaintext: &[u8]) -> Result<Sealed> {
        let nonce = self.nonces.borrow_mut().next()?;
        self.seal_env_with_nonce(env, name, version, plaintext, nonce)
    }

    #[cfg(test)]
    fn seal_with_nonce(
        &self,
        name: &str,
        version: u64,
        plaintext: &[u8],
        nonce: [u8; NONCE_LEN],
    ) -> Result<Sealed> {
        self.seal_env_with_nonce("", name, version, plaintext, nonce)
    }

    fn seal_env_with_nonce(
        &self,
        env: &str,
        name: &str,
        version: u64,
        plaintext: &[u8],
        nonce: [u8; NONCE_LEN],
    ) -> Result<Sealed> {
        let aad = value_aad_env(&self.vault_id, env, name, version);
        let ciphertext = self
            .cipher
            .encrypt(
                &aes_gcm::aead::Nonce::<Aes256Gcm>::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| Error::other(format!("AES-GCM failed to seal {name}")))?;
        Ok(Sealed {
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Open a value; any failure is an integrity error naming the secret and version.
    #[cfg(test)]
    pub fn open(
        &self,
        name: &str,
        version: u64,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        self.open_in("", name, version, nonce, ciphertext)
    }

    /// Open `version` of `name` in environment `env` ("" = shared).
    pub fn open_in(
        &self,
        env: &str,
        name: &str,
        version: u64,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let fail = || {
            let place = if env.is_empty() {
                String::new()
            } else {
                format!(" in environment {env}")
            };
            Error::integrity(format!(
                "{name}{place} (version {version}) failed authentication: its stored ciphertext was changed, damaged, or copied from another secret or environment"
            ))
            .hint("restore the vault database from a backup, or set the secret again with `vault set`")
        };
        let nonce = gcm_nonce(nonce).ok_or_else(fail)?;
        let aad = value_aad_env(&self.vault_id, env, name, version);
        self.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| fail())
    }
}

/// HMAC-SHA256 of `message` under `key`: the policy tag (format 1) and the
/// row tags (format 2). HMAC accepts keys of any length, so 32 bytes cannot
/// fail.
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        mac.update(message);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// HMAC-SHA256 key that authenticates policy rows (scope, kind, grants, current version).
pub struct PolicyKey(Zeroizing<[u8; KEY_LEN]>);

impl PolicyKey {
    pub fn derive(master: &MasterKey, vault_id: &[u8]) -> PolicyKey {
        PolicyKey(hkdf32(&master.0[..], vault_id, LABEL_POLICY_KEY))
    }

    pub fn tag(&self, message: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.0[..], message)
    }

    pub fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        ct_eq(&self.tag(message), tag)
    }
}

/// Format 2's row key (docs/FORMAT.md §19): one HMAC tag per secret row,
/// grant and agent row, so a command checks only the rows it reads.
pub struct RowKey {
    /// HMAC-SHA256 keyed with the row key, cloned for each tag: keying
    /// hashes two blocks, a third of a row's tag, and an import tags 10,000
    /// rows. Its two SHA-256 states are as secret as the key; sha2's
    /// `zeroize` feature wipes every copy on drop.
    keyed: Hmac<Sha256>,
}

/// HKDF info of the row key (format 2).
pub const LABEL_ROW_KEY: &[u8] = b"vault/v2/row-key";

impl RowKey {
    pub fn derive(master: &MasterKey, vault_id: &[u8]) -> RowKey {
        let key = hkdf32(&master.0[..], vault_id, LABEL_ROW_KEY);
        #[allow(clippy::expect_used, reason = "HMAC takes a key of any length")]
        let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(&key[..])
            .expect("HMAC takes a key of any length");
        RowKey { keyed }
    }

    pub fn tag(&self, message: &[u8]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(message);
        let mut out = [0u8; 32];
        out.copy_from_slice(&mac.finalize().into_bytes());
        out
    }

    pub fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        ct_eq(&self.tag(message), tag)
    }
}

#[cfg(test)]
mod tests;
