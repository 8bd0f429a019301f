#!/usr/bin/env python3
"""A CONNECT-only HTTP proxy for tests (python3 stdlib only).

  connect_proxy.py --log FILE [--map NAME=ADDRESS]... [--capture FILE] [--bind ADDR] [--port N]

Accepts `CONNECT host:port HTTP/1.1`, connects to host:port (a name given
with --map goes to that address instead of being looked up; any other name
is looked up with getaddrinfo), answers `200 Connection established`, then
relays bytes both ways until either side closes. Any other method gets 405.

  --log FILE      JSON-lines, one per proxy request, flushed at once:
                  {"kind": "connect", "target": "api.test:8443", "peer": "127.0.0.1",
                   "headers": [["Host", "api.test:8443"], ...], "status": 200,
                   "client_bytes": N, "server_bytes": M}      (written when the tunnel ends)
                  {"kind": "refused", "request_line": "GET http://x/ HTTP/1.1", ...}
  --capture FILE  append every byte the client sent through tunnels (to check
                  that only ciphertext went through).
  --bind/--port   as api_server.py: 127.0.0.1 and any free port by default.

Prints the port and a newline on stdout once listening.
"""

import argparse
import json
import select
import signal
import socket
import socketserver
import sys
import threading

MAX_HEADER_BYTES = 64 * 1024


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        client = self.request
        client.settimeout(30)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = client.recv(4096)
            if not chunk or len(data) > MAX_HEADER_BYTES:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        request_line = lines[0]
        headers = [line.split(":", 1) for line in lines[1:] if ":" in line]
        headers = [[name.strip(), value.strip()] for name, value in headers]
        parts = request_line.split(" ")
        record = {"peer": self.client_address[0], "headers": headers}
        if len(parts) != 3 or parts[0] != "CONNECT":
            record.update({"kind": "refused", "request_line": request_line})
            self.server.write(record)
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        target = parts[1]
        host, _, port = target.rpartition(":")
        host = host.strip("[]")
        record.update({"kind": "connect", "target": target})
        address = self.server.mapping.get(host, host)
        try:
            upstream = socket.create_connection((address, int(port)), timeout=10)
        except (OSError, ValueError) as error:
            record.update({"status": 502, "error": str(error)})
            self.server.write(record)
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        counts = {"client_bytes": 0, "server_bytes": 0}
        if rest:
            upstream.sendall(rest)
            self.server.capture(rest)
            counts["client_bytes"] += len(rest)
        upstream.settimeout(None)
        client.settimeout(None)
        sockets = [client, upstream]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], 60)
                if not readable:
                    break
                done = False
                for sock in readable:
                    chunk = sock.recv(65536)
                    if not chunk:
                        done = True
                        break
                    if sock is client:
                        upstream.sendall(chunk)
                        self.server.capture(chunk)
                        counts["client_bytes"] += len(chunk)
                    else:
                        client.sendall(chunk)
                        counts["server_bytes"] += len(chunk)
                if done:
                    break
        except OSError:
            pass
        finally:
            upstream.close()
        record.update({"status": 200, **counts})
        self.server.write(record)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, family, log_path, capture_path, mapping):
        self.address_family = family
        self.lock = threading.Lock()
        self.log = open(log_path, "a", encoding="utf-8")
        self.capture_file = open(capture_path, "ab") if capture_path else None
        self.mapping = mapping
        super().__init__(address, Handler)

    def write(self, record):
        with self.lock:
            self.log.write(json.dumps(record) + "\n")
            self.log.flush()

    def capture(self, data):
        if self.capture_file is None:
            return
        with self.lock:
            self.capture_file.write(data)
            self.capture_file.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", required=True)
    parser.add_argument("--capture")
    parser.add_argument("--map", action="append", default=[])
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    mapping = dict(item.split("=", 1) for item in args.map)
    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    server = Server((args.bind, args.port), family, args.log, args.capture, mapping)

    def stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(server.server_address[1], flush=True)
    server.serve_forever(poll_interval=0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
