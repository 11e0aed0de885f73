//! The CloudFormation engine's operations, each finished before it returns: change sets
//! (create, describe, execute, delete, list), stacks (create, update, delete, describe,
//! list) and what they hold (events, resources, template). Stacks live in the registry.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::changes;
use super::deploy::{self, Env};
use super::error::{CfnError, CfnResult};
use super::intrinsic::Pseudo;
use super::params::Given;
use super::plan::Plan;
use super::stack::{ChangeSet, Stack};
use crate::lambda::Lambda;
use crate::logs::Logs;
use crate::pki::Pki;
use crate::registry::Registry;
use crate::s3::S3;

/// What CreateChangeSet, CreateStack and UpdateStack bring.
#[derive(Debug, Clone, Default)]
pub struct StackRequest {
    pub stack_name: String,
    pub template_body: Option<String>,
    pub use_previous_template: bool,
    pub parameters: Given,
    pub capabilities: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub disable_rollback: bool,
    /// Change sets only.
    pub change_set_name: Option<String>,
    /// `CREATE` or `UPDATE` (change sets only).
    pub change_set_type: Option<String>,
    pub description: Option<String>,
}

/// The CloudFormation engine (cheap to clone). Stack operations run one at a time.
#[derive(Clone)]
pub struct CloudFormation {
    registry: Registry,
    pki: Pki,
    lambda: Lambda,
    logs: Logs,
    s3: S3,
    serial: Arc<Mutex<()>>,
}

impl std::fmt::Debug for CloudFormation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudFormation").finish_non_exhaustive()
    }
}

fn no_stack(name: &str) -> CfnError {
    CfnError::ValidationError(format!("Stack with id {name} does not exist"))
}

impl CloudFormation {
    /// The engine over the region's registry and the engines its resources live in.
    pub fn new(registry: Registry, pki: Pki, lambda: Lambda, logs: Logs, s3: S3) -> Self {
        CloudFormation {
            registry,
            pki,
            lambda,
            logs,
            s3,
            serial: Arc::new(Mutex::new(())),
        }
    }

    fn env<'a>(&'a self, exports: &'a BTreeMap<String, String>) -> Env<'a> {
        Env {
            registry: &self.registry,
            pki: &self.pki,
            lambda: &self.lambda,
            logs: &self.logs,
            s3: &self.s3,
            exports,
        }
    }

    fn serial(&self) -> MutexGuard<'_, ()> {
        self.serial.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Every stack, oldest first.
    pub fn stacks(&self) -> Vec<Stack> {
        let mut all: Vec<Stack> = self
            .registry
            .stack_records()
            .into_iter()
            .filter_map(Stack::from_document)
            .collect();
        all.sort_by(|a, b| (a.creation_time_ms, &a.id).cmp(&(b.creation_time_ms, &b.id)));
        all
    }

    /// The stack a name (live stacks only) or stack id (any) names.
    pub fn find(&self, name_or_id: &str) -> CfnResult<Stack> {
        if name_or_id.starts_with("arn:") {
            let found = self
                .registry
                .stack_record(name_or_id)
                .and_then(Stack::from_document);
            return found.ok_or_else(|| no_stack(name_or_id));
        }
        let live = self
            .stacks()
            .into_iter()
            .find(|s| s.name == name_or_id && s.is_live());
        live.ok_or_else(|| no_stack(name_or_id))
    }

    pub(super) fn save(&self, stack: &Stack) -> CfnResult<()> {
        self.registry
            .put_stack_record(&stack.id, stack.to_document())
            .map_err(|e| CfnError::ValidationError(e.message))
    }

    pub(super) fn pseudo(&self, stack_name: &str, stack_id: &str) -> Pseudo {
        let account = self.registry.account();
        Pseudo {
            account_id: account.account_id.clone(),
            region: account.region.clone(),
            partition: account.partition().to_string(),
            url_suffix: crate::registry::arn::dns_suffix(&account.region).to_string(),
            stack_name: stack_name.to_string(),
            stack_id: stack_id.to_string(),
        }
    }

    pub(super) fn new_id(&self, kind: &str, name: &str) -> String {
        let account = self.registry.account();
        let uuid = self.registry.entropy().uuid("cfn-id");
        format!(
            "arn:{}:cloudformation:{}:{}:{kind}/{name}/{uuid}",
            account.partition(),
            account.region,
            account.account_id
        )
    }

    fn exports(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for stack in self.stacks().into_iter().filter(Stack::is_live) {
            for o in stack.outputs {
                if let Some(name) = o.export_name {
                    out.insert(name, o.value);
                }
            }
        }
        out
    }

    /// CreateChangeSet: the change set's id and the stack's.
    pub fn create_change_set(&self, request: &StackRequest) -> CfnResult<(String, String)> {
        let _serial = self.serial();
        changes::create_change_set(self, request)
    }

    /// The change set `name_or_id` of the stack `stack` (a name, an id, or `None` when
    /// the change set is named by its ARN).
    pub fn change_set(
        &self,
        stack: Option<&str>,
        name_or_id: &str,
    ) -> CfnResult<(Stack, ChangeSet)> {
        changes::find_change_set(self, stack, name_or_id)
    }

    /// ExecuteChangeSet: runs it to the end before returning.
    pub fn execute_change_set(
        &self,
        stack: Option<&str>,
        name_or_id: &str,
        disable_rollback: bool,
    ) -> CfnResult<()> {
        let _serial = self.serial();
        let (mut stack, change_set) = self.change_set(stack, name_or_id)?;
        if change_set.execution_status != "AVAILABLE" {
            return Err(CfnError::InvalidChangeSetStatus(format!(
                "ChangeSet [{}] cannot be executed in its current execution status of [{}]",
                change_set.id, change_set.execution_status
            )));
        }
        stack.disable_rollback = disable_rollback;
        let previous = stack.parameters.clone();
        let given: Given = change_set
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        let plan = Plan::make(
            &change_set.template_body,
            &given,
            &previous,
            self.pseudo(&stack.name, &stack.id),
        )?;
        for cs in stack.change_sets.iter_mut() {
            cs.execution_status = if cs.id == change_set.id {
                "EXECUTE_COMPLETE"
            } else {
                "OBSOLETE"
            }
            .into();
        }
        self.run(&mut stack, &plan, &change_set)
    }

    fn run(&self, stack: &mut Stack, plan: &Plan, change_set: &ChangeSet) -> CfnResult<()> {
        let exports = self.exports();
        let env = self.env(&exports);
        let (old_template, old_params) = (stack.template_body.clone(), stack.parameters.clone());
        stack.template_body = change_set.template_body.clone();
        stack.parameters = plan.parameter_values();
        stack.no_echo = plan.no_echo();
        stack.capabilities = change_set.capabilities.clone();
        stack.description = plan.template.description.clone();
        let ok = if change_set.kind == "CREATE" {
            deploy::create(stack, plan, &env);
            true
        } else {
            deploy::update(stack, plan, &env)
        };
        if !ok {
            stack.template_body = old_template;
            stack.parameters = old_params;
        }
        stack.change_sets.clear();
        self.save(stack)
    }

    /// DeleteChangeSet.
    pub fn delete_change_set(&self, stack: Option<&str>, name_or_id: &str) -> CfnResult<()> {
        let _serial = self.serial();
        let (mut stack, change_set) = self.change_set(stack, name_or_id)?;
        stack.change_sets.retain(|c| c.id != change_set.id);
        let review_only = stack.status == "REVIEW_IN_PROGRESS" && stack.change_sets.is_empty();
        if review_only {
            stack.status = "DELETE_COMPLETE".into();
            stack.deletion_time_ms = Some(self.registry.clock().now_ms());
        }
        self.save(&stack)
    }

    /// CreateStack: a CREATE change set made and executed at once.
    pub fn create_stack(&self, request: &StackRequest) -> CfnResult<String> {
        let mut request = request.clone();
        request.change_set_type = Some("CREATE".into());
        request.change_set_name = Some(format!(
            "create-{}",
            self.registry.entropy().hex("cfn-direct", 6)
        ));
        self.direct(&request)
    }

    /// UpdateStack: an UPDATE change set made and executed at once.
    pub fn update_stack(&self, request: &StackRequest) -> CfnResult<String> {
        let mut request = request.clone();
        request.change_set_type = Some("UPDATE".into());
        request.change_set_name = Some(format!(
            "update-{}",
            self.registry.entropy().hex("cfn-direct", 6)
        ));
        self.direct(&request)
    }

    fn direct(&self, request: &StackRequest) -> CfnResult<String> {
        let (change_set_id, stack_id) = self.create_change_set(request)?;
        let (_, change_set) = self.change_set(Some(&stack_id), &change_set_id)?;
        if change_set.status == "FAILED" {
            let reason = change_set.status_reason.unwrap_or_default();
            if request.change_set_type.as_deref() == Some("UPDATE")
                && reason.contains("didn't contain changes")
            {
                return Err(CfnError::ValidationError(
                    "No updates are to be performed.".into(),
                ));
            }
            let _ = self.delete_change_set(Some(&stack_id), &change_set_id);
            return Err(CfnError::ValidationError(reason));
        }
        self.execute_change_set(Some(&stack_id), &change_set_id, request.disable_rollback)?;
        Ok(stack_id)
    }

    /// DeleteStack: succeeds (and does nothing) for a stack that does not exist.
    pub fn delete_stack(&self, name_or_id: &str) -> CfnResult<()> {
        let _serial = self.serial();
        let Ok(mut stack) = self.find(name_or_id) else {
            return Ok(());
        };
        if stack.status == "DELETE_COMPLETE" {
            return Ok(());
        }
        let exports = self.exports();
        let env = self.env(&exports);
        deploy::delete(&mut stack, &env);
        stack.change_sets.clear();
        self.save(&stack)
    }
}
