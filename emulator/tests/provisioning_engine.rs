//! RegisterThing's engine with real clients around it: templates, groups, policies and
//! certificates are made with the aws CLI, the pre-provisioning hook is a real command, the
//! engine is called as the broker calls it, and the result is read back with the aws CLI.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::TestEmulator;
use iot_emulator::provisioning::{register_thing, RegisterRequest};
use iot_emulator::registry::certificate::CertStatus;
use iot_emulator::registry::ErrorKind;
use iot_emulator::Config;
use serde_json::{json, Value};

const HOOK: &str = "arn:aws:lambda:us-east-1:123456789012:function:pre-provision";
const UNBOUND: &str = "arn:aws:lambda:us-east-1:123456789012:function:nowhere";
const ROLE: &str = "arn:aws:iam::123456789012:role/Provisioning";
const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}"#;

fn template_body() -> String {
    json!({
        "Parameters": {"SerialNumber": {"Type": "String"}, "Location": {"Type": "String", "Default": "Nowhere"}},
        "Mappings": {"Sites": {"Seattle": {"Group": "site-sea", "Url": "https://sea.example"}}},
        "Resources": {
            "thing": {
                "Type": "AWS::IoT::Thing",
                "Properties": {
                    "ThingName": {"Fn::Join": ["-", ["bulb", {"Ref": "SerialNumber"}]]},
                    "AttributePayload": {"serial": {"Ref": "SerialNumber"}},
                    "ThingGroups": [{"Fn::FindInMap": ["Sites", {"Ref": "Location"}, "Group"]}]
                },
                "OverrideSettings": {"AttributePayload": "MERGE", "ThingGroups": "MERGE"}
            },
            "certificate": {"Type": "AWS::IoT::Certificate", "Properties": {"CertificateId": {"Ref": "AWS::IoT::Certificate::Id"}, "Status": "Active"}},
            "policy": {"Type": "AWS::IoT::Policy", "Properties": {"PolicyName": "DevicePolicy"}}
        },
        "DeviceConfiguration": {
            "Url": {"Fn::FindInMap": ["Sites", {"Ref": "Location"}, "Url"]},
            "Greeting": {"Fn::Sub": "hello ${SerialNumber}"}
        }
    })
    .to_string()
}

/// A hook that records its event next to itself and allows, overriding Location.
fn write_hook(dir: &Path) -> String {
    let script = dir.join("hook.sh");
    let event = dir.join("event.json");
    let body = format!(
        "cat > '{}'\necho '{{\"allowProvisioning\": true, \"parameterOverrides\": {{\"Location\": \"Seattle\"}}}}'\n",
        event.display()
    );
    std::fs::write(&script, body).expect("write hook");
    format!("sh {}", script.display())
}

async fn start(dir: &Path) -> TestEmulator {
    let mut config = Config::for_tests();
    config.hooks = vec![format!("{HOOK}={}", write_hook(dir))];
    TestEmulator::start_with(config).await
}

async fn create_template(emu: &TestEmulator, name: &str, extra: &[&str]) {
    let body = template_body();
    let mut args = vec![
        "create-provisioning-template",
        "--template-name",
        name,
        "--template-body",
        &body,
        "--provisioning-role-arn",
        ROLE,
    ];
    args.extend_from_slice(extra);
    emu.aws_ok(&args).await;
}

/// A new certificate in the state CreateKeysAndCertificate over MQTT leaves it.
async fn pending_certificate(emu: &TestEmulator) -> String {
    let out = emu.aws_ok(&["create-keys-and-certificate"]).await;
    let id = out["certificateId"]
        .as_str()
        .expect("certificateId")
        .to_string();
    emu.running
        .emulator
        .registry
        .write(|inner, tx| {
            inner
                .certificates
                .update(tx, &id, |c| c.status = CertStatus::PendingActivation);
            Ok(())
        })
        .expect("set PENDING_ACTIVATION");
    id
}

fn request(template: &str, cert: &str, serial: &str) -> RegisterRequest {
    RegisterRequest {
        template_name: template.into(),
        certificate_id: cert.into(),
        claim_certificate_id: "c".repeat(64),
        client_id: "Claim_1".into(),
        parameters: BTreeMap::from([("SerialNumber".into(), serial.into())]),
    }
}

async fn setup_resources(emu: &TestEmulator) {
    emu.aws_ok(&["create-thing-group", "--thing-group-name", "site-sea"])
        .await;
    emu.aws_ok(&[
        "create-policy",
        "--policy-name",
        "DevicePolicy",
        "--policy-document",
        DOC,
    ])
    .await;
}

#[tokio::test]
async fn register_thing_with_a_hook_creates_and_attaches_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let emu = start(dir.path()).await;
    setup_resources(&emu).await;
    let hook = format!("targetArn={HOOK},payloadVersion=2020-04-01");
    create_template(
        &emu,
        "Fleet",
        &["--enabled", "--pre-provisioning-hook", &hook],
    )
    .await;
    let cert = pending_certificate(&emu).await;

    let done = register_thing(&emu.running.emulator, request("Fleet", &cert, "42"))
        .await
        .expect("provisioned");
    assert_eq!(done.thing_name.as_deref(), Some("bulb-42"));
    let config: Vec<(&str, &str)> = done
        .device_configuration
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        config,
        [("Greeting", "hello 42"), ("Url", "https://sea.example")]
    );

    let event: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("event.json")).expect("event"))
            .expect("json");
    assert_eq!(event["certificateId"], cert.as_str());
    assert_eq!(
        event["templateArn"],
        "arn:aws:iot:us-east-1:123456789012:provisioningtemplate/Fleet"
    );
    assert_eq!(event["clientId"], "Claim_1");
    assert_eq!(event["parameters"], json!({"SerialNumber": "42"}));
    assert!(event["certificatePem"]
        .as_str()
        .unwrap_or_default()
        .contains("BEGIN CERTIFICATE"));

    let thing = emu
        .aws_ok(&["describe-thing", "--thing-name", "bulb-42"])
        .await;
    assert_eq!(thing["attributes"], json!({"serial": "42"}));
    let groups = emu
        .aws_ok(&["list-thing-groups-for-thing", "--thing-name", "bulb-42"])
        .await;
    assert_eq!(groups["thingGroups"][0]["groupName"], "site-sea");
    let cert_arn = format!("arn:aws:iot:us-east-1:123456789012:cert/{cert}");
    let principals = emu
        .aws_ok(&["list-thing-principals", "--thing-name", "bulb-42"])
        .await;
    assert_eq!(principals["principals"], json!([cert_arn]));
    let policies = emu
        .aws_ok(&["list-attached-policies", "--target", &cert_arn])
        .await;
    assert_eq!(policies["policies"][0]["policyName"], "DevicePolicy");
    let described = emu
        .aws_ok(&["describe-certificate", "--certificate-id", &cert])
        .await;
    assert_eq!(described["certificateDescription"]["status"], "ACTIVE");
    emu.shutdown().await;
}

async fn rejected(emu: &TestEmulator, req: RegisterRequest) -> (ErrorKind, String) {
    let e = register_thing(&emu.running.emulator, req)
        .await
        .expect_err("rejected");
    (e.kind, e.message)
}

#[tokio::test]
async fn register_thing_rejections_change_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let emu = start(dir.path()).await;
    emu.aws_ok(&[
        "create-policy",
        "--policy-name",
        "DevicePolicy",
        "--policy-document",
        DOC,
    ])
    .await;
    let cert = pending_certificate(&emu).await;
    create_template(&emu, "Disabled", &[]).await;
    create_template(&emu, "Jitp", &["--enabled", "--type", "JITP"]).await;
    let unbound = format!("targetArn={UNBOUND}");
    create_template(
        &emu,
        "Unbound",
        &["--enabled", "--pre-provisioning-hook", &unbound],
    )
    .await;
    create_template(&emu, "NoGroup", &["--enabled"]).await;

    assert_eq!(
        rejected(&emu, request("Missing", &cert, "1")).await.0,
        ErrorKind::ResourceNotFound
    );
    assert_eq!(
        rejected(&emu, request("Disabled", &cert, "1")).await.0,
        ErrorKind::InvalidRequest
    );
    assert_eq!(
        rejected(&emu, request("Jitp", &cert, "1")).await.0,
        ErrorKind::InvalidRequest
    );
    let (kind, message) = rejected(&emu, request("Unbound", &cert, "1")).await;
    assert_eq!(kind, ErrorKind::AccessDenied);
    assert!(message.contains(UNBOUND), "{message}");
    // Without the hook Location keeps its Default, which the mapping lacks.
    let (kind, message) = rejected(&emu, request("NoGroup", &cert, "1")).await;
    assert_eq!(kind, ErrorKind::InvalidParameters, "{message}");
    let mut req = request("NoGroup", &cert, "1");
    req.parameters.insert("Location".into(), "Seattle".into());
    let (kind, message) = rejected(&emu, req).await;
    assert_eq!(
        (kind, message.as_str()),
        (
            ErrorKind::ResourceRegistrationFailure,
            "Thing group site-sea cannot be found."
        )
    );

    let things = emu.aws_ok(&["list-things"]).await;
    assert_eq!(things["things"], json!([]));
    let described = emu
        .aws_ok(&["describe-certificate", "--certificate-id", &cert])
        .await;
    assert_eq!(
        described["certificateDescription"]["status"],
        "PENDING_ACTIVATION"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn create_provisioning_template_refuses_unsupported_templates() {
    let emu = TestEmulator::start().await;
    let thing = |name: Value| json!({"Resources": {"t": {"Type": "AWS::IoT::Thing", "Properties": {"ThingName": name}}}});
    let bodies = [
        thing(json!({"Fn::If": ["c", "a", "b"]})),
        thing(json!({"Fn::GetAtt": ["t", "Arn"]})),
        json!({"Resources": {"b": {"Type": "AWS::S3::Bucket"}}}),
        json!({"Resources": {}, "Conditions": {}}),
        json!({"Resources": {}, "Mappings": {"M": {"a": {"b": {"Ref": "X"}}}}}),
        json!({"Resources": {"p": {"Type": "AWS::IoT::Policy", "Properties": {}}}}),
    ];
    for body in bodies {
        let body = body.to_string();
        let args = [
            "create-provisioning-template",
            "--template-name",
            "T",
            "--template-body",
            &body,
            "--provisioning-role-arn",
            ROLE,
        ];
        assert_eq!(
            emu.aws_err(&args).await,
            "InvalidRequestException",
            "{body}"
        );
    }
    let good = thing(json!({"Ref": "AWS::IoT::Certificate::Id"})).to_string();
    let args = [
        "create-provisioning-template",
        "--template-name",
        "T",
        "--template-body",
        &good,
        "--provisioning-role-arn",
        ROLE,
    ];
    emu.aws_ok(&args).await;
    let bad = thing(json!({"Fn::Base64": "x"})).to_string();
    let args = [
        "create-provisioning-template-version",
        "--template-name",
        "T",
        "--template-body",
        &bad,
    ];
    assert_eq!(emu.aws_err(&args).await, "InvalidRequestException");
    emu.shutdown().await;
}
