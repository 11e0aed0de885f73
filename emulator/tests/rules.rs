//! Topic rules with real clients, all against one shared emulator: the control plane
//! through the aws CLI and boto3, and rules firing on device (mosquitto) and iot-data HTTP
//! publishes, observed by a real MQTT subscriber or a local HTTP listener.
//!
//! Each test uses its own rule names and topics, so they run side by side.

mod broker_support;
mod common;
mod rules_support;

use broker_support::{device, run, text};
use common::run_python_async;
use iot_emulator::registry::certificate::CertStatus;
use rules_support::{
    aws, confirm, create_rule, device_publish, http_publish, listener, received, shared,
    subscriber, RecordingInvoker, ROLE,
};
use serde_json::{json, Value};

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
    assert_eq!(r["destination_status"], "IN_PROGRESS");
    assert_eq!(
        r["confirmation_keys"],
        json!(["arn", "confirmationToken", "enableUrl", "messageType"])
    );
    assert_eq!(r["confirmation_arn"], true);
    assert_eq!(r["early_enable"], "InvalidRequestException");
    assert_eq!(r["destination_confirmed"], "ENABLED");
    assert_eq!(r["destination_after_update"], "DISABLED");
    assert_eq!(r["reconfirm_new_token"], true);
    assert_eq!(r["enabled_by_url"], "ENABLED");
    assert_eq!(r["bad_token"], "InvalidRequestException");
    assert_eq!(r["https_destination"], json!(["ERROR", true]));
    assert_eq!(r["destination_listed"], true);
    assert_eq!(r["destination_deleted"], "UnauthorizedException");
}

#[tokio::test(flavor = "multi_thread")]
async fn republish_fires_for_device_and_http_publishes_and_not_when_disabled() {
    let republish =
        |topic: &str| json!([{"republish": {"roleArn": ROLE, "topic": topic, "qos": 1}}]);
    // Evaluated first (name order): if it fired, its output would arrive first.
    create_rule(
        "rep_a_disabled",
        json!({"sql": "SELECT * FROM 'sensors/+/data'", "ruleDisabled": true,
               "actions": republish("rules/out/disabled")}),
    )
    .await;
    create_rule(
        "rep_b_enabled",
        json!({"sql": "SELECT * FROM 'sensors/+/data'", "actions": republish("rules/out/enabled")}),
    )
    .await;
    let dev = device(shared(), Some(CertStatus::Active)).await;
    let sub = subscriber(&dev, "rep-sub", &["rules/out/#"], 3).await;
    device_publish(&dev, "mqttv311", "sensors/s1/data", r#"{"temp":21}"#).await;
    device_publish(&dev, "5", "sensors/s2/data", r#"{"temp":22}"#).await;
    // Not selected by the filter: nothing comes of it.
    device_publish(&dev, "5", "sensors/s2/other", r#"{"temp":0}"#).await;
    http_publish("sensors/s3/data", r#"{"temp":23}"#).await;
    assert_eq!(
        received(sub).await,
        vec![
            r#"rules/out/enabled {"temp":21}"#,
            r#"rules/out/enabled {"temp":22}"#,
            r#"rules/out/enabled {"temp":23}"#,
        ]
    );
    // Enabled again, it fires.
    let out = aws(&["enable-topic-rule", "--rule-name", "rep_a_disabled"]).await;
    assert!(out.success, "{}", out.stderr);
    let sub = subscriber(&dev, "rep-sub-2", &["rules/out/#"], 2).await;
    http_publish("sensors/s4/data", "not json").await;
    let mut got = received(sub).await;
    got.sort();
    assert_eq!(
        got,
        vec!["rules/out/disabled not json", "rules/out/enabled not json"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn basic_ingest_reaches_only_the_named_rule() {
    let republish = json!([{"republish": {"roleArn": ROLE, "topic": "rules/ingested", "qos": 1}}]);
    create_rule(
        "ingest_rule",
        json!({"sql": "SELECT * FROM 'ingest/not/used'", "actions": republish}),
    )
    .await;
    create_rule(
        "ingest_off",
        json!({"sql": "SELECT * FROM 'ingest/not/used'", "ruleDisabled": true,
               "actions": [{"republish": {"roleArn": ROLE, "topic": "rules/ingested_off"}}]}),
    )
    .await;
    let dev = device(shared(), Some(CertStatus::Active)).await;
    let filters = [
        "rules/ingested",
        "rules/ingested_off",
        "$aws/rules/#",
        "factory/#",
    ];
    let sub = subscriber(&dev, "ingest-sub", &filters, 2).await;
    // Dropped: no such rule, a disabled rule. Never routed to subscribers either.
    device_publish(&dev, "5", "$aws/rules/no_such_rule/factory/a", "lost").await;
    device_publish(&dev, "5", "$aws/rules/ingest_off/factory/a", "off").await;
    device_publish(&dev, "mqttv311", "$aws/rules/ingest_rule/factory/a", "one").await;
    http_publish("$aws/rules/ingest_rule/factory/b", "two").await;
    assert_eq!(
        received(sub).await,
        vec!["rules/ingested one", "rules/ingested two"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn http_action_posts_to_a_local_listener() {
    let (addr, mut requests) = listener(200).await;
    let url = format!("http://{addr}/ingest?src=rule");
    create_rule(
        "http_rule",
        json!({"sql": "SELECT * FROM 'hooks/+/ok'",
               "actions": [{"http": {"url": url, "headers": [{"key": "x-test", "value": "static"}]}}]}),
    )
    .await;
    // The rule made the URL's destination; its owner confirms it before data flows.
    confirm(&mut requests).await;
    http_publish("hooks/h1/ok", r#"{"level":3}"#).await;
    let request = requests.recv().await.expect("a POST");
    assert!(
        request.head.starts_with("POST /ingest?src=rule HTTP/1.1"),
        "{}",
        request.head
    );
    assert_eq!(request.header("x-test").as_deref(), Some("static"));
    assert_eq!(
        request.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(request.body, br#"{"level":3}"#);
    // A payload that is not JSON goes as it is, as octets.
    let dev = device(shared(), Some(CertStatus::Active)).await;
    device_publish(&dev, "5", "hooks/h2/ok", "raw-bytes").await;
    let request = requests.recv().await.expect("a second POST");
    assert_eq!(
        request.header("content-type").as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(request.body, b"raw-bytes");
}

#[tokio::test(flavor = "multi_thread")]
async fn error_action_gets_the_error_document_when_http_fails() {
    let (addr, mut requests) = listener(400).await;
    let url = format!("http://{addr}/refuses");
    create_rule(
        "http_fail_rule",
        json!({"sql": "SELECT * FROM 'hooks/+/fail'",
               "actions": [{"http": {"url": url}}],
               "errorAction": {"republish": {"roleArn": ROLE, "topic": "rules/errors/http", "qos": 1}}}),
    )
    .await;
    confirm(&mut requests).await;
    let dev = device(shared(), Some(CertStatus::Active)).await;
    let sub = subscriber(&dev, "error-sub", &["rules/errors/http"], 1).await;
    device_publish(&dev, "mqttv311", "hooks/h1/fail", r#"{"x":1}"#).await;
    assert!(requests.recv().await.is_some(), "the action tried");
    let lines = received(sub).await;
    let document = lines[0]
        .strip_prefix("rules/errors/http ")
        .expect("error topic");
    let document: Value = serde_json::from_str(document).expect("JSON error document");
    assert_eq!(document["ruleName"], "http_fail_rule");
    assert_eq!(document["topic"], "hooks/h1/fail");
    assert_eq!(document["clientId"], "pub-hooks-h1-fail");
    assert_eq!(document["base64OriginalPayload"], "eyJ4IjoxfQ==");
    assert!(document["cloudwatchTraceId"]
        .as_str()
        .is_some_and(|t| t.len() == 36));
    let failure = &document["failures"][0];
    assert_eq!(failure["failedAction"], "HttpAction");
    assert_eq!(failure["failedResource"], url);
    assert!(
        failure["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("400")),
        "{failure}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disabled_destination_stops_its_http_actions() {
    let (addr, mut requests) = listener(200).await;
    let config = json!({"httpUrlConfiguration": {"confirmationUrl": format!("http://{addr}/")}});
    let created = aws(&[
        "create-topic-rule-destination",
        "--destination-configuration",
        &config.to_string(),
    ])
    .await
    .json();
    let arn = created["topicRuleDestination"]["arn"]
        .as_str()
        .expect("arn");
    assert_eq!(created["topicRuleDestination"]["status"], "IN_PROGRESS");
    confirm(&mut requests).await;
    let out = aws(&[
        "update-topic-rule-destination",
        "--arn",
        arn,
        "--status",
        "DISABLED",
    ])
    .await;
    assert!(out.success, "{}", out.stderr);
    create_rule(
        "http_disabled_dest",
        json!({"sql": "SELECT * FROM 'hooks/+/dest'",
               "actions": [{"http": {"url": format!("http://{addr}/in")}}],
               "errorAction": {"republish": {"roleArn": ROLE, "topic": "rules/errors/dest"}}}),
    )
    .await;
    let dev = device(shared(), Some(CertStatus::Active)).await;
    let sub = subscriber(&dev, "dest-sub", &["rules/errors/dest"], 1).await;
    http_publish("hooks/h1/dest", "{}").await;
    let lines = received(sub).await;
    let document: Value =
        serde_json::from_str(lines[0].strip_prefix("rules/errors/dest ").expect("topic"))
            .expect("JSON");
    let message = document["failures"][0]["errorMessage"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains(arn) && message.contains("DISABLED"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_actions_go_through_the_installed_invoker() {
    let (tx, mut invoked) = tokio::sync::mpsc::unbounded_channel();
    shared()
        .rules
        .install_function_invoker(std::sync::Arc::new(RecordingInvoker(tx)));
    let function = "arn:aws:lambda:us-east-1:123456789012:function:rules-fn";
    create_rule(
        "lambda_rule",
        json!({"sql": "SELECT * FROM 'lambda/+/in'",
               "actions": [{"lambda": {"functionArn": function}},
                           {"lambda": {"functionArn": format!("{function}-missing")}}],
               "errorAction": {"republish": {"roleArn": ROLE, "topic": "rules/errors/lambda"}}}),
    )
    .await;
    let dev = device(shared(), Some(CertStatus::Active)).await;
    let sub = subscriber(&dev, "lambda-sub", &["rules/errors/lambda"], 1).await;
    http_publish("lambda/l1/in", r#"{"event":1}"#).await;
    let (arn, payload) = invoked.recv().await.expect("an invocation");
    assert_eq!(
        (arn.as_str(), payload.as_slice()),
        (function, &br#"{"event":1}"#[..])
    );
    let lines = received(sub).await;
    let document = lines[0]
        .strip_prefix("rules/errors/lambda ")
        .expect("error topic");
    let document: Value = serde_json::from_str(document).expect("JSON");
    assert_eq!(document["clientId"], "n/a");
    assert_eq!(document["failures"][0]["failedAction"], "LambdaAction");
    assert_eq!(
        document["failures"][0]["failedResource"],
        format!("{function}-missing")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_brokers_own_presence_events_reach_rules() {
    create_rule(
        "presence_rule",
        json!({"sql": "SELECT * FROM '$aws/events/presence/connected/presence-probe'",
               "actions": [{"republish": {"roleArn": ROLE, "topic": "rules/presence", "qos": 1}}]}),
    )
    .await;
    let dev = device(shared(), Some(CertStatus::Active)).await;
    let sub = subscriber(&dev, "presence-sub", &["rules/presence"], 1).await;
    let args = [
        "-V",
        "5",
        "-i",
        "presence-probe",
        "-t",
        "probe/x",
        "-m",
        "hi",
    ];
    let out = run("mosquitto_pub", shared(), &dev, &args).await;
    assert!(out.status.success(), "{}", text(&out));
    let lines = received(sub).await;
    let event = lines[0].strip_prefix("rules/presence ").expect("topic");
    let event: Value = serde_json::from_str(event).expect("JSON event");
    assert_eq!(event["clientId"], "presence-probe");
    assert_eq!(event["eventType"], "connected");
    assert_eq!(event["principalIdentifier"], dev.id);
}

// The tests below need the full IoT SQL language (WHERE, projections, topic(n) and
// `${...}` templates) from `rules::sql`.

#[tokio::test(flavor = "multi_thread")]
async fn where_projection_and_topic_templates_shape_what_is_republished() {
    create_rule(
        "sql_rule",
        json!({"sql": "SELECT temp, topic(2) AS device FROM 'sql/+/data' WHERE temp > 25",
               "actions": [{"republish": {"roleArn": ROLE, "topic": "sqlout/${topic(2)}", "qos": 1}}]}),
    )
    .await;
    create_rule(
        "sql_quotes",
        json!({"sql": "SELECT * FROM 'sqlq/+' WHERE state = \"on\"",
               "actions": [{"republish": {"roleArn": ROLE, "topic": "sqlout/quoted/${topic(2)}"}}]}),
    )
    .await;
    create_rule(
        "sql_ingest",
        json!({"sql": "SELECT * FROM 'sql/ingest/unused'",
               "actions": [{"republish": {"roleArn": ROLE, "topic": "sqlout/ingested/${topic()}"}}]}),
    )
    .await;
    let dev = device(shared(), Some(CertStatus::Active)).await;
    let sub = subscriber(&dev, "sql-sub", &["sqlout/#"], 4).await;
    device_publish(&dev, "5", "sql/d1/data", r#"{"temp":20}"#).await;
    device_publish(&dev, "mqttv311", "sql/d2/data", r#"{"temp":30,"other":1}"#).await;
    device_publish(&dev, "5", "sql/d3/data", r#"{"humidity":1}"#).await;
    http_publish("sql/d4/data", r#"{"temp":26}"#).await;
    http_publish("sqlq/off", r#"{"state":"off"}"#).await;
    http_publish("sqlq/lamp", r#"{"state":"on"}"#).await;
    device_publish(&dev, "5", "$aws/rules/sql_ingest/line/7", r#"{"n":7}"#).await;
    assert_eq!(
        received(sub).await,
        vec![
            r#"sqlout/d2 {"temp":30,"device":"d2"}"#,
            r#"sqlout/d4 {"temp":26,"device":"d4"}"#,
            r#"sqlout/quoted/lamp {"state":"on"}"#,
            r#"sqlout/ingested/line/7 {"n":7}"#,
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn http_header_values_take_substitutions() {
    let (addr, mut requests) = listener(200).await;
    create_rule(
        "http_template_rule",
        json!({"sql": "SELECT level FROM 'hooks/+/tpl'",
               "actions": [{"http": {"url": format!("http://{addr}/d/${{topic(2)}}"),
                                     "confirmationUrl": format!("http://{addr}/d/"),
                                     "headers": [{"key": "x-device", "value": "${topic(2)}"}]}}]}),
    )
    .await;
    confirm(&mut requests).await;
    let templated = aws(&[
        "create-topic-rule",
        "--rule-name",
        "http_template_unconfirmable",
        "--topic-rule-payload",
        &json!({"sql": "SELECT * FROM 'x'",
                "actions": [{"http": {"url": format!("http://{addr}/${{topic()}}")}}]})
        .to_string(),
    ])
    .await;
    assert_eq!(
        templated.exception().as_deref(),
        Some("InvalidRequestException")
    );
    http_publish("hooks/dev9/tpl", r#"{"level":3,"noise":true}"#).await;
    let request = requests.recv().await.expect("a POST");
    assert!(
        request.head.starts_with("POST /d/dev9 HTTP/1.1"),
        "{}",
        request.head
    );
    assert_eq!(request.header("x-device").as_deref(), Some("dev9"));
    assert_eq!(request.body, br#"{"level":3}"#);
}

#[tokio::test(flavor = "multi_thread")]
async fn principal_is_the_certificate_or_the_sigv4_caller() {
    create_rule(
        "principal_rule",
        json!({"sql": "SELECT principal() AS p, clientid() AS c FROM 'principal/+/in'",
               "actions": [{"republish": {"roleArn": ROLE, "topic": "rules/principal/out", "qos": 1}}]}),
    )
    .await;
    let dev = device(shared(), Some(CertStatus::Active)).await;
    let sub = subscriber(&dev, "principal-sub", &["rules/principal/out"], 2).await;
    device_publish(&dev, "5", "principal/dev/in", "{}").await;
    let url = shared().ready.api_url.clone();
    let args = vec![url, "principal/http/in".to_string(), "{}".to_string()];
    let out = run_python_async("rules_principal.py", args).await;
    assert!(out.success, "{}", out.stderr);
    let got: Vec<Value> = received(sub)
        .await
        .iter()
        .map(|l| serde_json::from_str(l.trim_start_matches("rules/principal/out ")).expect("JSON"))
        .collect();
    let certificate = got[0]["p"].as_str().expect("a certificate id");
    assert_eq!(certificate.len(), 64, "{got:?}");
    assert_eq!(got[0]["c"], "pub-principal-dev-in");
    // The SigV4 caller: the emulator's callers are the account's root, whose id is the
    // account id (what sts get-caller-identity answers as UserId).
    assert_eq!(got[1], json!({"p": "123456789012", "c": "n/a"}), "{got:?}");
}
