//! vault's prompts on a real terminal: a pseudo-terminal the test creates,
//! with an interactive shell on it, typing as a user (or a paste) would.
//! What belongs here: anything about what is read at a prompt, what is left
//! for the shell afterwards, and the order of prompts.

use std::io::{Read, Write};
use std::process::{Child, Command};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::util::*;

/// A shell (or vault) on a pseudo-terminal made by the test.
struct Term {
    child: Child,
    master: std::fs::File,
    rx: mpsc::Receiver<Vec<u8>>,
    /// Everything the terminal showed so far.
    seen: Vec<u8>,
    /// Where the last `expect` matched: the next one looks after it, so
    /// two things that arrive in one read are both found.
    cursor: usize,
}

impl Term {
    /// Start `cmd` as a session leader (`setsid -c`) whose controlling
    /// terminal is the pty, so /dev/tty is the pty, as in a real login.
    fn spawn(env: &Env, args: &[&str]) -> Term {
        let (master, slave) = crate::util::openpty(24, 80);
        let mut cmd: Command = env.std_cmd("setsid");
        cmd.arg("-c")
            .args(args)
            .stdin(slave.try_clone().unwrap())
            .stdout(slave.try_clone().unwrap())
            .stderr(slave);
        let child = cmd.spawn().unwrap();
        drop(cmd);
        let mut reader = std::fs::File::from(master.try_clone().unwrap());
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Term {
            child,
            master: std::fs::File::from(master),
            rx,
            seen: Vec::new(),
            cursor: 0,
        }
    }

    /// An interactive bash with no start-up files, history kept in `hist`.
    fn shell(env: &Env, hist: &std::path::Path) -> Term {
        let mut t = Term::spawn(
            env,
            &[
                "env",
                &format!("HISTFILE={}", hist.display()),
                "PS1=$ ",
                "bash",
                "--norc",
                "--noprofile",
                "-i",
            ],
        );
        t.expect("$ ");
        t
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.seen).into_owned()
    }

    /// Wait until the terminal has shown `want` after the previous match;
    /// panic with the transcript if it does not come.
    fn expect(&mut self, want: &str) {
        let end = Instant::now() + Duration::from_secs(60);
        loop {
            let after = &self.seen[self.cursor..];
            if let Some(i) = after.windows(want.len()).position(|w| w == want.as_bytes()) {
                self.cursor += i + want.len();
                return;
            }
            let left = end.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(chunk) => self.seen.extend(chunk),
                Err(_) => panic!("never saw {want:?}; terminal showed:\n{}", self.text()),
            }
        }
    }

    fn type_(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).unwrap();
        self.master.flush().unwrap();
    }

    fn wait(&mut self) -> std::process::ExitStatus {
        let end = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                // Collect what is left on the screen.
                while let Ok(chunk) = self.rx.recv_timeout(Duration::from_millis(200)) {
                    self.seen.extend(chunk);
                }
                return st;
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!("did not exit; terminal showed:\n{}", self.text());
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// A PEM-like value whose lines are also shell commands that would leave a
/// trace: a file, and a line in the shell's history.
fn pem_with_commands(marker: &std::path::Path) -> Vec<String> {
    vec![
        "-----BEGIN PRIVATE KEY-----".to_owned(),
        format!("touch {}", marker.display()),
        "echo PASTED-LINE-RAN".to_owned(),
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC".to_owned(),
        "-----END PRIVATE KEY-----".to_owned(),
    ]
}

/// Paste `lines` at `vault set NAME` in an interactive shell, bracketed or
/// not, with `eol` between lines; the shell must run none of them, and the
/// whole paste must be the value.
fn paste_at_set_prompt(bracketed: bool, eol: &str) {
    let env = Env::new();
    env.set("OTHER", "other-value");
    let hist = env.root().join("history");
    let marker = env.root().join("PWNED");
    let lines = pem_with_commands(&marker);
    let mut sh = Term::shell(&env, &hist);
    sh.type_(b"\"$VAULT\" set PEM_KEY\r");
    sh.expect("Value for PEM_KEY");
    let mut paste = lines.join(eol);
    paste.push_str(eol);
    if bracketed {
        paste = format!("\x1b[200~{paste}\x1b[201~");
    }
    sh.type_(paste.as_bytes());
    sh.expect("PEM_KEY: created");
    sh.expect("$ ");
    // Give a leaked line every chance to run before looking.
    sh.type_(b"echo after-$((20+22))\r");
    sh.expect("after-42");
    sh.type_(b"exit\r");
    assert!(sh.wait().success());
    let screen = sh.text();
    assert!(
        !marker.exists(),
        "a pasted line ran in the shell:\n{screen}"
    );
    assert!(!screen.contains("PASTED-LINE-RAN"), "{screen}");
    let history = std::fs::read_to_string(&hist).unwrap_or_default();
    assert!(history.contains("set PEM_KEY"), "history: {history:?}");
    for l in &lines {
        assert!(!history.contains(l.as_str()), "history holds {l:?}");
        assert!(!screen.contains(l.as_str()), "the hidden paste was echoed");
    }
    assert_eq!(env.reveal("PEM_KEY"), lines.join("\n"));
}

// See: issue 17 item 1
#[test]
fn a_multi_line_paste_at_the_value_prompt_never_reaches_the_shell() {
    paste_at_set_prompt(false, "\r");
}

// See: issue 17 item 1
#[test]
fn a_bracketed_multi_line_paste_at_the_value_prompt_is_the_whole_value() {
    paste_at_set_prompt(true, "\r");
}

// See: issue 17 item 1
#[test]
fn a_multi_line_paste_with_crlf_or_lf_line_ends_is_read_whole() {
    paste_at_set_prompt(false, "\n");
    paste_at_set_prompt(true, "\r\n");
}

// See: issue 17 item 1
#[test]
fn a_bracketed_paste_without_a_final_line_break_waits_for_enter() {
    let env = Env::new();
    let mut t = Term::spawn(&env, &[VAULT_BIN, "set", "TWO_LINES"]);
    t.expect("Value for TWO_LINES");
    t.type_(b"\x1b[200~first-line-1\rsecond-line-2\x1b[201~");
    thread::sleep(Duration::from_millis(300));
    assert!(
        t.child.try_wait().unwrap().is_none(),
        "Enter was not pressed"
    );
    t.type_(b"\r");
    assert!(t.wait().success(), "{}", t.text());
    assert_eq!(env.reveal("TWO_LINES"), "first-line-1\nsecond-line-2");
}

// See: issue 17 item 1
#[test]
fn a_multi_line_paste_at_the_passphrase_prompt_is_refused_and_discarded() {
    let env = Env::new();
    env.vault(&["init", "--passphrase"])
        .env("VAULT_PASSPHRASE", "correct horse battery staple")
        .assert()
        .success();
    env.vault(&["set", "A_TOKEN", "a-value-1234"])
        .env("VAULT_PASSPHRASE", "correct horse battery staple")
        .assert()
        .success();
    let hist = env.root().join("history");
    let marker = env.root().join("PWNED");
    let mut sh = Term::shell(&env, &hist);
    sh.type_(b"\"$VAULT\" export >/dev/null; echo status=$?\r");
    sh.expect("Vault passphrase:");
    sh.type_(format!("correct horse\rtouch {}\r", marker.display()).as_bytes());
    sh.expect("status=5");
    sh.type_(b"echo after-$((20+22))\r");
    sh.expect("after-42");
    sh.type_(b"exit\r");
    assert!(sh.wait().success());
    let screen = sh.text();
    assert!(!marker.exists(), "a pasted line ran:\n{screen}");
    assert!(screen.contains("one line"), "{screen}");
    assert!(!screen.contains("correct horse"), "{screen}");
    let history = std::fs::read_to_string(&hist).unwrap_or_default();
    assert!(!history.contains("touch"), "history: {history:?}");
}

// See: issue 17 item 1
#[test]
fn ctrl_c_at_the_value_prompt_discards_the_rest_of_a_paste() {
    let env = Env::new();
    let hist = env.root().join("history");
    let marker = env.root().join("PWNED");
    let mut sh = Term::shell(&env, &hist);
    sh.type_(b"\"$VAULT\" set HALF\r");
    sh.expect("Value for HALF");
    // ^C in the middle of what was typed: vault dies of SIGINT, and the
    // line after it (already in the input queue) must not reach the shell.
    sh.type_(format!("half\x03touch {}\r", marker.display()).as_bytes());
    sh.expect("$ ");
    sh.type_(b"echo after-$((20+22))\r");
    sh.expect("after-42");
    sh.type_(b"exit\r");
    assert!(sh.wait().success());
    assert!(!marker.exists(), "{}", sh.text());
    let out = env.vault(&["get", "HALF"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
}
// See: issue 17 item 22
#[test]
fn a_passphrase_vault_asks_for_the_passphrase_before_the_value() {
    let env = Env::new();
    env.vault(&["init", "--passphrase"])
        .env("VAULT_PASSPHRASE", "correct horse battery staple")
        .assert()
        .success();
    let mut t = Term::spawn(&env, &[VAULT_BIN, "set", "API_TOKEN"]);
    t.expect("Vault passphrase:");
    assert!(!t.text().contains("Value for"), "{}", t.text());
    t.type_(b"wrong horse battery staple\r");
    let st = t.wait();
    assert_eq!(st.code(), Some(5), "{}", t.text());
    assert!(!t.text().contains("Value for"), "{}", t.text());
    // The right passphrase, then the value.
    let mut t = Term::spawn(&env, &[VAULT_BIN, "set", "API_TOKEN"]);
    t.expect("Vault passphrase:");
    t.type_(b"correct horse battery staple\r");
    t.expect("Value for API_TOKEN");
    t.type_(b"tok-value-123\r");
    assert!(t.wait().success(), "{}", t.text());
    let out = env
        .vault(&["get", "API_TOKEN", "--reveal"])
        .env("VAULT_PASSPHRASE", "correct horse battery staple")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "tok-value-123\n");
}

// See: issue 17 item 16
#[test]
fn turning_a_secret_into_plain_text_asks_on_a_terminal() {
    let env = Env::new();
    env.ok(&[
        "set",
        "OPENAI_API_KEY",
        "sk-plain-risk-1",
        "--provider",
        "openai",
    ]);
    // No: nothing changes.
    let mut t = Term::spawn(&env, &[VAULT_BIN, "edit", "OPENAI_API_KEY", "--variable"]);
    t.expect("[y/N]");
    assert!(t.text().contains("openai"), "{}", t.text());
    t.type_(b"n\r");
    assert_eq!(t.wait().code(), Some(1), "{}", t.text());
    assert!(!t.text().contains("sk-plain-risk-1"));
    let v = json(&env.ok(&["get", "OPENAI_API_KEY", "--json"]));
    assert_eq!(v["kind"], "secret");
    // Yes: it becomes a variable.
    let mut t = Term::spawn(&env, &[VAULT_BIN, "edit", "OPENAI_API_KEY", "--variable"]);
    t.expect("[y/N]");
    t.type_(b"y\r");
    assert!(t.wait().success(), "{}", t.text());
    let v = json(&env.ok(&["get", "OPENAI_API_KEY", "--json"]));
    assert_eq!(v["kind"], "variable");
}

// See: issue 17 item 17
#[test]
fn enter_at_the_prompt_for_a_new_secret_warns_that_it_is_empty() {
    let env = Env::new();
    let mut t = Term::spawn(&env, &[VAULT_BIN, "set", "NEW_TOKEN"]);
    t.expect("Value for NEW_TOKEN");
    t.type_(b"\r");
    assert!(t.wait().success(), "{}", t.text());
    assert!(t.text().contains("empty value"), "{}", t.text());
    assert_eq!(env.reveal("NEW_TOKEN"), "");
}

// See: issue 17 item 22
#[test]
fn a_weak_passphrase_at_the_init_prompt_is_refused_before_it_is_repeated() {
    let env = Env::new();
    let mut t = Term::spawn(&env, &[VAULT_BIN, "init", "--passphrase"]);
    t.expect("New vault passphrase:");
    t.type_(b"abc\r");
    assert_eq!(t.wait().code(), Some(7), "{}", t.text());
    assert!(!t.text().contains("Repeat"), "{}", t.text());
    assert!(t.text().contains("at least 8"), "{}", t.text());
    assert!(!env.dir().exists());
    // A short but acceptable one: one warning, and the vault.
    let mut t = Term::spawn(&env, &[VAULT_BIN, "init", "--passphrase"]);
    t.expect("New vault passphrase:");
    t.type_(b"tr0ub4dor&3\r");
    t.expect("Repeat the passphrase:");
    t.type_(b"tr0ub4dor&3\r");
    assert!(t.wait().success(), "{}", t.text());
    assert_eq!(t.text().matches("warning:").count(), 1, "{}", t.text());
    assert!(!t.text().contains("tr0ub4dor"), "{}", t.text());
}

#[test]
fn audit_prune_asks_on_a_terminal() {
    let env = Env::new();
    env.set("API_KEY", "sk-prune-prompt-1");
    std::thread::sleep(Duration::from_millis(1100));
    let cut = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let count = || env.sql_i64("SELECT count(*) FROM audit");
    // No: nothing is pruned.
    let mut t = Term::spawn(&env, &[VAULT_BIN, "audit", "prune", "--before", &cut]);
    t.expect("[y/N]");
    assert!(t.text().contains("1 entry"), "{}", t.text());
    t.type_(b"n\r");
    assert_eq!(t.wait().code(), Some(1), "{}", t.text());
    assert_eq!(count(), 1);
    // Yes: the entry goes, its checkpoint stays.
    let mut t = Term::spawn(&env, &[VAULT_BIN, "audit", "prune", "--before", &cut]);
    t.expect("[y/N]");
    t.type_(b"y\r");
    assert!(t.wait().success(), "{}", t.text());
    assert_eq!(
        env.sql_i64("SELECT count(*) FROM audit WHERE action = 'checkpoint'"),
        1
    );
    assert_eq!(count(), 1);
    assert!(!t.text().contains("sk-prune-prompt-1"));
}
