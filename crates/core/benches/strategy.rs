//! `plan --strategy`'s outcome after the changes (issue 15), in memory: a generated directory pair
//! (`core::synthetic`, seed 1, realistic mix: N AD users, N cloud users), `plan`, then each strategy's
//! remediation with the re-plan of the reached users (what `plan --strategy` does) and with the re-plan
//! of everyone (the reference). Prints each run's time, its ratio to `plan`, how many users it planned
//! again, and the process's peak resident memory; checks that both re-plans give the same remediations.
//!
//! `cargo bench -p anchorsync-core --bench strategy -- [USERS] [STRATEGY] [REPLAN]` (default 100000,
//! every strategy, both re-plans). The peak is the process's, so a run's own peak needs a process of its
//! own: `-- 1000000 hard-cloud reached` (the two re-plans are then not compared).

// A benchmark stops at its first failure, with the panic's message: unwrap, expect, panic and
// indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Instant;

use anchorsync_core::directory::OnPremUser;
use anchorsync_core::engine::remediate::{Replan, StrategyOptions, remediate_with};
use anchorsync_core::engine::{EngineSettings, plan};
use anchorsync_core::remediation::Strategy;
use anchorsync_core::synthetic::{Generator, SyntheticConfig};
use anchorsync_core::tenant::TenantSnapshot;

/// The command line's allocator (crates/cli/src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The process's peak resident memory in MiB (Linux), for the record.
fn peak_mib() -> String {
    let peak = || -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024)
    };
    peak().map_or_else(|| "?".to_owned(), |mib| mib.to_string())
}

/// The generated pair, one case at a time: the process holds the users and the tenant, as the command
/// line does once it has read its files, and not the LDIF entries besides.
fn generate(users: usize) -> (Vec<OnPremUser>, TenantSnapshot) {
    let generator = Generator::new(SyntheticConfig::new(users, 1));
    let mut on_prem = Vec::with_capacity(users);
    let mut tenant = TenantSnapshot {
        users: Vec::with_capacity(generator.cloud_user_count()),
        domains: generator.domains(),
        on_premises_synchronization: Some(generator.synchronization()),
        ..TenantSnapshot::default()
    };
    for case in generator.cases() {
        for entry in case.entries {
            on_prem.push(OnPremUser::from_entry(entry).expect("the generator writes valid users"));
        }
        tenant.users.extend(case.cloud_users);
        tenant.role_assignments.extend(case.role_assignments);
    }
    for (user, role) in generator.cloud_only() {
        tenant.users.push(user);
        tenant.role_assignments.extend(role);
    }
    (on_prem, tenant)
}

fn main() {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let users: usize = arguments
        .iter()
        .find_map(|argument| argument.parse().ok())
        .unwrap_or(100_000);
    let strategies: Vec<Strategy> = match arguments.iter().find_map(|a| match a.as_str() {
        "hard-cloud" => Some(Strategy::HardCloud),
        "hard-ad" => Some(Strategy::HardAd),
        "soft" => Some(Strategy::Soft),
        _ => None,
    }) {
        Some(strategy) => vec![strategy],
        None => vec![Strategy::HardCloud, Strategy::HardAd, Strategy::Soft],
    };
    let replans: Vec<Replan> = if arguments.iter().any(|a| a == "reached") {
        vec![Replan::Reached]
    } else if arguments.iter().any(|a| a == "everyone") {
        vec![Replan::Everyone]
    } else {
        vec![Replan::Reached, Replan::Everyone]
    };
    let (on_prem, tenant) = generate(users);
    let engine = EngineSettings::default();
    println!(
        "{users} AD users, {} cloud users; generated, peak {} MiB",
        tenant.users.len(),
        peak_mib()
    );

    let start = Instant::now();
    let first = plan(&on_prem, &tenant, &engine);
    let plan_time = start.elapsed().as_secs_f64();
    println!(
        "plan: {plan_time:.3} s, peak {} MiB (the inputs and the plan)",
        peak_mib()
    );
    println!();
    println!(
        "| strategy | re-plan | time s | (plan + strategy) / plan | fixable | rounds | AD users planned again | cloud users planned again | process peak MiB |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for strategy in strategies {
        let options = StrategyOptions {
            strategy,
            mapping: Vec::new(),
            join: None,
        };
        let mut results = Vec::new();
        for replan in &replans {
            let start = Instant::now();
            let (remediations, replanned) = remediate_with(&first, &options, *replan);
            let time = start.elapsed().as_secs_f64();
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
                peak_mib(),
            );
            results.push(remediations);
        }
        if let [reached, everyone] = results.as_slice() {
            assert!(
                reached == everyone,
                "{strategy:?}: the reached re-plan differs from the re-plan of everyone"
            );
            println!(
                "| {} | both gave the same remediations |||||||",
                strategy.as_str()
            );
        }
    }
}
