//! The credentials provider over mutual TLS, driven by Python `requests` and curl with
//! certificates, things and role aliases made through the aws CLI.

mod common;

use common::TestEmulator;
use serde_json::{json, Value};

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/device-role";

struct DeviceCert {
    id: String,
    arn: String,
    cert: String,
    key: String,
    _dir: tempfile::TempDir,
}

async fn device_cert(emu: &TestEmulator) -> DeviceCert {
    let dir = tempfile::tempdir().expect("temp dir");
    let cert = dir.path().join("device.pem.crt").display().to_string();
    let key = dir.path().join("device.key").display().to_string();
    let created = emu
        .aws_ok(&[
            "create-keys-and-certificate",
            "--set-as-active",
            "--certificate-pem-outfile",
            &cert,
            "--private-key-outfile",
            &key,
        ])
        .await;
    DeviceCert {
        id: created["certificateId"].as_str().unwrap().into(),
        arn: created["certificateArn"].as_str().unwrap().into(),
        cert,
        key,
        _dir: dir,
    }
}

/// A device with a thing attached, a policy allowing the alias, and the alias itself.
async fn setup(emu: &TestEmulator, duration: &str) -> DeviceCert {
    let dev = device_cert(emu).await;
    emu.aws_ok(&["create-thing", "--thing-name", "cam-1"]).await;
    emu.aws_ok(&[
        "attach-thing-principal",
        "--thing-name",
        "cam-1",
        "--principal",
        &dev.arn,
    ])
    .await;
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "iot:AssumeRoleWithCertificate",
        "Resource": "arn:aws:iot:us-east-1:123456789012:rolealias/cam-*"}]});
    emu.aws_ok(&[
        "create-policy",
        "--policy-name",
        "creds",
        "--policy-document",
        &policy.to_string(),
    ])
    .await;
    emu.aws_ok(&[
        "attach-policy",
        "--policy-name",
        "creds",
        "--target",
        &dev.arn,
    ])
    .await;
    emu.aws_ok(&[
        "create-role-alias",
        "--role-alias",
        "cam-alias",
        "--role-arn",
        ROLE_ARN,
        "--credential-duration-seconds",
        duration,
    ])
    .await;
    dev
}

async fn request(emu: &TestEmulator, dev: &DeviceCert, alias: &str, thing: Option<&str>) -> Value {
    let ready = &emu.running.ready;
    let mut args = vec![
        ready.credentials_url.clone(),
        alias.to_string(),
        ready.root_ca_path.clone(),
        dev.cert.clone(),
        dev.key.clone(),
    ];
    args.extend(thing.map(str::to_string));
    let out = common::run_python_async("credentials.py", args).await;
    assert!(out.success, "credentials.py failed: {}", out.stderr);
    out.json()
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_gets_credentials_for_the_alias_role() {
    let emu = TestEmulator::seeded(7).await;
    let dev = setup(&emu, "900").await;
    let got = request(&emu, &dev, "cam-alias", Some("cam-1")).await;
    assert_eq!(got["status"], 200, "{got}");
    let creds = &got["body"]["credentials"];
    let key_id = creds["accessKeyId"].as_str().unwrap();
    assert!(key_id.starts_with("ASIA") && key_id.len() == 20, "{key_id}");
    assert_eq!(creds["secretAccessKey"].as_str().unwrap().len(), 40);
    assert!(creds["sessionToken"].as_str().unwrap().len() > 100);
    // The seeded clock is frozen at 2026-01-01T00:00:00Z; the alias lasts 900 s.
    assert_eq!(creds["expiration"], "2026-01-01T00:15:00Z");
    let url = format!("{}/_emulator/credentials", emu.api_url());
    let issued: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    let record = &issued["issued"][0];
    assert_eq!(record["roleArn"], ROLE_ARN);
    assert_eq!(record["roleAlias"], "cam-alias");
    assert_eq!(record["thingName"], "cam-1");
    assert_eq!(record["certificateId"], dev.id.as_str());
    assert_eq!(record["accessKeyId"], key_id);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_refusal_gets_the_captured_error() {
    let emu = TestEmulator::start().await;
    let dev = setup(&emu, "3600").await;
    let got = request(&emu, &dev, "cam-alias", Some("someone-else")).await;
    assert_eq!(
        (got["status"].clone(), got["body"].clone()),
        (json!(403), json!({"message": "Invalid thing name passed"})),
        "{got}"
    );
    let got = request(&emu, &dev, "cam-missing", None).await;
    assert_eq!(
        (got["status"].clone(), got["body"].clone()),
        (json!(404), json!({"message": "Role alias does not exist"})),
        "{got}"
    );
    // Without iot:AssumeRoleWithCertificate on the alias.
    emu.aws_ok(&[
        "detach-policy",
        "--policy-name",
        "creds",
        "--target",
        &dev.arn,
    ])
    .await;
    let got = request(&emu, &dev, "cam-alias", Some("cam-1")).await;
    assert_eq!(
        (got["status"].clone(), got["body"].clone()),
        (json!(403), json!({"message": "Access Denied"})),
        "{got}"
    );
    assert_eq!(got["errorType"], "AccessDeniedException:");
    // A certificate that is not ACTIVE gets no HTTP answer at all.
    emu.aws_ok(&[
        "update-certificate",
        "--certificate-id",
        &dev.id,
        "--new-status",
        "INACTIVE",
    ])
    .await;
    let got = request(&emu, &dev, "cam-alias", None).await;
    assert!(got["error"].is_string(), "{got}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn curl_with_cert_and_key_gets_credentials() {
    let emu = TestEmulator::start().await;
    let dev = setup(&emu, "3600").await;
    let ready = &emu.running.ready;
    let url = format!(
        "{}/role-aliases/cam-alias/credentials",
        ready.credentials_url
    );
    let args = vec![
        "-sS".to_string(),
        "--cacert".into(),
        ready.root_ca_path.clone(),
        "--cert".into(),
        dev.cert.clone(),
        "--key".into(),
        dev.key.clone(),
        "-H".into(),
        "x-amzn-iot-thingname: cam-1".into(),
        url,
    ];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(&args)
            .output()
            .expect("curl")
    })
    .await
    .unwrap();
    let body: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert!(body["credentials"]["accessKeyId"].is_string(), "{body}");
    emu.shutdown().await;
}
