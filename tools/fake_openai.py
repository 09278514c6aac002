#!/usr/bin/env python3
"""fake_openai.py: a local stand-in for an OpenAI-compatible transcription server, for tests.

Serves POST /v1/audio/transcriptions on 127.0.0.1 in the shape of OpenAI's published API
reference ("Create transcription"): a multipart/form-data body with `file` (an audio file)
and `model`, optional `language`, `prompt`, `response_format` (json or text); the answer is
{"text": "..."}; errors are {"error": {"message", "type", "param", "code"}} with the HTTP
status. With --key, a request must carry "Authorization: Bearer <key>" (else 401 with
code "invalid_api_key", as OpenAI answers).

The recognition is real: the uploaded WAV (which must be 16 kHz mono 16-bit PCM, what
lt-speech sends) is piped through --recognizer (tools' lt-stt-pipe: the project's
pocketsphinx engine) and the finals it prints are joined into the text.

This is not OpenAI, nor faster-whisper/speaches: it checks what lt-speech must get right
(multipart shape, WAV format, model, key) and nothing more.

Control endpoints (loopback clients):
  GET  /_fake/stats   {"requests", "transcriptions", "partials", "finals", "rejected",
                       "failed", "dropped", "max_concurrent" (most transcriptions answered at
                       once), "log": [{"bytes", "seconds", "prompt", "language",
                       "model", "text"}, ...]}. A transcription whose audio is a strict prefix
                       of a later one's is counted as a partial (lt-speech re-sends the growing
                       utterance), the others as finals.
  POST /_fake/config  JSON changing any of: fail_next (answer the next N transcriptions with
                      fail_status), fail_status (500), down (true: every transcription
                      request's connection is closed without an answer, as a crashed server;
                      false: back), delay_ms (before each answer), key
  POST /_fake/reset   zeroes the counters and the log

With --tls-cert/--tls-key it serves HTTPS. Standard library only. Run with --help for the flags.
"""

import argparse
import http.server
import ipaddress
import json
import shlex
import struct
import subprocess
import sys
import threading
import time

MAX_BODY = 25 * 1024 * 1024  # OpenAI's documented upload limit


class Fake:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.recognizer = args.recognizer
        self.key = args.key
        self.fail_next = 0
        self.fail_status = 500
        self.down = False
        self.delay_ms = 0
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = 0
            self.rejected = 0
            self.failed = 0
            self.dropped = 0
            self.active = 0  # transcriptions being answered now
            self.max_active = 0
            self.log = []  # transcriptions answered: dicts with pcm (bytes) kept for stats

    def stats(self):
        with self.lock:
            entries = list(self.log)
            out = {"requests": self.requests, "rejected": self.rejected, "failed": self.failed,
                   "dropped": self.dropped, "transcriptions": len(entries), "max_concurrent": self.max_active}
        partial = []
        for i, e in enumerate(entries):
            pcm = e["pcm"]
            partial.append(any(len(later["pcm"]) > len(pcm) and later["pcm"].startswith(pcm)
                               for later in entries[i + 1:]))
        out["partials"] = sum(partial)
        out["finals"] = len(entries) - out["partials"]
        out["log"] = [{k: v for k, v in e.items() if k != "pcm"} | {"partial": p}
                      for e, p in zip(entries, partial)]
        return out

    def recognize(self, pcm):
        if not self.recognizer:
            return ""
        proc = subprocess.run(shlex.split(self.recognizer), input=pcm, capture_output=True, timeout=120)
        texts = []
        for line in proc.stdout.decode("utf-8", "replace").splitlines():
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if isinstance(r, dict) and r.get("final") and str(r.get("text", "")).strip():
                texts.append(str(r["text"]).strip())
        return " ".join(texts)


class BadRequest(Exception):
    def __init__(self, message, param=None, code=None):
        super().__init__(message)
        self.param = param
        self.code = code


def parse_multipart(content_type, body):
    """{name: (filename or None, part headers dict, bytes)} from a multipart/form-data body."""
    ctype, _, params = content_type.partition(";")
    if ctype.strip().lower() != "multipart/form-data":
        raise BadRequest("Content-Type must be multipart/form-data, not '%s'" % ctype.strip())
    boundary = None
    for p in params.split(";"):
        k, _, v = p.strip().partition("=")
        if k.lower() == "boundary":
            boundary = v.strip('"')
    if not boundary:
        raise BadRequest("multipart/form-data without a boundary")
    delim = b"--" + boundary.encode()
    if not body.startswith(delim):
        raise BadRequest("the body does not start with the multipart boundary")
    if (b"\r\n" + delim + b"--") not in body:
        raise BadRequest("the multipart body has no closing boundary")
    parts = {}
    chunks = body.split(b"\r\n" + delim)
    chunks[0] = chunks[0][len(delim):]
    for chunk in chunks:
        if chunk.startswith(b"--"):
            break
        if not chunk.startswith(b"\r\n"):
            raise BadRequest("malformed multipart part")
        head, sep, data = chunk[2:].partition(b"\r\n\r\n")
        if not sep:
            raise BadRequest("a multipart part without a header end")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        disp = headers.get("content-disposition", "")
        if not disp.startswith("form-data"):
            raise BadRequest("a multipart part without Content-Disposition: form-data")
        name = filename = None
        for item in disp.split(";")[1:]:
            k, _, v = item.strip().partition("=")
            if k == "name":
                name = v.strip('"')
            elif k == "filename":
                filename = v.strip('"')
        if name is None:
            raise BadRequest("a multipart part without a name")
        parts[name] = (filename, headers, data)
    return parts


def wav_pcm(data):
    """The samples of a 16 kHz mono 16-bit PCM WAV file; BadRequest for anything else."""
    if len(data) < 44 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise BadRequest("file is not a WAV file (no RIFF/WAVE header)", "file", "invalid_value")
    if struct.unpack("<I", data[4:8])[0] != len(data) - 8:
        raise BadRequest("WAV RIFF size does not match the file", "file", "invalid_value")
    pos, fmt, pcm = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        payload = data[pos + 8:pos + 8 + size]
        if len(payload) != size:
            raise BadRequest("WAV chunk '%s' is cut short" % cid.decode("latin-1"), "file", "invalid_value")
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", payload[:16])
        elif cid == b"data":
            pcm = payload
        pos += 8 + size + (size & 1)
    if fmt is None or pcm is None:
        raise BadRequest("WAV without fmt or data chunk", "file", "invalid_value")
    tag, channels, rate, byte_rate, align, bits = fmt
    if (tag, channels, rate, bits) != (1, 1, 16000, 16) or byte_rate != 32000 or align != 2:
        raise BadRequest("expected 16 kHz mono 16-bit PCM WAV, got format %d, %d channel(s), %d Hz, %d bit"
                         % (tag, channels, rate, bits), "file", "invalid_value")
    return pcm


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    allow_reuse_address = True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenAI/1.0"
    fake = None
    quiet = True

    def log_message(self, fmt, *args):
        if not self.quiet:
            sys.stderr.write("fake_openai: %s\n" % (fmt % args))

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, message, etype, param=None, code=None):
        self.reply(status, {"error": {"message": message, "type": etype, "param": param, "code": code}})

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise BadRequest("the upload is larger than 25 MB")
        return self.rfile.read(length) if length else b""

    def loopback(self):
        try:
            return ipaddress.ip_address(self.client_address[0]).is_loopback
        except ValueError:
            return False

    def do_GET(self):
        if self.path == "/_fake/stats" and self.loopback():
            return self.reply(200, self.fake.stats())
        self.error(404, "Unknown request URL: GET %s." % self.path, "invalid_request_error",
                   code="unknown_url")

    def do_POST(self):
        f = self.fake
        try:
            body = self.read_body()
        except BadRequest as e:
            return self.error(413, str(e), "invalid_request_error")
        if self.path.startswith("/_fake/") and self.loopback():
            return self.control(body)
        if self.path != "/v1/audio/transcriptions":
            return self.error(404, "Unknown request URL: POST %s." % self.path, "invalid_request_error",
                              code="unknown_url")
        with f.lock:
            f.requests += 1
            if f.down:
                f.dropped += 1
                self.close_connection = True
                return  # no answer: the client sees the connection closed
            failing = f.fail_next > 0
            if failing:
                f.fail_next -= 1
                f.failed += 1
            fail_status, key, delay = f.fail_status, f.key, f.delay_ms
        if key and self.headers.get("Authorization", "") != "Bearer " + key:
            with f.lock:
                f.rejected += 1
            return self.error(401, "Incorrect API key provided. You can find your API key at "
                              "https://platform.openai.com/account/api-keys.", "invalid_request_error",
                              code="invalid_api_key")
        if failing:
            return self.error(fail_status, "The server had an error while processing your request.",
                              "server_error")
        try:
            parts = parse_multipart(self.headers.get("Content-Type", ""), body)
            if "file" not in parts or parts["file"][0] is None:
                raise BadRequest("you must provide a file (a multipart part named 'file' with a filename)",
                                 "file")
            model = parts.get("model", (None, None, b""))[2].decode("utf-8", "replace")
            if not model:
                raise BadRequest("you must provide a model parameter", "model")
            fmt = parts.get("response_format", (None, None, b"json"))[2].decode()
            if fmt not in ("json", "text"):
                raise BadRequest("response_format '%s' is not supported by this stand-in" % fmt,
                                 "response_format")
            pcm = wav_pcm(parts["file"][2])
        except BadRequest as e:
            with f.lock:
                f.rejected += 1
            return self.error(400, str(e), "invalid_request_error", e.param, e.code)
        with f.lock:
            f.active += 1
            f.max_active = max(f.max_active, f.active)
        try:
            text = f.recognize(pcm)
            if delay:
                time.sleep(delay / 1000)
        finally:
            with f.lock:
                f.active -= 1
        field = lambda n: parts.get(n, (None, None, b""))[2].decode("utf-8", "replace")
        with f.lock:
            f.log.append({"pcm": pcm, "bytes": len(pcm), "seconds": len(pcm) / 32000, "model": model,
                          "language": field("language"), "prompt": field("prompt"), "text": text})
            del f.log[:-1000]
        if fmt == "text":
            data = text.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.reply(200, {"text": text})

    def control(self, body):
        f = self.fake
        if self.path == "/_fake/reset":
            f.reset()
            return self.reply(200, {})
        if self.path != "/_fake/config":
            return self.reply(404, {"error": "unknown control path"})
        try:
            c = json.loads(body or b"{}")
            with f.lock:
                for k in ("fail_next", "fail_status", "delay_ms"):
                    if k in c:
                        setattr(f, k, int(c[k]))
                if "down" in c:
                    f.down = bool(c["down"])
                if "key" in c:
                    f.key = c["key"] or None
                now = {"fail_next": f.fail_next, "fail_status": f.fail_status, "down": f.down,
                       "delay_ms": f.delay_ms, "key": f.key}
        except (ValueError, TypeError) as e:
            return self.reply(400, {"error": str(e)})
        self.reply(200, now)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0, help="TCP port (0: pick a free one)")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--key", help="API key requests must carry as Bearer (default: none needed)")
    p.add_argument("--recognizer", help="command reading s16le 16 kHz mono PCM on stdin and printing "
                   "lt-stt-pipe's JSON lines (default: none, every text is empty)")
    p.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (with --tls-key)")
    p.add_argument("--tls-key", help="the certificate's PEM private key")
    p.add_argument("-v", "--verbose", action="store_true", help="log requests on stderr")
    args = p.parse_args(argv)
    Handler.fake = Fake(args)
    Handler.quiet = not args.verbose
    server = Server(("127.0.0.1", args.port), Handler)
    if args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as out:
            out.write(str(server.server_address[1]))
        import os
        os.replace(args.port_file + ".tmp", args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
