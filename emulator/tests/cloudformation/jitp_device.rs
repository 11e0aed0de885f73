//! The users' JITP stack with a device: the stack's template named in a CA's
//! registration config, a device certificate of that CA provisioned on its first
//! connection (refused), connecting on its retry as the thing the template made, then
//! everything torn down and nothing of the stack left.

use crate::common::{self, TestEmulator};
use crate::{started, template, Cli};

/// A CA, its verification certificate (CN = `CODE`) and a device (CN =
/// `jitp-stack-device`), made with openssl as AWS's JITP guide makes them.
const JITP_OPENSSL: &str = r#"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rootCA.key -out rootCA.pem -days 365 -subj "/CN=JITP Stack Root CA"
leaf() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $1.key -out $1.csr -subj "/CN=$2"
  openssl x509 -req -in $1.csr -CA rootCA.pem -CAkey rootCA.key -CAcreateserial -out $1.crt -days 500 -sha256
}
leaf verificationCert "$CODE"
leaf device jitp-stack-device
cat device.crt rootCA.pem > device-and-ca.crt
"#;

const THING: &str = "jitp-stack-device";

/// One `mosquitto_pub` by the device (its certificate sent with the CA's, as JITP
/// requires); `true` if it connected and published.
async fn device_publishes(emu: &TestEmulator, dir: &std::path::Path) -> bool {
    let ready = &emu.running.ready;
    let file = |name: &str| dir.join(name).display().to_string();
    let topic = format!("jitp/{THING}/hello");
    let mut cmd = std::process::Command::new("mosquitto_pub");
    cmd.args(["-h", &ready.mqtt_host, "-p", &ready.mqtt_port.to_string()])
        .args(["--cafile", &ready.root_ca_path])
        .args([
            "--cert",
            &file("device-and-ca.crt"),
            "--key",
            &file("device.key"),
        ])
        .args(["-V", "5", "-i", THING, "-t", &topic, "-m", "hi", "-q", "1"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("mosquitto_pub"))
        .await
        .unwrap();
    out.status.success()
}

async fn deploy(cli: &Cli) {
    let file = template("jitp.yml");
    cli.ok(&[
        "cloudformation",
        "deploy",
        "--template-file",
        &file,
        "--stack-name",
        "jitp-device",
        "--capabilities",
        "CAPABILITY_IAM",
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jitp_stack_provisions_a_device_on_its_first_connection() {
    let (emu, cli, work) = started().await;
    deploy(&cli).await;
    let template_name = cli.output("jitp-device", "TemplateName").await;
    let group = cli
        .output("jitp-device", "IoTThingGroupNameProvisioned")
        .await;
    let policy = cli.output("jitp-device", "IoTPolicyNameProvisioned").await;
    let code = cli.json(&["iot", "get-registration-code"]).await;
    let code = code["registrationCode"].as_str().unwrap();
    common::sh(work.path(), JITP_OPENSSL, &[("CODE", code)]);
    let config = format!("templateName={template_name}");
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
            "--registration-config",
            &config,
        ])
        .await;
    let ca_id = ca["certificateId"].as_str().unwrap().to_string();

    assert!(
        !device_publishes(&emu, work.path()).await,
        "the first connection provisions the device and is closed"
    );
    let mut connected = false;
    for _ in 0..20 {
        if device_publishes(&emu, work.path()).await {
            connected = true;
            break;
        }
    }
    assert!(connected, "the device never connected after JITP");
    let thing = cli
        .json(&["iot", "describe-thing", "--thing-name", THING])
        .await;
    assert_eq!(thing["thingTypeName"], "Bulb", "{thing}");
    let groups = cli
        .json(&["iot", "list-thing-groups-for-thing", "--thing-name", THING])
        .await;
    assert_eq!(groups["thingGroups"][0]["groupName"], group, "{groups}");
    let principals = cli
        .json(&["iot", "list-thing-principals", "--thing-name", THING])
        .await;
    let cert_arn = principals["principals"][0].as_str().unwrap().to_string();
    let attached = cli
        .json(&["iot", "list-attached-policies", "--target", &cert_arn])
        .await;
    assert_eq!(attached["policies"][0]["policyName"], policy, "{attached}");

    teardown(&cli, &cert_arn, &ca_id, &policy).await;
    emu.shutdown().await;
}

/// What JITP made and the CA first (the CA names the stack's template, the device's
/// certificate holds its policy), then the stack; nothing of it is left.
async fn teardown(cli: &Cli, cert_arn: &str, ca_id: &str, policy: &str) {
    let cert_id = cert_arn.rsplit_once("cert/").unwrap().1;
    let steps: [&[&str]; 7] = [
        &[
            "iot",
            "detach-thing-principal",
            "--thing-name",
            THING,
            "--principal",
            cert_arn,
        ],
        &[
            "iot",
            "detach-policy",
            "--policy-name",
            policy,
            "--target",
            cert_arn,
        ],
        &[
            "iot",
            "update-certificate",
            "--certificate-id",
            cert_id,
            "--new-status",
            "INACTIVE",
        ],
        &["iot", "delete-certificate", "--certificate-id", cert_id],
        &["iot", "delete-thing", "--thing-name", THING],
        &[
            "iot",
            "update-ca-certificate",
            "--certificate-id",
            ca_id,
            "--new-status",
            "INACTIVE",
        ],
        &["iot", "delete-ca-certificate", "--certificate-id", ca_id],
    ];
    for step in steps {
        cli.ok(step).await;
    }
    cli.ok(&[
        "cloudformation",
        "delete-stack",
        "--stack-name",
        "jitp-device",
    ])
    .await;
    cli.ok(&[
        "cloudformation",
        "wait",
        "stack-delete-complete",
        "--stack-name",
        "jitp-device",
    ])
    .await;
    for (list, key) in [
        ("list-things", "things"),
        ("list-policies", "policies"),
        ("list-thing-groups", "thingGroups"),
        ("list-thing-types", "thingTypes"),
        ("list-provisioning-templates", "templates"),
        ("list-certificates", "certificates"),
    ] {
        let left = cli.json(&["iot", list]).await;
        assert_eq!(
            left[key].as_array().map(Vec::len).unwrap_or(0),
            0,
            "{list}: {left}"
        );
    }
}
