// SRT, WebVTT and text transcripts: cue times (relative to the first caption, ending at the next
// or after 7 s), escaping, one line per caption, long captions wrapped and split into cues.
#include "transcript/transcript.hpp"

#include <gtest/gtest.h>

using namespace lt::transcript;

TEST(transcript, times_in_each_format) {
    EXPECT_EQ(cue_time(0, format::srt), "00:00:00,000");
    EXPECT_EQ(cue_time(3'723'456, format::srt), "01:02:03,456");
    EXPECT_EQ(cue_time(3'723'456, format::vtt), "01:02:03.456");
    EXPECT_EQ(cue_time(3'723'456, format::txt), "01:02:03");
    EXPECT_EQ(cue_time(100LL * 3'600'000, format::vtt), "100:00:00.000");
    EXPECT_EQ(cue_time(-5, format::srt), "00:00:00,000");
    EXPECT_EQ(parse_format("vtt"), format::vtt);
    EXPECT_FALSE(parse_format("doc"));
    EXPECT_EQ(content_type(format::vtt), "text/vtt; charset=utf-8");
}

TEST(transcript, srt_cues_end_at_the_next_caption_or_after_seven_seconds) {
    const std::vector<caption> c{
        {1'000'000, "Good morning."}, {1'002'500, "Welcome to the keynote."}, {1'020'000, "Questions?"}};
    EXPECT_EQ(render(c, format::srt), "1\n00:00:00,000 --> 00:00:02,500\nGood morning.\n\n"
                                      "2\n00:00:02,500 --> 00:00:09,500\nWelcome to the keynote.\n\n"
                                      "3\n00:00:20,000 --> 00:00:21,000\nQuestions?\n\n");
}

TEST(transcript, vtt_has_its_header_and_escapes_markup) {
    const std::vector<caption> c{{0, "Tom & Jerry <b>live</b> --> now"}, {2000, "line one\nline two\n\n3"}};
    EXPECT_EQ(render(c, format::vtt),
              "WEBVTT\n\n"
              "00:00:00.000 --> 00:00:02.000\nTom &amp; Jerry &lt;b&gt;live&lt;/b&gt;\n--&gt; now\n\n"
              "00:00:02.000 --> 00:00:03.333\nline one line two 3\n\n");
    EXPECT_EQ(clean_text("a <i>b</i> & c", format::srt), "a &lt;i&gt;b&lt;/i&gt; & c");
    EXPECT_EQ(clean_text("  a \t b  ", format::txt), "a b");
}

TEST(transcript, long_captions_wrap_at_42_and_split_into_two_line_cues) {
    const std::string text = "This is a rather long caption that a speaker said without any pause at all, "
                             "and it goes on and on for quite a while longer still.";
    auto lines = wrap(text);
    ASSERT_EQ(lines.size(), 4u);
    for (const auto& l : lines)
        EXPECT_LE(l.size(), 42u) << l;
    EXPECT_EQ(wrap("ünïcödé ünïcödé ünïcödé", 15), (std::vector<std::string>{"ünïcödé ünïcödé", "ünïcödé"}))
        << "characters, not bytes";
    EXPECT_EQ(wrap("supercalifragilisticexpialidocious x", 10),
              (std::vector<std::string>{"supercalifragilisticexpialidocious", "x"}));
    const auto out = render({{0, text}, {6000, "Next."}}, format::srt);
    // 78 of the 126 characters in the first cue: 78/126 of the 6 s to the next caption.
    EXPECT_EQ(out.substr(0, out.find("\n\n3\n")), "1\n00:00:00,000 --> 00:00:03,714\n" + lines[0] + "\n" +
                                                      lines[1] + "\n\n2\n00:00:03,714 --> 00:00:06,000\n" +
                                                      lines[2] + "\n" + lines[3]);
}

TEST(transcript, text_streams_as_captions_come) {
    writer w(format::txt);
    EXPECT_EQ(w.begin(), "");
    EXPECT_EQ(w.add({5000, "One."}), "") << "the first cue waits for the next caption's time";
    EXPECT_EQ(w.add({65'000, "Two."}), "[00:00:00] One.\n");
    EXPECT_EQ(w.finish(), "[00:01:00] Two.\n");
    EXPECT_EQ(w.finish(), "");
    EXPECT_EQ(render({}, format::vtt), "WEBVTT\n\n");
}
