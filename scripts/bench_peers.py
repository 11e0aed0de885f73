"""Side-by-side figures for iot-emulator and its peers, in one run (see scripts/bench-peers).

Rows:
  start to ready       fresh in-memory starts: ours until its ready line, ministack until
                       /_ministack/ready answers 200, moto_server until it answers HTTP
  provisioning flows   one device at a time, paho-mqtt over mutual TLS: connect with the
                       claim, create certificate, RegisterThing, disconnect, connect with
                       the new certificate (p50 and flows/s)
  keys flow, many      CreateKeysAndCertificate flows 10 and 50 devices at a time: ours
                       (default pool of 8), ours with --key-pool 64, ministack; then a
                       burst of 50 at once against a full pool of 64 (wall seconds)
  CreateThing ops/s    raw HTTP/1.1 keep-alive connections, concurrency 1 and 16; ours
                       with --data-dir (every write durable before the reply), the peers
                       in memory (ministack persists only at shutdown, moto not at all)

Everything listens on 127.0.0.1 only; every loop is bounded. Prints figures; asserts
nothing.
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import queue
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import boto3
import paho.mqtt.client as mqtt
from botocore.config import Config as BotoConfig
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOOPBACK = "127.0.0.1"
STEP = 30.0
ALLOW_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]})
TEMPLATE = "BenchTemplate"
FAKE_AUTH = ("AWS4-HMAC-SHA256 Credential=AKIAEMULATOR000000001/20260101/us-east-1/iot/"
             "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)


def free_port():
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def http_ok(port, path, want_200):
    try:
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=2)
        conn.request("GET", path)
        status = conn.getresponse().status
        conn.close()
        return status == 200 or not want_200
    except OSError:
        return False


# ---------------------------------------------------------------- servers


class Ours:
    name = "iot-emulator"

    def __init__(self, binary, data_dir=None, extra=(), name=None):
        self.binary, self.data_dir, self.extra = binary, data_dir, list(extra)
        if name:
            self.name = name

    def start(self):
        store = ["--data-dir", self.data_dir] if self.data_dir else ["--in-memory"]
        store += self.extra
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [self.binary, "--api-addr", f"{LOOPBACK}:0", "--mqtt-addr", f"{LOOPBACK}:0",
             "--credentials-addr", f"{LOOPBACK}:0", "--ws-addr", f"{LOOPBACK}:0", *store],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        elapsed = time.perf_counter() - t0
        ready = json.loads(line)
        self.api_port = int(ready["api_url"].rsplit(":", 1)[1])
        self.mqtt = (ready["mqtt_host"], ready["mqtt_port"])
        self.ca_path = ready["root_ca_path"]
        self.account = ready["account_id"]
        return elapsed

    def stop(self):
        stop(self.proc)


class Ministack:
    name = "ministack 1.5.33"

    def __init__(self, venv):
        self.venv = venv

    def start(self):
        self.api_port, mqtt_port = free_port(), free_port()
        self.state = tempfile.mkdtemp(prefix="bench-ministack-")
        env = dict(os.environ, GATEWAY_PORT=str(self.api_port), BIND_HOST=LOOPBACK,
                   IOT_MTLS_PORT=str(mqtt_port), LOG_LEVEL="WARNING", TMPDIR=self.state,
                   STATE_DIR=self.state, S3_DATA_DIR=self.state)
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([os.path.join(self.venv, "bin/ministack")], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     cwd=self.state)
        deadline = t0 + 60
        while not http_ok(self.api_port, "/_ministack/ready", True):
            if self.proc.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError("ministack did not become ready")
            time.sleep(0.002)
        elapsed = time.perf_counter() - t0
        self.mqtt = (LOOPBACK, mqtt_port)
        self.account = "000000000000"
        conn = http.client.HTTPConnection(LOOPBACK, self.api_port, timeout=10)
        conn.request("GET", "/_ministack/iot/ca.pem")
        self.ca_path = os.path.join(self.state, "ca.pem")
        with open(self.ca_path, "wb") as f:
            f.write(conn.getresponse().read())
        return elapsed

    def stop(self):
        stop(self.proc)
        shutil.rmtree(self.state, ignore_errors=True)


class Moto:
    name = "moto 5.2.5"

    def __init__(self, venv):
        self.venv = venv

    def start(self):
        self.api_port = free_port()
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [os.path.join(self.venv, "bin/moto_server"), "-H", LOOPBACK, "-p", str(self.api_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = t0 + 60
        while not http_ok(self.api_port, "/moto-api/", False):
            if self.proc.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError("moto_server did not become ready")
            time.sleep(0.002)
        return time.perf_counter() - t0

    def stop(self):
        stop(self.proc)


# ---------------------------------------------------------------- start to ready


def start_to_ready(server, starts):
    times = []
    for _ in range(starts):
        times.append(server.start() * 1000)
        server.stop()
    return times


# ---------------------------------------------------------------- CreateThing


def create_things(port, concurrency, per_worker, tag):
    errors = []

    def worker(w):
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
        for i in range(per_worker):
            conn.request("POST", f"/things/bench-{tag}-{w}-{i}", body=b"{}",
                         headers={"Content-Type": "application/json",
                                  "Authorization": FAKE_AUTH, "X-Amz-Date": "20260101T000000Z"})
            response = conn.getresponse()
            body = response.read()
            if response.status != 200:
                errors.append(f"{response.status} {body[:120]!r}")
                return
        conn.close()

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    done = concurrency * per_worker
    return (None if errors else done / elapsed), (errors[0] if errors else None)


# ---------------------------------------------------------------- provisioning flows


def iot(server):
    return boto3.client("iot", endpoint_url=f"http://{LOOPBACK}:{server.api_port}",
                        region_name="us-east-1", aws_access_key_id="AKIAEMULATOR000000001",
                        aws_secret_access_key="bench",
                        config=BotoConfig(retries={"max_attempts": 1}))


def setup_claim(server, workdir):
    """An ACTIVE claim with an allow-all policy and a template naming the thing."""
    client = iot(server)
    claim = client.create_keys_and_certificate(setAsActive=True)
    client.create_policy(policyName="BenchAllowAll", policyDocument=ALLOW_ALL)
    client.attach_policy(policyName="BenchAllowAll", target=claim["certificateArn"])
    body = {
        "Parameters": {"ThingName": {"Type": "String"},
                       "AWS::IoT::Certificate::Id": {"Type": "String"}},
        "Resources": {
            "thing": {"Type": "AWS::IoT::Thing",
                      "Properties": {"ThingName": {"Ref": "ThingName"}}},
            "certificate": {"Type": "AWS::IoT::Certificate",
                            "Properties": {"CertificateId": {"Ref": "AWS::IoT::Certificate::Id"},
                                           "Status": "ACTIVE"}},
            "policy": {"Type": "AWS::IoT::Policy", "Properties": {"PolicyName": "BenchAllowAll"}},
        },
    }
    client.create_provisioning_template(
        templateName=TEMPLATE, templateBody=json.dumps(body), enabled=True,
        provisioningRoleArn=f"arn:aws:iam::{server.account}:role/Provisioning")
    return write_identity(workdir, "claim", claim["certificatePem"], claim["keyPair"]["PrivateKey"])


def write_identity(workdir, name, cert, key):
    cert_path, key_path = os.path.join(workdir, name + ".crt"), os.path.join(workdir, name + ".key")
    with open(cert_path, "w") as f:
        f.write(cert)
    with open(key_path, "w") as f:
        f.write(key)
    return cert_path, key_path


class Device:
    """One paho connection whose CONNACK and messages land in a queue."""

    def __init__(self, server, client_id, identity):
        self.events = queue.Queue()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv311)
        self.client.tls_set(ca_certs=server.ca_path, certfile=identity[0], keyfile=identity[1],
                            cert_reqs=ssl.CERT_REQUIRED)
        self.client.on_connect = lambda c, u, f, rc, p: self.events.put(("connack", rc.is_failure))
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self.events.put(("suback", mid))
        self.client.on_message = lambda c, u, m: self.events.put(("message", m.topic, m.payload))
        self.client.on_disconnect = lambda c, u, f, rc, p: self.events.put(("closed", str(rc)))
        self.client.connect(*server.mqtt, keepalive=60)
        self.client.loop_start()

    def expect(self, kind):
        while True:
            event = self.events.get(timeout=STEP)
            if event[0] == kind:
                return event
            if event[0] == "closed":
                raise RuntimeError(f"connection closed: {event[1]}")

    def request(self, topic, body):
        self.client.publish(topic, json.dumps(body), qos=1)
        while True:
            event = self.expect("message")
            if event[1] == topic + "/accepted":
                return json.loads(event[2])
            if event[1] == topic + "/rejected":
                raise RuntimeError(f"{topic} rejected: {event[2][:200]!r}")

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


def make_csr(name):
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
           .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return csr.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def flow(server, claim, workdir, thing, csr):
    t0 = time.perf_counter()
    device = Device(server, f"claim-{thing}", claim)
    if device.expect("connack")[1]:
        raise RuntimeError("claim CONNACK refused")
    create = "$aws/certificates/create-from-csr/json" if csr else "$aws/certificates/create/json"
    provision = f"$aws/provisioning-templates/{TEMPLATE}/provision/json"
    _, mid = device.client.subscribe([(f"{t}/{s}", 1) for t in (create, provision)
                                      for s in ("accepted", "rejected")])
    device.expect("suback")
    created = device.request(create, {"certificateSigningRequest": csr[0]} if csr else {})
    device.request(provision, {"certificateOwnershipToken": created["certificateOwnershipToken"],
                               "parameters": {"ThingName": thing}})
    device.close()
    key = csr[1] if csr else created["privateKey"]
    identity = write_identity(workdir, thing, created["certificatePem"], key)
    device = Device(server, thing, identity)
    refused = device.expect("connack")[1]
    elapsed = time.perf_counter() - t0
    device.close()
    if refused:
        raise RuntimeError("device CONNACK refused")
    return elapsed


def flows(server, flows_n, csr, tag, devices=1, warm=True, before=None):
    """`flows_n` flows, `devices` at a time: (p50 ms, flows/s, error, wall seconds)."""
    workdir = tempfile.mkdtemp(prefix="bench-flows-")
    try:
        claim = setup_claim(server, workdir)
        csrs = [make_csr(f"bench-{tag}-{i}") if csr else None for i in range(flows_n)]
        if warm:
            flow(server, claim, workdir, f"warm-{tag}", csrs[0])
        if before:
            before()
        one = lambda i: flow(server, claim, workdir, f"bench-{tag}-{i}", csrs[i])
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(max_workers=devices) as pool:
            latencies = list(pool.map(one, range(flows_n)))
        wall = time.perf_counter() - t0
        return statistics.median(latencies) * 1000, flows_n / wall, None, wall
    except queue.Empty:
        return None, None, f"no answer within {STEP:.0f} s", None
    except Exception as e:  # a peer without the operation: report, don't abort the run
        return None, None, (str(e) or type(e).__name__)[:160], None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------- report


def fmt(value, unit, digits=1):
    return "-" if value is None else f"{value:.{digits}f} {unit}"


def row(label, cells):
    print(f"{label:<50}" + "".join(f"{c:>20}" for c in cells))


def wait_for_pool(data_dir, size):
    """Waits until the emulator's key pool has `size` keys kept in `data_dir`."""
    folder = os.path.join(data_dir, "key-pool", "fresh")
    deadline = time.perf_counter() + 300
    while time.perf_counter() < deadline:
        if os.path.isdir(folder) and sum(n.endswith(".der") for n in os.listdir(folder)) >= size:
            return
        time.sleep(0.1)
    raise RuntimeError(f"the key pool did not reach {size} keys")


def keys_flows(args, ours, ministack, notes):
    """The keys flow with many devices at once, sustained, and a burst from a full pool."""
    pool = 64
    label = f"ours --key-pool {pool}"
    row("", [ours.name, label, ministack.name])
    for devices in (10, 50):
        cells = []
        data_dir = tempfile.mkdtemp(prefix="bench-pool-")
        pooled = Ours(args.binary, data_dir, ["--key-pool", str(pool)], name=label)
        for s in [ours, pooled, ministack]:
            s.start()
            try:
                r = flows(s, max(args.flows, 2 * devices), False, f"k{devices}", devices)
            finally:
                s.stop()
            cells.append(fmt(r[1], "/s"))
            if r[2]:
                notes.append(f"{s.name}, keys flow at {devices} devices: {r[2]}")
        row(f"CreateKeysAndCertificate flow, {devices} devices, flows/s", cells)
        shutil.rmtree(data_dir, ignore_errors=True)
    data_dir = tempfile.mkdtemp(prefix="bench-pool-")
    burst = Ours(args.binary, data_dir, ["--key-pool", str(pool)])
    burst.start()
    try:
        r = flows(burst, 50, False, "burst", 50, warm=False,
                  before=lambda: wait_for_pool(data_dir, pool))
    finally:
        burst.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    row(f"burst of 50 keys flows from a full pool of {pool}", ["", fmt(r[3], "s", 2), ""])
    if r[2]:
        notes.append(f"burst: {r[2]}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--venv", required=True)
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--flows", type=int, default=50)
    parser.add_argument("--things", type=int, default=400)
    args = parser.parse_args()
    ours, ministack, moto = Ours(args.binary), Ministack(args.venv), Moto(args.venv)
    servers = [ours, ministack, moto]
    print(f"peer benchmark: {os.cpu_count()} cores; loopback only; {args.starts} starts, "
          f"{args.flows} flows, {args.things} CreateThing calls per row")
    row("", [s.name for s in servers])
    notes = []

    ready = [start_to_ready(s, args.starts) for s in servers]
    row("start to ready, median", [fmt(statistics.median(t), "ms") for t in ready])
    row("start to ready, max", [fmt(max(t), "ms") for t in ready])

    for csr, name in [(True, "CreateCertificateFromCsr"), (False, "CreateKeysAndCertificate")]:
        results = []
        for s in servers[:2]:
            s.start()
            try:
                results.append(flows(s, args.flows, csr, f"{'csr' if csr else 'keys'}"))
            finally:
                s.stop()
        results.append((None, None, "no MQTT broker", None))
        row(f"{name} flow, 1 device, p50", [fmt(r[0], "ms") for r in results])
        row(f"{name} flow, 1 device, flows/s", [fmt(r[1], "/s") for r in results])
        for s, r in zip(servers, results):
            if r[2]:
                notes.append(f"{s.name}, {name} flow: {r[2]}")

    keys_flows(args, ours, ministack, notes)

    data_dir = tempfile.mkdtemp(prefix="bench-ours-")
    durable = Ours(args.binary, data_dir)
    row("", [durable.name + " (durable)", ministack.name, moto.name])
    for concurrency in (1, 16):
        cells = []
        for s in [durable, ministack, moto]:
            s.start()
            try:
                rate, error = create_things(s.api_port, concurrency,
                                            max(1, args.things // concurrency), f"c{concurrency}")
            finally:
                s.stop()
            cells.append(fmt(rate, "ops/s", 0))
            if error:
                notes.append(f"{s.name}, CreateThing c={concurrency}: {error}")
        row(f"CreateThing, concurrency {concurrency}", cells)
    shutil.rmtree(data_dir, ignore_errors=True)
    print("ours: CreateThing with --data-dir (durable before the reply); ministack and moto "
          "in memory")
    for note in notes:
        print("  ! " + note)


if __name__ == "__main__":
    sys.exit(main())
