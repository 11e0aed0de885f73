//! Policy enforcement in the broker (spec A.2, A.7): `iot:Connect` (and the Will's
//! `iot:Publish`) at CONNECT, `iot:Publish`/`iot:RetainPublish` per PUBLISH,
//! `iot:Subscribe` per filter, `iot:Receive` per delivery. Every check sees the current
//! registry (a connection reuses what it read until the registry changes), so policy
//! changes apply to the next packet.
//!
//! IAM principals (MQTT over WebSockets, SigV4) are allowed every action without an IoT
//! policy check. Our choice: AWS evaluates the signer's IAM policy there, the emulator has
//! no IAM policy engine, and every caller it knows is the account's root user, whom IAM
//! allows everything; iot-data over HTTP is treated the same way.
//!
//! What a denied client sees: MQTT 3.1.1 connections are closed (no CONNACK, SUBACK or
//! PUBACK). MQTT 5 gets CONNACK 0x87, SUBACK 0x87 for the filter, PUBACK 0x87 at QoS 1;
//! a denied QoS 0 PUBLISH is dropped (AWS's behaviour there is unconfirmed). A denied
//! delivery is skipped and the subscription stays.

use tokio::io::{AsyncRead, AsyncWrite};

use super::auth::Principal as Authenticated;
use super::codec::{
    ConnectPacket, Packet, PubAckPacket, PublishPacket, QoS, ReasonCode, SubscribePacket, V5,
};
use super::connection::Connection;
use super::dispatch::Exit;
use super::session::Session;
use super::Broker;
use crate::policy::{self, Principal};

pub const CONNECT: &str = "iot:Connect";
pub const PUBLISH: &str = "iot:Publish";
pub const RETAIN_PUBLISH: &str = "iot:RetainPublish";
pub const SUBSCRIBE: &str = "iot:Subscribe";
pub const RECEIVE: &str = "iot:Receive";

/// Whether `action` on `<kind>/<name>` is allowed for this certificate and client id.
fn allowed(
    broker: &Broker,
    principal: &Principal<'_>,
    action: &str,
    kind: &str,
    name: &str,
) -> bool {
    let registry = &broker.shared.emulator.registry;
    let resource = registry.account().arn(kind, name);
    policy::authorize(registry, principal, action, &resource)
}

/// The CONNECT check: `iot:Connect` on `client/<clientId>`, and for a Will `iot:Publish`
/// (plus `iot:RetainPublish` when retained) on its topic, with the connect-time keys
/// `iot:ConnectAttributes` and `iot:LastWillTopic`. `Err` carries the MQTT 5 reason.
///
/// An empty client id is checked as `client/` (AWS's handling of it is not recorded).
pub fn connect(
    broker: &Broker,
    connect: &ConnectPacket,
    who: &Authenticated,
) -> Result<(), ReasonCode> {
    if who.iam_user_id.is_some() {
        return Ok(());
    }
    let extra = connect_keys(broker, connect);
    let principal = Principal {
        extra: &extra,
        ..Principal::mqtt(&who.certificate_id, &connect.client_id, &who.certificate)
    };
    let mut ok = allowed(broker, &principal, CONNECT, "client", &connect.client_id);
    if let Some(will) = connect.will.as_ref().filter(|_| ok) {
        ok = allowed(broker, &principal, PUBLISH, "topic", &will.topic)
            && (!will.retain || allowed(broker, &principal, RETAIN_PUBLISH, "topic", &will.topic));
    }
    if ok {
        Ok(())
    } else {
        tracing::info!(client_id = %connect.client_id, "CONNECT not authorized by policy");
        Err(ReasonCode::NotAuthorized)
    }
}

/// `iot:ConnectAttributes` (`PersistentConnect`, `LastWill`) and `iot:LastWillTopic`.
fn connect_keys(broker: &Broker, connect: &ConnectPacket) -> Vec<(String, Vec<String>)> {
    let persistent = if connect.protocol_version == V5 {
        connect
            .properties
            .get_session_expiry_interval()
            .is_some_and(|s| s > 0)
    } else {
        !connect.clean_start
    };
    let mut attributes = Vec::new();
    if persistent {
        attributes.push("PersistentConnect".to_string());
    }
    let mut keys = Vec::new();
    if let Some(will) = &connect.will {
        attributes.push("LastWill".to_string());
        let arn = broker
            .shared
            .emulator
            .registry
            .account()
            .arn("topic", &will.topic);
        keys.push(("iot:LastWillTopic".to_string(), vec![arn]));
    }
    keys.push(("iot:ConnectAttributes".to_string(), attributes));
    keys
}

impl Session {
    fn policy_principal(&self) -> Principal<'_> {
        Principal::mqtt(
            &self.principal.certificate_id,
            &self.client_id,
            &self.principal.certificate,
        )
    }

    /// Like [`allowed`], through this connection's cache: the registry is read again
    /// only after a change to it, so a detach or a new default version applies to the
    /// next packet all the same.
    fn allows(&self, action: &str, kind: &str, name: &str) -> bool {
        if self.principal.iam_user_id.is_some() {
            return true;
        }
        let registry = &self.broker.shared.emulator.registry;
        let resource = registry.account().arn(kind, name);
        let principal = self.policy_principal();
        policy::authorize_cached(registry, &self.authorization, &principal, action, &resource)
    }

    /// `iot:Receive` on the delivered message's topic.
    pub fn may_receive(&self, topic: &str) -> bool {
        self.allows(RECEIVE, "topic", topic)
    }

    /// `iot:Subscribe` on the filter exactly as sent (`+`, `#`, `$share/…` included).
    pub fn may_subscribe(&self, filter: &str) -> bool {
        self.allows(SUBSCRIBE, "topicfilter", filter)
    }

    /// MQTT 3.1.1: a SUBSCRIBE with any filter the policy denies closes the connection.
    pub fn authorize_subscribe(&self, subscribe: &SubscribePacket) -> Result<(), Exit> {
        if self.version == V5 {
            return Ok(());
        }
        match subscribe
            .filters
            .iter()
            .all(|f| self.may_subscribe(&f.filter))
        {
            true => Ok(()),
            false => Err(Exit::Server(ReasonCode::NotAuthorized)),
        }
    }

    /// The PUBLISH check (`iot:Publish`, and `iot:RetainPublish` for RETAIN). `Ok(true)`
    /// routes the message; `Ok(false)` refuses it (see [`Session::refuse_publish`]); an
    /// MQTT 3.1.1 connection is closed.
    pub fn authorize_publish(&self, topic: &str, publish: &PublishPacket) -> Result<bool, Exit> {
        let ok = self.allows(PUBLISH, "topic", topic)
            && (!publish.retain || self.allows(RETAIN_PUBLISH, "topic", topic));
        if ok {
            return Ok(true);
        }
        tracing::info!(client_id = %self.client_id, topic, "PUBLISH not authorized by policy");
        match self.version {
            V5 => Ok(false),
            _ => Err(Exit::Server(ReasonCode::NotAuthorized)),
        }
    }

    /// Answers a refused MQTT 5 PUBLISH: PUBACK 0x87 for QoS 1 (after the PUBACKs of the
    /// packets before it), nothing for QoS 0.
    pub async fn refuse_publish<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        conn: &mut Connection<S>,
        publish: &PublishPacket,
    ) -> Result<(), Exit> {
        if let (QoS::AtLeastOnce, Some(id)) = (publish.qos, publish.packet_id) {
            self.settle(conn).await?;
            let ack = PubAckPacket::new_with_reason(id, ReasonCode::NotAuthorized);
            super::dispatch::send(conn, &Packet::PubAck(ack)).await?;
        }
        Ok(())
    }
}
