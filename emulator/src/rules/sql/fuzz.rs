//! Property tests: arbitrary SQL text, token soups close to the grammar, and arbitrary
//! payloads (JSON or not) never panic; whatever parses evaluates to an outcome or an
//! `EvalError`, and the same holds for substitution templates.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::test_support::with_msg;
use super::{SqlVersion, Statement, Template};

const VERSIONS: [SqlVersion; 3] = [
    SqlVersion::V2015_10_08,
    SqlVersion::V2016_03_23,
    SqlVersion::Beta,
];

/// Tokens of the language (and a few near misses) to build statements from.
const WORDS: [&str; 62] = [
    "SELECT",
    "VALUE",
    "*",
    "FROM",
    "'a/+/#'",
    "\"t\"",
    "WHERE",
    "AS",
    "AND",
    "OR",
    "NOT",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "TRUE",
    "false",
    "NULL",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    ",",
    ".",
    ":",
    "=",
    "<>",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "/",
    "%",
    "a",
    "b",
    "arr",
    "obj",
    "0",
    "1",
    "2.5",
    "-3",
    "1e400",
    "'s'",
    "\"x\"",
    "topic(",
    "get(",
    "concat(",
    "cast(",
    "encode(",
    "isUndefined(",
    "round(",
    "abs(",
    "upper(",
    "Int",
    "Decimal",
    "String",
];

fn token_soup() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(&WORDS[..]), 0..24)
        .prop_map(|words| format!("SELECT {}", words.join(" ")))
}

const LEAVES: [&str; 16] = [
    "a", "b", "a.b", "arr", "obj", "obj.b", "missing", "0", "1", "-7", "2.5", "10.0", "'3'",
    "\"x\"", "NULL", "TRUE",
];
const OPERATORS: [&str; 14] = [
    "AND", "OR", "=", "<>", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "!=",
];
const FUNCTIONS: [&str; 18] = [
    "topic",
    "clientid",
    "principal",
    "timestamp",
    "accountid",
    "newuuid",
    "encode",
    "get",
    "upper",
    "lower",
    "concat",
    "startswith",
    "isUndefined",
    "abs",
    "floor",
    "ceil",
    "round",
    "sql_version",
];
const TYPES: [&str; 7] = [
    "String", "Int", "Double", "Decimal", "Bool", "varchar", "Integer",
];

/// Expressions generated from the grammar, so most of them parse.
fn expression() -> impl Strategy<Value = String> {
    let leaf = proptest::sample::select(&LEAVES[..]).prop_map(str::to_string);
    leaf.prop_recursive(5, 48, 3, |inner| {
        let op = proptest::sample::select(&OPERATORS[..]);
        let func = proptest::sample::select(&FUNCTIONS[..]);
        let ty = proptest::sample::select(&TYPES[..]);
        let args = proptest::collection::vec(inner.clone(), 0..3).prop_map(|a| a.join(", "));
        prop_oneof![
            (inner.clone(), op, inner.clone()).prop_map(|(a, o, b)| format!("{a} {o} {b}")),
            (func, args.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            inner.clone().prop_map(|a| format!("encode(*, {a})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(v, t, r)| format!("CASE {v} WHEN {t} THEN {r} ELSE {v} END")),
            (inner.clone(), ty).prop_map(|(v, t)| format!("cast({v} AS {t})")),
            inner.clone().prop_map(|a| format!("({a})")),
            inner.clone().prop_map(|a| format!("NOT {a}")),
            inner.clone().prop_map(|a| format!("-{a}")),
            args.clone().prop_map(|a| format!("[{a}]")),
            (inner.clone(), inner.clone()).prop_map(|(k, v)| format!("{{'k': {k}, 'v': {v}}}")),
            (inner.clone(), inner.clone())
                .prop_map(|(v, w)| format!("(SELECT VALUE {v} FROM arr WHERE {w})")),
            inner.prop_map(|a| format!("get({a}, 0).b")),
        ]
    })
}

fn statement() -> impl Strategy<Value = String> {
    let item = prop_oneof![
        Just("*".to_string()),
        expression(),
        expression().prop_map(|e| format!("{e} AS x")),
    ];
    (
        proptest::collection::vec(item, 1..3),
        any::<bool>(),
        proptest::option::of(expression()),
    )
        .prop_map(|(items, value, filter)| {
            let select = if value {
                format!("VALUE {}", items.last().map_or("a", String::as_str))
            } else {
                items.join(", ")
            };
            let filter = filter.map(|f| format!(" WHERE {f}")).unwrap_or_default();
            format!("SELECT {select} FROM 'a/+/#'{filter}")
        })
}

fn sql() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => statement(),
        2 => token_soup(),
        1 => "\\PC{0,48}",
        1 => "[ -~]{0,48}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-z0-9 .e-]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("a|b|arr|obj|n|[a-z]{1,3}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => json_value().prop_map(|v| serde_json::to_vec(&json!({"a": v.clone(), "arr": [v], "obj": {"b": 1}})).unwrap_or_default()),
        1 => json_value().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        1 => proptest::collection::vec(any::<u8>(), 0..32),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn statements_never_panic(sql in sql(), payload in payload()) {
        for version in VERSIONS {
            if let Ok(statement) = Statement::parse(&sql, version) {
                let _ = with_msg(&payload, |msg| statement.evaluate(msg));
            }
        }
    }

    #[test]
    fn templates_never_panic(body in sql(), prefix in "[a-z/$]{0,4}", payload in payload()) {
        let text = format!("{prefix}${{{}}}/{}", body.trim_start_matches("SELECT "), body);
        for version in VERSIONS {
            if let Ok(template) = Template::parse(&text, version) {
                let _ = with_msg(&payload, |msg| template.render(msg));
            }
        }
    }
}
