#include "translate/openai/chat.hpp"

#include "core/languages.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace lt::translate::openai {

namespace {

using json = nlohmann::json;

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

std::string one_line(std::string_view s) {
    std::string out(trim(s));
    std::replace_if(
        out.begin(), out.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    return out;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Opening and closing quotes a model wraps an answer in.
constexpr std::array<std::pair<std::string_view, std::string_view>, 10> quote_pairs{{
    {"\"", "\""},
    {"'", "'"},
    {"\u201c", "\u201d"}, // “ ”
    {"\u201d", "\u201d"}, // ” ” (Swedish, Finnish)
    {"\u201e", "\u201c"}, // „ “ (German)
    {"\u2018", "\u2019"}, // ‘ ’
    {"\u00ab", "\u00bb"}, // « »
    {"\u00bb", "\u00ab"}, // » «
    {"\u300c", "\u300d"}, // 「 」
    {"\u300e", "\u300f"}, // 『 』
}};

bool starts_with_quote(std::string_view s) {
    return std::any_of(quote_pairs.begin(), quote_pairs.end(),
                       [&](const auto& q) { return s.substr(0, q.first.size()) == q.first; });
}

bool ends_with_quote(std::string_view s) {
    return std::any_of(quote_pairs.begin(), quote_pairs.end(), [&](const auto& q) {
        return s.size() >= q.second.size() && s.substr(s.size() - q.second.size()) == q.second;
    });
}

// Drops one pair of quotes around the whole answer, unless quotes occur inside as well
// ("Yes," he said, "no." is a quotation, not a wrapper).
std::string_view strip_quotes(std::string_view s) {
    for (const auto& [open, close] : quote_pairs) {
        if (s.size() < open.size() + close.size() + 1 || s.substr(0, open.size()) != open ||
            s.substr(s.size() - close.size()) != close)
            continue;
        auto inner = s.substr(open.size(), s.size() - open.size() - close.size());
        if (inner.find(open) != std::string_view::npos || inner.find(close) != std::string_view::npos)
            continue;
        return trim(inner);
    }
    return s;
}

// Where a leading label ends ("Translation:", "Here is the Spanish translation:", "Spanish:"),
// or npos. Looked for on the first line, before any other text.
std::size_t label_end(std::string_view s, std::string_view target) {
    auto line_end = s.find('\n');
    auto first = s.substr(0, std::min<std::size_t>(line_end, 100));
    std::size_t colon = first.find(':');
    std::size_t width = 1;
    if (auto wide = first.find("\uff1a"); wide != std::string_view::npos && wide < colon) {
        colon = wide; // full-width colon (Chinese, Japanese)
        width = 3;
    }
    if (colon == std::string_view::npos)
        return std::string_view::npos;
    auto label = lower_ascii(trim(first.substr(0, colon)));
    auto name = lower_ascii(language_name(target));
    // "Translation" in the page's languages too: a model may label in the target language.
    static constexpr std::array<std::string_view, 14> words{"translat",
                                                            "tradu",
                                                            "here is",
                                                            "here's",
                                                            "bersetzung",
                                                            "vertaling",
                                                            "t\u0142umaczenie",
                                                            "eviri",
                                                            "\u0435\u0440\u0435\u0432\u043e\u0434",
                                                            "\u7ffb\u8bd1",
                                                            "\u7ffb\u8a33",
                                                            "\ubc88\uc5ed",
                                                            "\u062a\u0631\u062c\u0645\u0629",
                                                            "\u0905\u0928\u0941\u0935\u093e\u0926"};
    bool is_label = std::any_of(words.begin(), words.end(),
                                [&](std::string_view w) { return label.find(w) != std::string::npos; }) ||
                    (!target.empty() && (label == name || label == lower_ascii(target) ||
                                         label == name + " version" || label == "in " + name));
    return is_label ? colon + width : std::string_view::npos;
}

bool has_blank_line(std::string_view s) {
    std::size_t pos = 0;
    bool seen_text = false;
    while (pos <= s.size()) {
        auto end = s.find('\n', pos);
        auto line = s.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        if (trim(line).empty()) {
            if (seen_text && end != std::string_view::npos)
                return true;
        } else {
            seen_text = true;
        }
        if (end == std::string_view::npos)
            break;
        pos = end + 1;
    }
    return false;
}

// The lines before the first blank line, then without trailing "Note:"-style lines.
std::string cut_explanation(std::string_view s) {
    std::vector<std::string_view> lines;
    std::size_t pos = 0;
    while (true) {
        auto end = s.find('\n', pos);
        auto line = s.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        if (trim(line).empty() && !lines.empty())
            break;
        if (!trim(line).empty())
            lines.push_back(line);
        if (end == std::string_view::npos)
            break;
        pos = end + 1;
    }
    static constexpr std::array<std::string_view, 6> notes{
        "note:", "(note", "explanation:", "(explanation", "notes:", "(translation"};
    while (lines.size() > 1) {
        auto head = lower_ascii(trim(lines.back()).substr(0, 16));
        if (std::none_of(notes.begin(), notes.end(), [&](auto n) { return head.rfind(n, 0) == 0; }))
            break;
        lines.pop_back();
    }
    std::string out;
    for (auto l : lines)
        out += (out.empty() ? "" : "\n") + std::string(trim(l));
    return out;
}

bool contains_ascii_nocase(std::string_view hay, std::string_view needle) {
    return !needle.empty() && lower_ascii(hay).find(lower_ascii(needle)) != std::string::npos;
}

} // namespace

std::string language_name(std::string_view code) {
    if (const auto* l = core::find_language(code))
        return std::string(l->name);
    return std::string(code);
}

std::string system_prompt(const chat_prompt& p) {
    auto from = language_name(p.source);
    auto into = language_name(p.target);
    std::string s = "You translate live captions of a talk from " + from + " into " + into + ".\n" +
                    "Reply with the " + into +
                    " translation of the user's message and nothing else: no quotes, no label, no "
                    "notes or explanations. Keep names, numbers and the speaker's tone. If the message "
                    "cannot be translated, reply with it unchanged.\n";
    std::string terms, names;
    for (const auto& g : p.glossary) {
        if (g.term.empty() || !contains_ascii_nocase(p.text, g.term))
            continue;
        if (!g.lang.empty() && g.lang != p.target)
            continue;
        if (g.translation.empty())
            names += (names.empty() ? "" : ", ") + one_line(g.term);
        else
            terms += "- \"" + one_line(g.term) + "\" -> \"" + one_line(g.translation) + "\"\n";
    }
    if (!terms.empty())
        s += "Glossary: translate these terms as given:\n" + terms;
    if (!names.empty())
        s += "Keep these names as they are: " + names + ".\n";
    if (!p.context.empty()) {
        s += "The captions just before, for context only (do not translate them):\n";
        for (std::size_t i = 0; i < p.context.size(); ++i)
            s += std::to_string(i + 1) + ". " + one_line(p.context[i]) + "\n";
    }
    return s;
}

std::string request_body(const std::string& model, const chat_prompt& p) {
    // A small model can loop on itself until its context is full; an answer past the 3x rule
    // is refused anyway. Generous, as some tokenizers spend a token per byte of Devanagari.
    auto max_tokens = 8 * text_length(p.text) + 200;
    json body{{"model", model},
              {"temperature", 0},
              {"stream", false},
              {"max_tokens", max_tokens},
              {"messages", json::array({json{{"role", "system"}, {"content", system_prompt(p)}},
                                        json{{"role", "user"}, {"content", p.text}}})}};
    return dump(body);
}

core::result<std::string> answer_content(std::string_view body) {
    auto j = json::parse(body, nullptr, false);
    if (!j.is_object() || !j.contains("choices") || !j["choices"].is_array() || j["choices"].empty() ||
        !j["choices"][0].is_object() || !j["choices"][0].contains("message") ||
        !j["choices"][0]["message"].is_object())
        return core::make_error("the answer is not a chat completion (no choices[0].message)");
    const auto& choice = j["choices"][0];
    const auto& message = choice["message"];
    if (message.contains("refusal") && message["refusal"].is_string() &&
        !message["refusal"].get<std::string>().empty())
        return core::make_error("the model refused: " + message["refusal"].get<std::string>().substr(0, 200));
    if (choice.contains("finish_reason") && choice["finish_reason"] == "length")
        return core::make_error("the model stopped at its token limit (finish_reason length): the "
                                "translation is cut short");
    if (!message.contains("content") || !message["content"].is_string())
        return core::make_error("the answer has no text (choices[0].message.content)");
    return message["content"].get<std::string>();
}

std::string error_detail(int status, std::string_view body) {
    std::string detail;
    auto j = json::parse(body, nullptr, false);
    if (j.is_object()) {
        const json* e = j.contains("error") ? &j["error"] : nullptr;
        if (e && e->is_object() && e->contains("message") && (*e)["message"].is_string()) {
            detail = (*e)["message"].get<std::string>();
            if (e->contains("code") && (*e)["code"].is_string() && !(*e)["code"].get<std::string>().empty())
                detail += " (" + (*e)["code"].get<std::string>() + ")";
        } else if (e && e->is_string()) {
            detail = e->get<std::string>(); // Ollama's and llama.cpp's older shape
        } else if (j.contains("message") && j["message"].is_string()) {
            detail = j["message"].get<std::string>(); // vLLM
        } else if (j.contains("detail") && j["detail"].is_string()) {
            detail = j["detail"].get<std::string>(); // FastAPI servers
        }
    }
    if (detail.empty())
        detail = std::string(trim(body.substr(0, 200)));
    if (detail.size() > 300)
        detail = detail.substr(0, 300) + "...";
    for (auto& c : detail)
        if (static_cast<unsigned char>(c) < 0x20)
            c = ' ';
    return "HTTP " + std::to_string(status) + (detail.empty() ? "" : ": " + detail);
}

std::size_t text_length(std::string_view utf8) {
    return static_cast<std::size_t>(std::count_if(
        utf8.begin(), utf8.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

core::result<std::string> clean_answer(std::string_view answer, std::string_view source_text,
                                       std::string_view target) {
    auto source = trim(source_text);
    // "Translation: ..." said by the speaker is translated with its label.
    bool source_labelled = label_end(source, target) != std::string_view::npos;
    bool source_quoted = starts_with_quote(source) || ends_with_quote(source);
    bool source_blank_line = has_blank_line(source);

    std::string text(trim(answer));
    // Reasoning models (DeepSeek-R1, Qwen3 through Ollama) put their thinking first.
    if (text.rfind("<think>", 0) == 0) {
        auto end = text.find("</think>");
        text = end == std::string::npos ? "" : std::string(trim(std::string_view(text).substr(end + 8)));
    }
    // A wrapper can sit inside another ("Translation: \"Hola.\"", "\"Translation: Hola.\""):
    // peel until nothing changes.
    for (int round = 0; round < 3; ++round) {
        std::string before = text;
        if (!source_quoted)
            text = std::string(strip_quotes(text));
        if (!source_labelled)
            if (auto end = label_end(text, target); end != std::string_view::npos) {
                // "**Translation:** Hola.": the label's Markdown emphasis goes with it.
                end = text.find_first_not_of("*_ \t", end);
                text = end == std::string::npos ? "" : std::string(trim(std::string_view(text).substr(end)));
            }
        if (!source_blank_line)
            text = cut_explanation(text);
        text = std::string(trim(text));
        if (text == before)
            break;
    }
    if (text.empty())
        return core::make_error("the model answered with an empty translation");
    auto n = text_length(text);
    auto limit = std::max<std::size_t>(3 * text_length(source), 20);
    if (n > limit)
        return core::make_error("the model's answer is " + std::to_string(n) +
                                " characters for a caption of " + std::to_string(text_length(source)) +
                                " (more than 3x): commentary, not a translation alone");
    return text;
}

} // namespace lt::translate::openai
