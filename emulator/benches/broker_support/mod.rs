//! Support for the broker benchmark: the brokers under test ([`brokers`]), the rumqttc
//! load generator that drives both the same way ([`load`]), and the idle-connection
//! memory probe that runs each broker in a child process ([`memory`]).
#![allow(unreachable_pub)]

pub mod brokers;
pub mod load;
pub mod memory;

pub use crate::bench_util::client_tls;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rumqttc::{MqttOptions, TlsConfiguration, Transport};

/// A broker to drive: where it listens and the TLS configuration its devices use.
#[derive(Clone)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub tls: Arc<rustls::ClientConfig>,
}

impl Target {
    /// A target whose device files are in `dir` (see [`Files`]).
    pub fn from_dir(dir: &Path, host: &str, port: u16) -> Self {
        let files = Files::in_dir(dir);
        let read = |p: &PathBuf| std::fs::read_to_string(p).expect("read bench file");
        Target {
            host: host.to_string(),
            port,
            tls: client_tls(
                &read(&files.ca),
                &read(&files.device_cert),
                &read(&files.device_key),
            ),
        }
    }

    /// MQTT 3.1.1 options (the protocol both brokers serve on one port) for `client_id`.
    pub fn options(&self, client_id: &str) -> MqttOptions {
        let mut options = MqttOptions::new(client_id, &self.host, self.port);
        options.set_transport(Transport::Tls(TlsConfiguration::Rustls(self.tls.clone())));
        options.set_keep_alive(Duration::from_secs(60));
        options.set_inflight(100);
        options
    }
}

/// The PEM files a device and a broker need, by fixed names in one directory, so a child
/// process can be handed the directory alone.
pub struct Files {
    pub ca: PathBuf,
    pub device_cert: PathBuf,
    pub device_key: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

impl Files {
    pub fn in_dir(dir: &Path) -> Self {
        Files {
            ca: dir.join("ca.pem"),
            device_cert: dir.join("device.pem.crt"),
            device_key: dir.join("device.private.key"),
            server_cert: dir.join("server.pem.crt"),
            server_key: dir.join("server.private.key"),
        }
    }
}
