//! Table tests of `${...}` substitution templates: parsing, rendering against the
//! original payload, Undefined as empty text, and refusals.

use super::test_support::{with_msg, V1, V2};
use super::Template;

const PAYLOAD: &[u8] = br#"{"device_id":"d-7","n":3,"obj":{"k":"v"},"nul":null,"text":"a}b"}"#;

#[test]
fn renders_against_the_original_message() {
    let cases: &[(&str, &str)] = &[
        ("plain/topic", "plain/topic"),
        ("", ""),
        ("${topic()}/republish", "things/thing-1/telemetry/republish"),
        ("${topic(2)}/delta", "thing-1/delta"),
        ("device/${device_id}", "device/d-7"),
        ("${device_id}-${n + 1}-${clientid()}", "d-7-4-dev-1"),
        ("${missing}", ""),
        ("a${missing}b", "ab"),
        ("${nul}", ""),
        ("${obj}", r#"{"k":"v"}"#),
        ("${obj.k}", "v"),
        ("${'}'}", "}"),
        ("${\"{\" + device_id}", "{d-7"),
        ("${text}", "a}b"),
        ("${upper(get(obj, 'k'))}", "V"),
        (
            "$$aws/things/${device_id}/shadow/update",
            "$$aws/things/d-7/shadow/update",
        ),
        ("cost $5 and ${n}", "cost $5 and 3"),
        ("${timestamp()}", "1700000000000"),
    ];
    for (text, expected) in cases {
        for version in [V1, V2] {
            let template =
                Template::parse(text, version).unwrap_or_else(|e| panic!("{text}: {e:?}"));
            assert_eq!(template.is_templated(), text.contains("${"), "{text}");
            let rendered = with_msg(PAYLOAD, |msg| template.render(msg)).expect("renders");
            assert_eq!(rendered, *expected, "{text} ({version:?})");
        }
    }
}

#[test]
fn object_literals_inside_templates() {
    let template = Template::parse("${get({'a': n}, 'a')}", V2).expect("parses");
    assert_eq!(
        with_msg(PAYLOAD, |msg| template.render(msg)).expect("renders"),
        "3"
    );
    let err = Template::parse("${get({'a': n}, 'a')}", V1).expect_err("v1");
    assert!(
        err.message.starts_with("Object literals require"),
        "{}",
        err.message
    );
}

#[test]
fn non_json_payload_renders_functions_only() {
    let template = Template::parse("${topic(1)}/${device_id}", V1).expect("parses");
    let rendered = with_msg(&[0xff, 0x00], |msg| template.render(msg)).expect("renders");
    assert_eq!(rendered, "things/");
}

#[test]
fn refusals() {
    let cases: &[(&str, &str)] = &[
        ("${topic()", "Unterminated substitution template at 1:1"),
        ("a/${'}", "Unterminated substitution template at 1:3"),
        (
            "${}",
            "Expected an expression, found end of statement at 1:3",
        ),
        (
            "x/${md5(a)}",
            "Function 'md5' is not supported by iot-emulator",
        ),
        ("${a b}", "Expected end of statement, found 'b' at 1:5"),
        (
            "${SELECT * FROM 'x'}",
            "Expected an expression, found 'SELECT' at 1:3",
        ),
    ];
    for (text, message) in cases {
        let err = Template::parse(text, V2).expect_err(text);
        assert!(err.message.starts_with(message), "{text}: {}", err.message);
    }
}
