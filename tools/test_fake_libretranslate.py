#!/usr/bin/env python3
"""Tests of tools/fake_libretranslate.py by itself (standard library unittest).

Sends it what a LibreTranslate client sends, right and wrong: it must list its languages,
translate a valid request into the marked word-table text, refuse a wrong or missing key, a
missing field, an unknown language and a non-JSON body in LibreTranslate's {"error"} shape, and
obey its controls (forced 429 and 5xx, a target that always fails, an outage, a delay).
"""

import http.client
import json
import time
import unittest

from fake_test_base import FakeServiceTest

KEY = "lt-test-key"


class FakeLibreTranslateTest(FakeServiceTest):
    SCRIPT = "fake_libretranslate.py"

    @classmethod
    def fake_args(cls):
        return ["--key", KEY]

    def request(self, method, path, body=b"", headers=None):
        status, _, data = self.http(method, path, body, (headers or {}).items())
        return status, json.loads(data or b"null")

    def translate(self, fields, ctype="application/json"):
        return self.request("POST", "/translate", json.dumps(fields).encode(), {"Content-Type": ctype})

    def control(self, config):
        return self.request("POST", "/_fake/config", json.dumps(config).encode(),
                            {"Content-Type": "application/json"})

    def setUp(self):
        self.request("POST", "/_fake/reset")
        self.control({"down": False, "fail_next": 0, "rate_limit_next": 0, "fail_targets": {}, "delay_ms": 0,
                      "key": KEY})

    def test_languages_list_sources_with_their_targets(self):
        status, langs = self.request("GET", "/languages")
        self.assertEqual(status, 200)
        by_code = {l["code"]: l for l in langs}
        self.assertIn("zh-Hans", by_code)
        self.assertEqual(by_code["en"]["name"], "English")
        self.assertIn("es", by_code["en"]["targets"])
        self.assertNotIn("en", by_code["en"]["targets"])
        self.control({"languages": ["en", "es"]})
        self.assertEqual(self.request("GET", "/languages")[1],
                         [{"code": "en", "name": "English", "targets": ["es"]},
                          {"code": "es", "name": "Spanish", "targets": ["en"]}])
        self.control({"languages": ["en", "es", "fr", "de", "it", "pt", "zh-Hans", "zh-Hant", "ja", "nl", "uk"]})
        self.assertEqual(self.request("GET", "/_fake/stats")[1]["languages_calls"], 2)

    def test_a_valid_request_is_translated_with_the_marker(self):
        status, j = self.translate({"q": "Good morning, everyone.", "source": "en", "target": "es",
                                    "format": "text", "api_key": KEY})
        self.assertEqual((status, j), (200, {"translatedText": "[es] Buenos días, todos."}))
        status, j = self.translate({"q": "Hello", "source": "en", "target": "zh-Hans", "api_key": KEY})
        self.assertEqual(j["translatedText"], "[zh-Hans] 你好")
        st = self.request("GET", "/_fake/stats")[1]
        self.assertEqual((st["translate_calls"], st["by_target"]), (2, {"es": 1, "zh-Hans": 1}))
        self.assertEqual(st["log"][0]["api_key"], KEY)

    def test_keys_wrong_is_403_missing_is_400(self):
        status, j = self.translate({"q": "Hello", "source": "en", "target": "es", "api_key": "nope"})
        self.assertEqual((status, j), (403, {"error": "Invalid API key"}))
        status, j = self.translate({"q": "Hello", "source": "en", "target": "es"})
        self.assertEqual(status, 400)
        self.assertIn("API key", j["error"])
        self.control({"key": None})
        self.assertEqual(self.translate({"q": "Hello", "source": "en", "target": "es"})[0], 200)

    def test_bad_requests_are_400_naming_the_problem(self):
        base = {"q": "Hello", "source": "en", "target": "es", "api_key": KEY}
        cases = [
            ({k: v for k, v in base.items() if k != "q"}, "missing q"),
            ({k: v for k, v in base.items() if k != "target"}, "missing target"),
            (dict(base, target="xx"), "xx is not supported"),
            (dict(base, source="ko"), "ko is not supported"),
            (dict(base, target="en"), "not available as a target language"),
            (dict(base, format="markdown"), "markdown format is not supported"),
            (dict(base, q=["a", "b"]), "one text per request"),
        ]
        for fields, needle in cases:
            status, j = self.translate(fields)
            self.assertEqual(status, 400, (fields, j))
            self.assertIn(needle, j["error"])
        status, j = self.translate(base, ctype="application/x-www-form-urlencoded")
        self.assertEqual(status, 400)
        self.assertIn("application/json", j["error"])
        self.assertEqual(self.request("GET", "/_fake/stats")[1]["rejected"], len(cases) + 1)

    def test_controls_force_statuses_outage_and_delay(self):
        ok = {"q": "Thanks", "source": "en", "target": "fr", "api_key": KEY}
        self.control({"rate_limit_next": 1, "fail_next": 1, "fail_status": 503, "fail_targets": {"de": 500}})
        status, j = self.translate(ok)
        self.assertEqual(status, 429)
        self.assertTrue(j["error"].startswith("Slowdown:"))
        self.assertEqual(self.translate(ok)[0], 503)
        self.assertEqual(self.translate(ok), (200, {"translatedText": "[fr] Merci"}))
        status, j = self.translate(dict(ok, target="de"))
        self.assertEqual(status, 500)
        self.assertIn("Cannot translate text", j["error"])
        self.control({"down": True})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.translate(ok)
        self.control({"down": False, "delay_ms": 300})
        start = time.monotonic()
        self.assertEqual(self.translate(ok)[0], 200)
        self.assertGreaterEqual(time.monotonic() - start, 0.3)
        st = self.request("GET", "/_fake/stats")[1]
        self.assertEqual((st["rate_limited"], st["failed"], st["dropped"], st["translate_calls"]), (1, 2, 1, 2))


if __name__ == "__main__":
    unittest.main()
