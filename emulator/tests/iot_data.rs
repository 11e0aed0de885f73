//! iot-data over HTTP on the API port, driven by the aws CLI (with only the exports of
//! `iot-emulator env`) and boto3, observed by mosquitto_sub and paho-mqtt: Publish,
//! GetRetainedMessage, ListRetainedMessages, DeleteConnection and their errors.

mod broker_support;
mod common;

use std::process::Command;

use broker_support::{device, spawn, text, wait, wait_connected, wait_subscribed, Device};
use common::{venv, CliResult, TestEmulator};
use iot_emulator::registry::certificate::CertStatus;
use iot_emulator::Running;

/// Runs `aws iot-data <args>` with nothing but the `iot-emulator env` exports pointing it
/// at the emulator (no `--endpoint-url`).
async fn aws_data(running: &Running, args: &[&str]) -> CliResult {
    let exports = iot_emulator::exports::render(&running.ready);
    let mut cmd = Command::new(venv().join("bin/aws"));
    cmd.env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE");
    for line in exports.lines() {
        let (name, value) = line
            .strip_prefix("export ")
            .and_then(|l| l.split_once('='))
            .expect("an export line");
        cmd.env(name, value.trim_matches('\''));
    }
    cmd.arg("iot-data").args(args);
    common::run_command(cmd).await
}

/// Runs `tests/py/iot_data.py MODE` against the emulator, with a device for its paho
/// clients; panics on failure and returns what it printed.
async fn boto3(running: &Running, mode: &str, dev: Option<&Device>) -> String {
    let mut args = vec![mode.to_string(), running.ready.api_url.clone()];
    if let Some(dev) = dev {
        args.extend([
            running.ready.mqtt_host.clone(),
            running.ready.mqtt_port.to_string(),
            dev.ca.display().to_string(),
            dev.cert.display().to_string(),
            dev.key.display().to_string(),
        ]);
    }
    let out = common::run_python_async("iot_data.py", args).await;
    assert!(
        out.success && out.stdout.ends_with("done\n"),
        "iot_data.py {mode} failed:\n{}{}",
        out.stdout,
        out.stderr
    );
    out.stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_cli_publish_reaches_a_mosquitto_subscriber() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    let args = ["-V", "5", "-i", "cli-sub", "-t", "emu/cli", "-q", "1"];
    let sub = spawn(
        "mosquitto_sub",
        r,
        &dev,
        &[&args[..], &["-C", "2", "-W", "20", "-v"]].concat(),
    );
    wait_subscribed(r, "cli-sub", "emu/cli").await;
    let publish = [
        "publish",
        "--topic",
        "emu/cli",
        "--qos",
        "1",
        "--payload",
        r#"{"hello":1}"#,
    ];
    let out = aws_data(r, &publish).await;
    assert!(out.success, "aws iot-data publish: {}", out.stderr);
    let out = aws_data(r, &["publish", "--topic", "emu/cli", "--payload", "second"]).await;
    assert!(out.success, "aws iot-data publish: {}", out.stderr);
    let received = wait(sub).await;
    assert!(received.status.success(), "{}", text(&received));
    assert_eq!(
        String::from_utf8_lossy(&received.stdout),
        "emu/cli {\"hello\":1}\nemu/cli second\n"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_cli_reads_retained_messages_and_deletes_a_mosquitto_connection() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let retain = [
        "publish",
        "--topic",
        "emu/state",
        "--retain",
        "--payload",
        "on",
    ];
    assert!(aws_data(r, &retain).await.success);
    let got = aws_data(r, &["get-retained-message", "--topic", "emu/state"]).await;
    assert_eq!(got.json()["payload"], "b24=", "{}", got.stderr);
    let list = aws_data(r, &["list-retained-messages"]).await.json();
    assert_eq!(list["retainedTopics"][0]["topic"], "emu/state");
    assert_eq!(list["retainedTopics"][0]["payloadSize"], 2);

    let dev = device(r, Some(CertStatus::Active)).await;
    let sub = spawn(
        "mosquitto_sub",
        r,
        &dev,
        &["-V", "5", "-d", "-i", "victim", "-t", "a", "-W", "20"],
    );
    wait_connected(r, "victim").await;
    let out = aws_data(r, &["delete-connection", "--client-id", "victim"]).await;
    assert!(out.success, "delete-connection: {}", out.stderr);
    let finished = wait(sub).await;
    assert!(
        text(&finished).contains("DISCONNECT (152)"),
        "{}",
        text(&finished)
    );
    let out = aws_data(r, &["delete-connection", "--client-id", "never-connected"]).await;
    assert_eq!(
        out.exception().as_deref(),
        Some("ResourceNotFoundException")
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_retained_messages_round_trip_and_page() {
    let emu = TestEmulator::start().await;
    let out = boto3(&emu.running, "retained", None).await;
    assert!(out.contains("pages 5 topics"), "{out}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_publish_carries_mqtt5_properties_to_paho() {
    let emu = TestEmulator::start().await;
    let dev = device(&emu.running, Some(CertStatus::Active)).await;
    boto3(&emu.running, "publish", Some(&dev)).await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_delete_connection_disconnects_paho_and_honours_its_flags() {
    let emu = TestEmulator::start().await;
    let dev = device(&emu.running, Some(CertStatus::Active)).await;
    let out = boto3(&emu.running, "delete", Some(&dev)).await;
    assert!(out.contains("except with preventWillMessage"), "{out}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_errors_are_the_modeled_iot_data_exceptions() {
    let emu = TestEmulator::start().await;
    boto3(&emu.running, "errors", None).await;
    // The control plane on the same port is untouched.
    emu.aws_ok(&["create-thing", "--thing-name", "still-here"])
        .await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn http_publishes_still_face_each_subscriber_s_receive_policy() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = broker_support::bare_device(r, Some(CertStatus::Active)).await;
    let topic_arn = format!(
        "arn:aws:iot:{}:{}:topic/emu/ok",
        r.ready.region, r.ready.account_id
    );
    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iot:Connect", "iot:Subscribe"], "Resource": "*"},
        {"Effect": "Allow", "Action": "iot:Receive", "Resource": topic_arn},
    ]});
    let registry = &r.emulator.registry;
    registry
        .create_policy("receive-ok-only", &doc.to_string())
        .expect("policy");
    let cert_arn = registry.account().cert_arn(&dev.id);
    registry
        .attach_policy("receive-ok-only", &cert_arn)
        .expect("attach");
    let args = [
        "-V", "5", "-i", "picky", "-t", "emu/#", "-q", "1", "-C", "1", "-W", "20", "-v",
    ];
    let sub = spawn("mosquitto_sub", r, &dev, &args);
    wait_subscribed(r, "picky", "emu/#").await;
    for topic in ["emu/secret", "emu/ok"] {
        let out = aws_data(
            r,
            &[
                "publish",
                "--topic",
                topic,
                "--qos",
                "1",
                "--payload",
                topic,
            ],
        )
        .await;
        assert!(out.success, "{}", out.stderr);
    }
    let received = wait(sub).await;
    assert_eq!(
        String::from_utf8_lossy(&received.stdout),
        "emu/ok emu/ok\n",
        "{}",
        text(&received)
    );
    emu.shutdown().await;
}
