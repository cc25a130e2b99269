//! One file per command family. Commands parse nothing (clap did), touch no
//! SQL (the store does), no crypto and no transaction (the vault layer
//! does): they take arguments, call the vault layer, and print.

pub mod agents;
pub mod audit;
pub mod backup;
pub mod complete;
pub mod docs;
pub mod history;
pub mod io;
pub mod keys;
pub mod providers;
pub mod push;
pub mod run;
pub mod secrets;
pub mod terminal;

use std::path::PathBuf;

use crate::error::Result;
use crate::paths::Paths;
use crate::vault::KeySource;

/// What every command gets: where the vault is and how to unlock it.
pub struct Ctx {
    pub paths: Paths,
    pub keys: KeySource,
}

impl Ctx {
    /// `database_url`: `--database-url`, else `VAULT_DATABASE_URL` (empty
    /// counts as unset); the vault is then in PostgreSQL.
    pub fn new(
        vault_dir: Option<PathBuf>,
        passphrase_file: Option<PathBuf>,
        database_url: Option<String>,
    ) -> Result<Ctx> {
        let mut paths = Paths::resolve(vault_dir.as_deref())?;
        let url = database_url.or_else(|| std::env::var("VAULT_DATABASE_URL").ok());
        if let Some(u) = url.filter(|u| !u.is_empty()) {
            paths.database = Some(crate::store::DbUrl::parse(&u)?);
        }
        Ok(Ctx {
            paths,
            keys: KeySource::from_env(passphrase_file, &terminal::TERMINAL),
        })
    }
}
