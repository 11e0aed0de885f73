//! Lifecycle events and QoS 1 redelivery with real clients: a mosquitto_sub watcher on
//! `$aws/events/presence/+/+` and `$aws/events/subscriptions/+/+` sees AWS's payloads;
//! a wire-level client that never acknowledges gets the message again with DUP, for an hour.

mod broker_support;
mod common;

use broker_support::{device, run, spawn, text, wait, wait_subscribed, Device};
use common::TestEmulator;
use iot_emulator::registry::certificate::CertStatus;
use iot_emulator::Running;
use serde_json::Value;

/// The JSON events a finished watcher printed about `client_id`, in arrival order.
fn events_of(stdout: &[u8], client_id: &str) -> Vec<Value> {
    let text = String::from_utf8_lossy(stdout);
    let all = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok());
    all.filter(|e| e["clientId"] == client_id).collect()
}

fn find<'a>(events: &'a [Value], event_type: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["eventType"] == event_type)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_events_carry_aws_fields() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    // Ten events: the watcher's own subscribed, three for `lc`, six for `twin`.
    let watch = [
        "-i",
        "watcher",
        "-t",
        "$aws/events/presence/+/+",
        "-t",
        "$aws/events/subscriptions/+/+",
        "-C",
        "10",
        "-W",
        "30",
    ];
    let watcher = spawn("mosquitto_sub", r, &dev, &watch);
    wait_subscribed(r, "watcher", "$aws/events/subscriptions/+/+").await;
    // Connect, subscribe to two filters, disconnect cleanly.
    let args = ["-V", "5", "-i", "lc", "-t", "a/b", "-t", "c/#", "-E"];
    let out = run("mosquitto_sub", r, &dev, &args).await;
    assert!(out.status.success(), "{}", text(&out));
    // A duplicate client id: the older connection's disconnect says so.
    let mut older = spawn(
        "mosquitto_sub",
        r,
        &dev,
        &["-V", "5", "-i", "twin", "-t", "x", "-W", "30"],
    );
    wait_subscribed(r, "twin", "x").await;
    let newer = ["-V", "5", "-i", "twin", "-t", "y", "-E"];
    let out = run("mosquitto_sub", r, &dev, &newer).await;
    assert!(out.status.success(), "{}", text(&out));
    // mosquitto_sub would reconnect after being taken over; stop the one we started.
    older.kill().expect("kill the client we started");
    let _ = wait(older).await;
    let got = wait(watcher).await;
    assert_lc_events(&events_of(&got.stdout, "lc"), &dev);
    assert_twin_events(&events_of(&got.stdout, "twin"));
    emu.shutdown().await;
}

fn assert_lc_events(events: &[Value], dev: &Device) {
    let connected = find(events, "connected");
    let [c] = connected.as_slice() else {
        panic!("one connected event: {events:?}")
    };
    assert_eq!(c["principalIdentifier"], dev.id.as_str());
    assert_eq!(c["ipAddress"], "127.0.0.1");
    assert_eq!(c["versionNumber"], 0);
    assert!(c["timestamp"].as_i64().is_some_and(|t| t > 0));
    let session = c["sessionIdentifier"].as_str().expect("sessionIdentifier");
    assert_eq!(session.len(), 36, "a UUID: {session}");
    let subscribed = find(events, "subscribed");
    let [s] = subscribed.as_slice() else {
        panic!("one subscribed event: {events:?}")
    };
    assert_eq!(s["topics"], serde_json::json!(["a/b", "c/#"]));
    assert_eq!(s["sessionIdentifier"], session);
    let disconnected = find(events, "disconnected");
    let [d] = disconnected.as_slice() else {
        panic!("one disconnected event: {events:?}")
    };
    assert_eq!(d["clientInitiatedDisconnect"], true);
    assert_eq!(d["disconnectReason"], "CLIENT_INITIATED_DISCONNECT");
    assert_eq!(d["versionNumber"], 0);
    assert!(d.get("ipAddress").is_none());
}

fn assert_twin_events(events: &[Value]) {
    let versions: Vec<i64> = find(events, "connected")
        .iter()
        .filter_map(|e| e["versionNumber"].as_i64())
        .collect();
    assert!(versions.starts_with(&[0, 1]), "{events:?}");
    let dup = find(events, "disconnected");
    let older = dup
        .iter()
        .find(|e| e["versionNumber"] == 0)
        .unwrap_or_else(|| panic!("older disconnect: {events:?}"));
    assert_eq!(older["disconnectReason"], "DUPLICATE_CLIENTID");
    assert_eq!(older["clientInitiatedDisconnect"], false);
}

async fn raw(r: &Running, dev: &Device, phase: &str) -> Value {
    let args: Vec<String> = vec![
        r.ready.mqtt_host.clone(),
        r.ready.mqtt_port.to_string(),
        dev.ca.display().to_string(),
        dev.cert.display().to_string(),
        dev.key.display().to_string(),
        "redo".into(),
        "redo/t".into(),
        phase.into(),
    ];
    let out = common::run_python_async("broker_redelivery.py", args).await;
    assert!(out.success, "broker_redelivery.py {phase}: {}", out.stderr);
    out.json()
}

#[tokio::test(flavor = "multi_thread")]
async fn unacknowledged_qos1_is_redelivered_with_dup_on_reconnect() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    let made = raw(r, &dev, "subscribe").await;
    assert_eq!(made["suback"], true, "{made}");
    let args = ["-q", "1", "-t", "redo/t", "-m", "again"];
    let out = run("mosquitto_pub", r, &dev, &args).await;
    assert!(out.status.success(), "{}", text(&out));
    let first = raw(r, &dev, "receive").await;
    assert_eq!(first["session_present"], true, "{first}");
    assert_eq!(first["publish"]["payload"], "again");
    assert_eq!(first["publish"]["dup"], false);
    wait_offline(r, "redo").await;
    let second = raw(r, &dev, "redeliver").await;
    assert_eq!(second["session_present"], true, "{second}");
    assert_eq!(second["publish"]["payload"], "again");
    assert_eq!(second["publish"]["dup"], true, "{second}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unacknowledged_qos1_is_retried_for_an_hour_then_dropped() {
    let emu = TestEmulator::seeded(11).await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    raw(r, &dev, "subscribe").await;
    let args = ["-q", "1", "-t", "redo/t", "-m", "stale"];
    let out = run("mosquitto_pub", r, &dev, &args).await;
    assert!(out.status.success(), "{}", text(&out));
    let first = raw(r, &dev, "receive").await;
    assert_eq!(first["publish"]["payload"], "stale");
    wait_offline(r, "redo").await;
    // Half an hour later it is still retried (the session lives on: 1 h from each leave).
    emu.advance_clock(1800).await;
    let again = raw(r, &dev, "receive").await;
    assert_eq!(again["publish"]["payload"], "stale", "{again}");
    assert_eq!(again["publish"]["dup"], true, "{again}");
    wait_offline(r, "redo").await;
    // An hour after it was published it is dropped; the session and newer messages stay.
    emu.advance_clock(1800).await;
    let args = ["-q", "1", "-t", "redo/t", "-m", "fresh"];
    let out = run("mosquitto_pub", r, &dev, &args).await;
    assert!(out.status.success(), "{}", text(&out));
    let last = raw(r, &dev, "redeliver").await;
    assert_eq!(last["session_present"], true, "{last}");
    assert_eq!(last["publish"]["payload"], "fresh", "{last}");
    assert_eq!(last["publish"]["dup"], false, "{last}");
    emu.shutdown().await;
}

/// Waits until the dropped connection has been noticed (its session is offline).
async fn wait_offline(r: &Running, client_id: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while r.broker.connected_clients().iter().any(|c| c == client_id) {
        assert!(
            std::time::Instant::now() < deadline,
            "{client_id} never went offline"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
