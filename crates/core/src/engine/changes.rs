//! Rule §4, attributes: on a hard or soft match every synchronised attribute takes the on-premises
//! value, and a value that exists only in the cloud is lost (Microsoft's "existing tenant" page,
//! <https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-install-existing-tenant>).
//! This module lists, for a matched pair, each mapped attribute whose cloud value would change or
//! vanish.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::directory::{OnPremUser, smtp_address};
use crate::tenant::CloudUser;

use super::index::eq_folded;

/// One attribute whose cloud value the first sync changes or removes. Values are in Graph's types:
/// a string or null, and an array of strings for `businessPhones`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeChange {
    /// The Graph property name.
    pub attribute: String,
    /// The value in the cloud today.
    pub cloud_value: Value,
    /// The value the first sync writes (null: the cloud value is removed).
    pub on_prem_value: Value,
}

/// The mapped attributes, in the order plans list them: Graph name, AD attribute.
pub const MAPPED_ATTRIBUTES: &[(&str, &str)] = &[
    ("userPrincipalName", "userPrincipalName"),
    ("displayName", "displayName"),
    ("givenName", "givenName"),
    ("surname", "sn"),
    ("mail", "mail"),
    ("jobTitle", "title"),
    ("department", "department"),
    ("employeeId", "employeeID"),
    ("mobilePhone", "mobile"),
    ("businessPhones", "telephoneNumber"),
    ("officeLocation", "physicalDeliveryOfficeName"),
];

/// A value as Graph holds it: an empty string is no value.
fn present(value: Option<&str>) -> Option<&str> {
    value.filter(|text| !text.is_empty())
}

fn text(value: Option<&str>) -> Value {
    value
        .filter(|text| !text.is_empty())
        .map_or(Value::Null, |text| Value::String(text.to_owned()))
}

/// The attributes a match changes: `upn` is the userPrincipalName the cloud user will have.
pub fn attribute_changes(
    on_prem: &OnPremUser,
    cloud: &CloudUser,
    upn: Option<&str>,
) -> Vec<AttributeChange> {
    let pairs: [(&str, Option<&str>, Option<&str>); 9] = [
        (
            "displayName",
            on_prem.display_name.as_deref(),
            cloud.display_name.as_deref(),
        ),
        (
            "givenName",
            on_prem.given_name.as_deref(),
            cloud.given_name.as_deref(),
        ),
        (
            "surname",
            on_prem.surname.as_deref(),
            cloud.surname.as_deref(),
        ),
        ("mail", on_prem.mail.as_deref(), cloud.mail.as_deref()),
        (
            "jobTitle",
            on_prem.title.as_deref(),
            cloud.job_title.as_deref(),
        ),
        (
            "department",
            on_prem.department.as_deref(),
            cloud.department.as_deref(),
        ),
        (
            "employeeId",
            on_prem.employee_id.as_deref(),
            cloud.employee_id.as_deref(),
        ),
        (
            "mobilePhone",
            on_prem.mobile.as_deref(),
            cloud.mobile_phone.as_deref(),
        ),
        (
            "officeLocation",
            on_prem.office.as_deref(),
            cloud.office_location.as_deref(),
        ),
    ];
    // Values are compared as text and turned into JSON values only when they differ: most pairs agree,
    // and a million users would otherwise allocate twenty strings each to throw them away.
    let mut changes = Vec::new();
    let mut push_text =
        |attribute: &str, on_prem_value: Option<&str>, cloud_value: Option<&str>| {
            if present(on_prem_value) != present(cloud_value) {
                changes.push(AttributeChange {
                    attribute: attribute.to_owned(),
                    cloud_value: text(cloud_value),
                    on_prem_value: text(on_prem_value),
                });
            }
        };
    // The UPN only changes when one is known: a user without one is not exported at all.
    if let Some(upn) = upn {
        push_text(
            "userPrincipalName",
            Some(upn),
            cloud.user_principal_name.as_deref(),
        );
    }
    for (attribute, on_prem_value, cloud_value) in pairs {
        push_text(attribute, on_prem_value, cloud_value);
    }
    let on_prem_phones = on_prem
        .telephone_number
        .iter()
        .filter(|phone| !phone.is_empty());
    if !on_prem_phones.clone().eq(cloud.business_phones.iter()) {
        let values = |phones: &mut dyn Iterator<Item = &String>| -> Value {
            Value::Array(phones.map(|phone| Value::String(phone.clone())).collect())
        };
        changes.push(AttributeChange {
            attribute: "businessPhones".to_owned(),
            cloud_value: values(&mut cloud.business_phones.iter()),
            on_prem_value: values(&mut on_prem_phones.clone()),
        });
    }
    let order = |attribute: &str| {
        MAPPED_ATTRIBUTES
            .iter()
            .position(|(name, _)| *name == attribute)
            .unwrap_or(usize::MAX)
    };
    changes.sort_by_key(|change| order(&change.attribute));
    changes
}

/// The cloud user's SMTP proxy addresses that the on-premises user does not have: Entra Connect
/// replaces proxyAddresses as a whole, so these aliases stop receiving mail after the match.
pub fn cloud_only_proxy_addresses<'c>(on_prem: &OnPremUser, cloud: &'c CloudUser) -> Vec<&'c str> {
    let on_prem_addresses: Vec<&str> = on_prem
        .proxy_addresses
        .iter()
        .filter_map(|address| smtp_address(address))
        .chain(on_prem.mail.as_deref())
        .collect();
    cloud
        .proxy_addresses
        .iter()
        .filter(|address| {
            smtp_address(address).is_some_and(|smtp| {
                // The tenant's own *.onmicrosoft.com addresses are Entra's to keep.
                let tenant_address = smtp.rsplit_once('@').is_some_and(|(_, domain)| {
                    domain.to_ascii_lowercase().ends_with(".onmicrosoft.com")
                });
                !tenant_address && !on_prem_addresses.iter().any(|known| eq_folded(known, smtp))
            })
        })
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_changed_and_vanishing_values_in_a_stable_order() {
        let on_prem = OnPremUser {
            display_name: Some("山田 太郎".into()),
            given_name: Some("太郎".into()),
            department: None,
            telephone_number: Some("+81 3 1234 5678".into()),
            ..OnPremUser::default()
        };
        let cloud = CloudUser {
            user_principal_name: Some("taro@contoso.com".into()),
            display_name: Some("Taro Yamada".into()),
            given_name: Some("太郎".into()),
            department: Some("Sales".into()),
            business_phones: vec![],
            ..CloudUser::default()
        };
        let changes = attribute_changes(&on_prem, &cloud, Some("taro@contoso.com"));
        let names: Vec<&str> = changes.iter().map(|c| c.attribute.as_str()).collect();
        assert_eq!(names, ["displayName", "department", "businessPhones"]);
        assert_eq!(changes[1].on_prem_value, Value::Null);
        assert_eq!(changes[1].cloud_value, Value::from("Sales"));
        assert_eq!(
            changes[2].on_prem_value,
            serde_json::json!(["+81 3 1234 5678"])
        );

        let renamed = attribute_changes(&on_prem, &cloud, Some("t.yamada@contoso.com"));
        assert_eq!(renamed[0].attribute, "userPrincipalName");
    }

    #[test]
    fn proxy_addresses_only_in_the_cloud() {
        let on_prem = OnPremUser {
            proxy_addresses: vec!["SMTP:taro@contoso.com".into()],
            ..OnPremUser::default()
        };
        let cloud = CloudUser {
            proxy_addresses: vec![
                "SMTP:Taro@contoso.com".into(),
                "smtp:sales@contoso.com".into(),
                "smtp:taro@contoso.onmicrosoft.com".into(),
                "SIP:taro@contoso.com".into(),
            ],
            ..CloudUser::default()
        };
        assert_eq!(
            cloud_only_proxy_addresses(&on_prem, &cloud),
            ["smtp:sales@contoso.com"]
        );
    }
}
