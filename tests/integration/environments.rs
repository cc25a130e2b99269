//! Environments (DESIGN §7.4, §7.5 `history --env`): a value set without
//! --env is shared by every environment; one set with --env E (or
//! VAULT_ENV=E) exists only in E and overrides the shared one there. Every
//! test runs on both engines unless it edits SQLite files.

use crate::util::*;

/// The value of `name` a `vault run ARGS` child sees (no masking, so the
/// test can read it), or `<unset>`.
fn injected(e: &Env, args: &[&str], name: &str) -> String {
    let script = format!("printf %s \"${{{name}-<unset>}}\"");
    let mut all: Vec<&str> = vec!["run", "--no-masking"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--", "sh", "-c", &script]);
    stdout(&e.ok(&all))
}

/// A shared DB_URL, production's own, and an agent pinned to production.
fn two_environments() -> Env {
    let e = Env::new();
    e.set("DB_URL", "shared-db-value");
    e.ok(&[
        "set",
        "DB_URL",
        "production-db-value",
        "--env",
        "production",
    ]);
    e.set("LOG_LEVEL", "info-everywhere");
    e.ok(&["agent", "create", "pinned-bot", "--env", "production"]);
    e
}

/// The done-test: production's value is what `run --env
/// production` injects, `run` alone gets the shared one, and the pinned
/// agent gets its environment's.
#[test]
fn a_run_injects_its_environments_value_and_a_pinned_agent_its_pin() {
    let e = two_environments();
    assert_eq!(injected(&e, &[], "DB_URL"), "shared-db-value");
    assert_eq!(
        injected(&e, &["--env", "production"], "DB_URL"),
        "production-db-value"
    );
    assert_eq!(
        injected(&e, &["--agent", "pinned-bot"], "DB_URL"),
        "production-db-value"
    );
    // --env says otherwise than the pin; an environment without its own
    // value gets the shared one; names it does not override stay shared.
    assert_eq!(
        injected(&e, &["--agent", "pinned-bot", "--env", "staging"], "DB_URL"),
        "shared-db-value"
    );
    assert_eq!(
        injected(&e, &["--env", "production"], "LOG_LEVEL"),
        "info-everywhere"
    );
    assert_eq!(e.reveal("DB_URL"), "shared-db-value");
    let prod = e.ok(&["get", "DB_URL", "--env", "production", "--reveal"]);
    assert_eq!(stdout(&prod), "production-db-value\n");
}

#[test]
fn a_value_only_one_environment_has_is_absent_elsewhere() {
    let e = Env::new();
    e.ok(&[
        "set",
        "PROD_ONLY",
        "only-in-production",
        "--env",
        "production",
    ]);
    assert_eq!(injected(&e, &[], "PROD_ONLY"), "<unset>");
    assert_eq!(
        injected(&e, &["--env", "production"], "PROD_ONLY"),
        "only-in-production"
    );
    let o = e.vault(&["get", "PROD_ONLY", "--reveal"]).output().unwrap();
    assert_code_no_leak(&o, 3, &["only-in-production"]);
    assert!(stderr(&o).contains("production"), "{}", stderr(&o));
}

#[test]
fn vault_env_is_the_default_environment() {
    let e = two_environments();
    let o = e
        .vault(&["get", "DB_URL", "--reveal"])
        .env("VAULT_ENV", "production")
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "production-db-value\n");
    e.vault(&["set", "DB_URL", "staging-db-value"])
        .env("VAULT_ENV", "staging")
        .assert()
        .success();
    let o = e
        .vault(&[
            "run",
            "--no-masking",
            "--",
            "sh",
            "-c",
            "printf %s \"$DB_URL\"",
        ])
        .env("VAULT_ENV", "staging")
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "staging-db-value");
    // --env wins over VAULT_ENV; the shared value was not touched.
    let o = e
        .vault(&["get", "DB_URL", "--reveal", "--env", "production"])
        .env("VAULT_ENV", "staging")
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "production-db-value\n");
    assert_eq!(e.reveal("DB_URL"), "shared-db-value");
    // A bad name is invalid input, wherever it comes from.
    let o = e.vault(&["list", "--env", "Prod Env"]).output().unwrap();
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    let o = e
        .vault(&["list"])
        .env("VAULT_ENV", "../etc")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert!(stderr(&o).contains("VAULT_ENV"), "{}", stderr(&o));
}

#[test]
fn list_shows_where_each_value_comes_from() {
    let e = two_environments();
    let o = e.ok(&["list", "--env", "production", "--json"]);
    let items = json(&o);
    let from = |name: &str| {
        items
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap()["from"]
            .clone()
    };
    assert_eq!(from("DB_URL"), "production");
    assert_eq!(from("LOG_LEVEL"), "shared");
    let table = stdout(&e.ok(&["list", "--env", "production"]));
    assert!(table.starts_with("NAME  "), "{table}");
    assert!(table.lines().next().unwrap().contains("FROM"), "{table}");
    let db = table.lines().find(|l| l.starts_with("DB_URL")).unwrap();
    assert!(db.contains("production"), "{db}");
    let log = table.lines().find(|l| l.starts_with("LOG_LEVEL")).unwrap();
    assert!(log.contains("shared"), "{log}");
    // Without --env: the shared values, one row per name.
    let shared = json(&e.ok(&["list", "--json"]));
    assert_eq!(shared.as_array().unwrap().len(), 2);
    assert!(shared
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["from"] == "shared"));
    assert!(!stdout(&o).contains("production-db-value"));
}

#[test]
fn export_and_import_take_an_environment() {
    let e = two_environments();
    let out = stdout(&e.ok(&["export", "--env", "production"]));
    assert!(out.contains("DB_URL=production-db-value"), "{out}");
    assert!(out.contains("LOG_LEVEL=info-everywhere"), "{out}");
    let shared = stdout(&e.ok(&["export"]));
    assert!(shared.contains("DB_URL=shared-db-value"), "{shared}");
    // --agent exports what the agent receives: its pinned environment's.
    let pinned = stdout(&e.ok(&["export", "--agent", "pinned-bot"]));
    assert!(pinned.contains("DB_URL=production-db-value"), "{pinned}");
    let file = e.root().join("staging.env");
    std::fs::write(&file, "DB_URL=staging-db-value\nNEW_ONE=staging-only\n").unwrap();
    e.ok(&["import", file.to_str().unwrap(), "--env", "staging"]);
    let staging = stdout(&e.ok(&["export", "--env", "staging"]));
    assert!(staging.contains("DB_URL=staging-db-value"), "{staging}");
    assert!(staging.contains("NEW_ONE=staging-only"), "{staging}");
    // The import wrote staging's rows only.
    assert_eq!(e.reveal("DB_URL"), "shared-db-value");
    assert!(!stdout(&e.ok(&["export"])).contains("NEW_ONE"));
    let prod = stdout(&e.ok(&["export", "--env", "production"]));
    assert!(!prod.contains("NEW_ONE") && prod.contains("DB_URL=production-db-value"));
    e.vault(&["audit", "verify"]).assert().success();
}

#[test]
fn history_and_rollback_take_an_environment() {
    let e = two_environments();
    e.ok(&["set", "DB_URL", "production-v2", "--env", "production"]);
    e.ok(&["set", "DB_URL", "production-v3", "--env", "production"]);
    let h = json(&e.ok(&["history", "DB_URL", "--env", "production", "--json"]));
    assert_eq!(h["from"], "production");
    assert_eq!(h["current"], 3);
    assert_eq!(h["versions"].as_array().unwrap().len(), 3);
    let shared = json(&e.ok(&["history", "DB_URL", "--json"]));
    assert_eq!(shared["from"], "shared");
    assert_eq!(shared["versions"].as_array().unwrap().len(), 1);
    // An environment without its own value shows the shared history.
    let staging = json(&e.ok(&["history", "DB_URL", "--env", "staging", "--json"]));
    assert_eq!(staging["from"], "shared");
    e.ok(&["rollback", "DB_URL", "--to", "1", "--env", "production"]);
    let prod = e.ok(&["get", "DB_URL", "--env", "production", "--reveal"]);
    assert_eq!(stdout(&prod), "production-db-value\n");
    assert_eq!(e.reveal("DB_URL"), "shared-db-value");
    // Rolling back an environment that has no value of its own: exit 3.
    let o = e
        .vault(&["rollback", "DB_URL", "--to", "1", "--env", "staging"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 3, &["shared-db-value", "production-db-value"]);
}

/// The ciphertext binds its environment: a value copied from one
/// environment's row to another's (or to the shared row) fails (6; run 125).
#[test]
fn a_ciphertext_moved_between_environments_fails() {
    let e = two_environments();
    e.sql(
        "UPDATE versions SET nonce = (SELECT nonce FROM versions WHERE env = '' AND name = 'DB_URL'), \
         ciphertext = (SELECT ciphertext FROM versions WHERE env = '' AND name = 'DB_URL') \
         WHERE env = 'production' AND name = 'DB_URL'",
    );
    let o = e
        .vault(&["get", "DB_URL", "--env", "production", "--reveal"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 6, &["shared-db-value", "production-db-value"]);
    let o = e
        .vault(&["run", "--env", "production", "--", "true"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 125, &["shared-db-value", "production-db-value"]);
    let o = e
        .vault(&["run", "--agent", "pinned-bot", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(125));
    // The shared row itself is untouched and still opens.
    assert_eq!(e.reveal("DB_URL"), "shared-db-value");
}

#[test]
fn a_shared_ciphertext_replaced_by_an_environments_fails() {
    let e = two_environments();
    e.sql(
        "UPDATE versions SET nonce = (SELECT nonce FROM versions WHERE env = 'production' AND name = 'DB_URL'), \
         ciphertext = (SELECT ciphertext FROM versions WHERE env = 'production' AND name = 'DB_URL') \
         WHERE env = '' AND name = 'DB_URL'",
    );
    let o = e.vault(&["get", "DB_URL", "--reveal"]).output().unwrap();
    assert_code_no_leak(&o, 6, &["shared-db-value", "production-db-value"]);
}

/// An agent's pin is policy: editing it in the database (to redirect the
/// agent to another environment's values) fails the policy tag.
#[test]
fn an_agent_pin_edited_in_the_database_fails_closed() {
    let e = two_environments();
    e.ok(&["agent", "create", "plain-bot"]);
    // Another environment for the pinned agent.
    e.sql("UPDATE agents SET env = 'staging' WHERE name = 'pinned-bot'");
    let o = e
        .vault(&["run", "--agent", "pinned-bot", "--", "true"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 125, &["shared-db-value", "production-db-value"]);
    // No environment: the shared values.
    e.sql("UPDATE agents SET env = '' WHERE name = 'pinned-bot'");
    let o = e
        .vault(&["run", "--agent", "pinned-bot", "--", "true"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 125, &["shared-db-value", "production-db-value"]);
    let err = stderr(&o);
    assert!(
        err.contains("policy") || err.contains("(its environment pin) failed authentication"),
        "{err}"
    );
    // Format 1 checks its one policy tag on every read; format 2 checks
    // the rows a command reads, and `get DB_URL` reads no agent.
    let o = e.vault(&["get", "DB_URL", "--reveal"]).output().unwrap();
    let format = crate::util::json(&e.ok(&["info", "--json"]))["format"].as_i64();
    assert_eq!(o.status.code(), Some(if format == Some(2) { 0 } else { 6 }));
    // Pinning an unpinned agent behind vault's back fails the same way.
    e.sql("UPDATE agents SET env = 'production' WHERE name = 'pinned-bot'");
    e.ok(&["get", "DB_URL", "--reveal"]);
    e.sql("UPDATE agents SET env = 'production' WHERE name = 'plain-bot'");
    let o = e
        .vault(&["run", "--agent", "plain-bot", "--", "true"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 125, &["shared-db-value", "production-db-value"]);
}

#[test]
fn a_row_moved_to_another_environment_fails_the_policy() {
    let e = two_environments();
    // One transaction: PostgreSQL checks the versions' foreign key at commit.
    e.sql(
        "BEGIN; UPDATE secrets SET env = 'staging' WHERE env = 'production' AND name = 'DB_URL'; \
         UPDATE versions SET env = 'staging' WHERE env = 'production' AND name = 'DB_URL'; COMMIT;",
    );
    let o = e
        .vault(&["run", "--env", "staging", "--", "true"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 125, &["shared-db-value", "production-db-value"]);
}

#[test]
fn agent_show_and_list_say_the_environment_and_its_sync_state() {
    let e = two_environments();
    e.ok(&["run", "--agent", "pinned-bot", "--", "true"]);
    let show = json(&e.ok(&["agent", "show", "pinned-bot", "--json"]));
    assert_eq!(show["pin"], "production");
    assert_eq!(show["env"], "production");
    let db = |v: &serde_json::Value| {
        v["receives"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["secret"] == "DB_URL")
            .unwrap()
            .clone()
    };
    assert_eq!(db(&show)["from"], "production");
    assert_eq!(db(&show)["state"], "synced");
    // In staging it has never run: pending; its value there is the shared one.
    let staging = json(&e.ok(&["agent", "show", "pinned-bot", "--env", "staging", "--json"]));
    assert_eq!(staging["env"], "staging");
    assert_eq!(db(&staging)["from"], "shared");
    assert_eq!(db(&staging)["state"], "pending");
    // A rotation in production makes it stale there, not in the shared view.
    e.ok(&["set", "DB_URL", "production-v2", "--env", "production"]);
    let show = json(&e.ok(&["agent", "show", "pinned-bot", "--json"]));
    assert_eq!(db(&show)["state"], "stale");
    // An override that appears after a run of the shared value is stale too.
    e.ok(&[
        "run",
        "--agent",
        "pinned-bot",
        "--env",
        "staging",
        "--",
        "true",
    ]);
    e.ok(&["set", "DB_URL", "staging-v1", "--env", "staging"]);
    let staging = json(&e.ok(&["agent", "show", "pinned-bot", "--env", "staging", "--json"]));
    assert_eq!(db(&staging)["from"], "staging");
    assert_eq!(db(&staging)["state"], "stale");
    let text = stdout(&e.ok(&["agent", "show", "pinned-bot"]));
    assert!(text.contains("production (pinned)"), "{text}");
    let list = json(&e.ok(&["agent", "list", "--json"]));
    assert_eq!(list[0]["env"], "production");
    let table = stdout(&e.ok(&["agent", "list"]));
    assert!(table.lines().next().unwrap().contains("ENV"), "{table}");
}

#[test]
fn an_override_starts_with_the_shared_rows_scope_and_grants_apply() {
    let e = Env::new();
    e.ok(&["agent", "create", "bot"]);
    e.ok(&["agent", "create", "other"]);
    e.ok(&["set", "API_TOKEN", "shared-token-value", "--agent", "bot"]);
    e.ok(&[
        "set",
        "API_TOKEN",
        "production-token",
        "--env",
        "production",
    ]);
    let list = json(&e.ok(&["list", "--env", "production", "--json"]));
    assert_eq!(
        list[0]["scope"], "agent",
        "an override never widens who receives it"
    );
    assert_eq!(
        injected(&e, &["--agent", "bot", "--env", "production"], "API_TOKEN"),
        "production-token"
    );
    assert_eq!(
        injected(
            &e,
            &["--agent", "other", "--env", "production"],
            "API_TOKEN"
        ),
        "<unset>"
    );
    assert_eq!(
        injected(&e, &["--env", "production"], "API_TOKEN"),
        "<unset>"
    );
}

#[test]
fn deleting_shared_values_and_overrides() {
    let e = two_environments();
    // The shared value while production has its own: refused, naming it.
    let o = e.vault(&["delete", "DB_URL"]).output().unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("production"), "{}", stderr(&o));
    assert_eq!(e.reveal("DB_URL"), "shared-db-value");
    // Deleting production's own: production uses the shared one again.
    e.ok(&["delete", "DB_URL", "--env", "production"]);
    assert_eq!(
        injected(&e, &["--env", "production"], "DB_URL"),
        "shared-db-value"
    );
    let o = e
        .vault(&["delete", "DB_URL", "--env", "production"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    // --force deletes the name in every environment.
    e.ok(&["set", "DB_URL", "again-in-prod", "--env", "production"]);
    e.ok(&["delete", "DB_URL", "--force"]);
    assert_eq!(injected(&e, &["--env", "production"], "DB_URL"), "<unset>");
    assert_eq!(injected(&e, &[], "DB_URL"), "<unset>");
    // Grants stay while a row of the name is left, and go with its last one.
    e.ok(&["agent", "create", "bot"]);
    e.ok(&["set", "K", "shared-k", "--agent", "bot"]);
    e.ok(&["set", "K", "prod-k", "--env", "production"]);
    e.ok(&["delete", "K", "--env", "production"]);
    assert_eq!(injected(&e, &["--agent", "bot"], "K"), "shared-k");
    let o = e.vault(&["delete", "K"]).output().unwrap();
    assert_eq!(o.status.code(), Some(4), "still granted: {}", stderr(&o));
    e.vault(&["audit", "verify"]).assert().success();
}

#[test]
fn edit_changes_one_environments_row() {
    let e = two_environments();
    e.ok(&[
        "edit",
        "DB_URL",
        "--env",
        "production",
        "-d",
        "prod database",
    ]);
    let prod = json(&e.ok(&["get", "DB_URL", "--env", "production", "--json"]));
    assert_eq!(prod["description"], "prod database");
    let shared = json(&e.ok(&["get", "DB_URL", "--json"]));
    assert_eq!(shared["description"], "");
    let o = e
        .vault(&["edit", "LOG_LEVEL", "--env", "production", "-d", "x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}

#[test]
fn the_provider_rule_holds_in_each_environment() {
    let e = Env::new();
    e.ok(&["set", "OPENAI_A", "sk-aaaaaaaaaaaa", "--provider", "openai"]);
    e.ok(&["set", "OPENAI_B", "sk-bbbbbbbbbbbb", "--env", "production"]);
    // Tagging production's B as a second global openai credential: every
    // production run would get two.
    let o = e
        .vault(&[
            "edit",
            "OPENAI_B",
            "--env",
            "production",
            "--provider",
            "openai",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    // In an environment where A is overridden by an agent-only row, B may be global.
    e.ok(&["set", "OPENAI_A", "sk-stagingaaaa", "--env", "staging"]);
    e.ok(&["edit", "OPENAI_A", "--env", "staging", "--agent-only"]);
    e.ok(&[
        "set",
        "OPENAI_B",
        "sk-stagingbbbb",
        "--env",
        "staging",
        "--provider",
        "openai",
    ]);
}

#[test]
fn environment_names_complete() {
    let e = two_environments();
    e.ok(&["set", "X", "y", "--env", "staging"]);
    let o = e.ok(&[
        "__complete",
        "envs",
        "--vault-dir",
        e.dir().to_str().unwrap(),
    ]);
    assert_eq!(stdout(&o), "production\nstaging\n");
}

/// A vault made before environments existed (schema 2) opens with every
/// value, grant and signature as it was: its rows become shared rows, the
/// value AAD and policy tag of the shared rows are unchanged (no reseal).
#[test]
fn a_schema_2_vault_migrates_and_keeps_its_values() {
    // Format 1: a schema-2 vault predates format 2 and its row tags.
    let e = Env::format1();
    e.ok(&["agent", "create", "bot"]);
    e.ok(&["set", "OLD_SECRET", "kept-across-upgrade", "--agent", "bot"]);
    e.set("OLD_VAR", "plain-var");
    e.ok(&["set", "OLD_SECRET", "second-version", "--agent", "bot"]);
    e.ok(&["run", "--agent", "bot", "--", "true"]);
    // A schema-2 vault has none of the later schemas' tables (5: agent keys).
    e.sql(
        "DROP TABLE agent_ids; DROP TABLE agent_keys; DROP TABLE keyring_wraps;
         DROP TABLE agent_wraps; DROP TABLE statements;",
    );
    if on_postgres() {
        e.sql(
            // Schemas 7 and 6 (team members) undone first.
            "DROP FUNCTION vault_can_agent(bigint, text), vault_receives(text, text, bigint),
                 vault_next_policy_seq() CASCADE;
             DROP POLICY audit_read ON audit;
             ALTER TABLE audit NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
             ALTER TABLE grants DROP COLUMN signer;
             ALTER TABLE grants DROP COLUMN sig;
             DROP FUNCTION vault_create_login(text, text, boolean), vault_drop_login(text);
             DROP FUNCTION vault_can(text, text), vault_unrestricted(), vault_me() CASCADE;
             DROP TABLE roster, acl, members;
             ALTER TABLE slots NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
             ALTER TABLE versions NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
             ALTER TABLE grants NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
             ALTER TABLE deliveries NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY;
             ALTER TABLE slots DROP CONSTRAINT slots_kind_check;
             ALTER TABLE slots ADD CONSTRAINT slots_kind_check CHECK (kind IN ('keyfile', 'passphrase'));
             ALTER TABLE versions DROP CONSTRAINT versions_env_name_fkey;
             DROP INDEX secrets_by_name;
             ALTER TABLE secrets DROP CONSTRAINT secrets_pkey;
             ALTER TABLE secrets DROP COLUMN env;
             ALTER TABLE secrets ADD PRIMARY KEY (name);
             ALTER TABLE versions DROP CONSTRAINT versions_pkey;
             ALTER TABLE versions DROP COLUMN env;
             ALTER TABLE versions ADD PRIMARY KEY (name, version);
             ALTER TABLE versions ADD CONSTRAINT versions_name_fkey FOREIGN KEY (name)
                 REFERENCES secrets(name) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
             ALTER TABLE grants ADD CONSTRAINT grants_secret_fkey FOREIGN KEY (secret)
                 REFERENCES secrets(name) ON DELETE CASCADE;
             ALTER TABLE deliveries DROP CONSTRAINT deliveries_pkey;
             ALTER TABLE deliveries DROP COLUMN env;
             ALTER TABLE deliveries DROP COLUMN source;
             ALTER TABLE deliveries ADD PRIMARY KEY (agent, secret);
             ALTER TABLE deliveries ADD CONSTRAINT deliveries_secret_fkey FOREIGN KEY (secret)
                 REFERENCES secrets(name) ON DELETE CASCADE;
             ALTER TABLE agents DROP COLUMN env;
             ALTER TABLE grants DROP COLUMN tag;
             ALTER TABLE agents DROP COLUMN tag;
             ALTER TABLE secrets DROP COLUMN tag;
             UPDATE meta SET value = '2'::bytea WHERE key = 'schema';",
        );
    } else {
        e.sql(
            "DROP INDEX secrets_untagged; DROP INDEX grants_untagged; DROP INDEX agents_untagged;
             ALTER TABLE grants DROP COLUMN tag; ALTER TABLE agents DROP COLUMN tag;
             CREATE TABLE s2 (name TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL, scope TEXT NOT NULL,
                 description TEXT NOT NULL DEFAULT '', provider TEXT, version INTEGER NOT NULL,
                 created TEXT NOT NULL, updated TEXT NOT NULL) STRICT, WITHOUT ROWID;
             INSERT INTO s2 SELECT name, kind, scope, description, provider, version, created, updated FROM secrets;
             DROP TABLE secrets;
             ALTER TABLE s2 RENAME TO secrets;
             CREATE TABLE v2 (name TEXT NOT NULL, version INTEGER NOT NULL, nonce BLOB, ciphertext BLOB,
                 plain TEXT, created TEXT NOT NULL, PRIMARY KEY (name, version)) STRICT, WITHOUT ROWID;
             INSERT INTO v2 SELECT name, version, nonce, ciphertext, plain, created FROM versions;
             DROP TABLE versions;
             ALTER TABLE v2 RENAME TO versions;
             CREATE TABLE d2 (agent TEXT NOT NULL, secret TEXT NOT NULL, version INTEGER NOT NULL,
                 delivered TEXT NOT NULL, PRIMARY KEY (agent, secret)) STRICT, WITHOUT ROWID;
             INSERT INTO d2 SELECT agent, secret, version, delivered FROM deliveries;
             DROP TABLE deliveries;
             ALTER TABLE d2 RENAME TO deliveries;
             ALTER TABLE agents DROP COLUMN env;
             PRAGMA user_version = 2;",
        );
    }
    assert_eq!(e.reveal("OLD_SECRET"), "second-version");
    assert_eq!(e.reveal("OLD_VAR"), "plain-var");
    assert_eq!(
        injected(&e, &["--agent", "bot"], "OLD_SECRET"),
        "second-version"
    );
    let show = json(&e.ok(&["agent", "show", "bot", "--json"]));
    let s = show["receives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["secret"] == "OLD_SECRET")
        .unwrap()
        .clone();
    assert_eq!(s["state"], "synced", "the delivery record came along");
    e.ok(&["rollback", "OLD_SECRET", "--to", "1"]);
    assert_eq!(e.reveal("OLD_SECRET"), "kept-across-upgrade");
    e.vault(&["audit", "verify"]).assert().success();
    // And environments work in the upgraded vault.
    e.ok(&["set", "OLD_SECRET", "production-now", "--env", "production"]);
    assert_eq!(
        injected(&e, &["--agent", "bot", "--env", "production"], "OLD_SECRET"),
        "production-now"
    );
}

#[test]
fn rekey_reseals_every_environments_values() {
    let e = two_environments();
    e.ok(&["set", "DB_URL", "staging-db-value", "--env", "staging"]);
    e.ok(&["rekey"]);
    assert_eq!(e.reveal("DB_URL"), "shared-db-value");
    assert_eq!(
        injected(&e, &["--agent", "pinned-bot"], "DB_URL"),
        "production-db-value"
    );
    assert_eq!(
        injected(&e, &["--env", "staging"], "DB_URL"),
        "staging-db-value"
    );
}

#[test]
fn list_of_an_agent_uses_its_pin_and_the_shared_listing_names_environments() {
    let e = two_environments();
    let o = e.ok(&["list", "--agent", "pinned-bot", "--json"]);
    let db = json(&o)
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "DB_URL")
        .unwrap()
        .clone();
    assert_eq!(db["from"], "production");
    let o = e.ok(&["list"]);
    assert!(stderr(&o).contains("production"), "{}", stderr(&o));
    assert!(!stdout(&o).contains("production"), "{}", stdout(&o));
}

/// `rename` moves the name in every environment (each value resealed under
/// its own environment's binding); a clone gets the original's pin.
#[test]
fn rename_moves_every_environment_and_a_clone_keeps_the_pin() {
    let e = two_environments();
    e.ok(&["set", "DB_URL", "staging-db-value", "--env", "staging"]);
    e.ok(&["rename", "DB_URL", "DATABASE_URL"]);
    assert_eq!(e.reveal("DATABASE_URL"), "shared-db-value");
    assert_eq!(
        injected(&e, &["--env", "staging"], "DATABASE_URL"),
        "staging-db-value"
    );
    assert_eq!(
        injected(&e, &["--agent", "pinned-bot"], "DATABASE_URL"),
        "production-db-value"
    );
    assert_eq!(injected(&e, &["--env", "production"], "DB_URL"), "<unset>");
    let h = json(&e.ok(&["history", "DATABASE_URL", "--env", "production", "--json"]));
    assert_eq!(h["from"], "production");
    // Onto a name that only one environment has: refused.
    e.ok(&["set", "ONLY_PROD", "x-prod-only", "--env", "production"]);
    let o = e
        .vault(&["rename", "DATABASE_URL", "ONLY_PROD"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    // The clone runs where the original does, unless told otherwise.
    e.ok(&["agent", "create", "pinned-2", "--from", "pinned-bot"]);
    assert_eq!(
        injected(&e, &["--agent", "pinned-2"], "DATABASE_URL"),
        "production-db-value"
    );
    let show = json(&e.ok(&["agent", "show", "pinned-2", "--json"]));
    assert_eq!(show["pin"], "production");
    e.ok(&[
        "agent",
        "create",
        "staged",
        "--from",
        "pinned-bot",
        "--env",
        "staging",
    ]);
    assert_eq!(
        injected(&e, &["--agent", "staged"], "DATABASE_URL"),
        "staging-db-value"
    );
    e.vault(&["audit", "verify"]).assert().success();
}
