//! The executor against the Graph twin over HTTP: the typed edge (refused, conflict, no answer) as
//! the run loop sees it, a target shared by tokio tasks, and a run whose times come from the clock
//! it is given.

use std::sync::Arc;

use anchorsync_core::progress::NoProgress;
use anchorsync_core::remediation::{Change, StepPurpose, StepSystem, StepValue};
use anchorsync_core::secret::Secret;
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_executor::{Clock, Executor, RunSpec, Target, TargetError, TargetSettings, Targets};
use anchorsync_graph::{ClientSettings, Credential};
use anchorsync_store::{RunKind, Step, StepState, Store, Timestamp};
use anchorsync_twin::{AppClient, TwinConfig, TwinServer};
use serde_json::json;

const TENANT: &str = "7d2c8e2f-1a7b-4e8f-8b64-7b1d3cae5f22";
const APP: &str = "e0000000-0000-4000-8000-0000000000a6";
const SECRET: &str = "executor-test-secret";
const MANAGED: &str = "00000000-0000-4000-8000-00000000e001";
const FEDERATED: &str = "00000000-0000-4000-8000-00000000e002";

fn snapshot() -> TenantSnapshot {
    serde_json::from_value(json!({
        "users": [
            {"id": MANAGED, "userPrincipalName": "kai@corp.example.com", "displayName": "kai",
             "mailNickname": "kai", "accountEnabled": true, "onPremisesImmutableId": "AQEBAQEBAQEBAQEBAQEBAQ=="},
            {"id": FEDERATED, "userPrincipalName": "yui@fed.example.com", "displayName": "yui",
             "mailNickname": "yui", "accountEnabled": true, "onPremisesImmutableId": "AwMDAwMDAwMDAwMDAwMDAw=="},
        ],
        "domains": [
            {"id": "exec.onmicrosoft.com", "authenticationType": "Managed", "isInitial": true, "isVerified": true},
            {"id": "corp.example.com", "authenticationType": "Managed", "isDefault": true, "isVerified": true},
            {"id": "fed.example.com", "authenticationType": "Federated", "isVerified": true},
        ],
        "roleAssignments": [],
        "onPremisesSynchronization": {"id": TENANT, "features": {}},
    }))
    .unwrap()
}

fn twin(adjust: impl FnOnce(&mut TwinConfig)) -> TwinServer {
    let mut config = TwinConfig::new(TENANT).with_client(AppClient::with_secret(APP, SECRET));
    adjust(&mut config);
    TwinServer::start(snapshot(), config).unwrap()
}

fn settings(twin: &TwinServer) -> TargetSettings {
    let mut graph = ClientSettings::new(TENANT, APP, Credential::Secret(Secret::new(SECRET)))
        .endpoints(&twin.root_url(), &twin.base_url());
    graph.retry.max_attempts = 2;
    TargetSettings {
        graph: Some(graph),
        ..TargetSettings::default()
    }
}

fn set_immutable_id(user: &str, before: &str, after: &str) -> Step {
    Step::set(
        Some(format!("CN={user},DC=corp")),
        StepSystem::Cloud,
        user,
        None,
        StepPurpose::SetImmutableId,
        Change {
            attribute: "onPremisesImmutableId".to_owned(),
            before: StepValue::Text(before.to_owned()),
            after: StepValue::Text(after.to_owned()),
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_target_tells_refused_from_conflict_from_no_answer_issue_11() {
    let server = twin(|_| {});
    let targets = Targets::connect(&settings(&server), &NoProgress)
        .await
        .unwrap();

    // Graph answers no: the federated domain refuses an ImmutableID change in place.
    let federated = set_immutable_id(
        FEDERATED,
        "AwMDAwMDAwMDAwMDAwMDAw==",
        "BAQEBAQEBAQEBAQEBAQEBA==",
    );
    match targets.write(&federated).await {
        Err(TargetError::Refused { reason }) => {
            assert!(
                reason.starts_with("Microsoft Graph refused the write: "),
                "{reason}"
            );
        }
        other => panic!("not refused: {other:?}"),
    }
    // No such user: refused as well (Graph answered).
    let missing = set_immutable_id("00000000-0000-4000-8000-0000000000ff", "A", "B");
    assert!(matches!(
        targets.read(&missing).await,
        Err(TargetError::Refused { .. })
    ));
    // The value moved since the step was planned: a conflict, and nothing was sent.
    let stale = set_immutable_id(
        MANAGED,
        "AgICAgICAgICAgICAgICAg==",
        "BQUFBQUFBQUFBQUFBQUFBQ==",
    );
    match targets.write(&stale).await {
        Err(TargetError::Conflict { reason }) => {
            assert!(
                reason.contains("not `AgICAgICAgICAgICAgICAg==` as planned"),
                "{reason}"
            );
        }
        other => panic!("not a conflict: {other:?}"),
    }
    assert!(server.twin().writes().is_empty());

    // Graph keeps answering 503: after the retries, no answer (the write may or may not be there).
    let unavailable = twin(|config| {
        config.faults.unavailable_rate = 1.0;
        config.faults.retry_after_seconds = 0;
    });
    let targets = Targets::connect(&settings(&unavailable), &NoProgress)
        .await
        .unwrap();
    let step = set_immutable_id(
        MANAGED,
        "AQEBAQEBAQEBAQEBAQEBAQ==",
        "BQUFBQUFBQUFBQUFBQUFBQ==",
    );
    match targets.write(&step).await {
        Err(error @ TargetError::NoAnswer { .. }) => {
            let source = std::error::Error::source(&error).unwrap().to_string();
            assert!(source.contains("gave up after 2 attempts"), "{source}");
        }
        other => panic!("not `no answer`: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_target_serves_steps_of_different_users_from_tokio_tasks_issue_11() {
    let server = twin(|_| {});
    let targets = Arc::new(
        Targets::connect(&settings(&server), &NoProgress)
            .await
            .unwrap(),
    );
    let mut tasks = tokio::task::JoinSet::new();
    for (user, before, after) in [
        (
            MANAGED,
            "AQEBAQEBAQEBAQEBAQEBAQ==",
            "BQUFBQUFBQUFBQUFBQUFBQ==",
        ),
        (
            FEDERATED,
            "AwMDAwMDAwMDAwMDAwMDAw==",
            "AwMDAwMDAwMDAwMDAwMDAw==",
        ),
    ] {
        let targets = Arc::clone(&targets);
        let step = set_immutable_id(user, before, after);
        tasks.spawn(async move { targets.read(&step).await.map(|observed| (step, observed)) });
    }
    let mut read = 0;
    while let Some(joined) = tasks.join_next().await {
        let (step, observed) = joined.unwrap().unwrap();
        assert!(targets.holds(&step, &observed, &step.change().unwrap().before));
        read += 1;
    }
    assert_eq!(read, 2);
}

/// A clock standing still.
struct Fixed(Timestamp);

impl Clock for Fixed {
    fn now(&self) -> Timestamp {
        self.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_journals_each_step_at_the_clock_it_is_given_and_skips_after_a_refusal_issue_11() {
    let server = twin(|_| {});
    let targets = Arc::new(
        Targets::connect(&settings(&server), &NoProgress)
            .await
            .unwrap(),
    );
    let folder = tempfile::tempdir().unwrap();
    let mut store = Store::open(&folder.path().join("anchorsync.db")).unwrap();
    let clock = Fixed("2031-05-06T07:08:09.010Z".parse().unwrap());
    let mut executor = Executor::new(&mut store, Arc::clone(&targets), &clock, &NoProgress);
    // The federated user's change is refused, so that user's next step is skipped; the managed
    // user's step is done all the same.
    let mut refused = set_immutable_id(
        FEDERATED,
        "AwMDAwMDAwMDAwMDAwMDAw==",
        "BAQEBAQEBAQEBAQEBAQEBA==",
    );
    refused.user_dn = Some("CN=Yui,DC=corp".to_owned());
    let mut after_it = set_immutable_id(
        FEDERATED,
        "BAQEBAQEBAQEBAQEBAQEBA==",
        "BQUFBQUFBQUFBQUFBQUFBQ==",
    );
    after_it.user_dn = Some("CN=Yui,DC=corp".to_owned());
    let steps = [
        refused,
        after_it,
        set_immutable_id(
            MANAGED,
            "AQEBAQEBAQEBAQEBAQEBAQ==",
            "BQUFBQUFBQUFBQUFBQUFBQ==",
        ),
    ];
    assert!(executor.preflight(&steps).await.unwrap().is_empty());
    let run = executor
        .create_run(
            RunKind::Apply,
            RunSpec::default(),
            targets.description(),
            &steps,
        )
        .unwrap();
    assert!(run.id.starts_with("20310506T070809Z-"), "{}", run.id);
    let finished = executor.run(&run).await.unwrap();
    let states: Vec<StepState> = finished.steps.iter().map(|step| step.state).collect();
    assert_eq!(
        states,
        [StepState::Failed, StepState::Skipped, StepState::Done]
    );
    assert_eq!(finished.steps[2].started_at, Some(clock.0));
    assert_eq!(finished.run.finished_at, Some(clock.0));
    assert_eq!(server.twin().writes().len(), 1);
}
