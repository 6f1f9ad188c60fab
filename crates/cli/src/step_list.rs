//! How `apply` and `undo` list what they are about to change: the first [`SHOWN`] items in full, then
//! how many more there are, so a run of thousands of steps prints a screenful, the same way in both.

use std::io::{self, Write};

/// How many items a list shows before "... and N more".
pub const SHOWN: usize = 10;

/// Writes the first [`SHOWN`] items, one line each (as `line` renders them), then `  ... and N more`
/// when there are more.
pub fn write_cut_list<T>(
    out: &mut dyn Write,
    items: &[T],
    line: impl Fn(&T) -> String,
) -> io::Result<()> {
    for item in items.iter().take(SHOWN) {
        writeln!(out, "{}", line(item))?;
    }
    if items.len() > SHOWN {
        writeln!(out, "  ... and {} more", items.len() - SHOWN)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_cut_after_the_shown_items() {
        let render = |items: &[usize]| {
            let mut out = Vec::new();
            write_cut_list(&mut out, items, |n| format!("  step {n}")).unwrap();
            String::from_utf8(out).unwrap()
        };
        let short: Vec<usize> = (1..=SHOWN).collect();
        assert_eq!(render(&short).lines().count(), SHOWN);
        let long: Vec<usize> = (1..=SHOWN + 72).collect();
        let text = render(&long);
        assert_eq!(text.lines().count(), SHOWN + 1);
        assert!(text.ends_with("  step 10\n  ... and 72 more\n"), "{text}");
    }
}
