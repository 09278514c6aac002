#include "translate/openai/openai_translator.hpp"

#include "translate/engine_status.hpp"
#include "translate/start_probe.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace lt::translate::openai {

namespace {

class openai_translator : public translator {
public:
    openai_translator(net::endpoint ep, openai_translator_options opts)
        : client_(std::make_unique<net::http_client>(std::move(ep), opts.client)),
          api_key_(std::move(opts.api_key)), model_(std::move(opts.model)),
          glossary_(std::move(opts.glossary)), parallelism_(opts.parallelism),
          where_(model_ + " at " + client_->where().url()) {
        // The first call may load the model's weights (seconds to minutes on a CPU).
        if (opts.probe)
            probe_ =
                start_probe("openai translator: " + where_ + " answers", "openai translator probe failed",
                            [this] { return call("en", "es", "Good morning.", {}); });
    }

    std::string name() const override { return "openai"; }

    // An LLM translates between any two of the page's languages (how well depends on the
    // model), so every page language but the source is offered.
    std::vector<std::string> targets(std::string_view source) const override {
        return page_languages_but(source);
    }

    core::result<std::string> translate(std::string_view source, std::string_view target,
                                        std::string_view text) override {
        return call(source, target, text, context_for(source, text));
    }

    void note_caption(std::string_view source, std::string_view text) override {
        std::lock_guard lock(mutex_);
        noted_ = true;
        remember(source, text);
    }

    std::string state() const override { return status_.state(); }

    bool available() const override { return status_.available(); }

    std::size_t parallelism() const override { return parallelism_; }

private:
    // The two captions before `text` from the same source language. Kept per source, not per
    // room: the backend sees no rooms (the service's cache shares one translation between
    // rooms anyway), and a source language is in practice one speaker's stream, which is
    // what a pronoun or a term refers back to. Two rooms with speakers of one language
    // interleave their context; it is only a hint, so the cost is a weaker hint, not a
    // wrong caption. Every language of one caption is asked at once, so a caption seen before
    // keeps its place: all its languages get the same context.
    // The captions come from note_caption() (the hub's published finals). Text that was not
    // noted (a viewer's request_translation, anyone may send one) gets no context and is not
    // kept, so it cannot steer the model on others' captions. Until a first note arrives (a
    // caller that does not note), every text asked for is kept instead.
    std::vector<std::string> context_for(std::string_view source, std::string_view text) {
        std::lock_guard lock(mutex_);
        auto q = recent_.find(std::string(source));
        if (!noted_ &&
            (q == recent_.end() || std::find(q->second.begin(), q->second.end(), text) == q->second.end()))
            q = remember(source, text);
        if (q == recent_.end())
            return {};
        auto it = std::find(q->second.rbegin(), q->second.rend(), text);
        if (it == q->second.rend())
            return {};
        auto pos = q->second.size() - 1 - static_cast<std::size_t>(it - q->second.rbegin());
        return {q->second.begin() + static_cast<std::ptrdiff_t>(pos >= 2 ? pos - 2 : 0),
                q->second.begin() + static_cast<std::ptrdiff_t>(pos)};
    }

    // Under mutex_.
    std::unordered_map<std::string, std::deque<std::string>>::iterator remember(std::string_view source,
                                                                                std::string_view text) {
        constexpr std::size_t keep = 16; // captions whose languages may still be in flight
        if (recent_.size() >= 64 && !recent_.count(std::string(source)))
            recent_.clear(); // sources are few; this bounds what odd requests can grow
        auto it = recent_.try_emplace(std::string(source)).first;
        auto& q = it->second;
        if (q.empty() || q.back() != text) {
            q.emplace_back(text);
            if (q.size() > keep)
                q.pop_front();
        }
        return it;
    }

    core::result<std::string> call(std::string_view source, std::string_view target, std::string_view text,
                                   std::vector<std::string> context) {
        chat_prompt p{std::string(source), std::string(target), std::string(text), std::move(context),
                      glossary_};
        net::http_request req;
        req.method = "POST";
        req.target = "/chat/completions";
        req.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
        if (!api_key_.empty())
            req.headers.emplace_back("Authorization", "Bearer " + api_key_);
        req.body = request_body(model_, p);
        auto sent = client_->send(std::move(req));
        if (!sent)
            return fail(sent.error_message(), true); // names the service, endpoint and step
        const auto& r = sent.value();
        auto prefix = "openai (" + where_ + "): ";
        if (r.status == 401 || r.status == 403)
            return fail(prefix + error_detail(r.status, r.body) +
                            (api_key_.empty() ? ": OPENAI_API_KEY is not set" : ": check OPENAI_API_KEY"),
                        true);
        if (r.status == 404)
            return fail(prefix + error_detail(r.status, r.body) +
                            ": check LT_MT_MODEL (Ollama: `ollama pull " + model_ +
                            "`) and OPENAI_BASE_URL (it usually ends in /v1)",
                        true);
        if (r.status < 200 || r.status > 299)
            return fail(prefix + error_detail(r.status, r.body), false);
        auto content = answer_content(r.body);
        if (!content)
            return fail(prefix + content.error_message(), false);
        auto cleaned = clean_answer(content.value(), text, target);
        if (!cleaned)
            return fail(prefix + language_name(target) + ": " + cleaned.error_message(), false);
        status_.succeeded();
        return cleaned;
    }

    // `unreachable`: the failure says the server cannot be used (network, key, model), not
    // that one answer was bad or the server was busy.
    core::error fail(std::string why, bool unreachable) {
        status_.failed(why, unreachable);
        return core::make_error(std::move(why));
    }

    std::unique_ptr<net::http_client> client_;
    std::string api_key_;
    std::string model_;
    std::vector<glossary_term> glossary_;
    std::size_t parallelism_;
    std::string where_; // "llama3.1:8b at http://localhost:11434/v1"
    engine_status status_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::deque<std::string>> recent_; // by source, oldest first
    bool noted_ = false; // note_caption() was called: only noted captions are context
    start_probe probe_;  // last: joined before the rest goes
};

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

} // namespace

core::result<std::shared_ptr<translator>> make_openai_translator(openai_translator_options opts) {
    opts.model = std::string(trim(opts.model));
    if (opts.model.empty())
        return core::make_error("the openai translator needs a model: set --mt-model or LT_MT_MODEL (e.g. "
                                "llama3.1:8b for Ollama, gpt-4o-mini for OpenAI)");
    auto ep = net::parse_url(trim(opts.base_url));
    if (!ep)
        return core::make_error("OPENAI_BASE_URL '" + opts.base_url + "': " + ep.error_message());
    auto e = std::move(ep).value();
    if (e.scheme != "http" && e.scheme != "https")
        return core::make_error("OPENAI_BASE_URL '" + opts.base_url + "': expected http:// or https://");
    if (e.target.find_first_of("?#") != std::string::npos)
        return core::make_error("OPENAI_BASE_URL '" + opts.base_url +
                                "': a query or fragment is not supported; give the base URL the API's "
                                "paths follow, e.g. http://localhost:11434/v1");
    while (!e.target.empty() && e.target.back() == '/')
        e.target.pop_back();
    if (e.target.empty())
        spdlog::warn("OPENAI_BASE_URL {} has no path: OpenAI-compatible servers usually answer under /v1",
                     opts.base_url);
    if (opts.parallelism == 0)
        opts.parallelism = e.host == "localhost" || e.host.starts_with("127.") || e.host == "::1" ? 8 : 16;
    spdlog::info("openai translator: model {} at {} ({}, {} glossary rows)", opts.model, e.url(),
                 opts.api_key.empty() ? "no API key" : "with OPENAI_API_KEY", opts.glossary.size());
    return std::shared_ptr<translator>(std::make_shared<openai_translator>(std::move(e), std::move(opts)));
}

} // namespace lt::translate::openai
