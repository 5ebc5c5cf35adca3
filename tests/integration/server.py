#!/usr/bin/python3
"""Test server: answers each TCP connection and UDP datagram with the
interface it arrived on and the source address it came from, and logs the
same line. One socket per interface (SO_BINDTODEVICE), so the kernel itself
tells which interface a packet came in by.

usage: server.py LOGFILE PORT IFACE [IFACE...]
"""
import selectors
import socket
import sys

log_path, port, ifaces = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
log = open(log_path, "a", buffering=1)
sel = selectors.DefaultSelector()

for iface in ifaces:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
        s.bind(("0.0.0.0", port))
        if kind == socket.SOCK_STREAM:
            s.listen(128)
        sel.register(s, selectors.EVENT_READ, (iface, kind))

log.write("ready\n")
while True:
    for key, _ in sel.select():
        iface, kind = key.data
        sock = key.fileobj
        if kind == socket.SOCK_STREAM:
            conn, (src, _) = sock.accept()
            line = f"tcp iif={iface} src={src}"
            log.write(line + "\n")
            try:
                conn.sendall((line + "\n").encode())
            finally:
                conn.close()
        else:
            data, (src, sport) = sock.recvfrom(2048)
            line = f"udp iif={iface} src={src}"
            log.write(line + "\n")
            sock.sendto((line + "\n").encode(), (src, sport))
