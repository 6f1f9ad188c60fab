//! A journal written by anchorsync before schema version 3 (`tests/fixtures/journal-v2.db`, made by
//! `tests/fixtures/make-journal-v2.sh` with the binary of that release) opens, migrates, and reads as
//! typed runs and steps. The command line's test `journal_v2` undoes its apply run against a twin.

use std::path::PathBuf;

use anchorsync_core::remediation::{Operation, StepPurpose, StepSystem, StepValue};
use anchorsync_store::{RunKind, RunStatus, StepState, Store, current_version};

fn fixture_copy() -> (tempfile::TempDir, PathBuf) {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("anchorsync.db");
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/journal-v2.db");
    std::fs::copy(&fixture, &path).unwrap();
    (folder, path)
}

#[test]
fn a_version_2_journal_migrates_and_reads_typed_issue_11() {
    let (_folder, path) = fixture_copy();
    let version: u32 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT max(version) FROM schema_version", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(version, 2, "the fixture is a version 2 journal");

    let store = Store::open(&path).unwrap();
    assert_eq!(store.version().unwrap(), current_version());
    assert!(current_version() >= 3);

    let runs = store.runs().unwrap();
    let shape: Vec<(RunKind, RunStatus, u64)> = runs
        .iter()
        .map(|summary| (summary.run.kind, summary.run.status, summary.counts.done))
        .collect();
    assert_eq!(
        shape,
        [
            (RunKind::Apply, RunStatus::Completed, 4),
            (RunKind::TenantMatching, RunStatus::Completed, 1),
            (RunKind::Undo, RunStatus::Completed, 1),
            (RunKind::Apply, RunStatus::Refused, 0),
            (RunKind::Apply, RunStatus::Completed, 1),
        ]
    );
    // Times and targets are typed, and sort as they were written.
    assert!(
        runs.windows(2)
            .all(|pair| pair[0].run.started_at < pair[1].run.started_at)
    );
    assert!(runs.iter().all(|summary| summary.run.finished_at.is_some()));
    let cloud = runs[0].run.targets.cloud.as_ref().unwrap();
    assert_eq!(cloud.tenant_id, "6c1b7d1e-0f6a-4d7e-9a53-6a0c2b9d4e11");
    assert_eq!(runs[2].run.undoes.as_deref(), Some(runs[1].run.id.as_str()));
    assert!(runs[4].run.targets.ad.is_some());

    let apply = store.steps(&runs[0].run.id).unwrap();
    let purposes: Vec<(StepSystem, StepPurpose, &str)> = apply
        .iter()
        .map(|journal| {
            (
                journal.step.system,
                journal.step.purpose,
                journal.step.attribute(),
            )
        })
        .collect();
    assert_eq!(
        purposes,
        [
            (
                StepSystem::Cloud,
                StepPurpose::SetImmutableId,
                "onPremisesImmutableId"
            ),
            (
                StepSystem::Cloud,
                StepPurpose::FederatedUpnAway,
                "userPrincipalName"
            ),
            (
                StepSystem::Cloud,
                StepPurpose::SetImmutableId,
                "onPremisesImmutableId"
            ),
            (
                StepSystem::Cloud,
                StepPurpose::FederatedUpnBack,
                "userPrincipalName"
            ),
        ]
    );
    assert!(apply.iter().all(|journal| journal.state == StepState::Done
        && journal.started_at.is_some()
        && journal.created.is_none()));
    assert_eq!(
        apply[0].replaced,
        Some(StepValue::Text("AQEBAQEBAQEBAQEBAQEBAQ==".to_owned()))
    );

    let switch = store.steps(&runs[1].run.id).unwrap();
    assert_eq!(switch[0].step.system, StepSystem::Tenant);
    assert_eq!(switch[0].step.purpose, StepPurpose::SetTenantFeature);
    assert_eq!(switch[0].step.user_dn, None);

    // The AD value survived as bytes.
    let anchor = store.steps(&runs[4].run.id).unwrap();
    match &anchor[0].step.operation {
        Operation::Set(change) => {
            assert_eq!(change.attribute, "mS-DS-ConsistencyGuid");
            assert_eq!(change.before, StepValue::Absent);
            assert_eq!(change.after, StepValue::Bytes(vec![5; 16]));
        }
        other => panic!("not a set: {other:?}"),
    }
    assert_eq!(anchor[0].replaced, Some(StepValue::Absent));

    // Opening again does not migrate twice.
    drop(store);
    assert_eq!(
        Store::open(&path).unwrap().version().unwrap(),
        current_version()
    );
}
