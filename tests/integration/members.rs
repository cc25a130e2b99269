//! Team members on PostgreSQL (issue 13): `member join/add/list/remove`,
//! `whoami`, rights per agent and the pre-check's "permission denied",
//! owners unlocking with their own identity, the signed roster, and the
//! server's own defence (roles, row-level security) — every member command
//! runs as that member's real PostgreSQL role. Each actor has a home of its
//! own (its key file or identity). These need a server
//! (`VAULT_TEST_DATABASE_URL`, default postgres://root@127.0.0.1:5432/test):
//! without one they print `skipped:`, except under `CI=true`, where they fail.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::util::{assert_code_no_leak, pg_admin, pg_base_url, stderr, stdout, VAULT_BIN};

const STRIPE: &str = "sk-live-members-5521";
const OPENAI: &str = "sk-openai-members-9034";

/// A vault schema of its own, dropped with its member roles at the end.
struct Team {
    schema: String,
    tmp: tempfile::TempDir,
}

impl Team {
    fn new() -> Option<Team> {
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
        Some(Team {
            schema: format!(
                "mem_{}_{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ),
            tmp: tempfile::tempdir().unwrap(),
        })
    }

    /// The URL of this vault as `user` (the admin: the base URL's user).
    fn url_as(&self, user: Option<&str>) -> String {
        let mut base = pg_base_url();
        if let Some(u) = user {
            let (scheme, rest) = base.split_once("://").unwrap();
            let rest = rest.split_once('@').map_or(rest, |(_, r)| r);
            base = format!("{scheme}://{u}@{rest}");
        }
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}vault={}", self.schema)
    }

    fn home(&self, who: &str) -> PathBuf {
        let d = self.tmp.path().join(who);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// `vault ARGS` in `who`'s home, connecting as `user`.
    fn vault(&self, who: &str, user: Option<&str>, args: &[&str]) -> Output {
        self.vault_at(&self.home(who), &self.url_as(user), args)
    }

    fn vault_at(&self, home: &Path, url: &str, args: &[&str]) -> Output {
        std::process::Command::new(VAULT_BIN)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("LANG", "C.UTF-8")
            .env("VAULT_DIR", home)
            .env("VAULT_DATABASE_URL", url)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    }

    fn owner_ok(&self, args: &[&str]) -> Output {
        let o = self.vault("owner", None, args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        o
    }

    /// The member's role name.
    fn role(&self, name: &str) -> String {
        format!("{}_m_{name}", self.schema)
    }

    /// An owner's vault with two agents and a secret granted to each, in
    /// format 2; returns the root fingerprint.
    fn setup(&self) -> String {
        self.owner_ok(&["init"]);
        self.owner_ok(&["agent", "create", "billing-bot"]);
        self.owner_ok(&["agent", "create", "support-bot"]);
        self.owner_ok(&["set", "STRIPE_KEY", STRIPE, "--agent", "billing-bot"]);
        self.owner_ok(&["set", "OPENAI_KEY", OPENAI, "--agent", "support-bot"]);
        let info: serde_json::Value =
            serde_json::from_str(&stdout(&self.owner_ok(&["info", "--json"]))).unwrap();
        info["root_fingerprint"].as_str().unwrap().to_owned()
    }

    /// `member join` on `who`'s machine, then `member add` by the owner.
    fn enroll(&self, who: &str, fpr: &str, add: &[&str]) {
        let o = self.vault(who, None, &["member", "join", who, "--root", fpr]);
        assert_code_no_leak(&o, 0, &[STRIPE, OPENAI]);
        let request = stdout(&o).trim().to_owned();
        assert!(request.starts_with("vault-enroll-v1:"), "{request}");
        let mut args = vec!["member", "add", request.as_str(), "--yes"];
        args.extend_from_slice(add);
        let o = self.owner_ok(&args);
        assert!(stdout(&o).contains(&self.role(who)), "{}", stdout(&o));
    }

    /// A new agent key for `agent` (`vault agent token`), its one line.
    fn token(&self, agent: &str) -> String {
        let o = self.owner_ok(&["agent", "token", agent]);
        let token = stdout(&o).trim().to_owned();
        assert!(token.starts_with("vault-agent-v1:"), "a token line");
        token
    }

    /// The actions of `actor`'s audit entries, oldest first (`vault audit --json`).
    fn actions_of(&self, actor: &str) -> Vec<String> {
        let o = self.owner_ok(&["audit", "--json"]);
        let entries: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
        entries
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["actor"] == actor)
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    }

    /// `vault ARGS` as member `who`, through their own PostgreSQL role.
    fn member(&self, who: &str, args: &[&str]) -> Output {
        self.vault(who, Some(&self.role(who)), args)
    }

    fn sql(&self, sql: &str) {
        let mut c = pg_admin().unwrap();
        c.batch_execute(&format!("SET search_path = {}; {sql}", self.schema))
            .unwrap();
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        if let Some(mut c) = pg_admin() {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
            if let Ok(rows) = c.query(
                "SELECT rolname::text FROM pg_roles WHERE rolname LIKE $1",
                &[&format!("{}\\_m\\_%", self.schema)],
            ) {
                for r in rows {
                    let role: String = r.get(0);
                    let _ = c.batch_execute(&format!("DROP ROLE IF EXISTS \"{role}\""));
                }
            }
        }
    }
}

#[test]
fn a_member_with_view_sees_its_agent_but_cannot_reveal_grant_or_run() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    t.enroll("bob", &fpr, &["--agent", "billing-bot=view"]);

    let o = t.member("bob", &["whoami"]);
    assert_code_no_leak(&o, 0, &[STRIPE, OPENAI]);
    assert!(
        stdout(&o).starts_with("bob (member) · billing-bot: view · vault "),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains(&fpr));

    // view: the agent's grants and delivery state.
    let o = t.member("bob", &["agent", "show", "billing-bot"]);
    assert_code_no_leak(&o, 0, &[STRIPE, OPENAI]);
    assert!(stdout(&o).contains("STRIPE_KEY"), "{}", stdout(&o));

    let o = t.member("bob", &["agent", "show", "support-bot"]);
    assert_code_no_leak(&o, 5, &[STRIPE, OPENAI]);
    assert!(
        stderr(&o).contains("permission denied: viewing support-bot needs 'view' (you: none)"),
        "{}",
        stderr(&o)
    );

    let o = t.member("bob", &["get", "STRIPE_KEY", "--reveal"]);
    assert_code_no_leak(&o, 5, &[STRIPE, OPENAI]);
    assert!(
        stderr(&o).contains("permission denied: STRIPE_KEY is not shared with you (bob)"),
        "{}",
        stderr(&o)
    );

    let o = t.member("bob", &["grant", "OPENAI_KEY", "--agent", "billing-bot"]);
    assert_code_no_leak(&o, 5, &[STRIPE, OPENAI]);
    assert!(
        stderr(&o)
            .contains("permission denied: granting to billing-bot needs 'manage' (you: view)"),
        "{}",
        stderr(&o)
    );

    let o = t.member("bob", &["run", "--agent", "billing-bot", "--", "true"]);
    assert_code_no_leak(&o, 125, &[STRIPE, OPENAI]);
    assert!(
        stderr(&o).contains("running as billing-bot needs 'operate' (you: view)"),
        "{}",
        stderr(&o)
    );

    let o = t.member("bob", &["set", "NEW_GLOBAL", "x-value-1"]);
    assert_code_no_leak(&o, 5, &[STRIPE, OPENAI]);
    assert!(
        stderr(&o).contains("needs role owner (you, bob: member)"),
        "{}",
        stderr(&o)
    );

    // Nothing changed on the owner's side.
    let o = t.owner_ok(&["agent", "show", "billing-bot"]);
    assert!(!stdout(&o).contains("OPENAI_KEY"), "{}", stdout(&o));
}

#[test]
fn the_server_itself_refuses_a_member_who_edits_grants_or_reads_values_with_sql() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    t.enroll("bob", &fpr, &["--agent", "billing-bot=view"]);
    // Trust auth on the test server: connecting as the role is enough.
    let url = t.url_as(Some(&t.role("bob")));
    let url = url.split_once("&vault=").unwrap().0.to_owned();
    let mut bob = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let s = &t.schema;
    let e = bob
        .batch_execute(&format!(
            "INSERT INTO {s}.grants(agent, secret, created) VALUES ('billing-bot', 'OPENAI_KEY', 'now')"
        ))
        .unwrap_err();
    assert_eq!(e.code().map(|c| c.code()), Some("42501"), "{e}");
    let e = bob
        .batch_execute(&format!("UPDATE {s}.acl SET perm = 'manage'"))
        .unwrap_err();
    assert_eq!(e.code().map(|c| c.code()), Some("42501"), "{e}");
    // Row-level security: no ciphertext, no key slot, only its agent's grants.
    let n: i64 = bob
        .query_one(&format!("SELECT count(*) FROM {s}.versions"), &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    let n: i64 = bob
        .query_one(&format!("SELECT count(*) FROM {s}.slots"), &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    let agents: Vec<String> = bob
        .query(&format!("SELECT agent FROM {s}.grants"), &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(agents, vec!["billing-bot".to_owned()]);
}

#[test]
fn a_member_of_vault_a_is_denied_on_vault_b() {
    let Some(a) = Team::new() else { return };
    let Some(b) = Team::new() else { return };
    let fpr = a.setup();
    b.setup();
    a.enroll("bob", &fpr, &["--agent", "billing-bot=view"]);
    // bob's identity and role for A, pointed at B.
    let url_b = b.url_as(Some(&a.role("bob")));
    let o = a.vault_at(&a.home("bob"), &url_b, &["list"]);
    assert_code_no_leak(&o, 5, &[STRIPE, OPENAI]);
    assert!(stderr(&o).contains("permission denied"), "{}", stderr(&o));
    let o = a.vault_at(
        &a.home("bob"),
        &url_b,
        &["run", "--agent", "billing-bot", "--", "true"],
    );
    assert_code_no_leak(&o, 125, &[STRIPE, OPENAI]);
}

#[test]
fn rights_widened_by_a_database_superuser_are_refused_by_the_member() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    t.enroll("bob", &fpr, &["--agent", "billing-bot=view"]);
    t.sql("UPDATE acl SET perm = 'manage'; INSERT INTO acl(member, agent, perm) SELECT id, 'support-bot', 'operate' FROM members");
    for args in [&["whoami"][..], &["agent", "show", "support-bot"][..]] {
        let o = t.member("bob", args);
        assert_code_no_leak(&o, 6, &[STRIPE, OPENAI]);
        assert!(
            stderr(&o).contains("does not match the roster signed by the root key"),
            "{}",
            stderr(&o)
        );
    }
    let o = t.member("bob", &["run", "--agent", "support-bot", "--", "true"]);
    assert_code_no_leak(&o, 125, &[STRIPE, OPENAI]);
    assert!(stderr(&o).contains("roster"), "{}", stderr(&o));

    // A roster re-signed by anyone but the root key is refused too.
    t.sql("UPDATE acl SET perm = 'view' WHERE agent = 'billing-bot'; DELETE FROM acl WHERE agent = 'support-bot'; UPDATE roster SET sig = overlay(sig placing '\\x00'::bytea from 1 for 1)");
    let o = t.member("bob", &["whoami"]);
    assert_code_no_leak(&o, 6, &[STRIPE, OPENAI]);
}

#[test]
fn an_owner_member_on_a_second_home_unlocks_with_its_identity() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    t.enroll("carol", &fpr, &["--role", "owner"]);
    let home = t.home("carol");
    assert!(
        !home.join("vault.key").exists(),
        "no master key file on carol's machine"
    );
    let identity = home
        .join("members")
        .join(format!("{}.key", t.role("carol")));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&identity).unwrap().permissions().mode() & 0o777,
        0o600
    );

    let o = t.member("carol", &["get", "STRIPE_KEY", "--reveal"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{STRIPE}\n"));
    assert!(!stderr(&o).contains(STRIPE));

    let o = t.member("carol", &["set", "CAROL_KEY", "carol-value-7781"]);
    assert_code_no_leak(&o, 0, &["carol-value-7781"]);
    let o = t.owner_ok(&["get", "CAROL_KEY", "--reveal"]);
    assert_eq!(stdout(&o), "carol-value-7781\n");

    let o = t.member("carol", &["whoami"]);
    assert_code_no_leak(&o, 0, &[STRIPE]);
    assert!(
        stdout(&o).starts_with("carol (owner) · vault "),
        "{}",
        stdout(&o)
    );

    // A rekey by the key-file owner seals carol's slot again, to her public
    // key: she still unlocks, and the old master key is gone from it.
    let o = t.owner_ok(&["rekey"]);
    assert_code_no_leak(&o, 0, &[STRIPE]);
    let o = t.member("carol", &["get", "STRIPE_KEY", "--reveal"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{STRIPE}\n"));

    // The server stores the verifier carol's machine computed, never a password.
    let mut admin = pg_admin().unwrap();
    let stored: String = admin
        .query_one(
            "SELECT rolpassword FROM pg_authid WHERE rolname = $1",
            &[&t.role("carol")],
        )
        .unwrap()
        .get(0);
    assert!(stored.starts_with("SCRAM-SHA-256$4096:"), "{stored}");

    // The audit trail stays one verified chain.
    let o = t.member("carol", &["audit", "verify"]);
    assert_code_no_leak(&o, 0, &[STRIPE]);

    // Another machine's identity is not carol's: a copied identity file
    // for another role does not open her slot.
    let o = t.vault(
        "mallory",
        Some(&t.role("carol")),
        &["get", "STRIPE_KEY", "--reveal"],
    );
    assert_ne!(o.status.code(), Some(0));
    assert!(!stdout(&o).contains(STRIPE));
}

#[test]
fn removing_a_member_makes_their_next_command_exit_5_and_lists_what_to_rotate() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    t.enroll("bob", &fpr, &["--agent", "billing-bot=operate"]);
    t.enroll("carol", &fpr, &["--role", "owner"]);
    let o = t.owner_ok(&["member", "list"]);
    assert!(
        stdout(&o).contains("bob  member  billing-bot: operate"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("carol  owner  everything"),
        "{}",
        stdout(&o)
    );
    assert_code_no_leak(&t.member("bob", &["whoami"]), 0, &[STRIPE]);

    // An owner member removes bob (through the SECURITY DEFINER helper).
    let o = t.member("carol", &["member", "remove", "bob"]);
    assert_code_no_leak(&o, 0, &[STRIPE, OPENAI]);
    assert!(
        stdout(&o).contains("rotate them at their providers: STRIPE_KEY"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains("OPENAI_KEY"), "{}", stdout(&o));

    for args in [&["whoami"][..], &["list"][..]] {
        let o = t.member("bob", args);
        assert_code_no_leak(&o, 5, &[STRIPE, OPENAI]);
        assert!(stderr(&o).contains("permission denied"), "{}", stderr(&o));
    }
    let o = t.member("bob", &["run", "--agent", "billing-bot", "--", "true"]);
    assert_code_no_leak(&o, 125, &[STRIPE, OPENAI]);

    let o = t.owner_ok(&["member", "remove", "carol"]);
    assert!(stdout(&o).contains("vault rekey"), "{}", stdout(&o));
    let o = t.owner_ok(&["member", "list"]);
    assert!(stdout(&o).contains("no members"), "{}", stdout(&o));
}

#[test]
fn join_checks_the_root_fingerprint_and_add_checks_the_request() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    let wrong = format!("vault-root:SHA256:{}", "ab".repeat(32));
    let o = t.vault("bob", None, &["member", "join", "bob", "--root", &wrong]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not the one you were given"),
        "{}",
        stderr(&o)
    );
    assert!(!t.home("bob").join("members").exists(), "nothing written");

    let o = t.vault("bob", None, &["member", "join", "Bob!", "--root", &fpr]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));

    let o = t.vault("bob", None, &["member", "join", "bob", "--root", &fpr]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let request = stdout(&o).trim().to_owned();
    // Without --yes and without a terminal: nothing is added.
    let o = t.vault("owner", None, &["member", "add", &request]);
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("key fingerprint SHA256:"),
        "{}",
        stderr(&o)
    );
    let o = t.vault(
        "owner",
        None,
        &[
            "member",
            "add",
            &request,
            "--yes",
            "--agent",
            "nobody-bot=view",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let o = t.vault(
        "owner",
        None,
        &[
            "member",
            "add",
            &request,
            "--yes",
            "--agent",
            "billing-bot=admin",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = t.owner_ok(&["member", "list"]);
    assert!(stdout(&o).contains("no members"), "{}", stdout(&o));
    // A second join on the same machine keeps the first identity.
    let o = t.vault("bob", None, &["member", "join", "bob", "--root", &fpr]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
}

#[test]
fn members_need_a_vault_on_postgresql() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(VAULT_BIN)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", tmp.path())
            .env("VAULT_DIR", tmp.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    assert_eq!(run(&["init"]).status.code(), Some(0));
    let o = run(&["member", "join", "bob", "--root", "vault-root:SHA256:00"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--database-url"), "{}", stderr(&o));
    let o = run(&["whoami"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("owner (key file or passphrase) · vault "),
        "{}",
        stdout(&o)
    );
    let o = run(&["member", "list"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// `sh -c SCRIPT` as member `who`, running as `agent`.
fn run_as(t: &Team, who: &str, agent: &str, script: &str) -> Output {
    t.member(who, &["run", "--agent", agent, "--", "sh", "-c", script])
}

#[test]
fn a_member_who_operates_an_agent_runs_and_reveals_exactly_its_view_with_their_own_identity() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    t.enroll("bob", &fpr, &["--agent", "billing-bot=operate"]);

    // billing-bot has no key of its own: `member add` made its keyring for
    // bob and wrapped it to him; bob never holds M.
    let o = t.owner_ok(&["agent", "show", "billing-bot"]);
    assert!(
        stdout(&o).contains("none (a keyring for the members who operate it)"),
        "{}",
        stdout(&o)
    );
    let check = format!("[ \"$STRIPE_KEY\" = '{STRIPE}' ] && [ -z \"${{OPENAI_KEY+x}}\" ]");
    let o = run_as(&t, "bob", "billing-bot", &check);
    assert_code_no_leak(&o, 0, &[STRIPE, OPENAI]);

    let o = t.member("bob", &["get", "STRIPE_KEY", "--reveal"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{STRIPE}\n"));
    let o = t.member("bob", &["get", "OPENAI_KEY", "--reveal"]);
    assert_code_no_leak(&o, 5, &[STRIPE, OPENAI]);
    assert!(
        stderr(&o).contains("permission denied: OPENAI_KEY is not shared with you (bob)"),
        "{}",
        stderr(&o)
    );
    let o = run_as(&t, "bob", "support-bot", "true");
    assert_code_no_leak(&o, 125, &[STRIPE, OPENAI]);
    assert!(
        stderr(&o).contains("running as support-bot needs 'operate' (you: none)"),
        "{}",
        stderr(&o)
    );
    // operate is not manage.
    let o = t.member("bob", &["grant", "OPENAI_KEY", "--agent", "billing-bot"]);
    assert_code_no_leak(&o, 5, &[STRIPE, OPENAI]);
    assert!(
        stderr(&o).contains("needs 'manage' (you: operate)"),
        "{}",
        stderr(&o)
    );

    // bob's run and reveal are in his own audit chain, signed with his
    // identity key; the owner verifies every chain.
    assert_eq!(t.actions_of("member bob"), vec!["run", "reveal"]);
    t.owner_ok(&["audit", "verify"]);
    let o = t.member("bob", &["audit", "verify"]);
    assert_code_no_leak(&o, 0, &[STRIPE, OPENAI]);

    // The owner rotates and grants: bob's next run sees exactly that.
    let rotated = "sk-live-members-rotated-7781";
    t.owner_ok(&["set", "STRIPE_KEY", rotated]);
    t.owner_ok(&["grant", "OPENAI_KEY", "--agent", "billing-bot"]);
    let check = format!("[ \"$STRIPE_KEY\" = '{rotated}' ] && [ \"$OPENAI_KEY\" = '{OPENAI}' ]");
    let o = run_as(&t, "bob", "billing-bot", &check);
    assert_code_no_leak(&o, 0, &[STRIPE, OPENAI, rotated]);

    // The agent gets a key of its own: a new keyring epoch, wrapped to bob too.
    t.token("billing-bot");
    let o = run_as(&t, "bob", "billing-bot", &check);
    assert_code_no_leak(&o, 0, &[STRIPE, OPENAI, rotated]);

    // The server shows bob's role only what billing-bot receives.
    let url = t.url_as(Some(&t.role("bob")));
    let url = url.split_once("&vault=").unwrap().0.to_owned();
    let mut bob = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let s = &t.schema;
    let names: Vec<String> = bob
        .query(
            &format!("SELECT DISTINCT name FROM {s}.versions ORDER BY 1"),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        names,
        vec!["OPENAI_KEY".to_owned(), "STRIPE_KEY".to_owned()]
    );
    let n: i64 = bob
        .query_one(&format!("SELECT count(*) FROM {s}.keyring_wraps"), &[])
        .unwrap()
        .get(0);
    assert_eq!(n, 1, "only bob's own keyring wrap");
    t.owner_ok(&["revoke", "OPENAI_KEY", "--agent", "billing-bot"]);
    let n: i64 = bob
        .query_one(
            &format!("SELECT count(*) FROM {s}.versions WHERE name = 'OPENAI_KEY'"),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        n, 0,
        "a revoked secret's ciphertext is no longer readable by bob"
    );

    // Removed: the wrap to bob goes with him.
    t.owner_ok(&["member", "remove", "bob"]);
    let n: i64 = pg_admin()
        .unwrap()
        .query_one(
            &format!("SELECT count(*) FROM {s}.keyring_wraps WHERE recipient < 0"),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "no keyring wrap to a member is left");
}

#[test]
fn a_grant_widened_by_a_database_superuser_is_refused_by_the_operator() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    t.enroll("bob", &fpr, &["--agent", "billing-bot=operate"]);
    t.sql("INSERT INTO grants(agent, secret, created) VALUES ('billing-bot', 'OPENAI_KEY', 'now')");
    let o = run_as(&t, "bob", "billing-bot", "true");
    assert_code_no_leak(&o, 125, &[STRIPE, OPENAI]);
    assert!(
        stderr(&o).contains("the grant was added outside vault"),
        "{}",
        stderr(&o)
    );
    let o = t.member("bob", &["get", "OPENAI_KEY", "--reveal"]);
    assert_code_no_leak(&o, 6, &[STRIPE, OPENAI]);
}

/// `vault run --agent NAME` on an agent's machine: only its key, no M.
fn run_with_token(t: &Team, token: &str, agent: &str, script: &str) -> Output {
    let home = t.home(&format!("agent-{agent}"));
    let mut c = std::process::Command::new(VAULT_BIN);
    c.args(["run", "--agent", agent, "--", "sh", "-c", script])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("VAULT_DIR", &home)
        .env("VAULT_DATABASE_URL", t.url_as(None))
        .env("VAULT_AGENT_KEY", token)
        .stdin(std::process::Stdio::null());
    c.output().unwrap()
}

#[test]
fn a_manager_grants_and_revokes_what_is_shared_with_them_and_agents_and_owners_accept_it() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    const ANTHROPIC: &str = "sk-ant-members-3310";
    t.owner_ok(&["set", "ANTHROPIC_KEY", ANTHROPIC, "--agent", "support-bot"]);
    t.owner_ok(&["agent", "create", "other-bot"]);
    t.owner_ok(&[
        "set",
        "HIDDEN_KEY",
        "sk-hidden-members-8127",
        "--agent",
        "other-bot",
    ]);
    let token = t.token("billing-bot");
    t.enroll(
        "bob",
        &fpr,
        &[
            "--agent",
            "billing-bot=manage",
            "--agent",
            "support-bot=operate",
        ],
    );
    let leaks = [STRIPE, OPENAI, ANTHROPIC, token.as_str()];

    // bob grants OPENAI_KEY (shared with him through support-bot).
    let o = t.member("bob", &["grant", "OPENAI_KEY", "--agent", "billing-bot"]);
    assert_code_no_leak(&o, 0, &leaks);
    let both = format!("[ \"$STRIPE_KEY\" = '{STRIPE}' ] && [ \"$OPENAI_KEY\" = '{OPENAI}' ]");
    // The agent verifies the statement bob signed, with its own key.
    let o = run_with_token(&t, &token, "billing-bot", &both);
    assert_code_no_leak(&o, 0, &leaks);
    let o = run_as(&t, "bob", "billing-bot", &both);
    assert_code_no_leak(&o, 0, &leaks);
    // Owners accept the signed grant row, list it, and their next write
    // tags it and re-signs the statement with the root key.
    let o = t.owner_ok(&["agent", "show", "billing-bot"]);
    assert!(stdout(&o).contains("OPENAI_KEY"), "{}", stdout(&o));
    t.owner_ok(&["set", "UNRELATED", "x-unrelated-1"]);
    let o = run_with_token(&t, &token, "billing-bot", &both);
    assert_code_no_leak(&o, 0, &leaks);

    // What is not shared with bob he cannot grant.
    let o = t.member("bob", &["grant", "HIDDEN_KEY", "--agent", "billing-bot"]);
    assert_code_no_leak(&o, 5, &leaks);
    assert!(
        stderr(&o).contains("granting HIDDEN_KEY to billing-bot needs its value shared with you"),
        "{}",
        stderr(&o)
    );
    // Nor grant to an agent he only operates.
    let o = t.member("bob", &["grant", "STRIPE_KEY", "--agent", "support-bot"]);
    assert_code_no_leak(&o, 5, &leaks);
    assert!(
        stderr(&o).contains("needs 'manage' (you: operate)"),
        "{}",
        stderr(&o)
    );

    // bob grants ANTHROPIC_KEY too, then revokes OPENAI_KEY.
    let o = t.member("bob", &["grant", "ANTHROPIC_KEY", "--agent", "billing-bot"]);
    assert_code_no_leak(&o, 0, &leaks);
    let o = t.member("bob", &["revoke", "OPENAI_KEY", "--agent", "billing-bot"]);
    assert_code_no_leak(&o, 0, &leaks);
    let after = format!(
        "[ \"$ANTHROPIC_KEY\" = '{ANTHROPIC}' ] && [ -z \"${{OPENAI_KEY+x}}\" ] && [ \"$STRIPE_KEY\" = '{STRIPE}' ]"
    );
    let o = run_with_token(&t, &token, "billing-bot", &after);
    assert_code_no_leak(&o, 0, &leaks);

    // Each of bob's changes is in his audit chain; an edit there is caught.
    assert_eq!(
        t.actions_of("member bob"),
        vec!["grant", "run", "grant", "revoke"]
    );
    t.owner_ok(&["audit", "verify"]);
    t.sql("UPDATE audit SET subject = replace(subject, 'ANTHROPIC_KEY', 'OTHER_KEY') WHERE action = 'grant' AND chain > 0");
    let o = t.vault("owner", None, &["audit", "verify"]);
    assert_code_no_leak(&o, 6, &leaks);

    // bob leaves: his grant stays (the owner's write tags it before the
    // roster changes) and the statement is the root's again.
    t.owner_ok(&["member", "remove", "bob"]);
    let o = run_with_token(&t, &token, "billing-bot", &after);
    assert_code_no_leak(&o, 0, &leaks);
}

#[test]
fn a_grant_row_with_a_forged_manager_signature_is_refused() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    let token = t.token("billing-bot");
    t.enroll("bob", &fpr, &["--agent", "billing-bot=manage"]);
    t.sql(
        "INSERT INTO grants(agent, secret, created, signer, sig) \
         SELECT 'billing-bot', 'OPENAI_KEY', 'now', id, decode(repeat('00', 64), 'hex') FROM members WHERE name = 'bob'",
    );
    let leaks = [STRIPE, OPENAI, token.as_str()];
    let o = t.vault(
        "owner",
        None,
        &["run", "--agent", "billing-bot", "--", "true"],
    );
    assert_code_no_leak(&o, 125, &leaks);
    let o = t.vault("owner", None, &["set", "UNRELATED", "x-unrelated-2"]);
    assert_code_no_leak(&o, 6, &leaks);
    let o = run_with_token(&t, &token, "billing-bot", "true");
    assert_code_no_leak(&o, 125, &leaks);
    let o = run_as(&t, "bob", "billing-bot", "true");
    assert_code_no_leak(&o, 125, &leaks);
}

#[test]
fn a_roster_rolled_back_to_an_older_authentic_epoch_is_refused_by_a_member_who_saw_newer() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    t.enroll("bob", &fpr, &["--agent", "billing-bot=view"]);
    // The database host keeps a copy of this state (roster epoch 1).
    t.sql(
        "CREATE TABLE roster_copy AS SELECT * FROM roster; CREATE TABLE members_copy AS SELECT * FROM members;
         CREATE TABLE acl_copy AS SELECT * FROM acl;",
    );
    t.enroll("carol", &fpr, &["--agent", "support-bot=view"]);
    assert_code_no_leak(&t.member("bob", &["whoami"]), 0, &[STRIPE, OPENAI]);
    // ... and puts the older, authentic roster back.
    t.sql(
        "DELETE FROM acl; DELETE FROM members; DELETE FROM roster;
         INSERT INTO members OVERRIDING SYSTEM VALUE SELECT * FROM members_copy;
         INSERT INTO acl SELECT * FROM acl_copy; INSERT INTO roster SELECT * FROM roster_copy;",
    );
    let o = t.member("bob", &["whoami"]);
    assert_code_no_leak(&o, 6, &[STRIPE, OPENAI]);
    assert!(
        stderr(&o).contains("older than one this machine already saw"),
        "{}",
        stderr(&o)
    );
}

/// A grant row signed with `who`'s real identity key (read from their
/// identity file), as a member could insert it with psql.
fn signed_grant_sql(t: &Team, who: &str, agent: &str, secret: &str) -> String {
    use base64::Engine;
    use ed25519_dalek::Signer;
    let path = t
        .home(who)
        .join("members")
        .join(format!("{}.key", t.role(who)));
    let text = std::fs::read_to_string(path).unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(text.trim().strip_prefix("vault-member-v1:").unwrap())
        .unwrap();
    let vault_id = &raw[..16];
    let seed: [u8; 32] = raw[48..80].try_into().unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let mut n = 0i64;
    let mut c = pg_admin().unwrap();
    let row = c
        .query_one(
            &format!("SELECT id FROM {}.members WHERE name = $1", t.schema),
            &[&who],
        )
        .unwrap();
    n += row.get::<_, i64>(0);
    // docs/FORMAT.md §21.8
    let mut msg = b"vault/v2/member-grant\0".to_vec();
    msg.extend_from_slice(vault_id);
    for f in [agent, secret] {
        msg.extend_from_slice(&(f.len() as u32).to_be_bytes());
        msg.extend_from_slice(f.as_bytes());
    }
    msg.extend_from_slice(&(n as u64).to_be_bytes());
    let sig = key.sign(&msg).to_bytes();
    let hex: String = sig.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "INSERT INTO grants(agent, secret, created, signer, sig) VALUES ('{agent}', '{secret}', 'now', {n}, decode('{hex}', 'hex'))"
    )
}

#[test]
fn a_validly_signed_grant_of_a_secret_not_shared_with_the_manager_is_refused() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    let token = t.token("billing-bot");
    // bob manages billing-bot and has no right on support-bot: OPENAI_KEY
    // was never shared with him. He signs a grant row for it himself.
    t.enroll("bob", &fpr, &["--agent", "billing-bot=manage"]);
    t.sql(&signed_grant_sql(&t, "bob", "billing-bot", "OPENAI_KEY"));
    let leaks = [STRIPE, OPENAI, token.as_str()];
    // The agent refuses a grant its statement does not list.
    let o = run_with_token(&t, &token, "billing-bot", "true");
    assert_code_no_leak(&o, 125, &leaks);
    let o = t.member("bob", &["get", "OPENAI_KEY", "--reveal"]);
    assert_ne!(o.status.code(), Some(0));
    assert_code_no_leak(&o, o.status.code().unwrap(), &leaks);
    // Owners never bless it, and it does not lock them out: their next
    // write removes it (narrowing) and audits that.
    let o = t.vault("owner", None, &["set", "UNRELATED", "x-unrelated-3"]);
    assert_code_no_leak(&o, 0, &leaks);
    assert!(
        stderr(&o).contains("removed the grant of OPENAI_KEY to billing-bot that bob signed"),
        "{}",
        stderr(&o)
    );
    let o = t.owner_ok(&["agent", "show", "billing-bot"]);
    assert!(!stdout(&o).contains("OPENAI_KEY"), "{}", stdout(&o));
    let check = format!("[ \"$STRIPE_KEY\" = '{STRIPE}' ] && [ -z \"${{OPENAI_KEY+x}}\" ]");
    let o = run_with_token(&t, &token, "billing-bot", &check);
    assert_code_no_leak(&o, 0, &leaks);
    let o = t.owner_ok(&["audit", "--json"]);
    assert!(stdout(&o).contains("grant-dropped"), "{}", stdout(&o));
}

#[test]
fn a_managers_grant_row_put_back_after_a_revoke_is_refused() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    let token = t.token("billing-bot");
    t.enroll(
        "bob",
        &fpr,
        &[
            "--agent",
            "billing-bot=manage",
            "--agent",
            "support-bot=operate",
        ],
    );
    let leaks = [STRIPE, OPENAI, token.as_str()];
    let o = t.member("bob", &["grant", "OPENAI_KEY", "--agent", "billing-bot"]);
    assert_code_no_leak(&o, 0, &leaks);
    t.sql("CREATE TABLE saved_grant AS SELECT * FROM grants WHERE secret = 'OPENAI_KEY' AND agent = 'billing-bot'");
    // The helper the other tests forge rows with signs exactly as vault does.
    let stored: String = pg_admin()
        .unwrap()
        .query_one(
            &format!("SELECT encode(sig, 'hex') FROM {}.saved_grant", t.schema),
            &[],
        )
        .unwrap()
        .get(0);
    assert!(
        signed_grant_sql(&t, "bob", "billing-bot", "OPENAI_KEY").contains(&stored),
        "the test's signature differs from vault's"
    );
    let o = t.member("bob", &["revoke", "OPENAI_KEY", "--agent", "billing-bot"]);
    assert_code_no_leak(&o, 0, &leaks);
    // The database host puts the signed row back.
    t.sql("INSERT INTO grants SELECT * FROM saved_grant");
    let o = run_with_token(&t, &token, "billing-bot", "true");
    assert_code_no_leak(&o, 125, &leaks);
    // Owners do not take it back in: their next write removes it.
    let o = t.vault("owner", None, &["set", "UNRELATED", "x-unrelated-4"]);
    assert_code_no_leak(&o, 0, &leaks);
    let check = "[ -z \"${OPENAI_KEY+x}\" ]";
    let o = run_with_token(&t, &token, "billing-bot", check);
    assert_code_no_leak(&o, 0, &leaks);
}

#[test]
fn removing_an_operator_gives_the_agent_a_new_keyring_key() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    let token = t.token("billing-bot");
    t.enroll("bob", &fpr, &["--agent", "billing-bot=operate"]);
    let epoch = |t: &Team| -> serde_json::Value {
        let o = t.owner_ok(&["agent", "show", "billing-bot", "--json"]);
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap()["key"]["keyring_epoch"]
            .clone()
    };
    let before = epoch(&t);
    t.owner_ok(&["member", "remove", "bob"]);
    let after = epoch(&t);
    assert_eq!(after, serde_json::json!(before.as_u64().unwrap() + 1));
    // The agent's own key still opens the new keyring.
    let check = format!("[ \"$STRIPE_KEY\" = '{STRIPE}' ]");
    let o = run_with_token(&t, &token, "billing-bot", &check);
    assert_code_no_leak(&o, 0, &[STRIPE, OPENAI, token.as_str()]);
}

#[test]
fn a_managers_grant_whose_source_is_revoked_is_removed_without_locking_owners_out() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    let token = t.token("billing-bot");
    t.enroll(
        "bob",
        &fpr,
        &[
            "--agent",
            "billing-bot=manage",
            "--agent",
            "support-bot=manage",
        ],
    );
    let leaks = [STRIPE, OPENAI, token.as_str()];
    // bob grants OPENAI_KEY to billing-bot (source: support-bot), then
    // revokes it from its source before any owner write.
    let o = t.member("bob", &["grant", "OPENAI_KEY", "--agent", "billing-bot"]);
    assert_code_no_leak(&o, 0, &leaks);
    let o = t.member("bob", &["revoke", "OPENAI_KEY", "--agent", "support-bot"]);
    assert_code_no_leak(&o, 0, &leaks);
    // Owners read and write as usual; the grant that lost its ground goes.
    t.owner_ok(&["list"]);
    let o = t.owner_ok(&["set", "UNRELATED", "x-unrelated-5"]);
    assert!(
        stderr(&o).contains("removed the grant of OPENAI_KEY"),
        "{}",
        stderr(&o)
    );
    let check = "[ -z \"${OPENAI_KEY+x}\" ]";
    let o = run_with_token(&t, &token, "billing-bot", check);
    assert_code_no_leak(&o, 0, &leaks);
    t.owner_ok(&["audit", "verify"]);
}

#[test]
fn a_forged_or_truncated_member_audit_chain_is_caught() {
    let Some(t) = Team::new() else { return };
    let fpr = t.setup();
    t.enroll("bob", &fpr, &["--agent", "billing-bot=operate"]);
    for _ in 0..2 {
        let o = run_as(&t, "bob", "billing-bot", "true");
        assert_code_no_leak(&o, 0, &[STRIPE, OPENAI]);
    }
    t.owner_ok(&["audit", "verify"]);
    // The first entry of bob's chain deleted: the chain no longer starts at 1.
    t.sql("CREATE TABLE audit_copy AS SELECT * FROM audit; DELETE FROM audit WHERE chain > 0 AND seq = 1");
    let o = t.vault("owner", None, &["audit", "verify"]);
    assert_code_no_leak(&o, 6, &[STRIPE, OPENAI]);
    // A checkpoint in a member's chain (which is never pruned) is forged.
    t.sql("DELETE FROM audit; INSERT INTO audit SELECT * FROM audit_copy");
    t.sql("UPDATE audit SET action = 'checkpoint' WHERE chain > 0 AND seq = 2");
    let o = t.vault("owner", None, &["audit", "verify"]);
    assert_code_no_leak(&o, 6, &[STRIPE, OPENAI]);
    // The actor shown is the roster's name for the chain, not the entry's.
    t.sql("DELETE FROM audit; INSERT INTO audit SELECT * FROM audit_copy");
    t.sql("UPDATE audit SET subject = replace(subject, '\"bob\"', '\"alice\"') WHERE chain > 0");
    let o = t.owner_ok(&["audit", "--json"]);
    assert!(stdout(&o).contains("member bob"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("member alice"), "{}", stdout(&o));
}
