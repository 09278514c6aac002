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
    std::deque<job> dropped, dropped_on_demand;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        dropped.swap(queue_);
        dropped_on_demand.swap(on_demand_);
    }
    cv_.notify_all();
    return dropped.size() + dropped_on_demand.size();
}

bool translation_service::submit(std::string source, std::string target, std::string text, callback done) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() >= params_.queue_limit) {
            rejected_.inc();
            return false;
        }
        queue_.push_back(job{std::move(source), std::move(target), std::move(text), std::move(done)});
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
        on_demand_.push_back(job{std::move(source), std::move(target), std::move(text), std::move(done)});
    }
    // notify_all: the one woken might be unable to take it (on-demand workers busy) while
    // another can; spurious wake-ups cost little here.
    cv_.notify_all();
    return true;
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
    for (;;) {
        job j;
        bool on_demand = false;
        {
            std::unique_lock lock(mutex_);
            cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || may_take_on_demand(); });
            if (stopping_)
                return; // stop() emptied the queues
            if (!queue_.empty()) {
                j = std::move(queue_.front());
                queue_.pop_front();
            } else {
                j = std::move(on_demand_.front());
                on_demand_.pop_front();
                on_demand = true;
                ++on_demand_running_;
            }
        }
        execute(j);
        if (on_demand) {
            {
                std::lock_guard lock(mutex_);
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
    // NUL cannot occur in JSON strings from clients, so it separates the key's parts.
    std::string key = j.source + '\0' + j.target + '\0' + j.text;
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

} // namespace lt::translate
