"""Drives the emulator's broker with the AWS IoT Device SDK v2 MQTT 5 client under an IoT
policy that allows only `dev/<client id>/*`.

usage: broker_policy.py MODE HOST PORT CA CERT KEY CLIENT_ID
MODE: scoped  (subscribe/publish inside and outside the policy)
      refused (a client id the policy does not allow to connect)
Prints one JSON object on stdout describing what happened.
"""
import json
import sys
import threading

from awscrt import mqtt5
from awsiot import mqtt5_client_builder

TIMEOUT = 20


def client(host, port, ca, cert, key, client_id, state):
    def on_success(data):
        state["connack"] = int(data.connack_packet.reason_code)
        state["connected"].set()

    def on_failure(data):
        packet = data.connack_packet
        state["connack"] = None if packet is None else int(packet.reason_code)
        state["failed"].set()

    def on_publish(data):
        packet = data.publish_packet
        state["received"].append(packet.topic)
        state["got"].set()

    return mqtt5_client_builder.mtls_from_path(
        endpoint=host, port=port, ca_filepath=ca, cert_filepath=cert, pri_key_filepath=key,
        client_id=client_id, on_publish_received=on_publish,
        on_lifecycle_connection_success=on_success,
        on_lifecycle_connection_failure=on_failure)


def new_state():
    return {"connected": threading.Event(), "failed": threading.Event(),
            "got": threading.Event(), "received": []}


def run_scoped(c, state, client_id):
    allowed, denied = f"dev/{client_id}/in", "other/in"
    subs = [mqtt5.Subscription(topic_filter=t, qos=mqtt5.QoS.AT_LEAST_ONCE)
            for t in (allowed, denied)]
    suback = c.subscribe(mqtt5.SubscribePacket(subscriptions=subs)).result(TIMEOUT)
    pubacks = []
    for topic in (denied, allowed):
        packet = mqtt5.PublishPacket(topic=topic, payload=b"x", qos=mqtt5.QoS.AT_LEAST_ONCE)
        pubacks.append(int(c.publish(packet).result(TIMEOUT).puback.reason_code))
    state["got"].wait(TIMEOUT)
    return {"suback": [int(code) for code in suback.reason_codes], "puback": pubacks,
            "received": state["received"]}


def main():
    mode, host, port, ca, cert, key, client_id = sys.argv[1:8]
    state = new_state()
    c = client(host, int(port), ca, cert, key, client_id, state)
    c.start()
    out = {}
    if mode == "scoped" and state["connected"].wait(TIMEOUT):
        out = run_scoped(c, state, client_id)
    elif mode == "refused":
        state["failed"].wait(TIMEOUT)
    c.stop()
    out.update({"connected": state["connected"].is_set(), "connack": state.get("connack")})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
