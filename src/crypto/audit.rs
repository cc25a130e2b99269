//! The audit trail's cryptography (docs/FORMAT.md "Audit trail"): the entry
//! hash that links a chain, and the owners' Ed25519 signing key derived from
//! the master key. No SQL and no JSON here: the vault layer hands in the
//! entry's canonical bytes.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::v2::{SignPublicKey, SignSecretKey};
use super::{hkdf32, MasterKey};

const LABEL_AUDIT_HASH: &[u8] = b"vault/v2/audit\0";
const LABEL_AUDIT_SIGN: &[u8] = b"vault/v2/audit-sign";

/// `prev` of a chain's first entry.
pub const GENESIS: [u8; 32] = [0u8; 32];

/// SHA-256("vault/v2/audit\0" || vault_id || u64be(chain) || u64be(seq) || prev || entry).
pub fn entry_hash(vault_id: &[u8], chain: u64, seq: u64, prev: &[u8], entry: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(LABEL_AUDIT_HASH);
    h.update(vault_id);
    h.update(chain.to_be_bytes());
    h.update(seq.to_be_bytes());
    h.update(prev);
    h.update(entry);
    h.finalize().into()
}

/// The owners' audit signing key (chain 0): an Ed25519 seed
/// HKDF-SHA256(master, salt = vault id, info = "vault/v2/audit-sign").
pub struct AuditSigner(SignSecretKey);

impl AuditSigner {
    pub fn derive(master: &MasterKey, vault_id: &[u8]) -> AuditSigner {
        let seed: Zeroizing<[u8; 32]> = hkdf32(&master.0[..], vault_id, LABEL_AUDIT_SIGN);
        AuditSigner(SignSecretKey::from_seed(&seed))
    }
    pub fn public_key(&self) -> [u8; 32] {
        self.0.public_key().to_bytes()
    }
    pub fn sign(&self, hash: &[u8; 32]) -> [u8; 64] {
        self.0.sign(hash)
    }
}

impl std::fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditSigner(<redacted>)")
    }
}

/// Strict Ed25519 verification of `sig` over `hash` by the public key
/// `pk`; false for a malformed or weak key as for a bad signature.
pub fn verify(pk: &[u8], hash: &[u8], sig: &[u8]) -> bool {
    let Ok(pk) = <[u8; 32]>::try_from(pk) else {
        return false;
    };
    SignPublicKey::from_bytes(&pk).is_some_and(|k| k.verify(hash, sig))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// docs/FORMAT.md §18.4: M = 00..1f, vault id = a0..af, the entry below.
    #[test]
    fn known_answer_vector() {
        let m: [u8; 32] = core::array::from_fn(|i| i as u8);
        let vid: Vec<u8> = (0xa0..0xb0).collect();
        let entry = br#"{"action":"set","at":"2026-12-02T04:00:00Z","chain":0,"host":"build-1","seq":1,"subject":{"name":"API_KEY","version":2}}"#;
        let signer = AuditSigner::derive(&MasterKey::from_bytes(m), &vid);
        assert_eq!(
            hex(&signer.public_key()),
            "3e56db8675a96a96f78f75be145191f97d78cf6cc2646dea70cd6ad2db1fc888"
        );
        let h = entry_hash(&vid, 0, 1, &GENESIS, entry);
        assert_eq!(
            hex(&h),
            "cf6b669f43dfe033058cacbe4008118bfd1aa46b3605a3d4e0f5373fd0e728c0"
        );
        assert_eq!(
            hex(&signer.sign(&h)),
            "5efa1fb0c363030d725e00b4d577294dcc820e010cf79ff3b7888335aa284f1d4216fd5ace17d8605d26d6bf654937d0003db20596149a2055478721e6217f02"
        );
    }

    #[test]
    fn hash_binds_every_field() {
        let base = entry_hash(b"id", 0, 1, &GENESIS, b"{}");
        assert_ne!(base, entry_hash(b"iD", 0, 1, &GENESIS, b"{}"));
        assert_ne!(base, entry_hash(b"id", 1, 1, &GENESIS, b"{}"));
        assert_ne!(base, entry_hash(b"id", 0, 2, &GENESIS, b"{}"));
        assert_ne!(base, entry_hash(b"id", 0, 1, &[1; 32], b"{}"));
        assert_ne!(base, entry_hash(b"id", 0, 1, &GENESIS, b"{ }"));
    }

    #[test]
    fn the_signer_is_derived_per_vault_and_verifies() {
        let m = MasterKey::from_bytes([9; 32]);
        let a = AuditSigner::derive(&m, b"vault-a");
        let b = AuditSigner::derive(&m, b"vault-b");
        assert_ne!(a.public_key(), b.public_key());
        assert_eq!(
            a.public_key(),
            AuditSigner::derive(&m, b"vault-a").public_key(),
            "deterministic"
        );
        let h = entry_hash(b"vault-a", 0, 1, &GENESIS, b"{}");
        let sig = a.sign(&h);
        assert!(verify(&a.public_key(), &h, &sig));
        assert!(!verify(&b.public_key(), &h, &sig));
        let mut other = h;
        other[0] ^= 1;
        assert!(!verify(&a.public_key(), &other, &sig));
        assert!(!verify(&a.public_key()[..31], &h, &sig));
    }
}
