//! The broker driven by the AWS IoT Device SDK v2 for Python (awscrt, MQTT 5 and 3.1.1,
//! with and without ALPN `x-amzn-mqtt-ca`) and by Python `ssl` for wire-level checks.

mod broker_support;
mod common;

use broker_support::{device, Device};
use common::TestEmulator;
use iot_emulator::registry::certificate::CertStatus;
use iot_emulator::Running;
use serde_json::{json, Value};

async fn crt(running: &Running, dev: &Device, mode: &str, client_id: &str, alpn: bool) -> Value {
    let mut args: Vec<String> = vec![
        mode.into(),
        running.ready.mqtt_host.clone(),
        running.ready.mqtt_port.to_string(),
        dev.ca.display().to_string(),
        dev.cert.display().to_string(),
        dev.key.display().to_string(),
        client_id.into(),
    ];
    if alpn {
        args.push("alpn".into());
    }
    let out = common::run_python_async("broker_crt.py", args).await;
    assert!(out.success, "broker_crt.py {mode} failed: {}", out.stderr);
    out.json()
}

fn echoed(topics: &[String]) -> Value {
    let items: Vec<Value> = topics
        .iter()
        .map(|t| json!({"topic": t, "payload": format!("from-{t}")}))
        .collect();
    Value::Array(items)
}

#[tokio::test(flavor = "multi_thread")]
async fn awscrt_mqtt5_connects_subscribes_publishes_and_receives() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    for (client_id, alpn) in [("crt5", false), ("crt5-alpn", true)] {
        let got = crt(r, &dev, "mqtt5", client_id, alpn).await;
        assert_eq!(got["connected"], true, "{got}");
        assert_eq!(
            got["connack"],
            json!({
                "reason_code": 0, "session_present": false, "receive_maximum": 100,
                "maximum_qos": 1, "retain_available": true, "maximum_packet_size": 149504,
                "topic_alias_maximum": 8, "wildcard_subscriptions_available": true,
                "subscription_identifiers_available": false,
                "shared_subscription_available": true,
                // The SDK asked for 10 s; AWS raises anything under 30 to 30.
                "server_keep_alive": 30, "assigned_client_identifier": null
            })
        );
        assert_eq!(got["suback"], json!([1, 1]));
        assert_eq!(got["puback"], json!([0, 0]));
        let topics = [
            format!("crt/{client_id}/data"),
            format!("$aws/things/{client_id}/shadow/update"),
        ];
        assert_eq!(got["received"], echoed(&topics));
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn awscrt_mqtt311_connects_subscribes_publishes_and_receives() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    for (client_id, alpn) in [("crt3", false), ("crt3-alpn", true)] {
        let got = crt(r, &dev, "mqtt3", client_id, alpn).await;
        assert_eq!(got["connected"], true, "{got}");
        assert_eq!(got["granted"], json!([1, 1]));
        let topics = [
            format!("crt/{client_id}/data"),
            format!("$aws/things/{client_id}/shadow/get"),
        ];
        assert_eq!(got["received"], echoed(&topics));
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn awscrt_clients_with_unregistered_or_inactive_certificates_are_hung_up_on() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    for status in [None, Some(CertStatus::Inactive)] {
        let dev = device(r, status).await;
        let got = crt(r, &dev, "refused5", "nobody5", false).await;
        assert_eq!(
            (got["connected"].clone(), got["failed"].clone()),
            (json!(false), json!(true)),
            "{got}"
        );
        let got = crt(r, &dev, "refused3", "nobody3", false).await;
        assert_eq!(got["connected"], false, "{got}");
    }
    assert!(r.broker.connected_clients().is_empty());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn alpn_is_negotiated_and_qos2_publish_gets_disconnect_0x9b() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    let got = crt(r, &dev, "raw", "raw-client", false).await;
    assert_eq!(
        got,
        json!({"alpn": "x-amzn-mqtt-ca", "connack_type": 2, "connack_reason": 0,
               "reply_type": 14, "reply_reason": 0x9b})
    );
    emu.shutdown().await;
}
