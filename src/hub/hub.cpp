#include "hub/hub.hpp"

#include "hub/live_line.hpp"
#include "protocol/messages.hpp"
#include "translate/translation_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <iterator>

namespace lt::hub {

namespace {
std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

double ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Ids of partials whose final has not come yet; more are abandoned utterances.
constexpr std::size_t live_ids_kept = 16;
constexpr auto live_interval = std::chrono::seconds(1);
} // namespace

hub::hub(translate::translation_service& service, hub_params params, fanout_fn fanout)
    : service_(service), params_(params), fanout_(std::move(fanout)) {
    if (!fanout_)
        fanout_ = [](subscriber_list&& to, const frame_ptr& frame) {
            for (const auto& s : to)
                s->deliver(frame);
        };
    // In a cluster, Redis holds the shared history (cluster::load_history fills it in).
    if (params_.store && !params_.cluster)
        load_stored();
}

void hub::load_stored() {
    auto& store = *params_.store;
    seq_ = store.last_seq(params_.room);
    for (const auto& c : store.recent(params_.room, params_.history)) {
        auto e = std::make_shared<entry>();
        e->seq = c.seq;
        e->id = c.id;
        e->text = c.text;
        e->timestamp = c.timestamp;
        e->lang = c.lang;
        e->corrected = c.corrected;
        e->typed = c.source == "typed";
        e->at_ms = c.at_ms;
        for (const auto& [lang, t] : store.translations(params_.room, c.seq)) {
            e->frames.emplace(lang, make_frame(*e, lang, t.text, t.engine, std::nullopt));
            e->texts[lang] = t.text;
        }
        remember(e);
    }
}

bool hub::store_final(const entry& e) {
    storage::stored_caption c;
    c.room = params_.room;
    c.seq = e.seq;
    c.id = e.id;
    c.lang = e.lang;
    c.text = e.text;
    c.timestamp = e.timestamp;
    c.source = e.typed ? "typed" : "spoken";
    c.at_ms = e.at_ms;
    auto w = params_.store->add_final(c);
    if (!w) {
        store_errors.inc();
        spdlog::error("{}; {}", w.error_message(),
                      params_.cluster ? "it is missing from this node's transcript"
                                      : "the final is not published, and the speaker keeps it to send again");
    }
    return bool(w);
}

void hub::keep(const entry& e, const std::string& lang, const core::result<translate::translation>& r) {
    if (!params_.store || !r || lang == e.lang)
        return;
    if (auto w =
            params_.store->add_translation(params_.room, e.seq, {lang, r.value().text, r.value().engine});
        !w) {
        store_errors.inc();
        spdlog::error("{}", w.error_message());
    }
}

void hub::join(const std::shared_ptr<subscriber>& s) {
    std::lock_guard lock(mutex_);
    viewer v;
    v.handle = s;
    v.last_seq = seq_; // live from now; history only comes with set_language
    viewers_[s.get()] = std::move(v);
    channels_["en"].members.insert(s.get());
}

void hub::leave(const subscriber* s) {
    std::lock_guard lock(mutex_);
    auto it = viewers_.find(s);
    if (it == viewers_.end())
        return;
    channels_[it->second.lang].members.erase(s);
    viewers_.erase(it);
}

frame_ptr hub::make_frame(const entry& e, const std::string& lang, const std::string& text,
                          const std::string& engine, std::optional<std::string> error) const {
    protocol::caption c;
    c.text = text;
    c.original = e.text;
    c.timestamp = e.timestamp;
    c.lang = lang;
    c.id = e.id;
    c.seq = e.seq;
    c.error = std::move(error);
    c.source_lang = e.lang;
    c.engine = engine;
    c.corrected = e.corrected;
    c.typed = e.typed;
    return std::make_shared<const std::string>(protocol::serialize(c));
}

frame_ptr hub::frame_for(entry& e, const std::string& lang, core::result<translate::translation> r) {
    if (auto it = e.frames.find(lang); it != e.frames.end())
        return it->second;
    frame_ptr f;
    if (r) {
        f = make_frame(e, lang, r.value().text, r.value().engine, std::nullopt);
        e.texts[lang] = r.value().text;
    } else {
        translation_errors.inc();
        f = make_frame(e, lang, e.text, {}, r.error_message());
    }
    e.frames.emplace(lang, f);
    return f;
}

void hub::deliver_partial(const frame_ptr& frame) {
    subscriber_list to;
    for (auto& [ptr, v] : viewers_)
        if (v.partials)
            if (auto h = v.handle.lock())
                to.push_back(std::move(h));
    fanout_(std::move(to), frame);
}

void hub::remember(const std::shared_ptr<entry>& e) {
    // Finals from several nodes can arrive slightly out of order: keep the history sorted.
    auto at = history_.end();
    while (at != history_.begin() && (*std::prev(at))->seq > e->seq)
        --at;
    history_.insert(at, e);
    history_ids_[e->id] = e->seq;
    while (history_.size() > params_.history) {
        if (auto it = history_ids_.find(history_.front()->id);
            it != history_ids_.end() && it->second == history_.front()->seq)
            history_ids_.erase(it);
        history_.pop_front();
    }
}

std::uint64_t hub::publish(text_in in) {
    std::uint64_t seq = 0;
    publish(std::move(in), [&seq](std::uint64_t s) { seq = s; });
    return seq;
}

std::optional<std::uint64_t> hub::known_id(const std::string& id) const {
    if (id.empty())
        return std::nullopt;
    auto it = history_ids_.find(id);
    if (it != history_ids_.end())
        return it->second;
    // Older than the history in memory: the store still knows it (a speaker resending a final
    // from before a restart).
    if (params_.store && !params_.cluster)
        return params_.store->seq_of_id(params_.room, id);
    return std::nullopt;
}

void hub::publish(text_in in, std::function<void(std::uint64_t)> done) {
    auto& cluster = params_.cluster;
    if (in.partial) {
        auto frame = partial_frame(in, in.lang, in.text, {}, std::nullopt);
        {
            std::lock_guard lock(mutex_);
            deliver_partial(frame);
            if (cluster)
                cluster->share_partial(params_.room, encode(cluster_partial{cluster->node_id(), frame}));
            partials.inc();
            translate_live(in);
        }
        done(0);
        return;
    }
    if (!cluster) {
        done(publish_final(std::move(in), std::nullopt));
        return;
    }
    // The cluster numbers finals; the store, if any, is this node's transcript (written as
    // finals are published, not before the ack).
    {
        std::lock_guard lock(mutex_);
        if (auto seq = known_id(in.id)) {
            duplicates.inc();
            done(*seq);
            return;
        }
    }
    auto id = in.id;
    std::weak_ptr<hub> weak = weak_from_this();
    cluster->assign(
        params_.room, id,
        [weak, in = std::move(in), done = std::move(done)](std::optional<cluster_assignment> a) mutable {
            auto h = weak.lock();
            if (!h)
                return;
            if (a && a->duplicate) {
                h->duplicates.inc();
                done(a->seq);
                return;
            }
            if (a) {
                // Redis settled the number (and the id): acknowledge before the
                // fan-out is queued on the speaker's thread, not behind it.
                done(a->seq);
                h->publish_final(std::move(in), a);
            } else {
                done(h->publish_final(std::move(in), a));
            }
        });
}

std::uint64_t hub::publish_final(text_in in, const std::optional<cluster_assignment>& assigned) {
    auto& cluster = params_.cluster;
    std::lock_guard lock(mutex_);
    // Its partials' translations still queued or running are dropped from here on, so none
    // reaches a viewer after the final.
    live_.erase(in.id);
    if (auto seq = known_id(in.id)) {
        duplicates.inc();
        return *seq;
    }
    auto e = std::make_shared<entry>();
    e->seq = assigned ? assigned->seq : seq_ + 1;
    e->id = in.id.empty() ? "s-" + std::to_string(e->seq) : std::move(in.id);
    e->text = std::move(in.text);
    e->timestamp = std::move(in.timestamp);
    e->lang = std::move(in.lang);
    e->typed = in.typed;
    e->at_ms = now_ms();
    // Before the acknowledgement: what the speaker is told was received survives a crash.
    if (params_.store && !store_final(*e) && !cluster)
        return 0;
    seq_ = std::max(seq_, e->seq);
    remember(e);
    service_.backend().note_caption(e->lang, e->text);
    finals.inc();
    if (cluster && !assigned)
        unshared.inc();

    std::set<std::string> targets;
    for (auto& [lang, c] : channels_)
        if (!c.members.empty()) {
            c.pending.emplace(e->seq, slot{e, nullptr});
            targets.insert(lang);
        }
    if (assigned) {
        // Languages only other nodes' viewers chose are translated here too, once.
        targets.insert(assigned->languages.begin(), assigned->languages.end());
        e->sharing = targets;
        to_share_.emplace(e->seq, e);
    }

    std::weak_ptr<hub> weak = weak_from_this();
    for (const auto& lang : targets) {
        bool framed = frame_now_or_queue(*e, lang, [weak, e, lang](core::result<translate::translation> r) {
            if (auto h = weak.lock())
                h->on_translated(e, lang, std::move(r));
        });
        if (framed) {
            e->sharing.erase(lang);
            if (auto cit = channels_.find(lang); cit != channels_.end())
                if (auto pit = cit->second.pending.find(e->seq); pit != cit->second.pending.end()) {
                    pit->second.frame = e->frames.at(lang);
                    flush(lang, cit->second);
                }
        }
    }
    share_ready();
    return e->seq;
}

void hub::share_ready() {
    while (!to_share_.empty() && to_share_.begin()->second->sharing.empty()) {
        auto e = std::move(to_share_.begin()->second);
        to_share_.erase(to_share_.begin());
        cluster_final m{params_.cluster->node_id(), e->seq, e->id, e->text, e->lang, e->timestamp, e->frames};
        params_.cluster->share_final(params_.room, e->seq, encode(m));
    }
}

void hub::ingest(cluster_message message, bool deliver) {
    if (auto* p = std::get_if<cluster_pause>(&message)) {
        if (params_.cluster && p->node == params_.cluster->node_id())
            return;
        bool changed = false;
        {
            std::lock_guard lock(mutex_);
            changed = paused_ != p->paused;
            paused_ = p->paused;
        }
        if (changed && deliver) {
            spdlog::info("room {}: captions {} on another node", params_.room,
                         p->paused ? "paused" : "resumed");
            if (params_.on_publishing)
                params_.on_publishing(params_.room, p->paused);
        }
        return;
    }
    if (auto* p = std::get_if<cluster_partial>(&message)) {
        if (params_.cluster && p->node == params_.cluster->node_id())
            return; // our own, delivered locally already
        if (!deliver)
            return;
        std::lock_guard lock(mutex_);
        deliver_partial(p->frame);
        return;
    }
    auto& m = std::get<cluster_final>(message);
    if (params_.cluster && m.node == params_.cluster->node_id())
        return;
    auto e = std::make_shared<entry>();
    e->seq = m.seq;
    e->id = std::move(m.id);
    e->text = std::move(m.text);
    e->lang = std::move(m.lang);
    e->timestamp = std::move(m.timestamp);
    e->frames = std::move(m.frames);
    e->at_ms = now_ms();
    std::lock_guard lock(mutex_);
    if (history_ids_.count(e->id))
        return; // seen already (loaded history overlapping the live stream)
    seq_ = std::max(seq_, e->seq);
    remember(e);
    service_.backend().note_caption(e->lang, e->text);
    remote_finals.inc();
    if (params_.store && deliver && !params_.store->seq_of_id(params_.room, e->id))
        store_final(*e); // this node's transcript; Redis numbers and keeps the shared history
    if (!deliver)
        return;
    std::weak_ptr<hub> weak = weak_from_this();
    for (auto& [lang, c] : channels_) {
        if (c.members.empty() || c.pending.count(e->seq))
            continue;
        auto& sl = c.pending[e->seq];
        sl.e = e;
        // A language the speaker's node did not know about yet is translated here.
        if (frame_now_or_queue(*e, lang, [weak, e, lang = lang](core::result<translate::translation> r) {
                if (auto h = weak.lock())
                    h->on_translated(e, lang, std::move(r));
            })) {
            sl.frame = e->frames.at(lang);
            flush(lang, c);
        }
    }
}

bool hub::frame_now_or_queue(entry& e, const std::string& lang,
                             std::function<void(core::result<translate::translation>)> done) {
    if (e.frames.count(lang))
        return true;
    if (lang == e.lang) {
        frame_for(e, lang, translate::translation{e.text, {}});
        return true;
    }
    if (!service_.supports(e.lang, lang)) {
        untranslatable.inc();
        // Not an error of the moment, so it is not counted or logged as one.
        e.frames.emplace(lang, make_frame(e, lang, e.text, {},
                                          "no translation from " + e.lang + " to " + lang +
                                              " on this server (" + service_.backend().name() + ")"));
        return true;
    }
    if (service_.submit(e.lang, lang, e.text, std::move(done)))
        return false;
    frame_for(e, lang, core::make_error("server busy: translation queue is full"));
    return true;
}

void hub::on_translated(const std::shared_ptr<entry>& e, const std::string& lang,
                        core::result<translate::translation> r) {
    auto kept = r;
    {
        std::lock_guard lock(mutex_);
        if (r && !e->frames.count(lang))
            e->made[lang] = latency{e->seq, r.value().engine, ms_since(e->started), 0};
        auto f = frame_for(*e, lang, std::move(r));
        if (auto cit = channels_.find(lang); cit != channels_.end())
            if (auto pit = cit->second.pending.find(e->seq); pit != cit->second.pending.end()) {
                pit->second.frame = std::move(f);
                flush(lang, cit->second);
            }
        e->sharing.erase(lang);
        share_ready();
    }
    keep(*e, lang, kept); // after the viewers have it: the disk waits, they do not
}

void hub::flush(const std::string& lang, channel& c) {
    while (!c.pending.empty() && c.pending.begin()->second.frame) {
        auto seq = c.pending.begin()->first;
        frame_ptr frame = std::move(c.pending.begin()->second.frame);
        if (const auto& e = c.pending.begin()->second.e)
            if (auto m = e->made.find(lang); m != e->made.end()) {
                auto& kept = latencies_[lang];
                kept.push_back(m->second);
                kept.back().deliver_ms = ms_since(e->started);
                if (kept.size() > latencies_kept)
                    kept.pop_front();
            }
        c.pending.erase(c.pending.begin());
        subscriber_list to;
        to.reserve(c.members.size());
        for (const subscriber* m : c.members) {
            auto& v = viewers_[m];
            if (v.catching_up || v.last_seq >= seq)
                continue;
            if (auto h = v.handle.lock()) {
                to.push_back(std::move(h));
                v.last_seq = seq;
            }
        }
        fanout_(std::move(to), frame);
    }
}

void hub::set_language(const std::shared_ptr<subscriber>& s, const std::string& lang,
                       std::optional<std::uint64_t> since, bool want_partials) {
    std::lock_guard lock(mutex_);
    auto& v = viewers_[s.get()];
    channels_[v.lang].members.erase(s.get());
    v.handle = s;
    v.lang = lang;
    v.partials = want_partials;
    v.catching_up = true;
    v.outstanding = 0;
    // Unique across viewers, so a late result for a viewer that left cannot be taken for
    // one of a new viewer that happens to get the same address.
    v.generation = ++generations_;
    auto& c = channels_[lang];
    c.members.insert(s.get());
    if (params_.cluster)
        params_.cluster->want(params_.room, lang);

    // A `since` beyond our newest seq comes from an earlier server run: start afresh.
    if (since && *since > seq_)
        since.reset();
    std::vector<std::shared_ptr<entry>> chosen;
    if (since) {
        for (const auto& e : history_)
            if (e->seq > *since)
                chosen.push_back(e);
        v.last_seq = *since;
    } else {
        auto n = std::min(params_.catch_up, history_.size());
        chosen.assign(history_.end() - static_cast<std::ptrdiff_t>(n), history_.end());
        v.last_seq = chosen.empty() ? seq_ : chosen.front()->seq - 1;
    }

    std::weak_ptr<hub> weak = weak_from_this();
    const subscriber* key = s.get();
    for (const auto& e : chosen) {
        if (e->frames.count(lang) || c.pending.count(e->seq))
            continue; // ready, or the channel will deliver it
        auto done = [weak, key, gen = v.generation, e, lang,
                     version = e->version](core::result<translate::translation> r) {
            if (auto h = weak.lock())
                h->on_catch_up(key, gen, e, lang,
                               version == e->version ? std::move(r)
                                                     : core::make_error("corrected meanwhile"));
        };
        bool framed = frame_now_or_queue(*e, lang, std::move(done));
        if (!framed)
            ++v.outstanding;
    }
    if (v.outstanding == 0)
        finish_catch_up(v);
}

void hub::on_catch_up(const subscriber* s, std::uint64_t generation, std::shared_ptr<entry> e,
                      const std::string& lang, core::result<translate::translation> r) {
    auto kept = r;
    {
        std::lock_guard lock(mutex_);
        frame_for(*e, lang, std::move(r));
        auto it = viewers_.find(s);
        if (it != viewers_.end() && it->second.generation == generation && --it->second.outstanding == 0)
            finish_catch_up(it->second);
    }
    keep(*e, lang, kept);
}

void hub::finish_catch_up(viewer& v) {
    v.catching_up = false;
    auto h = v.handle.lock();
    if (!h)
        return;
    auto& c = channels_[v.lang];
    for (const auto& e : history_) {
        if (e->seq <= v.last_seq)
            continue;
        if (auto f = e->frames.find(v.lang); f != e->frames.end()) {
            h->deliver(f->second);
            v.last_seq = e->seq;
        } else if (c.pending.count(e->seq)) {
            break; // the channel delivers this one and everything after it, in order
        }
    }
}

core::result<std::uint64_t> hub::correct(std::uint64_t seq, std::string text) {
    if (params_.cluster)
        return core::make_error("corrections are not shared across a cluster yet: correct on a single node");
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        return core::make_error("the corrected text is empty");
    std::unique_lock lock(mutex_);
    auto it = std::find_if(history_.begin(), history_.end(), [&](const auto& e) { return e->seq == seq; });
    for (const auto& [lang, c] : channels_)
        if (c.pending.count(seq))
            return core::make_error("final " + std::to_string(seq) +
                                    " is still being translated; correct it in a moment");
    if (it == history_.end()) {
        // Older than the history in memory: only the transcript has it.
        if (!params_.store || seq == 0 || seq > seq_)
            return core::make_error("no final " + std::to_string(seq) + " in room " + params_.room);
        lock.unlock();
        auto w = params_.store->correct(params_.room, seq, text);
        if (!w)
            return core::make_error(w.error_message());
        return seq;
    }
    auto e = *it;
    if (params_.store)
        if (auto w = params_.store->correct(params_.room, seq, text); !w)
            return core::make_error(w.error_message());
    e->text = std::move(text);
    e->corrected = true;
    e->frames.clear();
    e->texts.clear();
    const auto version = ++e->version;
    std::weak_ptr<hub> weak = weak_from_this();
    for (auto& [lang, c] : channels_) {
        if (c.members.empty())
            continue;
        if (frame_now_or_queue(*e, lang,
                               [weak, e, lang = lang, version](core::result<translate::translation> r) {
                                   if (auto h = weak.lock())
                                       h->on_corrected(e, lang, version, std::move(r));
                               }))
            send_corrected(lang, *e);
    }
    return seq;
}

void hub::on_corrected(const std::shared_ptr<entry>& e, const std::string& lang, std::uint64_t version,
                       core::result<translate::translation> r) {
    auto kept = r;
    {
        std::lock_guard lock(mutex_);
        if (e->version != version)
            return; // corrected again meanwhile
        frame_for(*e, lang, std::move(r));
        send_corrected(lang, *e);
    }
    keep(*e, lang, kept);
}

void hub::send_corrected(const std::string& lang, const entry& e) {
    auto cit = channels_.find(lang);
    auto fit = e.frames.find(lang);
    if (cit == channels_.end() || fit == e.frames.end())
        return;
    subscriber_list to;
    for (const subscriber* m : cit->second.members) {
        auto vit = viewers_.find(m);
        // Viewers still catching up get the corrected frame from the history.
        if (vit == viewers_.end() || vit->second.catching_up || vit->second.last_seq < e.seq)
            continue;
        if (auto h = vit->second.handle.lock())
            to.push_back(std::move(h));
    }
    fanout_(std::move(to), fit->second);
}

std::vector<hub::transcript_line> hub::transcript(std::uint64_t after_seq, std::size_t limit) const {
    std::lock_guard lock(mutex_);
    std::vector<transcript_line> out;
    // The history is sorted by seq (remember()).
    auto it =
        std::upper_bound(history_.begin(), history_.end(), after_seq,
                         [](std::uint64_t seq, const std::shared_ptr<entry>& e) { return seq < e->seq; });
    for (; it != history_.end() && out.size() < limit; ++it)
        out.push_back({(*it)->seq, (*it)->lang, (*it)->text, (*it)->at_ms, (*it)->texts});
    return out;
}

void hub::set_paused(bool paused) {
    {
        // Shared under the lock, so the cluster gets two quick toggles in their order.
        std::lock_guard lock(mutex_);
        paused_ = paused;
        if (params_.cluster)
            params_.cluster->share_paused(params_.room,
                                          encode(cluster_pause{params_.cluster->node_id(), paused}));
    }
    if (params_.on_publishing)
        params_.on_publishing(params_.room, paused);
}

bool hub::paused() const {
    std::lock_guard lock(mutex_);
    return paused_;
}

std::size_t hub::share_unfinished() {
    std::lock_guard lock(mutex_);
    auto n = to_share_.size();
    for (auto& [seq, e] : to_share_)
        e->sharing.clear();
    share_ready();
    return n;
}

std::uint64_t hub::last_seq() const {
    std::lock_guard lock(mutex_);
    return seq_;
}

bool hub::idle() const {
    std::lock_guard lock(mutex_);
    if (!viewers_.empty() || !to_share_.empty())
        return false;
    for (const auto& [lang, c] : channels_)
        if (!c.members.empty() || !c.pending.empty())
            return false;
    return true;
}

bool hub::has_history() const {
    std::lock_guard lock(mutex_);
    return !history_.empty();
}

hub::stats hub::snapshot() const {
    std::lock_guard lock(mutex_);
    stats s;
    for (const auto& [lang, c] : channels_) {
        if (!c.members.empty())
            s.viewers[lang] = c.members.size();
        s.viewer_count += c.members.size();
        s.pending += c.pending.size();
    }
    s.last_seq = seq_;
    for (const auto& [lang, kept] : latencies_)
        s.latencies[lang].assign(kept.begin(), kept.end());
    s.paused = paused_;
    return s;
}

frame_ptr hub::partial_frame(const text_in& in, const std::string& lang, const std::string& text,
                             const std::string& engine, std::optional<std::string> pending) const {
    protocol::caption c;
    c.text = text;
    c.original = in.text;
    c.timestamp = in.timestamp;
    c.lang = lang;
    c.id = in.id;
    c.partial = true;
    c.source_lang = in.lang;
    c.engine = engine;
    c.pending = std::move(pending);
    return std::make_shared<const std::string>(protocol::serialize(c));
}

void hub::translate_live(const text_in& in) {
    auto it = live_.find(in.id);
    if (it == live_.end()) {
        if (live_.size() >= live_ids_kept) // the one not heard from for longest
            live_.erase(std::min_element(live_.begin(), live_.end(), [](const auto& a, const auto& b) {
                return a.second.heard < b.second.heard;
            }));
        it = live_.emplace(in.id, live_text{}).first;
    }
    it->second.heard = ++live_heard_;
    it->second.previous = std::move(it->second.latest);
    it->second.latest = in.text;
    const auto split = split_live_line(it->second.previous, it->second.latest);
    if (split.stable.empty())
        return;
    const std::string stable(split.stable), pending(split.pending);
    const auto now = std::chrono::steady_clock::now();
    std::weak_ptr<hub> weak = weak_from_this();
    for (const auto& [lang, c] : channels_) {
        if (lang == in.lang || c.members.empty())
            continue;
        auto& last = live_langs_[lang];
        if (now - last.last < live_interval || (last.id == in.id && last.stable == stable))
            continue;
        if (std::none_of(c.members.begin(), c.members.end(), [this](const subscriber* m) {
                auto v = viewers_.find(m);
                return v != viewers_.end() && v->second.partials;
            }))
            continue;
        auto hit = service_.cached(in.lang, lang, stable);
        if (!hit && !(service_.supports(in.lang, lang) && service_.backend().cheap(in.lang, lang)))
            continue; // a paid or remote engine: the live line stays in the source language
        last = live_lang{now, in.id, stable};
        if (hit) { // no worker needed
            deliver_live(c, partial_frame(in, lang, hit->text, hit->engine, pending));
            continue;
        }
        auto wanted = [weak, id = in.id] {
            auto h = weak.lock();
            if (!h)
                return false;
            std::lock_guard lock(h->mutex_);
            return h->live_.count(id) > 0;
        };
        service_.submit_partial(
            in.lang, lang, stable,
            [weak, in, lang = lang, pending](core::result<translate::translation> r) {
                if (auto h = weak.lock())
                    h->on_live_translated(in, lang, pending, std::move(r));
            },
            std::move(wanted));
    }
}

void hub::on_live_translated(const text_in& in, const std::string& lang, const std::string& pending,
                             core::result<translate::translation> r) {
    std::lock_guard lock(mutex_);
    if (!live_.count(in.id)) {
        live_dropped.inc();
        return;
    }
    if (!r)
        return; // the source-language live line stands; the final follows
    if (auto cit = channels_.find(lang); cit != channels_.end())
        deliver_live(cit->second, partial_frame(in, lang, r.value().text, r.value().engine, pending));
}

void hub::deliver_live(const channel& c, const frame_ptr& frame) {
    subscriber_list to;
    for (const subscriber* m : c.members)
        if (auto v = viewers_.find(m); v != viewers_.end() && v->second.partials)
            if (auto h = v->second.handle.lock())
                to.push_back(std::move(h));
    if (to.empty())
        return;
    fanout_(std::move(to), frame);
    live_translations.inc();
}

} // namespace lt::hub
