//! Writing the anchor attribute of one user as a compare-and-set.
//!
//! The whole check happens on the server, in one LDAP modify: to replace value `old` by `new` the
//! request deletes `old` and adds `new`, and the directory applies both or neither; when the attribute
//! does not hold `old` (someone changed it since it was read), the delete fails with `noSuchAttribute`
//! and nothing changes. When the caller expects the attribute to be empty the request only adds, which
//! a single-valued attribute that already has a value refuses; clearing only deletes the expected value.
//!
//! For a string attribute the server's matching rule decides whether the expected value matches, and
//! Active Directory's string attributes match case-insensitively; binary attributes match byte for byte.

use std::collections::HashSet;

use anchorsync_core::directory::is_binary_attribute;
use anchorsync_core::identifier::{ObjectGuid, encode_base64};
use ldap3::{Mod, Scope};

use crate::Error;
use crate::connection::AdConnection;
use crate::entry::directory_entry;

/// LDAP result codes that mean "the attribute does not hold what the request assumed".
const NO_SUCH_ATTRIBUTE: u32 = 16;
const CONSTRAINT_VIOLATION: u32 = 19;
const ATTRIBUTE_OR_VALUE_EXISTS: u32 = 20;

/// An attribute value shown to a person: Base64 (and the GUID for 16 bytes) for binary values, the
/// text for string ones, `empty` for none.
pub fn display_value(attribute: &str, value: Option<&[u8]>) -> String {
    let Some(bytes) = value else {
        return "empty".to_owned();
    };
    match std::str::from_utf8(bytes) {
        Ok(text) if !is_binary_attribute(attribute) => format!("`{text}`"),
        _ => match ObjectGuid::try_from_ad_bytes(bytes) {
            Ok(guid) => format!("`{}` (GUID {guid})", encode_base64(bytes)),
            Err(_) => format!("`{}` (Base64)", encode_base64(bytes)),
        },
    }
}

impl AdConnection {
    /// Sets or clears the configured anchor attribute of one user, only if it currently holds
    /// `expected` (`None`: empty). Returns the value replaced.
    pub async fn set_anchor(
        &mut self,
        dn: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<Option<Vec<u8>>, Error> {
        let attribute = self.config.anchor_attribute.clone();
        self.compare_and_set(dn, &attribute, expected, new).await
    }

    /// Sets or clears `attribute` of the object `dn`, only if it currently holds `expected` (`None`:
    /// empty), in one modify the server applies atomically. Returns the value replaced. A stale
    /// expectation is [`Error::StaleValue`], and the attribute is left as it was.
    pub async fn compare_and_set(
        &mut self,
        dn: &str,
        attribute: &str,
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<Option<Vec<u8>>, Error> {
        let name = attribute.as_bytes().to_vec();
        let set = |value: &[u8]| HashSet::from([value.to_vec()]);
        let mods: Vec<Mod<Vec<u8>>> = match (expected, new) {
            (Some(old), Some(new)) if old == new => {
                // Nothing to write, but the expectation is still checked.
                let current = self.read_attribute(dn, attribute).await?;
                return self.check_unchanged(dn, attribute, expected, current);
            }
            (Some(old), Some(new)) => vec![
                Mod::Delete(name.clone(), set(old)),
                Mod::Add(name, set(new)),
            ],
            (None, Some(new)) => vec![Mod::Add(name, set(new))],
            (Some(old), None) => vec![Mod::Delete(name, set(old))],
            (None, None) => {
                let current = self.read_attribute(dn, attribute).await?;
                return self.check_unchanged(dn, attribute, expected, current);
            }
        };
        let timeout = self.config.operation_timeout();
        let result = self
            .ldap
            .with_timeout(timeout)
            .modify(dn, mods)
            .await
            .map_err(|source| Error::Write {
                server: self.server.clone(),
                dn: dn.to_owned(),
                attribute: attribute.to_owned(),
                source: Box::new(source),
            })?;
        match result.rc {
            0 => Ok(expected.map(<[u8]>::to_vec)),
            NO_SUCH_ATTRIBUTE | CONSTRAINT_VIOLATION | ATTRIBUTE_OR_VALUE_EXISTS => {
                let current = self.read_attribute(dn, attribute).await?;
                self.check_unchanged(dn, attribute, expected, current)?;
                // The value was as expected, so the refusal has another reason: report it.
                Err(Error::Write {
                    server: self.server.clone(),
                    dn: dn.to_owned(),
                    attribute: attribute.to_owned(),
                    source: Box::new(ldap3::LdapError::LdapResult { result }),
                })
            }
            _ => Err(Error::Write {
                server: self.server.clone(),
                dn: dn.to_owned(),
                attribute: attribute.to_owned(),
                source: Box::new(ldap3::LdapError::LdapResult { result }),
            }),
        }
    }

    fn check_unchanged(
        &self,
        dn: &str,
        attribute: &str,
        expected: Option<&[u8]>,
        current: Vec<Vec<u8>>,
    ) -> Result<Option<Vec<u8>>, Error> {
        let actual = current.first().map(Vec::as_slice);
        if current.len() <= 1 && actual == expected {
            return Ok(expected.map(<[u8]>::to_vec));
        }
        Err(Error::StaleValue {
            dn: dn.to_owned(),
            attribute: attribute.to_owned(),
            expected: display_value(attribute, expected),
            actual: if current.len() > 1 {
                current
                    .iter()
                    .map(|value| display_value(attribute, Some(value)))
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                display_value(attribute, actual)
            },
        })
    }

    /// Every value of one attribute of one object, as bytes.
    pub async fn read_attribute(
        &mut self,
        dn: &str,
        attribute: &str,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let timeout = self.config.operation_timeout();
        let (entries, _) = self
            .ldap
            .with_timeout(timeout)
            .search(dn, Scope::Base, "(objectClass=*)", vec![attribute])
            .await
            .and_then(ldap3::SearchResult::success)
            .map_err(|source| self.search_error(dn, source))?;
        let mut values = Vec::new();
        for entry in entries {
            values.extend(directory_entry(entry)?.values(attribute).iter().cloned());
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_shown_readably() {
        let guid = [
            0x88u8, 0x68, 0x66, 0x88, 1, 1, 0x11, 0x11, 0xbb, 0xbb, 0x12, 0x34, 0x56, 0x78, 0x90,
            0xab,
        ];
        assert_eq!(
            display_value("mS-DS-ConsistencyGuid", Some(&guid)),
            "`iGhmiAEBERG7uxI0VniQqw==` (GUID 88666888-0101-1111-bbbb-1234567890ab)"
        );
        assert_eq!(
            display_value("mS-DS-ConsistencyGuid", Some(b"ABCDEFGHIJKLMNOP")),
            "`QUJDREVGR0hJSktMTU5PUA==` (GUID 44434241-4645-4847-494a-4b4c4d4e4f50)"
        );
        assert_eq!(display_value("employeeID", Some(b"E10023")), "`E10023`");
        assert_eq!(
            display_value("employeeID", Some(&[0xff, 0x00])),
            "`/wA=` (Base64)"
        );
        assert_eq!(display_value("employeeID", None), "empty");
    }
}
