//! Just-in-time registration (JITR) with a private CA: the first connection registers the
//! certificate PENDING_ACTIVATION, publishes the registered event and is closed; once a
//! subscriber activates it, the device connects. Driven by mosquitto, Python `requests`
//! on the credentials endpoint, and the aws CLI. X.509 v1 certificates from
//! `openssl x509 -req` register both ways (JITR, RegisterCertificate) and connect over TLS
//! 1.2 and 1.3.

mod broker_support;
mod common;

use std::process::{Command, Output, Stdio};

use common::{register_ca, TestCa, TestEmulator};
use serde_json::Value;

struct Files {
    cert: String,
    key: String,
}

fn write(dir: &tempfile::TempDir, name: &str, cert: &str, key: &str) -> Files {
    let cert_path = dir.path().join(format!("{name}.crt"));
    let key_path = dir.path().join(format!("{name}.key"));
    std::fs::write(&cert_path, cert).unwrap();
    std::fs::write(&key_path, key).unwrap();
    Files {
        cert: cert_path.display().to_string(),
        key: key_path.display().to_string(),
    }
}

fn mosquitto(emu: &TestEmulator, files: &Files, extra: &[&str]) -> Command {
    let ready = &emu.running.ready;
    let mut cmd = Command::new(extra[0]);
    cmd.args(["-h", &ready.mqtt_host, "-p", &ready.mqtt_port.to_string()])
        .args([
            "--cafile",
            &ready.root_ca_path,
            "--cert",
            &files.cert,
            "--key",
            &files.key,
        ])
        .args(&extra[1..])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("mosquitto client"))
        .await
        .unwrap()
}

/// One publish attempt by the device over MQTT 5; `true` if it connected and published.
async fn device_publishes(emu: &TestEmulator, device: &Files, client_id: &str) -> bool {
    publishes_with(emu, device, client_id, &["-V", "5"]).await
}

/// One publish attempt with mosquitto_pub's extra `flags`.
async fn publishes_with(
    emu: &TestEmulator,
    device: &Files,
    client_id: &str,
    flags: &[&str],
) -> bool {
    let mut args = vec!["mosquitto_pub"];
    args.extend_from_slice(flags);
    args.extend(["-i", client_id, "-t", "jit/hello", "-m", "hi", "-q", "1"]);
    output(mosquitto(emu, device, &args)).await.status.success()
}

async fn status(emu: &TestEmulator, id: &str) -> Option<String> {
    let out = emu
        .aws(&["describe-certificate", "--certificate-id", id])
        .await;
    out.success.then(|| {
        out.json()["certificateDescription"]["status"]
            .as_str()
            .unwrap()
            .to_string()
    })
}

fn cert_id(pem: &str) -> String {
    let der = iot_emulator::pki::parse::pem_to_der(pem).unwrap();
    iot_emulator::pki::parse::certificate_id(&der)
}

/// A certificate allowed everything, to watch the event topic with.
async fn watcher(emu: &TestEmulator, dir: &tempfile::TempDir) -> Files {
    let cert = dir.path().join("watcher.crt").display().to_string();
    let key = dir.path().join("watcher.key").display().to_string();
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
    let arn = created["certificateArn"].as_str().unwrap();
    let policy = common::fixture("policies/s4-bulb.json");
    emu.aws_ok(&[
        "create-policy",
        "--policy-name",
        "watch",
        "--policy-document",
        &policy,
    ])
    .await;
    emu.aws_ok(&["attach-policy", "--policy-name", "watch", "--target", arn])
        .await;
    Files { cert, key }
}

#[tokio::test(flavor = "multi_thread")]
async fn jitr_registers_publishes_the_event_and_connects_once_activated() {
    let emu = TestEmulator::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("JITR Root CA");
    let ca_id = register_ca(&emu, &dir, &ca, &["--allow-auto-registration"]).await;
    let watch = watcher(&emu, &dir).await;
    let topic = format!("$aws/events/certificates/registered/{ca_id}");
    let sub = mosquitto(
        &emu,
        &watch,
        &[
            "mosquitto_sub",
            "-V",
            "5",
            "-i",
            "watcher",
            "-t",
            &topic,
            "-C",
            "2",
            "-W",
            "60",
        ],
    )
    .spawn()
    .unwrap();
    broker_support::wait_subscribed(&emu.running, "watcher", &topic).await;

    let (pem, key) = ca.leaf("jitr-device-1");
    let device = write(&dir, "device", &pem, &key);
    let id = cert_id(&pem);
    assert!(
        !device_publishes(&emu, &device, "jitr-device-1").await,
        "first connection must fail"
    );
    assert_eq!(
        status(&emu, &id).await.as_deref(),
        Some("PENDING_ACTIVATION")
    );
    // Still pending: a second attempt fails and publishes the event again.
    assert!(!device_publishes(&emu, &device, "jitr-device-1").await);
    let out = tokio::task::spawn_blocking(move || sub.wait_with_output().unwrap())
        .await
        .unwrap();
    let events: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    let event = &events[0];
    assert_eq!(event["certificateId"], id.as_str());
    assert_eq!(event["caCertificateId"], ca_id.as_str());
    assert_eq!(event["certificateStatus"], "PENDING_ACTIVATION");
    assert_eq!(event["awsAccountId"], "123456789012");
    assert!(event["timestamp"].is_i64());
    assert!(event["certificateRegistrationTimestamp"].is_string());

    // The "Lambda": activate and give it a policy; the device now connects.
    emu.aws_ok(&[
        "update-certificate",
        "--certificate-id",
        &id,
        "--new-status",
        "ACTIVE",
    ])
    .await;
    let arn = format!("arn:aws:iot:us-east-1:123456789012:cert/{id}");
    emu.aws_ok(&["attach-policy", "--policy-name", "watch", "--target", &arn])
        .await;
    assert!(device_publishes(&emu, &device, "jitr-device-1").await);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_is_registered_without_an_enabled_active_ca() {
    let emu = TestEmulator::start().await;
    let dir = tempfile::tempdir().unwrap();
    let disabled = TestCa::new("No Auto CA");
    register_ca(&emu, &dir, &disabled, &[]).await;
    let inactive = TestCa::new("Inactive CA");
    let inactive_id = register_ca(&emu, &dir, &inactive, &["--allow-auto-registration"]).await;
    emu.aws_ok(&[
        "update-ca-certificate",
        "--certificate-id",
        &inactive_id,
        "--new-status",
        "INACTIVE",
    ])
    .await;
    let stranger = TestCa::new("Unregistered CA");
    for (n, ca) in [&disabled, &inactive, &stranger].into_iter().enumerate() {
        let (pem, key) = ca.leaf(&format!("dev-{n}"));
        let device = write(&dir, &format!("dev-{n}"), &pem, &key);
        assert!(!device_publishes(&emu, &device, &format!("dev-{n}")).await);
        assert_eq!(
            status(&emu, &cert_id(&pem)).await,
            None,
            "CA {n} registered it"
        );
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_credentials_endpoint_registers_too() {
    let emu = TestEmulator::start().await;
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new("Creds Root CA");
    register_ca(&emu, &dir, &ca, &["--allow-auto-registration"]).await;
    let (pem, key) = ca.leaf("creds-device");
    // The device sends its certificate and the CA concatenated, as S3 does.
    let device = write(&dir, "creds-device", &format!("{pem}{}", ca.pem), &key);
    let ready = &emu.running.ready;
    let args = [
        ready.credentials_url.clone(),
        "alias".into(),
        ready.root_ca_path.clone(),
        device.cert.clone(),
        device.key.clone(),
    ];
    let out = common::run_python_async("credentials.py", args.to_vec()).await;
    assert!(out.json()["error"].is_string(), "{}", out.stdout);
    assert_eq!(
        status(&emu, &cert_id(&pem)).await.as_deref(),
        Some("PENDING_ACTIVATION")
    );
    emu.shutdown().await;
}

/// An EC CA, a v1 verification certificate (CN = `CODE`) and two v1 devices, one EC and
/// one RSA, the way AWS's guide makes them: `openssl x509 -req`, no extension file.
const V1_OPENSSL: &str = r#"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rootCA.key -out rootCA.pem -days 365 -subj "/CN=V1 Root CA"
v1() {
  openssl req -new $1 -nodes -keyout $2.key -out $2.csr -subj "/CN=$3"
  openssl x509 -req -in $2.csr -CA rootCA.pem -CAkey rootCA.key -CAcreateserial -out $2.crt -days 500 -sha256
}
v1 "-newkey ec -pkeyopt ec_paramgen_curve:P-256" verificationCert "$CODE"
v1 "-newkey ec -pkeyopt ec_paramgen_curve:P-256" jitr-v1 jitr-v1
v1 "-newkey rsa:2048" api-v1 api-v1
"#;

/// One publish by `device` over TLS 1.2 (mosquitto's `--tls-version`).
async fn publishes_over_tls12(emu: &TestEmulator, device: &Files, client_id: &str) -> bool {
    publishes_with(emu, device, client_id, &["--tls-version", "tlsv1.2"]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn x509_v1_certificates_register_by_jitr_and_by_the_api() {
    let emu = TestEmulator::start().await;
    let dir = tempfile::tempdir().unwrap();
    let code = emu.registration_code().await;
    common::sh(dir.path(), V1_OPENSSL, &[("CODE", &code)]);
    let file = |name: &str| dir.path().join(name).display().to_string();
    for made in ["verificationCert.crt", "jitr-v1.crt", "api-v1.crt"] {
        assert!(common::is_x509_v1(dir.path(), made), "{made} is not v1");
    }
    let root = format!("file://{}", file("rootCA.pem"));
    emu.aws_ok(&[
        "register-ca-certificate",
        "--ca-certificate",
        &root,
        "--verification-cert",
        &format!("file://{}", file("verificationCert.crt")),
        "--set-as-active",
        "--allow-auto-registration",
    ])
    .await;
    watcher(&emu, &dir).await; // the policy "watch" allows everything
    let device = |stem: &str| Files {
        cert: file(&format!("{stem}.crt")),
        key: file(&format!("{stem}.key")),
    };
    let pem = |stem: &str| std::fs::read_to_string(file(&format!("{stem}.crt"))).unwrap();

    // JITR with the v1 EC device, over TLS 1.2; then activated, it connects over 1.2 and 1.3.
    let jitr = device("jitr-v1");
    assert!(!publishes_over_tls12(&emu, &jitr, "jitr-v1").await);
    let id = cert_id(&pem("jitr-v1"));
    assert_eq!(
        status(&emu, &id).await.as_deref(),
        Some("PENDING_ACTIVATION")
    );
    enable(&emu, &id).await;
    assert!(publishes_over_tls12(&emu, &jitr, "jitr-v1").await);
    assert!(device_publishes(&emu, &jitr, "jitr-v1").await);

    // RegisterCertificate(WithoutCA) with the v1 RSA device; PENDING_ACTIVATION is refused.
    let api_pem = format!("file://{}", file("api-v1.crt"));
    let register = ["register-certificate", "--certificate-pem", &api_pem];
    let without_ca = [
        "register-certificate-without-ca",
        "--certificate-pem",
        &api_pem,
    ];
    for base in [&register[..], &without_ca[..]] {
        let out = emu
            .aws(&[base, &["--status", "PENDING_ACTIVATION"]].concat())
            .await;
        assert_eq!(
            out.exception().as_deref(),
            Some("CertificateStateException")
        );
        assert!(
            out.stderr
                .contains("Not allowed to register certificate with PENDING_ACTIVATION status"),
            "{}",
            out.stderr
        );
    }
    let registered = emu
        .aws_ok(
            &[
                &register[..],
                &["--ca-certificate-pem", &root, "--status", "ACTIVE"],
            ]
            .concat(),
        )
        .await;
    let id = registered["certificateId"].as_str().unwrap();
    enable(&emu, id).await;
    let api = device("api-v1");
    assert!(publishes_over_tls12(&emu, &api, "api-v1").await);
    assert!(device_publishes(&emu, &api, "api-v1").await);
    emu.shutdown().await;
}

/// ACTIVE with the all-allowing policy "watch".
async fn enable(emu: &TestEmulator, id: &str) {
    emu.aws_ok(&[
        "update-certificate",
        "--certificate-id",
        id,
        "--new-status",
        "ACTIVE",
    ])
    .await;
    let arn = format!("arn:aws:iot:us-east-1:123456789012:cert/{id}");
    emu.aws_ok(&["attach-policy", "--policy-name", "watch", "--target", &arn])
        .await;
}
