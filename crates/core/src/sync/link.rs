//! The stored link between an AD user and the cloud user this engine created or joined.
//!
//! Once a user is linked, the link decides (as IIJ ID keeps the Entra object id after the first export):
//! the match engine is asked only for users without one. The link also says what this engine did to
//! the cloud user when its AD user left, so that only users it manages are ever disabled or deleted,
//! and a user who comes back is restored rather than created again.

use serde::{Deserialize, Serialize};

use crate::engine::Outcome;
use crate::identifier::ObjectGuid;

/// AD objectGUID ↔ cloud object id ↔ sourceAnchor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Link {
    /// The AD user's objectGUID.
    pub object_guid: ObjectGuid,
    /// The cloud user's object id.
    pub cloud_user_id: String,
    /// The sourceAnchor exported as onPremisesImmutableId; it never changes.
    pub source_anchor: String,
    /// How the link was made.
    pub origin: LinkOrigin,
    /// What this engine last did to the cloud user.
    #[serde(default)]
    pub state: LinkState,
}

/// How a link was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum LinkOrigin {
    /// This engine created the cloud user.
    Created,
    /// The match engine joined an existing cloud user.
    Joined {
        /// The outcome it predicted (`hard-match`, `soft-match-smtp`, `soft-match-upn`).
        outcome: Outcome,
    },
    /// A deleted cloud user carrying the sourceAnchor was restored instead of creating another.
    Restored,
}

/// What this engine last did to a linked cloud user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkState {
    /// Maintained from AD.
    #[default]
    Active,
    /// Disabled because its AD user left the scope (`leaving = "disable"`).
    Disabled,
    /// Deleted because its AD user left the scope (`leaving = "delete"`).
    Deleted,
}

impl LinkState {
    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Deleted => "deleted",
        }
    }
}

/// What the store does with a user's link once the user's action has succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkUpdate {
    /// Nothing (an export error, or the link is already as it should be).
    Unchanged,
    /// Store this link (replacing any link of the same objectGUID or cloud user).
    Store(Link),
    /// Remove the link of this objectGUID.
    Remove(ObjectGuid),
}

/// How long Microsoft Entra keeps a deleted user restorable (`DELETE /users/{id}`).
pub const RESTORE_DAYS: u64 = 30;

/// Seconds since the Unix epoch of an ISO 8601 time in UTC as Graph writes it
/// (`2026-12-01T10:00:00Z`, fractions of a second allowed and ignored).
pub fn graph_time_seconds(text: &str) -> Option<u64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut date = date.splitn(3, '-').map(str::parse::<u64>);
    let (year, month, day) = (date.next()?.ok()?, date.next()?.ok()?, date.next()?.ok()?);
    let time = time.split('.').next()?;
    let mut time = time.splitn(3, ':').map(str::parse::<u64>);
    let (hour, minute, second) = (time.next()?.ok()?, time.next()?.ok()?, time.next()?.ok()?);
    let valid = (1970..=9999).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    if !valid {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm), for years from 1970.
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let day_of_year = (153 * m + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = (era * 146_097 + day_of_era).checked_sub(719_468)?;
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_survive_json() {
        let link = Link {
            object_guid: "88666888-0101-1111-bbbb-1234567890ab".parse().unwrap(),
            cloud_user_id: "7d4058b6-0000-4000-8000-000000000001".into(),
            source_anchor: "iGhmiAEBERG7uxI0VniQqw==".into(),
            origin: LinkOrigin::Joined {
                outcome: Outcome::SoftMatchSmtp,
            },
            state: LinkState::Disabled,
        };
        let json = serde_json::to_string(&link).unwrap();
        assert_eq!(
            json,
            r#"{"objectGuid":"88666888-0101-1111-bbbb-1234567890ab","cloudUserId":"7d4058b6-0000-4000-8000-000000000001","sourceAnchor":"iGhmiAEBERG7uxI0VniQqw==","origin":{"kind":"joined","outcome":"soft-match-smtp"},"state":"disabled"}"#
        );
        assert_eq!(serde_json::from_str::<Link>(&json).unwrap(), link);
    }

    #[test]
    fn graph_times_read_as_unix_seconds() {
        assert_eq!(graph_time_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            graph_time_seconds("2000-02-29T00:00:00Z"),
            Some(951_782_400)
        );
        assert_eq!(
            graph_time_seconds("2023-10-24T19:57:57.1234567Z"),
            Some(1_698_177_477)
        );
        for bad in [
            "2023-10-24T19:57:57",
            "2023-13-01T00:00:00Z",
            "yesterday",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(graph_time_seconds(bad), None, "{bad}");
        }
    }
}
