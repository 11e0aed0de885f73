//! Credentials provider conformance: S3 (JITP through the credentials provider: the
//! first request registers and is refused, a later one gets credentials), a provisioned
//! device fetching credentials for its thing, and the rejections AWS documents
//! (a thing the certificate is not attached to, no AssumeRoleWithCertificate, an
//! unknown role alias).

use std::time::Duration;

use conformance::case::{fixture_for, AutoRegistration};
use conformance::{expect, Case};
use iot_device_client::credentials::{fetch, CredentialsRequest};
use iot_device_client::tls::Identity;
use iot_device_client::ClientError;
use serde_json::{json, Value};
use test_pki::{Ca, DeviceSubject};

fn request(
    case: &Case,
    alias: &str,
    thing: Option<&str>,
    identity: Identity,
) -> CredentialsRequest {
    CredentialsRequest {
        endpoint: case
            .target
            .credentials_url
            .clone()
            .expect("credentials URL"),
        role_alias: alias.to_string(),
        thing_name: thing.map(str::to_string),
        ca_pem: case.target.ca_pem.clone(),
        identity,
        timeout: Duration::from_secs(10),
    }
}

/// The credentials as JSON, with their documented shape asserted.
fn assert_credentials(credentials: &iot_device_client::wire::Credentials) {
    let doc = json!({ "credentials": serde_json::to_value(credentials).expect("JSON") });
    for key in ["accessKeyId", "secretAccessKey", "sessionToken"] {
        expect::string_where(&doc, &format!("$.credentials.{key}"), "non-empty", |s| {
            !s.is_empty()
        });
    }
    // ISO 8601 UTC without fractional seconds, e.g. 2018-01-18T09:18:06Z.
    expect::string_where(
        &doc,
        "$.credentials.expiration",
        "YYYY-MM-DDThh:mm:ssZ",
        |s| s.len() == 20 && s.ends_with('Z') && s.as_bytes()[10] == b'T',
    );
}

/// A status and message as the provider sent them.
fn refusal(outcome: iot_device_client::Result<iot_device_client::wire::Credentials>) -> Value {
    match outcome {
        Err(ClientError::Credentials { status, message }) => {
            json!({"status": status, "message": message})
        }
        other => panic!("expected an error status, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_jitp_through_the_credentials_provider() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let Some(role) = case.credentials_role_arn() else {
        return case.finish().await;
    };
    let (alias, _) = case.create_role_alias("S3DeviceRoleAlias", &role).await;
    let body = fixture_for(&case.target, "templates/s3-registration-body.json")
        .replace("rolealias/S3DeviceRoleAlias", &format!("rolealias/{alias}"));
    let ca = Ca::generate("Conformance S3 Root CA").expect("CA");
    case.register_ca(&ca, AutoRegistration::TemplateBody(body))
        .await;
    let thing = case.name("CredsDevice01");
    let device = ca.device(&DeviceSubject::named(&thing)).expect("device");
    // As S3's requests: the device certificate followed by the CA certificate.
    let identity = Identity {
        cert_pem: format!("{}{}", device.cert_pem, ca.issued.cert_pem),
        key_pem: device.key_pem.clone(),
    };
    let first = fetch(&request(&case, &alias, Some(&thing), identity.clone())).await;
    assert!(
        first.is_err(),
        "the first request registers and is not answered 200"
    );
    let credentials = fetch(&request(&case, &alias, Some(&thing), identity))
        .await
        .expect("a later request gets credentials");
    case.track_provisioned_thing(&thing).await;
    assert_credentials(&credentials);
    case.finish().await;
}

/// A certificate attached to a thing, with a policy allowing AssumeRoleWithCertificate
/// on every role alias of this case when `allow` (and only Connect otherwise).
async fn provisioned_device(case: &mut Case, allow: bool) -> (String, Identity) {
    let cert = case.create_certificate().await;
    let thing = case.name("CredsThing");
    case.create_thing_with(&thing, &cert.certificate_arn).await;
    let (action, resource) = if allow {
        let aliases = case
            .target
            .iot_arn(&format!("rolealias/{}*", case.name("")));
        ("iot:AssumeRoleWithCertificate", aliases)
    } else {
        ("iot:Connect", "*".to_string())
    };
    let document = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": action, "Resource": resource}]});
    let policy = case
        .create_policy("CredsPolicy", &document.to_string())
        .await;
    case.attach_policy(&policy, &cert.certificate_arn).await;
    (thing, cert.identity)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provisioned_device_gets_credentials_for_its_thing_and_others_are_refused() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let Some(role) = case.credentials_role_arn() else {
        return case.finish().await;
    };
    let (alias, _) = case.create_role_alias("CredsAlias", &role).await;
    let (thing, identity) = provisioned_device(&mut case, true).await;
    let credentials = fetch(&request(&case, &alias, Some(&thing), identity.clone()))
        .await
        .expect("credentials for the attached thing");
    assert_credentials(&credentials);
    let other = case.name("NotMyThing");
    let doc = refusal(fetch(&request(&case, &alias, Some(&other), identity.clone())).await);
    expect::equals(&doc, "$.status", json!(403));
    expect::equals(&doc, "$.message", json!("Invalid thing name passed"));
    // The policy allows every alias of this case, so the alias check is what refuses.
    let missing = case.name("NoSuchAlias");
    let doc = refusal(fetch(&request(&case, &missing, Some(&thing), identity)).await);
    expect::equals(&doc, "$.status", json!(404));
    expect::equals(&doc, "$.message", json!("Role alias does not exist"));
    case.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_assume_role_with_certificate_the_provider_denies() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let Some(role) = case.credentials_role_arn() else {
        return case.finish().await;
    };
    let (alias, _) = case.create_role_alias("CredsAlias", &role).await;
    let (thing, identity) = provisioned_device(&mut case, false).await;
    let doc = refusal(fetch(&request(&case, &alias, Some(&thing), identity)).await);
    expect::equals(&doc, "$.status", json!(403));
    expect::equals(&doc, "$.message", json!("Access Denied"));
    case.finish().await;
}
