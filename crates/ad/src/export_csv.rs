//! CSV written by `Get-ADUser ... | Export-Csv`, read into [`DirectoryEntry`] values with the same
//! attribute names and bytes a live read gives.
//!
//! What Windows PowerShell and PowerShell 7 write, and what this reader does with it:
//!
//! - UTF-8 with or without a byte-order mark (`-Encoding UTF8`), or UTF-16LE with one (Windows
//!   PowerShell 5.1 `-Encoding Unicode`; [`crate::file`] converts it before this reader sees it);
//! - a first line `#TYPE Microsoft.ActiveDirectory.Management.ADUser` unless `-NoTypeInformation`:
//!   skipped;
//! - every field quoted, `""` inside a field for a quote;
//! - headers are PowerShell property names: the LDAP names (`mail`, `objectSid`...) or the AD module's
//!   aliases (`EmailAddress`, `SID`, `Surname`, `OfficePhone`...), compared case-insensitively;
//! - `ObjectGUID` as a GUID string, `objectSid`/`SID` as `S-1-5-...`;
//! - **multi-valued and binary properties lose their values**: `Export-Csv` writes the type name
//!   (`Microsoft.ActiveDirectory.Management.ADPropertyValueCollection`, `System.Byte[]`). Such a
//!   column is an error naming the file, line and column, with a hint showing the `Select-Object`
//!   that exports the values. The forms that hint produces are read: proxyAddresses joined with `;`,
//!   and `mS-DS-ConsistencyGuid` as Base64 or as a GUID string.
//!
//! `whenChanged`/`Modified` are not read: PowerShell writes dates in the exporting machine's culture.
//! Other columns are read only when the caller names them (the `[ad]` anchor attribute and
//! `attributes`). Any malformed record fails the whole file: never a partial inventory.

use anchorsync_core::directory::{DirectoryEntry, is_binary_attribute};
use anchorsync_core::identifier::{ObjectGuid, Sid, decode_canonical_base64};

/// How `Export-Csv` writes a property whose values it cannot show.
const TYPE_NAMES: &[&str] = &[
    "Microsoft.ActiveDirectory.Management.ADPropertyValueCollection",
    "System.Byte[]",
    "System.Object[]",
    "System.String[]",
    "System.Guid[]",
];

/// The PowerShell that exports every attribute anchorsync reads as text: proxyAddresses joined with
/// `;`, and mS-DS-ConsistencyGuid as Base64 or as a GUID string (the README promises both).
pub const EXPORT_HINT: &str = "export the multi-valued and binary properties as text, for example:\n  \
Get-ADUser -Filter * -Properties mail,proxyAddresses,mailNickname,displayName,title,department,employeeID,\
employeeNumber,telephoneNumber,mobile,physicalDeliveryOfficeName,userAccountControl,uSNChanged,\
objectSid,mS-DS-ConsistencyGuid,cn,company,l,st,co,c,postalCode,streetAddress,facsimileTelephoneNumber,\
preferredLanguage,\
extensionAttribute1,extensionAttribute2,extensionAttribute3,extensionAttribute4,extensionAttribute5,\
extensionAttribute6,extensionAttribute7,extensionAttribute8,extensionAttribute9,extensionAttribute10,\
extensionAttribute11,extensionAttribute12,extensionAttribute13,extensionAttribute14,extensionAttribute15 |\n    \
Select-Object DistinguishedName,ObjectGUID,objectSid,UserPrincipalName,\
SamAccountName,mail,mailNickname,displayName,GivenName,Surname,title,department,employeeID,employeeNumber,\
telephoneNumber,mobile,physicalDeliveryOfficeName,userAccountControl,uSNChanged,cn,company,l,st,co,c,\
postalCode,streetAddress,facsimileTelephoneNumber,preferredLanguage,\
extensionAttribute1,extensionAttribute2,extensionAttribute3,extensionAttribute4,extensionAttribute5,\
extensionAttribute6,extensionAttribute7,extensionAttribute8,extensionAttribute9,extensionAttribute10,\
extensionAttribute11,extensionAttribute12,extensionAttribute13,extensionAttribute14,extensionAttribute15,\
@{n='proxyAddresses';e={$_.proxyAddresses -join ';'}},\
@{n='mS-DS-ConsistencyGuid';e={if ($_.'mS-DS-ConsistencyGuid') {[Convert]::ToBase64String($_.'mS-DS-ConsistencyGuid')}}} |\n    \
Export-Csv -NoTypeInformation -Encoding UTF8 users.csv\n\
mS-DS-ConsistencyGuid may also be exported as a GUID string:\n  \
@{n='mS-DS-ConsistencyGuid';e={if ($_.'mS-DS-ConsistencyGuid') {[guid]::new([byte[]]$_.'mS-DS-ConsistencyGuid')}}}";

/// Why an Export-Csv file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// The CSV itself is malformed (unbalanced quotes, a record with the wrong number of fields...).
    #[error("`{file}` line {line}: {reason}")]
    Syntax {
        /// The file.
        file: String,
        /// The 1-based line.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// No `DistinguishedName` column.
    #[error(
        "`{file}` has no `DistinguishedName` column, so it is not a `Get-ADUser | Export-Csv` export"
    )]
    NoDistinguishedName {
        /// The file.
        file: String,
    },
    /// A column holds a .NET type name instead of the values.
    #[error(
        "`{file}` line {line}, column {column} (`{header}`): `{value}` is what Export-Csv writes for a \
         multi-valued or binary property; the values are not in the file"
    )]
    TypeName {
        /// The file.
        file: String,
        /// The 1-based line.
        line: u64,
        /// The 1-based column.
        column: usize,
        /// The column's header.
        header: String,
        /// The type name found.
        value: String,
    },
    /// A value that is not what its column holds (a GUID that is not a GUID...).
    #[error("`{file}` line {line}, column {column} (`{header}`): {reason}")]
    Value {
        /// The file.
        file: String,
        /// The 1-based line.
        line: u64,
        /// The 1-based column.
        column: usize,
        /// The column's header.
        header: String,
        /// What is wrong.
        reason: String,
    },
}

impl CsvError {
    /// How to fix the export, when the error says the values are missing.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::TypeName { .. } | Self::NoDistinguishedName { .. } => {
                Some(EXPORT_HINT.to_owned())
            }
            _ => None,
        }
    }
}

impl anchorsync_core::hint::Hint for CsvError {
    fn hint(&self) -> Option<String> {
        CsvError::hint(self)
    }
}

/// One user read from the file, and the line its record starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvEntry {
    /// The 1-based line.
    pub line: u64,
    /// The entry.
    pub entry: DirectoryEntry,
}

/// How a column is turned into attribute values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Guid,
    Sid,
    /// Binary: Base64, or a GUID string for 16 bytes.
    Binary,
    /// Several values joined with `;`.
    Joined,
}

/// PowerShell property name (lowercase) → LDAP attribute and how to read it. Where the AD module
/// offers an alias and the LDAP name, both map to the same attribute; the LDAP name wins.
const COLUMNS: &[(&str, &str, Kind)] = &[
    ("objectguid", "objectGUID", Kind::Guid),
    ("objectsid", "objectSid", Kind::Sid),
    ("sid", "objectSid", Kind::Sid),
    (
        "ms-ds-consistencyguid",
        "mS-DS-ConsistencyGuid",
        Kind::Binary,
    ),
    ("userprincipalname", "userPrincipalName", Kind::Text),
    ("samaccountname", "sAMAccountName", Kind::Text),
    ("mail", "mail", Kind::Text),
    ("emailaddress", "mail", Kind::Text),
    ("proxyaddresses", "proxyAddresses", Kind::Joined),
    ("mailnickname", "mailNickname", Kind::Text),
    ("displayname", "displayName", Kind::Text),
    ("givenname", "givenName", Kind::Text),
    ("sn", "sn", Kind::Text),
    ("surname", "sn", Kind::Text),
    ("title", "title", Kind::Text),
    ("department", "department", Kind::Text),
    ("employeeid", "employeeID", Kind::Text),
    ("employeenumber", "employeeNumber", Kind::Text),
    ("telephonenumber", "telephoneNumber", Kind::Text),
    ("officephone", "telephoneNumber", Kind::Text),
    ("mobile", "mobile", Kind::Text),
    ("mobilephone", "mobile", Kind::Text),
    (
        "physicaldeliveryofficename",
        "physicalDeliveryOfficeName",
        Kind::Text,
    ),
    ("office", "physicalDeliveryOfficeName", Kind::Text),
    ("useraccountcontrol", "userAccountControl", Kind::Text),
    ("usnchanged", "uSNChanged", Kind::Text),
    // What a sync's attribute flow reads (`ProfileAttribute`), with the AD module's aliases.
    ("cn", "cn", Kind::Text),
    ("company", "company", Kind::Text),
    ("l", "l", Kind::Text),
    ("city", "l", Kind::Text),
    ("st", "st", Kind::Text),
    ("state", "st", Kind::Text),
    ("co", "co", Kind::Text),
    ("c", "c", Kind::Text),
    ("country", "c", Kind::Text),
    ("postalcode", "postalCode", Kind::Text),
    ("streetaddress", "streetAddress", Kind::Text),
    (
        "facsimiletelephonenumber",
        "facsimileTelephoneNumber",
        Kind::Text,
    ),
    ("fax", "facsimileTelephoneNumber", Kind::Text),
    ("preferredlanguage", "preferredLanguage", Kind::Text),
    ("extensionattribute1", "extensionAttribute1", Kind::Text),
    ("extensionattribute2", "extensionAttribute2", Kind::Text),
    ("extensionattribute3", "extensionAttribute3", Kind::Text),
    ("extensionattribute4", "extensionAttribute4", Kind::Text),
    ("extensionattribute5", "extensionAttribute5", Kind::Text),
    ("extensionattribute6", "extensionAttribute6", Kind::Text),
    ("extensionattribute7", "extensionAttribute7", Kind::Text),
    ("extensionattribute8", "extensionAttribute8", Kind::Text),
    ("extensionattribute9", "extensionAttribute9", Kind::Text),
    ("extensionattribute10", "extensionAttribute10", Kind::Text),
    ("extensionattribute11", "extensionAttribute11", Kind::Text),
    ("extensionattribute12", "extensionAttribute12", Kind::Text),
    ("extensionattribute13", "extensionAttribute13", Kind::Text),
    ("extensionattribute14", "extensionAttribute14", Kind::Text),
    ("extensionattribute15", "extensionAttribute15", Kind::Text),
];

/// One column that is read: its index, header, target attribute, kind, and whether it is an alias
/// (used only when the LDAP-named column is empty).
struct Column {
    index: usize,
    header: String,
    attribute: String,
    kind: Kind,
    alias: bool,
}

/// Checks the quoting as Export-Csv writes it, which the `csv` crate is lenient about: a quoted field
/// ends with a quote followed by `,` or the line's end (a stray quote inside it, `"a"b"`, is refused:
/// Export-Csv doubles quotes), the file does not end inside a quoted field, and an unquoted field has no
/// quote in it. Returns the 1-based line of the first defect (of `bytes`) and what it is.
fn check_quoting(bytes: &[u8]) -> Result<(), (usize, &'static str)> {
    let mut line = 1;
    let mut at_field_start = true;
    let mut in_quotes = false;
    let mut quoted_from = 1;
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        index += 1;
        if in_quotes {
            match byte {
                b'"' if bytes.get(index) == Some(&b'"') => index += 1,
                b'"' => {
                    in_quotes = false;
                    if !matches!(bytes.get(index), None | Some(b',' | b'\r' | b'\n')) {
                        return Err((
                            line,
                            "a quote inside a quoted field that is not doubled (`\"\"`), as Export-Csv \
                             writes it",
                        ));
                    }
                }
                b'\n' => line += 1,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' if at_field_start => {
                in_quotes = true;
                quoted_from = line;
            }
            b'"' => {
                return Err((
                    line,
                    "a quote inside a field that does not start with one, which Export-Csv never writes",
                ));
            }
            b',' => {
                at_field_start = true;
                continue;
            }
            b'\n' => {
                line += 1;
                at_field_start = true;
                continue;
            }
            _ => {}
        }
        at_field_start = false;
    }
    if in_quotes {
        return Err((
            quoted_from,
            "a quoted field that starts here has no closing quote: the file ends inside it",
        ));
    }
    Ok(())
}

/// Refuses a header row that names a column twice (compared as PowerShell compares property names,
/// ignoring case): which of the two columns holds the value would be a guess.
fn refuse_duplicate_headers(headers: &csv::StringRecord) -> Result<(), String> {
    let mut seen = std::collections::HashMap::new();
    for (index, header) in headers.iter().enumerate() {
        let name = header.trim();
        if let Some(first) = seen.insert(name.to_lowercase(), index) {
            return Err(format!(
                "columns {} and {} are both `{}`; a column may appear once",
                first + 1,
                index + 1,
                anchorsync_core::wording::excerpt(name, 80)
            ));
        }
    }
    Ok(())
}

/// Reads the users of an Export-Csv file (UTF-8, an optional byte-order mark). `source_name` names the
/// file in errors; `extra_attributes` are further columns to keep (the anchor attribute, configured
/// attributes).
pub fn read_entries(
    bytes: &[u8],
    source_name: &str,
    extra_attributes: &[String],
) -> Result<Vec<CsvEntry>, CsvError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // The `#TYPE ...` line: skipped here rather than as a CSV comment so that line numbers stay true.
    let (bytes, skipped_lines) = match bytes.strip_prefix(b"#") {
        Some(rest) => match rest.iter().position(|byte| *byte == b'\n') {
            Some(end) => (rest.get(end + 1..).unwrap_or_default(), 1),
            None => (&[][..], 1),
        },
        None => (bytes, 0),
    };
    check_quoting(bytes).map_err(|(line, reason)| CsvError::Syntax {
        file: source_name.to_owned(),
        line: u64::try_from(line).unwrap_or(u64::MAX) + skipped_lines,
        reason: reason.to_owned(),
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    // From the byte offset: after a CRLF, csv's position (and its line count) points at the LF that
    // ends the previous record, so that byte is counted too.
    let line_of = |position: Option<&csv::Position>| {
        let offset = position.map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
        let newlines = bytes
            .get(..offset.saturating_add(1))
            .unwrap_or(bytes)
            .iter()
            .filter(|byte| **byte == b'\n')
            .count();
        u64::try_from(newlines).unwrap_or(u64::MAX) + 1 + skipped_lines
    };
    let syntax = |error: csv::Error| CsvError::Syntax {
        file: source_name.to_owned(),
        line: line_of(error.position()),
        reason: match error.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!(
                "{} where the header has {expected_len}",
                anchorsync_core::wording::count(
                    usize::try_from(*len).unwrap_or(usize::MAX),
                    "field",
                    "fields"
                )
            ),
            csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 text".to_owned(),
            _ => error.to_string(),
        },
    };
    let headers = reader.headers().map_err(syntax)?.clone();
    refuse_duplicate_headers(&headers).map_err(|reason| CsvError::Syntax {
        file: source_name.to_owned(),
        line: 1 + skipped_lines,
        reason,
    })?;
    let mut dn_column = None;
    let mut columns: Vec<Column> = Vec::new();
    for (index, header) in headers.iter().enumerate() {
        let lower = header.trim().to_ascii_lowercase();
        if lower == "distinguishedname" {
            dn_column = Some(index);
            continue;
        }
        if let Some((_, attribute, kind)) = COLUMNS.iter().find(|(name, _, _)| *name == lower) {
            columns.push(Column {
                index,
                header: header.to_owned(),
                attribute: (*attribute).to_owned(),
                kind: *kind,
                alias: !attribute.eq_ignore_ascii_case(&lower),
            });
        } else if let Some(extra) = extra_attributes
            .iter()
            .find(|name| name.eq_ignore_ascii_case(header.trim()))
        {
            columns.push(Column {
                index,
                header: header.to_owned(),
                attribute: extra.clone(),
                kind: if is_binary_attribute(extra) {
                    Kind::Binary
                } else {
                    Kind::Text
                },
                alias: false,
            });
        }
    }
    let dn_column = dn_column.ok_or_else(|| CsvError::NoDistinguishedName {
        file: source_name.to_owned(),
    })?;
    // LDAP-named columns first, so that an alias only fills what they left empty.
    columns.sort_by_key(|column| column.alias);

    let mut entries = Vec::new();
    for record in reader.records() {
        let record = record.map_err(syntax)?;
        let line = line_of(record.position());
        let dn = record.get(dn_column).unwrap_or_default().trim();
        if dn.is_empty() {
            return Err(CsvError::Value {
                file: source_name.to_owned(),
                line,
                column: dn_column + 1,
                header: headers.get(dn_column).unwrap_or_default().to_owned(),
                reason: "the DistinguishedName is empty".to_owned(),
            });
        }
        let mut entry = DirectoryEntry::new(dn);
        for column in &columns {
            let raw = record.get(column.index).unwrap_or_default();
            let value = raw.trim();
            if value.is_empty() || (column.alias && !entry.values(&column.attribute).is_empty()) {
                continue;
            }
            let error = |reason: String| CsvError::Value {
                file: source_name.to_owned(),
                line,
                column: column.index + 1,
                header: column.header.clone(),
                reason,
            };
            if TYPE_NAMES.contains(&value) || value.starts_with("System.Collections.") {
                return Err(CsvError::TypeName {
                    file: source_name.to_owned(),
                    line,
                    column: column.index + 1,
                    header: column.header.clone(),
                    value: value.to_owned(),
                });
            }
            // An alias column repeats the LDAP-named one; read it once.
            if !entry.values(&column.attribute).is_empty() {
                continue;
            }
            match column.kind {
                Kind::Text => entry.push(&column.attribute, value.as_bytes()),
                Kind::Joined => {
                    for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                        entry.push(&column.attribute, part.as_bytes());
                    }
                }
                Kind::Guid => {
                    let guid =
                        ObjectGuid::parse_guid_string(value).map_err(|e| error(e.to_string()))?;
                    entry.push(&column.attribute, guid.as_ad_bytes().to_vec());
                }
                Kind::Sid => {
                    let sid: Sid = value.parse().map_err(
                        |e: anchorsync_core::identifier::IdentifierError| error(e.to_string()),
                    )?;
                    entry.push(&column.attribute, sid.to_bytes());
                }
                Kind::Binary => {
                    let bytes = match ObjectGuid::parse_guid_string(value) {
                        Ok(guid) => guid.as_ad_bytes().to_vec(),
                        Err(_) => decode_canonical_base64(value).map_err(|e| {
                            error(format!(
                                "expected Base64 (`[Convert]::ToBase64String(...)`) or a GUID string: {e}"
                            ))
                        })?,
                    };
                    entry.push(&column.attribute, bytes);
                }
            }
        }
        entries.push(CsvEntry { line, entry });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "#TYPE Microsoft.ActiveDirectory.Management.ADUser\r\n\"DistinguishedName\",\"Enabled\",\"ObjectGUID\",\"SID\",\"objectSid\",\"UserPrincipalName\",\"proxyAddresses\",\"mS-DS-ConsistencyGuid\",\"Surname\",\"sn\"\r\n";

    #[test]
    fn type_names_fail_with_file_line_and_column_issue_3() {
        let csv = format!(
            "{HEADER}\"CN=A,DC=corp\",\"True\",\"88666888-0101-1111-bbbb-1234567890ab\",\"S-1-5-21-1-2-3-1105\",\"S-1-5-21-1-2-3-1105\",\"a@corp\",\"Microsoft.ActiveDirectory.Management.ADPropertyValueCollection\",\"\",\"A\",\"A\"\r\n"
        );
        let error = read_entries(csv.as_bytes(), "users.csv", &[]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`users.csv` line 3, column 7 (`proxyAddresses`): \
             `Microsoft.ActiveDirectory.Management.ADPropertyValueCollection` is what Export-Csv writes \
             for a multi-valued or binary property; the values are not in the file"
        );
        assert!(
            error
                .hint()
                .unwrap()
                .contains("$_.proxyAddresses -join ';'")
        );
    }

    #[test]
    fn joined_and_base64_forms_are_read() {
        let csv = format!(
            "{HEADER}\"CN=Doe\\, John,DC=corp\",\"True\",\"88666888-0101-1111-bbbb-1234567890ab\",\"S-1-5-21-1-2-3-1105\",\"\",\"j@corp\",\"SMTP:j@example.com;smtp:j2@example.com\",\"iGhmiAEBERG7uxI0VniQqw==\",\"Doe \"\"JD\"\"\",\"\"\r\n"
        );
        let entries = read_entries(csv.as_bytes(), "users.csv", &[]).unwrap();
        let entry = &entries[0].entry;
        assert_eq!(entries[0].line, 3);
        assert_eq!(entry.dn, "CN=Doe\\, John,DC=corp");
        assert_eq!(
            entry.values("objectGUID"),
            entry.values("mS-DS-ConsistencyGuid")
        );
        assert_eq!(entry.values("proxyAddresses").len(), 2);
        assert_eq!(entry.values("sn"), &[b"Doe \"JD\"".to_vec()]);
        assert_eq!(
            entry.values("objectSid"),
            &["S-1-5-21-1-2-3-1105".parse::<Sid>().unwrap().to_bytes()]
        );
    }

    #[test]
    fn the_sync_flow_attributes_are_read_under_their_names_and_aliases() {
        let csv = "\"DistinguishedName\",\"CN\",\"City\",\"l\",\"Fax\",\"Country\",\"co\",\"extensionAttribute3\",\"Company\"\r\n\
                   \"CN=A,DC=corp\",\"A\",\"Tokyo\",\"\",\"+81 3 0000\",\"JP\",\"Japan\",\"X3\",\"Contoso\"\r\n";
        let entries = read_entries(csv.as_bytes(), "u.csv", &[]).unwrap();
        let entry = &entries[0].entry;
        for (attribute, value) in [
            ("cn", "A"),
            ("l", "Tokyo"),
            ("facsimileTelephoneNumber", "+81 3 0000"),
            ("c", "JP"),
            ("co", "Japan"),
            ("extensionAttribute3", "X3"),
            ("company", "Contoso"),
        ] {
            assert_eq!(
                entry.values(attribute),
                &[value.as_bytes().to_vec()],
                "{attribute}"
            );
        }
    }

    #[test]
    fn malformed_values_and_records_fail_the_whole_file() {
        let bad_guid = format!(
            "{HEADER}\"CN=A,DC=corp\",\"True\",\"not-a-guid\",\"\",\"\",\"\",\"\",\"\",\"\",\"\"\r\n"
        );
        let error = read_entries(bad_guid.as_bytes(), "u.csv", &[]).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("`u.csv` line 3, column 3 (`ObjectGUID`): "),
            "{error}"
        );
        let short = format!("{HEADER}\"CN=A,DC=corp\",\"True\"\r\n");
        assert_eq!(
            read_entries(short.as_bytes(), "u.csv", &[])
                .unwrap_err()
                .to_string(),
            "`u.csv` line 3: 2 fields where the header has 10"
        );
        let bytes = format!(
            "{HEADER}\"CN=A,DC=corp\",\"True\",\"\",\"\",\"\",\"\",\"\",\"System.Byte[]\",\"\",\"\"\r\n"
        );
        assert!(matches!(
            read_entries(bytes.as_bytes(), "u.csv", &[]).unwrap_err(),
            CsvError::TypeName { column: 8, .. }
        ));
    }
}
