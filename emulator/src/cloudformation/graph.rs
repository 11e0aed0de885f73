//! Which resources depend on which (DependsOn, `Ref`, `Fn::GetAtt`, `Fn::Sub`), the
//! checks CloudFormation makes on those references, and the order resources are created
//! in (deleted in reverse).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::error::{format_error, template_error, CfnError, CfnResult};
use super::sub;

/// A reference found in a template value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reference {
    /// `Ref` or a plain `${Name}`: a parameter, pseudo parameter or resource.
    Ref(String),
    /// `Fn::GetAtt` or `${Resource.Attribute}`: a resource.
    GetAtt(String),
}

impl Reference {
    pub fn name(&self) -> &str {
        match self {
            Reference::Ref(n) | Reference::GetAtt(n) => n,
        }
    }
}

/// Every reference in `value`.
pub fn references(value: &Value) -> BTreeSet<Reference> {
    let mut out = BTreeSet::new();
    collect(value, &mut out);
    out
}

fn collect(value: &Value, out: &mut BTreeSet<Reference>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("Ref", Value::String(name)) => {
                        out.insert(Reference::Ref(name.clone()));
                    }
                    ("Fn::GetAtt", Value::Array(pair)) => {
                        if let Some(name) = pair.first().and_then(Value::as_str) {
                            out.insert(Reference::GetAtt(name.to_string()));
                        }
                    }
                    ("Fn::GetAtt", Value::String(dotted)) => {
                        let name = dotted.split_once('.').map_or(dotted.as_str(), |(r, _)| r);
                        out.insert(Reference::GetAtt(name.to_string()));
                    }
                    ("Fn::Sub", args) => {
                        for name in sub::names(args) {
                            let dotted =
                                args.as_str().unwrap_or("").contains(&format!("${{{name}."));
                            out.insert(if dotted {
                                Reference::GetAtt(name)
                            } else {
                                Reference::Ref(name)
                            });
                        }
                    }
                    _ => {}
                }
                collect(inner, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        _ => {}
    }
}

/// Checks that every reference in `value` names something that exists: `params` holds
/// the parameter names, `resources` the logical ids of the resources being made.
pub fn check_references(
    value: &Value,
    params: &BTreeSet<String>,
    resources: &BTreeSet<String>,
) -> CfnResult<()> {
    let mut unresolved = Vec::new();
    for reference in references(value) {
        let name = reference.name();
        match &reference {
            Reference::Ref(_) if params.contains(name) || name.starts_with("AWS::") => {}
            Reference::GetAtt(_) if !resources.contains(name) => {
                return Err(template_error(format!(
                    "instance of Fn::GetAtt references undefined resource {name}"
                )));
            }
            _ if resources.contains(name) => {}
            _ => unresolved.push(name.to_string()),
        }
    }
    match unresolved.is_empty() {
        true => Ok(()),
        false => Err(unresolved_error(&unresolved)),
    }
}

fn unresolved_error(names: &[String]) -> CfnError {
    format_error(format!(
        "Unresolved resource dependencies [{}] in the Resources block of the template",
        names.join(", ")
    ))
}

/// The resources each resource depends on, among `ids`.
pub type Dependencies = BTreeMap<String, BTreeSet<String>>;

/// Creation order: every resource after what it depends on; otherwise declaration order.
pub fn creation_order(ids: &[String], deps: &Dependencies) -> CfnResult<Vec<String>> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::with_capacity(ids.len());
    while order.len() < ids.len() {
        let next = ids.iter().find(|id| {
            !done.contains(id.as_str())
                && deps
                    .get(*id)
                    .is_none_or(|d| d.iter().all(|dep| done.contains(dep.as_str())))
        });
        let Some(next) = next else {
            let stuck: Vec<&str> = ids
                .iter()
                .map(String::as_str)
                .filter(|id| !done.contains(id))
                .collect();
            return Err(CfnError::ValidationError(format!(
                "Circular dependency between resources: [{}]",
                stuck.join(", ")
            )));
        };
        done.insert(next);
        order.push(next.clone());
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_come_from_ref_get_att_and_sub() {
        let v = json!({"A": {"Ref": "P"}, "B": [{"Fn::GetAtt": ["R", "Arn"]}, {"Fn::Sub": "${S}-${T.Arn}-${!lit}"}]});
        let names: Vec<Reference> = references(&v).into_iter().collect();
        assert_eq!(
            names,
            [
                Reference::Ref("P".into()),
                Reference::Ref("S".into()),
                Reference::GetAtt("R".into()),
                Reference::GetAtt("T".into()),
            ]
        );
        let params = BTreeSet::from(["P".to_string()]);
        let resources = BTreeSet::from(["R".to_string(), "S".to_string(), "T".to_string()]);
        assert!(check_references(&v, &params, &resources).is_ok());
        let e = check_references(&json!({"Ref": "Nope"}), &params, &resources).unwrap_err();
        assert_eq!(e.to_string(), "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template");
    }

    #[test]
    fn order_follows_dependencies_then_declaration() {
        let ids: Vec<String> = ["C", "A", "B"].iter().map(|s| s.to_string()).collect();
        let deps = Dependencies::from([("C".to_string(), BTreeSet::from(["B".to_string()]))]);
        assert_eq!(creation_order(&ids, &deps).unwrap(), ["A", "B", "C"]);
        let cycle = Dependencies::from([
            ("A".to_string(), BTreeSet::from(["B".to_string()])),
            ("B".to_string(), BTreeSet::from(["A".to_string()])),
        ]);
        let e = creation_order(&ids[1..], &cycle).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Circular dependency between resources: [A, B]"
        );
    }
}
