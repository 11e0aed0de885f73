//! MQTT over WebSockets with SigV4: the AWS IoT Device SDK v2 for Python (awscrt, MQTT
//! 3.1.1 and 5) signs with any static key and talks MQTT through `wss://…/mqtt`; a plain
//! TLS client sees the upgrades AWS refuses answered 403 before the upgrade.

mod common;

use std::sync::Arc;

use common::TestEmulator;
use futures_util::{SinkExt, StreamExt};
use iot_emulator::Running;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

async fn sdk(running: &Running, mode: &str, client_id: &str) -> Value {
    let args = vec![
        mode.to_string(),
        "localhost".to_string(),
        running.ready.mqtt_ws_port.to_string(),
        running.ready.root_ca_path.clone(),
        running.ready.region.clone(),
        client_id.to_string(),
    ];
    let out = common::run_python_async("broker_ws.py", args).await;
    assert!(out.success, "broker_ws.py {mode} failed: {}", out.stderr);
    out.json()
}

#[tokio::test(flavor = "multi_thread")]
async fn awscrt_mqtt311_over_websockets_subscribes_publishes_and_receives() {
    let emu = TestEmulator::start().await;
    let r = &emu.running;
    assert_eq!(
        r.ready.mqtt_ws_url,
        format!("wss://127.0.0.1:{}/mqtt", r.ready.mqtt_ws_port)
    );
    let rule = json!({
        "sql": "SELECT principal() AS p, clientid() AS c FROM 'ws/+/data'",
        "actions": [{"republish": {"roleArn": "arn:aws:iam::123456789012:role/republish",
                                   "topic": "ws-principal/${topic(2)}", "qos": 1}}]
    })
    .to_string();
    let args = ["create-topic-rule", "--rule-name", "ws_principal"];
    emu.aws_ok(&[&args[..], &["--topic-rule-payload", &rule]].concat())
        .await;
    let got = sdk(r, "mqtt3", "ws-crt3").await;
    assert_eq!(got["connected"], true, "{got}");
    assert_eq!(got["granted"], 1, "{got}");
    assert_eq!(
        got["received"],
        json!([{"topic": "ws/ws-crt3/data", "payload": "over-websockets"}])
    );
    // The IAM signer (the account's root, whatever the key) is the principal.
    assert_eq!(
        got["event_principals"],
        json!([r.ready.account_id]),
        "{got}"
    );
    assert_eq!(
        got["rule"],
        json!([{"p": r.ready.account_id, "c": "ws-crt3"}]),
        "{got}"
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn awscrt_mqtt5_over_websockets_with_a_session_token() {
    let emu = TestEmulator::start().await;
    let got = sdk(&emu.running, "mqtt5", "ws-crt5").await;
    assert_eq!(got["connected"], true, "{got}");
    assert_eq!(got["suback"], json!([1]), "{got}");
    assert_eq!(got["puback"], 0, "{got}");
    assert_eq!(
        got["received"],
        json!([{"topic": "ws5/ws-crt5/data", "payload": "over-websockets-5"}])
    );
    emu.shutdown().await;
}

type Tls = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// Sends a WebSocket upgrade for `/mqtt<query>` over TLS (trusting the emulator's root
/// CA); the status, everything read up to the end of the answer's head (and its body,
/// when it has a length), and the stream.
async fn open(running: &Running, host: &str, query: &str) -> (u16, String, Tls) {
    let ca = std::fs::read(&running.ready.root_ca_path).expect("root CA");
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&ca) {
        roots.add(cert.expect("CA PEM")).expect("root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let addr = ("127.0.0.1", running.ready.mqtt_ws_port);
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from("localhost").expect("name");
    let mut tls = connector.connect(name, tcp).await.expect("TLS handshake");
    let request = format!(
        "GET /mqtt{query} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n"
    );
    tls.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !complete(&answer) {
        let n = tls.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text[9..12].parse().expect("status");
    (status, text, tls)
}

async fn upgrade(running: &Running, query: &str) -> (u16, String) {
    let (status, text, _) = open(running, "localhost", query).await;
    (status, text)
}

/// Whether `answer` holds the whole head and as much body as `content-length` says.
fn complete(answer: &[u8]) -> bool {
    let text = String::from_utf8_lossy(answer);
    let Some(end) = text.find("\r\n\r\n") else {
        return false;
    };
    let length = text[..end]
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(str::to_string)
        })
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    answer.len() >= end + 4 + length
}

fn presigned(service: &str, date: &str) -> String {
    format!(
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAANYKEY%2F{}%2Fus-east-1%2F\
         {service}%2Faws4_request&X-Amz-Date={date}&X-Amz-SignedHeaders=host\
         &X-Amz-Signature={}",
        &date[..8],
        "ab".repeat(32)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn unsigned_stale_or_misscoped_upgrades_get_403_before_the_upgrade() {
    // Seeded: the clock stands at 2026-01-01T00:00:00Z.
    let emu = TestEmulator::seeded(7).await;
    let r = &emu.running;
    let (status, text) = upgrade(r, "").await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("IncompleteSignatureException"), "{text}");
    let (status, text) = upgrade(r, &presigned("iotdevicegateway", "20251231T235000Z")).await;
    assert_eq!(status, 403, "{text}");
    assert!(
        text.contains("Signature expired: 20251231T235000Z"),
        "{text}"
    );
    let (status, text) = upgrade(r, &presigned("iotdevicegateway", "20260101T001000Z")).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("Signature not yet current"), "{text}");
    let (status, text) = upgrade(r, &presigned("s3", "20260101T000000Z")).await;
    assert_eq!(status, 403, "{text}");
    assert!(
        text.contains("correct service: 'iotdevicegateway'"),
        "{text}"
    );
    // An AWS-shaped Host must name the scope's region.
    let query = presigned("iotdevicegateway", "20260101T000000Z");
    let (status, text, _) = open(r, "a1-ats.iot.eu-west-1.amazonaws.com:443", &query).await;
    assert_eq!(status, 403, "{text}");
    assert!(
        text.contains("scoped to a valid region, not 'us-east-1'"),
        "{text}"
    );
    // Within five minutes of the clock, any key and signature: upgraded, subprotocol mqtt.
    let (status, text) = upgrade(r, &presigned("iotdevicegateway", "20251231T235600Z")).await;
    assert_eq!(status, 101, "{text}");
    let head = text.to_ascii_lowercase();
    assert!(head.contains("sec-websocket-protocol: mqtt"), "{text}");
    assert!(
        head.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="),
        "{text}"
    );
    emu.shutdown().await;
}

/// An upgraded WebSocket, signed at the seeded clock's time.
async fn ws_client(running: &Running) -> WebSocketStream<Tls> {
    let query = presigned("iotdevicegateway", "20260101T000000Z");
    let (status, text, tls) = open(running, "localhost", &query).await;
    assert_eq!(status, 101, "{text}");
    WebSocketStream::from_raw_socket(tls, Role::Client, None).await
}

fn mqtt_string(s: &str) -> Vec<u8> {
    let mut out = (s.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(s.as_bytes());
    out
}

/// One MQTT packet (bodies under 128 bytes).
fn packet(header: u8, body: Vec<u8>) -> Message {
    let mut out = vec![header, body.len() as u8];
    out.extend(body);
    Message::binary(out)
}

fn connect(client_id: &str) -> Message {
    let mut body = mqtt_string("MQTT");
    body.extend([4, 0x02, 0, 60]);
    body.extend(mqtt_string(client_id));
    packet(0x10, body)
}

fn subscribe(filter: &str) -> Message {
    let mut body = vec![0, 1];
    body.extend(mqtt_string(filter));
    body.push(0);
    packet(0x82, body)
}

/// The next MQTT packet's first byte and body, whatever the frames.
async fn next_packet(ws: &mut WebSocketStream<Tls>, buf: &mut Vec<u8>) -> (u8, Vec<u8>) {
    loop {
        if let Some((len, skip)) = remaining_length(buf) {
            if buf.len() >= 1 + skip + len {
                let header = buf[0];
                let body = buf[1 + skip..1 + skip + len].to_vec();
                buf.drain(..1 + skip + len);
                return (header, body);
            }
        }
        match ws.next().await.expect("frame").expect("frame ok") {
            Message::Binary(bytes) => buf.extend_from_slice(&bytes),
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

fn remaining_length(buf: &[u8]) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for (i, byte) in buf.iter().skip(1).take(4).enumerate() {
        value |= ((byte & 0x7f) as usize) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread")]
async fn a_websocket_close_frame_is_a_client_initiated_disconnect() {
    let emu = TestEmulator::seeded(8).await;
    let r = &emu.running;
    let (mut watcher, mut buf) = (ws_client(r).await, Vec::new());
    watcher.send(connect("watcher")).await.expect("CONNECT");
    assert_eq!(next_packet(&mut watcher, &mut buf).await.0, 0x20, "CONNACK");
    let events = "$aws/events/presence/disconnected/closer";
    watcher.send(subscribe(events)).await.expect("SUBSCRIBE");
    assert_eq!(
        next_packet(&mut watcher, &mut buf).await,
        (0x90, vec![0, 1, 0])
    );
    let (mut closer, mut closer_buf) = (ws_client(r).await, Vec::new());
    closer.send(connect("closer")).await.expect("CONNECT");
    assert_eq!(next_packet(&mut closer, &mut closer_buf).await.0, 0x20);
    closer.close(None).await.expect("Close frame");
    let (header, body) = next_packet(&mut watcher, &mut buf).await;
    assert_eq!(header & 0xf0, 0x30, "PUBLISH");
    let topic_len = u16::from_be_bytes([body[0], body[1]]) as usize;
    assert_eq!(&body[2..2 + topic_len], events.as_bytes());
    let event: Value = serde_json::from_slice(&body[2 + topic_len..]).expect("event JSON");
    assert_eq!(event["clientInitiatedDisconnect"], true, "{event}");
    assert_eq!(
        event["disconnectReason"], "CLIENT_INITIATED_DISCONNECT",
        "{event}"
    );
    assert_eq!(event["principalIdentifier"], r.ready.account_id.as_str());
    emu.shutdown().await;
}
