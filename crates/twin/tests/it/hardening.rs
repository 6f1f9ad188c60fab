//! Issue 12, over HTTP as a hostile client would try it: a `$filter` nested deep enough to overflow
//! a recursive parser, idle and slow-loris connections, more connections than the twin serves, and
//! a forged `Host` header; and the state file that keeps acknowledged writes.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use anchorsync_twin::{Connections, MAX_FILTER_DEPTH, TwinConfig, TwinServer};
use serde_json::json;

use crate::support::*;

const TOO_DEEP: &str = "Invalid filter clause: The recursion limit has been exceeded.";

/// `(((… userPrincipalName eq 'alice@contoso.com' …)))`, `depth` parentheses deep.
fn nested(depth: usize) -> String {
    format!(
        "{}userPrincipalName eq 'alice@contoso.com'{}",
        "(".repeat(depth),
        ")".repeat(depth)
    )
}

#[tokio::test]
async fn a_deeply_nested_filter_is_refused_with_400_and_the_twin_lives_on_issue_12() {
    let harness = start_plain();
    let token = harness.token(APP).await;
    // The issue's example: about 1,400 parentheses in a 2.8 KB URL; then `not`s, which nest
    // without parentheses, and lambdas inside parentheses.
    let lambdas = format!(
        "{}proxyAddresses/any(p:p eq 'smtp:alice@contoso.com'){}",
        "(".repeat(MAX_FILTER_DEPTH),
        ")".repeat(MAX_FILTER_DEPTH)
    );
    for filter in [
        nested(1_400),
        nested(MAX_FILTER_DEPTH + 1),
        format!("{}accountEnabled eq true", "not ".repeat(5_000)),
        lambdas,
        // Unbalanced: refused for its depth before the missing parentheses are noticed.
        "(".repeat(10_000),
    ] {
        let reply = harness
            .get(&format!("/users?$filter={filter}"), &token)
            .await;
        assert_graph_error(&reply, 400, "BadRequest", TOO_DEEP);
    }
    // Inside `$batch` too.
    let reply = harness
        .post(
            "/$batch",
            &token,
            json!({"requests": [
                {"id": "1", "method": "GET",
                 "url": format!("/users?$filter={}", nested(1_400).replace(' ', "%20"))},
                {"id": "2", "method": "GET",
                 "url": "/users?$filter=userPrincipalName%20eq%20'alice@contoso.com'"},
            ]}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let responses = reply.json()["responses"].clone();
    let deep = responses
        .as_array()
        .unwrap()
        .iter()
        .find(|response| response["id"] == "1")
        .unwrap();
    assert_eq!(deep["status"], 400, "{responses}");
    assert_eq!(deep["body"]["error"]["message"], TOO_DEEP, "{responses}");
    assert_eq!(deep["body"]["error"]["code"], "BadRequest", "{responses}");
    let shallow = responses
        .as_array()
        .unwrap()
        .iter()
        .find(|response| response["id"] == "2")
        .unwrap();
    assert_eq!(shallow["status"], 200, "{responses}");

    // At the limit a filter still works, and a long flat chain is not nesting at all.
    let reply = harness
        .get(
            &format!("/users?$filter={}", nested(MAX_FILTER_DEPTH)),
            &token,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["value"][0]["id"], ALICE, "{}", reply.text);
    let chain = std::iter::repeat_n(format!("id eq '{ALICE}'"), 1_000)
        .collect::<Vec<_>>()
        .join(" or ");
    let reply = harness
        .get(&format!("/users?$filter={chain}"), &token)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["value"][0]["id"], ALICE, "{}", reply.text);

    // The twin is still there.
    let health = harness
        .http
        .get(format!("{}/_twin/health", harness.server.root_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

fn with_connections(max_connections: usize, header_read_timeout: Duration) -> TwinConfig {
    let mut config = config();
    config.connections = Connections {
        max_connections,
        header_read_timeout,
    };
    config
}

/// A raw TCP connection to the twin. The read timeout only turns a hang (the behaviour under test
/// missing) into a failure; nothing asserts how long anything took.
fn connect(server: &TwinServer) -> TcpStream {
    let stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    stream
}

/// Reads until the twin closes the connection, failing if it never does.
fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    match stream.read_to_end(&mut received) {
        Ok(_) => {}
        // A reset is a close too.
        Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(error) => panic!(
            "the twin kept the connection open ({error}); received {:?}",
            String::from_utf8_lossy(&received)
        ),
    }
    String::from_utf8_lossy(&received).into_owned()
}

const HEALTH_REQUEST: &[u8] = b"GET /_twin/health HTTP/1.1\r\nHost: twin\r\n\r\n";

#[test]
fn idle_and_slow_loris_connections_are_cut_after_the_header_read_timeout_issue_12() {
    let server =
        TwinServer::start(tenant(), with_connections(512, Duration::from_millis(300))).unwrap();
    // Opened and never used.
    let mut idle = connect(&server);
    // Half a request head, then nothing: a slow-loris sender.
    let mut slow = connect(&server);
    slow.write_all(b"GET /_twin/health HTTP/1.1\r\nHost: twin\r\nX-Slow: ")
        .unwrap();
    // A whole request, then kept alive and idle.
    let mut kept_alive = connect(&server);
    kept_alive.write_all(HEALTH_REQUEST).unwrap();

    let received = read_until_closed(&mut idle);
    assert!(!received.contains("200 OK"), "{received}");
    let received = read_until_closed(&mut slow);
    assert!(!received.contains("200 OK"), "{received}");
    let received = read_until_closed(&mut kept_alive);
    assert!(received.starts_with("HTTP/1.1 200 OK"), "{received}");
    assert_eq!(received.matches("HTTP/1.1").count(), 1, "{received}");
}

#[test]
fn connections_over_the_cap_are_closed_at_once_issue_12() {
    let server =
        TwinServer::start(tenant(), with_connections(3, Duration::from_secs(3_600))).unwrap();
    let mut held: Vec<TcpStream> = (0..3).map(|_| connect(&server)).collect();
    // The fourth is closed without an answer, however long it waits.
    let mut fourth = connect(&server);
    fourth.write_all(HEALTH_REQUEST).unwrap_or_default();
    let received = read_until_closed(&mut fourth);
    assert!(!received.contains("200 OK"), "{received}");
    // The three within the cap are served.
    for stream in &mut held {
        stream.write_all(HEALTH_REQUEST).unwrap();
        let mut head = [0_u8; 15];
        stream.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 200 OK");
    }
}

#[tokio::test]
async fn a_forged_host_never_reaches_the_links_the_twin_hands_out_issue_12() {
    let harness = start_plain();
    let token = harness.token(APP).await;
    let forged = "evil.example:666";
    let page = harness
        .call(
            reqwest::Method::GET,
            "/users?$top=2",
            &token,
            None,
            &[("Host", forged)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let json = page.json();
    let next = json["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/users?", harness.server.base_url())),
        "{next}"
    );
    assert_eq!(
        json["@odata.context"],
        format!("{}/$metadata#users", harness.server.base_url())
    );
    assert!(!page.text.contains("evil.example"), "{}", page.text);
    // Inside `$batch` as well.
    let reply = harness
        .call(
            reqwest::Method::POST,
            "/$batch",
            &token,
            Some(json!({"requests": [{"id": "1", "method": "GET", "url": "/users?$top=2"}]})),
            &[("Host", forged)],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert!(!reply.text.contains("evil.example"), "{}", reply.text);
    assert!(
        reply.text.contains(&harness.server.base_url()),
        "{}",
        reply.text
    );
}

#[test]
fn an_acknowledged_write_is_in_the_state_file_before_its_answer_issue_12() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tenant.json");
    let harness = start_plain();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let saving = anchorsync_twin::save_after_writes(harness.server.twin().clone(), state.clone());
    let saver = runtime.spawn(saving);
    runtime.block_on(async {
        let token = harness.token(APP).await;
        for title in ["First", "Second", "Third"] {
            let reply = harness
                .patch(
                    &format!("/users/{ALICE}"),
                    &token,
                    json!({"jobTitle": title}),
                )
                .await;
            assert_eq!(reply.status, 204, "{}", reply.text);
            // Read at once, with no waiting: the answer left only after the save.
            let saved = anchorsync_twin::read_snapshot(&state).unwrap();
            let alice = saved.users.iter().find(|user| user.id == ALICE).unwrap();
            assert_eq!(alice.job_title.as_deref(), Some(title));
        }
        // Reads are answered without a save.
        let reply = harness.get("/users?$top=1", &token).await;
        assert_eq!(reply.status, 200);
    });
    saver.abort();
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("tenant.json")]);
}
