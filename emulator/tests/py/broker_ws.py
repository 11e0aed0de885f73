"""MQTT over WebSockets with SigV4, driven by the AWS IoT Device SDK v2 (awscrt).

usage: broker_ws.py MODE HOST PORT CA REGION CLIENT_ID
MODE: mqtt3 (mqtt_connection_builder) | mqtt5 (mqtt5_client_builder, with a session token)
Static credentials with any key. Prints one JSON object on stdout describing what happened.
"""
import json
import sys
import threading

import awscrt.auth
from awscrt import mqtt, mqtt5
from awsiot import mqtt5_client_builder, mqtt_connection_builder

TIMEOUT = 20


def credentials(token=None):
    return awscrt.auth.AwsCredentialsProvider.new_static(
        "AKIAANYKEY0000000000", "any-secret", session_token=token)


def run_mqtt3(host, port, ca, region, client_id):
    conn = mqtt_connection_builder.websockets_with_default_aws_signing(
        region=region, credentials_provider=credentials(), endpoint=host, port=port,
        ca_filepath=ca, client_id=client_id, clean_session=True, keep_alive_secs=30)
    try:
        conn.connect().result(TIMEOUT)
    except Exception as e:
        return {"connected": False, "error": type(e).__name__ + ": " + str(e)}
    received, events, got, got_event = [], [], threading.Event(), threading.Event()
    ruled, got_rule = [], threading.Event()

    def on_rule(topic, payload, **_kw):
        ruled.append(json.loads(payload))
        got_rule.set()

    def on_message(topic, payload, **_kw):
        received.append({"topic": topic, "payload": payload.decode()})
        got.set()

    def on_event(topic, payload, **_kw):
        events.append(json.loads(payload))
        got_event.set()

    event_topic = f"$aws/events/subscriptions/subscribed/{client_id}"
    future, _ = conn.subscribe(event_topic, mqtt.QoS.AT_LEAST_ONCE, callback=on_event)
    future.result(TIMEOUT)
    # A topic rule republishes principal() and clientid() of ws/+/data here.
    future, _ = conn.subscribe(f"ws-principal/{client_id}", mqtt.QoS.AT_LEAST_ONCE,
                               callback=on_rule)
    future.result(TIMEOUT)
    topic = f"ws/{client_id}/data"
    future, _ = conn.subscribe(topic, mqtt.QoS.AT_LEAST_ONCE, callback=on_message)
    granted = int(future.result(TIMEOUT)["qos"])
    future, _ = conn.publish(topic, b"over-websockets", mqtt.QoS.AT_LEAST_ONCE)
    future.result(TIMEOUT)
    got.wait(TIMEOUT)
    got_event.wait(TIMEOUT)
    got_rule.wait(TIMEOUT)
    conn.disconnect().result(TIMEOUT)
    principals = sorted({e.get("principalIdentifier") for e in events})
    return {"connected": True, "granted": granted, "received": received,
            "event_principals": principals, "rule": ruled}


def run_mqtt5(host, port, ca, region, client_id):
    connected, failed, got = threading.Event(), threading.Event(), threading.Event()
    state = {"received": []}

    def on_publish(data):
        p = data.publish_packet
        state["received"].append({"topic": p.topic, "payload": bytes(p.payload).decode()})
        got.set()

    def on_failure(data):
        state["error"] = str(data.exception)
        failed.set()

    client = mqtt5_client_builder.websockets_with_default_aws_signing(
        region=region, credentials_provider=credentials("a-session-token"), endpoint=host,
        port=port, ca_filepath=ca, client_id=client_id, on_publish_received=on_publish,
        on_lifecycle_connection_success=lambda _d: connected.set(),
        on_lifecycle_connection_failure=on_failure)
    client.start()
    if not connected.wait(TIMEOUT):
        client.stop()
        return {"connected": False, "error": state.get("error")}
    topic = f"ws5/{client_id}/data"
    sub = mqtt5.SubscribePacket(subscriptions=[mqtt5.Subscription(
        topic_filter=topic, qos=mqtt5.QoS.AT_LEAST_ONCE)])
    suback = client.subscribe(sub).result(TIMEOUT)
    pub = mqtt5.PublishPacket(topic=topic, payload=b"over-websockets-5",
                              qos=mqtt5.QoS.AT_LEAST_ONCE)
    puback = client.publish(pub).result(TIMEOUT).puback
    got.wait(TIMEOUT)
    client.stop()
    return {"connected": True, "suback": [int(c) for c in suback.reason_codes],
            "puback": int(puback.reason_code), "received": state["received"]}


def main():
    mode, host, port, ca, region, client_id = sys.argv[1:7]
    run = {"mqtt3": run_mqtt3, "mqtt5": run_mqtt5}[mode]
    print(json.dumps(run(host, int(port), ca, region, client_id)))


if __name__ == "__main__":
    main()
