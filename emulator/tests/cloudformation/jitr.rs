//! The users' JITR stack: a device activated through the stack's rule and function.

use std::path::PathBuf;

use crate::common::{self, TestEmulator};
use crate::started_with_lambda;

/// A CA, its verification certificate (CN = `CODE`) and a device, all made with openssl.
const JITR_OPENSSL: &str = r#"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rootCA.key -out rootCA.pem -days 365 -subj "/CN=JITR Stack Root CA"
leaf() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key -out $1.csr -subj "/CN=$2"
  openssl x509 -req -in $1.csr -CA rootCA.pem -CAkey rootCA.key -CAcreateserial -out $1.crt -days 500 -sha256
}
leaf verificationCert "$CODE"
leaf device jitr-stack-device
openssl x509 -in device.crt -outform DER | sha256sum | cut -d' ' -f1
"#;

/// One `mosquitto_pub` by the openssl-made device in `dir`; `true` if it connected and published.
async fn device_publishes(emu: &TestEmulator, dir: &std::path::Path, client_id: &str) -> bool {
    let ready = &emu.running.ready;
    let file = |name: &str| dir.join(name).display().to_string();
    let topic = format!("jitr/{client_id}/hello");
    let mut cmd = std::process::Command::new("mosquitto_pub");
    cmd.args(["-h", &ready.mqtt_host, "-p", &ready.mqtt_port.to_string()])
        .args(["--cafile", &ready.root_ca_path])
        .args(["--cert", &file("device.crt"), "--key", &file("device.key")])
        .args([
            "-V", "5", "-i", client_id, "-t", &topic, "-m", "hi", "-q", "1",
        ]);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("mosquitto_pub"))
        .await
        .unwrap();
    out.status.success()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jitr_stack_activates_a_device_through_its_rule_and_function() {
    let (emu, cli, work) = started_with_lambda().await;
    let cfn = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cfn");
    for file in ["jitr.yml", "jitr_fn/app.py"] {
        let to = work.path().join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(cfn.join(file), to).unwrap();
    }
    let code = cli.json(&["iot", "get-registration-code"]).await;
    let code = code["registrationCode"].as_str().unwrap();
    let cert_id = common::sh(work.path(), JITR_OPENSSL, &[("CODE", code)]);
    let cert_id = cert_id.trim();
    let ca = cli
        .json(&[
            "iot",
            "register-ca-certificate",
            "--ca-certificate",
            "file://rootCA.pem",
            "--verification-cert",
            "file://verificationCert.crt",
            "--set-as-active",
            "--allow-auto-registration",
        ])
        .await;
    let ca_id = ca["certificateId"].as_str().unwrap();

    cli.ok(&[
        "cloudformation",
        "package",
        "--template-file",
        "jitr.yml",
        "--s3-bucket",
        "artifacts",
        "--output-template-file",
        "packaged.yml",
    ])
    .await;
    let ca_param = format!("CaCertificateId={ca_id}");
    cli.ok(&[
        "cloudformation",
        "deploy",
        "--template-file",
        "packaged.yml",
        "--stack-name",
        "jitr",
        "--capabilities",
        "CAPABILITY_IAM",
        "--parameter-overrides",
        &ca_param,
    ])
    .await;
    let rule = cli.output("jitr", "RuleName").await;
    let got = cli
        .json(&["iot", "get-topic-rule", "--rule-name", &rule])
        .await;
    assert_eq!(
        got["rule"]["sql"],
        format!(
            "SELECT * FROM '$aws/events/certificates/registered/{ca_id}' \
             WHERE certificateStatus = \"PENDING_ACTIVATION\""
        ),
        "{got}"
    );

    // The thing the function makes is named after the certificate; the device's client id
    // must match it (the policy allows `client/${iot:Connection.Thing.ThingName}`).
    let thing = format!("jitr-{}", &cert_id[..16]);
    assert!(
        !device_publishes(&emu, work.path(), &thing).await,
        "the first connection registers the certificate and is refused"
    );
    // The device retries as JITR devices do; between attempts the CLI reads the status,
    // which paces the retries (each refused attempt publishes the event again).
    let mut connected = false;
    for _ in 0..60 {
        if device_publishes(&emu, work.path(), &thing).await {
            connected = true;
            break;
        }
        cli.json(&["iot", "describe-certificate", "--certificate-id", cert_id])
            .await;
    }
    assert!(connected, "the device never connected after activation");

    let described = cli
        .json(&["iot", "describe-certificate", "--certificate-id", cert_id])
        .await;
    let desc = &described["certificateDescription"];
    assert_eq!(desc["status"], "ACTIVE", "{described}");
    assert_eq!(desc["caCertificateId"], ca_id, "{described}");
    cli.json(&["iot", "describe-thing", "--thing-name", &thing])
        .await;
    let principals = cli
        .json(&["iot", "list-thing-principals", "--thing-name", &thing])
        .await;
    assert_eq!(principals["principals"][0], desc["certificateArn"]);
    let group = cli.output("jitr", "ThingGroupName").await;
    let members = cli
        .json(&[
            "iot",
            "list-things-in-thing-group",
            "--thing-group-name",
            &group,
        ])
        .await;
    assert_eq!(members["things"], serde_json::json!([thing]), "{members}");

    // The function prints after UpdateCertificate returns: read its log until the line is in.
    let function = cli.output("jitr", "FunctionName").await;
    let log_group = format!("/aws/lambda/{function}");
    let wanted = format!("activated: {cert_id} for {thing}");
    let mut printed = String::new();
    for _ in 0..30 {
        let logs = cli
            .json(&[
                "logs",
                "filter-log-events",
                "--log-group-name",
                &log_group,
                "--filter-pattern",
                "activated",
            ])
            .await;
        printed = logs["events"].to_string();
        if printed.contains(&wanted) {
            break;
        }
    }
    assert!(printed.contains(&wanted), "{printed}");

    // As on AWS, a policy still attached to a certificate fails the stack's delete.
    let policy = cli.output("jitr", "PolicyName").await;
    let cert_arn = desc["certificateArn"].as_str().unwrap();
    cli.ok(&[
        "iot",
        "detach-policy",
        "--policy-name",
        &policy,
        "--target",
        cert_arn,
    ])
    .await;
    cli.ok(&["cloudformation", "delete-stack", "--stack-name", "jitr"])
        .await;
    cli.ok(&[
        "cloudformation",
        "wait",
        "stack-delete-complete",
        "--stack-name",
        "jitr",
    ])
    .await;
    let gone = cli
        .fails(&["iot", "get-topic-rule", "--rule-name", &rule])
        .await;
    assert!(gone.contains("UnauthorizedException"), "{gone}");
    let gone = cli
        .fails(&["lambda", "get-function", "--function-name", &function])
        .await;
    assert!(gone.contains("ResourceNotFoundException"), "{gone}");
    let gone = cli
        .fails(&["iot", "get-policy", "--policy-name", &policy])
        .await;
    assert!(gone.contains("ResourceNotFoundException"), "{gone}");
    emu.shutdown().await;
}
