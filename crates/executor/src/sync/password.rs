//! The initial password of a user the sync creates: random, from the operating system's CSPRNG
//! (through aws-lc-rs, the crypto provider the tree already uses for TLS and tokens), never printed,
//! logged, journaled, stored or put in a report. It exists only in the `POST /users` body.
//!
//! It meets Microsoft Entra's password policy
//! (<https://learn.microsoft.com/entra/identity/authentication/concept-sspr-policy#password-policies-that-only-apply-to-cloud-user-accounts>):
//! 8 to 256 characters from the allowed set, at least three of lowercase, uppercase, digits and
//! symbols (here all four, each at least once), no Unicode. The users of a federated domain sign in
//! through their identity provider and never use it; others get theirs reset by an administrator
//! (or self-service), as with any account created without password synchronisation.

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};

use anchorsync_core::secret::Secret;

/// The password's length: far above the minimum, well below the maximum.
pub const LENGTH: usize = 24;

const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGITS: &[u8] = b"23456789";
/// Symbols Entra accepts, none of which a shell, JSON or a URL treats specially.
const SYMBOLS: &[u8] = b"!#%+-.=?@^_~";

/// Why no password could be made.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct NoRandomness;

/// A new random password.
pub fn generate() -> Result<Secret, NoRandomness> {
    let random = SystemRandom::new();
    let classes = [LOWER, UPPER, DIGITS, SYMBOLS];
    let all: Vec<u8> = classes.concat();
    let mut password = Vec::with_capacity(LENGTH);
    // One of each class first, the rest from all of them, then shuffled: every class is present
    // and no position is predictable.
    for class in classes {
        password.push(pick(&random, class)?);
    }
    while password.len() < LENGTH {
        password.push(pick(&random, &all)?);
    }
    for index in (1..password.len()).rev() {
        let other = below(&random, index + 1)?;
        password.swap(index, other);
    }
    // Only ASCII bytes from the tables above.
    Ok(Secret::new(String::from_utf8_lossy(&password).into_owned()))
}

fn pick(random: &SystemRandom, from: &[u8]) -> Result<u8, NoRandomness> {
    let index = below(random, from.len())?;
    from.get(index).copied().ok_or(NoRandomness)
}

/// A uniform number below `bound` (at most 256), by rejection: no modulo bias.
fn below(random: &SystemRandom, bound: usize) -> Result<usize, NoRandomness> {
    let bound = bound.clamp(1, 256);
    let limit = 256 - 256 % bound;
    loop {
        let mut byte = [0u8; 1];
        random.fill(&mut byte).map_err(|_| NoRandomness)?;
        let [value] = byte;
        let value = usize::from(value);
        if value < limit {
            return Ok(value % bound);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_meet_the_policy_and_differ() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let password = generate().unwrap();
            let text = password.expose();
            assert_eq!(text.len(), LENGTH);
            assert!(text.is_ascii());
            for class in [LOWER, UPPER, DIGITS, SYMBOLS] {
                assert!(text.bytes().any(|byte| class.contains(&byte)), "{class:?}");
            }
            assert!(seen.insert(text.to_owned()));
            assert_eq!(format!("{password:?}"), "Secret(****)");
        }
    }
}
