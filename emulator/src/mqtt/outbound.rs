//! Sending PUBLISH to a client: Message Expiry counted down on the emulator clock, the
//! QoS 1 window opened by PUBACK, and the replay of a resumed session's stored messages.

use tokio::io::{AsyncRead, AsyncWrite};

use super::codec::{Packet, PublishPacket, QoS, V5};
use super::connection::{self, Connection};
use super::dispatch::Exit;
use super::message;
use super::router::Delivery;
use super::session::Session;

type Step = Result<(), Exit>;

impl Session {
    /// Writes one PUBLISH now (QoS 1 ones enter the window). Expired messages, and ones
    /// larger than the client's MQTT 5 Maximum Packet Size, are dropped.
    pub(super) async fn transmit<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
        delivery: Delivery,
    ) -> Step {
        let remaining = match delivery.expires_at_ms {
            Some(at) => match message::remaining_seconds(at, self.broker.now_ms()) {
                Some(seconds) => Some(seconds),
                None => return Ok(()),
            },
            None => None,
        };
        let m = &delivery.message;
        let mut publish = PublishPacket::new(m.topic.clone(), m.payload.clone(), delivery.qos);
        publish.protocol_version = self.version;
        publish.retain = delivery.retain;
        publish.dup = delivery.dup && delivery.qos == QoS::AtLeastOnce;
        if self.version == V5 {
            publish.properties = match remaining {
                Some(seconds) => message::with_expiry(&m.properties, seconds),
                None => m.properties.clone(),
            };
        }
        let qos1 = delivery.qos == QoS::AtLeastOnce;
        if qos1 {
            publish.packet_id = Some(self.inflight.start(delivery));
        }
        let id = publish.packet_id;
        let bytes = connection::encode(&Packet::Publish(publish)).map_err(|_| Exit::Lost)?;
        if self
            .max_packet_size
            .is_some_and(|max| bytes.len() > max as usize)
        {
            if let Some(id) = id {
                self.inflight.ack(id);
            }
            return Ok(());
        }
        conn.send_bytes(&bytes).await.map_err(|_| Exit::Lost)
    }

    /// PUBACK from the client: releases the message and sends what waited for room.
    pub(super) async fn on_puback<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
        packet_id: u16,
    ) -> Step {
        if !self.inflight.ack(packet_id) {
            tracing::debug!(client_id = %self.client_id, packet_id, "PUBACK for nothing");
            return Ok(());
        }
        while let Some(next) = self.inflight.next_ready() {
            self.transmit(conn, next).await?;
        }
        Ok(())
    }

    /// Sends the QoS 1 messages a resumed session stored while offline (unacknowledged
    /// ones again with DUP), oldest first. AWS paces this at 10 messages per second; the
    /// emulator sends them at once, still bounded by the QoS 1 window.
    pub(super) async fn replay<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
    ) -> Step {
        for delivery in std::mem::take(&mut self.replay) {
            self.deliver(conn, delivery).await?;
        }
        Ok(())
    }
}
