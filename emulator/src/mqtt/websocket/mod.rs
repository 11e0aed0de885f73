//! MQTT over WebSockets, as AWS IoT serves it to SigV4 signers: `wss://<endpoint>/mqtt`
//! with a presigned query string ([`super::presigned`]), subprotocol `mqtt`, MQTT 3.1.1 or
//! 5 packets in binary frames. TLS authenticates the server only; the connection's
//! principal is the IAM signer. Once upgraded, the MQTT bytes go through the same
//! session code as mutual-TLS connections ([`super::session::serve`]), through a
//! [`pipe`].

use std::convert::Infallible;
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::WebSocketStream;

mod pipe;

use super::auth::Principal;
use super::presigned::{self, Presigned, Refusal};
use super::{session, Broker, Brokers};
use crate::regions::{region_of_host, Regions};
use crate::state::Emulator;
use crate::tls::RegionTls;

/// The one path AWS IoT serves WebSockets on.
pub const PATH: &str = "/mqtt";
/// The WebSocket subprotocol of MQTT.
const SUBPROTOCOL: &str = "mqtt";
/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may stay plain HTTP before upgrading.
const UPGRADE_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest WebSocket message or frame taken: room for the largest MQTT packet AWS
/// accepts (and a few small ones batched with it).
const MAX_MESSAGE: usize = 1024 * 1024;
/// RFC 6455's key suffix for `Sec-WebSocket-Accept`.
const ACCEPT_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// What the WebSocket listener serves with (cheap to clone).
#[derive(Clone)]
pub struct WebSockets {
    pub brokers: Brokers,
    pub regions: Regions,
    /// Server authentication only, ALPN `http/1.1`.
    pub tls: RegionTls,
}

/// Accepts connections until shutdown; each is served in its own task.
pub async fn serve(listener: TcpListener, front: WebSockets, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            accepted = crate::net::accept(&listener, crate::net::Kind::MqttWebSocket) => {
                let Ok((socket, _)) = accepted else { continue };
                tokio::spawn(connection(front.clone(), socket, shutdown.clone()));
            }
        }
    }
}

/// TLS, then HTTP/1.1 until the upgrade (refused requests get 403 and may try again).
async fn connection(front: WebSockets, socket: TcpStream, shutdown: watch::Receiver<bool>) {
    let peer_ip = socket
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let Ok(Some((_, _, stream))) =
        tokio::time::timeout(HANDSHAKE_TIMEOUT, front.tls.accept(socket)).await
    else {
        return;
    };
    let service = hyper::service::service_fn(move |request| {
        let response = front.upgrade(request, &peer_ip, &shutdown);
        async move { Ok::<_, Infallible>(response) }
    });
    let http = hyper::server::conn::http1::Builder::new();
    let serving = http
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    match tokio::time::timeout(UPGRADE_TIMEOUT, serving).await {
        Ok(Err(e)) => tracing::debug!(%e, "WebSocket connection ended"),
        Err(_) => tracing::debug!("WebSocket connection not upgraded in time"),
        Ok(Ok(())) => {}
    }
}

/// A refused upgrade: HTTP 403 with an AWS-shaped error.
#[derive(Debug)]
struct Forbidden {
    error_type: &'static str,
    message: String,
}

impl From<Refusal> for Forbidden {
    fn from(refusal: Refusal) -> Self {
        Forbidden {
            error_type: refusal.error_type(),
            message: refusal.message(),
        }
    }
}

fn forbidden(message: impl Into<String>) -> Forbidden {
    Forbidden {
        error_type: "ForbiddenException",
        message: message.into(),
    }
}

/// An upgrade the emulator takes.
struct Admitted {
    broker: Broker,
    principal: Principal,
    accept_key: String,
    subprotocol: bool,
}

impl WebSockets {
    /// Answers one request: 101 and the MQTT session in a task, or 403.
    fn upgrade(
        &self,
        mut request: Request<Incoming>,
        peer_ip: &str,
        shutdown: &watch::Receiver<bool>,
    ) -> Response<Full<Bytes>> {
        let admitted = match self.admit(&request) {
            Ok(admitted) => admitted,
            Err(refused) => {
                tracing::info!(?refused, "WebSocket upgrade refused");
                return refusal_response(&refused);
            }
        };
        let response = switching_protocols(&admitted);
        let upgrading = hyper::upgrade::on(&mut request);
        let (peer_ip, shutdown) = (peer_ip.to_string(), shutdown.clone());
        tokio::spawn(async move {
            let Ok(upgraded) = upgrading.await else {
                return;
            };
            let ws = WebSocketStream::from_raw_socket(
                TokioIo::new(upgraded),
                Role::Server,
                Some(ws_config()),
            )
            .await;
            let (session_side, pump_side) = pipe::pipe();
            let (broker, principal) = (admitted.broker, admitted.principal);
            let session = session::serve(broker, session_side, principal, peer_ip, shutdown);
            tokio::join!(session, pump_side.pump(ws));
        });
        response
    }

    /// The WebSocket handshake headers, the presigned query, the region and the clock.
    fn admit(&self, request: &Request<Incoming>) -> Result<Admitted, Forbidden> {
        if request.method() != Method::GET || request.uri().path() != PATH {
            return Err(forbidden(format!(
                "MQTT over WebSockets is served at GET {PATH} only"
            )));
        }
        let headers = request.headers();
        let accept_key = websocket_key(headers)?;
        let subprotocol = wants_mqtt(headers)?;
        let presigned = presigned::parse(request.uri().query().unwrap_or_default())?;
        let (emulator, broker) = self.region(&presigned, headers)?;
        presigned.check_time(emulator.registry.clock().now_ms())?;
        Ok(Admitted {
            broker,
            principal: Principal::iam(signer(&emulator)),
            accept_key,
            subprotocol,
        })
    }

    /// The credential scope's region (opened if need be) and its broker; an AWS-shaped
    /// `Host` must name the same region.
    fn region(
        &self,
        presigned: &Presigned,
        headers: &HeaderMap,
    ) -> Result<(Emulator, Broker), Forbidden> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(name, _)| name);
        let region = presigned.region.as_str();
        let wrong_region = || {
            forbidden(format!(
                "Credential should be scoped to a valid region, not '{region}'."
            ))
        };
        if region_of_host(host).is_some_and(|r| r != region) {
            return Err(wrong_region());
        }
        let emulator = self.regions.get(region).map_err(|_| wrong_region())?;
        let broker = self.brokers.get(region).ok_or_else(wrong_region)?;
        Ok((emulator, broker))
    }
}

/// The IAM user id behind a signature, as AWS's `principal()` gives it. Any access key is
/// accepted and the emulator's callers are all the account's root (see
/// [`crate::sts::Sts::caller_identity`]), whose user id is the account id.
fn signer(emulator: &Emulator) -> String {
    let account = emulator.registry.account();
    crate::sts::Sts::new(&account.account_id, &account.region)
        .caller_identity()
        .user_id
}

/// `Upgrade: websocket`, `Connection: upgrade`, version 13 and a key; the accept key.
fn websocket_key(headers: &HeaderMap) -> Result<String, Forbidden> {
    let has = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .unwrap_or_default()
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        })
    };
    let version = headers.get(header::SEC_WEBSOCKET_VERSION);
    let key = headers.get(header::SEC_WEBSOCKET_KEY);
    match key {
        Some(key)
            if has(header::UPGRADE, "websocket")
                && has(header::CONNECTION, "upgrade")
                && version.is_some_and(|v| v == "13") =>
        {
            Ok(accept_key(key.as_bytes()))
        }
        _ => Err(forbidden("Not a WebSocket upgrade request")),
    }
}

/// Whether the client asked for the `mqtt` subprotocol; asking only for others is refused.
fn wants_mqtt(headers: &HeaderMap) -> Result<bool, Forbidden> {
    let offered: Vec<String> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or_default().split(','))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    match offered.is_empty() || offered.iter().any(|p| p == SUBPROTOCOL) {
        true => Ok(!offered.is_empty()),
        false => Err(forbidden(format!(
            "Unsupported WebSocket subprotocol: only '{SUBPROTOCOL}' is served"
        ))),
    }
}

/// `Sec-WebSocket-Accept` for `key` (RFC 6455 §4.2.2).
fn accept_key(key: &[u8]) -> String {
    let mut input = key.to_vec();
    input.extend_from_slice(ACCEPT_GUID.as_bytes());
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &input);
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

fn switching_protocols(admitted: &Admitted) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&admitted.accept_key) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    if admitted.subprotocol {
        let mqtt = HeaderValue::from_static(SUBPROTOCOL);
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, mqtt);
    }
    response
}

fn refusal_response(refused: &Forbidden) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "message": refused.message }).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::FORBIDDEN;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        "x-amzn-ErrorType",
        HeaderValue::from_static(refused.error_type),
    );
    response
}

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_key_is_rfc_6455s() {
        // RFC 6455 §1.3's example.
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
