//! The message router: client sessions (live, and persistent ones while offline), their
//! subscriptions, fan-out, and retained messages (stored durably in the registry).
//!
//! QoS 1 deliveries always join the receiving session's queue ([`queue`]), which its live
//! connection drains as its QoS 1 window opens; they are never dropped for lack of room.
//! QoS 0 deliveries go straight to the connection's bounded channel and are dropped when
//! it is full or the session is offline.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use bytes::Bytes;
use tokio::sync::{mpsc, Notify};

use super::codec::{Properties, QoS, ReasonCode};
use super::limits::MAX_SUBSCRIPTIONS;
use super::message;
use super::persist::{self, SessionState};
use super::topic::{self, Filter};
use crate::registry::{IotResult, Pending, Registry};

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
    /// DUP on the wire: a QoS 1 redelivery of a message sent before.
    pub dup: bool,
    /// MQTT 5 Message Expiry (emulator clock): not delivered after this instant.
    pub expires_at_ms: Option<i64>,
    /// When the router accepted it (emulator clock): QoS 1 redelivery stops an hour later.
    pub routed_at_ms: i64,
    /// Its number in the registry while a persistent session's copy is stored there.
    pub stored: Option<u64>,
}

impl Delivery {
    fn new(message: Arc<Message>, qos: QoS, expires_at_ms: Option<i64>, now: i64) -> Self {
        Delivery {
            message,
            qos,
            retain: false,
            dup: false,
            expires_at_ms,
            routed_at_ms: now,
            stored: None,
        }
    }
}

/// A server-side instruction to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Close the connection (MQTT 5 clients first get DISCONNECT with this reason).
    Disconnect(ReasonCode),
    /// DeleteConnection: close with DISCONNECT 0x98; optionally end the session and
    /// suppress the Will.
    Api {
        clean_session: bool,
        prevent_will: bool,
    },
}

/// How the router reaches one connection.
#[derive(Debug, Clone)]
pub struct ClientHandle {
    pub conn_id: u64,
    /// The connection's principal: a certificate id, or an IAM user id (never a
    /// certificate id's 64 hex digits), as the rules' `principal()` gives it.
    pub principal_id: String,
    /// QoS 0 deliveries (and reserved-topic replies).
    pub deliveries: mpsc::Sender<Delivery>,
    pub control: mpsc::UnboundedSender<Control>,
    /// Signalled when the session's QoS 1 queue gets a message ([`Router::take_queued`]).
    pub wake: Arc<Notify>,
}

/// Options of one subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubOptions {
    pub qos: QoS,
    pub no_local: bool,
}

#[derive(Debug)]
struct Client {
    /// `None` while a persistent session waits for its client.
    handle: Option<ClientHandle>,
    session: SessionState,
}

impl Client {
    /// Hands a delivery to the session: QoS 1 joins its queue (waking the live connection),
    /// QoS 0 goes to the live connection's channel if there is room, else nowhere.
    /// Returns whether the QoS 1 queue is now at its limit.
    fn route(&mut self, delivery: Delivery) -> bool {
        if delivery.qos == QoS::AtLeastOnce {
            self.session.queue.push_back(delivery);
            if let Some(handle) = &self.handle {
                handle.wake.notify_one();
            }
            return self.congested();
        }
        if let Some(handle) = &self.handle {
            if handle.deliveries.try_send(delivery).is_err() {
                tracing::debug!(conn = handle.conn_id, "QoS 0 delivery dropped: queue full");
            }
        }
        false
    }

    /// Whether the QoS 1 queue is at its limit (publishers adding to it are held).
    fn congested(&self) -> bool {
        self.session.queue.len() >= persist::queue_limit(self.handle.is_some())
    }
}

#[derive(Debug, Default)]
struct State {
    clients: HashMap<String, Client>,
    /// Rotates the member of a share group that gets the next message.
    share_turn: usize,
    next_generation: u64,
    /// The next number for a message stored in the registry.
    next_seq: u64,
}

/// What routing one message left to its publisher.
#[derive(Debug, Default)]
pub struct Published {
    /// The sessions (other than the publisher's) whose QoS 1 queue this message left at its
    /// limit: an MQTT publisher's PUBACK waits for [`Router::wait_for_room`] on them.
    pub full: Vec<String>,
    /// The persistent sessions' stored copies, on disk once settled.
    pub pending: Pending,
}

/// Why a subscription was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeError {
    NotConnected,
    QuotaExceeded,
}

/// The shared routing state (cheap operations under one mutex; nothing awaits inside).
#[derive(Debug)]
pub struct Router {
    state: Mutex<State>,
    registry: Registry,
    /// Signalled when a queue drops below its limit or a session ends (held publishers
    /// look again).
    drained: Notify,
    /// The rules engine's tap, installed at startup: it sees every routed message.
    rules: OnceLock<crate::rules::Engine>,
}

fn min_qos(a: QoS, b: QoS) -> QoS {
    if (a as u8) <= (b as u8) {
        a
    } else {
        b
    }
}

fn max_qos(a: QoS, b: QoS) -> QoS {
    if min_qos(a, b) == a {
        b
    } else {
        a
    }
}

impl Router {
    /// A router whose retained messages and persistent sessions live in `registry` (the
    /// sessions stored there come back offline).
    pub fn new(registry: Registry) -> Self {
        Router {
            state: Mutex::new(store::load(&registry)),
            registry,
            drained: Notify::new(),
            rules: OnceLock::new(),
        }
    }

    /// Makes `engine` see every message this router routes; a second install is ignored.
    pub fn install_rules(&self, engine: crate::rules::Engine) {
        let _ = self.rules.set(engine);
    }

    /// Offers a message to the rules engine (which never blocks), whatever subscribers'
    /// policies say. `publisher` is the MQTT client id, empty for the broker's own and
    /// HTTP publishes.
    pub fn to_rules(&self, publisher: &str, topic: &str, payload: &Bytes) {
        self.to_rules_as(publisher, None, topic, payload);
    }

    /// [`Router::to_rules`] with the principal given (an HTTP publish's signer) rather
    /// than looked up from the publisher's connection.
    fn to_rules_as(&self, publisher: &str, signer: Option<&str>, topic: &str, payload: &Bytes) {
        let Some(engine) = self.rules.get() else {
            return;
        };
        if !engine.wants(topic) {
            return;
        }
        let connection = || {
            let state = self.lock();
            let client = state.clients.get(publisher)?;
            client.handle.as_ref().map(|h| h.principal_id.clone())
        };
        let principal = match signer {
            Some(signer) => Some(signer.to_string()),
            None if publisher.is_empty() => None,
            None => connection(),
        };
        engine.offer(crate::rules::Inbound {
            topic: topic.to_string(),
            payload: payload.clone(),
            client_id: (!publisher.is_empty()).then(|| publisher.to_string()),
            principal,
        });
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn now_ms(&self) -> i64 {
        self.registry.clock().now_ms()
    }

    /// Stores a subscription; returns the retained message to send for it (only exact,
    /// unshared filters get one, as on AWS).
    pub fn subscribe(
        &self,
        client_id: &str,
        raw: &str,
        filter: Filter,
        options: SubOptions,
    ) -> Result<Vec<Delivery>, SubscribeError> {
        let exact = filter.is_exact().then(|| filter.pattern.clone());
        let retained = exact.and_then(|topic| self.registry.retained(&topic));
        {
            let mut state = self.lock();
            let client = state.clients.get_mut(client_id);
            let Some(client) = client.filter(|c| c.handle.is_some()) else {
                return Err(SubscribeError::NotConnected);
            };
            let subscriptions = &mut client.session.subscriptions;
            if !subscriptions.contains_key(raw) && subscriptions.len() >= MAX_SUBSCRIPTIONS {
                return Err(SubscribeError::QuotaExceeded);
            }
            subscriptions.insert(raw.to_string(), (filter, options));
            self.store_session(client_id, &client.session);
        }
        Ok(retained
            .map(|row| {
                let expires = row.expires_at_ms;
                let message = Arc::new(message::from_row(row));
                let qos = min_qos(message.qos, options.qos);
                let mut delivery = Delivery::new(message, qos, expires, self.now_ms());
                delivery.retain = true;
                delivery
            })
            .into_iter()
            .collect())
    }

    /// Removes a subscription; `false` if there was none.
    pub fn unsubscribe(&self, client_id: &str, raw: &str) -> bool {
        let mut state = self.lock();
        let Some(client) = state.clients.get_mut(client_id) else {
            return false;
        };
        let removed = client.session.subscriptions.remove(raw).is_some();
        if removed {
            self.store_session(client_id, &client.session);
        }
        removed
    }

    /// Stores or clears the retained copy (durably, before anyone sees the message), then
    /// delivers to every matching subscriber, queueing QoS 1 for live and offline sessions;
    /// persistent sessions' copies are on disk when this returns.
    pub fn publish(&self, publisher: &str, message: Message) -> IotResult<()> {
        let published = self.publish_held(publisher, message)?;
        self.registry.settle(published.pending)
    }

    /// [`Router::publish`] without waiting for the persistent sessions' copies to reach
    /// the disk (the caller settles [`Published::pending`] before its PUBACK), and with
    /// the sessions whose queues this message filled.
    pub fn publish_held(&self, publisher: &str, message: Message) -> IotResult<Published> {
        self.publish_from(publisher, None, message)
    }

    /// A publish by a caller with no MQTT connection (iot-data over HTTP): `signer` is
    /// what the rules' `principal()` gives for it. Stored copies are on disk on return.
    pub fn publish_signed(&self, signer: &str, message: Message) -> IotResult<()> {
        let published = self.publish_from("", Some(signer), message)?;
        self.registry.settle(published.pending)
    }

    fn publish_from(
        &self,
        publisher: &str,
        signer: Option<&str>,
        message: Message,
    ) -> IotResult<Published> {
        // Basic Ingest: only the named rule sees it; never subscribers, never retained.
        if crate::rules::filter::basic_ingest(&message.topic).is_some() {
            self.to_rules_as(publisher, signer, &message.topic, &message.payload);
            return Ok(Published::default());
        }
        let now = self.now_ms();
        if message.retain {
            if message.payload.is_empty() {
                self.registry.delete_retained(&message.topic)?;
            } else {
                self.registry.put_retained(message::to_row(&message, now))?;
            }
        }
        self.to_rules_as(publisher, signer, &message.topic, &message.payload);
        let expires = message::expires_at(&message.properties, now);
        let message = Arc::new(message);
        let mut guard = self.lock();
        let state = &mut *guard;
        let (deliveries, rows) = store::fan_out(state, publisher, &message, expires, now);
        // Applied before any subscriber can receive (and acknowledge) its stored copy; the
        // fsync is waited for after the router's lock is released.
        let pending = match rows.is_empty() {
            true => Pending::default(),
            false => self.registry.queue_session_messages(rows, None)?,
        };
        let mut full = Vec::new();
        for (client_id, delivery) in deliveries {
            let Some(client) = state.clients.get_mut(&client_id) else {
                continue;
            };
            if client.route(delivery) && client_id != publisher {
                full.push(client_id);
            }
        }
        Ok(Published { full, pending })
    }

    /// The filters of `client_id`'s session (connected or not), as written, sorted.
    pub fn subscriptions(&self, client_id: &str) -> Vec<String> {
        let state = self.lock();
        let client = state.clients.get(client_id);
        client.map_or_else(Vec::new, |c| {
            c.session.subscriptions.keys().cloned().collect()
        })
    }

    /// The connected client ids, sorted.
    pub fn client_ids(&self) -> Vec<String> {
        let state = self.lock();
        let online = state.clients.iter().filter(|(_, c)| c.handle.is_some());
        let mut ids: Vec<String> = online.map(|(id, _)| id.clone()).collect();
        ids.sort();
        ids
    }
}

mod audience;
mod direct;
mod queue;
mod sessions;
mod store;

use audience::recipients;
pub use sessions::{AttachRequest, Attached, Departure};

#[cfg(test)]
mod tests;
