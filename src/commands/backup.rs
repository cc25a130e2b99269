//! `backup`: a consistent, still-encrypted copy of the vault database,
//! taken with the engine's online backup (`SqliteStore::backup_to`).

use super::Ctx;
use crate::error::Result;
use crate::ui::say;
use crate::vault::Vault;

pub fn backup(ctx: &Ctx, args: &crate::cli::BackupArgs) -> Result<()> {
    let vault = Vault::open(&ctx.paths)?;
    vault.backup_to(&args.file)?;
    say!(
        "backed up the vault to {} (still encrypted, mode 0600). To restore: put it as DIR/vault.db beside the key file and run `vault --vault-dir DIR list`.",
        args.file.display()
    );
    eprintln!(
        "note: the key file and passphrase are NOT in the backup; keep {} (or your passphrase) separately, or the backup cannot be opened",
        ctx.paths.key_file.display()
    );
    Ok(())
}
