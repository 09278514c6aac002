// Shared by the fuzz targets: the input as text, and a check that stops the run with a
// message (libFuzzer saves the input that made it abort).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace lt::fuzz {

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Splits at the first NUL: the part before it and the rest (empty when there is none).
inline std::pair<std::string_view, std::string_view> split_nul(std::string_view s) {
    auto nul = s.find('\0');
    if (nul == std::string_view::npos)
        return {s, {}};
    return {s.substr(0, nul), s.substr(nul + 1)};
}

#define LT_FUZZ_CHECK(cond)                                                                                  \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            std::fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__);              \
            std::abort();                                                                                    \
        }                                                                                                    \
    } while (0)

} // namespace lt::fuzz
