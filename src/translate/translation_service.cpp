#include "translate/translation_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace lt::translate {

translation_service::translation_service(std::shared_ptr<translator> backend, service_params params)
    : backend_(std::move(backend)), params_(params), cache_(params.cache_entries) {
    if (params_.workers == 0)
        params_.workers = 1;
    if (params_.on_demand_workers == 0)
        params_.on_demand_workers = std::max<std::size_t>(1, params_.workers / 4);
    workers_.reserve(params_.workers);
    for (std::size_t i = 0; i < params_.workers; ++i)
        workers_.emplace_back([this] { run(); });
}

translation_service::~translation_service() {
    stop();
    for (auto& t : workers_)
        t.join();
}

std::size_t translation_service::stop() {
    // Destroyed outside the lock: a callback's captures may do work when released.
    std::deque<job> dropped, dropped_on_demand, dropped_partials;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        dropped.swap(queue_);
        dropped_on_demand.swap(on_demand_);
        dropped_partials.swap(partials_);
    }
    cv_.notify_all();
    // Partials are not counted: a live line that is never shown loses nothing.
    return dropped.size() + dropped_on_demand.size();
}

bool translation_service::submit(std::string source, std::string target, std::string text, callback done) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() >= params_.queue_limit) {
            rejected_.inc();
            return false;
        }
        queue_.push_back(job{std::move(source), std::move(target), std::move(text), std::move(done), {}});
    }
    cv_.notify_one();
    return true;
}

bool translation_service::submit_on_demand(std::string source, std::string target, std::string text,
                                           callback done) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || on_demand_.size() >= params_.on_demand_limit) {
            on_demand_rejected_.inc();
            return false;
        }
        on_demand_.push_back(job{std::move(source), std::move(target), std::move(text), std::move(done), {}});
    }
    // notify_all: the one woken might be unable to take it (on-demand workers busy) while
    // another can; spurious wake-ups cost little here.
    cv_.notify_all();
    return true;
}

bool translation_service::submit_partial(std::string source, std::string target, std::string text,
                                         callback done, std::function<bool()> wanted) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || partials_.size() >= params_.partial_limit)
            return false;
        partials_.push_back(
            job{std::move(source), std::move(target), std::move(text), std::move(done), std::move(wanted)});
    }
    cv_.notify_all(); // as for on-demand jobs: not every worker may take it
    return true;
}

std::string translation_service::cache_key(const std::string& source, const std::string& target,
                                           const std::string& text) {
    // NUL cannot occur in JSON strings from clients, so it separates the key's parts.
    return source + '\0' + target + '\0' + text;
}

std::optional<translation> translation_service::cached(const std::string& source, const std::string& target,
                                                       const std::string& text) const {
    return cache_.peek(cache_key(source, target, text));
}

bool translation_service::supports(const std::string& source, const std::string& target) {
    if (source == target)
        return true;
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(targets_mutex_);
    auto& known = targets_[source];
    if (known.asked == std::chrono::steady_clock::time_point() ||
        now - known.asked > std::chrono::minutes(1)) {
        known.languages = backend_->targets(source);
        std::sort(known.languages.begin(), known.languages.end());
        known.asked = now;
    }
    return std::binary_search(known.languages.begin(), known.languages.end(), target);
}

std::map<std::pair<std::string, std::string>, std::uint64_t> translation_service::made() const {
    std::lock_guard lock(made_mutex_);
    return made_;
}

std::size_t translation_service::queued() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

std::size_t translation_service::on_demand_queued() const {
    std::lock_guard lock(mutex_);
    return on_demand_.size();
}

void translation_service::run() {
    auto may_take_on_demand = [this] {
        return !on_demand_.empty() && on_demand_running_ < params_.on_demand_workers;
    };
    auto may_take_partial = [this] { return !partials_.empty() && !partial_running_; };
    enum class kind { caption, partial, on_demand };
    for (;;) {
        job j;
        kind k = kind::caption;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [&] {
                return stopping_ || !queue_.empty() || may_take_partial() || may_take_on_demand();
            });
            if (stopping_)
                return; // stop() emptied the queues
            if (!queue_.empty()) {
                j = std::move(queue_.front());
                queue_.pop_front();
            } else if (may_take_partial()) {
                j = std::move(partials_.front());
                partials_.pop_front();
                k = kind::partial;
                partial_running_ = true;
            } else {
                j = std::move(on_demand_.front());
                on_demand_.pop_front();
                k = kind::on_demand;
                ++on_demand_running_;
            }
        }
        if (k == kind::partial)
            execute_partial(j);
        else
            execute(j);
        if (k != kind::caption) {
            {
                std::lock_guard lock(mutex_);
                if (k == kind::partial)
                    partial_running_ = false;
                else
                    --on_demand_running_;
            }
            cv_.notify_all();
        }
    }
}

void translation_service::execute(job& j) {
    if (j.source == j.target) {
        j.done(translation{std::move(j.text), {}});
        return;
    }
    std::string key = cache_key(j.source, j.target, j.text);
    if (auto hit = cache_.get(key)) {
        j.done(std::move(*hit));
        return;
    }
    auto start = std::chrono::steady_clock::now();
    core::result<translation> r = core::make_error("translator failed");
    try {
        r = backend_->translate_by_engine(j.source, j.target, j.text);
    } catch (const std::exception& e) {
        r = core::make_error(std::string("translator failed: ") + e.what());
    }
    latency_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (r) {
        cache_.put(key, r.value());
        std::lock_guard lock(made_mutex_);
        ++made_[{r.value().engine, j.target}];
    } else {
        failures_.inc();
        spdlog::warn("translation {}→{} failed: {}", j.source, j.target, r.error_message());
    }
    try {
        j.done(std::move(r));
    } catch (const std::exception& e) {
        spdlog::error("translation callback threw: {}", e.what());
    }
}

void translation_service::execute_partial(job& j) {
    core::result<translation> r = core::make_error("superseded by its final");
    try {
        if (j.wanted && !j.wanted()) {
            // dropped: the final is on its way
        } else if (auto hit = cache_.peek(cache_key(j.source, j.target, j.text))) {
            r = std::move(*hit);
        } else {
            r = backend_->translate_cheaply(j.source, j.target, j.text);
            if (r)
                partials_translated_.inc();
        }
    } catch (const std::exception& e) {
        r = core::make_error(std::string("translator failed: ") + e.what());
    }
    try {
        j.done(std::move(r));
    } catch (const std::exception& e) {
        spdlog::error("translation callback threw: {}", e.what());
    }
}

} // namespace lt::translate
