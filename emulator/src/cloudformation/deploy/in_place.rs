//! Updating a resource where it is (same physical id), and undoing that on rollback, for
//! the changes [`crate::cloudformation::providers`] can make in place.

use serde_json::Value;

use super::{providers, Env, Stack, StackResource, Undo};

/// Updates `old` to `resolved` in place: UPDATE_IN_PROGRESS, then UPDATE_COMPLETE or
/// UPDATE_FAILED with the handler's message.
pub(super) fn update(
    stack: &mut Stack,
    id: &str,
    old: StackResource,
    resolved: Value,
    env: &Env<'_>,
    undo: &mut Vec<Undo>,
) -> Result<(), String> {
    let (kind, physical) = (old.kind.clone(), old.physical_id.clone());
    env.event(stack, id, &physical, &kind, "UPDATE_IN_PROGRESS", None);
    let result = providers::update(
        &kind,
        &physical,
        &old.properties,
        &resolved,
        &env.context(stack, id),
    );
    match result {
        Ok(made) => {
            let now = env.now();
            if let Some(r) = stack.resources.iter_mut().find(|r| r.logical_id == id) {
                r.properties = resolved;
                r.attributes = made.attributes;
                r.status = "UPDATE_COMPLETE".into();
                r.timestamp_ms = now;
            }
            env.event(stack, id, &physical, &kind, "UPDATE_COMPLETE", None);
            undo.push(Undo::Revert(old));
            Ok(())
        }
        Err(e) => {
            env.event(
                stack,
                id,
                &physical,
                &kind,
                "UPDATE_FAILED",
                Some(e.0.clone()),
            );
            Err(e.0)
        }
    }
}

/// Puts an in-place update back: the old properties applied again, the old record kept.
pub(super) fn revert(stack: &mut Stack, old: StackResource, env: &Env<'_>) {
    let id = old.logical_id.clone();
    let current = stack
        .resource(&id)
        .map(|r| r.properties.clone())
        .unwrap_or(Value::Null);
    let result = providers::update(
        &old.kind,
        &old.physical_id,
        &current,
        &old.properties,
        &env.context(stack, &id),
    );
    let (status, reason) = match result {
        Ok(_) => ("UPDATE_COMPLETE", None),
        Err(e) => ("UPDATE_FAILED", Some(e.0)),
    };
    env.event(stack, &id, &old.physical_id, &old.kind, status, reason);
    stack.resources.retain(|r| r.logical_id != id);
    stack.resources.push(old);
}
