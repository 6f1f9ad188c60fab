//! Duplicates across attributes and objects, compared as Entra compares them, in time linear in the
//! number of values.
//!
//! In Entra a userPrincipalName, `mail` and every proxy address of users, groups and contacts share one
//! namespace: a value on one object that another object holds in any of those attributes is refused
//! (AttributeValueMustBeUnique) or quarantined (duplicate-attribute resiliency). So every value becomes
//! one key: the UPN and `mail` as they are, an SMTP proxy address without its `smtp:`/`SMTP:` prefix,
//! any other proxy address with its type (an `x500:` value never collides with an SMTP address), all
//! compared case-insensitively and trimmed. One hash index holds, per key, the first two objects
//! holding it and how many hold it; a second pass reports each object's keys that another holds. Cloud
//! objects that no AD object matches join the index (with `--cloud`) but get no findings of their own.
//!
//! IdFix kept one list per attribute and compared each value with every earlier value of the same
//! attribute, prefix included: quadratic, and blind to a UPN equal to another user's `smtp:` address.

use crate::directory::smtp_address;
use crate::engine::index::FoldedMap;

use super::{Attribute, Finding, LintObject, ObjectKind, RuleId, TenantFacts};

/// Who holds a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// The AD object at this position.
    Ad(u32),
    /// The unmatched cloud object at this position of [`TenantFacts::unmatched`].
    Cloud(u32),
}

/// One holder of a key: the object and the attribute it holds the value in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Holder {
    owner: Owner,
    attribute: Attribute,
}

/// The holders of one key: the first two, and how many objects in all.
#[derive(Debug, Clone, Copy, Default)]
struct Holders {
    first: Option<Holder>,
    second: Option<Holder>,
    count: u32,
}

impl Holders {
    fn add(&mut self, holder: Holder) {
        let held_by = |slot: Option<Holder>| slot.is_some_and(|held| held.owner == holder.owner);
        if held_by(self.first) || held_by(self.second) {
            return;
        }
        if self.first.is_none() {
            self.first = Some(holder);
        } else if self.second.is_none() {
            self.second = Some(holder);
        }
        self.count = self.count.saturating_add(1);
    }

    /// A holder other than `owner`.
    fn other_than(&self, owner: Owner) -> Option<Holder> {
        [self.first, self.second]
            .into_iter()
            .flatten()
            .find(|holder| holder.owner != owner)
    }
}

/// The key of an address-namespace value: SMTP proxies lose their prefix, other proxies keep it.
pub fn address_key(attribute: Attribute, value: &str) -> &str {
    if attribute == Attribute::ProxyAddresses {
        smtp_address(value).unwrap_or(value)
    } else {
        value
    }
}

/// The address-namespace values of an AD object: UPN, mail, proxy addresses (non-blank).
fn ad_values(object: &LintObject) -> impl Iterator<Item = (Attribute, &str)> {
    let singles = [
        (
            Attribute::UserPrincipalName,
            object.user_principal_name.as_deref(),
        ),
        (Attribute::Mail, object.mail.as_deref()),
    ]
    .into_iter()
    .filter_map(|(attribute, value)| value.map(|value| (attribute, value)));
    singles
        .chain(
            object
                .proxy_addresses
                .iter()
                .map(|proxy| (Attribute::ProxyAddresses, proxy.as_str())),
        )
        .map(|(attribute, value)| (attribute, address_key(attribute, value)))
        .filter(|(_, key)| !key.trim().is_empty())
}

/// The index of every address-namespace value of the objects in scope (and the unmatched cloud
/// objects).
pub struct AddressIndex<'t> {
    holders: FoldedMap<'t, Holders>,
    tenant: Option<&'t TenantFacts>,
}

impl<'t> AddressIndex<'t> {
    /// Builds the index: one pass over every value.
    pub fn build(
        objects: &'t [LintObject],
        in_scope: &[bool],
        tenant: Option<&'t TenantFacts>,
    ) -> Self {
        let values: usize = objects
            .iter()
            .map(|object| 2 + object.proxy_addresses.len())
            .sum();
        let mut holders: FoldedMap<'t, Holders> = FoldedMap::with_capacity(values);
        for (position, object) in objects.iter().enumerate() {
            if !in_scope.get(position).copied().unwrap_or(false) {
                continue;
            }
            let owner = Owner::Ad(u32::try_from(position).unwrap_or(u32::MAX));
            for (attribute, key) in ad_values(object) {
                holders.entry(key).add(Holder { owner, attribute });
            }
        }
        for (position, cloud) in tenant
            .iter()
            .flat_map(|tenant| tenant.unmatched.iter().enumerate())
        {
            let owner = Owner::Cloud(u32::try_from(position).unwrap_or(u32::MAX));
            let singles = [
                (
                    Attribute::UserPrincipalName,
                    cloud.user_principal_name.as_deref(),
                ),
                (Attribute::Mail, cloud.mail.as_deref()),
            ];
            let values = singles
                .into_iter()
                .filter_map(|(attribute, value)| value.map(|value| (attribute, value)))
                .chain(
                    cloud
                        .proxy_addresses
                        .iter()
                        .map(|proxy| (Attribute::ProxyAddresses, proxy.as_str())),
                );
            for (attribute, value) in values {
                let key = address_key(attribute, value);
                if !key.trim().is_empty() {
                    holders.entry(key).add(Holder { owner, attribute });
                }
            }
        }
        Self { holders, tenant }
    }

    fn describe(&self, objects: &[LintObject], holder: Holder) -> String {
        match holder.owner {
            Owner::Ad(position) => {
                let object = objects.get(position as usize);
                format!(
                    "{} `{}` (its {})",
                    object.map_or("object", |object| object.kind().as_str()),
                    object.map_or("", |object| object.dn.as_str()),
                    holder.attribute
                )
            }
            Owner::Cloud(position) => {
                let cloud = self
                    .tenant
                    .and_then(|tenant| tenant.unmatched.get(position as usize));
                let kind = cloud.map_or("object", |cloud| cloud.kind.as_str());
                // A user is named by its UPN; groups and contacts have none, so by their display name.
                let name = cloud
                    .and_then(|cloud| match cloud.kind {
                        ObjectKind::User => cloud.user_principal_name.as_deref(),
                        ObjectKind::Group | ObjectKind::Contact => cloud.display_name.as_deref(),
                    })
                    .unwrap_or("?");
                format!(
                    "the cloud {kind} `{name}` (id `{}`, its {}), which no AD object matches",
                    cloud.map_or("?", |cloud| cloud.id.as_str()),
                    holder.attribute
                )
            }
        }
    }

    /// The `duplicate-address` findings: per AD object, each key another object holds, reported once on
    /// the first attribute holding it.
    pub fn findings(&self, objects: &[LintObject], in_scope: &[bool]) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (position, object) in objects.iter().enumerate() {
            if !in_scope.get(position).copied().unwrap_or(false) {
                continue;
            }
            let owner = Owner::Ad(u32::try_from(position).unwrap_or(u32::MAX));
            let mut reported: Vec<&str> = Vec::new();
            for (attribute, key) in ad_values(object) {
                let Some(holders) = self.holders.get(key) else {
                    continue;
                };
                let Some(other) = holders.other_than(owner) else {
                    continue;
                };
                if reported
                    .iter()
                    .any(|done| crate::engine::index::eq_folded(done, key))
                {
                    continue;
                }
                reported.push(key);
                let value = match attribute {
                    Attribute::ProxyAddresses => object
                        .proxy_addresses
                        .iter()
                        .find(|proxy| std::ptr::eq(address_key(attribute, proxy), key))
                        .cloned()
                        .unwrap_or_else(|| key.to_owned()),
                    _ => object.single(attribute).unwrap_or(key).to_owned(),
                };
                let others = holders.count.saturating_sub(2);
                let mut detail = format!("Also held by {}", self.describe(objects, other));
                if others > 0 {
                    detail.push_str(&format!(" and {others} more"));
                }
                detail.push_str(". No fix is proposed: decide which object keeps it.");
                findings.push(Finding {
                    object: position,
                    rule: RuleId::DuplicateAddress,
                    attribute,
                    value,
                    proposed: None,
                    detail: Some(detail),
                });
            }
        }
        findings
    }

    /// Who else holds a value proposed for `attribute` of the object at `position`, described.
    pub fn other_holder(
        &self,
        attribute: Attribute,
        value: &str,
        position: usize,
    ) -> Option<String> {
        if !matches!(
            attribute,
            Attribute::UserPrincipalName | Attribute::Mail | Attribute::ProxyAddresses
        ) {
            return None;
        }
        let owner = Owner::Ad(u32::try_from(position).unwrap_or(u32::MAX));
        let holder = self
            .holders
            .get(address_key(attribute, value))?
            .other_than(owner)?;
        Some(match holder.owner {
            Owner::Ad(_) => "another AD object".to_owned(),
            Owner::Cloud(position) => {
                let kind = self
                    .tenant
                    .and_then(|tenant| tenant.unmatched.get(position as usize))
                    .map_or("object", |cloud| cloud.kind.as_str());
                format!("a cloud {kind} no AD object matches")
            }
        })
    }
}

/// The `duplicate-mailnickname` findings: mailNickname compared with mailNickname only
/// (case-insensitively), since Exchange Online needs aliases to be unique among recipients.
pub fn mail_nickname_findings(objects: &[LintObject], in_scope: &[bool]) -> Vec<Finding> {
    let mut holders: FoldedMap<'_, Holders> = FoldedMap::with_capacity(objects.len());
    let nickname = |position: usize| -> Option<&str> {
        if !in_scope.get(position).copied().unwrap_or(false) {
            return None;
        }
        objects
            .get(position)?
            .mail_nickname
            .as_deref()
            .filter(|value| !value.trim().is_empty())
    };
    for position in 0..objects.len() {
        if let Some(value) = nickname(position) {
            holders.entry(value).add(Holder {
                owner: Owner::Ad(u32::try_from(position).unwrap_or(u32::MAX)),
                attribute: Attribute::MailNickname,
            });
        }
    }
    let mut findings = Vec::new();
    for position in 0..objects.len() {
        let Some(value) = nickname(position) else {
            continue;
        };
        let owner = Owner::Ad(u32::try_from(position).unwrap_or(u32::MAX));
        let Some(holders) = holders.get(value) else {
            continue;
        };
        let Some(Holder {
            owner: Owner::Ad(other),
            ..
        }) = holders.other_than(owner)
        else {
            continue;
        };
        let other_dn = objects
            .get(other as usize)
            .map_or("", |object| object.dn.as_str());
        let others = holders.count.saturating_sub(2);
        let mut detail = format!("Also the mailNickname of `{other_dn}`");
        if others > 0 {
            detail.push_str(&format!(" and {others} more"));
        }
        detail.push('.');
        findings.push(Finding {
            object: position,
            rule: RuleId::DuplicateMailNickname,
            attribute: Attribute::MailNickname,
            value: value.to_owned(),
            proposed: None,
            detail: Some(detail),
        });
    }
    findings
}
