//! The template's Conditions section, evaluated once per stack operation: a condition may
//! use parameters, pseudo parameters, mappings and other conditions, but no resource.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::error::{template_error, CfnResult};
use super::intrinsic::{condition_value, Scope};

/// Evaluates every condition; `scope.conditions` is ignored (conditions are found here).
pub fn evaluate(
    conditions: &Map<String, Value>,
    scope: &Scope<'_>,
) -> CfnResult<BTreeMap<String, bool>> {
    let mut known: BTreeMap<String, bool> = BTreeMap::new();
    while known.len() < conditions.len() {
        let ready = conditions.iter().find(|(name, body)| {
            !known.contains_key(*name)
                && condition_names(body).iter().all(|n| known.contains_key(n))
        });
        let Some((name, body)) = ready else {
            let missing: Vec<&str> = conditions
                .keys()
                .map(String::as_str)
                .filter(|n| !known.contains_key(*n))
                .collect();
            return Err(template_error(format!(
                "Unresolved or circular condition dependencies [{}]",
                missing.join(", ")
            )));
        };
        let inner = Scope {
            params: scope.params,
            pseudo: scope.pseudo,
            mappings: scope.mappings,
            conditions: &known,
            resources: scope.resources,
        };
        let holds = condition_value(body, &inner)?;
        known.insert(name.clone(), holds);
    }
    Ok(known)
}

/// The conditions `{"Condition": name}` inside `value` names.
fn condition_names(value: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(name)) = map.get("Condition") {
                    out.insert(name.clone());
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    out
}
