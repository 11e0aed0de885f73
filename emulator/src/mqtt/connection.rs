//! Packet I/O on one client stream: buffered reads framed into packets, encoded writes
//! gathered into one buffer and flushed once per batch (one TLS record and one write for
//! a PUBACK and the deliveries that follow it, rather than one per packet).

use std::io;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::codec::{self, FrameError, Packet};
use super::limits::MAXIMUM_PACKET_SIZE;

/// Why no packet could be read.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed the stream (or it failed).
    Closed,
    Frame(FrameError),
}

/// Bytes gathered past which they are written at once rather than at the next flush.
const FLUSH_AT: usize = 64 * 1024;

/// A client byte stream: mutual TLS, or the MQTT bytes of a WebSocket.
pub trait Transport: AsyncRead + AsyncWrite + Unpin {
    /// Whether the client closed the connection on purpose beneath MQTT (a WebSocket
    /// Close frame), which AWS counts as a client-initiated disconnect.
    fn closed_by_client(&self) -> bool {
        false
    }
}

impl Transport for tokio_rustls::server::TlsStream<tokio::net::TcpStream> {}

/// A client stream with its read and write buffers and the negotiated protocol level.
pub struct Connection<S> {
    stream: S,
    inbuf: BytesMut,
    outbuf: BytesMut,
    /// The CONNECT protocol level (4 or 5); 0 until CONNECT is read.
    pub version: u8,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    pub fn new(stream: S) -> Self {
        Connection {
            stream,
            inbuf: BytesMut::with_capacity(4096),
            outbuf: BytesMut::with_capacity(4096),
            version: 0,
        }
    }

    /// The stream underneath.
    pub fn stream(&self) -> &S {
        &self.stream
    }

    /// Reads the next packet. Cancel-safe: bytes already read stay in the buffer.
    pub async fn read_packet(&mut self) -> Result<Packet, ReadError> {
        loop {
            if let Some(packet) = self.buffered_packet().transpose()? {
                return Ok(packet);
            }
            match self.stream.read_buf(&mut self.inbuf).await {
                Ok(0) | Err(_) => return Err(ReadError::Closed),
                Ok(_) => {}
            }
        }
    }

    /// The next packet if the bytes already read hold a whole one; no I/O.
    pub fn buffered_packet(&mut self) -> Option<Result<Packet, ReadError>> {
        let version = if self.version == 0 {
            codec::V5
        } else {
            self.version
        };
        let max = MAXIMUM_PACKET_SIZE as usize;
        codec::decode(&mut self.inbuf, version, max)
            .map_err(ReadError::Frame)
            .transpose()
    }

    /// Encodes one packet into the write buffer; it leaves at the next [`Self::flush`].
    pub async fn send(&mut self, packet: &Packet) -> io::Result<()> {
        let bytes = encode(packet)?;
        self.send_bytes(&bytes).await
    }

    /// Adds an already encoded packet to the write buffer, writing the buffer out once it
    /// is large.
    pub async fn send_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.outbuf.extend_from_slice(bytes);
        if self.outbuf.len() >= FLUSH_AT {
            self.flush().await?;
        }
        Ok(())
    }

    /// Writes everything buffered in one go and flushes the stream.
    pub async fn flush(&mut self) -> io::Result<()> {
        if self.outbuf.is_empty() {
            return Ok(());
        }
        let out = self.outbuf.split();
        self.stream.write_all(&out).await?;
        self.stream.flush().await
    }

    /// Sends what is buffered, then closes the stream (TLS close_notify, then FIN),
    /// waiting at most a moment.
    pub async fn close(mut self) {
        let close = async {
            let _ = self.flush().await;
            let _ = self.stream.shutdown().await;
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), close).await;
    }
}

/// The wire bytes of `packet`.
pub fn encode(packet: &Packet) -> io::Result<BytesMut> {
    let mut out = BytesMut::new();
    codec::encode(packet, &mut out).map_err(io::Error::other)?;
    Ok(out)
}
