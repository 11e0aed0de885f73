//! Table tests of the parser: what is accepted under each SQL version, what is refused,
//! and the `SqlParseException` messages.

use super::test_support::{V1, V2};
use super::{SqlVersion, Statement};

/// Statements both versions accept, with the topic filter each yields.
#[test]
fn accepts_the_documented_syntax() {
    let cases: &[(&str, Option<&str>)] = &[
        ("SELECT * FROM 'topic/subtopic'", Some("topic/subtopic")),
        ("select * from 'a/+/c'", Some("a/+/c")),
        ("SeLeCt * FrOm 'a/#'", Some("a/#")),
        ("SELECT * FROM '#'", Some("#")),
        ("SELECT * FROM \"test\"", Some("test")),
        ("SELECT *", None),
        ("SELECT * WHERE a = 1", None),
        ("SELECT color AS rgb FROM 'topic/subtopic' WHERE temperature > 50", Some("topic/subtopic")),
        ("SELECT *, 15 as speed FROM 't'", Some("t")),
        ("SELECT * AS payload, topic() AS topic FROM '$aws/things/+/shadow/update'", Some("$aws/things/+/shadow/update")),
        ("SELECT VALUE color FROM 't'", Some("t")),
        ("SELECT value FROM 't'", Some("t")),
        ("SELECT color.red as red_value FROM 't'", Some("t")),
        ("SELECT foo.bar AS bar.baz FROM 't'", Some("t")),
        ("SELECT (temperature - 32) * 5 / 9 AS celsius, upper(color) as c FROM 't'", Some("t")),
        ("SELECT * FROM 't' WHERE certificateStatus = \"PENDING_ACTIVATION\"", Some("t")),
        ("SELECT * FROM 't' WHERE a <> 'x' AND NOT b OR c != 1", Some("t")),
        ("SELECT * FROM 't' WHERE a >= -1.5e3 AND b <= 2E-2 AND c < 3 AND d > 4 % 2", Some("t")),
        ("SELECT CASE color WHEN 'green' THEN 'go' WHEN 'red' THEN 'stop' ELSE 'x' END AS i FROM 't'", Some("t")),
        ("SELECT cast(a AS String) AS s, CAST(b as Int) AS i, cast(c as Double) AS d FROM 't'", Some("t")),
        ("SELECT topic(2) AS t, clientid() AS c, principal() AS p, timestamp() AS ts, accountid() AS a, newuuid() AS u FROM 't'", Some("t")),
        ("SELECT get(get(get(mydata,\"item2\"),\"0\"),\"my-key\") AS v FROM 'iot/rules'", Some("iot/rules")),
        ("SELECT Round(1.5) AS r, abs(-1) AS a, FLOOR(x) AS f, ceil(y) AS c, sql_version() AS v FROM 't'", Some("t")),
        ("SELECT concat(a, 'x', 1) AS c, startswith(a, 'r') AS s, lower('A') AS l FROM 't'", Some("t")),
        ("SELECT 'it\\'s' AS a, \"say \\\"hi\\\"\" AS b, 'a\\\\b' AS c FROM 't'", Some("t")),
        ("SELECT TRUE AS t, false AS f, NULL AS n FROM 't'", Some("t")),
        ("SELECT *\nFROM 't'\nWHERE\ta = 1", Some("t")),
    ];
    for (sql, filter) in cases {
        for version in [V1, V2] {
            let statement =
                Statement::parse(sql, version).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
            assert_eq!(statement.topic_filter(), *filter, "{sql}");
            assert_eq!(statement.version(), version);
        }
    }
}

/// 2016-03-23 syntax and functions: accepted under 2016-03-23 and beta, refused under
/// 2015-10-08 with a message naming what needs the newer version.
#[test]
fn version_gated_syntax() {
    let cases: &[(&str, &str)] = &[
        (
            "SELECT {'latitude': get(l, 0), 'longitude': get(l, 1)} AS ll FROM 't'",
            "Object literals require awsIotSqlVersion 2016-03-23 at 1:8",
        ),
        (
            "SELECT [lat, long] AS ll FROM 't'",
            "Array literals require awsIotSqlVersion 2016-03-23 at 1:8",
        ),
        (
            "SELECT (SELECT VALUE n FROM e) AS sensors FROM 't'",
            "Nested queries require awsIotSqlVersion 2016-03-23 at 1:9",
        ),
        (
            "SELECT get((SELECT v FROM e WHERE n = 'temperature'), 0).v AS t FROM 't'",
            "Nested queries require",
        ),
        (
            "SELECT encode(*, 'base64') AS data FROM 't'",
            "Function 'encode' requires awsIotSqlVersion 2016-03-23 at 1:8",
        ),
        (
            "SELECT * FROM 't' WHERE isUndefined(a)",
            "Function 'isundefined' requires awsIotSqlVersion 2016-03-23 at 1:25",
        ),
        (
            "SELECT cast(a AS Decimal) AS d FROM 't'",
            "cast to Decimal requires awsIotSqlVersion 2016-03-23 at 1:18",
        ),
        (
            "SELECT cast(a AS Bool) AS d FROM 't'",
            "cast to Bool requires",
        ),
        (
            "SELECT cast(a AS boolean) AS d FROM 't'",
            "cast to boolean requires",
        ),
        (
            "SELECT {} AS e, [] AS a FROM 't'",
            "Object literals require",
        ),
    ];
    for (sql, message) in cases {
        let err = Statement::parse(sql, V1).expect_err(sql);
        assert!(err.message.starts_with(message), "{sql}: {}", err.message);
        Statement::parse(sql, V2).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        Statement::parse(sql, SqlVersion::Beta).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    }
}

/// Refused under every version, with the exact `SqlParseException` message.
#[test]
fn refuses_with_a_positioned_message() {
    let cases: &[(&str, &str)] = &[
        ("", "Expected SELECT, found end of statement at 1:1"),
        ("SELEC * FROM 't'", "Expected SELECT, found 'SELEC' at 1:1"),
        ("SELECT FROM 't'", "Expected an expression, found 'FROM' at 1:8"),
        ("SELECT * FROM topic/subtopic", "Expected a topic filter in single quotes, found 'topic' at 1:15"),
        ("SELECT * FROM 'a/#/b'", "Invalid topic filter 'a/#/b' at 1:15"),
        ("SELECT * FROM 'a/b+'", "Invalid topic filter 'a/b+' at 1:15"),
        ("SELECT * FROM ''", "Invalid topic filter '' at 1:15"),
        ("SELECT * FROM 't' WHERE", "Expected an expression, found end of statement at 1:24"),
        ("SELECT * FROM 't' WHERE a = ", "Expected an expression, found end of statement at 1:29"),
        ("SELECT * FROM 't' extra", "Expected end of statement, found 'extra' at 1:19"),
        ("SELECT a b FROM 't'", "Expected end of statement, found 'b' at 1:10"),
        ("SELECT 'open FROM 't'", "Unterminated string literal starting at 1:21"),
        ("SELECT 'unterminated", "Unterminated string literal starting at 1:8"),
        ("SELECT * FROM 't' WHERE a # 1", "Unexpected character '#' at 1:27"),
        ("SELECT * FROM 't' -- comment", "Expected end of statement, found '-' at 1:19"),
        ("SELECT md5(a) AS h FROM 't'", "Function 'md5' is not supported by iot-emulator (supported: abs, accountid, ceil, clientid, concat, encode, floor, get, isundefined, lower, newuuid, principal, round, sql_version, startswith, timestamp, topic, upper, cast) at 1:8"),
        ("SELECT * FROM 't' WHERE regexp_matches(a, 'x')", "Function 'regexp_matches' is not supported by iot-emulator"),
        ("SELECT aws_lambda('arn', *) AS r FROM 't'", "Function 'aws_lambda' is not supported"),
        ("SELECT cast(a AS Float) AS f FROM 't'", "Unknown cast type 'Float' at 1:18"),
        ("SELECT cast(a, Int) AS f FROM 't'", "Expected AS, found ',' at 1:14"),
        ("SELECT CASE a WHEN 1 THEN 2 AS x FROM 't'", "Expected WHEN, ELSE or END, found 'AS' at 1:29"),
        ("SELECT CASE a ELSE 2 END AS x FROM 't'", "Expected WHEN, found 'ELSE' at 1:15"),
        ("SELECT CASE a WHEN 1 2 END FROM 't'", "Expected THEN, found '2' at 1:22"),
        ("SELECT (a FROM 't'", "Expected ')', found 'FROM' at 1:11"),
        ("SELECT upper(a FROM 't'", "Expected ',', found 'FROM' at 1:16"),
        ("SELECT a AS FROM 't'", "Expected an alias, found 'FROM' at 1:13"),
        ("SELECT a. FROM 't'", "Expected a field name, found 'FROM' at 1:11"),
        ("SELECT 1e99999 AS big FROM 't'", "Number 1e99999 is out of range at 1:8"),
        ("SELECT * FROM 't' WHERE a = 1 = = 2", "Expected an expression, found '=' at 1:33"),
        ("SELECT *, FROM 't'", "Expected an expression, found 'FROM' at 1:11"),
    ];
    for (sql, message) in cases {
        for version in [V1, V2] {
            let err = Statement::parse(sql, version).expect_err(sql);
            assert!(err.message.starts_with(message), "{sql}: {}", err.message);
        }
    }
}

#[test]
fn v2_only_refusals() {
    let cases: &[(&str, &str)] = &[
        (
            "SELECT encode(*, 'hex') AS d FROM 't'",
            "Unsupported encoding scheme 'hex' (only 'base64' is supported) at 1:8",
        ),
        (
            "SELECT {'a' 1} AS o FROM 't'",
            "Expected ':', found '1' at 1:13",
        ),
        (
            "SELECT {1: 2} AS o FROM 't'",
            "Expected an object key, found '1' at 1:9",
        ),
        (
            "SELECT [1, 2 AS a FROM 't'",
            "Expected ',', found 'AS' at 1:14",
        ),
        (
            "SELECT (SELECT VALUE n) AS a FROM 't'",
            "Expected FROM, found ')' at 1:23",
        ),
    ];
    for (sql, message) in cases {
        let err = Statement::parse(sql, V2).expect_err(sql);
        assert!(err.message.starts_with(message), "{sql}: {}", err.message);
    }
}

#[test]
fn positions_count_lines_and_characters() {
    let err = Statement::parse("SELECT *\nFROM 't'\nWHERE é = ", V1).expect_err("bad");
    assert_eq!(err.message, "Unexpected character 'é' at 3:7");
    let err = Statement::parse("SELECT *\nFROM 't'\nWHERE a = ", V1).expect_err("bad");
    assert_eq!(
        err.message,
        "Expected an expression, found end of statement at 3:11"
    );
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let deep = format!(
        "SELECT {}1{} AS x FROM 't'",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let err = Statement::parse(&deep, V2).expect_err("deep");
    assert!(
        err.message.starts_with("Expression nested too deeply"),
        "{}",
        err.message
    );
    let chain = format!("SELECT 1{} AS x FROM 't'", " + 1".repeat(5000));
    assert!(Statement::parse(&chain, V2).is_err());
    let path = format!("SELECT a{} AS x FROM 't'", ".b".repeat(5000));
    assert!(Statement::parse(&path, V2).is_err());
    let nots = format!("SELECT * FROM 't' WHERE {}a", "NOT ".repeat(5000));
    assert!(Statement::parse(&nots, V2).is_err());
    let fine = format!("SELECT 1{} AS x FROM 't'", " + 1".repeat(100));
    Statement::parse(&fine, V2).expect("a 100-term sum parses");
}
