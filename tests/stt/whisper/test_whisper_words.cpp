// The whisper engine's word rules: LocalAgreement-2 (stable words are never taken back), the
// final's continuation after them, and the repeated-phrase guard.
#include "stt/whisper/whisper_recognizer.hpp"
#include "stt/whisper/words.hpp"

#include <gtest/gtest.h>

#include <sstream>

using namespace lt::stt::whisper;

namespace {

std::vector<word> words(const std::string& text) {
    std::vector<word> out;
    std::istringstream in(text);
    std::string w;
    double t = 0;
    while (in >> w) {
        out.push_back(word{w, t, t + 0.3});
        t += 0.4;
    }
    return out;
}

} // namespace

TEST(whisper_words, normalized_ignores_case_and_punctuation_but_keeps_apostrophes) {
    EXPECT_EQ(normalized("Hello,"), "hello");
    EXPECT_EQ(normalized("don't."), "don't");
    EXPECT_EQ(normalized("\"Okay!\""), "okay");
    EXPECT_EQ(normalized("Größe"), "größe"); // bytes past ASCII kept as they are
    EXPECT_EQ(normalized("..."), "");
}

TEST(whisper_words, join_puts_single_spaces) {
    EXPECT_EQ(join(words("the quick  brown fox")), "the quick brown fox");
    EXPECT_EQ(join({}), "");
}

TEST(whisper_words, two_decodes_agreeing_make_words_stable) {
    agreement a;
    auto shown = a.update(words("the quick brown"));
    EXPECT_TRUE(a.stable().empty()); // one decode proves nothing
    EXPECT_EQ(join(shown), "the quick brown");

    shown = a.update(words("the quick brown fax jumps"));
    EXPECT_EQ(join(a.stable()), "the quick brown");
    EXPECT_EQ(join(shown), "the quick brown fax jumps");

    // "fax" was a guess; the next decode hears "fox": only the agreed prefix grows.
    shown = a.update(words("the quick brown fox jumps over"));
    EXPECT_EQ(join(a.stable()), "the quick brown");
    shown = a.update(words("the quick brown fox jumps over the"));
    EXPECT_EQ(join(a.stable()), "the quick brown fox jumps over");
    EXPECT_EQ(join(shown), "the quick brown fox jumps over the");
}

TEST(whisper_words, stable_words_are_never_taken_back) {
    agreement a;
    a.update(words("I will see you"));
    a.update(words("I will see you at"));
    ASSERT_EQ(join(a.stable()), "I will see you");
    // A later decode changes its mind about a stable word: the shown text keeps it.
    auto shown = a.update(words("I'll see you at noon"));
    EXPECT_EQ(join(shown).rfind("I will see you", 0), 0u) << join(shown);
    EXPECT_EQ(join(a.stable()).rfind("I will see you", 0), 0u);
}

TEST(whisper_words, agreement_ignores_case_and_punctuation_and_keeps_the_newer_spelling) {
    agreement a;
    a.update(words("hello world"));
    a.update(words("Hello, world."));
    EXPECT_EQ(join(a.stable()), "Hello, world.");
}

TEST(whisper_words, the_final_continues_after_the_stable_words) {
    agreement a;
    a.update(words("we meet at the"));
    a.update(words("we meet at the main"));
    ASSERT_EQ(join(a.stable()), "we meet at the");
    EXPECT_EQ(join(a.complete(words("We meet at the main hall."))), "we meet at the main hall.");
    // The final decode dropped a word before the stable end: nothing repeated or lost.
    EXPECT_EQ(join(a.complete(words("we meet the main hall."))), "we meet at the main hall.");
    // Or added one.
    EXPECT_EQ(join(a.complete(words("so we meet at the main hall."))), "we meet at the main hall.");
    // A final shorter than the stable words keeps them.
    EXPECT_EQ(join(a.complete(words("we"))), "we meet at the");
}

TEST(whisper_words, continue_after_without_stable_words_is_the_start) {
    EXPECT_EQ(continue_after({}, words("a b c")), 0u);
    EXPECT_EQ(continue_after(words("a b c d"), words("a b")), 2u);
}

TEST(whisper_words, reset_forgets_the_utterance) {
    agreement a;
    a.update(words("one two"));
    a.update(words("one two three"));
    a.reset();
    EXPECT_TRUE(a.stable().empty());
    a.update(words("four five"));
    EXPECT_TRUE(a.stable().empty());
}

TEST(whisper_words, a_looping_phrase_keeps_its_first_occurrence_and_loses_the_rest) {
    auto w = words("thank you for coming thank you for coming thank you for coming thank you");
    EXPECT_TRUE(drop_repeats(w));
    EXPECT_EQ(join(w), "thank you for coming");

    w = words("and then the the the the the end");
    EXPECT_TRUE(drop_repeats(w));
    EXPECT_EQ(join(w), "and then the");
}

TEST(whisper_words, ordinary_repetition_is_left_alone) {
    auto w = words("no, no, we will not go. we will not.");
    EXPECT_FALSE(drop_repeats(w));
    EXPECT_EQ(join(w), "no, no, we will not go. we will not.");
    w = words("very very very good"); // three of one word is speech
    EXPECT_FALSE(drop_repeats(w));
    w = words("bye bye bye bye bye");
    EXPECT_TRUE(drop_repeats(w));
    EXPECT_EQ(join(w), "bye");
}

TEST(whisper_words, the_long_speech_cut_goes_at_the_quietest_frame_after_the_stable_word) {
    // 2 s of loud tone with a 30 ms near-silence at 1.20 s and a deeper one at 1.70 s.
    std::vector<std::int16_t> pcm(32000);
    for (std::size_t i = 0; i < pcm.size(); ++i)
        pcm[i] = static_cast<std::int16_t>(i % 40 < 20 ? 8000 : -8000);
    auto quiet = [&](double at_s, std::int16_t amp) {
        for (std::size_t i = static_cast<std::size_t>(at_s * 16000);
             i < static_cast<std::size_t>((at_s + 0.03) * 16000); ++i)
            pcm[i] = static_cast<std::int16_t>(i % 40 < 20 ? amp : -amp);
    };
    quiet(1.20, 300);
    quiet(1.70, 10);
    // The stable word ends (by the decoder's estimate) at 1.1 s; the next starts at 1.5 s.
    auto cut = quiet_cut(pcm, 1.1, 1.5);
    EXPECT_GE(cut, 19200u);
    EXPECT_LT(cut, 19200u + 480u);
    // Without a next word the search reaches 0.4 s past the stable end, not the deeper dip.
    cut = quiet_cut(pcm, 1.1, 1e9);
    EXPECT_GE(cut, 19200u);
    EXPECT_LT(cut, 19200u + 480u);
    cut = quiet_cut(pcm, 1.4, 1e9);
    EXPECT_GE(cut, 27200u);
    EXPECT_LT(cut, 27200u + 480u);
    // A word end at or past the audio's end leaves nothing after the cut.
    EXPECT_EQ(quiet_cut(pcm, 2.5, 1e9), pcm.size());
}

TEST(whisper_words, wild_word_times_are_replaced_by_times_shared_out_by_length) {
    auto w = words("a bb ccc"); // 0-0.3, 0.4-0.7, 0.8-1.1
    EXPECT_TRUE(times_plausible(w, 1.2));
    EXPECT_FALSE(times_plausible(w, 1.0)) << "past the audio";
    auto negative = w;
    negative[1].start_s = -1003.9;
    EXPECT_FALSE(times_plausible(negative, 2.0));
    auto backwards = w;
    backwards[2].start_s = 0.1;
    EXPECT_FALSE(times_plausible(backwards, 2.0));

    spread_times(w, 1.2); // 2 + 3 + 4 characters with the spaces
    EXPECT_DOUBLE_EQ(w[0].start_s, 0.0);
    EXPECT_NEAR(w[0].end_s, 1.2 * 2 / 9, 1e-9);
    EXPECT_NEAR(w[1].end_s, 1.2 * 5 / 9, 1e-9);
    EXPECT_NEAR(w[2].end_s, 1.2, 1e-9);
    EXPECT_TRUE(times_plausible(w, 1.2));
}

TEST(whisper_guard, drops_likely_silence_and_unsure_decodes_and_keeps_the_rest) {
    lt::stt::whisper::whisper_options wo; // no_speech 0.6, logprob -1, drop below -2
    using lt::stt::whisper::guard_drops;
    EXPECT_FALSE(guard_drops(wo, 0.1f, -0.3)); // clear speech
    EXPECT_FALSE(guard_drops(wo, 0.9f, -0.5)); // "no speech" but confident words: kept
    EXPECT_TRUE(guard_drops(wo, 0.9f, -1.2));  // no speech and unsure: OpenAI's rule
    EXPECT_FALSE(guard_drops(wo, 0.3f, -1.5)); // unsure, but speech
    EXPECT_TRUE(guard_drops(wo, 0.0f, -2.5));  // too unsure whatever the no-speech estimate
    wo.guards = false;
    EXPECT_FALSE(guard_drops(wo, 0.9f, -9.0));
}
