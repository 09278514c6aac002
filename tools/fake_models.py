#!/usr/bin/env python3
"""A local stand-in for the model host (huggingface.co/.../resolve/main) for the tests.

Serves the files of --dir at /NAME with what the whisper engine's downloader relies on:
Range requests (206 with Content-Range, 416 past the end), Content-Length, a redirect like the
real host's (/resolve/NAME answers 302 to /NAME). For the tests: --cut-after N ends the first
full transfer of each file after N bytes (an interrupted download); GET /_fake/log lists the
requests seen (path and Range) as JSON. Python standard library only.
"""
import argparse
import http.server
import json
import os
import re
import socketserver
import threading


class State:
    def __init__(self, root, cut_after):
        self.root = root
        self.cut_after = cut_after
        self.cut_done = set()
        self.log = []
        self.lock = threading.Lock()


def make_handler(state):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def send_plain(self, status, body, headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/_fake/log":
                with state.lock:
                    body = json.dumps(state.log).encode()
                return self.send_plain(200, body, [("Content-Type", "application/json")])
            rng = self.headers.get("Range")
            with state.lock:
                state.log.append({"path": self.path, "range": rng})
            if self.path.startswith("/resolve/"):
                return self.send_plain(302, b"", [("Location", self.path[len("/resolve"):])])
            name = self.path.lstrip("/")
            full = os.path.join(state.root, name)
            if "/" in name or not os.path.isfile(full):
                return self.send_plain(404, b"Entry not found")
            with open(full, "rb") as f:
                data = f.read()
            start = 0
            if rng:
                m = re.fullmatch(r"bytes=(\d+)-", rng)
                if not m:
                    return self.send_plain(400, b"bad Range")
                start = int(m.group(1))
                if start >= len(data):
                    return self.send_plain(416, b"", [("Content-Range", f"bytes */{len(data)}")])
            part = data[start:]
            self.send_response(206 if rng else 200)
            if rng:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(part)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            cut = None
            with state.lock:
                if state.cut_after is not None and not rng and name not in state.cut_done:
                    state.cut_done.add(name)
                    cut = state.cut_after
            if cut is not None:
                # An interrupted transfer: part of the body, then the connection closes.
                self.wfile.write(part[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(part)

    return Handler


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    p = argparse.ArgumentParser(description="Local stand-in for the whisper model host")
    p.add_argument("--dir", required=True, help="folder whose files are served")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--cut-after", type=int, help="end each file's first full transfer after N bytes")
    a = p.parse_args()
    srv = Server(("127.0.0.1", a.port), make_handler(State(a.dir, a.cut_after)))
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write(str(srv.server_address[1]))
        os.replace(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
