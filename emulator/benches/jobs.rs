//! Jobs at fleet scale: the rollout time of a job to 1,000 things (from the CreateJob
//! request to the last device's `notify-next`) and executions completed per second (each
//! device publishes `start-next`, then `<jobId>/update` SUCCEEDED on its accepted reply).
//! 1,000 rumqttc clients (MQTT 3.1.1 over mutual TLS, one certificate with an allow-all
//! policy) stand in for the devices. Prints figures; asserts nothing.
//!
//! Run: `cargo bench -p iot-emulator --bench jobs`

mod bench_util;
// Only the emulator starter and the connect helper are used here.
#[allow(dead_code)]
mod broker_support;

use std::time::{Duration, Instant};

use broker_support::brokers::Ours;
use broker_support::{load, Target};
use iot_emulator::registry::thing_group_members::MembershipInput;
use rumqttc::{AsyncClient, Event, Incoming, QoS};
use serde_json::{json, Value};
use tokio::sync::mpsc;

const THINGS: usize = 1_000;
const GROUP: &str = "bench-fleet";
/// Devices connecting at once while the fleet comes up.
const CONNECTING: usize = 50;

fn thing(i: usize) -> String {
    format!("bench-thing-{i:04}")
}

fn main() {
    let ours = Ours::start();
    let registry = &ours.running().emulator.registry;
    registry
        .create_thing_group(GROUP, None, None)
        .expect("group");
    for i in 0..THINGS {
        registry
            .create_thing(&thing(i), Default::default())
            .expect("thing");
        let membership = MembershipInput {
            thing_group_name: Some(GROUP.into()),
            thing_name: Some(thing(i)),
            ..Default::default()
        };
        registry
            .add_thing_to_thing_group(&membership)
            .expect("membership");
    }
    let group_arn = registry.account().thing_group_arn(GROUP);
    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("load runtime");
    let api = ours.running().ready.api_url.clone();
    load.block_on(run(&ours.target(), &api, &group_arn));
    ours.shutdown();
}

/// What a device's event loop reports.
enum Seen {
    Notified,
    Completed,
}

async fn run(target: &Target, api: &str, group_arn: &str) {
    println!("jobs benchmark: {THINGS} things in one thing group, one connected device each");
    let (tx, mut seen) = mpsc::unbounded_channel();
    let mut devices = Vec::new();
    for chunk in (0..THINGS).collect::<Vec<_>>().chunks(CONNECTING) {
        let mut connecting = tokio::task::JoinSet::new();
        for &i in chunk {
            let (target, tx) = (target.clone(), tx.clone());
            connecting.spawn(async move { device(&target, thing(i), tx).await });
        }
        devices.extend(connecting.join_all().await);
    }
    let http = reqwest::Client::new();
    let document = json!({"operation": "update", "version": "2.0"}).to_string();
    let body = json!({"targets": [group_arn], "document": document});
    let created = Instant::now();
    bench_util::call(&http, "PUT", &format!("{api}/jobs/bench-rollout"), body).await;
    let create_ms = created.elapsed().as_secs_f64() * 1000.0;
    wait_for(&mut seen, THINGS, |s| matches!(s, Seen::Notified)).await;
    let rollout = created.elapsed();
    println!(
        "{:<52} {create_ms:>9.1} ms",
        "CreateJob for 1,000 things (HTTP reply)"
    );
    println!(
        "{:<52} {:>9.1} ms",
        "rollout: CreateJob -> every device notified",
        rollout.as_secs_f64() * 1000.0
    );
    let started = Instant::now();
    for (client, name) in &devices {
        let topic = format!("$aws/things/{name}/jobs/start-next");
        client
            .publish(topic, QoS::AtLeastOnce, false, b"{}".to_vec())
            .await
            .expect("start-next");
    }
    wait_for(&mut seen, THINGS, |s| matches!(s, Seen::Completed)).await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{:<52} {:>9.0} /s",
        "executions completed (start-next + update SUCCEEDED)",
        THINGS as f64 / secs
    );
}

/// Waits for `n` reports matching `want` (others are ignored), 60 s at most.
async fn wait_for(seen: &mut mpsc::UnboundedReceiver<Seen>, n: usize, want: fn(&Seen) -> bool) {
    let mut count = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while count < n {
        match tokio::time::timeout_at(deadline, seen.recv()).await {
            Ok(Some(s)) if want(&s) => count += 1,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("only {count} of {n} devices reported"),
        }
    }
}

/// A connected device subscribed to its `notify-next`; its event loop answers each
/// start-next with an update to SUCCEEDED and reports what happened.
async fn device(
    target: &Target,
    name: String,
    report: mpsc::UnboundedSender<Seen>,
) -> (AsyncClient, String) {
    let (client, mut eventloop) = load::connect(target, &name).await.expect("device connects");
    let base = format!("$aws/things/{name}/jobs");
    client
        .subscribe(format!("{base}/notify-next"), QoS::AtLeastOnce)
        .await
        .expect("subscribe");
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Incoming::SubAck(_))) => break,
            Ok(_) => {}
            Err(e) => panic!("{name}: {e}"),
        }
    }
    let replies = client.clone();
    tokio::spawn(async move {
        while let Ok(event) = eventloop.poll().await {
            let Event::Incoming(Incoming::Publish(p)) = event else {
                continue;
            };
            let body: Value = serde_json::from_slice(&p.payload).unwrap_or_default();
            if p.topic.ends_with("/notify-next") && body["execution"]["status"] == "QUEUED" {
                let _ = report.send(Seen::Notified);
            } else if p.topic == format!("{base}/start-next/accepted") {
                let job = body["execution"]["jobId"].as_str().unwrap_or_default();
                let topic = format!("{base}/{job}/update");
                let update = br#"{"status":"SUCCEEDED"}"#.to_vec();
                let _ = replies.try_publish(topic, QoS::AtLeastOnce, false, update);
            } else if p.topic.ends_with("/update/accepted") {
                let _ = report.send(Seen::Completed);
            }
        }
    });
    (client, name)
}
