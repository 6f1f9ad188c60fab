//! Benchmark (issue 6): `anchorsync apply PLAN --yes` throughput, through the binary, every step
//! journaled (two durable commits per step) and written as a compare-and-set.
//!
//! ```text
//! cargo bench -p anchorsync --bench apply                      # cloud only
//! source <DC dir>/env && cargo bench -p anchorsync --bench apply   # cloud and AD
//! ```
//!
//! Cloud: `ANCHORSYNC_BENCH_CLOUD_STEPS` (default 1,000) users of a Graph twin with its default
//! throttling (3,000 writes per 150 s), one `set-immutable-id` step each: a GET and a PATCH per step.
//! AD: when the test DC's variables are set, `ANCHORSYNC_BENCH_AD_STEPS` (default 200) users created
//! in an OU of their own, one `set-anchor` step each: one LDAP modify per step. Each figure is the
//! wall time of the whole command (start, connect, preflight, run, report) and of the run alone
//! (the journal's step times).

// A benchmark stops at its first failure, with the panic's message: unwrap, expect, panic and
// indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::process::Command;
use std::time::Instant;

use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_testkit::TestDirectory;
use anchorsync_twin::{AppClient, TwinConfig, TwinServer};
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
    let first = seconds_of(steps[0]["startedAt"].as_str().unwrap());
    let last = seconds_of(steps[steps.len() - 1]["finishedAt"].as_str().unwrap());
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
        "{what}: {steps} steps in {whole:.2} s for the whole command ({:.0} steps/s), {run:.2} s for the run \
         ({:.0} steps/s)",
        steps as f64 / whole,
        steps as f64 / run
    );
}

fn cloud() {
    let count = setting("ANCHORSYNC_BENCH_CLOUD_STEPS", 1000);
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
        TwinConfig::new(TENANT).with_client(AppClient::with_secret(APP, SECRET)),
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
         client_secret_env = \"{SECRET_ENV}\"\n",
        twin.root_url(),
        twin.base_url()
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
    report("cloud (twin, default throttling)", count, timing);
}

fn user_index(id: &str) -> usize {
    id.rsplit('-').next().unwrap().parse().unwrap()
}

fn ad() {
    if std::env::var("ANCHORSYNC_TEST_LDAP_URL").is_err() {
        println!("AD: skipped (no test DC; `source <DC dir>/env` first, see scripts/samba-dc.sh)");
        return;
    }
    let count = setting("ANCHORSYNC_BENCH_AD_STEPS", 200);
    let directory = TestDirectory::from_env();
    let runtime = tokio::runtime::Runtime::new().unwrap();
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
    let quote = |value: &str| format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
    let config = format!(
        "[ad]\nservers = [{}]\nbind = {}\npassword_file = {}\nca_file = {}\nbase_dns = [{}]\n",
        quote(&directory.url),
        quote(&directory.bind_dn),
        quote(&directory.password_file.display().to_string()),
        quote(&directory.ca_file.display().to_string()),
        quote(&ou)
    );
    let folder = tempfile::tempdir().unwrap();
    let timing = apply(folder.path(), &config, &plan(plan_users));
    report("AD (Samba DC over LDAPS)", count, timing);
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    cloud();
    ad();
}
