//! The journal's time: an instant in UTC, written as RFC 3339 with milliseconds
//! (`2026-11-22T05:15:00.123Z`) so that times sort as text, in the database and in reports alike.

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// An instant, as the journal records it (millisecond precision, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

/// Text that is not an RFC 3339 time.
#[derive(Debug, thiserror::Error)]
#[error("`{text}` is not an RFC 3339 time")]
pub struct TimestampError {
    text: String,
    #[source]
    source: time::error::Parse,
}

impl Timestamp {
    /// The instant `time`, cut to milliseconds.
    pub fn from_system_time(time: SystemTime) -> Self {
        Self::from_offset(OffsetDateTime::from(time))
    }

    /// The instant `millis` milliseconds after the Unix epoch (tests, fixtures).
    pub fn from_unix_millis(millis: i64) -> Self {
        let nanos = i128::from(millis) * 1_000_000;
        Self(OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH))
    }

    fn from_offset(time: OffsetDateTime) -> Self {
        let time = time.to_offset(UtcOffset::UTC);
        let millis = time.millisecond();
        Self(time.replace_millisecond(millis).unwrap_or(time))
    }

    /// The instant as the `time` crate holds it (UTC).
    pub fn as_offset_date_time(&self) -> OffsetDateTime {
        self.0
    }

    /// `20261122T051500Z`: the compact form run ids start with.
    pub fn compact(&self) -> String {
        self.0
            .format(format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .unwrap_or_default()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self
            .0
            .format(format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            ))
            .map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    /// Any RFC 3339 time (the journal's own form, or one without fractional seconds).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        OffsetDateTime::parse(text, &Rfc3339)
            .map(Self::from_offset)
            .map_err(|source| TimestampError {
                text: text.to_owned(),
                source,
            })
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn times_are_utc_with_milliseconds_and_round_trip() {
        let time = Timestamp::from_system_time(
            UNIX_EPOCH + Duration::from_nanos(1_795_324_500_123_456_789),
        );
        assert_eq!(time.to_string(), "2026-11-22T05:15:00.123Z");
        assert_eq!(time.compact(), "20261122T051500Z");
        assert_eq!(time.to_string().parse::<Timestamp>().unwrap(), time);
        assert_eq!(Timestamp::from_unix_millis(1_795_324_500_123), time);
        // Another offset, and no fraction: the same instant in the journal's form.
        let paris: Timestamp = "2026-11-22T06:15:00+01:00".parse().unwrap();
        assert_eq!(paris.to_string(), "2026-11-22T05:15:00.000Z");
        assert_eq!(
            Timestamp::from_unix_millis(951_782_400_000).to_string(),
            "2000-02-29T00:00:00.000Z"
        );
        assert!("22/11/2026".parse::<Timestamp>().is_err());
    }
}
