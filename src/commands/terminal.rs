//! The command line's answers to what the vault layer asks
//! ([`Callbacks`]): hidden prompts on the terminal (only when stdin is one)
//! and messages on stderr.

use std::io::IsTerminal;

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::vault::Callbacks;

/// Asks at the terminal, shows messages on stderr.
pub struct Terminal;

/// The one instance every command hands to the vault layer.
pub static TERMINAL: Terminal = Terminal;

impl Callbacks for Terminal {
    fn request_passphrase(&self, prompt: &str) -> Result<Option<Zeroizing<String>>> {
        if !std::io::stdin().is_terminal() {
            return Ok(None);
        }
        read_passphrase(prompt, true).map(Some)
    }

    fn request_new_passphrase(
        &self,
        check: &dyn Fn(&str) -> Result<()>,
    ) -> Result<Option<Zeroizing<String>>> {
        if !std::io::stdin().is_terminal() {
            return Ok(None);
        }
        let a = read_passphrase("New vault passphrase: ", false)?;
        // Refuse a weak one before asking again, not after.
        check(&a)?;
        let b = read_passphrase("Repeat the passphrase: ", false)?;
        if a != b {
            return Err(
                Error::invalid("the two passphrases differ; nothing was written")
                    .hint("run the command again"),
            );
        }
        Ok(Some(a))
    }

    fn display_message(&self, message: &str) {
        eprintln!("{message}");
    }
}

/// Read a passphrase at the hidden prompt (one line). To unlock (`locked`),
/// every failure is exit 5; for a new passphrase, an answer that cannot be
/// used is exit 7 and a terminal that cannot be read exit 1.
pub fn read_passphrase(prompt: &str, locked: bool) -> Result<Zeroizing<String>> {
    crate::prompt::prompt_hidden(prompt, crate::prompt::Lines::One).map_err(|e| {
        // InvalidData: an answer was read but cannot be a passphrase.
        let bad_answer = e.kind() == std::io::ErrorKind::InvalidData;
        let error = |m: String| match (locked, bad_answer) {
            (true, _) => Error::locked(m),
            (false, true) => Error::invalid(m),
            (false, false) => Error::other(m),
        };
        if bad_answer {
            error(format!(
                "the passphrase was not used: {e} (what was typed or pasted was discarded)"
            ))
            .hint("a passphrase is one line; or give it with --passphrase-file FILE or VAULT_PASSPHRASE")
        } else {
            error(format!("cannot read the passphrase: {e}"))
        }
    })
}
