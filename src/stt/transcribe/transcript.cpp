#include "stt/transcribe/transcript.hpp"
#include "stt/transcribe/transcribe_recognizer.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace lt::stt::transcribe {

using json = nlohmann::json;

std::uint64_t utterance_counter::next() {
    if (reuse) {
        auto u = *reuse;
        reuse.reset();
        last = std::max(last, u);
        return u;
    }
    return ++last;
}

namespace {

double number(const json& j, const char* key, double fallback = 0) {
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

std::string text(const json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool sentence_end(const std::string& s) { return s == "." || s == "?" || s == "!"; }

} // namespace

std::uint64_t transcript_mapper::utterance_of(open_result& r) {
    if (r.utterance == 0)
        r.utterance = counter_->next();
    return r.utterance;
}

core::result<std::vector<stt::result>> transcript_mapper::on_event(std::string_view payload) {
    json doc = json::parse(payload, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return core::make_error("TranscriptEvent is not JSON: " + std::string(payload.substr(0, 200)));
    std::vector<stt::result> out;
    auto tr = doc.find("Transcript");
    if (tr == doc.end() || !tr->is_object())
        return out;
    auto results = tr->find("Results");
    if (results == tr->end() || !results->is_array())
        return out;

    for (const auto& r : *results) {
        if (!r.is_object())
            continue;
        std::string id = text(r, "ResultId");
        bool partial = r.value("IsPartial", false);
        const json* alt = nullptr;
        if (auto a = r.find("Alternatives");
            a != r.end() && a->is_array() && !a->empty() && (*a)[0].is_object())
            alt = &(*a)[0];
        std::vector<item> items;
        std::string transcript;
        if (alt) {
            transcript = text(*alt, "Transcript");
            if (auto is = alt->find("Items"); is != alt->end() && is->is_array()) {
                for (const auto& i : *is) {
                    if (!i.is_object())
                        continue;
                    item it;
                    it.content = text(i, "Content");
                    it.punctuation = text(i, "Type") == "punctuation";
                    it.stable = i.value("Stable", false);
                    it.start = number(i, "StartTime");
                    it.end = number(i, "EndTime", it.start);
                    if (!it.content.empty())
                        items.push_back(std::move(it));
                }
            }
        }
        open_result& st = open_[id];

        // Drop what was finalised early: the stable items stay as they were, so match them
        // by content; should the service have re-segmented anyway, go by time instead.
        std::size_t skip = 0;
        if (!st.consumed.empty()) {
            bool same = items.size() >= st.consumed.size();
            for (std::size_t i = 0; same && i < st.consumed.size(); ++i)
                same = items[i].content == st.consumed[i];
            if (same) {
                skip = st.consumed.size();
            } else {
                while (skip < items.size() &&
                       (items[skip].punctuation ? items[skip].start <= st.consumed_end + 1e-6
                                                : items[skip].end <= st.consumed_end + 1e-6))
                    ++skip;
            }
        }
        std::vector<item> rest(items.begin() + static_cast<std::ptrdiff_t>(skip), items.end());

        auto join = [](auto first, auto last) {
            std::string s;
            for (auto it = first; it != last; ++it)
                s += (s.empty() || it->punctuation ? "" : " ") + it->content;
            return s;
        };
        double r_start = offset_s_ + number(r, "StartTime");
        double r_end = offset_s_ + number(r, "EndTime", number(r, "StartTime"));

        if (partial) {
            // The last sentence end among the leading stable items, with a word after it.
            std::size_t cut = 0; // items up to and including the sentence end
            for (std::size_t i = 0; i < rest.size() && rest[i].stable; ++i) {
                if (!rest[i].punctuation || !sentence_end(rest[i].content))
                    continue;
                bool word_follows = std::any_of(rest.begin() + static_cast<std::ptrdiff_t>(i) + 1, rest.end(),
                                                [](const item& x) { return !x.punctuation; });
                if (word_follows)
                    cut = i + 1;
            }
            if (cut > 0) {
                stt::result f;
                f.text = join(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(cut));
                f.final = true;
                f.utterance = utterance_of(st);
                f.start_s = offset_s_ + rest.front().start;
                f.end_s = offset_s_ + rest[cut - 1].end;
                for (std::size_t i = 0; i < cut; ++i)
                    st.consumed.push_back(rest[i].content);
                st.consumed_end = rest[cut - 1].end;
                st.utterance = 0;
                last_final_end_ = f.end_s;
                out.push_back(std::move(f));
                rest.erase(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(cut));
            }
            std::string t = st.consumed.empty() && items.size() == rest.size()
                                ? transcript
                                : join(rest.begin(), rest.end());
            if (!t.empty()) {
                stt::result p;
                p.text = std::move(t);
                p.utterance = utterance_of(st);
                p.start_s = rest.empty() ? r_start : offset_s_ + rest.front().start;
                p.end_s = std::max(p.start_s, r_end);
                st.last = p;
                out.push_back(std::move(p));
            }
        } else {
            std::string t = st.consumed.empty() ? transcript : join(rest.begin(), rest.end());
            if (!t.empty()) {
                stt::result f;
                f.text = std::move(t);
                f.final = true;
                f.utterance = utterance_of(st);
                f.start_s = rest.empty() ? r_start : offset_s_ + rest.front().start;
                f.end_s = std::max(f.start_s, r_end);
                last_final_end_ = std::max(last_final_end_.value_or(0), f.end_s);
                out.push_back(std::move(f));
            }
            open_.erase(id);
        }
    }
    return out;
}

bool transcript_mapper::partial_pending() const { return pending_utterance().has_value(); }

std::optional<std::uint64_t> transcript_mapper::pending_utterance() const {
    for (const auto& [id, r] : open_)
        if (r.utterance != 0)
            return r.utterance;
    return std::nullopt;
}

std::vector<stt::result> transcript_mapper::flush() {
    std::vector<stt::result> out;
    for (auto& [id, r] : open_) {
        if (r.utterance == 0 || r.last.text.empty())
            continue;
        stt::result f = r.last;
        f.final = true;
        last_final_end_ = std::max(last_final_end_.value_or(0), f.end_s);
        out.push_back(std::move(f));
    }
    open_.clear();
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.utterance < b.utterance; });
    return out;
}

std::string language_code(std::string_view lang) {
    std::string l;
    for (char c : lang)
        l += c == '_' ? '-' : c;
    auto dash = l.find('-');
    if (dash != std::string::npos) {
        // "en-gb" -> "en-GB": Transcribe's codes are case-sensitive.
        for (std::size_t i = 0; i < l.size(); ++i)
            l[i] = static_cast<char>(i < dash ? std::tolower(static_cast<unsigned char>(l[i]))
                                              : std::toupper(static_cast<unsigned char>(l[i])));
        return l;
    }
    std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
    // Each language's most widely spoken variant that Transcribe streaming offers.
    static const std::map<std::string, std::string, std::less<>> codes = {
        {"af", "af-ZA"}, {"ar", "ar-SA"}, {"ca", "ca-ES"}, {"cs", "cs-CZ"}, {"da", "da-DK"}, {"de", "de-DE"},
        {"el", "el-GR"}, {"en", "en-US"}, {"es", "es-US"}, {"eu", "eu-ES"}, {"fa", "fa-IR"}, {"fi", "fi-FI"},
        {"fr", "fr-FR"}, {"gl", "gl-ES"}, {"he", "he-IL"}, {"hi", "hi-IN"}, {"hr", "hr-HR"}, {"id", "id-ID"},
        {"it", "it-IT"}, {"ja", "ja-JP"}, {"ko", "ko-KR"}, {"lv", "lv-LV"}, {"ms", "ms-MY"}, {"nl", "nl-NL"},
        {"no", "no-NO"}, {"pl", "pl-PL"}, {"pt", "pt-BR"}, {"ro", "ro-RO"}, {"ru", "ru-RU"}, {"sk", "sk-SK"},
        {"so", "so-SO"}, {"sr", "sr-RS"}, {"sv", "sv-SE"}, {"th", "th-TH"}, {"tl", "tl-PH"}, {"uk", "uk-UA"},
        {"vi", "vi-VN"}, {"zh", "zh-CN"}, {"zu", "zu-ZA"},
    };
    auto it = codes.find(l);
    return it == codes.end() ? std::string() : it->second;
}

} // namespace lt::stt::transcribe
