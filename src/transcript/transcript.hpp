// A room's finals as a subtitle or text file: SRT, WebVTT or plain text with times. Cues start
// at each caption's arrival, relative to the first, and end when the next begins, after at most
// 7 s. Text is wrapped at 42 characters a line, two lines a cue (the usual subtitle limits);
// a longer caption becomes several cues that share its time by length. Written as the
// captions come (a transcript streams): a cue is known once the next caption's time is.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lt::transcript {

enum class format { srt, vtt, txt };

// "srt", "vtt", "txt"; nullopt for anything else.
std::optional<format> parse_format(std::string_view name);
// The Content-Type to serve it with.
std::string_view content_type(format f);

struct caption {
    std::int64_t at_ms = 0; // when it arrived (any epoch; only differences count)
    std::string text;
};

// "00:01:02,500" (SRT) or "00:01:02.500" (WebVTT); hours grow past 99.
std::string cue_time(std::int64_t ms, format f);
// The caption's text made safe for the format: one line, control characters dropped; for
// WebVTT & < > escaped (and so "-->"); for SRT < > escaped too, since players read tags.
std::string clean_text(std::string_view text, format f);
// Lines of at most `width` characters (UTF-8 counted as characters), broken at spaces; a word
// longer than the width is a line of its own.
std::vector<std::string> wrap(std::string_view text, std::size_t width = 42);

class writer {
public:
    static constexpr std::int64_t max_cue_ms = 7000;
    static constexpr std::size_t line_width = 42;
    static constexpr std::size_t lines_per_cue = 2;

    explicit writer(format f) : format_(f) {}
    // The file's start ("WEBVTT\n\n" for WebVTT, else "").
    std::string begin() const;
    // Adds a caption; returns the text of the cues now complete (the previous caption's).
    std::string add(const caption& c);
    // The last caption's cues (it ends 7 s after it starts, or sooner by its length).
    std::string finish();

private:
    std::string emit(const caption& c, std::int64_t end_ms);
    format format_;
    std::optional<caption> held_;
    std::optional<std::int64_t> first_ms_;
    std::size_t number_ = 0; // SRT's cue counter
};

// A whole transcript at once (tests, small rooms).
std::string render(const std::vector<caption>& captions, format f);

} // namespace lt::transcript
