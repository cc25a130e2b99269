//! The PostgreSQL engine through the binary: `init` / `push` with
//! `--database-url`, isolation of vaults in one database, an unreachable
//! server, the URL kept from children, a killed backend mid-import. These
//! need a server (`VAULT_TEST_DATABASE_URL`, default
//! postgres://root@127.0.0.1:5432/test): without one they print `skipped:`,
//! except under `CI=true`, where they fail.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::util::{assert_code_no_leak, pg_admin, pg_base_url, stderr, stdout, Env};

/// A vault name of its own, dropped at the end.
struct Schema(String);

impl Schema {
    fn new() -> Option<Schema> {
        if pg_admin().is_none() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "PostgreSQL is not answering at {} and CI=true",
                pg_base_url()
            );
            eprintln!("skipped: no PostgreSQL server at {}", pg_base_url());
            return None;
        }
        static N: AtomicUsize = AtomicUsize::new(0);
        Some(Schema(format!(
            "pgt_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        )))
    }

    fn url(&self) -> String {
        let base = pg_base_url();
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}vault={}&application_name={}", self.0, self.0)
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Some(mut c) = pg_admin() {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.0));
        }
    }
}

/// A command on the local SQLite vault of `e`, whatever the backend.
fn local(e: &Env, args: &[&str]) -> std::process::Output {
    let mut c = e.vault(args);
    c.env_remove("VAULT_DATABASE_URL");
    c.output().unwrap()
}

/// A command on the PostgreSQL vault `s`, with `e`'s key file.
fn on(e: &Env, s: &Schema, args: &[&str]) -> std::process::Output {
    let mut c = e.vault(args);
    c.env("VAULT_DATABASE_URL", s.url());
    c.output().unwrap()
}

#[test]
fn push_copies_a_local_vault_as_ciphertext_and_refuses_a_second_time() {
    let Some(s) = Schema::new() else { return };
    let e = Env::new();
    let o = local(&e, &["set", "API_KEY", "pushed-value-8812"]);
    assert_code_no_leak(&o, 0, &["pushed-value-8812"]);
    assert_eq!(
        local(&e, &["agent", "create", "bot"]).status.code(),
        Some(0)
    );
    assert_eq!(
        local(&e, &["set", "BOT_ONLY", "bot-value-7731", "--agent", "bot"])
            .status
            .code(),
        Some(0)
    );
    let o = e
        .vault(&["push", "--database-url", &s.url()])
        .env_remove("VAULT_DATABASE_URL")
        .output()
        .unwrap();
    assert_code_no_leak(&o, 0, &["pushed-value-8812", "bot-value-7731"]);
    assert!(stdout(&o).contains("2 secrets"), "{}", stdout(&o));
    // The server holds ciphertext only.
    let mut c = pg_admin().unwrap();
    let dumped: String = c
        .query_one(
            &format!(
                "SELECT string_agg(encode(ciphertext, 'escape'), '') FROM {}.versions",
                s.0
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert!(!dumped.contains("pushed-value-8812"));
    // Same key file, same values, same grants.
    let o = on(&e, &s, &["get", "API_KEY", "--reveal"]);
    assert_eq!(stdout(&o), "pushed-value-8812\n", "{}", stderr(&o));
    let o = on(
        &e,
        &s,
        &[
            "run",
            "--agent",
            "bot",
            "--no-masking",
            "--",
            "sh",
            "-c",
            "echo $BOT_ONLY",
        ],
    );
    assert_eq!(stdout(&o), "bot-value-7731\n", "{}", stderr(&o));
    // A second push finds the vault there: exit 4, nothing changed.
    let o = e
        .vault(&["push", "--database-url", &s.url()])
        .env_remove("VAULT_DATABASE_URL")
        .output()
        .unwrap();
    assert_code_no_leak(&o, 4, &["pushed-value-8812"]);
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
}

#[test]
fn push_carries_the_audit_trail_and_it_verifies_and_grows_there() {
    let Some(s) = Schema::new() else { return };
    let e = Env::new();
    let o = local(&e, &["set", "API_KEY", "pushed-value-4410"]);
    assert_code_no_leak(&o, 0, &["pushed-value-4410"]);
    let o = local(&e, &["get", "API_KEY", "--reveal"]);
    assert_code_no_leak(&o, 0, &[]);
    let o = e
        .vault(&["push", "--database-url", &s.url()])
        .env_remove("VAULT_DATABASE_URL")
        .output()
        .unwrap();
    assert_code_no_leak(&o, 0, &["pushed-value-4410"]);
    let local_trail = stdout(&local(&e, &["audit", "--json"]));
    let pushed_trail = stdout(&on(&e, &s, &["audit", "--json"]));
    assert_eq!(pushed_trail, local_trail, "every entry is copied as it was");
    assert!(pushed_trail.contains("reveal"), "{pushed_trail}");
    let o = on(&e, &s, &["set", "API_KEY", "pushed-value-4411"]);
    assert_code_no_leak(&o, 0, &["pushed-value-4411"]);
    let o = on(&e, &s, &["audit", "verify"]);
    assert_code_no_leak(&o, 0, &["pushed-value-4410", "pushed-value-4411"]);
    assert!(stdout(&o).contains("entries"), "{}", stdout(&o));
}

#[test]
fn init_refuses_an_existing_vault_and_vaults_in_one_database_are_isolated() {
    let (Some(a), Some(b)) = (Schema::new(), Schema::new()) else {
        return;
    };
    let e = Env::new();
    assert_eq!(on(&e, &a, &["init"]).status.code(), Some(0));
    let o = on(&e, &a, &["init"]);
    assert_code_no_leak(&o, 4, &[]);
    assert_eq!(
        on(&e, &a, &["set", "ONLY_A", "a-value-5521"]).status.code(),
        Some(0)
    );
    // b does not exist yet: reading is "not found"; the first set creates it.
    let o = on(&e, &b, &["list"]);
    assert_code_no_leak(&o, 3, &[]);
    assert!(stderr(&o).contains(&b.0), "{}", stderr(&o));
    assert_eq!(
        on(&e, &b, &["set", "ONLY_B", "b-value-5522"]).status.code(),
        Some(0)
    );
    let o = on(&e, &b, &["get", "ONLY_A"]);
    assert_code_no_leak(&o, 3, &["a-value-5521"]);
}

#[test]
fn an_unreachable_server_is_exit_1_naming_it_and_run_is_125_without_the_password() {
    let e = Env::new();
    let url = "postgres://alice:hunter2-pw@127.0.0.1:1/test?sslmode=disable";
    for (args, code) in [(&["list"][..], 1), (&["run", "--", "true"][..], 125)] {
        let o = e
            .vault(args)
            .env("VAULT_DATABASE_URL", url)
            .output()
            .unwrap();
        assert_code_no_leak(&o, code, &["hunter2-pw"]);
        assert!(stderr(&o).contains("127.0.0.1:1"), "{}", stderr(&o));
    }
    let o = e
        .vault(&[
            "--database-url",
            "postgres://u:hunter2-pw@h/db?sslmode=bogus",
            "list",
        ])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 2, &["hunter2-pw"]);
}

#[test]
fn run_keeps_the_database_url_from_the_command() {
    let Some(s) = Schema::new() else { return };
    let e = Env::new();
    assert_eq!(
        on(&e, &s, &["set", "TOKEN", "tok-value-3310"])
            .status
            .code(),
        Some(0)
    );
    let o = on(
        &e,
        &s,
        &[
            "run",
            "--no-masking",
            "--",
            "sh",
            "-c",
            "echo \"[$VAULT_DATABASE_URL]$TOKEN\"",
        ],
    );
    assert_eq!(stdout(&o), "[]tok-value-3310\n", "{}", stderr(&o));
}

#[test]
fn a_backend_terminated_in_the_middle_of_an_import_leaves_all_or_nothing() {
    let Some(s) = Schema::new() else { return };
    let e = Env::new();
    assert_eq!(
        on(&e, &s, &["set", "SEED", "seed-value-0001"])
            .status
            .code(),
        Some(0)
    );
    let lines: String = (0..3000).map(|i| format!("IMP_{i}=value-{i}\n")).collect();
    std::fs::write(e.root().join("big.env"), lines).unwrap();
    let mut child = e
        .std_cmd(crate::util::VAULT_BIN)
        .args(["import", "big.env"])
        .env("VAULT_DATABASE_URL", s.url())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut admin = pg_admin().unwrap();
    let mut killed = 0i64;
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() && started.elapsed().as_secs() < 60 {
        // Only this test's connections (their application_name).
        let n: i64 = admin
            .query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = $1 AND state = 'active' AND xact_start IS NOT NULL) t",
                &[&s.0],
            )
            .unwrap()
            .get(0);
        killed += n;
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let count = e.sql_count(&s, "SELECT count(*) FROM secrets WHERE name LIKE 'IMP\\_%'");
    if out.status.success() {
        assert_eq!(count, 3000);
    } else {
        assert_eq!(count, 0, "half an import landed");
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    eprintln!(
        "terminated {killed} backend(s); import exit {:?}, {count} rows",
        out.status.code()
    );
    // The vault still opens and verifies.
    assert_eq!(
        on(&e, &s, &["get", "SEED", "--reveal"]).status.code(),
        Some(0)
    );
}

trait Count {
    fn sql_count(&self, s: &Schema, sql: &str) -> i64;
}

impl Count for Env {
    fn sql_count(&self, s: &Schema, sql: &str) -> i64 {
        let mut c = pg_admin().unwrap();
        c.batch_execute(&format!("SET search_path = {}", s.0))
            .unwrap();
        c.query_one(sql, &[]).unwrap().get(0)
    }
}

#[test]
fn a_grant_added_by_a_database_superuser_is_refused() {
    let Some(s) = Schema::new() else { return };
    let e = Env::new();
    for args in [
        &["agent", "create", "billing-bot"][..],
        &["agent", "create", "support-bot"],
        &[
            "set",
            "BILLING_KEY",
            "billing-value-6620",
            "--agent",
            "billing-bot",
        ],
    ] {
        assert_eq!(on(&e, &s, args).status.code(), Some(0), "{args:?}");
    }
    // Someone with the server but not the key widens the grants.
    let mut c = pg_admin().unwrap();
    c.batch_execute(&format!(
        "INSERT INTO {}.grants(agent, secret, created) VALUES ('support-bot', 'BILLING_KEY', 'x')",
        s.0
    ))
    .unwrap();
    let o = on(
        &e,
        &s,
        &[
            "run",
            "--agent",
            "support-bot",
            "--no-masking",
            "--",
            "sh",
            "-c",
            "echo $BILLING_KEY",
        ],
    );
    assert_code_no_leak(&o, 125, &["billing-value-6620"]);
    // A write does not bless it (format 2: the grant has no tag; format 1:
    // the policy tag fails).
    let o = on(&e, &s, &["set", "OTHER_KEY", "other-value-6621"]);
    assert_code_no_leak(&o, 6, &["billing-value-6620", "other-value-6621"]);
    // `list` still works and marks what changed.
    let o = on(&e, &s, &["list"]);
    assert_code_no_leak(&o, 0, &["billing-value-6620"]);
    assert!(
        stderr(&o).contains("failed authentication"),
        "{}",
        stderr(&o)
    );
}

// See: a review of this change. A password in --database-url sits in the
// process list and, under a masked `vault run`, in the parent's cmdline the
// command can read.
#[test]
fn a_password_in_the_database_url_flag_is_refused_before_anything_connects() {
    let e = Env::new();
    let url = "postgres://someone:hunter2-db-pass@127.0.0.1:1/db";
    let o = e.vault(&["--database-url", url, "list"]).output().unwrap();
    assert_code_no_leak(&o, 2, &["hunter2-db-pass"]);
    assert!(stderr(&o).contains("VAULT_DATABASE_URL"), "{}", stderr(&o));
    let o = e
        .vault(&["--database-url", url, "run", "--", "true"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 125, &["hunter2-db-pass"]);
}

/// A pushed vault keeps its agent keys: the agent's token opens its view
/// on PostgreSQL as it did on the local file.
#[test]
fn push_carries_agent_keys() {
    let Some(s) = Schema::new() else { return };
    let e = Env::new();
    for args in [
        &["agent", "create", "bot"][..],
        &[
            "set",
            "BOT_KEY",
            "pushed-agent-value-5521",
            "--agent",
            "bot",
        ],
    ] {
        assert_code_no_leak(&local(&e, args), 0, &["pushed-agent-value-5521"]);
    }
    let key = e.root().join("bot.key");
    let o = local(
        &e,
        &["agent", "token", "bot", "--out", key.to_str().unwrap()],
    );
    assert_code_no_leak(&o, 0, &["pushed-agent-value-5521"]);
    let o = e
        .vault(&["push", "--database-url", &s.url()])
        .env_remove("VAULT_DATABASE_URL")
        .output()
        .unwrap();
    assert_code_no_leak(&o, 0, &["pushed-agent-value-5521"]);
    let o = e
        .vault(&["get", "BOT_KEY", "--reveal"])
        .env("VAULT_DATABASE_URL", s.url())
        .env("VAULT_AGENT_KEY_FILE", &key)
        .env("VAULT_KEY_FILE", e.root().join("no-master.key"))
        .env("XDG_STATE_HOME", e.root().join("agent-state"))
        .output()
        .unwrap();
    assert_code_no_leak(&o, 0, &[]);
    assert_eq!(stdout(&o), "pushed-agent-value-5521\n", "{}", stderr(&o));
}
