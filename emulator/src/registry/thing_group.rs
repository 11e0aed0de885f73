//! Static thing groups: records, the parent hierarchy and the thing-group operations.

use serde::{Deserialize, Serialize};

/// A thing group, keyed by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThingGroup {
    pub thing_group_name: String,
    pub thing_group_id: String,
    pub parent_group_name: Option<String>,
    /// The wire shape `ThingGroupProperties`, kept as sent.
    pub properties: serde_json::Value,
    pub version: i64,
    pub creation_date_ms: i64,
}
