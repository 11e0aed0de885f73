//! IAM condition blocks in IoT policies: the operators (`StringLike`, `Bool`, ...), their
//! `ForAllValues:`/`ForAnyValue:` qualifiers and `IfExists` suffix, and the key/value tests.

use serde_json::Value;

use super::document::DocumentError;

/// One `operator: { key: values }` test of a `Condition` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: Operator,
    pub key: String,
    /// Every value as a string: JSON booleans and numbers are kept in their text form.
    pub values: Vec<String>,
}

/// A condition operator such as `ForAnyValue:StringLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub qualifier: Option<SetQualifier>,
    pub op: ConditionOp,
    pub if_exists: bool,
}

/// `ForAllValues:` or `ForAnyValue:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// The IAM condition operators.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionOp {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const OPERATORS: &[(&str, ConditionOp)] = {
    use ConditionOp::*;
    &[
        ("StringEquals", StringEquals),
        ("StringNotEquals", StringNotEquals),
        ("StringEqualsIgnoreCase", StringEqualsIgnoreCase),
        ("StringNotEqualsIgnoreCase", StringNotEqualsIgnoreCase),
        ("StringLike", StringLike),
        ("StringNotLike", StringNotLike),
        ("NumericEquals", NumericEquals),
        ("NumericNotEquals", NumericNotEquals),
        ("NumericLessThan", NumericLessThan),
        ("NumericLessThanEquals", NumericLessThanEquals),
        ("NumericGreaterThan", NumericGreaterThan),
        ("NumericGreaterThanEquals", NumericGreaterThanEquals),
        ("DateEquals", DateEquals),
        ("DateNotEquals", DateNotEquals),
        ("DateLessThan", DateLessThan),
        ("DateLessThanEquals", DateLessThanEquals),
        ("DateGreaterThan", DateGreaterThan),
        ("DateGreaterThanEquals", DateGreaterThanEquals),
        ("Bool", Bool),
        ("BinaryEquals", BinaryEquals),
        ("IpAddress", IpAddress),
        ("NotIpAddress", NotIpAddress),
        ("ArnEquals", ArnEquals),
        ("ArnLike", ArnLike),
        ("ArnNotEquals", ArnNotEquals),
        ("ArnNotLike", ArnNotLike),
        ("Null", Null),
    ]
};

pub(super) fn conditions(block: &Value) -> Result<Vec<Condition>, DocumentError> {
    let Value::Object(ops) = block else {
        return Err(DocumentError::Syntax);
    };
    let mut out = Vec::new();
    for (name, tests) in ops {
        let operator = operator(name)?;
        let Value::Object(tests) = tests else {
            return Err(DocumentError::Syntax);
        };
        if tests.is_empty() {
            return Err(DocumentError::Syntax);
        }
        for (key, values) in tests {
            out.push(Condition {
                operator,
                key: key.clone(),
                values: condition_values(values)?,
            });
        }
    }
    Ok(out)
}

fn condition_values(value: &Value) -> Result<Vec<String>, DocumentError> {
    match value {
        Value::Array(items) if !items.is_empty() => {
            items.iter().map(scalar).collect::<Result<_, _>>()
        }
        Value::Array(_) => Err(DocumentError::Syntax),
        other => Ok(vec![scalar(other)?]),
    }
}

fn scalar(value: &Value) -> Result<String, DocumentError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(DocumentError::Syntax),
    }
}

/// Parses `[ForAllValues:|ForAnyValue:]<Op>[IfExists]`.
pub fn operator(name: &str) -> Result<Operator, DocumentError> {
    let unknown = || DocumentError::Operator(name.to_string());
    let (qualifier, rest) = match name.split_once(':') {
        Some(("ForAllValues", rest)) => (Some(SetQualifier::ForAllValues), rest),
        Some(("ForAnyValue", rest)) => (Some(SetQualifier::ForAnyValue), rest),
        Some(_) => return Err(unknown()),
        None => (None, name),
    };
    let (base, if_exists) = match rest.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (rest, false),
    };
    let op = OPERATORS
        .iter()
        .find(|(n, _)| *n == base)
        .map(|(_, op)| *op)
        .ok_or_else(unknown)?;
    if if_exists && op == ConditionOp::Null {
        return Err(unknown());
    }
    Ok(Operator {
        qualifier,
        op,
        if_exists,
    })
}
