//! Rule §4, userPrincipalName: what the cloud user's UPN becomes.
//!
//! Entra keeps the exported UPN when its suffix is a verified domain of the tenant. Otherwise (or
//! when the UPN holds whitespace) it sets `<mailNickname>@<initial domain>`, where mailNickname is
//! the first non-empty of the on-premises mailNickname and the prefixes of the primary SMTP
//! address, `mail`, the userPrincipalName and a secondary SMTP address (docs/rules.md §4,
//! <https://learn.microsoft.com/entra/identity/hybrid/connect/plan-connect-userprincipalname>). A
//! new user whose UPN another cloud user already holds gets `<prefix><4 digits>@<initial domain>`
//! from duplicate-attribute resiliency (docs/rules.md §3.3); the digits are Entra's choice, so
//! plans write them as `####`.

use std::borrow::Cow;

use crate::directory::{OnPremUser, primary_smtp, smtp_address, trim};
use crate::tenant::TenantSnapshot;

/// Stands for the four digits Entra picks for a quarantined UPN. `#` never occurs in a UPN Entra
/// accepts, so the placeholder cannot be taken for a real value.
pub const QUARANTINE_DIGITS: &str = "####";

/// Where the exported userPrincipalName comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpnSource {
    /// The on-premises userPrincipalName.
    UserPrincipalName,
    /// No userPrincipalName: Entra Connect's default rule exports `sAMAccountName@<AD DNS domain>`.
    SamAccountName,
    /// Neither: Entra Connect cannot export the user.
    Missing,
}

/// Which value mailNickname was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NicknameSource {
    /// The on-premises `mailNickname`.
    MailNickname,
    /// The prefix of the primary SMTP address (`SMTP:` in proxyAddresses).
    PrimarySmtp,
    /// The prefix of `mail`.
    Mail,
    /// The prefix of the userPrincipalName.
    UserPrincipalName,
    /// The prefix of a secondary SMTP address.
    SecondarySmtp,
}

impl NicknameSource {
    /// How a plan names the source.
    pub fn describe(self) -> &'static str {
        match self {
            Self::MailNickname => "the on-premises mailNickname",
            Self::PrimarySmtp => "the prefix of the primary SMTP address",
            Self::Mail => "the prefix of mail",
            Self::UserPrincipalName => "the prefix of userPrincipalName",
            Self::SecondarySmtp => "the prefix of a secondary SMTP address",
        }
    }
}

/// Why Entra does not keep the exported UPN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpnRewrite {
    /// The suffix is not a domain of the tenant at all.
    DomainNotInTenant {
        /// The suffix.
        suffix: String,
    },
    /// The suffix is a domain of the tenant that is not verified.
    DomainNotVerified {
        /// The suffix.
        suffix: String,
    },
    /// The UPN contains whitespace or has no `@`.
    Malformed,
}

/// What Entra will make of a user's userPrincipalName. Values borrow from the user where they can: a
/// plan predicts this for a million users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpnPrediction<'u> {
    /// The UPN Entra Connect exports.
    pub exported: Option<Cow<'u, str>>,
    /// Where it comes from.
    pub source: UpnSource,
    /// Why Entra replaces it, if it does.
    pub rewrite: Option<UpnRewrite>,
    /// The mailNickname Entra computes, and from what (only when the UPN is rewritten).
    pub nickname: Option<(&'u str, NicknameSource)>,
    /// The UPN the cloud user gets (before any duplicate-attribute quarantine).
    pub value: Option<Cow<'u, str>>,
}

/// The part before the last `@`.
pub fn address_prefix(address: &str) -> Option<&str> {
    address
        .rsplit_once('@')
        .map(|(prefix, _)| prefix)
        .filter(|prefix| !prefix.is_empty())
}

/// The DNS name of the AD domain an entry lives in, from the `DC=` parts of its DN.
pub fn dns_domain_of(dn: &str) -> Option<String> {
    let parts: Vec<&str> = dn
        .split(',')
        .filter_map(|part| {
            let (name, value) = part.trim().split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("DC")
                .then_some(value.trim())
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("."))
}

/// The mailNickname Entra computes on first sync; `upn_prefix` is the prefix of the UPN Entra Connect
/// exports (of the on-premises one, or the sAMAccountName when there is none).
pub fn mail_nickname<'u>(
    user: &'u OnPremUser,
    upn_prefix: Option<&'u str>,
) -> Option<(&'u str, NicknameSource)> {
    fn present(value: Option<&str>) -> Option<&str> {
        value.map(trim).filter(|value| !value.is_empty())
    }
    if let Some(nickname) = present(user.mail_nickname.as_deref()) {
        return Some((nickname, NicknameSource::MailNickname));
    }
    present(primary_smtp(&user.proxy_addresses))
        .and_then(address_prefix)
        .map(|prefix| (prefix, NicknameSource::PrimarySmtp))
        .or_else(|| {
            present(user.mail.as_deref())
                .and_then(address_prefix)
                .map(|prefix| (prefix, NicknameSource::Mail))
        })
        .or_else(|| present(upn_prefix).map(|prefix| (prefix, NicknameSource::UserPrincipalName)))
        .or_else(|| {
            user.proxy_addresses
                .iter()
                .filter(|address| !address.starts_with("SMTP:"))
                .find_map(|address| smtp_address(address))
                .and_then(address_prefix)
                .map(|prefix| (prefix, NicknameSource::SecondarySmtp))
        })
}

/// Why Entra would not keep `upn` in this tenant, if it would not.
pub fn upn_rewrite(upn: &str, tenant: &TenantSnapshot) -> Option<UpnRewrite> {
    let whitespace = if upn.is_ascii() {
        upn.bytes().any(|byte| byte.is_ascii_whitespace())
    } else {
        upn.chars().any(char::is_whitespace)
    };
    if whitespace || address_prefix(upn).is_none() {
        return Some(UpnRewrite::Malformed);
    }
    let suffix = upn.rsplit_once('@').map(|(_, suffix)| suffix)?;
    match tenant.domain_of(upn) {
        None => Some(UpnRewrite::DomainNotInTenant {
            suffix: suffix.to_owned(),
        }),
        Some(domain) if !domain.is_verified => Some(UpnRewrite::DomainNotVerified {
            suffix: suffix.to_owned(),
        }),
        Some(_) => None,
    }
}

/// Predicts the cloud userPrincipalName of an on-premises user.
pub fn predict_upn<'u>(user: &'u OnPremUser, tenant: &TenantSnapshot) -> UpnPrediction<'u> {
    let upn = user
        .user_principal_name
        .as_deref()
        .filter(|upn| !trim(upn).is_empty());
    let (exported, source): (Option<Cow<'u, str>>, UpnSource) = match upn {
        Some(upn) => (Some(Cow::Borrowed(upn)), UpnSource::UserPrincipalName),
        None => match (
            user.sam_account_name
                .as_deref()
                .filter(|name| !name.is_empty()),
            dns_domain_of(&user.dn),
        ) {
            (Some(name), Some(domain)) => (
                Some(Cow::Owned(format!("{name}@{domain}"))),
                UpnSource::SamAccountName,
            ),
            _ => (None, UpnSource::Missing),
        },
    };
    match exported {
        Some(exported) => predict_exported_upn(user, exported, source, tenant),
        None => UpnPrediction {
            exported: None,
            source,
            rewrite: None,
            nickname: None,
            value: None,
        },
    }
}

/// What Entra makes of a userPrincipalName exported for `user`: kept when its suffix is a verified
/// domain, `<mailNickname>@<initial domain>` otherwise. [`predict_upn`] calls this with what Entra
/// Connect exports; a sync whose flow makes the UPN another way calls it with that value, borrowed.
pub fn predict_exported_upn<'u>(
    user: &'u OnPremUser,
    exported: Cow<'u, str>,
    source: UpnSource,
    tenant: &TenantSnapshot,
) -> UpnPrediction<'u> {
    let rewrite = upn_rewrite(&exported, tenant);
    // mailNickname only matters when the UPN is rewritten.
    let nickname = rewrite.as_ref().and_then(|_| {
        let upn_prefix = match &exported {
            Cow::Borrowed(upn) => address_prefix(upn),
            // Only predict_upn builds a value (sAMAccountName@domain), and its prefix is the
            // sAMAccountName.
            Cow::Owned(_) => user.sam_account_name.as_deref(),
        };
        mail_nickname(user, upn_prefix)
    });
    let value = match &rewrite {
        None => Some(exported.clone()),
        Some(_) => match (&nickname, tenant.initial_domain()) {
            (Some((nickname, _)), Some(initial)) => {
                Some(Cow::Owned(format!("{nickname}@{}", initial.id)))
            }
            _ => None,
        },
    };
    UpnPrediction {
        exported: Some(exported),
        source,
        rewrite,
        nickname,
        value,
    }
}

/// The UPN duplicate-attribute resiliency gives a new user whose UPN is taken.
pub fn quarantined_upn(upn: &str, initial_domain: &str) -> String {
    let prefix = address_prefix(upn).unwrap_or(upn);
    format!("{prefix}{QUARANTINE_DIGITS}@{initial_domain}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::Domain;

    fn tenant() -> TenantSnapshot {
        TenantSnapshot {
            domains: vec![
                Domain {
                    id: "contoso.onmicrosoft.com".into(),
                    is_initial: true,
                    is_verified: true,
                    ..Domain::default()
                },
                Domain {
                    id: "contoso.com".into(),
                    is_verified: true,
                    ..Domain::default()
                },
                Domain {
                    id: "lab.contoso.com".into(),
                    is_verified: false,
                    ..Domain::default()
                },
            ],
            ..TenantSnapshot::default()
        }
    }

    #[test]
    fn verified_suffix_is_kept() {
        let user = OnPremUser {
            user_principal_name: Some("user5@Contoso.com".into()),
            ..OnPremUser::default()
        };
        let prediction = predict_upn(&user, &tenant());
        assert_eq!(prediction.value.as_deref(), Some("user5@Contoso.com"));
        assert_eq!(prediction.rewrite, None);
    }

    #[test]
    fn unverified_suffix_uses_mail_nickname_from_primary_smtp() {
        // The worked scenario of Microsoft's UPN population page: user3@contoso.com unverified,
        // SMTP:user1@contoso.com.
        let user = OnPremUser {
            user_principal_name: Some("user3@corp.local".into()),
            proxy_addresses: vec!["smtp:x@contoso.com".into(), "SMTP:user1@contoso.com".into()],
            ..OnPremUser::default()
        };
        let prediction = predict_upn(&user, &tenant());
        assert_eq!(
            prediction.value.as_deref(),
            Some("user1@contoso.onmicrosoft.com")
        );
        assert_eq!(
            prediction.rewrite,
            Some(UpnRewrite::DomainNotInTenant {
                suffix: "corp.local".into()
            })
        );
        assert_eq!(
            prediction.nickname,
            Some(("user1", NicknameSource::PrimarySmtp))
        );
    }

    fn nickname(user: &OnPremUser) -> Option<(&str, NicknameSource)> {
        mail_nickname(
            user,
            user.user_principal_name.as_deref().and_then(address_prefix),
        )
    }

    #[test]
    fn nickname_order() {
        let mut user = OnPremUser {
            user_principal_name: Some("u@lab.contoso.com".into()),
            mail: Some("m@contoso.com".into()),
            proxy_addresses: vec!["smtp:s@contoso.com".into()],
            ..OnPremUser::default()
        };
        assert_eq!(nickname(&user).unwrap().0, "m");
        user.mail_nickname = Some("nick".into());
        assert_eq!(
            nickname(&user).unwrap(),
            ("nick", NicknameSource::MailNickname)
        );
        user.mail_nickname = None;
        user.mail = None;
        assert_eq!(
            nickname(&user).unwrap().1,
            NicknameSource::UserPrincipalName
        );
        user.user_principal_name = None;
        assert_eq!(
            nickname(&user).unwrap(),
            ("s", NicknameSource::SecondarySmtp)
        );
        let unverified = OnPremUser {
            user_principal_name: Some("u@lab.contoso.com".into()),
            ..OnPremUser::default()
        };
        let prediction = predict_upn(&unverified, &tenant());
        assert_eq!(
            prediction.rewrite,
            Some(UpnRewrite::DomainNotVerified {
                suffix: "lab.contoso.com".into()
            })
        );
        assert_eq!(
            prediction.value.as_deref(),
            Some("u@contoso.onmicrosoft.com")
        );
    }

    #[test]
    fn missing_upn_falls_back_to_sam_account_name_at_ad_domain() {
        let user = OnPremUser {
            dn: "CN=Taro,OU=Tokyo,DC=corp,DC=contoso,DC=com".into(),
            sam_account_name: Some("taro".into()),
            ..OnPremUser::default()
        };
        let prediction = predict_upn(&user, &tenant());
        assert_eq!(
            prediction.exported.as_deref(),
            Some("taro@corp.contoso.com")
        );
        assert_eq!(prediction.source, UpnSource::SamAccountName);
        assert_eq!(
            prediction.value.as_deref(),
            Some("taro@contoso.onmicrosoft.com")
        );
    }

    #[test]
    fn whitespace_is_rewritten() {
        let user = OnPremUser {
            user_principal_name: Some("taro yamada@contoso.com".into()),
            mail_nickname: Some("taro.yamada".into()),
            ..OnPremUser::default()
        };
        let prediction = predict_upn(&user, &tenant());
        assert_eq!(prediction.rewrite, Some(UpnRewrite::Malformed));
        assert_eq!(
            prediction.value.as_deref(),
            Some("taro.yamada@contoso.onmicrosoft.com")
        );
    }

    #[test]
    fn quarantine_form() {
        assert_eq!(
            quarantined_upn("User@contoso.com", "contoso.onmicrosoft.com"),
            "User####@contoso.onmicrosoft.com"
        );
    }
}
