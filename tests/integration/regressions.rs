//! Bugs found by reviewing the binary against the contract; each test pins
//! one of them so it cannot come back.

use std::os::unix::ffi::OsStrExt;

use crate::util::*;

fn write(env: &Env, name: &str, text: &[u8]) -> String {
    let p = env.root().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

#[test]
fn a_mistake_on_runs_command_line_is_125_not_a_command_not_found() {
    let env = Env::new();
    env.set("A_TOKEN", "value-1234");
    for args in [
        vec!["run", "--bogus", "--", "true"],
        vec!["run", "--no-mask", "--", "true"],
        vec!["run"],
    ] {
        let out = env.vault(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(125), "{args:?}: {}", stderr(&out));
    }
    // The command's own flags still pass through, with or without `--`.
    let out = env
        .vault(&[
            "run",
            "sh",
            "-c",
            "printf '%s|' \"$@\"",
            "x",
            "-a",
            "--b",
            "--",
            "",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "-a|--b|--||");
}

#[test]
fn only_trims_spaces_and_refuses_an_empty_name() {
    let env = Env::new();
    env.set("A_TOKEN", "value-aaaa");
    env.set("B_TOKEN", "value-bbbb");
    env.set("C_TOKEN", "value-cccc");
    let out = env
        .vault(&[
            "run",
            "--only",
            "A_TOKEN, B_TOKEN",
            "--",
            "sh",
            "-c",
            "echo ${A_TOKEN:+a}${B_TOKEN:+b}${C_TOKEN:+c}",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "ab\n", "{}", stderr(&out));
    // An empty list must not fall back to "everything".
    let out = env
        .vault(&["run", "--only", "", "--", "env"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 125, &["value-"]);
    assert!(stderr(&out).contains("--only"), "{}", stderr(&out));
}

#[test]
fn masked_run_keeps_the_output_of_processes_the_command_left_running() {
    let env = Env::new();
    env.set("BG_TOKEN", "bg-secret-value");
    let marker = env.root().join("survived");
    let script = format!(
        "(sleep 0.3; echo \"late $BG_TOKEN\"; touch '{}') & echo early",
        marker.display()
    );
    let out = env
        .vault(&["run", "--", "sh", "-c", &script])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "early\nlate <redacted:BG_TOKEN>\n");
    assert!(marker.exists(), "the background process died of SIGPIPE");
}

#[test]
fn import_reports_scope_and_kind_changes_and_a_kind_change_is_not_a_new_version() {
    let env = Env::new();
    env.ok(&["agent", "create", "rb"]);
    env.set("GLOB1", "glob1value");
    let file = write(&env, "g.env", b"GLOB1=glob1value\n");
    let dry = json(&env.ok(&["import", &file, "--agent", "rb", "--dry-run", "--json"]));
    assert_eq!(dry["updated"][0], "GLOB1", "{dry}");
    let real = json(&env.ok(&["import", &file, "--agent", "rb", "--json"]));
    assert_eq!(real["updated"][0], "GLOB1", "{real}");
    let got = json(&env.ok(&["get", "GLOB1", "--json"]));
    assert_eq!(got["scope"], "agent");
    // Same value, now as a variable: an update, but not a new version, so an
    // agent that has the value is not told it is stale.
    env.ok(&["run", "--agent", "rb", "--", "true"]);
    let again = json(&env.ok(&["import", &file, "--variable", "--json"]));
    assert_eq!(again["updated"][0], "GLOB1", "{again}");
    let got = json(&env.ok(&["get", "GLOB1", "--json"]));
    assert_eq!(
        (got["kind"].as_str(), got["version"].as_i64()),
        (Some("variable"), Some(1))
    );
    assert_eq!(got["value"], "glob1value");
    let shown = json(&env.ok(&["agent", "show", "rb", "--json"]));
    assert!(shown.to_string().contains("synced"), "{shown}");
    // And back to a secret: the plain text is sealed again.
    env.ok(&["edit", "GLOB1", "--secret"]);
    assert_eq!(env.reveal("GLOB1"), "glob1value");
    assert!(!contains(&env.all_vault_bytes(), b"glob1value"));
    // Importing the same file again changes nothing and says so.
    let same = json(&env.ok(&["import", &file, "--variable", "--agent", "rb", "--json"]));
    assert_eq!(
        same["unchanged"].as_array().map(Vec::len),
        Some(0),
        "{same}"
    );
    let same = json(&env.ok(&["import", &file, "--variable", "--agent", "rb", "--json"]));
    assert_eq!(same["unchanged"][0], "GLOB1", "{same}");
}

#[test]
fn a_failed_import_into_a_missing_vault_creates_nothing() {
    let env = Env::new();
    let file = write(&env, "a.env", b"A_TOKEN=value-1234\n");
    let out = env
        .vault(&["import", &file, "--agent", "nobody"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(!env.vault_exists() && !env.key_file().exists());
    assert!(!stderr(&out).contains("created a vault"));
}

#[test]
fn shell_export_imports_back_byte_for_byte() {
    let env = Env::new();
    let values = [
        "it's",
        "'",
        "''\\''",
        "multi\nline 'quoted'\n",
        "$HOME `id` \"x\" \\ #",
    ];
    for (i, v) in values.iter().enumerate() {
        env.ok(&["set", &format!("V_{i}"), "--", v]);
    }
    let out = env.ok(&["export", "--format", "shell"]);
    let file = write(&env, "s.sh", &out.stdout);
    let other = Env::new();
    other.ok(&["import", &file]);
    for (i, v) in values.iter().enumerate() {
        assert_eq!(other.reveal(&format!("V_{i}")), *v);
    }
}

#[test]
fn import_never_echoes_a_key_that_may_be_part_of_a_value() {
    let env = Env::new();
    // A PEM key pasted without quotes: a base64 line ending in `==` parses as
    // `KEY=` with a mixed-case key; a token line likewise.
    let file = write(
        &env,
        "pem.env",
        b"KEY=-----BEGIN\nSeCrEtZ9abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH==\nsk-ant-SeCrEtZ9-abcdef0123456789=\nkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk=1\n",
    );
    let out = env.vault(&["import", &file]).output().unwrap();
    assert_code_no_leak(&out, 7, &["SeCrEtZ9", "SECRETZ9", "kkkkkkkk"]);
    assert!(stderr(&out).contains("pem.env:2:"), "{}", stderr(&out));
    assert!(stderr(&out).contains("pem.env:4:"), "{}", stderr(&out));
    // Ordinary mistakes are still named, with the fix.
    let file = write(&env, "typo.env", b"db.url=postgres://x\n");
    let out = env.vault(&["import", &file]).output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert!(stderr(&out).contains("DB_URL"), "{}", stderr(&out));
}

#[test]
fn backtick_values_are_refused_not_cut_at_a_hash() {
    let env = Env::new();
    let file = write(&env, "b.env", b"PASS=`p@ss #1`\nOK=1\n");
    let out = env.vault(&["import", &file]).output().unwrap();
    assert_code_no_leak(&out, 7, &["p@ss"]);
    assert!(
        stderr(&out).contains("b.env:1: backtick"),
        "{}",
        stderr(&out)
    );
    assert!(!env.vault_exists());
}

#[test]
fn one_credential_per_provider_counts_global_secrets() {
    let env = Env::new();
    env.ok(&["agent", "create", "bot1"]);
    env.ok(&[
        "set",
        "OAI",
        "sk-aaaa1111",
        "--provider",
        "openai",
        "--agent",
        "bot1",
    ]);
    // A global openai key would reach bot1 as a second one.
    let out = env
        .vault(&["set", "OAI2", "sk-bbbb2222", "--provider", "openai"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 4, &["sk-"]);
    assert!(
        stderr(&out).contains("two openai credentials"),
        "{}",
        stderr(&out)
    );
    assert!(env.vault(&["get", "OAI2"]).output().unwrap().status.code() == Some(3));
    // The other way round: a global one exists, granting another conflicts.
    env.ok(&["set", "ANT", "sk-ant-1111", "--provider", "anthropic"]);
    let out = env
        .vault(&[
            "set",
            "ANT2",
            "sk-ant-2222",
            "--provider",
            "anthropic",
            "--agent",
            "bot1",
        ])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 4, &["sk-"]);
    assert!(stderr(&out).contains("ANT is global"), "{}", stderr(&out));
    // Scoping the global one to other agents resolves it.
    env.ok(&["agent", "create", "bot2"]);
    env.ok(&["grant", "ANT", "--agent", "bot2"]);
    env.ok(&["edit", "ANT", "--agent-only"]);
    env.ok(&[
        "set",
        "ANT2",
        "sk-ant-2222",
        "--provider",
        "anthropic",
        "--agent",
        "bot1",
    ]);
}

#[test]
fn delete_names_every_granted_secret_at_once() {
    let env = Env::new();
    env.ok(&["agent", "create", "ra"]);
    env.ok(&["agent", "create", "rb"]);
    env.ok(&["set", "GSEC", "value-1111", "--agent", "ra"]);
    env.ok(&[
        "set",
        "GVAR",
        "value-2222",
        "--agent",
        "ra",
        "--agent",
        "rb",
    ]);
    let out = env.vault(&["delete", "GSEC", "GVAR"]).output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    let err = stderr(&out);
    assert!(
        err.contains("GSEC is granted to ra") && err.contains("GVAR is granted to ra, rb"),
        "{err}"
    );
    env.ok(&["delete", "GSEC", "GVAR", "--force"]);
}

#[test]
fn unlock_variables_that_are_not_text_are_refused_not_ignored() {
    let env = Env::new();
    env.set("A_TOKEN", "value-1234");
    let bad = std::ffi::OsStr::from_bytes(b"vault-key-v1:\xff");
    for var in ["VAULT_KEY", "VAULT_PASSPHRASE"] {
        let out = env
            .vault(&["get", "A_TOKEN", "--reveal"])
            .env(var, bad)
            .output()
            .unwrap();
        assert_code_no_leak(&out, 5, &["value-1234"]);
        assert!(stderr(&out).contains(var), "{}", stderr(&out));
        // Commands that need no key still work, and say why policy is unverified.
        let out = env.vault(&["list"]).env(var, bad).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(stderr(&out).contains(var), "{}", stderr(&out));
        env.vault(&["providers"]).env(var, bad).assert().success();
    }
}

#[test]
fn a_refused_passphrase_init_leaves_no_directory_behind() {
    let env = Env::new();
    let out = env
        .vault(&["init", "--passphrase"])
        .env("VAULT_PASSPHRASE", "")
        .output()
        .unwrap();
    assert_code_no_leak(&out, 5, &[]);
    assert!(!env.dir().exists(), "an empty vault dir was left behind");
}

#[test]
fn a_secret_swapped_for_plain_text_fails_closed() {
    let env = Env::new();
    env.ok(&["agent", "create", "bot"]);
    env.ok(&["set", "P", "real-secret", "--agent", "bot"]);
    env.set("OTHER", "other-value");
    env.sql("UPDATE versions SET nonce = NULL, ciphertext = NULL, plain = 'attacker-chosen' WHERE name = 'P'");
    let out = env.vault(&["get", "P", "--reveal"]).output().unwrap();
    assert_code_no_leak(&out, 6, &["attacker-chosen", "real-secret"]);
    let marker = env.root().join("started");
    let script = format!("touch '{}'; echo $P", marker.display());
    let out = env
        .vault(&["run", "--agent", "bot", "--", "sh", "-c", &script])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 125, &["attacker-chosen"]);
    assert!(!marker.exists(), "the command started");
    let out = env.vault(&["export"]).output().unwrap();
    assert_code_no_leak(&out, 6, &["attacker-chosen", "other-value"]);
}

#[test]
fn argon2_memory_that_cannot_be_had_is_an_error_not_an_abort() {
    let env = Env::new();
    env.vault(&["init", "--passphrase"])
        .env("VAULT_PASSPHRASE", "pw-long-enough")
        .assert()
        .success();
    env.vault(&["set", "A", "aaaa"])
        .env("VAULT_PASSPHRASE", "pw-long-enough")
        .assert()
        .success();
    // 1 GiB, within the accepted bounds, under a 400 MB address-space limit.
    env.sql("UPDATE slots SET kdf = 'argon2id:m=1048576,t=1,p=4'");
    for args in [vec!["get", "A", "--reveal"], vec!["run", "--", "true"]] {
        let out = env
            .sh(&format!("ulimit -v 400000; exec \"$0\" {}", args.join(" ")))
            .env("VAULT_PASSPHRASE", "pw-long-enough")
            .output()
            .unwrap();
        let want = if args[0] == "run" { 125 } else { 5 };
        assert_code_no_leak(&out, want, &["panicked", "aaaa"]);
        assert!(
            stderr(&out).contains("not enough memory"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn odd_files_in_place_of_the_database_are_named() {
    if crate::util::sqlite_only("a symlink in place of vault.db") {
        return;
    }
    let env = Env::new();
    std::fs::create_dir_all(env.dir()).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", env.db()).unwrap();
    for args in [vec!["list"], vec!["init"], vec!["set", "A", "aaaa"]] {
        let out = env.vault(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("is a symbolic link"),
            "{}",
            stderr(&out)
        );
    }
    std::fs::remove_file(env.db()).unwrap();
    std::fs::create_dir(env.db()).unwrap();
    let out = env.vault(&["list"]).output().unwrap();
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
}

#[test]
fn a_vault_without_key_slots_is_damaged_not_locked() {
    let env = Env::new();
    env.set("A", "aaaa");
    env.sql("DELETE FROM slots");
    let out = env.vault(&["get", "A", "--reveal"]).output().unwrap();
    assert_code_no_leak(&out, 6, &["aaaa"]);
    assert!(stderr(&out).contains("no key slots"), "{}", stderr(&out));
}

#[test]
fn an_empty_vault_dir_variable_counts_as_unset() {
    let env = Env::new();
    let out = env
        .cmd()
        .env("VAULT_DIR", "")
        .args([
            "--vault-dir",
            env.dir().to_str().unwrap(),
            "set",
            "Q",
            "qqqq",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(env.reveal("Q"), "qqqq");
}

#[test]
fn values_typed_where_a_name_goes_are_never_echoed() {
    let env = Env::new();
    env.set("OPENAI_API_KEY", "real-value-1234");
    env.ok(&["agent", "create", "bot"]);
    let hex = "deadbeefc0ffee0123456789abcdef42";
    let tok = "sk-LEAKCANARY-0123456789abcdef";
    let eq = format!("OPENAI_API_KEY={tok}");
    let leaks = [
        hex,
        tok,
        "DEADBEEF",
        "LEAKCANARY",
        "correct horse",
        "hunter2",
        "HUNTER2",
    ];
    for (args, code) in [
        (vec!["set", hex, "OPENAI_API_KEY"], 7),
        (vec!["set", "correct horse battery staple", "X"], 7),
        (vec!["set", "hunter2", "OPENAI_API_KEY"], 7),
        (vec!["get", "OPENAI_API_KEY", tok], 2),
        (vec!["edit", "OPENAI_API_KEY", tok], 2),
        (vec!["get", &eq], 3),
        (vec!["delete", hex], 3),
        (vec!["grant", hex, "--agent", "bot"], 3),
        (vec!["grant", "OPENAI_API_KEY", "--agent", tok], 7),
        (vec!["set", "X", "v", "--provider", tok], 7),
        (vec!["export", "--format", tok], 2),
        (vec!["run", "--only", hex, "--", "true"], 125),
    ] {
        let out = env.vault(&args).output().unwrap();
        assert_code_no_leak(&out, code, &leaks);
    }
    let file = write(&env, "k.env", format!("{hex}=x\n").as_bytes());
    let out = env.vault(&["import", &file]).output().unwrap();
    assert_code_no_leak(&out, 7, &leaks);
}

#[test]
fn a_rotated_global_secret_shows_as_stale_for_the_agents_that_received_it() {
    let env = Env::new();
    env.ok(&["agent", "create", "bot"]);
    env.set("GLOBAL_KEY", "first-value");
    env.ok(&["run", "--agent", "bot", "--", "true"]);
    let state = |env: &Env| {
        let v = json(&env.ok(&["agent", "show", "bot", "--json"]));
        let r = &v["receives"][0];
        (
            r["secret"].as_str().map(str::to_owned),
            r["via"].as_str().map(str::to_owned),
            r["state"].as_str().map(str::to_owned),
        )
    };
    assert_eq!(
        state(&env),
        (
            Some("GLOBAL_KEY".into()),
            Some("global".into()),
            Some("synced".into())
        )
    );
    env.set("GLOBAL_KEY", "second-value");
    assert_eq!(state(&env).2.as_deref(), Some("stale"));
    let out = env.ok(&["agent", "show", "bot"]);
    assert!(stdout(&out).contains("restart it"), "{}", stdout(&out));
}

#[test]
fn quiet_surprises_get_a_word_on_stderr() {
    let env = Env::new();
    env.ok(&["agent", "create", "bot"]);
    // Short secrets from a .env are never masked: say so.
    let file = write(
        &env,
        "c.env",
        b"PORT=80\nDEBUG=1\nAPI_TOKEN=long-enough-value\n",
    );
    let out = env.ok(&["import", &file]);
    let err = stderr(&out);
    assert!(
        err.contains("2 secrets are shorter than 4 bytes") && err.contains("DEBUG, PORT"),
        "{err}"
    );
    // Granting a global secret changes nothing on its own.
    let out = env.ok(&["grant", "API_TOKEN", "--agent", "bot"]);
    assert!(
        stderr(&out).contains("API_TOKEN is global"),
        "{}",
        stderr(&out)
    );
    // Empty stdin over an existing value.
    let out = env
        .vault(&["set", "API_TOKEN"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("stdin was empty"), "{}", stderr(&out));
}

#[test]
fn man_pages_name_the_command_as_typed_and_show_examples() {
    let env = Env::new();
    let dir = env.root().join("man");
    env.ok(&["man", dir.to_str().unwrap()]);
    let page = std::fs::read_to_string(dir.join("vault-agent-create.1")).unwrap();
    assert!(
        page.contains(".SH SYNOPSIS") && page.contains("vault agent create"),
        "{page}"
    );
    assert!(page.contains(".SH EXAMPLE"), "{page}");
    assert!(
        page.contains("\\-\\-vault\\-dir"),
        "global options listed: {page}"
    );
    assert!(!dir.join("vault-help.1").exists());
}
