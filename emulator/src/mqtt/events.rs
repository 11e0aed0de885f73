//! AWS IoT lifecycle events: connected/disconnected on `$aws/events/presence/...` and
//! subscribed/unsubscribed on `$aws/events/subscriptions/...`, with AWS's payload fields
//! and `versionNumber` bookkeeping. They are published through the router like any
//! message, so each delivery goes through `Session::deliver`.

use std::collections::HashMap;
use std::sync::Mutex;

use bytes::Bytes;
use serde_json::{json, Value};

use super::codec::{Properties, QoS, ReasonCode};
use super::dispatch::Exit;
use super::router::Message;
use super::session::Session;

/// After this long disconnected a client id's `versionNumber` starts again at 0 (AWS:
/// "about 1 hour").
const VERSION_RESET_MS: i64 = 3_600_000;

/// Per client id: the last `versionNumber` and when its connection ended.
#[derive(Debug, Default)]
pub struct Presence {
    versions: Mutex<HashMap<String, (u64, Option<i64>)>>,
}

impl Presence {
    /// The `versionNumber` of a new connection of `client_id` at `now_ms`: one more than
    /// the last, or 0 for a client id new or disconnected for an hour.
    pub fn on_connect(&self, client_id: &str, now_ms: i64) -> u64 {
        let mut versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        let next = match versions.get(client_id) {
            Some((_, Some(since))) if now_ms - since >= VERSION_RESET_MS => 0,
            Some((version, _)) => version + 1,
            None => 0,
        };
        versions.insert(client_id.to_string(), (next, None));
        next
    }

    /// Notes that the connection with `version` ended (a newer one keeps its own record).
    pub fn on_disconnect(&self, client_id: &str, version: u64, now_ms: i64) {
        let mut versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = versions.get_mut(client_id) {
            if entry.0 == version {
                entry.1 = Some(now_ms);
            }
        }
    }

    /// Forgets client ids disconnected for longer than the reset period.
    pub fn sweep(&self, now_ms: i64) {
        let mut versions = self.versions.lock().unwrap_or_else(|e| e.into_inner());
        versions.retain(|_, (_, since)| since.is_none_or(|s| now_ms - s < VERSION_RESET_MS));
    }
}

/// `clientInitiatedDisconnect` and `disconnectReason` for how a connection ended.
pub fn disconnect_reason(exit: &Exit) -> (bool, &'static str) {
    match exit {
        Exit::Client { .. } => (true, "CLIENT_INITIATED_DISCONNECT"),
        Exit::Lost => (false, "CONNECTION_LOST"),
        Exit::Api { .. } => (false, "API_INITIATED_DISCONNECT"),
        Exit::Server(code) => (false, server_reason(*code)),
    }
}

fn server_reason(code: ReasonCode) -> &'static str {
    match code {
        ReasonCode::SessionTakenOver => "DUPLICATE_CLIENTID",
        ReasonCode::KeepAliveTimeout => "MQTT_KEEP_ALIVE_TIMEOUT",
        ReasonCode::NotAuthorized => "AUTH_ERROR",
        ReasonCode::QuotaExceeded | ReasonCode::MessageRateTooHigh => "THROTTLED",
        ReasonCode::UnspecifiedError | ReasonCode::ImplementationSpecificError => "SERVER_ERROR",
        ReasonCode::MalformedPacket
        | ReasonCode::ProtocolError
        | ReasonCode::PacketTooLarge
        | ReasonCode::TopicNameInvalid
        | ReasonCode::TopicFilterInvalid
        | ReasonCode::TopicAliasInvalid
        | ReasonCode::QoSNotSupported
        | ReasonCode::ReceiveMaximumExceeded
        | ReasonCode::SubscriptionIdentifiersNotSupported => "CLIENT_ERROR",
        // Certificate deactivation (0x98) and shutdown (0x8B). AWS does not document which
        // reason a deactivated certificate's session reports; this is our guess.
        _ => "SERVER_INITIATED_DISCONNECT",
    }
}

/// Client ids with MQTT wildcards get no lifecycle events (AWS documents this).
fn announced(client_id: &str) -> bool {
    !client_id.contains(['#', '+'])
}

fn event(topic: String, payload: &Value) -> Message {
    Message {
        topic,
        payload: Bytes::from(payload.to_string()),
        // AWS does not say; QoS 1 lets persistent subscribers keep them while offline.
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: Properties::default(),
    }
}

impl Session {
    fn publish_event(&self, message: Message) {
        if let Err(e) = self.broker.shared.router.publish("", message) {
            tracing::warn!(cause = %e.message, "lifecycle event not published");
        }
    }

    /// Publishes `$aws/events/presence/connected/<clientId>`.
    pub fn announce_connected(&self) {
        if !announced(&self.client_id) {
            return;
        }
        let payload = json!({
            "clientId": self.client_id,
            "timestamp": self.broker.now_ms(),
            "eventType": "connected",
            "sessionIdentifier": self.session_identifier,
            "principalIdentifier": self.principal.identifier(),
            "ipAddress": self.peer_ip,
            "versionNumber": self.version_number,
        });
        let topic = format!("$aws/events/presence/connected/{}", self.client_id);
        self.publish_event(event(topic, &payload));
    }

    /// Publishes `$aws/events/presence/disconnected/<clientId>` for how `exit` ended it.
    pub fn announce_disconnected(&self, exit: &Exit) {
        let now = self.broker.now_ms();
        let presence = &self.broker.shared.presence;
        presence.on_disconnect(&self.client_id, self.version_number, now);
        if !announced(&self.client_id) {
            return;
        }
        let (client_initiated, reason) = disconnect_reason(exit);
        let payload = json!({
            "clientId": self.client_id,
            "timestamp": now,
            "eventType": "disconnected",
            "sessionIdentifier": self.session_identifier,
            "principalIdentifier": self.principal.identifier(),
            "clientInitiatedDisconnect": client_initiated,
            "disconnectReason": reason,
            "versionNumber": self.version_number,
        });
        let topic = format!("$aws/events/presence/disconnected/{}", self.client_id);
        self.publish_event(event(topic, &payload));
    }

    /// Publishes `$aws/events/subscriptions/<subscribed|unsubscribed>/<clientId>`.
    pub fn announce_subscriptions(&self, event_type: &str, topics: &[String]) {
        if topics.is_empty() || !announced(&self.client_id) {
            return;
        }
        let payload = json!({
            "clientId": self.client_id,
            "timestamp": self.broker.now_ms(),
            "eventType": event_type,
            "sessionIdentifier": self.session_identifier,
            "principalIdentifier": self.principal.identifier(),
            "topics": topics,
        });
        let topic = format!("$aws/events/subscriptions/{event_type}/{}", self.client_id);
        self.publish_event(event(topic, &payload));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_numbers_grow_per_client_and_reset_after_an_hour_offline() {
        let p = Presence::default();
        assert_eq!(p.on_connect("a", 0), 0);
        assert_eq!(p.on_connect("a", 10), 1, "takeover while connected");
        p.on_disconnect("a", 0, 20);
        assert_eq!(
            p.on_connect("a", 30),
            2,
            "an old connection's end is ignored"
        );
        p.on_disconnect("a", 2, 1_000);
        assert_eq!(p.on_connect("a", 1_000 + VERSION_RESET_MS - 1), 3);
        p.on_disconnect("a", 3, 0);
        assert_eq!(p.on_connect("a", VERSION_RESET_MS), 0);
        assert_eq!(p.on_connect("b", 0), 0);
        p.on_disconnect("b", 0, 0);
        p.sweep(VERSION_RESET_MS);
        assert_eq!(p.versions.lock().map(|v| v.len()).unwrap_or(0), 1);
    }

    #[test]
    fn disconnect_reasons_follow_how_the_connection_ended() {
        let cases = [
            (
                Exit::Client { will: false },
                (true, "CLIENT_INITIATED_DISCONNECT"),
            ),
            (Exit::Lost, (false, "CONNECTION_LOST")),
            (
                Exit::Server(ReasonCode::SessionTakenOver),
                (false, "DUPLICATE_CLIENTID"),
            ),
            (
                Exit::Server(ReasonCode::KeepAliveTimeout),
                (false, "MQTT_KEEP_ALIVE_TIMEOUT"),
            ),
            (
                Exit::Server(ReasonCode::NotAuthorized),
                (false, "AUTH_ERROR"),
            ),
            (
                Exit::Server(ReasonCode::ProtocolError),
                (false, "CLIENT_ERROR"),
            ),
            (
                Exit::Server(ReasonCode::AdministrativeAction),
                (false, "SERVER_INITIATED_DISCONNECT"),
            ),
            (
                Exit::Api {
                    clean_session: false,
                    prevent_will: false,
                },
                (false, "API_INITIATED_DISCONNECT"),
            ),
        ];
        for (exit, want) in cases {
            assert_eq!(disconnect_reason(&exit), want, "{exit:?}");
        }
        assert!(announced("dev-1"));
        assert!(!announced("dev/#"));
    }
}
