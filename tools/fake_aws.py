#!/usr/bin/env python3
"""fake_aws.py: a local stand-in for the three AWS services Live Translate calls, for tests.

One HTTP server on 127.0.0.1 (point AWS_ENDPOINT_URL at it) that speaks, on one port:

  * Amazon Translate TranslateText (JSON 1.1: POST /, X-Amz-Target
    AWSShineFrontendService_20170701.TranslateText). The "translation" is "[<target>] <text>".
  * AWS STS AssumeRole (query API: POST / with a form body; XML answers).
  * Amazon Transcribe streaming over WebSocket (GET /stream-transcription-websocket with a
    SigV4 presigned query; RFC 6455 frames each carrying one event-stream message). The
    recognition is real: each stream runs the --recognizer program (lt-stt-pipe) and turns
    its JSON lines into TranscriptEvent results.

Every request's SigV4 signature (Authorization header or presigned query) is verified with
the implementation in this file (hashlib/hmac), independent of the project's C++ signer, and
so are the credentials: long-term keys from --keys, or keys this fake issued through
AssumeRole together with their session token, until they expire.

This is a test stand-in written from AWS's published protocol documentation only (the
Translate and STS API references, the SigV4 signing guide, Transcribe's "Setting up a
WebSocket stream" and "Event stream encoding" pages, RFC 6455). It is not AWS: error texts
follow the documented codes and the messages AWS is known to send, but details will differ.

Control endpoints (no signature, loopback clients only):
  GET  /_fake/stats   counters as JSON (see Fake.stats)
  POST /_fake/config  JSON object changing any of delay_ms, throttle_targets, fail_targets,
                      token_seconds, stream_limit_s, max_streams; answers the new config
  POST /_fake/reset   zeroes the counters

Standard library only. Run with --help for the flags.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import http.server
import ipaddress
import json
import os
import re
import secrets
import shlex
import signal
import socket
import string
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
import zlib
from xml.sax.saxutils import escape as xml_escape

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_SKEW_S = 300
DEFAULT_KEYS = "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
DEFAULT_ROLE = "arn:aws:iam::123456789012:role/LiveTranslateTranscribeRole"
TRANSLATE_TARGET = "AWSShineFrontendService_20170701.TranslateText"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

# Amazon Translate's documented language codes.
TRANSLATE_LANGUAGES = set(
    "af sq am ar hy az bn bs bg ca zh zh-TW hr cs da fa-AF nl en et fa tl fi fr fr-CA ka de el gu "
    "ht ha he hi hu is id ga it ja kn kk ko lv lt mk ms ml mt mr mn no ps pl pt pt-PT pa ro ru sr "
    "si sk sl so es es-MX sw sv ta te th tr uk ur uz vi cy".split())
# Transcribe streaming languages (a documented subset is enough for a stand-in).
TRANSCRIBE_LANGUAGES = set(
    "en-US en-GB en-AU en-IN en-IE en-NZ en-ZA es-US es-ES fr-FR fr-CA de-DE de-CH it-IT pt-BR "
    "pt-PT ja-JP ko-KR zh-CN zh-HK zh-TW hi-IN ar-SA ar-AE nl-NL sv-SE da-DK pl-PL ru-RU tr-TR "
    "th-TH id-ID ms-MY vi-VN he-IL uk-UA".split())


# --------------------------------------------------------------------------------------------
# SigV4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html)

_UNRESERVED = frozenset((string.ascii_letters + string.digits + "-_.~").encode())


def uri_encode(value, keep_slash=False):
    """RFC 3986 percent-encoding of everything but the unreserved characters (UTF-8)."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    out = []
    for b in value:
        if b in _UNRESERVED or (keep_slash and b == 0x2F):
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def parse_query(raw_query):
    """[(name, value)] decoded, in order; '+' stays a plus (SigV4 clients send %20)."""
    pairs = []
    if not raw_query:
        return pairs
    for part in raw_query.split("&"):
        if part == "":
            continue
        name, _, value = part.partition("=")
        pairs.append((urllib.parse.unquote(name), urllib.parse.unquote(value)))
    return pairs


def canonical_query(pairs, drop=()):
    encoded = sorted((uri_encode(k), uri_encode(v)) for k, v in pairs if k not in drop)
    return "&".join("%s=%s" % kv for kv in encoded)


def normalize_path(path):
    """RFC 3986 remove_dot_segments; empty path is '/'."""
    if not path:
        return "/"
    out = []
    for seg in path.split("/")[1:]:
        if seg == ".":
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    result = "/" + "/".join(out)
    if path.endswith(("/.", "/..")) and not result.endswith("/"):
        result += "/"
    return result


def canonical_uri(raw_path):
    # Services other than S3: the path as sent (already percent-encoded) is encoded again.
    return uri_encode(normalize_path(raw_path), keep_slash=True)


def canonical_header_value(values):
    return ",".join(" ".join(v.strip().split()) for v in values)


def signing_key(secret, date, region, service):
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def canonical_request(method, raw_path, query_pairs, headers, signed_headers, payload_hash,
                      drop_query=()):
    """headers: {lowercase name: [values]}; signed_headers: sorted lowercase names."""
    lines = [method, canonical_uri(raw_path), canonical_query(query_pairs, drop_query)]
    lines += ["%s:%s" % (h, canonical_header_value(headers.get(h, []))) for h in signed_headers]
    return "\n".join(lines) + "\n\n" + ";".join(signed_headers) + "\n" + payload_hash


def string_to_sign(amz_date, scope, creq):
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()])


def compute_signature(secret, amz_date, region, service, creq):
    scope = "%s/%s/%s/aws4_request" % (amz_date[:8], region, service)
    key = signing_key(secret, amz_date[:8], region, service)
    return hmac.new(key, string_to_sign(amz_date, scope, creq).encode(), hashlib.sha256).hexdigest()


def amz_date(t=None):
    t = time.time() if t is None else t
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def parse_amz_date(s):
    try:
        return datetime.datetime.strptime(s, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


def iso8601(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def sign_headers(method, target, headers, body, akid, secret, region, service, when=None,
                 token=None):
    """Client-side header signing (for tests): returns headers plus X-Amz-Date,
    X-Amz-Security-Token and Authorization. `headers` is [(name, value)] and must hold Host."""
    stamp = amz_date(when)
    headers = list(headers) + [("X-Amz-Date", stamp)]
    if token:
        headers.append(("X-Amz-Security-Token", token))
    by_name = {}
    for name, value in headers:
        by_name.setdefault(name.lower(), []).append(value)
    signed = sorted(by_name)
    path, _, query = target.partition("?")
    body = body.encode() if isinstance(body, str) else body
    creq = canonical_request(method, path, parse_query(query), by_name, signed,
                             hashlib.sha256(body).hexdigest())
    sig = compute_signature(secret, stamp, region, service, creq)
    scope = "%s/%s/%s/aws4_request" % (stamp[:8], region, service)
    headers.append(("Authorization", "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        ALGORITHM, akid, scope, ";".join(signed), sig)))
    return headers


def presign(method, host, path, params, akid, secret, region, service, when=None, expires=300,
            token=None):
    """Client-side presigning (for tests), as Transcribe's WebSocket guide describes:
    signed header host only, payload hash of the empty string, the security token signed.
    Returns the request target (path and query)."""
    stamp = amz_date(when)
    scope = "%s/%s/%s/aws4_request" % (stamp[:8], region, service)
    pairs = list(params) + [
        ("X-Amz-Algorithm", ALGORITHM), ("X-Amz-Credential", "%s/%s" % (akid, scope)),
        ("X-Amz-Date", stamp), ("X-Amz-Expires", str(expires)), ("X-Amz-SignedHeaders", "host")]
    if token:
        pairs.append(("X-Amz-Security-Token", token))
    creq = canonical_request(method, path, pairs, {"host": [host]}, ["host"], EMPTY_SHA256)
    sig = compute_signature(secret, stamp, region, service, creq)
    return path + "?" + canonical_query(pairs) + "&X-Amz-Signature=" + sig


class AuthError(Exception):
    """kind: missing | incomplete | unknown_key | invalid_token | expired_token | signature |
    skew | scope | presign"""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you "
                      "provided. Check your AWS Secret Access Key and signing method. Consult "
                      "the service documentation for details.")
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


# --------------------------------------------------------------------------------------------
# Event-stream framing (application/vnd.amazon.eventstream)

class EventStreamError(Exception):
    pass


def es_encode(headers, payload=b""):
    """headers: [(name, value)]; str values are type 7 (string), bytes type 6, bool 0/1,
    int type 4 (int32)."""
    hb = bytearray()
    for name, value in headers:
        n = name.encode()
        hb += bytes([len(n)]) + n
        if isinstance(value, bool):
            hb.append(0 if value else 1)
        elif isinstance(value, int):
            hb.append(4)
            hb += struct.pack(">i", value)
        elif isinstance(value, bytes):
            hb.append(6)
            hb += struct.pack(">H", len(value)) + value
        else:
            v = str(value).encode()
            hb.append(7)
            hb += struct.pack(">H", len(v)) + v
    total = 16 + len(hb) + len(payload)
    prelude = struct.pack(">II", total, len(hb))
    msg = prelude + struct.pack(">I", zlib.crc32(prelude)) + bytes(hb) + payload
    return msg + struct.pack(">I", zlib.crc32(msg))


def es_decode(data):
    """One whole message -> (headers dict, payload bytes); EventStreamError when invalid."""
    if len(data) < 16:
        raise EventStreamError("message too short (%d bytes)" % len(data))
    total, hlen, pcrc = struct.unpack(">III", data[:12])
    if zlib.crc32(data[:8]) != pcrc:
        raise EventStreamError("prelude CRC mismatch")
    if total != len(data):
        raise EventStreamError("total length %d does not match the %d bytes received" % (total, len(data)))
    if hlen > total - 16:
        raise EventStreamError("headers length %d does not fit" % hlen)
    if zlib.crc32(data[:-4]) != struct.unpack(">I", data[-4:])[0]:
        raise EventStreamError("message CRC mismatch")
    h = data[12:12 + hlen]
    headers = {}
    i = 0
    try:
        while i < len(h):
            n = h[i]
            name = h[i + 1:i + 1 + n].decode()
            i += 1 + n
            t = h[i]
            i += 1
            if t in (0, 1):
                value = t == 0
            elif t == 2:
                value = struct.unpack(">b", h[i:i + 1])[0]
                i += 1
            elif t == 3:
                value = struct.unpack(">h", h[i:i + 2])[0]
                i += 2
            elif t == 4:
                value = struct.unpack(">i", h[i:i + 4])[0]
                i += 4
            elif t in (5, 8):
                value = struct.unpack(">q", h[i:i + 8])[0]
                i += 8
            elif t in (6, 7):
                ln = struct.unpack(">H", h[i:i + 2])[0]
                raw = h[i + 2:i + 2 + ln]
                if len(raw) != ln:
                    raise EventStreamError("truncated header value")
                value = raw.decode() if t == 7 else raw
                i += 2 + ln
            elif t == 9:
                value = h[i:i + 16]
                i += 16
            else:
                raise EventStreamError("unknown header type %d" % t)
            if i > len(h) or not name:
                raise EventStreamError("truncated header")
            headers[name] = value
    except (struct.error, IndexError, UnicodeDecodeError) as e:
        raise EventStreamError("malformed headers: %s" % e)
    return headers, data[12 + hlen:-4]


# --------------------------------------------------------------------------------------------
# WebSocket (RFC 6455), server side

class WsClosed(Exception):
    pass


class WsProtocolError(Exception):
    pass


def ws_accept(key):
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


def ws_frame(opcode, payload=b"", mask=False):
    """One FIN frame; servers do not mask, clients (the tests) do."""
    head = bytearray([0x80 | opcode])
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        head.append(mbit | n)
    elif n < 65536:
        head.append(mbit | 126)
        head += struct.pack(">H", n)
    else:
        head.append(mbit | 127)
        head += struct.pack(">Q", n)
    if mask:
        key = os.urandom(4)
        head += key
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes(head) + payload


def recv_exact(src, n):
    """n bytes from a socket or a buffered reader (the HTTP handler's rfile, which may
    already hold bytes that arrived with the handshake)."""
    read = src.recv if hasattr(src, "recv") else src.read
    buf = bytearray()
    while len(buf) < n:
        chunk = read(n - len(buf))
        if not chunk:
            raise WsClosed("connection closed")
        buf += chunk
    return bytes(buf)


def ws_read_frame(sock, require_mask=True, max_size=16 * 1024 * 1024):
    # `sock`: a socket or a buffered reader over one.
    """-> (fin, opcode, payload). WsProtocolError for unmasked/invalid frames."""
    b0, b1 = recv_exact(sock, 2)
    fin, opcode, masked, n = bool(b0 & 0x80), b0 & 0x0F, bool(b1 & 0x80), b1 & 0x7F
    if b0 & 0x70:
        raise WsProtocolError("reserved bits set without an extension")
    if n == 126:
        n = struct.unpack(">H", recv_exact(sock, 2))[0]
    elif n == 127:
        n = struct.unpack(">Q", recv_exact(sock, 8))[0]
    if opcode >= 8 and (n > 125 or not fin):
        raise WsProtocolError("invalid control frame")
    if require_mask and not masked:
        raise WsProtocolError("client frames must be masked")
    if n > max_size:
        raise WsProtocolError("frame of %d bytes is too large" % n)
    key = recv_exact(sock, 4) if masked else None
    payload = recv_exact(sock, n)
    if key:
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return fin, opcode, payload


# --------------------------------------------------------------------------------------------
# The fake's state

class Fake:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.region = args.region
        self.keys = {}
        for pair in (args.keys or DEFAULT_KEYS).split(","):
            akid, sep, secret = pair.strip().partition(":")
            if not sep or not akid or not secret:
                raise SystemExit("--keys: expected AKID:SECRET[,AKID:SECRET], got %r" % pair)
            self.keys[akid] = secret
        self.role_arn = args.role_arn
        m = re.match(r"^arn:aws[\w-]*:iam::(\d{12}):role/(?:.*/)?([\w+=,.@-]+)$", self.role_arn)
        if not m:
            raise SystemExit("--role-arn: not an IAM role ARN: %r" % self.role_arn)
        self.account, self.role_name = m.group(1), m.group(2)
        self.external_id = args.external_id
        self.recognizer = args.recognizer or os.environ.get("LT_STT_PIPE")
        self.idle_timeout_s = args.idle_timeout_s
        self.config = {
            "delay_ms": args.delay_ms,
            "throttle_targets": [],
            # Custom terminologies (ImportTerminology is not stood in for): name -> target
            # language -> {source term: target term}.
            "terminologies": {},
            "fail_targets": [],
            "token_seconds": args.token_seconds,
            "stream_limit_s": args.stream_limit_s,
            "max_streams": args.max_streams,
        }
        self.issued = {}  # AccessKeyId -> {secret, token, expiration, arn}
        self.log_file = open(args.log, "a", buffering=1) if args.log else None
        self.reset_stats()

    def reset_stats(self):
        with self.lock:
            self.counters = {
                "translate_calls": 0, "translate_ok": 0, "translate_by_target": {},
                "translate_in_flight": 0, "translate_concurrent_max": 0, "sts_calls": 0,
                "transcribe_streams": 0, "transcribe_active": 0, "transcribe_audio_seconds": 0.0,
                "signature_failures": 0, "auth_failures": [],
            }

    def log(self, text):
        if self.log_file:
            self.log_file.write("%s %s\n" % (time.strftime("%H:%M:%S"), text))

    def stats(self):
        with self.lock:
            s = json.loads(json.dumps(self.counters))
            s["transcribe_audio_seconds"] = round(s["transcribe_audio_seconds"], 3)
            s["issued"] = [{"AccessKeyId": k, "Expiration": iso8601(v["expiration"])}
                           for k, v in self.issued.items()]
            s["config"] = dict(self.config)
        return s

    def auth_failed(self, service, code, message, signature=False):
        with self.lock:
            if signature:
                self.counters["signature_failures"] += 1
            fails = self.counters["auth_failures"]
            fails.append({"service": service, "code": code, "message": message})
            del fails[:-20]
        self.log("auth failure %s %s: %s" % (service, code, message))

    # ---- credential and signature checks -----------------------------------------------

    def lookup(self, akid, token):
        """-> (secret, caller arn); AuthError for unknown keys, wrong or expired tokens."""
        with self.lock:
            issued = self.issued.get(akid)
        if akid in self.keys:
            if token:
                raise AuthError("invalid_token", INVALID_TOKEN)
            return self.keys[akid], "arn:aws:iam::%s:user/live-translate-test" % self.account
        if issued:
            if token != issued["token"]:
                raise AuthError("invalid_token", INVALID_TOKEN)
            if time.time() >= issued["expiration"]:
                raise AuthError("expired_token", EXPIRED_TOKEN)
            return issued["secret"], issued["arn"]
        raise AuthError("unknown_key", INVALID_TOKEN)

    def check_scope(self, scope, stamp, service):
        parts = scope.split("/")
        if len(parts) != 5 or parts[4] != "aws4_request":
            raise AuthError("incomplete", "Credential should be scoped with a valid terminator: "
                                          "'aws4_request', not '%s'." % scope)
        akid, date, region, svc = parts[:4]
        if date != stamp[:8]:
            raise AuthError("scope", "Date in Credential scope does not match YYYYMMDD from "
                                     "ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'."
                            % (date, stamp[:8], stamp))
        if region != self.region:
            raise AuthError("scope", "Credential should be scoped to a valid region, not '%s'. "
                                     "Expected '%s'." % (region, self.region))
        if svc != service:
            raise AuthError("scope", "Credential should be scoped to correct service: '%s'. "
                            % service)
        return akid

    @staticmethod
    def check_skew(stamp, when):
        now = time.time()
        if when < now - MAX_SKEW_S:
            raise AuthError("skew", "Signature expired: %s is now earlier than %s (%s - 5 min.)"
                            % (stamp, amz_date(now - MAX_SKEW_S), amz_date(now)))
        if when > now + MAX_SKEW_S:
            raise AuthError("skew", "Signature not yet current: %s is still later than %s "
                                    "(%s + 5 min.)" % (stamp, amz_date(now + MAX_SKEW_S), amz_date(now)))

    def verify_header_signature(self, method, raw_path, raw_query, headers, body, service):
        """headers: {lowercase: [values]}. -> caller arn; AuthError otherwise."""
        auth = headers.get("authorization", [None])[0]
        if not auth:
            raise AuthError("missing", "Missing Authentication Token")
        m = re.match(r"^AWS4-HMAC-SHA256\s+(.*)$", auth.strip())
        if not m:
            raise AuthError("incomplete", "Authorization header requires the AWS4-HMAC-SHA256 "
                                          "algorithm.")
        fields = {}
        for part in m.group(1).split(","):
            k, sep, v = part.strip().partition("=")
            if sep:
                fields[k] = v
        missing = [k for k in ("Credential", "SignedHeaders", "Signature") if k not in fields]
        if missing:
            raise AuthError("incomplete", "Authorization header requires '%s' parameter. "
                                          "Authorization=%s" % (missing[0], auth))
        stamp = headers.get("x-amz-date", [None])[0]
        when = parse_amz_date(stamp)
        if when is None:
            raise AuthError("incomplete", "Authorization header requires existence of either a "
                                          "'X-Amz-Date' or a 'Date' header.")
        akid = self.check_scope(fields["Credential"], stamp, service)
        signed = fields["SignedHeaders"].split(";")
        if "host" not in signed:
            raise AuthError("incomplete", "'Host' must be a 'SignedHeader' in the AWS "
                                          "Authorization.")
        token = headers.get("x-amz-security-token", [None])[0]
        secret, caller = self.lookup(akid, token)
        # AWS hashes the body it received; a header claiming another hash (signed for some
        # other body) cannot make the signature match.
        payload_hash = hashlib.sha256(body).hexdigest()
        claimed = headers.get("x-amz-content-sha256", [None])[0]
        if claimed is not None and claimed != payload_hash:
            self.log("x-amz-content-sha256 %s does not match the body's %s" % (claimed, payload_hash))
            raise AuthError("signature", SIGNATURE_MISMATCH)
        creq = canonical_request(method, raw_path, parse_query(raw_query), headers, signed,
                                 payload_hash)
        expected = compute_signature(secret, stamp, self.region, service, creq)
        if not hmac.compare_digest(expected, fields["Signature"]):
            self.log("signature mismatch; canonical request was:\n" + creq)
            raise AuthError("signature", SIGNATURE_MISMATCH)
        self.check_skew(stamp, when)
        return caller

    def verify_presigned(self, method, raw_path, pairs, headers, service, max_expires):
        q = {}
        for k, v in pairs:
            q.setdefault(k, v)
        if "X-Amz-Signature" not in q and "X-Amz-Credential" not in q:
            raise AuthError("missing", "Missing Authentication Token")
        for k in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
                  "X-Amz-SignedHeaders", "X-Amz-Signature"):
            if k not in q:
                raise AuthError("incomplete", "AWS query-string parameters must include '%s'. "
                                              "Re-examine the query-string parameters." % k)
        if q["X-Amz-Algorithm"] != ALGORITHM:
            raise AuthError("incomplete", "X-Amz-Algorithm only supports 'AWS4-HMAC-SHA256'")
        stamp = q["X-Amz-Date"]
        when = parse_amz_date(stamp)
        if when is None:
            raise AuthError("incomplete", "X-Amz-Date must be in the ISO8601 Long Format "
                                          "\"yyyyMMdd'T'HHmmss'Z'\"")
        try:
            expires = int(q["X-Amz-Expires"])
        except ValueError:
            expires = -1
        if not 1 <= expires <= max_expires:
            raise AuthError("incomplete", "X-Amz-Expires must be between 1 and %d seconds, got %s"
                            % (max_expires, q["X-Amz-Expires"]))
        if q["X-Amz-SignedHeaders"] != "host":
            raise AuthError("incomplete", "X-Amz-SignedHeaders must be 'host', got '%s'"
                            % q["X-Amz-SignedHeaders"])
        akid = self.check_scope(q["X-Amz-Credential"], stamp, service)
        secret, caller = self.lookup(akid, q.get("X-Amz-Security-Token"))
        creq = canonical_request(method, raw_path, pairs, headers, ["host"], EMPTY_SHA256,
                                 drop_query=("X-Amz-Signature",))
        expected = compute_signature(secret, stamp, self.region, service, creq)
        if not hmac.compare_digest(expected, q["X-Amz-Signature"]):
            self.log("presigned signature mismatch; canonical request was:\n" + creq)
            raise AuthError("signature", SIGNATURE_MISMATCH)
        now = time.time()
        if when > now + MAX_SKEW_S:
            raise AuthError("skew", "Signature not yet current: %s is still later than %s "
                                    "(%s + 5 min.)" % (stamp, amz_date(now + MAX_SKEW_S), amz_date(now)))
        if now > when + expires:
            raise AuthError("presign", "Signature expired: %s is now earlier than %s "
                                       "(X-Amz-Date + X-Amz-Expires %d s)"
                            % (amz_date(when + expires), amz_date(now), expires))
        return caller

    # ---- STS ----------------------------------------------------------------------------

    def issue(self, session_name, duration):
        akid = "ASIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits)
                                for _ in range(16))
        secret = base64.b64encode(os.urandom(30)).decode()
        token = "FwoGZXIvYXdzE" + base64.b64encode(os.urandom(180)).decode()
        with self.lock:
            limit = self.config["token_seconds"]
        life = min(duration, limit) if limit else duration
        expiration = int(time.time()) + life
        role_id = "AROA" + "".join(secrets.choice(string.ascii_uppercase + string.digits)
                                   for _ in range(17))
        arn = "arn:aws:sts::%s:assumed-role/%s/%s" % (self.account, self.role_name, session_name)
        with self.lock:
            self.issued[akid] = {"secret": secret, "token": token, "expiration": expiration,
                                 "arn": arn}
        return {"AccessKeyId": akid, "SecretAccessKey": secret, "SessionToken": token,
                "Expiration": iso8601(expiration), "Arn": arn,
                "AssumedRoleId": "%s:%s" % (role_id, session_name)}


# --------------------------------------------------------------------------------------------
# Transcribe streaming: one WebSocket session

def split_items(text):
    """Words and the trailing punctuation of `text` ("" when none)."""
    words = text.split()
    punct = ""
    if words:
        m = re.match(r"^(.*?)([.!?,;:]+)$", words[-1])
        if m:
            punct = m.group(2)
            if m.group(1):
                words[-1] = m.group(1)
            else:
                words.pop()
    return words, punct


class TranscribeSession:
    def __init__(self, fake, sock, reader, params):
        self.fake = fake
        self.sock = sock
        self.reader_file = reader
        self.send_lock = threading.Lock()
        self.lang = params["language-code"]
        self.stabilize = params.get("enable-partial-results-stabilization", "").lower() == "true"
        self.stability = params.get("partial-results-stability", "high")
        self.proc = None
        self.reader = None
        self.closed = False
        self.audio_bytes = 0
        self.utterances = {}  # utterance number -> {id, prev, locked}
        self.results_sent = 0

    # -- sending --
    def send_raw(self, data):
        with self.send_lock:
            if self.closed:
                return False
            try:
                self.sock.sendall(data)
                return True
            except OSError:
                self.closed = True
                return False

    def send_event(self, payload_obj):
        body = json.dumps(payload_obj).encode()
        msg = es_encode([(":content-type", "application/json"), (":event-type", "TranscriptEvent"),
                         (":message-type", "event")], body)
        return self.send_raw(ws_frame(0x2, msg))

    def send_exception(self, kind, message):
        self.fake.log("transcribe exception %s: %s" % (kind, message))
        body = json.dumps({"Message": message}).encode()
        msg = es_encode([(":content-type", "application/json"), (":exception-type", kind),
                         (":message-type", "exception")], body)
        self.send_raw(ws_frame(0x2, msg))

    def send_close(self, code=1000, reason=""):
        self.send_raw(ws_frame(0x8, struct.pack(">H", code) + reason.encode()[:120]))
        with self.send_lock:
            self.closed = True

    # -- the recognizer --
    def start_recognizer(self):
        if not self.fake.recognizer:
            self.fake.log("transcribe: no --recognizer, the stream gives no results")
            return
        cmd = shlex.split(self.fake.recognizer)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, bufsize=0)
        self.reader = threading.Thread(target=self.read_results, daemon=True)
        self.reader.start()

    def feed(self, pcm):
        if self.proc and pcm:
            try:
                self.proc.stdin.write(pcm)
            except (BrokenPipeError, OSError):
                pass

    def finish_recognizer(self, timeout=60):
        """EOF to the recognizer; waits for its last results."""
        if not self.proc:
            return
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.reader.join(timeout)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def kill_recognizer(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def read_results(self):
        for line in self.proc.stdout:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if not isinstance(r, dict) or not str(r.get("text", "")).strip():
                continue
            self.send_event(self.make_result(r))

    def make_result(self, r):
        final = bool(r.get("final"))
        n = r.get("utterance", 0)
        start, end = float(r.get("start", 0)), float(r.get("end", 0))
        u = self.utterances.setdefault(n, {"id": str(uuid.uuid4()), "prev": None, "locked": []})
        words, punct = split_items(str(r["text"]))
        stable = None
        if self.stabilize:
            # Words stable so far never change (as Transcribe promises): keep them, take the
            # rest from the engine's current text. A word becomes stable once it is unchanged
            # in 2 successive partials (with everything before it), or at the final.
            locked = u["locked"]
            words = locked + words[len(locked):]
            if final:
                stable = [True] * len(words)
            else:
                prev = u["prev"] or []
                same = 0
                while same < min(len(prev), len(words)) and prev[same] == words[same]:
                    same += 1
                u["locked"] = words[:max(same, len(locked))]
                stable = [i < len(u["locked"]) for i in range(len(words))]
            u["prev"] = words
        text = " ".join(words) + punct
        items = []
        step = (end - start) / len(words) if words else 0
        for i, w in enumerate(words):
            item = {"Content": w, "StartTime": round(start + i * step, 3),
                    "EndTime": round(start + (i + 1) * step, 3), "Type": "pronunciation",
                    "VocabularyFilterMatch": False}
            if stable is not None:
                item["Stable"] = stable[i]
            items.append(item)
        if punct:
            item = {"Content": punct, "StartTime": round(end, 3), "EndTime": round(end, 3),
                    "Type": "punctuation", "VocabularyFilterMatch": False}
            if stable is not None:
                item["Stable"] = final or bool(stable and stable[-1])
            items.append(item)
        if final:
            self.utterances.pop(n, None)
        self.results_sent += 1
        return {"Transcript": {"Results": [{
            "ResultId": u["id"], "StartTime": round(start, 3), "EndTime": round(end, 3),
            "IsPartial": not final, "ChannelId": "ch_0",
            "Alternatives": [{"Transcript": text, "Items": items}]}]}}

    # -- the read loop --
    def run(self):
        try:
            self.start_recognizer()
        except OSError as e:
            self.send_exception("InternalFailureException",
                                "fake_aws could not start the recognizer %r: %s"
                                % (self.fake.recognizer, e))
            self.send_close(1011)
            return "recognizer failed to start"
        self.sock.settimeout(self.fake.idle_timeout_s)
        pending = bytearray()
        pending_op = None
        try:
            while True:
                try:
                    fin, op, payload = ws_read_frame(self.reader_file)
                except socket.timeout:
                    self.kill_recognizer()
                    self.send_exception("BadRequestException",
                                        "Your request timed out because no new audio was received "
                                        "for %g seconds." % self.fake.idle_timeout_s)
                    self.send_close(1000)
                    return "idle timeout"
                if op == 0x9:
                    self.send_raw(ws_frame(0xA, payload))
                    continue
                if op == 0xA:
                    continue
                if op == 0x8:
                    self.kill_recognizer()
                    code = payload[:2] if len(payload) >= 2 else struct.pack(">H", 1000)
                    self.send_raw(ws_frame(0x8, code))
                    with self.send_lock:
                        self.closed = True
                    return "closed by the client"
                if op == 0x1:
                    self.kill_recognizer()
                    self.send_exception("BadRequestException",
                                        "Text frames are not supported; send event-stream "
                                        "messages in binary frames.")
                    self.send_close(1003)
                    return "text frame"
                if op == 0x2:
                    if pending_op is not None:
                        raise WsProtocolError("new message before the previous one ended")
                    pending_op, pending = op, bytearray(payload)
                elif op == 0x0:
                    if pending_op is None:
                        raise WsProtocolError("continuation frame without a message")
                    pending += payload
                else:
                    raise WsProtocolError("unknown opcode %d" % op)
                if len(pending) > 16 * 1024 * 1024:
                    raise WsProtocolError("message too large")
                if not fin:
                    continue
                message, pending, pending_op = bytes(pending), bytearray(), None
                done = self.on_message(message)
                if done:
                    return done
        except WsProtocolError as e:
            self.kill_recognizer()
            self.fake.log("transcribe: protocol error: %s" % e)
            self.send_close(1002, str(e))
            return "protocol error: %s" % e
        except (WsClosed, OSError) as e:
            self.kill_recognizer()
            with self.send_lock:
                self.closed = True
            return "connection lost: %s" % e
        finally:
            self.kill_recognizer()

    def on_message(self, message):
        try:
            headers, payload = es_decode(message)
        except EventStreamError as e:
            self.kill_recognizer()
            self.send_exception("BadRequestException", "Could not decode the audio stream: %s" % e)
            self.send_close(1000)
            return "bad event-stream message"
        mtype, etype = headers.get(":message-type"), headers.get(":event-type")
        if mtype != "event" or etype not in ("AudioEvent", "ConfigurationEvent"):
            self.kill_recognizer()
            self.send_exception("BadRequestException",
                                "Expected an event of type AudioEvent, got :message-type %r "
                                ":event-type %r" % (mtype, etype))
            self.send_close(1000)
            return "unexpected event"
        if etype == "ConfigurationEvent":
            return None
        if not payload:
            self.finish_recognizer()
            self.send_close(1000)
            return "end of stream"
        with self.fake.lock:
            limit = self.fake.config["stream_limit_s"]
        limit_bytes = int(limit * 32000) if limit else None
        if limit_bytes is not None and self.audio_bytes + len(payload) > limit_bytes:
            payload = payload[:max(0, limit_bytes - self.audio_bytes)]
            payload = payload[:len(payload) - len(payload) % 2]
            self.add_audio(payload)
            self.finish_recognizer()
            self.send_exception("BadRequestException",
                                "Your stream reached the maximum duration of %g seconds of audio. "
                                "Start a new stream to continue." % limit)
            self.send_close(1000)
            return "stream limit"
        self.add_audio(payload)
        return None

    def add_audio(self, pcm):
        self.audio_bytes += len(pcm)
        with self.fake.lock:
            self.fake.counters["transcribe_audio_seconds"] += len(pcm) / 32000.0
        self.feed(pcm)


# --------------------------------------------------------------------------------------------
# HTTP

class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # socketserver listens with a backlog of 5: a burst of connections (one per language
    # at once) would lose SYNs and wait a second for the retransmit.
    request_queue_size = 128
    allow_reuse_address = True


class Handler(http.server.BaseHTTPRequestHandler):
    # Headers and body go out in two writes: with Nagle on, the body waits for the client's
    # delayed ACK (40 ms) whenever a kept-alive connection is reused at once.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server_version = "FakeAWS/1.0"
    fake = None  # set by main

    def log_message(self, fmt, *args):
        self.fake.log("%s %s" % (self.client_address[0], fmt % args))

    # -- helpers --
    def header_map(self):
        out = {}
        for name, value in self.headers.items():
            out.setdefault(name.lower(), []).append(value)
        return out

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status, body, content_type, headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def json_error(self, status, code, message):
        self.reply(status, json.dumps({"__type": code, "message": message}),
                   "application/x-amz-json-1.1", [("x-amzn-ErrorType", code)])

    def xml_error(self, status, code, message, kind="Sender"):
        body = ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n    <Code>%s</Code>\n'
                '    <Message>%s</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n'
                '</ErrorResponse>\n' % (STS_NS, kind, code, xml_escape(message), uuid.uuid4()))
        self.reply(status, body, "text/xml")

    def split_target(self):
        path, _, query = self.path.partition("?")
        return path, query

    def is_loopback(self):
        try:
            return ipaddress.ip_address(self.client_address[0].split("%")[0]).is_loopback
        except ValueError:
            return False

    # -- dispatch --
    def do_GET(self):
        path, query = self.split_target()
        if path.startswith("/_fake/"):
            return self.control(path, b"")
        if path == "/stream-transcription-websocket":
            return self.transcribe(path, query)
        self.json_error(404, "UnknownOperationException", "No operation at GET %s" % path)

    def do_POST(self):
        path, query = self.split_target()
        body = self.read_body()
        if path.startswith("/_fake/"):
            return self.control(path, body)
        if self.headers.get("X-Amz-Target") is not None:
            return self.translate(path, query, body)
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("application/x-www-form-urlencoded") or b"Action=" in body:
            return self.sts(path, query, body)
        self.json_error(400, "UnknownOperationException", "Neither X-Amz-Target nor an Action")

    # -- control --
    def control(self, path, body):
        if not self.is_loopback():
            return self.reply(403, json.dumps({"message": "loopback only"}), "application/json")
        if path == "/_fake/stats" and self.command == "GET":
            return self.reply(200, json.dumps(self.fake.stats(), indent=1), "application/json")
        if path == "/_fake/reset" and self.command == "POST":
            self.fake.reset_stats()
            return self.reply(200, json.dumps(self.fake.stats()), "application/json")
        if path == "/_fake/config" and self.command == "POST":
            try:
                change = json.loads(body or b"{}")
                if not isinstance(change, dict):
                    raise ValueError("expected a JSON object")
                numeric = ("delay_ms", "token_seconds", "stream_limit_s", "max_streams")
                for k, v in change.items():
                    if k in numeric:
                        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0):
                            raise ValueError("%s: expected a number >= 0 or null" % k)
                    elif k in ("throttle_targets", "fail_targets"):
                        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                            raise ValueError("%s: expected a list of language codes" % k)
                    elif k == "terminologies":
                        if not isinstance(v, dict):
                            raise ValueError("terminologies: expected {name: {lang: {term: translation}}}")
                    else:
                        raise ValueError("unknown setting %r" % k)
            except ValueError as e:
                return self.reply(400, json.dumps({"message": str(e)}), "application/json")
            with self.fake.lock:
                self.fake.config.update(change)
                config = dict(self.fake.config)
            self.fake.log("config: %s" % json.dumps(change))
            return self.reply(200, json.dumps(config), "application/json")
        self.reply(404, json.dumps({"message": "unknown control endpoint"}), "application/json")

    # -- Translate --
    TRANSLATE_AUTH = {
        "missing": "MissingAuthenticationTokenException",
        "incomplete": "IncompleteSignatureException",
        "unknown_key": "UnrecognizedClientException",
        "invalid_token": "UnrecognizedClientException",
        "expired_token": "ExpiredTokenException",
        "signature": "InvalidSignatureException",
        "skew": "InvalidSignatureException",
        "scope": "InvalidSignatureException",
        "presign": "InvalidSignatureException",
    }

    def translate(self, path, query, body):
        try:
            self.fake.verify_header_signature("POST", path, query, self.header_map(), body,
                                              "translate")
        except AuthError as e:
            code = self.TRANSLATE_AUTH[e.kind]
            self.fake.auth_failed("translate", code, e.message, e.kind == "signature")
            return self.json_error(400, code, e.message)
        target = self.headers.get("X-Amz-Target")
        if target != TRANSLATE_TARGET:
            return self.json_error(400, "UnknownOperationException",
                                   "Unknown operation %s" % target)
        if not self.headers.get("Content-Type", "").startswith("application/x-amz-json-1.1"):
            return self.json_error(400, "SerializationException",
                                   "Expected Content-Type application/x-amz-json-1.1")
        fake = self.fake
        with fake.lock:
            fake.counters["translate_calls"] += 1
            fake.counters["translate_in_flight"] += 1
            fake.counters["translate_concurrent_max"] = max(
                fake.counters["translate_concurrent_max"], fake.counters["translate_in_flight"])
            delay = fake.config["delay_ms"] or 0
        try:
            if delay:
                time.sleep(delay / 1000.0)
            return self.translate_text(body)
        finally:
            with fake.lock:
                fake.counters["translate_in_flight"] -= 1

    def translate_text(self, body):
        try:
            req = json.loads(body or b"null")
        except ValueError:
            return self.json_error(400, "SerializationException", "Could not parse the JSON body")
        if not isinstance(req, dict):
            return self.json_error(400, "SerializationException", "Expected a JSON object")
        errors = []
        for field, member in (("Text", "text"), ("SourceLanguageCode", "sourceLanguageCode"),
                              ("TargetLanguageCode", "targetLanguageCode")):
            value = req.get(field)
            if value is None:
                errors.append("Value null at '%s' failed to satisfy constraint: Member must not "
                              "be null" % member)
            elif not isinstance(value, str):
                return self.json_error(400, "SerializationException",
                                       "%s must be a string" % field)
            elif field == "Text" and value == "":
                errors.append("Value '' at 'text' failed to satisfy constraint: Member must have "
                              "length greater than or equal to 1")
            elif field != "Text" and not 2 <= len(value) <= 5:
                errors.append("Value '%s' at '%s' failed to satisfy constraint: Member must have "
                              "length between 2 and 5" % (value, member))
        if errors:
            return self.json_error(400, "ValidationException", "%d validation error%s detected: %s"
                                   % (len(errors), "s" if len(errors) > 1 else "",
                                      "; ".join(errors)))
        text, source, target = req["Text"], req["SourceLanguageCode"], req["TargetLanguageCode"]
        size = len(text.encode("utf-8"))
        if size > 10000:
            return self.json_error(400, "TextSizeLimitExceededException",
                                   "Input text size exceeds limit. Max length of request text "
                                   "allowed is 10000 bytes while in this request the text size "
                                   "is %d bytes" % size)
        if (source != "auto" and source not in TRANSLATE_LANGUAGES) or \
                target not in TRANSLATE_LANGUAGES:
            return self.json_error(400, "UnsupportedLanguagePairException",
                                   "Unsupported language pair: %s to %s." % (source, target))
        with self.fake.lock:
            throttle = target in self.fake.config["throttle_targets"]
            fail = target in self.fake.config["fail_targets"]
        if throttle:
            return self.json_error(400, "ThrottlingException", "Rate exceeded")
        if fail:
            return self.json_error(500, "InternalServerException",
                                   "An internal error occurred (fake_aws fail_targets).")
        names = req.get("TerminologyNames", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return self.json_error(400, "SerializationException", "TerminologyNames must be a list of strings")
        if len(names) > 1:
            return self.json_error(400, "ValidationException", "1 validation error detected: Value at "
                                   "'terminologyNames' failed to satisfy constraint: Member must have "
                                   "length less than or equal to 1")
        with self.fake.lock:
            known = dict(self.fake.config["terminologies"])
            self.fake.counters.setdefault("terminology_names", [])
            self.fake.counters["terminology_names"].extend(names)
        applied = []
        translated = text
        for name in names:
            if name not in known:
                return self.json_error(400, "ResourceNotFoundException",
                                       "The resource %s you are looking for has not been found. Review "
                                       "the resource you're looking for and see if a different resource "
                                       "will accomplish your needs before retrying the revised request." % name)
            terms = []
            for term, rendering in known[name].get(target, {}).items():
                if term in translated:
                    translated = translated.replace(term, rendering)
                    terms.append({"SourceText": term, "TargetText": rendering})
            applied.append({"Name": name, "Terms": terms})
        with self.fake.lock:
            self.fake.counters["translate_ok"] += 1
            by = self.fake.counters["translate_by_target"]
            by[target] = by.get(target, 0) + 1
        out = {"TranslatedText": "[%s] %s" % (target, translated),
               "SourceLanguageCode": "en" if source == "auto" else source,
               "TargetLanguageCode": target}
        if names:
            out["AppliedTerminologies"] = applied
        self.reply(200, json.dumps(out), "application/x-amz-json-1.1")

    # -- STS --
    STS_AUTH = {
        "missing": (403, "MissingAuthenticationToken"),
        "incomplete": (400, "IncompleteSignature"),
        "unknown_key": (403, "InvalidClientTokenId"),
        "invalid_token": (403, "InvalidClientTokenId"),
        "expired_token": (403, "ExpiredToken"),
        "signature": (403, "SignatureDoesNotMatch"),
        "skew": (403, "SignatureDoesNotMatch"),
        "scope": (403, "SignatureDoesNotMatch"),
        "presign": (403, "SignatureDoesNotMatch"),
    }

    def sts(self, path, query, body):
        try:
            caller = self.fake.verify_header_signature("POST", path, query, self.header_map(),
                                                       body, "sts")
        except AuthError as e:
            status, code = self.STS_AUTH[e.kind]
            self.fake.auth_failed("sts", code, e.message, e.kind == "signature")
            return self.xml_error(status, code, e.message)
        with self.fake.lock:
            self.fake.counters["sts_calls"] += 1
        form = {}
        for k, v in urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            form.setdefault(k, v)
        action, version = form.get("Action"), form.get("Version")
        if action != "AssumeRole" or version != "2011-06-15":
            return self.xml_error(400, "InvalidAction", "Could not find operation %s for version %s"
                                  % (action, version))
        errors = []
        role_arn = form.get("RoleArn")
        if role_arn is None:
            errors.append("Value null at 'roleArn' failed to satisfy constraint: Member must not "
                          "be null")
        session = form.get("RoleSessionName")
        if session is None:
            errors.append("Value null at 'roleSessionName' failed to satisfy constraint: Member "
                          "must not be null")
        elif not re.fullmatch(r"[\w+=,.@-]{2,64}", session):
            errors.append("Value '%s' at 'roleSessionName' failed to satisfy constraint: Member "
                          "must have length between 2 and 64 and satisfy regular expression "
                          "pattern: [\\w+=,.@-]*" % session)
        duration_text = form.get("DurationSeconds", "3600")
        try:
            duration = int(duration_text)
        except ValueError:
            duration = None
            errors.append("Value '%s' at 'durationSeconds' failed to satisfy constraint: Member "
                          "must be an integer" % duration_text)
        if duration is not None and duration < 900:
            errors.append("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member "
                          "must have value greater than or equal to 900" % duration)
        elif duration is not None and duration > 43200:
            errors.append("Value '%d' at 'durationSeconds' failed to satisfy constraint: Member "
                          "must have value less than or equal to 43200" % duration)
        if errors:
            return self.xml_error(400, "ValidationError", "%d validation error%s detected: %s"
                                  % (len(errors), "s" if len(errors) > 1 else "",
                                     "; ".join(errors)))
        denied = "User: %s is not authorized to perform: sts:AssumeRole on resource: %s" % (
            caller, role_arn)
        if role_arn != self.fake.role_arn:
            self.fake.auth_failed("sts", "AccessDenied", denied)
            return self.xml_error(403, "AccessDenied", denied)
        if self.fake.external_id is not None and form.get("ExternalId") != self.fake.external_id:
            self.fake.auth_failed("sts", "AccessDenied", denied + " (ExternalId)")
            return self.xml_error(403, "AccessDenied", denied)
        c = self.fake.issue(session, duration)
        self.fake.log("sts: issued %s until %s" % (c["AccessKeyId"], c["Expiration"]))
        body = (
            '<AssumeRoleResponse xmlns="%s">\n'
            '  <AssumeRoleResult>\n'
            '    <AssumedRoleUser>\n'
            '      <Arn>%s</Arn>\n'
            '      <AssumedRoleId>%s</AssumedRoleId>\n'
            '    </AssumedRoleUser>\n'
            '    <Credentials>\n'
            '      <AccessKeyId>%s</AccessKeyId>\n'
            '      <SecretAccessKey>%s</SecretAccessKey>\n'
            '      <SessionToken>%s</SessionToken>\n'
            '      <Expiration>%s</Expiration>\n'
            '    </Credentials>\n'
            '  </AssumeRoleResult>\n'
            '  <ResponseMetadata>\n'
            '    <RequestId>%s</RequestId>\n'
            '  </ResponseMetadata>\n'
            '</AssumeRoleResponse>\n' % (
                STS_NS, xml_escape(c["Arn"]), xml_escape(c["AssumedRoleId"]), c["AccessKeyId"],
                xml_escape(c["SecretAccessKey"]), xml_escape(c["SessionToken"]), c["Expiration"],
                uuid.uuid4()))
        self.reply(200, body, "text/xml")

    # -- Transcribe streaming --
    def transcribe(self, path, query):
        pairs = parse_query(query)
        try:
            self.fake.verify_presigned("GET", path, pairs, self.header_map(), "transcribe", 300)
        except AuthError as e:
            code = self.TRANSLATE_AUTH[e.kind]
            self.fake.auth_failed("transcribe", code, e.message, e.kind == "signature")
            return self.json_error(403, code, e.message)
        params = {}
        for k, v in pairs:
            params.setdefault(k, v)
        problem = None
        if params.get("language-code") not in TRANSCRIBE_LANGUAGES:
            problem = "language-code: unsupported or missing (%r)" % params.get("language-code")
        elif params.get("media-encoding") != "pcm":
            problem = "media-encoding: this stand-in supports pcm only, got %r" % \
                      params.get("media-encoding")
        elif params.get("sample-rate") != "16000":
            problem = "sample-rate: this stand-in's recognizer needs 16000, got %r" % \
                      params.get("sample-rate")
        elif params.get("partial-results-stability", "high") not in ("high", "medium", "low"):
            problem = "partial-results-stability must be high, medium or low"
        elif "session-id" in params and not re.fullmatch(
                r"[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}",
                params["session-id"]):
            problem = "session-id must be a UUID"
        if problem:
            return self.json_error(400, "BadRequestException", problem)
        key = self.headers.get("Sec-WebSocket-Key")
        if self.headers.get("Upgrade", "").lower() != "websocket" or \
                "upgrade" not in self.headers.get("Connection", "").lower() or not key or \
                self.headers.get("Sec-WebSocket-Version") != "13":
            return self.json_error(426, "BadRequestException",
                                   "Expected a WebSocket upgrade (RFC 6455, version 13)")
        with self.fake.lock:
            max_streams = self.fake.config["max_streams"]
            over = bool(max_streams) and self.fake.counters["transcribe_active"] >= max_streams
            if not over:
                self.fake.counters["transcribe_streams"] += 1
                self.fake.counters["transcribe_active"] += 1
        session_id = params.get("session-id") or str(uuid.uuid4())
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", ws_accept(key))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("x-amzn-SessionId", session_id)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        session = TranscribeSession(self.fake, self.connection, self.rfile, params)
        if over:
            session.send_exception("LimitExceededException",
                                   "You have reached your limit of concurrent streams, %d."
                                   % max_streams)
            session.send_close(1000)
            self.linger()
            return
        self.fake.log("transcribe: stream %s (%s, stabilization %s)" % (
            session_id, session.lang, session.stability if session.stabilize else "off"))
        try:
            outcome = session.run()
        finally:
            with self.fake.lock:
                self.fake.counters["transcribe_active"] -= 1
        self.fake.log("transcribe: stream %s ended: %s (%.2f s of audio, %d results)" % (
            session_id, outcome, session.audio_bytes / 32000.0, session.results_sent))
        self.linger()

    def linger(self):
        """After our close frame: give the client a moment to answer, then close the TCP side."""
        try:
            self.connection.settimeout(2)
            while True:
                fin, op, _ = ws_read_frame(self.rfile, require_mask=False)
                if op == 0x8:
                    break
        except Exception:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=0, help="TCP port (0: pick a free one)")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--region", default="us-east-1", help="the region credential scopes must name")
    p.add_argument("--keys", default=DEFAULT_KEYS, help="accepted long-term keys AKID:SECRET[,...]")
    p.add_argument("--role-arn", default=DEFAULT_ROLE, help="the one role AssumeRole accepts")
    p.add_argument("--external-id", help="ExternalId AssumeRole must carry")
    p.add_argument("--token-seconds", type=int, default=None,
                   help="issued credentials live min(DurationSeconds, N) s (N may be < 900)")
    p.add_argument("--delay-ms", type=int, default=0, help="delay of each TranslateText")
    p.add_argument("--stream-limit-s", type=float, default=None,
                   help="end a Transcribe stream after N s of audio (BadRequestException)")
    p.add_argument("--max-streams", type=int, default=0,
                   help="concurrent Transcribe streams before LimitExceededException (0: no limit)")
    p.add_argument("--idle-timeout-s", type=float, default=15.0,
                   help="a Transcribe stream without frames for this long is ended (AWS: 15 s)")
    p.add_argument("--recognizer", help="command reading s16le 16 kHz mono PCM on stdin and "
                                        "printing JSON result lines (default: $LT_STT_PIPE)")
    p.add_argument("--log", help="append a request log to this file")
    args = p.parse_args(argv)

    fake = Fake(args)
    Handler.fake = fake
    server = Server((args.host, args.port), Handler)
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    fake.log("listening on %s:%d (region %s)" % (args.host, port, args.region))

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
