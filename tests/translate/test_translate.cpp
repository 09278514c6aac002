#include "translate/translation_service.hpp"

#include "test_double.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>

using namespace lt;
using namespace std::chrono_literals;

namespace {
core::result<std::string> run(translate::translation_service& s, std::string src, std::string dst,
                              std::string text) {
    std::promise<core::result<std::string>> p;
    auto f = p.get_future();
    EXPECT_TRUE(s.submit(src, dst, text, [&p](core::result<translate::translation> r) {
        p.set_value(r ? core::result<std::string>(std::move(r.value().text))
                      : core::result<std::string>(core::make_error(r.error_message())));
    }));
    EXPECT_EQ(f.wait_for(5s), std::future_status::ready);
    return f.get();
}
} // namespace

TEST(translation_service, translates_and_caches_by_source_target_text) {
    auto backend = std::make_shared<test::tagging_translator>();
    translate::translation_service s(backend, {2, 100, 100});
    EXPECT_EQ(run(s, "en", "es", "hello").value(), "[es] hello");
    EXPECT_EQ(run(s, "en", "es", "hello").value(), "[es] hello");
    EXPECT_EQ(run(s, "en", "fr", "hello").value(), "[fr] hello");
    EXPECT_EQ(backend->calls().size(), 2u); // the second es call came from the cache
    EXPECT_EQ(s.cache_hits(), 1u);
    EXPECT_EQ(s.latency().count(), 2u);
}

TEST(translation_service, same_language_passes_through_without_backend) {
    auto backend = std::make_shared<test::tagging_translator>();
    translate::translation_service s(backend);
    EXPECT_EQ(run(s, "en", "en", "hello").value(), "hello");
    EXPECT_TRUE(backend->calls().empty());
}

TEST(translation_service, failures_are_reported_not_cached) {
    auto backend = std::make_shared<test::tagging_translator>();
    backend->set_failing("de");
    translate::translation_service s(backend);
    auto r = run(s, "en", "de", "hello");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error_message().find("tagging down"), std::string::npos);
    (void)run(s, "en", "de", "hello");
    EXPECT_EQ(backend->calls().size(), 2u);
    EXPECT_EQ(s.failures(), 2u);
}

TEST(translation_service, languages_run_in_parallel) {
    auto backend = std::make_shared<test::tagging_translator>();
    for (auto l : {"es", "fr", "de"})
        backend->set_delay(l, 300ms);
    translate::translation_service s(backend, {3, 100, 0});
    std::atomic<int> done{0};
    std::promise<void> all;
    auto start = std::chrono::steady_clock::now();
    for (auto l : {"es", "fr", "de"})
        ASSERT_TRUE(s.submit("en", l, "x", [&](core::result<translate::translation>) {
            if (++done == 3)
                all.set_value();
        }));
    ASSERT_EQ(all.get_future().wait_for(5s), std::future_status::ready);
    // Three 300 ms calls one after another would take 900 ms.
    EXPECT_LT(std::chrono::steady_clock::now() - start, 800ms);
}

TEST(translation_service, full_queue_refuses_and_counts) {
    auto backend = std::make_shared<test::tagging_translator>();
    backend->set_delay("es", 200ms);
    translate::translation_service s(backend, {1, 2, 0});
    std::atomic<int> done{0};
    int accepted = 0;
    for (int i = 0; i < 6; ++i)
        accepted +=
            s.submit("en", "es", std::to_string(i), [&](core::result<translate::translation>) { ++done; });
    EXPECT_LT(accepted, 6);
    EXPECT_GE(s.rejected(), 1u);
    EXPECT_EQ(static_cast<std::uint64_t>(accepted) + s.rejected(), 6u);
}

TEST(translation_service, destructor_finishes_queued_jobs) {
    auto backend = std::make_shared<test::tagging_translator>();
    std::atomic<int> done{0};
    {
        translate::translation_service s(backend, {1, 100, 0});
        for (int i = 0; i < 10; ++i)
            s.submit("en", "es", std::to_string(i), [&](core::result<translate::translation>) { ++done; });
    }
    EXPECT_EQ(done.load(), 10);
}

TEST(none_translator, provides_nothing_and_says_why) {
    auto t = translate::make_none_translator();
    EXPECT_EQ(t->name(), "none");
    EXPECT_TRUE(t->targets("en").empty());
    auto r = t->translate("en", "es", "hi");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error_message().find("no translation backend"), std::string::npos);
}

TEST(translation_service, supports_follows_the_backend_routes) {
    auto backend = std::make_shared<test::tagging_translator>();
    translate::translation_service s(backend);
    EXPECT_TRUE(s.supports("en", "es"));
    EXPECT_TRUE(s.supports("en", "en"));
    EXPECT_FALSE(s.supports("en", "ja"));
}
