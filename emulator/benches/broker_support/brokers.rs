//! The two brokers under test. Ours is the emulator, its device certificate and an
//! allow-all IoT policy created through its control plane. rumqttd 0.20 gets TLS with
//! client-certificate verification against the emulator's CA (its `verify-client-cert`
//! feature) and a server certificate from the same CA, so one client configuration
//! serves both.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use iot_emulator::{Config, Running};

use crate::bench_util::call;
use serde_json::{json, Value};

use super::{Files, Target};

/// The policy every benchmark device has: everything allowed, so the figures include
/// the policy checks at CONNECT, PUBLISH, SUBSCRIBE and every delivery.
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*"}]}"#;
const POLICY_NAME: &str = "bench-allow-all";

/// Our broker on a runtime of its own (two workers), apart from the load generator's.
pub struct Ours {
    runtime: tokio::runtime::Runtime,
    running: Running,
    files: tempfile::TempDir,
}

impl Ours {
    /// Starts the emulator on port 0 and provisions one device through its control plane.
    pub fn start() -> Self {
        Self::start_with(Config::for_tests())
    }

    /// [`Ours::start`] with `config` (a data dir, say).
    pub fn start_with(config: Config) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ours")
            .enable_all()
            .build()
            .expect("broker runtime");
        let running = runtime
            .block_on(iot_emulator::start(config))
            .expect("emulator started");
        let files = tempfile::tempdir().expect("temp dir");
        runtime.block_on(provision(&running, files.path()));
        Ours {
            runtime,
            running,
            files,
        }
    }

    /// The directory holding the CA, device and (for rumqttd) server files.
    pub fn files(&self) -> &Path {
        self.files.path()
    }

    /// The running emulator (the fleet-size bench fills its registry).
    #[allow(dead_code)] // used by the fleet_size bench only
    pub fn running(&self) -> &Running {
        &self.running
    }

    pub fn target(&self) -> Target {
        let ready = &self.running.ready;
        Target::from_dir(self.files(), &ready.mqtt_host, ready.mqtt_port)
    }

    pub fn shutdown(self) {
        let Ours {
            runtime, running, ..
        } = self;
        runtime.block_on(running.shutdown());
    }
}

/// CreateKeysAndCertificate, CreatePolicy and AttachPolicy over the control plane; writes
/// the device files, the emulator's CA and a server identity from that CA into `dir`.
async fn provision(running: &Running, dir: &Path) {
    let api = &running.ready.api_url;
    let http = reqwest::Client::new();
    let create = format!("{api}/keys-and-certificate?setAsActive=true");
    let cert = call(&http, "POST", &create, json!({})).await;
    let policy = json!({ "policyDocument": ALLOW_ALL });
    call(
        &http,
        "POST",
        &format!("{api}/policies/{POLICY_NAME}"),
        policy,
    )
    .await;
    let target = json!({ "target": cert["certificateArn"] });
    let attach = format!("{api}/target-policies/{POLICY_NAME}");
    call(&http, "PUT", &attach, target).await;
    write_files(running, &cert, dir);
}

fn write_files(running: &Running, cert: &Value, dir: &Path) {
    let files = Files::in_dir(dir);
    let text = |v: &Value| v.as_str().expect("string field").to_string();
    let write = |p: &Path, s: &str| std::fs::write(p, s).expect("write bench file");
    write(&files.device_cert, &text(&cert["certificatePem"]));
    write(&files.device_key, &text(&cert["keyPair"]["PrivateKey"]));
    let ca = std::fs::read_to_string(&running.ready.root_ca_path).expect("root CA");
    write(&files.ca, &ca);
    let emulator = &running.emulator;
    let hosts = iot_emulator::tls::server_hosts(emulator);
    let server = emulator
        .pki
        .ca
        .server_identity(&hosts)
        .expect("server identity");
    write(
        &files.server_cert,
        &format!("{}{ca}", server.cert_chain_pem),
    );
    write(&files.server_key, &server.key_pem);
}

/// Starts rumqttd 0.20 with a v4 (MQTT 3.1.1) TLS listener on a free loopback port, with
/// the files in `dir`. rumqttd binds the address itself and never reports it, so port 0
/// can't be used: a port is taken from the OS, released and handed over. rumqttd has no
/// shutdown; it lives until the process exits.
pub fn start_rumqttd(dir: &Path) -> Target {
    let listen = free_port();
    let config = rumqttd_config(dir, listen);
    std::thread::Builder::new()
        .name("rumqttd".into())
        .spawn(move || {
            let mut broker = rumqttd::Broker::new(config);
            if let Err(e) = broker.start() {
                eprintln!("rumqttd stopped: {e}");
            }
        })
        .expect("rumqttd thread");
    wait_listening(listen);
    Target::from_dir(dir, &listen.ip().to_string(), listen.port())
}

fn rumqttd_config(dir: &Path, listen: SocketAddr) -> rumqttd::Config {
    let files = Files::in_dir(dir);
    let path = |p: &Path| p.display().to_string();
    let server = rumqttd::ServerSettings {
        name: "bench-v4".into(),
        listen,
        tls: Some(rumqttd::TlsConfig::Rustls {
            capath: Some(path(&files.ca)),
            certpath: path(&files.server_cert),
            keypath: path(&files.server_key),
        }),
        // The sample configuration waits 1 ms between accepts; no delay here.
        next_connection_delay_ms: 0,
        connections: rumqttd::ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: 131_072,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    // Router settings from rumqttd's sample rumqttd.toml.
    let router = rumqttd::RouterConfig {
        max_connections: 10_010,
        max_outgoing_packet_count: 200,
        max_segment_size: 104_857_600,
        max_segment_count: 10,
        ..Default::default()
    };
    rumqttd::Config {
        router,
        v4: Some(HashMap::from([("1".to_string(), server)])),
        ..Default::default()
    }
}

fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("free port");
    listener.local_addr().expect("local address")
}

/// Polls until something accepts on `addr` (a plain TCP connect, closed at once).
fn wait_listening(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "rumqttd never listened on {addr}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
