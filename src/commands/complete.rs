//! Completion of names: `vault __complete secrets|agents|envs` (hidden)
//! prints the vault's secret, agent or environment names, one a line, and the completion
//! scripts call it for NAME positions. It never unlocks and never reads a
//! value: names are plain text in the vault (as for `list`), nothing else
//! is printed. The shell parts below are appended to clap's generated
//! scripts by `docs::write_completions`, so the committed scripts stay
//! generated (and checked for staleness) like the rest.

use std::ffi::OsString;
use std::path::PathBuf;

use super::Ctx;
use crate::cli::Shell;
use crate::error::{Error, Result};
use crate::exit::ExitCode;
use crate::ui::say;
use crate::vault::{NameKind, Vault};

/// The hidden first argument: `vault __complete secrets|agents|envs [--vault-dir DIR]`.
pub const HELPER: &str = "__complete";

/// What `vault __complete` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    Secrets,
    Agents,
    /// Environment names (of secret rows and agent pins), for `--env`.
    Envs,
}

/// `vault __complete WHAT [--vault-dir DIR]`: exit 0 with the names (none
/// when there is no vault), 2 on a command line it does not read, else the
/// error's code (the scripts discard stderr).
pub fn helper(args: Vec<OsString>) -> ExitCode {
    let parsed = (|| {
        let mut it = args.into_iter();
        let what = match it.next().as_ref().and_then(|a| a.to_str()) {
            Some("secrets") => Names::Secrets,
            Some("agents") => Names::Agents,
            Some("envs") => Names::Envs,
            _ => return None,
        };
        let dir = match (it.next(), it.next()) {
            (None, _) => None,
            (Some(flag), Some(d)) if flag == "--vault-dir" => Some(PathBuf::from(d)),
            _ => return None,
        };
        it.next().is_none().then_some((what, dir))
    })();
    let Some((what, dir)) = parsed else {
        eprintln!("usage: vault {HELPER} secrets|agents|envs [--vault-dir DIR] (used by the completion scripts)");
        return ExitCode::Usage;
    };
    let result = Ctx::new(dir, None, None).and_then(|ctx| complete(&ctx, what));
    match result {
        Ok(()) => ExitCode::Success,
        Err(e) => {
            crate::report::error(&e);
            e.kind().into()
        }
    }
}

fn complete(ctx: &Ctx, what: Names) -> Result<()> {
    // No vault yet: nothing to offer, and nothing to say on a completion line.
    if !ctx.paths.vault_may_exist() {
        return Ok(());
    }
    let mut vault = match Vault::open(&ctx.paths) {
        Err(e) if e.kind() == crate::error::Kind::NotFound => return Ok(()),
        opened => opened?,
    };
    let names = vault.names(match what {
        Names::Secrets => NameKind::Secrets,
        Names::Agents => NameKind::Agents,
        Names::Envs => NameKind::Envs,
    })?;
    for n in names {
        // Names are validated on the way in; a row edited into something
        // else (a newline, a control character) is not offered.
        if n.bytes().all(|b| b.is_ascii_graphic()) {
            say!("{n}");
        }
    }
    Ok::<(), Error>(())
}

/// The part of the completion script for `shell` that completes names.
pub fn dynamic_part(shell: Shell, script: &[u8]) -> Vec<u8> {
    match shell {
        Shell::Bash => BASH.as_bytes().to_vec(),
        Shell::Fish => FISH.as_bytes().to_vec(),
        Shell::Zsh => zsh(script),
        Shell::Elvish | Shell::Powershell => Vec::new(),
    }
}

/// zsh: clap writes `_default` for every value; point the NAME positions
/// and the --agent / --only values at the name lists, and define them.
fn zsh(script: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    let mut out = String::with_capacity(text.len() + ZSH_HELPERS.len());
    let tail = "if [ \"$funcstack[1]\" = \"_vault\" ]; then";
    let (body, end) = match text.rfind(tail) {
        Some(i) => text.split_at(i),
        None => (text.as_ref(), ""),
    };
    for line in body.split_inclusive('\n') {
        let secret_position = line.starts_with("':name -- The secret'")
            || line.starts_with("':name -- Name\\: A-Z")
            || line.starts_with("'*::names -- The secrets to ")
            || line.starts_with("':old -- The secret");
        let agent_position = line.starts_with("':name -- The agent'");
        let l = if secret_position {
            line.replace(":_default'", ":_vault_secret_names'")
        } else if agent_position {
            line.replace(":_default'", ":_vault_agent_names'")
        } else if line.starts_with("'--from=") {
            line.replace(":OLD:_default'", ":OLD:_vault_agent_names'")
        } else if line.contains(":AGENT:_default'") {
            line.replace(":AGENT:_default'", ":AGENT:_vault_agent_names'")
        } else if line.contains(":ENV:_default'") {
            line.replace(":ENV:_default'", ":ENV:_vault_env_names'")
        } else if line.starts_with("'*--only=") {
            line.replace(":NAMES:_default'", ":NAMES:_sequence _vault_secret_names'")
        } else {
            line.to_owned()
        };
        out.push_str(&l);
    }
    out.push_str(ZSH_HELPERS);
    out.push_str(end);
    // Returned whole: the caller replaces clap's script with it.
    out.into_bytes()
}

const ZSH_HELPERS: &str = r#"# Names from the vault (no unlock, never a value): `vault __complete`.
(( $+functions[_vault_names_of] )) ||
_vault_names_of() {
    local -a dir names
    [[ -n "${opt_args[--vault-dir]}" ]] && dir=(--vault-dir "${opt_args[--vault-dir]}")
    names=(${(f)"$(_call_program names vault __complete "$1" "${dir[@]}" 2>/dev/null)"})
    compadd -a names
}
(( $+functions[_vault_secret_names] )) ||
_vault_secret_names() { _vault_names_of secrets }
(( $+functions[_vault_agent_names] )) ||
_vault_agent_names() { _vault_names_of agents }
(( $+functions[_vault_env_names] )) ||
_vault_env_names() { _vault_names_of envs }

"#;

const BASH: &str = r#"
# Names from the vault for NAME positions and --agent / --env / --only values, by
# asking the binary (`vault __complete`: no unlock, never a value); anything
# else goes to the generated _vault above.
_vault_names() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    local sub="" sub2="" positional=0 dir=() i w what=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        case "$w" in
            --vault-dir) dir=(--vault-dir "${COMP_WORDS[i+1]}"); ((i++)) ;;
            --passphrase-file|--agent|--env|--only|--manifest|--keep|-d|--description|--provider|--to|--format|--new-passphrase-file|--key-file|--from) ((i++)) ;;
            -*) ;;
            *)
                if [[ -z "$sub" ]]; then sub="$w"
                elif [[ "$sub" == agent && -z "$sub2" ]]; then sub2="$w"
                else ((positional++))
                fi ;;
        esac
    done
    case "$prev" in
        --agent) what=agents ;;
        --env) what=envs ;;
        --from) [[ "$sub" == agent ]] && what=agents ;;
        --only) [[ "$sub" == run ]] && what=secrets ;;
        *)
            if [[ "$cur" != -* ]]; then
                case "$sub" in
                    get|set|edit|history|rollback|rename) ((positional == 0)) && what=secrets ;;
                    delete|grant|revoke) what=secrets ;;
                    agent) [[ "$sub2" == show || "$sub2" == delete ]] && ((positional == 0)) && what=agents ;;
                esac
            fi ;;
    esac
    if [[ -n "$what" ]]; then
        local IFS=$'\n'
        COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" __complete "$what" "${dir[@]}" 2>/dev/null)" -- "$cur"))
        return 0
    fi
    _vault "$@"
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _vault_names -o nosort -o bashdefault -o default vault
else
    complete -F _vault_names -o bashdefault -o default vault
fi
"#;

const FISH: &str = r#"
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
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn zsh_script() -> String {
        let mut out = Vec::new();
        crate::commands::docs::write_completions(Shell::Zsh, &mut out);
        String::from_utf8(out).unwrap()
    }

    /// Every NAME position and --agent/--only value asks the vault, and the
    /// helpers are defined before clap's dispatch at the end runs `_vault`.
    #[test]
    fn zsh_names_positions_ask_the_vault_and_helpers_come_first() {
        let z = zsh_script();
        for line in z.lines() {
            let name_position = line.starts_with("':name -- The secret'")
                || line.starts_with("'*::names -- The secrets to ")
                || line.starts_with("':name -- The agent'")
                || line.contains(":AGENT:")
                || line.contains(":ENV:");
            if name_position {
                assert!(!line.contains("_default"), "{line}");
            }
        }
        assert!(z.contains(":NAMES:_sequence _vault_secret_names'"));
        assert!(z.contains(":ENV:_vault_env_names'"));
        assert!(z.contains("_vault_env_names() {"));
        let helpers = z.find("_vault_secret_names() {").unwrap();
        let dispatch = z.rfind("if [ \"$funcstack[1]\" = \"_vault\" ]").unwrap();
        assert!(helpers < dispatch);
        assert!(z.starts_with("#compdef vault"));
    }

    #[test]
    fn bash_and_fish_register_the_name_completion() {
        let mut bash = Vec::new();
        crate::commands::docs::write_completions(Shell::Bash, &mut bash);
        let bash = String::from_utf8(bash).unwrap();
        assert!(bash.trim_end().ends_with("fi"));
        assert!(bash.contains("complete -F _vault_names"));
        assert!(bash.contains("--env) what=envs"));
        let mut fish = Vec::new();
        crate::commands::docs::write_completions(Shell::Fish, &mut fish);
        assert!(String::from_utf8(fish)
            .unwrap()
            .contains("__vault_names secrets"));
    }
}
