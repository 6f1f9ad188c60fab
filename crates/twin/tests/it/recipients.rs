//! `/groups` and `/contacts`: `$select`, `$top` and `@odata.nextLink` paging over the snapshot's groups
//! and contacts, and the permissions Graph documents for them.

use anchorsync_core::tenant::CloudRecipient;
use anchorsync_twin::TenantSnapshot;
use serde_json::{Value, json};

use crate::support::*;

fn recipient(id: &str, name: &str, proxy: &str) -> CloudRecipient {
    CloudRecipient {
        id: id.into(),
        display_name: Some(name.into()),
        mail: Some(proxy.trim_start_matches("SMTP:").into()),
        mail_nickname: Some(name.to_lowercase()),
        proxy_addresses: vec![proxy.into()],
        other: serde_json::Map::from_iter([("mailEnabled".to_owned(), Value::Bool(true))]),
    }
}

fn seeded() -> TenantSnapshot {
    TenantSnapshot {
        groups: (0..5)
            .map(|n| {
                recipient(
                    &format!("g{n}"),
                    &format!("Group{n}"),
                    &format!("SMTP:group{n}@contoso.com"),
                )
            })
            .collect(),
        contacts: vec![recipient("c0", "Partner", "SMTP:partner@fabrikam.example")],
        ..tenant()
    }
}

/// Follows `@odata.nextLink` from `path`, collecting every page's ids.
async fn all_ids(harness: &Harness, path: &str, token: &str) -> (Vec<String>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut next = format!("{}{path}", harness.server.base_url());
    loop {
        let reply = harness
            .get(next.trim_start_matches(&harness.server.base_url()), token)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let body = reply.json();
        pages += 1;
        for object in body["value"].as_array().unwrap() {
            ids.push(object["id"].as_str().unwrap().to_owned());
        }
        match body["@odata.nextLink"].as_str() {
            Some(link) => next = link.to_owned(),
            None => return (ids, pages),
        }
    }
}

#[tokio::test]
async fn groups_list_with_select_and_paging() {
    let harness = start_with(seeded(), config());
    let token = harness.token(APP).await;
    let reply = harness
        .get("/groups?$select=id,mail,proxyAddresses&$top=2", &token)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = reply.json();
    assert_eq!(
        body["@odata.context"],
        format!(
            "{}/$metadata#groups(id,mail,proxyAddresses)",
            harness.server.base_url()
        )
    );
    assert_eq!(
        body["value"],
        json!([
            {"id": "g0", "mail": "group0@contoso.com", "proxyAddresses": ["SMTP:group0@contoso.com"]},
            {"id": "g1", "mail": "group1@contoso.com", "proxyAddresses": ["SMTP:group1@contoso.com"]},
        ])
    );
    assert!(body["@odata.nextLink"].as_str().unwrap().contains("$top=2"));
    let (ids, pages) = all_ids(&harness, "/groups?$select=id&$top=2", &token).await;
    assert_eq!(ids, ["g0", "g1", "g2", "g3", "g4"]);
    assert_eq!(pages, 3);
    // Without `$select`: what the snapshot holds, its other properties included.
    let default = harness.get("/groups", &token).await.json();
    assert_eq!(default["value"][4]["displayName"], "Group4");
    assert_eq!(default["value"][4]["mailEnabled"], true);
    assert!(default.get("@odata.nextLink").is_none());
    // A property the type does not have is Graph's 400.
    let unknown = harness
        .get("/groups?$select=userPrincipalName", &token)
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.text);
    assert!(
        unknown.text.contains("microsoft.graph.group"),
        "{}",
        unknown.text
    );
    let top = harness.get("/groups?$top=1000", &token).await;
    assert_eq!(top.status, 400, "{}", top.text);
}

#[tokio::test]
async fn contacts_list_and_snapshot_round_trip() {
    let harness = start_with(seeded(), config());
    let token = harness.token(APP).await;
    let reply = harness
        .get("/contacts?$select=id,displayName,mailNickname", &token)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json()["value"],
        json!([{"id": "c0", "displayName": "Partner", "mailNickname": "partner"}])
    );
    // What the twin was seeded with is what it saves.
    let saved = harness.server.snapshot();
    assert_eq!(saved.groups, seeded().groups);
    assert_eq!(saved.contacts, seeded().contacts);
}

#[tokio::test]
async fn groups_and_contacts_need_their_permissions() {
    let harness = start_with(seeded(), config());
    // The reader app holds User.Read.All only.
    let token = harness.token(READER).await;
    for path in ["/groups", "/contacts"] {
        let reply = harness.get(path, &token).await;
        assert_eq!(reply.status, 403, "{path}: {}", reply.text);
        assert!(
            reply.text.contains("Authorization_RequestDenied"),
            "{path}: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn two_groups_with_one_id_are_refused() {
    let mut snapshot = seeded();
    snapshot
        .groups
        .push(recipient("G0", "Again", "SMTP:again@contoso.com"));
    let error = anchorsync_twin::Twin::new(snapshot, config())
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("two groups with the id `G0`"), "{error}");
}
