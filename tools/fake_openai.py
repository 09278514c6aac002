#!/usr/bin/env python3
"""fake_openai.py: a local stand-in for an OpenAI-compatible server (transcription and chat), for tests.

Serves POST /v1/audio/transcriptions on 127.0.0.1 in the shape of OpenAI's published API
reference ("Create transcription"): a multipart/form-data body with `file` (an audio file)
and `model`, optional `language`, `prompt`, `response_format` (json or text); the answer is
{"text": "..."}; errors are {"error": {"message", "type", "param", "code"}} with the HTTP
status. With --key, a request must carry "Authorization: Bearer <key>" (else 401 with
code "invalid_api_key", as OpenAI answers).

The recognition is real: the uploaded WAV (which must be 16 kHz mono 16-bit PCM, what
lt-speech sends) is piped through --recognizer (tools' lt-stt-pipe: the project's
pocketsphinx engine) and the finals it prints are joined into the text.

It also serves POST /v1/chat/completions in the shape of OpenAI's published "Create chat
completion" (non-streaming): a JSON body {model, messages: [{role, content}], temperature}; the
answer is {id, object: "chat.completion", created, model, choices: [{index, message: {role:
"assistant", content}, finish_reason: "stop"}], usage}. It stands in for an LLM that
translates (lt-server --translator openai): the target language is read in words from the
system message ("... into Spanish ..."), the last user message is the caption, and the answer
is "[es] " plus the caption with the words of a small table replaced (good morning -> buenos
días), enough to assert on. It insists on temperature 0 and a non-empty model (with --model,
that one: else 404 model_not_found, as OpenAI answers).

This is not OpenAI, nor faster-whisper/speaches, nor Ollama: it checks what lt-speech and
lt-server must get right (multipart shape, WAV format, chat request shape, model, key,
temperature) and nothing more.

Control endpoints (loopback clients):
  GET  /_fake/stats   {"requests", "transcriptions", "partials", "finals", "rejected",
                       "failed", "dropped", "max_concurrent" (most transcriptions answered at
                       once), "log": [{"bytes", "seconds", "prompt", "language",
                       "model", "text"}, ...]}. A transcription whose audio is a strict prefix
                       of a later one's is counted as a partial (lt-speech re-sends the growing
                       utterance), the others as finals. Chat: "chats" (answered),
                       "chat_by_target" ({"es": 2, ...}), "chat_log": [{"model",
                       "temperature", "messages", "target", "answer"}, ...].
  POST /_fake/config  JSON changing any of: fail_next (answer the next N transcriptions or
                      chats with fail_status), fail_status (500; 429 too), down (true: every
                      transcription or chat request's connection is closed without an
                      answer, as a crashed server; false: back), delay_ms (before each
                      answer), key, model (the only model accepted; "" any), reply: how chat
                      answers are dressed, as small LLMs do: "plain" (default), "quotes"
                      ("..."), "curly" (“...”), "prefix" ("Translation: ..."), "explain"
                      (the translation, a blank line, a note), "empty", "long" (the
                      translation five times over)
  POST /_fake/reset   zeroes the counters and the log

With --tls-cert/--tls-key it serves HTTPS. Standard library only. Run with --help for the flags.
"""

import argparse
import json
import os
import re
import shlex
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_mt_common as common  # noqa: E402

MAX_BODY = 25 * 1024 * 1024  # OpenAI's documented upload limit

# English names (as lt-server's prompt uses them) to codes, for reading the target language.
LANGUAGES = {"English": "en", "Spanish": "es", "French": "fr", "German": "de", "Italian": "it",
             "Portuguese": "pt", "Chinese": "zh", "Japanese": "ja", "Korean": "ko", "Arabic": "ar",
             "Russian": "ru", "Hindi": "hi", "Dutch": "nl", "Polish": "pl", "Turkish": "tr",
             "Catalan": "ca"}

# A few words per language: enough that a test sees the caption was translated, and into what.
WORDS = {
    "es": {"good": "buenos", "morning": "días", "hello": "hola", "everyone": "todos", "welcome": "bienvenidos",
           "thanks": "gracias", "thank": "gracias", "you": "tú", "please": "por favor", "the": "el"},
    "fr": {"good": "bon", "morning": "matin", "hello": "bonjour", "everyone": "tout le monde",
           "welcome": "bienvenue", "thanks": "merci", "please": "s'il vous plaît", "the": "le"},
    "de": {"good": "guten", "morning": "Morgen", "hello": "hallo", "everyone": "alle", "welcome": "willkommen",
           "thanks": "danke", "please": "bitte", "the": "die"},
    "ja": {"good": "良い", "morning": "朝", "hello": "こんにちは", "everyone": "皆さん", "welcome": "ようこそ",
           "thanks": "ありがとう"},
}
TARGET_RE = re.compile(r"\binto (" + "|".join(LANGUAGES) + r")\b")


def translate_words(text, lang):
    """The caption with the table's words replaced, case kept for the first letter."""
    table = WORDS.get(lang, {})

    def swap(m):
        w = m.group(0)
        t = table.get(w.lower())
        if t is None:
            return w
        return t[:1].upper() + t[1:] if w[:1].isupper() else t
    return "[%s] %s" % (lang, re.sub(r"[A-Za-z']+", swap, text))


def dress(answer, reply):
    """The answer as a chatty model might wrap it."""
    if reply == "quotes":
        return '"%s"' % answer
    if reply == "curly":
        return "\u201c%s\u201d" % answer
    if reply == "prefix":
        return "Translation: " + answer
    if reply == "explain":
        return answer + "\n\nNote: I kept the tone informal, as the original is spoken."
    if reply == "empty":
        return ""
    if reply == "long":
        return " ".join([answer] * 5)
    return answer


class Fake:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.recognizer = args.recognizer
        self.key = args.key
        self.fail_next = 0
        self.fail_status = 500
        self.down = False
        self.delay_ms = 0
        self.model = args.model or ""
        self.reply = "plain"
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
            self.chat_log = []  # chats answered

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
        with self.lock:
            out["chat_log"] = list(self.chat_log)
        out["chats"] = len(out["chat_log"])
        by_target = {}
        for c in out["chat_log"]:
            by_target[c["target"]] = by_target.get(c["target"], 0) + 1
        out["chat_by_target"] = by_target
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


class Handler(common.JsonHandler):
    server_version = "FakeOpenAI/1.0"
    name = "fake_openai"
    fake = None

    def error(self, status, message, etype, param=None, code=None):
        self.reply(status, {"error": {"message": message, "type": etype, "param": param, "code": code}})

    def read_body(self):
        if int(self.headers.get("Content-Length") or 0) > MAX_BODY:
            raise BadRequest("the upload is larger than 25 MB")
        return super().read_body()

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
        if self.path not in ("/v1/audio/transcriptions", "/v1/chat/completions"):
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
            if fail_status == 429:
                return self.error(429, "Rate limit reached for requests. Please try again in 1s.",
                                  "requests", code="rate_limit_exceeded")
            return self.error(fail_status, "The server had an error while processing your request.",
                              "server_error")
        if self.path == "/v1/chat/completions":
            return self.chat(body, delay)
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

    def chat(self, body, delay):
        f = self.fake
        try:
            if self.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
                raise BadRequest("Content-Type must be application/json")
            try:
                req = json.loads(body)
            except ValueError:
                raise BadRequest("We could not parse the JSON body of your request.")
            if not isinstance(req, dict):
                raise BadRequest("the body must be a JSON object")
            model = req.get("model")
            if not isinstance(model, str) or not model:
                raise BadRequest("you must provide a model parameter", "model")
            messages = req.get("messages")
            if not isinstance(messages, list) or not messages:
                raise BadRequest("'messages' must be a non-empty array", "messages")
            for m in messages:
                if (not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant")
                        or not isinstance(m.get("content"), str)):
                    raise BadRequest("each message needs a role (system, user, assistant) and a string "
                                     "content", "messages")
            max_tokens = req.get("max_tokens")
            if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
                raise BadRequest("max_tokens must be a positive integer", "max_tokens")
            if req.get("stream"):
                raise BadRequest("this stand-in answers non-streaming requests only", "stream")
            temperature = req.get("temperature")
            if temperature != 0:
                raise BadRequest("this stand-in requires temperature 0 (got %r)" % (temperature,), "temperature")
            system = " ".join(m["content"] for m in messages if m["role"] == "system")
            found = TARGET_RE.search(system)
            if not found:
                raise BadRequest("the system message does not say which language to translate into "
                                 "(\"into <English name>\")", "messages")
            users = [m["content"] for m in messages if m["role"] == "user"]
            if not users:
                raise BadRequest("no user message to translate", "messages")
        except BadRequest as e:
            with f.lock:
                f.rejected += 1
            return self.error(400, str(e), "invalid_request_error", e.param, e.code)
        with f.lock:
            wanted, reply = f.model, f.reply
        if wanted and model != wanted:
            with f.lock:
                f.rejected += 1
            return self.error(404, "The model `%s` does not exist or you do not have access to it." % model,
                              "invalid_request_error", code="model_not_found")
        target = LANGUAGES[found.group(1)]
        answer = dress(translate_words(users[-1], target), reply)
        with f.lock:
            f.active += 1
            f.max_active = max(f.max_active, f.active)
        try:
            if delay:
                time.sleep(delay / 1000)
        finally:
            with f.lock:
                f.active -= 1
        with f.lock:
            f.chat_log.append({"model": model, "temperature": temperature, "messages": messages,
                               "target": target, "answer": answer})
            del f.chat_log[:-1000]
            n = len(f.chat_log)
        words = lambda t: len(t.split())
        self.reply(200, {
            "id": "chatcmpl-fake%06d" % n, "object": "chat.completion", "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": sum(words(m["content"]) for m in messages),
                      "completion_tokens": words(answer),
                      "total_tokens": sum(words(m["content"]) for m in messages) + words(answer)}})

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
                if "model" in c:
                    f.model = str(c["model"] or "")
                if "reply" in c:
                    if c["reply"] not in ("plain", "quotes", "curly", "prefix", "explain", "empty", "long"):
                        raise ValueError("unknown reply style %r" % (c["reply"],))
                    f.reply = c["reply"]
                now = {"fail_next": f.fail_next, "fail_status": f.fail_status, "down": f.down,
                       "delay_ms": f.delay_ms, "key": f.key, "model": f.model, "reply": f.reply}
        except (ValueError, TypeError) as e:
            return self.reply(400, {"error": str(e)})
        self.reply(200, now)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0, help="TCP port (0: pick a free one)")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--key", help="API key requests must carry as Bearer (default: none needed)")
    p.add_argument("--model", help="the only chat model accepted (default: any non-empty name)")
    p.add_argument("--recognizer", help="command reading s16le 16 kHz mono PCM on stdin and printing "
                   "lt-stt-pipe's JSON lines (default: none, every text is empty)")
    p.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (with --tls-key)")
    p.add_argument("--tls-key", help="the certificate's PEM private key")
    p.add_argument("-v", "--verbose", action="store_true", help="log requests on stderr")
    args = p.parse_args(argv)
    Handler.fake = Fake(args)
    Handler.quiet = not args.verbose
    common.serve(Handler, args.port, args.port_file, args.tls_cert, args.tls_key)


if __name__ == "__main__":
    main()
