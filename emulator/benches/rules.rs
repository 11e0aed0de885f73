//! Topic rules on the broker's path: messages per second delivered through a rule with a
//! republish action, and the latency a rule adds per message, each against the same
//! publish with no rule (delivered straight to a subscriber). rumqttc (MQTT 3.1.1, QoS 1)
//! over mutual TLS drives our broker. Prints figures; asserts nothing.
//!
//! Run: `cargo bench -p iot-emulator --bench rules`

mod bench_util;
// Only the emulator starter and the connect helper are used here.
#[allow(dead_code)]
mod broker_support;

use std::time::{Duration, Instant};

use broker_support::brokers::Ours;
use broker_support::{load, Target};
use rumqttc::{AsyncClient, Event, Incoming, QoS};
use tokio::sync::mpsc;

/// How long the publisher publishes in a throughput row.
const WINDOW: Duration = Duration::from_secs(2);
/// Round trips per latency row.
const ROUND_TRIPS: usize = 200;
const PAYLOAD: &[u8] = br#"{"temp":21,"device":"bench-device-0001","ok":true}"#;

fn main() {
    let ours = Ours::start();
    let payload = serde_json::json!({
        "sql": "SELECT * FROM 'bench/rule/+'",
        "actions": [{"republish": {"roleArn": "arn:aws:iam::123456789012:role/bench",
                                    "topic": "bench/out", "qos": 1}}],
    });
    let payload = serde_json::from_value(payload).expect("rule payload");
    iot_emulator::rules::create(
        &ours.running().emulator.registry,
        "bench_republish",
        payload,
        vec![],
    )
    .expect("rule created");
    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("load runtime");
    load.block_on(run(&ours.target()));
    let dropped = ours.running().rules.dropped();
    println!("messages the rules engine's queue dropped: {dropped}");
    ours.shutdown();
}

async fn run(target: &Target) {
    println!(
        "rules benchmark: {PAYLOAD_LEN}-byte JSON payloads, QoS 1, window {WINDOW:?}",
        PAYLOAD_LEN = PAYLOAD.len()
    );
    println!("{:<44} {:>12} {:>12}", "row", "no rule", "via rule");
    let direct = throughput(target, "bench/in/x", "bench/in/+", "d").await;
    let ruled = throughput(target, "bench/rule/x", "bench/out", "r").await;
    println!(
        "{:<44} {direct:>8.0} msg/s {ruled:>6.0} msg/s",
        "delivered, 1 publisher -> 1 subscriber"
    );
    let direct = latency(target, "bench/in/y", "bench/in/+", "ld").await;
    let ruled = latency(target, "bench/rule/y", "bench/out", "lr").await;
    println!(
        "{:<44} {:>9.0} us {:>9.0} us",
        "median publish -> delivery latency", direct, ruled
    );
    println!(
        "added by the rule per message: {:.0} us (median)",
        ruled - direct
    );
}

/// A subscriber on `filter` whose arrivals come out of the returned channel.
async fn subscriber(
    target: &Target,
    filter: &str,
    id: &str,
) -> (AsyncClient, mpsc::UnboundedReceiver<Instant>) {
    let (client, mut eventloop) = load::connect(target, id)
        .await
        .expect("subscriber connects");
    client
        .subscribe(filter, QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    let (tx, rx) = mpsc::unbounded_channel();
    let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut subscribed_tx = Some(subscribed_tx);
        while let Ok(event) = eventloop.poll().await {
            match event {
                Event::Incoming(Incoming::SubAck(_)) => {
                    if let Some(s) = subscribed_tx.take() {
                        let _ = s.send(());
                    }
                }
                Event::Incoming(Incoming::Publish(_)) if tx.send(Instant::now()).is_err() => {
                    return;
                }
                _ => {}
            }
        }
    });
    let _ = subscribed.await;
    (client, rx)
}

/// A connected publisher whose event loop runs in a task.
async fn publisher(target: &Target, id: &str) -> AsyncClient {
    let (client, mut eventloop) = load::connect(target, id).await.expect("publisher connects");
    tokio::spawn(async move { while eventloop.poll().await.is_ok() {} });
    client
}

/// Delivered messages per second while one publisher publishes as fast as QoS 1 allows.
async fn throughput(target: &Target, topic: &str, filter: &str, tag: &str) -> f64 {
    let (_sub, mut arrivals) = subscriber(target, filter, &format!("rules-sub-{tag}")).await;
    let client = publisher(target, &format!("rules-pub-{tag}")).await;
    let start = Instant::now();
    let mut sent = 0usize;
    while start.elapsed() < WINDOW {
        client
            .publish(topic, QoS::AtLeastOnce, false, PAYLOAD)
            .await
            .expect("publish");
        sent += 1;
    }
    let (mut got, mut last) = (0usize, start);
    while got < sent {
        match tokio::time::timeout(Duration::from_secs(5), arrivals.recv()).await {
            Ok(Some(at)) => {
                got += 1;
                last = at;
            }
            _ => break,
        }
    }
    got as f64 / last.duration_since(start).as_secs_f64().max(1e-9)
}

/// The median time from handing a publish to the client to its delivery, one at a time.
async fn latency(target: &Target, topic: &str, filter: &str, tag: &str) -> f64 {
    let (_sub, mut arrivals) = subscriber(target, filter, &format!("rules-sub-{tag}")).await;
    let client = publisher(target, &format!("rules-pub-{tag}")).await;
    let mut samples = Vec::with_capacity(ROUND_TRIPS);
    for _ in 0..ROUND_TRIPS {
        let sent = Instant::now();
        client
            .publish(topic, QoS::AtLeastOnce, false, PAYLOAD)
            .await
            .expect("publish");
        match tokio::time::timeout(Duration::from_secs(5), arrivals.recv()).await {
            Ok(Some(at)) => samples.push(at.duration_since(sent).as_secs_f64() * 1e6),
            _ => break,
        }
    }
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}
