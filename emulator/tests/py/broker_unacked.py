"""A paho-mqtt MQTT 3.1.1 persistent-session subscriber that never acknowledges: it
subscribes at QoS 1, prints {"subscribed": true}, prints {"received": PAYLOAD} for the first
message without sending its PUBACK, and stays connected until the broker goes away.

usage: broker_unacked.py HOST PORT CA CERT KEY CLIENT_ID TOPIC
"""
import json
import sys
import threading

import paho.mqtt.client as mqtt


def say(obj):
    print(json.dumps(obj), flush=True)


def main():
    host, port, ca, cert, key, client_id, topic = sys.argv[1:8]
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=False,
        manual_ack=True,
    )
    client.tls_set(ca_certs=ca, certfile=cert, keyfile=key)
    gone = threading.Event()
    client.on_connect = lambda c, _u, _f, _r, _p: c.subscribe(topic, qos=1)
    client.on_subscribe = lambda _c, _u, _m, _r, _p: say({"subscribed": True})
    client.on_message = lambda _c, _u, msg: say({"received": msg.payload.decode()})
    client.on_disconnect = lambda _c, _u, _f, _r, _p: gone.set()
    client.connect(host, int(port), keepalive=60)
    client.loop_start()
    gone.wait(60)
    client.loop_stop()


if __name__ == "__main__":
    main()
