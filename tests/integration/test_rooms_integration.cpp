// Rooms on one lt-server: isolation, per-room keys, the room page and its QR code, and
// per-room health and metrics. Real binary, real WebSocket and HTTP clients over loopback.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace lt::test;

namespace {

const std::string global_key = "global-key";

json new_text(const std::string& text, const std::string& id, const std::optional<std::string>& key) {
    json d{{"text", text}, {"timestamp", "12:00:00"}, {"id", id}};
    if (key)
        d["api_key"] = *key;
    return {{"type", "new_text"}, {"data", d}};
}

std::unique_ptr<ws_client> in_room(unsigned short port, const std::string& room,
                                   const std::string& lang = "en") {
    ws_client::options o;
    o.target = "/ws?room=" + room;
    auto c = std::make_unique<ws_client>(port, o);
    auto status = c->receive_type("connection_status");
    EXPECT_TRUE(status);
    if (status) {
        EXPECT_EQ((*status)["data"]["room"], room);
    }
    c->send({{"type", "set_language"}, {"data", {{"lang", lang}}}});
    EXPECT_TRUE(c->receive_type("language_set"));
    return c;
}

// What a speaker gets back for one caption: "ack" or the error code.
std::string publish(unsigned short port, const std::string& room, const std::string& text,
                    const std::optional<std::string>& key) {
    ws_client::options o;
    o.target = "/ws?room=" + room;
    ws_client speaker(port, o);
    speaker.receive_type("connection_status");
    speaker.send(new_text(text, "id-" + text, key));
    for (int i = 0; i < 5; ++i) {
        auto f = speaker.receive(5s);
        if (!f)
            return "timeout";
        if ((*f)["type"] == "text_ack")
            return "ack";
        if ((*f)["type"] == "error")
            return (*f)["data"]["code"];
    }
    return "nothing";
}

} // namespace

TEST(rooms, captions_stay_in_their_room_and_main_is_the_default) {
    server_process server({"--translator", "none"}, {{"API_KEY", global_key}});
    auto a = in_room(server.port(), "hall-a");
    auto b = in_room(server.port(), "hall-b");
    auto main_viewer = std::make_unique<ws_client>(server.port()); // no room: main
    auto status = main_viewer->receive_type("connection_status");
    ASSERT_TRUE(status);
    EXPECT_EQ((*status)["data"]["room"], "main");

    EXPECT_EQ(publish(server.port(), "hall-a", "only-a", global_key), "ack");
    EXPECT_EQ(publish(server.port(), "hall-b", "only-b", global_key), "ack");
    auto got_a = a->receive_type("translated_text");
    ASSERT_TRUE(got_a);
    EXPECT_EQ((*got_a)["data"]["text"], "only-a");
    EXPECT_EQ((*got_a)["data"]["seq"], 1) << "each room numbers its own captions";
    auto got_b = b->receive_type("translated_text");
    ASSERT_TRUE(got_b);
    EXPECT_EQ((*got_b)["data"]["text"], "only-b");
    EXPECT_FALSE(a->receive_type("translated_text", 500ms)) << "room b's caption reached room a";
    EXPECT_FALSE(b->receive_type("translated_text", 100ms));
    EXPECT_FALSE(main_viewer->receive_type("translated_text", 100ms));

    auto health = json::parse(http_get(server.port(), "/health").body);
    EXPECT_EQ(health["rooms"]["hall-a"]["viewers"]["en"], 1);
    EXPECT_EQ(health["rooms"]["hall-a"]["last_seq"], 1);
    EXPECT_EQ(health["rooms"]["main"]["viewer_count"], 1);
    EXPECT_EQ(health["viewer_count"], 3);
    EXPECT_EQ(health["last_seq"], 0) << "the reference field is room main's";
    auto metrics = http_get(server.port(), "/metrics").body;
    EXPECT_NE(metrics.find("lt_viewers{room=\"hall-a\",lang=\"en\"} 1"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("lt_captions_final_total{room=\"hall-b\"} 1"), std::string::npos) << metrics;
}

TEST(rooms, per_room_keys_guard_their_room_and_the_global_key_works_everywhere) {
    server_process server({"--translator", "none"},
                          {{"API_KEY", global_key}, {"LT_ROOMS", "hall-a=key-a,hall-b=key-b"}});
    EXPECT_EQ(publish(server.port(), "hall-a", "a1", "key-a"), "ack");
    EXPECT_EQ(publish(server.port(), "hall-a", "a2", global_key), "ack");
    EXPECT_EQ(publish(server.port(), "hall-a", "a3", "key-b"), "unauthorized");
    EXPECT_EQ(publish(server.port(), "hall-a", "a4", std::nullopt), "unauthorized");
    EXPECT_EQ(publish(server.port(), "hall-c", "c1", "key-a"), "unauthorized")
        << "a room key is for its room";
    EXPECT_EQ(publish(server.port(), "hall-c", "c2", global_key), "ack");
}

TEST(rooms, without_a_global_key_only_rooms_with_keys_are_guarded) {
    auto dir = std::filesystem::temp_directory_path() / ("lt-rooms-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "rooms.txt") << "# room=key\nkeynote=kn-secret\n";
    server_process server({"--translator", "none", "--rooms-file", (dir / "rooms.txt").string()});
    EXPECT_EQ(publish(server.port(), "keynote", "k1", std::nullopt), "unauthorized");
    EXPECT_EQ(publish(server.port(), "keynote", "k2", "kn-secret"), "ack");
    EXPECT_EQ(publish(server.port(), "workshop", "w1", std::nullopt), "ack");
    std::filesystem::remove_all(dir);
}

TEST(rooms, bad_room_settings_stop_the_server_with_a_clear_message) {
    child_process bad("apps/lt-server/lt-server", {"--port", "0"}, {{"LT_ROOMS", "Hall A=x"}});
    EXPECT_EQ(bad.wait(10s), 1);
    EXPECT_NE((bad.out() + bad.err()).find("'Hall A' is not a room name"), std::string::npos) << bad.err();
}

TEST(rooms, invalid_names_and_too_many_rooms_are_refused_at_the_upgrade) {
    server_process server({"--translator", "none", "--max-rooms", "2"}, {{"API_KEY", global_key}});
    std::map<std::string, std::string> upgrade{{"Connection", "Upgrade"},
                                               {"Upgrade", "websocket"},
                                               {"Sec-WebSocket-Version", "13"},
                                               {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
    auto bad = http_get(server.port(), "/ws?room=Hall%20A", "GET", upgrade);
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body.find("is not a room name"), std::string::npos) << bad.body;

    auto one = in_room(server.port(), "one"); // main is not created until someone joins it
    auto two = in_room(server.port(), "two");
    auto third = http_get(server.port(), "/ws?room=three", "GET", upgrade);
    EXPECT_EQ(third.status, 503);
    EXPECT_NE(third.body.find("maximum number of rooms"), std::string::npos);
    EXPECT_EQ(http_get(server.port(), "/ws?room=one", "GET", upgrade).status, 101)
        << "existing rooms still open";
}

TEST(rooms, the_room_page_and_its_files_are_served_under_r) {
    server_process server({"--translator", "none"});
    auto index = http_get(server.port(), "/");
    auto page = http_get(server.port(), "/r/hall-a");
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(page.body, index.body);
    auto slash = http_get(server.port(), "/r/hall-a/");
    EXPECT_EQ(slash.status, 301) << "relative links would break under /r/hall-a/";
    EXPECT_EQ(slash.headers["location"], "/r/hall-a");
    EXPECT_EQ(http_get(server.port(), "/r/app.js").body, http_get(server.port(), "/app.js").body);
    EXPECT_EQ(http_get(server.port(), "/r/config.json").headers["content-type"], "application/json");
    EXPECT_EQ(http_get(server.port(), "/r/Hall-A").status, 404);
    EXPECT_EQ(http_get(server.port(), "/r/../../etc/passwd").status, 404);
}

TEST(rooms, the_qr_code_decodes_to_the_room_page_url) {
    if (!std::filesystem::exists("/usr/bin/zbarimg") || !std::filesystem::exists("/usr/bin/rsvg-convert"))
        FAIL() << "needs zbar-tools and librsvg2-bin (scripts/setup.sh installs them)";
    auto decode = [](const std::string& svg) {
        auto base = std::filesystem::temp_directory_path() / ("lt-qr-" + std::to_string(::getpid()));
        std::ofstream(base.string() + ".svg") << svg;
        auto out = shell("rsvg-convert -w 400 -b white -o " + base.string() + ".png " + base.string() +
                         ".svg 2>&1 && zbarimg -q --raw " + base.string() + ".png 2>/dev/null");
        std::filesystem::remove(base.string() + ".svg");
        std::filesystem::remove(base.string() + ".png");
        while (!out.empty() && out.back() == '\n')
            out.pop_back();
        return out;
    };
    server_process server({"--translator", "none"});
    auto port = std::to_string(server.port());
    auto qr = http_get(server.port(), "/qr.svg?room=hall-a");
    EXPECT_EQ(qr.status, 200);
    EXPECT_EQ(qr.headers["content-type"], "image/svg+xml");
    EXPECT_EQ(decode(qr.body), "http://127.0.0.1:" + port + "/r/hall-a");
    EXPECT_EQ(decode(http_get(server.port(), "/r/qr.svg?room=hall-a").body),
              "http://127.0.0.1:" + port + "/r/hall-a");
    EXPECT_EQ(decode(http_get(server.port(), "/qr.svg").body), "http://127.0.0.1:" + port + "/");
    // Behind a TLS proxy the browser's scheme comes from X-Forwarded-Proto.
    EXPECT_EQ(decode(http_get(server.port(), "/qr.svg?room=b", "GET",
                              {{"Host", "captions.example.org"}, {"X-Forwarded-Proto", "https"}})
                         .body),
              "https://captions.example.org/r/b");
    EXPECT_EQ(http_get(server.port(), "/qr.svg?room=Bad", "GET").status, 400);
    EXPECT_EQ(http_get(server.port(), "/qr.svg", "GET", {{"Host", "evil.example/\"><script>"}}).status, 400);

    server_process public_url({"--translator", "none", "--public-url", "https://live.example.org/"});
    EXPECT_EQ(decode(http_get(public_url.port(), "/qr.svg?room=keynote").body),
              "https://live.example.org/r/keynote");
}
