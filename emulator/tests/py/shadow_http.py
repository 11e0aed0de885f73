"""Device shadows over iot-data HTTP with boto3, while a device (AWS IoT Device SDK v2,
MQTT 5) listens on its delta and accepted topics: an HTTP update must reach it.

usage: shadow_http.py API_URL HOST PORT CA CERT KEY THING
Prints one JSON object: "calls" (each boto3 call's parsed body, or its error code,
HTTP status and message) and "received" (what the device got, topic and payload).
"""
import json
import sys
import threading

import boto3
from awscrt import mqtt5
from botocore.exceptions import ClientError
from awsiot import mqtt5_client_builder

TIMEOUT = 20


def device(host, port, ca, cert, key, thing, received, cond):
    connected = threading.Event()

    def on_publish(d):
        with cond:
            received.append({"topic": d.publish_packet.topic,
                             "payload": json.loads(bytes(d.publish_packet.payload).decode())})
            cond.notify_all()

    client = mqtt5_client_builder.mtls_from_path(
        endpoint=host, port=int(port), ca_filepath=ca, cert_filepath=cert, pri_key_filepath=key,
        client_id=thing, on_publish_received=on_publish,
        on_lifecycle_connection_success=lambda d: connected.set())
    client.start()
    if not connected.wait(TIMEOUT):
        raise RuntimeError("connect timed out")
    prefix = f"$aws/things/{thing}/shadow"
    subs = [mqtt5.Subscription(topic_filter=f"{prefix}/{t}", qos=mqtt5.QoS.AT_LEAST_ONCE)
            for t in ("update/delta", "update/accepted", "update/documents", "delete/accepted")]
    client.subscribe(mqtt5.SubscribePacket(subscriptions=subs)).result(TIMEOUT)
    return client


def attempt(fn, **kwargs):
    try:
        out = fn(**kwargs)
    except ClientError as e:
        return {"error": e.response["Error"]["Code"],
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                "message": e.response["Error"].get("Message")}
    out.pop("ResponseMetadata", None)
    if "payload" in out:
        return json.loads(out["payload"].read())
    return out


def main():
    api, host, port, ca, cert, key, thing = sys.argv[1:8]
    received, cond = [], threading.Condition()
    client = device(host, port, ca, cert, key, thing, received, cond)
    data = boto3.client("iot-data", endpoint_url=api, region_name="us-east-1")
    calls = {}
    calls["get_missing"] = attempt(data.get_thing_shadow, thingName=thing)
    update = {"state": {"desired": {"fan": "high", "temp": 21}}, "clientToken": "http-1"}
    calls["update"] = attempt(data.update_thing_shadow, thingName=thing, payload=json.dumps(update))
    with cond:
        got = cond.wait_for(lambda: any(r["topic"].endswith("/update/delta") for r in received), TIMEOUT)
    if not got:
        raise RuntimeError(f"the device got no delta: {received}")
    calls["get"] = attempt(data.get_thing_shadow, thingName=thing)
    calls["conflict"] = attempt(data.update_thing_shadow, thingName=thing,
                                payload=json.dumps({"state": {"reported": {"fan": "low"}}, "version": 7}))
    calls["bad_json"] = attempt(data.update_thing_shadow, thingName=thing, payload=b"{nope")
    calls["missing_state"] = attempt(data.update_thing_shadow, thingName=thing, payload=b"{}")
    calls["too_large"] = attempt(data.update_thing_shadow, thingName=thing,
                                 payload=json.dumps({"state": {"reported": {"x": "y" * 9000}}}))
    deep = {"state": {"desired": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}}
    calls["too_deep"] = attempt(data.update_thing_shadow, thingName=thing, payload=json.dumps(deep))
    calls["bad_name"] = attempt(data.get_thing_shadow, thingName=thing, shadowName="bad.name")
    for name in ("n3", "n1", "n2"):
        attempt(data.update_thing_shadow, thingName=thing, shadowName=name,
                payload=json.dumps({"state": {"reported": {"on": True}}}))
    first = attempt(data.list_named_shadows_for_thing, thingName=thing, pageSize=2)
    second = attempt(data.list_named_shadows_for_thing, thingName=thing, pageSize=2,
                     nextToken=first.get("nextToken"))
    calls["list_pages"] = [first["results"], "nextToken" in first, second["results"], "nextToken" in second]
    calls["list_unknown"] = attempt(data.list_named_shadows_for_thing, thingName="nobody-" + thing)
    calls["delete_named"] = attempt(data.delete_thing_shadow, thingName=thing, shadowName="n2")
    calls["get_named_deleted"] = attempt(data.get_thing_shadow, thingName=thing, shadowName="n2")
    calls["delete"] = attempt(data.delete_thing_shadow, thingName=thing)
    calls["delete_again"] = attempt(data.delete_thing_shadow, thingName=thing)
    with cond:
        cond.wait_for(lambda: any(r["topic"].endswith("/delete/accepted") for r in received), TIMEOUT)
    client.stop(mqtt5.DisconnectPacket())
    with cond:
        print(json.dumps({"calls": calls, "received": list(received)}))


if __name__ == "__main__":
    main()
