#include "translate/deepl/deepl_translator.hpp"

#include "core/languages.hpp"
#include "translate/engine_status.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <mutex>

namespace lt::translate::deepl {

namespace {

using json = nlohmann::json;

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

// DeepL's words for an error: {"message": "...", "detail"?: "..."}, else the start of the body.
std::string reason(const net::http_response& r) {
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("message") && j["message"].is_string()) {
        auto m = j["message"].get<std::string>();
        if (j.contains("detail") && j["detail"].is_string())
            m += ": " + j["detail"].get<std::string>();
        return m;
    }
    auto text = net::body_excerpt(r);
    return text.empty() ? "no message" : text;
}

class deepl_translator : public translator {
public:
    deepl_translator(deepl_options opts, const net::endpoint& ep)
        : opts_(std::move(opts)), client_(ep, opts_.client), targets_(choose_targets(builtin_targets())) {
        if (opts_.fetch_languages)
            load_languages(ep);
    }

    std::string name() const override { return "deepl"; }

    std::vector<std::string> targets(std::string_view source) const override {
        std::vector<std::string> out;
        const auto& sources = builtin_sources();
        if (std::find(sources.begin(), sources.end(), source) == sources.end())
            return out;
        std::lock_guard lock(mutex_);
        for (const auto& [ours, code] : targets_)
            if (ours != source)
                out.push_back(ours);
        return out; // sorted: a map's keys
    }

    core::result<std::string> translate(std::string_view source, std::string_view target,
                                        std::string_view text) override {
        std::string code;
        {
            std::lock_guard lock(mutex_);
            auto it = targets_.find(std::string(target));
            if (it == targets_.end())
                return core::make_error("DeepL: no target language for '" + std::string(target) + "'");
            code = it->second;
        }
        if (auto why = status_.paused())
            return core::make_error(*why);
        if (!opts_.terms || opts_.terms->empty())
            return call(text, code, source, {});
        if (auto id = glossary_for(source, target); !id.empty()) {
            int status = 0;
            auto answer = call(text, code, source, id, &status);
            if (answer || (status != 404 && status != 400))
                return answer;
            // The glossary is gone (deleted by hand) or refused: make it again later, and
            // keep this caption's terms by placeholders.
            spdlog::warn("{}; glossary {} dropped", answer.error_message(), id);
            forget_glossary(source, target);
        }
        auto held = opts_.terms->protect(text, target);
        auto answer = call(held.text, code, source, {});
        if (!answer)
            return answer;
        return glossary::restore(answer.value(), held.fills);
    }

    std::string state() const override { return status_.state(); }

    bool available() const override { return status_.available(); }

    // Network-bound: every language of a caption should be in flight together.
    std::size_t parallelism() const override { return 32; }

private:
    core::result<std::string> call(std::string_view text, const std::string& code, std::string_view source,
                                   std::string_view glossary_id, int* status_out = nullptr) {
        auto sent = client_.send(request("POST", "/v2/translate",
                                         translate_request(text, code, source_code(source), glossary_id)));
        if (!sent) {
            status_.failed(sent.error_message(), true);
            return core::make_error(sent.error_message());
        }
        const auto& r = sent.value();
        if (status_out)
            *status_out = r.status;
        auto answer = read_answer(r);
        if (!answer) {
            // A refused key and a used-up quota stop DeepL for us; throttling and DeepL's own
            // faults pass.
            status_.failed(answer.error_message(), r.status == 401 || r.status == 403 || r.status == 456);
            if (r.status == 429 || r.status == 529)
                status_.pause(
                    std::max(opts_.rate_limit_pause, net::retry_after(r).value_or(opts_.rate_limit_pause)));
            return answer;
        }
        status_.succeeded();
        return answer;
    }

    struct pair_glossary {
        std::string id;
        bool making = false;
        std::chrono::steady_clock::time_point retry_at{};
    };

    // The pair's DeepL glossary id; empty while it is being made by another caption, or when
    // it cannot be (placeholders then).
    std::string glossary_for(std::string_view source, std::string_view target) {
        const auto key = std::string(source) + ">" + std::string(target);
        const auto now = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(mutex_);
            auto& g = glossaries_[key];
            if (!g.id.empty() || g.making || now < g.retry_at)
                return g.id;
            g.making = true;
        }
        bool refused = false;
        auto made = make_glossary(source, target, refused);
        std::lock_guard lock(mutex_);
        auto& g = glossaries_[key];
        g.making = false;
        if (made) {
            g.id = made.value();
            return g.id;
        }
        g.retry_at =
            now + (refused ? std::chrono::milliseconds(std::chrono::hours(6)) : opts_.glossary_retry);
        spdlog::warn("{}; {}->{} keeps the glossary's terms by placeholders", made.error_message(), source,
                     target);
        return {};
    }

    void forget_glossary(std::string_view source, std::string_view target) {
        std::lock_guard lock(mutex_);
        auto& g = glossaries_[std::string(source) + ">" + std::string(target)];
        std::erase_if(known_, [&](const auto& kv) { return kv.second == g.id; });
        g = {};
    }

    // Finds the pair's glossary by name among the account's (read once), else creates it.
    core::result<std::string> make_glossary(std::string_view source, std::string_view target, bool& refused) {
        const auto entries = glossary_entries(*opts_.terms, target);
        if (entries.empty()) {
            refused = true;
            return core::make_error("DeepL: no glossary entries for " + std::string(target));
        }
        const auto name = glossary_name(source, target, entries);
        bool listed = false;
        {
            std::lock_guard lock(mutex_);
            if (auto it = known_.find(name); it != known_.end())
                return it->second;
            listed = listed_;
        }
        if (!listed) {
            auto sent = client_.send(request("GET", "/v2/glossaries", ""));
            if (sent && sent.value().status / 100 == 2) {
                auto found = read_glossary_list(sent.value().body);
                std::lock_guard lock(mutex_);
                listed_ = true;
                known_.insert(found.begin(), found.end());
                if (auto it = known_.find(name); it != known_.end()) {
                    spdlog::info("DeepL: reusing glossary '{}' ({})", name, it->second);
                    return it->second;
                }
            }
        }
        auto sent =
            client_.send(request("POST", "/v2/glossaries", glossary_request(name, source, target, entries)));
        if (!sent)
            return core::make_error(sent.error_message());
        auto id = read_glossary(sent.value());
        if (!id) {
            refused = sent.value().status == 400;
            return id;
        }
        spdlog::info("DeepL: made glossary '{}' ({})", name, id.value());
        std::lock_guard lock(mutex_);
        known_[name] = id.value();
        return id;
    }

    net::http_request request(std::string method, std::string target, std::string body) const {
        net::http_request req;
        req.method = std::move(method);
        req.target = std::move(target);
        req.headers = {{"Authorization", "DeepL-Auth-Key " + opts_.auth_key}, {"Accept", "application/json"}};
        if (!body.empty())
            req.headers.emplace_back("Content-Type", "application/json");
        req.body = std::move(body);
        return req;
    }

    // Once at start, bounded (one attempt, at most 5 s) so that a dead network does not hold
    // up the server; the built-in list stays otherwise.
    void load_languages(const net::endpoint& ep) {
        auto start_opts = opts_.client;
        start_opts.max_attempts = 1;
        start_opts.request_timeout = std::min(start_opts.request_timeout, std::chrono::milliseconds(5000));
        net::http_client start_client(ep, start_opts);
        auto sent = start_client.send(request("GET", "/v2/languages?type=target", ""));
        std::string why;
        if (!sent)
            why = sent.error_message();
        else if (sent.value().status / 100 != 2) {
            auto err = read_answer(sent.value());
            why = err ? "HTTP " + std::to_string(sent.value().status) : err.error_message();
            if (sent.value().status == 403 || sent.value().status == 401) {
                spdlog::error("{}; captions go out untranslated", why);
                status_.failed(why, false);
                return;
            }
        } else if (auto codes = parse_languages(sent.value().body); !codes)
            why = codes.error_message();
        else {
            auto chosen = choose_targets(codes.value());
            std::string list;
            for (const auto& [ours, code] : chosen)
                list += (list.empty() ? "" : " ") + ours + "=" + code;
            spdlog::info("DeepL at {}: targets {}", ep.url(), list);
            status_.succeeded();
            std::lock_guard lock(mutex_);
            targets_ = std::move(chosen);
            return;
        }
        spdlog::warn("DeepL: target languages could not be read ({}); using the built-in list", why);
        status_.failed(why, false);
    }

    deepl_options opts_;
    net::http_client client_;
    engine_status status_;
    mutable std::mutex mutex_;
    std::map<std::string, std::string> targets_;      // ours -> DeepL's
    std::map<std::string, pair_glossary> glossaries_; // "en>de"
    std::map<std::string, std::string> known_;        // the account's glossaries: name -> id
    bool listed_ = false;                             // known_ has been read from DeepL
};

} // namespace

std::string default_url(std::string_view auth_key) {
    return auth_key.ends_with(":fx") ? "https://api-free.deepl.com" : "https://api.deepl.com";
}

std::vector<std::string> target_candidates(std::string_view ours) {
    if (!core::is_known_language(ours))
        return {};
    // American English and Brazilian Portuguese: the variants with the most speakers, and what
    // AWS Translate's plain "en" and "pt" give, so a chain reads alike whichever engine answers.
    // "EN" and "PT" are DeepL's deprecated unspecified variants, the last resort.
    if (ours == "en")
        return {"EN-US", "EN-GB", "EN"};
    if (ours == "pt")
        return {"PT-BR", "PT-PT", "PT"};
    // The page's Chinese is Simplified (中文); DeepL's docs ask for ZH-HANS, ZH is the older name.
    if (ours == "zh")
        return {"ZH-HANS", "ZH"};
    return {upper(ours)};
}

std::string source_code(std::string_view ours) { return upper(ours); }

std::map<std::string, std::string> choose_targets(const std::vector<std::string>& deepl_codes) {
    std::vector<std::string> codes;
    for (const auto& c : deepl_codes)
        codes.push_back(upper(c));
    std::map<std::string, std::string> out;
    for (const auto& l : core::viewer_languages())
        for (const auto& candidate : target_candidates(l.code))
            if (std::find(codes.begin(), codes.end(), candidate) != codes.end()) {
                out.emplace(std::string(l.code), candidate);
                break;
            }
    return out;
}

const std::vector<std::string>& builtin_targets() {
    // developers.deepl.com "Languages supported" (2025), without the next-gen-only ones.
    static const std::vector<std::string> list{
        "AR", "BG", "CS", "DA", "DE", "EL", "EN-GB", "EN-US", "ES",      "ET",     "FI",    "FR",
        "HU", "ID", "IT", "JA", "KO", "LT", "LV",    "NB",    "NL",      "PL",     "PT-BR", "PT-PT",
        "RO", "RU", "SK", "SL", "SV", "TR", "UK",    "ZH",    "ZH-HANS", "ZH-HANT"};
    return list;
}

const std::vector<std::string>& builtin_sources() {
    static const std::vector<std::string> list{"ar", "bg", "cs", "da", "de", "el", "en", "es", "et", "fi",
                                               "fr", "hu", "id", "it", "ja", "ko", "lt", "lv", "nb", "nl",
                                               "pl", "pt", "ro", "ru", "sk", "sl", "sv", "tr", "uk", "zh"};
    return list;
}

core::result<std::vector<std::string>> parse_languages(std::string_view body) {
    auto j = json::parse(body, nullptr, false);
    if (!j.is_array())
        return core::make_error("DeepL: /v2/languages did not answer a JSON array");
    std::vector<std::string> codes;
    for (const auto& entry : j) {
        if (!entry.is_object() || !entry.contains("language") || !entry["language"].is_string())
            return core::make_error("DeepL: a /v2/languages entry without a language");
        codes.push_back(upper(entry["language"].get<std::string>()));
    }
    return codes;
}

std::string translate_request(std::string_view text, std::string_view target_lang,
                              std::string_view source_lang, std::string_view glossary_id) {
    json body{{"text", json::array({text})}, {"target_lang", target_lang}};
    if (!source_lang.empty())
        body["source_lang"] = source_lang;
    if (!glossary_id.empty())
        body["glossary_id"] = glossary_id;
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string glossary_entries(const glossary& g, std::string_view target) {
    std::string tsv;
    for (const auto& [term, rendering] : g.for_language(target)) {
        if ((term + rendering).find_first_of("\t\r\n") != std::string::npos)
            continue;
        tsv += term + "\t" + rendering + "\n";
    }
    return tsv;
}

std::string glossary_name(std::string_view source, std::string_view target, std::string_view entries) {
    // FNV-1a: only tells one file's entries from another's.
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : entries)
        h = (h ^ c) * 1099511628211ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return "live-translate " + std::string(source) + "-" + std::string(target) + " " + hex;
}

std::string glossary_request(std::string_view name, std::string_view source, std::string_view target,
                             std::string_view entries) {
    json body{{"name", name},
              {"source_lang", source},
              {"target_lang", target},
              {"entries", entries},
              {"entries_format", "tsv"}};
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

core::result<std::string> read_glossary(const net::http_response& r) {
    if (r.status / 100 == 2) {
        auto j = json::parse(r.body, nullptr, false);
        if (j.is_object() && j.contains("glossary_id") && j["glossary_id"].is_string() &&
            !j["glossary_id"].get<std::string>().empty())
            return j["glossary_id"].get<std::string>();
        return core::make_error("DeepL: the glossary answer has no glossary_id (HTTP " +
                                std::to_string(r.status) + ": " + net::body_excerpt(r) + ")");
    }
    auto err = read_answer(r);
    return core::make_error("DeepL: glossary not made: " +
                            err.error_message().substr(std::string("DeepL: ").size()));
}

std::map<std::string, std::string> read_glossary_list(std::string_view body) {
    std::map<std::string, std::string> out;
    auto j = json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("glossaries") || !j["glossaries"].is_array())
        return out;
    for (const auto& g : j["glossaries"])
        if (g.is_object() && g.value("ready", false) && g.contains("name") && g["name"].is_string() &&
            g.contains("glossary_id") && g["glossary_id"].is_string())
            out[g["name"].get<std::string>()] = g["glossary_id"].get<std::string>();
    return out;
}

core::result<std::string> read_answer(const net::http_response& r) {
    std::string detail = "(HTTP " + std::to_string(r.status) + ": ";
    if (r.status / 100 == 2) {
        auto j = json::parse(r.body, nullptr, false);
        if (j.is_object() && j.contains("translations") && j["translations"].is_array() &&
            !j["translations"].empty() && j["translations"][0].is_object() &&
            j["translations"][0].contains("text") && j["translations"][0]["text"].is_string())
            return j["translations"][0]["text"].get<std::string>();
        return core::make_error("DeepL: the answer has no translations[0].text " + detail +
                                net::body_excerpt(r) + ")");
    }
    detail += reason(r) + ")";
    switch (r.status) {
    case 400:
        return core::make_error("DeepL: request refused " + detail);
    case 401:
    case 403:
        return core::make_error("DeepL: authorization failed " + detail +
                                "; check DEEPL_AUTH_KEY (a free-API key ends in :fx and is used at "
                                "https://api-free.deepl.com, any other at https://api.deepl.com)");
    case 404:
        return core::make_error("DeepL: not found " + detail + "; check DEEPL_API_URL");
    case 413:
        return core::make_error("DeepL: caption too large " + detail);
    case 429:
    case 529:
        return core::make_error("DeepL: too many requests " + detail);
    case 456:
        return core::make_error("DeepL: quota exceeded " + detail +
                                "; the account's character quota for this billing period is used up");
    default:
        if (r.status >= 500)
            return core::make_error("DeepL: server error " + detail);
        return core::make_error("DeepL: unexpected answer " + detail);
    }
}

core::result<std::shared_ptr<translator>> make_deepl_translator(deepl_options opts) {
    if (opts.auth_key.empty())
        return core::make_error("DeepL needs an API key: set DEEPL_AUTH_KEY (from "
                                "https://www.deepl.com/your-account/keys; free-API keys end in :fx)");
    if (opts.url.empty())
        opts.url = default_url(opts.auth_key);
    auto ep = net::parse_url(opts.url);
    if (!ep || (ep.value().scheme != "http" && ep.value().scheme != "https"))
        return core::make_error("DEEPL_API_URL: expected an http:// or https:// URL, got '" + opts.url + "'" +
                                (ep ? "" : " (" + ep.error_message() + ")"));
    auto where = std::move(ep).value();
    while (!where.target.empty() && where.target.back() == '/')
        where.target.pop_back();
    // DeepL's docs write endpoints as https://api.deepl.com/v2/...: take the base with or
    // without the version.
    if (where.target.ends_with("/v2"))
        where.target.resize(where.target.size() - 3);
    if (where.target.find_first_of("?#") != std::string::npos)
        return core::make_error("DEEPL_API_URL: expected a base URL without a query, got '" + opts.url + "'");
    opts.client.service = "DeepL";
    if (opts.client.endpoint_hint.empty())
        opts.client.endpoint_hint = "DEEPL_API_URL (--deepl-api-url)";
    spdlog::info("DeepL at {}", where.url());
    return std::shared_ptr<translator>(std::make_shared<deepl_translator>(std::move(opts), where));
}

} // namespace lt::translate::deepl
