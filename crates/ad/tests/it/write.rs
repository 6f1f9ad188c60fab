//! Compare-and-set writes of the anchor attribute.

use anchorsync_ad::Error;
use anchorsync_testkit::TestDirectory;

use crate::{config, connect};

const A: [u8; 16] = *b"\x88\x68\x66\x88\x01\x01\x11\x11\xbb\xbb\x12\x34\x56\x78\x90\xab";
const B: [u8; 16] = *b"ABCDEFGHIJKLMNOP";

#[tokio::test]
async fn binary_anchor_compare_and_set_refuses_a_stale_write_issue_3() {
    let directory = TestDirectory::from_env();
    let mut admin = directory.admin().await;
    let ou = directory.unique_ou(&mut admin, "cas-binary").await;
    let dn = directory
        .add_user(&mut admin, &ou, "Cas Binary", "cas.binary")
        .await;
    let mut connection = connect(&config(&directory, &ou)).await;

    // Empty → A, then A → B: each returns what it replaced.
    assert_eq!(
        connection.set_anchor(&dn, None, Some(&A)).await.unwrap(),
        None
    );
    assert_eq!(
        connection
            .set_anchor(&dn, Some(&A), Some(&B))
            .await
            .unwrap(),
        Some(A.to_vec())
    );
    assert_eq!(
        directory
            .read_values(&mut admin, &dn, "mS-DS-ConsistencyGuid")
            .await,
        vec![B.to_vec()]
    );

    // A caller still expecting A is refused, names the user and both values, and B stays.
    let error = connection
        .set_anchor(&dn, Some(&A), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::StaleValue { .. }), "{error}");
    assert_eq!(
        error.to_string(),
        format!(
            "`{dn}`: `mS-DS-ConsistencyGuid` was expected to be `iGhmiAEBERG7uxI0VniQqw==` (GUID \
             88666888-0101-1111-bbbb-1234567890ab) but is `QUJDREVGR0hJSktMTU5PUA==` (GUID \
             44434241-4645-4847-494a-4b4c4d4e4f50); nothing was written (read the user again and decide)"
        )
    );
    let error = connection
        .set_anchor(&dn, None, Some(&A))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::StaleValue { .. }), "{error}");
    assert_eq!(
        directory
            .read_values(&mut admin, &dn, "mS-DS-ConsistencyGuid")
            .await,
        vec![B.to_vec()]
    );

    // Clearing with the right expectation works.
    assert_eq!(
        connection.set_anchor(&dn, Some(&B), None).await.unwrap(),
        Some(B.to_vec())
    );
    assert!(
        directory
            .read_values(&mut admin, &dn, "mS-DS-ConsistencyGuid")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn string_anchor_compare_and_set_issue_3() {
    let directory = TestDirectory::from_env();
    let mut admin = directory.admin().await;
    let ou = directory.unique_ou(&mut admin, "cas-string").await;
    let dn = directory
        .add_user(&mut admin, &ou, "Cas String", "cas.string")
        .await;
    let mut ad = config(&directory, &ou);
    ad.anchor_attribute = "employeeID".into();
    let mut connection = connect(&ad).await;

    assert_eq!(
        connection
            .set_anchor(&dn, None, Some(b"E10023"))
            .await
            .unwrap(),
        None
    );
    // Someone else changes it.
    anchorsync_testkit::replace_text(&mut admin, &dn, "employeeID", &["E99999"]).await;
    let error = connection
        .set_anchor(&dn, Some(b"E10023"), Some(b"E20000"))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "`{dn}`: `employeeID` was expected to be `E10023` but is `E99999`; nothing was written \
             (read the user again and decide)"
        )
    );
    assert_eq!(
        directory.read_values(&mut admin, &dn, "employeeID").await,
        vec![b"E99999".to_vec()]
    );
    assert_eq!(
        connection
            .set_anchor(&dn, Some(b"E99999"), Some(b"E20000"))
            .await
            .unwrap(),
        Some(b"E99999".to_vec())
    );
    assert_eq!(
        directory.read_values(&mut admin, &dn, "employeeID").await,
        vec![b"E20000".to_vec()]
    );
}
