//! Outbound QoS 1 flow control of one connection: the unacknowledged deliveries by packet
//! id (at most the Receive Maximum in flight), the few queued behind them locally
//! (retained messages and reserved-topic replies; routed messages wait in the session's
//! queue in the router instead), and handing both back when the connection ends so a
//! persistent session can redeliver them.

use std::collections::VecDeque;

use super::persist;
use super::router::Delivery;

/// Retained messages and replies held behind a full window before new ones are dropped.
pub const MAX_PENDING: usize = 1000;

/// The QoS 1 window of one connection.
#[derive(Debug)]
pub struct Inflight {
    limit: usize,
    /// Sent and not yet acknowledged, oldest first.
    unacked: VecDeque<(u16, Delivery)>,
    /// Waiting for room in the window, oldest first.
    pending: VecDeque<Delivery>,
    last_id: u16,
}

impl Inflight {
    /// A window of `limit` unacknowledged messages (at least 1).
    pub fn new(limit: u16) -> Self {
        Inflight {
            limit: usize::from(limit.max(1)),
            unacked: VecDeque::new(),
            pending: VecDeque::new(),
            last_id: 0,
        }
    }

    /// Whether a new QoS 1 delivery may be sent now (nothing queued ahead of it).
    pub fn has_room(&self) -> bool {
        self.unacked.len() < self.limit && self.pending.is_empty()
    }

    /// How many more QoS 1 deliveries may be sent now (none while some are queued here).
    pub fn room(&self) -> usize {
        if self.pending.is_empty() {
            self.limit.saturating_sub(self.unacked.len())
        } else {
            0
        }
    }

    /// Drops the deliveries past the redelivery window (one hour) and returns them.
    pub fn drop_stale(&mut self, now_ms: i64) -> Vec<Delivery> {
        let stale = |d: &Delivery| persist::past_redelivery(d, now_ms);
        let mut dropped: Vec<Delivery> = Vec::new();
        for (id, d) in std::mem::take(&mut self.unacked) {
            if stale(&d) {
                dropped.push(d);
            } else {
                self.unacked.push_back((id, d));
            }
        }
        let (old, keep): (Vec<Delivery>, Vec<Delivery>) = self.pending.drain(..).partition(stale);
        self.pending = keep.into();
        dropped.extend(old);
        dropped
    }

    /// Queues a delivery behind the window; `false` when the queue is full and it is dropped.
    pub fn queue(&mut self, delivery: Delivery) -> bool {
        if self.pending.len() >= MAX_PENDING {
            return false;
        }
        self.pending.push_back(delivery);
        true
    }

    /// Records `delivery` as sent and returns the packet id to send it with.
    pub fn start(&mut self, delivery: Delivery) -> u16 {
        let id = self.free_id();
        self.unacked.push_back((id, delivery));
        id
    }

    /// Releases and returns the delivery acknowledged by PUBACK `id` (`None` for an
    /// unknown id).
    pub fn ack(&mut self, id: u16) -> Option<Delivery> {
        let at = self.unacked.iter().position(|(i, _)| *i == id)?;
        self.unacked.remove(at).map(|(_, d)| d)
    }

    /// The next queued delivery, once the window has room for it.
    pub fn next_ready(&mut self) -> Option<Delivery> {
        if self.unacked.len() < self.limit {
            self.pending.pop_front()
        } else {
            None
        }
    }

    /// Number of unacknowledged deliveries.
    pub fn unacked(&self) -> usize {
        self.unacked.len()
    }

    /// Everything not acknowledged, in order: sent ones marked DUP, then the queued ones.
    pub fn take_all(&mut self) -> Vec<Delivery> {
        let sent = self.unacked.drain(..).map(|(_, mut d)| {
            d.dup = true;
            d
        });
        let mut out: Vec<Delivery> = sent.collect();
        out.extend(self.pending.drain(..));
        out
    }

    /// The next packet id (1..=65535) not held by an unacknowledged delivery.
    pub fn free_id(&mut self) -> u16 {
        loop {
            self.last_id = self.last_id.checked_add(1).unwrap_or(1);
            let id = self.last_id;
            if !self.unacked.iter().any(|(i, _)| *i == id) {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;

    use super::*;
    use crate::mqtt::codec::{Properties, QoS};
    use crate::mqtt::router::Message;

    fn delivery(topic: &str) -> Delivery {
        Delivery {
            message: Arc::new(Message {
                topic: topic.into(),
                payload: Bytes::new(),
                qos: QoS::AtLeastOnce,
                retain: false,
                properties: Properties::default(),
            }),
            qos: QoS::AtLeastOnce,
            retain: false,
            dup: false,
            expires_at_ms: None,
            routed_at_ms: 0,
            stored: None,
        }
    }

    fn topics(ds: &[Delivery]) -> Vec<(&str, bool)> {
        ds.iter()
            .map(|d| (d.message.topic.as_str(), d.dup))
            .collect()
    }

    #[test]
    fn the_window_holds_limit_messages_and_acks_open_it() {
        let mut w = Inflight::new(2);
        let a = w.start(delivery("a"));
        let b = w.start(delivery("b"));
        assert_eq!((a, b), (1, 2));
        assert!(!w.has_room());
        assert!(w.queue(delivery("c")));
        assert!(w.next_ready().is_none());
        assert!(w.ack(7).is_none(), "unknown ids are ignored");
        assert!(w.ack(a).is_some());
        let c = w.next_ready().expect("room again");
        assert_eq!(c.message.topic, "c");
        assert!(w.has_room());
    }

    #[test]
    fn take_all_marks_sent_ones_dup_and_keeps_order() {
        let mut w = Inflight::new(1);
        w.start(delivery("a"));
        w.queue(delivery("b"));
        let all = w.take_all();
        assert_eq!(topics(&all), vec![("a", true), ("b", false)]);
        assert_eq!(w.unacked(), 0);
        assert!(w.has_room());
    }

    #[test]
    fn packet_ids_wrap_and_skip_ids_in_use() {
        let mut w = Inflight::new(100);
        w.last_id = 65534;
        assert_eq!(w.start(delivery("a")), 65535);
        assert_eq!(w.start(delivery("b")), 1);
        w.last_id = 65534;
        assert_eq!(w.free_id(), 2, "65535 and 1 are still unacknowledged");
    }

    #[test]
    fn room_counts_the_free_window_and_stale_messages_leave_it() {
        let mut w = Inflight::new(3);
        w.start(delivery("a"));
        assert_eq!(w.room(), 2);
        let mut late = delivery("b");
        late.routed_at_ms = 10;
        w.start(late);
        w.drop_stale(persist::REDELIVERY_WINDOW_MS);
        assert_eq!(
            (w.unacked(), w.room()),
            (1, 2),
            "a is an hour old, b not yet"
        );
        w.drop_stale(persist::REDELIVERY_WINDOW_MS + 10);
        assert_eq!(w.unacked(), 0);
        w.queue(delivery("c"));
        assert_eq!(w.room(), 0, "nothing passes what is queued here");
    }

    #[test]
    fn a_zero_receive_maximum_still_allows_one() {
        let mut w = Inflight::new(0);
        assert!(w.has_room());
        w.start(delivery("a"));
        assert!(!w.has_room());
    }
}
