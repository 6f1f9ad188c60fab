//! Benchmark (issues 6 and 15): `anchorsync apply PLAN --yes` through the binary, every step
//! journaled and written as a compare-and-set, each figure a ratio measured in the same run.
//!
//! ```text
//! cargo bench -p anchorsync --bench apply                          # cloud only
//! source <DC dir>/env && cargo bench -p anchorsync --bench apply   # cloud and AD
//! ```
//!
//! 1. **Throttled**: `ANCHORSYNC_BENCH_THROTTLED_STEPS` (default 10,000; 0 skips) users of a Graph twin
//!    with its default throttling (3,000 writes per 150 s: a full bucket of 3,000, then 20 writes/s),
//!    one `set-immutable-id` step each (a GET, a compare and a PATCH), at the default concurrency; the
//!    run's time as a ratio to the budget-limited optimum, `(n - 3000) / 20` seconds.
//! 2. **Latency**: `ANCHORSYNC_BENCH_LATENCY_STEPS` (default 400) such steps against a twin answering
//!    every request `ANCHORSYNC_BENCH_LATENCY_MS` (default 100) ms late, without throttling, at the
//!    default concurrency and at `--concurrency 1` (the sequential executor): steps/s and their ratio.
//! 3. **AD**: when the test DC's variables are set, `ANCHORSYNC_BENCH_AD_STEPS` (default 200) users
//!    created in an OU of their own, one `set-anchor` step each (one LDAP modify), concurrent (default
//!    concurrency and LDAP connections) and sequential (one step at a time, one connection), each
//!    run on users of its own.
//!
//! Each figure is the wall time of the whole command (start, connect, preflight, run, report) and
//! of the run alone (the journal's first `started` to its last `finished`).

// A benchmark stops at its first failure, with the panic's message: unwrap, expect, panic and
// indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;
use std::time::{Duration, Instant};

use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_testkit::TestDirectory;
use anchorsync_twin::{AppClient, Latency, TwinConfig, TwinServer};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

const TENANT: &str = "8d2a1c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const APP: &str = "d0000000-0000-4000-8000-0000000000a6";
const SECRET: &str = "apply-bench-secret";
const SECRET_ENV: &str = "ANCHORSYNC_BENCH_SECRET";

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn anchor(n: usize, salt: u64) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&(n as u64).to_le_bytes());
    bytes[8..].copy_from_slice(&salt.to_be_bytes());
    bytes
}

fn plan(users: Vec<Value>) -> String {
    json!({"formatVersion": 1, "strategy": "hard-cloud", "users": users}).to_string()
}

fn user(dn: &str, step: Value) -> Value {
    json!({"dn": dn, "remediation": {"strategy": "hard-cloud", "fixable": true, "steps": [step]}})
}

/// Runs `apply --yes` and returns (whole command, first step started → last step finished) in seconds.
fn apply(folder: &std::path::Path, config: &str, plan: &str) -> (f64, f64) {
    let config_path = folder.join("anchorsync.toml");
    std::fs::write(&config_path, config).unwrap();
    let plan_path = folder.join("plan.json");
    std::fs::write(&plan_path, plan).unwrap();
    let data = folder.join("data");
    let start = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_anchorsync"))
        .arg("--config")
        .arg(&config_path)
        .arg("--data-dir")
        .arg(&data)
        .arg("apply")
        .arg(&plan_path)
        .arg("--yes")
        .env(SECRET_ENV, SECRET)
        .env("ANCHORSYNC_NO_PROGRESS", "1")
        .output()
        .unwrap();
    let whole = start.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let reports: Vec<_> = std::fs::read_dir(data.join("runs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    let report: Value = serde_json::from_slice(&std::fs::read(&reports[0]).unwrap()).unwrap();
    let steps = report["steps"].as_array().unwrap();
    // Steps run at once: the first to start and the last to finish are anywhere in the list.
    let first = steps
        .iter()
        .map(|step| seconds_of(step["startedAt"].as_str().unwrap()))
        .fold(f64::INFINITY, f64::min);
    let last = steps
        .iter()
        .map(|step| seconds_of(step["finishedAt"].as_str().unwrap()))
        .fold(f64::NEG_INFINITY, f64::max);
    (whole, last - first)
}

/// Seconds within the day of `2026-11-22T05:15:00.123Z` (runs here never cross midnight... and if
/// one does, the figure is obviously wrong rather than subtly).
fn seconds_of(time: &str) -> f64 {
    let clock = &time[11..time.len() - 1];
    let mut parts = clock.split(':');
    let hours: f64 = parts.next().unwrap().parse().unwrap();
    let minutes: f64 = parts.next().unwrap().parse().unwrap();
    let seconds: f64 = parts.next().unwrap().parse().unwrap();
    hours * 3600.0 + minutes * 60.0 + seconds
}

fn report(what: &str, steps: usize, (whole, run): (f64, f64)) {
    println!(
        "{what}: {steps} steps in {whole:.2} s for the whole command ({:.1} steps/s), {run:.2} s for the run \
         ({:.1} steps/s)",
        steps as f64 / whole,
        steps as f64 / run
    );
}

/// `[runs]` with `concurrency` when given (else the default).
fn runs_section(concurrency: Option<usize>, ad_connections: Option<usize>) -> String {
    let mut section = "[runs]\n".to_owned();
    if let Some(concurrency) = concurrency {
        section.push_str(&format!("concurrency = {concurrency}\n"));
    }
    if let Some(connections) = ad_connections {
        section.push_str(&format!("ad_connections = {connections}\n"));
    }
    section
}

/// `count` cloud users on a fresh twin set up by `configure`, one `set-immutable-id` step each,
/// applied at `concurrency`; every user's final value checked in the twin.
fn cloud(
    count: usize,
    configure: impl FnOnce(TwinConfig) -> TwinConfig,
    concurrency: Option<usize>,
) -> (f64, f64) {
    let users: Vec<Value> = (0..count)
        .map(|n| {
            json!({"id": format!("50000000-0000-4000-8000-{n:012}"),
                   "userPrincipalName": format!("user{n:05}@contoso.com"), "displayName": format!("User {n}"),
                   "mailNickname": format!("user{n:05}"), "accountEnabled": true,
                   "onPremisesImmutableId": STANDARD.encode(anchor(n, 1))})
        })
        .collect();
    let snapshot: TenantSnapshot = serde_json::from_value(json!({
        "users": users,
        "domains": [
            {"id": "contoso.onmicrosoft.com", "authenticationType": "Managed", "isInitial": true, "isVerified": true},
            {"id": "contoso.com", "authenticationType": "Managed", "isDefault": true, "isVerified": true},
        ],
        "roleAssignments": [],
        "onPremisesSynchronization": {"id": TENANT, "features": {}},
    }))
    .unwrap();
    let twin = TwinServer::start(
        snapshot,
        configure(TwinConfig::new(TENANT).with_client(AppClient::with_secret(APP, SECRET))),
    )
    .unwrap();
    let plan_users: Vec<Value> = (0..count)
        .map(|n| {
            user(
                &format!("CN=User {n},OU=Staff,DC=corp"),
                json!({"system": "cloud", "target": format!("50000000-0000-4000-8000-{n:012}"),
                       "label": format!("user{n:05}@contoso.com"), "attribute": "onPremisesImmutableId",
                       "before": STANDARD.encode(anchor(n, 1)), "after": STANDARD.encode(anchor(n, 2)),
                       "purpose": "set-immutable-id"}),
            )
        })
        .collect();
    let config = format!(
        "[graph]\ntenant_id = \"{TENANT}\"\nclient_id = \"{APP}\"\nauthority = \"{}\"\ngraph_url = \"{}\"\n\
         client_secret_env = \"{SECRET_ENV}\"\n{}",
        twin.root_url(),
        twin.base_url(),
        runs_section(concurrency, None)
    );
    let folder = tempfile::tempdir().unwrap();
    let timing = apply(folder.path(), &config, &plan(plan_users));
    let snapshot = twin.snapshot();
    let changed = snapshot
        .users
        .iter()
        .filter(|user| {
            user.on_premises_immutable_id.as_deref()
                == Some(&STANDARD.encode(anchor(user_index(&user.id), 2)))
        })
        .count();
    assert_eq!(changed, count, "every user has its new value");
    let writes = twin.twin().writes().len();
    assert_eq!(writes, count, "each write applied once");
    timing
}

fn user_index(id: &str) -> usize {
    id.rsplit('-').next().unwrap().parse().unwrap()
}

/// Against the default write budget: the run's time as a ratio to the budget-limited optimum.
fn throttled() {
    let count = setting("ANCHORSYNC_BENCH_THROTTLED_STEPS", 10_000);
    if count == 0 {
        return;
    }
    let timing = cloud(count, |config| config, None);
    report(
        "cloud, twin with default throttling, default concurrency",
        count,
        timing,
    );
    // The bucket starts full (3,000) and refills at 3,000 / 150 s; a refused write costs nothing.
    let optimum = count.saturating_sub(3000) as f64 / 20.0;
    println!(
        "  budget-limited optimum {optimum:.1} s: run / optimum = {:.3}, whole command / optimum = {:.3}",
        timing.1 / optimum,
        timing.0 / optimum
    );
}

/// Against a remote-looking twin without throttling: concurrent vs sequential steps/s.
fn latency() {
    let count = setting("ANCHORSYNC_BENCH_LATENCY_STEPS", 400);
    if count == 0 {
        return;
    }
    let latency = Duration::from_millis(setting("ANCHORSYNC_BENCH_LATENCY_MS", 100) as u64);
    let configure = |mut config: TwinConfig| {
        config.throttling.enabled = false;
        config.faults.response_latency = Latency::Fixed(latency);
        config
    };
    let what = |how: &str| {
        format!(
            "cloud, twin with {} ms latency and no throttling, {how}",
            latency.as_millis()
        )
    };
    let concurrent = cloud(count, configure, None);
    report(&what("default concurrency"), count, concurrent);
    let sequential = cloud(count, configure, Some(1));
    report(&what("--concurrency 1 (sequential)"), count, sequential);
    println!(
        "  concurrent / sequential steps/s: run {:.1}x, whole command {:.1}x",
        sequential.1 / concurrent.1,
        sequential.0 / concurrent.0
    );
}

fn ad() {
    if std::env::var("ANCHORSYNC_TEST_LDAP_URL").is_err() {
        println!("AD: skipped (no test DC; `source <DC dir>/env` first, see scripts/samba-dc.sh)");
        return;
    }
    let count = setting("ANCHORSYNC_BENCH_AD_STEPS", 200);
    let directory = TestDirectory::from_env();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let run = |concurrency: Option<usize>, connections: Option<usize>| {
        let (ou, dns) = runtime.block_on(async {
            let mut admin = directory.admin().await;
            let ou = directory.unique_ou(&mut admin, "apply-bench").await;
            let mut dns = Vec::with_capacity(count);
            for n in 0..count {
                dns.push(
                    directory
                        .add_user(&mut admin, &ou, &format!("Bench {n}"), &format!("bench{n}"))
                        .await,
                );
            }
            (ou, dns)
        });
        let plan_users: Vec<Value> = dns
            .iter()
            .enumerate()
            .map(|(n, dn)| {
                user(
                    dn,
                    json!({"system": "ad", "target": dn, "label": format!("bench{n}"),
                           "attribute": "mS-DS-ConsistencyGuid", "before": null,
                           "after": {"base64": STANDARD.encode(anchor(n, 3))}, "purpose": "set-anchor"}),
                )
            })
            .collect();
        let quote =
            |value: &str| format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
        let config = format!(
            "[ad]\nservers = [{}]\nbind = {}\npassword_file = {}\nca_file = {}\nbase_dns = [{}]\n{}",
            quote(&directory.url),
            quote(&directory.bind_dn),
            quote(&directory.password_file.display().to_string()),
            quote(&directory.ca_file.display().to_string()),
            quote(&ou),
            runs_section(concurrency, connections)
        );
        let folder = tempfile::tempdir().unwrap();
        apply(folder.path(), &config, &plan(plan_users))
    };
    let concurrent = run(None, None);
    report(
        "AD (Samba DC over LDAPS), default concurrency and connections",
        count,
        concurrent,
    );
    let sequential = run(Some(1), Some(1));
    report(
        "AD (Samba DC over LDAPS), concurrency 1, one connection (sequential)",
        count,
        sequential,
    );
    println!(
        "  concurrent / sequential steps/s: run {:.2}x, whole command {:.2}x",
        sequential.1 / concurrent.1,
        sequential.0 / concurrent.0
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    throttled();
    latency();
    ad();
}
