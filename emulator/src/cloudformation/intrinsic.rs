//! Intrinsic functions: `Ref`, `Fn::Sub`, `Fn::GetAtt`, `Fn::Join`, `Fn::Split`,
//! `Fn::Select`, `Fn::If` with Conditions, `Fn::Equals/And/Or/Not`, `Fn::FindInMap`,
//! `Fn::ImportValue`, `Fn::Base64`, `Fn::GetAZs`, and LanguageExtensions' `Fn::Length` and
//! `Fn::ToJsonString`. Anything else is refused by name, never passed through.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Map, Value};

use super::error::{template_error, CfnError, CfnResult};
use super::params::ParamValue;
use super::sub;

/// What the running stack knows about its resources and the account's exports.
pub trait Resolver {
    /// `Ref` to a created resource: its physical id (or what its type's `Ref` returns).
    fn resource_ref(&self, logical_id: &str) -> Option<Value>;
    /// `Fn::GetAtt`; `None` when the resource has no such attribute (yet).
    fn resource_attr(&self, logical_id: &str, attribute: &str) -> Option<Value>;
    /// `Fn::ImportValue`.
    fn import(&self, export_name: &str) -> Option<String>;
}

/// The pseudo parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pseudo {
    pub account_id: String,
    pub region: String,
    pub partition: String,
    pub url_suffix: String,
    pub stack_name: String,
    pub stack_id: String,
}

/// Everything an intrinsic can see.
pub struct Scope<'a> {
    pub params: &'a BTreeMap<String, ParamValue>,
    pub pseudo: &'a Pseudo,
    pub mappings: &'a Map<String, Value>,
    pub conditions: &'a BTreeMap<String, bool>,
    pub resources: &'a dyn Resolver,
}

/// Resolves every intrinsic in `value`. `None` is `AWS::NoValue`: the caller drops the
/// property or list item it stood for.
pub fn resolve(value: &Value, scope: &Scope<'_>) -> CfnResult<Option<Value>> {
    match value {
        Value::Object(map)
            if map.len() == 1 && is_intrinsic(map.keys().next().map_or("", String::as_str)) =>
        {
            let (name, args) = map.iter().next().expect("one entry");
            call(name, args, scope)
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                if let Some(v) = resolve(v, scope)? {
                    out.insert(k.clone(), v);
                }
            }
            Ok(Some(Value::Object(out)))
        }
        Value::Array(items) => {
            let resolved = items
                .iter()
                .map(|v| resolve(v, scope))
                .collect::<CfnResult<Vec<_>>>()?;
            Ok(Some(Value::Array(resolved.into_iter().flatten().collect())))
        }
        other => Ok(Some(other.clone())),
    }
}

/// Resolves `value`, which must not be `AWS::NoValue`.
pub fn resolve_some(value: &Value, scope: &Scope<'_>, what: &str) -> CfnResult<Value> {
    resolve(value, scope)?
        .ok_or_else(|| template_error(format!("AWS::NoValue is not allowed in {what}")))
}

fn is_intrinsic(key: &str) -> bool {
    key == "Ref" || key.starts_with("Fn::")
}

fn call(name: &str, args: &Value, scope: &Scope<'_>) -> CfnResult<Option<Value>> {
    match name {
        "Ref" => reference(args, scope),
        "Fn::Sub" => sub::substitute(args, scope).map(|s| Some(Value::String(s))),
        "Fn::GetAtt" => get_att(args, scope).map(Some),
        "Fn::Join" => join(args, scope).map(Some),
        "Fn::Split" => split(args, scope).map(Some),
        "Fn::Select" => select(args, scope),
        "Fn::If" => if_(args, scope),
        "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => {
            condition_fn(name, args, scope).map(|b| Some(Value::Bool(b)))
        }
        "Fn::FindInMap" => find_in_map(args, scope).map(Some),
        "Fn::ImportValue" => import(args, scope).map(Some),
        "Fn::Base64" => {
            let text = string_arg(&resolve_some(args, scope, name)?, name)?;
            Ok(Some(Value::String(
                base64::engine::general_purpose::STANDARD.encode(text),
            )))
        }
        "Fn::GetAZs" => Ok(Some(get_azs(args, scope)?)),
        "Fn::Length" => match resolve_some(args, scope, name)? {
            Value::Array(items) => Ok(Some(Value::from(items.len()))),
            _ => Err(template_error("Fn::Length requires a list")),
        },
        "Fn::ToJsonString" => Ok(Some(Value::String(
            resolve_some(args, scope, name)?.to_string(),
        ))),
        other => Err(CfnError::NotImplemented(format!(
            "Template error: {other} is not supported by iot-emulator"
        ))),
    }
}

/// `Ref`: a parameter, a pseudo parameter or a resource.
fn reference(args: &Value, scope: &Scope<'_>) -> CfnResult<Option<Value>> {
    let name = args
        .as_str()
        .ok_or_else(|| template_error("Ref requires a string"))?;
    if let Some(param) = scope.params.get(name) {
        return Ok(Some(param.as_json()));
    }
    if name == "AWS::NoValue" {
        return Ok(None);
    }
    if let Some(value) = pseudo(name, scope.pseudo) {
        return Ok(Some(value));
    }
    let value = scope.resources.resource_ref(name);
    let unresolved = || {
        template_error(format!(
            "Unresolved resource dependencies [{name}] in the Resources block of the template"
        ))
    };
    value.map(Some).ok_or_else(unresolved)
}

/// The pseudo parameter `name`, if it is one.
pub fn pseudo(name: &str, p: &Pseudo) -> Option<Value> {
    let text = match name {
        "AWS::AccountId" => &p.account_id,
        "AWS::Region" => &p.region,
        "AWS::Partition" => &p.partition,
        "AWS::URLSuffix" => &p.url_suffix,
        "AWS::StackName" => &p.stack_name,
        "AWS::StackId" => &p.stack_id,
        "AWS::NotificationARNs" => return Some(Value::Array(Vec::new())),
        _ => return None,
    };
    Some(Value::String(text.clone()))
}

fn get_att(args: &Value, scope: &Scope<'_>) -> CfnResult<Value> {
    let (resource, attribute) = match args {
        Value::String(s) => s
            .split_once('.')
            .map(|(r, a)| (r.to_string(), Value::String(a.to_string()))),
        Value::Array(pair) if pair.len() == 2 => {
            pair[0].as_str().map(|r| (r.to_string(), pair[1].clone()))
        }
        _ => None,
    }
    .ok_or_else(|| template_error("Fn::GetAtt requires [resource, attribute]"))?;
    let attribute = string_arg(
        &resolve_some(&attribute, scope, "Fn::GetAtt")?,
        "Fn::GetAtt",
    )?;
    get_att_value(&resource, &attribute, scope)
}

/// The attribute `attribute` of `resource`.
pub fn get_att_value(resource: &str, attribute: &str, scope: &Scope<'_>) -> CfnResult<Value> {
    if scope.resources.resource_ref(resource).is_none() {
        return Err(template_error(format!(
            "instance of Fn::GetAtt references undefined resource {resource}"
        )));
    }
    scope
        .resources
        .resource_attr(resource, attribute)
        .ok_or_else(|| {
            template_error(format!(
                "resource {resource} does not support attribute type {attribute} in Fn::GetAtt"
            ))
        })
}

fn pair<'a>(args: &'a Value, name: &str, n: usize) -> CfnResult<&'a [Value]> {
    match args {
        Value::Array(items) if items.len() == n => Ok(items),
        _ => Err(template_error(format!(
            "{name} requires a list of {n} arguments"
        ))),
    }
}

/// A scalar as text (numbers and booleans as CloudFormation writes them).
pub fn string_arg(value: &Value, name: &str) -> CfnResult<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(template_error(format!("{name} requires a string"))),
    }
}

fn join(args: &Value, scope: &Scope<'_>) -> CfnResult<Value> {
    let items = pair(args, "Fn::Join", 2)?;
    let delimiter = string_arg(&items[0], "Fn::Join")?;
    let list = match resolve_some(&items[1], scope, "Fn::Join")? {
        Value::Array(list) => list,
        _ => return Err(template_error("Fn::Join requires a list of values to join")),
    };
    let parts = list
        .iter()
        .map(|v| string_arg(v, "Fn::Join"))
        .collect::<CfnResult<Vec<_>>>()?;
    Ok(Value::String(parts.join(&delimiter)))
}

fn split(args: &Value, scope: &Scope<'_>) -> CfnResult<Value> {
    let items = pair(args, "Fn::Split", 2)?;
    let delimiter = string_arg(&items[0], "Fn::Split")?;
    let text = string_arg(&resolve_some(&items[1], scope, "Fn::Split")?, "Fn::Split")?;
    Ok(Value::Array(
        text.split(delimiter.as_str()).map(Value::from).collect(),
    ))
}

fn select(args: &Value, scope: &Scope<'_>) -> CfnResult<Option<Value>> {
    let items = pair(args, "Fn::Select", 2)?;
    let index = string_arg(&resolve_some(&items[0], scope, "Fn::Select")?, "Fn::Select")?;
    let index: usize = index
        .parse()
        .map_err(|_| template_error("Fn::Select requires a numeric index"))?;
    match resolve_some(&items[1], scope, "Fn::Select")? {
        Value::Array(list) => list.get(index).cloned().map(Some).ok_or_else(|| {
            template_error(
                "Fn::Select cannot select nonexistent value at index ".to_string()
                    + &index.to_string(),
            )
        }),
        _ => Err(template_error("Fn::Select requires a list")),
    }
}

fn if_(args: &Value, scope: &Scope<'_>) -> CfnResult<Option<Value>> {
    let items = pair(args, "Fn::If", 3)?;
    let name = items[0]
        .as_str()
        .ok_or_else(|| template_error("Fn::If requires a condition name"))?;
    let holds = scope.conditions.get(name).copied();
    let holds = holds.ok_or_else(|| {
        template_error(format!("Unresolved condition dependency {name} in Fn::If"))
    })?;
    resolve(if holds { &items[1] } else { &items[2] }, scope)
}

/// `Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not` (and `{"Condition": name}` inside them).
pub fn condition_fn(name: &str, args: &Value, scope: &Scope<'_>) -> CfnResult<bool> {
    let list = args
        .as_array()
        .ok_or_else(|| template_error(format!("{name} requires a list")))?;
    match name {
        "Fn::Equals" => {
            let items = pair(args, name, 2)?;
            Ok(resolve(&items[0], scope)? == resolve(&items[1], scope)?)
        }
        "Fn::Not" => Ok(!condition_value(&pair(args, name, 1)?[0], scope)?),
        _ if !(2..=10).contains(&list.len()) => Err(template_error(format!(
            "{name} requires 2 to 10 conditions"
        ))),
        "Fn::And" => list
            .iter()
            .try_fold(true, |acc, c| Ok(acc & condition_value(c, scope)?)),
        _ => list
            .iter()
            .try_fold(false, |acc, c| Ok(acc | condition_value(c, scope)?)),
    }
}

/// A condition operand: `{"Condition": name}`, a condition function, or a Boolean.
pub fn condition_value(value: &Value, scope: &Scope<'_>) -> CfnResult<bool> {
    if let Some(name) = value.get("Condition").and_then(Value::as_str) {
        let known = scope.conditions.get(name).copied();
        return known
            .ok_or_else(|| template_error(format!("Unresolved condition dependency {name}")));
    }
    match resolve(value, scope)? {
        Some(Value::Bool(b)) => Ok(b),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
        _ => Err(template_error("a condition must be a Boolean")),
    }
}

fn find_in_map(args: &Value, scope: &Scope<'_>) -> CfnResult<Value> {
    let items = args.as_array().filter(|a| a.len() == 3 || a.len() == 4);
    let items = items.ok_or_else(|| template_error("Fn::FindInMap requires 3 arguments"))?;
    let key = |i: usize| {
        string_arg(
            &resolve_some(&items[i], scope, "Fn::FindInMap")?,
            "Fn::FindInMap",
        )
    };
    let (map, top, second) = (key(0)?, key(1)?, key(2)?);
    let found = scope
        .mappings
        .get(&map)
        .and_then(|m| m.get(&top))
        .and_then(|m| m.get(&second));
    if let Some(found) = found {
        return Ok(found.clone());
    }
    match items.get(3).and_then(|d| d.get("DefaultValue")) {
        Some(default) => resolve_some(default, scope, "Fn::FindInMap"),
        None => Err(template_error(format!(
            "Unable to get mapping for {map}::{top}::{second}"
        ))),
    }
}

fn import(args: &Value, scope: &Scope<'_>) -> CfnResult<Value> {
    let name = string_arg(
        &resolve_some(args, scope, "Fn::ImportValue")?,
        "Fn::ImportValue",
    )?;
    let value = scope.resources.import(&name);
    let missing = || {
        CfnError::ValidationError(format!(
            "No export named {name} found. Rollback requested by user."
        ))
    };
    value.map(Value::String).ok_or_else(missing)
}

/// Emulator choice: every region has three zones, `<region>a`, `b` and `c`.
fn get_azs(args: &Value, scope: &Scope<'_>) -> CfnResult<Value> {
    let region = string_arg(&resolve_some(args, scope, "Fn::GetAZs")?, "Fn::GetAZs")?;
    let region = if region.is_empty() {
        scope.pseudo.region.clone()
    } else {
        region
    };
    Ok(Value::Array(
        ["a", "b", "c"]
            .iter()
            .map(|z| Value::String(format!("{region}{z}")))
            .collect(),
    ))
}
