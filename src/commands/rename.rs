//! `rename` and `agent create --from`: a secret under a new name, an agent
//! cloned from another. The transactions are in `vault/rename.rs`.

use super::Ctx;
use crate::cli::RenameArgs;
use crate::error::Result;
use crate::model;
use crate::ui::say;
use crate::vault::Vault;

pub fn rename(ctx: &Ctx, args: &RenameArgs) -> Result<()> {
    // The new name is checked before the vault is opened: a bad one
    // (exit 7) touches nothing. OLD is looked up as given: a name that is
    // not in the vault is "not found" (3), with a did-you-mean.
    model::check_secret_name(&args.new)?;
    model::check_code_loading_name(&args.new, args.allow_code_loading_name)?;
    let mut vault = Vault::open(&ctx.paths)?;
    let done = vault.rename_secret(&ctx.keys, &args.old, &args.new, &model::now())?;
    let versions = match done.versions {
        1 => "its 1 version".to_owned(),
        n => format!("all {n} versions"),
    };
    let agents = if done.grantees.is_empty() {
        String::new()
    } else {
        format!(
            "; {} now receive{} it as {}",
            done.grantees
                .iter()
                .map(|a| model::agent_name(a))
                .collect::<Vec<_>>()
                .join(", "),
            if done.grantees.len() == 1 { "s" } else { "" },
            args.new
        )
    };
    say!(
        "{}: renamed to {} with {versions}{agents}",
        args.old,
        args.new
    );
    eprintln!(
        "note: programs and vault.toml manifests that ask for {} must ask for {} now",
        args.old, args.new
    );
    Ok(())
}

/// `agent create NEW --from OLD`.
pub fn clone_agent(
    ctx: &Ctx,
    name: &str,
    from: &str,
    description: Option<&str>,
    env: Option<&str>,
) -> Result<()> {
    model::check_agent_name(name)?;
    if let Some(e) = env {
        model::check_env_name(e)?;
    }
    let mut vault = Vault::open(&ctx.paths)?;
    let done = vault.clone_agent(&ctx.keys, name, from, description, env, &model::now())?;
    let grants = match done.grants.len() {
        0 => "no grants (it had none)".to_owned(),
        1 => format!("its grant of {}", done.grants[0]),
        n => format!("its {n} grants ({})", done.grants.join(", ")),
    };
    let pin = if done.env.is_empty() {
        String::new()
    } else {
        format!(", pinned to environment {}", model::agent_name(&done.env))
    };
    say!(
        "{name}: agent created from {} with {grants}{pin}; they show as pending until its first run",
        model::agent_name(from)
    );
    Ok(())
}
