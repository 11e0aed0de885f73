//! Sending PUBLISH to a client: Message Expiry counted down on the emulator clock, the
//! QoS 1 window opened by PUBACK and filled from the session's queue in the router (a
//! resumed session's stored messages first), the one-hour redelivery limit, and holding
//! the PUBACK of an inbound PUBLISH while its subscribers' queues are full.

use std::collections::VecDeque;

use tokio::io::{AsyncRead, AsyncWrite};

use super::codec::{Packet, PubAckPacket, PublishPacket, QoS, V5};
use super::connection::{self, Connection};
use super::dispatch::{send, Exit};
use super::limits::RECEIVE_MAXIMUM;
use super::router::Delivery;
use super::session::Session;
use super::{message, persist};

type Step = Result<(), Exit>;

/// Stored copies deleted per registry write while a session's stored messages drain.
const FORGET_BATCH: usize = 100;

/// Inbound PUBLISH packets parked behind a held one before the client is no longer read.
const PARK_LIMIT: usize = RECEIVE_MAXIMUM as usize;

/// An inbound QoS 1 PUBLISH, already routed, whose PUBACK waits until the queues of
/// `sessions` are below their limit, and the PUBLISH packets read after it, not yet routed.
#[derive(Debug)]
pub struct Held {
    packet_id: u16,
    sessions: Vec<String>,
    parked: VecDeque<PublishPacket>,
}

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

    /// Holds the PUBACK of `packet_id` until the queues of `sessions` have room. The client
    /// is still read (pings, its own PUBACKs) but further PUBLISH packets wait, and once
    /// [`PARK_LIMIT`] wait it is not read either: its QoS 1 flow backs up to its own window.
    pub(super) fn hold(&mut self, packet_id: u16, sessions: Vec<String>) -> Step {
        tracing::debug!(client_id = %self.client_id, ?sessions, "PUBACK held: queues full");
        self.held = Some(Held {
            packet_id,
            sessions,
            parked: VecDeque::new(),
        });
        Ok(())
    }

    /// Whether the packet loop reads the client now.
    pub(super) fn reading(&self) -> bool {
        (self.held.as_ref()).is_none_or(|held| held.parked.len() < PARK_LIMIT)
    }

    /// An inbound PUBLISH: handled now, or parked behind a held one (order is kept).
    pub(super) async fn park_or_publish<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
        publish: PublishPacket,
    ) -> Step {
        match &mut self.held {
            Some(held) => {
                held.parked.push_back(publish);
                Ok(())
            }
            None => self.on_publish(conn, publish).await,
        }
    }

    /// Completes when the held PUBLISH may be acknowledged; never when none is held.
    pub(super) async fn released(&self) {
        match &self.held {
            Some(held) => {
                let router = &self.broker.shared.router;
                router.wait_for_room(&held.sessions).await;
            }
            None => std::future::pending().await,
        }
    }

    /// Sends the held PUBACK, then handles the parked PUBLISH packets in order until one
    /// is held again (the rest stay parked behind it).
    pub(super) async fn release<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
    ) -> Step {
        let Some(held) = self.held.take() else {
            return Ok(());
        };
        send(conn, &Packet::PubAck(PubAckPacket::new(held.packet_id))).await?;
        let mut parked = held.parked;
        while let Some(publish) = parked.pop_front() {
            self.on_publish(conn, publish).await?;
            if let Some(again) = &mut self.held {
                again.parked.append(&mut parked);
                break;
            }
        }
        Ok(())
    }
}
