//! Keeping persistent sessions in the registry so that they survive a restart: the session
//! row whenever its subscriptions or expiry change, and every QoS 1 message routed to it,
//! connected or offline, durably before the publisher gets its PUBACK. A stored message
//! leaves the store once the client acknowledges it or it is dropped; when a connection
//! ends, its unacknowledged messages are written again marked DUP.

use super::*;
use crate::registry::session::{StoredMessage, StoredSession, StoredSubscription};

/// The stored form of `client_id`'s session.
pub(super) fn session_row(client_id: &str, session: &SessionState) -> StoredSession {
    let subscriptions =
        session
            .subscriptions
            .iter()
            .map(|(raw, (_, options))| StoredSubscription {
                filter: raw.clone(),
                qos: u8::from(options.qos != QoS::AtMostOnce),
                no_local: options.no_local,
            });
    StoredSession {
        client_id: client_id.to_string(),
        version: session.version,
        expiry_s: session.expiry_s,
        session_identifier: session.session_identifier.clone(),
        subscriptions: subscriptions.collect(),
        offline_since_ms: session.offline_since_ms,
    }
}

/// One delivery per recipient of `message`, and the stored copies of the QoS 1 ones bound
/// for persistent sessions (connected or not), which must be durable before the
/// publisher's PUBACK, so that a crash loses nothing it was promised.
pub(super) fn fan_out(
    state: &mut State,
    publisher: &str,
    message: &Arc<Message>,
    expires: Option<i64>,
    now: i64,
) -> (Vec<(String, Delivery)>, Vec<StoredMessage>) {
    let (mut deliveries, mut rows) = (Vec::new(), Vec::new());
    for (client_id, qos) in recipients(state, publisher, &message.topic, now) {
        let qos = min_qos(message.qos, qos);
        let mut delivery = Delivery::new(message.clone(), qos, expires, now);
        let Some(client) = state.clients.get(&client_id) else {
            continue;
        };
        if client.session.expiry_s > 0 && qos == QoS::AtLeastOnce {
            delivery.stored = Some(state.next_seq);
            rows.push(message_row(&client_id, &delivery, state.next_seq));
            state.next_seq += 1;
        }
        deliveries.push((client_id, delivery));
    }
    (deliveries, rows)
}

/// The stored form of a queued delivery, numbered `seq`.
pub(super) fn message_row(client_id: &str, delivery: &Delivery, seq: u64) -> StoredMessage {
    let mut row = message::to_row(&delivery.message, delivery.routed_at_ms);
    row.expires_at_ms = delivery.expires_at_ms;
    StoredMessage {
        client_id: client_id.to_string(),
        seq,
        message: row,
        dup: delivery.dup,
    }
}

/// A session as it was stored, offline (since `now` if it was connected when the process
/// stopped), with its queue.
fn restore_client(row: StoredSession, messages: Vec<StoredMessage>, now: i64) -> Client {
    let mut session = SessionState::new(row.version, row.expiry_s, 0, row.session_identifier);
    session.offline_since_ms = Some(row.offline_since_ms.unwrap_or(now));
    for sub in row.subscriptions {
        if let Ok(filter) = topic::parse_filter(&sub.filter) {
            let qos = if sub.qos == 0 {
                QoS::AtMostOnce
            } else {
                QoS::AtLeastOnce
            };
            let options = SubOptions {
                qos,
                no_local: sub.no_local,
            };
            session.subscriptions.insert(sub.filter, (filter, options));
        }
    }
    for m in messages {
        let expires = m.message.expires_at_ms;
        let routed_at = m.message.last_modified_time;
        let mut message = message::from_row(m.message);
        message.retain = false;
        let mut delivery = Delivery::new(Arc::new(message), QoS::AtLeastOnce, expires, routed_at);
        delivery.dup = m.dup;
        delivery.stored = Some(m.seq);
        session.queue.push_back(delivery);
    }
    Client {
        handle: None,
        session,
    }
}

/// The router state the registry holds: every stored session, offline.
pub(super) fn load(registry: &Registry) -> State {
    let now = registry.clock().now_ms();
    let mut state = State::default();
    for (row, messages) in registry.stored_sessions() {
        let last = messages.last().map_or(0, |m| m.seq);
        state.next_seq = state.next_seq.max(last + 1);
        state.next_generation += 1;
        let client_id = row.client_id.clone();
        let mut client = restore_client(row, messages, now);
        client.session.generation = state.next_generation;
        state.clients.insert(client_id, client);
    }
    state
}

impl Router {
    /// Writes the session of `client_id` if it is persistent.
    pub(super) fn store_session(&self, client_id: &str, session: &SessionState) {
        if session.expiry_s == 0 {
            return;
        }
        if let Err(e) = self.registry.put_session(session_row(client_id, session)) {
            tracing::warn!(cause = %e.message, client_id, "session not stored");
        }
    }

    /// Deletes the stored session of `client_id` and its messages, if any.
    pub(super) fn unstore(&self, client_id: &str) {
        if let Err(e) = self.registry.delete_session(client_id) {
            tracing::warn!(cause = %e.message, client_id, "stored session not deleted");
        }
    }

    /// Numbers and writes the deliveries of `client`'s queue not stored yet (and again
    /// those sent meanwhile, whose copy must now say DUP), with the session row, in one
    /// durable write.
    pub(super) fn store_queue(&self, next_seq: &mut u64, client_id: &str, client: &mut Client) {
        let mut rows = Vec::new();
        let queue = client.session.queue.iter_mut();
        for delivery in queue.filter(|d| d.stored.is_none() || d.dup) {
            let seq = match delivery.stored {
                Some(seq) => seq,
                None => {
                    *next_seq += 1;
                    *next_seq - 1
                }
            };
            delivery.stored = Some(seq);
            rows.push(message_row(client_id, delivery, seq));
        }
        let row = session_row(client_id, &client.session);
        if let Err(e) = self.registry.put_session_messages(rows, Some(row)) {
            tracing::warn!(cause = %e.message, client_id, "queued messages not stored");
        }
    }

    /// Forgets stored messages `seqs` of `client_id` (acknowledged or dropped).
    pub fn forget_stored(&self, client_id: &str, seqs: &[u64]) {
        if let Err(e) = self.registry.delete_session_messages(client_id, seqs) {
            tracing::warn!(cause = %e.message, client_id, "stored messages not deleted");
        }
    }
}
