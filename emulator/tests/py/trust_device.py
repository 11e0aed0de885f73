"""Device code written for AWS, run unmodified after `iot-emulator trust --hosts`: the
AWS IoT Device SDK v2 connects to the Data-ATS endpoint name on port 443 and, like the
field notes' scripts (which pass `ca_filepat=`, a typo the SDK ignores), trusts the
system store. It also fetches credentials from the credentials endpoint name on 443
with awscrt's X.509 provider, which hard-codes that port, and runs a job to SUCCEEDED with
boto3 `iot-jobs-data` at the name DescribeEndpoint returns for `iot:Jobs`, on 443 (boto3
verifies against its own bundle unless told otherwise, so it is given the system store's).

With `expect-untrusted` it checks instead that a TLS handshake with either name fails
certificate verification against the system store (the jobs name too; Python's ssl: awscrt's s2n delays its
failures by 10 to 30 s to blind timing attacks).

usage: trust_device.py API_URL DATA_ENDPOINT CREDENTIALS_ENDPOINT WORK_DIR expect-ok|expect-untrusted
Prints one line per step; exits non-zero when the outcome is not the expected one.
"""
import json
import socket
import ssl
import sys
import threading

import boto3
from awscrt import auth, io
from awsiot import mqtt5_client_builder
from awscrt import mqtt5

api, endpoint, cred_endpoint, work, expect = sys.argv[1:6]
TIMEOUT = 20
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def make_device():
    """A certificate with a policy that allows everything, a thing and a role alias."""
    iot = boto3.client("iot", endpoint_url=api)
    cert = iot.create_keys_and_certificate(setAsActive=True)
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iot:*"], "Resource": "*"}]})
    iot.create_policy(policyName="trust-all", policyDocument=doc)
    iot.attach_policy(policyName="trust-all", target=cert["certificateArn"])
    iot.create_thing(thingName="trust-thing")
    iot.attach_thing_principal(thingName="trust-thing", principal=cert["certificateArn"])
    iot.create_role_alias(roleAlias="trust-alias",
                          roleArn="arn:aws:iam::123456789012:role/trust-role")
    paths = {"cert": f"{work}/device.pem.crt", "key": f"{work}/private.pem.key"}
    for name, field in (("cert", "certificatePem"), ("key", "keyPair")):
        text = cert[field] if name == "cert" else cert[field]["PrivateKey"]
        with open(paths[name], "w") as f:
            f.write(text)
    return paths


def connect(paths):
    connected, failed, got = threading.Event(), threading.Event(), threading.Event()
    outcome = {}
    client = mqtt5_client_builder.mtls_from_path(
        endpoint=endpoint, port=443, cert_filepath=paths["cert"], pri_key_filepath=paths["key"],
        ca_filepat=f"{work}/AmazonRootCA1.pem",  # the field notes' typo: ignored by the SDK
        client_id="trust-thing",
        on_lifecycle_connection_success=lambda d: connected.set(),
        on_lifecycle_connection_failure=lambda d: (outcome.update(error=str(d.exception)),
                                                   failed.set()),
        on_publish_received=lambda d: got.set())
    client.start()
    for _ in range(TIMEOUT * 10):
        if connected.wait(0.1) or failed.is_set():
            break
    ok = connected.is_set()
    if ok:
        client.subscribe(mqtt5.SubscribePacket(subscriptions=[
            mqtt5.Subscription(topic_filter="trust/t", qos=mqtt5.QoS.AT_LEAST_ONCE)])).result(TIMEOUT)
        client.publish(mqtt5.PublishPacket(topic="trust/t", payload=b"hi",
                                           qos=mqtt5.QoS.AT_LEAST_ONCE)).result(TIMEOUT)
        ok = got.wait(TIMEOUT)
    client.stop()
    return ok, outcome.get("error")


def credentials(paths):
    opts = io.TlsContextOptions.create_client_with_mtls_from_path(paths["cert"], paths["key"])
    provider = auth.AwsCredentialsProvider.new_x509(
        endpoint=cred_endpoint, thing_name="trust-thing", role_alias="trust-alias",
        tls_ctx=io.ClientTlsContext(opts))
    try:
        creds = provider.get_credentials().result(TIMEOUT)
        return creds.access_key_id is not None, None
    except Exception as e:  # the outcome is reported, not raised
        return False, str(e)


def untrusted(name):
    """Whether the handshake fails verification against the system store."""
    context = ssl.create_default_context()
    try:
        with socket.create_connection((name, 443), timeout=TIMEOUT) as sock:
            with context.wrap_socket(sock, server_hostname=name):
                return False, "handshake succeeded"
    except ssl.SSLCertVerificationError as e:
        return True, e.verify_message


def jobs_endpoint():
    return boto3.client("iot", endpoint_url=api).describe_endpoint(
        endpointType="iot:Jobs")["endpointAddress"]


def run_job():
    """boto3 iot-jobs-data, at the iot:Jobs endpoint name, runs a job to SUCCEEDED."""
    iot = boto3.client("iot", endpoint_url=api)
    host = jobs_endpoint()
    arn = iot.describe_thing(thingName="trust-thing")["thingArn"]
    iot.create_job(jobId="trust-job", targets=[arn], document='{"step": "reboot"}')
    data = boto3.client("iot-jobs-data", endpoint_url=f"https://{host}", verify=SYSTEM_BUNDLE)
    started = data.start_next_pending_job_execution(thingName="trust-thing")["execution"]
    data.update_job_execution(thingName="trust-thing", jobId=started["jobId"], status="SUCCEEDED")
    got = iot.describe_job_execution(jobId="trust-job", thingName="trust-thing")["execution"]
    return host, got["status"]


if expect == "expect-untrusted":
    names = (endpoint, cred_endpoint, jobs_endpoint())
    results = [(name, *untrusted(name)) for name in names]
    for name, ok, why in results:
        print(f"{name}:443 untrusted: {'yes' if ok else 'no'} ({why})")
    sys.exit(0 if all(ok for _, ok, _ in results) else 1)
paths = make_device()
ok_mqtt, why_mqtt = connect(paths)
print(f"mqtt {endpoint}:443 via the system trust store: {'ok' if ok_mqtt else 'failed'} {why_mqtt or ''}")
ok_creds, why_creds = credentials(paths)
print(f"credentials {cred_endpoint}:443: {'ok' if ok_creds else 'failed'} {why_creds or ''}")
jobs_host, jobs_status = run_job()
print(f"jobs {jobs_status} over https://{jobs_host}")
sys.exit(0 if ok_mqtt and ok_creds and jobs_status == "SUCCEEDED" else 1)
