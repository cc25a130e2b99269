//! The on-disk format version: what this build refuses to open, and that a
//! refusal writes nothing. See: issue 11 ("the on-disk format version is
//! checked on open").

use crate::util::{assert_code_no_leak, stderr, Env};

fn vault_with_secret() -> Env {
    let env = Env::new();
    env.set("FORMAT_PROBE", "format-probe-value-1234");
    env
}

/// Checkpoint the WAL so the bytes compared below are the whole database.
fn settle(env: &Env) {
    env.sql("PRAGMA wal_checkpoint(TRUNCATE);");
}

#[test]
fn newer_format_is_refused_naming_the_release_that_reads_it() {
    if crate::util::sqlite_only("edits meta with SQLite's typed values (store test a_newer_schema_or_format_is_refused covers PostgreSQL)") {
        return;
    }
    let env = vault_with_secret();
    env.sql("UPDATE meta SET value = 3 WHERE key = 'format'; INSERT INTO meta(key, value) VALUES ('reader', '0.9.0');");
    settle(&env);
    let before = env.all_vault_bytes();
    for args in [
        &["list"][..],
        &["get", "FORMAT_PROBE", "--reveal"],
        &["set", "OTHER", "x-value-5678"],
        &["run", "--", "true"],
    ] {
        let o = env.vault(args).output().unwrap();
        let code = if args[0] == "run" { 125 } else { 1 };
        assert_code_no_leak(&o, code, &["format-probe-value-1234"]);
        let err = stderr(&o);
        assert!(err.contains("vault format 3"), "{err}");
        assert!(err.contains("reads format 2"), "{err}");
        assert!(err.contains("vault 0.9.0 or newer"), "{err}");
    }
    assert_eq!(
        before,
        env.all_vault_bytes(),
        "a refused vault was written to"
    );
}

#[test]
fn newer_format_without_a_reader_note_still_says_what_to_do() {
    if crate::util::sqlite_only("edits meta with SQLite's typed values") {
        return;
    }
    let env = vault_with_secret();
    env.sql("UPDATE meta SET value = 7 WHERE key = 'format';");
    let o = env.vault(&["list"]).output().unwrap();
    assert_code_no_leak(&o, 1, &[]);
    let err = stderr(&o);
    assert!(err.contains("vault format 7"), "{err}");
    assert!(err.contains("reads format 7"), "{err}");
}

#[test]
fn missing_or_garbled_format_is_an_integrity_error() {
    if crate::util::sqlite_only("edits meta with SQLite's typed values") {
        return;
    }
    for edit in [
        "DELETE FROM meta WHERE key = 'format';",
        "UPDATE meta SET value = 'two' WHERE key = 'format';",
        "UPDATE meta SET value = 0 WHERE key = 'format';",
    ] {
        let env = vault_with_secret();
        env.sql(edit);
        let o = env
            .vault(&["get", "FORMAT_PROBE", "--reveal"])
            .output()
            .unwrap();
        assert_code_no_leak(&o, 6, &["format-probe-value-1234"]);
        assert!(stderr(&o).contains("format version"), "{}", stderr(&o));
    }
}

#[test]
fn current_format_opens() {
    let env = vault_with_secret();
    assert_eq!(env.reveal("FORMAT_PROBE"), "format-probe-value-1234");
}

// See: a review of this change: a damaged vault id read as a wrong key (5)
// or a database error (1).
#[test]
fn a_damaged_vault_id_is_an_integrity_error() {
    if crate::util::sqlite_only("the edits are SQLite SQL (x'' blobs)") {
        return;
    }
    for edit in [
        "UPDATE meta SET value = x'' WHERE key = 'vault_id';",
        "UPDATE meta SET value = x'0011' WHERE key = 'vault_id';",
        "UPDATE meta SET value = 'not-an-id' WHERE key = 'vault_id';",
    ] {
        let env = vault_with_secret();
        env.sql(edit);
        let o = env
            .vault(&["get", "FORMAT_PROBE", "--reveal"])
            .output()
            .unwrap();
        assert_code_no_leak(&o, 6, &["format-probe-value-1234"]);
    }
}
