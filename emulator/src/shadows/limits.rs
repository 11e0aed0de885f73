//! What a shadow request may be: the request document's shape (AWS's validation order
//! and messages, spec §1.4), nesting depth, document size and the names in topics and
//! paths.

use serde_json::{Map, Value};

use super::error::{ShadowError, ShadowResult};

/// The most keys on any path below `desired` or `reported` ("maximum is 6" counts the
/// section itself as level 1).
pub const MAX_DEPTH: usize = 5;
/// The most bytes of `desired` + `reported` (serialized JSON) after the merge.
pub const MAX_DOCUMENT_BYTES: usize = 8192;
/// The longest `clientToken`, in bytes.
pub const MAX_CLIENT_TOKEN_BYTES: usize = 64;

/// One section of an update: not mentioned, `null` (removed), or merged in.
#[derive(Debug, Clone, PartialEq)]
pub enum Section {
    Absent,
    Clear,
    Merge(Map<String, Value>),
}

/// A checked update request. `state: None` is `"state": null` (both sections removed).
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateRequest {
    pub state: Option<(Section, Section)>,
    pub version: Option<u64>,
}

/// The payload as a JSON object and its `clientToken`. An empty payload is `{}` where
/// `empty_ok` (get and delete, which SDKs send empty).
pub fn envelope(
    payload: &[u8],
    empty_ok: bool,
) -> ShadowResult<(Map<String, Value>, Option<String>)> {
    if payload.is_empty() && empty_ok {
        return Ok((Map::new(), None));
    }
    let text = std::str::from_utf8(payload).map_err(|_| ShadowError::UnsupportedEncoding)?;
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return Err(ShadowError::invalid("Invalid JSON"));
    };
    let token = match map.get("clientToken") {
        None => None,
        Some(Value::String(t)) if t.len() <= MAX_CLIENT_TOKEN_BYTES => Some(t.clone()),
        Some(_) => return Err(ShadowError::invalid("Invalid clientToken")),
    };
    Ok((map, token))
}

/// Checks an update request's body (after [`envelope`]); keys other than `state`,
/// `clientToken` and `version` are ignored, as on AWS.
pub fn update_request(body: &Map<String, Value>) -> ShadowResult<UpdateRequest> {
    let state = match body.get("state") {
        None => return Err(ShadowError::invalid("Missing required node: state")),
        Some(Value::Null) => None,
        Some(Value::Object(state)) => Some(sections(state)?),
        Some(_) => return Err(ShadowError::invalid("State node must be an object")),
    };
    let version = match body.get("version") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .ok_or_else(|| ShadowError::invalid("Invalid version"))?,
        ),
    };
    Ok(UpdateRequest { state, version })
}

fn sections(state: &Map<String, Value>) -> ShadowResult<(Section, Section)> {
    if let Some(key) = state.keys().find(|k| *k != "desired" && *k != "reported") {
        let message = format!("State contains an invalid node: '{key}'");
        return Err(ShadowError::InvalidRequest(message));
    }
    let desired = section(state.get("desired"), "Desired")?;
    let reported = section(state.get("reported"), "Reported")?;
    for section in [&desired, &reported] {
        if let Section::Merge(map) = section {
            check_values(map)?;
        }
    }
    Ok((desired, reported))
}

fn section(value: Option<&Value>, label: &str) -> ShadowResult<Section> {
    match value {
        None => Ok(Section::Absent),
        Some(Value::Null) => Ok(Section::Clear),
        Some(Value::Object(map)) => Ok(Section::Merge(map.clone())),
        Some(_) => Err(ShadowError::invalid(format!(
            "{label} node must be an object"
        ))),
    }
}

/// Nesting depth below the section, then arrays holding `null`.
fn check_values(section: &Map<String, Value>) -> ShadowResult<()> {
    if section.values().any(|v| depth(v) + 1 > MAX_DEPTH) {
        let text = "JSON contains too many levels of nesting; maximum is 6";
        return Err(ShadowError::invalid(text));
    }
    if section.values().any(null_in_array) {
        return Err(ShadowError::invalid("Invalid JSON"));
    }
    Ok(())
}

/// Levels of objects and arrays in `value` (0 for a scalar).
pub fn depth(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn null_in_array(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.values().any(null_in_array),
        Value::Array(items) => items.iter().any(|v| v.is_null() || null_in_array(v)),
        _ => false,
    }
}

/// The bytes `desired` and `reported` take, serialized, as the size limit counts them.
pub fn document_bytes(
    desired: Option<&Map<String, Value>>,
    reported: Option<&Map<String, Value>>,
) -> usize {
    let size = |m: Option<&Map<String, Value>>| {
        m.map_or(0, |m| Value::Object(m.clone()).to_string().len())
    };
    size(desired) + size(reported)
}

/// `thingName`: `[a-zA-Z0-9:_-]+`, 1..=128 (the iot-data model).
pub fn thing_name(name: &str) -> ShadowResult<()> {
    name_pattern("thingName", name, 128, "[a-zA-Z0-9:_-]+", |c| {
        c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-')
    })
}

/// `shadowName`: `[$a-zA-Z0-9:_-]+`, 1..=64 (the iot-data model).
pub fn shadow_name(name: &str) -> ShadowResult<()> {
    name_pattern("shadowName", name, 64, "[$a-zA-Z0-9:_-]+", |c| {
        c.is_ascii_alphanumeric() || matches!(c, '$' | ':' | '_' | '-')
    })
}

// A choice: AWS documents no message for a bad name; this is the wording of its request
// validation elsewhere ("1 validation error detected: ...").
fn name_pattern(
    field: &str,
    value: &str,
    max: usize,
    regex: &str,
    ok: impl Fn(char) -> bool,
) -> ShadowResult<()> {
    let prefix = format!("1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must");
    let len = value.chars().count();
    if len == 0 || len > max {
        let text = format!("{prefix} have length between 1 and {max}");
        return Err(ShadowError::InvalidRequest(text));
    }
    if !value.chars().all(ok) {
        let text = format!("{prefix} satisfy regular expression pattern: {regex}");
        return Err(ShadowError::InvalidRequest(text));
    }
    Ok(())
}
