//! Stack parameters: the caller's values (or the previous stack's, with
//! UsePreviousValue) over the template's defaults, checked against the declaration as
//! CloudFormation checks them, with its messages.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::{CfnError, CfnResult};

/// A resolved parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamValue {
    pub value: String,
    pub no_echo: bool,
    /// `List<…>` and `CommaDelimitedList`: `Ref` gives a list.
    pub is_list: bool,
}

impl ParamValue {
    /// What `Ref` to the parameter gives.
    pub fn as_json(&self) -> Value {
        match self.is_list {
            true => Value::Array(
                self.value
                    .split(',')
                    .map(|s| Value::String(s.trim().to_string()))
                    .collect(),
            ),
            false => Value::String(self.value.clone()),
        }
    }
}

/// One value the caller passed: `Some(value)`, or `None` for UsePreviousValue.
pub type Given = BTreeMap<String, Option<String>>;

/// Resolves every declared parameter.
pub fn resolve(
    decls: &Map<String, Value>,
    given: &Given,
    previous: &BTreeMap<String, String>,
) -> CfnResult<BTreeMap<String, ParamValue>> {
    let unknown: Vec<&str> = given
        .keys()
        .filter(|k| !decls.contains_key(*k))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(invalid(format!(
            "Parameters: [{}] do not exist in the template",
            unknown.join(", ")
        )));
    }
    let mut values = BTreeMap::new();
    let mut missing = Vec::new();
    for (name, decl) in decls {
        let chosen = match given.get(name) {
            Some(Some(value)) => Some(value.clone()),
            Some(None) => previous.get(name).cloned(),
            None => default_of(decl),
        };
        let Some(value) = chosen else {
            missing.push(name.as_str());
            continue;
        };
        check(name, decl, &value)?;
        let kind = decl.get("Type").and_then(Value::as_str).unwrap_or("String");
        let param = ParamValue {
            value,
            no_echo: is_true(decl.get("NoEcho")),
            is_list: kind == "CommaDelimitedList" || kind.starts_with("List<"),
        };
        values.insert(name.clone(), param);
    }
    if !missing.is_empty() {
        return Err(invalid(format!(
            "Parameters: [{}] must have values",
            missing.join(", ")
        )));
    }
    Ok(values)
}

fn invalid(message: String) -> CfnError {
    CfnError::ValidationError(message)
}

fn is_true(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn default_of(decl: &Value) -> Option<String> {
    match decl.get("Default")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(items.iter().map(scalar_text).collect::<Vec<_>>().join(",")),
        other => Some(scalar_text(other)),
    }
}

fn scalar_text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}

/// The declaration's constraints, in CloudFormation's order and words.
fn check(name: &str, decl: &Value, value: &str) -> CfnResult<()> {
    let kind = decl.get("Type").and_then(Value::as_str).unwrap_or("String");
    check_type(name, kind, value)?;
    if let Some(allowed) = decl.get("AllowedValues").and_then(Value::as_array) {
        let allowed: Vec<String> = allowed.iter().map(scalar_text).collect();
        let items: Vec<&str> = match kind == "CommaDelimitedList" || kind.starts_with("List<") {
            true => value.split(',').map(str::trim).collect(),
            false => vec![value],
        };
        if items.iter().any(|item| !allowed.iter().any(|a| a == item)) {
            return Err(invalid(format!(
                "Parameter '{name}' must be one of AllowedValues"
            )));
        }
    }
    if let Some(pattern) = decl.get("AllowedPattern").and_then(Value::as_str) {
        // CloudFormation matches the whole value (Java's `matches`).
        let regex = regex::Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|_| invalid(format!("Parameter '{name}' has an invalid AllowedPattern")))?;
        if !regex.is_match(value) {
            return Err(invalid(format!(
                "Parameter '{name}' must match pattern {pattern}"
            )));
        }
    }
    check_bounds(name, decl, value)
}

fn check_type(name: &str, kind: &str, value: &str) -> CfnResult<()> {
    let number = |v: &str| v.trim().parse::<f64>().is_ok();
    match kind {
        "Number" if !number(value) => Err(invalid(format!("Parameter '{name}' must be a number."))),
        "List<Number>" if !value.split(',').all(number) => Err(invalid(format!(
            "Parameter '{name}' must be a number list."
        ))),
        k if k.starts_with("AWS::SSM::Parameter") => Err(CfnError::NotImplemented(format!(
            "Parameter '{name}' has type {k}: iot-emulator has no SSM Parameter Store"
        ))),
        _ => Ok(()),
    }
}

fn check_bounds(name: &str, decl: &Value, value: &str) -> CfnResult<()> {
    let bound = |key: &str| {
        decl.get(key)
            .and_then(|v| v.as_f64().or_else(|| v.as_str()?.parse().ok()))
    };
    let length = value.chars().count() as f64;
    if let Some(min) = bound("MinLength").filter(|min| length < *min) {
        return Err(invalid(format!(
            "Parameter '{name}' must contain at least {min} characters"
        )));
    }
    if let Some(max) = bound("MaxLength").filter(|max| length > *max) {
        return Err(invalid(format!(
            "Parameter '{name}' must contain at most {max} characters"
        )));
    }
    let number = value.trim().parse::<f64>().ok();
    if let (Some(min), Some(n)) = (bound("MinValue"), number) {
        if n < min {
            return Err(invalid(format!(
                "Parameter '{name}' must be a number not less than {min}"
            )));
        }
    }
    if let (Some(max), Some(n)) = (bound("MaxValue"), number) {
        if n > max {
            return Err(invalid(format!(
                "Parameter '{name}' must be a number not greater than {max}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decls(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn given(pairs: &[(&str, Option<&str>)]) -> Given {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect()
    }

    #[test]
    fn defaults_previous_values_and_missing_ones() {
        let d = decls(
            json!({"A": {"Type": "String", "Default": "a"}, "B": {"Type": "String"}, "L": {"Type": "CommaDelimitedList", "Default": "x, y"}}),
        );
        let previous = BTreeMap::from([("B".to_string(), "old".to_string())]);
        let v = resolve(&d, &given(&[("B", None)]), &previous).unwrap();
        assert_eq!(v["A"].value, "a");
        assert_eq!(v["B"].value, "old");
        assert_eq!(v["L"].as_json(), json!(["x", "y"]));
        let e = resolve(&d, &given(&[]), &BTreeMap::new()).unwrap_err();
        assert_eq!(e.to_string(), "Parameters: [B] must have values");
        let e = resolve(
            &d,
            &given(&[("B", Some("b")), ("Z", Some("z"))]),
            &BTreeMap::new(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Parameters: [Z] do not exist in the template"
        );
    }

    #[test]
    fn constraints_use_cloudformations_words() {
        let d = decls(
            json!({"Id": {"Type": "String", "AllowedPattern": "[a-f0-9]{64}"}, "N": {"Type": "Number", "Default": 5, "MaxValue": 10}}),
        );
        let e = resolve(&d, &given(&[("Id", Some("xyz"))]), &BTreeMap::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Parameter 'Id' must match pattern [a-f0-9]{64}"
        );
        let ok = "a".repeat(64);
        assert!(resolve(&d, &given(&[("Id", Some(&ok))]), &BTreeMap::new()).is_ok());
        let e = resolve(
            &d,
            &given(&[("Id", Some(&ok)), ("N", Some("11"))]),
            &BTreeMap::new(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Parameter 'N' must be a number not greater than 10"
        );
        let e = resolve(
            &d,
            &given(&[("Id", Some(&ok)), ("N", Some("x"))]),
            &BTreeMap::new(),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "Parameter 'N' must be a number.");
    }
}
