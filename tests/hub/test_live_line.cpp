#include "hub/live_line.hpp"

#include <gtest/gtest.h>

#include <string>

using lt::hub::split_live_line;

namespace {
std::pair<std::string, std::string> split(std::string_view previous, std::string_view latest) {
    auto s = split_live_line(previous, latest);
    return {std::string(s.stable), std::string(s.pending)};
}
} // namespace

TEST(live_line, the_first_partial_has_nothing_settled) {
    EXPECT_EQ(split("", "Hello there"), (std::pair<std::string, std::string>{"", "Hello there"}));
    EXPECT_EQ(split("", ""), (std::pair<std::string, std::string>{"", ""}));
}

TEST(live_line, words_two_partials_agree_on_are_settled_but_not_the_newest_last_word) {
    EXPECT_EQ(split("Hello there", "Hello there my friends"),
              (std::pair<std::string, std::string>{"Hello there", "my friends"}));
    // The same text twice: its last word may still grow.
    EXPECT_EQ(split("Hello there", "Hello there"), (std::pair<std::string, std::string>{"Hello", "there"}));
    // A word cut short in the previous partial is not agreed on.
    EXPECT_EQ(split("Hello the", "Hello there my"),
              (std::pair<std::string, std::string>{"Hello", "there my"}));
}

TEST(live_line, a_revised_word_ends_the_settled_part_even_when_later_words_agree) {
    EXPECT_EQ(split("the hole thing is here", "the whole thing is here now"),
              (std::pair<std::string, std::string>{"the", "whole thing is here now"}));
    EXPECT_EQ(split("The hole", "the whole thing"),
              (std::pair<std::string, std::string>{"", "the whole thing"}));
}

TEST(live_line, spacing_and_punctuation_of_the_newest_partial_are_kept) {
    EXPECT_EQ(split("Good  morning, everyone", "Good  morning, everyone.  Today"),
              (std::pair<std::string, std::string>{"Good  morning,", "everyone.  Today"}));
    EXPECT_EQ(split(" a b", "  a b c "), (std::pair<std::string, std::string>{"  a b", "c "}));
    // Bytes of UTF-8 words are compared as they are.
    EXPECT_EQ(split("Señor Pérez dijo", "Señor Pérez dijo que"),
              (std::pair<std::string, std::string>{"Señor Pérez dijo", "que"}));
}
