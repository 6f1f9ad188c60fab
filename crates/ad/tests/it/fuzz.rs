//! Fuzz targets of the on-premises readers (issue 12), driven by `anchorsync_testkit::fuzz`: valid
//! LDIF and Export-Csv files edited at random (and arbitrary bytes) must be read or refused, never
//! panic; what is read holds each DN once. `ANCHORSYNC_FUZZ_CASES` sets how many inputs each target
//! tries (docs/FUZZING.md).

use std::path::Path;

use anchorsync_ad::dn::NormalizedDn;
use anchorsync_ad::export_csv;
use anchorsync_ad::file::{FileFormat, detect_format, read_csv_users, read_ldif_users};
use anchorsync_ad::ldif::{LdifReader, changes};
use anchorsync_testkit::fuzz::{config, mutated};
use proptest::prelude::*;

const LDIF_SEEDS: &[&str] = &[
    "version: 1\n\n# ldapsearch\ndn: CN=Taro Yamada,OU=Tokyo,DC=corp,DC=example,DC=com\nobjectClass: top\n\
     objectClass: user\nobjectGUID:: iGhmiAEBERG7uxI0VniQqw==\nuserPrincipalName: taro@example.com\n\
     proxyAddresses: SMTP:taro@example.com\ndescription: a value folded over\n  two lines\n\n\
     dn:: Q0495bGx55SwLE9VPVRva3lvLERDPWNvcnA=\nobjectClass: user\nmS-DS-ConsistencyGuid:: AQIDBAUGBwgJCgsMDQ4PEA==\n\
     objectSid:: AQUAAAAAAAUVAAAAAQAAAAIAAAADAAAAUQQAAA==\n\n# search result\nsearch: 2\nresult: 0 Success\n",
    "\u{feff}dn: CN=A,DC=corp\r\nchangetype: add\r\nobjectClass: user\r\nsAMAccountName: a\r\n\r\n",
    "dn: CN=A,DC=corp\nchangetype: modify\nreplace: mS-DS-ConsistencyGuid\nmS-DS-ConsistencyGuid:: iGhmiAEBERG7uxI0VniQqw==\n-\n\n",
];

const LDIF_TOKENS: &[&str] = &[
    "\n",
    "\r\n",
    "\r",
    "\n ",
    ":",
    "::",
    ":<",
    " ",
    "dn: ",
    "dn:: ",
    "=",
    ",",
    "\\",
    "#",
    "-\n",
    "version: 2\n",
    "changetype: delete\n",
    "objectClass: user\n",
    "\u{1b}[2J",
    "日本",
    "\u{0}",
    "dn: CN=Taro Yamada,OU=Tokyo,DC=corp,DC=example,DC=com\n",
];

const CSV_SEEDS: &[&str] = &[
    "#TYPE Microsoft.ActiveDirectory.Management.ADUser\n\"DistinguishedName\",\"ObjectGUID\",\"UserPrincipalName\",\"SamAccountName\",\"proxyAddresses\",\"mS-DS-ConsistencyGuid\",\"objectSid\"\n\
     \"CN=Taro,OU=Tokyo,DC=corp\",\"88666888-0101-1111-bbbb-1234567890ab\",\"taro@example.com\",\"taro\",\"SMTP:taro@example.com;smtp:t@example.com\",\"iGhmiAEBERG7uxI0VniQqw==\",\"S-1-5-21-1-2-3-1105\"\n\
     \"CN=Hanako \"\"H\"\",OU=Tokyo,DC=corp\",\"04030201-0605-0807-090a-0b0c0d0e0f10\",\"hanako@example.com\",\"hanako\",\"\",\"\",\"\"\n",
    "\u{feff}DistinguishedName,ObjectGUID,EmailAddress\r\n\"CN=A,DC=corp\",88666888-0101-1111-bbbb-1234567890ab,a@example.com\r\n",
];

const CSV_TOKENS: &[&str] = &[
    "\"",
    "\"\"",
    ",",
    "\n",
    "\r\n",
    "\r",
    " ",
    "#TYPE x\n",
    "System.Byte[]",
    "\"DistinguishedName\"",
    "\u{1b}",
    "日本",
    "\u{0}",
];

fn bytes(texts: &[&str]) -> Vec<Vec<u8>> {
    texts.iter().map(|text| text.as_bytes().to_vec()).collect()
}

/// No two users of a file that was read have one DN (issue 12, item 3).
fn dns_are_unique(users: &[anchorsync_core::directory::OnPremUser]) -> Result<(), TestCaseError> {
    let mut seen = std::collections::HashSet::new();
    for user in users {
        prop_assert!(
            seen.insert(NormalizedDn::new(&user.dn)),
            "`{}` read twice",
            user.dn
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn fuzz_ldif_reader(input in mutated(bytes(LDIF_SEEDS), bytes(LDIF_TOKENS))) {
        let _ = detect_format(&input);
        for entry in LdifReader::new(&input, "fuzz.ldif") {
            if let Err(error) = entry {
                // Errors render, and never quote a control character raw or a line whole.
                let shown = error.to_string();
                prop_assert!(!shown.contains('\u{1b}'), "{shown:?}");
                prop_assert!(shown.len() < 1_000, "{} bytes", shown.len());
                break;
            }
        }
        if let Ok(users) = read_ldif_users(&input, Path::new("fuzz.ldif")) {
            dns_are_unique(&users)?;
        }
        let _ = changes::read_changes(&input, "fuzz.ldif");
    }

    #[test]
    fn fuzz_export_csv_reader(input in mutated(bytes(CSV_SEEDS), bytes(CSV_TOKENS))) {
        let _ = detect_format(&input);
        let extra = ["mS-DS-ConsistencyGuid".to_owned(), "employeeID".to_owned()];
        if let Err(error) = export_csv::read_entries(&input, "fuzz.csv", &extra) {
            let _ = error.to_string();
            let _ = error.hint();
        }
        if detect_format(&input) == Some(FileFormat::ExportCsv)
            && let Ok(users) = read_csv_users(&input, Path::new("fuzz.csv"), &extra)
        {
            dns_are_unique(&users)?;
        }
    }
}
