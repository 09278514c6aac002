// The speaker's network clients against a loopback stand-in for lt-server (the real
// protocol, over IPv6 and IPv4): the caption client's Host header and delivery, and the
// server-token credentials provider (first token, then fresh ones from the server).
#include "speech/server_credentials.hpp" // first: the header compiles on its own

#include "net/asio.hpp"
#include "protocol/messages.hpp"
#include "speech/client.hpp"
#include "speech/token.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace lt;

namespace {

// Speaks lt-server's protocol to one client at a time: connection_status, a text_ack for
// each final, a token_response with a new key for each generate_token. Records the Host
// header of each upgrade and the finals' texts.
class fake_server {
public:
    explicit fake_server(const char* address)
        : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address(address), 0)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~fake_server() {
        stop_ = true;
        // A blocking accept() does not wake when the acceptor is closed: connect to wake it.
        asio::io_context ioc;
        tcp::socket poke(ioc);
        boost::system::error_code ec;
        poke.connect(acceptor_.local_endpoint(), ec);
        thread_.join();
    }
    std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }
    std::vector<std::string> hosts() const {
        std::lock_guard lock(mu_);
        return hosts_;
    }
    std::vector<std::string> finals() const {
        std::lock_guard lock(mu_);
        return finals_;
    }
    int tokens() const { return tokens_; }

private:
    void serve() {
        while (!stop_) {
            tcp::socket sock(ioc_);
            boost::system::error_code ec;
            acceptor_.accept(sock, ec);
            if (ec || stop_)
                return;
            try {
                session(std::move(sock));
            } catch (const std::exception&) {
                // the client went away
            }
        }
    }

    void session(tcp::socket sock) {
        beast::flat_buffer buffer;
        http::request<http::string_body> req;
        http::read(sock, buffer, req);
        {
            std::lock_guard lock(mu_);
            hosts_.emplace_back(req[http::field::host]);
        }
        websocket::stream<tcp::socket> ws(std::move(sock));
        ws.accept(req);
        protocol::connection_status status;
        status.server_id = "fake";
        ws.write(asio::buffer(protocol::serialize(status)));
        std::uint64_t seq = 0;
        for (;;) {
            beast::flat_buffer in;
            ws.read(in);
            auto msg = protocol::parse_client_message(beast::buffers_to_string(in.data()));
            if (!msg)
                continue;
            if (auto* t = std::get_if<protocol::new_text>(&msg.value()); t && !t->partial) {
                {
                    std::lock_guard lock(mu_);
                    finals_.push_back(t->text);
                }
                ws.write(asio::buffer(protocol::serialize_text_ack(t->id.value_or(""), ++seq)));
            } else if (std::get_if<protocol::generate_token>(&msg.value())) {
                int n = ++tokens_;
                protocol::token_response r;
                r.credentials = protocol::token_credentials{"AKID" + std::to_string(n), "secret", "session",
                                                            "2099-01-01T00:00:00Z"};
                r.region = "eu-west-2";
                ws.write(asio::buffer(protocol::serialize(r)));
            }
        }
    }

    asio::io_context ioc_;
    tcp::acceptor acceptor_;
    std::atomic<bool> stop_{false};
    std::atomic<int> tokens_{0};
    mutable std::mutex mu_;
    std::vector<std::string> hosts_, finals_;
    std::thread thread_;
};

speech::endpoint at(const std::string& url) {
    auto ep = speech::parse_endpoint(url);
    EXPECT_TRUE(ep) << url;
    return ep ? ep.value() : speech::endpoint{};
}

TEST(client_ipv6, delivers_to_a_server_on_ipv6_loopback_with_a_bracketed_host_header) {
    fake_server server("::1");
    speech::client_options o;
    o.server = at("ws://[::1]:" + server.port());
    std::atomic<int> acks{0};
    speech::client client(o, [&](const speech::client_event& e) {
        if (e.type == speech::client_event::kind::acknowledged)
            ++acks;
    });
    client.send_final({"f1", "hello over IPv6", "en", "12:00:00"});
    EXPECT_EQ(client.finish(10s), 0u);
    EXPECT_EQ(acks, 1);
    ASSERT_EQ(server.finals().size(), 1u);
    EXPECT_EQ(server.finals()[0], "hello over IPv6");
    ASSERT_FALSE(server.hosts().empty());
    EXPECT_EQ(server.hosts()[0], "[::1]:" + server.port());
}

TEST(server_credentials, serve_the_first_token_then_ask_the_server_again) {
    fake_server server("::1");
    speech::server_credentials_options o;
    o.server = at("http://[::1]:" + server.port());
    o.api_key = "key";
    std::vector<std::string> notices;
    o.verbose = true;
    o.notice = [&](const std::string& text) { notices.push_back(text); };

    auto first = speech::fetch_server_token(o.server, o.api_key, o.ca_file, 10s);
    ASSERT_TRUE(first.token) << first.error;
    EXPECT_EQ(first.token->credentials.access_key_id, "AKID1");
    EXPECT_EQ(first.token->region, "eu-west-2");
    EXPECT_EQ(server.hosts().back(), "[::1]:" + server.port());

    speech::server_credentials_provider provider(o, first.token->credentials);
    auto a = provider.get();
    ASSERT_TRUE(a) << a.error_message();
    EXPECT_EQ(a.value().access_key_id, "AKID1") << "the first token serves the first use";
    EXPECT_EQ(server.tokens(), 1);

    provider.invalidate(); // as after a refused signature
    auto b = provider.get();
    ASSERT_TRUE(b) << b.error_message();
    EXPECT_EQ(b.value().access_key_id, "AKID2");
    EXPECT_EQ(b.value().session_token, "session");
    ASSERT_TRUE(b.value().expiration);
    EXPECT_EQ(server.tokens(), 2);
    EXPECT_EQ(provider.fetches(), 2u);
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_NE(notices[0].find("refreshed AWS credentials"), std::string::npos) << notices[0];
}

TEST(server_credentials, a_server_that_is_gone_is_a_warning_and_an_error) {
    std::string port;
    {
        fake_server gone("127.0.0.1");
        port = gone.port();
    }
    speech::server_credentials_options o;
    o.server = at("http://127.0.0.1:" + port);
    o.timeout = 3s;
    std::vector<std::string> notices;
    o.notice = [&](const std::string& text) { notices.push_back(text); };
    aws::credentials first;
    first.access_key_id = "AKID0";
    first.secret_access_key = "s";
    speech::server_credentials_provider provider(o, first);
    ASSERT_TRUE(provider.get());
    provider.invalidate();
    auto r = provider.get();
    ASSERT_FALSE(r);
    EXPECT_NE(r.error_message().find("connection refused"), std::string::npos) << r.error_message();
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_EQ(notices[0].rfind("warning: refreshing AWS credentials", 0), 0u) << notices[0];
}

} // namespace
