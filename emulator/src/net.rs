//! TCP sockets: every connection the emulator accepts or opens goes through [`accept`],
//! [`tap`] or [`connect`], which turn Nagle's algorithm off (`TCP_NODELAY`).
//!
//! MQTT and HTTP here are request/response exchanges of small packets. With Nagle on, a
//! small write that follows an unacknowledged one waits for the peer's delayed ACK, about
//! 40 ms on Linux, at every step of a provisioning flow. Writers batch their own packets
//! (the broker flushes once per batch), so nothing is gained by letting the kernel wait.
//!
//! Each socket's setting is read back from the kernel and counted per [`Kind`], so a test
//! can see that every connection of a running emulator had it ([`counts`]).

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};

/// Which front end or engine a socket belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Accepted by an MQTT listener (`--mqtt-addr` and each `--mqtt-extra-addr`).
    Mqtt,
    /// Accepted by the MQTT-over-WebSockets listener (`--ws-addr`).
    MqttWebSocket,
    /// Accepted by the control plane (and iot-data).
    Api,
    /// Accepted by the credentials provider.
    Credentials,
    /// Opened to a pre-provisioning hook's HTTP stand-in.
    Hook,
}

const KINDS: usize = 5;

/// Sockets seen per [`Kind`], and how many of them the kernel reports `TCP_NODELAY` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub sockets: u64,
    pub nodelay: u64,
}

static SOCKETS: [AtomicU64; KINDS] = [const { AtomicU64::new(0) }; KINDS];
static NODELAY: [AtomicU64; KINDS] = [const { AtomicU64::new(0) }; KINDS];

fn index(kind: Kind) -> usize {
    match kind {
        Kind::Mqtt => 0,
        Kind::Api => 1,
        Kind::Credentials => 2,
        Kind::Hook => 3,
        Kind::MqttWebSocket => 4,
    }
}

/// What this process has counted for `kind` so far (all emulators in it together).
pub fn counts(kind: Kind) -> Counts {
    let i = index(kind);
    Counts {
        sockets: SOCKETS[i].load(Ordering::Relaxed),
        nodelay: NODELAY[i].load(Ordering::Relaxed),
    }
}

/// Turns Nagle off on `stream`, reads the option back and counts the socket. A socket
/// the option cannot be set on still works; it is logged and counted without.
pub fn tap(stream: &TcpStream, kind: Kind) {
    if let Err(e) = stream.set_nodelay(true) {
        tracing::warn!(cause = %e, ?kind, "cannot set TCP_NODELAY");
    }
    let i = index(kind);
    SOCKETS[i].fetch_add(1, Ordering::Relaxed);
    if stream.nodelay().unwrap_or(false) {
        NODELAY[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// Accepts the next connection on `listener`, Nagle off.
pub async fn accept(listener: &TcpListener, kind: Kind) -> io::Result<(TcpStream, SocketAddr)> {
    let (stream, peer) = listener.accept().await?;
    tap(&stream, kind);
    Ok((stream, peer))
}

/// Opens a connection to `addr`, Nagle off.
pub async fn connect(addr: impl ToSocketAddrs, kind: Kind) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr).await?;
    tap(&stream, kind);
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_and_opened_sockets_have_nodelay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let before = (counts(Kind::Credentials), counts(Kind::Hook));
        let (opened, accepted) = tokio::join!(
            connect(addr, Kind::Hook),
            accept(&listener, Kind::Credentials)
        );
        let (opened, (accepted, _)) = (opened.expect("connect"), accepted.expect("accept"));
        assert!(opened.nodelay().expect("opened"));
        assert!(accepted.nodelay().expect("accepted"));
        let after = (counts(Kind::Credentials), counts(Kind::Hook));
        for (b, a) in [(before.0, after.0), (before.1, after.1)] {
            assert!(a.sockets > b.sockets);
            assert_eq!(a.sockets - b.sockets, a.nodelay - b.nodelay);
        }
    }
}
