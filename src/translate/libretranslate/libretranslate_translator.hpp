// LibreTranslate (self-hosted or a public instance) as a translation backend:
// POST {url}/translate with JSON {q, source, target, format: "text", api_key?} answered by
// {translatedText}, and GET {url}/languages for what it serves (each source with its
// targets), read at start and every 10 minutes on a background thread, never while a caption
// waits. Calls go through the pooled net::http_client (timeouts, retries of 429/5xx with
// jittered back-off); a 429 that outlasts them pauses calls for a while. Verified against
// LibreTranslate's published API and a local stand-in (tools/fake_libretranslate.py), not
// against a running LibreTranslate.
#pragma once

#include "net/http_client.hpp"
#include "translate/translator.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lt::translate::libretranslate {

struct libretranslate_options {
    std::string url;                 // LIBRETRANSLATE_URL, e.g. http://localhost:5000 (a path prefix is kept)
    std::string api_key;             // LIBRETRANSLATE_API_KEY; empty: requests carry none
    net::http_client_options client; // its service name is set to "LibreTranslate"
    // A LibreTranslate server can gain or lose models while it runs.
    std::chrono::milliseconds refresh{std::chrono::minutes(10)};
    // After /languages could not be read (the server still starting, the network down).
    std::chrono::milliseconds retry{std::chrono::seconds(30)};
    // A 429 that outlasted the client's retries stops calls for this long (or the answer's
    // Retry-After if longer): LibreTranslate bans clients that keep going past its limits.
    std::chrono::milliseconds rate_limit_pause{std::chrono::seconds(5)};
    bool probe = true; // one short translation at start decides available()
};

// LibreTranslate's code for a language as ours ("zh-Hans" and older servers' "zh" are "zh");
// nullopt for a language the page does not offer ("zh-Hant", "uk", ...).
std::optional<std::string> our_code(std::string_view code);

// What a server serves, in our codes, and the server's code for each.
struct language_table {
    std::map<std::string, std::vector<std::string>> targets; // source -> sorted targets
    std::map<std::string, std::string> codes;                // ours -> LibreTranslate's
};
// Reads GET /languages: [{"code", "name", "targets": [...]}, ...]. Errors name what is wrong.
core::result<language_table> parse_languages(std::string_view body);

// The JSON body of POST /translate for one caption (codes already LibreTranslate's).
std::string translate_request(std::string_view q, std::string_view source, std::string_view target,
                              std::string_view api_key);

// translatedText of an answer, or what went wrong, naming LibreTranslate and the cause:
// "LibreTranslate: API key refused (HTTP 403: Invalid API key); check LIBRETRANSLATE_API_KEY".
core::result<std::string> read_answer(const net::http_response& r);

// Fails when the URL is missing or malformed. An unreachable server is not an error here: the
// languages are read again in the background, and /health says what is wrong meanwhile.
core::result<std::shared_ptr<translator>> make_libretranslate_translator(libretranslate_options opts);

} // namespace lt::translate::libretranslate
