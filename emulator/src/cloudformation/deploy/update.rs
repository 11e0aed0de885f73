//! Updating a stack: unchanged resources stay, changed ones are updated in place or
//! replaced, new ones made, removed ones deleted; a failure rolls every step back.

use super::*;

/// Undo steps of an update, applied in reverse on rollback.
pub(super) enum Undo {
    /// Updated in place: its old properties go back.
    Revert(StackResource),
    Delete(StackResource),
    Recreate(StackResource),
    /// A replaced resource kept by `UpdateReplacePolicy: Retain`: back in the stack.
    Restore(StackResource),
}

/// Runs an UPDATE: unchanged resources stay, changed ones are replaced, new ones made,
/// and those no longer in the template deleted. `false` after a rollback.
pub(crate) fn update(stack: &mut Stack, plan: &Plan, env: &Env<'_>) -> bool {
    env.stack_status(stack, "UPDATE_IN_PROGRESS", Some("User Initiated".into()));
    let mut undo = Vec::new();
    for id in &plan.order {
        if let Err(reason) = update_one(stack, plan, id, env, &mut undo) {
            let _ = reason;
            let why = format!("The following resource(s) failed to update: [{id}]. ");
            roll_back_update(stack, env, undo, why);
            return false;
        }
    }
    let outputs = match outputs(stack, plan, env) {
        Ok(outputs) => outputs,
        Err(reason) => {
            roll_back_update(stack, env, undo, reason);
            return false;
        }
    };
    env.stack_status(stack, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None);
    let gone: Vec<StackResource> = stack
        .resources
        .iter()
        .filter(|r| !plan.order.contains(&r.logical_id))
        .cloned()
        .collect();
    for resource in gone.iter().rev() {
        let _ = delete_one(stack, resource, env);
    }
    stack.outputs = outputs;
    stack.last_updated_ms = Some(env.now());
    env.stack_status(stack, "UPDATE_COMPLETE", None);
    true
}

fn update_one(
    stack: &mut Stack,
    plan: &Plan,
    id: &str,
    env: &Env<'_>,
    undo: &mut Vec<Undo>,
) -> Result<(), String> {
    let decl = plan
        .resource(id)
        .ok_or_else(|| format!("{id} is not in the template"))?;
    let made = Made {
        resources: &stack.resources,
        exports: env.exports,
    };
    let resolved =
        resolve_some(&decl.properties, &plan.scope(&made), id).map_err(|e| e.to_string())?;
    let Some(old) = stack.resource(id).cloned() else {
        create_one(stack, plan, id, env)?;
        undo.push(Undo::Delete(
            stack.resource(id).cloned().expect("just created"),
        ));
        return Ok(());
    };
    if old.kind == decl.kind && old.properties == resolved {
        return Ok(());
    }
    let changed = providers::changed_keys(&old.properties, &resolved);
    if old.kind == decl.kind && providers::in_place(&old.kind, &changed) {
        return in_place::update(stack, id, old, resolved, env, undo);
    }
    // Replaced (deleted, then made again): a property that requires it changed, or a
    // type the emulator does not update in place.
    let why =
        "Requested update requires the creation of a new physical resource; hence creating one.";
    env.event(
        stack,
        id,
        &old.physical_id,
        &old.kind,
        "UPDATE_IN_PROGRESS",
        Some(why.into()),
    );
    if decl.update_replace_policy == "Retain" {
        env.event(
            stack,
            id,
            &old.physical_id,
            &old.kind,
            "DELETE_SKIPPED",
            None,
        );
        stack.resources.retain(|r| r.logical_id != id);
        undo.push(Undo::Restore(old));
    } else {
        delete_one(stack, &old, env)?;
        undo.push(Undo::Recreate(old));
    }
    create_one(stack, plan, id, env)?;
    undo.push(Undo::Delete(
        stack.resource(id).cloned().expect("just created"),
    ));
    Ok(())
}

fn roll_back_update(stack: &mut Stack, env: &Env<'_>, undo: Vec<Undo>, reason: String) {
    env.stack_status(stack, "UPDATE_ROLLBACK_IN_PROGRESS", Some(reason));
    for step in undo.into_iter().rev() {
        match step {
            Undo::Delete(made) => {
                let _ = delete_one(stack, &made, env);
            }
            Undo::Recreate(old) => recreate(stack, &old, env),
            Undo::Restore(old) => stack.resources.push(old),
            Undo::Revert(old) => in_place::revert(stack, old, env),
        }
    }
    env.stack_status(stack, "UPDATE_ROLLBACK_COMPLETE", None);
}

/// Makes a deleted resource again from the properties it had.
fn recreate(stack: &mut Stack, old: &StackResource, env: &Env<'_>) {
    let id = old.logical_id.clone();
    env.event(stack, &id, "", &old.kind, "CREATE_IN_PROGRESS", None);
    match providers::create(&old.kind, &old.properties, &env.context(stack, &id)) {
        Ok(created) => {
            let mut again = old.clone();
            again.physical_id = created.physical_id.clone();
            again.attributes = created.attributes;
            stack.resources.push(again);
            env.event(
                stack,
                &id,
                &created.physical_id,
                &old.kind,
                "CREATE_COMPLETE",
                None,
            );
        }
        Err(e) => env.event(stack, &id, "", &old.kind, "CREATE_FAILED", Some(e.0)),
    }
}
