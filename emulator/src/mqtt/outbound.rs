//! Sending PUBLISH to a client: Message Expiry counted down on the emulator clock, the
//! QoS 1 window opened by PUBACK and filled from the session's queue in the router (a
//! resumed session's stored messages first) and the one-hour redelivery limit.

use tokio::io::{AsyncRead, AsyncWrite};

use super::codec::{Packet, PublishPacket, QoS, V5};
use super::connection::{self, Connection};
use super::dispatch::Exit;
use super::router::Delivery;
use super::session::Session;
use super::{message, persist};

type Step = Result<(), Exit>;

/// Stored copies deleted per registry write while a session's stored messages drain.
const FORGET_BATCH: usize = 100;

impl Session {
    /// Writes one PUBLISH now (QoS 1 ones enter the window). Expired messages, and ones
    /// larger than the client's MQTT 5 Maximum Packet Size, are dropped.
    pub(super) async fn transmit<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
        delivery: Delivery,
    ) -> Step {
        let now = self.broker.now_ms();
        if persist::past_redelivery(&delivery, now) {
            self.discard(&delivery);
            return Ok(());
        }
        let remaining = match delivery.expires_at_ms {
            Some(at) => match message::remaining_seconds(at, now) {
                Some(seconds) => Some(seconds),
                None => {
                    self.discard(&delivery);
                    return Ok(());
                }
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
            if let Some(dropped) = id.and_then(|id| self.inflight.ack(id)) {
                self.discard(&dropped);
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
        let Some(acked) = self.inflight.ack(packet_id) else {
            tracing::debug!(client_id = %self.client_id, packet_id, "PUBACK for nothing");
            return Ok(());
        };
        self.discard(&acked);
        while let Some(next) = self.inflight.next_ready() {
            self.transmit(conn, next).await?;
        }
        self.pull(conn).await
    }

    /// Fills the QoS 1 window from the session's queue in the router, oldest first: on a
    /// resumed session its stored messages (unacknowledged ones again with DUP). AWS paces
    /// the replay at 10 messages per second; the emulator sends at once, within the window.
    pub(super) async fn pull<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
    ) -> Step {
        let broker = self.broker.clone();
        loop {
            let room = self.inflight.room();
            let batch = match room {
                0 => return Ok(()),
                _ => (broker.shared.router).take_queued(&self.client_id, self.conn_id, room),
            };
            if batch.is_empty() {
                return Ok(());
            }
            let mut batch = batch.into_iter();
            while let Some(delivery) = batch.next() {
                if let Err(exit) = self.deliver(conn, delivery).await {
                    // The connection is gone: what this batch still holds stays the
                    // session's, handed back with the window when the connection ends.
                    batch.for_each(|rest| {
                        self.inflight.queue(rest);
                    });
                    return Err(exit);
                }
            }
        }
    }

    /// The session's queue has news, or the clock moved: messages unacknowledged for an
    /// hour leave the window, then the window is filled again.
    pub(super) async fn on_wake<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
    ) -> Step {
        for stale in self.inflight.drop_stale(self.broker.now_ms()) {
            self.discard(&stale);
        }
        while let Some(next) = self.inflight.next_ready() {
            self.transmit(conn, next).await?;
        }
        self.pull(conn).await
    }

    /// A delivery is done with (acknowledged or dropped): its stored copy goes too, in
    /// batches (a crash before a batch is written only means a duplicate after restart).
    pub(super) fn discard(&mut self, delivery: &Delivery) {
        if let Some(seq) = delivery.stored {
            self.done_stored.push(seq);
            if self.done_stored.len() >= FORGET_BATCH || self.inflight.unacked() == 0 {
                self.forget_done();
            }
        }
    }

    /// Deletes the stored copies of the deliveries done with so far.
    pub fn forget_done(&mut self) {
        if !self.done_stored.is_empty() {
            let router = &self.broker.shared.router;
            router.forget_stored(&self.client_id, &std::mem::take(&mut self.done_stored));
        }
    }
}
