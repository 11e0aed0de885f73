//! Property tests: template bodies generated from the grammar (valid and slightly broken)
//! and arbitrary parameter maps never panic, evaluate deterministically to a plan or an
//! AWS-shaped error, and a failed apply leaves the registry unchanged.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::registry::provision::tests as apply_tests;

/// Parameter names the generated templates refer to, pseudo-parameters included.
const NAMES: [&str; 7] = ["P", "D", "N", "I", "K", "AWS::Region", CERTIFICATE_ID];

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(&NAMES[..]).prop_map(str::to_string),
        1 => "[A-Za-z:]{0,6}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(&["", "0", "1", "a,b", "a/b/c", "g1", "dev-1", "${P}", "x y"][..])
            .prop_map(str::to_string),
        "\\PC{0,8}",
    ]
}

/// An expression: literals, Ref, and the five functions over sub-expressions, sometimes
/// with the wrong arity or an unsupported function.
fn expr() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        text().prop_map(Value::String),
        (0u8..4).prop_map(|n| json!(n)),
        name().prop_map(|n| json!({"Ref": n})),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        let list = prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            inner.clone(),
        ];
        prop_oneof![
            8 => (text(), list.clone()).prop_map(|(d, l)| json!({"Fn::Join": [d, l]})),
            8 => (inner.clone(), list).prop_map(|(i, l)| json!({"Fn::Select": [i, l]})),
            8 => (text(), inner.clone()).prop_map(|(d, s)| json!({"Fn::Split": [d, s]})),
            8 => (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| json!({"Fn::FindInMap": [a, b, c]})),
            8 => (text(), name()).prop_map(|(t, n)| json!({"Fn::Sub": format!("{t}${{{n}}}")})),
            8 => (text(), inner.clone())
                .prop_map(|(t, v)| json!({"Fn::Sub": [format!("${{v}}{t}"), {"v": v}]})),
            1 => inner.clone().prop_map(|v| json!({"Fn::If": [v]})),
            1 => inner.prop_map(|v| json!({"Fn::Join": [v]})),
        ]
    })
}

fn overrides() -> impl Strategy<Value = Value> {
    let setting = proptest::sample::select(&["DO_NOTHING", "REPLACE", "FAIL", "MERGE"][..]);
    (setting.clone(), setting).prop_map(|(a, g)| json!({"AttributePayload": a, "THING_GROUPS": g}))
}

/// Mostly plain values that name things, groups and types the registry has (or lacks).
fn simple() -> impl Strategy<Value = Value> {
    const PLAIN: [&str; 6] = ["dev-1", "existing", "g1", "g2", "missing", "v1"];
    prop_oneof![
        4 => proptest::sample::select(&PLAIN[..]).prop_map(|s| json!(s)),
        2 => Just(json!({"Ref": "N"})),
        1 => expr(),
    ]
}

fn thing() -> impl Strategy<Value = Value> {
    let groups = proptest::collection::vec(simple(), 0..3);
    let ty = proptest::option::of(simple());
    (simple(), simple(), groups, ty, overrides()).prop_map(|(name, attr, groups, ty, o)| {
        let mut props =
            json!({"ThingName": name, "AttributePayload": {"a": attr}, "ThingGroups": groups});
        if let Some(t) = ty {
            props["ThingTypeName"] = t;
        }
        json!({"Type": "AWS::IoT::Thing", "Properties": props, "OverrideSettings": o})
    })
}

fn body() -> impl Strategy<Value = Value> {
    let cert = prop_oneof![
        Just(json!({"Ref": CERTIFICATE_ID})),
        expr(),
    ]
    .prop_map(|id| json!({"Type": "AWS::IoT::Certificate", "Properties": {"CertificateId": id, "Status": "Active"}}));
    let policy = prop_oneof![
        Just(json!({"PolicyName": "named"})),
        expr().prop_map(|n| json!({"PolicyName": n})),
        Just(json!({"PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]}})),
    ]
    .prop_map(|p| json!({"Type": "AWS::IoT::Policy", "Properties": p}));
    let params =
        proptest::collection::btree_map(name(), proptest::option::weighted(0.8, text()), 0..3);
    let config = proptest::collection::btree_map("[a-z]{1,3}", simple(), 0..3);
    (
        params,
        proptest::option::of(thing()),
        proptest::option::of(cert),
        proptest::option::of(policy),
        config,
    )
        .prop_map(|(params, thing, cert, policy, config)| {
            let params: serde_json::Map<String, Value> = params
                .into_iter()
                .map(|(k, d)| {
                    (
                        k,
                        d.map_or(
                            json!({"Type": "String"}),
                            |d| json!({"Type": "String", "Default": d}),
                        ),
                    )
                })
                .collect();
            let mut resources = serde_json::Map::new();
            for (id, r) in [("thing", thing), ("cert", cert), ("policy", policy)] {
                if let Some(r) = r {
                    resources.insert(id.into(), r);
                }
            }
            json!({
                "Parameters": params,
                "Mappings": {"M": {"a": {"x": "1", "l": ["g1", "g2"]}, "1": {"0": "dev"}}},
                "Resources": resources,
                "DeviceConfiguration": config,
            })
        })
}

fn values() -> impl Strategy<Value = BTreeMap<String, String>> {
    let n = proptest::sample::select(&["dev-1", "existing", "g1", "bad name"][..]);
    let rest = proptest::collection::btree_map(name(), text(), 0..6);
    (proptest::option::weighted(0.9, n), rest).prop_map(|(n, mut rest)| {
        if let Some(n) = n {
            rest.insert("N".into(), n.into());
        }
        rest
    })
}

fn injected() -> BTreeMap<String, String> {
    BTreeMap::from([(CERTIFICATE_ID.to_string(), apply_tests::CERT.to_string())])
}

/// The kinds evaluation may fail with.
fn evaluation_kind(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::InvalidParameters | ErrorKind::InvalidRequest | ErrorKind::MalformedPolicy
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(raw in "\\PC{0,64}") {
        if let Err(e) = Template::parse(&raw) {
            prop_assert_eq!(e.kind, ErrorKind::InvalidRequest);
        }
    }

    #[test]
    fn evaluation_is_total_and_deterministic(body in body(), given in values()) {
        let template = match Template::parse(&body.to_string()) {
            Ok(t) => t,
            Err(e) => {
                prop_assert_eq!(e.kind, ErrorKind::InvalidRequest);
                return Ok(());
            }
        };
        let first = template.evaluate(&given, &injected());
        let second = template.evaluate(&given, &injected());
        match (&first, &second) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => {
                prop_assert!(evaluation_kind(a.kind), "{:?}", a);
                prop_assert_eq!((a.kind, &a.message), (b.kind, &b.message));
            }
            _ => prop_assert!(false, "evaluation is not deterministic"),
        }
    }

    #[test]
    fn failed_apply_leaves_the_registry_unchanged(body in body(), given in values()) {
        let Ok(template) = Template::parse(&body.to_string()) else { return Ok(()) };
        let Ok(plan) = template.evaluate(&given, &injected()) else { return Ok(()) };
        let reg = apply_tests::setup();
        let attrs = json!({"attributePayload": {"attributes": {"old": "1"}}});
        let existing = serde_json::from_value(attrs).map_err(|e| TestCaseError::fail(e.to_string()))?;
        reg.create_thing("existing", existing).map_err(|e| TestCaseError::fail(e.message))?;
        let before = apply_tests::dump(&reg);
        if let Err(e) = reg.apply_plan(&plan, apply_tests::CERT) {
            prop_assert_ne!(e.kind, ErrorKind::InternalFailure);
            prop_assert_eq!(apply_tests::dump(&reg), before);
        }
    }
}
