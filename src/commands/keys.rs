//! `keys list|add|remove|passwd`, `passwd` and `rekey`: the slots that
//! unlock the vault and its master key. Passphrases are asked for here (on
//! a terminal, hidden, twice for a new one); the slot work is in
//! `vault/keys.rs`. Nothing here prints key material.

use std::io::IsTerminal;
use std::path::Path;

use serde_json::json;
use zeroize::Zeroizing;

use super::Ctx;
use crate::cli::{InfoArgs, KeysAddArgs, KeysCommand, PasswdArgs, RekeyArgs, UpgradeArgs};
use crate::error::{Error, Result};
use crate::ui::{self, say};
use crate::vault::Vault;

pub fn keys(ctx: &Ctx, cmd: &KeysCommand) -> Result<()> {
    match cmd {
        KeysCommand::List { json } => list(ctx, *json),
        KeysCommand::Add(a) => add(ctx, a),
        KeysCommand::Remove { id } => remove(ctx, *id),
        KeysCommand::Passwd(a) => passwd(ctx, a),
    }
}

fn list(ctx: &Ctx, json: bool) -> Result<()> {
    let vault = Vault::open(&ctx.paths)?;
    let slots = vault.slot_infos();
    if json {
        let items: Vec<_> = slots
            .iter()
            .map(|s| json!({"id": s.id, "kind": s.kind, "kdf": s.kdf}))
            .collect();
        return ui::print_json(&json!(items));
    }
    let rows: Vec<Vec<String>> = slots
        .iter()
        .map(|s| {
            vec![
                s.id.to_string(),
                s.kind.clone(),
                s.kdf.clone().unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    ui::print_table(&["ID", "KIND", "KDF"], &rows)
}

/// A new passphrase: from `file`, else `given` (VAULT_PASSPHRASE /
/// --passphrase-file), else asked twice on the terminal.
fn new_passphrase(
    file: Option<&Path>,
    given: Option<Zeroizing<String>>,
) -> Result<Zeroizing<String>> {
    let given = match file {
        Some(f) => Some(crate::vault::read_passphrase_file(f, false)?),
        None => given,
    };
    crate::vault::new_passphrase(given, &super::terminal::TERMINAL)
}

fn add(ctx: &Ctx, args: &KeysAddArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    if let Some(path) = &args.key_file {
        let made = vault.add_key_file_slot(&ctx.keys, path)?;
        say!(
            "added key slot {} (keyfile): the new key is in {} (mode 0600); that file alone unlocks the vault, so keep it as safe as the vault's own key",
            made.slot,
            made.path.display()
        );
        return Ok(());
    }
    // VAULT_PASSPHRASE / --passphrase-file name the NEW passphrase here, so
    // they must not be tried as the current one.
    let unlock = ctx.keys.without_passphrase();
    vault.unlock_asking(&unlock).map_err(|e| {
        if e.kind() == crate::error::Kind::Locked && !vault.has_key_file_slot() {
            Error::locked("this vault has only passphrase slots, so adding one needs the current passphrase at the prompt (VAULT_PASSPHRASE and --passphrase-file give the NEW passphrase here)")
                .hint("run `vault keys add --passphrase` on a terminal, or replace the passphrase with `VAULT_PASSPHRASE=current vault passwd --new-passphrase-file FILE`")
        } else {
            e
        }
    })?;
    let pass = new_passphrase(None, ctx.keys.passphrase_given()?)?;
    let id = vault.add_passphrase_slot(&unlock, &pass)?;
    say!("added key slot {id} (passphrase): the new passphrase unlocks the vault");
    Ok(())
}

fn remove(ctx: &Ctx, id: i64) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    vault.remove_slot(&ctx.keys, id)?;
    let used = vault.unlocked_slot();
    say!("removed key slot {id}");
    if used == Some(id) {
        eprintln!("note: you unlocked with slot {id}, the one just removed: from now on use another slot's key (`vault keys list`)");
    } else if let Some(u) = used {
        eprintln!("note: you unlocked with slot {u}");
    }
    Ok(())
}

pub fn passwd(ctx: &Ctx, args: &PasswdArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    if !vault.has_passphrase_slot() {
        return Err(Error::not_found(
            "this vault has no passphrase to change (it is unlocked by a key file)",
        )
        .hint("add one with `vault keys add --passphrase`"));
    }
    // The current passphrase unlocks (VAULT_PASSPHRASE, --passphrase-file,
    // the prompt); the new one comes from --new-passphrase-file or a prompt.
    vault.unlock_asking(&ctx.keys)?;
    let new = new_passphrase(args.new_passphrase_file.as_deref(), None)?;
    let (id, old) = vault.change_passphrase(&ctx.keys, &new)?;
    say!("passphrase changed: key slot {old} was replaced by slot {id}");
    Ok(())
}

pub fn rekey(ctx: &Ctx, _args: &RekeyArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let mut ask = |slot: i64| -> Result<Option<Zeroizing<String>>> {
        if !std::io::stdin().is_terminal() {
            return Ok(None);
        }
        super::terminal::read_passphrase(&format!("Passphrase of key slot {slot}: "), true)
            .map(Some)
    };
    let done = vault.rekey(&ctx.keys, &mut ask)?;
    if vault.format() >= 2 {
        say!(
            "rekeyed: a new master key; the root keys sealed again under it (values, data keys and the root fingerprint unchanged) and {} key slot(s) wrapped again, in one transaction",
            done.slots
        );
    } else {
        say!(
            "rekeyed: a new master key; {} sealed value version(s) resealed and {} key slot(s) wrapped again, in one transaction",
            done.versions,
            done.slots
        );
    }
    if let Some(f) = &done.key_file {
        say!(
            "the new key is in {}: back it up now; copies of the old key file no longer open the vault",
            f.display()
        );
        if done.was_env_key {
            eprintln!(
                "note: VAULT_KEY still holds the old key, which no longer works: replace it with the contents of {}",
                f.display()
            );
        }
    }
    Ok(())
}

pub fn upgrade(ctx: &Ctx, _args: &UpgradeArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let done = vault.upgrade(&ctx.keys)?;
    say!(
        "upgraded to format 2: {} sealed value version(s) now each under a data key of their own, in one transaction",
        done.versions
    );
    say!("root fingerprint: {}", done.fingerprint);
    Ok(())
}

pub fn info(ctx: &Ctx, args: &InfoArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let i = vault.info()?;
    if args.json {
        return ui::print_json(&json!({
            "vault_id": i.vault_id,
            "format": i.format,
            "backend": i.backend,
            "location": i.location,
            "schema": i.schema,
            "root_fingerprint": i.root_fingerprint,
        }));
    }
    say!("vault id:         {}", i.vault_id);
    say!("location:         {}", i.location);
    say!("backend:          {}", i.backend);
    say!("schema:           {}", i.schema);
    say!("format:           {}", i.format);
    match &i.root_fingerprint {
        Some(f) => say!("root fingerprint: {f}"),
        None => say!("root fingerprint: none (format 1; `vault upgrade` makes the root keys agent keys need)"),
    }
    Ok(())
}
