//! The audit trail through the binary (DESIGN §7.3): what `vault audit`
//! shows after sets, reveals, runs and grants; that no value reaches the
//! trail; that `vault audit verify` finds an edited, deleted or moved row
//! (exit 6, naming chain:seq) and passes an untouched vault; that a reveal
//! with no audit entry is refused; that `vault audit prune` leaves a signed
//! checkpoint the rest still verifies from; that an anchor shows a cut tail.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use crate::util::*;

const VALUE: &str = "sk-audit-value-7f3a9c";
const VALUE2: &str = "sk-audit-rotated-0b1e2d";

/// A vault with one secret set twice, granted to an agent, revealed and run.
fn busy_vault() -> Env {
    let e = Env::new();
    e.set("API_KEY", VALUE);
    e.set("API_KEY", VALUE2);
    e.ok(&["agent", "create", "bot"]);
    e.ok(&["grant", "API_KEY", "--agent", "bot"]);
    assert_eq!(e.reveal("API_KEY"), VALUE2);
    e.ok(&["run", "--agent", "bot", "--", "true"]);
    e
}

fn entries(e: &Env, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["audit", "--json"];
    all.extend_from_slice(args);
    let out = e.ok(&all);
    assert_code_no_leak(&out, 0, &[VALUE, VALUE2]);
    json(&out).as_array().unwrap().clone()
}

fn verify(e: &Env) -> std::process::Output {
    e.vault(&["audit", "verify"]).output().unwrap()
}

#[test]
fn set_reveal_run_and_grant_appear_with_actor_and_versions_and_no_value() {
    let e = busy_vault();
    let all = entries(&e, &[]);
    let actions: Vec<&str> = all.iter().map(|x| x["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["create", "set", "agent-create", "grant", "reveal", "run"]
    );
    for (i, x) in all.iter().enumerate() {
        assert_eq!(x["actor"], "owner");
        assert_eq!(x["chain"], 0);
        assert_eq!(x["seq"], i as u64 + 1);
        assert!(!x["host"].as_str().unwrap().is_empty());
    }
    assert_eq!(all[0]["subject"]["version"], 1);
    assert_eq!(all[1]["subject"]["version"], 2);
    assert_eq!(all[3]["subject"]["agent"], "bot");
    assert_eq!(all[3]["subject"]["names"], serde_json::json!(["API_KEY"]));
    assert_eq!(all[4]["subject"]["name"], "API_KEY");
    assert_eq!(all[4]["subject"]["version"], 2);
    let run = &all[5]["subject"];
    assert_eq!(run["agent"], "bot");
    assert_eq!(run["program"], "true");
    assert_eq!(
        run["delivered"],
        serde_json::json!([{ "name": "API_KEY", "version": 2 }])
    );
    let table = e.ok(&["audit"]);
    assert_code_no_leak(&table, 0, &[VALUE, VALUE2]);
    assert!(stdout(&table).contains("reveal"));
}

#[test]
fn no_value_reaches_the_audit_table() {
    let e = busy_vault();
    e.ok(&["export", "--format", "json"]);
    let leaks = e.sql_i64(&if crate::util::on_postgres() {
        format!(
            "SELECT count(*) FROM audit WHERE strpos(subject, '{VALUE}') > 0 OR strpos(subject, '{VALUE2}') > 0 \
             OR strpos(action, '{VALUE2}') > 0 OR strpos(host, '{VALUE2}') > 0 \
             OR position(convert_to('{VALUE2}', 'UTF8') IN prev) > 0 \
             OR position(convert_to('{VALUE2}', 'UTF8') IN sig) > 0"
        )
    } else {
        format!(
            "SELECT count(*) FROM audit WHERE instr(subject, '{VALUE}') OR instr(subject, '{VALUE2}') \
             OR instr(action, '{VALUE2}') OR instr(host, '{VALUE2}') \
             OR instr(CAST(prev AS TEXT), '{VALUE2}') OR instr(CAST(sig AS TEXT), '{VALUE2}')"
        )
    });
    assert_eq!(leaks, 0);
    assert_eq!(
        e.sql_i64("SELECT count(*) FROM audit WHERE action = 'export'"),
        1,
        "an export is recorded"
    );
    let out = e.ok(&["audit"]);
    assert_code_no_leak(&out, 0, &[VALUE, VALUE2]);
}

#[test]
fn verify_passes_an_untouched_vault() {
    let e = busy_vault();
    let out = verify(&e);
    assert_code_no_leak(&out, 0, &[VALUE, VALUE2]);
    assert!(stdout(&out).contains("6 entries"), "{}", stdout(&out));
    assert!(stdout(&out).contains("matches the master key"));
}

#[test]
fn verify_names_an_edited_entry() {
    let e = busy_vault();
    e.sql("UPDATE audit SET subject = replace(subject, '\"version\":2', '\"version\":1') WHERE seq = 5");
    let out = verify(&e);
    assert_code_no_leak(&out, 6, &[VALUE, VALUE2]);
    assert!(stderr(&out).contains("audit entry 0:5"), "{}", stderr(&out));
}

#[test]
fn verify_names_the_entry_after_a_deleted_one() {
    let e = busy_vault();
    e.sql("DELETE FROM audit WHERE seq = 3");
    let out = verify(&e);
    assert_code_no_leak(&out, 6, &[VALUE, VALUE2]);
    assert!(stderr(&out).contains("audit entry 0:4"), "{}", stderr(&out));
}

#[test]
fn verify_names_reordered_entries() {
    let e = busy_vault();
    // Swap rows 2 and 3 (through a free seq: the key is unique).
    e.sql(
        "UPDATE audit SET seq = 100 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; \
         UPDATE audit SET seq = 3 WHERE seq = 100;",
    );
    let out = verify(&e);
    assert_code_no_leak(&out, 6, &[VALUE, VALUE2]);
    assert!(stderr(&out).contains("audit entry 0:2"), "{}", stderr(&out));
}

#[test]
fn verify_refuses_a_replaced_signing_key() {
    let e = busy_vault();
    // Another vault's key: its signatures cannot match these entries.
    let other = busy_vault();
    let conn_pk = other.sql_i64("SELECT length(value) FROM meta WHERE key = 'audit_pk'");
    assert_eq!(conn_pk, 32);
    match &other.pg_schema {
        Some(schema) => e.sql(&format!(
            "UPDATE meta SET value = (SELECT value FROM {schema}.meta WHERE key = 'audit_pk') WHERE key = 'audit_pk';"
        )),
        None => e.sql(&format!(
            "ATTACH '{}' AS other; UPDATE meta SET value = (SELECT value FROM other.meta WHERE key = 'audit_pk') WHERE key = 'audit_pk';",
            other.db().display()
        )),
    }
    let out = verify(&e);
    assert_code_no_leak(&out, 6, &[VALUE, VALUE2]);
    assert!(stderr(&out).contains("audit_pk"), "{}", stderr(&out));
    // Without a key at hand the signatures still fail against the stored key.
    std::fs::remove_file(e.key_file()).unwrap();
    let out = verify(&e);
    assert_code_no_leak(&out, 6, &[VALUE, VALUE2]);
    assert!(stderr(&out).contains("audit entry 0:1"), "{}", stderr(&out));
}

#[test]
fn cutting_the_tail_is_not_visible_without_an_anchor() {
    // Documented in SECURITY.md: the chain proves order and content, not
    // that nothing was cut off its end.
    let e = busy_vault();
    e.sql("DELETE FROM audit WHERE seq = 6");
    assert_code_no_leak(&verify(&e), 0, &[VALUE, VALUE2]);
}

#[test]
fn a_rekey_hands_the_chain_to_the_new_key() {
    let e = busy_vault();
    e.ok(&["rekey"]);
    e.set("API_KEY", "sk-after-rekey-123456");
    let out = verify(&e);
    assert_code_no_leak(&out, 0, &[VALUE, VALUE2]);
    let all = entries(&e, &[]);
    let rekey = all.iter().find(|x| x["action"] == "rekey").unwrap();
    assert_eq!(
        rekey["subject"]["next_audit_pk"].as_str().unwrap().len(),
        64
    );
    assert_eq!(all.last().unwrap()["action"], "set");
}

#[test]
fn a_reveal_without_its_audit_entry_is_refused() {
    let e = busy_vault();
    if crate::util::on_postgres() {
        e.sql(
            "CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$; \
             CREATE TRIGGER no_audit BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION no_audit();",
        );
    } else {
        e.sql("CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit refused'); END;");
    }
    let out = e.vault(&["get", "API_KEY", "--reveal"]).output().unwrap();
    assert_code_no_leak(&out, 1, &[VALUE, VALUE2]);
    assert!(
        stderr(&out).contains("was not revealed"),
        "{}",
        stderr(&out)
    );
    let out = e.vault(&["export"]).output().unwrap();
    assert_code_no_leak(&out, 1, &[VALUE, VALUE2]);
    // A change without its entry does not commit either.
    let out = e
        .vault(&["set", "OTHER", "sk-other-value-99"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(
        e.sql_i64("SELECT count(*) FROM secrets WHERE name = 'OTHER'"),
        0
    );
}

#[test]
fn filters_by_agent_secret_and_time() {
    let e = busy_vault();
    e.set("OTHER", "sk-other-value-1234");
    let bot = entries(&e, &["--agent", "bot"]);
    let actions: Vec<&str> = bot.iter().map(|x| x["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["agent-create", "grant", "run"]);
    let other = entries(&e, &["--secret", "OTHER"]);
    assert_eq!(other.len(), 1);
    let api = entries(&e, &["--secret", "API_KEY"]);
    assert_eq!(api.len(), 5, "create, set, grant, reveal, run");
    assert!(entries(&e, &["--since", "2999-01-01T00:00:00Z"]).is_empty());
    assert_eq!(entries(&e, &["--since", "1h"]).len(), 7);
    let bad = e.vault(&["audit", "--since", "soon"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(entries(&e, &["--actor", "owner"]).len(), 7);
    assert!(entries(&e, &["--actor", "bob"]).is_empty());
    assert_eq!(
        entries(&e, &["--actor", "owner", "--agent", "bot"]).len(),
        3
    );
}

#[test]
fn follow_streams_new_entries_as_json_lines() {
    follow_streams(&["audit", "--follow"]);
}

#[test]
fn follow_with_json_is_one_object_a_line_too() {
    follow_streams(&["audit", "--follow", "--json"]);
}

fn follow_streams(args: &[&str]) {
    let e = busy_vault();
    let mut child = e
        .std_cmd(VAULT_BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // A follow that never prints must fail the test, not hang it.
    let pid = child.id();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(15));
        let _ = std::process::Command::new("kill")
            .arg(pid.to_string())
            .status();
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..6 {
        let line = lines.next().unwrap().unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert!(v["seq"].as_u64().unwrap() <= 6);
    }
    let start = Instant::now();
    e.set("LATER", "sk-later-value-5678");
    let line = lines.next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["seq"], 7);
    assert_eq!(v["subject"]["name"], "LATER");
    assert!(!line.contains("sk-later-value-5678"));
    assert!(start.elapsed() < Duration::from_secs(5));
}

// ---- prune, checkpoints and anchors ----

const LATER: &str = "sk-later-value-5678";
const SECRETS: &[&str] = &[VALUE, VALUE2, LATER];

/// Now, to the second, as entries record it; after a pause, so every entry
/// made so far is older.
fn cut_now() -> String {
    std::thread::sleep(Duration::from_millis(1100));
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// `busy_vault` (entries 1-6), then a cut, entries 7 (set) and 8 (grant)
/// after it, and `prune --before` the cut: checkpoint 9.
fn pruned_vault() -> (Env, String) {
    let e = busy_vault();
    let cut = cut_now();
    e.set("LATER", LATER);
    e.ok(&["grant", "LATER", "--agent", "bot"]);
    let out = e.ok(&["audit", "prune", "--before", &cut, "--yes"]);
    assert_code_no_leak(&out, 0, SECRETS);
    assert!(
        stdout(&out).contains("pruned 6 entries"),
        "{}",
        stdout(&out)
    );
    (e, cut)
}

fn seqs(e: &Env) -> Vec<u64> {
    entries(e, &[])
        .iter()
        .map(|x| x["seq"].as_u64().unwrap())
        .collect()
}

/// The head line of `verify --json` for chain 0, as CHAIN:SEQ:HASH.
fn head(e: &Env) -> String {
    let out = e.ok(&["audit", "verify", "--json"]);
    let v = json(&out);
    assert_eq!(v["intact"], true);
    v["heads"][0]["anchor"].as_str().unwrap().to_owned()
}

#[test]
fn prune_keeps_later_entries_behind_a_checkpoint_that_verifies_and_is_listed() {
    let (e, cut) = pruned_vault();
    assert_eq!(seqs(&e), [7, 8, 9], "entries after the cut stay");
    assert_eq!(e.sql_i64("SELECT count(*) FROM audit"), 3);
    let all = entries(&e, &[]);
    let cp = &all[2];
    assert_eq!(cp["action"], "checkpoint");
    assert_eq!(cp["subject"]["count"], 6);
    assert_eq!(cp["subject"]["first_seq"], 1);
    assert_eq!(cp["subject"]["last_seq"], 6);
    assert_eq!(cp["subject"]["before"], cut.as_str());
    assert_eq!(cp["subject"]["last_hash"].as_str().unwrap().len(), 64);

    let out = verify(&e);
    assert_code_no_leak(&out, 0, SECRETS);
    let text = stdout(&out);
    assert!(text.contains("3 entries"), "{text}");
    assert!(text.contains("checkpoint 0:9"), "{text}");
    assert!(text.contains("matches the master key"), "{text}");
    assert!(text.contains("head 0:9:"), "{text}");

    let table = e.ok(&["audit"]);
    assert_code_no_leak(&table, 0, SECRETS);
    assert!(
        stdout(&table).contains(&format!("pruned 6 entries before {cut} (seq 1..6")),
        "{}",
        stdout(&table)
    );

    // Later entries chain on from the checkpoint; a second prune takes the
    // first checkpoint with it and leaves its own.
    let cut2 = cut_now();
    e.set("LATER", "sk-later-value-again-1");
    e.ok(&["audit", "prune", "--before", &cut2, "--yes"]);
    assert_eq!(seqs(&e), [10, 11]);
    assert_code_no_leak(&verify(&e), 0, SECRETS);
    let out = e.ok(&["audit", "prune", "--before", &cut2, "--yes"]);
    assert!(
        stdout(&out).contains("nothing to prune"),
        "{}",
        stdout(&out)
    );
    assert_eq!(seqs(&e), [10, 11], "nothing to prune writes no checkpoint");
}

#[test]
fn after_a_prune_an_edited_remaining_entry_is_caught() {
    let (e, _) = pruned_vault();
    e.sql("UPDATE audit SET host = 'elsewhere' WHERE seq = 8");
    let out = verify(&e);
    assert_code_no_leak(&out, 6, SECRETS);
    assert!(stderr(&out).contains("audit entry 0:8"), "{}", stderr(&out));
}

#[test]
fn after_a_prune_a_deleted_or_moved_remaining_entry_is_caught() {
    let (e, _) = pruned_vault();
    // The first entry after the cut: what is left no longer links to the
    // checkpoint's record.
    e.sql("DELETE FROM audit WHERE seq = 7");
    let out = verify(&e);
    assert_code_no_leak(&out, 6, SECRETS);
    assert!(stderr(&out).contains("audit entry 0:8"), "{}", stderr(&out));

    let (e, _) = pruned_vault();
    e.sql(
        "UPDATE audit SET seq = 100 WHERE seq = 7; UPDATE audit SET seq = 7 WHERE seq = 8; \
         UPDATE audit SET seq = 8 WHERE seq = 100;",
    );
    let out = verify(&e);
    assert_code_no_leak(&out, 6, SECRETS);
    assert!(stderr(&out).contains("audit entry 0:7"), "{}", stderr(&out));
}

#[test]
fn an_edited_or_forged_checkpoint_is_caught() {
    let (e, _) = pruned_vault();
    e.sql(
        "UPDATE audit SET subject = replace(subject, '\"count\":6', '\"count\":2') WHERE seq = 9",
    );
    let out = verify(&e);
    assert_code_no_leak(&out, 6, SECRETS);
    assert!(stderr(&out).contains("audit entry 0:9"), "{}", stderr(&out));

    // Where the checkpoint says the pruned stretch ends: moved, it no
    // longer explains the first remaining entry.
    let (e, _) = pruned_vault();
    e.sql("UPDATE audit SET subject = replace(subject, '\"last_seq\":6', '\"last_seq\":5') WHERE seq = 9");
    let out = verify(&e);
    assert_code_no_leak(&out, 6, SECRETS);
    assert!(stderr(&out).contains("audit entry 0:9"), "{}", stderr(&out));

    // A signature no key made.
    let (e, _) = pruned_vault();
    e.sql(if crate::util::on_postgres() {
        "UPDATE audit SET sig = decode(repeat('00', 64), 'hex') WHERE seq = 9"
    } else {
        "UPDATE audit SET sig = zeroblob(64) WHERE seq = 9"
    });
    let out = verify(&e);
    assert_code_no_leak(&out, 6, SECRETS);
    assert!(stderr(&out).contains("audit entry 0:9"), "{}", stderr(&out));
    assert!(stderr(&out).contains("signature"), "{}", stderr(&out));
}

#[test]
fn deleting_the_oldest_entries_without_a_checkpoint_is_caught() {
    let e = busy_vault();
    e.sql("DELETE FROM audit WHERE seq <= 2");
    let out = verify(&e);
    assert_code_no_leak(&out, 6, SECRETS);
    assert!(stderr(&out).contains("audit entry 0:3"), "{}", stderr(&out));
    assert!(stderr(&out).contains("checkpoint"), "{}", stderr(&out));
}

#[test]
fn an_anchor_makes_a_cut_tail_visible() {
    let e = busy_vault();
    let anchor = head(&e);
    assert!(anchor.starts_with("0:6:"), "{anchor}");
    let out = verify(&e);
    assert!(stdout(&out).contains(&format!("head {anchor}")));
    let with = |a: &str| {
        e.vault(&["audit", "verify", "--anchor", a])
            .output()
            .unwrap()
    };
    assert_code_no_leak(&with(&anchor), 0, SECRETS);
    e.set("LATER", LATER);
    let out = with(&anchor);
    assert_code_no_leak(&out, 0, SECRETS);
    assert!(stdout(&out).contains("holds"), "{}", stdout(&out));

    // Cut the last two entries: without the anchor it still verifies.
    e.sql("DELETE FROM audit WHERE seq >= 6");
    assert_code_no_leak(&verify(&e), 0, SECRETS);
    let out = with(&anchor);
    assert_code_no_leak(&out, 6, SECRETS);
    assert!(stderr(&out).contains("does not hold"), "{}", stderr(&out));
    assert!(stderr(&out).contains("ends at seq 5"), "{}", stderr(&out));

    // An anchor whose hash is not the entry's.
    let mut other = anchor.clone();
    other.replace_range(
        anchor.len() - 1..,
        if anchor.ends_with('0') { "1" } else { "0" },
    );
    let out = with(&other.replacen("0:6:", "0:5:", 1));
    assert_code_no_leak(&out, 6, SECRETS);
    assert!(stderr(&out).contains("another hash"), "{}", stderr(&out));

    for bad in ["0:6", "x:6:00", "0:6:abc", "0:0:".to_owned().as_str()] {
        let out = with(bad);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}

#[test]
fn an_anchor_from_before_a_prune_still_holds() {
    let e = busy_vault();
    let at_six = head(&e);
    let out = e.ok(&["audit", "verify", "--json"]);
    assert_eq!(json(&out)["heads"][0]["seq"], 6);
    let cut = cut_now();
    e.set("LATER", LATER);
    e.ok(&["audit", "prune", "--before", &cut, "--yes"]);
    // The checkpoint recorded entry 6's hash: compared.
    let out = e.ok(&["audit", "verify", "--anchor", &at_six, "--json"]);
    assert_eq!(json(&out)["anchors"][0]["result"], "holds");
    let mut wrong = at_six.clone();
    wrong.replace_range(
        at_six.len() - 1..,
        if at_six.ends_with('0') { "1" } else { "0" },
    );
    let out = e
        .vault(&["audit", "verify", "--anchor", &wrong])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 6, SECRETS);
}

#[test]
fn prune_asks_nothing_on_a_pipe_and_needs_the_key() {
    let e = busy_vault();
    let cut = cut_now();
    let out = e
        .vault(&["audit", "prune", "--before", &cut])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 7, SECRETS);
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert!(stderr(&out).contains("6 entries"), "{}", stderr(&out));
    assert_eq!(e.sql_i64("SELECT count(*) FROM audit"), 6, "nothing pruned");

    let future = e
        .vault(&["audit", "prune", "--before", "2999-01-01", "--yes"])
        .output()
        .unwrap();
    assert_eq!(future.status.code(), Some(2));
    let bad = e
        .vault(&["audit", "prune", "--before", "soon", "--yes"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));

    let aside = e.root().join("vault.key.aside");
    std::fs::rename(e.key_file(), &aside).unwrap();
    let out = e
        .vault(&["audit", "prune", "--before", &cut, "--yes"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 5, SECRETS);
    assert_eq!(e.sql_i64("SELECT count(*) FROM audit"), 6, "nothing pruned");
    std::fs::rename(&aside, e.key_file()).unwrap();
    e.ok(&["audit", "prune", "--before", &cut, "--yes"]);
    assert_eq!(
        e.sql_i64("SELECT count(*) FROM audit"),
        1,
        "the checkpoint alone"
    );
    assert_code_no_leak(&verify(&e), 0, SECRETS);
}

#[test]
fn prune_refuses_a_broken_trail() {
    let e = busy_vault();
    let cut = cut_now();
    e.sql("UPDATE audit SET host = 'elsewhere' WHERE seq = 2");
    let out = e
        .vault(&["audit", "prune", "--before", &cut, "--yes"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 6, SECRETS);
    assert!(stderr(&out).contains("audit entry 0:2"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("nothing was pruned"),
        "{}",
        stderr(&out)
    );
    assert_eq!(e.sql_i64("SELECT count(*) FROM audit"), 6);
}

#[test]
fn a_prune_across_a_rekey_still_verifies() {
    let e = busy_vault();
    e.ok(&["rekey"]);
    let cut = cut_now();
    e.set("LATER", LATER);
    e.ok(&["audit", "prune", "--before", &cut, "--yes"]);
    assert_eq!(seqs(&e), [8, 9]);
    let out = verify(&e);
    assert_code_no_leak(&out, 0, SECRETS);
    assert!(
        stdout(&out).contains("matches the master key"),
        "{}",
        stdout(&out)
    );
    e.set("LATER", "sk-later-value-after-2");
    assert_code_no_leak(&verify(&e), 0, SECRETS);
}
