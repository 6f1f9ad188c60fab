//! Time as an input: token lifetimes and throttling windows read the twin's [`Clock`], never the
//! system clock directly, so tests move time forward instead of sleeping.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the twin reads the time: the system clock, or a manual clock a test moves by hand.
#[derive(Debug, Clone)]
pub struct Clock(ClockKind);

#[derive(Debug, Clone)]
enum ClockKind {
    System,
    Manual(Arc<Mutex<SystemTime>>),
}

impl Clock {
    /// The system clock (for `twin serve` and the demo).
    pub fn system() -> Self {
        Self(ClockKind::System)
    }

    /// A clock that stands still at `start` until [`Clock::advance`] or [`Clock::set`] moves it.
    pub fn manual(start: SystemTime) -> Self {
        Self(ClockKind::Manual(Arc::new(Mutex::new(start))))
    }

    /// The current time.
    pub fn now(&self) -> SystemTime {
        match &self.0 {
            #[allow(clippy::disallowed_methods)]
            // the twin's one clock read (time is an input: CONTRIBUTING.md)
            ClockKind::System => SystemTime::now(),
            ClockKind::Manual(time) => *time.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// Moves a manual clock forward; returns false (and does nothing) on the system clock.
    pub fn advance(&self, by: Duration) -> bool {
        match &self.0 {
            ClockKind::System => false,
            ClockKind::Manual(time) => {
                let mut time = time.lock().unwrap_or_else(PoisonError::into_inner);
                *time += by;
                true
            }
        }
    }

    /// Sets a manual clock; returns false (and does nothing) on the system clock.
    pub fn set(&self, to: SystemTime) -> bool {
        match &self.0 {
            ClockKind::System => false,
            ClockKind::Manual(time) => {
                *time.lock().unwrap_or_else(PoisonError::into_inner) = to;
                true
            }
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

/// Whole seconds since the Unix epoch (0 before it).
pub(crate) fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// Seconds since the epoch as a float, for token buckets.
pub(crate) fn unix_seconds_f64(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs_f64())
        .unwrap_or(0.0)
}

/// The civil date and time (UTC) of a Unix timestamp.
fn civil(seconds: u64) -> (i64, u32, u32, u32, u32, u32) {
    // Howard Hinnant's days-to-civil algorithm.
    let days = (seconds / 86_400) as i64;
    let rem = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (rem / 3600) as u32,
        ((rem % 3600) / 60) as u32,
        (rem % 60) as u32,
    )
}

/// `2024-01-10T08:09:10Z`: Graph's `Edm.DateTimeOffset` form.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = civil(unix_seconds(time));
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `2024-01-10T08:09:10`: the form of `innerError.date`.
pub(crate) fn inner_error_date(time: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = civil(unix_seconds(time));
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")
}

/// `2024-01-10 08:09:10Z`: the form of the token endpoint's `timestamp`.
pub(crate) fn token_timestamp(time: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = civil(unix_seconds(time));
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let time = UNIX_EPOCH + Duration::from_secs(1_698_177_477); // 2023-10-24T19:57:57Z
        assert_eq!(rfc3339(time), "2023-10-24T19:57:57Z");
        assert_eq!(inner_error_date(time), "2023-10-24T19:57:57");
        assert_eq!(token_timestamp(time), "2023-10-24 19:57:57Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = Clock::manual(UNIX_EPOCH);
        assert_eq!(clock.now(), UNIX_EPOCH);
        assert!(clock.advance(Duration::from_secs(5)));
        assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(5));
        assert!(!Clock::system().advance(Duration::from_secs(1)));
    }
}
