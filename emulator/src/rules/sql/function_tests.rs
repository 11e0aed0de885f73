//! Table tests of the supported functions: message-context functions, string, numeric
//! and collection functions, with Undefined for bad arguments.

use super::test_support::{value, with_msg, V1, V2};
use super::{MessageContext, Outcome, SqlVersion, Statement};

const PAYLOAD: &str =
    r#"{"a":"ranger","n":-5,"d":-1.5,"s":"-5.123","arr":[1,2,3],"obj":{"k":"v"},"nul":null}"#;

/// `(expression, expected JSON text)` under both versions ("" is Undefined).
#[test]
fn functions_under_both_versions() {
    let cases: &[(&str, &str)] = &[
        ("topic()", "\"things/thing-1/telemetry\""),
        ("topic(1)", "\"things\""),
        ("topic(2)", "\"thing-1\""),
        ("topic(3)", "\"telemetry\""),
        ("topic('2')", "\"thing-1\""),
        ("topic(0)", ""),
        ("topic(4)", ""),
        ("topic(-1)", ""),
        ("topic('x')", ""),
        ("TOPIC(1)", "\"things\""),
        ("clientid()", "\"dev-1\""),
        ("clientId()", "\"dev-1\""),
        ("principal()", "\"abc123\""),
        ("timestamp()", "1700000000000"),
        ("accountid()", "\"123456789012\""),
        ("newuuid()", "\"00000000-0000-4000-8000-000000000001\""),
        ("upper('hello')", "\"HELLO\""),
        ("lower('HELLO')", "\"hello\""),
        ("lower(arr)", "\"[1,2,3]\""),
        ("upper(true)", "\"TRUE\""),
        ("upper(nul)", ""),
        ("upper(missing)", ""),
        ("upper()", ""),
        ("upper('a', 'b')", ""),
        ("concat()", ""),
        ("concat(1)", "1"),
        ("concat('con', 'cat')", "\"concat\""),
        ("concat(1, 'hello')", "\"1hello\""),
        ("concat('he', 'is', 'man')", "\"heisman\""),
        ("concat(a, missing)", ""),
        ("concat(1, 2)", ""),
        ("startswith('ranger', 'ran')", "true"),
        ("startswith(a, 'x')", "false"),
        ("startswith(123, 12)", "true"),
        ("startswith(nul, 'x')", ""),
        ("startswith(missing, 'x')", ""),
        ("abs(-5)", "5"),
        ("abs(n)", "5"),
        ("abs(d)", "1.5"),
        ("abs(s)", "5.123"),
        ("abs('x')", ""),
        ("abs(true)", ""),
        ("abs(nul)", ""),
        ("abs(-9223372036854775808)", "9.223372036854776e+18"),
        ("floor(1.2)", "1"),
        ("floor(-1.2)", "-2"),
        ("floor(7)", "7"),
        ("floor('2.7')", "2"),
        ("floor(arr)", ""),
        ("ceil(1.2)", "2"),
        ("ceil(-1.2)", "-1"),
        ("ceil('x')", ""),
        ("round(1.2)", "1"),
        ("round(1.5)", "2"),
        ("round(1.7)", "2"),
        ("round(-1.1)", "-1"),
        ("round(-1.5)", "-2"),
        ("Round(d)", "-2"),
        ("round(obj)", ""),
        ("get(arr, 0)", "1"),
        ("get(obj, 'k')", "\"v\""),
        ("get(a, 0)", "\"r\""),
        ("get(a, 99)", ""),
    ];
    for (expr, expected) in cases {
        for version in [V1, V2] {
            assert_eq!(
                value(expr, version, PAYLOAD),
                *expected,
                "{expr} ({version:?})"
            );
        }
    }
}

#[test]
fn version_two_functions() {
    let cases: &[(&str, &str)] = &[
        ("isUndefined(missing)", "true"),
        ("isundefined(5)", "false"),
        ("isUndefined(nul)", "false"),
        ("isUndefined(floor(arr))", "true"),
        ("encode('hi', 'base64')", "\"aGk=\""),
        ("encode(arr, 'base64')", "\"WzEsMiwzXQ==\""),
        ("encode(missing, 'base64')", ""),
        ("encode('hi', a)", ""),
        ("concat(arr, 4)", "[1,2,3,4]"),
        ("concat(arr, 'hello', arr)", r#"[1,2,3,"hello",1,2,3]"#),
    ];
    for (expr, expected) in cases {
        assert_eq!(value(expr, V2, PAYLOAD), *expected, "{expr}");
    }
}

#[test]
fn message_without_mqtt_client_or_principal() {
    let uuid = || "u".to_string();
    let msg = MessageContext {
        topic: "Buildings/Building5/Floor2",
        payload: b"{}",
        client_id: None,
        principal: None,
        timestamp_ms: 5,
        account_id: "000000000000",
        new_uuid: &uuid,
    };
    let sql = "SELECT clientid() AS c, principal() AS p, topic(3) AS t, topic() AS all FROM 'x'";
    let statement = Statement::parse(sql, SqlVersion::V2015_10_08).expect("parses");
    let out = statement.evaluate(&msg).expect("evaluates");
    let expected =
        serde_json::json!({"c": "n/a", "t": "Floor2", "all": "Buildings/Building5/Floor2"});
    assert_eq!(out, Some(Outcome::Json(expected)));
}

#[test]
fn newuuid_is_called_per_use() {
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let uuid = || {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        format!("uuid-{n}")
    };
    let statement = Statement::parse("SELECT newuuid() AS a, newuuid() AS b", V1).expect("parses");
    let out = with_msg(b"{}", |msg| {
        let msg = MessageContext {
            new_uuid: &uuid,
            ..*msg
        };
        statement.evaluate(&msg)
    });
    let expected = serde_json::json!({"a": "uuid-0", "b": "uuid-1"});
    assert_eq!(out.expect("evaluates"), Some(Outcome::Json(expected)));
}
