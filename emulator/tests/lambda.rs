//! Lambda and CloudWatch Logs through real clients: the aws CLI creates a Python function
//! from a zip and invokes it, its boto3 reaches the emulator, its print() lines come back
//! through `aws logs`, errors and timeouts come back as AWS shapes them, a fleet-provisioning
//! hook runs it, and functions survive a restart without seeing the user's environment.

mod common;
mod fleet_support;
mod lambda_support;

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use common::TestEmulator;
use fleet_support::{claim_certificate, create_hooked_template, provision, HOOK_ARN};
use lambda_support::{aws_err, aws_ok, create_function, invoke, package, ROLE};
use serde_json::{json, Value};

const GROUP: &str = "/aws/lambda/otameshi";

#[tokio::test(flavor = "multi_thread")]
async fn python_functions_through_the_aws_cli_boto3_logs_and_hooks() {
    let emu = lambda_support::lambda_emulator().await;
    let api = emu.api_url().to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    create_and_read(&api, dir.path()).await;
    update_and_permissions(&api, dir.path()).await;
    function_tags(&api).await;
    invoke_and_create_a_thing(&emu, dir.path()).await;
    errors_and_timeouts(&api, dir.path()).await;
    event_and_dry_run(&emu, dir.path()).await;
    logs_of_the_function(&api).await;
    logs_written_through_the_cli(&api).await;
    hook_function(&emu, dir.path()).await;
    nodejs_function(&api, dir.path()).await;
    warm_environments(&api).await;
    emu.shutdown().await;
}

/// boto3 invokes one function again and again: its module state (and its init-time boto3
/// client) lives on in a warm environment until a crash or an update replaces it.
async fn warm_environments(api: &str) {
    let args = vec![api.to_string(), ROLE.to_string()];
    let out = common::run_python_async("lambda_warm.py", args).await;
    assert!(out.success, "{}", out.stderr);
    let r = out.json();
    let runs = r["runs"].as_array().expect("runs");
    let first = &runs[0];
    assert_eq!(first["cold"], true, "{r}");
    for (n, run) in runs.iter().enumerate() {
        assert_eq!(run["pid"], first["pid"], "one process: {r}");
        assert_eq!(run["stream"], first["stream"], "one log stream: {r}");
        assert_eq!(run["inits"], 1, "{r}");
        assert_eq!(run["calls"], n + 1, "{r}");
        assert_eq!(run["cold"], n == 0, "{r}");
    }
    assert_eq!(r["crash"]["error"], "Unhandled", "{r}");
    assert_ne!(r["after_crash"]["pid"], first["pid"], "{r}");
    assert_eq!(r["after_crash"]["calls"], 1, "{r}");
    assert_eq!(r["after_crash"]["cold"], true, "{r}");
    assert_ne!(r["after_update"]["pid"], r["after_crash"]["pid"], "{r}");
    assert_eq!(r["after_update"]["calls"], 1, "{r}");
    // A resource-policy change keeps the environment, as in AWS.
    assert_eq!(
        r["after_permission"]["pid"], r["after_update"]["pid"],
        "{r}"
    );
    assert_eq!(r["after_permission"]["calls"], 2, "{r}");
}

async fn create_and_read(api: &str, dir: &Path) {
    let created = create_function(api, dir, "otameshi", "lambda_app.handler").await;
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:otameshi";
    assert_eq!(created["FunctionArn"], arn);
    assert_eq!(created["State"], "Active");
    assert_eq!(created["Environment"]["Variables"]["GREETING"], "hello");
    let zip = ["--zip-file", &package(dir)];
    let line = format!("lambda create-function --function-name otameshi --runtime python3.12 --handler h.h --role {ROLE}");
    assert_eq!(aws_err(api, &line, &zip).await, "ResourceConflictException");
    let line = format!(
        "lambda create-function --function-name java --runtime java21 --handler i.h --role {ROLE}"
    );
    assert_eq!(
        aws_err(api, &line, &zip).await,
        "InvalidParameterValueException"
    );
    let got = aws_ok(api, "lambda get-function --function-name", &[arn]).await;
    assert_eq!(got["Configuration"]["Handler"], "lambda_app.handler");
    let listed = aws_ok(api, "lambda list-functions", &[]).await;
    assert_eq!(listed["Functions"].as_array().map(Vec::len), Some(1));
    let missing = aws_err(api, "lambda get-function --function-name nope", &[]).await;
    assert_eq!(missing, "ResourceNotFoundException");
}

async fn function_tags(api: &str) {
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:otameshi";
    let line = "lambda tag-resource --tags team=iot,env=beta --resource";
    aws_ok(api, line, &[arn]).await;
    aws_ok(
        api,
        "lambda untag-resource --tag-keys env --resource",
        &[arn],
    )
    .await;
    let listed = aws_ok(api, "lambda list-tags --resource", &[arn]).await;
    assert_eq!(listed["Tags"], json!({"team": "iot"}), "{listed}");
    let got = aws_ok(api, "lambda get-function --function-name otameshi", &[]).await;
    assert_eq!(got["Tags"], json!({"team": "iot"}), "{got}");
    let missing = "arn:aws:lambda:us-east-1:123456789012:function:nope";
    let err = aws_err(api, "lambda list-tags --resource", &[missing]).await;
    assert_eq!(err, "ResourceNotFoundException");
}

async fn update_and_permissions(api: &str, dir: &Path) {
    let before = aws_ok(
        api,
        "lambda get-function-configuration --function-name otameshi",
        &[],
    )
    .await;
    let line = "lambda update-function-configuration --function-name otameshi --timeout 1";
    let updated = aws_ok(api, line, &[]).await;
    assert_eq!(updated["Timeout"], 1);
    assert_ne!(updated["RevisionId"], before["RevisionId"]);
    let line = "lambda update-function-code --function-name otameshi";
    aws_ok(api, line, &["--zip-file", &package(dir)]).await;
    let line = "lambda add-permission --function-name otameshi --statement-id iot-rule \
                --action lambda:InvokeFunction --principal iot.amazonaws.com \
                --source-arn arn:aws:iot:us-east-1:123456789012:rule/r";
    let added = aws_ok(api, line, &[]).await;
    let statement: Value = serde_json::from_str(added["Statement"].as_str().unwrap()).unwrap();
    assert_eq!(
        statement["Principal"],
        json!({"Service": "iot.amazonaws.com"})
    );
    let policy = aws_ok(api, "lambda get-policy --function-name otameshi", &[]).await;
    assert!(policy["Policy"]
        .as_str()
        .unwrap()
        .contains("\"Sid\":\"iot-rule\""));
    let line = "lambda remove-permission --function-name otameshi --statement-id iot-rule";
    aws_ok(api, line, &[]).await;
    let gone = aws_err(api, "lambda get-policy --function-name otameshi", &[]).await;
    assert_eq!(gone, "ResourceNotFoundException");
}

async fn invoke_and_create_a_thing(emu: &TestEmulator, dir: &Path) {
    let payload = json!({"action": "create_thing", "thingName": "from-lambda"});
    let (reply, body) = invoke(
        emu.api_url(),
        dir,
        "otameshi",
        payload,
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
}

async fn errors_and_timeouts(api: &str, dir: &Path) {
    let (reply, body) = invoke(api, dir, "otameshi", json!({"action": "fail"}), &[]).await;
    assert_eq!(reply["FunctionError"], "Unhandled", "{reply}");
    assert_eq!(body["errorType"], "RuntimeError");
    assert_eq!(body["errorMessage"], "the handler failed on purpose");
    assert!(
        body["stackTrace"].as_array().is_some_and(|s| !s.is_empty()),
        "{body}"
    );
    let sleep = json!({"action": "sleep", "seconds": 30});
    let (reply, body) = invoke(api, dir, "otameshi", sleep, &[]).await;
    assert_eq!(reply["FunctionError"], "Unhandled", "{reply}");
    assert_eq!(body["errorType"], "Sandbox.Timedout", "{body}");
    let message = body["errorMessage"].as_str().unwrap();
    assert!(
        message.ends_with("Task timed out after 1.00 seconds"),
        "{message}"
    );
    let line = "lambda invoke --function-name otameshi --payload not-json";
    let out = dir.join("bad.json").display().to_string();
    assert_eq!(
        aws_err(api, line, &[&out]).await,
        "InvalidRequestContentException"
    );
}

async fn event_and_dry_run(emu: &TestEmulator, dir: &Path) {
    let api = emu.api_url();
    let event = ["--invocation-type", "Event"];
    let (reply, _) = invoke(api, dir, "otameshi", json!({"action": "event"}), &event).await;
    assert_eq!(reply["StatusCode"], 202);
    let dry = ["--invocation-type", "DryRun"];
    let (reply, _) = invoke(api, dir, "otameshi", json!({}), &dry).await;
    assert_eq!(reply["StatusCode"], 204);
    // The Event invocation runs in the background: wait until its line is in the log.
    let query = iot_emulator::logs::FilterQuery {
        log_group_name: Some(GROUP.into()),
        ..Default::default()
    };
    let logs = &emu.running.emulator.logs;
    for _ in 0..400 {
        let page = logs.filter_log_events(&query).expect("filter");
        let wanted = "event: {\"action\": \"event\"}";
        if page.events.iter().any(|e| e.message == wanted) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the Event invocation never logged");
}

fn messages(page: &Value) -> Vec<String> {
    let events = page["events"].as_array().expect("events");
    events
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

async fn logs_of_the_function(api: &str) {
    let found = aws_ok(
        api,
        "logs filter-log-events --log-group-name",
        &[GROUP, "--filter-pattern", "\"from-lambda\""],
    )
    .await;
    let found = messages(&found);
    assert!(
        found
            .iter()
            .any(|m| m.starts_with("event: {\"action\": \"create_thing\"")),
        "{found:?}"
    );
    let all = messages(&aws_ok(api, "logs filter-log-events --log-group-name", &[GROUP]).await);
    assert!(
        all.iter()
            .any(|m| m.contains("Task timed out after 1.00 seconds")),
        "{all:?}"
    );
    let error = "[ERROR] RuntimeError: the handler failed on purpose";
    assert!(all.iter().any(|m| m.starts_with(error)), "{all:?}");
    let line = "logs describe-log-streams --order-by LastEventTime --descending --log-group-name";
    let streams = aws_ok(api, line, &[GROUP]).await;
    let stream = streams["logStreams"][0]["logStreamName"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(stream.contains("/[$LATEST]"), "{stream}");
    let line = "logs get-log-events --start-from-head --log-group-name";
    let events = aws_ok(api, line, &[GROUP, "--log-stream-name", &stream]).await;
    assert!(
        messages(&events)[0].starts_with("START RequestId: "),
        "{events}"
    );
    let groups = aws_ok(
        api,
        "logs describe-log-groups --log-group-name-prefix /aws/lambda/",
        &[],
    )
    .await;
    assert_eq!(groups["logGroups"][0]["logGroupName"], GROUP);
    let args = vec![api.to_string(), GROUP.to_string()];
    let tail = common::run_python_async("logs_tail.py", args).await;
    assert!(tail.success, "{}", tail.stderr);
    assert!(
        tail.stdout.contains("event: {\"action\": \"create_thing\""),
        "{}",
        tail.stdout
    );
    // `aws logs tail` itself: aws CLI v2 (Debian's package, from setup-test-env).
    let tail = lambda_support::aws_v2(api, &["logs", "tail", GROUP, "--since", "1h"]).await;
    assert!(tail.success, "{}", tail.stderr);
    assert!(
        tail.stdout.contains("event: {\"action\": \"create_thing\""),
        "{}",
        tail.stdout
    );
}

async fn logs_written_through_the_cli(api: &str) {
    let unsupported = aws_err(api, "logs describe-metric-filters", &[]).await;
    assert_eq!(unsupported, "NotImplementedException");
    aws_ok(api, "logs create-log-group --log-group-name app", &[]).await;
    aws_ok(
        api,
        "logs create-log-stream --log-group-name app --log-stream-name s",
        &[],
    )
    .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let events = format!("timestamp={},message=written-by-cli", now.as_millis());
    let line = "logs put-log-events --log-group-name app --log-stream-name s --log-events";
    aws_ok(api, line, &[&events]).await;
    let read = aws_ok(api, "logs filter-log-events --log-group-name app", &[]).await;
    assert_eq!(messages(&read), ["written-by-cli"]);
    let missing = aws_err(api, "logs describe-log-streams --log-group-name nope", &[]).await;
    assert_eq!(missing, "ResourceNotFoundException");
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
    let request = |client: &str, serial: &str| {
        json!({"proto": "mqtt5", "client_id": client, "template": "OtameshiClaimTemplate",
               "parameters": {"SerialNumber": serial}})
    };
    let allowed = provision(emu, &claim, request("Claim_ok", "ok-1")).await;
    assert_eq!(
        allowed["registered"]["thingName"], "Fleet_Provisioned_ok-1",
        "{allowed}"
    );
    let denied = provision(emu, &claim, request("Claim_deny", "deny-1")).await;
    assert_eq!(denied["rejected"]["statusCode"], 403, "{denied}");
    assert_eq!(denied["rejected"]["errorCode"], "AccessDenied", "{denied}");
    let line = "logs filter-log-events --log-group-name /aws/lambda/OtameshiHook --filter-pattern";
    let hooked = aws_ok(api, line, &["\"hook event\""]).await;
    assert_eq!(messages(&hooked).len(), 2, "{hooked}");
}

/// Node.js is the second runtime: `node` from PATH.
async fn nodejs_function(api: &str, dir: &Path) {
    let zip = lambda_support::zipped(dir, "js/lambda_app.mjs", "index.mjs");
    let line = format!(
        "lambda create-function --function-name node-fn --runtime nodejs20.x --handler index.handler --role {ROLE}"
    );
    aws_ok(api, &line, &["--zip-file", &zip]).await;
    let (reply, body) = invoke(api, dir, "node-fn", json!({"n": 21}), &[]).await;
    assert!(reply.get("FunctionError").is_none(), "{reply} {body}");
    assert_eq!(body["doubled"], 42);
    assert_eq!(body["function"], "node-fn");
    let (reply, body) = invoke(api, dir, "node-fn", json!({"fail": true}), &[]).await;
    assert_eq!(reply["FunctionError"], "Unhandled", "{reply}");
    assert_eq!(body["errorType"], "TypeError", "{body}");
    assert_eq!(body["errorMessage"], "the node handler failed on purpose");
    let line = "logs filter-log-events --log-group-name /aws/lambda/node-fn --filter-pattern";
    let logged = messages(&aws_ok(api, line, &["\"node event\""]).await);
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert!(
        logged[0].contains("\tINFO\tnode event {\"n\":21}"),
        "{logged:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn functions_survive_a_restart_and_never_see_the_users_aws_variables() {
    let data = tempfile::tempdir().expect("data dir");
    let dir = tempfile::tempdir().expect("temp dir");
    let first = lambda_support::spawn_with_user_env(data.path());
    create_function(
        &first.ready.api_url,
        dir.path(),
        "kept",
        "lambda_app.handler",
    )
    .await;
    drop(first);
    let second = lambda_support::spawn_with_user_env(data.path());
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
