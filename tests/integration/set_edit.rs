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
