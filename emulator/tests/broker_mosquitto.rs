//! The broker driven by the real mosquitto_pub/mosquitto_sub clients (MQTT 3.1.1 and 5)
//! over mutual TLS: pub/sub across versions, `$aws` topics, retained messages, Wills,
//! refused certificates, QoS 2 refusal, takeover and server-side disconnects.

mod broker_support;
mod common;

use std::process::Child;

use broker_support::{device, run, spawn, text, wait, wait_connected, wait_subscribed, Device};
use common::TestEmulator;
use iot_emulator::registry::certificate::CertStatus;

/// Subscribes with `sub_version`, publishes with `pub_version`, checks the message arrives.
async fn round_trip(emu: &TestEmulator, sub_version: &str, pub_version: &str, topic: &str) {
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    let sub_id = format!("sub-{sub_version}");
    let sub = spawn(
        "mosquitto_sub",
        r,
        &dev,
        &[
            "-V",
            sub_version,
            "-i",
            &sub_id,
            "-t",
            topic,
            "-q",
            "1",
            "-C",
            "1",
            "-W",
            "20",
            "-v",
        ],
    );
    wait_subscribed(r, &sub_id, topic).await;
    let publ = run(
        "mosquitto_pub",
        r,
        &dev,
        &[
            "-V",
            pub_version,
            "-i",
            "pub",
            "-q",
            "1",
            "-t",
            topic,
            "-m",
            "hello",
        ],
    )
    .await;
    assert!(publ.status.success(), "publish failed: {}", text(&publ));
    let out = wait(sub).await;
    assert!(out.status.success(), "subscriber failed: {}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("{topic} hello")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mosquitto_pub_sub_across_protocol_versions() {
    let emu = TestEmulator::start().await;
    round_trip(&emu, "5", "mqttv311", "test/v5-from-v311").await;
    round_trip(&emu, "mqttv311", "5", "test/v311-from-v5").await;
    round_trip(&emu, "5", "5", "$aws/things/thing1/shadow/update").await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn retained_message_reaches_a_later_exact_subscriber() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    let publ = run(
        "mosquitto_pub",
        r,
        &dev,
        &["-V", "5", "-r", "-q", "1", "-t", "ret/a", "-m", "kept"],
    )
    .await;
    assert!(publ.status.success(), "{}", text(&publ));
    let sub = run(
        "mosquitto_sub",
        r,
        &dev,
        &["-V", "mqttv311", "-t", "ret/a", "-C", "1", "-W", "10", "-v"],
    )
    .await;
    assert!(sub.status.success(), "{}", text(&sub));
    assert_eq!(String::from_utf8_lossy(&sub.stdout).trim(), "ret/a kept");
    // An empty retained payload clears it: a new subscriber then times out empty-handed.
    run("mosquitto_pub", r, &dev, &["-r", "-t", "ret/a", "-n"]).await;
    let sub = run(
        "mosquitto_sub",
        r,
        &dev,
        &["-t", "ret/a", "-C", "1", "-W", "2"],
    )
    .await;
    assert!(String::from_utf8_lossy(&sub.stdout).trim().is_empty());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_and_inactive_certificates_get_no_connack() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    for status in [None, Some(CertStatus::Inactive), Some(CertStatus::Revoked)] {
        let dev = device(r, status).await;
        for version in ["5", "mqttv311"] {
            let out = run(
                "mosquitto_pub",
                r,
                &dev,
                &["-V", version, "-d", "-t", "t", "-m", "x"],
            )
            .await;
            let printed = text(&out);
            assert!(!out.status.success(), "{status:?} connected: {printed}");
            assert!(
                !printed.contains("CONNACK"),
                "{status:?} got a CONNACK: {printed}"
            );
        }
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn qos2_publish_is_refused() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    // MQTT 5: mosquitto reads Maximum QoS 1 from the CONNACK and refuses by itself.
    let out = run(
        "mosquitto_pub",
        r,
        &dev,
        &["-V", "5", "-d", "-q", "2", "-t", "t/q2", "-m", "x"],
    )
    .await;
    let printed = text(&out);
    assert!(printed.contains("received CONNACK"), "{printed}");
    assert!(printed.contains("QoS not supported"), "{printed}");
    // MQTT 3.1.1: the broker closes the connection instead of answering PUBREC.
    let out = run(
        "mosquitto_pub",
        r,
        &dev,
        &["-V", "mqttv311", "-d", "-q", "2", "-t", "t/q2", "-m", "x"],
    )
    .await;
    let printed = text(&out);
    assert!(printed.contains("sending PUBLISH"), "{printed}");
    assert!(!printed.contains("PUBREC"), "{printed}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn will_is_published_when_a_client_vanishes() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    let watcher = spawn(
        "mosquitto_sub",
        r,
        &dev,
        &[
            "-V", "5", "-i", "watcher", "-t", "wills/#", "-C", "1", "-W", "20", "-v",
        ],
    );
    wait_subscribed(r, "watcher", "wills/#").await;
    let args = [
        "-V",
        "mqttv311",
        "-i",
        "doomed",
        "-t",
        "x",
        "--will-topic",
        "wills/doomed",
        "--will-payload",
        "gone",
    ];
    let mut doomed = spawn("mosquitto_sub", r, &dev, &args);
    wait_subscribed(r, "doomed", "x").await;
    doomed.kill().expect("kill the client we started");
    let _ = wait(doomed).await;
    let out = wait(watcher).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "wills/doomed gone",
        "{}",
        text(&out)
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_client_id_disconnects_the_older_session() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    let first = spawn(
        "mosquitto_sub",
        r,
        &dev,
        &["-V", "5", "-d", "-i", "twin", "-t", "a", "-W", "20"],
    );
    wait_subscribed(r, "twin", "a").await;
    let second = spawn(
        "mosquitto_sub",
        r,
        &dev,
        &["-V", "5", "-i", "twin", "-t", "b", "-W", "3"],
    );
    wait_subscribed(r, "twin", "b").await;
    let out = wait(first).await;
    assert!(text(&out).contains("DISCONNECT (142)"), "{}", text(&out));
    let _ = wait(second).await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn server_can_disconnect_a_certificate() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let (dev, sub) = subscribed_v5(r, "victim").await;
    assert_eq!(r.broker.disconnect_certificate(&dev.id), 1);
    assert_administrative_disconnect(sub).await;
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn deactivating_a_certificate_through_the_api_cuts_its_session() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    let (dev, sub) = subscribed_v5(r, "deactivated").await;
    let args = [
        "update-certificate",
        "--certificate-id",
        &dev.id,
        "--new-status",
        "INACTIVE",
    ];
    emu.aws_ok(&args).await;
    assert_administrative_disconnect(sub).await;
    emu.shutdown().await;
}

/// A registered device whose MQTT 5 `mosquitto_sub` (client `client_id`) is subscribed to `a`.
async fn subscribed_v5(r: &iot_emulator::Running, client_id: &str) -> (Device, Child) {
    let dev = device(r, Some(CertStatus::Active)).await;
    let args = ["-V", "5", "-d", "-i", client_id, "-t", "a", "-W", "20"];
    let sub = spawn("mosquitto_sub", r, &dev, &args);
    wait_connected(r, client_id).await;
    wait_subscribed(r, client_id, "a").await;
    (dev, sub)
}

/// The subscriber was told DISCONNECT 0x98 (administrative action) before the hang-up.
async fn assert_administrative_disconnect(sub: Child) {
    let out = wait(sub).await;
    assert!(text(&out).contains("DISCONNECT (152)"), "{}", text(&out));
}
