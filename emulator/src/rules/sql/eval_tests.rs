//! Table tests of the evaluator: SELECT output, WHERE with AWS's Undefined semantics,
//! operators and conversions, CASE, cast, literals, nested queries, non-JSON payloads and
//! the differences between SQL versions.

use serde_json::json;

use super::test_support::{output, run, value, V1, V2};
use super::Outcome;

const PAYLOAD: &str = r#"{"color":"red","temperature":50,"dec":2.5,"whole":10.0,
  "flag":true,"nothing":null,"s":"12","word":"abc","arr":[1,2,3],
  "obj":{"red":255,"green":0,"inner":{"x":"y"}},
  "e":[{"n":"temperature","v":22.5},{"n":"light","v":135},{"n":"acidity","v":7}]}"#;

/// `(statement, expected output)` under both versions; `None` when WHERE stops the rule.
#[test]
fn select_and_where() {
    let cases: &[(&str, Option<serde_json::Value>)] = &[
        ("SELECT color FROM 't'", Some(json!({"color": "red"}))),
        ("SELECT color AS my_color, temperature as f FROM 't'", Some(json!({"my_color": "red", "f": 50}))),
        ("SELECT obj.red as red_value FROM 't'", Some(json!({"red_value": 255}))),
        ("SELECT obj.inner.x FROM 't'", Some(json!({"x": "y"}))),
        ("SELECT missing, color FROM 't'", Some(json!({"color": "red"}))),
        ("SELECT missing.deeper AS m FROM 't'", Some(json!({}))),
        ("SELECT nothing FROM 't'", Some(json!({"nothing": null}))),
        ("SELECT color.red AS r FROM 't'", Some(json!({}))),
        ("SELECT obj.red AS a.b, color AS a.c FROM 't'", Some(json!({"a": {"b": 255, "c": "red"}}))),
        ("SELECT word AS w, * AS all FROM 't' WHERE temperature = 51", None),
        ("SELECT color FROM 't' WHERE temperature > 50", None),
        ("SELECT color FROM 't' WHERE temperature >= 50", Some(json!({"color": "red"}))),
        ("SELECT color FROM 't' WHERE temperature > 40 AND color <> 'red'", None),
        ("SELECT color FROM 't' WHERE temperature > 40 OR color <> 'red'", Some(json!({"color": "red"}))),
        // A missing field never matches, whatever the operator.
        ("SELECT color FROM 't' WHERE missing = 1", None),
        ("SELECT color FROM 't' WHERE missing <> 1", None),
        ("SELECT color FROM 't' WHERE NOT (missing = 1)", None),
        ("SELECT color FROM 't' WHERE missing < 1 OR true", None),
        ("SELECT color FROM 't' WHERE missing", None),
        // Only Boolean true passes: the string "true" and numbers do not.
        ("SELECT color FROM 't' WHERE 'true'", None),
        ("SELECT color FROM 't' WHERE 1", None),
        ("SELECT color FROM 't' WHERE flag", Some(json!({"color": "red"}))),
        ("SELECT color FROM 't' WHERE 'TRUE' AND flag", Some(json!({"color": "red"}))),
        ("SELECT color FROM 't' WHERE NOT 'false'", Some(json!({"color": "red"}))),
        ("SELECT color FROM 't' WHERE s > 11", Some(json!({"color": "red"}))),
        ("SELECT color FROM 't' WHERE word > 1", None),
        ("SELECT color FROM 't' WHERE nothing = NULL", Some(json!({"color": "red"}))),
        ("SELECT color FROM 't' WHERE nothing <> NULL", None),
        ("SELECT color FROM 't' WHERE obj.green = 0 AND color = \"red\"", Some(json!({"color": "red"}))),
        // WHERE cannot see SELECT aliases.
        ("SELECT color AS c FROM 't' WHERE c = 'red'", None),
        ("SELECT *, 15 as speed FROM 't' WHERE temperature = 50", Some(json!({
            "color":"red","temperature":50,"dec":2.5,"whole":10.0,"flag":true,"nothing":null,"s":"12",
            "word":"abc","arr":[1,2,3],"obj":{"red":255,"green":0,"inner":{"x":"y"}},
            "e":[{"n":"temperature","v":22.5},{"n":"light","v":135},{"n":"acidity","v":7}],"speed":15}))),
        ("SELECT *, 'blue' AS color FROM 't' WHERE false", None),
        ("SELECT (temperature - 32) * 5 / 9 AS celsius, upper(color) as my_color FROM 't'", Some(json!({"celsius": 10, "my_color": "RED"}))),
        ("SELECT CASE color WHEN 'green' THEN 'go' WHEN 'red' THEN 'stop' ELSE 'other' END AS i FROM 't'", Some(json!({"i": "stop"}))),
        ("SELECT CASE color WHEN 'green' THEN 'go' END AS i FROM 't'", Some(json!({}))),
        ("SELECT CASE missing WHEN 'green' THEN 'go' ELSE 'else' END AS i FROM 't'", Some(json!({}))),
        ("SELECT CASE temperature WHEN 50.0 THEN 'fifty' ELSE 'no' END AS i FROM 't'", Some(json!({"i": "fifty"}))),
        ("SELECT topic() FROM 't'", Some(json!({"topic": "things/thing-1/telemetry"}))),
        ("SELECT 1 + 1, 'x' FROM 't'", Some(json!({"_1": 2, "_2": "x"}))),
    ];
    for (sql, expected) in cases {
        for version in [V1, V2] {
            let mut expected = expected.clone();
            if version == V2 {
                if let Some(o) = expected.as_mut().and_then(|v| v.as_object_mut()) {
                    if o.contains_key("whole") {
                        o.insert("whole".into(), json!(10));
                    }
                }
            }
            assert_eq!(
                output(sql, version, PAYLOAD),
                expected,
                "{sql} ({version:?})"
            );
        }
    }
}

/// `(expression, expected JSON text)` under both versions ("" is Undefined).
#[test]
fn operators_and_conversions() {
    let cases: &[(&str, &str)] = &[
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 - 4 - 3", "3"),
        ("7 / 2", "3"),
        ("-7 / 2", "-3"),
        ("7 % 3", "1"),
        ("-7 % 3", "-1"),
        ("1 / 0", ""),
        ("1 % 0", ""),
        ("1.5 / 0", ""),
        ("0.1 + 0.2", "0.3"),
        ("2.5 * 2", "5.0"),
        ("1 - 0.5", "0.5"),
        ("7 / 2.0", "3.5"),
        ("'5' - 2", "3"),
        ("'5' * '2'", "10"),
        ("'abc' - 1", ""),
        ("true + 1", ""),
        ("NULL + 1", ""),
        ("'a' + 1", "\"a1\""),
        ("1 + 'a'", "\"1a\""),
        ("'a' + true", "\"atrue\""),
        ("'a' + NULL", ""),
        ("'a' + missing", ""),
        ("-temperature", "-50"),
        ("-'3'", "-3"),
        ("-word", ""),
        ("9223372036854775807 + 1", "9.223372036854776e+18"),
        ("1 = 1.0", "true"),
        ("'1' = 1", "false"),
        ("'1' <> 1", "true"),
        ("NULL = NULL", "true"),
        ("NULL <> NULL", "false"),
        ("missing = missing", ""),
        ("missing <> 1", ""),
        ("obj = obj", "true"),
        ("arr = arr", "true"),
        ("true = 'true'", "false"),
        ("2 > '10'", "false"),
        ("'2' > '10'", "false"),
        ("'5E-1' < 1", "true"),
        ("'1.' < 2", ""),
        ("true < 2", ""),
        ("true AND 'True'", "true"),
        ("true AND 1", ""),
        ("false OR missing", ""),
        ("NOT true", "false"),
        ("NOT 'x'", ""),
        ("NOT 1 = 1", ""),
        ("get(arr, 1)", "2"),
        ("get(arr, '2')", "3"),
        ("get(arr, 1.6)", "3"),
        ("get(arr, 3)", ""),
        ("get(arr, -1)", ""),
        ("get('abc', 1)", "\"b\""),
        ("get(obj, 'red')", "255"),
        ("get(obj, 1)", ""),
        ("get(5, 0)", ""),
        ("get(get(obj, 'inner'), 'x')", "\"y\""),
        ("cast(true AS Int)", "1"),
        ("cast(-1.7 AS Int)", "-1"),
        ("cast('12.9' AS Integer)", "12"),
        ("cast('x' AS Int)", ""),
        ("cast(NULL AS Int)", ""),
        ("cast(5 AS String)", "\"5\""),
        ("cast(true AS varchar)", "\"true\""),
        ("cast(arr AS String)", "\"[1,2,3]\""),
        ("cast(obj.inner AS Text)", "\"{\\\"x\\\":\\\"y\\\"}\""),
        ("cast(NULL AS String)", ""),
        ("cast(1.5 AS Double)", "1.5"),
        ("cast('2.25' AS Double)", "2.25"),
        ("cast(arr AS Double)", ""),
        ("upper(0.000001)", "\"0.000001\""),
        ("upper(0.00000012)", "\"1.2E-7\""),
    ];
    for (expr, expected) in cases {
        for version in [V1, V2] {
            let got = value(expr, version, PAYLOAD);
            let expected = match (version, *expr) {
                (v, "2.5 * 2") if v == V2 => "5",
                // Under 2016-03-23 the literal 2.0 is the Int 2, so this is Int division.
                (v, "7 / 2.0") if v == V2 => "3",
                (v, "'5' - 2") | (v, "'5' * '2'") | (v, "-'3'") if v == V1 => match *expr {
                    "'5' - 2" => "3.0",
                    "'5' * '2'" => "10.0",
                    _ => "-3.0",
                },
                _ => expected,
            };
            assert_eq!(got, expected, "{expr} ({version:?})");
        }
    }
}

#[test]
fn version_differences() {
    // A whole-number Decimal stays Decimal in 2015-10-08 and becomes Int in 2016-03-23.
    assert_eq!(value("whole", V1, PAYLOAD), "10.0");
    assert_eq!(value("whole", V2, PAYLOAD), "10");
    assert_eq!(value("10.0", V1, PAYLOAD), "10.0");
    assert_eq!(value("10.0", V2, PAYLOAD), "10");
    assert_eq!(value("cast(10.0 AS String)", V1, PAYLOAD), "\"10.0\"");
    assert_eq!(value("upper(1E+3)", V1, PAYLOAD), "\"1E+3\"");
    assert_eq!(value("upper(1E+3)", V2, PAYLOAD), "\"1000\"");
    assert_eq!(value("cast(10.0 AS String)", V2, PAYLOAD), "\"10\"");
    assert_eq!(value("cast(10.0 AS Decimal)", V2, PAYLOAD), "10");
    assert_eq!(value("cast(true AS Boolean)", V2, PAYLOAD), "true");
    assert_eq!(value("cast(0.0 AS Bool)", V2, PAYLOAD), "false");
    assert_eq!(value("cast(2 AS Bool)", V2, PAYLOAD), "true");
    assert_eq!(value("cast('x' AS Bool)", V2, PAYLOAD), "");
    assert_eq!(value("sql_version()", V1, PAYLOAD), "\"2015-10-08\"");
    assert_eq!(value("sql_version()", V2, PAYLOAD), "\"2016-03-23\"");
    // SELECT VALUE of an Array is the whole payload only in 2016-03-23.
    assert_eq!(value("arr", V2, PAYLOAD), "[1,2,3]");
    let err = run("SELECT VALUE arr FROM 't'", V1, PAYLOAD.as_bytes()).expect_err("v1 array");
    assert!(err.message.contains("2016-03-23"), "{}", err.message);
    assert_eq!(value("color", V1, PAYLOAD), "\"red\"");
}

#[test]
fn literals_and_nested_queries() {
    let cases: &[(&str, &str)] = &[
        (
            "{'latitude': get(arr, 0), 'longitude': get(arr, 1)}",
            r#"{"latitude":1,"longitude":2}"#,
        ),
        ("{'a': missing, 'b': 1}", r#"{"b":1}"#),
        ("[temperature, color, missing]", r#"[50,"red"]"#),
        ("[]", "[]"),
        (
            "(SELECT VALUE n FROM e)",
            r#"["temperature","light","acidity"]"#,
        ),
        (
            "(SELECT v FROM e WHERE n = 'temperature')",
            r#"[{"v":22.5}]"#,
        ),
        (
            "get((SELECT v FROM e WHERE n = 'temperature'), 0).v",
            "22.5",
        ),
        (
            "(SELECT * FROM e WHERE v > 100)",
            r#"[{"n":"light","v":135}]"#,
        ),
        ("(SELECT VALUE n FROM e WHERE missing = 1)", "[]"),
        ("(SELECT VALUE n FROM color)", ""),
        (
            "{'a': {'b': [1, {'c': 'd'}]}} = {'a': {'b': [1, {'c': 'd'}]}}",
            "true",
        ),
        ("{'a': 1, 'b': 2} = {'b': 2, 'a': 1}", "true"),
        ("[1, 2] = [2, 1]", "false"),
        ("[1, 2] <> [2, 1]", "true"),
    ];
    for (expr, expected) in cases {
        assert_eq!(value(expr, V2, PAYLOAD), *expected, "{expr}");
    }
}

#[test]
fn non_json_payloads() {
    let binary = [0xde, 0xad, 0xbe, 0xef, 0x00];
    let cases: &[&[u8]] = &[&binary, b"80", b"not json", b"", b"[1,2]", b"\"str\""];
    for payload in cases {
        for version in [V1, V2] {
            // SELECT * forwards the bytes unchanged.
            let out = run("SELECT * FROM 't'", version, payload).expect("runs");
            assert_eq!(out, Some(Outcome::Bytes(payload.to_vec())));
            // Field references are Undefined, so WHERE on them never passes.
            let out = run(
                "SELECT * FROM 't' WHERE device_type = 'thermostat'",
                version,
                payload,
            );
            assert_eq!(out.expect("runs"), None);
            // Other items still build an object.
            let out = run("SELECT *, clientid() AS c, a FROM 't'", version, payload).expect("runs");
            assert_eq!(out, Some(Outcome::Json(json!({"c": "dev-1"}))));
        }
        let out = run("SELECT encode(*, 'base64') AS data FROM 't'", V2, payload).expect("runs");
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, payload);
        assert_eq!(out, Some(Outcome::Json(json!({"data": b64}))));
    }
    // SELECT VALUE of something Undefined is an empty payload.
    let out = run("SELECT VALUE missing FROM 't'", V2, b"{}").expect("runs");
    assert_eq!(out, Some(Outcome::Bytes(Vec::new())));
    // A JSON object payload under SELECT * is JSON.
    let out = run("SELECT * FROM 't'", V1, br#"{"a":1}"#).expect("runs");
    assert_eq!(out, Some(Outcome::Json(json!({"a": 1}))));
}

/// Numbers at the edges of AWS's Decimal range stay cheap and never panic.
#[test]
fn extreme_numbers() {
    let cases: &[(&str, &str)] = &[
        ("'1e999999999' - 1", ""),
        ("floor('1e999999999')", ""),
        ("cast('-1e999999999' AS Int)", ""),
        ("1e999 * 10", ""),
        ("1e-999 / 10", ""),
        ("1e999 % 1e-999", "0.0"),
        ("1 / 3 * 3", "0"),
        ("1.0 / 3", "0.3333333333333333"),
    ];
    for (expr, expected) in cases {
        assert_eq!(value(expr, V1, PAYLOAD), *expected, "{expr}");
    }
    // Inside AWS's range but beyond a JSON double: an evaluation error, not a wrong number.
    let err = run("SELECT VALUE 1e300 * 1e300 FROM 't'", V1, b"{}").expect_err("too big");
    assert!(err.message.contains("beyond the range"), "{}", err.message);
}
