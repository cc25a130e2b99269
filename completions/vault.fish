# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_vault_global_optspecs
    string join \n vault-dir= passphrase-file= database-url= h/help V/version
end

function __fish_vault_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_vault_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_vault_using_subcommand
    set -l cmd (__fish_vault_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c vault -n "__fish_vault_needs_command" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_needs_command" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_needs_command" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vault -n "__fish_vault_needs_command" -s V -l version -d 'Print version'
complete -c vault -n "__fish_vault_needs_command" -f -a "init" -d 'Create a new vault'
complete -c vault -n "__fish_vault_needs_command" -f -a "set" -d 'Create or update a secret'
complete -c vault -n "__fish_vault_needs_command" -f -a "get" -d 'Show a secret (value masked unless --reveal)'
complete -c vault -n "__fish_vault_needs_command" -f -a "list" -d 'List secrets (values masked; variables shown)'
complete -c vault -n "__fish_vault_needs_command" -f -a "edit" -d 'Change secrets\' metadata (never their values)'
complete -c vault -n "__fish_vault_needs_command" -f -a "delete" -d 'Delete secrets (refused while granted to an agent, unless --force)'
complete -c vault -n "__fish_vault_needs_command" -f -a "import" -d 'Import a .env file or a JSON export (all entries or none)'
complete -c vault -n "__fish_vault_needs_command" -f -a "import-env" -d 'Import a .env file or a JSON export (all entries or none)'
complete -c vault -n "__fish_vault_needs_command" -f -a "export" -d 'Print secrets with their values (dotenv, json or shell)'
complete -c vault -n "__fish_vault_needs_command" -f -a "agent" -d 'Manage agents: the bots, scripts and services that receive secrets'
complete -c vault -n "__fish_vault_needs_command" -f -a "grant" -d 'Let an agent receive secrets'
complete -c vault -n "__fish_vault_needs_command" -f -a "revoke" -d 'Stop an agent from receiving secrets'
complete -c vault -n "__fish_vault_needs_command" -f -a "providers" -d 'List the known AI providers and their conventional variable names'
complete -c vault -n "__fish_vault_needs_command" -f -a "run" -d 'Run a command with its secrets in the environment'
complete -c vault -n "__fish_vault_needs_command" -f -a "history" -d 'Show every version of a secret (values masked, variables shown)'
complete -c vault -n "__fish_vault_needs_command" -f -a "rollback" -d 'Make an earlier version\'s value current again (as a new version)'
complete -c vault -n "__fish_vault_needs_command" -f -a "rename" -d 'Rename a secret, keeping its history, grants and delivery state'
complete -c vault -n "__fish_vault_needs_command" -f -a "audit" -d 'Show who changed, revealed, exported or ran what, and when'
complete -c vault -n "__fish_vault_needs_command" -f -a "backup" -d 'Write a consistent, still-encrypted copy of the vault to a new file'
complete -c vault -n "__fish_vault_needs_command" -f -a "push" -d 'Copy the local vault into a new, empty vault in PostgreSQL (--database-url)'
complete -c vault -n "__fish_vault_needs_command" -f -a "keys" -d 'Manage the key slots that unlock the vault (key files, passphrases)'
complete -c vault -n "__fish_vault_needs_command" -f -a "passwd" -d 'Change the vault passphrase'
complete -c vault -n "__fish_vault_needs_command" -f -a "rekey" -d 'Replace the master key: every value resealed, every slot wrapped again'
complete -c vault -n "__fish_vault_needs_command" -f -a "upgrade" -d 'Convert the vault to format 2 (a data key per version; needed for agent keys)'
complete -c vault -n "__fish_vault_needs_command" -f -a "info" -d 'Show the vault\'s id, format, engine, schema and root fingerprint (no key needed)'
complete -c vault -n "__fish_vault_needs_command" -f -a "member" -d 'Team members of a vault on PostgreSQL: join, add, list, remove'
complete -c vault -n "__fish_vault_needs_command" -f -a "whoami" -d 'Show who this machine is on the vault: member or owner, rights, vault and root'
complete -c vault -n "__fish_vault_needs_command" -f -a "unlock" -d 'Unlock a passphrase vault for a while: later commands from this shell do not ask'
complete -c vault -n "__fish_vault_needs_command" -f -a "lock" -d 'Forget the key `vault unlock` kept: the next command asks again'
complete -c vault -n "__fish_vault_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c vault -n "__fish_vault_needs_command" -f -a "man" -d 'Write man pages (vault.1 and one per subcommand) into DIR'
complete -c vault -n "__fish_vault_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vault -n "__fish_vault_using_subcommand init" -l format -d 'The on-disk format: 2 (the default), or 1 for tests of old vaults' -r
complete -c vault -n "__fish_vault_using_subcommand init" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand init" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand init" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand init" -l passphrase -d 'Protect the vault with a passphrase (Argon2id) instead of a key file'
complete -c vault -n "__fish_vault_using_subcommand init" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand set" -s d -l description -d 'A description (kept on update unless given)' -r
complete -c vault -n "__fish_vault_using_subcommand set" -l agent -d 'Make the secret agent-scoped and grant it to AGENT (repeatable)' -r
complete -c vault -n "__fish_vault_using_subcommand set" -l provider -d 'Tag the secret as a credential of this AI provider (see `vault providers`)' -r
complete -c vault -n "__fish_vault_using_subcommand set" -l env -d 'Set the value for environment ENV only (it overrides the shared one there) [env: VAULT_ENV]' -r
complete -c vault -n "__fish_vault_using_subcommand set" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand set" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand set" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand set" -l variable -d 'Store as a non-sensitive variable: plain text, shown in listings, never masked'
complete -c vault -n "__fish_vault_using_subcommand set" -l allow-code-loading-name -d 'Allow a name that makes interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, BASH_ENV, ...)'
complete -c vault -n "__fish_vault_using_subcommand set" -l force -d 'With --variable: turn an existing secret into plain text without asking'
complete -c vault -n "__fish_vault_using_subcommand set" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand get" -l env -d 'Environment whose value to use (its own, else the shared one) [env: VAULT_ENV]' -r
complete -c vault -n "__fish_vault_using_subcommand get" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand get" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand get" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand get" -l reveal -d 'Print only the value and a newline (with --json: include the value)'
complete -c vault -n "__fish_vault_using_subcommand get" -l json -d 'One JSON document on stdout'
complete -c vault -n "__fish_vault_using_subcommand get" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand list" -l agent -d 'Only what this agent would receive (globals plus its grants)' -r
complete -c vault -n "__fish_vault_using_subcommand list" -l env -d 'Show environment ENV\'s values (its own, else the shared ones) [env: VAULT_ENV]' -r
complete -c vault -n "__fish_vault_using_subcommand list" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand list" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand list" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand list" -l json -d 'One JSON document on stdout'
complete -c vault -n "__fish_vault_using_subcommand list" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand edit" -s d -l description -d 'New description' -r
complete -c vault -n "__fish_vault_using_subcommand edit" -l provider -d 'Tag it as a credential of this provider ("none" removes the tag)' -r
complete -c vault -n "__fish_vault_using_subcommand edit" -l env -d 'Environment whose own value to change (without: the shared value) [env: VAULT_ENV]' -r
complete -c vault -n "__fish_vault_using_subcommand edit" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand edit" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand edit" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand edit" -l variable -d 'Make it a non-sensitive variable (stored in plain text)'
complete -c vault -n "__fish_vault_using_subcommand edit" -l secret -d 'Make it a secret (encrypted, masked)'
complete -c vault -n "__fish_vault_using_subcommand edit" -l global -d 'Inject it into every run'
complete -c vault -n "__fish_vault_using_subcommand edit" -l agent-only -d 'Inject it only into runs of agents it is granted to'
complete -c vault -n "__fish_vault_using_subcommand edit" -l force -d 'With --variable: turn secrets into plain text without asking'
complete -c vault -n "__fish_vault_using_subcommand edit" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand delete" -l env -d 'Delete environment ENV\'s own value only [env: VAULT_ENV]' -r
complete -c vault -n "__fish_vault_using_subcommand delete" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand delete" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand delete" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand delete" -l force -d 'Revoke the secret from every agent, then delete it (in every environment)'
complete -c vault -n "__fish_vault_using_subcommand delete" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand import" -l agent -d 'Make the imported secrets agent-scoped and grant them to AGENT (repeatable)' -r
complete -c vault -n "__fish_vault_using_subcommand import" -l format -d 'The file\'s format (default: JSON when it starts with {, else dotenv)' -r -f -a "dotenv\t'KEY=value lines (docs/DOTENV.md)'
json\t'The output of `vault export --format json`, or {"NAME": "value", ...}'"
complete -c vault -n "__fish_vault_using_subcommand import" -l env -d 'Import as environment ENV\'s own values (without: shared values) [env: VAULT_ENV]' -r
complete -c vault -n "__fish_vault_using_subcommand import" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand import" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand import" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand import" -l variable -d 'Import as non-sensitive variables'
complete -c vault -n "__fish_vault_using_subcommand import" -l no-overwrite -d 'Skip names that already exist'
complete -c vault -n "__fish_vault_using_subcommand import" -l dry-run -d 'Report what would change; write nothing'
complete -c vault -n "__fish_vault_using_subcommand import" -l rename -d 'Map invalid keys to valid names (db.url -> DB_URL, api-key -> API_KEY)'
complete -c vault -n "__fish_vault_using_subcommand import" -l allow-code-loading-name -d 'Allow names that make interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, ...)'
complete -c vault -n "__fish_vault_using_subcommand import" -l create-agents -d 'Create the agents a JSON export grants secrets to when they do not exist'
complete -c vault -n "__fish_vault_using_subcommand import" -l json -d 'One JSON document (the summary) on stdout'
complete -c vault -n "__fish_vault_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vault -n "__fish_vault_using_subcommand import-env" -l agent -d 'Make the imported secrets agent-scoped and grant them to AGENT (repeatable)' -r
complete -c vault -n "__fish_vault_using_subcommand import-env" -l format -d 'The file\'s format (default: JSON when it starts with {, else dotenv)' -r -f -a "dotenv\t'KEY=value lines (docs/DOTENV.md)'
json\t'The output of `vault export --format json`, or {"NAME": "value", ...}'"
complete -c vault -n "__fish_vault_using_subcommand import-env" -l env -d 'Import as environment ENV\'s own values (without: shared values) [env: VAULT_ENV]' -r
complete -c vault -n "__fish_vault_using_subcommand import-env" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand import-env" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand import-env" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand import-env" -l variable -d 'Import as non-sensitive variables'
complete -c vault -n "__fish_vault_using_subcommand import-env" -l no-overwrite -d 'Skip names that already exist'
complete -c vault -n "__fish_vault_using_subcommand import-env" -l dry-run -d 'Report what would change; write nothing'
complete -c vault -n "__fish_vault_using_subcommand import-env" -l rename -d 'Map invalid keys to valid names (db.url -> DB_URL, api-key -> API_KEY)'
complete -c vault -n "__fish_vault_using_subcommand import-env" -l allow-code-loading-name -d 'Allow names that make interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, ...)'
complete -c vault -n "__fish_vault_using_subcommand import-env" -l create-agents -d 'Create the agents a JSON export grants secrets to when they do not exist'
complete -c vault -n "__fish_vault_using_subcommand import-env" -l json -d 'One JSON document (the summary) on stdout'
complete -c vault -n "__fish_vault_using_subcommand import-env" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vault -n "__fish_vault_using_subcommand export" -l agent -d 'Export what this agent would receive (globals plus its grants)' -r
complete -c vault -n "__fish_vault_using_subcommand export" -l format -d 'Output format' -r -f -a "dotenv\t'KEY=value lines that `vault import` reads back byte for byte (values only)'
json\t'Values with kind, scope, description, provider and grants, for `vault import`'
shell\t'export NAME=\'value\' lines for a POSIX shell (values only)'"
complete -c vault -n "__fish_vault_using_subcommand export" -l env -d 'Export environment ENV\'s values (its own, else the shared ones; default with --agent: its pin) [env: VAULT_ENV]' -r
complete -c vault -n "__fish_vault_using_subcommand export" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand export" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand export" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand export" -l reveal -d 'Print secret values even when stdout is a terminal'
complete -c vault -n "__fish_vault_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vault -n "__fish_vault_using_subcommand agent; and not __fish_seen_subcommand_from create list show delete token enroll approve revoke-key help" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and not __fish_seen_subcommand_from create list show delete token enroll approve revoke-key help" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and not __fish_seen_subcommand_from create list show delete token enroll approve revoke-key help" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and not __fish_seen_subcommand_from create list show delete token enroll approve revoke-key help" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand agent; and not __fish_seen_subcommand_from create list show delete token enroll approve revoke-key help" -f -a "create" -d 'Create an agent (or a clone of one with --from)'
complete -c vault -n "__fish_vault_using_subcommand agent; and not __fish_seen_subcommand_from create list show delete token enroll approve revoke-key help" -f -a "list" -d 'List agents'
complete -c vault -n "__fish_vault_using_subcommand agent; and not __fish_seen_subcommand_from create list show delete token enroll approve revoke-key help" -f -a "show" -d 'Show what an agent receives (grants and global secrets), each synced, stale or pending'
complete -c vault -n "__fish_vault_using_subcommand agent; and not __fish_seen_subcommand_from create list show delete token enroll approve revoke-key help" -f -a "delete" -d 'Delete an agent and its grants'
complete -c vault -n "__fish_vault_using_subcommand agent; and not __fish_seen_subcommand_from create list show delete token enroll approve revoke-key help" -f -a "token" -d 'Make a key pair for an agent here and register it (for CI); prints the key once'
complete -c vault -n "__fish_vault_using_subcommand agent; and not __fish_seen_subcommand_from create list show delete token enroll approve revoke-key help" -f -a "enroll" -d 'On the agent\'s machine: make its key pair here and print an enrollment request'
complete -c vault -n "__fish_vault_using_subcommand agent; and not __fish_seen_subcommand_from create list show delete token enroll approve revoke-key help" -f -a "approve" -d 'Register an agent\'s enrollment request (shows both fingerprints, asks y/N)'
complete -c vault -n "__fish_vault_using_subcommand agent; and not __fish_seen_subcommand_from create list show delete token enroll approve revoke-key help" -f -a "revoke-key" -d 'Revoke an agent\'s key: its wraps and statement are deleted'
complete -c vault -n "__fish_vault_using_subcommand agent; and not __fish_seen_subcommand_from create list show delete token enroll approve revoke-key help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from create" -s d -l description -d 'What the agent is (shown by agent list and agent show)' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from create" -l env -d 'Pin the agent to environment ENV (names as for agents)' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from create" -l from -d 'Copy the grants, description and environment pin of this existing agent' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from create" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from create" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from create" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from list" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from list" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from list" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from list" -l json -d 'One JSON document on stdout'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from show" -l env -d 'Show what it receives in environment ENV (default: its pin) [env: VAULT_ENV]' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from show" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from show" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from show" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from show" -l json -d 'One JSON document on stdout'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from delete" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from delete" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from delete" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from token" -l ttl -d 'The key stops working after this long (e.g. 12h, 30d); default: never' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from token" -l out -d 'Write the key to FILE (0600, never overwritten) instead of stdout' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from token" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from token" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from token" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from token" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from enroll" -l root -d 'The vault\'s root fingerprint (vault-root:SHA256:...), from an owner' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from enroll" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from enroll" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from enroll" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from enroll" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from approve" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from approve" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from approve" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from approve" -l yes -d 'Approve without asking'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from approve" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from revoke-key" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from revoke-key" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from revoke-key" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from revoke-key" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create an agent (or a clone of one with --from)'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "list" -d 'List agents'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show what an agent receives (grants and global secrets), each synced, stale or pending'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete an agent and its grants'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "token" -d 'Make a key pair for an agent here and register it (for CI); prints the key once'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "enroll" -d 'On the agent\'s machine: make its key pair here and print an enrollment request'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "approve" -d 'Register an agent\'s enrollment request (shows both fingerprints, asks y/N)'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "revoke-key" -d 'Revoke an agent\'s key: its wraps and statement are deleted'
complete -c vault -n "__fish_vault_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vault -n "__fish_vault_using_subcommand grant" -l agent -d 'The agent that may receive them' -r
complete -c vault -n "__fish_vault_using_subcommand grant" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand grant" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand grant" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand grant" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand revoke" -l agent -d 'The agent that may no longer receive them' -r
complete -c vault -n "__fish_vault_using_subcommand revoke" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand revoke" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand revoke" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand revoke" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand providers" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand providers" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand providers" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand providers" -l json -d 'One JSON document on stdout'
complete -c vault -n "__fish_vault_using_subcommand providers" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand run" -l agent -d 'Also inject the secrets granted to AGENT' -r
complete -c vault -n "__fish_vault_using_subcommand run" -l manifest -d 'Manifest declaring the secrets the command needs (default: the nearest vault.toml from here up to $HOME)' -r -F
complete -c vault -n "__fish_vault_using_subcommand run" -l only -d 'Inject only these names (comma-separated)' -r
complete -c vault -n "__fish_vault_using_subcommand run" -l keep -d 'Keep the caller\'s NAME as it is: passed on even with --clean-env, never replaced by a secret (comma-separated, repeatable)' -r
complete -c vault -n "__fish_vault_using_subcommand run" -l env -d 'Inject environment ENV\'s values (its own, else the shared ones; default: the agent\'s pin) [env: VAULT_ENV]' -r
complete -c vault -n "__fish_vault_using_subcommand run" -l on-change -d 'With --watch: `restart` (default), `signal:SIG` (send SIG, e.g. signal:HUP or signal:USR1, to a command that re-reads its secrets itself; its environment cannot change), or `exit` (stop it and exit 75 for a supervisor to restart)' -r
complete -c vault -n "__fish_vault_using_subcommand run" -l grace -d 'With --watch: how long a stopped command has after SIGTERM before SIGKILL [default: 10s]' -r
complete -c vault -n "__fish_vault_using_subcommand run" -l debounce -d 'With --watch: wait until changes stop for this long, then act once [default: 300ms]' -r
complete -c vault -n "__fish_vault_using_subcommand run" -l splay -d 'With --watch: act after a random delay below DUR, so a fleet does not restart at once [default: 0s]' -r
complete -c vault -n "__fish_vault_using_subcommand run" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand run" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand run" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand run" -l clean-env -d 'Start from an empty environment (keeping PATH, HOME, USER, LANG, TERM and --keep names)'
complete -c vault -n "__fish_vault_using_subcommand run" -l no-masking -d 'Exec the command directly: no output masking, no extra process (with --watch, vault stays its parent to restart it, and copies its output untouched)'
complete -c vault -n "__fish_vault_using_subcommand run" -l watch -d 'Watch the vault and restart the command when a secret it received changes'
complete -c vault -n "__fish_vault_using_subcommand run" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand history" -l env -d 'Environment whose value to use (its own, else the shared one) [env: VAULT_ENV]' -r
complete -c vault -n "__fish_vault_using_subcommand history" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand history" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand history" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand history" -l json -d 'One JSON document on stdout'
complete -c vault -n "__fish_vault_using_subcommand history" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand rollback" -l to -d 'The version whose value becomes current again' -r
complete -c vault -n "__fish_vault_using_subcommand rollback" -l env -d 'Environment whose own value to change (without: the shared value) [env: VAULT_ENV]' -r
complete -c vault -n "__fish_vault_using_subcommand rollback" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand rollback" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand rollback" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand rollback" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand rename" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand rename" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand rename" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand rename" -l allow-code-loading-name -d 'Allow a new name that makes interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, BASH_ENV, ...)'
complete -c vault -n "__fish_vault_using_subcommand rename" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l agent -d 'Only entries about this agent' -r
complete -c vault -n "__fish_vault_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l secret -d 'Only entries about this secret' -r
complete -c vault -n "__fish_vault_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l actor -d 'Only entries made by this actor (`owner`: whoever holds the master key)' -r
complete -c vault -n "__fish_vault_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l since -d 'Only entries since a time (2026-12-01T00:00:00Z) or for a duration back (7d, 12h)' -r
complete -c vault -n "__fish_vault_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l json -d 'One JSON array on stdout (with --follow: one JSON object a line)'
complete -c vault -n "__fish_vault_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -l follow -d 'Keep printing new entries as they are appended (JSON lines), until interrupted'
complete -c vault -n "__fish_vault_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -f -a "verify" -d 'Check every audit chain: links, hashes and signatures (exit 6 on a break)'
complete -c vault -n "__fish_vault_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -f -a "prune" -d 'Remove entries older than a time, leaving a signed checkpoint in their place'
complete -c vault -n "__fish_vault_using_subcommand audit; and not __fish_seen_subcommand_from verify prune help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from verify" -l anchor -d 'A chain head noted earlier (from a `head` line), which the chain must still reach' -r
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from verify" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from verify" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from verify" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from verify" -l json -d 'Print the result and each chain\'s head as one JSON object'
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from prune" -l before -d 'Prune entries made before this: a duration back from now (90d, 12h) or a time (2026-09-01, 2026-09-01T00:00:00Z)' -r
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from prune" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from prune" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from prune" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from prune" -l yes -d 'Prune without asking'
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Check every audit chain: links, hashes and signatures (exit 6 on a break)'
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Remove entries older than a time, leaving a signed checkpoint in their place'
complete -c vault -n "__fish_vault_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vault -n "__fish_vault_using_subcommand backup" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand backup" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand backup" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand backup" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand push" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand push" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand push" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand push" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand keys; and not __fish_seen_subcommand_from list add remove passwd help" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand keys; and not __fish_seen_subcommand_from list add remove passwd help" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand keys; and not __fish_seen_subcommand_from list add remove passwd help" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand keys; and not __fish_seen_subcommand_from list add remove passwd help" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand keys; and not __fish_seen_subcommand_from list add remove passwd help" -f -a "list" -d 'List the key slots (never key material)'
complete -c vault -n "__fish_vault_using_subcommand keys; and not __fish_seen_subcommand_from list add remove passwd help" -f -a "add" -d 'Add a key slot: a new passphrase, or a new key file'
complete -c vault -n "__fish_vault_using_subcommand keys; and not __fish_seen_subcommand_from list add remove passwd help" -f -a "remove" -d 'Remove a key slot (never the last one)'
complete -c vault -n "__fish_vault_using_subcommand keys; and not __fish_seen_subcommand_from list add remove passwd help" -f -a "passwd" -d 'Change the passphrase (same as `vault passwd`)'
complete -c vault -n "__fish_vault_using_subcommand keys; and not __fish_seen_subcommand_from list add remove passwd help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from list" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from list" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from list" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from list" -l json -d 'One JSON document on stdout'
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from add" -l key-file -d 'Write a new key file at FILE and add its slot' -r -F
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from add" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from add" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from add" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from add" -l passphrase -d 'Add a passphrase slot'
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from remove" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from remove" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from remove" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from passwd" -l new-passphrase-file -d 'Read the new passphrase from FILE (one trailing newline is ignored) instead of asking' -r -F
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from passwd" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from passwd" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from passwd" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from passwd" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the key slots (never key material)'
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a key slot: a new passphrase, or a new key file'
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a key slot (never the last one)'
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "passwd" -d 'Change the passphrase (same as `vault passwd`)'
complete -c vault -n "__fish_vault_using_subcommand keys; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vault -n "__fish_vault_using_subcommand passwd" -l new-passphrase-file -d 'Read the new passphrase from FILE (one trailing newline is ignored) instead of asking' -r -F
complete -c vault -n "__fish_vault_using_subcommand passwd" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand passwd" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand passwd" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand passwd" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand rekey" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand rekey" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand rekey" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand rekey" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand upgrade" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand upgrade" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand upgrade" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand upgrade" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand info" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand info" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand info" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand info" -l json -d 'One JSON document on stdout'
complete -c vault -n "__fish_vault_using_subcommand info" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand member; and not __fish_seen_subcommand_from join add list remove help" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand member; and not __fish_seen_subcommand_from join add list remove help" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand member; and not __fish_seen_subcommand_from join add list remove help" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand member; and not __fish_seen_subcommand_from join add list remove help" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand member; and not __fish_seen_subcommand_from join add list remove help" -f -a "join" -d 'Make this machine\'s identity for a vault and print the request an owner adds'
complete -c vault -n "__fish_vault_using_subcommand member; and not __fish_seen_subcommand_from join add list remove help" -f -a "add" -d 'Add a member from their request (owners only)'
complete -c vault -n "__fish_vault_using_subcommand member; and not __fish_seen_subcommand_from join add list remove help" -f -a "list" -d 'List the members, their roles and rights'
complete -c vault -n "__fish_vault_using_subcommand member; and not __fish_seen_subcommand_from join add list remove help" -f -a "remove" -d 'Remove a member: their role, rights and slot go (owners only)'
complete -c vault -n "__fish_vault_using_subcommand member; and not __fish_seen_subcommand_from join add list remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from join" -l root -d 'The vault\'s root fingerprint, from its owner (`vault info`)' -r
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from join" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from join" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from join" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from join" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from add" -l role -d 'owner (everything, own member slot) or member (rights per agent)' -r -f -a "owner\t''
member\t''"
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from add" -l agent -d 'A right on an agent, AGENT=view|operate|manage (repeatable)' -r
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from add" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from add" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from add" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from add" -l yes -d 'Do not ask'
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from list" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from list" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from list" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from list" -l json -d 'One JSON document on stdout'
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from remove" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from remove" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from remove" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from help" -f -a "join" -d 'Make this machine\'s identity for a vault and print the request an owner adds'
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a member from their request (owners only)'
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the members, their roles and rights'
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a member: their role, rights and slot go (owners only)'
complete -c vault -n "__fish_vault_using_subcommand member; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vault -n "__fish_vault_using_subcommand whoami" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand whoami" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand whoami" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand whoami" -l json -d 'One JSON document on stdout'
complete -c vault -n "__fish_vault_using_subcommand whoami" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand unlock" -l for -d 'How long the vault stays unlocked (30s, 15m, 2h; at most 24h)' -r
complete -c vault -n "__fish_vault_using_subcommand unlock" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand unlock" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand unlock" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand unlock" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand lock" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand lock" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand lock" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand lock" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand completions" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand completions" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand completions" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand completions" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand man" -l vault-dir -d 'Directory holding vault.db and vault.key [env: VAULT_DIR]' -r -F
complete -c vault -n "__fish_vault_using_subcommand man" -l passphrase-file -d 'Read the vault passphrase from FILE (one trailing newline is ignored)' -r -F
complete -c vault -n "__fish_vault_using_subcommand man" -l database-url -d 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]' -r
complete -c vault -n "__fish_vault_using_subcommand man" -s h -l help -d 'Print help'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "init" -d 'Create a new vault'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "set" -d 'Create or update a secret'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "get" -d 'Show a secret (value masked unless --reveal)'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "list" -d 'List secrets (values masked; variables shown)'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "edit" -d 'Change secrets\' metadata (never their values)'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "delete" -d 'Delete secrets (refused while granted to an agent, unless --force)'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "import" -d 'Import a .env file or a JSON export (all entries or none)'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "export" -d 'Print secrets with their values (dotenv, json or shell)'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "agent" -d 'Manage agents: the bots, scripts and services that receive secrets'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "grant" -d 'Let an agent receive secrets'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "revoke" -d 'Stop an agent from receiving secrets'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "providers" -d 'List the known AI providers and their conventional variable names'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "run" -d 'Run a command with its secrets in the environment'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "history" -d 'Show every version of a secret (values masked, variables shown)'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "rollback" -d 'Make an earlier version\'s value current again (as a new version)'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "rename" -d 'Rename a secret, keeping its history, grants and delivery state'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "audit" -d 'Show who changed, revealed, exported or ran what, and when'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "backup" -d 'Write a consistent, still-encrypted copy of the vault to a new file'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "push" -d 'Copy the local vault into a new, empty vault in PostgreSQL (--database-url)'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "keys" -d 'Manage the key slots that unlock the vault (key files, passphrases)'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "passwd" -d 'Change the vault passphrase'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "rekey" -d 'Replace the master key: every value resealed, every slot wrapped again'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "upgrade" -d 'Convert the vault to format 2 (a data key per version; needed for agent keys)'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "info" -d 'Show the vault\'s id, format, engine, schema and root fingerprint (no key needed)'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "member" -d 'Team members of a vault on PostgreSQL: join, add, list, remove'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "whoami" -d 'Show who this machine is on the vault: member or owner, rights, vault and root'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "unlock" -d 'Unlock a passphrase vault for a while: later commands from this shell do not ask'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "lock" -d 'Forget the key `vault unlock` kept: the next command asks again'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "man" -d 'Write man pages (vault.1 and one per subcommand) into DIR'
complete -c vault -n "__fish_vault_using_subcommand help; and not __fish_seen_subcommand_from init set get list edit delete import export agent grant revoke providers run history rollback rename audit backup push keys passwd rekey upgrade info member whoami unlock lock completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from agent" -f -a "create" -d 'Create an agent (or a clone of one with --from)'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from agent" -f -a "list" -d 'List agents'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from agent" -f -a "show" -d 'Show what an agent receives (grants and global secrets), each synced, stale or pending'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from agent" -f -a "delete" -d 'Delete an agent and its grants'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from agent" -f -a "token" -d 'Make a key pair for an agent here and register it (for CI); prints the key once'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from agent" -f -a "enroll" -d 'On the agent\'s machine: make its key pair here and print an enrollment request'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from agent" -f -a "approve" -d 'Register an agent\'s enrollment request (shows both fingerprints, asks y/N)'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from agent" -f -a "revoke-key" -d 'Revoke an agent\'s key: its wraps and statement are deleted'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "verify" -d 'Check every audit chain: links, hashes and signatures (exit 6 on a break)'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "prune" -d 'Remove entries older than a time, leaving a signed checkpoint in their place'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "list" -d 'List the key slots (never key material)'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "add" -d 'Add a key slot: a new passphrase, or a new key file'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "remove" -d 'Remove a key slot (never the last one)'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from keys" -f -a "passwd" -d 'Change the passphrase (same as `vault passwd`)'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from member" -f -a "join" -d 'Make this machine\'s identity for a vault and print the request an owner adds'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from member" -f -a "add" -d 'Add a member from their request (owners only)'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from member" -f -a "list" -d 'List the members, their roles and rights'
complete -c vault -n "__fish_vault_using_subcommand help; and __fish_seen_subcommand_from member" -f -a "remove" -d 'Remove a member: their role, rights and slot go (owners only)'

# Names from the vault (no unlock, never a value): `vault __complete`.
function __vault_names
    set -l dir
    set -l tokens (commandline -opc)
    set -l i (contains -i -- --vault-dir $tokens)
    and set dir --vault-dir $tokens[(math $i + 1)]
    vault __complete $argv[1] $dir 2>/dev/null
end
complete -c vault -n "__fish_seen_subcommand_from get set edit delete history rollback rename grant revoke" -f -a "(__vault_names secrets)"
complete -c vault -n "__fish_seen_subcommand_from show delete; and __fish_seen_subcommand_from agent" -f -a "(__vault_names agents)"
complete -c vault -l agent -x -a "(__vault_names agents)"
complete -c vault -l env -x -a "(__vault_names envs)"
complete -c vault -n "__fish_seen_subcommand_from create; and __fish_seen_subcommand_from agent" -l from -x -a "(__vault_names agents)"
complete -c vault -n "__fish_seen_subcommand_from run" -l only -x -a "(__vault_names secrets)"
