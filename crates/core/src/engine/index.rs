//! Lookups over the tenant that every rule needs: one hash map per matching key, built once, so each
//! on-premises user costs a handful of lookups instead of a pass over every cloud user.
//!
//! Keys follow Entra's comparisons: onPremisesImmutableId exactly (case-sensitive), addresses and user
//! principal names case-insensitively. When a snapshot holds the same value twice (Entra itself never
//! does), the first user in the snapshot wins.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::directory::smtp_address;
use crate::tenant::{CloudUser, TenantSnapshot};

/// A value folded for case-insensitive comparison, borrowed when it is already folded (most addresses
/// are lowercase, so most keys cost no allocation).
pub fn fold(value: &str) -> Cow<'_, str> {
    let value = value.trim();
    if value
        .bytes()
        .any(|b| b.is_ascii_uppercase() || !b.is_ascii())
    {
        Cow::Owned(value.to_lowercase())
    } else {
        Cow::Borrowed(value)
    }
}

/// The tenant's users by every key the rules look them up with.
#[derive(Debug)]
pub struct CloudIndex<'t> {
    tenant: &'t TenantSnapshot,
    immutable_id: HashMap<&'t str, usize>,
    immutable_id_folded: HashMap<Cow<'t, str>, usize>,
    user_principal_name: HashMap<Cow<'t, str>, usize>,
    proxy_address: HashMap<Cow<'t, str>, usize>,
    primary_smtp: HashMap<Cow<'t, str>, usize>,
    security_identifier: HashMap<Cow<'t, str>, usize>,
    roles: HashMap<&'t str, Vec<usize>>,
}

impl<'t> CloudIndex<'t> {
    /// Indexes a tenant.
    pub fn new(tenant: &'t TenantSnapshot) -> Self {
        let count = tenant.users.len();
        let mut index = Self {
            tenant,
            immutable_id: HashMap::with_capacity(count),
            immutable_id_folded: HashMap::with_capacity(count),
            user_principal_name: HashMap::with_capacity(count),
            proxy_address: HashMap::with_capacity(count * 2),
            primary_smtp: HashMap::with_capacity(count),
            security_identifier: HashMap::new(),
            roles: HashMap::new(),
        };
        for (position, user) in tenant.users.iter().enumerate() {
            if let Some(id) = non_empty(&user.on_premises_immutable_id) {
                index.immutable_id.entry(id).or_insert(position);
                index
                    .immutable_id_folded
                    .entry(fold(id))
                    .or_insert(position);
            }
            if let Some(upn) = non_empty(&user.user_principal_name) {
                index
                    .user_principal_name
                    .entry(fold(upn))
                    .or_insert(position);
            }
            for address in &user.proxy_addresses {
                let Some(smtp) = smtp_address(address).filter(|a| !a.is_empty()) else {
                    continue;
                };
                index.proxy_address.entry(fold(smtp)).or_insert(position);
            }
            if let Some(primary) = user.primary_smtp().filter(|a| !a.is_empty()) {
                index.primary_smtp.entry(fold(primary)).or_insert(position);
            }
            if let Some(sid) = non_empty(&user.on_premises_security_identifier) {
                index
                    .security_identifier
                    .entry(fold(sid))
                    .or_insert(position);
            }
        }
        for (position, assignment) in tenant.role_assignments.iter().enumerate() {
            index
                .roles
                .entry(assignment.principal_id.as_str())
                .or_default()
                .push(position);
        }
        index
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
        self.immutable_id_folded.get(&fold(anchor)).copied()
    }

    /// The cloud user with this userPrincipalName (case-insensitive).
    pub fn by_user_principal_name(&self, upn: &str) -> Option<usize> {
        self.user_principal_name.get(&fold(upn)).copied()
    }

    /// The cloud user with this SMTP address among its proxyAddresses, primary or secondary.
    pub fn by_proxy_address(&self, address: &str) -> Option<usize> {
        self.proxy_address.get(&fold(address)).copied()
    }

    /// The cloud user whose primary SMTP address (`SMTP:`) this is.
    pub fn by_primary_smtp(&self, address: &str) -> Option<usize> {
        self.primary_smtp.get(&fold(address)).copied()
    }

    /// The cloud user whose onPremisesSecurityIdentifier this SID string is.
    pub fn by_security_identifier(&self, sid: &str) -> Option<usize> {
        self.security_identifier.get(&fold(sid)).copied()
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
        self.user(position)
            .is_some_and(|user| self.roles.contains_key(user.id.as_str()))
    }
}

/// A present, non-empty text value.
pub fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|text| !text.trim().is_empty())
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
        assert_eq!(index.by_user_principal_name("taro@example.COM"), Some(0));
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
}
