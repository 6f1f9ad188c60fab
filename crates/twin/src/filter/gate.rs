//! The advanced-query gate: which uses of which user properties Graph accepts only with advanced query
//! parameters (`ConsistencyLevel: eventual` and `$count=true`), which it refuses outright, and the
//! documented error for each.

use crate::config::AdvancedQueryMode;
use crate::error::GraphError;
use crate::messages;

use super::Filter;
use super::expr::Use;

/// Whether a use of a property needs advanced query parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    Default,
    Advanced,
    Unsupported,
}

/// String properties Graph filters with `eq`, `in` and `startsWith` by default.
const DEFAULT_STRING_PROPERTIES: &[&str] = &[
    "userPrincipalName",
    "mail",
    "displayName",
    "givenName",
    "surname",
    "mailNickname",
    "jobTitle",
    "department",
    "usageLocation",
    "employeeId",
    "city",
    "country",
    "state",
    "preferredLanguage",
    "onPremisesUserPrincipalName",
    "userType",
];

/// Properties Graph filters only with advanced query parameters.
const ADVANCED_PROPERTIES: &[&str] = &[
    "companyName",
    "mobilePhone",
    "officeLocation",
    "postalCode",
    "streetAddress",
    "employeeType",
    "employeeHireDate",
    "employeeOrgData",
    "faxNumber",
    "onPremisesSamAccountName",
    "onPremisesExtensionAttributes",
    "creationType",
    "externalUserState",
    "ageGroup",
    "showInAddressList",
];

/// The twin's reading of the advanced-query tables
/// (<https://learn.microsoft.com/graph/aad-advanced-queries>). Where the older and newer tables
/// disagree (`onPremisesImmutableId eq`, `onPremisesSecurityIdentifier eq`,
/// `onPremisesLastSyncDateTime`, `createdDateTime`, and `ge`/`le` on the default string
/// properties), `mode` decides: strict requires advanced query parameters.
pub(crate) fn user_gate(property: &str, operation: Use, mode: AdvancedQueryMode) -> Gate {
    let disputed = if mode == AdvancedQueryMode::Strict {
        Gate::Advanced
    } else {
        Gate::Default
    };
    let default_string = DEFAULT_STRING_PROPERTIES.contains(&property);
    let filterable = default_string
        || ADVANCED_PROPERTIES.contains(&property)
        || matches!(
            property,
            "id" | "accountEnabled"
                | "onPremisesSyncEnabled"
                | "onPremisesImmutableId"
                | "onPremisesSecurityIdentifier"
                | "onPremisesLastSyncDateTime"
                | "createdDateTime"
        );
    match (property, operation) {
        (_, Use::Ne) | (_, Use::EqNull) => {
            if filterable {
                Gate::Advanced
            } else {
                Gate::Unsupported
            }
        }
        ("mail" | "userPrincipalName", Use::EndsWith) => Gate::Advanced,
        (_, Use::EndsWith) => Gate::Unsupported,
        ("proxyAddresses" | "otherMails", Use::AnyEq | Use::AnyStartsWith) => Gate::Default,
        ("proxyAddresses" | "otherMails", Use::AnyEndsWith | Use::Count) => Gate::Advanced,
        ("businessPhones" | "imAddresses", Use::AnyEq | Use::AnyStartsWith | Use::Count) => {
            Gate::Advanced
        }
        (_, Use::AnyEq | Use::AnyStartsWith | Use::AnyEndsWith | Use::Count) => Gate::Unsupported,
        ("id", Use::Eq | Use::In) => Gate::Default,
        ("accountEnabled" | "onPremisesSyncEnabled", Use::Eq | Use::In) => Gate::Default,
        (p, Use::Eq | Use::In | Use::StartsWith) if DEFAULT_STRING_PROPERTIES.contains(&p) => {
            Gate::Default
        }
        (p, Use::Range) if DEFAULT_STRING_PROPERTIES.contains(&p) => disputed,
        ("onPremisesImmutableId", Use::Eq) => disputed,
        ("onPremisesImmutableId", Use::In | Use::Range) => Gate::Advanced,
        ("onPremisesSecurityIdentifier", Use::Eq | Use::In) => disputed,
        ("onPremisesLastSyncDateTime" | "createdDateTime", Use::Eq | Use::In | Use::Range) => {
            disputed
        }
        (p, Use::Eq | Use::In | Use::StartsWith | Use::Range)
            if ADVANCED_PROPERTIES.contains(&p) =>
        {
            Gate::Advanced
        }
        _ => Gate::Unsupported,
    }
}

/// Checks every use of a user filter against the gates: the documented error when advanced query
/// parameters are needed and missing, or the property cannot be filtered so at all.
pub(crate) fn check_user_gates(
    filter: &Filter,
    advanced: bool,
    mode: AdvancedQueryMode,
) -> Result<(), GraphError> {
    for usage in &filter.usages {
        let gate = user_gate(&usage.property, usage.operation, mode);
        if gate == Gate::Unsupported {
            return Err(messages::unsupported_filter_property(
                &usage.property,
                "User",
            ));
        }
        if advanced {
            continue;
        }
        if usage.negated {
            return Err(messages::advanced_operator("not"));
        }
        if gate == Gate::Advanced {
            return Err(match usage.operation {
                Use::Ne => messages::advanced_operator("ne"),
                Use::EndsWith | Use::AnyEndsWith => messages::advanced_operator("endsWith"),
                _ => messages::unsupported_filter_property(&usage.property, "User"),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{Filter, UserSchema};

    #[test]
    fn gates_follow_the_strictness() {
        let strict = AdvancedQueryMode::Strict;
        let lenient = AdvancedQueryMode::Lenient;
        let check = |text: &str, advanced: bool, mode| {
            check_user_gates(&Filter::parse(text, &UserSchema).unwrap(), advanced, mode)
        };
        assert!(check("userPrincipalName eq 'a@b.c'", false, strict).is_ok());
        assert!(check("proxyAddresses/any(p:p eq 'smtp:a@b.c')", false, strict).is_ok());
        assert_eq!(
            check("endsWith(mail, 'b.c')", false, strict)
                .unwrap_err()
                .message,
            messages::advanced_operator("endsWith").message
        );
        assert!(check("endsWith(mail, 'b.c')", true, strict).is_ok());
        assert!(check("onPremisesImmutableId eq 'x'", false, strict).is_err());
        assert!(check("onPremisesImmutableId eq 'x'", false, lenient).is_ok());
        assert_eq!(
            check("onPremisesSamAccountName eq 'x'", false, lenient)
                .unwrap_err()
                .message,
            "Unsupported or invalid query filter clause specified for property 'onPremisesSamAccountName' of resource 'User'."
        );
        assert_eq!(
            check("not(displayName eq 'x')", false, lenient)
                .unwrap_err()
                .message,
            messages::advanced_operator("not").message
        );
        assert!(check("endsWith(displayName, 'x')", true, strict).is_err());
    }
}
