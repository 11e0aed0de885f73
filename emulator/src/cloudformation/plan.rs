//! One stack operation's view of its template: transforms applied, parameters resolved,
//! conditions evaluated, references checked, and the resources it makes in creation order.

use std::collections::{BTreeMap, BTreeSet};

use super::conditions;
use super::error::{format_error, CfnError, CfnResult};
use super::graph::{self, Dependencies};
use super::intrinsic::{Pseudo, Resolver, Scope};
use super::params::{self, Given, ParamValue};
use super::providers;
use super::read_template;
use super::resolver::Declared;
use super::template::{ResourceDecl, Template};

/// A checked template, ready to run.
pub(crate) struct Plan {
    pub(crate) template: Template,
    pub(crate) params: BTreeMap<String, ParamValue>,
    pub(crate) conditions: BTreeMap<String, bool>,
    /// Resources whose Condition holds, in creation order.
    pub(crate) order: Vec<String>,
    pub(crate) pseudo: Pseudo,
}

impl Plan {
    /// Reads and checks `body` with the caller's parameters. An unknown resource type is
    /// a ValidationError, as AWS's; a type AWS has and the emulator lacks is
    /// NotImplemented (a FAILED change set).
    pub(crate) fn make(
        body: &str,
        given: &Given,
        previous: &BTreeMap<String, String>,
        pseudo: Pseudo,
    ) -> CfnResult<Plan> {
        let template = read_template(body)?;
        check_types(&template)?;
        let params = params::resolve(&template.parameters, given, previous)?;
        let conditions = {
            let none = BTreeMap::new();
            let ids: Vec<String> = Vec::new();
            let declared = Declared { ids: &ids };
            let scope = Scope {
                params: &params,
                pseudo: &pseudo,
                mappings: &template.mappings,
                conditions: &none,
                resources: &declared,
            };
            conditions::evaluate(&template.conditions, &scope)?
        };
        let included = included(&template, &conditions)?;
        let deps = dependencies(&template, &included, &params)?;
        let ids: Vec<String> = included.iter().map(|r| r.logical_id.clone()).collect();
        let order = graph::creation_order(&ids, &deps)?;
        let plan = Plan {
            template,
            params,
            conditions,
            order,
            pseudo,
        };
        plan.check_outputs()?;
        Ok(plan)
    }

    /// The scope intrinsics run in, over `resources`.
    pub(crate) fn scope<'a>(&'a self, resources: &'a dyn Resolver) -> Scope<'a> {
        Scope {
            params: &self.params,
            pseudo: &self.pseudo,
            mappings: &self.template.mappings,
            conditions: &self.conditions,
            resources,
        }
    }

    pub(crate) fn resource(&self, logical_id: &str) -> Option<&ResourceDecl> {
        self.template.resource(logical_id)
    }

    /// The parameter values to keep with the stack.
    pub(crate) fn parameter_values(&self) -> BTreeMap<String, String> {
        self.params
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect()
    }

    pub(crate) fn no_echo(&self) -> Vec<String> {
        self.params
            .iter()
            .filter(|(_, v)| v.no_echo)
            .map(|(k, _)| k.clone())
            .collect()
    }

    fn check_outputs(&self) -> CfnResult<()> {
        let names: BTreeSet<String> = self.params.keys().cloned().collect();
        let resources: BTreeSet<String> = self.order.iter().cloned().collect();
        for output in self.template.outputs.values() {
            let held = output
                .get("Condition")
                .and_then(|c| c.as_str())
                .is_none_or(|c| self.conditions.get(c) == Some(&true));
            if held {
                graph::check_references(output, &names, &resources)?;
            }
        }
        Ok(())
    }
}

/// Unknown types are refused before anything runs.
fn check_types(template: &Template) -> CfnResult<()> {
    let unknown: Vec<&str> = template
        .resources
        .iter()
        .map(|r| r.kind.as_str())
        .filter(|k| !providers::SUPPORTED.contains(k))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let aws_like = unknown
        .iter()
        .all(|k| k.starts_with("AWS::") && k.matches("::").count() == 2);
    match aws_like {
        true => Err(CfnError::NotImplemented(format!(
            "iot-emulator does not support the resource type(s) [{}]",
            unknown.join(", ")
        ))),
        false => Err(format_error(format!(
            "Unrecognized resource types: [{}]",
            unknown.join(", ")
        ))),
    }
}

fn included<'a>(
    template: &'a Template,
    conditions: &BTreeMap<String, bool>,
) -> CfnResult<Vec<&'a ResourceDecl>> {
    let mut out = Vec::new();
    for r in &template.resources {
        match &r.condition {
            None => out.push(r),
            Some(c) => match conditions.get(c) {
                Some(true) => out.push(r),
                Some(false) => {}
                None => return Err(format_error(format!("Unresolved dependencies [{c}]. Cannot reference resources in the Conditions block of the template"))),
            },
        }
    }
    Ok(out)
}

fn dependencies(
    template: &Template,
    included: &[&ResourceDecl],
    params: &BTreeMap<String, ParamValue>,
) -> CfnResult<Dependencies> {
    let names: BTreeSet<String> = params.keys().cloned().collect();
    let ids: BTreeSet<String> = included.iter().map(|r| r.logical_id.clone()).collect();
    let mut deps = Dependencies::new();
    for r in included {
        graph::check_references(&r.properties, &names, &ids)?;
        let mut mine: BTreeSet<String> = BTreeSet::new();
        for d in &r.depends_on {
            if !ids.contains(d) {
                let declared = template.resource(d).is_some();
                let detail = if declared {
                    "is conditioned out"
                } else {
                    "does not exist"
                };
                return Err(format_error(format!("Unresolved resource dependencies [{d}] in the Resources block of the template ({d} {detail})")));
            }
            mine.insert(d.clone());
        }
        for reference in graph::references(&r.properties) {
            if ids.contains(reference.name()) {
                mine.insert(reference.name().to_string());
            }
        }
        deps.insert(r.logical_id.clone(), mine);
    }
    Ok(deps)
}
