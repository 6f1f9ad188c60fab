//! How fast the twin itself is, so that it is never what a client benchmark measures.
//!
//! `cargo bench -p anchorsync-twin --bench twin` (set `TWIN_BENCH_USERS`, default 100000). Prints:
//! snapshot load and save, reading every user with `$top=999`, indexed and scanned `$filter` lookups,
//! and PATCH throughput (direct and in `$batch`) with throttling off.

// A benchmark stops at its first failure, with the panic's message: unwrap, expect, panic and
// indexing are fine here.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout
)]

use std::sync::Arc;
use std::time::Instant;

use anchorsync_twin::{AppClient, TenantSnapshot, Throttling, Twin, TwinConfig, TwinServer};
use serde_json::{Value, json};

const TENANT: &str = "6babcaad-604b-40ac-a9d7-9fd97c0b779f";
const APP: &str = "a0000000-0000-4000-8000-000000000001";
const SECRET: &str = "bench-secret";

fn tenant(users: usize) -> TenantSnapshot {
    let users: Vec<Value> = (0..users)
        .map(|n| {
            json!({
                "id": format!("22222222-0000-4000-8000-{n:012}"),
                "userPrincipalName": format!("user{n}@contoso.com"),
                "displayName": format!("User {n}"),
                "mail": format!("user{n}@contoso.com"),
                "mailNickname": format!("user{n}"),
                "proxyAddresses": [format!("SMTP:user{n}@contoso.com"), format!("smtp:user{n}@contoso.onmicrosoft.com")],
                "accountEnabled": true,
                "onPremisesImmutableId": format!("anchor{n:08}AAAAAAAAAA=="),
            })
        })
        .collect();
    serde_json::from_value(json!({
        "users": users,
        "domains": [
            {"id": "contoso.onmicrosoft.com", "isInitial": true, "isVerified": true},
            {"id": "contoso.com", "isDefault": true, "isVerified": true},
        ],
        "onPremisesSynchronization": {"id": TENANT, "features": {}},
    }))
    .unwrap()
}

fn config() -> TwinConfig {
    let mut config = TwinConfig::new(TENANT).with_client(AppClient::with_secret(APP, SECRET));
    config.throttling = Throttling {
        enabled: false,
        ..Throttling::default()
    };
    config
}

fn rate(count: usize, seconds: f64) -> String {
    format!("{:.0}/s", count as f64 / seconds)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let users: usize = std::env::var("TWIN_BENCH_USERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    println!("twin benchmark, {users} users");

    let snapshot = tenant(users);
    let text = snapshot.to_json().unwrap();
    let started = Instant::now();
    let parsed = TenantSnapshot::from_json(&text).unwrap();
    let twin = Twin::new(parsed, config()).unwrap();
    println!(
        "load snapshot ({} MB) and index: {:.2} s",
        text.len() / 1_000_000,
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let saved = twin.snapshot().to_json().unwrap();
    println!("save snapshot: {:.2} s", started.elapsed().as_secs_f64());
    assert_eq!(saved, text, "unchanged state saves the same bytes");

    let server = Arc::new(TwinServer::start_twin(twin).unwrap());
    let http = reqwest::Client::new();
    let token: Value = http
        .post(server.token_url())
        .form(&[
            ("client_id", APP),
            ("client_secret", SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();

    // Read every user, as `snapshot cloud` does.
    let started = Instant::now();
    let mut next = Some(format!(
        "{}/users?$top=999&$select=id,userPrincipalName,onPremisesImmutableId,proxyAddresses",
        server.base_url()
    ));
    let mut read = 0;
    while let Some(url) = next.take() {
        let page: Value = http
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        read += page["value"].as_array().unwrap().len();
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
    }
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(read, users);
    println!(
        "page through all users ($top=999): {seconds:.2} s, {}",
        rate(read, seconds)
    );

    // Filter lookups: one user by UPN, by proxy address, by anchor.
    for (name, filter) in [
        (
            "userPrincipalName eq",
            "userPrincipalName eq 'user{n}@contoso.com'",
        ),
        (
            "proxyAddresses/any eq",
            "proxyAddresses/any(p:p eq 'smtp:user{n}@contoso.com')",
        ),
        (
            "onPremisesImmutableId eq",
            "onPremisesImmutableId eq 'anchor{n:08}AAAAAAAAAA%3D%3D'",
        ),
        ("displayName eq (scanned)", "displayName eq 'User {n}'"),
    ] {
        let lookups = 50;
        let started = Instant::now();
        for i in 0..lookups {
            let n = (i * 7919) % users;
            let filter = filter
                .replace("{n}", &n.to_string())
                .replace("{n:08}", &format!("{n:08}"));
            let reply = http
                .get(format!(
                    "{}/users?$filter={filter}&$count=true&$select=id",
                    server.base_url()
                ))
                .header("ConsistencyLevel", "eventual")
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status(), 200);
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "$filter {name}: {:.1} ms per lookup",
            seconds * 1000.0 / lookups as f64
        );
    }

    // PATCH throughput, 8 requests in flight.
    let patches = 5_000.min(users);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let http = http.clone();
        let token = token.clone();
        let base = server.base_url();
        tasks.push(tokio::spawn(async move {
            for n in (worker..patches).step_by(8) {
                let reply = http
                    .patch(format!("{base}/users/user{n}@contoso.com"))
                    .bearer_auth(&token)
                    .json(&json!({"jobTitle": "Benchmarked"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(reply.status(), 204);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "PATCH /users/{{upn}}, 8 in flight: {}",
        rate(patches, seconds)
    );

    // The same in $batch of 20, 4 batches in flight.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..4 {
        let http = http.clone();
        let token = token.clone();
        let base = server.base_url();
        tasks.push(tokio::spawn(async move {
            let ids: Vec<usize> = (worker..patches).step_by(4).collect();
            for chunk in ids.chunks(20) {
                let requests: Vec<Value> = chunk
                    .iter()
                    .map(|n| {
                        json!({"id": n.to_string(), "method": "PATCH", "url": format!("/users/user{n}@contoso.com"),
                               "headers": {"Content-Type": "application/json"}, "body": {"jobTitle": "Batched"}})
                    })
                    .collect();
                let reply: Value = http
                    .post(format!("{base}/$batch"))
                    .bearer_auth(&token)
                    .json(&json!({ "requests": requests }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                assert!(reply["responses"].as_array().unwrap().iter().all(|r| r["status"] == 204));
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "PATCH in $batch of 20, 4 batches in flight: {}",
        rate(patches, seconds)
    );
    drop(Arc::try_unwrap(server).ok());
}
