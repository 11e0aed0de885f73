//! The broker driven by paho-mqtt, MQTT 5 and 3.1.1: connect, subscribe, publish and
//! receive with a registered certificate; refused with an unregistered or revoked one.

mod broker_support;
mod common;

use broker_support::{device, Device};
use common::TestEmulator;
use iot_emulator::registry::certificate::CertStatus;
use iot_emulator::Running;
use serde_json::{json, Value};

async fn paho(running: &Running, dev: &Device, mode: &str, proto: &str, client_id: &str) -> Value {
    let args: Vec<String> = vec![
        mode.into(),
        proto.into(),
        running.ready.mqtt_host.clone(),
        running.ready.mqtt_port.to_string(),
        dev.ca.display().to_string(),
        dev.cert.display().to_string(),
        dev.key.display().to_string(),
        client_id.into(),
    ];
    let out = common::run_python_async("broker_paho.py", args).await;
    assert!(out.success, "broker_paho.py {mode} failed: {}", out.stderr);
    out.json()
}

#[tokio::test(flavor = "multi_thread")]
async fn paho_connects_subscribes_publishes_and_receives() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    for proto in ["5", "311"] {
        let id = format!("paho-{proto}");
        let got = paho(r, &dev, "pubsub", proto, &id).await;
        assert_eq!(got["connected"], true, "{got}");
        assert_eq!(
            got["received"],
            json!([
                {"topic": format!("paho/{id}/one"), "payload": "q1", "qos": 1},
                {"topic": format!("paho/{id}/zero"), "payload": "q0", "qos": 0},
            ]),
            "{got}"
        );
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paho_is_refused_with_unregistered_or_revoked_certificates() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let unknown = device(r, None).await;
    let revoked = device(r, Some(CertStatus::Revoked)).await;
    for dev in [&unknown, &revoked] {
        for proto in ["5", "311"] {
            let got = paho(r, dev, "refused", proto, "paho-refused").await;
            assert_eq!(got["connected"], false, "{got}");
        }
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn paho_is_cut_off_when_its_policy_denies_a_publish() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = broker_support::bare_device(r, Some(CertStatus::Active)).await;
    let registry = &r.emulator.registry;
    let doc = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"iot:Connect","Resource":"*"},
        {"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:us-east-1:123456789012:topic/allowed/*"}]}"#;
    registry.create_policy("paho-scoped", doc).expect("policy");
    let arn = registry.account().cert_arn(&dev.id);
    registry.attach_policy("paho-scoped", &arn).expect("attach");
    // MQTT 3.1.1: the broker closes the connection, as AWS does.
    let got = paho_denied(r, &dev, "311", "paho-deny-3").await;
    assert_eq!(
        (got["connected"].clone(), got["cut_off"].clone()),
        (json!(true), json!(true)),
        "{got}"
    );
    // MQTT 5: the PUBACK carries 0x87 and the connection stays.
    let got = paho_denied(r, &dev, "5", "paho-deny-5").await;
    assert_eq!(
        (got["connected"].clone(), got["cut_off"].clone()),
        (json!(true), json!(false)),
        "{got}"
    );
    emu.shutdown().await;
}

async fn paho_denied(running: &Running, dev: &Device, proto: &str, client_id: &str) -> Value {
    let args: Vec<String> = vec![
        "denied".into(),
        proto.into(),
        running.ready.mqtt_host.clone(),
        running.ready.mqtt_port.to_string(),
        dev.ca.display().to_string(),
        dev.cert.display().to_string(),
        dev.key.display().to_string(),
        client_id.into(),
        "denied/topic".into(),
    ];
    let out = common::run_python_async("broker_paho.py", args).await;
    assert!(out.success, "broker_paho.py denied failed: {}", out.stderr);
    out.json()
}
