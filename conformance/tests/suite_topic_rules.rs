//! Topic rules: a rule with WHERE, a projection, `topic(n)` and a `${topic(n)}` republish
//! topic fires only for matching messages, as a real subscriber sees it; a disabled rule
//! does nothing; a lambda action runs a Python function with the SELECT output. Against
//! AWS these need `CONFORMANCE_REPUBLISH_ROLE_ARN` and `CONFORMANCE_LAMBDA_ROLE_ARN`.

use aws_sdk_iot::types::{Action, LambdaAction, RepublishAction, TopicRulePayload};
use conformance::{expect, Case};
use iot_device_client::mqtt::{Connection, Qos};
use serde_json::{json, Value};

/// A policy that lets the case's device use every topic under the case's prefix.
fn device_policy(case: &Case) -> String {
    let t = &case.target;
    let arn = |kind: &str| format!("arn:aws:iot:{}:{}:{kind}/*", t.region, t.account_id);
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iot:Connect", "Resource": arn("client")},
            {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"], "Resource": arn("topic")},
            {"Effect": "Allow", "Action": "iot:Subscribe", "Resource": arn("topicfilter")},
        ]
    })
    .to_string()
}

async fn create_rule(case: &mut Case, name: &str, sql: &str, topic: &str, role: &str) {
    let republish = RepublishAction::builder()
        .role_arn(role)
        .topic(topic)
        .qos(1)
        .build()
        .expect("republish");
    create_rule_with(
        case,
        name,
        sql,
        Action::builder().republish(republish).build(),
    )
    .await;
}

async fn create_rule_with(case: &mut Case, name: &str, sql: &str, action: Action) {
    let payload = TopicRulePayload::builder()
        .sql(sql)
        .aws_iot_sql_version("2016-03-23")
        .rule_disabled(false)
        .actions(action)
        .build()
        .expect("payload");
    case.iot
        .create_topic_rule()
        .rule_name(name)
        .topic_rule_payload(payload)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateTopicRule: {e:?}"));
    case.track_topic_rule(name);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_republish_rule_fires_only_for_matching_messages() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let Some(role) = case.republish_role_arn() else {
        return case.finish().await;
    };
    let root = case.name("conf_rules");
    let rule = case.name("conf_republish").replace('-', "_");
    let sql = format!(
        "SELECT temperature, topic(3) AS device FROM '{root}/telemetry/+' WHERE temperature > 30"
    );
    create_rule(
        &mut case,
        &rule,
        &sql,
        &format!("{root}/alerts/${{topic(3)}}"),
        &role,
    )
    .await;

    let cert = case.create_certificate().await;
    let policy = device_policy(&case);
    let policy = case.create_policy("ConfRulesPolicy", &policy).await;
    case.attach_policy(&policy, &cert.certificate_arn).await;
    let mut conn = Connection::connect(&case.mqtt(&case.name("rules-dev"), cert.identity.clone()))
        .await
        .expect("connect");
    conn.subscribe(&format!("{root}/alerts/#"), Qos::AtLeastOnce)
        .await
        .expect("subscribe");
    for (temperature, marker) in [(20, "cold"), (35, "hot")] {
        let body = json!({"temperature": temperature, "marker": marker}).to_string();
        let topic = format!("{root}/telemetry/dev-{marker}");
        conn.publish(&topic, body.into_bytes(), Qos::AtLeastOnce)
            .await
            .expect("publish");
    }
    let alert = format!("{root}/alerts/dev-hot");
    let message = conn
        .recv_on(&[&alert, &format!("{root}/alerts/dev-cold")])
        .await
        .expect("an alert");
    assert_eq!(message.topic, alert, "only the hot reading matches");
    let doc: Value = serde_json::from_slice(&message.payload).expect("JSON");
    expect::equals(&doc, "$.temperature", json!(35));
    expect::equals(&doc, "$.device", json!("dev-hot"));
    expect::absent(&doc, "$.marker");

    // Disabled, the rule republishes nothing: the next message seen is a marker sent
    // straight to the alerts topic after the reading.
    case.iot
        .disable_topic_rule()
        .rule_name(&rule)
        .send()
        .await
        .expect("DisableTopicRule");
    let reading = json!({"temperature": 99}).to_string();
    conn.publish(
        &format!("{root}/telemetry/dev-hot"),
        reading.into_bytes(),
        Qos::AtLeastOnce,
    )
    .await
    .expect("publish");
    let marker = format!("{root}/alerts/marker");
    conn.publish(&marker, b"{}".to_vec(), Qos::AtLeastOnce)
        .await
        .expect("publish");
    let next = conn.recv().await.expect("the marker");
    assert_eq!(next.topic, marker, "a disabled rule must not republish");
    conn.disconnect().await;
    case.finish().await;
}

/// The function: publishes what it got, under `seen`, to `OUT_TOPIC` through iot-data
/// (the account's Data-ATS endpoint on AWS; the emulator's API through
/// `AWS_ENDPOINT_URL` locally).
const FORWARDER: &str = r#"
import json
import os

import boto3


def handler(event, context):
    client = boto3.client("iot-data", endpoint_url=os.environ.get("DATA_ENDPOINT") or None)
    client.publish(topic=os.environ["OUT_TOPIC"], qos=1, payload=json.dumps({"seen": event}))
    return {"forwarded": True}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_lambda_rule_runs_the_function_with_the_select_output() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let root = case.name("conf_lambda");
    let out = format!("{root}/out");
    let endpoint = match case.target.kind {
        conformance::TargetKind::Aws => format!(
            "https://{}",
            case.target.mqtt_host.clone().unwrap_or_default()
        ),
        _ => String::new(),
    };
    let env = [
        ("OUT_TOPIC", out.as_str()),
        ("DATA_ENDPOINT", endpoint.as_str()),
    ];
    let Some(function) = case
        .create_function("conf_forwarder", FORWARDER, &env)
        .await
    else {
        return case.finish().await;
    };
    let rule = case.name("conf_lambda_rule").replace('-', "_");
    let sql = format!("SELECT reading, topic(2) AS source FROM '{root}/+' WHERE reading >= 10");
    let action = Action::builder()
        .lambda(
            LambdaAction::builder()
                .function_arn(function)
                .build()
                .expect("lambda"),
        )
        .build();
    create_rule_with(&mut case, &rule, &sql, action).await;

    let cert = case.create_certificate().await;
    let policy = device_policy(&case);
    let policy = case.create_policy("ConfLambdaPolicy", &policy).await;
    case.attach_policy(&policy, &cert.certificate_arn).await;
    let mut conn = Connection::connect(&case.mqtt(&case.name("lambda-dev"), cert.identity.clone()))
        .await
        .expect("connect");
    // The function's first run starts an interpreter: allow it time.
    conn.set_timeout(std::time::Duration::from_secs(30));
    conn.subscribe(&out, Qos::AtLeastOnce)
        .await
        .expect("subscribe");
    for reading in [3, 12] {
        let body = json!({"reading": reading, "extra": "dropped"}).to_string();
        conn.publish(&format!("{root}/in"), body.into_bytes(), Qos::AtLeastOnce)
            .await
            .expect("publish");
    }
    let message = conn.recv_on(&[&out]).await.expect("the function's message");
    let doc: Value = serde_json::from_slice(&message.payload).expect("JSON");
    expect::equals(&doc, "$.seen.reading", json!(12));
    expect::equals(&doc, "$.seen.source", json!("in"));
    expect::absent(&doc, "$.seen.extra");
    conn.disconnect().await;
    case.finish().await;
}
