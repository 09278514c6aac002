// The translator factory: names, errors as results (an unknown name, an explicit Apertium
// that cannot start, a network engine without its settings, openai without a model or with a
// bad URL) and the "auto" fallback to none. AWS, LibreTranslate, DeepL and openai calls are
// covered by test_aws_integration, test_mt_integration and test_openai_translate_integration
// against the local stand-ins.
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
    auto t = make_translator(named("systran"));
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error_message(),
              "unknown translator 'systran' (expected auto, apertium, aws, libretranslate, deepl, openai or none)");
    EXPECT_FALSE(make_translator(named("deepL")).ok()) << "names are exact";
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

TEST(Translators, NetworkEnginesWithoutTheirSettingsAreErrorsSayingWhatToSet) {
    auto lt = make_translator(named("libretranslate"));
    ASSERT_FALSE(lt.ok());
    EXPECT_NE(lt.error_message().find("set LIBRETRANSLATE_URL"), std::string::npos) << lt.error_message();
    auto dl = make_translator(named("deepl"));
    ASSERT_FALSE(dl.ok());
    EXPECT_NE(dl.error_message().find("set DEEPL_AUTH_KEY"), std::string::npos) << dl.error_message();
    auto bad_url = named("deepl");
    bad_url.deepl_auth_key = "k:fx";
    bad_url.deepl_api_url = "api.deepl.com";
    auto r = make_translator(bad_url);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error_message().find("DEEPL_API_URL"), std::string::npos) << r.error_message();
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
