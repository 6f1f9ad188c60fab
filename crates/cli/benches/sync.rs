//! Benchmark (issue 14): `anchorsync sync --apply --yes` through the binary against a Graph twin with
//! its default throttling (3,000 writes per 150 s per app and tenant, continuously refilled), on a
//! generated directory (`anchorsync generate`).
//!
//! ```text
//! cargo bench -p anchorsync --bench sync          # 10,000 users throttled, then 100,000 (release)
//! ANCHORSYNC_BENCH_SYNC_USERS=2000 ANCHORSYNC_BENCH_RESYNC_USERS=0 cargo bench -p anchorsync --bench sync
//! ```
//!
//! Two rounds. The first (`ANCHORSYNC_BENCH_SYNC_USERS`, default 10,000), against the twin's
//! default throttling, gives three figures:
//! 1. the initial sync's wall time against the **budget-limited optimum**: the writes the twin
//!    applied beyond the first window's budget, at the budget's refill rate (a client that never
//!    waits for anything but the budget needs exactly that long);
//! 2. a no-change re-sync: its writes (must be zero) and its wall time;
//! 3. `plan` of the same AD file against the same tenant, for the ratio re-sync / plan.
//!
//! The second (`ANCHORSYNC_BENCH_RESYNC_USERS`, default 100,000; 0 skips it) measures figures 2
//! and 3 at that size. Its initial sync runs against a twin with throttling off (under the budget,
//! 100,000 users take about 45 minutes, and the figure sought is the re-sync's, which writes
//! nothing); its time is printed, but it is not a budget figure.
//!
//! The anchor writeback is off (the AD side is the generated LDIF), so every write is a Graph write.

// A benchmark stops at its first failure, with the panic's message: unwrap, expect, panic and
// indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_twin::{AppClient, TwinConfig, TwinServer};

const APP: &str = "d0000000-0000-4000-8000-0000000000b6";
const SECRET: &str = "sync-bench-secret";
const SECRET_ENV: &str = "ANCHORSYNC_BENCH_SECRET";

fn anchorsync(config: &Path, data: &Path, args: &[&str]) -> (Output, f64) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_anchorsync"))
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env(SECRET_ENV, SECRET)
        .env("ANCHORSYNC_NO_PROGRESS", "1")
        .env_remove("ANCHORSYNC_CONFIG")
        .env_remove("ANCHORSYNC_DATA_DIR")
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "anchorsync {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (output, seconds)
}

struct Round {
    users: usize,
    throttled: bool,
}

fn round(Round { users, throttled }: Round) {
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path();
    let generated = Command::new(env!("CARGO_BIN_EXE_anchorsync"))
        .args([
            "generate",
            "--users",
            &users.to_string(),
            "--seed",
            "14",
            "--output",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert!(generated.status.success());
    let snapshot: TenantSnapshot =
        serde_json::from_slice(&std::fs::read(dir.join("tenant.json")).unwrap()).unwrap();
    let tenant_id = snapshot.on_premises_synchronization.as_ref().map_or_else(
        || "8d2a1c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4e".to_owned(),
        |sync| sync.id.clone(),
    );
    let mut config =
        TwinConfig::new(tenant_id.clone()).with_client(AppClient::with_secret(APP, SECRET));
    config.throttling.enabled = throttled;
    let throttling = config.throttling.clone();
    let twin = TwinServer::start(snapshot, config).unwrap();
    let config_file = dir.join("anchorsync.toml");
    std::fs::write(
        &config_file,
        format!(
            "[graph]\ntenant_id = \"{tenant_id}\"\nclient_id = \"{APP}\"\nauthority = \"{}\"\n\
             graph_url = \"{}\"\nclient_secret_env = \"{SECRET_ENV}\"\n\n[sync]\nanchor_writeback = false\n",
            twin.root_url(),
            twin.base_url()
        ),
    )
    .unwrap();
    let data = dir.join("data");
    let ldif = dir.join("ad.ldif").display().to_string();

    // 1. The initial sync.
    let (_, initial) = anchorsync(
        &config_file,
        &data,
        &["sync", "--apply", "--yes", "--ad", &ldif],
    );
    let writes = twin.twin().writes().len();
    if throttled {
        let budget = f64::from(throttling.write_budget);
        let rate = budget / throttling.write_window.as_secs_f64();
        let optimum = ((writes as f64 - budget).max(0.0)) / rate;
        println!(
            "initial sync of {users} users: {writes} writes in {initial:.1} s; budget-limited optimum \
             {optimum:.1} s ({} writes per {} s); ratio {:.3}",
            throttling.write_budget,
            throttling.write_window.as_secs(),
            if optimum > 0.0 {
                initial / optimum
            } else {
                f64::NAN
            }
        );
    } else {
        println!(
            "initial sync of {users} users, throttling off: {writes} writes in {initial:.1} s \
             ({:.0} writes/s)",
            writes as f64 / initial
        );
    }

    // 2. A re-sync with nothing changed, and 3. plan on the same data.
    let (_, resync) = anchorsync(
        &config_file,
        &data,
        &["sync", "--apply", "--yes", "--ad", &ldif],
    );
    let resync_writes = twin.twin().writes().len() - writes;
    let (_, plan) = anchorsync(
        &config_file,
        &data,
        &[
            "plan",
            "--ad",
            &ldif,
            "--cloud",
            "graph",
            "--format",
            "json",
            "-o",
            "/dev/null",
        ],
    );
    println!(
        "no-change re-sync of {users} users: {resync_writes} writes in {resync:.2} s; plan on the \
         same data {plan:.2} s; ratio {:.2}",
        resync / plan
    );
    assert_eq!(resync_writes, 0, "a re-sync with nothing changed wrote");
}

fn size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let users = size("ANCHORSYNC_BENCH_SYNC_USERS", 10_000);
    if users > 0 {
        round(Round {
            users,
            throttled: true,
        });
    }
    let users = size("ANCHORSYNC_BENCH_RESYNC_USERS", 100_000);
    if users > 0 {
        round(Round {
            users,
            throttled: false,
        });
    }
}
