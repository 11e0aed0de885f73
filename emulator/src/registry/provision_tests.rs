//! Apply tests on an in-memory registry: what gets created and attached, OverrideSettings
//! on an existing thing, re-provisioning, and atomicity (a failure leaves the registry
//! exactly as it was).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::*;
use crate::provisioning::template::{Template, CERTIFICATE_ID};
use crate::registry::testing::{insert_certificate, registry_at};
use crate::registry::ErrorKind;

pub(crate) const CERT: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}"#;

/// Every table except `meta`, as JSON: what "unchanged" is compared on.
pub(crate) fn dump(reg: &Registry) -> Value {
    fn rows<T: serde::Serialize + serde::de::DeserializeOwned + Clone>(
        t: &crate::registry::Table<T>,
    ) -> Value {
        t.iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
    reg.read(|i| {
        json!({
            "certificates": rows(&i.certificates), "things": rows(&i.things),
            "thing_types": rows(&i.thing_types), "thing_groups": rows(&i.thing_groups),
            "policies": rows(&i.policies), "policy_targets": rows(&i.policy_targets),
            "templates": rows(&i.templates), "ca_certificates": rows(&i.ca_certificates),
        })
    })
}

/// A registry with a PENDING_ACTIVATION certificate, groups g1 and g2, policy "named".
pub(crate) fn setup() -> Registry {
    let reg = registry_at(1000);
    insert_certificate(&reg, CERT);
    set_status(&reg, CertStatus::PendingActivation);
    reg.create_thing_group("g1", None, None).unwrap();
    reg.create_thing_group("g2", None, None).unwrap();
    reg.create_policy("named", DOC).unwrap();
    reg
}

fn set_status(reg: &Registry, status: CertStatus) {
    reg.write(|inner, tx| {
        inner.certificates.update(tx, CERT, |c| c.status = status);
        Ok(())
    })
    .unwrap();
}

fn status(reg: &Registry) -> CertStatus {
    reg.certificate_by_id(CERT).unwrap().status
}

pub(crate) fn body(thing_props: Value, overrides: Value) -> Value {
    json!({
        "Parameters": {"Name": {"Type": "String"}},
        "Resources": {
            "thing": {"Type": "AWS::IoT::Thing", "Properties": thing_props, "OverrideSettings": overrides},
            "cert": {"Type": "AWS::IoT::Certificate", "Properties": {"CertificateId": {"Ref": CERTIFICATE_ID}}},
            "named": {"Type": "AWS::IoT::Policy", "Properties": {"PolicyName": "named"}},
            "inline": {"Type": "AWS::IoT::Policy", "Properties": {"PolicyDocument": DOC}},
        }
    })
}

fn run(reg: &Registry, body: &Value, name: &str) -> IotResult<Applied> {
    let template = Template::parse(&body.to_string())?;
    let parameters = BTreeMap::from([("Name".to_string(), name.to_string())]);
    let injected = BTreeMap::from([(CERTIFICATE_ID.to_string(), CERT.to_string())]);
    let plan = template.evaluate(&parameters, &injected)?;
    reg.apply_plan(&plan, CERT)
}

fn thing_props(groups: &[&str], attrs: Value) -> Value {
    json!({"ThingName": {"Ref": "Name"}, "ThingGroups": groups, "AttributePayload": attrs})
}

#[test]
fn creates_and_attaches_everything() {
    let reg = setup();
    let applied = run(
        &reg,
        &body(thing_props(&["g1"], json!({"a": "1"})), json!({})),
        "dev1",
    )
    .unwrap();
    assert_eq!(applied.thing_name.as_deref(), Some("dev1"));
    assert_eq!(applied.resource_arns.len(), 4);
    let thing = reg.describe_thing("dev1").unwrap();
    assert_eq!(thing.attributes["a"], "1");
    assert_eq!(thing.thing_groups, ["g1"]);
    let arn = reg.account().cert_arn(CERT);
    assert!(thing.principals.contains_key(&arn));
    let mut policies = reg.list_attached_policies(&arn, false).unwrap();
    policies.sort();
    let hashed = applied.resource_arns["inline"]
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let mut want = vec!["named".to_string(), hashed];
    want.sort();
    assert_eq!(policies, want);
    assert_eq!(status(&reg), CertStatus::Active);
}

#[test]
fn failures_leave_the_registry_unchanged() {
    let reg = setup();
    reg.create_thing("existing", Default::default()).unwrap();
    let before = dump(&reg);
    let fail = |b: Value, name: &str, kind: ErrorKind| {
        let e = run(&reg, &b, name).unwrap_err();
        assert_eq!(e.kind, kind, "{}", e.message);
        assert_eq!(dump(&reg), before, "after {}", e.message);
    };
    let props = |extra: Value| {
        let mut p = thing_props(&["g1"], json!({"a": "1"}));
        p.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        p
    };
    fail(
        body(props(json!({"ThingGroups": ["g1", "missing"]})), json!({})),
        "new",
        ErrorKind::ResourceRegistrationFailure,
    );
    fail(
        body(props(json!({"ThingTypeName": "missing"})), json!({})),
        "new",
        ErrorKind::ResourceRegistrationFailure,
    );
    fail(
        body(props(json!({"BillingGroup": "bg"})), json!({})),
        "new",
        ErrorKind::ResourceRegistrationFailure,
    );
    fail(
        body(
            props(json!({"AttributePayload": {"a": "1", "b": "2", "c": "3", "d": "4"}})),
            json!({}),
        ),
        "new",
        ErrorKind::InvalidRequest,
    );
    fail(
        body(props(json!({})), json!({"AttributePayload": "FAIL"})),
        "existing",
        ErrorKind::ResourceConflicts,
    );
    // The last step fails: the thing and the inline policy were created first.
    let mut late = body(props(json!({})), json!({}));
    late["Resources"]["named"]["Properties"]["PolicyName"] = json!("absent");
    fail(late, "new", ErrorKind::ResourceRegistrationFailure);
    let mut other = body(props(json!({})), json!({}));
    other["Resources"]["cert"]["Properties"]["CertificateId"] = json!("d".repeat(64));
    fail(other, "new", ErrorKind::InvalidParameters);
    assert_eq!(status(&reg), CertStatus::PendingActivation);
}

#[test]
fn overrides_on_an_existing_thing() {
    let reg = setup();
    let seed = body(thing_props(&["g1"], json!({"a": "1", "b": "2"})), json!({}));
    run(&reg, &seed, "dev").unwrap();
    let again = |groups: &[&str], attrs: Value, o: Value| {
        run(&reg, &body(thing_props(groups, attrs), o), "dev").unwrap();
        let t = reg.describe_thing("dev").unwrap();
        (
            t.attributes.keys().cloned().collect::<Vec<_>>(),
            t.thing_groups,
            t.version,
        )
    };
    let (attrs, groups, version) = again(&["g2"], json!({"c": "3"}), json!({}));
    assert_eq!(
        (attrs, groups, version),
        (vec!["a".into(), "b".into()], vec!["g1".into()], 1)
    );
    let (attrs, groups, _) = again(
        &["g2"],
        json!({"c": "3"}),
        json!({"AttributePayload": "MERGE", "ThingGroups": "MERGE"}),
    );
    assert_eq!(attrs, ["a", "b", "c"]);
    assert_eq!(groups, ["g1", "g2"]);
    let (attrs, groups, version) = again(
        &["g2"],
        json!({"z": "9"}),
        json!({"ATTRIBUTE_PAYLOAD": "REPLACE", "THING_GROUPS": "REPLACE"}),
    );
    assert_eq!(
        (attrs, groups, version),
        (vec!["z".into()], vec!["g2".into()], 3)
    );
    let e = run(
        &reg,
        &body(
            thing_props(&["g1"], json!({})),
            json!({"ThingGroups": "FAIL"}),
        ),
        "dev",
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::ResourceConflicts);
}

#[test]
fn reprovisioning_follows_the_status_override() {
    let reg = setup();
    let mut b = body(thing_props(&["g1"], json!({})), json!({}));
    run(&reg, &b, "dev").unwrap();
    b["Resources"]["cert"]["Properties"]["Status"] = json!("Inactive");
    run(&reg, &b, "dev").unwrap();
    assert_eq!(
        status(&reg),
        CertStatus::Active,
        "omitted override: left as is"
    );
    b["Resources"]["cert"]["OverrideSettings"] = json!({"Status": "REPLACE"});
    run(&reg, &b, "dev").unwrap();
    assert_eq!(status(&reg), CertStatus::Inactive);
    b["Resources"]["cert"]["OverrideSettings"] = json!({"Status": "FAIL"});
    assert_eq!(
        run(&reg, &b, "dev").unwrap_err().kind,
        ErrorKind::ResourceConflicts
    );
    set_status(&reg, CertStatus::Revoked);
    b["Resources"]["cert"]["OverrideSettings"] = json!({});
    assert_eq!(
        run(&reg, &b, "dev").unwrap_err().kind,
        ErrorKind::InvalidRequest
    );
}

#[test]
fn no_certificate_resource_leaves_the_certificate_alone() {
    let reg = setup();
    let b = json!({"Resources": {"t": {"Type": "AWS::IoT::Thing", "Properties": {"ThingName": "solo"}}}});
    let applied = run(&reg, &b, "x").unwrap();
    assert_eq!(applied.thing_name.as_deref(), Some("solo"));
    assert_eq!(status(&reg), CertStatus::PendingActivation);
    assert!(reg.describe_thing("solo").unwrap().principals.is_empty());
}

#[test]
fn without_override_settings_a_disagreeing_template_is_refused() {
    let reg = setup();
    let seed = body(thing_props(&["g1"], json!({"a": "1", "b": "2"})), json!({}));
    run(&reg, &seed, "dev").unwrap();
    let bare = |props: Value| {
        let mut b = body(props, json!({}));
        b["Resources"]["thing"]
            .as_object_mut()
            .unwrap()
            .remove("OverrideSettings");
        b
    };
    // Agreeing (a subset of what the thing has): nothing changes, provisioning goes on.
    run(&reg, &bare(thing_props(&["g1"], json!({"a": "1"}))), "dev").unwrap();
    let cases = [
        (thing_props(&["g1"], json!({"a": "9"})), "AttributePayload"),
        (thing_props(&["g1"], json!({"c": "3"})), "AttributePayload"),
        (thing_props(&["g2"], json!({"a": "1"})), "ThingGroups"),
    ];
    for (props, property) in cases {
        let e = run(&reg, &bare(props), "dev").unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceConflicts);
        assert_eq!(
            e.message,
            format!("{property} conflicts with {property} in Template")
        );
    }
    let t = reg.describe_thing("dev").unwrap();
    assert_eq!(
        (t.attributes.len(), t.thing_groups, t.version),
        (2, vec!["g1".to_string()], 1)
    );
}
