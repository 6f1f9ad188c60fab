//! `--mapping FILE`: the explicit pairs of `plan --strategy`, a CSV file with a header.
//!
//! One column names the on-premises user (`dn`, `userPrincipalName`, `sAMAccountName` or `objectGUID`),
//! one the cloud user (`cloudUserId` or `cloudUserPrincipalName`); header names compare ignoring case,
//! other columns are ignored, and the first column of each kind present is used. UTF-8 with or without a
//! byte-order mark (Excel writes one), or UTF-16. A malformed file is refused whole, naming the file and line.

use std::path::Path;

use anchorsync_core::engine::pairing::{CloudKey, MappingEntry, OnPremKey};
use anchorsync_core::identifier::ObjectGuid;
use anyhow::{Context as _, bail};

const ON_PREM_COLUMNS: [&str; 4] = ["dn", "userPrincipalName", "sAMAccountName", "objectGUID"];
const CLOUD_COLUMNS: [&str; 2] = ["cloudUserId", "cloudUserPrincipalName"];

/// Reads a mapping file.
pub fn read_mapping(path: &Path) -> anyhow::Result<Vec<MappingEntry>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    parse_mapping(&bytes).with_context(|| format!("reading the mapping file `{}`", path.display()))
}

/// Parses a mapping file's bytes.
pub fn parse_mapping(bytes: &[u8]) -> anyhow::Result<Vec<MappingEntry>> {
    let text = crate::csv_input::decode_text(bytes)?;
    let mut reader = crate::csv_input::reader(&text, b',');
    let headers = reader
        .headers()
        .context("line 1: cannot read the header")?
        .clone();
    let find = |names: &[&'static str]| -> Option<(usize, &'static str)> {
        headers.iter().enumerate().find_map(|(column, header)| {
            names
                .iter()
                .find(|name| name.eq_ignore_ascii_case(header.trim()))
                .map(|name| (column, *name))
        })
    };
    let Some((on_prem_column, on_prem_kind)) = find(&ON_PREM_COLUMNS) else {
        bail!(
            "line 1: no column names the on-premises user; the header needs one of {}",
            ON_PREM_COLUMNS.map(|c| format!("`{c}`")).join(", ")
        );
    };
    let Some((cloud_column, cloud_kind)) = find(&CLOUD_COLUMNS) else {
        bail!(
            "line 1: no column names the cloud user; the header needs one of {}",
            CLOUD_COLUMNS.map(|c| format!("`{c}`")).join(", ")
        );
    };
    let mut entries: Vec<MappingEntry> = Vec::new();
    for record in crate::csv_input::numbered_records(&mut reader) {
        let (line, record) = record?;
        let on_prem = record.get(on_prem_column).unwrap_or("").trim();
        let cloud = record.get(cloud_column).unwrap_or("").trim();
        if on_prem.is_empty() && cloud.is_empty() {
            continue;
        }
        if on_prem.is_empty() || cloud.is_empty() {
            bail!("line {line}: both `{on_prem_kind}` and `{cloud_kind}` need a value");
        }
        let on_prem = match on_prem_kind {
            "dn" => OnPremKey::Dn(on_prem.to_owned()),
            "userPrincipalName" => OnPremKey::UserPrincipalName(on_prem.to_owned()),
            "sAMAccountName" => OnPremKey::SamAccountName(on_prem.to_owned()),
            _ => {
                OnPremKey::ObjectGuid(ObjectGuid::parse_guid_string(on_prem).map_err(|error| {
                    anyhow::anyhow!("line {line}: `{on_prem}` is not an objectGUID: {error}")
                })?)
            }
        };
        let cloud = if cloud_kind == "cloudUserId" {
            CloudKey::Id(cloud.to_owned())
        } else {
            CloudKey::UserPrincipalName(cloud.to_owned())
        };
        if let Some(earlier) = entries
            .iter()
            .find(|entry| same_key(&entry.on_prem, &on_prem))
        {
            bail!(
                "line {line}: the on-premises user is mapped already on line {}",
                earlier.line
            );
        }
        entries.push(MappingEntry {
            line,
            on_prem,
            cloud,
        });
    }
    Ok(entries)
}

fn same_key(a: &OnPremKey, b: &OnPremKey) -> bool {
    match (a, b) {
        (OnPremKey::Dn(a), OnPremKey::Dn(b))
        | (OnPremKey::UserPrincipalName(a), OnPremKey::UserPrincipalName(b))
        | (OnPremKey::SamAccountName(a), OnPremKey::SamAccountName(b)) => a.eq_ignore_ascii_case(b),
        (OnPremKey::ObjectGuid(a), OnPremKey::ObjectGuid(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_any_key_pair_with_a_bom_and_ignores_other_columns() {
        let entries = parse_mapping(
            "\u{feff}note,UserPrincipalName,cloudUserId\r\nx,taro@corp.local,c1\r\n,,\r\ny,hanako@corp.local,c2\r\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(
            entries[0].on_prem,
            OnPremKey::UserPrincipalName("taro@corp.local".into())
        );
        assert_eq!(entries[1].cloud, CloudKey::Id("c2".into()));
        assert_eq!(entries[1].line, 4);
        let guid = parse_mapping(
            b"objectGUID,cloudUserPrincipalName\n88666888-0101-1111-bbbb-1234567890ab,t@example.com\n",
        )
        .unwrap();
        assert!(matches!(guid[0].on_prem, OnPremKey::ObjectGuid(_)));
    }

    #[test]
    fn malformed_files_name_the_line() {
        let error = |text: &str| format!("{:#}", parse_mapping(text.as_bytes()).unwrap_err());
        assert!(
            error("name,cloudUserId\n").contains("line 1: no column names the on-premises user")
        );
        assert!(error("dn,upn\n").contains("no column names the cloud user"));
        assert!(error("dn,cloudUserId\nCN=A,c1\nCN=B\n").contains("line 3"));
        assert!(error("dn,cloudUserId\nCN=A,\n").contains("line 2: both `dn` and `cloudUserId`"));
        assert!(error("objectGUID,cloudUserId\nnot-a-guid,c1\n").contains("line 2"));
        assert!(
            error("dn,cloudUserId\nCN=A,c1\ncn=a,c2\n")
                .contains("line 3: the on-premises user is mapped already on line 2")
        );
    }
}
