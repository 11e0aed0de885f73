//! Fleet provisioning over MQTT with the AWS IoT Device SDK v2 for Python: scenarios S1,
//! S4 and S5 (admin side through the aws CLI), the CSR and CBOR flows, and the rejections.

mod common;
mod fleet_support;

use common::TestEmulator;
use fleet_support::{
    claim_certificate, create_template, hex, provision, raw, s1_admin, Claim, ALLOW, DENY, HOOK_ARN,
};
use serde_json::{json, Value};

/// Connect, Publish, Receive and Subscribe on everything.
const ALLOW_ALL: &str = "policies/s4-bulb.json";

const ACCEPTED_KEYS: [&str; 4] = [
    "certificateId",
    "certificatePem",
    "privateKey",
    "certificateOwnershipToken",
];

#[tokio::test(flavor = "multi_thread")]
async fn s1_claim_provisions_over_mqtt5_with_alpn_then_reconnects_as_the_thing() {
    // The seed's Lambda answers {"allowProvisioning": true}; a shell command stands in.
    let emu = fleet_support::with_hook(HOOK_ARN, ALLOW).await;
    let claim = claim_certificate(&emu, "OtameshiClaimPolicy", "policies/s1-claim.json").await;
    s1_admin(&emu).await;
    let got = provision(
        &emu,
        &claim,
        json!({"proto": "mqtt5", "alpn": true, "client_id": "Claim_TestThingClaim",
               "template": "OtameshiClaimTemplate",
               "parameters": {"SerialNumber": "TestThingClaim"}, "reconnect": true}),
    )
    .await;
    for key in ACCEPTED_KEYS {
        assert!(got["created"][key].is_string(), "{key} missing: {got}");
    }
    assert!(got["created"]["privateKey"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert_eq!(
        got["registered"],
        json!({"thingName": "Fleet_Provisioned_TestThingClaim", "deviceConfiguration": {}})
    );
    assert_eq!(got["reconnected"], true, "{got}");
    let id = got["created"]["certificateId"].as_str().unwrap();
    let cert = emu
        .aws_ok(&["describe-certificate", "--certificate-id", id])
        .await;
    assert_eq!(cert["certificateDescription"]["status"], "ACTIVE");
    let principals = emu
        .aws_ok(&[
            "list-thing-principals",
            "--thing-name",
            "Fleet_Provisioned_TestThingClaim",
        ])
        .await;
    assert_eq!(principals["principals"].as_array().unwrap().len(), 1);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s4_mqtt311_connection_gets_the_device_configuration() {
    let emu = TestEmulator::start().await;
    let claim = fleet_support::s4_admin(&emu).await;
    let got = provision(
        &emu,
        &claim,
        json!({"proto": "mqtt3", "client_id": "bulb-claim", "template": "BulbTemplate",
               "parameters": {"SerialNumber": "0002"}}),
    )
    .await;
    assert_eq!(
        got["registered"],
        json!({"thingName": "MyThing_0002", "deviceConfiguration": {"MyDeviceOption": "Normal"}}),
        "{got}"
    );
    let thing = emu
        .aws_ok(&["describe-thing", "--thing-name", "MyThing_0002"])
        .await;
    assert_eq!(thing["thingTypeName"], "Bulb");
    assert_eq!(thing["attributes"], json!({"Make": "Sony"}));
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn csr_flow_keeps_the_subject_and_needs_no_private_key() {
    let emu = TestEmulator::start().await;
    let claim = fleet_support::s4_admin(&emu).await;
    let (csr, key) = fleet_support::csr(&claim, "bulb-0003");
    let got = provision(
        &emu,
        &claim,
        json!({"proto": "mqtt5", "client_id": "bulb-claim", "template": "BulbTemplate",
               "csr": csr, "csr_key": key, "parameters": {"SerialNumber": "0003"}}),
    )
    .await;
    assert!(got["created"].get("privateKey").is_none(), "{got}");
    assert_eq!(got["registered"]["thingName"], "MyThing_0003", "{got}");
    let pem = got["created"]["certificatePem"].as_str().unwrap();
    assert!(fleet_support::subject_cn(pem).as_deref() == Some("bulb-0003"));
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s5_trusted_user_claim_provisions_until_it_expires() {
    let emu = TestEmulator::start().await;
    fleet_support::create_policy(&emu, "pubsub", "policies/s5-pubsub.json").await;
    create_template(
        &emu,
        "TrustedUserProvisioningTemplate",
        "templates/s5-trusted-user.json",
    )
    .await;
    let claim = fleet_support::provisioning_claim(&emu, "TrustedUserProvisioningTemplate").await;
    let got = provision(
        &emu,
        &claim,
        json!({"proto": "mqtt5", "client_id": "ThingPrefix_1",
               "template": "TrustedUserProvisioningTemplate",
               "parameters": {"SerialNumber": "1", "DeviceLocation": "Seattle"}}),
    )
    .await;
    assert_eq!(
        got["registered"],
        json!({"thingName": "ThingPrefix_1", "deviceConfiguration": {
            "FallbackUrl": "https://www.example.com/test-site",
            "LocationUrl": "https://example.aws"}}),
        "{got}"
    );
    // Five minutes later the claim no longer connects.
    emu.advance_clock(301).await;
    let late = provision(
        &emu,
        &claim,
        json!({"proto": "mqtt5", "client_id": "ThingPrefix_2",
               "template": "TrustedUserProvisioningTemplate",
               "parameters": {"SerialNumber": "2", "DeviceLocation": "Seattle"}}),
    )
    .await;
    assert!(
        late["exception"]
            .as_str()
            .unwrap_or("")
            .contains("connect failed"),
        "{late}"
    );
    emu.shutdown().await;
}

fn rejected(reply: &Value) -> (&str, Value) {
    (reply["topic"].as_str().unwrap_or(""), reply["body"].clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn cbor_requests_get_cbor_replies() {
    let emu = TestEmulator::start().await;
    let claim = claim_certificate(&emu, "AnyClaim", ALLOW_ALL).await;
    let topic = "$aws/certificates/create/cbor";
    let got = raw(
        &emu,
        &claim,
        json!({"topic": topic, "format": "cbor", "payload_hex": ""}),
    )
    .await;
    let replies = got["replies"].as_array().expect("replies");
    assert_eq!(replies.len(), 1, "{got}");
    assert_eq!(replies[0]["topic"], format!("{topic}/accepted"));
    for key in ACCEPTED_KEYS {
        assert!(replies[0]["body"][key].is_string(), "{key} missing: {got}");
    }
    // A CBOR map with an empty token is rejected in CBOR.
    let body = hex(&fleet_support::cbor(
        &json!({"certificateOwnershipToken": ""}),
    ));
    let topic = "$aws/provisioning-templates/AnyTemplate/provision/cbor";
    let got = raw(
        &emu,
        &claim,
        json!({"topic": topic, "format": "cbor", "payload_hex": body}),
    )
    .await;
    let (reply_topic, body) = rejected(&got["replies"][0]);
    assert_eq!(reply_topic, format!("{topic}/rejected"));
    assert_eq!(
        body,
        json!({"statusCode": 400, "errorCode": "InvalidCertificateOwnershipToken",
               "errorMessage": "Certificate ownership token cannot be empty."})
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_are_rejected_and_the_connection_survives() {
    let emu = TestEmulator::start().await;
    let claim = claim_certificate(&emu, "AnyClaim", ALLOW_ALL).await;
    let cases = [
        (
            "$aws/certificates/create/json",
            hex(b"{not json"),
            400,
            "InvalidPayload",
        ),
        (
            "$aws/certificates/create/cbor",
            hex(&[0xff, 0x13]),
            400,
            "InvalidPayload",
        ),
        (
            "$aws/certificates/create-from-csr/json",
            hex(b"{}"),
            400,
            "InvalidPayload",
        ),
        (
            "$aws/certificates/create-from-csr/json",
            hex(br#"{"certificateSigningRequest":"not a csr"}"#),
            400,
            "InvalidRequest",
        ),
        (
            "$aws/provisioning-templates/Nope/provision/json",
            hex(b"{}"),
            400,
            "InvalidCertificateOwnershipToken",
        ),
        (
            "$aws/provisioning-templates/Nope/provision/json",
            hex(br#"{"certificateOwnershipToken":"bm90LWEtdG9rZW4="}"#),
            400,
            "InvalidCertificateOwnershipToken",
        ),
    ];
    for (topic, payload, status, code) in cases {
        let fmt = if topic.ends_with("cbor") {
            "cbor"
        } else {
            "json"
        };
        let got = raw(
            &emu,
            &claim,
            json!({"topic": topic, "format": fmt, "payload_hex": payload}),
        )
        .await;
        let (reply_topic, body) = rejected(&got["replies"][0]);
        assert_eq!(reply_topic, format!("{topic}/rejected"), "{got}");
        assert_eq!(body["statusCode"], status, "{topic}: {body}");
        assert_eq!(body["errorCode"], code, "{topic}: {body}");
        assert!(body["errorMessage"].is_string());
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn replies_go_only_to_the_requesting_connection() {
    let emu = TestEmulator::start().await;
    let claim = claim_certificate(&emu, "AnyClaim", ALLOW_ALL).await;
    let other: Claim = claim_certificate(&emu, "AnyClaim2", ALLOW_ALL).await;
    let topic = "$aws/certificates/create/json";
    let observer = json!({"cert": other.cert, "key": other.key, "client_id": "observer"});
    let got = raw(
        &emu,
        &claim,
        json!({"topic": topic, "format": "json", "payload_hex": "", "observer": observer}),
    )
    .await;
    assert_eq!(got["replies"].as_array().map(Vec::len), Some(1), "{got}");
    assert_eq!(got["observed"], json!([]), "{got}");
    // Not subscribed: no reply at all.
    let got = raw(
        &emu,
        &claim,
        json!({"topic": topic, "format": "json", "payload_hex": "", "subscribe": false}),
    )
    .await;
    assert_eq!(got["replies"], json!([]), "{got}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_template_is_rejected_with_a_valid_token() {
    let emu = TestEmulator::start().await;
    let claim = claim_certificate(&emu, "AnyClaim", ALLOW_ALL).await;
    let got = provision(
        &emu,
        &claim,
        json!({"proto": "mqtt5", "client_id": "c", "template": "NoSuchTemplate"}),
    )
    .await;
    assert_eq!(got["rejected"]["op"], "register", "{got}");
    assert_eq!(got["rejected"]["statusCode"], 404, "{got}");
    assert_eq!(got["rejected"]["errorCode"], "ResourceNotFound", "{got}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hook_that_denies_rejects_and_creates_nothing() {
    let emu = fleet_support::with_hook(HOOK_ARN, DENY).await;
    let claim = claim_certificate(&emu, "OtameshiClaimPolicy", "policies/s1-claim.json").await;
    s1_admin(&emu).await;
    let got = provision(
        &emu,
        &claim,
        json!({"proto": "mqtt5", "client_id": "Claim_Denied", "template": "OtameshiClaimTemplate",
               "parameters": {"SerialNumber": "Denied"}}),
    )
    .await;
    assert_eq!(got["rejected"]["statusCode"], 403, "{got}");
    assert_eq!(got["rejected"]["errorCode"], "AccessDenied", "{got}");
    let things = emu.aws_ok(&["list-things"]).await;
    assert_eq!(things["things"], json!([]));
    let id = got["created"]["certificateId"].as_str().unwrap();
    let cert = emu
        .aws_ok(&["describe-certificate", "--certificate-id", id])
        .await;
    assert_eq!(
        cert["certificateDescription"]["status"],
        "PENDING_ACTIVATION"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s4_payloads_and_registry_snapshot_in_seed_mode() {
    let emu = TestEmulator::seeded(4).await;
    let claim = fleet_support::s4_admin(&emu).await;
    let got = provision(
        &emu,
        &claim,
        json!({"proto": "mqtt3", "client_id": "bulb-claim", "template": "BulbTemplate",
               "parameters": {"SerialNumber": "0002"}}),
    )
    .await;
    let body = hex(br#"{"certificateOwnershipToken":""}"#);
    let topic = "$aws/provisioning-templates/BulbTemplate/provision/json";
    let rejected = raw(
        &emu,
        &claim,
        json!({"topic": topic, "format": "json", "payload_hex": body}),
    )
    .await;
    let id = got["created"]["certificateId"]
        .as_str()
        .unwrap()
        .to_string();
    let thing = emu
        .aws_ok(&["describe-thing", "--thing-name", "MyThing_0002"])
        .await;
    let cert = emu
        .aws_ok(&["describe-certificate", "--certificate-id", &id])
        .await;
    let principals = emu
        .aws_ok(&["list-thing-principals", "--thing-name", "MyThing_0002"])
        .await;
    let policies = emu
        .aws_ok(&[
            "list-attached-policies",
            "--target",
            &format!("arn:aws:iot:us-east-1:123456789012:cert/{id}"),
        ])
        .await;
    insta::assert_json_snapshot!(
        "s4_fleet_provisioning",
        json!({
            "accepted": {"create": fleet_support::redact(got["created"].clone()), "register": got["registered"]},
            "rejected": rejected["replies"],
            "registry": {
                "thing": thing,
                "certificateStatus": cert["certificateDescription"]["status"],
                "principals": principals,
                "policies": policies,
            },
        })
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_template_without_override_settings_refuses_a_conflicting_thing() {
    let emu = TestEmulator::start().await;
    let claim = claim_certificate(&emu, "AnyClaim", ALLOW_ALL).await;
    create_template(&emu, "Plain", "templates/fleet-no-overrides.json").await;
    emu.aws_ok(&[
        "create-thing",
        "--thing-name",
        "plain-0001",
        "--attribute-payload",
        r#"{"attributes": {"model": "B"}}"#,
    ])
    .await;
    let got = provision(
        &emu,
        &claim,
        json!({"proto": "mqtt5", "client_id": "plain-claim", "template": "Plain",
               "parameters": {"SerialNumber": "0001"}}),
    )
    .await;
    let rejected = &got["rejected"];
    assert_eq!(rejected["op"], "register", "{got}");
    assert_eq!(rejected["statusCode"], 409, "{got}");
    assert_eq!(rejected["errorCode"], "ResourceConflict", "{got}");
    assert_eq!(
        rejected["errorMessage"],
        "AttributePayload conflicts with AttributePayload in Template"
    );
    // Nothing changed: the thing keeps its attributes and has no certificate.
    let thing = emu
        .aws_ok(&["describe-thing", "--thing-name", "plain-0001"])
        .await;
    assert_eq!(thing["attributes"], json!({"model": "B"}));
    let principals = emu
        .aws_ok(&["list-thing-principals", "--thing-name", "plain-0001"])
        .await;
    assert_eq!(principals["principals"], json!([]));
    emu.shutdown().await;
}
