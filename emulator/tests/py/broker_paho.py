"""Drives the emulator's broker with paho-mqtt (MQTT 5 or 3.1.1) over mutual TLS.

usage: broker_paho.py MODE PROTO HOST PORT CA CERT KEY CLIENT_ID [TOPIC]
MODE:  pubsub   connect, subscribe to paho/<id>/#, publish QoS 0 and 1, receive both
       refused  connect and report how it failed
       denied   connect, publish QoS 1 to TOPIC, report whether the broker cut us off
PROTO: 5 | 311
Prints one JSON object on stdout.
"""
import json
import sys
import threading

import paho.mqtt.client as mqtt

TIMEOUT = 15


def make_client(proto, ca, cert, key, client_id, state):
    version = mqtt.MQTTv5 if proto == "5" else mqtt.MQTTv311
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=version)
    client.tls_set(ca_certs=ca, certfile=cert, keyfile=key)

    def on_connect(c, userdata, flags, reason_code, properties):
        state["rc"] = str(reason_code)
        state["connected"] = not reason_code.is_failure
        state["connack"].set()

    def on_disconnect(c, userdata, flags, reason_code, properties):
        state["disconnect"] = str(reason_code)
        state["gone"].set()
        state["connack"].set()

    def on_message(c, userdata, msg):
        state["received"].append({"topic": msg.topic, "payload": msg.payload.decode(),
                                  "qos": msg.qos})
        if len(state["received"]) >= state["expect"]:
            state["got"].set()

    client.on_connect, client.on_disconnect, client.on_message = on_connect, on_disconnect, on_message
    return client


def new_state(expect=0):
    return {"connack": threading.Event(), "gone": threading.Event(), "got": threading.Event(),
            "received": [], "expect": expect, "connected": False}


def connect(client, host, port, state):
    try:
        client.connect(host, port, keepalive=30)
    except Exception as e:  # TLS or TCP failure
        return f"{type(e).__name__}: {e}"
    client.loop_start()
    state["connack"].wait(TIMEOUT)
    return None


def pubsub(proto, host, port, ca, cert, key, cid):
    state = new_state(expect=2)
    client = make_client(proto, ca, cert, key, cid, state)
    error = connect(client, host, port, state)
    if error or not state["connected"]:
        return {"connected": False, "error": error, "rc": state.get("rc")}
    client.subscribe(f"paho/{cid}/#", qos=1)
    # Wait for the SUBACK by a round trip of our own: the subscribe returns a mid.
    sub_done = threading.Event()
    client.on_subscribe = lambda *a: sub_done.set()
    sub_done.wait(TIMEOUT)
    client.publish(f"paho/{cid}/zero", b"q0", qos=0)
    client.publish(f"paho/{cid}/one", b"q1", qos=1).wait_for_publish(TIMEOUT)
    state["got"].wait(TIMEOUT)
    client.disconnect()
    client.loop_stop()
    received = sorted(state["received"], key=lambda m: m["topic"])
    return {"connected": True, "rc": state["rc"], "received": received}


def refused(proto, host, port, ca, cert, key, cid):
    state = new_state()
    client = make_client(proto, ca, cert, key, cid, state)
    error = connect(client, host, port, state)
    client.loop_stop()
    return {"connected": state["connected"], "error": error,
            "disconnect": state.get("disconnect")}


def denied(proto, host, port, ca, cert, key, cid, topic):
    state = new_state()
    client = make_client(proto, ca, cert, key, cid, state)
    error = connect(client, host, port, state)
    if error or not state["connected"]:
        return {"connected": False, "error": error, "rc": state.get("rc")}
    info = client.publish(topic, b"nope", qos=1)
    if proto == "311":
        cut = state["gone"].wait(TIMEOUT)
    else:
        # MQTT 5 answers with a PUBACK reason instead; a later round trip proves the
        # connection is still there.
        info.wait_for_publish(TIMEOUT)
        done = threading.Event()
        client.on_subscribe = lambda *a: done.set()
        client.subscribe("allowed/x", qos=0)
        done.wait(TIMEOUT)
        cut = state["gone"].is_set()
    client.loop_stop()
    return {"connected": True, "cut_off": cut, "disconnect": state.get("disconnect")}


def main():
    mode, proto, host, port, ca, cert, key, cid = sys.argv[1:9]
    args = (proto, host, int(port), ca, cert, key, cid)
    if mode == "pubsub":
        result = pubsub(*args)
    elif mode == "refused":
        result = refused(*args)
    else:
        result = denied(*args, sys.argv[9])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
