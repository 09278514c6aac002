#include "stt/whisper/words.hpp"

#include "stt/endpointer.hpp"

#include <algorithm>
#include <cctype>

namespace lt::stt::whisper {

std::string normalized(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (c >= 0x80 || std::isalnum(c))
            out.push_back(static_cast<char>(std::tolower(c)));
        else if (c == '\'' && !out.empty())
            out.push_back('\'');
    }
    while (!out.empty() && out.back() == '\'')
        out.pop_back();
    return out;
}

std::string join(const std::vector<word>& words) {
    std::string out;
    for (const auto& w : words) {
        if (w.text.empty())
            continue;
        if (!out.empty())
            out.push_back(' ');
        out += w.text;
    }
    return out;
}

std::size_t continue_after(const std::vector<word>& stable, const std::vector<word>& hyp) {
    const std::size_t k = stable.size();
    if (k == 0)
        return 0;
    const std::string last = normalized(stable.back().text);
    const std::string before = k >= 2 ? normalized(stable[k - 2].text) : std::string();
    // hyp[i] would be the last stable word; `strict` also wants the word before it to match.
    auto matches = [&](std::size_t i, bool strict) {
        if (i >= hyp.size() || normalized(hyp[i].text) != last)
            return false;
        return !strict || before.empty() || (i > 0 && normalized(hyp[i - 1].text) == before);
    };
    // Nearest to where it should be first: k-1, then k-2, k, k-3, k+1, ...; two words
    // matching before one.
    constexpr std::size_t reach = 3;
    for (bool strict : {true, false})
        for (std::size_t d = 0; d <= reach; ++d) {
            if (k - 1 >= d && matches(k - 1 - d, strict))
                return k - d;
            if (d > 0 && matches(k - 1 + d, strict))
                return k + d;
        }
    return std::min(k, hyp.size());
}

std::vector<word> agreement::update(const std::vector<word>& hyp) {
    const std::size_t from = continue_after(stable_, hyp);
    std::vector<word> rest(hyp.begin() + static_cast<std::ptrdiff_t>(from), hyp.end());
    std::size_t agreed = 0;
    while (agreed < rest.size() && agreed < previous_.size() &&
           normalized(rest[agreed].text) == normalized(previous_[agreed].text))
        ++agreed;
    // The newer decode's spelling and times; the older one only confirms.
    stable_.insert(stable_.end(), rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(agreed));
    rest.erase(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(agreed));
    previous_ = rest;
    std::vector<word> shown = stable_;
    shown.insert(shown.end(), rest.begin(), rest.end());
    return shown;
}

std::vector<word> agreement::complete(const std::vector<word>& final_hyp) const {
    std::vector<word> out = stable_;
    const std::size_t from = continue_after(stable_, final_hyp);
    out.insert(out.end(), final_hyp.begin() + static_cast<std::ptrdiff_t>(from), final_hyp.end());
    return out;
}

void agreement::reset() {
    stable_.clear();
    previous_.clear();
}

bool drop_repeats(std::vector<word>& words, int max_repeats) {
    std::vector<std::string> n;
    n.reserve(words.size());
    for (const auto& w : words)
        n.push_back(normalized(w.text));
    constexpr std::size_t longest = 8;
    for (std::size_t i = 0; i < n.size(); ++i) {
        for (std::size_t len = 1; len <= longest && i + len <= n.size(); ++len) {
            const int allowed = len == 1 ? max_repeats + 1 : max_repeats;
            int copies = 1;
            std::size_t j = i + len;
            while (j + len <= n.size() && std::equal(n.begin() + static_cast<std::ptrdiff_t>(i),
                                                     n.begin() + static_cast<std::ptrdiff_t>(i + len),
                                                     n.begin() + static_cast<std::ptrdiff_t>(j))) {
                ++copies;
                j += len;
            }
            if (copies > allowed) {
                words.resize(i + len);
                return true;
            }
        }
    }
    return false;
}

bool times_plausible(const std::vector<word>& words, double audio_s) {
    constexpr double slack = 0.05;
    double last_start = 0;
    for (const auto& w : words) {
        if (!(w.start_s >= 0 && w.end_s >= w.start_s && w.end_s <= audio_s + slack &&
              w.start_s >= last_start))
            return false;
        last_start = w.start_s;
    }
    return true;
}

void spread_times(std::vector<word>& words, double audio_s) {
    double chars = 0;
    for (const auto& w : words)
        chars += static_cast<double>(w.text.size()) + 1; // the space: a short pause between words
    double at = 0;
    for (auto& w : words) {
        w.start_s = at;
        at += chars > 0 ? audio_s * (static_cast<double>(w.text.size()) + 1) / chars : 0;
        w.end_s = at;
    }
}

std::size_t quiet_cut(std::span<const std::int16_t> pcm, double stable_end_s, double next_start_s) {
    constexpr auto rate = endpointer::sample_rate;
    constexpr auto frame = static_cast<std::size_t>(endpointer::frame_samples);
    auto at = [&](double s) {
        return std::min(pcm.size(), static_cast<std::size_t>(std::max(0.0, s) * rate));
    };
    const std::size_t from = at(stable_end_s);
    const std::size_t to = std::max(from, std::min(at(stable_end_s + 0.4), at(next_start_s)));
    std::size_t cut = from;
    double quietest = 1e9;
    for (std::size_t f = from; f + frame <= to; f += frame) {
        const double level = endpointer::frame_dbfs(pcm.subspan(f, frame));
        if (level < quietest) {
            quietest = level;
            cut = f;
        }
    }
    return cut;
}

} // namespace lt::stt::whisper
