//! The top-level domains an address may end in: a bundled list (`tlds.txt`, from the Public Suffix
//! List, its source and licence in its header) that a file can extend, as IdFix's `domains.txt` could.

use rustc_hash::FxHashSet;

/// The bundled list.
const BUNDLED: &str = include_str!("tlds.txt");

/// Known top-level domains, compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TldList {
    known: FxHashSet<String>,
}

impl Default for TldList {
    fn default() -> Self {
        Self::bundled()
    }
}

impl TldList {
    /// The bundled list.
    pub fn bundled() -> Self {
        let mut list = Self {
            known: FxHashSet::default(),
        };
        list.extend_from_text(BUNDLED);
        list
    }

    /// Adds the labels of a list in the bundled file's format: one a line, `#` starts a comment line,
    /// a leading `.` is ignored. Returns how many labels were read.
    pub fn extend_from_text(&mut self, text: &str) -> usize {
        let mut added = 0;
        for line in text.lines() {
            let label = line.trim().trim_start_matches('.');
            if label.is_empty() || label.starts_with('#') {
                continue;
            }
            self.known.insert(label.to_lowercase());
            added += 1;
        }
        added
    }

    /// Whether a top-level label is known.
    pub fn contains(&self, label: &str) -> bool {
        if label.is_ascii() {
            if label.bytes().all(|byte| !byte.is_ascii_uppercase()) {
                return self.known.contains(label);
            }
            return self.known.contains(&label.to_ascii_lowercase());
        }
        self.known.contains(&label.to_lowercase())
    }

    /// How many labels are known.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether no label is known.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_list_knows_the_tlds_idfix_missed_and_a_file_extends_it() {
        let mut list = TldList::bundled();
        // IdFix issues #11 and #59: `.si` and `.africa` were flagged; its regex capped TLDs at 17 letters.
        for known in [
            "com",
            "COM",
            "si",
            "africa",
            "au",
            "vermögensberater",
            "VERMÖGENSBERATER",
        ] {
            assert!(list.contains(known), "{known}");
        }
        assert!(list.len() > 1000);
        assert!(!list.contains("local"));
        assert!(!list.contains("corp"));
        assert_eq!(list.extend_from_text("# ours\n.corp\n\n"), 1);
        assert!(list.contains("CORP"));
    }
}
