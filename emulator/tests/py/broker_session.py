"""Connects with paho-mqtt (MQTT 3.1.1 or 5), optionally persistent, subscribes at QoS 1,
collects messages, and reports the CONNACK session-present flag.

usage: broker_session.py HOST PORT CA CERT KEY CLIENT_ID VERSION CLEAN EXPIRY TOPIC COUNT WAIT
VERSION: 3 | 5; CLEAN: 1 for a clean session / clean start, 0 to resume;
EXPIRY: MQTT 5 Session Expiry Interval (ignored for 3); COUNT: messages to wait for
(0: disconnect once subscribed); WAIT: seconds to wait for them.
Prints one JSON object: {"session_present", "subscribed", "messages": [...]}.
"""
import json
import sys
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


def main():
    host, port, ca, cert, key, client_id, version, clean, expiry, topic, count, wait = sys.argv[1:13]
    v5 = version == "5"
    count = int(count)
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        clean_session=None if v5 else clean == "1",
    )
    client.tls_set(ca_certs=ca, certfile=cert, keyfile=key)
    out = {"session_present": None, "subscribed": False, "messages": []}
    subscribed, done, lock = threading.Event(), threading.Event(), threading.Lock()

    def on_connect(c, _userdata, flags, _reason, _props):
        out["session_present"] = bool(flags.session_present)
        c.subscribe(topic, qos=1)

    def on_subscribe(_c, _userdata, _mid, _reasons, _props):
        out["subscribed"] = True
        subscribed.set()

    def on_message(_c, _userdata, msg):
        with lock:
            out["messages"].append(
                {"topic": msg.topic, "payload": msg.payload.decode(), "qos": msg.qos,
                 "retain": bool(msg.retain)}
            )
            if len(out["messages"]) >= count:
                done.set()

    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    kwargs = {"keepalive": 60}
    if v5:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = int(expiry)
        kwargs.update(clean_start=clean == "1", properties=props)
    client.connect(host, int(port), **kwargs)
    client.loop_start()
    subscribed.wait(15)
    if count > 0:
        done.wait(float(wait))
    client.disconnect()
    client.loop_stop()
    with lock:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
