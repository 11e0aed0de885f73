//! Packet I/O on one client stream: buffered reads framed into packets, encoded writes.

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

/// A client stream with its read buffer and the negotiated protocol level.
pub struct Connection<S> {
    stream: S,
    inbuf: BytesMut,
    /// The CONNECT protocol level (4 or 5); 0 until CONNECT is read.
    pub version: u8,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    pub fn new(stream: S) -> Self {
        Connection {
            stream,
            inbuf: BytesMut::with_capacity(4096),
            version: 0,
        }
    }

    /// Reads the next packet. Cancel-safe: bytes already read stay in the buffer.
    pub async fn read_packet(&mut self) -> Result<Packet, ReadError> {
        let max = MAXIMUM_PACKET_SIZE as usize;
        loop {
            let version = if self.version == 0 {
                codec::V5
            } else {
                self.version
            };
            if let Some(packet) =
                codec::decode(&mut self.inbuf, version, max).map_err(ReadError::Frame)?
            {
                return Ok(packet);
            }
            match self.stream.read_buf(&mut self.inbuf).await {
                Ok(0) | Err(_) => return Err(ReadError::Closed),
                Ok(_) => {}
            }
        }
    }

    /// Encodes and writes one packet.
    pub async fn send(&mut self, packet: &Packet) -> io::Result<()> {
        let bytes = encode(packet)?;
        self.send_bytes(&bytes).await
    }

    /// Writes an already encoded packet.
    pub async fn send_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Closes the stream (TLS close_notify, then FIN), waiting at most a moment.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.stream.shutdown()).await;
    }
}

/// The wire bytes of `packet`.
pub fn encode(packet: &Packet) -> io::Result<BytesMut> {
    let mut out = BytesMut::new();
    codec::encode(packet, &mut out).map_err(io::Error::other)?;
    Ok(out)
}
