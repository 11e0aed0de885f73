"""A whole device setup in cn-north-1 with boto3 and paho-mqtt, as field note 004 runs it.

usage: partition_cn.py API_URL MQTT_PORT ROOT_CA WORKDIR
Checks ARNs (arn:aws-cn:), the endpoint names (.amazonaws.com.cn) and a device that connects
by the Data-ATS name (resolved to 127.0.0.1 inside this process only) and is authorized by a
policy written with arn:aws-cn: resources. Prints one JSON object on stdout.
"""
import json
import socket
import sys
import threading

import boto3
import paho.mqtt.client as mqtt

api_url, mqtt_port, root_ca, workdir = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
REGION = "cn-north-1"
iot = boto3.client("iot", region_name=REGION, endpoint_url=api_url)
out = {}

endpoint = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
out["data_ats"] = endpoint
out["credentials"] = iot.describe_endpoint(endpointType="iot:CredentialProvider")["endpointAddress"]
out["thing_arn"] = iot.create_thing(thingName="cn-device")["thingArn"]
keys = iot.create_keys_and_certificate(setAsActive=True)
out["certificate_arn"] = keys["certificateArn"]
account = out["thing_arn"].split(":")[4]
prefix = f"arn:aws-cn:iot:{REGION}:{account}"
document = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": f"{prefix}:client/cn-device"},
        {"Effect": "Allow", "Action": ["iot:Publish", "iot:Receive"], "Resource": f"{prefix}:topic/cn/*"},
        {"Effect": "Allow", "Action": "iot:Subscribe", "Resource": f"{prefix}:topicfilter/cn/*"},
    ],
}
out["policy_arn"] = iot.create_policy(policyName="cn-policy", policyDocument=json.dumps(document))["policyArn"]
iot.attach_policy(policyName="cn-policy", target=keys["certificateArn"])
iot.attach_thing_principal(thingName="cn-device", principal=keys["certificateArn"])

cert_path, key_path = f"{workdir}/cn.crt", f"{workdir}/cn.key"
open(cert_path, "w").write(keys["certificatePem"])
open(key_path, "w").write(keys["keyPair"]["PrivateKey"])

# The endpoint name resolves to the emulator for this process only (no /etc/hosts change).
real_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    return real_getaddrinfo("127.0.0.1" if host == endpoint else host, *args, **kwargs)
socket.getaddrinfo = getaddrinfo

got, connected = threading.Event(), threading.Event()
client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="cn-device", protocol=mqtt.MQTTv5)
client.tls_set(ca_certs=root_ca, certfile=cert_path, keyfile=key_path)  # checks the SNI name
client.on_connect = lambda c, u, f, rc, p: (out.__setitem__("connack", str(rc)), connected.set())
client.on_message = lambda c, u, m: (out.__setitem__("received", m.payload.decode()), got.set())
subscribed = threading.Event()
client.on_subscribe = lambda *a: subscribed.set()
client.connect(endpoint, mqtt_port, keepalive=30)
client.loop_start()
connected.wait(15)
client.subscribe("cn/up", qos=1)
subscribed.wait(15)
client.publish("cn/up", b"hello from cn-north-1", qos=1).wait_for_publish(15)
got.wait(15)
client.disconnect()
client.loop_stop()
print(json.dumps(out))
