//! `anchorsync lint`'s checks against IdFix's per-attribute pairwise duplicate scan (issue 16,
//! docs/PERFORMANCE.md).
//!
//! Builds USERS synthetic users in memory (UPN, mail, mailNickname, sAMAccountName, names, and three
//! proxy addresses each: `SMTP:` primary, an `smtp:` secondary and an `x500:`), with one user in a
//! thousand holding a secondary address that another user has as its UPN, then:
//!
//! - `lint USERS`: runs every rule ([`anchorsync_core::lint::lint`]) once and prints the time;
//! - `baseline USERS`: runs IdFix's duplicate check (one list per attribute, each value compared with
//!   every earlier value of that attribute, prefix included, case-insensitively) and prints the time;
//! - `compare USERS`: both on the same users, with the ratio.
//!
//! `cargo bench -p anchorsync-core --bench lint -- lint 1000000` (run it under `/usr/bin/time -v` for
//! the peak memory); `cargo bench -p anchorsync-core --bench lint -- compare 20000`.

// A benchmark stops at its first failure, with the panic's message.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Instant;

use anchorsync_core::lint::{LintObject, ObjectKind, RuleId, TldList, lint};

fn users(count: usize) -> Vec<LintObject> {
    (0..count)
        .map(|n| {
            // One user in a thousand has, as a secondary address, the next user's UPN: a duplicate IdFix
            // does not see (mail and the primary address are in another domain than the UPN).
            let secondary = if n % 1000 == 7 && n + 1 < count {
                format!("smtp:user{}@example.com", n + 1)
            } else {
                format!("smtp:u{n}.alias@example.com")
            };
            LintObject {
                dn: format!("CN=User {n},OU=People,DC=corp,DC=example,DC=com"),
                kind: Some(ObjectKind::User),
                cn: Some(format!("User {n}")),
                user_principal_name: Some(format!("user{n}@example.com")),
                sam_account_name: Some(format!("u{n}")),
                mail: Some(format!("u{n}@mail.example.com")),
                mail_nickname: Some(format!("user{n}")),
                proxy_addresses: vec![
                    format!("SMTP:u{n}@mail.example.com"),
                    secondary,
                    format!("x500:/o=Corp/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=u{n}"),
                ],
                display_name: Some(format!("User {n}")),
                given_name: Some("User".to_owned()),
                surname: Some(format!("{n}")),
                ..LintObject::default()
            }
        })
        .collect()
}

/// IdFix's duplicate check: per attribute, a list searched linearly for every value.
fn pairwise_duplicates(objects: &[LintObject]) -> usize {
    let mut upns: Vec<&str> = Vec::new();
    let mut mails: Vec<&str> = Vec::new();
    let mut nicknames: Vec<&str> = Vec::new();
    let mut proxies: Vec<&str> = Vec::new();
    let mut found = 0;
    // IdFix's `List.Contains(value, comparer)` before each `Add`.
    let check = |list: &mut Vec<&'_ str>, value: &'_ str| {
        if list.iter().any(|held| held.eq_ignore_ascii_case(value)) {
            1
        } else {
            0
        }
    };
    for object in objects {
        for (list, value) in [
            (&mut upns, object.user_principal_name.as_deref()),
            (&mut mails, object.mail.as_deref()),
            (&mut nicknames, object.mail_nickname.as_deref()),
        ] {
            if let Some(value) = value {
                found += check(list, value);
                list.push(value);
            }
        }
        for proxy in &object.proxy_addresses {
            found += check(&mut proxies, proxy);
            proxies.push(proxy);
        }
    }
    found
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mode = args.first().map_or("compare", String::as_str).to_owned();
    let count: usize = args
        .get(1)
        .map_or(20_000, |n| n.parse().expect("a number of users"));
    let started = Instant::now();
    let objects = users(count);
    println!(
        "{count} users × 3 proxy addresses built in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let tlds = TldList::bundled();
    let mut lint_seconds = None;
    if mode == "lint" || mode == "compare" {
        let started = Instant::now();
        let in_scope = vec![true; objects.len()];
        let index =
            anchorsync_core::lint::duplicates::AddressIndex::build(&objects, &in_scope, None);
        let index_seconds = started.elapsed().as_secs_f64();
        drop(index);
        println!("  of which the address index alone: {index_seconds:.3} s");
        let started = Instant::now();
        let report = lint(&objects, &tlds, None);
        let seconds = started.elapsed().as_secs_f64();
        let duplicates = report
            .findings
            .iter()
            .filter(|finding| finding.rule == RuleId::DuplicateAddress)
            .count();
        let planted = (0..count)
            .filter(|n| n % 1000 == 7 && n + 1 < count)
            .count();
        assert_eq!(
            duplicates,
            2 * planted,
            "every planted duplicate is found, on both objects"
        );
        println!(
            "lint: {seconds:.3} s for {count} users ({} findings, {duplicates} cross-attribute duplicates), {:.0} users/s",
            report.findings.len(),
            count as f64 / seconds
        );
        lint_seconds = Some(seconds);
    }
    if mode == "baseline" || mode == "compare" {
        let started = Instant::now();
        let found = pairwise_duplicates(&objects);
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "per-attribute pairwise scan (IdFix): {seconds:.3} s for {count} users, {found} duplicates found \
             (the cross-attribute ones are invisible to it)"
        );
        let million = 1_000_000f64 / count as f64;
        println!(
            "  extrapolated to 1,000,000 users (quadratic): {:.0} s ≈ {:.1} h",
            seconds * million * million,
            seconds * million * million / 3600.0
        );
        if let Some(lint_seconds) = lint_seconds {
            println!(
                "ratio at {count} users: the pairwise scan takes {:.0}× lint's time",
                seconds / lint_seconds
            );
        }
    }
}
