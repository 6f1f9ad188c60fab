//! Built-in Entra directory roles: their template ids and names (for `memberOf`'s `directoryRole`
//! objects), and which roles an app's service principal needs to change the sensitive attributes of
//! a user who holds a role (the "who can perform sensitive actions" table of
//! <https://learn.microsoft.com/graph/api/resources/users>).

use serde_json::{Value, json};

/// How privileged a role is, for the sensitive-attribute rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    /// Roles whose holders a User Administrator may still manage: Directory Readers, Groups
    /// Administrator, Guest Inviter, Helpdesk Administrator, Message Center Reader, Password
    /// Administrator, Reports Reader, User Administrator, Usage Summary Reports Reader.
    Lesser,
    /// Every other role (and any role the twin does not know).
    Privileged,
}

struct BuiltInRole {
    template_id: &'static str,
    display_name: &'static str,
    description: &'static str,
    tier: Tier,
}

const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
const PRIVILEGED_AUTHENTICATION_ADMINISTRATOR: &str = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13";
const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";

const BUILT_IN: &[BuiltInRole] = &[
    role(
        GLOBAL_ADMINISTRATOR,
        "Global Administrator",
        "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.",
        Tier::Privileged,
    ),
    role(
        PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
        "Privileged Authentication Administrator",
        "Can access to view, set and reset authentication method information for any user (admin or non-admin).",
        Tier::Privileged,
    ),
    role(
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
        "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.",
        Tier::Privileged,
    ),
    role(
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        "Authentication Administrator",
        "Can access to view, set and reset authentication method information for any non-admin user.",
        Tier::Privileged,
    ),
    role(
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "Security Administrator",
        "Can read security information and reports, and manage configuration in Microsoft Entra ID and Office 365.",
        Tier::Privileged,
    ),
    role(
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
        "Hybrid Identity Administrator",
        "Can manage Active Directory to Microsoft Entra cloud provisioning, Microsoft Entra Connect, and federation settings.",
        Tier::Privileged,
    ),
    role(
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        "Exchange Administrator",
        "Can manage all aspects of the Exchange product.",
        Tier::Privileged,
    ),
    role(
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        "SharePoint Administrator",
        "Can manage all aspects of the SharePoint service.",
        Tier::Privileged,
    ),
    role(
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
        "Can create and manage all aspects of app registrations and enterprise apps.",
        Tier::Privileged,
    ),
    role(
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "Cloud Application Administrator",
        "Can create and manage all aspects of app registrations and enterprise apps except App Proxy.",
        Tier::Privileged,
    ),
    role(
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        "Conditional Access Administrator",
        "Can manage Conditional Access capabilities.",
        Tier::Privileged,
    ),
    role(
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        "Billing Administrator",
        "Can perform common billing related tasks like updating payment information.",
        Tier::Privileged,
    ),
    role(
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        "Global Reader",
        "Can read everything that a Global Administrator can, but not update anything.",
        Tier::Privileged,
    ),
    role(
        "5d6b6bb7-de71-4623-b4af-96380a352509",
        "Security Reader",
        "Can read security information and reports in Microsoft Entra ID and Office 365.",
        Tier::Privileged,
    ),
    role(
        "69091246-20e8-4a56-aa4d-066075b2a7a8",
        "Teams Administrator",
        "Can manage the Microsoft Teams service.",
        Tier::Privileged,
    ),
    role(
        "9360feb5-f418-4baa-8175-e2a00bac4301",
        "Directory Writers",
        "Can read and write basic directory information. For granting access to applications, not intended for users.",
        Tier::Privileged,
    ),
    role(
        USER_ADMINISTRATOR,
        "User Administrator",
        "Can manage all aspects of users and groups, including resetting passwords for limited admins.",
        Tier::Lesser,
    ),
    role(
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "Helpdesk Administrator",
        "Can reset passwords for non-administrators and Helpdesk Administrators.",
        Tier::Lesser,
    ),
    role(
        "966707d0-3269-4727-9be2-8c3a10f19b9d",
        "Password Administrator",
        "Can reset passwords for non-administrators and Password Administrators.",
        Tier::Lesser,
    ),
    role(
        "fdd7a751-b60b-444a-984c-02652fe8fa1c",
        "Groups Administrator",
        "Members of this role can create/manage groups, create/manage groups settings like naming and expiration policies, and view groups activity and audit reports.",
        Tier::Lesser,
    ),
    role(
        "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        "Directory Readers",
        "Can read basic directory information. Commonly used to grant directory read access to applications and guests.",
        Tier::Lesser,
    ),
    role(
        "95e79109-95c0-4d8e-aee3-d01accf2d47b",
        "Guest Inviter",
        "Can invite guest users independent of the 'members can invite guests' setting.",
        Tier::Lesser,
    ),
    role(
        "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b",
        "Message Center Reader",
        "Can read messages and updates for their organization in Office 365 Message Center only.",
        Tier::Lesser,
    ),
    role(
        "4a5d8f65-41da-4de4-8968-e035b65339cf",
        "Reports Reader",
        "Can read sign-in and audit reports.",
        Tier::Lesser,
    ),
    role(
        "75934031-6c7e-415a-99d7-48dbd49e875e",
        "Usage Summary Reports Reader",
        "Can see only tenant level aggregates in Microsoft 365 Usage Analytics and Productivity Score.",
        Tier::Lesser,
    ),
];

const fn role(
    template_id: &'static str,
    display_name: &'static str,
    description: &'static str,
    tier: Tier,
) -> BuiltInRole {
    BuiltInRole {
        template_id,
        display_name,
        description,
        tier,
    }
}

fn find(role: &str) -> Option<&'static BuiltInRole> {
    BUILT_IN.iter().find(|built_in| {
        built_in.template_id.eq_ignore_ascii_case(role)
            || built_in.display_name.eq_ignore_ascii_case(role)
    })
}

/// The template id of a role given by display name or template id; `None` for unknown names.
pub(crate) fn template_id(role: &str) -> Option<&'static str> {
    find(role).map(|built_in| built_in.template_id)
}

/// Whether an app whose service principal holds `app_role` may change the sensitive attributes
/// (accountEnabled, businessPhones, mobilePhone, onPremisesImmutableId, otherMails, passwordProfile,
/// userPrincipalName) of, or delete, a user holding `target_roles` (role definition ids).
pub(crate) fn may_manage(app_role: Option<&str>, target_roles: &[&str]) -> bool {
    if target_roles.is_empty() {
        return true;
    }
    let app = app_role.and_then(template_id);
    if app == Some(GLOBAL_ADMINISTRATOR) || app == Some(PRIVILEGED_AUTHENTICATION_ADMINISTRATOR) {
        return true;
    }
    let target_tier = target_roles
        .iter()
        .map(|role| find(role).map_or(Tier::Privileged, |built_in| built_in.tier))
        .max()
        .unwrap_or(Tier::Lesser);
    app == Some(USER_ADMINISTRATOR) && target_tier == Tier::Lesser
}

/// Roles that may reset passwords at all (app-only password updates need a permission **and** at
/// least such a role: <https://learn.microsoft.com/graph/api/user-update>).
const PASSWORD_ROLES: &[&str] = &[
    GLOBAL_ADMINISTRATOR,
    PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
    USER_ADMINISTRATOR,
    "c4e39bd9-1100-46d3-8c65-fb160da0071f", // Authentication Administrator
    "729827e3-9c14-49f7-bb1b-9608f156bbb8", // Helpdesk Administrator
    "966707d0-3269-4727-9be2-8c3a10f19b9d", // Password Administrator
];

/// Whether an app whose service principal holds `app_role` may set passwords (`passwordProfile`).
pub(crate) fn may_set_passwords(app_role: Option<&str>) -> bool {
    app_role
        .and_then(template_id)
        .is_some_and(|role| PASSWORD_ROLES.contains(&role))
}

/// The `directoryRole` object `memberOf` lists for a role assignment's `roleDefinitionId`.
///
/// An activated directory role has its own object id in Entra; the twin derives a stable one from
/// the tenant and the template so that repeated reads agree.
pub(crate) fn directory_role(tenant_id: &str, role_definition_id: &str) -> Value {
    let built_in = find(role_definition_id);
    json!({
        "@odata.type": "#microsoft.graph.directoryRole",
        "id": directory_role_id(tenant_id, role_definition_id),
        "deletedDateTime": null,
        "description": built_in.map(|r| r.description),
        "displayName": built_in.map(|r| r.display_name),
        "roleTemplateId": role_definition_id,
    })
}

fn directory_role_id(tenant_id: &str, template_id: &str) -> String {
    let tenant = uuid::Uuid::parse_str(tenant_id).unwrap_or_default();
    match uuid::Uuid::parse_str(template_id) {
        Ok(template) => {
            let mut bytes = *template.as_bytes();
            for (byte, mask) in bytes.iter_mut().zip(tenant.as_bytes()) {
                *byte ^= mask;
            }
            // Keep it a well-formed version-4 style id whatever the XOR gave.
            if let Some(version) = bytes.get_mut(6) {
                *version = (*version & 0x0f) | 0x40;
            }
            if let Some(variant) = bytes.get_mut(8) {
                *variant = (*variant & 0x3f) | 0x80;
            }
            uuid::Uuid::from_bytes(bytes).to_string()
        }
        Err(_) => template_id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_administrator_matrix() {
        let global = [GLOBAL_ADMINISTRATOR];
        let helpdesk = ["729827e3-9c14-49f7-bb1b-9608f156bbb8"];
        assert!(may_manage(None, &[]));
        assert!(!may_manage(None, &helpdesk));
        assert!(may_manage(Some("User Administrator"), &helpdesk));
        assert!(!may_manage(Some("User Administrator"), &global));
        assert!(may_manage(
            Some("Privileged Authentication Administrator"),
            &global
        ));
        assert!(may_manage(Some(GLOBAL_ADMINISTRATOR), &global));
        // An unknown role counts as privileged.
        assert!(!may_manage(Some("User Administrator"), &["not-a-role"]));
    }

    #[test]
    fn passwords_need_a_password_role() {
        assert!(!may_set_passwords(None));
        assert!(!may_set_passwords(Some("Global Reader")));
        assert!(may_set_passwords(Some("Helpdesk Administrator")));
        assert!(may_set_passwords(Some(USER_ADMINISTRATOR)));
    }

    #[test]
    fn directory_role_ids_are_stable_and_distinct_from_templates() {
        let tenant = "6babcaad-604b-40ac-a9d7-9fd97c0b779f";
        let role = directory_role(tenant, GLOBAL_ADMINISTRATOR);
        assert_eq!(role["displayName"], "Global Administrator");
        assert_eq!(role, directory_role(tenant, GLOBAL_ADMINISTRATOR));
        assert_ne!(role["id"], GLOBAL_ADMINISTRATOR);
    }
}
