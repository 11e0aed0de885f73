//! Broker speed against registry size: QoS 1 fan-out and TLS connects per second with an
//! empty registry, then again after 10,000 things, certificates and policy attachments
//! are registered, side by side with their ratio (issue 17's fleet-size target: within
//! 10%). The same emulator serves both columns. Prints figures; asserts nothing.
//!
//! Run: `cargo bench -p iot-emulator --bench fleet_size`
//! (`FLEET_SIZE=<n>` changes the fleet.)

mod bench_util;
// Shared with the broker bench; the rumqttd peer and the memory probe go unused here.
#[allow(dead_code)]
mod broker_support;

use std::time::{Duration, Instant};

use broker_support::brokers::Ours;
use broker_support::load::{self, Rates};
use broker_support::Target;
use iot_emulator::registry::certificate::{CertStatus, Certificate, CertificateMode};
use iot_emulator::registry::Registry;
use rumqttc::QoS;

const FLEET: usize = 10_000;
/// The policy every fleet certificate has attached, as a provisioning template does.
const FLEET_POLICY: &str = "fleet-device-policy";
const FLEET_DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}"}]}"#;

fn main() {
    let fleet = std::env::var("FLEET_SIZE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(FLEET);
    let ours = Ours::start();
    let target = ours.target();
    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("load")
        .enable_all()
        .build()
        .expect("load runtime");
    // Let the key pool's start-up work finish (see the broker bench).
    std::thread::sleep(Duration::from_secs(2));
    println!(
        "fleet-size benchmark: {} cores; window {:?} per row; MQTT 3.1.1 over TLS; the \
         bench device's client id is not a thing name",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load::WINDOW,
    );
    let empty = load.block_on(rows(&target, "empty"));
    let started = Instant::now();
    register_fleet(&ours.running().emulator.registry, fleet);
    println!(
        "registered {fleet} things, certificates and policy attachments in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let full = load.block_on(rows(&target, "fleet"));
    println!(
        "{:<34} {:>14} {:>14} {:>9}",
        "row",
        "empty",
        format!("{fleet} things"),
        "ratio"
    );
    for ((label, unit, a), (_, _, b)) in empty.iter().zip(&full) {
        print_row(label, unit, a, b);
    }
    ours.shutdown();
}

/// The measured rows, in order: `(label, unit, rates)`.
async fn rows(target: &Target, tag: &str) -> Vec<(String, &'static str, Rates)> {
    let mut out = Vec::new();
    for n in [10, 50] {
        let rates = load::fan_out(target, QoS::AtLeastOnce, n, &format!("{tag}-q1n{n}")).await;
        out.push((format!("QoS 1 fan-out 1->{n} delivered"), "msg/s", rates));
    }
    for workers in [1, 4] {
        let rates = load::connects(target, workers, &format!("{tag}-c{workers}")).await;
        out.push((
            format!("TLS connects, {workers} connector(s)"),
            "conn/s",
            rates,
        ));
    }
    out
}

fn print_row(label: &str, unit: &str, empty: &Rates, full: &Rates) {
    let ratio = if empty.delivered > 0.0 {
        format!("{:.2}", full.delivered / empty.delivered)
    } else {
        "-".into()
    };
    println!(
        "{label:<34} {:>8.0} {unit:<5} {:>8.0} {unit:<5} {ratio:>9}",
        empty.delivered, full.delivered
    );
    for (name, rates) in [("empty", empty), ("fleet", full)] {
        if let Some(e) = &rates.error {
            println!("    ! {name}: {e}");
        }
    }
}

/// What a provisioning run leaves per device: a thing, an active certificate attached to
/// it exclusively, and the fleet policy attached to the certificate. The certificates are
/// stand-in records (no PEM): they never connect, they only make the registry big.
fn register_fleet(registry: &Registry, fleet: usize) {
    registry
        .create_policy(FLEET_POLICY, FLEET_DOC)
        .expect("fleet policy");
    for i in 0..fleet {
        let id = format!("{i:064x}");
        let thing = format!("fleet-device-{i}");
        insert_certificate(registry, &id);
        let arn = registry.account().cert_arn(&id);
        registry
            .create_thing(&thing, Default::default())
            .expect("fleet thing");
        registry
            .attach_thing_principal(&thing, &arn, Some("EXCLUSIVE_THING"))
            .expect("thing principal");
        registry
            .attach_policy(FLEET_POLICY, &arn)
            .expect("policy attachment");
    }
}

fn insert_certificate(registry: &Registry, id: &str) {
    let cert = Certificate {
        certificate_id: id.into(),
        certificate_pem: String::new(),
        ca_certificate_id: None,
        status: CertStatus::Active,
        owned_by: registry.account().account_id.clone(),
        creation_date_ms: 0,
        last_modified_date_ms: 0,
        customer_version: 1,
        generation_id: String::new(),
        not_before_ms: 0,
        not_after_ms: 0,
        certificate_mode: CertificateMode::Default,
        expires_at_ms: None,
        claim_template: None,
    };
    registry
        .write(|inner, tx| {
            inner.certificates.put(tx, id, cert);
            Ok(())
        })
        .expect("fleet certificate");
}
