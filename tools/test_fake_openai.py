#!/usr/bin/env python3
"""Tests of tools/fake_openai.py by itself (standard library unittest).

Starts the fake with a key and lt-stt-pipe ($LT_STT_PIPE) as its recognizer, and sends it
what a client of OpenAI's transcription API sends, right and wrong: it must answer a valid
upload with the clip's words, and refuse a missing key, a missing file or model and a WAV
that is not 16 kHz mono 16-bit with OpenAI's error shape.

The chat part (lt-server's openai translator) runs its own fake, without a recognizer: it
must answer in OpenAI's chat.completion shape, into the language the system message names,
refuse a wrong key, model or temperature in OpenAI's error shape, and dress its answers and
fail as /_fake/config asks.
"""

import http.client
import json
import os
import struct
import time
import unittest
import wave

from fake_test_base import FakeServiceTest

CLIP = "/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav"
KEY = "sk-fake-test"


def wav_bytes(pcm, rate=16000, channels=1):
    return (b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt " +
            struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16) +
            b"data" + struct.pack("<I", len(pcm)) + pcm)


def multipart(fields, file_bytes=None, boundary="XyZ123boundary"):
    body = b""
    if file_bytes is not None:
        body += (b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; name=\"file\"; "
                 b"filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n" + file_bytes + b"\r\n")
    for k, v in fields.items():
        body += (b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; name=\"" + k.encode() +
                 b"\"\r\n\r\n" + v.encode() + b"\r\n")
    body += b"--" + boundary.encode() + b"--\r\n"
    return body, "multipart/form-data; boundary=" + boundary


class FakeOpenAITest(FakeServiceTest):
    SCRIPT = "fake_openai.py"
    HTTP_TIMEOUT = 60

    @classmethod
    def fake_args(cls):
        pipe = os.environ.get("LT_STT_PIPE")
        if not pipe or not os.access(pipe, os.X_OK):
            raise RuntimeError("LT_STT_PIPE must name the built lt-stt-pipe")
        return ["--key", KEY, "--recognizer", pipe]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with wave.open(CLIP) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
            cls.pcm = w.readframes(w.getnframes())

    def request(self, method, path, body=b"", headers=None):
        status, _, data = self.http(method, path, body, (headers or {}).items())
        return status, data

    def transcribe(self, fields, file_bytes, key=KEY, ctype=None):
        body, ct = multipart(fields, file_bytes)
        headers = {"Content-Type": ctype or ct}
        if key:
            headers["Authorization"] = "Bearer " + key
        status, data = self.request("POST", "/v1/audio/transcriptions", body, headers)
        return status, json.loads(data)

    def control(self, config):
        return self.request("POST", "/_fake/config", json.dumps(config).encode(),
                            {"Content-Type": "application/json"})

    def setUp(self):
        self.request("POST", "/_fake/reset")
        self.control({"down": False, "fail_next": 0})

    def test_a_valid_upload_is_recognised(self):
        status, j = self.transcribe({"model": "whisper-1", "language": "en", "prompt": "Before."},
                                    wav_bytes(self.pcm))
        self.assertEqual(status, 200, j)
        words = j["text"].lower().strip(".").split()
        self.assertIn("young", words)
        self.assertIn("man", words)
        log = json.loads(self.request("GET", "/_fake/stats")[1])["log"]
        self.assertEqual((log[0]["model"], log[0]["language"], log[0]["prompt"]), ("whisper-1", "en", "Before."))

    def test_a_wrong_or_missing_key_is_401_in_openais_shape(self):
        for key in ("sk-wrong", None):
            status, j = self.transcribe({"model": "whisper-1"}, wav_bytes(self.pcm[:3200]), key=key)
            self.assertEqual(status, 401)
            self.assertEqual(j["error"]["code"], "invalid_api_key")
            self.assertEqual(j["error"]["type"], "invalid_request_error")
            self.assertIn("Incorrect API key", j["error"]["message"])

    def test_bad_uploads_are_400_naming_the_problem(self):
        cases = [
            ({"model": "whisper-1"}, None, None, "provide a file"),
            ({}, wav_bytes(self.pcm[:3200]), None, "model"),
            ({"model": "whisper-1"}, wav_bytes(self.pcm[:3200], rate=8000), None, "16 kHz mono"),
            ({"model": "whisper-1"}, wav_bytes(self.pcm[:3200], channels=2), None, "16 kHz mono"),
            ({"model": "whisper-1"}, b"ID3 not a wav at all" * 4, None, "not a WAV"),
            ({"model": "whisper-1"}, wav_bytes(self.pcm[:3200]), "application/json", "multipart/form-data"),
        ]
        for fields, data, ctype, needle in cases:
            status, j = self.transcribe(fields, data, ctype=ctype)
            self.assertEqual(status, 400, (fields, needle, j))
            self.assertIn(needle, j["error"]["message"])

    def test_failures_and_outage_then_partial_and_final_counts(self):
        self.control({"fail_next": 1, "fail_status": 503})
        status, j = self.transcribe({"model": "m"}, wav_bytes(self.pcm[:16000]))
        self.assertEqual(status, 503)
        self.assertEqual(j["error"]["type"], "server_error")
        self.control({"down": True})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.transcribe({"model": "m"}, wav_bytes(self.pcm[:16000]))
        self.control({"down": False})
        for n in (16000, 32000, len(self.pcm)):  # a growing utterance: two partials, a final
            self.assertEqual(self.transcribe({"model": "m"}, wav_bytes(self.pcm[:n]))[0], 200)
        st = json.loads(self.request("GET", "/_fake/stats")[1])
        self.assertEqual((st["requests"], st["failed"], st["dropped"]), (5, 1, 1))
        self.assertEqual((st["partials"], st["finals"]), (2, 1))


class FakeOpenAIChatTest(FakeServiceTest):
    SCRIPT = "fake_openai.py"
    HTTP_TIMEOUT = 60
    MODEL = "llama3.1:8b"

    @classmethod
    def fake_args(cls):
        return ["--key", KEY, "--model", cls.MODEL]

    request = FakeOpenAITest.request
    control = FakeOpenAITest.control

    def setUp(self):
        self.request("POST", "/_fake/reset")
        self.assertEqual(self.control({"down": False, "fail_next": 0, "reply": "plain", "delay_ms": 0})[0], 200)

    def chat(self, text, language="Spanish", key=KEY, model=MODEL, temperature=0, extra=None):
        body = {"model": model, "temperature": temperature, "messages": [
            {"role": "system", "content": "Translate the caption from English into %s. Answer with the "
                                          "translation only." % language},
            {"role": "user", "content": text}]}
        body.update(extra or {})
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = "Bearer " + key
        status, data = self.request("POST", "/v1/chat/completions", json.dumps(body).encode(), headers)
        return status, json.loads(data)

    def content(self, j):
        return j["choices"][0]["message"]["content"]

    def test_an_answer_in_openais_shape_into_the_named_language(self):
        status, j = self.chat("Good morning, everyone.")
        self.assertEqual(status, 200, j)
        self.assertEqual(j["object"], "chat.completion")
        self.assertEqual(j["model"], self.MODEL)
        self.assertTrue(j["id"].startswith("chatcmpl-"))
        choice = j["choices"][0]
        self.assertEqual((choice["index"], choice["finish_reason"]), (0, "stop"))
        self.assertEqual(choice["message"]["role"], "assistant")
        self.assertEqual(choice["message"]["content"], "[es] Buenos días, todos.")
        self.assertGreater(j["usage"]["total_tokens"], 0)
        self.assertEqual(self.content(self.chat("Good morning.", "German")[1]), "[de] Guten Morgen.")
        self.assertEqual(self.content(self.chat("Hello.", "Korean")[1]), "[ko] Hello.")
        st = json.loads(self.request("GET", "/_fake/stats")[1])
        self.assertEqual(st["chats"], 3)
        self.assertEqual(st["chat_by_target"], {"es": 1, "de": 1, "ko": 1})
        first = st["chat_log"][0]
        self.assertEqual((first["model"], first["temperature"], first["target"]), (self.MODEL, 0, "es"))
        self.assertEqual(first["messages"][1], {"role": "user", "content": "Good morning, everyone."})

    def test_key_model_and_temperature_are_checked_in_openais_error_shape(self):
        for key in ("sk-wrong", None):
            status, j = self.chat("Hello.", key=key)
            self.assertEqual(status, 401)
            self.assertEqual(j["error"]["code"], "invalid_api_key")
        status, j = self.chat("Hello.", model="gpt-9")
        self.assertEqual(status, 404)
        self.assertEqual(j["error"]["code"], "model_not_found")
        self.assertIn("gpt-9", j["error"]["message"])
        for t in (0.7, None):
            status, j = self.chat("Hello.", temperature=t)
            self.assertEqual(status, 400, t)
            self.assertEqual(j["error"]["param"], "temperature")
        status, j = self.chat("Hello.", language="Klingon")
        self.assertEqual(status, 400)
        self.assertIn("which language", j["error"]["message"])
        status, j = self.chat("Hello.", extra={"messages": [{"role": "user"}]})
        self.assertEqual(status, 400)
        status, j = self.chat("Hello.", extra={"stream": True})
        self.assertEqual((status, j["error"]["param"]), (400, "stream"))
        self.assertEqual(json.loads(self.request("GET", "/_fake/stats")[1])["chats"], 0)

    def test_answers_dressed_as_chatty_models_do(self):
        cases = {"plain": "[es] Hola.", "quotes": '"[es] Hola."', "curly": "\u201c[es] Hola.\u201d",
                 "prefix": "Translation: [es] Hola.", "empty": "", "long": " ".join(["[es] Hola."] * 5)}
        for reply, want in cases.items():
            self.control({"reply": reply})
            self.assertEqual(self.content(self.chat("Hello.")[1]), want, reply)
        self.control({"reply": "explain"})
        got = self.content(self.chat("Hello.")[1])
        self.assertTrue(got.startswith("[es] Hola.\n\n"), got)
        self.assertGreater(len(got), 30)
        self.assertEqual(self.control({"reply": "poem"})[0], 400)

    def test_429_500_delay_and_outage(self):
        self.control({"fail_next": 1, "fail_status": 429})
        status, j = self.chat("Hello.")
        self.assertEqual((status, j["error"]["code"]), (429, "rate_limit_exceeded"))
        self.control({"fail_next": 1, "fail_status": 500})
        status, j = self.chat("Hello.")
        self.assertEqual((status, j["error"]["type"]), (500, "server_error"))
        self.control({"delay_ms": 300})
        start = time.monotonic()
        self.assertEqual(self.chat("Hello.")[0], 200)
        self.assertGreaterEqual(time.monotonic() - start, 0.3)
        self.control({"delay_ms": 0, "down": True})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.chat("Hello.")
        st = json.loads(self.request("GET", "/_fake/stats")[1])
        self.assertEqual((st["requests"], st["failed"], st["dropped"], st["chats"]), (4, 2, 1, 1))


if __name__ == "__main__":
    unittest.main()
