//! `vault run`'s plan: which secrets a run receives (the globals and the
//! agent's grants, narrowed by the manifest and `--only`, minus what the
//! caller keeps), read in the same transaction that verifies the policy tag,
//! so what is injected is what was authenticated; then each value opened,
//! and the delivery recorded for `agent show`. The hot path: one read
//! transaction, and a write only when an agent's command will start.
//! Reading the manifest, the environment and starting the command belong to
//! the caller. `vault run --watch` keeps the vault in a [`RunWatch`]: on a
//! change it plans again and compares what the command would receive
//! (variable, version, kind) with what it received.

use std::collections::BTreeSet;

use super::{no_such_agent, KeySource, Vault};
use crate::error::{Error, Result};
use crate::manifest::Declared;
use crate::model::{self, Kind, Scope, SecretValue};
use crate::store::{Backend, SecretRow, StoredValue};

/// What a run asks for.
pub struct RunRequest<'a> {
    pub agent: Option<&'a str>,
    /// `--env` / `VAULT_ENV`; `None`: the agent's pin, else the shared values.
    pub env: Option<&'a str>,
    /// The manifest that narrows the run: its name as shown, and what it declares.
    pub manifest: Option<&'a (String, Vec<Declared>)>,
    /// `--only`, already trimmed and checked.
    pub only: &'a [String],
    /// `--keep` names the caller's environment has: the caller's own value
    /// wins, so the secret is neither opened nor delivered.
    pub caller_keeps: &'a BTreeSet<&'a str>,
}

/// The secrets a run receives, in order, still sealed.
pub struct RunPlan {
    pub secrets: Vec<Planned>,
    /// The environment the run's values are from ("" = shared only).
    pub env: String,
}

/// One secret of a run.
pub struct Planned {
    pub name: String,
    /// Why it is not injected (a name the command must not be given), if so.
    /// It still counts as delivered.
    pub refused: Option<&'static str>,
    /// Secrets are masked in output; variables never are.
    pub mask: bool,
    /// The environment of the row it comes from ("" = shared).
    source: String,
    version: u64,
    value: StoredValue,
}

impl Vault {
    /// Unlock, then in one read transaction check the agent and read the
    /// verified policy, and choose the run's secrets (exit 3 listing every
    /// one a manifest or `--only` asks for and the run cannot have).
    pub fn plan_run(&mut self, src: &KeySource, req: &RunRequest<'_>) -> Result<RunPlan> {
        match req.agent {
            Some(a) => {
                // A member who operates `a` runs from its signed view
                // (`member_receives`); here only owners pass.
                self.require(super::Need::Right(a, "operate"), &format!("running as {a}"))?;
                self.require(
                    super::Need::Owner,
                    &format!("running as {a} from the policy"),
                )?;
            }
            None => self.require(super::Need::Owner, "running with every global secret")?,
        }
        // Unlock first, so the rows chosen are read in the same transaction
        // that verifies the policy tag.
        self.unlock(src)?;
        let agent = req.agent;
        let Vault { store, crypt, .. } = self;
        // The snapshot `Vault::open` read the key slots from, if the engine
        // can continue it: a PostgreSQL run then costs one read round trip.
        let snapshot = store.read_again(|tx| {
            if let Some(a) = agent {
                model::check_agent_name(a)?;
                if tx.agent(a)?.is_none() {
                    return Err(no_such_agent(tx, a));
                }
            }
            // Format 2 with `--only` reads and checks the named rows, the
            // agent's row and its grants: the cost of what the run receives,
            // not of the vault. A name it cannot find falls back to the
            // whole snapshot, which explains what is missing.
            if crypt.has_row_tags()
                && !req.only.is_empty()
                && req.manifest.is_none()
                && !tx.has_prefetch()
            {
                if let Some(s) = only_snapshot(tx, crypt, agent, req.env, req.only)? {
                    return Ok(s);
                }
            }
            crypt.verified_snapshot(tx)
        })?;
        let (all, grants) = (snapshot.rows, snapshot.grants);
        // The pin is read from the authenticated snapshot: a pin edited in
        // the database failed the policy check above. The same selection
        // is what an agent key's signed statement lists.
        let (env, rows, all_names) =
            super::agent_keys::plan_rows(all, &grants, &snapshot.pins, agent, req.env);
        let mut chosen = choose(rows, &all_names, req.manifest, req.only, agent, &grants)?;
        chosen.retain(|r| !req.caller_keeps.contains(r.name.as_str()));
        let secrets = chosen
            .into_iter()
            .map(|r| Planned {
                refused: model::forbidden_name(&r.name),
                mask: r.kind == Kind::Secret,
                source: r.env,
                name: r.name,
                version: r.version,
                value: r.value,
            })
            .collect();
        Ok(RunPlan { secrets, env })
    }

    /// The value of one planned secret.
    pub fn open_planned(&self, s: &Planned) -> Result<SecretValue> {
        self.crypt
            .open_value(&s.source, &s.name, s.version, &s.value)
    }

    /// Record a run in one write: which version of each planned secret
    /// (granted or global) `agent` now receives, so `agent show` can tell a
    /// rotated one as stale, and the run's audit entry (agent, program name,
    /// versions delivered, host). A run without an agent writes nothing.
    pub fn record_run(
        &mut self,
        agent: Option<&str>,
        plan: &RunPlan,
        program: &std::ffi::OsStr,
        now: &str,
    ) -> Result<()> {
        let delivered: Vec<(&str, u64)> = plan
            .secrets
            .iter()
            .filter(|s| s.refused.is_none())
            .map(|s| (s.name.as_str(), s.version))
            .collect();
        // A run without an agent is the owner running their own program: it
        // records no delivery and writes nothing, so `vault run` stays a
        // read-only, millisecond start (an audit write per plain run cost
        // about 2 ms). Runs for an agent (what was delivered to whom) are
        // audited with their delivery record.
        if agent.is_none() {
            return Ok(());
        }
        let subject = super::audit::with_env(
            &plan.env,
            serde_json::json!({
                "agent": agent,
                "program": program_name(program),
                "delivered": delivered
                    .iter()
                    .map(|(n, v)| serde_json::json!({ "name": n, "version": v }))
                    .collect::<Vec<_>>(),
            }),
        );
        self.relax_durability()?;
        let Vault { store, crypt, .. } = self;
        store.write(|tx| {
            if let Some(a) = agent {
                let all: Vec<(&str, &str, u64)> = plan
                    .secrets
                    .iter()
                    .map(|s| (s.name.as_str(), s.source.as_str(), s.version))
                    .collect();
                tx.record_delivery(a, &plan.env, &all, now)?;
            }
            super::audit::append(tx, crypt, "run", subject.clone())
        })
    }
}

/// Format 2: the rows `--only` names as environment `env` (else the
/// agent's pin) sees them, the agent's grants and pin, each checked against
/// its own tag (docs/FORMAT.md §19); `None` when a name has no row there.
fn only_snapshot(
    tx: &crate::store::Tx<'_>,
    crypt: &super::Crypt,
    agent: Option<&str>,
    env: Option<&str>,
    only: &[String],
) -> Result<Option<super::policy::Snapshot>> {
    crypt.check_format(tx)?;
    let mut pins = Vec::new();
    let mut grants = Vec::new();
    let mut pin = String::new();
    if let Some(a) = agent {
        let Some(p) = crypt.checked_pin(tx, a)? else {
            return Ok(None);
        };
        if !p.is_empty() {
            pins.push((a.to_owned(), p.clone()));
        }
        pin = p;
        grants = crypt
            .checked_grants_of(tx, a)?
            .into_iter()
            .map(|s| (a.to_owned(), s))
            .collect();
    }
    let env = env.map_or(pin, str::to_owned);
    let mut names: Vec<&str> = only.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let mut rows = Vec::with_capacity(names.len());
    for name in names {
        let Some((row, tag)) = super::rules::effective_tagged_row(tx, &env, name)? else {
            return Ok(None);
        };
        crypt.check_row_tag(&row, tag.as_deref())?;
        rows.push(row);
    }
    Ok(Some(super::policy::Snapshot { rows, grants, pins }))
}

impl super::Received {
    /// What an agent key's run injects: the statement's items narrowed by
    /// the manifest and `--only` exactly as an owner's run is (`choose`),
    /// minus what the caller keeps. Each with why it is refused, if so.
    pub fn narrowed(
        &self,
        manifest: Option<&(String, Vec<Declared>)>,
        only: &[String],
        caller_keeps: &BTreeSet<&str>,
    ) -> Result<Vec<(&super::ReceivedItem, Option<&'static str>)>> {
        let scope = |i: &super::ReceivedItem| {
            if i.granted {
                Scope::Agent
            } else {
                Scope::Global
            }
        };
        let rows: Vec<SecretRow> = self
            .items
            .iter()
            .map(|i| SecretRow {
                env: i.source.clone(),
                name: i.name.clone(),
                kind: if i.secret {
                    Kind::Secret
                } else {
                    Kind::Variable
                },
                scope: scope(i),
                description: String::new(),
                provider: None,
                version: i.version,
                created: String::new(),
                updated: String::new(),
                value: StoredValue::Plain(zeroize::Zeroizing::new(String::new())),
            })
            .collect();
        let all: Vec<(String, Scope)> = self
            .items
            .iter()
            .map(|i| (i.name.clone(), scope(i)))
            .collect();
        let grants: Vec<(String, String)> = self
            .items
            .iter()
            .filter(|i| i.granted)
            .map(|i| (self.agent.clone(), i.name.clone()))
            .collect();
        let chosen = choose(rows, &all, manifest, only, Some(&self.agent), &grants)?;
        Ok(chosen
            .iter()
            .filter(|r| !caller_keeps.contains(r.name.as_str()))
            .filter_map(|r| self.items.iter().find(|i| i.name == r.name))
            .map(|i| (i, model::forbidden_name(&i.name)))
            .collect())
    }
}

/// The last component of a run's program (argv[0]): what the audit entry
/// records, never its arguments.
pub(super) fn program_name(program: &std::ffi::OsStr) -> String {
    std::path::Path::new(program)
        .file_name()
        .unwrap_or(program)
        .to_string_lossy()
        .into_owned()
}

/// Narrow `available` (globals + grants) by the manifest and `--only`.
/// `all` is every secret in the vault with its scope, to explain what is missing.
fn choose(
    available: Vec<SecretRow>,
    all: &[(String, Scope)],
    manifest: Option<&(String, Vec<Declared>)>,
    only: &[String],
    agent: Option<&str>,
    grants: &[(String, String)],
) -> Result<Vec<SecretRow>> {
    let mut chosen = available;
    let mut problems: Vec<String> = Vec::new();
    // Past this many, the rest are counted, not explained one by one.
    const SHOWN_PROBLEMS: usize = 50;
    let mut more = 0usize;
    let known: BTreeSet<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    let why_missing = |name: &str, who: &str| -> String {
        match known.get(name) {
            None => match model::did_you_mean(name, all.iter().map(|(n, _)| n.as_str())) {
                Some(near) => format!(
                    "{name} {who} does not exist in the vault; did you mean {near}? (or add it with `vault set {name}`)"
                ),
                None => format!("{name} {who} does not exist in the vault: add it with `vault set {name}`"),
            },
            Some(_) => match agent {
                Some(a) => format!("{name} {who} is not granted to {a}: `vault grant {name} --agent {a}`"),
                None => {
                    let to: Vec<&str> = grants
                        .iter()
                        .filter(|(_, s)| s == name)
                        .map(|(a, _)| a.as_str())
                        .collect();
                    let pass = match to.first() {
                        Some(first) => format!("pass --agent {first} (it is granted to {})", to.join(", ")),
                        None => "grant it to an agent and pass --agent".to_owned(),
                    };
                    format!(
                        "{name} {who} is agent-only: {pass}, or make it global with `vault edit {name} --global`"
                    )
                }
            },
        }
    };
    if let Some((file, declared)) = manifest {
        let have: BTreeSet<&str> = chosen.iter().map(|r| r.name.as_str()).collect();
        for d in declared.iter().filter(|d| !d.optional) {
            if !have.contains(d.name.as_str()) {
                if problems.len() < SHOWN_PROBLEMS {
                    problems.push(why_missing(&d.name, &format!("(required by {file})")));
                } else {
                    more += 1;
                }
            }
        }
        let wanted: BTreeSet<&str> = declared.iter().map(|d| d.name.as_str()).collect();
        chosen.retain(|r| wanted.contains(r.name.as_str()));
    }
    if !only.is_empty() {
        let have: BTreeSet<&str> = chosen.iter().map(|r| r.name.as_str()).collect();
        let declared: Option<BTreeSet<&str>> =
            manifest.map(|(_, d)| d.iter().map(|d| d.name.as_str()).collect());
        for n in only {
            if !have.contains(n.as_str()) {
                let declared_out = declared.as_ref().is_some_and(|d| !d.contains(n.as_str()));
                if problems.len() >= SHOWN_PROBLEMS {
                    more += 1;
                } else if declared_out && known.contains(n.as_str()) {
                    let file = manifest.map(|(f, _)| f.as_str()).unwrap_or("the manifest");
                    problems.push(format!(
                        "{n} (from --only) is not declared in {file}: declare it there"
                    ));
                } else {
                    problems.push(why_missing(n, "(from --only)"));
                }
            }
        }
        let only: BTreeSet<&str> = only.iter().map(String::as_str).collect();
        chosen.retain(|r| only.contains(r.name.as_str()));
    }
    if !problems.is_empty() {
        let n = problems.len() + more;
        if more > 0 {
            problems.push(format!("... and {more} more"));
        }
        return Err(Error::not_found(format!(
            "{} not available; the command was not started:\n  {}",
            if n == 1 {
                "a secret is".to_owned()
            } else {
                format!("{n} secrets are")
            },
            problems.join("\n  ")
        )));
    }
    Ok(chosen)
}

impl RunPlan {
    /// What a command started with this plan receives: (variable, the
    /// environment of its row, version, masked?) of each secret injected,
    /// in name order. Two plans that give the same are the same to a
    /// running command (an environment's new row is a change even when its
    /// version number is the shared one's).
    fn received(&self) -> Vec<(String, String, u64, bool)> {
        let mut r: Vec<(String, String, u64, bool)> = self
            .secrets
            .iter()
            .filter(|s| s.refused.is_none())
            .map(|s| (s.name.clone(), s.source.clone(), s.version, s.mask))
            .collect();
        r.sort();
        r
    }
}

/// `vault run --watch`'s view of the vault: the request of the first plan,
/// kept to plan again, and what the running command received, to compare.
pub struct RunWatch {
    vault: Vault,
    env: Option<String>,
    /// The run's key source, minus the prompt: a re-read never asks for a
    /// passphrase while the command owns the terminal.
    keys: KeySource,
    agent: Option<String>,
    manifest: Option<(String, Vec<Declared>)>,
    only: Vec<String>,
    caller_keeps: BTreeSet<String>,
    program: std::ffi::OsString,
    /// What the running command received.
    current: Vec<(String, String, u64, bool)>,
    /// The last plan that differed, until it is delivered or accepted.
    next: Option<RunPlan>,
}

/// The parts of a run's request a watch keeps.
pub struct WatchRequest {
    pub agent: Option<String>,
    /// `--env` / `VAULT_ENV` (else the agent's pin, read again each time).
    pub env: Option<String>,
    pub manifest: Option<(String, Vec<Declared>)>,
    pub only: Vec<String>,
    pub caller_keeps: BTreeSet<String>,
    pub program: std::ffi::OsString,
}

impl Vault {
    /// Keep this vault for `vault run --watch`, with `first` the plan the
    /// command was started with, and the store's change check.
    pub fn watch_run(
        self,
        keys: &KeySource,
        req: WatchRequest,
        first: &RunPlan,
    ) -> Result<(RunWatch, Box<dyn crate::run::watch::Changes>)> {
        let changes = StoreChanges(self.store.watch()?);
        let mut vault = self;
        vault.store.end_read()?;
        Ok((
            RunWatch {
                vault,
                keys: KeySource {
                    key_text: keys.key_text.clone(),
                    passphrase: keys.passphrase.clone(),
                    passphrase_file: keys.passphrase_file.clone(),
                    unreadable: keys.unreadable,
                    callbacks: &NeverAsk,
                },
                agent: req.agent,
                env: req.env,
                manifest: req.manifest,
                only: req.only,
                caller_keeps: req.caller_keeps,
                program: req.program,
                current: first.received(),
                next: None,
            },
            Box::new(changes),
        ))
    }
}

/// The callbacks of a watch's re-reads: nobody is asked anything.
struct NeverAsk;

impl super::Callbacks for NeverAsk {
    fn request_passphrase(&self, _prompt: &str) -> Result<Option<zeroize::Zeroizing<String>>> {
        Ok(None)
    }
    fn request_new_passphrase(
        &self,
        _check: &dyn Fn(&str) -> Result<()>,
    ) -> Result<Option<zeroize::Zeroizing<String>>> {
        Ok(None)
    }
    fn display_message(&self, message: &str) {
        eprintln!("vault: {message}");
    }
}

/// The store's change check, as the watcher in `run` takes it.
struct StoreChanges(Box<dyn crate::store::ChangeWatch>);

impl crate::run::watch::Changes for StoreChanges {
    fn wait(&mut self, timeout: std::time::Duration) -> std::result::Result<bool, String> {
        self.0
            .wait(timeout)
            .map_err(|e| Error::from(e).message().to_owned())
    }
}

impl RunWatch {
    fn plan(&mut self) -> Result<RunPlan> {
        let keeps: BTreeSet<&str> = self.caller_keeps.iter().map(String::as_str).collect();
        self.vault.plan_run(
            &self.keys,
            &RunRequest {
                agent: self.agent.as_deref(),
                env: self.env.as_deref(),
                manifest: self.manifest.as_ref(),
                only: &self.only,
                caller_keeps: &keeps,
            },
        )
    }
}

impl crate::run::watch::Source for RunWatch {
    fn replan(&mut self) -> Result<Option<Vec<crate::run::Injected>>> {
        let plan = match self.plan() {
            // The key this vault was unlocked with may be gone (`vault
            // rekey`, a slot removed), or its connection (a PostgreSQL
            // server restarted): open and unlock it afresh, as a new run
            // would, before calling it a failure.
            Err(e) => {
                let fresh = Vault::open(&self.vault.paths).map_err(|_| e)?;
                let stale = std::mem::replace(&mut self.vault, fresh);
                match self.plan() {
                    Ok(plan) => plan,
                    Err(e) => {
                        self.vault = stale;
                        return Err(e);
                    }
                }
            }
            Ok(plan) => plan,
        };
        // A long watch must not sit in an open read transaction between
        // two changes (PostgreSQL would keep its snapshot).
        self.vault.store.end_read()?;
        if plan.received() == self.current {
            return Ok(None);
        }
        let mut secrets = Vec::with_capacity(plan.secrets.len());
        for s in plan.secrets.iter().filter(|s| s.refused.is_none()) {
            secrets.push(crate::run::Injected {
                name: s.name.clone(),
                value: self.vault.open_planned(s)?,
                mask: s.mask,
            });
        }
        self.next = Some(plan);
        Ok(Some(secrets))
    }

    fn delivered(&mut self) -> Result<()> {
        let Some(plan) = self.next.take() else {
            return Ok(());
        };
        self.current = plan.received();
        self.vault.record_run(
            self.agent.as_deref(),
            &plan,
            &self.program,
            &crate::model::now(),
        )
    }

    fn accept(&mut self) {
        if let Some(plan) = self.next.take() {
            self.current = plan.received();
        }
    }
}
