//! Things: records, attribute rules, principals and the thing operations.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A thing, keyed by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Thing {
    pub thing_name: String,
    pub thing_id: String,
    pub thing_type_name: Option<String>,
    pub attributes: BTreeMap<String, String>,
    pub version: i64,
    pub billing_group_name: Option<String>,
    /// Attached principals (certificate ARNs) and their `thingPrincipalType`.
    pub principals: BTreeMap<String, String>,
    /// Names of the static thing groups it belongs to.
    pub thing_groups: Vec<String>,
    pub creation_date_ms: i64,
}
