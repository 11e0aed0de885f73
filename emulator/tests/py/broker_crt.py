"""Drives the emulator's broker with the AWS IoT Device SDK v2 (awscrt) and Python ssl.

usage: broker_crt.py MODE HOST PORT CA CERT KEY CLIENT_ID [alpn]
MODE: mqtt5 | mqtt3 | refused5 | refused3 | raw
Prints one JSON object on stdout describing what happened.
"""
import json
import socket
import ssl
import struct
import sys
import threading

import awscrt.io
from awscrt import mqtt, mqtt5
from awsiot import mqtt5_client_builder, mqtt_connection_builder

TIMEOUT = 20


def force_alpn():
    """The SDK offers ALPN x-amzn-mqtt-ca only on port 443; offer it on any port."""
    original = awscrt.io.ClientTlsContext

    def with_alpn(options):
        options.alpn_list = ["x-amzn-mqtt-ca"]
        return original(options)

    awscrt.io.ClientTlsContext = with_alpn


def mqtt5_client(host, port, ca, cert, key, client_id, events, received):
    def on_success(data):
        events["connack"] = data.connack_packet
        events["connected"].set()

    def on_failure(data):
        events["error"] = str(data.exception)
        events["failed"].set()

    def on_publish(data):
        packet = data.publish_packet
        received.append({"topic": packet.topic, "payload": bytes(packet.payload).decode()})
        events["received"].set()

    return mqtt5_client_builder.mtls_from_path(
        endpoint=host, port=port, ca_filepath=ca, cert_filepath=cert, pri_key_filepath=key,
        client_id=client_id, keep_alive_interval_sec=10,
        on_publish_received=on_publish,
        on_lifecycle_connection_success=on_success,
        on_lifecycle_connection_failure=on_failure)


def connack_json(c):
    return {
        "reason_code": int(c.reason_code),
        "session_present": c.session_present,
        "receive_maximum": c.receive_maximum,
        "maximum_qos": None if c.maximum_qos is None else int(c.maximum_qos),
        "retain_available": c.retain_available,
        "maximum_packet_size": c.maximum_packet_size,
        "topic_alias_maximum": c.topic_alias_maximum,
        "wildcard_subscriptions_available": c.wildcard_subscriptions_available,
        "subscription_identifiers_available": c.subscription_identifiers_available,
        "shared_subscription_available": c.shared_subscription_available,
        "server_keep_alive": c.server_keep_alive,
        "assigned_client_identifier": c.assigned_client_identifier,
    }


def new_events():
    return {"connected": threading.Event(), "failed": threading.Event(),
            "received": threading.Event()}


def run_mqtt5(host, port, ca, cert, key, client_id):
    events, received = new_events(), []
    client = mqtt5_client(host, port, ca, cert, key, client_id, events, received)
    client.start()
    if not events["connected"].wait(TIMEOUT):
        client.stop()
        return {"connected": False, "error": events.get("error")}
    topics = [f"crt/{client_id}/data", f"$aws/things/{client_id}/shadow/update"]
    subs = [mqtt5.Subscription(topic_filter=t, qos=mqtt5.QoS.AT_LEAST_ONCE) for t in topics]
    suback = client.subscribe(mqtt5.SubscribePacket(subscriptions=subs)).result(TIMEOUT)
    pubacks = []
    for t in topics:
        events["received"].clear()
        packet = mqtt5.PublishPacket(topic=t, payload=b"from-" + t.encode(), qos=mqtt5.QoS.AT_LEAST_ONCE)
        puback = client.publish(packet).result(TIMEOUT).puback
        pubacks.append(int(puback.reason_code))
        events["received"].wait(TIMEOUT)
    client.stop(mqtt5.DisconnectPacket())
    return {"connected": True, "connack": connack_json(events["connack"]),
            "suback": [int(c) for c in suback.reason_codes], "puback": pubacks,
            "received": received}


def run_mqtt3(host, port, ca, cert, key, client_id):
    received, got = [], threading.Event()
    conn = mqtt_connection_builder.mtls_from_path(
        endpoint=host, port=port, ca_filepath=ca, cert_filepath=cert, pri_key_filepath=key,
        client_id=client_id, clean_session=True, keep_alive_secs=30)
    try:
        conn.connect().result(TIMEOUT)
    except Exception as e:  # the refusal tests expect this
        return {"connected": False, "error": type(e).__name__ + ": " + str(e)}

    def on_message(topic, payload, **_kw):
        received.append({"topic": topic, "payload": payload.decode()})
        got.set()

    topics = [f"crt/{client_id}/data", f"$aws/things/{client_id}/shadow/get"]
    granted = []
    for t in topics:
        future, _ = conn.subscribe(t, mqtt.QoS.AT_LEAST_ONCE, callback=on_message)
        granted.append(int(future.result(TIMEOUT)["qos"]))
    for t in topics:
        got.clear()
        future, _ = conn.publish(t, b"from-" + t.encode(), mqtt.QoS.AT_LEAST_ONCE)
        future.result(TIMEOUT)
        got.wait(TIMEOUT)
    conn.disconnect().result(TIMEOUT)
    return {"connected": True, "granted": granted, "received": received}


def run_refused5(host, port, ca, cert, key, client_id):
    events, received = new_events(), []
    client = mqtt5_client(host, port, ca, cert, key, client_id, events, received)
    client.start()
    failed = events["failed"].wait(TIMEOUT)
    client.stop()
    return {"connected": events["connected"].is_set(), "failed": failed,
            "error": events.get("error")}


def mqtt_string(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def raw_v5_connect(client_id):
    body = mqtt_string("MQTT") + bytes([5, 0x02]) + struct.pack("!H", 60) + b"\x00"
    body += mqtt_string(client_id)
    return bytes([0x10, len(body)]) + body


def read_packet(sock):
    head = sock.recv(1)
    if not head:
        return None
    length, shift = 0, 0
    while True:
        byte = sock.recv(1)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            break
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            break
        body += chunk
    return head[0], body


def run_raw(host, port, ca, cert, key, client_id):
    """Python ssl with ALPN: the negotiated protocol, then a QoS 2 PUBLISH."""
    ctx = ssl.create_default_context(cafile=ca)
    ctx.load_cert_chain(cert, key)
    ctx.set_alpn_protocols(["x-amzn-mqtt-ca"])
    with socket.create_connection((host, port), timeout=TIMEOUT) as tcp:
        with ctx.wrap_socket(tcp, server_hostname=host) as tls:
            alpn = tls.selected_alpn_protocol()
            tls.sendall(raw_v5_connect(client_id))
            connack = read_packet(tls)
            publish = mqtt_string("t/q2") + struct.pack("!H", 1) + b"\x00" + b"x"
            tls.sendall(bytes([0x34, len(publish)]) + publish)
            reply = read_packet(tls)
    return {"alpn": alpn, "connack_type": connack[0] >> 4, "connack_reason": connack[1][1],
            "reply_type": reply[0] >> 4 if reply else None,
            "reply_reason": reply[1][0] if reply and reply[1] else None}


def main():
    mode, host, port, ca, cert, key, client_id = sys.argv[1:8]
    if "alpn" in sys.argv[8:]:
        force_alpn()
    runners = {"mqtt5": run_mqtt5, "mqtt3": run_mqtt3, "refused5": run_refused5,
               "refused3": run_mqtt3, "raw": run_raw}
    print(json.dumps(runners[mode](host, int(port), ca, cert, key, client_id)))


if __name__ == "__main__":
    main()
