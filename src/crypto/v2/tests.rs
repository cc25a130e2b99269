//! Known-answer vectors of docs/FORMAT.md §10–§17 (format 2), must-fail
//! cases for every binding, and property tests.
//!
//! Every expected hex string below was computed by docs/kat_v2.py, an
//! independent Python implementation of the page (HKDF from RFC 5869 on
//! `hmac`, HPKE base mode written out from RFC 9180 on `cryptography`'s X25519
//! and AES-GCM and checked against RFC 9180 A.1.1, Ed25519 from OpenSSL), not
//! by this crate. If one of these tests fails, the code or the format changed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::error::Kind as ErrorKind;
use proptest::prelude::*;

// ------------------------------------------------------------------ inputs

const MASTER: &str = "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f";
const VAULT_ID: &str = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf";
const OTHER_VAULT: &str = "a0a1a2a3a4a5a6a7a8a9aaabacadaeae";
const DEK: &str = "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f";
const RWK: &str = "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
const AK: &str = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
const VALUE_NONCE: &str = "c0c1c2c3c4c5c6c7c8c9cacb";
const ROOT_WRAP_NONCE: &str = "f0f1f2f3f4f5f6f7f8f9fafb";
const AGENT_WRAP_NONCE: &str = "505152535455565758595a5b";
const ROOT_KEYS_NONCE: &str = "707172737475767778797a7b";
/// SHA-256 of "vault kat root kem", "... root sign", "... agent kem", "... agent sign", "... ikmE", "... audit head".
const ROOT_KEM_SK: &str = "0d90ed15ec9aa54da47d34765b6f8a122e4a7d3a4e61e0514de124da9e9c4d50";
const ROOT_SIGN_SEED: &str = "22c4aafd03d8806a390b91313bacf8472cf858cfb567a572ea4bcc62d459ff5e";
const AGENT_KEM_SK: &str = "8c9b0f0ec531e956f81a40ac239593062f673e7fc5c11dd5b7f94b6c300f3d4e";
const AGENT_SIGN_SEED: &str = "7ec3f82a33981c47b2b18b401634c8f51125af621bd7d3896d699780f726142b";
const IKM_E: &str = "0995fb1f21f9ae7f47c45d9f78670c7e7d31a58af1a38fb1683ce05c6b3c1588";
const AUDIT_HASH: &str = "c725b554cbe90f26f3cff029c103cba513d41727e41af30c8e6d72e84b345397";
const AGENT_ID: u64 = 7;
const EPOCH: u64 = 2;
const NAME: &str = "OPENAI_API_KEY";
const VERSION: u64 = 3;
const PLAIN: &[u8] = b"sk-test-0123456789abcdef";

// --------------------------------------------------------- expected outputs

const ROOT_KEM_PK: &str = "77bdee579178745f796fdb50bff567806a25a6edecf95460285f5932d47cb025";
const ROOT_SIGN_PK: &str = "fb2ffe1f8dc46e32ada9091fb0531da5dc8296c8b2cff47c9e33d3207844e665";
const AGENT_KEM_PK: &str = "3dd827a7d2dd7a19ddd66477f7e047962a1697dd601a2d1703bc601a6c5ed301";
const AGENT_SIGN_PK: &str = "0a88437fa1774b427a11cee175c06191c14ee7402310bc54f293a1aca566d999";

const VALUE_SHARED_AAD: &str = "7661756c742f76322f76616c756500a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\
                                00000000 0000000e4f50454e41495f4150495f4b4559 0000000000000003";
const VALUE_SHARED_CT: &str = "924bbda37060afce5fdd2a31bbec2e22be046331bbd5ac90\
                               8bf3906e6f978b71e0f563801be09dd0";
const VALUE_PROD_AAD: &str = "7661756c742f76322f76616c756500a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\
                              0000000470726f64 0000000e4f50454e41495f4150495f4b4559 0000000000000003";
const VALUE_PROD_CT: &str = "924bbda37060afce5fdd2a31bbec2e22be046331bbd5ac90\
                             f1de024a9a9e537897c7a1848954d4e8";
const ROOT_WRAP_AAD: &str = "7661756c742f76322f64656b2d726f6f7400a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\
                             00000000 0000000e4f50454e41495f4150495f4b4559 0000000000000003";
const ROOT_WRAP: &str = "f0f1f2f3f4f5f6f7f8f9fafb 9d5fe64700a25c57966042596223e5221a4b60bf24de52aa\
                         ad66ba087f210aff58192cbdb79b5573610d3ec89a57f54c";
const AGENT_WRAP_AAD: &str = "7661756c742f76322f64656b00a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\
                              0000000470726f64 0000000e4f50454e41495f4150495f4b4559 0000000000000003\
                              0000000000000007 0000000000000002";
const AGENT_WRAP: &str =
    "505152535455565758595a5b d1c1ca71554a116a5c6660710164edc0ac9d3d4c0c830f77\
                          da85a221cc775e46e75574f04cef53144682e5b8d5d0fc9d";
const KEYRING_AGENT_INFO: &str =
    "7661756c742f76322f6b657972696e6700a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\
                                  0000000000000007 0000000000000002 0000000000000007";
const KEYRING_AGENT_WRAP: &str =
    "99d796ecb36169150ebdba5cac86607510bd0c0af707eeeb344e5d0fa4bfb320\
     e36c5de3e1b80508fbb2da548aaa275b9b146b49b657bf6703a1607060949afbe28ca6b3b893c01f2fd57464ce6ad67d";
const KEYRING_ROOT_WRAP: &str =
    "99d796ecb36169150ebdba5cac86607510bd0c0af707eeeb344e5d0fa4bfb320\
     b930b2a1ace0a8c584639fb487f93bbdec810174f717ff97940449bff940d0814321795f1181592e54908f0020391b92";
const ROOT_WRAP_KEY: &str = "37991b51212f9e5dddd0a84af0d638dbaebb872d2fd513c1af875a91988fb961";
const ROOT_KEYS_BLOB: &str = "707172737475767778797a7b\
     909edad99f4d96606f636621af32f65d181acbbd2ffd025b6bdd6fad87ba698a677df3a8811ee4041ca54054eccb0fee\
     68a141a64c98ad6436ebd694d8af001ef3dac35e302fdc44af5efecb1b4b3c8d63f0c26e02004ce0d23031ab2c1a5971\
     3b3a1e4b3687b17fd203a3d38c4008bd";
const CIPHERTEXT_HASH: &str = "14f277d4f17e286dc4615c52e099ce44e240b463ac7e02128563002632ff8dd2";
const STATEMENT: &str = "7661756c742f76322f73746174656d656e7400 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\
     0000000000000007 0000000b737570706f72742d626f74 0000000470726f64\
     0000000000000005 0000000000000001 0000000000000002 000000006955b900 0000000000000009\
     c725b554cbe90f26f3cff029c103cba513d41727e41af30c8e6d72e84b345397 0000000000000002\
     000000074150495f55524c 00000000 000000087661726961626c65 00 0000000000000001 00\
     01 0000001768747470733a2f2f6170692e6578616d706c652e636f6d\
     0000000e4f50454e41495f4150495f4b4559 0000000470726f64 00000006736563726574 01 0000000000000003\
     01 000000066f70656e6169\
     00 14f277d4f17e286dc4615c52e099ce44e240b463ac7e02128563002632ff8dd2";
const STATEMENT_SIG: &str = "87611c32fbe4a5c0dbb5825d970cf1993391085949b84d64eb38ef04c49437a0\
                             edf5b63707b4dfa1c8d6e1a0f2f04a8d97fb3df8f583071ef4a3544bf45e0600";
const STATEMENT_EMPTY_SIG: &str = "de5a23e2bc63f1b2d9960cfe80e9af85c5886a96ab47687033b7755f8c775745\
                                   eee621cad79c30ce309d7941650b52dc7360b48a2cb216cab5c46e408628db05";
const AGENT_KEY_TEXT: &str = "vault-agent-v1:oKGio6SlpqeoqaqrrK2urwAAAAAAAAAHjJsPDsUx6Vb4GkCsI5WTBi9nPn/FwR3Vt/lLbDAPPU5+w/gqM5gcR7Kxi0AWNMj1ESWvYhvX04ltaZeA9yYUK/sv/h+NxG4yrakJH7BTHaXcgpbIss/0fJ4z0yB4ROZl\n";
const ROOT_FINGERPRINT: &str =
    "vault-root:SHA256:6ccd51da9dc7ee2d1110db4fe5a15501e0f27e46e21583fb85f6ffe5c5ca1dfa";
const ENROLL_REQUEST: &str = "vault-enroll-v1:oKGio6SlpqeoqaqrrK2urwAAAAVhZ2VudAAAAAtzdXBwb3J0LWJvdD3YJ6fS3XoZ3dZkd/fgR5YqFpfdYBotFwO8YBpsXtMBCohDf6F3S0J6Ec7hdcBhkcFO50AjELxU8pOhrKVm2ZkAAAAAwljn9Y+ON1pTWWQ/4Ljgv/EgzomcDuEVZJQz2WFBL9YBfOz5ZcHxWR5cVn4aVEX1WESne5KuNLNfbyoJBX8sAw==";
/// A correctly self-signed request whose encryption key is the order-8 point e0eb7a…b800.
const ENROLL_SMALL_ORDER: &str = "vault-enroll-v1:oKGio6SlpqeoqaqrrK2urwAAAAVhZ2VudAAAAAtzdXBwb3J0LWJvdODrenw7QbiuFlbj+vGfxGraCY3rnDKx/YZiBRZfSbgACohDf6F3S0J6Ec7hdcBhkcFO50AjELxU8pOhrKVm2ZkAAAAAA7Hrou/m6AbKxPCA7tKlqsKwrBBxIKX7+veMGaQps7DOsqvLUnFy3PI8gyf0KQ8LgdKbGgdkpaCyTIQkbdt4Aw==";

// ------------------------------------------------------------------ helpers

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn arr<const N: usize>(s: &str) -> [u8; N] {
    unhex(s).try_into().expect("length")
}

fn flip(b: &[u8], i: usize) -> Vec<u8> {
    let mut x = b.to_vec();
    x[i] ^= 0x01;
    x
}

fn vid() -> Vec<u8> {
    unhex(VAULT_ID)
}

fn dek() -> DataKey {
    DataKey::from_bytes(arr(DEK))
}

fn ak() -> KeyringKey {
    KeyringKey::from_bytes(arr(AK))
}

fn agent_kem() -> KemSecretKey {
    KemSecretKey::from_bytes(Zeroizing::new(arr(AGENT_KEM_SK)))
}

fn root_kem() -> KemSecretKey {
    KemSecretKey::from_bytes(Zeroizing::new(arr(ROOT_KEM_SK)))
}

fn root_sign() -> SignSecretKey {
    SignSecretKey::from_seed(&arr(ROOT_SIGN_SEED))
}

fn agent_sign() -> SignSecretKey {
    SignSecretKey::from_seed(&arr(AGENT_SIGN_SEED))
}

fn slot<'a>(v: &'a [u8], env: &'a str) -> Slot<'a> {
    Slot {
        vault_id: v,
        env,
        name: NAME,
        version: VERSION,
    }
}

fn example_statement() -> Statement {
    Statement {
        vault_id: arr(VAULT_ID),
        agent_id: AGENT_ID,
        agent_name: "support-bot".into(),
        env: "prod".into(),
        policy_seq: 5,
        roster_epoch: 1,
        keyring_epoch: EPOCH,
        expires_unix: 1_767_225_600,
        signer_audit_seq: 9,
        signer_audit_hash: arr(AUDIT_HASH),
        // Deliberately out of order: encode sorts by (name, env).
        entries: vec![
            Entry {
                name: NAME.into(),
                env: "prod".into(),
                scope: Scope::Grant,
                version: VERSION,
                provider: Some("openai".into()),
                content: Content::Secret(arr(CIPHERTEXT_HASH)),
            },
            Entry {
                name: "API_URL".into(),
                env: String::new(),
                scope: Scope::Global,
                version: 1,
                provider: None,
                content: Content::Variable("https://api.example.com".into()),
            },
        ],
    }
}

// ------------------------------------------------------------------ HPKE against the RFC

/// RFC 9180 Appendix A.1.1 (base mode, X25519, HKDF-SHA256, AES-128-GCM)
/// through the `hpke` crate and our fixed-ikm generator: the same path a
/// keyring wrap takes, with the RFC's suite. It proves the crate and the
/// way we feed it ephemeral key material match the standard.
#[test]
fn kat_rfc9180_a11_base_mode() {
    let ikm_r = unhex("6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037");
    let (sk_r, pk_r) = <Kem as hpke::Kem>::derive_keypair(&ikm_r);
    assert_eq!(
        hex(&pk_r.to_bytes()),
        "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d"
    );
    // hpke keeps private keys clamped (RFC 7748), so the RFC's unclamped
    // skRm is not compared; the public key and the ciphertext below are.
    let info = unhex("4f6465206f6e2061204772656369616e2055726e");
    let pt = unhex("4265617574792069732074727574682c20747275746820626561757479");
    let aad = unhex("436f756e742d30");
    let mut rng = IkmRng::new(Zeroizing::new(arr(
        "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234",
    )));
    let (enc, ct) = hpke::single_shot_seal_with_rng::<hpke::aead::AesGcm128, Kdf, Kem>(
        &hpke::OpModeS::Base,
        &pk_r,
        &info,
        &pt,
        &aad,
        &mut rng,
    )
    .unwrap();
    assert!(rng.consumed_exactly());
    assert_eq!(
        hex(&enc.to_bytes()),
        "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431"
    );
    assert_eq!(
        hex(&ct),
        "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a"
    );
    let back = hpke::single_shot_open::<hpke::aead::AesGcm128, Kdf, Kem>(
        &hpke::OpModeR::Base,
        &sk_r,
        &enc,
        &info,
        &ct,
        &aad,
    )
    .unwrap();
    assert_eq!(back, pt);
}

// ------------------------------------------------------------------ keys and labels

#[test]
fn labels_are_the_documented_ones() {
    assert_eq!(AAD_VALUE, b"vault/v2/value\0");
    assert_eq!(AAD_DEK_ROOT, b"vault/v2/dek-root\0");
    assert_eq!(AAD_DEK_AGENT, b"vault/v2/dek\0");
    assert_eq!(INFO_KEYRING, b"vault/v2/keyring\0");
    assert_eq!(LABEL_ROOT_WRAP, b"vault/v2/root-wrap");
    assert_eq!(AAD_ROOT_KEYS, b"vault/v2/root-keys\0");
    assert_eq!(STATEMENT_PREFIX, b"vault/v2/statement\0");
    assert_eq!(ENROLL_SIG_PREFIX, b"vault/v2/enroll\0");
    assert_eq!(AGENT_KEY_PREFIX, "vault-agent-v1:");
    assert_eq!(ENROLL_PREFIX, "vault-enroll-v1:");
    assert_eq!(FORMAT_VERSION, 2);
}

#[test]
fn kat_public_keys() {
    assert_eq!(
        hex(&agent_kem().public_key().unwrap().to_bytes()),
        AGENT_KEM_PK
    );
    assert_eq!(
        hex(&root_kem().public_key().unwrap().to_bytes()),
        ROOT_KEM_PK
    );
    assert_eq!(hex(&agent_sign().public_key().to_bytes()), AGENT_SIGN_PK);
    assert_eq!(hex(&root_sign().public_key().to_bytes()), ROOT_SIGN_PK);
}

#[test]
fn secret_types_never_print_their_bytes() {
    let shown = format!(
        "{:?} {:?} {:?} {:?} {:?} {:?}",
        dek(),
        ak(),
        RootWrapKey::from_bytes(arr(RWK)),
        agent_kem(),
        agent_sign(),
        AgentKey::parse(AGENT_KEY_TEXT, "test").unwrap()
    );
    assert!(shown.contains("<redacted>"));
    for secret in [DEK, AK, RWK, AGENT_KEM_SK, AGENT_SIGN_SEED] {
        assert!(!shown.contains(secret), "{shown}");
        assert!(!shown.contains(&secret[..16]), "{shown}");
    }
}

#[test]
fn open_errors_map_to_locked_and_integrity() {
    let e = OpenError::NotMine.into_error("the keyring wrap of agent support-bot");
    assert_eq!(e.kind(), ErrorKind::Locked);
    assert_eq!(e.exit_code(), 5);
    assert!(e.hint_text().is_some());
    let e = OpenError::Damaged.into_error("the keyring wrap of agent support-bot");
    assert_eq!(e.kind(), ErrorKind::Integrity);
    assert_eq!(e.exit_code(), 6);
    assert!(e.hint_text().is_some());
}

// ------------------------------------------------------------------ values

#[test]
fn kat_values() {
    let v = vid();
    for (env, aad, ct) in [
        ("", VALUE_SHARED_AAD, VALUE_SHARED_CT),
        ("prod", VALUE_PROD_AAD, VALUE_PROD_CT),
    ] {
        assert_eq!(hex(&slot(&v, env).value_aad()), hex(&unhex(aad)));
        let sealed = dek()
            .seal_value_with_nonce(&slot(&v, env), PLAIN, arr(VALUE_NONCE))
            .unwrap();
        assert_eq!(hex(&sealed.nonce), VALUE_NONCE);
        assert_eq!(hex(&sealed.ciphertext), hex(&unhex(ct)));
        let back = dek()
            .open_value(&slot(&v, env), &sealed.nonce, &sealed.ciphertext)
            .unwrap();
        assert_eq!(&back[..], PLAIN);
    }
}

#[test]
fn values_must_fail() {
    let v = vid();
    let other = unhex(OTHER_VAULT);
    let nonce = unhex(VALUE_NONCE);
    for (env, ct) in [("", unhex(VALUE_SHARED_CT)), ("prod", unhex(VALUE_PROD_CT))] {
        let good = slot(&v, env);
        let cases: Vec<(Slot, Vec<u8>, Vec<u8>)> = vec![
            (
                Slot {
                    name: "ANTHROPIC_API_KEY",
                    ..good
                },
                nonce.clone(),
                ct.clone(),
            ),
            (
                Slot {
                    name: "OPENAI_API_KEYX",
                    ..good
                },
                nonce.clone(),
                ct.clone(),
            ),
            (
                Slot {
                    version: VERSION + 1,
                    ..good
                },
                nonce.clone(),
                ct.clone(),
            ),
            (
                Slot {
                    version: VERSION - 1,
                    ..good
                },
                nonce.clone(),
                ct.clone(),
            ),
            (
                Slot {
                    env: if env.is_empty() { "prod" } else { "" },
                    ..good
                },
                nonce.clone(),
                ct.clone(),
            ),
            (
                Slot {
                    env: "staging",
                    ..good
                },
                nonce.clone(),
                ct.clone(),
            ),
            (
                Slot {
                    vault_id: &other,
                    ..good
                },
                nonce.clone(),
                ct.clone(),
            ),
            (good, nonce.clone(), flip(&ct, ct.len() - 1)),
            (good, nonce.clone(), flip(&ct, 0)),
            (good, flip(&nonce, 0), ct.clone()),
            (good, nonce[..11].to_vec(), ct.clone()),
            (good, nonce.clone(), ct[..ct.len() - 1].to_vec()),
            (good, nonce.clone(), Vec::new()),
        ];
        for (i, (s, n, c)) in cases.iter().enumerate() {
            assert_eq!(
                dek().open_value(s, n, c).err(),
                Some(OpenError::Damaged),
                "case {i}"
            );
        }
        let wrong = DataKey::from_bytes(arr(AK));
        assert_eq!(
            wrong.open_value(&good, &nonce, &ct).err(),
            Some(OpenError::Damaged)
        );
    }
}

// ------------------------------------------------------------------ root and agent wraps

#[test]
fn kat_root_wrap() {
    let v = vid();
    let rwk = RootWrapKey::from_bytes(arr(RWK));
    assert_eq!(
        hex(&slot(&v, "").root_wrap_aad()),
        hex(&unhex(ROOT_WRAP_AAD))
    );
    let w = rwk
        .wrap_with_nonce(&slot(&v, ""), &dek(), arr(ROOT_WRAP_NONCE))
        .unwrap();
    assert_eq!(w.len(), SYM_WRAP_LEN);
    assert_eq!(hex(&w), hex(&unhex(ROOT_WRAP)));
    let back = rwk.unwrap(&slot(&v, ""), &w).unwrap();
    assert_eq!(hex(&back.0[..]), DEK);
}

/// The pooled sealer of imports gives the documented bytes: fed the KAT's
/// data key and nonces as its randomness, it seals the value and wraps the
/// key exactly as `seal_value_with_nonce` and `wrap_with_nonce` do.
#[test]
fn kat_value_sealer_matches_the_vectors() {
    let v = vid();
    for (env, ct) in [("", VALUE_SHARED_CT), ("prod", VALUE_PROD_CT)] {
        let mut random = unhex(DEK);
        random.extend_from_slice(&unhex(VALUE_NONCE));
        random.extend_from_slice(&unhex(ROOT_WRAP_NONCE));
        let mut sealer = RootWrapKey::from_bytes(arr(RWK))
            .sealer()
            .unwrap()
            .with_random(&random);
        let (sealed, wrap) = sealer.seal(&slot(&v, env), PLAIN).unwrap();
        assert_eq!(hex(&sealed.nonce), VALUE_NONCE);
        assert_eq!(hex(&sealed.ciphertext), hex(&unhex(ct)));
        let expected = RootWrapKey::from_bytes(arr(RWK))
            .wrap_with_nonce(&slot(&v, env), &dek(), arr(ROOT_WRAP_NONCE))
            .unwrap();
        assert_eq!(hex(&wrap), hex(&expected));
        if env.is_empty() {
            assert_eq!(hex(&wrap), hex(&unhex(ROOT_WRAP)));
        }
    }
}

/// Past the pool's 64 values the sealer draws again: every value opens
/// through its own wrap, and no data key or nonce repeats.
#[test]
fn value_sealer_keys_and_nonces_are_fresh_across_refills() {
    let v = vid();
    let rwk = RootWrapKey::from_bytes(arr(RWK));
    let mut sealer = rwk.sealer().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..200u64 {
        let s = Slot {
            vault_id: &v,
            env: "",
            name: "API_KEY",
            version: i + 1,
        };
        let (sealed, wrap) = sealer.seal(&s, PLAIN).unwrap();
        assert_eq!(wrap.len(), SYM_WRAP_LEN);
        let dek = rwk.unwrap(&s, &wrap).unwrap();
        let back = dek
            .open_value(&s, &sealed.nonce, &sealed.ciphertext)
            .unwrap();
        assert_eq!(&back[..], PLAIN);
        assert!(seen.insert(dek.0.to_vec()), "data key repeated");
        assert!(seen.insert(sealed.nonce.clone()), "value nonce repeated");
        assert!(
            seen.insert(wrap[..NONCE_LEN].to_vec()),
            "wrap nonce repeated"
        );
    }
}

#[test]
fn root_wrap_must_fail() {
    let v = vid();
    let other = unhex(OTHER_VAULT);
    let rwk = RootWrapKey::from_bytes(arr(RWK));
    let w = unhex(ROOT_WRAP);
    let good = slot(&v, "");
    let bad_slots = [
        Slot {
            name: "ANTHROPIC_API_KEY",
            ..good
        },
        Slot {
            version: VERSION + 1,
            ..good
        },
        Slot {
            env: "prod",
            ..good
        },
        Slot {
            vault_id: &other,
            ..good
        },
    ];
    for s in &bad_slots {
        assert_eq!(rwk.unwrap(s, &w).err(), Some(OpenError::Damaged), "{s:?}");
    }
    for bad in [
        flip(&w, 59),
        flip(&w, 0),
        flip(&w, 12),
        w[..59].to_vec(),
        w[..12].to_vec(),
        Vec::new(),
    ] {
        assert_eq!(rwk.unwrap(&good, &bad).err(), Some(OpenError::Damaged));
    }
    // Not an agent wrap: the same key, nonce and DEK under the agent label do not open as root.
    let as_agent = KeyringKey::from_bytes(arr(RWK))
        .wrap_with_nonce(&good, AGENT_ID, EPOCH, &dek(), arr(ROOT_WRAP_NONCE))
        .unwrap();
    assert_eq!(rwk.unwrap(&good, &as_agent).err(), Some(OpenError::Damaged));
    assert_eq!(
        RootWrapKey::from_bytes(arr(AK)).unwrap(&good, &w).err(),
        Some(OpenError::Damaged)
    );
}

#[test]
fn kat_agent_wrap() {
    let v = vid();
    assert_eq!(
        hex(&slot(&v, "prod").agent_wrap_aad(AGENT_ID, EPOCH)),
        hex(&unhex(AGENT_WRAP_AAD))
    );
    let w = ak()
        .wrap_with_nonce(
            &slot(&v, "prod"),
            AGENT_ID,
            EPOCH,
            &dek(),
            arr(AGENT_WRAP_NONCE),
        )
        .unwrap();
    assert_eq!(hex(&w), hex(&unhex(AGENT_WRAP)));
    let back = ak().unwrap(&slot(&v, "prod"), AGENT_ID, EPOCH, &w).unwrap();
    assert_eq!(hex(&back.0[..]), DEK);
}

#[test]
fn agent_wrap_must_fail() {
    let v = vid();
    let other = unhex(OTHER_VAULT);
    let w = unhex(AGENT_WRAP);
    let good = slot(&v, "prod");
    let cases = [
        (
            Slot {
                name: "ANTHROPIC_API_KEY",
                ..good
            },
            AGENT_ID,
            EPOCH,
        ),
        (Slot { version: 2, ..good }, AGENT_ID, EPOCH),
        (Slot { env: "", ..good }, AGENT_ID, EPOCH),
        (
            Slot {
                vault_id: &other,
                ..good
            },
            AGENT_ID,
            EPOCH,
        ),
        (good, AGENT_ID + 1, EPOCH),
        (good, AGENT_ID, EPOCH - 1),
        (good, AGENT_ID, EPOCH + 1),
    ];
    for (s, a, e) in &cases {
        assert_eq!(
            ak().unwrap(s, *a, *e, &w).err(),
            Some(OpenError::Damaged),
            "{s:?} {a} {e}"
        );
    }
    for bad in [flip(&w, 59), flip(&w, 12), flip(&w, 0), w[..59].to_vec()] {
        assert_eq!(
            ak().unwrap(&good, AGENT_ID, EPOCH, &bad).err(),
            Some(OpenError::Damaged)
        );
    }
}

// ------------------------------------------------------------------ keyring (HPKE)

fn keyring_slot(v: &[u8], recipient_id: u64) -> KeyringSlot<'_> {
    KeyringSlot {
        vault_id: v,
        agent_id: AGENT_ID,
        epoch: EPOCH,
        recipient_id,
    }
}

#[test]
fn kat_keyring_wraps() {
    let v = vid();
    let agent_pk = KemPublicKey::from_bytes(arr(AGENT_KEM_PK)).unwrap();
    let root_pk = KemPublicKey::from_bytes(arr(ROOT_KEM_PK)).unwrap();
    assert_eq!(
        hex(&keyring_slot(&v, AGENT_ID).info()),
        hex(&unhex(KEYRING_AGENT_INFO))
    );
    for (pk, sk, rid, expected) in [
        (agent_pk, agent_kem(), AGENT_ID, KEYRING_AGENT_WRAP),
        (root_pk, root_kem(), 0, KEYRING_ROOT_WRAP),
    ] {
        let w = ak()
            .wrap_to_with_ikm(&keyring_slot(&v, rid), &pk, Zeroizing::new(arr(IKM_E)))
            .unwrap();
        assert_eq!(w.len(), HPKE_WRAP_LEN);
        assert_eq!(hex(&w), hex(&unhex(expected)));
        let back = KeyringKey::open_from(&keyring_slot(&v, rid), &sk, &pk, &w).unwrap();
        assert_eq!(hex(&back.0[..]), AK);
    }
}

#[test]
fn keyring_wrap_must_fail() {
    let v = vid();
    let other = unhex(OTHER_VAULT);
    let pk = KemPublicKey::from_bytes(arr(AGENT_KEM_PK)).unwrap();
    let w = unhex(KEYRING_AGENT_WRAP);
    let good = keyring_slot(&v, AGENT_ID);
    let open = |s: &KeyringSlot, b: &[u8]| KeyringKey::open_from(s, &agent_kem(), &pk, b).err();
    for s in [
        KeyringSlot {
            vault_id: &other,
            ..good
        },
        KeyringSlot {
            agent_id: AGENT_ID + 1,
            ..good
        },
        KeyringSlot {
            epoch: EPOCH + 1,
            ..good
        },
        KeyringSlot {
            recipient_id: 0,
            ..good
        },
    ] {
        assert_eq!(open(&s, &w), Some(OpenError::Damaged), "{s:?}");
    }
    for bad in [
        flip(&w, 0),
        flip(&w, 31),
        flip(&w, 32),
        flip(&w, 79),
        w[..79].to_vec(),
        w[..32].to_vec(),
        Vec::new(),
    ] {
        assert_eq!(open(&good, &bad), Some(OpenError::Damaged));
    }
    // Another key (the root's, a revoked one) is "not mine", not damage.
    assert_eq!(
        KeyringKey::open_from(&good, &root_kem(), &pk, &w).err(),
        Some(OpenError::NotMine)
    );
    // The root's own wrap opened with the agent's key registered as the root's: not mine either.
    let root_pk = KemPublicKey::from_bytes(arr(ROOT_KEM_PK)).unwrap();
    assert_eq!(
        KeyringKey::open_from(
            &keyring_slot(&v, 0),
            &agent_kem(),
            &root_pk,
            &unhex(KEYRING_ROOT_WRAP)
        )
        .err(),
        Some(OpenError::NotMine)
    );
}

#[test]
fn keyring_wraps_are_fresh_each_time() {
    let v = vid();
    let pk = KemPublicKey::from_bytes(arr(AGENT_KEM_PK)).unwrap();
    let a = ak().wrap_to(&keyring_slot(&v, AGENT_ID), &pk).unwrap();
    let b = ak().wrap_to(&keyring_slot(&v, AGENT_ID), &pk).unwrap();
    assert_ne!(a, b);
    for w in [a, b] {
        let k = KeyringKey::open_from(&keyring_slot(&v, AGENT_ID), &agent_kem(), &pk, &w).unwrap();
        assert_eq!(hex(&k.0[..]), AK);
    }
}

/// Every RFC 7748 small-order point, and its twin with the top bit set,
/// is refused by vault; and hpke itself cannot seal to one (all-zero DH),
/// so the list and the curve agree.
#[test]
fn small_order_public_keys_are_refused() {
    let mut points: Vec<[u8; 32]> = SMALL_ORDER.to_vec();
    points.extend(SMALL_ORDER.iter().map(|p| {
        let mut q = *p;
        q[31] |= 0x80;
        q
    }));
    let v = vid();
    for p in points {
        assert!(is_small_order(&p), "{}", hex(&p));
        assert!(KemPublicKey::from_bytes(p).is_none());
        let e = hpke_seal(
            &p,
            &keyring_slot(&v, 0).info(),
            b"x",
            Zeroizing::new(arr(IKM_E)),
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        let raw = <Kem as hpke::Kem>::PublicKey::from_bytes(&p).unwrap();
        let mut rng = IkmRng::new(Zeroizing::new(arr(IKM_E)));
        let r = hpke::single_shot_seal_with_rng::<HpkeAead, Kdf, Kem>(
            &hpke::OpModeS::Base,
            &raw,
            b"",
            b"x",
            b"",
            &mut rng,
        );
        assert_eq!(r.err(), Some(hpke::HpkeError::EncapError), "{}", hex(&p));
    }
    assert!(!is_small_order(&arr(AGENT_KEM_PK)));
    assert!(!is_small_order(&arr(ROOT_KEM_PK)));
}

#[test]
fn ikm_generator_flags_any_request_beyond_its_seed() {
    let mut rng = IkmRng::new(Zeroizing::new(arr(IKM_E)));
    let mut a = [0u8; 32];
    hpke::rand_core::TryRng::try_fill_bytes(&mut rng, &mut a).unwrap();
    assert_eq!(hex(&a), IKM_E);
    assert!(rng.consumed_exactly());
    let mut b = [0u8; 1];
    hpke::rand_core::TryRng::try_fill_bytes(&mut rng, &mut b).unwrap();
    assert!(!rng.consumed_exactly());
}

// ------------------------------------------------------------------ root keys

#[test]
fn kat_root_keys_blob() {
    let v = vid();
    let m = MasterKey::from_bytes(arr(MASTER));
    assert_eq!(
        hex(&hkdf32(&m.0[..], &v, LABEL_ROOT_WRAP)[..]),
        ROOT_WRAP_KEY
    );
    let keys = RootKeys {
        kem: root_kem(),
        sign: root_sign(),
        rwk: RootWrapKey::from_bytes(arr(RWK)),
    };
    let blob = keys.seal_with_nonce(&m, &v, arr(ROOT_KEYS_NONCE)).unwrap();
    assert_eq!(blob.len(), 12 + 96 + 16);
    assert_eq!(hex(&blob), hex(&unhex(ROOT_KEYS_BLOB)));
    let back = RootKeys::open(&m, &v, &blob).unwrap();
    assert_eq!(hex(&back.kem.public_key().unwrap().to_bytes()), ROOT_KEM_PK);
    assert_eq!(hex(&back.sign.public_key().to_bytes()), ROOT_SIGN_PK);
    assert_eq!(hex(&back.rwk.0[..]), RWK);
    assert_eq!(back.sign.public_key().fingerprint(), ROOT_FINGERPRINT);
}

#[test]
fn root_keys_blob_must_fail() {
    let v = vid();
    let m = MasterKey::from_bytes(arr(MASTER));
    let blob = unhex(ROOT_KEYS_BLOB);
    let mut wrong_m = arr::<32>(MASTER);
    wrong_m[0] ^= 1;
    let cases = [
        (MasterKey::from_bytes(wrong_m), v.clone(), blob.clone()),
        (
            MasterKey::from_bytes(arr(MASTER)),
            unhex(OTHER_VAULT),
            blob.clone(),
        ),
        (
            MasterKey::from_bytes(arr(MASTER)),
            v.clone(),
            flip(&blob, 100),
        ),
        (
            MasterKey::from_bytes(arr(MASTER)),
            v.clone(),
            flip(&blob, 0),
        ),
        (
            MasterKey::from_bytes(arr(MASTER)),
            v.clone(),
            blob[..blob.len() - 1].to_vec(),
        ),
    ];
    for (i, (mk, vault, b)) in cases.iter().enumerate() {
        assert_eq!(
            RootKeys::open(mk, vault, b).err(),
            Some(OpenError::Damaged),
            "case {i}"
        );
    }
    assert!(RootKeys::open(&m, &v, &blob).is_ok());
}

// ------------------------------------------------------------------ statements

#[test]
fn kat_statement() {
    let st = example_statement();
    let (bytes, sig) = st.sign(&root_sign()).unwrap();
    assert_eq!(hex(&bytes), hex(&unhex(STATEMENT)));
    assert_eq!(hex(&sig), STATEMENT_SIG);
    let root_pk = SignPublicKey::from_bytes(&arr(ROOT_SIGN_PK)).unwrap();
    let back = Statement::verify(&root_pk, &bytes, &sig).unwrap();
    let mut sorted = st.clone();
    sorted.entries.reverse();
    assert_eq!(back, sorted);
    assert_eq!(
        hex(&ciphertext_hash(&unhex(VALUE_NONCE), &unhex(VALUE_PROD_CT))),
        CIPHERTEXT_HASH
    );

    let empty = Statement {
        entries: Vec::new(),
        ..st
    };
    let (_, sig) = empty.sign(&root_sign()).unwrap();
    assert_eq!(hex(&sig), STATEMENT_EMPTY_SIG);
}

#[test]
fn statement_must_fail() {
    let root_pk = SignPublicKey::from_bytes(&arr(ROOT_SIGN_PK)).unwrap();
    let agent_pk = SignPublicKey::from_bytes(&arr(AGENT_SIGN_PK)).unwrap();
    let bytes = unhex(STATEMENT);
    let sig = unhex(STATEMENT_SIG);
    let verify = |pk: &SignPublicKey, b: &[u8], s: &[u8]| Statement::verify(pk, b, s).err();
    assert_eq!(
        verify(&root_pk, &bytes, &sig[..63]),
        Some(OpenError::Damaged),
        "truncated signature"
    );
    assert_eq!(verify(&root_pk, &bytes, &[]), Some(OpenError::Damaged));
    assert_eq!(
        verify(&root_pk, &bytes, &flip(&sig, 0)),
        Some(OpenError::Damaged)
    );
    assert_eq!(
        verify(&root_pk, &bytes, &flip(&sig, 63)),
        Some(OpenError::Damaged)
    );
    assert_eq!(
        verify(&agent_pk, &bytes, &sig),
        Some(OpenError::Damaged),
        "another signer"
    );
    // Every field changed under the same signature.
    let base = example_statement();
    let edits: Vec<Statement> = vec![
        Statement {
            policy_seq: 4,
            ..base.clone()
        },
        Statement {
            agent_id: 8,
            ..base.clone()
        },
        Statement {
            env: String::new(),
            ..base.clone()
        },
        Statement {
            keyring_epoch: 1,
            ..base.clone()
        },
        Statement {
            roster_epoch: 2,
            ..base.clone()
        },
        Statement {
            expires_unix: 0,
            ..base.clone()
        },
        Statement {
            vault_id: arr(OTHER_VAULT),
            ..base.clone()
        },
        Statement {
            agent_name: "billing-bot".into(),
            ..base.clone()
        },
        {
            let mut s = base.clone();
            s.entries.push(Entry {
                name: "STRIPE_KEY".into(),
                env: String::new(),
                scope: Scope::Grant,
                version: 1,
                provider: None,
                content: Content::Secret([0; 32]),
            });
            s
        },
        {
            let mut s = base.clone();
            s.entries[0].version = 2;
            s
        },
        {
            let mut s = base.clone();
            s.entries[0].content = Content::Secret([0x14; 32]);
            s
        },
    ];
    for (i, st) in edits.iter().enumerate() {
        let b = st.encode().unwrap();
        assert_ne!(b, bytes, "edit {i} must change the bytes");
        assert_eq!(
            verify(&root_pk, &b, &sig),
            Some(OpenError::Damaged),
            "edit {i}"
        );
    }
    // Flipping any byte of the signed message fails.
    for i in [0, 20, bytes.len() / 2, bytes.len() - 1] {
        assert_eq!(
            verify(&root_pk, &flip(&bytes, i), &sig),
            Some(OpenError::Damaged)
        );
    }
}

#[test]
fn statement_decode_refuses_non_canonical_bytes() {
    let bytes = unhex(STATEMENT);
    assert!(Statement::decode(&bytes).is_some());
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert!(Statement::decode(&trailing).is_none());
    assert!(Statement::decode(&bytes[..bytes.len() - 1]).is_none());
    let mut dup = example_statement();
    dup.entries.push(dup.entries[0].clone());
    assert!(dup.encode().is_err());
    // The same entries written in the wrong order (hand-built): refused.
    let st = example_statement();
    let one = |e: &Entry| {
        let mut s = st.clone();
        s.entries = vec![e.clone()];
        let b = s.encode().unwrap();
        let head = Statement {
            entries: Vec::new(),
            ..st.clone()
        }
        .encode()
        .unwrap();
        b[head.len()..].to_vec()
    };
    let mut head = Statement {
        entries: Vec::new(),
        ..st.clone()
    }
    .encode()
    .unwrap();
    let n = head.len();
    head[n - 8..].copy_from_slice(&2u64.to_be_bytes());
    let mut unsorted = head;
    unsorted.extend(one(&st.entries[0])); // OPENAI_API_KEY before API_URL
    unsorted.extend(one(&st.entries[1]));
    assert!(Statement::decode(&unsorted).is_none());
}

// ------------------------------------------------------------------ agent key text

#[test]
fn kat_agent_key_text() {
    let key = AgentKey {
        vault_id: arr(VAULT_ID),
        agent_id: AGENT_ID,
        kem: agent_kem(),
        sign: agent_sign(),
        root_sign_pk: SignPublicKey::from_bytes(&arr(ROOT_SIGN_PK)).unwrap(),
    };
    assert_eq!(&key.to_text()[..], AGENT_KEY_TEXT);
    assert_eq!(AGENT_KEY_TEXT.trim().len(), 15 + 160);
    let back = AgentKey::parse(AGENT_KEY_TEXT, "VAULT_AGENT_KEY").unwrap();
    assert_eq!(back.vault_id, arr(VAULT_ID));
    assert_eq!(back.agent_id, AGENT_ID);
    assert_eq!(
        hex(&back.kem.public_key().unwrap().to_bytes()),
        AGENT_KEM_PK
    );
    assert_eq!(hex(&back.sign.public_key().to_bytes()), AGENT_SIGN_PK);
    assert_eq!(back.root_sign_pk.fingerprint(), ROOT_FINGERPRINT);
    assert!(AgentKey::parse(&format!("  {}\r\n", AGENT_KEY_TEXT.trim()), "f").is_ok());
}

#[test]
fn agent_key_for_another_vault_is_locked() {
    let key = AgentKey::parse(AGENT_KEY_TEXT, "VAULT_AGENT_KEY").unwrap();
    assert!(key.check_vault(&vid(), "VAULT_AGENT_KEY").is_ok());
    let e = key
        .check_vault(&unhex(OTHER_VAULT), "VAULT_AGENT_KEY")
        .unwrap_err();
    assert_eq!(e.exit_code(), 5);
    assert!(e.message().contains("another vault"));
}

#[test]
fn agent_key_text_must_fail() {
    let good = AGENT_KEY_TEXT.trim();
    let b64 = &good[AGENT_KEY_PREFIX.len()..];
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let enc = |b: &[u8]| {
        format!(
            "{AGENT_KEY_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(b)
        )
    };
    // The last digit of 120 bytes (a multiple of 3) carries no spare bits, so
    // non-canonical forms are an added `=` or a changed alphabet.
    let mut weak_root = raw.clone();
    weak_root[88..].copy_from_slice(&[0; 32]); // the identity point: a weak key
    let mut not_a_point = raw.clone();
    not_a_point[88..].copy_from_slice(&[0xff; 32]);
    let cases = [
        String::new(),
        b64.to_string(),
        format!("vault-agent-v2:{b64}"),
        format!("VAULT-AGENT-V1:{b64}"),
        format!("vault-key-v1:{b64}"),
        format!("{good}="),
        format!(
            "{AGENT_KEY_PREFIX}{}",
            b64.replace('+', "-").replace('/', "_")
        ),
        format!("{AGENT_KEY_PREFIX}{} {}", &b64[..80], &b64[80..]),
        enc(&raw[..119]),
        enc(&[raw.as_slice(), &[0]].concat()),
        enc(&weak_root),
        enc(&not_a_point),
        format!("{good}\n{good}"),
        "x".repeat(5000),
    ];
    for (i, text) in cases.iter().enumerate() {
        let Err(e) = AgentKey::parse(text, "VAULT_AGENT_KEY") else {
            panic!("case {i} must fail")
        };
        assert_eq!(e.kind(), ErrorKind::Locked, "case {i}");
        assert_eq!(e.exit_code(), 5);
        assert!(e.message().contains("VAULT_AGENT_KEY"));
        let all = format!("{} {}", e.message(), e.hint_text().unwrap_or(""));
        assert!(!all.contains(&b64[..20]), "case {i}: {all}");
    }
}

#[test]
fn generated_agent_keys_round_trip() {
    for _ in 0..8 {
        let key = AgentKey {
            vault_id: arr(VAULT_ID),
            agent_id: 42,
            kem: KemSecretKey::generate().unwrap(),
            sign: SignSecretKey::generate().unwrap(),
            root_sign_pk: SignSecretKey::generate().unwrap().public_key(),
        };
        let text = key.to_text();
        let back = AgentKey::parse(&text, "f").unwrap();
        assert_eq!(&back.to_text()[..], &text[..]);
        assert_eq!(back.kem.public_key(), key.kem.public_key());
    }
}

// ------------------------------------------------------------------ fingerprints

#[test]
fn root_fingerprint_parses_and_matches() {
    let root_pk = SignPublicKey::from_bytes(&arr(ROOT_SIGN_PK)).unwrap();
    let agent_pk = SignPublicKey::from_bytes(&arr(AGENT_SIGN_PK)).unwrap();
    let fpr = RootFingerprint::parse(ROOT_FINGERPRINT).unwrap();
    assert!(fpr.matches(&root_pk));
    assert!(!fpr.matches(&agent_pk));
    let upper = format!(
        "{ROOT_FPR_PREFIX}{}",
        ROOT_FINGERPRINT[ROOT_FPR_PREFIX.len()..].to_uppercase()
    );
    assert!(RootFingerprint::parse(&format!(" {upper}\n"))
        .unwrap()
        .matches(&root_pk));
    let digits = &ROOT_FINGERPRINT[ROOT_FPR_PREFIX.len()..];
    for bad in [
        String::new(),
        digits.to_string(),
        format!("vault-root:SHA1:{digits}"),
        format!("{ROOT_FPR_PREFIX}{}", &digits[..63]),
        format!("{ROOT_FPR_PREFIX}{}", &digits[..62]),
        format!("{ROOT_FPR_PREFIX}{digits}00"),
        format!("{ROOT_FPR_PREFIX}{}g", &digits[..63]),
        format!("{ROOT_FPR_PREFIX}{}é", &digits[..62]),
    ] {
        let e = RootFingerprint::parse(&bad).unwrap_err();
        assert_eq!(e.exit_code(), 7, "{bad}");
    }
}

// ------------------------------------------------------------------ enrollment

fn example_request() -> EnrollRequest {
    EnrollRequest {
        vault_id: arr(VAULT_ID),
        kind: "agent".into(),
        name: "support-bot".into(),
        kem_pk: KemPublicKey::from_bytes(arr(AGENT_KEM_PK)).unwrap(),
        sign_pk: SignPublicKey::from_bytes(&arr(AGENT_SIGN_PK)).unwrap(),
        scram_verifier: String::new(),
    }
}

#[test]
fn kat_enroll_request() {
    let text = example_request().to_text(&agent_sign()).unwrap();
    assert_eq!(text, ENROLL_REQUEST);
    assert_eq!(
        EnrollRequest::parse(ENROLL_REQUEST).unwrap(),
        example_request()
    );
    assert_eq!(
        EnrollRequest::parse(&format!("\n  {ENROLL_REQUEST}\n")).unwrap(),
        example_request()
    );
    // Signed by someone else's key: refused when made.
    assert!(example_request().to_text(&root_sign()).is_err());
}

#[test]
fn enroll_request_must_fail() {
    let b64 = &ENROLL_REQUEST[ENROLL_PREFIX.len()..];
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let enc = |b: &[u8]| {
        format!(
            "{ENROLL_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(b)
        )
    };
    // Re-sign a hand-made body with the agent's key, so only the named field is wrong.
    let signed = |body: Vec<u8>| {
        let sig = agent_sign().sign(&EnrollRequest::signed_message(&body));
        enc(&[body, sig.to_vec()].concat())
    };
    let body = |kind: &str, name: &str, kem: &[u8], sign: &[u8], scram: &str| {
        let mut b = unhex(VAULT_ID);
        field(&mut b, kind.as_bytes());
        field(&mut b, name.as_bytes());
        b.extend_from_slice(kem);
        b.extend_from_slice(sign);
        field(&mut b, scram.as_bytes());
        b
    };
    let kem = unhex(AGENT_KEM_PK);
    let sign = unhex(AGENT_SIGN_PK);
    let n = raw.len();
    let cases = [
        ("small-order kem key", ENROLL_SMALL_ORDER.to_string()),
        (
            "zero kem key",
            signed(body("agent", "support-bot", &[0; 32], &sign, "")),
        ),
        (
            "non-canonical sign key",
            signed(body("agent", "support-bot", &kem, &[0xff; 32], "")),
        ),
        (
            "weak sign key",
            signed(body("agent", "support-bot", &kem, &[0; 32], "")),
        ),
        (
            "kind",
            signed(body("robot", "support-bot", &kem, &sign, "")),
        ),
        ("empty name", signed(body("agent", "", &kem, &sign, ""))),
        (
            "name with a space",
            signed(body("agent", "support bot", &kem, &sign, "")),
        ),
        (
            "control in verifier",
            signed(body("agent", "support-bot", &kem, &sign, "a\u{1b}b")),
        ),
        (
            "trailing byte",
            signed([body("agent", "support-bot", &kem, &sign, ""), vec![0]].concat()),
        ),
        ("flipped name byte", enc(&flip(&raw, 30))),
        ("flipped kem byte", enc(&flip(&raw, 40))),
        ("flipped signature", enc(&flip(&raw, n - 1))),
        ("truncated signature", enc(&raw[..n - 1])),
        ("signature only", enc(&raw[n - 64..])),
        ("empty", ENROLL_PREFIX.to_string()),
        ("no prefix", b64.to_string()),
        ("v2 prefix", format!("vault-enroll-v2:{b64}")),
        (
            "no padding",
            ENROLL_REQUEST.trim_end_matches('=').to_string(),
        ),
        (
            "inner space",
            format!("{} {}", &ENROLL_REQUEST[..60], &ENROLL_REQUEST[60..]),
        ),
        ("too long", "x".repeat(5000)),
    ];
    for (what, text) in &cases {
        let e = EnrollRequest::parse(text).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid, "{what}");
        assert_eq!(e.exit_code(), 7, "{what}");
        assert!(e.hint_text().is_some(), "{what}");
    }
    assert!(EnrollRequest::parse(ENROLL_SMALL_ORDER)
        .unwrap_err()
        .message()
        .contains("small order"));
}

// ------------------------------------------------------------------ properties

fn binding() -> impl Strategy<Value = (String, String, u64, u64, u64)> {
    (
        prop_oneof![Just(String::new()), "[a-z]{1,6}"],
        "[A-Z][A-Z0-9_]{0,8}",
        0u64..4,
        0u64..4,
        0u64..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A DEK wrapped for (env, name, version, agent, epoch) opens with exactly
    /// that tuple and fails with any other; same for the root wrap without
    /// (agent, epoch), and for the value under the DEK.
    #[test]
    fn wraps_open_only_for_their_own_binding(a in binding(), b in binding()) {
        let v = vid();
        let sa = Slot { vault_id: &v, env: &a.0, name: &a.1, version: a.2 };
        let sb = Slot { vault_id: &v, env: &b.0, name: &b.1, version: b.2 };
        let w = ak().wrap(&sa, a.3, a.4, &dek()).unwrap();
        let opened = ak().unwrap(&sb, b.3, b.4, &w);
        prop_assert_eq!(opened.is_ok(), a == b);
        if let Err(e) = opened {
            prop_assert_eq!(e, OpenError::Damaged);
        }
        let rwk = RootWrapKey::from_bytes(arr(RWK));
        let rw = rwk.wrap(&sa, &dek()).unwrap();
        prop_assert_eq!(rwk.unwrap(&sb, &rw).is_ok(), (&a.0, &a.1, a.2) == (&b.0, &b.1, b.2));
        let sealed = dek().seal_value(&sa, b"value").unwrap();
        prop_assert_eq!(
            dek().open_value(&sb, &sealed.nonce, &sealed.ciphertext).is_ok(),
            (&a.0, &a.1, a.2) == (&b.0, &b.1, b.2)
        );
    }

    /// Any single bit flip in an agent wrap fails authentication.
    #[test]
    fn any_bit_flip_in_a_wrap_fails(i in 0usize..SYM_WRAP_LEN, bit in 0u8..8) {
        let v = vid();
        let mut w = unhex(AGENT_WRAP);
        w[i] ^= 1 << bit;
        prop_assert_eq!(ak().unwrap(&slot(&v, "prod"), AGENT_ID, EPOCH, &w).err(), Some(OpenError::Damaged));
    }

    /// The parsers of pasted or stored text never panic, and refuse with
    /// their own exit code: any bytes as a statement, any text as an agent
    /// key (5), an enrollment request (7) or a root fingerprint (7).
    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), text in ".{0,300}") {
        let _ = Statement::decode(&bytes);
        let mut prefixed = STATEMENT_PREFIX.to_vec();
        prefixed.extend_from_slice(&bytes);
        let _ = Statement::decode(&prefixed);
        for t in [text.clone(), format!("{AGENT_KEY_PREFIX}{text}")] {
            if let Err(e) = AgentKey::parse(&t, "f") {
                prop_assert_eq!(e.exit_code(), 5);
            }
        }
        let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
        for t in [text.clone(), format!("{ENROLL_PREFIX}{text}"), format!("{ENROLL_PREFIX}{b64}")] {
            prop_assert_eq!(EnrollRequest::parse(&t).unwrap_err().exit_code(), 7);
        }
        if let Err(e) = RootFingerprint::parse(&text) {
            prop_assert_eq!(e.exit_code(), 7);
        }
    }

    /// Statements round-trip: decode(encode(s)) is s with entries sorted,
    /// and decode refuses any strict prefix.
    #[test]
    fn statements_round_trip(
        names in proptest::collection::btree_set("[A-Z]{1,5}", 0..6),
        seq in any::<u64>(),
        env in prop_oneof![Just(String::new()), "[a-z]{1,5}"],
        cut in any::<prop::sample::Index>(),
    ) {
        let mut st = example_statement();
        st.policy_seq = seq;
        st.env = env;
        st.entries = names
            .iter()
            .enumerate()
            .map(|(i, n)| Entry {
                name: n.clone(),
                env: if i % 2 == 0 { String::new() } else { "prod".into() },
                scope: if i % 3 == 0 { Scope::Global } else { Scope::Grant },
                version: i as u64 + 1,
                provider: (i % 2 == 1).then(|| "openai".to_string()),
                content: if i % 2 == 0 { Content::Secret([i as u8; 32]) } else { Content::Variable(format!("v{i}")) },
            })
            .collect();
        let bytes = st.encode().unwrap();
        let back = Statement::decode(&bytes).unwrap();
        prop_assert_eq!(&back, &st);
        prop_assert_eq!(back.encode().unwrap(), bytes.clone());
        let n = cut.index(bytes.len());
        prop_assert!(Statement::decode(&bytes[..n]).is_none());
    }
}
