//! Format 2 primitives: per-version data keys, context-bound wraps, HPKE
//! keyring wraps, the root-keys blob, signed per-agent statements, and the
//! text forms an agent key, a root fingerprint and an enrollment request take.
//!
//! This module owns bytes and keys only: it never reads the database, a file
//! or the environment, and it never decides policy (who receives what). The
//! layouts are in docs/FORMAT.md §10–§17 with known-answer vectors computed by
//! docs/kat_v2.py; `v2/tests.rs` checks them.
//!
//! Every wrap binds vault id, environment (empty for a shared value), name,
//! version and, for agent wraps, the agent id and keyring epoch: a wrap copied
//! onto another row fails authentication (exit 6), it never opens to the wrong
//! key. Failures are typed so that "not mine" (another agent's or another
//! vault's key: exit 5) stays apart from "mine but broken" (exit 6).
// Wired in by the agent-keys work (issue 12): the vault and store layers call
// these once format 2 is stored. Until then only the tests use them.
#![allow(dead_code)]

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use hpke::{Deserializable, Serializable};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{gcm_nonce, hkdf32, random_bytes, MasterKey, Sealed, KEY_LEN, NONCE_LEN, VAULT_ID_LEN};
use crate::error::{Error, Result};

/// The HPKE suite of every keyring wrap: RFC 9180 base mode,
/// DHKEM(X25519, HKDF-SHA256) 0x0020, HKDF-SHA256 0x0001, AES-256-GCM 0x0002.
type Kem = hpke::kem::X25519HkdfSha256;
type Kdf = hpke::kdf::HkdfSha256;
type HpkeAead = hpke::aead::AesGcm256;

pub const FORMAT_VERSION: u32 = 2;
/// A symmetric wrap: nonce(12) || AES-GCM of a 32-byte key (32 + 16).
pub const SYM_WRAP_LEN: usize = NONCE_LEN + KEY_LEN + 16;
/// An HPKE wrap: enc(32) || ciphertext of a 32-byte key (32 + 16).
pub const HPKE_WRAP_LEN: usize = 32 + KEY_LEN + 16;
/// root_kem_sk || root_sign_seed || RWK.
const ROOT_KEYS_LEN: usize = 3 * KEY_LEN;
pub const SIGNATURE_LEN: usize = 64;

const AAD_VALUE: &[u8] = b"vault/v2/value\0";
const AAD_DEK_ROOT: &[u8] = b"vault/v2/dek-root\0";
const AAD_DEK_AGENT: &[u8] = b"vault/v2/dek\0";
const INFO_KEYRING: &[u8] = b"vault/v2/keyring\0";
const LABEL_ROOT_WRAP: &[u8] = b"vault/v2/root-wrap";
const AAD_ROOT_KEYS: &[u8] = b"vault/v2/root-keys\0";
const STATEMENT_PREFIX: &[u8] = b"vault/v2/statement\0";
const ENROLL_SIG_PREFIX: &[u8] = b"vault/v2/enroll\0";

pub const AGENT_KEY_PREFIX: &str = "vault-agent-v1:";
pub const ENROLL_PREFIX: &str = "vault-enroll-v1:";
pub const ROOT_FPR_PREFIX: &str = "vault-root:SHA256:";
/// vault_id(16) || u64be(agent_id) || kem_sk(32) || sign_seed(32) || root_sign_pk(32).
const AGENT_KEY_LEN: usize = VAULT_ID_LEN + 8 + 3 * KEY_LEN;
/// Longer pasted text is refused before it is decoded.
const MAX_TEXT_LEN: usize = 4096;

/// `u32be(len b) || b`: a length-prefixed field, so that no two different
/// field sequences encode to the same bytes.
pub fn field(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_be_bytes());
    out.extend_from_slice(b);
}

// ------------------------------------------------------------------ errors

/// Why a key did not open something. The caller turns it into an [`Error`]
/// with names from its own context (agent, secret, row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// The key is not the one this was made for (another agent, a revoked
    /// key, another vault): exit 5.
    NotMine,
    /// The key is the right one but the bytes fail authentication or have
    /// the wrong shape (tampering, corruption, a row moved elsewhere): exit 6.
    Damaged,
}

impl OpenError {
    /// The error for `what` (e.g. "the keyring wrap of agent support-bot"), never a value.
    pub fn into_error(self, what: &str) -> Error {
        match self {
            OpenError::NotMine => Error::locked(format!("{what} was not made for this key"))
                .hint("use the key this vault gave the agent (`vault agent approve` or `vault agent token`), or enroll it again"),
            OpenError::Damaged => Error::integrity(format!(
                "{what} failed authentication: it was changed, damaged, or copied from another row"
            ))
            .hint("restore the vault database from a backup, or ask an owner to re-approve the agent"),
        }
    }
}

fn aes(key: &[u8; KEY_LEN]) -> Result<Aes256Gcm> {
    Aes256Gcm::new_from_slice(key).map_err(|_| Error::other("bad AES-256 key length"))
}

fn fresh_nonce() -> Result<[u8; NONCE_LEN]> {
    let mut n = [0u8; NONCE_LEN];
    random_bytes(&mut n)?;
    Ok(n)
}

/// nonce || AES-GCM(key, nonce, aad, msg).
fn sym_seal(
    key: &[u8; KEY_LEN],
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    msg: &[u8],
) -> Result<Vec<u8>> {
    let ct = aes(key)?
        .encrypt(
            &aes_gcm::aead::Nonce::<Aes256Gcm>::from(nonce),
            Payload { msg, aad },
        )
        .map_err(|_| Error::other("AES-GCM failed to seal"))?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Open `nonce || ct` made by [`sym_seal`]; every failure is [`OpenError::Damaged`]
/// (a symmetric key that reached here is known to be the right one).
fn sym_open(key: &[u8; KEY_LEN], aad: &[u8], blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| OpenError::Damaged)?;
    sym_open_with(&cipher, aad, blob)
}

/// [`sym_open`] with the key's AES schedule already expanded.
fn sym_open_with(
    cipher: &Aes256Gcm,
    aad: &[u8],
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let (nonce, ct) = blob.split_at_checked(NONCE_LEN).ok_or(OpenError::Damaged)?;
    let nonce = gcm_nonce(nonce).ok_or(OpenError::Damaged)?;
    cipher
        .decrypt(&nonce, Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| OpenError::Damaged)
}

fn key32(bytes: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>, OpenError> {
    let mut k = Zeroizing::new([0u8; KEY_LEN]);
    if bytes.len() != KEY_LEN {
        return Err(OpenError::Damaged);
    }
    k.copy_from_slice(bytes);
    Ok(k)
}

macro_rules! secret_key_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name(Zeroizing<[u8; KEY_LEN]>);

        impl $name {
            pub fn generate() -> Result<$name> {
                let mut k = Zeroizing::new([0u8; KEY_LEN]);
                random_bytes(&mut k[..])?;
                Ok($name(k))
            }
            #[cfg(test)]
            pub fn from_bytes(b: [u8; KEY_LEN]) -> $name {
                $name(Zeroizing::new(b))
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret_key_type!(
    /// DEK: the random key of one stored version of one secret.
    DataKey
);
secret_key_type!(
    /// RWK: the root wrapping key; wraps every DEK for the owners.
    RootWrapKey
);
secret_key_type!(
    /// AK[a, e]: agent a's keyring key in keyring epoch e; wraps the DEKs a receives.
    KeyringKey
);

// ------------------------------------------------------------------ bindings

/// Where a DEK or a value belongs: vault, environment ("" for a shared
/// value), secret name and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot<'a> {
    pub vault_id: &'a [u8],
    pub env: &'a str,
    pub name: &'a str,
    pub version: u64,
}

impl Slot<'_> {
    fn bind(&self, label: &[u8], extra: &[u64]) -> Vec<u8> {
        let mut aad = Vec::with_capacity(
            label.len()
                + self.vault_id.len()
                + 8
                + self.env.len()
                + self.name.len()
                + 8 * (1 + extra.len()),
        );
        aad.extend_from_slice(label);
        aad.extend_from_slice(self.vault_id);
        field(&mut aad, self.env.as_bytes());
        field(&mut aad, self.name.as_bytes());
        aad.extend_from_slice(&self.version.to_be_bytes());
        for x in extra {
            aad.extend_from_slice(&x.to_be_bytes());
        }
        aad
    }
    /// `"vault/v2/value\0" || vault_id || field(env) || field(name) || u64be(version)`.
    pub fn value_aad(&self) -> Vec<u8> {
        self.bind(AAD_VALUE, &[])
    }
    /// `"vault/v2/dek-root\0" || vault_id || field(env) || field(name) || u64be(version)`.
    pub fn root_wrap_aad(&self) -> Vec<u8> {
        self.bind(AAD_DEK_ROOT, &[])
    }
    /// The root wrap's context followed by `u64be(agent_id) || u64be(epoch)`, under "vault/v2/dek\0".
    pub fn agent_wrap_aad(&self, agent_id: u64, epoch: u64) -> Vec<u8> {
        self.bind(AAD_DEK_AGENT, &[agent_id, epoch])
    }
}

impl DataKey {
    /// Seal one version's value; `Sealed` goes to `versions.nonce` / `.ciphertext`.
    pub fn seal_value(&self, slot: &Slot, plaintext: &[u8]) -> Result<Sealed> {
        self.seal_value_with_nonce(slot, plaintext, fresh_nonce()?)
    }

    pub(crate) fn seal_value_with_nonce(
        &self,
        slot: &Slot,
        plaintext: &[u8],
        nonce: [u8; NONCE_LEN],
    ) -> Result<Sealed> {
        let ciphertext = aes(&self.0)?
            .encrypt(
                &aes_gcm::aead::Nonce::<Aes256Gcm>::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &slot.value_aad(),
                },
            )
            .map_err(|_| Error::other(format!("AES-GCM failed to seal {}", slot.name)))?;
        Ok(Sealed {
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Open a value sealed under this DEK. The DEK itself was authenticated
    /// when it was unwrapped, so any failure here is damage.
    pub fn open_value(
        &self,
        slot: &Slot,
        nonce: &[u8],
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let nonce = gcm_nonce(nonce).ok_or(OpenError::Damaged)?;
        let cipher = Aes256Gcm::new_from_slice(&self.0[..]).map_err(|_| OpenError::Damaged)?;
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: &slot.value_aad(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| OpenError::Damaged)
    }
}

impl RootWrapKey {
    /// Root wrap (sym) of a DEK: 60 bytes.
    pub fn wrap(&self, slot: &Slot, dek: &DataKey) -> Result<Vec<u8>> {
        self.wrap_with_nonce(slot, dek, fresh_nonce()?)
    }
    pub(crate) fn wrap_with_nonce(
        &self,
        slot: &Slot,
        dek: &DataKey,
        nonce: [u8; NONCE_LEN],
    ) -> Result<Vec<u8>> {
        sym_seal(&self.0, nonce, &slot.root_wrap_aad(), &dek.0[..])
    }
    pub fn unwrap(&self, slot: &Slot, wrapped: &[u8]) -> Result<DataKey, OpenError> {
        let k = sym_open(&self.0, &slot.root_wrap_aad(), wrapped)?;
        Ok(DataKey(key32(&k)?))
    }
}

/// Seals new format-2 values one after another (an import's 10,000, a
/// `set`'s one): a fresh data key per value, its value sealed and the key
/// wrapped with RWK, byte for byte as [`DataKey::seal_value`] and
/// [`RootWrapKey::wrap`] do, with two costs paid once instead of per value:
/// RWK's AES key schedule, and the system call for randomness (the data key
/// and two nonces of 64 values are drawn at a time; an import of 10,000
/// values made 30,000 getrandom calls). Every byte is still fresh OS
/// randomness, used once and zeroed in the pool as it is taken; the pool and
/// the expanded RWK are zeroed on drop.
pub struct ValueSealer {
    rwk: Aes256Gcm,
    random: Zeroizing<Vec<u8>>,
    used: usize,
}

/// Opens root wraps one after another (a run's 100 values), as
/// [`RootWrapKey::unwrap`] does byte for byte, with RWK's AES key schedule
/// expanded once instead of per value; zeroed on drop.
pub struct WrapOpener(Aes256Gcm);

impl WrapOpener {
    pub fn unwrap(&self, slot: &Slot, wrapped: &[u8]) -> Result<DataKey, OpenError> {
        let k = sym_open_with(&self.0, &slot.root_wrap_aad(), wrapped)?;
        Ok(DataKey(key32(&k)?))
    }
}

impl RootWrapKey {
    pub fn opener(&self) -> Result<WrapOpener> {
        Ok(WrapOpener(aes(&self.0)?))
    }

    pub fn sealer(&self) -> Result<ValueSealer> {
        Ok(ValueSealer {
            rwk: aes(&self.0)?,
            random: Zeroizing::new(Vec::new()),
            used: 0,
        })
    }
}

impl ValueSealer {
    /// A data key and two nonces.
    const PER_VALUE: usize = KEY_LEN + 2 * NONCE_LEN;
    const VALUES: usize = 64;

    fn take(&mut self, out: &mut [u8]) -> Result<()> {
        if self.used + out.len() > self.random.len() {
            self.random.resize(Self::PER_VALUE * Self::VALUES, 0);
            random_bytes(&mut self.random[..])?;
            self.used = 0;
        }
        let src = self
            .random
            .get_mut(self.used..self.used + out.len())
            .ok_or_else(|| Error::other("the random pool is too small"))?;
        out.copy_from_slice(src);
        // Never hand out the same bytes twice.
        src.fill(0);
        self.used += out.len();
        Ok(())
    }

    /// A fresh data key's seal of `plaintext` (for `versions.nonce` and
    /// `.ciphertext`) and the key's root wrap (60 bytes), for `slot`.
    pub fn seal(&mut self, slot: &Slot, plaintext: &[u8]) -> Result<(Sealed, Vec<u8>)> {
        let mut dek = DataKey(Zeroizing::new([0u8; KEY_LEN]));
        self.take(&mut dek.0[..])?;
        let mut nonce = [0u8; NONCE_LEN];
        self.take(&mut nonce)?;
        let sealed = dek.seal_value_with_nonce(slot, plaintext, nonce)?;
        let mut nonce = [0u8; NONCE_LEN];
        self.take(&mut nonce)?;
        let ct = self
            .rwk
            .encrypt(
                &aes_gcm::aead::Nonce::<Aes256Gcm>::from(nonce),
                Payload {
                    msg: &dek.0[..],
                    aad: &slot.root_wrap_aad(),
                },
            )
            .map_err(|_| Error::other("AES-GCM failed to seal"))?;
        let mut wrap = Vec::with_capacity(NONCE_LEN + ct.len());
        wrap.extend_from_slice(&nonce);
        wrap.extend_from_slice(&ct);
        Ok((sealed, wrap))
    }

    /// Use `bytes` as the next randomness (known-answer tests).
    #[cfg(test)]
    pub(crate) fn with_random(mut self, bytes: &[u8]) -> ValueSealer {
        self.random = Zeroizing::new(bytes.to_vec());
        self.used = 0;
        self
    }
}

impl KeyringKey {
    /// Agent wrap of a DEK under AK[agent_id, epoch]: 60 bytes.
    pub fn wrap(&self, slot: &Slot, agent_id: u64, epoch: u64, dek: &DataKey) -> Result<Vec<u8>> {
        self.wrap_with_nonce(slot, agent_id, epoch, dek, fresh_nonce()?)
    }
    pub(crate) fn wrap_with_nonce(
        &self,
        slot: &Slot,
        agent_id: u64,
        epoch: u64,
        dek: &DataKey,
        nonce: [u8; NONCE_LEN],
    ) -> Result<Vec<u8>> {
        sym_seal(
            &self.0,
            nonce,
            &slot.agent_wrap_aad(agent_id, epoch),
            &dek.0[..],
        )
    }
    /// Open an agent wrap. AK came out of an authenticated keyring wrap, so
    /// a failure means the wrap row was changed or moved: damage.
    pub fn unwrap(
        &self,
        slot: &Slot,
        agent_id: u64,
        epoch: u64,
        wrapped: &[u8],
    ) -> Result<DataKey, OpenError> {
        let k = sym_open(&self.0, &slot.agent_wrap_aad(agent_id, epoch), wrapped)?;
        Ok(DataKey(key32(&k)?))
    }
}

// ------------------------------------------------------------------ X25519 / HPKE

/// The RFC 7748 points of small order on Curve25519 and its twist, as
/// little-endian u-coordinates with the unused top bit cleared (libsodium's
/// list; X25519 ignores that bit, so `b[31] & 0x7f` is compared). A shared
/// secret with any of them is all zeros, whatever the private key.
const SMALL_ORDER: [[u8; 32]; 7] = [
    // 0
    [0; 32],
    // 1
    [
        1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0,
    ],
    // order 8
    [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4,
        0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49,
        0xb8, 0x00,
    ],
    // order 8
    [
        0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef,
        0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f,
        0x11, 0x57,
    ],
    // p - 1
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // p (= 0)
    [
        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    // p + 1 (= 1)
    [
        0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
];

/// True for a u-coordinate of small order (or its non-canonical twin with the top bit set).
pub fn is_small_order(pk: &[u8; 32]) -> bool {
    let mut masked = *pk;
    masked[31] &= 0x7f;
    SMALL_ORDER.iter().any(|p| super::ct_eq(p, &masked))
}

/// An X25519 public key that is not of small order.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KemPublicKey([u8; 32]);

impl KemPublicKey {
    /// `None` for a small-order point: nobody could open what is sealed to it.
    pub fn from_bytes(b: [u8; 32]) -> Option<KemPublicKey> {
        (!is_small_order(&b)).then_some(KemPublicKey(b))
    }
    pub fn to_bytes(self) -> [u8; 32] {
        self.0
    }
}

impl std::fmt::Debug for KemPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KemPublicKey({})", hex(&self.0))
    }
}

/// An X25519 private key (32 bytes, clamped at use as RFC 7748 says).
pub struct KemSecretKey(Zeroizing<[u8; KEY_LEN]>);

impl KemSecretKey {
    pub fn generate() -> Result<KemSecretKey> {
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        random_bytes(&mut k[..])?;
        Ok(KemSecretKey(k))
    }
    pub(crate) fn from_bytes(b: Zeroizing<[u8; KEY_LEN]>) -> KemSecretKey {
        KemSecretKey(b)
    }
    fn hpke(&self) -> Result<<Kem as hpke::Kem>::PrivateKey, OpenError> {
        <Kem as hpke::Kem>::PrivateKey::from_bytes(&self.0[..]).map_err(|_| OpenError::Damaged)
    }
    /// X25519(sk, 9). `None` only if the key could not be read (cannot happen for 32 bytes).
    pub fn public_key(&self) -> Option<KemPublicKey> {
        let sk = self.hpke().ok()?;
        let pk = <Kem as hpke::Kem>::sk_to_pk(&sk).to_bytes();
        let mut b = [0u8; 32];
        b.copy_from_slice(&pk);
        KemPublicKey::from_bytes(b)
    }
}

impl std::fmt::Debug for KemSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KemSecretKey(<redacted>)")
    }
}

/// Gives HPKE's encapsulation exactly the 32 bytes of ephemeral key material
/// we drew ourselves (HPKE turns them into the ephemeral key with
/// DeriveKeyPair). The operating system's generator can fail; drawing the bytes
/// through our fallible `random_bytes` keeps that failure an error instead of
/// hpke's panic, and lets the tests fix `ikmE` for known-answer vectors.
struct IkmRng {
    ikm: Zeroizing<[u8; 32]>,
    used: usize,
    /// Set when more than the 32 bytes were asked for: the seal that asked
    /// is then thrown away (a predictable filler must never reach a wrap).
    overrun: bool,
}

impl IkmRng {
    fn new(ikm: Zeroizing<[u8; 32]>) -> IkmRng {
        IkmRng {
            ikm,
            used: 0,
            overrun: false,
        }
    }
    /// True when exactly the 32 bytes were consumed, once.
    fn consumed_exactly(&self) -> bool {
        !self.overrun && self.used == self.ikm.len()
    }
}

impl hpke::rand_core::TryRng for IkmRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> std::result::Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> std::result::Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> std::result::Result<(), Self::Error> {
        match self.ikm.get(self.used..self.used + dst.len()) {
            Some(src) => {
                dst.copy_from_slice(src);
                self.used += dst.len();
            }
            None => {
                self.overrun = true;
                dst.fill(0);
            }
        }
        Ok(())
    }
}
impl hpke::rand_core::TryCryptoRng for IkmRng {}

/// `"vault/v2/keyring\0" || vault_id || u64be(agent_id) || u64be(epoch) || u64be(recipient_id)`.
pub fn keyring_info(vault_id: &[u8], agent_id: u64, epoch: u64, recipient_id: u64) -> Vec<u8> {
    let mut info = Vec::with_capacity(INFO_KEYRING.len() + vault_id.len() + 24);
    info.extend_from_slice(INFO_KEYRING);
    info.extend_from_slice(vault_id);
    info.extend_from_slice(&agent_id.to_be_bytes());
    info.extend_from_slice(&epoch.to_be_bytes());
    info.extend_from_slice(&recipient_id.to_be_bytes());
    info
}

/// Who a keyring wrap is for, and which keyring it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyringSlot<'a> {
    pub vault_id: &'a [u8],
    pub agent_id: u64,
    pub epoch: u64,
    /// The principal that can open it: the agent itself (`agent_id`), the root (0), a member.
    pub recipient_id: u64,
}

impl KeyringSlot<'_> {
    fn info(&self) -> Vec<u8> {
        keyring_info(self.vault_id, self.agent_id, self.epoch, self.recipient_id)
    }
}

impl KeyringKey {
    /// Keyring wrap: HPKE base-mode seal of AK to `recipient`, 80 bytes.
    pub fn wrap_to(&self, slot: &KeyringSlot, recipient: &KemPublicKey) -> Result<Vec<u8>> {
        let mut ikm = Zeroizing::new([0u8; 32]);
        random_bytes(&mut ikm[..])?;
        self.wrap_to_with_ikm(slot, recipient, ikm)
    }

    pub(crate) fn wrap_to_with_ikm(
        &self,
        slot: &KeyringSlot,
        recipient: &KemPublicKey,
        ikm_e: Zeroizing<[u8; 32]>,
    ) -> Result<Vec<u8>> {
        hpke_seal(&recipient.0, &slot.info(), &self.0[..], ikm_e)
    }

    /// Open a keyring wrap with a recipient's private key. `expected` is the
    /// public key registered for that recipient: when the private key does
    /// not match it, the wrap was not made for this key ([`OpenError::NotMine`],
    /// exit 5); when it matches and HPKE fails, the wrap is damaged (exit 6).
    pub fn open_from(
        slot: &KeyringSlot,
        sk: &KemSecretKey,
        expected: &KemPublicKey,
        wrapped: &[u8],
    ) -> Result<KeyringKey, OpenError> {
        match sk.public_key() {
            Some(pk) => KeyringKey::open_from_with_pk(slot, sk, &pk, expected, wrapped),
            None => Err(OpenError::NotMine),
        }
    }

    /// [`KeyringKey::open_from`] for a caller that already derived `pk`
    /// from `sk` (`sk.public_key()`): an X25519 base-point multiplication
    /// (about 200,000 instructions) not done twice.
    pub fn open_from_with_pk(
        slot: &KeyringSlot,
        sk: &KemSecretKey,
        pk: &KemPublicKey,
        expected: &KemPublicKey,
        wrapped: &[u8],
    ) -> Result<KeyringKey, OpenError> {
        if !super::ct_eq(&pk.0, &expected.0) {
            return Err(OpenError::NotMine);
        }
        let k = hpke_open(sk, &slot.info(), wrapped)?;
        Ok(KeyringKey(key32(&k)?))
    }
}

/// enc(32) || ct: RFC 9180 SealBase with empty aad.
fn hpke_seal(
    pk: &[u8; 32],
    info: &[u8],
    msg: &[u8],
    ikm_e: Zeroizing<[u8; 32]>,
) -> Result<Vec<u8>> {
    let refuse = || {
        Error::invalid(
            "the recipient's public key is of small order; nothing sealed to it could be opened",
        )
        .hint("ask for a fresh enrollment request (`vault agent enroll`)")
    };
    if is_small_order(pk) {
        return Err(refuse());
    }
    let pk = <Kem as hpke::Kem>::PublicKey::from_bytes(pk).map_err(|_| refuse())?;
    let mut rng = IkmRng::new(ikm_e);
    let (enc, ct) = hpke::single_shot_seal_with_rng::<HpkeAead, Kdf, Kem>(
        &hpke::OpModeS::Base,
        &pk,
        info,
        msg,
        &[],
        &mut rng,
    )
    .map_err(|e| match e {
        hpke::HpkeError::EncapError => refuse(),
        _ => Error::other(format!("HPKE failed to seal: {e}")),
    })?;
    if !rng.consumed_exactly() {
        return Err(Error::other(
            "HPKE did not take exactly one 32-byte ephemeral seed; refusing to use its output",
        ));
    }
    let mut out = Vec::with_capacity(32 + ct.len());
    out.extend_from_slice(&enc.to_bytes());
    out.extend_from_slice(&ct);
    Ok(out)
}

fn hpke_open(sk: &KemSecretKey, info: &[u8], blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let (enc, ct) = blob.split_at_checked(32).ok_or(OpenError::Damaged)?;
    let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(enc).map_err(|_| OpenError::Damaged)?;
    hpke::single_shot_open::<HpkeAead, Kdf, Kem>(
        &hpke::OpModeR::Base,
        &sk.hpke()?,
        &enc,
        info,
        ct,
        &[],
    )
    .map(Zeroizing::new)
    .map_err(|_| OpenError::Damaged)
}

// ------------------------------------------------------------------ Ed25519

/// An Ed25519 public key that `verify_strict` accepts as a signer (not weak).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SignPublicKey(VerifyingKey);

impl SignPublicKey {
    /// `None` for bytes that are not a point, a non-canonical encoding of
    /// one (y not reduced mod p), or a weak (small-order) key.
    pub fn from_bytes(b: &[u8; 32]) -> Option<SignPublicKey> {
        let vk = VerifyingKey::from_bytes(b).ok()?;
        let canonical = vk.to_edwards().compress().to_bytes() == *b;
        (canonical && !vk.is_weak()).then_some(SignPublicKey(vk))
    }
    pub fn to_bytes(self) -> [u8; 32] {
        self.0.to_bytes()
    }
    /// Strict verification (RFC 8032 with canonical encodings, no small-order
    /// components). A signature that is not 64 bytes fails like a bad one.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = <[u8; SIGNATURE_LEN]>::try_from(sig) else {
            return false;
        };
        self.0
            .verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig))
            .is_ok()
    }
    /// `vault-root:SHA256:` followed by the lowercase hex of SHA-256 of the key.
    pub fn fingerprint(&self) -> String {
        format!(
            "{ROOT_FPR_PREFIX}{}",
            hex(&Sha256::digest(self.0.as_bytes()))
        )
    }
}

impl std::fmt::Debug for SignPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignPublicKey({})", hex(self.0.as_bytes()))
    }
}

/// An Ed25519 signing key, held as its 32-byte seed (zeroed on drop). The
/// key pair is expanded on first use only: that costs a base-point
/// multiplication (about 170,000 instructions), which every command that
/// opens the root keys paid, though `get --reveal` and `run` never sign with
/// the root key. `ed25519-dalek` zeroizes the expanded key on drop.
pub struct SignSecretKey {
    seed: Zeroizing<[u8; KEY_LEN]>,
    expanded: std::sync::OnceLock<SigningKey>,
}

impl SignSecretKey {
    pub fn generate() -> Result<SignSecretKey> {
        let mut seed = Zeroizing::new([0u8; KEY_LEN]);
        random_bytes(&mut seed[..])?;
        Ok(SignSecretKey::from_seed(&seed))
    }
    pub(crate) fn from_seed(seed: &[u8; KEY_LEN]) -> SignSecretKey {
        SignSecretKey {
            seed: Zeroizing::new(*seed),
            expanded: std::sync::OnceLock::new(),
        }
    }
    fn key(&self) -> &SigningKey {
        self.expanded
            .get_or_init(|| SigningKey::from_bytes(&self.seed))
    }
    fn seed(&self) -> Zeroizing<[u8; KEY_LEN]> {
        self.seed.clone()
    }
    pub fn public_key(&self) -> SignPublicKey {
        SignPublicKey(self.key().verifying_key())
    }
    pub fn sign(&self, msg: &[u8]) -> [u8; SIGNATURE_LEN] {
        self.key().sign(msg).to_bytes()
    }
}

impl std::fmt::Debug for SignSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignSecretKey(<redacted>)")
    }
}

/// A root fingerprint as given to `vault agent enroll --root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootFingerprint([u8; 32]);

impl RootFingerprint {
    /// `vault-root:SHA256:` and 64 hex digits (either case); surrounding
    /// whitespace ignored. Anything else is invalid input (exit 7).
    pub fn parse(text: &str) -> Result<RootFingerprint> {
        let bad = || {
            Error::invalid(
                "the root fingerprint is not `vault-root:SHA256:` followed by 64 hex digits",
            )
            .hint("copy it from `vault info` on an owner's machine")
        };
        let digits = text.trim().strip_prefix(ROOT_FPR_PREFIX).ok_or_else(bad)?;
        let bytes = unhex(digits).ok_or_else(bad)?;
        Ok(RootFingerprint(
            <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| bad())?,
        ))
    }
    pub fn matches(&self, pk: &SignPublicKey) -> bool {
        super::ct_eq(&self.0, &Sha256::digest(pk.0.as_bytes()))
    }
}

// ------------------------------------------------------------------ root keys

/// The root's private halves and RWK, sealed together under a key derived from M.
pub struct RootKeys {
    pub kem: KemSecretKey,
    pub sign: SignSecretKey,
    pub rwk: RootWrapKey,
}

impl std::fmt::Debug for RootKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RootKeys(<redacted>)")
    }
}

fn root_keys_aad(vault_id: &[u8]) -> Vec<u8> {
    let mut aad = AAD_ROOT_KEYS.to_vec();
    aad.extend_from_slice(vault_id);
    aad
}

impl RootKeys {
    pub fn generate() -> Result<RootKeys> {
        Ok(RootKeys {
            kem: KemSecretKey::generate()?,
            sign: SignSecretKey::generate()?,
            rwk: RootWrapKey::generate()?,
        })
    }

    /// nonce(12) || AES-GCM(HKDF(M, vault_id, "vault/v2/root-wrap"), nonce,
    /// "vault/v2/root-keys\0" || vault_id, kem_sk || sign_seed || RWK): 124 bytes.
    pub fn seal(&self, master: &MasterKey, vault_id: &[u8]) -> Result<Vec<u8>> {
        self.seal_with_nonce(master, vault_id, fresh_nonce()?)
    }

    pub(crate) fn seal_with_nonce(
        &self,
        master: &MasterKey,
        vault_id: &[u8],
        nonce: [u8; NONCE_LEN],
    ) -> Result<Vec<u8>> {
        let key = hkdf32(&master.0[..], vault_id, LABEL_ROOT_WRAP);
        let mut plain = Zeroizing::new(Vec::with_capacity(ROOT_KEYS_LEN));
        plain.extend_from_slice(&self.kem.0[..]);
        plain.extend_from_slice(&self.sign.seed()[..]);
        plain.extend_from_slice(&self.rwk.0[..]);
        sym_seal(&key, nonce, &root_keys_aad(vault_id), &plain)
    }

    /// M was authenticated by its slot, so any failure is damage (exit 6).
    pub fn open(master: &MasterKey, vault_id: &[u8], blob: &[u8]) -> Result<RootKeys, OpenError> {
        let key = hkdf32(&master.0[..], vault_id, LABEL_ROOT_WRAP);
        let plain = sym_open(&key, &root_keys_aad(vault_id), blob)?;
        if plain.len() != ROOT_KEYS_LEN {
            return Err(OpenError::Damaged);
        }
        let kem = key32(&plain[..KEY_LEN])?;
        let sign = key32(&plain[KEY_LEN..2 * KEY_LEN])?;
        let rwk = key32(&plain[2 * KEY_LEN..])?;
        Ok(RootKeys {
            kem: KemSecretKey(kem),
            sign: SignSecretKey::from_seed(&sign),
            rwk: RootWrapKey(rwk),
        })
    }
}

// ------------------------------------------------------------------ statements

/// Whether an agent receives a secret because it is global or by a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    Global,
    Grant,
}

/// What the statement says about an entry's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// kind `secret`: SHA-256(nonce || ciphertext) of the stored version.
    Secret([u8; 32]),
    /// kind `variable`: the plain value itself (variables are not secret).
    Variable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// The environment the value is stored under ("" for the shared value).
    pub env: String,
    pub scope: Scope,
    pub version: u64,
    pub provider: Option<String>,
    pub content: Content,
}

/// SHA-256(nonce || ciphertext): how a statement names a stored ciphertext.
pub fn ciphertext_hash(nonce: &[u8], ciphertext: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(nonce);
    h.update(ciphertext);
    h.finalize().into()
}

/// A per-agent statement: what agent `agent_id` receives, signed by the root
/// or by a member with `manage` on the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub vault_id: [u8; VAULT_ID_LEN],
    pub agent_id: u64,
    pub agent_name: String,
    /// The environment the agent runs in ("" when it is not pinned to one).
    pub env: String,
    pub policy_seq: u64,
    pub roster_epoch: u64,
    pub keyring_epoch: u64,
    /// Unix seconds; 0 = never expires.
    pub expires_unix: u64,
    pub signer_audit_seq: u64,
    pub signer_audit_hash: [u8; 32],
    /// Sorted by (name, env), no duplicates.
    pub entries: Vec<Entry>,
}

impl Statement {
    /// The canonical bytes that are signed (docs/FORMAT.md §14). Entries are
    /// written sorted by (name, env); two entries with the same pair are refused.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut entries: Vec<&Entry> = self.entries.iter().collect();
        entries.sort_by(|a, b| (&a.name, &a.env).cmp(&(&b.name, &b.env)));
        if entries
            .windows(2)
            .any(|w| (&w[0].name, &w[0].env) == (&w[1].name, &w[1].env))
        {
            return Err(Error::other("a statement lists the same secret twice"));
        }
        let mut m = Vec::with_capacity(256 + 96 * entries.len());
        m.extend_from_slice(STATEMENT_PREFIX);
        m.extend_from_slice(&self.vault_id);
        m.extend_from_slice(&self.agent_id.to_be_bytes());
        field(&mut m, self.agent_name.as_bytes());
        field(&mut m, self.env.as_bytes());
        for x in [
            self.policy_seq,
            self.roster_epoch,
            self.keyring_epoch,
            self.expires_unix,
            self.signer_audit_seq,
        ] {
            m.extend_from_slice(&x.to_be_bytes());
        }
        m.extend_from_slice(&self.signer_audit_hash);
        m.extend_from_slice(&(entries.len() as u64).to_be_bytes());
        for e in entries {
            field(&mut m, e.name.as_bytes());
            field(&mut m, e.env.as_bytes());
            let kind: &[u8] = match e.content {
                Content::Secret(_) => b"secret",
                Content::Variable(_) => b"variable",
            };
            field(&mut m, kind);
            m.push(match e.scope {
                Scope::Global => 0,
                Scope::Grant => 1,
            });
            m.extend_from_slice(&e.version.to_be_bytes());
            match &e.provider {
                None => m.push(0),
                Some(p) => {
                    m.push(1);
                    field(&mut m, p.as_bytes());
                }
            }
            match &e.content {
                Content::Secret(h) => {
                    m.push(0);
                    m.extend_from_slice(h);
                }
                Content::Variable(v) => {
                    m.push(1);
                    field(&mut m, v.as_bytes());
                }
            }
        }
        Ok(m)
    }

    pub fn sign(&self, signer: &SignSecretKey) -> Result<(Vec<u8>, [u8; SIGNATURE_LEN])> {
        let m = self.encode()?;
        let sig = signer.sign(&m);
        Ok((m, sig))
    }

    /// Verify `sig` over `bytes` with `verify_strict`, then decode them.
    /// A bad signature and bytes that are not a canonical statement are both
    /// damage (exit 6): the statement was edited, replaced or truncated.
    pub fn verify(
        signer: &SignPublicKey,
        bytes: &[u8],
        sig: &[u8],
    ) -> Result<Statement, OpenError> {
        if !signer.verify(bytes, sig) {
            return Err(OpenError::Damaged);
        }
        Statement::decode(bytes).ok_or(OpenError::Damaged)
    }

    /// The inverse of [`Statement::encode`]; `None` for anything that
    /// `encode` would not write (so a decoded statement re-encodes to the same bytes).
    pub fn decode(bytes: &[u8]) -> Option<Statement> {
        let mut r = Reader(bytes);
        r.tag(STATEMENT_PREFIX)?;
        let vault_id = r.array::<VAULT_ID_LEN>()?;
        let agent_id = r.u64()?;
        let agent_name = r.text()?;
        let env = r.text()?;
        let policy_seq = r.u64()?;
        let roster_epoch = r.u64()?;
        let keyring_epoch = r.u64()?;
        let expires_unix = r.u64()?;
        let signer_audit_seq = r.u64()?;
        let signer_audit_hash = r.array::<32>()?;
        let n = r.u64()?;
        let mut entries: Vec<Entry> = Vec::new();
        for _ in 0..n {
            let name = r.text()?;
            let env = r.text()?;
            let kind = r.text()?;
            let scope = match r.byte()? {
                0 => Scope::Global,
                1 => Scope::Grant,
                _ => return None,
            };
            let version = r.u64()?;
            let provider = match r.byte()? {
                0 => None,
                1 => Some(r.text()?),
                _ => return None,
            };
            let content = match (kind.as_str(), r.byte()?) {
                ("secret", 0) => Content::Secret(r.array::<32>()?),
                ("variable", 1) => Content::Variable(r.text()?),
                _ => return None,
            };
            if let Some(prev) = entries.last() {
                if (&prev.name, &prev.env) >= (&name, &env) {
                    return None;
                }
            }
            entries.push(Entry {
                name,
                env,
                scope,
                version,
                provider,
                content,
            });
        }
        r.end()?;
        Some(Statement {
            vault_id,
            agent_id,
            agent_name,
            env,
            policy_seq,
            roster_epoch,
            keyring_epoch,
            expires_unix,
            signer_audit_seq,
            signer_audit_hash,
            entries,
        })
    }
}

/// A cursor over bytes that every read may fail on (truncation).
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (a, b) = self.0.split_at_checked(n)?;
        self.0 = b;
        Some(a)
    }
    fn tag(&mut self, t: &[u8]) -> Option<()> {
        (self.take(t.len())? == t).then_some(())
    }
    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        <[u8; N]>::try_from(self.take(N)?).ok()
    }
    fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.array::<8>()?))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = u32::from_be_bytes(self.array::<4>()?);
        self.take(usize::try_from(n).ok()?)
    }
    fn text(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }
    fn end(&self) -> Option<()> {
        self.0.is_empty().then_some(())
    }
}

// ------------------------------------------------------------------ text forms

/// Strict standard base64 (padding required, unused bits zero, no whitespace
/// inside): the same rules as the key file (FORMAT.md §2).
fn b64_decode(s: &str) -> Option<Zeroizing<Vec<u8>>> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .ok()
        .map(Zeroizing::new)
}

use crate::hex::encode as hex;

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// What `VAULT_AGENT_KEY` / an agent key file holds: the agent's two private
/// keys, who it is, and the root public key it pins.
pub struct AgentKey {
    pub vault_id: [u8; VAULT_ID_LEN],
    pub agent_id: u64,
    pub kem: KemSecretKey,
    pub sign: SignSecretKey,
    pub root_sign_pk: SignPublicKey,
}

impl std::fmt::Debug for AgentKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AgentKey(<redacted>)")
    }
}

impl AgentKey {
    /// `vault-agent-v1:` || base64(vault_id || u64be(agent_id) || kem_sk ||
    /// sign_seed || root_sign_pk) and a newline: 15 + 160 + 1 bytes.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(Vec::with_capacity(AGENT_KEY_LEN));
        raw.extend_from_slice(&self.vault_id);
        raw.extend_from_slice(&self.agent_id.to_be_bytes());
        raw.extend_from_slice(&self.kem.0[..]);
        raw.extend_from_slice(&self.sign.seed()[..]);
        raw.extend_from_slice(&self.root_sign_pk.to_bytes());
        let mut s = Zeroizing::new(String::with_capacity(AGENT_KEY_PREFIX.len() + 162));
        s.push_str(AGENT_KEY_PREFIX);
        base64::engine::general_purpose::STANDARD.encode_string(&raw[..], &mut s);
        s.push('\n');
        s
    }

    /// A key made for another vault is refused (exit 5) before anything is
    /// opened with it.
    pub fn check_vault(&self, vault_id: &[u8], source: &str) -> Result<()> {
        if super::ct_eq(&self.vault_id, vault_id) {
            return Ok(());
        }
        Err(
            Error::locked(format!("{source} is an agent key for another vault")).hint(
                "use the key this vault gave the agent, or point --vault-dir / VAULT_DATABASE_URL at the vault that made it",
            ),
        )
    }

    /// Parse the text form. `source` names where it came from (a path or
    /// `VAULT_AGENT_KEY`). Every malformed key is exit 5 and the message
    /// never contains the text.
    pub fn parse(text: &str, source: &str) -> Result<AgentKey> {
        let malformed = |why: &str| {
            Error::locked(format!("{source} is not a vault agent key: {why}")).hint(format!(
                "an agent key is one line `{AGENT_KEY_PREFIX}` followed by base64 of {AGENT_KEY_LEN} bytes, as written by `vault agent enroll` or `vault agent token`"
            ))
        };
        if text.len() > MAX_TEXT_LEN {
            return Err(malformed("it is far too long"));
        }
        let b64 = text
            .trim()
            .strip_prefix(AGENT_KEY_PREFIX)
            .ok_or_else(|| malformed(&format!("it does not start with `{AGENT_KEY_PREFIX}`")))?;
        let raw = b64_decode(b64.trim())
            .ok_or_else(|| malformed("the text after the prefix is not canonical base64"))?;
        if raw.len() != AGENT_KEY_LEN {
            return Err(malformed(&format!(
                "it holds {} bytes instead of {AGENT_KEY_LEN}",
                raw.len()
            )));
        }
        let mut r = Reader(&raw);
        let bad = || malformed("its fields cannot be read");
        let vault_id = r.array::<VAULT_ID_LEN>().ok_or_else(bad)?;
        let agent_id = r.u64().ok_or_else(bad)?;
        let kem = Zeroizing::new(r.array::<KEY_LEN>().ok_or_else(bad)?);
        let sign = Zeroizing::new(r.array::<KEY_LEN>().ok_or_else(bad)?);
        let root = r.array::<32>().ok_or_else(bad)?;
        let root_sign_pk = SignPublicKey::from_bytes(&root)
            .ok_or_else(|| malformed("the root public key in it is not a valid Ed25519 key"))?;
        Ok(AgentKey {
            vault_id,
            agent_id,
            kem: KemSecretKey(kem),
            sign: SignSecretKey::from_seed(&sign),
            root_sign_pk,
        })
    }
}

/// Who is asking to join, as printed by `vault agent enroll` / `vault member join`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollRequest {
    pub vault_id: [u8; VAULT_ID_LEN],
    /// `agent` or `member`.
    pub kind: String,
    pub name: String,
    pub kem_pk: KemPublicKey,
    pub sign_pk: SignPublicKey,
    /// PostgreSQL SCRAM verifier of the derived login password; empty for SQLite.
    pub scram_verifier: String,
}

const ENROLL_KINDS: [&str; 2] = ["agent", "member"];
/// Longest name or verifier a request may carry.
const ENROLL_FIELD_MAX: usize = 512;

impl EnrollRequest {
    fn body(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(256);
        b.extend_from_slice(&self.vault_id);
        field(&mut b, self.kind.as_bytes());
        field(&mut b, self.name.as_bytes());
        b.extend_from_slice(&self.kem_pk.0);
        b.extend_from_slice(&self.sign_pk.to_bytes());
        field(&mut b, self.scram_verifier.as_bytes());
        b
    }

    fn signed_message(body: &[u8]) -> Vec<u8> {
        let mut m = ENROLL_SIG_PREFIX.to_vec();
        m.extend_from_slice(body);
        m
    }

    /// The one-line request, self-signed with the key pair's signing half
    /// (proof that whoever made it holds the private key).
    pub fn to_text(&self, sign_sk: &SignSecretKey) -> Result<String> {
        if sign_sk.public_key() != self.sign_pk {
            return Err(Error::other(
                "an enrollment request must be signed by its own key",
            ));
        }
        let mut raw = self.body();
        let sig = sign_sk.sign(&Self::signed_message(&raw));
        raw.extend_from_slice(&sig);
        let mut s = String::from(ENROLL_PREFIX);
        base64::engine::general_purpose::STANDARD.encode_string(&raw, &mut s);
        Ok(s)
    }

    /// Parse and check a pasted request. Every refusal is invalid input
    /// (exit 7): a request is something a person pastes, and a broken one is
    /// fixed by asking for a fresh one.
    pub fn parse(text: &str) -> Result<EnrollRequest> {
        let bad = |why: &str| {
            Error::invalid(format!("this is not a valid enrollment request: {why}"))
                .hint("copy the whole `vault-enroll-v1:` line that `vault agent enroll` printed on the agent's machine, or ask for a fresh one")
        };
        if text.len() > MAX_TEXT_LEN {
            return Err(bad("it is far too long"));
        }
        let b64 = text
            .trim()
            .strip_prefix(ENROLL_PREFIX)
            .ok_or_else(|| bad(&format!("it does not start with `{ENROLL_PREFIX}`")))?;
        let raw = b64_decode(b64.trim())
            .ok_or_else(|| bad("the text after the prefix is not canonical base64"))?;
        let body_len = raw
            .len()
            .checked_sub(SIGNATURE_LEN)
            .ok_or_else(|| bad("it is truncated"))?;
        let (body, sig) = raw.split_at(body_len);
        let mut r = Reader(body);
        let short = || bad("it is truncated or has extra bytes");
        let vault_id = r.array::<VAULT_ID_LEN>().ok_or_else(short)?;
        let kind = r.text().ok_or_else(short)?;
        let name = r.text().ok_or_else(short)?;
        let kem = r.array::<32>().ok_or_else(short)?;
        let sign = r.array::<32>().ok_or_else(short)?;
        let scram_verifier = r.text().ok_or_else(short)?;
        r.end().ok_or_else(short)?;
        if !ENROLL_KINDS.contains(&kind.as_str()) {
            return Err(bad("its kind is neither `agent` nor `member`"));
        }
        let printable = |s: &str| s.bytes().all(|b| b.is_ascii_graphic());
        if name.is_empty() || name.len() > ENROLL_FIELD_MAX || !printable(&name) {
            return Err(bad("its name is empty, too long or not printable"));
        }
        if scram_verifier.len() > ENROLL_FIELD_MAX || !printable(&scram_verifier) {
            return Err(bad("its database verifier is too long or not printable"));
        }
        let kem_pk = KemPublicKey::from_bytes(kem)
            .ok_or_else(|| bad("its encryption public key is of small order (nothing sealed to it could be opened)"))?;
        let sign_pk = SignPublicKey::from_bytes(&sign)
            .ok_or_else(|| bad("its signing public key is not a valid, strong Ed25519 key"))?;
        if !sign_pk.verify(&Self::signed_message(body), sig) {
            return Err(bad(
                "its self-signature does not verify (it was altered or cut short)",
            ));
        }
        Ok(EnrollRequest {
            vault_id,
            kind,
            name,
            kem_pk,
            sign_pk,
            scram_verifier,
        })
    }
}

pub mod member;

#[cfg(test)]
mod tests;
