// lt-server's write path end to end: captions go straight to a viewer's socket while nothing
// is queued, and through Beast's queue otherwise; pongs and the close frame are Beast's own
// writes. A Beast client checks each frame is whole, in order, and never split by another.
#include "harness.hpp"

#include "net/asio.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

using namespace lt::test;

namespace {

const std::string key = "integration-key";

lt::test::json new_text(const std::string& text, const std::string& id) {
    return {{"type", "new_text"},
            {"data", {{"text", text}, {"timestamp", "12:00:00"}, {"id", id}, {"api_key", key}}}};
}

// A viewer on a 4 KB receive buffer that reads slowly and pings the server as it goes, on
// its own thread (synchronous Beast).
struct pinging_viewer {
    lt::asio::io_context ioc;
    lt::websocket::stream<lt::tcp::socket> ws{ioc};
    std::atomic<int> pongs{0};

    explicit pinging_viewer(unsigned short port) {
        auto& s = ws.next_layer();
        s.open(lt::tcp::v4());
        s.set_option(lt::asio::socket_base::receive_buffer_size(4096));
        s.connect({lt::asio::ip::make_address("127.0.0.1"), port});
        ws.handshake("127.0.0.1", "/ws");
        ws.control_callback([this](lt::websocket::frame_type kind, lt::beast::string_view) {
            if (kind == lt::websocket::frame_type::pong)
                ++pongs;
        });
        ws.text(true);
        ws.write(lt::asio::buffer(std::string(R"({"type":"set_language","data":{"lang":"en"}})")));
    }
    // The next text message (pongs are taken by the control callback on the way).
    json read() {
        lt::beast::flat_buffer b;
        ws.read(b);
        return json::parse(lt::beast::buffers_to_string(b.data()));
    }
};

} // namespace

TEST(write_path, a_slow_pinging_viewer_gets_every_large_caption_whole_and_in_order) {
    server_process server({"--translator", "none", "--speaker-rate", "0", "--message-rate", "0",
                           "--send-queue-bytes", "8388608", "--send-queue-frames", "1000"},
                          {{"API_KEY", key}});
    pinging_viewer v(server.port());
    for (;;) // connection_status, then language_set
        if (v.read()["type"] == "language_set")
            break;
    auto fast = std::make_unique<ws_client>(server.port());
    ASSERT_TRUE(fast->receive_type("connection_status"));
    fast->send({{"type", "set_language"}, {"data", {{"lang", "en"}}}});
    ASSERT_TRUE(fast->receive_type("language_set"));

    // 120 captions of 20-60 KB (a client's frame is 64 KiB at most), sent at once: far more than the socket
    // buffers hold, so the server writes whole frames, partly written frames and queued ones in turn.
    const int n = 120;
    std::vector<std::string> sent;
    ws_client speaker(server.port());
    for (int i = 0; i < n; ++i) {
        sent.push_back(std::to_string(i) + ":" +
                       std::string(20000 + (i * 7919) % 40000, static_cast<char>('a' + i % 26)));
        speaker.send(new_text(sent.back(), "w" + std::to_string(i)));
    }
    int pings = 0;
    std::vector<std::string> got;
    auto until = std::chrono::steady_clock::now() + 60s;
    while (static_cast<int>(got.size()) < n && std::chrono::steady_clock::now() < until) {
        auto j = v.read();
        if (j["type"] != "translated_text")
            continue;
        got.push_back(j["data"]["text"]);
        // A ping after every third caption: the server's pong is a Beast write that must
        // fall between two of its direct frames, never inside one.
        if (got.size() % 3 == 0) {
            v.ws.ping("p");
            ++pings;
        }
        std::this_thread::sleep_for(2ms);
    }
    EXPECT_EQ(got, sent);
    // The last pongs may still be on their way: an invalid message's error frame is pushed
    // only after the server answered every ping read before it.
    v.ws.write(lt::asio::buffer(std::string(R"({"type":"no_such_type"})")));
    while (v.read()["type"] != "error") {
    }
    EXPECT_EQ(v.pongs.load(), pings);
    EXPECT_EQ(fast->collect("translated_text", n, 30s).size(), static_cast<std::size_t>(n));
    auto metrics = http_get(server.port(), "/metrics").body;
    EXPECT_NE(metrics.find("lt_slow_viewers_closed_total 0\n"), std::string::npos) << metrics;
    // All three paths ran: whole direct writes, partly written ones, and the queue.
    auto direct = metric(server.port(), "lt_frames_direct_total");
    auto partial = metric(server.port(), "lt_frames_direct_partial_total");
    auto out = metric(server.port(), "lt_frames_out_total");
    EXPECT_GT(direct, 0) << metrics;
    EXPECT_GT(partial, 0) << metrics;
    EXPECT_GT(out - direct - partial, 0) << metrics;
}

TEST(write_path, a_viewer_that_closes_while_a_large_caption_is_going_out_leaves_others_unharmed) {
    server_process server({"--translator", "none", "--speaker-rate", "0", "--message-rate", "0"},
                          {{"API_KEY", key}});
    ws_client::options slow_opts;
    slow_opts.receive_buffer = 4096;
    slow_opts.read = false;
    auto slow = std::make_unique<ws_client>(server.port(), slow_opts);
    slow->send({{"type", "set_language"}, {"data", {{"lang", "en"}}}});
    auto fast = std::make_unique<ws_client>(server.port());
    ASSERT_TRUE(fast->receive_type("connection_status"));
    fast->send({{"type", "set_language"}, {"data", {{"lang", "en"}}}});
    ASSERT_TRUE(fast->receive_type("language_set"));
    ws_client speaker(server.port());
    std::string body(60000, 'q'); // a frame from a client may be 64 KiB at most
    // Ten frames fill the slow viewer's buffers: the last are partly written or queued.
    for (int i = 0; i < 10; ++i)
        speaker.send(new_text(std::to_string(i) + body, "c" + std::to_string(i)));
    ASSERT_EQ(fast->collect("translated_text", 10, 10s).size(), 10u);
    // It vanishes mid-frame.
    slow.reset();
    for (int i = 10; i < 14; ++i)
        speaker.send(new_text(std::to_string(i) + body, "c" + std::to_string(i)));
    auto rest = fast->collect("translated_text", 4, 10s);
    ASSERT_EQ(rest.size(), 4u);
    for (int i = 10; i < 14; ++i)
        EXPECT_EQ(rest[i - 10]["data"]["text"], std::to_string(i) + body);
    EXPECT_EQ(http_get(server.port(), "/health").status, 200);
}
