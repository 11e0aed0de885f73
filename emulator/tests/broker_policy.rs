//! IoT policies enforced on real clients (mosquitto `-V mqttv311` and `-V 5`), with the
//! policies created and attached through the aws CLI: topic-scoped policies, what a denied
//! client sees, policy changes on the next packet, thing-group inheritance and thing
//! variables, and the policy-escape suite. TestAuthorization / GetEffectivePolicies too.

mod broker_support;
mod common;

use broker_support::{bare_device, run, spawn, text, wait, wait_subscribed, Device};
use common::TestEmulator;
use iot_emulator::registry::certificate::CertStatus;
use serde_json::Value;

/// A policy document from statements, `ARN` standing for `arn:aws:iot:<region>:<account>`.
fn document(emu: &TestEmulator, statements: &str) -> String {
    let account = emu.running.emulator.registry.account();
    let arn = format!("arn:aws:iot:{}:{}", account.region, account.account_id);
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#).replace("ARN", &arn)
}

fn cert_arn(emu: &TestEmulator, dev: &Device) -> String {
    emu.running.emulator.registry.account().cert_arn(&dev.id)
}

/// Creates `name` with `statements` and attaches it to `dev`'s certificate, by CLI.
async fn attach(emu: &TestEmulator, name: &str, statements: &str, dev: &Device) {
    let doc = document(emu, statements);
    emu.aws_ok(&[
        "create-policy",
        "--policy-name",
        name,
        "--policy-document",
        &doc,
    ])
    .await;
    let target = cert_arn(emu, dev);
    emu.aws_ok(&["attach-policy", "--policy-name", name, "--target", &target])
        .await;
}

/// A registered device carrying policy `name` (no other policy).
async fn device_with(emu: &TestEmulator, name: &str, statements: &str) -> Device {
    let dev = bare_device(&emu.running, Some(CertStatus::Active)).await;
    attach(emu, name, statements, &dev).await;
    dev
}

/// Publishes `message` on `topic` (QoS 1) and returns the client's debug output.
async fn publish(
    emu: &TestEmulator,
    dev: &Device,
    version: &str,
    id: &str,
    topic: &str,
    message: &str,
) -> String {
    let args = [
        "-V", version, "-d", "-i", id, "-q", "1", "-t", topic, "-m", message,
    ];
    text(&run("mosquitto_pub", &emu.running, dev, &args).await)
}

const TOPIC_SCOPED: &str = r#"
    {"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/dev-*"},
    {"Effect":"Allow","Action":["iot:Publish","iot:Receive"],"Resource":"ARN:topic/dev/*"},
    {"Effect":"Allow","Action":"iot:Subscribe","Resource":"ARN:topicfilter/dev/*"}"#;

#[tokio::test(flavor = "multi_thread")]
async fn topic_scoped_policy_allows_its_topics_in_both_versions() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device_with(&emu, "scoped", TOPIC_SCOPED).await;
    for (version, sub_id) in [("mqttv311", "dev-sub3"), ("5", "dev-sub5")] {
        let topic = format!("dev/{sub_id}");
        let args = [
            "-V", version, "-i", sub_id, "-t", &topic, "-q", "1", "-C", "1", "-W", "20", "-v",
        ];
        let sub = spawn("mosquitto_sub", r, &dev, &args);
        wait_subscribed(r, sub_id, &topic).await;
        let printed = publish(&emu, &dev, version, "dev-pub", &topic, "hi").await;
        assert!(printed.contains("received PUBACK"), "{printed}");
        let out = wait(sub).await;
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("{topic} hi")
        );
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn denied_connect_publish_and_subscribe_as_aws_does() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device_with(&emu, "scoped", TOPIC_SCOPED).await;
    // CONNECT: MQTT 3.1.1 is hung up on without a CONNACK; MQTT 5 gets CONNACK 0x87.
    let v3 = publish(&emu, &dev, "mqttv311", "intruder", "dev/x", "m").await;
    assert!(!v3.contains("received CONNACK"), "{v3}");
    let v5 = publish(&emu, &dev, "5", "intruder", "dev/x", "m").await;
    assert!(v5.contains("received CONNACK (135)"), "{v5}");
    // PUBLISH: MQTT 3.1.1 closes the connection; MQTT 5 answers PUBACK 0x87.
    let v3 = publish(&emu, &dev, "mqttv311", "dev-p3", "other/x", "m").await;
    assert!(v3.contains("received CONNACK (0)"), "{v3}");
    assert!(!v3.contains("received PUBACK"), "{v3}");
    let v5 = publish(&emu, &dev, "5", "dev-p5", "other/x", "m").await;
    assert!(v5.contains("received PUBACK (Mid: 1, RC:135)"), "{v5}");
    // SUBSCRIBE: MQTT 3.1.1 closes the connection; MQTT 5 gets SUBACK 0x87 for the filter.
    let args = [
        "-V", "mqttv311", "-d", "-i", "dev-s3", "-t", "other/#", "-W", "5",
    ];
    let v3 = text(&run("mosquitto_sub", r, &dev, &args).await);
    assert!(v3.contains("received CONNACK (0)"), "{v3}");
    assert!(!v3.contains("received SUBACK"), "{v3}");
    let args = [
        "-V", "5", "-d", "-i", "dev-s5", "-t", "dev/ok", "-t", "other/#", "-W", "3",
    ];
    let v5 = text(&run("mosquitto_sub", r, &dev, &args).await);
    assert!(v5.contains("Subscribed (mid: 1): 0, 135"), "{v5}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_policy_change_applies_to_the_next_packet() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let all = r#"{"Effect":"Allow","Action":"iot:*","Resource":"*"}"#;
    let dev = device_with(&emu, "changing", all).await;
    let args = [
        "-V", "5", "-i", "watcher", "-t", "t/#", "-q", "1", "-C", "2", "-W", "20", "-v",
    ];
    let sub = spawn("mosquitto_sub", r, &dev, &args);
    wait_subscribed(r, "watcher", "t/#").await;
    publish(&emu, &dev, "5", "p1", "t/first", "1").await;
    // Version 2 lets the watcher receive only t/ok; the session is not reconnected.
    let narrowed = document(
        &emu,
        r#"{"Effect":"Allow","Action":["iot:Connect","iot:Publish","iot:Subscribe"],"Resource":"*"},
           {"Effect":"Allow","Action":"iot:Receive","Resource":"ARN:topic/t/ok"}"#,
    );
    let args = [
        "create-policy-version",
        "--policy-name",
        "changing",
        "--policy-document",
        &narrowed,
        "--set-as-default",
    ];
    emu.aws_ok(&args).await;
    publish(&emu, &dev, "5", "p2", "t/blocked", "2").await;
    publish(&emu, &dev, "5", "p3", "t/ok", "3").await;
    let out = wait(sub).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "t/first 1\nt/ok 3",
        "{}",
        text(&out)
    );
    // Detaching the policy leaves the certificate with nothing: CONNECT is refused.
    let target = cert_arn(&emu, &dev);
    emu.aws_ok(&[
        "detach-policy",
        "--policy-name",
        "changing",
        "--target",
        &target,
    ])
    .await;
    let v5 = publish(&emu, &dev, "5", "p4", "t/ok", "4").await;
    assert!(v5.contains("received CONNACK (135)"), "{v5}");
    emu.shutdown().await;
}

/// A connection keeps what it read of the registry between packets; a detach, a new
/// thing and a group membership must each reach the next delivery to that connection.
#[tokio::test(flavor = "multi_thread")]
async fn attachment_and_group_changes_reach_a_connected_client() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let base = r#"{"Effect":"Allow","Action":["iot:Connect","iot:Publish","iot:Subscribe"],"Resource":"*"}"#;
    let dev = device_with(&emu, "base", base).await;
    let receive = r#"{"Effect":"Allow","Action":"iot:Receive","Resource":"ARN:topic/t/*"}"#;
    attach(&emu, "receive", receive, &dev).await;
    let args = [
        "-V", "5", "-i", "watcher", "-t", "t/#", "-q", "1", "-C", "2", "-W", "180", "-v",
    ];
    // A generous -W: a dozen aws CLI calls run while it waits.
    let sub = spawn("mosquitto_sub", r, &dev, &args);
    wait_subscribed(r, "watcher", "t/#").await;
    publish(&emu, &dev, "5", "p1", "t/a", "1").await;
    // Without `receive` the watcher may not receive t/b (nothing else grants it).
    let target = cert_arn(&emu, &dev);
    let detach = [
        "detach-policy",
        "--policy-name",
        "receive",
        "--target",
        &target,
    ];
    emu.aws_ok(&detach).await;
    publish(&emu, &dev, "5", "p2", "t/b", "2").await;
    // `receive` again, through a group of the thing the watcher's client id names.
    for args in [
        &["create-thing", "--thing-name", "watcher"][..],
        &[
            "attach-thing-principal",
            "--thing-name",
            "watcher",
            "--principal",
            &target,
        ],
        &["create-thing-group", "--thing-group-name", "watchers"],
    ] {
        emu.aws_ok(args).await;
    }
    let group = emu
        .aws_ok(&["describe-thing-group", "--thing-group-name", "watchers"])
        .await;
    let group_arn = group["thingGroupArn"].as_str().expect("group ARN");
    emu.aws_ok(&[
        "attach-policy",
        "--policy-name",
        "receive",
        "--target",
        group_arn,
    ])
    .await;
    publish(&emu, &dev, "5", "p3", "t/c", "3").await;
    let add = [
        "add-thing-to-thing-group",
        "--thing-group-name",
        "watchers",
        "--thing-name",
        "watcher",
    ];
    emu.aws_ok(&add).await;
    publish(&emu, &dev, "5", "p4", "t/d", "4").await;
    let out = wait(sub).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "t/a 1\nt/d 4",
        "{}",
        text(&out)
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn parent_group_policy_and_thing_name_variable() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = bare_device(r, Some(CertStatus::Active)).await;
    let target = cert_arn(&emu, &dev);
    emu.aws_ok(&["create-thing", "--thing-name", "sensor-1"])
        .await;
    emu.aws_ok(&[
        "attach-thing-principal",
        "--thing-name",
        "sensor-1",
        "--principal",
        &target,
    ])
    .await;
    emu.aws_ok(&["create-thing-group", "--thing-group-name", "site"])
        .await;
    emu.aws_ok(&[
        "create-thing-group",
        "--thing-group-name",
        "floor",
        "--parent-group-name",
        "site",
    ])
    .await;
    emu.aws_ok(&[
        "add-thing-to-thing-group",
        "--thing-group-name",
        "floor",
        "--thing-name",
        "sensor-1",
    ])
    .await;
    let doc = document(
        &emu,
        r#"{"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/${iot:Connection.Thing.ThingName}",
            "Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"true"}}},
           {"Effect":"Allow","Action":["iot:Publish","iot:Receive"],"Resource":"ARN:topic/things/${iot:Connection.Thing.ThingName}/*"},
           {"Effect":"Allow","Action":"iot:Subscribe","Resource":"ARN:topicfilter/things/${iot:Connection.Thing.ThingName}/*"}"#,
    );
    emu.aws_ok(&[
        "create-policy",
        "--policy-name",
        "site-devices",
        "--policy-document",
        &doc,
    ])
    .await;
    let site = emu
        .aws_ok(&["describe-thing-group", "--thing-group-name", "site"])
        .await;
    let site_arn = site["thingGroupArn"]
        .as_str()
        .expect("group ARN")
        .to_string();
    emu.aws_ok(&[
        "attach-policy",
        "--policy-name",
        "site-devices",
        "--target",
        &site_arn,
    ])
    .await;
    let effective = emu
        .aws_ok(&[
            "get-effective-policies",
            "--principal",
            &target,
            "--thing-name",
            "sensor-1",
        ])
        .await;
    assert_eq!(
        effective["effectivePolicies"][0]["policyName"],
        "site-devices"
    );
    // The thing's own client id connects and uses its topics.
    let args = [
        "-V",
        "5",
        "-i",
        "sensor-1",
        "-t",
        "things/sensor-1/cmd",
        "-C",
        "1",
        "-W",
        "20",
        "-v",
    ];
    let sub = spawn("mosquitto_sub", r, &dev, &args);
    wait_subscribed(r, "sensor-1", "things/sensor-1/cmd").await;
    // Another client id is not associated with the thing: no variable, no group policy.
    let printed = publish(&emu, &dev, "5", "sensor-2", "things/sensor-2/cmd", "x").await;
    assert!(printed.contains("received CONNACK (135)"), "{printed}");
    let operator = device_with(
        &emu,
        "operator",
        r#"{"Effect":"Allow","Action":"iot:*","Resource":"*"}"#,
    )
    .await;
    publish(
        &emu,
        &operator,
        "5",
        "operator",
        "things/sensor-1/cmd",
        "go",
    )
    .await;
    let out = wait(sub).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "things/sensor-1/cmd go"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn test_authorization_through_the_cli() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device_with(&emu, "scoped", TOPIC_SCOPED).await;
    let deny = r#"{"Effect":"Deny","Action":"iot:Publish","Resource":"ARN:topic/dev/secret"}"#;
    attach(&emu, "no-secret", deny, &dev).await;
    let target = cert_arn(&emu, &dev);
    let account = r.emulator.registry.account();
    let topic = |t: &str| account.arn("topic", t);
    let infos = serde_json::json!([
        {"actionType": "PUBLISH", "resources": [topic("dev/a")]},
        {"actionType": "PUBLISH", "resources": [topic("dev/secret")]},
        {"actionType": "RECEIVE", "resources": [topic("other")]},
        {"actionType": "CONNECT", "resources": [account.arn("client", "dev-1")]},
    ])
    .to_string();
    let args = [
        "test-authorization",
        "--principal",
        &target,
        "--client-id",
        "dev-1",
        "--auth-infos",
        &infos,
    ];
    let out = emu.aws_ok(&args).await;
    let results = out["authResults"].as_array().expect("authResults");
    let decisions: Vec<&str> = results
        .iter()
        .map(|r| r["authDecision"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        decisions,
        ["ALLOWED", "EXPLICIT_DENY", "IMPLICIT_DENY", "ALLOWED"]
    );
    assert_eq!(results[0]["allowed"]["policies"][0]["policyName"], "scoped");
    assert_eq!(
        results[1]["denied"]["explicitDeny"]["policies"][0]["policyName"],
        "no-secret"
    );
    assert_eq!(results[0]["authInfo"]["actionType"], "PUBLISH");
    // Skipping the denying policy, as policyNamesToSkip asks.
    let args = [&args[..], &["--policy-names-to-skip", "no-secret"]].concat();
    let out = emu.aws_ok(&args).await;
    assert_eq!(out["authResults"][1]["authDecision"], "ALLOWED");
    let missing = format!("{}/{}", &target[..target.len() - 4], "0000");
    let err = emu
        .aws_err(&[
            "test-authorization",
            "--principal",
            &missing,
            "--auth-infos",
            &infos,
        ])
        .await;
    assert_eq!(err, "ResourceNotFoundException");
    let listed: Value = emu
        .aws_ok(&["get-effective-policies", "--principal", &target])
        .await;
    let mut names: Vec<&str> = listed["effectivePolicies"]
        .as_array()
        .expect("effectivePolicies")
        .iter()
        .map(|p| p["policyName"].as_str().unwrap_or(""))
        .collect();
    names.sort();
    assert_eq!(names, ["no-secret", "scoped"]);
    emu.shutdown().await;
}

/// Runs `py/broker_policy.py MODE` for `dev` as `client_id`.
async fn crt(emu: &TestEmulator, dev: &Device, mode: &str, client_id: &str) -> Value {
    let r = &emu.running;
    let args: Vec<String> = vec![
        mode.into(),
        r.ready.mqtt_host.clone(),
        r.ready.mqtt_port.to_string(),
        dev.ca.display().to_string(),
        dev.cert.display().to_string(),
        dev.key.display().to_string(),
        client_id.into(),
    ];
    let out = common::run_python_async("broker_policy.py", args).await;
    assert!(
        out.success,
        "broker_policy.py {mode} failed: {}",
        out.stderr
    );
    out.json()
}

#[tokio::test(flavor = "multi_thread")]
async fn awsiotsdk_mqtt5_client_under_a_topic_scoped_policy() {
    let emu = TestEmulator::start().await;
    let scoped = r#"{"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/dev-*"},
        {"Effect":"Allow","Action":["iot:Publish","iot:Receive"],"Resource":"ARN:topic/dev/${iot:ClientId}/*"},
        {"Effect":"Allow","Action":"iot:Subscribe","Resource":"ARN:topicfilter/dev/${iot:ClientId}/*"}"#;
    let dev = device_with(&emu, "crt-scoped", scoped).await;
    let got = crt(&emu, &dev, "scoped", "dev-crt").await;
    assert_eq!(
        got,
        serde_json::json!({
            "connected": true, "connack": 0,
            "suback": [1, 0x87], "puback": [0x87, 0], "received": ["dev/dev-crt/in"]
        })
    );
    let got = crt(&emu, &dev, "refused", "stranger").await;
    assert_eq!(
        got,
        serde_json::json!({"connected": false, "connack": 0x87})
    );
    emu.shutdown().await;
}
