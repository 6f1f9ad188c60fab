//! The deletion guard: a run that would disable or delete too many of the users this engine manages
//! is refused as a whole, before anything is written.
//!
//! Two thresholds, both checked: a count (`max_deletions`, default 500 as Entra Connect's
//! accidental-delete threshold,
//! <https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-sync-feature-prevent-accidental-deletes>)
//! and a share of the managed users (`max_deletion_percent`, default 10 %, as HENNGE's "Max Allowed
//! Deletions"). What counts is what a scope mistake causes: the users who left the scope and are
//! disabled or deleted for it. A user whose AD account is disabled is not a deletion (Connect still
//! syncs disabled accounts; the flow sets `accountEnabled: false`). The base of the percentage is the
//! links not already deleted, i.e. the users this engine manages before the run.
//!
//! An explicit allowance lets exactly one run through: it must equal the number of deletions, so an
//! allowance given for one mistake cannot cover a bigger one.

use serde::{Deserialize, Serialize};

use super::settings::SyncSettings;

/// The guard's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GuardVerdict {
    /// Within both thresholds.
    Pass,
    /// Beyond a threshold, and allowed by an allowance of exactly this many deletions.
    Allowed,
    /// Beyond a threshold: nothing may be written.
    Refused,
}

/// What the guard decided and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletionGuard {
    /// The verdict.
    pub verdict: GuardVerdict,
    /// Users this run disables or deletes because they left the scope.
    pub deletions: usize,
    /// Users this engine manages before the run (links not deleted).
    pub managed: usize,
    /// The count threshold.
    pub max_deletions: usize,
    /// The percentage threshold.
    pub max_deletion_percent: u32,
    /// The allowance given for this run.
    pub allowance: Option<usize>,
    /// Why the run is refused or allowed (null when it passes).
    pub reason: Option<String>,
}

impl DeletionGuard {
    /// Judges a run.
    pub fn judge(
        deletions: usize,
        managed: usize,
        settings: &SyncSettings,
        allowance: Option<usize>,
    ) -> Self {
        let over_count = deletions > settings.max_deletions;
        // deletions / managed > percent / 100, in integers.
        let over_share = (deletions as u128) * 100
            > u128::from(settings.max_deletion_percent) * (managed as u128);
        let mut guard = Self {
            verdict: GuardVerdict::Pass,
            deletions,
            managed,
            max_deletions: settings.max_deletions,
            max_deletion_percent: settings.max_deletion_percent,
            allowance,
            reason: None,
        };
        if deletions == 0 || (!over_count && !over_share) {
            return guard;
        }
        let share = if managed == 0 {
            "all".to_owned()
        } else {
            let tenths = (deletions as u128) * 1000 / (managed as u128);
            format!("{}.{} %", tenths / 10, tenths % 10)
        };
        let mut limits = Vec::new();
        if over_count {
            limits.push(format!("max_deletions = {}", settings.max_deletions));
        }
        if over_share {
            limits.push(format!(
                "max_deletion_percent = {}",
                settings.max_deletion_percent
            ));
        }
        let what = format!(
            "This run would disable or delete {deletions} of the {managed} users anchorsync manages \
             ({share}), more than {}.",
            limits.join(" and ")
        );
        if allowance == Some(deletions) {
            guard.verdict = GuardVerdict::Allowed;
            guard.reason = Some(format!(
                "{what} Allowed for this run by an allowance of exactly {deletions}."
            ));
            return guard;
        }
        let given = match allowance {
            Some(given) => format!(" The allowance given is {given}, not {deletions}."),
            None => String::new(),
        };
        guard.verdict = GuardVerdict::Refused;
        guard.reason = Some(format!(
            "{what} Nothing is written.{given} Check the scope (`[ad]` base DNs, excluded OUs, filter) and \
             the users who left; if the deletions are intended, allow exactly this run with \
             `--allow-deletions {deletions}`."
        ));
        guard
    }

    /// Whether the run is refused.
    pub fn is_refused(&self) -> bool {
        self.verdict == GuardVerdict::Refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(max_deletions: usize, percent: u32) -> SyncSettings {
        SyncSettings {
            max_deletions,
            max_deletion_percent: percent,
            ..SyncSettings::default()
        }
    }

    #[test]
    fn count_threshold_boundaries() {
        let settings = settings(500, 100);
        assert_eq!(
            DeletionGuard::judge(500, 10_000, &settings, None).verdict,
            GuardVerdict::Pass
        );
        let refused = DeletionGuard::judge(501, 10_000, &settings, None);
        assert_eq!(refused.verdict, GuardVerdict::Refused);
        assert_eq!(
            refused.reason.as_deref(),
            Some(
                "This run would disable or delete 501 of the 10000 users anchorsync manages (5.0 %), \
                 more than max_deletions = 500. Nothing is written. Check the scope (`[ad]` base DNs, \
                 excluded OUs, filter) and the users who left; if the deletions are intended, allow \
                 exactly this run with `--allow-deletions 501`."
            )
        );
    }

    #[test]
    fn percentage_threshold_boundaries() {
        let settings = settings(usize::MAX, 10);
        assert_eq!(
            DeletionGuard::judge(100, 1_000, &settings, None).verdict,
            GuardVerdict::Pass
        );
        assert_eq!(
            DeletionGuard::judge(101, 1_000, &settings, None).verdict,
            GuardVerdict::Refused
        );
        assert_eq!(
            DeletionGuard::judge(1, 10, &settings, None).verdict,
            GuardVerdict::Pass
        );
        assert_eq!(
            DeletionGuard::judge(2, 10, &settings, None).verdict,
            GuardVerdict::Refused
        );
        assert_eq!(
            DeletionGuard::judge(0, 0, &settings, None).verdict,
            GuardVerdict::Pass
        );
        let sixty = DeletionGuard::judge(60, 100, &settings, None);
        assert!(
            sixty
                .reason
                .unwrap()
                .contains("(60.0 %), more than max_deletion_percent = 10")
        );
    }

    #[test]
    fn only_an_allowance_of_exactly_the_deletions_lets_the_run_through() {
        let settings = SyncSettings::default();
        let allowed = DeletionGuard::judge(60, 100, &settings, Some(60));
        assert_eq!(allowed.verdict, GuardVerdict::Allowed);
        assert!(!allowed.is_refused());
        for allowance in [59, 61] {
            let refused = DeletionGuard::judge(60, 100, &settings, Some(allowance));
            assert!(refused.is_refused());
            assert!(
                refused
                    .reason
                    .unwrap()
                    .contains(&format!("The allowance given is {allowance}, not 60."))
            );
        }
        assert_eq!(
            DeletionGuard::judge(5, 100, &settings, Some(9)).verdict,
            GuardVerdict::Pass,
            "within the thresholds an allowance changes nothing"
        );
    }
}
