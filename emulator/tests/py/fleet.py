"""Drives fleet provisioning against the emulator with the AWS IoT Device SDK v2.

usage: fleet.py COMMAND OPTIONS_JSON
COMMAND:
  provision  claim connect -> CreateKeysAndCertificate or CreateCertificateFromCsr ->
             RegisterThing through awsiot.iotidentity.IotIdentityClientV2 (over the MQTT 5
             client or the MQTT 3.1.1 connection), then optionally reconnect with the new
             certificate as the thing.
  cbor       the same flow on the CBOR topics with a plain MQTT 5 client (the SDK's
             identity client speaks JSON only): Create* then RegisterThing, CBOR both ways,
             then optionally the same reconnect.
  raw        publish one payload (hex) on a reserved topic with a plain MQTT 5 client,
             print the reply from /accepted or /rejected (JSON or CBOR decoded); an
             optional observer with another certificate subscribes to the same replies.
Prints one JSON object on stdout.
"""
import json
import os
import queue
import sys
import threading
from concurrent.futures import Future

import awscrt.io
import cbor2
from awscrt import mqtt5, mqtt_request_response
from awsiot import V2ServiceException, iotidentity, mqtt5_client_builder, mqtt_connection_builder

TIMEOUT = 30


def force_alpn():
    """The SDK offers ALPN x-amzn-mqtt-ca only on port 443; offer it on any port."""
    original = awscrt.io.ClientTlsContext

    def with_alpn(options):
        options.alpn_list = ["x-amzn-mqtt-ca"]
        return original(options)

    awscrt.io.ClientTlsContext = with_alpn


def mqtt5_connect(o, cert, key, client_id, on_publish=None):
    connected, failed = Future(), Future()
    client = mqtt5_client_builder.mtls_from_path(
        endpoint=o["host"], port=o["port"], ca_filepath=o["ca"], cert_filepath=cert,
        pri_key_filepath=key, client_id=client_id, keep_alive_interval_sec=30,
        on_publish_received=on_publish,
        on_lifecycle_connection_success=lambda d: connected.done() or connected.set_result(d),
        on_lifecycle_connection_failure=lambda d: failed.done() or failed.set_result(d))
    client.start()
    try:
        connected.result(TIMEOUT)
    except Exception:
        client.stop()
        reason = str(failed.result().exception) if failed.done() else "timeout"
        raise RuntimeError(f"connect failed: {reason}")
    return client


def mqtt3_connect(o, cert, key, client_id):
    conn = mqtt_connection_builder.mtls_from_path(
        endpoint=o["host"], port=o["port"], ca_filepath=o["ca"], cert_filepath=cert,
        pri_key_filepath=key, client_id=client_id, clean_session=True, keep_alive_secs=30)
    conn.connect().result(TIMEOUT)
    return conn


def rejected(op, e):
    err = getattr(e, "modeled_error", None)
    if err is None:
        return {"op": op, "error": str(getattr(e, "inner_error", e))}
    return {"op": op, "statusCode": err.status_code, "errorCode": err.error_code,
            "errorMessage": err.error_message}


def create(identity, o):
    if o.get("csr"):
        with open(o["csr"]) as f:
            req = iotidentity.CreateCertificateFromCsrRequest(certificate_signing_request=f.read())
        r = identity.create_certificate_from_csr(req).result(TIMEOUT)
        return {"certificateId": r.certificate_id, "certificatePem": r.certificate_pem,
                "certificateOwnershipToken": r.certificate_ownership_token}
    r = identity.create_keys_and_certificate(
        iotidentity.CreateKeysAndCertificateRequest()).result(TIMEOUT)
    return {"certificateId": r.certificate_id, "certificatePem": r.certificate_pem,
            "privateKey": r.private_key,
            "certificateOwnershipToken": r.certificate_ownership_token}


def save(o, created):
    out = o["out_dir"]
    cert = os.path.join(out, "device.pem.crt")
    with open(cert, "w") as f:
        f.write(created["certificatePem"])
    key = o.get("csr_key") or os.path.join(out, "device.private.key")
    if "privateKey" in created:
        with open(key, "w") as f:
            f.write(created["privateKey"])
    return cert, key


def provision(o):
    proto = o.get("proto", "mqtt5")
    if proto == "mqtt5":
        client = mqtt5_connect(o, o["cert"], o["key"], o["client_id"])
    else:
        client = mqtt3_connect(o, o["cert"], o["key"], o["client_id"])
    options = mqtt_request_response.ClientOptions(
        max_request_response_subscriptions=2, max_streaming_subscriptions=1,
        operation_timeout_in_seconds=TIMEOUT)
    identity = iotidentity.IotIdentityClientV2(client, options)
    result = {}
    try:
        try:
            result["created"] = create(identity, o)
        except V2ServiceException as e:
            result["rejected"] = rejected("create", e)
            return result
        token = o.get("token_override", result["created"]["certificateOwnershipToken"])
        req = iotidentity.RegisterThingRequest(
            template_name=o["template"], certificate_ownership_token=token,
            parameters=o.get("parameters") or None)
        try:
            r = identity.register_thing(req).result(TIMEOUT)
            result["registered"] = {"thingName": r.thing_name,
                                    "deviceConfiguration": r.device_configuration}
        except V2ServiceException as e:
            result["rejected"] = rejected("register", e)
            return result
    finally:
        if proto == "mqtt5":
            client.stop()
        else:
            client.disconnect().result(TIMEOUT)
    return reconnect(o, result)


def reconnect(o, result):
    """Saves the new certificate; with `reconnect`, connects with it as the thing."""
    cert, key = save(o, result["created"])
    if o.get("reconnect"):
        thing = result["registered"]["thingName"]
        device = mqtt5_connect(o, cert, key, o.get("device_client_id", thing))
        result["reconnected"] = True
        device.stop()
    return result


def cbor_request(client, inbox, topic, body):
    """Publishes `body` as CBOR on `topic`; returns (accepted?, decoded reply)."""
    client.publish(mqtt5.PublishPacket(topic=topic, payload=cbor2.dumps(body),
                                       qos=mqtt5.QoS.AT_LEAST_ONCE)).result(TIMEOUT)
    reply_topic, reply = inbox.get(timeout=TIMEOUT)
    return reply_topic == topic + "/accepted", reply


def cbor_flow(o):
    create_topic = ("$aws/certificates/create-from-csr/cbor" if o.get("csr")
                    else "$aws/certificates/create/cbor")
    provision_topic = f"$aws/provisioning-templates/{o['template']}/provision/cbor"
    inbox = queue.Queue()

    def on_publish(d):
        p = d.publish_packet
        inbox.put((p.topic, cbor2.loads(bytes(p.payload))))

    client = mqtt5_connect(o, o["cert"], o["key"], o["client_id"], on_publish)
    client.subscribe(mqtt5.SubscribePacket(subscriptions=[
        mqtt5.Subscription(t + suffix, mqtt5.QoS.AT_LEAST_ONCE)
        for t in (create_topic, provision_topic) for suffix in ("/accepted", "/rejected")
    ])).result(TIMEOUT)
    result = {}
    try:
        request = {}
        if o.get("csr"):
            with open(o["csr"]) as f:
                request["certificateSigningRequest"] = f.read()
        ok, body = cbor_request(client, inbox, create_topic, request)
        if not ok:
            result["rejected"] = dict(body, op="create")
            return result
        result["created"] = body
        request = {"certificateOwnershipToken": body["certificateOwnershipToken"]}
        if o.get("parameters"):
            request["parameters"] = o["parameters"]
        ok, body = cbor_request(client, inbox, provision_topic, request)
        if not ok:
            result["rejected"] = dict(body, op="register")
            return result
        result["registered"] = body
    finally:
        client.stop()
    return reconnect(o, result)


def decode(fmt, payload):
    if fmt == "cbor":
        return cbor2.loads(payload)
    return json.loads(payload)


def raw(o):
    fmt = o["format"]
    replies, got = [], threading.Event()
    observed = []

    def on_publish(d):
        p = d.publish_packet
        replies.append({"topic": p.topic, "body": decode(fmt, bytes(p.payload))})
        got.set()

    client = mqtt5_connect(o, o["cert"], o["key"], o["client_id"], on_publish)
    observer = None
    if o.get("observer"):
        ob = o["observer"]
        observer = mqtt5_connect(o, ob["cert"], ob["key"], ob["client_id"],
                                 lambda d: observed.append(d.publish_packet.topic))
        observer.subscribe(mqtt5.SubscribePacket(subscriptions=[
            mqtt5.Subscription(o["topic"] + "/+", mqtt5.QoS.AT_LEAST_ONCE)])).result(TIMEOUT)
    if o.get("subscribe", True):
        client.subscribe(mqtt5.SubscribePacket(subscriptions=[
            mqtt5.Subscription(o["topic"] + "/accepted", mqtt5.QoS.AT_LEAST_ONCE),
            mqtt5.Subscription(o["topic"] + "/rejected", mqtt5.QoS.AT_LEAST_ONCE)])).result(TIMEOUT)
    client.publish(mqtt5.PublishPacket(topic=o["topic"], payload=bytes.fromhex(o["payload_hex"]),
                                       qos=mqtt5.QoS.AT_LEAST_ONCE)).result(TIMEOUT)
    # A reply that never comes is the answer when not subscribed; wait less then.
    got.wait(TIMEOUT if o.get("subscribe", True) else 3)
    # Give the observer as long again as the reply took: the same broker delivers both.
    if observer is not None:
        client.publish(mqtt5.PublishPacket(topic="fleet/ping", payload=b"x",
                                           qos=mqtt5.QoS.AT_LEAST_ONCE)).result(TIMEOUT)
        observer.stop()
    client.stop()
    return {"replies": replies, "observed": observed}


def main():
    command, options = sys.argv[1], json.loads(sys.argv[2])
    if options.get("alpn"):
        force_alpn()
    try:
        result = {"provision": provision, "cbor": cbor_flow, "raw": raw}[command](options)
    except Exception as e:  # report, don't crash: the test asserts on the JSON
        result = {"exception": f"{type(e).__name__}: {e}"}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
