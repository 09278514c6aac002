#include "server/routes/transcript.hpp"

#include "core/languages.hpp"

#include <spdlog/spdlog.h>

#include <future>

namespace lt::server {

namespace {

struct line {
    std::uint64_t seq = 0;
    std::string lang, text;
    std::int64_t at_ms = 0;
    std::optional<std::string> translated;
};

// Waits for one translation from the service, within what is left of the budget.
std::optional<std::string> translate_now(server_state& state, const line& l, const std::string& lang,
                                         std::chrono::steady_clock::time_point deadline) {
    if (std::chrono::steady_clock::now() >= deadline || !state.service->supports(l.lang, lang))
        return std::nullopt;
    auto promise = std::make_shared<std::promise<core::result<translate::translation>>>();
    auto future = promise->get_future();
    // On the on-demand queue: live captions never wait behind a transcript.
    if (!state.service->submit_on_demand(
            l.lang, lang, l.text,
            [promise](core::result<translate::translation> r) { promise->set_value(std::move(r)); }))
        return std::nullopt;
    if (future.wait_until(deadline) != std::future_status::ready)
        return std::nullopt;
    auto r = future.get();
    if (!r)
        return std::nullopt;
    return r.value().text;
}

} // namespace

std::optional<transcript_request> transcript_route(std::string_view path) {
    transcript_request r;
    r.room = std::string(hub::default_room);
    if (path.starts_with("/r/")) {
        auto rest = path.substr(3);
        auto slash = rest.find('/');
        if (slash == std::string_view::npos || !hub::is_room_name(rest.substr(0, slash)))
            return std::nullopt;
        r.room = std::string(rest.substr(0, slash));
        path = rest.substr(slash);
    }
    if (!path.starts_with("/transcript."))
        return std::nullopt;
    auto f = transcript::parse_format(path.substr(std::string_view("/transcript.").size()));
    if (!f)
        return std::nullopt;
    r.format = *f;
    return r;
}

transcript_result build_transcript(server_state& state, const transcript_request& req,
                                   const std::string& lang, std::chrono::milliseconds budget) {
    if (!lang.empty() && !core::is_known_language(lang))
        return {400, "unknown language '" + lang.substr(0, 16) + "'\n"};
    std::vector<line> lines;
    if (state.store) {
        state.store->for_each(req.room, [&](const storage::stored_caption& c) {
            line l{c.seq, c.lang, c.text, c.at_ms, std::nullopt};
            if (!lang.empty() && lang != c.lang)
                if (auto t = state.store->translation(req.room, c.seq, lang))
                    l.translated = t->text;
            lines.push_back(std::move(l));
        });
    } else if (auto room = state.rooms->find(req.room)) {
        for (auto& t : room->transcript()) {
            line l{t.seq, t.lang, t.text, t.at_ms, std::nullopt};
            if (auto it = t.translations.find(lang); it != t.translations.end())
                l.translated = it->second;
            lines.push_back(std::move(l));
        }
    }
    if (lines.empty())
        return {404, "no captions in room " + req.room + "\n"};
    const auto deadline = std::chrono::steady_clock::now() + budget;
    std::size_t translated_now = 0, left = 0;
    transcript::writer w(req.format);
    std::string body = w.begin();
    for (auto& l : lines) {
        std::string text = l.text;
        if (!lang.empty() && lang != l.lang) {
            if (!l.translated) {
                l.translated = translate_now(state, l, lang, deadline);
                if (l.translated) {
                    ++translated_now;
                    if (state.store)
                        state.store->add_translation(req.room, l.seq, {lang, *l.translated, ""});
                } else {
                    ++left;
                }
            }
            if (l.translated)
                text = *l.translated;
        }
        body += w.add({l.at_ms, text});
    }
    body += w.finish();
    if (translated_now || left)
        spdlog::info("transcript of room {} in {}: {} captions translated for it, {} left in their language",
                     req.room, lang, translated_now, left);
    return {200, std::move(body)};
}

} // namespace lt::server
