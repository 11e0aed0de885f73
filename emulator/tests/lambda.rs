//! Lambda and CloudWatch Logs through real clients: the aws CLI creates a Python function
//! from a zip and invokes it, its boto3 reaches the emulator, its print() lines come back
//! through `aws logs`, errors and timeouts come back as AWS shapes them, a fleet-provisioning
//! hook runs it, and functions survive a restart without leaking the user's environment.

mod common;
mod fleet_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use common::{aws_env, venv, CliResult, TestEmulator};
use fleet_support::{claim_certificate, create_hooked_template, provision, HOOK_ARN};
use serde_json::{json, Value};

const ROLE: &str = "arn:aws:iam::123456789012:role/lambda-role";

/// `--lambda-runtime python3.12=<venv python>`: the venv has boto3, as AWS's runtime does.
fn runtime_flag() -> String {
    format!("python3.12={}", venv().join("bin/python").display())
}

/// `tests/py/lambda_app.py` zipped as a deployment package; returns its path.
fn package(dir: &Path) -> PathBuf {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/py/lambda_app.py");
    let code = std::fs::read(source).expect("lambda_app.py");
    let path = dir.join("function.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("zip file"));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("lambda_app.py", options).expect("zip entry");
    zip.write_all(&code).expect("zip write");
    zip.finish().expect("zip finish");
    path
}

/// `aws <args…> --endpoint-url <api>` (any service), off the async runtime.
async fn aws(api: &str, args: &[&str]) -> CliResult {
    let mut cmd = Command::new(venv().join("bin/aws"));
    aws_env(&mut cmd);
    cmd.args(args).args(["--endpoint-url", api]);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run the aws CLI"))
        .await
        .expect("aws task");
    CliResult {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn aws_ok(api: &str, args: &[&str]) -> Value {
    let out = aws(api, args).await;
    assert!(out.success, "aws {args:?}: {}", out.stderr);
    out.json()
}

async fn aws_err(api: &str, args: &[&str]) -> String {
    let out = aws(api, args).await;
    assert!(
        !out.success,
        "aws {args:?} unexpectedly succeeded: {}",
        out.stdout
    );
    out.exception()
        .unwrap_or_else(|| panic!("no AWS error in: {}", out.stderr))
}

async fn create_function(api: &str, dir: &Path, name: &str, handler: &str) -> Value {
    let zip = format!("fileb://{}", package(dir).display());
    aws_ok(
        api,
        &[
            "lambda",
            "create-function",
            "--function-name",
            name,
            "--runtime",
            "python3.12",
            "--handler",
            handler,
            "--role",
            ROLE,
            "--zip-file",
            &zip,
            "--timeout",
            "2",
            "--environment",
            "Variables={GREETING=hello}",
        ],
    )
    .await
}

/// `aws lambda invoke`: the CLI's reply and the payload it wrote.
async fn invoke(
    api: &str,
    dir: &Path,
    name: &str,
    payload: Value,
    extra: &[&str],
) -> (Value, Value) {
    let out = dir.join("out.json").display().to_string();
    let payload = payload.to_string();
    let mut args = vec![
        "lambda",
        "invoke",
        "--function-name",
        name,
        "--payload",
        &payload,
    ];
    args.extend(extra);
    args.push(&out);
    let reply = aws_ok(api, &args).await;
    let written = std::fs::read(&out).unwrap_or_default();
    let body = serde_json::from_slice(&written).unwrap_or(Value::Null);
    (reply, body)
}

async fn lambda_with_runtime() -> TestEmulator {
    let mut config = iot_emulator::Config::for_tests();
    config.lambda_runtimes = vec![runtime_flag()];
    TestEmulator::start_with(config).await
}

#[tokio::test(flavor = "multi_thread")]
async fn python_functions_through_the_aws_cli_boto3_logs_and_hooks() {
    let emu = lambda_with_runtime().await;
    let api = emu.api_url().to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    control_plane(&api, dir.path()).await;
    invocations(&emu, dir.path()).await;
    logs(&api).await;
    hook_function(&emu, dir.path()).await;
    emu.shutdown().await;
}

async fn control_plane(api: &str, dir: &Path) {
    let created = create_function(api, dir, "otameshi", "lambda_app.handler").await;
    assert_eq!(
        created["FunctionArn"],
        "arn:aws:lambda:us-east-1:123456789012:function:otameshi"
    );
    assert_eq!(created["State"], "Active");
    assert_eq!(created["Environment"]["Variables"]["GREETING"], "hello");
    let again = aws_err(
        api,
        &[
            "lambda",
            "create-function",
            "--function-name",
            "otameshi",
            "--runtime",
            "python3.12",
            "--handler",
            "h.h",
            "--role",
            ROLE,
            "--zip-file",
            &format!("fileb://{}", package(dir).display()),
        ],
    )
    .await;
    assert_eq!(again, "ResourceConflictException");
    let node = aws_err(
        api,
        &[
            "lambda",
            "create-function",
            "--function-name",
            "node",
            "--runtime",
            "nodejs20.x",
            "--handler",
            "index.handler",
            "--role",
            ROLE,
            "--zip-file",
            &format!("fileb://{}", package(dir).display()),
        ],
    )
    .await;
    assert_eq!(node, "InvalidParameterValueException");
    let got = aws_ok(
        api,
        &["lambda", "get-function", "--function-name", "otameshi"],
    )
    .await;
    assert_eq!(got["Configuration"]["Handler"], "lambda_app.handler");
    let listed = aws_ok(api, &["lambda", "list-functions"]).await;
    assert_eq!(listed["Functions"].as_array().map(Vec::len), Some(1));
    let updated = aws_ok(
        api,
        &[
            "lambda",
            "update-function-configuration",
            "--function-name",
            "otameshi",
            "--timeout",
            "1",
        ],
    )
    .await;
    assert_eq!(updated["Timeout"], 1);
    assert_ne!(updated["RevisionId"], created["RevisionId"]);
    let zip = format!("fileb://{}", package(dir).display());
    aws_ok(
        api,
        &[
            "lambda",
            "update-function-code",
            "--function-name",
            "otameshi",
            "--zip-file",
            &zip,
        ],
    )
    .await;
    let added = aws_ok(
        api,
        &[
            "lambda",
            "add-permission",
            "--function-name",
            "otameshi",
            "--statement-id",
            "iot-rule",
            "--action",
            "lambda:InvokeFunction",
            "--principal",
            "iot.amazonaws.com",
            "--source-arn",
            "arn:aws:iot:us-east-1:123456789012:rule/r",
        ],
    )
    .await;
    let statement: Value = serde_json::from_str(added["Statement"].as_str().unwrap()).unwrap();
    assert_eq!(
        statement["Principal"],
        json!({"Service": "iot.amazonaws.com"})
    );
    let policy = aws_ok(
        api,
        &["lambda", "get-policy", "--function-name", "otameshi"],
    )
    .await;
    assert!(policy["Policy"]
        .as_str()
        .unwrap()
        .contains("\"Sid\":\"iot-rule\""));
    aws_ok(
        api,
        &[
            "lambda",
            "remove-permission",
            "--function-name",
            "otameshi",
            "--statement-id",
            "iot-rule",
        ],
    )
    .await;
    let gone = aws_err(
        api,
        &["lambda", "get-policy", "--function-name", "otameshi"],
    )
    .await;
    assert_eq!(gone, "ResourceNotFoundException");
    let missing = aws_err(api, &["lambda", "get-function", "--function-name", "nope"]).await;
    assert_eq!(missing, "ResourceNotFoundException");
}

async fn invocations(emu: &TestEmulator, dir: &Path) {
    let api = emu.api_url();
    let (reply, body) = invoke(
        api,
        dir,
        "otameshi",
        json!({"action": "create_thing", "thingName": "from-lambda"}),
        &["--log-type", "Tail"],
    )
    .await;
    assert_eq!(reply["StatusCode"], 200, "{reply}");
    assert_eq!(reply["ExecutedVersion"], "$LATEST");
    assert!(reply.get("FunctionError").is_none(), "{reply} {body}");
    assert_eq!(body["created"], "from-lambda");
    assert_eq!(body["function"], "otameshi");
    assert_eq!(body["remainingPositive"], true);
    assert_eq!(body["greeting"], "hello");
    let tail = base64::engine::general_purpose::STANDARD
        .decode(reply["LogResult"].as_str().expect("LogResult"))
        .expect("base64");
    let tail = String::from_utf8(tail).expect("utf-8");
    assert!(
        tail.contains("event: {\"action\": \"create_thing\""),
        "{tail}"
    );
    assert!(tail.contains("END RequestId: "), "{tail}");
    assert!(tail.contains("REPORT RequestId: "), "{tail}");
    let things = emu.aws_ok(&["list-things"]).await;
    assert_eq!(things["things"][0]["thingName"], "from-lambda");

    let (reply, body) = invoke(api, dir, "otameshi", json!({"action": "fail"}), &[]).await;
    assert_eq!(reply["FunctionError"], "Unhandled", "{reply}");
    assert_eq!(body["errorType"], "RuntimeError");
    assert_eq!(body["errorMessage"], "the handler failed on purpose");
    assert!(
        body["stackTrace"].as_array().is_some_and(|s| !s.is_empty()),
        "{body}"
    );

    let (reply, body) = invoke(
        api,
        dir,
        "otameshi",
        json!({"action": "sleep", "seconds": 30}),
        &[],
    )
    .await;
    assert_eq!(reply["FunctionError"], "Unhandled", "{reply}");
    assert_eq!(body["errorType"], "Sandbox.Timedout", "{body}");
    assert!(body["errorMessage"]
        .as_str()
        .unwrap()
        .ends_with("Task timed out after 1.00 seconds"));

    let (reply, _) = invoke(
        api,
        dir,
        "otameshi",
        json!({"action": "event"}),
        &["--invocation-type", "Event"],
    )
    .await;
    assert_eq!(reply["StatusCode"], 202);
    let (reply, _) = invoke(
        api,
        dir,
        "otameshi",
        json!({}),
        &["--invocation-type", "DryRun"],
    )
    .await;
    assert_eq!(reply["StatusCode"], 204);
    let logs = &emu.running.emulator.logs;
    let query = iot_emulator::logs::FilterQuery {
        log_group_name: Some("/aws/lambda/otameshi".into()),
        filter_pattern: Some("event".into()),
        ..Default::default()
    };
    let mut seen = false;
    for _ in 0..200 {
        let page = logs.filter_log_events(&query).expect("filter");
        if page
            .events
            .iter()
            .any(|e| e.message.contains("\"action\": \"event\""))
        {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(seen, "the Event invocation ran and logged");
}

async fn logs(api: &str) {
    let group = "/aws/lambda/otameshi";
    let found = aws_ok(
        api,
        &[
            "logs",
            "filter-log-events",
            "--log-group-name",
            group,
            "--filter-pattern",
            "\"from-lambda\"",
        ],
    )
    .await;
    let messages: Vec<&str> = found["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("event: {\"action\": \"create_thing\"")),
        "{messages:?}"
    );
    let all = aws_ok(
        api,
        &["logs", "filter-log-events", "--log-group-name", group],
    )
    .await;
    let all: Vec<&str> = all["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(
        all.iter()
            .any(|m| m.contains("Task timed out after 1.00 seconds")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|m| m.starts_with("[ERROR] RuntimeError: the handler failed on purpose")),
        "{all:?}"
    );
    let streams = aws_ok(
        api,
        &[
            "logs",
            "describe-log-streams",
            "--log-group-name",
            group,
            "--order-by",
            "LastEventTime",
            "--descending",
        ],
    )
    .await;
    let stream = streams["logStreams"][0]["logStreamName"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(stream.contains("/[$LATEST]"), "{stream}");
    let events = aws_ok(
        api,
        &[
            "logs",
            "get-log-events",
            "--log-group-name",
            group,
            "--log-stream-name",
            &stream,
            "--start-from-head",
        ],
    )
    .await;
    assert!(events["events"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("START RequestId: "));
    let groups = aws_ok(
        api,
        &[
            "logs",
            "describe-log-groups",
            "--log-group-name-prefix",
            "/aws/lambda/",
        ],
    )
    .await;
    assert_eq!(groups["logGroups"][0]["logGroupName"], group);
    let tail =
        common::run_python_async("logs_tail.py", vec![api.to_string(), group.to_string()]).await;
    assert!(tail.success, "{}", tail.stderr);
    assert!(
        tail.stdout.contains("event: {\"action\": \"create_thing\""),
        "{}",
        tail.stdout
    );
    let unsupported = aws_err(api, &["logs", "describe-metric-filters"]).await;
    assert_eq!(unsupported, "NotImplementedException");
    aws_ok(
        api,
        &["logs", "create-log-group", "--log-group-name", "app"],
    )
    .await;
    aws_ok(
        api,
        &[
            "logs",
            "create-log-stream",
            "--log-group-name",
            "app",
            "--log-stream-name",
            "s",
        ],
    )
    .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let events = format!("timestamp={now},message=written-by-cli");
    aws_ok(
        api,
        &[
            "logs",
            "put-log-events",
            "--log-group-name",
            "app",
            "--log-stream-name",
            "s",
            "--log-events",
            &events,
        ],
    )
    .await;
    let read = aws_ok(
        api,
        &["logs", "filter-log-events", "--log-group-name", "app"],
    )
    .await;
    assert_eq!(read["events"][0]["message"], "written-by-cli");
}

async fn hook_function(emu: &TestEmulator, dir: &Path) {
    let api = emu.api_url();
    let created = create_function(api, dir, "OtameshiHook", "lambda_app.hook").await;
    assert_eq!(created["FunctionArn"], HOOK_ARN);
    let claim = claim_certificate(emu, "OtameshiClaimPolicy", "policies/s1-claim.json").await;
    fleet_support::create_policy(
        emu,
        "OtameshiProvisionedPolicy",
        "policies/s1-provisioned.json",
    )
    .await;
    create_hooked_template(
        emu,
        "OtameshiClaimTemplate",
        "templates/s1-claim.json",
        HOOK_ARN,
    )
    .await;
    let allowed = provision(
        emu,
        &claim,
        json!({"proto": "mqtt5", "client_id": "Claim_ok",
        "template": "OtameshiClaimTemplate", "parameters": {"SerialNumber": "ok-1"}}),
    )
    .await;
    assert_eq!(
        allowed["registered"]["thingName"], "Fleet_Provisioned_ok-1",
        "{allowed}"
    );
    let denied = provision(
        emu,
        &claim,
        json!({"proto": "mqtt5", "client_id": "Claim_deny",
        "template": "OtameshiClaimTemplate", "parameters": {"SerialNumber": "deny-1"}}),
    )
    .await;
    assert_eq!(denied["rejected"]["statusCode"], 403, "{denied}");
    assert_eq!(denied["rejected"]["errorCode"], "AccessDenied", "{denied}");
    let hooked = aws_ok(
        api,
        &[
            "logs",
            "filter-log-events",
            "--log-group-name",
            "/aws/lambda/OtameshiHook",
            "--filter-pattern",
            "\"hook event\"",
        ],
    )
    .await;
    assert_eq!(
        hooked["events"].as_array().map(Vec::len),
        Some(2),
        "{hooked}"
    );
}

/// The binary over a data dir, with the user's own AWS_* variables set around it.
fn spawn_with_user_env(data: &Path) -> common::Binary {
    use std::io::{BufRead, BufReader};
    let runtime = runtime_flag();
    let mut child = Command::new(env!("CARGO_BIN_EXE_iot-emulator"))
        .args(["--api-addr", "127.0.0.1:0", "--mqtt-addr", "127.0.0.1:0"])
        .args([
            "--credentials-addr",
            "127.0.0.1:0",
            "--lambda-runtime",
            &runtime,
        ])
        .arg("--data-dir")
        .arg(data)
        .env("AWS_LEAK_CANARY", "leaked")
        .env("AWS_PROFILE", "the-users-profile")
        .env("AWS_SECRET_ACCESS_KEY", "the-users-secret")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("start iot-emulator");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let ready = serde_json::from_str(&line).unwrap_or_else(|e| panic!("ready line {line:?}: {e}"));
    common::Binary { child, ready }
}

#[tokio::test(flavor = "multi_thread")]
async fn functions_survive_a_restart_and_never_see_the_users_aws_variables() {
    let data = tempfile::tempdir().expect("data dir");
    let dir = tempfile::tempdir().expect("temp dir");
    let first = spawn_with_user_env(data.path());
    create_function(
        &first.ready.api_url,
        dir.path(),
        "kept",
        "lambda_app.handler",
    )
    .await;
    drop(first);
    let second = spawn_with_user_env(data.path());
    let api = second.ready.api_url.clone();
    let (reply, env) = invoke(&api, dir.path(), "kept", json!({"action": "env"}), &[]).await;
    assert!(reply.get("FunctionError").is_none(), "{reply} {env}");
    assert_eq!(env["AWS_ENDPOINT_URL"], api.as_str());
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "kept");
    assert_eq!(env["AWS_REGION"], "us-east-1");
    assert_eq!(env["_HANDLER"], "lambda_app.handler");
    assert_eq!(env["GREETING"], "hello");
    assert!(env.get("AWS_LEAK_CANARY").is_none(), "{env}");
    assert!(env.get("AWS_PROFILE").is_none(), "{env}");
    assert_ne!(env["AWS_SECRET_ACCESS_KEY"], "the-users-secret");
    let task_root = env["LAMBDA_TASK_ROOT"].as_str().unwrap();
    assert!(
        task_root.starts_with(&data.path().display().to_string()),
        "{task_root}"
    );
}
