#!/usr/bin/python3
"""Test server: answers each TCP connection and UDP datagram on PORT (IPv4
and IPv6) with the interface it arrived on and the source address it came
from, and answers DNS queries on DNS_ADDRESS port 53 with fixed addresses. It logs one
line per exchange. One socket per interface (SO_BINDTODEVICE), so the kernel
itself tells which interface a packet came in by.

usage: server.py LOGFILE PORT DNS_ADDRESS IFACE [IFACE...]
"""
import selectors
import socket
import struct
import sys

log_path, port, dns_address, ifaces = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
log = open(log_path, "a", buffering=1)
sel = selectors.DefaultSelector()

ANSWERS = {1: socket.inet_pton(socket.AF_INET, "198.51.100.7"),        # A
           28: socket.inet_pton(socket.AF_INET6, "2001:db8:ff::7")}    # AAAA


def bound(family, kind, iface, port, address=None):
    s = socket.socket(family, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((address or ("::" if family == socket.AF_INET6 else "0.0.0.0"), port))
    if kind == socket.SOCK_STREAM:
        s.listen(128)
    return s


def dns_answer(query):
    """A minimal resolver: any name, A and AAAA from ANSWERS."""
    qid, _, qdcount = struct.unpack("!HHH", query[:6])
    end = 12
    labels = []
    while query[end]:
        labels.append(query[end + 1:end + 1 + query[end]].decode())
        end += 1 + query[end]
    qtype, = struct.unpack("!H", query[end + 1:end + 3])
    question = query[12:end + 5]
    rdata = ANSWERS.get(qtype)
    header = struct.pack("!HHHHHH", qid, 0x8180, 1, 1 if rdata else 0, 0, 0)
    answer = b""
    if rdata:
        answer = struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(rdata)) + rdata
    return ".".join(labels), header + question + answer


SERVICE = {socket.AF_INET: "198.51.100.7", socket.AF_INET6: "2001:db8:ff::7"}

for iface in ifaces:
    for family in (socket.AF_INET, socket.AF_INET6):
        sel.register(bound(family, socket.SOCK_STREAM, iface, port), selectors.EVENT_READ,
                     (iface, socket.SOCK_STREAM, "echo"))
        # UDP bound to the service address, so that answers come from the
        # address that was asked, as real servers' do.
        sel.register(bound(family, socket.SOCK_DGRAM, iface, port, SERVICE[family]), selectors.EVENT_READ,
                     (iface, socket.SOCK_DGRAM, "echo"))
    # Bound to the server's own address, so answers come from it: resolvers
    # drop answers from any other source.
    sel.register(bound(socket.AF_INET, socket.SOCK_DGRAM, iface, 53, dns_address), selectors.EVENT_READ,
                 (iface, socket.SOCK_DGRAM, "dns"))

log.write("ready\n")
while True:
    for key, _ in sel.select():
        iface, kind, service = key.data
        sock = key.fileobj
        six = "6" if sock.family == socket.AF_INET6 else ""
        if kind == socket.SOCK_STREAM:
            conn, peer = sock.accept()
            line = f"tcp{six} iif={iface} src={peer[0]}"
            log.write(line + "\n")
            try:
                conn.sendall((line + "\n").encode())
            finally:
                conn.close()
            continue
        data, peer = sock.recvfrom(2048)
        if service == "dns":
            name, reply = dns_answer(data)
            log.write(f"dns{six} iif={iface} src={peer[0]} name={name}\n")
            sock.sendto(reply, peer)
        else:
            line = f"udp{six} iif={iface} src={peer[0]}"
            log.write(line + "\n")
            sock.sendto((line + "\n").encode(), peer)
