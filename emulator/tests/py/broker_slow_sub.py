"""A slow QoS 1 subscriber (paho-mqtt, MQTT 3.1.1): subscribes, then on the first message
stops reading until a line arrives on stdin, and collects TOTAL messages.

usage: broker_slow_sub.py HOST PORT CA CERT KEY CLIENT_ID TOPIC TOTAL WAIT
Prints one JSON object: {"payloads": [...], "dups": n} once TOTAL messages arrived or
WAIT seconds passed after the go line.
"""
import json
import sys
import threading

import paho.mqtt.client as mqtt


def main():
    host, port, ca, cert, key, client_id, topic, total, wait = sys.argv[1:10]
    total = int(total)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=mqtt.MQTTv311, clean_session=True)
    client.tls_set(ca_certs=ca, certfile=cert, keyfile=key)
    out = {"payloads": [], "dups": 0}
    done, lock = threading.Event(), threading.Lock()

    def on_connect(c, _userdata, _flags, _reason, _props):
        c.subscribe(topic, qos=1)

    def on_message(_c, _userdata, msg):
        if not out["payloads"]:
            # Blocking here keeps paho from reading (and acknowledging) anything more.
            sys.stdin.readline()
        with lock:
            out["payloads"].append(msg.payload.decode())
            out["dups"] += int(msg.dup)
            if len(out["payloads"]) >= total:
                done.set()

    client.on_connect, client.on_message = on_connect, on_message
    client.connect(host, int(port), keepalive=600)
    client.loop_start()
    done.wait(float(wait))
    client.disconnect()
    client.loop_stop()
    with lock:
        print(json.dumps(out))


if __name__ == "__main__":
    main()
