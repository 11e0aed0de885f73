//! The broker as the publisher of the services behind reserved topics (device shadows,
//! jobs): their replies, notifications and events go out as the broker's own QoS 1
//! messages, to every subscriber whose policy allows them, and the rules engine sees them.

use std::sync::{Arc, Weak};

use bytes::Bytes;

use super::codec::{Properties, QoS};
use super::router::Message;
use super::{Broker, Shared};

/// One service's way to publish. It holds the broker weakly: the broker owns the emulator
/// state that holds this.
#[derive(Debug)]
pub(super) struct ServicePublisher {
    shared: Weak<Shared>,
    service: &'static str,
}

impl ServicePublisher {
    pub(super) fn new(broker: &Broker, service: &'static str) -> Arc<Self> {
        let shared = Arc::downgrade(&broker.shared);
        Arc::new(ServicePublisher { shared, service })
    }

    fn send(&self, topic: String, payload: Vec<u8>) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        // A choice (spec §1.7): AWS's QoS for these is undocumented; QoS 1, so each
        // subscriber gets min(1, its granted QoS).
        let message = Message {
            topic,
            payload: Bytes::from(payload),
            qos: QoS::AtLeastOnce,
            retain: false,
            properties: Properties::default(),
        };
        if let Err(e) = shared.router.publish("", message) {
            tracing::error!(cause = %e.message, service = self.service, "not published");
        }
    }
}

impl crate::jobs::Publisher for ServicePublisher {
    fn publish(&self, topic: String, payload: Vec<u8>) {
        self.send(topic, payload)
    }
}

impl crate::shadows::Publisher for ServicePublisher {
    fn publish(&self, topic: String, payload: Vec<u8>) {
        self.send(topic, payload)
    }
}
