//! Fleet provisioning conformance: S4 (claim → CreateKeysAndCertificate → RegisterThing
//! over MQTT 3.1.1 → DeviceConfiguration), the CSR/CBOR claim flow with a saved device
//! (S1's second run), and RegisterThing's empty-token rejection.

use std::collections::BTreeMap;

use conformance::case::fixture;
use conformance::case::IssuedCertificate;
use conformance::{expect, Case};
use iot_device_client::mqtt::{Connection, Protocol, Qos};
use iot_device_client::provision::{provision_by_claim, ClaimRequest, KeySource, Provisioner};
use iot_device_client::store::DeviceStore;
use iot_device_client::wire::Format;
use iot_device_client::ClientError;
use serde_json::{json, Value};

/// S4's claim certificate, and its template with the policy renamed to this case's name
/// for it.
async fn s4_setup(case: &mut Case) -> (IssuedCertificate, String) {
    let claim = case
        .claim_certificate("BulbClaimPolicy", "policies/s4-bulb.json")
        .await;
    case.ensure_thing_type("Bulb").await;
    let device_policy = case
        .create_policy("BulbPolicy", &fixture("policies/s4-bulb.json"))
        .await;
    let body = fixture("templates/s4-bulb.json")
        .replace("\"BulbPolicy\"", &format!("\"{device_policy}\""));
    (claim, case.create_template("BulbTemplate", &body).await)
}

/// The control plane sees the S4 thing (type Bulb, Make=Sony) and an ACTIVE certificate.
async fn assert_bulb_registered(case: &Case, thing: &str, certificate_id: &str) {
    let described = case
        .iot
        .describe_thing()
        .thing_name(thing)
        .send()
        .await
        .expect("DescribeThing");
    assert_eq!(described.thing_type_name(), Some("Bulb"));
    let make = described
        .attributes()
        .and_then(|a| a.get("Make"))
        .map(String::as_str);
    assert_eq!(make, Some("Sony"));
    let cert = case
        .iot
        .describe_certificate()
        .certificate_id(certificate_id)
        .send()
        .await
        .expect("DescribeCertificate");
    let status = cert
        .certificate_description()
        .and_then(|d| d.status())
        .map(|s| s.as_str().to_string());
    assert_eq!(status.as_deref(), Some("ACTIVE"));
}

/// `thing` connects with `identity` and publishes one QoS 1 message.
async fn publish_as(case: &Case, thing: &str, identity: iot_device_client::tls::Identity) {
    let mut device = Connection::connect(&case.mqtt(thing, identity))
        .await
        .expect("bulb connects");
    device
        .publish(
            &format!("bulbs/{thing}/state"),
            br#"{"on":true}"#.to_vec(),
            Qos::AtLeastOnce,
        )
        .await
        .expect("bulb publishes");
    device.disconnect().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s4_claim_registers_a_bulb_with_its_device_configuration() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let (claim, template) = s4_setup(&mut case).await;
    let serial = case.name("0002");
    let mut mqtt = case.mqtt(&case.name("bulb-claim"), claim.identity.clone());
    mqtt.protocol = Protocol::V311;
    let mut connection = Connection::connect(&mqtt).await.expect("claim connects");
    let mut api = Provisioner::new(&mut connection, Format::Json);
    let created = api.create_keys_and_certificate().await.expect("accepted");
    let created_doc = serde_json::to_value(&created).unwrap();
    expect::string_where(
        &created_doc,
        "$.certificateId",
        "a certificate id",
        expect::is_certificate_id,
    );
    expect::string_where(&created_doc, "$.privateKey", "a PKCS#1 RSA key", |s| {
        s.starts_with("-----BEGIN RSA PRIVATE KEY-----")
    });
    expect::string_where(
        &created_doc,
        "$.certificateOwnershipToken",
        "non-empty",
        |s| !s.is_empty(),
    );
    case.track_certificate(&created.certificate_id);
    let parameters = BTreeMap::from([("SerialNumber".to_string(), serial.clone())]);
    let registered = api
        .register_thing(
            &template,
            &created.certificate_ownership_token,
            Some(parameters),
        )
        .await;
    connection.disconnect().await;
    let registered = registered.expect("RegisterThing accepted");
    let thing = format!("MyThing_{serial}");
    case.track_thing(&thing);
    let doc = serde_json::to_value(&registered).unwrap();
    expect::equals(&doc, "$.thingName", json!(thing));
    expect::equals(
        &doc,
        "$.deviceConfiguration",
        json!({"MyDeviceOption": "Normal"}),
    );

    assert_bulb_registered(&case, &thing, &created.certificate_id).await;
    // The bulb now connects with its own certificate and publishes.
    let identity = iot_device_client::tls::Identity {
        cert_pem: created.certificate_pem.clone(),
        key_pem: created.private_key.clone(),
    };
    publish_as(&case, &thing, identity).await;
    case.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn csr_claim_over_cbor_saves_the_device_and_the_next_run_reuses_it() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let (claim, template) = s4_setup(&mut case).await;
    let serial = case.name("0003");
    let request = ClaimRequest {
        mqtt: case.mqtt(&case.name("bulb-claim"), claim.identity.clone()),
        template_name: template,
        parameters: BTreeMap::from([("SerialNumber".to_string(), serial.clone())]),
        keys: KeySource::Csr {
            common_name: format!("bulb-{serial}"),
        },
        format: Format::Cbor,
    };
    let device = provision_by_claim(&request)
        .await
        .expect("CSR claim flow over CBOR");
    case.track_certificate(&device.certificate_id);
    let thing = device.thing_name.clone().expect("thingName");
    case.track_thing(&thing);
    assert_eq!(thing, format!("MyThing_{serial}"));
    let store = DeviceStore::new(case.dir().join("device"));
    store.save(&device).expect("saved");
    let reloaded = store.load().expect("readable").expect("a saved device");
    let doc = json!({"thingName": reloaded.thing_name, "deviceConfiguration": reloaded.device_configuration});
    expect::equals(
        &doc,
        "$.deviceConfiguration.MyDeviceOption",
        json!("Normal"),
    );
    // The second run connects straight away with what it saved.
    let mut again = Connection::connect(&case.mqtt(&thing, reloaded.identity))
        .await
        .expect("reconnects");
    again
        .publish(
            &format!("bulbs/{thing}/hello"),
            b"{}".to_vec(),
            Qos::AtLeastOnce,
        )
        .await
        .expect("publishes");
    again.disconnect().await;
    case.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn register_thing_with_an_empty_token_is_rejected_400() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let (claim, template) = s4_setup(&mut case).await;
    let mqtt = case.mqtt(&case.name("bulb-claim"), claim.identity.clone());
    let mut connection = Connection::connect(&mqtt).await.expect("claim connects");
    let outcome = Provisioner::new(&mut connection, Format::Json)
        .register_thing(&template, "", None)
        .await;
    connection.disconnect().await;
    let doc: Value = match outcome {
        Err(ClientError::Rejected {
            status_code,
            error_code,
            error_message,
            ..
        }) => json!({
            "statusCode": status_code, "errorCode": error_code, "errorMessage": error_message
        }),
        other => panic!("expected a /rejected answer, got {other:?}"),
    };
    expect::equals(&doc, "$.statusCode", json!(400));
    expect::equals(
        &doc,
        "$.errorCode",
        json!("InvalidCertificateOwnershipToken"),
    );
    expect::equals(
        &doc,
        "$.errorMessage",
        json!("Certificate ownership token cannot be empty."),
    );
    case.finish().await;
}
