"""Two regions against one emulator: boto3 clients in ap-northeast-1 and us-east-1, and
devices that reach each region by its SNI name.

usage: two_regions.py API_URL MQTT_PORT CREDENTIALS_PORT ROOT_CA WORKDIR
Each region gets a thing named "shared-name" (and ap-northeast-1 one more), a device
certificate with a policy allowing it to connect, and a role alias. A device certificate
then connects by each region's Data-ATS name (resolved to 127.0.0.1 inside this process
only) with a raw MQTT CONNECT: "connack:0" when accepted, "closed" when the broker closes
the connection unanswered, as AWS does for an unknown certificate. The credentials
provider is asked the same way by each region's credentials name. Prints one JSON object.
"""
import json
import socket
import ssl
import sys

import boto3
import botocore.exceptions
import requests

api_url, mqtt_port, creds_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
root_ca, workdir = sys.argv[4], sys.argv[5]
REGIONS = ["ap-northeast-1", "us-east-1"]
out = {}
names = {}

real_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    # Every AWS IoT name resolves to the emulator, for this process only.
    local = isinstance(host, str) and ".iot." in host and ".amazonaws.com" in host
    return real_getaddrinfo("127.0.0.1" if local else host, *args, **kwargs)
socket.getaddrinfo = getaddrinfo


def setup(region):
    iot = boto3.client("iot", region_name=region, endpoint_url=api_url)
    r = {}
    r["thing_arn"] = iot.create_thing(thingName="shared-name")["thingArn"]
    if region == "ap-northeast-1":
        iot.create_thing(thingName="only-in-tokyo")
    r["things"] = sorted(t["thingName"] for t in iot.list_things()["things"])
    r["described_arn"] = iot.describe_thing(thingName="shared-name")["thingArn"]
    r["data_ats"] = iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
    r["credentials"] = iot.describe_endpoint(endpointType="iot:CredentialProvider")["endpointAddress"]
    r["registration_code"] = iot.get_registration_code()["registrationCode"]
    keys = iot.create_keys_and_certificate(setAsActive=True)
    r["certificate_arn"] = keys["certificateArn"]
    account = r["thing_arn"].split(":")[4]
    prefix = f"arn:aws:iot:{region}:{account}"
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iot:Connect", "Resource": f"{prefix}:client/dev-*"},
            {"Effect": "Allow", "Action": "iot:AssumeRoleWithCertificate",
             "Resource": f"{prefix}:rolealias/device-role"},
        ],
    }
    r["policy_arn"] = iot.create_policy(policyName="dev", policyDocument=json.dumps(document))["policyArn"]
    iot.attach_policy(policyName="dev", target=keys["certificateArn"])
    r["role_alias_arn"] = iot.create_role_alias(
        roleAlias="device-role", roleArn=f"arn:aws:iam::{account}:role/device")["roleAliasArn"]
    cert, key = f"{workdir}/{region}.crt", f"{workdir}/{region}.key"
    open(cert, "w").write(keys["certificatePem"])
    open(key, "w").write(keys["keyPair"]["PrivateKey"])
    names[region] = (cert, key)
    return r


def mqtt_connect(host, cert, key, client_id):
    """A raw MQTT 3.1.1 CONNECT over TLS with SNI `host`: 'connack:<rc>' or 'closed'."""
    context = ssl.create_default_context(cafile=root_ca)  # checks the server name too
    context.load_cert_chain(cert, key)
    cid = client_id.encode()
    variable = b"\x00\x04MQTT\x04\x02\x00\x3c"
    payload = len(cid).to_bytes(2, "big") + cid
    body = variable + payload
    packet = b"\x10" + bytes([len(body)]) + body
    try:
        with socket.create_connection((host, mqtt_port)) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                tls.sendall(packet)
                reply = tls.recv(4)
    except (ssl.SSLError, ConnectionError):
        return "closed"
    if len(reply) == 4 and reply[0] == 0x20:
        return f"connack:{reply[3]}"
    return "closed" if not reply else f"unexpected:{reply.hex()}"


def credentials(host, cert, key):
    url = f"https://{host}:{creds_port}/role-aliases/device-role/credentials"
    try:
        response = requests.get(url, cert=(cert, key), verify=root_ca, timeout=30)
    except requests.exceptions.ConnectionError:
        return "closed"
    return response.status_code


for region in REGIONS:
    out[region] = setup(region)

# Each certificate against each region's names.
out["mqtt"], out["credentials"] = {}, {}
for cert_region in REGIONS:
    cert, key = names[cert_region]
    for region in REGIONS:
        label = f"{cert_region}@{region}"
        out["mqtt"][label] = mqtt_connect(out[region]["data_ats"], cert, key, f"dev-{cert_region}")
        out["credentials"][label] = credentials(out[region]["credentials"], cert, key)

# Another region's certificate ARN names nothing here.
try:
    boto3.client("iot", region_name="us-east-1", endpoint_url=api_url).attach_policy(
        policyName="dev", target=out["ap-northeast-1"]["certificate_arn"])
    out["cross_region_target"] = "accepted"
except botocore.exceptions.ClientError as e:
    out["cross_region_target"] = e.response["Error"]["Code"]

# A region name that is none is refused as AWS's signature check refuses it.
try:
    boto3.client("iot", region_name="xx-nowhere-1", endpoint_url=api_url).list_things()
    out["invalid_region"] = "accepted"
except botocore.exceptions.ClientError as e:
    out["invalid_region"] = [e.response["Error"]["Code"], e.response["Error"]["Message"]]

print(json.dumps(out))
