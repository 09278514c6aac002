#include "translate/libretranslate/libretranslate_translator.hpp"

#include "core/languages.hpp"
#include "translate/engine_status.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace lt::translate::libretranslate {

namespace {

using json = nlohmann::json;

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// The server's words for an error: {"error": "..."}, else the start of the body.
std::string reason(const net::http_response& r) {
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_string())
        return j["error"].get<std::string>();
    auto text = net::body_excerpt(r);
    return text;
}

class libretranslate_translator : public translator {
public:
    libretranslate_translator(libretranslate_options opts, net::endpoint ep)
        : opts_(std::move(opts)), client_(ep, opts_.client) {
        // The first read bounds the server's start: one attempt, at most 5 s.
        auto start_opts = opts_.client;
        start_opts.max_attempts = 1;
        start_opts.request_timeout = std::min(start_opts.request_timeout, std::chrono::milliseconds(5000));
        net::http_client start_client(ep, start_opts);
        bool known = load_languages(start_client);
        worker_ = std::thread([this, known] { run(known); });
    }

    ~libretranslate_translator() override {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
        worker_.join();
    }

    std::string name() const override { return "libretranslate"; }

    std::vector<std::string> targets(std::string_view source) const override {
        std::lock_guard lock(mutex_);
        // Until the server said what it serves, every language is offered: a caption for one
        // it lacks fails alone, with the server's reason, and the original goes out.
        if (!known_) {
            std::vector<std::string> out;
            if (!core::is_known_language(source))
                return out;
            for (const auto& l : core::viewer_languages())
                if (l.code != source)
                    out.emplace_back(l.code);
            std::sort(out.begin(), out.end());
            return out;
        }
        auto it = table_.targets.find(std::string(source));
        return it == table_.targets.end() ? std::vector<std::string>{} : it->second;
    }

    core::result<std::string> translate(std::string_view source, std::string_view target,
                                        std::string_view text) override {
        std::string from(source), to(target);
        {
            std::lock_guard lock(mutex_);
            if (auto it = table_.codes.find(from); it != table_.codes.end())
                from = it->second;
            if (auto it = table_.codes.find(to); it != table_.codes.end())
                to = it->second;
        }
        if (auto why = status_.paused())
            return core::make_error(*why);
        net::http_request req;
        req.method = "POST";
        req.target = "/translate";
        req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
        req.body = translate_request(text, from, to, opts_.api_key);
        auto sent = client_.send(std::move(req));
        if (!sent) {
            status_.failed(sent.error_message(), true);
            return core::make_error(sent.error_message());
        }
        const auto& r = sent.value();
        auto answer = read_answer(r);
        if (!answer) {
            // Rate limits and the server's own faults say nothing about whether it works for
            // us; a refused key and a missing one do.
            bool serious = r.status == 401 || r.status == 403 ||
                           (r.status == 400 && answer.error_message().find("API key") != std::string::npos);
            status_.failed(answer.error_message(), serious);
            if (r.status == 429)
                status_.pause(
                    std::max(opts_.rate_limit_pause, net::retry_after(r).value_or(opts_.rate_limit_pause)));
            return answer;
        }
        status_.succeeded();
        return answer;
    }

    std::string state() const override { return status_.state(); }

    bool available() const override { return status_.available(); }

    // Network-bound: every language of a caption should be in flight together.
    std::size_t parallelism() const override { return 32; }

private:
    bool load_languages(net::http_client& client) {
        net::http_request req;
        req.target = "/languages";
        req.headers = {{"Accept", "application/json"}};
        auto sent = client.send(std::move(req));
        std::string why;
        if (!sent)
            why = sent.error_message();
        else if (sent.value().status / 100 != 2)
            why = "LibreTranslate: GET /languages answered HTTP " + std::to_string(sent.value().status) +
                  ": " + reason(sent.value());
        else if (auto table = parse_languages(sent.value().body); !table)
            why = table.error_message();
        else {
            std::size_t pairs = 0;
            for (const auto& [s, t] : table.value().targets)
                pairs += t.size();
            spdlog::info("LibreTranslate at {}: {} languages, {} pairs the page offers", client.where().url(),
                         table.value().codes.size(), pairs);
            std::lock_guard lock(mutex_);
            table_ = std::move(table).value();
            known_ = true;
            status_.clear_if("LibreTranslate: languages");
            return true;
        }
        spdlog::error("LibreTranslate: languages could not be read ({}); retrying in the background", why);
        status_.failed("LibreTranslate: languages unknown: " + why, false);
        return false;
    }

    void probe() {
        std::string source = "en", target;
        {
            std::lock_guard lock(mutex_);
            auto it = table_.targets.find(source);
            if (it == table_.targets.end() || it->second.empty()) {
                for (const auto& [s, t] : table_.targets)
                    if (!t.empty()) {
                        source = s;
                        it = table_.targets.find(s);
                        break;
                    }
            }
            if (it == table_.targets.end() || it->second.empty())
                return;
            target = it->second.front();
        }
        auto r = translate(source, target, "Hello");
        if (r)
            spdlog::info("LibreTranslate at {} translates ({}→{})", client_.where().url(), source, target);
        else
            spdlog::error(
                "LibreTranslate probe failed: {}; captions go out untranslated until a call succeeds",
                r.error_message());
    }

    void run(bool known) {
        bool probed = false;
        for (;;) {
            if (known && !probed && opts_.probe) {
                probe();
                probed = true;
            }
            std::unique_lock lock(mutex_);
            if (cv_.wait_for(lock, known ? opts_.refresh : opts_.retry, [this] { return stopping_; }))
                return;
            lock.unlock();
            known = load_languages(client_);
        }
    }

    libretranslate_options opts_;
    net::http_client client_;
    engine_status status_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    bool known_ = false;
    language_table table_;
    std::thread worker_;
};

} // namespace

std::optional<std::string> our_code(std::string_view code) {
    auto c = lower(code);
    if (c == "zh-hans")
        c = "zh";
    if (core::is_known_language(c))
        return c;
    return std::nullopt;
}

core::result<language_table> parse_languages(std::string_view body) {
    auto j = json::parse(body, nullptr, false);
    if (!j.is_array())
        return core::make_error("LibreTranslate: /languages did not answer a JSON array");
    language_table t;
    std::vector<std::pair<std::string, std::vector<std::string>>> raw;
    for (const auto& entry : j) {
        if (!entry.is_object() || !entry.contains("code") || !entry["code"].is_string())
            return core::make_error("LibreTranslate: a /languages entry without a code");
        std::vector<std::string> targets;
        if (entry.contains("targets") && entry["targets"].is_array())
            for (const auto& tc : entry["targets"])
                if (tc.is_string())
                    targets.push_back(tc.get<std::string>());
        auto code = entry["code"].get<std::string>();
        if (auto ours = our_code(code))
            t.codes.emplace(*ours, code); // the first spelling listed wins
        raw.emplace_back(std::move(code), std::move(targets));
    }
    for (const auto& [code, targets] : raw) {
        auto source = our_code(code);
        if (!source || t.codes[*source] != code)
            continue;
        std::vector<std::string> out;
        for (const auto& tc : targets)
            if (auto ours = our_code(tc);
                ours && *ours != *source && t.codes.count(*ours) && t.codes[*ours] == tc)
                out.push_back(*ours);
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        t.targets[*source] = std::move(out);
    }
    return t;
}

std::string translate_request(std::string_view q, std::string_view source, std::string_view target,
                              std::string_view api_key) {
    json body{{"q", q}, {"source", source}, {"target", target}, {"format", "text"}};
    if (!api_key.empty())
        body["api_key"] = api_key;
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

core::result<std::string> read_answer(const net::http_response& r) {
    std::string status = "HTTP " + std::to_string(r.status);
    if (r.status / 100 == 2) {
        auto j = json::parse(r.body, nullptr, false);
        if (j.is_object() && j.contains("translatedText") && j["translatedText"].is_string())
            return j["translatedText"].get<std::string>();
        return core::make_error("LibreTranslate: the answer has no translatedText (" + status + ": " +
                                net::body_excerpt(r) + ")");
    }
    std::string detail = "(" + status + ": " + reason(r) + ")";
    switch (r.status) {
    case 400:
        if (detail.find("API key") != std::string::npos)
            return core::make_error("LibreTranslate: this server needs an API key " + detail +
                                    "; set LIBRETRANSLATE_API_KEY");
        return core::make_error("LibreTranslate: request refused " + detail);
    case 401:
    case 403:
        return core::make_error("LibreTranslate: access denied " + detail + "; check LIBRETRANSLATE_API_KEY");
    case 404:
        return core::make_error("LibreTranslate: no /translate here " + detail +
                                "; check LIBRETRANSLATE_URL");
    case 429:
        return core::make_error("LibreTranslate: rate limited " + detail);
    default:
        if (r.status >= 500)
            return core::make_error("LibreTranslate: server error " + detail);
        return core::make_error("LibreTranslate: unexpected answer " + detail);
    }
}

core::result<std::shared_ptr<translator>> make_libretranslate_translator(libretranslate_options opts) {
    if (opts.url.empty())
        return core::make_error(
            "LibreTranslate needs its URL: set LIBRETRANSLATE_URL (or --libretranslate-url), "
            "e.g. http://localhost:5000");
    auto ep = net::parse_url(opts.url);
    if (!ep || (ep.value().scheme != "http" && ep.value().scheme != "https"))
        return core::make_error("LIBRETRANSLATE_URL: expected an http:// or https:// URL, got '" + opts.url +
                                "'" + (ep ? "" : " (" + ep.error_message() + ")"));
    auto where = std::move(ep).value();
    while (!where.target.empty() && where.target.back() == '/')
        where.target.pop_back();
    if (where.target.find_first_of("?#") != std::string::npos)
        return core::make_error("LIBRETRANSLATE_URL: expected a base URL without a query, got '" + opts.url +
                                "'");
    opts.client.service = "LibreTranslate";
    if (opts.client.endpoint_hint.empty())
        opts.client.endpoint_hint = "LIBRETRANSLATE_URL (--libretranslate-url)";
    return std::shared_ptr<translator>(std::make_shared<libretranslate_translator>(std::move(opts), where));
}

} // namespace lt::translate::libretranslate
