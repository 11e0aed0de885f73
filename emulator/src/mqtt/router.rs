//! The message router: connected clients, their subscriptions, retained messages, fan-out.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::codec::{Properties, QoS, ReasonCode};
use super::limits::MAX_SUBSCRIPTIONS;
use super::topic::{self, Filter};

/// A message as published, shared by every delivery of it.
#[derive(Debug, Clone)]
pub struct Message {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    /// MQTT 5 properties forwarded to receivers (never a topic alias).
    pub properties: Properties,
}

/// One message for one subscriber.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub message: Arc<Message>,
    pub qos: QoS,
    /// RETAIN on the wire: set only for retained messages sent on subscribe.
    pub retain: bool,
}

/// A server-side instruction to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Close the connection (MQTT 5 clients first get DISCONNECT with this reason).
    Disconnect(ReasonCode),
}

/// How the router reaches one connection.
#[derive(Debug, Clone)]
pub struct ClientHandle {
    pub conn_id: u64,
    pub certificate_id: String,
    pub deliveries: mpsc::Sender<Delivery>,
    pub control: mpsc::UnboundedSender<Control>,
}

/// Options of one subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubOptions {
    pub qos: QoS,
    pub no_local: bool,
}

#[derive(Debug)]
struct Client {
    handle: ClientHandle,
    /// Keyed by the filter as the client wrote it.
    subscriptions: BTreeMap<String, (Filter, SubOptions)>,
}

#[derive(Debug, Default)]
struct State {
    clients: HashMap<String, Client>,
    retained: BTreeMap<String, Arc<Message>>,
    /// Rotates the member of a share group that gets the next message.
    share_turn: usize,
}

/// Why a subscription was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeError {
    NotConnected,
    QuotaExceeded,
}

/// The shared routing state (cheap operations under one mutex; nothing awaits inside).
#[derive(Debug, Default)]
pub struct Router {
    state: Mutex<State>,
}

fn min_qos(a: QoS, b: QoS) -> QoS {
    if (a as u8) <= (b as u8) {
        a
    } else {
        b
    }
}

impl Router {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a connection under `client_id` with no subscriptions; returns the
    /// connection it displaces (same client id), which the caller must disconnect.
    pub fn attach(&self, client_id: &str, handle: ClientHandle) -> Option<ClientHandle> {
        let client = Client {
            handle,
            subscriptions: BTreeMap::new(),
        };
        let old = self.lock().clients.insert(client_id.to_string(), client);
        old.map(|c| c.handle)
    }

    /// Removes the connection, unless a newer one has taken over the client id.
    pub fn detach(&self, client_id: &str, conn_id: u64) {
        let mut state = self.lock();
        if state
            .clients
            .get(client_id)
            .is_some_and(|c| c.handle.conn_id == conn_id)
        {
            state.clients.remove(client_id);
        }
    }

    /// Stores a subscription; returns the retained messages to send for it (only exact,
    /// unshared filters get them, as on AWS).
    pub fn subscribe(
        &self,
        client_id: &str,
        raw: &str,
        filter: Filter,
        options: SubOptions,
    ) -> Result<Vec<Delivery>, SubscribeError> {
        let mut state = self.lock();
        let client = state
            .clients
            .get_mut(client_id)
            .ok_or(SubscribeError::NotConnected)?;
        let is_new = !client.subscriptions.contains_key(raw);
        if is_new && client.subscriptions.len() >= MAX_SUBSCRIPTIONS {
            return Err(SubscribeError::QuotaExceeded);
        }
        let exact = filter.is_exact().then(|| filter.pattern.clone());
        client
            .subscriptions
            .insert(raw.to_string(), (filter, options));
        let retained = exact.and_then(|topic| state.retained.get(&topic).cloned());
        Ok(retained
            .map(|message| Delivery {
                qos: min_qos(message.qos, options.qos),
                message,
                retain: true,
            })
            .into_iter()
            .collect())
    }

    /// Removes a subscription; `false` if there was none.
    pub fn unsubscribe(&self, client_id: &str, raw: &str) -> bool {
        let mut state = self.lock();
        let client = state.clients.get_mut(client_id);
        client.is_some_and(|c| c.subscriptions.remove(raw).is_some())
    }

    /// Stores or clears the retained copy, then delivers to every matching subscriber.
    pub fn publish(&self, publisher: &str, message: Message) {
        let message = Arc::new(message);
        let mut state = self.lock();
        if message.retain {
            if message.payload.is_empty() {
                state.retained.remove(&message.topic);
            } else {
                state
                    .retained
                    .insert(message.topic.clone(), message.clone());
            }
        }
        for (handle, qos) in recipients(&mut state, publisher, &message.topic) {
            let delivery = Delivery {
                message: message.clone(),
                qos: min_qos(message.qos, qos),
                retain: false,
            };
            if handle.deliveries.try_send(delivery).is_err() {
                tracing::debug!(
                    conn = handle.conn_id,
                    "delivery dropped: queue full or closed"
                );
            }
        }
    }

    /// Sends a reserved-topic reply to one connection only, if it is still connected and
    /// subscribed (unshared) to a filter matching the reply topic; `false` otherwise.
    pub fn reply_to(&self, client_id: &str, conn_id: u64, message: Message) -> bool {
        let state = self.lock();
        let Some(client) = state.clients.get(client_id) else {
            return false;
        };
        if client.handle.conn_id != conn_id {
            return false;
        }
        let qos = client
            .subscriptions
            .values()
            .filter(|(f, _)| f.share.is_none() && topic::matches(&f.pattern, &message.topic))
            .map(|(_, o)| o.qos)
            .reduce(max_qos);
        let Some(qos) = qos else {
            return false;
        };
        let delivery = Delivery {
            qos: min_qos(message.qos, qos),
            message: Arc::new(message),
            retain: false,
        };
        client.handle.deliveries.try_send(delivery).is_ok()
    }

    /// Asks every connection authenticated with `certificate_id` to close.
    pub fn disconnect_certificate(&self, certificate_id: &str, reason: ReasonCode) -> usize {
        let state = self.lock();
        let matching = state
            .clients
            .values()
            .filter(|c| c.handle.certificate_id == certificate_id);
        matching
            .filter(|c| c.handle.control.send(Control::Disconnect(reason)).is_ok())
            .count()
    }

    /// Asks the connection of `client_id` to close; `false` if it is not connected.
    pub fn disconnect_client(&self, client_id: &str, reason: ReasonCode) -> bool {
        let state = self.lock();
        let client = state.clients.get(client_id);
        client.is_some_and(|c| c.handle.control.send(Control::Disconnect(reason)).is_ok())
    }

    /// The filters `client_id` is subscribed to, as it wrote them, sorted.
    pub fn subscriptions(&self, client_id: &str) -> Vec<String> {
        let state = self.lock();
        let client = state.clients.get(client_id);
        client.map_or_else(Vec::new, |c| c.subscriptions.keys().cloned().collect())
    }

    /// The connected client ids, sorted.
    pub fn client_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.lock().clients.keys().cloned().collect();
        ids.sort();
        ids
    }
}

/// Who receives a message on `topic`, and at which subscription QoS: every client with a
/// matching ordinary subscription (once, at its highest QoS), plus one member per
/// matching share group.
fn recipients(state: &mut State, publisher: &str, topic: &str) -> Vec<(ClientHandle, QoS)> {
    let mut out = Vec::new();
    let mut groups: BTreeMap<(String, String), Vec<(ClientHandle, QoS)>> = BTreeMap::new();
    for (client_id, client) in &state.clients {
        let mut best: Option<QoS> = None;
        for (filter, options) in client.subscriptions.values() {
            if !topic::matches(&filter.pattern, topic) {
                continue;
            }
            if let Some(group) = &filter.share {
                let key = (group.clone(), filter.pattern.clone());
                groups
                    .entry(key)
                    .or_default()
                    .push((client.handle.clone(), options.qos));
            } else if !(options.no_local && client_id == publisher) {
                best = Some(best.map_or(options.qos, |q| max_qos(q, options.qos)));
            }
        }
        if let Some(qos) = best {
            out.push((client.handle.clone(), qos));
        }
    }
    for mut members in groups.into_values() {
        members.sort_by_key(|(h, _)| h.conn_id);
        state.share_turn = state.share_turn.wrapping_add(1);
        out.push(members.swap_remove(state.share_turn % members.len()));
    }
    out
}

fn max_qos(a: QoS, b: QoS) -> QoS {
    if min_qos(a, b) == a {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests;
