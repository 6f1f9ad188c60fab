//! Every vector of `tests/data/vectors.json` is a test (issue 2); `tests/data/README.md` says where
//! each value comes from.

use anchorsync_core::convert::{IdentifierForm, convert};
use anchorsync_core::identifier::{ObjectGuid, Sid, decode_canonical_base64};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vectors.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn str_of<'a>(vector: &'a Value, key: &str) -> &'a str {
    vector[key]
        .as_str()
        .unwrap_or_else(|| panic!("vector without `{key}`: {vector}"))
}

#[test]
fn guid_vectors_convert_every_way() {
    let vectors = vectors();
    let guids = vectors["guids"].as_array().unwrap();
    assert!(guids.len() >= 4);
    for vector in guids {
        let guid = str_of(vector, "guid");
        let immutable_id = str_of(vector, "immutableId");
        let hex = str_of(vector, "hex");
        let ldap_filter = str_of(vector, "ldapFilter");
        for input in [
            guid.to_owned(),
            guid.to_uppercase(),
            format!("{{{guid}}}"),
            format!("{{{}}}", guid.to_uppercase()),
            immutable_id.to_owned(),
            hex.to_owned(),
            hex.to_uppercase(),
            ldap_filter.to_owned(),
            ldap_filter.to_lowercase(),
        ] {
            let conversion = convert(&input, None).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(conversion.guid.as_deref(), Some(guid), "guid of {input}");
            assert_eq!(
                conversion.immutable_id.as_deref(),
                Some(immutable_id),
                "immutableId of {input}"
            );
            assert_eq!(conversion.hex.as_deref(), Some(hex), "hex of {input}");
            assert_eq!(
                conversion.ldap_filter.as_deref(),
                Some(ldap_filter),
                "ldapFilter of {input}"
            );
            assert_eq!(conversion.sid, None);
        }
        let parsed: ObjectGuid = guid.parse().unwrap();
        assert_eq!(parsed.immutable_id().as_str(), immutable_id);
        assert_eq!(parsed.immutable_id().to_object_guid().unwrap(), parsed);
    }
}

#[test]
fn sid_vectors_convert_both_ways() {
    for vector in vectors()["sids"].as_array().unwrap() {
        let base64 = str_of(vector, "base64");
        let string = str_of(vector, "string");
        let conversion = convert(base64, None).unwrap();
        assert_eq!(conversion.sid.as_deref(), Some(string));
        assert_eq!(conversion.guid, None);
        let back = convert(string, None).unwrap();
        assert_eq!(back.immutable_id.as_deref(), Some(base64));
        let sid: Sid = string.parse().unwrap();
        assert_eq!(sid.to_bytes(), decode_canonical_base64(base64).unwrap());
    }
}

#[test]
fn string_vectors_give_the_reverse_base64_text() {
    for vector in vectors()["strings"].as_array().unwrap() {
        let ad_value = str_of(vector, "adValue");
        let base64_profile = str_of(vector, "immutableIdBase64Profile");
        let conversion = convert(base64_profile, None).unwrap();
        assert_eq!(
            conversion.text.as_deref(),
            Some(ad_value),
            "text of {base64_profile}"
        );
        let forward = convert(ad_value, Some(IdentifierForm::Text)).unwrap();
        assert_eq!(forward.immutable_id.as_deref(), Some(base64_profile));
        assert_eq!(str_of(vector, "immutableIdRawProfile"), ad_value);
    }
}

#[test]
fn invalid_vectors_are_refused_with_a_reason() {
    for vector in vectors()["invalid"].as_array().unwrap() {
        let value = str_of(vector, "immutableId");
        let error = convert(value, None).expect_err(value);
        let message = error.to_string();
        assert!(message.contains(value), "{message}");
        assert!(message.contains("canonical Base64"), "{message}");
        assert!(decode_canonical_base64(value).is_err());
    }
}
