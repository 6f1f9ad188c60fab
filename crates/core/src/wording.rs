//! How values and counts are written into the sentences anchorsync prints, so every command says them
//! the same way.
//!
//! - [`printable`]: a value from input (a DN, an address, a pasted identifier) as a person reads it.
//!   Japanese, accented and other non-ASCII characters are shown as themselves; control characters
//!   (an escape sequence would recolour or rewrite the terminal, a newline would fake a line of
//!   output) and the bidirectional controls that reorder what is displayed are written as Rust-style
//!   escapes (`\u{1b}`, `\n`).
//! - [`excerpt`]: the same, cut to a length, for values quoted in messages.
//! - [`count`], [`one_or_many`] and [`digits`]: `1 user`, `2 users`, `12,345 users`.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Whether a character must not reach a terminal as it is: control characters (C0, DEL, C1) and the
/// bidirectional formatting characters that change the order text is displayed in.
fn must_escape(character: char) -> bool {
    character.is_control()
        || matches!(
            character,
            '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` as a person should read it in a message: every character as itself, except control and
/// bidirectional formatting characters, written as escapes (`\n`, `\t`, `\u{1b}`). Borrowed when
/// nothing needed escaping, which is almost always.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(must_escape) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        push_printable(&mut shown, character);
    }
    Cow::Owned(shown)
}

/// Like [`printable`], but keeps line breaks (`\n`): for messages that anchorsync itself writes on
/// several lines (a hint with a command to copy) and that may carry values from input.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && must_escape(c)) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for character in text.chars() {
        if character == '\n' {
            shown.push('\n');
        } else {
            push_printable(&mut shown, character);
        }
    }
    Cow::Owned(shown)
}

fn push_printable(shown: &mut String, character: char) {
    match character {
        '\n' => shown.push_str("\\n"),
        '\r' => shown.push_str("\\r"),
        '\t' => shown.push_str("\\t"),
        c if must_escape(c) => {
            let _ = write!(shown, "\\u{{{:x}}}", u32::from(c));
        }
        c => shown.push(c),
    }
}

/// `text` quoted in a message: [`printable`], and cut after `max` characters with how many more there
/// were, so a value from input (a 10 MB line, a file whose line ends were not seen) cannot flood the
/// terminal or a log.
pub fn excerpt(text: &str, max: usize) -> Cow<'_, str> {
    // Only the part shown is escaped: the value may be megabytes long.
    let Some((cut, _)) = text.char_indices().nth(max) else {
        let shown = printable(text);
        if shown.chars().count() <= max {
            return shown;
        }
        return Cow::Owned(cut_shown(&shown, max, 0));
    };
    let rest = text.get(cut..).map_or(0, |rest| rest.chars().count());
    Cow::Owned(cut_shown(
        &printable(text.get(..cut).unwrap_or_default()),
        max,
        rest,
    ))
}

/// The first `max` characters of `shown`, and how many characters of the value are not shown.
fn cut_shown(shown: &str, max: usize, rest: usize) -> String {
    let end = shown
        .char_indices()
        .nth(max)
        .map_or(shown.len(), |(end, _)| end);
    let hidden = shown.get(end..).map_or(0, |hidden| hidden.chars().count()) + rest;
    format!(
        "{}… (+{})",
        shown.get(..end).unwrap_or_default(),
        count(hidden, "character", "characters")
    )
}

/// A value shown with [`printable`], for `format!` arguments: `format!("`{}`", Printable(dn))`.
#[derive(Debug, Clone, Copy)]
pub struct Printable<'a>(pub &'a str);

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&printable(self.0))
    }
}

/// A character shown with [`printable`].
pub fn printable_char(character: char) -> String {
    let mut shown = String::new();
    push_printable(&mut shown, character);
    shown
}

/// `12345` as `12,345`.
pub fn digits(number: usize) -> String {
    let plain = number.to_string();
    let mut grouped = String::with_capacity(plain.len() + plain.len() / 3);
    for (position, digit) in plain.chars().enumerate() {
        if position > 0 && (plain.len() - position).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// `one` when `number` is 1, `many` otherwise: the noun (`user`/`users`) or the verb (`needs`/`need`)
/// that agrees with a count.
pub fn one_or_many<'a>(number: usize, one: &'a str, many: &'a str) -> &'a str {
    if number == 1 { one } else { many }
}

/// A count and its noun in the right number, digits grouped: `1 user`, `0 users`, `12,345 users`.
pub fn count(number: usize, one: &str, many: &str) -> String {
    format!("{} {}", digits(number), one_or_many(number, one, many))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_stays_readable_and_controls_are_escaped() {
        assert_eq!(
            printable("CN=山田 太郎,OU=東京,DC=corp"),
            "CN=山田 太郎,OU=東京,DC=corp"
        );
        assert!(matches!(printable("José Müller"), Cow::Borrowed(_)));
        assert_eq!(
            printable("CN=a\u{1b}[31mred\u{7}\n\r\t\u{9b}"),
            "CN=a\\u{1b}[31mred\\u{7}\\n\\r\\t\\u{9b}"
        );
        // Bidirectional overrides would display the value in another order than it is.
        assert_eq!(printable("abc\u{202e}fed"), "abc\\u{202e}fed");
        // Backslashes are the value's own (DN escapes): kept.
        assert_eq!(printable(r"CN=Doe\, John"), r"CN=Doe\, John");
        assert_eq!(
            printable_lines("line one\n  `山田`\u{1b}"),
            "line one\n  `山田`\\u{1b}"
        );
        assert_eq!(Printable("a\u{0}b").to_string(), "a\\u{0}b");
        assert_eq!(printable_char('山'), "山");
        assert_eq!(printable_char('\u{1b}'), "\\u{1b}");
    }

    #[test]
    fn excerpts_are_printable_and_cut() {
        assert_eq!(excerpt("CN=山田", 10), "CN=山田");
        assert_eq!(excerpt("abcdef", 3), "abc… (+3 characters)");
        assert_eq!(excerpt("a\u{1b}b", 3), "a\\u… (+5 characters)");
        assert_eq!(excerpt(&"x".repeat(10_000), 2), "xx… (+9,998 characters)");
        assert_eq!(excerpt("", 0), "");
    }

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(count(1, "user", "users"), "1 user");
        assert_eq!(count(0, "user", "users"), "0 users");
        assert_eq!(count(2, "user", "users"), "2 users");
        assert_eq!(count(12_345, "user", "users"), "12,345 users");
        assert_eq!(one_or_many(1, "needs", "need"), "needs");
        assert_eq!(one_or_many(3, "needs", "need"), "need");
        assert_eq!(digits(0), "0");
        assert_eq!(digits(999), "999");
        assert_eq!(digits(1000), "1,000");
        assert_eq!(digits(1_234_567), "1,234,567");
    }
}
