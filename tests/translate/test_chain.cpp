// Chains of translation engines: routing by language (the real Apertium with a tagging
// engine for the languages Apertium lacks), failover to the next engine on a failure, the
// failed engine left alone until a probe finds it working, and the chain's own errors.
#include "translate/chain.hpp"
#include "translate/make_translator.hpp"
#include "translate/translation_service.hpp"

#include "test_double.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <thread>

using namespace lt;
using namespace std::chrono_literals;
using lt::test::tagging_translator;

namespace {

std::shared_ptr<translate::translator> apertium() {
    translate::translator_options o;
    o.name = "apertium";
    auto t = translate::make_translator(o);
    if (!t)
        throw std::runtime_error(t.error_message());
    return t.value();
}

std::shared_ptr<translate::translator> chain_of(std::vector<std::shared_ptr<translate::translator>> engines,
                                                std::chrono::milliseconds first_probe = 2000ms) {
    translate::chain_options o;
    o.first_probe = first_probe;
    o.max_probe = first_probe * 4;
    auto c = translate::make_chain(std::move(engines), o);
    if (!c)
        throw std::runtime_error(c.error_message());
    return c.value();
}

const translate::engine_health& health_of(const std::vector<translate::engine_health>& all,
                                          const std::string& name) {
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& e) { return e.name == name; });
    if (it == all.end())
        throw std::runtime_error("no engine " + name);
    return *it;
}

} // namespace

TEST(translator_chain, each_language_goes_to_the_first_engine_that_serves_it) {
    auto llm = std::make_shared<tagging_translator>("llm", std::vector<std::string>{"de", "es", "ja"});
    auto c = chain_of({apertium(), llm});
    EXPECT_EQ(c->name(), "apertium,llm");
    auto targets = c->targets("en");
    for (const char* l : {"ca", "de", "es", "fr", "ja"})
        EXPECT_NE(std::find(targets.begin(), targets.end(), l), targets.end()) << l;
    EXPECT_TRUE(std::is_sorted(targets.begin(), targets.end()));

    auto es = c->translate_by_engine("en", "es", "Please switch off your phones.");
    ASSERT_TRUE(es) << es.error_message();
    EXPECT_EQ(es.value().engine, "apertium");
    EXPECT_EQ(es.value().text.find("[es]"), std::string::npos) << es.value().text; // Apertium's Spanish
    auto de = c->translate_by_engine("en", "de", "Good morning.");
    ASSERT_TRUE(de);
    EXPECT_EQ(de.value().engine, "llm");
    EXPECT_EQ(de.value().text, "[de] Good morning.");
    EXPECT_EQ(c->engine_for("en", "es"), "apertium");
    EXPECT_EQ(c->engine_for("en", "ja"), "llm");
    EXPECT_EQ(c->engine_for("en", "ko"), "");
    EXPECT_EQ(llm->calls().size(), 1u) << "Spanish must not reach the second engine";

    auto ko = c->translate_by_engine("en", "ko", "Hello.");
    ASSERT_FALSE(ko);
    EXPECT_EQ(ko.error_message(), "no engine of apertium,llm translates en to ko");
}

TEST(translator_chain, is_cheap_for_a_language_only_when_the_engine_serving_it_is) {
    auto cloud = std::make_shared<tagging_translator>("cloud", std::vector<std::string>{"es", "ja"});
    auto c = chain_of({cloud, apertium()});
    EXPECT_FALSE(c->cheap("en", "es")) << "Spanish goes to the paid engine, though Apertium has it";
    EXPECT_FALSE(c->cheap("en", "ja"));
    EXPECT_TRUE(c->cheap("en", "ca"));
    EXPECT_FALSE(c->cheap("en", "ko"));
    auto es = c->translate_cheaply("en", "es", "Good morning.");
    ASSERT_FALSE(es);
    EXPECT_EQ(es.error_message(), "cloud is not a cheap engine for en to es");
    auto ca = c->translate_cheaply("en", "ca", "Good morning.");
    ASSERT_TRUE(ca) << ca.error_message();
    EXPECT_EQ(ca.value().engine, "apertium");
    EXPECT_TRUE(cloud->calls().empty()) << "no call to the paid engine for a partial";

    // Alone, Apertium is cheap for every pair it has; the tagging engine for none.
    EXPECT_TRUE(apertium()->cheap("en", "es"));
    EXPECT_FALSE(apertium()->cheap("en", "ko"));
    EXPECT_FALSE(cloud->cheap("en", "es"));
}

TEST(translator_chain, a_failing_engine_hands_the_caption_on_and_is_left_alone_until_a_probe_succeeds) {
    auto cloud = std::make_shared<tagging_translator>("cloud", std::vector<std::string>{"es", "fr"});
    auto local = std::make_shared<tagging_translator>("local", std::vector<std::string>{"es", "fr"});
    auto c = chain_of({cloud, local}, 300ms);

    auto r = c->translate_by_engine("en", "es", "one");
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value().engine, "cloud");

    cloud->set_failing("es");
    cloud->set_failing("fr");
    r = c->translate_by_engine("en", "es", "two");
    ASSERT_TRUE(r) << r.error_message();
    EXPECT_EQ(r.value().engine, "local");
    EXPECT_EQ(r.value().text, "[es] two");
    auto h = c->engines();
    EXPECT_FALSE(health_of(h, "cloud").healthy);
    EXPECT_EQ(health_of(h, "cloud").state, "cloud down for es");
    EXPECT_EQ(health_of(h, "cloud").failures, 1u);
    EXPECT_EQ(health_of(h, "cloud").failovers, 1u);
    EXPECT_TRUE(health_of(h, "local").healthy);
    EXPECT_EQ(c->engine_for("en", "es"), "local");
    EXPECT_NE(c->state().find("cloud unhealthy: cloud down for es"), std::string::npos) << c->state();

    // While cloud is unhealthy, captions go straight to local: no waiting on the dead engine.
    const auto cloud_calls = cloud->calls().size();
    for (int i = 0; i < 5; ++i) {
        r = c->translate_by_engine("en", "fr", "more " + std::to_string(i));
        ASSERT_TRUE(r);
        EXPECT_EQ(r.value().engine, "local");
    }
    std::this_thread::sleep_for(100ms);
    EXPECT_LE(cloud->calls().size(), cloud_calls + 1) << "only a probe may reach it";

    // It comes back: a probe (after 300 ms, then 600 ms, ...) finds it and it takes over again.
    cloud->set_failing("es", false);
    cloud->set_failing("fr", false);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!health_of(c->engines(), "cloud").healthy && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    ASSERT_TRUE(health_of(c->engines(), "cloud").healthy);
    r = c->translate_by_engine("en", "es", "three");
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value().engine, "cloud");
    EXPECT_EQ(c->state(), "ok");
}

// The probe asks the pair that failed, so an engine without English (here es->fr only) is not
// declared healthy by a probe it cannot answer, nor left out forever.
TEST(translator_chain, the_probe_asks_the_language_pair_that_failed) {
    auto a = std::make_shared<tagging_translator>("a", std::vector<std::string>{"fr"});
    auto b = std::make_shared<tagging_translator>("b", std::vector<std::string>{"fr"});
    auto c = chain_of({a, b}, 200ms);
    a->set_failing("fr");
    auto r = c->translate_by_engine("es", "fr", "uno");
    ASSERT_TRUE(r);
    EXPECT_EQ(r.value().engine, "b");
    std::this_thread::sleep_for(500ms);
    EXPECT_FALSE(health_of(c->engines(), "a").healthy) << "still failing: probes must not pass";
    auto calls = a->calls();
    ASSERT_GE(calls.size(), 2u);
    EXPECT_EQ(calls.back().substr(0, 7), "es->fr:") << calls.back();
    a->set_failing("fr", false);
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!health_of(c->engines(), "a").healthy && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    EXPECT_TRUE(health_of(c->engines(), "a").healthy);
}

TEST(translator_chain, when_every_engine_fails_the_error_names_each) {
    auto a = std::make_shared<tagging_translator>("a", std::vector<std::string>{"es"});
    auto b = std::make_shared<tagging_translator>("b", std::vector<std::string>{"es"});
    a->set_failing("es");
    b->set_failing("es");
    auto c = chain_of({a, b});
    auto r = c->translate_by_engine("en", "es", "x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error_message(), "a down for es; b down for es");
    EXPECT_FALSE(c->available());
    // Both unhealthy: a caption is still tried (someone has to), starting with the first.
    a->set_failing("es", false);
    r = c->translate_by_engine("en", "es", "y");
    ASSERT_TRUE(r) << r.error_message();
    EXPECT_EQ(r.value().engine, "a");
}

TEST(translator_chain, the_service_caches_and_counts_by_the_engine_that_answered) {
    auto a = std::make_shared<tagging_translator>("a", std::vector<std::string>{"es"});
    auto b = std::make_shared<tagging_translator>("b", std::vector<std::string>{"es", "fr"});
    translate::translation_service s(chain_of({a, b}), {2, 100, 100});
    std::promise<std::string> p1, p2;
    s.submit("en", "es", "hi",
             [&](core::result<translate::translation> r) { p1.set_value(r.value().engine); });
    s.submit("en", "fr", "hi",
             [&](core::result<translate::translation> r) { p2.set_value(r.value().engine); });
    EXPECT_EQ(p1.get_future().get(), "a");
    EXPECT_EQ(p2.get_future().get(), "b");
    std::promise<std::string> p3;
    s.submit("en", "es", "hi",
             [&](core::result<translate::translation> r) { p3.set_value(r.value().engine); });
    EXPECT_EQ(p3.get_future().get(), "a") << "a cached translation keeps its engine";
    auto made = s.made();
    EXPECT_EQ((made[{"a", "es"}]), 1u);
    EXPECT_EQ((made[{"b", "fr"}]), 1u);
}

TEST(translator_chain, bad_chains_are_clear_errors) {
    translate::translator_options o;
    for (const auto& [name, why] : std::vector<std::pair<std::string, std::string>>{
             {"apertium,apertium", "'apertium' is listed twice"},
             {"apertium,auto", "'auto' cannot be part of a chain"},
             {"apertium,", "an empty name cannot be part of a chain"},
             {"apertium,bogus", "unknown translator 'bogus'"}}) {
        o.name = name;
        auto t = translate::make_translator(o);
        ASSERT_FALSE(t) << name;
        EXPECT_NE(t.error_message().find(why), std::string::npos) << t.error_message();
        EXPECT_NE(t.error_message().find("translator chain"), std::string::npos) << t.error_message();
    }
}
