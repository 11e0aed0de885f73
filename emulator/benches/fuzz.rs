//! `fuzz-template` throughput: offline cases per second on one core (generating parameter
//! maps from a template, and evaluating them with the template engine plus a dry-run apply
//! to the in-memory registry, separately and together), then live cases per second through
//! an emulator started here (each case a CreateCertificateFromCsr and a RegisterThing over
//! MQTT, plus the clean-up of what it provisioned), one connection and eight. Field note
//! 004's template. Prints figures; asserts nothing.
//!
//! Run: `cargo bench -p iot-emulator --bench fuzz`. `FUZZ_BENCH_CASES=N` changes the offline
//! case count and `FUZZ_BENCH_LIVE=0` skips the live rows (for callgrind, which counts
//! instructions where wall time on a shared machine does not).

use std::time::{Duration, Instant};

use iot_emulator::fuzz::{self, empty_registry, Generators, Offline, Options, Parameters};
use iot_emulator::provisioning::template::Template;
use iot_emulator::Config;

const OFFLINE_CASES: u64 = 200_000;

fn offline_cases() -> u64 {
    std::env::var("FUZZ_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(OFFLINE_CASES)
}
const LIVE_CASES: u64 = 200;

const TEMPLATE_004: &str = r#"{
  "Parameters": {"DeviceLocation": {"Type": "String"}, "AWS::IoT::Certificate::Id": {"Type": "String"},
                 "SerialNumber": {"Type": "String"}},
  "Mappings": {"LocationTable": {"Seattle": {"LocationUrl": "https://example.aws"}}},
  "Resources": {
    "thing": {"Type": "AWS::IoT::Thing",
      "Properties": {"ThingName": {"Fn::Join": ["", ["ThingPrefix_", {"Ref": "SerialNumber"}]]},
                     "AttributePayload": {"version": "v1", "serialNumber": "serialNumber"}},
      "OverrideSettings": {"AttributePayload": "MERGE", "ThingTypeName": "REPLACE", "ThingGroups": "DO_NOTHING"}},
    "certificate": {"Type": "AWS::IoT::Certificate",
      "Properties": {"CertificateId": {"Ref": "AWS::IoT::Certificate::Id"}, "Status": "Active"}},
    "policy": {"Type": "AWS::IoT::Policy", "Properties": {"PolicyDocument": {"Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Action": ["iot:Connect"], "Resource": "*"}]}}}
  },
  "DeviceConfiguration": {"LocationUrl": {"Fn::FindInMap": ["LocationTable", {"Ref": "DeviceLocation"}, "LocationUrl"]}}
}"#;

fn per_second(n: u64, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64()
}

fn offline(template: &Template) {
    let gens = Generators::new(template);
    let n = offline_cases();
    let options = Options {
        cases: n,
        seed: 1,
        ..Options::default()
    };
    let started = Instant::now();
    let all: Vec<Parameters> = fuzz::cases(&gens, &options).collect();
    let generated = started.elapsed();
    let offline = Offline::new(template.clone(), empty_registry(), None);
    let started = Instant::now();
    let mut passed = 0u64;
    for p in &all {
        passed += u64::from(offline.evaluate(p).plan().is_some());
    }
    let evaluated = started.elapsed();
    let started = Instant::now();
    let report = fuzz::run_offline(&offline, &options, &mut |_| {});
    let whole = started.elapsed();
    println!(
        "{:<44} {:>12.0}",
        "generate (cases/s)",
        per_second(n, generated)
    );
    println!(
        "{:<44} {:>12.0}",
        "evaluate + dry-run apply (cases/s)",
        per_second(n, evaluated)
    );
    println!(
        "{:<44} {:>12.0}   ({} classes, pass rate {:.1}%, {passed} passed)",
        "whole offline run, shrinking included (cases/s)",
        per_second(n, whole),
        report.classes.len(),
        report.pass_rate * 100.0
    );
}

async fn live(template: &Template) {
    let running = iot_emulator::start(Config::for_tests())
        .await
        .expect("start");
    let ready = &running.ready;
    let ca_pem = std::fs::read_to_string(&ready.root_ca_path).expect("root CA");
    for concurrency in [1usize, 8] {
        let target = fuzz::LiveTarget {
            api: fuzz::Api::new(&ready.api_url).expect("api url"),
            mqtt_host: ready.mqtt_host.clone(),
            mqtt_port: ready.mqtt_port,
            ca_pem: ca_pem.clone(),
            template_name: None,
            template_body: TEMPLATE_004.to_string(),
            report_name: "004".into(),
            hook_arn: None,
            concurrency,
        };
        let options = Options {
            cases: LIVE_CASES,
            seed: concurrency as u64,
            ..Options::default()
        };
        let started = Instant::now();
        let report = fuzz::run_live(
            &target,
            template.clone(),
            empty_registry(),
            &options,
            Box::new(|_| {}),
        )
        .await
        .expect("live run");
        let elapsed = started.elapsed();
        println!(
            "{:<44} {:>12.1}   ({} classes, all confirmed: {})",
            format!("live, {concurrency} connection(s) (cases/s)"),
            per_second(report.cases, elapsed),
            report.classes.len(),
            report.classes.iter().all(|c| c.confirmed == Some(true))
        );
    }
    running.shutdown().await;
}

#[tokio::main]
async fn main() {
    println!(
        "fuzz-template benchmark: {} cores; field note 004's template; {} offline cases on one \
         thread, {LIVE_CASES} live cases per row",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        offline_cases()
    );
    let template = Template::parse(TEMPLATE_004).expect("template");
    let t = template.clone();
    tokio::task::spawn_blocking(move || offline(&t))
        .await
        .expect("offline");
    if std::env::var("FUZZ_BENCH_LIVE").as_deref() != Ok("0") {
        live(&template).await;
    }
}
