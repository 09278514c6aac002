// lt-server --data-dir: finals and translations survive a restart and kill -9; seq counters
// go on where they stopped; a speaker resending a final from before the restart gets its first
// seq back instead of a second caption; /health reports the store.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

using namespace lt::test;
using namespace std::chrono_literals;

namespace {

const std::string key = "durable-key";

std::filesystem::path fresh_dir(const std::string& name) {
    auto d =
        std::filesystem::temp_directory_path() / ("lt_durable_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    return d;
}

json final_text(const std::string& text, const std::string& id) {
    return {
        {"type", "new_text"},
        {"data", {{"text", text}, {"timestamp", "12:00:00"}, {"id", id}, {"lang", "en"}, {"api_key", key}}}};
}

// All finals after `since`, in `lang`, as a page resuming with `since` gets them.
std::vector<json> catch_up(unsigned short port, const std::string& lang, std::size_t n,
                           std::uint64_t since = 0) {
    ws_client v(port);
    v.receive_type("connection_status");
    v.send({{"type", "set_language"}, {"data", {{"lang", lang}, {"since", since}}}});
    return v.collect("translated_text", n, 15s);
}

} // namespace

TEST(durable, history_counters_and_ids_survive_a_restart) {
    const auto dir = fresh_dir("restart");
    const auto port = free_port();
    {
        server_process server({"--data-dir", dir.string()}, {{"API_KEY", key}}, port);
        ws_client es(port);
        es.receive_type("connection_status");
        es.send({{"type", "set_language"}, {"data", {{"lang", "es"}}}});
        ASSERT_TRUE(es.receive_type("language_set"));
        ws_client speaker(port);
        speaker.receive_type("connection_status");
        for (int i = 1; i <= 3; ++i) {
            speaker.send(
                final_text("Good morning number " + std::to_string(i) + ".", "d" + std::to_string(i)));
            auto ack = speaker.receive_type("text_ack", 10s);
            ASSERT_TRUE(ack);
            EXPECT_EQ((*ack)["data"]["seq"], i);
        }
        ASSERT_EQ(es.collect("translated_text", 3, 15s).size(), 3u) << "translated before the restart";
        // Translations are written just after the viewers have them.
        json h;
        for (int i = 0; i < 100; ++i) {
            h = json::parse(http_get(port, "/health").body);
            if (h["storage"]["translations"].get<int>() >= 3)
                break;
            std::this_thread::sleep_for(50ms);
        }
        EXPECT_EQ(h["storage"]["finals"], 3) << h.dump();
        EXPECT_GE(h["storage"]["translations"], 3) << h.dump();
        EXPECT_EQ(h["storage"]["retain_days"], 30);
    }
    server_process server({"--data-dir", dir.string()}, {{"API_KEY", key}}, port);
    auto got = catch_up(port, "es", 3);
    ASSERT_EQ(got.size(), 3u) << server.log();
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(got[i]["data"]["seq"], i + 1);
        EXPECT_EQ(got[i]["data"]["original"], "Good morning number " + std::to_string(i + 1) + ".");
        EXPECT_FALSE(got[i]["data"].contains("error")) << got[i].dump();
    }

    ws_client speaker(port);
    speaker.receive_type("connection_status");
    speaker.send(final_text("Good morning number 2.", "d2"));
    auto ack = speaker.receive_type("text_ack", 10s);
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["data"]["seq"], 2) << "a resent final keeps its first seq across the restart";
    speaker.send(final_text("After the restart.", "d4"));
    ack = speaker.receive_type("text_ack", 10s);
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["data"]["seq"], 4) << "the counter goes on";
    EXPECT_EQ(json::parse(http_get(port, "/health").body)["storage"]["finals"], 4);
    std::filesystem::remove_all(dir);
}

// kill -9 while a speaker is sending as fast as it can: every final it was told was received
// is there after the restart, once, in order.
TEST(durable, every_acknowledged_final_survives_kill_9) {
    const auto dir = fresh_dir("kill");
    const auto port = free_port();
    std::set<std::string> acked;
    std::map<std::string, std::uint64_t> seq_of;
    {
        server_process server({"--data-dir", dir.string()}, {{"API_KEY", key}}, port);
        ws_client speaker(port);
        speaker.receive_type("connection_status");
        for (int i = 0; i < 200; ++i)
            speaker.send(final_text("Caption " + std::to_string(i) + ".", "k" + std::to_string(i)));
        // Kill once some, not all, are acknowledged.
        while (acked.size() < 40) {
            auto ack = speaker.receive_type("text_ack", 10s);
            ASSERT_TRUE(ack) << server.log();
            acked.insert((*ack)["data"]["id"].get<std::string>());
            seq_of[(*ack)["data"]["id"].get<std::string>()] = (*ack)["data"]["seq"].get<std::uint64_t>();
        }
        ::kill(server.pid(), SIGKILL);
        server.stop(SIGKILL, 5s);
    }
    server_process server({"--data-dir", dir.string(), "--history", "500"}, {{"API_KEY", key}}, port);
    auto h = json::parse(http_get(port, "/health").body);
    const auto stored = h["storage"]["finals"].get<std::size_t>();
    EXPECT_GE(stored, acked.size());
    auto got = catch_up(port, "en", stored);
    ASSERT_EQ(got.size(), stored) << server.log();
    std::set<std::string> present;
    std::uint64_t last = 0;
    for (const auto& f : got) {
        EXPECT_GT(f["data"]["seq"].get<std::uint64_t>(), last);
        last = f["data"]["seq"].get<std::uint64_t>();
        EXPECT_TRUE(present.insert(f["data"]["id"].get<std::string>()).second) << "once: " << f.dump();
    }
    for (const auto& id : acked) {
        EXPECT_TRUE(present.count(id)) << id << " was acknowledged but is gone";
    }
    std::filesystem::remove_all(dir);
}

TEST(durable, an_unusable_data_directory_stops_the_start_naming_it) {
    child_process p("apps/lt-server/lt-server",
                    {"--port", "0", "--host", "127.0.0.1", "--data-dir", "/proc/no-such/place"}, {});
    EXPECT_EQ(p.wait(15s), 1);
    EXPECT_NE(p.err().find("/proc/no-such/place"), std::string::npos) << p.err();
    EXPECT_NE(p.err().find("--data-dir"), std::string::npos) << p.err();
}
