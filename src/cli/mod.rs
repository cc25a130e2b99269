//! Command-line types (clap derive), and in `usage` what vault prints when
//! clap cannot read a command line. No other behaviour lives here: `main`
//! dispatches each variant to `commands::*`.

pub mod usage;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const ABOUT: &str = "Keep API keys and tokens in an encrypted local vault and start programs with exactly the secrets they may see";

const LONG_ABOUT: &str = "\
vault keeps API keys, tokens and passwords in an encrypted local SQLite vault, \
decides which agent may see which secret, and starts programs with exactly those \
secrets in their environment — never on disk in plain text, never in argv, never \
echoed into their logs.

The vault lives in ~/.local/share/vault/vault.db with its key in \
~/.config/vault/vault.key, or in DIR with --vault-dir DIR (or VAULT_DIR). \
VAULT_KEY holds the key itself (for CI and containers), VAULT_KEY_FILE names \
another key file, and VAULT_PASSPHRASE or --passphrase-file unlock a passphrase vault.

With --database-url URL (or VAULT_DATABASE_URL) the vault is in PostgreSQL \
instead of vault.db (vault=NAME in the URL picks one of several vaults in a \
database); the key file stays local, and the server holds only ciphertext.";

const EXAMPLES: &str = "\
Examples:
  vault agent create support-bot
  vault set OPENAI_API_KEY -d \"model calls\" --agent support-bot   # hidden prompt; agent-only
  vault set SENTRY_DSN                          # global: every run receives it
  vault run --agent support-bot -- python3 bot.py
  vault import .env
  vault list

Exit codes:
  0 ok, 1 failure, 2 usage, 3 not found, 4 conflict, 5 locked, 6 integrity, 7 invalid input
  vault run: 125 vault failed, 126 not executable, 127 not found, else the command's status";

#[derive(Debug, Parser)]
#[command(
    name = "vault",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

// The options every command takes (`global`: also after the command's name).
// A struct of their own so the fast path (`parse_fast`) builds them
// without the whole command tree. (Not a doc comment: clap would take it for
// the about text of the command it is flattened into.)
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Directory holding vault.db and vault.key [env: VAULT_DIR]
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        help_heading = "Global options"
    )]
    pub vault_dir: Option<PathBuf>,

    /// Read the vault passphrase from FILE (one trailing newline is ignored)
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        help_heading = "Global options"
    )]
    pub passphrase_file: Option<PathBuf>,

    /// The vault is in PostgreSQL at URL (postgres://USER@HOST:PORT/DB?vault=NAME) [env: VAULT_DATABASE_URL]
    #[arg(
        long,
        global = true,
        value_name = "URL",
        help_heading = "Global options"
    )]
    pub database_url: Option<String>,
}

/// `vault run ...` and `vault get ...` parsed with a command tree of that
/// command alone: clap builds, per call, every argument of every command,
/// which was a tenth of the instructions `vault run` executes before its
/// command starts (and 8 % of a `get --reveal`). Only a command line whose
/// first argument is `run` or `get` and that this reduced tree accepts takes
/// this path; anything else (help, version, any error) returns None, and the
/// whole tree parses it again, so what is printed is the same. The tree is
/// leaked like `main`'s: it is freed by exit or exec anyway.
pub fn parse_fast(args: &[OsString]) -> Option<Cli> {
    use clap::FromArgMatches;
    let name = args.get(1)?.to_str()?;
    let sub = match name {
        "run" => RunArgs::augment_args(clap::Command::new("run")),
        "get" => GetArgs::augment_args(clap::Command::new("get")),
        _ => return None,
    };
    let cmd = GlobalArgs::augment_args(clap::Command::new("vault"))
        .subcommand(sub)
        .subcommand_required(true);
    let cmd = Box::leak(Box::new(cmd));
    let mut m = cmd.try_get_matches_from_mut(args).ok()?;
    let global = GlobalArgs::from_arg_matches_mut(&mut m).ok()?;
    let (parsed, mut sub) = m.remove_subcommand()?;
    if parsed != name {
        return None;
    }
    let command = match name {
        "run" => Command::Run(RunArgs::from_arg_matches_mut(&mut sub).ok()?),
        _ => Command::Get(GetArgs::from_arg_matches_mut(&mut sub).ok()?),
    };
    Some(Cli { global, command })
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Init(InitArgs),
    Set(SetArgs),
    Get(GetArgs),
    List(ListArgs),
    Edit(EditArgs),
    Delete(DeleteArgs),
    #[command(visible_alias = "import-env")]
    Import(ImportArgs),
    Export(ExportArgs),
    #[command(subcommand)]
    Agent(AgentCommand),
    Grant(GrantArgs),
    Revoke(RevokeArgs),
    Providers(ProvidersArgs),
    Run(RunArgs),
    History(HistoryArgs),
    Rollback(RollbackArgs),
    Rename(RenameArgs),
    Audit(AuditArgs),
    Backup(BackupArgs),
    Push(PushArgs),
    #[command(subcommand)]
    Keys(KeysCommand),
    Passwd(PasswdArgs),
    Rekey(RekeyArgs),
    Upgrade(UpgradeArgs),
    Info(InfoArgs),
    #[command(subcommand)]
    Member(MemberCommand),
    Whoami(WhoamiArgs),
    Unlock(UnlockArgs),
    Lock(LockArgs),
    Completions(CompletionsArgs),
    Man(ManArgs),
}

/// Create a new vault
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault init                                  # random key in ~/.config/vault/vault.key (mode 0600)
  vault init --passphrase                     # no key file; asks for a passphrase twice
  VAULT_PASSPHRASE=... vault init --passphrase   # non-interactive (CI)
  vault --vault-dir ./.vault init             # a vault for one project

Refuses to overwrite an existing vault (exit 4). Any write command creates a vault
with a key file on first use, so `vault init` is optional.
A new passphrase needs at least 8 characters, of at least 4 different ones (exit 7
otherwise); under 12 characters vault warns. Several random words are best.")]
pub struct InitArgs {
    /// Protect the vault with a passphrase (Argon2id) instead of a key file
    #[arg(long)]
    pub passphrase: bool,
    /// The on-disk format: 2 (the default), or 1 for tests of old vaults
    #[arg(long, default_value_t = 2, hide = true, value_parser = clap::value_parser!(u32).range(1..=2))]
    pub format: u32,
}

/// Create or update a secret
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault set OPENAI_API_KEY                      # hidden prompt (Enter keeps the current value)
  printf %s \"$TOKEN\" | vault set GITHUB_TOKEN   # from stdin; one trailing newline is stripped
  vault set OPENAI_API_KEY sk-... -d \"model calls\" --provider openai
  vault set API_BASE_URL https://api.example.com --variable
  vault set SLACK_TOKEN --agent support-bot     # only support-bot receives it
  vault set TLS_KEY < key.pem                   # a multi-line value, from a file
  vault set DATABASE_URL --env production       # production's own value; others keep the shared one

A value given as an argument is written to your shell's history file and is
visible to other local users in the process list while vault runs; for real
secrets use the hidden prompt (`vault set NAME`) or stdin (`vault set NAME < FILE`).
Multi-line values (PEM keys, certificates): stdin or a file, or paste them at the
prompt (the whole paste is the value; nothing of it reaches the shell).
Names starting with VAULT_ are reserved for vault's own settings.")]
pub struct SetArgs {
    /// Name: A-Z, 0-9 and _, not starting with a digit or VAULT_ (e.g. OPENAI_API_KEY)
    pub name: String,
    /// The value (after `--` if it starts with -). Lands in your shell history and the
    /// process list: prefer the hidden prompt (omit it) or stdin (`< FILE`)
    pub value: Option<String>,
    /// A description (kept on update unless given)
    #[arg(short = 'd', long = "description", value_name = "DESC")]
    pub description: Option<String>,
    /// Store as a non-sensitive variable: plain text, shown in listings, never masked
    #[arg(long)]
    pub variable: bool,
    /// Make the secret agent-scoped and grant it to AGENT (repeatable)
    #[arg(long = "agent", value_name = "AGENT")]
    pub agents: Vec<String>,
    /// Tag the secret as a credential of this AI provider (see `vault providers`)
    #[arg(long, value_name = "PROVIDER")]
    pub provider: Option<String>,
    /// Allow a name that makes interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, BASH_ENV, ...)
    #[arg(long)]
    pub allow_code_loading_name: bool,
    /// With --variable: turn an existing secret into plain text without asking
    #[arg(long)]
    pub force: bool,
    /// Set the value for environment ENV only (it overrides the shared one there) [env: VAULT_ENV]
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
}

/// Show a secret (value masked unless --reveal)
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault get OPENAI_API_KEY                  # metadata, value shown as ••••••••
  vault get OPENAI_API_KEY --reveal         # the bare value and a newline
  curl -H \"Authorization: Bearer $(vault get API_TOKEN --reveal)\" ...
  vault get OPENAI_API_KEY --json
  vault get DATABASE_URL --env production --reveal   # production's value (its own, else the shared one)")]
pub struct GetArgs {
    /// The secret's name
    pub name: String,
    /// Print only the value and a newline (with --json: include the value)
    #[arg(long)]
    pub reveal: bool,
    /// One JSON document on stdout
    #[arg(long)]
    pub json: bool,
    /// Environment whose value to use (its own, else the shared one) [env: VAULT_ENV]
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
}

/// List secrets (values masked; variables shown)
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault list
  vault list --agent support-bot            # what support-bot would receive
  vault list --json | jq -r '.[].name'
  vault list --env production               # production's values; FROM says shared or production

Needs no key: names, descriptions and policy are stored in plain text.")]
pub struct ListArgs {
    /// Only what this agent would receive (globals plus its grants)
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,
    /// One JSON document on stdout
    #[arg(long)]
    pub json: bool,
    /// Show environment ENV's values (its own, else the shared ones) [env: VAULT_ENV]
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
}

/// Change secrets' metadata (never their values)
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault edit OPENAI_API_KEY -d \"model calls for the support bot\"
  vault edit API_BASE_URL --variable        # show it in listings, never mask it
  vault edit API_BASE_URL LOG_LEVEL REGION --variable   # several at once
  vault edit SLACK_TOKEN --agent-only       # only agents it is granted to receive it
  vault edit OPENAI_API_KEY --provider openai

Changes every named secret or none (one transaction). Turning a secret into a
plain-text variable asks first on a terminal; elsewhere it needs --force.")]
pub struct EditArgs {
    /// The secrets' names
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    /// New description
    #[arg(short = 'd', long = "description", value_name = "DESC")]
    pub description: Option<String>,
    /// Make it a non-sensitive variable (stored in plain text)
    #[arg(long, conflicts_with = "secret")]
    pub variable: bool,
    /// Make it a secret (encrypted, masked)
    #[arg(long)]
    pub secret: bool,
    /// Inject it into every run
    #[arg(long, conflicts_with = "agent_only")]
    pub global: bool,
    /// Inject it only into runs of agents it is granted to
    #[arg(long)]
    pub agent_only: bool,
    /// Tag it as a credential of this provider ("none" removes the tag)
    #[arg(long, value_name = "PROVIDER")]
    pub provider: Option<String>,
    /// With --variable: turn secrets into plain text without asking
    #[arg(long)]
    pub force: bool,
    /// Environment whose own value to change (without: the shared value) [env: VAULT_ENV]
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
}

/// Delete secrets (refused while granted to an agent, unless --force)
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault delete OLD_TOKEN
  vault delete OPENAI_API_KEY --force       # revoke it from every agent, then delete
  vault delete DATABASE_URL --env staging   # staging's own value; staging uses the shared one again

Deletes every named secret or none. All versions are removed. Without --env the
shared value is deleted; a name that also has its own value in an environment
is refused (exit 4) unless --force, which deletes it in every environment.")]
pub struct DeleteArgs {
    /// The secrets to delete
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Revoke the secret from every agent, then delete it (in every environment)
    #[arg(long)]
    pub force: bool,
    /// Delete environment ENV's own value only [env: VAULT_ENV]
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
}

/// Import a .env file or a JSON export (all entries or none)
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault import .env
  vault import .env --dry-run               # report what would change; writes nothing
  vault import .env --agent support-bot     # agent-scoped, granted to support-bot
  vault import .env --no-overwrite          # keep existing values
  cat prod.env | vault import - --env production   # production's own values
  vault export --format json > all.json && vault --vault-dir ./other import all.json --create-agents

Format: KEY=VALUE lines, # comments, optional `export `, single quotes literal,
double quotes with \\n \\r \\t \\\" \\\\ escapes (may span lines). $VAR is kept literally.
Lines end with LF, CRLF or a lone CR. A bad line fails the whole import, with
FILE:LINE for every bad line. At most 64 MiB is read.

A file starting with { is read as JSON: the output of `vault export --format json`,
which restores kind, scope, description, provider and grants (an agent it grants
to must exist, or give --create-agents), or an object of \"NAME\": \"value\" strings.

Values are stored as given; import warns about empty values and about secrets
so ordinary (false, 8000, postgres, http://localhost:3000) that masking them
would redact common text in every log, and prints the `vault edit ... --variable`
command that makes them variables.")]
pub struct ImportArgs {
    /// The .env or JSON file, or - for stdin
    pub file: PathBuf,
    /// Make the imported secrets agent-scoped and grant them to AGENT (repeatable)
    #[arg(long = "agent", value_name = "AGENT")]
    pub agents: Vec<String>,
    /// Import as non-sensitive variables
    #[arg(long)]
    pub variable: bool,
    /// Skip names that already exist
    #[arg(long)]
    pub no_overwrite: bool,
    /// Report what would change; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Map invalid keys to valid names (db.url -> DB_URL, api-key -> API_KEY)
    #[arg(long)]
    pub rename: bool,
    /// Allow names that make interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, ...)
    #[arg(long)]
    pub allow_code_loading_name: bool,
    /// The file's format (default: JSON when it starts with {, else dotenv)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ImportFormat>,
    /// Create the agents a JSON export grants secrets to when they do not exist
    #[arg(long)]
    pub create_agents: bool,
    /// One JSON document (the summary) on stdout
    #[arg(long)]
    pub json: bool,
    /// Import as environment ENV's own values (without: shared values) [env: VAULT_ENV]
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// KEY=value lines (docs/DOTENV.md)
    Dotenv,
    /// The output of `vault export --format json`, or {"NAME": "value", ...}
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// KEY=value lines that `vault import` reads back byte for byte (values only)
    Dotenv,
    /// Values with kind, scope, description, provider and grants, for `vault import`
    Json,
    /// export NAME='value' lines for a POSIX shell (values only)
    Shell,
}

/// Print secrets with their values (dotenv, json or shell)
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault export > app.env                    # plain text! keep it private
  vault export --format json > all.json     # also kinds, scopes, descriptions, providers, grants
  vault export --agent support-bot --format json
  vault export --env production > prod.env  # production's values
  eval \"$(vault export --format shell)\"
  vault export --reveal                     # on a terminal: show the values here

Values are revealed and quoted so that `vault import` of the output restores them
byte for byte. dotenv and shell carry names and values only: importing them makes
new entries global secrets, without descriptions, providers or grants (a note on
stderr says so). --format json carries those too, and `vault import` restores
them. None of them is a backup (no history, no key slots): `vault backup` copies
the whole vault. On a terminal, export refuses to print secret values without
--reveal.")]
pub struct ExportArgs {
    /// Export what this agent would receive (globals plus its grants)
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = ExportFormat::Dotenv)]
    pub format: ExportFormat,
    /// Print secret values even when stdout is a terminal
    #[arg(long)]
    pub reveal: bool,
    /// Export environment ENV's values (its own, else the shared ones; default with --agent: its pin) [env: VAULT_ENV]
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
}

/// Manage agents: the bots, scripts and services that receive secrets
#[derive(Debug, Subcommand)]
#[command(after_help = "\
Examples:
  vault agent create support-bot -d \"answers tickets\"
  vault agent list
  vault agent show support-bot              # each grant: synced, stale or pending
  vault agent delete support-bot")]
pub enum AgentCommand {
    /// Create an agent (or a clone of one with --from)
    #[command(after_help = "\
Examples:
  vault agent create support-bot -d \"answers tickets\"
  vault agent create deploy-bot --env production   # its runs use production's values
  vault agent create support-bot-2 --from support-bot     # same grants, description and pin
  vault agent create canary --from support-bot -d \"canary deploy\"

An agent pinned with --env runs with that environment's values (its own, else
the shared ones) unless `vault run --env` (or VAULT_ENV) says otherwise.
--from OLD copies OLD's grants and environment pin (and its description, unless
-d is given; the pin, unless --env is given) in one transaction; the clone has
received nothing yet, so `vault agent show` lists its secrets as pending until
its first run. Exit 4 if NAME exists, 3 if OLD does not.")]
    Create {
        /// Name: a-z, 0-9, _ and -, starting with a letter or digit
        name: String,
        /// What the agent is (shown by agent list and agent show)
        #[arg(short = 'd', long = "description", value_name = "DESC")]
        description: Option<String>,
        /// Pin the agent to environment ENV (names as for agents)
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// Copy the grants, description and environment pin of this existing agent
        #[arg(long, value_name = "OLD")]
        from: Option<String>,
    },
    /// List agents
    #[command(after_help = "Example:\n  vault agent list --json")]
    List {
        /// One JSON document on stdout
        #[arg(long)]
        json: bool,
    },
    /// Show what an agent receives (grants and global secrets), each synced, stale or pending
    #[command(after_help = "\
Example:
  vault agent show support-bot

For each secret it receives: synced (the agent's last run received the current
version), stale (the value changed after the agent's last run: restart it to
pick it up), pending (never delivered).")]
    Show {
        /// The agent's name
        name: String,
        /// One JSON document on stdout
        #[arg(long)]
        json: bool,
        /// Show what it receives in environment ENV (default: its pin) [env: VAULT_ENV]
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
    },
    /// Delete an agent and its grants
    #[command(after_help = "Example:\n  vault agent delete support-bot")]
    Delete {
        /// The agent's name
        name: String,
    },
    /// Make a key pair for an agent here and register it (for CI); prints the key once
    #[command(after_help = "\
Examples:
  vault agent token ci-bot --ttl 30d --out ci-bot.key
  VAULT_AGENT_KEY=\"$(cat ci-bot.key)\" vault run --agent ci-bot -- ./deploy.sh

The key is printed once on stdout (or written to FILE, created 0600 and never
overwritten: exit 4 if it exists) as the one line VAULT_AGENT_KEY takes. With
it, and no master key, `vault run --agent NAME`, `vault get X --reveal` and
`vault export` see exactly what the agent receives. A new key replaces the
agent's previous one. The agent is created if it does not exist. A format-1
vault is upgraded to format 2 first.")]
    Token {
        /// The agent's name
        name: String,
        /// The key stops working after this long (e.g. 12h, 30d); default: never
        #[arg(long, value_name = "DUR", value_parser = parse_duration)]
        ttl: Option<std::time::Duration>,
        /// Write the key to FILE (0600, never overwritten) instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// On the agent's machine: make its key pair here and print an enrollment request
    #[command(after_help = "\
Example:
  vault agent enroll support-bot --root vault-root:SHA256:3f1c...

Needs no master key: only the vault database (--vault-dir / VAULT_DATABASE_URL)
and the root fingerprint an owner gives you (`vault info`). The private key is
written to $XDG_CONFIG_HOME/vault/agents/NAME.key (0600, never overwritten) and
never leaves this machine; the request line printed on stdout is public. An
owner approves it with `vault agent approve REQUEST`; then `vault run --agent
NAME` on this machine finds the key by itself.")]
    Enroll {
        /// The agent's name
        name: String,
        /// The vault's root fingerprint (vault-root:SHA256:...), from an owner
        #[arg(long, value_name = "FPR", required = true)]
        root: String,
    },
    /// Register an agent's enrollment request (shows both fingerprints, asks y/N)
    #[command(after_help = "\
Example:
  vault agent approve vault-enroll-v1:AAAA...

Shows the vault's root fingerprint and the agent's key fingerprint (compare it
with what `vault agent enroll` printed on the agent's machine) and asks y/N on
a terminal; elsewhere --yes is required (exit 7 without it). Creates the agent
if it does not exist, registers its key, and signs what it receives.")]
    Approve {
        /// The request line `vault agent enroll` printed
        request: String,
        /// Approve without asking
        #[arg(long)]
        yes: bool,
    },
    /// Revoke an agent's key: its wraps and statement are deleted
    #[command(after_help = "\
Example:
  vault agent revoke-key support-bot

Prints which versions the agent was delivered: rotate them at the provider,
since the agent may have kept them.")]
    RevokeKey {
        /// The agent's name
        name: String,
    },
}

/// Let an agent receive secrets
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault grant OPENAI_API_KEY SLACK_TOKEN --agent support-bot

Grants decide who receives agent-only secrets; a global secret reaches every
run anyway (make it agent-only with `vault edit NAME --agent-only`). A run gets
one credential per provider (exit 4 on a second).")]
pub struct GrantArgs {
    /// The secrets to grant
    #[arg(required = true)]
    pub names: Vec<String>,
    /// The agent that may receive them
    #[arg(long, value_name = "AGENT", required = true)]
    pub agent: String,
}

/// Stop an agent from receiving secrets
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  vault revoke SLACK_TOKEN --agent support-bot")]
pub struct RevokeArgs {
    /// The secrets to revoke
    #[arg(required = true)]
    pub names: Vec<String>,
    /// The agent that may no longer receive them
    #[arg(long, value_name = "AGENT", required = true)]
    pub agent: String,
}

/// List the known AI providers and their conventional variable names
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  vault providers\n  vault set ANTHROPIC_API_KEY --provider anthropic"
)]
pub struct ProvidersArgs {
    /// One JSON document on stdout
    #[arg(long)]
    pub json: bool,
}

/// Run a command with its secrets in the environment
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault run -- env                          # global secrets only
  vault run --agent support-bot -- python3 bot.py
  vault run --only OPENAI_API_KEY -- ./eval.sh
  vault run --clean-env --agent ci -- make deploy
  vault run --clean-env --keep CI_JOB_ID -- make   # and the caller's CI_JOB_ID
  vault run --keep HTTP_PROXY -- ./fetch.sh       # the caller's HTTP_PROXY wins
  vault run --no-masking -- ./server        # exec: no parent process, output untouched
  vault run --agent api --watch -- ./server           # restart it when its secrets change
  vault run --watch --on-change signal:HUP -- nginx -g 'daemon off;'
  vault run --watch --on-change exit -- ./worker      # exit 75; systemd/k8s restarts it
  vault run --watch --grace 30s --splay 20s -- ./server   # a fleet: not all at once

Chooses every global secret plus the agent's grants, narrowed by the manifest
and --only. The manifest is --manifest F, or else the nearest vault.toml in the
current directory or above it (up to $HOME; one found above is named on
stderr). A secret replaces a variable of the same name the command would
inherit, even with an empty value (vault notes that on stderr), unless --keep
names it. Output is copied through with every secret value replaced by
<redacted:NAME>, unless --no-masking. As with a pipe, copying goes on until
every process the command started has closed its output (Ctrl-C or SIGTERM
ends that wait).
Exit status: the command's own, 128+N if it died of signal N; 125 if vault
failed before starting it (also when the environment is too large for the
system to start it); 126 if it is not executable (also when its #! interpreter
is missing); 127 if not found.

--watch keeps vault watching the vault while the command runs. When a value the
command received changes (a new version by set, edit, import or rollback; a
revoke, a grant, a delete or a scope change that changes what it receives),
vault restarts it: SIGTERM (to its process group on a terminal), --grace to
end, then SIGKILL; the new command starts only after the old one is gone, with
the new environment, and its delivery is recorded (`vault agent show`: synced).
Changes to secrets it does not receive do nothing; bursts (an import) are one
change after --debounce. Masking goes on across restarts, old values included.
If the secrets cannot be read at a change (a required one deleted, the vault
unreadable), the command keeps running and vault warns. The command exiting on
its own ends vault with its status, as does ^C or SIGTERM.
SQLite vaults are checked every 200 ms; PostgreSQL vaults are notified.")]
pub struct RunArgs {
    /// Also inject the secrets granted to AGENT
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,
    /// Manifest declaring the secrets the command needs (default: the nearest vault.toml from here up to $HOME)
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Inject only these names (comma-separated)
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Start from an empty environment (keeping PATH, HOME, USER, LANG, TERM and --keep names)
    #[arg(long)]
    pub clean_env: bool,
    /// Keep the caller's NAME as it is: passed on even with --clean-env, never replaced by a secret (comma-separated, repeatable)
    #[arg(
        long,
        value_name = "NAME",
        value_delimiter = ',',
        aliases = ["inherit", "keep-caller"]
    )]
    pub keep: Vec<String>,
    /// Exec the command directly: no output masking, no extra process (with --watch, vault
    /// stays its parent to restart it, and copies its output untouched)
    #[arg(long)]
    pub no_masking: bool,
    /// Inject environment ENV's values (its own, else the shared ones; default: the agent's pin) [env: VAULT_ENV]
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Watch the vault and restart the command when a secret it received changes
    #[arg(long)]
    pub watch: bool,
    /// With --watch: `restart` (default), `signal:SIG` (send SIG, e.g. signal:HUP or
    /// signal:USR1, to a command that re-reads its secrets itself; its environment
    /// cannot change), or `exit` (stop it and exit 75 for a supervisor to restart)
    #[arg(long, value_name = "ACTION", requires = "watch", value_parser = parse_on_change)]
    pub on_change: Option<OnChange>,
    /// With --watch: how long a stopped command has after SIGTERM before SIGKILL [default: 10s]
    #[arg(long, value_name = "DUR", requires = "watch", value_parser = parse_duration)]
    pub grace: Option<std::time::Duration>,
    /// With --watch: wait until changes stop for this long, then act once [default: 300ms]
    #[arg(long, value_name = "DUR", requires = "watch", value_parser = parse_duration)]
    pub debounce: Option<std::time::Duration>,
    /// With --watch: act after a random delay below DUR, so a fleet does not restart at once [default: 0s]
    #[arg(long, value_name = "DUR", requires = "watch", value_parser = parse_duration)]
    pub splay: Option<std::time::Duration>,
    /// The command and its arguments (after --)
    #[arg(required = true, trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// `--on-change`: what `vault run --watch` does when the command's secrets change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnChange {
    Restart,
    /// A signal number, 1-31.
    Signal(i32),
    Exit,
}

/// Signal names `--on-change signal:NAME` takes (with or without SIG).
const SIGNALS: &[(&str, i32)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("USR1", libc::SIGUSR1),
    ("USR2", libc::SIGUSR2),
    ("TERM", libc::SIGTERM),
    ("ALRM", libc::SIGALRM),
    ("WINCH", libc::SIGWINCH),
    ("CONT", libc::SIGCONT),
    ("TSTP", libc::SIGTSTP),
    ("STOP", libc::SIGSTOP),
    ("KILL", libc::SIGKILL),
    ("PIPE", libc::SIGPIPE),
    ("CHLD", libc::SIGCHLD),
    ("URG", libc::SIGURG),
    ("IO", libc::SIGIO),
    ("PWR", libc::SIGPWR),
    ("SYS", libc::SIGSYS),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("ABRT", libc::SIGABRT),
    ("TRAP", libc::SIGTRAP),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("SEGV", libc::SIGSEGV),
    ("ILL", libc::SIGILL),
    ("STKFLT", libc::SIGSTKFLT),
];

fn parse_on_change(text: &str) -> Result<OnChange, String> {
    match text {
        "restart" => return Ok(OnChange::Restart),
        "exit" => return Ok(OnChange::Exit),
        _ => {}
    }
    let Some(sig) = text.strip_prefix("signal:") else {
        return Err("expected restart, signal:SIG (e.g. signal:HUP) or exit".to_owned());
    };
    let upper = sig.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(&(_, n)) = SIGNALS.iter().find(|(s, _)| *s == name) {
        return Ok(OnChange::Signal(n));
    }
    match sig.parse::<i32>() {
        Ok(n) if (1..=31).contains(&n) => Ok(OnChange::Signal(n)),
        _ => Err(
            "not a signal: give a name (HUP, USR1, SIGUSR2, ...) or a number from 1 to 31"
                .to_owned(),
        ),
    }
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text)
        .map_err(|_| "expected a duration such as 10s, 300ms or 1m".to_owned())
}

/// Show every version of a secret (values masked, variables shown)
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault history OPENAI_API_KEY
  vault history OPENAI_API_KEY --json | jq '.versions[] | .version'
  vault history DATABASE_URL --env production   # production's own versions (else the shared ones)

One row per stored version, oldest first, with the time it was made; the
current one (what `get` and `run` serve) is marked. Secret values are shown as
•••••••• (`vault rollback` brings one back without showing it). Needs no key.")]
pub struct HistoryArgs {
    /// The secret's name
    pub name: String,
    /// One JSON document on stdout
    #[arg(long)]
    pub json: bool,
    /// Environment whose value to use (its own, else the shared one) [env: VAULT_ENV]
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
}

/// Make an earlier version's value current again (as a new version)
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault history OPENAI_API_KEY              # find the version to go back to
  vault rollback OPENAI_API_KEY --to 2

History is never rewritten: the value of version N becomes a new version, so
agents that received the newer value show as stale in `vault agent show`, and a
later rollback can undo this one. Exit 3 if there is no version N.")]
pub struct RollbackArgs {
    /// The secret's name
    pub name: String,
    /// The version whose value becomes current again
    #[arg(long, value_name = "N")]
    pub to: u64,
    /// Environment whose own value to change (without: the shared value) [env: VAULT_ENV]
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
}

/// Rename a secret, keeping its history, grants and delivery state
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault rename OPENAI_KEY OPENAI_API_KEY
  vault rename SLACK_TOKEN SLACK_BOT_TOKEN && vault agent show support-bot

Everything moves in one transaction: every version (history), description,
kind, scope, provider, the grants (an agent granted OLD receives it as NEW) and
what each agent last received (`vault agent show` stays synced). Each stored
value is re-encrypted for the new name, since ciphertexts are bound to their
name. Programs, scripts and vault.toml manifests that ask for OLD must ask for
NEW afterwards. Exit 3 if there is no OLD, 4 if NEW exists, 7 if NEW is not a
valid name.")]
pub struct RenameArgs {
    /// The secret's current name
    pub old: String,
    /// Its new name: A-Z, 0-9 and _, not starting with a digit or VAULT_ (must not exist)
    pub new: String,
    /// Allow a new name that makes interpreters load code (PATH, NODE_OPTIONS, PYTHONPATH, BASH_ENV, ...)
    #[arg(long)]
    pub allow_code_loading_name: bool,
}

/// Show who changed, revealed, exported or ran what, and when
#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = "\
Examples:
  vault audit                                  # every entry, oldest first
  vault audit --agent support-bot --since 7d   # one agent's runs and grants this week
  vault audit --secret OPENAI_API_KEY          # sets, reveals, runs that delivered it
  vault audit --actor owner --json             # one JSON array, for scripts
  vault audit --follow | my-siem-forwarder     # one JSON object a line as entries arrive
  vault audit verify                           # check every hash link and signature
  vault audit prune --before 90d               # drop old entries behind a signed checkpoint

Every change (set, edit, delete, rollback, import, grant, revoke, agent and key
events), reveal (`get --reveal`), export and run (versions delivered, to which
agent, program name, host) is appended, in the transaction that makes it, to a
hash chain signed with a key derived from the master key. An entry holds names,
versions and agents: never a value, nor a hash of one. Reading needs no key.
`verify` exits 6 naming the first broken entry (chain:seq and what is wrong).
A `checkpoint` entry stands for the entries `prune` removed before it."
)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    /// Only entries about this agent
    #[arg(long, value_name = "A")]
    pub agent: Option<String>,
    /// Only entries about this secret
    #[arg(long, value_name = "NAME")]
    pub secret: Option<String>,
    /// Only entries made by this actor (`owner`: whoever holds the master key)
    #[arg(long, value_name = "P")]
    pub actor: Option<String>,
    /// Only entries since a time (2026-12-01T00:00:00Z) or for a duration back (7d, 12h)
    #[arg(long, value_name = "T")]
    pub since: Option<String>,
    /// One JSON array on stdout (with --follow: one JSON object a line)
    #[arg(long)]
    pub json: bool,
    /// Keep printing new entries as they are appended (JSON lines), until interrupted
    #[arg(long)]
    pub follow: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every audit chain: links, hashes and signatures (exit 6 on a break)
    #[command(after_help = "\
Examples:
  vault audit verify
  VAULT_KEY=... vault audit verify      # also checks the signing key against the master key
  vault audit verify --anchor 0:42:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
  vault audit verify --json             # the result and each chain's head as JSON

Recomputes each chain from its first entry, or from the signed checkpoint a
`prune` left. Exit 0 when every entry verifies; exit 6 naming the first broken
one (chain:seq and what is wrong): an entry edited, deleted or moved, a
checkpoint edited or forged, or a signature that does not verify. Needs no key;
when the vault unlocks without a prompt (key file, VAULT_KEY), the stored public
key is checked against the one the master key derives as well.

It ends by printing each chain's head as `head CHAIN:SEQ:HASH`. Cutting entries
off the end of a chain is visible only against a head you noted earlier: keep
one (a CI log, a ticket) and pass it back with --anchor; verify then exits 6 if
the chain no longer reaches it or that entry changed. An anchor older than a
prune's cut is accepted when the chain verifiably went past it.")]
    Verify(AuditVerifyArgs),
    /// Remove entries older than a time, leaving a signed checkpoint in their place
    #[command(after_help = "\
Examples:
  vault audit prune --before 90d
  vault audit prune --before 2026-09-01 --yes
  vault audit prune --before 2026-09-01T00:00:00Z --yes

Bounds the trail's growth without silently losing history. In one transaction
it verifies the owners' chain (refusing, exit 6, if it is broken), appends a
`checkpoint` entry signed like every other one, recording how many entries were
pruned, their seq and time range, and the hash and key the next entry links to,
then deletes those entries. `vault audit verify` starts from that checkpoint,
and `vault audit` lists it (\"pruned N entries before ...\"). Only the oldest
entries go: pruning stops at the first entry made at or after --before.

Needs the key (the checkpoint is signed). Asks y/N on a terminal; otherwise
(a pipe, a script) it asks nothing and needs --yes.")]
    Prune(AuditPruneArgs),
}

#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// A chain head noted earlier (from a `head` line), which the chain must still reach
    #[arg(long, value_name = "CHAIN:SEQ:HASH")]
    pub anchor: Vec<String>,
    /// Print the result and each chain's head as one JSON object
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct AuditPruneArgs {
    /// Prune entries made before this: a duration back from now (90d, 12h) or a time (2026-09-01, 2026-09-01T00:00:00Z)
    #[arg(long, value_name = "DUR|TIME")]
    pub before: String,
    /// Prune without asking
    #[arg(long)]
    pub yes: bool,
}

/// Write a consistent, still-encrypted copy of the vault to a new file
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault backup ~/backups/vault-$(date +%F).db
  mkdir -m 700 restored && cp ~/backups/vault-2026-12-01.db restored/vault.db
  cp ~/.config/vault/vault.key restored/ && vault --vault-dir restored list

The copy is taken with SQLite's online backup while other commands may write:
one consistent moment, never a torn file. It is a complete vault.db, still
encrypted, created with mode 0600; an existing FILE is never overwritten (exit 4).
To restore, place it as DIR/vault.db beside the key file and use --vault-dir DIR.
The key file (or the passphrase) is NOT in the backup: keep it separately, or the
backup cannot be opened.")]
pub struct BackupArgs {
    /// The new file to write (must not exist)
    pub file: PathBuf,
}

/// Copy the local vault into a new, empty vault in PostgreSQL (--database-url)
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault push --database-url 'postgres://alice@db.example/team?vault=billing&sslmode=verify-full'
  VAULT_DATABASE_URL='postgres://127.0.0.1/test?vault=dev' vault --vault-dir ./local push

Every row of the local vault (--vault-dir, or the default one) is copied as
stored: values stay ciphertext, the vault id and the key slots are the same,
so the same key file or passphrase unlocks the copy. It happens in one
transaction: all or nothing. The target must not hold a vault yet (exit 4);
the local vault is left as it is. Afterwards keep VAULT_DATABASE_URL set (or
pass --database-url) to use the PostgreSQL vault.")]
pub struct PushArgs {}

/// Manage the key slots that unlock the vault (key files, passphrases)
#[derive(Debug, Subcommand)]
#[command(after_help = "\
Examples:
  vault keys list
  vault keys add --passphrase               # a passphrase as a second way in
  vault keys add --key-file /media/usb/vault.key
  vault keys remove 2
  vault keys passwd                         # change the passphrase (also `vault passwd`)

Any one slot unlocks the vault; the last slot cannot be removed.")]
pub enum KeysCommand {
    /// List the key slots (never key material)
    #[command(after_help = "Example:\n  vault keys list --json")]
    List {
        /// One JSON document on stdout
        #[arg(long)]
        json: bool,
    },
    /// Add a key slot: a new passphrase, or a new key file
    #[command(after_help = "\
Examples:
  vault keys add --passphrase               # asks twice (or VAULT_PASSPHRASE / --passphrase-file)
  vault keys add --key-file ~/vault-spare.key

The vault itself is unlocked by its key file or VAULT_KEY (or, for a vault with
only passphrases, the current passphrase at the prompt): VAULT_PASSPHRASE and
--passphrase-file give the NEW passphrase here. --key-file writes a new random
key to FILE (mode 0600; never overwrites a file, exit 4).")]
    Add(KeysAddArgs),
    /// Remove a key slot (never the last one)
    #[command(after_help = "\
Examples:
  vault keys list
  vault keys remove 1

Refused for the last slot (exit 4). Removing the slot you unlocked with is
allowed when another remains; vault says which one you used.")]
    Remove {
        /// The slot's id (see `vault keys list`)
        id: i64,
    },
    /// Change the passphrase (same as `vault passwd`)
    Passwd(PasswdArgs),
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct KeysAddArgs {
    /// Add a passphrase slot
    #[arg(long)]
    pub passphrase: bool,
    /// Write a new key file at FILE and add its slot
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
}

/// Change the vault passphrase
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault passwd                              # current passphrase, then the new one twice
  VAULT_PASSPHRASE=old vault passwd --new-passphrase-file new.txt

Adds a slot for the new passphrase and removes the old one in one transaction:
the passphrase slot you unlocked with, or the only one.")]
pub struct PasswdArgs {
    /// Read the new passphrase from FILE (one trailing newline is ignored) instead of asking
    #[arg(long, value_name = "FILE")]
    pub new_passphrase_file: Option<PathBuf>,
}

/// Replace the master key: every value resealed, every slot wrapped again
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault rekey                               # key file vault: writes a new vault.key
  VAULT_PASSPHRASE=... vault rekey          # passphrase vault: same passphrase, new master key

Everything changes in one transaction. The key file is replaced by one holding a
new key, so copies of the old key file (and an old VAULT_KEY) stop working
(exit 5). Every slot needs its key: a passphrase slot its passphrase (VAULT_PASSPHRASE,
--passphrase-file or the prompt), a key-file slot the key file or VAULT_KEY;
remove a slot whose key you do not have first. Values are unchanged.")]
pub struct RekeyArgs {}

/// Convert the vault to format 2 (a data key per version; needed for agent keys)
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault upgrade                             # once; then `vault info` shows format 2

One transaction: the vault's root keys are made and sealed under the master key,
and every stored version of every secret is sealed again under a fresh data key
of its own. Values, versions, variables, grants, environment pins, delivery
records and the audit trail stay as they were. A vault already in format 2 is
left alone (exit 4). Vault releases that read only format 1 cannot open an
upgraded vault: upgrade every machine that uses it first. Back up first
(`vault backup FILE`) if you want a way back.")]
pub struct UpgradeArgs {}

/// Show the vault's id, format, engine, schema and root fingerprint (no key needed)
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault info
  vault info --json | jq -r .root_fingerprint     # what `vault agent enroll --root` pins

Reads only public metadata: no key, no passphrase. The root fingerprint
(format 2 only, `vault-root:SHA256:<hex>`) identifies the key that signs what
each agent receives; compare it with what an agent's owner was told.")]
pub struct InfoArgs {
    /// One JSON document on stdout
    #[arg(long)]
    pub json: bool,
}

/// Team members of a vault on PostgreSQL: join, add, list, remove
#[derive(Debug, Subcommand)]
#[command(after_help = "\
Examples:
  # on the new member's machine (makes the identity, prints one request line)
  vault member join bob --root vault-root:SHA256:6ccd... --database-url postgres://USER@db/vault?vault=team
  # on an owner's machine
  vault member add 'vault-enroll-v1:...' --agent billing-bot=view
  vault member add 'vault-enroll-v1:...' --role owner
  vault member list
  vault member remove bob
  # bob, afterwards, as his own PostgreSQL role (the password comes from his identity)
  VAULT_DATABASE_URL=postgres://team_m_bob@db/vault?vault=team vault whoami

Rights per agent: view (its grants and delivery state), operate (reveal and run as
it), manage (also grant and revoke for it). Owners can do everything; each owner
unlocks with their own identity, the master key is never shared as a secret.")]
pub enum MemberCommand {
    Join(MemberJoinArgs),
    Add(MemberAddArgs),
    List(MemberListArgs),
    Remove(MemberRemoveArgs),
}

/// Make this machine's identity for a vault and print the request an owner adds
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault member join bob --root vault-root:SHA256:6ccd... --database-url postgres://USER@db/vault?vault=team

Reads the vault's id and root key through the URL (any role that may read the
vault's metadata), checks the root fingerprint the owner gave you (exit 5 if it
differs), makes an X25519 and an Ed25519 key pair here and keeps them in
members/<role>.key beside the key file (mode 0600). The PostgreSQL password of your
role is derived from that identity; the request carries only its SCRAM verifier.
Send the printed `vault-enroll-v1:` line to an owner; it holds no secret.")]
pub struct MemberJoinArgs {
    /// Your member name (lower-case letters, digits, - and _)
    pub name: String,
    /// The vault's root fingerprint, from its owner (`vault info`)
    #[arg(long, value_name = "FPR")]
    pub root: String,
}

/// Add a member from their request (owners only)
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault member add 'vault-enroll-v1:...' --agent billing-bot=view --agent support-bot=manage
  vault member add 'vault-enroll-v1:...' --role owner --yes

Shows the member's name and key fingerprint and asks y/N (or --yes). Creates their
PostgreSQL role with the verifier from the request (nobody but them knows the
password), records their rights, and signs a new roster with the root key. An
owner also gets a member slot: the master key sealed to their own key. A vault in
format 1 is upgraded to format 2 first (and says so).")]
pub struct MemberAddArgs {
    /// The `vault-enroll-v1:` line `vault member join` printed
    pub request: String,
    /// owner (everything, own member slot) or member (rights per agent)
    #[arg(long, value_name = "ROLE", default_value = "member", value_parser = ["owner", "member"])]
    pub role: String,
    /// A right on an agent, AGENT=view|operate|manage (repeatable)
    #[arg(long = "agent", value_name = "AGENT=RIGHT")]
    pub agents: Vec<String>,
    /// Do not ask
    #[arg(long)]
    pub yes: bool,
}

/// List the members, their roles and rights
#[derive(Debug, Args)]
pub struct MemberListArgs {
    /// One JSON document on stdout
    #[arg(long)]
    pub json: bool,
}

/// Remove a member: their role, rights and slot go (owners only)
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault member remove bob

Their PostgreSQL role is dropped, their rights and member slot deleted, and a new
roster signed, in one transaction. What they could reveal is listed: they may have
copied those values, so rotate them at their providers. Removing an owner also
calls for `vault rekey`: they could open the master key.")]
pub struct MemberRemoveArgs {
    pub name: String,
}

/// Show who this machine is on the vault: member or owner, rights, vault and root
#[derive(Debug, Args)]
pub struct WhoamiArgs {
    /// One JSON document on stdout
    #[arg(long)]
    pub json: bool,
}

/// Unlock a passphrase vault for a while: later commands from this shell do not ask
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  vault unlock                              # asks the passphrase once; 15 minutes
  vault unlock --for 2h
  vault run --agent support-bot -- python3 bot.py   # no prompt now
  vault lock                                # forget it before the time is up

The key that opens the vault's passphrase slot is kept in the Linux kernel
keyring (never in a file), in a session keyring private to this shell and
the commands it starts, readable by its possessors only, and expires after
--for. Other users cannot read it. Programs started by `vault run` get a
fresh, empty session keyring, so they cannot use it. Explicit key material
still wins: VAULT_KEY, VAULT_PASSPHRASE or --passphrase-file, then a key
file; the kept key replaces only the prompt. Changing slots, the passphrase
or the master key (`vault keys`, `vault passwd`, `vault rekey`) always asks.

If this shell has no private session keyring yet, vault creates one and
hands it to the shell (as `keyctl new_session` does); that needs a
single-threaded parent of the same user, so run it from your shell. Exit 1
where there is no kernel keyring (not Linux, or keyctl blocked, as in many
containers).")]
pub struct UnlockArgs {
    /// How long the vault stays unlocked (30s, 15m, 2h; at most 24h)
    #[arg(long = "for", value_name = "DURATION", default_value = "15m", value_parser = parse_unlock_duration)]
    pub duration: std::time::Duration,
}

/// The `--for` of `vault unlock`: a positive duration up to 24 hours.
fn parse_unlock_duration(s: &str) -> Result<std::time::Duration, String> {
    let d =
        humantime::parse_duration(s).map_err(|e| format!("{e} (write it like 30s, 15m or 2h)"))?;
    if d.as_secs() == 0 {
        return Err("must be at least 1s".to_owned());
    }
    if d.as_secs() > 24 * 3600 {
        return Err("at most 24h".to_owned());
    }
    Ok(d)
}

/// Forget the key `vault unlock` kept: the next command asks again
#[derive(Debug, Args)]
#[command(after_help = "\
Example:
  vault lock

Removes the vault's kept key from this shell's session keyring at once (the
kernel destroys it). Exit 0 also when the vault was not unlocked.")]
pub struct LockArgs {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

/// Print a shell completion script
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  mkdir -p ~/.local/share/bash-completion/completions
  vault completions bash > ~/.local/share/bash-completion/completions/vault
  mkdir -p ~/.zfunc && vault completions zsh > ~/.zfunc/_vault   # fpath=(~/.zfunc $fpath) in ~/.zshrc
  mkdir -p ~/.config/fish/completions
  vault completions fish > ~/.config/fish/completions/vault.fish")]
pub struct CompletionsArgs {
    /// The shell to complete for
    pub shell: Shell,
}

/// Write man pages (vault.1 and one per subcommand) into DIR
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  vault man ./man && man ./man/vault-run.1")]
pub struct ManArgs {
    /// Directory to write the pages into (created if missing)
    pub dir: PathBuf,
}

#[cfg(test)]
mod tests {
    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }

    fn argv(words: &[&str]) -> Vec<std::ffi::OsString> {
        std::iter::once("vault")
            .chain(words.iter().copied())
            .map(std::ffi::OsString::from)
            .collect()
    }

    /// The whole tree's reading of `words`: Ok(Debug of the Cli) or Err(kind).
    /// The fast path parses each of `accepted` as the whole tree does, and
    /// declines each of `declined` (which the whole tree then answers).
    fn same_as_the_whole_tree(accepted: &[&[&str]], declined: &[&[&str]]) {
        for words in accepted {
            let fast = super::parse_fast(&argv(words)).map(|c| format!("{c:?}"));
            assert_eq!(
                fast,
                Some(full(words).unwrap_or_else(|k| panic!("{words:?}: {k:?}"))),
                "{words:?}"
            );
        }
        for words in declined {
            assert!(super::parse_fast(&argv(words)).is_none(), "{words:?}");
        }
    }

    fn full(words: &[&str]) -> Result<String, clap::error::ErrorKind> {
        use clap::Parser;
        super::Cli::try_parse_from(argv(words))
            .map(|c| format!("{c:?}"))
            .map_err(|e| e.kind())
    }

    #[test]
    fn run_fast_path_reads_a_run_as_the_whole_tree_does() {
        let accepted: &[&[&str]] = &[
            &["run", "--", "true"],
            &["run", "--no-masking", "--", "true", "-x", "--help"],
            &["run", "true", "a", "b"],
            &[
                "run", "--agent", "bot", "--only", "A, B,C", "--only=D", "--", "env",
            ],
            &[
                "run",
                "--clean-env",
                "--keep",
                "X,Y",
                "--inherit",
                "Z",
                "--keep-caller=W",
                "--",
                "sh",
            ],
            &["run", "--env", "prod", "--manifest", "m.toml", "--", "x"],
            &[
                "run",
                "--watch",
                "--on-change",
                "signal:HUP",
                "--grace",
                "3s",
                "--debounce",
                "1ms",
                "--splay",
                "2s",
                "--",
                "x",
            ],
            &["run", "--watch", "--on-change=exit", "--", "x"],
            &[
                "run",
                "--vault-dir",
                "/d",
                "--passphrase-file",
                "p",
                "--database-url",
                "postgres://u@h/db",
                "--",
                "x",
            ],
            &["run", "--", "--vault-dir", "/d"],
            &["run", "env", "--agent", "a"],
            &["run", "--no-masking", "--", "run"],
            &["run", "--", ""],
        ];
        // Help, version, errors, other commands and global options before
        // the command: the fast path declines, the whole tree answers.
        let declined: &[&[&str]] = &[
            &["run", "--help"],
            &["run", "-h"],
            &["run", "--version"],
            &["run"],
            &["run", "--"],
            &["run", "--bogus", "--", "x"],
            &["run", "--grace", "3s", "--", "x"],
            &["run", "--on-change", "nope", "--watch", "--", "x"],
            &["run", "--agent"],
            &["--vault-dir", "/d", "run", "--", "x"],
            &["list"],
            &["ru", "--", "x"],
            &[],
        ];
        same_as_the_whole_tree(accepted, declined);
    }

    #[test]
    fn get_fast_path_reads_a_get_as_the_whole_tree_does() {
        let accepted: &[&[&str]] = &[
            &["get", "X"],
            &["get", "X", "--reveal"],
            &["get", "--reveal", "X", "--json"],
            &["get", "X", "--env", "prod", "--reveal"],
            &["get", "X", "--env=prod"],
            &["get", "--", "-X"],
            &[
                "get",
                "X",
                "--vault-dir",
                "/d",
                "--database-url=postgres://u@h/db",
            ],
            &["get", "X", "--passphrase-file", "p", "--reveal"],
        ];
        let declined: &[&[&str]] = &[
            &["get", "--help"],
            &["get", "-h"],
            &["get", "--version"],
            &["get"],
            &["get", "X", "Y"],
            &["get", "X", "--bogus"],
            &["get", "X", "--env"],
            &["--vault-dir", "/d", "get", "X"],
            &["ge", "X"],
            &["list"],
        ];
        same_as_the_whole_tree(accepted, declined);
    }

    #[test]
    fn on_change_takes_restart_exit_and_signals_by_name_or_number() {
        use super::{parse_on_change, OnChange};
        assert_eq!(parse_on_change("restart"), Ok(OnChange::Restart));
        assert_eq!(parse_on_change("exit"), Ok(OnChange::Exit));
        for (text, n) in [
            ("signal:HUP", libc::SIGHUP),
            ("signal:SIGHUP", libc::SIGHUP),
            ("signal:usr1", libc::SIGUSR1),
            ("signal:USR2", libc::SIGUSR2),
            ("signal:1", 1),
            ("signal:31", 31),
        ] {
            assert_eq!(parse_on_change(text), Ok(OnChange::Signal(n)), "{text}");
        }
        for bad in [
            "",
            "signal:",
            "signal:0",
            "signal:32",
            "signal:-1",
            "signal:NOPE",
            "HUP",
            "restart ",
        ] {
            assert!(parse_on_change(bad).is_err(), "{bad:?}");
        }
    }
}
