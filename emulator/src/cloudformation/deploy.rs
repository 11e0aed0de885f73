//! Running a plan against a stack, synchronously: create, update (replacing what
//! changed) and delete, each resource in dependency order with the events
//! CloudFormation records, and a rollback when a resource fails.

mod in_place;
mod update;

pub(crate) use update::update;
use update::Undo;

use std::collections::BTreeMap;

use serde_json::Value;

use super::intrinsic::resolve_some;
use super::plan::Plan;
use super::providers::{self, Context};
use super::resolver::Made;
use super::stack::{Output, Stack, StackEvent, StackResource};
use crate::pki::Pki;
use crate::registry::Registry;

/// What an operation runs with.
pub(crate) struct Env<'a> {
    pub(crate) registry: &'a Registry,
    pub(crate) pki: &'a Pki,
    pub(crate) lambda: &'a crate::lambda::Lambda,
    pub(crate) logs: &'a crate::logs::Logs,
    pub(crate) s3: &'a crate::s3::S3,
    /// Every stack's exports, for `Fn::ImportValue`.
    pub(crate) exports: &'a BTreeMap<String, String>,
}

impl Env<'_> {
    fn now(&self) -> i64 {
        self.registry.clock().now_ms()
    }

    /// Records an event for a resource (or, with the stack's name, the stack itself).
    fn event(
        &self,
        stack: &mut Stack,
        logical_id: &str,
        physical_id: &str,
        kind: &str,
        status: &str,
        reason: Option<String>,
    ) {
        let event = StackEvent {
            event_id: self.registry.entropy().uuid("cfn-event"),
            logical_id: logical_id.to_string(),
            physical_id: physical_id.to_string(),
            kind: kind.to_string(),
            status: status.to_string(),
            status_reason: reason,
            timestamp_ms: self.now(),
        };
        stack.events.push(event);
    }

    fn stack_status(&self, stack: &mut Stack, status: &str, reason: Option<String>) {
        stack.status = status.to_string();
        stack.status_reason = reason.clone();
        let (name, id) = (stack.name.clone(), stack.id.clone());
        self.event(
            stack,
            &name,
            &id,
            "AWS::CloudFormation::Stack",
            status,
            reason,
        );
    }

    fn context<'a>(&'a self, stack: &'a Stack, logical_id: &'a str) -> Context<'a> {
        Context {
            registry: self.registry,
            pki: self.pki,
            lambda: self.lambda,
            logs: self.logs,
            s3: self.s3,
            stack_name: &stack.name,
            logical_id,
        }
    }
}

/// Creates every resource of `plan` in a new stack. On failure the stack rolls back
/// (ROLLBACK_COMPLETE), unless rollback is disabled (CREATE_FAILED).
pub(crate) fn create(stack: &mut Stack, plan: &Plan, env: &Env<'_>) {
    env.stack_status(stack, "CREATE_IN_PROGRESS", Some("User Initiated".into()));
    for id in &plan.order {
        if let Err(reason) = create_one(stack, plan, id, env) {
            let why = format!(
                "The following resource(s) failed to create: [{id}]. Rollback requested by user."
            );
            let _ = reason;
            return fail_create(stack, env, why);
        }
    }
    match outputs(stack, plan, env) {
        Ok(outputs) => stack.outputs = outputs,
        Err(reason) => return fail_create(stack, env, reason),
    }
    env.stack_status(stack, "CREATE_COMPLETE", None);
}

fn fail_create(stack: &mut Stack, env: &Env<'_>, reason: String) {
    if stack.disable_rollback {
        return env.stack_status(stack, "CREATE_FAILED", Some(reason));
    }
    env.stack_status(stack, "ROLLBACK_IN_PROGRESS", Some(reason.clone()));
    delete_all(stack, env);
    env.stack_status(stack, "ROLLBACK_COMPLETE", None);
}

/// Resolves and creates one resource; its failure is recorded as an event.
fn create_one(stack: &mut Stack, plan: &Plan, id: &str, env: &Env<'_>) -> Result<(), String> {
    let decl = plan
        .resource(id)
        .ok_or_else(|| format!("{id} is not in the template"))?;
    env.event(stack, id, "", &decl.kind, "CREATE_IN_PROGRESS", None);
    let made = Made {
        resources: &stack.resources,
        exports: env.exports,
    };
    let scope = plan.scope(&made);
    let resolved = resolve_some(&decl.properties, &scope, id).map_err(|e| e.to_string());
    let result = resolved.and_then(|props| {
        let created =
            providers::create(&decl.kind, &props, &env.context(stack, id)).map_err(|e| e.0)?;
        Ok((props, created))
    });
    match result {
        Ok((properties, created)) => {
            let resource = StackResource {
                logical_id: id.to_string(),
                kind: decl.kind.clone(),
                physical_id: created.physical_id.clone(),
                status: "CREATE_COMPLETE".into(),
                status_reason: None,
                timestamp_ms: env.now(),
                attributes: created.attributes,
                properties,
                deletion_policy: decl.deletion_policy.clone(),
            };
            stack.resources.retain(|r| r.logical_id != id);
            stack.resources.push(resource);
            env.event(
                stack,
                id,
                &created.physical_id,
                &decl.kind,
                "CREATE_COMPLETE",
                None,
            );
            Ok(())
        }
        Err(reason) => {
            env.event(
                stack,
                id,
                "",
                &decl.kind,
                "CREATE_FAILED",
                Some(reason.clone()),
            );
            Err(reason)
        }
    }
}

/// Deletes one resource (unless retained); its failure is recorded as an event.
fn delete_one(stack: &mut Stack, resource: &StackResource, env: &Env<'_>) -> Result<(), String> {
    let (id, physical, kind) = (&resource.logical_id, &resource.physical_id, &resource.kind);
    if resource.deletion_policy == "Retain" {
        env.event(stack, id, physical, kind, "DELETE_SKIPPED", None);
        stack.resources.retain(|r| r.logical_id != *id);
        return Ok(());
    }
    env.event(stack, id, physical, kind, "DELETE_IN_PROGRESS", None);
    match providers::delete(
        kind,
        physical,
        &resource.properties,
        &env.context(stack, id),
    ) {
        Ok(()) => {
            env.event(stack, id, physical, kind, "DELETE_COMPLETE", None);
            stack.resources.retain(|r| r.logical_id != *id);
            Ok(())
        }
        Err(e) => {
            env.event(
                stack,
                id,
                physical,
                kind,
                "DELETE_FAILED",
                Some(e.0.clone()),
            );
            Err(e.0)
        }
    }
}

/// Deletes every resource in reverse creation order; the ids that failed.
fn delete_all(stack: &mut Stack, env: &Env<'_>) -> Vec<String> {
    let mut failed = Vec::new();
    for resource in stack.resources.clone().into_iter().rev() {
        if delete_one(stack, &resource, env).is_err() {
            failed.push(resource.logical_id.clone());
        }
    }
    failed
}

/// DeleteStack: DELETE_COMPLETE, or DELETE_FAILED naming what could not be deleted.
pub(crate) fn delete(stack: &mut Stack, env: &Env<'_>) {
    env.stack_status(stack, "DELETE_IN_PROGRESS", Some("User Initiated".into()));
    let failed = delete_all(stack, env);
    if !failed.is_empty() {
        let reason = format!(
            "The following resource(s) failed to delete: [{}]. ",
            failed.join(", ")
        );
        return env.stack_status(stack, "DELETE_FAILED", Some(reason));
    }
    stack.deletion_time_ms = Some(env.now());
    stack.outputs.clear();
    env.stack_status(stack, "DELETE_COMPLETE", None);
}

/// The template's outputs, resolved against the created resources.
fn outputs(stack: &Stack, plan: &Plan, env: &Env<'_>) -> Result<Vec<Output>, String> {
    let made = Made {
        resources: &stack.resources,
        exports: env.exports,
    };
    let scope = plan.scope(&made);
    let mut out = Vec::new();
    for (key, decl) in &plan.template.outputs {
        if let Some(cond) = decl.get("Condition").and_then(Value::as_str) {
            if plan.conditions.get(cond) != Some(&true) {
                continue;
            }
        }
        let value = decl
            .get("Value")
            .ok_or_else(|| format!("Output {key} has no Value"))?;
        let value = resolve_some(value, &scope, key).map_err(|e| e.to_string())?;
        let export = match decl.get("Export").and_then(|e| e.get("Name")) {
            Some(name) => Some(text(
                &resolve_some(name, &scope, key).map_err(|e| e.to_string())?,
            )),
            None => None,
        };
        out.push(Output {
            key: key.clone(),
            value: text(&value),
            description: decl
                .get("Description")
                .and_then(Value::as_str)
                .map(str::to_string),
            export_name: export,
        });
    }
    Ok(out)
}

/// An output value as CloudFormation prints it (lists joined with commas).
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}
