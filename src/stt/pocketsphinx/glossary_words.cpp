#include "stt/pocketsphinx/glossary_words.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <sstream>

namespace lt::stt::pocketsphinx {

namespace {

// The English letter names in CMU phones.
constexpr std::array<const char*, 26> letter_names{"EY",
                                                   "B IY",
                                                   "S IY",
                                                   "D IY",
                                                   "IY",
                                                   "EH F",
                                                   "JH IY",
                                                   "EY CH",
                                                   "AY",
                                                   "JH EY",
                                                   "K EY",
                                                   "EH L",
                                                   "EH M",
                                                   "EH N",
                                                   "OW",
                                                   "P IY",
                                                   "K Y UW",
                                                   "AA R",
                                                   "EH S",
                                                   "T IY",
                                                   "Y UW",
                                                   "V IY",
                                                   "D AH B AH L Y UW",
                                                   "EH K S",
                                                   "W AY",
                                                   "Z IY"};

std::string lower(std::string s) {
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Letters, digits, apostrophes and any UTF-8 byte; the rest (punctuation) is not said.
std::string spoken(const std::string& w) {
    std::string out;
    for (unsigned char c : w)
        if (std::isalnum(c) || c == '\'' || c >= 0x80)
            out += static_cast<char>(c);
    return out;
}

bool acronym(const std::string& w) {
    return w.size() >= 2 && w.size() <= 6 &&
           std::all_of(w.begin(), w.end(), [](unsigned char c) { return std::isupper(c); });
}

// Two or three dictionary words of 3 letters or more that make up `w` (lower case), the
// longest first part first.
std::string compound(const std::string& w, const std::function<std::string(const std::string&)>& lookup,
                     int parts_left) {
    if (parts_left == 0)
        return {};
    for (std::size_t cut = w.size() - 3; cut >= 3; --cut) {
        auto head = lookup(w.substr(0, cut));
        if (head.empty())
            continue;
        auto rest = w.substr(cut);
        auto tail = lookup(rest);
        if (tail.empty() && rest.size() >= 4)
            tail = compound(rest, lookup, parts_left - 1);
        if (!tail.empty())
            return head + " " + tail;
    }
    return {};
}

} // namespace

glossary_words plan_glossary_words(const std::vector<std::string>& terms,
                                   const std::map<std::string, std::string>& given,
                                   const std::function<std::string(const std::string&)>& lookup) {
    glossary_words out;
    std::set<std::string> seen;
    for (const auto& term : terms) {
        std::istringstream words(term);
        for (std::string raw; words >> raw;) {
            const auto w = spoken(raw);
            if (w.empty() || !seen.insert(w).second)
                continue;
            if (auto it = given.find(w); it != given.end()) {
                out.add.push_back({w, it->second, "given"});
                continue;
            }
            if (!lookup(w).empty() || !lookup(lower(w)).empty())
                continue;
            if (acronym(w)) {
                std::string phones;
                for (unsigned char c : w)
                    phones += (phones.empty() ? "" : " ") + std::string(letter_names[c - 'A']);
                out.add.push_back({w, phones, "spelled"});
                continue;
            }
            const auto l = lower(w);
            if (l.size() >= 6)
                if (auto phones = compound(l, lookup, 3); !phones.empty()) {
                    out.add.push_back({w, phones, "compound"});
                    continue;
                }
            out.unknown.push_back(l);
        }
    }
    return out;
}

} // namespace lt::stt::pocketsphinx
