//! Support for the fleet provisioning tests: claim certificates made through the aws CLI,
//! templates and policies from `fixtures/`, and the `py/fleet.py` driver.
#![allow(dead_code, unreachable_pub)]

use std::path::Path;

use serde_json::{json, Value};

use crate::common::{fixture, run_python, TestEmulator};

/// The provisioning role the templates name (IAM is not emulated).
pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/IoTFleetProvisioningRole";

/// A claim certificate and key on disk.
pub struct Claim {
    pub id: String,
    pub arn: String,
    pub cert: String,
    pub key: String,
    pub dir: tempfile::TempDir,
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

/// `create-policy --policy-name name --policy-document file://fixtures/<rel>`.
pub async fn create_policy(emu: &TestEmulator, name: &str, rel: &str) {
    emu.aws_ok(&[
        "create-policy",
        "--policy-name",
        name,
        "--policy-document",
        &fixture(rel),
    ])
    .await;
}

/// An enabled FLEET_PROVISIONING template from `fixtures/<rel>`.
pub async fn create_template(emu: &TestEmulator, name: &str, rel: &str) {
    emu.aws_ok(&[
        "create-provisioning-template",
        "--template-name",
        name,
        "--provisioning-role-arn",
        ROLE_ARN,
        "--template-body",
        &fixture(rel),
        "--enabled",
    ])
    .await;
}

/// An emulator whose hook `arn` runs the shell command `command`.
pub async fn with_hook(arn: &str, command: &str) -> TestEmulator {
    let mut config = iot_emulator::Config::for_tests();
    config.hooks = vec![format!("{arn}={command}")];
    TestEmulator::start_with(config).await
}

/// An enabled FLEET_PROVISIONING template with a pre-provisioning hook.
pub async fn create_hooked_template(emu: &TestEmulator, name: &str, rel: &str, hook_arn: &str) {
    let hook = format!("targetArn={hook_arn},payloadVersion=2020-04-01");
    emu.aws_ok(&[
        "create-provisioning-template",
        "--template-name",
        name,
        "--provisioning-role-arn",
        ROLE_ARN,
        "--template-body",
        &fixture(rel),
        "--enabled",
        "--pre-provisioning-hook",
        &hook,
    ])
    .await;
}

/// A claim certificate (ACTIVE) with the policy `fixtures/<rel>` attached as `policy`.
pub async fn claim_certificate(emu: &TestEmulator, policy: &str, rel: &str) -> Claim {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = (
        path(dir.path(), "claim.pem.crt"),
        path(dir.path(), "claim.key"),
    );
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
    let arn = created["certificateArn"].as_str().expect("arn").to_string();
    let listed = emu.aws(&["get-policy", "--policy-name", policy]).await;
    if !listed.success {
        create_policy(emu, policy, rel).await;
    }
    emu.aws_ok(&["attach-policy", "--policy-name", policy, "--target", &arn])
        .await;
    Claim {
        id: created["certificateId"].as_str().expect("id").to_string(),
        arn,
        cert,
        key,
        dir,
    }
}

/// A trusted-user claim from `create-provisioning-claim`, written to disk.
pub async fn provisioning_claim(emu: &TestEmulator, template: &str) -> Claim {
    let created = emu
        .aws_ok(&["create-provisioning-claim", "--template-name", template])
        .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = (
        path(dir.path(), "claim.pem.crt"),
        path(dir.path(), "claim.key"),
    );
    std::fs::write(&cert, created["certificatePem"].as_str().expect("pem")).expect("write");
    let private = created["keyPair"]["PrivateKey"].as_str().expect("key");
    std::fs::write(&key, private).expect("write");
    let id = created["certificateId"].as_str().expect("id").to_string();
    Claim {
        arn: format!("arn:aws:iot:us-east-1:123456789012:cert/{id}"),
        id,
        cert,
        key,
        dir,
    }
}

fn with_connection(emu: &TestEmulator, claim: &Claim, mut options: Value) -> Value {
    let ready = &emu.running.ready;
    options["host"] = json!(ready.mqtt_host);
    options["port"] = json!(ready.mqtt_port);
    options["ca"] = json!(ready.root_ca_path);
    options["cert"] = json!(claim.cert);
    options["key"] = json!(claim.key);
    options["out_dir"] = json!(claim.dir.path().display().to_string());
    if options.get("client_id").is_none() {
        options["client_id"] = json!("fleet-raw");
    }
    options
}

async fn fleet_py(command: &'static str, options: Value) -> Value {
    let text = options.to_string();
    let out = tokio::task::spawn_blocking(move || run_python("fleet.py", &[command, &text]))
        .await
        .expect("python task");
    assert!(out.success, "fleet.py {command} failed: {}", out.stderr);
    out.json()
}

/// Runs `fleet.py provision` with the claim's connection filled in.
pub async fn provision(emu: &TestEmulator, claim: &Claim, options: Value) -> Value {
    fleet_py("provision", with_connection(emu, claim, options)).await
}

/// Runs `fleet.py cbor` (Create* and RegisterThing on the CBOR topics) with the claim's
/// connection filled in.
pub async fn provision_cbor(emu: &TestEmulator, claim: &Claim, options: Value) -> Value {
    fleet_py("cbor", with_connection(emu, claim, options)).await
}

/// Runs `fleet.py raw` with the claim's connection filled in.
pub async fn raw(emu: &TestEmulator, claim: &Claim, options: Value) -> Value {
    fleet_py("raw", with_connection(emu, claim, options)).await
}

/// The pre-provisioning hook's Lambda in S1, and two stand-ins for it.
pub const HOOK_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:OtameshiHook";
pub const ALLOW: &str = r#"echo '{"allowProvisioning": true}'"#;
pub const DENY: &str = r#"echo '{"allowProvisioning": false}'"#;

/// S1's provisioned-device policy and its hooked template.
pub async fn s1_admin(emu: &TestEmulator) {
    let provisioned = "policies/s1-provisioned.json";
    create_policy(emu, "OtameshiProvisionedPolicy", provisioned).await;
    let template = "templates/s1-claim.json";
    create_hooked_template(emu, "OtameshiClaimTemplate", template, HOOK_ARN).await;
}

/// A P-256 key and a CSR with subject `CN=<cn>`, written next to the claim.
pub fn csr(claim: &Claim, cn: &str) -> (String, String) {
    csr_for_key(claim, cn, rcgen::KeyPair::generate().expect("key"))
}

/// [`csr`] with the committed key `fixtures/keys/fleet-device-p256.key`, so that the
/// certificate a seeded emulator issues for it is the same on every run.
pub fn fixed_key_csr(claim: &Claim, cn: &str) -> (String, String) {
    let path = fixture("keys/fleet-device-p256.key");
    let pem = std::fs::read_to_string(path.trim_start_matches("file://")).expect("fixture key");
    csr_for_key(
        claim,
        cn,
        rcgen::KeyPair::from_pem(&pem).expect("P-256 key"),
    )
}

fn csr_for_key(claim: &Claim, cn: &str, key: rcgen::KeyPair) -> (String, String) {
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    let request = params.serialize_request(&key).expect("csr");
    let csr_path = path(claim.dir.path(), &format!("{cn}.csr"));
    let key_path = path(claim.dir.path(), &format!("{cn}.key"));
    std::fs::write(&csr_path, request.pem().expect("csr pem")).expect("write");
    std::fs::write(&key_path, key.serialize_pem()).expect("write");
    (csr_path, key_path)
}

/// The subject CN of a PEM certificate.
pub fn subject_cn(pem: &str) -> Option<String> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
    let cert = block.parse_x509().ok()?;
    let cn = cert.subject().iter_common_name().next()?;
    cn.as_str().ok().map(str::to_string)
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// CBOR encoding of a JSON value.
pub fn cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(value, &mut out).expect("cbor");
    out
}

/// PEM blobs become a marker, so snapshots show the shape and the ids.
pub fn redact(mut value: Value) -> Value {
    for key in ["certificatePem", "privateKey"] {
        if let Some(pem) = value.get(key).and_then(Value::as_str) {
            let kind = pem.lines().next().unwrap_or("").to_string();
            value[key] = json!(format!("[{kind}]"));
        }
    }
    value
}

/// S4's admin steps: the claim with its policy, thing type Bulb, the device policy and
/// the template.
pub async fn s4_admin(emu: &TestEmulator) -> Claim {
    let claim = claim_certificate(emu, "BulbClaimPolicy", "policies/s4-bulb.json").await;
    emu.aws_ok(&["create-thing-type", "--thing-type-name", "Bulb"])
        .await;
    create_policy(emu, "BulbPolicy", "policies/s5-pubsub.json").await;
    create_template(emu, "BulbTemplate", "templates/s4-bulb.json").await;
    claim
}
