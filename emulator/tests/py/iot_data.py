"""Drives iot-data over HTTP with boto3, watched by paho-mqtt MQTT 5 clients.

usage: iot_data.py MODE URL [HOST PORT CA CERT KEY]
MODE:  retained  publish retained messages, read them back, page through the list, clear
       publish   a paho subscriber receives an HTTP publish with its MQTT 5 properties
       delete    DeleteConnection: DISCONNECT 0x98, preventWillMessage, cleanSession
       errors    the error paths raise boto3's modeled exception classes
Prints "ok ..." lines and exits non-zero on the first failed check.
"""
import base64
import json
import sys
import threading
import time
import urllib.error
import urllib.request

import boto3
import paho.mqtt.client as mqtt
from botocore.config import Config
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes

TIMEOUT = 15
mode, url = sys.argv[1], sys.argv[2]
data = boto3.client("iot-data", endpoint_url=url, region_name="us-east-1")
raw = boto3.client("iot-data", endpoint_url=url, region_name="us-east-1",
                   config=Config(parameter_validation=False, retries={"max_attempts": 1}))
ex = data.exceptions


def ok(text):
    print("ok", text, flush=True)


def mqtt_args():
    host, port, ca, cert, key = sys.argv[3:8]
    return host, int(port), ca, cert, key


class Device:
    """A paho MQTT 5 client that records what it receives and how it was disconnected."""

    def __init__(self, client_id, will=None, persistent=False, v311=False):
        host, port, ca, cert, key = mqtt_args()
        self.received, self.got = [], threading.Condition()
        self.connected, self.gone = threading.Event(), threading.Event()
        self.subscribed = threading.Event()
        self.disconnect_reason = None
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                        protocol=mqtt.MQTTv311 if v311 else mqtt.MQTTv5)
        c.tls_set(ca_certs=ca, certfile=cert, keyfile=key)
        c.reconnect_delay_set(min_delay=120, max_delay=240)
        if will:
            c.will_set(will, payload=b"will of " + client_id.encode(), qos=1)
        c.on_connect = lambda *a: self.connected.set()
        c.on_subscribe = lambda *a: self.subscribed.set()
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        props = None
        if persistent:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 3600
        if v311:
            c.connect(host, port, keepalive=30)
        else:
            c.connect(host, port, keepalive=30, clean_start=not persistent, properties=props)
        c.loop_start()
        assert self.connected.wait(TIMEOUT), f"{client_id} did not connect"
        self.client = c

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.disconnect_reason = reason_code.value
        self.gone.set()
        client.disconnect()  # no automatic reconnect

    def _on_message(self, client, userdata, msg):
        with self.got:
            self.received.append(msg)
            self.got.notify_all()

    def subscribe(self, topic):
        self.subscribed.clear()
        self.client.subscribe(topic, qos=1)
        assert self.subscribed.wait(TIMEOUT), f"no SUBACK for {topic}"

    def wait_for(self, count):
        with self.got:
            assert self.got.wait_for(lambda: len(self.received) >= count, TIMEOUT), \
                f"received {len(self.received)} of {count}"
            return list(self.received)

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def retained():
    props = json.dumps([{"device": "alpha"}, {"count": "45"}])
    data.publish(topic="emu/retained/0", qos=1, retain=True, payload=b"\x00\x01binary",
                 userProperties=props)
    got = data.get_retained_message(topic="emu/retained/0")
    assert got["topic"] == "emu/retained/0", got
    assert got["payload"] == b"\x00\x01binary", got
    assert got["qos"] == 1, got
    assert isinstance(got["lastModifiedTime"], int) and got["lastModifiedTime"] > 10**12, got
    assert json.loads(got["userProperties"]) == [{"device": "alpha"}, {"count": "45"}], got
    ok("get_retained_message returns payload, qos, lastModifiedTime (ms), userProperties")
    for i in range(1, 5):
        data.publish(topic=f"emu/retained/{i}", retain=True, payload=f"m{i}".encode())
    data.publish(topic="emu/not-retained", payload=b"gone")
    pages = list(data.get_paginator("list_retained_messages")
                 .paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3, pages
    topics = [t for p in pages for t in p["retainedTopics"]]
    assert [t["topic"] for t in topics] == [f"emu/retained/{i}" for i in range(5)], topics
    assert topics[0]["payloadSize"] == 8 and topics[0]["qos"] == 1, topics[0]
    assert topics[1]["payloadSize"] == 2 and topics[1]["qos"] == 0, topics[1]
    assert all(isinstance(t["lastModifiedTime"], int) for t in topics), topics
    ok("list_retained_messages pages 5 topics as 2+2+1")
    data.publish(topic="emu/retained/0", retain=True, payload=b"")
    try:
        data.get_retained_message(topic="emu/retained/0")
        raise AssertionError("an empty retained publish did not clear the topic")
    except ex.ResourceNotFoundException:
        ok("an empty retained publish clears the retained message")
    left = data.list_retained_messages(maxResults=200)
    assert len(left["retainedTopics"]) == 4 and "nextToken" not in left, left


def publish():
    sub = Device("http-sub")
    sub.subscribe("emu/props")
    data.publish(topic="emu/props", qos=1, payload=b"hello over http",
                 userProperties=json.dumps([{"k1": "v1"}, {"k2": "v2"}]),
                 contentType="text/plain", responseTopic="emu/reply",
                 correlationData=base64.b64encode(b"corr-1").decode(),
                 payloadFormatIndicator="UTF8_DATA", messageExpiry=600)
    msg = sub.wait_for(1)[0]
    assert (msg.topic, msg.payload, msg.qos, msg.retain) == \
        ("emu/props", b"hello over http", 1, False), msg
    p = msg.properties
    assert p.UserProperty == [("k1", "v1"), ("k2", "v2")], p
    assert p.ContentType == "text/plain" and p.ResponseTopic == "emu/reply", p
    assert p.CorrelationData == b"corr-1" and p.PayloadFormatIndicator == 1, p
    assert 0 < p.MessageExpiryInterval <= 600, p
    ok("a paho MQTT 5 subscriber gets the HTTP publish with its properties")
    data.publish(topic="emu/later", retain=True, payload=b"kept",
                 userProperties=json.dumps([{"r": "1"}]))
    sub.subscribe("emu/later")
    msg = sub.wait_for(2)[1]
    assert (msg.topic, msg.payload, msg.retain) == ("emu/later", b"kept", True), msg
    assert msg.properties.UserProperty == [("r", "1")], msg.properties
    ok("a later exact subscriber gets the HTTP-retained message with RETAIN set")
    sub.close()


def gone(client_id):
    """Whether DeleteConnection finds neither connection nor session for `client_id`."""
    try:
        data.delete_connection(clientId=client_id)
        return False
    except ex.ResourceNotFoundException:
        return True


def wait_offline(client_id):
    """Polls until the broker has let go of the connection of `client_id`."""
    deadline = time.monotonic() + TIMEOUT
    while not gone(client_id):
        assert time.monotonic() < deadline, f"{client_id} is still connected"
        time.sleep(0.05)


def delete():
    watcher = Device("watcher")
    watcher.subscribe("emu/will/#")
    quiet = Device("quiet", will="emu/will/quiet")
    loud = Device("loud", will="emu/will/loud")
    data.delete_connection(clientId="quiet", preventWillMessage=True)
    assert quiet.gone.wait(TIMEOUT) and quiet.disconnect_reason == 0x98, quiet.disconnect_reason
    ok("delete_connection: paho gets DISCONNECT 0x98")
    wait_offline("quiet")
    data.delete_connection(clientId="loud")
    assert loud.gone.wait(TIMEOUT) and loud.disconnect_reason == 0x98, loud.disconnect_reason
    wills = [m.topic for m in watcher.wait_for(1)]
    assert wills == ["emu/will/loud"], wills
    ok("the Will is published, except with preventWillMessage")
    wait_offline("loud")
    ok("a disconnected clean-session client is ResourceNotFoundException")
    kept = Device("kept", persistent=True)
    kept.subscribe("emu/queued")
    data.delete_connection(clientId="kept")
    assert kept.gone.wait(TIMEOUT)
    wait_offline("kept")
    data.delete_connection(clientId="kept", cleanSession=True)
    assert gone("kept"), "the offline session survived cleanSession=true"
    ok("cleanSession=true ends an offline persistent session")
    ended = Device("ended", persistent=True)
    data.delete_connection(clientId="ended", cleanSession=True)
    assert ended.gone.wait(TIMEOUT) and ended.disconnect_reason == 0x98
    wait_offline("ended")
    try:
        data.delete_connection(clientId="ended", cleanSession=True)
        raise AssertionError("the persistent session outlived cleanSession=true")
    except ex.ResourceNotFoundException:
        ok("cleanSession=true on a live connection ends its persistent session")
    old = Device("old", v311=True)
    data.delete_connection(clientId="old")
    assert old.gone.wait(TIMEOUT), "the MQTT 3.1.1 client was not disconnected"
    wait_offline("old")
    ok("an MQTT 3.1.1 paho client is disconnected")
    watcher.close()


def expect(exception, call, **kwargs):
    try:
        call(**kwargs)
    except exception as e:
        assert e.response["Error"]["Message"], "empty message"
        retries = e.response["ResponseMetadata"].get("RetryAttempts", 0)
        assert retries == 0, f"retried {retries} times"
        ok(f"{call.__name__} -> {e.response['Error']['Code']}: {e.response['Error']['Message']}")
        return
    raise AssertionError(f"{call.__name__}({kwargs}) did not raise {exception.__name__}")


def errors():
    expect(ex.ResourceNotFoundException, data.get_retained_message, topic="no/such/topic")
    expect(ex.ResourceNotFoundException, data.delete_connection, clientId="nobody")
    expect(ex.InvalidRequestException, data.delete_connection, clientId="$reserved")
    expect(ex.InvalidRequestException, raw.publish, topic="a/+/c", payload=b"x")
    expect(ex.InvalidRequestException, raw.publish, topic="a", qos=2, payload=b"x")
    expect(ex.InvalidRequestException, raw.publish, topic="a/b/c/d/e/f/g/h/i", payload=b"x")
    expect(ex.InvalidRequestException, raw.publish, topic="$aws/things/t/shadow/update",
           retain=True, payload=b"{}")
    expect(ex.InvalidRequestException, raw.publish, topic="a", payload=b"\xff",
           payloadFormatIndicator="UTF8_DATA")
    expect(ex.InvalidRequestException, raw.publish, topic="a", payload=b"x",
           correlationData="not base64!")
    expect(ex.InvalidRequestException, raw.publish, topic="a", payload=b"x",
           responseTopic="reply/#")
    expect(ex.ForbiddenException, raw.publish, topic="$aws/certificates/create/json",
           payload=b"{}")
    expect(ex.InvalidRequestException, raw.list_retained_messages, maxResults=500)
    expect(ex.InvalidRequestException, raw.list_retained_messages, nextToken="%%%")
    expect(ex.RequestEntityTooLargeException, raw.publish, topic="big",
           payload=b"x" * (128 * 1024 + 1))
    # Signed for the name AWS documents for DeleteConnection, as a hand-made request.
    scope = "AKIDEXAMPLE/20260101/us-east-1/iotdevicegateway/aws4_request"
    auth = f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=00"
    status, headers, _ = http("DELETE", "/connections/nobody", {"Authorization": auth})
    assert status == 404, status
    assert headers["x-amzn-ErrorType"].startswith("ResourceNotFoundException"), headers
    ok("an iotdevicegateway-signed DeleteConnection is routed to iot-data")
    # Unsigned, with raw slashes in the topic, as AWS's curl examples publish.
    status, _, _ = http("POST", "/topics/raw/slash/topic?qos=1&retain=true", {}, b"curl")
    assert status == 200, status
    assert data.get_retained_message(topic="raw/slash/topic")["payload"] == b"curl"
    ok("an unsigned publish with a raw multi-level topic path works")


def http(method, path, headers, body=None):
    request = urllib.request.Request(url + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


{"retained": retained, "publish": publish, "delete": delete, "errors": errors}[mode]()
print("done")
