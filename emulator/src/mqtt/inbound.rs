//! Acknowledging an inbound PUBLISH: routed now, its PUBACK sent once the write that
//! stores it for persistent sessions is on disk (the PUBACKs of a batch of packets share
//! one group commit), or held while its subscribers' queues are full.

use std::collections::VecDeque;

use tokio::io::{AsyncRead, AsyncWrite};

use super::codec::{Packet, PubAckPacket, PublishPacket, ReasonCode};
use super::connection::Connection;
use super::dispatch::{send, Exit};
use super::limits::RECEIVE_MAXIMUM;
use super::router::Message;
use super::session::Session;
use crate::registry::Pending;

type Step = Result<(), Exit>;

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
    /// Routes an authorized PUBLISH on an ordinary topic. A QoS 1 one is acknowledged by
    /// [`Session::settle`] once its stored copies are on disk, in the order received, or
    /// held while some subscriber's queue is full.
    pub(super) async fn route_publish<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
        message: Message,
        packet_id: Option<u16>,
    ) -> Step {
        // Stored (if retained) and routed before the PUBACK: the inbound QoS 1 window
        // never holds more than the packets of one batch, well inside AWS's 100.
        let router = &self.broker.shared.router;
        let published = match router.publish_held(&self.client_id, message) {
            Ok(published) => published,
            Err(e) => {
                tracing::error!(cause = %e.message, "message not stored");
                return Err(Exit::Server(ReasonCode::UnspecifiedError));
            }
        };
        let Some(id) = packet_id else {
            return Ok(());
        };
        if published.full.is_empty() {
            self.unsettled.push((id, published.pending));
            return Ok(());
        }
        // Subscribers are behind: the PUBACKs before this one go now, this one once
        // their queues have room (and its own write is on disk).
        self.settle(conn).await?;
        self.wait_for(published.pending)?;
        self.hold(id, published.full)
    }

    /// Sends the PUBACKs waiting for their writes, in the order their PUBLISH packets came,
    /// once those are on disk. The first wait commits every write queued so far, so the
    /// rest are already resolved.
    pub(super) async fn settle<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
    ) -> Step {
        for (id, pending) in std::mem::take(&mut self.unsettled) {
            self.wait_for(pending)?;
            send(conn, &Packet::PubAck(PubAckPacket::new(id))).await?;
        }
        Ok(())
    }

    fn wait_for(&self, pending: Pending) -> Step {
        let registry = &self.broker.shared.emulator.registry;
        registry.settle(pending).map_err(|e| {
            tracing::error!(cause = %e.message, "stored messages not committed");
            Exit::Server(ReasonCode::UnspecifiedError)
        })
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
