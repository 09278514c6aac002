// Small string helpers shared by the AWS layer's sources. Internal to src/aws.
#pragma once

#include <cctype>
#include <cstdlib>
#include <string>
#include <string_view>

namespace lt::aws::detail {

// A variable's value; "" when unset.
inline std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : std::string();
}

inline std::string trim(std::string_view s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos)
        return {};
    auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

inline std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

} // namespace lt::aws::detail
