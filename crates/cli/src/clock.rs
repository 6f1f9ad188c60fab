//! The journal's clock: the one place the journaling commands read the time (style.md §4), and how
//! times and run ids are written.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now. Journaled commands take their times from here; the journal and reports receive them as text.
#[allow(clippy::disallowed_methods)]
pub fn now() -> SystemTime {
    SystemTime::now()
}

/// `2026-11-22T05:15:00.123Z`: RFC 3339 in UTC with milliseconds, so times sort as text.
pub fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (date, clock) = utc_parts(since.as_secs());
    format!("{date}T{clock}.{:03}Z", since.subsec_millis())
}

/// A short run id that sorts by time: `20261122T051500Z-3f9a` (the suffix tells apart runs started in
/// the same second).
pub fn run_id(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (date, clock) = utc_parts(since.as_secs());
    // The suffix mixes the sub-second time with the process id; uniqueness is also enforced by the
    // journal's primary key.
    let mixed = u64::from(since.subsec_nanos())
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(u64::from(std::process::id()).wrapping_mul(0xBF58_476D_1CE4_E5B9));
    format!(
        "{}T{}Z-{:04x}",
        date.replace('-', ""),
        clock.replace(':', ""),
        (mixed >> 48) & 0xffff
    )
}

/// `("2026-11-22", "05:15:00")` of seconds since 1970.
fn utc_parts(seconds: u64) -> (String, String) {
    let days = seconds / 86_400;
    let second_of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!(
            "{:02}:{:02}:{:02}",
            second_of_day / 3600,
            second_of_day % 3600 / 60,
            second_of_day % 60
        ),
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    (year_of_era + era * 400 + u64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn times_and_ids_are_utc_and_sortable() {
        let time = UNIX_EPOCH + Duration::from_millis(1_795_324_500_123);
        assert_eq!(rfc3339(time), "2026-11-22T05:15:00.123Z");
        let id = run_id(time);
        assert!(id.starts_with("20261122T051500Z-"), "{id}");
        assert_eq!(id.len(), "20261122T051500Z-3f9a".len());
    }
}
