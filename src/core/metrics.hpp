// Lock-free counters and histograms, rendered in Prometheus text format.
// Thread-safe: updates are relaxed atomics, so a scrape may see a histogram mid-update
// (off by one observation), which Prometheus tolerates.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace lt::core {

class counter {
public:
    void inc(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> v_{0};
};

class gauge {
public:
    void add(std::int64_t n) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
    void set(std::int64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
    std::int64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> v_{0};
};

// Latency histogram in seconds with fixed buckets from 0.5 ms to 10 s.
class histogram {
public:
    static constexpr std::array<double, 14> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                   0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};
    void observe(double seconds) noexcept;
    std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
    // Appends `name_bucket{labels,le=..}`, `name_sum` and `name_count` lines.
    void render(std::string& out, std::string_view name, std::string_view labels) const;

private:
    std::array<std::atomic<std::uint64_t>, bounds.size()> buckets_{};
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_us_{0};
};

// Appends "# HELP" and "# TYPE" lines.
void render_header(std::string& out, std::string_view name, std::string_view type, std::string_view help);

} // namespace lt::core
