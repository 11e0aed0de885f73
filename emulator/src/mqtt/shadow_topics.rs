//! Device shadow requests on `$aws/things/<thing>/shadow/...`: handed to the shadow
//! service, whose replies and events this broker publishes as itself, so every subscriber
//! whose policy allows `iot:Receive` gets them and the rules engine sees them.

use super::service_publisher::ServicePublisher;
use super::Broker;
use crate::shadows::ShadowRequest;

impl Broker {
    /// Makes this broker publish the shadow service's replies and events.
    pub fn install_shadow_publisher(&self) {
        let publisher = ServicePublisher::new(self, "shadows");
        self.shared.emulator.shadows.install_publisher(publisher);
    }

    /// Answers a shadow request published on `request`'s topic (by a device, or over
    /// iot-data Publish).
    pub(super) fn answer_shadow(&self, request: &ShadowRequest, payload: &[u8]) {
        self.shared.emulator.shadows.request(request, payload);
    }
}
