#!/usr/bin/env python3
"""Seed rooms for scripts/api-check and hold their sockets open.

Usage: api_check_seed.py PORT CONFIG_OUT

Opens three WebSocket connections to Parlor on 127.0.0.1:PORT (a minimal RFC 6455
client on the standard library): alice creates room A and bob joins it, carol creates
room B. Writes a schemathesis.toml that points the room operations at them (A for
reads and the kick of bob, B for the delete), then sleeps until killed, so the rooms
outlive the run instead of closing as empty.
"""

import base64
import json
import os
import socket
import struct
import sys
import time


def ws_connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("closed during handshake")
        head += chunk
    if b" 101 " not in head.split(b"\r\n", 1)[0]:
        raise ConnectionError(head.decode(errors="replace"))
    return sock


def send(sock, obj):
    data = json.dumps(obj).encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(data) < 126:
        header += bytes([0x80 | len(data)])
    else:
        header += bytes([0x80 | 126]) + struct.pack("!H", len(data))
    sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def recv(sock):
    """The next text frame as JSON (pings and other control frames are skipped)."""
    while True:
        b0, b1 = recv_exact(sock, 2)
        length = b1 & 0x7F
        if length == 126:
            length = struct.unpack("!H", recv_exact(sock, 2))[0]
        elif length == 127:
            length = struct.unpack("!Q", recv_exact(sock, 8))[0]
        payload = recv_exact(sock, length)
        if b0 & 0x0F == 1:
            return json.loads(payload)


def until(sock, kind):
    while True:
        msg = recv(sock)
        if msg.get("type") == kind:
            return msg
        if msg.get("type") == "error":
            raise RuntimeError(msg)


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    alice, bob, carol = ws_connect(port), ws_connect(port), ws_connect(port)
    send(alice, {"type": "create_room", "game": "tictactoe", "name": "alice"})
    room_a = until(alice, "joined")["room"]
    send(bob, {"type": "join_room", "room": room_a, "name": "bob"})
    bob_id = until(bob, "joined")["you"]["player_id"]
    send(carol, {"type": "create_room", "game": "connect4", "name": "carol"})
    room_b = until(carol, "joined")["room"]
    for sock in (alice, bob, carol):
        sock.settimeout(None)
    config = f"""
[[operations]]
include-name = "GET /api/v1/rooms/{{code}}"
parameters = {{ code = "{room_a}" }}

[[operations]]
include-name = "GET /api/v1/rooms/{{code}}/players"
parameters = {{ code = "{room_a}" }}

[[operations]]
include-name = "DELETE /api/v1/rooms/{{code}}/players/{{player_id}}"
parameters = {{ code = "{room_a}", player_id = "{bob_id}" }}

[[operations]]
include-name = "DELETE /api/v1/rooms/{{code}}"
parameters = {{ code = "{room_b}" }}
"""
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write(config)
    os.replace(tmp, out)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
