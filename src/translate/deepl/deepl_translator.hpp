// DeepL (API v2) as a translation backend: POST {url}/v2/translate with
// "Authorization: DeepL-Auth-Key <key>" and JSON {text: [caption], target_lang, source_lang}
// answered by {translations: [{text}]}. Target languages come from
// GET /v2/languages?type=target at start (which also proves the key), else from a built-in
// list. Calls go through the pooled net::http_client (timeouts, retries of 429/5xx with
// jittered back-off); a 429 that outlasts them pauses calls for a while. With an event
// glossary, each language pair gets a DeepL glossary (POST /v2/glossaries, made on the pair's
// first caption and reused by name after a restart), sent as glossary_id; a pair DeepL has no
// glossary for keeps the terms by placeholders, as other engines do. Verified against
// DeepL's published API reference and a local stand-in (tools/fake_deepl.py), not against
// DeepL itself.
#pragma once

#include "net/http_client.hpp"
#include "translate/glossary.hpp"
#include "translate/translator.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lt::translate::deepl {

struct deepl_options {
    std::string auth_key;            // DEEPL_AUTH_KEY (required)
    std::string url;                 // DEEPL_API_URL; empty: default_url(auth_key)
    net::http_client_options client; // its service name is set to "DeepL"
    // A 429 that outlasted the client's retries stops calls for this long (or the answer's
    // Retry-After if longer), so a throttled account is not hammered by every language.
    std::chrono::milliseconds rate_limit_pause{std::chrono::seconds(5)};
    bool fetch_languages = true;           // GET /v2/languages?type=target at start (the probe too)
    std::shared_ptr<const glossary> terms; // --glossary; null or empty: none
    // After a pair's glossary could not be made, placeholders serve it for this long before
    // DeepL is asked again (a refused pair: 6 h).
    std::chrono::milliseconds glossary_retry{std::chrono::seconds(60)};
};

// DeepL's convention: keys of the free API end in ":fx" and go to api-free.deepl.com.
std::string default_url(std::string_view auth_key);

// DeepL's target codes for one of ours, in order of preference: "en" -> EN-US, EN-GB, EN;
// "pt" -> PT-BR, PT-PT, PT; "zh" -> ZH-HANS, ZH; others upper-cased ("de" -> DE). Empty for a
// language the page does not offer.
std::vector<std::string> target_candidates(std::string_view ours);
// The source code: our code upper-cased, no variant ("EN", "PT", "ZH").
std::string source_code(std::string_view ours);

// Our languages DeepL serves as targets, each with the DeepL code to send, from DeepL's list
// of target codes (as /v2/languages?type=target gives them, any case).
std::map<std::string, std::string> choose_targets(const std::vector<std::string>& deepl_codes);
// DeepL's documented target languages (2025), for when /v2/languages cannot be read.
const std::vector<std::string>& builtin_targets();
// DeepL's documented source languages (2025), our codes.
const std::vector<std::string>& builtin_sources();

// Reads /v2/languages: [{"language", "name", ...}, ...] -> the codes.
core::result<std::vector<std::string>> parse_languages(std::string_view body);

// The JSON body of POST /v2/translate for one caption; glossary_id only when not empty.
std::string translate_request(std::string_view text, std::string_view target_lang,
                              std::string_view source_lang, std::string_view glossary_id = {});

// A DeepL glossary's entries for `target` as TSV: each term and its rendering, a line each.
// Terms a TSV line cannot hold (tabs, line breaks) are left to the placeholders.
std::string glossary_entries(const glossary& g, std::string_view target);
// Changes with the entries, so a restart with the same file finds its glossary by name and an
// edited file makes a new one: "live-translate en-de 1f0c...".
std::string glossary_name(std::string_view source, std::string_view target, std::string_view entries);
// The JSON body of POST /v2/glossaries (DeepL's glossary codes: ours, no variant).
std::string glossary_request(std::string_view name, std::string_view source, std::string_view target,
                             std::string_view entries);
// The glossary_id of a created glossary, or what went wrong naming DeepL and the cause.
core::result<std::string> read_glossary(const net::http_response& r);
// GET /v2/glossaries: the ids of ready glossaries by name.
std::map<std::string, std::string> read_glossary_list(std::string_view body);

// The translation of an answer, or what went wrong naming DeepL and the cause:
// "DeepL: quota exceeded (HTTP 456: Quota Exceeded); ...".
core::result<std::string> read_answer(const net::http_response& r);

// Fails when the key is missing or the URL malformed. A wrong key or an unreachable API is not
// an error here: /health and each caption's error say so (available() stays false).
core::result<std::shared_ptr<translator>> make_deepl_translator(deepl_options opts);

} // namespace lt::translate::deepl
