//! JITP end to end: S2 (the awscrt MQTT 5 client; its first connection is hung up, its
//! automatic retry connects, and the policy on the template's thing group authorizes
//! it) and S3 (Python `requests` on the credentials provider), plus a template the
//! certificate cannot satisfy.

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
