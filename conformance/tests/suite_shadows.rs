//! Device shadows over MQTT, as a device sees them: get of a missing shadow (404), update
//! desired and receive the delta, report and see it cleared, the version check, named
//! shadows, delete, and a new shadow continuing the deleted one's version. Every shadow
//! the case makes is deleted by the case itself (deleting a thing keeps its shadows).

use std::collections::BTreeMap;

use conformance::{expect, Case};
use iot_device_client::mqtt::{Connection, Qos};
use serde_json::{json, Value};

/// A policy that lets a thing use its own shadows, as the seeds' device policies do.
fn shadow_policy(case: &Case) -> String {
    let t = &case.target;
    let arn = format!("arn:aws:iot:{}:{}", t.region, t.account_id);
    let thing = "${iot:Connection.Thing.ThingName}";
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iot:Connect", "Resource": format!("{arn}:client/{thing}")},
            {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"],
             "Resource": format!("{arn}:topic/$aws/things/{thing}/shadow/*")},
            {"Effect": "Allow", "Action": "iot:Subscribe",
             "Resource": format!("{arn}:topicfilter/$aws/things/{thing}/shadow/*")},
        ]
    })
    .to_string()
}

/// A thing named after `name`, with a certificate holding the shadow policy (created as
/// `policy_name`), connected as that thing.
async fn shadow_device(case: &mut Case, name: &str, policy_name: &str) -> (String, Connection) {
    let thing = case.name(name);
    let cert = case.create_certificate().await;
    let policy = shadow_policy(case);
    let policy = case.create_policy(policy_name, &policy).await;
    case.attach_policy(&policy, &cert.certificate_arn).await;
    case.create_thing_with(&thing, &cert.certificate_arn).await;
    let conn = Connection::connect(&case.mqtt(&thing, cert.identity.clone()))
        .await
        .expect("connect");
    (thing, conn)
}

/// Publishes `body` on `prefix/op` and collects one message on each of `replies`
/// (`prefix/<reply>`), in whatever order they come.
async fn request(
    conn: &mut Connection,
    prefix: &str,
    op: &str,
    body: Value,
    replies: &[&str],
) -> BTreeMap<String, Value> {
    let topic = format!("{prefix}/{op}");
    conn.publish(&topic, body.to_string().into_bytes(), Qos::AtLeastOnce)
        .await
        .expect("publish");
    let wanted: Vec<String> = replies.iter().map(|r| format!("{prefix}/{r}")).collect();
    let refs: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let mut got = BTreeMap::new();
    while got.len() < wanted.len() {
        let message = conn
            .recv_on(&refs)
            .await
            .unwrap_or_else(|e| panic!("{topic}: {e}"));
        let doc: Value = serde_json::from_slice(&message.payload).expect("JSON reply");
        let short = message.topic[prefix.len() + 1..].to_string();
        got.insert(short, doc);
    }
    got
}

async fn subscribe_all(conn: &mut Connection, prefix: &str) {
    for filter in [
        "get/+",
        "update/accepted",
        "update/rejected",
        "update/delta",
        "update/documents",
        "delete/+",
    ] {
        conn.subscribe(&format!("{prefix}/{filter}"), Qos::AtLeastOnce)
            .await
            .expect("subscribe");
    }
}

fn is_seconds(doc: &Value, path: &str) {
    let found = expect::select(doc, path);
    let ts = found
        .first()
        .unwrap_or_else(|| panic!("{path} missing: {doc}"));
    let secs = ts
        .as_i64()
        .unwrap_or_else(|| panic!("{path} is not an integer: {doc}"));
    assert!(
        (1_500_000_000..4_000_000_000).contains(&secs),
        "{path} is not epoch seconds: {secs}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn classic_and_named_shadows_over_mqtt() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let (thing, mut conn) = shadow_device(&mut case, "conf-shadow", "ConfShadowPolicy").await;
    let p = format!("$aws/things/{thing}/shadow");
    let n = format!("{p}/name/conf");
    subscribe_all(&mut conn, &p).await;
    subscribe_all(&mut conn, &n).await;

    let got = request(
        &mut conn,
        &p,
        "get",
        json!({"clientToken": "g1"}),
        &["get/rejected"],
    )
    .await;
    let rejected = &got["get/rejected"];
    expect::equals(rejected, "$.code", json!(404));
    expect::equals(
        rejected,
        "$.message",
        json!(format!("No shadow exists with name: '{thing}'")),
    );
    expect::equals(rejected, "$.clientToken", json!("g1"));

    let desired = json!({"color": "red", "lights": {"on": true}});
    let body = json!({"state": {"desired": desired}, "clientToken": "u1"});
    let got = request(
        &mut conn,
        &p,
        "update",
        body,
        &["update/accepted", "update/documents", "update/delta"],
    )
    .await;
    let accepted = &got["update/accepted"];
    expect::equals(accepted, "$.state.desired", desired.clone());
    expect::equals(accepted, "$.version", json!(1));
    expect::equals(accepted, "$.clientToken", json!("u1"));
    is_seconds(accepted, "$.timestamp");
    is_seconds(accepted, "$.metadata.desired.lights.on.timestamp");
    let delta = &got["update/delta"];
    expect::equals(delta, "$.state", desired.clone());
    expect::equals(delta, "$.version", json!(1));
    is_seconds(delta, "$.metadata.color.timestamp");
    let documents = &got["update/documents"];
    assert_eq!(documents["previous"], Value::Null, "{documents}");
    expect::equals(documents, "$.current.state.desired", desired.clone());
    expect::equals(documents, "$.current.version", json!(1));

    let body = json!({"state": {"reported": desired}, "version": 1, "clientToken": "u2"});
    let got = request(
        &mut conn,
        &p,
        "update",
        body,
        &["update/accepted", "update/documents"],
    )
    .await;
    expect::equals(&got["update/accepted"], "$.version", json!(2));
    expect::equals(&got["update/documents"], "$.previous.version", json!(1));
    let got = request(
        &mut conn,
        &p,
        "get",
        json!({"clientToken": "g2"}),
        &["get/accepted"],
    )
    .await;
    let doc = &got["get/accepted"];
    expect::equals(doc, "$.state.reported", desired.clone());
    expect::absent(doc, "$.state.delta");
    expect::equals(doc, "$.version", json!(2));
    is_seconds(doc, "$.metadata.reported.color.timestamp");

    let body = json!({"state": {"reported": {"color": "blue"}}, "version": 1, "clientToken": "u3"});
    let got = request(&mut conn, &p, "update", body, &["update/rejected"]).await;
    expect::equals(&got["update/rejected"], "$.code", json!(409));
    expect::equals(
        &got["update/rejected"],
        "$.message",
        json!("Version conflict"),
    );
    expect::equals(&got["update/rejected"], "$.clientToken", json!("u3"));

    let body = json!({"state": {"desired": {"on": true}}, "clientToken": "n1"});
    let got = request(
        &mut conn,
        &n,
        "update",
        body,
        &["update/accepted", "update/delta"],
    )
    .await;
    expect::equals(&got["update/delta"], "$.state", json!({"on": true}));
    expect::equals(&got["update/accepted"], "$.version", json!(1));
    let got = request(
        &mut conn,
        &n,
        "delete",
        json!({"clientToken": "d1"}),
        &["delete/accepted"],
    )
    .await;
    expect::equals(&got["delete/accepted"], "$.version", json!(1));
    expect::equals(&got["delete/accepted"], "$.clientToken", json!("d1"));

    let got = request(&mut conn, &p, "delete", json!({}), &["delete/accepted"]).await;
    expect::equals(&got["delete/accepted"], "$.version", json!(2));
    let body = json!({"state": {"reported": {"color": "green"}}});
    let got = request(&mut conn, &p, "update", body, &["update/accepted"]).await;
    expect::equals(&got["update/accepted"], "$.version", json!(3));
    let got = request(&mut conn, &p, "delete", json!({}), &["delete/accepted"]).await;
    expect::equals(&got["delete/accepted"], "$.version", json!(3));
    conn.disconnect().await;
    case.finish().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_updates_are_rejected_with_aws_codes() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let (thing, mut conn) =
        shadow_device(&mut case, "conf-shadow-bad", "ConfShadowBadPolicy").await;
    let p = format!("$aws/things/{thing}/shadow");
    subscribe_all(&mut conn, &p).await;
    let deep = json!({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}});
    let cases = [
        (
            json!({"clientToken": "b1"}),
            400,
            "Missing required node: state",
        ),
        (
            json!({"clientToken": "b2", "state": 5}),
            400,
            "State node must be an object",
        ),
        (
            json!({"clientToken": "b3", "state": {"desired": 5}}),
            400,
            "Desired node must be an object",
        ),
        (
            json!({"clientToken": "b4", "state": {"desired": deep}}),
            400,
            "JSON contains too many levels of nesting; maximum is 6",
        ),
        (
            json!({"clientToken": "b5", "state": {"reported": {"x": "y".repeat(9000)}}}),
            413,
            "The payload exceeds the maximum size allowed",
        ),
    ];
    for (body, code, message) in cases {
        let token = body["clientToken"].clone();
        let got = request(&mut conn, &p, "update", body, &["update/rejected"]).await;
        let rejected = &got["update/rejected"];
        expect::equals(rejected, "$.code", json!(code));
        expect::equals(rejected, "$.message", json!(message));
        expect::equals(rejected, "$.clientToken", token);
    }
    conn.disconnect().await;
    case.finish().await;
}
