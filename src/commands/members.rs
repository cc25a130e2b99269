//! `vault member join|add|list|remove` and `vault whoami`: team members of a
//! vault on PostgreSQL. Asking y/N and printing happen here; what a member
//! is, may do and holds is the vault layer's (`vault/members.rs`).

use std::io::IsTerminal;

use serde_json::json;

use super::Ctx;
use crate::cli::{
    MemberAddArgs, MemberCommand, MemberJoinArgs, MemberListArgs, MemberRemoveArgs, WhoamiArgs,
};
use crate::error::{Error, Result};
use crate::ui::{self, say};
use crate::vault::{member_join, Vault};

pub fn member(ctx: &Ctx, cmd: &MemberCommand) -> Result<()> {
    match cmd {
        MemberCommand::Join(a) => join(ctx, a),
        MemberCommand::Add(a) => add(ctx, a),
        MemberCommand::List(a) => list(ctx, a),
        MemberCommand::Remove(a) => remove(ctx, a),
    }
}

fn join(ctx: &Ctx, args: &MemberJoinArgs) -> Result<()> {
    let url = ctx.paths.database.as_ref().ok_or_else(|| {
        Error::usage("`vault member join` needs the vault's PostgreSQL URL")
            .hint("pass --database-url postgres://USER@HOST/DB?vault=NAME (or set VAULT_DATABASE_URL), as the vault's owner told you")
    })?;
    let j = member_join(&ctx.paths, url, &args.name, &args.root)?;
    eprintln!(
        "identity written to {} (mode 0600; keep it, it is your key to this vault)",
        j.identity_file.display()
    );
    eprintln!(
        "once an owner has added you, connect as PostgreSQL role {} (no password in the URL: vault derives it from your identity)",
        j.pg_role
    );
    eprintln!(
        "send this line to an owner of the vault ({}):",
        j.root_fingerprint
    );
    say!("{}", j.request);
    Ok(())
}

fn add(ctx: &Ctx, args: &MemberAddArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let c = vault.member_candidate(&args.request)?;
    let what = format!(
        "about to add {} as {} (key fingerprint {}){}",
        c.request.name,
        args.role,
        c.fingerprint,
        if args.agents.is_empty() {
            String::new()
        } else {
            format!(" with {}", args.agents.join(", "))
        }
    );
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(Error::invalid(format!("{what}; nothing was changed")).hint(
                "compare the fingerprint with the member (`vault member join` printed the same request), then add --yes",
            ));
        }
        eprintln!("{what}");
        let yes = crate::prompt::confirm("Add? [y/N] ")
            .map_err(|e| Error::other(format!("cannot read the answer: {e}")))?;
        if !yes {
            return Err(Error::other("nothing was changed: the answer was no"));
        }
    }
    let added = vault.add_member(&ctx.keys, &c, args.role == "owner", &args.agents)?;
    if added.upgraded {
        eprintln!(
            "the vault was in format 1: upgraded it to format 2 first (members need its root keys)"
        );
    }
    say!(
        "added {} ({}); they connect as PostgreSQL role {}",
        added.name,
        added.role,
        added.pg_role
    );
    Ok(())
}

fn list(ctx: &Ctx, args: &MemberListArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let members = vault.members()?;
    if args.json {
        return ui::print_json(&json!(members
            .iter()
            .map(|m| json!({
                "name": m.name,
                "role": m.role,
                "pg_role": m.pg_role,
                "rights": m.rights.iter().map(|(a, r)| json!({"agent": a, "right": r})).collect::<Vec<_>>(),
                "created": m.created,
            }))
            .collect::<Vec<_>>()));
    }
    if members.is_empty() {
        say!("no members (owners with the key file or passphrase only)");
        return Ok(());
    }
    for m in &members {
        let rights = if m.role == "owner" {
            "everything".to_owned()
        } else if m.rights.is_empty() {
            "no rights".to_owned()
        } else {
            m.rights
                .iter()
                .map(|(a, r)| format!("{a}: {r}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        say!("{}  {}  {}  (role {})", m.name, m.role, rights, m.pg_role);
    }
    Ok(())
}

fn remove(ctx: &Ctx, args: &MemberRemoveArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let r = vault.remove_member(&ctx.keys, &args.name)?;
    say!(
        "removed {} ({}): their PostgreSQL role is dropped and a new roster signed",
        r.name,
        r.role
    );
    if r.could_reveal.is_empty() {
        say!("they could reveal no secret value");
    } else {
        say!(
            "they could reveal {} secret(s); rotate them at their providers: {}",
            r.could_reveal.len(),
            crate::vault::capped(&r.could_reveal)
        );
    }
    if r.role == "owner" {
        say!("they held the master key: run `vault rekey` as well");
    }
    Ok(())
}

pub fn whoami(ctx: &Ctx, args: &WhoamiArgs) -> Result<()> {
    let mut vault = Vault::open(&ctx.paths)?;
    let w = vault.whoami()?;
    if args.json {
        return ui::print_json(&json!({
            "name": w.name,
            "role": w.role,
            "rights": w.rights.iter().map(|(a, r)| json!({"agent": a, "right": r})).collect::<Vec<_>>(),
            "vault_id": w.vault_id,
            "root_fingerprint": w.root_fingerprint,
        }));
    }
    let who = match &w.name {
        Some(n) => format!("{n} ({})", w.role),
        None => "owner (key file or passphrase)".to_owned(),
    };
    let mut parts = vec![who];
    parts.extend(w.rights.iter().map(|(a, r)| format!("{a}: {r}")));
    parts.push(format!("vault {}", w.vault_id));
    if let Some(f) = &w.root_fingerprint {
        parts.push(format!("root {f}"));
    }
    say!("{}", parts.join(" · "));
    Ok(())
}
