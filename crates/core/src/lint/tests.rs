//! A test per rule, with the limit on both sides of the boundary, and the cross-attribute duplicates
//! a per-attribute check misses.

use super::rules::*;
use super::*;

fn a(count: usize) -> String {
    "a".repeat(count)
}

fn rule_of(violation: Option<Violation>) -> Option<RuleId> {
    violation.map(|violation| violation.rule)
}

#[test]
fn rule_ids_are_unique_and_parse_back() {
    let mut seen = std::collections::BTreeSet::new();
    for rule in RuleId::ALL {
        assert!(seen.insert(rule.as_str()), "{rule}");
        assert_eq!(RuleId::parse(rule.as_str()), Some(*rule));
        assert_eq!(RuleId::parse(&rule.as_str().to_uppercase()), Some(*rule));
    }
    assert_eq!(RuleId::parse("no-such-rule"), None);
}

#[test]
fn upn_length_is_113_in_all() {
    // 64 + 1 + 48 = 113: the longest valid UPN.
    let at_limit = format!("{}@{}.com", a(64), a(44));
    assert_eq!(at_limit.len(), 113);
    assert_eq!(upn_length(&at_limit), None);
    let over = format!("{}@{}.com", a(64), a(45));
    assert_eq!(rule_of(upn_length(&over)), Some(RuleId::UpnLength));
}

#[test]
fn upn_local_part_is_64_at_most() {
    assert_eq!(upn_local_length(&format!("{}@example.com", a(64))), None);
    let violation = upn_local_length(&format!("{}@example.com", a(65))).unwrap();
    assert_eq!(violation.rule, RuleId::UpnLocalLength);
    assert!(
        violation
            .detail
            .unwrap()
            .contains("65 characters; the limit is 64")
    );
}

#[test]
fn upn_domain_is_48_at_most() {
    // IdFix checked only the 113 total: a 30-character prefix with a 49-character suffix passed it.
    let over = format!("{}@{}.com", a(30), a(45));
    assert_eq!(upn_length(&over), None);
    assert_eq!(
        rule_of(upn_domain_length(&over)),
        Some(RuleId::UpnDomainLength)
    );
    assert_eq!(upn_domain_length(&format!("{}@{}.com", a(30), a(44))), None);
}

#[test]
fn upn_characters_follow_entras_policy_apostrophe_allowed() {
    for fine in [
        "o'brien@example.com",
        "a.b-c_d!e#f^g~h@example.com",
        "X9@sub.example.co.jp",
    ] {
        assert_eq!(upn_character(fine), None, "{fine}");
    }
    let violation = upn_character("taro&hanako@example.com").unwrap();
    assert_eq!(violation.rule, RuleId::UpnCharacter);
    assert_eq!(
        violation.proposed.as_deref(),
        Some("tarohanako@example.com")
    );
    // IdFix let `$` and a backtick through.
    for bad in [
        "a$b@example.com",
        "a`b@example.com",
        "jürgen@example.com",
        "a b@example.com",
        "a@exa_mple.com",
    ] {
        assert_eq!(
            rule_of(upn_character(bad)),
            Some(RuleId::UpnCharacter),
            "{bad}"
        );
    }
}

#[test]
fn upn_has_no_dot_before_the_at() {
    assert_eq!(upn_dot_before_at("taro.y@example.com"), None);
    let violation = upn_dot_before_at("taro.@example.com").unwrap();
    assert_eq!(violation.proposed.as_deref(), Some("taro@example.com"));
}

#[test]
fn upn_format_needs_one_at_and_a_domain() {
    assert_eq!(upn_format("taro@example.com"), None);
    for bad in [
        "taro",
        "taro@",
        "@example.com",
        "a@b@example.com",
        "taro@localhost",
        ".taro@example.com",
        "ta..ro@example.com",
        "taro@-x.com",
        "taro@x..com",
    ] {
        assert_eq!(rule_of(upn_format(bad)), Some(RuleId::UpnFormat), "{bad}");
    }
}

#[test]
fn top_level_domains_come_from_the_list() {
    let tlds = TldList::bundled();
    assert_eq!(upn_tld("taro@example.co.jp", &tlds), None);
    assert_eq!(upn_tld("taro@example.AFRICA", &tlds), None);
    assert_eq!(
        rule_of(upn_tld("taro@corp.local", &tlds)),
        Some(RuleId::UpnTopLevelDomain)
    );
    assert_eq!(
        rule_of(mail_tld("taro@corp.local", &tlds)),
        Some(RuleId::MailTopLevelDomain)
    );
    assert_eq!(
        rule_of(proxy_tld("smtp:taro@corp.local", &tlds)),
        Some(RuleId::ProxyTopLevelDomain)
    );
    assert_eq!(proxy_tld("x500:/o=corp.local", &tlds), None);
    let mut extended = TldList::bundled();
    extended.extend_from_text("local\n");
    assert_eq!(upn_tld("taro@corp.local", &extended), None);
}

#[test]
fn an_unverified_upn_suffix_names_the_moera_value() {
    let verified: rustc_hash::FxHashSet<String> = ["example.com".to_owned()].into_iter().collect();
    assert_eq!(
        upn_unverified_domain("taro@EXAMPLE.com", &verified, None, None),
        None
    );
    let violation = upn_unverified_domain(
        "taro@corp.example",
        &verified,
        Some("tyamada"),
        Some("contoso.onmicrosoft.com"),
    )
    .unwrap();
    assert_eq!(violation.rule, RuleId::UpnUnverifiedDomain);
    assert_eq!(violation.proposed, None);
    assert!(
        violation
            .detail
            .unwrap()
            .contains("`tyamada@contoso.onmicrosoft.com`")
    );
}

#[test]
fn mail_is_one_smtp_address_of_256_at_most() {
    assert_eq!(mail_format("taro.yamada+news@example.com"), None);
    let violation = mail_format("taro yamada@example.com").unwrap();
    assert_eq!(violation.rule, RuleId::MailFormat);
    assert_eq!(
        violation.proposed.as_deref(),
        Some("taroyamada@example.com")
    );
    assert_eq!(rule_of(mail_format("taro")), Some(RuleId::MailFormat));
    let at_limit = format!("{}@{}.com", a(64), a(187));
    assert_eq!(at_limit.chars().count(), 256);
    assert_eq!(mail_length(&at_limit), None);
    let over = format!("{}@{}.com", a(64), a(188));
    assert_eq!(rule_of(mail_length(&over)), Some(RuleId::MailLength));
}

#[test]
fn mail_nickname_is_64_exchange_alias_characters() {
    assert_eq!(mail_nickname_length(&a(64)), None);
    let violation = mail_nickname_length(&a(65)).unwrap();
    assert_eq!(violation.proposed, Some(a(64)));
    assert_eq!(mail_nickname_character("taro.yamada"), None);
    assert_eq!(mail_nickname_character("o'brien"), None);
    let violation = mail_nickname_character("taro yamada").unwrap();
    assert_eq!(violation.proposed.as_deref(), Some("taroyamada"));
    let violation = mail_nickname_character(".taro..yamada.").unwrap();
    assert_eq!(violation.proposed.as_deref(), Some("taro.yamada"));
    assert_eq!(
        rule_of(mail_nickname_character("taro@corp")),
        Some(RuleId::MailNicknameCharacter)
    );
}

#[test]
fn proxy_addresses_are_checked_by_type() {
    let at_limit = format!("smtp:{}@{}.com", a(64), a(182));
    assert_eq!(at_limit.chars().count(), 256);
    assert_eq!(proxy_length(&at_limit), None);
    assert_eq!(
        rule_of(proxy_length(&format!("{at_limit}x"))),
        Some(RuleId::ProxyLength)
    );

    // SMTP: no white space or < > ( ) ; , [ ] ".
    let violation = proxy_character("smtp:taro(sales)@example.com").unwrap();
    assert_eq!(violation.rule, RuleId::ProxyCharacter);
    assert_eq!(
        violation.proposed.as_deref(),
        Some("smtp:tarosales@example.com")
    );
    // X500 values hold spaces, parentheses and apostrophes (IdFix issues #12, #16, #79).
    assert_eq!(
        proxy_character(
            "X500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=o'brien"
        ),
        None
    );
    assert_eq!(
        rule_of(proxy_character("X500:/o=a\"b")),
        Some(RuleId::ProxyCharacter)
    );
    // Other types: no white space or < > ( ) , [ ] ".
    assert_eq!(proxy_character("sip:taro@example.com"), None);
    assert_eq!(
        rule_of(proxy_character("sip:taro yamada@example.com")),
        Some(RuleId::ProxyCharacter)
    );

    assert_eq!(proxy_format("SMTP:taro@example.com"), None);
    assert_eq!(
        rule_of(proxy_format("taro@example.com")),
        Some(RuleId::ProxyFormat)
    );
    assert_eq!(
        rule_of(proxy_format("smtp:taro")),
        Some(RuleId::ProxyFormat)
    );
    let violation = proxy_format("smtp::taro@example.com").unwrap();
    assert_eq!(violation.proposed.as_deref(), Some("smtp:taro@example.com"));
}

#[test]
fn one_primary_smtp_address_only() {
    let proxies = vec![
        "SMTP:taro@example.com".to_owned(),
        "smtp:t@example.com".to_owned(),
    ];
    assert!(proxy_primary(&proxies).is_empty());
    let proxies = vec![
        "SMTP:taro@example.com".to_owned(),
        "SMTP:t@example.com".to_owned(),
    ];
    let found = proxy_primary(&proxies);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, 1);
    assert_eq!(found[0].1.proposed.as_deref(), Some("smtp:t@example.com"));
}

#[test]
fn sam_account_name_is_20_for_users_256_otherwise() {
    assert_eq!(sam_account_name_length(&a(20), ObjectKind::User), None);
    assert_eq!(
        rule_of(sam_account_name_length(&a(21), ObjectKind::User)),
        Some(RuleId::SamAccountNameLength)
    );
    assert_eq!(sam_account_name_length(&a(256), ObjectKind::Group), None);
    assert!(sam_account_name_length(&a(257), ObjectKind::Group).is_some());
    assert_eq!(sam_account_name_character("t.yamada"), None);
    let violation = sam_account_name_character("t/yamada*").unwrap();
    assert_eq!(violation.proposed.as_deref(), Some("tyamada"));
}

#[test]
fn names_follow_graphs_lengths() {
    assert_eq!(display_name_length(&a(256)), None);
    assert_eq!(display_name_length(&a(257)).unwrap().proposed, Some(a(256)));
    assert_eq!(given_name_length(&a(64)), None);
    assert_eq!(
        rule_of(given_name_length(&a(65))),
        Some(RuleId::GivenNameLength)
    );
    assert_eq!(surname_length(&a(64)), None);
    assert_eq!(rule_of(surname_length(&a(65))), Some(RuleId::SurnameLength));
}

#[test]
fn blanks_entra_needs_are_reported() {
    let mut user = LintObject {
        dn: "CN=Taro Yamada,OU=Tokyo,DC=corp".into(),
        kind: Some(ObjectKind::User),
        cn: Some("Taro Yamada".into()),
        ..LintObject::default()
    };
    assert_eq!(
        blank_display_name(&user).unwrap().proposed.as_deref(),
        Some("Taro Yamada")
    );
    assert!(blank_user_principal_name(&user).is_some());
    user.display_name = Some("Taro".into());
    user.user_principal_name = Some("taro@example.com".into());
    assert_eq!(blank_display_name(&user), None);
    assert_eq!(blank_user_principal_name(&user), None);
    let contact = LintObject {
        kind: Some(ObjectKind::Contact),
        ..LintObject::default()
    };
    assert_eq!(blank_display_name(&contact), None);
    assert_eq!(blank_user_principal_name(&contact), None);
}

#[test]
fn leading_and_trailing_spaces_are_trimmed() {
    assert_eq!(whitespace("taro@example.com", Attribute::Mail), None);
    assert_eq!(
        whitespace(" taro@example.com ", Attribute::Mail)
            .unwrap()
            .proposed
            .as_deref(),
        Some("taro@example.com")
    );
    assert_eq!(
        whitespace("smtp: taro@example.com", Attribute::ProxyAddresses)
            .unwrap()
            .proposed
            .as_deref(),
        Some("smtp:taro@example.com")
    );
}

fn user(n: &str, upn: &str) -> LintObject {
    LintObject {
        dn: format!("CN={n},OU=Tokyo,DC=corp,DC=example"),
        kind: Some(ObjectKind::User),
        cn: Some(n.to_owned()),
        display_name: Some(n.to_owned()),
        user_principal_name: Some(upn.to_owned()),
        ..LintObject::default()
    }
}

fn duplicates_of(report: &LintReport) -> Vec<(usize, Attribute, String)> {
    report
        .findings
        .iter()
        .filter(|finding| finding.rule == RuleId::DuplicateAddress)
        .map(|finding| (finding.object, finding.attribute, finding.value.clone()))
        .collect()
}

/// IdFix's check: each attribute's values compared with that attribute's, prefix included.
fn per_attribute_duplicates(objects: &[LintObject]) -> usize {
    let mut count = 0;
    for (i, x) in objects.iter().enumerate() {
        for y in objects.iter().skip(i + 1) {
            let same = |p: &Option<String>, q: &Option<String>| matches!((p, q), (Some(p), Some(q)) if p.eq_ignore_ascii_case(q));
            if same(&x.user_principal_name, &y.user_principal_name) || same(&x.mail, &y.mail) {
                count += 1;
            }
            for p in &x.proxy_addresses {
                if y.proxy_addresses.iter().any(|q| p.eq_ignore_ascii_case(q)) {
                    count += 1;
                }
            }
        }
    }
    count
}

#[test]
fn a_upn_equal_to_another_users_smtp_proxy_is_a_duplicate() {
    let mut hanako = user("Hanako", "hanako@example.com");
    hanako.proxy_addresses = vec![
        "SMTP:hanako@example.com".into(),
        "smtp:Taro@Example.com".into(),
    ];
    let objects = vec![user("Taro", "taro@example.com"), hanako];
    assert_eq!(
        per_attribute_duplicates(&objects),
        0,
        "IdFix's approach misses it"
    );
    let report = lint(&objects, &TldList::bundled(), None);
    assert_eq!(
        duplicates_of(&report),
        vec![
            (
                0,
                Attribute::UserPrincipalName,
                "taro@example.com".to_owned()
            ),
            (
                1,
                Attribute::ProxyAddresses,
                "smtp:Taro@Example.com".to_owned()
            ),
        ]
    );
    let finding = report
        .findings
        .iter()
        .find(|finding| finding.rule == RuleId::DuplicateAddress)
        .unwrap();
    assert_eq!(finding.proposed, None, "duplicates never get a fix");
    assert!(finding.why().contains("CN=Hanako"), "{}", finding.why());
}

#[test]
fn mail_equal_to_another_users_secondary_smtp_is_a_duplicate() {
    let mut taro = user("Taro", "taro@example.com");
    taro.mail = Some("sales@example.com".into());
    let mut hanako = user("Hanako", "hanako@example.com");
    hanako.proxy_addresses = vec![
        "SMTP:hanako@example.com".into(),
        "smtp:sales@example.com".into(),
    ];
    let objects = vec![taro, hanako];
    assert_eq!(per_attribute_duplicates(&objects), 0);
    let report = lint(&objects, &TldList::bundled(), None);
    assert_eq!(
        duplicates_of(&report),
        vec![
            (0, Attribute::Mail, "sales@example.com".to_owned()),
            (
                1,
                Attribute::ProxyAddresses,
                "smtp:sales@example.com".to_owned()
            ),
        ]
    );
}

#[test]
fn the_same_address_in_a_group_and_a_user_is_a_duplicate() {
    let mut taro = user("Taro", "taro@example.com");
    taro.proxy_addresses = vec![
        "SMTP:taro@example.com".into(),
        "smtp:info@example.com".into(),
    ];
    let group = LintObject {
        dn: "CN=Info,OU=Groups,DC=corp,DC=example".into(),
        kind: Some(ObjectKind::Group),
        display_name: Some("Info".into()),
        mail: Some("INFO@example.com".into()),
        proxy_addresses: vec!["SMTP:info@example.com".into()],
        ..LintObject::default()
    };
    let objects = vec![taro, group];
    let report = lint(&objects, &TldList::bundled(), None);
    let found = duplicates_of(&report);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, 0);
    assert_eq!(
        found[1],
        (1, Attribute::Mail, "INFO@example.com".to_owned())
    );
}

#[test]
fn one_objects_own_values_are_not_duplicates_and_other_proxy_types_keep_their_prefix() {
    let mut taro = user("Taro", "taro@example.com");
    taro.mail = Some("taro@example.com".into());
    taro.proxy_addresses = vec![
        "SMTP:taro@example.com".into(),
        "SIP:taro@example.com".into(),
    ];
    let mut hanako = user("Hanako", "hanako@example.com");
    hanako.proxy_addresses = vec!["sip:taro@example.com".into(), "x500:/o=corp/cn=taro".into()];
    let objects = vec![taro, hanako];
    let report = lint(&objects, &TldList::bundled(), None);
    // Only the two SIP values collide: SIP:taro@ is not the SMTP address taro@.
    assert_eq!(
        duplicates_of(&report),
        vec![
            (
                0,
                Attribute::ProxyAddresses,
                "SIP:taro@example.com".to_owned()
            ),
            (
                1,
                Attribute::ProxyAddresses,
                "sip:taro@example.com".to_owned()
            ),
        ]
    );
}

#[test]
fn with_the_tenant_unmatched_cloud_objects_collide_and_unverified_suffixes_are_found() {
    let objects = vec![
        user("Taro", "taro@example.com"),
        user("Jiro", "jiro@corp.example.com"),
    ];
    let tenant = TenantFacts {
        verified_domains: vec!["example.com".into()],
        initial_domain: Some("contoso.onmicrosoft.com".into()),
        unmatched: vec![CloudHolder {
            kind: ObjectKind::User,
            id: "c0ffee".into(),
            display_name: None,
            user_principal_name: Some("someone@example.com".into()),
            mail: None,
            proxy_addresses: vec!["smtp:TARO@example.com".into()],
        }],
    };
    let report = lint(&objects, &TldList::bundled(), Some(&tenant));
    let found = duplicates_of(&report);
    assert_eq!(
        found,
        vec![(
            0,
            Attribute::UserPrincipalName,
            "taro@example.com".to_owned()
        )]
    );
    let unverified: Vec<_> = report
        .findings
        .iter()
        .filter(|finding| finding.rule == RuleId::UpnUnverifiedDomain)
        .map(|finding| finding.object)
        .collect();
    assert_eq!(unverified, vec![1]);
    // Without the tenant neither is known.
    let report = lint(&objects, &TldList::bundled(), None);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}

#[test]
fn a_cloud_group_or_contact_holding_an_ad_address_is_a_finding_naming_it() {
    let mut hanako = user("Hanako", "hanako@example.com");
    hanako.mail = Some("Sales@Example.com".into());
    let objects = vec![user("Taro", "taro@example.com"), hanako];
    let cloud = |kind, id: &str, name: &str, proxy: &str| CloudHolder {
        kind,
        id: id.into(),
        display_name: Some(name.into()),
        user_principal_name: None,
        mail: None,
        proxy_addresses: vec![proxy.into()],
    };
    let tenant = TenantFacts {
        verified_domains: vec!["example.com".into()],
        initial_domain: None,
        unmatched: vec![
            // The group's secondary address is Taro's UPN; the contact's primary is Hanako's mail.
            cloud(
                ObjectKind::Group,
                "g1",
                "All staff",
                "smtp:TARO@example.com",
            ),
            cloud(
                ObjectKind::Contact,
                "c1",
                "Sales desk",
                "SMTP:sales@example.com",
            ),
        ],
    };
    let report = lint(&objects, &TldList::bundled(), Some(&tenant));
    let found: Vec<_> = report
        .findings
        .iter()
        .filter(|finding| finding.rule == RuleId::DuplicateAddress)
        .map(|finding| (finding.object, finding.attribute, finding.why()))
        .collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].0, found[0].1), (0, Attribute::UserPrincipalName));
    assert!(
        found[0]
            .2
            .contains("the cloud group `All staff` (id `g1`, its proxyAddresses)"),
        "{}",
        found[0].2
    );
    assert_eq!((found[1].0, found[1].1), (1, Attribute::Mail));
    assert!(
        found[1]
            .2
            .contains("the cloud contact `Sales desk` (id `c1`"),
        "{}",
        found[1].2
    );
    // Without them no AD object collides.
    let alone = TenantFacts {
        unmatched: Vec::new(),
        ..tenant
    };
    assert!(duplicates_of(&lint(&objects, &TldList::bundled(), Some(&alone))).is_empty());
}

#[test]
fn mail_nicknames_are_compared_with_mail_nicknames() {
    let mut taro = user("Taro", "taro@example.com");
    taro.mail_nickname = Some("sales".into());
    let mut hanako = user("Hanako", "hanako@example.com");
    hanako.mail_nickname = Some("Sales".into());
    let report = lint(&[taro, hanako], &TldList::bundled(), None);
    let found: Vec<_> = report
        .findings
        .iter()
        .filter(|finding| finding.rule == RuleId::DuplicateMailNickname)
        .map(|finding| finding.object)
        .collect();
    assert_eq!(found, vec![0, 1]);
}

#[test]
fn a_proposal_another_object_holds_is_withdrawn() {
    let mut taro = user("Taro", "taro yamada@example.com");
    taro.display_name = Some("Taro".into());
    let hanako = user("Hanako", "taroyamada@example.com");
    let report = lint(&[taro, hanako], &TldList::bundled(), None);
    let character = report
        .findings
        .iter()
        .find(|finding| finding.rule == RuleId::UpnCharacter)
        .unwrap();
    assert_eq!(character.proposed, None);
    assert!(character.why().contains("is held by another AD object"));
}

#[test]
fn skipped_objects_get_no_findings() {
    let krbtgt = user("krbtgt", "bad upn@corp.local");
    let report = lint(&[krbtgt], &TldList::bundled(), None);
    assert!(report.findings.is_empty());
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.checked, 0);
}
