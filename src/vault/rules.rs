//! Rules every operation on secrets shares: storing a value as a new
//! version (or none when it is unchanged), rewriting the stored form when a
//! kind changes, and the "no such secret / agent" errors with their
//! did-you-mean. Runs inside the caller's transaction.

use crate::error::{Error, Result};
use crate::model;
use crate::model::{Kind, Scope, SecretValue};
use crate::store::{SecretRow, StoredValue, Tx};
use crate::vault::Crypt;

/// "no secret named X", with a did-you-mean from the vault's names.
pub fn no_such_secret(tx: &Tx<'_>, name: &str) -> Error {
    let names = tx.secret_names().unwrap_or_default();
    let mut e = Error::not_found(format!("no secret named {}", model::shown(name)));
    if let Some(m) = model::did_you_mean(name, names.iter().map(String::as_str)) {
        // A name from the database: escaped like every one vault prints.
        let m = crate::model::secret_name(m);
        e = e.hint(if m.eq_ignore_ascii_case(name) {
            format!("names are case-sensitive; did you mean {m}?")
        } else {
            format!("did you mean {m}?")
        });
    } else {
        e = e.hint("`vault list` shows the names in this vault");
    }
    e
}

/// "no agent named X", with a did-you-mean.
pub fn no_such_agent(tx: &Tx<'_>, name: &str) -> Error {
    let agents = tx.agents().unwrap_or_default();
    let mut e = Error::not_found(format!("no agent named {}", model::shown(name)));
    if let Some(m) = model::did_you_mean(name, agents.iter().map(|a| a.name.as_str())) {
        e = e.hint(format!("did you mean {}?", crate::model::agent_name(m)));
    } else if !model::looks_typed(name) {
        e = e.hint("`vault agent list` shows the agents");
    } else {
        e = e.hint(format!(
            "create it with `vault agent create {}`, or see `vault agent list`",
            crate::typed::escape(name)
        ));
    }
    e
}

/// Check an agent exists (inside a transaction).
pub fn require_agent(tx: &Tx<'_>, name: &str) -> Result<()> {
    model::check_agent_name(name)?;
    match tx.agent(name)? {
        Some(_) => Ok(()),
        None => Err(no_such_agent(tx, name)),
    }
}

/// The rows environment `env` sees, from rows sorted by name then
/// environment: for each name its own row in `env`, else the shared one
/// (env ""). `env` "" sees the shared rows only.
pub fn effective(rows: Vec<SecretRow>, env: &str) -> Vec<SecretRow> {
    let mut out: Vec<SecretRow> = Vec::with_capacity(rows.len());
    for r in rows {
        if r.env != env && !r.env.is_empty() {
            continue;
        }
        match out.last_mut() {
            // The shared row came first (sorted); the environment's own wins.
            Some(last) if last.name == r.name => {
                if r.env == env {
                    *last = r;
                }
            }
            _ => out.push(r),
        }
    }
    out
}

/// Where a row's value comes from, as `list` and `get` say it.
pub fn source_label(env: &str) -> &str {
    if env.is_empty() {
        "shared"
    } else {
        env
    }
}

/// The row of `name` environment `env` sees (its own, else the shared one).
pub fn effective_row(tx: &Tx<'_>, env: &str, name: &str) -> Result<Option<SecretRow>> {
    if !env.is_empty() {
        if let Some(r) = tx.secret(env, name)? {
            return Ok(Some(r));
        }
    }
    Ok(tx.secret("", name)?)
}

/// [`effective_row`] with the row's format-2 tag, read with it.
pub fn effective_tagged_row(
    tx: &Tx<'_>,
    env: &str,
    name: &str,
) -> Result<Option<(SecretRow, Option<Vec<u8>>)>> {
    if !env.is_empty() {
        if let Some(r) = tx.tagged_secret(env, name)? {
            return Ok(Some(r));
        }
    }
    Ok(tx.tagged_secret("", name)?)
}

/// "no secret named X" for `env`: when the name exists in other
/// environments only, say where.
pub fn no_such_secret_in(tx: &Tx<'_>, env: &str, name: &str) -> Error {
    let envs = tx.secret_envs(name).unwrap_or_default();
    if envs.is_empty() {
        return no_such_secret(tx, name);
    }
    let shown: Vec<&str> = envs.iter().map(|e| source_label(e)).collect();
    let here = if env.is_empty() {
        "as a shared secret".to_owned()
    } else {
        format!("in environment {env}")
    };
    Error::not_found(format!(
        "{} has no value {here} (it is set in: {})",
        model::shown(name),
        shown.join(", ")
    ))
    .hint(match envs.iter().find(|e| !e.is_empty()) {
        Some(e) => format!("pass --env {e} (or set it here with `vault set {name}{}`)", if env.is_empty() { String::new() } else { format!(" --env {env}") }),
        None => format!("it is shared: run without --env, or give {env} its own value with `vault set {name} --env {env}`"),
    })
}

/// The result of [`put_value`]: the row to store (not yet written) and what happened.
pub struct Put {
    pub row: SecretRow,
    /// The name did not exist before.
    pub created: bool,
    /// A new version was written (the value changed).
    pub changed: bool,
    /// The value was the same but the kind changed: its versions were
    /// rewritten in the new form, without a new version.
    pub converted: bool,
}

/// Store `value` as the value of `name` (kind `kind`), given its current row:
/// a new version when the value differs, none when it is the same (a kind
/// change alone rewrites the stored form: agents that have the value are not
/// made stale by it). The caller adjusts description/scope/provider and
/// upserts `row`.
#[allow(clippy::too_many_arguments)]
pub fn put_value(
    tx: &Tx<'_>,
    crypt: &Crypt,
    existing: Option<SecretRow>,
    env: &str,
    name: &str,
    kind: Kind,
    value: &SecretValue,
    now: &str,
) -> Result<Put> {
    let same = match &existing {
        Some(x) => crypt.open_value(&x.env, &x.name, x.version, &x.value)? == *value,
        None => false,
    };
    let converted = same && existing.as_ref().is_some_and(|x| x.kind != kind);
    let created = existing.is_none();
    let mut row = existing.unwrap_or_else(|| SecretRow {
        env: env.to_owned(),
        name: name.to_owned(),
        kind,
        scope: Scope::Global,
        description: String::new(),
        provider: None,
        version: 0,
        created: now.to_owned(),
        updated: now.to_owned(),
        value: StoredValue::Plain(zeroize::Zeroizing::new(String::new())),
    });
    if converted {
        convert_kind(tx, crypt, &row, kind)?;
        row.kind = kind;
        row.updated = now.to_owned();
    }
    if !same {
        // A new name has no versions (they are deleted with their secret).
        let version = if created {
            1
        } else {
            tx.max_version(env, name)? + 1
        };
        let stored = crypt.seal(env, name, version, kind, value)?;
        tx.insert_version(env, name, version, &stored, now)?;
        row.version = version;
        row.kind = kind;
        row.updated = now.to_owned();
    }
    Ok(Put {
        row,
        created,
        changed: !same,
        converted,
    })
}

/// Rewrite the stored versions of `row` for kind `to`: to `secret`, every
/// plain-text version is sealed, so no plaintext history is left behind; to
/// `variable`, only the current version becomes plain text (older versions
/// stay sealed).
pub fn convert_kind(
    tx: &Tx<'_>,
    crypt: &crate::vault::Crypt,
    row: &SecretRow,
    to: Kind,
) -> Result<()> {
    let versions = tx.versions(&row.env, &row.name)?;
    for (version, stored) in versions {
        let is_plain = matches!(stored, StoredValue::Plain(_));
        let rewrite = match to {
            Kind::Secret => is_plain,
            Kind::Variable => !is_plain && version == row.version,
        };
        if rewrite {
            let value = crypt.open_value(&row.env, &row.name, version, &stored)?;
            let new = crypt.seal(&row.env, &row.name, version, to, &value)?;
            tx.replace_version(&row.env, &row.name, version, &new)?;
        }
    }
    Ok(())
}
