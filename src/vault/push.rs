//! `vault push`: a local (SQLite) vault copied row by row, still encrypted,
//! into a new vault in PostgreSQL, in one transaction. Nothing is unlocked:
//! ciphertexts, wraps, slots and metadata move as stored, with the same
//! vault id, so the same key file or passphrase opens the copy.

use super::Vault;
use crate::error::{Error, Result};
use crate::store::{AnyStore, DbUrl, PgStore};

/// What was copied.
pub struct Pushed {
    pub secrets: usize,
    pub versions: usize,
    pub agents: usize,
    pub grants: usize,
    pub slots: usize,
}

impl Vault {
    /// Copy this vault into a new PostgreSQL vault at `url` (exit 4 if one
    /// is there already: nothing is copied).
    pub fn push_to(&mut self, url: &DbUrl) -> Result<Pushed> {
        let AnyStore::Sqlite(sqlite) = &mut self.store else {
            return Err(Error::other("the local vault is not a SQLite vault"));
        };
        let dump = sqlite.dump()?;
        if PgStore::create_from(url, &dump)?.is_none() {
            return Err(
                Error::conflict(format!("the {} already exists", url.shown())).hint(
                    "nothing was copied; push only into a new vault: pick another vault=NAME in the URL",
                ),
            );
        }
        Ok(Pushed {
            secrets: dump.secrets.len(),
            versions: dump.versions.len(),
            agents: dump.agents.len(),
            grants: dump.grants.len(),
            slots: dump.slots.len(),
        })
    }
}
