//! The unlocked key of `vault unlock`, kept for a while in the Linux kernel
//! keyring (keyrings(7)) so that a passphrase vault does not ask on every
//! command; `vault lock` removes it. docs/SECURITY.md "Unlocked for a
//! while" gives the threat model; in short:
//!
//! - What is kept is the key-encryption key of the slot that unlocked the
//!   vault (for a passphrase, the Argon2id output) and the slot's id: never
//!   the passphrase, never a file. A command opens the slot with it as it
//!   would with a typed passphrase, so a KEK that no longer opens its slot
//!   (`passwd`, `rekey`, `keys remove`) is simply not used, and a key
//!   planted in a keyring cannot make vault use a wrong master key
//!   (AES-GCM authenticates the unwrap).
//! - It is a `user` key named `vault:<vault id in hex>` with permissions for
//!   its possessor only, linked into a *private* session keyring: the
//!   shell's, when the shell already has one that others cannot search or
//!   link (as `pam_keyinit` makes at login), else a new anonymous one that
//!   `vault unlock` hands to the shell (KEYCTL_SESSION_TO_PARENT, as
//!   `keyctl new_session` does). Never the user keyring `@u` or the
//!   user-session keyring `@us`: every process of the user can reach those.
//! - Every command that `vault run` starts joins a new, empty session
//!   keyring before exec (`sys::leave_session_keyring`): it possesses
//!   nothing of the shell's session, so it cannot read the key.
//! - The kernel expires the key after `--for` (a timeout on the key itself).
//!
//! Nothing here prompts or prints: errors come back worded for the user.

use std::time::Duration;

use zeroize::Zeroizing;

use crate::crypto::{Kek, KEY_LEN};
use crate::error::{Error, Result};
use crate::sys::keyring;

/// Payload layout, version 1: `01 || slot id (i64, big-endian) || KEK (32 bytes)`.
const PAYLOAD_VERSION: u8 = 1;
const PAYLOAD_LEN: usize = 1 + 8 + KEY_LEN;

/// The key's name: one per vault, so two vaults never share an entry.
pub fn key_name(vault_id: &[u8]) -> String {
    format!("vault:{}", crate::hex::encode(vault_id))
}

fn no_keyring(e: &std::io::Error) -> Error {
    let why = if cfg!(target_os = "linux") {
        format!(
            "the kernel refused keyctl ({e}): keyrings are not built into this kernel, or a sandbox (a container's seccomp profile) blocks them"
        )
    } else {
        "it keeps the key in the Linux kernel keyring, which this system does not have".to_owned()
    };
    Error::other(format!("vault unlock is not available here: {why}"))
        .hint("pass the passphrase to each command instead (VAULT_PASSPHRASE or --passphrase-file FILE), or add a key file with `vault keys add --key-file FILE`")
}

/// Exit 1 with a clear message when this system has no usable keyring.
pub fn check_available() -> Result<()> {
    match keyring::keyring_id(keyring::USER_SESSION, false) {
        Ok(_) => Ok(()),
        Err(e) if keyring::is_unavailable(&e) => Err(no_keyring(&e)),
        // Any other answer (no such keyring yet, say) still means keyctl works.
        Err(_) => Ok(()),
    }
}

/// Whether keyring `id` is one only its possessors can reach: ours, and
/// neither searchable nor linkable by the user's other processes (nor by
/// the group or others).
fn is_private(id: i32) -> bool {
    keyring::describe(id).is_ok_and(|d| describes_private(&d, rustix::process::geteuid().as_raw()))
}

/// [`is_private`] on keyctl's description, `type;uid;gid;perm;name`.
fn describes_private(desc: &str, euid: u32) -> bool {
    let mut fields = desc.split(';');
    let (Some("keyring"), Some(uid), Some(_gid), Some(perm)) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return false;
    };
    let mine = uid.parse::<u32>().ok() == Some(euid);
    let perm = u32::from_str_radix(perm, 16).ok();
    mine && perm.is_some_and(|p| p & keyring::NON_POSSESSOR_SEARCH_OR_LINK == 0)
}

/// Where the key went.
pub struct Stored {
    /// A new session keyring was made and handed to the parent process.
    pub new_session: bool,
}

/// Keep `kek` (which opens slot `slot`) for `for_how_long` in a private
/// session keyring shared with the shell that started vault.
pub fn store(vault_id: &[u8], slot: i64, kek: &Kek, for_how_long: Duration) -> Result<Stored> {
    let fail = |what: &str, e: std::io::Error| {
        if keyring::is_unavailable(&e) && what == "find" {
            return no_keyring(&e);
        }
        Error::other(format!(
            "cannot keep the unlocked key in the kernel keyring: {what} failed ({e}); nothing was kept"
        ))
        .hint("pass the passphrase to each command instead (VAULT_PASSPHRASE or --passphrase-file FILE)")
    };
    let session = keyring::keyring_id(keyring::SESSION, false).map_err(|e| fail("find", e))?;
    let user_session =
        keyring::keyring_id(keyring::USER_SESSION, false).map_err(|e| fail("find", e))?;
    let private = session != user_session && is_private(session);
    let target = if private {
        session
    } else {
        // As pam_keyinit does at login: a new anonymous session keyring,
        // the user keyring linked into it so that other tools that keep
        // keys there still find them.
        let new = keyring::join_new_session().map_err(|e| fail("a new session keyring", e))?;
        keyring::set_perm(new, keyring::POS_ALL | keyring::USR_VIEW)
            .map_err(|e| fail("making the session keyring private", e))?;
        let _ = keyring::link(keyring::USER, new);
        new
    };
    let mut payload = Zeroizing::new([0u8; PAYLOAD_LEN]);
    payload[0] = PAYLOAD_VERSION;
    payload[1..9].copy_from_slice(&slot.to_be_bytes());
    payload[9..].copy_from_slice(kek.bytes());
    let key = keyring::add_user_key(&key_name(vault_id), &payload[..], target)
        .map_err(|e| fail("adding the key", e))?;
    let secs = u32::try_from(for_how_long.as_secs().max(1)).unwrap_or(u32::MAX);
    let settled = keyring::set_timeout(key, secs)
        .and_then(|()| keyring::set_perm(key, keyring::POS_ALL))
        .map_err(|e| fail("setting its timeout and permissions", e))
        .and_then(|()| {
            if private {
                return Ok(());
            }
            keyring::session_to_parent().map_err(|e| {
                Error::other(format!(
                    "cannot give the program that started vault a private session keyring to keep the key in ({e}); nothing was kept"
                ))
                .hint("run `vault unlock` from your shell (not from a multi-threaded program or through sudo), or start a shell with its own session keyring first (`keyctl session`)")
            })
        });
    if let Err(e) = settled {
        let _ = keyring::invalidate(key);
        return Err(e);
    }
    Ok(Stored {
        new_session: !private,
    })
}

/// The slot id and KEK kept for this vault, if this process's session
/// keyring holds them (and they have not expired).
pub fn lookup(vault_id: &[u8]) -> Option<(i64, Kek)> {
    let key = keyring::search_user_key(keyring::SESSION, &key_name(vault_id)).ok()?;
    let mut buf = Zeroizing::new([0u8; PAYLOAD_LEN + 1]);
    let n = keyring::read(key, &mut buf[..]).ok()?;
    if n != PAYLOAD_LEN || buf[0] != PAYLOAD_VERSION {
        return None;
    }
    let slot = i64::from_be_bytes(buf[1..9].try_into().ok()?);
    let mut kek = Zeroizing::new([0u8; KEY_LEN]);
    kek.copy_from_slice(&buf[9..PAYLOAD_LEN]);
    Some((slot, Kek::from_bytes(kek)))
}

/// Remove the kept key of this vault; false when there was none.
pub fn remove(vault_id: &[u8]) -> Result<bool> {
    let key = match keyring::search_user_key(keyring::SESSION, &key_name(vault_id)) {
        Ok(k) => k,
        // No keyring at all: nothing can have been kept.
        Err(_) => return Ok(false),
    };
    if keyring::invalidate(key).is_err() {
        keyring::unlink(key, keyring::SESSION).map_err(|e| {
            Error::other(format!(
                "cannot remove the unlocked key from the kernel keyring: {e}"
            ))
            .hint("it expires by itself at the end of its --for time; `keyctl purge user` removes it too")
        })?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_keyring_of_ours_that_others_cannot_search_or_link_is_private() {
        // pam_keyinit's anonymous session keyring: possessor all, user view+read.
        assert!(describes_private("keyring;1000;1000;3f030000;_ses", 1000));
        assert!(!describes_private("keyring;1000;1000;3f030000;_ses", 1001));
        // A named session keyring (`keyctl session NAME`): the user may link it.
        assert!(!describes_private("keyring;1000;1000;3f1f0000;work", 1000));
        // The user-session keyring: the user may do everything.
        assert!(!describes_private(
            "keyring;1000;-1;3f3f0000;_uid_ses.1000",
            1000
        ));
        assert!(!describes_private("keyring;1000;1000;3f000008;x", 1000));
        assert!(!describes_private("user;1000;1000;3f000000;vault:00", 1000));
        assert!(!describes_private("garbage", 1000));
    }

    #[test]
    fn each_vault_has_its_own_key_name() {
        assert_eq!(key_name(&[0xab, 0x01]), "vault:ab01");
        assert_ne!(key_name(&[1; 16]), key_name(&[2; 16]));
    }
}
