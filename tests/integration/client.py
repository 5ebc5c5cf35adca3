#!/usr/bin/python3
"""Test client: asks the test server where it came from and prints its answer.

usage: client.py tcp|udp HOST PORT
Exits 1 with a message on any network error (within 3 seconds).
"""
import socket
import sys

proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    if proto == "tcp":
        with socket.create_connection((host, port), timeout=3) as s:
            print(s.makefile().readline().strip())
    else:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(3)
            s.sendto(b"hello", (host, port))
            print(s.recv(2048).decode().strip())
except OSError as e:
    print(f"client: {e}", file=sys.stderr)
    sys.exit(1)
