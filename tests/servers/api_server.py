#!/usr/bin/env python3
"""A scripted stand-in for the fivenines API, for tests (python3 stdlib only).

Serves any POST path over HTTPS (with --cert/--key) or plain HTTP (without),
records every request to a JSON-lines log, and answers from a script.

Command line
  api_server.py --log FILE [--script FILE] [--bind ADDR] [--port N]
                [--cert PEM --key PEM] [--tls-max 1.1] [--stall]

  --log FILE     JSON-lines record, one line per event, flushed at once:
                 {"kind": "request", "n": 1, "method": "POST", "path": "/collect",
                  "version": "HTTP/1.1", "peer": "127.0.0.1",
                  "headers": [["Host", "api.test"], ...],     (received order and case)
                  "body_bytes": 123,                          (as received)
                  "body": "<text>",      (gunzipped when Content-Encoding is gzip, else as is;
                                          decoded as UTF-8 with errors replaced)
                  "gzip_ok": true|false|null,                 (null: not gzip-encoded)
                  "sni": "api.test"|null,     (TLS: the server name the client sent; null: none / plain HTTP)
                  "alpn": "http/1.1"|null,    (TLS: the protocol agreed by ALPN; null: none)
                  "tls_version": "TLSv1.3"|null,
                  "t": 12.345,                (seconds since the server started, when the body was read)
                  "response": 0}                              (index of the script entry used)
                 {"kind": "tls_error", "peer": "127.0.0.1", "error": "..."}  handshake refused
                 {"kind": "h2_refused", "peer": "127.0.0.1", "sni": ...}  the client chose
                                          HTTP/2 by ALPN (the server offers "h2" first, then
                                          "http/1.1", so a client that offers h2 gets it and
                                          is shown up); the connection is closed
                 {"kind": "response_aborted", "n": 1, "sent_bytes": N, "error": "..."}
                                                              client went away mid-answer
                 A request is logged as soon as its body has been read, before
                 the answer; a failed TLS handshake logs no request at all.
  --script FILE  the answers (below); re-read before every request. When its
                 content changes, answering restarts at its first entry.
                 Without --script every answer is 200 {"config": {}}.
  --bind ADDR    127.0.0.1 (default), ::1, or any local address.
  --port N       0 (default): any free port.
  --cert/--key   serve TLS with this certificate chain (PEM, leaf first) and key.
                 The server side is permissive on purpose (security level 0, any
                 key size) so that only the client under test decides.
  --tls-max 1.1  offer only TLS 1.0 and 1.1 (for "refuse old TLS" tests).
  --tls12-ciphers LIST  offer only TLS 1.2 with these OpenSSL cipher suites.
  --stall        accept connections and never send or read a byte (no TLS
                 handshake, no HTTP): logs {"kind": "stalled", "peer": ...}
                 and holds the connection until the client closes it.

Once listening it prints the port number and a newline on stdout, then runs
until SIGTERM/SIGINT.

Script: a JSON array of answer objects, used in order; the last one repeats.
  {"status": 200,                    HTTP status (default 200)
   "json": {...},                    body = json.dumps(value)      } at most one of
   "body": "text",                   body = the text (UTF-8)        } json/body;
   "repeat": N,                      body repeated N times (a 10 MB answer: "body": "x", "repeat": 10000000)
   "headers": {"Location": "/x"},    extra answer headers
   "chunked": true,                  Transfer-Encoding: chunked instead of Content-Length
   "delay_s": 2.5,                   wait before the status line
   "drip_s": 1.0,                    after the headers, send the body one byte every drip_s seconds
   "hang": true,                     read the request, then send nothing until the client leaves
   "times": 3}                       use this entry for 3 requests before moving on (default 1)
Default answer headers: Content-Type: application/json, Connection: close.
"""

import argparse
import gzip
import http.server
import json
import os
import signal
import socket
import ssl
import sys
import threading
import time
import zlib

MAX_REQUEST_BODY = 16 * 1024 * 1024
DEFAULT_SCRIPT = [{"status": 200, "json": {"config": {}}}]
STARTED = time.monotonic()


class Recorder:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.file = open(path, "a", encoding="utf-8")
        self.count = 0

    def write(self, record):
        with self.lock:
            if record.get("kind") == "request":
                self.count += 1
                record["n"] = self.count
            self.file.write(json.dumps(record) + "\n")
            self.file.flush()
            return record.get("n")


class Script:
    """The answer list; restarts at entry 0 whenever the file's content changes."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.text = None
        self.entries = DEFAULT_SCRIPT
        self.position = 0  # index into the expanded list

    def next_answer(self):
        with self.lock:
            if self.path:
                try:
                    with open(self.path, encoding="utf-8") as f:
                        text = f.read()
                except OSError:
                    text = self.text
                if text is not None and text != self.text:
                    self.text = text
                    entries = json.loads(text) if text.strip() else []
                    self.entries = entries if entries else DEFAULT_SCRIPT
                    self.position = 0
            expanded = []
            for index, entry in enumerate(self.entries):
                expanded.extend([index] * max(1, int(entry.get("times", 1))))
            index = expanded[min(self.position, len(expanded) - 1)]
            self.position += 1
            return index, self.entries[index]


def tls_info(connection):
    """(ALPN protocol, TLS version) of a TLS connection; (None, None) for plain HTTP."""
    if isinstance(connection, ssl.SSLSocket):
        return connection.selected_alpn_protocol(), connection.version()
    return None, None


def answer_body(entry):
    if "json" in entry:
        body = json.dumps(entry["json"]).encode("utf-8")
    else:
        body = entry.get("body", "").encode("utf-8")
    return body * int(entry.get("repeat", 1))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fivenines-test-api"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # the JSON-lines record is the log

    def do_POST(self):
        self.handle_request()

    def do_GET(self):
        self.handle_request()

    def do_PUT(self):
        self.handle_request()

    def handle_request(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, MAX_REQUEST_BODY)) if length > 0 else b""
        encoding = (self.headers.get("Content-Encoding") or "").lower()
        gzip_ok = None
        body = raw
        if encoding == "gzip":
            try:
                body = gzip.decompress(raw)
                gzip_ok = True
            except (OSError, EOFError, zlib.error):
                gzip_ok = False
        index, entry = self.server.script.next_answer()
        n = self.server.recorder.write({
            "kind": "request",
            "method": self.command,
            "path": self.path,
            "version": self.request_version,
            "peer": self.client_address[0],
            "headers": [[k, v] for k, v in self.headers.items()],
            "body_bytes": len(raw),
            "body": body.decode("utf-8", errors="replace"),
            "gzip_ok": gzip_ok,
            "sni": getattr(self.connection, "fivenines_sni", None),
            "alpn": tls_info(self.connection)[0],
            "tls_version": tls_info(self.connection)[1],
            "t": round(time.monotonic() - STARTED, 4),
            "response": index,
        })
        self.close_connection = True
        sent = 0
        try:
            if entry.get("hang"):
                # Wait until the client gives up (EOF on the socket).
                self.connection.settimeout(None)
                while self.connection.recv(1):
                    pass
                return
            if entry.get("delay_s"):
                time.sleep(float(entry["delay_s"]))
            payload = answer_body(entry)
            self.send_response_only(int(entry.get("status", 200)))
            headers = {"Content-Type": "application/json", "Connection": "close"}
            headers.update(entry.get("headers", {}))
            for name, value in headers.items():
                self.send_header(name, str(value))
            chunked = bool(entry.get("chunked"))
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.flush()
            drip = float(entry.get("drip_s", 0))
            step = 1 if drip > 0 else 64 * 1024
            for start in range(0, len(payload), step):
                piece = payload[start:start + step]
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                else:
                    self.wfile.write(piece)
                self.wfile.flush()
                sent += len(piece)
                if drip > 0:
                    time.sleep(drip)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
        except (OSError, ssl.SSLError) as error:
            self.server.recorder.write({"kind": "response_aborted", "n": n, "sent_bytes": sent,
                                        "error": str(error)})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, family, tls_context, recorder, script, stall=False):
        self.address_family = family
        self.stall = stall
        self.tls_context = tls_context
        self.recorder = recorder
        self.script = script
        super().__init__(address, Handler)

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        socket.socket.bind(self.socket, self.server_address)
        self.server_address = self.socket.getsockname()

    def finish_request(self, request, client_address):
        # Runs in the per-connection thread: the TLS handshake happens here,
        # so one slow or failing client never blocks the others.
        if self.stall:
            self.recorder.write({"kind": "stalled", "peer": client_address[0]})
            request.settimeout(None)
            try:
                while request.recv(4096):
                    pass  # discard until the client gives up
            except OSError:
                pass
            return
        if self.tls_context is not None:
            request.settimeout(10)
            try:
                request = self.tls_context.wrap_socket(request, server_side=True)
            except (OSError, ssl.SSLError) as error:
                self.recorder.write({"kind": "tls_error", "peer": client_address[0], "error": str(error)})
                return
            if request.selected_alpn_protocol() == "h2":
                self.recorder.write({"kind": "h2_refused", "peer": client_address[0],
                                     "sni": getattr(request, "fivenines_sni", None)})
                request.close()
                return
            request.settimeout(60)
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass  # client went away; nothing to report beyond the record


def make_tls_context(cert, key, tls_max, tls12_ciphers=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # Permissive on purpose: the client under test must be the one refusing.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    if tls12_ciphers:
        # Only these TLS 1.2 suites, and no TLS 1.3 (whose suites are all AEAD
        # with forward secrecy): for "refuse weak TLS 1.2 suites" tests.
        context.set_ciphers(tls12_ciphers + ":@SECLEVEL=0")
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    elif tls_max == "1.1":
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=cert, keyfile=key)
    # h2 first: a client that offers HTTP/2 gets it, and the record shows it.
    context.set_alpn_protocols(["h2", "http/1.1"])

    def remember_server_name(tls_socket, server_name, _context):
        tls_socket.fivenines_sni = server_name  # None when the client sent no SNI

    context.sni_callback = remember_server_name
    return context


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", required=True)
    parser.add_argument("--script")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--tls-max", choices=["1.1"])
    parser.add_argument("--tls12-ciphers")
    parser.add_argument("--stall", action="store_true")
    args = parser.parse_args()

    tls_context = make_tls_context(args.cert, args.key, args.tls_max, args.tls12_ciphers) if args.cert else None
    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    server = Server((args.bind, args.port), family, tls_context, Recorder(args.log), Script(args.script),
                    args.stall)

    def stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(server.server_address[1], flush=True)
    server.serve_forever(poll_interval=0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
