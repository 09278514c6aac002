#include "transcript/transcript.hpp"

#include <algorithm>
#include <cstdio>

namespace lt::transcript {

namespace {

// Bytes that start a UTF-8 character (not continuation bytes).
std::size_t chars(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// For a caption that needs several cues: how long it stays up when nothing follows. About
// 15 characters a second of reading, at least 1 s.
std::int64_t reading_ms(std::string_view text) {
    return std::clamp<std::int64_t>(static_cast<std::int64_t>(chars(text)) * 1000 / 15, 1000,
                                    writer::max_cue_ms);
}

} // namespace

std::optional<format> parse_format(std::string_view name) {
    if (name == "srt")
        return format::srt;
    if (name == "vtt")
        return format::vtt;
    if (name == "txt")
        return format::txt;
    return std::nullopt;
}

std::string_view content_type(format f) {
    switch (f) {
    case format::srt:
        return "application/x-subrip; charset=utf-8";
    case format::vtt:
        return "text/vtt; charset=utf-8";
    case format::txt:
        break;
    }
    return "text/plain; charset=utf-8";
}

std::string cue_time(std::int64_t ms, format f) {
    ms = std::max<std::int64_t>(ms, 0);
    char buf[40];
    const auto h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, milli = ms % 1000;
    if (f == format::txt)
        std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(h),
                      static_cast<long long>(m), static_cast<long long>(s));
    else
        std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld%c%03lld", static_cast<long long>(h),
                      static_cast<long long>(m), static_cast<long long>(s), f == format::srt ? ',' : '.',
                      static_cast<long long>(milli));
    return buf;
}

std::string clean_text(std::string_view text, format f) {
    std::string out;
    bool space = false;
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        // A line break would end the cue early: control characters are spaces.
        if (c <= 0x20 || c == 0x7f) {
            space = !out.empty();
            continue;
        }
        if (space) {
            out += ' ';
            space = false;
        }
        if (f == format::vtt && ch == '&')
            out += "&amp;";
        else if (f != format::txt && ch == '<')
            out += "&lt;";
        else if (f != format::txt && ch == '>')
            out += "&gt;";
        else
            out += ch;
    }
    return out;
}

std::vector<std::string> wrap(std::string_view text, std::size_t width) {
    std::vector<std::string> lines;
    std::string line;
    std::size_t line_chars = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && text[i] == ' ')
            ++i;
        const auto end = std::min(text.find(' ', i), text.size());
        if (end == i)
            break;
        const auto word = text.substr(i, end - i);
        const auto n = chars(word);
        if (!line.empty() && line_chars + 1 + n > width) {
            lines.push_back(std::move(line));
            line.clear();
            line_chars = 0;
        }
        if (!line.empty()) {
            line += ' ';
            ++line_chars;
        }
        line += word;
        line_chars += n;
        i = end;
    }
    if (!line.empty())
        lines.push_back(std::move(line));
    return lines;
}

std::string writer::begin() const { return format_ == format::vtt ? "WEBVTT\n\n" : ""; }

std::string writer::add(const caption& c) {
    if (!first_ms_)
        first_ms_ = c.at_ms;
    std::string out;
    if (held_)
        out = emit(*held_, std::min(c.at_ms, held_->at_ms + max_cue_ms));
    held_ = c;
    return out;
}

std::string writer::finish() {
    std::string out;
    if (held_)
        out = emit(*held_, held_->at_ms + reading_ms(held_->text));
    held_.reset();
    return out;
}

std::string writer::emit(const caption& c, std::int64_t end_ms) {
    const auto text = clean_text(c.text, format_);
    if (text.empty())
        return {};
    const auto start = c.at_ms - *first_ms_;
    auto end = std::max(end_ms - *first_ms_, start + 1);
    if (format_ == format::txt)
        return "[" + cue_time(start, format_) + "] " + text + "\n";
    const auto lines = wrap(text, line_width);
    // Several cues for a long caption, each shown for its share of the characters.
    std::size_t total = 0;
    for (const auto& l : lines)
        total += chars(l);
    std::string out;
    std::int64_t from = start;
    std::size_t done = 0;
    for (std::size_t i = 0; i < lines.size(); i += lines_per_cue) {
        const auto last = std::min(lines.size(), i + lines_per_cue);
        std::string body;
        for (std::size_t k = i; k < last; ++k) {
            body += (k == i ? "" : "\n") + lines[k];
            done += chars(lines[k]);
        }
        const auto to = last == lines.size()
                            ? end
                            : start + (end - start) * static_cast<std::int64_t>(done) /
                                          static_cast<std::int64_t>(std::max<std::size_t>(total, 1));
        if (format_ == format::srt)
            out += std::to_string(++number_) + "\n";
        out += cue_time(from, format_) + " --> " + cue_time(to, format_) + "\n" + body + "\n\n";
        from = to;
    }
    return out;
}

std::string render(const std::vector<caption>& captions, format f) {
    writer w(f);
    std::string out = w.begin();
    for (const auto& c : captions)
        out += w.add(c);
    return out + w.finish();
}

} // namespace lt::transcript
