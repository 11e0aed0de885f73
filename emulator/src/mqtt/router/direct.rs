//! What the router sends to one connection rather than to subscribers: reserved-topic
//! replies to the requester, and control (disconnects) of connected clients.

use super::*;

impl Router {
    /// Sends a reserved-topic reply to one connection only, if it is still connected and
    /// subscribed (unshared) to a filter matching the reply topic; `false` otherwise.
    pub fn reply_to(&self, client_id: &str, conn_id: u64, message: Message) -> bool {
        self.reply(client_id, conn_id, message, false)
    }

    /// Sends a jobs reply to one connection only, subscribed or not (AWS delivers jobs
    /// `/accepted` and `/rejected` to the requester alone; shadow-jobs-rules §0.4), at
    /// the QoS of a matching subscription or else the message's; `false` if gone.
    pub fn reply_direct(&self, client_id: &str, conn_id: u64, message: Message) -> bool {
        self.reply(client_id, conn_id, message, true)
    }

    fn reply(&self, client_id: &str, conn_id: u64, message: Message, unsubscribed: bool) -> bool {
        let state = self.lock();
        let Some(client) = state.clients.get(client_id) else {
            return false;
        };
        let Some(handle) = client.handle.as_ref().filter(|h| h.conn_id == conn_id) else {
            return false;
        };
        let subscribed = client
            .session
            .subscriptions
            .values()
            .filter(|(f, _)| f.share.is_none() && topic::matches(&f.pattern, &message.topic))
            .map(|(_, o)| o.qos)
            .reduce(max_qos);
        let qos = match (subscribed, unsubscribed) {
            (Some(qos), _) => qos,
            (None, true) => message.qos,
            (None, false) => return false,
        };
        let qos = min_qos(message.qos, qos);
        let delivery = Delivery::new(Arc::new(message), qos, None, self.now_ms());
        handle.deliveries.try_send(delivery).is_ok()
    }

    /// Asks every connection authenticated with `certificate_id` to close.
    pub fn disconnect_certificate(&self, certificate_id: &str, reason: ReasonCode) -> usize {
        let state = self.lock();
        let handles = state.clients.values().filter_map(|c| c.handle.as_ref());
        handles
            .filter(|h| h.principal_id == certificate_id)
            .filter(|h| h.control.send(Control::Disconnect(reason)).is_ok())
            .count()
    }

    /// Sends `control` to the connection of `client_id`; `false` if it is not connected.
    pub fn control_client(&self, client_id: &str, control: Control) -> bool {
        let state = self.lock();
        let handle = state.clients.get(client_id).and_then(|c| c.handle.as_ref());
        handle.is_some_and(|h| h.control.send(control).is_ok())
    }

    /// Asks the connection of `client_id` to close; `false` if it is not connected.
    pub fn disconnect_client(&self, client_id: &str, reason: ReasonCode) -> bool {
        self.control_client(client_id, Control::Disconnect(reason))
    }
}
