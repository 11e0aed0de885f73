//! Device requests (MQTT payloads and iot-jobs-data bodies share their fields), parsed
//! and checked: bad types and values are InvalidRequest.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::machine::{Update, MAX_TIMER_MINUTES};
use super::DeviceError;
use crate::registry::job::ExecStatus;

/// AWS: at most 10 `statusDetails` pairs.
const MAX_DETAILS: usize = 10;

/// `includeJobDocument` and the like; absent is `default`.
pub fn flag(body: &Map<String, Value>, name: &str, default: bool) -> Result<bool, DeviceError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(DeviceError::invalid(format!("{name} must be a boolean"))),
    }
}

/// A number, also accepted as a numeric string (DG examples send `"expectedVersion":"1"`).
pub fn number(body: &Map<String, Value>, name: &str) -> Result<Option<i64>, DeviceError> {
    let bad = || DeviceError::invalid(format!("{name} must be a number"));
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

/// `statusDetails`: up to 10 pairs, keys of `[a-zA-Z0-9:_-]` (1–128), values of 1–1024
/// printable characters.
pub fn status_details(
    body: &Map<String, Value>,
) -> Result<Option<BTreeMap<String, String>>, DeviceError> {
    let map = match body.get("statusDetails") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(DeviceError::invalid(
                "statusDetails must be a map of strings",
            ))
        }
    };
    if map.len() > MAX_DETAILS {
        return Err(DeviceError::invalid(format!(
            "statusDetails may have at most {MAX_DETAILS} entries"
        )));
    }
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let key_ok = (1..=128).contains(&k.len())
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || ":_-".contains(c));
        let Some(v) = v.as_str() else {
            return Err(DeviceError::invalid(format!(
                "statusDetails.{k} must be a string"
            )));
        };
        let value_ok = (1..=1024).contains(&v.chars().count()) && !v.chars().any(char::is_control);
        if !key_ok || !value_ok {
            return Err(DeviceError::invalid(format!(
                "statusDetails.{k} is not valid"
            )));
        }
        out.insert(k.clone(), v.to_string());
    }
    Ok(Some(out))
}

/// `stepTimeoutInMinutes`: 1–10080, or `-1` (updates only) to clear the timer.
pub fn step_timeout(
    body: &Map<String, Value>,
    allow_clear: bool,
) -> Result<Option<i64>, DeviceError> {
    match number(body, "stepTimeoutInMinutes")? {
        None => Ok(None),
        Some(-1) if allow_clear => Ok(Some(-1)),
        Some(m) if (1..=MAX_TIMER_MINUTES).contains(&m) => Ok(Some(m)),
        Some(m) => Err(DeviceError::invalid(format!(
            "stepTimeoutInMinutes {m} is not between 1 and {MAX_TIMER_MINUTES}"
        ))),
    }
}

/// UpdateJobExecution's body.
pub fn update(body: &Map<String, Value>) -> Result<Update, DeviceError> {
    let status = match body.get("status") {
        Some(Value::String(s)) => ExecStatus::parse(s)
            .ok_or_else(|| DeviceError::invalid(format!("Status {s} is not valid")))?,
        Some(_) => return Err(DeviceError::invalid("status must be a string")),
        None => return Err(DeviceError::invalid("status is required")),
    };
    Ok(Update {
        status: Some(status),
        status_details: status_details(body)?,
        expected_version: number(body, "expectedVersion")?,
        execution_number: number(body, "executionNumber")?,
        step_timeout_minutes: step_timeout(body, true)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn update_bodies_are_checked() {
        let u = update(&body(
            json!({"status": "IN_PROGRESS", "expectedVersion": "2",
            "statusDetails": {"progress": "10%"}, "stepTimeoutInMinutes": -1}),
        ))
        .unwrap();
        assert_eq!(u.status, Some(ExecStatus::InProgress));
        assert_eq!(u.expected_version, Some(2));
        assert_eq!(u.step_timeout_minutes, Some(-1));
        for bad in [
            json!({}),
            json!({"status": 1}),
            json!({"status": "DONE"}),
            json!({"status": "SUCCEEDED", "statusDetails": {"k": 1}}),
            json!({"status": "SUCCEEDED", "statusDetails": {"bad key": "v"}}),
            json!({"status": "SUCCEEDED", "stepTimeoutInMinutes": 0}),
            json!({"status": "SUCCEEDED", "expectedVersion": "x"}),
        ] {
            assert!(update(&body(bad.clone())).is_err(), "{bad}");
        }
    }
}
