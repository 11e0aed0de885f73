//! Persistent sessions: QoS 1 messages per second published to a subscriber whose
//! persistent session is offline (every message stored before its PUBACK), in memory and
//! with `--data-dir` (each PUBACK after the message is on disk, PUBLISH packets sharing
//! group commits), by one and by four publishers; then how many of them the subscriber
//! gets when it comes back. Prints figures; asserts nothing. rumqttd is not a peer here:
//! it keeps no session on disk.
//!
//! Run: `cargo bench -p iot-emulator --bench sessions`

mod bench_util;
// Shared with the broker bench; the rumqttd peer and the memory probe go unused here.
#[allow(dead_code)]
mod broker_support;

use std::time::{Duration, Instant};

use broker_support::brokers::Ours;
use broker_support::Target;
use iot_emulator::Config;
use rumqttc::{AsyncClient, Event, EventLoop, Incoming, QoS};

/// Messages per row (split between the publishers).
const MESSAGES: usize = 4_000;
const TOPIC: &str = "bench/persistent";
const SUBSCRIBER: &str = "bench-offline-subscriber";

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut durable = Config::for_tests();
    durable.in_memory = false;
    durable.data_dir = Some(dir.path().to_path_buf());
    println!(
        "persistent-session benchmark: {} cores; {MESSAGES} QoS 1 messages of 64 bytes per \
         row to one offline persistent session; MQTT 3.1.1 over TLS, 100 in flight per publisher",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    println!(
        "{:<44} {:>12} {:>22}",
        "row", "msgs/s", "delivered on return"
    );
    for (label, config) in [("in memory", Config::for_tests()), ("data dir", durable)] {
        let ours = Ours::start_with(config);
        let target = ours.target();
        let load = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("load runtime");
        for publishers in [1, 4] {
            let (rate, delivered) = load.block_on(row(&target, publishers));
            let name = format!("{label}, {publishers} publisher(s)");
            println!("{name:<44} {rate:>12.0} {delivered:>15}/{MESSAGES}");
        }
        drop(load);
        ours.shutdown();
    }
}

/// One row: the subscriber's session made and left offline, the messages published and
/// acknowledged (timed), then the subscriber back to collect them.
async fn row(target: &Target, publishers: usize) -> (f64, usize) {
    let (client, eventloop) = session(target);
    client
        .subscribe(TOPIC, QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    until(eventloop, |e| matches!(e, Incoming::SubAck(_)), 1).await;
    let start = Instant::now();
    let per = MESSAGES / publishers;
    let tasks: Vec<_> = (0..publishers)
        .map(|p| tokio::spawn(publish(target.clone(), p, per)))
        .collect();
    for task in tasks {
        task.await.expect("publisher");
    }
    let rate = (per * publishers) as f64 / start.elapsed().as_secs_f64();
    let (_client, eventloop) = session(target);
    let delivered = until(eventloop, |e| matches!(e, Incoming::Publish(_)), MESSAGES).await;
    (rate, delivered)
}

/// The subscriber's persistent session (clean session off).
fn session(target: &Target) -> (AsyncClient, EventLoop) {
    let mut options = target.options(SUBSCRIBER);
    options.set_clean_session(false);
    AsyncClient::new(options, 100)
}

/// Publishes `count` QoS 1 messages and returns once every one is acknowledged.
async fn publish(target: Target, index: usize, count: usize) {
    let (client, eventloop) = AsyncClient::new(target.options(&format!("bench-pub-{index}")), 100);
    let acks = tokio::spawn(until(
        eventloop,
        |e| matches!(e, Incoming::PubAck(_)),
        count,
    ));
    for _ in 0..count {
        let payload = vec![b'x'; 64];
        client
            .publish(TOPIC, QoS::AtLeastOnce, false, payload)
            .await
            .expect("publish");
    }
    acks.await.expect("acks");
    let _ = client.disconnect().await;
}

/// Polls `eventloop` until `want` incoming packets match (or 30 s pass without one), then
/// drops the connection; returns how many matched.
async fn until(mut eventloop: EventLoop, is: fn(&Incoming) -> bool, want: usize) -> usize {
    let mut seen = 0;
    while seen < want {
        match tokio::time::timeout(Duration::from_secs(30), eventloop.poll()).await {
            Ok(Ok(Event::Incoming(packet))) if is(&packet) => seen += 1,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                eprintln!("client error: {e}");
                break;
            }
            Err(_) => break,
        }
    }
    seen
}
