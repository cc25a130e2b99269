//! `vault run --watch` (DESIGN §7.3): the command restarts, is signalled or
//! ends vault with 75 when what it received changes; nothing happens for
//! anything else. Each test runs a `sh` loop under `vault run --watch` in
//! the background, changes the vault from other processes, and reads the
//! loop's output as it comes. Deadlines are generous (the machine is
//! shared); the latency seen is printed for the record, never asserted.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::*;

/// Long enough for any restart on a loaded machine.
const DEADLINE: Duration = Duration::from_secs(10);
/// How long a change that must do nothing is given to (wrongly) act:
/// SQLite's 200 ms poll, the 300 ms debounce and a restart, several times.
const SETTLE: Duration = Duration::from_secs(2);

/// `vault run --watch ARGS -- sh -c SCRIPT` in the background, its output
/// collected line by line.
struct Watched {
    child: Child,
    lines: Arc<Mutex<Vec<(Instant, String)>>>,
    stderr: Arc<Mutex<String>>,
}

impl Watched {
    fn start(env: &Env, args: &[&str], script: &str) -> Watched {
        let mut cmd = env.std_cmd(VAULT_BIN);
        cmd.arg("run")
            .arg("--watch")
            .args(args)
            .args(["--", "sh", "-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn vault run --watch");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let out = BufReader::new(child.stdout.take().unwrap());
        let l = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                l.lock().unwrap().push((Instant::now(), line));
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let err = BufReader::new(child.stderr.take().unwrap());
        let e = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in err.lines().map_while(Result::ok) {
                let mut e = e.lock().unwrap();
                e.push_str(&line);
                e.push('\n');
            }
        });
        let w = Watched {
            child,
            lines,
            stderr,
        };
        w.wait_for("start", Instant::now());
        w
    }

    /// When a line containing `needle` first appeared at or after `since`;
    /// panics after [`DEADLINE`].
    fn wait_for(&self, needle: &str, since: Instant) -> Instant {
        let end = Instant::now() + DEADLINE;
        loop {
            if let Some(at) = self.seen(needle, since) {
                return at;
            }
            assert!(
                Instant::now() < end,
                "no line with {needle:?} within {DEADLINE:?}\nstdout:\n{}\nstderr:\n{}",
                self.output(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn seen(&self, needle: &str, since: Instant) -> Option<Instant> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .find(|(at, l)| *at >= since && l.contains(needle))
            .map(|(at, _)| *at)
    }

    fn count(&self, needle: &str) -> usize {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, l)| l.contains(needle))
            .count()
    }

    fn output(&self) -> String {
        let lines = self.lines.lock().unwrap();
        lines.iter().map(|(_, l)| format!("{l}\n")).collect()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// vault's exit code, waiting up to [`DEADLINE`] for it to end.
    fn exit_code(&mut self) -> Option<i32> {
        let end = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(
                Instant::now() < end,
                "vault did not exit\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn still_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// SIGTERM to vault (it forwards it and exits with the command's status).
    fn terminate(&mut self) -> Option<i32> {
        let _ = std::process::Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        self.exit_code()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn backend() -> &'static str {
    if on_postgres() {
        "postgres"
    } else {
        "sqlite"
    }
}

/// A loop that prints what it received every 100 ms: the part of TOKEN
/// after `value-` (not a value, so not masked), and TOKEN whole (masked).
/// A lock file says a command is running; a second one finding it reports
/// an overlap. SIGTERM: it cleans up slowly, then exits.
const PRINTER: &str = r#"
if [ -e lock ]; then echo OVERLAP; fi
touch lock
trap 'sleep 0.2; rm -f lock; exit 0' TERM
echo "start pid=$$"
while :; do
  echo "tail=${TOKEN#value-} full=$TOKEN other=${OTHER:-none}"
  sleep 0.1
done
"#;

#[test]
fn a_new_value_restarts_the_command_with_it_and_keeps_masking() {
    let env = Env::new();
    env.set("TOKEN", "value-old-1111");
    let w = Watched::start(&env, &["--only", "TOKEN"], PRINTER);
    w.wait_for("tail=old-1111", Instant::now() - DEADLINE);
    let before = Instant::now();
    env.set("TOKEN", "value-new-2222");
    let seen = w.wait_for("tail=new-2222", before);
    eprintln!(
        "latency ({}): `vault set` started -> new value printed by the restarted command: {} ms",
        backend(),
        seen.duration_since(before).as_millis()
    );
    assert_eq!(w.count("start pid="), 2, "{}", w.output());
    assert_eq!(
        w.count("OVERLAP"),
        0,
        "two commands at once:\n{}",
        w.output()
    );
    let out = w.output();
    assert!(
        !out.contains("value-new-2222") && !out.contains("value-old-1111"),
        "a value reached the output:\n{out}"
    );
    assert!(
        w.seen("full=<redacted:TOKEN>", seen).is_some(),
        "the new value is masked after the restart:\n{out}"
    );
    assert!(w.stderr().contains("restarted"), "{}", w.stderr());
}

#[test]
fn a_change_to_what_the_command_does_not_receive_does_nothing() {
    let env = Env::new();
    env.set("TOKEN", "value-old-1111");
    env.set("OTHER", "other-value-1");
    env.ok(&["agent", "create", "bot"]);
    env.ok(&["agent", "create", "other-bot"]);
    env.ok(&["set", "BOT_ONLY", "bot-only-secret", "--agent", "other-bot"]);
    let mut w = Watched::start(&env, &["--agent", "bot", "--only", "TOKEN"], PRINTER);
    // A secret it does not receive (--only), another agent's secret, and
    // another agent's run (which writes its delivery record).
    env.set("OTHER", "other-value-2");
    env.ok(&[
        "set",
        "BOT_ONLY",
        "bot-only-secret-2",
        "--agent",
        "other-bot",
    ]);
    env.ok(&["run", "--agent", "other-bot", "--", "true"]);
    std::thread::sleep(SETTLE);
    assert!(w.still_running(), "{}", w.stderr());
    assert_eq!(w.count("start pid="), 1, "restarted:\n{}", w.output());
    assert_eq!(
        w.count("other=other"),
        0,
        "OTHER was never injected (--only)"
    );
    // What it does receive still restarts it: the watch was on all along.
    let before = Instant::now();
    env.set("TOKEN", "value-new-2222");
    w.wait_for("tail=new-2222", before);
    assert_eq!(w.count("start pid="), 2);
}

#[test]
fn a_burst_of_changes_is_one_restart() {
    let env = Env::new();
    env.set("TOKEN", "value-old-1111");
    let w = Watched::start(&env, &["--debounce", "2s", "--splay", "300ms"], PRINTER);
    let before = Instant::now();
    // Five versions in a row, and an import of many lines.
    let mut status = env
        .sh(r#"for i in 1 2 3 4; do "$0" set TOKEN "value-mid-$i" >/dev/null || exit 1; done"#)
        .status()
        .unwrap();
    assert!(status.success());
    let lines: String = (0..200)
        .map(|i| format!("BULK_{i}=bulk-value-{i}\n"))
        .collect();
    std::fs::write(
        env.root().join("bulk.env"),
        format!("{lines}TOKEN=value-new-2222\n"),
    )
    .unwrap();
    status = env
        .sh(r#""$0" import bulk.env >/dev/null"#)
        .status()
        .unwrap();
    assert!(status.success());
    w.wait_for("tail=new-2222", before);
    std::thread::sleep(SETTLE);
    assert_eq!(
        w.count("start pid="),
        2,
        "one restart for the burst:\n{}",
        w.output()
    );
}

#[test]
fn on_change_exit_stops_the_command_and_exits_75() {
    let env = Env::new();
    env.set("TOKEN", "value-old-1111");
    let mut w = Watched::start(&env, &["--on-change", "exit"], PRINTER);
    env.set("TOKEN", "value-new-2222");
    assert_eq!(w.exit_code(), Some(75), "{}", w.stderr());
    assert_eq!(w.count("start pid="), 1);
    assert!(
        !env.root().join("lock").exists(),
        "the command was stopped (its TERM trap ran) before vault exited"
    );
}

#[test]
fn on_change_signal_sends_it_and_does_not_restart() {
    let env = Env::new();
    env.set("TOKEN", "value-old-1111");
    let script = r#"
trap 'echo "got HUP, TOKEN still ${TOKEN#value-}"' HUP
echo "start pid=$$"
while :; do sleep 0.1; done
"#;
    let mut w = Watched::start(&env, &["--on-change", "signal:HUP"], script);
    let before = Instant::now();
    env.set("TOKEN", "value-new-2222");
    w.wait_for("got HUP, TOKEN still old-1111", before);
    std::thread::sleep(SETTLE);
    assert!(w.still_running(), "{}", w.stderr());
    assert_eq!(w.count("start pid="), 1, "{}", w.output());
    assert_eq!(w.count("got HUP"), 1, "one change, one signal");
    // ^C/SIGTERM still ends everything with the command's status.
    assert_eq!(w.terminate(), Some(143));
}

#[test]
fn a_command_that_ignores_sigterm_is_killed_after_the_grace_period_never_overlapping() {
    let env = Env::new();
    env.set("TOKEN", "value-old-1111");
    // The new command checks that the previous one (its pid in a file) is gone.
    let script = r#"
trap '' TERM
if [ -f pidfile ] && kill -0 "$(cat pidfile)" 2>/dev/null; then echo OVERLAP; fi
echo $$ > pidfile
echo "start pid=$$"
while :; do echo "tail=${TOKEN#value-}"; sleep 0.1; done
"#;
    let w = Watched::start(&env, &["--grace", "1s"], script);
    let before = Instant::now();
    env.set("TOKEN", "value-new-2222");
    let seen = w.wait_for("tail=new-2222", before);
    assert_eq!(w.count("OVERLAP"), 0, "{}", w.output());
    assert_eq!(w.count("start pid="), 2);
    assert!(
        seen.duration_since(before) >= Duration::from_secs(1),
        "the old command had its grace period before SIGKILL"
    );
    assert!(w.stderr().contains("restarted"), "{}", w.stderr());
}

#[test]
fn a_revoked_secret_restarts_the_command_without_it_and_agent_show_says_synced() {
    let env = Env::new();
    env.ok(&["agent", "create", "bot"]);
    env.ok(&["set", "TOKEN", "value-old-1111", "--agent", "bot"]);
    env.ok(&["set", "EXTRA", "extra-value-1", "--agent", "bot"]);
    let script = r#"
echo "start pid=$$"
while :; do echo "tail=${TOKEN#value-} token=${TOKEN:+yes}"; sleep 0.1; done
"#;
    let w = Watched::start(&env, &["--agent", "bot"], script);
    let state = |name: &str| -> String {
        let v = json(&env.ok(&["agent", "show", "bot", "--json"]));
        v["grants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["secret"] == name)
            .map(|g| g["state"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(state("TOKEN"), "synced");
    // A new value: restarted, and the delivery recorded.
    let before = Instant::now();
    env.ok(&["set", "TOKEN", "value-new-2222"]);
    w.wait_for("tail=new-2222", before);
    let end = Instant::now() + DEADLINE;
    while state("TOKEN") != "synced" {
        assert!(Instant::now() < end, "agent show never said synced");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Revoked: restarted without it.
    let before = Instant::now();
    env.ok(&["revoke", "TOKEN", "--agent", "bot"]);
    w.wait_for("token=", before);
    let start = w.wait_for("start pid=", before);
    assert!(
        w.seen("token=yes", start).is_none(),
        "the command restarted after the revoke still has TOKEN:\n{}",
        w.output()
    );
    assert_eq!(w.count("start pid="), 3, "{}", w.output());
}

#[test]
fn a_failed_replan_keeps_the_command_running() {
    let env = Env::new();
    env.set("TOKEN", "value-old-1111");
    std::fs::write(
        env.root().join("vault.toml"),
        "[[secrets]]\nname = \"TOKEN\"\n",
    )
    .unwrap();
    let mut w = Watched::start(&env, &[], PRINTER);
    env.ok(&["delete", "TOKEN"]);
    let end = Instant::now() + DEADLINE;
    while !w.stderr().contains("keeps running") {
        assert!(Instant::now() < end, "no warning:\n{}", w.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(w.still_running());
    assert_eq!(w.count("start pid="), 1);
    assert!(!w.stderr().contains("value-old-1111"));
}

#[test]
fn watch_flags_are_checked() {
    let env = Env::new();
    env.set("TOKEN", "value-old-1111");
    for args in [
        &["run", "--grace", "1s", "--", "true"][..],
        &["run", "--on-change", "exit", "--", "true"],
        &["run", "--watch", "--on-change", "bogus", "--", "true"],
        &["run", "--watch", "--on-change", "signal:99", "--", "true"],
        &["run", "--watch", "--on-change", "signal:NOPE", "--", "true"],
        &["run", "--watch", "--grace", "soon", "--", "true"],
    ] {
        let out = env.vault(args).output().unwrap();
        assert_eq!(out.status.code(), Some(125), "{args:?}: {}", stderr(&out));
    }
    // A command that ends on its own ends vault with its status.
    for (sig, code) in [("signal:USR1", 3), ("signal:SIGHUP", 4), ("signal:1", 5)] {
        let out = env
            .vault(&[
                "run",
                "--watch",
                "--on-change",
                sig,
                "--",
                "sh",
                "-c",
                &format!("exit {code}"),
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{sig}: {}", stderr(&out));
    }
}

#[test]
fn a_signal_the_command_survived_does_not_end_the_watch() {
    let env = Env::new();
    env.set("TOKEN", "value-old-1111");
    let script = r#"
trap 'echo "reloaded"' HUP
echo "start pid=$$"
while :; do echo "tail=${TOKEN#value-}"; sleep 0.1; done
"#;
    let mut w = Watched::start(&env, &[], script);
    // SIGHUP to vault is forwarded; the command reloads and runs on.
    let _ = std::process::Command::new("kill")
        .args(["-HUP", &w.child.id().to_string()])
        .status();
    w.wait_for("reloaded", Instant::now() - DEADLINE);
    let before = Instant::now();
    env.set("TOKEN", "value-new-2222");
    w.wait_for("tail=new-2222", before);
    assert!(w.still_running(), "{}", w.stderr());
    assert_eq!(w.count("start pid="), 2, "{}", w.output());
}

#[test]
fn a_rekey_while_watching_is_followed() {
    let env = Env::new();
    env.set("TOKEN", "value-old-1111");
    let w = Watched::start(&env, &[], PRINTER);
    env.ok(&["rekey"]);
    let before = Instant::now();
    env.set("TOKEN", "value-new-2222");
    w.wait_for("tail=new-2222", before);
    assert!(!w.stderr().contains("warning"), "{}", w.stderr());
    assert_eq!(w.count("start pid="), 2, "{}", w.output());
}

#[test]
fn a_rename_of_a_received_secret_restarts_the_command() {
    let env = Env::new();
    env.set("TOKEN", "value-old-1111");
    let script = r#"
echo "start pid=$$"
while :; do echo "token=${TOKEN:-none} renamed=${NEW_TOKEN:+yes}"; sleep 0.1; done
"#;
    let w = Watched::start(&env, &[], script);
    let before = Instant::now();
    env.ok(&["rename", "TOKEN", "NEW_TOKEN"]);
    let seen = w.wait_for("renamed=yes", before);
    assert!(
        w.seen("token=none renamed=yes", seen).is_some(),
        "{}",
        w.output()
    );
    assert_eq!(w.count("start pid="), 2, "{}", w.output());
}

/// A watched run in an environment follows that environment's value: a
/// change of the shared one it does not use does nothing, and a new value
/// of its own for the environment (even at the shared one's version number)
/// restarts it with that value.
#[test]
fn a_watch_in_an_environment_follows_that_environments_value() {
    let env = Env::new();
    env.set("TOKEN", "value-shared-1111");
    env.ok(&["agent", "create", "prod-bot", "--env", "production"]);
    let w = Watched::start(&env, &["--agent", "prod-bot", "--only", "TOKEN"], PRINTER);
    w.wait_for("tail=shared-1111", Instant::now() - DEADLINE);
    // Production's own value, version 1 like the shared one: a change.
    let before = Instant::now();
    env.ok(&["set", "TOKEN", "value-prod-2222", "--env", "production"]);
    w.wait_for("tail=prod-2222", before);
    assert_eq!(w.count("start pid="), 2, "{}", w.output());
    // The shared value is no longer what it receives: nothing happens.
    env.set("TOKEN", "value-shared-3333");
    std::thread::sleep(SETTLE);
    assert_eq!(w.count("start pid="), 2, "restarted:\n{}", w.output());
    assert!(w.seen("tail=shared-3333", before).is_none());
}
