//! The admin steps of scenarios S1–S5 (`shared/spec/scenarios.md`), run with the real aws
//! CLI against an in-process emulator in `--seed` mode, with teardown, snapshotted.

mod common;

use common::{file_arg, fixture, TestCa, TestEmulator};
use serde_json::Value;

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/IoTFleetProvisioningRole";

fn redact_pem(mut v: Value) -> Value {
    for key in ["certificatePem", "keyPair"] {
        if v.get(key).is_some() {
            v[key] = Value::String(format!("[{key}]"));
        }
    }
    v
}

async fn create_policy(emu: &TestEmulator, name: &str, file: &str) -> Value {
    emu.aws_ok(&[
        "create-policy",
        "--policy-name",
        name,
        "--policy-document",
        &fixture(file),
    ])
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn s1_fleet_provisioning_by_claim_admin_steps() {
    let emu = TestEmulator::seeded(1).await;
    let claim = emu
        .aws_ok(&["create-keys-and-certificate", "--set-as-active"])
        .await;
    let claim_id = claim["certificateId"].as_str().unwrap().to_string();
    let claim_arn = claim["certificateArn"].as_str().unwrap().to_string();
    assert!(claim["keyPair"]["PrivateKey"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    create_policy(&emu, "OtameshiClaimPolicy", "policies/s1-claim.json").await;
    create_policy(
        &emu,
        "OtameshiProvisionedPolicy",
        "policies/s1-provisioned.json",
    )
    .await;
    let template = emu
        .aws_ok(&[
            "create-provisioning-template", "--template-name", "OtameshiClaimTemplate",
            "--provisioning-role-arn", ROLE_ARN, "--template-body", &fixture("templates/s1-claim.json"),
            "--enabled", "--pre-provisioning-hook",
            "targetArn=arn:aws:lambda:us-east-1:123456789012:function:otameshi-hook,payloadVersion=2020-04-01",
        ])
        .await;
    emu.aws_ok(&[
        "attach-policy",
        "--policy-name",
        "OtameshiClaimPolicy",
        "--target",
        &claim_arn,
    ])
    .await;
    let described = emu
        .aws_ok(&[
            "describe-provisioning-template",
            "--template-name",
            "OtameshiClaimTemplate",
        ])
        .await;
    assert_eq!(described["enabled"], true);
    assert_eq!(described["type"], "FLEET_PROVISIONING");
    let attached = emu
        .aws_ok(&["list-attached-policies", "--target", &claim_arn])
        .await;
    insta::assert_json_snapshot!("s1_admin", (redact_pem(claim), template, attached));

    // Teardown, as the seed runs it (the claim certificate here; the device one is #4's).
    emu.aws_ok(&[
        "detach-policy",
        "--policy-name",
        "OtameshiClaimPolicy",
        "--target",
        &claim_arn,
    ])
    .await;
    retire_certificate(&emu, &claim_id, "certificate").await;
    emu.aws_ok(&[
        "delete-provisioning-template",
        "--template-name",
        "OtameshiClaimTemplate",
    ])
    .await;
    for p in ["OtameshiClaimPolicy", "OtameshiProvisionedPolicy"] {
        emu.aws_ok(&["delete-policy", "--policy-name", p]).await;
    }
    assert_empty(&emu).await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s2_jitp_with_private_ca_admin_steps() {
    let emu = TestEmulator::seeded(2).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = register_ca_with_verification(&emu, &dir, &[]).await;
    emu.aws_ok(&["create-thing-type", "--thing-type-name", "JitpDeviceType"])
        .await;
    emu.aws_ok(&["create-thing-group", "--thing-group-name", "JitpDevices"])
        .await;
    create_policy(&emu, "JitpDevicePolicy", "policies/s2-device.json").await;
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
        &ca,
        "--new-auto-registration-status",
        "ENABLE",
        "--registration-config",
        "templateName=JitpTemplate",
    ])
    .await;
    let described = emu
        .aws_ok(&["describe-ca-certificate", "--certificate-id", &ca])
        .await;
    assert_eq!(
        described["certificateDescription"]["autoRegistrationStatus"],
        "ENABLE"
    );
    assert_eq!(
        described["registrationConfig"]["templateName"],
        "JitpTemplate"
    );

    emu.aws_ok(&[
        "update-ca-certificate",
        "--certificate-id",
        &ca,
        "--new-auto-registration-status",
        "DISABLE",
        "--remove-auto-registration",
    ])
    .await;
    let described = emu
        .aws_ok(&["describe-ca-certificate", "--certificate-id", &ca])
        .await;
    assert_eq!(
        described["certificateDescription"]["autoRegistrationStatus"],
        "DISABLE"
    );
    emu.aws_ok(&[
        "detach-policy",
        "--policy-name",
        "JitpDevicePolicy",
        "--target",
        group_arn,
    ])
    .await;
    retire_certificate(&emu, &ca, "ca-certificate").await;
    emu.aws_ok(&[
        "delete-provisioning-template",
        "--template-name",
        "JitpTemplate",
    ])
    .await;
    emu.aws_ok(&["delete-policy", "--policy-name", "JitpDevicePolicy"])
        .await;
    emu.aws_ok(&["delete-thing-group", "--thing-group-name", "JitpDevices"])
        .await;
    emu.aws_ok(&[
        "deprecate-thing-type",
        "--thing-type-name",
        "JitpDeviceType",
    ])
    .await;
    assert_empty(&emu).await;
    emu.shutdown().await;
}

/// Registers a fresh CA the way S2/S3 do (registration code → verification certificate)
/// and returns its id.
async fn register_ca_with_verification(
    emu: &TestEmulator,
    dir: &tempfile::TempDir,
    extra: &[&str],
) -> String {
    let code = emu.registration_code().await;
    assert_eq!(code.len(), 64);
    let ca = TestCa::new("Scenario Root CA");
    let (verification, _) = ca.leaf(&code);
    let mut args = vec![
        "register-ca-certificate".to_string(),
        "--ca-certificate".into(),
        file_arg(dir, "rootCA.pem", &ca.pem),
        "--verification-cert".into(),
        file_arg(dir, "verificationCert.pem", &verification),
        "--set-as-active".into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = emu.aws_ok(&refs).await;
    out["certificateId"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_jitp_via_credentials_provider_admin_steps() {
    let emu = TestEmulator::seeded(3).await;
    let dir = tempfile::tempdir().unwrap();
    let body = std::fs::read_to_string(
        fixture("templates/s3-registration-body.json").trim_start_matches("file://"),
    )
    .unwrap();
    let config = serde_json::json!({ "templateBody": body, "roleArn": ROLE_ARN }).to_string();
    let config_arg = file_arg(&dir, "provisioning-template.json", &config);
    let extra = [
        "--allow-auto-registration",
        "--registration-config",
        config_arg.as_str(),
    ];
    let ca = register_ca_with_verification(&emu, &dir, &extra).await;
    let described = emu
        .aws_ok(&["describe-ca-certificate", "--certificate-id", &ca])
        .await;
    assert_eq!(described["certificateDescription"]["status"], "ACTIVE");
    assert_eq!(
        described["certificateDescription"]["autoRegistrationStatus"],
        "ENABLE"
    );
    assert_eq!(described["registrationConfig"]["roleArn"], ROLE_ARN);
    let alias = emu
        .aws_ok(&[
            "create-role-alias",
            "--role-alias",
            "S3DeviceRoleAlias",
            "--role-arn",
            "arn:aws:iam::123456789012:role/S3DeviceRole",
            "--credential-duration-seconds",
            "3600",
        ])
        .await;
    let endpoint = emu
        .aws_ok(&[
            "describe-endpoint",
            "--endpoint-type",
            "iot:CredentialProvider",
        ])
        .await;
    assert!(endpoint["endpointAddress"]
        .as_str()
        .unwrap()
        .ends_with(".credentials.iot.us-east-1.amazonaws.com"));
    insta::assert_json_snapshot!("s3_admin", (alias, endpoint));

    emu.aws_ok(&["delete-role-alias", "--role-alias", "S3DeviceRoleAlias"])
        .await;
    retire_certificate(&emu, &ca, "ca-certificate").await;
    assert_empty(&emu).await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s4_fleet_provisioning_sdk_sample_admin_steps() {
    let emu = TestEmulator::seeded(4).await;
    emu.aws_ok(&["create-thing-type", "--thing-type-name", "Bulb"])
        .await;
    create_policy(&emu, "BulbPolicy", "policies/s4-bulb.json").await;
    let claim = emu
        .aws_ok(&["create-keys-and-certificate", "--set-as-active"])
        .await;
    let claim_arn = claim["certificateArn"].as_str().unwrap();
    emu.aws_ok(&[
        "attach-policy",
        "--policy-name",
        "BulbPolicy",
        "--target",
        claim_arn,
    ])
    .await;
    let template = emu
        .aws_ok(&[
            "create-provisioning-template",
            "--template-name",
            "BulbTemplate",
            "--provisioning-role-arn",
            ROLE_ARN,
            "--template-body",
            &fixture("templates/s4-bulb.json"),
            "--enabled",
        ])
        .await;
    let listed = emu.aws_ok(&["list-provisioning-templates"]).await;
    insta::assert_json_snapshot!("s4_admin", (template, listed));
    let claim_id = claim["certificateId"].as_str().unwrap();
    emu.aws_ok(&[
        "detach-policy",
        "--policy-name",
        "BulbPolicy",
        "--target",
        claim_arn,
    ])
    .await;
    retire_certificate(&emu, claim_id, "certificate").await;
    emu.aws_ok(&[
        "delete-provisioning-template",
        "--template-name",
        "BulbTemplate",
    ])
    .await;
    emu.aws_ok(&["delete-policy", "--policy-name", "BulbPolicy"])
        .await;
    emu.aws_ok(&["deprecate-thing-type", "--thing-type-name", "Bulb"])
        .await;
    assert_empty(&emu).await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn s5_trusted_user_admin_steps() {
    let emu = TestEmulator::seeded(5).await;
    create_policy(
        &emu,
        "TrustedUserProvisioningPolicy",
        "policies/s5-trusted-user-provisioning.json",
    )
    .await;
    create_policy(&emu, "pubsub", "policies/s5-pubsub.json").await;
    emu.aws_ok(&[
        "create-provisioning-template",
        "--template-name",
        "TrustedUserProvisioningTemplate",
        "--provisioning-role-arn",
        ROLE_ARN,
        "--template-body",
        &fixture("templates/s5-trusted-user.json"),
        "--enabled",
    ])
    .await;
    let claim = emu
        .aws_ok(&[
            "create-provisioning-claim",
            "--template-name",
            "TrustedUserProvisioningTemplate",
        ])
        .await;
    assert!(claim["keyPair"]["PrivateKey"]
        .as_str()
        .unwrap()
        .contains("BEGIN RSA PRIVATE KEY"));
    let id = claim["certificateId"].as_str().unwrap();
    let described = emu
        .aws_ok(&["describe-certificate", "--certificate-id", id])
        .await;
    assert_eq!(described["certificateDescription"]["status"], "ACTIVE");
    // The claim expires five minutes after issue (the clock is frozen under --seed).
    let now = described["certificateDescription"]["creationDate"]
        .as_f64()
        .unwrap();
    assert_eq!(claim["expiration"].as_f64().unwrap(), now + 300.0);
    // The certificate itself says so: notAfter is the expiration, notBefore two minutes
    // before issue, as in AWS's captured claim certificate; its CN is 64 hex digits.
    let pem = claim["certificatePem"].as_str().unwrap();
    let info = iot_emulator::pki::parse::parse_certificate_pem(pem).unwrap();
    assert_eq!(info.not_after_ms as f64 / 1000.0, now + 300.0);
    assert_eq!(info.not_after_ms - info.not_before_ms, 7 * 60 * 1000);
    let cn = info.common_name.unwrap();
    assert!(cn.len() == 64 && cn.chars().all(|c| c.is_ascii_hexdigit()) && cn != id);
    let missing = emu
        .aws_err(&[
            "create-provisioning-claim",
            "--template-name",
            "NoSuchTemplate",
        ])
        .await;
    assert_eq!(missing, "ResourceNotFoundException");
    insta::assert_json_snapshot!("s5_claim", redact_pem(claim.clone()));

    retire_certificate(&emu, id, "certificate").await;
    emu.aws_ok(&[
        "delete-provisioning-template",
        "--template-name",
        "TrustedUserProvisioningTemplate",
    ])
    .await;
    for p in ["TrustedUserProvisioningPolicy", "pubsub"] {
        emu.aws_ok(&["delete-policy", "--policy-name", p]).await;
    }
    assert_empty(&emu).await;
    emu.shutdown().await;
}

/// Deactivates, then deletes, a certificate (`kind` "certificate") or a CA
/// ("ca-certificate"), as the scenarios' teardowns do.
async fn retire_certificate(emu: &TestEmulator, id: &str, kind: &str) {
    let update = format!("update-{kind}");
    let delete = format!("delete-{kind}");
    emu.aws_ok(&[&update, "--certificate-id", id, "--new-status", "INACTIVE"])
        .await;
    emu.aws_ok(&[&delete, "--certificate-id", id]).await;
}

/// After a teardown nothing the scenario created is left.
async fn assert_empty(emu: &TestEmulator) {
    let lists = [
        ("list-certificates", "certificates"),
        ("list-ca-certificates", "certificates"),
        ("list-things", "things"),
        ("list-policies", "policies"),
        ("list-provisioning-templates", "templates"),
        ("list-role-aliases", "roleAliases"),
        ("list-thing-groups", "thingGroups"),
    ];
    for (op, member) in lists {
        let out = emu.aws_ok(&[op]).await;
        let empty = out[member].as_array().map(Vec::is_empty).unwrap_or(true);
        assert!(empty, "{op} still lists {}", out[member]);
    }
}
