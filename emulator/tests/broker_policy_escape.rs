//! The policy-escape suite, driven by mosquitto (MQTT 5, so every refusal has a reason
//! code to read): wildcard characters in client ids, `+`/`#` filters against
//! topic-scoped policies, variables whose values hold wildcard characters, `NotResource`.
//! Nobody may connect, subscribe or receive beyond what the policy allows.

mod broker_support;
mod common;

use broker_support::{allow_all, bare_device, run, spawn, text, wait, wait_subscribed, Device};
use common::TestEmulator;
use iot_emulator::registry::certificate::CertStatus;

/// A registered device with one policy of `statements` (`ARN` = this account's prefix).
async fn device_with(emu: &TestEmulator, name: &str, statements: &str) -> Device {
    let r = &emu.running;
    let dev = bare_device(r, Some(CertStatus::Active)).await;
    let account = r.emulator.registry.account();
    let arn = format!("arn:aws:iot:{}:{}", account.region, account.account_id);
    let doc =
        format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#).replace("ARN", &arn);
    emu.aws_ok(&[
        "create-policy",
        "--policy-name",
        name,
        "--policy-document",
        &doc,
    ])
    .await;
    let target = account.cert_arn(&dev.id);
    emu.aws_ok(&["attach-policy", "--policy-name", name, "--target", &target])
        .await;
    dev
}

async fn mosquitto(emu: &TestEmulator, program: &str, dev: &Device, args: &[&str]) -> String {
    text(&run(program, &emu.running, dev, args).await)
}

/// Publishes each `(topic, message)` at QoS 1 from an allow-all device.
async fn feed(emu: &TestEmulator, messages: &[(&str, &str)]) {
    let publisher = bare_device(&emu.running, Some(CertStatus::Active)).await;
    allow_all(&emu.running, &publisher.id);
    for (topic, message) in messages {
        let args = [
            "-V", "5", "-i", "feeder", "-q", "1", "-t", topic, "-m", message,
        ];
        let out = mosquitto(emu, "mosquitto_pub", &publisher, &args).await;
        assert!(!out.contains("Error"), "{out}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn client_ids_with_wildcard_characters_do_not_match_a_pinned_id() {
    let emu = TestEmulator::start().await;
    let pinned = r#"{"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/dev-1"},
        {"Effect":"Allow","Action":["iot:Publish"],"Resource":"*"}"#;
    let dev = device_with(&emu, "pinned", pinned).await;
    for id in ["*", "dev-?", "dev-*", "+", "#", "dev-1/#"] {
        let args = ["-V", "5", "-d", "-i", id, "-t", "x", "-m", "m"];
        let out = mosquitto(&emu, "mosquitto_pub", &dev, &args).await;
        assert!(
            out.contains("received CONNACK (135)"),
            "client id {id}: {out}"
        );
    }
    let args = ["-V", "5", "-d", "-i", "dev-1", "-t", "x", "-m", "m"];
    let out = mosquitto(&emu, "mosquitto_pub", &dev, &args).await;
    assert!(out.contains("received CONNACK (0)"), "{out}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mqtt_wildcard_filters_need_a_policy_that_names_them() {
    let emu = TestEmulator::start().await;
    let scoped = r#"{"Effect":"Allow","Action":"iot:Connect","Resource":"*"},
        {"Effect":"Allow","Action":"iot:Subscribe","Resource":"ARN:topicfilter/a/*"},
        {"Effect":"Allow","Action":"iot:Receive","Resource":"ARN:topic/a/*"}"#;
    let dev = device_with(&emu, "scoped", scoped).await;
    let args = [
        "-V", "5", "-d", "-i", "s1", "-t", "#", "-t", "+/b", "-t", "+", "-t", "a/#", "-t", "a/+",
        "-W", "2",
    ];
    let out = mosquitto(&emu, "mosquitto_sub", &dev, &args).await;
    assert!(
        out.contains("Subscribed (mid: 1): 135, 135, 135, 0, 0"),
        "{out}"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn receive_is_checked_per_delivery_whatever_the_filter() {
    // Subscribe is allowed on everything, Receive only under a/ minus a/restricted/ (AWS's
    // NotResource pattern): a `#` subscriber still gets nothing else.
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let policy = r#"{"Effect":"Allow","Action":["iot:Connect","iot:Subscribe"],"Resource":"*"},
        {"Effect":"Allow","Action":"iot:Receive","NotResource":"ARN:topic/a/restricted/*"},
        {"Effect":"Deny","Action":"iot:Receive","NotResource":"ARN:topic/a/*"}"#;
    let dev = device_with(&emu, "receive", policy).await;
    let args = [
        "-V", "5", "-i", "greedy", "-t", "#", "-C", "1", "-W", "20", "-v",
    ];
    let sub = spawn("mosquitto_sub", r, &dev, &args);
    wait_subscribed(r, "greedy", "#").await;
    feed(
        &emu,
        &[("b/secret", "1"), ("a/restricted/x", "2"), ("a/open", "3")],
    )
    .await;
    let out = wait(sub).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "a/open 3",
        "{}",
        text(&out)
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_id_holding_wildcards_does_not_widen_its_variables() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let own = r#"{"Effect":"Allow","Action":["iot:Connect","iot:Subscribe"],"Resource":"*"},
        {"Effect":"Allow","Action":"iot:Receive","Resource":"ARN:topic/${iot:ClientId}/*"}"#;
    let dev = device_with(&emu, "own", own).await;
    let args = [
        "-V", "5", "-i", "a*", "-t", "#", "-C", "1", "-W", "20", "-v",
    ];
    let sub = spawn("mosquitto_sub", r, &dev, &args);
    wait_subscribed(r, "a*", "#").await;
    feed(&emu, &[("abc/x", "1"), ("a/x", "2"), ("a*/x", "3")]).await;
    let out = wait(sub).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "a*/x 3",
        "{}",
        text(&out)
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn retained_messages_on_subscribe_obey_receive() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let publisher = bare_device(r, Some(CertStatus::Active)).await;
    allow_all(r, &publisher.id);
    for (topic, message) in [("ret/a-secret", "1"), ("ret/b-open", "2")] {
        let args = ["-V", "5", "-r", "-q", "1", "-t", topic, "-m", message];
        let out = mosquitto(&emu, "mosquitto_pub", &publisher, &args).await;
        assert!(!out.contains("Error"), "{out}");
    }
    let policy = r#"{"Effect":"Allow","Action":["iot:Connect","iot:Subscribe"],"Resource":"*"},
        {"Effect":"Allow","Action":"iot:Receive","Resource":"ARN:topic/ret/b-open"}"#;
    let dev = device_with(&emu, "retained", policy).await;
    // Retained messages go out in filter order: the denied one comes first.
    let args = [
        "-V",
        "5",
        "-t",
        "ret/a-secret",
        "-t",
        "ret/b-open",
        "-C",
        "1",
        "-W",
        "20",
        "-v",
    ];
    let out = run("mosquitto_sub", r, &dev, &args).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "ret/b-open 2",
        "{}",
        text(&out)
    );
    emu.shutdown().await;
}
