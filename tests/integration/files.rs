//! The vault's files as the file system presents them: links in the
//! directories above, links and odd files at the files themselves, a key
//! file without its database, hard links, read-only directories and mounts;
//! and what vault prints from a database edited outside it, on a terminal
//! of a given width.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use crate::util::*;

const NOBODY: u32 = 65534;

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn private_dir(p: &Path) {
    std::fs::create_dir_all(p).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700)).unwrap();
}

/// Files (and links) directly in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The whole life of a vault through `cmd`: create, list, reveal, run.
fn assert_usable(e: &Env, cmd: impl Fn(&[&str]) -> Output, what: &str) {
    let o = cmd(&["set", "LINKED_TOKEN", "linked-value-1234"]);
    assert_eq!(code(&o), Some(0), "{what}: set: {}", stderr(&o));
    for args in [
        &["list"][..],
        &["get", "LINKED_TOKEN"][..],
        &["set", "SECOND_TOKEN", "second-value-1234"][..],
    ] {
        let o = cmd(args);
        assert_eq!(code(&o), Some(0), "{what}: {args:?}: {}", stderr(&o));
        assert_code_no_leak(&o, 0, &["linked-value-1234"]);
    }
    let o = cmd(&["get", "LINKED_TOKEN", "--reveal"]);
    assert_eq!(stdout(&o), "linked-value-1234\n", "{what}: {}", stderr(&o));
    let o = cmd(&[
        "run",
        "--",
        "sh",
        "-c",
        "test \"$LINKED_TOKEN\" = linked-value-1234",
    ]);
    assert_eq!(code(&o), Some(0), "{what}: run: {}", stderr(&o));
    let _ = e;
}

// See: issue 17 item 6
#[test]
fn symlinked_vault_dir_data_dir_or_home_does_not_make_the_vault_unusable() {
    if sqlite_only("links in the path of vault.db") {
        return;
    }
    // --vault-dir itself a link, a link higher up in VAULT_DIR, and a linked
    // HOME with the default layout (Fedora Atomic's /home -> /var/home).
    for case in ["vault-dir", "parent", "home"] {
        let e = Env::new();
        let real = e.root().join("var-home");
        private_dir(&real);
        let link = e.root().join("linked");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let (db_dir, key_dir) = match case {
            "vault-dir" => (real.clone(), real.clone()),
            "parent" => (real.join("v"), real.join("v")),
            _ => (real.join(".local/share/vault"), real.join(".config/vault")),
        };
        let cmd = |args: &[&str]| -> Output {
            let mut c = e.vault(args);
            match case {
                "vault-dir" => {
                    c.env("VAULT_DIR", &link);
                }
                "parent" => {
                    c.env("VAULT_DIR", link.join("v"));
                }
                _ => {
                    c.env_remove("VAULT_DIR")
                        .env("HOME", &link)
                        .env_remove("XDG_DATA_HOME")
                        .env_remove("XDG_CONFIG_HOME");
                }
            }
            c.output().unwrap()
        };
        assert_usable(&e, cmd, case);
        assert!(db_dir.join("vault.db").is_file(), "{case}");
        assert!(key_dir.join("vault.key").is_file(), "{case}");
    }
}

/// Run `script` under `sh` in a private mount namespace (so it may mount
/// tmpfs file systems), with `$OUT` a directory for its results. None (and
/// a `skipped:` line) where this process may not make one.
fn in_mount_namespace(e: &Env, script: &str) -> Option<std::path::PathBuf> {
    let probe = std::process::Command::new("unshare")
        .args(["-m", "--propagation", "private", "true"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        println!("skipped: cannot make a mount namespace here (needs root and unshare)");
        return None;
    }
    let out_dir = e.root().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let o = e
        .std_cmd("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script])
        .env("OUT", &out_dir)
        .output()
        .unwrap();
    assert_eq!(code(&o), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    Some(out_dir)
}

// See: issue 17 item 6
#[test]
fn first_use_that_fails_leaves_no_key_file_behind() {
    if sqlite_only(
        "what a failed first use leaves in the vault directory (a full tmpfs under vault.db)",
    ) {
        return;
    }
    // The database cannot be built (its file system is full) after the key
    // file was written elsewhere: neither the key nor the directories the
    // first use made may stay behind.
    let e = Env::new();
    let small = e.root().join("small");
    let keys = e.root().join("keys");
    std::fs::create_dir_all(&small).unwrap();
    private_dir(&keys);
    let script = r#"
        mount -t tmpfs -o size=16k,mode=0700 tmpfs "$SMALL" || exit 90
        VAULT_DIR="$SMALL/vault" VAULT_KEY_FILE="$KEYS/sub/vault.key" \
            "$VAULT" set FULL_TOKEN full-value-1234 >"$OUT/set.out" 2>"$OUT/set.err"
        echo $? >"$OUT/set.code"
        ls -A "$SMALL" >"$OUT/small.ls"
        umount "$SMALL"
    "#;
    let script = script
        .replace("$SMALL", &small.display().to_string())
        .replace("$KEYS", &keys.display().to_string());
    let Some(out) = in_mount_namespace(&e, &script) else {
        return;
    };
    let read = |n: &str| std::fs::read_to_string(out.join(n)).unwrap();
    assert_ne!(read("set.code").trim(), "0", "{}", read("set.err"));
    assert!(!read("set.err").contains("full-value-1234"));
    assert_eq!(read("small.ls"), "", "left in the vault's file system");
    assert_eq!(
        names_in(&keys),
        Vec::<String>::new(),
        "key file left behind"
    );
}

// See: issue 17 item 7
#[test]
fn symlink_at_key_file_to_another_vaults_key_is_refused_on_create_and_on_read() {
    let other = Env::new();
    other.set("OTHER_TOKEN", "other-value-1234");
    let e = Env::new();
    private_dir(&e.dir());
    std::os::unix::fs::symlink(other.key_file(), e.key_file()).unwrap();
    for args in [&["set", "NEW_TOKEN", "new-value-1234"][..], &["init"][..]] {
        let o = e.vault(args).output().unwrap();
        assert_code_no_leak(&o, 5, &["new-value-1234", "other-value-1234"]);
        assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
        assert!(!e.db().exists(), "a vault was built on the linked key");
        assert!(std::fs::symlink_metadata(e.key_file())
            .unwrap()
            .file_type()
            .is_symlink());
    }
    // Reading: a vault whose key file was replaced by a link, even one to its
    // own key moved elsewhere, and a VAULT_KEY_FILE that names a link.
    let e = Env::new();
    e.set("MY_TOKEN", "my-value-1234");
    let moved = e.root().join("moved.key");
    std::fs::rename(e.key_file(), &moved).unwrap();
    std::os::unix::fs::symlink(&moved, e.key_file()).unwrap();
    for args in [
        &["get", "MY_TOKEN", "--reveal"][..],
        &["set", "X_TOKEN", "x-value-1234"][..],
    ] {
        let o = e.vault(args).output().unwrap();
        assert_code_no_leak(&o, 5, &["my-value-1234", "x-value-1234"]);
        assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    }
    let o = e.vault(&["run", "--", "true"]).output().unwrap();
    assert_code_no_leak(&o, 125, &["my-value-1234"]);
    let o = e
        .vault(&["get", "MY_TOKEN", "--reveal"])
        .env("VAULT_KEY_FILE", e.key_file())
        .output()
        .unwrap();
    assert_code_no_leak(&o, 5, &["my-value-1234"]);
    // Named directly, the real file works, through a linked directory too.
    let linked_dir = e.root().join("linked-root");
    std::os::unix::fs::symlink(e.root(), &linked_dir).unwrap();
    let o = e
        .vault(&["get", "MY_TOKEN", "--reveal"])
        .env("VAULT_KEY_FILE", linked_dir.join("moved.key"))
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "my-value-1234\n", "{}", stderr(&o));
}

// See: issue 17 item 8
#[test]
fn key_file_of_raw_bytes_is_locked_not_other() {
    let e = Env::new();
    e.set("RAW_TOKEN", "raw-value-1234");
    for bytes in [
        &[0xff, 0xfe, 0x00, 0x80, 0xc3][..],
        b"vault-key-v1:\xff\xff\xff\xff\n",
    ] {
        std::fs::write(e.key_file(), bytes).unwrap();
        for args in [
            &["get", "RAW_TOKEN", "--reveal"][..],
            &["set", "OTHER_TOKEN", "other-value-1234"][..],
        ] {
            let o = e.vault(args).output().unwrap();
            assert_code_no_leak(&o, 5, &["raw-value-1234", "other-value-1234"]);
            assert!(stderr(&o).contains("not a vault key"), "{}", stderr(&o));
        }
        let o = e.vault(&["run", "--", "true"]).output().unwrap();
        assert_code_no_leak(&o, 125, &["raw-value-1234"]);
    }
}

// See: issue 17 item 12a
#[test]
fn missing_database_beside_a_key_file_is_refused_not_replaced() {
    if sqlite_only("a vault.db missing beside its key file") {
        return;
    }
    for layout in ["vault-dir", "default"] {
        let e = Env::new();
        let cmd = |args: &[&str]| -> Output {
            let mut c = e.vault(args);
            if layout == "default" {
                c.env_remove("VAULT_DIR");
            }
            c.output().unwrap()
        };
        let (db, key) = if layout == "default" {
            (
                e.root().join("home/.local/share/vault/vault.db"),
                e.root().join("home/.config/vault/vault.key"),
            )
        } else {
            (e.db(), e.key_file())
        };
        assert_eq!(
            code(&cmd(&["set", "KEPT_TOKEN", "kept-value-1234"])),
            Some(0)
        );
        let old_key = std::fs::read(&key).unwrap();
        let backup = e.root().join("backup.db");
        std::fs::rename(&db, &backup).unwrap();
        for args in [
            &["set", "NEW_TOKEN", "new-value-1234"][..],
            &["import", "/dev/null"][..],
            &["list"][..],
            &["get", "KEPT_TOKEN"][..],
        ] {
            let o = cmd(args);
            assert_code_no_leak(&o, 3, &["new-value-1234", "kept-value-1234"]);
            let err = stderr(&o);
            assert!(err.contains("missing"), "{layout} {args:?}: {err}");
            assert!(err.contains(&db.display().to_string()), "{err}");
            assert!(
                !db.exists(),
                "{layout} {args:?}: a new vault replaced the lost one"
            );
        }
        assert_eq!(std::fs::read(&key).unwrap(), old_key);
        // Starting anew is on purpose: `init` keeps the old key aside.
        let o = cmd(&["init"]);
        assert_eq!(code(&o), Some(0), "{}", stderr(&o));
        assert!(stderr(&o).contains(".old-"), "{}", stderr(&o));
        let kept: Vec<_> = names_in(key.parent().unwrap())
            .into_iter()
            .filter(|n| n.starts_with("vault.key.old-"))
            .collect();
        assert_eq!(kept.len(), 1, "{kept:?}");
        let aside = key.parent().unwrap().join(&kept[0]);
        assert_eq!(std::fs::read(&aside).unwrap(), old_key);
        assert_ne!(std::fs::read(&key).unwrap(), old_key);
        // And the old pair still works once put back together.
        std::fs::rename(&backup, &db).unwrap();
        std::fs::rename(&aside, &key).unwrap();
        let o = cmd(&["get", "KEPT_TOKEN", "--reveal"]);
        assert_eq!(stdout(&o), "kept-value-1234\n", "{}", stderr(&o));
    }
}

// See: issue 17 item 10
#[test]
fn hard_linked_database_is_warned_about_and_still_readable() {
    if sqlite_only("a hard-linked vault.db file") {
        return;
    }
    let e = Env::new();
    e.set("LINKED_TOKEN", "linked-value-1234");
    std::fs::hard_link(e.db(), e.root().join("second-name.db")).unwrap();
    for args in [&["list"][..], &["get", "LINKED_TOKEN", "--reveal"][..]] {
        let o = e.vault(args).output().unwrap();
        assert_eq!(code(&o), Some(0), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("hard link"), "{err}");
        assert!(!err.contains("linked-value-1234"));
    }
    std::fs::remove_file(e.root().join("second-name.db")).unwrap();
    let o = e.vault(&["list"]).output().unwrap();
    assert!(!stderr(&o).contains("hard link"), "{}", stderr(&o));
}

// See: issue 17 item 10
#[test]
fn read_only_vault_directory_says_so_and_how_to_fix_it() {
    if sqlite_only("a read-only directory holding vault.db") {
        return;
    }
    let e = Env::new();
    e.set("RO_TOKEN", "ro-value-1234");
    let mut prefix: Vec<String> = Vec::new();
    if is_root() {
        let ok = std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "true"])
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            println!("skipped: running as root without setpriv; root writes anywhere");
            return;
        }
        chown_tree(e.root(), NOBODY);
        prefix = [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
        ]
        .map(String::from)
        .to_vec();
    }
    std::fs::set_permissions(e.dir(), std::fs::Permissions::from_mode(0o500)).unwrap();
    for args in [
        &["list"][..],
        &["get", "RO_TOKEN", "--reveal"][..],
        &["set", "B_TOKEN", "b-value-1234"][..],
    ] {
        let mut c = if prefix.is_empty() {
            e.std_cmd(VAULT_BIN)
        } else {
            let mut c = e.std_cmd(&prefix[0]);
            c.args(&prefix[1..]).arg(VAULT_BIN);
            c
        };
        let o = c.args(args).output().unwrap();
        assert_code_no_leak(&o, 1, &["ro-value-1234", "b-value-1234"]);
        let err = stderr(&o);
        assert!(err.contains("not writable"), "{args:?}: {err}");
        assert!(err.contains("chmod u+w"), "{err}");
    }
    std::fs::set_permissions(e.dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
}

fn chown_tree(p: &Path, uid: u32) {
    std::os::unix::fs::lchown(p, Some(uid), Some(uid)).unwrap();
    if std::fs::symlink_metadata(p).unwrap().is_dir() {
        for entry in std::fs::read_dir(p).unwrap() {
            chown_tree(&entry.unwrap().path(), uid);
        }
    }
}

// See: issue 17 item 10
#[test]
fn read_only_file_system_still_reads_and_names_the_mount_for_writes() {
    if sqlite_only("a read-only mount under vault.db") {
        return;
    }
    // A private mount namespace with a tmpfs remounted read-only; skipped
    // where the test may not mount (not root, no unshare).
    let e = Env::new();
    std::fs::create_dir_all(e.dir()).unwrap();
    let script = r#"
        mount -t tmpfs -o mode=0700 tmpfs "$VAULT_DIR" || exit 90
        "$VAULT" set RO_TOKEN ro-value-1234 >/dev/null 2>&1 || exit 91
        "$VAULT" set RO_VAR plain-text --variable >/dev/null 2>&1 || exit 92
        mount -o remount,ro "$VAULT_DIR" || exit 93
        "$VAULT" list >"$OUT/list.out" 2>"$OUT/list.err"; echo $? >"$OUT/list.code"
        "$VAULT" get RO_TOKEN --reveal >"$OUT/get.out" 2>"$OUT/get.err"; echo $? >"$OUT/get.code"
        "$VAULT" set NEW_TOKEN new-value-1234 >"$OUT/set.out" 2>"$OUT/set.err"; echo $? >"$OUT/set.code"
        ls -a "$VAULT_DIR" >"$OUT/ls.out"
        umount "$VAULT_DIR"
        mount -t tmpfs -o mode=0700,ro tmpfs "$VAULT_DIR" || exit 94
        "$VAULT" set FIRST_TOKEN first-value-1234 >/dev/null 2>"$OUT/first.err"; echo $? >"$OUT/first.code"
        umount "$VAULT_DIR"
    "#;
    let Some(out_dir) = in_mount_namespace(&e, script) else {
        return;
    };
    let read = |n: &str| std::fs::read_to_string(out_dir.join(n)).unwrap();
    assert_eq!(read("list.code").trim(), "0", "{}", read("list.err"));
    assert!(read("list.out").contains("RO_TOKEN"));
    assert!(read("list.out").contains("plain-text"));
    // A reveal is recorded before it is shown (DESIGN §7.3, fail closed):
    // with nowhere to write its audit entry, it is refused.
    assert_eq!(read("get.code").trim(), "1", "{}", read("get.err"));
    assert_eq!(read("get.out"), "");
    assert!(
        read("get.err").contains("was not revealed"),
        "{}",
        read("get.err")
    );
    assert!(
        read("get.err").contains("read-only file system"),
        "{}",
        read("get.err")
    );
    assert!(!read("get.err").contains("ro-value-1234"));
    assert_eq!(read("set.code").trim(), "1", "{}", read("set.err"));
    let err = read("set.err");
    assert!(err.contains("read-only file system"), "{err}");
    assert!(err.contains(&e.dir().display().to_string()), "{err}");
    assert!(err.contains("remount"), "{err}");
    assert!(!err.contains("new-value-1234"));
    assert!(!read("ls.out").contains("NEW"), "{}", read("ls.out"));
    // A first use there says the same, not which temporary file failed.
    assert_eq!(read("first.code").trim(), "1", "{}", read("first.err"));
    assert!(
        read("first.err").contains("read-only file system"),
        "{}",
        read("first.err")
    );
}

/// Characters that drive or deceive a terminal, none of which may reach it raw.
fn assert_inert(text: &str, what: &str) {
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n')
            || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(!bad, "{what}: raw {:?} in {text:?}", c);
    }
}

// See: issue 17 item 9
#[test]
fn names_and_text_edited_into_the_database_reach_the_terminal_escaped() {
    if sqlite_only("the edits are SQLite SQL (char()); the escaping they test is the same code on both engines") {
        return;
    }
    let e = Env::new();
    e.set("A_TOKEN", "a-value-1234");
    e.ok(&["agent", "create", "bot"]);
    e.ok(&["grant", "A_TOKEN", "--agent", "bot"]);
    // Screen clear, an OSC 52 clipboard write, a carriage return; U+202E
    // and the other bidirectional controls in descriptions.
    let evil_secret = "char(27)||'[2J'||char(27)||']52;c;aGVsbG8='||char(7)||'EVIL'";
    let evil_agent = "'bad'||char(13)||char(27)||'[2J'";
    e.sql(&format!(
        "INSERT INTO secrets(name, kind, scope, description, provider, version, created, updated) VALUES ({evil_secret}, 'variable', 'global', 'x'||char(8238)||'exe.txt'||char(8294), 'open'||char(27)||'[5m', 1, 'now'||char(13), 'then'||char(155)||'2J');
         INSERT INTO versions(name, version, nonce, ciphertext, plain, created) VALUES ({evil_secret}, 1, NULL, NULL, 'v'||char(27)||'[31m', 'now');
         UPDATE secrets SET description = 'abc'||char(8238)||'fed'||char(8207)||char(1564) WHERE name = 'A_TOKEN';
         INSERT INTO agents(name, description, created, last_run) VALUES ({evil_agent}, 'd'||char(8234), char(27)||'[1m', char(27)||']52;c;eA=='||char(7));
         INSERT INTO grants(agent, secret, created) VALUES ('bot', {evil_secret}, 'now');
         INSERT INTO grants(agent, secret, created) VALUES ({evil_agent}, 'A_TOKEN', 'now');
         UPDATE agents SET description = 'bot'||char(8238)||'txt' WHERE name = 'bot';"
    ));
    for args in [
        &["list"][..],
        &["agent", "list"][..],
        &["agent", "show", "bot"][..],
        &["get", "A_TOKEN"][..],
        &["get", "A_TOKN"][..],
        &["list", "--agent", "bot"][..],
    ] {
        let o = e.vault(args).output().unwrap();
        assert_code_no_leak(&o, code(&o).unwrap(), &["a-value-1234"]);
        assert_inert(&stdout(&o), &format!("{args:?} stdout"));
        assert_inert(&stderr(&o), &format!("{args:?} stderr"));
    }
    let o = e.ok(&["list"]);
    assert!(stdout(&o).contains("<invalid name \""), "{}", stdout(&o));
    assert!(stdout(&o).contains("abc\\u{202e}fed"), "{}", stdout(&o));
    let o = e.ok(&["agent", "list"]);
    assert!(
        stdout(&o).contains("<invalid name \"bad\\r"),
        "{}",
        stdout(&o)
    );
    let o = e.ok(&["agent", "show", "bot"]);
    assert!(stdout(&o).contains("<invalid name"), "{}", stdout(&o));
    // JSON stays valid JSON and means the same text; only the raw bytes change.
    for args in [
        &["list", "--json"][..],
        &["agent", "list", "--json"][..],
        &["agent", "show", "bot", "--json"][..],
        &["get", "A_TOKEN", "--json"][..],
    ] {
        let o = e.ok(args);
        assert_inert(&stdout(&o), &format!("{args:?}"));
        let v = json(&o);
        let text = v.to_string();
        assert!(
            text.contains("abc\u{202e}fed")
                || text.contains("bot\u{202e}txt")
                || text.contains("bad\r"),
            "{args:?}: {text}"
        );
    }
}

/// Run vault with stdout on a pseudo-terminal `cols` wide (stderr piped);
/// what the terminal received, lines without the pty's `\r`.
fn on_pty(e: &Env, args: &[&str], cols: u16, columns_env: Option<&str>) -> (Option<i32>, String) {
    use std::io::Read;
    let (master, slave) = crate::util::openpty(40, cols);
    let slave = std::fs::File::from(slave);
    let mut c = e.std_cmd(VAULT_BIN);
    c.args(args)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(slave.try_clone().unwrap())
        .stderr(std::process::Stdio::piped());
    if let Some(v) = columns_env {
        c.env("COLUMNS", v);
    }
    let child = c.spawn().unwrap();
    // The Command holds its copy of the terminal until dropped: without
    // this, reading the master never ends.
    drop(c);
    drop(slave);
    let mut master = std::fs::File::from(master);
    let reader = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        // EIO once the last holder of the terminal has gone.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        all
    });
    let o = child.wait_with_output().unwrap();
    let text = String::from_utf8(reader.join().unwrap())
        .unwrap()
        .replace('\r', "");
    (o.status.code(), text)
}

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

// See: issue 17 item 21
#[test]
fn list_fits_the_terminal_width_and_is_whole_when_piped() {
    let e = Env::new();
    let long = "rotated monthly by the platform team; the old one stays valid for a day so deploys in flight keep working";
    for (name, value) in [
        ("OPENAI_API_KEY", "sk-openai-value-1234"),
        ("STRIPE_SECRET_KEY_LIVE", "sk-live-value-1234"),
    ] {
        e.ok(&["set", name, value, "--description", long]);
    }
    e.ok(&[
        "set",
        "API_BASE_URL",
        "https://api.example.com/v1",
        "--variable",
    ]);
    e.ok(&["agent", "create", "deploy-bot", "--description", long]);
    e.ok(&["grant", "OPENAI_API_KEY", "--agent", "deploy-bot"]);
    for (cols, env, limit) in [
        (80, None, 80),
        (100, None, 100),
        (200, Some("60"), 60),
        (120, Some("80"), 80),
    ] {
        let (status, text) = on_pty(&e, &["list"], cols, env);
        assert_eq!(status, Some(0), "{text}");
        assert!(widest(&text) <= limit, "{cols} {env:?}:\n{text}");
        for name in ["OPENAI_API_KEY", "STRIPE_SECRET_KEY_LIVE", "API_BASE_URL"] {
            assert!(text.contains(name), "a name was cut at {cols}:\n{text}");
        }
        // Masks whole, descriptions cut with an ellipsis, no value shown.
        assert_eq!(text.matches("••••••••").count(), 2, "{text}");
        assert!(text.contains('…'), "{text}");
        assert!(!text.contains("sk-openai-value-1234") && !text.contains("sk-live-value-1234"));
        let (status, text) = on_pty(&e, &["agent", "list"], cols, env);
        assert_eq!(status, Some(0), "{text}");
        assert!(
            widest(&text) <= limit,
            "agent list at {cols} {env:?}:\n{text}"
        );
        assert!(text.contains("deploy-bot"), "{text}");
    }
    // A wide terminal shows everything; piped output is always whole.
    let (_, text) = on_pty(&e, &["list"], 250, None);
    assert!(text.contains(long), "{text}");
    let o = e.vault(&["list"]).env("COLUMNS", "40").output().unwrap();
    assert!(stdout(&o).contains(long), "{}", stdout(&o));
    assert!(stdout(&o).contains("CREATED"));
}
