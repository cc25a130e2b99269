//! `history` and `rollback`: a secret's versions, and making an earlier
//! value current again. The domain work is `Vault::history` / `Vault::rollback`.

use serde_json::json;

use super::Ctx;
use crate::cli::{HistoryArgs, RollbackArgs};
use crate::error::Result;
use crate::model;
use crate::typed::escape;
use crate::ui::{self, say, MASK};
use crate::vault::{History, Vault};

/// What a version's value looks like here: a variable's text, else the mask.
fn shown(plain: &Option<String>) -> String {
    plain.clone().unwrap_or_else(|| MASK.to_owned())
}

pub fn history(ctx: &Ctx, args: &HistoryArgs) -> Result<()> {
    model::check_secret_name(&args.name)?;
    let env = super::env_of(args.env.as_deref())?;
    let env = env.as_deref().unwrap_or("");
    let mut vault = Vault::open(&ctx.paths)?;
    let h: History = vault.history(env, &args.name)?;
    if !env.is_empty() && h.env.is_empty() && !args.json {
        eprintln!(
            "note: {} has no value of its own in {env}; these are the versions of the shared value it uses",
            h.name
        );
    }
    if args.json {
        let versions: Vec<_> = h
            .versions
            .iter()
            .map(|v| {
                json!({
                    "version": v.version,
                    "created": v.created,
                    "by": null,
                    "value": shown(&v.plain),
                    "current": v.version == h.current,
                })
            })
            .collect();
        return ui::print_json(&json!({
            "name": h.name,
            "from": crate::vault::source_label(&h.env),
            "kind": h.kind.as_str(),
            "current": h.current,
            "versions": versions,
        }));
    }
    let rows: Vec<Vec<String>> = h
        .versions
        .iter()
        .map(|v| {
            let version = if v.version == h.current {
                format!("{} (current)", v.version)
            } else {
                v.version.to_string()
            };
            vec![
                version,
                v.created.clone(),
                "-".to_owned(),
                escape(&shown(&v.plain)),
            ]
        })
        .collect();
    ui::print_table(&["VERSION", "CREATED", "BY", "VALUE"], &rows)
}

pub fn rollback(ctx: &Ctx, args: &RollbackArgs) -> Result<()> {
    model::check_secret_name(&args.name)?;
    let env = super::env_of(args.env.as_deref())?;
    let env = env.as_deref().unwrap_or("");
    let mut vault = Vault::open(&ctx.paths)?;
    let version = vault.rollback(&ctx.keys, env, &args.name, args.to, &crate::model::now())?;
    let place = if env.is_empty() {
        String::new()
    } else {
        format!(" in {env}")
    };
    say!(
        "{}{place}: version {version} now holds the value of version {} (history kept; agents that received a newer value show as stale until their next run)",
        args.name,
        args.to
    );
    Ok(())
}
