#include "net/backoff.hpp"

#include <algorithm>

namespace lt::net {

backoff::backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, double jitter_min,
                 double jitter_max)
    : initial_(initial), max_(std::max(max, initial)), current_(initial), jitter_min_(jitter_min),
      jitter_max_(std::max(jitter_min, jitter_max)), rng_(std::random_device{}()) {}

std::chrono::milliseconds backoff::next() {
    auto base = current_;
    current_ = std::min(current_ * 2, max_);
    if (jitter_min_ == 1.0 && jitter_max_ == 1.0)
        return base;
    std::uniform_real_distribution<double> factor(jitter_min_, jitter_max_);
    return std::chrono::milliseconds(
        static_cast<long long>(static_cast<double>(base.count()) * factor(rng_)));
}

void backoff::reset() { current_ = initial_; }

} // namespace lt::net
