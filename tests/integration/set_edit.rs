//! `set` and `edit` as a user sees them: which names are refused, what each
//! change says it did, what needs a confirmation, and what is left alone.

use crate::util::*;

fn write(env: &Env, name: &str, text: &str) -> String {
    let p = env.root().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

// See: issue 17 item 12b
#[test]
fn names_vault_reads_for_itself_are_refused_everywhere() {
    let env = Env::new();
    env.set("KEEP", "keep-value-1");
    for name in [
        "VAULT_KEY",
        "VAULT_PASSPHRASE",
        "VAULT_DIR",
        "VAULT_KEY_FILE",
        "VAULT_AGENT_KEY",
        "VAULT_DATABASE_URL",
        "VAULT_ENV",
        "VAULT_SOMETHING_NEW",
    ] {
        let out = env
            .vault(&["set", name, "planted-value-1"])
            .output()
            .unwrap();
        assert_code_no_leak(&out, 7, &["planted-value-1"]);
        assert!(stderr(&out).contains("reserved"), "{}", stderr(&out));
        assert!(stderr(&out).contains("hint:"), "{}", stderr(&out));
        let out = env
            .vault(&["set", name])
            .write_stdin("planted-value-2")
            .output()
            .unwrap();
        assert_code_no_leak(&out, 7, &["planted-value-2"]);
        let f = write(
            &env,
            "in.env",
            &format!("OK_NAME=ok-1\n{name}=planted-value-3\n"),
        );
        let out = env.vault(&["import", &f]).output().unwrap();
        assert_code_no_leak(&out, 7, &["planted-value-3"]);
    }
    // --rename maps vault.dir to VAULT_DIR: refused as well.
    let f = write(&env, "dotted.env", "vault.dir=/tmp/elsewhere\n");
    let out = env.vault(&["import", "--rename", &f]).output().unwrap();
    assert_code_no_leak(&out, 7, &["/tmp/elsewhere"]);
    let names = stdout(&env.ok(&["list", "--json"]));
    assert!(!names.contains("VAULT_"), "{names}");
    assert!(
        !names.contains("OK_NAME"),
        "the import was not all-or-nothing"
    );
    // Names that merely contain VAULT are ordinary.
    env.set("MY_VAULT_TOKEN", "mine-1234");
    assert_eq!(env.reveal("MY_VAULT_TOKEN"), "mine-1234");
}

// See: issue 17 item 26
#[test]
fn a_no_op_set_keeps_the_updated_time() {
    let env = Env::new();
    env.ok(&["set", "API_TOKEN", "same-value-1", "-d", "desc"]);
    let before = json(&env.ok(&["get", "API_TOKEN", "--json"]));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = env.ok(&["set", "API_TOKEN", "same-value-1", "-d", "desc"]);
    assert!(stdout(&out).contains("unchanged"), "{}", stdout(&out));
    let out = env
        .vault(&["set", "API_TOKEN"])
        .write_stdin("same-value-1\n")
        .output()
        .unwrap();
    assert_code_no_leak(&out, 0, &["same-value-1"]);
    let after = json(&env.ok(&["get", "API_TOKEN", "--json"]));
    assert_eq!(before["updated"], after["updated"]);
    assert_eq!(before["version"], after["version"]);
    // A real change does move it.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    env.ok(&["set", "API_TOKEN", "same-value-1", "-d", "new desc"]);
    let changed = json(&env.ok(&["get", "API_TOKEN", "--json"]));
    assert_ne!(before["updated"], changed["updated"]);
    assert_eq!(before["version"], changed["version"]);
}

// See: issue 17 item 26
#[test]
fn did_you_mean_offers_only_plausible_typos() {
    let env = Env::new();
    env.set("API_BASE_URL", "https://api.example.test");
    env.set("GITHUB_TOKEN", "gh-value-1234");
    let out = env.vault(&["get", "DATABASE_URL"]).output().unwrap();
    assert_code_no_leak(&out, 3, &["gh-value-1234"]);
    assert!(!stderr(&out).contains("did you mean"), "{}", stderr(&out));
    let out = env.vault(&["get", "GITHUB_TOKNE"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("did you mean GITHUB_TOKEN?"),
        "{}",
        stderr(&out)
    );
    let out = env.vault(&["get", "github_token"]).output().unwrap();
    assert!(stderr(&out).contains("GITHUB_TOKEN"), "{}", stderr(&out));
}

// See: issue 17 item 16
#[test]
fn set_with_agent_on_a_global_secret_says_it_became_agent_only() {
    let env = Env::new();
    env.ok(&["agent", "create", "bot"]);
    env.set("SHARED_TOKEN", "shared-value-1");
    let out = env
        .vault(&["set", "SHARED_TOKEN", "shared-value-1", "--agent", "bot"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 0, &["shared-value-1"]);
    assert!(
        !stdout(&out).contains("unchanged (same value)"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("global -> agent"), "{}", stdout(&out));
    assert!(stderr(&out).contains("warning:"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--global"), "{}", stderr(&out));
    // Repeating it is now a no-op, and says so.
    let out = env.ok(&["set", "SHARED_TOKEN", "shared-value-1", "--agent", "bot"]);
    assert!(stdout(&out).contains("unchanged"), "{}", stdout(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

// See: issue 17 item 16
#[test]
fn edit_agent_only_without_grants_warns_that_nobody_receives_it() {
    let env = Env::new();
    env.set("LONELY_TOKEN", "lonely-value-1");
    let out = env.ok(&["edit", "LONELY_TOKEN", "--agent-only"]);
    assert!(
        stderr(&out).contains("granted to no agent"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("vault grant LONELY_TOKEN"),
        "{}",
        stderr(&out)
    );
    // With a grant there is someone: no warning.
    env.ok(&["agent", "create", "bot"]);
    env.set("GRANTED_TOKEN", "granted-value-1");
    env.ok(&["grant", "GRANTED_TOKEN", "--agent", "bot"]);
    let out = env.ok(&["edit", "GRANTED_TOKEN", "--agent-only"]);
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
}

// See: issue 17 item 16
#[test]
fn a_secret_never_becomes_plain_text_without_force_when_nobody_can_be_asked() {
    if crate::util::sqlite_only("reads the bytes of the vault files") {
        return;
    }
    let env = Env::new();
    env.ok(&[
        "set",
        "OPENAI_API_KEY",
        "sk-plain-risk-2",
        "--provider",
        "openai",
    ]);
    env.set("OTHER_SECRET", "other-risk-2");
    for args in [
        vec!["edit", "OPENAI_API_KEY", "--variable"],
        vec!["edit", "OTHER_SECRET", "--variable", "-d", "x"],
        vec!["set", "OPENAI_API_KEY", "--variable"],
        vec!["set", "OTHER_SECRET", "other-risk-2", "--variable"],
    ] {
        let out = env
            .vault(&args)
            .write_stdin("sk-plain-risk-2")
            .output()
            .unwrap();
        assert_code_no_leak(&out, 7, &["sk-plain-risk-2", "other-risk-2"]);
        assert!(
            stderr(&out).contains("--force"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains("plain") || stderr(&out).contains("unencrypted"));
    }
    for n in ["OPENAI_API_KEY", "OTHER_SECRET"] {
        let v = json(&env.ok(&["get", n, "--json"]));
        assert_eq!(
            (v["kind"].as_str(), v["value"].as_str()),
            (Some("secret"), Some("••••••••"))
        );
    }
    let mut all = env.all_vault_bytes();
    assert!(!contains(&all, b"sk-plain-risk-2"), "plaintext on disk");
    env.ok(&["edit", "OPENAI_API_KEY", "--variable", "--force"]);
    all = env.all_vault_bytes();
    assert!(contains(&all, b"sk-plain-risk-2"), "--force converts");
    // A variable stays a variable without a question.
    env.ok(&["set", "OPENAI_API_KEY", "sk-plain-risk-3", "--variable"]);
}

// See: issue 17 item 15
#[test]
fn edit_takes_several_names_all_or_nothing() {
    let env = Env::new();
    for n in ["A_URL", "B_URL", "C_URL"] {
        env.ok(&["set", n, "https://x.test", "--variable"]);
    }
    let out = env
        .vault(&["edit", "A_URL", "B_URL", "MISSING_URL", "-d", "shared"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("MISSING_URL"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing was changed"),
        "{}",
        stderr(&out)
    );
    let v = json(&env.ok(&["get", "A_URL", "--json"]));
    assert_eq!(v["description"], "");
    let out = env.ok(&[
        "edit", "A_URL", "B_URL", "C_URL", "--secret", "-d", "shared",
    ]);
    for n in ["A_URL", "B_URL", "C_URL"] {
        assert!(stdout(&out).contains(&format!("{n}: metadata updated")));
        let v = json(&env.ok(&["get", n, "--json"]));
        assert_eq!(
            (v["kind"].as_str(), v["description"].as_str()),
            (Some("secret"), Some("shared"))
        );
    }
    // Several secrets to plain text: one refusal naming --force, none changed.
    let out = env
        .vault(&["edit", "A_URL", "B_URL", "--variable"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 7, &["https://x.test"]);
    let out = env.ok(&["edit", "A_URL", "B_URL", "--variable", "--force"]);
    assert!(
        stdout(&out).contains("B_URL: metadata updated"),
        "{}",
        stdout(&out)
    );
}

// See: issue 17 item 17
#[test]
fn creating_a_secret_with_an_empty_value_warns() {
    let env = Env::new();
    let out = env.vault(&["set", "EMPTY_ARG", ""]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("empty value"), "{}", stderr(&out));
    let out = env
        .vault(&["set", "EMPTY_STDIN"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("empty value"), "{}", stderr(&out));
    let out = env.ok(&["set", "FULL", "a-real-value"]);
    assert!(!stderr(&out).contains("empty"), "{}", stderr(&out));
}

// See: issue 17 item 22
#[test]
fn a_weak_new_passphrase_is_refused() {
    for weak in ["abc", "1234567", "aaaaaaaaaaaa", "abababab"] {
        let env = Env::new();
        let out = env
            .vault(&["init", "--passphrase"])
            .env("VAULT_PASSPHRASE", weak)
            .output()
            .unwrap();
        assert_code_no_leak(&out, 7, &[weak]);
        assert!(stderr(&out).contains("at least 8"), "{}", stderr(&out));
        assert!(!env.dir().exists(), "{weak}: something was created");
        let pf = env.root().join("pass");
        std::fs::write(&pf, format!("{weak}\n")).unwrap();
        let out = env
            .vault(&[
                "--passphrase-file",
                pf.to_str().unwrap(),
                "init",
                "--passphrase",
            ])
            .output()
            .unwrap();
        assert_code_no_leak(&out, 7, &[weak]);
    }
    let env = Env::new();
    let out = env
        .vault(&["init", "--passphrase"])
        .env("VAULT_PASSPHRASE", "tr0ub4dor")
        .output()
        .unwrap();
    assert_code_no_leak(&out, 0, &["tr0ub4dor"]);
    assert!(stderr(&out).contains("warning"), "{}", stderr(&out));
    let env = Env::new();
    let out = env
        .vault(&["init", "--passphrase"])
        .env("VAULT_PASSPHRASE", "correct horse battery staple")
        .output()
        .unwrap();
    assert!(
        out.status.success() && stderr(&out).is_empty(),
        "{}",
        stderr(&out)
    );
}

// See: issue 17 item 13
#[test]
fn set_help_warns_that_a_value_argument_lands_in_shell_history() {
    let env = Env::new();
    let out = env.ok(&["set", "--help"]);
    let help = stdout(&out);
    assert!(help.contains("history"), "{help}");
    assert!(help.contains("stdin"), "{help}");
    assert!(help.contains("prompt"), "{help}");
    let out = env.ok(&["set", "-h"]);
    assert!(stdout(&out).contains("history"), "{}", stdout(&out));
}
