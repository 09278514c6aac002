#include "hub/live_line.hpp"

namespace lt::hub {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// The next word of `s` at or after `pos`: [begin, end); begin == s.size() when none is left.
std::pair<std::size_t, std::size_t> next_word(std::string_view s, std::size_t pos) {
    while (pos < s.size() && is_space(s[pos]))
        ++pos;
    auto end = pos;
    while (end < s.size() && !is_space(s[end]))
        ++end;
    return {pos, end};
}

} // namespace

live_split split_live_line(std::string_view previous, std::string_view latest) {
    std::size_t p = 0, l = 0;
    std::size_t stable_end = 0; // end of the last agreed word in `latest`
    for (;;) {
        auto [pb, pe] = next_word(previous, p);
        auto [lb, le] = next_word(latest, l);
        if (pb == pe || lb == le)
            break;
        if (previous.substr(pb, pe - pb) != latest.substr(lb, le - lb))
            break;
        // The newest partial's last word may still grow: only a word followed by more is settled.
        if (next_word(latest, le).first == latest.size())
            break;
        stable_end = le;
        p = pe;
        l = le;
    }
    auto rest = next_word(latest, stable_end).first;
    return {latest.substr(0, stable_end), latest.substr(rest)};
}

} // namespace lt::hub
