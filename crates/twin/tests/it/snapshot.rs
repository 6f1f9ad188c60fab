//! The tenant snapshot format: load, serve, save gives the same bytes (issue 4 item 7).

use anchorsync_twin::{TenantSnapshot, Twin, TwinConfig, read_snapshot, write_snapshot};
use serde_json::json;

use crate::support::*;

#[test]
fn loading_then_saving_an_unchanged_tenant_gives_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenant.json");
    let original = tenant().to_json().unwrap();
    std::fs::write(&path, &original).unwrap();
    let twin = Twin::new(read_snapshot(&path).unwrap(), config()).unwrap();
    write_snapshot(&path, &twin.snapshot()).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    // No temporary file is left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[tokio::test]
async fn snapshot_serve_snapshot_again_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tenant.json");
    let harness = start();
    let token = harness.token(APP).await;
    let reply = harness
        .patch(
            &format!("/users/{ALICE}"),
            &token,
            json!({"jobTitle": "Lead", "city": "Osaka"}),
        )
        .await;
    assert_eq!(reply.status, 204);
    let changed = harness.server.snapshot();
    let alice = changed.users.iter().find(|user| user.id == ALICE).unwrap();
    assert_eq!(alice.job_title.as_deref(), Some("Lead"));
    assert_eq!(alice.other.get("city"), Some(&json!("Osaka")));
    write_snapshot(&path, &changed).unwrap();
    let first = std::fs::read(&path).unwrap();
    // Serve the saved state again and save it: the same file.
    let again = start_with(read_snapshot(&path).unwrap(), config());
    write_snapshot(&path, &again.server.snapshot()).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), first);
}

#[test]
fn bad_snapshot_files_are_named_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, "{\n  \"users\": [\n    {\"id\": 5}\n  ]\n}\n").unwrap();
    let error = read_snapshot(&path).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!(
            "`{}` is not a tenant snapshot (line 3,",
            path.display()
        )),
        "{error}"
    );
    let missing = read_snapshot(&dir.path().join("missing.json"))
        .unwrap_err()
        .to_string();
    assert!(missing.starts_with("cannot read"), "{missing}");
}

#[test]
fn snapshots_breaking_uniqueness_are_refused() {
    let mut json = tenant_json();
    json["users"][1]["onPremisesSecurityIdentifier"] =
        json!("s-1-5-21-2163380169-504978394-64678411-1102");
    let snapshot: TenantSnapshot = serde_json::from_value(json).unwrap();
    let error = Twin::new(snapshot, TwinConfig::default()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "the snapshot has two users with onPremisesSecurityIdentifier `S-1-5-21-2163380169-504978394-64678411-1102`: `{BOB}` and `{CAROL}`"
        )
    );
}
