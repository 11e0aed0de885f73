//! TCP sockets: every connection the client opens has Nagle's algorithm off
//! (`TCP_NODELAY`): MQTT and HTTPS here are exchanges of small packets, and with Nagle on
//! a small write behind an unacknowledged one waits for the peer's delayed ACK (about
//! 40 ms on Linux) at every step.

use std::io;

use tokio::net::{TcpStream, ToSocketAddrs};

/// Opens a connection to `addr`, Nagle off.
pub(crate) async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// `options` with Nagle off; rumqttc opens its own sockets and applies these.
pub(crate) fn no_delay(mut options: rumqttc::NetworkOptions) -> rumqttc::NetworkOptions {
    options.set_tcp_nodelay(true);
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opened_sockets_have_nodelay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (opened, accepted) = tokio::join!(connect(addr), listener.accept());
        accepted.expect("accept");
        assert!(opened.expect("connect").nodelay().expect("read back"));
    }
}
