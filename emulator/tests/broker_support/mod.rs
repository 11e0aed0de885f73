//! Support for the broker tests: device certificates registered directly in the registry,
//! and runners for the mosquitto command-line clients.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use iot_emulator::registry::certificate::{CertStatus, Certificate, CertificateMode};
use iot_emulator::Running;

/// A device certificate and key written to a temp dir.
pub struct Device {
    pub id: String,
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
    _dir: tempfile::TempDir,
}

/// The policy [`device`] attaches: every IoT action on every resource.
pub const ALLOW_ALL: &str = "test-allow-all";

/// Issues a certificate with the emulator's PKI and, unless `status` is `None`, registers
/// it with that status and attaches the allow-all policy (for tests not about policies).
pub async fn device(running: &Running, status: Option<CertStatus>) -> Device {
    let dev = bare_device(running, status).await;
    if status.is_some() {
        allow_all(running, &dev.id);
    }
    dev
}

/// Attaches [`ALLOW_ALL`] (`iot:*` on `*`) to the certificate `id`.
pub fn allow_all(running: &Running, id: &str) {
    let registry = &running.emulator.registry;
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}"#;
    if registry.get_policy(ALLOW_ALL).is_err() {
        registry
            .create_policy(ALLOW_ALL, doc)
            .expect("allow-all policy");
    }
    let arn = registry.account().cert_arn(id);
    registry
        .attach_policy(ALLOW_ALL, &arn)
        .expect("attach allow-all");
}

/// Like [`device`], with no policy attached.
pub async fn bare_device(running: &Running, status: Option<CertStatus>) -> Device {
    let pki = running.emulator.pki.clone();
    let (key, cert) = tokio::task::spawn_blocking(move || pki.create_keys_and_certificate())
        .await
        .expect("pki task")
        .expect("certificate issued");
    if let Some(status) = status {
        let record = Certificate {
            certificate_id: cert.certificate_id.clone(),
            certificate_pem: cert.certificate_pem.clone(),
            ca_certificate_id: None,
            status,
            owned_by: running.ready.account_id.clone(),
            creation_date_ms: 0,
            last_modified_date_ms: 0,
            customer_version: 1,
            generation_id: "test-generation".into(),
            not_before_ms: cert.not_before_ms,
            not_after_ms: cert.not_after_ms,
            certificate_mode: CertificateMode::Default,
            expires_at_ms: None,
            claim_template: None,
        };
        let id = cert.certificate_id.clone();
        running
            .emulator
            .registry
            .write(|inner, tx| {
                inner.certificates.put(tx, id, record);
                Ok(())
            })
            .expect("certificate stored");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let cert_path = dir.path().join("device.pem.crt");
    let key_path = dir.path().join("device.private.key");
    std::fs::write(&cert_path, &cert.certificate_pem).expect("write cert");
    std::fs::write(&key_path, &key.private_key_pem).expect("write key");
    Device {
        id: cert.certificate_id,
        cert: cert_path,
        key: key_path,
        ca: PathBuf::from(&running.ready.root_ca_path),
        _dir: dir,
    }
}

/// The connection and TLS arguments mosquitto_pub/sub need.
pub fn mosquitto_args(running: &Running, device: &Device) -> Vec<String> {
    let path = |p: &PathBuf| p.display().to_string();
    vec![
        "-h".into(),
        running.ready.mqtt_host.clone(),
        "-p".into(),
        running.ready.mqtt_port.to_string(),
        "--cafile".into(),
        path(&device.ca),
        "--cert".into(),
        path(&device.cert),
        "--key".into(),
        path(&device.key),
    ]
}

/// Starts `program` (mosquitto_pub or mosquitto_sub) with the TLS arguments plus `extra`.
pub fn spawn(program: &str, running: &Running, device: &Device, extra: &[&str]) -> Child {
    Command::new(program)
        .args(mosquitto_args(running, device))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} (install mosquitto-clients): {e}"))
}

/// Runs a mosquitto client to completion (off the async runtime).
pub async fn run(program: &str, running: &Running, device: &Device, extra: &[&str]) -> Output {
    let child = spawn(program, running, device, extra);
    wait(child).await
}

/// Waits for a started client to exit and collects its output.
pub async fn wait(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().expect("client output"))
        .await
        .expect("wait task")
}

/// Everything a finished client printed (stdout then stderr).
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Waits until the broker lists `client_id` as connected.
pub async fn wait_connected(running: &Running, client_id: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !running
        .broker
        .connected_clients()
        .iter()
        .any(|c| c == client_id)
    {
        assert!(Instant::now() < deadline, "{client_id} never connected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `client_id` holds a subscription to `filter`.
pub async fn wait_subscribed(running: &Running, client_id: &str, filter: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !running
        .broker
        .subscriptions(client_id)
        .iter()
        .any(|f| f == filter)
    {
        assert!(
            Instant::now() < deadline,
            "{client_id} never subscribed to {filter}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
