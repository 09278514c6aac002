// A token bucket: `rate` events per second on average, bursts of up to `burst`.
// Not thread-safe; each owner guards its own.
#pragma once

#include <algorithm>
#include <chrono>

namespace lt::server {

class rate_limiter {
public:
    rate_limiter(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}
    // rate <= 0: no limit.
    bool allow(std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
        return take(1, now);
    }
    // An event worth `cost` events (at most `burst`, so it can always pass when full).
    bool take(double cost, std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
        if (rate_ <= 0)
            return true;
        cost = std::min(cost, burst_);
        if (last_ != std::chrono::steady_clock::time_point{}) {
            double elapsed = std::chrono::duration<double>(now - last_).count();
            tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
        }
        last_ = now;
        if (tokens_ < cost)
            return false;
        tokens_ -= cost;
        return true;
    }
    // Full again: nothing to remember.
    bool idle(std::chrono::steady_clock::time_point now) const {
        return rate_ <= 0 || tokens_ + std::chrono::duration<double>(now - last_).count() * rate_ >= burst_;
    }

private:
    double rate_, burst_, tokens_;
    std::chrono::steady_clock::time_point last_{};
};

} // namespace lt::server
