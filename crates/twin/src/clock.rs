//! Time as an input: token lifetimes and throttling windows read the twin's [`Clock`], never the
//! system clock directly, so tests move time forward instead of sleeping.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::macros::format_description;

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

/// The instant in UTC, whole seconds (the twin's dates carry no fraction).
fn utc(time: SystemTime) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(i64::try_from(unix_seconds(time)).unwrap_or(0))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `2024-01-10T08:09:10Z`: Graph's `Edm.DateTimeOffset` form.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    utc(time)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap_or_default()
}

/// `2024-01-10T08:09:10`: the form of `innerError.date`.
pub(crate) fn inner_error_date(time: SystemTime) -> String {
    utc(time)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

/// `2024-01-10 08:09:10Z`: the form of the token endpoint's `timestamp`.
pub(crate) fn token_timestamp(time: SystemTime) -> String {
    utc(time)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]Z"
        ))
        .unwrap_or_default()
}

/// Parses Graph's `Edm.DateTimeOffset` as the twin writes it and as snapshots carry it
/// (`2024-01-10T08:09:10Z`, fractions of a second and `+hh:mm`/`-hh:mm` offsets accepted); `None`
/// for anything else.
pub(crate) fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let bytes = text.as_bytes();
    if bytes.get(4) != Some(&b'-')
        || bytes.get(7) != Some(&b'-')
        || !matches!(bytes.get(10), Some(b'T' | b't'))
        || bytes.get(13) != Some(&b':')
        || bytes.get(16) != Some(&b':')
    {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = text.get(19..)?;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = fraction.get(digits..)?;
    }
    let offset_seconds: i64 = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let (hours, minutes) = rest.get(1..)?.split_once(':')?;
            if hours.len() != 2 || minutes.len() != 2 {
                return None;
            }
            sign * (hours.parse::<i64>().ok()? * 3600 + minutes.parse::<i64>().ok()? * 60)
        }
    };
    // Howard Hinnant's days-from-civil algorithm, the inverse of `civil`.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    u64::try_from(seconds)
        .ok()
        .map(|seconds| UNIX_EPOCH + Duration::from_secs(seconds))
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
    fn parses_what_it_formats() {
        for seconds in [0u64, 951_782_400, 1_698_177_477, 4_102_444_799] {
            let time = UNIX_EPOCH + Duration::from_secs(seconds);
            assert_eq!(parse_rfc3339(&rfc3339(time)), Some(time));
        }
        assert_eq!(
            parse_rfc3339("2023-10-24T21:57:57.1234+02:00"),
            Some(UNIX_EPOCH + Duration::from_secs(1_698_177_477))
        );
        for bad in [
            "",
            "2023-10-24",
            "2023-13-01T00:00:00Z",
            "2023-10-24T19:57:57",
            "x023-10-24T19:57:57Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
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
