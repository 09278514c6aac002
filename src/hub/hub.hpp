// The caption hub: who watches in which language, the history of final captions, and
// delivery in spoken order.
//
// A final caption gets the next seq and is translated once for every language that has a
// viewer, all languages in parallel on the translation_service. Each language's results
// are released strictly in seq order (a slow language holds back only itself), serialized
// once, and the same bytes are handed to every viewer of that language.
//
// Thread-safety: all methods are thread-safe (one mutex). subscriber::deliver is called
// with that mutex held, so it must only queue the frame (post to the connection's strand)
// and never call back into the hub.
#pragma once

#include "core/metrics.hpp"
#include "core/result.hpp"
#include "hub/cluster_hook.hpp"
#include "hub/cluster_message.hpp"
#include "hub/frame.hpp"
#include "storage/store.hpp"
#include "translate/translator.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace lt::translate {
class translation_service;
}

namespace lt::hub {

// A viewer's connection as the hub sees it. Each lives on one lane (a server's network
// thread, by index; 0 where there is only one), so a fanout_fn can batch per lane.
class subscriber {
public:
    explicit subscriber(std::size_t lane = 0) noexcept : lane_(lane) {}
    virtual ~subscriber() = default;
    // Queues one text frame, from any thread (a connection posts it to its own thread).
    // Called with the hub's lock held: no blocking, no hub calls.
    virtual void deliver(frame_ptr frame) = 0;
    // Queues one text frame, on the subscriber's own lane: called only from a batch that a
    // fanout_fn runs there, never by the hub itself. The default is deliver(). By reference:
    // a frame written at once is never copied (no reference count traffic per viewer).
    virtual void push(const frame_ptr& frame) { deliver(frame); }
    // Fixed for the subscriber's life.
    std::size_t lane() const noexcept { return lane_; }

private:
    std::size_t lane_;
};

using subscriber_list = std::vector<std::shared_ptr<subscriber>>;

// Hands one frame to many subscribers, with the hub's lock held (so frames keep their
// order); same rules as subscriber::deliver. The default calls deliver() on each. A server
// replaces it to batch: one task per lane (network thread) instead of one per viewer.
using fanout_fn = std::function<void(subscriber_list&& to, const frame_ptr& frame)>;

struct hub_params {
    // Finals kept for catch-up; a viewer away for longer than this many captions gets the
    // newest `history` and misses the rest.
    std::size_t history = 200;
    // Finals a viewer receives after choosing a language without `since`.
    std::size_t catch_up = 20;
    std::string room = "main";
    std::shared_ptr<cluster_hook> cluster; // null: a single node
    // Durable rooms (--data-dir): the room's history, seq and ids are loaded from it when the
    // hub is made; each local final is written to it before it is acknowledged, and each
    // translation once made. Null: memory only.
    std::shared_ptr<storage::store> store;
    // Called (without the hub's lock) when the room is paused or resumed, here or on another
    // node: the server tells the room's connections. Null: nobody is told.
    std::function<void(const std::string& room, bool paused)> on_publishing;
};

struct text_in {
    std::string text;
    std::string timestamp;
    std::string id; // empty: the hub assigns "s-<seq>"
    std::string lang = "en";
    bool partial = false;
    bool typed = false; // the operator typed it (console), shown as such
};

class hub : public std::enable_shared_from_this<hub> {
public:
    hub(translate::translation_service& service, hub_params params = {}, fanout_fn fanout = {});

    // A new connection watches `en` (the reference default) without partials.
    void join(const std::shared_ptr<subscriber>& s);
    // Removes the connection from every language. Safe to call twice.
    void leave(const subscriber* s);
    // Moves the viewer to `lang` and sends it the catch-up (see docs/protocol.md). The
    // caller sends `language_set` before calling, so the confirmation comes first.
    void set_language(const std::shared_ptr<subscriber>& s, const std::string& lang,
                      std::optional<std::uint64_t> since, bool partials);
    // Publishes a speaker's text; `done` gets the seq given to a final (0 for a partial, and
    // for a final the store could not write: it is then not published, see store_errors). A
    // final whose id is already in the history (a speaker resending after a lost ack) is not
    // published again; its first seq is given. On a single node `done` runs before publish
    // returns; in a cluster it runs on the cluster's thread once Redis numbered the final,
    // so a network thread never waits for Redis.
    void publish(text_in in, std::function<void(std::uint64_t)> done);
    // Single node only (tests): the seq at once.
    std::uint64_t publish(text_in in);
    // The operator's correction of a published final: its new text replaces the old in the
    // history and the store, it is translated again for every watched language, and viewers
    // who have it get it again (same seq, `corrected: true`). Errors: a final still being
    // translated (try again in a moment), one the room no longer has, a cluster (not shared yet).
    core::result<std::uint64_t> correct(std::uint64_t seq, std::string text);
    // The finals in memory (the history), oldest first, with the translations made so far:
    // a transcript when there is no store.
    struct transcript_line {
        std::uint64_t seq = 0;
        std::string lang, text;
        std::int64_t at_ms = 0;
        std::map<std::string, std::string> translations;
    };
    // At most `limit` of them after `after_seq` (a transcript streams a batch at a time).
    std::vector<transcript_line> transcript(std::uint64_t after_seq = 0,
                                            std::size_t limit = static_cast<std::size_t>(-1)) const;
    // Paused: speakers' text is not shown (the server's sessions check it); typed text is.
    // Shared with the cluster (every node of the room pauses) and told through on_publishing.
    void set_paused(bool paused);
    bool paused() const;
    // A message another node shared (cluster_hook::share_final/share_partial), decoded: its
    // finals join the history and reach local viewers like local ones; this node's own
    // messages are ignored. A pause from another node sets paused() and calls on_publishing
    // when it changed (and `deliver`). `deliver` false: history only (loading a room).
    void ingest(cluster_message message, bool deliver = true);
    // The newest seq this hub knows (its own or another node's).
    std::uint64_t last_seq() const;
    // Shutdown, after the translation service dropped its queue: shares every final still
    // waiting for translations with the frames made so far (other nodes translate the rest),
    // so an acknowledged final reaches the cluster's history. Returns how many.
    std::size_t share_unfinished();

    // One final's translation into one language, as the operator console shows it.
    struct latency {
        std::uint64_t seq = 0;
        std::string engine;      // that made the text ("" for a cache hit of unknown origin)
        double translate_ms = 0; // from the final's arrival until its translation was back
        double deliver_ms = 0;   // from the final's arrival until it went out to the viewers
    };
    static constexpr std::size_t latencies_kept = 5;
    struct stats {
        std::map<std::string, std::size_t> viewers; // per language
        std::size_t viewer_count = 0;
        std::uint64_t last_seq = 0;
        std::size_t pending = 0; // finals waiting for some language
        // Per language, the last `latencies_kept` finals translated on this node, oldest first.
        std::map<std::string, std::vector<latency>> latencies;
        bool paused = false;
    };
    stats snapshot() const;
    // Nobody watches, no translation is pending, nothing waits to be shared with the cluster:
    // the room may be removed (room_registry::collect) once nobody else holds it either.
    bool idle() const;
    // Holds finals (whether anyone else has them is the caller's to know).
    bool has_history() const;

    core::counter finals;
    core::counter partials;
    core::counter translation_errors; // a translation was tried and failed
    core::counter untranslatable;     // the backend has no route to the viewer's language
    core::counter duplicates;         // finals resent with an id already published
    core::counter unshared;           // finals numbered locally: the cluster was unreachable
    core::counter remote_finals;      // finals received from other nodes
    core::counter bad_messages;       // cluster messages that could not be read (cluster/room_sync)
    core::counter store_errors;       // finals or translations the store could not write
    core::counter live_translations;  // translated partials sent to viewers
    core::counter live_dropped;       // translated partials dropped: their final came first

private:
    struct entry {
        std::uint64_t seq;
        std::string id, text, timestamp, lang;
        std::int64_t at_ms = 0;                   // arrival, ms since the Unix epoch
        std::map<std::string, std::string> texts; // translations made, per language
        std::map<std::string, frame_ptr> frames;  // per target language, once ready
        std::set<std::string> sharing;            // languages to finish before sharing
        bool corrected = false, typed = false;
        std::uint64_t version = 0; // a correction makes older translations stale
        std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
        std::map<std::string, latency> made; // translations made here for the first time
    };
    struct slot {
        std::shared_ptr<entry> e;
        frame_ptr frame; // null until translated
    };
    struct channel {
        std::set<const subscriber*> members;
        std::map<std::uint64_t, slot> pending; // by seq
    };
    struct viewer {
        std::weak_ptr<subscriber> handle;
        std::string lang = "en";
        bool partials = false;
        bool catching_up = false;
        std::uint64_t generation = 0; // new on each set_language; stale catch-ups are dropped
        std::uint64_t last_seq = 0;   // highest seq delivered
        std::size_t outstanding = 0;  // catch-up translations not yet back
    };

    frame_ptr make_frame(const entry& e, const std::string& lang, const std::string& text,
                         const std::string& engine, std::optional<std::string> error) const;
    void on_translated(const std::shared_ptr<entry>& e, const std::string& lang,
                       core::result<translate::translation> r);
    // Writes a translation to the store (without the hub's lock: it may wait on the disk).
    void keep(const entry& e, const std::string& lang, const core::result<translate::translation>& r);
    void load_stored();
    bool store_final(const entry& e); // false: not written (logged, counted)
    // Shares this node's finals with the cluster in seq order, each once all its languages
    // are done (translations finish in any order; other nodes must not see 3 before 2).
    void share_ready();
    void remember(const std::shared_ptr<entry>& e);
    void deliver_partial(const frame_ptr& frame);
    std::optional<std::uint64_t> known_id(const std::string& id) const; // with mutex_ held
    // Records and translates a final numbered by the cluster (`assigned`) or locally.
    std::uint64_t publish_final(text_in in, const std::optional<cluster_assignment>& assigned);
    void on_catch_up(const subscriber* s, std::uint64_t generation, std::shared_ptr<entry> e,
                     const std::string& lang, core::result<translate::translation> r);
    void flush(const std::string& lang, channel& c);
    // Sends a corrected final's frame to the viewers of `lang` who already had the final.
    void send_corrected(const std::string& lang, const entry& e);
    void on_corrected(const std::shared_ptr<entry>& e, const std::string& lang, std::uint64_t version,
                      core::result<translate::translation> r);
    void finish_catch_up(viewer& v);
    frame_ptr frame_for(entry& e, const std::string& lang, core::result<translate::translation> r);
    // Frames `e` for `lang` at once when no translation is needed or possible; otherwise
    // queues the translation and returns false. `done` receives the queued result.
    bool frame_now_or_queue(entry& e, const std::string& lang,
                            std::function<void(core::result<translate::translation>)> done);

    // The live line: translates the settled part of a partial (live_line.hpp) for each
    // language watched with partials, at most once a second per language, only from the cache
    // or a cheap engine. With mutex_ held.
    void translate_live(const text_in& in);
    void on_live_translated(const text_in& in, const std::string& lang, const std::string& pending,
                            core::result<translate::translation> r);
    // To the channel's viewers who asked for partials.
    void deliver_live(const channel& c, const frame_ptr& frame);
    frame_ptr partial_frame(const text_in& in, const std::string& lang, const std::string& text,
                            const std::string& engine, std::optional<std::string> pending) const;

    translate::translation_service& service_;
    hub_params params_;
    fanout_fn fanout_;
    mutable std::mutex mutex_;
    std::uint64_t seq_ = 0;
    bool paused_ = false;
    std::uint64_t generations_ = 0;
    std::deque<std::shared_ptr<entry>> history_;
    std::unordered_map<std::string, std::uint64_t> history_ids_; // speaker ids in history_
    std::map<std::uint64_t, std::shared_ptr<entry>> to_share_;   // ours, not yet shared
    std::map<std::string, channel> channels_;
    std::unordered_map<const subscriber*, viewer> viewers_;
    struct live_text {
        std::string previous, latest;
        std::uint64_t heard = 0; // live_heard_ at its latest partial
    };
    std::map<std::string, live_text> live_; // partials by id, until their final is published
    std::uint64_t live_heard_ = 0;
    struct live_lang {
        std::chrono::steady_clock::time_point last; // the last translation asked for
        std::string id, stable;                     // of that translation
    };
    std::map<std::string, live_lang> live_langs_;
    std::map<std::string, std::deque<latency>> latencies_; // per language
};

} // namespace lt::hub
