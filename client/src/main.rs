//! The `iot-device-client` command: provision, publish, subscribe and fetch credentials
//! against AWS IoT Core or iot-emulator; only the arguments differ between the two.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use iot_device_client::credentials::{self, CredentialsRequest};
use iot_device_client::mqtt::{Connection, MqttConfig, Protocol, Qos};
use iot_device_client::provision::{provision_by_claim, ClaimRequest, KeySource};
use iot_device_client::store::{Device, DeviceStore};
use iot_device_client::tls::{read_text, Identity};
use iot_device_client::wire::Format;
use iot_device_client::{ClientError, Result};
use serde_json::json;

#[derive(Parser)]
#[command(
    version,
    about = "A device-side client for AWS IoT Core and iot-emulator"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// MQTT endpoint host (AWS: the iot:Data-ATS endpoint).
    #[arg(long, env = "IOT_ENDPOINT", global = true)]
    endpoint: Option<String>,
    /// MQTT port; 443 turns on ALPN x-amzn-mqtt-ca.
    #[arg(long, env = "IOT_PORT", default_value_t = 8883, global = true)]
    port: u16,
    /// CA certificate (PEM) that signed the server: AmazonRootCA1.pem or the emulator's.
    #[arg(long, env = "IOT_ROOT_CA", global = true)]
    ca: Option<PathBuf>,
    /// Certificate (PEM): the claim certificate for `provision`, else the device's.
    #[arg(long, env = "IOT_CERT", global = true)]
    cert: Option<PathBuf>,
    /// Private key (PEM) of --cert.
    #[arg(long, env = "IOT_KEY", global = true)]
    key: Option<PathBuf>,
    /// MQTT client id (default: the saved thing name, else `iot-device-client`).
    #[arg(long, env = "IOT_CLIENT_ID", global = true)]
    client_id: Option<String>,
    /// MQTT version: 3.1.1 or 5.
    #[arg(long, default_value = "5", global = true)]
    mqtt: Protocol,
    /// Offer ALPN x-amzn-mqtt-ca even when the port is not 443.
    #[arg(long, global = true)]
    alpn: bool,
    /// Device directory: where `provision` saves the device and the others find it.
    #[arg(long, env = "IOT_DEVICE_DIR", global = true)]
    dir: Option<PathBuf>,
    /// Seconds to wait for each answer.
    #[arg(long, default_value_t = 10, global = true)]
    timeout: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Fleet provisioning with the claim (or trusted-user) certificate in --cert/--key;
    /// saves the device to --dir, or reuses the one already there.
    Provision(ProvisionArgs),
    /// Publish messages as the device.
    Publish(PublishArgs),
    /// Subscribe and print messages as JSON lines.
    Subscribe(SubscribeArgs),
    /// Fetch temporary AWS credentials from the credentials provider.
    Credentials(CredentialsArgs),
}

#[derive(Args)]
struct ProvisionArgs {
    #[arg(long)]
    template: String,
    /// A template parameter, NAME=VALUE (repeatable).
    #[arg(long = "param", value_parser = parse_param)]
    params: Vec<(String, String)>,
    /// Use CreateCertificateFromCsr with a local key; the value is the CSR's CN.
    #[arg(long)]
    csr: Option<String>,
    /// Payload format of the provisioning topics.
    #[arg(long, default_value = "json")]
    format: Format,
    /// Provision again even if --dir already holds a device.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct PublishArgs {
    #[arg(long)]
    topic: String,
    #[arg(long, default_value = "{}")]
    message: String,
    #[arg(long, default_value_t = 1)]
    count: u32,
    /// 0 or 1.
    #[arg(long, default_value_t = 1)]
    qos: u8,
}

#[derive(Args)]
struct SubscribeArgs {
    #[arg(long)]
    topic: String,
    /// Stop after this many messages (0: until the timeout).
    #[arg(long, default_value_t = 1)]
    count: u32,
}

#[derive(Args)]
struct CredentialsArgs {
    /// `https://<prefix>.credentials.iot.<region>.amazonaws.com` or the emulator's URL.
    #[arg(long, env = "IOT_CREDENTIALS_ENDPOINT")]
    credentials_endpoint: String,
    #[arg(long)]
    role_alias: String,
    /// Sent as x-amzn-iot-thingname.
    #[arg(long)]
    thing_name: Option<String>,
}

fn parse_param(s: &str) -> std::result::Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("{s:?} is not NAME=VALUE"))
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Provision(args) => provision(&cli.global, args).await,
        Command::Publish(args) => publish(&cli.global, args).await,
        Command::Subscribe(args) => subscribe(&cli.global, args).await,
        Command::Credentials(args) => fetch_credentials(&cli.global, args).await,
    };
    if let Err(e) = outcome {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn required<T: Clone>(value: &Option<T>, flag: &str) -> Result<T> {
    value
        .clone()
        .ok_or_else(|| ClientError::Config(format!("{flag} is required")))
}

/// The identity from --cert/--key.
fn given_identity(g: &Global) -> Result<Identity> {
    Identity::from_files(&required(&g.cert, "--cert")?, &required(&g.key, "--key")?)
}

/// The saved device in --dir, if any.
fn saved_device(g: &Global) -> Result<Option<Device>> {
    match &g.dir {
        Some(dir) => DeviceStore::new(dir).load(),
        None => Ok(None),
    }
}

fn mqtt_config(g: &Global, identity: Identity, client_id: String) -> Result<MqttConfig> {
    let ca = read_text(&required(&g.ca, "--ca")?)?;
    let endpoint = required(&g.endpoint, "--endpoint")?;
    let mut config = MqttConfig::new(&endpoint, g.port, &client_id, &ca, identity);
    config.protocol = g.mqtt;
    config.alpn |= g.alpn;
    config.timeout = Duration::from_secs(g.timeout);
    Ok(config)
}

fn device_json(device: &Device, reused: bool) -> serde_json::Value {
    json!({
        "certificateId": device.certificate_id,
        "thingName": device.thing_name,
        "deviceConfiguration": device.device_configuration,
        "reused": reused,
    })
}

async fn provision(g: &Global, args: &ProvisionArgs) -> Result<()> {
    let dir = required(&g.dir, "--dir")?;
    let store = DeviceStore::new(dir);
    if let (false, Some(device)) = (args.force, store.load()?) {
        println!("{}", device_json(&device, true));
        return Ok(());
    }
    let client_id = g
        .client_id
        .clone()
        .unwrap_or_else(|| "iot-device-client".into());
    let request = ClaimRequest {
        mqtt: mqtt_config(g, given_identity(g)?, client_id)?,
        template_name: args.template.clone(),
        parameters: args.params.iter().cloned().collect::<BTreeMap<_, _>>(),
        keys: match &args.csr {
            Some(cn) => KeySource::Csr {
                common_name: cn.clone(),
            },
            None => KeySource::AwsGenerated,
        },
        format: args.format,
    };
    let device = provision_by_claim(&request).await?;
    store.save(&device)?;
    println!("{}", device_json(&device, false));
    Ok(())
}

/// Connects as the saved device (client id = thing name) or as --cert/--key.
async fn connect_device(g: &Global) -> Result<Connection> {
    let (identity, default_id) = match saved_device(g)? {
        Some(device) => (device.identity, device.thing_name),
        None => (given_identity(g)?, None),
    };
    let client_id = g
        .client_id
        .clone()
        .or(default_id)
        .unwrap_or_else(|| "iot-device-client".into());
    Connection::connect(&mqtt_config(g, identity, client_id)?).await
}

async fn publish(g: &Global, args: &PublishArgs) -> Result<()> {
    let qos = if args.qos == 0 {
        Qos::AtMostOnce
    } else {
        Qos::AtLeastOnce
    };
    let mut connection = connect_device(g).await?;
    for n in 0..args.count {
        let payload = args.message.replace("{n}", &n.to_string());
        let sent = connection
            .publish(&args.topic, payload.into_bytes(), qos)
            .await;
        if let Err(e) = sent {
            connection.disconnect().await;
            return Err(e);
        }
        println!("{}", json!({"published": args.topic, "n": n}));
    }
    connection.disconnect().await;
    Ok(())
}

async fn subscribe(g: &Global, args: &SubscribeArgs) -> Result<()> {
    let mut connection = connect_device(g).await?;
    connection.subscribe(&args.topic, Qos::AtLeastOnce).await?;
    println!("{}", json!({"subscribed": args.topic}));
    let mut seen = 0;
    while args.count == 0 || seen < args.count {
        let message = match connection.recv().await {
            Ok(m) => m,
            Err(ClientError::Timeout(_)) if args.count == 0 => break,
            Err(e) => return Err(e),
        };
        let payload = String::from_utf8_lossy(&message.payload);
        println!("{}", json!({"topic": message.topic, "payload": payload}));
        seen += 1;
    }
    connection.disconnect().await;
    Ok(())
}

async fn fetch_credentials(g: &Global, args: &CredentialsArgs) -> Result<()> {
    let identity = match saved_device(g)? {
        Some(device) => device.identity,
        None => given_identity(g)?,
    };
    let request = CredentialsRequest {
        endpoint: args.credentials_endpoint.clone(),
        role_alias: args.role_alias.clone(),
        thing_name: args.thing_name.clone(),
        ca_pem: read_text(&required(&g.ca, "--ca")?)?,
        identity,
        timeout: Duration::from_secs(g.timeout),
    };
    let credentials = credentials::fetch(&request).await?;
    println!("{}", json!({"credentials": credentials}));
    Ok(())
}
