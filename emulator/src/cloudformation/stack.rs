//! A stack as CloudFormation reports it: status, parameters, outputs, resources, events
//! and change sets. Kept in the registry as one document per stack.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One resource of a stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackResource {
    pub logical_id: String,
    pub kind: String,
    /// Empty until created.
    pub physical_id: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub timestamp_ms: i64,
    /// What `Fn::GetAtt` returns for it.
    pub attributes: BTreeMap<String, Value>,
    /// The properties it was created with (intrinsics resolved), for updates and deletion.
    pub properties: Value,
    pub deletion_policy: String,
}

/// One line of DescribeStackEvents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackEvent {
    pub event_id: String,
    pub logical_id: String,
    pub physical_id: String,
    pub kind: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub timestamp_ms: i64,
}

/// One output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    pub key: String,
    pub value: String,
    pub description: Option<String>,
    pub export_name: Option<String>,
}

/// One change of a change set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// `Add`, `Modify` or `Remove`.
    pub action: String,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub kind: String,
    /// For `Modify`: `True` (the emulator replaces every modified resource; see the README).
    pub replacement: Option<String>,
}

/// A change set, waiting to be executed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeSet {
    pub id: String,
    pub name: String,
    /// `CREATE` or `UPDATE`.
    pub kind: String,
    /// `CREATE_COMPLETE` or `FAILED`.
    pub status: String,
    pub status_reason: Option<String>,
    /// `AVAILABLE`, `UNAVAILABLE`, `EXECUTE_COMPLETE`, `OBSOLETE`.
    pub execution_status: String,
    pub creation_time_ms: i64,
    pub template_body: String,
    pub parameters: BTreeMap<String, String>,
    pub capabilities: Vec<String>,
    pub changes: Vec<Change>,
    pub description: Option<String>,
}

/// A stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stack {
    pub id: String,
    pub name: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub creation_time_ms: i64,
    pub last_updated_ms: Option<i64>,
    pub deletion_time_ms: Option<i64>,
    pub description: Option<String>,
    /// The template the stack runs (empty in REVIEW_IN_PROGRESS).
    pub template_body: String,
    pub parameters: BTreeMap<String, String>,
    /// Parameters declared NoEcho: shown as `****`.
    pub no_echo: Vec<String>,
    pub capabilities: Vec<String>,
    pub tags: BTreeMap<String, String>,
    pub outputs: Vec<Output>,
    /// In creation order.
    pub resources: Vec<StackResource>,
    /// Oldest first (DescribeStackEvents lists newest first).
    pub events: Vec<StackEvent>,
    pub change_sets: Vec<ChangeSet>,
    pub disable_rollback: bool,
}

impl Stack {
    pub fn resource(&self, logical_id: &str) -> Option<&StackResource> {
        self.resources.iter().find(|r| r.logical_id == logical_id)
    }

    /// Whether DescribeStacks by name still shows it.
    pub fn is_live(&self) -> bool {
        self.status != "DELETE_COMPLETE"
    }

    pub fn to_document(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    pub fn from_document(document: Value) -> Option<Stack> {
        serde_json::from_value(document).ok()
    }
}
