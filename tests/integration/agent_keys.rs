//! Agent keys (issue 12, DESIGN §7.1): agents in homes of their own, with
//! only an agent key (no key file, no VAULT_KEY), against one vault; both
//! engines. Tampering is done with SQL on the vault's database.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::util::{assert_code_no_leak, stderr, stdout, Env, VAULT_BIN};

const A: &str = "sk-agent-a-secret-value-0001";
const A2: &str = "sk-agent-a-secret-value-0002";
const B: &str = "sk-agent-b-secret-value-0001";
const ALL: &[&str] = &[A, A2, B];

/// An agent's machine: its own HOME / XDG dirs, no master key at hand.
struct Agent {
    home: PathBuf,
}

impl Agent {
    fn new(env: &Env, name: &str) -> Agent {
        let home = env.root().join(format!("agent-{name}"));
        std::fs::create_dir_all(&home).unwrap();
        Agent { home }
    }

    fn cmd(&self, env: &Env, key: Option<&Path>) -> std::process::Command {
        let mut c = env.std_cmd(VAULT_BIN);
        c.env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("XDG_STATE_HOME", self.home.join(".local/state"))
            // No master key here: the vault dir's key file is not this machine's.
            .env("VAULT_KEY_FILE", self.home.join("no-master.key"));
        if let Some(k) = key {
            c.env("VAULT_AGENT_KEY_FILE", k);
        }
        c
    }

    fn run(&self, env: &Env, key: Option<&Path>, args: &[&str]) -> Output {
        self.cmd(env, key).args(args).output().expect("run vault")
    }
}

/// A vault with A_KEY granted to bot-a, B_KEY granted to bot-b, a global
/// variable, and a token for each agent in the test root.
fn setup() -> (Env, PathBuf, PathBuf) {
    let env = Env::new();
    env.ok(&["agent", "create", "bot-a"]);
    env.ok(&["agent", "create", "bot-b"]);
    env.ok(&["set", "A_KEY", A, "--agent", "bot-a"]);
    env.ok(&["set", "B_KEY", B, "--agent", "bot-b"]);
    env.ok(&["set", "API_URL", "https://api.example.com", "--variable"]);
    let ka = env.root().join("bot-a.key");
    let kb = env.root().join("bot-b.key");
    for (name, k) in [("bot-a", &ka), ("bot-b", &kb)] {
        let o = env.ok(&["agent", "token", name, "--out", k.to_str().unwrap()]);
        assert!(stdout(&o).is_empty(), "the key goes to the file only");
    }
    (env, ka, kb)
}

/// `run` through `sh` that writes the environment to a marker file.
fn run_env(agent: &Agent, env: &Env, key: Option<&Path>, name: &str) -> (Output, PathBuf) {
    let marker = agent.home.join("started");
    let _ = std::fs::remove_file(&marker);
    let o = agent.run(
        env,
        key,
        &[
            "run",
            "--agent",
            name,
            "--no-masking",
            "--",
            "sh",
            "-c",
            &format!("env > {}", marker.display()),
        ],
    );
    (o, marker)
}

#[test]
fn two_agents_each_see_only_their_grants() {
    let (env, ka, kb) = setup();
    let (a, b) = (Agent::new(&env, "a"), Agent::new(&env, "b"));
    let (o, marker) = run_env(&a, &env, Some(&ka), "bot-a");
    assert_code_no_leak(&o, 0, ALL);
    let seen = std::fs::read_to_string(&marker).unwrap();
    assert!(seen.contains(&format!("A_KEY={A}")), "{seen}");
    assert!(seen.contains("API_URL=https://api.example.com"));
    assert!(!seen.contains(B));
    // The key never reaches the child, nor does the database URL.
    for v in [
        "VAULT_AGENT_KEY",
        "VAULT_AGENT_KEY_FILE",
        "VAULT_DATABASE_URL",
    ] {
        assert!(!seen.contains(&format!("{v}=")), "{v} reached the child");
    }
    let key_text = std::fs::read_to_string(&ka).unwrap();
    assert!(!seen.contains(key_text.trim()));

    let (o, marker) = run_env(&b, &env, Some(&kb), "bot-b");
    assert_code_no_leak(&o, 0, &[A, A2]);
    let seen = std::fs::read_to_string(&marker).unwrap();
    assert!(seen.contains(&format!("B_KEY={B}")) && !seen.contains(A));

    // get --reveal and export: the same view.
    let o = a.run(&env, Some(&ka), &["get", "A_KEY", "--reveal"]);
    assert_code_no_leak(&o, 0, &[B]);
    assert_eq!(stdout(&o), format!("{A}\n"));
    let o = a.run(&env, Some(&ka), &["get", "B_KEY", "--reveal"]);
    assert_code_no_leak(&o, 5, ALL);
    assert!(stderr(&o).contains("permission denied"), "{}", stderr(&o));
    let o = a.run(&env, Some(&ka), &["export"]);
    assert_code_no_leak(&o, 0, &[B]);
    assert!(stdout(&o).contains("A_KEY=") && stdout(&o).contains("API_URL="));

    // Another agent's name with this key, and anything else: exit 5.
    let o = a.run(&env, Some(&ka), &["run", "--agent", "bot-b", "--", "true"]);
    assert_code_no_leak(&o, 125, ALL);
    assert!(stderr(&o).contains("not of bot-b"), "{}", stderr(&o));
    for args in [&["list"][..], &["set", "X", "y"], &["agent", "list"]] {
        let o = a.run(&env, Some(&ka), args);
        assert_code_no_leak(&o, 5, ALL);
        assert!(stderr(&o).contains("permission denied"), "{}", stderr(&o));
    }
    // The key is never in argv: vault has no flag for it.
    let o = a.run(&env, None, &["run", "--agent-key", "x", "--", "true"]);
    assert_ne!(o.status.code(), Some(0));
}

#[test]
fn rotation_reaches_the_agent_on_its_next_run() {
    let (env, ka, _) = setup();
    let a = Agent::new(&env, "a");
    let o = a.run(&env, Some(&ka), &["get", "A_KEY", "--reveal"]);
    assert_eq!(stdout(&o), format!("{A}\n"));
    env.ok(&["set", "A_KEY", A2]);
    let o = a.run(&env, Some(&ka), &["get", "A_KEY", "--reveal"]);
    assert_code_no_leak(&o, 0, &[A, B]);
    assert_eq!(stdout(&o), format!("{A2}\n"));
    // A revoked grant is gone from the agent's view.
    env.ok(&["revoke", "A_KEY", "--agent", "bot-a"]);
    let o = a.run(&env, Some(&ka), &["get", "A_KEY", "--reveal"]);
    assert_code_no_leak(&o, 5, ALL);
}

#[test]
fn a_copy_of_another_agents_rows_still_cannot_be_opened() {
    let (env, ka, _) = setup();
    let a = Agent::new(&env, "a");
    // bot-a's statement and wraps replaced by copies of bot-b's.
    env.sql(
        "DELETE FROM statements WHERE agent_id = (SELECT id FROM agent_ids WHERE agent = 'bot-a');
         INSERT INTO statements(agent_id, policy_seq, signer, bytes, sig)
           SELECT (SELECT id FROM agent_ids WHERE agent = 'bot-a'), policy_seq + 100, signer, bytes, sig
           FROM statements WHERE agent_id = (SELECT id FROM agent_ids WHERE agent = 'bot-b');
         INSERT INTO agent_wraps(agent_id, epoch, env, name, version, wrap)
           SELECT (SELECT id FROM agent_ids WHERE agent = 'bot-a'), epoch, env, name, version, wrap
           FROM agent_wraps WHERE agent_id = (SELECT id FROM agent_ids WHERE agent = 'bot-b');",
    );
    let (o, marker) = run_env(&a, &env, Some(&ka), "bot-a");
    assert_code_no_leak(&o, 125, ALL);
    assert!(!marker.exists(), "the command must not start");
    let o = a.run(&env, Some(&ka), &["get", "B_KEY", "--reveal"]);
    assert_code_no_leak(&o, 6, ALL);
}

#[test]
fn a_grant_row_inserted_with_sql_stops_the_run() {
    let (env, ka, _) = setup();
    let a = Agent::new(&env, "a");
    env.sql("INSERT INTO grants(agent, secret, created) VALUES ('bot-a', 'B_KEY', 'x')");
    let (o, marker) = run_env(&a, &env, Some(&ka), "bot-a");
    assert_code_no_leak(&o, 125, ALL);
    assert!(stderr(&o).contains("outside vault"), "{}", stderr(&o));
    assert!(!marker.exists(), "the command must not start");
}

#[test]
fn an_older_statement_stops_the_run() {
    let (env, ka, _) = setup();
    let a = Agent::new(&env, "a");
    env.sql("CREATE TABLE old_statements AS SELECT * FROM statements");
    let (o, _) = run_env(&a, &env, Some(&ka), "bot-a");
    assert_code_no_leak(&o, 0, ALL);
    env.ok(&["set", "A_KEY", A2]);
    let (o, _) = run_env(&a, &env, Some(&ka), "bot-a");
    assert_code_no_leak(&o, 0, ALL);
    env.sql(
        "DELETE FROM statements;
         INSERT INTO statements SELECT * FROM old_statements;",
    );
    let (o, marker) = run_env(&a, &env, Some(&ka), "bot-a");
    assert_code_no_leak(&o, 125, ALL);
    assert!(stderr(&o).contains("older"), "{}", stderr(&o));
    assert!(!marker.exists(), "the command must not start");
}

#[test]
fn a_swapped_ciphertext_stops_the_run() {
    let (env, ka, _) = setup();
    let a = Agent::new(&env, "a");
    env.sql(
        "UPDATE versions SET nonce = (SELECT nonce FROM versions WHERE name = 'B_KEY'),
           ciphertext = (SELECT ciphertext FROM versions WHERE name = 'B_KEY')
         WHERE name = 'A_KEY'",
    );
    let (o, marker) = run_env(&a, &env, Some(&ka), "bot-a");
    assert_code_no_leak(&o, 125, ALL);
    assert!(stderr(&o).contains("swapped"), "{}", stderr(&o));
    assert!(!marker.exists(), "the command must not start");
}

#[test]
fn an_edited_statement_stops_the_run() {
    let (env, ka, _) = setup();
    let a = Agent::new(&env, "a");
    // Sign bytes nobody signed: the signature of bot-b's statement over bot-a's bytes.
    env.sql(
        "UPDATE statements SET sig = (SELECT sig FROM statements WHERE agent_id = (SELECT id FROM agent_ids WHERE agent = 'bot-b'))
         WHERE agent_id = (SELECT id FROM agent_ids WHERE agent = 'bot-a')",
    );
    let (o, marker) = run_env(&a, &env, Some(&ka), "bot-a");
    assert_code_no_leak(&o, 125, ALL);
    assert!(!marker.exists(), "the command must not start");
    let o = a.run(&env, Some(&ka), &["get", "A_KEY", "--reveal"]);
    assert_code_no_leak(&o, 6, ALL);
}

#[test]
fn revoke_key_then_the_agent_is_refused() {
    let (env, ka, _) = setup();
    let a = Agent::new(&env, "a");
    let (o, _) = run_env(&a, &env, Some(&ka), "bot-a");
    assert_code_no_leak(&o, 0, ALL);
    let o = env.ok(&["agent", "revoke-key", "bot-a"]);
    assert!(stdout(&o).contains("A_KEY version 1"), "{}", stdout(&o));
    let (o, marker) = run_env(&a, &env, Some(&ka), "bot-a");
    assert_code_no_leak(&o, 125, ALL);
    assert!(!marker.exists());
    let o = a.run(&env, Some(&ka), &["get", "A_KEY", "--reveal"]);
    assert_code_no_leak(&o, 5, ALL);
    assert!(stderr(&o).contains("revoked"), "{}", stderr(&o));
    assert_eq!(
        env.sql_i64("SELECT count(*) FROM agent_wraps WHERE agent_id = (SELECT id FROM agent_ids WHERE agent = 'bot-a')"),
        0
    );
}

#[test]
fn an_expired_token_is_refused() {
    let env = Env::new();
    env.ok(&["agent", "create", "bot-a"]);
    env.ok(&["set", "A_KEY", A, "--agent", "bot-a"]);
    let k = env.root().join("short.key");
    env.ok(&[
        "agent",
        "token",
        "bot-a",
        "--ttl",
        "1s",
        "--out",
        k.to_str().unwrap(),
    ]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let a = Agent::new(&env, "a");
    let o = a.run(&env, Some(&k), &["get", "A_KEY", "--reveal"]);
    assert_code_no_leak(&o, 5, ALL);
    assert!(stderr(&o).contains("expired"), "{}", stderr(&o));
}

#[test]
fn token_out_never_overwrites() {
    let env = Env::new();
    env.ok(&["agent", "create", "bot-a"]);
    env.ok(&["set", "A_KEY", A, "--agent", "bot-a"]);
    let k = env.root().join("taken.key");
    std::fs::write(&k, "keep me").unwrap();
    let o = env
        .vault(&["agent", "token", "bot-a", "--out", k.to_str().unwrap()])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 4, ALL);
    assert_eq!(std::fs::read_to_string(&k).unwrap(), "keep me");
    // Printed once on stdout otherwise: the one line VAULT_AGENT_KEY takes.
    let o = env.ok(&["agent", "token", "bot-a"]);
    let text = stdout(&o);
    assert!(text.starts_with("vault-agent-v1:") && text.ends_with('\n'));
    let a = Agent::new(&env, "a");
    let o = a
        .cmd(&env, None)
        .env("VAULT_AGENT_KEY", text.trim())
        .args(["get", "A_KEY", "--reveal"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 0, &[]);
    assert_eq!(stdout(&o), format!("{A}\n"));
}

#[test]
fn enroll_and_approve_round_trip() {
    let env = Env::new();
    env.ok(&["agent", "create", "bot-a"]);
    env.ok(&["set", "A_KEY", A, "--agent", "bot-a"]);
    let info = stdout(&env.ok(&["info"]));
    let fpr = info
        .split_whitespace()
        .find(|w| w.starts_with("vault-root:SHA256:"))
        .expect("root fingerprint in vault info")
        .to_owned();
    let a = Agent::new(&env, "a");
    // A fingerprint that is not this vault's: refused, nothing written.
    let wrong = format!("vault-root:SHA256:{}", "0".repeat(64));
    let o = a.run(&env, None, &["agent", "enroll", "bot-a", "--root", &wrong]);
    assert_code_no_leak(&o, 5, ALL);
    let o = a.run(&env, None, &["agent", "enroll", "bot-a", "--root", &fpr]);
    assert_code_no_leak(&o, 0, ALL);
    let request = stdout(&o).trim().to_owned();
    assert!(request.starts_with("vault-enroll-v1:"));
    let agent_fpr = stderr(&o)
        .split_whitespace()
        .find(|w| w.starts_with("vault-agent:SHA256:"))
        .expect("the agent's fingerprint")
        .to_owned();
    let key_file = a.home.join(".config/vault/agents/bot-a.key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Not approved yet: refused.
    let o = a.run(&env, None, &["run", "--agent", "bot-a", "--", "true"]);
    assert_code_no_leak(&o, 125, ALL);
    // Approve needs --yes when stdin is not a terminal.
    let o = env
        .std_cmd(VAULT_BIN)
        .args(["agent", "approve", &request])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_code_no_leak(&o, 7, ALL);
    let o = env.ok(&["agent", "approve", &request, "--yes"]);
    assert!(stderr(&o).contains(&agent_fpr), "{}", stderr(&o));
    assert!(stderr(&o).contains(&fpr));
    // The enrolled key is found without any variable.
    let (o, marker) = run_env(&a, &env, None, "bot-a");
    assert_code_no_leak(&o, 0, ALL);
    assert!(std::fs::read_to_string(marker).unwrap().contains(A));
    let show = stdout(&env.ok(&["agent", "show", "bot-a"]));
    assert!(
        show.contains(&agent_fpr) && show.contains("keyring epoch"),
        "{show}"
    );
}

#[test]
fn approve_refuses_a_small_order_key() {
    use base64::Engine as _;
    let env = Env::new();
    env.ok(&["set", "A_KEY", A]);
    let vault_id: Vec<u8> = {
        let hex = env_vault_id(&env);
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    };
    let field = |out: &mut Vec<u8>, b: &[u8]| {
        out.extend_from_slice(&(b.len() as u32).to_be_bytes());
        out.extend_from_slice(b);
    };
    let mut body = vault_id;
    field(&mut body, b"agent");
    field(&mut body, b"bot-x");
    body.extend_from_slice(&[0u8; 32]); // kem_pk: the small-order point 0
    let sign = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    body.extend_from_slice(sign.verifying_key().as_bytes());
    field(&mut body, b"");
    let mut m = b"vault/v2/enroll\0".to_vec();
    m.extend_from_slice(&body);
    use ed25519_dalek::Signer;
    body.extend_from_slice(&sign.sign(&m).to_bytes());
    let request = format!(
        "vault-enroll-v1:{}",
        base64::engine::general_purpose::STANDARD.encode(&body)
    );
    let o = env
        .vault(&["agent", "approve", &request, "--yes"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 7, ALL);
    assert!(stderr(&o).contains("small order"), "{}", stderr(&o));
}

/// The vault id as `vault info --json` gives it (hex).
fn env_vault_id(env: &Env) -> String {
    let v = crate::util::json(&env.ok(&["info", "--json"]));
    v["vault_id"].as_str().expect("vault_id").to_owned()
}

/// After every kind of owner write, the agent's own view (its key, its
/// signed statement) is what the owner's `export --agent` says it receives.
#[test]
fn every_owner_write_keeps_the_agents_view_in_step() {
    let (env, ka, _) = setup();
    let a = Agent::new(&env, "a");
    let dotenv = env.root().join("more.env");
    std::fs::write(&dotenv, "E_KEY=sk-agent-e-0001\nF_VAR=plain\n").unwrap();
    let dotenv = dotenv.to_str().unwrap();
    let steps: &[&[&str]] = &[
        &["import", dotenv, "--agent", "bot-a"],
        &["set", "A_KEY", A2],
        &["set", "C_KEY", "sk-agent-c-0001", "--agent", "bot-a"],
        &["edit", "C_KEY", "--global"],
        &["edit", "C_KEY", "--agent-only"],
        &["rollback", "A_KEY", "--to", "1"],
        &["rename", "C_KEY", "D_KEY"],
        &["grant", "B_KEY", "--agent", "bot-a"],
        &["set", "B_KEY", "sk-agent-b-prod-0001", "--env", "prod"],
        &["agent", "create", "bot-a2", "--from", "bot-a"],
        &["delete", "D_KEY", "--force"],
        &["revoke", "B_KEY", "--agent", "bot-a"],
        &["edit", "API_URL", "--secret"],
    ];
    for step in steps {
        env.ok(step);
        let owner = stdout(&env.ok(&["export", "--agent", "bot-a"]));
        let o = a.run(&env, Some(&ka), &["export"]);
        assert_eq!(o.status.code(), Some(0), "after {step:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), owner, "after {step:?}");
    }
}

/// A row widened outside vault (B_KEY made global with SQL, its tag kept)
/// must not be signed into bot-a's statement by the owner's next write:
/// the sync checks every row it signs, so the write fails closed (exit 6)
/// and bot-a's view stays what the owner gave it.
#[test]
fn an_owner_write_never_signs_a_row_edited_outside_vault() {
    let (env, ka, _kb) = setup();
    env.sql("UPDATE secrets SET scope = 'global' WHERE name = 'B_KEY'");
    let o = env
        .vault(&["set", "OTHER", "sk-other-value-0001"])
        .output()
        .unwrap();
    assert_code_no_leak(&o, 6, ALL);
    let a = Agent::new(&env, "a");
    let (o, marker) = run_env(&a, &env, Some(&ka), "bot-a");
    assert_code_no_leak(&o, 0, ALL);
    let seen = std::fs::read_to_string(&marker).unwrap();
    assert!(seen.contains(&format!("A_KEY={A}")), "{seen}");
    assert!(!seen.contains(B), "the widened row reached bot-a");
}
