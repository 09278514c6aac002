#include "translate/apertium/stream_format.hpp"

namespace lt::translate::apertium {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool is_special(char c) {
    switch (c) {
    case '\\':
    case '[':
    case ']':
    case '^':
    case '$':
    case '/':
    case '@':
    case '<':
    case '>':
    case '{':
    case '}':
        return true;
    default:
        return false;
    }
}

} // namespace

std::string deformat(std::string_view text) {
    while (!text.empty() && is_blank(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_blank(text.back()))
        text.remove_suffix(1);

    std::string out;
    out.reserve(text.size() + text.size() / 8 + 16);
    for (std::size_t i = 0; i < text.size();) {
        char c = text[i];
        if (is_blank(c) || c == '~') {
            auto j = i;
            int newlines = 0;
            while (j < text.size() && (is_blank(text[j]) || text[j] == '~'))
                newlines += text[j++] == '\n';
            auto run = text.substr(i, j - i);
            if (run == " ") {
                out += ' ';
            } else {
                // destxt ends a paragraph at an empty line; mark it the same way.
                if (newlines >= 2)
                    out += ".[]";
                out += '[';
                out += run;
                out += ']';
            }
            i = j;
        } else {
            if (c == '\0') {
                ++i;
                continue;
            }
            if (is_special(c))
                out += '\\';
            out += c;
            ++i;
        }
    }
    out += ".[][\n]";
    out += '\0';
    return out;
}

std::string reformat(std::string_view stream) {
    std::string out;
    out.reserve(stream.size());
    for (std::size_t i = 0; i < stream.size(); ++i) {
        char c = stream[i];
        if (c == '\\' && i + 1 < stream.size()) {
            out += stream[++i];
        } else if (c == '.' && stream.substr(i + 1, 2) == "[]") {
            i += 2;
        } else if (c == '[' || c == ']' || c == '\0') {
            // Superblank brackets go; their content (escaped like text) stays.
        } else {
            out += c;
        }
    }
    // Trailing: the "\n" deformat added. Leading: transfer sometimes leaves a blank where a
    // dropped word was (" Estamos yendo" for "We are going"); captions should not start
    // with one.
    while (!out.empty() && is_blank(out.back()))
        out.pop_back();
    std::size_t lead = 0;
    while (lead < out.size() && is_blank(out[lead]))
        ++lead;
    out.erase(0, lead);
    return out;
}

} // namespace lt::translate::apertium
