//! Renames and clones (issue 15, DESIGN §7.5): `vault rename OLD NEW` keeps
//! history, grants and deliveries and reseals every value for the new name;
//! `vault agent create NEW --from OLD` clones an agent's grants. Each test
//! drives the real binary on either engine.

use crate::util::{assert_code_no_leak, json, stderr, stdout, Env};

const V1: &str = "sk-rename-first-1111";
const V2: &str = "sk-rename-second-2222";
const OTHER: &str = "xoxb-other-value-3333";

/// OLD_KEY at versions 1 and 2, agent-only, granted to support-bot, which
/// has received version 2; OTHER_KEY global.
fn granted() -> Env {
    let e = Env::new();
    e.ok(&["agent", "create", "support-bot", "-d", "answers tickets"]);
    e.set("OLD_KEY", V1);
    e.ok(&[
        "set",
        "OLD_KEY",
        V2,
        "-d",
        "model calls",
        "--agent",
        "support-bot",
    ]);
    e.set("OTHER_KEY", OTHER);
    e.ok(&["run", "--agent", "support-bot", "--", "true"]);
    e
}

/// What `vault run --agent A` puts in the child's environment for `names`
/// (unmasked, so the test sees the values): one `NAME=value` line each.
fn received(e: &Env, agent: &str, names: &[&str]) -> String {
    let script: String = names
        .iter()
        .map(|n| format!("echo {n}=${{{n}-unset}}; "))
        .collect();
    stdout(&e.ok(&[
        "run",
        "--agent",
        agent,
        "--no-masking",
        "--",
        "sh",
        "-c",
        &script,
    ]))
}

#[test]
fn rename_keeps_history_grants_and_deliveries_and_the_agent_receives_the_new_name() {
    let e = granted();
    let out = e.ok(&["rename", "OLD_KEY", "NEW_KEY"]);
    assert_code_no_leak(&out, 0, &[V1, V2, OTHER]);
    assert!(stdout(&out).contains("all 2 versions"), "{}", stdout(&out));
    assert!(stdout(&out).contains("support-bot"), "{}", stdout(&out));

    // The agent receives it under the new name only.
    assert_eq!(
        received(&e, "support-bot", &["NEW_KEY", "OLD_KEY"]),
        format!("NEW_KEY={V2}\nOLD_KEY=unset\n")
    );
    // Metadata and every version came along; the old name is gone.
    let doc = json(&e.ok(&["get", "NEW_KEY", "--json"]));
    assert_eq!(doc["scope"], "agent");
    assert_eq!(doc["description"], "model calls");
    assert_eq!(doc["version"], 2);
    let out = e.vault(&["get", "OLD_KEY"]).output().unwrap();
    assert_code_no_leak(&out, 3, &[V1, V2]);
    let h = json(&e.ok(&["history", "NEW_KEY", "--json"]));
    assert_eq!(h["versions"].as_array().unwrap().len(), 2);
    assert_eq!(h["current"], 2);
    // Each old version opens under the new name: a rollback to version 1
    // decrypts it (the rename resealed it, not only the current one).
    e.ok(&["rollback", "NEW_KEY", "--to", "1"]);
    assert_eq!(e.reveal("NEW_KEY"), V1);
    e.ok(&["rollback", "NEW_KEY", "--to", "2"]);
    assert_eq!(e.reveal("NEW_KEY"), V2);
}

#[test]
fn rename_keeps_the_agents_delivery_state_synced() {
    let e = granted();
    let show = json(&e.ok(&["agent", "show", "support-bot", "--json"]));
    let before = show.to_string();
    assert!(before.contains("OLD_KEY"), "{before}");
    e.ok(&["rename", "OLD_KEY", "NEW_KEY"]);
    let show = stdout(&e.ok(&["agent", "show", "support-bot"]));
    let line = show
        .lines()
        .find(|l| l.starts_with("NEW_KEY"))
        .unwrap_or_else(|| panic!("NEW_KEY is listed: {show}"));
    assert!(line.contains("synced"), "{show}");
    assert!(!show.contains("OLD_KEY"), "{show}");
    // And a later change of value makes it stale, as for any grant.
    e.set("NEW_KEY", "sk-rename-third-4444");
    let show = stdout(&e.ok(&["agent", "show", "support-bot"]));
    assert!(show.contains("stale"), "{show}");
}

#[test]
fn a_ciphertext_of_the_old_name_moved_onto_the_new_name_fails_with_integrity() {
    let e = granted();
    // Keep version 2's ciphertext as it was under the old name.
    e.sql(
        "CREATE TABLE saved AS SELECT nonce, ciphertext FROM versions \
         WHERE name = 'OLD_KEY' AND version = 2",
    );
    e.ok(&["rename", "OLD_KEY", "NEW_KEY"]);
    assert_eq!(
        e.sql_i64("SELECT COUNT(*) FROM versions v, saved s WHERE v.ciphertext = s.ciphertext"),
        0,
        "every version was sealed again"
    );
    assert_eq!(e.reveal("NEW_KEY"), V2);
    // Put the old name's ciphertext back under the new name.
    e.sql(
        "UPDATE versions SET nonce = (SELECT nonce FROM saved), ciphertext = (SELECT ciphertext FROM saved) \
         WHERE name = 'NEW_KEY' AND version = 2",
    );
    let out = e.vault(&["get", "NEW_KEY", "--reveal"]).output().unwrap();
    assert_code_no_leak(&out, 6, &[V1, V2]);
    let out = e
        .vault(&["run", "--agent", "support-bot", "--", "echo", "started"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 125, &[V1, V2]);
    assert!(!stdout(&out).contains("started"));
}

#[test]
fn a_ciphertext_of_another_secret_moved_onto_the_renamed_one_fails_with_integrity() {
    let e = granted();
    e.ok(&["rename", "OLD_KEY", "NEW_KEY"]);
    e.sql(
        "UPDATE versions SET \
         nonce = (SELECT nonce FROM versions WHERE name = 'OTHER_KEY' AND version = 1), \
         ciphertext = (SELECT ciphertext FROM versions WHERE name = 'OTHER_KEY' AND version = 1) \
         WHERE name = 'NEW_KEY' AND version = 1",
    );
    let out = e
        .vault(&["rollback", "NEW_KEY", "--to", "1"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 6, &[V1, V2, OTHER]);
    // A damaged version also stops a rename: nothing moves (exit 6).
    let out = e
        .vault(&["rename", "NEW_KEY", "THIRD_KEY"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 6, &[V1, V2, OTHER]);
    assert_eq!(e.reveal("NEW_KEY"), V2);
}

#[test]
fn rename_refuses_a_missing_old_a_taken_new_and_bad_names_and_changes_nothing() {
    let e = granted();
    let out = e.vault(&["rename", "OLD_KY", "NEW_KEY"]).output().unwrap();
    assert_code_no_leak(&out, 3, &[V1, V2]);
    assert!(
        stderr(&out).contains("did you mean OLD_KEY?"),
        "{}",
        stderr(&out)
    );

    let out = e
        .vault(&["rename", "OLD_KEY", "OTHER_KEY"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 4, &[V1, V2, OTHER]);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    let out = e.vault(&["rename", "OLD_KEY", "OLD_KEY"]).output().unwrap();
    assert_code_no_leak(&out, 4, &[V1, V2]);

    for bad in ["new_key", "1KEY", "VAULT_TOKEN", ""] {
        let out = e.vault(&["rename", "OLD_KEY", bad]).output().unwrap();
        assert_code_no_leak(&out, 7, &[V1, V2]);
    }
    // A name that makes interpreters load code needs the same flag as `set`.
    let out = e
        .vault(&["rename", "OLD_KEY", "NODE_OPTIONS"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 7, &[V1, V2]);
    assert!(stderr(&out).contains("--allow-code-loading-name"));

    // Nothing moved.
    assert_eq!(e.reveal("OLD_KEY"), V2);
    assert_eq!(e.reveal("OTHER_KEY"), OTHER);
    let doc = json(&e.ok(&["list", "--json"]));
    let names: Vec<&str> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["OLD_KEY", "OTHER_KEY"]);

    let gone = Env::new();
    let out = gone
        .vault(&["rename", "OLD_KEY", "NEW_KEY"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 3, &[]);
    assert!(!gone.vault_exists(), "no vault is created by a rename");
}

#[test]
fn rename_of_a_variable_keeps_its_text_and_kind() {
    let e = Env::new();
    e.ok(&["set", "API_URL", "https://one.example", "--variable"]);
    e.ok(&["set", "API_URL", "https://two.example"]);
    e.ok(&["rename", "API_URL", "API_BASE_URL"]);
    let doc = json(&e.ok(&["get", "API_BASE_URL", "--json"]));
    assert_eq!(doc["kind"], "variable");
    assert_eq!(doc["value"], "https://two.example");
    let h = json(&e.ok(&["history", "API_BASE_URL", "--json"]));
    assert_eq!(h["versions"][0]["value"], "https://one.example");
}

#[test]
fn rename_is_audited_and_found_under_either_name() {
    let e = granted();
    e.ok(&["rename", "OLD_KEY", "NEW_KEY"]);
    for name in ["OLD_KEY", "NEW_KEY"] {
        let doc = json(&e.ok(&["audit", "--secret", name, "--json"]));
        let renames: Vec<_> = doc
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["action"] == "rename")
            .collect();
        assert_eq!(renames.len(), 1, "{name}: {doc}");
        assert_eq!(renames[0]["subject"]["from"], "OLD_KEY");
        assert_eq!(renames[0]["subject"]["to"], "NEW_KEY");
        assert_eq!(renames[0]["subject"]["versions"], 2);
    }
    let out = e.ok(&["audit", "verify"]);
    assert_code_no_leak(&out, 0, &[V1, V2, OTHER]);
}

#[test]
fn agent_create_from_clones_the_grants_and_the_clone_receives_the_same_secrets() {
    let e = granted();
    e.ok(&[
        "set",
        "SLACK_TOKEN",
        "xoxb-slack-5555",
        "--agent",
        "support-bot",
    ]);
    let out = e.ok(&["agent", "create", "support-bot-2", "--from", "support-bot"]);
    assert_code_no_leak(&out, 0, &[V1, V2, OTHER]);
    let names = ["OLD_KEY", "OTHER_KEY", "SLACK_TOKEN"];
    assert_eq!(
        received(&e, "support-bot-2", &names),
        received(&e, "support-bot", &names)
    );
    assert_eq!(
        received(&e, "support-bot-2", &names),
        format!("OLD_KEY={V2}\nOTHER_KEY={OTHER}\nSLACK_TOKEN=xoxb-slack-5555\n")
    );
    let clone = json(&e.ok(&["agent", "show", "support-bot-2", "--json"]));
    assert_eq!(clone["description"], "answers tickets");
    // Grants are the clone's own: revoking from the original leaves them.
    e.ok(&["revoke", "SLACK_TOKEN", "--agent", "support-bot"]);
    assert!(received(&e, "support-bot-2", &["SLACK_TOKEN"]).contains("xoxb-slack-5555"));
    assert!(received(&e, "support-bot", &["SLACK_TOKEN"]).contains("unset"));

    // -d replaces the description; the grants are still copied.
    e.ok(&[
        "agent",
        "create",
        "canary",
        "--from",
        "support-bot-2",
        "-d",
        "canary",
    ]);
    let canary = json(&e.ok(&["agent", "show", "canary", "--json"]));
    assert_eq!(canary["description"], "canary");
    assert!(received(&e, "canary", &["SLACK_TOKEN"]).contains("xoxb-slack-5555"));
    let doc = json(&e.ok(&["audit", "--agent", "canary", "--json"]));
    assert!(doc
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["action"] == "agent-create" && x["subject"]["from"] == "support-bot-2"));
}

#[test]
fn a_new_clone_shows_its_grants_as_pending() {
    let e = granted();
    e.ok(&["agent", "create", "clone", "--from", "support-bot"]);
    let show = stdout(&e.ok(&["agent", "show", "clone"]));
    let line = show.lines().find(|l| l.starts_with("OLD_KEY")).unwrap();
    assert!(line.contains("pending"), "{show}");
}

#[test]
fn agent_create_from_refuses_an_existing_name_and_a_missing_original() {
    let e = granted();
    e.ok(&["agent", "create", "other"]);
    let plain = e.vault(&["agent", "create", "other"]).output().unwrap();
    assert_code_no_leak(&plain, 4, &[]);
    let out = e
        .vault(&["agent", "create", "other", "--from", "support-bot"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 4, &[V1, V2]);
    assert_eq!(
        stderr(&out),
        stderr(&plain),
        "the same error as agent create"
    );
    // `other` was not given support-bot's grants.
    assert!(received(&e, "other", &["OLD_KEY"]).contains("unset"));

    let out = e
        .vault(&["agent", "create", "fresh", "--from", "suport-bot"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 3, &[]);
    assert!(
        stderr(&out).contains("did you mean support-bot?"),
        "{}",
        stderr(&out)
    );
    let out = e.vault(&["agent", "show", "fresh"]).output().unwrap();
    assert_code_no_leak(&out, 3, &[]);
    let out = e
        .vault(&["agent", "create", "Bad Name", "--from", "support-bot"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 7, &[]);
}
