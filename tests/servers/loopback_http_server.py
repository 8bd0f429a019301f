#!/usr/bin/env python3
"""A local HTTP server for the loopback HTTP client's tests (stdlib only).

Listens on 127.0.0.1 (or ::1 with --ipv6), port 0, and prints the port as
its first stdout line. Routes:
  /status                 200, a small nginx-style body, "Server: nginx/1.25.0"
  /echo-headers           200, the request line and headers as the body
  /redirect?to=URL        302 to URL (file://, gopher://, http:// ...)
  /big?bytes=N            200 with N bytes and a Content-Length
  /big-chunked?bytes=N    200 with N bytes, chunked, no Content-Length
  /slow?seconds=S         sleeps S seconds, then 200
  /big-headers            200 with 100 KiB of headers
Every request is also logged as one line on stderr.
"""
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx/1.25.0"
    sys_version = ""

    def log_message(self, fmt, *args):
        sys.stderr.write("request: " + (fmt % args) + "\n")

    def send_body(self, status, body, extra_headers=()):
        self.send_response(status)
        for name, value in extra_headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path == "/status":
            self.send_body(200, b"Active connections: 1\nserver accepts handled requests\n 1 1 1\n")
        elif parts.path == "/echo-headers":
            text = self.requestline + "\n" + "".join(f"{k}: {v}\n" for k, v in self.headers.items())
            self.send_body(200, text.encode())
        elif parts.path == "/redirect":
            self.send_body(302, b"moved\n", [("Location", query["to"][0])])
        elif parts.path == "/big":
            self.send_body(200, b"x" * int(query["bytes"][0]))
        elif parts.path == "/big-chunked":
            remaining = int(query["bytes"][0])
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                while remaining > 0:
                    size = min(remaining, 65536)
                    self.wfile.write(b"%x\r\n" % size + b"y" * size + b"\r\n")
                    remaining -= size
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif parts.path == "/slow":
            time.sleep(float(query["seconds"][0]))
            self.send_body(200, b"late\n")
        elif parts.path == "/big-headers":
            self.send_body(200, b"ok\n", [(f"X-Filler-{i}", "f" * 1000) for i in range(100)])
        else:
            self.send_body(404, b"not found\n")


class Server(ThreadingHTTPServer):
    daemon_threads = True


def main():
    ipv6 = "--ipv6" in sys.argv
    Server.address_family = socket.AF_INET6 if ipv6 else socket.AF_INET
    server = Server(("::1" if ipv6 else "127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
