//! Scenarios S1 (claim certificate, pre-provisioning hook, MQTT 5 with ALPN), S4 (claim
//! certificate, MQTT 3.1.1) and S5 (trusted-user claim) in every request form: CreateKeysAndCertificate and
//! CreateCertificateFromCsr, over JSON (the AWS IoT Device SDK v2's identity client) and
//! CBOR (a plain awscrt MQTT 5 client, as the SDK has no CBOR). Each device reconnects with
//! its new certificate as the thing. Then both scenarios as insta snapshots in seed mode:
//! the accepted and rejected payloads, and the registry left behind.

mod common;
mod fleet_support;

use common::TestEmulator;
use fleet_support::{
    claim_certificate, create_template, hex, provision, provision_cbor, raw, redact, s1_admin,
    Claim, ALLOW, HOOK_ARN,
};
use serde_json::{json, Value};

const ACCOUNT: &str = "arn:aws:iot:us-east-1:123456789012";
const S5_TEMPLATE: &str = "TrustedUserProvisioningTemplate";

/// One request form: CSR or not, CBOR or JSON.
#[derive(Clone, Copy)]
struct Form {
    csr: bool,
    cbor: bool,
}

const FORMS: [Form; 4] = [
    Form {
        csr: false,
        cbor: false,
    },
    Form {
        csr: true,
        cbor: false,
    },
    Form {
        csr: false,
        cbor: true,
    },
    Form {
        csr: true,
        cbor: true,
    },
];

/// Runs one provisioning flow in `form`; the CSR's subject is the thing name.
async fn run(emu: &TestEmulator, claim: &Claim, form: Form, thing: &str, mut o: Value) -> Value {
    o["reconnect"] = json!(true);
    if form.csr {
        let (csr, key) = fleet_support::csr(claim, thing);
        o["csr"] = json!(csr);
        o["csr_key"] = json!(key);
    }
    if form.cbor {
        provision_cbor(emu, claim, o).await
    } else {
        provision(emu, claim, o).await
    }
}

/// The reply, the new certificate (ACTIVE, attached to `thing`) and the reconnection.
async fn check(emu: &TestEmulator, got: &Value, form: Form, thing: &str, config: Value) {
    assert_eq!(
        got["registered"],
        json!({"thingName": thing, "deviceConfiguration": config}),
        "{got}"
    );
    assert_eq!(got["reconnected"], true, "{got}");
    assert_eq!(got["created"]["privateKey"].is_string(), !form.csr, "{got}");
    let id = got["created"]["certificateId"].as_str().expect("id");
    let pem = got["created"]["certificatePem"].as_str().expect("pem");
    if form.csr {
        assert_eq!(fleet_support::subject_cn(pem).as_deref(), Some(thing));
    }
    let cert = emu
        .aws_ok(&["describe-certificate", "--certificate-id", id])
        .await;
    assert_eq!(cert["certificateDescription"]["status"], "ACTIVE");
    let principals = emu
        .aws_ok(&["list-thing-principals", "--thing-name", thing])
        .await;
    assert_eq!(
        principals["principals"],
        json!([format!("{ACCOUNT}:cert/{id}")])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn s1_claim_provisions_in_every_form() {
    let emu = fleet_support::with_hook(HOOK_ARN, ALLOW).await;
    // S1's claim policy widened to the CSR and CBOR topics.
    let policy = "policies/s1-claim-any-format.json";
    let claim = claim_certificate(&emu, "OtameshiClaimAnyFormat", policy).await;
    s1_admin(&emu).await;
    for (n, form) in FORMS.into_iter().enumerate() {
        let serial = format!("Form{n}");
        let thing = format!("Fleet_Provisioned_{serial}");
        let options = json!({"proto": "mqtt5", "alpn": true, "client_id": format!("Claim_{serial}"),
                             "template": "OtameshiClaimTemplate",
                             "parameters": {"SerialNumber": serial}});
        let got = run(&emu, &claim, form, &thing, options).await;
        check(&emu, &got, form, &thing, json!({})).await;
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s4_claim_provisions_in_every_form() {
    let emu = TestEmulator::start().await;
    let claim = fleet_support::s4_admin(&emu).await;
    for (n, form) in FORMS.into_iter().enumerate() {
        let serial = format!("F{n}");
        let thing = format!("MyThing_{serial}");
        // The SDK's MQTT 3.1.1 connection for JSON; CBOR goes over the plain MQTT 5 client.
        let options = json!({"proto": "mqtt3", "client_id": format!("bulb-{n}"),
                             "template": "BulbTemplate", "parameters": {"SerialNumber": serial}});
        let got = run(&emu, &claim, form, &thing, options).await;
        check(
            &emu,
            &got,
            form,
            &thing,
            json!({"MyDeviceOption": "Normal"}),
        )
        .await;
    }
    emu.shutdown().await;
}

async fn s5_admin(emu: &TestEmulator) -> Claim {
    fleet_support::create_policy(emu, "pubsub", "policies/s5-pubsub.json").await;
    create_template(emu, S5_TEMPLATE, "templates/s5-trusted-user.json").await;
    fleet_support::provisioning_claim(emu, S5_TEMPLATE).await
}

fn s5_config() -> Value {
    json!({"FallbackUrl": "https://www.example.com/test-site", "LocationUrl": "https://example.aws"})
}

#[tokio::test(flavor = "multi_thread")]
async fn s5_trusted_user_claim_provisions_in_every_form() {
    let emu = TestEmulator::start().await;
    let claim = s5_admin(&emu).await;
    for (n, form) in FORMS.into_iter().enumerate() {
        let thing = format!("ThingPrefix_{n}");
        let options = json!({"proto": "mqtt5", "client_id": format!("installer-{n}"),
                             "template": S5_TEMPLATE,
                             "parameters": {"SerialNumber": n.to_string(), "DeviceLocation": "Seattle"}});
        let got = run(&emu, &claim, form, &thing, options).await;
        check(&emu, &got, form, &thing, s5_config()).await;
    }
    emu.shutdown().await;
}

/// The registry left behind for `thing` and its certificate `id`.
async fn registry_view(emu: &TestEmulator, thing: &str, id: &str) -> Value {
    let arn = format!("{ACCOUNT}:cert/{id}");
    let cert = emu
        .aws_ok(&["describe-certificate", "--certificate-id", id])
        .await;
    json!({
        "thing": emu.aws_ok(&["describe-thing", "--thing-name", thing]).await,
        "certificateStatus": cert["certificateDescription"]["status"],
        "principals": emu.aws_ok(&["list-thing-principals", "--thing-name", thing]).await,
        "policies": emu.aws_ok(&["list-attached-policies", "--target", &arn]).await,
    })
}

/// A RegisterThing request with an empty token on `template`'s JSON topic.
async fn empty_token_rejection(
    emu: &TestEmulator,
    claim: &Claim,
    client: &str,
    template: &str,
) -> Value {
    let topic = format!("$aws/provisioning-templates/{template}/provision/json");
    let body = hex(br#"{"certificateOwnershipToken":""}"#);
    let got = raw(
        emu,
        claim,
        json!({"topic": topic, "format": "json", "payload_hex": body, "client_id": client}),
    )
    .await;
    got["replies"].clone()
}

fn accepted(got: &Value) -> Value {
    json!({"create": redact(got["created"].clone()), "register": got["registered"]})
}

#[tokio::test(flavor = "multi_thread")]
async fn s1_payloads_and_registry_snapshot_in_seed_mode() {
    let mut config = iot_emulator::Config::for_tests();
    config.hooks = vec![format!("{HOOK_ARN}={ALLOW}")];
    config.seed = Some(1);
    let emu = TestEmulator::start_with(config).await;
    let claim = claim_certificate(&emu, "OtameshiClaimPolicy", "policies/s1-claim.json").await;
    s1_admin(&emu).await;
    let thing = "Fleet_Provisioned_TestThingClaim";
    let got = provision(
        &emu,
        &claim,
        json!({"proto": "mqtt5", "alpn": true, "client_id": "Claim_TestThingClaim",
               "template": "OtameshiClaimTemplate",
               "parameters": {"SerialNumber": "TestThingClaim"}, "reconnect": true}),
    )
    .await;
    assert_eq!(got["reconnected"], true, "{got}");
    let rejected =
        empty_token_rejection(&emu, &claim, "Claim_Rejected", "OtameshiClaimTemplate").await;
    let id = got["created"]["certificateId"].as_str().expect("id");
    insta::assert_json_snapshot!(
        "s1_fleet_provisioning",
        json!({
            "accepted": accepted(&got),
            "rejected": rejected,
            "registry": registry_view(&emu, thing, id).await,
        })
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s5_payloads_and_registry_snapshot_in_seed_mode() {
    let emu = TestEmulator::seeded(5).await;
    let claim = s5_admin(&emu).await;
    let keys_json = provision(
        &emu,
        &claim,
        json!({"proto": "mqtt3", "client_id": "installer-1", "template": S5_TEMPLATE,
               "parameters": {"SerialNumber": "1", "DeviceLocation": "Seattle"}}),
    )
    .await;
    // The CSR form over CBOR, with a committed key so the issued certificate repeats.
    let (csr, key) = fleet_support::fixed_key_csr(&claim, "ThingPrefix_2");
    let csr_cbor = provision_cbor(
        &emu,
        &claim,
        json!({"client_id": "installer-2", "template": S5_TEMPLATE, "csr": csr, "csr_key": key,
               "parameters": {"SerialNumber": "2", "DeviceLocation": "Seattle"}}),
    )
    .await;
    let rejected = empty_token_rejection(&emu, &claim, "installer-3", S5_TEMPLATE).await;
    let id1 = keys_json["created"]["certificateId"].as_str().expect("id");
    let id2 = csr_cbor["created"]["certificateId"].as_str().expect("id");
    insta::assert_json_snapshot!(
        "s5_fleet_provisioning",
        json!({
            "claim": {"certificateId": claim.id},
            "accepted": {"keysJson": accepted(&keys_json), "csrCbor": accepted(&csr_cbor)},
            "rejected": rejected,
            "registry": {
                "ThingPrefix_1": registry_view(&emu, "ThingPrefix_1", id1).await,
                "ThingPrefix_2": registry_view(&emu, "ThingPrefix_2", id2).await,
            },
        })
    );
    emu.shutdown().await;
}
