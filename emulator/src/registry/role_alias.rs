//! Role aliases for the credentials provider, and their operations.

use serde::{Deserialize, Serialize};

/// A role alias, keyed by alias.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoleAlias {
    pub role_alias: String,
    pub role_arn: String,
    pub credential_duration_seconds: u32,
    pub owner: String,
    pub creation_date_ms: i64,
    pub last_modified_date_ms: i64,
}
