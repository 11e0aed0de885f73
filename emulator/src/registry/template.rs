//! Provisioning templates (fleet and JITP): records, versions and their operations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `preProvisioningHook`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningHook {
    pub target_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_version: Option<String>,
}

/// One version of a template body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemplateVersion {
    pub template_body: String,
    pub creation_date_ms: i64,
}

/// A provisioning template, keyed by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProvisioningTemplate {
    pub template_name: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub provisioning_role_arn: String,
    pub pre_provisioning_hook: Option<ProvisioningHook>,
    /// `FLEET_PROVISIONING` or `JITP`.
    pub template_type: String,
    pub versions: BTreeMap<u32, TemplateVersion>,
    pub default_version_id: u32,
    pub next_version_id: u32,
    pub creation_date_ms: i64,
    pub last_modified_date_ms: i64,
}
