"""fake_mt_common.py: what the machine-translation stand-ins (fake_libretranslate.py, fake_deepl.py)
share (standard library only).

translate(): word by word from a small table per language, unknown words kept, behind a visible
marker: translate("Good morning, everyone.", "es", "[es]") == "[es] Buenos días, todos." Real
enough for tests to tell which language (and which engine) made a caption, nothing more.

Controls and Handler: the /_fake/ endpoints (loopback clients only), counted requests, injected
delay, forced status codes and an outage, served on 127.0.0.1 with --port 0 --port-file F.
  GET  /_fake/stats   {"requests", "translate_calls", "languages_calls", "by_target": {code: n},
                       "rejected" (bad shape or key), "failed" (forced statuses), "rate_limited",
                       "dropped" (closed while down), "max_concurrent", "characters",
                       "log": [the last 200 translate requests' fields]}
  POST /_fake/config  JSON changing any of: delay_ms (before each translate answer), fail_next
                      (answer the next N translate requests with fail_status, default 500),
                      rate_limit_next (the next N with 429), fail_targets ({target: status}: every
                      request for that target), down (true: close every vendor request's
                      connection without an answer; false: back), plus each fake's own keys
  POST /_fake/reset   zeroes the counters and the log
"""

import http.server
import ipaddress
import json
import os
import re
import sys
import threading
import time

WORDS = {
    "es": {"hello": "hola", "good": "buenos", "morning": "días", "everyone": "todos", "welcome": "bienvenidos",
           "thanks": "gracias", "please": "por favor", "the": "el", "talk": "charla", "starts": "empieza",
           "now": "ahora"},
    "fr": {"hello": "bonjour", "good": "bon", "morning": "matin", "everyone": "tout le monde",
           "welcome": "bienvenue", "thanks": "merci", "please": "s'il vous plaît", "the": "la", "talk": "conférence",
           "starts": "commence", "now": "maintenant"},
    "de": {"hello": "hallo", "good": "guten", "morning": "Morgen", "everyone": "alle", "welcome": "willkommen",
           "thanks": "danke", "please": "bitte", "the": "der", "talk": "Vortrag", "starts": "beginnt", "now": "jetzt"},
    "it": {"hello": "ciao", "good": "buon", "morning": "giorno", "everyone": "tutti", "welcome": "benvenuti",
           "thanks": "grazie", "please": "per favore"},
    "pt": {"hello": "olá", "good": "bom", "morning": "dia", "everyone": "todos", "welcome": "bem-vindos",
           "thanks": "obrigado", "please": "por favor"},
    "nl": {"hello": "hallo", "good": "goede", "morning": "morgen", "everyone": "iedereen", "welcome": "welkom",
           "thanks": "bedankt"},
    "ja": {"hello": "こんにちは", "good": "おはよう", "morning": "ございます", "everyone": "皆さん",
           "welcome": "ようこそ", "thanks": "ありがとう"},
    "zh": {"hello": "你好", "good": "早", "morning": "上好", "everyone": "大家", "welcome": "欢迎",
           "thanks": "谢谢"},
}


def translate(text, lang, marker):
    """`marker` + " " + text with each table word replaced (case kept on the first letter)."""
    table = WORDS.get(lang, {})

    def word(m):
        w = m.group(0)
        t = table.get(w.lower())
        if t is None:
            return w
        return t[:1].upper() + t[1:] if w[:1].isupper() else t

    return marker + " " + re.sub(r"[A-Za-z]+", word, text)


class Controls:
    """State the control endpoints change and the stats they report. Guarded by `lock`."""

    def __init__(self):
        self.lock = threading.Lock()
        self.delay_ms = 0
        self.fail_next = 0
        self.fail_status = 500
        self.rate_limit_next = 0
        self.fail_targets = {}
        self.down = False
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = 0
            self.translate_calls = 0
            self.languages_calls = 0
            self.glossaries_created = 0
            self.by_target = {}
            self.rejected = 0
            self.failed = 0
            self.rate_limited = 0
            self.dropped = 0
            self.characters = 0
            self.active = 0
            self.max_active = 0
            self.log = []

    def stats(self):
        with self.lock:
            return {"requests": self.requests, "translate_calls": self.translate_calls,
                    "languages_calls": self.languages_calls,
                    "glossaries_created": self.glossaries_created, "by_target": dict(self.by_target),
                    "rejected": self.rejected, "failed": self.failed, "rate_limited": self.rate_limited,
                    "dropped": self.dropped, "max_concurrent": self.max_active, "characters": self.characters,
                    "log": list(self.log)}

    def configure(self, c):
        """Applies the common keys of a /_fake/config body (under the lock)."""
        for k in ("delay_ms", "fail_next", "fail_status", "rate_limit_next"):
            if k in c:
                setattr(self, k, int(c[k]))
        if "fail_targets" in c:
            self.fail_targets = {str(k): int(v) for k, v in dict(c["fail_targets"]).items()}
        if "down" in c:
            self.down = bool(c["down"])

    def settings(self):
        return {"delay_ms": self.delay_ms, "fail_next": self.fail_next, "fail_status": self.fail_status,
                "rate_limit_next": self.rate_limit_next, "fail_targets": self.fail_targets, "down": self.down}

    def forced_status(self, target):
        """The status a translate request for `target` must get instead of an answer (None: answer).
        Counts it."""
        with self.lock:
            if self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                self.rate_limited += 1
                return 429
            if self.fail_next > 0:
                self.fail_next -= 1
                self.failed += 1
                return self.fail_status
            status = self.fail_targets.get(target)
            if status is not None:
                if status == 429:
                    self.rate_limited += 1
                else:
                    self.failed += 1
            return status


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    allow_reuse_address = True


class JsonHandler(http.server.BaseHTTPRequestHandler):
    """What every fake's handler does: JSON replies, bodies by Content-Length, loopback checks."""

    # Headers and body go out in two writes: with Nagle on, the body waits for the client's
    # delayed ACK (40 ms) whenever a kept-alive connection is reused at once.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    quiet = True
    name = "fake"

    def log_message(self, fmt, *args):
        if not self.quiet:
            sys.stderr.write("%s: %s\n" % (self.name, fmt % args))

    def reply(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def loopback(self):
        try:
            return ipaddress.ip_address(self.client_address[0]).is_loopback
        except ValueError:
            return False


class Handler(JsonHandler):
    """Base of the translation fakes' handlers: subclasses set `name`, `controls` and define
    vendor_get(), vendor_post() and control_extra()."""

    controls = None

    def dropped(self):
        """True (and the connection is closed unanswered) while the fake is down."""
        c = self.controls
        with c.lock:
            c.requests += 1
            if not c.down:
                return False
            c.dropped += 1
        self.close_connection = True
        return True

    def do_GET(self):
        if self.path == "/_fake/stats" and self.loopback():
            return self.reply(200, self.controls.stats())
        if self.dropped():
            return
        self.vendor_get()

    def do_POST(self):
        body = self.read_body()
        if self.path.startswith("/_fake/") and self.loopback():
            return self.control(body)
        if self.dropped():
            return
        self.vendor_post(body)

    def control(self, body):
        c = self.controls
        if self.path == "/_fake/reset":
            c.reset()
            return self.reply(200, {})
        if self.path != "/_fake/config":
            return self.reply(404, {"error": "unknown control path"})
        try:
            cfg = json.loads(body or b"{}")
            with c.lock:
                c.configure(cfg)
                self.control_extra(cfg)
                now = c.settings()
        except (ValueError, TypeError, AttributeError) as e:
            return self.reply(400, {"error": str(e)})
        self.reply(200, now)

    def control_extra(self, cfg):
        pass

    def translating(self, fields, target, characters):
        """Counts one translate request that will be answered, then sleeps the injected delay."""
        c = self.controls
        with c.lock:
            c.translate_calls += 1
            c.by_target[target] = c.by_target.get(target, 0) + 1
            c.characters += characters
            c.log.append(fields)
            del c.log[:-200]
            c.active += 1
            c.max_active = max(c.max_active, c.active)
            delay = c.delay_ms
        try:
            if delay:
                time.sleep(delay / 1000)
        finally:
            with c.lock:
                c.active -= 1


def serve(handler, port, port_file, tls_cert=None, tls_key=None):
    """Listens on 127.0.0.1:port (0: a free one), over TLS when given a certificate, writes the
    port to port_file, serves forever."""
    server = Server(("127.0.0.1", port), handler)
    if tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls_cert, tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    if port_file:
        with open(port_file + ".tmp", "w") as out:
            out.write(str(server.server_address[1]))
        os.replace(port_file + ".tmp", port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
