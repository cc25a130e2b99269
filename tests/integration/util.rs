//! Test harness: a temporary vault directory and a `vault` command with a
//! sealed-off environment (HOME, XDG_*, VAULT_* all inside the temp dir, no
//! inherited VAULT_* variables), plus helpers for asserting on output.
//!
//! `VAULT_TEST_BACKEND=postgres` runs every test against PostgreSQL: each
//! `Env` gets its own vault (a fresh schema, `vault=it_<pid>_<n>` in
//! `VAULT_DATABASE_URL`, dropped at the end) while the key file stays in the
//! temp dir. The server is `VAULT_TEST_DATABASE_URL` (default
//! `postgres://root@127.0.0.1:5432/test`). Without a server the runs use
//! SQLite and say so (`skipped:`), except under `CI=true`, where they fail.
//! Tests about the SQLite file itself call [`Env::sqlite_only`].
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

pub const VAULT_BIN: &str = env!("CARGO_BIN_EXE_vault");

pub struct Env {
    pub tmp: TempDir,
    /// The PostgreSQL schema holding this test's vault (postgres backend).
    pub pg_schema: Option<String>,
    /// `VAULT_TEST_FORMAT=2`: the vault was upgraded (or the attempt made).
    upgraded: std::sync::atomic::AtomicBool,
}

/// Every test's vault is in format 2 (what `vault init` and the first write
/// make) unless the test asks for format 1 (`Env::format1`). Kept from
/// before that: `VAULT_TEST_FORMAT=2` runs `vault upgrade` on the test's
/// vault as soon as it exists, which a format-2 vault refuses (exit 4,
/// ignored), so the variable changes nothing now.
pub fn test_format() -> u32 {
    match std::env::var("VAULT_TEST_FORMAT").as_deref() {
        Ok("2") => 2,
        _ => 1,
    }
}

pub fn pg_base_url() -> String {
    std::env::var("VAULT_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://root@127.0.0.1:5432/test?sslmode=disable".to_owned())
}

pub fn pg_admin() -> Option<postgres::Client> {
    postgres::Client::connect(&pg_base_url(), postgres::NoTls).ok()
}

/// Does this run use PostgreSQL? Decided once per test binary.
pub fn on_postgres() -> bool {
    static PG: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *PG.get_or_init(|| {
        if std::env::var("VAULT_TEST_BACKEND").as_deref() != Ok("postgres") {
            return false;
        }
        if pg_admin().is_some() {
            return true;
        }
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "VAULT_TEST_BACKEND=postgres but PostgreSQL is not answering at {} and CI=true: start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)",
                pg_base_url()
            );
        }
        eprintln!(
            "skipped: the PostgreSQL runs (VAULT_TEST_BACKEND=postgres, but no server at {}); these tests ran on SQLite",
            pg_base_url()
        );
        false
    })
}

/// True (and says so) when a test is about the SQLite file itself (or its
/// directory) and the run is on PostgreSQL: the caller returns early.
pub fn sqlite_only(why: &str) -> bool {
    if on_postgres() {
        eprintln!("skipped on postgres: {why}");
        return true;
    }
    false
}

impl Default for Env {
    fn default() -> Env {
        Env::new()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let (Some(s), Some(mut c)) = (&self.pg_schema, pg_admin()) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {s} CASCADE"));
        }
    }
}

impl Env {
    /// A test home with a format-1 vault (`vault init --format 1`, hidden):
    /// for tests of format 1 itself, of its policy tag, and of `vault
    /// upgrade`. Kept in format 1 under `VAULT_TEST_FORMAT=2`.
    pub fn format1() -> Env {
        let e = Env::new();
        e.keep_format();
        e.ok(&["init", "--format", "1"]);
        e
    }

    pub fn new() -> Env {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let pg_schema = on_postgres().then(|| {
            format!(
                "it_{}_{}",
                std::process::id(),
                N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            )
        });
        Env {
            tmp: tempfile::tempdir().expect("tempdir"),
            pg_schema,
            upgraded: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// `VAULT_DATABASE_URL` of this test's vault (postgres backend).
    pub fn database_url(&self) -> Option<String> {
        self.pg_schema.as_ref().map(|s| {
            let base = pg_base_url();
            let sep = if base.contains('?') { '&' } else { '?' };
            format!("{base}{sep}vault={s}")
        })
    }

    /// The vault exists: its file, or its schema's tables on PostgreSQL.
    pub fn vault_exists(&self) -> bool {
        match &self.pg_schema {
            Some(schema) => pg_admin()
                .expect("postgres")
                .query_one(
                    &format!("SELECT to_regclass('{schema}.meta') IS NOT NULL"),
                    &[],
                )
                .expect("query")
                .get(0),
            None => self.dir().join("vault.db").exists(),
        }
    }

    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// The vault directory (`--vault-dir` / VAULT_DIR).
    pub fn dir(&self) -> PathBuf {
        self.root().join("vault")
    }

    /// The database file (under `VAULT_TEST_FORMAT=2`, upgraded first if
    /// it exists, so what a test reads or keeps is the format-2 file).
    pub fn db(&self) -> PathBuf {
        self.upgrade_if_asked();
        self.dir().join("vault.db")
    }

    pub fn key_file(&self) -> PathBuf {
        self.dir().join("vault.key")
    }

    /// A `vault` command with a clean, contained environment and VAULT_DIR set.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd(VAULT_BIN))
    }

    /// Leave this test's vault in the format its test makes (for tests of
    /// format 1 itself and of `vault upgrade`).
    pub fn keep_format(&self) {
        self.upgraded
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Under `VAULT_TEST_FORMAT=2`, upgrade the vault once it exists. A vault
    /// the harness cannot unlock on its own (a passphrase vault) stays in
    /// format 1, and says so on stderr.
    pub fn upgrade_if_asked(&self) {
        use std::sync::atomic::Ordering;
        if test_format() < 2 || self.upgraded.load(Ordering::Relaxed) || !self.vault_exists() {
            return;
        }
        self.upgraded.store(true, Ordering::Relaxed);
        let out = self
            .std_cmd(VAULT_BIN)
            .arg("upgrade")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run vault upgrade");
        // Exit 4: already in format 2, as every vault a test makes without
        // `Env::format1` now is (`vault init` makes format 2).
        if !out.status.success() && out.status.code() != Some(4) {
            eprintln!(
                "VAULT_TEST_FORMAT=2: this test's vault stays in format 1 (upgrade: {})",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }

    /// A plain std Command for `program` with the same contained environment
    /// (for shells, pipelines and processes a test spawns itself).
    pub fn std_cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        self.upgrade_if_asked();
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
        if let Some(url) = self.database_url() {
            c.env("VAULT_DATABASE_URL", url);
        }
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
        self.upgrade_if_asked();
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

    /// Run SQL against the vault database directly (to simulate tampering),
    /// on whichever engine holds it (SQL both engines read the same way).
    pub fn sql(&self, sql: &str) {
        self.upgrade_if_asked();
        if let Some(schema) = &self.pg_schema {
            let mut c = pg_admin().expect("postgres");
            c.batch_execute(&format!("SET search_path = {schema}; {sql}"))
                .expect("sql");
            return;
        }
        let conn = rusqlite_open(&self.db());
        conn.execute_batch(sql).expect("sql");
    }

    /// Run a query returning one integer.
    pub fn sql_i64(&self, sql: &str) -> i64 {
        self.upgrade_if_asked();
        if let Some(schema) = &self.pg_schema {
            let mut c = pg_admin().expect("postgres");
            c.batch_execute(&format!("SET search_path = {schema}"))
                .expect("search_path");
            let row = c.query_one(sql, &[]).expect("query");
            return row
                .try_get::<_, i64>(0)
                .or_else(|_| row.try_get::<_, i32>(0).map(i64::from))
                .expect("an integer");
        }
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
