#include "core/metrics.hpp"

#include <fmt/format.h>

namespace lt::core {

void histogram::observe(double seconds) noexcept {
    for (std::size_t i = 0; i < bounds.size(); ++i)
        if (seconds <= bounds[i]) {
            buckets_[i].fetch_add(1, std::memory_order_relaxed);
            break;
        }
    count_.fetch_add(1, std::memory_order_relaxed);
    sum_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
    std::string sep = labels.empty() ? "" : ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds.size(); ++i) {
        cumulative += buckets_[i].load(std::memory_order_relaxed);
        out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, bounds[i], cumulative);
    }
    auto total = count();
    out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, total);
    std::string braces = labels.empty() ? "" : fmt::format("{{{}}}", labels);
    out += fmt::format("{}_sum{} {}\n", name, braces,
                       static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6);
    out += fmt::format("{}_count{} {}\n", name, braces, total);
}

void render_header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

} // namespace lt::core
