//! `push`: copy the local (SQLite) vault, row by row and still encrypted,
//! into a new vault in PostgreSQL, in one transaction.

use super::Ctx;
use crate::error::{Error, Result};
use crate::ui::say;
use crate::vault::Vault;

pub fn push(ctx: &Ctx, _args: &crate::cli::PushArgs) -> Result<()> {
    let Some(url) = &ctx.paths.database else {
        return Err(Error::usage("vault push needs the PostgreSQL vault to copy to")
            .hint("pass --database-url URL or set VAULT_DATABASE_URL (postgres://USER@HOST:PORT/DB?vault=NAME)"));
    };
    let mut local = ctx.paths.clone();
    local.database = None;
    // No unlock: the copy is of ciphertext, wraps and metadata as stored.
    let mut vault = Vault::open(&local)?;
    let done = vault.push_to(url)?;
    say!(
        "copied the vault at {} to the {}: {} secrets ({} versions), {} agents, {} grants, {} key slots, all still encrypted",
        local.db.display(),
        url.shown(),
        done.secrets,
        done.versions,
        done.agents,
        done.grants,
        done.slots
    );
    eprintln!(
        "note: the same key file or passphrase unlocks it; set VAULT_DATABASE_URL (or pass --database-url) to use it. The local vault was left as it is."
    );
    Ok(())
}
