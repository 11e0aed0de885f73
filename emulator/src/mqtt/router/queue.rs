//! The QoS 1 queue of each session, live or offline: connections take from it as their
//! QoS 1 window opens, publishers whose message fills it wait for room, and messages past
//! the one-hour redelivery window leave it. Bounds: [`persist`]'s module documentation.

use super::*;

impl Router {
    /// Takes up to `max` queued QoS 1 deliveries for connection `conn_id` of `client_id`,
    /// oldest first, dropping those past the redelivery window; empty when that connection
    /// no longer holds the session.
    pub fn take_queued(&self, client_id: &str, conn_id: u64, max: usize) -> Vec<Delivery> {
        let now = self.now_ms();
        let mut state = self.lock();
        let owned = state
            .clients
            .get_mut(client_id)
            .filter(|c| c.handle.as_ref().is_some_and(|h| h.conn_id == conn_id));
        let Some(client) = owned else {
            return Vec::new();
        };
        let was_full = client.congested();
        let (mut out, mut stale) = (Vec::new(), Vec::new());
        while out.len() < max {
            let Some(delivery) = client.session.queue.pop_front() else {
                break;
            };
            if !persist::past_redelivery(&delivery, now) {
                out.push(delivery);
            } else if let Some(seq) = delivery.stored {
                stale.push(seq);
            }
        }
        if was_full && !client.congested() {
            self.drained.notify_waiters();
        }
        drop(state);
        self.forget_stored(client_id, &stale);
        out
    }

    /// How many QoS 1 messages the session of `client_id` has queued (not yet handed to a
    /// connection).
    pub fn queued(&self, client_id: &str) -> usize {
        let state = self.lock();
        state
            .clients
            .get(client_id)
            .map_or(0, |c| c.session.queue.len())
    }

    /// Returns once none of `clients` has a QoS 1 queue at its limit (an ended or expired
    /// session has none).
    pub async fn wait_for_room(&self, clients: &[String]) {
        loop {
            let notified = self.drained.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if !self.any_full(clients) {
                return;
            }
            notified.await;
        }
    }

    fn any_full(&self, clients: &[String]) -> bool {
        let now = self.now_ms();
        let state = self.lock();
        clients.iter().any(|id| {
            let client = state.clients.get(id);
            client.is_some_and(|c| !c.session.expired(now) && c.congested())
        })
    }

    /// Drops queued QoS 1 messages past the redelivery window from offline sessions and
    /// wakes every connection to drop its own (see [`Router::take_queued`]).
    pub fn drop_stale(&self) {
        let now = self.now_ms();
        let mut state = self.lock();
        let mut stale: Vec<(String, Vec<u64>)> = Vec::new();
        for (client_id, client) in state.clients.iter_mut() {
            if let Some(handle) = &client.handle {
                handle.wake.notify_one();
                continue;
            }
            let queue = &mut client.session.queue;
            let seqs: Vec<u64> = queue
                .iter()
                .filter(|d| persist::past_redelivery(d, now))
                .filter_map(|d| d.stored)
                .collect();
            if !seqs.is_empty() {
                stale.push((client_id.clone(), seqs));
            }
            queue.retain(|d| !persist::past_redelivery(d, now));
        }
        drop(state);
        for (client_id, seqs) in stale {
            self.forget_stored(&client_id, &seqs);
        }
        self.drained.notify_waiters();
    }

    /// Held publishers look again (a session ended or went offline).
    pub(super) fn wake_held(&self) {
        self.drained.notify_waiters();
    }
}
