// Runs a translator on a pool of worker threads, behind an LRU cache keyed by
// (source, target, text). Network threads call submit(), which never blocks; the result
// comes back through the callback on a worker thread.
// Thread-safety: all methods are thread-safe. The destructor stops the workers after the
// jobs already queued are done, and joins them.
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

    // Whether the backend has a route source→target (or they are equal). Lets callers answer
    // "not translatable" at once instead of queueing behind real work.
    bool supports(const std::string& source, const std::string& target);

    translator& backend() { return *backend_; }
    const translator& backend() const { return *backend_; }

    // Seconds spent in the backend per call (cache misses only).
    const core::histogram& latency() const { return latency_; }
    std::uint64_t rejected() const { return rejected_.value(); }
    std::uint64_t failures() const { return failures_.value(); }
    std::size_t cache_hits() const { return cache_.hits(); }
    std::size_t cache_misses() const { return cache_.misses(); }
    std::size_t queued() const;
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
    bool stopping_ = false;
    std::vector<std::thread> workers_;
};

} // namespace lt::translate
