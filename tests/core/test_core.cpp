#include "core/env.hpp"
#include "core/languages.hpp"
#include "core/lru_cache.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <regex>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace lt::core;

TEST(dotenv, parses_plain_quoted_export_and_comments) {
    auto m = parse_dotenv("# comment\n"
                          "API_KEY=abc123\n"
                          "export LT_PORT = 6000\n"
                          "TITLE=\"Hello \\\"world\\\"\"\n"
                          "SINGLE='a # not a comment'\n"
                          "TRAIL=value # comment\n"
                          "\n"
                          "EMPTY=\n");
    EXPECT_EQ(m.at("API_KEY"), "abc123");
    EXPECT_EQ(m.at("LT_PORT"), "6000");
    EXPECT_EQ(m.at("TITLE"), "Hello \"world\"");
    EXPECT_EQ(m.at("SINGLE"), "a # not a comment");
    EXPECT_EQ(m.at("TRAIL"), "value");
    EXPECT_EQ(m.at("EMPTY"), "");
}

TEST(dotenv, rejects_malformed_lines_with_line_number) {
    try {
        parse_dotenv("A=1\nnot a setting\n");
        FAIL() << "expected an error";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos);
    }
    EXPECT_THROW(parse_dotenv("A=\"unterminated\n"), std::invalid_argument);
    EXPECT_THROW(parse_dotenv("1BAD=x\n"), std::invalid_argument);
}

TEST(env_source, environment_beats_dotenv_and_first_name_wins) {
    env_source env({{"LT_PORT", "7000"}}, {{"LT_PORT", "6000"}, {"FLASK_PORT", "5000"}, {"X", "file"}});
    EXPECT_EQ(env.get("LT_PORT"), "7000");
    EXPECT_EQ(env.get("X"), "file");
    EXPECT_EQ(env.get({"NOPE", "FLASK_PORT"}), "5000");
    // An alias in the environment beats the main name in the file.
    env_source env2({{"FLASK_PORT", "5001"}}, {{"LT_PORT", "6000"}});
    EXPECT_EQ(env2.get({"LT_PORT", "FLASK_PORT"}), "5001");
    EXPECT_FALSE(env.get("MISSING").has_value());
}

TEST(parse_bool, accepts_common_spellings_and_rejects_others) {
    EXPECT_TRUE(parse_bool("X", "TRUE"));
    EXPECT_TRUE(parse_bool("X", "1"));
    EXPECT_FALSE(parse_bool("X", "off"));
    EXPECT_FALSE(parse_bool("X", ""));
    EXPECT_THROW(parse_bool("X", "maybe"), std::invalid_argument);
}

TEST(lru_cache, evicts_least_recently_used) {
    lru_cache<std::string, int> c(2);
    c.put("a", 1);
    c.put("b", 2);
    EXPECT_EQ(c.get("a"), 1); // a is now most recent
    c.put("c", 3);            // evicts b
    EXPECT_FALSE(c.get("b").has_value());
    EXPECT_EQ(c.get("a"), 1);
    EXPECT_EQ(c.get("c"), 3);
    c.put("a", 10);
    EXPECT_EQ(c.get("a"), 10);
    EXPECT_EQ(c.size(), 2u);
    EXPECT_EQ(c.hits(), 4u);
    EXPECT_EQ(c.misses(), 1u);
}

TEST(lru_cache, zero_capacity_stores_nothing_and_concurrent_use_is_safe) {
    lru_cache<int, int> none(0);
    none.put(1, 1);
    EXPECT_FALSE(none.get(1).has_value());

    lru_cache<int, int> c(64);
    std::vector<std::thread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&c, t] {
            for (int i = 0; i < 2000; ++i) {
                c.put((i + t) % 100, i);
                (void)c.get(i % 100);
            }
        });
    for (auto& t : ts)
        t.join();
    EXPECT_LE(c.size(), 64u);
}

TEST(result, holds_value_or_error) {
    result<int> ok = 5;
    result<int> bad = make_error("broken");
    EXPECT_TRUE(ok.ok());
    EXPECT_EQ(ok.value(), 5);
    EXPECT_FALSE(bad);
    EXPECT_EQ(bad.error_message(), "broken");
}

TEST(languages, has_sixteen_with_arabic_rtl) {
    EXPECT_EQ(viewer_languages().size(), 16u);
    ASSERT_NE(find_language("ar"), nullptr);
    EXPECT_TRUE(find_language("ar")->rtl);
    EXPECT_FALSE(find_language("es")->rtl);
    EXPECT_TRUE(is_known_language("tr"));
    EXPECT_FALSE(is_known_language("xx"));
}

// The page (web/app.js) keeps its own copy of the list so it can draw the language menu before
// the server answers; this ties the two: same codes, order, names and writing direction.
TEST(languages, page_lists_the_same_languages) {
    const char* root = std::getenv("LT_SOURCE_DIR");
    ASSERT_NE(root, nullptr) << "LT_SOURCE_DIR is set by CTest";
    std::ifstream in(std::string(root) + "/web/app.js");
    ASSERT_TRUE(in) << "cannot read web/app.js";
    std::string js((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    auto begin = js.find("const LANGUAGES = [");
    ASSERT_NE(begin, std::string::npos);
    auto end = js.find("];", begin);
    ASSERT_NE(end, std::string::npos);
    std::string block = js.substr(begin, end - begin);
    std::regex entry(R"(\['([a-z]{2,3})', '([^']+)'\])");
    std::vector<std::pair<std::string, std::string>> page;
    for (std::sregex_iterator it(block.begin(), block.end(), entry), stop; it != stop; ++it)
        page.emplace_back((*it)[1], (*it)[2]);

    auto langs = viewer_languages();
    ASSERT_EQ(page.size(), langs.size());
    for (std::size_t i = 0; i < langs.size(); ++i) {
        EXPECT_EQ(page[i].first, langs[i].code) << "entry " << i;
        EXPECT_EQ(page[i].second, langs[i].native) << "entry " << i;
    }

    std::smatch rtl;
    ASSERT_TRUE(std::regex_search(js, rtl, std::regex(R"(const RTL_LANGUAGES = new Set\(\[([^\]]*)\]\))")));
    std::string rtl_list = rtl[1];
    for (const auto& l : langs)
        EXPECT_EQ(rtl_list.find("'" + std::string(l.code) + "'") != std::string::npos, l.rtl) << l.code;
}

TEST(histogram, renders_cumulative_buckets) {
    histogram h;
    h.observe(0.0004);
    h.observe(0.003);
    h.observe(20);
    std::string out;
    h.render(out, "lt_t", "backend=\"x\"");
    EXPECT_NE(out.find("lt_t_bucket{backend=\"x\",le=\"0.0005\"} 1\n"), std::string::npos) << out;
    EXPECT_NE(out.find("lt_t_bucket{backend=\"x\",le=\"0.005\"} 2\n"), std::string::npos) << out;
    EXPECT_NE(out.find("lt_t_bucket{backend=\"x\",le=\"+Inf\"} 3\n"), std::string::npos) << out;
    EXPECT_NE(out.find("lt_t_count{backend=\"x\"} 3\n"), std::string::npos) << out;
}
