//! Control-plane RegisterThing (single-thing provisioning): a certificate issued for the
//! template's CSR with the thing and the policy attached, and a failing template that
//! leaves nothing behind.

use conformance::case::fixture;
use conformance::{control, Case};
use iot_device_client::provision::generate_csr;
use serde_json::json;

/// A template: the thing named by `ThingName` (of `thing_type`, if given), a certificate
/// from the `CSR` parameter, ACTIVE, and the existing policy `policy`.
fn template(policy: &str, thing_type: Option<&str>) -> String {
    let mut thing = json!({"ThingName": {"Ref": "ThingName"}});
    if let Some(t) = thing_type {
        thing["ThingTypeName"] = json!(t);
    }
    json!({
        "Parameters": {"ThingName": {"Type": "String"}, "CSR": {"Type": "String"}},
        "Resources": {
            "thing": {"Type": "AWS::IoT::Thing", "Properties": thing},
            "certificate": {"Type": "AWS::IoT::Certificate",
                            "Properties": {"CertificateSigningRequest": {"Ref": "CSR"},
                                           "Status": "ACTIVE"}},
            "policy": {"Type": "AWS::IoT::Policy", "Properties": {"PolicyName": policy}},
        },
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn register_thing_issues_a_certificate_for_the_csr() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let policy = case
        .create_policy("RegisterThingPolicy", &fixture("policies/s5-pubsub.json"))
        .await;
    let thing = case.name("registered");
    let (csr, _key) = generate_csr(&thing).expect("CSR");
    let out = case
        .iot
        .register_thing()
        .template_body(template(&policy, None))
        .parameters("ThingName", &thing)
        .parameters("CSR", csr)
        .send()
        .await
        .expect("RegisterThing");
    let arns = out.resource_arns().cloned().unwrap_or_default();
    let cert_arn = arns.get("certificate").expect("certificate ARN").clone();
    let id = cert_arn.rsplit('/').next().unwrap_or_default().to_string();
    case.track_thing(&thing);
    case.track_certificate(&id);
    assert!(
        arns["thing"].ends_with(&format!(":thing/{thing}")),
        "{arns:?}"
    );
    assert!(
        arns["policy"].ends_with(&format!(":policy/{policy}")),
        "{arns:?}"
    );
    let pem = out.certificate_pem().unwrap_or_default();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let cert = case
        .iot
        .describe_certificate()
        .certificate_id(&id)
        .send()
        .await
        .expect("DescribeCertificate");
    let status = cert.certificate_description().and_then(|d| d.status());
    assert_eq!(status.map(|s| s.as_str()), Some("ACTIVE"));
    let principals = case
        .iot
        .list_thing_principals()
        .thing_name(&thing)
        .send()
        .await
        .expect("ListThingPrincipals");
    assert_eq!(principals.principals(), [cert_arn]);
    case.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn register_thing_with_a_missing_thing_type_creates_nothing() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let policy = case
        .create_policy("RegisterThingPolicy", &fixture("policies/s5-pubsub.json"))
        .await;
    let thing = case.name("never");
    let missing_type = case.name("NoSuchType");
    let (csr, _key) = generate_csr(&thing).expect("CSR");
    let err = case
        .iot
        .register_thing()
        .template_body(template(&policy, Some(&missing_type)))
        .parameters("ThingName", &thing)
        .parameters("CSR", csr)
        .send()
        .await
        .expect_err("RegisterThing with a missing thing type");
    assert_eq!(
        control::error_code(&err).as_deref(),
        Some("ResourceRegistrationFailureException"),
        "{err:?}"
    );
    let described = case.iot.describe_thing().thing_name(&thing).send().await;
    let code = described.err().and_then(|e| control::error_code(&e));
    assert_eq!(code.as_deref(), Some("ResourceNotFoundException"));
    case.finish().await;
}
