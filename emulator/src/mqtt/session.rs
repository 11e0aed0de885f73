//! One client connection from accept to close: TLS handshake, certificate decision (or,
//! for WebSockets, the principal [`super::websocket`] decided), CONNECT/CONNACK with the
//! session resumed or started, the packet loop ([`super::dispatch`]), then the Will, the
//! session going offline, and lifecycle events.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch, Notify};

use super::auth::{self, Decision, Principal};
use super::codec::{ConnectPacket, Packet, Properties, PropertyId, QoS, ReasonCode, V311, V5};
use super::connection::{Connection, Transport};
use super::dispatch::{Channels, Exit};
use super::inflight::Inflight;
use super::limits::{self, Accepted, RECEIVE_MAXIMUM};
use super::router::{AttachRequest, ClientHandle, Departure, Message};
use super::{persist, topic, Broker, Brokers};
use crate::tls::RegionTls;

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send CONNECT after the handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// QoS 0 deliveries queued for one connection before new ones are dropped (QoS 1 ones wait
/// in the session's queue in the router).
const DELIVERY_QUEUE: usize = 1000;

/// What the broker knows about an accepted connection.
#[derive(Debug)]
pub struct Session {
    pub broker: Broker,
    pub conn_id: u64,
    pub client_id: String,
    pub principal: Principal,
    pub version: u8,
    pub keep_alive: u16,
    pub will: Option<Message>,
    /// MQTT 5 inbound topic aliases.
    pub aliases: HashMap<u16, String>,
    /// Outbound QoS 1 deliveries awaiting PUBACK, and those queued behind them.
    pub inflight: Inflight,
    /// The client's MQTT 5 Maximum Packet Size, if it set one.
    pub max_packet_size: Option<u32>,
    /// Seconds the session outlives this connection (0: it ends with it).
    pub expiry_s: u32,
    /// The router's session generation (see [`Departure`]).
    pub generation: u64,
    /// Lifecycle-event fields.
    pub session_identifier: String,
    pub version_number: u64,
    pub peer_ip: String,
    /// An inbound QoS 1 PUBLISH whose PUBACK waits for room in other sessions' queues.
    pub held: Option<super::inbound::Held>,
    /// QoS 1 PUBLISH packets routed whose PUBACK waits for their stored copies to be on
    /// disk, oldest first ([`Session::settle`]).
    pub unsettled: Vec<(u16, crate::registry::Pending)>,
    /// Stored messages acknowledged or dropped whose copies are not deleted yet.
    pub done_stored: Vec<u64>,
    /// This connection's policies, kept until the registry changes (issue 17).
    pub authorization: crate::policy::AuthorizationCache,
}

/// Serves one accepted TCP connection (mutual TLS) until it closes.
pub async fn run(
    brokers: Brokers,
    tls: RegionTls,
    socket: TcpStream,
    shutdown: watch::Receiver<bool>,
) {
    let peer_ip = socket
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let Ok(Some((region, _, stream))) =
        tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(socket)).await
    else {
        return;
    };
    // Every open region has its broker (attached when the region opened).
    let Some(broker) = brokers.get(&region) else {
        return;
    };
    let chain = stream
        .get_ref()
        .1
        .peer_certificates()
        .map(<[_]>::to_vec)
        .unwrap_or_default();
    let principal = match auth::decide(&broker.shared.emulator, &chain) {
        Decision::Allow(principal) => principal,
        Decision::Refuse(refusal) => {
            // AWS closes the connection without a CONNACK, whatever the MQTT version.
            tracing::info!(?refusal, "client certificate refused");
            return Connection::new(stream).close().await;
        }
    };
    serve(broker, stream, principal, peer_ip, shutdown).await;
}

/// CONNECT, the packet loop and the close on an authenticated byte stream: a mutual-TLS
/// connection, or the MQTT bytes of a WebSocket ([`super::websocket`]).
pub async fn serve<S: Transport>(
    broker: Broker,
    stream: S,
    principal: Principal,
    peer_ip: String,
    shutdown: watch::Receiver<bool>,
) {
    let mut conn = Connection::new(stream);
    let Some((mut session, channels)) = connect(&broker, &mut conn, principal).await else {
        return conn.close().await;
    };
    session.peer_ip = peer_ip;
    session.announce_connected();
    finish(session, conn, channels, shutdown).await;
}

/// Reads CONNECT and answers it; `None` when the connection must close.
async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
    broker: &Broker,
    conn: &mut Connection<S>,
    principal: Principal,
) -> Option<(Session, Channels)> {
    let read = tokio::time::timeout(CONNECT_TIMEOUT, conn.read_packet()).await;
    let Ok(Ok(Packet::Connect(connect))) = read else {
        return None;
    };
    if connect.protocol_version != V311 && connect.protocol_version != V5 {
        return None;
    }
    conn.version = connect.protocol_version;
    let authorized = |()| super::authorize::connect(broker, &connect, &principal);
    if let Err(reason) = check_connect(&connect).and_then(authorized) {
        tracing::info!(?reason, client_id = %connect.client_id, "CONNECT refused");
        if conn.version == V5 {
            let _ = conn.send(&Packet::ConnAck(limits::refusal(reason))).await;
        }
        return None;
    }
    let (session, channels, accepted) = accept(broker, *connect, principal);
    let connack = limits::connack(session.version, &accepted);
    // Flushed before the connection is announced to anyone else.
    conn.send(&Packet::ConnAck(connack)).await.ok()?;
    conn.flush().await.ok()?;
    Some((session, channels))
}

/// CONNECT rules: client id, Will, unsupported features (reason codes for MQTT 5).
fn check_connect(connect: &ConnectPacket) -> Result<(), ReasonCode> {
    if !connect.client_id.is_empty() && !limits::client_id_ok(&connect.client_id) {
        return Err(ReasonCode::ClientIdentifierNotValid);
    }
    if connect
        .properties
        .contains(PropertyId::AuthenticationMethod)
    {
        return Err(ReasonCode::BadAuthenticationMethod);
    }
    if let Some(will) = &connect.will {
        if will.qos == QoS::ExactlyOnce {
            return Err(ReasonCode::QoSNotSupported);
        }
        if topic::validate_topic_name(&will.topic).is_err() {
            return Err(ReasonCode::TopicNameInvalid);
        }
        if will.payload.len() > limits::MAX_PAYLOAD {
            return Err(ReasonCode::PacketTooLarge);
        }
    }
    Ok(())
}

/// Registers the connection with the router (displacing an older one with the same
/// client id) and builds its session.
fn accept(
    broker: &Broker,
    connect: ConnectPacket,
    principal: Principal,
) -> (Session, Channels, Accepted) {
    let assigned = connect.client_id.is_empty().then(|| {
        let uuid = broker
            .shared
            .emulator
            .registry
            .entropy()
            .uuid("mqtt-client-id");
        format!("$GEN/{uuid}")
    });
    let client_id = assigned
        .clone()
        .unwrap_or_else(|| connect.client_id.clone());
    let conn_id = broker.next_conn_id();
    let (deliveries_tx, deliveries) = mpsc::channel(DELIVERY_QUEUE);
    let (control_tx, control) = mpsc::unbounded_channel();
    let wake = Arc::new(Notify::new());
    let handle = ClientHandle {
        conn_id,
        principal_id: principal.identifier().to_string(),
        deliveries: deliveries_tx,
        control: control_tx,
        wake: wake.clone(),
    };
    let requested_expiry = connect.properties.get_session_expiry_interval();
    let version = connect.protocol_version;
    let expiry_s = persist::session_expiry(version, connect.clean_start, requested_expiry);
    let registry = &broker.shared.emulator.registry;
    let request = AttachRequest {
        handle,
        version,
        clean_start: connect.clean_start,
        expiry_s,
        session_identifier: registry.entropy().uuid("mqtt-session-id"),
    };
    let attached = broker.shared.router.attach_session(&client_id, request);
    if let Some(old) = attached.displaced {
        let _ = old.control.send(super::router::Control::Disconnect(
            ReasonCode::SessionTakenOver,
        ));
    }
    let accepted = Accepted {
        keep_alive: limits::keep_alive(connect.keep_alive),
        // MQTT 3.1.1 has no way to tell the client the id it was given.
        assigned_client_id: assigned.filter(|_| version == V5),
        requested_session_expiry: requested_expiry,
        session_present: attached.session_present,
    };
    // AWS keeps at most 100 unacknowledged QoS 1 messages in flight to a client, fewer if
    // the client's MQTT 5 Receive Maximum asks for fewer.
    let window = connect
        .properties
        .get_receive_maximum()
        .map_or(RECEIVE_MAXIMUM, |m| m.min(RECEIVE_MAXIMUM));
    let version_number = broker
        .shared
        .presence
        .on_connect(&client_id, broker.now_ms());
    let session = Session {
        broker: broker.clone(),
        conn_id,
        client_id,
        principal,
        version,
        keep_alive: accepted.keep_alive,
        will: connect.will.map(will_message),
        aliases: HashMap::new(),
        inflight: Inflight::new(window),
        max_packet_size: connect.properties.get_maximum_packet_size(),
        expiry_s,
        generation: attached.generation,
        session_identifier: attached.session_identifier,
        version_number,
        peer_ip: String::new(),
        held: None,
        unsettled: Vec::new(),
        done_stored: Vec::new(),
        authorization: Default::default(),
    };
    (
        session,
        Channels {
            deliveries,
            control,
            wake,
        },
        accepted,
    )
}

fn will_message(will: super::codec::WillMessage) -> Message {
    Message {
        topic: will.topic,
        payload: Bytes::from(will.payload),
        qos: will.qos,
        retain: will.retain,
        properties: Properties::from(will.properties),
    }
}

/// Runs the packet loop, then closes: MQTT 5 DISCONNECT for server-side reasons, the
/// session offline (or ended), the Will unless the client disconnected cleanly, and the
/// disconnected lifecycle event.
async fn finish<S: Transport>(
    mut session: Session,
    mut conn: Connection<S>,
    mut channels: Channels,
    shutdown: watch::Receiver<bool>,
) {
    tracing::debug!(client_id = %session.client_id, "connected");
    let exit = match session.serve(&mut conn, &mut channels, shutdown).await {
        // A WebSocket Close frame ends it as a DISCONNECT would (no Will).
        Exit::Lost if conn.stream().closed_by_client() => Exit::Client { will: false },
        exit => exit,
    };
    tracing::debug!(client_id = %session.client_id, ?exit, "disconnecting");
    let reason = match exit {
        Exit::Server(reason) => Some(reason),
        Exit::Api { .. } => Some(ReasonCode::AdministrativeAction),
        _ => None,
    };
    if let (Some(reason), V5) = (reason, session.version) {
        let disconnect = super::codec::DisconnectPacket::new(reason);
        let _ = conn.send(&Packet::Disconnect(disconnect)).await;
    }
    conn.close().await;
    session.forget_done();
    let mut leftovers = session.inflight.take_all();
    while let Ok(delivery) = channels.deliveries.try_recv() {
        if delivery.qos == QoS::AtLeastOnce {
            leftovers.push(delivery);
        }
    }
    let clean = matches!(
        exit,
        Exit::Api {
            clean_session: true,
            ..
        }
    );
    let departure = Departure {
        conn_id: session.conn_id,
        generation: session.generation,
        expiry_s: if clean { 0 } else { session.expiry_s },
        leftovers,
    };
    let router = &session.broker.shared.router;
    router.depart(&session.client_id, departure);
    session.announce_disconnected(&exit);
    let will_suppressed = matches!(
        exit,
        Exit::Client { will: false }
            | Exit::Api {
                prevent_will: true,
                ..
            }
    );
    if let Some(will) = session.will.take().filter(|_| !will_suppressed) {
        if let Err(e) = router.publish(&session.client_id, will) {
            tracing::warn!(cause = %e.message, "Will not published");
        }
    }
}
