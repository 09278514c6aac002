#include "hub/hub.hpp"

#include "test_double.hpp"
#include "translate/translation_service.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <condition_variable>

using namespace lt;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// Records the frames it is given, as a connection's send queue would.
class recorder : public hub::subscriber {
public:
    void deliver(hub::frame_ptr f) override {
        std::lock_guard lock(m_);
        frames_.push_back(json::parse(*f));
        cv_.notify_all();
    }
    // Waits until n frames arrived; returns them.
    std::vector<json> wait_for(std::size_t n, std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock(m_);
        cv_.wait_for(lock, timeout, [&] { return frames_.size() >= n; });
        return frames_;
    }
    std::vector<json> frames() {
        std::lock_guard lock(m_);
        return frames_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    std::vector<json> frames_;
};

hub::text_in final_text(std::string text, std::string id = "") {
    hub::text_in t;
    t.text = std::move(text);
    t.timestamp = "10:00:00";
    t.id = std::move(id);
    return t;
}

struct hub_fixture : ::testing::Test {
    std::shared_ptr<test::tagging_translator> backend = std::make_shared<test::tagging_translator>();
    std::unique_ptr<translate::translation_service> service =
        std::make_unique<translate::translation_service>(backend, translate::service_params{4, 1000, 0});
    std::shared_ptr<hub::hub> hub =
        std::make_shared<hub::hub>(*service, hub::hub_params{.history = 50,
                                                             .catch_up = 20,
                                                             .room = "main",
                                                             .cluster = nullptr,
                                                             .store = nullptr,
                                                             .on_publishing = nullptr});

    std::shared_ptr<recorder> viewer(const std::string& lang, std::optional<std::uint64_t> since = {},
                                     bool partials = false) {
        auto r = std::make_shared<recorder>();
        hub->join(r);
        hub->set_language(r, lang, since, partials);
        return r;
    }
    void TearDown() override { service.reset(); }
};

std::vector<std::string> texts(const std::vector<json>& frames) {
    std::vector<std::string> out;
    for (const auto& f : frames)
        out.push_back(f["data"]["text"]);
    return out;
}

} // namespace

TEST_F(hub_fixture, each_viewer_gets_its_language_once_per_caption) {
    auto es = viewer("es"), es2 = viewer("es"), fr = viewer("fr"), en = viewer("en");
    hub->publish(final_text("hello", "u1"));
    EXPECT_EQ(texts(es->wait_for(1)), std::vector<std::string>{"[es] hello"});
    EXPECT_EQ(texts(es2->wait_for(1)), std::vector<std::string>{"[es] hello"});
    EXPECT_EQ(texts(fr->wait_for(1)), std::vector<std::string>{"[fr] hello"});
    auto e = en->wait_for(1);
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0]["data"]["text"], "hello");
    EXPECT_EQ(e[0]["data"]["seq"], 1);
    EXPECT_EQ(e[0]["data"]["id"], "u1");
    // Two Spanish viewers, one translation; none for English.
    auto calls = backend->calls();
    EXPECT_EQ(std::count(calls.begin(), calls.end(), "en->es:hello"), 1);
    EXPECT_EQ(calls.size(), 2u);
}

TEST_F(hub_fixture, a_slow_language_keeps_order_and_does_not_hold_back_others) {
    auto es = viewer("es"), fr = viewer("fr");
    backend->set_delay("es", 400ms, "one");
    hub->publish(final_text("one"));
    hub->publish(final_text("two"));
    hub->publish(final_text("three"));
    // French is not held back by Spanish's slow first caption.
    auto f = fr->wait_for(3, 300ms);
    EXPECT_EQ(texts(f), (std::vector<std::string>{"[fr] one", "[fr] two", "[fr] three"}));
    EXPECT_LT(es->frames().size(), 1u);
    // Spanish arrives complete and in spoken order.
    EXPECT_EQ(texts(es->wait_for(3)), (std::vector<std::string>{"[es] one", "[es] two", "[es] three"}));
}

TEST_F(hub_fixture, a_failing_language_gets_the_original_with_an_error) {
    auto de = viewer("de"), es = viewer("es");
    backend->set_failing("de");
    hub->publish(final_text("hello"));
    auto d = de->wait_for(1);
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0]["data"]["text"], "hello");
    EXPECT_NE(d[0]["data"]["error"].get<std::string>().find("tagging down"), std::string::npos);
    EXPECT_EQ(texts(es->wait_for(1)), std::vector<std::string>{"[es] hello"});
    EXPECT_EQ(hub->translation_errors.value(), 1u);
}

TEST_F(hub_fixture, late_joiner_gets_the_last_twenty_in_its_language) {
    for (int i = 1; i <= 25; ++i)
        hub->publish(final_text("c" + std::to_string(i)));
    auto late = viewer("fr");
    auto f = late->wait_for(20);
    ASSERT_EQ(f.size(), 20u);
    EXPECT_EQ(f.front()["data"]["text"], "[fr] c6");
    EXPECT_EQ(f.back()["data"]["text"], "[fr] c25");
    for (std::size_t i = 1; i < f.size(); ++i)
        EXPECT_EQ(f[i]["data"]["seq"].get<int>(), f[i - 1]["data"]["seq"].get<int>() + 1);
}

TEST_F(hub_fixture, since_resumes_without_gaps_or_duplicates) {
    auto first = viewer("es");
    for (int i = 1; i <= 5; ++i)
        hub->publish(final_text("c" + std::to_string(i)));
    auto seen = first->wait_for(5);
    ASSERT_EQ(seen.size(), 5u);
    hub->leave(first.get());
    // It was away while 6..8 were spoken.
    for (int i = 6; i <= 8; ++i)
        hub->publish(final_text("c" + std::to_string(i)));
    auto back = viewer("es", seen.back()["data"]["seq"].get<std::uint64_t>());
    hub->publish(final_text("c9"));
    EXPECT_EQ(texts(back->wait_for(4)),
              (std::vector<std::string>{"[es] c6", "[es] c7", "[es] c8", "[es] c9"}));
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(back->frames().size(), 4u);
}

TEST_F(hub_fixture, since_from_another_server_run_is_treated_as_a_new_join) {
    hub->publish(final_text("only"));
    auto v = viewer("es", 999);
    EXPECT_EQ(texts(v->wait_for(1)), std::vector<std::string>{"[es] only"});
}

TEST_F(hub_fixture, captions_during_catch_up_arrive_once_and_in_order) {
    for (int i = 1; i <= 10; ++i)
        hub->publish(final_text("c" + std::to_string(i)));
    backend->set_delay("de", 20ms); // catch-up takes ~200 ms on one pipe... in parallel here
    auto de = viewer("de");
    for (int i = 11; i <= 15; ++i) {
        hub->publish(final_text("c" + std::to_string(i)));
        std::this_thread::sleep_for(5ms);
    }
    auto f = de->wait_for(15);
    ASSERT_EQ(f.size(), 15u);
    for (std::size_t i = 0; i < f.size(); ++i)
        EXPECT_EQ(f[i]["data"]["text"], "[de] c" + std::to_string(i + 1));
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(de->frames().size(), 15u);
}

TEST_F(hub_fixture, partials_go_only_to_viewers_who_asked_untranslated) {
    auto with = viewer("es", std::nullopt, true), without = viewer("es");
    hub::text_in p = final_text("hel", "u1");
    p.partial = true;
    EXPECT_EQ(hub->publish(p), 0u);
    hub->publish(final_text("hello", "u1"));
    auto w = with->wait_for(2);
    ASSERT_EQ(w.size(), 2u);
    EXPECT_EQ(w[0]["data"]["partial"], true);
    EXPECT_EQ(w[0]["data"]["text"], "hel");
    EXPECT_FALSE(w[0]["data"].contains("seq"));
    EXPECT_EQ(w[1]["data"]["text"], "[es] hello");
    EXPECT_EQ(w[1]["data"]["id"], "u1");
    auto wo = without->wait_for(1);
    ASSERT_EQ(wo.size(), 1u);
    EXPECT_EQ(wo[0]["data"]["partial"], false);
    EXPECT_EQ(hub->partials.value(), 1u);
}

namespace {
hub::text_in partial_text(std::string text, std::string id) {
    auto t = final_text(std::move(text), std::move(id));
    t.partial = true;
    return t;
}
std::vector<json> translated_partials(const std::vector<json>& frames, const std::string& lang) {
    std::vector<json> out;
    for (const auto& f : frames)
        if (f["data"]["partial"] == true && f["data"]["lang"] == lang)
            out.push_back(f["data"]);
    return out;
}
} // namespace

TEST_F(hub_fixture, the_settled_words_of_a_partial_reach_viewers_of_a_cheap_language_translated) {
    backend->set_cheap(true);
    auto es = viewer("es", std::nullopt, true), fr = viewer("fr", std::nullopt, true);
    auto en = viewer("en", std::nullopt, true), quiet = viewer("es");
    hub->publish(partial_text("Hello there", "p1"));
    hub->publish(partial_text("Hello there my friend", "p1"));
    for (auto& [v, lang] : {std::pair{es.get(), "es"}, {fr.get(), "fr"}}) {
        auto frames = v->wait_for(3);
        ASSERT_EQ(frames.size(), 3u) << lang;
        EXPECT_EQ(frames[0]["data"]["lang"], "en") << "the source-language partials still come";
        auto t = translated_partials(frames, lang);
        ASSERT_EQ(t.size(), 1u) << lang;
        EXPECT_EQ(t[0]["text"], std::string("[") + lang + "] Hello there");
        EXPECT_EQ(t[0]["pending"], "my friend");
        EXPECT_EQ(t[0]["original"], "Hello there my friend");
        EXPECT_EQ(t[0]["source_lang"], "en");
        EXPECT_EQ(t[0]["engine"], "tagging");
        EXPECT_EQ(t[0]["id"], "p1");
        EXPECT_FALSE(t[0].contains("seq"));
    }
    EXPECT_EQ(en->wait_for(2).size(), 2u);
    hub->publish(final_text("Hello there my friend.", "p1"));
    EXPECT_EQ(quiet->wait_for(1).size(), 1u);
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(en->frames().size(), 3u) << "no translated partial for the source language";
    EXPECT_EQ(quiet->frames().size(), 1u) << "a viewer without partials gets only the final";
    EXPECT_EQ(hub->live_translations.value(), 2u);
}

TEST_F(hub_fixture, a_partial_of_an_engine_that_is_not_cheap_is_translated_only_from_the_cache) {
    hub.reset(); // the fixture's service has no cache
    service = std::make_unique<translate::translation_service>(backend, translate::service_params{4, 1000, 100});
    hub = std::make_shared<hub::hub>(*service);
    auto es = viewer("es", std::nullopt, true);
    hub->publish(final_text("Hello there", "f1"));
    ASSERT_EQ(es->wait_for(1).size(), 1u);
    hub->publish(partial_text("Good morning", "p1"));
    hub->publish(partial_text("Good morning all", "p1"));
    hub->publish(partial_text("Hello there", "p2"));
    hub->publish(partial_text("Hello there again", "p2"));
    auto frames = es->wait_for(6, 500ms);
    auto t = translated_partials(frames, "es");
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0]["text"], "[es] Hello there");
    EXPECT_EQ(t[0]["id"], "p2");
    EXPECT_EQ(backend->calls(), std::vector<std::string>{"en->es:Hello there"}) << "only the final's call";
}

TEST_F(hub_fixture, a_partial_translation_is_dropped_once_its_final_is_published) {
    backend->set_cheap(true);
    backend->set_delay("es", 300ms, "Hello there");
    auto es = viewer("es", std::nullopt, true);
    hub->publish(partial_text("Hello there", "p1"));
    hub->publish(partial_text("Hello there friend", "p1"));
    hub->publish(final_text("Hello there friend.", "p1"));
    auto frames = es->wait_for(3);
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_EQ(frames[2]["data"]["text"], "[es] Hello there friend.");
    for (int i = 0; i < 100 && hub->live_dropped.value() == 0; ++i)
        std::this_thread::sleep_for(20ms);
    EXPECT_EQ(hub->live_dropped.value(), 1u);
    EXPECT_EQ(es->frames().size(), 3u) << "nothing after the final";
    EXPECT_EQ(hub->live_translations.value(), 0u);
}

TEST_F(hub_fixture, a_viewer_that_left_gets_nothing_and_languages_without_viewers_cost_nothing) {
    auto es = viewer("es");
    hub->leave(es.get());
    hub->publish(final_text("hello"));
    std::this_thread::sleep_for(50ms);
    EXPECT_TRUE(es->frames().empty());
    EXPECT_TRUE(backend->calls().empty());
    auto st = hub->snapshot();
    EXPECT_EQ(st.viewer_count, 0u);
    EXPECT_EQ(st.last_seq, 1u);
}

TEST_F(hub_fixture, snapshot_counts_viewers_per_language) {
    auto a = viewer("es"), b = viewer("es"), c = viewer("fr");
    auto st = hub->snapshot();
    EXPECT_EQ(st.viewers["es"], 2u);
    EXPECT_EQ(st.viewers["fr"], 1u);
    EXPECT_EQ(st.viewer_count, 3u);
}

TEST_F(hub_fixture, a_language_without_a_route_gets_the_original_at_once_without_queueing) {
    auto ja = viewer("ja"), es = viewer("es");
    backend->set_delay("es", 300ms);
    hub->publish(final_text("hello"));
    // Japanese does not wait behind Spanish's slow translation in the worker queue.
    auto j = ja->wait_for(1, 150ms);
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["data"]["text"], "hello");
    EXPECT_NE(j[0]["data"]["error"].get<std::string>().find("no translation from en to ja"),
              std::string::npos);
    EXPECT_EQ(hub->untranslatable.value(), 1u);
    EXPECT_EQ(hub->translation_errors.value(), 0u);
    EXPECT_EQ(es->wait_for(1).size(), 1u);
    auto calls = backend->calls();
    EXPECT_EQ(std::count_if(calls.begin(), calls.end(),
                            [](const std::string& c) { return c.find("->ja") != std::string::npos; }),
              0);
}

TEST_F(hub_fixture, a_final_resent_with_the_same_id_is_acknowledged_but_not_published_again) {
    auto es = viewer("es");
    hub::text_in a;
    a.text = "hello";
    a.id = "run-1";
    auto first = hub->publish(a);
    auto again = hub->publish(a);
    EXPECT_EQ(again, first);
    EXPECT_EQ(hub->duplicates.value(), 1u);
    a.id = "run-2";
    a.text = "world";
    EXPECT_EQ(hub->publish(a), first + 1);
    auto got = es->wait_for(2);
    EXPECT_EQ(texts(got), (std::vector<std::string>{"[es] hello", "[es] world"}));
    EXPECT_TRUE(es->wait_for(3, 100ms).size() == 2u);
}

TEST_F(hub_fixture, an_id_that_left_the_history_is_published_again) {
    hub::text_in a;
    a.text = "first";
    a.id = "old";
    auto first = hub->publish(a);
    for (int i = 0; i < 50; ++i)
        hub->publish(final_text("filler"));
    EXPECT_GT(hub->publish(a), first); // history is 50 here; "old" was forgotten
    EXPECT_EQ(hub->duplicates.value(), 0u);
}

// The operator's correction: viewers who had the final get it again in their language, same
// seq, marked corrected; later joiners see only the corrected text; a pending final waits.
TEST_F(hub_fixture, a_correction_is_translated_again_and_replaces_the_caption_for_each_language) {
    auto es = viewer("es"), fr = viewer("fr"), en = viewer("en");
    auto seq = hub->publish(final_text("Doctor Oak afar.", "c1"));
    es->wait_for(1);
    fr->wait_for(1);
    en->wait_for(1);
    auto r = hub->correct(seq, "Doctor Okafor.");
    ASSERT_TRUE(r) << r.error_message();
    for (auto* v : {es.get(), fr.get(), en.get()}) {
        auto frames = v->wait_for(2);
        ASSERT_EQ(frames.size(), 2u);
        EXPECT_EQ(frames[1]["data"]["seq"], seq);
        EXPECT_EQ(frames[1]["data"]["corrected"], true);
        EXPECT_EQ(frames[1]["data"]["original"], "Doctor Okafor.");
    }
    EXPECT_EQ(es->frames()[1]["data"]["text"], "[es] Doctor Okafor.");
    EXPECT_EQ(fr->frames()[1]["data"]["text"], "[fr] Doctor Okafor.");
    EXPECT_FALSE(es->frames()[0]["data"].contains("corrected"));
    auto late = viewer("es", 0);
    auto got = late->wait_for(1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0]["data"]["text"], "[es] Doctor Okafor.");
    EXPECT_FALSE(hub->correct(99, "x"));
    EXPECT_EQ(hub->correct(seq, " ").error_message(), "the corrected text is empty");
}

TEST_F(hub_fixture, a_final_still_being_translated_cannot_be_corrected_yet) {
    backend->set_delay("es", 500ms);
    auto es = viewer("es");
    auto seq = hub->publish(final_text("slow one", "c1"));
    auto r = hub->correct(seq, "fixed");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error_message().find("still being translated"), std::string::npos);
    es->wait_for(1);
    EXPECT_TRUE(hub->correct(seq, "fixed"));
}

TEST_F(hub_fixture, typed_captions_are_marked_and_paused_is_kept) {
    auto es = viewer("es");
    auto t = final_text("The microphone is being fixed.", "op-1");
    t.typed = true;
    hub->publish(t);
    auto f = es->wait_for(1);
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f[0]["data"]["source"], "typed");
    EXPECT_FALSE(hub->paused());
    hub->set_paused(true);
    EXPECT_TRUE(hub->paused());
}
