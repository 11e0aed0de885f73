//! Wiring only: bind every listener, spawn the front ends, write the ready file, shut down.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::bootstrap::{self, StartError};
use crate::config::Config;
use crate::regions::{RegionHook, Regions};
use crate::state::Emulator;
use crate::tls::RegionTls;

mod ready_files;
use ready_files::ReadyFiles;

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
    /// MQTT over WebSockets: `wss://<host>:<port>/mqtt` (sign it for `iotdevicegateway`),
    /// and its port.
    #[serde(default)]
    pub mqtt_ws_url: String,
    #[serde(default)]
    pub mqtt_ws_port: u16,
    /// The iot:Jobs endpoint's HTTPS listener, `https://<host>:<port>` (iot-jobs-data), and
    /// the endpoint name DescribeEndpoint returns for it.
    #[serde(default)]
    pub jobs_url: String,
    #[serde(default)]
    pub jobs_endpoint: String,
    pub root_ca_path: String,
    pub region: String,
    pub account_id: String,
    pub data_ats_endpoint: String,
    pub credentials_endpoint: String,
    pub data_dir: Option<String>,
    /// Every region in use, `region` (the default) included, in name order; the file is
    /// rewritten when a request or connection opens another one.
    #[serde(default)]
    pub regions: Vec<String>,
}

/// A running emulator.
pub struct Running {
    /// Endpoints and paths for clients.
    pub ready: ReadyInfo,
    /// The default region's state, for in-process tests.
    pub emulator: Emulator,
    /// The default region's MQTT broker (server-side disconnects, connected clients).
    pub broker: crate::mqtt::Broker,
    /// The default region's rules engine (where the Lambda and Logs engines are installed).
    pub rules: crate::rules::Engine,
    /// Every region's state.
    pub regions: Regions,
    /// Every region's broker.
    pub brokers: crate::mqtt::Brokers,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// The tasks of each region's broker.
    region_tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Running {
    /// Stops every listener and waits for the front ends to finish.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        let tasks = std::mem::take(&mut *lock(&self.region_tasks));
        for task in tasks {
            let _ = task.await;
        }
        for emulator in self.regions.emulators() {
            emulator.pki.stop();
        }
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

/// Every listener, bound before anything is served.
struct Listeners {
    api: (TcpListener, SocketAddr),
    mqtt: (TcpListener, SocketAddr),
    mqtt_extra: Vec<(TcpListener, SocketAddr)>,
    credentials: (TcpListener, SocketAddr),
    ws: (TcpListener, SocketAddr),
    jobs: (TcpListener, SocketAddr),
}

impl Listeners {
    async fn bind(config: &Config) -> Result<Self, StartError> {
        let mut mqtt_extra = Vec::new();
        for addr in &config.mqtt_extra_addrs {
            mqtt_extra.push(bind(*addr).await?);
        }
        Ok(Listeners {
            api: bind(config.api_addr).await?,
            mqtt: bind(config.mqtt_addr).await?,
            mqtt_extra,
            credentials: bind(config.credentials_addr).await?,
            ws: bind(config.ws_addr).await?,
            jobs: bind(config.jobs_addr).await?,
        })
    }

    /// What clients are told: every bound address, and the default region's names.
    fn ready(&self, config: &Config, emulator: &Emulator, regions: &Regions) -> ReadyInfo {
        let mut mqtt_addrs = vec![self.mqtt.1.to_string()];
        mqtt_addrs.extend(self.mqtt_extra.iter().map(|(_, a)| a.to_string()));
        let ws = self.ws.1;
        ReadyInfo {
            api_url: format!("http://{}", advertised(self.api.1)),
            mqtt_host: advertised(self.mqtt.1).ip().to_string(),
            mqtt_port: self.mqtt.1.port(),
            mqtt_addrs,
            credentials_url: format!("https://{}", advertised(self.credentials.1)),
            mqtt_ws_url: format!("wss://{}{}", advertised(ws), crate::mqtt::websocket::PATH),
            mqtt_ws_port: ws.port(),
            jobs_url: format!("https://{}", advertised(self.jobs.1)),
            jobs_endpoint: emulator.endpoints.jobs.clone(),
            root_ca_path: emulator.root_ca_path.display().to_string(),
            region: config.region.clone(),
            account_id: config.account_id.clone(),
            data_ats_endpoint: emulator.endpoints.data_ats.clone(),
            credentials_endpoint: emulator.endpoints.credentials.clone(),
            data_dir: config.resolved_data_dir().map(|d| d.display().to_string()),
            regions: regions.names(),
        }
    }
}

/// The TLS configurations of the listeners: mutual TLS for MQTT (ALPN `x-amzn-mqtt-ca`)
/// and the credentials provider (`http/1.1`); server authentication only for WebSockets
/// and the iot:Jobs endpoint.
struct Tls {
    mqtt: RegionTls,
    credentials: RegionTls,
    server_only: RegionTls,
}

impl Tls {
    fn new(regions: &Regions) -> Result<Self, StartError> {
        use crate::tls::{ClientAuth, ALPN_HTTP1, ALPN_MQTT};
        Ok(Tls {
            mqtt: RegionTls::new(regions.clone(), &[ALPN_MQTT])?,
            credentials: RegionTls::new(regions.clone(), &[ALPN_HTTP1])?,
            server_only: RegionTls::with_client_auth(
                regions.clone(),
                &[ALPN_HTTP1],
                ClientAuth::None,
            )?,
        })
    }
}

/// Starts the emulator; returns once every listener accepts and the ready file is written.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let cfg = config.clone();
    let regions = tokio::task::spawn_blocking(move || bootstrap::build(&cfg))
        .await
        .map_err(|e| StartError::Internal(e.to_string()))??;
    let emulator = regions.default_emulator();
    let listeners = Listeners::bind(&config).await?;
    let ready = listeners.ready(&config, &emulator, &regions);
    let (shutdown, watch_rx) = watch::channel(false);
    let tls = Tls::new(&regions)?;
    let brokers = crate::mqtt::Brokers::default();
    let engines = RulesEngines::default();
    let region_tasks = Arc::new(Mutex::new(Vec::new()));
    regions.on_open(attach_broker(
        brokers.clone(),
        engines.clone(),
        region_tasks.clone(),
        watch_rx.clone(),
    ));
    let api_url = ready.api_url.clone();
    regions.on_open(Arc::new(move |_: &str, emulator: &Emulator| {
        emulator.lambda.set_endpoint(api_url.clone());
        emulator.jobs.set_endpoint(api_url.clone());
    }));
    let default = regions.default_region();
    let broker = brokers
        .get(default)
        .ok_or_else(|| StartError::Internal("no broker for the default region".into()))?;
    let rules = lock(&engines)
        .get(default)
        .cloned()
        .ok_or_else(|| StartError::Internal("no rules engine for the default region".into()))?;
    let tasks = serve_fronts(listeners, &regions, &brokers, tls, &watch_rx);
    let ready_files = ReadyFiles::new(&config, ready.clone());
    ready_files.write()?;
    regions.on_open(ready_files.hook());
    Ok(Running {
        ready,
        emulator,
        broker,
        rules,
        regions,
        brokers,
        shutdown,
        tasks,
        region_tasks,
    })
}

/// One task per listener: the API, MQTT (each address), the credentials provider, MQTT
/// over WebSockets and the iot:Jobs endpoint.
fn serve_fronts(
    listeners: Listeners,
    regions: &Regions,
    brokers: &crate::mqtt::Brokers,
    tls: Tls,
    stop: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    use crate::mqtt::websocket::{self, WebSockets};
    let websockets = WebSockets {
        brokers: brokers.clone(),
        regions: regions.clone(),
        tls: tls.server_only.clone(),
    };
    let (jobs, jobs_tls) = (listeners.jobs.0, tls.server_only);
    let mut tasks = vec![
        tokio::spawn(crate::api::serve(
            listeners.api.0,
            regions.clone(),
            stop.clone(),
        )),
        tokio::spawn(crate::credentials::serve(
            listeners.credentials.0,
            tls.credentials,
            stop.clone(),
        )),
        tokio::spawn(websocket::serve(listeners.ws.0, websockets, stop.clone())),
        tokio::spawn(crate::api::jobs_endpoint::serve(
            jobs,
            regions.clone(),
            jobs_tls,
            stop.clone(),
        )),
    ];
    let mqtt = std::iter::once(listeners.mqtt).chain(listeners.mqtt_extra);
    for (listener, _) in mqtt {
        let serve = crate::mqtt::serve(listener, brokers.clone(), tls.mqtt.clone(), stop.clone());
        tasks.push(tokio::spawn(serve));
    }
    tasks
}

/// Each region's rules engine, by region name.
type RulesEngines = Arc<Mutex<std::collections::BTreeMap<String, crate::rules::Engine>>>;

/// Gives each region, as it opens, its broker and rules engine and their tasks (registry
/// events, housekeeping, rule evaluation); the rules engine's lambda and cloudwatchLogs
/// actions go to that region's Lambda and Logs engines.
fn attach_broker(
    brokers: crate::mqtt::Brokers,
    engines: RulesEngines,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    shutdown: watch::Receiver<bool>,
) -> RegionHook {
    Arc::new(move |region: &str, emulator: &Emulator| {
        let broker = crate::mqtt::Broker::new(emulator.clone());
        broker.install_data_plane();
        broker.install_jobs_publisher();
        broker.install_shadow_publisher();
        let rules =
            crate::rules::Engine::new(emulator.registry.clone(), emulator.data_plane.clone());
        broker.install_rules(rules.clone());
        let clock = emulator.registry.clock();
        crate::sinks::install(&rules, &emulator.lambda, &emulator.logs, clock);
        let events = emulator.registry.subscribe();
        let mut spawned = vec![
            tokio::spawn(rules.clone().run(shutdown.clone())),
            tokio::spawn(forward_registry_events(
                events,
                broker.clone(),
                shutdown.clone(),
            )),
            tokio::spawn(crate::mqtt::housekeeping(broker.clone(), shutdown.clone())),
            tokio::spawn(emulator.jobs.clone().run(shutdown.clone())),
        ];
        lock(&tasks).append(&mut spawned);
        lock(&engines).insert(region.to_string(), rules);
        brokers.insert(region, broker);
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
