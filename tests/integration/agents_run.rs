//! Issue 3: agents, grants, scopes, providers, manifests, and `vault run`'s
//! process semantics (environment, exit statuses, argv, delivery records).

use crate::util::*;

/// `vault run [flags] -- sh -c SCRIPT`
fn run_sh(env: &Env, flags: &[&str], script: &str) -> std::process::Output {
    let mut args = vec!["run"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["--", "sh", "-c", script]);
    env.vault(&args).output().unwrap()
}

fn agent_env() -> Env {
    let env = Env::new();
    env.set("GLOBAL_TOKEN", "global-value-1");
    env.ok(&["agent", "create", "support-bot", "-d", "answers tickets"]);
    env.ok(&["agent", "create", "other-bot"]);
    env.ok(&[
        "set",
        "BOT_TOKEN",
        "bot-only-value",
        "--agent",
        "support-bot",
    ]);
    env
}

#[test]
fn agents_are_created_listed_shown_and_deleted() {
    let env = agent_env();
    let out = env
        .vault(&["agent", "create", "support-bot"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    let v = json(&env.ok(&["agent", "list", "--json"]));
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[1]["name"], "support-bot");
    assert_eq!(v[1]["grants"][0], "BOT_TOKEN");
    let v = json(&env.ok(&["agent", "show", "support-bot", "--json"]));
    assert_eq!(v["description"], "answers tickets");
    assert_eq!(v["grants"][0]["state"], "pending");
    let out = env
        .vault(&["agent", "show", "support-bto"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("did you mean support-bot"),
        "{}",
        stderr(&out)
    );
    let out = env
        .vault(&["agent", "create", "Bad Name"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    env.ok(&["agent", "delete", "support-bot"]);
    assert_eq!(env.sql_i64("SELECT COUNT(*) FROM grants"), 0);
    // The secret survives its agent; deleting it is no longer refused.
    env.ok(&["delete", "BOT_TOKEN"]);
}

#[test]
fn set_with_agent_scopes_and_grants_and_needs_the_agent() {
    let env = agent_env();
    let v = json(&env.ok(&["get", "BOT_TOKEN", "--json"]));
    assert_eq!(v["scope"], "agent");
    assert_eq!(v["agents"][0], "support-bot");
    let out = env
        .vault(&["set", "X_TOKEN", "xx-value", "--agent", "ghost"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 3, &["xx-value"]);
}

#[test]
fn list_for_an_agent_shows_globals_and_its_grants() {
    let env = agent_env();
    env.ok(&["set", "OTHER_TOKEN", "other-value", "--agent", "other-bot"]);
    let names = |args: &[&str]| -> Vec<String> {
        json(&env.ok(args))
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(&["list", "--agent", "support-bot", "--json"]),
        ["BOT_TOKEN", "GLOBAL_TOKEN"]
    );
    assert_eq!(
        names(&["list", "--agent", "other-bot", "--json"]),
        ["GLOBAL_TOKEN", "OTHER_TOKEN"]
    );
    assert_eq!(names(&["list", "--json"]).len(), 3);
}

#[test]
fn delete_of_a_granted_secret_is_refused_unless_forced() {
    let env = agent_env();
    let out = env.vault(&["delete", "BOT_TOKEN"]).output().unwrap();
    assert_code_no_leak(&out, 4, &["bot-only-value"]);
    assert!(stderr(&out).contains("support-bot"), "{}", stderr(&out));
    assert_eq!(env.reveal("BOT_TOKEN"), "bot-only-value");
    env.ok(&["delete", "BOT_TOKEN", "--force"]);
    assert_eq!(
        env.vault(&["get", "BOT_TOKEN"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(3)
    );
}

#[test]
fn grant_and_revoke() {
    let env = agent_env();
    env.ok(&["grant", "GLOBAL_TOKEN", "--agent", "other-bot"]);
    let out = env.ok(&["grant", "GLOBAL_TOKEN", "--agent", "other-bot"]);
    assert!(stdout(&out).contains("already"));
    env.ok(&["revoke", "GLOBAL_TOKEN", "--agent", "other-bot"]);
    assert_eq!(
        env.vault(&["grant", "NOPE", "--agent", "other-bot"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(3)
    );
    assert_eq!(
        env.vault(&["grant", "GLOBAL_TOKEN", "--agent", "nope"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(3)
    );
}

#[test]
fn providers_are_listed_and_one_credential_per_provider_per_agent() {
    let env = agent_env();
    let v = json(&env.ok(&["providers", "--json"]));
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    for id in ["anthropic", "openai", "openrouter", "venice", "custom"] {
        assert!(ids.contains(&id), "{id}");
    }
    env.ok(&[
        "set",
        "OPENAI_API_KEY",
        "sk-first-111",
        "--provider",
        "openai",
        "--agent",
        "support-bot",
    ]);
    env.ok(&[
        "set",
        "OPENAI_KEY_TWO",
        "sk-second-222",
        "--provider",
        "openai",
        "--agent",
        "other-bot",
    ]);
    let out = env
        .vault(&["grant", "OPENAI_KEY_TWO", "--agent", "support-bot"])
        .output()
        .unwrap();
    assert_code_no_leak(&out, 4, &["sk-first-111", "sk-second-222"]);
    assert!(stderr(&out).contains("OPENAI_API_KEY"), "{}", stderr(&out));
    assert_eq!(
        env.sql_i64(
            "SELECT COUNT(*) FROM grants WHERE secret = 'OPENAI_KEY_TWO' AND agent = 'support-bot'"
        ),
        0,
        "refused grant left nothing"
    );
    let out = env
        .vault(&["set", "X_KEY", "v", "--provider", "opneai"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert!(
        stderr(&out).contains("did you mean openai"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn run_injects_globals_and_only_the_agents_grants() {
    let env = agent_env();
    let script = "printf '%s|%s' \"${GLOBAL_TOKEN-unset}\" \"${BOT_TOKEN-unset}\"";
    let out = run_sh(&env, &["--no-masking"], script);
    assert_eq!(stdout(&out), "global-value-1|unset");
    let out = run_sh(&env, &["--no-masking", "--agent", "support-bot"], script);
    assert_eq!(stdout(&out), "global-value-1|bot-only-value");
    let out = run_sh(&env, &["--no-masking", "--agent", "other-bot"], script);
    assert_eq!(stdout(&out), "global-value-1|unset");
}

#[test]
fn run_with_an_unknown_agent_exits_125_with_a_suggestion() {
    let env = agent_env();
    let out = run_sh(&env, &["--agent", "suport-bot"], "touch started");
    assert_code_no_leak(&out, 125, &["global-value-1", "bot-only-value"]);
    assert!(
        stderr(&out).contains("did you mean support-bot"),
        "{}",
        stderr(&out)
    );
    assert!(!env.root().join("started").exists());
}

#[test]
fn run_exit_statuses_follow_the_contract_in_both_modes() {
    let env = agent_env();
    let not_exec = env.root().join("not-executable.sh");
    std::fs::write(&not_exec, "#!/bin/sh\necho hi\n").unwrap();
    for mode in [&[][..], &["--no-masking"][..]] {
        let code = |cmd: &[&str]| {
            let mut args = vec!["run"];
            args.extend_from_slice(mode);
            args.push("--");
            args.extend_from_slice(cmd);
            let out = env.vault(&args).output().unwrap();
            assert!(
                !stdout(&out).contains("global-value-1")
                    && !stderr(&out).contains("global-value-1")
            );
            // As a shell reports it: after exec (--no-masking) vault *is* the
            // command, so a signal death is the process's own.
            use std::os::unix::process::ExitStatusExt;
            out.status.code().or(out.status.signal().map(|s| 128 + s))
        };
        assert_eq!(code(&["sh", "-c", "exit 42"]), Some(42), "{mode:?}");
        assert_eq!(code(&["sh", "-c", "exit 0"]), Some(0));
        assert_eq!(code(&[not_exec.to_str().unwrap()]), Some(126));
        assert_eq!(code(&["definitely-not-a-command-xyz"]), Some(127));
        assert_eq!(code(&["sh", "-c", "kill -TERM $$"]), Some(143));
        assert_eq!(code(&["sh", "-c", "kill -KILL $$"]), Some(137));
    }
}

#[test]
fn run_passes_arguments_through_exactly() {
    let env = agent_env();
    let args = [
        "two words",
        "",
        "'single'",
        "\"double\"",
        "--flag",
        "-x",
        "$HOME",
        "back\\slash",
        "ünï",
        "a\nb",
    ];
    for mode in [&[][..], &["--no-masking"][..]] {
        let mut cmd = vec!["run"];
        cmd.extend_from_slice(mode);
        cmd.extend_from_slice(&["--", "printf", "[%s]"]);
        cmd.extend_from_slice(&args);
        let out = env.ok(&cmd);
        let expected: String = args.iter().map(|a| format!("[{a}]")).collect();
        assert_eq!(stdout(&out), expected, "{mode:?}");
    }
}

#[test]
fn secrets_override_inherited_variables_and_unlock_material_is_removed() {
    let env = agent_env();
    let key = std::fs::read_to_string(env.key_file()).unwrap();
    let out = env
        .vault(&["run", "--no-masking", "--", "sh", "-c", "printf '%s|%s|%s' \"$GLOBAL_TOKEN\" \"${VAULT_KEY-none}\" \"${VAULT_PASSPHRASE-none}\""])
        .env("GLOBAL_TOKEN", "inherited")
        .env("VAULT_KEY", key.trim())
        .env("VAULT_PASSPHRASE", "pp")
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "global-value-1|none|none");
}

#[test]
fn clean_env_keeps_only_the_basics_and_the_secrets() {
    let env = agent_env();
    let out = env
        .vault(&["run", "--no-masking", "--clean-env", "--", "env"])
        .env("SOME_LEAKY_VAR", "leak")
        .env("USER", "tester")
        .env("TERM", "xterm")
        .output()
        .unwrap();
    let mut names: Vec<String> = stdout(&out)
        .lines()
        .filter_map(|l| l.split('=').next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names.retain(|n| n != "PWD" && n != "SHLVL" && n != "_");
    assert_eq!(
        names,
        ["GLOBAL_TOKEN", "HOME", "LANG", "PATH", "TERM", "USER"]
    );
}

#[test]
fn loader_variables_are_refused_by_set() {
    let env = Env::new();
    let out = env
        .vault(&["set", "LD_PRELOAD", "/tmp/evil.so"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    let out = env
        .vault(&["set", "DYLD_INSERT_LIBRARIES", "/tmp/evil.dylib"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
}

fn write_manifest(env: &Env, name: &str, body: &str) -> std::path::PathBuf {
    let p = env.root().join(name);
    std::fs::write(&p, body).unwrap();
    p
}

#[test]
fn manifest_in_cwd_narrows_to_declared_names() {
    let env = agent_env();
    env.set("UNDECLARED", "undeclared-value");
    write_manifest(&env, "vault.toml", "[[secrets]]\nname = \"GLOBAL_TOKEN\"\n\n[[secrets]]\nname = \"SENTRY_DSN\"\noptional = true\n");
    let out = run_sh(
        &env,
        &["--no-masking"],
        "printf '%s|%s' \"${GLOBAL_TOKEN-unset}\" \"${UNDECLARED-unset}\"",
    );
    assert_eq!(stdout(&out), "global-value-1|unset");
}

#[test]
fn manifest_missing_required_names_stop_the_run_with_one_line_each() {
    let env = agent_env();
    write_manifest(
        &env,
        "vault.toml",
        "[[secrets]]\nname = \"MISSING_ONE\"\n\n[[secrets]]\nname = \"BOT_TOKEN\"\n\n[[secrets]]\nname = \"GLOBAL_TOKEN\"\n",
    );
    let out = run_sh(&env, &["--agent", "other-bot"], "touch started");
    assert_code_no_leak(&out, 125, &["global-value-1", "bot-only-value"]);
    let err = stderr(&out);
    assert!(err.contains("vault set MISSING_ONE"), "{err}");
    assert!(
        err.contains("vault grant BOT_TOKEN --agent other-bot"),
        "{err}"
    );
    assert!(!env.root().join("started").exists());
    let out = run_sh(&env, &["--agent", "support-bot"], "touch started");
    assert_eq!(out.status.code(), Some(125));
    env.set("MISSING_ONE", "now-here");
    let out = run_sh(&env, &["--agent", "support-bot"], "touch started");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn malformed_manifest_exits_125_with_file_and_line() {
    let env = agent_env();
    write_manifest(
        &env,
        "vault.toml",
        "[[secrets]]\nname = \"GLOBAL_TOKEN\"\noptinal = true\n",
    );
    let out = run_sh(&env, &[], "touch started");
    assert_eq!(out.status.code(), Some(125));
    assert!(stderr(&out).contains("vault.toml:3"), "{}", stderr(&out));
    let m = write_manifest(&env, "other.toml", "[[secrets]\nname=\n");
    let out = run_sh(&env, &["--manifest", m.to_str().unwrap()], "touch started");
    assert_eq!(out.status.code(), Some(125));
    assert!(stderr(&out).contains("other.toml:1"), "{}", stderr(&out));
    let out = run_sh(&env, &["--manifest", "no-such.toml"], "true");
    assert_eq!(out.status.code(), Some(125));
    assert!(!env.root().join("started").exists());
}

#[test]
fn only_narrows_further_and_unknown_names_stop_the_run() {
    let env = agent_env();
    env.set("SECOND_TOKEN", "second-value");
    let out = run_sh(
        &env,
        &["--no-masking", "--only", "SECOND_TOKEN"],
        "printf '%s|%s' \"${GLOBAL_TOKEN-unset}\" \"$SECOND_TOKEN\"",
    );
    assert_eq!(stdout(&out), "unset|second-value");
    let out = run_sh(
        &env,
        &["--only", "SECOND_TOKEN,NOT_A_SECRET"],
        "touch started",
    );
    assert_eq!(out.status.code(), Some(125));
    assert!(stderr(&out).contains("NOT_A_SECRET"));
    let out = run_sh(&env, &["--only", "BOT_TOKEN"], "touch started");
    assert_eq!(out.status.code(), Some(125), "agent-scoped without --agent");
    assert!(!env.root().join("started").exists());
}

#[test]
fn agent_show_tracks_synced_stale_and_pending() {
    let env = agent_env();
    env.ok(&[
        "set",
        "LATER_TOKEN",
        "later-value",
        "--agent",
        "support-bot",
    ]);
    let state = |name: &str| -> String {
        let v = json(&env.ok(&["agent", "show", "support-bot", "--json"]));
        v["grants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["secret"] == name)
            .unwrap()["state"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(state("BOT_TOKEN"), "pending");
    env.ok(&[
        "run",
        "--agent",
        "support-bot",
        "--only",
        "BOT_TOKEN",
        "--",
        "true",
    ]);
    assert_eq!(state("BOT_TOKEN"), "synced");
    assert_eq!(state("LATER_TOKEN"), "pending");
    env.set("BOT_TOKEN", "rotated-value");
    assert_eq!(state("BOT_TOKEN"), "stale");
    env.ok(&["run", "--agent", "support-bot", "--", "true"]);
    assert_eq!(state("BOT_TOKEN"), "synced");
    assert_eq!(state("LATER_TOKEN"), "synced");
    let out = env.ok(&["agent", "show", "support-bot"]);
    assert!(stdout(&out).contains("synced"));
}

#[test]
fn values_never_appear_in_argv_or_vaults_own_output() {
    let env = agent_env();
    // The command looks at its own argv and its parent's (vault, when masking).
    let script = "cat /proc/self/cmdline /proc/$PPID/cmdline | tr '\\0' ' '; echo";
    for mode in [&[][..], &["--no-masking"][..]] {
        let mut flags = vec!["--agent", "support-bot"];
        flags.extend_from_slice(mode);
        let out = run_sh(&env, &flags, script);
        assert!(out.status.success());
        assert!(
            !stdout(&out).contains("bot-only-value") && !stdout(&out).contains("global-value-1")
        );
        assert!(!stderr(&out).contains("bot-only-value"));
    }
}

#[test]
fn masked_run_redacts_and_no_masking_does_not() {
    let env = agent_env();
    env.ok(&["set", "PUBLIC_URL", "https://public.example", "--variable"]);
    let script = "echo \"$GLOBAL_TOKEN $PUBLIC_URL\"; echo \"$GLOBAL_TOKEN\" >&2";
    let out = run_sh(&env, &[], script);
    assert_eq!(
        stdout(&out),
        "<redacted:GLOBAL_TOKEN> https://public.example\n"
    );
    assert_eq!(stderr(&out), "<redacted:GLOBAL_TOKEN>\n");
    let out = run_sh(&env, &["--no-masking"], script);
    assert_eq!(stdout(&out), "global-value-1 https://public.example\n");
}

/// `vault run [mode] -- argv` with `extra` environment; (code, stderr).
fn run_in_mode(
    env: &Env,
    mode: &[&str],
    argv: &[&str],
    path: Option<&std::path::Path>,
) -> std::process::Output {
    let mut args = vec!["run"];
    args.extend_from_slice(mode);
    args.push("--");
    args.extend_from_slice(argv);
    let mut c = env.vault(&args);
    if let Some(dir) = path {
        let old = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![dir.to_path_buf()];
        paths.extend(std::env::split_paths(&old));
        c.env("PATH", std::env::join_paths(paths).unwrap());
    }
    c.output().unwrap()
}

fn write_exec(path: &std::path::Path, body: &[u8], mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, body).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

// See: issue 17 item 18
#[test]
fn a_missing_interpreter_is_not_reported_as_command_not_found() {
    let env = agent_env();
    let bin = env.root().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // CRLF line endings: the kernel looks for "/bin/sh\r".
    write_exec(
        &bin.join("fetch-report"),
        b"#!/bin/sh\r\necho hi\r\n",
        0o755,
    );
    write_exec(
        &bin.join("train.rb"),
        b"#!/opt/nowhere/ruby -w\nputs 1\n",
        0o755,
    );
    for mode in [&[][..], &["--no-masking"][..]] {
        for (argv, interp) in [
            (bin.join("fetch-report"), "`/bin/sh\\r`"),
            (std::path::PathBuf::from("fetch-report"), "`/bin/sh\\r`"),
            (bin.join("train.rb"), "`/opt/nowhere/ruby`"),
        ] {
            let out = run_in_mode(&env, mode, &[argv.to_str().unwrap()], Some(&bin));
            assert_code_no_leak(&out, 126, &["global-value-1"]);
            let err = stderr(&out);
            assert!(!err.contains("command not found"), "{mode:?} {err}");
            assert!(
                err.contains(&format!("interpreter {interp}")),
                "{mode:?} {err}"
            );
            assert_eq!(
                err.contains("dos2unix"),
                interp.contains("\\r"),
                "{mode:?} {err}"
            );
        }
    }
}

// See: issue 17 item 18
#[test]
fn launch_errors_read_and_exit_the_same_masked_and_unmasked() {
    let env = agent_env();
    let dir = env.root().join("progs");
    std::fs::create_dir(&dir).unwrap();
    let no_hashbang = dir.join("no-hashbang");
    write_exec(&no_hashbang, b"echo started > started\n", 0o755);
    let broken = dir.join("broken-binary");
    write_exec(&broken, b"\x7fELF\x02\x01\x01garbage", 0o755);
    let not_exec = dir.join("tool.sh");
    write_exec(&not_exec, b"#!/bin/sh\necho hi\n", 0o644);
    let missing = dir.join("gone");
    let cases: [(&std::path::Path, i32, &str); 5] = [
        (&no_hashbang, 126, "#! line"),
        (&broken, 126, "not a program this system can run"),
        (&not_exec, 126, "chmod +x"),
        (&dir, 126, "is a directory"),
        (&missing, 127, "command not found"),
    ];
    for (program, code, words) in cases {
        let p = program.to_str().unwrap();
        let masked = run_in_mode(&env, &[], &[p], None);
        let unmasked = run_in_mode(&env, &["--no-masking"], &[p], None);
        assert_code_no_leak(&masked, code, &["global-value-1"]);
        assert_code_no_leak(&unmasked, code, &["global-value-1"]);
        assert_eq!(stderr(&masked), stderr(&unmasked), "{p}");
        assert!(stderr(&masked).contains(words), "{p}: {}", stderr(&masked));
        assert!(stderr(&masked).contains(p), "{}", stderr(&masked));
    }
    // execvp would have run it through /bin/sh in one mode only.
    assert!(!env.root().join("started").exists());
}

// See: issue 17 item 20
#[test]
fn an_environment_too_large_to_exec_exits_125_with_sizes_and_names() {
    let env = Env::new();
    let mut values = Vec::new();
    for (i, name) in [
        "DATASET_A",
        "DATASET_B",
        "DATASET_C",
        "DATASET_D",
        "DATASET_E",
    ]
    .iter()
    .enumerate()
    {
        // Distinct values of 60,000 bytes: 300 kB in all, over the 256 kB
        // a 1 MiB stack allows (a quarter of it).
        let v: String = format!("v{i}-").repeat(20_000);
        let out = env
            .vault(&["set", name])
            .write_stdin(v.clone())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        values.push(v);
    }
    let needles: Vec<&str> = values.iter().map(|v| &v[..40]).collect();
    for mode in ["", "--no-masking"] {
        let out = env
            .sh(&format!(
                "ulimit -s 1024 && exec \"$0\" run {mode} -- sh -c 'touch started'"
            ))
            .output()
            .unwrap();
        assert_code_no_leak(&out, 125, &needles);
        let err = stderr(&out);
        assert!(err.contains("too large"), "{mode}: {err}");
        assert!(err.contains("DATASET_"), "{mode}: {err}");
        assert!(err.contains("bytes"), "{mode}: {err}");
        assert!(
            err.contains("--only") && err.contains("--clean-env"),
            "{err}"
        );
        assert!(!env.root().join("started").exists());
    }
}

/// `vault run --no-masking -- sh -c SCRIPT` from `dir`.
fn run_sh_in(
    env: &Env,
    dir: &std::path::Path,
    flags: &[&str],
    script: &str,
) -> std::process::Output {
    let mut args = vec!["run", "--no-masking"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["--", "sh", "-c", script]);
    env.vault(&args).current_dir(dir).output().unwrap()
}

// See: issue 17 item 3
#[test]
fn manifest_in_a_parent_directory_narrows_a_run_from_a_subdirectory() {
    let env = agent_env();
    env.set("UNDECLARED", "undeclared-value");
    let script = "printf '%s|%s' \"${GLOBAL_TOKEN-unset}\" \"${UNDECLARED-unset}\"";
    // Inside HOME (a project) and outside it (a server's /srv/app).
    for project in [env.root().join("home/code/api"), env.root().join("srv/app")] {
        let deep = project.join("src/handlers");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(
            project.join("vault.toml"),
            "[[secrets]]\nname = \"GLOBAL_TOKEN\"\n",
        )
        .unwrap();
        let out = run_sh_in(&env, &deep, &[], script);
        assert_code_no_leak(&out, 0, &["undeclared-value"]);
        assert_eq!(stdout(&out), "global-value-1|unset");
        let manifest = project.join("vault.toml");
        assert!(
            stderr(&out).contains(manifest.to_str().unwrap()),
            "says which manifest narrowed the run: {}",
            stderr(&out)
        );
        // Its required names are checked from there too.
        std::fs::write(
            project.join("vault.toml"),
            "[[secrets]]\nname = \"GLOBAL_TOKEN\"\n[[secrets]]\nname = \"PAYMENTS_KEY\"\n",
        )
        .unwrap();
        let out = run_sh_in(&env, &deep, &[], "touch started");
        assert_code_no_leak(&out, 125, &["global-value-1", "undeclared-value"]);
        assert!(stderr(&out).contains("PAYMENTS_KEY"), "{}", stderr(&out));
        assert!(!deep.join("started").exists());
        // In the current directory: no note, as before.
        std::fs::write(
            project.join("vault.toml"),
            "[[secrets]]\nname = \"GLOBAL_TOKEN\"\n",
        )
        .unwrap();
        let out = run_sh_in(&env, &project, &[], script);
        assert_eq!(stdout(&out), "global-value-1|unset");
        assert!(!stderr(&out).contains("manifest"), "{}", stderr(&out));
    }
}

// See: issue 17 item 3
#[test]
fn manifest_search_stops_at_home() {
    let env = agent_env();
    // Above HOME (its parent): not the user's projects' manifest.
    std::fs::write(
        env.root().join("vault.toml"),
        "[[secrets]]\nname = \"NOT_THERE\"\n",
    )
    .unwrap();
    let dir = env.root().join("home/code/tool");
    std::fs::create_dir_all(&dir).unwrap();
    let out = run_sh_in(&env, &dir, &[], "printf '%s' \"${GLOBAL_TOKEN-unset}\"");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "global-value-1");
}

// See: issue 17 item 11
#[test]
fn an_oversized_or_non_file_manifest_is_refused_before_the_run() {
    let env = agent_env();
    let big = env.root().join("big.toml");
    let entry = "[[secrets]]\nname = \"GLOBAL_TOKEN\"\noptional = true\n";
    std::fs::write(&big, entry.repeat(2 * 1024 * 1024 / entry.len())).unwrap();
    for m in [big.as_path(), env.root()] {
        let out = run_sh(&env, &["--manifest", m.to_str().unwrap()], "touch started");
        assert_code_no_leak(&out, 125, &["global-value-1"]);
        assert!(
            stderr(&out).contains(m.to_str().unwrap()),
            "{}",
            stderr(&out)
        );
    }
    assert!(stderr(&run_sh(
        &env,
        &["--manifest", big.to_str().unwrap()],
        "true"
    ))
    .contains("1024 KiB"));
    assert!(!env.root().join("started").exists());
}

// See: issue 17 item 11
#[test]
fn a_manifest_of_twenty_thousand_names_is_handled_quickly() {
    let env = agent_env();
    let mut text: String = (0..20_000)
        .map(|i| format!("[[secrets]]\nname = \"UNUSED_{i}\"\nrequired = false\n"))
        .collect();
    text.push_str("[[secrets]]\nname = \"GLOBAL_TOKEN\"\n");
    let m = write_manifest(&env, "many.toml", &text);
    let start = std::time::Instant::now();
    let out = run_sh(
        &env,
        &["--manifest", m.to_str().unwrap(), "--no-masking"],
        "printf '%s' \"$GLOBAL_TOKEN\"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "global-value-1");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    // All required and all missing: counted past the first lines, quickly.
    let text: String = (0..20_000)
        .map(|i| format!("[[secrets]]\nname = \"MISSING_{i}\"\n"))
        .collect();
    let m = write_manifest(&env, "missing.toml", &text);
    let start = std::time::Instant::now();
    let out = run_sh(&env, &["--manifest", m.to_str().unwrap()], "touch started");
    assert_code_no_leak(&out, 125, &["global-value-1"]);
    assert!(
        stderr(&out).contains("20000 secrets are not available"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).lines().count() < 100);
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

// See: issue 17 item 26
#[test]
fn manifest_accepts_required_and_refuses_it_contradicting_optional() {
    let env = agent_env();
    let m = write_manifest(
        &env,
        "req.toml",
        "[[secrets]]\nname = \"GLOBAL_TOKEN\"\nrequired = true\n\n[[secrets]]\nname = \"SENTRY_DSN\"\nrequired = false\n",
    );
    let out = run_sh(
        &env,
        &["--no-masking", "--manifest", m.to_str().unwrap()],
        "printf '%s' \"$GLOBAL_TOKEN\"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "global-value-1");
    let m = write_manifest(
        &env,
        "req.toml",
        "[[secrets]]\nname = \"NEEDED_KEY\"\nrequired = true\n",
    );
    let out = run_sh(&env, &["--manifest", m.to_str().unwrap()], "touch started");
    assert_eq!(out.status.code(), Some(125));
    assert!(
        stderr(&out).contains("vault set NEEDED_KEY"),
        "{}",
        stderr(&out)
    );
    let m = write_manifest(
        &env,
        "req.toml",
        "[[secrets]]\nname = \"GLOBAL_TOKEN\"\noptional = true\nrequired = true\n",
    );
    let out = run_sh(&env, &["--manifest", m.to_str().unwrap()], "touch started");
    assert_code_no_leak(&out, 125, &["global-value-1"]);
    assert!(stderr(&out).contains("req.toml:4:"), "{}", stderr(&out));
    assert!(!env.root().join("started").exists());
}

// See: issue 17 item 17
#[test]
fn keep_lets_the_callers_variable_win_over_an_empty_or_stored_value() {
    let env = agent_env();
    env.ok(&["set", "HTTP_PROXY", ""]);
    env.set("REGION", "stored-region");
    let script = "printf '%s|%s|%s' \"${HTTP_PROXY-unset}\" \"${REGION-unset}\" \"$GLOBAL_TOKEN\"";
    let run = |flags: &[&str]| {
        let mut args = vec!["run"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["--", "sh", "-c", script]);
        env.vault(&args)
            .env("HTTP_PROXY", "http://proxy.internal:3128")
            .env("REGION", "caller-region")
            .output()
            .unwrap()
    };
    // By default a stored value wins, even an empty one; vault says so.
    let out = run(&["--no-masking"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("global-value-1"));
    assert_eq!(stdout(&out), "|stored-region|global-value-1");
    assert!(
        stderr(&out).contains("--keep HTTP_PROXY"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("proxy.internal"), "{}", stderr(&out));
    for mode in [&["--no-masking"][..], &[][..]] {
        let mut flags = mode.to_vec();
        flags.extend_from_slice(&["--keep", "HTTP_PROXY,REGION"]);
        let out = run(&flags);
        assert_code_no_leak(&out, 0, &["stored-region"]);
        let shown = if mode.is_empty() {
            "<redacted:GLOBAL_TOKEN>"
        } else {
            "global-value-1"
        };
        assert_eq!(
            stdout(&out),
            format!("http://proxy.internal:3128|caller-region|{shown}")
        );
        assert!(!stderr(&out).contains("note"), "{}", stderr(&out));
    }
    // A name the caller does not have: the vault's value is injected.
    let out = env
        .vault(&[
            "run",
            "--no-masking",
            "--keep",
            "REGION",
            "--",
            "sh",
            "-c",
            "printf '%s' \"$REGION\"",
        ])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "stored-region");
    // Never vault's own unlock material.
    let out = env
        .vault(&[
            "run",
            "--keep",
            "VAULT_KEY",
            "--",
            "sh",
            "-c",
            "touch started",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(125));
    assert!(!env.root().join("started").exists());
}

// See: issue 17 item 17
#[test]
fn clean_env_keeps_the_callers_variables_named_by_keep() {
    let env = agent_env();
    let out = env
        .vault(&[
            "run",
            "--no-masking",
            "--clean-env",
            "--keep",
            "CI_JOB_ID",
            "--keep",
            "http_proxy,GLOBAL_TOKEN",
            "--",
            "env",
        ])
        .env("CI_JOB_ID", "4711")
        .env("http_proxy", "http://p:1")
        .env("GLOBAL_TOKEN", "from-caller")
        .env("SOME_LEAKY_VAR", "leak")
        .output()
        .unwrap();
    assert_code_no_leak(&out, 0, &["leak", "global-value-1"]);
    let mut lines: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| !l.starts_with("PWD=") && !l.starts_with("SHLVL=") && !l.starts_with("_="))
        .map(str::to_owned)
        .collect();
    lines.sort();
    let names: Vec<&str> = lines.iter().filter_map(|l| l.split('=').next()).collect();
    assert_eq!(
        names,
        [
            "CI_JOB_ID",
            "GLOBAL_TOKEN",
            "HOME",
            "LANG",
            "PATH",
            "http_proxy"
        ]
    );
    assert!(lines.contains(&"CI_JOB_ID=4711".to_owned()));
    assert!(lines.contains(&"GLOBAL_TOKEN=from-caller".to_owned()));
    assert!(lines.contains(&"http_proxy=http://p:1".to_owned()));
}

// See: issue 17 item 18
#[test]
fn on_a_terminal_a_missing_interpreter_exits_126_and_restores_the_terminal() {
    use std::io::Read;
    let env = agent_env();
    let script = env.root().join("report.py");
    write_exec(&script, b"#!/usr/bin/python3\r\nprint('hi')\r\n", 0o755);
    let (master, slave) = crate::util::openpty(24, 80);
    let before = format!("{:?}", rustix::termios::tcgetattr(&slave).unwrap());
    let mut cmd = env.std_cmd(VAULT_BIN);
    cmd.args(["run", "--", script.to_str().unwrap()])
        .stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave.try_clone().unwrap());
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    let mut reader = std::fs::File::from(master);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        // EIO once the last slave descriptor (vault's) closes.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        let _ = tx.send(all);
    });
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(126));
    let after = format!("{:?}", rustix::termios::tcgetattr(&slave).unwrap());
    drop(slave);
    let shown =
        String::from_utf8_lossy(&rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap())
            .into_owned();
    assert!(
        shown.contains("interpreter `/usr/bin/python3\\r`"),
        "{shown}"
    );
    assert!(shown.contains("dos2unix"), "{shown}");
    assert!(
        !shown.contains("command not found") && !shown.contains("global-value-1"),
        "{shown}"
    );
    assert_eq!(after, before, "terminal settings restored");
}

// See: issue 12 (VAULT_AGENT_KEY, VAULT_AGENT_KEY_FILE are removed from
// every child, like VAULT_KEY).
#[test]
fn agent_key_variables_never_reach_the_command() {
    let env = Env::new();
    env.set("PLAIN_TOKEN", "plain-token-value-1234");
    for masking in [true, false] {
        let mut c = env.vault(&["run"]);
        if !masking {
            c.arg("--no-masking");
        }
        let o = c
            .args(["--", "env"])
            .env("VAULT_AGENT_KEY", "vault-agent-v1:not-a-real-key")
            .env("VAULT_AGENT_KEY_FILE", "/nonexistent/agent.key")
            .output()
            .unwrap();
        assert_code_no_leak(&o, 0, &["not-a-real-key"]);
        let out = stdout(&o);
        assert!(!out.contains("VAULT_AGENT_KEY"), "{out}");
        assert!(out.contains("PLAIN_TOKEN="), "{out}");
    }
}
