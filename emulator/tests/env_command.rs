//! `iot-emulator env` prints exports that let the unmodified aws CLI reach a running
//! instance with no `--endpoint-url`: iot through `AWS_ENDPOINT_URL_IOT`, every other
//! service (STS, and the services the emulator lacks) through `AWS_ENDPOINT_URL`.

mod common;

use std::process::Command;

use common::venv;

/// What the aws CLI printed for each service command run after `eval "$(iot-emulator env)"`.
const LACKING: &[(&str, &str)] = &[
    (
        "sns list-topics",
        "An error occurred (NotImplemented) when calling the ListTopics operation: \
         iot-emulator does not implement sns ListTopics",
    ),
    (
        "s3api get-bucket-versioning --bucket b",
        "An error occurred (NotImplemented) when calling the GetBucketVersioning operation: \
         iot-emulator does not implement s3 GET ?versioning",
    ),
    (
        "logs describe-metric-filters",
        "An error occurred (NotImplementedException) when calling the DescribeMetricFilters \
         operation: iot-emulator does not implement logs DescribeMetricFilters",
    ),
    (
        "lambda list-layers",
        "An error occurred (NotImplementedException) when calling the ListLayers \
         operation: iot-emulator does not implement lambda GET /2018-10-31/layers",
    ),
    (
        "cloudformation list-stack-sets",
        "An error occurred (NotImplemented) when calling the ListStackSets operation: \
         iot-emulator does not implement cloudformation ListStackSets",
    ),
];

#[test]
fn eval_of_env_points_the_aws_cli_at_the_instance() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, ready) = common::spawn_binary(dir.path());
    let exe = env!("CARGO_BIN_EXE_iot-emulator");
    let aws = venv().join("bin/aws");
    let aws = aws.display();
    let mut script = format!(
        "set -e; eval \"$('{exe}' --data-dir '{}' env)\"; \
         '{aws}' iot create-thing --thing-name from-env >/dev/null; \
         '{aws}' iot list-things; echo \"CA=$IOT_EMULATOR_ROOT_CA\"; \
         '{aws}' sts get-caller-identity; \
         AWS_ACCOUNT=$('{aws}' sts get-caller-identity --query Account --output text); \
         echo \"AWS_ACCOUNT=$AWS_ACCOUNT\"; set +e; ",
        dir.path().display(),
    );
    for (command, _) in LACKING {
        script.push_str(&format!("'{aws}' {command} 2>&1; echo \"rc=$?\"; "));
    }
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"thingName\": \"from-env\""), "{stdout}");
    assert!(
        stdout.contains(&format!("CA={}", ready.root_ca_path)),
        "{stdout}"
    );
    // The seeds' README: AWS_ACCOUNT=$(aws sts get-caller-identity --query Account ...).
    assert!(
        stdout.contains(&format!("\"Account\": \"{}\"", ready.account_id)),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("AWS_ACCOUNT={}\n", ready.account_id)),
        "{stdout}"
    );
    let root = format!("\"Arn\": \"arn:aws:iam::{}:root\"", ready.account_id);
    assert!(stdout.contains(&root), "{stdout}");
    for (command, message) in LACKING {
        let expected = format!("{message}\nrc=255\n");
        assert!(stdout.contains(&expected), "{command}: {stdout}");
    }
}
