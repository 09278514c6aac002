// The translated live line against the real lt-server: a speaker's partials reach viewers of
// another language with their settled words translated by Apertium, at most once a second per
// language, never through a paid engine (tools/fake_libretranslate.py stands in for one), and
// never after their final.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace lt::test;
using namespace std::chrono_literals;

namespace {

const std::string key = "speaker-key";

json text_message(const std::string& text, const std::string& id, bool partial) {
    json d{{"text", text}, {"timestamp", "12:00:00"}, {"id", id}, {"lang", "en"}, {"api_key", key}};
    if (partial)
        d["partial"] = true;
    return {{"type", "new_text"}, {"data", d}};
}

std::unique_ptr<ws_client> speaker(unsigned short port) {
    auto s = std::make_unique<ws_client>(port);
    if (!s->receive_type("connection_status"))
        throw std::runtime_error("no connection_status");
    return s;
}

// A viewer with partials on (as our page asks), without the catch-up.
std::unique_ptr<ws_client> live_viewer(unsigned short port, const std::string& lang) {
    auto c = std::make_unique<ws_client>(port);
    if (!c->receive_type("connection_status"))
        throw std::runtime_error("no connection_status");
    c->send({{"type", "set_language"}, {"data", {{"lang", lang}, {"partials", true}, {"history", false}}}});
    if (!c->receive_type("language_set"))
        throw std::runtime_error("no language_set for " + lang);
    return c;
}

// The data of the next translated_text in `lang` (skipping up to 10 others).
std::optional<json> next_in(ws_client& v, const std::string& lang) {
    for (int i = 0; i < 10; ++i)
        if (auto f = v.receive_type("translated_text", 5s); f && (*f)["data"]["lang"] == lang)
            return (*f)["data"];
    return std::nullopt;
}

struct received {
    json data;
    std::chrono::steady_clock::time_point at;
};

// Every translated_text until the final with `final_id` arrived (and `after` longer, to see
// whether anything follows it), with arrival times.
std::vector<received> read_until_final(ws_client& v, const std::string& final_id,
                                       std::chrono::milliseconds after = 1500ms) {
    std::vector<received> out;
    auto deadline = std::chrono::steady_clock::now() + 30s;
    std::optional<std::chrono::steady_clock::time_point> stop;
    while (std::chrono::steady_clock::now() < (stop ? *stop : deadline)) {
        auto f = v.receive_type("translated_text", 200ms);
        if (!f)
            continue;
        out.push_back({(*f)["data"], std::chrono::steady_clock::now()});
        if (!stop && !(*f)["data"].value("partial", false) && (*f)["data"]["id"] == final_id)
            stop = std::chrono::steady_clock::now() + after;
    }
    return out;
}

std::vector<received> translated_partials(const std::vector<received>& all, const std::string& lang) {
    std::vector<received> out;
    for (const auto& r : all)
        if (r.data.value("partial", false) && r.data["lang"] == lang)
            out.push_back(r);
    return out;
}

// The sentence grows by a word every `gap`; returns the time the burst took.
std::chrono::duration<double> speak_in_partials(ws_client& s, const std::vector<std::string>& words,
                                                const std::string& id, std::chrono::milliseconds gap) {
    auto start = std::chrono::steady_clock::now();
    std::string text;
    for (const auto& w : words) {
        text += (text.empty() ? "" : " ") + w;
        s.send(text_message(text, id, true));
        std::this_thread::sleep_for(gap);
    }
    return std::chrono::steady_clock::now() - start;
}

const std::vector<std::string> sentence{
    "Good", "morning", "everyone",   "and",   "welcome", "to",     "the",    "opening", "session",
    "of",   "our",     "conference", "about", "the",     "future", "of",     "public",  "transport",
    "in",   "the",     "city",       "and",   "the",     "region", "around", "it",      "today"};

} // namespace

TEST(live_line, a_spanish_viewer_gets_the_settled_words_translated_by_apertium_at_most_once_a_second) {
    server_process server({}, {{"API_KEY", key}});
    auto es = live_viewer(server.port(), "es");
    auto en = live_viewer(server.port(), "en");
    auto plain = viewer(server.port(), "es"); // no partials, like the reference page
    auto s = speaker(server.port());

    // First two partials: "Good morning" is settled, "everyone" may still change.
    s->send(text_message("Good morning", "u1", true));
    s->send(text_message("Good morning everyone", "u1", true));
    auto first = next_in(*es, "es");
    ASSERT_TRUE(first) << "no translated partial";
    EXPECT_EQ((*first)["partial"], true);
    EXPECT_EQ((*first)["text"], apertium("Good morning", {"eng-spa"}));
    EXPECT_EQ((*first)["pending"], "everyone");
    EXPECT_EQ((*first)["original"], "Good morning everyone");
    EXPECT_EQ((*first)["source_lang"], "en");
    EXPECT_EQ((*first)["engine"], "apertium");
    EXPECT_EQ((*first)["id"], "u1");
    EXPECT_FALSE(first->contains("seq"));

    // A burst: 27 partials, 10 a second, then the final.
    std::this_thread::sleep_for(1100ms);
    auto took = speak_in_partials(*s, sentence, "u2", 100ms);
    std::string whole;
    for (const auto& w : sentence)
        whole += (whole.empty() ? "" : " ") + w;
    const auto final_sent = std::chrono::steady_clock::now();
    s->send(text_message(whole + ".", "u2", false));
    ASSERT_TRUE(s->receive_type("text_ack", 10s));

    auto got = read_until_final(*es, "u2");
    auto live = translated_partials(got, "es");
    const auto allowed = static_cast<std::size_t>(std::floor(took.count() + 0.5)) + 1;
    std::printf("burst of %zu partials over %.2f s: %zu translated partials for es (at most %zu)\n",
                sentence.size(), took.count(), live.size(), allowed);
    EXPECT_GE(live.size(), 2u) << "the live line keeps being translated during the burst";
    EXPECT_LE(live.size(), allowed) << "at most one a second";
    for (std::size_t i = 1; i < live.size(); ++i) {
        const auto a = live[i - 1].data["original"].get<std::string>(),
                   b = live[i].data["original"].get<std::string>();
        EXPECT_LT(a.size(), b.size()) << "each for a newer partial";
    }
    // The final comes once, translated, after every partial of its id and with nothing after it.
    ASSERT_FALSE(got.empty());
    std::size_t final_at = got.size();
    for (std::size_t i = 0; i < got.size(); ++i)
        if (!got[i].data.value("partial", false) && got[i].data["id"] == "u2")
            final_at = i;
    ASSERT_LT(final_at, got.size()) << "no final";
    EXPECT_EQ(got[final_at].data["text"], apertium(whole + ".", {"eng-spa"}));
    EXPECT_EQ(final_at, got.size() - 1) << "a partial came after its final: " << got.back().data.dump();
    const auto final_ms = std::chrono::duration<double, std::milli>(got[final_at].at - final_sent).count();
    std::printf("final to the es viewer %.1f ms after it was sent\n", final_ms);
    EXPECT_LT(final_ms, 3000) << "the final waited";

    // English viewers get the partials as before, never a translated one; the plain viewer none.
    auto en_got = read_until_final(*en, "u2", 200ms);
    for (const auto& r : en_got)
        EXPECT_EQ(r.data["lang"], "en") << r.data.dump();
    auto plain_got = read_until_final(*plain, "u2", 200ms);
    for (const auto& r : plain_got)
        EXPECT_FALSE(r.data.value("partial", false)) << r.data.dump();

    auto metrics = http_get(server.port(), "/metrics").body;
    EXPECT_NE(metrics.find("lt_live_translations_total{room=\"main\"} " + std::to_string(live.size() + 1)),
              std::string::npos)
        << metrics;
}

// LT_TRANSLATOR=libretranslate,apertium, where the paid engine (the stand-in) serves Spanish
// and Apertium French: the Spanish live line stays English unless the cache has the words.
TEST(live_line, a_language_with_a_paid_engine_gets_no_translated_partial_except_from_the_cache) {
    fake_service lt("fake_libretranslate.py", {"--languages", "en,es"});
    server_process server({"--translator", "libretranslate,apertium"},
                          {{"API_KEY", key}, {"LIBRETRANSLATE_URL", lt.url()}});
    auto es = live_viewer(server.port(), "es");
    auto fr = live_viewer(server.port(), "fr");
    auto s = speaker(server.port());

    const int calls_at_start = lt.stats()["translate_calls"].get<int>(); // the start probe's
    s->send(text_message("Welcome back.", "f1", false));
    ASSERT_TRUE(s->receive_type("text_ack", 10s));
    ASSERT_TRUE(es->receive_type("translated_text", 10s));
    const int calls_after_final = lt.stats()["translate_calls"].get<int>();
    EXPECT_EQ(calls_after_final, calls_at_start + 1);

    speak_in_partials(*s, {"Please", "take", "your", "seats", "now"}, "u1", 300ms);
    s->send(text_message("Please take your seats now.", "u1", false));
    ASSERT_TRUE(s->receive_type("text_ack", 10s));
    auto es_got = read_until_final(*es, "u1", 500ms);
    auto fr_got = read_until_final(*fr, "u1", 500ms);
    EXPECT_TRUE(translated_partials(es_got, "es").empty()) << "Spanish is the paid engine's";
    auto fr_live = translated_partials(fr_got, "fr");
    ASSERT_FALSE(fr_live.empty()) << "French is Apertium's";
    EXPECT_EQ(fr_live[0].data["engine"], "apertium");
    EXPECT_EQ(lt.stats()["translate_calls"].get<int>(), calls_after_final + 1) << "only the final";

    // Words the cache has (the earlier final, exactly) are shown translated without a call.
    s->send(text_message("Welcome back.", "u2", true));
    s->send(text_message("Welcome back. Today", "u2", true));
    auto cached = next_in(*es, "es");
    ASSERT_TRUE(cached);
    EXPECT_EQ((*cached)["partial"], true);
    EXPECT_EQ((*cached)["engine"], "libretranslate");
    EXPECT_EQ((*cached)["pending"], "Today");
    EXPECT_EQ(lt.stats()["translate_calls"].get<int>(), calls_after_final + 1) << "a cache hit, no call";
}
