#!/usr/bin/env python3
"""Known-answer vectors for format 2 (docs/FORMAT.md §10-§17), computed
independently of the Rust code.

Like kat.py (format 1), this re-implements the page, not src/crypto/v2.rs:
HKDF-SHA256 is written out from RFC 5869 on Python's `hmac`; HPKE base mode
(RFC 9180 §4-§6: LabeledExtract/LabeledExpand, DeriveKeyPair, DHKEM Encap/
Decap, KeySchedule, single-shot Seal/Open) is written out here on top of
`cryptography`'s X25519 and AES-GCM; Ed25519 comes from `cryptography`
(OpenSSL). Before it produces any vault vector, the HPKE code is checked
against RFC 9180 Appendix A.1.1 (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
AES-128-GCM, base mode): vault's suite differs from it only in the AEAD
(AES-256-GCM, Nk = 32), which the same code handles by key length.

Its output is pasted into docs/FORMAT.md and src/crypto/v2/tests.rs. Not
needed by CI. To re-derive:

    python3 -m venv /tmp/kat && /tmp/kat/bin/pip install cryptography
    /tmp/kat/bin/python docs/kat_v2.py
"""

import base64
import hashlib
import hmac
import struct
import sys

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

RAW = serialization.Encoding.Raw

# ---------------------------------------------------------------- primitives


def u32(n):
    return struct.pack(">I", n)


def u64(n):
    return struct.pack(">Q", n)


def field(b: bytes) -> bytes:
    return u32(len(b)) + b


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    okm, t, i = b"", b"", 1
    while len(okm) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        okm += t
        i += 1
    return okm[:length]


def hkdf(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    out = hkdf_expand(hkdf_extract(salt, ikm), info, length)
    # Cross-check against a second implementation.
    assert out == HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)
    return out


def x25519_pk(sk: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(RAW, serialization.PublicFormat.Raw)


def x25519(sk: bytes, pk: bytes) -> bytes:
    # OpenSSL refuses an all-zero shared secret (a small-order peer) with ValueError.
    return X25519PrivateKey.from_private_bytes(sk).exchange(X25519PublicKey.from_public_bytes(pk))


def ed25519_pk(seed: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(RAW, serialization.PublicFormat.Raw)


def ed25519_sign(seed: bytes, msg: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).sign(msg)


def ed25519_ok(pk: bytes, msg: bytes, sig: bytes) -> bool:
    if len(sig) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(pk).verify(sig, msg)
        return True
    except InvalidSignature:
        return False


# ---------------------------------------------------------------- HPKE (RFC 9180)

KEM_ID, KDF_ID = 0x0020, 0x0001
KEM_SUITE = b"KEM" + struct.pack(">H", KEM_ID)


def labeled_extract(suite: bytes, salt: bytes, label: bytes, ikm: bytes) -> bytes:
    return hkdf_extract(salt, b"HPKE-v1" + suite + label + ikm)


def labeled_expand(suite: bytes, prk: bytes, label: bytes, info: bytes, length: int) -> bytes:
    return hkdf_expand(prk, struct.pack(">H", length) + b"HPKE-v1" + suite + label + info, length)


def derive_keypair(ikm: bytes):
    dkp_prk = labeled_extract(KEM_SUITE, b"", b"dkp_prk", ikm)
    sk = labeled_expand(KEM_SUITE, dkp_prk, b"sk", b"", 32)
    return sk, x25519_pk(sk)


def extract_and_expand(dh: bytes, kem_context: bytes) -> bytes:
    eae_prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh)
    return labeled_expand(KEM_SUITE, eae_prk, b"shared_secret", kem_context, 32)


def encap(pk_r: bytes, ikm_e: bytes):
    sk_e, pk_e = derive_keypair(ikm_e)
    dh = x25519(sk_e, pk_r)
    return extract_and_expand(dh, pk_e + pk_r), pk_e


def decap(enc: bytes, sk_r: bytes) -> bytes:
    dh = x25519(sk_r, enc)
    return extract_and_expand(dh, enc + x25519_pk(sk_r))


def key_schedule(aead_id: int, nk: int, shared_secret: bytes, info: bytes):
    suite = b"HPKE" + struct.pack(">HHH", KEM_ID, KDF_ID, aead_id)
    psk_id_hash = labeled_extract(suite, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(suite, b"", b"info_hash", info)
    ctx = b"\x00" + psk_id_hash + info_hash  # mode_base
    secret = labeled_extract(suite, shared_secret, b"secret", b"")
    key = labeled_expand(suite, secret, b"key", ctx, nk)
    base_nonce = labeled_expand(suite, secret, b"base_nonce", ctx, 12)
    exporter = labeled_expand(suite, secret, b"exp", ctx, 32)
    return key, base_nonce, exporter


def nonce_for(base_nonce: bytes, seq: int) -> bytes:
    return bytes(a ^ b for a, b in zip(base_nonce, seq.to_bytes(12, "big")))


def seal_base(pk_r, info, aad, pt, ikm_e, aead_id=0x0002, nk=32):
    ss, enc = encap(pk_r, ikm_e)
    key, base_nonce, _ = key_schedule(aead_id, nk, ss, info)
    return enc, AESGCM(key).encrypt(nonce_for(base_nonce, 0), pt, aad)


def open_base(enc, sk_r, info, aad, ct, aead_id=0x0002, nk=32):
    ss = decap(enc, sk_r)
    key, base_nonce, _ = key_schedule(aead_id, nk, ss, info)
    return AESGCM(key).decrypt(nonce_for(base_nonce, 0), ct, aad)


# RFC 9180 Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, mode 0.
A11 = dict(
    info="4f6465206f6e2061204772656369616e2055726e",
    ikmE="7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234",
    pkEm="37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
    skEm="52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736",
    ikmR="6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037",
    pkRm="3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
    skRm="4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
    shared_secret="fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc",
    key="4531685d41d65f03dc48f6b8302c05b0",
    base_nonce="56d890e5accaaf011cff4b7d",
    exporter_secret="45ff1c2e220db587171952c0592d5f5ebe103f1561a2614e38f2ffd47e99e3f8",
    pt="4265617574792069732074727574682c20747275746820626561757479",
    aad0="436f756e742d30",
    ct0="f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a",
    aad1="436f756e742d31",
    ct1="af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b84",
)


def check_rfc9180_a11():
    v = {k: bytes.fromhex(x) for k, x in A11.items()}
    sk_e, pk_e = derive_keypair(v["ikmE"])
    assert (sk_e, pk_e) == (v["skEm"], v["pkEm"]), "DeriveKeyPair(ikmE)"
    sk_r, pk_r = derive_keypair(v["ikmR"])
    assert (sk_r, pk_r) == (v["skRm"], v["pkRm"]), "DeriveKeyPair(ikmR)"
    ss, enc = encap(pk_r, v["ikmE"])
    assert enc == v["pkEm"] and ss == v["shared_secret"], "Encap"
    assert decap(enc, sk_r) == ss, "Decap"
    key, base_nonce, exporter = key_schedule(0x0001, 16, ss, v["info"])
    assert (key, base_nonce, exporter) == (v["key"], v["base_nonce"], v["exporter_secret"]), "KeySchedule"
    g = AESGCM(key)
    assert g.encrypt(nonce_for(base_nonce, 0), v["pt"], v["aad0"]) == v["ct0"], "seq 0"
    assert g.encrypt(nonce_for(base_nonce, 1), v["pt"], v["aad1"]) == v["ct1"], "seq 1"
    assert seal_base(pk_r, v["info"], v["aad0"], v["pt"], v["ikmE"], 0x0001, 16) == (enc, v["ct0"])
    assert open_base(enc, sk_r, v["info"], v["aad0"], v["ct0"], 0x0001, 16) == v["pt"]


check_rfc9180_a11()

# ---------------------------------------------------------------- the format

AAD_VALUE = b"vault/v2/value\x00"
AAD_DEK_ROOT = b"vault/v2/dek-root\x00"
AAD_DEK = b"vault/v2/dek\x00"
INFO_KEYRING = b"vault/v2/keyring\x00"
LABEL_ROOT_WRAP = b"vault/v2/root-wrap"
AAD_ROOT_KEYS = b"vault/v2/root-keys\x00"
STATEMENT = b"vault/v2/statement\x00"
ENROLL_SIG = b"vault/v2/enroll\x00"
AGENT_KEY_PREFIX = "vault-agent-v1:"
ENROLL_PREFIX = "vault-enroll-v1:"
FPR_PREFIX = "vault-root:SHA256:"


def slot(vault_id, env, name, version) -> bytes:
    return vault_id + field(env.encode()) + field(name.encode()) + u64(version)


def value_aad(vault_id, env, name, version):
    return AAD_VALUE + slot(vault_id, env, name, version)


def root_aad(vault_id, env, name, version):
    return AAD_DEK_ROOT + slot(vault_id, env, name, version)


def agent_aad(vault_id, env, name, version, agent, epoch):
    return AAD_DEK + slot(vault_id, env, name, version) + u64(agent) + u64(epoch)


def keyring_info(vault_id, agent, epoch, recipient):
    return INFO_KEYRING + vault_id + u64(agent) + u64(epoch) + u64(recipient)


def sym_wrap(key, nonce, aad, msg):
    return nonce + AESGCM(key).encrypt(nonce, msg, aad)


def sym_opens(key, aad, blob):
    if len(blob) < 12:
        return None
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], aad)
    except InvalidTag:
        return None


def hpke_wrap(pk, info, msg, ikm_e):
    enc, ct = seal_base(pk, info, b"", msg, ikm_e)
    return enc + ct


def hpke_opens(sk, info, blob):
    if len(blob) < 32:
        return None
    try:
        return open_base(blob[:32], sk, info, b"", blob[32:])
    except (InvalidTag, ValueError):
        return None


def statement(vault_id, agent_id, agent_name, env, policy_seq, roster_epoch, keyring_epoch,
              expires, audit_seq, audit_hash, entries):
    """entries: (name, env, kind, scope 0|1, version, provider|None, hash|value), sorted by (name, env)."""
    m = STATEMENT + vault_id + u64(agent_id) + field(agent_name.encode()) + field(env.encode())
    m += u64(policy_seq) + u64(roster_epoch) + u64(keyring_epoch) + u64(expires) + u64(audit_seq)
    m += audit_hash + u64(len(entries))
    for name, e_env, kind, scope, version, provider, content in sorted(entries, key=lambda e: (e[0], e[1])):
        m += field(name.encode()) + field(e_env.encode()) + field(kind.encode()) + bytes([scope]) + u64(version)
        m += b"\x00" if provider is None else b"\x01" + field(provider.encode())
        m += b"\x00" + content if kind == "secret" else b"\x01" + field(content.encode())
    return m


def b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def b64_strict(s: str) -> bytes:
    raw = base64.b64decode(s, validate=True)
    if b64(raw) != s:
        raise ValueError("not canonical base64")
    return raw


# RFC 7748 small-order u-coordinates (the list libsodium refuses, top bit masked).
SMALL_ORDER = [
    bytes(32),
    b"\x01" + bytes(31),
    bytes.fromhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
    bytes.fromhex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
    bytes.fromhex("ec" + "ff" * 30 + "7f"),
    bytes.fromhex("ed" + "ff" * 30 + "7f"),
    bytes.fromhex("ee" + "ff" * 30 + "7f"),
]


def is_small_order(pk: bytes) -> bool:
    return pk[:31] + bytes([pk[31] & 0x7F]) in SMALL_ORDER


# ---------------------------------------------------------------- the vectors

out = []


def emit(name, value):
    if isinstance(value, bytes):
        value = value.hex()
    out.append(f"{name:<24} = {value}")


def flip(b: bytes, i: int, mask: int = 0x01) -> bytes:
    x = bytearray(b)
    x[i] ^= mask
    return bytes(x)


def h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


MASTER = bytes(range(0x40, 0x60))
VAULT_ID = bytes(range(0xA0, 0xB0))
OTHER_VAULT = flip(VAULT_ID, 15)
DEK = bytes(range(0x60, 0x80))
RWK = bytes(range(0x80, 0xA0))
AK = bytes(range(0x20, 0x40))
VALUE_NONCE = bytes(range(0xC0, 0xCC))
ROOT_WRAP_NONCE = bytes(range(0xF0, 0xFC))
AGENT_WRAP_NONCE = bytes(range(0x50, 0x5C))
ROOT_KEYS_NONCE = bytes(range(0x70, 0x7C))
ROOT_KEM_SK = h("vault kat root kem")
ROOT_SIGN_SEED = h("vault kat root sign")
AGENT_KEM_SK = h("vault kat agent kem")
AGENT_SIGN_SEED = h("vault kat agent sign")
IKM_E = h("vault kat ikmE")
AUDIT_HASH = h("vault kat audit head")
AGENT_ID, EPOCH, ROOT_ID = 7, 2, 0

for k, v in [("master", MASTER), ("vault_id", VAULT_ID), ("dek", DEK), ("rwk", RWK), ("ak", AK),
             ("value_nonce", VALUE_NONCE), ("root_wrap_nonce", ROOT_WRAP_NONCE),
             ("agent_wrap_nonce", AGENT_WRAP_NONCE), ("root_keys_nonce", ROOT_KEYS_NONCE),
             ("root_kem_sk", ROOT_KEM_SK), ("root_sign_seed", ROOT_SIGN_SEED),
             ("agent_kem_sk", AGENT_KEM_SK), ("agent_sign_seed", AGENT_SIGN_SEED),
             ("ikm_e", IKM_E), ("audit_hash", AUDIT_HASH)]:
    emit(k, v)

ROOT_KEM_PK = x25519_pk(ROOT_KEM_SK)
ROOT_SIGN_PK = ed25519_pk(ROOT_SIGN_SEED)
AGENT_KEM_PK = x25519_pk(AGENT_KEM_SK)
AGENT_SIGN_PK = ed25519_pk(AGENT_SIGN_SEED)
emit("root_kem_pk", ROOT_KEM_PK)
emit("root_sign_pk", ROOT_SIGN_PK)
emit("agent_kem_pk", AGENT_KEM_PK)
emit("agent_sign_pk", AGENT_SIGN_PK)
for pk in (ROOT_KEM_PK, AGENT_KEM_PK):
    assert not is_small_order(pk)

# §11 values under a DEK: the shared value and the one of environment "prod".
NAME, VERSION, PLAIN = "OPENAI_API_KEY", 3, b"sk-test-0123456789abcdef"
for tag, env in (("shared", ""), ("prod", "prod")):
    aad = value_aad(VAULT_ID, env, NAME, VERSION)
    ct = AESGCM(DEK).encrypt(VALUE_NONCE, PLAIN, aad)
    emit(f"value_{tag}_aad", aad)
    emit(f"value_{tag}_ct", ct)
    ok = lambda k=DEK, v=VAULT_ID, e=env, n=NAME, ver=VERSION, nonce=VALUE_NONCE, c=ct: (
        sym_opens(k, value_aad(v, e, n, ver), nonce + c) is not None)
    assert ok()
    assert not ok(n="ANTHROPIC_API_KEY") and not ok(n=NAME + "X")
    assert not ok(ver=VERSION + 1) and not ok(ver=VERSION - 1)
    assert not ok(e="staging" if env else "prod")
    assert not ok(v=OTHER_VAULT)
    assert not ok(k=flip(DEK, 0))
    assert not ok(c=flip(ct, len(ct) - 1)) and not ok(c=flip(ct, 0)) and not ok(nonce=flip(VALUE_NONCE, 0))
    assert not ok(c=ct[:-1])
value_prod_ct = AESGCM(DEK).encrypt(VALUE_NONCE, PLAIN, value_aad(VAULT_ID, "prod", NAME, VERSION))

# §12 root wrap (sym) of the DEK, env "".
rw = sym_wrap(RWK, ROOT_WRAP_NONCE, root_aad(VAULT_ID, "", NAME, VERSION), DEK)
assert len(rw) == 60
emit("root_wrap_aad", root_aad(VAULT_ID, "", NAME, VERSION))
emit("root_wrap", rw)
ok = lambda k=RWK, v=VAULT_ID, e="", n=NAME, ver=VERSION, b=rw: sym_opens(k, root_aad(v, e, n, ver), b) == DEK
assert ok()
assert not ok(n="ANTHROPIC_API_KEY") and not ok(ver=4) and not ok(e="prod") and not ok(v=OTHER_VAULT)
assert not ok(b=flip(rw, 59)) and not ok(b=flip(rw, 0)) and not ok(b=rw[:-1]) and not ok(k=AK)
# A root wrap is not an agent wrap (different label) and vice versa.
assert sym_opens(RWK, agent_aad(VAULT_ID, "", NAME, VERSION, AGENT_ID, EPOCH), rw) is None

# §12 agent wrap of the DEK under AK[7, 2], env "prod".
aw_aad = agent_aad(VAULT_ID, "prod", NAME, VERSION, AGENT_ID, EPOCH)
aw = sym_wrap(AK, AGENT_WRAP_NONCE, aw_aad, DEK)
emit("agent_wrap_aad", aw_aad)
emit("agent_wrap", aw)
ok = lambda v=VAULT_ID, e="prod", n=NAME, ver=VERSION, a=AGENT_ID, ep=EPOCH, b=aw: (
    sym_opens(AK, agent_aad(v, e, n, ver, a, ep), b) == DEK)
assert ok()
assert not ok(n="ANTHROPIC_API_KEY") and not ok(ver=2) and not ok(e="") and not ok(v=OTHER_VAULT)
assert not ok(a=8) and not ok(ep=1) and not ok(ep=3)
assert not ok(b=flip(aw, 59)) and not ok(b=flip(aw, 12)) and not ok(b=aw[:-1])

# §13 keyring wraps of AK[7, 2]: to the agent (recipient 7) and to the root (recipient 0).
for tag, pk, sk, rid in (("agent", AGENT_KEM_PK, AGENT_KEM_SK, AGENT_ID), ("root", ROOT_KEM_PK, ROOT_KEM_SK, ROOT_ID)):
    info = keyring_info(VAULT_ID, AGENT_ID, EPOCH, rid)
    kw = hpke_wrap(pk, info, AK, IKM_E)
    assert len(kw) == 80
    emit(f"keyring_{tag}_info", info)
    emit(f"keyring_{tag}_wrap", kw)
    ok = lambda s=sk, v=VAULT_ID, a=AGENT_ID, ep=EPOCH, r=rid, b=kw: hpke_opens(s, keyring_info(v, a, ep, r), b) == AK
    assert ok()
    assert not ok(v=OTHER_VAULT) and not ok(a=AGENT_ID + 1) and not ok(ep=EPOCH + 1) and not ok(r=rid + 1)
    assert not ok(b=flip(kw, 0)) and not ok(b=flip(kw, 79)) and not ok(b=kw[:-1])
    assert not ok(s=ROOT_KEM_SK if sk == AGENT_KEM_SK else AGENT_KEM_SK)
emit("keyring_enc", derive_keypair(IKM_E)[1])

# Small-order keys: every listed point makes X25519 output all zeros (OpenSSL
# refuses the exchange), so HPKE to it cannot work; vault refuses them at parse.
for p in SMALL_ORDER + [p[:31] + bytes([p[31] | 0x80]) for p in SMALL_ORDER]:
    assert is_small_order(p)
    try:
        x25519(AGENT_KEM_SK, p)
        raise SystemExit(f"small-order point {p.hex()} must give an all-zero secret")
    except ValueError:
        pass
assert not is_small_order(AGENT_KEM_PK)

# §14 root keys blob.
root_key = hkdf(MASTER, VAULT_ID, LABEL_ROOT_WRAP)
blob = sym_wrap(root_key, ROOT_KEYS_NONCE, AAD_ROOT_KEYS + VAULT_ID, ROOT_KEM_SK + ROOT_SIGN_SEED + RWK)
assert len(blob) == 12 + 96 + 16
emit("root_wrap_key", root_key)
emit("root_keys_blob", blob)
assert sym_opens(root_key, AAD_ROOT_KEYS + VAULT_ID, blob) == ROOT_KEM_SK + ROOT_SIGN_SEED + RWK
assert sym_opens(hkdf(flip(MASTER, 0), VAULT_ID, LABEL_ROOT_WRAP), AAD_ROOT_KEYS + VAULT_ID, blob) is None
assert sym_opens(hkdf(MASTER, OTHER_VAULT, LABEL_ROOT_WRAP), AAD_ROOT_KEYS + OTHER_VAULT, blob) is None
assert sym_opens(root_key, AAD_ROOT_KEYS + VAULT_ID, flip(blob, 100)) is None
assert sym_opens(root_key, AAD_ROOT_KEYS + VAULT_ID, blob[:-1]) is None

# §15 statement for agent 7 "support-bot" in env "prod".
ENTRIES = [
    ("OPENAI_API_KEY", "prod", "secret", 1, VERSION, "openai",
     hashlib.sha256(VALUE_NONCE + value_prod_ct).digest()),
    ("API_URL", "", "variable", 0, 1, None, "https://api.example.com"),
]
STMT_ARGS = dict(vault_id=VAULT_ID, agent_id=AGENT_ID, agent_name="support-bot", env="prod",
                 policy_seq=5, roster_epoch=1, keyring_epoch=EPOCH, expires=1767225600,
                 audit_seq=9, audit_hash=AUDIT_HASH, entries=ENTRIES)
stmt = statement(**STMT_ARGS)
sig = ed25519_sign(ROOT_SIGN_SEED, stmt)
emit("ciphertext_hash", ENTRIES[0][6])
emit("statement", stmt)
emit("statement_sig", sig)
assert ed25519_ok(ROOT_SIGN_PK, stmt, sig)
assert not ed25519_ok(ROOT_SIGN_PK, stmt, sig[:63])
assert not ed25519_ok(ROOT_SIGN_PK, stmt, flip(sig, 0)) and not ed25519_ok(ROOT_SIGN_PK, stmt, flip(sig, 63, 0x10))
assert not ed25519_ok(AGENT_SIGN_PK, stmt, sig)
for k, v in (("policy_seq", 4), ("agent_id", 8), ("env", ""), ("keyring_epoch", 1), ("vault_id", OTHER_VAULT),
             ("expires", 0)):
    assert not ed25519_ok(ROOT_SIGN_PK, statement(**{**STMT_ARGS, k: v}), sig), k
widened = ENTRIES + [("STRIPE_KEY", "", "secret", 1, 1, None, bytes(32))]
assert not ed25519_ok(ROOT_SIGN_PK, statement(**{**STMT_ARGS, "entries": widened}), sig)
empty = statement(**{**STMT_ARGS, "entries": []})
emit("statement_empty", empty)
emit("statement_empty_sig", ed25519_sign(ROOT_SIGN_SEED, empty))

# §16 agent key text, root fingerprint.
agent_raw = VAULT_ID + u64(AGENT_ID) + AGENT_KEM_SK + AGENT_SIGN_SEED + ROOT_SIGN_PK
assert len(agent_raw) == 120
agent_text = AGENT_KEY_PREFIX + b64(agent_raw) + "\n"
assert len(b64(agent_raw)) == 160 and b64_strict(b64(agent_raw)) == agent_raw
out.append(f"{'agent_key_text':<24} = {agent_text!r}")
fpr = FPR_PREFIX + hashlib.sha256(ROOT_SIGN_PK).hexdigest()
out.append(f"{'root_fingerprint':<24} = {fpr}")

# §17 enrollment request of agent "support-bot", no database verifier.
body = VAULT_ID + field(b"agent") + field(b"support-bot") + AGENT_KEM_PK + AGENT_SIGN_PK + field(b"")
esig = ed25519_sign(AGENT_SIGN_SEED, ENROLL_SIG + body)
request = ENROLL_PREFIX + b64(body + esig)
out.append(f"{'enroll_request':<24} = {request}")
assert ed25519_ok(AGENT_SIGN_PK, ENROLL_SIG + body, esig)
assert not ed25519_ok(AGENT_SIGN_PK, ENROLL_SIG + flip(body, 20), esig)
assert not ed25519_ok(AGENT_SIGN_PK, ENROLL_SIG + body, esig[:63])
# The same request with a small-order encryption key, correctly self-signed:
# the signature verifies, and the key is still refused.
bad_body = VAULT_ID + field(b"agent") + field(b"support-bot") + SMALL_ORDER[2] + AGENT_SIGN_PK + field(b"")
bad_req = ENROLL_PREFIX + b64(bad_body + ed25519_sign(AGENT_SIGN_SEED, ENROLL_SIG + bad_body))
assert ed25519_ok(AGENT_SIGN_PK, ENROLL_SIG + bad_body, b64_strict(bad_req[len(ENROLL_PREFIX):])[-64:])
assert is_small_order(SMALL_ORDER[2])
out.append(f"{'enroll_small_order':<24} = {bad_req}")

# §19 row tags (format 2): one HMAC-SHA256 per secret row, grant and agent.
ROW_KEY = hkdf(MASTER, VAULT_ID, b"vault/v2/row-key")
emit("row_key", ROW_KEY)


def opt(b):
    return b"\x00" if b is None else b"\x01" + field(b)


def secret_row_msg(env, name, kind, scope, version, provider, plain):
    return (b"vault/v2/row/secret\x00" + field(env) + field(name) + field(kind) + field(scope)
            + u64(version) + opt(provider) + opt(plain if kind == b"variable" else None))


def row_tag(msg):
    return hmac.new(ROW_KEY, msg, hashlib.sha256).digest()


sec_msg = secret_row_msg(b"prod", b"OPENAI_API_KEY", b"secret", b"agent", 3, b"openai", None)
var_msg = secret_row_msg(b"", b"API_URL", b"variable", b"global", 1, None, b"https://api.example.com")
grant_msg = b"vault/v2/row/grant\x00" + field(b"support-bot") + field(b"OPENAI_API_KEY")
agent_msg = b"vault/v2/row/agent\x00" + field(b"support-bot") + field(b"prod")
emit("row_secret_msg", sec_msg)
emit("row_secret_tag", row_tag(sec_msg))
emit("row_variable_msg", var_msg)
emit("row_variable_tag", row_tag(var_msg))
emit("row_grant_msg", grant_msg)
emit("row_grant_tag", row_tag(grant_msg))
emit("row_agent_msg", agent_msg)
emit("row_agent_tag", row_tag(agent_msg))
# Must fail: the tag of one row does not verify another (moved to another
# environment or name, widened scope, rolled-back version pointer, a grant
# copied to another agent, an agent re-pinned).
for other in [
    secret_row_msg(b"", b"OPENAI_API_KEY", b"secret", b"agent", 3, b"openai", None),
    secret_row_msg(b"prod", b"OPENAI_API_KEX", b"secret", b"agent", 3, b"openai", None),
    secret_row_msg(b"prod", b"OPENAI_API_KEY", b"secret", b"global", 3, b"openai", None),
    secret_row_msg(b"prod", b"OPENAI_API_KEY", b"secret", b"agent", 2, b"openai", None),
]:
    assert row_tag(other) != row_tag(sec_msg)
assert row_tag(b"vault/v2/row/grant\x00" + field(b"other-bot") + field(b"OPENAI_API_KEY")) != row_tag(grant_msg)
assert row_tag(b"vault/v2/row/agent\x00" + field(b"support-bot") + field(b"")) != row_tag(agent_msg)
# §21 team members: member 5 "bob" of vault "team" (role team_m_bob).
MEMBER_KEM_SK = h("vault kat member kem")
MEMBER_SIGN_SEED = h("vault kat member sign")
MEMBER_KEM_PK = x25519_pk(MEMBER_KEM_SK)
MEMBER_SIGN_PK = ed25519_pk(MEMBER_SIGN_SEED)
MEMBER_ID = 5
emit("member_kem_sk", MEMBER_KEM_SK)
emit("member_sign_seed", MEMBER_SIGN_SEED)
emit("member_kem_pk", MEMBER_KEM_PK)
emit("member_sign_pk", MEMBER_SIGN_PK)
# §21.2 member slot: M sealed to the member's key, bound to vault and member id.
slot_info = b"vault/v2/slot\x00" + VAULT_ID + u64(MEMBER_ID)
mslot = hpke_wrap(MEMBER_KEM_PK, slot_info, MASTER, IKM_E)
assert len(mslot) == 80
emit("member_slot_info", slot_info)
emit("member_slot", mslot)
assert hpke_opens(MEMBER_KEM_SK, slot_info, mslot) == MASTER
assert hpke_opens(MEMBER_KEM_SK, b"vault/v2/slot\x00" + VAULT_ID + u64(MEMBER_ID + 1), mslot) is None
assert hpke_opens(MEMBER_KEM_SK, b"vault/v2/slot\x00" + OTHER_VAULT + u64(MEMBER_ID), mslot) is None
assert hpke_opens(MEMBER_KEM_SK, b"vault/v2/keyring\x00" + VAULT_ID + u64(MEMBER_ID), mslot) is None
assert hpke_opens(AGENT_KEM_SK, slot_info, mslot) is None
assert hpke_opens(MEMBER_KEM_SK, slot_info, flip(mslot, 79)) is None
# §21.3 PostgreSQL password and its SCRAM-SHA-256 verifier (RFC 5802 / 7677),
# PBKDF2 from hashlib, salt 10..1f.
pg_password = b64(hkdf(MEMBER_SIGN_SEED, VAULT_ID, b"vault/v2/pg-password"))
out.append(f"{'pg_password':<24} = {pg_password}")
SCRAM_SALT = bytes(range(0x10, 0x20))
salted = hashlib.pbkdf2_hmac("sha256", pg_password.encode(), SCRAM_SALT, 4096)
stored_key = hashlib.sha256(hmac.new(salted, b"Client Key", hashlib.sha256).digest()).digest()
server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
verifier = f"SCRAM-SHA-256$4096:{b64(SCRAM_SALT)}${b64(stored_key)}:{b64(server_key)}"
out.append(f"{'scram_verifier':<24} = {verifier}")
# §21.4 roster, epoch 1: bob, member, view on billing-bot.
roster = (b"vault/v2/roster\x00" + VAULT_ID + u64(1) + u64(1) + u64(MEMBER_ID) + field(b"bob")
          + field(b"team_m_bob") + MEMBER_KEM_PK + MEMBER_SIGN_PK + field(b"member") + u64(1)
          + field(b"billing-bot") + field(b"view"))
rsig = ed25519_sign(ROOT_SIGN_SEED, roster)
emit("roster", roster)
emit("roster_sig", rsig)
assert ed25519_ok(ROOT_SIGN_PK, roster, rsig)
assert not ed25519_ok(ROOT_SIGN_PK, roster.replace(b"view", b"manage"), rsig)
assert not ed25519_ok(MEMBER_SIGN_PK, roster, rsig)

print("\n".join(out))
sys.exit(0)
