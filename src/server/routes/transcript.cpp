#include "server/routes/transcript.hpp"

#include "core/languages.hpp"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>

namespace lt::server {

namespace {

// Finals read at once, and translations a transcript keeps on the on-demand queue at once
// (2 transcripts at once hold at most 16 of its 64 places: viewers' requests keep the rest).
constexpr std::size_t rows_per_batch = 256;
constexpr std::size_t translations_in_flight = 8;
constexpr std::size_t piece_bytes = 16 * 1024;

struct line {
    std::uint64_t seq = 0;
    std::string lang, text;
    std::int64_t at_ms = 0;
    std::optional<std::string> translated;
    bool fresh = false; // translated for this request: to be stored
};

// The next batch of the room's finals after `after`, with the translations into `lang` made so far.
std::vector<line> next_batch(server_state& state, const std::string& room, const std::string& lang,
                             std::uint64_t after) {
    std::vector<line> out;
    if (state.store) {
        auto rows = state.store->page(room, after, rows_per_batch);
        if (rows.empty())
            return out;
        std::map<std::uint64_t, std::string> done;
        if (!lang.empty())
            done = state.store->translations_into(room, lang, rows.front().seq, rows.back().seq);
        for (auto& c : rows) {
            line l{c.seq, std::move(c.lang), std::move(c.text), c.at_ms, std::nullopt};
            if (auto it = done.find(l.seq); it != done.end())
                l.translated = std::move(it->second);
            out.push_back(std::move(l));
        }
    } else if (auto h = state.rooms->find(room)) {
        for (auto& t : h->transcript(after, rows_per_batch)) {
            line l{t.seq, std::move(t.lang), std::move(t.text), t.at_ms, std::nullopt};
            if (auto it = t.translations.find(lang); it != t.translations.end())
                l.translated = std::move(it->second);
            out.push_back(std::move(l));
        }
    }
    return out;
}

// Translations of one transcript waiting on the service. Shared with the callbacks, which may
// come after the transcript gave up on them.
struct waiting {
    std::mutex mutex;
    std::condition_variable cv;
    std::map<std::size_t, std::optional<std::string>> done; // by index in the batch
};

// Translates the lines [from, to) of `batch` that lack `lang`, up to translations_in_flight at
// a time, until `deadline`. Returns how many were translated and how many are left.
std::pair<std::size_t, std::size_t> translate_batch(server_state& state, const std::string& lang,
                                                    std::vector<line>& batch, std::size_t from,
                                                    std::size_t to,
                                                    std::chrono::steady_clock::time_point deadline) {
    auto w = std::make_shared<waiting>();
    std::size_t submitted = 0, finished = 0, made = 0, left = 0;
    auto collect = [&] { // with w->mutex held
        for (auto it = w->done.begin(); it != w->done.end(); it = w->done.erase(it)) {
            ++finished;
            if (it->second) {
                batch[it->first].translated = std::move(it->second);
                batch[it->first].fresh = true;
                ++made;
            } else {
                ++left;
            }
        }
    };
    for (std::size_t i = from; i < to; ++i) {
        auto& l = batch[i];
        if (l.translated || l.lang == lang)
            continue;
        if (std::chrono::steady_clock::now() >= deadline || !state.service->supports(l.lang, lang)) {
            ++left;
            continue;
        }
        {
            // Keep at most translations_in_flight on the queue.
            std::unique_lock lock(w->mutex);
            collect();
            while (submitted - finished >= translations_in_flight) {
                if (w->cv.wait_until(lock, deadline) == std::cv_status::timeout)
                    break;
                collect();
            }
            if (submitted - finished >= translations_in_flight) {
                ++left;
                continue;
            }
        }
        // On the on-demand queue: live captions never wait behind a transcript.
        auto ok = state.service->submit_on_demand(
            l.lang, lang, l.text, [w, i](core::result<translate::translation> r) {
                std::lock_guard lock(w->mutex);
                w->done[i] = r ? std::optional<std::string>(r.value().text) : std::nullopt;
                w->cv.notify_all();
            });
        if (ok)
            ++submitted;
        else
            ++left; // the queue is full (viewers' requests): this one stays as spoken
    }
    std::unique_lock lock(w->mutex);
    collect();
    while (finished < submitted) {
        if (w->cv.wait_until(lock, deadline) == std::cv_status::timeout)
            break;
        collect();
    }
    left += submitted - finished; // past the deadline
    return {made, left};
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

transcript_result check_transcript(server_state& state, const transcript_request& req,
                                   const std::string& lang) {
    if (!lang.empty() && !core::is_known_language(lang))
        return {400, "unknown language '" + lang.substr(0, 16) + "'\n"};
    bool any = false;
    if (state.store)
        any = state.store->last_seq(req.room) > 0;
    else if (auto h = state.rooms->find(req.room))
        any = h->has_history();
    if (!any)
        return {404, "no captions in room " + req.room + "\n"};
    return {200, {}};
}

bool stream_transcript(server_state& state, const transcript_request& req, const std::string& lang,
                       transcript_sink& out, std::chrono::milliseconds budget) {
    const auto deadline = std::chrono::steady_clock::now() + budget;
    std::size_t made = 0, left = 0;
    transcript::writer w(req.format);
    std::string piece = w.begin();
    std::uint64_t after = 0;
    bool ok = true;
    while (ok) {
        auto batch = next_batch(state, req.room, lang, after);
        if (batch.empty())
            break;
        after = batch.back().seq;
        // A few translations at a time, each group written out before the next: the client
        // sees progress, and one that left is noticed (its write fails) within a few groups.
        for (std::size_t from = 0; from < batch.size() && ok; from += 4 * translations_in_flight) {
            const auto to = std::min(batch.size(), from + 4 * translations_in_flight);
            bool translated = false;
            if (!lang.empty()) {
                auto [m, l] = translate_batch(state, lang, batch, from, to, deadline);
                made += m;
                left += l;
                translated = m > 0;
            }
            std::vector<std::pair<std::uint64_t, storage::stored_translation>> fresh;
            for (auto i = from; i < to; ++i) {
                auto& l = batch[i];
                const bool use = !lang.empty() && lang != l.lang && l.translated;
                if (use && l.fresh)
                    fresh.push_back({l.seq, {lang, *l.translated, ""}});
                piece += w.add({l.at_ms, use ? *l.translated : l.text});
            }
            // Kept for next time, one transaction for the group.
            if (state.store && !fresh.empty())
                if (auto r = state.store->add_translations(req.room, fresh); !r)
                    spdlog::warn("transcript of room {}: {}", req.room, r.error_message());
            if (!piece.empty() && (piece.size() >= piece_bytes || translated)) {
                ok = out.write(std::move(piece));
                piece.clear();
            }
        }
        if (batch.size() < rows_per_batch)
            break;
    }
    if (ok) {
        piece += w.finish();
        if (!piece.empty())
            ok = out.write(std::move(piece));
    }
    if (made || left)
        spdlog::info(
            "transcript of room {} in {}: {} captions translated for it, {} left in their language{}",
            req.room, lang, made, left, ok ? "" : "; the client left before the end");
    return ok;
}

} // namespace lt::server
