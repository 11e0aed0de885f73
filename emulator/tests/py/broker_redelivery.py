"""Wire-level QoS 1 redelivery check with Python ssl: an MQTT 3.1.1 persistent client
subscribes at QoS 1, receives a PUBLISH without acknowledging it, drops the connection,
reconnects, and must get the same message again with DUP set and sessionPresent=1.

usage: broker_redelivery.py HOST PORT CA CERT KEY CLIENT_ID TOPIC PHASE
PHASE: subscribe (connect, subscribe, leave) | receive (connect, read one PUBLISH, drop it
unacknowledged) | redeliver (connect, read one PUBLISH, acknowledge it).
Prints one JSON object.
"""
import json
import socket
import ssl
import struct
import sys

TIMEOUT = 20


def encode_len(n):
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def packet(first, body):
    return bytes([first]) + encode_len(len(body)) + body


def read_packet(sock):
    first = sock.recv(1)
    if not first:
        raise EOFError("closed")
    mult, length = 1, 0
    while True:
        b = sock.recv(1)[0]
        length += (b & 0x7F) * mult
        mult *= 128
        if not b & 0x80:
            break
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            raise EOFError("closed mid-packet")
        body += chunk
    return first[0], body


def connect(host, port, ca, cert, key, client_id):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.load_cert_chain(cert, key)
    raw = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    sock = ctx.wrap_socket(raw, server_hostname=host)
    # CONNECT, MQTT 3.1.1, cleanSession=0, keep-alive 60.
    body = utf8("MQTT") + bytes([4, 0x00]) + struct.pack("!H", 60) + utf8(client_id)
    sock.sendall(packet(0x10, body))
    kind, ack = read_packet(sock)
    assert kind == 0x20, hex(kind)
    return sock, bool(ack[0] & 1)


def read_publish(sock):
    while True:
        first, body = read_packet(sock)
        if first >> 4 == 3:
            break
    tlen = struct.unpack("!H", body[:2])[0]
    topic = body[2:2 + tlen].decode()
    qos = (first >> 1) & 3
    pid = struct.unpack("!H", body[2 + tlen:4 + tlen])[0] if qos else None
    payload = body[2 + tlen + (2 if qos else 0):].decode()
    return {"topic": topic, "payload": payload, "qos": qos, "dup": bool(first & 0x08),
            "packet_id": pid}


def main():
    host, port, ca, cert, key, client_id, topic, phase = sys.argv[1:9]
    sock, present = connect(host, port, ca, cert, key, client_id)
    out = {"session_present": present}
    if phase == "subscribe":
        sock.sendall(packet(0x82, struct.pack("!H", 1) + utf8(topic) + bytes([1])))
        kind, _ = read_packet(sock)
        out["suback"] = kind == 0x90
    else:
        out["publish"] = read_publish(sock)
        if phase == "redeliver":
            sock.sendall(packet(0x40, struct.pack("!H", out["publish"]["packet_id"])))
    if phase != "receive":
        sock.sendall(packet(0xE0, b""))
    sock.close()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
