//! The JSON documents the service answers with and publishes (spec §1.5, §1.6, §1.8):
//! the full document, `/update/documents` snapshots, delta events, delete and error
//! replies. Timestamps are integer epoch seconds.

use serde_json::{json, Map, Value};

use super::delta::{delta, delta_metadata};
use super::error::ShadowError;
use crate::registry::shadow::ShadowDocument;

fn with_token(mut body: Value, token: Option<&str>) -> Value {
    if let (Some(token), Value::Object(map)) = (token, &mut body) {
        map.insert("clientToken".into(), json!(token));
    }
    body
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<&Map<String, Value>>) {
    if let Some(value) = value {
        map.insert(key.into(), Value::Object(value.clone()));
    }
}

/// The delta of `doc` and its metadata; `None` when desired and reported agree.
pub fn delta_of(doc: &ShadowDocument) -> Option<(Map<String, Value>, Map<String, Value>)> {
    let desired = doc.desired.as_ref()?;
    let d = delta(desired, doc.reported.as_ref());
    if d.is_empty() {
        return None;
    }
    let empty = Map::new();
    let meta = delta_metadata(&d, doc.metadata_desired.as_ref().unwrap_or(&empty));
    Some((d, meta))
}

/// `/get/accepted` and GetThingShadow: full state (with `delta` when non-empty),
/// metadata, version and time.
pub fn full(doc: &ShadowDocument, version: u64, ts: i64, token: Option<&str>) -> Value {
    let (mut state, mut meta) = (Map::new(), Map::new());
    put(&mut state, "desired", doc.desired.as_ref());
    put(&mut state, "reported", doc.reported.as_ref());
    if let Some((d, _)) = delta_of(doc) {
        state.insert("delta".into(), Value::Object(d));
    }
    put(&mut meta, "desired", doc.metadata_desired.as_ref());
    put(&mut meta, "reported", doc.metadata_reported.as_ref());
    let body = json!({ "state": state, "metadata": meta, "version": version, "timestamp": ts });
    with_token(body, token)
}

/// One side of `/update/documents`: desired and reported, their metadata, the version.
pub fn snapshot(doc: &ShadowDocument, version: u64) -> Value {
    let (mut state, mut meta) = (Map::new(), Map::new());
    put(&mut state, "desired", doc.desired.as_ref());
    put(&mut state, "reported", doc.reported.as_ref());
    put(&mut meta, "desired", doc.metadata_desired.as_ref());
    put(&mut meta, "reported", doc.metadata_reported.as_ref());
    json!({ "state": state, "metadata": meta, "version": version })
}

/// `/update/documents`; `previous` is `null` for the update that created the shadow.
pub fn documents(previous: Option<Value>, current: Value, ts: i64, token: Option<&str>) -> Value {
    let body = json!({ "previous": previous, "current": current, "timestamp": ts });
    with_token(body, token)
}

/// `/update/accepted` and UpdateThingShadow's body.
pub fn accepted(
    state: Value,
    metadata: Value,
    version: u64,
    ts: i64,
    token: Option<&str>,
) -> Value {
    let body = json!({ "state": state, "metadata": metadata, "version": version, "timestamp": ts });
    with_token(body, token)
}

/// `/update/delta`: the delta sits directly in `state`.
pub fn delta_event(
    delta: Map<String, Value>,
    meta: Map<String, Value>,
    version: u64,
    ts: i64,
    token: Option<&str>,
) -> Value {
    let body = json!({ "version": version, "timestamp": ts, "state": delta, "metadata": meta });
    with_token(body, token)
}

/// `/delete/accepted` and DeleteThingShadow's body: the version at deletion.
pub fn deleted(version: u64, ts: i64, token: Option<&str>) -> Value {
    with_token(json!({ "version": version, "timestamp": ts }), token)
}

/// A `/rejected` payload. A 404 carries no timestamp, as AWS's does.
pub fn rejected(error: &ShadowError, ts: i64, token: Option<&str>) -> Value {
    let mut body = json!({ "code": error.code(), "message": error.to_string() });
    if !matches!(error, ShadowError::NotFound(_)) {
        body["timestamp"] = json!(ts);
    }
    with_token(body, token)
}
