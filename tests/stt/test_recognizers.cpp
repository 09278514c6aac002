// The engine factory: the names it knows, its errors (an unknown engine lists every name;
// "aws" needs a language code), and that each name builds its engine. No network.
#include "stt/make_recognizer.hpp"
#include "stt/whisper/whisper_model.hpp"

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

// "whisper" is listed when whisper.cpp is built in (LT_WHISPER).
const std::string whisper_if_built = lt::stt::whisper::engine_built() ? ", whisper" : "";

TEST(Recognizers, EngineNames) {
    std::vector<std::string> want{"pocketsphinx", "aws", "openai"};
    if (lt::stt::whisper::engine_built())
        want.push_back("whisper");
    EXPECT_EQ(engine_names(), want);
}

TEST(Recognizers, UnknownEngineListsAllNames) {
    engine_options o;
    o.engine = "vosk";
    auto r = make_recognizer(o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error_message(),
              "unknown speech recognition engine 'vosk' (--engine): available: pocketsphinx, aws, openai" +
                  whisper_if_built);
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

TEST(Recognizers, PocketsphinxRejectsBadDecoderSettings) {
    engine_options o;
    o.pocketsphinx.decoder.cmninit = "1,2,x";
    auto r = make_recognizer(o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error_message(), "pocketsphinx: cmninit must be 13 comma-separated numbers, got '1,2,x'");
    o.pocketsphinx.decoder.cmninit = "1,2,3";
    EXPECT_FALSE(make_recognizer(o).ok());
    o.pocketsphinx.decoder = {};
    o.pocketsphinx.decoder.maxhmmpf = 0;
    r = make_recognizer(o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error_message(), "pocketsphinx: maxhmmpf must be positive or -1 (no cap), got 0");
    // The model's own starting mean is allowed.
    o.pocketsphinx.decoder = {};
    o.pocketsphinx.decoder.cmninit.clear();
    EXPECT_TRUE(make_recognizer(o).ok());
}
