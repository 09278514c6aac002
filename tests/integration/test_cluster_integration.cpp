// Several lt-server processes sharing rooms through a real redis-server on a loopback port:
// cross-node delivery, one translation per language in the whole cluster, resume on another
// node with `since`, and Redis going away and coming back mid-stream.
#include "harness.hpp"
#include "redis_server.hpp"

#include "redis/redis.hpp"

#include <gtest/gtest.h>

using namespace lt::test;

namespace {

const std::string key = "cluster-key";

json new_text(const std::string& text, const std::string& id) {
    return {{"type", "new_text"},
            {"data", {{"text", text}, {"timestamp", "12:00:00"}, {"id", id}, {"api_key", key}}}};
}

struct viewer_conn {
    std::unique_ptr<ws_client> ws;
    json status;
};

viewer_conn viewer(unsigned short port, const std::string& room, const std::string& lang,
                   std::optional<std::uint64_t> since = {}) {
    ws_client::options o;
    o.target = "/ws?room=" + room;
    viewer_conn v{std::make_unique<ws_client>(port, o), {}};
    auto st = v.ws->receive_type("connection_status");
    EXPECT_TRUE(st);
    if (st)
        v.status = (*st)["data"];
    json d{{"lang", lang}, {"history", true}}; // as our page asks
    if (since)
        d["since"] = *since;
    v.ws->send({{"type", "set_language"}, {"data", d}});
    EXPECT_TRUE(v.ws->receive_type("language_set"));
    return v;
}

std::unique_ptr<ws_client> speaker(unsigned short port, const std::string& room) {
    ws_client::options o;
    o.target = "/ws?room=" + room;
    auto s = std::make_unique<ws_client>(port, o);
    EXPECT_TRUE(s->receive_type("connection_status"));
    return s;
}

std::uint64_t say(ws_client& s, const std::string& text, const std::string& id) {
    s.send(new_text(text, id));
    auto ack = s.receive_type("text_ack", 5s);
    EXPECT_TRUE(ack) << text;
    return ack ? (*ack)["data"]["seq"].get<std::uint64_t>() : 0;
}

std::vector<std::string> texts(const std::vector<json>& frames) {
    std::vector<std::string> out;
    for (const auto& f : frames)
        out.push_back(f["data"]["text"]);
    return out;
}

std::unique_ptr<server_process> node(const redis_server& redis, const std::string& translator = "apertium") {
    return std::make_unique<server_process>(
        std::vector<std::string>{"--translator", translator, "--redis", redis.url()},
        std::map<std::string, std::string>{{"API_KEY", key}});
}

} // namespace

TEST(cluster, a_speaker_on_one_node_reaches_viewers_on_another_translated_once_per_language) {
    redis_server redis;
    auto a = node(redis), b = node(redis);
    auto es = viewer(b->port(), "talk", "es");
    auto fr = viewer(b->port(), "talk", "fr");
    EXPECT_EQ(es.status["server_id"], fr.status["server_id"]);
    EXPECT_EQ(viewer(a->port(), "talk", "en").status["server_id"], es.status["server_id"])
        << "the nodes agree on one id, so a page keeps `since` across them";
    // Wait until node B's viewers' languages are in Redis, where node A reads them.
    lt::redis::connection r(lt::redis::parse_url(redis.url()).value());
    bool wanted = false;
    for (int i = 0; i < 100 && !wanted; ++i) {
        auto z = r.command({"ZRANGE", "lt:talk:demand", "0", "-1"});
        wanted = z && z.value().elements.size() >= 3; // en (node A's viewer), es, fr
        if (!wanted)
            std::this_thread::sleep_for(50ms);
    }
    ASSERT_TRUE(wanted);
    auto s = speaker(a->port(), "talk");
    std::vector<std::string> said{"Good morning.", "The talk begins now.", "Thank you for coming."};
    for (std::size_t i = 0; i < said.size(); ++i)
        EXPECT_EQ(say(*s, said[i], "c" + std::to_string(i)), i + 1);

    std::vector<std::string> want_es, want_fr;
    for (const auto& t : said) {
        want_es.push_back(apertium(t, {"eng-spa"}));
        want_fr.push_back(apertium(t, {"eng-spa", "es-fr"}));
    }
    EXPECT_EQ(texts(es.ws->collect("translated_text", 3)), want_es);
    EXPECT_EQ(texts(fr.ws->collect("translated_text", 3)), want_fr);
    // Node A translated es and fr once per caption; node B, whose viewers they are, none.
    EXPECT_EQ(translations_made(a->port()), 6u);
    EXPECT_EQ(translations_made(b->port()), 0u);
    auto health = json::parse(http_get(b->port(), "/health").body);
    EXPECT_EQ(health["cluster"]["connected"], true);
    EXPECT_EQ(health["rooms"]["talk"]["last_seq"], 3);
}

TEST(cluster, a_viewer_moving_to_another_node_gets_exactly_what_it_missed) {
    redis_server redis;
    auto a = node(redis, "none"), b = node(redis, "none");
    auto s = speaker(a->port(), "hall");
    auto first = viewer(a->port(), "hall", "en");
    for (int i = 1; i <= 3; ++i)
        say(*s, "before " + std::to_string(i), "b" + std::to_string(i));
    auto got = first.ws->collect("translated_text", 3);
    ASSERT_EQ(got.size(), 3u);
    auto last_seen = got.back()["data"]["seq"].get<std::uint64_t>();
    first.ws.reset(); // the phone loses node A
    for (int i = 1; i <= 4; ++i)
        say(*s, "missed " + std::to_string(i), "m" + std::to_string(i));
    // ... and reconnects through the load balancer to node B, which had no one in this room.
    auto moved = viewer(b->port(), "hall", "en", last_seen);
    auto caught = moved.ws->collect("translated_text", 4);
    EXPECT_EQ(texts(caught), (std::vector<std::string>{"missed 1", "missed 2", "missed 3", "missed 4"}));
    say(*s, "live again", "l1");
    auto live = moved.ws->collect("translated_text", 1);
    EXPECT_EQ(texts(live), std::vector<std::string>{"live again"});
    EXPECT_FALSE(moved.ws->receive_type("translated_text", 300ms)) << "nothing twice";
}

TEST(cluster, a_resent_final_is_published_once_whichever_node_it_reaches) {
    redis_server redis;
    auto a = node(redis, "none"), b = node(redis, "none");
    auto v = viewer(b->port(), "r", "en");
    auto sa = speaker(a->port(), "r");
    auto first = say(*sa, "only once", "same-id");
    auto sb = speaker(b->port(), "r"); // the speaker reconnected to the other node and resends
    EXPECT_EQ(say(*sb, "only once", "same-id"), first);
    EXPECT_EQ(v.ws->collect("translated_text", 2, 1500ms).size(), 1u);
}

TEST(cluster, rooms_stay_isolated_across_nodes) {
    redis_server redis;
    auto a = node(redis, "none"), b = node(redis, "none");
    auto in_a = viewer(b->port(), "room-a", "en");
    auto in_b = viewer(b->port(), "room-b", "en");
    auto s = speaker(a->port(), "room-a");
    say(*s, "for room a", "x1");
    EXPECT_EQ(texts(in_a.ws->collect("translated_text", 1)), std::vector<std::string>{"for room a"});
    EXPECT_FALSE(in_b.ws->receive_type("translated_text", 500ms));
}

TEST(cluster, redis_going_away_stops_nothing_locally_and_the_cluster_recovers) {
    redis_server redis;
    auto a = node(redis, "none"), b = node(redis, "none");
    auto local = viewer(a->port(), "live", "en");
    auto remote = viewer(b->port(), "live", "en");
    auto s = speaker(a->port(), "live");
    say(*s, "one", "r1");
    EXPECT_EQ(texts(local.ws->collect("translated_text", 1)), std::vector<std::string>{"one"});
    EXPECT_EQ(texts(remote.ws->collect("translated_text", 1)), std::vector<std::string>{"one"});

    redis.stop();
    // Local delivery goes on; the gap is reported, not hidden.
    auto seq_two = say(*s, "two", "r2");
    EXPECT_EQ(texts(local.ws->collect("translated_text", 1)), std::vector<std::string>{"two"});
    EXPECT_FALSE(remote.ws->receive_type("translated_text", 300ms));
    bool reported = false;
    for (int i = 0; i < 50 && !reported; ++i) {
        auto h = json::parse(http_get(a->port(), "/health").body);
        reported = h["cluster"]["connected"] == false && h["status"] == "degraded" &&
                   h["cluster"]["finals_unshared"].get<int>() >= 1;
        if (!reported)
            std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(reported) << http_get(a->port(), "/health").body;

    redis.start(); // empty: it kept nothing
    bool back = false;
    for (int i = 0; i < 100 && !back; ++i) {
        back = json::parse(http_get(a->port(), "/health").body)["cluster"]["connected"] == true &&
               json::parse(http_get(b->port(), "/health").body)["cluster"]["connected"] == true;
        if (!back)
            std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(back) << "nodes did not rejoin";
    std::this_thread::sleep_for(500ms); // the nodes raise the counters they had seen
    auto seq_three = say(*s, "three", "r3");
    EXPECT_GT(seq_three, seq_two) << "numbers never go back after Redis lost them";
    EXPECT_EQ(texts(local.ws->collect("translated_text", 1)), std::vector<std::string>{"three"});
    EXPECT_EQ(texts(remote.ws->collect("translated_text", 1)), std::vector<std::string>{"three"});
    EXPECT_TRUE(a->stop(SIGTERM) == 0 && b->stop(SIGTERM) == 0) << "a node crashed";
}

TEST(cluster, a_bad_redis_url_is_a_clear_error_and_no_redis_is_a_single_node) {
    child_process bad("apps/lt-server/lt-server", {"--port", "0", "--redis", "rediss://x:1"});
    EXPECT_EQ(bad.wait(10s), 1);
    EXPECT_NE((bad.out() + bad.err()).find("TLS"), std::string::npos) << bad.err();
    server_process single({"--translator", "none"});
    EXPECT_FALSE(json::parse(http_get(single.port(), "/health").body).contains("cluster"));
}

TEST(cluster, partials_reach_viewers_on_other_nodes_that_asked_for_them) {
    redis_server redis;
    auto a = node(redis, "none"), b = node(redis, "none");
    ws_client::options o;
    o.target = "/ws?room=p";
    ws_client v(b->port(), o);
    ASSERT_TRUE(v.receive_type("connection_status"));
    v.send({{"type", "set_language"}, {"data", {{"lang", "en"}, {"partials", true}}}});
    ASSERT_TRUE(v.receive_type("language_set"));
    auto s = speaker(a->port(), "p");
    json partial = new_text("good mor", "u1");
    partial["data"]["partial"] = true;
    s->send(partial);
    auto got = v.receive_type("translated_text");
    ASSERT_TRUE(got);
    EXPECT_EQ((*got)["data"]["text"], "good mor");
    EXPECT_TRUE((*got)["data"]["partial"].get<bool>());
    say(*s, "Good morning.", "u1");
    auto fin = v.receive_type("translated_text");
    ASSERT_TRUE(fin);
    EXPECT_EQ((*fin)["data"]["text"], "Good morning.");
    EXPECT_FALSE((*fin)["data"].value("partial", false));
}

TEST(cluster, a_node_that_was_not_listening_fills_the_gap_from_the_shared_history) {
    redis_server redis;
    auto a = node(redis, "none");
    auto s = speaker(a->port(), "gap");
    say(*s, "before b", "g0");
    auto b = node(redis, "none");
    auto v = viewer(b->port(), "gap", "en");
    // Node B's subscriber is cut off (CLIENT KILL of its pub/sub connection) while captions
    // go on; it reconnects by itself and must fetch what it missed, in order.
    lt::redis::connection r(lt::redis::parse_url(redis.url()).value());
    auto killed = r.command({"CLIENT", "KILL", "TYPE", "pubsub"});
    ASSERT_TRUE(killed) << killed.error_message();
    for (int i = 1; i <= 3; ++i)
        say(*s, "during " + std::to_string(i), "g" + std::to_string(i));
    auto got = v.ws->collect("translated_text", 4, 15s);
    // "before b" is the catch-up any new viewer gets; then what went by while cut off.
    EXPECT_EQ(texts(got), (std::vector<std::string>{"before b", "during 1", "during 2", "during 3"}));
    say(*s, "after", "g4");
    EXPECT_EQ(texts(v.ws->collect("translated_text", 1)), std::vector<std::string>{"after"});
    EXPECT_FALSE(v.ws->receive_type("translated_text", 300ms)) << "nothing twice";
}

// The operator's pause holds on every node: the speaker on node A, the operator on node B,
// viewers on both; a node started while the room is paused learns it from Redis.
TEST(cluster, a_pause_on_one_node_holds_on_every_node_and_a_new_node_learns_it) {
    redis_server redis;
    auto a = node(redis, "none"), b = node(redis, "none");
    // The next caption a viewer gets ("" when none came).
    auto next = [](viewer_conn& v) {
        auto got = texts(v.ws->collect("translated_text", 1));
        return got.empty() ? std::string() : got.front();
    };
    auto on_a = viewer(a->port(), "pause", "en");
    auto on_b = viewer(b->port(), "pause", "en");
    auto mic = speaker(a->port(), "pause");
    auto op = speaker(b->port(), "pause");
    say(*mic, "before the break", "p1");
    EXPECT_EQ(next(on_a), "before the break");
    EXPECT_EQ(next(on_b), "before the break");

    auto set_publishing = [](bool paused) {
        return json{{"type", "set_publishing"}, {"data", {{"paused", paused}, {"api_key", key}}}};
    };
    op->send(set_publishing(true));
    auto told = mic->receive_type("publishing");
    ASSERT_TRUE(told) << "the speaker on the other node is told";
    EXPECT_EQ((*told)["data"]["paused"], true);
    auto viewer_told = on_a.ws->receive_type("publishing");
    ASSERT_TRUE(viewer_told);
    EXPECT_EQ((*viewer_told)["data"]["paused"], true);
    EXPECT_EQ(say(*mic, "private remark", "p2"), 0u) << "acknowledged, not published";
    // Typed text still goes out, from either node.
    op->send({{"type", "new_text"},
              {"data", {{"text", "Short break."}, {"id", "t1"}, {"api_key", key}, {"source", "typed"}}}});
    ASSERT_TRUE(op->receive_type("text_ack", 5s));
    EXPECT_EQ(next(on_a), "Short break.");
    EXPECT_EQ(next(on_b), "Short break.");

    // A third node, started during the pause.
    auto c = node(redis, "none");
    auto late = speaker(c->port(), "pause");
    auto told_late = late->receive_type("publishing");
    ASSERT_TRUE(told_late) << "a node that joins learns the room is paused";
    EXPECT_EQ((*told_late)["data"]["paused"], true);
    EXPECT_EQ(say(*late, "also private", "p3"), 0u);

    op->send(set_publishing(false));
    auto resumed = mic->receive_type("publishing");
    ASSERT_TRUE(resumed);
    EXPECT_EQ((*resumed)["data"]["paused"], false);
    ASSERT_TRUE(late->receive_type("publishing"));
    EXPECT_GT(say(*mic, "we are back", "p4"), 0u);
    EXPECT_EQ(next(on_a), "we are back");
    EXPECT_EQ(next(on_b), "we are back");
    EXPECT_FALSE(on_b.ws->receive_type("translated_text", 300ms)) << "nothing said while paused";
}

// Redis restarting empty forgets the pause; the paused node writes it back when it rejoins,
// so a node that comes later still learns it.
TEST(cluster, a_paused_room_stays_paused_when_redis_restarts_empty) {
    redis_server redis;
    auto a = node(redis, "none");
    auto op = speaker(a->port(), "hold");
    op->send({{"type", "set_publishing"}, {"data", {{"paused", true}, {"api_key", key}}}});
    ASSERT_TRUE(op->receive_type("publishing"));
    redis.stop();
    redis.start();
    lt::redis::connection r(lt::redis::parse_url(redis.url()).value());
    bool restored = false;
    for (int i = 0; i < 100 && !restored; ++i) {
        auto v = r.command({"GET", "lt:hold:paused"});
        restored = v && v.value().type == lt::redis::reply::kind::string;
        if (!restored)
            std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(restored) << "node A did not write the pause back";
    auto c = node(redis, "none");
    auto late = speaker(c->port(), "hold");
    auto told = late->receive_type("publishing");
    ASSERT_TRUE(told);
    EXPECT_EQ((*told)["data"]["paused"], true);
}
