//! Reading a whole tenant (issue 4): the round trip "snapshot, serve with the twin, snapshot again"
//! gives the same bytes; a 403 on onPremisesSynchronization is a warning, not a failure.

use anchorsync_core::progress::NoProgress;
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_twin::TwinServer;

use crate::support::*;

fn to_bytes(snapshot: &TenantSnapshot) -> Vec<u8> {
    serde_json::to_vec_pretty(snapshot).unwrap()
}

#[tokio::test]
async fn snapshot_serve_snapshot_gives_the_same_bytes_issue_4() {
    let first_server = start();
    let first = client(&first_server, APP)
        .read_snapshot(&NoProgress)
        .await
        .unwrap();
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    let snapshot = &first.snapshot;
    assert_eq!(snapshot.users.len(), USER_COUNT);
    assert_eq!(snapshot.domains.len(), 4);
    assert_eq!(snapshot.role_assignments.len(), 2);
    assert!(snapshot.on_premises_synchronization.is_some());
    // Sorted, whatever order the tenant keeps.
    assert!(
        snapshot
            .users
            .windows(2)
            .all(|pair| pair[0].id < pair[1].id)
    );
    assert!(
        snapshot
            .domains
            .windows(2)
            .all(|pair| pair[0].id < pair[1].id)
    );

    let bytes = to_bytes(snapshot);
    let served: TenantSnapshot = serde_json::from_slice(&bytes).unwrap();
    let second_server = TwinServer::start(served, config()).unwrap();
    let second = client(&second_server, APP)
        .read_snapshot(&NoProgress)
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8(to_bytes(&second.snapshot)).unwrap(),
        String::from_utf8(bytes).unwrap()
    );
}

#[tokio::test]
async fn a_refused_synchronisation_read_is_a_warning_issue_4() {
    let server = start();
    let read = client(&server, NO_SYNC_APP)
        .read_snapshot(&NoProgress)
        .await
        .unwrap();
    assert_eq!(read.snapshot.on_premises_synchronization, None);
    assert_eq!(read.snapshot.users.len(), USER_COUNT);
    assert_eq!(read.warnings.len(), 1);
    assert!(
        read.warnings[0].starts_with("`onPremisesSynchronization` was not read (`GET /directory/onPremisesSynchronization` answered 403"),
        "{}",
        read.warnings[0]
    );
}
