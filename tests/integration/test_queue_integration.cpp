// The translation queue under abuse and at shutdown, against tools/fake_libretranslate.py with
// an injected delay (a slow engine): request_translation floods must not delay captions, its
// budgets refuse with rate_limited, --on-demand-translation decides who may use it, and SIGTERM
// drops queued translations instead of finishing them.
#include "harness.hpp"
#include "redis_server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <thread>

#include <unistd.h>

using namespace lt::test;

namespace {

const std::string key = "speaker-key";

using fake_mt = fake_service;

// lt-server on the fake with a key; `extra` adds to (or overrides) the environment.
std::map<std::string, std::string> server_env(const fake_mt& f,
                                              std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env{
        {"API_KEY", key}, {"LT_TRANSLATOR", "libretranslate"}, {"LIBRETRANSLATE_URL", f.url()}};
    for (auto& [k, v] : extra)
        env[k] = v;
    return env;
}

json new_text(const std::string& text, const std::string& id) {
    return {
        {"type", "new_text"},
        {"data", {{"text", text}, {"timestamp", "12:00:00"}, {"id", id}, {"lang", "en"}, {"api_key", key}}}};
}

json request(const std::string& text, const std::string& lang, const std::string& api_key = "") {
    json d{{"text", text}, {"lang", lang}};
    if (!api_key.empty())
        d["api_key"] = api_key;
    return {{"type", "request_translation"}, {"data", d}};
}

} // namespace

// Issue 13, defect 2: 40 connections, each within the per-connection message rate, flooding
// request_translation filled the shared queue, and a Spanish viewer got 37 of 137 captions, up
// to 49 s late. Measured before the fix with this test (4 workers, 100 ms engine): no caption
// within 5 s; with the waits raised to 40 s, one of ten arrived and the next did not. After:
// every caption within about one engine call (0.1 s); the bound is 2 s.
TEST(on_demand, a_request_translation_flood_does_not_delay_captions) {
    fake_mt lt("fake_libretranslate.py", {});
    server_process server({"--translate-workers", "4"},
                          server_env(lt, {{"LT_ON_DEMAND_TRANSLATION", "any"}}));
    auto es = viewer(server.port(), "es");
    lt.configure({{"delay_ms", 100}}); // 4 workers: 40 translations a second at most

    std::vector<std::unique_ptr<ws_client>> flooders;
    for (int i = 0; i < 40; ++i) {
        flooders.push_back(std::make_unique<ws_client>(server.port()));
        ASSERT_TRUE(flooders.back()->receive_type("connection_status"));
    }
    // 15 requests a second each (the limit is 20): 600 a second, 15 times what the engine does.
    std::atomic<bool> flooding{true};
    std::thread flood([&] {
        auto end = std::chrono::steady_clock::now() + 12s; // bounded even if the test fails early
        for (int round = 0; flooding && std::chrono::steady_clock::now() < end; ++round) {
            for (std::size_t c = 0; c < flooders.size(); ++c)
                flooders[c]->send(request("flood " + std::to_string(c) + " " + std::to_string(round), "fr"));
            std::this_thread::sleep_for(66ms);
        }
    });
    std::this_thread::sleep_for(1s);

    ws_client speaker(server.port());
    ASSERT_TRUE(speaker.receive_type("connection_status"));
    const int captions = 10;
    std::vector<double> late;
    for (int i = 0; i < captions; ++i) {
        auto id = "c" + std::to_string(i);
        auto sent = std::chrono::steady_clock::now();
        speaker.send(new_text("Good morning number " + std::to_string(i), id));
        auto got = es->receive_type("translated_text", 5s);
        if (!got)
            break;
        late.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count());
        EXPECT_EQ((*got)["data"]["id"], id);
        EXPECT_FALSE((*got)["data"].contains("error")) << got->dump();
        std::this_thread::sleep_for(300ms);
    }
    flooding = false;
    flood.join();
    ASSERT_EQ(late.size(), std::size_t(captions)) << "captions that reached the Spanish viewer in time";
    std::cout << "caption latency under the flood, slowest: " << *std::max_element(late.begin(), late.end())
              << " s\n";
    for (std::size_t i = 0; i < late.size(); ++i)
        EXPECT_LT(late[i], 2.0) << "caption " << i << " took " << late[i] << " s";
    // The flood was refused, not queued without end.
    auto refused = flooders.front()->collect("error", 1, 2s);
    ASSERT_FALSE(refused.empty());
    EXPECT_EQ(refused.front()["data"]["code"], "rate_limited") << refused.front().dump();
    EXPECT_GT(metric(server.port(), "lt_on_demand_rejected_total") +
                  metric(server.port(), "lt_rate_limited_total"),
              0);
}

TEST(on_demand, by_default_only_the_speaker_key_may_ask_and_each_connection_has_a_budget) {
    fake_mt lt("fake_libretranslate.py", {});
    server_process server({}, server_env(lt));
    {
        ws_client stranger(server.port());
        ASSERT_TRUE(stranger.receive_type("connection_status"));
        stranger.send(request("Good morning", "es"));
        auto e = stranger.receive_type("error");
        ASSERT_TRUE(e);
        EXPECT_EQ((*e)["data"]["code"], "unauthorized") << e->dump();
        EXPECT_NE((*e)["data"]["message"].get<std::string>().find("api_key"), std::string::npos) << e->dump();
    }
    lt.configure({{"delay_ms", 400}});
    ws_client keyed(server.port());
    ASSERT_TRUE(keyed.receive_type("connection_status"));
    for (int i = 0; i < 5; ++i)
        keyed.send(request("Good morning " + std::to_string(i), "es", key));
    // Two may wait at once (--on-demand-per-client 2); the other three are refused at once.
    auto refused = keyed.collect("error", 3, 5s);
    ASSERT_EQ(refused.size(), 3u);
    for (const auto& e : refused)
        EXPECT_EQ(e["data"]["code"], "rate_limited") << e.dump();
    auto answers = keyed.collect("translation_result", 2, 10s);
    ASSERT_EQ(answers.size(), 2u);
    EXPECT_EQ(answers[0]["data"]["translated"], "[es] Buenos días 0") << answers[0].dump();
    // Answered: the budget is free again.
    keyed.send(request("Good morning", "es", key));
    auto again = keyed.receive_type("translation_result", 10s);
    ASSERT_TRUE(again);
    EXPECT_EQ((*again)["data"]["translated"], "[es] Buenos días");
}

TEST(on_demand, off_refuses_everyone_and_any_lets_strangers_ask) {
    fake_mt lt("fake_libretranslate.py", {});
    {
        server_process server({"--on-demand-translation", "off"}, server_env(lt));
        ws_client keyed(server.port());
        ASSERT_TRUE(keyed.receive_type("connection_status"));
        keyed.send(request("Good morning", "es", key));
        auto e = keyed.receive_type("error");
        ASSERT_TRUE(e);
        EXPECT_EQ((*e)["data"]["code"], "not_configured") << e->dump();
    }
    server_process server({"--on-demand-translation", "any"}, server_env(lt));
    ws_client stranger(server.port());
    ASSERT_TRUE(stranger.receive_type("connection_status"));
    stranger.send(request("Good morning", "es"));
    auto r = stranger.receive_type("translation_result", 10s);
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)["data"]["translated"], "[es] Buenos días");
}

// Issue 13, defect 5: with 5,185 translations queued, SIGTERM logged "stopped" at once but the
// process exited 96.5 s later, after every job (systemd kills it at 20 s). Measured before the
// fix (this test): still running at the 10 s bound, killed.
TEST(shutdown, sigterm_with_thousands_of_translations_queued_exits_within_seconds) {
    fake_mt lt("fake_libretranslate.py", {});
    server_process server({"--translate-workers", "2", "--speaker-rate", "2000"}, server_env(lt));
    std::vector<std::unique_ptr<ws_client>> viewers;
    for (const char* lang : {"es", "fr", "de", "it", "pt", "nl", "ja", "zh"})
        viewers.push_back(viewer(server.port(), lang));
    lt.configure({{"delay_ms", 200}});
    ws_client speaker(server.port());
    ASSERT_TRUE(speaker.receive_type("connection_status"));
    const int captions = 400; // eight languages: 3,200 translations, 320 s of engine time
    for (int i = 0; i < captions; ++i)
        speaker.send(new_text("Caption number " + std::to_string(i), "c" + std::to_string(i)));
    ASSERT_EQ(speaker.collect("text_ack", captions, 20s).size(), std::size_t(captions));
    double queued = metric(server.port(), "lt_translation_queue");
    ASSERT_GT(queued, 2000) << "the queue should hold thousands of jobs";

    auto start = std::chrono::steady_clock::now();
    int status = server.stop(SIGTERM, 10s);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_NE(status, -1) << "still running 10 s after SIGTERM\n" << server.log();
    EXPECT_EQ(status, 0) << server.log();
    EXPECT_LT(took, 8.0);
    std::cout << "exited " << took << " s after SIGTERM with " << queued << " translations queued\n";
    std::smatch m;
    auto log = server.log();
    ASSERT_TRUE(std::regex_search(log, m, std::regex("dropped ([0-9]+) queued translations"))) << log;
    EXPECT_GT(std::stoi(m[1]), 2000) << log;
}

// The same in a cluster: a final is shared with the other nodes (and Redis's history) once all
// its languages are translated. Dropped translations must not keep acknowledged finals from
// the cluster. Before the fix none of the three reached the other node.
TEST(shutdown, in_a_cluster_finals_whose_translations_were_dropped_still_reach_the_other_nodes) {
    redis_server redis;
    fake_mt lt("fake_libretranslate.py", {});
    server_process a({"--redis", redis.url(), "--translate-workers", "1"}, server_env(lt));
    server_process b({"--redis", redis.url(), "--translator", "none"}, {{"API_KEY", key}});
    auto on_a = viewer(a.port(), "es");
    auto on_b = viewer(b.port(), "es");
    lt.configure({{"delay_ms", 3000}}); // the first is at the engine, the others queued
    ws_client speaker(a.port());
    ASSERT_TRUE(speaker.receive_type("connection_status"));
    for (int i = 0; i < 3; ++i) {
        speaker.send(new_text("Caption number " + std::to_string(i), "c" + std::to_string(i)));
        ASSERT_TRUE(speaker.receive_type("text_ack", 5s)) << i;
    }
    // The ack comes before a worker takes the job: wait until the first is at the engine.
    auto at_engine = [&] { return lt.stats()["by_target"].value("es", 0) >= 1; };
    for (auto until = std::chrono::steady_clock::now() + 10s;
         !at_engine() && std::chrono::steady_clock::now() < until;)
        std::this_thread::sleep_for(20ms);
    ASSERT_TRUE(at_engine()) << lt.stats().dump();
    int status = a.stop(SIGTERM, 10s);
    ASSERT_EQ(status, 0) << a.log();
    EXPECT_NE(a.log().find("dropped 2 queued translations"), std::string::npos) << a.log();
    auto got = on_b->collect("translated_text", 3, 10s);
    ASSERT_EQ(got.size(), 3u) << "finals node b received from node a";
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(got[i]["data"]["original"], "Caption number " + std::to_string(i)) << got[i].dump();
}
