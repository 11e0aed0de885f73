//! No loss of acknowledged QoS 1 messages under overload, with real clients: mosquitto_pub
//! publishers bursting thousands of QoS 1 messages at a paho-mqtt subscriber that stops
//! reading. The subscriber's queue fills to its limit, the publishers' PUBACKs are held,
//! and once the subscriber reads again every message arrives, in order per publisher.

mod broker_support;
mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use broker_support::{device, mosquitto_args, text, wait, wait_subscribed};
use common::venv;
use iot_emulator::mqtt::persist::LIVE_QUEUE_LIMIT;
use iot_emulator::registry::certificate::CertStatus;
use serde_json::Value;

const PUBLISHERS: usize = 2;
const PER_PUBLISHER: usize = 3000;

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_subscriber_gets_every_acknowledged_qos1_message_in_order() {
    let emu = common::TestEmulator::start().await;
    let r = &emu.running;
    let dev = device(r, Some(CertStatus::Active)).await;
    let total = (PUBLISHERS * PER_PUBLISHER).to_string();
    let port = r.ready.mqtt_port.to_string();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/broker_slow_sub.py");
    let paths = [&dev.ca, &dev.cert, &dev.key].map(|p| p.display().to_string());
    let mut sub = Command::new(venv().join("bin/python"))
        .arg(script)
        .args([r.ready.mqtt_host.as_str(), &port])
        .args(&paths)
        .args(["slow", "load/t", &total, "120"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    wait_subscribed(r, "slow", "load/t").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let publishers: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            let lines: String = (0..PER_PUBLISHER).map(|i| format!("p{p}-{i}\n")).collect();
            let file = dir.path().join(format!("p{p}.txt"));
            std::fs::write(&file, lines).expect("payload file");
            let id = format!("burst{p}");
            let args = [
                "-V", "mqttv311", "-i", &id, "-q", "1", "-M", "100", "-t", "load/t", "-l",
            ];
            Command::new("mosquitto_pub")
                .args(mosquitto_args(r, &dev))
                .args(args)
                .stdin(std::fs::File::open(&file).expect("payload file"))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("mosquitto_pub")
        })
        .collect();
    // The subscriber reads nothing yet: its queue reaches the limit and holds the publishers.
    let deadline = Instant::now() + Duration::from_secs(60);
    while r.broker.queued_messages("slow") < LIVE_QUEUE_LIMIT {
        assert!(Instant::now() < deadline, "the queue never filled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut publishers = publishers;
    for p in &mut publishers {
        assert!(
            p.try_wait().expect("status").is_none(),
            "a publisher was not held"
        );
    }
    sub.stdin
        .take()
        .expect("stdin")
        .write_all(b"go\n")
        .expect("go");
    for p in publishers {
        let out = wait(p).await;
        assert!(out.status.success(), "mosquitto_pub: {}", text(&out));
    }
    let out = wait(sub).await;
    assert!(out.status.success(), "subscriber: {}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    let payloads: Vec<&str> = report["payloads"]
        .as_array()
        .expect("payloads")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        payloads.len(),
        PUBLISHERS * PER_PUBLISHER,
        "{}",
        report["dups"]
    );
    for p in 0..PUBLISHERS {
        let prefix = format!("p{p}-");
        let got: Vec<&str> = payloads
            .iter()
            .copied()
            .filter(|s| s.starts_with(&prefix))
            .collect();
        let want: Vec<String> = (0..PER_PUBLISHER).map(|i| format!("{prefix}{i}")).collect();
        assert!(got == want, "publisher {p}: order or content differs");
    }
    assert_eq!(report["dups"], 0);
    emu.shutdown().await;
}
