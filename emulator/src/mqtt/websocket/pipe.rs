//! The MQTT bytes of a WebSocket: a pipe whose session end is a [`Transport`] and whose
//! other end is pumped to and from the WebSocket's binary frames.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::mqtt::connection::Transport;

/// Bytes in flight between the WebSocket and the MQTT session, each way.
const PIPE_BUFFER: usize = 64 * 1024;
/// How long one side of a closing connection waits for the other.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// The session's end of the pipe.
#[derive(Debug)]
pub(super) struct SessionEnd {
    bytes: DuplexStream,
    closed_by_client: Arc<AtomicBool>,
}

/// The WebSocket's end of the pipe.
#[derive(Debug)]
pub(super) struct PumpEnd {
    bytes: DuplexStream,
    closed_by_client: Arc<AtomicBool>,
}

/// A new pipe: the session's end and the pump's.
pub(super) fn pipe() -> (SessionEnd, PumpEnd) {
    let (session, pump) = tokio::io::duplex(PIPE_BUFFER);
    let closed_by_client = Arc::new(AtomicBool::new(false));
    let session = SessionEnd {
        bytes: session,
        closed_by_client: closed_by_client.clone(),
    };
    let pump = PumpEnd {
        bytes: pump,
        closed_by_client,
    };
    (session, pump)
}

impl Transport for SessionEnd {
    fn closed_by_client(&self) -> bool {
        self.closed_by_client.load(Ordering::Acquire)
    }
}

impl AsyncRead for SessionEnd {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.bytes).poll_read(cx, buf)
    }
}

impl AsyncWrite for SessionEnd {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.bytes).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.bytes).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.bytes).poll_shutdown(cx)
    }
}

impl PumpEnd {
    /// Carries the MQTT bytes between the WebSocket's binary frames and the session until
    /// either side closes; the other then gets [`CLOSE_GRACE`] to finish.
    pub(super) async fn pump<S: AsyncRead + AsyncWrite + Unpin>(self, ws: WebSocketStream<S>) {
        let (mut sink, mut frames) = ws.split();
        let (mut from_session, mut to_session) = tokio::io::split(self.bytes);
        let closed_by_client = self.closed_by_client;
        let inbound = async move {
            while let Some(Ok(message)) = frames.next().await {
                match message {
                    Message::Binary(bytes) => {
                        if to_session.write_all(&bytes).await.is_err() {
                            break;
                        }
                    }
                    Message::Close(_) => {
                        closed_by_client.store(true, Ordering::Release);
                        break;
                    }
                    // MQTT travels in binary frames only; a text frame ends the connection.
                    Message::Text(_) => break,
                    // tungstenite answers pings itself.
                    Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                }
            }
            let _ = to_session.shutdown().await;
        };
        let outbound = async move {
            let mut buf = vec![0u8; PIPE_BUFFER];
            while let Ok(n @ 1..) = from_session.read(&mut buf).await {
                if sink.send(Message::binary(buf[..n].to_vec())).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        };
        tokio::pin!(inbound, outbound);
        tokio::select! {
            _ = &mut inbound => { let _ = tokio::time::timeout(CLOSE_GRACE, outbound).await; }
            _ = &mut outbound => { let _ = tokio::time::timeout(CLOSE_GRACE, inbound).await; }
        }
    }
}
