//! Evaluating one parsed [`Condition`] against the request context, as IAM does: a missing
//! key fails positive operators and satisfies negated ones, `…IfExists` and `ForAllValues:`
//! are satisfied by a missing key, `ForAnyValue:` is not.

use std::net::IpAddr;

use super::condition::{Condition, ConditionOp, SetQualifier};
use super::pattern::{self, Variables};

/// Whether `condition` holds. `substitute` is false for documents without
/// `Version: 2012-10-17`; a condition value naming a variable the context lacks never
/// matches, and the variable is added to `missing`.
pub fn holds(
    condition: &Condition,
    vars: &dyn Variables,
    substitute: bool,
    missing: &mut Vec<String>,
) -> bool {
    let op = condition.operator;
    let present = vars
        .values(&condition.key)
        .filter(|values| !values.is_empty());
    if op.op == ConditionOp::Null {
        return condition
            .values
            .iter()
            .any(|v| v.eq_ignore_ascii_case("true") == present.is_none());
    }
    let Some(context) = present else {
        return op.if_exists
            || op.qualifier == Some(SetQualifier::ForAllValues)
            || (op.qualifier.is_none() && negated(op.op));
    };
    let with = substitute.then_some(vars);
    let mut expected = Vec::with_capacity(condition.values.len());
    for value in &condition.values {
        match pattern::substitute(value, with) {
            Ok(v) => expected.push((value.as_str(), v)),
            Err(name) => missing.push(name),
        }
    }
    let passes = |actual: &String| test_one(op.op, actual, &expected, with);
    match op.qualifier {
        Some(SetQualifier::ForAllValues) => context.iter().all(passes),
        _ => context.iter().any(passes),
    }
}

fn negated(op: ConditionOp) -> bool {
    use ConditionOp::*;
    matches!(
        op,
        StringNotEquals
            | StringNotEqualsIgnoreCase
            | StringNotLike
            | NumericNotEquals
            | DateNotEquals
            | NotIpAddress
            | ArnNotEquals
            | ArnNotLike
    )
}

/// One context value against the condition's values: a positive operator passes when any
/// value matches, a negated one when none does.
fn test_one(
    op: ConditionOp,
    actual: &str,
    expected: &[(&str, String)],
    vars: Option<&dyn Variables>,
) -> bool {
    let any = expected
        .iter()
        .any(|(raw, value)| positive(op, actual, raw, value, vars));
    any != negated(op)
}

/// The positive form of `op` on one pair. `raw` is the condition value as written (for
/// glob operators, whose substituted variables must stay literal).
fn positive(
    op: ConditionOp,
    actual: &str,
    raw: &str,
    value: &str,
    vars: Option<&dyn Variables>,
) -> bool {
    use ConditionOp::*;
    match op {
        StringEquals | StringNotEquals | BinaryEquals => actual == value,
        StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
            actual.to_lowercase() == value.to_lowercase()
        }
        StringLike | StringNotLike | ArnEquals | ArnNotEquals | ArnLike | ArnNotLike => {
            pattern::compile(raw, vars).is_ok_and(|p| pattern::matches(&p, actual, false))
        }
        NumericEquals | NumericNotEquals => numbers(actual, value).is_some_and(|(a, b)| a == b),
        NumericLessThan => numbers(actual, value).is_some_and(|(a, b)| a < b),
        NumericLessThanEquals => numbers(actual, value).is_some_and(|(a, b)| a <= b),
        NumericGreaterThan => numbers(actual, value).is_some_and(|(a, b)| a > b),
        NumericGreaterThanEquals => numbers(actual, value).is_some_and(|(a, b)| a >= b),
        DateEquals | DateNotEquals => dates(actual, value).is_some_and(|(a, b)| a == b),
        DateLessThan => dates(actual, value).is_some_and(|(a, b)| a < b),
        DateLessThanEquals => dates(actual, value).is_some_and(|(a, b)| a <= b),
        DateGreaterThan => dates(actual, value).is_some_and(|(a, b)| a > b),
        DateGreaterThanEquals => dates(actual, value).is_some_and(|(a, b)| a >= b),
        Bool => actual.eq_ignore_ascii_case(value),
        IpAddress | NotIpAddress => in_cidr(actual, value),
        Null => false,
    }
}

fn numbers(a: &str, b: &str) -> Option<(f64, f64)> {
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// Epoch seconds, or an RFC 3339 / ISO 8601 date-time.
fn epoch_seconds(text: &str) -> Option<i128> {
    if let Ok(n) = text.trim().parse::<i64>() {
        return Some(n.into());
    }
    let parsed =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .ok()?;
    Some(parsed.unix_timestamp().into())
}

fn dates(a: &str, b: &str) -> Option<(i128, i128)> {
    Some((epoch_seconds(a)?, epoch_seconds(b)?))
}

/// `actual` is an address inside `cidr` (`203.0.113.0/24`, `2001:db8::/32` or one address).
fn in_cidr(actual: &str, cidr: &str) -> bool {
    let Ok(ip) = actual.trim().parse::<IpAddr>() else {
        return false;
    };
    let (net, bits) = match cidr.trim().split_once('/') {
        Some((net, bits)) => (net, bits.parse::<u32>().ok()),
        None => (cidr.trim(), None),
    };
    let Ok(net) = net.parse::<IpAddr>() else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => prefix_eq(
            u32::from(a).into(),
            u32::from(n).into(),
            bits.unwrap_or(32),
            32,
        ),
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            prefix_eq(u128::from(a), u128::from(n), bits.unwrap_or(128), 128)
        }
        _ => false,
    }
}

fn prefix_eq(a: u128, b: u128, bits: u32, width: u32) -> bool {
    if bits > width {
        return false;
    }
    let shift = width - bits;
    shift >= width || (a >> shift) == (b >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::condition::operator;
    use std::collections::HashMap;

    struct Map(HashMap<&'static str, Vec<String>>);

    impl Variables for Map {
        fn values(&self, key: &str) -> Option<Vec<String>> {
            self.0.get(key).cloned()
        }
    }

    fn ctx() -> Map {
        let v = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
        Map(HashMap::from([
            (
                "iot:ConnectAttributes",
                v(&["PersistentConnect", "LastWill"]),
            ),
            ("iot:ClientId", v(&["dev-1"])),
            ("iot:Connection.Thing.IsAttached", v(&["true"])),
            ("aws:SourceIp", v(&["203.0.113.7"])),
            ("n", v(&["5"])),
            ("when", v(&["2024-01-02T00:00:00Z"])),
            ("empty", Vec::new()),
        ]))
    }

    fn check(op: &str, key: &str, values: &[&str]) -> bool {
        let c = Condition {
            operator: operator(op).unwrap(),
            key: key.to_string(),
            values: values.iter().map(|s| s.to_string()).collect(),
        };
        holds(&c, &ctx(), true, &mut Vec::new())
    }

    #[test]
    fn operator_table() {
        let table: &[(&str, &str, &[&str], bool)] = &[
            ("Bool", "iot:Connection.Thing.IsAttached", &["true"], true),
            ("Bool", "iot:Connection.Thing.IsAttached", &["false"], false),
            ("Bool", "missing", &["false"], false),
            ("StringEquals", "iot:ClientId", &["dev-1"], true),
            ("StringEquals", "iot:ClientId", &["dev-*"], false),
            ("StringEquals", "iot:ClientId", &["${iot:ClientId}"], true),
            ("StringEquals", "iot:ClientId", &["x", "dev-1"], true),
            ("StringLike", "iot:ClientId", &["dev-*"], true),
            ("StringLike", "iot:ClientId", &["dev-?"], true),
            ("StringNotEquals", "iot:ClientId", &["dev-1"], false),
            ("StringNotEquals", "iot:ClientId", &["x", "y"], true),
            ("StringNotLike", "iot:ClientId", &["dev-*"], false),
            ("StringNotLike", "missing", &["x"], true),
            ("StringEquals", "missing", &["x"], false),
            ("StringEqualsIfExists", "missing", &["x"], true),
            ("StringEqualsIgnoreCase", "iot:ClientId", &["DEV-1"], true),
            ("StringEquals", "iot:ClientId", &["${nope}"], false),
            // iot:ConnectAttributes with the set qualifiers (spec A.4).
            (
                "ForAnyValue:StringEquals",
                "iot:ConnectAttributes",
                &["LastWill"],
                true,
            ),
            (
                "ForAllValues:StringEquals",
                "iot:ConnectAttributes",
                &["LastWill"],
                false,
            ),
            (
                "ForAllValues:StringEquals",
                "iot:ConnectAttributes",
                &["LastWill", "PersistentConnect"],
                true,
            ),
            (
                "ForAllValues:StringNotEquals",
                "iot:ConnectAttributes",
                &["LastWill"],
                false,
            ),
            (
                "ForAllValues:StringNotEquals",
                "iot:ConnectAttributes",
                &["Other"],
                true,
            ),
            ("ForAllValues:StringEquals", "empty", &["x"], true),
            ("ForAnyValue:StringEquals", "empty", &["x"], false),
            ("IpAddress", "aws:SourceIp", &["203.0.113.0/24"], true),
            ("IpAddress", "aws:SourceIp", &["198.51.100.0/24"], false),
            ("NotIpAddress", "aws:SourceIp", &["198.51.100.0/24"], true),
            ("IpAddress", "aws:SourceIp", &["0.0.0.0/0"], true),
            ("NumericLessThan", "n", &["6"], true),
            ("NumericGreaterThanEquals", "n", &["6"], false),
            ("NumericEquals", "n", &["abc"], false),
            ("DateLessThan", "when", &["2025-01-01T00:00:00Z"], true),
            ("DateGreaterThan", "when", &["1704153600"], false),
            ("Null", "missing", &["true"], true),
            ("Null", "iot:ClientId", &["true"], false),
            ("Null", "iot:ClientId", &["false"], true),
            ("ArnLike", "iot:ClientId", &["dev*"], true),
        ];
        for (op, key, values, want) in table {
            assert_eq!(check(op, key, values), *want, "{op} {key} {values:?}");
        }
    }

    #[test]
    fn missing_condition_variables_are_reported() {
        let c = Condition {
            operator: operator("StringEquals").unwrap(),
            key: "iot:ClientId".into(),
            values: vec!["${iot:Connection.Thing.ThingName}".into()],
        };
        let mut missing = Vec::new();
        assert!(!holds(&c, &ctx(), true, &mut missing));
        assert_eq!(missing, vec!["iot:Connection.Thing.ThingName"]);
    }
}
