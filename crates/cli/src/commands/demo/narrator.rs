//! How the demo speaks: titles, numbered steps, paragraphs, and the commands it runs with their output,
//! every line at most [`WIDTH`] columns wide.
//!
//! Width is display width (`unicode-width`): a Japanese name takes two columns per character. Each
//! step runs the real binary as a child process in the demo's directory, as an administrator would type
//! it, so its output can be shown under the command line and wrapped like the rest.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

use crate::exit::ExitStatus;

/// The widest line the demo prints.
pub const WIDTH: usize = 100;

/// Words of `text` in lines at most `width` columns wide (display width), the first starting with
/// `first`, the others with `rest`. A word wider than a line is cut where the line ends.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_owned();
    let mut line_width = first.width();
    let mut empty = true;
    for word in text.split_whitespace() {
        let word_width = word.width();
        if !empty && line_width + 1 + word_width > width {
            lines.push(std::mem::replace(&mut line, rest.to_owned()));
            line_width = rest.width();
            empty = true;
        }
        if !empty {
            line.push(' ');
            line_width += 1;
        }
        for character in word.chars() {
            let character_width = character.width().unwrap_or(0);
            if line_width + character_width > width && line_width > rest.width() {
                lines.push(std::mem::replace(&mut line, rest.to_owned()));
                line_width = rest.width();
            }
            line.push(character);
            line_width += character_width;
        }
        empty = false;
    }
    if !empty || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// A command's output line, wrapped: continuation lines are indented four columns deeper than the line.
fn wrap_output(line: &str, indent: &str) -> Vec<String> {
    let own: String = line.chars().take_while(|c| *c == ' ').collect();
    let first = format!("{indent}{own}");
    let rest = format!("{first}    ");
    wrap(line, WIDTH, &first, &rest)
}

/// Prints the walk-through to stdout and runs its commands.
pub struct Narrator {
    out: std::io::Stdout,
    /// The binary to run.
    program: PathBuf,
    /// Where the commands run (the demo's directory).
    directory: PathBuf,
    /// The demo's configuration and journal, given to every command through the environment.
    config: PathBuf,
    data_dir: PathBuf,
}

impl Narrator {
    /// A narrator whose commands run `program` in `directory` with the demo's configuration and journal.
    pub fn new(directory: &Path, config: &Path, data_dir: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            out: std::io::stdout(),
            program: std::env::current_exe()
                .context("cannot find the anchorsync binary to run the demo's commands")?,
            directory: directory.to_owned(),
            config: config.to_owned(),
            data_dir: data_dir.to_owned(),
        })
    }

    /// A title, underlined.
    pub fn title(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}\n{}", "=".repeat(text.width()));
    }

    /// A numbered step's heading.
    pub fn step(&mut self, text: &str) {
        let _ = writeln!(self.out);
        for line in wrap(text, WIDTH, "", "   ") {
            let _ = writeln!(self.out, "{line}");
        }
    }

    /// A paragraph.
    pub fn line(&mut self, text: &str) {
        for line in wrap(text, WIDTH, "  ", "  ") {
            let _ = writeln!(self.out, "{line}");
        }
    }

    /// Runs `anchorsync ARGS` in the demo's directory, shows the command and what it printed, and
    /// returns its exit status. Exit status 2 (an error) stops the demo with the command's message.
    pub fn run(&mut self, args: &[&str]) -> anyhow::Result<ExitStatus> {
        let shown = std::iter::once("anchorsync")
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        for line in wrap(&shown, WIDTH, "  $ ", "      ") {
            let _ = writeln!(self.out, "{line}");
        }
        let output = Command::new(&self.program)
            .args(args)
            .current_dir(&self.directory)
            .env("ANCHORSYNC_CONFIG", &self.config)
            .env("ANCHORSYNC_DATA_DIR", &self.data_dir)
            .env("ANCHORSYNC_NO_PROGRESS", "1")
            .env("NO_COLOR", "1")
            .output()
            .with_context(|| format!("cannot run `{shown}`"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let status = match output.status.code() {
            Some(0) => ExitStatus::Success,
            Some(1) => ExitStatus::Attention,
            _ => bail!("`{shown}` failed:\n{}", stderr.trim_end()),
        };
        for line in stdout.lines().chain(stderr.lines()) {
            for wrapped in wrap_output(line, "    ") {
                let _ = writeln!(self.out, "{}", wrapped.trim_end());
            }
        }
        let _ = self.out.flush();
        Ok(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_by_display_width() {
        // 山田 is four columns wide, not two.
        let text = "山田 太郎 は 東京 の 営業部 に います and then some ascii words follow here";
        for width in [10, 17, 30] {
            let lines = wrap(text, width, "  ", "    ");
            assert!(
                lines.iter().all(|line| line.width() <= width),
                "{width}: {lines:?}"
            );
            let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
            assert_eq!(words, text.split_whitespace().collect::<Vec<_>>());
        }
        assert_eq!(wrap("山田太郎", 8, "", ""), ["山田太郎"]);
        assert_eq!(wrap("山田太郎", 7, "", ""), ["山田太", "郎"]);
    }

    #[test]
    fn output_lines_keep_their_indent_and_hang_under_it() {
        let line = format!(
            "  cloud set-immutable-id of `{}`: `a` → `b`",
            "x".repeat(120)
        );
        let lines = wrap_output(&line, "    ");
        assert!(lines.iter().all(|line| line.width() <= WIDTH), "{lines:?}");
        assert!(lines[0].starts_with("      cloud"));
        assert!(lines[1].starts_with("          "));
    }
}
