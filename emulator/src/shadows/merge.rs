//! Applying an update to a stored document: the section merge (objects key by key,
//! scalars and arrays replaced whole, `null` deleting) and the metadata mirror that
//! stamps each leaf the update writes.

use serde_json::{json, Map, Value};

use super::limits::Section;
use crate::registry::shadow::ShadowDocument;

/// The metadata of a freshly written value: `{"timestamp": ts}` per leaf, arrays
/// mirrored element by element, objects key by key.
pub fn stamp(value: &Value, ts: i64) -> Value {
    match value {
        Value::Object(map) => Value::Object(stamp_map(map, ts)),
        Value::Array(items) => Value::Array(items.iter().map(|v| stamp(v, ts)).collect()),
        _ => json!({ "timestamp": ts }),
    }
}

/// [`stamp`] of each value of `map`.
pub fn stamp_map(map: &Map<String, Value>, ts: i64) -> Map<String, Value> {
    map.iter().map(|(k, v)| (k.clone(), stamp(v, ts))).collect()
}

/// Merges `update` into `state`, keeping `meta` its mirror.
fn merge_into(
    state: &mut Map<String, Value>,
    meta: &mut Map<String, Value>,
    update: &Map<String, Value>,
    ts: i64,
) {
    for (key, value) in update {
        match value {
            Value::Null => {
                state.remove(key);
                meta.remove(key);
            }
            Value::Object(inner) => {
                let slot = state.entry(key.clone()).or_insert_with(|| json!({}));
                if !slot.is_object() {
                    // A type change replaces the value and its metadata.
                    *slot = json!({});
                    meta.remove(key);
                }
                let meta_slot = meta.entry(key.clone()).or_insert_with(|| json!({}));
                if !meta_slot.is_object() {
                    *meta_slot = json!({});
                }
                if let (Value::Object(s), Value::Object(m)) = (slot, meta_slot) {
                    merge_into(s, m, inner, ts);
                }
            }
            leaf => {
                state.insert(key.clone(), leaf.clone());
                meta.insert(key.clone(), stamp(leaf, ts));
            }
        }
    }
}

/// One section after an update; an emptied section is not kept.
fn merge_section(
    state: &mut Option<Map<String, Value>>,
    meta: &mut Option<Map<String, Value>>,
    update: &Section,
    ts: i64,
) {
    match update {
        Section::Absent => {}
        Section::Clear => {
            *state = None;
            *meta = None;
        }
        Section::Merge(update) => {
            let mut s = state.take().unwrap_or_default();
            let mut m = meta.take().unwrap_or_default();
            merge_into(&mut s, &mut m, update, ts);
            if !s.is_empty() {
                *state = Some(s);
                *meta = Some(m);
            }
        }
    }
}

/// Applies an update's state (`None`: `"state": null`, which removes both sections).
pub fn apply(doc: &mut ShadowDocument, state: Option<&(Section, Section)>, ts: i64) {
    let Some((desired, reported)) = state else {
        *doc = ShadowDocument::default();
        return;
    };
    merge_section(&mut doc.desired, &mut doc.metadata_desired, desired, ts);
    merge_section(&mut doc.reported, &mut doc.metadata_reported, reported, ts);
}

/// The `state` and `metadata` an `/update/accepted` echoes: the sections and keys the
/// request contained (nulls included), each stamped now.
pub fn echo(state: Option<&(Section, Section)>, ts: i64) -> (Value, Value) {
    let Some((desired, reported)) = state else {
        return (Value::Null, json!({}));
    };
    let (mut s, mut m) = (Map::new(), Map::new());
    for (name, section) in [("desired", desired), ("reported", reported)] {
        match section {
            Section::Absent => {}
            Section::Clear => {
                s.insert(name.into(), Value::Null);
                m.insert(name.into(), json!({ "timestamp": ts }));
            }
            Section::Merge(map) => {
                s.insert(name.into(), Value::Object(map.clone()));
                m.insert(name.into(), Value::Object(stamp_map(map, ts)));
            }
        }
    }
    (Value::Object(s), Value::Object(m))
}
