//! Importing assignments into the vault and reading everything out for an
//! export. Import works in two steps inside one transaction: a plan (which
//! names are added, updated, unchanged or skipped, which agents and grants
//! are new, which values deserve a warning, and whether the one-credential-
//! per-provider rule still holds afterwards) computed from what the vault
//! holds, then, only in [`Mode::Apply`], the writes that carry it out. A dry
//! run computes the same plan in a read transaction and writes nothing.
//! Parsing files, printing the summary and asking the terminal are the
//! command's job.

mod classify;

use std::collections::{BTreeMap, BTreeSet};

use zeroize::Zeroizing;

use super::policy::Snapshot;
use super::{KeySource, Vault};
use crate::error::{Error, Result};
use crate::model::{Kind, Scope, SecretValue};
use crate::paths::Paths;
use crate::store::{Audience, Backend, SecretRow, StoredValue, Tx};

/// How many names a warning or an error lists before "and N more".
pub const SHOWN: usize = 10;

/// `A, B, C` or `A, B, C and 19,990 more`: a warning stays one readable line.
pub fn capped(names: &[String]) -> String {
    let mut s = names
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    s
}

/// What a JSON export says about a secret beyond its value.
pub struct ImportMeta {
    pub kind: Kind,
    pub scope: Scope,
    pub description: String,
    pub provider: Option<&'static str>,
    pub agents: Vec<String>,
}

/// One assignment that passed every check of the input.
pub struct ImportEntry {
    pub name: String,
    pub value: SecretValue,
    /// `None` for a .env file or a plain JSON object (values only).
    pub meta: Option<ImportMeta>,
}

/// Whether an import writes, or only says what it would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Apply,
    DryRun,
}

/// What to import and how.
pub struct ImportRequest<'a> {
    /// The input as the user named it (`<stdin>` for `-`), for messages.
    pub source: &'a str,
    /// The entries, at most one per name.
    pub entries: &'a [ImportEntry],
    /// The agents a JSON export lists: (name, description).
    pub listed_agents: &'a [(String, String)],
    /// `--agent`: grant every entry to these agents and scope it to them.
    pub agents: &'a [String],
    /// `--variable`: store every entry as a variable.
    pub variable: bool,
    /// `--no-overwrite`: leave existing names alone.
    pub no_overwrite: bool,
    /// `--create-agents`: create the agents a JSON export grants to.
    pub create_agents: bool,
    /// `--env`: the environment whose rows are written ("" = shared).
    pub env: &'a str,
    pub now: &'a str,
}

impl ImportRequest<'_> {
    /// Every agent the document lists or grants to, with its description
    /// and whether some entry is granted to it.
    fn doc_agents(&self) -> BTreeMap<String, (String, bool)> {
        let mut out: BTreeMap<String, (String, bool)> = self
            .listed_agents
            .iter()
            .map(|(n, d)| (n.clone(), (d.clone(), false)))
            .collect();
        for e in self.entries {
            for a in e.meta.iter().flat_map(|m| m.agents.iter()) {
                out.entry(a.clone()).or_default().1 = true;
            }
        }
        out
    }

    fn kind_for(&self, e: &ImportEntry, existing: Option<&SecretRow>) -> Kind {
        match (self.variable, &e.meta, existing) {
            (true, _, _) => Kind::Variable,
            (false, Some(m), _) => m.kind,
            (false, None, Some(x)) => x.kind,
            (false, None, None) => Kind::Secret,
        }
    }
}

/// What an import did (or, in a dry run, would do), and the values that
/// deserve a warning.
#[derive(Default)]
pub struct ImportSummary {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    pub skipped: Vec<String>,
    /// Agents created for a JSON export's grants (`--create-agents`).
    pub agents_created: Vec<String>,
    /// Secrets too short to be masked by `vault run`.
    pub short: Vec<String>,
    /// Empty values (placeholders, as in a `.env.example`).
    pub empty: Vec<String>,
    /// Secrets whose value is ordinary text that masking would redact
    /// everywhere, with why.
    pub ordinary: Vec<(String, &'static str)>,
}

impl ImportSummary {
    /// Remember the values that deserve a warning: empty placeholders,
    /// secrets too short to mask, and secrets so ordinary that masking them
    /// would redact common text everywhere.
    fn note_value(&mut self, e: &ImportEntry, kind: Kind) {
        let len = e.value.len();
        if len == 0 {
            self.empty.push(e.name.clone());
            return;
        }
        if kind != Kind::Secret {
            return;
        }
        if len < crate::run::mask::MIN_MASK_LEN {
            self.short.push(e.name.clone());
        } else if let Some(why) = classify::ordinary(e.value.as_str()) {
            self.ordinary.push((e.name.clone(), why));
        }
    }
}

/// An import into a vault that does not exist yet. Fails before anything is
/// created when it could not succeed (a new vault has no agents); a dry run
/// gets its summary (everything would be added) without creating a vault.
pub fn import_without_vault(
    paths: &Paths,
    req: &ImportRequest<'_>,
    mode: Mode,
) -> Result<Option<ImportSummary>> {
    if let Some(a) = req.agents.first() {
        return Err(Error::not_found(format!(
            "no vault at {} (so no agent {a})",
            paths.location(),
        ))
        .hint(format!(
            "create the agent first: `vault agent create {a}` (nothing was imported)"
        )));
    }
    let doc_agents = req.doc_agents();
    let needed: Vec<String> = doc_agents
        .iter()
        .filter(|(_, (_, granted))| *granted)
        .map(|(n, _)| n.clone())
        .collect();
    if !needed.is_empty() && !req.create_agents {
        return Err(missing_agents(req.source, &needed));
    }
    if mode == Mode::Apply {
        return Ok(None);
    }
    let mut summary = ImportSummary {
        added: req.entries.iter().map(|e| e.name.clone()).collect(),
        agents_created: if req.create_agents {
            doc_agents.keys().cloned().collect()
        } else {
            Vec::new()
        },
        ..ImportSummary::default()
    };
    for e in req.entries {
        summary.note_value(e, req.kind_for(e, None));
    }
    Ok(Some(summary))
}

/// A JSON export grants secrets to agents this vault does not have.
fn missing_agents(file: &str, names: &[String]) -> Error {
    let n = names.len();
    Error::not_found(format!(
        "{file} grants secrets to {} this vault does not have: {}; nothing was imported",
        if n == 1 { "an agent".to_owned() } else { format!("{n} agents") },
        capped(names)
    ))
    .hint(format!(
        "import again with --create-agents to create {}, or create {} first (`vault agent create {}`)",
        if n == 1 { "it" } else { "them" },
        if n == 1 { "it" } else { "them" },
        names.first().map_or("NAME", String::as_str)
    ))
}

/// What the plan decided for one entry that is not skipped.
struct Step<'r> {
    entry: &'r ImportEntry,
    kind: Kind,
    existing: Option<SecretRow>,
    /// Scope, description and provider after the import.
    scope: Scope,
    description: String,
    provider: Option<String>,
    meta_changed: bool,
    /// The row must be written (new, new value, new kind or new metadata).
    write: bool,
    /// Agents this entry is newly granted to.
    new_grants: Vec<String>,
}

struct Plan<'r> {
    create_agents: Vec<(String, String)>,
    steps: Vec<Step<'r>>,
    summary: ImportSummary,
    /// The secrets no step touches (not in the input, or skipped).
    untouched: Vec<SecretRow>,
    /// Every grant after the import, (agent, secret).
    grants: BTreeSet<(String, String)>,
}

/// Who holds what, as the import goes: enough to check the one-credential-
/// per-provider rule after each entry, as if the entries before it were
/// written.
struct Shape {
    /// name -> (scope, provider), every secret that has a provider (the
    /// rule concerns no other).
    secrets: BTreeMap<String, (Scope, Option<String>)>,
    agents: BTreeSet<String>,
    /// (agent, secret)
    grants: BTreeSet<(String, String)>,
}

impl Shape {
    /// One credential per provider per run, as `vault grant` and `vault
    /// edit` check it (`agents::provider_rule`), over the plan's data.
    fn check_provider_rule(&self, secret: &str) -> Result<()> {
        let Some((scope, Some(provider))) = self.secrets.get(secret) else {
            return Ok(());
        };
        let others: Vec<(&str, Scope)> = self
            .secrets
            .iter()
            .filter(|(n, (_, p))| n.as_str() != secret && p.as_deref() == Some(provider.as_str()))
            .map(|(n, (s, _))| (n.as_str(), *s))
            .collect();
        if others.is_empty() {
            return Ok(());
        }
        let grants: Vec<(String, String)> = self.grants.iter().cloned().collect();
        let agents: Vec<&str> = match scope {
            Scope::Global => self.agents.iter().map(String::as_str).collect(),
            Scope::Agent => self
                .grants
                .iter()
                .filter(|(_, s)| s == secret)
                .map(|(a, _)| a.as_str())
                .collect(),
        };
        super::agents::provider_rule(secret, *scope, provider, &others, &agents, &grants)
    }
}

/// Decide everything an import does, from what the vault holds now; writes
/// nothing.
fn plan<'r>(tx: &Tx<'_>, crypt: &super::Crypt, req: &ImportRequest<'r>) -> Result<Plan<'r>> {
    let mut s = ImportSummary::default();
    let all = tx.secrets(Audience::Everything)?;
    // The provider rule is checked over what the import's environment sees.
    let view = super::rules::effective(all.clone(), req.env);
    // New rows of an environment start from the shared row's metadata.
    let mut shared: BTreeMap<String, (Scope, String, Option<String>)> = BTreeMap::new();
    let mut rows: BTreeMap<String, SecretRow> = BTreeMap::new();
    let mut elsewhere: Vec<SecretRow> = Vec::new();
    for r in all {
        if !req.env.is_empty() && r.env.is_empty() {
            shared.insert(
                r.name.clone(),
                (r.scope, r.description.clone(), r.provider.clone()),
            );
        }
        if r.env == req.env {
            rows.insert(r.name.clone(), r);
        } else {
            elsewhere.push(r);
        }
    }
    let mut shape = Shape {
        secrets: view
            .iter()
            .filter(|r| r.provider.is_some())
            .map(|r| (r.name.clone(), (r.scope, r.provider.clone())))
            .collect(),
        agents: tx.agents()?.into_iter().map(|a| a.name).collect(),
        grants: tx.all_grants()?.into_iter().collect(),
    };
    let mut create_agents = Vec::new();
    let mut missing = Vec::new();
    for (name, (description, granted)) in req.doc_agents() {
        if shape.agents.contains(&name) {
            continue;
        }
        if req.create_agents {
            s.agents_created.push(name.clone());
            shape.agents.insert(name.clone());
            create_agents.push((name, description));
        } else if granted {
            missing.push(name);
        }
    }
    if !missing.is_empty() {
        return Err(missing_agents(req.source, &missing));
    }
    let mut steps = Vec::new();
    let mut untouched = Vec::new();
    for e in req.entries {
        let existing = rows.remove(&e.name);
        let existing = match existing {
            Some(x) if req.no_overwrite => {
                s.skipped.push(e.name.clone());
                untouched.push(x);
                continue;
            }
            x => x,
        };
        let kind = req.kind_for(e, existing.as_ref());
        s.note_value(e, kind);
        let same = match &existing {
            Some(x) => crypt.open_value(&x.env, &x.name, x.version, &x.value)? == e.value,
            None => false,
        };
        let converted = same && existing.as_ref().is_some_and(|x| x.kind != kind);
        let is_new = existing.is_none();
        let before = existing
            .as_ref()
            .map(|x| (x.scope, x.description.clone(), x.provider.clone()));
        let (mut scope, mut description, mut provider) = before.clone().unwrap_or_else(|| {
            shared
                .get(&e.name)
                .cloned()
                .unwrap_or((Scope::Global, String::new(), None))
        });
        if let Some(m) = &e.meta {
            scope = m.scope;
            description.clone_from(&m.description);
            provider = m.provider.map(str::to_owned);
        }
        if !req.agents.is_empty() {
            scope = Scope::Agent;
        }
        let meta_changed =
            before.is_some_and(|b| b != (scope, description.clone(), provider.clone()));
        let mut new_grants = Vec::new();
        let doc_grants = e.meta.iter().flat_map(|m| m.agents.iter());
        for a in req.agents.iter().chain(doc_grants) {
            if shape.grants.insert((a.clone(), e.name.clone())) {
                new_grants.push(a.clone());
            }
        }
        let granted = !new_grants.is_empty();
        match &provider {
            Some(_) => {
                shape
                    .secrets
                    .insert(e.name.clone(), (scope, provider.clone()));
            }
            None if !is_new => {
                shape.secrets.remove(&e.name);
            }
            None => {}
        }
        if granted || meta_changed || (is_new && provider.is_some()) {
            shape.check_provider_rule(&e.name)?;
        }
        // A value, kind, scope, description, provider or grant that changed
        // is an update: the report must not say "unchanged" of a secret
        // whose audience moved.
        let metadata_changed = meta_changed || converted || granted;
        match (is_new, same && !metadata_changed) {
            (true, _) => s.added.push(e.name.clone()),
            (false, false) => s.updated.push(e.name.clone()),
            (false, true) => s.unchanged.push(e.name.clone()),
        }
        steps.push(Step {
            entry: e,
            kind,
            existing,
            scope,
            description,
            provider,
            meta_changed,
            write: !same || meta_changed || converted || is_new,
            new_grants,
        });
    }
    untouched.extend(rows.into_values());
    untouched.extend(elsewhere);
    Ok(Plan {
        create_agents,
        steps,
        summary: s,
        untouched,
        grants: shape.grants,
    })
}

/// Carry out a plan made in the same transaction. Returns the summary and
/// every secret and grant the vault holds afterwards, from what the plan
/// read and wrote: the policy tag is sealed from them without reading
/// 10,000 rows back.
fn apply(
    tx: &Tx<'_>,
    crypt: &super::Crypt,
    req: &ImportRequest<'_>,
    plan: Plan<'_>,
) -> Result<(ImportSummary, Snapshot)> {
    for (name, description) in &plan.create_agents {
        tx.create_agent(name, description, "", req.now)?;
    }
    // New names first, in one batch (version 1, as `put_value` makes it
    // for a name without versions): the grants below may name them.
    let mut fresh = Vec::new();
    let mut rest = Vec::with_capacity(plan.steps.len());
    for step in plan.steps {
        if step.existing.is_some() {
            rest.push(step);
            continue;
        }
        let e = step.entry;
        fresh.push(SecretRow {
            env: req.env.to_owned(),
            name: e.name.clone(),
            kind: step.kind,
            scope: step.scope,
            description: step.description,
            provider: step.provider,
            version: 1,
            created: req.now.to_owned(),
            updated: req.now.to_owned(),
            value: crypt.seal(req.env, &e.name, 1, step.kind, &e.value)?,
        });
        if !step.new_grants.is_empty() {
            rest.push(Step {
                entry: e,
                kind: step.kind,
                existing: None,
                scope: step.scope,
                description: String::new(),
                provider: None,
                meta_changed: false,
                write: false,
                new_grants: step.new_grants,
            });
        }
    }
    let tags = crypt.tags_of_new_rows(&fresh)?;
    tx.insert_secrets(&fresh, tags.as_deref())?;
    let mut after: Vec<SecretRow> = plan.untouched;
    after.reserve(fresh.len() + rest.len());
    for step in rest {
        let e = step.entry;
        let row = match (step.write, step.existing) {
            // Only the grants of a new name are left to write.
            (false, None) => None,
            (false, Some(unchanged)) => Some(unchanged),
            (true, existing) => {
                let put = super::put_value(
                    tx, crypt, existing, req.env, &e.name, step.kind, &e.value, req.now,
                )?;
                let mut row = put.row;
                row.scope = step.scope;
                row.description = step.description;
                row.provider = step.provider;
                if step.meta_changed {
                    row.updated = req.now.to_owned();
                }
                tx.upsert_secret(&row)?;
                // The tag covers a variable's current value: e's, new or the same.
                if row.kind == Kind::Variable {
                    row.value = StoredValue::Plain(Zeroizing::new(e.value.as_str().to_owned()));
                }
                Some(row)
            }
        };
        for a in &step.new_grants {
            tx.grant(a, &e.name, req.now)?;
        }
        after.extend(row);
    }
    // A new variable's stored value is its plain text, as the tag wants it.
    after.extend(fresh);
    // (env, name) pairs are unique (one entry per name in this
    // environment, none of them untouched): in the store's order, by name
    // then environment, byte-wise like SQLite's BINARY collation.
    after.sort_unstable_by(|a, b| a.name.cmp(&b.name).then_with(|| a.env.cmp(&b.env)));
    let snapshot = Snapshot {
        rows: after,
        grants: plan.grants.into_iter().collect(),
        pins: tx.pins()?,
    };
    Ok((plan.summary, snapshot))
}

/// An import's audit subject: counts, and the names added and updated (bounded).
fn import_subject(s: &ImportSummary) -> serde_json::Value {
    serde_json::json!({
        "added": s.added.len(),
        "updated": s.updated.len(),
        "unchanged": s.unchanged.len(),
        "skipped": s.skipped.len(),
        "names": super::audit::bounded(&[s.added.clone(), s.updated.clone()].concat()),
        "agents_created": super::audit::bounded(&s.agents_created),
    })
}

impl Vault {
    /// Import `req.entries`, all or nothing. `--agent` agents must exist
    /// (checked before any key is asked for). [`Mode::DryRun`] reads only:
    /// the summary is the one [`Mode::Apply`] would return.
    pub fn import(
        &mut self,
        src: &KeySource,
        req: &ImportRequest<'_>,
        mode: Mode,
    ) -> Result<ImportSummary> {
        self.store.read(|tx| {
            for a in req.agents {
                super::require_agent(tx, a)?;
            }
            Ok(())
        })?;
        match mode {
            Mode::DryRun => {
                self.unlock(src)?;
                let Vault { store, crypt, .. } = self;
                store.read(|tx| Ok(plan(tx, crypt, req)?.summary))
            }
            Mode::Apply => self.write_resealing(src, |tx, crypt| {
                let plan = plan(tx, crypt, req)?;
                let (summary, after) = apply(tx, crypt, req, plan)?;
                super::audit::append(
                    tx,
                    crypt,
                    "import",
                    super::audit::with_env(req.env, import_subject(&summary)),
                )?;
                Ok((summary, after))
            }),
        }
    }

    /// Whether an export (of what `agent` receives, or of everything) holds
    /// a secret, so needs the key and reveals values. Checks `agent` exists.
    pub fn export_needs_key(&mut self, agent: Option<&str>, env: Option<&str>) -> Result<bool> {
        self.store.read(|tx| {
            if let Some(a) = agent {
                super::require_agent(tx, a)?;
            }
            let rows = audience_rows(tx, agent, env)?.0;
            Ok(rows.iter().any(|r| r.kind == Kind::Secret))
        })
    }

    /// Every value `agent` receives (or every value), opened, in name order;
    /// with `with_policy`, the agents and grants too (only `agent`'s part
    /// when one is named). Export reveals values (and `--agent` says who
    /// would receive them), so like `run` it reads under a verified policy;
    /// a variables-only export (`needs_key` false) needs no key, but is
    /// verified when one is at hand.
    ///
    /// `env` (else `agent`'s pin, else none) picks the environment whose
    /// values are exported: its own rows, else the shared ones.
    pub fn export(
        &mut self,
        src: &KeySource,
        agent: Option<&str>,
        env: Option<&str>,
        with_policy: bool,
        needs_key: bool,
    ) -> Result<Export> {
        let verify = if needs_key {
            self.unlock(src)?;
            true
        } else {
            self.unlock_quietly(src)?
        };
        let Vault { store, crypt, .. } = self;
        let (rows, agents, grants, env) = store.read(|tx| {
            if verify {
                crypt.verify_policy(tx)?;
            }
            let (rows, env) = audience_rows(tx, agent, env)?;
            if !with_policy {
                return Ok((rows, Vec::new(), Vec::new(), env));
            }
            let mut agents = tx.agents()?;
            let mut grants = tx.all_grants()?;
            if let Some(a) = agent {
                agents.retain(|x| x.name == a);
                grants.retain(|(x, _)| x == a);
            }
            Ok((rows, agents, grants, env))
        })?;
        // Fail closed: values leave the vault only after their audit entry
        // is written. A variables-only export without a key at hand cannot
        // be signed, and reveals no secret: it is not recorded.
        if verify {
            let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
            let subject = super::audit::with_env(
                &env,
                serde_json::json!({
                    "agent": agent,
                    "names": super::audit::bounded(&names),
                    "count": names.len(),
                    "with_policy": with_policy,
                }),
            );
            store
                .write(|tx| super::audit::append(tx, crypt, "export", subject.clone()))
                .map_err(|e| {
                    Error::other(format!(
                        "nothing was exported: the export's audit entry could not be written ({e})"
                    ))
                    .hint("an export is recorded before it is written out; fix the cause above (a read-only or full disk?) and try again")
                })?;
        }
        let mut secrets = Vec::with_capacity(rows.len());
        for r in rows {
            let value = crypt.open_value(&r.env, &r.name, r.version, &r.value)?;
            secrets.push(ExportedSecret {
                name: r.name,
                kind: r.kind,
                scope: r.scope,
                description: r.description,
                provider: r.provider,
                value,
            });
        }
        Ok(Export {
            secrets,
            agents: agents
                .into_iter()
                .map(|a| ExportedAgent {
                    name: a.name,
                    description: a.description,
                })
                .collect(),
            grants,
        })
    }
}

/// The rows an export shows and the environment they are from: what
/// `env` (else `agent`'s pin, else none) sees, narrowed to what `agent`
/// receives when one is named. The environment's view is taken first, so an
/// agent-only override hides the shared value from an agent not granted it.
fn audience_rows(
    tx: &Tx<'_>,
    agent: Option<&str>,
    env: Option<&str>,
) -> Result<(Vec<SecretRow>, String)> {
    let env = match (env, agent) {
        (Some(e), _) => e.to_owned(),
        (None, Some(a)) => tx.agent(a)?.map(|a| a.env).unwrap_or_default(),
        (None, None) => String::new(),
    };
    let mut rows = super::rules::effective(tx.secrets(Audience::Everything)?, &env);
    if let Some(a) = agent {
        let grants = tx.all_grants()?;
        let receives = crate::model::Receives::new(Some(a), &grants);
        rows.retain(|r| receives.secret(&r.name, r.scope));
    }
    Ok((rows, env))
}

/// What an export holds.
pub struct Export {
    pub secrets: Vec<ExportedSecret>,
    /// Empty unless asked for with the policy.
    pub agents: Vec<ExportedAgent>,
    /// (agent, secret); empty unless asked for with the policy.
    pub grants: Vec<(String, String)>,
}

pub struct ExportedSecret {
    pub name: String,
    pub kind: Kind,
    pub scope: Scope,
    pub description: String,
    pub provider: Option<String>,
    pub value: SecretValue,
}

pub struct ExportedAgent {
    pub name: String,
    pub description: String,
}
