//! Template text to JSON: YAML (with CloudFormation's short-form tags turned into their
//! long forms: `!Ref X` is `{"Ref": "X"}`, `!GetAtt A.B` is `{"Fn::GetAtt": ["A", "B"]}`)
//! or JSON as it is.

use serde_json::{Map, Number, Value};
use serde_yaml_ng::Value as Yaml;

use crate::cloudformation::error::{format_error, CfnResult};

/// Tags whose long form is `Fn::<Name>`.
const FN_TAGS: &[&str] = &[
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "If",
    "Equals",
    "And",
    "Or",
    "Not",
    "Length",
    "ToJsonString",
    "ForEach",
    "GetAtt",
];

/// Parses a template body, JSON or YAML.
pub(crate) fn parse(text: &str) -> CfnResult<Value> {
    if text.trim_start().starts_with('{') {
        if let Ok(value) = serde_json::from_str(text) {
            return Ok(value);
        }
    }
    let yaml: Yaml = serde_yaml_ng::from_str(text).map_err(|e| format_error(yaml_message(&e)))?;
    to_json(yaml)
}

fn yaml_message(e: &serde_yaml_ng::Error) -> String {
    match e.location() {
        Some(at) => format!(
            "YAML not well-formed. (line {}, column {})",
            at.line(),
            at.column()
        ),
        None => "YAML not well-formed.".to_string(),
    }
}

fn to_json(yaml: Yaml) -> CfnResult<Value> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => number(&n),
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<CfnResult<_>>()?)
        }
        Yaml::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(key_text(k)?, to_json(v)?);
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => long_form(&tagged.tag.to_string(), tagged.value)?,
    })
}

fn number(n: &serde_yaml_ng::Number) -> Value {
    if let Some(i) = n.as_i64() {
        return Value::Number(i.into());
    }
    if let Some(u) = n.as_u64() {
        return Value::Number(u.into());
    }
    n.as_f64()
        .and_then(Number::from_f64)
        .map_or_else(|| Value::String(n.to_string()), Value::Number)
}

fn key_text(key: Yaml) -> CfnResult<String> {
    match key {
        Yaml::String(s) => Ok(s),
        Yaml::Bool(b) => Ok(b.to_string()),
        Yaml::Number(n) => Ok(n.to_string()),
        Yaml::Null => Ok("null".to_string()),
        other => Err(format_error(format!(
            "a mapping key must be a scalar, not {other:?}"
        ))),
    }
}

/// `!Tag value` as `{"<long name>": value}`.
fn long_form(tag: &str, value: Yaml) -> CfnResult<Value> {
    let name = tag.trim_start_matches('!');
    let inner = to_json(value)?;
    let (key, inner) = match name {
        "Ref" | "Condition" => (name.to_string(), inner),
        "GetAtt" => ("Fn::GetAtt".to_string(), split_get_att(inner)),
        n if FN_TAGS.contains(&n) => (format!("Fn::{n}"), inner),
        other => return Err(format_error(format!("Unsupported YAML tag !{other}"))),
    };
    let mut map = Map::new();
    map.insert(key, inner);
    Ok(Value::Object(map))
}

/// `!GetAtt Resource.Attribute.Maybe.Dotted` splits at the first dot.
fn split_get_att(value: Value) -> Value {
    match value {
        Value::String(s) => match s.split_once('.') {
            Some((resource, attribute)) => Value::Array(vec![resource.into(), attribute.into()]),
            None => Value::String(s),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_forms_become_long_forms() {
        let text = "\
A: !Sub 'arn:${AWS::Partition}:iot:${AWS::Region}'
B: !GetAtt Fn.Arn
C: 2012-10-17
D: true
E: >
  folded
  text
F: !Join ['', [a, !Ref b]]
G: !GetAtt Endpoint.Address.Port
H: !If [Cond, 1, !Ref 'AWS::NoValue']
";
        let v = parse(text).unwrap();
        assert_eq!(
            v["A"],
            json!({"Fn::Sub": "arn:${AWS::Partition}:iot:${AWS::Region}"})
        );
        assert_eq!(v["B"], json!({"Fn::GetAtt": ["Fn", "Arn"]}));
        assert_eq!(v["C"], json!("2012-10-17"));
        assert_eq!(v["D"], json!(true));
        assert_eq!(v["E"], json!("folded text\n"));
        assert_eq!(v["F"], json!({"Fn::Join": ["", ["a", {"Ref": "b"}]]}));
        assert_eq!(v["G"], json!({"Fn::GetAtt": ["Endpoint", "Address.Port"]}));
        assert_eq!(
            v["H"],
            json!({"Fn::If": ["Cond", 1, {"Ref": "AWS::NoValue"}]})
        );
    }

    #[test]
    fn json_templates_and_errors() {
        assert_eq!(parse("{\"A\": 1}").unwrap(), json!({"A": 1}));
        assert!(parse("A: !Bogus x").is_err());
        assert!(parse("A: [unclosed").is_err());
    }
}
