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
pub mod members;
pub mod providers;
pub mod push;
pub mod rename;
pub mod run;
pub mod secrets;
pub mod terminal;
pub mod unlock;

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::paths::Paths;
use crate::vault::KeySource;

/// The environment a command works in: `--env ENV`, else `VAULT_ENV`
/// (empty counts as unset); `None` for neither. The name is checked
/// (agent names' rules, exit 7).
pub fn env_of(flag: Option<&str>) -> Result<Option<String>> {
    let env = match flag {
        Some(f) => Some(f.to_owned()),
        None => std::env::var("VAULT_ENV").ok().filter(|e| !e.is_empty()),
    };
    if let Some(e) = &env {
        crate::model::check_env_name(e).map_err(|err| match flag {
            Some(_) => err,
            None => err.also("from VAULT_ENV"),
        })?;
    }
    Ok(env)
}

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
        let from_flag = database_url.is_some();
        let url = database_url.or_else(|| std::env::var("VAULT_DATABASE_URL").ok());
        if let Some(u) = url.filter(|u| !u.is_empty()) {
            let parsed = crate::store::DbUrl::parse(&u)?;
            // A flag's text is in the process list (and, under `vault run`,
            // readable by the command through its parent's cmdline) and in
            // the shell's history: a password never goes there.
            if from_flag && parsed.config.get_password().is_some() {
                return Err(Error::usage(
                    "--database-url holds a password, which would show in the process list and your shell history",
                )
                .hint("put the URL in VAULT_DATABASE_URL instead (vault removes it from every command it runs)"));
            }
            paths.database = Some(parsed);
        }
        Ok(Ctx {
            paths,
            keys: KeySource::from_env(passphrase_file, &terminal::TERMINAL),
        })
    }
}

/// The master key may be at hand: `VAULT_KEY`, a passphrase, or the key file.
pub fn master_at_hand(ctx: &Ctx) -> bool {
    ctx.keys.key_text.is_some()
        || ctx.keys.passphrase.is_some()
        || ctx.keys.passphrase_file.is_some()
        || crate::paths::something_at(&ctx.paths.key_file)
}
