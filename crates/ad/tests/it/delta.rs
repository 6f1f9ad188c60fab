//! Delta reads: DirSync, and the uSNChanged fallback for accounts without the replication right.

use std::collections::BTreeSet;

use anchorsync_ad::{DeltaMode, SyncCookie};
use anchorsync_core::progress::{NoProgress, Reporter};
use anchorsync_testkit::TestDirectory;
use std::sync::Mutex;

use crate::{config, connect, connect_with};

#[derive(Default)]
struct Notes(Mutex<Vec<String>>);
impl Reporter for Notes {
    fn on_note(&self, message: &str) {
        self.0.lock().unwrap().push(message.to_owned());
    }
}

fn dns(entries: &[anchorsync_core::directory::DirectoryEntry]) -> BTreeSet<String> {
    entries.iter().map(|entry| entry.dn.clone()).collect()
}

#[tokio::test]
async fn dirsync_returns_exactly_the_users_changed_since_the_cookie_issue_3() {
    let directory = TestDirectory::from_env();
    let mut admin = directory.admin().await;
    let ou = directory.unique_ou(&mut admin, "dirsync").await;
    let mut users = Vec::new();
    for n in 0..5 {
        users.push(
            directory
                .add_user(
                    &mut admin,
                    &ou,
                    &format!("Delta {n}"),
                    &format!("dirsync{n}-{}", std::process::id() % 10_000),
                )
                .await,
        );
    }
    let mut connection = connect(&config(&directory, &ou)).await;

    let first = connection.read_changes(None, &NoProgress).await.unwrap();
    assert!(first.full);
    assert_eq!(first.mode, DeltaMode::DirSync);
    assert_eq!(first.changed.len(), 5);

    // Nothing changed: nothing comes back.
    let idle = connection
        .read_changes(Some(&first.cookie), &NoProgress)
        .await
        .unwrap();
    assert!(!idle.full);
    assert!(idle.changed.is_empty(), "{:?}", dns(&idle.changed));

    anchorsync_testkit::replace_text(
        &mut admin,
        &users[1],
        "telephoneNumber",
        &["+81 3 0000 0001"],
    )
    .await;
    anchorsync_testkit::replace_text(&mut admin, &users[3], "title", &["Manager"]).await;
    let delta = connection
        .read_changes(Some(&idle.cookie), &NoProgress)
        .await
        .unwrap();
    assert_eq!(
        dns(&delta.changed),
        BTreeSet::from([users[1].clone(), users[3].clone()])
    );
    // Whole entries, not only the changed attribute.
    let changed = delta.changed.iter().find(|e| e.dn == users[3]).unwrap();
    assert_eq!(changed.values("title"), &[b"Manager".to_vec()]);
    assert_eq!(changed.values("objectGUID").len(), 1);
    assert!(!changed.values("userPrincipalName").is_empty());

    // A deleted user departs.
    let gone_guid = directory
        .read_values(&mut admin, &users[4], "objectGUID")
        .await
        .remove(0);
    admin.delete(&users[4]).await.unwrap().success().unwrap();
    let delta = connection
        .read_changes(Some(&delta.cookie), &NoProgress)
        .await
        .unwrap();
    assert!(delta.changed.is_empty(), "{:?}", dns(&delta.changed));
    let gone = anchorsync_core::identifier::ObjectGuid::try_from_ad_bytes(&gone_guid).unwrap();
    assert!(delta.departed.contains(&gone));
}

#[tokio::test]
async fn usn_fallback_without_the_replication_right_issue_3() {
    let directory = TestDirectory::from_env();
    let mut admin = directory.admin().await;
    let ou = directory.unique_ou(&mut admin, "usn").await;
    let sam = format!("reader{}", std::process::id() % 100_000);
    let password = "Reader-Passw0rd-1!";
    let reader = directory
        .add_user_with_password(&mut admin, &ou, &sam, password)
        .await;
    let a = directory
        .add_user(
            &mut admin,
            &ou,
            "Usn A",
            &format!("usna{}", std::process::id() % 100_000),
        )
        .await;
    let b = directory
        .add_user(
            &mut admin,
            &ou,
            "Usn B",
            &format!("usnb{}", std::process::id() % 100_000),
        )
        .await;

    let mut ad = config(&directory, &ou);
    ad.bind = reader.clone();
    ad.password_file = None;
    ad.password_env = Some("UNUSED".into());
    let mut connection = connect_with(&ad, password).await;
    let notes = Notes::default();
    let first = connection.read_changes(None, &notes).await.unwrap();
    assert_eq!(first.mode, DeltaMode::UsnChanged);
    assert!(first.full);
    assert_eq!(first.changed.len(), 3);
    let notes = notes.0.into_inner().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains(&format!(
            "`{reader}` lacks the \"Replicating Directory Changes\" right"
        )),
        "{}",
        notes[0]
    );

    anchorsync_testkit::replace_text(&mut admin, &b, "department", &["Changed"]).await;
    let delta = connection
        .read_changes(Some(&first.cookie), &NoProgress)
        .await
        .unwrap();
    assert!(!delta.full);
    assert_eq!(dns(&delta.changed), BTreeSet::from([b.clone()]));
    let idle = connection
        .read_changes(Some(&delta.cookie), &NoProgress)
        .await
        .unwrap();
    assert!(idle.changed.is_empty(), "{:?}", dns(&idle.changed));
    let _ = a;

    // A cookie from another DC starts over.
    let foreign = SyncCookie {
        mode: DeltaMode::UsnChanged,
        value: b"CN=NTDS Settings,CN=OTHER\n1".to_vec(),
    };
    assert!(
        connection
            .read_changes(Some(&foreign), &NoProgress)
            .await
            .unwrap()
            .full
    );
}
