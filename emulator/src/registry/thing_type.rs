//! Thing types: records, deprecation and the thing-type operations.

use serde::{Deserialize, Serialize};

/// A thing type, keyed by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThingType {
    pub thing_type_name: String,
    pub thing_type_id: String,
    /// The wire shape `ThingTypeProperties`, kept as sent.
    pub properties: serde_json::Value,
    pub deprecated: bool,
    pub deprecation_date_ms: Option<i64>,
    pub creation_date_ms: i64,
}
