// LibreTranslate's language codes as ours, /languages and /translate answers read, and the
// errors' wording. The shapes are LibreTranslate's published ones (its app.py and /docs).
#include "translate/libretranslate/libretranslate_translator.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace lt::translate::libretranslate;

namespace {
lt::net::http_response answer(int status, std::string body) {
    lt::net::http_response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}
} // namespace

TEST(libretranslate, codes_map_to_ours_and_unknown_languages_are_dropped) {
    EXPECT_EQ(our_code("es"), "es");
    EXPECT_EQ(our_code("zh-Hans"), "zh");
    EXPECT_EQ(our_code("zh"), "zh") << "older servers";
    EXPECT_EQ(our_code("ZH-HANS"), "zh");
    EXPECT_EQ(our_code("zh-Hant"), std::nullopt) << "the page's Chinese is Simplified";
    EXPECT_EQ(our_code("zt"), std::nullopt);
    EXPECT_EQ(our_code("uk"), std::nullopt) << "not a page language";
    EXPECT_EQ(our_code(""), std::nullopt);
}

TEST(libretranslate, languages_give_each_source_its_targets_in_our_codes) {
    auto t = parse_languages(R"([
        {"code":"en","name":"English","targets":["de","en","es","uk","zh-Hans","zh-Hant"]},
        {"code":"es","name":"Spanish","targets":["en"]},
        {"code":"zh-Hans","name":"Chinese","targets":["en"]},
        {"code":"uk","name":"Ukrainian","targets":["en"]},
        {"code":"de","name":"German"}])");
    ASSERT_TRUE(t) << t.error_message();
    const auto& v = t.value();
    EXPECT_EQ(v.targets.at("en"), (std::vector<std::string>{"de", "es", "zh"}));
    EXPECT_EQ(v.targets.at("es"), (std::vector<std::string>{"en"}));
    EXPECT_EQ(v.targets.at("zh"), (std::vector<std::string>{"en"}));
    EXPECT_TRUE(v.targets.at("de").empty()) << "no targets field: nothing from German";
    EXPECT_EQ(v.targets.count("uk"), 0u);
    EXPECT_EQ(v.codes.at("zh"), "zh-Hans");
    EXPECT_EQ(v.codes.at("en"), "en");
}

TEST(libretranslate, bad_language_lists_are_errors_naming_libretranslate) {
    for (const char* body : {"", "{}", "not json", R"([{"name":"English"}])"}) {
        auto t = parse_languages(body);
        ASSERT_FALSE(t) << body;
        EXPECT_EQ(t.error_message().rfind("LibreTranslate: ", 0), 0u) << t.error_message();
    }
    EXPECT_TRUE(parse_languages("[]"));
}

TEST(libretranslate, request_body_has_the_published_fields) {
    auto j = nlohmann::json::parse(translate_request("Hello \"there\"", "en", "zh-Hans", "k-1"));
    EXPECT_EQ(j, nlohmann::json({{"q", "Hello \"there\""},
                                 {"source", "en"},
                                 {"target", "zh-Hans"},
                                 {"format", "text"},
                                 {"api_key", "k-1"}}));
    auto no_key = nlohmann::json::parse(translate_request("Hi", "en", "es", ""));
    EXPECT_FALSE(no_key.contains("api_key"));
    // Invalid UTF-8 from a caption must not throw.
    EXPECT_NO_THROW(translate_request("bad \xff byte", "en", "es", ""));
}

TEST(libretranslate, answers_and_errors_are_read_in_words) {
    EXPECT_EQ(read_answer(answer(200, R"({"translatedText":"¡Hola!"})")).value(), "¡Hola!");
    struct case_t {
        int status;
        std::string body, needle;
    };
    std::vector<case_t> cases{
        {200, R"({"translated":"x"})", "LibreTranslate: the answer has no translatedText"},
        {403, R"({"error":"Invalid API key"})",
         "LibreTranslate: access denied (HTTP 403: Invalid API key); check LIBRETRANSLATE_API_KEY"},
        {400, R"({"error":"Please contact the server operator to get an API key"})",
         "LibreTranslate: this server needs an API key (HTTP 400: Please contact the server operator to get "
         "an API key); set LIBRETRANSLATE_API_KEY"},
        {400, R"({"error":"xx is not supported"})",
         "LibreTranslate: request refused (HTTP 400: xx is not supported)"},
        {429, R"({"error":"Slowdown: 1 per 1 second"})",
         "LibreTranslate: rate limited (HTTP 429: Slowdown: 1 per 1 second)"},
        {500, R"({"error":"Cannot translate text: boom"})",
         "LibreTranslate: server error (HTTP 500: Cannot translate text: boom)"},
        {502, "<html>Bad Gateway</html>",
         "LibreTranslate: server error (HTTP 502: <html>Bad Gateway</html>)"},
        {404, "Not Found",
         "LibreTranslate: no /translate here (HTTP 404: Not Found); check LIBRETRANSLATE_URL"},
    };
    for (const auto& c : cases) {
        auto r = read_answer(answer(c.status, c.body));
        ASSERT_FALSE(r) << c.status;
        EXPECT_EQ(r.error_message().substr(0, c.needle.size()), c.needle) << r.error_message();
    }
}

TEST(libretranslate, factory_needs_an_http_url) {
    auto none = make_libretranslate_translator({});
    ASSERT_FALSE(none);
    EXPECT_NE(none.error_message().find("LIBRETRANSLATE_URL"), std::string::npos) << none.error_message();
    libretranslate_options o;
    o.url = "ftp://example.org";
    auto ftp = make_libretranslate_translator(o);
    ASSERT_FALSE(ftp);
    EXPECT_NE(ftp.error_message().find("expected an http:// or https:// URL"), std::string::npos);
    o.url = "localhost:5000";
    EXPECT_FALSE(make_libretranslate_translator(o));
}

TEST(libretranslate, an_unreachable_server_starts_with_every_language_offered_and_says_why) {
    libretranslate_options o;
    o.url = "http://127.0.0.1:1"; // nothing listens on port 1
    o.client.max_attempts = 1;
    auto t = make_libretranslate_translator(o);
    ASSERT_TRUE(t) << t.error_message();
    auto& tr = *t.value();
    EXPECT_EQ(tr.name(), "libretranslate");
    EXPECT_FALSE(tr.available());
    EXPECT_EQ(tr.targets("en").size(), 15u);
    EXPECT_TRUE(tr.targets("xx").empty());
    EXPECT_NE(tr.state().find("LibreTranslate: languages unknown"), std::string::npos) << tr.state();
    auto r = tr.translate("en", "es", "Hello");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error_message().rfind("LibreTranslate", 0), 0u) << r.error_message();
    EXPECT_NE(r.error_message().find("connection refused"), std::string::npos) << r.error_message();
    EXPECT_NE(r.error_message().find("check LIBRETRANSLATE_URL"), std::string::npos) << r.error_message();
    EXPECT_EQ(tr.parallelism(), 32u);
}
