//! Benchmark (issue 4, "Performance"): PATCH the `onPremisesImmutableId` of 10,000 users through the
//! client against the Graph twin with its default write budget (3,000 writes per 150 s per app and
//! tenant), then check every user's final value in the twin.
//!
//! ```text
//! cargo bench -p anchorsync-graph --bench patch_users
//! ```
//!
//! It takes about six minutes by design: the budget, not the client, sets the pace. The optimum is
//! worked out from the twin's throttling model: a token bucket of `budget` writes that starts full
//! and refills continuously at `budget / window` writes per second, so `n` writes cannot finish
//! before `(n - budget) / (budget / window)` seconds. `ANCHORSYNC_BENCH_USERS`,
//! `ANCHORSYNC_BENCH_BUDGET`, `ANCHORSYNC_BENCH_WINDOW_SECONDS` and `ANCHORSYNC_BENCH_CONCURRENCY`
//! change the scenario for quicker experiments; the published numbers use the defaults.

// A benchmark stops at its first failure, with the panic's message: unwrap, expect, panic and
// indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use anchorsync_core::progress::Reporter;
use anchorsync_core::secret::Secret;
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_graph::{ClientSettings, Credential, GraphClient, UserKey, UserPatch};
use anchorsync_twin::{AppClient, Throttling, TwinConfig, TwinServer};
use base64::Engine as _;
use serde_json::json;

const TENANT: &str = "7e1c0b5a-2f3d-4c8e-9a6b-5d4e3f2a1b0c";
const APP: &str = "d0000000-0000-4000-8000-000000000001";
const SECRET: &str = "benchmark-secret";

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

fn user_id(n: usize) -> String {
    format!("40000000-0000-4000-8000-{n:012}")
}

/// The ImmutableID user `n` gets: Base64 of 16 bytes, as an objectGUID gives.
fn anchor(n: usize) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&(n as u64).to_le_bytes());
    bytes[8..].copy_from_slice(&0xA5C0_FFEE_u64.to_be_bytes());
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn tenant(users: usize) -> TenantSnapshot {
    let users: Vec<serde_json::Value> = (0..users)
        .map(|n| {
            json!({"id": user_id(n), "userPrincipalName": format!("user{n:05}@contoso.com"),
                   "displayName": format!("User {n}"), "mailNickname": format!("user{n:05}"),
                   "accountEnabled": true})
        })
        .collect();
    serde_json::from_value(json!({
        "users": users,
        "domains": [
            {"id": "contoso.onmicrosoft.com", "authenticationType": "Managed", "isInitial": true, "isVerified": true},
            {"id": "contoso.com", "authenticationType": "Managed", "isDefault": true, "isVerified": true},
        ],
        "roleAssignments": [],
        "onPremisesSynchronization": {"id": TENANT, "features": {}},
    }))
    .expect("the benchmark tenant is valid")
}

/// Prints progress every few seconds, and Graph's throttling notes.
struct Progress {
    started: Instant,
    done: std::sync::atomic::AtomicU64,
    last: std::sync::Mutex<Instant>,
}

impl Reporter for Progress {
    fn on_advance(&self, done: u64) {
        let total = self
            .done
            .fetch_add(done, std::sync::atomic::Ordering::Relaxed)
            + done;
        let mut last = self.last.lock().expect("progress lock");
        if last.elapsed() >= Duration::from_secs(15) {
            *last = Instant::now();
            eprintln!(
                "  {:>6.1} s: {total} users patched",
                self.started.elapsed().as_secs_f64()
            );
        }
    }

    fn on_note(&self, message: &str) {
        eprintln!("  note: {message}");
    }
}

fn main() {
    let users: usize = setting("ANCHORSYNC_BENCH_USERS", 10_000);
    let defaults = Throttling::default();
    let budget: u32 = setting("ANCHORSYNC_BENCH_BUDGET", defaults.write_budget);
    let window = Duration::from_secs_f64(setting(
        "ANCHORSYNC_BENCH_WINDOW_SECONDS",
        defaults.write_window.as_secs_f64(),
    ));
    let concurrency: usize = setting(
        "ANCHORSYNC_BENCH_CONCURRENCY",
        ClientSettings::new(TENANT, APP, Credential::Secret(Secret::new(SECRET))).concurrency,
    );

    let mut config = TwinConfig::new(TENANT).with_client(AppClient::with_secret(APP, SECRET));
    config.throttling = Throttling {
        write_budget: budget,
        write_window: window,
        ..defaults
    };
    let server = TwinServer::start(tenant(users), config).expect("the twin starts");
    let settings = ClientSettings::new(TENANT, APP, Credential::Secret(Secret::new(SECRET)))
        .endpoints(&server.root_url(), &server.base_url())
        .concurrency(concurrency);
    let retry = settings.retry.clone();
    let client = GraphClient::new(settings).expect("the client builds");
    let updates: Vec<(UserKey, UserPatch)> = (0..users)
        .map(|n| {
            (
                UserKey::Id(user_id(n)),
                UserPatch::new().immutable_id(Some(&anchor(n))),
            )
        })
        .collect();

    let rate = f64::from(budget) / window.as_secs_f64();
    let optimum = (users as f64 - f64::from(budget)).max(0.0) / rate;
    eprintln!(
        "PATCH onPremisesImmutableId of {users} users; write budget {budget} per {} s ({rate:.2} writes/s after the first {budget}); \
         client concurrency {concurrency}, max_throttle_retries {}",
        window.as_secs_f64(),
        retry.max_throttle_retries
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let started = Instant::now();
    let progress = Progress {
        started,
        done: Default::default(),
        last: std::sync::Mutex::new(started),
    };
    let results = runtime
        .block_on(client.update_users(&updates, &progress))
        .expect("the updates can be batched");
    let elapsed = started.elapsed().as_secs_f64();
    let stats = client.stats();

    let failed: Vec<String> = results
        .iter()
        .enumerate()
        .filter_map(|(n, result)| {
            result
                .as_ref()
                .err()
                .map(|error| format!("user {n}: {error}"))
        })
        .collect();
    let snapshot = server.snapshot();
    let wrong = (0..users)
        .filter(|n| {
            let id = user_id(*n);
            let expected = anchor(*n);
            !snapshot.users.iter().any(|user| {
                user.id == id && user.on_premises_immutable_id.as_deref() == Some(expected.as_str())
            })
        })
        .count();

    let accepted = stats.batch_items - stats.throttled - stats.unavailable;
    println!("users                     {users}");
    println!(
        "write budget              {budget} per {} s",
        window.as_secs_f64()
    );
    println!("client concurrency        {concurrency}");
    println!("total time                {elapsed:.1} s");
    println!("budget-limited optimum    {optimum:.1} s  ((users - budget) / (budget / window))");
    println!(
        "time / optimum            {:.3}",
        if optimum > 0.0 {
            elapsed / optimum
        } else {
            f64::NAN
        }
    );
    println!("writes per second         {:.2}", users as f64 / elapsed);
    println!(
        "optimum writes per second {:.2}",
        if optimum > 0.0 {
            users as f64 / optimum
        } else {
            f64::NAN
        }
    );
    println!("$batch calls              {}", stats.requests);
    println!("requests in batches       {}", stats.batch_items);
    println!("429 received              {}", stats.throttled);
    println!("503/504 received          {}", stats.unavailable);
    println!("accepted by the twin      {accepted}");
    println!("failed (429 not retried)  {}", failed.len());
    println!("wrong final value         {wrong}");
    for failure in failed.iter().take(5) {
        println!("  {failure}");
    }
    if !failed.is_empty() || wrong > 0 {
        std::process::exit(1);
    }
}
