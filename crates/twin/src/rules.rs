//! The rules Entra applies when a user is created or updated through Graph
//! (<https://learn.microsoft.com/graph/api/resources/user>,
//! <https://learn.microsoft.com/graph/api/user-post-users>,
//! <https://learn.microsoft.com/graph/api/user-update>), in the order the twin checks them:
//!
//! 1. every property exists (`Invalid property`) and is writable (`is read-only`);
//! 2. a synced user's on-premises-mastered properties are refused;
//! 3. sensitive properties of a user holding a directory role need an app with a higher role, and
//!    a password needs an app whose service principal may reset passwords at all (403);
//! 4. on `POST`, a password and the other required properties are given; values are well formed
//!    (types, the lengths of <https://learn.microsoft.com/graph/api/resources/user>, one `businessPhones` value, UPN characters and lengths,
//!    `$`/`_` in `onPremisesImmutableId`, an empty string is not a way to clear it: only JSON
//!    `null` is); a password meets Entra's policy;
//! 5. `onPremisesImmutableId` cannot change while the user's UPN is in a federated domain;
//! 6. the UPN's domain is a verified domain of the tenant, and a UPN in a federated domain needs an
//!    `onPremisesImmutableId`;
//! 7. `mail` becomes the primary `SMTP:` proxy address (the previous primary stays as `smtp:`);
//! 8. userPrincipalName, proxyAddresses, onPremisesImmutableId (case-sensitive) and
//!    onPremisesSecurityIdentifier stay unique (`ObjectConflict`).

use anchorsync_core::tenant::CloudUser;
use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::error::GraphError;
use crate::messages;
use crate::properties::{self, Kind, MASTERED, READ_ONLY, SENSITIVE, UserProperty};
use crate::roles;
use crate::state::Directory;

/// One property a request body sets.
pub(crate) struct Change {
    pub property: &'static UserProperty,
    pub value: Value,
}

/// The body of a POST or PATCH: a JSON object sent as `application/json` (Graph's own error for a
/// missing `Content-Type` asks for both).
pub(crate) fn parse_body(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Map<String, Value>, GraphError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().contains("json"));
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) if is_json => Ok(map),
        _ => Err(messages::invalid_json()),
    }
}

/// Rule 1: the properties named by the body.
pub(crate) fn changes(body: Map<String, Value>) -> Result<Vec<Change>, GraphError> {
    let mut changes = Vec::with_capacity(body.len());
    for (name, value) in body {
        if name.starts_with("@odata.") {
            continue;
        }
        let property = properties::find(&name).ok_or_else(|| messages::invalid_property(&name))?;
        if property.has(READ_ONLY) {
            return Err(messages::read_only(property.name));
        }
        changes.push(Change { property, value });
    }
    Ok(changes)
}

const UPN_SPECIALS: &[char] = &['\'', '.', '-', '_', '!', '#', '^', '~'];
const NICKNAME_SPECIALS: &[char] = &[
    '!', '#', '$', '%', '&', '\'', '*', '+', '-', '/', '=', '?', '^', '_', '`', '{', '|', '}', '~',
    '.',
];

/// UPN characters and lengths (<https://learn.microsoft.com/entra/identity/authentication/concept-sspr-policy>: ≤ 64 characters before `@`, ≤ 48 after it, ≤ 113 in
/// all, which the property's length limit checks; no `.` right before `@`).
fn valid_upn(upn: &str) -> bool {
    let Some((alias, domain)) = upn.rsplit_once('@') else {
        return false;
    };
    !alias.is_empty()
        && alias.len() <= 64
        && domain.len() <= 48
        && !alias.starts_with('.')
        && !alias.ends_with('.')
        && alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || UPN_SPECIALS.contains(&c))
        && !domain.is_empty()
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

fn valid_address(address: &str) -> bool {
    address.rsplit_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.is_empty()
            && !address.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

pub(crate) fn valid_value(property: &UserProperty, value: &Value) -> bool {
    let length_ok = |text: &str| {
        property
            .max_length
            .is_none_or(|max| text.chars().count() <= max)
    };
    match (property.kind, value) {
        // Properties Graph requires a value for cannot be cleared.
        (_, Value::Null) => {
            !matches!(
                property.name,
                "displayName"
                    | "userPrincipalName"
                    | "mailNickname"
                    | "accountEnabled"
                    | "passwordProfile"
            ) && property.kind != Kind::Strings
        }
        (Kind::String, Value::String(text)) => {
            length_ok(text)
                && match property.name {
                    "userPrincipalName" => valid_upn(text),
                    "mail" => valid_address(text),
                    "mailNickname" => {
                        !text.is_empty()
                            && text.chars().all(|c| {
                                c.is_ascii_alphanumeric() || NICKNAME_SPECIALS.contains(&c)
                            })
                    }
                    // The user resource: "The `$` and `_` characters can't be used"; an empty
                    // string is not a way to clear it (only JSON null is; the PowerShell SDK bug of
                    // sending "").
                    "onPremisesImmutableId" => {
                        !text.is_empty()
                            && !text.contains(['$', '_'])
                            && !text.chars().any(char::is_whitespace)
                    }
                    "usageLocation" => {
                        text.len() == 2 && text.chars().all(|c| c.is_ascii_alphabetic())
                    }
                    "displayName" => !text.trim().is_empty(),
                    _ => true,
                }
        }
        (Kind::Boolean, Value::Bool(_)) => true,
        (Kind::Int32, Value::Number(number)) => {
            number.as_i64().is_some_and(|n| i32::try_from(n).is_ok())
        }
        (Kind::DateTime, Value::String(text)) => looks_like_datetime(text),
        (Kind::Strings, Value::Array(values)) => {
            let max_items = match property.name {
                "businessPhones" => 1,
                "otherMails" => 250,
                _ => usize::MAX,
            };
            values.len() <= max_items
                && values.iter().all(|value| {
                    value
                        .as_str()
                        .is_some_and(|text| text.chars().count() <= 250 && !text.is_empty())
                })
        }
        (Kind::Objects, Value::Array(_)) => true,
        (Kind::Object, Value::Object(fields)) => match property.name {
            "onPremisesExtensionAttributes" => fields.iter().all(|(key, value)| {
                key.strip_prefix("extensionAttribute")
                    .and_then(|n| n.parse::<u8>().ok())
                    .is_some_and(|n| (1..=15).contains(&n))
                    && (value.is_null()
                        || value
                            .as_str()
                            .is_some_and(|text| text.chars().count() <= 1024))
            }),
            "passwordProfile" => fields.iter().all(|(key, value)| match key.as_str() {
                "password" => value.is_string(),
                "forceChangePasswordNextSignIn" | "forceChangePasswordNextSignInWithMfa" => {
                    value.is_boolean() || value.is_null()
                }
                _ => false,
            }),
            _ => true,
        },
        _ => false,
    }
}

fn looks_like_datetime(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 20
        && bytes.get(4) == Some(&b'-')
        && bytes.get(7) == Some(&b'-')
        && bytes.get(10) == Some(&b'T')
        && (text.ends_with('Z')
            || text.contains('+')
            || text.get(19..).is_some_and(|t| t.contains('-')))
}

/// Entra's password policy (<https://learn.microsoft.com/entra/identity/authentication/concept-sspr-policy>): 8 to 256 characters, all of them ASCII letters, digits,
/// the symbols `@ # $ % ^ & * - _ ! + = [ ] { } | \ : ' , . ? / ` ~ " ( ) ; < >` or a blank space
/// (every printable ASCII character, no Unicode), and three of the four classes lower case, upper
/// case, digit, symbol. `passwordPolicies` with `DisableStrongPassword` lifts the class rule only.
fn password_complex_enough(password: &str, strong_required: bool) -> bool {
    let length = password.chars().count();
    let allowed = password.chars().all(|c| matches!(c, ' '..='~'));
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password
            .chars()
            .any(|c| c.is_ascii_punctuation() || c == ' '),
    ];
    (8..=256).contains(&length)
        && allowed
        && (!strong_required || classes.iter().filter(|present| **present).count() >= 3)
}

/// Whether a `passwordPolicies` value still asks for strong passwords.
fn strong_password_required(policies: Option<&str>) -> bool {
    !policies.is_some_and(|policies| {
        policies
            .split(',')
            .any(|policy| policy.trim().eq_ignore_ascii_case("DisableStrongPassword"))
    })
}

/// Every value's shape and length, then the password policy; `policies` is the user's
/// `passwordPolicies` before this write.
fn check_values(changes: &[Change], policies: Option<&str>) -> Result<(), GraphError> {
    for change in changes {
        if !valid_value(change.property, &change.value) {
            return Err(messages::invalid_value(change.property.name, "User"));
        }
    }
    let policies = changes
        .iter()
        .find(|change| change.property.name == "passwordPolicies")
        .map_or(policies, |change| change.value.as_str());
    for change in changes {
        if change.property.name == "passwordProfile"
            && let Some(password) = change.value.get("password").and_then(Value::as_str)
            && !password_complex_enough(password, strong_password_required(policies))
        {
            return Err(messages::password_complexity());
        }
    }
    Ok(())
}

/// Rule 7: `mail` becomes the primary proxy address.
fn recompute_proxies(user: &mut CloudUser) {
    let mut proxies: Vec<String> = user
        .proxy_addresses
        .iter()
        .map(|proxy| match proxy.strip_prefix("SMTP:") {
            Some(address) => format!("smtp:{address}"),
            None => proxy.clone(),
        })
        .collect();
    if let Some(mail) = &user.mail {
        let primary = format!("smtp:{mail}");
        proxies.retain(|proxy| !proxy.eq_ignore_ascii_case(&primary));
        proxies.insert(0, format!("SMTP:{mail}"));
    }
    user.proxy_addresses = proxies;
}

/// Rules 6 and 8 on the user as it would be after the write.
pub(crate) fn check_directory_rules(
    directory: &Directory,
    user: &CloudUser,
    upn_changed: bool,
    itself: Option<&str>,
) -> Result<(), GraphError> {
    let upn = user.user_principal_name.as_deref().unwrap_or_default();
    let domain = directory.domain_of(upn);
    if upn_changed && !domain.is_some_and(|domain| domain.is_verified) {
        return Err(messages::upn_domain_invalid());
    }
    if domain.is_some_and(|domain| domain.is_federated()) && user.on_premises_immutable_id.is_none()
    {
        return Err(messages::properties_invalid());
    }
    if let Some(conflict) = directory.conflict(user, itself) {
        return Err(messages::conflict(conflict.property, &conflict.holder));
    }
    Ok(())
}

/// `POST /users`: the new user, checked against every rule, not yet stored.
pub(crate) fn create(
    directory: &Directory,
    changes: Vec<Change>,
    id: String,
    created: String,
) -> Result<CloudUser, GraphError> {
    let has_password = changes.iter().any(|change| {
        change.property.name == "passwordProfile"
            && change
                .value
                .get("password")
                .and_then(Value::as_str)
                .is_some()
    });
    if !has_password {
        return Err(messages::password_required());
    }
    for required in [
        "accountEnabled",
        "displayName",
        "mailNickname",
        "userPrincipalName",
    ] {
        let given = changes
            .iter()
            .any(|change| change.property.name == required && !change.value.is_null());
        if !given {
            return Err(messages::required_property(required));
        }
    }
    check_values(&changes, None)?;
    let mut user = CloudUser {
        id,
        user_type: Some("Member".to_owned()),
        created_date_time: Some(created),
        ..CloudUser::default()
    };
    for change in &changes {
        properties::set(&mut user, change.property, &change.value);
    }
    recompute_proxies(&mut user);
    check_directory_rules(directory, &user, true, None)?;
    Ok(user)
}

/// `PATCH /users/{id}`: the updated user, checked against every rule, not yet stored.
pub(crate) fn update(
    directory: &Directory,
    caller: &Caller,
    existing: &CloudUser,
    changes: Vec<Change>,
) -> Result<CloudUser, GraphError> {
    if existing.is_synced() && changes.iter().any(|change| change.property.has(MASTERED)) {
        return Err(messages::mastered_property());
    }
    let sets_password = changes
        .iter()
        .any(|change| change.property.name == "passwordProfile");
    if sets_password && !roles::may_set_passwords(caller.directory_role.as_deref()) {
        return Err(messages::insufficient_privileges());
    }
    if changes.iter().any(|change| change.property.has(SENSITIVE)) {
        let roles = directory.roles_of(&existing.id);
        if !roles::may_manage(caller.directory_role.as_deref(), &roles) {
            return Err(messages::insufficient_privileges());
        }
    }
    let policies = existing
        .other
        .get("passwordPolicies")
        .and_then(Value::as_str);
    check_values(&changes, policies)?;
    let old_domain_federated = existing
        .user_principal_name
        .as_deref()
        .and_then(|upn| directory.domain_of(upn))
        .is_some_and(|domain| domain.is_federated());
    let mut user = existing.clone();
    let mut upn_changed = false;
    let mut mail_changed = false;
    for change in &changes {
        match change.property.name {
            "onPremisesImmutableId" => {
                let new = change.value.as_str();
                if new != existing.on_premises_immutable_id.as_deref() && old_domain_federated {
                    return Err(messages::federated_immutable_id());
                }
            }
            "userPrincipalName" => {
                upn_changed = change.value.as_str() != existing.user_principal_name.as_deref();
            }
            "mail" => mail_changed = change.value.as_str() != existing.mail.as_deref(),
            _ => {}
        }
        properties::set(&mut user, change.property, &change.value);
    }
    if mail_changed {
        recompute_proxies(&mut user);
    }
    check_directory_rules(directory, &user, upn_changed, Some(&existing.id))?;
    Ok(user)
}

/// `DELETE /users/{id}`: whether the caller may delete the user.
pub(crate) fn check_delete(
    directory: &Directory,
    caller: &Caller,
    existing: &CloudUser,
) -> Result<(), GraphError> {
    if existing.is_synced() {
        return Err(messages::mastered_property());
    }
    let roles = directory.roles_of(&existing.id);
    if !roles::may_manage(caller.directory_role.as_deref(), &roles) {
        return Err(messages::insufficient_privileges());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upn_characters() {
        assert!(valid_upn("o'brien.x-y_z!#^~@contoso.com"));
        assert!(!valid_upn("a b@contoso.com"));
        assert!(!valid_upn("élodie@contoso.com"));
        assert!(!valid_upn("no-domain"));
        assert!(!valid_upn(".dot@contoso.com"));
    }

    #[test]
    fn immutable_id_values() {
        let property = properties::find("onPremisesImmutableId").unwrap();
        assert!(valid_value(
            property,
            &Value::from("iGhmiAEBERG7uxI0VniQqw==")
        ));
        assert!(valid_value(property, &Value::Null));
        assert!(!valid_value(property, &Value::from("")));
        assert!(!valid_value(
            property,
            &Value::from("iGhmiAEBERG7uxI0VniQqw_")
        ));
        assert!(!valid_value(property, &Value::from("a$b")));
    }

    #[test]
    fn mail_becomes_the_primary_proxy() {
        let mut user = CloudUser {
            mail: Some("new@contoso.com".into()),
            proxy_addresses: vec!["SMTP:old@contoso.com".into(), "smtp:NEW@contoso.com".into()],
            ..CloudUser::default()
        };
        recompute_proxies(&mut user);
        assert_eq!(
            user.proxy_addresses,
            vec!["SMTP:new@contoso.com", "smtp:old@contoso.com"]
        );
    }

    #[test]
    fn password_policy() {
        assert!(password_complex_enough("Passw0rd!", true));
        assert!(
            password_complex_enough("pass word1", true),
            "a blank is a symbol"
        );
        assert!(password_complex_enough("PASSWORD1`", true));
        assert!(!password_complex_enough("password", true));
        assert!(!password_complex_enough("Sh0rt!", true));
        assert!(!password_complex_enough("Pässw0rd!", true), "no Unicode");
        assert!(
            !password_complex_enough("Pass\tw0rd!", true),
            "no control characters"
        );
        assert!(
            !password_complex_enough(&"Aa1!".repeat(65), true),
            "at most 256"
        );
        assert!(password_complex_enough(&"Aa1!".repeat(64), true));
        assert!(password_complex_enough("password", false));
        assert!(!password_complex_enough("pässword", false));
        assert!(!strong_password_required(Some(
            "DisablePasswordExpiration, DisableStrongPassword"
        )));
        assert!(strong_password_required(Some("DisablePasswordExpiration")));
    }

    #[test]
    fn upn_lengths() {
        let alias = "a".repeat(64);
        let domain = format!("{}.com", "d".repeat(44));
        assert!(valid_upn(&format!("{alias}@{domain}")));
        assert!(!valid_upn(&format!("{alias}a@{domain}")), "65 before @");
        assert!(!valid_upn(&format!("{alias}@d{domain}")), "49 after @");
        assert!(!valid_upn("dot.@contoso.com"));
    }
}
