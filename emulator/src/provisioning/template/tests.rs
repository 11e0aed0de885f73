//! Table tests of the template language: every intrinsic, every parse-time refusal, and
//! the plan built from AWS's own fleet example.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::*;
use crate::registry::certificate::CertStatus;

const CERT: &str = "cid";

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn injected() -> BTreeMap<String, String> {
    params(&[(CERTIFICATE_ID, CERT)])
}

fn evaluate(body: &Value, given: &[(&str, &str)]) -> IotResult<Plan> {
    Template::parse(&body.to_string())?.evaluate(&params(given), &injected())
}

/// `expr` evaluated as a DeviceConfiguration value next to fixed Parameters and Mappings.
fn eval_expr(expr: Value, given: &[(&str, &str)]) -> IotResult<String> {
    let body = json!({
        "Parameters": {
            "P": {"Type": "String", "Default": "pd"},
            "D": {"Type": "String", "Default": "dv"},
        },
        "Mappings": {"M": {"a": {"x": "1", "l": ["p", "q"]}}},
        "Resources": {},
        "DeviceConfiguration": {"v": expr},
    });
    let plan = evaluate(&body, given)?;
    Ok(plan.device_configuration["v"].clone())
}

#[test]
fn intrinsics() {
    let p = [("P", "pv"), ("I", "1"), ("K", "a")];
    let ok: Vec<(Value, &str)> = vec![
        (json!({"Ref": "P"}), "pv"),
        (json!({"Ref": "D"}), "dv"),
        (json!({"Ref": CERTIFICATE_ID}), CERT),
        (json!({"Ref": "I"}), "1"),
        (json!({"Fn::Join": ["-", ["a", {"Ref": "P"}]]}), "a-pv"),
        (json!({"Fn::Join": ["", ["a", "b", 3]]}), "ab3"),
        (
            json!({"Fn::Join": ["-", {"Fn::Split": [",", "a,b"]}]}),
            "a-b",
        ),
        (json!({"Fn::Select": [1, ["a", "b"]]}), "b"),
        (json!({"Fn::Select": ["0", ["a", "b"]]}), "a"),
        (json!({"Fn::Select": [{"Ref": "I"}, ["a", "b"]]}), "b"),
        (
            json!({"Fn::Select": [2, {"Fn::Split": ["/", "a/b/c"]}]}),
            "c",
        ),
        (json!({"Fn::Select": [1, {"Fn::Split": ["/", "a//c"]}]}), ""),
        (json!({"Fn::FindInMap": ["M", "a", "x"]}), "1"),
        (json!({"Fn::FindInMap": ["M", {"Ref": "K"}, "x"]}), "1"),
        (
            json!({"Fn::Select": [1, {"Fn::FindInMap": ["M", "a", "l"]}]}),
            "q",
        ),
        (json!({"Fn::Sub": "${P}-x"}), "pv-x"),
        (
            json!({"Fn::Sub": ["${v}.${P}", {"v": {"Ref": "D"}}]}),
            "dv.pv",
        ),
        (json!({"Fn::Sub": "${!Literal} ${ P }"}), "${Literal} pv"),
        (
            json!({"Fn::Sub": "id=${AWS::IoT::Certificate::Id}"}),
            "id=cid",
        ),
        (json!({"Fn::Sub": "open ${P"}), "open ${P"),
        (json!(5), "5"),
        (json!(true), "true"),
    ];
    for (expr, want) in ok {
        assert_eq!(eval_expr(expr.clone(), &p).unwrap(), want, "{expr}");
    }
}

#[test]
fn intrinsic_errors() {
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"Ref": "AWS::Region"}),
            "Cannot resolve reference value: AWS::Region",
        ),
        (
            json!({"Ref": "AWS::AccountId"}),
            "Cannot resolve reference value: AWS::AccountId",
        ),
        (
            json!({"Ref": "Undeclared"}),
            "Cannot resolve reference value: Undeclared",
        ),
        (
            json!({"Fn::Sub": "${AWS::Region}"}),
            "Cannot resolve reference value: AWS::Region",
        ),
        (
            json!({"Fn::Sub": "${thing.Arn}"}),
            "Cannot resolve reference value: thing.Arn",
        ),
        (json!({"Fn::Select": [5, ["a"]]}), "out of bounds"),
        (json!({"Fn::Select": [0, [null]]}), "null"),
        (
            json!({"Fn::Select": ["x", ["a"]]}),
            "not a non-negative integer",
        ),
        (
            json!({"Fn::Select": [-1, ["a"]]}),
            "not a non-negative integer",
        ),
        (json!({"Fn::Select": [0, "a"]}), "must resolve to a list"),
        (json!({"Fn::Join": ["-", [["a"]]]}), "only join strings"),
        (json!({"Fn::Join": ["-", "ab"]}), "must resolve to a list"),
        (json!({"Fn::Split": ["", "ab"]}), "non-empty"),
        (
            json!({"Fn::Split": [",", ["a"]]}),
            "must resolve to a string",
        ),
        (
            json!({"Fn::FindInMap": ["M", "a", "nope"]}),
            "Fn::FindInMap cannot find",
        ),
        (
            json!({"Fn::FindInMap": ["Nope", "a", "x"]}),
            "Fn::FindInMap cannot find",
        ),
        (
            json!({"Fn::FindInMap": ["M", "a", "l"]}),
            "must resolve to a string",
        ),
        (
            json!({"Fn::Split": [",", "a,b"]}),
            "must resolve to a string",
        ),
    ];
    for (expr, want) in cases {
        let e = eval_expr(expr.clone(), &[]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameters, "{expr}");
        assert!(e.message.contains(want), "{expr}: {}", e.message);
    }
}

/// AWS's fleet-provisioning example (DG `provision-template.md`), lightly trimmed.
pub(crate) fn fleet_example() -> Value {
    json!({
        "Parameters": {
            "ThingName": {"Type": "String"},
            "SerialNumber": {"Type": "String"},
            "DeviceLocation": {"Type": "String"}
        },
        "Mappings": {"LocationTable": {"Seattle": {"LocationUrl": "https://example.aws"}}},
        "Resources": {
            "thing": {
                "Type": "AWS::IoT::Thing",
                "Properties": {
                    "AttributePayload": {"version": "v1", "serialNumber": {"Ref": "SerialNumber"}},
                    "ThingName": {"Ref": "ThingName"},
                    "ThingGroups": ["v1-lightbulbs", "WA"],
                    "BillingGroup": "LightBulbBillingGroup"
                },
                "OverrideSettings": {"AttributePayload": "MERGE", "ThingTypeName": "REPLACE", "ThingGroups": "DO_NOTHING"}
            },
            "certificate": {
                "Type": "AWS::IoT::Certificate",
                "Properties": {"CertificateId": {"Ref": "AWS::IoT::Certificate::Id"}, "Status": "Active"}
            },
            "policy": {
                "Type": "AWS::IoT::Policy",
                "Properties": {"PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": ["iot:Publish"], "Resource": ["arn:aws:iot:us-east-1:123456789012:topic/foo/bar"]}]
                }}
            }
        },
        "DeviceConfiguration": {
            "FallbackUrl": "https://www.example.com/test-site",
            "LocationUrl": {"Fn::FindInMap": ["LocationTable", {"Ref": "DeviceLocation"}, "LocationUrl"]}
        }
    })
}

#[test]
fn fleet_example_plan() {
    let given = [
        ("ThingName", "bulb-1"),
        ("SerialNumber", "123"),
        ("DeviceLocation", "Seattle"),
    ];
    let plan = evaluate(&fleet_example(), &given).unwrap();
    let thing = plan.thing.unwrap();
    assert_eq!(thing.thing_name, "bulb-1");
    assert_eq!(
        thing.attributes.unwrap(),
        params(&[("serialNumber", "123"), ("version", "v1")])
    );
    assert_eq!(thing.thing_groups.unwrap(), ["v1-lightbulbs", "WA"]);
    assert_eq!(
        thing.billing_group.as_deref(),
        Some("LightBulbBillingGroup")
    );
    assert_eq!(thing.overrides.attribute_payload, Override::Merge);
    assert_eq!(thing.overrides.thing_type_name, Override::Replace);
    assert_eq!(thing.overrides.billing_group, Override::DoNothing);
    let cert = plan.certificate.unwrap();
    assert_eq!(cert.source, CertificateSource::Id(CERT.into()));
    assert_eq!(cert.status, CertStatus::Active);
    let policy = &plan.policies[0];
    let document = policy.document.clone().unwrap();
    assert!(
        document.starts_with(r#"{"Version":"2012-10-17","Statement""#),
        "{document}"
    );
    assert_eq!(policy.policy_name, plan::document_hash(&document));
    assert_eq!(policy.policy_name.len(), 40);
    assert!(policy
        .policy_name
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
    assert_eq!(
        plan.device_configuration,
        params(&[
            ("FallbackUrl", "https://www.example.com/test-site"),
            ("LocationUrl", "https://example.aws")
        ])
    );
    let e = evaluate(&fleet_example(), &given[..2]).unwrap_err();
    assert_eq!(e.message, "Cannot resolve reference value: DeviceLocation");
}

#[test]
fn plan_details() {
    let body = |props: Value, extra: Value| {
        let mut r = json!({"Resources": {
            "cert": {"Type": "AWS::IoT::Certificate", "Properties": props},
            "thing": {"Type": "AWS::IoT::Thing", "Properties": {"ThingName": {"Ref": "N"}}, "OverrideSettings": {"THING_GROUPS": "MERGE"}},
        }});
        if let Value::Object(extra) = extra {
            r.as_object_mut().unwrap().extend(extra);
        }
        r
    };
    let status = |s: &str| {
        evaluate(
            &body(json!({"CertificateId": "x", "Status": s}), json!({})),
            &[("N", "n")],
        )
        .map(|p| p.certificate.unwrap().status)
    };
    assert_eq!(status("Active").unwrap(), CertStatus::Active);
    assert_eq!(status("inactive").unwrap(), CertStatus::Inactive);
    assert_eq!(
        status("REVOKED").unwrap_err().kind,
        ErrorKind::InvalidParameters
    );
    let plan = evaluate(
        &body(json!({"CertificatePem": "PEM"}), json!({})),
        &[("N", "n")],
    )
    .unwrap();
    assert_eq!(plan.thing.unwrap().overrides.thing_groups, Override::Merge);
    assert!(matches!(
        plan.certificate.unwrap().source,
        CertificateSource::Pem { .. }
    ));
    // The injected certificate id wins over a request parameter of the same name.
    let props = json!({"CertificateId": {"Ref": CERTIFICATE_ID}});
    let plan = evaluate(
        &body(props, json!({})),
        &[("N", "n"), (CERTIFICATE_ID, "forged")],
    )
    .unwrap();
    assert_eq!(
        plan.certificate.unwrap().source,
        CertificateSource::Id(CERT.into())
    );
    // A declared parameter with no value fails even when nothing refers to it.
    let extra = json!({"Parameters": {"Unused": {"Type": "String"}}});
    let e = evaluate(&body(json!({"CertificateId": "x"}), extra), &[("N", "n")]).unwrap_err();
    assert_eq!(e.message, "Cannot resolve reference value: Unused");
    for bad_name in ["has space", ""] {
        let e = evaluate(
            &body(json!({"CertificateId": "x"}), json!({})),
            &[("N", bad_name)],
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidParameters);
    }
}

#[test]
fn policy_and_attribute_checks() {
    let policy = |props: Value| {
        let body = json!({"Resources": {"p": {"Type": "AWS::IoT::Policy", "Properties": props}}});
        evaluate(
            &body,
            &[(
                "D",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}"#,
            )],
        )
    };
    let named = policy(json!({"PolicyName": "Existing"})).unwrap();
    assert_eq!(named.policies[0].document, None);
    let from_string = policy(json!({"PolicyDocument": {"Ref": "D"}})).unwrap();
    let text = from_string.policies[0].document.clone().unwrap();
    assert_eq!(
        from_string.policies[0].policy_name,
        plan::document_hash(&text)
    );
    let e = policy(json!({"PolicyDocument": "{\"Statement\": 1}"})).unwrap_err();
    assert_eq!(e.kind, ErrorKind::MalformedPolicy);
    let e = policy(json!({"PolicyName": "bad name!"})).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidParameters);
    let thing = |attrs: Value| {
        let props = json!({"ThingName": "t", "AttributePayload": attrs});
        evaluate(
            &json!({"Resources": {"t": {"Type": "AWS::IoT::Thing", "Properties": props}}}),
            &[],
        )
    };
    assert!(thing(json!({"a": "1", "b": 2})).is_ok());
    assert_eq!(
        thing(json!({"a": "has space"})).unwrap_err().kind,
        ErrorKind::InvalidParameters
    );
    assert_eq!(
        thing(json!({"a": ["x"]})).unwrap_err().kind,
        ErrorKind::InvalidParameters
    );
    assert_eq!(
        thing(json!("flat")).unwrap_err().kind,
        ErrorKind::InvalidParameters
    );
}
