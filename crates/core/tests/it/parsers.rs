//! Every parser of the core fed arbitrary Unicode and bytes (issue 12): each answers a value or an
//! error, never a panic. The strategies lean towards what breaks parsers that slice text: non-ASCII
//! next to the ASCII forms they expect (fullwidth digits, combining marks, `日本`), control and
//! bidirectional characters, and the punctuation of each form.

use anchorsync_core::anchor::{AnchorSource, check_anchors};
use anchorsync_core::convert::{IdentifierForm, convert, detect, read_as};
use anchorsync_core::directory::{OnPremUser, UserBuilder};
use anchorsync_core::engine::pairing::JoinAttribute;
use anchorsync_core::engine::{EngineSettings, PlanDocument, plan};
use anchorsync_core::identifier::{
    ObjectGuid, Sid, decode_canonical_base64, decode_hex, decode_ldap_filter,
};
use anchorsync_core::remediation::{RemediationPlan, StepValue};
use anchorsync_core::sync::{Mapping, SyncSettings};
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_core::wording::{printable, printable_lines};
use proptest::prelude::*;
use std::borrow::Cow;

const FORMS: [IdentifierForm; 7] = [
    IdentifierForm::Guid,
    IdentifierForm::ImmutableId,
    IdentifierForm::Hex,
    IdentifierForm::LdapFilter,
    IdentifierForm::Sid,
    IdentifierForm::SidBase64,
    IdentifierForm::Text,
];

/// Characters an identifier parser meets: its own alphabet, and what sits next to it in pasted text.
fn identifier_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::ranges(Cow::Borrowed(&['0'..='9', 'a'..='f', 'A'..='F'])),
        2 => proptest::sample::select(vec![
            '-', '{', '}', '\\', '=', '+', '/', '_', ' ', 'x', 'S', 's', '0', '\t', '\u{0}',
        ]),
        // Fullwidth digits and letters, Japanese, accents, combining marks, controls and bidi.
        2 => proptest::sample::select(vec![
            '０', '９', 'Ａ', 'ｆ', '－', '日', '本', 'é', '\u{301}', '\u{308}', '\u{1b}', '\u{9b}',
            '\u{202e}', '\u{2066}', '\u{feff}', 'ß', 'İ', '\u{10ffff}',
        ]),
        1 => any::<char>(),
    ]
}

fn identifier_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(identifier_char(), 0..48)
        .prop_map(|chars| chars.into_iter().collect())
}

/// Arbitrary bytes read as text the lossy way a file reader would.
fn lossy_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<u8>(), 0..160)
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![identifier_text(), any::<String>(), lossy_text()]
}

fn every_identifier_parser(input: &str) {
    let _ = convert(input, None);
    let _ = detect(input);
    for form in FORMS {
        let _ = convert(input, Some(form));
        let _ = read_as(input, form);
    }
    let _ = decode_canonical_base64(input);
    let _ = decode_hex(input);
    let _ = decode_ldap_filter(input);
    let _ = ObjectGuid::parse_guid_string(input);
    let _ = input.parse::<Sid>();
    let _ = Sid::from_bytes(input.as_bytes());
    let _ = JoinAttribute::parse(input);
    let _ = Mapping::parse(input);
    let _ = printable(input);
    let _ = printable_lines(input);
}

proptest! {
    #![proptest_config(anchorsync_testkit::fuzz::config(512))]

    #[test]
    fn identifier_parsers_never_panic(input in any_text()) {
        every_identifier_parser(&input);
    }

    #[test]
    fn errors_render_without_panicking(input in any_text()) {
        // The messages slice values too (the character at a position, the padded form).
        if let Err(error) = convert(&input, None) {
            let _ = error.to_string();
        }
        for form in FORMS {
            if let Err(error) = convert(&input, Some(form)) {
                let _ = error.to_string();
                let _ = anchorsync_core::hint::Hint::hint(&error);
            }
        }
    }

    #[test]
    fn anchor_checks_never_panic(values in proptest::collection::vec(any_text(), 0..6)) {
        for source in [AnchorSource::Auto, AnchorSource::Binary, AnchorSource::String] {
            for check in check_anchors(&values, source) {
                let _ = serde_json::to_string(&check);
            }
        }
    }

    #[test]
    fn sid_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        if let Ok(sid) = Sid::from_bytes(&bytes) {
            prop_assert_eq!(sid.to_bytes(), bytes);
        }
    }

    #[test]
    fn json_readers_never_panic(text in any_text()) {
        let _ = TenantSnapshot::from_json(&text);
        let _ = serde_json::from_str::<RemediationPlan>(&text);
        let _ = serde_json::from_str::<PlanDocument>(&text);
        let _ = serde_json::from_str::<StepValue>(&text);
    }

    #[test]
    fn sync_settings_never_panic(key in any_text(), value in any_text(), number in any::<i64>()) {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        for text in [
            format!("[attributes]\n{key:?} = \"{escaped}\"\n"),
            format!("usage_location = \"{escaped}\"\nmax_deletion_percent = {number}\n"),
            format!("usage_location_attribute = \"{escaped}\"\nleaving = \"{escaped}\"\n"),
        ] {
            let _ = toml::from_str::<SyncSettings>(&text);
        }
    }

    #[test]
    fn users_from_any_values_never_panic(
        dn in any_text(),
        values in proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "objectGUID", "mS-DS-ConsistencyGuid", "objectSid", "userPrincipalName",
                    "sAMAccountName", "mail", "proxyAddresses", "mailNickname", "displayName",
                    "userAccountControl", "employeeID", "objectClass", "whenChanged", "uSNChanged",
                    "extensionAttribute1", "c",
                ]),
                proptest::collection::vec(any::<u8>(), 0..40),
            ),
            0..12,
        ),
        cloud_json in any_text(),
    ) {
        let mut builder = UserBuilder::new(None);
        for (name, value) in &values {
            builder.push(name, Cow::Borrowed(value));
        }
        let users: Vec<OnPremUser> = builder.finish(dn).into_iter().collect();
        // The engine over whatever was read, with a tenant from arbitrary JSON when it is one.
        let tenant = TenantSnapshot::from_json(&cloud_json).unwrap_or_default();
        let planned = plan(&users, &tenant, &EngineSettings::default());
        let mut json = Vec::new();
        let _ = planned.write_json(&mut json);
    }
}

/// The values issue 12 names, and their neighbours: each form refuses them with a message.
#[test]
fn convert_refuses_non_ascii_in_every_form_issue_12() {
    for input in [
        "日本",
        "aé",
        "é",
        "８８６６６８８８－０１０１－１１１１－ｂｂｂｂ－１２３４５６７８９０ａｂ",
        "{８８６６６８８８-0101-1111-bbbb-1234567890ab}",
        "88666888-0101-1111-bbbb-1234567890a\u{301}",
        "iGhmiAEBERG7uxI0VniQq\u{301}==",
        "S-1-5-２１-1",
        "\\88\\6８",
        "\\8\u{301}",
        "0x88 0x6８",
        "e\u{301}",
    ] {
        let detected = convert(input, None);
        assert!(detected.is_err(), "{input}: {detected:?}");
        for form in FORMS
            .into_iter()
            .filter(|form| *form != IdentifierForm::Text)
        {
            let error = convert(input, Some(form)).expect_err(input);
            assert!(!error.to_string().is_empty());
        }
    }
}
