//! The engine against the per-user scan community scripts do (issue 5, docs/PERFORMANCE.md).
//!
//! Community scripts decide each user with one pass over every cloud user
//! (`Get-MsolUser | Where-Object { $_.ImmutableId -eq $id }`, then again for the UPN and the address).
//! This bench builds the same synthetic pair in memory, runs that scan and the engine on it, checks that
//! the scan's matches agree with the engine's, and prints both times and their ratio.
//!
//! `cargo bench -p anchorsync-core --bench naive_scan -- [USERS]` (default 10000).

// A benchmark stops at its first failure, with the panic's message: unwrap, expect, panic and
// indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Instant;

use anchorsync_core::engine::rules::{MatchedBy, SoftMatch};
use anchorsync_core::engine::{EngineSettings, Outcome, plan};
use anchorsync_core::synthetic::{Generator, SyntheticConfig};
use anchorsync_core::tenant::CloudUser;

/// What the scripts find for one user: the cloud user with the anchor, or one with the address or UPN.
fn naive_match(
    anchor: &str,
    smtp: Option<&str>,
    upn: Option<&str>,
    cloud: &[CloudUser],
) -> Option<usize> {
    if let Some(hit) = cloud
        .iter()
        .position(|user| user.on_premises_immutable_id.as_deref() == Some(anchor))
    {
        return Some(hit);
    }
    if let Some(smtp) = smtp
        && let Some(hit) = cloud.iter().position(|user| {
            user.proxy_addresses.iter().any(|proxy| {
                proxy
                    .get(5..)
                    .is_some_and(|address| address.eq_ignore_ascii_case(smtp))
            })
        })
    {
        return Some(hit);
    }
    let upn = upn?;
    cloud.iter().position(|user| {
        user.user_principal_name
            .as_deref()
            .is_some_and(|cloud_upn| cloud_upn.eq_ignore_ascii_case(upn))
    })
}

fn main() {
    let users: usize = std::env::args()
        .skip(1)
        .find_map(|argument| argument.parse().ok())
        .unwrap_or(10_000);
    let synthetic = Generator::new(SyntheticConfig::new(users, 1)).build();
    let on_prem = synthetic.users().expect("the generator writes valid users");
    let tenant = &synthetic.tenant;
    println!(
        "{users} on-premises users, {} cloud users",
        tenant.users.len()
    );

    let started = Instant::now();
    let engine = plan(&on_prem, tenant, &EngineSettings::default());
    let engine_time = started.elapsed();

    let anchors: Vec<Option<String>> = engine
        .users
        .iter()
        .map(|user| user.anchor.as_ref().map(|anchor| anchor.value.clone()))
        .collect();
    let started = Instant::now();
    let mut scanned = Vec::with_capacity(on_prem.len());
    for (user_plan, anchor) in engine.users.iter().zip(&anchors) {
        let user = &on_prem[user_plan.user];
        let found = anchor.as_deref().and_then(|anchor| {
            naive_match(
                anchor,
                user.primary_smtp(),
                user.user_principal_name.as_deref(),
                &tenant.users,
            )
        });
        scanned.push(found);
    }
    let scan_time = started.elapsed();

    // Where the engine matched on the anchor or on an address the scan also compares, both must
    // name the same cloud user. The cross cases of docs/rules.md §3.2 (UPN against a primary SMTP
    // address and back) are matches the scan cannot see at all.
    let mut disagreements = 0;
    let mut unseen = 0;
    for (user, found) in engine.users.iter().zip(&scanned) {
        let by = match &user.soft_match {
            Some(SoftMatch::Matched(candidate)) => Some(candidate.by),
            _ => None,
        };
        let comparable = match user.outcome {
            Outcome::HardMatch => true,
            Outcome::SoftMatchSmtp | Outcome::SoftMatchUpn => matches!(
                by,
                Some(
                    MatchedBy::PrimarySmtp
                        | MatchedBy::SecondaryProxyAddress
                        | MatchedBy::UserPrincipalName
                )
            ),
            _ => false,
        };
        if comparable && user.cloud_user != *found {
            disagreements += 1;
        }
        if user.outcome == Outcome::SoftMatchSmtp && !comparable && found.is_none() {
            unseen += 1;
        }
    }
    println!(
        "engine (index, all rules, every core): {:>9.3} s",
        engine_time.as_secs_f64()
    );
    println!(
        "per-user scan (three passes per user):  {:>9.3} s",
        scan_time.as_secs_f64()
    );
    println!(
        "ratio: the scan takes {:.0}x the engine's time; {disagreements} matched users disagree; the scan does \
         not see {unseen} soft matches of the cross cases of docs/rules.md §3.2",
        scan_time.as_secs_f64() / engine_time.as_secs_f64().max(1e-9)
    );
    assert_eq!(
        disagreements, 0,
        "the scan and the engine must agree on matched users"
    );
}
