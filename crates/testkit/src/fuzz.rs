//! The fuzzing harness of the input readers (issue 12): proptest-driven, on the stable toolchain.
//!
//! `cargo fuzz` needs a nightly compiler for its sanitizer coverage, and this project builds with one
//! pinned stable toolchain, so the fuzz targets are proptest properties: each reader is fed bytes made
//! by [`mutated`] (a valid seed file edited at random: bytes inserted, deleted, replaced, duplicated,
//! tokens of the format spliced in, the end cut off) and arbitrary bytes, and must answer a value or an
//! error, never a panic. Shrinking reduces a failure to the fewest edits, and proptest stores it under
//! `proptest-regressions/` beside the test, where the next run replays it first.
//!
//! The number of cases is [`cases`]: a short run by default (each target takes about a second, and
//! `scripts/test.sh` runs them with the rest of the suite), any number with `ANCHORSYNC_FUZZ_CASES`
//! (docs/FUZZING.md gives the commands for long runs).

use proptest::prelude::*;
use proptest::test_runner::Config;

/// The variable that sets how many inputs each fuzz target tries.
pub const ENV_CASES: &str = "ANCHORSYNC_FUZZ_CASES";

/// How many inputs each target tries: `ANCHORSYNC_FUZZ_CASES`, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var(ENV_CASES)
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(default)
}

/// The proptest configuration of a fuzz target: [`cases`] inputs, failures kept beside the test.
pub fn config(default: u32) -> Config {
    Config {
        cases: cases(default),
        // A long run should spend its time on new inputs, not on rejected ones.
        max_global_rejects: 1 << 20,
        ..Config::default()
    }
}

/// One edit of a seed. Positions are fractions of the current length (`0..=u16::MAX`), so an edit
/// means the same place whatever the edits before it did.
#[derive(Debug, Clone)]
enum Edit {
    /// Insert a token of the format (a separator, a quote, a line end...).
    Token { at: u16, token: usize },
    /// Insert one arbitrary byte.
    Byte { at: u16, byte: u8 },
    /// Replace one byte.
    Replace { at: u16, byte: u8 },
    /// Delete up to `len` bytes.
    Delete { at: u16, len: u8 },
    /// Copy up to `len` bytes from `from` to `at` (records and fields repeated).
    Duplicate { from: u16, at: u16, len: u16 },
    /// Cut everything after `at` (a file copied short).
    Truncate { at: u16 },
}

fn edit(tokens: usize) -> impl Strategy<Value = Edit> {
    let tokens = tokens.max(1);
    prop_oneof![
        4 => (any::<u16>(), 0..tokens).prop_map(|(at, token)| Edit::Token { at, token }),
        2 => (any::<u16>(), any::<u8>()).prop_map(|(at, byte)| Edit::Byte { at, byte }),
        2 => (any::<u16>(), any::<u8>()).prop_map(|(at, byte)| Edit::Replace { at, byte }),
        2 => (any::<u16>(), any::<u8>()).prop_map(|(at, len)| Edit::Delete { at, len }),
        1 => (any::<u16>(), any::<u16>(), 0..2048u16)
            .prop_map(|(from, at, len)| Edit::Duplicate { from, at, len }),
        1 => any::<u16>().prop_map(|at| Edit::Truncate { at }),
    ]
}

fn place(at: u16, len: usize) -> usize {
    len * usize::from(at) / usize::from(u16::MAX)
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit], tokens: &[Vec<u8>]) -> Vec<u8> {
    for edit in edits {
        let len = bytes.len();
        match edit {
            Edit::Token { at, token } => {
                let token = tokens.get(*token).cloned().unwrap_or_default();
                let at = place(*at, len);
                bytes.splice(at..at, token);
            }
            Edit::Byte { at, byte } => bytes.insert(place(*at, len), *byte),
            Edit::Replace { at, byte } => {
                if let Some(slot) = bytes.get_mut(place(*at, len.saturating_sub(1))) {
                    *slot = *byte;
                }
            }
            Edit::Delete { at, len: cut } => {
                let at = place(*at, len);
                let end = (at + usize::from(*cut)).min(len);
                bytes.drain(at..end);
            }
            Edit::Duplicate {
                from,
                at,
                len: size,
            } => {
                let from = place(*from, len);
                let end = (from + usize::from(*size)).min(len);
                let copy = bytes.get(from..end).map(<[u8]>::to_vec).unwrap_or_default();
                let at = place(*at, len);
                bytes.splice(at..at, copy);
            }
            Edit::Truncate { at } => bytes.truncate(place(*at, len)),
        }
    }
    bytes
}

/// Inputs for a reader: one of `seeds` (valid files of the format) changed by up to 24 random
/// [edits](Edit), with `tokens` (the format's punctuation) among what is inserted; one case in eight
/// is arbitrary bytes instead.
pub fn mutated(seeds: Vec<Vec<u8>>, tokens: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let count = tokens.len();
    let edited = (
        proptest::sample::select(seeds),
        proptest::collection::vec(edit(count), 0..24),
    )
        .prop_map(move |(seed, edits)| apply(seed, &edits, &tokens));
    prop_oneof![
        7 => edited,
        1 => proptest::collection::vec(any::<u8>(), 0..512),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_stay_inside_the_input() {
        let tokens = vec![b"\"".to_vec(), b"\r\n".to_vec()];
        for edits in [
            vec![Edit::Delete {
                at: u16::MAX,
                len: 200,
            }],
            vec![Edit::Duplicate {
                from: u16::MAX,
                at: 0,
                len: 2047,
            }],
            vec![Edit::Truncate { at: 0 }, Edit::Replace { at: 7, byte: 1 }],
            vec![Edit::Token {
                at: u16::MAX,
                token: 1,
            }],
        ] {
            let _ = apply(b"dn: CN=a\n".to_vec(), &edits, &tokens);
            let _ = apply(Vec::new(), &edits, &tokens);
        }
        assert_eq!(
            apply(
                b"ab".to_vec(),
                &[Edit::Token {
                    at: u16::MAX,
                    token: 1
                }],
                &tokens
            ),
            b"ab\r\n"
        );
    }
}
