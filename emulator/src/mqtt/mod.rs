//! The MQTT broker front end. For now the listener binds and accepts; the broker proper
//! (MQTT 3.1.1/5 over mutual TLS, policies) arrives with issue #3.

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::state::Emulator;

/// Accepts connections until shutdown; each is closed after the TLS handshake.
pub async fn serve(
    listener: TcpListener,
    _emulator: Emulator,
    tls: Arc<rustls::ServerConfig>,
    shutdown: watch::Receiver<bool>,
) {
    crate::tls::accept_and_close(listener, tls, shutdown).await
}
