//! Wiring only: bind every listener, spawn the front ends, write the ready file, shut down.

use std::future::Future;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::bootstrap::{self, StartError};
use crate::config::Config;
use crate::state::Emulator;

/// What a started emulator tells its clients (the ready file and stdout line).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReadyInfo {
    pub api_url: String,
    pub mqtt_host: String,
    pub mqtt_port: u16,
    /// Every address the MQTT listener is bound to: `--mqtt-addr` first, then each
    /// `--mqtt-extra-addr`.
    #[serde(default)]
    pub mqtt_addrs: Vec<String>,
    pub credentials_url: String,
    pub root_ca_path: String,
    pub region: String,
    pub account_id: String,
    pub data_ats_endpoint: String,
    pub credentials_endpoint: String,
    pub data_dir: Option<String>,
}

/// A running emulator.
pub struct Running {
    /// Endpoints and paths for clients.
    pub ready: ReadyInfo,
    /// The shared state, for in-process tests.
    pub emulator: Emulator,
    /// The MQTT broker (server-side disconnects, connected clients).
    pub broker: crate::mqtt::Broker,
    /// The rules engine (where the Lambda and Logs engines are installed).
    pub rules: crate::rules::Engine,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Stops every listener and waits for the front ends to finish.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        self.emulator.pki.stop();
    }
}

async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), StartError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| StartError::Bind(addr, e))?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// The address clients should use: a wildcard bind (`0.0.0.0`, `::`) is reached over
/// loopback.
fn advertised(addr: SocketAddr) -> SocketAddr {
    if !addr.ip().is_unspecified() {
        return addr;
    }
    let loopback = match addr {
        SocketAddr::V4(_) => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        SocketAddr::V6(_) => std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
    };
    SocketAddr::new(loopback, addr.port())
}

/// Hands registry changes to the broker (cut-offs, certificate registration events).
async fn forward_registry_events(
    mut events: tokio::sync::broadcast::Receiver<crate::registry::RegistryEvent>,
    broker: crate::mqtt::Broker,
    mut shutdown: watch::Receiver<bool>,
) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        let event = tokio::select! {
            _ = shutdown.changed() => return,
            event = events.recv() => event,
        };
        match event {
            Ok(event) => broker.on_registry_event(event),
            Err(RecvError::Lagged(missed)) => tracing::warn!(missed, "registry events lagged"),
            Err(RecvError::Closed) => return,
        }
    }
}

/// Starts the emulator; returns once every listener accepts and the ready file is written.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let cfg = config.clone();
    let emulator = tokio::task::spawn_blocking(move || bootstrap::build(&cfg))
        .await
        .map_err(|e| StartError::Internal(e.to_string()))??;
    let (api, api_addr) = bind(config.api_addr).await?;
    emulator
        .lambda
        .set_endpoint(format!("http://{}", advertised(api_addr)));
    let (mqtt, mqtt_addr) = bind(config.mqtt_addr).await?;
    let mut mqtt_extra = Vec::new();
    for addr in &config.mqtt_extra_addrs {
        mqtt_extra.push(bind(*addr).await?);
    }
    let mut mqtt_addrs = vec![mqtt_addr.to_string()];
    mqtt_addrs.extend(mqtt_extra.iter().map(|(_, a)| a.to_string()));
    let (creds, creds_addr) = bind(config.credentials_addr).await?;
    let (shutdown, watch_rx) = watch::channel(false);
    let tls = crate::tls::server_config(&emulator, &[crate::tls::ALPN_MQTT])?;
    let https = crate::tls::server_config(&emulator, &[crate::tls::ALPN_HTTP1])?;
    let broker = crate::mqtt::Broker::new(emulator.clone());
    broker.install_data_plane();
    let rules = crate::rules::Engine::new(emulator.registry.clone(), emulator.data_plane.clone());
    broker.install_rules(rules.clone());
    crate::sinks::install(
        &rules,
        &emulator.lambda,
        &emulator.logs,
        emulator.registry.clock(),
    );
    let mut tasks = vec![
        tokio::spawn(rules.clone().run(watch_rx.clone())),
        tokio::spawn(forward_registry_events(
            emulator.registry.subscribe(),
            broker.clone(),
            watch_rx.clone(),
        )),
        tokio::spawn(crate::api::serve(api, emulator.clone(), watch_rx.clone())),
        tokio::spawn(crate::mqtt::serve(
            mqtt,
            broker.clone(),
            tls.clone(),
            watch_rx.clone(),
        )),
        tokio::spawn(crate::credentials::serve(
            creds,
            emulator.clone(),
            https,
            watch_rx.clone(),
        )),
        tokio::spawn(crate::mqtt::housekeeping(broker.clone(), watch_rx.clone())),
    ];
    for (listener, _) in mqtt_extra {
        let serve = crate::mqtt::serve(listener, broker.clone(), tls.clone(), watch_rx.clone());
        tasks.push(tokio::spawn(serve));
    }
    let ready = ReadyInfo {
        api_url: format!("http://{}", advertised(api_addr)),
        mqtt_host: advertised(mqtt_addr).ip().to_string(),
        mqtt_port: mqtt_addr.port(),
        mqtt_addrs,
        credentials_url: format!("https://{}", advertised(creds_addr)),
        root_ca_path: emulator.root_ca_path.display().to_string(),
        region: config.region.clone(),
        account_id: config.account_id.clone(),
        data_ats_endpoint: emulator.endpoints.data_ats.clone(),
        credentials_endpoint: emulator.endpoints.credentials.clone(),
        data_dir: config.resolved_data_dir().map(|d| d.display().to_string()),
    };
    let json = serde_json::to_vec_pretty(&ready).unwrap_or_default();
    if let Some(path) = &config.ready_file {
        bootstrap::write_atomically(path, &json)?;
    }
    // The data directory always holds one, for `iot-emulator env`.
    if let Some(dir) = config.resolved_data_dir() {
        bootstrap::write_atomically(&dir.join(crate::exports::READY_FILE_NAME), &json)?;
    }
    Ok(Running {
        ready,
        emulator,
        broker,
        rules,
        shutdown,
        tasks,
    })
}

/// Starts, prints the ready line on stdout, and serves until `signal` completes.
pub async fn run(config: Config, signal: impl Future<Output = ()>) -> Result<(), StartError> {
    let running = start(config).await?;
    println!(
        "{}",
        serde_json::to_string(&running.ready).unwrap_or_default()
    );
    signal.await;
    tracing::info!("shutting down");
    running.shutdown().await;
    Ok(())
}
