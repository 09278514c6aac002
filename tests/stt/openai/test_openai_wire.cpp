// The OpenAI transcription request and answer without a network: the WAV header, the
// multipart body, and how each answer is mapped (text, refused key, rejected, retry).
#include "stt/make_recognizer.hpp"
#include "stt/openai/wire.hpp"

#include <gtest/gtest.h>

#include <cstring>

using namespace lt::stt::openai;

namespace {

std::uint32_t u32(const std::string& s, std::size_t at) {
    std::uint32_t v = 0;
    std::memcpy(&v, s.data() + at, 4);
    return v;
}
std::uint16_t u16(const std::string& s, std::size_t at) {
    std::uint16_t v = 0;
    std::memcpy(&v, s.data() + at, 2);
    return v;
}

} // namespace

TEST(openai_wire, wav_header_says_16khz_mono_16_bit_and_sizes_match) {
    std::vector<std::int16_t> pcm{0, 1, -1, 32767, -32768};
    auto w = wav_file(pcm);
    ASSERT_EQ(w.size(), 44u + 10u);
    EXPECT_EQ(w.substr(0, 4), "RIFF");
    EXPECT_EQ(u32(w, 4), w.size() - 8);
    EXPECT_EQ(w.substr(8, 8), "WAVEfmt ");
    EXPECT_EQ(u32(w, 16), 16u);    // fmt size
    EXPECT_EQ(u16(w, 20), 1u);     // PCM
    EXPECT_EQ(u16(w, 22), 1u);     // mono
    EXPECT_EQ(u32(w, 24), 16000u); // rate
    EXPECT_EQ(u32(w, 28), 32000u); // byte rate
    EXPECT_EQ(u16(w, 32), 2u);     // block align
    EXPECT_EQ(u16(w, 34), 16u);    // bits
    EXPECT_EQ(w.substr(36, 4), "data");
    EXPECT_EQ(u32(w, 40), 10u);
    EXPECT_EQ(static_cast<std::int16_t>(u16(w, 50)), 32767); // little-endian samples
    EXPECT_EQ(static_cast<std::int16_t>(u16(w, 52)), -32768);
    EXPECT_EQ(wav_file({}).size(), 44u);
}

TEST(openai_wire, multipart_body_has_file_model_format_and_only_the_optional_fields_set) {
    transcription_request r;
    r.model = "whisper-1";
    r.language = "en";
    r.prompt = "The previous sentence.";
    const std::string wav = wav_file(std::vector<std::int16_t>(3, 7));
    auto body = multipart_body(r, wav, "BOUND");
    EXPECT_EQ(multipart_content_type("BOUND"), "multipart/form-data; boundary=BOUND");
    const std::string expected =
        "--BOUND\r\nContent-Disposition: form-data; name=\"file\"; filename=\"utterance.wav\"\r\n"
        "Content-Type: audio/wav\r\n\r\n" +
        wav +
        "\r\n--BOUND\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n"
        "--BOUND\r\nContent-Disposition: form-data; name=\"response_format\"\r\n\r\njson\r\n"
        "--BOUND\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\nen\r\n"
        "--BOUND\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nThe previous sentence.\r\n"
        "--BOUND--\r\n";
    EXPECT_EQ(body, expected);

    r.language.clear();
    r.prompt.clear();
    body = multipart_body(r, wav, "BOUND");
    EXPECT_EQ(body.find("name=\"language\""), std::string::npos);
    EXPECT_EQ(body.find("name=\"prompt\""), std::string::npos);
    EXPECT_NE(body.find("name=\"model\""), std::string::npos);
}

TEST(openai_wire, boundaries_are_random_and_long) {
    auto a = new_boundary(), b = new_boundary();
    EXPECT_NE(a, b);
    EXPECT_GE(a.size(), 24u);
}

TEST(openai_wire, a_json_text_answer_is_the_transcript_trimmed) {
    auto a = parse_answer(200, R"({"text":"  Hello there.\n"})");
    EXPECT_EQ(a.type, answer::kind::text);
    EXPECT_EQ(a.text, "Hello there.");
    a = parse_answer(200, R"({"text":""})");
    EXPECT_EQ(a.type, answer::kind::text);
    EXPECT_EQ(a.text, "");
}

TEST(openai_wire, a_success_without_a_text_field_is_retried_with_a_message) {
    for (const char* body : {"Hello", R"({"words":[]})", R"({"text":3})", ""}) {
        auto a = parse_answer(200, body);
        EXPECT_EQ(a.type, answer::kind::retry) << body;
        EXPECT_NE(a.message.find("not JSON with a \"text\" field"), std::string::npos) << a.message;
    }
}

TEST(openai_wire, errors_map_to_auth_rejected_or_retry_with_the_servers_message) {
    const std::string openai_401 =
        R"({"error":{"message":"Incorrect API key provided: sk-x.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})";
    auto a = parse_answer(401, openai_401);
    EXPECT_EQ(a.type, answer::kind::auth);
    EXPECT_EQ(a.message, "HTTP 401: Incorrect API key provided: sk-x. (invalid_api_key)");
    EXPECT_EQ(parse_answer(403, "{}").type, answer::kind::auth);

    for (int s : {400, 404, 413, 415, 422})
        EXPECT_EQ(parse_answer(s, R"({"error":{"message":"bad"}})").type, answer::kind::rejected) << s;
    for (int s : {408, 429, 500, 502, 503, 504})
        EXPECT_EQ(parse_answer(s, "oops").type, answer::kind::retry) << s;

    // faster-whisper-server style {"detail"} and plain text bodies are quoted too.
    EXPECT_EQ(parse_answer(404, R"({"detail":"Model 'x' is not installed"})").message,
              "HTTP 404: Model 'x' is not installed");
    EXPECT_EQ(parse_answer(502, "Bad\ngateway").message, "HTTP 502: Bad gateway");
}

TEST(openai_wire, language_tags_become_iso_639_1) {
    EXPECT_EQ(iso639_1("en"), "en");
    EXPECT_EQ(iso639_1("en-GB"), "en");
    EXPECT_EQ(iso639_1("ES_mx"), "es");
    EXPECT_EQ(iso639_1(""), "");
}

TEST(openai_engine, bad_settings_are_clear_errors_naming_the_setting) {
    lt::stt::engine_options o;
    o.engine = "openai";
    o.openai.base_url = "ftp://example.org/v1";
    auto r = lt::stt::make_recognizer(o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error_message().find("--openai-url"), std::string::npos) << r.error_message();
    o.openai.base_url = "http://127.0.0.1:1/v1";
    o.openai.model = "";
    r = lt::stt::make_recognizer(o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error_message().find("--stt-model"), std::string::npos) << r.error_message();
    o.openai.model = "whisper-1";
    o.openai.ca_file = "/nonexistent/ca.pem";
    r = lt::stt::make_recognizer(o);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error_message().find("/nonexistent/ca.pem"), std::string::npos) << r.error_message();
    o.openai.ca_file.clear();
    r = lt::stt::make_recognizer(o);
    ASSERT_TRUE(r) << r.error_message();
    EXPECT_NE(r.value()->name().find("whisper-1 at http://127.0.0.1:1/v1"), std::string::npos);
    EXPECT_FALSE(r.value()->needs_truecasing());
}
