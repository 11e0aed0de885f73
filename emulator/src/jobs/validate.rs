//! Checks of the members of CreateJob's configuration blocks, with AWS's model-validation
//! messages ("1 validation error detected: Value '…' at '…' failed to satisfy
//! constraint: …"), all `InvalidRequestException`.

use serde_json::{Map, Value};

use crate::registry::{IotError, IotResult};

fn violation(value: &Value, at: &str, constraint: &str) -> IotError {
    let shown = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    IotError::invalid(format!(
        "1 validation error detected: Value '{shown}' at '{at}' failed to satisfy constraint: {constraint}"
    ))
}

/// `v` as an object.
pub fn object<'a>(at: &str, v: &'a Value) -> IotResult<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| IotError::invalid(format!("{at} must be an object")))
}

/// A member the emulator does not know is refused, never ignored. A choice (README "Jobs"):
/// AWS's parser would drop it.
pub fn members(at: &str, block: &Map<String, Value>, known: &[&str]) -> IotResult<()> {
    match block.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(IotError::invalid(format!(
            "{at} has no member {k} (it has {})",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// A required member.
pub fn required<'a>(at: &str, block: &'a Map<String, Value>, key: &str) -> IotResult<&'a Value> {
    match block.get(key) {
        Some(v) if !v.is_null() => Ok(v),
        _ => Err(violation(
            &Value::Null,
            &format!("{at}.{key}"),
            "Member must not be null",
        )),
    }
}

/// An integer member within `lo..=hi`.
pub fn int_in(at: &str, key: &str, v: &Value, lo: i64, hi: i64) -> IotResult<i64> {
    let path = format!("{at}.{key}");
    let Some(n) = v.as_i64() else {
        return Err(IotError::invalid(format!("{path} must be an integer")));
    };
    if n < lo {
        let constraint = format!("Member must have value greater than or equal to {lo}");
        return Err(violation(v, &path, &constraint));
    }
    if n > hi {
        let constraint = format!("Member must have value less than or equal to {hi}");
        return Err(violation(v, &path, &constraint));
    }
    Ok(n)
}

/// A string member with a length within `lo..=hi`.
pub fn string_len(at: &str, key: &str, v: &Value, lo: usize, hi: usize) -> IotResult<()> {
    let path = format!("{at}.{key}");
    let Some(s) = v.as_str() else {
        return Err(IotError::invalid(format!("{path} must be a string")));
    };
    let n = s.chars().count();
    if n < lo || n > hi {
        let constraint = format!("Member must have length between {lo} and {hi}");
        return Err(violation(v, &path, &constraint));
    }
    Ok(())
}
