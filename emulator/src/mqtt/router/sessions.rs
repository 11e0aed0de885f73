//! Attaching connections to sessions and detaching them: resuming persistent sessions,
//! queueing for offline ones, expiring them on the emulator clock.

use super::*;
use crate::mqtt::codec::V5;

/// What a new connection brings to [`Router::attach_session`].
#[derive(Debug)]
pub struct AttachRequest {
    pub handle: ClientHandle,
    pub version: u8,
    pub clean_start: bool,
    /// Seconds the session is to outlive the connection.
    pub expiry_s: u32,
    /// The `sessionIdentifier` to use if a new session starts.
    pub session_identifier: String,
}

/// The outcome of attaching a connection.
#[derive(Debug)]
pub struct Attached {
    /// The connection this one displaces (same client id); the caller disconnects it.
    pub displaced: Option<ClientHandle>,
    /// CONNACK `sessionPresent`; the connection then takes the session's queued QoS 1
    /// messages with [`Router::take_queued`].
    pub session_present: bool,
    pub generation: u64,
    pub session_identifier: String,
}

/// How a connection leaves ([`Router::depart`]).
#[derive(Debug)]
pub struct Departure {
    pub conn_id: u64,
    pub generation: u64,
    /// The session's expiry at disconnect; 0 ends it.
    pub expiry_s: u32,
    /// QoS 1 deliveries the client never acknowledged (or never got), oldest first.
    pub leftovers: Vec<Delivery>,
}

impl Router {
    /// Registers a connection with a clean, non-persistent session; returns the
    /// connection it displaces (same client id), which the caller must disconnect.
    pub fn attach(&self, client_id: &str, handle: ClientHandle) -> Option<ClientHandle> {
        let request = AttachRequest {
            handle,
            version: V5,
            clean_start: true,
            expiry_s: 0,
            session_identifier: String::new(),
        };
        self.attach_session(client_id, request).displaced
    }

    /// Registers a connection, resuming the client's session when the CONNECT allows it
    /// (not clean, same MQTT version, not expired) and starting a new one otherwise.
    pub fn attach_session(&self, client_id: &str, request: AttachRequest) -> Attached {
        let now = self.now_ms();
        let mut state = self.lock();
        let existing = state.clients.remove(client_id);
        let displaced = existing.as_ref().and_then(|c| c.handle.clone());
        let was_stored = existing.as_ref().is_some_and(|c| c.session.expiry_s > 0);
        let resumed = existing
            .map(|c| c.session)
            .filter(|s| s.resumable(request.version, request.clean_start, now));
        let session_present = resumed.is_some();
        let mut session = resumed.unwrap_or_else(|| {
            state.next_generation += 1;
            let id = request.session_identifier;
            SessionState::new(request.version, 0, state.next_generation, id)
        });
        session.expiry_s = request.expiry_s;
        session.offline_since_ms = None;
        let row = (session.expiry_s > 0).then(|| store::session_row(client_id, &session));
        let attached = Attached {
            displaced,
            session_present,
            generation: session.generation,
            session_identifier: session.session_identifier.clone(),
        };
        let client = Client {
            handle: Some(request.handle),
            session,
        };
        state.clients.insert(client_id.to_string(), client);
        drop(state);
        if was_stored && !session_present {
            self.unstore(client_id);
        }
        if let Some(row) = row {
            if let Err(e) = self.registry.put_session(row) {
                tracing::warn!(cause = %e.message, client_id, "session not stored");
            }
        }
        // A discarded session's queue, or a resumed one's lower limit: held publishers look.
        self.wake_held();
        attached
    }

    /// Removes the connection without keeping a session (unless a newer connection has
    /// taken over the client id).
    pub fn detach(&self, client_id: &str, conn_id: u64) {
        let departure = Departure {
            conn_id,
            generation: 0,
            expiry_s: 0,
            leftovers: Vec::new(),
        };
        self.depart(client_id, departure);
    }

    /// A connection ended: its session goes offline with the leftovers queued, or ends
    /// when its expiry is 0. If a newer connection resumed the session meanwhile, the
    /// leftovers go to it instead.
    pub fn depart(&self, client_id: &str, departure: Departure) {
        let now = self.now_ms();
        let mut state = self.lock();
        let Some(client) = state.clients.get_mut(client_id) else {
            return;
        };
        let own = client
            .handle
            .as_ref()
            .is_some_and(|h| h.conn_id == departure.conn_id);
        if own && departure.expiry_s == 0 {
            let removed = state.clients.remove(client_id);
            if removed.is_some_and(|c| c.session.expiry_s > 0) {
                self.unstore(client_id);
            }
        } else if own {
            client.handle = None;
            client.session.offline_since_ms = Some(now);
            client.session.expiry_s = departure.expiry_s;
            for delivery in departure.leftovers.into_iter().rev() {
                client.session.queue.push_front(delivery);
            }
            let state = &mut *state;
            let client = state.clients.get_mut(client_id).expect("present");
            self.store_queue(&mut state.next_seq, client_id, client);
        } else if client.session.generation == departure.generation {
            for delivery in departure.leftovers {
                client.route(delivery);
            }
        }
        drop(state);
        self.wake_held();
    }

    /// Ends the offline sessions whose expiry has passed; returns their client ids.
    pub fn expire_sessions(&self) -> Vec<String> {
        let now = self.now_ms();
        let mut state = self.lock();
        let expired: Vec<String> = state
            .clients
            .iter()
            .filter(|(_, c)| c.session.expired(now))
            .map(|(id, _)| id.clone())
            .collect();
        // Unstored under the lock: a reconnect in between must not lose its new row.
        for id in &expired {
            state.clients.remove(id);
            self.unstore(id);
        }
        drop(state);
        if !expired.is_empty() {
            self.wake_held();
        }
        expired
    }

    /// Ends the session of `client_id` if it is offline (DeleteConnection with
    /// `cleanSession`); `false` when there is none.
    pub fn discard_offline_session(&self, client_id: &str) -> bool {
        let mut state = self.lock();
        let offline = state
            .clients
            .get(client_id)
            .is_some_and(|c| c.handle.is_none());
        let discarded = offline && state.clients.remove(client_id).is_some();
        if discarded {
            self.unstore(client_id);
        }
        drop(state);
        self.wake_held();
        discarded
    }
}
