//! CloudFormation with the aws CLI as the users' walkthroughs run it: `deploy`,
//! `describe-stacks`, `describe-stack-events`, `delete-stack` and `wait`, against stacks
//! of IoT resources, and every failure path with AWS's CLI output.

mod common;

use std::path::PathBuf;

use common::{CliResult, TestEmulator};
use serde_json::Value;

/// A CLI session against one emulator, off the async runtime.
struct Cli {
    url: String,
    dir: PathBuf,
}

impl Cli {
    async fn run(&self, args: &[&str]) -> CliResult {
        common::aws_at_async(&self.url, &self.dir, args).await
    }

    async fn ok(&self, args: &[&str]) -> CliResult {
        let out = self.run(args).await;
        assert!(
            out.success,
            "aws {args:?} failed\n{}\n{}",
            out.stdout, out.stderr
        );
        out
    }

    async fn json(&self, args: &[&str]) -> Value {
        self.ok(args).await.json()
    }

    async fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            !out.success,
            "aws {args:?} unexpectedly succeeded: {}",
            out.stdout
        );
        format!("{}{}", out.stdout, out.stderr)
    }

    async fn output(&self, stack: &str, key: &str) -> String {
        let v = self
            .json(&["cloudformation", "describe-stacks", "--stack-name", stack])
            .await;
        let outputs = v["Stacks"][0]["Outputs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let found = outputs.iter().find(|o| o["OutputKey"] == key);
        found
            .and_then(|o| o["OutputValue"].as_str())
            .unwrap_or_else(|| panic!("no output {key}: {v}"))
            .to_string()
    }
}

fn template(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cfn")
        .join(name)
        .display()
        .to_string()
}

async fn started() -> (TestEmulator, Cli, tempfile::TempDir) {
    let emu = TestEmulator::start().await;
    let work = tempfile::tempdir().unwrap();
    let cli = Cli {
        url: emu.api_url().to_string(),
        dir: work.path().to_path_buf(),
    };
    (emu, cli, work)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jitp_stack_deploys_updates_and_deletes_with_the_aws_cli() {
    let (emu, cli, _work) = started().await;
    let jitp = template("jitp.yml");
    let deploy = [
        "cloudformation",
        "deploy",
        "--template-file",
        &jitp,
        "--stack-name",
        "otameshi-jitp",
        "--capabilities",
        "CAPABILITY_IAM",
    ];
    let out = cli.ok(&deploy).await;
    assert!(
        out.stdout
            .contains("Successfully created/updated stack - otameshi-jitp"),
        "{}",
        out.stdout
    );

    let stacks = cli
        .json(&[
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            "otameshi-jitp",
        ])
        .await;
    assert_eq!(
        stacks["Stacks"][0]["StackStatus"], "CREATE_COMPLETE",
        "{stacks}"
    );
    let policy = cli
        .output("otameshi-jitp", "IoTPolicyNameProvisioned")
        .await;
    assert!(
        policy.starts_with("otameshi-jitp-DevicePolicy-"),
        "{policy}"
    );
    let doc = cli
        .json(&["iot", "get-policy", "--policy-name", &policy])
        .await;
    let text = doc["policyDocument"].as_str().unwrap();
    assert!(
        text.contains(
            "arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}"
        ),
        "{text}"
    );
    let group_id = cli
        .output("otameshi-jitp", "IoTThingGroupIdProvisioned")
        .await;
    let groups = cli.json(&["iot", "list-thing-groups"]).await;
    let group_name = groups["thingGroups"][0]["groupName"]
        .as_str()
        .unwrap()
        .to_string();
    let group = cli
        .json(&[
            "iot",
            "describe-thing-group",
            "--thing-group-name",
            &group_name,
        ])
        .await;
    assert_eq!(group["thingGroupId"], group_id.as_str());
    let template_name = cli.output("otameshi-jitp", "TemplateName").await;
    let t = cli
        .json(&[
            "iot",
            "describe-provisioning-template",
            "--template-name",
            &template_name,
        ])
        .await;
    assert_eq!(t["type"], "JITP");
    assert!(
        t["templateBody"]
            .as_str()
            .unwrap()
            .contains("\"ThingTypeName\": \"Bulb\""),
        "{t}"
    );
    assert!(
        t["provisioningRoleArn"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:iam::123456789012:role/otameshi-jitp-ProvisioningRole-"),
        "{t}"
    );

    // The same deploy again: nothing to change, as the CLI reports it.
    let again = cli.fails(&deploy).await;
    assert!(
        again.contains("No changes to deploy. Stack otameshi-jitp is up to date"),
        "{again}"
    );

    // A new parameter value replaces the thing type and the template that names it.
    let mut update = deploy.to_vec();
    update.extend(["--parameter-overrides", "ThingTypeName=Lamp"]);
    cli.ok(&update).await;
    let t = cli
        .json(&[
            "iot",
            "describe-provisioning-template",
            "--template-name",
            &cli.output("otameshi-jitp", "TemplateName").await,
        ])
        .await;
    assert!(
        t["templateBody"]
            .as_str()
            .unwrap()
            .contains("\"ThingTypeName\": \"Lamp\""),
        "{t}"
    );
    let types = cli.json(&["iot", "list-thing-types"]).await;
    let names: Vec<&str> = types["thingTypes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["thingTypeName"].as_str())
        .collect();
    assert_eq!(names, ["Lamp"]);
    let events = cli
        .json(&[
            "cloudformation",
            "describe-stack-events",
            "--stack-name",
            "otameshi-jitp",
        ])
        .await;
    assert_eq!(
        events["StackEvents"][0]["ResourceStatus"], "UPDATE_COMPLETE",
        "{events}"
    );

    cli.ok(&[
        "cloudformation",
        "delete-stack",
        "--stack-name",
        "otameshi-jitp",
    ])
    .await;
    cli.ok(&[
        "cloudformation",
        "wait",
        "stack-delete-complete",
        "--stack-name",
        "otameshi-jitp",
    ])
    .await;
    let gone = cli
        .fails(&["iot", "get-policy", "--policy-name", &policy])
        .await;
    assert!(gone.contains("ResourceNotFoundException"), "{gone}");
    for (list, key) in [
        ("list-thing-groups", "thingGroups"),
        ("list-thing-types", "thingTypes"),
        ("list-provisioning-templates", "templates"),
    ] {
        let left = cli.json(&["iot", list]).await;
        assert_eq!(
            left[key].as_array().map(Vec::len).unwrap_or(0),
            0,
            "{list}: {left}"
        );
    }
    let missing = cli
        .fails(&[
            "cloudformation",
            "describe-stacks",
            "--stack-name",
            "otameshi-jitp",
        ])
        .await;
    assert!(
        missing.contains("Stack with id otameshi-jitp does not exist"),
        "{missing}"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_come_back_as_the_cli_shows_them_on_aws() {
    let (emu, cli, _work) = started().await;
    let jitp = template("jitp.yml");
    let bad = cli
        .fails(&[
            "cloudformation",
            "deploy",
            "--template-file",
            &jitp,
            "--stack-name",
            "bad-param",
            "--capabilities",
            "CAPABILITY_IAM",
            "--parameter-overrides",
            "ClaimCertId=xyz",
        ])
        .await;
    assert!(
        bad.contains("Parameter 'ClaimCertId' must match pattern ^[a-f0-9]{64}$"),
        "{bad}"
    );
    let no_caps = cli
        .fails(&[
            "cloudformation",
            "deploy",
            "--template-file",
            &jitp,
            "--stack-name",
            "no-caps",
        ])
        .await;
    assert!(
        no_caps.contains("InsufficientCapabilities") && no_caps.contains("CAPABILITY_IAM"),
        "{no_caps}"
    );

    let unsupported = template("unsupported.yml");
    let out = cli
        .fails(&[
            "cloudformation",
            "deploy",
            "--template-file",
            &unsupported,
            "--stack-name",
            "sns",
        ])
        .await;
    assert!(
        out.contains("FAILED") && out.contains("AWS::SNS::Topic"),
        "{out}"
    );

    // A resource that fails rolls the stack back; what was made before it is deleted.
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}"#;
    cli.ok(&[
        "iot",
        "create-policy",
        "--policy-name",
        "taken-by-hand",
        "--policy-document",
        doc,
    ])
    .await;
    let failing = template("failing.yml");
    let out = cli
        .fails(&[
            "cloudformation",
            "deploy",
            "--template-file",
            &failing,
            "--stack-name",
            "clash",
        ])
        .await;
    assert!(out.contains("Failed to create/update the stack"), "{out}");
    let events = cli
        .json(&[
            "cloudformation",
            "describe-stack-events",
            "--stack-name",
            "clash",
        ])
        .await;
    let failed: Vec<&Value> = events["StackEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ResourceStatus"] == "CREATE_FAILED")
        .collect();
    assert_eq!(failed.len(), 1, "{events}");
    assert_eq!(failed[0]["LogicalResourceId"], "Clash");
    assert!(
        failed[0]["ResourceStatusReason"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{events}"
    );
    let thing = cli
        .fails(&[
            "iot",
            "describe-thing",
            "--thing-name",
            "made-then-rolled-back",
        ])
        .await;
    assert!(thing.contains("ResourceNotFoundException"), "{thing}");
    let stacks = cli
        .json(&["cloudformation", "describe-stacks", "--stack-name", "clash"])
        .await;
    assert_eq!(stacks["Stacks"][0]["StackStatus"], "ROLLBACK_COMPLETE");

    // Deleting a stack that does not exist succeeds, and so does waiting for it.
    cli.ok(&[
        "cloudformation",
        "delete-stack",
        "--stack-name",
        "never-was",
    ])
    .await;
    cli.ok(&[
        "cloudformation",
        "wait",
        "stack-delete-complete",
        "--stack-name",
        "never-was",
    ])
    .await;
    let summary = cli
        .json(&[
            "cloudformation",
            "validate-template",
            "--template-body",
            &format!("file://{jitp}"),
        ])
        .await;
    assert_eq!(
        summary["Parameters"].as_array().unwrap().len(),
        2,
        "{summary}"
    );
    assert_eq!(summary["Capabilities"][0], "CAPABILITY_IAM");
    emu.shutdown().await;
}

/// The emulator with python3.12 as the venv's interpreter (boto3 in it, as on AWS).
async fn started_with_lambda() -> (TestEmulator, Cli, tempfile::TempDir) {
    let mut config = iot_emulator::Config::for_tests();
    let python = common::venv().join("bin/python");
    config.lambda_runtimes = vec![format!("python3.12={}", python.display())];
    let emu = TestEmulator::start_with(config).await;
    let work = tempfile::tempdir().unwrap();
    let cli = Cli {
        url: emu.api_url().to_string(),
        dir: work.path().to_path_buf(),
    };
    (emu, cli, work)
}

#[tokio::test(flavor = "multi_thread")]
async fn sam_functions_topic_rules_and_log_groups_deploy_through_package() {
    let (emu, cli, work) = started_with_lambda().await;
    let cfn = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cfn");
    for file in ["functions.yml", "echo/app.py"] {
        let to = work.path().join(file);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(cfn.join(file), to).unwrap();
    }
    let package = [
        "cloudformation",
        "package",
        "--template-file",
        "functions.yml",
        "--s3-bucket",
        "artifacts",
        "--output-template-file",
        "packaged.yml",
    ];
    cli.ok(&package).await;
    // The packaged code also serves `aws lambda create-function --code S3Bucket=…,S3Key=…`.
    let packaged = std::fs::read_to_string(work.path().join("packaged.yml")).unwrap();
    let code_uri = packaged
        .lines()
        .find_map(|l| l.trim().strip_prefix("CodeUri: "))
        .unwrap();
    let key = code_uri.trim_start_matches("s3://artifacts/");
    let from_s3 = |key: &str| {
        vec![
            "lambda".to_string(),
            "create-function".into(),
            "--function-name".into(),
            "from-s3".into(),
            "--runtime".into(),
            "python3.12".into(),
            "--handler".into(),
            "app.handler".into(),
            "--role".into(),
            "arn:aws:iam::123456789012:role/r".into(),
            "--environment".into(),
            "Variables={GREETING=from-s3}".into(),
            "--code".into(),
            format!("S3Bucket=artifacts,S3Key={key}"),
        ]
    };
    let missing = from_s3("no-such-key");
    let missing: Vec<&str> = missing.iter().map(String::as_str).collect();
    let refused = cli.fails(&missing).await;
    assert!(
        refused.contains("InvalidParameterValueException") && refused.contains("NoSuchKey"),
        "{refused}"
    );
    let create = from_s3(key);
    let create: Vec<&str> = create.iter().map(String::as_str).collect();
    cli.ok(&create).await;
    cli.ok(&["lambda", "invoke", "--function-name", "from-s3", "s3.json"])
        .await;
    let reply: Value =
        serde_json::from_slice(&std::fs::read(work.path().join("s3.json")).unwrap()).unwrap();
    assert_eq!(reply["greeting"], "from-s3", "{reply}");
    let deploy = [
        "cloudformation",
        "deploy",
        "--template-file",
        "packaged.yml",
        "--stack-name",
        "functions",
        "--capabilities",
        "CAPABILITY_IAM",
    ];
    cli.ok(&deploy).await;

    let echo = cli.output("functions", "EchoName").await;
    let invoke = [
        "lambda",
        "invoke",
        "--function-name",
        &echo,
        "--payload",
        "{\"n\": 1}",
        "echo.json",
    ];
    cli.ok(&invoke).await;
    let reply: Value =
        serde_json::from_slice(&std::fs::read(work.path().join("echo.json")).unwrap()).unwrap();
    assert_eq!(reply["greeting"], "hello-from-stack", "{reply}");
    let inline = cli.output("functions", "InlineName").await;
    let invoke = [
        "lambda",
        "invoke",
        "--function-name",
        &inline,
        "inline.json",
    ];
    cli.ok(&invoke).await;
    let reply: Value =
        serde_json::from_slice(&std::fs::read(work.path().join("inline.json")).unwrap()).unwrap();
    assert_eq!(reply, serde_json::json!({"inline": true}));

    // The IoTRule event's rule runs the function for matching messages only.
    let rule = cli.output("functions", "RuleName").await;
    let got = cli
        .json(&["iot", "get-topic-rule", "--rule-name", &rule])
        .await;
    assert_eq!(
        got["rule"]["sql"],
        "SELECT * FROM 'cfn/sensors' WHERE temperature > 30"
    );
    for (temperature, marker) in [(20, "cold-reading"), (35, "hot-reading")] {
        let payload = format!("{{\"temperature\": {temperature}, \"marker\": \"{marker}\"}}");
        let publish = [
            "iot-data",
            "publish",
            "--topic",
            "cfn/sensors",
            "--payload",
            &payload,
        ];
        cli.ok(&publish).await;
    }
    let group = format!("/aws/lambda/{echo}");
    let mut printed = String::new();
    for _ in 0..30 {
        let events = cli
            .json(&[
                "logs",
                "filter-log-events",
                "--log-group-name",
                &group,
                "--filter-pattern",
                "event",
            ])
            .await;
        printed = events["events"].to_string();
        if printed.contains("hot-reading") {
            break;
        }
    }
    assert!(
        printed.contains("hot-reading") && !printed.contains("cold-reading"),
        "{printed}"
    );

    cli.ok(&[
        "cloudformation",
        "delete-stack",
        "--stack-name",
        "functions",
    ])
    .await;
    let gone = cli
        .fails(&["lambda", "get-function", "--function-name", &echo])
        .await;
    assert!(gone.contains("ResourceNotFoundException"), "{gone}");
    let gone = cli
        .fails(&["iot", "get-topic-rule", "--rule-name", &rule])
        .await;
    assert!(gone.contains("UnauthorizedException"), "{gone}");
    emu.shutdown().await;
}

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
