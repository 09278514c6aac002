#!/usr/bin/env python3
"""Tests of tools/fake_deepl.py by itself (standard library unittest).

Sends it what a DeepL API client sends, right and wrong: it must list target and source
languages, translate a valid request into the marked word-table text, refuse a wrong or missing
key with 403, a bad body or language with 400 and an exhausted quota with 456, in DeepL's
{"message"} shape, and obey its controls (forced 429 with Retry-After, 5xx, an outage).
"""

import http.client
import json
import unittest

from fake_test_base import FakeServiceTest

KEY = "0123abcd-test:fx"


class FakeDeepLTest(FakeServiceTest):
    SCRIPT = "fake_deepl.py"

    @classmethod
    def fake_args(cls):
        return ["--key", KEY]

    def request(self, method, path, body=b"", headers=None):
        status, h, data = self.http(method, path, body, (headers or {}).items())
        return status, json.loads(data or b"null"), h

    def translate(self, fields, key=KEY, ctype="application/json"):
        headers = {"Content-Type": ctype}
        if key:
            headers["Authorization"] = "DeepL-Auth-Key " + key
        status, j, _ = self.request("POST", "/v2/translate", json.dumps(fields).encode(), headers)
        return status, j

    def control(self, config):
        return self.request("POST", "/_fake/config", json.dumps(config).encode(),
                            {"Content-Type": "application/json"})

    def setUp(self):
        self.request("POST", "/_fake/reset")
        self.control({"down": False, "fail_next": 0, "rate_limit_next": 0, "fail_targets": {}, "quota": None,
                      "key": KEY, "target_languages": None})

    def test_languages_by_type_need_the_key(self):
        auth = {"Authorization": "DeepL-Auth-Key " + KEY}
        status, targets, _ = self.request("GET", "/v2/languages?type=target", headers=auth)
        self.assertEqual(status, 200)
        codes = {t["language"] for t in targets}
        self.assertTrue({"EN-US", "EN-GB", "PT-BR", "PT-PT", "ZH-HANS", "DE", "JA"} <= codes)
        self.assertNotIn("EN", codes)
        self.assertTrue(all("supports_formality" in t for t in targets))
        status, sources, _ = self.request("GET", "/v2/languages?type=source", headers=auth)
        self.assertIn({"language": "EN", "name": "English"}, sources)
        self.assertEqual(self.request("GET", "/v2/languages?type=target")[0], 403)
        self.control({"target_languages": ["DE", "ES"]})
        status, targets, _ = self.request("GET", "/v2/languages?type=target", headers=auth)
        self.assertEqual([t["language"] for t in targets], ["DE", "ES"])

    def test_a_valid_request_is_translated_with_the_marker(self):
        status, j = self.translate({"text": ["Good morning, everyone.", "Thanks"], "target_lang": "PT-BR",
                                    "source_lang": "EN"})
        self.assertEqual(status, 200, j)
        self.assertEqual(j, {"translations": [
            {"detected_source_language": "EN", "text": "[PT-BR] Bom dia, todos."},
            {"detected_source_language": "EN", "text": "[PT-BR] Obrigado"}]})
        self.assertEqual(self.translate({"text": ["Hello"], "target_lang": "zh-hans"})[1]["translations"][0]["text"],
                         "[ZH-HANS] 你好")
        st = self.request("GET", "/_fake/stats")[1]
        self.assertEqual(st["by_target"], {"PT-BR": 1, "ZH-HANS": 1})
        self.assertEqual(st["characters"], len("Good morning, everyone.") + len("Thanks") + len("Hello"))

    def test_glossaries_are_created_listed_applied_and_deleted(self):
        auth = {"Authorization": "DeepL-Auth-Key " + KEY, "Content-Type": "application/json"}
        body = {"name": "event", "source_lang": "en", "target_lang": "es",
                "entries": "keynote\tponencia principal\nAcme\tAcme", "entries_format": "tsv"}
        status, g, _ = self.request("POST", "/v2/glossaries", json.dumps(body).encode(), auth)
        self.assertEqual(status, 201, g)
        self.assertEqual((g["source_lang"], g["target_lang"], g["entry_count"], g["ready"]), ("en", "es", 2, True))
        status, listed, _ = self.request("GET", "/v2/glossaries", headers=auth)
        self.assertIn(g["glossary_id"], [x["glossary_id"] for x in listed["glossaries"]])
        status, j = self.translate({"text": ["Hello, the Acme keynote"], "target_lang": "ES", "source_lang": "EN",
                                    "glossary_id": g["glossary_id"]})
        self.assertEqual((status, j["translations"][0]["text"]), (200, "[ES] Hola, el Acme ponencia principal"))
        # A glossary needs source_lang, and the pair must match.
        self.assertEqual(self.translate({"text": ["Hi"], "target_lang": "ES", "glossary_id": g["glossary_id"]})[0],
                         400)
        self.assertEqual(self.translate({"text": ["Hi"], "target_lang": "FR", "source_lang": "EN",
                                         "glossary_id": g["glossary_id"]})[0], 400)
        for bad in ({"target_lang": "xx"}, {"target_lang": "en"}, {"entries": "no tab here"}, {"name": ""}):
            status, j, _ = self.request("POST", "/v2/glossaries", json.dumps(dict(body, **bad)).encode(), auth)
            self.assertEqual(status, 400, bad)
            self.assertTrue(j["message"])
        self.assertEqual(self.request("POST", "/v2/glossaries", json.dumps(body).encode(),
                                      {"Content-Type": "application/json"})[0], 403)
        pairs = self.request("GET", "/v2/glossary-language-pairs", headers=auth)[1]["supported_languages"]
        self.assertIn({"source_lang": "en", "target_lang": "de"}, pairs)
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("DELETE", "/v2/glossaries/" + g["glossary_id"], headers=auth)
        self.assertEqual(c.getresponse().status, 204)
        c.close()
        self.assertEqual(self.translate({"text": ["Hi"], "target_lang": "ES", "source_lang": "EN",
                                         "glossary_id": g["glossary_id"]})[0], 404)

    def test_wrong_or_missing_key_is_403(self):
        for key in ("wrong:fx", None):
            status, j = self.translate({"text": ["Hello"], "target_lang": "DE"}, key=key)
            self.assertEqual(status, 403)
            self.assertIn("Authorization failure", j["message"])

    def test_bad_requests_are_400_naming_the_problem(self):
        cases = [
            ({"target_lang": "DE"}, "'text' not specified"),
            ({"text": "Hello", "target_lang": "DE"}, "'text' not supported"),
            ({"text": [], "target_lang": "DE"}, "'text' not supported"),
            ({"text": ["Hello"]}, "'target_lang' not specified"),
            ({"text": ["Hello"], "target_lang": "XX"}, "'target_lang' not supported"),
            ({"text": ["Hello"], "target_lang": "DE", "source_lang": "EN-US"}, "'source_lang' not supported"),
            ({"text": ["Hello"], "target_lang": "EN-US", "source_lang": "EN"}, "same"),
        ]
        for fields, needle in cases:
            status, j = self.translate(fields)
            self.assertEqual(status, 400, (fields, j))
            self.assertIn(needle, j["message"])
        status, j = self.translate({"text": ["Hello"], "target_lang": "DE"}, ctype="text/plain")
        self.assertEqual(status, 400)
        self.assertIn("application/json", j["message"])

    def test_quota_is_456_and_controls_force_statuses_and_outage(self):
        self.control({"quota": 10})
        self.assertEqual(self.translate({"text": ["Thanks"], "target_lang": "DE"})[0], 200)
        self.assertEqual(self.translate({"text": ["Thanks"], "target_lang": "DE"}),
                         (456, {"message": "Quota Exceeded"}))
        self.control({"quota": None, "rate_limit_next": 1, "fail_next": 1, "fail_status": 503,
                      "fail_targets": {"FR": 456}})
        status, j, headers = self.request("POST", "/v2/translate",
                                          json.dumps({"text": ["Hi"], "target_lang": "DE"}).encode(),
                                          {"Content-Type": "application/json",
                                           "Authorization": "DeepL-Auth-Key " + KEY})
        self.assertEqual((status, j["message"], headers.get("retry-after")), (429, "Too many requests", "1"))
        self.assertEqual(self.translate({"text": ["Hi"], "target_lang": "DE"})[0], 503)
        self.assertEqual(self.translate({"text": ["Hi"], "target_lang": "FR"})[0], 456)
        self.assertEqual(self.translate({"text": ["Hi"], "target_lang": "DE"})[0], 200)
        self.control({"down": True})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.translate({"text": ["Hi"], "target_lang": "DE"})
        st = self.request("GET", "/_fake/stats")[1]
        self.assertEqual((st["rate_limited"], st["failed"], st["dropped"], st["translate_calls"]), (1, 3, 1, 2))


if __name__ == "__main__":
    unittest.main()
