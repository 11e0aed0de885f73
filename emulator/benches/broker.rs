//! Broker throughput and memory, ours against rumqttd 0.20, side by side in one run:
//! QoS 0 and QoS 1 fan-out, TLS connects per second, and resident memory per idle TLS
//! connection. Both brokers run in this process with mutual TLS (our broker with its
//! device certificate registered and an allow-all IoT policy attached through the
//! control plane); rumqttc 0.25 (MQTT 3.1.1, the protocol rumqttd serves per listener)
//! drives both the same way. Prints figures; asserts nothing.
//!
//! Run: `cargo bench -p iot-emulator --bench broker`

mod bench_util;
mod broker_support;

use std::path::Path;
use std::time::Duration;

use broker_support::brokers::{start_rumqttd, Ours};
use broker_support::load::{self, Rates};
use broker_support::{memory, Target};
use rumqttc::QoS;

/// Subscriber counts of the fan-out rows.
const FAN_OUT: [usize; 3] = [1, 10, 50];
/// Concurrent connectors of the connect rows.
const CONNECTORS: [usize; 2] = [1, 4];
/// Idle connections for the memory figure.
const IDLE: usize = 500;

fn main() {
    if let Ok(kind) = std::env::var(memory::CHILD_ENV) {
        memory::child_main(&kind);
        return;
    }
    let ours = Ours::start();
    let rumqttd = start_rumqttd(ours.files());
    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("load")
        .enable_all()
        .build()
        .expect("load runtime");
    load.block_on(run(&ours.target(), &rumqttd, ours.files()));
    ours.shutdown();
}

async fn run(ours: &Target, rumqttd: &Target, files: &Path) {
    // The emulator's key pool pre-generates RSA keys on start; let it go quiet so the
    // first row isn't sharing the CPU with it (not a readiness wait: both brokers
    // already accept).
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "broker benchmark: {} cores; window {:?} per row after a warm-up; 64-byte payloads; \
         MQTT 3.1.1 over TLS with client certificates; ours with an allow-all policy attached",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load::WINDOW,
    );
    println!(
        "{:<34} {:>14} {:>14} {:>9}",
        "row", "ours", "rumqttd 0.20", "ours/rq"
    );
    for (qos, label) in [(QoS::AtMostOnce, 0), (QoS::AtLeastOnce, 1)] {
        for n in FAN_OUT {
            let tag = format!("q{label}n{n}");
            let a = load::fan_out(ours, qos, n, &format!("ours-{tag}")).await;
            let b = load::fan_out(rumqttd, qos, n, &format!("rq-{tag}")).await;
            let unit = "msg/s";
            row(
                &format!("QoS {label} fan-out 1->{n} delivered"),
                &a,
                &b,
                unit,
            );
            published(&a, &b);
        }
    }
    for workers in CONNECTORS {
        let a = load::connects(ours, workers, &format!("ours-c{workers}")).await;
        let b = load::connects(rumqttd, workers, &format!("rq-c{workers}")).await;
        row(
            &format!("TLS connects, {workers} connector(s)"),
            &a,
            &b,
            "conn/s",
        );
    }
    memory_rows(files).await;
}

/// One row: both rates, their ratio, and any client error under it.
fn row(label: &str, ours: &Rates, rumqttd: &Rates, unit: &str) {
    let ratio = if rumqttd.delivered > 0.0 {
        format!("{:.2}", ours.delivered / rumqttd.delivered)
    } else {
        "-".into()
    };
    println!(
        "{label:<34} {:>8.0} {unit:<5} {:>8.0} {unit:<5} {ratio:>9}",
        ours.delivered, rumqttd.delivered
    );
    for (name, rates) in [("ours", ours), ("rumqttd", rumqttd)] {
        if let Some(e) = &rates.error {
            println!("    ! {name}: {e}");
        }
    }
}

/// What the publisher sent in the window, and the share of all deliveries owed over the
/// whole row that arrived once the backlog drained (QoS 0 may be dropped under load).
fn published(ours: &Rates, rumqttd: &Rates) {
    let share = |r: &Rates| {
        r.arrived
            .map_or("-".into(), |a| format!("{:.1}%", 100.0 * a))
    };
    println!(
        "    published {:>8.0} msg/s, {} arrived | {:>8.0} msg/s, {} arrived",
        ours.published,
        share(ours),
        rumqttd.published,
        share(rumqttd)
    );
}

async fn memory_rows(files: &Path) {
    println!(
        "memory per idle TLS connection ({IDLE} connections; each broker alone in a child \
         process, clients in this one, so client memory is not included):"
    );
    let mut figures = Vec::new();
    for kind in ["ours", "rumqttd"] {
        match memory::measure(kind, files, IDLE).await {
            Ok(m) => {
                println!(
                    "    {kind:<8} RSS {:>7} kB -> {:>7} kB: {:>6.1} kB per connection",
                    m.before_kb,
                    m.after_kb,
                    m.per_connection_kb()
                );
                figures.push(m.per_connection_kb());
            }
            Err(e) => println!("    {kind:<8} ! {e}"),
        }
    }
    if let [a, b] = figures[..] {
        if b > 0.0 {
            println!("    ours/rumqttd: {:.2}", a / b);
        }
    }
}
