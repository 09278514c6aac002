// Jittered exponential back-off for retry loops: the first delay is `initial`, each next
// one twice the last up to `max`, and each is multiplied by a random factor in
// [jitter_min, jitter_max] so that clients cut off together do not return together
// (1.0-1.0: no jitter). Not thread-safe: one per retry loop.
#pragma once

#include <chrono>
#include <random>

namespace lt::net {

class backoff {
public:
    backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, double jitter_min = 1.0,
            double jitter_max = 1.0);

    // The delay before the next attempt; the one after will be twice as long (up to max).
    std::chrono::milliseconds next();
    // After a success: the next delay is `initial` again.
    void reset();
    // The next delay before jitter.
    std::chrono::milliseconds current() const { return current_; }

private:
    std::chrono::milliseconds initial_, max_, current_;
    double jitter_min_, jitter_max_;
    std::minstd_rand rng_;
};

} // namespace lt::net
