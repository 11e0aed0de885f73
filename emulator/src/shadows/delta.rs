//! The delta: the desired leaves that differ from reported (objects recurse, arrays and
//! scalars compare whole, numbers by value), and its metadata from `metadata.desired`.

use serde_json::{Map, Value};

/// What `desired` asks for that `reported` does not show.
pub fn delta(
    desired: &Map<String, Value>,
    reported: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, want) in desired {
        let have = reported.and_then(|r| r.get(key));
        match (want, have) {
            (Value::Object(w), Some(Value::Object(h))) => {
                let inner = delta(w, Some(h));
                if !inner.is_empty() {
                    out.insert(key.clone(), Value::Object(inner));
                }
            }
            (_, Some(h)) if same(want, h) => {}
            _ => {
                out.insert(key.clone(), want.clone());
            }
        }
    }
    out
}

/// The metadata of `delta`'s keys, taken from the desired section's metadata.
pub fn delta_metadata(
    delta: &Map<String, Value>,
    desired_meta: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in delta {
        let Some(meta) = desired_meta.get(key) else {
            continue;
        };
        let entry = match (value, meta) {
            (Value::Object(d), Value::Object(m)) => Value::Object(delta_metadata(d, m)),
            _ => meta.clone(),
        };
        out.insert(key.clone(), entry);
    }
    out
}

/// Deep equality where numbers compare by value (`1` equals `1.0`).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}
