//! Export-Csv files read into the same users as a live read of the DC.

use anchorsync_ad::file;
use anchorsync_core::directory::{OnPremUser, ProfileAttribute};
use anchorsync_core::identifier::encode_base64;
use anchorsync_core::progress::NoProgress;
use anchorsync_testkit::TestDirectory;

use crate::{config, connect};

fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// What `Get-ADUser | Select-Object ... | Export-Csv` writes for these users with the export hint's
/// calculated properties, with Windows PowerShell 5.1's `#TYPE` line.
fn export_csv(users: &[OnPremUser]) -> String {
    let mut out = String::from("#TYPE Selected.Microsoft.ActiveDirectory.Management.ADUser\r\n");
    out.push_str("\"DistinguishedName\",\"Enabled\",\"ObjectGUID\",\"SID\",\"UserPrincipalName\",\"SamAccountName\",\"EmailAddress\",\"mailNickname\",\"DisplayName\",\"GivenName\",\"Surname\",\"Title\",\"Department\",\"EmployeeID\",\"EmployeeNumber\",\"OfficePhone\",\"MobilePhone\",\"Office\",\"userAccountControl\",\"uSNChanged\",\"proxyAddresses\",\"mS-DS-ConsistencyGuid\"");
    // The attributes a sync's flow reads, under their LDAP names (`-Properties cn,company,...`).
    for attribute in ProfileAttribute::ALL {
        out.push_str(&format!(",{}", quote(attribute.name())));
    }
    out.push_str("\r\n");
    for user in users {
        let text = |value: &Option<String>| quote(value.as_deref().unwrap_or(""));
        let fields = [
            quote(&user.dn),
            quote(if user.is_disabled() { "False" } else { "True" }),
            quote(&user.object_guid.unwrap().to_string()),
            quote(&user.object_sid.as_ref().unwrap().to_string()),
            text(&user.user_principal_name),
            text(&user.sam_account_name),
            text(&user.mail),
            text(&user.mail_nickname),
            text(&user.display_name),
            text(&user.given_name),
            text(&user.surname),
            text(&user.title),
            text(&user.department),
            text(&user.employee_id),
            text(&user.employee_number),
            text(&user.telephone_number),
            text(&user.mobile),
            text(&user.office),
            quote(&user.user_account_control.unwrap().to_string()),
            quote(&user.usn_changed.unwrap().to_string()),
            quote(&user.proxy_addresses.join(";")),
            quote(
                &user
                    .consistency_guid
                    .as_deref()
                    .map(encode_base64)
                    .unwrap_or_default(),
            ),
        ];
        let profile = ProfileAttribute::ALL
            .map(|attribute| quote(user.profile(attribute).unwrap_or_default()));
        out.push_str(&fields.join(","));
        out.push(',');
        out.push_str(&profile.join(","));
        out.push_str("\r\n");
    }
    out
}

#[tokio::test]
async fn utf16_and_utf8_exports_give_the_same_users_as_the_live_read_issue_3() {
    let directory = TestDirectory::from_env();
    let fixture = &directory.fixture;
    let mut ad = config(&directory, &fixture.ou("Tokyo"));
    ad.base_dns.push(fixture.ou("Special"));
    let entries = connect(&ad).await.read_users(&NoProgress).await.unwrap();
    let mut live: Vec<OnPremUser> = entries
        .into_iter()
        .map(|entry| {
            let mut user = OnPremUser::from_entry(entry).unwrap();
            // Export-Csv writes dates in the exporting machine's culture; the reader leaves them out.
            user.when_changed = None;
            user
        })
        .collect();
    live.sort_by(|a, b| a.dn.cmp(&b.dn));
    assert_eq!(live.len(), 16);
    let csv = export_csv(&live);

    let folder = tempfile::tempdir().unwrap();
    // Windows PowerShell 5.1 `-Encoding Unicode`: UTF-16LE with a byte-order mark.
    let utf16 = folder.path().join("users-utf16.csv");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(csv.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&utf16, bytes).unwrap();
    // `-Encoding UTF8`: a byte-order mark.
    let utf8 = folder.path().join("users-utf8.csv");
    std::fs::write(&utf8, [b"\xEF\xBB\xBF".as_slice(), csv.as_bytes()].concat()).unwrap();

    for path in [utf16, utf8] {
        let mut read = file::read_users(&path).unwrap();
        read.sort_by(|a, b| a.dn.cmp(&b.dn));
        assert_eq!(read, live, "{}", path.display());
    }
}

#[test]
fn get_aduser_properties_star_export_is_refused_with_a_hint_issue_3() {
    let csv = "#TYPE Microsoft.ActiveDirectory.Management.ADUser\r\n\"DistinguishedName\",\"ObjectGUID\",\"proxyAddresses\",\"mS-DS-ConsistencyGuid\"\r\n\"CN=Taro,DC=corp\",\"88666888-0101-1111-bbbb-1234567890ab\",\"Microsoft.ActiveDirectory.Management.ADPropertyValueCollection\",\"System.Byte[]\"\r\n";
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("star.csv");
    std::fs::write(&path, csv).unwrap();
    let error = file::read_users(&path).unwrap_err();
    let file::FileError::Csv(csv_error) = &error else {
        panic!("{error}")
    };
    assert_eq!(
        error.to_string(),
        format!(
            "`{}` line 3, column 3 (`proxyAddresses`): `Microsoft.ActiveDirectory.Management.ADPropertyValueCollection` \
             is what Export-Csv writes for a multi-valued or binary property; the values are not in the file",
            path.display()
        )
    );
    let hint = csv_error.hint().unwrap();
    assert!(
        hint.contains("@{n='proxyAddresses';e={$_.proxyAddresses -join ';'}}"),
        "{hint}"
    );
    assert!(hint.contains("ToBase64String"), "{hint}");
}
