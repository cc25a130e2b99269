//! `completions` and `man`: generated from the clap definition, so they can
//! never drift from the real command line. The committed copies under
//! completions/ and man/ are checked against these by a test.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, Shell};
use crate::error::{Error, Result};
use crate::output::say;

pub fn completions(args: &CompletionsArgs) -> Result<()> {
    let mut out = Vec::new();
    write_completions(args.shell, &mut out);
    use std::io::Write;
    std::io::stdout()
        .write_all(&out)
        .map_err(crate::output::stdout_err)
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
}

/// Every man page as (file name, contents): vault.1 and one per subcommand.
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>> {
    let mut pages = Vec::new();
    let cmd = Cli::command();
    collect(&cmd, "vault", &mut pages)?;
    Ok(pages)
}

fn collect(cmd: &clap::Command, name: &str, pages: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    let cmd = cmd.clone().name(name.to_owned());
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut buf)
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
