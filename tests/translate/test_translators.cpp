// The translator factory: names, errors as results (an unknown name, an explicit Apertium
// that cannot start, openai without a model or with a bad URL) and the "auto" fallback to
// none. AWS and openai calls are covered by test_aws_integration and
// test_openai_translate_integration against local fakes.
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

TEST(Translators, OpenaiNeedsAModelAndAnHttpUrl) {
    translator_options o;
    o.name = "openai";
    auto t = make_translator(o);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error_message(), "the openai translator needs a model: set --mt-model or LT_MT_MODEL (e.g. "
                                 "llama3.1:8b for Ollama, gpt-4o-mini for OpenAI)");
    o.mt_model = "llama3.1:8b";
    o.openai_base_url = "ftp://localhost/v1";
    t = make_translator(o);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error_message().find("OPENAI_BASE_URL 'ftp://localhost/v1'"), std::string::npos)
        << t.error_message();
    o.openai_base_url = "http://localhost:11434/v1?api-version=1";
    t = make_translator(o);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.error_message().find("a query or fragment is not supported"), std::string::npos)
        << t.error_message();
}
