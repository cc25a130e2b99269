//! Known-answer vectors of docs/FORMAT.md, must-fail cases and round trips.
//!
//! Every expected hex string below was computed by docs/kat.py, an independent
//! Python implementation of docs/FORMAT.md (RFC 5869 HKDF over Python's `hmac`,
//! AES-256-GCM from `cryptography`, Argon2id from `argon2-cffi`), not by this
//! crate. If one of these tests fails, either the code or the documented format
//! changed: fix the code, or bump the format version and re-derive the vectors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::error::Kind as ErrorKind;
use proptest::prelude::*;

// ------------------------------------------------------------------ inputs

/// 00 01 .. 1f: the key in the key file (the key-file slot's KEK).
const KEYFILE_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
/// 40 41 .. 5f.
const MASTER: &str = "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f";
/// a0 a1 .. af.
const VAULT_ID: &str = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf";
const SLOT_NONCE: &str = "b0b1b2b3b4b5b6b7b8b9babb";
const PASS_SLOT_NONCE: &str = "e0e1e2e3e4e5e6e7e8e9eaeb";
const VALUE_NONCE: &str = "c0c1c2c3c4c5c6c7c8c9cacb";
const PASSPHRASE: &[u8] = b"correct horse battery staple";
const SALT: &str = "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf";

// --------------------------------------------------------- expected outputs

const KEY_TEXT: &str = "vault-key-v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
/// The same bytes to a lax decoder, but the unused low bits of the last
/// base64 digit are set: not canonical, refused.
const KEY_TEXT_NONCANONICAL: &str = "vault-key-v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=";

const KF_WRAP_KEY: &str = "01815a36486e37f3f0bbdd6f2432d84923044359fedcf51a4c3b99d81e13dc6f";
const KF_KEY_CHECK: &str = "078769cad812be059a88154f6ea04912";
const KF_SLOT_AAD: &str =
    "7661756c742f76312f736c6f7400a0a1a2a3a4a5a6a7a8a9aaabacadaeaf6b657966696c65";
const KF_WRAPPED: &str = "f4043a5d0ab2c809e2921652bab7e9e17a3df1033ac7068fb7be8cf2fceaae69\
                          e56c2e09aa7398bc5cc3b4144ebce3b4";
/// KEYFILE_KEY with the low bit of its first byte flipped.
const WRONG_KEK: &str = "010102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const WRONG_KEK_KEY_CHECK: &str = "8eac0ab99e3414aee05c9f7b7ebd3152";

const PASS_KDF: &str = "argon2id:m=64,t=2,p=2";
const PASS_KEK: &str = "e51fac30b962149a8b852cd60667e64dfa0fc28029999ebcd74737be23897478";
const PASS_KEY_CHECK: &str = "4d940332bb59c2c7708b4d5d85b7f17e";
const PASS_SLOT_AAD: &str =
    "7661756c742f76312f736c6f7400a0a1a2a3a4a5a6a7a8a9aaabacadaeaf70617373706872617365";
const PASS_WRAPPED: &str = "79112065a15fb036dd53626255e73beca86f5482805e29807499caf4e27982bd\
                            a6ec1ec6b39e94850f646301e792a961";
/// Argon2id of "correct horse battery stapler" (one letter more), same salt and cost.
const WRONG_PASS_KEK: &str = "cc17a120e3d19a6cfe2c7128ca859a6ee84f30060dd38717257f8705fc948969";
const PASS_KDF_DEFAULT: &str = "argon2id:m=65536,t=3,p=4";
const PASS_KEK_DEFAULT: &str = "a6aa3791fffb30758a5bf7ca56c656da2929e95158b63bf875c12228fa00e69e";

const VALUE_KEY: &str = "06b3c08a60894b0894df2575f68c3065c01ced7d6f4132c746e6fed550b8914f";

struct ValueVector {
    name: &'static str,
    version: u64,
    plaintext: &'static [u8],
    aad: &'static str,
    ciphertext: &'static str,
}

const VALUES: &[ValueVector] = &[
    ValueVector {
        name: "OPENAI_API_KEY",
        version: 3,
        plaintext: b"sk-test-0123456789abcdef",
        aad: "7661756c742f76312f76616c756500a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\
              0000000e4f50454e41495f4150495f4b45590000000000000003",
        ciphertext: "2f38cc627af8d776e616703e8575671c5174310f05dc87a6\
                     c4e48782f6a7df2977e0abcacd41da3e",
    },
    ValueVector {
        name: "A",
        version: 0x0000_0001_0000_0002,
        plaintext: b"",
        aad: "7661756c742f76312f76616c756500a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\
              00000001410000000100000002",
        ciphertext: "80b97baeb39634f782353f918eb8133a",
    },
    ValueVector {
        name: "DB_PASSWORD",
        version: 1,
        plaintext: "p\u{e4}ssw\u{f6}rd \u{2713}".as_bytes(),
        aad: "7661756c742f76312f76616c756500a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\
              0000000b44425f50415353574f52440000000000000001",
        ciphertext: "2c9045656cfc60eda44362ef2dd3a88d43f8e42f7d483e418a0ad7e0e1a9",
    },
];

const POLICY_KEY: &str = "d4a90a46608ef043d3b24405fd2292ea20d931905ead8feab392ec88441bde75";
const POLICY_MSG_EMPTY: &str = "7661756c742f76312f706f6c6963790000000000000000000000000000000000";
const POLICY_TAG_EMPTY: &str = "b4fe96ab96737e56d281911dad380bbf793be8ae1db8e5561ad727f90c8e12c3";
const POLICY_MSG_EXAMPLE: &str = "7661756c742f76312f706f6c69637900\
    0000000000000002\
    000000074150495f55524c 000000087661726961626c65 00000006676c6f62616c 0000000000000001\
    00 01 0000001768747470733a2f2f6170692e6578616d706c652e636f6d\
    0000000e4f50454e41495f4150495f4b4559 00000006736563726574 000000056167656e74 0000000000000003\
    01 000000066f70656e6169 00\
    0000000000000001\
    0000000b737570706f72742d626f74 0000000e4f50454e41495f4150495f4b4559";
const POLICY_TAG_EXAMPLE: &str = "af58fd9512c4cb81ab815b99ff3a3e04cb31f616d6837fb3d9e57db5d6844ddd";

// ----------------------------------------------------------------- helpers

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn arr<const N: usize>(s: &str) -> [u8; N] {
    unhex(s).try_into().expect("length")
}

fn master() -> MasterKey {
    MasterKey::from_bytes(arr(MASTER))
}

fn kek(s: &str) -> Kek {
    Kek::from_bytes(Zeroizing::new(arr(s)))
}

fn vault_id() -> Vec<u8> {
    unhex(VAULT_ID)
}

fn flip(b: &[u8], i: usize, mask: u8) -> Vec<u8> {
    let mut v = b.to_vec();
    v[i] ^= mask;
    v
}

fn keyfile_slot() -> WrappedKey {
    WrappedKey {
        nonce: unhex(SLOT_NONCE),
        wrapped: unhex(KF_WRAPPED),
        check: unhex(KF_KEY_CHECK),
    }
}

fn value_key() -> ValueKey {
    ValueKey::derive(&master(), &vault_id()).unwrap()
}

// ------------------------------------------------------- format constants

#[test]
fn labels_and_versions_are_the_documented_ones() {
    assert_eq!(FORMAT_VERSION, 1);
    assert_eq!(
        crate::store::sqlite::SCHEMA_VERSION,
        5,
        "docs/FORMAT.md describes schema user_version 5 (§7, the audit table §18, environments, row tags §19, agent keys §20)"
    );
    assert_eq!(LABEL_ROW_KEY, b"vault/v2/row-key");
    assert_eq!(LABEL_VALUE_KEY, b"vault/v1/value-key");
    assert_eq!(LABEL_POLICY_KEY, b"vault/v1/policy-key");
    assert_eq!(LABEL_SLOT_WRAP, b"vault/v1/slot-wrap");
    assert_eq!(LABEL_SLOT_CHECK, b"vault/v1/slot-check");
    assert_eq!(AAD_VALUE, b"vault/v1/value\0");
    assert_eq!(AAD_ENV_VALUE, b"vault/v1/env-value\0");
    assert_eq!(AAD_SLOT, b"vault/v1/slot\0");
    assert_eq!(keyfile::PREFIX, "vault-key-v1:");
    assert_eq!(
        (KEY_LEN, NONCE_LEN, CHECK_LEN, VAULT_ID_LEN, SALT_LEN),
        (32, 12, 16, 16, 16)
    );
}

// ------------------------------------------------------------ key file text

#[test]
fn kat_key_file_text() {
    let key = KeyFileKey::parse(KEY_TEXT, "test").unwrap();
    assert_eq!(hex(&key.kek().0[..]), KEYFILE_KEY);
    assert_eq!(key.to_text().as_str(), KEY_TEXT);
    assert_eq!(KEY_TEXT.len(), 13 + 44 + 1);
}

#[test]
fn key_file_text_tolerates_surrounding_whitespace() {
    let body = KEY_TEXT.trim_end();
    for text in [
        body.to_string(),
        format!("{body}\r\n"),
        format!("  {body}  \n\n"),
        format!("\t{body}"),
    ] {
        let key = KeyFileKey::parse(&text, "test").unwrap();
        assert_eq!(hex(&key.kek().0[..]), KEYFILE_KEY, "{text:?}");
    }
}

#[test]
fn key_file_text_must_fail() {
    let b64 = KEY_TEXT.trim_end().strip_prefix("vault-key-v1:").unwrap();
    let cases = [
        String::new(),
        b64.to_string(),                                       // no prefix
        format!("vault-key-v2:{b64}"),                         // another format version
        format!("VAULT-KEY-V1:{b64}"),                         // prefix is case-sensitive
        format!("vault-key-v1:{}", b64.trim_end_matches('=')), // padding required
        KEY_TEXT_NONCANONICAL.to_string(),                     // non-canonical last digit
        "vault-key-v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==".to_string(), // 31 bytes
        "vault-key-v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g".to_string(), // 33 bytes
        "vault-key-v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-_".to_string(), // URL-safe alphabet
        format!("vault-key-v1:{b64}\nvault-key-v1:{b64}"),                       // two lines
    ];
    for text in &cases {
        let err = KeyFileKey::parse(text, "test").err();
        let err = err.unwrap_or_else(|| panic!("{text:?} must not parse"));
        assert_eq!(err.kind(), ErrorKind::Locked, "{text:?}");
        assert_eq!(err.exit_code(), 5);
        assert!(
            !err.message().contains(b64),
            "the key must not appear in the error"
        );
    }
}

#[test]
fn key_file_text_round_trips_generated_keys() {
    for _ in 0..16 {
        let key = KeyFileKey::generate().unwrap();
        let text = key.to_text();
        assert!(text.starts_with("vault-key-v1:") && text.ends_with('\n'));
        assert_eq!(text.len(), 58);
        let back = KeyFileKey::parse(&text, "test").unwrap();
        assert_eq!(back.kek().0[..], key.kek().0[..]);
    }
}

// ------------------------------------------------------------ key-file slot

#[test]
fn kat_keyfile_slot() {
    let (wrap, check) = slot_keys(&kek(KEYFILE_KEY), &vault_id());
    assert_eq!(hex(&wrap[..]), KF_WRAP_KEY);
    assert_eq!(hex(&check), KF_KEY_CHECK);
    assert_eq!(hex(&slot_aad(&vault_id(), "keyfile")), KF_SLOT_AAD);

    let w = wrap_master_with_nonce(
        &master(),
        &kek(KEYFILE_KEY),
        &vault_id(),
        "keyfile",
        arr(SLOT_NONCE),
    )
    .unwrap();
    assert_eq!(w, keyfile_slot());
    assert_eq!(w.wrapped.len(), 48);

    let m = unwrap_master(&kek(KEYFILE_KEY), &vault_id(), "keyfile", &keyfile_slot()).unwrap();
    assert_eq!(hex(&m.0[..]), MASTER);
}

#[test]
fn keyfile_slot_wrong_key_is_a_check_mismatch() {
    let (_, check) = slot_keys(&kek(WRONG_KEK), &vault_id());
    assert_eq!(hex(&check), WRONG_KEK_KEY_CHECK);
    let err = unwrap_master(&kek(WRONG_KEK), &vault_id(), "keyfile", &keyfile_slot()).unwrap_err();
    assert_eq!(err, UnwrapError::WrongKey);
}

#[test]
fn keyfile_slot_must_fail() {
    let good = keyfile_slot();
    let vid = vault_id();
    let k = kek(KEYFILE_KEY);
    let with = |f: &dyn Fn(&mut WrappedKey)| {
        let mut s = good.clone();
        f(&mut s);
        s
    };
    let damaged = [
        (
            "flipped tag byte",
            with(&|s| s.wrapped = flip(&s.wrapped, 47, 0x01)),
        ),
        (
            "flipped ciphertext byte",
            with(&|s| s.wrapped = flip(&s.wrapped, 0, 0x80)),
        ),
        (
            "flipped nonce byte",
            with(&|s| s.nonce = flip(&s.nonce, 0, 0x01)),
        ),
        ("short nonce", with(&|s| s.nonce.truncate(11))),
        ("long nonce", with(&|s| s.nonce.push(0))),
        ("truncated", with(&|s| s.wrapped.truncate(47))),
        ("tag only", with(&|s| s.wrapped = s.wrapped[32..].to_vec())),
        ("empty", with(&|s| s.wrapped.clear())),
    ];
    for (what, slot) in &damaged {
        let err = unwrap_master(&k, &vid, "keyfile", slot).unwrap_err();
        assert_eq!(err, UnwrapError::Damaged, "{what}");
    }
    // The key check does not cover the kind; the AAD does.
    let err = unwrap_master(&k, &vid, "passphrase", &good).unwrap_err();
    assert_eq!(err, UnwrapError::Damaged, "slot kind");

    // Anything that changes the key check reads as "not this key".
    let wrong_key = [
        (
            "flipped check byte",
            &vid,
            with(&|s| s.check = flip(&s.check, 15, 0x01)),
        ),
        ("short check", &vid, with(&|s| s.check.truncate(15))),
    ];
    for (what, vid, slot) in wrong_key {
        let err = unwrap_master(&k, vid, "keyfile", &slot).unwrap_err();
        assert_eq!(err, UnwrapError::WrongKey, "{what}");
    }
    let other_vault = flip(&vid, 15, 0x01);
    let err = unwrap_master(&k, &other_vault, "keyfile", &good).unwrap_err();
    assert_eq!(err, UnwrapError::WrongKey, "wrong vault id");
}

// ---------------------------------------------------------- passphrase slot

#[test]
fn kat_passphrase_kek_small_params() {
    let params = Argon2Params::decode(PASS_KDF).unwrap();
    assert_eq!(
        params,
        Argon2Params {
            m_kib: 64,
            t: 2,
            p: 2
        }
    );
    assert_eq!(params.encode(), PASS_KDF);
    let k = passphrase_kek(PASSPHRASE, params, &unhex(SALT)).unwrap();
    assert_eq!(hex(&k.0[..]), PASS_KEK);
    let wrong = passphrase_kek(b"correct horse battery stapler", params, &unhex(SALT)).unwrap();
    assert_eq!(hex(&wrong.0[..]), WRONG_PASS_KEK);
}

#[test]
fn kat_passphrase_kek_default_params() {
    let params = Argon2Params::RFC9106_LOW_MEMORY;
    assert_eq!(params.encode(), PASS_KDF_DEFAULT);
    assert_eq!(Argon2Params::decode(PASS_KDF_DEFAULT).unwrap(), params);
    let k = passphrase_kek(PASSPHRASE, params, &unhex(SALT)).unwrap();
    assert_eq!(hex(&k.0[..]), PASS_KEK_DEFAULT);
}

#[test]
fn kat_passphrase_slot() {
    let vid = vault_id();
    assert_eq!(hex(&slot_aad(&vid, "passphrase")), PASS_SLOT_AAD);
    let w = wrap_master_with_nonce(
        &master(),
        &kek(PASS_KEK),
        &vid,
        "passphrase",
        arr(PASS_SLOT_NONCE),
    )
    .unwrap();
    assert_eq!(hex(&w.check), PASS_KEY_CHECK);
    assert_eq!(hex(&w.wrapped), PASS_WRAPPED);
    assert_eq!(hex(&w.nonce), PASS_SLOT_NONCE);
    let m = unwrap_master(&kek(PASS_KEK), &vid, "passphrase", &w).unwrap();
    assert_eq!(hex(&m.0[..]), MASTER);
    let err = unwrap_master(&kek(WRONG_PASS_KEK), &vid, "passphrase", &w).unwrap_err();
    assert_eq!(err, UnwrapError::WrongKey, "wrong passphrase");
    let err = unwrap_master(&kek(PASS_KEK), &vid, "keyfile", &w).unwrap_err();
    assert_eq!(err, UnwrapError::Damaged, "slot kind");
}

#[test]
fn argon2_params_decoding() {
    let ok = [
        ("argon2id:m=64,t=2,p=2", (64, 2, 2)),
        ("argon2id:p=2,t=2,m=64", (64, 2, 2)),
        ("argon2id:m=8,t=1,p=1", (8, 1, 1)),
        ("argon2id:m=4194304,t=64,p=64", (4_194_304, 64, 64)),
        ("argon2id:m=512,t=1,p=64", (512, 1, 64)),
    ];
    for (s, (m, t, p)) in ok {
        assert_eq!(
            Argon2Params::decode(s).unwrap(),
            Argon2Params { m_kib: m, t, p },
            "{s}"
        );
    }
    let bad = [
        "",
        "m=64,t=2,p=2",
        "argon2i:m=64,t=2,p=2",
        "argon2d:m=64,t=2,p=2",
        "argon2id:",
        "argon2id:m=64,t=2",
        "argon2id:m=64,t=2,p=2,x=1",
        "argon2id:m=64,t=2,p=two",
        "argon2id:m=64,t=2,p=-1",
        "argon2id:m=64;t=2;p=2",
        "argon2id:m=64,t=2,p=2,",
        "argon2id:m=4194305,t=1,p=1", // above 4 GiB
        "argon2id:m=64,t=0,p=1",
        "argon2id:m=64,t=65,p=1",
        "argon2id:m=64,t=1,p=0",
        "argon2id:m=1024,t=1,p=65",
        "argon2id:m=15,t=1,p=2", // below 8 KiB per lane
        "argon2id:m=7,t=1,p=1",
        "argon2id:m=99999999999,t=1,p=1",
    ];
    for s in bad {
        let err = Argon2Params::decode(s).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Integrity, "{s}");
        assert_eq!(err.exit_code(), 6);
    }
}

#[test]
fn passphrase_kek_refuses_out_of_bounds_params_before_hashing() {
    let huge = Argon2Params {
        m_kib: u32::MAX,
        t: 1,
        p: 1,
    };
    let err = passphrase_kek(PASSPHRASE, huge, &unhex(SALT))
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Integrity);
}

#[test]
fn passphrase_slot_with_missing_or_short_salt_is_damaged() {
    let params = Argon2Params::decode(PASS_KDF).unwrap();
    for salt in [&[][..], &unhex(SALT)[..7]] {
        let err = passphrase_kek(PASSPHRASE, params, salt).err().unwrap();
        assert_eq!(
            err.kind(),
            ErrorKind::Integrity,
            "salt of {} bytes",
            salt.len()
        );
    }
    // 8 bytes is the shortest salt Argon2id accepts; vault writes 16.
    assert!(passphrase_kek(PASSPHRASE, params, &unhex(SALT)[..8]).is_ok());
}

// ------------------------------------------------------------------- values

#[test]
fn kat_value_key() {
    assert_eq!(
        hex(&hkdf32(&unhex(MASTER), &vault_id(), LABEL_VALUE_KEY)[..]),
        VALUE_KEY
    );
}

#[test]
fn kat_value_aad() {
    for v in VALUES {
        assert_eq!(
            hex(&value_aad(&vault_id(), v.name, v.version)),
            unhex_str(v.aad),
            "{}",
            v.name
        );
    }
}

/// The vectors' hex with line-continuation whitespace removed.
fn unhex_str(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn kat_value_seal_and_open() {
    let k = value_key();
    for v in VALUES {
        let s = k
            .seal_with_nonce(v.name, v.version, v.plaintext, arr(VALUE_NONCE))
            .unwrap();
        assert_eq!(hex(&s.nonce), VALUE_NONCE);
        assert_eq!(hex(&s.ciphertext), unhex_str(v.ciphertext), "{}", v.name);
        assert_eq!(s.ciphertext.len(), v.plaintext.len() + 16);
        let plain = k
            .open(v.name, v.version, &unhex(VALUE_NONCE), &unhex(v.ciphertext))
            .unwrap();
        assert_eq!(&plain[..], v.plaintext, "{}", v.name);
    }
}

#[test]
fn value_must_fail() {
    let k = value_key();
    let nonce = unhex(VALUE_NONCE);
    for v in VALUES {
        let ct = unhex(v.ciphertext);
        let last = ct.len() - 1;
        let mut cases: Vec<(String, Result<Zeroizing<Vec<u8>>>)> = vec![
            (
                "flipped tag byte".into(),
                k.open(v.name, v.version, &nonce, &flip(&ct, last, 0x01)),
            ),
            (
                "flipped nonce byte".into(),
                k.open(v.name, v.version, &flip(&nonce, 11, 0x80), &ct),
            ),
            (
                "short nonce".into(),
                k.open(v.name, v.version, &nonce[..11], &ct),
            ),
            (
                "truncated".into(),
                k.open(v.name, v.version, &nonce, &ct[..last]),
            ),
            ("empty".into(), k.open(v.name, v.version, &nonce, &[])),
            (
                "wrong name".into(),
                k.open("ANTHROPIC_API_KEY", v.version, &nonce, &ct),
            ),
            (
                "name + suffix".into(),
                k.open(&format!("{}X", v.name), v.version, &nonce, &ct),
            ),
            (
                "version + 1".into(),
                k.open(v.name, v.version + 1, &nonce, &ct),
            ),
            (
                "version - 1".into(),
                k.open(v.name, v.version - 1, &nonce, &ct),
            ),
        ];
        if !v.plaintext.is_empty() {
            cases.push((
                "flipped ciphertext byte".into(),
                k.open(v.name, v.version, &nonce, &flip(&ct, 0, 0x01)),
            ));
        }
        let other_vault = ValueKey::derive(&master(), &flip(&vault_id(), 15, 0x01)).unwrap();
        cases.push((
            "wrong vault id".into(),
            other_vault.open(v.name, v.version, &nonce, &ct),
        ));
        // The master key with its first byte 40 -> 41.
        let wrong_master: [u8; 32] = flip(&unhex(MASTER), 0, 0x01).try_into().unwrap();
        let other_master =
            ValueKey::derive(&MasterKey::from_bytes(wrong_master), &vault_id()).unwrap();
        cases.push((
            "wrong master key".into(),
            other_master.open(v.name, v.version, &nonce, &ct),
        ));
        for (what, r) in cases {
            let err = r
                .err()
                .unwrap_or_else(|| panic!("{} {what}: opened", v.name));
            assert_eq!(err.kind(), ErrorKind::Integrity, "{} {what}", v.name);
            assert_eq!(err.exit_code(), 6);
        }
    }
}

#[test]
fn value_aad_is_unambiguous() {
    // The length prefix keeps (name, version) pairs apart even when the
    // concatenated bytes would otherwise line up.
    let vid = vault_id();
    assert_ne!(
        value_aad(&vid, "AB", 1),
        value_aad(&vid, "A", 0x4200_0000_0000_0000)
    );
    assert_ne!(value_aad(&vid, "", 0), value_aad(&vid, "A", 0));
}

/// docs/FORMAT.md §8.8 (computed by docs/kat.py): a value of an
/// environment binds it; the shared row keeps the format-1 AAD.
#[test]
fn kat_environment_value() {
    let k = value_key();
    let aad = value_aad_env(&vault_id(), "production", "DB_URL", 2);
    assert_eq!(
        hex(&aad),
        "7661756c742f76312f656e762d76616c756500a0a1a2a3a4a5a6a7a8a9aaabacadaeaf0000000a70726f64756374696f6e0000000644425f55524c0000000000000002"
    );
    assert_eq!(
        value_aad_env(&vault_id(), "", "DB_URL", 2),
        value_aad(&vault_id(), "DB_URL", 2)
    );
    let plain = b"postgres://prod.example/db";
    let s = k
        .seal_env_with_nonce("production", "DB_URL", 2, plain, arr(VALUE_NONCE))
        .unwrap();
    assert_eq!(
        hex(&s.ciphertext),
        "2c3c926278f9c628ec086d7dc32f35050c35310016d487efa4161b8c95426879eff68144f3f994e372c6"
    );
    let nonce = unhex(VALUE_NONCE);
    assert_eq!(
        &k.open_in("production", "DB_URL", 2, &nonce, &s.ciphertext)
            .unwrap()[..],
        plain
    );
    for (env, name, version) in [
        ("", "DB_URL", 2),
        ("staging", "DB_URL", 2),
        ("productio", "DB_URL", 2),
        ("production", "DB_URL", 1),
        ("production", "DB_UR", 2),
    ] {
        let err = k
            .open_in(env, name, version, &nonce, &s.ciphertext)
            .err()
            .unwrap_or_else(|| panic!("opened as {env:?} {name} {version}"));
        assert_eq!(err.exit_code(), 6, "{env:?}");
    }
    // A shared value does not open as any environment's.
    let shared = k.seal_in("", "DB_URL", 2, plain).unwrap();
    assert!(k
        .open_in("production", "DB_URL", 2, &shared.nonce, &shared.ciphertext)
        .is_err());
    assert!(k
        .open_in("", "DB_URL", 2, &shared.nonce, &shared.ciphertext)
        .is_ok());
}

#[test]
fn environment_aad_is_unambiguous() {
    let vid = vault_id();
    assert_ne!(
        value_aad_env(&vid, "ab", "C", 1),
        value_aad_env(&vid, "a", "BC", 1)
    );
    assert_ne!(value_aad_env(&vid, "a", "B", 1), value_aad(&vid, "B", 1));
}

// ------------------------------------------------------------------- policy

#[test]
fn kat_policy_key_and_tags() {
    assert_eq!(
        hex(&hkdf32(&unhex(MASTER), &vault_id(), LABEL_POLICY_KEY)[..]),
        POLICY_KEY
    );
    let pk = PolicyKey::derive(&master(), &vault_id());
    assert_eq!(hex(&pk.0[..]), POLICY_KEY);
    let empty = unhex(POLICY_MSG_EMPTY);
    assert_eq!(&empty[..16], b"vault/v1/policy\0");
    assert_eq!(hex(&pk.tag(&empty)), POLICY_TAG_EMPTY);
    assert!(pk.verify(&empty, &unhex(POLICY_TAG_EMPTY)));
    let example = unhex(POLICY_MSG_EXAMPLE);
    assert_eq!(hex(&pk.tag(&example)), POLICY_TAG_EXAMPLE);
    assert!(pk.verify(&example, &unhex(POLICY_TAG_EXAMPLE)));
    assert!(!pk.verify(&example, &flip(&unhex(POLICY_TAG_EXAMPLE), 0, 0x01)));
    assert!(!pk.verify(&example, &unhex(POLICY_TAG_EMPTY)));
    assert!(!pk.verify(&example, &unhex(POLICY_TAG_EXAMPLE)[..31]));
}

#[test]
fn derived_keys_are_separated_by_label() {
    let m = unhex(MASTER);
    let vid = vault_id();
    let keys = [
        hkdf32(&m, &vid, LABEL_VALUE_KEY),
        hkdf32(&m, &vid, LABEL_POLICY_KEY),
        hkdf32(&m, &vid, LABEL_SLOT_WRAP),
        hkdf32(&m, &vid, LABEL_SLOT_CHECK),
    ];
    for i in 0..keys.len() {
        for j in i + 1..keys.len() {
            assert_ne!(keys[i][..], keys[j][..]);
        }
    }
}

// -------------------------------------------------------------- round trips

#[test]
fn slots_round_trip_with_random_keys_and_nonces() {
    let mut vid = [0u8; VAULT_ID_LEN];
    random_bytes(&mut vid).unwrap();
    let m = MasterKey::generate().unwrap();
    let key = KeyFileKey::generate().unwrap();
    let a = wrap_master(&m, &key.kek(), &vid, "keyfile").unwrap();
    let b = wrap_master(&m, &key.kek(), &vid, "keyfile").unwrap();
    assert_ne!(a.nonce, b.nonce, "fresh nonce per wrap");
    assert_ne!(a.wrapped, b.wrapped);
    assert_eq!(
        a.check, b.check,
        "the check depends only on KEK and vault id"
    );
    for slot in [&a, &b] {
        let back = unwrap_master(&key.kek(), &vid, "keyfile", slot).unwrap();
        assert_eq!(back.0[..], m.0[..]);
    }
    let other = KeyFileKey::generate().unwrap();
    assert_eq!(
        unwrap_master(&other.kek(), &vid, "keyfile", &a).unwrap_err(),
        UnwrapError::WrongKey
    );

    let params = Argon2Params {
        m_kib: 32,
        t: 1,
        p: 1,
    };
    let mut salt = [0u8; SALT_LEN];
    random_bytes(&mut salt).unwrap();
    let pk = passphrase_kek(b"hunter2", params, &salt).unwrap();
    let p = wrap_master(&m, &pk, &vid, "passphrase").unwrap();
    let again = passphrase_kek(b"hunter2", params, &salt).unwrap();
    let back = unwrap_master(&again, &vid, "passphrase", &p).unwrap();
    assert_eq!(back.0[..], m.0[..]);
    let wrong = passphrase_kek(b"hunter3", params, &salt).unwrap();
    assert_eq!(
        unwrap_master(&wrong, &vid, "passphrase", &p).unwrap_err(),
        UnwrapError::WrongKey
    );
}

#[test]
fn seal_uses_a_fresh_nonce_each_time() {
    let k = value_key();
    let a = k.seal("A", 1, b"same").unwrap();
    let b = k.seal("A", 1, b"same").unwrap();
    assert_eq!(a.nonce.len(), NONCE_LEN);
    assert_ne!(a.nonce, b.nonce);
    assert_ne!(a.ciphertext, b.ciphertext);
    assert_eq!(
        &k.open("A", 1, &a.nonce, &a.ciphertext).unwrap()[..],
        b"same"
    );
    assert_eq!(
        &k.open("A", 1, &b.nonce, &b.ciphertext).unwrap()[..],
        b"same"
    );
}

#[test]
fn debug_output_never_shows_keys() {
    assert_eq!(format!("{:?}", master()), "MasterKey(<redacted>)");
    let key = KeyFileKey::parse(KEY_TEXT, "test").unwrap();
    assert_eq!(format!("{key:?}"), "KeyFileKey(<redacted>)");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn seal_open_round_trips(
        master_bytes in any::<[u8; 32]>(),
        vid in any::<[u8; 16]>(),
        name in "[A-Z_][A-Z0-9_]{0,40}",
        version in any::<u64>(),
        plaintext in prop::collection::vec(any::<u8>(), 0..1024),
    ) {
        let k = ValueKey::derive(&MasterKey::from_bytes(master_bytes), &vid).unwrap();
        let s = k.seal(&name, version, &plaintext).unwrap();
        prop_assert_eq!(s.nonce.len(), NONCE_LEN);
        prop_assert_eq!(s.ciphertext.len(), plaintext.len() + 16);
        let back = k.open(&name, version, &s.nonce, &s.ciphertext).unwrap();
        prop_assert_eq!(&back[..], &plaintext[..]);
    }

    #[test]
    fn any_single_bit_flip_fails(
        plaintext in prop::collection::vec(any::<u8>(), 0..256),
        version in any::<u64>(),
        bit in any::<usize>(),
    ) {
        let k = value_key();
        let s = k.seal("OPENAI_API_KEY", version, &plaintext).unwrap();
        let total_bits = (s.nonce.len() + s.ciphertext.len()) * 8;
        let bit = bit % total_bits;
        let (byte, mask) = (bit / 8, 1u8 << (bit % 8));
        let (nonce, ct) = if byte < NONCE_LEN {
            (flip(&s.nonce, byte, mask), s.ciphertext.clone())
        } else {
            (s.nonce.clone(), flip(&s.ciphertext, byte - NONCE_LEN, mask))
        };
        let err = k.open("OPENAI_API_KEY", version, &nonce, &ct).err();
        prop_assert!(err.is_some(), "bit {} flipped and it still opened", bit);
        prop_assert_eq!(err.map(|e| e.kind()), Some(ErrorKind::Integrity));
    }

    #[test]
    fn another_row_never_opens(
        plaintext in prop::collection::vec(any::<u8>(), 0..64),
        name in "[A-Z_][A-Z0-9_]{0,20}",
        other in "[A-Z_][A-Z0-9_]{0,20}",
        version in 1u64..1_000_000,
        other_version in 1u64..1_000_000,
    ) {
        prop_assume!(name != other || version != other_version);
        let k = value_key();
        let s = k.seal(&name, version, &plaintext).unwrap();
        prop_assert!(k.open(&other, other_version, &s.nonce, &s.ciphertext).is_err());
    }

    #[test]
    fn slot_wrap_round_trips(
        master_bytes in any::<[u8; 32]>(),
        kek_bytes in any::<[u8; 32]>(),
        vid in any::<[u8; 16]>(),
        passphrase_kind in any::<bool>(),
    ) {
        let kind = if passphrase_kind { "passphrase" } else { "keyfile" };
        let k = Kek::from_bytes(Zeroizing::new(kek_bytes));
        let w = wrap_master(&MasterKey::from_bytes(master_bytes), &k, &vid, kind).unwrap();
        let back = unwrap_master(&k, &vid, kind, &w).unwrap();
        prop_assert_eq!(&back.0[..], &master_bytes[..]);
    }
}

#[test]
fn pooled_nonces_are_never_reused_across_refills() {
    let k = ValueKey::derive(&MasterKey::from_bytes([9u8; 32]), &[3u8; 16]).unwrap();
    let mut seen = std::collections::HashSet::new();
    // More than three pool refills' worth.
    for i in 0..(NoncePool::NONCES * 3 + 17) {
        let s = k.seal("NAME", i as u64, b"v").unwrap();
        assert_eq!(s.nonce.len(), NONCE_LEN);
        assert_ne!(
            s.nonce,
            vec![0u8; NONCE_LEN],
            "a consumed (zeroed) slot was handed out"
        );
        assert!(seen.insert(s.nonce), "nonce reused at seal {i}");
    }
}
