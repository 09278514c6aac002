#!/usr/bin/env python3
"""fake_deepl.py: a local stand-in for the DeepL API (v2), for tests.

Speaks DeepL's published API reference:
  POST /v2/translate   header "Authorization: DeepL-Auth-Key <key>", JSON
                       {"text": [strings], "target_lang", "source_lang"?}
                       -> {"translations": [{"detected_source_language", "text"}, ...]}
  GET  /v2/languages?type=target|source
                       -> [{"language", "name", "supports_formality" (targets only)}, ...]
  POST /v2/glossaries  JSON {"name", "source_lang", "target_lang", "entries", "entries_format"}
                       -> 201 {"glossary_id", "ready", "name", "source_lang", "target_lang",
                       "creation_time", "entry_count"}; GET /v2/glossaries -> {"glossaries": [...]},
                       GET|DELETE /v2/glossaries/{id}, GET /v2/glossary-language-pairs
                       -> {"supported_languages": [{"source_lang", "target_lang"}, ...]}.
                       /v2/translate takes "glossary_id" (source_lang then required) and puts
                       the glossary's target phrase for each whole-word source phrase.
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
import datetime
import json
import os
import re
import sys
import urllib.parse
import uuid

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
# The v2 glossary languages (DeepL's docs): any two of these, either way.
GLOSSARY_LANGS = {"da", "de", "en", "es", "fr", "it", "ja", "ko", "nb", "nl", "pl", "pt", "ru", "sv", "zh"}
# DeepL's target codes that /translate still takes but /languages does not list (backward
# compatibility, DeepL's docs).
COMPAT = {"EN": "English", "PT": "Portuguese"}


class Handler(common.Handler):
    server_version = "FakeDeepL/1.0"
    name = "fake_deepl"
    key = "fake-key:fx"
    quota = None
    targets = dict(TARGETS)
    glossaries = {}  # id -> {"info": the API's object, "entries": [(source, target)]}

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
        if url.path.startswith("/v2/glossar"):
            return self.glossary_get(url.path)
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

    def glossary_get(self, path):
        if not self.authorized():
            return
        with self.controls.lock:
            every = [g["info"] for g in Handler.glossaries.values()]
            found = Handler.glossaries.get(path[len("/v2/glossaries/"):]) if path.startswith("/v2/glossaries/") else None
        if path == "/v2/glossary-language-pairs":
            return self.reply(200, {"supported_languages": [{"source_lang": a, "target_lang": b}
                                                            for a in sorted(GLOSSARY_LANGS)
                                                            for b in sorted(GLOSSARY_LANGS) if a != b]})
        if path == "/v2/glossaries":
            return self.reply(200, {"glossaries": every})
        if found is None:
            return self.error(404, "Glossary not found")
        self.reply(200, found["info"])

    def do_DELETE(self):
        if self.dropped():
            return
        path = urllib.parse.urlsplit(self.path).path
        if not path.startswith("/v2/glossaries/"):
            return self.error(404, "Not found")
        if not self.authorized():
            return
        with self.controls.lock:
            gone = Handler.glossaries.pop(path[len("/v2/glossaries/"):], None)
        if gone is None:
            return self.error(404, "Glossary not found")
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def create_glossary(self, body):
        if not self.authorized():
            return
        try:
            if self.headers.get("Content-Type", "").split(";")[0].strip().lower() != "application/json":
                raise ValueError("this stand-in takes application/json only")
            j = json.loads(body)
            if not isinstance(j, dict):
                raise ValueError("the body must be a JSON object")
            name, src, tgt = j.get("name"), j.get("source_lang"), j.get("target_lang")
            entries, fmt = j.get("entries"), j.get("entries_format", "tsv")
            if not isinstance(name, str) or not name or len(name.encode()) > 1024:
                raise ValueError("Value for 'name' not supported.")
            for field, v in (("source_lang", src), ("target_lang", tgt)):
                if not isinstance(v, str) or v.lower() not in GLOSSARY_LANGS:
                    raise ValueError("Value for '%s' not supported." % field)
            if src.lower() == tgt.lower():
                raise ValueError("Unsupported glossary source and target language pair.")
            if fmt not in ("tsv", "csv") or not isinstance(entries, str) or not entries.strip():
                raise ValueError("Invalid glossary entries provided")
            pairs = []
            for line in entries.splitlines():
                if not line.strip():
                    continue
                parts = line.split("\t") if fmt == "tsv" else line.split(",")
                if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
                    raise ValueError("Invalid glossary entries provided")
                pairs.append((parts[0].strip(), parts[1].strip()))
        except ValueError as e:
            with self.controls.lock:
                self.controls.rejected += 1
            return self.error(400, "Bad request", None) if str(e) == "" else self.error(400, str(e))
        gid = str(uuid.uuid4())
        info = {"glossary_id": gid, "ready": True, "name": name, "source_lang": src.lower(),
                "target_lang": tgt.lower(), "entry_count": len(pairs),
                "creation_time": datetime.datetime.now(datetime.timezone.utc).isoformat()}
        with self.controls.lock:
            Handler.glossaries[gid] = {"info": info, "entries": pairs}
            self.controls.glossaries_created += 1
        self.reply(201, info)

    def vendor_post(self, body):
        if self.path == "/v2/glossaries":
            return self.create_glossary(body)
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
            elif "glossary_id" in j and source is None:
                problem = "Use of a glossary requires the source_lang parameter to be specified."
        glossary = None
        if problem is None and "glossary_id" in j:
            with c.lock:
                glossary = Handler.glossaries.get(str(j["glossary_id"]))
            if glossary is None:
                with c.lock:
                    c.rejected += 1
                return self.error(404, "Glossary not found")
            if glossary["info"]["source_lang"] != source.lower() or \
                    glossary["info"]["target_lang"] != target.lower().split("-")[0]:
                problem = "The glossary's languages do not match source_lang and target_lang."
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
                          "glossary_id": j.get("glossary_id"), "keys": sorted(j.keys())}, target, characters)
        lang = target.split("-")[0].lower()
        self.reply(200, {"translations": [{"detected_source_language": (source or "EN").upper(),
                                           "text": with_glossary(t, lang, "[%s]" % target, glossary)}
                                          for t in text]})

    def control_extra(self, cfg):
        if cfg.get("drop_glossaries"):
            Handler.glossaries.clear()
        if "key" in cfg:
            Handler.key = str(cfg["key"])
        if "quota" in cfg:
            Handler.quota = None if cfg["quota"] is None else int(cfg["quota"])
        if "target_languages" in cfg:
            codes = cfg["target_languages"]
            Handler.targets = dict(TARGETS) if codes is None else \
                {str(k).upper(): TARGETS.get(str(k).upper(), str(k)) for k in codes}


def with_glossary(text, lang, marker, glossary):
    """The fake translation, with each whole-word source phrase of `glossary` (longest first)
    replaced by its target phrase, which the word table then leaves alone."""
    if glossary is None:
        return common.translate(text, lang, marker)
    fills = []

    def hold(m):
        fills.append(dict(glossary["entries"])[m.group(0)])
        return "\x00%d\x00" % (len(fills) - 1)

    for source, _ in sorted(glossary["entries"], key=lambda e: -len(e[0])):
        text = re.sub(r"(?<!\w)" + re.escape(source) + r"(?!\w)", hold, text)
    out = common.translate(text, lang, marker)
    return re.sub("\x00(\\d+)\x00", lambda m: fills[int(m.group(1))], out)


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
