//! What users reach for in their first week (issue 15): version history and
//! rollback, backups taken while others write, key slots, passphrase change
//! and rekey. Each test drives the real binary and asserts exact exit codes
//! and that no secret value shows where it must not.

use std::io::BufRead;
use std::os::unix::fs::PermissionsExt;

use crate::util::{assert_code_no_leak, json, stderr, stdout, Env};

const V1: &str = "sk-first-value-1111";
const V2: &str = "sk-second-value-2222";

/// A vault with OPENAI_API_KEY at versions 1 and 2, and a variable at 1 and 2.
fn versioned() -> Env {
    let e = Env::new();
    e.set("OPENAI_API_KEY", V1);
    e.set("OPENAI_API_KEY", V2);
    e.ok(&["set", "API_URL", "https://one.example", "--variable"]);
    e.ok(&["set", "API_URL", "https://two.example"]);
    e
}

#[test]
fn history_masks_secret_values_shows_variables_and_marks_the_current_version() {
    let e = versioned();
    let out = e.ok(&["history", "OPENAI_API_KEY"]);
    assert_code_no_leak(&out, 0, &[V1, V2]);
    let text = stdout(&out);
    assert!(text.contains("••••••••"), "{text}");
    assert!(text.contains("2 (current)"), "{text}");
    assert_eq!(text.lines().count(), 3, "header and two versions: {text}");

    let out = e.ok(&["history", "OPENAI_API_KEY", "--json"]);
    assert_code_no_leak(&out, 0, &[V1, V2]);
    let doc = json(&out);
    assert_eq!(doc["current"], 2);
    let versions = doc["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["version"], 1);
    assert_eq!(versions[0]["current"], false);
    assert_eq!(versions[1]["current"], true);
    assert!(versions[0]["created"].as_str().unwrap().ends_with('Z'));
    assert_eq!(versions[0]["by"], serde_json::Value::Null);

    let doc = json(&e.ok(&["history", "API_URL", "--json"]));
    assert_eq!(doc["versions"][0]["value"], "https://one.example");
    assert_eq!(doc["versions"][1]["value"], "https://two.example");
}

#[test]
fn history_of_an_unknown_secret_is_not_found() {
    let e = versioned();
    let out = e.vault(&["history", "OPENAI_API_KY"]).output().unwrap();
    assert_code_no_leak(&out, 3, &[V1, V2]);
    assert!(stderr(&out).contains("did you mean OPENAI_API_KEY?"));
}

#[test]
fn rollback_makes_version_n_current_as_a_new_version_and_the_agent_goes_stale() {
    let e = versioned();
    e.ok(&["agent", "create", "support-bot"]);
    e.ok(&["grant", "OPENAI_API_KEY", "--agent", "support-bot"]);
    e.ok(&["run", "--agent", "support-bot", "--", "true"]);
    let show = stdout(&e.ok(&["agent", "show", "support-bot"]));
    assert!(show.contains("synced"), "{show}");

    let out = e.ok(&["rollback", "OPENAI_API_KEY", "--to", "1"]);
    assert_code_no_leak(&out, 0, &[V1, V2]);
    assert!(stdout(&out).contains("version 3"));
    assert_eq!(e.reveal("OPENAI_API_KEY"), V1);
    // History is kept: three versions, the third current.
    let doc = json(&e.ok(&["history", "OPENAI_API_KEY", "--json"]));
    assert_eq!(doc["versions"].as_array().unwrap().len(), 3);
    assert_eq!(doc["current"], 3);
    let show = stdout(&e.ok(&["agent", "show", "support-bot"]));
    assert!(show.contains("stale"), "{show}");
    // The new version is sealed under its own binding: moving version 1's
    // ciphertext onto it would fail, and it decrypts by itself.
    e.ok(&["rollback", "OPENAI_API_KEY", "--to", "2"]);
    assert_eq!(e.reveal("OPENAI_API_KEY"), V2);
}

#[test]
fn rollback_of_a_variable_restores_its_text() {
    let e = versioned();
    e.ok(&["rollback", "API_URL", "--to", "1"]);
    let doc = json(&e.ok(&["get", "API_URL", "--json"]));
    assert_eq!(doc["value"], "https://one.example");
    assert_eq!(doc["version"], 3);
    assert_eq!(doc["kind"], "variable");
}

#[test]
fn rollback_to_a_version_that_does_not_exist_is_exit_3_naming_the_versions() {
    let e = versioned();
    let out = e
        .vault(&["rollback", "OPENAI_API_KEY", "--to", "7"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 3, &[V1, V2]);
    assert!(stderr(&out).contains("versions: 1, 2"), "{}", stderr(&out));
    let out = e
        .vault(&["rollback", "NOPE", "--to", "1"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 3, &[V1, V2]);
    assert_eq!(e.reveal("OPENAI_API_KEY"), V2);
}

#[test]
fn rollback_of_a_tampered_old_version_fails_with_integrity() {
    let e = versioned();
    // Version 1's ciphertext replaced by version 2's: bound to another version.
    e.sql(
        "UPDATE versions SET nonce = (SELECT nonce FROM versions WHERE name = 'OPENAI_API_KEY' AND version = 2), \
         ciphertext = (SELECT ciphertext FROM versions WHERE name = 'OPENAI_API_KEY' AND version = 2) \
         WHERE name = 'OPENAI_API_KEY' AND version = 1",
    );
    let out = e
        .vault(&["rollback", "OPENAI_API_KEY", "--to", "1"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 6, &[V1, V2]);
}

/// Restore `backup` as DIR/vault.db beside the vault's key file; returns DIR.
fn restore(e: &Env, backup: &std::path::Path) -> std::path::PathBuf {
    let dir = e.root().join("restored");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::copy(backup, dir.join("vault.db")).unwrap();
    std::fs::copy(e.key_file(), dir.join("vault.key")).unwrap();
    dir
}

#[test]
fn backup_is_private_never_overwrites_and_opens_with_vault_dir() {
    if crate::util::sqlite_only("vault backup copies a SQLite file (PostgreSQL: pg_dump)") {
        return;
    }
    let e = versioned();
    let file = e.root().join("vault-backup.db");
    let out = e.ok(&["backup", file.to_str().unwrap()]);
    assert_code_no_leak(&out, 0, &[V1, V2]);
    assert!(stdout(&out).contains("DIR/vault.db"));
    assert!(stderr(&out).contains("NOT in the backup"));
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(!crate::util::contains(
        &std::fs::read(&file).unwrap(),
        V2.as_bytes()
    ));

    let before = std::fs::read(&file).unwrap();
    let out = e
        .vault(&["backup", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 4, &[V1, V2]);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "an existing file is never touched"
    );

    let dir = restore(&e, &file);
    let out = e
        .vault(&[
            "--vault-dir",
            dir.to_str().unwrap(),
            "get",
            "OPENAI_API_KEY",
            "--reveal",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), format!("{V2}\n"), "{}", stderr(&out));
    let doc = json(
        &e.vault(&[
            "--vault-dir",
            dir.to_str().unwrap(),
            "history",
            "OPENAI_API_KEY",
            "--json",
        ])
        .output()
        .unwrap(),
    );
    assert_eq!(
        doc["versions"].as_array().unwrap().len(),
        2,
        "history is in the backup"
    );
}

#[test]
fn backup_without_a_vault_is_not_found() {
    let e = Env::new();
    let out = e.vault(&["backup", "b.db"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(!e.root().join("b.db").exists());
}

/// The issue's acceptance test: a backup taken while 4 processes write holds
/// every write that was acknowledged before the backup started.
#[test]
fn backup_during_four_concurrent_writers_holds_every_acknowledged_write() {
    if crate::util::sqlite_only("vault backup copies a SQLite file (PostgreSQL: pg_dump)") {
        return;
    }
    let e = Env::new();
    e.ok(&["init"]);
    let acks = e.root().join("acks");
    let mut writers = Vec::new();
    for w in 0..4 {
        // An acknowledgement line only after `vault set` exited 0.
        let script = format!(
            "i=0; while [ $i -lt 40 ]; do i=$((i+1)); \"$0\" set W{w}_$i value-{w}-$i >/dev/null 2>&1 && echo W{w}_$i >> '{}'; done",
            acks.display()
        );
        writers.push(e.sh(&script).spawn().unwrap());
    }
    // Let some writes land, then take what is acknowledged now and back up.
    let t0 = std::time::Instant::now();
    while std::fs::read_to_string(&acks)
        .map(|s| s.lines().count())
        .unwrap_or(0)
        < 20
    {
        assert!(t0.elapsed().as_secs() < 60, "writers made no progress");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let acknowledged: Vec<String> = std::io::BufReader::new(std::fs::File::open(&acks).unwrap())
        .lines()
        .map(|l| l.unwrap())
        .collect();
    let file = e.root().join("during.db");
    let out = e.ok(&["backup", file.to_str().unwrap()]);
    for mut w in writers {
        assert!(w.wait().unwrap().success());
    }
    assert!(out.status.success());
    let total = std::fs::read_to_string(&acks).unwrap().lines().count();
    assert_eq!(total, 160, "every writer's every set was acknowledged");

    let dir = restore(&e, &file);
    let out = e
        .vault(&[
            "--vault-dir",
            dir.to_str().unwrap(),
            "export",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc = json(&out);
    let restored: std::collections::HashMap<String, String> = doc["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(acknowledged.len() >= 20);
    for name in &acknowledged {
        let (w, i) = name[1..].split_once('_').unwrap();
        assert_eq!(
            restored.get(name).map(String::as_str),
            Some(format!("value-{w}-{i}").as_str()),
            "{name} was acknowledged before the backup started but is not in it"
        );
    }
}

fn secret_vault() -> Env {
    let e = Env::new();
    e.set("OPENAI_API_KEY", V1);
    e
}

#[test]
fn keys_list_shows_slots_without_key_material() {
    let e = secret_vault();
    let key = std::fs::read_to_string(e.key_file()).unwrap();
    let b64 = key.trim().trim_start_matches("vault-key-v1:");
    let out = e.ok(&["keys", "list", "--json"]);
    assert_code_no_leak(&out, 0, &[b64, V1]);
    let doc = json(&out);
    assert_eq!(doc.as_array().unwrap().len(), 1);
    assert_eq!(doc[0]["kind"], "keyfile");
    let out = e.ok(&["keys", "list"]);
    assert_code_no_leak(&out, 0, &[b64, V1]);
}

#[test]
fn keys_add_key_file_writes_a_private_new_key_that_unlocks_and_never_overwrites() {
    let e = secret_vault();
    let spare = e.root().join("spare.key");
    let out = e.ok(&["keys", "add", "--key-file", spare.to_str().unwrap()]);
    assert_code_no_leak(&out, 0, &[V1]);
    let mode = std::fs::metadata(&spare).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let out = e
        .vault(&["get", "OPENAI_API_KEY", "--reveal"])
        .env("VAULT_KEY_FILE", &spare)
        .output()
        .unwrap();
    assert_eq!(stdout(&out), format!("{V1}\n"));
    // An existing file is refused and the vault gets no slot.
    let out = e
        .vault(&["keys", "add", "--key-file", spare.to_str().unwrap()])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 4, &[V1]);
    assert_eq!(
        json(&e.ok(&["keys", "list", "--json"]))
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn keys_remove_refuses_the_last_slot_and_unknown_ids() {
    let e = secret_vault();
    let out = e.vault(&["keys", "remove", "1"]).output().unwrap();
    assert_code_no_leak(&out, 4, &[V1]);
    assert!(stderr(&out).contains("last key slot"));
    let out = e.vault(&["keys", "remove", "9"]).output().unwrap();
    assert_code_no_leak(&out, 3, &[V1]);

    let spare = e.root().join("spare.key");
    e.ok(&["keys", "add", "--key-file", spare.to_str().unwrap()]);
    // Removing the slot used to unlock is allowed while another remains, and said.
    let out = e.ok(&["keys", "remove", "1"]);
    assert!(
        stderr(&out).contains("you unlocked with slot 1"),
        "{}",
        stderr(&out)
    );
    let out = e
        .vault(&["get", "OPENAI_API_KEY", "--reveal"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 5, &[V1]);
    let out = e
        .vault(&["get", "OPENAI_API_KEY", "--reveal"])
        .env("VAULT_KEY_FILE", &spare)
        .output()
        .unwrap();
    assert_eq!(stdout(&out), format!("{V1}\n"));
}

#[test]
fn keys_add_passphrase_then_passwd_changes_it() {
    let e = secret_vault();
    let out = e
        .vault(&["keys", "add", "--passphrase"])
        .env("VAULT_PASSPHRASE", "first horse battery")
        .output()
        .unwrap();
    assert_code_no_leak(&out, 0, &[V1, "first horse battery"]);
    std::fs::rename(e.key_file(), e.root().join("away.key")).unwrap();
    let reveal = |pass: &str| {
        e.vault(&["get", "OPENAI_API_KEY", "--reveal"])
            .env("VAULT_PASSPHRASE", pass)
            .output()
            .unwrap()
    };
    assert_eq!(stdout(&reveal("first horse battery")), format!("{V1}\n"));

    let new = e.root().join("new-pass");
    std::fs::write(&new, "second staple\n").unwrap();
    let out = e
        .vault(&["passwd", "--new-passphrase-file", new.to_str().unwrap()])
        .env("VAULT_PASSPHRASE", "first horse battery")
        .output()
        .unwrap();
    assert_code_no_leak(&out, 0, &[V1, "first horse battery", "second staple"]);
    assert_code_no_leak(&reveal("first horse battery"), 5, &[V1]);
    assert_eq!(stdout(&reveal("second staple")), format!("{V1}\n"));
    let slots = json(&e.ok(&["keys", "list", "--json"]));
    assert_eq!(
        slots.as_array().unwrap().len(),
        2,
        "one slot replaced, not added"
    );
}

#[test]
fn passwd_on_a_key_file_vault_is_not_found() {
    let e = secret_vault();
    let out = e.vault(&["passwd"]).write_stdin("").output().unwrap();
    assert_code_no_leak(&out, 3, &[V1]);
    assert!(stderr(&out).contains("keys add --passphrase"));
}

#[test]
fn rekey_makes_old_key_files_and_old_vault_key_fail_with_5_and_keeps_values() {
    let e = versioned();
    let old_key = std::fs::read_to_string(e.key_file()).unwrap();
    let copy = e.root().join("old-copy.key");
    std::fs::copy(e.key_file(), &copy).unwrap();
    let out = e.ok(&["rekey"]);
    assert_code_no_leak(&out, 0, &[V1, V2]);
    assert_ne!(std::fs::read_to_string(e.key_file()).unwrap(), old_key);
    let mode = std::fs::metadata(e.key_file())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(e.reveal("OPENAI_API_KEY"), V2);
    e.ok(&["rollback", "OPENAI_API_KEY", "--to", "1"]);
    assert_eq!(
        e.reveal("OPENAI_API_KEY"),
        V1,
        "old versions were resealed too"
    );

    let out = e
        .vault(&["get", "OPENAI_API_KEY", "--reveal"])
        .env("VAULT_KEY_FILE", &copy)
        .output()
        .unwrap();
    assert_code_no_leak(&out, 5, &[V1, V2]);
    let out = e
        .vault(&["get", "OPENAI_API_KEY", "--reveal"])
        .env("VAULT_KEY", old_key.trim())
        .output()
        .unwrap();
    assert_code_no_leak(&out, 5, &[V1, V2]);
    assert!(!e.dir().join("vault.key.new").exists());
}

#[test]
fn rekey_keeps_a_passphrase_slot_with_its_passphrase() {
    let e = secret_vault();
    e.vault(&["keys", "add", "--passphrase"])
        .env("VAULT_PASSPHRASE", "correct pass")
        .assert()
        .success();
    let out = e
        .vault(&["rekey"])
        .env("VAULT_PASSPHRASE", "correct pass")
        .output()
        .unwrap();
    assert_code_no_leak(&out, 0, &[V1, "correct pass"]);
    std::fs::remove_file(e.key_file()).unwrap();
    let out = e
        .vault(&["get", "OPENAI_API_KEY", "--reveal"])
        .env("VAULT_PASSPHRASE", "correct pass")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), format!("{V1}\n"), "{}", stderr(&out));
}

#[test]
fn rekey_refuses_a_slot_whose_key_is_not_at_hand_and_changes_nothing() {
    let e = secret_vault();
    e.vault(&["keys", "add", "--passphrase"])
        .env("VAULT_PASSPHRASE", "only known to someone else")
        .assert()
        .success();
    let key = std::fs::read(e.key_file()).unwrap();
    let out = e.vault(&["rekey"]).write_stdin("").output().unwrap();
    assert_code_no_leak(&out, 5, &[V1]);
    assert!(stderr(&out).contains("keys remove 2"), "{}", stderr(&out));
    assert_eq!(std::fs::read(e.key_file()).unwrap(), key);
    assert!(!e.dir().join("vault.key.new").exists());
    assert_eq!(e.reveal("OPENAI_API_KEY"), V1);

    let spare = e.root().join("spare.key");
    e.ok(&["keys", "remove", "2"]);
    e.ok(&["keys", "add", "--key-file", spare.to_str().unwrap()]);
    let out = e.vault(&["rekey"]).output().unwrap();
    assert_code_no_leak(&out, 4, &[V1]);
    assert_eq!(e.reveal("OPENAI_API_KEY"), V1);
}

/// A crash after rekey's commit but before the rename: vault.key is the old
/// key, vault.key.new the new one. Unlocking finishes the rename.
#[test]
fn an_interrupted_rekey_rename_is_finished_on_the_next_unlock() {
    let e = secret_vault();
    let old = std::fs::read(e.key_file()).unwrap();
    e.ok(&["rekey"]);
    let pending = e.dir().join("vault.key.new");
    std::fs::rename(e.key_file(), &pending).unwrap();
    std::fs::write(e.key_file(), &old).unwrap();
    std::fs::set_permissions(e.key_file(), std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = e.ok(&["get", "OPENAI_API_KEY", "--reveal"]);
    assert_eq!(stdout(&out), format!("{V1}\n"));
    assert!(
        stderr(&out).contains("interrupted `vault rekey`"),
        "{}",
        stderr(&out)
    );
    assert!(!pending.exists());
    assert_ne!(std::fs::read(e.key_file()).unwrap(), old);
    assert_eq!(e.reveal("OPENAI_API_KEY"), V1);
}

/// Complete the command line `words` (the last word is being completed)
/// with the committed bash script, in the test's vault; the offered words.
fn bash_complete(e: &Env, words: &[&str]) -> Vec<String> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/vault.bash");
    let bin_dir = std::path::Path::new(crate::util::VAULT_BIN)
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let driver = r#"source "$1"; shift
complete -p vault | grep -q -- '-F _vault_names' || { echo "not registered" >&2; exit 9; }
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
_vault_names vault "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#;
    let out = e
        .std_cmd("bash")
        .env("PATH", path)
        .arg("-c")
        .arg(driver)
        .arg("bash")
        .arg(&script)
        .args(words)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains(V1), "completion printed a value");
    stdout(&out)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completion_of_get_op_offers_openai_api_key() {
    let e = secret_vault();
    e.set("OPENROUTER_API_KEY", V2);
    e.set("SLACK_TOKEN", "xoxb-not-offered-here");
    e.ok(&["agent", "create", "support-bot"]);
    assert_eq!(
        bash_complete(&e, &["vault", "get", "OP"]),
        ["OPENAI_API_KEY", "OPENROUTER_API_KEY"]
    );
    assert_eq!(
        bash_complete(&e, &["vault", "history", "OPENA"]),
        ["OPENAI_API_KEY"]
    );
    assert_eq!(
        bash_complete(&e, &["vault", "run", "--agent", "sup"]),
        ["support-bot"]
    );
    assert_eq!(
        bash_complete(&e, &["vault", "agent", "show", ""]),
        ["support-bot"]
    );
    assert_eq!(
        bash_complete(&e, &["vault", "grant", "OPENAI_API_KEY", "SL"]),
        ["SLACK_TOKEN"]
    );
    // The value position of `set` is not a name.
    assert!(
        !bash_complete(&e, &["vault", "set", "OPENAI_API_KEY", "OP"])
            .contains(&"OPENAI_API_KEY".to_owned())
    );
}

#[test]
fn the_completion_helper_prints_names_only_and_needs_no_key() {
    let e = secret_vault();
    std::fs::remove_file(e.key_file()).unwrap();
    let out = e.ok(&["__complete", "secrets"]);
    assert_code_no_leak(&out, 0, &[V1]);
    assert_eq!(stdout(&out), "OPENAI_API_KEY\n");
    let out = e.vault(&["__complete", "values"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let none = Env::new();
    let out = none.ok(&["__complete", "agents"]);
    assert_eq!(stdout(&out), "");
    assert!(!none.vault_exists(), "completion never creates a vault");
}

#[test]
fn rekey_unlocked_by_vault_key_writes_the_new_key_file_and_says_vault_key_is_old() {
    let e = secret_vault();
    let old = std::fs::read_to_string(e.key_file()).unwrap();
    std::fs::remove_file(e.key_file()).unwrap();
    let out = e
        .vault(&["rekey"])
        .env("VAULT_KEY", old.trim())
        .output()
        .unwrap();
    assert_code_no_leak(&out, 0, &[V1]);
    assert!(stderr(&out).contains("VAULT_KEY still holds the old key"));
    assert_eq!(e.reveal("OPENAI_API_KEY"), V1, "the new key file opens it");
    let out = e
        .vault(&["get", "OPENAI_API_KEY", "--reveal"])
        .env("VAULT_KEY", old.trim())
        .output()
        .unwrap();
    assert_code_no_leak(&out, 5, &[V1]);
}

#[test]
fn rekey_never_replaces_a_key_file_that_is_not_this_vaults() {
    let e = secret_vault();
    let old = std::fs::read_to_string(e.key_file()).unwrap();
    let other = Env::new();
    other.set("X", "other-vault-value");
    std::fs::copy(other.key_file(), e.key_file()).unwrap();
    let foreign = std::fs::read(e.key_file()).unwrap();
    let out = e
        .vault(&["rekey"])
        .env("VAULT_KEY", old.trim())
        .output()
        .unwrap();
    assert_code_no_leak(&out, 4, &[V1]);
    assert_eq!(std::fs::read(e.key_file()).unwrap(), foreign);
    let out = e
        .vault(&["get", "OPENAI_API_KEY", "--reveal"])
        .env("VAULT_KEY", old.trim())
        .output()
        .unwrap();
    assert_eq!(stdout(&out), format!("{V1}\n"), "nothing changed");
}

#[test]
fn keys_add_passphrase_to_a_passphrase_only_vault_without_a_terminal_says_how() {
    let e = Env::new();
    e.vault(&["init", "--passphrase"])
        .env("VAULT_PASSPHRASE", "the only one")
        .assert()
        .success();
    let out = e
        .vault(&["keys", "add", "--passphrase"])
        .env("VAULT_PASSPHRASE", "the only one")
        .write_stdin("")
        .output()
        .unwrap();
    assert_code_no_leak(&out, 5, &["the only one"]);
    assert!(stderr(&out).contains("vault passwd"), "{}", stderr(&out));
}

// See: a review of this change. Two rekeys at once could each rename the
// other's new key into place and leave a vault that no key opens; a write
// that raced a rekey reported tampering (exit 6).
#[test]
fn concurrent_rekeys_and_writes_never_lose_the_vault_or_cry_tampering() {
    let e = Env::new();
    e.set("KEEP_ME", "keep-me-value-4711");
    for round in 0..3 {
        let mut children = Vec::new();
        for _ in 0..3 {
            children.push(("rekey", spawn(&e, &["rekey"])));
        }
        for i in 0..4 {
            let name = format!("RACE_{round}_{i}");
            children.push(("set", spawn(&e, &["set", &name, "race-value-123"])));
        }
        for (what, c) in children {
            let o = c.wait_with_output().unwrap();
            let code = o.status.code();
            let err = String::from_utf8_lossy(&o.stderr).into_owned();
            assert!(!err.contains("keep-me-value-4711"), "{err}");
            match what {
                "rekey" => assert_eq!(code, Some(0), "rekey: {err}"),
                // A write that raced a rekey is refused and says why; a
                // write that waited for the new key file to appear may find
                // the old one locked (5) for a moment. Never 6.
                _ => assert!(
                    matches!(code, Some(0) | Some(4) | Some(5)),
                    "set exited {code:?}: {err}"
                ),
            }
        }
        assert_eq!(e.reveal("KEEP_ME"), "keep-me-value-4711", "round {round}");
    }
}

fn spawn(e: &Env, args: &[&str]) -> std::process::Child {
    e.std_cmd(crate::util::VAULT_BIN)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}
