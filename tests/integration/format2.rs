//! Format 2 (issue 12): `vault upgrade`, the format-1 fixture vault made by
//! the released format-1 binary, and owner commands on an upgraded vault.
//! The fixture's contents are in tests/fixtures/format1/README.md.

use crate::util::{assert_code_no_leak, json, stderr, stdout, Env};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/format1");

/// Every value the fixture README lists: (name, version, value).
const FIXTURE_VALUES: &[(&str, u64, &str)] = &[
    ("OPENAI_API_KEY", 1, "sk-fixture-openai-0001"),
    ("OPENAI_API_KEY", 2, "sk-fixture-openai-0002"),
    ("API_BASE", 1, "https://api.example.com"),
    ("SLACK_BOT_TOKEN", 1, "xoxb-fixture-slack-token-abc"),
    ("STRIPE_KEY", 1, "whsec-fixture-stripe-xyz-123"),
    ("STRIPE_KEY", 2, "whsec-fixture-stripe-xyz-456"),
];

/// A test home holding a copy of the fixture vault, kept in format 1 by the
/// harness (`VAULT_TEST_FORMAT=2` must not upgrade it behind the test).
fn fixture() -> Env {
    let env = Env::new();
    env.keep_format();
    std::fs::create_dir_all(env.dir()).unwrap();
    for f in ["vault.db", "vault.key"] {
        std::fs::copy(format!("{FIXTURE}/{f}"), env.dir().join(f)).unwrap();
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(env.dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::set_permissions(env.key_file(), std::fs::Permissions::from_mode(0o600)).unwrap();
    env
}

/// Every stored version's value the README lists: each one made current
/// by `rollback --to N` (which copies it into a new version) and read back.
/// Run last in a test: it adds versions.
fn values(env: &Env) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    for (name, version, _) in FIXTURE_VALUES {
        env.ok(&["rollback", name, "--to", &version.to_string()]);
        out.push(((*name).to_owned(), *version, env.reveal(name)));
    }
    out.sort();
    out
}

/// Everything but values that an owner sees and that the upgrade must not
/// change: the listing, each agent's delivery states, the histories.
fn observable(env: &Env) -> Vec<serde_json::Value> {
    let mut out = vec![json(&env.ok(&["list", "--json"]))];
    for a in ["support-bot", "billing-bot"] {
        out.push(json(&env.ok(&["agent", "show", a, "--json"])));
    }
    for name in ["OPENAI_API_KEY", "STRIPE_KEY"] {
        out.push(json(&env.ok(&["history", name, "--json"])));
    }
    out
}

fn expected_values() -> Vec<(String, u64, String)> {
    let mut v: Vec<_> = FIXTURE_VALUES
        .iter()
        .map(|(n, ver, val)| ((*n).to_owned(), *ver, (*val).to_owned()))
        .collect();
    v.sort();
    v
}

#[test]
fn the_format1_fixture_opens_as_is() {
    if crate::util::sqlite_only("the fixture is a SQLite file") {
        return;
    }
    let env = fixture();
    let show = stdout(&env.ok(&["agent", "show", "support-bot"]));
    assert!(show.contains("stale"), "{show}");
    env.ok(&["audit", "verify"]);
    assert_eq!(values(&env), expected_values());
    assert_eq!(
        env.sql_i64("SELECT value FROM meta WHERE key = 'format'"),
        1
    );
}

#[test]
fn upgrade_keeps_values_versions_grants_deliveries_and_the_audit_chain() {
    if crate::util::sqlite_only("the fixture is a SQLite file") {
        return;
    }
    let env = fixture();
    let before = observable(&env);
    let out = env.ok(&["upgrade"]);
    assert!(
        stdout(&out).contains("vault-root:SHA256:"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        env.sql_i64("SELECT value FROM meta WHERE key = 'format'"),
        2
    );
    // Every sealed version now carries its data key's root wrap (12 + 60).
    assert_eq!(
        env.sql_i64(
            "SELECT count(*) FROM versions WHERE nonce IS NOT NULL AND length(nonce) <> 72"
        ),
        0
    );
    // The listing, every agent's delivery states and the histories.
    assert_eq!(before, observable(&env));
    let v = stdout(&env.ok(&["audit", "verify"]));
    assert!(v.contains("intact"), "{v}");
    assert_eq!(values(&env), expected_values());
    // Twice is refused politely, nothing changed.
    let again = env.vault(&["upgrade"]).output().unwrap();
    assert_code_no_leak(&again, 4, &[]);
    assert!(
        stderr(&again).contains("already in format 2"),
        "{}",
        stderr(&again)
    );
}

fn upgraded() -> Env {
    let env = Env::format1();
    env.set("SHARED_KEY", "shared-value-0001");
    env.set("SHARED_KEY", "shared-value-0002");
    env.ok(&["set", "SHARED_KEY", "--env", "prod", "prod-value-0003"]);
    env.ok(&["set", "PLAIN_URL", "--variable", "https://plain.example"]);
    env.ok(&["upgrade"]);
    env
}

#[test]
fn owner_commands_work_on_a_format2_vault() {
    let env = upgraded();
    assert_eq!(env.reveal("SHARED_KEY"), "shared-value-0002");
    let prod = env.ok(&["get", "SHARED_KEY", "--env", "prod", "--reveal"]);
    assert_eq!(stdout(&prod), "prod-value-0003\n");
    env.set("NEW_KEY", "new-value-0004");
    assert_eq!(env.reveal("NEW_KEY"), "new-value-0004");
    env.ok(&["rollback", "SHARED_KEY", "--to", "1"]);
    assert_eq!(env.reveal("SHARED_KEY"), "shared-value-0001");
    env.ok(&["rename", "NEW_KEY", "RENAMED_KEY"]);
    assert_eq!(env.reveal("RENAMED_KEY"), "new-value-0004");
    let run = env
        .vault(&[
            "run",
            "--",
            "sh",
            "-c",
            "test \"$RENAMED_KEY\" = new-value-0004",
        ])
        .output()
        .unwrap();
    assert_code_no_leak(&run, 0, &[]);
    // rekey seals the root keys again under the new master key; values
    // (and their data keys) are left as they are.
    env.ok(&["rekey"]);
    assert_eq!(env.reveal("SHARED_KEY"), "shared-value-0001");
    assert_eq!(env.reveal("RENAMED_KEY"), "new-value-0004");
    env.ok(&["delete", "RENAMED_KEY"]);
    env.ok(&["audit", "verify"]);
}

#[test]
fn a_format_edited_by_hand_is_an_integrity_error() {
    if crate::util::sqlite_only("edits meta with SQLite's typed values") {
        return;
    }
    // Format 1 that claims 2 (no root keys), and format 2 that claims 1.
    let one = Env::format1();
    one.set("PROBE_KEY", "probe-value-0001");
    one.sql("UPDATE meta SET value = 2 WHERE key = 'format';");
    let o = one
        .vault(&["get", "PROBE_KEY", "--reveal"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 6, &["probe-value-0001"]);
    let two = upgraded();
    two.sql("UPDATE meta SET value = 1 WHERE key = 'format';");
    let o = two
        .vault(&["get", "SHARED_KEY", "--reveal"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 6, &["shared-value-0002"]);
}

#[test]
fn a_value_moved_to_another_version_fails_authentication() {
    let env = upgraded();
    // Version 1's stored bytes (value nonce, root wrap, ciphertext) copied
    // over version 2: every binding names version 2, so it cannot open.
    env.sql(
        "UPDATE versions SET nonce = (SELECT nonce FROM versions WHERE name = 'SHARED_KEY' AND env = '' AND version = 1), \
         ciphertext = (SELECT ciphertext FROM versions WHERE name = 'SHARED_KEY' AND env = '' AND version = 1) \
         WHERE name = 'SHARED_KEY' AND env = '' AND version = 2;",
    );
    let o = env
        .vault(&["get", "SHARED_KEY", "--reveal"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 6, &["shared-value-0001", "shared-value-0002"]);
}

#[test]
fn info_shows_format_and_the_root_fingerprint_without_a_key() {
    let env = Env::format1();
    env.set("INFO_KEY", "info-value-0001");
    let one = json(&env.ok(&["info", "--json"]));
    assert_eq!(one["format"], 1);
    assert!(one["root_fingerprint"].is_null());
    // PostgreSQL is at 7: its team-member tables, roles and policies.
    let schema = if crate::util::on_postgres() { 7 } else { 5 };
    assert_eq!(one["schema"], schema);
    let up = stdout(&env.ok(&["upgrade"]));
    let two = json(&env.ok(&["info", "--json"]));
    assert_eq!(two["format"], 2);
    assert_eq!(one["vault_id"], two["vault_id"]);
    let fpr = two["root_fingerprint"].as_str().unwrap().to_owned();
    assert!(
        fpr.starts_with("vault-root:SHA256:") && fpr.len() == 18 + 64,
        "{fpr}"
    );
    assert!(up.contains(&fpr), "{up}");
    // No key needed: the key file moved away, info still answers; rekey
    // keeps the fingerprint (the root keys stay, sealed under the new key).
    env.ok(&["rekey"]);
    let key = env.key_file();
    let aside = env.root().join("key-aside");
    let moved = key.exists();
    if moved {
        std::fs::rename(&key, &aside).unwrap();
    }
    let three = json(&env.ok(&["info", "--json"]));
    assert_eq!(three["root_fingerprint"].as_str().unwrap(), fpr);
    if moved {
        std::fs::rename(&aside, &key).unwrap();
    }
    assert_eq!(env.reveal("INFO_KEY"), "info-value-0001");
}

// ------------------------------------------------ row tags (FORMAT.md §19)

const TAGGED_VALUES: &[&str] = &["global-value-0001", "bot-value-0001", "prod-value-0001"];

/// A vault made in format 2 by its first write: a global secret (with a
/// `prod` row of its own), an agent-only secret granted to `bot`, and a
/// second agent `other` with no grants.
fn tagged() -> Env {
    let env = Env::new();
    env.set("GLOBAL_KEY", "global-value-0001");
    env.ok(&["set", "GLOBAL_KEY", "--env", "prod", "prod-value-0001"]);
    env.ok(&["agent", "create", "bot"]);
    env.ok(&["agent", "create", "other"]);
    env.ok(&["set", "BOT_KEY", "bot-value-0001", "--agent", "bot"]);
    assert_eq!(json(&env.ok(&["info", "--json"]))["format"], 2);
    env
}

/// `vault run ARGS -- sh -c 'touch started'`: exit 125, with a message
/// about a row that failed authentication, and the command never started.
fn run_refused(env: &Env, args: &[&str]) {
    let marker = env.root().join("started");
    let mut all: Vec<&str> = vec!["run"];
    all.extend_from_slice(args);
    let script = format!("touch {}", marker.display());
    all.extend_from_slice(&["--", "sh", "-c", &script]);
    let o = env.vault(&all).output().unwrap();
    assert_code_no_leak(&o, 125, TAGGED_VALUES);
    assert!(
        stderr(&o).contains("failed authentication"),
        "{}",
        stderr(&o)
    );
    assert!(!marker.exists(), "the command started");
}

fn refused(env: &Env, args: &[&str], code: i32) -> String {
    let o = env.vault(args).output().unwrap();
    assert_code_no_leak(&o, code, TAGGED_VALUES);
    stderr(&o)
}

#[test]
fn row_tags_a_row_edited_with_sqlite3_fails_closed() {
    let env = tagged();
    // Before: the run and the reveal work (so the refusals below are the tags').
    env.ok(&["run", "--agent", "bot", "--only", "BOT_KEY", "--", "true"]);
    env.sql("UPDATE secrets SET scope = 'global' WHERE name = 'BOT_KEY';");
    let e = refused(&env, &["get", "BOT_KEY", "--reveal"], 6);
    assert!(
        e.contains("the row of \"BOT_KEY\" failed authentication"),
        "{e}"
    );
    run_refused(&env, &["--only", "BOT_KEY"]);
    run_refused(&env, &[]);
    refused(&env, &["set", "BOT_KEY", "bot-value-0002"], 6);
    refused(&env, &["list"], 0);
    // A row the command does not read is not its business: get of another
    // name still works (what `get` checks is what it reads).
    assert_eq!(env.reveal("GLOBAL_KEY"), "global-value-0001");
}

#[test]
fn row_tags_a_variable_or_version_pointer_edited_fails_closed() {
    let env = tagged();
    env.ok(&["set", "API_URL", "--variable", "https://api.example.com"]);
    env.set("GLOBAL_KEY", "global-value-0002");
    env.sql("UPDATE versions SET plain = 'https://evil.example' WHERE name = 'API_URL';");
    refused(&env, &["get", "API_URL", "--reveal"], 6);
    run_refused(&env, &["--only", "API_URL"]);
    // Rolled back to version 1 (its own, authentic ciphertext).
    env.sql("UPDATE secrets SET version = 1 WHERE name = 'GLOBAL_KEY' AND env = '';");
    refused(&env, &["get", "GLOBAL_KEY", "--reveal"], 6);
}

#[test]
fn row_tags_an_inserted_grant_fails_closed() {
    let env = tagged();
    env.sql("INSERT INTO grants(agent, secret, created) VALUES ('other', 'BOT_KEY', 't');");
    run_refused(&env, &["--agent", "other", "--only", "BOT_KEY"]);
    // A write does not bless the untagged grant, and nothing was changed.
    let e = refused(&env, &["set", "NEW_KEY", "new-value-0001"], 6);
    assert!(
        e.contains("the grant of \"BOT_KEY\" to agent \"other\""),
        "{e}"
    );
    refused(&env, &["get", "NEW_KEY"], 3);
    run_refused(&env, &["--agent", "other", "--only", "BOT_KEY"]);
}

#[test]
fn row_tags_a_grant_copied_to_another_agent_fails_closed() {
    let env = tagged();
    env.sql(
        "INSERT INTO grants(agent, secret, created, tag) \
         SELECT 'other', secret, created, tag FROM grants WHERE agent = 'bot';",
    );
    run_refused(&env, &["--agent", "other", "--only", "BOT_KEY"]);
    run_refused(&env, &["--agent", "other"]);
    // bot's own grant is untouched: on SQLite its `--only` run checks only
    // its own rows and still gets its secret. (On PostgreSQL a run checks
    // every row its one-round-trip prefetch brought, the copied grant too.)
    if crate::util::on_postgres() {
        run_refused(&env, &["--agent", "bot", "--only", "BOT_KEY"]);
    } else {
        env.ok(&["run", "--agent", "bot", "--only", "BOT_KEY", "--", "true"]);
    }
}

#[test]
fn row_tags_a_row_moved_to_another_name_or_environment_fails_closed() {
    let env = tagged();
    // The shared row, with its tag, moved into environment `staging`.
    env.sql(
        "UPDATE secrets SET env = 'staging' WHERE name = 'GLOBAL_KEY' AND env = ''; \
         UPDATE versions SET env = 'staging' WHERE name = 'GLOBAL_KEY' AND env = '';",
    );
    let e = refused(
        &env,
        &["get", "GLOBAL_KEY", "--env", "staging", "--reveal"],
        6,
    );
    assert!(
        e.contains("the row of \"GLOBAL_KEY\" in environment staging"),
        "{e}"
    );
    run_refused(&env, &["--env", "staging", "--only", "GLOBAL_KEY"]);
    // The prod row, with its tag, renamed.
    env.sql(
        "UPDATE secrets SET name = 'MOVED_KEY' WHERE name = 'GLOBAL_KEY' AND env = 'prod'; \
         UPDATE versions SET name = 'MOVED_KEY' WHERE name = 'GLOBAL_KEY' AND env = 'prod';",
    );
    let e = refused(&env, &["get", "MOVED_KEY", "--env", "prod", "--reveal"], 6);
    assert!(e.contains("the row of \"MOVED_KEY\""), "{e}");
}

#[test]
fn row_tags_an_agent_re_pinned_fails_closed() {
    let env = tagged();
    env.ok(&[
        "run",
        "--agent",
        "bot",
        "--only",
        "GLOBAL_KEY",
        "--",
        "true",
    ]);
    env.sql("UPDATE agents SET env = 'prod' WHERE name = 'bot';");
    run_refused(&env, &["--agent", "bot", "--only", "GLOBAL_KEY"]);
}

#[test]
fn row_tags_a_cleared_tag_is_not_blessed_by_a_write() {
    let env = tagged();
    env.sql("UPDATE secrets SET scope = 'global', tag = NULL WHERE name = 'BOT_KEY';");
    refused(&env, &["set", "GLOBAL_KEY", "global-value-0002"], 6);
    refused(&env, &["set", "OTHER_KEY", "other-value-0001"], 6);
    run_refused(&env, &["--only", "BOT_KEY"]);
    assert_eq!(env.reveal("GLOBAL_KEY"), "global-value-0001");
}

#[test]
fn row_tags_survive_rekey_and_writes() {
    let env = tagged();
    env.ok(&["rekey"]);
    env.ok(&["grant", "GLOBAL_KEY", "--agent", "other"]);
    env.ok(&["rename", "BOT_KEY", "BOT_TOKEN"]);
    env.ok(&["run", "--agent", "bot", "--only", "BOT_TOKEN", "--", "true"]);
    assert_eq!(env.reveal("BOT_TOKEN"), "bot-value-0001");
    assert_eq!(
        env.sql_i64("SELECT count(*) FROM secrets WHERE tag IS NULL")
            + env.sql_i64("SELECT count(*) FROM grants WHERE tag IS NULL")
            + env.sql_i64("SELECT count(*) FROM agents WHERE tag IS NULL"),
        0
    );
}
