//! JIT registration conformance: S2 (JITP with a private CA over MQTT 5: the first
//! connection is hung up, the client's retry connects, the policy comes from the
//! template's thing group), the JITR variant (PENDING_ACTIVATION, the registered event,
//! an admin activates), and a device of an unregistered CA refused.

use conformance::case::{fixture_for, AutoRegistration};
use conformance::{expect, Case};
use iot_device_client::mqtt::{Connection, MqttConfig, Qos};
use iot_device_client::tls::Identity;
use iot_device_client::ClientError;
use serde_json::{json, Value};
use test_pki::{Ca, DeviceSubject};

fn identity(issued: &test_pki::Issued) -> Identity {
    Identity {
        cert_pem: issued.cert_pem.clone(),
        key_pem: issued.key_pem.clone(),
    }
}

/// One attempt, no retry: what a device sees on its first JIT connection.
async fn connect_once(mut config: MqttConfig) -> Result<Connection, ClientError> {
    config.backoff.attempts = 1;
    Connection::connect(&config).await
}

#[track_caller]
fn assert_hung_up(outcome: Result<Connection, ClientError>) {
    match outcome {
        Err(ClientError::Connect { attempts: 1, .. }) => {}
        Err(other) => panic!("expected the connection closed before CONNACK, got {other}"),
        Ok(_) => panic!("expected the first connection to be closed before CONNACK"),
    }
}

/// S2's admin side: a JITP template (type, group by this case's names), the device
/// policy on the group, the CA registered and tied to the template. Returns the group.
async fn s2_admin(case: &mut Case, ca: &Ca) -> String {
    case.ensure_thing_type("JitpDeviceType").await;
    let (group, group_arn) = case.create_thing_group("JitpDevices").await;
    let policy = case
        .create_policy(
            "JitpDevicePolicy",
            &fixture_for(&case.target, "policies/s2-device.json"),
        )
        .await;
    case.attach_policy(&policy, &group_arn).await;
    let body = fixture_for(&case.target, "templates/s2-jitp.json")
        .replace("\"JitpDevices\"", &format!("\"{group}\""));
    let template = case.create_jitp_template("JitpTemplate", &body).await;
    let ca_id = case.register_ca(ca, AutoRegistration::Off).await;
    case.enable_jitp(&ca_id, &template).await;
    group
}

#[tokio::test(flavor = "multi_thread")]
async fn s2_jitp_first_connection_hangs_up_and_the_retry_connects() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let ca = Ca::generate("Conformance S2 Root CA").expect("CA");
    let group = s2_admin(&mut case, &ca).await;
    let thing = case.name("JitpDevice01");
    let subject = DeviceSubject {
        serial_number: Some("SN-0001".into()),
        ..DeviceSubject::named(&thing)
    };
    let device = ca.device(&subject).expect("device certificate");
    let config = case.mqtt(&thing, identity(&device));
    assert_hung_up(connect_once(config.clone()).await);
    // The client's own retry with backoff then connects, as awscrt's does in S2.
    let mut connection = Connection::connect(&config)
        .await
        .expect("the retry connects");
    connection
        .publish(
            &format!("{thing}/telemetry"),
            b"{}".to_vec(),
            Qos::AtLeastOnce,
        )
        .await
        .expect("the group's policy allows publishing");
    connection.disconnect().await;
    let certificates = case.track_provisioned_thing(&thing).await;
    assert_eq!(certificates.len(), 1, "one certificate attached to {thing}");
    let described = case
        .iot
        .describe_thing()
        .thing_name(&thing)
        .send()
        .await
        .expect("DescribeThing");
    assert_eq!(described.thing_type_name(), Some("JitpDeviceType"));
    let serial = described.attributes().and_then(|a| a.get("serialNumber"));
    assert_eq!(serial.map(String::as_str), Some("SN-0001"));
    let groups = case
        .iot
        .list_thing_groups_for_thing()
        .thing_name(&thing)
        .send()
        .await
        .expect("ListThingGroupsForThing");
    let names: Vec<_> = groups
        .thing_groups()
        .iter()
        .filter_map(|g| g.group_name())
        .collect();
    assert_eq!(names, vec![group.as_str()]);
    case.finish().await;
}

/// An allow-all certificate subscribed to the CA's registered-event topic.
async fn event_listener(case: &mut Case, ca_id: &str) -> (Connection, String) {
    let listener = case
        .claim_certificate("JitrListenerPolicy", "policies/s4-bulb.json")
        .await;
    let topic = format!("$aws/events/certificates/registered/{ca_id}");
    let mut connection =
        Connection::connect(&case.mqtt(&case.name("jitr-listener"), listener.identity))
            .await
            .expect("listener connects");
    connection
        .subscribe(&topic, Qos::AtMostOnce)
        .await
        .expect("subscribed to the registered event");
    (connection, topic)
}

#[tokio::test(flavor = "multi_thread")]
async fn jitr_registers_pending_publishes_the_event_and_an_admin_activates() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let ca = Ca::generate("Conformance JITR Root CA").expect("CA");
    let ca_id = case.register_ca(&ca, AutoRegistration::Jitr).await;
    let (mut listener, topic) = event_listener(&mut case, &ca_id).await;
    let thing = case.name("JitrDevice01");
    let device = ca.device(&DeviceSubject::named(&thing)).expect("device");
    let config = case.mqtt(&thing, identity(&device));
    assert_hung_up(connect_once(config.clone()).await);

    let event = listener
        .recv_on(&[&topic])
        .await
        .expect("the registered event");
    listener.disconnect().await;
    let doc: Value = serde_json::from_slice(&event.payload).expect("event JSON");
    expect::equals(&doc, "$.caCertificateId", json!(ca_id));
    expect::equals(&doc, "$.certificateStatus", json!("PENDING_ACTIVATION"));
    expect::equals(&doc, "$.awsAccountId", json!(case.target.account_id));
    expect::string_where(
        &doc,
        "$.certificateId",
        "a certificate id",
        expect::is_certificate_id,
    );
    let certificate_id = doc["certificateId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    case.track_certificate(&certificate_id);

    // What the JITR Lambda would do: a thing, a policy, the certificate ACTIVE.
    let arn = case.target.iot_arn(&format!("cert/{certificate_id}"));
    case.create_thing_with(&thing, &arn).await;
    let policy = case
        .create_policy(
            "JitrDevicePolicy",
            &fixture_for(&case.target, "policies/s2-device.json"),
        )
        .await;
    case.attach_policy(&policy, &arn).await;
    case.iot
        .update_certificate()
        .certificate_id(&certificate_id)
        .new_status(aws_sdk_iot::types::CertificateStatus::Active)
        .send()
        .await
        .expect("UpdateCertificate ACTIVE");
    let connection = Connection::connect(&config)
        .await
        .expect("the activated device connects");
    connection.disconnect().await;
    case.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_of_an_unregistered_ca_is_refused() {
    let Some(case) = Case::start().await else {
        return;
    };
    let ca = Ca::generate("Conformance Unregistered CA").expect("CA");
    let device = ca
        .device(&DeviceSubject::named("Stranger"))
        .expect("device");
    let outcome = connect_once(case.mqtt(&case.name("Stranger"), identity(&device))).await;
    assert!(outcome.is_err(), "an unknown certificate must not connect");
    case.finish().await;
}
