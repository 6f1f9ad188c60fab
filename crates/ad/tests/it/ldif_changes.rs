//! LDIF change records applied to an LDIF export (`anchorsync_ad::ldif::changes`) give the values
//! OpenLDAP's `ldapmodify -c` gives applying the same file to the Samba DC, and refuse the same records
//! with the same result codes.

use std::collections::BTreeMap;
use std::process::Command;

use anchorsync_ad::ldif::changes::apply_to_content;
use anchorsync_ad::ldif::{LdifWriter, read_entries};
use anchorsync_core::directory::DirectoryEntry;
use anchorsync_testkit::TestDirectory;

const OLD: [u8; 16] = *b"\x88\x68\x66\x88\x01\x01\x11\x11\xbb\xbb\x12\x34\x56\x78\x90\xab";
const NEW: [u8; 16] = *b"ABCDEFGHIJKLMNOP";
const OTHER: [u8; 16] = *b"0123456789abcdef";
const ATTRIBUTES: [&str; 4] = [
    "mS-DS-ConsistencyGuid",
    "otherMailbox",
    "description",
    "mail",
];

/// `ldapsearch -LLL` of the users below `base`: the export the changes are applied to offline.
fn export(directory: &TestDirectory, base: &str) -> Vec<u8> {
    let output = Command::new("ldapsearch")
        .env("LDAPTLS_CACERT", &directory.ca_file)
        .args(["-LLL", "-x", "-H", &directory.url, "-D", &directory.bind_dn])
        .arg("-y")
        .arg(&directory.password_file)
        .args(["-b", base, "(objectClass=user)"])
        .args(ATTRIBUTES)
        .output()
        .expect("ldapsearch runs (scripts/install-test-deps.sh installs ldap-utils)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Each entry's values of [`ATTRIBUTES`], by lowercased DN, values sorted (a directory keeps no order
/// among the values of one attribute).
fn values(ldif: &[u8]) -> BTreeMap<String, BTreeMap<String, Vec<Vec<u8>>>> {
    read_entries(ldif, "export")
        .unwrap()
        .into_iter()
        .map(|read| {
            let entry: DirectoryEntry = read.entry;
            let attributes = ATTRIBUTES
                .iter()
                .map(|attribute| {
                    let mut values = entry.values(attribute).to_vec();
                    values.sort();
                    (attribute.to_lowercase(), values)
                })
                .collect();
            (entry.dn.to_lowercase(), attributes)
        })
        .collect()
}

/// The result codes `ldapmodify -c` reports, in order (`ldap_modify: No such attribute (16)`).
fn refused_codes(stderr: &str) -> Vec<u32> {
    stderr
        .lines()
        .filter(|line| line.starts_with("ldap_modify: "))
        .filter_map(|line| {
            let code = line.rsplit_once('(')?.1.trim_end_matches(')');
            code.parse().ok()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_applied_to_an_export_give_what_ldapmodify_gives_on_the_dc() {
    let directory = TestDirectory::from_env();
    let mut admin = directory.admin().await;
    let ou = directory.unique_ou(&mut admin, "ldif-apply").await;
    let taro = directory
        .add_user(&mut admin, &ou, "山田 太郎", "yamada")
        .await;
    let hanako = directory
        .add_user(&mut admin, &ou, "Hanako Sato", "hanako")
        .await;
    let ken = directory.add_user(&mut admin, &ou, "Ken Ito", "ken").await;
    anchorsync_testkit::replace_bytes(&mut admin, &taro, "mS-DS-ConsistencyGuid", &[&OLD]).await;
    anchorsync_testkit::replace_text(
        &mut admin,
        &ken,
        "otherMailbox",
        &["ken@example.com", "ito@example.com"],
    )
    .await;
    anchorsync_testkit::replace_text(&mut admin, &ken, "description", &["before"]).await;
    let before = export(&directory, &ou);

    // What `apply --emit ldif` writes, and the other operations ldapmodify knows, some of them refused.
    let mut writer = LdifWriter::new(Vec::new(), "changes").unwrap();
    // Accepted: the compare-and-set of a hard-ad step, and a first value.
    writer
        .write_compare_and_set(&taro, "mS-DS-ConsistencyGuid", Some(&OLD), Some(&NEW))
        .unwrap();
    writer
        .write_compare_and_set(&hanako, "mS-DS-ConsistencyGuid", None, Some(&NEW))
        .unwrap();
    // Refused (16): the same compare-and-set again, now that the value is no longer OLD.
    writer
        .write_compare_and_set(&taro, "mS-DS-ConsistencyGuid", Some(&OLD), Some(&OTHER))
        .unwrap();
    let mut changes = writer.finish().unwrap();
    let text = format!(
        // Accepted: add, delete of one value (spelled in another case: text values compare ignoring
        // case), replace, in one record.
        "dn: {ken}\nchangetype: modify\nadd: otherMailbox\notherMailbox: k.ito@example.com\n-\n\
         delete: otherMailbox\notherMailbox: ITO@Example.com\n-\nreplace: description\ndescription: after\n-\n\n\
         # Refused (16), and whole: the add before the failing delete is not kept either.\n\
         dn: {ken}\nchangetype: modify\nadd: mail\nmail: ken@example.com\n-\n\
         delete: otherMailbox\notherMailbox: nobody@example.com\n-\n\n\
         # Refused (20): a value the attribute holds.\n\
         dn: {ken}\nchangetype: modify\nadd: otherMailbox\notherMailbox: ken@example.com\n-\n\n\
         # Refused (16): the whole attribute, which is absent.\n\
         dn: {hanako}\nchangetype: modify\ndelete: description\n-\n\n\
         # Accepted: replace without values removes the attribute.\n\
         dn: {ken}\nchangetype: modify\nreplace: description\n-\n\n\
         # Refused (20): a second value for a single-valued attribute.\n\
         dn: {hanako}\nchangetype: modify\nadd: mS-DS-ConsistencyGuid\n\
         mS-DS-ConsistencyGuid:: MDEyMzQ1Njc4OWFiY2RlZg==\n-\n\n\
         # Refused (32): nobody has this DN.\n\
         dn: CN=Nobody,{ou}\nchangetype: modify\nreplace: description\ndescription: x\n-\n\n"
    );
    changes.extend_from_slice(text.as_bytes());
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("changes.ldif");
    std::fs::write(&file, &changes).unwrap();

    // Offline, on the export.
    let applied =
        apply_to_content(&before, "export.ldif", &changes, "changes.ldif", "applied").unwrap();
    let offline_codes: Vec<u32> = applied
        .refused
        .iter()
        .map(|refused| refused.refusal.result_code())
        .collect();
    assert_eq!(
        offline_codes,
        [16, 16, 20, 16, 20, 32],
        "{:?}",
        applied.refused
    );
    assert_eq!(applied.applied, 4);

    // On the DC, by ldapmodify going on past refused records.
    let output = Command::new("ldapmodify")
        .args([
            "-c",
            "-x",
            "-H",
            &directory.url,
            "-D",
            &directory.bind_dn,
            "-y",
        ])
        .arg(&directory.password_file)
        .arg("-f")
        .arg(&file)
        .env("LDAPTLS_CACERT", &directory.ca_file)
        .output()
        .expect("ldapmodify runs (scripts/install-test-deps.sh installs ldap-utils)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(refused_codes(&stderr), offline_codes, "{stderr}");

    // The same values, entry by entry.
    let online = values(&export(&directory, &ou));
    let offline = values(&applied.ldif);
    assert_eq!(offline, online);
    // And they are the intended ones (the comparison above would also hold if both did nothing).
    let key = |dn: &str| dn.to_lowercase();
    let attribute = |dn: &str, name: &str| online[&key(dn)][&name.to_lowercase()].clone();
    assert_eq!(attribute(&taro, "mS-DS-ConsistencyGuid"), [NEW.to_vec()]);
    assert_eq!(attribute(&hanako, "mS-DS-ConsistencyGuid"), [NEW.to_vec()]);
    assert_eq!(
        attribute(&ken, "otherMailbox"),
        [b"k.ito@example.com".to_vec(), b"ken@example.com".to_vec()]
    );
    assert!(attribute(&ken, "description").is_empty());
    assert!(attribute(&ken, "mail").is_empty());
}
