#!/usr/bin/env python3
"""fake_libretranslate.py: a local stand-in for a LibreTranslate server, for tests.

Speaks LibreTranslate's published API (its /docs spec and app.py):
  GET  /languages   [{"code", "name", "targets": [codes]}, ...]
  POST /translate   JSON {"q", "source", "target", "format": "text"|"html", "api_key"?}
                    -> {"translatedText": "..."}
Errors are {"error": "..."} with the status LibreTranslate uses: 400 for a bad request (missing
parameter, "xx is not supported", a pair that is not available, a missing key when keys are
required), 403 "Invalid API key", 429 "Slowdown: ...", 500 "Cannot translate text: ...".
Stricter than LibreTranslate on purpose: it refuses a body that is not application/json and a
q that is not a single string (lt-server sends one caption per request).

The translation is fake_mt_common.translate() behind the marker "[target]".
With --key, requests must carry that api_key (LibreTranslate's --api-keys with
--require-api-key-origin: a wrong key is 403, a missing one 400).

Controls: see fake_mt_common.py; /_fake/config also takes "key" (null: none needed) and
"languages" (the codes served; every one reaches every other).
This is not LibreTranslate: it checks what lt-server must get right and nothing more.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_mt_common as common  # noqa: E402

NAMES = {"en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian",
         "pt": "Portuguese", "zh-Hans": "Chinese (Simplified)", "zh-Hant": "Chinese (Traditional)",
         "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "ar": "Arabic", "ru": "Russian", "hi": "Hindi",
         "nl": "Dutch", "pl": "Polish", "tr": "Turkish", "ca": "Catalan", "uk": "Ukrainian", "sv": "Swedish"}
# What a recent LibreTranslate with a handful of models lists (Chinese as zh-Hans / zh-Hant).
DEFAULT_LANGUAGES = ["en", "es", "fr", "de", "it", "pt", "zh-Hans", "zh-Hant", "ja", "nl", "uk"]


class Handler(common.Handler):
    server_version = "FakeLibreTranslate/1.0"
    name = "fake_libretranslate"
    key = None
    languages = list(DEFAULT_LANGUAGES)

    def error(self, status, message):
        self.reply(status, {"error": message})

    def vendor_get(self):
        if self.path != "/languages":
            return self.error(404, "Not Found")
        c = self.controls
        with c.lock:
            c.languages_calls += 1
            langs = list(self.languages)
        self.reply(200, [{"code": l, "name": NAMES.get(l, l), "targets": sorted(t for t in langs if t != l)}
                         for l in langs])

    def vendor_post(self, body):
        if self.path != "/translate":
            return self.error(404, "Not Found")
        c = self.controls
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            if ctype != "application/json":
                raise ValueError("this stand-in takes application/json only, not '%s'" % ctype)
            j = json.loads(body)
            if not isinstance(j, dict):
                raise ValueError("Invalid JSON format")
        except ValueError as e:
            with c.lock:
                c.rejected += 1
            return self.error(400, str(e))
        with c.lock:
            key, langs = Handler.key, list(Handler.languages)
        given = j.get("api_key")
        if key:
            if given and given != key:
                with c.lock:
                    c.rejected += 1
                return self.error(403, "Invalid API key")
            if not given:
                with c.lock:
                    c.rejected += 1
                return self.error(400, "Please contact the server operator to get an API key")
        q, source, target, fmt = j.get("q"), j.get("source"), j.get("target"), j.get("format")
        problem = None
        for name, value in (("q", q), ("source", source), ("target", target)):
            if not value:
                problem = "Invalid request: missing %s parameter" % name
                break
        if problem is None and not isinstance(q, str):
            problem = "this stand-in takes one text per request (q must be a string)"
        elif problem is None and fmt not in (None, "text", "html"):
            problem = "%s format is not supported" % fmt
        elif problem is None and source not in langs:
            problem = "%s is not supported" % source
        elif problem is None and target not in langs:
            problem = "%s is not supported" % target
        elif problem is None and source == target:
            problem = "%s (%s) is not available as a target language from %s (%s)" % (
                NAMES.get(target, target), target, NAMES.get(source, source), source)
        if problem:
            with c.lock:
                c.rejected += 1
            return self.error(400, problem)
        forced = c.forced_status(target)
        if forced == 429:
            return self.error(429, "Slowdown: 1 per 1 second")
        if forced == 403:
            return self.error(403, "Too many request limits violations")
        if forced is not None:
            return self.error(forced, "Cannot translate text: the stand-in was told to fail")
        self.translating({"q": q, "source": source, "target": target, "format": fmt,
                          "api_key": given}, target, len(q))
        self.reply(200, {"translatedText": common.translate(q, target.split("-")[0], "[%s]" % target)})

    def control_extra(self, cfg):
        if "key" in cfg:
            Handler.key = cfg["key"] or None
        if "languages" in cfg:
            Handler.languages = [str(l) for l in cfg["languages"]]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, default=0, help="TCP port (0: pick a free one)")
    p.add_argument("--port-file", help="write the port here once listening")
    p.add_argument("--key", help="api_key requests must carry (default: none needed)")
    p.add_argument("--languages", default=",".join(DEFAULT_LANGUAGES),
                   help="comma-separated codes served, each to every other (default: %(default)s)")
    p.add_argument("-v", "--verbose", action="store_true", help="log requests on stderr")
    args = p.parse_args(argv)
    Handler.controls = common.Controls()
    Handler.key = args.key
    Handler.languages = [l for l in args.languages.split(",") if l]
    Handler.quiet = not args.verbose
    common.serve(Handler, args.port, args.port_file)


if __name__ == "__main__":
    main()
