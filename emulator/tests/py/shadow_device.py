"""A device using the AWS IoT Device SDK v2's shadow client (IotShadowClientV2) over
the MQTT 5 client or the MQTT 3.1.1 connection: get (404), update desired and receive
the delta, report and see the delta cleared, the same for a named shadow, delete, and
re-create (the version carries on). Every payload the device received is recorded raw.

usage: shadow_device.py MODE HOST PORT CA CERT KEY THING
MODE: mqtt5 | mqtt3
Prints one JSON object: "steps" (what each SDK call returned, modeled) and "received"
(every publish, topic and parsed payload, in arrival order). Client tokens (fresh UUIDs
the SDK makes) are checked to be echoed, then replaced by "<token>".
"""
import json
import sys
import threading

from awscrt import mqtt, mqtt5, mqtt_request_response
from awsiot import V2ServiceException, iotshadow, mqtt5_client_builder, mqtt_connection_builder

TIMEOUT = 20
NAMED = "lamp"


class Recorder:
    def __init__(self):
        self.lock = threading.Condition()
        self.received = []

    def add(self, topic, payload):
        with self.lock:
            self.received.append({"topic": topic, "payload": json.loads(bytes(payload).decode())})
            self.lock.notify_all()

    def wait_for(self, topic, count=1):
        with self.lock:
            ok = self.lock.wait_for(lambda: len(self.of(topic)) >= count, TIMEOUT)
        if not ok:
            raise RuntimeError(f"nothing on {topic}: {self.received}")

    def of(self, topic):
        return [r["payload"] for r in self.received if r["topic"] == topic]


def connect(mode, host, port, ca, cert, key, client_id, recorder):
    if mode == "mqtt5":
        connected = threading.Event()
        client = mqtt5_client_builder.mtls_from_path(
            endpoint=host, port=port, ca_filepath=ca, cert_filepath=cert, pri_key_filepath=key,
            client_id=client_id,
            on_publish_received=lambda d: recorder.add(d.publish_packet.topic, d.publish_packet.payload),
            on_lifecycle_connection_success=lambda d: connected.set())
        client.start()
        if not connected.wait(TIMEOUT):
            raise RuntimeError("MQTT 5 connect timed out")
        return client, lambda: client.stop(mqtt5.DisconnectPacket())
    conn = mqtt_connection_builder.mtls_from_path(
        endpoint=host, port=port, ca_filepath=ca, cert_filepath=cert, pri_key_filepath=key,
        client_id=client_id, clean_session=True, keep_alive_secs=30)
    conn.on_message(lambda topic, payload, **kw: recorder.add(topic, payload))
    conn.connect().result(TIMEOUT)
    return conn, lambda: conn.disconnect().result(TIMEOUT)


def stream(open_fn, request, event_class_name, events):
    established = threading.Event()

    def on_status(event):
        if event.type == mqtt_request_response.SubscriptionStatusEventType.SUBSCRIPTION_ESTABLISHED:
            established.set()

    from awsiot import ServiceStreamOptions
    options = ServiceStreamOptions(
        incoming_event_listener=lambda e: events.append((event_class_name, e)),
        subscription_status_listener=on_status)
    operation = open_fn(request, options)
    operation.open()
    if not established.wait(TIMEOUT):
        raise RuntimeError(f"{event_class_name} stream not established")
    return operation


def forge(mode, client, topic):
    payload = json.dumps({"forged": True, "state": {"x": 1}, "version": 99})
    if mode == "mqtt5":
        packet = mqtt5.PublishPacket(topic=topic, payload=payload.encode(), qos=mqtt5.QoS.AT_LEAST_ONCE)
        client.publish(packet).result(TIMEOUT)
    else:
        future, _ = client.publish(topic, payload.encode(), mqtt.QoS.AT_LEAST_ONCE)
        future.result(TIMEOUT)


def call(future):
    """The modeled response as a dict, or the modeled error."""
    try:
        response = future.result(TIMEOUT)
    except V2ServiceException as e:
        err = e.modeled_error
        if err is None:
            return {"exception": e.message, "inner": str(e.inner_error)}
        return {"error": {"code": err.code, "message": err.message,
                          "has_timestamp": err.timestamp is not None,
                          "token_echoed": isinstance(err.client_token, str)}}
    out = {}
    for field in ("state", "metadata", "version"):
        value = getattr(response, field, None)
        if value is not None:
            out[field] = value if not hasattr(value, "__slots__") else {
                k: getattr(value, k) for k in ("desired", "reported", "delta") if getattr(value, k, None) is not None}
    out["has_timestamp"] = getattr(response, "timestamp", None) is not None
    out["token_echoed"] = isinstance(getattr(response, "client_token", None), str)
    return out


def scrub_tokens(received):
    for r in received:
        token = r["payload"].get("clientToken")
        if token is not None:
            assert isinstance(token, str) and len(token) == 36, token
            r["payload"]["clientToken"] = "<token>"
    return received


def main():
    mode, host, port, ca, cert, key, thing = sys.argv[1:8]
    recorder = Recorder()
    client, stop = connect(mode, host, int(port), ca, cert, key, thing, recorder)
    options = mqtt_request_response.ClientOptions(
        max_request_response_subscriptions=4, max_streaming_subscriptions=4,
        operation_timeout_in_seconds=TIMEOUT)
    shadow = iotshadow.IotShadowClientV2(client, options)
    events = []
    streams = [
        stream(shadow.create_shadow_delta_updated_stream,
               iotshadow.ShadowDeltaUpdatedSubscriptionRequest(thing_name=thing), "delta", events),
        stream(shadow.create_shadow_updated_stream,
               iotshadow.ShadowUpdatedSubscriptionRequest(thing_name=thing), "documents", events),
        stream(shadow.create_named_shadow_delta_updated_stream,
               iotshadow.NamedShadowDeltaUpdatedSubscriptionRequest(thing_name=thing, shadow_name=NAMED),
               "named_delta", events),
    ]
    prefix = f"$aws/things/{thing}/shadow"
    named = f"{prefix}/name/{NAMED}"
    steps = {}
    # Nobody may forge the service's messages: this one is dropped by the broker.
    forge(mode, client, f"{prefix}/update/delta")
    steps["get_missing"] = call(shadow.get_shadow(iotshadow.GetShadowRequest(thing_name=thing)))
    desired = {"color": "red", "lights": {"on": True, "level": 3}}
    steps["update_desired"] = call(shadow.update_shadow(iotshadow.UpdateShadowRequest(
        thing_name=thing, state=iotshadow.ShadowState(desired=desired))))
    recorder.wait_for(f"{prefix}/update/delta")
    steps["report"] = call(shadow.update_shadow(iotshadow.UpdateShadowRequest(
        thing_name=thing, state=iotshadow.ShadowState(reported=desired), version=1)))
    recorder.wait_for(f"{prefix}/update/documents", 2)
    steps["get_in_sync"] = call(shadow.get_shadow(iotshadow.GetShadowRequest(thing_name=thing)))
    steps["stale_version"] = call(shadow.update_shadow(iotshadow.UpdateShadowRequest(
        thing_name=thing, state=iotshadow.ShadowState(reported={"color": "blue"}), version=1)))
    steps["named_update"] = call(shadow.update_named_shadow(iotshadow.UpdateNamedShadowRequest(
        thing_name=thing, shadow_name=NAMED, state=iotshadow.ShadowState(desired={"on": True}))))
    recorder.wait_for(f"{named}/update/delta")
    steps["named_report"] = call(shadow.update_named_shadow(iotshadow.UpdateNamedShadowRequest(
        thing_name=thing, shadow_name=NAMED, state=iotshadow.ShadowState(reported={"on": True}))))
    steps["named_get"] = call(shadow.get_named_shadow(iotshadow.GetNamedShadowRequest(
        thing_name=thing, shadow_name=NAMED)))
    steps["named_delete"] = call(shadow.delete_named_shadow(iotshadow.DeleteNamedShadowRequest(
        thing_name=thing, shadow_name=NAMED)))
    steps["named_get_deleted"] = call(shadow.get_named_shadow(iotshadow.GetNamedShadowRequest(
        thing_name=thing, shadow_name=NAMED)))
    steps["clear_desired"] = call(shadow.update_shadow(iotshadow.UpdateShadowRequest(
        thing_name=thing, state=iotshadow.ShadowState(desired=None, desired_is_nullable=True))))
    steps["delete"] = call(shadow.delete_shadow(iotshadow.DeleteShadowRequest(thing_name=thing)))
    steps["get_deleted"] = call(shadow.get_shadow(iotshadow.GetShadowRequest(thing_name=thing)))
    steps["recreate"] = call(shadow.update_shadow(iotshadow.UpdateShadowRequest(
        thing_name=thing, state=iotshadow.ShadowState(reported={"color": "green"}))))
    recorder.wait_for(f"{prefix}/update/documents", 4)
    modeled = [{"stream": name,
                "version": e.current.version if name == "documents" else e.version,
                "state": None if name == "documents" else e.state}
               for name, e in events]
    del streams
    stop()
    with recorder.lock:
        received = scrub_tokens(list(recorder.received))
    print(json.dumps({"steps": steps, "received": received, "stream_events": modeled}))


if __name__ == "__main__":
    main()
