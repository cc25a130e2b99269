//! `vault run --watch`: supervise the command as a masked run does, and
//! when what it received changes, restart it, signal it, or stop and exit 75.
//!
//! Three parts, each knowing only its own job:
//!
//! - a [`Changes`] (the store's cheap change check, given by the vault
//!   layer) waited on by a thread of its own, which only says "something
//!   may have changed";
//! - a [`Source`] (the vault layer) that re-reads what the command would
//!   receive now and says whether it differs from what the running command
//!   received, and records a delivery;
//! - the loop here, which supervises the command in short slices
//!   ([`Supervisor::run_for`]), debounces bursts of changes, applies the
//!   splay, and acts.
//!
//! The pty, the terminal settings and the pumps outlive each command; the
//! redactor only grows (new values are added, old ones stay masked). Never
//! two commands at once: the old one is reaped before the next starts.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rustix::process::Signal;

use super::supervisor::{self, Launch, Mode, Outputs, Supervisor, Wake};
use super::{build_env, launch_error, redactor_for, resolve_program, Injected, Outcome};
use crate::error::Error;

/// What to do when what the command received changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnChange {
    /// Stop it (SIGTERM, the grace period, SIGKILL), then start it again
    /// with the new environment.
    Restart,
    /// Send it this signal; it keeps running with its old environment.
    Signal(Signal),
    /// Stop it as for a restart, and exit 75 (EX_TEMPFAIL).
    Exit,
}

/// The flags of `--watch`, and the environment's shape for each start.
pub struct Options {
    pub on_change: OnChange,
    pub grace: Duration,
    pub debounce: Duration,
    pub splay: Duration,
    pub clean_env: bool,
    pub keep: Vec<String>,
    pub no_masking: bool,
}

/// The store's change check, as the vault layer hands it over.
pub trait Changes: Send {
    /// Wait up to `timeout`; true when the vault may have changed. An
    /// error is a lost connection: the caller warns and calls again.
    fn wait(&mut self, timeout: Duration) -> Result<bool, String>;
}

/// What the watcher asks of the vault layer.
pub trait Source {
    /// Re-read the run's secrets. `Ok(None)`: the running command received
    /// exactly these (names, versions, kinds); `Ok(Some(new))`: what it
    /// would receive now. An error names what failed, never a value.
    fn replan(&mut self) -> crate::error::Result<Option<Vec<Injected>>>;
    /// A command was started with the last replan's secrets: they are what
    /// it received from now on; record the delivery.
    fn delivered(&mut self) -> crate::error::Result<()>;
    /// The last replan's secrets are the baseline from now on, without a
    /// new command (it was signalled).
    fn accept(&mut self);
}

/// How often the loop looks at the change thread's messages while the
/// command runs (its output is pumped all along).
const TICK: Duration = Duration::from_millis(50);
/// The change thread's wait per call; the engine's own safety poll decides
/// when it reports a change without a notification.
const WAIT: Duration = Duration::from_secs(5);
/// After a failed wait (a lost connection), before trying again.
const RETRY: Duration = Duration::from_secs(2);

enum Event {
    Changed,
    Lost(String),
}

/// Run `argv` with `first` and restart, signal or stop it as its secrets
/// change. Returns like [`super::start`]; [`Outcome::Changed`] for
/// `--on-change exit`.
pub fn run(
    argv: &[OsString],
    first: Vec<Injected>,
    changes: Box<dyn Changes>,
    source: &mut dyn Source,
    opts: &Options,
) -> Outcome {
    let Some((program, args)) = argv.split_first() else {
        return Outcome::Failed(
            Error::usage("no command given").hint("vault run --watch -- COMMAND [ARGS...]"),
        );
    };
    let argv0 = (program, args);
    // Every value ever injected, so a value from before a restart that the
    // new command prints (a cache, a log replayed) is still masked.
    let mut known: Vec<Injected> = Vec::new();
    let mut redactor = masking(&mut known, &first, opts.no_masking);
    let (cmd, env, file) = command(argv0, &first, opts);
    let program = supervisor::child::program_name(cmd.get_program());
    if let Err(e) = supervisor::protect_memory(&program) {
        return launch_failure(argv, &file, &env, &first, e);
    }
    let outputs = Outputs::stdio();
    let mut sup = match Supervisor::new(Mode::detect(outputs), outputs, &redactor, &program) {
        Ok(s) => s,
        Err(e) => return launch_failure(argv, &file, &env, &first, e),
    };
    if let Err(e) = sup.start(cmd) {
        return launch_failure(argv, &file, &env, &first, e);
    }
    drop(env);
    let mut events = spawn_watcher(changes);
    // A burst of changes: (last seen, when the splay allows acting).
    let mut pending: Option<(Instant, Instant)> = None;
    let mut lost_reported = false;
    loop {
        if let Wake::Exited(code) = sup.run_for(TICK) {
            return Outcome::Exited(code);
        }
        while let Some(rx) = &events {
            match rx.try_recv() {
                Ok(Event::Changed) => {
                    lost_reported = false;
                    let now = Instant::now();
                    pending = Some(match pending {
                        Some((_, due)) => (now, due),
                        None => (now, now + splay(opts.splay)),
                    });
                }
                Ok(Event::Lost(why)) => {
                    if !lost_reported {
                        eprintln!(
                            "vault: warning: watching for changes failed ({why}); the command keeps running, retrying"
                        );
                        lost_reported = true;
                    }
                }
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    eprintln!(
                        "vault: warning: no longer watching for changes; the command keeps running"
                    );
                    events = None;
                }
            }
        }
        let Some((last, due)) = pending else {
            continue;
        };
        let now = Instant::now();
        if now < last + opts.debounce || now < due {
            continue;
        }
        pending = None;
        let new = match source.replan() {
            Ok(None) => continue,
            Ok(Some(new)) => new,
            Err(e) => {
                eprintln!(
                    "vault: warning: the command's secrets changed but cannot be read now: {}; it keeps running with what it has, and vault tries again at the next change",
                    e.message()
                );
                continue;
            }
        };
        match opts.on_change {
            OnChange::Signal(sig) => {
                // Its environment keeps the values it was started with,
                // which stay masked. New values it fetches itself are its
                // own business, as without --watch; swapping the redactor
                // mid-output would let out a value held back half-printed.
                drop(new);
                source.accept();
                sup.signal(sig);
            }
            OnChange::Exit => {
                sup.take_interrupted();
                let code = sup.stop(opts.grace);
                if sup.take_interrupted() {
                    return Outcome::Exited(code.unwrap_or(0));
                }
                return Outcome::Changed;
            }
            OnChange::Restart => {
                let (cmd, env, file) = command(argv0, &new, opts);
                // A signal the command survived earlier (a HUP it reloads
                // on) is not a reason to end now; one during the stop is.
                sup.take_interrupted();
                let code = sup.stop(opts.grace);
                if sup.take_interrupted() {
                    // ^C or SIGTERM during the stop: vault ends with it.
                    return Outcome::Exited(code.unwrap_or(0));
                }
                redactor = masking(&mut known, &new, opts.no_masking);
                sup.learn(&redactor);
                if let Err(e) = sup.start(cmd) {
                    return launch_failure(argv, &file, &env, &new, e);
                }
                drop(env);
                eprintln!("vault: the command's secrets changed; restarted it");
                if let Err(e) = source.delivered() {
                    eprintln!(
                        "vault: warning: the restarted command runs, but its delivery was not recorded: {}",
                        e.message()
                    );
                }
            }
        }
    }
}

/// The redactor for every value seen so far (`known` grows by `new`'s
/// values); an empty one under `--no-masking`.
fn masking(known: &mut Vec<Injected>, new: &[Injected], no_masking: bool) -> super::mask::Redactor {
    if no_masking {
        return super::mask::Redactor::new(&[]);
    }
    for s in new.iter().filter(|s| s.mask) {
        if !known.iter().any(|k| k.name == s.name && k.value == s.value) {
            known.push(Injected {
                name: s.name.clone(),
                value: s.value.clone(),
                mask: true,
            });
        }
    }
    redactor_for(known)
}

/// The command to spawn with `secrets`: program resolved as execvp would,
/// the complete environment set. Also returns the environment and the file
/// found, to word a failed start.
fn command(
    (program, args): (&OsString, &[OsString]),
    secrets: &[Injected],
    opts: &Options,
) -> (Command, Vec<(OsString, OsString)>, Option<PathBuf>) {
    use std::os::unix::process::CommandExt;
    let env = build_env(std::env::vars_os(), opts.clean_env, &opts.keep, secrets);
    let path_var = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone());
    let resolved = resolve_program(program, path_var.as_deref());
    let mut cmd = Command::new(
        resolved
            .as_deref()
            .map_or(program.as_os_str(), |p| p.as_os_str()),
    );
    if resolved.is_some() {
        cmd.arg0(program);
    }
    cmd.args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)));
    (cmd, env, resolved)
}

fn launch_failure(
    argv: &[OsString],
    file: &Option<PathBuf>,
    env: &[(OsString, OsString)],
    secrets: &[Injected],
    e: Launch,
) -> Outcome {
    match e {
        Launch::Spawn(err) => launch_error(&super::Launch {
            argv,
            file: file.as_deref(),
            env,
            secrets,
            err: &err,
        }),
        Launch::Failed(m) => Outcome::Failed(Error::other(m)),
    }
}

/// A random delay in [0, `splay`), so a fleet does not restart in step.
fn splay(splay: Duration) -> Duration {
    let ms = u64::try_from(splay.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 {
        return Duration::ZERO;
    }
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        return Duration::ZERO;
    }
    Duration::from_millis(u64::from_le_bytes(b) % ms)
}

/// The change check in a thread of its own, blocked in the engine's wait:
/// a message per change, and per failure (it keeps trying). It ends when
/// the loop is gone.
fn spawn_watcher(mut changes: Box<dyn Changes>) -> Option<mpsc::Receiver<Event>> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("vault-watch".to_owned())
        .spawn(move || loop {
            let event = match changes.wait(WAIT) {
                Ok(false) => continue,
                Ok(true) => Event::Changed,
                Err(why) => {
                    if tx.send(Event::Lost(why)).is_err() {
                        return;
                    }
                    std::thread::sleep(RETRY);
                    continue;
                }
            };
            if tx.send(event).is_err() {
                return;
            }
        });
    match spawned {
        Ok(_) => Some(rx),
        Err(e) => {
            eprintln!("vault: warning: cannot watch for changes ({e}); the command runs unwatched");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splay_stays_below_its_bound() {
        assert_eq!(splay(Duration::ZERO), Duration::ZERO);
        for _ in 0..100 {
            assert!(splay(Duration::from_millis(30)) < Duration::from_millis(30));
        }
    }

    #[test]
    fn known_values_only_grow_and_repeat_once() {
        let v =
            |s: &str| crate::model::SecretValue::new(zeroize::Zeroizing::new(s.into())).unwrap();
        let inj = |n: &str, s: &str, mask: bool| Injected {
            name: n.into(),
            value: v(s),
            mask,
        };
        let mut known = Vec::new();
        let r = masking(
            &mut known,
            &[inj("A", "old-value", true), inj("B", "plain-var", false)],
            false,
        );
        assert_eq!(known.len(), 1, "variables are never masked");
        assert!(!r.is_empty());
        masking(&mut known, &[inj("A", "new-value", true)], false);
        masking(&mut known, &[inj("A", "new-value", true)], false);
        assert_eq!(
            known.len(),
            2,
            "the old value stays, the new one is added once"
        );
        let r = masking(&mut known, &[inj("A", "x-value", true)], true);
        assert!(r.is_empty(), "--no-masking masks nothing");
    }
}
