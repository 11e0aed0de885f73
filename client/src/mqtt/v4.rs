//! MQTT 3.1.1 through rumqttc: one connection attempt and the event-loop driver.

use std::sync::Arc;

use rumqttc::{
    AsyncClient, ConnectionError, Event as REvent, EventLoop, MqttOptions, Outgoing, Packet,
    StateError, SubscribeReasonCode, TlsConfiguration, Transport,
};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use super::{describe_io, Attempt, Event, Failure, Handle, Message, MqttConfig, Qos, MAX_PACKET};

pub(super) fn qos(q: Qos) -> rumqttc::QoS {
    match q {
        Qos::AtMostOnce => rumqttc::QoS::AtMostOnce,
        Qos::AtLeastOnce => rumqttc::QoS::AtLeastOnce,
    }
}

/// Connects once and waits for a successful CONNACK.
pub(super) async fn attempt(config: &MqttConfig, tls: Arc<rustls::ClientConfig>) -> Attempt {
    let mut options = MqttOptions::new(&config.client_id, &config.endpoint, config.port);
    options
        .set_transport(Transport::Tls(TlsConfiguration::Rustls(tls)))
        .set_keep_alive(config.keep_alive)
        .set_clean_session(true)
        .set_max_packet_size(MAX_PACKET as usize, MAX_PACKET as usize);
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    let network = crate::net::no_delay(eventloop.network_options());
    eventloop.set_network_options(network);
    tokio::time::timeout(config.timeout, connack(&mut eventloop))
        .await
        .map_err(|_| Failure::retry("no CONNACK in time".into()))??;
    let (tx, rx) = unbounded_channel();
    let driver = tokio::spawn(drive(eventloop, tx));
    Ok((Handle::V4(client), rx, driver))
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
            topic: p.topic,
            payload: p.payload.to_vec(),
        })),
        REvent::Incoming(Packet::SubAck(ack)) => Some(Event::SubAck {
            refused: ack
                .return_codes
                .iter()
                .any(|c| matches!(c, SubscribeReasonCode::Failure))
                .then(|| "return code 0x80".to_string()),
        }),
        REvent::Incoming(Packet::UnsubAck(_)) => Some(Event::UnsubAck),
        REvent::Incoming(Packet::PubAck(_)) => Some(Event::PubAck { refused: None }),
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
