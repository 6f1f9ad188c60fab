//! Search result entries turned into [`DirectoryEntry`] values with every value kept as bytes.
//!
//! ldap3's `SearchEntry::construct` decides per attribute whether values are text by checking whether
//! they happen to be valid UTF-8 (a GUID or SID can be), and panics on malformed BER. This walks the
//! raw `SearchResultEntry` (RFC 4511 §4.5.2) instead and reports malformed input as an error.

use anchorsync_core::directory::DirectoryEntry;
use ldap3::ResultEntry;
use ldap3::asn1::{PL, StructureTag};

/// A search result entry that is not the BER RFC 4511 describes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed search result entry from the server: {reason}")]
pub struct MalformedEntry {
    /// What is wrong.
    pub reason: String,
}

fn malformed(reason: impl Into<String>) -> MalformedEntry {
    MalformedEntry {
        reason: reason.into(),
    }
}

fn children(tag: StructureTag, what: &str) -> Result<Vec<StructureTag>, MalformedEntry> {
    match tag.payload {
        PL::C(children) => Ok(children),
        PL::P(_) => Err(malformed(format!(
            "{what} is primitive, expected constructed"
        ))),
    }
}

fn bytes(tag: StructureTag, what: &str) -> Result<Vec<u8>, MalformedEntry> {
    match tag.payload {
        PL::P(bytes) => Ok(bytes),
        PL::C(_) => Err(malformed(format!(
            "{what} is constructed, expected an octet string"
        ))),
    }
}

/// Turns one `SearchResultEntry` into a [`DirectoryEntry`]. Values stay bytes; the DN and attribute
/// descriptions must be UTF-8 (RFC 4511 says they are).
pub fn directory_entry(entry: ResultEntry) -> Result<DirectoryEntry, MalformedEntry> {
    let tag = entry.0;
    if tag.id != 4 {
        return Err(malformed(format!(
            "protocol op {} where a SearchResultEntry (4) was expected",
            tag.id
        )));
    }
    let mut parts = children(tag, "the entry")?.into_iter();
    let dn_tag = parts.next().ok_or_else(|| malformed("the DN is missing"))?;
    let dn = String::from_utf8(bytes(dn_tag, "the DN")?)
        .map_err(|_| malformed("the DN is not UTF-8"))?;
    let attributes_tag = parts
        .next()
        .ok_or_else(|| malformed(format!("`{dn}`: the attribute list is missing")))?;
    let mut directory_entry = DirectoryEntry::new(dn);
    for attribute in children(attributes_tag, "the attribute list")? {
        let mut pair = children(attribute, "an attribute")?.into_iter();
        let name_tag = pair.next().ok_or_else(|| {
            malformed(format!(
                "`{}`: an attribute has no name",
                directory_entry.dn
            ))
        })?;
        let name = String::from_utf8(bytes(name_tag, "an attribute name")?).map_err(|_| {
            malformed(format!(
                "`{}`: an attribute name is not UTF-8",
                directory_entry.dn
            ))
        })?;
        let values_tag = pair.next().ok_or_else(|| {
            malformed(format!(
                "`{}`: `{name}` has no value set",
                directory_entry.dn
            ))
        })?;
        let values = children(values_tag, "a value set")?
            .into_iter()
            .map(|value| bytes(value, "a value"))
            .collect::<Result<Vec<_>, _>>()?;
        // One name per attribute, all its values at once. An attribute with no values (a DirSync or
        // range-retrieval answer can send one) keeps its name so callers can see it was sent.
        directory_entry
            .attributes
            .entry(anchorsync_core::directory::AttributeName::new(name))
            .or_default()
            .extend(values);
    }
    Ok(directory_entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ldap3::asn1::TagClass;

    fn octets(bytes: &[u8]) -> StructureTag {
        StructureTag {
            class: TagClass::Universal,
            id: 4,
            payload: PL::P(bytes.to_vec()),
        }
    }

    fn sequence(id: u64, children: Vec<StructureTag>) -> StructureTag {
        StructureTag {
            class: TagClass::Universal,
            id,
            payload: PL::C(children),
        }
    }

    #[test]
    fn utf8_looking_guid_stays_bytes_and_bad_ber_is_an_error() {
        let guid = b"ABCDEFGHIJKLMNOP".to_vec();
        let entry = StructureTag {
            class: TagClass::Application,
            id: 4,
            payload: PL::C(vec![
                octets(b"CN=A,DC=corp"),
                sequence(
                    16,
                    vec![sequence(
                        16,
                        vec![octets(b"objectGUID"), sequence(17, vec![octets(&guid)])],
                    )],
                ),
            ]),
        };
        let parsed = directory_entry(ResultEntry::new(entry)).unwrap();
        assert_eq!(parsed.values("objectguid"), &[guid]);

        let broken = StructureTag {
            class: TagClass::Application,
            id: 4,
            payload: PL::C(vec![octets(b"CN=A,DC=corp"), octets(b"not a sequence")]),
        };
        assert_eq!(
            directory_entry(ResultEntry::new(broken))
                .unwrap_err()
                .to_string(),
            "malformed search result entry from the server: the attribute list is primitive, expected constructed"
        );
    }
}
