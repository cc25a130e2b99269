//! `completions` and `man`: generated from the clap definition, so they can
//! never drift from the real command line. The committed copies under
//! completions/ and man/ are checked against these by a test.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, Shell};
use crate::error::{Error, Result};
use crate::ui::say;

pub fn completions(args: &CompletionsArgs) -> Result<()> {
    let mut out = Vec::new();
    write_completions(args.shell, &mut out);
    use std::io::Write;
    std::io::stdout()
        .write_all(&out)
        .map_err(crate::ui::stdout_err)
}

pub fn write_completions(shell: Shell, out: &mut Vec<u8>) {
    use clap_complete::{generate, shells};
    let mut cmd = Cli::command();
    match shell {
        Shell::Bash => generate(shells::Bash, &mut cmd, "vault", out),
        Shell::Zsh => generate(shells::Zsh, &mut cmd, "vault", out),
        Shell::Fish => generate(shells::Fish, &mut cmd, "vault", out),
        Shell::Elvish => generate(shells::Elvish, &mut cmd, "vault", out),
        Shell::Powershell => generate(shells::PowerShell, &mut cmd, "vault", out),
    }
    // Names (secrets, agents) come from the vault at completion time.
    let dynamic = super::complete::dynamic_part(shell, out);
    if shell == Shell::Zsh {
        *out = dynamic;
    } else {
        out.extend_from_slice(&dynamic);
    }
}

/// Every man page as (file name, contents): vault.1 and one per subcommand.
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>> {
    let mut pages = Vec::new();
    // Built, so every page lists the global options too; no `help`
    // subcommand, which would get a page of its own.
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    collect(&cmd, "vault", &mut pages)?;
    Ok(pages)
}

/// One page: clap_mangen's sections, with the synopsis naming the command as
/// it is typed (`vault agent create`) and the examples under EXAMPLES.
fn render_page(cmd: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::Write;
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(out)?;
    }
    if cmd.get_subcommands().any(|c| !c.is_hide_set()) {
        man.render_subcommands_section(out)?;
    }
    if let Some(after) = cmd.get_after_long_help().or(cmd.get_after_help()) {
        let text = after.to_string();
        let (heading, body) = match text.split_once('\n') {
            Some((first, rest)) if first.trim_end().ends_with(':') => {
                (first.trim_end().trim_end_matches(':').to_uppercase(), rest)
            }
            _ => ("NOTES".to_owned(), text.as_str()),
        };
        writeln!(out, ".SH {heading}\n.nf")?;
        for line in body.lines() {
            let line = line.replace('\\', "\\e");
            let lead = if line.starts_with('.') || line.starts_with('\'') {
                "\\&"
            } else {
                ""
            };
            writeln!(out, "{lead}{line}")?;
        }
        writeln!(out, ".fi")?;
    }
    if cmd
        .get_version()
        .or_else(|| cmd.get_long_version())
        .is_some()
    {
        man.render_version_section(out)?;
    }
    Ok(())
}

fn collect(cmd: &clap::Command, name: &str, pages: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    let cmd = cmd
        .clone()
        .name(name.to_owned())
        .bin_name(name.replace('-', " "));
    let mut buf = Vec::new();
    render_page(&cmd, &mut buf)
        .map_err(|e| Error::other(format!("cannot render the man page {name}: {e}")))?;
    pages.push((format!("{name}.1"), buf));
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let sub_name = format!("{name}-{}", sub.get_name());
        collect(sub, &sub_name, pages)?;
    }
    Ok(())
}

pub fn man(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    for (name, contents) in man_pages()? {
        let path = dir.join(&name);
        std::fs::write(&path, contents).map_err(|e| Error::io("write", &path, e))?;
    }
    say!("wrote man pages to {}", dir.display());
    Ok(())
}
