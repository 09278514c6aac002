// The translator factory: names, errors as results (an unknown name, an explicit Apertium
// that cannot start) and the "auto" fallback to none. AWS is covered by
// test_aws_integration against the local fake.
#include "translate/make_translator.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace lt::translate;

namespace {
translator_options named(std::string name, std::string modes = "/usr/share/apertium/modes") {
    translator_options o;
    o.name = std::move(name);
    o.apertium_modes = std::move(modes);
    return o;
}
} // namespace

TEST(Translators, None) {
    auto t = make_translator(named("none"));
    ASSERT_TRUE(t.ok()) << t.error_message();
    EXPECT_EQ(t.value()->name(), "none");
    EXPECT_TRUE(t.value()->targets("en").empty());
}

TEST(Translators, UnknownNameIsAnError) {
    auto t = make_translator(named("deepl"));
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error_message(), "unknown translator 'deepl' (expected auto, apertium, aws or none)");
}

TEST(Translators, ExplicitApertiumWithoutModesIsAnError) {
    auto t = make_translator(named("apertium", "/nonexistent/apertium/modes"));
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error_message().find("Apertium is not installed"), std::string::npos) << t.error_message();
    EXPECT_NE(t.error_message().find("/nonexistent/apertium/modes"), std::string::npos) << t.error_message();
}

TEST(Translators, AutoWithoutApertiumFallsBackToNone) {
    auto t = make_translator(named("auto", "/nonexistent/apertium/modes"));
    ASSERT_TRUE(t.ok()) << t.error_message();
    EXPECT_EQ(t.value()->name(), "none");
}
