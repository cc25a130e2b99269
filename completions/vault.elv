
use builtin;
use str;

set edit:completion:arg-completer[vault] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'vault'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'vault'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Create a new vault'
            cand set 'Create or update a secret'
            cand get 'Show a secret (value masked unless --reveal)'
            cand list 'List secrets (values masked; variables shown)'
            cand edit 'Change secrets'' metadata (never their values)'
            cand delete 'Delete secrets (refused while granted to an agent, unless --force)'
            cand import 'Import a .env file or a JSON export (all entries or none)'
            cand import-env 'Import a .env file or a JSON export (all entries or none)'
            cand export 'Print secrets with their values (dotenv, json or shell)'
            cand agent 'Manage agents: the bots, scripts and services that receive secrets'
            cand grant 'Let an agent receive secrets'
            cand revoke 'Stop an agent from receiving secrets'
            cand providers 'List the known AI providers and their conventional variable names'
            cand run 'Run a command with its secrets in the environment'
            cand history 'Show every version of a secret (values masked, variables shown)'
            cand rollback 'Make an earlier version''s value current again (as a new version)'
            cand rename 'Rename a secret, keeping its history, grants and delivery state'
            cand audit 'Show who changed, revealed, exported or ran what, and when'
            cand backup 'Write a consistent, still-encrypted copy of the vault to a new file'
            cand push 'Copy the local vault into a new, empty vault in PostgreSQL (--database-url)'
            cand keys 'Manage the key slots that unlock the vault (key files, passphrases)'
            cand passwd 'Change the vault passphrase'
            cand rekey 'Replace the master key: every value resealed, every slot wrapped again'
            cand upgrade 'Convert the vault to format 2 (a data key per version; needed for agent keys)'
            cand info 'Show the vault''s id, format, engine, schema and root fingerprint (no key needed)'
            cand member 'Team members of a vault on PostgreSQL: join, add, list, remove'
            cand whoami 'Show who this machine is on the vault: member or owner, rights, vault and root'
            cand unlock 'Unlock a passphrase vault for a while: later commands from this shell do not ask'
            cand lock 'Forget the key `vault unlock` kept: the next command asks again'
            cand completions 'Print a shell completion script'
            cand man 'Write man pages (vault.1 and one per subcommand) into DIR'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vault;init'= {
            cand --format 'The on-disk format: 2 (the default), or 1 for tests of old vaults'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --passphrase 'Protect the vault with a passphrase (Argon2id) instead of a key file'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;set'= {
            cand -d 'A description (kept on update unless given)'
            cand --description 'A description (kept on update unless given)'
            cand --agent 'Make the secret agent-scoped and grant it to AGENT (repeatable)'
            cand --provider 'Tag the secret as a credential of this AI provider (see `vault providers`)'
            cand --env 'Set the value for environment ENV only (it overrides the shared one there) [env: VAULT_ENV]'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --variable 'Store as a non-sensitive variable: plain text, shown in listings, never masked'
            cand --allow-code-loading-name 'Allow a name that makes interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, BASH_ENV, ...)'
            cand --force 'With --variable: turn an existing secret into plain text without asking'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;get'= {
            cand --env 'Environment whose value to use (its own, else the shared one) [env: VAULT_ENV]'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --reveal 'Print only the value and a newline (with --json: include the value)'
            cand --json 'One JSON document on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;list'= {
            cand --agent 'Only what this agent would receive (globals plus its grants)'
            cand --env 'Show environment ENV''s values (its own, else the shared ones) [env: VAULT_ENV]'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --json 'One JSON document on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;edit'= {
            cand -d 'New description'
            cand --description 'New description'
            cand --provider 'Tag it as a credential of this provider ("none" removes the tag)'
            cand --env 'Environment whose own value to change (without: the shared value) [env: VAULT_ENV]'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --variable 'Make it a non-sensitive variable (stored in plain text)'
            cand --secret 'Make it a secret (encrypted, masked)'
            cand --global 'Inject it into every run'
            cand --agent-only 'Inject it only into runs of agents it is granted to'
            cand --force 'With --variable: turn secrets into plain text without asking'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;delete'= {
            cand --env 'Delete environment ENV''s own value only [env: VAULT_ENV]'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --force 'Revoke the secret from every agent, then delete it (in every environment)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;import'= {
            cand --agent 'Make the imported secrets agent-scoped and grant them to AGENT (repeatable)'
            cand --format 'The file''s format (default: JSON when it starts with {, else dotenv)'
            cand --env 'Import as environment ENV''s own values (without: shared values) [env: VAULT_ENV]'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --variable 'Import as non-sensitive variables'
            cand --no-overwrite 'Skip names that already exist'
            cand --dry-run 'Report what would change; write nothing'
            cand --rename 'Map invalid keys to valid names (db.url -> DB_URL, api-key -> API_KEY)'
            cand --allow-code-loading-name 'Allow names that make interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, ...)'
            cand --create-agents 'Create the agents a JSON export grants secrets to when they do not exist'
            cand --json 'One JSON document (the summary) on stdout'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vault;import-env'= {
            cand --agent 'Make the imported secrets agent-scoped and grant them to AGENT (repeatable)'
            cand --format 'The file''s format (default: JSON when it starts with {, else dotenv)'
            cand --env 'Import as environment ENV''s own values (without: shared values) [env: VAULT_ENV]'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --variable 'Import as non-sensitive variables'
            cand --no-overwrite 'Skip names that already exist'
            cand --dry-run 'Report what would change; write nothing'
            cand --rename 'Map invalid keys to valid names (db.url -> DB_URL, api-key -> API_KEY)'
            cand --allow-code-loading-name 'Allow names that make interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, ...)'
            cand --create-agents 'Create the agents a JSON export grants secrets to when they do not exist'
            cand --json 'One JSON document (the summary) on stdout'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vault;export'= {
            cand --agent 'Export what this agent would receive (globals plus its grants)'
            cand --format 'Output format'
            cand --env 'Export environment ENV''s values (its own, else the shared ones; default with --agent: its pin) [env: VAULT_ENV]'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --reveal 'Print secret values even when stdout is a terminal'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vault;agent'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand create 'Create an agent (or a clone of one with --from)'
            cand list 'List agents'
            cand show 'Show what an agent receives (grants and global secrets), each synced, stale or pending'
            cand delete 'Delete an agent and its grants'
            cand token 'Make a key pair for an agent here and register it (for CI); prints the key once'
            cand enroll 'On the agent''s machine: make its key pair here and print an enrollment request'
            cand approve 'Register an agent''s enrollment request (shows both fingerprints, asks y/N)'
            cand revoke-key 'Revoke an agent''s key: its wraps and statement are deleted'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vault;agent;create'= {
            cand -d 'What the agent is (shown by agent list and agent show)'
            cand --description 'What the agent is (shown by agent list and agent show)'
            cand --env 'Pin the agent to environment ENV (names as for agents)'
            cand --from 'Copy the grants, description and environment pin of this existing agent'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;agent;list'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --json 'One JSON document on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;agent;show'= {
            cand --env 'Show what it receives in environment ENV (default: its pin) [env: VAULT_ENV]'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --json 'One JSON document on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;agent;delete'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;agent;token'= {
            cand --ttl 'The key stops working after this long (e.g. 12h, 30d); default: never'
            cand --out 'Write the key to FILE (0600, never overwritten) instead of stdout'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;agent;enroll'= {
            cand --root 'The vault''s root fingerprint (vault-root:SHA256:...), from an owner'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;agent;approve'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --yes 'Approve without asking'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;agent;revoke-key'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;agent;help'= {
            cand create 'Create an agent (or a clone of one with --from)'
            cand list 'List agents'
            cand show 'Show what an agent receives (grants and global secrets), each synced, stale or pending'
            cand delete 'Delete an agent and its grants'
            cand token 'Make a key pair for an agent here and register it (for CI); prints the key once'
            cand enroll 'On the agent''s machine: make its key pair here and print an enrollment request'
            cand approve 'Register an agent''s enrollment request (shows both fingerprints, asks y/N)'
            cand revoke-key 'Revoke an agent''s key: its wraps and statement are deleted'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vault;agent;help;create'= {
        }
        &'vault;agent;help;list'= {
        }
        &'vault;agent;help;show'= {
        }
        &'vault;agent;help;delete'= {
        }
        &'vault;agent;help;token'= {
        }
        &'vault;agent;help;enroll'= {
        }
        &'vault;agent;help;approve'= {
        }
        &'vault;agent;help;revoke-key'= {
        }
        &'vault;agent;help;help'= {
        }
        &'vault;grant'= {
            cand --agent 'The agent that may receive them'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;revoke'= {
            cand --agent 'The agent that may no longer receive them'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;providers'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --json 'One JSON document on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;run'= {
            cand --agent 'Also inject the secrets granted to AGENT'
            cand --manifest 'Manifest declaring the secrets the command needs (default: the nearest vault.toml from here up to $HOME)'
            cand --only 'Inject only these names (comma-separated)'
            cand --keep 'Keep the caller''s NAME as it is: passed on even with --clean-env, never replaced by a secret (comma-separated, repeatable)'
            cand --env 'Inject environment ENV''s values (its own, else the shared ones; default: the agent''s pin) [env: VAULT_ENV]'
            cand --on-change 'With --watch: `restart` (default), `signal:SIG` (send SIG, e.g. signal:HUP or signal:USR1, to a command that re-reads its secrets itself; its environment cannot change), or `exit` (stop it and exit 75 for a supervisor to restart)'
            cand --grace 'With --watch: how long a stopped command has after SIGTERM before SIGKILL [default: 10s]'
            cand --debounce 'With --watch: wait until changes stop for this long, then act once [default: 300ms]'
            cand --splay 'With --watch: act after a random delay below DUR, so a fleet does not restart at once [default: 0s]'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --clean-env 'Start from an empty environment (keeping PATH, HOME, USER, LANG, TERM and --keep names)'
            cand --no-masking 'Exec the command directly: no output masking, no extra process (with --watch, vault stays its parent to restart it, and copies its output untouched)'
            cand --watch 'Watch the vault and restart the command when a secret it received changes'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;history'= {
            cand --env 'Environment whose value to use (its own, else the shared one) [env: VAULT_ENV]'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --json 'One JSON document on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;rollback'= {
            cand --to 'The version whose value becomes current again'
            cand --env 'Environment whose own value to change (without: the shared value) [env: VAULT_ENV]'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;rename'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --allow-code-loading-name 'Allow a new name that makes interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, BASH_ENV, ...)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;audit'= {
            cand --agent 'Only entries about this agent'
            cand --secret 'Only entries about this secret'
            cand --actor 'Only entries made by this actor (`owner`: whoever holds the master key)'
            cand --since 'Only entries since a time (2026-12-01T00:00:00Z) or for a duration back (7d, 12h)'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --json 'One JSON array on stdout (with --follow: one JSON object a line)'
            cand --follow 'Keep printing new entries as they are appended (JSON lines), until interrupted'
            cand -h 'Print help'
            cand --help 'Print help'
            cand verify 'Check every audit chain: links, hashes and signatures (exit 6 on a break)'
            cand prune 'Remove entries older than a time, leaving a signed checkpoint in their place'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vault;audit;verify'= {
            cand --anchor 'A chain head noted earlier (from a `head` line), which the chain must still reach'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --json 'Print the result and each chain''s head as one JSON object'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;audit;prune'= {
            cand --before 'Prune entries made before this: a duration back from now (90d, 12h) or a time (2026-09-01, 2026-09-01T00:00:00Z)'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --yes 'Prune without asking'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;audit;help'= {
            cand verify 'Check every audit chain: links, hashes and signatures (exit 6 on a break)'
            cand prune 'Remove entries older than a time, leaving a signed checkpoint in their place'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vault;audit;help;verify'= {
        }
        &'vault;audit;help;prune'= {
        }
        &'vault;audit;help;help'= {
        }
        &'vault;backup'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;push'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;keys'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand list 'List the key slots (never key material)'
            cand add 'Add a key slot: a new passphrase, or a new key file'
            cand remove 'Remove a key slot (never the last one)'
            cand passwd 'Change the passphrase (same as `vault passwd`)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vault;keys;list'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --json 'One JSON document on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;keys;add'= {
            cand --key-file 'Write a new key file at FILE and add its slot'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --passphrase 'Add a passphrase slot'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;keys;remove'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;keys;passwd'= {
            cand --new-passphrase-file 'Read the new passphrase from FILE (one trailing newline is ignored) instead of asking'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;keys;help'= {
            cand list 'List the key slots (never key material)'
            cand add 'Add a key slot: a new passphrase, or a new key file'
            cand remove 'Remove a key slot (never the last one)'
            cand passwd 'Change the passphrase (same as `vault passwd`)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vault;keys;help;list'= {
        }
        &'vault;keys;help;add'= {
        }
        &'vault;keys;help;remove'= {
        }
        &'vault;keys;help;passwd'= {
        }
        &'vault;keys;help;help'= {
        }
        &'vault;passwd'= {
            cand --new-passphrase-file 'Read the new passphrase from FILE (one trailing newline is ignored) instead of asking'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;rekey'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;upgrade'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;info'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --json 'One JSON document on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;member'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand join 'Make this machine''s identity for a vault and print the request an owner adds'
            cand add 'Add a member from their request (owners only)'
            cand list 'List the members, their roles and rights'
            cand remove 'Remove a member: their role, rights and slot go (owners only)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vault;member;join'= {
            cand --root 'The vault''s root fingerprint, from its owner (`vault info`)'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;member;add'= {
            cand --role 'owner (everything, own member slot) or member (rights per agent)'
            cand --agent 'A right on an agent, AGENT=view|operate|manage (repeatable)'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --yes 'Do not ask'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;member;list'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --json 'One JSON document on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;member;remove'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;member;help'= {
            cand join 'Make this machine''s identity for a vault and print the request an owner adds'
            cand add 'Add a member from their request (owners only)'
            cand list 'List the members, their roles and rights'
            cand remove 'Remove a member: their role, rights and slot go (owners only)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vault;member;help;join'= {
        }
        &'vault;member;help;add'= {
        }
        &'vault;member;help;list'= {
        }
        &'vault;member;help;remove'= {
        }
        &'vault;member;help;help'= {
        }
        &'vault;whoami'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand --json 'One JSON document on stdout'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;unlock'= {
            cand --for 'How long the vault stays unlocked (30s, 15m, 2h; at most 24h)'
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;lock'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;completions'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;man'= {
            cand --vault-dir 'Directory holding vault.db and vault.key [env: VAULT_DIR]'
            cand --passphrase-file 'Read the vault passphrase from FILE (one trailing newline is ignored)'
            cand --database-url 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'vault;help'= {
            cand init 'Create a new vault'
            cand set 'Create or update a secret'
            cand get 'Show a secret (value masked unless --reveal)'
            cand list 'List secrets (values masked; variables shown)'
            cand edit 'Change secrets'' metadata (never their values)'
            cand delete 'Delete secrets (refused while granted to an agent, unless --force)'
            cand import 'Import a .env file or a JSON export (all entries or none)'
            cand export 'Print secrets with their values (dotenv, json or shell)'
            cand agent 'Manage agents: the bots, scripts and services that receive secrets'
            cand grant 'Let an agent receive secrets'
            cand revoke 'Stop an agent from receiving secrets'
            cand providers 'List the known AI providers and their conventional variable names'
            cand run 'Run a command with its secrets in the environment'
            cand history 'Show every version of a secret (values masked, variables shown)'
            cand rollback 'Make an earlier version''s value current again (as a new version)'
            cand rename 'Rename a secret, keeping its history, grants and delivery state'
            cand audit 'Show who changed, revealed, exported or ran what, and when'
            cand backup 'Write a consistent, still-encrypted copy of the vault to a new file'
            cand push 'Copy the local vault into a new, empty vault in PostgreSQL (--database-url)'
            cand keys 'Manage the key slots that unlock the vault (key files, passphrases)'
            cand passwd 'Change the vault passphrase'
            cand rekey 'Replace the master key: every value resealed, every slot wrapped again'
            cand upgrade 'Convert the vault to format 2 (a data key per version; needed for agent keys)'
            cand info 'Show the vault''s id, format, engine, schema and root fingerprint (no key needed)'
            cand member 'Team members of a vault on PostgreSQL: join, add, list, remove'
            cand whoami 'Show who this machine is on the vault: member or owner, rights, vault and root'
            cand unlock 'Unlock a passphrase vault for a while: later commands from this shell do not ask'
            cand lock 'Forget the key `vault unlock` kept: the next command asks again'
            cand completions 'Print a shell completion script'
            cand man 'Write man pages (vault.1 and one per subcommand) into DIR'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vault;help;init'= {
        }
        &'vault;help;set'= {
        }
        &'vault;help;get'= {
        }
        &'vault;help;list'= {
        }
        &'vault;help;edit'= {
        }
        &'vault;help;delete'= {
        }
        &'vault;help;import'= {
        }
        &'vault;help;export'= {
        }
        &'vault;help;agent'= {
            cand create 'Create an agent (or a clone of one with --from)'
            cand list 'List agents'
            cand show 'Show what an agent receives (grants and global secrets), each synced, stale or pending'
            cand delete 'Delete an agent and its grants'
            cand token 'Make a key pair for an agent here and register it (for CI); prints the key once'
            cand enroll 'On the agent''s machine: make its key pair here and print an enrollment request'
            cand approve 'Register an agent''s enrollment request (shows both fingerprints, asks y/N)'
            cand revoke-key 'Revoke an agent''s key: its wraps and statement are deleted'
        }
        &'vault;help;agent;create'= {
        }
        &'vault;help;agent;list'= {
        }
        &'vault;help;agent;show'= {
        }
        &'vault;help;agent;delete'= {
        }
        &'vault;help;agent;token'= {
        }
        &'vault;help;agent;enroll'= {
        }
        &'vault;help;agent;approve'= {
        }
        &'vault;help;agent;revoke-key'= {
        }
        &'vault;help;grant'= {
        }
        &'vault;help;revoke'= {
        }
        &'vault;help;providers'= {
        }
        &'vault;help;run'= {
        }
        &'vault;help;history'= {
        }
        &'vault;help;rollback'= {
        }
        &'vault;help;rename'= {
        }
        &'vault;help;audit'= {
            cand verify 'Check every audit chain: links, hashes and signatures (exit 6 on a break)'
            cand prune 'Remove entries older than a time, leaving a signed checkpoint in their place'
        }
        &'vault;help;audit;verify'= {
        }
        &'vault;help;audit;prune'= {
        }
        &'vault;help;backup'= {
        }
        &'vault;help;push'= {
        }
        &'vault;help;keys'= {
            cand list 'List the key slots (never key material)'
            cand add 'Add a key slot: a new passphrase, or a new key file'
            cand remove 'Remove a key slot (never the last one)'
            cand passwd 'Change the passphrase (same as `vault passwd`)'
        }
        &'vault;help;keys;list'= {
        }
        &'vault;help;keys;add'= {
        }
        &'vault;help;keys;remove'= {
        }
        &'vault;help;keys;passwd'= {
        }
        &'vault;help;passwd'= {
        }
        &'vault;help;rekey'= {
        }
        &'vault;help;upgrade'= {
        }
        &'vault;help;info'= {
        }
        &'vault;help;member'= {
            cand join 'Make this machine''s identity for a vault and print the request an owner adds'
            cand add 'Add a member from their request (owners only)'
            cand list 'List the members, their roles and rights'
            cand remove 'Remove a member: their role, rights and slot go (owners only)'
        }
        &'vault;help;member;join'= {
        }
        &'vault;help;member;add'= {
        }
        &'vault;help;member;list'= {
        }
        &'vault;help;member;remove'= {
        }
        &'vault;help;whoami'= {
        }
        &'vault;help;unlock'= {
        }
        &'vault;help;lock'= {
        }
        &'vault;help;completions'= {
        }
        &'vault;help;man'= {
        }
        &'vault;help;help'= {
        }
    ]
    $completions[$command]
}
