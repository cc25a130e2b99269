//! How results reach the user: aligned tables or one JSON document, colour
//! only on a terminal without `NO_COLOR`, control characters escaped so a
//! hostile description cannot drive the terminal.

use std::io::{IsTerminal, Write};

use crate::error::{Error, Result};

/// `println!` that returns an error (quiet when stdout was closed) instead of
/// panicking on a broken pipe. Only for functions returning `Result`.
macro_rules! say {
    () => {
        $crate::ui::say_fmt(format_args!(""))?
    };
    ($($t:tt)*) => {
        $crate::ui::say_fmt(format_args!($($t)*))?
    };
}
pub(crate) use say;

/// Write one line to stdout.
pub fn say_fmt(args: std::fmt::Arguments<'_>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_fmt(args)
        .and_then(|_| out.write_all(b"\n"))
        .map_err(stdout_err)
}

/// What a masked value looks like.
pub const MASK: &str = "••••••••";

/// Whether stdout gets colour.
pub fn colour() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

pub fn bold(s: &str, on: bool) -> String {
    if on {
        format!("\x1b[1m{s}\x1b[0m")
    } else {
        s.to_owned()
    }
}

/// Print one JSON document and a newline on stdout.
pub fn print_json(v: &serde_json::Value) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let text = json_for_terminal(
        &serde_json::to_string_pretty(v)
            .map_err(|e| Error::other(format!("cannot encode JSON: {e}")))?,
    );
    writeln!(out, "{text}").map_err(stdout_err)?;
    Ok(())
}

/// Print one JSON document on one line, and flush: a stream of JSON lines.
pub fn print_json_line(v: &serde_json::Value) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let text = json_for_terminal(&v.to_string());
    writeln!(out, "{text}").map_err(stdout_err)?;
    out.flush().map_err(stdout_err)?;
    Ok(())
}

/// JSON escapes only C0 controls, quotes and backslashes; the rest of what
/// [`escape`] guards against (DEL, C1 controls, bidirectional overrides)
/// would reach a terminal raw. Those characters can only occur inside JSON
/// strings, where `\uXXXX` is the same character: the document means
/// exactly what it meant, and stays valid JSON.
fn json_for_terminal(text: &str) -> String {
    if !text.chars().any(crate::typed::is_unsafe_for_display) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        // C0 controls outside strings are JSON's own whitespace (newlines of
        // the pretty form); inside strings serde_json has escaped them.
        if crate::typed::is_unsafe_for_display(c) && (c as u32) >= 0x7f {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Map a write failure on stdout (EPIPE when piped into `head`) to an error.
pub fn stdout_err(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return Error::new(crate::error::Kind::StdoutClosed, "stdout closed");
    }
    Error::other(format!("cannot write to stdout: {e}"))
}

/// Columns a cell takes on a terminal: 2 for each CJK character or emoji,
/// 0 for combining marks (cells are escaped, so no control characters).
fn display_width(cell: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(cell)
}

/// How a table gives way on a terminal too narrow for it, one step at a
/// time, in the order given, until it fits.
#[derive(Debug, Clone, Copy)]
pub enum Fit {
    /// Narrow column `col` (cut cells end in `…`), down to `min` columns.
    Shrink { col: usize, min: usize },
    /// Leave column `col` out.
    Drop(usize),
}

/// The width to fit tables to: `COLUMNS`, else the terminal's own width,
/// when stdout is a terminal; None (full width) when it is piped.
pub fn terminal_width() -> Option<usize> {
    let out = std::io::stdout();
    if !out.is_terminal() {
        return None;
    }
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0);
    from_env.or_else(|| {
        rustix::termios::tcgetwinsize(&out)
            .ok()
            .map(|w| usize::from(w.ws_col))
            .filter(|&c| c > 0)
    })
}

/// `cell` cut to `width` columns, ending in `…` when something was cut.
fn cut(cell: &str, width: usize) -> String {
    if display_width(cell) <= width {
        return cell.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in cell.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// Column widths and which columns stay, for a table `natural` wide per
/// column on a terminal `max` columns wide.
fn fit_columns(natural: &[usize], max: Option<usize>, fit: &[Fit]) -> (Vec<usize>, Vec<bool>) {
    let mut widths = natural.to_vec();
    let mut shown = vec![true; widths.len()];
    let Some(max) = max else {
        return (widths, shown);
    };
    let total = |widths: &[usize], shown: &[bool]| -> usize {
        let cols: Vec<usize> = widths
            .iter()
            .zip(shown)
            .filter(|(_, s)| **s)
            .map(|(w, _)| *w)
            .collect();
        cols.iter().sum::<usize>() + 2 * cols.len().saturating_sub(1)
    };
    for step in fit {
        let now = total(&widths, &shown);
        if now <= max {
            break;
        }
        match *step {
            Fit::Shrink { col, min } => {
                if let Some(w) = widths.get_mut(col) {
                    *w -= (now - max).min(w.saturating_sub(min));
                }
            }
            Fit::Drop(col) => {
                if let Some(s) = shown.get_mut(col) {
                    *s = false;
                }
            }
        }
    }
    // A dropped column may leave room: give it back to what was cut.
    for step in fit {
        let now = total(&widths, &shown);
        if let (Fit::Shrink { col, .. }, true) = (*step, now < max) {
            if let (Some(w), Some(n)) = (widths.get_mut(col), natural.get(col)) {
                *w += (max - now).min(n.saturating_sub(*w));
            }
        }
    }
    (widths, shown)
}

/// An aligned table: header row plus rows, cells already escaped.
pub fn print_table(headers: &[&str], rows: &[Vec<String>]) -> Result<()> {
    print_table_fit(headers, rows, &[])
}

/// An aligned table that, on a terminal, gives way as `fit` says to fit
/// its width (see [`terminal_width`]); piped, it is printed whole.
pub fn print_table_fit(headers: &[&str], rows: &[Vec<String>], fit: &[Fit]) -> Result<()> {
    let colour = colour();
    let mut natural: Vec<usize> = headers.iter().map(|h| display_width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = natural.get_mut(i) {
                *w = (*w).max(display_width(cell));
            }
        }
    }
    let (widths, shown) = fit_columns(&natural, terminal_width(), fit);
    let mut out = std::io::stdout().lock();
    let line = |cells: Vec<String>, bold_it: bool| -> String {
        let cells: Vec<(usize, String)> = cells
            .into_iter()
            .enumerate()
            .filter(|(i, _)| shown.get(*i).copied().unwrap_or(true))
            .map(|(i, c)| {
                let w = widths.get(i).copied().unwrap_or(0);
                (w, cut(&c, w))
            })
            .collect();
        let last = cells.len().saturating_sub(1);
        let mut s = String::new();
        for (i, (width, cell)) in cells.into_iter().enumerate() {
            let pad = width.saturating_sub(display_width(&cell));
            let text = if bold_it { bold(&cell, colour) } else { cell };
            s.push_str(&text);
            if i != last {
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        s
    };
    writeln!(
        out,
        "{}",
        line(headers.iter().map(|h| h.to_string()).collect(), true)
    )
    .map_err(stdout_err)?;
    for row in rows {
        writeln!(out, "{}", line(row.clone(), false)).map_err(stdout_err)?;
    }
    Ok(())
}

/// Print `label: value` lines with aligned values.
pub fn print_fields(fields: &[(&str, String)]) -> Result<()> {
    let colour = colour();
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
    let mut out = std::io::stdout().lock();
    for (k, v) in fields {
        let label = format!("{k}:");
        writeln!(
            out,
            "{}{} {v}",
            bold(&label, colour),
            " ".repeat(width - label.len())
        )
        .map_err(stdout_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{agent_name, secret_name};
    use crate::typed::escape;

    #[test]
    fn escape_only_touches_control_characters() {
        assert_eq!(escape("plain text ünïcode"), "plain text ünïcode");
        assert_eq!(escape("a\nb\tc\x1b[31m"), "a\\nb\\tc\\u{1b}[31m");
        assert_eq!(escape("\u{7f}"), "\\u{7f}");
        assert_eq!(escape("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(
            escape("\u{2066}\u{200f}\u{61c}\u{9b}"),
            "\\u{2066}\\u{200f}\\u{61c}\\u{9b}"
        );
    }

    #[test]
    fn names_from_the_database_that_are_not_names_are_marked() {
        assert_eq!(secret_name("OPENAI_API_KEY"), "OPENAI_API_KEY");
        assert_eq!(
            secret_name("X\x1b[2J\x1b]52;c;aGk=\x07"),
            "<invalid name \"X\\u{1b}[2J\\u{1b}]52;c;aGk=\\u{7}\">"
        );
        assert_eq!(agent_name("deploy-bot"), "deploy-bot");
        assert_eq!(agent_name("bot\r"), "<invalid name \"bot\\r\">");
    }

    #[test]
    fn json_keeps_its_meaning_and_loses_terminal_controls() {
        let v = serde_json::json!({"d": "a\u{202e}b\u{9b}c\u{7f}", "n": "x\n\u{1b}"});
        let text = json_for_terminal(&serde_json::to_string_pretty(&v).unwrap());
        assert!(!text
            .chars()
            .any(|c| crate::typed::is_unsafe_for_display(c) && c != '\n'));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn narrow_terminals_cut_then_drop_in_the_order_given() {
        // NAME 10, VALUE 8, DESCRIPTION 40, CREATED 20: 84 wide with gaps.
        let natural = [10, 8, 40, 20];
        let fit = [
            Fit::Shrink { col: 2, min: 16 },
            Fit::Drop(3),
            Fit::Shrink { col: 2, min: 5 },
        ];
        assert_eq!(
            fit_columns(&natural, None, &fit),
            (natural.to_vec(), vec![true; 4])
        );
        assert_eq!(fit_columns(&natural, Some(200), &fit).0, natural.to_vec());
        let (w, s) = fit_columns(&natural, Some(80), &fit);
        assert_eq!((w, s), (vec![10, 8, 36, 20], vec![true; 4]));
        let (w, s) = fit_columns(&natural, Some(40), &fit);
        assert_eq!(s, vec![true, true, true, false]);
        assert_eq!(w[2], 18);
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
        assert_eq!(cut("日本語です", 5), "日本…");
    }

    #[test]
    fn columns_are_measured_as_a_terminal_shows_them() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("日本語"), 6);
        assert_eq!(display_width("ü"), 1);
    }
}
