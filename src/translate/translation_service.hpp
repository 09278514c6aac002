// Runs a translator on a pool of worker threads, behind an LRU cache keyed by
// (source, target, text). Network threads call submit(), which never blocks; the result
// comes back through the callback on a worker thread.
// Three queues: captions (submit), the live line (submit_partial) and on-demand requests
// (submit_on_demand, a viewer's request_translation). Workers always take a caption first,
// then a partial, then an on-demand job; at most one partial and `on_demand_workers`
// on-demand jobs run at once, so captions never wait behind either (only, at worst, behind
// those already running).
// Thread-safety: all methods are thread-safe. stop() (and the destructor) drops the jobs
// still queued, without calling their callbacks, and waits only for those running.
#pragma once

#include "core/lru_cache.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"
#include "translate/translator.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace lt::translate {

struct service_params {
    // Apertium runs one pipeline per pair, so languages proceed in parallel up to this many;
    // more workers than pairs in use only wait.
    std::size_t workers = 4;
    // Jobs waiting for a worker. Past it submit() refuses (policy: discard_new, counted),
    // so a stalled backend cannot grow memory without bound.
    std::size_t queue_limit = 8192;
    // Cached translations; speakers repeat phrases, and catch-up re-asks recent captions.
    std::size_t cache_entries = 20000;
    // On-demand jobs waiting (discard_new past it, counted). Kept small: each may be a
    // paid call, and none of them is a caption.
    std::size_t on_demand_limit = 64;
    // Workers that may run on-demand jobs at once; 0: a quarter of the workers (at least 1).
    std::size_t on_demand_workers = 0;
    // Live-line (partial) translations waiting; at most one runs at once.
    std::size_t partial_limit = 32;
};

class translation_service {
public:
    using callback = std::function<void(core::result<translation>)>;

    translation_service(std::shared_ptr<translator> backend, service_params params = {});
    ~translation_service();
    translation_service(const translation_service&) = delete;
    translation_service& operator=(const translation_service&) = delete;

    // Queues one translation. Returns false (and never calls `done`) when the queue is
    // full or the service is stopping. Otherwise `done` is called exactly once, on a worker
    // thread. source == target completes with `text` unchanged (engine "").
    bool submit(std::string source, std::string target, std::string text, callback done);
    // The same for an on-demand request, on its own bounded queue behind every caption.
    bool submit_on_demand(std::string source, std::string target, std::string text, callback done);

    // The live line: translates `text` only from the cache or through a cheap engine
    // (translator::cheap), never a paid or remote call; otherwise `done` gets an error. The
    // result is not cached (a partial's words are rarely asked again, and would push out
    // finals that catch-ups ask for). Just before it runs, `wanted` is asked: false (the
    // final of that partial came meanwhile) completes it with an error and no call. Its own
    // queue (partial_limit, discard_new) behind every caption.
    bool submit_partial(std::string source, std::string target, std::string text, callback done,
                        std::function<bool()> wanted);
    // The cached translation of exactly `text`, if any; changes neither the cache nor its counts.
    std::optional<translation> cached(const std::string& source, const std::string& target,
                                      const std::string& text) const;

    // Refuses new jobs and drops the queued ones (their callbacks are never called); jobs
    // already running finish. Returns how many were dropped. Safe to call twice.
    std::size_t stop();

    // Whether the backend has a route source→target (or they are equal). Lets callers answer
    // "not translatable" at once instead of queueing behind real work.
    bool supports(const std::string& source, const std::string& target);

    translator& backend() { return *backend_; }
    const translator& backend() const { return *backend_; }

    // Seconds spent in the backend per call (cache misses only).
    const core::histogram& latency() const { return latency_; }
    std::uint64_t rejected() const { return rejected_.value(); }
    std::uint64_t on_demand_rejected() const { return on_demand_rejected_.value(); }
    // Live-line translations made by an engine (cache hits and refusals not counted).
    std::uint64_t partials_translated() const { return partials_translated_.value(); }
    std::uint64_t failures() const { return failures_.value(); }
    std::size_t cache_hits() const { return cache_.hits(); }
    std::size_t cache_misses() const { return cache_.misses(); }
    std::size_t queued() const;
    std::size_t on_demand_queued() const;
    // Translations made (cache misses that succeeded) per (engine, target language).
    std::map<std::pair<std::string, std::string>, std::uint64_t> made() const;

private:
    struct job {
        std::string source, target, text;
        callback done;
        std::function<bool()> wanted; // partials only
    };
    struct key_hash {
        std::size_t operator()(const std::string& k) const { return std::hash<std::string>{}(k); }
    };

    void run();
    void execute(job& j);
    void execute_partial(job& j);
    static std::string cache_key(const std::string& source, const std::string& target,
                                 const std::string& text);

    std::shared_ptr<translator> backend_;
    service_params params_;
    core::lru_cache<std::string, translation, key_hash> cache_;
    core::histogram latency_;
    core::counter rejected_;
    core::counter failures_;
    core::counter on_demand_rejected_;
    core::counter partials_translated_;

    std::mutex targets_mutex_;
    // By source, sorted, asked again after a minute: an engine's languages can change
    // (LibreTranslate's refreshed list).
    struct target_list {
        std::vector<std::string> languages;
        std::chrono::steady_clock::time_point asked;
    };
    std::unordered_map<std::string, target_list> targets_;

    mutable std::mutex made_mutex_;
    std::map<std::pair<std::string, std::string>, std::uint64_t> made_;

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<job> queue_;
    std::deque<job> on_demand_;
    std::deque<job> partials_;
    std::size_t on_demand_running_ = 0;
    bool partial_running_ = false;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

} // namespace lt::translate
