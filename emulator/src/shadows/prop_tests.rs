//! Property tests: arbitrary documents and update sequences never panic, versions only
//! grow (by one per accepted update), and desired, reported, delta and metadata always
//! agree with each other.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::delta::{delta, same};
use super::{ShadowId, Shadows};
use crate::registry::testing::registry_at;

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::from),
        (-3i64..3).prop_map(Value::from),
        prop_oneof![Just(1.0f64), Just(0.5)].prop_map(Value::from),
        "[ab]{0,2}".prop_map(Value::from),
    ]
}

/// Values up to 7 levels deep (deeper than allowed, to exercise the rejection), with
/// nulls (deletions) and arrays (sometimes holding a null, which is refused).
fn value() -> impl Strategy<Value = Value> {
    let base = prop_oneof![4 => leaf(), 1 => Just(Value::Null)];
    base.prop_recursive(7, 40, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[abc]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn section() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Value::Null)),
        4 => prop::collection::btree_map("[abc]", value(), 0..4)
            .prop_map(|m| Some(Value::Object(m.into_iter().collect()))),
    ]
}

/// A request body: sections, sometimes `state: null`, sometimes a version, sometimes junk.
fn request() -> impl Strategy<Value = Vec<u8>> {
    (section(), section(), 0u8..10, prop::option::of(0u64..6)).prop_map(|(d, r, shape, version)| {
        let mut state = Map::new();
        if let Some(d) = d {
            state.insert("desired".into(), d);
        }
        if let Some(r) = r {
            state.insert("reported".into(), r);
        }
        let mut body = match shape {
            0 => json!({"state": null}),
            1 => return b"{".to_vec(),
            2 => json!({"state": {"delta": {}}}),
            _ => json!({ "state": state }),
        };
        if let Some(v) = version {
            body["version"] = json!(v);
        }
        body.to_string().into_bytes()
    })
}

/// Metadata mirrors its section: the same keys at every object level.
fn mirrors(state: &Value, meta: &Value) -> bool {
    match (state, meta) {
        (Value::Object(s), Value::Object(m)) => {
            s.len() == m.len()
                && s.iter()
                    .all(|(k, v)| m.get(k).is_some_and(|mv| mirrors(v, mv)))
        }
        (Value::Array(s), Value::Array(m)) => {
            s.len() == m.len() && s.iter().zip(m).all(|(a, b)| mirrors(a, b))
        }
        (_, Value::Object(m)) => m.get("timestamp").is_some_and(Value::is_i64),
        _ => false,
    }
}

fn check_document(doc: &Value) {
    let state = &doc["state"];
    let desired = state.get("desired").and_then(Value::as_object);
    let reported = state.get("reported").and_then(Value::as_object);
    let want = desired.map(|d| delta(d, reported)).unwrap_or_default();
    let got = state.get("delta").cloned().unwrap_or(json!({}));
    assert!(same(&got, &Value::Object(want)), "delta disagrees: {doc}");
    for side in ["desired", "reported"] {
        match (state.get(side), doc["metadata"].get(side)) {
            (None, None) => {}
            (Some(s), Some(m)) => assert!(mirrors(s, m), "metadata of {side} disagrees: {doc}"),
            _ => panic!("section and metadata disagree: {doc}"),
        }
        if let Some(Value::Object(map)) = state.get(side) {
            assert!(!map.is_empty(), "an empty section is stored: {doc}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn update_sequences_keep_the_document_consistent(requests in prop::collection::vec(request(), 1..12)) {
        let registry = registry_at(1_000_000_000);
        let shadows = Shadows::new(registry.clone(), 0);
        let id = ShadowId { thing: "t".into(), shadow: None };
        let mut version = 0u64;
        for body in requests {
            registry.clock().advance_ms(700);
            match shadows.update(&id, &body) {
                Ok(accepted) => {
                    let v = accepted["version"].as_u64().expect("version");
                    prop_assert_eq!(v, version + 1);
                    version = v;
                }
                Err(e) => prop_assert!(matches!(e.code(), 400 | 409 | 413), "{e:?}"),
            }
            if let Ok(doc) = shadows.get(&id) {
                prop_assert_eq!(doc["version"].as_u64(), Some(version));
                check_document(&doc);
            }
        }
    }
}
