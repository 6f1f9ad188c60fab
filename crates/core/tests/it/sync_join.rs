//! The join invariant of issue 14 on a generated directory: the first sync joins every user exactly as
//! `plan` predicted, and a re-sync of the state it leaves writes nothing.

use std::time::{Duration, UNIX_EPOCH};

use anchorsync_core::engine::{EngineSettings, Outcome, plan};
use anchorsync_core::sync::record::ExportErrorCode;
use anchorsync_core::sync::{
    Action, LinkOrigin, Rehearsal, SyncInput, SyncSettings, join_mismatches, plan_sync,
    plan_sync_with,
};
use anchorsync_core::synthetic::{Generator, SyntheticConfig};

#[test]
fn ten_thousand_generated_users_join_as_plan_predicts_and_a_resync_writes_nothing_issue_14() {
    let synthetic = Generator::new(SyntheticConfig::new(10_000, 14)).build();
    let users = synthetic.users().unwrap();
    let engine = EngineSettings::default();
    let settings = SyncSettings::default();
    let now = UNIX_EPOCH + Duration::from_secs(1_796_083_200);
    let input = SyncInput {
        users: &users,
        tenant: &synthetic.tenant,
        links: &[],
        engine: &engine,
        settings: &settings,
        allow_deletions: None,
        now,
    };
    let engine_plan = plan(&users, &synthetic.tenant, &engine);
    let sync = plan_sync_with(&input, &engine_plan).unwrap();
    let mismatches = join_mismatches(&engine_plan, &sync);
    assert!(
        mismatches.is_empty(),
        "{} users:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );

    // Every outcome accounted for, user by user.
    let summary = engine_plan.summary();
    let matched = summary.get(Outcome::HardMatch)
        + summary.get(Outcome::SoftMatchSmtp)
        + summary.get(Outcome::SoftMatchUpn);
    let flagged: usize = Outcome::ALL
        .into_iter()
        .filter(|outcome| outcome.needs_attention())
        .map(|outcome| summary.get(outcome))
        .sum();
    let value_errors: Vec<String> = sync
        .users
        .iter()
        .flat_map(|user| &user.export_errors)
        .filter(|error| error.code != ExportErrorCode::PlanOutcome)
        .filter(|error| error.code != ExportErrorCode::SyncedByAnotherClient)
        .map(|error| error.message.clone())
        .collect();
    assert!(value_errors.is_empty(), "{value_errors:#?}");
    // Cloud users another client synchronises refuse Graph's writes: those joins are export errors.
    let refused = sync
        .users
        .iter()
        .filter(|user| {
            user.export_errors
                .iter()
                .any(|error| error.code == ExportErrorCode::SyncedByAnotherClient)
        })
        .count();
    assert_eq!(sync.counts.join + refused, matched);
    assert_eq!(sync.counts.create, summary.get(Outcome::Create));
    assert_eq!(sync.counts.export_error, flagged + refused);
    assert!(sync.counts.join > 1_000 && sync.counts.create > 500 && flagged > 500);
    for (user_plan, record) in engine_plan.users.iter().zip(&sync.users) {
        if record.action == Action::Join {
            let cloud = engine_plan
                .index
                .user(user_plan.cloud_user.unwrap())
                .unwrap();
            assert_eq!(record.cloud_user_id.as_deref(), Some(cloud.id.as_str()));
            assert_eq!(
                record.new_link,
                Some(LinkOrigin::Joined {
                    outcome: user_plan.outcome
                })
            );
        }
    }
    assert!(!sync.is_refused());

    // Carried out: the links are stored, the cloud holds the desired values.
    let after = Rehearsal::of(&input, &sync, "2026-11-30T00:00:00Z");
    assert_eq!(
        after.links.len(),
        matched - refused + summary.get(Outcome::Create)
    );
    let again = plan_sync(&after.next_input(&input)).unwrap();
    let pending: Vec<String> = again
        .users
        .iter()
        .filter(|user| user.is_pending())
        .take(5)
        .map(|user| format!("{user:?}"))
        .collect();
    assert_eq!(again.counts.pending(), 0, "{pending:#?}");
    assert_eq!(again.counts.no_change, after.links.len());
    assert_eq!(
        again.counts.export_error,
        flagged + refused,
        "flagged users stay untouched"
    );
}
