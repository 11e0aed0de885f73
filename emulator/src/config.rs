//! The serving flags and their environment variables (the subcommands are [`crate::cli`]'s).

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything a running emulator is configured with.
#[derive(Debug, Clone, clap::Args)]
pub struct Config {
    /// Control-plane HTTP listener (`aws iot --endpoint-url`). Port 0 picks one.
    #[arg(long, env = "IOT_EMULATOR_API_ADDR", default_value = "127.0.0.1:4566")]
    pub api_addr: SocketAddr,

    /// MQTT over mutual TLS listener. Port 0 picks one.
    #[arg(long, env = "IOT_EMULATOR_MQTT_ADDR", default_value = "127.0.0.1:8883")]
    pub mqtt_addr: SocketAddr,

    /// More addresses the same MQTT listener also binds (repeatable, or comma-separated
    /// in the variable), e.g. `0.0.0.0:443` for clients that hard-code AWS's port 443.
    #[arg(
        long = "mqtt-extra-addr",
        env = "IOT_EMULATOR_MQTT_EXTRA_ADDRS",
        value_delimiter = ','
    )]
    pub mqtt_extra_addrs: Vec<SocketAddr>,

    /// MQTT over WebSockets (`wss://<host>:<port>/mqtt`, SigV4-presigned), over TLS with
    /// the broker's server certificate. Port 0 picks one.
    #[arg(long, env = "IOT_EMULATOR_WS_ADDR", default_value = "127.0.0.1:8884")]
    pub ws_addr: SocketAddr,

    /// The iot:Jobs endpoint's HTTPS listener (iot-jobs-data, SigV4, server-authenticated
    /// TLS with the broker's server certificate). Port 0 picks one.
    #[arg(long, env = "IOT_EMULATOR_JOBS_ADDR", default_value = "127.0.0.1:8444")]
    pub jobs_addr: SocketAddr,

    /// Credentials-provider HTTPS listener. Port 0 picks one.
    #[arg(
        long,
        env = "IOT_EMULATOR_CREDENTIALS_ADDR",
        default_value = "127.0.0.1:8443"
    )]
    pub credentials_addr: SocketAddr,

    /// Where state lives across restarts (default: `$XDG_DATA_HOME/iot-emulator`,
    /// else `~/.local/share/iot-emulator`, else `./.iot-emulator`).
    #[arg(long, env = "IOT_EMULATOR_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Keep all state in memory; nothing is written except the root CA for clients.
    #[arg(long, env = "IOT_EMULATOR_IN_MEMORY", conflicts_with = "data_dir")]
    pub in_memory: bool,

    /// AWS region reported in ARNs and endpoints.
    #[arg(long, env = "IOT_EMULATOR_REGION", default_value = "us-east-1")]
    pub region: String,

    /// AWS account id reported in ARNs.
    #[arg(long, env = "IOT_EMULATOR_ACCOUNT_ID", default_value = "123456789012")]
    pub account_id: String,

    /// Fix every id, key and token. Also freezes the clock unless `--clock` says otherwise.
    #[arg(long, env = "IOT_EMULATOR_SEED")]
    pub seed: Option<u64>,

    /// `system`, or an RFC 3339 instant to freeze the clock at (advance it over HTTP).
    /// Default: `system`, or `2026-01-01T00:00:00Z` when `--seed` is given.
    #[arg(long, env = "IOT_EMULATOR_CLOCK")]
    pub clock: Option<String>,

    /// Write the endpoints as JSON to this file once every listener accepts.
    #[arg(long, env = "IOT_EMULATOR_READY_FILE")]
    pub ready_file: Option<PathBuf>,

    /// RSA keys kept ready for CreateKeysAndCertificate, made in the background (and kept
    /// in the data dir across restarts). A burst of this many devices never waits for a key.
    #[arg(long, env = "IOT_EMULATOR_KEY_POOL", default_value_t = 8)]
    pub key_pool: u64,

    /// Bind a pre-provisioning hook's Lambda ARN to a local stand-in: `<arn>=<command>`
    /// (run with `sh -c`, event JSON on stdin, response JSON on stdout) or
    /// `<arn>=http://host:port/path` (event POSTed as JSON). Repeatable; the environment
    /// variable takes one binding per line.
    #[arg(
        long = "hook",
        value_name = "ARN=TARGET",
        env = "IOT_EMULATOR_HOOKS",
        value_delimiter = '\n'
    )]
    pub hooks: Vec<String>,

    /// A JSON file of hook bindings, `{"<lambda arn>": "<command or http URL>"}`;
    /// `--hook` flags win over it.
    #[arg(long, env = "IOT_EMULATOR_HOOKS_FILE")]
    pub hooks_file: Option<PathBuf>,

    /// The interpreter of a Lambda runtime: `python3.12=/usr/bin/python3.12` (repeatable;
    /// the variable takes a comma-separated list). Default: `python3` from PATH for every
    /// `python3.*`. The interpreter needs boto3, as AWS's runtime has it.
    #[arg(
        long = "lambda-runtime",
        value_name = "RUNTIME=INTERPRETER",
        env = "IOT_EMULATOR_LAMBDA_RUNTIMES",
        value_delimiter = ','
    )]
    pub lambda_runtimes: Vec<String>,

    /// A Lambda layer's local directory: `<layer version arn>=<dir>` (the ARN with or
    /// without its version; `<dir>/python` goes on sys.path as `/opt/python` does in AWS).
    /// Repeatable; the variable takes a comma-separated list.
    #[arg(
        long = "lambda-layer",
        value_name = "LAYER_ARN=DIR",
        env = "IOT_EMULATOR_LAMBDA_LAYERS",
        value_delimiter = ','
    )]
    pub lambda_layers: Vec<String>,

    /// How many Lambda invocations run at once; the others wait for a slot.
    #[arg(long, env = "IOT_EMULATOR_LAMBDA_CONCURRENCY", default_value_t = 10)]
    pub lambda_concurrency: usize,

    /// Device shadow updates allowed per thing per second, counted on the emulator clock
    /// (AWS's limit is 20); 0 removes the limit.
    #[arg(long, env = "IOT_EMULATOR_SHADOW_UPDATES_PER_SECOND", default_value_t = crate::shadows::DEFAULT_UPDATES_PER_SECOND)]
    pub shadow_updates_per_second: u32,
}

impl Config {
    /// In memory, every listener on an ephemeral loopback port.
    pub fn for_tests() -> Self {
        let any: SocketAddr = "127.0.0.1:0".parse().expect("valid address");
        Config {
            api_addr: any,
            mqtt_addr: any,
            mqtt_extra_addrs: Vec::new(),
            ws_addr: any,
            jobs_addr: any,
            credentials_addr: any,
            data_dir: None,
            in_memory: true,
            region: "us-east-1".into(),
            account_id: "123456789012".into(),
            seed: None,
            clock: None,
            key_pool: 8,
            ready_file: None,
            hooks: Vec::new(),
            hooks_file: None,
            lambda_runtimes: Vec::new(),
            lambda_layers: Vec::new(),
            lambda_concurrency: 10,
            shadow_updates_per_second: crate::shadows::DEFAULT_UPDATES_PER_SECOND,
        }
    }

    /// The data directory in use, or `None` in memory.
    pub fn resolved_data_dir(&self) -> Option<PathBuf> {
        if self.in_memory {
            return None;
        }
        let dir = self.data_dir.clone().unwrap_or_else(default_data_dir);
        Some(absolute(dir))
    }
}

/// `$XDG_DATA_HOME/iot-emulator`, else `~/.local/share/iot-emulator`.
fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")));
    match base {
        Some(base) => base.join("iot-emulator"),
        None => PathBuf::from(".iot-emulator"),
    }
}

/// The ready file and `env` hand paths under the data dir to clients that run elsewhere,
/// so a relative directory is made absolute against the current one.
fn absolute(dir: PathBuf) -> PathBuf {
    std::path::absolute(&dir).unwrap_or(dir)
}
