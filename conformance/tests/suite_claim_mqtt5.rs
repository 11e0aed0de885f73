//! S1 conformance: fleet provisioning by claim over MQTT 5 with the scenario's policies
//! (Connect only as `Claim_*`; the provisioned device only as its attached thing), the
//! device reconnecting as `Fleet_Provisioned_<serial>` and publishing; and the
//! pre-provisioning hook allowing or refusing (in process, where a command stands in for
//! the Lambda).

use std::collections::BTreeMap;

use aws_sdk_iot::types::ProvisioningHook;
use conformance::case::fixture_for;
use conformance::target::{ALLOWING_HOOK_ARN, REFUSING_HOOK_ARN};
use conformance::{expect, Case, TargetKind};
use iot_device_client::mqtt::{Connection, Qos};
use iot_device_client::provision::Provisioner;
use iot_device_client::tls::Identity;
use iot_device_client::wire::Format;
use iot_device_client::ClientError;
use serde_json::json;

/// S1's admin side with this case's names: the claim certificate with the claim policy,
/// the provisioned-device policy and the template (with `hook`, if any). Returns the
/// claim identity and the template name.
async fn s1_admin(case: &mut Case, hook: Option<&str>) -> (Identity, String) {
    let template = case.name("OtameshiClaimTemplate");
    let claim_policy = fixture_for(&case.target, "policies/s1-claim.json")
        .replace("OtameshiClaimTemplate", &template);
    let claim = case.create_certificate().await;
    let claim_policy = case
        .create_policy("OtameshiClaimPolicy", &claim_policy)
        .await;
    case.attach_policy(&claim_policy, &claim.certificate_arn)
        .await;
    let device_policy = case
        .create_policy(
            "OtameshiProvisionedPolicy",
            &fixture_for(&case.target, "policies/s1-provisioned.json"),
        )
        .await;
    let body = fixture_for(&case.target, "templates/s1-claim.json").replace(
        "\"OtameshiProvisionedPolicy\"",
        &format!("\"{device_policy}\""),
    );
    let mut request = case
        .iot
        .create_provisioning_template()
        .template_name(&template)
        .template_body(body)
        .provisioning_role_arn(&case.target.provisioning_role_arn)
        .enabled(true);
    if let Some(arn) = hook {
        let hook = ProvisioningHook::builder()
            .target_arn(arn)
            .payload_version("2020-04-01")
            .build()
            .expect("hook");
        request = request.pre_provisioning_hook(hook);
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateProvisioningTemplate: {e:?}"));
    case.track_template(&template);
    (claim.identity, template)
}

/// CreateKeysAndCertificate then RegisterThing `{"SerialNumber": serial}` as
/// `Claim_<serial>` over MQTT 5; the certificate is tracked either way.
async fn provision(
    case: &mut Case,
    claim: Identity,
    template: &str,
    serial: &str,
) -> (
    Identity,
    iot_device_client::Result<iot_device_client::wire::RegisterThingResponse>,
) {
    let mut mqtt = case.mqtt(&format!("Claim_{serial}"), claim);
    // S1's awscrt client uses port 443 with ALPN x-amzn-mqtt-ca; an emulator takes the
    // same ALPN on its MQTT port.
    mqtt.alpn = true;
    if case.target.kind == TargetKind::Aws {
        mqtt.port = 443;
    }
    let mut connection = Connection::connect(&mqtt)
        .await
        .expect("the claim connects as Claim_*");
    let mut api = Provisioner::new(&mut connection, Format::Json);
    let created = api.create_keys_and_certificate().await.expect("accepted");
    case.track_certificate(&created.certificate_id);
    let parameters = BTreeMap::from([("SerialNumber".to_string(), serial.to_string())]);
    let registered = api
        .register_thing(
            template,
            &created.certificate_ownership_token,
            Some(parameters),
        )
        .await;
    connection.disconnect().await;
    let identity = Identity {
        cert_pem: created.certificate_pem,
        key_pem: created.private_key,
    };
    (identity, registered)
}

#[tokio::test(flavor = "multi_thread")]
async fn s1_claim_over_mqtt5_then_the_device_connects_as_its_thing() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let (claim, template) = s1_admin(&mut case, None).await;
    // The claim policy allows Connect only as Claim_*.
    let mut outsider = case.mqtt(&case.name("NotAClaim"), claim.clone());
    outsider.backoff.attempts = 1;
    assert!(
        Connection::connect(&outsider).await.is_err(),
        "Connect outside Claim_* is denied"
    );

    let serial = case.name("TestThingClaim");
    let (device, registered) = provision(&mut case, claim, &template, &serial).await;
    let thing = format!("Fleet_Provisioned_{serial}");
    case.track_thing(&thing);
    let doc = serde_json::to_value(registered.expect("RegisterThing accepted")).unwrap();
    expect::equals(&doc, "$.thingName", json!(thing));
    expect::equals(&doc, "$.deviceConfiguration", json!({}));

    // The provisioned policy: Connect only as the attached thing.
    let mut wrong = case.mqtt(&case.name("SomeoneElse"), device.clone());
    wrong.backoff.attempts = 1;
    assert!(
        Connection::connect(&wrong).await.is_err(),
        "Connect as another client id is denied"
    );
    let mut connection = Connection::connect(&case.mqtt(&thing, device))
        .await
        .expect("the device connects as Fleet_Provisioned_<serial>");
    connection
        .publish(
            &format!("otameshi/aws-iot-provisioning/claim/{thing}"),
            br#"{"message":"hello"}"#.to_vec(),
            Qos::AtLeastOnce,
        )
        .await
        .expect("publishes");
    connection.disconnect().await;
    case.finish().await;
}

/// A case on the shared in-process emulator, which binds the conformance hook ARNs to
/// commands; `None` (skipped, with the reason) elsewhere, where a real Lambda is needed.
async fn hook_case() -> Option<Case> {
    let case = Case::start().await?;
    if !case.target.is_shared() {
        eprintln!("conformance: SKIPPED outside the in-process emulator: the pre-provisioning hook needs a Lambda");
        case.finish().await;
        return None;
    }
    Some(case)
}

#[tokio::test(flavor = "multi_thread")]
async fn s1_pre_provisioning_hook_allowing_provisioning() {
    let Some(mut case) = hook_case().await else {
        return;
    };
    let (claim, template) = s1_admin(&mut case, Some(ALLOWING_HOOK_ARN)).await;
    let serial = case.name("TestThingClaim");
    let (_, registered) = provision(&mut case, claim, &template, &serial).await;
    let thing = format!("Fleet_Provisioned_{serial}");
    case.track_thing(&thing);
    let doc = serde_json::to_value(registered.expect("the hook allows")).unwrap();
    expect::equals(&doc, "$.thingName", json!(thing));
    case.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s1_pre_provisioning_hook_refusing_rejects_register_thing() {
    let Some(mut case) = hook_case().await else {
        return;
    };
    let (claim, template) = s1_admin(&mut case, Some(REFUSING_HOOK_ARN)).await;
    let serial = case.name("TestThingClaim");
    let (_, registered) = provision(&mut case, claim, &template, &serial).await;
    // AWS documents the refusal but not its wire code, so only the rejection is asserted.
    assert!(
        matches!(registered, Err(ClientError::Rejected { .. })),
        "expected /rejected, got {registered:?}"
    );
    let thing = format!("Fleet_Provisioned_{serial}");
    let described = case.iot.describe_thing().thing_name(&thing).send().await;
    assert!(described.is_err(), "no thing when the hook refuses");
    case.finish().await;
}
