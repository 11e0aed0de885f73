//! The IoT policy document: parsing JSON text into a typed [`PolicyDocument`] and the checks
//! CreatePolicy and CreatePolicyVersion apply (IAM grammar, IoT's 2048-character limit).

use serde_json::{Map, Value};

use super::condition::conditions;
pub use super::condition::{Condition, ConditionOp, Operator, SetQualifier};

/// Documents longer than this, whitespace not counted, are refused (spec A.1).
pub const MAX_CHARS: usize = 2048;

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    pub version: Option<String>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// `Action` (or, negated, `NotAction`).
    pub action: Matcher,
    /// `Resource` (or, negated, `NotResource`).
    pub resource: Matcher,
    pub conditions: Vec<Condition>,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// A list of glob patterns (`*`, `?`, policy variables still unresolved); `negated` for the
/// `Not…` form, which matches whatever none of the patterns match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    pub negated: bool,
    pub patterns: Vec<String>,
}

/// Why a document was refused. `Display` gives AWS's MalformedPolicyException message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// Not JSON, or not a JSON object (AWS: "Policy document is Malformed").
    #[error("Policy document is Malformed")]
    NotJson,
    /// Structure outside the grammar (AWS: "...: Invalid policy syntax.").
    #[error("Policy document is Malformed: Invalid policy syntax.")]
    Syntax,
    /// AWS lists the offending resources this way.
    #[error("Policy document is Malformed: The following resources are invalid : {0}")]
    Resources(String),
    /// Worded after the resources message (AWS's exact text is unknown).
    #[error("Policy document is Malformed: The following actions are invalid : {0}")]
    Actions(String),
    /// AWS's exact text is unknown.
    #[error("Policy document is Malformed: Invalid policy version: {0}")]
    Version(String),
    /// AWS's exact text is unknown.
    #[error("Policy document is Malformed: Invalid condition operator: {0}")]
    Operator(String),
    /// AWS's exact text is unknown.
    #[error("Policy document is Malformed: Policy document exceeds the maximum size of {MAX_CHARS} characters, not counting whitespace")]
    TooLong,
}

/// Length of `text` not counting whitespace, as AWS measures the 2048-character limit.
pub fn non_whitespace_len(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Parses and validates `text` as an IoT policy document.
pub fn parse(text: &str) -> Result<PolicyDocument, DocumentError> {
    let value: Value = serde_json::from_str(text).map_err(|_| DocumentError::NotJson)?;
    let Value::Object(top) = value else {
        return Err(DocumentError::NotJson);
    };
    if non_whitespace_len(text) > MAX_CHARS {
        return Err(DocumentError::TooLong);
    }
    only_keys(&top, &["Version", "Id", "Statement"])?;
    let version = optional_string(&top, "Version")?;
    if let Some(v) = &version {
        // IAM grammar knows these two; IoT's examples always use the first.
        if v != "2012-10-17" && v != "2008-10-17" {
            return Err(DocumentError::Version(v.clone()));
        }
    }
    let id = optional_string(&top, "Id")?;
    let statements = match top.get("Statement") {
        Some(Value::Array(items)) if !items.is_empty() => {
            items.iter().map(statement).collect::<Result<_, _>>()?
        }
        Some(one @ Value::Object(_)) => vec![statement(one)?],
        _ => return Err(DocumentError::Syntax),
    };
    Ok(PolicyDocument {
        version,
        id,
        statements,
    })
}

/// The members a statement may have (IoT policies name no `Principal`).
const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn statement(value: &Value) -> Result<Statement, DocumentError> {
    let Value::Object(map) = value else {
        return Err(DocumentError::Syntax);
    };
    only_keys(map, STATEMENT_KEYS)?;
    let effect = match map.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        _ => return Err(DocumentError::Syntax),
    };
    let action = matcher(map, "Action", "NotAction")?;
    if let Some(bad) = action.patterns.iter().find(|a| !valid_action(a)) {
        return Err(DocumentError::Actions(bad.clone()));
    }
    let resource = matcher(map, "Resource", "NotResource")?;
    let bad: Vec<&str> = resource
        .patterns
        .iter()
        .filter(|r| !valid_resource(r))
        .map(String::as_str)
        .collect();
    if !bad.is_empty() {
        return Err(DocumentError::Resources(bad.join(", ")));
    }
    let conditions = match map.get("Condition") {
        None => Vec::new(),
        Some(block) => conditions(block)?,
    };
    Ok(Statement {
        sid: optional_string(map, "Sid")?,
        effect,
        action,
        resource,
        conditions,
    })
}

/// Exactly one of `key` and `not_key`, as a string or a non-empty list of strings.
fn matcher(map: &Map<String, Value>, key: &str, not_key: &str) -> Result<Matcher, DocumentError> {
    let (negated, value) = match (map.get(key), map.get(not_key)) {
        (Some(v), None) => (false, v),
        (None, Some(v)) => (true, v),
        _ => return Err(DocumentError::Syntax),
    };
    let patterns = match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or(DocumentError::Syntax)?,
        _ => return Err(DocumentError::Syntax),
    };
    Ok(Matcher { negated, patterns })
}

/// `*`, or `vendor:name` where name may hold wildcards. AWS does not check that the action
/// exists: `iot:6` is accepted (terraform-provider-aws#30314).
fn valid_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    let Some((vendor, name)) = action.split_once(':') else {
        return false;
    };
    !vendor.is_empty()
        && vendor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.is_empty()
        && !name.chars().any(char::is_whitespace)
}

/// `*`, or an ARN with its six colon-separated parts (wildcards and variables allowed).
fn valid_resource(resource: &str) -> bool {
    resource == "*" || (resource.starts_with("arn:") && resource.matches(':').count() >= 5)
}

fn only_keys(map: &Map<String, Value>, allowed: &[&str]) -> Result<(), DocumentError> {
    if map.keys().all(|k| allowed.contains(&k.as_str())) {
        Ok(())
    } else {
        Err(DocumentError::Syntax)
    }
}

fn optional_string(map: &Map<String, Value>, key: &str) -> Result<Option<String>, DocumentError> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(DocumentError::Syntax),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::condition::operator;

    const DEVICE: &str = r#"{
      "Version": "2012-10-17",
      "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect",
         "Resource": "arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}",
         "Condition": {"Bool": {"iot:Connection.Thing.IsAttached": "true"}}},
        {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
         "Resource": "arn:aws:iot:us-east-1:123456789012:topic/*"},
        {"Effect": "Deny", "Action": "iot:Receive",
         "NotResource": ["arn:aws:iot:*:*:topic/a/*"]}
      ]
    }"#;

    #[test]
    fn parses_the_s1_device_policy() {
        let doc = parse(DEVICE).unwrap();
        assert_eq!(doc.version.as_deref(), Some("2012-10-17"));
        assert_eq!(doc.statements.len(), 3);
        let connect = &doc.statements[0];
        assert_eq!(connect.effect, Effect::Allow);
        assert_eq!(connect.action.patterns, vec!["iot:Connect"]);
        assert_eq!(
            connect.conditions,
            vec![Condition {
                operator: operator("Bool").unwrap(),
                key: "iot:Connection.Thing.IsAttached".into(),
                values: vec!["true".into()],
            }]
        );
        assert_eq!(doc.statements[1].action.patterns.len(), 2);
        assert!(doc.statements[2].resource.negated);
        assert_eq!(doc.statements[2].effect, Effect::Deny);
    }

    #[test]
    fn accepts_grammar_variants() {
        let single =
            r#"{"Statement": {"Effect": "Allow", "NotAction": "iot:Publish", "Resource": "*"}}"#;
        let doc = parse(single).unwrap();
        assert!(doc.version.is_none() && doc.statements[0].action.negated);
        let bool_value = r#"{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
            "Condition": {"ForAnyValue:StringEqualsIfExists": {"k": ["a", true, 3]}}}]}"#;
        let c = &parse(bool_value).unwrap().statements[0].conditions[0];
        assert_eq!(c.values, vec!["a", "true", "3"]);
        assert_eq!(c.operator.qualifier, Some(SetQualifier::ForAnyValue));
        assert!(c.operator.if_exists);
        assert_eq!(c.operator.op, ConditionOp::StringEquals);
    }

    #[test]
    fn rejects_malformed_documents() {
        let s = |body: &str| format!(r#"{{"Version": "2012-10-17", "Statement": [{body}]}}"#);
        let table: Vec<(String, DocumentError)> = vec![
            ("./policy.json".into(), DocumentError::NotJson),
            ("[]".into(), DocumentError::NotJson),
            (r#"{"Version": "2012-10-17"}"#.into(), DocumentError::Syntax),
            (r#"{"Statement": []}"#.into(), DocumentError::Syntax),
            (
                r#"{"Version": "2020-01-01", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#.into(),
                DocumentError::Version("2020-01-01".into()),
            ),
            (s(r#"{"Effect": "Permit", "Action": "*", "Resource": "*"}"#), DocumentError::Syntax),
            (s(r#"{"Action": "*", "Resource": "*"}"#), DocumentError::Syntax),
            (s(r#"{"Effect": "Allow", "Resource": "*"}"#), DocumentError::Syntax),
            (s(r#"{"Effect": "Allow", "Action": "*", "NotAction": "*", "Resource": "*"}"#), DocumentError::Syntax),
            (s(r#"{"Effect": "Allow", "Action": [], "Resource": "*"}"#), DocumentError::Syntax),
            (s(r#"{"Effect": "Allow", "Action": [1], "Resource": "*"}"#), DocumentError::Syntax),
            (s(r#"{"Effect": "Allow", "Action": "*"}"#), DocumentError::Syntax),
            (s(r#"{"Effect": "Allow", "Action": "publish", "Resource": "*"}"#), DocumentError::Actions("publish".into())),
            (s(r#"{"Effect": "Allow", "Action": "*", "Resource": ["*", "\\."]}"#), DocumentError::Resources("\\.".into())),
            (s(r#"{"Effect": "Allow", "Action": "*", "Resource": "*", "Principal": "*"}"#), DocumentError::Syntax),
            (s(r#"{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bogus": {"k": "v"}}}"#), DocumentError::Operator("Bogus".into())),
            (s(r#"{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": {"k": {}}}}"#), DocumentError::Syntax),
            (s(r#"{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"Bool": "x"}}"#), DocumentError::Syntax),
        ];
        for (text, want) in table {
            assert_eq!(parse(&text), Err(want), "{text}");
        }
    }

    #[test]
    fn size_limit_ignores_whitespace() {
        let resource = format!(
            "arn:aws:iot:us-east-1:123456789012:topic/{}",
            "a".repeat(1900)
        );
        let doc =
            format!(r#"{{"Statement":{{"Effect":"Allow","Action":"*","Resource":"{resource}"}}}}"#);
        assert!(non_whitespace_len(&doc) <= MAX_CHARS);
        let padded = doc.replace(':', ":        ");
        assert!(parse(&padded).is_ok());
        let long = doc.replace("aaaa", "aaaaa");
        assert_eq!(parse(&long), Err(DocumentError::TooLong));
        assert!(DocumentError::TooLong
            .to_string()
            .starts_with("Policy document is Malformed"));
    }
}
