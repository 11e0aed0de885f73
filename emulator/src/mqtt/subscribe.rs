//! SUBSCRIBE and UNSUBSCRIBE on a connection: each filter checked (syntax, quota,
//! `iot:Subscribe`), stored in the router, answered with SUBACK/UNSUBACK, then the
//! retained messages the new subscriptions match.

use tokio::io::{AsyncRead, AsyncWrite};

use super::codec::{
    Packet, PropertyId, QoS, ReasonCode, RetainHandling, SubAckPacket, SubAckReasonCode,
    SubscribePacket, TopicFilter, UnsubAckPacket, UnsubAckReasonCode, UnsubscribePacket, V5,
};
use super::connection::Connection;
use super::dispatch::{send, Exit, Step};
use super::limits::MAX_FILTERS_PER_SUBSCRIBE;
use super::router::{Delivery, SubOptions, SubscribeError};
use super::session::Session;
use super::topic;

fn granted(qos: QoS) -> SubAckReasonCode {
    match qos {
        QoS::AtMostOnce => SubAckReasonCode::GrantedQoS0,
        _ => SubAckReasonCode::GrantedQoS1,
    }
}

impl Session {
    pub(super) async fn on_subscribe<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
        subscribe: SubscribePacket,
    ) -> Step {
        if subscribe
            .properties
            .contains(PropertyId::SubscriptionIdentifier)
        {
            return Err(Exit::Server(
                ReasonCode::SubscriptionIdentifiersNotSupported,
            ));
        }
        self.authorize_subscribe(&subscribe)?;
        let mut retained = Vec::new();
        let mut ack = SubAckPacket::new(subscribe.packet_id);
        ack.protocol_version = self.version;
        let mut topics = Vec::new();
        for (index, requested) in subscribe.filters.iter().enumerate() {
            let code = self.subscribe_one(index, requested, &mut retained);
            if matches!(
                code,
                SubAckReasonCode::GrantedQoS0 | SubAckReasonCode::GrantedQoS1
            ) {
                topics.push(requested.filter.clone());
            }
            ack.reason_codes.push(code);
        }
        send(conn, &Packet::SubAck(ack)).await?;
        self.announce_subscriptions("subscribed", &topics);
        for delivery in retained {
            self.deliver(conn, delivery).await?;
        }
        Ok(())
    }

    fn subscribe_one(
        &self,
        index: usize,
        requested: &TopicFilter,
        retained: &mut Vec<Delivery>,
    ) -> SubAckReasonCode {
        let v5 = self.version == V5;
        let failure = |v5_code| {
            if v5 {
                v5_code
            } else {
                SubAckReasonCode::UnspecifiedError
            }
        };
        if index >= MAX_FILTERS_PER_SUBSCRIBE {
            return failure(SubAckReasonCode::QuotaExceeded);
        }
        let Ok(filter) = topic::parse_filter(&requested.filter) else {
            return failure(SubAckReasonCode::TopicFilterInvalid);
        };
        if !self.may_subscribe(&requested.filter) {
            return failure(SubAckReasonCode::NotAuthorized);
        }
        // AWS grants at most QoS 1 (a QoS 2 request is granted QoS 1).
        let qos = match requested.options.qos {
            QoS::AtMostOnce => QoS::AtMostOnce,
            _ => QoS::AtLeastOnce,
        };
        let options = SubOptions {
            qos,
            no_local: requested.options.no_local,
        };
        let router = &self.broker.shared.router;
        match router.subscribe(&self.client_id, &requested.filter, filter, options) {
            Ok(found) => {
                if requested.options.retain_handling != RetainHandling::DoNotSend {
                    retained.extend(found);
                }
                granted(qos)
            }
            Err(SubscribeError::QuotaExceeded) => failure(SubAckReasonCode::QuotaExceeded),
            Err(SubscribeError::NotConnected) => failure(SubAckReasonCode::UnspecifiedError),
        }
    }

    pub(super) async fn on_unsubscribe<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
        unsubscribe: UnsubscribePacket,
    ) -> Step {
        let mut ack = UnsubAckPacket::new(unsubscribe.packet_id);
        ack.protocol_version = self.version;
        let router = &self.broker.shared.router;
        let mut topics = Vec::new();
        for raw in &unsubscribe.filters {
            let code = if topic::parse_filter(raw).is_err() {
                UnsubAckReasonCode::TopicFilterInvalid
            } else if router.unsubscribe(&self.client_id, raw) {
                topics.push(raw.clone());
                UnsubAckReasonCode::Success
            } else {
                UnsubAckReasonCode::NoSubscriptionExisted
            };
            ack.reason_codes.push(code);
        }
        send(conn, &Packet::UnsubAck(ack)).await?;
        self.announce_subscriptions("unsubscribed", &topics);
        Ok(())
    }
}
