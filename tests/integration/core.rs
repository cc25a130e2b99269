//! Issue 2: the encrypted core — set/get/list/edit/delete, vault creation,
//! unlocking, validation, integrity of stored ciphertexts, concurrency.

use std::io::Write;
use std::process::Stdio;

use crate::util::*;

/// Pipe `input` into `vault args...`.
fn with_stdin(env: &Env, args: &[&str], input: &[u8]) -> std::process::Output {
    env.vault(args)
        .write_stdin(input.to_vec())
        .output()
        .unwrap()
}

#[test]
fn set_then_reveal_gives_back_the_exact_value() {
    let env = Env::new();
    for (name, value) in [
        ("PLAIN_KEY", "sk-abc123"),
        ("SPACES_KEY", "  leading and trailing  "),
        ("UNICODE_KEY", "päss—wörd 🔑"),
        ("MULTI_LINE", "line1\nline2\r\nline3"),
        ("EMPTY_KEY", ""),
    ] {
        env.set(name, value);
        assert_eq!(env.reveal(name), value, "{name}");
    }
}

#[test]
fn reveal_prints_only_the_value_and_a_newline() {
    let env = Env::new();
    env.set("TOKEN", "t0ken-value");
    let out = env.ok(&["get", "TOKEN", "--reveal"]);
    assert_eq!(out.stdout, b"t0ken-value\n");
}

#[test]
fn get_masks_the_value_and_json_has_stable_fields() {
    let env = Env::new();
    env.ok(&["set", "OPENAI_API_KEY", "sk-secret-1", "-d", "model calls"]);
    let out = env.ok(&["get", "OPENAI_API_KEY"]);
    assert!(stdout(&out).contains("••••••••"));
    assert!(!stdout(&out).contains("sk-secret-1"));
    let v = json(&env.ok(&["get", "OPENAI_API_KEY", "--json"]));
    assert_eq!(v["name"], "OPENAI_API_KEY");
    assert_eq!(v["kind"], "secret");
    assert_eq!(v["scope"], "global");
    assert_eq!(v["value"], "••••••••");
    assert_eq!(v["description"], "model calls");
    assert_eq!(v["version"], 1);
    for field in ["created", "updated", "agents", "provider"] {
        assert!(v.get(field).is_some(), "missing {field}");
    }
    let v = json(&env.ok(&["get", "OPENAI_API_KEY", "--reveal", "--json"]));
    assert_eq!(v["value"], "sk-secret-1");
}

#[test]
fn list_masks_secrets_and_shows_variables() {
    let env = Env::new();
    env.set("SECRET_ONE", "hidden-value-1");
    env.ok(&[
        "set",
        "API_BASE_URL",
        "https://api.example.com",
        "--variable",
    ]);
    let out = env.ok(&["list"]);
    let text = stdout(&out);
    assert!(text.contains("https://api.example.com"));
    assert!(!text.contains("hidden-value-1"));
    let v = json(&env.ok(&["list", "--json"]));
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["name"], "API_BASE_URL");
    assert_eq!(items[0]["kind"], "variable");
    assert_eq!(items[0]["value"], "https://api.example.com");
    assert_eq!(items[1]["value"], "••••••••");
}

#[test]
fn list_needs_no_key() {
    let env = Env::new();
    env.set("SECRET_ONE", "hidden-value-1");
    std::fs::remove_file(env.key_file()).unwrap();
    let out = env.ok(&["list", "--json"]);
    assert_eq!(json(&out)[0]["name"], "SECRET_ONE");
    let out = env
        .vault(&["get", "SECRET_ONE", "--reveal"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 5, &["hidden-value-1"]);
}

#[test]
fn stdin_value_has_exactly_one_trailing_newline_stripped() {
    let env = Env::new();
    with_stdin(&env, &["set", "PIPED"], b"a\n\n");
    assert_eq!(env.reveal("PIPED"), "a\n");
    with_stdin(&env, &["set", "PIPED_CRLF"], b"b\r\n");
    assert_eq!(env.reveal("PIPED_CRLF"), "b");
    with_stdin(&env, &["set", "PIPED_RAW"], b"no newline");
    assert_eq!(env.reveal("PIPED_RAW"), "no newline");
}

#[test]
fn update_keeps_description_and_versions_count_changes_only() {
    let env = Env::new();
    env.ok(&["set", "TOKEN", "v1-value", "-d", "first"]);
    env.set("TOKEN", "v2-value");
    let v = json(&env.ok(&["get", "TOKEN", "--json"]));
    assert_eq!(v["description"], "first");
    assert_eq!(v["version"], 2);
    let out = env.ok(&["set", "TOKEN", "v2-value"]);
    assert!(stdout(&out).contains("unchanged"));
    assert_eq!(json(&env.ok(&["get", "TOKEN", "--json"]))["version"], 2);
    env.ok(&["set", "TOKEN", "v3-value", "-d", "second"]);
    let v = json(&env.ok(&["get", "TOKEN", "--json"]));
    assert_eq!(
        (v["version"].as_u64(), v["description"].as_str()),
        (Some(3), Some("second"))
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM versions WHERE name = 'TOKEN'"),
        3
    );
}

#[test]
fn first_write_creates_the_vault_and_says_so_once() {
    let env = Env::new();
    let out = env.ok(&["set", "A_KEY", "value-1"]);
    assert!(stderr(&out).contains("created a vault"), "{}", stderr(&out));
    assert!(env.key_file().exists());
    let out = env.ok(&["set", "B_KEY", "value-2"]);
    assert!(!stderr(&out).contains("created"), "{}", stderr(&out));
}

#[test]
fn init_refuses_an_existing_vault() {
    let env = Env::new();
    env.ok(&["init"]);
    let key = std::fs::read(env.key_file()).unwrap();
    let out = env.vault(&["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(
        std::fs::read(env.key_file()).unwrap(),
        key,
        "key file unchanged"
    );
}

#[test]
fn read_commands_on_a_missing_vault_are_not_found_and_create_nothing() {
    let env = Env::new();
    for args in [
        vec!["list"],
        vec!["get", "X"],
        vec!["export"],
        vec!["agent", "list"],
    ] {
        let out = env.vault(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("vault init"), "{}", stderr(&out));
    }
    assert!(!env.dir().exists());
}

#[test]
fn vault_key_env_unlocks_without_a_key_file() {
    let env = Env::new();
    env.set("TOKEN", "in-the-vault");
    let key = std::fs::read_to_string(env.key_file()).unwrap();
    std::fs::remove_file(env.key_file()).unwrap();
    let out = env
        .vault(&["get", "TOKEN", "--reveal"])
        .env("VAULT_KEY", key.trim())
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "in-the-vault\n");
    let out = env
        .vault(&["get", "TOKEN", "--reveal"])
        .env("VAULT_KEY", "vault-key-v1:not-base64!")
        .output()
        .unwrap();
    assert_code_no_leak(&out, 5, &["in-the-vault"]);
    let out = env.vault(&["get", "TOKEN", "--reveal"]).output().unwrap();
    assert_code_no_leak(&out, 5, &["in-the-vault"]);
}

#[test]
fn vault_key_file_points_elsewhere() {
    let env = Env::new();
    let key = env.root().join("elsewhere.key");
    env.vault(&["set", "TOKEN", "value-x"])
        .env("VAULT_KEY_FILE", &key)
        .assert()
        .success();
    assert!(key.exists() && !env.key_file().exists());
    let out = env
        .vault(&["get", "TOKEN", "--reveal"])
        .env("VAULT_KEY_FILE", &key)
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "value-x\n");
}

#[test]
fn passphrase_file_unlocks_a_passphrase_vault() {
    let env = Env::new();
    let pf = env.root().join("pass");
    std::fs::write(&pf, "correct horse\n").unwrap();
    env.ok(&[
        "init",
        "--passphrase",
        "--passphrase-file",
        pf.to_str().unwrap(),
    ]);
    assert!(
        !env.key_file().exists(),
        "a passphrase vault has no key file"
    );
    env.vault(&["set", "TOKEN", "pp-value"])
        .env("VAULT_PASSPHRASE", "correct horse")
        .assert()
        .success();
    let out = env.ok(&[
        "--passphrase-file",
        pf.to_str().unwrap(),
        "get",
        "TOKEN",
        "--reveal",
    ]);
    assert_eq!(stdout(&out), "pp-value\n");
}

#[test]
fn invalid_names_and_values_are_refused_with_exit_7() {
    let env = Env::new();
    for name in [
        "lowercase",
        "1LEADING",
        "DASH-NAME",
        "DOT.NAME",
        "",
        "LD_PRELOAD",
    ] {
        let out = env.vault(&["set", name, "value-zzz"]).output().unwrap();
        assert_code_no_leak(&out, 7, &["value-zzz"]);
    }
    let long = "A".repeat(129);
    assert_eq!(
        env.vault(&["set", &long, "v"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(7)
    );
    env.set(&"A".repeat(128), "v");
    let out = with_stdin(&env, &["set", "NUL_VALUE"], b"abc\0def");
    assert_code_no_leak(&out, 7, &["abc"]);
    let out = with_stdin(&env, &["set", "BAD_UTF8"], b"\xff\xfe-secretish");
    assert_code_no_leak(&out, 7, &["secretish"]);
    let big = vec![b'x'; 64 * 1024 + 1];
    let out = with_stdin(&env, &["set", "TOO_BIG"], &big);
    assert_eq!(out.status.code(), Some(7));
    assert!(stderr(&out).contains("64 KiB"), "{}", stderr(&out));
    let exact = vec![b'y'; 64 * 1024];
    let out = with_stdin(&env, &["set", "EXACTLY_64K"], &exact);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(env.reveal("EXACTLY_64K").len(), 64 * 1024);
    let out = env.vault(&["list", "--json"]).output().unwrap();
    let names: Vec<String> = json(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(!names
        .iter()
        .any(|n| n == "NUL_VALUE" || n == "TOO_BIG" || n == "BAD_UTF8"));
}

#[test]
fn not_found_suggests_the_near_name() {
    let env = Env::new();
    env.set("OPENAI_API_KEY", "sk-near-1");
    let out = env.vault(&["get", "OPENAI_APIKEY"]).output().unwrap();
    assert_code_no_leak(&out, 3, &["sk-near-1"]);
    assert!(
        stderr(&out).contains("did you mean OPENAI_API_KEY"),
        "{}",
        stderr(&out)
    );
    let out = env
        .vault(&["get", "openai_api_key", "--reveal"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn value_bytes_never_reach_any_vault_file() {
    if crate::util::sqlite_only("reads the bytes of the vault files (the PostgreSQL push test checks the server holds ciphertext)") {
        return;
    }
    let env = Env::new();
    let values = [
        "needle-value-one-9f8e7d",
        "needle-value-two-1a2b3c",
        "needle-rotated-4d5e6f",
    ];
    env.set("FIRST", values[0]);
    env.set("SECOND", values[1]);
    env.set("FIRST", values[2]);
    // While a reader holds the database open the WAL is not checkpointed away.
    let conn = rusqlite::Connection::open(env.db()).unwrap();
    let _: i64 = conn
        .query_row("SELECT COUNT(*) FROM secrets", [], |r| r.get(0))
        .unwrap();
    env.ok(&["set", "THIRD", "needle-while-open-77aa"]);
    let bytes = env.all_vault_bytes();
    for v in values.iter().chain(["needle-while-open-77aa"].iter()) {
        assert!(
            !contains(&bytes, v.as_bytes()),
            "a plaintext value reached a file of the vault dir"
        );
    }
    drop(conn);
}

#[test]
fn swapped_ciphertexts_fail_closed_and_show_neither_value() {
    let env = Env::new();
    env.set("ALPHA", "alpha-secret-1");
    env.set("BRAVO", "bravo-secret-2");
    env.sql(
        "CREATE TEMP TABLE t AS SELECT name, nonce, ciphertext FROM versions;
         UPDATE versions SET nonce = (SELECT nonce FROM t WHERE t.name = 'BRAVO'),
                             ciphertext = (SELECT ciphertext FROM t WHERE t.name = 'BRAVO') WHERE name = 'ALPHA';
         UPDATE versions SET nonce = (SELECT nonce FROM t WHERE t.name = 'ALPHA'),
                             ciphertext = (SELECT ciphertext FROM t WHERE t.name = 'ALPHA') WHERE name = 'BRAVO';",
    );
    for name in ["ALPHA", "BRAVO"] {
        let out = env.vault(&["get", name, "--reveal"]).output().unwrap();
        assert_code_no_leak(&out, 6, &["alpha-secret-1", "bravo-secret-2"]);
    }
}

#[test]
fn older_version_copied_over_the_current_one_fails_closed() {
    let env = Env::new();
    env.set("TOKEN", "old-value-111");
    env.set("TOKEN", "new-value-222");
    env.sql(
        "UPDATE versions SET nonce = (SELECT nonce FROM versions WHERE name = 'TOKEN' AND version = 1),
                             ciphertext = (SELECT ciphertext FROM versions WHERE name = 'TOKEN' AND version = 1)
         WHERE name = 'TOKEN' AND version = 2;",
    );
    let out = env.vault(&["get", "TOKEN", "--reveal"]).output().unwrap();
    assert_code_no_leak(&out, 6, &["old-value-111", "new-value-222"]);
}

#[test]
fn edit_changes_metadata_and_kind_never_the_value() {
    let env = Env::new();
    env.set("SETTING", "https://example.test");
    env.ok(&["edit", "SETTING", "--variable", "--force", "-d", "base url"]);
    let v = json(&env.ok(&["get", "SETTING", "--json"]));
    assert_eq!(
        (v["kind"].as_str(), v["value"].as_str()),
        (Some("variable"), Some("https://example.test"))
    );
    env.ok(&["edit", "SETTING", "--secret"]);
    let v = json(&env.ok(&["get", "SETTING", "--json"]));
    assert_eq!(v["value"], "••••••••");
    assert_eq!(v["description"], "base url");
    assert_eq!(env.reveal("SETTING"), "https://example.test");
    assert!(
        !contains(&env.all_vault_bytes(), b"https://example.test"),
        "no plaintext history left"
    );
    let out = env.vault(&["edit", "MISSING", "-d", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn delete_is_all_or_nothing() {
    let env = Env::new();
    env.set("KEEP_ME", "value-keep");
    let out = env
        .vault(&["delete", "KEEP_ME", "NOT_THERE"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(env.reveal("KEEP_ME"), "value-keep");
    env.ok(&["delete", "KEEP_ME"]);
    assert_eq!(
        env.vault(&["get", "KEEP_ME"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(3)
    );
    assert_eq!(
        env.sql_i64("SELECT COUNT(*) FROM versions"),
        0,
        "versions go with the secret"
    );
}

#[test]
fn vault_dir_flag_works_before_and_after_the_subcommand() {
    if crate::util::sqlite_only("two --vault-dir vaults; on PostgreSQL the URL names the vault") {
        return;
    }
    let env = Env::new();
    let other = env.root().join("other");
    let o = other.to_str().unwrap();
    env.ok(&["--vault-dir", o, "set", "WHERE_KEY", "other-place"]);
    env.ok(&["set", "WHERE_KEY", "default-place"]);
    let out = env.ok(&["get", "WHERE_KEY", "--reveal", "--vault-dir", o]);
    assert_eq!(stdout(&out), "other-place\n");
    assert_eq!(env.reveal("WHERE_KEY"), "default-place");
}

#[test]
fn four_writers_at_once_lose_nothing() {
    let env = Env::new();
    env.set("SEED", "seed-value");
    let children: Vec<_> = (0..4)
        .map(|p| {
            let script = format!(
                "for i in $(seq 1 25); do \"$0\" set W{p}_$i v{p}_$i >/dev/null || exit 1; done"
            );
            env.sh(&script).spawn().unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let v = json(&env.ok(&["list", "--json"]));
    assert_eq!(v.as_array().unwrap().len(), 101);
    assert_eq!(env.reveal("W3_25"), "v3_25");
}

#[test]
fn a_prompt_is_never_needed_when_stdin_is_piped_empty() {
    // An empty piped stdin is an empty value (allowed), not a hang.
    let env = Env::new();
    let mut c = env.std_cmd(VAULT_BIN);
    let mut c = c
        .args(["set", "EMPTY_PIPED"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(b"").unwrap();
    assert!(c.wait().unwrap().success());
    assert_eq!(env.reveal("EMPTY_PIPED"), "");
}

#[test]
fn usage_errors_of_set_never_echo_the_value() {
    let env = Env::new();
    for args in [
        vec!["set", "PEM_KEY", "-----BEGIN-leaky-value"],
        vec!["set", "PEM_KEY", "leaky-value-2", "extra-leaky-3"],
        vec!["set", "PEM_KEY", "--bogus=leaky-value-4"],
        vec!["set", "PEM_KEY", "--leaky-lowercase-words"],
        vec!["set", "PEM_KEY", "--variable=leaky-value-5"],
        vec!["set", "PEM_KEY", "-leaky-short"],
        vec!["set", "PEM_KEY", "-d", "desc", "--bogus"],
        vec!["--vault-dir", "set", "set", "PEM_KEY", "--leaky-6"],
    ] {
        let out = env.vault(&args).output().unwrap();
        assert_code_no_leak(&out, 2, &["leaky", "<hidden>"]);
    }
    // A typo of a real flag is named, with the flag it resembles.
    let out = env
        .vault(&["set", "PEM_KEY", "--descrption", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("did you mean --description?"),
        "{}",
        stderr(&out)
    );
    // `NAME=value` is a name error that never shows the argument.
    let out = env
        .vault(&["set", "PEM_KEY=leaky-value-7"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 7, &["leaky"]);
    assert!(
        stderr(&out).contains("vault set NAME VALUE"),
        "{}",
        stderr(&out)
    );
    // Bytes that are not UTF-8 are a usage error, not a panic that prints them.
    use std::os::unix::ffi::OsStrExt;
    let bad = std::ffi::OsStr::from_bytes(b"leaky\xffvalue");
    for args in [
        vec![
            std::ffi::OsStr::new("set"),
            std::ffi::OsStr::new("PEM_KEY"),
            bad,
        ],
        vec![std::ffi::OsStr::new("get"), bad],
    ] {
        let out = env.cmd().args(&args).output().unwrap();
        assert_code_no_leak(&out, 2, &["leaky", "panicked"]);
    }
    env.ok(&["set", "PEM_KEY", "--", "-----BEGIN-ok"]);
    assert_eq!(env.reveal("PEM_KEY"), "-----BEGIN-ok");
}
