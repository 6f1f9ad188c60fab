//! The outcome mix (`--mix`): relative weights per outcome, and the exact number of users of each outcome
//! they give for a directory of a given size.

use std::fmt;

use crate::engine::{Outcome, Summary};

/// How many users of each outcome to generate, as relative weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix {
    weights: [(Outcome, u32); 11],
}

/// A `--mix` that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MixError {
    /// An item is not `outcome=weight`.
    #[error("`{item}` is not `outcome=weight` (for example `hard-match=30`)")]
    Syntax {
        /// The item.
        item: String,
    },
    /// Not an outcome's name.
    #[error("`{name}` is not an outcome; the outcomes are {}", Outcome::ALL.map(Outcome::as_str).join(", "))]
    UnknownOutcome {
        /// The name.
        name: String,
    },
    /// Every weight is zero.
    #[error("every weight is zero")]
    Empty,
}

impl Mix {
    /// A tenant in the middle of a HENNGE switch-over: mostly matches and creates, a few of every problem.
    pub fn realistic() -> Self {
        Self {
            weights: [
                (Outcome::HardMatch, 300),
                (Outcome::SoftMatchSmtp, 220),
                (Outcome::SoftMatchUpn, 50),
                (Outcome::Create, 250),
                (Outcome::CreateWithConflict, 40),
                (Outcome::InvalidSoftMatch, 60),
                (Outcome::AdminRoleConflict, 5),
                (Outcome::HardMatchBlocked, 20),
                (Outcome::Ambiguous, 15),
                (Outcome::InvalidAnchor, 15),
                (Outcome::DuplicateAnchor, 25),
            ],
        }
    }

    /// The same weight for every outcome.
    pub fn even() -> Self {
        Self {
            weights: Outcome::ALL.map(|outcome| (outcome, 1)),
        }
    }

    /// `hard-match=30,create=10,...`; outcomes not named get weight 0.
    pub fn parse(text: &str) -> Result<Self, MixError> {
        let mut weights = Outcome::ALL.map(|outcome| (outcome, 0));
        for item in text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            let (name, weight) = item.split_once('=').ok_or_else(|| MixError::Syntax {
                item: item.to_owned(),
            })?;
            let weight: u32 = weight.trim().parse().map_err(|_| MixError::Syntax {
                item: item.to_owned(),
            })?;
            let slot = weights
                .iter_mut()
                .find(|(outcome, _)| outcome.as_str() == name.trim())
                .ok_or_else(|| MixError::UnknownOutcome {
                    name: name.trim().to_owned(),
                })?;
            slot.1 = weight;
        }
        if weights.iter().all(|(_, weight)| *weight == 0) {
            return Err(MixError::Empty);
        }
        Ok(Self { weights })
    }

    /// The weight of an outcome.
    pub fn weight(&self, outcome: Outcome) -> u32 {
        self.weights
            .iter()
            .find(|(o, _)| *o == outcome)
            .map_or(0, |(_, weight)| *weight)
    }

    /// How many on-premises users of each outcome make up `users`: proportional (largest remainder), at
    /// least one of every weighted outcome when there is room (two for `duplicate-anchor`, which comes in
    /// pairs), and an even number of `duplicate-anchor`.
    pub fn counts(&self, users: usize) -> Summary {
        let total: u64 = self
            .weights
            .iter()
            .map(|(_, w)| u64::from(*w))
            .sum::<u64>()
            .max(1);
        let users_u64 = users as u64;
        let mut counts: Vec<(Outcome, usize, u64)> = self
            .weights
            .iter()
            .map(|(outcome, weight)| {
                let exact = users_u64 * u64::from(*weight);
                (
                    *outcome,
                    usize::try_from(exact / total).unwrap_or(0),
                    exact % total,
                )
            })
            .collect();
        let mut left = users.saturating_sub(counts.iter().map(|(_, n, _)| n).sum());
        let mut by_remainder: Vec<usize> = (0..counts.len()).collect();
        by_remainder.sort_by(|a, b| {
            let key = |i: &usize| counts.get(*i).map_or(0, |(_, _, r)| *r);
            key(b).cmp(&key(a)).then(a.cmp(b))
        });
        for index in by_remainder.iter().cycle().take(counts.len() * 2) {
            if left == 0 {
                break;
            }
            if let Some((outcome, n, _)) = counts.get_mut(*index)
                && self.weight(*outcome) > 0
            {
                *n += 1;
                left -= 1;
            }
        }
        let minimum = |outcome: Outcome| {
            if outcome == Outcome::DuplicateAnchor {
                2
            } else {
                1
            }
        };
        let needed: usize = counts
            .iter()
            .filter(|(outcome, _, _)| self.weight(*outcome) > 0)
            .map(|(outcome, _, _)| minimum(*outcome))
            .sum();
        if users >= needed {
            for position in 0..counts.len() {
                let Some(&(outcome, n, _)) = counts.get(position) else {
                    continue;
                };
                if self.weight(outcome) == 0 || n >= minimum(outcome) {
                    continue;
                }
                let want = minimum(outcome) - n;
                for _ in 0..want {
                    let donor = (0..counts.len())
                        .filter(|d| *d != position)
                        .max_by_key(|d| {
                            counts
                                .get(*d)
                                .map_or(0, |(o, n, _)| n.saturating_sub(minimum(*o)))
                        });
                    if let Some(donor) = donor
                        && let Some((o, n, _)) = counts.get_mut(donor)
                        && *n > minimum(*o)
                    {
                        *n -= 1;
                        if let Some((_, n, _)) = counts.get_mut(position) {
                            *n += 1;
                        }
                    }
                }
            }
        }
        let mut summary = Summary::default();
        for (outcome, n, _) in &counts {
            *summary.slot(*outcome) = *n;
        }
        if !summary.duplicate_anchor.is_multiple_of(2) {
            summary.duplicate_anchor -= 1;
            let receiver = Outcome::ALL
                .into_iter()
                .filter(|o| *o != Outcome::DuplicateAnchor)
                .max_by_key(|o| (self.weight(*o), summary.get(*o)))
                .unwrap_or(Outcome::Create);
            *summary.slot(receiver) += 1;
        }
        summary
    }
}

impl Default for Mix {
    fn default() -> Self {
        Self::realistic()
    }
}

impl fmt::Display for Mix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self
            .weights
            .iter()
            .filter(|(_, weight)| *weight > 0)
            .map(|(outcome, weight)| format!("{outcome}={weight}"))
            .collect();
        f.write_str(&items.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_exact_and_cover_every_outcome() {
        for users in [11, 12, 23, 200, 1000, 12345] {
            let counts = Mix::realistic().counts(users);
            let total: usize = Outcome::ALL.iter().map(|o| counts.get(*o)).sum();
            assert_eq!(total, users, "{users}");
            assert_eq!(counts.duplicate_anchor % 2, 0);
            if users >= 12 {
                for outcome in Outcome::ALL {
                    assert!(
                        counts.get(outcome) > 0,
                        "{outcome} missing at {users}: {counts:?}"
                    );
                }
            }
        }
        let only = Mix::parse("create=1").unwrap().counts(7);
        assert_eq!(only.create, 7);
    }

    #[test]
    fn mix_parse_errors_name_the_item() {
        assert_eq!(
            Mix::parse("create").unwrap_err().to_string(),
            "`create` is not `outcome=weight` (for example `hard-match=30`)"
        );
        assert!(
            Mix::parse("soft=1")
                .unwrap_err()
                .to_string()
                .starts_with("`soft` is not an outcome")
        );
        assert_eq!(Mix::parse("create=0").unwrap_err(), MixError::Empty);
        assert_eq!(
            Mix::parse(&Mix::realistic().to_string()).unwrap(),
            Mix::realistic()
        );
    }
}
