//! The MQTT 3.1.1/5 wire codec: frames packets off a byte buffer and encodes replies.
//! Wraps the `mqtt5-protocol` crate; no other broker module names that crate.

use bytes::{Buf, BytesMut};
use mqtt5_protocol::packet::MqttPacket;
use mqtt5_protocol::FixedHeader;

pub use mqtt5_protocol::packet::connack::ConnAckPacket;
pub use mqtt5_protocol::packet::connect::ConnectPacket;
pub use mqtt5_protocol::packet::disconnect::DisconnectPacket;
pub use mqtt5_protocol::packet::puback::PubAckPacket;
pub use mqtt5_protocol::packet::publish::PublishPacket;
pub use mqtt5_protocol::packet::suback::{SubAckPacket, SubAckReasonCode};
pub use mqtt5_protocol::packet::subscribe::{RetainHandling, SubscribePacket, TopicFilter};
pub use mqtt5_protocol::packet::unsuback::{UnsubAckPacket, UnsubAckReasonCode};
pub use mqtt5_protocol::packet::unsubscribe::UnsubscribePacket;
pub use mqtt5_protocol::{
    Packet, Properties, PropertyId, PropertyValue, QoS, ReasonCode, WillMessage,
};

/// Protocol level of MQTT 3.1.1 in CONNECT.
pub const V311: u8 = 4;
/// Protocol level of MQTT 5 in CONNECT.
pub const V5: u8 = 5;

/// Why a frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The announced packet is larger than the broker accepts.
    TooLarge,
    /// The bytes are not a valid packet.
    Malformed(String),
}

/// The length of a whole packet at the head of `buf`, once its fixed header is complete.
fn frame_len(buf: &[u8]) -> Result<Option<usize>, FrameError> {
    let mut remaining: usize = 0;
    for (i, byte) in buf.iter().skip(1).take(4).enumerate() {
        remaining |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some(1 + (i + 1) + remaining));
        }
    }
    if buf.len() >= 5 {
        return Err(FrameError::Malformed(
            "remaining length over 4 bytes".into(),
        ));
    }
    Ok(None)
}

/// Takes one packet off the front of `buf`; `Ok(None)` until a whole packet is there.
/// `version` is the connection's protocol level (any value before CONNECT).
pub fn decode(
    buf: &mut BytesMut,
    version: u8,
    max_len: usize,
) -> Result<Option<Packet>, FrameError> {
    let Some(len) = frame_len(buf)? else {
        return Ok(None);
    };
    if len > max_len {
        return Err(FrameError::TooLarge);
    }
    if buf.len() < len {
        return Ok(None);
    }
    let mut frame = buf.split_to(len).freeze();
    let malformed = |e: mqtt5_protocol::MqttError| FrameError::Malformed(e.to_string());
    let header = FixedHeader::decode(&mut frame).map_err(malformed)?;
    let packet =
        Packet::decode_from_body_with_version(header.packet_type, &header, &mut frame, version)
            .map_err(malformed)?;
    if frame.has_remaining() && !matches!(packet, Packet::Publish(_)) {
        return Err(FrameError::Malformed("trailing bytes".into()));
    }
    Ok(Some(packet))
}

/// Appends the wire form of `packet` to `out` (server-to-client packets only).
pub fn encode(packet: &Packet, out: &mut BytesMut) -> Result<(), String> {
    let result = match packet {
        Packet::ConnAck(p) => p.encode(out),
        Packet::Publish(p) => p.encode(out),
        Packet::PubAck(p) => p.encode(out),
        Packet::SubAck(p) => p.encode(out),
        Packet::UnsubAck(p) => p.encode(out),
        Packet::PingResp => {
            FixedHeader::new(mqtt5_protocol::PacketType::PingResp, 0, 0).encode(out)
        }
        Packet::Disconnect(p) => p.encode(out),
        other => {
            return Err(format!(
                "the broker never sends {}",
                other.packet_type_name()
            ))
        }
    };
    result.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_wait_for_whole_packets() {
        // mosquitto's v3.1.1 PINGREQ, then half a PUBLISH.
        let mut buf = BytesMut::from(&[0xc0u8, 0x00, 0x30, 0x05, 0x00][..]);
        assert!(matches!(
            decode(&mut buf, V311, 100),
            Ok(Some(Packet::PingReq))
        ));
        assert!(matches!(decode(&mut buf, V311, 100), Ok(None)));
        buf.extend_from_slice(&[0x01, b't', b'h', b'i']);
        let Ok(Some(Packet::Publish(p))) = decode(&mut buf, V311, 100) else {
            panic!("publish expected");
        };
        assert_eq!((p.topic_name.as_str(), &p.payload[..]), ("t", &b"hi"[..]));
        assert!(buf.is_empty());
    }

    #[test]
    fn oversized_packets_are_refused_before_buffering() {
        let mut buf = BytesMut::from(&[0x30u8, 0xff, 0xff, 0x7f][..]);
        assert_eq!(decode(&mut buf, V5, 1000).err(), Some(FrameError::TooLarge));
    }

    #[test]
    fn zero_length_v5_disconnect_decodes() {
        let mut buf = BytesMut::from(&[0xe0u8, 0x00][..]);
        assert!(matches!(
            decode(&mut buf, V5, 100),
            Ok(Some(Packet::Disconnect(_)))
        ));
    }

    #[test]
    fn disconnect_with_reason_encodes() {
        let mut out = BytesMut::new();
        let packet = Packet::Disconnect(DisconnectPacket::new(ReasonCode::QoSNotSupported));
        encode(&packet, &mut out).expect("encodes");
        assert_eq!(&out[..], &[0xe0, 0x01, 0x9b]);
    }
}
