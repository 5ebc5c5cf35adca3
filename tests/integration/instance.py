#!/usr/bin/python3
"""A program that, like Firefox or Chromium, hands its arguments to an
already running instance of itself: the first one listens on SOCKET and
prints what later ones send it; a later one sends its arguments and exits 0
at once.

usage: instance.py SOCKET [ARGS...]
"""
import os
import socket
import sys

path, args = sys.argv[1], " ".join(sys.argv[2:])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(path)
    s.sendall(args.encode())
    print("handed to the running instance")
    sys.exit(0)
except OSError:
    pass
s.bind(path)
os.chmod(path, 0o666)
s.listen(8)
print("ready", flush=True)
while True:
    conn, _ = s.accept()
    print("got:", conn.recv(4096).decode(), flush=True)
    conn.close()
