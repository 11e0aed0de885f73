//! Fleet provisioning throughput and latency: complete flows per second, each flow being
//! what a device does (connect with the claim certificate, CreateKeysAndCertificate or
//! CreateCertificateFromCsr, RegisterThing, disconnect, connect with the new certificate),
//! with p50 and p99 per flow, for one device at a time (the round trips a device waits
//! for) and for 50 at once. rumqttc (MQTT 3.1.1 over TLS with client certificates, with
//! TCP_NODELAY as the client crate sets it) drives an emulator started here, in the
//! default mode and with `--seed` (whose keys derive from the seed). Prints figures;
//! asserts nothing.
//!
//! Run: `cargo bench -p iot-emulator --bench provisioning`

mod bench_util;

use std::sync::Arc;
use std::time::{Duration, Instant};

use iot_emulator::{Config, Running};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use bench_util::{call, client_tls};

/// Flows per row, and how many devices run them at once in each row.
const FLOWS: usize = 100;
const DEVICES: [usize; 2] = [1, 50];
const TEMPLATE: &str = "BenchTemplate";
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}"#;
const STEP: Duration = Duration::from_secs(60);

/// What every flow shares: the broker address, the CA and the claim's TLS identity.
struct Bench {
    host: String,
    port: u16,
    ca: String,
    claim: Arc<rustls::ClientConfig>,
}

/// A CSR and its key, made before the clock starts.
struct Csr {
    pem: String,
    key: String,
}

#[tokio::main]
async fn main() {
    println!(
        "fleet provisioning benchmark: {} cores; {FLOWS} flows per row; MQTT 3.1.1 over TLS \
         with client certificates",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<16} {:<26} {:>7} {:>8} {:>9} {:>9} {:>9}",
        "mode", "flow", "devices", "flows/s", "p50 ms", "p99 ms", "failed"
    );
    for (label, seed) in [("default", None), ("--seed 7", Some(7))] {
        let mut config = Config::for_tests();
        config.seed = seed;
        let running = iot_emulator::start(config).await.expect("start");
        let bench = Arc::new(setup(&running).await);
        for (csr, devices) in [false, true]
            .into_iter()
            .flat_map(|c| DEVICES.map(|d| (c, d)))
        {
            let name = if csr {
                "CreateCertificateFromCsr"
            } else {
                "CreateKeysAndCertificate"
            };
            let (rate, mut latencies, failed) = run_row(&bench, csr, label, devices).await;
            latencies.sort();
            println!(
                "{label:<16} {name:<26} {devices:>7} {rate:>8.1} {:>9.1} {:>9.1} {failed:>9}",
                percentile(&latencies, 0.50),
                percentile(&latencies, 0.99)
            );
        }
        running.shutdown().await;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

/// Runs [`FLOWS`] flows on `devices` tasks; returns flows/s, the latencies, failures.
async fn run_row(
    bench: &Arc<Bench>,
    csr: bool,
    label: &str,
    devices: usize,
) -> (f64, Vec<Duration>, usize) {
    let tag = format!(
        "{}-{}-{devices}",
        label.replace([' ', '-'], ""),
        u8::from(csr)
    );
    let csrs: Vec<Option<Csr>> = (0..FLOWS)
        .map(|i| csr.then(|| make_csr(&format!("bench-{tag}-{i}"))))
        .collect();
    let work = Arc::new(std::sync::Mutex::new(csrs.into_iter().enumerate()));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..devices {
        let (bench, work, tag) = (bench.clone(), work.clone(), tag.clone());
        tasks.push(tokio::spawn(async move {
            let mut results = Vec::new();
            loop {
                let next = work.lock().expect("work").next();
                let Some((i, csr)) = next else { break };
                let thing = format!("bench-{tag}-{i}");
                results.push(flow(&bench, &thing, csr.as_ref()).await);
            }
            results
        }));
    }
    let mut latencies = Vec::new();
    let mut failed = 0;
    for task in tasks {
        for result in task.await.expect("device task") {
            match result {
                Ok(d) => latencies.push(d),
                Err(e) => {
                    failed += 1;
                    eprintln!("flow failed: {e}");
                }
            }
        }
    }
    let rate = latencies.len() as f64 / start.elapsed().as_secs_f64();
    (rate, latencies, failed)
}

fn make_csr(cn: &str) -> Csr {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, cn);
    let pem = params.serialize_request(&key).expect("csr").pem();
    Csr {
        pem: pem.expect("csr pem"),
        key: key.serialize_pem(),
    }
}

/// One device, start to finish.
async fn flow(bench: &Bench, thing: &str, csr: Option<&Csr>) -> Result<Duration, String> {
    let start = Instant::now();
    let (client, mut inbox) = connect(bench, bench.claim.clone(), &format!("claim-{thing}"));
    let (create, body) = match csr {
        Some(c) => (
            "$aws/certificates/create-from-csr/json",
            json!({"certificateSigningRequest": c.pem}),
        ),
        None => ("$aws/certificates/create/json", json!({})),
    };
    let provision = format!("$aws/provisioning-templates/{TEMPLATE}/provision/json");
    for topic in [create, provision.as_str()] {
        for suffix in ["accepted", "rejected"] {
            let filter = format!("{topic}/{suffix}");
            client
                .subscribe(filter, QoS::AtLeastOnce)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    let created = request(&client, &mut inbox, create, &body).await?;
    let token = &created["certificateOwnershipToken"];
    let register = json!({"certificateOwnershipToken": token,
                          "parameters": {"ThingName": thing}});
    request(&client, &mut inbox, &provision, &register).await?;
    let _ = client.disconnect().await;
    let key = match csr {
        Some(c) => c.key.clone(),
        None => text(&created["privateKey"])?,
    };
    let device = client_tls(&bench.ca, &text(&created["certificatePem"])?, &key);
    let (client, mut inbox) = connect(bench, device, thing);
    // The first thing the device's event loop reports is its CONNACK, or the error.
    let first = tokio::time::timeout(STEP, inbox.recv()).await;
    let _ = client.disconnect().await;
    match first {
        Ok(Some(Incoming::ConnAck)) => Ok(start.elapsed()),
        Ok(Some(Incoming::Error(e))) => Err(format!("device connect: {e}")),
        other => Err(format!("device connect: {other:?}")),
    }
}

fn text(v: &Value) -> Result<String, String> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("not a string: {v}"))
}

/// Publishes `body` on `topic` and waits for its reply; a rejection is an error.
async fn request(
    client: &AsyncClient,
    inbox: &mut mpsc::UnboundedReceiver<Incoming>,
    topic: &str,
    body: &Value,
) -> Result<Value, String> {
    let payload = body.to_string();
    client
        .publish(topic, QoS::AtLeastOnce, false, payload)
        .await
        .map_err(|e| e.to_string())?;
    loop {
        match tokio::time::timeout(STEP, inbox.recv()).await {
            Ok(Some(Incoming::Publish(t, v))) if t == format!("{topic}/accepted") => return Ok(v),
            Ok(Some(Incoming::Publish(t, v))) if t == format!("{topic}/rejected") => {
                return Err(format!("{topic} rejected: {v}"))
            }
            Ok(Some(Incoming::ConnAck | Incoming::Publish(..))) => {}
            Ok(Some(Incoming::Error(e))) => return Err(format!("{topic}: {e}")),
            other => return Err(format!("{topic}: {other:?}")),
        }
    }
}

/// What a connection's event loop hands the flow.
#[derive(Debug)]
enum Incoming {
    ConnAck,
    Publish(String, Value),
    Error(String),
}

/// Starts an MQTT connection; its event loop runs in a task until it fails or ends.
fn connect(
    bench: &Bench,
    tls: Arc<rustls::ClientConfig>,
    client_id: &str,
) -> (AsyncClient, mpsc::UnboundedReceiver<Incoming>) {
    let mut options = MqttOptions::new(client_id, &bench.host, bench.port);
    options.set_transport(Transport::Tls(TlsConfiguration::Rustls(tls)));
    options.set_keep_alive(Duration::from_secs(60));
    let (client, mut events) = AsyncClient::new(options, 16);
    // A device with Nagle on waits out the broker's delayed ACK (about 40 ms) once per
    // flow, when it sends its next request right behind a PUBACK.
    let mut network = events.network_options();
    network.set_tcp_nodelay(true);
    events.set_network_options(network);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let incoming = match events.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => Incoming::ConnAck,
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let body = serde_json::from_slice(&p.payload).unwrap_or(Value::Null);
                    Incoming::Publish(p.topic, body)
                }
                Ok(_) => continue,
                Err(e) => Incoming::Error(e.to_string()),
            };
            let stop = matches!(incoming, Incoming::Error(_));
            if tx.send(incoming).is_err() || stop {
                break;
            }
        }
    });
    (client, rx)
}

/// Through the control plane: an ACTIVE claim with an allow-all policy, the device
/// policy and an enabled template naming the thing after the `ThingName` parameter.
async fn setup(running: &Running) -> Bench {
    let api = &running.ready.api_url;
    let http = reqwest::Client::new();
    let claim = call(
        &http,
        "POST",
        &format!("{api}/keys-and-certificate?setAsActive=true"),
        json!({}),
    )
    .await;
    let policy = json!({"policyDocument": ALLOW_ALL});
    call(
        &http,
        "POST",
        &format!("{api}/policies/BenchAllowAll"),
        policy,
    )
    .await;
    let target = json!({"target": claim["certificateArn"]});
    call(
        &http,
        "PUT",
        &format!("{api}/target-policies/BenchAllowAll"),
        target,
    )
    .await;
    let body = json!({
        "Parameters": {"ThingName": {"Type": "String"},
                       "AWS::IoT::Certificate::Id": {"Type": "String"}},
        "Resources": {
            "thing": {"Type": "AWS::IoT::Thing",
                      "Properties": {"ThingName": {"Ref": "ThingName"}}},
            "certificate": {"Type": "AWS::IoT::Certificate",
                            "Properties": {"CertificateId": {"Ref": "AWS::IoT::Certificate::Id"},
                                           "Status": "ACTIVE"}},
            "policy": {"Type": "AWS::IoT::Policy", "Properties": {"PolicyName": "BenchAllowAll"}},
        },
    });
    let template = json!({"templateName": TEMPLATE, "templateBody": body.to_string(), "enabled": true,
                          "provisioningRoleArn": "arn:aws:iam::123456789012:role/Provisioning"});
    call(
        &http,
        "POST",
        &format!("{api}/provisioning-templates"),
        template,
    )
    .await;
    let ca = std::fs::read_to_string(&running.ready.root_ca_path).expect("root CA");
    let cert = claim["certificatePem"].as_str().expect("pem");
    let key = claim["keyPair"]["PrivateKey"].as_str().expect("key");
    Bench {
        host: running.ready.mqtt_host.clone(),
        port: running.ready.mqtt_port,
        claim: client_tls(&ca, cert, key),
        ca,
    }
}
