#!/usr/bin/env python3
"""Known-answer vectors for vault's on-disk format (docs/FORMAT.md), computed
independently of the Rust code.

This is a from-the-spec re-implementation of docs/FORMAT.md, not a port of
src/crypto: HKDF-SHA256 is written out from RFC 5869 on top of Python's
standard `hmac`, AES-256-GCM comes from `cryptography`, Argon2id from
`argon2-cffi` (the reference C implementation). Its output is pasted into
docs/FORMAT.md ("Known-answer vectors") and src/crypto/tests.rs.

Not needed by CI. To re-derive the vectors:

    python3 -m venv /tmp/kat && /tmp/kat/bin/pip install cryptography argon2-cffi
    /tmp/kat/bin/python docs/kat.py
"""

import base64
import hashlib
import hmac
import struct
import sys

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# ---------------------------------------------------------------- the format

FORMAT_VERSION = 1
KEY_PREFIX = "vault-key-v1:"

LABEL_VALUE_KEY = b"vault/v1/value-key"
LABEL_POLICY_KEY = b"vault/v1/policy-key"
LABEL_SLOT_WRAP = b"vault/v1/slot-wrap"
LABEL_SLOT_CHECK = b"vault/v1/slot-check"
AAD_VALUE = b"vault/v1/value\x00"
AAD_SLOT = b"vault/v1/slot\x00"
POLICY_PREFIX = b"vault/v1/policy\x00"


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """RFC 5869, written out (Extract then Expand)."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, t, i = b"", b"", 1
    while len(okm) < length:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        okm += t
        i += 1
    out = okm[:length]
    # Cross-check against a second implementation.
    ref = HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)
    assert out == ref
    return out


def key_text(key: bytes) -> str:
    assert len(key) == 32
    return KEY_PREFIX + base64.b64encode(key).decode("ascii") + "\n"


def parse_key_text(text: str) -> bytes:
    """Strict reading: surrounding whitespace ignored, prefix, canonical padded
    standard base64 of exactly 32 bytes."""
    line = text.strip()
    if not line.startswith(KEY_PREFIX):
        raise ValueError("no prefix")
    b64 = line[len(KEY_PREFIX):].strip()
    raw = base64.b64decode(b64, validate=True)
    if base64.b64encode(raw).decode("ascii") != b64:
        raise ValueError("not canonical base64")
    if len(raw) != 32:
        raise ValueError("not 32 bytes")
    return raw


def argon2id_kek(passphrase: bytes, salt: bytes, m: int, t: int, p: int) -> bytes:
    return hash_secret_raw(
        secret=passphrase, salt=salt, time_cost=t, memory_cost=m,
        parallelism=p, hash_len=32, type=Type.ID, version=19,
    )


def slot_keys(kek: bytes, vault_id: bytes):
    wrap = hkdf_sha256(kek, vault_id, LABEL_SLOT_WRAP)
    check = hkdf_sha256(kek, vault_id, LABEL_SLOT_CHECK)[:16]
    return wrap, check


def slot_aad(vault_id: bytes, kind: str) -> bytes:
    return AAD_SLOT + vault_id + kind.encode("ascii")


def wrap_master(master: bytes, kek: bytes, vault_id: bytes, kind: str, nonce: bytes):
    wrap, check = slot_keys(kek, vault_id)
    wrapped = AESGCM(wrap).encrypt(nonce, master, slot_aad(vault_id, kind))
    return check, wrapped


def unwrap_master(kek, vault_id, kind, nonce, wrapped, check):
    wrap, c = slot_keys(kek, vault_id)
    if c != check:
        return "WrongKey"
    if len(nonce) != 12:
        return "Damaged"
    try:
        m = AESGCM(wrap).decrypt(nonce, wrapped, slot_aad(vault_id, kind))
    except InvalidTag:
        return "Damaged"
    return m if len(m) == 32 else "Damaged"


def value_key(master: bytes, vault_id: bytes) -> bytes:
    return hkdf_sha256(master, vault_id, LABEL_VALUE_KEY)


def value_aad(vault_id: bytes, name: str, version: int) -> bytes:
    n = name.encode("utf-8")
    return AAD_VALUE + vault_id + struct.pack(">I", len(n)) + n + struct.pack(">Q", version)


def seal(master, vault_id, name, version, nonce, plaintext) -> bytes:
    return AESGCM(value_key(master, vault_id)).encrypt(
        nonce, plaintext, value_aad(vault_id, name, version))


def opens(master, vault_id, name, version, nonce, ct) -> bool:
    if len(nonce) != 12:
        return False
    try:
        AESGCM(value_key(master, vault_id)).decrypt(nonce, ct, value_aad(vault_id, name, version))
        return True
    except InvalidTag:
        return False


def policy_key(master: bytes, vault_id: bytes) -> bytes:
    return hkdf_sha256(master, vault_id, LABEL_POLICY_KEY)


def field(b: bytes) -> bytes:
    return struct.pack(">I", len(b)) + b


def policy_message(rows, grants) -> bytes:
    """rows: (name, kind, scope, version, provider|None, variable value|None), sorted by name;
    grants: (agent, secret), sorted."""
    m = POLICY_PREFIX + struct.pack(">Q", len(rows))
    for name, kind, scope, version, provider, plain in rows:
        m += field(name.encode()) + field(kind.encode()) + field(scope.encode())
        m += struct.pack(">Q", version)
        m += b"\x00" if provider is None else b"\x01" + field(provider.encode())
        m += b"\x01" + field(plain.encode()) if kind == "variable" else b"\x00"
    m += struct.pack(">Q", len(grants))
    for agent, secret in grants:
        m += field(agent.encode()) + field(secret.encode())
    return m


def policy_tag(master, vault_id, message) -> bytes:
    return hmac.new(policy_key(master, vault_id), message, hashlib.sha256).digest()


# ---------------------------------------------------------------- the vectors

def flip(b: bytes, i: int, mask: int = 0x01) -> bytes:
    x = bytearray(b)
    x[i] ^= mask
    return bytes(x)


out = []


def emit(name, value):
    if isinstance(value, bytes):
        value = value.hex()
    out.append(f"{name:<24} = {value}")


KEYFILE_KEY = bytes(range(0x00, 0x20))
MASTER = bytes(range(0x40, 0x60))
VAULT_ID = bytes(range(0xA0, 0xB0))
SLOT_NONCE = bytes(range(0xB0, 0xBC))
PASS_SLOT_NONCE = bytes(range(0xE0, 0xEC))
VALUE_NONCE = bytes(range(0xC0, 0xCC))
PASSPHRASE = b"correct horse battery staple"
SALT = bytes(range(0xD0, 0xE0))

emit("keyfile_key", KEYFILE_KEY)
emit("master", MASTER)
emit("vault_id", VAULT_ID)
emit("slot_nonce", SLOT_NONCE)
emit("pass_slot_nonce", PASS_SLOT_NONCE)
emit("value_nonce", VALUE_NONCE)
emit("salt", SALT)

# Key file text.
text = key_text(KEYFILE_KEY)
assert parse_key_text(text) == KEYFILE_KEY
out.append(f"{'key_text':<24} = {text!r}")
b64 = text[len(KEY_PREFIX):].strip()
# The last base64 character carries 2 unused bits; a non-canonical variant sets them.
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
last = b64[-2]
noncanon = b64[:-2] + alphabet[alphabet.index(last) | 1] + "="
assert base64.b64decode(noncanon) == KEYFILE_KEY  # a lax decoder accepts it
try:
    parse_key_text(KEY_PREFIX + noncanon)
    raise SystemExit("non-canonical base64 must be refused")
except ValueError:
    pass
out.append(f"{'key_text_noncanonical':<24} = {KEY_PREFIX + noncanon!r}")

# Key-file slot.
wrap_kf, check_kf = slot_keys(KEYFILE_KEY, VAULT_ID)
emit("kf_wrap_key", wrap_kf)
emit("kf_key_check", check_kf)
emit("kf_slot_aad", slot_aad(VAULT_ID, "keyfile"))
check, wrapped_kf = wrap_master(MASTER, KEYFILE_KEY, VAULT_ID, "keyfile", SLOT_NONCE)
assert check == check_kf and len(wrapped_kf) == 48
emit("kf_wrapped", wrapped_kf)
assert unwrap_master(KEYFILE_KEY, VAULT_ID, "keyfile", SLOT_NONCE, wrapped_kf, check_kf) == MASTER
wrong_kek = flip(KEYFILE_KEY, 0)
emit("wrong_kek", wrong_kek)
emit("wrong_kek_key_check", slot_keys(wrong_kek, VAULT_ID)[1])
assert unwrap_master(wrong_kek, VAULT_ID, "keyfile", SLOT_NONCE, wrapped_kf, check_kf) == "WrongKey"
assert unwrap_master(KEYFILE_KEY, VAULT_ID, "keyfile", SLOT_NONCE, flip(wrapped_kf, 47), check_kf) == "Damaged"
assert unwrap_master(KEYFILE_KEY, VAULT_ID, "keyfile", SLOT_NONCE, flip(wrapped_kf, 0), check_kf) == "Damaged"
assert unwrap_master(KEYFILE_KEY, VAULT_ID, "keyfile", flip(SLOT_NONCE, 0), wrapped_kf, check_kf) == "Damaged"
assert unwrap_master(KEYFILE_KEY, VAULT_ID, "passphrase", SLOT_NONCE, wrapped_kf, check_kf) == "Damaged"
assert unwrap_master(KEYFILE_KEY, VAULT_ID, "keyfile", SLOT_NONCE[:11], wrapped_kf, check_kf) == "Damaged"
assert unwrap_master(KEYFILE_KEY, flip(VAULT_ID, 15), "keyfile", SLOT_NONCE, wrapped_kf, check_kf) == "WrongKey"
assert unwrap_master(KEYFILE_KEY, VAULT_ID, "keyfile", SLOT_NONCE, wrapped_kf, flip(check_kf, 0)) == "WrongKey"

# Passphrase slot, small parameters (fast enough for a unit test).
M, T, P = 64, 2, 2
kdf = f"argon2id:m={M},t={T},p={P}"
out.append(f"{'pass_kdf':<24} = {kdf}")
kek_small = argon2id_kek(PASSPHRASE, SALT, M, T, P)
emit("pass_kek", kek_small)
check_p, wrapped_p = wrap_master(MASTER, kek_small, VAULT_ID, "passphrase", PASS_SLOT_NONCE)
emit("pass_key_check", check_p)
emit("pass_slot_aad", slot_aad(VAULT_ID, "passphrase"))
emit("pass_wrapped", wrapped_p)
assert unwrap_master(kek_small, VAULT_ID, "passphrase", PASS_SLOT_NONCE, wrapped_p, check_p) == MASTER
wrong_pass_kek = argon2id_kek(b"correct horse battery stapler", SALT, M, T, P)
emit("wrong_pass_kek", wrong_pass_kek)
assert unwrap_master(wrong_pass_kek, VAULT_ID, "passphrase", PASS_SLOT_NONCE, wrapped_p, check_p) == "WrongKey"

# Passphrase KEK with the parameters `vault init --passphrase` writes (RFC 9106, 64 MiB).
kek_default = argon2id_kek(PASSPHRASE, SALT, 65536, 3, 4)
out.append(f"{'pass_kdf_default':<24} = argon2id:m=65536,t=3,p=4")
emit("pass_kek_default", kek_default)

# Values.
vk = value_key(MASTER, VAULT_ID)
emit("value_key", vk)
VALUES = [
    ("OPENAI_API_KEY", 3, b"sk-test-0123456789abcdef"),
    ("A", 0x0000000100000002, b""),
    ("DB_PASSWORD", 1, "p\u00e4ssw\u00f6rd \u2713".encode("utf-8")),
]
for i, (name, version, plain) in enumerate(VALUES, 1):
    emit(f"v{i}_name", name)
    emit(f"v{i}_version", str(version))
    emit(f"v{i}_plaintext", plain)
    emit(f"v{i}_aad", value_aad(VAULT_ID, name, version))
    ct = seal(MASTER, VAULT_ID, name, version, VALUE_NONCE, plain)
    assert len(ct) == len(plain) + 16
    emit(f"v{i}_ciphertext", ct)
    assert opens(MASTER, VAULT_ID, name, version, VALUE_NONCE, ct)
    # Must-fail cases.
    assert not opens(MASTER, VAULT_ID, name, version, VALUE_NONCE, flip(ct, len(ct) - 1))
    assert not opens(MASTER, VAULT_ID, name, version, flip(VALUE_NONCE, 0), ct)
    assert not opens(MASTER, VAULT_ID, name + "X", version, VALUE_NONCE, ct)
    assert not opens(MASTER, VAULT_ID, name, version + 1, VALUE_NONCE, ct)
    assert not opens(MASTER, VAULT_ID, name, version - 1, VALUE_NONCE, ct)
    assert not opens(MASTER, flip(VAULT_ID, 15), name, version, VALUE_NONCE, ct)
    assert not opens(flip(MASTER, 0), VAULT_ID, name, version, VALUE_NONCE, ct)
    assert not opens(MASTER, VAULT_ID, name, version, VALUE_NONCE, ct[:-1])
v1 = seal(MASTER, VAULT_ID, *VALUES[0][:2], VALUE_NONCE, VALUES[0][2])
assert not opens(MASTER, VAULT_ID, "ANTHROPIC_API_KEY", 3, VALUE_NONCE, v1)
# The value key differs from every slot key (label separation).
assert vk not in (wrap_kf, policy_key(MASTER, VAULT_ID))

# Policy key and tags.
pk = policy_key(MASTER, VAULT_ID)
emit("policy_key", pk)
empty = policy_message([], [])
emit("policy_msg_empty", empty)
emit("policy_tag_empty", policy_tag(MASTER, VAULT_ID, empty))
example = policy_message(
    [
        ("API_URL", "variable", "global", 1, None, "https://api.example.com"),
        ("OPENAI_API_KEY", "secret", "agent", 3, "openai", None),
    ],
    [("support-bot", "OPENAI_API_KEY")],
)
emit("policy_msg_example", example)
emit("policy_tag_example", policy_tag(MASTER, VAULT_ID, example))

# Environments (§5.4, §6.1): a value of environment `env` binds it; the
# shared row (env "") keeps the format-1 AAD above byte for byte.
AAD_ENV_VALUE = b"vault/v1/env-value\x00"


def value_aad_env(vault_id: bytes, env: str, name: str, version: int) -> bytes:
    if env == "":
        return value_aad(vault_id, name, version)
    e, n = env.encode("utf-8"), name.encode("utf-8")
    return (AAD_ENV_VALUE + vault_id + struct.pack(">I", len(e)) + e
            + struct.pack(">I", len(n)) + n + struct.pack(">Q", version))


def opens_env(master, vault_id, env, name, version, nonce, ct) -> bool:
    try:
        AESGCM(value_key(master, vault_id)).decrypt(
            nonce, ct, value_aad_env(vault_id, env, name, version))
        return True
    except InvalidTag:
        return False


ENV_V = ("production", "DB_URL", 2, b"postgres://prod.example/db")
aad4 = value_aad_env(VAULT_ID, *ENV_V[:3])
emit("v4_env", ENV_V[0])
emit("v4_name", ENV_V[1])
emit("v4_version", str(ENV_V[2]))
emit("v4_plaintext", ENV_V[3])
emit("v4_aad", aad4)
ct4 = AESGCM(vk).encrypt(VALUE_NONCE, ENV_V[3], aad4)
emit("v4_ciphertext", ct4)
assert opens_env(MASTER, VAULT_ID, *ENV_V[:3], VALUE_NONCE, ct4)
assert value_aad_env(VAULT_ID, "", "DB_URL", 2) == value_aad(VAULT_ID, "DB_URL", 2)
# Must fail: the shared row, another environment, a prefix of the name, and
# a shared ciphertext opened as an environment's.
assert not opens_env(MASTER, VAULT_ID, "", "DB_URL", 2, VALUE_NONCE, ct4)
assert not opens_env(MASTER, VAULT_ID, "staging", "DB_URL", 2, VALUE_NONCE, ct4)
assert not opens_env(MASTER, VAULT_ID, "productio", "DB_URL", 2, VALUE_NONCE, ct4)
assert not opens_env(MASTER, VAULT_ID, "production", "DB_URL", 1, VALUE_NONCE, ct4)
assert not opens_env(MASTER, VAULT_ID, "production", "OPENAI_API_KEY", 3, VALUE_NONCE, v1)


def policy_message_env(rows, grants, pins) -> bytes:
    """rows: as policy_message plus the row's environment last, sorted by
    (name, env); pins: (agent, env) of pinned agents, sorted by agent."""
    m = policy_message([r[:6] for r in rows], grants)
    if pins or any(r[6] for r in rows):
        m += b"vault/v1/policy-envs\x00"
        for r in rows:
            m += field(r[6].encode())
        m += struct.pack(">Q", len(pins))
        for agent, env in pins:
            m += field(agent.encode()) + field(env.encode())
    return m


assert policy_message_env([], [], []) == empty
env_example = policy_message_env(
    [
        ("DB_URL", "secret", "global", 1, None, None, ""),
        ("DB_URL", "secret", "global", 2, None, None, "production"),
    ],
    [],
    [("deploy-bot", "production")],
)
emit("policy_msg_envs", env_example)
emit("policy_tag_envs", policy_tag(MASTER, VAULT_ID, env_example))

print("\n".join(out))
sys.exit(0)
