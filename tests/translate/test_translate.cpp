#include "translate/translation_service.hpp"

#include "test_double.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <string_view>

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

namespace {
// Holds every call until open(); records the texts in the order the calls began.
class gated_translator : public translate::translator {
public:
    explicit gated_translator(bool cheap = false) : cheap_(cheap) {}
    std::string name() const override { return "gated"; }
    bool cheap(std::string_view, std::string_view target) const override { return cheap_ && target == "es"; }
    std::vector<std::string> targets(std::string_view) const override { return {"es"}; }
    core::result<std::string> translate(std::string_view, std::string_view target,
                                        std::string_view text) override {
        std::unique_lock lock(mutex_);
        order_.emplace_back(text);
        cv_.notify_all();
        cv_.wait(lock, [this] { return open_; });
        return "[" + std::string(target) + "] " + std::string(text);
    }
    void open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        cv_.notify_all();
    }
    // Waits until `n` calls have begun.
    bool entered(std::size_t n) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, 5s, [&] { return order_.size() >= n; });
    }
    std::vector<std::string> order() {
        std::lock_guard lock(mutex_);
        return order_;
    }

private:
    const bool cheap_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool open_ = false;
    std::vector<std::string> order_;
};

// Counts callbacks; wait_for(n) blocks until n have run.
struct counter {
    std::mutex m;
    std::condition_variable cv;
    int n = 0;
    translate::translation_service::callback cb() {
        return [this](core::result<translate::translation>) {
            std::lock_guard lock(m);
            ++n;
            cv.notify_all();
        };
    }
    bool wait_for(int want) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, 5s, [&] { return n >= want; });
    }
};
} // namespace

TEST(translation_service, stop_drops_queued_jobs_and_lets_the_running_one_finish) {
    auto backend = std::make_shared<gated_translator>();
    counter done;
    {
        translate::translation_service s(backend, {1, 100, 0});
        ASSERT_TRUE(s.submit("en", "es", "running", done.cb()));
        ASSERT_TRUE(backend->entered(1));
        for (int i = 0; i < 10; ++i)
            ASSERT_TRUE(s.submit("en", "es", std::to_string(i), done.cb()));
        ASSERT_TRUE(s.submit_on_demand("en", "es", "asked", done.cb()));
        EXPECT_EQ(s.stop(), 11u);
        EXPECT_FALSE(s.submit("en", "es", "late", done.cb())) << "stopped: no new work";
        EXPECT_EQ(s.stop(), 0u);
        backend->open();
    }
    EXPECT_EQ(done.n, 1) << "only the job that was running";
    EXPECT_EQ(backend->order(), std::vector<std::string>{"running"});
}

TEST(translation_service, captions_go_ahead_of_on_demand_requests) {
    auto backend = std::make_shared<gated_translator>();
    translate::translation_service s(backend, {1, 100, 0});
    counter done;
    ASSERT_TRUE(s.submit("en", "es", "caption 1", done.cb()));
    ASSERT_TRUE(backend->entered(1));
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(s.submit_on_demand("en", "es", "asked " + std::to_string(i), done.cb()));
    ASSERT_TRUE(s.submit("en", "es", "caption 2", done.cb()));
    backend->open();
    ASSERT_TRUE(done.wait_for(5));
    EXPECT_EQ(backend->order(),
              (std::vector<std::string>{"caption 1", "caption 2", "asked 0", "asked 1", "asked 2"}));
}

TEST(translation_service, on_demand_jobs_take_only_their_share_of_the_workers) {
    auto backend = std::make_shared<gated_translator>();
    // Four workers, one of them at most for on-demand jobs (the default: a quarter).
    translate::translation_service s(backend, {4, 100, 0});
    counter done;
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(s.submit_on_demand("en", "es", "asked " + std::to_string(i), done.cb()));
    ASSERT_TRUE(backend->entered(1));
    ASSERT_TRUE(s.submit("en", "es", "caption", done.cb()));
    ASSERT_TRUE(backend->entered(2)) << "a caption finds a free worker";
    EXPECT_EQ(backend->order().back(), "caption");
    EXPECT_EQ(s.on_demand_queued(), 2u) << "the other two wait for the on-demand worker";
    backend->open();
    ASSERT_TRUE(done.wait_for(4));
}

TEST(translation_service, the_on_demand_queue_is_bounded_on_its_own) {
    auto backend = std::make_shared<gated_translator>();
    translate::translation_service s(backend, {1, 100, 0, 2});
    counter done;
    ASSERT_TRUE(s.submit("en", "es", "caption", done.cb()));
    ASSERT_TRUE(backend->entered(1));
    EXPECT_TRUE(s.submit_on_demand("en", "es", "a", done.cb()));
    EXPECT_TRUE(s.submit_on_demand("en", "es", "b", done.cb()));
    EXPECT_FALSE(s.submit_on_demand("en", "es", "c", done.cb()));
    EXPECT_EQ(s.on_demand_rejected(), 1u);
    EXPECT_EQ(s.rejected(), 0u);
    EXPECT_TRUE(s.submit("en", "es", "caption 2", done.cb())) << "captions have their own queue";
    backend->open();
    ASSERT_TRUE(done.wait_for(4));
}

namespace {
// Records one partial's result.
struct partial_result {
    std::promise<core::result<translate::translation>> p;
    translate::translation_service::callback cb() {
        return [this](core::result<translate::translation> r) { p.set_value(std::move(r)); };
    }
    core::result<translate::translation> get() {
        auto f = p.get_future();
        EXPECT_EQ(f.wait_for(5s), std::future_status::ready);
        return f.get();
    }
};
auto always = [] { return true; };
} // namespace

TEST(translation_service, partials_wait_behind_every_caption) {
    auto backend = std::make_shared<gated_translator>(true);
    translate::translation_service s(backend, {1, 100, 0});
    counter done;
    ASSERT_TRUE(s.submit("en", "es", "caption 1", done.cb()));
    ASSERT_TRUE(backend->entered(1));
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(s.submit_partial("en", "es", "partial " + std::to_string(i), done.cb(), always));
    ASSERT_TRUE(s.submit("en", "es", "caption 2", done.cb()));
    backend->open();
    ASSERT_TRUE(done.wait_for(5));
    EXPECT_EQ(backend->order(),
              (std::vector<std::string>{"caption 1", "caption 2", "partial 0", "partial 1", "partial 2"}));
    EXPECT_EQ(s.partials_translated(), 3u);
}

TEST(translation_service, one_partial_runs_at_a_time) {
    auto backend = std::make_shared<gated_translator>(true);
    translate::translation_service s(backend, {4, 100, 0});
    counter done;
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(s.submit_partial("en", "es", "partial " + std::to_string(i), done.cb(), always));
    ASSERT_TRUE(backend->entered(1));
    ASSERT_TRUE(s.submit("en", "es", "caption", done.cb()));
    ASSERT_TRUE(backend->entered(2)) << "a caption finds a free worker";
    EXPECT_EQ(backend->order(), (std::vector<std::string>{"partial 0", "caption"}));
    backend->open();
    ASSERT_TRUE(done.wait_for(4));
}

TEST(translation_service, a_partial_uses_only_the_cache_or_a_cheap_engine_and_is_not_cached) {
    auto backend = std::make_shared<test::tagging_translator>(); // not cheap
    translate::translation_service s(backend);
    ASSERT_TRUE(run(s, "en", "es", "Hello there"));
    partial_result hit, expensive;
    ASSERT_TRUE(s.submit_partial("en", "es", "Hello there", hit.cb(), always));
    auto h = hit.get();
    ASSERT_TRUE(h) << h.error_message();
    EXPECT_EQ(h.value().text, "[es] Hello there");
    EXPECT_EQ(h.value().engine, "tagging");
    ASSERT_TRUE(s.submit_partial("en", "es", "Hello there my", expensive.cb(), always));
    auto e = expensive.get();
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error_message(), "tagging is not a cheap engine for en to es");
    EXPECT_EQ(backend->calls().size(), 1u) << "only the caption reached the engine";
    EXPECT_EQ(s.partials_translated(), 0u);
    EXPECT_FALSE(s.cached("en", "es", "Hello there my"));
    EXPECT_EQ(s.cached("en", "es", "Hello there")->text, "[es] Hello there");

    auto cheap = std::make_shared<gated_translator>(true);
    cheap->open();
    translate::translation_service c(cheap);
    partial_result made;
    ASSERT_TRUE(c.submit_partial("en", "es", "live words", made.cb(), always));
    EXPECT_EQ(made.get().value().text, "[es] live words");
    EXPECT_FALSE(c.cached("en", "es", "live words")) << "partials stay out of the cache";
    EXPECT_EQ(c.cache_hits() + c.cache_misses(), 0u) << "the look did not count";
}

TEST(translation_service, a_partial_no_longer_wanted_when_its_turn_comes_is_not_translated) {
    auto backend = std::make_shared<gated_translator>(true);
    translate::translation_service s(backend, {1, 100, 0});
    counter done;
    ASSERT_TRUE(s.submit("en", "es", "caption", done.cb()));
    ASSERT_TRUE(backend->entered(1));
    std::atomic<bool> wanted{true};
    partial_result late;
    ASSERT_TRUE(s.submit_partial("en", "es", "superseded", late.cb(), [&] { return wanted.load(); }));
    wanted = false; // its final came
    backend->open();
    auto r = late.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error_message(), "superseded by its final");
    EXPECT_EQ(backend->order(), std::vector<std::string>{"caption"});
}

TEST(translation_service, the_partial_queue_is_bounded_on_its_own) {
    auto backend = std::make_shared<gated_translator>(true);
    translate::service_params p{1, 100, 0};
    p.partial_limit = 1;
    translate::translation_service s(backend, p);
    counter done;
    ASSERT_TRUE(s.submit("en", "es", "caption", done.cb()));
    ASSERT_TRUE(backend->entered(1));
    EXPECT_TRUE(s.submit_partial("en", "es", "a", done.cb(), always));
    EXPECT_FALSE(s.submit_partial("en", "es", "b", done.cb(), always));
    EXPECT_EQ(s.stop(), 0u) << "a dropped partial is not counted as a lost translation";
    backend->open();
    ASSERT_TRUE(done.wait_for(1));
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
