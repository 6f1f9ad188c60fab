//! LDIF change records (RFC 2849 `changetype: modify`) applied to LDIF content, as `ldapmodify -c`
//! applies them to a directory.
//!
//! `apply --emit ldif` writes the AD side of a plan as modify records for an administrator to run with
//! `ldapmodify`; where there is no directory to run them against (the demo, a rehearsal on an export),
//! the same records are applied here to the export itself, with the directory's semantics:
//!
//! - each record is applied whole or not at all, and the records are applied in order; a refused
//!   record is reported with the LDAP result code a directory returns, and the next one is tried (as
//!   `ldapmodify -c` goes on);
//! - `add:` refuses a value the attribute already holds (20, attributeOrValueExists), and a second value
//!   for an attribute known to be single-valued ([`SINGLE_VALUED`]; also 20, as AD and Samba refuse it
//!   with `0000200D: SINGLE-VALUE attribute ... specified more than once`);
//! - `delete:` with values refuses a value that is not there (16, noSuchAttribute): this is what makes
//!   the emitted records compare-and-set; `delete:` without values refuses an absent attribute (16);
//! - `replace:` sets the values (none removes the attribute, present or not);
//! - a record for a DN the content does not hold is refused (32, noSuchObject).
//!
//! Values are compared as AD's matching rules do for the attributes anchorsync writes: binary attributes
//! ([`is_binary_attribute`]) byte for byte, others ignoring case. DNs are compared as AD compares them
//! ([`crate::dn::NormalizedDn`]).
//!
//! Only `changetype: modify` is read; `add`, `delete`, `modrdn` and controls are refused with the file
//! and line, since nothing anchorsync writes uses them.

use std::collections::HashMap;
use std::fmt;

use anchorsync_core::directory::{AttributeName, DirectoryEntry, is_binary_attribute};

use super::{LdifError, LdifErrorKind, LdifWriter, LogicalLine, Records, split_attribute};
use crate::dn::NormalizedDn;

/// Attributes the applier knows to be single-valued in AD's schema, so that `add:` of a second value
/// is refused as a domain controller refuses it.
pub const SINGLE_VALUED: &[&str] = &[
    "mS-DS-ConsistencyGuid",
    "objectGUID",
    "objectSid",
    "userPrincipalName",
    "sAMAccountName",
    "mail",
    "employeeID",
    "employeeNumber",
    "displayName",
    "givenName",
    "sn",
    "userAccountControl",
];

/// What a modification does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModifyOperation {
    /// `add:` values.
    Add,
    /// `delete:` values, or the whole attribute when none are given.
    Delete,
    /// `replace:` the values (none removes the attribute).
    Replace,
}

impl ModifyOperation {
    /// The keyword in LDIF.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Delete => "delete",
            Self::Replace => "replace",
        }
    }
}

/// One `add:` / `delete:` / `replace:` block of a modify record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modification {
    /// The line of its `add:` / `delete:` / `replace:`.
    pub line: usize,
    /// What it does.
    pub operation: ModifyOperation,
    /// The attribute, as spelled in the file.
    pub attribute: String,
    /// The values, as bytes.
    pub values: Vec<Vec<u8>>,
}

/// A `changetype: modify` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    /// The line of its `dn:`.
    pub line: usize,
    /// The DN it changes.
    pub dn: String,
    /// Its modifications, applied in order, all or none.
    pub modifications: Vec<Modification>,
}

/// Why a directory refuses a record: the LDAP result codes `ldapmodify` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 16: `delete:` of a value (or an attribute) that is not there.
    NoSuchAttribute {
        /// The attribute.
        attribute: String,
    },
    /// 20: a second value for a single-valued attribute (AD's `0000200D`).
    SingleValued {
        /// The attribute.
        attribute: String,
    },
    /// 20: `add:` of a value the attribute already holds.
    AttributeOrValueExists {
        /// The attribute.
        attribute: String,
    },
    /// 32: no entry has the DN.
    NoSuchObject,
}

impl Refusal {
    /// The LDAP result code.
    pub fn result_code(&self) -> u32 {
        match self {
            Self::NoSuchAttribute { .. } => 16,
            Self::SingleValued { .. } => 20,
            Self::AttributeOrValueExists { .. } => 20,
            Self::NoSuchObject => 32,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSuchAttribute { attribute } => write!(
                f,
                "no such attribute (16): `{attribute}` does not hold the value to delete (changed since the \
                 changes were written?)"
            ),
            Self::SingleValued { attribute } => write!(
                f,
                "attribute or value exists (20): `{attribute}` is single-valued and would get a second value"
            ),
            Self::AttributeOrValueExists { attribute } => write!(
                f,
                "attribute or value exists (20): `{attribute}` already holds the value to add"
            ),
            Self::NoSuchObject => write!(f, "no such object (32): no entry has this DN"),
        }
    }
}

/// A record that was not applied, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedChange {
    /// The line of the record's `dn:` in the change file.
    pub line: usize,
    /// The record's DN.
    pub dn: String,
    /// Why.
    pub refusal: Refusal,
}

impl fmt::Display for RefusedChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, `{}`: {}", self.line, self.dn, self.refusal)
    }
}

/// Reads every `changetype: modify` record, or the first error: never a partial list.
pub fn read_changes(input: &[u8], source_name: &str) -> Result<Vec<ChangeRecord>, LdifError> {
    let mut records = Records::new(input);
    let mut lines = Vec::new();
    let mut changes = Vec::new();
    let mut first = true;
    while let Some(record) = records.next_record(source_name, &mut lines) {
        record?;
        let mut body: &[LogicalLine<'_>] = &lines;
        if std::mem::take(&mut first)
            && let Some((head, rest)) = body.split_first()
            && head
                .bytes
                .get(..8)
                .is_some_and(|start| start.eq_ignore_ascii_case(b"version:"))
        {
            let found = String::from_utf8_lossy(head.bytes.get(8..).unwrap_or_default())
                .trim()
                .to_owned();
            if found != "1" {
                return Err(error(
                    source_name,
                    head.line,
                    LdifErrorKind::Version { found },
                ));
            }
            body = rest;
        }
        if !body.is_empty() {
            changes.push(change_record(body, source_name)?);
        }
    }
    Ok(changes)
}

fn error(source_name: &str, line: usize, kind: LdifErrorKind) -> LdifError {
    LdifError {
        source_name: source_name.to_owned(),
        line,
        kind,
    }
}

fn change_record(lines: &[LogicalLine<'_>], source_name: &str) -> Result<ChangeRecord, LdifError> {
    let mut lines = lines.iter();
    let Some(first) = lines.next() else {
        return Err(error(source_name, 0, LdifErrorKind::MissingChangeType));
    };
    let head = split_attribute(first, source_name)?;
    if !head.name.eq_ignore_ascii_case("dn") {
        let found = String::from_utf8_lossy(first.bytes.as_ref())
            .chars()
            .take(60)
            .collect();
        return Err(error(
            source_name,
            first.line,
            LdifErrorKind::MissingDn { found },
        ));
    }
    let dn = String::from_utf8(head.value.into_owned()).map_err(|_| {
        error(
            source_name,
            first.line,
            LdifErrorKind::NotUtf8 { what: "DN" },
        )
    })?;
    let changetype = lines
        .next()
        .map(|line| Ok::<_, LdifError>((line.line, split_attribute(line, source_name)?)))
        .transpose()?;
    match changetype {
        Some((line, attribute)) if attribute.name.eq_ignore_ascii_case("changetype") => {
            let changetype = String::from_utf8_lossy(&attribute.value).trim().to_owned();
            if !changetype.eq_ignore_ascii_case("modify") {
                return Err(error(
                    source_name,
                    line,
                    LdifErrorKind::UnsupportedChangeType { changetype },
                ));
            }
        }
        Some((line, _)) => {
            return Err(error(source_name, line, LdifErrorKind::MissingChangeType));
        }
        None => {
            return Err(error(
                source_name,
                first.line,
                LdifErrorKind::MissingChangeType,
            ));
        }
    }
    let mut modifications: Vec<Modification> = Vec::new();
    let mut open: Option<Modification> = None;
    for line in lines {
        if line.bytes.as_ref() == b"-" {
            match open.take() {
                Some(modification) => modifications.push(finished(modification, source_name)?),
                None => {
                    return Err(error(
                        source_name,
                        line.line,
                        LdifErrorKind::ModifyOperation { found: "-".into() },
                    ));
                }
            }
            continue;
        }
        let attribute = split_attribute(line, source_name)?;
        match &mut open {
            Some(modification) => {
                if !modification.attribute.eq_ignore_ascii_case(attribute.name) {
                    return Err(error(
                        source_name,
                        line.line,
                        LdifErrorKind::ModifyValue {
                            operation: format!(
                                "{}: {}",
                                modification.operation.as_str(),
                                modification.attribute
                            ),
                            found: attribute.name.to_owned(),
                        },
                    ));
                }
                modification.values.push(attribute.value.into_owned());
            }
            None => {
                let operation = match attribute.name.to_ascii_lowercase().as_str() {
                    "add" => ModifyOperation::Add,
                    "delete" => ModifyOperation::Delete,
                    "replace" => ModifyOperation::Replace,
                    _ => {
                        let found = String::from_utf8_lossy(line.bytes.as_ref())
                            .chars()
                            .take(60)
                            .collect();
                        return Err(error(
                            source_name,
                            line.line,
                            LdifErrorKind::ModifyOperation { found },
                        ));
                    }
                };
                let name = String::from_utf8_lossy(&attribute.value).trim().to_owned();
                if name.is_empty() {
                    return Err(error(
                        source_name,
                        line.line,
                        LdifErrorKind::EmptyAttributeName,
                    ));
                }
                open = Some(Modification {
                    line: line.line,
                    operation,
                    attribute: name,
                    values: Vec::new(),
                });
            }
        }
    }
    // ldapmodify accepts a record whose last modification lacks its `-`.
    if let Some(modification) = open {
        modifications.push(finished(modification, source_name)?);
    }
    Ok(ChangeRecord {
        line: first.line,
        dn,
        modifications,
    })
}

fn finished(modification: Modification, source_name: &str) -> Result<Modification, LdifError> {
    if modification.operation == ModifyOperation::Add && modification.values.is_empty() {
        return Err(error(
            source_name,
            modification.line,
            LdifErrorKind::NoValues {
                operation: format!("add: {}", modification.attribute),
            },
        ));
    }
    Ok(modification)
}

/// Whether two values of `attribute` are equal under its matching rule.
fn same_value(attribute: &str, a: &[u8], b: &[u8]) -> bool {
    if is_binary_attribute(attribute) {
        return a == b;
    }
    match (std::str::from_utf8(a), std::str::from_utf8(b)) {
        (Ok(a), Ok(b)) if a.is_ascii() && b.is_ascii() => a.eq_ignore_ascii_case(b),
        (Ok(a), Ok(b)) => a.to_lowercase() == b.to_lowercase(),
        _ => a == b,
    }
}

fn is_single_valued(attribute: &str) -> bool {
    SINGLE_VALUED
        .iter()
        .any(|single| single.eq_ignore_ascii_case(attribute))
}

/// Applies one record to one entry: every modification, or none (the entry is left as it was).
pub fn apply_record(entry: &mut DirectoryEntry, record: &ChangeRecord) -> Result<(), Refusal> {
    let mut attributes = entry.attributes.clone();
    for modification in &record.modifications {
        let name = AttributeName::new(modification.attribute.clone());
        let attribute = modification.attribute.as_str();
        let values = &modification.values;
        match modification.operation {
            ModifyOperation::Add => {
                let current = attributes.entry(name).or_default();
                for (position, value) in values.iter().enumerate() {
                    let repeated = values
                        .iter()
                        .take(position)
                        .any(|earlier| same_value(attribute, earlier, value));
                    if repeated
                        || current
                            .iter()
                            .any(|held| same_value(attribute, held, value))
                    {
                        return Err(Refusal::AttributeOrValueExists {
                            attribute: attribute.to_owned(),
                        });
                    }
                    if is_single_valued(attribute) && !current.is_empty() {
                        return Err(Refusal::SingleValued {
                            attribute: attribute.to_owned(),
                        });
                    }
                    current.push(value.clone());
                }
            }
            ModifyOperation::Delete => {
                let Some(current) = attributes.get_mut(&name) else {
                    return Err(Refusal::NoSuchAttribute {
                        attribute: attribute.to_owned(),
                    });
                };
                for value in values {
                    let Some(found) = current
                        .iter()
                        .position(|held| same_value(attribute, held, value))
                    else {
                        return Err(Refusal::NoSuchAttribute {
                            attribute: attribute.to_owned(),
                        });
                    };
                    current.remove(found);
                }
                if values.is_empty() || current.is_empty() {
                    attributes.remove(&name);
                }
            }
            ModifyOperation::Replace => {
                for (position, value) in values.iter().enumerate() {
                    if values
                        .iter()
                        .take(position)
                        .any(|earlier| same_value(attribute, earlier, value))
                    {
                        return Err(Refusal::AttributeOrValueExists {
                            attribute: attribute.to_owned(),
                        });
                    }
                }
                if values.len() > 1 && is_single_valued(attribute) {
                    return Err(Refusal::SingleValued {
                        attribute: attribute.to_owned(),
                    });
                }
                // `insert` keeps the spelling of an attribute already there.
                if values.is_empty() {
                    attributes.remove(&name);
                } else {
                    attributes.insert(name, values.clone());
                }
            }
        }
    }
    entry.attributes = attributes;
    Ok(())
}

/// Applies the records in order to the entries they name, each whole or not at all, going on past a
/// refused record as `ldapmodify -c` does. Returns the refused records.
pub fn apply_changes(
    entries: &mut [DirectoryEntry],
    records: &[ChangeRecord],
) -> Vec<RefusedChange> {
    let by_dn: HashMap<NormalizedDn, usize> = entries
        .iter()
        .enumerate()
        .map(|(position, entry)| (NormalizedDn::new(&entry.dn), position))
        .collect();
    let mut refused = Vec::new();
    for record in records {
        let outcome = match by_dn
            .get(&NormalizedDn::new(&record.dn))
            .and_then(|position| entries.get_mut(*position))
        {
            Some(entry) => apply_record(entry, record),
            None => Err(Refusal::NoSuchObject),
        };
        if let Err(refusal) = outcome {
            refused.push(RefusedChange {
                line: record.line,
                dn: record.dn.clone(),
                refusal,
            });
        }
    }
    refused
}

/// LDIF content with change records applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedContent {
    /// Every entry of the content, in its order, with the accepted records applied, as LDIF.
    pub ldif: Vec<u8>,
    /// How many records were applied.
    pub applied: usize,
    /// The records refused, in order.
    pub refused: Vec<RefusedChange>,
}

/// Reads LDIF content (an export) and LDIF change records, applies the records to the content's entries
/// ([`apply_changes`]) and writes the result as LDIF content, headed by `comment`. A malformed file is
/// an error naming it and its line; refused records are returned, not errors, so the caller decides
/// whether a partly applied result may be used.
pub fn apply_to_content(
    content: &[u8],
    content_name: &str,
    changes: &[u8],
    changes_name: &str,
    comment: &str,
) -> Result<AppliedContent, LdifError> {
    let mut entries: Vec<DirectoryEntry> = super::read_entries(content, content_name)?
        .into_iter()
        .map(|read| read.entry)
        .collect();
    let records = read_changes(changes, changes_name)?;
    let refused = apply_changes(&mut entries, &records);
    let write = || -> std::io::Result<Vec<u8>> {
        let mut writer = LdifWriter::new(Vec::new(), comment)?;
        for entry in &entries {
            writer.write_entry(entry)?;
        }
        writer.finish()
    };
    // Writing into memory cannot fail.
    let ldif = write().unwrap_or_default();
    Ok(AppliedContent {
        ldif,
        applied: records.len() - refused.len(),
        refused,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: [u8; 16] = [1; 16];
    const NEW: [u8; 16] = [2; 16];

    fn content() -> Vec<u8> {
        let mut writer = LdifWriter::new(Vec::new(), "export").unwrap();
        let mut taro = DirectoryEntry::new("CN=山田 太郎,OU=Tokyo,DC=corp");
        taro.push("objectClass", "user");
        taro.push("mS-DS-ConsistencyGuid", OLD.to_vec());
        taro.push("otherMailbox", "a@example.com");
        writer.write_entry(&taro).unwrap();
        let mut hanako = DirectoryEntry::new("CN=Hanako,OU=Tokyo,DC=corp");
        hanako.push("objectClass", "user");
        writer.write_entry(&hanako).unwrap();
        writer.finish().unwrap()
    }

    fn compare_and_set(dn: &str, before: Option<&[u8]>, after: Option<&[u8]>) -> Vec<u8> {
        let mut writer = LdifWriter::new(Vec::new(), "changes").unwrap();
        writer
            .write_compare_and_set(dn, "mS-DS-ConsistencyGuid", before, after)
            .unwrap();
        writer.finish().unwrap()
    }

    fn entries(ldif: &[u8]) -> Vec<DirectoryEntry> {
        crate::ldif::read_entries(ldif, "out")
            .unwrap()
            .into_iter()
            .map(|read| read.entry)
            .collect()
    }

    #[test]
    fn the_emitted_compare_and_set_applies_once_and_is_refused_when_stale() {
        // The DN spelled in another case, as AD compares DNs.
        let changes = compare_and_set("cn=山田 太郎, ou=tokyo,DC=corp", Some(&OLD), Some(&NEW));
        let applied = apply_to_content(&content(), "ad.ldif", &changes, "c.ldif", "after").unwrap();
        assert_eq!((applied.applied, applied.refused.len()), (1, 0));
        let after = entries(&applied.ldif);
        assert_eq!(after[0].values("mS-DS-ConsistencyGuid"), [NEW.to_vec()]);
        assert_eq!(after[0].values("otherMailbox"), [b"a@example.com".to_vec()]);
        assert_eq!(after[1], entries(&content())[1], "other entries unchanged");
        // Applied again, the value is no longer the expected one: refused, nothing changed.
        let again = apply_to_content(&applied.ldif, "after.ldif", &changes, "c.ldif", "x").unwrap();
        assert_eq!(again.applied, 0);
        assert_eq!(again.refused[0].refusal.result_code(), 16);
        assert_eq!(again.refused[0].line, 4);
        assert_eq!(entries(&again.ldif), after);
    }

    #[test]
    fn a_record_is_applied_whole_or_not_at_all() {
        // The add succeeds, then the delete of an absent value fails: the add is not kept either.
        let changes = b"dn: CN=Hanako,OU=Tokyo,DC=corp\nchangetype: modify\nadd: otherMailbox\n\
otherMailbox: h@example.com\n-\ndelete: otherMailbox\notherMailbox: missing@example.com\n-\n\n\
dn: CN=Nobody,DC=corp\nchangetype: modify\nreplace: mail\nmail: n@example.com\n-\n";
        let applied = apply_to_content(&content(), "ad.ldif", changes, "c.ldif", "x").unwrap();
        let codes: Vec<u32> = applied
            .refused
            .iter()
            .map(|refused| refused.refusal.result_code())
            .collect();
        assert_eq!(codes, [16, 32]);
        assert_eq!(entries(&applied.ldif), entries(&content()));
    }

    #[test]
    fn add_delete_and_replace_follow_the_directory() {
        let mut entry = DirectoryEntry::new("CN=A");
        entry.push("otherMailbox", "a@example.com");
        entry.push("mS-DS-ConsistencyGuid", OLD.to_vec());
        let record = |text: &str| {
            read_changes(
                format!("dn: CN=A\nchangetype: modify\n{text}").as_bytes(),
                "c",
            )
            .unwrap()
            .remove(0)
        };
        let refusal = |text: &str| {
            apply_record(&mut entry.clone(), &record(text))
                .unwrap_err()
                .result_code()
        };
        // Text values compare ignoring case; binary ones byte for byte.
        assert_eq!(
            refusal("add: otherMailbox\notherMailbox: A@EXAMPLE.COM\n"),
            20
        );
        assert_eq!(
            refusal(
                "add: mS-DS-ConsistencyGuid\nmS-DS-ConsistencyGuid:: AgICAgICAgICAgICAgICAg==\n"
            ),
            20
        );
        assert_eq!(refusal("delete: mail\n"), 16);
        let mut changed = entry.clone();
        apply_record(
            &mut changed,
            &record("delete: otherMailbox\notherMailbox: A@example.COM\n-\nreplace: mail\nmail: m@example.com\n-\nreplace: description\n-\n"),
        )
        .unwrap();
        assert!(changed.values("otherMailbox").is_empty());
        assert_eq!(changed.values("mail"), [b"m@example.com".to_vec()]);
        let mut cleared = entry.clone();
        apply_record(&mut cleared, &record("delete: mS-DS-ConsistencyGuid\n-\n")).unwrap();
        assert!(cleared.values("mS-DS-ConsistencyGuid").is_empty());
    }

    #[test]
    fn malformed_change_files_name_the_line() {
        let cases = [
            ("dn: CN=A\nmail: a\n", 2, "changetype: modify"),
            ("dn: CN=A\nchangetype: add\nmail: a\n", 2, "changetype: add"),
            (
                "dn: CN=A\nchangetype: modify\nincrement: x\n",
                3,
                "`add: ATTRIBUTE`",
            ),
            (
                "dn: CN=A\nchangetype: modify\nadd: mail\nsn: x\n-\n",
                4,
                "`add: mail`",
            ),
            (
                "dn: CN=A\nchangetype: modify\nadd: mail\n-\n",
                3,
                "no values",
            ),
            ("version: 1\n\nmail: a\n", 3, "must start with `dn:`"),
        ];
        for (input, line, message) in cases {
            let error = read_changes(input.as_bytes(), "c.ldif").unwrap_err();
            let text = error.to_string();
            assert_eq!(error.line, line, "{input:?}: {text}");
            assert!(text.contains(message), "{text}");
        }
    }
}
