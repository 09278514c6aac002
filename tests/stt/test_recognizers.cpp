// The engine factory: the names it knows, its errors (an unknown engine lists every name;
// "aws" needs a language code), and that each name builds its engine. No network.
#include "stt/make_recognizer.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

using namespace lt::stt;

namespace {

// Credentials that never come: the aws engine is built but never reaches a network.
struct no_credentials : lt::aws::credentials_provider {
    lt::core::result<lt::aws::credentials> get() override {
        return lt::core::make_error("no AWS credentials: test");
    }
};

} // namespace

TEST(Recognizers, EngineNames) {
    EXPECT_EQ(engine_names(), (std::vector<std::string>{"pocketsphinx", "aws", "openai"}));
}

TEST(Recognizers, UnknownEngineListsAllNames) {
    engine_options o;
    o.engine = "whisper";
    auto r = make_recognizer(o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error_message(),
              "unknown speech recognition engine 'whisper' (--engine): available: pocketsphinx, aws, openai");
}

TEST(Recognizers, OnlyAwsNeedsAwsCredentials) {
    EXPECT_TRUE(needs_aws_credentials("aws"));
    EXPECT_FALSE(needs_aws_credentials("pocketsphinx"));
    EXPECT_FALSE(needs_aws_credentials("openai"));
    EXPECT_FALSE(needs_aws_credentials("whisper"));
}

TEST(Recognizers, PocketsphinxIsTheDefault) {
    auto r = make_recognizer({});
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_EQ(r.value()->name(), "pocketsphinx");
}

TEST(Recognizers, AwsWithoutALanguageCodeIsAnError) {
    engine_options o;
    o.engine = "aws";
    o.lang = "xx";
    o.transcribe.credentials = std::make_shared<no_credentials>();
    auto r = make_recognizer(o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error_message(),
              "AWS Transcribe: no language code for --lang xx; give one such as en-US, de-DE or es-ES");
}

TEST(Recognizers, AwsTakesItsLanguageCodeFromLang) {
    engine_options o;
    o.engine = "aws";
    o.lang = "de";
    o.transcribe.region = "us-east-1";
    o.transcribe.credentials = std::make_shared<no_credentials>();
    o.transcribe.on_event = [](const transcribe::transcribe_event&) {};
    auto r = make_recognizer(o);
    ASSERT_TRUE(r.ok()) << r.error_message();
    EXPECT_NE(r.value()->name().find("de-DE"), std::string::npos) << r.value()->name();
}
