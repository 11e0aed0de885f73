"""A JITP device with the AWS IoT Device SDK v2 MQTT 5 client: it connects with a
certificate from a private CA, lets the client's automatic reconnect ride over the first
hang-up, then publishes once.

usage: jitp_device.py HOST PORT CA CERT KEY CLIENT_ID TOPIC
Prints {"failures": [...], "connected": bool, "puback": reason}.
"""
import json
import sys
import threading

from awscrt import mqtt5
from awsiot import mqtt5_client_builder

TIMEOUT = 30


def main():
    host, port, ca, cert, key, client_id, topic = sys.argv[1:8]
    failures, connected = [], threading.Event()
    client = mqtt5_client_builder.mtls_from_path(
        endpoint=host, port=int(port), ca_filepath=ca, cert_filepath=cert,
        pri_key_filepath=key, client_id=client_id, keep_alive_interval_sec=30,
        min_reconnect_delay_ms=200, max_reconnect_delay_ms=1000,
        on_lifecycle_connection_failure=lambda d: failures.append(str(d.exception)),
        on_lifecycle_connection_success=lambda d: connected.set())
    client.start()
    result = {"connected": connected.wait(TIMEOUT), "failures": failures}
    if result["connected"]:
        puback = client.publish(mqtt5.PublishPacket(
            topic=topic, payload=b"hello", qos=mqtt5.QoS.AT_LEAST_ONCE)).result(TIMEOUT)
        result["puback"] = int(puback.puback.reason_code)
    client.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
