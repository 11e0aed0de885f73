//! An MQTT connection over mutual TLS (rumqttc, 3.1.1 or 5) with connect retry and
//! backoff, and request/response helpers that wait for SUBACK, PUBACK and messages.

mod v4;
mod v5;

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;

use crate::backoff::Backoff;
use crate::error::{ClientError, Result};
use crate::tls::{self, Identity};

/// Largest packet either side may send: AWS IoT's 128 KB limit.
const MAX_PACKET: u32 = 128 * 1024;

/// Which MQTT version to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    V311,
    #[default]
    V5,
}

impl std::str::FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "3" | "3.1.1" | "311" => Ok(Protocol::V311),
            "5" => Ok(Protocol::V5),
            other => Err(format!("unknown MQTT version {other:?} (3.1.1 or 5)")),
        }
    }
}

/// Quality of service; AWS IoT supports only these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Qos {
    AtMostOnce,
    #[default]
    AtLeastOnce,
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct MqttConfig {
    /// The data endpoint host (AWS) or the emulator's MQTT host.
    pub endpoint: String,
    pub port: u16,
    pub client_id: String,
    pub protocol: Protocol,
    /// Offer ALPN `x-amzn-mqtt-ca`; AWS requires it on port 443.
    pub alpn: bool,
    /// The CA that signed the server certificate (PEM).
    pub ca_pem: String,
    pub identity: Identity,
    pub keep_alive: Duration,
    pub backoff: Backoff,
    /// How long one attempt may wait for CONNACK, and one request for its answer.
    pub timeout: Duration,
}

impl MqttConfig {
    /// Defaults for everything but the endpoint, trust and identity; ALPN on for 443.
    pub fn new(endpoint: &str, port: u16, client_id: &str, ca_pem: &str, id: Identity) -> Self {
        MqttConfig {
            endpoint: endpoint.to_string(),
            port,
            client_id: client_id.to_string(),
            protocol: Protocol::default(),
            alpn: port == 443,
            ca_pem: ca_pem.to_string(),
            identity: id,
            keep_alive: Duration::from_secs(30),
            backoff: Backoff::default(),
            timeout: Duration::from_secs(10),
        }
    }
}

/// One application message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub topic: String,
    pub payload: Vec<u8>,
}

/// What the event-loop driver reports, the same for both protocol versions.
#[derive(Debug)]
enum Event {
    Message(Message),
    SubAck { refused: Option<String> },
    UnsubAck,
    PubAck { refused: Option<String> },
    DisconnectSent,
    Lost(String),
}

/// The version-specific client handle.
enum Handle {
    V4(rumqttc::AsyncClient),
    V5(rumqttc::v5::AsyncClient),
}

/// A connected session.
pub struct Connection {
    handle: Handle,
    events: UnboundedReceiver<Event>,
    pending: VecDeque<Message>,
    driver: JoinHandle<()>,
    timeout: Duration,
    client_id: String,
}

/// Why an attempt failed; `refused` (a CONNACK with a failure code) is not retried,
/// a connection closed before CONNACK (JITP, JITR) or a network error is.
#[derive(Debug)]
struct Failure {
    reason: String,
    refused: bool,
}

/// One attempt's outcome: the handle, the event stream and its driver.
type Attempt = std::result::Result<(Handle, UnboundedReceiver<Event>, JoinHandle<()>), Failure>;

impl Connection {
    /// Connects, retrying with backoff: a JITP or JITR first connection is dropped
    /// before CONNACK, and the retry then succeeds.
    pub async fn connect(config: &MqttConfig) -> Result<Connection> {
        let alpn = config.alpn.then_some(tls::MQTT_ALPN);
        let tls = tls::client_config(&config.ca_pem, &config.identity, alpn)?;
        let mut failed = 0;
        loop {
            let attempt: Attempt = match config.protocol {
                Protocol::V311 => v4::attempt(config, tls.clone()).await,
                Protocol::V5 => v5::attempt(config, tls.clone()).await,
            };
            match attempt {
                Ok((handle, events, driver)) => {
                    return Ok(Connection {
                        handle,
                        events,
                        pending: VecDeque::new(),
                        driver,
                        timeout: config.timeout,
                        client_id: config.client_id.clone(),
                    })
                }
                Err(failure) => {
                    failed += 1;
                    if failure.refused || !config.backoff.retries_after(failed) {
                        return Err(ClientError::Connect {
                            endpoint: format!("{}:{}", config.endpoint, config.port),
                            attempts: failed,
                            last: failure.reason,
                        });
                    }
                    tracing::info!(attempt = failed, error = %failure.reason, "connect failed; retrying");
                    tokio::time::sleep(config.backoff.delay(failed)).await;
                }
            }
        }
    }

    /// The client id this session connected with.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Changes how long each request waits for its answer.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Subscribes and waits for the SUBACK; a failure code is an error.
    pub async fn subscribe(&mut self, filter: &str, qos: Qos) -> Result<()> {
        self.handle.subscribe(filter, qos).await?;
        let what = format!("SUBACK for {filter}");
        loop {
            match self.next_event(&what).await? {
                Event::SubAck { refused: None } => return Ok(()),
                Event::SubAck {
                    refused: Some(reason),
                } => {
                    return Err(ClientError::SubscribeRefused {
                        filter: filter.to_string(),
                        reason,
                    })
                }
                _ => continue,
            }
        }
    }

    /// Unsubscribes and waits for the UNSUBACK.
    pub async fn unsubscribe(&mut self, filter: &str) -> Result<()> {
        self.handle.unsubscribe(filter).await?;
        let what = format!("UNSUBACK for {filter}");
        while !matches!(self.next_event(&what).await?, Event::UnsubAck) {}
        Ok(())
    }

    /// Publishes; at QoS 1 waits for the PUBACK (MQTT 5 reason codes are errors).
    pub async fn publish(&mut self, topic: &str, payload: Vec<u8>, qos: Qos) -> Result<()> {
        self.handle.publish(topic, payload, qos).await?;
        if qos == Qos::AtMostOnce {
            return Ok(());
        }
        let what = format!("PUBACK for {topic}");
        loop {
            match self.next_event(&what).await? {
                Event::PubAck { refused: None } => return Ok(()),
                Event::PubAck {
                    refused: Some(reason),
                } => {
                    return Err(ClientError::Disconnected(format!(
                        "publish to {topic} refused: {reason}"
                    )))
                }
                _ => continue,
            }
        }
    }

    /// The next message on any topic, within the request timeout.
    pub async fn recv(&mut self) -> Result<Message> {
        if let Some(message) = self.pending.pop_front() {
            return Ok(message);
        }
        loop {
            let event = tokio::time::timeout(self.timeout, self.events.recv())
                .await
                .map_err(|_| ClientError::Timeout("a message".into()))?;
            match event {
                None => return Err(ClientError::Disconnected("the event loop stopped".into())),
                Some(Event::Lost(reason)) => return Err(ClientError::Disconnected(reason)),
                Some(Event::Message(m)) => return Ok(m),
                Some(_) => continue,
            }
        }
    }

    /// The next message on one of `topics`; messages on other topics are dropped.
    pub async fn recv_on(&mut self, topics: &[&str]) -> Result<Message> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let what = format!("a message on {}", topics.join(" or "));
            let message = tokio::time::timeout(left, self.recv())
                .await
                .map_err(|_| ClientError::Timeout(what))??;
            if topics.contains(&message.topic.as_str()) {
                return Ok(message);
            }
        }
    }

    /// Sends DISCONNECT and waits (bounded) until it is on the wire.
    pub async fn disconnect(mut self) {
        if self.handle.disconnect().await.is_ok() {
            let wait = async {
                while let Some(event) = self.events.recv().await {
                    if matches!(event, Event::DisconnectSent | Event::Lost(_)) {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(self.timeout, wait).await;
        }
        self.driver.abort();
    }

    /// The next driver event; messages that arrive meanwhile are kept for `recv`.
    async fn next_event(&mut self, what: &str) -> Result<Event> {
        loop {
            let event = tokio::time::timeout(self.timeout, self.events.recv())
                .await
                .map_err(|_| ClientError::Timeout(what.to_string()))?;
            match event {
                None => return Err(ClientError::Disconnected("the event loop stopped".into())),
                Some(Event::Lost(reason)) => return Err(ClientError::Disconnected(reason)),
                Some(Event::Message(m)) => self.pending.push_back(m),
                Some(event) => return Ok(event),
            }
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

impl Handle {
    async fn subscribe(&self, filter: &str, qos: Qos) -> Result<()> {
        let r = match self {
            Handle::V4(c) => c
                .subscribe(filter, v4::qos(qos))
                .await
                .map_err(|e| e.to_string()),
            Handle::V5(c) => c
                .subscribe(filter, v5::qos(qos))
                .await
                .map_err(|e| e.to_string()),
        };
        r.map_err(ClientError::Disconnected)
    }

    async fn unsubscribe(&self, filter: &str) -> Result<()> {
        let r = match self {
            Handle::V4(c) => c.unsubscribe(filter).await.map_err(|e| e.to_string()),
            Handle::V5(c) => c.unsubscribe(filter).await.map_err(|e| e.to_string()),
        };
        r.map_err(ClientError::Disconnected)
    }

    async fn publish(&self, topic: &str, payload: Vec<u8>, qos: Qos) -> Result<()> {
        let r = match self {
            Handle::V4(c) => c
                .publish(topic, v4::qos(qos), false, payload)
                .await
                .map_err(|e| e.to_string()),
            Handle::V5(c) => c
                .publish(topic, v5::qos(qos), false, payload)
                .await
                .map_err(|e| e.to_string()),
        };
        r.map_err(ClientError::Disconnected)
    }

    async fn disconnect(&self) -> Result<()> {
        let r = match self {
            Handle::V4(c) => c.disconnect().await.map_err(|e| e.to_string()),
            Handle::V5(c) => c.disconnect().await.map_err(|e| e.to_string()),
        };
        r.map_err(ClientError::Disconnected)
    }
}

impl Failure {
    fn retry(reason: String) -> Self {
        Failure {
            reason,
            refused: false,
        }
    }
}

/// Names an I/O failure; a close before CONNACK is what a JITP first attempt sees.
fn describe_io(error: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match error.kind() {
        UnexpectedEof | ConnectionReset | ConnectionAborted | BrokenPipe => {
            format!("the server closed the connection ({error})")
        }
        _ => error.to_string(),
    }
}
