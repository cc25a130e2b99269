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
    pub fn new(vault_dir: Option<PathBuf>, passphrase_file: Option<PathBuf>) -> Result<Ctx> {
        Ok(Ctx {
            paths: Paths::resolve(vault_dir.as_deref())?,
            keys: KeySource::from_env(passphrase_file, &terminal::TERMINAL),
        })
    }
}
