//! Table tests of the merge, the metadata mirror and the delta, from AWS's documented
//! examples (spec §1.4 and §1.6).

use serde_json::{json, Map, Value};

use super::delta::{delta, delta_metadata, same};
use super::documents::delta_of;
use super::limits::{update_request, Section};
use super::merge::{apply, echo, stamp};
use crate::registry::shadow::ShadowDocument;

fn map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn update(doc: &mut ShadowDocument, request: Value, ts: i64) {
    let request = update_request(&map(request)).expect("valid request");
    apply(doc, request.state.as_ref(), ts);
}

#[test]
fn aws_delta_examples() {
    let cases = [
        // 1: keys only in desired, or differing; reported-only keys never appear.
        (
            json!({"color":"RED","state":"STOP"}),
            json!({"color":"GREEN","engine":"ON"}),
            json!({"color":"RED","state":"STOP"}),
        ),
        // 2: nested objects keep the path to each differing leaf.
        (
            json!({"lights":{"color":{"r":255,"g":255,"b":255}}}),
            json!({"lights":{"color":{"r":255,"g":0,"b":255}}}),
            json!({"lights":{"color":{"g":255}}}),
        ),
        // 3: arrays compare whole.
        (
            json!({"colors":["RED","GREEN"]}),
            json!({"colors":["RED"]}),
            json!({"colors":["RED","GREEN"]}),
        ),
        (
            json!({"colors":["RED"]}),
            json!({"colors":["RED"]}),
            json!({}),
        ),
        // 4: a type difference gives the desired value whole.
        (json!({"a":{"x":1}}), json!({"a":5}), json!({"a":{"x":1}})),
        (json!({"a":5}), json!({"a":{"x":1}}), json!({"a":5})),
        // Numbers compare by value.
        (json!({"t":1}), json!({"t":1.0}), json!({})),
    ];
    for (desired, reported, want) in cases {
        let got = delta(&map(desired.clone()), Some(&map(reported.clone())));
        assert_eq!(
            Value::Object(got),
            want,
            "desired {desired} reported {reported}"
        );
    }
    assert_eq!(
        Value::Object(delta(&map(json!({"a":1})), None)),
        json!({"a":1})
    );
}

#[test]
fn removing_a_desired_key_can_leave_no_delta() {
    // Example 5: desired {"a":1,"b":2}, reported {"a":1}; {"desired":{"b":null}}.
    let mut doc = ShadowDocument::default();
    update(
        &mut doc,
        json!({"state":{"desired":{"a":1,"b":2},"reported":{"a":1}}}),
        10,
    );
    assert!(delta_of(&doc).is_some());
    let request = json!({"state":{"desired":{"b":null}}});
    update(&mut doc, request.clone(), 20);
    assert_eq!(doc.desired, Some(map(json!({"a":1}))));
    assert_eq!(
        doc.metadata_desired,
        Some(map(json!({"a":{"timestamp":10}})))
    );
    assert!(delta_of(&doc).is_none());
    let parsed = update_request(&map(request)).expect("valid");
    let (state, meta) = echo(parsed.state.as_ref(), 20);
    assert_eq!(state, json!({"desired":{"b":null}}));
    assert_eq!(meta, json!({"desired":{"b":{"timestamp":20}}}));
}

#[test]
fn clearing_reported_makes_a_delta_and_clearing_desired_ends_it() {
    // Example 6, then example 7.
    let mut doc = ShadowDocument::default();
    update(
        &mut doc,
        json!({"state":{"desired":{"t":20},"reported":{"t":20}}}),
        1,
    );
    assert!(delta_of(&doc).is_none());
    update(&mut doc, json!({"state":{"reported":null}}), 2);
    let (d, m) = delta_of(&doc).expect("a delta");
    assert_eq!(
        (Value::Object(d), Value::Object(m)),
        (json!({"t":20}), json!({"t":{"timestamp":1}}))
    );
    assert_eq!(doc.reported, None);
    assert_eq!(doc.metadata_reported, None);
    update(&mut doc, json!({"state":{"desired":null}}), 3);
    assert!(delta_of(&doc).is_none());
    assert_eq!(doc, ShadowDocument::default());
}

#[test]
fn merge_recurses_replaces_leaves_and_arrays_and_stamps_only_what_it_writes() {
    let mut doc = ShadowDocument::default();
    update(
        &mut doc,
        json!({"state":{"reported":{"lights":{"on":true,"rgb":[1,2,3]},"mode":"auto"}}}),
        100,
    );
    update(
        &mut doc,
        json!({"state":{"reported":{"lights":{"rgb":[9],"level":{"x":1}},"mode":null}}}),
        200,
    );
    assert_eq!(
        doc.reported,
        Some(map(json!({"lights":{"on":true,"rgb":[9],"level":{"x":1}}})))
    );
    assert_eq!(
        doc.metadata_reported,
        Some(map(json!({"lights":{
            "on":{"timestamp":100},
            "rgb":[{"timestamp":200}],
            "level":{"x":{"timestamp":200}}
        }})))
    );
    // A type change replaces the value and its metadata.
    update(&mut doc, json!({"state":{"reported":{"lights":7}}}), 300);
    assert_eq!(doc.reported, Some(map(json!({"lights":7}))));
    assert_eq!(
        doc.metadata_reported,
        Some(map(json!({"lights":{"timestamp":300}})))
    );
    update(
        &mut doc,
        json!({"state":{"reported":{"lights":{"a":{"b":null},"c":1}}}}),
        400,
    );
    assert_eq!(doc.reported, Some(map(json!({"lights":{"a":{},"c":1}}))));
}

#[test]
fn state_null_removes_both_sections_and_an_emptied_section_is_dropped() {
    let mut doc = ShadowDocument::default();
    update(
        &mut doc,
        json!({"state":{"desired":{"a":1},"reported":{"b":2}}}),
        1,
    );
    update(&mut doc, json!({"state":{"reported":{"b":null}}}), 2);
    assert_eq!(doc.reported, None);
    update(&mut doc, json!({"state":null}), 3);
    assert_eq!(doc, ShadowDocument::default());
    let parsed = update_request(&map(json!({"state":null}))).expect("valid");
    assert_eq!(parsed.state, None);
    assert_eq!(echo(None, 3), (Value::Null, json!({})));
    let parsed = update_request(&map(json!({"state":{"desired":null}}))).expect("valid");
    assert_eq!(parsed.state, Some((Section::Clear, Section::Absent)));
}

#[test]
fn metadata_mirrors_arrays_per_element_and_delta_metadata_uses_desired_stamps() {
    assert_eq!(
        stamp(&json!({"ColorRGB":[255,0,{"x":1}]}), 5),
        json!({"ColorRGB":[{"timestamp":5},{"timestamp":5},{"x":{"timestamp":5}}]})
    );
    let d = map(json!({"lights":{"color":{"g":255}},"mode":"on"}));
    let meta = map(json!({
        "lights":{"color":{"r":{"timestamp":1},"g":{"timestamp":2}}},
        "mode":{"timestamp":3},
        "other":{"timestamp":4}
    }));
    assert_eq!(
        Value::Object(delta_metadata(&d, &meta)),
        json!({"lights":{"color":{"g":{"timestamp":2}}},"mode":{"timestamp":3}})
    );
    assert!(same(&json!([1, {"a": 2.0}]), &json!([1.0, {"a": 2}])));
    assert!(!same(&json!([1, 2]), &json!([2, 1])));
}
