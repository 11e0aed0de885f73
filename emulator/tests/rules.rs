//! Topic rules with real clients, all against one shared emulator: the control plane
//! through the aws CLI and boto3, and rules firing on device (mosquitto) and iot-data HTTP
//! publishes, observed by a real MQTT subscriber or a local HTTP listener.
//!
//! Each test uses its own rule names and topics, so they run side by side.

mod broker_support;
mod common;

use std::sync::OnceLock;

use common::{run_python_async, CliResult};
use iot_emulator::{Config, Running};
use serde_json::{json, Value};

/// The emulator every test here shares, on a runtime of its own so it outlives each
/// test's runtime.
fn shared() -> &'static Running {
    static SHARED: OnceLock<(tokio::runtime::Runtime, Running)> = OnceLock::new();
    let (_, running) = SHARED.get_or_init(|| {
        // Started from a plain thread: the caller is inside its test's runtime.
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            let running = runtime
                .block_on(iot_emulator::start(Config::for_tests()))
                .expect("emulator starts");
            (runtime, running)
        })
        .join()
        .expect("emulator thread")
    });
    running
}

/// `aws iot <args>` against the shared emulator.
async fn aws(args: &[&str]) -> CliResult {
    let url = shared().ready.api_url.clone();
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(["--endpoint-url".to_string(), url]);
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(common::venv().join("bin/aws"));
        common::aws_env(&mut cmd);
        let out = cmd.arg("iot").args(&all).output().expect("aws CLI");
        CliResult {
            success: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .expect("aws task")
}

/// Creates `name` with the aws CLI from a `TopicRulePayload`.
async fn create_rule(name: &str, payload: Value) {
    let body = payload.to_string();
    let out = aws(&[
        "create-topic-rule",
        "--rule-name",
        name,
        "--topic-rule-payload",
        &body,
    ])
    .await;
    assert!(out.success, "create-topic-rule {name}: {}", out.stderr);
}

const ROLE: &str = "arn:aws:iam::123456789012:role/rules";

#[tokio::test(flavor = "multi_thread")]
async fn aws_cli_creates_gets_and_refuses_bad_sql() {
    let sql = "SELECT *   FROM 'cli/+/data'";
    create_rule(
        "cli_rule",
        json!({"sql": sql, "description": "from the CLI",
               "actions": [{"republish": {"roleArn": ROLE, "topic": "cli/out", "qos": 1}}]}),
    )
    .await;
    let got = aws(&["get-topic-rule", "--rule-name", "cli_rule"])
        .await
        .json();
    assert_eq!(
        got["ruleArn"],
        "arn:aws:iot:us-east-1:123456789012:rule/cli_rule"
    );
    let rule = &got["rule"];
    assert_eq!(rule["sql"], sql, "sql comes back verbatim");
    assert_eq!(rule["awsIotSqlVersion"], "2015-10-08");
    assert_eq!(rule["ruleDisabled"], false);
    assert_eq!(rule["description"], "from the CLI");
    assert!(rule["createdAt"].is_number(), "{rule}");
    assert_eq!(rule["actions"][0]["republish"]["qos"], 1);
    let listed = aws(&["list-topic-rules", "--topic", "cli/+/data"])
        .await
        .json();
    assert_eq!(listed["rules"][0]["ruleName"], "cli_rule");
    assert_eq!(listed["rules"][0]["topicPattern"], "cli/+/data");

    let bad = aws(&[
        "create-topic-rule",
        "--rule-name",
        "cli_bad",
        "--topic-rule-payload",
        r#"{"sql": "SELEC * FROM 'x'", "actions": []}"#,
    ])
    .await;
    assert_eq!(bad.exception().as_deref(), Some("SqlParseException"));
    let missing = aws(&["get-topic-rule", "--rule-name", "cli_bad"]).await;
    assert_eq!(
        missing.exception().as_deref(),
        Some("UnauthorizedException")
    );
    let out = aws(&["delete-topic-rule", "--rule-name", "cli_rule"]).await;
    assert!(out.success, "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_lists_replaces_toggles_and_deletes() {
    let url = shared().ready.api_url.clone();
    let out = run_python_async("rules_control.py", vec![url, "b3".into()]).await;
    assert!(out.success, "{}", out.stderr);
    let r = out.json();
    let five: Vec<String> = (0..5).map(|n| format!("b3_{n}")).collect();
    assert_eq!(r["by_topic"], json!(five));
    assert_eq!(
        r["item_keys"],
        json!([
            "createdAt",
            "ruleArn",
            "ruleDisabled",
            "ruleName",
            "topicPattern"
        ])
    );
    assert_eq!(r["disabled"], json!(["b3_3", "b3_4"]));
    assert_eq!(r["enabled"], json!(["b3_0", "b3_1", "b3_2"]));
    assert_eq!(r["paged"], json!([2, 3, false]));
    assert_eq!(r["paginator"], 5);
    assert_eq!(
        r["replaced"],
        json!(["replaced", "2016-03-23", "elsewhere"])
    );
    assert_eq!(r["replaced_sql"], "SELECT *  FROM 'replaced/#'");
    assert_eq!(
        (&r["after_disable"], &r["after_enable"]),
        (&json!(true), &json!(false))
    );
    assert_eq!(r["replace_bad_sql"][0], "SqlParseException");
    assert_eq!(r["create_existing"], "ResourceAlreadyExistsException");
    assert_eq!(r["unknown_action"][0], "InvalidRequestException");
    assert_eq!(
        r["missing"]["get"],
        json!([
            "UnauthorizedException",
            "Access to topic rule 'b3_0' was denied"
        ])
    );
    for op in ["delete", "enable", "disable", "replace"] {
        assert_eq!(r["missing"][op], "UnauthorizedException", "{op}");
    }
    assert_eq!(r["after_delete"], json!([]));
    assert_eq!(r["destination_status"], "ENABLED");
    assert_eq!(r["destination_after_update"], "DISABLED");
    assert_eq!(r["destination_listed"], true);
    assert_eq!(r["destination_deleted"], "UnauthorizedException");
}
