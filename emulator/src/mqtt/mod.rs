//! The MQTT broker front end: MQTT 3.1.1 and 5 on a mutual-TLS port and, for SigV4
//! signers, over WebSockets, as AWS IoT Core behaves, IoT policies enforced.
//!
//! - [`session`]: one connection from TLS handshake to close; [`crate::identity`] decides
//!   on the client certificate, [`limits`] holds AWS's limits and builds the CONNACK.
//! - [`websocket`]: `wss://…/mqtt`, the upgrade checked by [`presigned`], the MQTT bytes
//!   handed to the same session code.
//! - [`dispatch`]: the packet loop; [`connection`] frames packets with [`codec`];
//!   `inbound` acknowledges a PUBLISH once it is routed and stored (group commit);
//!   `outbound` sends PUBLISH through the QoS 1 window; `subscribe` answers SUBSCRIBE and
//!   UNSUBSCRIBE.
//! - [`authorize`]: policy checks at CONNECT, PUBLISH, SUBSCRIBE and every delivery.
//! - [`router`]: sessions, subscriptions, fan-out, each session's QoS 1 queue (publishers
//!   held while it is full), retained messages and persistent sessions (kept in the
//!   registry, converted by [`message`]); [`persist`]: when sessions persist and expire,
//!   queue bounds; [`topic`]: topic and filter rules and matching.
//! - [`inflight`]: the outbound QoS 1 window; [`events`]: lifecycle events.
//! - [`data_plane`]: iot-data Publish and DeleteConnection, for the control plane.
//! - [`reserved`]: the `$aws/...` topics the broker answers itself; [`fleet`]: the fleet
//!   provisioning handlers behind them; [`jobs_topics`]: the jobs requests handed to
//!   [`crate::jobs`]; [`shadow_topics`]: the device shadow requests handed to
//!   [`crate::shadows`]; `service_publisher`: the one publisher through which both
//!   engines' replies and notifications go out; [`registry_events`]: reactions to
//!   registry changes.

pub mod authorize;
pub mod codec;
/// The certificate decision lives in [`crate::identity`], shared with the credentials
/// provider.
pub use crate::identity as auth;
pub mod connection;
pub mod data_plane;
pub mod dispatch;
pub mod events;
pub mod fleet;
mod inbound;
pub mod inflight;
pub mod jobs_topics;
pub mod limits;
pub mod message;
mod outbound;
pub mod persist;
pub mod presigned;
pub mod registry_events;
pub mod reserved;
pub mod router;
mod service_publisher;
pub mod session;
pub mod shadow_topics;
mod subscribe;
pub mod topic;
pub mod websocket;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::state::Emulator;
use crate::tls::RegionTls;
use codec::ReasonCode;
use router::Router;

/// A handle on the running broker (cheap to clone).
#[derive(Clone, Debug)]
pub struct Broker {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    emulator: Emulator,
    router: Router,
    presence: events::Presence,
    next_conn_id: AtomicU64,
}

impl Broker {
    pub fn new(emulator: Emulator) -> Self {
        Broker {
            shared: Arc::new(Shared {
                router: Router::new(emulator.registry.clone()),
                emulator,
                presence: events::Presence::default(),
                next_conn_id: AtomicU64::new(1),
            }),
        }
    }

    fn next_conn_id(&self) -> u64 {
        self.shared.next_conn_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The emulator clock, in ms since the epoch.
    fn now_ms(&self) -> i64 {
        self.shared.emulator.registry.clock().now_ms()
    }

    /// Closes every connection authenticated with `certificate_id` (for example when the
    /// certificate is deactivated or revoked); returns how many were asked to close.
    /// MQTT 5 clients get DISCONNECT 0x98 (Administrative action) first.
    pub fn disconnect_certificate(&self, certificate_id: &str) -> usize {
        let reason = ReasonCode::AdministrativeAction;
        self.shared
            .router
            .disconnect_certificate(certificate_id, reason)
    }

    /// Closes the connection of `client_id` (DeleteConnection); `false` if not connected.
    pub fn disconnect_client(&self, client_id: &str) -> bool {
        self.delete_connection(client_id, false, false)
    }

    /// DeleteConnection: closes the connection of `client_id` (MQTT 5 DISCONNECT 0x98),
    /// ending its session with `clean_session` and suppressing its Will with
    /// `prevent_will`. An offline persistent session is ended by `clean_session` too.
    /// `false` when there was neither a connection nor a session to act on.
    pub fn delete_connection(
        &self,
        client_id: &str,
        clean_session: bool,
        prevent_will: bool,
    ) -> bool {
        let router = &self.shared.router;
        let control = router::Control::Api {
            clean_session,
            prevent_will,
        };
        router.control_client(client_id, control)
            || (clean_session && router.discard_offline_session(client_id))
    }

    /// Makes the rules engine see every message the broker routes.
    pub fn install_rules(&self, engine: crate::rules::Engine) {
        self.shared.router.install_rules(engine);
    }

    /// Publishes `message` as the broker itself (retained ones are stored first).
    pub fn publish(&self, message: router::Message) -> crate::registry::IotResult<()> {
        self.shared.router.publish("", message)
    }

    /// Publishes on behalf of an HTTP caller whose `principal()` is `signer`.
    pub fn publish_signed(
        &self,
        signer: &str,
        message: router::Message,
    ) -> crate::registry::IotResult<()> {
        self.shared.router.publish_signed(signer, message)
    }

    /// Ends expired offline sessions, drops QoS 1 messages past the one-hour redelivery
    /// window, purges expired retained messages and forgets old lifecycle version numbers,
    /// all on the emulator clock.
    pub fn housekeeping(&self) {
        let expired = self.shared.router.expire_sessions();
        if !expired.is_empty() {
            tracing::debug!(?expired, "persistent sessions expired");
        }
        self.shared.router.drop_stale();
        if let Err(e) = self.shared.emulator.registry.purge_expired_retained() {
            tracing::warn!(cause = %e.message, "purging expired retained messages failed");
        }
        self.shared.presence.sweep(self.now_ms());
    }

    /// The filters a connected client is subscribed to, sorted.
    pub fn subscriptions(&self, client_id: &str) -> Vec<String> {
        self.shared.router.subscriptions(client_id)
    }

    /// How many QoS 1 messages wait in the session of `client_id` for room in its
    /// connection's window (or for the client to come back).
    pub fn queued_messages(&self, client_id: &str) -> usize {
        self.shared.router.queued(client_id)
    }

    /// The client ids connected now, sorted.
    pub fn connected_clients(&self) -> Vec<String> {
        self.shared.router.client_ids()
    }
}

/// How often (real time) [`Broker::housekeeping`] runs; expiry itself is measured on the
/// emulator clock and also checked whenever a client connects or a message is routed.
const HOUSEKEEPING_PERIOD: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs [`Broker::housekeeping`] periodically until shutdown.
pub async fn housekeeping(broker: Broker, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(HOUSEKEEPING_PERIOD);
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = tick.tick() => broker.housekeeping(),
        }
    }
}

/// The broker of every open region (cheap to clone); each region's is added as the
/// region opens (see `Regions::on_open`).
#[derive(Clone, Debug, Default)]
pub struct Brokers {
    map: Arc<Mutex<HashMap<String, Broker>>>,
}

impl Brokers {
    /// Records `region`'s broker.
    pub fn insert(&self, region: &str, broker: Broker) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(region.to_string(), broker);
    }

    /// The broker of `region`, if it is open.
    pub fn get(&self, region: &str) -> Option<Broker> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(region).cloned()
    }
}

/// Accepts connections until shutdown; each runs in its own task (handshake included),
/// with the broker of the region its SNI name selects.
pub async fn serve(
    listener: TcpListener,
    brokers: Brokers,
    tls: RegionTls,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            accepted = crate::net::accept(&listener, crate::net::Kind::Mqtt) => {
                let Ok((socket, _)) = accepted else { continue };
                let session = session::run(brokers.clone(), tls.clone(), socket, shutdown.clone());
                tokio::spawn(session);
            }
        }
    }
}
