//! The intrinsic functions: Ref, Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap and Fn::Sub,
//! with CloudFormation's semantics (dataplane §2.3). A call evaluates to a string or, for
//! Split and list-valued mappings, a list of strings.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Display;

use serde_json::{Map, Value};

use super::parse::is_call;
use super::{invalid_parameters, unresolved, Template};
use crate::registry::IotResult;

/// What a template is evaluated against.
pub(super) struct Scope<'a> {
    pub(super) template: &'a Template,
    /// Request parameters and hook overrides.
    pub(super) parameters: &'a BTreeMap<String, String>,
    /// The values the service injects: they win over parameters of the same name.
    pub(super) injected: &'a BTreeMap<String, String>,
}

/// Whether `value` has an intrinsic call anywhere inside it.
pub(super) fn has_call(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().any(has_call),
        Value::Object(o) => is_call(o) || o.values().any(has_call),
        _ => false,
    }
}

impl Scope<'_> {
    /// Whether a value was supplied or injected for `name`.
    pub(super) fn has(&self, name: &str) -> bool {
        self.value(name).is_some()
    }

    fn value(&self, name: &str) -> Option<&String> {
        self.injected
            .get(name)
            .or_else(|| self.parameters.get(name))
    }

    /// `value` with every intrinsic call inside it replaced by its result; borrowed when
    /// there is none.
    pub(super) fn resolve<'v>(&self, value: &'v Value) -> IotResult<Cow<'v, Value>> {
        match has_call(value) {
            false => Ok(Cow::Borrowed(value)),
            true => self.resolve_owned(value).map(Cow::Owned),
        }
    }

    fn resolve_owned(&self, value: &Value) -> IotResult<Value> {
        match value {
            Value::Array(items) => items.iter().map(|v| self.resolve_owned(v)).collect(),
            Value::Object(o) if is_call(o) => self.call(o),
            Value::Object(o) => {
                let mut out = Map::new();
                for (k, v) in o {
                    out.insert(k.clone(), self.resolve_owned(v)?);
                }
                Ok(Value::Object(out))
            }
            other => Ok(other.clone()),
        }
    }

    /// `value` resolved to a string (numbers and booleans in their JSON spelling);
    /// `what` names it in the error.
    pub(super) fn string(&self, value: &Value, what: impl Display) -> IotResult<String> {
        match self.resolve(value)? {
            Cow::Owned(Value::String(s)) => Ok(s),
            Cow::Borrowed(Value::String(s)) => Ok(s.clone()),
            other => match other.as_ref() {
                v @ (Value::Number(_) | Value::Bool(_)) => Ok(v.to_string()),
                _ => Err(invalid_parameters(format!(
                    "{what} must resolve to a string"
                ))),
            },
        }
    }

    fn list(&self, value: &Value, what: &str) -> IotResult<Vec<Value>> {
        match self.resolve(value)?.into_owned() {
            Value::Array(items) => Ok(items),
            _ => Err(invalid_parameters(format!("{what} must resolve to a list"))),
        }
    }

    /// The value of a parameter: supplied or injected, else its Default.
    pub(super) fn reference(&self, name: &str) -> IotResult<String> {
        if let Some(v) = self.value(name) {
            return Ok(v.clone());
        }
        match self.template.parameters.get(name) {
            Some(Some(default)) => Ok(default.clone()),
            _ => Err(unresolved(name)),
        }
    }

    fn call(&self, o: &Map<String, Value>) -> IotResult<Value> {
        let Some((name, arg)) = o.iter().next().filter(|_| o.len() == 1) else {
            return Err(invalid_parameters(
                "An intrinsic function must be alone in its object",
            ));
        };
        let args = arg.as_array().map(Vec::as_slice).unwrap_or_default();
        match (name.as_str(), arg) {
            ("Ref", Value::String(n)) => self.reference(n).map(Value::String),
            ("Fn::Join", _) if args.len() == 2 => self.join(&args[0], &args[1]),
            ("Fn::Select", _) if args.len() == 2 => self.select(&args[0], &args[1]),
            ("Fn::Split", _) if args.len() == 2 => self.split(&args[0], &args[1]),
            ("Fn::FindInMap", _) if args.len() == 3 => self.find_in_map(args),
            ("Fn::Sub", Value::String(s)) => self.sub(s, None).map(Value::String),
            ("Fn::Sub", _) if args.len() == 2 => match (&args[0], &args[1]) {
                (Value::String(s), Value::Object(vars)) => {
                    self.sub(s, Some(vars)).map(Value::String)
                }
                _ => Err(invalid_parameters("Invalid arguments to Fn::Sub")),
            },
            _ => Err(invalid_parameters(format!(
                "Invalid or unsupported function {name}"
            ))),
        }
    }

    fn join(&self, delimiter: &Value, list: &Value) -> IotResult<Value> {
        let Value::String(delimiter) = delimiter else {
            return Err(invalid_parameters(
                "The Fn::Join delimiter must be a string",
            ));
        };
        let mut parts = Vec::new();
        for item in self.list(list, "The Fn::Join list")? {
            match item {
                Value::String(s) => parts.push(s),
                v @ (Value::Number(_) | Value::Bool(_)) => parts.push(v.to_string()),
                _ => return Err(invalid_parameters("Fn::Join can only join strings")),
            }
        }
        Ok(Value::String(parts.join(delimiter)))
    }

    /// No null check and no bounds check in AWS: both fail the request (§2.3).
    fn select(&self, index: &Value, list: &Value) -> IotResult<Value> {
        let raw = match index {
            Value::Number(n) => n.to_string(),
            other => self.string(other, "The Fn::Select index")?,
        };
        let index: usize = raw.trim().parse().map_err(|_| {
            invalid_parameters(format!(
                "Fn::Select index {raw} is not a non-negative integer"
            ))
        })?;
        let items = self.list(list, "The Fn::Select list")?;
        match items.get(index) {
            Some(Value::Null) => Err(invalid_parameters(format!(
                "Fn::Select selected a null value at index {index}"
            ))),
            Some(v) => Ok(v.clone()),
            None => Err(invalid_parameters(format!(
                "Fn::Select index {index} is out of bounds for a list of {} elements",
                items.len()
            ))),
        }
    }

    fn split(&self, delimiter: &Value, source: &Value) -> IotResult<Value> {
        let delimiter = match delimiter {
            Value::String(d) if !d.is_empty() => d,
            _ => {
                return Err(invalid_parameters(
                    "The Fn::Split delimiter must be a non-empty string",
                ))
            }
        };
        let source = self.string(source, "The Fn::Split source")?;
        let parts = source.split(delimiter.as_str());
        Ok(Value::Array(
            parts.map(|p| Value::String(p.to_string())).collect(),
        ))
    }

    fn find_in_map(&self, args: &[Value]) -> IotResult<Value> {
        let map = self.string(&args[0], "The Fn::FindInMap map name")?;
        let top = self.string(&args[1], "The Fn::FindInMap top-level key")?;
        let second = self.string(&args[2], "The Fn::FindInMap second-level key")?;
        self.template
            .mappings
            .get(&map)
            .and_then(|m| m.get(&top))
            .and_then(|m| m.get(&second))
            .cloned()
            .ok_or_else(|| {
                invalid_parameters(format!(
                    "Fn::FindInMap cannot find the value for [{map}, {top}, {second}] in Mappings"
                ))
            })
    }

    /// `${Name}` from the variable map, else a parameter; `${!Text}` is the literal
    /// `${Text}`. `${Resource.Attribute}` has nothing to name here and fails like a Ref.
    fn sub(&self, text: &str, vars: Option<&Map<String, Value>>) -> IotResult<String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                out.push_str(&rest[start..]);
                return Ok(out);
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else {
                match vars.and_then(|v| v.get(name.trim())) {
                    Some(v) => out.push_str(&self.string(v, "A Fn::Sub variable")?),
                    None => out.push_str(&self.reference(name.trim())?),
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}
