//! Different users' steps at once (issue 15), against the Graph twin over HTTP with latency drawn
//! at random per request: one user's steps never reorder (the federated UPN never comes back before
//! the ImmutableID change), every write lands once, and a run resumed with several steps left
//! `started` resolves each by reading.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anchorsync_core::progress::NoProgress;
use anchorsync_core::remediation::{Change, StepPurpose, StepSystem, StepValue};
use anchorsync_core::secret::Secret;
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_executor::{Clock, Executor, RunSpec, TargetSettings, Targets};
use anchorsync_graph::{ClientSettings, Credential};
use anchorsync_store::{JournalStep, RunKind, Step, StepOutcome, StepState, Store, Timestamp};
use anchorsync_twin::{AppClient, Latency, TwinConfig, TwinServer};
use serde_json::{Value, json};

const TENANT: &str = "9e3d1c2b-4a5f-4b6c-8d7e-0f1a2b3c4d5e";
const APP: &str = "e0000000-0000-4000-8000-0000000000b7";
const SECRET: &str = "executor-concurrency-secret";
const INITIAL: &str = "lanes.onmicrosoft.com";
const MANAGED: &str = "corp.example.com";
const FEDERATED: &str = "fed.example.com";

/// A clock that moves a millisecond each time it is read, so the journal's times order its events.
struct Ticking(AtomicI64);

impl Ticking {
    fn new() -> Self {
        Self(AtomicI64::new(1_900_000_000_000))
    }
}

impl Clock for Ticking {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_millis(self.0.fetch_add(1, Ordering::SeqCst))
    }
}

fn id(n: usize) -> String {
    format!("70000000-0000-4000-8000-{n:012}")
}

fn anchor(n: usize, version: u8) -> String {
    format!("QW5jaG9y{n:06}v{version}")
}

fn upn(n: usize, federated: bool) -> String {
    format!("u{n}@{}", if federated { FEDERATED } else { MANAGED })
}

fn temporary(n: usize) -> String {
    format!("u{n}@{INITIAL}")
}

fn twin(users: Vec<Value>) -> TwinServer {
    let snapshot: TenantSnapshot = serde_json::from_value(json!({
        "users": users,
        "domains": [
            {"id": INITIAL, "authenticationType": "Managed", "isInitial": true, "isVerified": true},
            {"id": MANAGED, "authenticationType": "Managed", "isDefault": true, "isVerified": true},
            {"id": FEDERATED, "authenticationType": "Federated", "isVerified": true},
        ],
        "roleAssignments": [],
        "onPremisesSynchronization": {"id": TENANT, "features": {}},
    }))
    .unwrap();
    let mut config = TwinConfig::new(TENANT).with_client(AppClient::with_secret(APP, SECRET));
    // A remote service: every answer 1-30 ms late, drawn per request, so that requests sent at
    // once come back in any order.
    config.faults.response_latency = Latency::Uniform {
        min: Duration::from_millis(1),
        max: Duration::from_millis(30),
    };
    config.faults.seed = 15;
    TwinServer::start(snapshot, config).unwrap()
}

fn user(n: usize, upn: &str, immutable_id: &str) -> Value {
    json!({"id": id(n), "userPrincipalName": upn, "displayName": format!("U {n}"),
           "mailNickname": format!("u{n}"), "accountEnabled": true, "onPremisesImmutableId": immutable_id})
}

fn settings(twin: &TwinServer) -> TargetSettings {
    TargetSettings {
        graph: Some(
            ClientSettings::new(TENANT, APP, Credential::Secret(Secret::new(SECRET)))
                .endpoints(&twin.root_url(), &twin.base_url()),
        ),
        ..TargetSettings::default()
    }
}

fn set(n: usize, purpose: StepPurpose, attribute: &str, before: &str, after: &str) -> Step {
    Step::set(
        Some(format!("CN=U{n},OU=Lanes,DC=corp")),
        StepSystem::Cloud,
        id(n),
        None,
        purpose,
        Change {
            attribute: attribute.to_owned(),
            before: StepValue::Text(before.to_owned()),
            after: StepValue::Text(after.to_owned()),
        },
    )
}

fn set_immutable_id(n: usize) -> Step {
    set(
        n,
        StepPurpose::SetImmutableId,
        "onPremisesImmutableId",
        &anchor(n, 1),
        &anchor(n, 2),
    )
}

/// hard-cloud on a federated user: UPN to the initial domain, ImmutableID, UPN back.
fn federated(n: usize) -> [Step; 3] {
    [
        set(
            n,
            StepPurpose::FederatedUpnAway,
            "userPrincipalName",
            &upn(n, true),
            &temporary(n),
        ),
        set_immutable_id(n),
        set(
            n,
            StepPurpose::FederatedUpnBack,
            "userPrincipalName",
            &temporary(n),
            &upn(n, true),
        ),
    ]
}

/// The twin's applied writes to user `n`, in the order applied, as `property=value`.
fn writes_to(twin: &TwinServer, n: usize) -> Vec<String> {
    twin.twin()
        .writes()
        .iter()
        .filter(|write| write.resource == format!("/users/{}", id(n)))
        .map(|write| {
            write
                .body
                .iter()
                .map(|(key, value)| format!("{key}={}", value.as_str().unwrap_or("null")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_steps_never_reorder_while_users_run_at_once_issue_15() {
    // 40 federated users (three steps each) between 40 managed ones, 16 users at a time.
    let count = 80;
    let users: Vec<Value> = (0..count)
        .map(|n| user(n, &upn(n, n % 2 == 0), &anchor(n, 1)))
        .collect();
    let server = twin(users);
    let targets = Arc::new(
        Targets::connect(&settings(&server), &NoProgress)
            .await
            .unwrap(),
    );
    let steps: Vec<Step> = (0..count)
        .flat_map(|n| {
            if n % 2 == 0 {
                federated(n).to_vec()
            } else {
                vec![set_immutable_id(n)]
            }
        })
        .collect();
    let folder = tempfile::tempdir().unwrap();
    let mut store = Store::open(&folder.path().join("anchorsync.db")).unwrap();
    let clock = Ticking::new();
    let mut executor =
        Executor::new(&mut store, Arc::clone(&targets), &clock, &NoProgress).with_concurrency(16);
    assert!(executor.preflight(&steps).await.unwrap().is_empty());
    let run = executor
        .create_run(
            RunKind::Apply,
            RunSpec::default(),
            targets.description(),
            &steps,
        )
        .unwrap();
    let finished = executor.run(&run).await.unwrap();
    let not_done: Vec<_> = finished
        .steps
        .iter()
        .filter(|step| step.state != StepState::Done)
        .map(|step| (step.seq, step.state, step.message.clone()))
        .collect();
    assert!(not_done.is_empty(), "{not_done:?}");

    // In the twin: each federated user's UPN left, then the ImmutableID changed, then the UPN came
    // back, each once.
    for n in (0..count).step_by(2) {
        assert_eq!(
            writes_to(&server, n),
            [
                format!("userPrincipalName={}", temporary(n)),
                format!("onPremisesImmutableId={}", anchor(n, 2)),
                format!("userPrincipalName={}", upn(n, true)),
            ],
            "user {n}"
        );
    }
    assert_eq!(server.twin().writes().len(), 40 * 3 + 40);
    // In the journal: a user's step started no earlier than the one before it finished (the same
    // time when one commit recorded the result and the next `started`), while other users' steps
    // ran in between (the run did run users at once).
    let by_user = |n: usize| -> Vec<&JournalStep> {
        finished
            .steps
            .iter()
            .filter(|step| step.step.target == id(n))
            .collect()
    };
    let mut interleaved = 0;
    for n in (0..count).step_by(2) {
        let steps = by_user(n);
        for pair in steps.windows(2) {
            assert!(
                pair[1].started_at.unwrap() >= pair[0].finished_at.unwrap(),
                "user {n}: step {} started before step {} finished",
                pair[1].seq,
                pair[0].seq
            );
        }
        let (first, last) = (steps[0].started_at.unwrap(), steps[2].finished_at.unwrap());
        interleaved += finished
            .steps
            .iter()
            .filter(|other| {
                other.step.target != id(n)
                    && other.started_at.unwrap() > first
                    && other.started_at.unwrap() < last
            })
            .count();
    }
    assert!(interleaved > 0, "no other user's step ran meanwhile");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_left_with_several_steps_started_resumes_by_reading_each_issue_15() {
    // The journal and the tenant as a crash with many steps in flight leaves them.
    //   u0, u1: managed, `started`, written before the crash
    //   u2:     managed, `started`, not written
    //   u3:     managed, `started`, changed by someone else since
    //   u4, u5: managed, `planned`
    //   u6:     federated, UPN moved away (done), ImmutableID `started` and written, UPN back planned
    //   u8:     federated, UPN move `started` and written, the rest planned
    let mut users = Vec::new();
    for n in 0..6 {
        let value = match n {
            0 | 1 => anchor(n, 2),
            3 => anchor(n, 9),
            _ => anchor(n, 1),
        };
        users.push(user(n, &upn(n, false), &value));
    }
    users.push(user(6, &temporary(6), &anchor(6, 2)));
    users.push(user(8, &temporary(8), &anchor(8, 1)));
    let server = twin(users);
    let targets = Arc::new(
        Targets::connect(&settings(&server), &NoProgress)
            .await
            .unwrap(),
    );
    let mut steps: Vec<Step> = (0..6).map(set_immutable_id).collect();
    steps.extend(federated(6));
    steps.extend(federated(8));
    let folder = tempfile::tempdir().unwrap();
    let mut store = Store::open(&folder.path().join("anchorsync.db")).unwrap();
    let clock = Ticking::new();
    let run = {
        let mut executor = Executor::new(&mut store, Arc::clone(&targets), &clock, &NoProgress);
        executor
            .create_run(
                RunKind::Apply,
                RunSpec::default(),
                targets.description(),
                &steps,
            )
            .unwrap()
    };
    // seq: u0..u5 = 1..6, u6 = 7, 8, 9, u8 = 10, 11, 12.
    let done = StepOutcome {
        state: StepState::Done,
        replaced: Some(StepValue::Text(upn(6, true))),
        created: None,
        message: None,
    };
    store
        .record_steps(&run.id, &[], &[1, 2, 3, 4, 7, 8, 10], clock.now())
        .unwrap();
    store
        .record_steps(&run.id, &[(7, done)], &[], clock.now())
        .unwrap();

    let mut executor =
        Executor::new(&mut store, Arc::clone(&targets), &clock, &NoProgress).with_concurrency(8);
    let finished = executor.run(&run).await.unwrap();
    let states: Vec<(u32, StepState)> = finished
        .steps
        .iter()
        .map(|step| (step.seq, step.state))
        .collect();
    let expected: Vec<(u32, StepState)> = (1..=12)
        .map(|seq| {
            (
                seq,
                if seq == 4 {
                    StepState::Conflict
                } else {
                    StepState::Done
                },
            )
        })
        .collect();
    assert_eq!(states, expected);
    let resolved: Vec<u32> = finished
        .steps
        .iter()
        .filter(|step| {
            step.message.as_deref() == Some("found written when the interrupted run was resumed")
        })
        .map(|step| step.seq)
        .collect();
    assert_eq!(resolved, [1, 2, 8, 10]);
    // Only what had not been written was sent, each once: u2, u4, u5, u6's UPN back, and u8's
    // ImmutableID and UPN back.
    let mut written: Vec<(usize, Vec<String>)> = [0, 1, 2, 3, 4, 5, 6, 8]
        .into_iter()
        .map(|n| (n, writes_to(&server, n)))
        .filter(|(_, writes)| !writes.is_empty())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            (2, vec![format!("onPremisesImmutableId={}", anchor(2, 2))]),
            (4, vec![format!("onPremisesImmutableId={}", anchor(4, 2))]),
            (5, vec![format!("onPremisesImmutableId={}", anchor(5, 2))]),
            (6, vec![format!("userPrincipalName={}", upn(6, true))]),
            (
                8,
                vec![
                    format!("onPremisesImmutableId={}", anchor(8, 2)),
                    format!("userPrincipalName={}", upn(8, true)),
                ]
            ),
        ]
    );
    assert_eq!(finished.run.status.as_str(), "completed-with-errors");
}
