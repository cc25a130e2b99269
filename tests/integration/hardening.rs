//! Hardening (issue 7): break things on purpose and check that vault fails
//! closed, loses nothing it acknowledged and leaks nothing. Each test is named
//! after the claim it proves; docs/SECURITY.md maps every claim of the threat
//! model to the test here that covers it.
//!
//! Tampering goes through rusqlite directly, as an attacker with write access
//! to vault.db would. Permission tests need an unprivileged user: run as root,
//! they re-run vault as `nobody` through `setpriv`, or print a plain
//! `skipped: ...` line when that is not possible. The large variants
//! (8 x 500 writes, the full 10 s busy timeout) run by default.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::{assert_code_no_leak, stderr, stdout, Env, VAULT_BIN};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// uid/gid of `nobody`, the unprivileged user the root-only checks run as.
const NOBODY: u32 = 65534;

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// A `std::process::Command` for `program` with the same sealed-off
/// environment as `Env::cmd` (util builds an `assert_cmd::Command`, which
/// cannot be spawned in the background or put in its own process group).
/// `$VAULT` names the binary, for shell scripts.
fn std_cmd(e: &Env, program: impl AsRef<OsStr>) -> std::process::Command {
    e.std_cmd(program)
}

/// `sh -c SCRIPT` in the test environment (`$VAULT` is the binary).
fn sh(e: &Env, script: &str) -> std::process::Command {
    let mut c = std_cmd(e, "sh");
    c.arg("-c").arg(script);
    c
}

fn run(mut c: std::process::Command) -> Output {
    c.output().expect("spawn")
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

/// Assert a failure is a clean one: the expected code, an `error:` line,
/// and no panic.
fn assert_clean_failure(o: &Output, expected: i32, what: &str) {
    assert_eq!(
        code(o),
        Some(expected),
        "{what}: expected exit {expected}\nstdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
    assert!(
        !stderr(o).contains("panicked"),
        "{what}: vault panicked: {}",
        stderr(o)
    );
    assert!(
        stderr(o).contains("error:"),
        "{what}: no `error:` line: {}",
        stderr(o)
    );
}

fn db_conn(e: &Env) -> rusqlite::Connection {
    e.upgrade_if_asked();
    let c = rusqlite::Connection::open(e.db()).expect("open db");
    c.busy_timeout(Duration::from_secs(10)).expect("busy");
    c
}

/// A fresh random number (std's per-process random hash keys, mixed with the clock).
fn random_u64() -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(Instant::now())
}

/// Every value of the vault, through `vault export --format json`.
fn export_all(e: &Env) -> BTreeMap<String, String> {
    let out = e.ok(&["export", "--format", "json"]);
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("export --format json is a JSON object");
    doc["secrets"]
        .as_array()
        .expect("a list of secrets")
        .iter()
        .map(|s| {
            let text = |k: &str| s[k].as_str().expect("a string").to_owned();
            (text("name"), text("value"))
        })
        .collect()
}

/// `vault list --json`, parsed; fails the test if it does not parse.
fn list_json(e: &Env) -> Vec<serde_json::Value> {
    let out = e.ok(&["list", "--json"]);
    serde_json::from_slice(&out.stdout).expect("list --json is a JSON array")
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).expect("stat").mode() & 0o7777
}

fn chown_tree(p: &Path, uid: u32) {
    std::os::unix::fs::lchown(p, Some(uid), Some(uid)).expect("chown");
    if std::fs::symlink_metadata(p).expect("stat").is_dir() {
        for entry in std::fs::read_dir(p).expect("read_dir") {
            chown_tree(&entry.expect("entry").path(), uid);
        }
    }
}

/// How a permission check gets an unprivileged vault: this user when it is
/// not root; `nobody` through setpriv when root. None (and a printed
/// `skipped:` line) when running as root without setpriv.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Unprivileged {
    Me,
    Nobody,
}

fn unprivileged(e: &Env, test: &str) -> Option<Unprivileged> {
    if !is_root() {
        return Some(Unprivileged::Me);
    }
    let setpriv_works = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !setpriv_works {
        println!("skipped: {test}: running as root and `setpriv` cannot switch to nobody, so the permission check would prove nothing");
        return None;
    }
    // nobody must own the test's temporary tree (the vault dir is created later).
    chown_tree(e.root(), NOBODY);
    Some(Unprivileged::Nobody)
}

/// `program args...` as the unprivileged user, in the test environment.
fn unpriv_cmd(e: &Env, who: Unprivileged, args: &[&str]) -> std::process::Command {
    match who {
        Unprivileged::Me => {
            let mut c = std_cmd(e, VAULT_BIN);
            c.args(args);
            c
        }
        Unprivileged::Nobody => {
            let mut c = std_cmd(e, "setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(VAULT_BIN)
                .args(args);
            c
        }
    }
}

/// A vault with one of each kind of policy: a global secret set twice
/// (versions 1 and 2), a secret granted to `bot`, one granted to `other`, and
/// a global variable.
/// Format 1: one policy tag over every row (FORMAT.md §6). Format 2's row
/// tags have their own tests (`format2::row_tags_*`).
fn policy_fixture() -> Env {
    let e = Env::format1();
    e.set("GLOBAL_KEY", "global-value-v1-aaaa");
    e.set("GLOBAL_KEY", "global-value-v2-bbbb");
    e.ok(&["agent", "create", "bot"]);
    e.ok(&["agent", "create", "other"]);
    e.ok(&["set", "BOT_KEY", "bot-only-value-cccc", "--agent", "bot"]);
    e.ok(&[
        "set",
        "OTHER_KEY",
        "other-only-value-dddd",
        "--agent",
        "other",
    ]);
    e.ok(&["set", "PUBLIC_URL", "https://example.test", "--variable"]);
    e
}

const POLICY_VALUES: &[&str] = &[
    "global-value-v1-aaaa",
    "global-value-v2-bbbb",
    "bot-only-value-cccc",
    "other-only-value-dddd",
];

fn policy_tag(e: &Env) -> Vec<u8> {
    db_conn(e)
        .query_row("SELECT value FROM meta WHERE key = 'policy_tag'", [], |r| {
            r.get(0)
        })
        .expect("policy tag")
}

/// After tampering with the policy: `run` (with and without an agent, masked
/// or not) exits 125 without starting the command, `get --reveal` exits 6,
/// a write command refuses with 6 instead of resealing the tampered policy,
/// and `list` still works but marks what it could not verify.
fn assert_policy_fails_closed(e: &Env, reveal: &str) {
    let marker = e.root().join("command-started");
    let marker_s = marker.to_str().unwrap();
    for args in [
        vec!["run", "--", "sh", "-c", "touch \"$0\"", marker_s],
        vec![
            "run",
            "--no-masking",
            "--",
            "sh",
            "-c",
            "touch \"$0\"",
            marker_s,
        ],
        vec![
            "run",
            "--agent",
            "bot",
            "--",
            "sh",
            "-c",
            "touch \"$0\"",
            marker_s,
        ],
    ] {
        let o = e.vault(&args).output().unwrap();
        assert_code_no_leak(&o, 125, POLICY_VALUES);
        assert!(
            stderr(&o).contains("policy failed authentication"),
            "{}",
            stderr(&o)
        );
        assert!(!marker.exists(), "`vault {args:?}` started the command");
    }
    let o = e.vault(&["get", reveal, "--reveal"]).output().unwrap();
    assert_code_no_leak(&o, 6, POLICY_VALUES);
    // Export reveals values too, and `--agent` is "what the agent would receive".
    for args in [
        &["export"][..],
        &["export", "--agent", "bot", "--format", "json"][..],
    ] {
        let o = e.vault(args).output().unwrap();
        assert_code_no_leak(&o, 6, POLICY_VALUES);
    }

    let tag_before = policy_tag(e);
    let o = e
        .vault(&["set", "NEW_KEY", "new-value-eeee"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 6, POLICY_VALUES);
    assert_eq!(
        policy_tag(e),
        tag_before,
        "a refused write resealed the policy"
    );
    assert_eq!(
        e.sql_i64("SELECT COUNT(*) FROM secrets WHERE name = 'NEW_KEY'"),
        0,
        "a refused write wrote anyway"
    );

    let o = e.vault(&["list"]).output().unwrap();
    assert_code_no_leak(&o, 0, POLICY_VALUES);
    assert!(
        stderr(&o).contains("failed authentication"),
        "{}",
        stderr(&o)
    );
    assert!(
        stdout(&o).contains("!"),
        "list does not mark the unverified policy"
    );
    let rows = list_json(e);
    assert!(rows
        .iter()
        .all(|r| r["policy_verified"] == serde_json::json!(false)));
}

// ---------------------------------------------------------------------------
// §2 Policy integrity
// ---------------------------------------------------------------------------

#[test]
fn policy_tamper_agent_secret_switched_to_global_fails_closed() {
    if crate::util::sqlite_only("tampers with SQLite SQL") {
        return;
    }
    let e = policy_fixture();
    e.sql("UPDATE secrets SET scope = 'global' WHERE name = 'OTHER_KEY'");
    assert_policy_fails_closed(&e, "OTHER_KEY");
}

#[test]
fn policy_tamper_added_grant_fails_closed() {
    if crate::util::sqlite_only("tampers with SQLite SQL") {
        return;
    }
    let e = policy_fixture();
    e.sql("INSERT INTO grants(agent, secret, created) VALUES ('bot', 'OTHER_KEY', '2024-01-01T00:00:00Z')");
    assert_policy_fails_closed(&e, "OTHER_KEY");
}

#[test]
fn policy_tamper_rollback_to_older_version_fails_closed() {
    if crate::util::sqlite_only("tampers with SQLite SQL") {
        return;
    }
    let e = policy_fixture();
    e.sql("UPDATE secrets SET version = 1 WHERE name = 'GLOBAL_KEY'");
    assert_policy_fails_closed(&e, "GLOBAL_KEY");
}

#[test]
fn policy_tamper_changed_variable_value_fails_closed() {
    if crate::util::sqlite_only("tampers with SQLite SQL") {
        return;
    }
    let e = policy_fixture();
    e.sql("UPDATE versions SET plain = 'https://attacker.test' WHERE name = 'PUBLIC_URL'");
    assert_policy_fails_closed(&e, "GLOBAL_KEY");
}

#[test]
fn policy_tamper_deleted_policy_tag_fails_closed() {
    let e = policy_fixture();
    e.sql("DELETE FROM meta WHERE key = 'policy_tag'");
    let o = e.vault(&["get", "BOT_KEY", "--reveal"]).output().unwrap();
    assert_code_no_leak(&o, 6, POLICY_VALUES);
    let o = e.vault(&["run", "--", "true"]).output().unwrap();
    assert_code_no_leak(&o, 125, POLICY_VALUES);
}

#[test]
fn untampered_policy_still_runs_and_reveals() {
    // The control for the tamper tests: the same fixture, untouched, works.
    let e = policy_fixture();
    assert_eq!(e.reveal("GLOBAL_KEY"), "global-value-v2-bbbb");
    let o = e
        .vault(&[
            "run",
            "--agent",
            "bot",
            "--no-masking",
            "--",
            "sh",
            "-c",
            "echo \"$BOT_KEY|$OTHER_KEY|$PUBLIC_URL\"",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "bot-only-value-cccc||https://example.test\n");
    assert!(list_json(&e)
        .iter()
        .all(|r| r["policy_verified"] == serde_json::json!(true)));
}

// ---------------------------------------------------------------------------
// §3 Wrong key vs damaged slot; Argon2 bounds
// ---------------------------------------------------------------------------

#[test]
fn wrong_key_is_locked_not_integrity() {
    let e = Env::new();
    e.set("A_SECRET", "a-secret-value-1234");
    let other = Env::new();
    other.set("B_SECRET", "b-secret-value-1234");
    let wrong_key = std::fs::read_to_string(other.key_file()).unwrap();

    // A wrong key in VAULT_KEY.
    let o = e
        .vault(&["get", "A_SECRET", "--reveal"])
        .env("VAULT_KEY", wrong_key.trim())
        .output()
        .unwrap();
    assert_code_no_leak(&o, 5, &["a-secret-value-1234", wrong_key.trim()]);
    assert!(stderr(&o).contains("does not unlock"), "{}", stderr(&o));

    // A wrong key file in place of the right one.
    std::fs::copy(other.key_file(), e.key_file()).unwrap();
    let o = e.vault(&["get", "A_SECRET", "--reveal"]).output().unwrap();
    assert_code_no_leak(&o, 5, &["a-secret-value-1234", wrong_key.trim()]);

    // A malformed key is locked too, not a crash.
    std::fs::write(e.key_file(), "not a key\n").unwrap();
    let o = e.vault(&["get", "A_SECRET", "--reveal"]).output().unwrap();
    assert_code_no_leak(&o, 5, &["a-secret-value-1234"]);
}

#[test]
fn damaged_key_slot_is_integrity_not_wrong_key() {
    if crate::util::sqlite_only("tampers with SQLite blob literals") {
        return;
    }
    let e = Env::new();
    e.set("A_SECRET", "a-secret-value-1234");
    for column in ["wrapped", "nonce"] {
        let conn = db_conn(&e);
        let mut blob: Vec<u8> = conn
            .query_row(&format!("SELECT {column} FROM slots"), [], |r| r.get(0))
            .unwrap();
        blob[3] ^= 0x01;
        conn.execute(&format!("UPDATE slots SET {column} = ?1"), [&blob])
            .unwrap();
        let o = e.vault(&["get", "A_SECRET", "--reveal"]).output().unwrap();
        assert_code_no_leak(&o, 6, &["a-secret-value-1234"]);
        assert!(stderr(&o).contains("key slot"), "{}", stderr(&o));
        // Undo, and the vault opens again: the damage was the only problem.
        blob[3] ^= 0x01;
        conn.execute(&format!("UPDATE slots SET {column} = ?1"), [&blob])
            .unwrap();
        drop(conn);
        assert_eq!(e.reveal("A_SECRET"), "a-secret-value-1234");
    }
}

/// A passphrase vault with one secret; VAULT_PASSPHRASE unlocks it.
fn passphrase_vault() -> Env {
    let e = Env::new();
    e.vault(&["init", "--passphrase"])
        .env("VAULT_PASSPHRASE", "correct horse battery staple")
        .assert()
        .success();
    e.vault(&["set", "P_SECRET", "passphrase-protected-5678"])
        .env("VAULT_PASSPHRASE", "correct horse battery staple")
        .assert()
        .success();
    e
}

#[test]
fn wrong_passphrase_is_locked_not_integrity() {
    let e = passphrase_vault();
    let o = e
        .vault(&["get", "P_SECRET", "--reveal"])
        .env("VAULT_PASSPHRASE", "correct horse battery stapler")
        .output()
        .unwrap();
    assert_code_no_leak(&o, 5, &["passphrase-protected-5678", "correct horse"]);
    assert!(stderr(&o).contains("wrong passphrase"), "{}", stderr(&o));
}

#[test]
fn absurd_argon2_cost_in_a_slot_is_refused_at_once() {
    let e = passphrase_vault();
    for kdf in [
        "argon2id:m=4294967295,t=1,p=1",
        "argon2id:m=65536,t=4294967295,p=1",
        "argon2id:m=65536,t=3,p=4294967295",
        "argon2id:m=65536,t=0,p=4",
        "argon2id:m=1,t=3,p=4",
        "argon2id:garbage",
    ] {
        e.sql(&format!("UPDATE slots SET kdf = '{kdf}'"));
        let start = Instant::now();
        let o = e
            .vault(&["get", "P_SECRET", "--reveal"])
            .env("VAULT_PASSPHRASE", "correct horse battery staple")
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let took = start.elapsed();
        assert_code_no_leak(&o, 6, &["passphrase-protected-5678"]);
        assert!(
            took < Duration::from_secs(5),
            "{kdf}: took {took:?}: the cost was attempted, not refused"
        );
    }
}

// ---------------------------------------------------------------------------
// §4 Unlock material never reaches children; the masking parent
// ---------------------------------------------------------------------------

#[test]
fn unlock_material_never_reaches_the_command() {
    let e = Env::new();
    e.set("A_SECRET", "a-secret-value-1234");
    let key_text = std::fs::read_to_string(e.key_file()).unwrap();
    let key_text = key_text.trim();
    let key_b64 = key_text.split_once(':').unwrap().1;
    let key_file = e.root().join("elsewhere.key");
    std::fs::copy(e.key_file(), &key_file).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let passphrase = "passphrase-that-must-not-leak";
    for extra in [
        &[][..],
        &["--no-masking"][..],
        &["--clean-env"][..],
        &["--no-masking", "--clean-env"][..],
    ] {
        let mut args = vec!["run"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--", "env"]);
        let o = e
            .vault(&args)
            .env("VAULT_KEY", key_text)
            .env("VAULT_KEY_FILE", &key_file)
            .env("VAULT_PASSPHRASE", passphrase)
            .output()
            .unwrap();
        assert_eq!(code(&o), Some(0), "{args:?}: {}", stderr(&o));
        let env = stdout(&o);
        for line in env.lines() {
            for own in ["VAULT_KEY=", "VAULT_PASSPHRASE=", "VAULT_KEY_FILE="] {
                assert!(
                    !line.starts_with(own),
                    "{args:?}: the command received {own}..."
                );
            }
        }
        for leak in [key_b64, passphrase] {
            assert!(
                !env.contains(leak),
                "{args:?}: unlock material in the command's environment"
            );
        }
        // The secret itself did arrive (so the check above saw a real environment).
        assert!(env.contains("A_SECRET="), "{args:?}: {env}");
    }

    // A passphrase vault unlocked by VAULT_PASSPHRASE: same.
    let p = passphrase_vault();
    for extra in [&[][..], &["--no-masking"][..]] {
        let mut args = vec!["run"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--", "env"]);
        let o = p
            .vault(&args)
            .env("VAULT_PASSPHRASE", "correct horse battery staple")
            .output()
            .unwrap();
        assert_eq!(code(&o), Some(0), "{args:?}: {}", stderr(&o));
        assert!(!stdout(&o).contains("VAULT_PASSPHRASE"), "{args:?}");
        assert!(!stdout(&o).contains("correct horse"), "{args:?}");
        assert!(stdout(&o).contains("P_SECRET="), "{args:?}");
    }
}

#[test]
fn masking_parent_is_not_dumpable_by_its_command() {
    let e = Env::new();
    let Some(who) = unprivileged(&e, "masking_parent_is_not_dumpable_by_its_command") else {
        return;
    };
    let o = run(unpriv_cmd(
        &e,
        who,
        &["set", "A_SECRET", "a-secret-value-1234"],
    ));
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    // The command (same user as vault) tries to read the masking parent's
    // memory and environment; as a control it reads a dumpable process of
    // the same user (a sleeping sibling), which must work.
    let script = r#"
        cat /proc/$PPID/environ >/dev/null 2>&1 && echo parent-environ-readable || echo parent-environ-denied
        head -c 1 /proc/$PPID/mem >/dev/null 2>&1 && echo parent-mem-readable || echo parent-mem-denied
        sleep 5 & sib=$!
        cat /proc/$sib/environ >/dev/null 2>&1 && echo sibling-readable || echo sibling-denied
        kill $sib
    "#;
    let o = run(unpriv_cmd(&e, who, &["run", "--", "sh", "-c", script]));
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("sibling-readable"),
        "the control failed, the check proves nothing: {out}"
    );
    assert!(out.contains("parent-environ-denied"), "{out}");
    assert!(out.contains("parent-mem-denied"), "{out}");
}

// ---------------------------------------------------------------------------
// §5 Dangerous names
// ---------------------------------------------------------------------------

#[test]
fn code_loading_names_need_the_explicit_flag() {
    let e = Env::new();
    for name in [
        "PATH",
        "NODE_OPTIONS",
        "BASH_ENV",
        "PYTHONPATH",
        "ENV",
        "PERL5OPT",
        "RUBYOPT",
        "PYTHONSTARTUP",
        "GCONV_PATH",
    ] {
        let o = e.vault(&["set", name, "/tmp/evil"]).output().unwrap();
        assert_code_no_leak(&o, 7, &["/tmp/evil"]);
        assert!(
            stderr(&o).contains("--allow-code-loading-name"),
            "{name}: {}",
            stderr(&o)
        );
        e.ok(&["set", name, "/tmp/evil", "--allow-code-loading-name"]);
    }
}

#[test]
fn loader_variables_are_refused_even_with_the_flag() {
    let e = Env::new();
    for name in ["LD_PRELOAD", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES"] {
        let o = e
            .vault(&["set", name, "/tmp/evil.so", "--allow-code-loading-name"])
            .output()
            .unwrap();
        assert_code_no_leak(&o, 7, &["/tmp/evil.so"]);
    }
    let env = e.root().join("loader.env");
    std::fs::write(&env, "GOOD_KEY=fine-value-1234\nLD_PRELOAD=/tmp/evil.so\n").unwrap();
    let o = e
        .vault(&["import", env.to_str().unwrap(), "--allow-code-loading-name"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 7, &["/tmp/evil.so"]);
    assert!(stderr(&o).contains("loader.env:2:"), "{}", stderr(&o));
    assert!(!e.vault_exists() || e.sql_i64("SELECT COUNT(*) FROM secrets") == 0);
}

#[test]
fn import_of_code_loading_name_fails_naming_the_line_unless_allowed() {
    let e = Env::new();
    let env = e.root().join("app.env");
    std::fs::write(
        &env,
        "# app\nAPI_KEY=api-value-1234\nNODE_OPTIONS=--require /tmp/evil.js\n",
    )
    .unwrap();
    let o = e
        .vault(&["import", env.to_str().unwrap()])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 7, &["api-value-1234", "/tmp/evil.js"]);
    assert!(stderr(&o).contains("app.env:3:"), "{}", stderr(&o));
    assert!(stderr(&o).contains("NODE_OPTIONS"), "{}", stderr(&o));
    assert!(
        !e.vault_exists() || e.sql_i64("SELECT COUNT(*) FROM secrets") == 0,
        "nothing may be imported"
    );

    e.ok(&["import", env.to_str().unwrap(), "--allow-code-loading-name"]);
    assert_eq!(e.reveal("NODE_OPTIONS"), "--require /tmp/evil.js");
    assert_eq!(e.reveal("API_KEY"), "api-value-1234");
}

// ---------------------------------------------------------------------------
// Malicious .env files, compromised agents, stolen files
// ---------------------------------------------------------------------------

#[test]
fn malicious_env_file_is_refused_whole_and_never_echoes_values() {
    let e = Env::new();
    let marker = e.root().join("expanded");
    let env = e.root().join("evil.env");
    std::fs::write(
        &env,
        format!(
            "GOOD_KEY=good-value-1234\nBROKEN='unterminated-secret-9876\nnot a line\nlower_case=lower-value-5555\nLD_AUDIT=/tmp/evil.so\n\nCMD=$(touch {m})\n",
            m = marker.display()
        ),
    )
    .unwrap();
    let o = e
        .vault(&["import", env.to_str().unwrap()])
        .output()
        .unwrap();
    assert_code_no_leak(
        &o,
        7,
        &[
            "good-value-1234",
            "unterminated-secret-9876",
            "lower-value-5555",
            "/tmp/evil.so",
        ],
    );
    for line in [2, 3, 4, 5] {
        assert!(
            stderr(&o).contains(&format!("evil.env:{line}:")),
            "line {line}: {}",
            stderr(&o)
        );
    }
    assert!(!e.vault_exists(), "a refused import created a vault");

    // Shell syntax is data, never run: `$(...)` and backticks are kept literally.
    let env2 = e.root().join("literal.env");
    std::fs::write(
        &env2,
        format!(
            "CMD=$(touch {m})\nTICKS='`touch {m}`'\nREF=${{HOME}}\n",
            m = marker.display()
        ),
    )
    .unwrap();
    e.ok(&["import", env2.to_str().unwrap()]);
    assert_eq!(e.reveal("CMD"), format!("$(touch {})", marker.display()));
    assert_eq!(e.reveal("TICKS"), format!("`touch {}`", marker.display()));
    assert_eq!(e.reveal("REF"), "${HOME}");
    e.ok(&["run", "--no-masking", "--", "true"]);
    assert!(!marker.exists(), "a value was executed");
}

#[test]
fn agent_receives_only_globals_and_its_own_grants() {
    let e = policy_fixture();
    let o = e
        .vault(&["run", "--agent", "bot", "--no-masking", "--", "env"])
        .output()
        .unwrap();
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let env = stdout(&o);
    assert!(env.contains("GLOBAL_KEY=global-value-v2-bbbb"));
    assert!(env.contains("BOT_KEY=bot-only-value-cccc"));
    assert!(!env.contains("OTHER_KEY") && !env.contains("other-only-value-dddd"));
    let o = e
        .vault(&["run", "--no-masking", "--", "env"])
        .output()
        .unwrap();
    assert!(!stdout(&o).contains("BOT_KEY") && !stdout(&o).contains("OTHER_KEY"));
    // What the agent prints of its secrets is masked.
    let o = e
        .vault(&[
            "run",
            "--agent",
            "bot",
            "--",
            "sh",
            "-c",
            "echo \"$BOT_KEY\"; echo \"$BOT_KEY\" >&2",
        ])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 0, POLICY_VALUES);
    assert_eq!(stdout(&o), "<redacted:BOT_KEY>\n");
}

#[test]
fn stolen_database_without_the_key_reveals_no_value() {
    if crate::util::sqlite_only("copies vault.db") {
        return;
    }
    let e = Env::new();
    let values = ["stolen-db-value-one-1111", "stolen-db-value-two-2222"];
    e.set("ONE_KEY", values[0]);
    e.set("TWO_KEY", values[1]);
    e.set("ONE_KEY", "stolen-db-value-one-rotated");
    // Hold the database open so the copy includes a live WAL too.
    let conn = db_conn(&e);
    let _: i64 = conn
        .query_row("SELECT COUNT(*) FROM secrets", [], |r| r.get(0))
        .unwrap();
    let thief = Env::new();
    std::fs::create_dir_all(thief.dir()).unwrap();
    std::fs::set_permissions(thief.dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut stolen = Vec::new();
    for entry in std::fs::read_dir(e.dir()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "vault.key" {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap();
        stolen.extend_from_slice(&bytes);
        std::fs::write(thief.dir().join(&name), bytes).unwrap();
    }
    drop(conn);
    for v in values.iter().chain(&["stolen-db-value-one-rotated"]) {
        assert!(
            !crate::util::contains(&stolen, v.as_bytes()),
            "plaintext in the database files"
        );
    }
    // Names and policy are readable (by design: list needs no key) ...
    let o = thief.vault(&["list", "--json"]).output().unwrap();
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    // ... values are not.
    for name in ["ONE_KEY", "TWO_KEY"] {
        let o = thief.vault(&["get", name, "--reveal"]).output().unwrap();
        assert_code_no_leak(&o, 5, &values);
    }
    let o = thief.vault(&["run", "--", "env"]).output().unwrap();
    assert_code_no_leak(&o, 125, &values);
}

#[test]
fn default_layout_keeps_the_key_file_apart_from_the_database() {
    if crate::util::sqlite_only("the layout of vault.db on disk") {
        return;
    }
    // A backup of the data directory alone does not carry the key.
    let e = Env::new();
    e.vault(&["set", "A_SECRET", "a-secret-value-1234"])
        .env_remove("VAULT_DIR")
        .assert()
        .success();
    let db = e.root().join("home/.local/share/vault/vault.db");
    let key = e.root().join("home/.config/vault/vault.key");
    assert!(db.exists() && key.exists());
    assert!(!db.parent().unwrap().join("vault.key").exists());
    assert_eq!(mode(key.parent().unwrap()), 0o700);
    assert_eq!(mode(&key), 0o600);
}

#[test]
fn ciphertext_copied_onto_another_secret_fails_closed() {
    let e = Env::new();
    e.set("FROM_KEY", "from-value-1234");
    e.set("TO_KEY", "to-value-5678");
    e.sql(
        "UPDATE versions SET nonce = (SELECT nonce FROM versions WHERE name = 'FROM_KEY'), \
         ciphertext = (SELECT ciphertext FROM versions WHERE name = 'FROM_KEY') WHERE name = 'TO_KEY'",
    );
    let o = e.vault(&["get", "TO_KEY", "--reveal"]).output().unwrap();
    assert_code_no_leak(&o, 6, &["from-value-1234", "to-value-5678"]);
    assert_eq!(e.reveal("FROM_KEY"), "from-value-1234");
}

// ---------------------------------------------------------------------------
// §8 One bit flipped in nonce / body / tag
// ---------------------------------------------------------------------------

#[test]
fn one_flipped_bit_in_nonce_body_or_tag_fails_only_that_secret() {
    if crate::util::sqlite_only("flips bits with SQLite blob functions") {
        return;
    }
    let values = [
        ("FIRST_KEY", "first-value-aaaa-1111"),
        ("SECOND_KEY", "second-value-bbbb-2222"),
        ("THIRD_KEY", "third-value-cccc-3333"),
    ];
    for part in ["nonce", "body", "tag"] {
        let e = Env::new();
        for (n, v) in values {
            e.set(n, v);
        }
        let conn = db_conn(&e);
        let (mut nonce, mut ct): (Vec<u8>, Vec<u8>) = conn
            .query_row(
                "SELECT nonce, ciphertext FROM versions WHERE name = 'SECOND_KEY'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        // Format 1: the nonce; format 2: the nonce, then the root wrap of
        // the data key (docs/FORMAT.md §10.4). The first 12 bytes are the
        // value's nonce either way.
        assert!(nonce.len() == 12 || nonce.len() == 72, "{}", nonce.len());
        assert_eq!(ct.len(), "second-value-bbbb-2222".len() + 16);
        let r = random_u64() as usize;
        let bit = 1u8 << (r % 8);
        match part {
            "nonce" => nonce[r % 12] ^= bit,
            "body" => {
                let body = ct.len() - 16;
                ct[r % body] ^= bit;
            }
            _ => {
                let n = ct.len();
                ct[n - 16 + r % 16] ^= bit;
            }
        }
        conn.execute(
            "UPDATE versions SET nonce = ?1, ciphertext = ?2 WHERE name = 'SECOND_KEY'",
            rusqlite::params![nonce, ct],
        )
        .unwrap();
        drop(conn);
        let all: Vec<&str> = values.iter().map(|(_, v)| *v).collect();
        let o = e
            .vault(&["get", "SECOND_KEY", "--reveal"])
            .output()
            .unwrap();
        assert_code_no_leak(&o, 6, &all);
        assert!(stderr(&o).contains("SECOND_KEY"), "{part}: {}", stderr(&o));
        assert_eq!(e.reveal("FIRST_KEY"), values[0].1, "{part}");
        assert_eq!(e.reveal("THIRD_KEY"), values[2].1, "{part}");
        // A run that would inject it fails before starting anything.
        let o = e.vault(&["run", "--", "env"]).output().unwrap();
        assert_code_no_leak(&o, 125, &all);
    }
}

// ---------------------------------------------------------------------------
// §6 File system
// ---------------------------------------------------------------------------

#[test]
fn files_are_private_under_umask_000() {
    if crate::util::sqlite_only("modes of vault.db and its WAL") {
        return;
    }
    let e = Env::new();
    let o = run(sh(
        &e,
        "umask 000; \"$VAULT\" set A_SECRET a-secret-value-1234",
    ));
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    assert_eq!(mode(&e.dir()), 0o700, "vault dir");
    assert_eq!(mode(&e.db()), 0o600, "vault.db");
    assert_eq!(mode(&e.key_file()), 0o600, "vault.key");
    // `run --no-masking` execs without SQLite's orderly close, so the WAL
    // and shared-memory files vault opened are still there to inspect.
    let o = run(sh(&e, "umask 000; \"$VAULT\" run --no-masking -- true"));
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(e.dir()).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        assert_eq!(mode(&entry.path()), 0o600, "{name} under umask 000");
        seen.insert(name);
    }
    for f in ["vault.db", "vault.key", "vault.db-wal", "vault.db-shm"] {
        assert!(seen.contains(f), "{f} not found in {seen:?}");
    }
    // The default layout's two directories too.
    let o = run({
        let mut c = sh(&e, "umask 000; \"$VAULT\" set B_SECRET b-secret-value-1234");
        c.env_remove("VAULT_DIR");
        c
    });
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    for p in ["home/.local/share/vault", "home/.config/vault"] {
        assert_eq!(mode(&e.root().join(p)), 0o700, "{p}");
    }
    assert_eq!(mode(&e.root().join("home/.config/vault/vault.key")), 0o600);
    assert_eq!(
        mode(&e.root().join("home/.local/share/vault/vault.db")),
        0o600
    );
}

#[test]
fn planted_symlink_at_key_file_is_refused_and_nothing_is_written_through_it() {
    for existing_target in [false, true] {
        let e = Env::new();
        let elsewhere = e.root().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::fs::create_dir_all(e.dir()).unwrap();
        std::fs::set_permissions(e.dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let target = elsewhere.join("planted.key");
        if existing_target {
            std::fs::write(&target, "").unwrap();
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        std::os::unix::fs::symlink(&target, e.key_file()).unwrap();
        let o = e
            .vault(&["set", "A_SECRET", "a-secret-value-1234"])
            .output()
            .unwrap();
        assert_ne!(
            code(&o),
            Some(0),
            "existing target {existing_target}: {}",
            stderr(&o)
        );
        assert_code_no_leak(&o, code(&o).unwrap(), &["a-secret-value-1234"]);
        assert!(!stderr(&o).contains("panicked"));
        if existing_target {
            assert_eq!(
                std::fs::read(&target).unwrap(),
                b"",
                "a key was written through the link"
            );
        } else {
            assert!(!target.exists(), "a key was written through the link");
        }
        assert!(std::fs::symlink_metadata(e.key_file())
            .unwrap()
            .is_symlink());
        assert!(!e.vault_exists(), "a vault was created with a planted key");
    }
}

#[test]
fn planted_symlink_at_database_is_refused_and_nothing_is_written_through_it() {
    if crate::util::sqlite_only("a symlink in place of vault.db") {
        return;
    }
    // A dangling link, a link to an empty file, and a link to a real vault.
    let real = Env::new();
    real.set("REAL_KEY", "real-value-1234");
    for case in ["dangling", "empty", "real-vault"] {
        let e = Env::new();
        std::fs::create_dir_all(e.dir()).unwrap();
        std::fs::set_permissions(e.dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let target = match case {
            "dangling" => e.root().join("elsewhere.db"),
            "empty" => {
                let t = e.root().join("elsewhere.db");
                std::fs::write(&t, "").unwrap();
                t
            }
            _ => {
                std::fs::copy(real.key_file(), e.key_file()).unwrap();
                real.db()
            }
        };
        let before = std::fs::read(&target).ok();
        std::os::unix::fs::symlink(&target, e.db()).unwrap();
        for args in [
            &["set", "A_SECRET", "a-secret-value-1234"][..],
            &["get", "REAL_KEY", "--reveal"][..],
        ] {
            let o = e.vault(args).output().unwrap();
            assert_ne!(code(&o), Some(0), "{case} {args:?}: {}", stdout(&o));
            assert_code_no_leak(
                &o,
                code(&o).unwrap(),
                &["a-secret-value-1234", "real-value-1234"],
            );
            assert!(!stderr(&o).contains("panicked"));
        }
        assert_eq!(
            std::fs::read(&target).ok(),
            before,
            "{case}: written through the link"
        );
        assert!(std::fs::symlink_metadata(e.db()).unwrap().is_symlink());
    }
    assert_eq!(real.reveal("REAL_KEY"), "real-value-1234");
}

#[test]
fn vault_dir_writable_by_others_is_refused_with_a_chmod_hint() {
    if crate::util::sqlite_only("modes of the directory holding vault.db") {
        return;
    }
    let e = Env::new();
    e.set("A_SECRET", "a-secret-value-1234");
    std::fs::set_permissions(e.dir(), std::fs::Permissions::from_mode(0o777)).unwrap();
    for args in [
        &["set", "B_SECRET", "b-secret-value-1234"][..],
        &["get", "A_SECRET", "--reveal"][..],
        &["list"][..],
    ] {
        let o = e.vault(args).output().unwrap();
        assert_code_no_leak(&o, 5, &["a-secret-value-1234", "b-secret-value-1234"]);
        assert!(
            stderr(&o).contains("writable by other users"),
            "{}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("chmod 700"), "{}", stderr(&o));
    }
    let o = e.vault(&["run", "--", "true"]).output().unwrap();
    assert_code_no_leak(&o, 125, &["a-secret-value-1234"]);
    std::fs::set_permissions(e.dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(e.reveal("A_SECRET"), "a-secret-value-1234");
}

#[test]
fn key_file_readable_by_others_is_refused_with_a_chmod_hint() {
    let e = Env::new();
    e.set("A_SECRET", "a-secret-value-1234");
    for m in [0o644, 0o640, 0o604, 0o660] {
        std::fs::set_permissions(e.key_file(), std::fs::Permissions::from_mode(m)).unwrap();
        let o = e.vault(&["get", "A_SECRET", "--reveal"]).output().unwrap();
        assert_code_no_leak(&o, 5, &["a-secret-value-1234"]);
        assert!(stderr(&o).contains("chmod 600"), "{m:o}: {}", stderr(&o));
    }
    std::fs::set_permissions(e.key_file(), std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(e.reveal("A_SECRET"), "a-secret-value-1234");
}

#[test]
fn sticky_world_writable_vault_dir_is_refused_too() {
    // Regression: mode 1777 (like /tmp) was accepted. The sticky bit only
    // stops others deleting files; they can still plant vault.db and
    // vault.key there before first use.
    let e = Env::new();
    std::fs::create_dir(e.dir()).unwrap();
    std::fs::set_permissions(e.dir(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let o = e
        .vault(&["set", "A_SECRET", "a-secret-value-1234"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 5, &["a-secret-value-1234"]);
    assert!(stderr(&o).contains("chmod 700"), "{}", stderr(&o));
    assert!(
        !e.key_file().exists() && !e.vault_exists(),
        "files were created"
    );
}

#[test]
fn vault_dir_owned_by_another_user_is_refused_even_for_root() {
    if crate::util::sqlite_only("ownership of the directory holding vault.db") {
        return;
    }
    let e = Env::new();
    if is_root() {
        // Root is not exempt: another user's directory lets that user swap
        // in the vault (and the PATH or BASH_ENV it injects) root would run.
        e.set("A_SECRET", "a-secret-value-1234");
        chown_tree(&e.dir(), NOBODY);
        for args in [
            &["set", "B_SECRET", "b-secret-value-1234"][..],
            &["get", "A_SECRET", "--reveal"][..],
            &["list"][..],
        ] {
            let o = e.vault(args).output().unwrap();
            assert_code_no_leak(&o, 5, &["a-secret-value-1234"]);
            assert!(
                stderr(&o).contains("belongs to another user"),
                "{}",
                stderr(&o)
            );
        }
        let o = e.vault(&["run", "--", "true"]).output().unwrap();
        assert_code_no_leak(&o, 125, &["a-secret-value-1234"]);
        // And as an unprivileged user, against a directory root owns.
        if let Some(who) = unprivileged(
            &e,
            "vault_dir_owned_by_another_user_is_refused_even_for_root (as nobody)",
        ) {
            chown_tree(&e.dir(), 0);
            std::fs::set_permissions(e.dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
            let o = run(unpriv_cmd(
                &e,
                who,
                &["set", "B_SECRET", "b-secret-value-1234"],
            ));
            assert_clean_failure(&o, 5, "nobody in root's dir");
            assert!(
                stderr(&o).contains("belongs to another user"),
                "{}",
                stderr(&o)
            );
        }
    } else {
        // Not root: a directory root owns is another user's.
        let o = e
            .vault(&["set", "B_SECRET", "b-secret-value-1234"])
            .env("VAULT_DIR", "/")
            .output()
            .unwrap();
        assert_clean_failure(&o, 5, "a root-owned dir");
        assert!(
            stderr(&o).contains("belongs to another user"),
            "{}",
            stderr(&o)
        );
    }
}

#[test]
fn concurrent_first_use_creates_exactly_one_vault() {
    if crate::util::sqlite_only("lists the files of the vault directory") {
        return;
    }
    for round in 0..3 {
        let e = Env::new();
        let children: Vec<Child> = (0..8)
            .map(|p| {
                let mut c = std_cmd(&e, VAULT_BIN);
                c.args([
                    "set",
                    &format!("FIRST_{p}"),
                    &format!("first-use-value-{p}"),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
                c.spawn().unwrap()
            })
            .collect();
        let mut created = 0;
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert_eq!(code(&o), Some(0), "round {round}: {}", stderr(&o));
            created += stderr(&o).matches("created a vault").count();
        }
        assert_eq!(created, 1, "round {round}: vaults created");
        let mut files: Vec<String> = std::fs::read_dir(e.dir())
            .unwrap()
            .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, ["vault.db", "vault.key"], "round {round}");
        let all = export_all(&e);
        assert_eq!(all.len(), 8, "round {round}");
        for p in 0..8 {
            assert_eq!(all[&format!("FIRST_{p}")], format!("first-use-value-{p}"));
        }
    }
}

// ---------------------------------------------------------------------------
// §7 Faults
// ---------------------------------------------------------------------------

/// Every command on a vault.db that is not a vault fails cleanly and leaves it as it was.
fn assert_not_a_vault_is_refused(e: &Env, case: &str) {
    let before = std::fs::read(e.db()).unwrap();
    for (args, expected) in [
        (&["list"][..], 1),
        (&["get", "A_SECRET", "--reveal"][..], 1),
        (&["set", "B_SECRET", "b-secret-value-1234"][..], 1),
        (&["run", "--", "true"][..], 125),
        (&["init"][..], 4),
    ] {
        let o = e.vault(args).output().unwrap();
        assert_clean_failure(&o, expected, &format!("{case}: {args:?}"));
        assert_eq!(
            std::fs::read(e.db()).unwrap(),
            before,
            "{case}: {args:?} changed the file"
        );
    }
}

#[test]
fn random_bytes_database_is_a_clear_error_not_a_panic() {
    if crate::util::sqlite_only("a damaged vault.db file") {
        return;
    }
    let e = Env::new();
    e.set("A_SECRET", "a-secret-value-1234");
    let mut junk = vec![0u8; 8192];
    let mut x = random_u64() | 1;
    for b in junk.iter_mut() {
        // xorshift64: any bytes will do, they only must not be a database.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    std::fs::write(e.db(), &junk).unwrap();
    assert_not_a_vault_is_refused(&e, "random bytes");
}

#[test]
fn truncated_database_is_a_clear_error_not_a_panic() {
    if crate::util::sqlite_only("a damaged vault.db file") {
        return;
    }
    let e = Env::new();
    e.set("A_SECRET", "a-secret-value-1234");
    let db = std::fs::read(e.db()).unwrap();
    std::fs::write(e.db(), &db[..100]).unwrap();
    assert_not_a_vault_is_refused(&e, "first 100 bytes");
}

#[test]
fn empty_database_file_is_an_error_not_a_silent_reinit() {
    if crate::util::sqlite_only("a damaged vault.db file") {
        return;
    }
    let e = Env::new();
    e.set("A_SECRET", "a-secret-value-1234");
    std::fs::write(e.db(), b"").unwrap();
    let o = e
        .vault(&["set", "B_SECRET", "b-secret-value-1234"])
        .output()
        .unwrap();
    assert_clean_failure(&o, 1, "empty vault.db");
    assert!(stderr(&o).contains("holds no vault"), "{}", stderr(&o));
    assert_eq!(
        std::fs::metadata(e.db()).unwrap().len(),
        0,
        "the empty file was re-initialised"
    );
    let o = e.vault(&["init"]).output().unwrap();
    assert_clean_failure(&o, 4, "init over an empty vault.db");
    assert_eq!(std::fs::metadata(e.db()).unwrap().len(), 0);
}

#[test]
fn read_only_vault_dir_is_a_clear_error() {
    if crate::util::sqlite_only("a read-only directory holding vault.db") {
        return;
    }
    let e = Env::new();
    let Some(who) = unprivileged(&e, "read_only_vault_dir_is_a_clear_error") else {
        return;
    };
    let o = run(unpriv_cmd(
        &e,
        who,
        &["set", "A_SECRET", "a-secret-value-1234"],
    ));
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let before = std::fs::read(e.db()).unwrap();
    std::fs::set_permissions(e.dir(), std::fs::Permissions::from_mode(0o500)).unwrap();
    let o = run(unpriv_cmd(
        &e,
        who,
        &["set", "B_SECRET", "b-secret-value-1234"],
    ));
    assert_clean_failure(&o, 1, "set in a read-only dir");
    assert!(stderr(&o).contains("read-only"), "{}", stderr(&o));
    assert_eq!(std::fs::read(e.db()).unwrap(), before);
    // A read-only place for a new vault: the directory cannot be made.
    let ro_parent = e.root().join("ro");
    std::fs::create_dir(&ro_parent).unwrap();
    if who == Unprivileged::Nobody {
        chown_tree(&ro_parent, NOBODY);
    }
    std::fs::set_permissions(&ro_parent, std::fs::Permissions::from_mode(0o500)).unwrap();
    let mut c = unpriv_cmd(&e, who, &["set", "B_SECRET", "b-secret-value-1234"]);
    c.env("VAULT_DIR", ro_parent.join("vault"));
    let o = run(c);
    assert_clean_failure(&o, 1, "new vault under a read-only dir");
    assert!(stderr(&o).contains("Permission denied"), "{}", stderr(&o));
    std::fs::set_permissions(e.dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
}

#[test]
fn disk_full_is_a_clear_error_and_keeps_acknowledged_writes() {
    if crate::util::sqlite_only("a full disk under vault.db") {
        return;
    }
    // A 300 KiB tmpfs in a private mount namespace (root, or an unprivileged
    // user namespace), filled with 40 KB secrets until a write fails.
    let e = Env::new();
    let mnt = e.root().join("small-disk");
    std::fs::create_dir(&mnt).unwrap();
    let script = r#"
        mount -t tmpfs -o size=300k tmpfs "$MNT" 2>/dev/null || { echo mount-failed; exit 0; }
        export VAULT_DIR="$MNT/vault"
        V=$(head -c 40000 /dev/zero | tr '\0' x)
        for i in $(seq 40); do
            if "$VAULT" set BIG_$i "$V" >/dev/null 2>"$OUT/err"; then echo "ok $i"; else echo "failed $?"; break; fi
        done
        # An export appends its audit entry before it prints (fail closed),
        # so it needs room for one row: grow the disk, keep its contents.
        mount -o remount,size=2m "$MNT"
        "$VAULT" export --format json >"$OUT/exported" 2>&1; echo "export $?"
    "#;
    let unshare_args: &[&str] = if is_root() { &["-m"] } else { &["-r", "-m"] };
    let mut c = std_cmd(&e, "unshare");
    c.args(unshare_args)
        .args(["sh", "-c", script])
        .env("MNT", &mnt)
        .env("OUT", e.root());
    let o = run(c);
    let out = stdout(&o);
    if !o.status.success() || out.contains("mount-failed") {
        println!("skipped: disk_full_is_a_clear_error_and_keeps_acknowledged_writes: cannot mount a small tmpfs here (needs root or user namespaces): {}", stderr(&o).trim());
        return;
    }
    let acked: Vec<u32> = out
        .lines()
        .filter_map(|l| l.strip_prefix("ok "))
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(
        out.contains("failed 1\n"),
        "the disk never filled up, or the failure was not exit 1: {out}"
    );
    assert!(!acked.is_empty(), "{out}");
    let err = std::fs::read_to_string(e.root().join("err")).unwrap();
    assert!(err.contains("disk is full"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        out.contains("export 0"),
        "the vault does not open after a full disk: {out}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(e.root().join("exported")).unwrap()).unwrap();
    let exported: BTreeMap<String, String> = doc["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let text = |k: &str| s[k].as_str().unwrap().to_owned();
            (text("name"), text("value"))
        })
        .collect();
    for i in acked {
        assert_eq!(exported[&format!("BIG_{i}")].len(), 40000, "BIG_{i}");
    }
}

/// Hold the write lock with `BEGIN EXCLUSIVE` from the test for `hold`, with a
/// `vault set` started meanwhile; returns its output and how long it took.
fn set_while_locked(e: &Env, hold: Duration) -> (Output, Duration) {
    let conn = db_conn(e);
    conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let start = Instant::now();
    let mut c = std_cmd(e, VAULT_BIN);
    c.args(["set", "B_SECRET", "b-secret-value-1234"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    std::thread::sleep(hold);
    let waiting = child.try_wait().unwrap().is_none();
    conn.execute_batch("ROLLBACK").unwrap();
    drop(conn);
    let o = child.wait_with_output().unwrap();
    assert!(
        waiting || code(&o) != Some(0),
        "`vault set` finished while the lock was held: {}",
        stderr(&o)
    );
    (o, start.elapsed())
}

#[test]
fn locked_database_makes_a_writer_wait_not_fail() {
    if crate::util::sqlite_only("holds a SQLite lock") {
        return;
    }
    let e = Env::new();
    e.set("A_SECRET", "a-secret-value-1234");
    let (o, took) = set_while_locked(&e, Duration::from_millis(1200));
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    assert!(took >= Duration::from_millis(1200), "{took:?}");
    assert_eq!(e.reveal("B_SECRET"), "b-secret-value-1234");
}

#[test]
fn lock_held_past_the_busy_timeout_says_vault_busy() {
    if crate::util::sqlite_only("holds a SQLite lock (store test a_writer_waiting_past_the_lock_timeout_is_busy covers PostgreSQL)") {
        return;
    }
    let e = Env::new();
    e.set("A_SECRET", "a-secret-value-1234");
    let (o, _) = set_while_locked(&e, Duration::from_secs(12));
    assert_clean_failure(&o, 1, "busy");
    assert!(stderr(&o).contains("vault busy"), "{}", stderr(&o));
    assert_eq!(
        e.sql_i64("SELECT COUNT(*) FROM secrets WHERE name = 'B_SECRET'"),
        0
    );
}

// ---------------------------------------------------------------------------
// §8 Crashes: kill -9 at random moments
// ---------------------------------------------------------------------------

/// Spawn `script` in its own process group, SIGKILL the whole group after
/// `delay`, and return what it printed on stdout until then.
fn run_and_kill(e: &Env, script: &str, delay: Duration) -> String {
    let mut c = sh(e, script);
    c.process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    std::thread::sleep(delay);
    let pgid = rustix::process::Pid::from_child(&child);
    let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
    let _ = child.wait();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    out
}

#[test]
fn kill_9_during_a_set_loop_loses_no_acknowledged_write() {
    let e = Env::new();
    e.set("SEED_KEY", "seed-value-1234");
    let mut acknowledged: BTreeMap<String, String> = BTreeMap::new();
    let mut delays = Vec::new();
    for round in 0..4 {
        let delay = Duration::from_millis(50 + random_u64() % 500);
        delays.push(delay);
        let script = format!(
            "for i in $(seq 200); do \"$VAULT\" set R{round}_K_$i value-{round}-$i-xyz >/dev/null 2>&1 || exit 1; echo $i; done"
        );
        let out = run_and_kill(&e, &script, delay);
        for line in out.lines() {
            let i: u32 = line.trim().parse().expect("a whole line");
            acknowledged.insert(format!("R{round}_K_{i}"), format!("value-{round}-{i}-xyz"));
        }
        // The vault opens and lists after every kill.
        list_json(&e);
    }
    println!(
        "kill delays: {delays:?}; acknowledged writes: {}",
        acknowledged.len()
    );
    let all = export_all(&e);
    for (name, value) in &acknowledged {
        assert_eq!(
            all.get(name),
            Some(value),
            "acknowledged write {name} lost (delays {delays:?})"
        );
    }
    // Nothing half-written: whatever is there (also a write killed after its
    // commit but before its acknowledgement) opens to its full value.
    for (name, value) in &all {
        if let Some(rest) = name.strip_prefix('R') {
            let (round, i) = rest.split_once("_K_").unwrap();
            assert_eq!(value, &format!("value-{round}-{i}-xyz"), "{name}");
        }
    }
    assert_eq!(all["SEED_KEY"], "seed-value-1234");
}

#[test]
fn kill_9_during_first_use_never_leaves_a_half_made_vault() {
    // Regression: a kill during creation used to leave a vault.db without a
    // schema that every later command refused (after waiting 5 s).
    let mut delays = Vec::new();
    for _ in 0..20 {
        let e = Env::new();
        let delay = Duration::from_micros(random_u64() % 15_000);
        delays.push(delay);
        let out = run_and_kill(
            &e,
            "\"$VAULT\" set FIRST_KEY first-value-1234 >/dev/null 2>&1 && echo done",
            delay,
        );
        let start = Instant::now();
        let o = e
            .vault(&["set", "NEXT_KEY", "next-value-1234"])
            .output()
            .unwrap();
        assert_eq!(
            code(&o),
            Some(0),
            "after a kill at {delay:?}: {}",
            stderr(&o)
        );
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "the next command waited"
        );
        let all = export_all(&e);
        assert_eq!(all["NEXT_KEY"], "next-value-1234");
        if out.contains("done") {
            assert_eq!(
                all.get("FIRST_KEY").map(String::as_str),
                Some("first-value-1234")
            );
        }
        for f in std::fs::read_dir(e.dir()).unwrap() {
            let name = f.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                name == "vault.db" || name == "vault.key" || name.starts_with(".vault."),
                "unexpected file {name}"
            );
        }
    }
    println!("first-use kill delays: {delays:?}");
}

#[test]
fn kill_9_during_a_large_import_is_all_or_nothing() {
    const N: usize = 3000;
    let e = Env::new();
    e.set("SEED_KEY", "seed-value-1234");
    let write_env = |round: usize| {
        let path = e.root().join(format!("big-{round}.env"));
        let mut text = String::with_capacity(N * 32);
        for i in 0..N {
            text.push_str(&format!("IMP_{i}=round-{round}-value-{i}\n"));
        }
        std::fs::write(&path, text).unwrap();
        path
    };
    // How long one import takes here, so the kills land before, during and after it.
    let first = write_env(0);
    let start = Instant::now();
    e.ok(&["import", first.to_str().unwrap()]);
    let full = start.elapsed();
    let mut state = 0; // the round whose values are in the vault
    let mut delays = Vec::new();
    for round in 1..7 {
        let file = write_env(round);
        let delay = Duration::from_micros(random_u64() % (full.as_micros() as u64 * 3 / 2 + 1));
        delays.push(delay);
        let out = run_and_kill(
            &e,
            &format!(
                "\"$VAULT\" import {} >/dev/null 2>&1 && echo done",
                file.display()
            ),
            delay,
        );
        let all = export_all(&e);
        let imported: Vec<(&String, &String)> =
            all.iter().filter(|(k, _)| k.starts_with("IMP_")).collect();
        assert_eq!(
            imported.len(),
            N,
            "round {round}: names lost (delays {delays:?})"
        );
        let rounds: BTreeSet<&str> = imported
            .iter()
            .map(|(_, v)| v.split('-').nth(1).unwrap())
            .collect();
        assert_eq!(
            rounds.len(),
            1,
            "round {round}: a half-applied import: {rounds:?} (delays {delays:?})"
        );
        let now: usize = rounds.iter().next().unwrap().parse().unwrap();
        assert!(
            now == state || now == round,
            "round {round}: values of round {now}"
        );
        if out.contains("done") {
            assert_eq!(now, round, "an acknowledged import was lost");
        }
        state = now;
        list_json(&e);
    }
    println!("one import: {full:?}; kill delays: {delays:?}");
}

// ---------------------------------------------------------------------------
// §8 Concurrent writers
// ---------------------------------------------------------------------------

/// Start `writers` shell loops at once; each must exit 0.
fn run_writers(e: &Env, writers: usize, script: impl Fn(usize) -> String) {
    let children: Vec<Child> = (0..writers)
        .map(|p| {
            let mut c = sh(e, &script(p));
            c.stdout(Stdio::null()).stderr(Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert_eq!(code(&o), Some(0), "a writer failed: {}", stderr(&o));
    }
}

#[test]
fn eight_concurrent_writers_lose_no_write() {
    let per = 500;
    let e = Env::new();
    e.set("SEED_KEY", "seed-value-1234");
    run_writers(&e, 8, |p| {
        format!("for i in $(seq {per}); do \"$VAULT\" set W{p}_$i value-{p}-$i-xyz || exit 1; done")
    });
    let all = export_all(&e);
    assert_eq!(all.len(), 8 * per + 1);
    for p in 0..8 {
        for i in 1..=per {
            assert_eq!(all[&format!("W{p}_{i}")], format!("value-{p}-{i}-xyz"));
        }
    }
}

#[test]
fn eight_concurrent_updates_of_one_name_get_gap_free_increasing_versions() {
    if crate::util::sqlite_only("reads vault.db with rusqlite (store test eight_writers_times_fifty_updates covers PostgreSQL)") {
        return;
    }
    let e = Env::new();
    e.set("SEED_KEY", "seed-value-1234");
    run_writers(&e, 8, |p| {
        format!(
            "for i in $(seq 20); do \"$VAULT\" set SHARED_KEY shared-{p}-$i-xyz || exit 1; done"
        )
    });
    let conn = db_conn(&e);
    let current: i64 = conn
        .query_row(
            "SELECT version FROM secrets WHERE name = 'SHARED_KEY'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(current, 160);
    let versions: Vec<i64> = conn
        .prepare("SELECT version FROM versions WHERE name = 'SHARED_KEY' ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(versions, (1..=160).collect::<Vec<i64>>());
    drop(conn);
    // The current value is one of the writes, whole.
    let v = e.reveal("SHARED_KEY");
    let parts: Vec<&str> = v.split('-').collect();
    assert!(
        parts.len() == 4 && parts[0] == "shared" && parts[3] == "xyz",
        "{v}"
    );
    let o = e.ok(&["get", "SHARED_KEY", "--json"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["version"], 160);
}

#[test]
fn key_file_owned_by_another_user_is_refused() {
    if !is_root() {
        eprintln!(
            "skipped: changing a file's owner needs root (run the suite as root to check it)"
        );
        return;
    }
    let e = Env::new();
    e.set("A_TOKEN", "value-1234");
    rustix::fs::chown(
        e.key_file(),
        Some(rustix::fs::Uid::from_raw(NOBODY)),
        Some(rustix::fs::Gid::from_raw(NOBODY)),
    )
    .unwrap();
    let o = e.vault(&["get", "A_TOKEN", "--reveal"]).output().unwrap();
    assert_code_no_leak(&o, 5, &["value-1234"]);
    assert!(
        stderr(&o).contains("belongs to another user"),
        "{}",
        stderr(&o)
    );
}
