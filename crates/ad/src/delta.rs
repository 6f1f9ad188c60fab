//! Delta reads: the users changed since the last read, with the AD DirSync control
//! (1.2.840.113556.1.4.841), or with `uSNChanged` when the bind account may not use DirSync.
//!
//! DirSync asks the domain controller for every object changed since a cookie it handed out. It needs
//! the "Replicating Directory Changes" right (DS-Replication-Get-Changes) on the domain, it must be
//! critical, its base must be the naming context root, and it is paged by resending the search with
//! the returned cookie while the server says there is more. It returns only the attributes that
//! changed, so anchorsync reads the changed users again, in scope, to hand back whole entries.
//!
//! Without that right, the fallback asks for users whose `uSNChanged` is above the highest USN the
//! domain controller had committed at the previous read. USNs belong to one DC, so the cookie records
//! which DC (`dsServiceName`) issued it, and a cookie from another DC starts over with a full read.
//! The fallback cannot see deletions or users leaving the scope (their object no longer matches); a
//! periodic full read catches those.
//!
//! With a `group` in the scope, a user who joins the group (directly or through a nested group)
//! changes only the group object: DirSync reports the group, and the members it lists are read again.
//! Users removed from a group are seen at the next full read.

use std::collections::{BTreeSet, HashSet};

use anchorsync_core::directory::DirectoryEntry;
use anchorsync_core::identifier::{ObjectGuid, encode_ldap_filter};
use anchorsync_core::progress::Reporter;
use bytes::BytesMut;
use ldap3::asn1::{ASNTag, Integer, OctetString, PL, Sequence, Tag, parse_tag, write};
use ldap3::controls::RawControl;
use ldap3::{LdapError, Scope};

use crate::Error;
use crate::connection::AdConnection;
use crate::entry::directory_entry;

/// The DirSync control's OID.
pub const DIRSYNC_OID: &str = "1.2.840.113556.1.4.841";
/// `LDAP_DIRSYNC_INCREMENTAL_VALUES`: sent as the signed 32-bit integer it is on the wire.
pub const LDAP_DIRSYNC_INCREMENTAL_VALUES: i32 = 0x8000_0000_u32 as i32;
/// LDAP result code 50.
const INSUFFICIENT_ACCESS_RIGHTS: u32 = 50;
/// How many GUIDs one re-read filter names.
const GUIDS_PER_FILTER: usize = 200;

/// Which mechanism a cookie belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeltaMode {
    /// The DirSync control; the cookie is the server's, opaque.
    DirSync,
    /// The `uSNChanged` fallback; the cookie is `dsServiceName` and a USN.
    UsnChanged,
}

impl DeltaMode {
    /// The name stored with the cookie.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DirSync => "dirsync",
            Self::UsnChanged => "usnchanged",
        }
    }

    /// Reads a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "dirsync" => Some(Self::DirSync),
            "usnchanged" => Some(Self::UsnChanged),
            _ => None,
        }
    }
}

/// Where a delta read left off: kept per source (server and base DNs) between runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncCookie {
    /// The mechanism.
    pub mode: DeltaMode,
    /// The cookie's bytes.
    pub value: Vec<u8>,
}

/// The users changed since a cookie.
#[derive(Debug, Clone)]
pub struct Delta {
    /// Whether this was a full read (no usable cookie): `changed` then holds every user in scope.
    pub full: bool,
    /// The mechanism used.
    pub mode: DeltaMode,
    /// Users in scope that changed (or joined the scope), whole, as a full read returns them.
    pub changed: Vec<DirectoryEntry>,
    /// Objects that changed and are not in scope any more: deleted, moved out, or no longer matching.
    /// Only DirSync reports them.
    pub departed: BTreeSet<ObjectGuid>,
    /// The cookie for the next read.
    pub cookie: SyncCookie,
}

/// The DirSync request control.
pub fn dirsync_control(flags: i32, max_bytes: i32, cookie: &[u8]) -> RawControl {
    let value = Tag::Sequence(Sequence {
        inner: vec![
            Tag::Integer(Integer {
                inner: i64::from(flags),
                ..Default::default()
            }),
            Tag::Integer(Integer {
                inner: i64::from(max_bytes),
                ..Default::default()
            }),
            Tag::OctetString(OctetString {
                inner: cookie.to_vec(),
                ..Default::default()
            }),
        ],
        ..Default::default()
    })
    .into_structure();
    let mut buffer = BytesMut::with_capacity(cookie.len() + 16);
    // Encoding into a growable buffer does not fail; an error would leave the control empty, which
    // the server refuses loudly.
    let _ = write::encode_into(&mut buffer, value);
    RawControl {
        ctype: DIRSYNC_OID.to_owned(),
        crit: true,
        val: Some(buffer.to_vec()),
    }
}

/// The DirSync response control: whether more results wait, and the new cookie.
pub fn parse_dirsync_response(value: &[u8]) -> Result<(bool, Vec<u8>), Error> {
    let malformed = |reason: &str| Error::DirSyncResponse {
        reason: reason.to_owned(),
    };
    let (_, tag) = parse_tag(value).map_err(|_| malformed("not BER"))?;
    let PL::C(parts) = tag.payload else {
        return Err(malformed("not a sequence"));
    };
    let mut parts = parts.into_iter();
    let more = match parts.next().map(|tag| tag.payload) {
        Some(PL::P(bytes)) => bytes.iter().any(|byte| *byte != 0),
        _ => return Err(malformed("moreResults is missing")),
    };
    let _unused = parts.next();
    let cookie = match parts.next().map(|tag| tag.payload) {
        Some(PL::P(bytes)) => bytes,
        _ => return Err(malformed("the cookie is missing")),
    };
    Ok((more, cookie))
}

impl AdConnection {
    /// The key a cookie is kept under: the server and the base DNs it covers.
    pub fn cookie_source(&self) -> String {
        let mut bases = self.config.base_dns.clone();
        bases.sort();
        format!("{} {}", self.server, bases.join(";"))
    }

    /// The users changed since `cookie` (everything in scope when `None`), and the next cookie.
    pub async fn read_changes(
        &mut self,
        cookie: Option<&SyncCookie>,
        reporter: &dyn Reporter,
    ) -> Result<Delta, Error> {
        match cookie {
            Some(cookie) if cookie.mode == DeltaMode::UsnChanged => {
                self.usn_changes(Some(cookie), reporter).await
            }
            _ => match self.dirsync_changes(cookie, reporter).await {
                Err(Error::MissingReplicationRight {
                    bind,
                    naming_context,
                    ..
                }) => {
                    reporter.on_note(&format!(
                        "`{bind}` lacks the \"Replicating Directory Changes\" right \
                         (DS-Replication-Get-Changes) on `{naming_context}`, so DirSync is refused; \
                         reading changes by `uSNChanged` instead, which cannot see deleted users or \
                         users leaving the scope. Grant that right to the account to use DirSync."
                    ));
                    self.usn_changes(None, reporter).await
                }
                other => other,
            },
        }
    }

    /// Runs DirSync from `cookie` over the whole naming context and returns the changed objects (only
    /// their changed attributes) and the new cookie.
    pub async fn dirsync(
        &mut self,
        cookie: &[u8],
        filter: &str,
        attributes: &[String],
        mut each: impl FnMut(DirectoryEntry),
    ) -> Result<Vec<u8>, Error> {
        let naming_context = self.root_dse().await?.default_naming_context;
        let mut cookie = cookie.to_vec();
        let timeout = self.config.operation_timeout();
        loop {
            let control = dirsync_control(0, 0, &cookie);
            let mut stream = self
                .ldap
                .with_controls(control)
                .with_timeout(timeout)
                .streaming_search(&naming_context, Scope::Subtree, filter, attributes.to_vec())
                .await
                .map_err(|source| self.search_error(&naming_context, source))?;
            loop {
                match stream.next().await {
                    Ok(Some(entry)) if entry.is_ref() || entry.is_intermediate() => {}
                    Ok(Some(entry)) => each(directory_entry(entry)?),
                    Ok(None) => break,
                    Err(source) => {
                        let _ = stream.finish().await;
                        return Err(self.search_error(&naming_context, source));
                    }
                }
            }
            let result = stream.finish().await;
            if result.rc == INSUFFICIENT_ACCESS_RIGHTS {
                return Err(Error::MissingReplicationRight {
                    bind: self.config.bind.clone(),
                    naming_context,
                    text: result.text,
                });
            }
            let control = result
                .ctrls
                .iter()
                .find(|control| control.1.ctype == DIRSYNC_OID)
                .and_then(|control| control.1.val.clone());
            result
                .success()
                .map_err(|source| self.search_error(&naming_context, source))?;
            let value = control.ok_or_else(|| Error::DirSyncResponse {
                reason: "the server sent no DirSync response control".to_owned(),
            })?;
            let (more, next) = parse_dirsync_response(&value)?;
            cookie = next;
            if !more {
                return Ok(cookie);
            }
        }
    }

    async fn dirsync_changes(
        &mut self,
        cookie: Option<&SyncCookie>,
        reporter: &dyn Reporter,
    ) -> Result<Delta, Error> {
        let watch_groups = self.config.group.is_some();
        let filter = if watch_groups {
            "(|(&(objectCategory=person)(objectClass=user))(objectClass=group)(isDeleted=TRUE))"
        } else {
            "(|(&(objectCategory=person)(objectClass=user))(isDeleted=TRUE))"
        };
        let mut attributes = self.config.read_attributes();
        attributes.extend(["isDeleted".to_owned(), "objectClass".to_owned()]);
        if watch_groups {
            attributes.push("member".to_owned());
        }
        let Some(cookie) = cookie else {
            // First read: take the cookie first, then read everything, so that nothing changed in
            // between is lost (it is at worst read twice).
            let next = self
                .dirsync(&[], filter, &["objectGUID".to_owned()], |_| {})
                .await?;
            let changed = self.read_users(reporter).await?;
            return Ok(Delta {
                full: true,
                mode: DeltaMode::DirSync,
                changed,
                departed: BTreeSet::new(),
                cookie: SyncCookie {
                    mode: DeltaMode::DirSync,
                    value: next,
                },
            });
        };
        let mut touched: BTreeSet<ObjectGuid> = BTreeSet::new();
        let mut deleted: BTreeSet<ObjectGuid> = BTreeSet::new();
        let mut group_members: BTreeSet<String> = BTreeSet::new();
        let next = self
            .dirsync(&cookie.value, filter, &attributes, |entry| {
                let Some(guid) = entry
                    .values("objectGUID")
                    .first()
                    .and_then(|bytes| ObjectGuid::try_from_ad_bytes(bytes).ok())
                else {
                    return;
                };
                let is_group = entry
                    .values("objectClass")
                    .iter()
                    .any(|class| class.eq_ignore_ascii_case(b"group"));
                if entry
                    .values("isDeleted")
                    .iter()
                    .any(|value| value.eq_ignore_ascii_case(b"TRUE"))
                {
                    deleted.insert(guid);
                } else if is_group || !entry.values("member").is_empty() {
                    group_members.extend(
                        entry
                            .values("member")
                            .iter()
                            .map(|dn| String::from_utf8_lossy(dn).into_owned()),
                    );
                } else {
                    touched.insert(guid);
                }
            })
            .await?;
        let mut changed = self.reread_guids(&touched, reporter).await?;
        let found: HashSet<ObjectGuid> = changed
            .iter()
            .filter_map(|entry| entry.values("objectGUID").first())
            .filter_map(|bytes| ObjectGuid::try_from_ad_bytes(bytes).ok())
            .collect();
        let mut departed: BTreeSet<ObjectGuid> = deleted;
        departed.extend(touched.iter().filter(|guid| !found.contains(guid)).copied());
        for dn in group_members {
            if let Some(entry) = self.reread_dn(&dn).await?
                && let Some(guid) = entry
                    .values("objectGUID")
                    .first()
                    .and_then(|bytes| ObjectGuid::try_from_ad_bytes(bytes).ok())
                && !found.contains(&guid)
            {
                departed.remove(&guid);
                changed.push(entry);
            }
        }
        Ok(Delta {
            full: false,
            mode: DeltaMode::DirSync,
            changed,
            departed,
            cookie: SyncCookie {
                mode: DeltaMode::DirSync,
                value: next,
            },
        })
    }

    /// Reads the users in scope among `guids`, whole.
    async fn reread_guids(
        &mut self,
        guids: &BTreeSet<ObjectGuid>,
        reporter: &dyn Reporter,
    ) -> Result<Vec<DirectoryEntry>, Error> {
        let scope = self.scope_filter();
        let guids: Vec<&ObjectGuid> = guids.iter().collect();
        let mut entries = Vec::new();
        for batch in guids.chunks(GUIDS_PER_FILTER) {
            let mut filter = format!("(&{scope}(|");
            for guid in batch {
                filter.push_str("(objectGUID=");
                filter.push_str(&encode_ldap_filter(guid.as_ad_bytes()));
                filter.push(')');
            }
            filter.push_str("))");
            entries.extend(self.search_scope(&filter, reporter).await?);
        }
        Ok(entries)
    }

    /// Reads one object by DN if it is a user in scope.
    async fn reread_dn(&mut self, dn: &str) -> Result<Option<DirectoryEntry>, Error> {
        let bases: Vec<crate::dn::NormalizedDn> = self
            .base_dns()
            .await?
            .iter()
            .map(|base| crate::dn::NormalizedDn::new(base))
            .collect();
        let normalized = crate::dn::NormalizedDn::new(dn);
        if self.is_excluded(dn) || !bases.iter().any(|base| normalized.is_within(base)) {
            return Ok(None);
        }
        let filter = self.scope_filter();
        let attributes = self.config.read_attributes();
        let timeout = self.config.operation_timeout();
        let result = self
            .ldap
            .with_timeout(timeout)
            .search(dn, Scope::Base, &filter, attributes)
            .await;
        let (entries, _) = match result.and_then(ldap3::SearchResult::success) {
            Ok(found) => found,
            // 32: noSuchObject, a member DN that is gone by now.
            Err(LdapError::LdapResult { result }) if result.rc == 32 => return Ok(None),
            Err(source) => return Err(self.search_error(dn, source)),
        };
        entries
            .into_iter()
            .next()
            .map(directory_entry)
            .transpose()
            .map_err(Error::from)
    }

    async fn usn_changes(
        &mut self,
        cookie: Option<&SyncCookie>,
        reporter: &dyn Reporter,
    ) -> Result<Delta, Error> {
        let root = self.root_dse().await?;
        let previous = cookie.and_then(|cookie| {
            let text = std::str::from_utf8(&cookie.value).ok()?;
            let (service, usn) = text.rsplit_once('\n')?;
            (service == root.ds_service_name).then(|| usn.parse::<u64>().ok())?
        });
        let next = SyncCookie {
            mode: DeltaMode::UsnChanged,
            value: format!("{}\n{}", root.ds_service_name, root.highest_committed_usn).into_bytes(),
        };
        let (full, changed) = match previous {
            None => (true, self.read_users(reporter).await?),
            Some(usn) => {
                let filter = format!(
                    "(&{}(uSNChanged>={}))",
                    self.scope_filter(),
                    usn.saturating_add(1)
                );
                (false, self.search_scope(&filter, reporter).await?)
            }
        };
        Ok(Delta {
            full,
            mode: DeltaMode::UsnChanged,
            changed,
            departed: BTreeSet::new(),
            cookie: next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirsync_control_encodes_flags_as_signed_int32() {
        let control = dirsync_control(LDAP_DIRSYNC_INCREMENTAL_VALUES, 0, b"ck");
        assert!(control.crit);
        assert_eq!(control.ctype, DIRSYNC_OID);
        assert_eq!(
            control.val.unwrap(),
            vec![
                0x30, 0x0d, 0x02, 0x04, 0x80, 0, 0, 0, 0x02, 0x01, 0x00, 0x04, 0x02, b'c', b'k'
            ]
        );
    }

    #[test]
    fn dirsync_response_is_parsed_and_garbage_is_an_error() {
        let response = [
            0x30, 0x0a, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x04, 0x02, b'c', b'k',
        ];
        assert_eq!(
            parse_dirsync_response(&response).unwrap(),
            (true, b"ck".to_vec())
        );
        assert!(parse_dirsync_response(&[0x30, 0x01]).is_err());
    }
}
