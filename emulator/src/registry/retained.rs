//! Retained MQTT messages, one per topic, durable like every other table: the broker
//! stores and clears them, the control plane (iot-data) reads them.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{IotResult, Registry};

/// One retained message, keyed by its topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetainedMessage {
    pub topic: String,
    #[serde(with = "base64_bytes")]
    pub payload: Vec<u8>,
    /// 0 or 1.
    pub qos: u8,
    /// When it was last stored (emulator clock, ms since the epoch).
    pub last_modified_time: i64,
    /// MQTT 5 user properties, in the order the publisher sent them.
    #[serde(default)]
    pub user_properties: Vec<(String, String)>,
    /// MQTT 5 properties forwarded to subscribers that get it on subscribe.
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub response_topic: Option<String>,
    #[serde(default, with = "base64_opt")]
    pub correlation_data: Option<Vec<u8>>,
    #[serde(default)]
    pub payload_format_utf8: Option<bool>,
    /// MQTT 5 Message Expiry: gone once the clock passes this instant.
    #[serde(default)]
    pub expires_at_ms: Option<i64>,
}

impl RetainedMessage {
    /// Whether it has expired at `now_ms`.
    pub fn expired(&self, now_ms: i64) -> bool {
        self.expires_at_ms.is_some_and(|at| at <= now_ms)
    }
}

impl Registry {
    /// Stores `message` as the retained message of its topic, replacing any older one.
    pub fn put_retained(&self, message: RetainedMessage) -> IotResult<()> {
        self.write(|inner, tx| {
            let topic = message.topic.clone();
            inner.retained.put(tx, topic, message);
            Ok(())
        })
    }

    /// Clears the retained message of `topic` (a retained publish with an empty payload).
    pub fn delete_retained(&self, topic: &str) -> IotResult<()> {
        self.write(|inner, tx| {
            inner.retained.remove(tx, topic);
            Ok(())
        })
    }

    /// The live retained message of `topic`, if any.
    pub fn retained(&self, topic: &str) -> Option<RetainedMessage> {
        let now = self.clock().now_ms();
        self.read(|inner| inner.retained.get(topic).cloned())
            .filter(|m| !m.expired(now))
    }

    /// Every live retained message, in topic order.
    pub fn retained_messages(&self) -> Vec<RetainedMessage> {
        let now = self.clock().now_ms();
        self.read(|inner| {
            let live = inner.retained.values().filter(|m| !m.expired(now));
            live.cloned().collect()
        })
    }

    /// Deletes the retained messages whose expiry has passed; returns how many.
    pub fn purge_expired_retained(&self) -> IotResult<usize> {
        let now = self.clock().now_ms();
        self.write(|inner, tx| {
            let expired: Vec<String> = inner
                .retained
                .iter()
                .filter(|(_, m)| m.expired(now))
                .map(|(k, _)| k.clone())
                .collect();
            for topic in &expired {
                inner.retained.remove(tx, topic);
            }
            Ok(expired.len())
        })
    }
}

mod base64_bytes {
    use super::*;

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

mod base64_opt {
    use super::*;

    pub(super) fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_some(&STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| STANDARD.decode(t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::testing::registry_at;

    fn message(topic: &str, expires_at_ms: Option<i64>) -> RetainedMessage {
        RetainedMessage {
            topic: topic.into(),
            payload: vec![0, 1, 255],
            qos: 1,
            last_modified_time: 5,
            user_properties: vec![("k".into(), "v".into())],
            content_type: None,
            response_topic: None,
            correlation_data: Some(vec![9]),
            payload_format_utf8: None,
            expires_at_ms,
        }
    }

    #[test]
    fn rows_round_trip_through_json_with_base64_payloads() {
        let m = message("a/b", None);
        let json = serde_json::to_value(&m).expect("serialises");
        assert_eq!(json["payload"], "AAH/");
        assert_eq!(json["lastModifiedTime"], 5);
        let back: RetainedMessage = serde_json::from_value(json).expect("parses");
        assert_eq!(back, m);
    }

    #[test]
    fn put_replaces_delete_clears_and_expired_ones_are_invisible() {
        let reg = registry_at(1_000);
        reg.put_retained(message("a", None)).expect("put");
        reg.put_retained(message("b", Some(1_000))).expect("put");
        reg.put_retained(message("c", Some(2_000))).expect("put");
        assert!(reg.retained("a").is_some());
        assert!(reg.retained("b").is_none(), "expired at now");
        let topics: Vec<String> = reg
            .retained_messages()
            .into_iter()
            .map(|m| m.topic)
            .collect();
        assert_eq!(topics, vec!["a", "c"]);
        assert_eq!(reg.purge_expired_retained().expect("purge"), 1);
        reg.delete_retained("a").expect("delete");
        assert!(reg.retained("a").is_none());
    }
}
