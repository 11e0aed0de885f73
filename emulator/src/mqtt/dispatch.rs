//! The packet loop of an accepted connection: inbound packets (PUBLISH, SUBSCRIBE,
//! UNSUBSCRIBE, PUBACK, PINGREQ, DISCONNECT), deliveries, server control and the
//! keep-alive timer. Sending PUBLISH and the QoS 1 window live in `super::outbound`,
//! SUBSCRIBE and UNSUBSCRIBE in `super::subscribe`.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, watch, Notify};
use tokio::time::Instant;

use super::codec::{FrameError, Packet, PubAckPacket, PublishPacket, QoS, ReasonCode, V5};
use super::connection::{Connection, ReadError};
use super::limits::{self, MAX_PAYLOAD, TOPIC_ALIAS_MAXIMUM};
use super::reserved::{self, Disposition};
use super::router::{Control, Delivery, Message};
use super::session::Session;
use super::{persist, topic};

/// The receiving ends the router and the server use to reach this connection.
#[derive(Debug)]
pub struct Channels {
    pub deliveries: mpsc::Receiver<Delivery>,
    pub control: mpsc::UnboundedReceiver<Control>,
    /// Signalled when the session's QoS 1 queue in the router has something new.
    pub wake: Arc<Notify>,
}

/// Why the packet loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The client sent DISCONNECT; `will` when it asked for its Will anyway (MQTT 5 0x04).
    Client { will: bool },
    /// The stream closed or failed.
    Lost,
    /// The server ends the connection; MQTT 5 clients get DISCONNECT with this reason,
    /// MQTT 3.1.1 clients just see the connection close.
    Server(ReasonCode),
    /// DeleteConnection (MQTT 5 DISCONNECT 0x98); it may end the session and the Will.
    Api {
        clean_session: bool,
        prevent_will: bool,
    },
}

pub(super) type Step = Result<(), Exit>;

/// Packets already read, or deliveries already waiting, handled after an event before the
/// replies are flushed (then the loop looks at control, shutdown and the timer again).
const BATCH: usize = 64;

enum Event {
    Packet(Result<Packet, ReadError>),
    Deliver(Delivery),
    /// The session's QoS 1 queue has something (or the redelivery window moved).
    Wake,
    /// The queues a held PUBLISH waited on have room again.
    Released,
    Control(Control),
    KeepAliveTimeout,
    Shutdown,
}

fn read_exit(error: ReadError) -> Exit {
    match error {
        ReadError::Closed => Exit::Lost,
        ReadError::Frame(FrameError::TooLarge) => Exit::Server(ReasonCode::PacketTooLarge),
        ReadError::Frame(FrameError::Malformed(_)) => Exit::Server(ReasonCode::MalformedPacket),
    }
}

impl Session {
    /// Serves packets until the connection ends. What an event and the work already
    /// waiting behind it produce is written out in one flush.
    pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
        channels: &mut Channels,
        mut shutdown: watch::Receiver<bool>,
    ) -> Exit {
        let grace = limits::keep_alive_grace(self.keep_alive);
        let mut deadline = Instant::now() + grace;
        // A resumed session's stored messages first.
        if let Err(exit) = self.pull(conn).await {
            return exit;
        }
        loop {
            if conn.flush().await.is_err() {
                return Exit::Lost;
            }
            // While a PUBLISH is held and more are parked behind it, the client is not read
            // from (nor timed out).
            let reading = self.reading();
            let event = tokio::select! {
                read = conn.read_packet(), if reading => Event::Packet(read),
                Some(d) = channels.deliveries.recv() => Event::Deliver(d),
                _ = channels.wake.notified() => Event::Wake,
                _ = self.released() => Event::Released,
                Some(c) = channels.control.recv() => Event::Control(c),
                _ = tokio::time::sleep_until(deadline), if reading => Event::KeepAliveTimeout,
                _ = shutdown.changed() => Event::Shutdown,
            };
            let step = match event {
                Event::Packet(Ok(packet)) => {
                    deadline = Instant::now() + grace;
                    self.on_packet(conn, packet).await
                }
                Event::Packet(Err(e)) => Err(read_exit(e)),
                Event::Deliver(delivery) => self.deliver(conn, delivery).await,
                Event::Wake => self.on_wake(conn).await,
                Event::Released => {
                    deadline = Instant::now() + grace;
                    self.release(conn).await
                }
                Event::Control(Control::Disconnect(reason)) => Err(Exit::Server(reason)),
                Event::Control(Control::Api {
                    clean_session,
                    prevent_will,
                }) => Err(Exit::Api {
                    clean_session,
                    prevent_will,
                }),
                Event::KeepAliveTimeout => Err(Exit::Server(ReasonCode::KeepAliveTimeout)),
                Event::Shutdown => Err(Exit::Server(ReasonCode::ServerShuttingDown)),
            };
            if let Err(exit) = step {
                return exit;
            }
            if let Err(exit) = self.batch(conn, channels, &mut deadline).await {
                return exit;
            }
        }
    }

    /// Handles what is already waiting without I/O, up to [`BATCH`] items: whole packets
    /// in the read buffer (while the client is read from), then queued deliveries.
    async fn batch<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
        channels: &mut Channels,
        deadline: &mut Instant,
    ) -> Step {
        let grace = limits::keep_alive_grace(self.keep_alive);
        for _ in 0..BATCH {
            if !self.reading() {
                break;
            }
            match conn.buffered_packet() {
                Some(Ok(packet)) => {
                    *deadline = Instant::now() + grace;
                    self.on_packet(conn, packet).await?;
                }
                Some(Err(e)) => return Err(read_exit(e)),
                None => break,
            }
        }
        // One group commit for every PUBLISH of the batch, then their PUBACKs.
        self.settle(conn).await?;
        for _ in 0..BATCH {
            match channels.deliveries.try_recv() {
                Ok(delivery) => self.deliver(conn, delivery).await?,
                Err(_) => break,
            }
        }
        Ok(())
    }

    async fn on_packet<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
        packet: Packet,
    ) -> Step {
        match packet {
            Packet::Publish(p) => self.park_or_publish(conn, p).await,
            Packet::PubAck(ack) => self.on_puback(conn, ack.packet_id).await,
            Packet::Subscribe(p) => self.on_subscribe(conn, p).await,
            Packet::Unsubscribe(p) => self.on_unsubscribe(conn, p).await,
            Packet::PingReq => send(conn, &Packet::PingResp).await,
            Packet::Disconnect(d) => {
                let requested = d.properties.get_session_expiry_interval();
                self.expiry_s = persist::expiry_on_disconnect(self.expiry_s, requested)
                    .map_err(Exit::Server)?;
                Err(Exit::Client {
                    will: d.reason_code == ReasonCode::DisconnectWithWillMessage,
                })
            }
            // QoS 2 flows are not supported by AWS IoT.
            Packet::PubRec(_) | Packet::PubRel(_) | Packet::PubComp(_) => {
                Err(Exit::Server(ReasonCode::QoSNotSupported))
            }
            // A second CONNECT, AUTH, or a server-to-client packet.
            _ => Err(Exit::Server(ReasonCode::ProtocolError)),
        }
    }

    /// The topic of an inbound PUBLISH, resolving MQTT 5 topic aliases.
    fn resolve_topic(&mut self, publish: &mut PublishPacket) -> Result<String, Exit> {
        let Some(alias) = publish.properties.get_topic_alias() else {
            return Ok(std::mem::take(&mut publish.topic_name));
        };
        publish.properties.remove_topic_alias();
        if self.version != V5 || alias == 0 || alias > TOPIC_ALIAS_MAXIMUM {
            return Err(Exit::Server(ReasonCode::TopicAliasInvalid));
        }
        if publish.topic_name.is_empty() {
            let known = self.aliases.get(&alias).cloned();
            return known.ok_or(Exit::Server(ReasonCode::ProtocolError));
        }
        self.aliases.insert(alias, publish.topic_name.clone());
        Ok(std::mem::take(&mut publish.topic_name))
    }

    pub(super) async fn on_publish<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
        mut publish: PublishPacket,
    ) -> Step {
        // AWS: QoS 2 is refused (MQTT 5 DISCONNECT 0x9B, MQTT 3.1.1 closed connection).
        if publish.qos == QoS::ExactlyOnce {
            return Err(Exit::Server(ReasonCode::QoSNotSupported));
        }
        let topic = self.resolve_topic(&mut publish)?;
        if topic::validate_topic_name(&topic).is_err() {
            return Err(Exit::Server(ReasonCode::TopicNameInvalid));
        }
        if publish.payload.len() > MAX_PAYLOAD {
            return Err(Exit::Server(ReasonCode::PacketTooLarge));
        }
        if !self.authorize_publish(&topic, &publish)? {
            return self.refuse_publish(conn, &publish).await;
        }
        publish.properties.remove_subscription_identifiers();
        let disposition = reserved::classify(&topic);
        let shadow = match &disposition {
            Disposition::Shadow(request) => Some((request.clone(), publish.payload.clone())),
            _ => None,
        };
        match disposition {
            // A shadow request reaches the request topic's subscribers and rules like any
            // publish, then the shadow service answers it.
            Disposition::Route | Disposition::Shadow(_) => {
                let message = Message {
                    topic,
                    payload: publish.payload,
                    qos: publish.qos,
                    retain: publish.retain,
                    properties: publish.properties,
                };
                let id = publish
                    .packet_id
                    .filter(|_| message.qos == QoS::AtLeastOnce);
                self.route_publish(conn, message, id).await?;
                if let Some((request, payload)) = shadow {
                    self.broker.answer_shadow(&request, &payload);
                }
                return Ok(());
            }
            Disposition::Handle(route) => {
                // A choice (README "Topic rules"): rules see fleet provisioning requests,
                // like any device publish; the replies, which carry keys and tokens, go
                // only to the requester.
                let router = &self.broker.shared.router;
                router.to_rules(&self.client_id, &topic, &publish.payload);
                self.spawn_reserved(route, publish.payload)
            }
            Disposition::Jobs(route) => {
                let router = &self.broker.shared.router;
                router.to_rules(&self.client_id, &topic, &publish.payload);
                self.spawn_jobs(route, publish.payload)
            }
            Disposition::Drop => tracing::info!(%topic, "publish to a reply topic dropped"),
        }
        // PUBACKs go in the order the PUBLISH packets came.
        self.settle(conn).await?;
        match publish
            .packet_id
            .filter(|_| publish.qos == QoS::AtLeastOnce)
        {
            Some(id) => send(conn, &Packet::PubAck(PubAckPacket::new(id))).await,
            None => Ok(()),
        }
    }

    /// Sends one message to this client (unless its policy denies `iot:Receive` on the
    /// topic), or queues it while the QoS 1 window is full.
    pub(super) async fn deliver<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
        delivery: Delivery,
    ) -> Step {
        if !self.may_receive(&delivery.message.topic) {
            self.discard(&delivery);
            return Ok(());
        }
        if delivery.qos == QoS::AtLeastOnce && !self.inflight.has_room() {
            if !self.inflight.queue(delivery) {
                tracing::debug!(client_id = %self.client_id, "QoS 1 queue full: dropped");
            }
            return Ok(());
        }
        self.transmit(conn, delivery).await
    }
}

pub(super) async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Connection<S>,
    packet: &Packet,
) -> Step {
    conn.send(packet).await.map_err(|_| Exit::Lost)
}
