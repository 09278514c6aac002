// Runs a translator on a pool of worker threads, behind an LRU cache keyed by
// (source, target, text). Network threads call submit(), which never blocks; the result
// comes back through the callback on a worker thread.
// Two queues: captions (submit) and on-demand requests (submit_on_demand, a viewer's
// request_translation). Workers always take a caption first, and at most
// `on_demand_workers` of them run on-demand jobs at once, so captions never wait behind
// on-demand requests (only, at worst, behind those already running).
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
    };
    struct key_hash {
        std::size_t operator()(const std::string& k) const { return std::hash<std::string>{}(k); }
    };

    void run();
    void execute(job& j);

    std::shared_ptr<translator> backend_;
    service_params params_;
    core::lru_cache<std::string, translation, key_hash> cache_;
    core::histogram latency_;
    core::counter rejected_;
    core::counter failures_;
    core::counter on_demand_rejected_;

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
    std::size_t on_demand_running_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

} // namespace lt::translate
