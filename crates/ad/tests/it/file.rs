//! Reading user files (issue 3, offline inputs).

use std::io::Write as _;

use anchorsync_ad::file::{FileError, read_users};

fn write_temp(bytes: &[u8], suffix: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new().suffix(suffix).tempfile().unwrap();
    file.write_all(bytes).unwrap();
    file
}

const TWO_USERS: &str = "dn: CN=Taro Yamada,OU=Tokyo,DC=corp,DC=example,DC=com\n\
objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: user\n\
objectGUID:: iGhmiAEBERG7uxI0VniQqw==\nuserPrincipalName: taro@corp.example.com\n\
proxyAddresses: SMTP:taro@example.com\n\n\
dn: CN=PC01,OU=Tokyo,DC=corp,DC=example,DC=com\nobjectClass: user\nobjectClass: computer\n\n\
dn: OU=Tokyo,DC=corp,DC=example,DC=com\nobjectClass: organizationalUnit\n\n";

#[test]
fn ldif_users_only_computers_and_ous_skipped() {
    let file = write_temp(TWO_USERS.as_bytes(), ".ldif");
    let users = read_users(file.path()).unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(
        users[0].object_guid.unwrap().to_string(),
        "88666888-0101-1111-bbbb-1234567890ab"
    );
}

#[test]
fn utf16_ldif_from_ldifde_u() {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in TWO_USERS.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let file = write_temp(&bytes, ".ldf");
    assert_eq!(read_users(file.path()).unwrap().len(), 1);
}

#[test]
fn bad_entry_names_file_line_and_dn_and_returns_nothing() {
    let text = format!(
        "{TWO_USERS}dn: CN=Broken,DC=corp,DC=example,DC=com\nobjectClass: user\nobjectGUID:: AQID\n\n"
    );
    let file = write_temp(text.as_bytes(), ".ldif");
    let error = read_users(file.path()).unwrap_err();
    assert!(
        matches!(error, FileError::Entry { line: 17, .. }),
        "{error:?}"
    );
    let chain = format!("{error}: {}", std::error::Error::source(&error).unwrap());
    assert!(chain.contains("line 17"), "{chain}");
    assert!(
        chain.contains("`CN=Broken,DC=corp,DC=example,DC=com`: `objectGUID`"),
        "{chain}"
    );
}
