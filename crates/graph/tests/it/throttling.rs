//! Throttling and unavailability (issue 4): 429 with Retry-After retried, for single requests and
//! for `$batch` items; injected 503s retried; bounded attempts with an error naming the request;
//! a `POST` refused with 503 is sent again and creates one user, one that got no answer is not.
//! Budgets are small so that no test waits more than a few Retry-After seconds.

use std::time::Duration;

use anchorsync_core::progress::NoProgress;
use anchorsync_core::secret::Secret;
use anchorsync_graph::{
    CreateOutcome, GraphClient, GraphError, NewUser, RetryPolicy, UserKey, UserPatch,
};
use anchorsync_twin::{Faults, Throttling, TwinConfig, TwinServer};

use crate::support::*;

fn with_write_budget(budget: u32, window: Duration) -> TwinConfig {
    let mut config = config();
    config.throttling = Throttling {
        enabled: true,
        write_budget: budget,
        write_window: window,
        ..Throttling::default()
    };
    config
}

fn with_faults(faults: Faults) -> TwinConfig {
    let mut config = config();
    config.faults = faults;
    config
}

fn department_updates(count: usize, value: &str) -> Vec<(UserKey, UserPatch)> {
    (0..count)
        .map(|n| {
            (
                UserKey::Id(filler_id(n)),
                UserPatch::new().set("department", format!("{value}-{n}")),
            )
        })
        .collect()
}

fn assert_departments(server: &TwinServer, count: usize, value: &str) {
    assert_fillers(
        server,
        count,
        |user| user.department.as_deref(),
        |n| format!("{value}-{n}"),
    );
}

#[tokio::test]
async fn throttled_batch_items_are_retried_after_retry_after_issue_4() {
    // 20 writes per second: 60 updates need two refills.
    let server = start_with(with_write_budget(20, Duration::from_secs(1)));
    let client = client(&server, APP);
    let results = client
        .update_users(&department_updates(60, "T"), &NoProgress)
        .await
        .unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let stats = client.stats();
    assert!(stats.throttled > 0, "the budget was exceeded: {stats:?}");
    assert!(
        stats.retries >= stats.throttled,
        "every 429 was retried: {stats:?}"
    );
    assert_departments(&server, 60, "T");
}

#[tokio::test]
async fn a_throttled_single_request_waits_and_succeeds_issue_4() {
    let server = start_with(with_write_budget(3, Duration::from_secs(1)));
    let client = client(&server, APP);
    for (key, patch) in department_updates(6, "S") {
        client.update_user(&key, &patch).await.unwrap();
    }
    assert!(client.stats().throttled > 0);
    assert_departments(&server, 6, "S");
}

#[tokio::test]
async fn spent_throttle_retries_give_up_naming_the_request_issue_4() {
    // One write per 150 s: the second write would wait 150 s; with no retries allowed, it stops.
    let server = start_with(with_write_budget(1, Duration::from_secs(150)));
    let client = GraphClient::new(settings(&server, APP).retry(RetryPolicy {
        max_throttle_retries: 0,
        ..fast_retries()
    }))
    .unwrap();
    let updates = department_updates(2, "G");
    client
        .update_user(&updates[0].0, &updates[0].1)
        .await
        .unwrap();
    let error = client
        .update_user(&updates[1].0, &updates[1].1)
        .await
        .unwrap_err();
    let GraphError::GaveUp {
        request,
        request_id,
        ..
    } = &error
    else {
        panic!("expected GaveUp, got {error:?}")
    };
    assert_eq!(
        request.to_string(),
        format!("PATCH /users/{}", filler_id(1))
    );
    assert!(request_id.is_some());
    assert!(
        error.to_string().starts_with(&format!(
            "`PATCH /users/{}`: gave up after 1 attempt; the last answer was 429 after 1 throttled attempts (request-id `",
            filler_id(1)
        )),
        "{error}"
    );
    assert!(error.hint().is_some());
    // In a batch, the same item fails alone and says so.
    let results = client
        .update_users(&department_updates(3, "H"), &NoProgress)
        .await
        .unwrap();
    assert!(
        results
            .iter()
            .all(|result| matches!(result, Err(GraphError::GaveUp { .. }))),
        "{results:?}"
    );
}

#[tokio::test]
async fn injected_503s_are_retried_for_reads_and_batch_writes_issue_4() {
    let server = start_with(with_faults(Faults {
        unavailable_rate: 0.3,
        retry_after_seconds: 0,
        seed: 7,
        ..Faults::default()
    }));
    let client = GraphClient::new(settings(&server, APP).page_size(20)).unwrap();
    let users = client.list_all_users(&NoProgress).await.unwrap();
    assert_eq!(users.len(), USER_COUNT);
    let results = client
        .update_users(&department_updates(100, "U"), &NoProgress)
        .await
        .unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert!(client.stats().unavailable > 0);
    assert_departments(&server, 100, "U");
}

#[tokio::test]
async fn injected_429s_without_budget_pressure_are_retried_issue_4() {
    let server = start_with(with_faults(Faults {
        throttle_rate: 0.3,
        retry_after_seconds: 0,
        seed: 11,
        ..Faults::default()
    }));
    let client = client(&server, APP);
    let results = client
        .update_users(&department_updates(60, "I"), &NoProgress)
        .await
        .unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert!(client.stats().throttled > 0);
    assert_departments(&server, 60, "I");
}

#[tokio::test]
async fn a_service_that_stays_unavailable_is_given_up_on_issue_4() {
    let server = start_with(with_faults(Faults {
        unavailable_rate: 1.0,
        retry_after_seconds: 0,
        ..Faults::default()
    }));
    let client = client(&server, APP);
    let error = client.list_domains().await.unwrap_err();
    let GraphError::GaveUp { attempts, last, .. } = &error else {
        panic!("expected GaveUp, got {error:?}")
    };
    assert_eq!(*attempts, fast_retries().max_attempts);
    assert_eq!(last, "HTTP 503");
    assert!(
        error
            .to_string()
            .starts_with("`GET /domains`: gave up after 6 attempts"),
        "{error}"
    );
}

#[tokio::test]
async fn a_post_refused_with_503_is_sent_again_and_creates_one_user_issue_4() {
    let server = start_with(with_faults(Faults {
        unavailable_rate: 0.6,
        retry_after_seconds: 0,
        seed: 3,
        ..Faults::default()
    }));
    let client = GraphClient::new(settings(&server, APP).retry(RetryPolicy {
        max_attempts: 20,
        ..fast_retries()
    }))
    .unwrap();
    let user = NewUser::new(
        "frank@contoso.com",
        "Frank",
        "frank",
        Secret::new("xWwvJ]6NMw+bWH-d"),
    );
    let outcome = client.create_user(&user).await.unwrap();
    assert!(matches!(outcome, CreateOutcome::Created(_)), "{outcome:?}");
    assert!(
        client.stats().unavailable > 0,
        "the dice gave no 503: pick another seed"
    );
    let created = server
        .snapshot()
        .users
        .iter()
        .filter(|user| user.user_principal_name.as_deref() == Some("frank@contoso.com"))
        .count();
    assert_eq!(created, 1);
}

#[tokio::test]
async fn a_post_without_an_answer_is_not_sent_again_issue_4() {
    // Every request takes 400 ms in the twin; the client waits 50 ms: nothing comes back.
    let server = start_with(with_faults(Faults {
        latency: Duration::from_millis(400),
        ..Faults::default()
    }));
    let mut settings = settings(&server, APP).retry(RetryPolicy {
        max_attempts: 2,
        ..fast_retries()
    });
    settings.timeout = Duration::from_millis(50);
    let client = GraphClient::new(settings).unwrap();
    // The token endpoint has no added latency: the token comes.
    let user = NewUser::new(
        "gina@contoso.com",
        "Gina",
        "gina",
        Secret::new("xWwvJ]6NMw+bWH-d"),
    );
    let outcome = client.create_user(&user).await.unwrap();
    let CreateOutcome::NoAnswer {
        request, reason, ..
    } = &outcome
    else {
        panic!("expected NoAnswer, got {outcome:?}")
    };
    assert_eq!(request.to_string(), "POST /users");
    assert!(reason.contains("timeout"), "{reason}");
    assert_eq!(client.stats().requests, 1, "sent once");

    // A PATCH is idempotent: it is sent again, up to max_attempts.
    let error = client
        .update_user(
            &UserKey::Id(filler_id(1)),
            &UserPatch::new().set("department", "X"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, GraphError::GaveUp { attempts: 2, .. }),
        "{error:?}"
    );

    // In a batch, each request is judged alone.
    let results = client
        .batch(
            vec![
                anchorsync_graph::BatchRequest::post(
                    "/users",
                    serde_json::json!({"accountEnabled": true, "displayName": "H", "mailNickname": "h",
                        "userPrincipalName": "h@contoso.com",
                        "passwordProfile": {"password": "xWwvJ]6NMw+bWH-d"}}),
                ),
                anchorsync_graph::BatchRequest::patch(
                    format!("/users/{}", filler_id(2)),
                    serde_json::json!({"department": "Y"}),
                ),
            ],
            &NoProgress,
        )
        .await
        .unwrap();
    assert!(
        matches!(results[0], Err(GraphError::OutcomeUnknown { .. })),
        "{:?}",
        results[0]
    );
    assert!(
        matches!(results[1], Err(GraphError::GaveUp { attempts: 2, .. })),
        "{:?}",
        results[1]
    );
}
