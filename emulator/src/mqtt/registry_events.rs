//! How the broker reacts to registry changes: it cuts off certificates that may no longer
//! connect, and publishes certificate registration events on their reserved topic.

use bytes::Bytes;
use serde_json::json;

use super::codec::{Properties, QoS};
use super::router::Message;
use super::Broker;
use crate::registry::RegistryEvent;

impl Broker {
    /// Acts on one committed registry change.
    pub fn on_registry_event(&self, event: RegistryEvent) {
        match event {
            RegistryEvent::CertificateUnusable { certificate_id } => {
                self.disconnect_certificate(&certificate_id);
            }
            RegistryEvent::CertificateRegistered {
                certificate_id,
                ca_certificate_id,
                registered_at_ms,
            } => self.publish_registered(&certificate_id, &ca_certificate_id, registered_at_ms),
        }
    }

    /// `$aws/events/certificates/registered/<caCertificateId>` with AWS's fields (QoS 0,
    /// not retained; AWS does not document either).
    fn publish_registered(&self, certificate_id: &str, ca_id: &str, registered_at_ms: i64) {
        let registry = &self.shared.emulator.registry;
        let payload = json!({
            "certificateId": certificate_id,
            "caCertificateId": ca_id,
            "timestamp": registry.clock().now_ms(),
            "certificateStatus": "PENDING_ACTIVATION",
            "awsAccountId": registry.account().account_id,
            "certificateRegistrationTimestamp": registered_at_ms.to_string(),
        });
        let message = Message {
            topic: format!("$aws/events/certificates/registered/{ca_id}"),
            payload: Bytes::from(payload.to_string()),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: Properties::default(),
        };
        if let Err(e) = self.shared.router.publish("", message) {
            tracing::warn!(%e, "registration event not published");
        }
    }
}
