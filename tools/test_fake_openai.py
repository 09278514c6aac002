#!/usr/bin/env python3
"""Tests of tools/fake_openai.py by itself (standard library unittest).

Starts the fake with a key and lt-stt-pipe ($LT_STT_PIPE) as its recognizer, and sends it
what a client of OpenAI's transcription API sends, right and wrong: it must answer a valid
upload with the clip's words, and refuse a missing key, a missing file or model and a WAV
that is not 16 kHz mono 16-bit with OpenAI's error shape.
"""

import http.client
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
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


class FakeOpenAITest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        pipe = os.environ.get("LT_STT_PIPE")
        if not pipe or not os.access(pipe, os.X_OK):
            raise RuntimeError("LT_STT_PIPE must name the built lt-stt-pipe")
        cls.dir = tempfile.TemporaryDirectory()
        port_file = os.path.join(cls.dir.name, "port")
        cls.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "fake_openai.py"), "--port", "0",
                                     "--port-file", port_file, "--key", KEY, "--recognizer", pipe])
        for _ in range(200):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        with open(port_file) as f:
            cls.port = int(f.read())
        with wave.open(CLIP) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
            cls.pcm = w.readframes(w.getnframes())

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(10)
        cls.dir.cleanup()

    def request(self, method, path, body=b"", headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            c.request(method, path, body, headers or {})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

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


if __name__ == "__main__":
    unittest.main()
