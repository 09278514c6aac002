// gated_stream: frames written straight to the socket beside Beast's own writes, checked by
// a real Beast WebSocket client over loopback. A frame that interleaved with one of Beast's
// would break the client's parse (protocol error) or reorder what it reads.
#include "server/gated_stream.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lt::server {
namespace {

using namespace std::chrono_literals;

// One connection over loopback, both ends on one io_context that the test runs.
struct connection {
    asio::io_context ioc;
    std::unique_ptr<websocket::stream<gated_stream>> server;
    websocket::stream<beast::tcp_stream> client{ioc};
    std::vector<std::string> events; // what the client read, in order: "msg:<payload>", "ping:<p>"
    beast::flat_buffer buffer;
    beast::error_code read_error;
    bool reading = false;

    // Small buffers on both sides make the kernel take only part of a large frame.
    explicit connection(int buffers = 0) {
        tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
        auto& sock = beast::get_lowest_layer(client).socket();
        sock.open(tcp::v4());
        if (buffers)
            sock.set_option(asio::socket_base::receive_buffer_size(buffers));
        sock.connect(acceptor.local_endpoint());
        tcp::socket accepted(ioc);
        acceptor.accept(accepted);
        if (buffers)
            accepted.set_option(asio::socket_base::send_buffer_size(buffers));
        server = std::make_unique<websocket::stream<gated_stream>>(std::move(accepted));
        int done = 0;
        server->async_accept([&](beast::error_code ec) {
            ASSERT_FALSE(ec) << ec.message();
            ++done;
        });
        client.async_handshake("127.0.0.1", "/", [&](beast::error_code ec) {
            ASSERT_FALSE(ec) << ec.message();
            ++done;
        });
        run_until([&] { return done == 2; });
        client.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
            if (kind == websocket::frame_type::ping)
                events.push_back("ping:" + std::string(payload));
        });
    }

    // Runs handlers until `done` holds; fails the test after `limit`.
    void run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
        auto until = std::chrono::steady_clock::now() + limit;
        while (!done()) {
            ASSERT_LT(std::chrono::steady_clock::now(), until) << "timed out";
            ioc.run_for(5ms);
            ioc.restart();
        }
    }
    void run_for(std::chrono::milliseconds d) {
        ioc.run_for(d);
        ioc.restart();
    }

    // The client reads messages until an error (the close) ends the loop.
    void start_reading() {
        reading = true;
        client.async_read(buffer, [this](beast::error_code ec, std::size_t) {
            if (ec) {
                read_error = ec;
                reading = false;
                return;
            }
            events.push_back("msg:" + beast::buffers_to_string(buffer.data()));
            buffer.consume(buffer.size());
            start_reading();
        });
    }
    std::size_t messages() const {
        std::size_t n = 0;
        for (const auto& e : events)
            n += e.rfind("msg:", 0) == 0;
        return n;
    }
};

hub::frame_ptr frame_of(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

// Printable ASCII (valid UTF-8) that differs from byte to byte; `first` at most 'c'.
std::string pattern(std::size_t n, char first) {
    std::string s(n, ' ');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>(first + i % 23);
    return s;
}

TEST(gated_stream, frames_of_every_header_length_arrive_whole) {
    connection c;
    c.start_reading();
    // 7-bit, 16-bit and 64-bit payload lengths, at their edges.
    std::vector<std::size_t> sizes{0, 1, 125, 126, 127, 65535, 65536, 200000};
    bool rest_done = false;
    for (auto n : sizes) {
        c.run_until([&] { return c.server->next_layer().idle(); });
        auto s = c.server->next_layer().write_frame(frame_of(pattern(n, 'a')), [&] {
            return [&](beast::error_code ec) {
                EXPECT_FALSE(ec);
                rest_done = true;
            };
        });
        ASSERT_TRUE(s == gated_stream::sent::whole || s == gated_stream::sent::partly);
    }
    c.run_until([&] { return c.messages() == sizes.size(); });
    for (std::size_t i = 0; i < sizes.size(); ++i)
        EXPECT_EQ(c.events[i], "msg:" + pattern(sizes[i], 'a'))
            << "frame " << i << " of " << sizes[i] << " bytes";
    (void)rest_done;
}

TEST(gated_stream, beast_writes_wait_behind_a_partly_written_frame) {
    connection c(4096);
    const std::string big = pattern(300000, 'A');
    bool rest_done = false;
    auto s = c.server->next_layer().write_frame(frame_of(big), [&] {
        return [&](beast::error_code ec) {
            EXPECT_FALSE(ec) << ec.message();
            rest_done = true;
        };
    });
    ASSERT_EQ(s, gated_stream::sent::partly) << "300 KB should not fit a 4 KB socket buffer";
    EXPECT_FALSE(c.server->next_layer().idle());

    // Beast writes a ping and a message of its own while the rest of the frame is pending.
    bool ping_sent = false, message_sent = false;
    c.server->async_ping("p1", [&](beast::error_code ec) {
        EXPECT_FALSE(ec) << ec.message();
        ping_sent = true;
    });
    const std::string after = "after the big frame";
    c.server->text(true);
    c.server->async_write(asio::buffer(after), [&](beast::error_code ec, std::size_t) {
        EXPECT_FALSE(ec) << ec.message();
        message_sent = true;
    });
    c.run_for(100ms);
    EXPECT_FALSE(rest_done) << "the client has not read anything yet";
    EXPECT_FALSE(ping_sent);

    c.start_reading();
    c.run_until([&] { return c.messages() == 2 && ping_sent && message_sent && rest_done; });
    ASSERT_EQ(c.events.size(), 3u);
    EXPECT_EQ(c.events[0], "msg:" + big);
    EXPECT_EQ(c.events[1], "ping:p1");
    EXPECT_EQ(c.events[2], "msg:" + after);
    EXPECT_TRUE(c.server->next_layer().idle());
}

TEST(gated_stream, direct_frames_and_pongs_interleave_cleanly) {
    // The client pings while frames go out directly; the server's read loop answers each
    // with a pong, a Beast write between ours.
    connection c(8192);
    std::size_t pongs = 0;
    c.client.control_callback([&](websocket::frame_type kind, beast::string_view) {
        if (kind == websocket::frame_type::pong)
            ++pongs;
    });
    beast::flat_buffer server_buffer;
    std::function<void()> server_read = [&] {
        c.server->async_read(server_buffer, [&](beast::error_code ec, std::size_t) {
            if (!ec) {
                server_buffer.consume(server_buffer.size());
                server_read();
            }
        });
    };
    server_read();
    c.start_reading();

    const int frames = 300, pings = 50;
    int sent = 0, pinged = 0, ping_done = 0, fallback = 0;
    bool pinging = false;
    std::vector<std::string> expected;
    std::deque<hub::frame_ptr> waiting; // the session's queue, in short
    bool beast_writing = false;
    std::function<void()> pump = [&] {
        while (!waiting.empty() && !beast_writing) {
            auto f = waiting.front();
            if (c.server->next_layer().idle()) {
                auto s = c.server->next_layer().write_frame(f, [&] {
                    beast_writing = true;
                    return [&](beast::error_code ec) {
                        EXPECT_FALSE(ec);
                        beast_writing = false;
                        pump();
                    };
                });
                if (s == gated_stream::sent::whole || s == gated_stream::sent::partly) {
                    waiting.pop_front();
                    continue;
                }
                ASSERT_EQ(s, gated_stream::sent::none);
            }
            // Not idle, or the socket is full: Beast's ordinary write.
            ++fallback;
            beast_writing = true;
            waiting.pop_front();
            c.server->text(true);
            c.server->async_write(asio::buffer(*f), [&, f](beast::error_code ec, std::size_t) {
                EXPECT_FALSE(ec) << ec.message();
                beast_writing = false;
                pump();
            });
        }
    };
    c.run_until(
        [&] {
            if (sent < frames) {
                auto text = std::to_string(sent) + ":" + pattern(1000 + 97 * sent % 5000, 'a');
                expected.push_back("msg:" + text);
                waiting.push_back(frame_of(text));
                ++sent;
                pump();
            }
            if (pinged < pings && !pinging) {
                pinging = true;
                ++pinged;
                c.client.async_ping("x", [&](beast::error_code ec) {
                    EXPECT_FALSE(ec);
                    pinging = false;
                    ++ping_done;
                });
            }
            return c.messages() == static_cast<std::size_t>(frames) && ping_done == pings && pongs == pings;
        },
        20s);
    std::vector<std::string> got;
    for (const auto& e : c.events)
        if (e.rfind("msg:", 0) == 0)
            got.push_back(e);
    EXPECT_EQ(got, expected);
    EXPECT_EQ(pongs, static_cast<std::size_t>(pings));
}

TEST(gated_stream, a_close_during_a_partly_written_frame_follows_it) {
    connection c(4096);
    const std::string big = pattern(250000, 'K');
    bool rest_done = false;
    auto s = c.server->next_layer().write_frame(frame_of(big), [&] {
        return [&](beast::error_code ec) {
            EXPECT_FALSE(ec) << ec.message();
            rest_done = true;
        };
    });
    ASSERT_EQ(s, gated_stream::sent::partly);
    bool closed = false;
    c.server->async_close(websocket::close_reason(websocket::close_code::going_away, "bye"),
                          [&](beast::error_code) { closed = true; });
    c.run_for(50ms);
    EXPECT_FALSE(closed) << "the close frame waits behind the rest of the big frame";
    c.start_reading();
    c.run_until([&] { return !c.reading && rest_done; });
    ASSERT_EQ(c.events.size(), 1u);
    EXPECT_EQ(c.events[0], "msg:" + big);
    EXPECT_EQ(c.read_error, websocket::error::closed) << c.read_error.message();
    EXPECT_EQ(c.client.reason().code, websocket::close_code::going_away);
    EXPECT_EQ(std::string(c.client.reason().reason.data(), c.client.reason().reason.size()), "bye");
    c.run_until([&] { return closed; });
}

TEST(gated_stream, a_reset_connection_reports_failed_or_a_rest_error) {
    connection c(4096);
    // The client vanishes without a close: the kernel answers the next writes with RST.
    beast::get_lowest_layer(c.client).socket().set_option(asio::socket_base::linger(true, 0));
    beast::get_lowest_layer(c.client).socket().close();
    c.run_for(20ms);
    bool failed = false;
    for (int i = 0; i < 20 && !failed; ++i) {
        c.run_until([&] { return c.server->next_layer().idle(); });
        auto s = c.server->next_layer().write_frame(frame_of(pattern(1000, 'Z')), [&] {
            return [&](beast::error_code ec) { failed = failed || ec; };
        });
        failed = failed || s == gated_stream::sent::failed;
        c.run_for(10ms);
    }
    EXPECT_TRUE(failed);
}

} // namespace
} // namespace lt::server
