//! The key file / `VAULT_KEY` text form: one line, `vault-key-v1:` followed by
//! the standard base64 of 32 random bytes. The prefix carries the version so a
//! future format can be told apart, and makes a pasted key recognisable.

use base64::Engine;
use zeroize::Zeroizing;

use super::{random_bytes, Kek, KEY_LEN};
use crate::error::{Error, Result};

pub const PREFIX: &str = "vault-key-v1:";

/// A 256-bit key-file key. Zeroed on drop, never printed.
pub struct KeyFileKey(Zeroizing<[u8; KEY_LEN]>);

impl KeyFileKey {
    pub fn generate() -> Result<KeyFileKey> {
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        random_bytes(&mut k[..])?;
        Ok(KeyFileKey(k))
    }

    /// Parse the one-line text form. `source` names where it came from, for the error.
    pub fn parse(text: &str, source: &str) -> Result<KeyFileKey> {
        let malformed = |why: &str| {
            Error::locked(format!("{source} is not a vault key: {why}"))
                .hint(format!("a key is one line `{PREFIX}` followed by base64 of 32 bytes, as written by `vault init`"))
        };
        let line = text.trim();
        let b64 = line
            .strip_prefix(PREFIX)
            .ok_or_else(|| malformed(&format!("it does not start with `{PREFIX}`")))?;
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| malformed("the text after the prefix is not valid base64"))?,
        );
        if bytes.len() != KEY_LEN {
            return Err(malformed(&format!(
                "it holds {} bytes instead of {KEY_LEN}",
                bytes.len()
            )));
        }
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        k.copy_from_slice(&bytes);
        Ok(KeyFileKey(k))
    }

    /// The one-line text form, with a trailing newline.
    pub fn to_text(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::with_capacity(PREFIX.len() + 46));
        s.push_str(PREFIX);
        base64::engine::general_purpose::STANDARD.encode_string(&self.0[..], &mut s);
        s.push('\n');
        s
    }

    pub fn kek(&self) -> Kek {
        Kek::from_bytes(self.0.clone())
    }
}

impl std::fmt::Debug for KeyFileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyFileKey(<redacted>)")
    }
}
