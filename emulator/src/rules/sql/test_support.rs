//! Helpers shared by the SQL table tests: one message context and shorthands to parse and
//! evaluate a statement against a payload.

use serde_json::Value;

use super::{EvalError, MessageContext, Outcome, SqlVersion, Statement};

pub(crate) const V1: SqlVersion = SqlVersion::V2015_10_08;
pub(crate) const V2: SqlVersion = SqlVersion::V2016_03_23;

pub(crate) const TOPIC: &str = "things/thing-1/telemetry";

fn uuid() -> String {
    "00000000-0000-4000-8000-000000000001".to_string()
}

/// Calls `f` with the test message: topic [`TOPIC`], client `dev-1`, principal `abc123`,
/// timestamp 1700000000000, account 123456789012.
pub(crate) fn with_msg<T>(payload: &[u8], f: impl FnOnce(&MessageContext<'_>) -> T) -> T {
    let msg = MessageContext {
        topic: TOPIC,
        payload,
        client_id: Some("dev-1"),
        principal: Some("abc123"),
        timestamp_ms: 1_700_000_000_000,
        account_id: "123456789012",
        new_uuid: &uuid,
    };
    f(&msg)
}

pub(crate) fn run(
    sql: &str,
    version: SqlVersion,
    payload: &[u8],
) -> Result<Option<Outcome>, EvalError> {
    let statement = Statement::parse(sql, version).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    with_msg(payload, |msg| statement.evaluate(msg))
}

/// The JSON output of `sql` over `payload`; `None` when WHERE stopped the rule.
pub(crate) fn output(sql: &str, version: SqlVersion, payload: &str) -> Option<Value> {
    match run(sql, version, payload.as_bytes()) {
        Ok(Some(Outcome::Json(v))) => Some(v),
        Ok(None) => None,
        other => panic!("{sql} over {payload}: {other:?}"),
    }
}

/// The value of `SELECT VALUE <expr>` over `payload`, as JSON text ("" for Undefined).
pub(crate) fn value(expr: &str, version: SqlVersion, payload: &str) -> String {
    let sql = format!("SELECT VALUE {expr} FROM 't'");
    match run(&sql, version, payload.as_bytes()) {
        Ok(Some(Outcome::Json(v))) => v.to_string(),
        Ok(Some(Outcome::Bytes(b))) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("{sql} over {payload}: {other:?}"),
    }
}
