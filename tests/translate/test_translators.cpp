// The translator factory: names, errors as results (an unknown name, an explicit Apertium
// that cannot start) and the "auto" fallback to none. AWS is covered by
// test_aws_integration against the local fake.
#include "translate/make_translator.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace lt::translate;

TEST(Translators, None) {
    auto t = make_translator({"none"});
    ASSERT_TRUE(t.ok()) << t.error_message();
    EXPECT_EQ(t.value()->name(), "none");
    EXPECT_TRUE(t.value()->targets("en").empty());
}

TEST(Translators, UnknownNameIsAnError) {
    auto t = make_translator({"deepl"});
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error_message(), "unknown translator 'deepl' (expected auto, apertium, aws, openai or none)");
}

TEST(Translators, ExplicitApertiumWithoutModesIsAnError) {
    auto t = make_translator({"apertium", "/nonexistent/apertium/modes"});
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error_message().find("Apertium is not installed"), std::string::npos) << t.error_message();
    EXPECT_NE(t.error_message().find("/nonexistent/apertium/modes"), std::string::npos) << t.error_message();
}

TEST(Translators, AutoWithoutApertiumFallsBackToNone) {
    auto t = make_translator({"auto", "/nonexistent/apertium/modes"});
    ASSERT_TRUE(t.ok()) << t.error_message();
    EXPECT_EQ(t.value()->name(), "none");
}
