//! A SAM function behind an IoTRule event, an inline function and a log group.

use std::path::PathBuf;

use serde_json::Value;

use crate::started_with_lambda;

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
