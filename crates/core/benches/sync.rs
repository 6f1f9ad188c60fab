//! The sync's decision on a generated directory (issue 14, docs/PERFORMANCE.md): the first sync of N users
//! against as many cloud users, then a re-sync of the state it leaves (links present, every cloud value
//! as desired), which must write nothing. Prints each phase's time, and the re-sync's as a ratio to
//! `plan` on the same data.
//!
//! `cargo bench -p anchorsync-core --bench sync -- [USERS]` (default 100000).

// A benchmark stops at its first failure, with the panic's message: unwrap, expect, panic and
// indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant, UNIX_EPOCH};

use anchorsync_core::engine::{EngineSettings, plan};
use anchorsync_core::sync::{Rehearsal, SyncInput, SyncSettings, plan_sync, plan_sync_with};
use anchorsync_core::synthetic::{Generator, SyntheticConfig};

/// The process's peak resident memory in MiB (Linux), for the record.
fn peak_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

fn main() {
    let users: usize = std::env::args()
        .skip(1)
        .find_map(|argument| argument.parse().ok())
        .unwrap_or(100_000);
    let synthetic = Generator::new(SyntheticConfig::new(users, 1)).build();
    let on_prem = synthetic.users().expect("the generator writes valid users");
    let tenant = &synthetic.tenant;
    let engine = EngineSettings::default();
    let settings = SyncSettings::default();
    println!("{users} AD users, {} cloud users", tenant.users.len());
    let input = SyncInput {
        users: &on_prem,
        tenant,
        links: &[],
        engine: &engine,
        settings: &settings,
        allow_deletions: None,
        now: UNIX_EPOCH + Duration::from_secs(1_796_083_200),
    };

    let start = Instant::now();
    let engine_plan = plan(&on_prem, tenant, &engine);
    let plan_time = start.elapsed();
    let start = Instant::now();
    let first = plan_sync_with(&input, &engine_plan).expect("valid inputs");
    let first_time = start.elapsed();
    drop(engine_plan);
    let counts = first.counts;
    println!(
        "first sync: {} create, {} join, {} export errors, {} anchor writebacks",
        counts.create, counts.join, counts.export_error, counts.anchor_writeback
    );

    let after = Rehearsal::of(&input, &first, "2026-11-30T00:00:00Z");
    drop(first);
    let again_input = after.next_input(&input);
    let start = Instant::now();
    let replan = plan(&after.users, &after.tenant, &engine);
    let replan_time = start.elapsed();
    drop(replan);
    let start = Instant::now();
    let again = plan_sync(&again_input).expect("valid inputs");
    let again_time = start.elapsed();
    assert_eq!(again.counts.pending(), 0, "a re-sync writes nothing");
    let mut json = Vec::new();
    let start = Instant::now();
    again.write_json(&mut json).expect("in memory");
    let write_time = start.elapsed();

    println!(
        "plan (first state):            {:>8.3} s",
        plan_time.as_secs_f64()
    );
    println!(
        "sync decision after the plan:  {:>8.3} s",
        first_time.as_secs_f64()
    );
    println!(
        "plan (synced state):           {:>8.3} s",
        replan_time.as_secs_f64()
    );
    println!(
        "re-sync (plan included):       {:>8.3} s  = {:.2} x plan, 0 writes of {} links",
        again_time.as_secs_f64(),
        again_time.as_secs_f64() / replan_time.as_secs_f64(),
        after.links.len()
    );
    println!(
        "re-sync JSON:                  {:>8.3} s  ({} MB)",
        write_time.as_secs_f64(),
        json.len() / 1_000_000
    );
    if let Some(peak) = peak_mib() {
        println!("peak memory of the bench:      {peak:>8} MiB");
    }
}
