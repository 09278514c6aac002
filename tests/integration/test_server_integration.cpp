// lt-server end to end over loopback: the real binary, real Apertium, real WebSocket
// clients. Expected translations come from running Apertium's own `apertium` command.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <sstream>

using namespace lt::test;

namespace {

const std::string key = "integration-key";

json new_text(const std::string& text, const std::string& id, bool partial = false,
              std::optional<std::string> api_key = key) {
    json d{{"text", text}, {"timestamp", "12:00:00"}, {"id", id}, {"partial", partial}};
    if (api_key)
        d["api_key"] = *api_key;
    return {{"type", "new_text"}, {"data", d}};
}

json set_language(const std::string& lang, std::optional<std::uint64_t> since = {}) {
    json d{{"lang", lang}};
    if (since)
        d["since"] = *since;
    return {{"type", "set_language"}, {"data", d}};
}

// A viewer that has chosen `lang` and received its confirmation and catch-up.
std::vector<std::string> texts(const std::vector<json>& frames) {
    std::vector<std::string> out;
    for (const auto& f : frames)
        out.push_back(f["data"]["text"]);
    return out;
}

const std::vector<std::string> sentences = {
    "Good morning and welcome to the conference.",
    "The first talk begins in ten minutes.",
    "Please turn off your phones during the session.",
    "Lunch will be served in the main hall.",
};

struct with_server : ::testing::Test {
    std::unique_ptr<server_process> server;
    void SetUp() override {
        server = std::make_unique<server_process>(std::vector<std::string>{},
                                                  std::map<std::string, std::string>{{"API_KEY", key}});
    }
};

} // namespace

TEST_F(with_server, viewers_in_en_es_fr_receive_their_language_in_order) {
    auto en = viewer(server->port(), "en");
    auto es = viewer(server->port(), "es");
    auto fr = viewer(server->port(), "fr");
    ws_client speaker(server->port());
    for (std::size_t i = 0; i < sentences.size(); ++i)
        speaker.send(new_text(sentences[i], "u" + std::to_string(i)));

    std::vector<std::string> want_es, want_fr;
    for (const auto& s : sentences) {
        want_es.push_back(apertium(s, {"eng-spa"}));
        want_fr.push_back(apertium(s, {"eng-spa", "es-fr"}));
    }
    auto got_en = en->collect("translated_text", sentences.size());
    auto got_es = es->collect("translated_text", sentences.size());
    auto got_fr = fr->collect("translated_text", sentences.size());
    EXPECT_EQ(texts(got_en), sentences);
    EXPECT_EQ(texts(got_es), want_es);
    EXPECT_EQ(texts(got_fr), want_fr);
    for (std::size_t i = 0; i < got_es.size(); ++i) {
        EXPECT_EQ(got_es[i]["data"]["original"], sentences[i]);
        EXPECT_EQ(got_es[i]["data"]["lang"], "es");
        EXPECT_EQ(got_es[i]["data"]["seq"], i + 1);
        EXPECT_EQ(got_es[i]["data"]["id"], "u" + std::to_string(i));
        EXPECT_FALSE(got_es[i]["data"].contains("error"));
    }
    // The speaker's finals are acknowledged with their seq.
    auto ack = speaker.receive_type("text_ack");
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["data"]["id"], "u0");
    EXPECT_EQ((*ack)["data"]["seq"], 1);
}

TEST_F(with_server, connection_status_lists_languages) {
    ws_client c(server->port());
    auto st = c.receive_type("connection_status");
    ASSERT_TRUE(st);
    EXPECT_EQ((*st)["data"]["status"], "connected");
    EXPECT_EQ((*st)["data"]["aws_available"], true);
    EXPECT_EQ((*st)["data"]["translator"], "apertium");
    auto langs = (*st)["data"]["languages"].get<std::vector<std::string>>();
    for (auto l : {"es", "fr", "pt", "it", "ca"})
        EXPECT_NE(std::find(langs.begin(), langs.end(), l), langs.end()) << l;
}

TEST_F(with_server, wrong_or_missing_key_is_refused_and_nothing_is_broadcast) {
    auto es = viewer(server->port(), "es");
    ws_client intruder(server->port());
    intruder.send(new_text("wrong key", "x1", false, std::string("nope")));
    intruder.send(new_text("no key", "x2", false, std::nullopt));
    intruder.send({{"type", "generate_token"}, {"data", {{"api_key", "nope"}}}});
    for (int i = 0; i < 3; ++i) {
        auto err = intruder.receive_type("error");
        ASSERT_TRUE(err) << i;
        EXPECT_EQ((*err)["data"]["message"], "Unauthorized: Invalid API key");
        EXPECT_EQ((*err)["data"]["code"], "unauthorized");
    }
    EXPECT_FALSE(es->receive_type("translated_text", 500ms));
    // The same connection with the right key is heard.
    intruder.send(new_text("Hello.", "x3"));
    auto got = es->receive_type("translated_text");
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["original"], "Hello.");
    EXPECT_EQ((*got)["data"]["seq"], 1);
}

TEST_F(with_server, invalid_input_gets_an_error_and_the_connection_stays) {
    ws_client c(server->port());
    ASSERT_TRUE(c.receive_type("connection_status"));
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"{not json", "invalid JSON"},
        {R"({"type":"bogus","data":{}})", "unknown message type"},
        {R"({"type":"set_language","data":{"lang":"xx"}})", "unsupported language"},
        {R"({"type":"set_language","data":{"lang":5}})", "must be a string"},
    };
    for (const auto& [frame, expected] : cases) {
        c.send_raw(frame);
        auto err = c.receive_type("error");
        ASSERT_TRUE(err) << frame;
        EXPECT_NE((*err)["data"]["message"].get<std::string>().find(expected), std::string::npos)
            << frame << " -> " << (*err)["data"]["message"];
    }
    c.send_raw("binary!", true);
    EXPECT_TRUE(c.receive_type("error"));
    c.send(set_language("es"));
    auto ok = c.receive_type("language_set");
    ASSERT_TRUE(ok);
    EXPECT_EQ((*ok)["data"]["lang"], "es");
    EXPECT_FALSE(c.closed());
}

TEST_F(with_server, an_oversized_frame_closes_with_1009_and_others_continue) {
    auto es = viewer(server->port(), "es");
    ws_client big(server->port());
    ASSERT_TRUE(big.receive_type("connection_status"));
    big.send(new_text(std::string(70 * 1024, 'a'), "big"));
    EXPECT_EQ(big.close_code(), 1009);
    EXPECT_FALSE(es->receive_type("translated_text", 300ms));
    ws_client speaker(server->port());
    speaker.send(new_text("Thank you.", "t1"));
    auto got = es->receive_type("translated_text");
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], apertium("Thank you.", {"eng-spa"}));
    auto metrics = http_get(server->port(), "/metrics").body;
    EXPECT_NE(metrics.find("lt_oversized_frames_total 1\n"), std::string::npos);
}

TEST_F(with_server, late_joiner_gets_history_and_since_resumes_without_duplicates) {
    ws_client speaker(server->port());
    for (int i = 1; i <= 25; ++i)
        speaker.send(new_text("Caption number " + std::to_string(i) + ".", "c" + std::to_string(i)));
    ASSERT_EQ(speaker.collect("text_ack", 25).size(), 25u);

    // Our page asks for the catch-up with `history: true` (plain set_language gets none).
    auto late = std::make_unique<ws_client>(server->port());
    ASSERT_TRUE(late->receive_type("connection_status"));
    late->send({{"type", "set_language"}, {"data", {{"lang", "es"}, {"history", true}}}});
    ASSERT_TRUE(late->receive_type("language_set"));
    auto history = late->collect("translated_text", 20);
    ASSERT_EQ(history.size(), 20u);
    EXPECT_EQ(history.front()["data"]["seq"], 6);
    EXPECT_EQ(history.back()["data"]["seq"], 25);
    EXPECT_EQ(history.back()["data"]["text"], apertium("Caption number 25.", {"eng-spa"}));
    late.reset(); // the phone goes into a tunnel

    for (int i = 26; i <= 28; ++i)
        speaker.send(new_text("Caption number " + std::to_string(i) + ".", "c" + std::to_string(i)));
    ASSERT_EQ(speaker.collect("text_ack", 3).size(), 3u);

    ws_client back(server->port());
    ASSERT_TRUE(back.receive_type("connection_status"));
    back.send(set_language("es", 25));
    ASSERT_TRUE(back.receive_type("language_set"));
    auto missed = back.collect("translated_text", 3);
    ASSERT_EQ(missed.size(), 3u);
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(missed[i]["data"]["seq"], 26 + i);
    speaker.send(new_text("Caption number 29.", "c29"));
    auto next = back.collect("translated_text", 2, 2s);
    ASSERT_EQ(next.size(), 1u) << "a duplicate arrived";
    EXPECT_EQ(next[0]["data"]["seq"], 29);
}

TEST_F(with_server, partials_reach_viewers_who_ask_and_final_replaces_them) {
    ws_client v(server->port());
    ASSERT_TRUE(v.receive_type("connection_status"));
    v.send({{"type", "set_language"}, {"data", {{"lang", "es"}, {"partials", true}}}});
    ASSERT_TRUE(v.receive_type("language_set"));
    auto plain = viewer(server->port(), "es");
    ws_client speaker(server->port());
    speaker.send(new_text("good morning", "p1", true));
    speaker.send(new_text("Good morning everyone.", "p1"));
    auto frames = v.collect("translated_text", 2);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0]["data"]["partial"], true);
    EXPECT_EQ(frames[0]["data"]["text"], "good morning");
    EXPECT_EQ(frames[1]["data"]["partial"], false);
    EXPECT_EQ(frames[1]["data"]["id"], "p1");
    EXPECT_EQ(frames[1]["data"]["text"], apertium("Good morning everyone.", {"eng-spa"}));
    auto only_final = plain->collect("translated_text", 2, 1s);
    ASSERT_EQ(only_final.size(), 1u);
    EXPECT_EQ(only_final[0]["data"]["partial"], false);
}

TEST_F(with_server, a_killed_apertium_process_is_restarted_and_the_next_caption_translated) {
    auto es = viewer(server->port(), "es");
    ws_client speaker(server->port());
    speaker.send(new_text("The weather is nice.", "k1"));
    ASSERT_TRUE(es->receive_type("translated_text"));
    // Kill every lt-proc the server runs (its pipelines' first stage among them).
    auto pids = shell("pgrep -P " + std::to_string(server->pid()) + " -x lt-proc");
    ASSERT_FALSE(pids.empty()) << "no lt-proc child of lt-server";
    std::istringstream in(pids);
    for (int pid; in >> pid;)
        ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(100ms);
    // The next caption is translated, perhaps after one failure reported as such.
    bool translated = false;
    for (int attempt = 0; attempt < 3 && !translated; ++attempt) {
        std::string text = "The next talk starts at noon number " + std::to_string(attempt) + ".";
        speaker.send(new_text(text, "k" + std::to_string(attempt + 2)));
        auto got = es->receive_type("translated_text", 10s);
        ASSERT_TRUE(got);
        if (!(*got)["data"].contains("error")) {
            EXPECT_EQ((*got)["data"]["text"], apertium(text, {"eng-spa"}));
            translated = true;
        } else {
            EXPECT_EQ((*got)["data"]["text"], text); // degraded to the original, with a reason
            EXPECT_EQ(attempt, 0) << "failed again after restart: " << (*got)["data"]["error"];
        }
    }
    EXPECT_TRUE(translated);
}

TEST_F(with_server, http_serves_page_config_health_and_metrics) {
    auto page = http_get(server->port(), "/");
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(page.headers["content-type"], "text/html; charset=utf-8");
    EXPECT_NE(page.body.find("<html"), std::string::npos);
    EXPECT_EQ(http_get(server->port(), "/app.js").headers["content-type"], "text/javascript; charset=utf-8");
    EXPECT_EQ(http_get(server->port(), "/style.css").headers["content-type"], "text/css; charset=utf-8");
    EXPECT_EQ(http_get(server->port(), "/index.html", "HEAD").status, 200);
    for (auto t : {"/../CMakeLists.txt", "/%2e%2e/CMakeLists.txt", "/..%2fCMakeLists.txt", "/nope.html",
                   "/.gitignore"})
        EXPECT_EQ(http_get(server->port(), t).status, 404) << t;

    auto cfg = json::parse(http_get(server->port(), "/config.json").body);
    for (auto f : {"pageTitle", "logoFile", "contactText", "websocketUrl"})
        EXPECT_TRUE(cfg.contains(f)) << f;

    auto es = viewer(server->port(), "es");
    auto health = json::parse(http_get(server->port(), "/health").body);
    EXPECT_EQ(health["status"], "healthy");
    EXPECT_EQ(health["aws_translate"], true);
    EXPECT_EQ(health["connected_clients"], 1);
    EXPECT_EQ(health["viewers"]["es"], 1);
    EXPECT_EQ(health["translator"]["name"], "apertium");
    EXPECT_TRUE(health["uptime_seconds"].is_number());

    auto metrics = http_get(server->port(), "/metrics");
    EXPECT_EQ(metrics.status, 200);
    for (auto name : {"lt_websocket_sessions 1", "lt_frames_in_total", "lt_frames_out_total",
                      "lt_captions_final_total", "lt_translation_seconds_bucket{backend=\"apertium\"",
                      "lt_slow_viewers_closed_total", "lt_viewers{room=\"main\",lang=\"es\"} 1"})
        EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
    EXPECT_EQ(http_get(server->port(), "/health", "POST").status, 405);
}

TEST_F(with_server, sigterm_closes_every_client_with_going_away) {
    auto a = viewer(server->port(), "es");
    auto b = viewer(server->port(), "en");
    EXPECT_EQ(server->stop(SIGTERM), 0);
    EXPECT_EQ(a->close_code(), 1001);
    EXPECT_EQ(b->close_code(), 1001);
}

TEST(server_limits, a_slow_viewer_is_dropped_while_others_keep_receiving) {
    server_process server({"--translator", "none", "--speaker-rate", "0", "--send-queue-bytes", "2097152"},
                          {{"API_KEY", key}});
    auto fast = viewer(server.port(), "en");
    ws_client slow(server.port(), {4096, false});
    std::this_thread::sleep_for(200ms);
    ws_client speaker(server.port());
    // 400 captions of 30 KB: far more than the slow viewer's socket buffers and queue hold.
    // Sent in steps the fast viewer keeps up with, so only the slow one can fall behind.
    std::string body(30000, 'x');
    std::size_t received = 0;
    for (int step = 0; step < 40; ++step) {
        for (int i = step * 10; i < step * 10 + 10; ++i)
            speaker.send(new_text(std::to_string(i) + body, "s" + std::to_string(i)));
        received += fast->collect("translated_text", 10, 10s).size();
    }
    EXPECT_EQ(received, 400u);
    auto metrics = http_get(server.port(), "/metrics").body;
    EXPECT_NE(metrics.find("lt_slow_viewers_closed_total 1\n"), std::string::npos) << metrics;
    EXPECT_EQ(slow.close_code(1s), 0) << "the slow viewer never reads, so it cannot see the close frame";
    EXPECT_NE(metrics.find("lt_viewers{room=\"main\",lang=\"en\"} 1\n"), std::string::npos)
        << "the fast viewer was dropped";
}

TEST(server_limits, connection_limit_per_address_answers_503) {
    server_process server({"--max-connections-per-ip", "2"});
    // The start-up /health probe's slot is freed just after its answer went out; retry
    // until both slots are ours.
    auto connect = [&] {
        for (int attempt = 0;; ++attempt) {
            try {
                return std::make_unique<ws_client>(server.port());
            } catch (const std::exception&) {
                if (attempt == 20)
                    throw;
                std::this_thread::sleep_for(100ms);
            }
        }
    };
    auto a = connect();
    auto b = connect();
    auto r = http_get(server.port(), "/health");
    EXPECT_EQ(r.status, 503);
    EXPECT_NE(r.body.find("too many connections"), std::string::npos);
}

TEST(server_limits, message_rate_limit_drops_with_an_error) {
    server_process server({"--message-rate", "5"});
    ws_client c(server.port());
    ASSERT_TRUE(c.receive_type("connection_status"));
    for (int i = 0; i < 30; ++i)
        c.send(set_language("es"));
    auto err = c.receive_type("error");
    ASSERT_TRUE(err);
    EXPECT_EQ((*err)["data"]["code"], "rate_limited");
    EXPECT_FALSE(c.closed());
}

TEST(server_start, require_key_without_key_refuses_to_start) {
    try {
        server_process server({"--require-key"});
        FAIL() << "started without a key";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("refusing to start"), std::string::npos) << e.what();
    }
}

TEST(server_start, without_key_it_warns_and_accepts_anyone) {
    server_process server({});
    EXPECT_NE(server.log().find("API_KEY is not set"), std::string::npos);
    auto es = viewer(server.port(), "es");
    ws_client speaker(server.port());
    speaker.send(new_text("Hello.", "n1", false, std::nullopt));
    EXPECT_TRUE(es->receive_type("translated_text"));
}

TEST(server_start, list_languages_names_the_routes) {
    const char* dir = std::getenv("LT_BUILD_DIR");
    auto out = shell(std::string(dir ? dir : "build") + "/apps/lt-server/lt-server --list-languages 2>&1");
    for (auto l : {"es", "fr", "pt", "it", "ca"})
        EXPECT_NE(out.find(l), std::string::npos) << out;
}

TEST(server_start, none_backend_sends_originals_with_a_reason) {
    server_process server({"--translator", "none"}, {{"API_KEY", key}});
    ws_client c(server.port());
    auto st = c.receive_type("connection_status");
    ASSERT_TRUE(st);
    EXPECT_EQ((*st)["data"]["aws_available"], false);
    c.send(set_language("es"));
    ASSERT_TRUE(c.receive_type("language_set"));
    ws_client speaker(server.port());
    speaker.send(new_text("Hello.", "n1"));
    auto got = c.receive_type("translated_text");
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], "Hello.");
    EXPECT_TRUE((*got)["data"].contains("error"));
}

TEST(server_roles, a_speaker_that_chose_a_language_keeps_watching_and_one_that_did_not_stops) {
    server_process server({"--translator", "none"}, {{"API_KEY", key}});
    auto watching = viewer(server.port(), "en");
    ws_client plain(server.port());
    ASSERT_TRUE(plain.receive_type("connection_status"));
    plain.send(new_text("From the plain speaker.", "p1"));
    ASSERT_TRUE(plain.receive_type("text_ack"));
    watching->send(new_text("From the watching speaker.", "w1"));
    auto got = watching->collect("translated_text", 2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_FALSE(plain.receive_type("translated_text", 500ms));
}
