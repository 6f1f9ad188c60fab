//! `plan --strategy`'s outcome after the changes (issue 15), in memory: a generated directory pair
//! (`core::synthetic`, seed 1, realistic mix: N AD users, N cloud users), `plan`, then every strategy's
//! remediation with the re-plan of the reached users (what `plan --strategy` does) and with the re-plan
//! of everyone (the reference). Prints each run's time, its ratio to `plan`, how many users it planned
//! again, and the peak resident memory during the run; checks that both give the same remediations.
//!
//! `cargo bench -p anchorsync-core --bench strategy -- [USERS]` (default 100000).

// A benchmark stops at its first failure, with the panic's message: unwrap, expect, panic and
// indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Instant;

use anchorsync_core::engine::remediate::{Replan, StrategyOptions, remediate_with};
use anchorsync_core::engine::{EngineSettings, plan};
use anchorsync_core::remediation::Strategy;
use anchorsync_core::synthetic::{Generator, SyntheticConfig};

/// The command line's allocator (crates/cli/src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The process's peak resident memory in MiB since the last [`reset_peak`] (Linux), for the record.
fn peak_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// Starts the peak over from the memory resident now (Linux 4.0 and later), so that each run's peak
/// is its own and not the generator's.
fn reset_peak() {
    // Without the file the peaks are the process's, which the output says.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn mib(value: Option<u64>) -> String {
    value.map_or_else(|| "?".to_owned(), |mib| format!("{mib}"))
}

fn main() {
    let users: usize = std::env::args()
        .skip(1)
        .find_map(|argument| argument.parse().ok())
        .unwrap_or(100_000);
    let mut synthetic = Generator::new(SyntheticConfig::new(users, 1)).build();
    let on_prem = synthetic.users().expect("the generator writes valid users");
    synthetic.entries = Vec::new();
    let tenant = &synthetic.tenant;
    let engine = EngineSettings::default();
    println!("{users} AD users, {} cloud users", tenant.users.len());

    reset_peak();
    let start = Instant::now();
    let first = plan(&on_prem, tenant, &engine);
    let plan_time = start.elapsed().as_secs_f64();
    println!(
        "plan: {plan_time:.3} s, peak {} MiB (the inputs and the plan)",
        mib(peak_mib())
    );
    println!();
    println!(
        "| strategy | re-plan | time s | (plan + strategy) / plan | fixable | rounds | AD users planned again | cloud users planned again | peak MiB |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for strategy in [Strategy::HardCloud, Strategy::HardAd, Strategy::Soft] {
        let options = StrategyOptions {
            strategy,
            mapping: Vec::new(),
            join: None,
        };
        let mut results = Vec::new();
        for replan in [Replan::Reached, Replan::Everyone] {
            reset_peak();
            let start = Instant::now();
            let (remediations, replanned) = remediate_with(&first, &options, replan);
            let time = start.elapsed().as_secs_f64();
            let peak = peak_mib();
            let fixable = remediations.iter().filter(|r| r.fixable).count();
            println!(
                "| {} | {} | {time:.3} | {:.2} | {fixable} | {} | {} | {} | {} |",
                strategy.as_str(),
                match replan {
                    Replan::Reached => "reached",
                    Replan::Everyone => "everyone",
                },
                (plan_time + time) / plan_time,
                replanned.rounds,
                replanned.on_prem_users,
                replanned.cloud_users,
                mib(peak),
            );
            results.push(remediations);
            if results.len() == 2 {
                assert!(
                    results[0] == results[1],
                    "{strategy:?}: the reached re-plan differs from the re-plan of everyone"
                );
                results.clear();
            }
        }
    }
    println!();
    println!(
        "Both re-plans gave the same remediations for every user. A run's peak includes the inputs and the \
         first plan it starts from, and for `everyone` the `reached` run's remediations kept for the comparison."
    );
}
