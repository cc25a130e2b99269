//! Issue 5: `.env` import (all or nothing, precise errors) and export (values
//! quoted so that import gives back the same bytes).

use proptest::prelude::*;

use crate::util::*;

fn write(env: &Env, name: &str, bytes: &[u8]) -> String {
    let p = env.root().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_owned()
}

fn names(env: &Env) -> Vec<String> {
    if !env.db().exists() {
        return Vec::new();
    }
    json(&env.ok(&["list", "--json"]))
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect()
}

const REAL_WORLD: &str = r#"# Application settings
export NODE_ENV=production
APP_NAME="My App"   # inline comment after quotes
DATABASE_URL=postgres://user:p%40ss@db.example.com:5432/app?sslmode=require
REDIS_URL = redis://localhost:6379/0
EMPTY=
EMPTY_QUOTED=""
SINGLE='literal $HOME and \n stay'
DOUBLE="tab\there\nnewline \"quoted\" back\\slash"
HASH_IN_QUOTES="value # not a comment"
URL_WITH_FRAGMENT=https://example.com/#section
UNQUOTED_COMMENT=abc # dropped
EQUALS_IN_VALUE=a=b=c
UNICODE="päss—wörd 🔑"
DOLLAR=$NOT_EXPANDED ${ALSO_NOT}
JSON_CONFIG='{"key": "value", "n": 1}'
PRIVATE_KEY="-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASC
-----END PRIVATE KEY-----"
"#;

fn expected_real_world() -> Vec<(&'static str, &'static str)> {
    vec![
        ("NODE_ENV", "production"),
        ("APP_NAME", "My App"),
        ("DATABASE_URL", "postgres://user:p%40ss@db.example.com:5432/app?sslmode=require"),
        ("REDIS_URL", "redis://localhost:6379/0"),
        ("EMPTY", ""),
        ("EMPTY_QUOTED", ""),
        ("SINGLE", "literal $HOME and \\n stay"),
        ("DOUBLE", "tab\there\nnewline \"quoted\" back\\slash"),
        ("HASH_IN_QUOTES", "value # not a comment"),
        ("URL_WITH_FRAGMENT", "https://example.com/#section"),
        ("UNQUOTED_COMMENT", "abc"),
        ("EQUALS_IN_VALUE", "a=b=c"),
        ("UNICODE", "päss—wörd 🔑"),
        ("DOLLAR", "$NOT_EXPANDED ${ALSO_NOT}"),
        ("JSON_CONFIG", "{\"key\": \"value\", \"n\": 1}"),
        ("PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"),
    ]
}

#[test]
fn a_real_world_env_file_imports_exactly() {
    let env = Env::new();
    let f = write(&env, ".env", REAL_WORLD.as_bytes());
    let out = env.ok(&["import", &f]);
    assert!(stdout(&out).contains("16 added"), "{}", stdout(&out));
    for (name, value) in expected_real_world() {
        assert_eq!(env.reveal(name), value, "{name}");
    }
}

#[test]
fn crlf_and_bom_files_import_the_same_values() {
    let env = Env::new();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(REAL_WORLD.replace('\n', "\r\n").into_bytes());
    let f = write(&env, "crlf.env", &bytes);
    env.ok(&["import", &f]);
    for (name, value) in expected_real_world() {
        assert_eq!(env.reveal(name), value, "{name}");
    }
}

#[test]
fn import_env_alias_and_stdin() {
    let env = Env::new();
    let f = write(&env, "a.env", b"FROM_FILE=one\n");
    env.ok(&["import-env", &f]);
    env.vault(&["import", "-"])
        .write_stdin("FROM_STDIN=two\n")
        .assert()
        .success();
    assert_eq!(
        (env.reveal("FROM_FILE"), env.reveal("FROM_STDIN")),
        ("one".into(), "two".into())
    );
}

#[test]
fn summary_counts_added_updated_unchanged_skipped() {
    let env = Env::new();
    env.set("KEEP", "same");
    env.set("CHANGE", "old");
    let f = write(&env, "s.env", b"KEEP=same\nCHANGE=new\nFRESH=x\n");
    let v = json(&env.ok(&["import", &f, "--json"]));
    assert_eq!(v["added"], serde_json::json!(["FRESH"]));
    assert_eq!(v["updated"], serde_json::json!(["CHANGE"]));
    assert_eq!(v["unchanged"], serde_json::json!(["KEEP"]));
    assert_eq!(v["skipped"], serde_json::json!([]));
    let f2 = write(&env, "s2.env", b"CHANGE=newer\nOTHER=y\n");
    let out = env.ok(&["import", &f2, "--no-overwrite"]);
    assert!(
        stdout(&out).contains("1 added, 0 updated, 0 unchanged, 1 skipped"),
        "{}",
        stdout(&out)
    );
    assert_eq!(env.reveal("CHANGE"), "new");
}

#[test]
fn dry_run_writes_nothing_and_never_creates_a_vault() {
    let env = Env::new();
    let f = write(&env, "d.env", b"A_ONE=1\nB_TWO=2\n");
    let out = env.ok(&["import", &f, "--dry-run"]);
    assert!(stdout(&out).contains("2 added"), "{}", stdout(&out));
    assert!(!env.dir().exists(), "dry run created a vault");
    env.set("A_ONE", "1");
    let before = std::fs::read(env.db()).unwrap();
    let out = env.ok(&["import", &f, "--dry-run"]);
    assert!(
        stdout(&out).contains("1 added, 0 updated, 1 unchanged"),
        "{}",
        stdout(&out)
    );
    assert_eq!(names(&env), ["A_ONE"]);
    assert_eq!(std::fs::read(env.db()).unwrap(), before);
}

#[test]
fn agent_and_variable_options() {
    let env = Env::new();
    env.ok(&["agent", "create", "bot"]);
    let f = write(&env, "a.env", b"BOT_KEY=k1\nBOT_OTHER=k2\n");
    env.ok(&["import", &f, "--agent", "bot"]);
    let v = json(&env.ok(&["get", "BOT_KEY", "--json"]));
    assert_eq!(
        (v["scope"].as_str(), v["agents"][0].as_str()),
        (Some("agent"), Some("bot"))
    );
    let f = write(&env, "v.env", b"PUBLIC_URL=https://x.example\n");
    env.ok(&["import", &f, "--variable"]);
    assert_eq!(
        json(&env.ok(&["get", "PUBLIC_URL", "--json"]))["value"],
        "https://x.example"
    );
    let out = env
        .vault(&["import", &f, "--agent", "ghost"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn duplicate_keys_last_wins_with_a_warning() {
    let env = Env::new();
    let f = write(&env, "dup.env", b"DUP=first\nOTHER=x\nDUP=second\n");
    let out = env.ok(&["import", &f]);
    assert!(
        stderr(&out).contains(":3: DUP repeats line 1"),
        "{}",
        stderr(&out)
    );
    assert_eq!(env.reveal("DUP"), "second");
}

#[test]
fn bad_lines_are_all_reported_and_nothing_is_imported() {
    let env = Env::new();
    env.set("EXISTING", "untouched");
    // The unterminated quote comes last: a double quote may span lines, so
    // one opened earlier would run to the next quote in the file.
    let body = b"GOOD_BEFORE=ok-value-1\nNO_EQUALS_LINE\nAFTER_QUOTE=\"x\" trailing\ndb.url=postgres://h\nGOOD_AFTER=ok-value-2\nEXISTING=changed\nUNTERMINATED=\"never closed\n";
    let f = write(&env, "bad.env", body);
    let out = env.vault(&["import", &f]).output().unwrap();
    assert_code_no_leak(&out, 7, &["ok-value-1", "ok-value-2", "never closed"]);
    let err = stderr(&out);
    for line in [2, 3, 4, 7] {
        assert!(
            err.contains(&format!("bad.env:{line}:")),
            "line {line} not reported:\n{err}"
        );
    }
    assert!(err.contains("DB_URL") && err.contains("--rename"), "{err}");
    assert_eq!(names(&env), ["EXISTING"]);
    assert_eq!(env.reveal("EXISTING"), "untouched");
}

#[test]
fn rename_maps_lowercase_and_dotted_keys() {
    let env = Env::new();
    let f = write(&env, "r.env", b"db.url=postgres://h\napi-key=k\n");
    env.ok(&["import", &f, "--rename"]);
    assert_eq!(env.reveal("DB_URL"), "postgres://h");
    assert_eq!(env.reveal("API_KEY"), "k");
}

#[test]
fn oversized_nul_and_invalid_utf8_values_are_reported_by_line() {
    let env = Env::new();
    let mut body = b"OK_ONE=1\nBIG=".to_vec();
    body.extend(std::iter::repeat_n(b'x', 64 * 1024 + 1));
    body.extend(b"\nOK_TWO=2\nNUL=a\0b\nBAD=\xff\xfe\n");
    let f = write(&env, "big.env", &body);
    let out = env.vault(&["import", &f]).output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    let err = stderr(&out);
    for line in [2, 4, 5] {
        assert!(
            err.contains(&format!("big.env:{line}:")),
            "line {line}:\n{err}"
        );
    }
    assert!(names(&env).is_empty());
}

#[test]
fn export_formats() {
    let env = Env::new();
    env.set("A_KEY", "plain");
    env.set("B_KEY", "it's \"quoted\"\n$x #y");
    let out = env.ok(&["export"]);
    assert!(
        stdout(&out).starts_with("A_KEY=plain\n"),
        "{}",
        stdout(&out)
    );
    let v = json(&env.ok(&["export", "--format", "json"]));
    assert_eq!(v["B_KEY"], "it's \"quoted\"\n$x #y");
    let out = env.ok(&["export", "--format", "shell"]);
    let f = write(&env, "exports.sh", &out.stdout);
    let shell = env
        .std_cmd("sh")
        .arg("-c")
        .arg(format!(". '{f}'; printf '%s' \"$B_KEY\""))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(shell.stdout).unwrap(),
        "it's \"quoted\"\n$x #y"
    );
}

#[test]
fn export_for_an_agent_is_what_it_would_receive() {
    let env = Env::new();
    env.set("GLOBAL_ONE", "g");
    env.ok(&["agent", "create", "bot"]);
    env.ok(&["agent", "create", "other"]);
    env.ok(&["set", "BOT_ONLY", "b", "--agent", "bot"]);
    env.ok(&["set", "OTHER_ONLY", "o", "--agent", "other"]);
    let v = json(&env.ok(&["export", "--agent", "bot", "--format", "json"]));
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["BOT_ONLY", "GLOBAL_ONE"]);
}

fn nasty_value() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a", "Z", " ", "\t", "\n", "\r", "\r\n", "'", "\"", "#", " #", "$", "${X}", "\\", "\\n",
        "=", "é", "🔑", "`",
    ]);
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// export (dotenv) then import into a fresh vault gives back every value byte for byte.
    #[test]
    fn export_then_import_is_the_identity(values in prop::collection::vec(nasty_value(), 1..6)) {
        let env = Env::new();
        let dotenv: String = values.iter().enumerate().map(|(i, v)| {
            // Feed values through `set` (stdin) so export has real input.
            let name = format!("V_{i}");
            env.ok(&["set", &name, "--", v]);
            name
        }).collect::<Vec<_>>().join(",");
        prop_assert!(!dotenv.is_empty());
        let exported = env.ok(&["export"]).stdout;
        let other = Env::new();
        let f = write(&other, "round.env", &exported);
        other.ok(&["import", &f]);
        for (i, v) in values.iter().enumerate() {
            prop_assert_eq!(&other.reveal(&format!("V_{i}")), v);
        }
    }
}

#[test]
fn kill_9_during_import_is_all_or_nothing() {
    let env = Env::new();
    env.set("PRE_EXISTING", "still-here");
    let mut body = String::new();
    for i in 0..20_000 {
        body.push_str(&format!("BULK_{i:05}=value-{i}\n"));
    }
    let f = write(&env, "bulk.env", body.as_bytes());
    for delay_ms in [5u64, 20, 60] {
        let mut child = env
            .std_cmd(VAULT_BIN)
            .args(["import", &f])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let n = names(&env).len();
        assert!(
            n == 1 || n == 20_001,
            "partial import after kill at {delay_ms} ms: {n} names"
        );
        assert_eq!(env.reveal("PRE_EXISTING"), "still-here");
        if n == 20_001 {
            break;
        }
    }
}

// ------------------------------------------------------- README examples

/// The fenced block that follows `heading` in the README.
fn readme_block(heading: &str) -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let after = &readme[readme.find(heading).expect("heading in README")..];
    let start = after.find("```sh\n").unwrap() + "```sh\n".len();
    let len = after[start..].find("```").unwrap();
    after[start..start + len].to_owned()
}

#[test]
fn readme_completion_install_works_on_a_fresh_home() {
    // See: issue 17 item 25
    let env = Env::new();
    let bin = env.root().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(VAULT_BIN, bin.join("vault")).unwrap();
    let script = readme_block("### Shell completion");
    assert!(!env.root().join("home").exists(), "the home must be fresh");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = env
        .std_cmd("sh")
        .arg("-ec")
        .arg(&script)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{script}\n{}", stderr(&out));
    let home = env.root().join("home");
    for f in [
        ".local/share/bash-completion/completions/vault",
        ".zfunc/_vault",
        ".config/fish/completions/vault.fish",
    ] {
        let len = std::fs::metadata(home.join(f))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(len > 0, "{f} not written by:\n{script}");
    }
}

#[test]
fn readme_and_help_examples_use_python3() {
    // See: issue 17 item 26: many systems have no `python`, only `python3`.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let env = Env::new();
    let mut texts = vec![readme];
    for cmd in [&["--help"][..], &["run", "--help"]] {
        texts.push(stdout(&env.ok(cmd)));
    }
    for t in texts {
        assert!(!t.contains("python "), "{t}");
    }
}

#[test]
fn old_mac_line_endings_import_as_separate_keys() {
    // See: issue 17 item 19: a lone CR between lines swallowed the next lines.
    let env = Env::new();
    let f = write(
        &env,
        "mac.env",
        b"# written on a classic Mac\rDB_PASSWORD=correct-horse-9\rAPI_TOKEN='tok en 42'\r\rLAST_ONE=\"q\"\r",
    );
    let v = json(&env.ok(&["import", &f, "--json"]));
    assert_eq!(
        v["added"],
        serde_json::json!(["API_TOKEN", "DB_PASSWORD", "LAST_ONE"])
    );
    assert_eq!(env.reveal("DB_PASSWORD"), "correct-horse-9");
    assert_eq!(env.reveal("API_TOKEN"), "tok en 42");
    assert_eq!(env.reveal("LAST_ONE"), "q");
    // Bad lines are reported at the line an editor shows.
    let f = write(&env, "bad.env", b"A_OK=1\rnot a line\rB_OK=2\r");
    let out = env.vault(&["import", &f]).output().unwrap();
    assert_code_no_leak(&out, 7, &[]);
    assert!(
        stderr(&out).contains("bad.env:2: expected KEY=VALUE"),
        "{}",
        stderr(&out)
    );
}
