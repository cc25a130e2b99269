//! `unlock` and `lock`: keep a passphrase vault's key in the kernel keyring
//! for a while, and forget it. The keyring work is in `vault/cache.rs`.

use super::Ctx;
use crate::cli::UnlockArgs;
use crate::error::Result;
use crate::ui::say;
use crate::vault::Vault;

pub fn unlock(ctx: &Ctx, args: &UnlockArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let stored = vault.unlock_and_keep(&ctx.keys, args.duration)?;
    let until = std::time::SystemTime::now() + args.duration;
    let until = humantime::format_rfc3339_seconds(until);
    say!(
        "unlocked for {} (until {until}): vault commands started from this shell do not ask for the passphrase until then, or until `vault lock`",
        humantime::format_duration(args.duration)
    );
    if stored.new_session {
        eprintln!(
            "note: this shell had no private session keyring; vault gave it a new one (commands started before this one do not share it)"
        );
    }
    Ok(())
}

pub fn lock(ctx: &Ctx) -> Result<()> {
    let vault = Vault::open(&ctx.paths)?;
    if vault.lock()? {
        say!("locked: the kept key was removed; the next command asks for the passphrase");
    } else {
        say!("the vault was not unlocked in this shell (no kept key); nothing to do");
    }
    Ok(())
}
