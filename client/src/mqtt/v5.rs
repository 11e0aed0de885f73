//! MQTT 5 through rumqttc: one connection attempt and the event-loop driver.

use std::sync::Arc;

use rumqttc::v5::mqttbytes::v5::{Packet, PubAckReason, SubscribeReasonCode};
use rumqttc::v5::{
    AsyncClient, ConnectionError, Event as REvent, EventLoop, MqttOptions, StateError,
};
use rumqttc::{Outgoing, TlsConfiguration, Transport};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use super::{describe_io, Attempt, Event, Failure, Handle, Message, MqttConfig, Qos, MAX_PACKET};

pub(super) fn qos(q: Qos) -> rumqttc::v5::mqttbytes::QoS {
    match q {
        Qos::AtMostOnce => rumqttc::v5::mqttbytes::QoS::AtMostOnce,
        Qos::AtLeastOnce => rumqttc::v5::mqttbytes::QoS::AtLeastOnce,
    }
}

/// Connects once and waits for a successful CONNACK.
pub(super) async fn attempt(config: &MqttConfig, tls: Arc<rustls::ClientConfig>) -> Attempt {
    let mut options = MqttOptions::new(&config.client_id, &config.endpoint, config.port);
    options
        .set_transport(Transport::Tls(TlsConfiguration::Rustls(tls)))
        .set_keep_alive(config.keep_alive)
        .set_clean_start(true)
        .set_max_packet_size(Some(MAX_PACKET));
    options.set_network_options(crate::net::no_delay(options.network_options()));
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    tokio::time::timeout(config.timeout, connack(&mut eventloop))
        .await
        .map_err(|_| Failure::retry("no CONNACK in time".into()))??;
    let (tx, rx) = unbounded_channel();
    let driver = tokio::spawn(drive(eventloop, tx));
    Ok((Handle::V5(client), rx, driver))
}

async fn connack(eventloop: &mut EventLoop) -> Result<(), Failure> {
    loop {
        match eventloop.poll().await {
            Ok(REvent::Incoming(Packet::ConnAck(_))) => return Ok(()),
            Ok(_) => continue,
            Err(e) => {
                return Err(Failure {
                    refused: matches!(e, ConnectionError::ConnectionRefused(_)),
                    reason: describe(&e),
                })
            }
        }
    }
}

async fn drive(mut eventloop: EventLoop, tx: UnboundedSender<Event>) {
    loop {
        let event = match eventloop.poll().await {
            Ok(event) => translate(event),
            Err(e) => {
                let _ = tx.send(Event::Lost(describe(&e)));
                return;
            }
        };
        if let Some(event) = event {
            if tx.send(event).is_err() {
                return;
            }
        }
    }
}

fn translate(event: REvent) -> Option<Event> {
    match event {
        REvent::Incoming(Packet::Publish(p)) => Some(Event::Message(Message {
            topic: String::from_utf8_lossy(&p.topic).into_owned(),
            payload: p.payload.to_vec(),
        })),
        REvent::Incoming(Packet::SubAck(ack)) => Some(Event::SubAck {
            refused: ack
                .return_codes
                .iter()
                .find(|c| !matches!(c, SubscribeReasonCode::Success(_)))
                .map(|c| format!("{c:?}")),
        }),
        REvent::Incoming(Packet::UnsubAck(_)) => Some(Event::UnsubAck),
        REvent::Incoming(Packet::PubAck(ack)) => Some(Event::PubAck {
            refused: match ack.reason {
                PubAckReason::Success | PubAckReason::NoMatchingSubscribers => None,
                other => Some(format!("{other:?}")),
            },
        }),
        REvent::Outgoing(Outgoing::Disconnect) => Some(Event::DisconnectSent),
        _ => None,
    }
}

fn describe(error: &ConnectionError) -> String {
    match error {
        ConnectionError::Io(io) | ConnectionError::MqttState(StateError::Io(io)) => describe_io(io),
        ConnectionError::MqttState(StateError::ConnectionAborted) => {
            "the server closed the connection".into()
        }
        ConnectionError::ConnectionRefused(code) => format!("CONNACK refused: {code:?}"),
        other => other.to_string(),
    }
}
