//! Team members (docs/FORMAT.md §21): a member's identity file, the
//! PostgreSQL login password derived from it and its SCRAM-SHA-256 verifier,
//! the member slot that gives an owner M under their own X25519 key, and the
//! roster of members and rights that the root key signs.
//!
//! Bytes and keys only, like the rest of `v2`: no database, no files.

use base64::Engine;
use hmac::Mac;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{
    b64_decode, field, hpke_open, hpke_seal, key32, KemPublicKey, KemSecretKey, OpenError, Reader,
    SignPublicKey, SignSecretKey, MAX_TEXT_LEN, SIGNATURE_LEN,
};
use crate::crypto::{hkdf32, random_bytes, MasterKey, KEY_LEN, VAULT_ID_LEN};
use crate::error::{Error, Result};

const INFO_SLOT: &[u8] = b"vault/v2/slot\0";
const LABEL_PG_PASSWORD: &[u8] = b"vault/v2/pg-password";
const ROSTER_PREFIX: &[u8] = b"vault/v2/roster\0";
pub const IDENTITY_PREFIX: &str = "vault-member-v1:";
/// Iterations of the SCRAM verifier (PostgreSQL's default).
pub const SCRAM_ITERATIONS: u32 = 4096;

/// The keyring recipient id of member `member_id` (§21.4): the top bit set,
/// so it never equals an agent's id (1 .. 2^63) or the root's (0), which
/// share the keyring wrap's `info` field.
pub const MEMBER_RECIPIENT: u64 = 1 << 63;

pub fn member_recipient(member_id: u64) -> u64 {
    MEMBER_RECIPIENT | member_id
}

/// The member id of a keyring recipient id, if it is a member's.
pub fn recipient_member(recipient: u64) -> Option<u64> {
    (recipient & MEMBER_RECIPIENT != 0).then_some(recipient & !MEMBER_RECIPIENT)
}

const GRANT_PREFIX: &[u8] = b"vault/v2/member-grant\0";

/// What a manager signs for a grant row it inserts (§21.8), in place of
/// the owners' row tag: `"vault/v2/member-grant\0" || vault_id ||
/// field(agent) || field(secret) || u64be(member_id)`.
pub fn grant_message(vault_id: &[u8], agent: &str, secret: &str, member_id: u64) -> Vec<u8> {
    let mut b = GRANT_PREFIX.to_vec();
    b.extend_from_slice(vault_id);
    field(&mut b, agent.as_bytes());
    field(&mut b, secret.as_bytes());
    b.extend_from_slice(&member_id.to_be_bytes());
    b
}

/// `info` of a member slot: binds the vault and the member it was made for.
pub fn slot_info(vault_id: &[u8], member_id: u64) -> Vec<u8> {
    let mut i = INFO_SLOT.to_vec();
    i.extend_from_slice(vault_id);
    i.extend_from_slice(&member_id.to_be_bytes());
    i
}

/// `HPKE.SealBase(member_kem_pk, slot_info, "", M)`: 80 bytes.
pub fn seal_member_slot(
    master: &MasterKey,
    vault_id: &[u8],
    member_id: u64,
    member: &KemPublicKey,
) -> Result<Vec<u8>> {
    let mut ikm = Zeroizing::new([0u8; 32]);
    random_bytes(&mut ikm[..])?;
    seal_member_slot_with(master, vault_id, member_id, member, ikm)
}

pub(crate) fn seal_member_slot_with(
    master: &MasterKey,
    vault_id: &[u8],
    member_id: u64,
    member: &KemPublicKey,
    ikm_e: Zeroizing<[u8; 32]>,
) -> Result<Vec<u8>> {
    hpke_seal(
        &member.0,
        &slot_info(vault_id, member_id),
        &master.0[..],
        ikm_e,
    )
}

/// Open a member slot with the member's key. NotMine when `sk` is not the
/// key registered for the member (exit 5); Damaged when it is and the slot
/// does not open (exit 6).
pub fn open_member_slot(
    sk: &KemSecretKey,
    expected: &KemPublicKey,
    vault_id: &[u8],
    member_id: u64,
    blob: &[u8],
) -> std::result::Result<MasterKey, OpenError> {
    match sk.public_key() {
        Some(pk) if crate::crypto::ct_eq(&pk.0, &expected.0) => {}
        _ => return Err(OpenError::NotMine),
    }
    let m = hpke_open(sk, &slot_info(vault_id, member_id), blob)?;
    Ok(MasterKey(key32(&m)?))
}

/// The PostgreSQL login password of a principal:
/// `base64(HKDF(sign_seed, salt = vault_id, "vault/v2/pg-password"))`.
pub fn pg_password(sign: &SignSecretKey, vault_id: &[u8]) -> Zeroizing<String> {
    let k = hkdf32(&sign.seed()[..], vault_id, LABEL_PG_PASSWORD);
    Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(&k[..]))
}

type HmacSha256 = hmac::Hmac<Sha256>;

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length: new_from_slice cannot fail.
    let mut m = <HmacSha256 as hmac::KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as hmac::KeyInit>::new(&Default::default()));
    m.update(msg);
    m.finalize().into_bytes().into()
}

/// PBKDF2-HMAC-SHA256 with one 32-byte output block (RFC 8018 §5.2).
fn pbkdf2_one_block(password: &[u8], salt: &[u8], iterations: u32) -> Zeroizing<[u8; 32]> {
    let mut s = salt.to_vec();
    s.extend_from_slice(&1u32.to_be_bytes());
    let mut u = Zeroizing::new(hmac(password, &s));
    let mut out = Zeroizing::new(*u);
    for _ in 1..iterations {
        *u = hmac(password, &u[..]);
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}

/// PostgreSQL's stored form of a SCRAM-SHA-256 password (RFC 5802, RFC
/// 7677): `SCRAM-SHA-256$<iter>:<b64 salt>$<b64 StoredKey>:<b64 ServerKey>`.
/// The password is base64 text, which SASLprep leaves unchanged.
pub fn scram_verifier(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    random_bytes(&mut salt)?;
    Ok(scram_verifier_with(password, &salt, SCRAM_ITERATIONS))
}

pub(crate) fn scram_verifier_with(password: &str, salt: &[u8], iterations: u32) -> String {
    let salted = pbkdf2_one_block(password.as_bytes(), salt, iterations);
    let client_key = hmac(&salted[..], b"Client Key");
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac(&salted[..], b"Server Key");
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        b64(salt),
        b64(&stored_key),
        b64(&server_key)
    )
}

/// A verifier as PostgreSQL stores it, and nothing else: safe to put in a
/// `PASSWORD '...'` literal (base64, digits, `$` and `:` only).
pub fn is_scram_verifier(v: &str) -> bool {
    let Some(rest) = v.strip_prefix("SCRAM-SHA-256$") else {
        return false;
    };
    let Some((iter_salt, keys)) = rest.split_once('$') else {
        return false;
    };
    let Some((iter, salt)) = iter_salt.split_once(':') else {
        return false;
    };
    let Some((stored, server)) = keys.split_once(':') else {
        return false;
    };
    let b64ok = |s: &str, n: Option<usize>| {
        b64_decode(s).is_some_and(|b| n.is_none_or(|n| b.len() == n) && !b.is_empty())
    };
    iter.parse::<u32>().is_ok_and(|i| i >= 4096)
        && b64ok(salt, None)
        && b64ok(stored, Some(32))
        && b64ok(server, Some(32))
}

/// What `vault member join` keeps on the member's machine (mode 0600): the
/// member's two private keys, for which vault, under which name and
/// PostgreSQL role, and the root key it pins.
pub struct MemberIdentity {
    pub vault_id: [u8; VAULT_ID_LEN],
    pub name: String,
    pub pg_role: String,
    pub kem: KemSecretKey,
    pub sign: SignSecretKey,
    pub root_sign_pk: SignPublicKey,
}

impl std::fmt::Debug for MemberIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemberIdentity(<redacted>)")
    }
}

impl MemberIdentity {
    /// `vault-member-v1:` || base64(vault_id || kem_sk || sign_seed ||
    /// root_sign_pk || field(name) || field(pg_role)) and a newline.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut raw = Zeroizing::new(Vec::with_capacity(256));
        raw.extend_from_slice(&self.vault_id);
        raw.extend_from_slice(&self.kem.0[..]);
        raw.extend_from_slice(&self.sign.seed()[..]);
        raw.extend_from_slice(&self.root_sign_pk.to_bytes());
        field(&mut raw, self.name.as_bytes());
        field(&mut raw, self.pg_role.as_bytes());
        let mut s = Zeroizing::new(String::from(IDENTITY_PREFIX));
        base64::engine::general_purpose::STANDARD.encode_string(&raw[..], &mut s);
        s.push('\n');
        s
    }

    /// Parse the text form; `source` names the file. Exit 5 on any flaw,
    /// never showing the text.
    pub fn parse(text: &str, source: &str) -> Result<MemberIdentity> {
        let bad = |why: &str| {
            Error::locked(format!("{source} is not a vault member identity: {why}")).hint(
                "it is written by `vault member join`; run it again for a fresh identity and ask an owner to add the new request",
            )
        };
        if text.len() > MAX_TEXT_LEN {
            return Err(bad("it is far too long"));
        }
        let b64 = text
            .trim()
            .strip_prefix(IDENTITY_PREFIX)
            .ok_or_else(|| bad(&format!("it does not start with `{IDENTITY_PREFIX}`")))?;
        let raw = b64_decode(b64.trim()).ok_or_else(|| bad("it is not canonical base64"))?;
        let mut r = Reader(&raw);
        let short = || bad("it is truncated or has extra bytes");
        let vault_id = r.array::<VAULT_ID_LEN>().ok_or_else(short)?;
        let kem = Zeroizing::new(r.array::<KEY_LEN>().ok_or_else(short)?);
        let sign = Zeroizing::new(r.array::<KEY_LEN>().ok_or_else(short)?);
        let root = r.array::<32>().ok_or_else(short)?;
        let name = r.text().ok_or_else(short)?;
        let pg_role = r.text().ok_or_else(short)?;
        r.end().ok_or_else(short)?;
        let root_sign_pk = SignPublicKey::from_bytes(&root)
            .ok_or_else(|| bad("the root public key in it is not a valid Ed25519 key"))?;
        Ok(MemberIdentity {
            vault_id,
            name,
            pg_role,
            kem: KemSecretKey(kem),
            sign: SignSecretKey::from_seed(&sign),
            root_sign_pk,
        })
    }
}

/// One member as the roster lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterMember {
    pub id: u64,
    pub name: String,
    pub pg_role: String,
    pub kem_pk: [u8; 32],
    pub sign_pk: [u8; 32],
    /// `owner` or `member`.
    pub role: String,
    /// (agent, right), sorted, rights `view` | `operate` | `manage`.
    pub rights: Vec<(String, String)>,
}

/// Every current member and their rights, at an epoch (§21.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    pub vault_id: [u8; VAULT_ID_LEN],
    pub epoch: u64,
    /// Sorted by id.
    pub members: Vec<RosterMember>,
}

impl Roster {
    pub fn encode(&self) -> Vec<u8> {
        let mut b = ROSTER_PREFIX.to_vec();
        b.extend_from_slice(&self.vault_id);
        b.extend_from_slice(&self.epoch.to_be_bytes());
        b.extend_from_slice(&(self.members.len() as u64).to_be_bytes());
        for m in &self.members {
            b.extend_from_slice(&m.id.to_be_bytes());
            field(&mut b, m.name.as_bytes());
            field(&mut b, m.pg_role.as_bytes());
            b.extend_from_slice(&m.kem_pk);
            b.extend_from_slice(&m.sign_pk);
            field(&mut b, m.role.as_bytes());
            b.extend_from_slice(&(m.rights.len() as u64).to_be_bytes());
            for (agent, right) in &m.rights {
                field(&mut b, agent.as_bytes());
                field(&mut b, right.as_bytes());
            }
        }
        b
    }

    pub fn sign(&self, root: &SignSecretKey) -> (Vec<u8>, [u8; SIGNATURE_LEN]) {
        let body = self.encode();
        let sig = root.sign(&body);
        (body, sig)
    }

    /// The roster in `body`, if `sig` is the root's signature over it and it
    /// decodes canonically; `None` otherwise (exit 6 for the caller).
    pub fn verify(root: &SignPublicKey, body: &[u8], sig: &[u8]) -> Option<Roster> {
        if !root.verify(body, sig) {
            return None;
        }
        let r = Roster::decode(body)?;
        (r.encode() == body).then_some(r)
    }

    fn decode(body: &[u8]) -> Option<Roster> {
        let mut r = Reader(body.strip_prefix(ROSTER_PREFIX)?);
        let vault_id = r.array::<VAULT_ID_LEN>()?;
        let epoch = r.u64()?;
        let n = r.u64()?;
        let mut members = Vec::new();
        for _ in 0..n {
            let id = r.u64()?;
            let name = r.text()?;
            let pg_role = r.text()?;
            let kem_pk = r.array::<32>()?;
            let sign_pk = r.array::<32>()?;
            let role = r.text()?;
            let k = r.u64()?;
            let mut rights = Vec::new();
            for _ in 0..k {
                rights.push((r.text()?, r.text()?));
            }
            members.push(RosterMember {
                id,
                name,
                pg_role,
                kem_pk,
                sign_pk,
                role,
                rights,
            });
        }
        r.end()?;
        Some(Roster {
            vault_id,
            epoch,
            members,
        })
    }
}

#[cfg(test)]
mod tests {
    //! The §21 vectors of docs/FORMAT.md, computed by docs/kat_v2.py
    //! (independent HPKE, Ed25519 from OpenSSL, PBKDF2 from hashlib).
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn h(label: &str) -> [u8; 32] {
        Sha256::digest(label.as_bytes()).into()
    }
    fn unhex(s: &str) -> Vec<u8> {
        crate::hex::decode(s).unwrap()
    }
    const VAULT_ID: [u8; 16] = [
        0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae,
        0xaf,
    ];
    const SLOT: &str = "99d796ecb36169150ebdba5cac86607510bd0c0af707eeeb344e5d0fa4bfb3204434d01b7eccfa1cd25b65107f783dfb091befc7f22c0ad5fb1943c1d9c972e852eb895459b71f2073e4414e24e1c76d";
    const ROSTER: &str = "7661756c742f76322f726f7374657200a0a1a2a3a4a5a6a7a8a9aaabacadaeaf00000000000000010000000000000001000000000000000500000003626f620000000a7465616d5f6d5f626f62c1722978f0108807cbfc8930403ede71193dded2b54a0b14deaf09ad8b3cbf00666bc0869386332ceda05ffefff82444069095b0bdc95f6c5e134ee00c6dd201000000066d656d62657200000000000000010000000b62696c6c696e672d626f740000000476696577";
    const ROSTER_SIG: &str = "1692f4a3a61bbf84bd744197425da5d9da700289c345557af0c95f04051659fc0b8b88f9023e7a8deebe98358d29def9dbea48b64f608f11764196196a3fec00";

    #[test]
    fn a_members_keyring_wrap_has_its_own_recipient_space() {
        // docs/FORMAT.md §21.7: agent 3, epoch 1, member 5.
        let info = super::super::keyring_info(&VAULT_ID, 3, 1, member_recipient(5));
        assert_eq!(
            crate::hex::encode(&info),
            "7661756c742f76322f6b657972696e6700a0a1a2a3a4a5a6a7a8a9aaabacadaeaf000000000000000300000000000000018000000000000005"
        );
        assert_eq!(recipient_member(member_recipient(5)), Some(5));
        assert_eq!(recipient_member(5), None);
        assert_eq!(recipient_member(0), None);
        // A wrap made for member 5 does not open as one for agent 5.
        let kem = member_kem();
        let pk = kem.public_key().unwrap();
        let ak = super::super::KeyringKey::generate().unwrap();
        let slot = |recipient_id| super::super::KeyringSlot {
            vault_id: &VAULT_ID,
            agent_id: 3,
            epoch: 1,
            recipient_id,
        };
        let wrap = ak.wrap_to(&slot(member_recipient(5)), &pk).unwrap();
        assert!(
            super::super::KeyringKey::open_from(&slot(member_recipient(5)), &kem, &pk, &wrap)
                .is_ok()
        );
        assert!(matches!(
            super::super::KeyringKey::open_from(&slot(5), &kem, &pk, &wrap),
            Err(OpenError::Damaged)
        ));
    }

    fn master() -> MasterKey {
        let mut m = [0u8; 32];
        for (i, b) in m.iter_mut().enumerate() {
            *b = 0x40 + i as u8;
        }
        MasterKey::from_bytes(m)
    }
    fn member_kem() -> KemSecretKey {
        KemSecretKey(Zeroizing::new(h("vault kat member kem")))
    }
    fn member_sign() -> SignSecretKey {
        SignSecretKey::from_seed(&h("vault kat member sign"))
    }
    fn root_sign() -> SignSecretKey {
        SignSecretKey::from_seed(&h("vault kat root sign"))
    }

    #[test]
    fn member_slot_matches_the_vector_and_opens_only_for_its_member_and_vault() {
        let pk = member_kem().public_key().unwrap();
        assert_eq!(
            pk.to_bytes().to_vec(),
            unhex("c1722978f0108807cbfc8930403ede71193dded2b54a0b14deaf09ad8b3cbf00")
        );
        let ikm = Zeroizing::new(h("vault kat ikmE"));
        let slot = seal_member_slot_with(&master(), &VAULT_ID, 5, &pk, ikm).unwrap();
        assert_eq!(slot, unhex(SLOT));
        let m = open_member_slot(&member_kem(), &pk, &VAULT_ID, 5, &slot).unwrap();
        assert_eq!(m.0[..], master().0[..]);
        // Another member id or vault: damaged (exit 6).
        for (vault, id) in [
            (VAULT_ID, 6u64),
            (
                {
                    let mut v = VAULT_ID;
                    v[15] ^= 1;
                    v
                },
                5,
            ),
        ] {
            assert!(matches!(
                open_member_slot(&member_kem(), &pk, &vault, id, &slot),
                Err(OpenError::Damaged)
            ));
        }
        let mut bad = slot.clone();
        bad[79] ^= 1;
        assert!(matches!(
            open_member_slot(&member_kem(), &pk, &VAULT_ID, 5, &bad),
            Err(OpenError::Damaged)
        ));
        assert!(matches!(
            open_member_slot(&member_kem(), &pk, &VAULT_ID, 5, &slot[..79]),
            Err(OpenError::Damaged)
        ));
        // Another key than the member's: not mine (exit 5).
        let other = KemSecretKey(Zeroizing::new(h("vault kat agent kem")));
        assert!(matches!(
            open_member_slot(&other, &pk, &VAULT_ID, 5, &slot),
            Err(OpenError::NotMine)
        ));
    }

    #[test]
    fn pg_password_and_scram_verifier_match_the_vectors() {
        let pw = pg_password(&member_sign(), &VAULT_ID);
        assert_eq!(pw.as_str(), "BGjzOIhiC2YDL9v5nXUKIsS9qh4EY+PWQLsgm2hgI+Y=");
        let salt: Vec<u8> = (0x10..0x20).collect();
        let v = scram_verifier_with(&pw, &salt, SCRAM_ITERATIONS);
        assert_eq!(
            v,
            "SCRAM-SHA-256$4096:EBESExQVFhcYGRobHB0eHw==$SmdspRRYxNnCNV4zod2d6F4JPmHGQx4MZ6WRNzdlqzk=:JP0DeVZzXmPCX7cpL84UJzo28ahRt87j+cU4QzCfdjE="
        );
        assert!(is_scram_verifier(&v));
        let fresh = scram_verifier(&pw).unwrap();
        assert!(
            is_scram_verifier(&fresh) && fresh != v,
            "a fresh salt each time"
        );
        for bad in [
            "",
            "md5abc",
            "SCRAM-SHA-256$4096:EBESExQVFhcYGRobHB0eHw==$SmdspRRYxNnCNV4zod2d6F4JPmHGQx4MZ6WRNzdlqzk=:x'; DROP ROLE x; --",
            "SCRAM-SHA-256$10:EBESExQVFhcYGRobHB0eHw==$SmdspRRYxNnCNV4zod2d6F4JPmHGQx4MZ6WRNzdlqzk=:JP0DeVZzXmPCX7cpL84UJzo28ahRt87j+cU4QzCfdjE=",
        ] {
            assert!(!is_scram_verifier(bad), "{bad}");
        }
    }

    #[test]
    fn roster_matches_the_vector_and_any_change_fails() {
        let roster = Roster {
            vault_id: VAULT_ID,
            epoch: 1,
            members: vec![RosterMember {
                id: 5,
                name: "bob".into(),
                pg_role: "team_m_bob".into(),
                kem_pk: member_kem().public_key().unwrap().to_bytes(),
                sign_pk: member_sign().public_key().to_bytes(),
                role: "member".into(),
                rights: vec![("billing-bot".into(), "view".into())],
            }],
        };
        let (body, sig) = roster.sign(&root_sign());
        assert_eq!(body, unhex(ROSTER));
        assert_eq!(sig.to_vec(), unhex(ROSTER_SIG));
        let root = root_sign().public_key();
        assert_eq!(Roster::verify(&root, &body, &sig), Some(roster.clone()));
        let mut widened = roster.clone();
        widened.members[0].rights[0].1 = "manage".into();
        assert_eq!(Roster::verify(&root, &widened.encode(), &sig), None);
        assert_eq!(
            Roster::verify(&member_sign().public_key(), &body, &sig),
            None
        );
        assert_eq!(Roster::verify(&root, &body, &sig[..63]), None);
        let mut longer = body.clone();
        longer.push(0);
        let s2 = root_sign().sign(&longer);
        assert_eq!(Roster::verify(&root, &longer, &s2), None, "trailing bytes");
    }

    #[test]
    fn identity_text_round_trips_and_refuses_damage_without_showing_it() {
        let id = MemberIdentity {
            vault_id: VAULT_ID,
            name: "bob".into(),
            pg_role: "team_m_bob".into(),
            kem: member_kem(),
            sign: member_sign(),
            root_sign_pk: root_sign().public_key(),
        };
        let text = id.to_text();
        assert!(text.starts_with(IDENTITY_PREFIX));
        let back = MemberIdentity::parse(&text, "f").unwrap();
        assert_eq!(back.to_text().as_str(), text.as_str());
        assert_eq!(back.pg_role, "team_m_bob");
        for bad in [
            String::new(),
            text.replace(IDENTITY_PREFIX, "vault-agent-v1:"),
            text.trim_end().trim_end_matches('=').to_owned(),
            format!("{}AAAA", text.trim_end()),
        ] {
            let e = MemberIdentity::parse(&bad, "f").unwrap_err();
            assert_eq!(e.exit_code(), 5);
            let b64 = text.trim().trim_start_matches(IDENTITY_PREFIX).to_owned();
            assert!(!e.message().contains(&b64[..20]));
        }
    }
}
