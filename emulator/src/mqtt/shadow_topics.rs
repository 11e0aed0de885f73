//! Device shadow requests on `$aws/things/<thing>/shadow/...`: handed to the shadow
//! service, whose replies and events this broker publishes as itself, so every subscriber
//! whose policy allows `iot:Receive` gets them and the rules engine sees them.

use std::sync::{Arc, Weak};

use bytes::Bytes;

use super::codec::{Properties, QoS};
use super::router::Message;
use super::{Broker, Shared};
use crate::shadows::{Publisher, ShadowRequest};

/// The broker as the shadow service's publisher. It holds the broker weakly: the broker
/// owns the emulator state that holds this.
#[derive(Debug)]
struct BrokerPublisher {
    shared: Weak<Shared>,
}

impl Publisher for BrokerPublisher {
    fn publish(&self, topic: String, payload: Vec<u8>) {
        let Some(shared) = self.shared.upgrade() else {
            return;
        };
        // A choice (spec §1.7): AWS's reply QoS is undocumented; QoS 1, so each
        // subscriber gets min(1, its granted QoS).
        let message = Message {
            topic,
            payload: Bytes::from(payload),
            qos: QoS::AtLeastOnce,
            retain: false,
            properties: Properties::default(),
        };
        if let Err(e) = (Broker { shared }).publish(message) {
            tracing::error!(cause = %e.message, "shadow message not published");
        }
    }
}

impl Broker {
    /// Makes this broker publish the shadow service's replies and events.
    pub fn install_shadow_publisher(&self) {
        let publisher = BrokerPublisher {
            shared: Arc::downgrade(&self.shared),
        };
        self.shared
            .emulator
            .shadows
            .install_publisher(Arc::new(publisher));
    }

    /// Answers a shadow request published on `request`'s topic (by a device, or over
    /// iot-data Publish).
    pub(super) fn answer_shadow(&self, request: &ShadowRequest, payload: &[u8]) {
        self.shared.emulator.shadows.request(request, payload);
    }
}
