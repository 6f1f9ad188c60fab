//! `anchorsync convert` (issue 2).

use assert_cmd::Command;
use serde_json::Value;

fn anchorsync() -> Command {
    Command::cargo_bin("anchorsync").unwrap()
}

fn convert_json(value: &str) -> Value {
    let output = anchorsync()
        .args(["convert", value, "--format", "json"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{value}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn immutable_id_to_guid_and_back_issue_2() {
    let json = convert_json("iGhmiAEBERG7uxI0VniQqw==");
    assert_eq!(json["guid"], "88666888-0101-1111-bbbb-1234567890ab");
    assert_eq!(json["hex"], "8868668801011111bbbb1234567890ab");
    assert_eq!(
        json["ldapFilter"],
        r"\88\68\66\88\01\01\11\11\BB\BB\12\34\56\78\90\AB"
    );
    assert_eq!(json["canonical"], true);
    assert_eq!(json["sid"], Value::Null);
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "guid",
            "immutableId",
            "hex",
            "ldapFilter",
            "sid",
            "text",
            "canonical",
            "warnings"
        ]
    );
    assert_eq!(json["warnings"], serde_json::json!([]));
    for guid in [
        "88666888-0101-1111-bbbb-1234567890ab",
        "{88666888-0101-1111-BBBB-1234567890AB}",
        "88666888-0101-1111-BBBB-1234567890AB",
    ] {
        assert_eq!(
            convert_json(guid)["immutableId"],
            "iGhmiAEBERG7uxI0VniQqw==",
            "{guid}"
        );
    }
    assert_eq!(
        convert_json("{F7CC07D7-7C15-447D-876D-C01B0E5A9E38}")["immutableId"],
        "1wfM9xV8fUSHbcAbDlqeOA=="
    );
}

#[test]
fn object_sid_base64_gives_the_sid_string() {
    let json = convert_json("AQUAAAAAAAUVAAAAyY/ygNpbGR4L6toDTgQAAA==");
    assert_eq!(json["sid"], "S-1-5-21-2163380169-504978394-64678411-1102");
    assert_eq!(json["guid"], Value::Null);
    assert_eq!(
        convert_json("S-1-5-21-2163380169-504978394-64678411-1102")["immutableId"],
        "AQUAAAAAAAUVAAAAyY/ygNpbGR4L6toDTgQAAA=="
    );
}

#[test]
fn reverse_base64_text_for_string_attributes() {
    assert_eq!(convert_json("5bGx55Sw5aSq6YOO")["text"], "山田太郎");
    let output = anchorsync()
        .args(["convert", "--from", "text", "E10023", "--format", "json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["immutableId"], "RTEwMDIz");
}

#[test]
fn malformed_values_exit_2_with_the_reason() {
    let cases = [
        ("260051", "length 6 is not a multiple of 4"),
        ("iGhmiAEBERG7uxI0VniQqw", "padding is missing"),
        ("iGhmiAEBERG7uxI0VniQq_==", "base64url"),
        ("iGhmiAEBERG7uxI0VniQq-==", "base64url"),
        ("qgCqABG7IszdM0TuRO5E7g==x", "`x` follows the `=` padding"),
        ("qgCqABG7IszdM0TuRO5E7g===", "more `=` padding"),
        ("88666888-0101-1111-bbbb-1234567890", "not a GUID"),
        ("S-1-5-21-abc", "not a sub-authority"),
        (r"\88\6", "not `\\` followed by two hexadecimal digits"),
        ("hello world", "not in the Base64 alphabet"),
    ];
    for (value, reason) in cases {
        let output = anchorsync().args(["convert", value]).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{value}");
        assert!(output.stdout.is_empty(), "{value}: nothing on stdout");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(reason),
            "{value}: expected `{reason}` in:\n{stderr}"
        );
    }
}

#[test]
fn ambiguous_value_is_reported_not_guessed() {
    // Base64 of 16 bytes that are both a GUID and a two-sub-authority SID.
    let output = anchorsync()
        .args(["convert", "AQIAAAAAAAUVAAAA6AMAAA=="])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ambiguous"), "{stderr}");
    assert!(stderr.contains("--from sid-base64"), "{stderr}");
}

#[test]
fn text_output_names_the_form_read() {
    let output = anchorsync()
        .args(["convert", "8868668801011111bbbb1234567890ab"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("read as      hexadecimal bytes"),
        "{stdout}"
    );
    assert!(
        stdout.contains("guid         88666888-0101-1111-bbbb-1234567890ab"),
        "{stdout}"
    );
}

#[test]
fn a_numeric_immutable_id_is_said_to_be_no_guid_issue_10() {
    // HENNGE-style numeric ImmutableIDs are canonical Base64 of 6 bytes: no GUID, so no
    // mS-DS-ConsistencyGuid can reproduce them.
    let output = anchorsync().args(["convert", "10000183"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("hex          d74d34d35f37"), "{stdout}");
    assert!(
        stdout.contains("warning: decodes to 6 bytes, not the 16 of a GUID"),
        "{stdout}"
    );
    assert!(stdout.contains("--strategy hard-cloud"), "{stdout}");

    let json = convert_json("10000183");
    assert_eq!(json["guid"], Value::Null);
    assert_eq!(json["immutableId"], "10000183");
    assert_eq!(json["canonical"], true);
    let warnings = json["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{json}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .starts_with("decodes to 6 bytes, not the 16 of a GUID"),
        "{json}"
    );
    // More than 16 bytes too.
    let json = convert_json(r"\01\02\03\04\05\06\07\08\09\0A\0B\0C\0D\0E\0F\10\11");
    assert!(
        json["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("decodes to 17 bytes"),
        "{json}"
    );
}

#[test]
fn errors_show_non_ascii_as_itself_and_escape_control_characters_issue_10() {
    // Japanese used to panic in detection; named as an ImmutableID its first character was shown as
    // `\u{5c71}`.
    for args in [
        &["convert", "山田太郎"][..],
        &["convert", "--from", "immutable-id", "山田太郎"][..],
    ] {
        let output = anchorsync().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains("`山田太郎`"), "{stderr}");
        assert!(stderr.contains("character 1 is `山`"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    // An escape sequence in the value never reaches the terminal as one.
    let output = anchorsync()
        .args(["convert", "ab\u{1b}[31m山"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(stderr.contains(r"`ab\u{1b}[31m山`"), "{stderr}");
    assert!(stderr.contains(r"character 3 is `\u{1b}`"), "{stderr}");
}

#[test]
fn non_ascii_in_any_form_exits_2_with_a_message_issue_12() {
    // Japanese, an accent, a fullwidth GUID, combining marks, and non-ASCII inside each form's own
    // punctuation: detection and every `--from` refuse them with a message, never a panic (101).
    let fullwidth_guid = "８８６６６８８８－０１０１－１１１１－ｂｂｂｂ－１２３４５６７８９０ａｂ";
    let values = [
        "日本",
        "aé",
        fullwidth_guid,
        "{８８６６６８８８-0101-1111-bbbb-1234567890ab}",
        "88666888-0101-1111-bbbb-1234567890a\u{301}",
        "iGhmiAEBERG7uxI0VniQq\u{301}==",
        "e\u{301}",
        "S-1-5-２１-1",
        "\\88\\6８",
        "0x88 0x6８ 0x66",
        "8868668801011111bbbb1234567890a\u{0430}",
    ];
    for value in values {
        for from in [
            None,
            Some("guid"),
            Some("immutable-id"),
            Some("hex"),
            Some("ldap-filter"),
            Some("sid"),
            Some("sid-base64"),
        ] {
            let mut command = anchorsync();
            command.arg("convert");
            if let Some(from) = from {
                command.args(["--from", from]);
            }
            let output = command.arg(value).output().unwrap();
            let stderr = String::from_utf8(output.stderr).unwrap();
            assert_eq!(output.status.code(), Some(2), "{value} {from:?}: {stderr}");
            assert!(stderr.starts_with("error: "), "{value} {from:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{value} {from:?}: {stderr}");
        }
    }
    // Named as text, any of them converts.
    let output = anchorsync()
        .args(["convert", "--from", "text", fullwidth_guid])
        .output()
        .unwrap();
    assert!(output.status.success());
}
