//! Device shadows under load: 100 devices (rumqttc, MQTT 3.1.1 over mutual TLS), each
//! updating the desired state of its own thing's classic shadow over MQTT and waiting
//! for the delta, concurrently, for a fixed window. Prints shadow updates per second and
//! the update-to-delta latency (median and p99). The per-thing rate limit is lifted, so
//! the figures are the emulator's, not AWS's 20 updates/s per thing. Asserts nothing.
//!
//! Run: `cargo bench -p iot-emulator --bench shadows`

mod bench_util;
// Only the emulator starter and the connect helper are used here.
#[allow(dead_code)]
mod broker_support;

use std::time::{Duration, Instant};

use broker_support::brokers::Ours;
use broker_support::{load, Target};
use rumqttc::{AsyncClient, Event, Incoming, QoS};
use tokio::sync::mpsc;

const DEVICES: usize = 100;
/// How long every device keeps updating.
const WINDOW: Duration = Duration::from_secs(3);

fn main() {
    let ours = Ours::start();
    ours.running().emulator.shadows.set_updates_per_second(0);
    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("load runtime");
    load.block_on(run(&ours.target()));
    ours.shutdown();
}

async fn run(target: &Target) {
    let mut devices = Vec::new();
    for i in 0..DEVICES {
        devices.push(device(target, i).await);
    }
    let start = Instant::now();
    let tasks: Vec<_> = devices
        .into_iter()
        .map(|(client, deltas, thing)| tokio::spawn(update_loop(client, deltas, thing)))
        .collect();
    let mut samples = Vec::new();
    for task in tasks {
        samples.extend(task.await.expect("device task"));
    }
    let secs = start.elapsed().as_secs_f64();
    samples.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        samples
            .get(((samples.len() as f64 * q) as usize).min(samples.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "shadow benchmark: {DEVICES} devices, MQTT 3.1.1 QoS 1 over TLS, each updating its own \
         shadow's desired state and waiting for the delta, window {WINDOW:?}"
    );
    println!(
        "{:<40} {:>10.0} updates/s",
        "shadow updates (delta received)",
        samples.len() as f64 / secs
    );
    println!(
        "{:<40} {:>10.0} us",
        "update -> delta latency, median",
        pick(0.5)
    );
    println!(
        "{:<40} {:>10.0} us",
        "update -> delta latency, p99",
        pick(0.99)
    );
}

/// A connected device subscribed to its shadow's delta; arrivals come out of the channel.
async fn device(
    target: &Target,
    i: usize,
) -> (AsyncClient, mpsc::UnboundedReceiver<Instant>, String) {
    let thing = format!("bench-shadow-{i:03}");
    let (client, mut eventloop) = load::connect(target, &thing)
        .await
        .expect("device connects");
    let filter = format!("$aws/things/{thing}/shadow/update/delta");
    client
        .subscribe(&filter, QoS::AtLeastOnce)
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
                Event::Incoming(Incoming::Publish(_)) if tx.send(Instant::now()).is_err() => return,
                _ => {}
            }
        }
    });
    let _ = subscribed.await;
    (client, rx, thing)
}

/// Updates desired until the window closes, one at a time; the latency of each in µs.
async fn update_loop(
    client: AsyncClient,
    mut deltas: mpsc::UnboundedReceiver<Instant>,
    thing: String,
) -> Vec<f64> {
    let topic = format!("$aws/things/{thing}/shadow/update");
    let start = Instant::now();
    let mut samples = Vec::new();
    let mut n = 0u64;
    while start.elapsed() < WINDOW {
        n += 1;
        let payload = format!(
            r#"{{"state":{{"desired":{{"n":{n},"mode":"bench"}}}},"clientToken":"{thing}-{n}"}}"#
        );
        let sent = Instant::now();
        client
            .publish(&topic, QoS::AtLeastOnce, false, payload)
            .await
            .expect("publish");
        match tokio::time::timeout(Duration::from_secs(10), deltas.recv()).await {
            Ok(Some(at)) => samples.push(at.duration_since(sent).as_secs_f64() * 1e6),
            _ => break,
        }
    }
    samples
}
