//! The generator's random numbers: SplitMix64, written out so the sequence (and so every generated file)
//! stays the same across dependency versions.

/// SplitMix64: a small generator whose sequence never changes with a dependency's version, so the same
/// seed gives the same files forever.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        usize::try_from(self.next_u64() % n as u64).unwrap_or(0)
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One of the items.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        items.get(self.below(items.len())).copied()
    }

    /// Sixteen random bytes.
    pub fn bytes16(&mut self) -> [u8; 16] {
        let mut bytes = [0u8; 16];
        let (low, high) = bytes.split_at_mut(8);
        low.copy_from_slice(&self.next_u64().to_le_bytes());
        high.copy_from_slice(&self.next_u64().to_le_bytes());
        bytes
    }

    /// A random (version 4) GUID string, as Graph writes object ids.
    pub fn guid(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.bytes16())
            .into_uuid()
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_stable() {
        let mut rng = Rng::new(1);
        // SplitMix64's published sequence for seed 1.
        assert_eq!(rng.next_u64(), 0x910A_2DEC_8902_5CC1);
        assert_eq!(rng.next_u64(), 0xBEEB_8DA1_658E_EC67);
    }
}
