//! The MQTT broker front end: MQTT 3.1.1 and 5 on one mutual-TLS port, as AWS IoT Core
//! behaves, IoT policies enforced.
//!
//! - [`session`]: one connection from TLS handshake to close; [`crate::identity`] decides
//!   on the client certificate, [`limits`] holds AWS's limits and builds the CONNACK.
//! - [`dispatch`]: the packet loop; [`connection`] frames packets with [`codec`].
//! - [`authorize`]: policy checks at CONNECT, PUBLISH, SUBSCRIBE and every delivery.
//! - [`router`]: connected clients, subscriptions, retained messages, fan-out;
//!   [`topic`]: topic and filter rules and matching.
//! - [`reserved`]: the `$aws/...` topics the broker answers itself; [`fleet`]: the fleet
//!   provisioning handlers behind them.

pub mod authorize;
pub mod codec;
/// The certificate decision lives in [`crate::identity`], shared with the credentials
/// provider.
pub use crate::identity as auth;
pub mod connection;
pub mod dispatch;
pub mod fleet;
pub mod limits;
pub mod registry_events;
pub mod reserved;
pub mod router;
pub mod session;
pub mod topic;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::state::Emulator;
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
    next_conn_id: AtomicU64,
}

impl Broker {
    pub fn new(emulator: Emulator) -> Self {
        Broker {
            shared: Arc::new(Shared {
                emulator,
                router: Router::default(),
                next_conn_id: AtomicU64::new(1),
            }),
        }
    }

    fn next_conn_id(&self) -> u64 {
        self.shared.next_conn_id.fetch_add(1, Ordering::Relaxed)
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
        let reason = ReasonCode::AdministrativeAction;
        self.shared.router.disconnect_client(client_id, reason)
    }

    /// The filters a connected client is subscribed to, sorted.
    pub fn subscriptions(&self, client_id: &str) -> Vec<String> {
        self.shared.router.subscriptions(client_id)
    }

    /// The client ids connected now, sorted.
    pub fn connected_clients(&self) -> Vec<String> {
        self.shared.router.client_ids()
    }
}

/// Accepts connections until shutdown; each runs in its own task (handshake included).
pub async fn serve(
    listener: TcpListener,
    broker: Broker,
    tls: Arc<rustls::ServerConfig>,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => {
                let Ok((socket, _)) = accepted else { continue };
                let session = session::run(broker.clone(), socket, acceptor.clone(), shutdown.clone());
                tokio::spawn(session);
            }
        }
    }
}
