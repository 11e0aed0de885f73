//! MQTT 5 Message Expiry as AWS applies it, and the conversion between a retained message
//! and its durable registry row.

use bytes::Bytes;

use super::codec::{Properties, PropertyId, PropertyValue, QoS};
use super::router::Message;
use crate::registry::retained::RetainedMessage;

/// The longest Message Expiry Interval AWS keeps (7 days); larger values are clamped.
pub const MAX_MESSAGE_EXPIRY: u32 = 604_800;

/// When a message published at `now_ms` expires: its Message Expiry Interval, clamped to
/// 1..=604800 s (AWS turns 0 into 1). `None` when it carries no interval.
pub fn expires_at(properties: &Properties, now_ms: i64) -> Option<i64> {
    let seconds = properties
        .get_message_expiry_interval()?
        .clamp(1, MAX_MESSAGE_EXPIRY);
    Some(now_ms.saturating_add(i64::from(seconds) * 1000))
}

/// The interval to forward at `now_ms`: whole seconds left, a remainder under a second
/// sent as 0 (as AWS documents). `None` once expired: the message is not delivered.
pub fn remaining_seconds(expires_at_ms: i64, now_ms: i64) -> Option<u32> {
    let left = expires_at_ms.checked_sub(now_ms).filter(|ms| *ms > 0)?;
    Some(u32::try_from(left / 1000).unwrap_or(MAX_MESSAGE_EXPIRY))
}

/// `properties` with its Message Expiry Interval replaced by `seconds`.
pub fn with_expiry(properties: &Properties, seconds: u32) -> Properties {
    let mut out = Properties::default();
    for (id, value) in properties.iter() {
        if id != PropertyId::MessageExpiryInterval {
            let _ = out.add(id, value.clone());
        }
    }
    out.set_message_expiry_interval(seconds);
    out
}

/// The registry row for a retained `message` stored at `now_ms`.
pub fn to_row(message: &Message, now_ms: i64) -> RetainedMessage {
    let p = &message.properties;
    RetainedMessage {
        topic: message.topic.clone(),
        payload: message.payload.to_vec(),
        qos: u8::from(message.qos != QoS::AtMostOnce),
        last_modified_time: now_ms,
        user_properties: user_properties(p),
        content_type: p.get_content_type(),
        response_topic: match p.get(PropertyId::ResponseTopic) {
            Some(PropertyValue::Utf8String(t)) => Some(t.clone()),
            _ => None,
        },
        correlation_data: match p.get(PropertyId::CorrelationData) {
            Some(PropertyValue::BinaryData(b)) => Some(b.to_vec()),
            _ => None,
        },
        payload_format_utf8: match p.get(PropertyId::PayloadFormatIndicator) {
            Some(PropertyValue::Byte(b)) => Some(*b == 1),
            _ => None,
        },
        expires_at_ms: expires_at(p, now_ms),
    }
}

/// The message a retained row stands for (RETAIN set), with its MQTT 5 properties.
pub fn from_row(row: RetainedMessage) -> Message {
    let mut p = Properties::default();
    for (k, v) in row.user_properties {
        p.add_user_property(k, v);
    }
    if let Some(t) = row.content_type {
        p.set_content_type(t);
    }
    if let Some(t) = row.response_topic {
        p.set_response_topic(t);
    }
    if let Some(d) = row.correlation_data {
        p.set_correlation_data(Bytes::from(d));
    }
    if let Some(utf8) = row.payload_format_utf8 {
        p.set_payload_format_indicator(utf8);
    }
    Message {
        topic: row.topic,
        payload: Bytes::from(row.payload),
        qos: if row.qos == 0 {
            QoS::AtMostOnce
        } else {
            QoS::AtLeastOnce
        },
        retain: true,
        properties: p,
    }
}

/// The User Properties, in order.
pub fn user_properties(properties: &Properties) -> Vec<(String, String)> {
    let all = properties.get_all(PropertyId::UserProperty).unwrap_or(&[]);
    all.iter()
        .filter_map(|v| match v {
            PropertyValue::Utf8StringPair(k, v) => Some((k.clone(), v.clone())),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_clamped_like_aws() {
        let mut p = Properties::default();
        assert_eq!(expires_at(&p, 1_000), None);
        p.set_message_expiry_interval(0);
        assert_eq!(expires_at(&p, 1_000), Some(2_000));
        let mut p = Properties::default();
        p.set_message_expiry_interval(u32::MAX);
        assert_eq!(expires_at(&p, 0), Some(604_800_000));
    }

    #[test]
    fn remaining_time_counts_down_and_sub_second_is_zero() {
        assert_eq!(remaining_seconds(10_000, 0), Some(10));
        assert_eq!(remaining_seconds(10_000, 9_001), Some(0));
        assert_eq!(remaining_seconds(10_000, 10_000), None);
        assert_eq!(remaining_seconds(10_000, 20_000), None);
        let mut p = Properties::default();
        p.set_message_expiry_interval(60);
        p.add_user_property("a".into(), "1".into());
        let q = with_expiry(&p, 7);
        assert_eq!(q.get_message_expiry_interval(), Some(7));
        assert_eq!(user_properties(&q), vec![("a".into(), "1".into())]);
    }

    #[test]
    fn retained_rows_keep_payload_qos_and_v5_properties() {
        let mut p = Properties::default();
        p.add_user_property("k1".into(), "v1".into());
        p.add_user_property("k0".into(), "v0".into());
        p.set_content_type("text/plain".into());
        let message = Message {
            topic: "a/b".into(),
            payload: Bytes::from_static(b"hi"),
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: p,
        };
        let row = to_row(&message, 42);
        assert_eq!((row.qos, row.last_modified_time), (1, 42));
        assert_eq!(row.user_properties[0], ("k1".into(), "v1".into()));
        let back = from_row(row);
        assert_eq!(back.payload, message.payload);
        assert_eq!(back.qos, QoS::AtLeastOnce);
        assert_eq!(user_properties(&back.properties).len(), 2);
        assert_eq!(
            back.properties.get_content_type().as_deref(),
            Some("text/plain")
        );
    }
}
