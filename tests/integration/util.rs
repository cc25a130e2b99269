//! Test harness: a temporary vault directory and a `vault` command with a
//! sealed-off environment (HOME, XDG_*, VAULT_* all inside the temp dir, no
//! inherited VAULT_* variables), plus helpers for asserting on output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

pub const VAULT_BIN: &str = env!("CARGO_BIN_EXE_vault");

pub struct Env {
    pub tmp: TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// The vault directory (`--vault-dir` / VAULT_DIR).
    pub fn dir(&self) -> PathBuf {
        self.root().join("vault")
    }

    pub fn db(&self) -> PathBuf {
        self.dir().join("vault.db")
    }

    pub fn key_file(&self) -> PathBuf {
        self.dir().join("vault.key")
    }

    /// A `vault` command with a clean, contained environment and VAULT_DIR set.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd(VAULT_BIN))
    }

    /// A plain std Command for `program` with the same contained environment
    /// (for shells, pipelines and processes a test spawns itself).
    pub fn std_cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let mut c = std::process::Command::new(program);
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.root().join("home"))
            .env("XDG_DATA_HOME", self.root().join("home/.local/share"))
            .env("XDG_CONFIG_HOME", self.root().join("home/.config"))
            .env("LANG", "C.UTF-8")
            .env("VAULT_DIR", self.dir())
            .env("VAULT", VAULT_BIN)
            .current_dir(self.root());
        c
    }

    /// `sh -c SCRIPT` with `$0` = the vault binary, in the contained environment.
    pub fn sh(&self, script: &str) -> std::process::Command {
        let mut c = self.std_cmd("sh");
        c.arg("-c").arg(script).arg(VAULT_BIN);
        c
    }

    /// `vault ARGS...`
    pub fn vault(&self, args: &[&str]) -> Command {
        let mut c = self.cmd();
        c.args(args);
        c
    }

    /// Run and return the output, asserting success.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.vault(args).output().expect("run vault");
        assert!(
            out.status.success(),
            "vault {args:?} failed with {:?}\nstdout: {}\nstderr: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `vault set NAME VALUE`, asserting success.
    pub fn set(&self, name: &str, value: &str) {
        self.ok(&["set", name, value]);
    }

    /// `vault get NAME --reveal`, asserting success; the value without the newline.
    pub fn reveal(&self, name: &str) -> String {
        let out = self.ok(&["get", name, "--reveal"]);
        let s = String::from_utf8(out.stdout).expect("utf8");
        s.strip_suffix('\n').expect("trailing newline").to_owned()
    }

    /// Every byte of every file in the vault dir (db, WAL, SHM, key).
    pub fn all_vault_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        if let Ok(rd) = std::fs::read_dir(self.dir()) {
            for e in rd.flatten() {
                if let Ok(b) = std::fs::read(e.path()) {
                    all.extend(b);
                }
            }
        }
        all
    }

    /// Run SQL against the vault database directly (to simulate tampering).
    pub fn sql(&self, sql: &str) {
        let conn = rusqlite_open(&self.db());
        conn.execute_batch(sql).expect("sql");
    }

    /// Run a query returning one integer.
    pub fn sql_i64(&self, sql: &str) -> i64 {
        let conn = rusqlite_open(&self.db());
        conn.query_row(sql, [], |r| r.get(0)).expect("query")
    }
}

fn rusqlite_open(p: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(p).expect("open db");
    c.busy_timeout(std::time::Duration::from_secs(10))
        .expect("busy");
    c
}

/// Parse stdout as one JSON document.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).expect("valid JSON on stdout")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Assert exit code and that neither stream contains any of `secrets`.
pub fn assert_code_no_leak(o: &Output, code: i32, secrets: &[&str]) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "expected exit {code}\nstdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
    for s in secrets {
        assert!(!stdout(o).contains(s), "stdout leaks a secret value");
        assert!(!stderr(o).contains(s), "stderr leaks a secret value");
    }
}

/// True when a byte string contains `needle`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// A pseudo-terminal made by the test, `rows` x `cols`: (master, slave).
/// Every test that needs a terminal starts from this one.
pub fn openpty(rows: u16, cols: u16) -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
    use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let slave = rustix::fs::open(
        name.as_c_str(),
        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    let ws = rustix::termios::Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    rustix::termios::tcsetwinsize(&master, ws).unwrap();
    (master, slave)
}
