//! Change sets: what a template would add, modify and remove, worked out before anything
//! runs, with CloudFormation's checks (names, capabilities, "no changes").

use std::collections::BTreeMap;

use serde_json::Value;

use super::engine::{CloudFormation, StackRequest};
use super::error::{CfnError, CfnResult};
use super::graph;
use super::plan::Plan;
use super::read_template;
use super::stack::{Change, ChangeSet, Stack};

/// What a change set with no changes says (the aws CLI prints "No changes to deploy").
pub(crate) const NO_CHANGES: &str =
    "The submitted information didn't contain changes. Submit different information to create a change set.";

fn check_name(field: &str, value: &str) -> CfnResult<()> {
    let mut chars = value.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
        && value.len() <= 128;
    match ok {
        true => Ok(()),
        false => Err(CfnError::ValidationError(format!(
            "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*"
        ))),
    }
}

/// The stack a change set is for: the existing one, or a new REVIEW_IN_PROGRESS stack.
fn target_stack(cf: &CloudFormation, request: &StackRequest, kind: &str) -> CfnResult<Stack> {
    let existing = cf.find(&request.stack_name).ok();
    match (kind, existing) {
        ("CREATE", Some(s)) if s.status != "REVIEW_IN_PROGRESS" => Err(CfnError::AlreadyExists(
            format!("Stack [{}] already exists", request.stack_name),
        )),
        ("CREATE", Some(s)) => Ok(s),
        ("CREATE", None) => Ok(new_stack(cf, request)),
        (_, None) => Err(CfnError::ValidationError(format!(
            "Stack [{}] does not exist",
            request.stack_name
        ))),
        (_, Some(s)) if s.status == "REVIEW_IN_PROGRESS" => {
            Err(CfnError::ValidationError(format!(
                "Stack:{} is in REVIEW_IN_PROGRESS state and can not be updated.",
                s.id
            )))
        }
        (_, Some(s)) => Ok(s),
    }
}

fn new_stack(cf: &CloudFormation, request: &StackRequest) -> Stack {
    Stack {
        id: cf.new_id("stack", &request.stack_name),
        name: request.stack_name.clone(),
        status: "REVIEW_IN_PROGRESS".into(),
        status_reason: Some("User Initiated".into()),
        creation_time_ms: cf.registry().clock().now_ms(),
        last_updated_ms: None,
        deletion_time_ms: None,
        description: None,
        template_body: String::new(),
        parameters: BTreeMap::new(),
        no_echo: Vec::new(),
        capabilities: Vec::new(),
        tags: request.tags.clone(),
        outputs: Vec::new(),
        resources: Vec::new(),
        events: Vec::new(),
        change_sets: Vec::new(),
        disable_rollback: false,
    }
}

pub(super) fn create_change_set(
    cf: &CloudFormation,
    request: &StackRequest,
) -> CfnResult<(String, String)> {
    check_name("stackName", &request.stack_name)?;
    let name = request.change_set_name.clone().unwrap_or_default();
    check_name("changeSetName", &name)?;
    let kind = request
        .change_set_type
        .clone()
        .unwrap_or_else(|| "UPDATE".into());
    let mut stack = target_stack(cf, request, &kind)?;
    let body = match (&request.template_body, request.use_previous_template) {
        (Some(body), _) => body.clone(),
        (None, true) => stack.template_body.clone(),
        (None, false) => {
            return Err(CfnError::ValidationError(
                "Either Template URL or Template Body must be specified.".into(),
            ))
        }
    };
    let outcome = Plan::make(
        &body,
        &request.parameters,
        &stack.parameters,
        cf.pseudo(&stack.name, &stack.id),
    );
    let (status, reason, changes, parameters) = match outcome {
        Ok(plan) => {
            check_capabilities(&plan, &request.capabilities)?;
            let changes = changes(&stack, &plan)?;
            let unchanged =
                kind == "UPDATE" && changes.is_empty() && same_outputs_and_params(&stack, &plan);
            match unchanged {
                true => (
                    "FAILED",
                    Some(NO_CHANGES.to_string()),
                    changes,
                    plan.parameter_values(),
                ),
                false => ("CREATE_COMPLETE", None, changes, plan.parameter_values()),
            }
        }
        Err(CfnError::NotImplemented(reason)) => {
            ("FAILED", Some(reason), Vec::new(), BTreeMap::new())
        }
        Err(other) => return Err(other),
    };
    let change_set = ChangeSet {
        id: cf.new_id("changeSet", &name),
        name,
        kind,
        status: status.into(),
        execution_status: if status == "FAILED" {
            "UNAVAILABLE"
        } else {
            "AVAILABLE"
        }
        .into(),
        status_reason: reason,
        creation_time_ms: cf.registry().clock().now_ms(),
        template_body: body,
        parameters,
        capabilities: request.capabilities.clone(),
        changes,
        description: request.description.clone(),
    };
    let ids = (change_set.id.clone(), stack.id.clone());
    stack.change_sets.retain(|c| c.name != change_set.name);
    stack.change_sets.push(change_set);
    cf.save(&stack)?;
    Ok(ids)
}

/// IAM resources need CAPABILITY_IAM, or CAPABILITY_NAMED_IAM when they carry a name.
fn check_capabilities(plan: &Plan, given: &[String]) -> CfnResult<()> {
    let iam: Vec<_> = plan
        .template
        .resources
        .iter()
        .filter(|r| r.kind.starts_with("AWS::IAM::"))
        .collect();
    let named = iam.iter().any(|r| {
        ["RoleName", "ManagedPolicyName", "UserName", "GroupName"]
            .iter()
            .any(|k| r.properties.get(*k).is_some())
    });
    let has = |c: &str| given.iter().any(|g| g == c);
    if named && !has("CAPABILITY_NAMED_IAM") {
        return Err(CfnError::InsufficientCapabilities(
            "CAPABILITY_NAMED_IAM".into(),
        ));
    }
    if !iam.is_empty() && !has("CAPABILITY_IAM") && !has("CAPABILITY_NAMED_IAM") {
        return Err(CfnError::InsufficientCapabilities("CAPABILITY_IAM".into()));
    }
    Ok(())
}

/// Add, Modify (in place, or with replacement when a property that requires it changed,
/// see the README) and Remove, against the stack's current template and parameters.
fn changes(stack: &Stack, plan: &Plan) -> CfnResult<Vec<Change>> {
    let old = match stack.template_body.is_empty() {
        true => None,
        false => Some(read_template(&stack.template_body)?),
    };
    let mut out = Vec::new();
    for id in &plan.order {
        let decl = plan.resource(id).expect("planned resources are declared");
        let existing = stack.resource(id);
        let old_decl = old.as_ref().and_then(|t| t.resource(id));
        let (action, replacement) = match (existing, old_decl) {
            (None, _) | (_, None) => ("Add", None),
            (Some(_), Some(o)) if o.raw == decl.raw && !params_changed(&decl.raw, stack, plan) => {
                continue
            }
            (Some(_), Some(o)) => {
                let replaced = !super::providers::in_place(
                    &decl.kind,
                    &changed_properties(&o.raw, &decl.raw, stack, plan),
                ) || o.kind != decl.kind;
                let replacement = if replaced { "True" } else { "False" };
                ("Modify", Some(replacement.to_string()))
            }
        };
        out.push(Change {
            action: action.into(),
            logical_id: id.clone(),
            physical_id: existing.map(|r| r.physical_id.clone()),
            kind: decl.kind.clone(),
            replacement,
        });
    }
    for r in stack
        .resources
        .iter()
        .filter(|r| !plan.order.contains(&r.logical_id))
    {
        out.push(Change {
            action: "Remove".into(),
            logical_id: r.logical_id.clone(),
            physical_id: Some(r.physical_id.clone()),
            kind: r.kind.clone(),
            replacement: None,
        });
    }
    Ok(out)
}

/// The properties whose text changed, or which refer to a parameter with a new value.
fn changed_properties(old: &Value, new: &Value, stack: &Stack, plan: &Plan) -> Vec<String> {
    let (old, new) = (&old["Properties"], &new["Properties"]);
    let mut keys = super::providers::changed_keys(old, new);
    if let Some(props) = new.as_object() {
        for (key, value) in props {
            if params_changed(value, stack, plan) && !keys.contains(key) {
                keys.push(key.clone());
            }
        }
    }
    keys
}

/// Whether a parameter the declaration refers to has a new value.
fn params_changed(decl: &Value, stack: &Stack, plan: &Plan) -> bool {
    graph::references(decl).iter().any(|r| {
        let name = r.name();
        plan.params
            .get(name)
            .is_some_and(|p| stack.parameters.get(name) != Some(&p.value))
    })
}

fn same_outputs_and_params(stack: &Stack, plan: &Plan) -> bool {
    let old_outputs = read_template(&stack.template_body)
        .map(|t| t.outputs)
        .unwrap_or_default();
    old_outputs == plan.template.outputs && stack.parameters == plan.parameter_values()
}

pub(super) fn find_change_set(
    cf: &CloudFormation,
    stack: Option<&str>,
    name_or_id: &str,
) -> CfnResult<(Stack, ChangeSet)> {
    let not_found = || CfnError::ChangeSetNotFound(name_or_id.to_string());
    let candidates: Vec<Stack> = match (name_or_id.starts_with("arn:"), stack) {
        (true, _) => cf.stacks(),
        (false, Some(s)) => vec![cf.find(s).map_err(|_| not_found())?],
        (false, None) => {
            return Err(CfnError::ValidationError(
                "StackName must be specified if ChangeSetName is not specified as an ARN.".into(),
            ))
        }
    };
    for s in candidates {
        if let Some(cs) = s
            .change_sets
            .iter()
            .find(|c| c.id == name_or_id || c.name == name_or_id)
            .cloned()
        {
            return Ok((s, cs));
        }
    }
    Err(not_found())
}
