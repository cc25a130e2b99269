
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'vault' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'vault'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'vault' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a new vault')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Create or update a secret')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Show a secret (value masked unless --reveal)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List secrets (values masked; variables shown)')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Change secrets'' metadata (never their values)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete secrets (refused while granted to an agent, unless --force)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import a .env file or a JSON export (all entries or none)')
            [CompletionResult]::new('import-env', 'import-env', [CompletionResultType]::ParameterValue, 'Import a .env file or a JSON export (all entries or none)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print secrets with their values (dotenv, json or shell)')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Manage agents: the bots, scripts and services that receive secrets')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'Let an agent receive secrets')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Stop an agent from receiving secrets')
            [CompletionResult]::new('providers', 'providers', [CompletionResultType]::ParameterValue, 'List the known AI providers and their conventional variable names')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command with its secrets in the environment')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show every version of a secret (values masked, variables shown)')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Make an earlier version''s value current again (as a new version)')
            [CompletionResult]::new('rename', 'rename', [CompletionResultType]::ParameterValue, 'Rename a secret, keeping its history, grants and delivery state')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show who changed, revealed, exported or ran what, and when')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Write a consistent, still-encrypted copy of the vault to a new file')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Copy the local vault into a new, empty vault in PostgreSQL (--database-url)')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Manage the key slots that unlock the vault (key files, passphrases)')
            [CompletionResult]::new('passwd', 'passwd', [CompletionResultType]::ParameterValue, 'Change the vault passphrase')
            [CompletionResult]::new('rekey', 'rekey', [CompletionResultType]::ParameterValue, 'Replace the master key: every value resealed, every slot wrapped again')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Convert the vault to format 2 (a data key per version; needed for agent keys)')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show the vault''s id, format, engine, schema and root fingerprint (no key needed)')
            [CompletionResult]::new('member', 'member', [CompletionResultType]::ParameterValue, 'Team members of a vault on PostgreSQL: join, add, list, remove')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Show who this machine is on the vault: member or owner, rights, vault and root')
            [CompletionResult]::new('unlock', 'unlock', [CompletionResultType]::ParameterValue, 'Unlock a passphrase vault for a while: later commands from this shell do not ask')
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Forget the key `vault unlock` kept: the next command asks again')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write man pages (vault.1 and one per subcommand) into DIR')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vault;init' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'The on-disk format: 2 (the default), or 1 for tests of old vaults')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--passphrase', '--passphrase', [CompletionResultType]::ParameterName, 'Protect the vault with a passphrase (Argon2id) instead of a key file')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;set' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'A description (kept on update unless given)')
            [CompletionResult]::new('--description', '--description', [CompletionResultType]::ParameterName, 'A description (kept on update unless given)')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Make the secret agent-scoped and grant it to AGENT (repeatable)')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Tag the secret as a credential of this AI provider (see `vault providers`)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Set the value for environment ENV only (it overrides the shared one there) [env: VAULT_ENV]')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--variable', '--variable', [CompletionResultType]::ParameterName, 'Store as a non-sensitive variable: plain text, shown in listings, never masked')
            [CompletionResult]::new('--allow-code-loading-name', '--allow-code-loading-name', [CompletionResultType]::ParameterName, 'Allow a name that makes interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, BASH_ENV, ...)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'With --variable: turn an existing secret into plain text without asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;get' {
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment whose value to use (its own, else the shared one) [env: VAULT_ENV]')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Print only the value and a newline (with --json: include the value)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;list' {
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only what this agent would receive (globals plus its grants)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Show environment ENV''s values (its own, else the shared ones) [env: VAULT_ENV]')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;edit' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'New description')
            [CompletionResult]::new('--description', '--description', [CompletionResultType]::ParameterName, 'New description')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'Tag it as a credential of this provider ("none" removes the tag)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment whose own value to change (without: the shared value) [env: VAULT_ENV]')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--variable', '--variable', [CompletionResultType]::ParameterName, 'Make it a non-sensitive variable (stored in plain text)')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'Make it a secret (encrypted, masked)')
            [CompletionResult]::new('--global', '--global', [CompletionResultType]::ParameterName, 'Inject it into every run')
            [CompletionResult]::new('--agent-only', '--agent-only', [CompletionResultType]::ParameterName, 'Inject it only into runs of agents it is granted to')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'With --variable: turn secrets into plain text without asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;delete' {
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Delete environment ENV''s own value only [env: VAULT_ENV]')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Revoke the secret from every agent, then delete it (in every environment)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;import' {
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Make the imported secrets agent-scoped and grant them to AGENT (repeatable)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'The file''s format (default: JSON when it starts with {, else dotenv)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Import as environment ENV''s own values (without: shared values) [env: VAULT_ENV]')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--variable', '--variable', [CompletionResultType]::ParameterName, 'Import as non-sensitive variables')
            [CompletionResult]::new('--no-overwrite', '--no-overwrite', [CompletionResultType]::ParameterName, 'Skip names that already exist')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Report what would change; write nothing')
            [CompletionResult]::new('--rename', '--rename', [CompletionResultType]::ParameterName, 'Map invalid keys to valid names (db.url -> DB_URL, api-key -> API_KEY)')
            [CompletionResult]::new('--allow-code-loading-name', '--allow-code-loading-name', [CompletionResultType]::ParameterName, 'Allow names that make interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, ...)')
            [CompletionResult]::new('--create-agents', '--create-agents', [CompletionResultType]::ParameterName, 'Create the agents a JSON export grants secrets to when they do not exist')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document (the summary) on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vault;import-env' {
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Make the imported secrets agent-scoped and grant them to AGENT (repeatable)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'The file''s format (default: JSON when it starts with {, else dotenv)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Import as environment ENV''s own values (without: shared values) [env: VAULT_ENV]')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--variable', '--variable', [CompletionResultType]::ParameterName, 'Import as non-sensitive variables')
            [CompletionResult]::new('--no-overwrite', '--no-overwrite', [CompletionResultType]::ParameterName, 'Skip names that already exist')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Report what would change; write nothing')
            [CompletionResult]::new('--rename', '--rename', [CompletionResultType]::ParameterName, 'Map invalid keys to valid names (db.url -> DB_URL, api-key -> API_KEY)')
            [CompletionResult]::new('--allow-code-loading-name', '--allow-code-loading-name', [CompletionResultType]::ParameterName, 'Allow names that make interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, ...)')
            [CompletionResult]::new('--create-agents', '--create-agents', [CompletionResultType]::ParameterName, 'Create the agents a JSON export grants secrets to when they do not exist')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document (the summary) on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vault;export' {
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Export what this agent would receive (globals plus its grants)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Export environment ENV''s values (its own, else the shared ones; default with --agent: its pin) [env: VAULT_ENV]')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--reveal', '--reveal', [CompletionResultType]::ParameterName, 'Print secret values even when stdout is a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vault;agent' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an agent (or a clone of one with --from)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List agents')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show what an agent receives (grants and global secrets), each synced, stale or pending')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an agent and its grants')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Make a key pair for an agent here and register it (for CI); prints the key once')
            [CompletionResult]::new('enroll', 'enroll', [CompletionResultType]::ParameterValue, 'On the agent''s machine: make its key pair here and print an enrollment request')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Register an agent''s enrollment request (shows both fingerprints, asks y/N)')
            [CompletionResult]::new('revoke-key', 'revoke-key', [CompletionResultType]::ParameterValue, 'Revoke an agent''s key: its wraps and statement are deleted')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vault;agent;create' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'What the agent is (shown by agent list and agent show)')
            [CompletionResult]::new('--description', '--description', [CompletionResultType]::ParameterName, 'What the agent is (shown by agent list and agent show)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Pin the agent to environment ENV (names as for agents)')
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Copy the grants, description and environment pin of this existing agent')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;agent;list' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;agent;show' {
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Show what it receives in environment ENV (default: its pin) [env: VAULT_ENV]')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;agent;delete' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;agent;token' {
            [CompletionResult]::new('--ttl', '--ttl', [CompletionResultType]::ParameterName, 'The key stops working after this long (e.g. 12h, 30d); default: never')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write the key to FILE (0600, never overwritten) instead of stdout')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;agent;enroll' {
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'The vault''s root fingerprint (vault-root:SHA256:...), from an owner')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;agent;approve' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Approve without asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;agent;revoke-key' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;agent;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an agent (or a clone of one with --from)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List agents')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show what an agent receives (grants and global secrets), each synced, stale or pending')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an agent and its grants')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Make a key pair for an agent here and register it (for CI); prints the key once')
            [CompletionResult]::new('enroll', 'enroll', [CompletionResultType]::ParameterValue, 'On the agent''s machine: make its key pair here and print an enrollment request')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Register an agent''s enrollment request (shows both fingerprints, asks y/N)')
            [CompletionResult]::new('revoke-key', 'revoke-key', [CompletionResultType]::ParameterValue, 'Revoke an agent''s key: its wraps and statement are deleted')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vault;agent;help;create' {
            break
        }
        'vault;agent;help;list' {
            break
        }
        'vault;agent;help;show' {
            break
        }
        'vault;agent;help;delete' {
            break
        }
        'vault;agent;help;token' {
            break
        }
        'vault;agent;help;enroll' {
            break
        }
        'vault;agent;help;approve' {
            break
        }
        'vault;agent;help;revoke-key' {
            break
        }
        'vault;agent;help;help' {
            break
        }
        'vault;grant' {
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'The agent that may receive them')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;revoke' {
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'The agent that may no longer receive them')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;providers' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;run' {
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Also inject the secrets granted to AGENT')
            [CompletionResult]::new('--manifest', '--manifest', [CompletionResultType]::ParameterName, 'Manifest declaring the secrets the command needs (default: the nearest vault.toml from here up to $HOME)')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Inject only these names (comma-separated)')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'Keep the caller''s NAME as it is: passed on even with --clean-env, never replaced by a secret (comma-separated, repeatable)')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Inject environment ENV''s values (its own, else the shared ones; default: the agent''s pin) [env: VAULT_ENV]')
            [CompletionResult]::new('--on-change', '--on-change', [CompletionResultType]::ParameterName, 'With --watch: `restart` (default), `signal:SIG` (send SIG, e.g. signal:HUP or signal:USR1, to a command that re-reads its secrets itself; its environment cannot change), or `exit` (stop it and exit 75 for a supervisor to restart)')
            [CompletionResult]::new('--grace', '--grace', [CompletionResultType]::ParameterName, 'With --watch: how long a stopped command has after SIGTERM before SIGKILL [default: 10s]')
            [CompletionResult]::new('--debounce', '--debounce', [CompletionResultType]::ParameterName, 'With --watch: wait until changes stop for this long, then act once [default: 300ms]')
            [CompletionResult]::new('--splay', '--splay', [CompletionResultType]::ParameterName, 'With --watch: act after a random delay below DUR, so a fleet does not restart at once [default: 0s]')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--clean-env', '--clean-env', [CompletionResultType]::ParameterName, 'Start from an empty environment (keeping PATH, HOME, USER, LANG, TERM and --keep names)')
            [CompletionResult]::new('--no-masking', '--no-masking', [CompletionResultType]::ParameterName, 'Exec the command directly: no output masking, no extra process (with --watch, vault stays its parent to restart it, and copies its output untouched)')
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Watch the vault and restart the command when a secret it received changes')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;history' {
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment whose value to use (its own, else the shared one) [env: VAULT_ENV]')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;rollback' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The version whose value becomes current again')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment whose own value to change (without: the shared value) [env: VAULT_ENV]')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;rename' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--allow-code-loading-name', '--allow-code-loading-name', [CompletionResultType]::ParameterName, 'Allow a new name that makes interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, BASH_ENV, ...)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;audit' {
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only entries about this agent')
            [CompletionResult]::new('--secret', '--secret', [CompletionResultType]::ParameterName, 'Only entries about this secret')
            [CompletionResult]::new('--actor', '--actor', [CompletionResultType]::ParameterName, 'Only entries made by this actor (`owner`: whoever holds the master key)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only entries since a time (2026-12-01T00:00:00Z) or for a duration back (7d, 12h)')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON array on stdout (with --follow: one JSON object a line)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep printing new entries as they are appended (JSON lines), until interrupted')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check every audit chain: links, hashes and signatures (exit 6 on a break)')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Remove entries older than a time, leaving a signed checkpoint in their place')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vault;audit;verify' {
            [CompletionResult]::new('--anchor', '--anchor', [CompletionResultType]::ParameterName, 'A chain head noted earlier (from a `head` line), which the chain must still reach')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the result and each chain''s head as one JSON object')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;audit;prune' {
            [CompletionResult]::new('--before', '--before', [CompletionResultType]::ParameterName, 'Prune entries made before this: a duration back from now (90d, 12h) or a time (2026-09-01, 2026-09-01T00:00:00Z)')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Prune without asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;audit;help' {
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check every audit chain: links, hashes and signatures (exit 6 on a break)')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Remove entries older than a time, leaving a signed checkpoint in their place')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vault;audit;help;verify' {
            break
        }
        'vault;audit;help;prune' {
            break
        }
        'vault;audit;help;help' {
            break
        }
        'vault;backup' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;push' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;keys' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the key slots (never key material)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a key slot: a new passphrase, or a new key file')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a key slot (never the last one)')
            [CompletionResult]::new('passwd', 'passwd', [CompletionResultType]::ParameterValue, 'Change the passphrase (same as `vault passwd`)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vault;keys;list' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;keys;add' {
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'Write a new key file at FILE and add its slot')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--passphrase', '--passphrase', [CompletionResultType]::ParameterName, 'Add a passphrase slot')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;keys;remove' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;keys;passwd' {
            [CompletionResult]::new('--new-passphrase-file', '--new-passphrase-file', [CompletionResultType]::ParameterName, 'Read the new passphrase from FILE (one trailing newline is ignored) instead of asking')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;keys;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the key slots (never key material)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a key slot: a new passphrase, or a new key file')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a key slot (never the last one)')
            [CompletionResult]::new('passwd', 'passwd', [CompletionResultType]::ParameterValue, 'Change the passphrase (same as `vault passwd`)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vault;keys;help;list' {
            break
        }
        'vault;keys;help;add' {
            break
        }
        'vault;keys;help;remove' {
            break
        }
        'vault;keys;help;passwd' {
            break
        }
        'vault;keys;help;help' {
            break
        }
        'vault;passwd' {
            [CompletionResult]::new('--new-passphrase-file', '--new-passphrase-file', [CompletionResultType]::ParameterName, 'Read the new passphrase from FILE (one trailing newline is ignored) instead of asking')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;rekey' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;upgrade' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;info' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;member' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('join', 'join', [CompletionResultType]::ParameterValue, 'Make this machine''s identity for a vault and print the request an owner adds')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a member from their request (owners only)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the members, their roles and rights')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a member: their role, rights and slot go (owners only)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vault;member;join' {
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'The vault''s root fingerprint, from its owner (`vault info`)')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;member;add' {
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'owner (everything, own member slot) or member (rights per agent)')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'A right on an agent, AGENT=view|operate|manage (repeatable)')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;member;list' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;member;remove' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;member;help' {
            [CompletionResult]::new('join', 'join', [CompletionResultType]::ParameterValue, 'Make this machine''s identity for a vault and print the request an owner adds')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a member from their request (owners only)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the members, their roles and rights')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a member: their role, rights and slot go (owners only)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vault;member;help;join' {
            break
        }
        'vault;member;help;add' {
            break
        }
        'vault;member;help;list' {
            break
        }
        'vault;member;help;remove' {
            break
        }
        'vault;member;help;help' {
            break
        }
        'vault;whoami' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document on stdout')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;unlock' {
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'How long the vault stays unlocked (30s, 15m, 2h; at most 24h)')
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;lock' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;completions' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;man' {
            [CompletionResult]::new('--vault-dir', '--vault-dir', [CompletionResultType]::ParameterName, 'Directory holding vault.db and vault.key [env: VAULT_DIR]')
            [CompletionResult]::new('--passphrase-file', '--passphrase-file', [CompletionResultType]::ParameterName, 'Read the vault passphrase from FILE (one trailing newline is ignored)')
            [CompletionResult]::new('--database-url', '--database-url', [CompletionResultType]::ParameterName, 'The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'vault;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a new vault')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Create or update a secret')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Show a secret (value masked unless --reveal)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List secrets (values masked; variables shown)')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Change secrets'' metadata (never their values)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete secrets (refused while granted to an agent, unless --force)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import a .env file or a JSON export (all entries or none)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print secrets with their values (dotenv, json or shell)')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Manage agents: the bots, scripts and services that receive secrets')
            [CompletionResult]::new('grant', 'grant', [CompletionResultType]::ParameterValue, 'Let an agent receive secrets')
            [CompletionResult]::new('revoke', 'revoke', [CompletionResultType]::ParameterValue, 'Stop an agent from receiving secrets')
            [CompletionResult]::new('providers', 'providers', [CompletionResultType]::ParameterValue, 'List the known AI providers and their conventional variable names')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command with its secrets in the environment')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Show every version of a secret (values masked, variables shown)')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Make an earlier version''s value current again (as a new version)')
            [CompletionResult]::new('rename', 'rename', [CompletionResultType]::ParameterValue, 'Rename a secret, keeping its history, grants and delivery state')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show who changed, revealed, exported or ran what, and when')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Write a consistent, still-encrypted copy of the vault to a new file')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Copy the local vault into a new, empty vault in PostgreSQL (--database-url)')
            [CompletionResult]::new('keys', 'keys', [CompletionResultType]::ParameterValue, 'Manage the key slots that unlock the vault (key files, passphrases)')
            [CompletionResult]::new('passwd', 'passwd', [CompletionResultType]::ParameterValue, 'Change the vault passphrase')
            [CompletionResult]::new('rekey', 'rekey', [CompletionResultType]::ParameterValue, 'Replace the master key: every value resealed, every slot wrapped again')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Convert the vault to format 2 (a data key per version; needed for agent keys)')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Show the vault''s id, format, engine, schema and root fingerprint (no key needed)')
            [CompletionResult]::new('member', 'member', [CompletionResultType]::ParameterValue, 'Team members of a vault on PostgreSQL: join, add, list, remove')
            [CompletionResult]::new('whoami', 'whoami', [CompletionResultType]::ParameterValue, 'Show who this machine is on the vault: member or owner, rights, vault and root')
            [CompletionResult]::new('unlock', 'unlock', [CompletionResultType]::ParameterValue, 'Unlock a passphrase vault for a while: later commands from this shell do not ask')
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Forget the key `vault unlock` kept: the next command asks again')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write man pages (vault.1 and one per subcommand) into DIR')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vault;help;init' {
            break
        }
        'vault;help;set' {
            break
        }
        'vault;help;get' {
            break
        }
        'vault;help;list' {
            break
        }
        'vault;help;edit' {
            break
        }
        'vault;help;delete' {
            break
        }
        'vault;help;import' {
            break
        }
        'vault;help;export' {
            break
        }
        'vault;help;agent' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an agent (or a clone of one with --from)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List agents')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show what an agent receives (grants and global secrets), each synced, stale or pending')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an agent and its grants')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Make a key pair for an agent here and register it (for CI); prints the key once')
            [CompletionResult]::new('enroll', 'enroll', [CompletionResultType]::ParameterValue, 'On the agent''s machine: make its key pair here and print an enrollment request')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Register an agent''s enrollment request (shows both fingerprints, asks y/N)')
            [CompletionResult]::new('revoke-key', 'revoke-key', [CompletionResultType]::ParameterValue, 'Revoke an agent''s key: its wraps and statement are deleted')
            break
        }
        'vault;help;agent;create' {
            break
        }
        'vault;help;agent;list' {
            break
        }
        'vault;help;agent;show' {
            break
        }
        'vault;help;agent;delete' {
            break
        }
        'vault;help;agent;token' {
            break
        }
        'vault;help;agent;enroll' {
            break
        }
        'vault;help;agent;approve' {
            break
        }
        'vault;help;agent;revoke-key' {
            break
        }
        'vault;help;grant' {
            break
        }
        'vault;help;revoke' {
            break
        }
        'vault;help;providers' {
            break
        }
        'vault;help;run' {
            break
        }
        'vault;help;history' {
            break
        }
        'vault;help;rollback' {
            break
        }
        'vault;help;rename' {
            break
        }
        'vault;help;audit' {
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check every audit chain: links, hashes and signatures (exit 6 on a break)')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Remove entries older than a time, leaving a signed checkpoint in their place')
            break
        }
        'vault;help;audit;verify' {
            break
        }
        'vault;help;audit;prune' {
            break
        }
        'vault;help;backup' {
            break
        }
        'vault;help;push' {
            break
        }
        'vault;help;keys' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the key slots (never key material)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a key slot: a new passphrase, or a new key file')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a key slot (never the last one)')
            [CompletionResult]::new('passwd', 'passwd', [CompletionResultType]::ParameterValue, 'Change the passphrase (same as `vault passwd`)')
            break
        }
        'vault;help;keys;list' {
            break
        }
        'vault;help;keys;add' {
            break
        }
        'vault;help;keys;remove' {
            break
        }
        'vault;help;keys;passwd' {
            break
        }
        'vault;help;passwd' {
            break
        }
        'vault;help;rekey' {
            break
        }
        'vault;help;upgrade' {
            break
        }
        'vault;help;info' {
            break
        }
        'vault;help;member' {
            [CompletionResult]::new('join', 'join', [CompletionResultType]::ParameterValue, 'Make this machine''s identity for a vault and print the request an owner adds')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a member from their request (owners only)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the members, their roles and rights')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a member: their role, rights and slot go (owners only)')
            break
        }
        'vault;help;member;join' {
            break
        }
        'vault;help;member;add' {
            break
        }
        'vault;help;member;list' {
            break
        }
        'vault;help;member;remove' {
            break
        }
        'vault;help;whoami' {
            break
        }
        'vault;help;unlock' {
            break
        }
        'vault;help;lock' {
            break
        }
        'vault;help;completions' {
            break
        }
        'vault;help;man' {
            break
        }
        'vault;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
