#!/usr/bin/env python3
"""fake_deepl.py: a local stand-in for the DeepL API (v2), for tests.

Speaks DeepL's published API reference:
  POST /v2/translate   header "Authorization: DeepL-Auth-Key <key>", JSON
                       {"text": [strings], "target_lang", "source_lang"?}
                       -> {"translations": [{"detected_source_language", "text"}, ...]}
  GET  /v2/languages?type=target|source
                       -> [{"language", "name", "supports_formality" (targets only)}, ...]
Errors are {"message": "..."} with DeepL's statuses: 400 bad request, 403 authorization
failed (wrong or missing key), 404 unknown path, 413 body over 128 KiB, 429 too many requests,
456 quota exceeded (the character quota of the billing period is used up), 5xx.
Strict on purpose: Content-Type must be application/json, text a non-empty list of strings,
target_lang one of DeepL's target codes (case-insensitive, as DeepL), source_lang one of its
source codes (no variants: "EN-US" as a source is refused, as DeepL does).

The translation is fake_mt_common.translate() behind the marker "[TARGET_LANG]" as sent (so a
test sees "[PT-BR] ..."). Requests with a key are checked against --key (default
"fake-key:fx", a free-API key by DeepL's ":fx" convention).

Controls: see fake_mt_common.py; /_fake/config also takes "key", "quota" (characters left before
456; null: no limit) and "target_languages" (the codes /v2/languages?type=target lists and
/v2/translate accepts; null: all of DeepL's).
This is not DeepL: it checks what lt-server must get right and nothing more.
"""

import argparse
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_mt_common as common  # noqa: E402

MAX_BODY = 128 * 1024
SOURCES = {"AR": "Arabic", "BG": "Bulgarian", "CS": "Czech", "DA": "Danish", "DE": "German", "EL": "Greek",
           "EN": "English", "ES": "Spanish", "ET": "Estonian", "FI": "Finnish", "FR": "French", "HU": "Hungarian",
           "ID": "Indonesian", "IT": "Italian", "JA": "Japanese", "KO": "Korean", "LT": "Lithuanian",
           "LV": "Latvian", "NB": "Norwegian", "NL": "Dutch", "PL": "Polish", "PT": "Portuguese",
           "RO": "Romanian", "RU": "Russian", "SK": "Slovak", "SL": "Slovenian", "SV": "Swedish", "TR": "Turkish",
           "UK": "Ukrainian", "ZH": "Chinese"}
TARGETS = {k: v for k, v in SOURCES.items() if k not in ("EN", "PT", "ZH")}
TARGETS.update({"EN-GB": "English (British)", "EN-US": "English (American)", "PT-BR": "Portuguese (Brazilian)",
                "PT-PT": "Portuguese (European)", "ZH": "Chinese (simplified)",
                "ZH-HANS": "Chinese (simplified)", "ZH-HANT": "Chinese (traditional)"})
FORMALITY = {"DE", "ES", "FR", "IT", "JA", "NL", "PL", "PT-BR", "PT-PT", "RU"}
# DeepL's target codes that /translate still takes but /languages does not list (backward
# compatibility, DeepL's docs).
COMPAT = {"EN": "English", "PT": "Portuguese"}


class Handler(common.Handler):
    server_version = "FakeDeepL/1.0"
    name = "fake_deepl"
    key = "fake-key:fx"
    quota = None
    targets = dict(TARGETS)

    def error(self, status, message, headers=None):
        self.reply(status, {"message": message}, headers)

    def authorized(self):
        auth = self.headers.get("Authorization", "")
        with self.controls.lock:
            key = Handler.key
        if auth == "DeepL-Auth-Key " + key:
            return True
        with self.controls.lock:
            self.controls.rejected += 1
        self.error(403, "Authorization failure, check auth_key" if auth.startswith("DeepL-Auth-Key ")
                   else "Authorization failure: missing 'Authorization: DeepL-Auth-Key' header")
        return False

    def vendor_get(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/v2/languages":
            return self.error(404, "Not found")
        if not self.authorized():
            return
        kind = urllib.parse.parse_qs(url.query).get("type", ["source"])[0]
        if kind not in ("source", "target"):
            return self.error(400, "Value for 'type' not supported.")
        c = self.controls
        with c.lock:
            c.languages_calls += 1
            targets = dict(Handler.targets)
        if kind == "source":
            return self.reply(200, [{"language": k, "name": v} for k, v in sorted(SOURCES.items())])
        self.reply(200, [{"language": k, "name": v, "supports_formality": k in FORMALITY}
                         for k, v in sorted(targets.items())])

    def vendor_post(self, body):
        if self.path != "/v2/translate":
            return self.error(404, "Not found")
        if not self.authorized():
            return
        c = self.controls
        if len(body) > MAX_BODY:
            with c.lock:
                c.rejected += 1
            return self.error(413, "Request Entity Too Large")
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        problem = None
        try:
            if ctype != "application/json":
                raise ValueError("this stand-in takes application/json only, not '%s'" % ctype)
            j = json.loads(body)
            if not isinstance(j, dict):
                raise ValueError("the body must be a JSON object")
        except ValueError as e:
            problem = str(e)
        if problem is None:
            text, target, source = j.get("text"), j.get("target_lang"), j.get("source_lang")
            with c.lock:
                targets = dict(Handler.targets)
            if not isinstance(text, list) or not text or not all(isinstance(t, str) for t in text):
                problem = "Parameter 'text' not specified." if text is None else \
                    "Value for 'text' not supported: expected a non-empty list of strings."
            elif not isinstance(target, str) or not target:
                problem = "Value for 'target_lang' not specified."
            elif target.upper() not in targets and target.upper() not in COMPAT:
                problem = "Value for 'target_lang' not supported."
            elif source is not None and (not isinstance(source, str) or source.upper() not in SOURCES):
                problem = "Value for 'source_lang' not supported."
            elif source is not None and source.upper() == target.upper().split("-")[0]:
                problem = "Source and target language are the same."
        if problem:
            with c.lock:
                c.rejected += 1
            return self.error(400, problem)
        target = target.upper()
        characters = sum(len(t) for t in text)
        with c.lock:
            over_quota = Handler.quota is not None and characters > Handler.quota
        if over_quota:
            with c.lock:
                c.failed += 1
            return self.error(456, "Quota Exceeded")
        forced = c.forced_status(target)
        if forced == 429:
            return self.error(429, "Too many requests", {"Retry-After": "1"})
        if forced == 456:
            return self.error(456, "Quota Exceeded")
        if forced is not None:
            return self.error(forced, "Internal server error" if forced >= 500 else "Forced failure")
        with c.lock:
            if Handler.quota is not None:
                Handler.quota -= characters
        self.translating({"text": text, "target_lang": target, "source_lang": source,
                          "keys": sorted(j.keys())}, target, characters)
        lang = target.split("-")[0].lower()
        self.reply(200, {"translations": [{"detected_source_language": (source or "EN").upper(),
                                           "text": common.translate(t, lang, "[%s]" % target)}
                                          for t in text]})

    def control_extra(self, cfg):
        if "key" in cfg:
            Handler.key = str(cfg["key"])
        if "quota" in cfg:
            Handler.quota = None if cfg["quota"] is None else int(cfg["quota"])
        if "target_languages" in cfg:
            codes = cfg["target_languages"]
            Handler.targets = dict(TARGETS) if codes is None else \
                {str(k).upper(): TARGETS.get(str(k).upper(), str(k)) for k in codes}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0, help="TCP port (0: pick a free one)")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--key", default=Handler.key, help="the auth key requests must carry (default: %(default)s)")
    p.add_argument("--quota", type=int, help="characters translated before 456 Quota Exceeded (default: no limit)")
    p.add_argument("-v", "--verbose", action="store_true", help="log requests on stderr")
    args = p.parse_args(argv)
    Handler.controls = common.Controls()
    Handler.key = args.key
    Handler.quota = args.quota
    Handler.quiet = not args.verbose
    common.serve(Handler, args.port, args.port_file)


if __name__ == "__main__":
    main()
