//! Function tags: TagResource, UntagResource and ListTags on a function's ARN, next to
//! the `Tags` CreateFunction records (GetFunction shows them).

use serde_json::{json, Map, Value};

use super::error::{LambdaError, LambdaResult};
use super::Lambda;

/// AWS's limit of tags per function.
const MAX_TAGS: usize = 50;

fn tags_of(record: &super::FunctionRecord) -> Map<String, Value> {
    match record.tags() {
        Some(Value::Object(map)) => map.clone(),
        _ => Map::new(),
    }
}

impl Lambda {
    /// TagResource: `{"Tags": {key: value}}` added to or replacing the function's tags.
    pub fn tag_resource(&self, arn: &str, body: &Value) -> LambdaResult<()> {
        let given = match body.get("Tags") {
            Some(Value::Object(map)) => map.clone(),
            _ => {
                return Err(LambdaError::InvalidParameterValue(
                    "Tags must be a map of keys to values".into(),
                ))
            }
        };
        if given.values().any(|v| !v.is_string()) {
            return Err(LambdaError::InvalidParameterValue(
                "Tag values must be strings".into(),
            ));
        }
        let mut record = self.record(arn, None)?;
        let mut tags = tags_of(&record);
        tags.extend(given);
        if tags.len() > MAX_TAGS {
            return Err(LambdaError::InvalidParameterValue(format!(
                "A function has at most {MAX_TAGS} tags"
            )));
        }
        record.recorded.insert("Tags".into(), Value::Object(tags));
        self.commit_metadata(record)
    }

    /// UntagResource: removes `keys` (keys the function lacks are ignored).
    pub fn untag_resource(&self, arn: &str, keys: &[String]) -> LambdaResult<()> {
        let mut record = self.record(arn, None)?;
        let mut tags = tags_of(&record);
        for key in keys {
            tags.remove(key);
        }
        record.recorded.insert("Tags".into(), Value::Object(tags));
        self.commit_metadata(record)
    }

    /// ListTags: `{"Tags": {key: value}}`.
    pub fn list_tags(&self, arn: &str) -> LambdaResult<Value> {
        let record = self.record(arn, None)?;
        Ok(json!({ "Tags": tags_of(&record) }))
    }
}
