// DeepL's codes from ours, /v2/languages and /v2/translate answers read, the errors' wording
// (403, 456, 429), and the free/pro URL rule. The shapes are DeepL's published ones.
#include "translate/deepl/deepl_translator.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace lt::translate::deepl;

namespace {
lt::net::http_response answer(int status, std::string body) {
    lt::net::http_response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}
} // namespace

TEST(deepl, free_keys_go_to_the_free_api) {
    EXPECT_EQ(default_url("0123-abcd:fx"), "https://api-free.deepl.com");
    EXPECT_EQ(default_url("0123-abcd"), "https://api.deepl.com");
    EXPECT_EQ(default_url("fx"), "https://api.deepl.com");
}

TEST(deepl, our_codes_map_to_deepls_variants) {
    EXPECT_EQ(target_candidates("en"), (std::vector<std::string>{"EN-US", "EN-GB", "EN"}));
    EXPECT_EQ(target_candidates("pt"), (std::vector<std::string>{"PT-BR", "PT-PT", "PT"}));
    EXPECT_EQ(target_candidates("zh"), (std::vector<std::string>{"ZH-HANS", "ZH"}));
    EXPECT_EQ(target_candidates("de"), (std::vector<std::string>{"DE"}));
    EXPECT_TRUE(target_candidates("xx").empty());
    EXPECT_TRUE(target_candidates("sv").empty()) << "not a page language";
    EXPECT_EQ(source_code("en"), "EN");
    EXPECT_EQ(source_code("zh"), "ZH");
}

TEST(deepl, built_in_targets_cover_the_page_languages_deepl_has) {
    auto chosen = choose_targets(builtin_targets());
    std::map<std::string, std::string> want{{"ar", "AR"}, {"de", "DE"},     {"en", "EN-US"}, {"es", "ES"},
                                            {"fr", "FR"}, {"it", "IT"},     {"ja", "JA"},    {"ko", "KO"},
                                            {"nl", "NL"}, {"pl", "PL"},     {"pt", "PT-BR"}, {"ru", "RU"},
                                            {"tr", "TR"}, {"zh", "ZH-HANS"}};
    EXPECT_EQ(chosen, want) << "no Hindi or Catalan in DeepL's documented list";
}

TEST(deepl, a_listed_language_is_served_with_the_best_variant_listed) {
    auto chosen = choose_targets({"de", "EN-GB", "PT", "ZH", "HI", "SV"});
    std::map<std::string, std::string> want{
        {"de", "DE"}, {"en", "EN-GB"}, {"pt", "PT"}, {"zh", "ZH"}, {"hi", "HI"}};
    EXPECT_EQ(chosen, want);
}

TEST(deepl, languages_list_is_read) {
    auto codes = parse_languages(R"j([{"language":"DE","name":"German","supports_formality":true},
                                     {"language":"en-us","name":"English (American)"}])j");
    ASSERT_TRUE(codes) << codes.error_message();
    EXPECT_EQ(codes.value(), (std::vector<std::string>{"DE", "EN-US"}));
    for (const char* body : {"", "{}", R"([{"name":"German"}])"}) {
        auto bad = parse_languages(body);
        ASSERT_FALSE(bad);
        EXPECT_EQ(bad.error_message().rfind("DeepL: ", 0), 0u);
    }
}

TEST(deepl, request_body_has_the_published_fields) {
    auto j = nlohmann::json::parse(translate_request("Hello", "PT-BR", "EN"));
    EXPECT_EQ(j, nlohmann::json({{"text", {"Hello"}}, {"target_lang", "PT-BR"}, {"source_lang", "EN"}}));
    EXPECT_FALSE(nlohmann::json::parse(translate_request("Hi", "DE", "")).contains("source_lang"));
    EXPECT_NO_THROW(translate_request("bad \xff byte", "DE", "EN"));
}

TEST(deepl, a_glossary_becomes_tsv_entries_per_target_with_a_name_that_follows_them) {
    auto g = lt::translate::glossary::parse("keynote,es,ponencia principal\nAcme\n\"tab\there\"\n", "g.csv");
    ASSERT_TRUE(g) << g.error_message();
    EXPECT_EQ(glossary_entries(g.value(), "es"), "keynote\tponencia principal\nAcme\tAcme\n")
        << "a term with a tab cannot be a TSV entry: placeholders keep it";
    EXPECT_EQ(glossary_entries(g.value(), "de"), "keynote\tkeynote\nAcme\tAcme\n");
    auto a = glossary_name("en", "es", "x\ty\n");
    EXPECT_EQ(a.rfind("live-translate en-es ", 0), 0u) << a;
    EXPECT_EQ(a, glossary_name("en", "es", "x\ty\n"));
    EXPECT_NE(a, glossary_name("en", "es", "x\tz\n"));
    auto j = nlohmann::json::parse(glossary_request("n", "en", "es", "x\ty\n"));
    EXPECT_EQ(j, nlohmann::json({{"name", "n"},
                                 {"source_lang", "en"},
                                 {"target_lang", "es"},
                                 {"entries", "x\ty\n"},
                                 {"entries_format", "tsv"}}));
    EXPECT_EQ(nlohmann::json::parse(translate_request("Hi", "ES", "EN", "g-1"))["glossary_id"], "g-1");
}

TEST(deepl, glossary_answers_are_read) {
    EXPECT_EQ(read_glossary(answer(201, R"({"glossary_id":"def3","ready":true,"entry_count":1})")).value(),
              "def3");
    auto bad =
        read_glossary(answer(400, R"({"message":"Unsupported glossary source and target language pair."})"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error_message(),
              "DeepL: glossary not made: request refused (HTTP 400: Unsupported glossary "
              "source and target language pair.)");
    EXPECT_FALSE(read_glossary(answer(201, "{}")));
    auto list = read_glossary_list(
        R"({"glossaries":[{"glossary_id":"a","name":"x","ready":true},{"glossary_id":"b","name":"y","ready":false}]})");
    EXPECT_EQ(list, (std::map<std::string, std::string>{{"x", "a"}}));
    EXPECT_TRUE(read_glossary_list("not json").empty());
}

TEST(deepl, answers_and_errors_are_read_in_words) {
    EXPECT_EQ(
        read_answer(answer(200, R"({"translations":[{"detected_source_language":"EN","text":"Hallo"}]})"))
            .value(),
        "Hallo");
    struct case_t {
        int status;
        std::string body, needle;
    };
    std::vector<case_t> cases{
        {200, R"({"translations":[]})", "DeepL: the answer has no translations[0].text"},
        {403, R"({"message":"Authorization failure, check auth_key"})",
         "DeepL: authorization failed (HTTP 403: Authorization failure, check auth_key); check "
         "DEEPL_AUTH_KEY"},
        {403, "", "DeepL: authorization failed (HTTP 403: no message)"},
        {456, R"({"message":"Quota Exceeded"})", "DeepL: quota exceeded (HTTP 456: Quota Exceeded)"},
        {429, R"({"message":"Too many requests"})", "DeepL: too many requests (HTTP 429: Too many requests)"},
        {529, "", "DeepL: too many requests (HTTP 529"},
        {400, R"({"message":"Value for 'target_lang' not supported."})",
         "DeepL: request refused (HTTP 400: Value for 'target_lang' not supported.)"},
        {413, "", "DeepL: caption too large (HTTP 413"},
        {500, R"({"message":"Internal error","detail":"try later"})",
         "DeepL: server error (HTTP 500: Internal error: try later)"},
        {404, "", "DeepL: not found (HTTP 404: no message); check DEEPL_API_URL"},
    };
    for (const auto& c : cases) {
        auto r = read_answer(answer(c.status, c.body));
        ASSERT_FALSE(r) << c.status;
        EXPECT_EQ(r.error_message().substr(0, c.needle.size()), c.needle) << r.error_message();
    }
}

TEST(deepl, factory_needs_a_key_and_an_http_url) {
    auto none = make_deepl_translator({});
    ASSERT_FALSE(none);
    EXPECT_NE(none.error_message().find("DEEPL_AUTH_KEY"), std::string::npos) << none.error_message();
    deepl_options o;
    o.auth_key = "k:fx";
    o.url = "ws://127.0.0.1:1";
    auto ws = make_deepl_translator(o);
    ASSERT_FALSE(ws);
    EXPECT_NE(ws.error_message().find("DEEPL_API_URL"), std::string::npos);
}

TEST(deepl, an_unreachable_api_keeps_the_built_in_list_and_says_why) {
    deepl_options o;
    o.auth_key = "k:fx";
    o.url = "http://127.0.0.1:1/v2/"; // nothing listens on port 1; "/v2" is taken off
    o.client.max_attempts = 1;
    auto t = make_deepl_translator(o);
    ASSERT_TRUE(t) << t.error_message();
    auto& tr = *t.value();
    EXPECT_EQ(tr.name(), "deepl");
    EXPECT_FALSE(tr.available());
    EXPECT_EQ(tr.targets("en").size(), 13u);
    EXPECT_TRUE(tr.targets("ca").empty()) << "Catalan is no DeepL source";
    EXPECT_EQ(tr.state().rfind("DeepL", 0), 0u) << tr.state();
    auto unknown = tr.translate("en", "hi", "Hello");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error_message(), "DeepL: no target language for 'hi'");
    auto r = tr.translate("en", "de", "Hello");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error_message().rfind("DeepL", 0), 0u) << r.error_message();
    EXPECT_NE(r.error_message().find("check DEEPL_API_URL"), std::string::npos) << r.error_message();
}
