//! The join invariant of issue 14 on the bundled demo (`crates/cli/demo`), read by the LDIF reader as
//! `anchorsync sync` reads it: the first sync joins every user exactly as `plan` predicts, and a re-sync
//! of the state it leaves writes nothing.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use anchorsync_ad::file::{ReadOptions, read_users_with};
use anchorsync_core::engine::{EngineSettings, Outcome, plan};
use anchorsync_core::sync::record::ExportErrorCode;
use anchorsync_core::sync::{
    Action, Rehearsal, SyncInput, SyncSettings, join_mismatches, plan_sync, plan_sync_with,
};
use anchorsync_core::tenant::TenantSnapshot;

#[test]
fn the_demo_joins_as_plan_predicts_and_a_resync_writes_nothing_issue_14() {
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../cli/demo");
    let engine = EngineSettings::default();
    let settings = SyncSettings::default();
    let mut keep = vec![engine.anchor_attribute.name().to_owned()];
    keep.extend(settings.ad_attributes());
    let users = read_users_with(
        &demo.join("ad.ldif"),
        &ReadOptions {
            extra_attributes: Some(keep),
        },
    )
    .unwrap();
    let tenant =
        TenantSnapshot::from_json(&std::fs::read_to_string(demo.join("tenant.json")).unwrap())
            .unwrap();
    assert_eq!(users.len(), 200);
    let input = SyncInput {
        users: &users,
        tenant: &tenant,
        links: &[],
        engine: &engine,
        settings: &settings,
        allow_deletions: None,
        now: UNIX_EPOCH + Duration::from_secs(1_796_083_200),
    };
    let engine_plan = plan(&users, &tenant, &engine);
    let sync = plan_sync_with(&input, &engine_plan).unwrap();
    let mismatches = join_mismatches(&engine_plan, &sync);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));

    let summary = engine_plan.summary();
    let matched = summary.get(Outcome::HardMatch)
        + summary.get(Outcome::SoftMatchSmtp)
        + summary.get(Outcome::SoftMatchUpn);
    let flagged: usize = Outcome::ALL
        .into_iter()
        .filter(|outcome| outcome.needs_attention())
        .map(|outcome| summary.get(outcome))
        .sum();
    let other_errors: Vec<&str> = sync
        .users
        .iter()
        .flat_map(|user| &user.export_errors)
        .filter(|error| {
            !matches!(
                error.code,
                ExportErrorCode::PlanOutcome | ExportErrorCode::SyncedByAnotherClient
            )
        })
        .map(|error| error.message.as_str())
        .collect();
    assert!(other_errors.is_empty(), "{other_errors:#?}");
    // A matched user whose cloud user another client still synchronises (`onPremisesSyncEnabled`)
    // is an export error instead of a write Graph would refuse.
    let synced_elsewhere = sync
        .users
        .iter()
        .filter(|user| {
            user.export_errors
                .iter()
                .any(|error| error.code == ExportErrorCode::SyncedByAnotherClient)
                && user
                    .export_errors
                    .iter()
                    .all(|error| error.code != ExportErrorCode::PlanOutcome)
        })
        .count();
    assert_eq!(
        (
            sync.counts.join + synced_elsewhere,
            sync.counts.create,
            sync.counts.export_error
        ),
        (
            matched,
            summary.get(Outcome::Create),
            flagged + synced_elsewhere
        )
    );
    // Every flagged user carries the plan's outcome; every outcome of the demo occurs.
    for outcome in Outcome::ALL.into_iter().filter(|o| o.needs_attention()) {
        let errors = sync
            .users
            .iter()
            .filter(|user| {
                user.export_errors
                    .iter()
                    .any(|e| e.outcome == Some(outcome))
            })
            .count();
        assert_eq!(errors, summary.get(outcome), "{outcome}");
        assert!(errors > 0, "{outcome}");
    }

    let after = Rehearsal::of(&input, &sync, "2026-11-30T00:00:00Z");
    let again = plan_sync(&after.next_input(&input)).unwrap();
    assert_eq!(again.counts.pending(), 0);
    assert!(
        again
            .users
            .iter()
            .all(|user| matches!(user.action, Action::NoChange | Action::ExportError))
    );
}
