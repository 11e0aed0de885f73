"""Persistent sessions with the AWS IoT Device SDK v2 (awscrt): MQTT 3.1.1 with
cleanSession=False, or MQTT 5 with Clean Start never (REJOIN_ALWAYS) and a Session Expiry.

usage: broker_crt_session.py MODE HOST PORT CA CERT KEY CLIENT_ID TOPIC COUNT SUBSCRIBE
MODE: mqtt3 | mqtt5; COUNT: QoS 1 messages to wait for; SUBSCRIBE: 1 to subscribe to TOPIC
at QoS 1 after connecting, 0 to rely on the session's subscriptions.
Connects, reports sessionPresent, collects COUNT messages (up to 20 s), disconnects
cleanly. Prints one JSON object: {"session_present", "messages": [payload, ...]}.
"""
import json
import sys
import threading

from awscrt import mqtt, mqtt5
from awsiot import mqtt5_client_builder, mqtt_connection_builder

TIMEOUT = 20


class Inbox:
    def __init__(self, count):
        self.count, self.payloads = count, []
        self.lock, self.done = threading.Lock(), threading.Event()
        if count == 0:
            self.done.set()

    def add(self, payload):
        with self.lock:
            self.payloads.append(bytes(payload).decode())
            if len(self.payloads) >= self.count:
                self.done.set()


def run_mqtt3(host, port, ca, cert, key, client_id, topic, inbox, subscribe):
    conn = mqtt_connection_builder.mtls_from_path(
        endpoint=host, port=port, ca_filepath=ca, cert_filepath=cert, pri_key_filepath=key,
        client_id=client_id, clean_session=False, keep_alive_secs=60)
    conn.on_message(lambda topic, payload, **_kw: inbox.add(payload))
    present = conn.connect().result(TIMEOUT)["session_present"]
    if subscribe:
        future, _ = conn.subscribe(topic, mqtt.QoS.AT_LEAST_ONCE)
        future.result(TIMEOUT)
    inbox.done.wait(TIMEOUT)
    if inbox.count:
        # The client queues its PUBACKs behind the messages; a QoS 1 round trip of its own
        # sees them on the wire before DISCONNECT (its stop can overtake queued PUBACKs).
        future, _ = conn.publish(topic + "/sync", b"", mqtt.QoS.AT_LEAST_ONCE)
        future.result(TIMEOUT)
    conn.disconnect().result(TIMEOUT)
    return present


def run_mqtt5(host, port, ca, cert, key, client_id, topic, inbox, subscribe):
    connected, stopped, state = threading.Event(), threading.Event(), {}

    def on_success(data):
        state["present"] = data.connack_packet.session_present
        connected.set()

    def on_failure(data):
        state["error"] = str(data.exception)
        connected.set()

    client = mqtt5_client_builder.mtls_from_path(
        endpoint=host, port=port, ca_filepath=ca, cert_filepath=cert, pri_key_filepath=key,
        client_id=client_id, keep_alive_interval_sec=60,
        session_behavior=mqtt5.ClientSessionBehaviorType.REJOIN_ALWAYS,
        session_expiry_interval_sec=3600,
        on_publish_received=lambda data: inbox.add(data.publish_packet.payload),
        on_lifecycle_connection_success=on_success,
        on_lifecycle_connection_failure=on_failure,
        on_lifecycle_stopped=lambda _data: stopped.set())
    client.start()
    connected.wait(TIMEOUT)
    if "error" in state:
        client.stop()
        raise SystemExit(state["error"])
    if subscribe:
        sub = mqtt5.Subscription(topic_filter=topic, qos=mqtt5.QoS.AT_LEAST_ONCE)
        client.subscribe(mqtt5.SubscribePacket(subscriptions=[sub])).result(TIMEOUT)
    inbox.done.wait(TIMEOUT)
    if inbox.count:
        # As in run_mqtt3: PUBACKs out before DISCONNECT.
        sync = mqtt5.PublishPacket(topic=topic + "/sync", qos=mqtt5.QoS.AT_LEAST_ONCE)
        client.publish(sync).result(TIMEOUT)
    client.stop(mqtt5.DisconnectPacket())
    stopped.wait(TIMEOUT)
    return state["present"]


def main():
    mode, host, port, ca, cert, key, client_id, topic, count, subscribe = sys.argv[1:11]
    inbox = Inbox(int(count))
    run = {"mqtt3": run_mqtt3, "mqtt5": run_mqtt5}[mode]
    present = run(host, int(port), ca, cert, key, client_id, topic, inbox, subscribe == "1")
    with inbox.lock:
        print(json.dumps({"session_present": present, "messages": inbox.payloads}))


if __name__ == "__main__":
    main()
