#include "translate/glossary.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

namespace lt::translate {
namespace {

// Engines leave an upper-case nonsense word with digits alone; nobody says it.
constexpr std::string_view marker = "ZXQ";

// RFC 4180 fields of one line; false on an unterminated quote.
bool split_csv(std::string_view line, std::vector<std::string>& fields) {
    fields.clear();
    std::string field;
    bool quoted = false, was_quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"' && field.empty() && !was_quoted) {
            quoted = was_quoted = true;
        } else if (c == ',') {
            fields.push_back(std::move(field));
            field.clear();
            was_quoted = false;
        } else {
            field += c;
        }
    }
    if (quoted)
        return false;
    fields.push_back(std::move(field));
    return true;
}

std::string trimmed(std::string s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos)
        return {};
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

bool word_char(unsigned char c) { return c >= 0x80 || std::isalnum(c); }

class glossary_translator final : public translator {
public:
    glossary_translator(std::shared_ptr<translator> engine, std::shared_ptr<const glossary> g)
        : engine_(std::move(engine)), glossary_(std::move(g)) {}

    std::string name() const override { return engine_->name(); }
    std::vector<std::string> targets(std::string_view source) const override {
        return engine_->targets(source);
    }
    core::result<std::string> translate(std::string_view source, std::string_view target,
                                        std::string_view text) override {
        auto p = glossary_->protect(text, target);
        if (p.fills.empty())
            return engine_->translate(source, target, text);
        auto r = engine_->translate(source, target, p.text);
        if (!r)
            return r;
        auto back = glossary::restore(r.value(), p.fills);
        if (!back)
            return core::make_error(engine_->name() + ": " + back.error_message());
        return back;
    }
    std::string engine_for(std::string_view source, std::string_view target) const override {
        return engine_->engine_for(source, target);
    }
    void note_caption(std::string_view source, std::string_view text) override {
        engine_->note_caption(source, text);
    }
    std::vector<engine_health> engines() const override { return engine_->engines(); }
    std::string state() const override { return engine_->state(); }
    bool available() const override { return engine_->available(); }
    std::size_t parallelism() const override { return engine_->parallelism(); }

private:
    std::shared_ptr<translator> engine_;
    std::shared_ptr<const glossary> glossary_;
};

} // namespace

core::result<glossary> glossary::parse(std::string_view csv, const std::string& origin) {
    glossary g;
    std::istringstream in{std::string(csv)};
    std::string line;
    std::vector<std::string> f;
    for (int n = 1; std::getline(in, line); ++n) {
        auto where = [&] { return "glossary " + origin + " line " + std::to_string(n) + ": "; };
        if (trimmed(line).empty() || trimmed(line).front() == '#')
            continue;
        if (!split_csv(line, f))
            return core::make_error(where() + "a quote is not closed");
        for (auto& x : f)
            x = trimmed(std::move(x));
        if (g.entries_.empty() && f.size() == 3 && f[0] == "term" && f[1] == "lang")
            continue; // the header
        if (f.size() == 1 ||
            (f.size() <= 3 && std::all_of(f.begin() + 1, f.end(), [](auto& x) { return x.empty(); }))) {
            if (f[0].empty())
                return core::make_error(where() + "the term is empty");
            g.entries_.push_back({f[0], {}, {}});
            continue;
        }
        if (f.size() != 3)
            return core::make_error(where() + "expected term,lang,translation or a bare term, got " +
                                    std::to_string(f.size()) + " fields");
        if (f[0].empty() || f[1].empty() || f[2].empty())
            return core::make_error(where() + "term, lang and translation must all be given");
        for (auto& c : f[1])
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (f[1] == "phones") {
            if (f[0].find_first_of(" \t") != std::string::npos)
                return core::make_error(where() + "phones are given for one word at a time, not '" + f[0] +
                                        "'");
            std::string phones;
            std::istringstream list(f[2]);
            for (std::string p; list >> p;) {
                for (auto& c : p)
                    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                if (!std::all_of(p.begin(), p.end(),
                                 [](unsigned char c) { return std::isalnum(c) || c == '_'; }))
                    return core::make_error(where() + "'" + f[2] +
                                            "' is not a list of phones such as OW K AA F ER");
                phones += (phones.empty() ? "" : " ") + p;
            }
            g.phones_[f[0]] = phones;
            // The word is a name to keep in translation too.
            if (std::none_of(g.entries_.begin(), g.entries_.end(), [&](auto& e) { return e.term == f[0]; }))
                g.entries_.push_back({f[0], {}, {}});
            continue;
        }
        if (f[1].size() < 2 || f[1].size() > 3 || !std::all_of(f[1].begin(), f[1].end(), ::isalpha))
            return core::make_error(where() + "'" + f[1] + "' is not a language code such as es or de");
        g.entries_.push_back({f[0], f[1], f[2]});
    }
    return g;
}

core::result<glossary> glossary::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return core::make_error("cannot read the glossary " + path + " (--glossary, LT_GLOSSARY)");
    std::ostringstream s;
    s << in.rdbuf();
    return parse(s.str(), path);
}

std::vector<std::string> glossary::terms() const {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (const auto& e : entries_)
        if (seen.insert(e.term).second)
            out.push_back(e.term);
    return out;
}

std::string glossary::rendering(const std::string& term, std::string_view lang) const {
    for (const auto& e : entries_)
        if (e.term == term && e.lang == lang)
            return e.translation;
    return term;
}

std::vector<std::pair<std::string, std::string>> glossary::for_language(std::string_view lang) const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& t : terms())
        out.emplace_back(t, rendering(t, lang));
    return out;
}

glossary::protected_text glossary::protect(std::string_view text, std::string_view lang) const {
    protected_text out;
    if (entries_.empty() || text.find(marker) != std::string_view::npos) {
        out.text = text;
        return out;
    }
    auto terms_by_length = terms();
    std::stable_sort(terms_by_length.begin(), terms_by_length.end(),
                     [](const auto& a, const auto& b) { return a.size() > b.size(); });
    std::size_t i = 0;
    while (i < text.size()) {
        bool matched = false;
        if (i == 0 || !word_char(static_cast<unsigned char>(text[i - 1]))) {
            for (const auto& t : terms_by_length) {
                const auto end = i + t.size();
                if (text.compare(i, t.size(), t) != 0 ||
                    (end < text.size() && word_char(static_cast<unsigned char>(text[end]))))
                    continue;
                out.text += std::string(marker) + std::to_string(out.fills.size());
                out.fills.push_back(rendering(t, lang));
                i = end;
                matched = true;
                break;
            }
        }
        if (!matched)
            out.text += text[i++];
    }
    return out;
}

core::result<std::string> glossary::restore(std::string_view translated,
                                            const std::vector<std::string>& fills) {
    std::string out;
    std::vector<bool> used(fills.size(), false);
    std::size_t i = 0;
    while (i < translated.size()) {
        if (translated.compare(i, marker.size(), marker) == 0) {
            std::size_t j = i + marker.size(), n = 0;
            bool digits = false;
            while (j < translated.size() && std::isdigit(static_cast<unsigned char>(translated[j]))) {
                n = n * 10 + static_cast<std::size_t>(translated[j] - '0');
                ++j;
                digits = true;
            }
            if (digits && n < fills.size()) {
                out += fills[n];
                used[n] = true;
                i = j;
                continue;
            }
        }
        out += translated[i++];
    }
    for (std::size_t n = 0; n < fills.size(); ++n)
        if (!used[n])
            return core::make_error("the glossary term \"" + fills[n] + "\" was lost in translation");
    return out;
}

std::shared_ptr<translator> with_glossary(std::shared_ptr<translator> engine,
                                          std::shared_ptr<const glossary> g) {
    if (!g || g->empty())
        return engine;
    return std::make_shared<glossary_translator>(std::move(engine), std::move(g));
}

} // namespace lt::translate
