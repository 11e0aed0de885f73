//! What the real binary acknowledged survives `kill -9` and a restart over the same
//! `--data-dir`: retained messages, and persistent sessions (awscrt MQTT 3.1.1 and 5) with
//! their subscriptions and the QoS 1 messages queued for them, offline or still
//! unacknowledged by a connected client. All of it lives in the registry's store, not in
//! the broker's memory.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{aws_blocking, run_python, venv, Binary};
use iot_emulator::ReadyInfo;
use serde_json::Value;

/// A device certificate made through the control plane, with an allow-all policy.
fn device(ready: &ReadyInfo, dir: &Path) -> (String, String) {
    let made = aws_blocking(ready, &["create-keys-and-certificate", "--set-as-active"]);
    let cert = dir.join("device.pem.crt");
    let key = dir.join("device.private.key");
    let text = |v: &Value| v.as_str().expect("PEM").to_string();
    std::fs::write(&cert, text(&made["certificatePem"])).expect("write cert");
    std::fs::write(&key, text(&made["keyPair"]["PrivateKey"])).expect("write key");
    let document = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}"#;
    let policy = [
        "create-policy",
        "--policy-name",
        "all",
        "--policy-document",
        document,
    ];
    aws_blocking(ready, &policy);
    let arn = text(&made["certificateArn"]);
    aws_blocking(
        ready,
        &["attach-policy", "--policy-name", "all", "--target", &arn],
    );
    (cert.display().to_string(), key.display().to_string())
}

fn mosquitto(program: &str, ready: &ReadyInfo, files: &(String, String), extra: &[&str]) -> Output {
    Command::new(program)
        .args(["-h", &ready.mqtt_host, "-p", &ready.mqtt_port.to_string()])
        .args([
            "--cafile",
            &ready.root_ca_path,
            "--cert",
            &files.0,
            "--key",
            &files.1,
        ])
        .args(extra)
        .output()
        .unwrap_or_else(|e| panic!("{program} (install mosquitto-clients): {e}"))
}

/// `mosquitto_pub` with `args`; panics unless it succeeds (its QoS 1 PUBACK arrived).
fn publish_ok(ready: &ReadyInfo, files: &(String, String), args: &[&str]) {
    let out = mosquitto("mosquitto_pub", ready, files, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "mosquitto_pub: {stderr}");
}

#[test]
fn retained_messages_survive_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut first = Binary::spawn(dir.path());
    let files = device(&first.ready, dir.path());
    let publish = ["-V", "5", "-r", "-q", "1", "-t", "keep/t", "-m", "kept"];
    publish_ok(&first.ready, &files, &publish);
    first.child.kill().expect("SIGKILL the emulator we started");
    first.child.wait().expect("reaped");

    let second = Binary::spawn(dir.path());
    let read = [
        "-V", "mqttv311", "-t", "keep/t", "-C", "1", "-W", "10", "-F", "%r %t %p",
    ];
    let out = mosquitto("mosquitto_sub", &second.ready, &files, &read);
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        printed.trim(),
        "1 keep/t kept",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `broker_crt_session.py` (awscrt) against `ready` and returns what it reported.
fn crt(ready: &ReadyInfo, files: &(String, String), mode: &str, count: &str, sub: &str) -> Value {
    let port = ready.mqtt_port.to_string();
    let id = format!("keep-{mode}");
    let topic = format!("keep/{mode}");
    let args = [
        mode,
        &ready.mqtt_host,
        &port,
        &ready.root_ca_path,
        &files.0,
        &files.1,
        &id,
        &topic,
        count,
        sub,
    ];
    let out = run_python("broker_crt_session.py", &args);
    assert!(out.success, "broker_crt_session.py: {}", out.stderr);
    out.json()
}

#[test]
fn persistent_sessions_and_their_queued_messages_survive_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut first = Binary::spawn(dir.path());
    let files = device(&first.ready, dir.path());
    for mode in ["mqtt3", "mqtt5"] {
        let made = crt(&first.ready, &files, mode, "0", "1");
        assert_eq!(made["session_present"], false, "{made}");
        for payload in ["q1", "q2"] {
            let topic = format!("keep/{mode}");
            let publish = ["-V", "5", "-q", "1", "-t", &topic, "-m", payload];
            publish_ok(&first.ready, &files, &publish);
        }
    }
    first.child.kill().expect("SIGKILL the emulator we started");
    first.child.wait().expect("reaped");

    let second = Binary::spawn(dir.path());
    for mode in ["mqtt3", "mqtt5"] {
        // No SUBSCRIBE: the restored session's subscription delivers its queue.
        let resumed = crt(&second.ready, &files, mode, "2", "0");
        assert_eq!(resumed["session_present"], true, "{mode}: {resumed}");
        assert_eq!(
            resumed["messages"],
            serde_json::json!(["q1", "q2"]),
            "{mode}: {resumed}"
        );
    }
}

/// Reads `child`'s next stdout line as JSON.
fn next_line(lines: &mut impl Iterator<Item = std::io::Result<String>>) -> Value {
    let line = lines.next().expect("a line").expect("stdout");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

#[test]
fn a_message_a_connected_client_has_not_acknowledged_survives_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut first = Binary::spawn(dir.path());
    let files = device(&first.ready, dir.path());
    let port = first.ready.mqtt_port.to_string();
    let script =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/py/broker_unacked.py");
    let r = &first.ready;
    let mut holder = Command::new(venv().join("bin/python"))
        .arg(script)
        .args([&r.mqtt_host, &port, &r.root_ca_path, &files.0, &files.1])
        .args(["holder", "hold/t"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("broker_unacked.py");
    let mut lines = BufReader::new(holder.stdout.take().expect("stdout")).lines();
    assert_eq!(next_line(&mut lines)["subscribed"], true);
    let publish = ["-V", "mqttv311", "-q", "1", "-t", "hold/t", "-m", "held"];
    publish_ok(&first.ready, &files, &publish);
    // Delivered and PUBACKed to the publisher, not yet acknowledged by the subscriber.
    assert_eq!(next_line(&mut lines)["received"], "held");
    first.child.kill().expect("SIGKILL the emulator we started");
    first.child.wait().expect("reaped");
    holder
        .wait()
        .expect("the subscriber ends with its connection");

    let second = Binary::spawn(dir.path());
    let r = &second.ready;
    let port = r.mqtt_port.to_string();
    let host = r.mqtt_host.as_str();
    let (ca, cert, key) = (r.root_ca_path.as_str(), files.0.as_str(), files.1.as_str());
    let args = [
        host, &port, ca, cert, key, "holder", "3", "0", "0", "hold/t", "1", "15",
    ];
    let resumed = run_python("broker_session.py", &args);
    assert!(resumed.success, "{}", resumed.stderr);
    let resumed = resumed.json();
    assert_eq!(resumed["session_present"], true, "{resumed}");
    assert_eq!(resumed["messages"][0]["payload"], "held", "{resumed}");
}
