//! AWS IoT Core's broker limits, the keep-alive clamp and the CONNACK that advertises them.

use std::time::Duration;

use super::codec::{ConnAckPacket, Properties, ReasonCode, V311};

/// MQTT 5 Receive Maximum AWS advertises (and its outbound unacked QoS 1 limit).
pub const RECEIVE_MAXIMUM: u16 = 100;
/// MQTT 5 Maximum Packet Size AWS advertises (146 KiB).
pub const MAXIMUM_PACKET_SIZE: u32 = 149_504;
/// PUBLISH payloads are at most 128 KB.
pub const MAX_PAYLOAD: usize = 131_072;
/// Topic aliases a client may use towards the broker.
pub const TOPIC_ALIAS_MAXIMUM: u16 = 8;
/// Client ids are at most 128 bytes.
pub const MAX_CLIENT_ID_BYTES: usize = 128;
/// Topic filters per SUBSCRIBE.
pub const MAX_FILTERS_PER_SUBSCRIBE: usize = 8;
/// Subscriptions per connection.
pub const MAX_SUBSCRIPTIONS: usize = 50;
/// Keep-alive when the client asks for 0 or more than this.
pub const DEFAULT_KEEP_ALIVE: u16 = 1200;
/// Keep-alive floor.
pub const MIN_KEEP_ALIVE: u16 = 30;
/// The default account quota "Persistent session expiry period" (1 h).
pub const MAX_SESSION_EXPIRY: u32 = 3600;

/// The keep-alive AWS applies: 0 or >1200 becomes 1200, 1..29 becomes 30.
pub fn keep_alive(requested: u16) -> u16 {
    match requested {
        0 => DEFAULT_KEEP_ALIVE,
        n if n > DEFAULT_KEEP_ALIVE => DEFAULT_KEEP_ALIVE,
        n => n.max(MIN_KEEP_ALIVE),
    }
}

/// How long the broker waits for a packet before dropping the client (1.5× keep-alive).
pub fn keep_alive_grace(keep_alive: u16) -> Duration {
    Duration::from_millis(u64::from(keep_alive) * 1500)
}

/// Whether a client-chosen client id is acceptable (`$` is reserved for ids AWS assigns).
pub fn client_id_ok(client_id: &str) -> bool {
    client_id.len() <= MAX_CLIENT_ID_BYTES && !client_id.starts_with('$')
}

/// What a successful CONNACK reports about this connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub keep_alive: u16,
    pub assigned_client_id: Option<String>,
    /// The Session Expiry Interval the client asked for, if any.
    pub requested_session_expiry: Option<u32>,
    /// Whether a stored session was resumed (CONNACK `sessionPresent`).
    pub session_present: bool,
}

/// The success CONNACK: MQTT 5 carries AWS's properties (as captured from IoT Core).
pub fn connack(version: u8, accepted: &Accepted) -> ConnAckPacket {
    let mut packet = ConnAckPacket::new(accepted.session_present, ReasonCode::Success);
    packet.protocol_version = version;
    if version == V311 {
        return packet;
    }
    let p = &mut packet.properties;
    p.set_receive_maximum(RECEIVE_MAXIMUM);
    p.set_maximum_qos(1);
    p.set_retain_available(true);
    p.set_maximum_packet_size(MAXIMUM_PACKET_SIZE);
    p.set_topic_alias_maximum(TOPIC_ALIAS_MAXIMUM);
    p.set_wildcard_subscription_available(true);
    p.set_subscription_identifier_available(false);
    p.set_shared_subscription_available(true);
    // Always sent: the capture shows it, and the value may differ from the request.
    p.set_server_keep_alive(accepted.keep_alive);
    if let Some(id) = &accepted.assigned_client_id {
        p.set_assigned_client_identifier(id.clone());
    }
    // AWS returns the adjusted interval when the request exceeds the account quota.
    if let Some(expiry) = accepted.requested_session_expiry {
        if expiry > MAX_SESSION_EXPIRY {
            p.set_session_expiry_interval(MAX_SESSION_EXPIRY);
        }
    }
    packet
}

/// An MQTT 5 refusal CONNACK (MQTT 3.1.1 refusals are a closed socket instead).
pub fn refusal(reason: ReasonCode) -> ConnAckPacket {
    let mut packet = ConnAckPacket::new(false, reason);
    packet.properties = Properties::default();
    packet
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mqtt::codec::{PropertyId, V5};

    #[test]
    fn keep_alive_is_clamped_like_aws() {
        assert_eq!(keep_alive(0), 1200);
        assert_eq!(keep_alive(1), 30);
        assert_eq!(keep_alive(29), 30);
        assert_eq!(keep_alive(30), 30);
        assert_eq!(keep_alive(600), 600);
        assert_eq!(keep_alive(1200), 1200);
        assert_eq!(keep_alive(1201), 1200);
        assert_eq!(keep_alive_grace(30), Duration::from_secs(45));
    }

    #[test]
    fn client_ids_are_bounded_and_not_reserved() {
        assert!(client_id_ok("dev1"));
        assert!(client_id_ok(&"x".repeat(128)));
        assert!(!client_id_ok(&"x".repeat(129)));
        assert!(!client_id_ok("$GEN/abc"));
    }

    fn accepted(keep_alive: u16) -> Accepted {
        Accepted {
            keep_alive,
            assigned_client_id: None,
            requested_session_expiry: None,
            session_present: false,
        }
    }

    #[test]
    fn v5_connack_advertises_aws_limits() {
        let packet = connack(V5, &accepted(1200));
        let p = &packet.properties;
        assert_eq!(p.get_receive_maximum(), Some(100));
        assert_eq!(p.get_maximum_packet_size(), Some(149_504));
        assert_eq!(p.get_topic_alias_maximum(), Some(8));
        assert_eq!(p.get_server_keep_alive(), Some(1200));
        for id in [
            PropertyId::MaximumQoS,
            PropertyId::RetainAvailable,
            PropertyId::WildcardSubscriptionAvailable,
            PropertyId::SubscriptionIdentifierAvailable,
            PropertyId::SharedSubscriptionAvailable,
        ] {
            assert!(p.contains(id), "{id:?} missing");
        }
        assert!(!p.contains(PropertyId::AssignedClientIdentifier));
        assert!(!p.contains(PropertyId::SessionExpiryInterval));
    }

    #[test]
    fn v5_connack_reports_assigned_id_and_capped_expiry() {
        let mut a = accepted(30);
        a.assigned_client_id = Some("$GEN/x".into());
        a.requested_session_expiry = Some(86_400);
        let p = connack(V5, &a).properties;
        assert_eq!(p.get_session_expiry_interval(), Some(3600));
        assert_eq!(p.get_server_keep_alive(), Some(30));
        assert!(p.contains(PropertyId::AssignedClientIdentifier));
    }

    #[test]
    fn v311_connack_has_no_properties() {
        let packet = connack(V311, &accepted(1200));
        assert!(packet.properties.is_empty());
        assert_eq!(packet.protocol_version, V311);
    }
}
