#include "hub/cluster_message.hpp"

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

hub::frame_ptr frame(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

hub::cluster_final sample_final() {
    hub::cluster_final m;
    m.node = "node-a";
    m.seq = 42;
    m.id = "run-1";
    m.text = "hello";
    m.lang = "en";
    m.timestamp = "10:00:00";
    m.frames = {{"es", frame(R"({"type":"translated_text","data":{"text":"[es] hello"}})")},
                {"fr", frame(R"({"type":"translated_text","data":{"text":"[fr] hello"}})")}};
    return m;
}

// The error message of decoding `text`, or "" when it decodes.
std::string decode_error(std::string_view text) {
    auto r = hub::decode(text);
    return r ? "" : r.error_message();
}

} // namespace

TEST(cluster_message, a_final_survives_the_round_trip) {
    auto m = sample_final();
    auto r = hub::decode(hub::encode(m));
    ASSERT_TRUE(r) << r.error_message();
    auto* f = std::get_if<hub::cluster_final>(&r.value());
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->node, "node-a");
    EXPECT_EQ(f->seq, 42u);
    EXPECT_EQ(f->id, "run-1");
    EXPECT_EQ(f->text, "hello");
    EXPECT_EQ(f->lang, "en");
    EXPECT_EQ(f->timestamp, "10:00:00");
    ASSERT_EQ(f->frames.size(), 2u);
    EXPECT_EQ(*f->frames.at("es"), *m.frames.at("es"));
    EXPECT_EQ(*f->frames.at("fr"), *m.frames.at("fr"));
}

TEST(cluster_message, a_partial_survives_the_round_trip) {
    auto r = hub::decode(hub::encode(hub::cluster_partial{"node-b", frame(R"({"type":"translated_text"})")}));
    ASSERT_TRUE(r) << r.error_message();
    auto* p = std::get_if<hub::cluster_partial>(&r.value());
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->node, "node-b");
    EXPECT_EQ(*p->frame, R"({"type":"translated_text"})");
}

TEST(cluster_message, a_pause_survives_the_round_trip) {
    for (bool paused : {true, false}) {
        auto r = hub::decode(hub::encode(hub::cluster_pause{"node-c", paused}));
        ASSERT_TRUE(r) << r.error_message();
        auto* p = std::get_if<hub::cluster_pause>(&r.value());
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p->node, "node-c");
        EXPECT_EQ(p->paused, paused);
    }
    EXPECT_EQ(json::parse(hub::encode(hub::cluster_pause{"n", true})),
              (json{{"node", "n"}, {"paused", true}}));
    EXPECT_NE(decode_error(R"({"node":"n","paused":"yes"})").find("paused"), std::string::npos);
}

TEST(cluster_message, the_wire_format_is_what_other_nodes_read) {
    // Nodes of different versions share a room during a rolling update: the field names
    // and types are the contract.
    auto j = json::parse(hub::encode(sample_final()));
    EXPECT_EQ(j["node"], "node-a");
    EXPECT_TRUE(j["seq"].is_number_unsigned());
    EXPECT_EQ(j["seq"], 42);
    EXPECT_EQ(j["id"], "run-1");
    EXPECT_EQ(j["text"], "hello");
    EXPECT_EQ(j["lang"], "en");
    EXPECT_EQ(j["timestamp"], "10:00:00");
    EXPECT_TRUE(j["frames"]["es"].is_string());
    auto p = json::parse(hub::encode(hub::cluster_partial{"node-b", frame("x")}));
    EXPECT_EQ(p, (json{{"node", "node-b"}, {"partial", "x"}}));

    auto r = hub::decode(
        R"({"node":"n","seq":7,"id":"u","text":"t","lang":"en","timestamp":"","frames":{"es":"f"}})");
    ASSERT_TRUE(r) << r.error_message();
    EXPECT_EQ(std::get<hub::cluster_final>(r.value()).seq, 7u);
}

TEST(cluster_message, node_and_timestamp_may_be_absent) {
    auto r = hub::decode(R"({"seq":1,"id":"u","text":"t","lang":"en","frames":{}})");
    ASSERT_TRUE(r) << r.error_message();
    const auto& f = std::get<hub::cluster_final>(r.value());
    EXPECT_EQ(f.node, "");
    EXPECT_EQ(f.timestamp, "");
    EXPECT_TRUE(f.frames.empty());
}

TEST(cluster_message, invalid_utf8_is_replaced_not_an_error) {
    auto m = sample_final();
    m.text = "caf\xc3";
    auto r = hub::decode(hub::encode(m));
    ASSERT_TRUE(r) << r.error_message();
    EXPECT_EQ(std::get<hub::cluster_final>(r.value()).text, "caf\xef\xbf\xbd");
}

TEST(cluster_message, malformed_messages_are_errors) {
    EXPECT_NE(decode_error(""), "");
    EXPECT_NE(decode_error("{\"seq\":"), "");
    EXPECT_NE(decode_error("[1,2]"), "");
    EXPECT_NE(decode_error("\"text\""), "");
    const json good = json::parse(hub::encode(sample_final()));
    for (const char* field : {"seq", "id", "text", "lang", "frames"}) {
        auto j = good;
        j.erase(field);
        EXPECT_NE(decode_error(j.dump()).find(field), std::string::npos) << "without " << field;
    }
}

TEST(cluster_message, fields_of_the_wrong_type_are_errors) {
    const json good = json::parse(hub::encode(sample_final()));
    std::vector<std::pair<std::string, json>> bad{
        {"seq", "42"},     {"seq", -1},       {"seq", 4.5},
        {"id", 7},         {"text", nullptr}, {"lang", json::array()},
        {"timestamp", 12}, {"node", true},    {"frames", json::array({"x"})},
        {"frames", "x"},
    };
    for (const auto& [field, value] : bad) {
        auto j = good;
        j[field] = value;
        EXPECT_NE(decode_error(j.dump()).find(field), std::string::npos) << field << " = " << value.dump();
    }
    auto j = good;
    j["frames"]["es"] = 1;
    EXPECT_NE(decode_error(j.dump()).find("'es'"), std::string::npos);
    EXPECT_NE(decode_error(R"({"node":"n","partial":5})").find("partial"), std::string::npos);
}

namespace {

// A cluster that numbers finals at once and records what the hub shares.
class recording_cluster : public hub::cluster_hook {
public:
    void assign(const std::string&, const std::string&,
                std::function<void(std::optional<hub::cluster_assignment>)> done) override {
        hub::cluster_assignment a;
        a.seq = ++seq_;
        done(a);
    }
    void share_final(const std::string&, std::uint64_t, std::string message) override {
        std::lock_guard lock(mutex_);
        shared_.push_back(std::move(message));
        cv_.notify_all();
    }
    void share_partial(const std::string&, std::string message) override {
        share_final("", 0, std::move(message));
    }
    void share_paused(const std::string&, std::string message) override {
        share_final("", 0, std::move(message));
    }
    void want(const std::string&, const std::string&) override {}
    const std::string& node_id() const override { return node_; }

    std::vector<std::string> wait_for(std::size_t n) {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, 5s, [&] { return shared_.size() >= n; });
        return shared_;
    }

private:
    std::string node_ = "node-a";
    std::atomic<std::uint64_t> seq_{0};
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<std::string> shared_;
};

class recorder : public hub::subscriber {
public:
    void deliver(hub::frame_ptr f) override {
        std::lock_guard lock(m_);
        frames_.push_back(std::move(f));
        cv_.notify_all();
    }
    std::vector<hub::frame_ptr> wait_for(std::size_t n, std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock(m_);
        cv_.wait_for(lock, timeout, [&] { return frames_.size() >= n; });
        return frames_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    std::vector<hub::frame_ptr> frames_;
};

struct clustered_hub : ::testing::Test {
    std::shared_ptr<test::tagging_translator> backend = std::make_shared<test::tagging_translator>();
    std::unique_ptr<translate::translation_service> service =
        std::make_unique<translate::translation_service>(backend, translate::service_params{2, 100, 0});
    std::shared_ptr<recording_cluster> cluster = std::make_shared<recording_cluster>();
    std::vector<bool> told; // on_publishing's calls
    std::shared_ptr<hub::hub> room = std::make_shared<hub::hub>(
        *service,
        hub::hub_params{.history = 50,
                        .catch_up = 20,
                        .room = "main",
                        .cluster = cluster,
                        .store = nullptr,
                        .on_publishing = [this](const std::string&, bool p) { told.push_back(p); }});

    std::shared_ptr<recorder> viewer(const std::string& lang, bool partials = false) {
        auto r = std::make_shared<recorder>();
        room->join(r);
        room->set_language(r, lang, std::nullopt, partials);
        return r;
    }
    void TearDown() override { service.reset(); }
};

} // namespace

TEST_F(clustered_hub, what_the_hub_shares_decodes_with_the_codec) {
    auto es = viewer("es", true);
    hub::text_in p;
    p.text = "hel";
    p.id = "u1";
    p.partial = true;
    room->publish(p);
    hub::text_in f;
    f.text = "hello";
    f.id = "u1";
    f.timestamp = "10:00:00";
    room->publish(f);
    auto shared = cluster->wait_for(2);
    ASSERT_EQ(shared.size(), 2u);

    auto partial = hub::decode(shared[0]);
    ASSERT_TRUE(partial) << partial.error_message();
    EXPECT_EQ(std::get<hub::cluster_partial>(partial.value()).node, "node-a");

    auto final = hub::decode(shared[1]);
    ASSERT_TRUE(final) << final.error_message();
    const auto& m = std::get<hub::cluster_final>(final.value());
    EXPECT_EQ(m.node, "node-a");
    EXPECT_EQ(m.seq, 1u);
    EXPECT_EQ(m.id, "u1");
    EXPECT_EQ(m.text, "hello");
    EXPECT_EQ(m.timestamp, "10:00:00");
    ASSERT_EQ(m.frames.count("es"), 1u);
    // The same bytes the local viewer got.
    auto got = es->wait_for(2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(*m.frames.at("es"), *got[1]);
}

TEST_F(clustered_hub, another_nodes_final_reaches_viewers_and_our_own_is_ignored) {
    auto es = viewer("es");
    hub::cluster_final remote;
    remote.node = "node-b";
    remote.seq = 5;
    remote.id = "b-1";
    remote.text = "hola";
    remote.lang = "es";
    remote.frames = {{"es", frame(R"({"type":"translated_text","data":{"text":"hola"}})")}};
    auto decoded = hub::decode(hub::encode(remote));
    ASSERT_TRUE(decoded) << decoded.error_message();
    room->ingest(std::move(decoded).value());
    auto got = es->wait_for(1);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(*got[0], *remote.frames.at("es"));
    EXPECT_EQ(room->last_seq(), 5u);
    EXPECT_EQ(room->remote_finals.value(), 1u);

    auto own = remote;
    own.node = "node-a";
    own.seq = 6;
    own.id = "a-1";
    room->ingest(own);
    EXPECT_EQ(room->last_seq(), 5u);
    EXPECT_EQ(es->wait_for(2, 100ms).size(), 1u);
}

TEST_F(clustered_hub, share_unfinished_shares_finals_whose_translations_were_dropped) {
    auto es = viewer("es");
    auto fr = viewer("fr");
    backend->set_delay("fr", 2000ms); // fr stays queued or running while the test stops it
    hub::text_in f;
    f.text = "hello";
    f.id = "u1";
    room->publish(f);
    ASSERT_EQ(es->wait_for(1).size(), 1u);
    service->stop(); // shutdown: queued translations are dropped
    EXPECT_EQ(room->share_unfinished(), 1u);
    auto shared = cluster->wait_for(1);
    ASSERT_EQ(shared.size(), 1u);
    auto final = hub::decode(shared[0]);
    ASSERT_TRUE(final) << final.error_message();
    const auto& m = std::get<hub::cluster_final>(final.value());
    EXPECT_EQ(m.id, "u1");
    EXPECT_EQ(m.frames.count("es"), 1u);
    EXPECT_EQ(m.frames.count("fr"), 0u) << "another node translates it";
    EXPECT_EQ(room->share_unfinished(), 0u);
}

TEST_F(clustered_hub, a_pause_is_shared_and_another_nodes_pause_is_taken) {
    room->set_paused(true);
    auto shared = cluster->wait_for(1);
    ASSERT_EQ(shared.size(), 1u);
    auto m = hub::decode(shared[0]);
    ASSERT_TRUE(m) << m.error_message();
    EXPECT_EQ(std::get<hub::cluster_pause>(m.value()).node, "node-a");
    EXPECT_TRUE(std::get<hub::cluster_pause>(m.value()).paused);
    EXPECT_EQ(told, std::vector<bool>{true}) << "a local pause is always told (the operator's confirmation)";

    room->ingest(hub::cluster_pause{"node-b", false});
    EXPECT_FALSE(room->paused());
    room->ingest(hub::cluster_pause{"node-b", false}); // no change: nobody told again
    room->ingest(hub::cluster_pause{"node-a", true});  // our own, back from Redis
    EXPECT_FALSE(room->paused());
    room->ingest(hub::cluster_pause{"node-b", true}, false); // loading a room: state only
    EXPECT_TRUE(room->paused());
    EXPECT_TRUE(room->snapshot().paused);
    EXPECT_EQ(told, (std::vector<bool>{true, false}));
}
