//! The broker's side of iot-data over HTTP: Publish and DeleteConnection as the control
//! plane calls them through [`crate::state::DataPlane`], without `api` naming `mqtt`.

use std::sync::{Arc, Weak};

use bytes::Bytes;

use super::codec::{Properties, QoS};
use super::limits::MAX_PAYLOAD;
use super::reserved::{self, Disposition};
use super::router::Message;
use super::topic::{self, TopicError};
use super::{Broker, Shared};
use crate::state::{DataMessage, DataPlane, DataPlaneError};

/// The data plane of one broker. It holds the broker weakly: the broker owns the
/// emulator state that holds this, and a strong handle would keep both alive forever.
#[derive(Debug)]
struct BrokerDataPlane {
    shared: Weak<Shared>,
}

impl Broker {
    /// Makes this broker the target of iot-data Publish and DeleteConnection.
    pub fn install_data_plane(&self) {
        let plane = BrokerDataPlane {
            shared: Arc::downgrade(&self.shared),
        };
        self.shared.emulator.data_plane.install(Arc::new(plane));
    }
}

impl BrokerDataPlane {
    fn broker(&self) -> Result<Broker, DataPlaneError> {
        let shared = self.shared.upgrade();
        let shared = shared.ok_or_else(|| unavailable("The message broker is not running"))?;
        Ok(Broker { shared })
    }
}

fn unavailable(message: &str) -> DataPlaneError {
    DataPlaneError::InternalFailure(message.to_string())
}

impl DataPlane for BrokerDataPlane {
    fn publish(&self, message: DataMessage) -> Result<(), DataPlaneError> {
        check_publish(&message)?;
        let broker = self.broker()?;
        let shadow = match reserved::classify(&message.topic) {
            Disposition::Shadow(request) => Some((request, message.payload.clone())),
            _ => None,
        };
        let published = match message.principal.clone() {
            Some(signer) => broker.publish_signed(&signer, to_message(message)),
            None => broker.publish(to_message(message)),
        };
        published.map_err(|e| {
            tracing::error!(cause = %e.message, "HTTP publish not stored");
            DataPlaneError::InternalFailure("Internal failure".into())
        })?;
        if let Some((request, payload)) = shadow {
            broker.answer_shadow(&request, &payload);
        }
        Ok(())
    }

    fn delete_connection(&self, client_id: &str, clean: bool, prevent_will: bool) -> bool {
        self.broker()
            .is_ok_and(|b| b.delete_connection(client_id, clean, prevent_will))
    }
}

/// The checks an MQTT PUBLISH would face, answered as iot-data exceptions.
fn check_publish(message: &DataMessage) -> Result<(), DataPlaneError> {
    let invalid = |m: &str| Err(DataPlaneError::InvalidRequest(m.to_string()));
    if let Err(e) = topic::validate_topic_name(&message.topic) {
        return invalid(match e {
            TopicError::Empty => "The topic name is empty",
            TopicError::TooLong => "The topic name is longer than 256 bytes",
            TopicError::TooManyLevels => "The topic name has more than 7 forward slashes",
            _ => "The topic name must not contain wildcard characters",
        });
    }
    if message.payload.len() > MAX_PAYLOAD {
        let text = "The payload exceeds the maximum message size of 128 KB";
        return Err(DataPlaneError::RequestEntityTooLarge(text.into()));
    }
    let response_topic = message.response_topic.as_deref();
    if response_topic.is_some_and(|t| topic::validate_topic_name(t).is_err()) {
        return invalid("The response topic must be a valid topic name without wildcards");
    }
    if message.qos > 1 {
        return invalid("QoS must be 0 or 1");
    }
    if message.retain && message.topic.starts_with('$') {
        return invalid("Retained messages cannot be published to reserved topics");
    }
    match reserved::classify(&message.topic) {
        Disposition::Route | Disposition::Shadow(_) => Ok(()),
        // A handler's request or reply topic: its replies go only to the requesting MQTT
        // connection, which an HTTP caller does not have.
        Disposition::Handle(_) | Disposition::Jobs(_) | Disposition::Drop => {
            Err(DataPlaneError::Forbidden(
                "Publishing to this reserved topic over HTTP is not allowed".into(),
            ))
        }
    }
}

/// The broker message for an HTTP publish, MQTT 5 properties included.
fn to_message(m: DataMessage) -> Message {
    let mut p = Properties::default();
    for (k, v) in m.user_properties {
        p.add_user_property(k, v);
    }
    if let Some(t) = m.content_type {
        p.set_content_type(t);
    }
    if let Some(t) = m.response_topic {
        p.set_response_topic(t);
    }
    if let Some(d) = m.correlation_data {
        p.set_correlation_data(Bytes::from(d));
    }
    if let Some(utf8) = m.payload_format_utf8 {
        p.set_payload_format_indicator(utf8);
    }
    if let Some(seconds) = m.message_expiry {
        p.set_message_expiry_interval(seconds);
    }
    Message {
        topic: m.topic,
        payload: Bytes::from(m.payload),
        qos: if m.qos == 0 {
            QoS::AtMostOnce
        } else {
            QoS::AtLeastOnce
        },
        retain: m.retain,
        properties: p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(topic: &str) -> DataMessage {
        DataMessage {
            topic: topic.into(),
            payload: b"x".to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn http_publishes_face_the_mqtt_rules() {
        assert!(check_publish(&message("a/b")).is_ok());
        assert!(check_publish(&message("$aws/things/t/shadow/update")).is_ok());
        let bad =
            |m: &DataMessage| matches!(check_publish(m), Err(DataPlaneError::InvalidRequest(_)));
        assert!(bad(&message("a/+")));
        assert!(bad(&message("")));
        assert!(bad(&DataMessage {
            qos: 2,
            ..message("a")
        }));
        let retained_reserved = DataMessage {
            retain: true,
            ..message("$aws/things/t/shadow/update")
        };
        assert!(bad(&retained_reserved));
        let forbidden = check_publish(&message("$aws/certificates/create/json"));
        assert!(matches!(forbidden, Err(DataPlaneError::Forbidden(_))));
        let big = DataMessage {
            payload: vec![0; MAX_PAYLOAD + 1],
            ..message("a")
        };
        assert!(matches!(
            check_publish(&big),
            Err(DataPlaneError::RequestEntityTooLarge(_))
        ));
    }

    #[test]
    fn properties_are_carried() {
        let m = DataMessage {
            user_properties: vec![("k".into(), "v".into())],
            content_type: Some("text/plain".into()),
            message_expiry: Some(30),
            qos: 1,
            retain: true,
            ..message("a")
        };
        let out = to_message(m);
        assert_eq!(out.qos, QoS::AtLeastOnce);
        assert!(out.retain);
        assert_eq!(out.properties.get_message_expiry_interval(), Some(30));
        assert_eq!(
            super::super::message::user_properties(&out.properties).len(),
            1
        );
    }
}
