//! IoT policies: documents, versions, attachments and the policy operations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One version of a policy document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub document: String,
    pub creation_date_ms: i64,
}

/// A policy, keyed by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Policy {
    pub policy_name: String,
    pub versions: BTreeMap<u32, PolicyVersion>,
    pub default_version_id: u32,
    pub next_version_id: u32,
    pub generation_id: String,
    pub creation_date_ms: i64,
    pub last_modified_date_ms: i64,
}

/// One attachment of a policy to a target (certificate or thing-group ARN).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyTarget {
    pub policy_name: String,
    pub target: String,
}

/// The `policy_targets` key for an attachment.
pub fn target_key(policy_name: &str, target: &str) -> String {
    format!("{policy_name}\n{target}")
}
