// The whisper engine's word rules: LocalAgreement-2 (stable words are never taken back), the
// final's continuation after them, and the repeated-phrase guard.
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
