//! Crash safety (issue 6): `anchorsync apply PLAN --yes` killed with SIGKILL at many random moments,
//! then run again until it completes, leaves every target with its `after` value, with each write
//! sent once: none lost, none twice.
//!
//! The moments are drawn from a seeded generator; the twin adds latency to every Graph request, before
//! and after handling it, so that kills land before a write reaches the tenant, after it was applied
//! but before the answer arrived, between requests, and between the journal's records. The run
//! carries out eight users' steps at once (issue 15), so a kill leaves several steps `started`,
//! writes in flight in one `$batch` call, and AD writes on several connections.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use anchorsync_testkit::TestDirectory;
use anchorsync_twin::Latency;
use serde_json::{Value, json};

use crate::lab::*;

/// How many times the process is killed.
const KILLS: usize = 20;
/// The range of the generator's moments, in milliseconds.
const WINDOW_MS: u64 = 1000;
/// Managed and federated cloud users.
const MANAGED_USERS: u32 = 14;
const FEDERATED_USERS: u32 = 4;
/// Users whose steps run at once (`[runs] concurrency`).
const CONCURRENCY: usize = 8;

/// SplitMix64: a reproducible sequence of moments.
pub struct Moments(pub u64);

impl Moments {
    pub fn next_ms(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % WINDOW_MS
    }
}

#[test]
fn apply_killed_at_random_moments_completes_with_each_write_once_issue_6_issue_15() {
    let directory = TestDirectory::from_env();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (ou, ad) = runtime.block_on(ad_users(&directory, "crash", 5));

    // Five AD anchors between fourteen managed cloud users and four federated ones (three steps each).
    let mut cloud = Vec::new();
    let mut users: Vec<(String, Vec<Value>)> = Vec::new();
    let mut expected: Vec<(String, String, String)> = Vec::new();
    for n in 0..MANAGED_USERS + FEDERATED_USERS {
        if let Some((dn, upn)) = ad.get(n as usize / 3).filter(|_| n % 3 == 0) {
            let anchor = guid_bytes(600 + n / 3);
            users.push((dn.clone(), vec![set_anchor(dn, upn, None, &anchor)]));
        }
        let id = format!("60000000-0000-4000-8000-0000000000{n:02}");
        let managed = n < MANAGED_USERS;
        let domain = if managed { MANAGED } else { FEDERATED };
        let upn = format!("crash{n}@{domain}");
        let old = immutable_id(700 + n);
        let new = immutable_id(800 + n);
        cloud.push(cloud_user(&id, &upn, Some(&old)));
        let steps = if managed {
            vec![cloud_step(
                &id,
                &upn,
                "onPremisesImmutableId",
                Some(&old),
                Some(&new),
                "set-immutable-id",
            )]
        } else {
            federated_steps(&id, &upn, Some(&old), &new)
        };
        users.push((format!("CN=Cloud {n},{ou}"), steps));
        expected.push((id, upn, new));
    }
    let twin = twin_with(tenant(cloud), |config| {
        // Half before the request is handled, half after (a write applied, its answer not yet sent).
        config.faults.latency = Duration::from_millis(20);
        config.faults.response_latency = Latency::Fixed(Duration::from_millis(20));
    });
    let lab = Lab::new(Some((&directory, &ou)), Some(&twin));
    let config = std::fs::read_to_string(&lab.config).unwrap();
    std::fs::write(
        &lab.config,
        format!("{config}\n[runs]\nconcurrency = {CONCURRENCY}\n"),
    )
    .unwrap();
    let borrowed: Vec<(&str, Vec<Value>)> = users
        .iter()
        .map(|(dn, steps)| (dn.as_str(), steps.clone()))
        .collect();
    let plan_file = lab.write("plan.json", &plan("hard-cloud", &borrowed));
    assert_eq!(
        users
            .iter()
            .filter(|(dn, _)| !dn.starts_with("CN=Cloud"))
            .count(),
        5
    );
    let cloud_steps = (MANAGED_USERS + 3 * FEDERATED_USERS) as usize;

    let binary = assert_cmd::cargo::cargo_bin("anchorsync");
    let attempt = || {
        let mut command = Command::new(&binary);
        command
            .arg("--config")
            .arg(&lab.config)
            .arg("--data-dir")
            .arg(&lab.data)
            .arg("apply")
            .arg(&plan_file)
            .arg("--yes")
            .env(SECRET_ENV, SECRET)
            .env("ANCHORSYNC_NO_PROGRESS", "1")
            .env_remove("ANCHORSYNC_CONFIG")
            .env_remove("ANCHORSYNC_DATA_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    let mut moments = Moments(6);
    let mut killed = 0;
    // Kills that landed after the first write and before the last: inside the run proper.
    let mut mid_run = 0;
    let mut completed = None;
    // The most steps a kill left `started`: several writes were in flight at once.
    let mut most_started = 0;
    let mut finished_before_a_kill = false;
    while killed < KILLS {
        let mut child = attempt().spawn().unwrap();
        if killed % 4 == 0 {
            // Any moment from the start: connecting, reading the current values, creating the run.
            std::thread::sleep(Duration::from_millis(moments.next_ms() % 300));
        } else {
            // A moment a few writes further on (whatever the machine's speed), then up to about one
            // request later: before a write, after it was applied but not answered, between the
            // journal's records, or during an AD write.
            let target = twin.twin().writes().len() + 1 + (moments.next_ms() % 2) as usize;
            while twin.twin().writes().len() < target && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_millis(1));
            }
            std::thread::sleep(Duration::from_millis(moments.next_ms() % 45));
        }
        if child.try_wait().unwrap().is_some() {
            completed = Some(child.wait_with_output().unwrap());
            break;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        killed += 1;
        let written = twin.twin().writes().len();
        if written > 0 && written < cloud_steps {
            mid_run += 1;
        }
        most_started = most_started.max(started_steps(&lab));
        if run_completed(&lab) {
            // Killed after the run was recorded complete (the report being written, the process
            // about to exit): there is nothing left to resume, and the plan is rightly stale now.
            finished_before_a_kill = true;
            break;
        }
    }
    // Run again until it completes: a resumed run finishes in one go.
    if !finished_before_a_kill {
        let output = match completed {
            Some(output) => output,
            None => attempt().output().unwrap(),
        };
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    }
    eprintln!(
        "killed {killed} times ({mid_run} in the middle of the run, at most {most_started} steps left \
         `started`) before it completed"
    );
    assert!(
        most_started >= 2,
        "no kill left more than one step in flight"
    );
    assert!(
        mid_run >= 5,
        "only {mid_run} of {killed} kills landed in the middle of the run"
    );

    // Every target holds its `after` value; the federated users are back on their own UPN.
    for ((dn, _), n) in ad.iter().zip(600u32..) {
        assert_eq!(
            runtime.block_on(anchor_of(&directory, dn)),
            vec![guid_bytes(n).to_vec()],
            "{dn}"
        );
    }
    for (id, upn, new) in &expected {
        assert_eq!(cloud_now(&twin, id), (Some(upn.clone()), Some(new.clone())));
    }
    // Each cloud write reached the twin exactly once: none twice, none lost.
    let mut writes: HashMap<(String, String), usize> = HashMap::new();
    for write in twin.twin().writes() {
        assert_eq!(write.method, "PATCH");
        *writes
            .entry((
                write.resource.clone(),
                Value::Object(write.body).to_string(),
            ))
            .or_default() += 1;
    }
    let twice: Vec<_> = writes.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "written more than once: {twice:?}");
    assert_eq!(writes.len(), cloud_steps);
    // And each federated user's three writes in their order: UPN away, ImmutableID, UPN back.
    for (id, upn, new) in expected.iter().skip(MANAGED_USERS as usize) {
        let alias = upn.split('@').next().unwrap();
        let order: Vec<String> = twin
            .twin()
            .writes()
            .iter()
            .filter(|write| write.resource == format!("/users/{id}"))
            .map(|write| Value::Object(write.body.clone()).to_string())
            .collect();
        assert_eq!(
            order,
            [
                json!({"userPrincipalName": format!("{alias}@{INITIAL}")}).to_string(),
                json!({"onPremisesImmutableId": new}).to_string(),
                json!({"userPrincipalName": upn}).to_string(),
            ],
            "{upn}"
        );
    }

    // One run in the journal, every step done.
    let runs = lab.runs();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["status"], "completed");
    assert_eq!(runs[0]["counts"]["done"], 5 + cloud_steps);
}

/// Whether the journal holds a run recorded `completed`.
fn run_completed(lab: &Lab) -> bool {
    let path = lab.data.join("anchorsync.db");
    path.exists()
        && anchorsync_store::Store::open(&path)
            .unwrap()
            .runs()
            .unwrap()
            .iter()
            .any(|summary| summary.run.status == anchorsync_store::RunStatus::Completed)
}

/// How many steps of the journal's runs are `started` now.
fn started_steps(lab: &Lab) -> usize {
    let path = lab.data.join("anchorsync.db");
    if !path.exists() {
        return 0;
    }
    let store = anchorsync_store::Store::open(&path).unwrap();
    store
        .runs()
        .unwrap()
        .iter()
        .map(|summary| summary.counts.started as usize)
        .sum()
}

#[test]
fn a_step_left_started_is_resolved_by_reading_its_value_issue_6() {
    // A journal as a killed apply leaves it: the run exists and three steps are `started`. The first
    // was written before the crash, the second was not, the third's value has since moved elsewhere.
    use anchorsync_core::remediation::{Change, StepPurpose, StepSystem, StepValue};
    use anchorsync_store::{NewRun, RunKind, RunTargets, Step, Store, Timestamp};
    use sha2::Digest as _;

    let ids: Vec<String> = (1..=3)
        .map(|n| format!("80000000-0000-4000-8000-00000000000{n}"))
        .collect();
    let before = |n: u32| immutable_id(950 + n);
    let after = |n: u32| immutable_id(960 + n);
    let now = [after(1), before(2), immutable_id(999)];
    let cloud: Vec<Value> = ids
        .iter()
        .zip(&now)
        .zip(1u32..)
        .map(|((id, value), n)| cloud_user(id, &format!("r{n}@{MANAGED}"), Some(value)))
        .collect();
    let twin = twin_with(tenant(cloud), |_| {});
    let lab = Lab::new(None, Some(&twin));
    let users: Vec<(String, Vec<Value>)> = ids
        .iter()
        .zip(1u32..)
        .map(|(id, n)| {
            (
                format!("CN=R{n},DC=corp"),
                vec![cloud_step(
                    id,
                    &format!("r{n}@{MANAGED}"),
                    "onPremisesImmutableId",
                    Some(&before(n)),
                    Some(&after(n)),
                    "set-immutable-id",
                )],
            )
        })
        .collect();
    let borrowed: Vec<(&str, Vec<Value>)> = users
        .iter()
        .map(|(dn, steps)| (dn.as_str(), steps.clone()))
        .collect();
    let text_plan = plan("hard-cloud", &borrowed);
    let plan_file = lab.write("plan.json", &text_plan);
    let sha256: String = sha2::Sha256::digest(text_plan.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    std::fs::create_dir_all(&lab.data).unwrap();
    let mut store = Store::open(&lab.data.join("anchorsync.db")).unwrap();
    let steps: Vec<Step> = ids
        .iter()
        .zip(1u32..)
        .map(|(id, n)| {
            Step::set(
                Some(format!("CN=R{n},DC=corp")),
                StepSystem::Cloud,
                id.clone(),
                Some(format!("r{n}@{MANAGED}")),
                StepPurpose::SetImmutableId,
                Change {
                    attribute: "onPremisesImmutableId".to_owned(),
                    before: StepValue::Text(before(n)),
                    after: StepValue::Text(after(n)),
                },
            )
        })
        .collect();
    store
        .create_run(
            &NewRun {
                id: "20261122T050000Z-dead".to_owned(),
                kind: RunKind::Apply,
                plan_sha256: Some(sha256),
                plan_path: Some(plan_file.display().to_string()),
                undoes: None,
                targets: RunTargets::default(),
                started_at: "2026-11-22T05:00:00.000Z".parse::<Timestamp>().unwrap(),
            },
            &steps,
        )
        .unwrap();
    store
        .mark_started(
            "20261122T050000Z-dead",
            &[1, 2, 3],
            "2026-11-22T05:00:01.000Z".parse::<Timestamp>().unwrap(),
        )
        .unwrap();
    drop(store);

    let output = lab.apply(&plan_file, &["--yes"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("resuming run `20261122T050000Z-dead`"),
        "{}",
        text(&output)
    );
    // Only the step that had not been written was sent; the moved value was left alone.
    let writes = twin.twin().writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(writes[0].resource, format!("/users/{}", ids[1]));
    assert_eq!(cloud_now(&twin, &ids[0]).1, Some(after(1)));
    assert_eq!(cloud_now(&twin, &ids[1]).1, Some(after(2)));
    assert_eq!(cloud_now(&twin, &ids[2]).1, Some(immutable_id(999)));
    let report = lab.report("20261122T050000Z-dead");
    let states: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["done", "done", "conflict"]);
    assert_eq!(
        report["steps"][0]["message"],
        "found written when the interrupted run was resumed"
    );
    assert!(
        report["steps"][2]["message"]
            .as_str()
            .unwrap()
            .contains("neither the planned"),
        "{report}"
    );
}
