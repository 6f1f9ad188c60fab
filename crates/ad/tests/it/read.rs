//! Reading the users in scope: by OU, filter and nested group, paged, binary-safe, unicode.

use std::collections::BTreeSet;
use std::process::Command;

use anchorsync_ad::Error;
use anchorsync_core::directory::OnPremUser;
use anchorsync_core::progress::NoProgress;
use anchorsync_testkit::TestDirectory;

use crate::{config, connect};

fn dns(entries: &[anchorsync_core::directory::DirectoryEntry]) -> BTreeSet<String> {
    entries
        .iter()
        .map(|entry| entry.dn.to_lowercase())
        .collect()
}

fn expected<'a>(dns: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
    dns.into_iter().map(|dn| dn.to_lowercase()).collect()
}

#[tokio::test]
async fn reads_every_fixture_user_across_many_pages_issue_3() {
    let directory = TestDirectory::from_env();
    let fixture = &directory.fixture;
    assert!(fixture.users.len() > 1500);
    let mut connection = connect(&config(&directory, &fixture.root())).await;
    let entries = connection.read_users(&NoProgress).await.unwrap();
    assert_eq!(entries.len(), fixture.users.len());
    assert_eq!(dns(&entries), expected(fixture.users.iter().map(|u| &u.dn)));
}

#[tokio::test]
async fn scope_by_ou_and_excluded_ou_issue_3() {
    let directory = TestDirectory::from_env();
    let fixture = &directory.fixture;
    let mut ad = config(&directory, &fixture.ou("Sales"));
    let sales = connect(&ad).await.read_users(&NoProgress).await.unwrap();
    assert_eq!(sales.len(), 13, "Sales and its nested Interns OU");
    assert_eq!(
        dns(&sales),
        expected(
            fixture
                .users_under(&fixture.ou("Sales"))
                .iter()
                .map(|u| &u.dn)
        )
    );

    ad.exclude_ous = vec![fixture.ou("Interns").to_uppercase()];
    let without_interns = connect(&ad).await.read_users(&NoProgress).await.unwrap();
    assert_eq!(without_interns.len(), 8);
    assert!(without_interns.iter().all(|e| !e.dn.contains("OU=Interns")));

    // Two bases, one inside the other: nobody is read twice.
    ad.exclude_ous.clear();
    ad.base_dns = vec![
        fixture.ou("Interns"),
        fixture.ou("Sales"),
        fixture.ou("Tokyo"),
    ];
    let both = connect(&ad).await.read_users(&NoProgress).await.unwrap();
    assert_eq!(both.len(), 13 + 12);
}

#[tokio::test]
async fn scope_by_filter_issue_3() {
    let directory = TestDirectory::from_env();
    let fixture = &directory.fixture;
    let mut ad = config(&directory, &fixture.root());
    ad.filter = Some("(userAccountControl:1.2.840.113556.1.4.803:=2)".into());
    let disabled = connect(&ad).await.read_users(&NoProgress).await.unwrap();
    let expected_disabled: Vec<&String> = fixture
        .users
        .iter()
        .filter(|u| u.disabled)
        .map(|u| &u.dn)
        .collect();
    assert!(!expected_disabled.is_empty());
    assert_eq!(dns(&disabled), expected(expected_disabled));
    for entry in disabled {
        assert!(OnPremUser::from_entry(entry).unwrap().is_disabled());
    }

    ad.filter = Some("(department=Paris)".into());
    let paris = connect(&ad).await.read_users(&NoProgress).await.unwrap();
    assert_eq!(paris.len(), 12);
}

#[tokio::test]
async fn scope_by_nested_group_issue_3() {
    let directory = TestDirectory::from_env();
    let fixture = &directory.fixture;
    let mut ad = config(&directory, &directory.base);
    ad.group = Some(fixture.group("All Staff"));
    let members = connect(&ad).await.read_users(&NoProgress).await.unwrap();
    let nested = fixture.nested_members("All Staff");
    assert_eq!(nested.len(), 15);
    assert_eq!(
        dns(&members),
        expected(&nested),
        "members of nested groups count, groups do not"
    );

    ad.group = Some(fixture.group("Empty Group"));
    assert!(
        connect(&ad)
            .await
            .read_users(&NoProgress)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn binary_and_unicode_values_are_byte_exact_issue_3() {
    let directory = TestDirectory::from_env();
    let fixture = &directory.fixture;
    let mut connection = connect(&config(&directory, &fixture.root())).await;
    let entries = connection.read_users(&NoProgress).await.unwrap();
    let mut utf8_sids = 0;
    for fixture_user in &fixture.users {
        let entry = entries
            .iter()
            .find(|entry| entry.dn.eq_ignore_ascii_case(&fixture_user.dn))
            .unwrap_or_else(|| panic!("{} was not read", fixture_user.dn));
        assert_eq!(
            entry.values("objectGUID"),
            &[fixture_user.object_guid.to_vec()]
        );
        assert_eq!(
            entry.values("objectSid"),
            std::slice::from_ref(&fixture_user.object_sid)
        );
        utf8_sids += usize::from(std::str::from_utf8(&fixture_user.object_sid).is_ok());
        let consistency: Vec<Vec<u8>> = fixture_user.consistency_guid.iter().cloned().collect();
        assert_eq!(
            entry.values("mS-DS-ConsistencyGuid"),
            consistency.as_slice()
        );
        let user = OnPremUser::from_entry(entry.clone()).unwrap();
        assert_eq!(
            user.display_name.as_deref(),
            Some(fixture_user.display_name.as_str())
        );
        assert_eq!(
            user.proxy_addresses.len(),
            fixture_user.proxy_addresses.len()
        );
        assert_eq!(
            user.primary_smtp(),
            Some(format!("{}@example.com", fixture_user.sam_account_name).as_str())
        );
    }
    assert!(
        utf8_sids > 100,
        "the fixture has SIDs whose bytes are valid UTF-8"
    );
    let yamada = entries
        .iter()
        .find(|e| e.dn.starts_with("CN=山田 太郎,"))
        .unwrap();
    assert_eq!(
        yamada.values("displayName"),
        &["山田 太郎".as_bytes().to_vec()]
    );
    let ascii = entries
        .iter()
        .find(|e| e.dn.starts_with("CN=ascii guid,"))
        .unwrap();
    assert_eq!(ascii.values("objectGUID"), &[b"ABCDEFGHIJKLMNOP".to_vec()]);

    // And exactly what OpenLDAP's ldapsearch prints for the same users.
    let printed = ldapsearch(
        &directory,
        &fixture.ou("Special"),
        &["objectGUID", "objectSid", "mS-DS-ConsistencyGuid"],
    );
    let special: Vec<_> = entries
        .iter()
        .filter(|e| {
            e.dn.to_lowercase()
                .ends_with(&fixture.ou("Special").to_lowercase())
        })
        .collect();
    assert_eq!(special.len(), 4);
    for entry in special {
        let from_ldapsearch = printed
            .iter()
            .find(|printed| printed.dn.eq_ignore_ascii_case(&entry.dn))
            .unwrap_or_else(|| panic!("ldapsearch did not print {}", entry.dn));
        for attribute in ["objectGUID", "objectSid", "mS-DS-ConsistencyGuid"] {
            assert_eq!(
                entry.values(attribute),
                from_ldapsearch.values(attribute),
                "{attribute} of {}",
                entry.dn
            );
        }
    }
}

/// Runs `ldapsearch -LLL` and reads what it prints with anchorsync's LDIF reader.
fn ldapsearch(
    directory: &TestDirectory,
    base: &str,
    attributes: &[&str],
) -> Vec<anchorsync_core::directory::DirectoryEntry> {
    let output = Command::new("ldapsearch")
        .env("LDAPTLS_CACERT", &directory.ca_file)
        .args(["-LLL", "-x", "-H", &directory.url, "-D", &directory.bind_dn])
        .arg("-y")
        .arg(&directory.password_file)
        .args(["-b", base, "(objectClass=user)"])
        .args(attributes)
        .output()
        .expect("ldapsearch runs (scripts/install-test-deps.sh installs ldap-utils)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    anchorsync_ad::ldif::read_entries(&output.stdout, "ldapsearch")
        .unwrap()
        .into_iter()
        .map(|item| item.entry)
        .collect()
}

#[tokio::test]
async fn failover_starttls_and_certificate_checks_issue_3() {
    let directory = TestDirectory::from_env();
    let fixture = &directory.fixture;
    // The first server refuses connections; the second is the DC.
    let mut ad = config(&directory, &fixture.ou("Tokyo"));
    ad.connect_timeout_secs = 5;
    ad.servers.insert(0, "ldaps://127.0.0.1:9".into());
    let mut connection = connect(&ad).await;
    assert_eq!(connection.server(), directory.url);
    assert_eq!(connection.read_users(&NoProgress).await.unwrap().len(), 12);

    // StartTLS on ldap://.
    let mut ad = config(&directory, &fixture.ou("Tokyo"));
    ad.servers = vec![directory.url.replace("ldaps://", "ldap://")];
    ad.starttls = true;
    assert_eq!(
        connect(&ad)
            .await
            .read_users(&NoProgress)
            .await
            .unwrap()
            .len(),
        12
    );

    // Without the test CA the DC's certificate is not trusted.
    let mut ad = config(&directory, &fixture.ou("Tokyo"));
    ad.ca_file = None;
    let password = ad.password().unwrap();
    let error = anchorsync_ad::AdConnection::connect(&ad, &password, &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NoServer { .. }), "{error}");
    assert!(error.to_string().contains("certificate"), "{error}");

    // A wrong password stops at the first server instead of locking the account on every DC.
    let mut ad = config(&directory, &fixture.ou("Tokyo"));
    ad.servers.push(directory.url.clone());
    let error = anchorsync_ad::AdConnection::connect(
        &ad,
        &anchorsync_core::secret::Secret::new("wrong"),
        &NoProgress,
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::Bind { rc: 49, .. }), "{error}");
}

#[tokio::test]
async fn skipping_certificate_checks_is_explicit_and_warned_about_issue_3() {
    #[derive(Default)]
    struct Notes(std::sync::Mutex<Vec<String>>);
    impl anchorsync_core::progress::Reporter for Notes {
        fn on_note(&self, message: &str) {
            self.0.lock().unwrap().push(message.to_owned());
        }
    }
    let directory = TestDirectory::from_env();
    let mut ad = config(&directory, &directory.fixture.ou("Paris"));
    ad.ca_file = None;
    ad.danger_skip_certificate_check = true;
    let notes = Notes::default();
    let password = ad.password().unwrap();
    let mut connection = anchorsync_ad::AdConnection::connect(&ad, &password, &notes)
        .await
        .unwrap();
    assert_eq!(connection.read_users(&NoProgress).await.unwrap().len(), 12);
    let notes = notes.0.into_inner().unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("warning: `[ad].danger_skip_certificate_check` is on")),
        "{notes:?}"
    );
}
