//! Lookups over the tenant that every rule needs: one hash map per matching key, built once, so each
//! on-premises user costs a handful of lookups instead of a pass over every cloud user.
//!
//! Keys follow Entra's comparisons: onPremisesImmutableId exactly (case-sensitive), addresses and user
//! principal names case-insensitively. When a snapshot holds the same value twice (Entra itself never
//! does), the first user in the snapshot wins.
//!
//! Case-insensitive maps store a hash of the folded value next to the value as written, so building a
//! million-entry index allocates no folded copies.

use std::hash::Hasher as _;

use rustc_hash::{FxHashMap, FxHasher};

use crate::directory::{smtp_address, trim};
use crate::tenant::{CloudUser, TenantSnapshot};

/// The value as compared case-insensitively: trimmed, lowercase.
fn folded(value: &str) -> impl Iterator<Item = char> + '_ {
    trim(value).chars().flat_map(char::to_lowercase)
}

/// Whether two values are equal ignoring case (and surrounding whitespace).
pub fn eq_folded(a: &str, b: &str) -> bool {
    let (a, b) = (trim(a), trim(b));
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    folded(a).eq(folded(b))
}

/// A hash of the folded value.
pub fn folded_hash(value: &str) -> u64 {
    let value = trim(value);
    let mut hasher = FxHasher::default();
    if value.is_ascii() {
        let mut buffer = [0u8; 64];
        for chunk in value.as_bytes().chunks(buffer.len()) {
            let lowered = buffer.get_mut(..chunk.len()).unwrap_or_default();
            lowered.copy_from_slice(chunk);
            lowered.make_ascii_lowercase();
            hasher.write(lowered);
        }
    } else {
        let mut encoded = [0u8; 4];
        for character in folded(value) {
            hasher.write(character.encode_utf8(&mut encoded).as_bytes());
        }
    }
    hasher.finish()
}

/// A map from values compared case-insensitively, holding borrowed values only. Keys are the folded
/// value's hash; two different values with the same hash (vanishingly rare) are told apart by probing
/// further hashes derived from it, so a lookup is one probe in practice and always exact.
#[derive(Debug)]
pub struct FoldedMap<'t, V> {
    slots: FxHashMap<u64, (&'t str, V)>,
}

impl<V> Default for FoldedMap<'_, V> {
    fn default() -> Self {
        Self {
            slots: FxHashMap::default(),
        }
    }
}

/// The `probe`-th slot for a hash.
fn probe_key(hash: u64, probe: u64) -> u64 {
    hash.wrapping_add(probe.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

impl<'t, V: Default> FoldedMap<'t, V> {
    /// An empty map with room for `capacity` values.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            slots: FxHashMap::with_capacity_and_hasher(capacity, Default::default()),
        }
    }

    /// The value kept for a key equal to this one ignoring case, made when there is none.
    pub fn entry(&mut self, key: &'t str) -> &mut V {
        self.entry_hashed(folded_hash(key), key)
    }

    fn entry_hashed(&mut self, hash: u64, key: &'t str) -> &mut V {
        // The first slot of the chain that is free or holds this key.
        let mut probe = 0;
        while let Some((held, _)) = self.slots.get(&probe_key(hash, probe)) {
            if eq_folded(held, key) {
                break;
            }
            probe += 1;
        }
        &mut self
            .slots
            .entry(probe_key(hash, probe))
            .or_insert_with(|| (key, V::default()))
            .1
    }

    /// The value kept for a key equal to this one ignoring case.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.get_hashed(folded_hash(key), key)
    }

    fn get_hashed(&self, hash: u64, key: &str) -> Option<&V> {
        let mut probe = 0;
        loop {
            let (held, value) = self.slots.get(&probe_key(hash, probe))?;
            if eq_folded(held, key) {
                return Some(value);
            }
            probe += 1;
        }
    }

    /// How many distinct keys.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

/// Keeps the first position given for a key; returns the position kept.
pub fn keep_first<'t>(
    map: &mut FoldedMap<'t, Option<usize>>,
    key: &'t str,
    position: usize,
) -> usize {
    *map.entry(key).get_or_insert(position)
}

/// The cloud users that hold an address, by the role it plays for them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddressHolders {
    /// The user whose userPrincipalName it is.
    pub user_principal_name: Option<usize>,
    /// The user whose primary SMTP address (`SMTP:`) it is.
    pub primary_smtp: Option<usize>,
    /// The user that has it among its SMTP proxy addresses, primary or secondary.
    pub proxy_address: Option<usize>,
}

/// The tenant's users by every key the rules look them up with.
#[derive(Debug)]
pub struct CloudIndex<'t> {
    tenant: &'t TenantSnapshot,
    immutable_id: FxHashMap<&'t str, usize>,
    immutable_id_folded: FoldedMap<'t, Option<usize>>,
    /// userPrincipalNames and SMTP addresses share one map: Entra compares them with each other
    /// (docs/rules.md §3.2), and a user's UPN is usually its primary address, so one lookup answers
    /// every rule.
    addresses: FoldedMap<'t, AddressHolders>,
    security_identifier: FoldedMap<'t, Option<usize>>,
    roles: FxHashMap<&'t str, Vec<usize>>,
}

impl<'t> CloudIndex<'t> {
    /// Indexes a tenant. The maps are independent, so they are built on all cores at once.
    pub fn new(tenant: &'t TenantSnapshot) -> Self {
        let users = &tenant.users;
        let count = users.len();
        let by = |key: fn(&'t CloudUser) -> Option<&'t str>| {
            let mut map = FoldedMap::with_capacity(count);
            for (position, user) in users.iter().enumerate() {
                if let Some(value) = key(user) {
                    keep_first(&mut map, value, position);
                }
            }
            map
        };
        let ((immutable_id, immutable_id_folded), (addresses, security_identifier)) = rayon::join(
            || {
                rayon::join(
                    || {
                        let mut map =
                            FxHashMap::with_capacity_and_hasher(count, Default::default());
                        for (position, user) in users.iter().enumerate() {
                            if let Some(id) = non_empty(&user.on_premises_immutable_id) {
                                map.entry(id).or_insert(position);
                            }
                        }
                        map
                    },
                    || by(|user| non_empty(&user.on_premises_immutable_id)),
                )
            },
            || {
                rayon::join(
                    || {
                        let mut map: FoldedMap<'t, AddressHolders> =
                            FoldedMap::with_capacity(count * 3 / 2);
                        for (position, user) in users.iter().enumerate() {
                            if let Some(upn) = non_empty(&user.user_principal_name) {
                                map.entry(upn).user_principal_name.get_or_insert(position);
                            }
                            for address in &user.proxy_addresses {
                                let Some(smtp) = smtp_address(address).filter(|a| !a.is_empty())
                                else {
                                    continue;
                                };
                                let holders = map.entry(smtp);
                                holders.proxy_address.get_or_insert(position);
                                if address.starts_with("SMTP:") {
                                    holders.primary_smtp.get_or_insert(position);
                                }
                            }
                        }
                        map
                    },
                    || by(|user| non_empty(&user.on_premises_security_identifier)),
                )
            },
        );
        let mut roles: FxHashMap<&'t str, Vec<usize>> = FxHashMap::default();
        for (position, assignment) in tenant.role_assignments.iter().enumerate() {
            roles
                .entry(assignment.principal_id.as_str())
                .or_default()
                .push(position);
        }
        Self {
            tenant,
            immutable_id,
            immutable_id_folded,
            addresses,
            security_identifier,
            roles,
        }
    }

    /// The tenant indexed.
    pub fn tenant(&self) -> &'t TenantSnapshot {
        self.tenant
    }

    /// A cloud user by position in the snapshot.
    pub fn user(&self, position: usize) -> Option<&'t CloudUser> {
        self.tenant.users.get(position)
    }

    /// The cloud user whose onPremisesImmutableId is exactly `anchor`.
    pub fn by_immutable_id(&self, anchor: &str) -> Option<usize> {
        self.immutable_id.get(anchor).copied()
    }

    /// The cloud user whose onPremisesImmutableId equals `anchor` ignoring case.
    pub fn by_immutable_id_ignoring_case(&self, anchor: &str) -> Option<usize> {
        self.immutable_id_folded.get(anchor).copied().flatten()
    }

    /// Who holds an address (or userPrincipalName), compared case-insensitively.
    pub fn address(&self, address: &str) -> AddressHolders {
        self.addresses.get(address).copied().unwrap_or_default()
    }

    /// The cloud user with this userPrincipalName (case-insensitive).
    pub fn by_user_principal_name(&self, upn: &str) -> Option<usize> {
        self.address(upn).user_principal_name
    }

    /// The cloud user with this SMTP address among its proxyAddresses, primary or secondary.
    pub fn by_proxy_address(&self, address: &str) -> Option<usize> {
        self.address(address).proxy_address
    }

    /// The cloud user whose primary SMTP address (`SMTP:`) this is.
    pub fn by_primary_smtp(&self, address: &str) -> Option<usize> {
        self.address(address).primary_smtp
    }

    /// Whether any cloud user has an onPremisesSecurityIdentifier.
    pub fn has_security_identifiers(&self) -> bool {
        !self.security_identifier.is_empty()
    }

    /// The cloud user whose onPremisesSecurityIdentifier this SID string is.
    pub fn by_security_identifier(&self, sid: &str) -> Option<usize> {
        self.security_identifier.get(sid).copied().flatten()
    }

    /// The roleDefinitionIds of the directory roles assigned to a cloud user, sorted, without repeats.
    pub fn roles_of(&self, position: usize) -> Vec<&'t str> {
        let Some(user) = self.user(position) else {
            return Vec::new();
        };
        let mut roles: Vec<&'t str> = self
            .roles
            .get(user.id.as_str())
            .into_iter()
            .flatten()
            .filter_map(|assignment| self.tenant.role_assignments.get(*assignment))
            .map(|assignment| assignment.role_definition_id.as_str())
            .collect();
        roles.sort_unstable();
        roles.dedup();
        roles
    }

    /// Whether a cloud user holds any directory role.
    pub fn holds_role(&self, position: usize) -> bool {
        !self.roles.is_empty()
            && self
                .user(position)
                .is_some_and(|user| self.roles.contains_key(user.id.as_str()))
    }
}

/// A present, non-empty text value.
pub fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|text| !trim(text).is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::RoleAssignment;

    #[test]
    fn keys_compare_like_entra() {
        let tenant = TenantSnapshot {
            users: vec![
                CloudUser {
                    id: "a".into(),
                    user_principal_name: Some("Taro@Example.com".into()),
                    on_premises_immutable_id: Some("AbC=".into()),
                    proxy_addresses: vec![
                        "SMTP:Taro@Example.com".into(),
                        "smtp:t@example.jp".into(),
                    ],
                    on_premises_security_identifier: Some("S-1-5-21-1-2-3-1001".into()),
                    ..CloudUser::default()
                },
                CloudUser {
                    id: "b".into(),
                    user_principal_name: Some("ÉLODIE@example.com".into()),
                    on_premises_immutable_id: Some(String::new()),
                    ..CloudUser::default()
                },
            ],
            role_assignments: vec![RoleAssignment {
                id: "r".into(),
                principal_id: "a".into(),
                role_definition_id: "62e90394-69f5-4237-9190-012177145e10".into(),
                ..RoleAssignment::default()
            }],
            ..TenantSnapshot::default()
        };
        let index = CloudIndex::new(&tenant);
        assert_eq!(index.by_immutable_id("AbC="), Some(0));
        assert_eq!(index.by_immutable_id("abc="), None);
        assert_eq!(index.by_immutable_id_ignoring_case("abc="), Some(0));
        assert_eq!(index.by_immutable_id(""), None);
        assert_eq!(index.by_user_principal_name("taro@example.COM "), Some(0));
        assert_eq!(index.by_user_principal_name("élodie@EXAMPLE.com"), Some(1));
        assert_eq!(index.by_proxy_address("T@EXAMPLE.JP"), Some(0));
        assert_eq!(index.by_primary_smtp("t@example.jp"), None);
        assert_eq!(index.by_primary_smtp("taro@example.com"), Some(0));
        assert_eq!(index.by_security_identifier("S-1-5-21-1-2-3-1001"), Some(0));
        assert!(index.holds_role(0) && !index.holds_role(1));
        assert_eq!(
            index.roles_of(0),
            vec!["62e90394-69f5-4237-9190-012177145e10"]
        );
    }

    #[test]
    fn folded_map_keeps_the_first_and_survives_collisions() {
        let mut map: FoldedMap<'_, Option<usize>> = FoldedMap::default();
        assert_eq!(keep_first(&mut map, "Taro@x.com", 0), 0);
        assert_eq!(keep_first(&mut map, "taro@X.COM", 1), 0);
        // Two different values under one hash: both stay findable, each by its own value only.
        *map.entry_hashed(42, "one@x.com") = Some(2);
        *map.entry_hashed(42, "TWO@x.com") = Some(3);
        assert_eq!(*map.entry_hashed(42, "two@x.com"), Some(3));
        assert_eq!(map.get_hashed(42, "One@x.com"), Some(&Some(2)));
        assert_eq!(map.get_hashed(42, "two@X.com"), Some(&Some(3)));
        assert_eq!(map.get_hashed(42, "three@x.com"), None);
        assert_eq!(map.len(), 3);
        assert_eq!(folded_hash(&"A".repeat(100)), folded_hash(&"a".repeat(100)));
        assert_eq!(folded_hash(" É "), folded_hash("é"));
    }
}
