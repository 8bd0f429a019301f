#!/usr/bin/env python3
"""A tiny authoritative DNS server over UDP for tests (python3 stdlib only).

  dns_server.py --log FILE [--record NAME=ADDRESS]... [--silent] [--bind ADDR] [--port N]

Answers A and AAAA queries from the --record list (an IPv4 ADDRESS makes an A
record, an IPv6 one an AAAA record; repeat --record for several records).
A known name without a record of the asked type gets an empty NOERROR answer
(NODATA); an unknown name gets NXDOMAIN. --silent: read queries and never
answer (for timeout tests).

  --log FILE   JSON-lines, one per query: {"name": "api.test", "type": "A"}
               (type "A", "AAAA" or the number), written before answering.

Prints the port and a newline on stdout once listening (UDP, 127.0.0.1 and
any free port by default).
"""

import argparse
import ipaddress
import json
import signal
import socket
import struct
import sys

TYPE_A = 1
TYPE_AAAA = 28
TYPE_NAMES = {TYPE_A: "A", TYPE_AAAA: "AAAA"}


def read_name(packet, offset):
    labels = []
    while True:
        length = packet[offset]
        offset += 1
        if length == 0:
            return ".".join(labels), offset
        if length & 0xC0:
            raise ValueError("compressed name in a question")
        labels.append(packet[offset:offset + length].decode("ascii", errors="replace"))
        offset += length


def answer(packet, records):
    ident, flags, qdcount = struct.unpack("!HHH", packet[:6])
    if qdcount != 1:
        raise ValueError("one question expected")
    name, offset = read_name(packet, 12)
    qtype, qclass = struct.unpack("!HH", packet[offset:offset + 4])
    question = packet[12:offset + 4]
    key = name.lower().rstrip(".")
    rd = flags & 0x0100
    answers = []
    rcode = 0
    if key not in records:
        rcode = 3  # NXDOMAIN
    else:
        for address in records[key]:
            if qtype == TYPE_A and address.version == 4 or qtype == TYPE_AAAA and address.version == 6:
                rdata = address.packed
                answers.append(b"\xc0\x0c" + struct.pack("!HHIH", qtype, qclass, 60, len(rdata)) + rdata)
    header = struct.pack("!HHHHHH", ident, 0x8000 | 0x0400 | rd | 0x0080 | rcode, 1, len(answers), 0, 0)
    return name, qtype, header + question + b"".join(answers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", required=True)
    parser.add_argument("--record", action="append", default=[])
    parser.add_argument("--silent", action="store_true")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    records = {}
    for item in args.record:
        name, address = item.split("=", 1)
        records.setdefault(name.lower().rstrip("."), []).append(ipaddress.ip_address(address))

    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((args.bind, args.port))
    log = open(args.log, "a", encoding="utf-8")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(sock.getsockname()[1], flush=True)
    while True:
        packet, peer = sock.recvfrom(4096)
        try:
            name, qtype, reply = answer(packet, records)
        except (ValueError, IndexError, struct.error):
            continue
        log.write(json.dumps({"name": name, "type": TYPE_NAMES.get(qtype, qtype)}) + "\n")
        log.flush()
        if not args.silent:
            sock.sendto(reply, peer)


if __name__ == "__main__":
    sys.exit(main())
