//! One function per rule. Each takes the value (and what the rule needs besides) and returns the
//! [`Violation`] when the value breaks the rule; [`object_findings`] runs them over one object.
//!
//! Lengths count characters (UTF-16 code units are what Graph counts; for the ASCII these attributes
//! hold in practice the two agree, and a non-ASCII character is already a finding of its own).

use rustc_hash::FxHashSet;

use super::{Attribute, Finding, LintObject, ObjectKind, RuleId, TenantFacts, TldList};

/// A rule broken by one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule.
    pub rule: RuleId,
    /// The value proposed in its place, when one is safe.
    pub proposed: Option<String>,
    /// What this case adds to the rule's reason.
    pub detail: Option<String>,
}

impl Violation {
    fn new(rule: RuleId) -> Self {
        Self {
            rule,
            proposed: None,
            detail: None,
        }
    }

    fn proposing(mut self, proposed: Option<String>) -> Self {
        self.proposed = proposed.filter(|value| !value.is_empty());
        self
    }

    fn because(mut self, detail: String) -> Self {
        self.detail = Some(detail);
        self
    }
}

/// Graph's limit on `userPrincipalName`.
pub const UPN_MAX: usize = 113;
/// Entra's limit before the `@` of a UPN.
pub const UPN_LOCAL_MAX: usize = 64;
/// Entra's limit after the `@` of a UPN.
pub const UPN_DOMAIN_MAX: usize = 48;
/// The limit on `mail` (IdFix's; Exchange's own is 320 for the whole address).
pub const MAIL_MAX: usize = 256;
/// Graph's limit on `mailNickname`.
pub const MAIL_NICKNAME_MAX: usize = 64;
/// The limit on one proxy address (IdFix's).
pub const PROXY_MAX: usize = 256;
/// AD's limit on a user's `sAMAccountName` (the pre-Windows 2000 logon name).
pub const SAM_USER_MAX: usize = 20;
/// AD's limit on the `sAMAccountName` of other objects.
pub const SAM_OTHER_MAX: usize = 256;
/// Graph's limit on `displayName`.
pub const DISPLAY_NAME_MAX: usize = 256;
/// Graph's limit on `givenName` and `surname`.
pub const NAME_MAX: usize = 64;

fn length(value: &str) -> usize {
    value.chars().count()
}

/// The first `limit` characters of a value, trimmed at the end.
fn truncated(value: &str, limit: usize) -> String {
    value
        .chars()
        .take(limit)
        .collect::<String>()
        .trim_end()
        .to_owned()
}

fn too_long(rule: RuleId, value: &str, limit: usize, propose: bool) -> Option<Violation> {
    let count = length(value);
    (count > limit).then(|| {
        Violation::new(rule)
            .proposing(propose.then(|| truncated(value, limit)))
            .because(format!("It has {count} characters; the limit is {limit}."))
    })
}

/// `upn-length`: at most 113 characters. No value is proposed: the parts' own rules say where to cut.
pub fn upn_length(upn: &str) -> Option<Violation> {
    too_long(RuleId::UpnLength, upn, UPN_MAX, false)
}

/// `upn-local-length`: at most 64 characters before the `@`.
pub fn upn_local_length(upn: &str) -> Option<Violation> {
    let (local, _) = upn.rsplit_once('@')?;
    too_long(RuleId::UpnLocalLength, local, UPN_LOCAL_MAX, false)
}

/// `upn-domain-length`: at most 48 characters after the `@`.
pub fn upn_domain_length(upn: &str) -> Option<Violation> {
    let (_, domain) = upn.rsplit_once('@')?;
    too_long(RuleId::UpnDomainLength, domain, UPN_DOMAIN_MAX, false)
}

/// The characters Entra allows before a UPN's `@` besides ASCII letters and digits.
const UPN_LOCAL_SPECIALS: &str = "'.-_!#^~";

fn is_upn_local_character(character: char) -> bool {
    character.is_ascii_alphanumeric() || UPN_LOCAL_SPECIALS.contains(character)
}

fn is_domain_character(character: char) -> bool {
    character.is_ascii_alphanumeric() || character == '.' || character == '-'
}

/// `upn-character`: only `A-Z a-z 0-9 ' . - _ ! # ^ ~` before the `@`, letters, digits, `.` and `-`
/// after it. `'` is allowed (IdFix still flagged it). Proposes the value without the other characters
/// (surrounding spaces are the `whitespace` rule's).
pub fn upn_character(upn: &str) -> Option<Violation> {
    let upn = upn.trim();
    let (local, domain) = upn.rsplit_once('@')?;
    let bad: Vec<char> = local
        .chars()
        .filter(|c| !is_upn_local_character(*c))
        .chain(domain.chars().filter(|c| !is_domain_character(*c)))
        .collect();
    if bad.is_empty() {
        return None;
    }
    let cleaned_local: String = local
        .chars()
        .filter(|c| is_upn_local_character(*c))
        .collect();
    let cleaned_domain: String = domain.chars().filter(|c| is_domain_character(*c)).collect();
    let proposed = format!("{cleaned_local}@{cleaned_domain}");
    let proposed = (upn_format(&proposed).is_none() && upn_dot_before_at(&proposed).is_none())
        .then_some(proposed);
    Some(
        Violation::new(RuleId::UpnCharacter)
            .proposing(proposed)
            .because(format!("Not allowed: {}.", quoted_characters(&bad))),
    )
}

/// `upn-dot-before-at`: no `.` just before the `@`. Proposes the value without the trailing dots.
pub fn upn_dot_before_at(upn: &str) -> Option<Violation> {
    let upn = upn.trim();
    let (local, domain) = upn.rsplit_once('@')?;
    local.ends_with('.').then(|| {
        let local = local.trim_end_matches('.');
        Violation::new(RuleId::UpnDotBeforeAt)
            .proposing((!local.is_empty()).then(|| format!("{local}@{domain}")))
    })
}

/// `upn-format`: one `@` between a local part that neither starts with `.` nor has `..`, and a domain
/// name of at least two labels.
pub fn upn_format(upn: &str) -> Option<Violation> {
    let upn = upn.trim();
    let problem = match upn.split_once('@') {
        None => Some("It has no `@`.".to_owned()),
        Some((local, domain)) => {
            if domain.contains('@') {
                Some("It has more than one `@`.".to_owned())
            } else if local.is_empty() {
                Some("Nothing comes before the `@`.".to_owned())
            } else if local.starts_with('.') || local.contains("..") {
                Some("The part before the `@` starts with `.` or has `..`.".to_owned())
            } else {
                domain_problem(domain)
            }
        }
    };
    problem.map(|problem| Violation::new(RuleId::UpnFormat).because(problem))
}

/// What is wrong with a domain name's shape, if anything: at least two labels of letters, digits and
/// inner hyphens (non-ASCII letters are left to the character rules).
fn domain_problem(domain: &str) -> Option<String> {
    if domain.is_empty() {
        return Some("Nothing comes after the `@`.".to_owned());
    }
    if !domain.contains('.') {
        return Some(format!("The domain `{domain}` has no top-level domain."));
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Some(format!("The domain `{domain}` has an empty label."));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some(format!(
                "The domain label `{label}` starts or ends with `-`."
            ));
        }
        if label.chars().count() > 63 {
            return Some(format!(
                "The domain label `{label}` is longer than 63 characters."
            ));
        }
    }
    None
}

/// The top-level label of an address's domain.
fn top_level(address: &str) -> Option<&str> {
    let (_, domain) = address.trim().rsplit_once('@')?;
    let (_, tld) = domain.rsplit_once('.')?;
    (!tld.is_empty()).then_some(tld)
}

fn unknown_tld(rule: RuleId, address: &str, tlds: &TldList) -> Option<Violation> {
    let tld = top_level(address)?;
    (!tlds.contains(tld)).then(|| {
        Violation::new(rule).because(format!(
            "`.{tld}` is not in the top-level-domain list (extend it with `--tld-file`)."
        ))
    })
}

/// `upn-tld`: the UPN's top-level domain is a known one.
pub fn upn_tld(upn: &str, tlds: &TldList) -> Option<Violation> {
    unknown_tld(RuleId::UpnTopLevelDomain, upn, tlds)
}

/// `upn-unverified-domain`: the UPN suffix is a verified domain of the tenant (`verified` holds them
/// lowercased). Entra then sets `<mailNickname>@<initial domain>`: that value is named, not proposed,
/// since the fix is to verify the domain or change the suffix.
pub fn upn_unverified_domain(
    upn: &str,
    verified: &FxHashSet<String>,
    mail_nickname: Option<&str>,
    initial_domain: Option<&str>,
) -> Option<Violation> {
    let (local, domain) = upn.trim().rsplit_once('@')?;
    if verified.contains(&domain.to_ascii_lowercase()) {
        return None;
    }
    let prefix = mail_nickname
        .map(str::trim)
        .filter(|nickname| !nickname.is_empty())
        .unwrap_or(local);
    let initial = initial_domain.unwrap_or("<tenant>.onmicrosoft.com");
    Some(Violation::new(RuleId::UpnUnverifiedDomain).because(format!(
        "`{domain}` is not verified; the user would be `{prefix}@{initial}`."
    )))
}

/// The characters RFC 5322's dot-atom allows besides ASCII letters and digits.
const ATOM_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";

fn is_atom_character(character: char) -> bool {
    character.is_ascii_alphanumeric() || ATOM_SPECIALS.contains(character)
}

/// What is wrong with an SMTP address's shape, if anything.
fn smtp_problem(address: &str) -> Option<String> {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Some("It has no `@`.".to_owned());
    };
    if local.is_empty() {
        return Some("Nothing comes before the `@`.".to_owned());
    }
    if local.contains('@') {
        return Some("It has more than one `@`.".to_owned());
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Some("The part before the `@` starts or ends with `.` or has `..`.".to_owned());
    }
    let bad: Vec<char> = local
        .chars()
        .filter(|c| *c != '.' && !is_atom_character(*c))
        .chain(domain.chars().filter(|c| !is_domain_character(*c)))
        .collect();
    if !bad.is_empty() {
        return Some(format!("Not allowed: {}.", quoted_characters(&bad)));
    }
    domain_problem(domain)
}

/// The address with the characters an SMTP address cannot hold removed, when that leaves a valid one.
fn cleaned_smtp(address: &str) -> Option<String> {
    let (local, domain) = address.trim().rsplit_once('@')?;
    let local: String = local
        .chars()
        .filter(|c| *c == '.' || is_atom_character(*c))
        .collect();
    let domain: String = domain.chars().filter(|c| is_domain_character(*c)).collect();
    let cleaned = format!("{}@{domain}", local.trim_matches('.'));
    smtp_problem(&cleaned).is_none().then_some(cleaned)
}

/// `mail-format`: `mail` is one SMTP address. Proposes it without the characters an address cannot hold.
pub fn mail_format(mail: &str) -> Option<Violation> {
    let mail = mail.trim();
    smtp_problem(mail).map(|problem| {
        Violation::new(RuleId::MailFormat)
            .proposing(cleaned_smtp(mail))
            .because(problem)
    })
}

/// `mail-tld`: the top-level domain of `mail` is a known one.
pub fn mail_tld(mail: &str, tlds: &TldList) -> Option<Violation> {
    unknown_tld(RuleId::MailTopLevelDomain, mail, tlds)
}

/// `mail-length`: at most 256 characters.
pub fn mail_length(mail: &str) -> Option<Violation> {
    too_long(RuleId::MailLength, mail, MAIL_MAX, false)
}

/// `mailnickname-length`: at most 64 characters; proposes the first 64.
pub fn mail_nickname_length(nickname: &str) -> Option<Violation> {
    too_long(
        RuleId::MailNicknameLength,
        nickname,
        MAIL_NICKNAME_MAX,
        true,
    )
}

fn is_alias_character(character: char) -> bool {
    is_atom_character(character) || ('\u{A1}'..='\u{FF}').contains(&character)
}

/// `mailnickname-character`: Exchange's alias characters (letters, digits, `! # $ % & ' * + - / = ? ^ _
/// ` { | } ~`, U+00A1 to U+00FF) and periods only between them. Proposes the cleaned alias.
pub fn mail_nickname_character(nickname: &str) -> Option<Violation> {
    let nickname = nickname.trim();
    let bad: Vec<char> = nickname
        .chars()
        .filter(|c| *c != '.' && !is_alias_character(*c))
        .collect();
    let dots = nickname.starts_with('.') || nickname.ends_with('.') || nickname.contains("..");
    if bad.is_empty() && !dots {
        return None;
    }
    let kept: String = nickname
        .chars()
        .filter(|c| *c == '.' || is_alias_character(*c))
        .collect();
    let cleaned = kept
        .split('.')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(".");
    let detail = if bad.is_empty() {
        "A period starts or ends it, or two come together.".to_owned()
    } else {
        format!("Not allowed: {}.", quoted_characters(&bad))
    };
    Some(
        Violation::new(RuleId::MailNicknameCharacter)
            .proposing(Some(cleaned))
            .because(detail),
    )
}

/// A proxy address split into its type (`smtp`, `x500`, `sip`…) and value.
fn split_proxy(proxy: &str) -> Option<(&str, &str)> {
    proxy.split_once(':')
}

/// `proxy-length`: at most 256 characters.
pub fn proxy_length(proxy: &str) -> Option<Violation> {
    too_long(RuleId::ProxyLength, proxy, PROXY_MAX, false)
}

/// `proxy-format`: `type:value` with a non-empty type and value; an SMTP value is one SMTP address with
/// no further `:` (IdFix's "extra colon", proposed removed).
pub fn proxy_format(proxy: &str) -> Option<Violation> {
    let proxy = proxy.trim();
    let Some((kind, value)) = split_proxy(proxy) else {
        return Some(
            Violation::new(RuleId::ProxyFormat).because("It has no `type:` prefix.".to_owned()),
        );
    };
    if kind.is_empty() || value.is_empty() {
        return Some(
            Violation::new(RuleId::ProxyFormat)
                .because("The type or the value is empty.".to_owned()),
        );
    }
    if !kind.eq_ignore_ascii_case("smtp") {
        return None;
    }
    if value.contains(':') {
        let cleaned = format!("{kind}:{}", value.replace(':', ""));
        let proposed = smtp_problem(cleaned.get(kind.len() + 1..).unwrap_or_default())
            .is_none()
            .then_some(cleaned);
        return Some(
            Violation::new(RuleId::ProxyFormat)
                .proposing(proposed)
                .because("A `:` follows the `smtp:` prefix.".to_owned()),
        );
    }
    if proxy_character(proxy).is_some() {
        // The character rule reports (and cleans) it.
        return None;
    }
    smtp_problem(value.trim()).map(|problem| Violation::new(RuleId::ProxyFormat).because(problem))
}

/// `proxy-character`, by address type: SMTP values must not hold white space or `< > ( ) ; , [ ] "`;
/// X400 and X500 values must not hold control white space, `[ ]` or `"` (an apostrophe is allowed:
/// Exchange Online writes it, and IdFix's flagging of it was a false positive); other types must not
/// hold white space or `< > ( ) , [ ] "`. Proposes the value without them.
pub fn proxy_character(proxy: &str) -> Option<Violation> {
    let proxy = proxy.trim();
    let (kind, value) = split_proxy(proxy)?;
    let forbidden: fn(char) -> bool = if kind.eq_ignore_ascii_case("smtp") {
        |c| c.is_whitespace() || "<>();,[]\"".contains(c)
    } else if kind.eq_ignore_ascii_case("x400") || kind.eq_ignore_ascii_case("x500") {
        |c| (c.is_whitespace() && c != ' ') || "[]\"".contains(c)
    } else {
        |c| c.is_whitespace() || "<>(),[]\"".contains(c)
    };
    let bad: Vec<char> = value.chars().filter(|c| forbidden(*c)).collect();
    if bad.is_empty() {
        return None;
    }
    let cleaned: String = value.chars().filter(|c| !forbidden(*c)).collect();
    Some(
        Violation::new(RuleId::ProxyCharacter)
            .proposing((!cleaned.is_empty()).then(|| format!("{kind}:{cleaned}")))
            .because(format!(
                "Not allowed in a `{kind}:` address: {}.",
                quoted_characters(&bad)
            )),
    )
}

/// `proxy-tld`: an SMTP proxy address's top-level domain is a known one.
pub fn proxy_tld(proxy: &str, tlds: &TldList) -> Option<Violation> {
    let (kind, value) = split_proxy(proxy.trim())?;
    if !kind.eq_ignore_ascii_case("smtp") {
        return None;
    }
    unknown_tld(RuleId::ProxyTopLevelDomain, value, tlds)
}

/// `proxy-primary`: at most one `SMTP:` (primary) address. Returns the violation for every primary after
/// the first, proposing it as a secondary (`smtp:`).
pub fn proxy_primary(proxies: &[String]) -> Vec<(usize, Violation)> {
    proxies
        .iter()
        .enumerate()
        .filter(|(_, proxy)| proxy.trim().starts_with("SMTP:"))
        .skip(1)
        .map(|(position, proxy)| {
            let secondary = proxy.trim().replacen("SMTP:", "smtp:", 1);
            (
                position,
                Violation::new(RuleId::ProxyPrimary).proposing(Some(secondary)),
            )
        })
        .collect()
}

/// `sam-length`: at most 20 characters for a user, 256 for other objects.
pub fn sam_account_name_length(sam: &str, kind: ObjectKind) -> Option<Violation> {
    let limit = if kind == ObjectKind::User {
        SAM_USER_MAX
    } else {
        SAM_OTHER_MAX
    };
    too_long(RuleId::SamAccountNameLength, sam, limit, false)
}

fn is_sam_forbidden(character: char) -> bool {
    character.is_control() || "\\\"|,/[]:<>+=;?*".contains(character)
}

/// `sam-character`: none of `\ " | , / [ ] : < > + = ; ? *` or control characters. Proposes the value
/// without them.
pub fn sam_account_name_character(sam: &str) -> Option<Violation> {
    let bad: Vec<char> = sam.chars().filter(|c| is_sam_forbidden(*c)).collect();
    if bad.is_empty() {
        return None;
    }
    let cleaned: String = sam.chars().filter(|c| !is_sam_forbidden(*c)).collect();
    Some(
        Violation::new(RuleId::SamAccountNameCharacter)
            .proposing(Some(cleaned))
            .because(format!("Not allowed: {}.", quoted_characters(&bad))),
    )
}

/// `displayname-length`: at most 256 characters; proposes the first 256.
pub fn display_name_length(name: &str) -> Option<Violation> {
    too_long(RuleId::DisplayNameLength, name, DISPLAY_NAME_MAX, true)
}

/// `givenname-length`: at most 64 characters; proposes the first 64.
pub fn given_name_length(name: &str) -> Option<Violation> {
    too_long(RuleId::GivenNameLength, name, NAME_MAX, true)
}

/// `surname-length`: at most 64 characters; proposes the first 64.
pub fn surname_length(name: &str) -> Option<Violation> {
    too_long(RuleId::SurnameLength, name, NAME_MAX, true)
}

fn is_blank(value: Option<&str>) -> bool {
    value.is_none_or(|value| value.trim().is_empty())
}

/// `blank-displayname`: users and groups need a displayName. Proposes the CN, as IdFix does.
pub fn blank_display_name(object: &LintObject) -> Option<Violation> {
    if object.kind() == ObjectKind::Contact || !is_blank(object.display_name.as_deref()) {
        return None;
    }
    let cn = object
        .cn
        .as_deref()
        .map(|cn| truncated(cn.trim(), DISPLAY_NAME_MAX));
    Some(Violation::new(RuleId::BlankDisplayName).proposing(cn))
}

/// `blank-upn`: a user needs a userPrincipalName. Nothing is proposed: the suffix is a choice.
pub fn blank_user_principal_name(object: &LintObject) -> Option<Violation> {
    (object.kind() == ObjectKind::User && is_blank(object.user_principal_name.as_deref()))
        .then(|| Violation::new(RuleId::BlankUserPrincipalName))
}

/// `whitespace`: no leading or trailing white space. Proposes the trimmed value (for a proxy address,
/// the value after its prefix trimmed too).
pub fn whitespace(value: &str, attribute: Attribute) -> Option<Violation> {
    // Most values have nothing to trim: decide that without allocating (a million objects, ten values each).
    let spaced =
        |text: &str| text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace);
    let inner_spaced = attribute == Attribute::ProxyAddresses
        && value.split_once(':').is_some_and(|(kind, rest)| {
            kind.ends_with(char::is_whitespace) || rest.starts_with(char::is_whitespace)
        });
    if !spaced(value) && !inner_spaced {
        return None;
    }
    let trimmed = if attribute == Attribute::ProxyAddresses {
        match value.trim().split_once(':') {
            Some((kind, rest)) => format!("{}:{}", kind.trim(), rest.trim()),
            None => value.trim().to_owned(),
        }
    } else {
        value.trim().to_owned()
    };
    (trimmed != value && !trimmed.is_empty())
        .then(|| Violation::new(RuleId::Whitespace).proposing(Some(trimmed)))
}

fn quoted_characters(characters: &[char]) -> String {
    let mut seen: Vec<char> = Vec::new();
    for character in characters {
        if !seen.contains(character) {
            seen.push(*character);
        }
    }
    seen.iter()
        .map(|c| match c {
            ' ' => "space".to_owned(),
            c if c.is_control() || c.is_whitespace() => format!("U+{:04X}", u32::from(*c)),
            c => format!("`{c}`"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every per-object finding (all rules but the duplicates).
pub fn object_findings(
    position: usize,
    object: &LintObject,
    tlds: &TldList,
    verified: Option<&FxHashSet<String>>,
    tenant: Option<&TenantFacts>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut push = |attribute: Attribute, value: &str, violation: Option<Violation>| {
        if let Some(violation) = violation {
            findings.push(Finding {
                object: position,
                rule: violation.rule,
                attribute,
                value: value.to_owned(),
                proposed: violation.proposed,
                detail: violation.detail,
            });
        }
    };
    let kind = object.kind();
    if let Some(upn) = object
        .user_principal_name
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        let a = Attribute::UserPrincipalName;
        push(a, upn, whitespace(upn, a));
        push(a, upn, upn_length(upn.trim()));
        push(a, upn, upn_local_length(upn.trim()));
        push(a, upn, upn_domain_length(upn.trim()));
        let format = upn_format(upn);
        let malformed = format.is_some();
        push(a, upn, format);
        push(a, upn, upn_character(upn));
        push(a, upn, upn_dot_before_at(upn));
        if !malformed {
            push(a, upn, upn_tld(upn, tlds));
            if let Some(verified) = verified {
                push(
                    a,
                    upn,
                    upn_unverified_domain(
                        upn,
                        verified,
                        object.mail_nickname.as_deref(),
                        tenant.and_then(|tenant| tenant.initial_domain.as_deref()),
                    ),
                );
            }
        }
    }
    push(
        Attribute::UserPrincipalName,
        "",
        blank_user_principal_name(object),
    );
    if let Some(mail) = object.mail.as_deref().filter(|v| !v.trim().is_empty()) {
        let a = Attribute::Mail;
        push(a, mail, whitespace(mail, a));
        push(a, mail, mail_length(mail.trim()));
        let format = mail_format(mail);
        let malformed = format.is_some();
        push(a, mail, format);
        if !malformed {
            push(a, mail, mail_tld(mail, tlds));
        }
    }
    if let Some(nickname) = object
        .mail_nickname
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        let a = Attribute::MailNickname;
        push(a, nickname, whitespace(nickname, a));
        push(a, nickname, mail_nickname_length(nickname.trim()));
        push(a, nickname, mail_nickname_character(nickname));
    }
    for proxy in &object.proxy_addresses {
        let a = Attribute::ProxyAddresses;
        push(a, proxy, whitespace(proxy, a));
        push(a, proxy, proxy_length(proxy.trim()));
        let format = proxy_format(proxy);
        let malformed = format.is_some();
        push(a, proxy, format);
        push(a, proxy, proxy_character(proxy));
        if !malformed {
            push(a, proxy, proxy_tld(proxy, tlds));
        }
    }
    for (index, violation) in proxy_primary(&object.proxy_addresses) {
        if let Some(proxy) = object.proxy_addresses.get(index) {
            push(Attribute::ProxyAddresses, proxy, Some(violation));
        }
    }
    if let Some(sam) = object.sam_account_name.as_deref().filter(|v| !v.is_empty()) {
        let a = Attribute::SamAccountName;
        push(a, sam, whitespace(sam, a));
        push(a, sam, sam_account_name_length(sam, kind));
        push(a, sam, sam_account_name_character(sam));
    }
    if let Some(name) = object
        .display_name
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        let a = Attribute::DisplayName;
        push(a, name, whitespace(name, a));
        push(a, name, display_name_length(name.trim()));
    }
    push(Attribute::DisplayName, "", blank_display_name(object));
    if let Some(name) = object
        .given_name
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        let a = Attribute::GivenName;
        push(a, name, whitespace(name, a));
        push(a, name, given_name_length(name.trim()));
    }
    if let Some(name) = object.surname.as_deref().filter(|v| !v.trim().is_empty()) {
        let a = Attribute::Surname;
        push(a, name, whitespace(name, a));
        push(a, name, surname_length(name.trim()));
    }
    findings
}
