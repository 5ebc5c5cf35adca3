#!/usr/bin/python3
"""Test client.

usage: client.py tcp|udp HOST PORT [DEVICE]   ask the test server where we
                                             came from (bound to DEVICE)
       client.py dns SERVER NAME             send one DNS query for NAME to SERVER:53
       client.py dns-from SERVER NAME        the same, and say where the reply came from
Prints the answer. On a network error prints "client: <error>" to stderr and
exits 1 (within 3 seconds).
"""
import random
import socket
import struct
import sys

mode = sys.argv[1]
try:
    if mode in ("dns", "dns-from"):
        server, name = sys.argv[2], sys.argv[3]
        family = socket.AF_INET6 if ":" in server else socket.AF_INET
        qid = random.randrange(65536)
        query = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        query += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
        query += struct.pack("!HH", 1, 1)
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.settimeout(3)
            s.sendto(query, (server, 53))
            reply, source = s.recvfrom(2048)
        answer = socket.inet_ntop(socket.AF_INET, reply[-4:])
        print(f"{answer} from {source[0]}" if mode == "dns-from" else answer)
    else:
        host, port = sys.argv[2], int(sys.argv[3])
        device = sys.argv[4].encode() if len(sys.argv) > 4 else None
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        if mode == "tcp":
            with socket.socket(family, socket.SOCK_STREAM) as s:
                if device:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device)
                s.settimeout(3)
                s.connect((host, port))
                print(s.makefile().readline().strip())
        else:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                if device:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device)
                s.settimeout(3)
                s.sendto(b"hello", (host, port))
                print(s.recv(2048).decode().strip())
except OSError as e:
    print(f"client: {e}", file=sys.stderr)
    sys.exit(1)
