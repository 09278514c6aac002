// Which glossary words pocketsphinx gets, and how each is pronounced: given phones first, then
// acronyms by their letters, then compounds of dictionary words; the rest are named.
#include "stt/pocketsphinx/glossary_words.hpp"

#include <gtest/gtest.h>

using namespace lt::stt::pocketsphinx;

TEST(glossary_words, given_spelled_compound_or_named) {
    const std::map<std::string, std::string> dict{
        {"live", "L AY V"}, {"translate", "T R AE N Z L EY T"}, {"acme", "AE K M IY"}, {"dr", "D AA K T ER"}};
    auto lookup = [&](const std::string& w) {
        auto it = dict.find(w);
        return it == dict.end() ? std::string() : it->second;
    };
    auto plan = plan_glossary_words({"Dr. Okafor", "AWS", "Livetranslate", "Acme", "Zzyzx", "AWS", "NASA's"},
                                    {{"Okafor", "OW K AH F ER"}}, lookup);
    ASSERT_EQ(plan.add.size(), 3u);
    EXPECT_EQ(plan.add[0].word, "Okafor");
    EXPECT_EQ(plan.add[0].how, "given");
    EXPECT_EQ(plan.add[1].word, "AWS");
    EXPECT_EQ(plan.add[1].phones, "EY D AH B AH L Y UW EH S");
    EXPECT_EQ(plan.add[1].how, "spelled");
    EXPECT_EQ(plan.add[2].word, "Livetranslate");
    EXPECT_EQ(plan.add[2].phones, "L AY V T R AE N Z L EY T");
    EXPECT_EQ(plan.add[2].how, "compound");
    // Known in lower case (acme, dr) needs nothing; an apostrophe keeps NASA's from being an
    // acronym, and nothing can be made of zzyzx.
    EXPECT_EQ(plan.unknown, (std::vector<std::string>{"zzyzx", "nasa's"}));
}
