//! JITP end to end: S2 (the awscrt MQTT 5 client; its first connection is hung up, its
//! automatic retry connects, and the policy on the template's thing group authorizes
//! it) and S3 (Python `requests` on the credentials provider), plus a template the
//! certificate cannot satisfy, and field note 002 as written: X.509 v1 certificates from
//! `openssl x509 -req`, JITP through `requests`, then the same certificate over MQTT.

mod common;

use common::{file_arg, fixture, TestCa, TestEmulator};

/// `common::register_ca` with auto-registration enabled, as every JITP CA here is.
async fn register_ca(
    emu: &TestEmulator,
    dir: &tempfile::TempDir,
    ca: &TestCa,
    extra: &[&str],
) -> String {
    let mut flags = vec!["--allow-auto-registration"];
    flags.extend(extra);
    common::register_ca(emu, dir, ca, &flags).await
}
use serde_json::{json, Value};
use test_pki::DeviceSubject;

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/JitpRole";

/// The S2 device subject: CN = thing name, serialNumber for the attribute.
fn s2_subject(cn: &str) -> DeviceSubject {
    DeviceSubject {
        common_name: cn.into(),
        serial_number: Some("SN-0001".into()),
        ..Default::default()
    }
}

fn write_device(dir: &tempfile::TempDir, stem: &str, cert: &str, key: &str) -> (String, String) {
    let cert_path = dir.path().join(format!("{stem}.crt"));
    let key_path = dir.path().join(format!("{stem}.key"));
    std::fs::write(&cert_path, cert).unwrap();
    std::fs::write(&key_path, key).unwrap();
    (
        cert_path.display().to_string(),
        key_path.display().to_string(),
    )
}

async fn python(script: &'static str, args: Vec<String>) -> Value {
    let out = common::run_python_async(script, args).await;
    assert!(out.success, "{script}: {}", out.stderr);
    out.json()
}

async fn s2_admin(emu: &TestEmulator, dir: &tempfile::TempDir, ca: &TestCa) -> String {
    let ca_id = register_ca(emu, dir, ca, &[]).await;
    emu.aws_ok(&["create-thing-type", "--thing-type-name", "JitpDeviceType"])
        .await;
    emu.aws_ok(&["create-thing-group", "--thing-group-name", "JitpDevices"])
        .await;
    emu.aws_ok(&[
        "create-policy",
        "--policy-name",
        "JitpDevicePolicy",
        "--policy-document",
        &fixture("policies/s2-device.json"),
    ])
    .await;
    let group_arn = "arn:aws:iot:us-east-1:123456789012:thinggroup/JitpDevices";
    emu.aws_ok(&[
        "attach-policy",
        "--policy-name",
        "JitpDevicePolicy",
        "--target",
        group_arn,
    ])
    .await;
    emu.aws_ok(&[
        "create-provisioning-template",
        "--template-name",
        "JitpTemplate",
        "--type",
        "JITP",
        "--provisioning-role-arn",
        ROLE_ARN,
        "--template-body",
        &fixture("templates/s2-jitp.json"),
        "--enabled",
    ])
    .await;
    emu.aws_ok(&[
        "update-ca-certificate",
        "--certificate-id",
        &ca_id,
        "--new-auto-registration-status",
        "ENABLE",
        "--registration-config",
        "templateName=JitpTemplate",
    ])
    .await;
    ca_id
}

#[tokio::test(flavor = "multi_thread")]
async fn s2_first_connection_is_hung_up_and_the_retry_connects() {
    let emu = TestEmulator::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("S2 Root CA");
    s2_admin(&emu, &dir, &ca).await;
    let device = ca.ca.device(&s2_subject("JitpDevice01")).unwrap();
    let (cert, key) = write_device(&dir, "device", &device.cert_pem, &device.key_pem);
    let ready = &emu.running.ready;
    let got = python(
        "jitp_device.py",
        vec![
            ready.mqtt_host.clone(),
            ready.mqtt_port.to_string(),
            ready.root_ca_path.clone(),
            cert,
            key,
            "JitpDevice01".into(),
            "JitpDevice01/telemetry".into(),
        ],
    )
    .await;
    assert_eq!(got["connected"], true, "{got}");
    assert!(
        !got["failures"].as_array().unwrap().is_empty(),
        "the first attempt must fail: {got}"
    );
    assert_eq!(got["puback"], 0, "{got}");
    let thing = emu
        .aws_ok(&["describe-thing", "--thing-name", "JitpDevice01"])
        .await;
    assert_eq!(thing["thingTypeName"], "JitpDeviceType");
    assert_eq!(thing["attributes"], json!({"serialNumber": "SN-0001"}));
    let groups = emu
        .aws_ok(&[
            "list-thing-groups-for-thing",
            "--thing-name",
            "JitpDevice01",
        ])
        .await;
    assert_eq!(groups["thingGroups"][0]["groupName"], "JitpDevices");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_template_the_certificate_cannot_satisfy_leaves_it_pending() {
    let emu = TestEmulator::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("S2 Root CA");
    s2_admin(&emu, &dir, &ca).await;
    // No serialNumber in the subject: the template's Ref cannot be resolved.
    let device = ca.ca.device(&DeviceSubject::named("NoSerial")).unwrap();
    let (cert, key) = write_device(&dir, "device", &device.cert_pem, &device.key_pem);
    let ready = &emu.running.ready;
    let args = vec![
        "refused5".to_string(),
        ready.mqtt_host.clone(),
        ready.mqtt_port.to_string(),
        ready.root_ca_path.clone(),
        cert,
        key,
        "NoSerial".into(),
    ];
    let got = python("broker_crt.py", args).await;
    assert_eq!(got["connected"], false, "{got}");
    let der = iot_emulator::pki::parse::pem_to_der(&device.cert_pem).unwrap();
    let id = iot_emulator::pki::parse::certificate_id(&der);
    let cert = emu
        .aws_ok(&["describe-certificate", "--certificate-id", &id])
        .await;
    assert_eq!(
        cert["certificateDescription"]["status"],
        "PENDING_ACTIVATION"
    );
    assert_eq!(emu.aws_ok(&["list-things"]).await["things"], json!([]));
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_first_request_registers_and_a_later_one_gets_credentials() {
    let emu = TestEmulator::start().await;
    let dir = tempfile::tempdir().unwrap();
    let body = std::fs::read_to_string(
        fixture("templates/s3-registration-body.json").trim_start_matches("file://"),
    )
    .unwrap();
    let config = json!({"templateBody": body, "roleArn": ROLE_ARN}).to_string();
    let config_arg = file_arg(&dir, "provisioning-template.json", &config);
    let ca = TestCa::new("S3 Root CA");
    register_ca(&emu, &dir, &ca, &["--registration-config", &config_arg]).await;
    emu.aws_ok(&[
        "create-role-alias",
        "--role-alias",
        "S3DeviceRoleAlias",
        "--role-arn",
        "arn:aws:iam::123456789012:role/S3DeviceRole",
    ])
    .await;
    let device = ca
        .ca
        .device(&DeviceSubject::named("CredsDevice01"))
        .unwrap();
    // deviceCertAndCACert.crt: the device certificate followed by the CA.
    let chain = format!("{}{}", device.cert_pem, ca.pem);
    let (cert, key) = write_device(&dir, "deviceCertAndCACert", &chain, &device.key_pem);
    let ready = &emu.running.ready;
    let args = vec![
        ready.credentials_url.clone(),
        "S3DeviceRoleAlias".into(),
        ready.root_ca_path.clone(),
        cert,
        key,
        "CredsDevice01".into(),
    ];
    let first = python("credentials.py", args.clone()).await;
    assert!(
        first["error"].is_string(),
        "the first request must fail: {first}"
    );
    let second = python("credentials.py", args).await;
    assert_eq!(second["status"], 200, "{second}");
    assert!(second["body"]["credentials"]["sessionToken"].is_string());
    emu.shutdown().await;
}

/// Field note 002's certificates, its openssl commands verbatim (`-subj` answers the
/// prompts it shows): no extension file, so the verification and device certificates are
/// X.509 v1. `CODE` is the registration code.
const NOTE_002_OPENSSL: &str = r#"
openssl genrsa -out rootCA.key 2048
openssl req -x509 -new -nodes -key rootCA.key -sha256 -days 1024 -out rootCA.pem -subj "/C=JP/O=Note 002/CN=Root CA"
openssl genrsa -out verificationCert.key 2048
openssl req -new -key verificationCert.key -out verificationCert.csr -subj "/C=XX/L=Default City/O=Default Company Ltd/CN=$CODE"
openssl x509 -req -in verificationCert.csr -CA rootCA.pem -CAkey rootCA.key -CAcreateserial -out verificationCert.pem -days 500 -sha256
openssl genrsa -out deviceCert.key 2048
openssl req -new -key deviceCert.key -out deviceCert.csr -subj "/C=XX/L=Default City/O=Default Company Ltd/CN=testThingName"
openssl x509 -req -in deviceCert.csr -CA rootCA.pem -CAkey rootCA.key -CAcreateserial -out deviceCert.crt -days 500 -sha256
cat deviceCert.crt rootCA.pem > deviceCertAndCACert.crt
"#;

/// The note's provisioning-template.json: a thing named after the CN, the certificate
/// ACTIVE, and a policy for the role alias and MQTT.
fn note_002_registration_config() -> String {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iot:AssumeRoleWithCertificate",
         "Resource": "arn:aws:iot:us-east-1:123456789012:rolealias/roleAliasName"},
        {"Effect": "Allow", "Action": ["iot:Connect", "iot:Publish", "iot:Subscribe", "iot:Receive"],
         "Resource": "*"}]});
    let body = json!({
        "Parameters": {
            "AWS::IoT::Certificate::CommonName": {"Type": "String"},
            "AWS::IoT::Certificate::Id": {"Type": "String"}
        },
        "Resources": {
            "thing": {"Type": "AWS::IoT::Thing",
                      "Properties": {"ThingName": {"Ref": "AWS::IoT::Certificate::CommonName"}}},
            "certificate": {"Type": "AWS::IoT::Certificate",
                            "Properties": {"CertificateId": {"Ref": "AWS::IoT::Certificate::Id"},
                                           "Status": "ACTIVE"}},
            "policy": {"Type": "AWS::IoT::Policy",
                       "Properties": {"PolicyDocument": policy.to_string()}}
        }
    });
    json!({"templateBody": body.to_string(), "roleArn": ROLE_ARN}).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn field_note_002_v1_certificates_jitp_credentials_then_mqtt() {
    let emu = TestEmulator::start().await;
    let dir = tempfile::tempdir().unwrap();
    let code = emu.registration_code().await;
    common::sh(dir.path(), NOTE_002_OPENSSL, &[("CODE", &code)]);
    for made in ["verificationCert.pem", "deviceCert.crt"] {
        assert!(common::is_x509_v1(dir.path(), made), "{made} is not v1");
    }
    let path = |name: &str| dir.path().join(name).display().to_string();
    let config = file_arg(
        &dir,
        "provisioning-template.json",
        &note_002_registration_config(),
    );
    emu.aws_ok(&[
        "register-ca-certificate",
        "--ca-certificate",
        &format!("file://{}", path("rootCA.pem")),
        "--verification-cert",
        &format!("file://{}", path("verificationCert.pem")),
        "--set-as-active",
        "--allow-auto-registration",
        "--registration-config",
        &config,
    ])
    .await;
    emu.aws_ok(&[
        "create-role-alias",
        "--role-alias",
        "roleAliasName",
        "--role-arn",
        "arn:aws:iam::123456789012:role/NoteRole",
    ])
    .await;
    let ready = &emu.running.ready;
    let args = vec![
        ready.credentials_url.clone(),
        "roleAliasName".into(),
        ready.root_ca_path.clone(),
        path("deviceCertAndCACert.crt"),
        path("deviceCert.key"),
        "testThingName".into(),
    ];
    let first = python("credentials.py", args.clone()).await;
    assert!(
        first["error"].is_string(),
        "the first request registers: {first}"
    );
    let second = python("credentials.py", args).await;
    assert_eq!(second["status"], 200, "{second}");
    assert!(second["body"]["credentials"]["accessKeyId"].is_string());
    // The same v1 certificate over MQTT with awscrt: MQTT 5, then MQTT 3.1.1 with ALPN.
    for (mode, alpn) in [("mqtt5", ""), ("mqtt3", "alpn")] {
        let mut args = vec![mode.to_string(), ready.mqtt_host.clone()];
        args.extend([ready.mqtt_port.to_string(), ready.root_ca_path.clone()]);
        args.extend([path("deviceCert.crt"), path("deviceCert.key")]);
        args.extend(["testThingName".to_string(), alpn.to_string()]);
        let got = python("broker_crt.py", args).await;
        assert_eq!(got["connected"], true, "{mode}: {got}");
        assert_eq!(
            got["received"].as_array().unwrap().len(),
            2,
            "{mode}: {got}"
        );
    }
    emu.shutdown().await;
}
