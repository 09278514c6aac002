// The event around the captions, against the real lt-server and real Apertium: the operator
// corrects a final (viewers in three languages get it again, translated, with the same seq),
// types a caption and pauses the room; transcripts in a watched and an unwatched language.
#include "harness.hpp"

#include <gtest/gtest.h>

#include <filesystem>

using namespace lt::test;
using namespace std::chrono_literals;

namespace {

const std::string key = "operator-key";

json final_text(const std::string& text, const std::string& id, bool typed = false) {
    json d{{"text", text}, {"timestamp", "12:00:00"}, {"id", id}, {"lang", "en"}, {"api_key", key}};
    if (typed)
        d["source"] = "typed";
    return {{"type", "new_text"}, {"data", d}};
}

std::unique_ptr<ws_client> speaker(unsigned short port) {
    auto s = std::make_unique<ws_client>(port);
    s->receive_type("connection_status");
    return s;
}

std::uint64_t publish(ws_client& s, const std::string& text, const std::string& id, bool typed = false) {
    s.send(final_text(text, id, typed));
    auto ack = s.receive_type("text_ack", 10s);
    EXPECT_TRUE(ack) << id;
    return ack ? (*ack)["data"]["seq"].get<std::uint64_t>() : 0;
}

} // namespace

TEST(operator_console, a_correction_reaches_viewers_in_three_languages_translated) {
    server_process server({}, {{"API_KEY", key}});
    auto es = viewer(server.port(), "es");
    auto fr = viewer(server.port(), "fr");
    auto ca = viewer(server.port(), "ca");
    auto op = speaker(server.port());
    const auto seq = publish(*op, "The talk starts at nine.", "c1");
    std::map<std::string, std::string> first;
    for (auto& [v, lang] : {std::pair{es.get(), "es"}, {fr.get(), "fr"}, {ca.get(), "ca"}}) {
        auto f = v->receive_type("translated_text", 15s);
        ASSERT_TRUE(f) << lang;
        first[lang] = (*f)["data"]["text"];
    }
    // A viewer's key is not the speaker's.
    auto stranger = speaker(server.port());
    stranger->send(
        {{"type", "correct_text"}, {"data", {{"seq", seq}, {"text", "Hacked."}, {"api_key", "wrong"}}}});
    auto refused = stranger->receive_type("error");
    ASSERT_TRUE(refused);
    EXPECT_EQ((*refused)["data"]["code"], "unauthorized");

    op->send({{"type", "correct_text"},
              {"data", {{"seq", seq}, {"text", "The keynote starts at ten."}, {"api_key", key}}}});
    auto ack = op->receive_type("text_ack", 10s);
    ASSERT_TRUE(ack);
    EXPECT_EQ((*ack)["data"]["seq"], seq);
    for (auto& [v, lang] : {std::pair{es.get(), "es"}, {fr.get(), "fr"}, {ca.get(), "ca"}}) {
        auto f = v->receive_type("translated_text", 15s);
        ASSERT_TRUE(f) << lang;
        EXPECT_EQ((*f)["data"]["seq"], seq);
        EXPECT_EQ((*f)["data"]["corrected"], true);
        EXPECT_EQ((*f)["data"]["original"], "The keynote starts at ten.");
        EXPECT_NE((*f)["data"]["text"], first[lang]) << lang << ": translated again";
        EXPECT_NE((*f)["data"]["text"], "The keynote starts at ten.") << lang;
        EXPECT_FALSE((*f)["data"].contains("error")) << f->dump();
    }
    op->send({{"type", "correct_text"}, {"data", {{"seq", 99}, {"text", "x"}, {"api_key", key}}}});
    auto bad = op->receive_type("error");
    ASSERT_TRUE(bad);
    EXPECT_EQ((*bad)["data"]["message"], "cannot correct caption 99: no final 99 in room main");
}

TEST(operator_console, health_gives_each_watched_language_its_engine_and_last_five_latencies) {
    server_process server({}, {{"API_KEY", key}});
    auto es = viewer(server.port(), "es");
    auto fr = viewer(server.port(), "fr");
    auto op = speaker(server.port());
    std::uint64_t last = 0;
    for (int i = 1; i <= 7; ++i) {
        last =
            publish(*op, "Caption number " + std::to_string(i) + " of the morning.", "l" + std::to_string(i));
        ASSERT_TRUE(es->receive_type("translated_text", 15s));
        ASSERT_TRUE(fr->receive_type("translated_text", 15s));
    }
    auto health = json::parse(http_get(server.port(), "/health").body);
    const auto& latencies = health["rooms"]["main"]["latencies"];
    for (const char* lang : {"es", "fr"}) {
        ASSERT_TRUE(latencies.contains(lang)) << health.dump();
        const auto& list = latencies[lang];
        ASSERT_EQ(list.size(), 5u) << lang;
        EXPECT_EQ(list.back()["seq"], last) << "newest last";
        EXPECT_EQ(list.front()["seq"], last - 4);
        for (const auto& l : list) {
            EXPECT_EQ(l["engine"], "apertium");
            EXPECT_GT(l["translate_ms"].get<double>(), 0.0);
            EXPECT_GE(l["deliver_ms"].get<double>(), l["translate_ms"].get<double>());
            EXPECT_LT(l["deliver_ms"].get<double>(), 15000.0);
        }
        std::printf("%s latencies (ms):", lang);
        for (const auto& l : list)
            std::printf(" %.1f/%.1f", l["translate_ms"].get<double>(), l["deliver_ms"].get<double>());
        std::printf("\n");
    }
    EXPECT_FALSE(latencies.contains("en")) << "the source language is not translated";
}

TEST(operator_console, pausing_hides_spoken_text_but_not_typed_text) {
    server_process server({}, {{"API_KEY", key}});
    auto es = viewer(server.port(), "es");
    auto op = speaker(server.port());
    auto mic = speaker(server.port());
    publish(*mic, "Hello.", "m1");
    op->send({{"type", "set_publishing"}, {"data", {{"paused", true}, {"api_key", key}}}});
    auto told = es->receive_type("publishing");
    ASSERT_TRUE(told);
    EXPECT_EQ((*told)["data"]["paused"], true);
    EXPECT_EQ(publish(*mic, "This is private.", "m2"), 0u) << "acknowledged, not published";
    // A connection opened while paused is told at once.
    auto later = speaker(server.port());
    auto told_later = later->receive_type("publishing");
    ASSERT_TRUE(told_later);
    EXPECT_EQ((*told_later)["data"]["paused"], true);
    publish(*op, "Short break: back at 11.", "op1", true);
    std::vector<json> got;
    for (int i = 0; i < 2; ++i)
        if (auto f = es->receive_type("translated_text", 10s))
            got.push_back(*f);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0]["data"]["original"], "Hello.");
    EXPECT_EQ(got[1]["data"]["original"], "Short break: back at 11.");
    EXPECT_EQ(got[1]["data"]["source"], "typed");
    op->send({{"type", "set_publishing"}, {"data", {{"paused", false}, {"api_key", key}}}});
    ASSERT_TRUE(es->receive_type("publishing"));
    publish(*mic, "We are back.", "m3");
    auto back = es->receive_type("translated_text", 10s);
    ASSERT_TRUE(back);
    EXPECT_EQ((*back)["data"]["original"], "We are back.");
}

// Transcripts: a watched language from what was sent, an unwatched one translated for the
// request, corrections applied; each format; 404 for a room nobody used; the same from the
// data directory after a restart.
TEST(transcripts, in_a_watched_and_an_unwatched_language_from_memory_and_from_the_data_directory) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("lt_transcripts_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    const auto port = free_port();
    std::string es_vtt;
    for (int run = 0; run < 2; ++run) {
        std::vector<std::string> args;
        if (run == 1)
            args = {"--data-dir", dir.string()};
        server_process server(args, {{"API_KEY", key}}, port);
        auto es = viewer(port, "es");
        auto op = speaker(port);
        publish(*op, "Good morning.", "t1");
        auto seq = publish(*op, "The talk starts now.", "t2");
        ASSERT_EQ(es->collect("translated_text", 2, 15s).size(), 2u);
        op->send({{"type", "correct_text"},
                  {"data", {{"seq", seq}, {"text", "The keynote starts now."}, {"api_key", key}}}});
        ASSERT_TRUE(op->receive_type("text_ack", 10s));
        ASSERT_TRUE(es->receive_type("translated_text", 15s));

        auto txt = http_get(port, "/transcript.txt");
        EXPECT_EQ(txt.status, 200);
        EXPECT_EQ(txt.body, "[00:00:00] Good morning.\n[00:00:00] The keynote starts now.\n");
        auto srt = http_get(port, "/transcript.srt?lang=es");
        EXPECT_EQ(srt.status, 200);
        EXPECT_EQ(srt.headers["content-type"], "application/x-subrip; charset=utf-8");
        EXPECT_NE(srt.headers["content-disposition"].find("main-es.srt"), std::string::npos);
        EXPECT_EQ(srt.body.rfind("1\n00:00:00,000 --> ", 0), 0u) << srt.body;
        EXPECT_NE(srt.body.find("\n2\n"), std::string::npos) << srt.body;
        // Spanish, corrected (Apertium keeps "keynote" as it is).
        EXPECT_NE(srt.body.find("Buenos días."), std::string::npos) << srt.body;
        EXPECT_NE(srt.body.find("El keynote"), std::string::npos) << srt.body;
        EXPECT_EQ(srt.body.find("charla"), std::string::npos) << srt.body;
        // Nobody watched French: translated for this request.
        auto fr = http_get(port, "/r/main/transcript.vtt?lang=fr");
        EXPECT_EQ(fr.status, 200);
        EXPECT_EQ(fr.body.rfind("WEBVTT\n\n", 0), 0u);
        EXPECT_EQ(fr.body.find("Good morning"), std::string::npos) << fr.body;
        EXPECT_EQ(http_get(port, "/r/nobody-here/transcript.txt").status, 404);
        EXPECT_EQ(http_get(port, "/transcript.txt?lang=xx").status, 400);
        if (run == 1)
            es_vtt = http_get(port, "/transcript.vtt?lang=es").body;
    }
    server_process again({"--data-dir", dir.string()}, {{"API_KEY", key}}, port);
    auto after = http_get(port, "/transcript.vtt?lang=es");
    EXPECT_EQ(after.status, 200);
    EXPECT_EQ(after.body, es_vtt) << "the same transcript after a restart, nothing translated again";
    std::filesystem::remove_all(dir);
}
