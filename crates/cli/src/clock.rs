//! The journal's clock: the one place the journaling commands read the time (time is an input:
//! CONTRIBUTING.md), and how
//! times and run ids are written.

use std::time::{SystemTime, UNIX_EPOCH};

use anchorsync_report::format_utc;

/// Now. Journaled commands take their times from here; the journal and reports receive them as text.
#[allow(clippy::disallowed_methods)]
pub fn now() -> SystemTime {
    SystemTime::now()
}

/// `2026-11-22T05:15:00.123Z`: RFC 3339 in UTC with milliseconds, so times sort as text.
pub fn rfc3339(time: SystemTime) -> String {
    let millis = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_millis();
    let (_, iso) = format_utc(time);
    format!("{}.{millis:03}Z", iso.trim_end_matches('Z'))
}

/// A short run id that sorts by time: `20261122T051500Z-3f9a` (the suffix tells apart runs started in
/// the same second).
pub fn run_id(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    // The suffix mixes the sub-second time with the process id; uniqueness is also enforced by the
    // journal's primary key.
    let mixed = u64::from(since.subsec_nanos())
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(u64::from(std::process::id()).wrapping_mul(0xBF58_476D_1CE4_E5B9));
    let (_, iso) = format_utc(time);
    format!(
        "{}-{:04x}",
        iso.replace(['-', ':'], ""),
        (mixed >> 48) & 0xffff
    )
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
