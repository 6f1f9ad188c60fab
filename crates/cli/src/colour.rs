//! Colour for what needs attention, on a terminal only (CONTRIBUTING.md, "Errors").
//!
//! Whether stdout gets colour is decided by anstream, the crate clap already uses for its own help:
//! on when stdout is a terminal that supports colour, off when it is not (a pipe, a file) or when
//! `NO_COLOR` is set (<https://no-color.org>); `CLICOLOR=0` and `CLICOLOR_FORCE` are honoured too. A
//! file named with `-o` never gets colour. Colour only repeats what the words already say ("needs
//! attention", "failed", "disagree"), so the output reads the same without it.

use std::fmt;
use std::path::Path;

use anstyle::{AnsiColor, Style};

/// Which styles text gets: real ones on a colour terminal, none otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    enabled: bool,
}

impl Palette {
    /// No colour at all.
    pub const PLAIN: Self = Self { enabled: false };

    /// For text written to stdout.
    pub fn stdout() -> Self {
        let stdout = std::io::stdout();
        let enabled = anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never;
        #[cfg(windows)]
        if enabled {
            // Turns on the console's escape-sequence processing, as anstream does for clap's output.
            drop(anstream::AutoStream::always_ansi(stdout));
        }
        Self { enabled }
    }

    /// For a command's data: stdout as [`Palette::stdout`] decides, a file (`-o FILE`) never.
    pub fn for_output(path: Option<&Path>) -> Self {
        if path.is_some() {
            Self::PLAIN
        } else {
            Self::stdout()
        }
    }

    /// Something an administrator must act on: a refused match, a failed step, a disagreement.
    pub fn attention<T: fmt::Display>(self, text: T) -> Painted<T> {
        self.paint(
            Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
            text,
        )
    }

    /// Something that went as it should, shown beside what did not.
    pub fn fine<T: fmt::Display>(self, text: T) -> Painted<T> {
        self.paint(Style::new().fg_color(Some(AnsiColor::Green.into())), text)
    }

    /// Something to look at that is not an error: a skipped step, an unfinished one.
    pub fn caution<T: fmt::Display>(self, text: T) -> Painted<T> {
        self.paint(Style::new().fg_color(Some(AnsiColor::Yellow.into())), text)
    }

    /// [`Palette::attention`] when `needs_attention`, the text as it is otherwise.
    pub fn attention_if<T: fmt::Display>(self, needs_attention: bool, text: T) -> Painted<T> {
        if needs_attention {
            self.attention(text)
        } else {
            Painted { style: None, text }
        }
    }

    fn paint<T: fmt::Display>(self, style: Style, text: T) -> Painted<T> {
        Painted {
            style: self.enabled.then_some(style),
            text,
        }
    }
}

/// Text in a style, or as it is when colour is off. Pad before painting (`format!("{:<24}", ..)`):
/// the escape sequences have no width on the screen.
#[derive(Debug, Clone, Copy)]
pub struct Painted<T> {
    style: Option<Style>,
    text: T,
}

impl<T: fmt::Display> fmt::Display for Painted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.style {
            Some(style) => write!(f, "{style}{}{style:#}", self.text),
            None => write!(f, "{}", self.text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_has_no_escapes_and_colour_only_wraps_it() {
        assert_eq!(
            Palette::PLAIN.attention("needs attention").to_string(),
            "needs attention"
        );
        let coloured = Palette { enabled: true }
            .attention("needs attention")
            .to_string();
        assert!(coloured.starts_with('\u{1b}'), "{coloured:?}");
        assert!(coloured.ends_with("\u{1b}[0m"), "{coloured:?}");
        assert!(coloured.contains("needs attention"));
        assert_eq!(
            Palette { enabled: true }
                .attention_if(false, "fine")
                .to_string(),
            "fine"
        );
    }
}
