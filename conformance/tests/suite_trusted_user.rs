//! S5 conformance: fleet provisioning by a trusted user. CreateProvisioningClaim gives a
//! temporary certificate (five minutes) that provisions through the template (Mappings
//! and `Fn::FindInMap` in DeviceConfiguration, an inline policy); the device then
//! connects with its own certificate. In process the emulator runs with `--seed`, and
//! the payloads and registry are snapshotted with insta. Also: a location the mapping
//! lacks is rejected and creates nothing.

use std::collections::BTreeMap;

use conformance::case::fixture;
use conformance::{expect, Case, TargetKind};
use iot_device_client::mqtt::{Connection, Qos};
use iot_device_client::provision::Provisioner;
use iot_device_client::tls::Identity;
use iot_device_client::wire::{CreateKeysAndCertificateResponse, Format, RegisterThingResponse};
use iot_device_client::ClientError;
use serde_json::{json, Value};

/// The template and a trusted user's claim for it: (template, claim identity, claim JSON).
async fn s5_admin(case: &mut Case) -> (String, Identity, Value) {
    let template = case
        .create_template(
            "TrustedUserTemplate",
            &fixture("templates/s5-trusted-user.json"),
        )
        .await;
    let claim = case
        .iot
        .create_provisioning_claim()
        .template_name(&template)
        .send()
        .await
        .expect("CreateProvisioningClaim");
    let id = claim.certificate_id().expect("certificateId").to_string();
    case.track_certificate(&id);
    let pair = claim.key_pair().expect("keyPair");
    let identity = Identity {
        cert_pem: claim.certificate_pem().expect("certificatePem").to_string(),
        key_pem: pair.private_key().expect("PrivateKey").to_string(),
    };
    let issued = claim.expiration().expect("expiration").secs();
    let doc = json!({"certificateId": id, "expiration": issued});
    (template, identity, doc)
}

/// The device side with the temporary certificate: CreateKeysAndCertificate, then
/// RegisterThing `{SerialNumber, DeviceLocation}`; the new certificate is tracked.
async fn provision(
    case: &mut Case,
    (template, claim): (&str, Identity),
    serial: &str,
    location: &str,
) -> (
    CreateKeysAndCertificateResponse,
    Result<RegisterThingResponse, ClientError>,
) {
    let mqtt = case.mqtt(&case.name("trusted-user-device"), claim);
    let mut connection = Connection::connect(&mqtt)
        .await
        .expect("the temporary certificate connects");
    let mut api = Provisioner::new(&mut connection, Format::Json);
    let created = api.create_keys_and_certificate().await.expect("accepted");
    case.track_certificate(&created.certificate_id);
    let parameters = BTreeMap::from([
        ("SerialNumber".to_string(), serial.to_string()),
        ("DeviceLocation".to_string(), location.to_string()),
    ]);
    let token = &created.certificate_ownership_token;
    let registered = api.register_thing(template, token, Some(parameters)).await;
    connection.disconnect().await;
    (created, registered)
}

/// The thing as DescribeThing shows it, as JSON.
async fn describe(case: &Case, thing: &str) -> Value {
    let described = case
        .iot
        .describe_thing()
        .thing_name(thing)
        .send()
        .await
        .expect("DescribeThing");
    let attributes: BTreeMap<_, _> = described
        .attributes()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();
    json!({"thingName": described.thing_name(), "thingId": described.thing_id(),
           "thingArn": described.thing_arn(), "attributes": attributes,
           "version": described.version()})
}

#[tokio::test(flavor = "multi_thread")]
async fn s5_trusted_user_claim_provisions_with_mapped_device_configuration() {
    let Some(mut case) = Case::start_with(|config| config.seed = Some(5)).await else {
        return;
    };
    let (template, claim, claim_doc) = s5_admin(&mut case).await;
    let id = "a certificate id";
    expect::string_where(&claim_doc, "$.certificateId", id, expect::is_certificate_id);
    let serial = case.name("1");
    let (created, registered) = provision(&mut case, (&template, claim), &serial, "Seattle").await;
    let thing = format!("ThingPrefix_{serial}");
    case.track_provisioned_thing(&thing).await;
    let doc = serde_json::to_value(registered.expect("RegisterThing accepted")).unwrap();
    expect::equals(&doc, "$.thingName", json!(thing));
    let url = json!("https://example.aws");
    expect::equals(&doc, "$.deviceConfiguration.LocationUrl", url);
    let fallback = json!("https://www.example.com/test-site");
    expect::equals(&doc, "$.deviceConfiguration.FallbackUrl", fallback);
    let described = describe(&case, &thing).await;
    expect::equals(&described, "$.attributes.version", json!("v1"));

    // The device connects with its new certificate (the template's inline policy).
    let identity = Identity {
        cert_pem: created.certificate_pem.clone(),
        key_pem: created.private_key.clone(),
    };
    let mut device = Connection::connect(&case.mqtt(&thing, identity))
        .await
        .expect("connects");
    let hello = format!("{thing}/hello");
    device
        .publish(&hello, b"{}".to_vec(), Qos::AtLeastOnce)
        .await
        .expect("publishes");
    device.disconnect().await;

    if case.target.kind == TargetKind::Emulator {
        let snapshot = json!({
            "claim": claim_doc,
            "createKeysAndCertificate": {"certificateId": created.certificate_id},
            "registerThing": doc,
            "thing": described,
        });
        insta::assert_json_snapshot!("s5_trusted_user_seeded", snapshot);
    }
    case.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_location_missing_from_the_mapping_is_rejected_and_creates_nothing() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let (template, claim, _) = s5_admin(&mut case).await;
    let serial = case.name("2");
    let (_, registered) = provision(&mut case, (&template, claim), &serial, "Atlantis").await;
    assert!(
        matches!(
            registered,
            Err(ClientError::Rejected {
                status_code: 400,
                ..
            })
        ),
        "expected a 400 /rejected, got {registered:?}"
    );
    let thing = format!("ThingPrefix_{serial}");
    let described = case.iot.describe_thing().thing_name(&thing).send().await;
    assert!(described.is_err(), "{thing} must not exist");
    case.finish().await;
}
