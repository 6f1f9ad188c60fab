//! Throttling budgets and injected faults (<https://learn.microsoft.com/graph/throttling-limits>),
//! over HTTP, with a manual clock.

use std::time::Duration;

use anchorsync_twin::{Clock, Faults, Latency, Throttling};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn the_write_budget_answers_429_until_it_refills() {
    let clock = Clock::manual(epoch());
    let mut config = config();
    config.throttling = Throttling {
        write_budget: 3,
        write_window: Duration::from_secs(150),
        ..Throttling::default()
    };
    let harness = start_at(tenant(), config, clock.clone());
    let token = harness.token(APP).await;
    let paths: Vec<String> = (0..4)
        .map(|n| format!("/users/user{n:03}@contoso.com"))
        .collect();
    let patch = |n: usize| harness.patch(&paths[n], &token, json!({"jobTitle": "x"}));
    for n in 0..3 {
        let reply = patch(n).await;
        assert_eq!(reply.status, 204, "{}", reply.text);
        assert_eq!(reply.header("x-ms-resource-unit"), Some("1"));
    }
    let throttled = patch(3).await;
    assert_graph_error(
        &throttled,
        429,
        "TooManyRequests",
        &format!(
            "Too many requests from Identifier:{APP} under category:throttle.aad.ags.appId.large. Please try again later."
        ),
    );
    // One write refills every 50 s.
    assert_eq!(throttled.header("retry-after"), Some("50"));
    assert_eq!(
        throttled.header("x-ms-throttle-scope"),
        Some(format!("Tenant_Application/Write/{APP}/{TENANT}").as_str())
    );
    assert_eq!(
        throttled.header("x-ms-throttle-information"),
        Some("WriteLimitExceeded")
    );
    // Reads still pass; another app has its own budget.
    assert_eq!(harness.get("/domains", &token).await.status, 200);
    let other = harness.token(USER_ADMIN_APP).await;
    assert_eq!(
        harness
            .patch(
                "/users/user005@contoso.com",
                &other,
                json!({"jobTitle": "x"})
            )
            .await
            .status,
        204
    );
    clock.advance(Duration::from_secs(49));
    assert_eq!(patch(3).await.header("retry-after"), Some("1"));
    clock.advance(Duration::from_secs(1));
    assert_eq!(patch(3).await.status, 204);
}

#[tokio::test]
async fn resource_units_follow_the_cost_table() {
    let clock = Clock::manual(epoch());
    let mut config = config();
    config.throttling = Throttling {
        resource_units: Some(5),
        resource_unit_window: Duration::from_secs(10),
        ..Throttling::default()
    };
    let harness = start_at(tenant(), config, clock.clone());
    let token = harness.token(APP).await;
    // GET /users costs 2; $select takes 1 off.
    let list = harness.get("/users?$top=50", &token).await;
    assert_eq!(list.header("x-ms-resource-unit"), Some("2"));
    let selected = harness.get("/users?$top=50&$select=id", &token).await;
    assert_eq!(selected.header("x-ms-resource-unit"), Some("1"));
    let second = harness.get("/users?$top=50", &token).await;
    assert_eq!(second.status, 200);
    // 5 units used of 5: past 80 % the service says so.
    assert_eq!(second.header("x-ms-throttle-limit-percentage"), Some("1.0"));
    let throttled = harness.get("/users?$top=50", &token).await;
    assert_eq!(throttled.status, 429, "{}", throttled.text);
    assert_eq!(
        throttled.header("x-ms-throttle-information"),
        Some("ResourceUnitLimitExceeded")
    );
    assert_eq!(
        throttled.header("x-ms-throttle-scope"),
        Some(format!("Tenant_Application/Read/{APP}/{TENANT}").as_str())
    );
    assert_eq!(throttled.header("retry-after"), Some("4"));
    clock.advance(Duration::from_secs(4));
    assert_eq!(harness.get("/users?$top=50", &token).await.status, 200);
}

#[tokio::test]
async fn injected_faults_are_seeded_and_reproducible() {
    let always_429 = {
        let mut config = config();
        config.faults = Faults {
            throttle_rate: 1.0,
            retry_after_seconds: 7,
            ..Faults::default()
        };
        start_with(tenant(), config)
    };
    let token = always_429.token(APP).await;
    let reply = always_429.get("/domains", &token).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after"), Some("7"));
    assert_eq!(reply.error().0, "TooManyRequests");
    // The token endpoint is not faulted.
    let always_503 = {
        let mut config = config();
        config.faults = Faults {
            unavailable_rate: 1.0,
            ..Faults::default()
        };
        start_with(tenant(), config)
    };
    let token = always_503.token(APP).await;
    let reply = always_503.get("/domains", &token).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.error().0, "serviceNotAvailable");
    assert_eq!(reply.header("retry-after"), Some("1"));

    async fn statuses(seed: u64) -> Vec<u16> {
        let mut config = config();
        config.faults = Faults {
            throttle_rate: 0.3,
            unavailable_rate: 0.2,
            seed,
            ..Faults::default()
        };
        let harness = start_with(tenant(), config);
        let token = harness.token(APP).await;
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(harness.get("/domains", &token).await.status);
        }
        statuses
    }
    let first = statuses(42).await;
    assert_eq!(first, statuses(42).await);
    assert!(
        first.contains(&200) && first.contains(&429) && first.contains(&503),
        "{first:?}"
    );
}

#[tokio::test]
async fn every_answer_is_held_back_by_the_response_latency_issue_15() {
    let mut config = config();
    config.faults.response_latency = Latency::Fixed(Duration::from_millis(200));
    let harness = start_with(tenant(), config);
    let token = harness.token(APP).await;
    let started = std::time::Instant::now();
    assert_eq!(harness.get("/domains", &token).await.status, 200);
    let one = started.elapsed();
    assert!(one >= Duration::from_millis(200), "{one:?}");
    // A write is applied before its answer leaves: it is in the write log once answered.
    let started = std::time::Instant::now();
    let reply = harness
        .patch(
            &format!("/users/{}", anchorsync_twin::test_tenant::ALICE),
            &token,
            json!({"jobTitle": "Late"}),
        )
        .await;
    assert_eq!(reply.status, 204, "{:?}", reply.json());
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(harness.server.twin().writes().len(), 1);
}
