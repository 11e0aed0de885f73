//! Broker sessions with real clients: persistent sessions (mosquitto_sub `-c`, paho-mqtt
//! and awscrt, MQTT 3.1.1 and 5) keep subscriptions and queue QoS 1 messages while offline, report
//! `sessionPresent`, end on a clean connect or on expiry measured by the emulator clock;
//! the MQTT listener on a second address; TCP_NODELAY on every accepted socket.

mod broker_support;
mod common;

use std::time::{Duration, Instant};

use broker_support::{device, run, spawn, text, wait, wait_subscribed, Device};
use common::TestEmulator;
use iot_emulator::registry::certificate::CertStatus;
use iot_emulator::{Config, Running};
use serde_json::{json, Value};

/// Runs `broker_session.py` (paho-mqtt) and returns what it reported.
#[allow(clippy::too_many_arguments)]
async fn paho(
    r: &Running,
    dev: &Device,
    client_id: &str,
    version: &str,
    clean: bool,
    expiry: u32,
    topic: &str,
    count: usize,
) -> Value {
    let args: Vec<String> = vec![
        r.ready.mqtt_host.clone(),
        r.ready.mqtt_port.to_string(),
        dev.ca.display().to_string(),
        dev.cert.display().to_string(),
        dev.key.display().to_string(),
        client_id.into(),
        version.into(),
        if clean { "1" } else { "0" }.into(),
        expiry.to_string(),
        topic.into(),
        count.to_string(),
        // Long enough for what should arrive; what must not arrive is waited for briefly.
        if count > 1 { "20" } else { "3" }.into(),
    ];
    let out = common::run_python_async("broker_session.py", args).await;
    assert!(out.success, "broker_session.py failed: {}", out.stderr);
    out.json()
}

/// Waits until `client_id` is no longer connected.
async fn wait_offline(r: &Running, client_id: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while r.broker.connected_clients().iter().any(|c| c == client_id) {
        assert!(Instant::now() < deadline, "{client_id} never went offline");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Publishes `payload` on `topic` at `qos` with mosquitto_pub (MQTT 5).
async fn publish(r: &Running, dev: &Device, topic: &str, payload: &str, qos: &str) {
    let args = ["-V", "5", "-q", qos, "-t", topic, "-m", payload];
    let out = run("mosquitto_pub", r, dev, &args).await;
    assert!(out.status.success(), "publish failed: {}", text(&out));
}

fn payloads(report: &Value) -> Vec<String> {
    let messages = report["messages"].as_array().cloned().unwrap_or_default();
    let texts = messages
        .iter()
        .map(|m| m["payload"].as_str().unwrap_or("").to_string());
    texts.collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn mosquitto_persistent_session_gets_qos1_messages_queued_while_offline() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    let first = [
        "-V", "mqttv311", "-c", "-i", "psub", "-q", "1", "-t", "sess/a", "-E",
    ];
    let out = run("mosquitto_sub", r, &dev, &first).await;
    assert!(out.status.success(), "{}", text(&out));
    wait_offline(r, "psub").await;
    assert_eq!(r.broker.subscriptions("psub"), vec!["sess/a".to_string()]);
    publish(r, &dev, "sess/a", "zero", "0").await;
    publish(r, &dev, "sess/a", "one", "1").await;
    publish(r, &dev, "sess/a", "two", "1").await;
    let again = [
        "-V", "mqttv311", "-c", "-i", "psub", "-q", "1", "-t", "sess/a", "-C", "2", "-W", "20",
    ];
    let out = run("mosquitto_sub", r, &dev, &again).await;
    assert!(out.status.success(), "{}", text(&out));
    // The QoS 0 message was not stored; the QoS 1 ones arrive in order.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "one\ntwo\n");
    emu.shutdown().await;
}

/// Runs `broker_crt_session.py` (awscrt) and returns what it reported.
async fn crt(r: &Running, dev: &Device, mode: &str, id: &str, count: usize, sub: bool) -> Value {
    let args: Vec<String> = vec![
        mode.into(),
        r.ready.mqtt_host.clone(),
        r.ready.mqtt_port.to_string(),
        dev.ca.display().to_string(),
        dev.cert.display().to_string(),
        dev.key.display().to_string(),
        id.into(),
        format!("crt/{id}"),
        count.to_string(),
        if sub { "1" } else { "0" }.into(),
    ];
    let out = common::run_python_async("broker_crt_session.py", args).await;
    assert!(out.success, "broker_crt_session.py failed: {}", out.stderr);
    out.json()
}

#[tokio::test(flavor = "multi_thread")]
async fn awscrt_persistent_sessions_resume_with_their_subscriptions_and_queued_messages() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    for mode in ["mqtt3", "mqtt5"] {
        let id = format!("crt-{mode}");
        let topic = format!("crt/{id}");
        let made = crt(r, &dev, mode, &id, 0, true).await;
        assert_eq!(made["session_present"], false, "{made}");
        wait_offline(r, &id).await;
        assert_eq!(r.broker.subscriptions(&id), vec![topic.clone()]);
        for payload in ["q1", "q2", "q3"] {
            publish(r, &dev, &topic, payload, "1").await;
        }
        publish(r, &dev, &topic, "not-stored", "0").await;
        // No SUBSCRIBE this time: the session's subscription and queue do the work.
        let resumed = crt(r, &dev, mode, &id, 3, false).await;
        assert_eq!(resumed["session_present"], true, "{resumed}");
        assert_eq!(resumed["messages"], json!(["q1", "q2", "q3"]), "{resumed}");
        wait_offline(r, &id).await;
        assert_eq!(r.broker.subscriptions(&id), vec![topic.clone()]);
        assert_eq!(r.broker.queued_messages(&id), 0, "all were acknowledged");
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn session_present_and_clean_reconnects_over_mqtt_311_and_5() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    for version in ["3", "5"] {
        let id = format!("paho{version}");
        let topic = format!("sess/{version}");
        let made = paho(r, &dev, &id, version, false, 600, &topic, 0).await;
        assert_eq!(made["session_present"], false, "{made}");
        wait_offline(r, &id).await;
        publish(r, &dev, &topic, "queued", "1").await;
        let resumed = paho(r, &dev, &id, version, false, 600, &topic, 1).await;
        assert_eq!(resumed["session_present"], true, "{resumed}");
        assert_eq!(payloads(&resumed), vec!["queued"], "{resumed}");
        wait_offline(r, &id).await;
        publish(r, &dev, &topic, "dropped", "1").await;
        // A clean connect discards the session and what it queued.
        let clean = paho(r, &dev, &id, version, true, 0, &topic, 1).await;
        assert_eq!(clean["session_present"], false, "{clean}");
        assert!(payloads(&clean).is_empty(), "{clean}");
        wait_offline(r, &id).await;
        let after = paho(r, &dev, &id, version, false, 600, &topic, 0).await;
        assert_eq!(after["session_present"], false, "{after}");
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mqtt5_session_expires_on_the_emulator_clock() {
    let emu = TestEmulator::seeded(7).await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    let args = [
        "-V", "5", "-c", "-x", "60", "-i", "exp", "-q", "1", "-t", "sess/x", "-E",
    ];
    let out = run("mosquitto_sub", r, &dev, &args).await;
    assert!(out.status.success(), "{}", text(&out));
    wait_offline(r, "exp").await;
    publish(r, &dev, "sess/x", "early", "1").await;
    emu.advance_clock(59).await;
    let kept = paho(r, &dev, "exp", "5", false, 60, "sess/x", 1).await;
    assert_eq!(kept["session_present"], true, "{kept}");
    assert_eq!(payloads(&kept), vec!["early"]);
    wait_offline(r, "exp").await;
    publish(r, &dev, "sess/x", "late", "1").await;
    emu.advance_clock(60).await;
    let gone = paho(r, &dev, "exp", "5", false, 60, "sess/x", 1).await;
    assert_eq!(gone["session_present"], false, "{gone}");
    assert!(payloads(&gone).is_empty(), "{gone}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mqtt_listener_also_serves_an_extra_address() {
    let mut config = Config::for_tests();
    config.mqtt_extra_addrs = vec!["127.0.0.1:0".parse().expect("address")];
    let emu = TestEmulator::start_with(config).await;
    let r = &emu.running;
    assert_eq!(r.ready.mqtt_addrs.len(), 2, "{:?}", r.ready.mqtt_addrs);
    assert_eq!(
        r.ready.mqtt_addrs[0],
        format!("{}:{}", r.ready.mqtt_host, r.ready.mqtt_port)
    );
    let extra_port = r.ready.mqtt_addrs[1].rsplit(':').next().expect("port");
    let dev = device(r, Some(CertStatus::Active)).await;
    let sub = spawn(
        "mosquitto_sub",
        r,
        &dev,
        &["-i", "main", "-t", "x/extra", "-C", "1", "-W", "20"],
    );
    wait_subscribed(r, "main", "x/extra").await;
    // Later `-p` arguments win: publish through the extra address.
    let args = [
        "-p",
        extra_port,
        "-q",
        "1",
        "-t",
        "x/extra",
        "-m",
        "via-extra",
    ];
    let out = run("mosquitto_pub", r, &dev, &args).await;
    assert!(out.status.success(), "{}", text(&out));
    let got = wait(sub).await;
    assert_eq!(String::from_utf8_lossy(&got.stdout).trim(), "via-extra");
    emu.shutdown().await;
}

/// Every listener hands its connections to `net::accept` (the API through `net::tap`),
/// which turns Nagle off and reads the option back from the kernel. Real clients connect
/// to each listener here (mosquitto_pub on both MQTT addresses, the aws CLI, curl), and
/// every socket accepted meanwhile must have reported `TCP_NODELAY` on. Other tests of this
/// binary may add sockets at the same time; they are held to the same rule.
#[tokio::test(flavor = "multi_thread")]
async fn every_accepted_socket_has_tcp_nodelay() {
    use iot_emulator::net::{counts, Kind};
    let kinds = [Kind::Mqtt, Kind::Api, Kind::Credentials];
    let before = kinds.map(counts);
    let mut config = Config::for_tests();
    config.mqtt_extra_addrs = vec!["127.0.0.1:0".parse().expect("address")];
    let emu = TestEmulator::start_with(config).await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    for port in &r.ready.mqtt_addrs {
        let port = port.rsplit(':').next().expect("port");
        let args = ["-p", port, "-q", "1", "-t", "x/nodelay", "-m", "m"];
        let out = run("mosquitto_pub", r, &dev, &args).await;
        assert!(out.status.success(), "{}", text(&out));
    }
    emu.aws_ok(&["list-things"]).await;
    let url = format!("{}/role-aliases/none/credentials", r.ready.credentials_url);
    let curl = [
        "-sS".to_string(),
        "--cacert".into(),
        r.ready.root_ca_path.clone(),
        "--cert".into(),
        dev.cert.display().to_string(),
        "--key".into(),
        dev.key.display().to_string(),
        url,
    ];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(curl)
            .output()
            .expect("curl")
    })
    .await
    .expect("curl task");
    assert!(String::from_utf8_lossy(&out.stdout).contains("message"));
    let after = kinds.map(counts);
    for ((kind, b), a) in kinds.iter().zip(before).zip(after) {
        let minimum = if *kind == Kind::Mqtt { 2 } else { 1 };
        assert!(a.sockets - b.sockets >= minimum, "{kind:?}: {b:?} -> {a:?}");
        assert_eq!(a.sockets - b.sockets, a.nodelay - b.nodelay, "{kind:?}");
    }
    emu.shutdown().await;
}
