//! `verify --hac FILE`: a HENNGE Access Control user export (CSV, or the classic TSV) read by header
//! names.
//!
//! HENNGE's help pages describe the download
//! (<https://support.hdeone.com/hc/en-us/articles/9584040793497>) and a user's fields
//! (<https://support.hdeone.com/hc/en-us/articles/9579702991001>) but not the export's column
//! names, so the reader looks for the spellings an export is likely to use, ignoring case, spaces,
//! `_` and `-`:
//!
//! | role | headers recognised |
//! |---|---|
//! | ImmutableID | `ImmutableID`, `Immutable ID`, `immutableId`, `イミュータブルID` |
//! | sign-in name | `UserPrincipalName`, `UPN`, `Login ID`, `Email`, `Email address`, `メールアドレス`, `ログインID` |
//! | username | `Username`, `User name`, `ユーザー名` |
//!
//! `--hac-column role=NAME` names a column for a role (`immutableId`, `userPrincipalName`,
//! `username`). The file may be UTF-8 (with or without a byte-order mark) or UTF-16 (LE or BE, with a
//! byte-order mark, or LE without one as some Windows tools write it). A malformed file is refused
//! whole, naming the file and line.

use std::path::Path;

use anchorsync_core::verify::IdpUser;
use anyhow::{Context as _, bail};

/// A column role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HacRole {
    /// The ImmutableID.
    ImmutableId,
    /// The sign-in name linked to Microsoft 365.
    UserPrincipalName,
    /// The HAC username.
    Username,
}

impl HacRole {
    fn name(self) -> &'static str {
        match self {
            Self::ImmutableId => "immutableId",
            Self::UserPrincipalName => "userPrincipalName",
            Self::Username => "username",
        }
    }

    /// The header spellings recognised, normalised (see [`normalise`]).
    fn spellings(self) -> &'static [&'static str] {
        match self {
            Self::ImmutableId => &["immutableid", "イミュータブルid"],
            Self::UserPrincipalName => &[
                "userprincipalname",
                "upn",
                "loginid",
                "email",
                "emailaddress",
                "メールアドレス",
                "ログインid",
            ],
            Self::Username => &["username", "ユーザー名"],
        }
    }
}

/// A `--hac-column role=NAME` override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnOverride {
    role: HacRole,
    header: String,
}

/// Reads `role=NAME`.
pub fn parse_column_override(text: &str) -> Result<ColumnOverride, String> {
    let (role, header) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not `role=NAME`"))?;
    let role = match normalise(role).as_str() {
        "immutableid" => HacRole::ImmutableId,
        "userprincipalname" | "upn" => HacRole::UserPrincipalName,
        "username" => HacRole::Username,
        _ => {
            return Err(format!(
                "`{role}` is not a role: use `immutableId`, `userPrincipalName` or `username`"
            ));
        }
    };
    if header.trim().is_empty() {
        return Err(format!("`{text}` names no column"));
    }
    Ok(ColumnOverride {
        role,
        header: header.trim().to_owned(),
    })
}

/// A header compared: lowercase, without spaces, `_`, `-` and a byte-order mark.
fn normalise(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads a HAC user export.
pub fn read_hac(path: &Path, overrides: &[ColumnOverride]) -> anyhow::Result<Vec<IdpUser>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    parse_hac(&bytes, overrides).with_context(|| {
        format!(
            "reading the HENNGE Access Control export `{}`",
            path.display()
        )
    })
}

/// Parses a HAC user export's bytes.
pub fn parse_hac(bytes: &[u8], overrides: &[ColumnOverride]) -> anyhow::Result<Vec<IdpUser>> {
    let text = crate::csv_input::decode_text(bytes)?;
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = crate::csv_input::reader(&text, delimiter);
    let headers = reader
        .headers()
        .map_err(|error| anyhow::anyhow!("line 1: {error}"))?
        .clone();
    let column = |role: HacRole| -> anyhow::Result<Option<usize>> {
        if let Some(wanted) = overrides.iter().find(|o| o.role == role) {
            return headers
                .iter()
                .position(|header| normalise(header) == normalise(&wanted.header))
                .map(Some)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "line 1: no column `{}` (named by `--hac-column {}={}`); the header has {}",
                        wanted.header,
                        role.name(),
                        wanted.header,
                        list(&headers)
                    )
                });
        }
        Ok(headers
            .iter()
            .position(|header| role.spellings().contains(&normalise(header).as_str())))
    };
    let Some(immutable_id) = column(HacRole::ImmutableId)? else {
        bail!(
            "line 1: no ImmutableID column (looked for `ImmutableID`, `Immutable ID`, `immutableId`); the \
             header has {}; name it with `--hac-column immutableId=NAME`",
            list(&headers)
        );
    };
    let upn = column(HacRole::UserPrincipalName)?;
    let username = column(HacRole::Username)?;
    if upn.is_none() && username.is_none() {
        bail!(
            "line 1: no column names the user (looked for `UserPrincipalName`, `Login ID`, `Email`, \
             `メールアドレス`, `Username`, `ユーザー名`); the header has {}; name one with `--hac-column \
             userPrincipalName=NAME`",
            list(&headers)
        );
    }
    let mut users = Vec::new();
    for record in crate::csv_input::numbered_records(&mut reader) {
        let (line, record) = record?;
        let value = |column: Option<usize>| {
            column
                .and_then(|column| record.get(column))
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .map(str::to_owned)
        };
        let user = IdpUser {
            line,
            user_principal_name: value(upn),
            username: value(username),
            immutable_id: value(Some(immutable_id)),
        };
        if user.user_principal_name.is_none() && user.username.is_none() {
            continue;
        }
        users.push(user);
    }
    Ok(users)
}

fn list(headers: &csv::StringRecord) -> String {
    headers
        .iter()
        .map(|header| format!("`{}`", header.trim_start_matches('\u{feff}')))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le_with_bom(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn reads_english_headers_in_utf8_with_bom() {
        let users = parse_hac(
            "\u{feff}Username,Login ID,Immutable ID,Family name\ntaro,taro@example.co.jp,AQID,Yamada\n"
                .as_bytes(),
            &[],
        )
        .unwrap();
        assert_eq!(
            users,
            [IdpUser {
                line: 2,
                user_principal_name: Some("taro@example.co.jp".into()),
                username: Some("taro".into()),
                immutable_id: Some("AQID".into())
            }]
        );
    }

    #[test]
    fn reads_japanese_headers_in_utf16_and_tsv() {
        let bytes = utf16le_with_bom(
            "ユーザー名\tメールアドレス\timmutableId\r\n太郎\ttaro@example.co.jp\tAQID\r\n",
        );
        let users = parse_hac(&bytes, &[]).unwrap();
        assert_eq!(users[0].username.as_deref(), Some("太郎"));
        assert_eq!(users[0].immutable_id.as_deref(), Some("AQID"));
        // UTF-16LE without a byte-order mark.
        let users = parse_hac(&bytes[2..], &[]).unwrap();
        assert_eq!(users.len(), 1);
    }

    #[test]
    fn overrides_and_errors_name_the_line() {
        let custom = parse_column_override("immutableId=Federation ID").unwrap();
        let users = parse_hac(
            b"Email,Federation ID\na@x.jp,AQID\n",
            std::slice::from_ref(&custom),
        )
        .unwrap();
        assert_eq!(users[0].immutable_id.as_deref(), Some("AQID"));
        let error = |bytes: &[u8], overrides: &[ColumnOverride]| {
            format!("{:#}", parse_hac(bytes, overrides).unwrap_err())
        };
        assert!(error(b"Email,Name\na,b\n", &[]).contains("line 1: no ImmutableID column"));
        assert!(error(b"Name,ImmutableID\na,b\n", &[]).contains("no column names the user"));
        assert!(error(b"Email,ImmutableID\na,b\nc\n", &[]).contains("line 3"));
        assert!(
            error(b"Email,ImmutableID\na,b\n", &[custom]).contains("no column `Federation ID`")
        );
        assert!(
            error(b"\xff\xfe\x00", &[]).contains("UTF-16")
                || error(b"\xff\xfe\x00", &[]).contains("UTF")
        );
        assert!(parse_column_override("role").is_err());
        assert!(parse_column_override("colour=x").is_err());
    }
}
