//! The committed completions and man pages must be what the current binary
//! generates; help must teach; usage errors exit 2.

use crate::util::*;

const REGEN: &str = "run `scripts/regen-docs` and commit completions/ and man/";

fn repo(p: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

#[test]
fn committed_completions_are_current() {
    let env = Env::new();
    for (shell, file) in [
        ("bash", "completions/vault.bash"),
        ("zsh", "completions/_vault"),
        ("fish", "completions/vault.fish"),
        ("elvish", "completions/vault.elv"),
        ("powershell", "completions/_vault.ps1"),
    ] {
        let out = env.ok(&["completions", shell]);
        let committed = std::fs::read(repo(file)).unwrap_or_default();
        assert!(out.stdout == committed, "{file} is stale: {REGEN}");
    }
}

#[test]
fn committed_man_pages_are_current() {
    let env = Env::new();
    let dir = env.root().join("man");
    env.ok(&["man", dir.to_str().unwrap()]);
    let mut generated: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    generated.sort();
    let mut committed: Vec<String> = std::fs::read_dir(repo("man"))
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    committed.sort();
    assert_eq!(
        generated, committed,
        "man/ has a different set of pages: {REGEN}"
    );
    for name in &generated {
        let a = std::fs::read(dir.join(name)).unwrap();
        let b = std::fs::read(repo("man").join(name)).unwrap();
        assert!(a == b, "man/{name} is stale: {REGEN}");
    }
    for page in [
        "vault.1",
        "vault-run.1",
        "vault-agent-create.1",
        "vault-import.1",
    ] {
        assert!(generated.iter().any(|g| g == page), "missing {page}");
    }
}

#[test]
fn every_command_help_has_examples() {
    let env = Env::new();
    for cmd in [
        vec!["init"],
        vec!["set"],
        vec!["get"],
        vec!["list"],
        vec!["edit"],
        vec!["delete"],
        vec!["import"],
        vec!["export"],
        vec!["agent", "create"],
        vec!["agent", "show"],
        vec!["grant"],
        vec!["revoke"],
        vec!["providers"],
        vec!["run"],
        vec!["completions"],
    ] {
        let mut args = cmd.clone();
        args.push("--help");
        let out = env.ok(&args);
        let text = stdout(&out);
        assert!(
            text.contains("Example"),
            "`vault {}` --help has no examples",
            cmd.join(" ")
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    let out = env.vault(&["set"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = env.vault(&["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = env.vault(&["edit", "X"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "edit with nothing to change is a usage error"
    );
}

#[test]
fn json_output_has_no_colour_even_with_force() {
    let env = Env::new();
    env.set("A_KEY", "value-1234");
    let out = env
        .vault(&["list", "--json"])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(!stdout(&out).contains('\x1b'));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["name"], "A_KEY");
}

#[test]
fn control_characters_in_descriptions_are_escaped() {
    let env = Env::new();
    env.ok(&["set", "A_KEY", "value-1234", "-d", "evil\x1b[2Jtext\nnext"]);
    let out = env.ok(&["list"]);
    let text = stdout(&out);
    assert!(!text.contains('\x1b'), "raw escape reached the terminal");
    assert!(text.contains("evil\\u{1b}[2Jtext\\nnext"), "{text}");
    let out = env.ok(&["get", "A_KEY"]);
    assert!(!stdout(&out).contains('\x1b'));
}
