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
    if !env.vault_exists() {
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
fn dry_run_of_a_json_import_reports_what_the_import_then_does() {
    if sqlite_only("compares the bytes of vault.db before and after a dry run") {
        return;
    }
    // See: issue 11: a dry run plans in a read transaction instead of
    // writing (agents, grants, kinds, metadata) and counting on a rollback.
    let env = Env::new();
    env.ok(&["agent", "create", "bot"]);
    env.set("KEEP_ME", "keep-this-value-1");
    env.set("PORT", "8000");
    let doc = br#"{"format":"vault-export","version":1,
      "agents":[{"name":"bot","description":""},{"name":"newbie","description":"n"}],
      "secrets":[
        {"name":"KEEP_ME","value":"keep-this-value-1","description":"now described","agents":["newbie"]},
        {"name":"PORT","value":"8000","kind":"variable"},
        {"name":"OPENAI_KEY","value":"sk-abcdefghijklmnop","scope":"agent","provider":"openai","agents":["bot"]},
        {"name":"FRESH","value":"","kind":"variable"}
      ]}"#;
    let f = write(&env, "doc.json", doc);
    // On PostgreSQL there is no file to compare: count what a write would add.
    let state = || {
        if crate::util::on_postgres() {
            let n = |t: &str| env.sql_i64(&format!("SELECT count(*) FROM {t}"));
            format!(
                "{} {} {} {} {}",
                n("secrets WHERE description <> ''"),
                n("agents"),
                n("grants"),
                n("versions"),
                n("audit")
            )
            .into_bytes()
        } else {
            std::fs::read(env.db()).unwrap()
        }
    };
    let before = state();
    let dry = json(&env.ok(&["import", &f, "--create-agents", "--dry-run", "--json"]));
    assert_eq!(state(), before, "a dry run wrote");
    let real = json(&env.ok(&["import", &f, "--create-agents", "--json"]));
    for field in [
        "added",
        "updated",
        "unchanged",
        "skipped",
        "agents_created",
        "warnings",
    ] {
        assert_eq!(dry[field], real[field], "{field}: {dry} vs {real}");
    }
    assert_eq!(
        real["updated"],
        serde_json::json!(["KEEP_ME", "PORT"]),
        "{real}"
    );
    assert_eq!(
        real["agents_created"],
        serde_json::json!(["newbie"]),
        "{real}"
    );
    // A second dry run sees the import done: nothing left to change.
    let again = json(&env.ok(&["import", &f, "--dry-run", "--json"]));
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 4, "{again}");
}

#[test]
fn dry_run_writes_nothing_and_never_creates_a_vault() {
    let env = Env::new();
    let f = write(&env, "d.env", b"A_ONE=1\nB_TWO=2\n");
    let out = env.ok(&["import", &f, "--dry-run"]);
    assert!(stdout(&out).contains("2 added"), "{}", stdout(&out));
    assert!(!env.vault_exists(), "dry run created a vault");
    env.set("A_ONE", "1");
    let before = (!crate::util::on_postgres()).then(|| std::fs::read(env.db()).unwrap());
    let out = env.ok(&["import", &f, "--dry-run"]);
    assert!(
        stdout(&out).contains("1 added, 0 updated, 1 unchanged"),
        "{}",
        stdout(&out)
    );
    assert_eq!(names(&env), ["A_ONE"]);
    if let Some(before) = before {
        assert_eq!(std::fs::read(env.db()).unwrap(), before);
    }
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
    assert_eq!(v["secrets"][1]["name"], "B_KEY");
    assert_eq!(v["secrets"][1]["value"], "it's \"quoted\"\n$x #y");
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
    let keys: Vec<&str> = v["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["BOT_ONLY", "GLOBAL_ONE"]);
    // Only bot's part of the policy: other agents are not named.
    assert_eq!(
        v["agents"],
        serde_json::json!([{"name": "bot", "description": ""}])
    );
    assert_eq!(v["secrets"][0]["agents"], serde_json::json!(["bot"]));
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

// ------------------------------------------------- issue 17: import limits

#[test]
fn import_of_an_endless_input_stops_at_the_size_limit() {
    // See: issue 17 item 11: `vault import /dev/zero` grew without limit.
    let env = Env::new();
    let out = env.vault(&["import", "/dev/zero"]).output().unwrap();
    assert_code_no_leak(&out, 7, &[]);
    assert!(
        stderr(&out).contains("larger than 64 MiB"),
        "{}",
        stderr(&out)
    );
    assert!(!env.dir().exists(), "a failed import created a vault");
    // An endless stream of valid lines on stdin, from another program.
    let out = env
        .sh("yes 'ENDLESS_KEY=endless-value-7' | \"$0\" import -; echo \"rc=$?\"")
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("rc=7"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(!stderr(&out).contains("endless-value-7"));
    assert!(!env.dir().exists());
}

#[test]
fn many_repeated_keys_import_quickly_with_a_short_warning() {
    // See: issue 17 items 11 and 26: repeats were removed by a scan of every
    // earlier entry (quadratic), and each one warned on its own line.
    let env = Env::new();
    let mut body = String::new();
    for round in 0..2 {
        for i in 0..30_000 {
            body.push_str(&format!("REPEATED_{i:05}=value-{round}-{i}-abcdef\n"));
        }
    }
    let f = write(&env, "rep.env", body.as_bytes());
    let start = std::time::Instant::now();
    let out = env.ok(&["import", &f, "--dry-run", "--json"]);
    assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
    assert_eq!(json(&out)["added"].as_array().unwrap().len(), 30_000);
    let err = stderr(&out);
    assert!(
        err.lines().count() <= 12,
        "{} warning lines",
        err.lines().count()
    );
    assert!(err.contains("and 29990 more repeated keys"), "{err}");
}

#[test]
fn warnings_about_thousands_of_names_are_capped() {
    // See: issue 17 item 26: 20,000 short values were all named on one line.
    let env = Env::new();
    let mut body = String::new();
    for i in 0..20_000 {
        body.push_str(&format!("SHORT_{i:05}=ab\nEMPTY_{i:05}=\n"));
    }
    let f = write(&env, "short.env", body.as_bytes());
    let out = env.ok(&["import", &f, "--dry-run", "--json"]);
    let err = stderr(&out);
    for line in err.lines() {
        assert!(line.len() < 2_000, "a {}-byte warning line", line.len());
    }
    assert!(
        err.contains("SHORT_00009") && !err.contains("SHORT_00010,"),
        "{err}"
    );
    assert!(err.contains("and 19990 more"), "{err}");
    // The full lists are in the JSON summary, for scripts.
    let v = json(&out);
    assert_eq!(v["warnings"]["short"].as_array().unwrap().len(), 20_000);
    assert_eq!(v["warnings"]["empty"].as_array().unwrap().len(), 20_000);
}

#[test]
fn empty_placeholder_values_are_imported_with_a_warning_naming_them() {
    // See: issue 17 item 17: an .env.example's empty values went in silently.
    let env = Env::new();
    let f = write(
        &env,
        ".env.example",
        b"STRIPE_KEY=\nSENTRY_DSN=\"\"\nSMTP_PASSWORD=''\nREAL_TOKEN=tok-3f9a8b7c6d5e\n",
    );
    let out = env.ok(&["import", &f]);
    let err = stderr(&out);
    assert!(
        err.contains("3 values are imported empty (SENTRY_DSN, SMTP_PASSWORD, STRIPE_KEY)"),
        "{err}"
    );
    assert!(err.contains("vault set NAME"), "{err}");
    assert!(
        !err.contains("REAL_TOKEN") && !err.contains("tok-3f9a"),
        "{err}"
    );
    assert_eq!(env.reveal("STRIPE_KEY"), "");
}

#[test]
fn ordinary_config_values_get_a_warning_and_the_command_that_makes_them_variables() {
    if crate::util::sqlite_only(
        "a test value is 127.0.0.1, which the creation notice names as the server's address",
    ) {
        return;
    }
    // See: issue 17 item 15: masking then redacted `false`, `8000`,
    // `postgres`, `latest` and local URLs everywhere in the logs.
    let env = Env::new();
    let f = write(
        &env,
        "app.env",
        b"FEATURE_X=false\nHTTP_PORT=8000\nPG_USER=postgres\nIMAGE_TAG=latest\nBASE_URL=http://127.0.0.1:5000/api\nRUST_LOG=debug\nNODE_ENV=production\nGITHUB_TOKEN=ghp_Zx81kQ0pLm3NvB7cR2tY\nDATABASE_URL=postgres://app:Hx9-pw@localhost/app\n",
    );
    let out = env.ok(&["import", &f]);
    let err = stderr(&out);
    assert!(err.contains("7 secrets hold ordinary text"), "{err}");
    assert!(
        err.contains(
            "\n  vault edit BASE_URL FEATURE_X HTTP_PORT IMAGE_TAG NODE_ENV PG_USER RUST_LOG --variable\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("FEATURE_X: a boolean") && err.contains("HTTP_PORT: a number"),
        "{err}"
    );
    for v in [
        "ghp_Zx81",
        "Hx9-pw",
        "postgres",
        "latest",
        "127.0.0.1",
        "8000",
    ] {
        assert!(!err.contains(v), "stderr shows a value: {v}\n{err}");
    }
    // Stored as asked: never plain text without the user's word.
    let v = json(&env.ok(&["get", "PG_USER", "--json"]));
    assert_eq!(v["kind"], "secret");
    // Imported as variables, nothing to warn about.
    let other = Env::new();
    let out = other.ok(&["import", &f, "--variable"]);
    assert!(!stderr(&out).contains("ordinary"), "{}", stderr(&out));
}

// -------------------------------------------- issue 17: export's audience

#[test]
fn export_says_on_stderr_that_dotenv_and_shell_carry_values_only() {
    // See: issue 17 item 4
    let env = Env::new();
    env.set("SOME_TOKEN", "tok-value-55aa");
    for format in ["dotenv", "shell"] {
        let out = env.ok(&["export", "--format", format]);
        let err = stderr(&out);
        assert!(
            err.contains("names and values only") && err.contains("--format json"),
            "{err}"
        );
        assert!(!err.contains("tok-value-55aa"));
    }
    let out = env.ok(&["export", "--format", "json"]);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let help = stdout(&env.ok(&["export", "--help"]));
    assert!(
        help.contains("values only") && help.contains("vault backup"),
        "{help}"
    );
}

/// Every secret's policy and metadata as `list --json` shows it, without times.
fn policy(env: &Env) -> Vec<serde_json::Value> {
    let mut v = json(&env.ok(&["list", "--json"]));
    for s in v.as_array_mut().unwrap() {
        let o = s.as_object_mut().unwrap();
        for k in ["created", "updated", "policy_verified", "version"] {
            o.remove(k);
        }
    }
    v.as_array().unwrap().clone()
}

#[test]
fn json_export_imports_into_a_fresh_vault_with_the_same_audience() {
    // See: issue 17 item 4: importing an export made agent-only secrets
    // global, variables secrets, and dropped agents, grants, descriptions
    // and providers.
    let env = Env::new();
    env.ok(&["agent", "create", "support-bot", "-d", "answers tickets"]);
    env.ok(&["agent", "create", "idle"]);
    env.ok(&[
        "set",
        "SLACK_TOKEN",
        "xoxb-slack-9f8e",
        "--agent",
        "support-bot",
        "-d",
        "bot's Slack",
    ]);
    env.ok(&[
        "set",
        "OPENAI_API_KEY",
        "sk-openai-7d6c5b",
        "--provider",
        "openai",
        "-d",
        "models",
    ]);
    env.ok(&["set", "PUBLIC_URL", "https://x.example", "--variable"]);
    env.ok(&["set", "UNGRANTED", "lonely-secret-41", "--agent", "idle"]);
    env.ok(&["revoke", "UNGRANTED", "--agent", "idle"]);
    let exported = env.ok(&["export", "--format", "json"]).stdout;
    let other = Env::new();
    let f = write(&other, "all.json", &exported);
    // Missing agents: say which, import nothing, create nothing.
    let out = other.vault(&["import", &f]).output().unwrap();
    assert_code_no_leak(&out, 3, &["xoxb-slack", "sk-openai", "lonely-secret"]);
    assert!(
        stderr(&out).contains("support-bot") && stderr(&out).contains("--create-agents"),
        "{}",
        stderr(&out)
    );
    assert!(!other.dir().exists());
    let out = other.ok(&["import", &f, "--create-agents"]);
    assert!(stdout(&out).contains("4 added"), "{}", stdout(&out));
    assert_eq!(policy(&other), policy(&env));
    for (n, v) in [
        ("SLACK_TOKEN", "xoxb-slack-9f8e"),
        ("OPENAI_API_KEY", "sk-openai-7d6c5b"),
        ("UNGRANTED", "lonely-secret-41"),
    ] {
        assert_eq!(other.reveal(n), v);
    }
    let agents = json(&other.ok(&["agent", "show", "support-bot", "--json"]));
    assert!(agents.to_string().contains("answers tickets"), "{agents}");
    // `--format json` on import, and an existing agent needs no flag.
    let third = Env::new();
    third.ok(&["agent", "create", "support-bot"]);
    let f3 = write(&third, "all.txt", &exported);
    let before = policy(&third);
    let out = third.ok(&[
        "import",
        &f3,
        "--format",
        "json",
        "--dry-run",
        "--create-agents",
    ]);
    assert!(
        stdout(&out).contains("would create agents: idle"),
        "{}",
        stdout(&out)
    );
    assert_eq!(policy(&third), before);
    assert!(stdout(&third.ok(&["agent", "list"]))
        .lines()
        .all(|l| !l.contains("idle")));
    third.ok(&["import", &f3, "--format", "json"]);
    assert_eq!(
        json(&third.ok(&["get", "SLACK_TOKEN", "--json"]))["scope"],
        "agent"
    );
}

#[test]
fn a_json_import_that_cannot_be_read_says_why_without_values() {
    // See: issue 17 item 4: a JSON export could not be imported, and the
    // error did not say why.
    let env = Env::new();
    for (body, why) in [
        (
            r#"{"secrets": [{"name": "A_KEY", "value": "sekrit-one-1", "scpoe": "agent"}]}"#,
            "unknown field \"scpoe\"",
        ),
        (
            r#"{"secrets": [{"name": "A_KEY", "value": 918273645}]}"#,
            "\"value\" must be a string",
        ),
        (
            r#"{"secrets": [{"name": "A_KEY", "value": "sekrit-two-2", "kind": "sekrit-two-2"}]}"#,
            "\"kind\" must be",
        ),
        (
            r#"{"A_KEY": "sekrit-three-3", "B_KEY": ["sekrit-four-4"]}"#,
            "\"B_KEY\": the value must be a string",
        ),
        (r#"{"A_KEY": "sekrit-five-5""#, "invalid JSON"),
        (
            r#"{"format": "vault-export", "version": 9, "secrets": []}"#,
            "version 9",
        ),
    ] {
        let f = write(&env, "bad.json", body.as_bytes());
        let out = env.vault(&["import", &f]).output().unwrap();
        assert_code_no_leak(&out, 7, &["sekrit", "918273645"]);
        assert!(stderr(&out).contains(why), "{body}\n{}", stderr(&out));
        assert!(!env.dir().exists());
    }
    // A plain object of strings imports as values.
    let f = write(
        &env,
        "plain.json",
        br#"{"A_KEY": "value-a", "B_KEY": "value-b"}"#,
    );
    env.ok(&["import", &f]);
    assert_eq!(env.reveal("B_KEY"), "value-b");
}

fn description() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        "model calls",
        "it's \"quoted\" — é 🔑",
        "tab\there",
        "line\nbreak",
    ])
    .prop_map(str::to_owned)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, .. ProptestConfig::default() })]

    /// `export --format json` then `import` into a fresh vault restores names,
    /// values, kind, scope, description, provider and grants.
    #[test]
    fn json_export_then_import_is_the_identity(
        secrets in prop::collection::vec(
            (nasty_value(), any::<bool>(), any::<bool>(), description(), any::<bool>()),
            1..5,
        )
    ) {
        // See: issue 17 item 4
        let env = Env::new();
        env.ok(&["agent", "create", "bot"]);
        for (i, (value, variable, agent_only, desc, tagged)) in secrets.iter().enumerate() {
            let name = format!("V_{i}");
            let mut args = vec!["set", name.as_str(), "-d", desc.as_str()];
            if *variable { args.push("--variable"); }
            if *agent_only { args.extend(["--agent", "bot"]); }
            // One credential per provider: each provider tags one secret at most.
            let providers = ["openai", "anthropic", "openrouter", "venice"];
            if *tagged && i < providers.len() { args.extend(["--provider", providers[i]]); }
            args.extend(["--", value.as_str()]);
            env.ok(&args);
        }
        let exported = env.ok(&["export", "--format", "json"]).stdout;
        let other = Env::new();
        let f = write(&other, "round.json", &exported);
        other.ok(&["import", &f, "--create-agents"]);
        prop_assert_eq!(policy(&other), policy(&env));
        for (i, (value, ..)) in secrets.iter().enumerate() {
            prop_assert_eq!(&other.reveal(&format!("V_{i}")), value);
        }
    }
}

/// Run `vault ARGS` with stdout on a pseudo-terminal this test creates
/// (stderr piped); returns the exit code, what reached the terminal, stderr.
fn export_on_a_terminal(env: &Env, args: &[&str]) -> (Option<i32>, String, String) {
    use std::io::Read;
    let (master, slave) = crate::util::openpty(24, 80);
    let mut reader = std::fs::File::from(master);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        // EIO once the last slave fd closes: the end.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            let _ = tx.send(seen.clone());
        }
    });
    let mut cmd = env.std_cmd(VAULT_BIN);
    cmd.args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::from(slave))
        .stderr(std::process::Stdio::piped());
    let out = cmd.output().unwrap();
    drop(cmd);
    let mut screen = Vec::new();
    while let Ok(s) = rx.recv_timeout(std::time::Duration::from_millis(500)) {
        screen = s;
    }
    (
        out.status.code(),
        String::from_utf8_lossy(&screen).into_owned(),
        stderr(&out),
    )
}

#[test]
fn export_to_a_terminal_needs_reveal() {
    // See: issue 17 item 23: export printed every value to a terminal
    // although `get` needs --reveal.
    let env = Env::new();
    env.set("DEPLOY_TOKEN", "dt-5e4d3c2b1a");
    env.ok(&["set", "REGION", "eu-west-3", "--variable"]);
    for format in ["dotenv", "shell", "json"] {
        let (code, screen, err) = export_on_a_terminal(&env, &["export", "--format", format]);
        assert_eq!(code, Some(2), "{format}: {screen}{err}");
        assert!(
            !screen.contains("dt-5e4d") && !err.contains("dt-5e4d"),
            "{format}"
        );
        assert!(err.contains("--reveal") && err.contains("> FILE"), "{err}");
    }
    let (code, screen, _) = export_on_a_terminal(&env, &["export", "--reveal"]);
    assert_eq!(code, Some(0));
    assert!(screen.contains("DEPLOY_TOKEN=dt-5e4d3c2b1a"), "{screen}");
    // Piped or redirected, as before.
    let out = env.ok(&["export"]);
    assert!(stdout(&out).contains("dt-5e4d3c2b1a"));
}
